/* `vlab vm ...`: single lab nodes (QEMU guests and namespace hosts): start,
 * stop, destroy, status, exec, console, link. Starting a node also plugs its
 * NICs into vlab-switchd; destroying it unplugs them.
 *
 * The argv parsers are pure and unit-tested (vm_parse.c); the commands are
 * local commands of the `vm` group of vlab's command tree, which gives their
 * usage and help (vm_cmd.c).
 * Threads: main thread of the vlab CLI (vmhost may use worker threads). */
#ifndef VLAB_VM_CMD_H
#define VLAB_VM_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "cmdtree.h"
#include "node.h"
#include "vlab.h"

/* What `vlab vm start` was asked for. */
struct vmcmd_start {
	char lab[NODE_NAME_MAX];
	struct node node;
	bool wait;         /* wait for the guest agent (default) */
	int timeout_s;     /* readiness timeout */
};

/* Parses one --nic value: "network=NET[,ip=CIDR]...[,mac=MAC][,mtu=N][,ifname=IF]".
 * 0 or -EINVAL with a message. */
int vmcmd_parse_nic(const char *spec, struct node_nic *nic, char *err, size_t errlen);
/* Parses a memory size: "128", "128M", "1G" (MiB when no unit). */
int vmcmd_parse_mem(const char *s, unsigned int *mib, char *err, size_t errlen);
/* Parses the words after `vlab vm start`. 0, 1 for --help, or -EINVAL. */
int vmcmd_parse_start(int argc, char *const argv[], struct vmcmd_start *out, char *err,
		      size_t errlen);

/* What the other commands were asked for: "NAME [--lab LAB] [--timeout S]
 * [--all] [-- CMD ARGS]". */
struct vmcmd_args {
	const char *name;   /* pos[0], or NULL */
	const char *lab;    /* --lab, $VLAB_LAB, or "default" */
	const char *pos[4]; /* positional arguments before "--" */
	int npos;
	int timeout_s; /* --timeout, or -1 */
	bool all;      /* --all */
	int dashdash;  /* index in argv after "--", or -1 */
};

/* Parses the words after `vlab vm stop|destroy|status|exec|console|link`;
 * which positional arguments a command needs is its own check. 0, 1 for
 * --help, or -EINVAL with a message. */
int vmcmd_parse_args(int argc, char *const argv[], struct vmcmd_args *a, char *err, size_t errlen);

/* The lab named by --lab, $VLAB_LAB, or "default". */
const char *vmcmd_lab(const char *opt);

struct vm_exec_result;
/* Prints a command's output (or JSON with -j); returns the exit status to
 * exit with: the command's own, or 0 with -j. */
int vmcmd_print_exec(const struct vlab_opts *opts, const struct vm_exec_result *r);

/* The `vm` group, which vlab's tree opens with the word `vm`. */
extern const struct cmd_node vmcmd_group;

#endif
