/* vlab's command tree: every command word, from the top (`vlab up`, `vlab
 * vm start`, `vlab switch port add`, ...), as one cmdtree.h tree; and the
 * dispatcher that walks it and runs the command it reaches. `vlab --help`,
 * a group's help, and the errors for unknown or missing words all come from
 * the tree.
 *
 * Threads: main thread of the vlab CLI. */
#ifndef VLAB_VLAB_CMDS_H
#define VLAB_VLAB_CMDS_H

#include <stdio.h>

#include "cmdtree.h"
#include "vlab.h"

/* The root of the tree, whose words are "vlab" (for tests that walk it). */
const struct cmd_node *vlab_root(void);

/* `vlab --help`, and the usage line printed after a usage error. */
void vlab_help(FILE *f);
void vlab_usage(FILE *f);

/* Runs the command argv names (the words after vlab's global options):
 * walks the tree, prints a group's help (VLAB_EXIT_OK) or a usage error
 * naming the word with the group's usage (VLAB_EXIT_USAGE), else returns
 * what the command returns. */
int vlab_run(const struct vlab_opts *opts, int argc, char **argv);

#endif /* VLAB_VLAB_CMDS_H */
