/* Expected reachability for `vlab pingall`: from the topology alone, which
 * node should answer a ping from which other node on which address. The
 * controller pings every cell of reach_matrix() and reports the cells where
 * the lab disagrees with the expectation.
 *
 * Model (IPv4 only; IPv6 addresses are not in the matrix):
 *  - direct: the source has an interface with an IPv4 address on the same
 *    network (same network name: two networks with the same subnet are still
 *    isolated) as the destination interface holding the address;
 *  - routed, one router hop at most: a node R with forward: true has
 *    interfaces on the source's network Ns and on the destination's network
 *    Nd; the source's best route to the address (longest prefix; "default" is
 *    /0) goes via an address of R on Ns, and the destination's best route back
 *    to the source's address on Ns goes via an address of R on Nd. Chains of
 *    routers are not followed: declare them with `expect:`. When the next hop
 *    is an address of the destination itself on Ns, it answers (any of its
 *    addresses, as Linux does) and no route back is needed;
 *  - interfaces with link_down carry nothing (neither for the source, the
 *    destination nor the router);
 *  - policies (t->policies, docs/policy.md): a pair the topology connects
 *    is reachable when every frame of the exchange passes the policies on
 *    its path (polreach.h: ARP, the probe and its reply, stateful rules
 *    letting replies back); for pingall the probe is a ping, with
 *    `--tcp`/`--udp` a connection or a datagram to a port;
 *  - then the `expect:` entries override the computed value (see
 *    reach_expected()).
 *
 * Pure: reads a model; no processes, no sockets. Runs on the caller's thread. */
#ifndef VLAB_REACH_H
#define VLAB_REACH_H

#include <stdbool.h>

#include "polreach.h"
#include "topo.h"

/* What the matrix probes with. */
struct reach_probe {
	enum polreach_probe kind; /* ICMP echo (pingall's default), TCP, UDP */
	uint16_t port;		  /* TCP/UDP destination port */
};

/* One ping of the matrix: src_node pings addr, held by dst_node's dst_nic. */
struct reach_cell {
	int src_node;		  /* index into t->nodes */
	int src_nic;		  /* interface src would send from, -1 when none */
	int dst_node;		  /* index into t->nodes */
	int dst_nic;		  /* index into nodes[dst_node].nics */
	char addr[NODE_ADDR_MAX]; /* plain address, e.g. "10.0.0.2" */
	bool expect;		  /* ping expected to succeed */
	bool overridden;	  /* expect comes from an `expect:` entry */
	bool policy_out;	  /* the policy was met leaving the switch */
	uint8_t frame;		  /* enum polreach_frame it stopped */
	int8_t policy_nic;	  /* ... towards / from this interface */
	int16_t policy_node;	  /* ... of this node */
	int16_t policy;		  /* index into t->policies of one that stops the
				   * exchange, -1: none does */
	int32_t rule;		  /* its rule (from 0), -1: its default */
};

/* Whether node src_node should reach `dst_addr` (plain "10.0.0.2"; a CIDR
 * "10.0.0.2/24" is accepted too), an address of node dst_node. False when
 * dst_node holds no such address or an index is out of range; true when src
 * and dst are the same node and it holds the address.
 *
 * `expect:` entries override the computed value. FROM is NODE (any source
 * interface) or NODE:IFNAME (the interface the source sends from: the one on
 * the destination's network, else the one of its route's next hop); TO is
 * NODE (any of its addresses) or NODE:IFNAME (the addresses of that
 * interface). The most specific matching entry wins (an IFNAME counts in
 * FROM and in TO); among equally specific ones, the last in the file. */
bool reach_expected(const struct topo *t, int src_node, int dst_node, const char *dst_addr);

/* Fills the matrix: for every node as source, every other node, each of its
 * interfaces and each IPv4 address on it, one cell (in that order), leaving
 * out addresses the source holds itself (isolated tenants may reuse them) and
 * unreachable copies of an address that the source reaches on another node
 * (the ping would be answered there, so it cannot tell them apart). Fills at
 * most `max` cells (cells may be NULL when max is 0) and returns the number
 * of cells of the whole matrix, so a caller can size the array; -EINVAL when
 * t is NULL or max is negative, -ENOMEM. The matrix of n nodes has about
 * n * (n - 1) cells: a million at TOPO_MAX_NODES; the work per cell does not
 * grow with the lab (addresses and routers are indexed first). */
int reach_matrix(const struct topo *t, struct reach_cell *cells, int max);

/* The whole matrix in a new array (free() it) in *cells; returns the number
 * of cells, or -EINVAL / -ENOMEM with *cells NULL. */
int reach_matrix_alloc(const struct topo *t, struct reach_cell **cells);

/* The same for another probe than a ping (probe NULL: a ping). -EINVAL also
 * when a policy's rules do not parse. */
int reach_matrix_probe(const struct topo *t, const struct reach_probe *probe,
		       struct reach_cell *cells, int max);
int reach_matrix_alloc_probe(const struct topo *t, const struct reach_probe *probe,
			     struct reach_cell **cells);

#endif /* VLAB_REACH_H */
