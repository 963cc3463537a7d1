/* The forwarding decision for one Ethernet frame: learn its source, then send it
 * to one port, flood it inside its network, or drop it with a reason.
 *
 * Pure: takes the frame's addresses, the FDB and a view of which network each
 * port is in; no EAL, no I/O. Called per packet by PMD lcores and directly by
 * unit tests. */
#ifndef VLAB_FWD_H
#define VLAB_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "schema.h"
#include "fdb.h"

#define FWD_NO_NET	  0xffff
#define FWD_ETHER_HDR_LEN 14

enum fwd_action {
	FWD_UNICAST,
	FWD_FLOOD,
	FWD_DROP,
};

struct fwd_result {
	enum fwd_action action;
	uint16_t port;	     /* FWD_UNICAST: output port */
	enum api_drop reason; /* FWD_DROP: why */
	enum fdb_learn_result learn;
	bool learn_event; /* a MAC learning event to count, with `learn` */
};

/* Decides for a frame of `len` bytes with `dst`/`src` (48-bit MACs) received on
 * `in_port` of network `net`. `port_net[p]` is the network of port p, or
 * FWD_NO_NET when p does not exist (an FDB entry pointing at a port outside the
 * frame's network is ignored, so a frame never leaves its network). The source
 * is learned unless `learn` is false (the caller saw the same source on this
 * port within the same second: the entry is fresh already). */
static inline void fwd_decide(struct fdb *fdb, const uint16_t *port_net, uint16_t net,
			      uint16_t in_port, uint64_t dst, uint64_t src, uint32_t len,
			      uint32_t now, bool learn, struct fwd_result *res)
{
	int out;

	res->learn_event = false;
	res->learn = FDB_LEARN_REFRESHED;
	if (__builtin_expect(len < FWD_ETHER_HDR_LEN, 0)) {
		res->action = FWD_DROP;
		res->reason = API_DROP_RUNT;
		return;
	}
	if (__builtin_expect(fdb_mac_is_multicast(src), 0)) {
		res->action = FWD_DROP;
		res->reason = API_DROP_SRC_MULTICAST;
		return;
	}
	if (__builtin_expect(src == 0, 0)) {
		res->action = FWD_DROP;
		res->reason = API_DROP_SRC_ZERO;
		return;
	}

	if (learn) {
		res->learn = fdb_learn(fdb, net, src, in_port, now);
		res->learn_event = res->learn != FDB_LEARN_REFRESHED;
	}

	if (fdb_mac_is_multicast(dst)) {
		res->action = FWD_FLOOD;
		return;
	}
	out = fdb_lookup(fdb, net, dst);
	if (out < 0 || port_net[out] != net) {
		res->action = FWD_FLOOD;
		return;
	}
	if (out == in_port) {
		res->action = FWD_DROP;
		res->reason = API_DROP_SAME_PORT;
		return;
	}
	res->action = FWD_UNICAST;
	res->port = (uint16_t)out;
}

/* The flood set: members of the network except `in_port`. Writes to `out`
 * (room for n entries) and returns how many. */
uint16_t fwd_flood_set(const uint16_t *members, uint16_t n, uint16_t in_port, uint16_t *out);

#endif
