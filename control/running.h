/* What a lab really runs, for `vlab up` and `vlab apply` to plan against
 * instead of the file they ran last: the lab's networks and ports as the
 * switch lists them (network.list, port.list; on the switch a lab's
 * networks are named LAB.NET, its ports LAB.NODE-IFNAME), and its nodes as
 * their records describe them, without those whose QEMU or namespace is
 * gone. Also who else holds a VNI that a lab asks for.
 *
 * Pure: JSON lists and node records in, a model and messages out; no
 * switch, no processes. Runs on the caller's thread. */
#ifndef VLAB_RUNNING_H
#define VLAB_RUNNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "topo.h"

/* Where the switch has the port of a node's NIC (struct running.ports). */
enum running_port {
	RUNNING_PORT_OK,	/* on the switch, in the NIC's network */
	RUNNING_PORT_MISSING,	/* not on the switch */
	RUNNING_PORT_ELSEWHERE, /* on the switch, in another network */
};

struct running {
	/* the lab's networks on the switch (names without "LAB.", their VNIs;
	 * no subnets) and its live nodes as recorded (derived values filled:
	 * interface names, MACs, port names, sockets) */
	struct topo *t;
	uint8_t (*ports)[NODE_MAX_NICS]; /* per t->nodes[i]: enum running_port of NIC k */
	char (*stale)[NODE_NAME_MAX];	 /* the lab's ports on the switch no live node has */
	int n_stale;
};

/* Builds *out for lab `lab` from `nets` and `ports` (the results of
 * network.list and port.list; NULL: empty) and the lab's node records
 * nodes[0..n), of which alive[i] tells whether node i's QEMU or namespace
 * exists; dead ones are left out (the caller removes them). Switch objects
 * of other labs, and networks whose names do not fit a topology, are
 * ignored. Returns 0, -EINVAL, -E2BIG (more live nodes or networks than a
 * topology holds) or -ENOMEM; release with running_free() in every case. */
int running_build(const char *lab, json_t *nets, json_t *ports, const struct node *nodes,
		  const bool *alive, int n, struct running *out);

/* Releases what running_build() made; accepts a zeroed struct. */
void running_free(struct running *r);

/* When the VNI that network `net` of lab `lab` asks for (vni_auto: one
 * assigned automatically) is held on the switch by another network (nets:
 * network.list): 1 with the problem and its fix in msg, e.g. "network red of
 * lab l2 uses VNI 100 of network l1.red: give it another vni: in the
 * topology, or stop lab l1 (vlab down l1)"; 0 when no other network has it
 * (LAB.NET itself may). */
int running_vni_clash(const char *lab, const char *net, uint32_t vni, bool vni_auto, json_t *nets,
		      char *msg, size_t len);

#endif /* VLAB_RUNNING_H */
