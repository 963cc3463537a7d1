/* Shared definitions of the vlab CLI: global options and exit codes. Each
 * command lives in its own file and joins vlab's command tree (vlab_cmds.c)
 * with one node.
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

#endif /* VLAB_VLAB_H */
