/* Node kinds behind one table of operations. A kind (a QEMU guest, a
 * network-namespace host) says how its nodes start, stop, plug into the
 * switch, run commands, report their state and are destroyed, and which
 * node settings apply to it; vmhost's life cycle (vm.c), the topology
 * parser, the planner and the CLI ask the table instead of testing the kind.
 * A new kind is one file (kind_KIND.c) plus its entry in kind.c and its
 * value in enum node_kind.
 *
 * The table and the descriptive fields are constant data, readable from any
 * thread. Operations run on the caller's thread; start and the node's other
 * operations may run on vm_start_parallel()'s workers, one node per worker. */
#ifndef VLAB_KIND_H
#define VLAB_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab.h"
#include "node.h"
#include "vm.h"

/* Node settings that only some kinds have (kind_ops.features). */
enum kind_feature {
	KIND_CPUS = 1u << 0,   /* cpus */
	KIND_MEMORY = 1u << 1, /* memory */
	KIND_BOOT = 1u << 2,   /* disk, kernel, initrd, append */
	KIND_QUEUES = 1u << 3, /* queues of a NIC */
};

/* A node an operation works on: its record and its state directory. */
struct kind_node {
	const char *lab;
	const char *name;
	char dir[NODE_PATH_MAX]; /* the node's directory (lab_node_dir()) */
	bool recorded;		 /* n and rec hold its record; false: none readable */
	struct node n;
	struct lab_record rec;
};

/* How NIC i of a node plugs into the switch: a port of `type` whose
 * parameter `key` is `value` (e.g. vhost-user, path, the QEMU socket). */
struct kind_port {
	const char *type;
	const char *key;
	char value[NODE_PATH_MAX];
};

struct kind_ops {
	const char *name;      /* "vm": in topology files, records, JSON and options */
	const char *what;      /* "QEMU guest": the kind explained */
	const char *noun;      /* "guest": "16 guests", "node r1 is a guest" */
	const char *nic_noun;  /* "veth": what its NICs are */
	const char *up_state;  /* the state a node that is up reports ("ready") */
	unsigned int features; /* enum kind_feature */
	int start_order;       /* kinds of lower order start first (quicker ones) */
	bool plug_first;       /* its switch ports are added before it starts (else after) */
	bool agent;	       /* has a guest agent (status shows AGENT) */
	bool host_neighbours;  /* uses the host kernel's neighbour (ARP) tables */
	bool graph_rounded;    /* drawn with rounded corners by `vlab graph` */

	/* Fills what the kind derives for a node whose state lives in `dir`
	 * (vhost-user socket paths); NULL when nothing. Pure. 0 or -errno. */
	int (*defaults)(const char *dir, struct node *n);
	/* Checks what the kind needs from a node before anything is made for
	 * it. Pure. 0 or -EINVAL with err naming the field (without the node). */
	int (*check)(const struct node *n, char *err, size_t errlen);
	/* The switch port of NIC i of a node of lab `lab`. Pure. 0 or -errno. */
	int (*port)(const char *lab, const struct node *n, int i, struct kind_port *p);
	/* Once before nodes[0..n) (all of this kind) start in parallel: work
	 * they share (the guest image); may be NULL. */
	void (*prepare)(const struct node *nodes, int n, const struct vm_opts *o);
	/* Makes and starts the node k->n (recorded already); records what it
	 * makes before making it. 0 or -errno with err filled. */
	int (*start)(struct kind_node *k, const struct vm_opts *o, char *err, size_t errlen);
	/* Waits until a started node is ready; NULL: ready once started. */
	int (*wait_ready)(struct kind_node *k, int timeout_ms, char *err, size_t errlen);
	/* Stops the node, leaving it for a later start; NULL: the kind has no
	 * stop. */
	int (*stop)(struct kind_node *k, int timeout_ms, char *err, size_t errlen);
	/* Removes everything made for the node, but not its directory; also
	 * when parts are gone, and with k->recorded false (whatever is found
	 * without a record). 0 or -errno with err filled. */
	int (*destroy)(struct kind_node *k, char *err, size_t errlen);
	/* Fills st->state, pid, agent and up (name, kind, created, netns are
	 * filled by the caller). */
	void (*status)(struct kind_node *k, struct vm_status *st);
	/* Sets the link of NIC `nic` up or down. */
	int (*link)(struct kind_node *k, int nic, bool up, char *err, size_t errlen);
	/* Runs argv (PATH searched) in the node, output captured. */
	int (*exec)(struct kind_node *k, const char *const argv[], int timeout_ms,
		    struct vm_exec_result *out, char *err, size_t errlen);
	/* Attaches the terminal to the node until the user detaches. */
	int (*console)(struct kind_node *k, char *err, size_t errlen);
};

/* The kind of a node, or NULL for a value outside the table. */
const struct kind_ops *kind_of(enum node_kind k);
/* The kind named `name`, or NULL; *k (may be NULL) gets its value. */
const struct kind_ops *kind_find(const char *name, enum node_kind *k);
/* Kinds in table order: i from 0 while kind_at(i) is not NULL. */
const struct kind_ops *kind_at(int i, enum node_kind *k);
/* kind_of(k)->name, or "?". */
const char *kind_name(enum node_kind k);
/* The kinds for a message, e.g. "vm or host", with `quote` around each name
 * ("\"vm\" or \"host\"") and, when `explain`, their `what` ("vm (QEMU
 * guest) or host (network namespace)"); only kinds with every feature of
 * `features` (0: all kinds). Returns buf. */
const char *kind_list(char *buf, size_t len, const char *quote, bool explain,
		      unsigned int features);

/* Stable 32-bit hash of (lab, node, index), for derived names and MACs. */
uint32_t kind_hash(const char *lab, const char *node, int index);

#endif /* VLAB_KIND_H */
