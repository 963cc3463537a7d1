/* `vlab capture`: see capture_cmd.c.
 *
 * Threads: the CLI's main thread. */
#ifndef VLAB_CAPTURE_CMD_H
#define VLAB_CAPTURE_CMD_H

#include "vlab.h"

/* The command (argv: the words after "capture"); a VLAB_EXIT_* code. */
int capture_cmd(const struct vlab_opts *opts, int argc, char **argv);
/* Its usage (without "usage: ") and help text, for the command tree. */
extern const char capture_usage[];
extern const char capture_details[];

#endif
