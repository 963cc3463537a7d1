/* Shared definitions of the vlab CLI: global options, exit codes and the shape of
 * a command group, so each group (`switch`, later `vm`, `up`, ...) lives in its
 * own file and joins the table in vlab.c with one line.
 *
 * Threads: the CLI is single-threaded; everything here runs on the main thread. */
#ifndef VLAB_VLAB_H
#define VLAB_VLAB_H

#include <stdbool.h>

/* Exit codes scripts can trust. */
#define VLAB_EXIT_OK	0 /* success, or help was asked for */
#define VLAB_EXIT_FAIL	1 /* the operation failed (switch error, unreachable switch, I/O) */
#define VLAB_EXIT_USAGE 2 /* bad command line; nothing was sent */

/* Global options, parsed once in main() and passed down read-only. */
struct vlab_opts {
	const char *socket; /* --socket PATH, or NULL: VLAB_SWITCH_SOCKET, then the default */
	bool json;	    /* -j: print the raw JSON result instead of tables */
	bool pretty;	    /* -p: indent JSON output (implies json) */
};

/* A top-level command group. `run` gets argv after the group name (argv[0] is
 * the first word after it, argc may be 0) and returns a VLAB_EXIT_* code. */
struct vlab_cmd {
	const char *name;    /* word on the command line, e.g. "switch" */
	const char *summary; /* one line for `vlab --help` */
	int (*run)(const struct vlab_opts *opts, int argc, char **argv);
};

#endif /* VLAB_VLAB_H */
