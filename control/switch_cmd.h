/* `vlab switch ...`: commands that drive vlab-switchd through its control API.
 *
 * Split in three so the logic is testable without a switch:
 *   swcmd_build()  argv -> API request (method + params), pure, from the API
 *                  schema (switch_cmd.c over cmdtree.c);
 *   swcmd_print()  API result -> human tables or JSON, writes to a FILE
 *                  (switch_print.c);
 *   swcmd_run()    a command reached in vlab's tree: build, connect, call,
 *                  print.
 *
 * Threads: main thread of the vlab CLI. */
#ifndef VLAB_SWITCH_CMD_H
#define VLAB_SWITCH_CMD_H

#include <stdio.h>
#include <jansson.h>

#include "cmdtree.h"
#include "vlab.h"

#define SWCMD_HELP CMD_HELP /* swcmd_build(): help was asked for, nothing to send */

/* How a result is shown to people. */
enum swcmd_view {
	SWCMD_VIEW_NONE = 0, /* nothing on success (add, del, clear) */
	SWCMD_VIEW_VERSION,
	SWCMD_VIEW_NETWORKS,
	SWCMD_VIEW_PORTS,
	SWCMD_VIEW_FDB,
	SWCMD_VIEW_FLUSH,
	SWCMD_VIEW_STATS,
	SWCMD_VIEW_POLICIES,   /* policy.list */
	SWCMD_VIEW_POLICY_SET, /* policy.set: rules, matches, warnings */
	SWCMD_VIEW_UNDERLAY,   /* underlay.show / set: settings and ARP table */
	SWCMD_VIEW_VTEPS,      /* vtep.list */
	SWCMD_VIEW_RAW,	       /* indented JSON, whatever the method */
};

/* A request built from the command line. */
struct swcmd_req {
	const char *method;	       /* API method, e.g. "port.add" */
	json_t *params;		       /* owned; NULL when the method takes none */
	enum swcmd_view view;	       /* how to print the result */
	struct cmd_pos pos;            /* command matched so far (usage and help) */
};

/* Builds the request for argv (the words after "vlab switch"). Returns 0 with
 * *req filled, SWCMD_HELP when -h/--help/help was given (print it with
 * swcmd_help()), or -EINVAL with a message in `err` (print it with
 * swcmd_usage()). Call swcmd_req_clear() in every case. */
int swcmd_build(int argc, char *const argv[], struct swcmd_req *req, char *err, size_t errlen);

/* Builds the request of the command at `pos` (where a walk of vlab's tree
 * stopped) from the words after it; returns as swcmd_build() does. */
int swcmd_build_at(const struct cmd_pos *pos, int argc, char *const argv[], struct swcmd_req *req,
		   char *err, size_t errlen);

/* The `vlab switch` group, which vlab's tree opens with the word `switch`,
 * and a pointer to it (for tests that walk it). */
extern const struct cmd_node swcmd_group;
const struct cmd_node *swcmd_root(void);

/* Releases the params of a request; accepts a zeroed request. */
void swcmd_req_clear(struct swcmd_req *req);

/* "usage: vlab switch ..." line of the command matched by swcmd_build(). */
void swcmd_usage(const struct swcmd_req *req, FILE *f);

/* Full help of the command matched by swcmd_build(): usage, summary, and the
 * subcommands or options. */
void swcmd_help(const struct swcmd_req *req, FILE *f);

/* Prints `result` for people according to req->view. Returns 0, or -EPROTO when
 * the result does not have the documented shape. */
int swcmd_print(const struct swcmd_req *req, const json_t *result, FILE *f);

/* Runs the switch command at `pos` of vlab's tree with the words after it:
 * builds its request, calls the switch, prints the result (or its help, or
 * the usage error). Returns a VLAB_EXIT_* code. */
int swcmd_run(const struct vlab_opts *opts, const struct cmd_pos *pos, int argc, char **argv);

#endif /* VLAB_SWITCH_CMD_H */
