/* The datapath snapshot: everything a PMD lcore needs to move packets (which
 * ports it polls, how to receive from and send on each, which network each is
 * in, flood sets, feature masks), and the limits that size it.
 *
 * Built by the control thread (dp.c), published with RCU, immutable once
 * published; PMD lcores load the pointer once per loop iteration. */
#ifndef VLAB_DP_H
#define VLAB_DP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "schema.h"
#include "fdb.h"

#define SW_MAX_PORTS FDB_MAX_PORTS /* port indexes are 0..SW_MAX_PORTS-1 */
#define SW_MAX_NETS  FDB_MAX_NETS
#define SW_MAX_PMDS  16
#define SW_NAME_MAX  32 /* including the NUL */
#define SW_BURST     32
#define SW_NO_NET    0xffff
#define DP_MAX_FEAT_MEM 4

struct cap_port_taps;
struct pol_port;
struct vx_dp_port;
struct rte_ring;

struct dp_port;

/* Receives up to `n` packets into `pkts` (buffers from `mp`); returns how many.
 * Runs on the one PMD that polls the port. */
typedef uint16_t (*port_rx_fn)(const struct dp_port *p, struct rte_mempool *mp,
			       struct rte_mbuf **pkts, uint16_t n);
/* Sends up to `n` packets on queue `q`; returns how many it took (and now
 * owns). The caller frees the rest. A queue is used by one PMD at a time. */
typedef uint16_t (*port_tx_fn)(const struct dp_port *p, uint16_t q, struct rte_mbuf **pkts,
			       uint16_t n);

/* What a PMD needs of one port, filled in by the port's backend. */
struct dp_port {
	port_rx_fn rx;
	port_tx_fn tx;
	void *dev;                 /* the backend's state */
	int32_t handle;            /* backend handle (vhost vid, ethdev port id); -1: no peer */
	uint16_t n_txq;            /* queues in txq[] use; 0: cannot send now */
	uint64_t rxq_mask;         /* receive queues to poll (bit i: queue i) */
	uint16_t txq[SW_MAX_PMDS]; /* queue PMD i sends on */
	rte_spinlock_t *txlock;    /* per-queue locks when PMDs share a queue, else NULL */
	uint32_t feat_in;          /* ingress features switched on (bit per dp_feature) */
	uint32_t feat_out;         /* egress features switched on */
	bool learn;                /* learn source MACs (false: mac_limit 0) */
	struct rte_ring *inject;   /* frames the control thread sends on the port, or NULL */
};

/* A counter written by one thread (a PMD) and read by others: relaxed atomic
 * loads and stores, never a locked read-modify-write. */
struct sw_ctr {
	_Atomic uint64_t v;
};

static inline void ctr_add(struct sw_ctr *c, uint64_t n)
{
	atomic_store_explicit(&c->v, atomic_load_explicit(&c->v, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t ctr_get(const struct sw_ctr *c)
{
	return atomic_load_explicit(&c->v, memory_order_relaxed);
}

/* Counters of one port kept by one PMD. */
struct sw_port_ctr {
	struct sw_ctr rx_packets;
	struct sw_ctr rx_bytes;
	struct sw_ctr tx_packets;
	struct sw_ctr tx_bytes;
	struct sw_ctr drops[API_DROP_MAX];   /* frames lost, by reason */
	struct sw_ctr events[API_EVENT_MAX]; /* not losses (the frame went on), by reason */
};

/* Their sums over the PMDs, and baselines (control thread). */
struct sw_port_totals {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[API_DROP_MAX];
	uint64_t events[API_EVENT_MAX];
};

/* The snapshot. Outputs of the forwarding decision are port indexes today;
 * members[] lists a network's outputs in flood order. */
struct sw_dp {
	uint16_t port_net[SW_MAX_PORTS]; /* network of each port, SW_NO_NET if none */
	struct dp_port port[SW_MAX_PORTS];
	uint16_t n_rx[SW_MAX_PMDS]; /* ports each PMD polls */
	uint16_t rx[SW_MAX_PMDS][SW_MAX_PORTS];
	struct {
		uint16_t off, n;
	} net_members[SW_MAX_NETS]; /* slice of members[] per network */
	uint16_t members[SW_MAX_PORTS];
	/* per-port state of features that need more than their bit: the
	 * capture taps of a port (switch/capture/tap.c), or NULL */
	const struct cap_port_taps *tap[SW_MAX_PORTS];
	/* the policies of a port (switch/policy/), or NULL */
	const struct pol_port *pol[SW_MAX_PORTS];
	/* a remote VTEP's outer headers (switch/vxlan/), or NULL: not a VTEP */
	const struct vx_dp_port *vx[SW_MAX_PORTS];
	void *feat_mem[DP_MAX_FEAT_MEM]; /* what features' fill hooks allocated */
};

#endif
