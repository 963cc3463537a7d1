/* QEMU command lines for lab guests.
 *
 * Pure: turns a node description and a few host facts (KVM or TCG, image
 * paths, where the node's sockets live) into an argv; no processes, no I/O.
 * Runs on the caller's thread; unit-tested without QEMU. */
#ifndef VLAB_QEMU_H
#define VLAB_QEMU_H

#include <stdbool.h>
#include <stddef.h>

#include "node.h"

/* Files of one running guest, all inside its node directory. */
struct qemu_files {
	char qmp[NODE_PATH_MAX];         /* QMP socket */
	char qga[NODE_PATH_MAX];         /* guest agent socket */
	char console[NODE_PATH_MAX];     /* serial console socket */
	char console_log[NODE_PATH_MAX]; /* everything the console printed */
	char pidfile[NODE_PATH_MAX];
};

struct qemu_opts {
	const char *binary;  /* default "qemu-system-x86_64" */
	bool kvm;            /* accel=kvm, -cpu host, MSI-X; else TCG with vectors=0 */
	const char *kernel;  /* built-in image or the node's own */
	const char *initrd;
	const char *cmdline; /* complete kernel command line */
	bool daemonize;      /* -daemonize: QEMU returns once the guest is created */
};

struct qemu_argv {
	int argc;
	char **argv; /* NULL-terminated, every string owned */
};

/* Derives the file names of node `name` under directory `dir`. 0 or -ENAMETOOLONG. */
int qemu_files_init(struct qemu_files *f, const char *dir);

/* Builds the argv. 0, -EINVAL (a NIC without socket, no kernel nor disk),
 * -ENOMEM. Free with qemu_argv_free(). */
int qemu_build_argv(const struct node *n, const struct qemu_opts *o, const struct qemu_files *f,
		    struct qemu_argv *out);
void qemu_argv_free(struct qemu_argv *a);

/* QMP names of NIC i: the virtio-net device id (for set_link). */
void qemu_nic_id(int i, char *buf, size_t len);

/* True when KVM can run guests: /dev/kvm opens and the CPU has vmx/svm.
 * VLAB_ACCEL=kvm|tcg in the environment overrides the check. */
bool qemu_kvm_usable(void);

/* Disk image format from its first bytes: "qcow2" or "raw". */
const char *qemu_disk_format(const char *path);

#endif
