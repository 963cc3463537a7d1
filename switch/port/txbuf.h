/* TX buffering: packets a PMD decided to send wait in a per-port buffer and
 * go out as one burst per port at the end of the PMD's loop iteration (or
 * when a buffer fills).
 *
 * Runs on PMD lcores; each PMD has its own txbuf_set. No locks, except the
 * port's per-queue lock when PMDs outnumber the port's queues (taken once per
 * burst). */
#ifndef VLAB_TXBUF_H
#define VLAB_TXBUF_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "dp.h"

struct txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[SW_BURST];
};

struct txbuf_set {
	struct txbuf q[SW_MAX_PORTS];
	uint16_t dirty[SW_MAX_PORTS]; /* ports with a non-empty buffer */
	uint16_t n_dirty;
};

/* Sends what is buffered for `port`; counts sent packets and bytes, and
 * drops by reason, in ctr[port]. */
static inline void txbuf_flush_port(struct txbuf_set *ts, const struct sw_dp *dp,
				    unsigned int pmd_idx, uint16_t port, struct sw_port_ctr *ctr)
{
	struct txbuf *tb = &ts->q[port];
	const struct dp_port *p = &dp->port[port];
	struct sw_port_ctr *c = &ctr[port];
	uint16_t n = tb->n, sent, q;
	uint64_t bytes = 0;

	tb->n = 0;
	if (n == 0)
		return;
	if (unlikely(p->n_txq == 0)) {
		ctr_add(&c->drops[dp->port_net[port] == SW_NO_NET ? API_DROP_TX_FAILED
								  : API_DROP_LINK_DOWN],
			n);
		rte_pktmbuf_free_bulk(tb->pkts, n);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		bytes += tb->pkts[i]->pkt_len;
	q = p->txq[pmd_idx];
	if (p->txlock != NULL) {
		rte_spinlock_lock(&p->txlock[q]);
		sent = p->tx(p, q, tb->pkts, n);
		rte_spinlock_unlock(&p->txlock[q]);
	} else {
		sent = p->tx(p, q, tb->pkts, n);
	}
	if (unlikely(sent < n)) {
		for (uint16_t i = sent; i < n; i++)
			bytes -= tb->pkts[i]->pkt_len;
		ctr_add(&c->drops[API_DROP_TX_FAILED], n - sent);
		rte_pktmbuf_free_bulk(&tb->pkts[sent], n - sent);
	}
	ctr_add(&c->tx_packets, sent);
	ctr_add(&c->tx_bytes, bytes);
}

/* Buffers `m` for `port`, sending the buffer first when it is full. */
static inline void txbuf_add(struct txbuf_set *ts, const struct sw_dp *dp, unsigned int pmd_idx,
			     uint16_t port, struct rte_mbuf *m, struct sw_port_ctr *ctr)
{
	struct txbuf *tb = &ts->q[port];

	if (tb->n == 0)
		ts->dirty[ts->n_dirty++] = port;
	else if (unlikely(tb->n == SW_BURST))
		txbuf_flush_port(ts, dp, pmd_idx, port, ctr); /* the port stays in dirty[] */
	tb->pkts[tb->n++] = m;
}

/* Sends every non-empty buffer. */
static inline void txbuf_flush(struct txbuf_set *ts, const struct sw_dp *dp, unsigned int pmd_idx,
			       struct sw_port_ctr *ctr)
{
	for (uint16_t i = 0; i < ts->n_dirty; i++)
		txbuf_flush_port(ts, dp, pmd_idx, ts->dirty[i], ctr);
	ts->n_dirty = 0;
}

#endif
