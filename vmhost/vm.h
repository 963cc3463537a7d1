/* Life cycle of lab nodes: QEMU guests (start, readiness through the guest
 * agent, graceful stop, destroy, status, link up/down, exec, console) and
 * namespace hosts (create, exec, destroy), recorded in the lab's state
 * directory (lab.h) so destroy works after a crash.
 *
 * Runs on the caller's thread; vm_start_parallel() runs a bounded pool of
 * worker threads, each handling whole nodes. What differs between kinds of
 * nodes is behind the kind table (kind.h). The switch is not touched here:
 * callers attach the NICs to it as the kind's port operation says. */
#ifndef VLAB_VM_H
#define VLAB_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lab.h"
#include "node.h"

struct vm_opts {
	const char *image_cache; /* NULL: the default cache */
	void (*progress)(const char *msg, void *arg); /* long steps; may be NULL */
	void *arg;
	int ready_timeout_ms; /* 0: do not wait for the guest agent */
	/* vm_start_parallel() only, may be NULL: called on the worker thread that
	 * handled node `index` once it is started (rc 0; ready when
	 * ready_timeout_ms is set) or failed (rc < 0, its error in err), with
	 * `arg`; workers call it concurrently. Returns the node's result: rc, or
	 * a failure of its own (e.g. attaching the node) with err rewritten. */
	int (*node_done)(int index, int rc, char *err, size_t errlen, void *arg);
};

struct vm_status {
	char name[NODE_NAME_MAX];
	enum node_kind kind;
	char state[24];   /* running, paused, shutdown, stopped, absent, ... */
	pid_t pid;        /* QEMU, 0 if none */
	bool agent;       /* the guest agent answers (VMs) */
	bool up;	  /* up: a guest's agent answers, a host's namespace exists */
	long created;     /* seconds since the epoch */
	char netns[NODE_NAME_MAX * 2];
};

struct vm_exec_result {
	int exit_code; /* 128 + signal when killed */
	char *out;
	size_t out_len;
	char *err;
	size_t err_len;
	bool timed_out;
};

/* Fills what the node leaves empty, stably from (lab, node, NIC index): NIC
 * names eth0.., MACs 52:54:00:xx:xx:xx, switch port names NODE-IFNAME and
 * vhost-user socket paths in the node directory. Pure apart from reading the
 * run directory setting. 0 or -ENAMETOOLONG. */
int vm_node_defaults(const char *lab, struct node *n);

/* Starts a node (VM: QEMU daemonized, optionally waits for its agent; host:
 * namespace with its veths). Records everything first, so vm_destroy() can
 * undo a half-done start. The kind's port operation (kind.h) says how each
 * NIC plugs into the switch. */
int vm_start(const char *lab, struct node *n, const struct vm_opts *o, char *err, size_t errlen);

/* Starts nodes with at most `workers` (1-16) at a time, in array order;
 * err[i] gets node i's error ("" when it started) and o->node_done, when
 * set, hears of each node as it finishes. Returns 0 when all started, else
 * the first error. */
int vm_start_parallel(const char *lab, struct node *nodes, int n, int workers,
		      const struct vm_opts *o, char (*errs)[256]);

int vm_wait_ready(const char *lab, const char *name, int timeout_ms, char *err, size_t errlen);
/* VM: QMP system_powerdown, then kill after timeout_ms. */
int vm_stop(const char *lab, const char *name, int timeout_ms, char *err, size_t errlen);
/* Kills / removes everything the node's record names, then its directory.
 * 0 also when parts were already gone. */
int vm_destroy(const char *lab, const char *name, char *err, size_t errlen);
int vm_status(const char *lab, const char *name, struct vm_status *st);
int vm_link(const char *lab, const char *name, const char *ifname, bool up, char *err,
	    size_t errlen);
/* Runs argv in the node (PATH searched), capturing output. */
int vm_exec(const char *lab, const char *name, const char *const argv[], int timeout_ms,
	    struct vm_exec_result *out, char *err, size_t errlen);
void vm_exec_result_free(struct vm_exec_result *r);
/* Attaches the terminal to the node's serial console (VM) or runs a shell in
 * its namespace (host). Returns when the user detaches (Ctrl-]). */
int vm_console(const char *lab, const char *name, char *err, size_t errlen);

#endif
