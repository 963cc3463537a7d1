/* Forwarding decision; see fwd.h. Runs on PMD lcores, once per packet. */
#include "fwd.h"

#define ETHER_HDR_LEN 14

void fwd_decide(struct fdb *fdb, const uint16_t *port_net, uint16_t net, uint16_t in_port,
		uint64_t dst, uint64_t src, uint32_t len, uint32_t now, struct fwd_result *res)
{
	int out;

	res->learn_event = false;
	if (__builtin_expect(len < ETHER_HDR_LEN, 0)) {
		res->action = FWD_DROP;
		res->reason = SW_DROP_RUNT;
		return;
	}
	if (__builtin_expect(fdb_mac_is_multicast(src), 0)) {
		res->action = FWD_DROP;
		res->reason = SW_DROP_SRC_MULTICAST;
		return;
	}
	if (__builtin_expect(src == 0, 0)) {
		res->action = FWD_DROP;
		res->reason = SW_DROP_SRC_ZERO;
		return;
	}

	res->learn = fdb_learn(fdb, net, src, in_port, now);
	res->learn_event = res->learn != FDB_LEARN_REFRESHED;

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
		res->reason = SW_DROP_SAME_PORT;
		return;
	}
	res->action = FWD_UNICAST;
	res->port = (uint16_t)out;
}

uint16_t fwd_flood_set(const uint16_t *members, uint16_t n, uint16_t in_port, uint16_t *out)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++)
		if (members[i] != in_port)
			out[k++] = members[i];
	return k;
}
