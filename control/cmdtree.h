/* A tree of command words for the vlab CLI (groups and commands), and the
 * request builder that turns a command's arguments into the parameters of
 * its switch API method from the API schema (api/schema.h): options, their
 * checks, usage lines and help all come from the schema, so the CLI cannot
 * drift from what the switch accepts. Every word of vlab is in one tree
 * (vlab_cmds.c): groups, switch API commands, and local commands that run
 * themselves (the lab and vm commands).
 *
 * Pure: argv in, JSON and messages out; no I/O except printing help to the
 * FILE it is given (running a local command is its caller's business). Main
 * thread of the vlab CLI. */
#ifndef VLAB_CMDTREE_H
#define VLAB_CMDTREE_H

#include <stdio.h>

#include <jansson.h>

#include "args.h"
#include "schema.h"

#define CMD_HELP 1 /* help was asked for: print it, send nothing */

struct cmd_node;
struct vlab_opts;

/* A command that builds its request itself: sets *method and *params. */
typedef int (*cmd_build_fn)(const struct args *a, const char **method, json_t **params,
			    char *err, size_t errlen);

/* A local command: runs itself on the words after it (argv[0] is the first,
 * argc may be 0; argv[argc] is NULL) and returns a VLAB_EXIT_* code. It
 * parses its own arguments, -h/--help among them. */
typedef int (*cmd_run_fn)(const struct vlab_opts *opts, int argc, char **argv);

struct cmd_node {
	const char *name;    /* word on the command line */
	const char *alias;   /* other accepted word, or NULL */
	const char *summary; /* one line for the parent's help (default: the group's or
			      * the method's) */
	const char *args;    /* local command: its arguments in short, shown after its
			      * name in the parent's list (e.g. "NAME [OPTIONS]") */
	/* a group */
	const char *usage;               /* group, custom or local command: usage without
					  * "usage: " (may span lines) */
	const struct cmd_node *children; /* subcommands, NULL-name terminated */
	const char *default_child;       /* run when no subcommand is given */
	const struct cmd_node *group;    /* this word opens a group defined elsewhere
					  * (its own file); name, alias and summary
					  * of this entry stay for the parent's list */
	/* a command calling `method` with parameters from the schema ... */
	const char *method;
	/* ... or one building its request (options, usage and details its own) ... */
	const struct args_opt *opts;
	size_t nopts;
	cmd_build_fn build;
	/* ... or a local command that runs itself */
	cmd_run_fn run;
	const char *details; /* more help text (options of a custom command, notes) */
	int view;            /* how the caller shows the result */
};

/* Where a walk down the tree got to: the node and its words. */
struct cmd_pos {
	const struct cmd_node *node;
	char path[96]; /* e.g. "vlab switch network add" */
};

/* Walks argv down from `root` (whose words are `root_path`) to a command:
 * -h or --help at a group asks for its help, "help WORDS..." for the help of
 * the node the words name (the group's own without words); a command's own
 * words are left to it. Returns 0 with pos at the command and *used the
 * words taken, CMD_HELP (pos at the node help was asked for), or -EINVAL
 * with a message naming the word (pos at the deepest group reached, for its
 * usage line). */
int cmd_walk(const struct cmd_node *root, const char *root_path, int argc, char *const argv[],
	     struct cmd_pos *pos,
	     int *used, char *err, size_t errlen);

/* The node of `words` (space-separated, e.g. "vm start") under `root`, as
 * a position for cmd_usage() and cmd_help(). 0 or -EINVAL (no such node). */
int cmd_find(const struct cmd_node *root, const char *root_path, const char *words,
	     struct cmd_pos *pos);

/* Builds the request of command `n` from its arguments: *method, and
 * *params (a new object, or NULL for a method without parameters).
 * 0, CMD_HELP, -EINVAL with a message, or -ENOMEM. */
int cmd_build(const struct cmd_node *n, int argc, char *const argv[], const char **method,
	      json_t **params, char *err, size_t errlen);

/* "usage: ..." of a node, and its full help (usage, summary, subcommands or
 * arguments with their meanings). */
void cmd_usage(const struct cmd_pos *pos, FILE *f);
void cmd_help(const struct cmd_pos *pos, FILE *f);

#endif
