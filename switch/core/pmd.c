/* PMD lcore loop: the datapath of vlab-switchd.
 *
 * Runs on each PMD lcore. Per iteration: take the current datapath snapshot;
 * for every port assigned to this lcore, receive a burst through the port's
 * backend and run it through the pipeline (pipeline.h): parse the Ethernet
 * header, ingress features, L2 decision, egress features, TX buffers (a
 * stage that needs L3/L4 fields parses them once with pkt_parse_l3l4);
 * then send the buffers
 * and report an RCU quiescent state. No locks (except per-burst TX queue
 * locks when PMDs outnumber a port's queues), no syscalls (except a kernel
 * port's one per burst), no allocation and no logging per packet. When idle
 * it backs off by sleeping, offline for RCU, unless --busy-poll. */
#include <errno.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "fwd.h"
#include "pipeline.h"
#include "sw.h"

/* idle back-off: after this many empty polls, sleep; double up to the max */
#define PMD_IDLE_POLLS   2048
#define PMD_SLEEP_MIN_US 16
#define PMD_SLEEP_MAX_US 1000

struct dp_feature *dp_features[DP_MAX_FEATURES];
unsigned int dp_n_features;

int dp_feature_register(struct dp_feature *f)
{
	if (dp_n_features == DP_MAX_FEATURES)
		return -ENOSPC;
	f->bit = 1u << dp_n_features;
	dp_features[dp_n_features++] = f;
	return 0;
}

/* Egress features of `out`, then its TX buffer. */
static inline void pmd_output(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t out,
			      struct rte_mbuf *m, const struct pkt_meta *meta)
{
	uint32_t feat = dp->port[out].feat_out;

	if (unlikely(feat != 0)) {
		for (unsigned int f = 0; f < dp_n_features; f++)
			if ((feat & dp_features[f]->bit) && dp_features[f]->hook == DP_EGRESS &&
			    dp_features[f]->egress(pmd, dp, out, &m, meta) != 0)
				return;
	}
	txbuf_add(&pmd->tx, dp, pmd->idx, out, m, pmd->port);
}

static inline uint16_t pmd_ingress(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in,
				   struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t feat = dp->port[in].feat_in;

	for (unsigned int f = 0; f < dp_n_features && n > 0; f++)
		if ((feat & dp_features[f]->bit) && dp_features[f]->hook == DP_INGRESS)
			n = dp_features[f]->ingress(pmd, dp, in, pkts, pmd->meta, n);
	return n;
}

/* Sends each decided frame to its output(s) or drops it. */
static void pmd_dispatch(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in, uint16_t net,
			 struct rte_mbuf **pkts, uint16_t n)
{
	struct sw_port_ctr *ictr = &pmd->port[in];
	const uint16_t *members = &dp->members[dp->net_members[net].off];
	uint16_t n_members = dp->net_members[net].n;

	for (uint16_t i = 0; i < n; i++) {
		const struct pkt_meta *m = &pmd->meta[i];
		struct rte_mbuf *mb = pkts[i];

		switch (m->action) {
		case FWD_UNICAST:
			pmd_output(pmd, dp, m->out, mb, m);
			break;
		case FWD_FLOOD: {
			uint16_t k = n_members - (n_members > 0); /* every member but `in` */

			if (unlikely(k == 0)) {
				ctr_add(&ictr->drops[API_DROP_NO_DESTINATION], 1);
				rte_pktmbuf_free(mb);
				break;
			}
			ctr_add(&pmd->net[net].flooded, 1);
			/* every copy shares the buffer until a stage changes one */
			if (k > 1)
				rte_pktmbuf_refcnt_update(mb, (int16_t)(k - 1));
			for (uint16_t j = 0; j < n_members; j++)
				if (members[j] != in)
					pmd_output(pmd, dp, members[j], mb, m);
			break;
		}
		default:
			ctr_add(&ictr->drops[m->reason], 1);
			rte_pktmbuf_free(mb);
			break;
		}
	}
}

static void pmd_process(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in,
			struct rte_mbuf **pkts, uint16_t n, uint32_t now)
{
	struct sw_port_ctr *ictr = &pmd->port[in];
	uint16_t net = dp->port_net[in];
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		bytes += m->pkt_len;
		pkt_parse_l2(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pmd->meta[i]);
		pmd->meta[i].in = in;
	}
	ctr_add(&ictr->rx_packets, n);
	ctr_add(&ictr->rx_bytes, bytes);
	if (unlikely(dp->port[in].feat_in != 0)) {
		n = pmd_ingress(pmd, dp, in, pkts, n);
		if (n == 0)
			return;
	}
	l2_decide(&pmd->l2, pmd->sw->fdb, dp, in, net, pmd->meta, n, now, ictr, &pmd->net[net]);
	pmd_dispatch(pmd, dp, in, net, pkts, n);
}

void pmd_switch(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in, struct rte_mbuf **pkts,
		uint16_t n)
{
	pmd_process(pmd, dp, in, pkts, n,
		    atomic_load_explicit(&pmd->sw->now, memory_order_relaxed));
}

/* Frames the control thread queued for `port` (ARP requests on the VXLAN
 * underlay) join its TX buffer. */
static void pmd_inject(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t port,
		       struct rte_ring *r)
{
	struct rte_mbuf *m[8];
	unsigned int n = rte_ring_dequeue_burst(r, (void **)m, 8, NULL);

	for (unsigned int i = 0; i < n; i++)
		txbuf_add(&pmd->tx, dp, pmd->idx, port, m[i], pmd->port);
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
		uint32_t got = 0;
		uint64_t t;

		if (dp != NULL) {
			uint16_t nrx = dp->n_rx[pmd->idx];

			for (uint16_t r = 0; r < nrx; r++) {
				uint16_t port = dp->rx[pmd->idx][r];
				const struct dp_port *p = &dp->port[port];
				uint16_t n = p->rx(p, sw->pool, pkts, SW_BURST);

				if (unlikely(p->inject != NULL))
					pmd_inject(pmd, dp, port, p->inject);
				if (n == 0)
					continue;
				got += n;
				pmd_process(pmd, dp, port, pkts, n, now);
			}
			if (pmd->tx.n_dirty)
				txbuf_flush(&pmd->tx, dp, pmd->idx, pmd->port);
		}
		rte_rcu_qsbr_quiescent(sw->rcu, pmd->idx);

		t = rte_rdtsc();
		if (got) {
			ctr_add(&pmd->busy_cycles, t - prev);
			ctr_add(&pmd->packets, got);
			idle_polls = 0;
			sleep_us = PMD_SLEEP_MIN_US;
			prev = t;
			continue;
		}
		ctr_add(&pmd->idle_cycles, t - prev);
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
		ctr_add(&pmd->idle_cycles, t - prev);
		prev = t;
	}
	rte_rcu_qsbr_thread_offline(sw->rcu, pmd->idx);
	rte_rcu_qsbr_thread_unregister(sw->rcu, pmd->idx);
	return 0;
}
