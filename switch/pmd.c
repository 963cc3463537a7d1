/* PMD lcore loop: the datapath of vlab-switchd.
 *
 * Runs on each PMD lcore. Per iteration: take the current datapath snapshot,
 * receive a burst from every port assigned to this lcore, decide per packet
 * (fwd_decide: learn, then unicast / flood / drop), buffer packets per output
 * port, send the buffers, then report an RCU quiescent state. No locks (except
 * per-burst TX queue locks when PMDs outnumber a port's TX queues), no
 * syscalls, no allocation and no logging per packet. When idle it backs off by
 * sleeping, offline for RCU, unless --busy-poll. */
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "fwd.h"
#include "sw.h"

/* idle back-off: after this many empty polls, sleep; double up to the max */
#define PMD_IDLE_POLLS    2048
#define PMD_SLEEP_MIN_US  16
#define PMD_SLEEP_MAX_US  1000

static inline void pmd_tx_enqueue(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t port,
				  struct rte_mbuf *m);

static void pmd_tx_flush_port(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t port)
{
	struct sw_txbuf *tb = &pmd->tx[port];
	const struct sw_dp_port *dpp = &dp->port[port];
	struct sw_port_ctr *ctr = &pmd->port[port];
	uint16_t n = tb->n, sent, q;
	uint64_t bytes = 0;

	tb->n = 0;
	if (n == 0)
		return;
	if (dp->port_net[port] == SW_NO_NET) {
		/* the port went away while packets were buffered for it */
		ctr->drops[SW_DROP_TX_FAILED] += n;
		rte_pktmbuf_free_bulk(tb->pkts, n);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		bytes += tb->pkts[i]->pkt_len;
	q = pmd->idx % dpp->n_txq;
	if (dpp->txlock != NULL) {
		rte_spinlock_lock(&dpp->txlock[q]);
		sent = rte_eth_tx_burst(dpp->eth_port, q, tb->pkts, n);
		rte_spinlock_unlock(&dpp->txlock[q]);
	} else {
		sent = rte_eth_tx_burst(dpp->eth_port, q, tb->pkts, n);
	}
	if (unlikely(sent < n)) {
		for (uint16_t i = sent; i < n; i++)
			bytes -= tb->pkts[i]->pkt_len;
		ctr->drops[SW_DROP_TX_FAILED] += n - sent;
		rte_pktmbuf_free_bulk(&tb->pkts[sent], n - sent);
	}
	ctr->tx_packets += sent;
	ctr->tx_bytes += bytes;
}

static inline void pmd_tx_enqueue(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t port,
				  struct rte_mbuf *m)
{
	struct sw_txbuf *tb = &pmd->tx[port];

	if (tb->n == 0)
		pmd->dirty[pmd->n_dirty++] = port;
	else if (unlikely(tb->n == SW_BURST))
		pmd_tx_flush_port(pmd, dp, port); /* the port stays in dirty[] */
	tb->pkts[tb->n++] = m;
}

static void pmd_tx_flush(struct sw_pmd *pmd, const struct sw_dp *dp)
{
	for (uint16_t i = 0; i < pmd->n_dirty; i++)
		pmd_tx_flush_port(pmd, dp, pmd->dirty[i]);
	pmd->n_dirty = 0;
}

/* Reads the destination and source MACs as 48-bit integers. */
static inline void pmd_macs(const struct rte_mbuf *m, uint64_t *dst, uint64_t *src)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t a, b;

	memcpy(&a, p, 8);
	memcpy(&b, p + 6, 8);
	*dst = rte_be_to_cpu_64(a) >> 16;
	*src = rte_be_to_cpu_64(b) >> 16;
}

static void pmd_process(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in_port,
			struct rte_mbuf **pkts, uint16_t n, uint32_t now, uint32_t *genp)
{
	struct sw *sw = pmd->sw;
	struct sw_port_ctr *ictr = &pmd->port[in_port];
	uint16_t net = dp->port_net[in_port];
	const uint16_t *members = &dp->members[dp->net_members[net].off];
	uint16_t n_members = dp->net_members[net].n;
	struct sw_net_ctr *nctr = &pmd->net[net];
	uint32_t gen = *genp;
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct fwd_result res;
		uint64_t dst = 0, src = 0;
		uint32_t len = m->data_len;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		if (likely(len >= 14))
			pmd_macs(m, &dst, &src);
		bool learn = src != pmd->learnt[in_port].src || now != pmd->learnt[in_port].now ||
			     gen != pmd->learnt[in_port].gen;

