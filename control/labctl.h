/* The lab controller: `vlab up / apply / down / status (inspect) / exec /
 * console / pingall / graph`. Reads a topology, plans the difference with what
 * the lab runs (plan.h), and makes it so: starts vlab-switchd when none runs,
 * creates networks and ports, starts nodes in parallel, waits until they are
 * ready, and records the topology in the lab's state directory. One file per
 * command (labup.c, labdown.c, labstatus.c, labexec.c, labping.c,
 * labgraph.c), what they share in labctl_priv.h.
 *
 * Threads: the CLI's main thread; node starts and pings use bounded pools of
 * worker threads (vmhost's vm_start_parallel, `up --workers`; pingall's
 * `--workers`, one source node at a time each). */
#ifndef VLAB_LABCTL_H
#define VLAB_LABCTL_H

#include <stddef.h>

#include "vlab.h"

int labctl_up(const struct vlab_opts *opts, int argc, char **argv);
int labctl_apply(const struct vlab_opts *opts, int argc, char **argv);
int labctl_down(const struct vlab_opts *opts, int argc, char **argv);
int labctl_status(const struct vlab_opts *opts, int argc, char **argv);
int labctl_exec(const struct vlab_opts *opts, int argc, char **argv);
int labctl_console(const struct vlab_opts *opts, int argc, char **argv);
int labctl_pingall(const struct vlab_opts *opts, int argc, char **argv);
int labctl_graph(const struct vlab_opts *opts, int argc, char **argv);

/* The `policy` group of vlab's tree (labpolicy.c): apply, show, clear. */
struct cmd_node;
extern const struct cmd_node polcmd_group;

/* Splits "LAB/NODE" or "NODE" (the only running lab's node). Pure apart from
 * listing labs when no LAB is given. 0, -ENOENT (no such lab or node),
 * -EINVAL (several labs run: LAB/ needed), with a message. */
int labctl_resolve(const char *spec, char *lab, size_t lablen, char *node, size_t nodelen,
		   char *err, size_t errlen);

#endif
