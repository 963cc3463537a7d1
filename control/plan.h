/* The reconcile planner of `vlab up` / `vlab apply`: compares the topology a
 * lab runs (as the switch and the node records tell it, running.h) with the
 * one it should run and lists, in order, the actions that turn one into the
 * other. Unchanged networks and nodes get no action, so
 * applying a topology leaves them and their traffic untouched; planning a
 * topology against itself gives an empty plan (idempotent `vlab up`).
 *
 * Pure: two models in, a plan out; no processes, no switch. plan_print()
 * only writes to the FILE it is given. Runs on the caller's thread. */
#ifndef VLAB_PLAN_H
#define VLAB_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "topo.h"

/* Most actions plan_diff() gives: every node and network of both topologies
 * (plan_diff_running() adds at most one per NIC of a running node). */
#define PLAN_MAX_ACTIONS (2 * TOPO_MAX_NODES + 2 * TOPO_MAX_NETS)
#define PLAN_WHY_MAX	 160

/* Kinds of actions, in the order a plan performs them. */
enum plan_op {
	PLAN_NODE_DESTROY, /* stop and remove a node of the old topology */
	PLAN_NET_DEL,	   /* delete a network of the old topology from the switch */
	PLAN_NET_ADD,	   /* create a network of the new topology on the switch */
	PLAN_NODE_PLUG,	   /* add again the missing switch port of a running node */
	PLAN_NODE_START,   /* create and start a node of the new topology */
};

struct plan_action {
	enum plan_op op;
	int index;		  /* into old->nodes / old->nets (DESTROY, NET_DEL, PLUG) or
				   * new->nets / new->nodes (NET_ADD, START) */
	int nic;		  /* PLUG: the NIC of old->nodes[index] */
	char name[NODE_NAME_MAX]; /* the node's or network's name */
	char why[PLAN_WHY_MAX];	  /* "new", "removed", "changed: memory 128 -> 256",
				   * "network red changed: vni 10 -> 20", ... */
};

struct plan {
	struct plan_action *a; /* in execution order; allocated by plan_diff() */
	int n;		       /* actions in a[] */
};

/* Plans the way from `old` (what runs; NULL when nothing does) to `new`.
 * Networks and nodes are matched by name. Actions come grouped in this order:
 *  1. destroy nodes that are gone or changed (old order);
 *  2. delete networks that are gone or changed (old order);
 *  3. add networks that are new or changed (new order);
 *  4. (plan_diff_running() only) plug again the missing ports of nodes
 *     that stay (old order);
 *  5. start nodes that are new or changed (new order).
 * A network is changed when its VNI differs (its subnet only matters through
 * the node addresses it yields). A node is changed when its definition
 * differs: kind, cpus, memory, forward, disk, kernel, initrd, append, its
 * routes (in any order) or its interfaces (in order: name, network,
 * addresses, MAC, MTU, link state); or when a network it is attached to is
 * changed or new, so that it gets recreated on the new network. Derived
 * values (switch port names, vhost-user socket paths) are not compared.
 * Returns 0 with *out filled (release it with plan_free()), -EINVAL (new or
 * out NULL, counts out of range; *out is then empty) or -ENOMEM. */
int plan_diff(const struct topo *old, const struct topo *new, struct plan *out);

/* The same, where `old` is what runs and ports[i][k] (NULL: all there)
 * tells where the switch has the port of NIC k of old->nodes[i] (enum
 * running_port: 0 there, 1 missing, 2 in another network): a node that
 * stays gets one PLUG action, after the networks are added, for each NIC
 * whose port is not there ("eth0: switch port l.h1-eth0 is missing"). */
int plan_diff_running(const struct topo *old, const struct topo *new,
		      const uint8_t (*ports)[NODE_MAX_NICS], struct plan *out);

/* Releases the actions of a plan and empties it; accepts NULL. */
void plan_free(struct plan *p);

/* Stable short name of an operation for scripts and JSON: "node-destroy",
 * "net-del", "net-add", "node-plug", "node-start" ("?" for an unknown
 * value). */
const char *plan_op_name(enum plan_op op);

/* Writes one line per action, e.g. "- destroy node r2 (removed)",
 * "- add network red (new)"; nothing for an empty plan. A kind of action
 * with more than `max` actions (max > 0) gets one line instead, with the
 * reasons counted and the first names, e.g. "- start 216 nodes (216 new): h1,
 * h2, h3, h4, h5, h6, h7, h8, ...", so a large lab does not flood the
 * terminal. */
void plan_print(const struct plan *p, FILE *f, int max);

#endif /* VLAB_PLAN_H */