		/* a valid source learned this second, to the destination decided last */
		if (!learn && dst == pmd->last[in_port].dst && gen == pmd->last[in_port].gen) {
			pmd_tx_enqueue(pmd, dp, pmd->last[in_port].out, m);
			continue;
		}
		fwd_decide(sw->fdb, dp->port_net, net, in_port, dst, src, len, now, learn, &res);
		if (learn && res.action != FWD_DROP &&
		    (res.learn == FDB_LEARN_REFRESHED || res.learn == FDB_LEARN_NEW ||
		     res.learn == FDB_LEARN_MOVED)) {
			pmd->learnt[in_port].src = src;
			pmd->learnt[in_port].now = now;
			pmd->learnt[in_port].gen = gen;
		}
		if (unlikely(res.learn_event)) {
			if (res.learn == FDB_LEARN_MOVED) /* cached decisions may point at the old port */
				gen = *genp = fdb_generation(sw->fdb);
			if (res.learn == FDB_LEARN_NEW || res.learn == FDB_LEARN_MOVED)
				nctr->learned++;
			else if (res.learn == FDB_LEARN_LIMIT)
				ictr->drops[SW_DROP_MAC_LIMIT]++;
			else if (res.learn == FDB_LEARN_FULL)
				ictr->drops[SW_DROP_FDB_FULL]++;
		}
		switch (res.action) {
		case FWD_UNICAST:
			pmd->last[in_port].dst = dst;
			pmd->last[in_port].gen = gen;
			pmd->last[in_port].out = res.port;
			pmd_tx_enqueue(pmd, dp, res.port, m);
			break;
		case FWD_FLOOD: {
			uint16_t out[SW_MAX_PORTS];
			uint16_t k = fwd_flood_set(members, n_members, in_port, out);

			if (unlikely(k == 0)) {
				ictr->drops[SW_DROP_NO_DESTINATION]++;
				rte_pktmbuf_free(m);
				break;
			}
			nctr->flooded++;
			/* every copy shares the mbuf: the TX side only reads it */
			if (k > 1)
				rte_pktmbuf_refcnt_update(m, (int16_t)(k - 1));
			for (uint16_t j = 0; j < k; j++)
				pmd_tx_enqueue(pmd, dp, out[j], m);
			break;
		}
		case FWD_DROP:
			ictr->drops[res.reason]++;
			rte_pktmbuf_free(m);
			break;
		}
	}
	ictr->rx_packets += n;
	ictr->rx_bytes += bytes;
}

static void pmd_sleep(unsigned int us)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)us * 1000};

	nanosleep(&ts, NULL);
}

int sw_pmd_main(void *arg)
{
	struct sw_pmd *pmd = arg;
	struct sw *sw = pmd->sw;
	struct rte_mbuf *pkts[SW_BURST];
	unsigned int idle_polls = 0, sleep_us = PMD_SLEEP_MIN_US;
	uint64_t prev = rte_rdtsc();

	rte_rcu_qsbr_thread_register(sw->rcu, pmd->idx);
	rte_rcu_qsbr_thread_online(sw->rcu, pmd->idx);

	while (!sw->quit) {
		const struct sw_dp *dp = atomic_load_explicit(&sw->dp, memory_order_acquire);
		uint32_t now = atomic_load_explicit(&sw->now, memory_order_relaxed);
		uint32_t gen = fdb_generation(sw->fdb);
		uint32_t got = 0;
		uint64_t t;

		if (dp != NULL) {
			uint16_t nrx = dp->n_rx[pmd->idx];

			for (uint16_t r = 0; r < nrx; r++) {
				uint16_t port = dp->rx[pmd->idx][r];
				uint16_t n = rte_eth_rx_burst(dp->port[port].eth_port, 0, pkts,
							      SW_BURST);

				if (n == 0)
					continue;
				got += n;
				pmd_process(pmd, dp, port, pkts, n, now, &gen);
			}
			if (pmd->n_dirty)
				pmd_tx_flush(pmd, dp);
		}
		rte_rcu_qsbr_quiescent(sw->rcu, pmd->idx);

		t = rte_rdtsc();
		if (got) {
			pmd->busy_cycles += t - prev;
			pmd->packets += got;
			idle_polls = 0;
			sleep_us = PMD_SLEEP_MIN_US;
			prev = t;
			continue;
		}
		pmd->idle_cycles += t - prev;
		prev = t;
		if (sw->opts.busy_poll || ++idle_polls < PMD_IDLE_POLLS)
			continue;
		/* idle: sleep outside the RCU read side so the control thread never waits */
		rte_rcu_qsbr_thread_offline(sw->rcu, pmd->idx);
		pmd_sleep(sleep_us);
		rte_rcu_qsbr_thread_online(sw->rcu, pmd->idx);
		if (sleep_us < PMD_SLEEP_MAX_US)
			sleep_us *= 2;
		t = rte_rdtsc();
		pmd->idle_cycles += t - prev;
		prev = t;
	}
	rte_rcu_qsbr_thread_offline(sw->rcu, pmd->idx);
	rte_rcu_qsbr_thread_unregister(sw->rcu, pmd->idx);
	return 0;
}
