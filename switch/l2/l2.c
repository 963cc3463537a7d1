/* The L2 forwarding stage; see l2.h. Runs on PMD lcores, per burst: no
 * locks, no allocation, no syscalls. */
#include "l2.h"

#include <rte_prefetch.h>

#include "fwd.h"
#include "sw.h"

/* True when the frame needs no FDB access: its source was learned on this
 * port this second and its destination is the one decided last. */
static inline bool l2_cached(const struct l2_pmd *l2, uint16_t in, const struct pkt_meta *m,
			     uint32_t now, uint32_t gen)
{
	return m->src == l2->learnt[in].src && now == l2->learnt[in].now &&
	       gen == l2->learnt[in].gen && m->dst == l2->last[in].dst &&
	       gen == l2->last[in].gen;
}

#define L2_PREFETCH_AHEAD 8 /* frames */

static inline void l2_prefetch(const struct l2_pmd *l2, const struct fdb *fdb, uint16_t in,
			       uint16_t net, const struct pkt_meta *m, uint32_t now, uint32_t gen)
{
	if (l2_cached(l2, in, m, now, gen) || (m->flags & PKT_F_RUNT))
		return;
	rte_prefetch0(fdb_bucket(fdb, net, m->src));
	if (!fdb_mac_is_multicast(m->dst))
		rte_prefetch0(fdb_bucket(fdb, net, m->dst));
}

void l2_decide(struct l2_pmd *l2, struct fdb *fdb, const struct sw_dp *dp, uint16_t in,
	       uint16_t net, struct pkt_meta *meta, uint16_t n, uint32_t now,
	       struct sw_port_ctr *ictr, struct sw_net_ctr *nctr)
{
	uint32_t gen = fdb_generation(fdb);

	/* load the FDB buckets of frames the caches will not serve a few frames
	 * ahead of deciding them, so that their cache misses overlap (a few
	 * ahead, not the whole burst: too many misses at once stall) */
	for (uint16_t i = 0; i < n && i < L2_PREFETCH_AHEAD; i++)
		l2_prefetch(l2, fdb, in, net, &meta[i], now, gen);
	for (uint16_t i = 0; i < n; i++) {
		struct pkt_meta *m = &meta[i];
		struct fwd_result res;
		bool learn;

		if (i + L2_PREFETCH_AHEAD < n)
			l2_prefetch(l2, fdb, in, net, &meta[i + L2_PREFETCH_AHEAD], now, gen);

		/* the cached output must still be in the frame's network: the
		 * FDB generation tracks entries, not the snapshot's ports */
		if (l2_cached(l2, in, m, now, gen) && dp->port_net[l2->last[in].out] == net) {
			m->action = FWD_UNICAST;
			m->out = l2->last[in].out;
			continue;
		}
		learn = dp->port[in].learn && (m->src != l2->learnt[in].src || now != l2->learnt[in].now ||
			gen != l2->learnt[in].gen);
		fwd_decide(fdb, dp->port_net, net, in, m->dst, m->src, m->len, now, learn, &res);
		if (learn && res.action != FWD_DROP &&
		    (res.learn == FDB_LEARN_REFRESHED || res.learn == FDB_LEARN_NEW ||
		     res.learn == FDB_LEARN_MOVED)) {
			l2->learnt[in].src = m->src;
			l2->learnt[in].now = now;
			l2->learnt[in].gen = gen;
		}
		if (unlikely(res.learn_event)) {
			if (res.learn == FDB_LEARN_MOVED) /* cached decisions may point at the old port */
				gen = fdb_generation(fdb);
			if (res.learn == FDB_LEARN_NEW || res.learn == FDB_LEARN_MOVED)
				ctr_add(&nctr->learned, 1);
			else if (res.learn == FDB_LEARN_LIMIT)
				ctr_add(&ictr->events[API_EVENT_MAC_LIMIT], 1);
			else if (res.learn == FDB_LEARN_FULL)
				ctr_add(&ictr->events[API_EVENT_FDB_FULL], 1);
		}
		m->action = (uint8_t)res.action;
		if (res.action == FWD_UNICAST) {
			l2->last[in].dst = m->dst;
			l2->last[in].gen = gen;
			l2->last[in].out = res.port;
			m->out = res.port;
		} else if (res.action == FWD_DROP) {
			m->reason = (uint8_t)res.reason;
		}
	}
}
