/* Datapath snapshot life cycle: build a new `struct sw_dp` from the control
 * thread's networks and ports, publish it, wait for every PMD lcore to pass a
 * quiescent state (rte_rcu_qsbr), then free the old one.
 *
 * Runs on the control thread only. PMD lcores never see a snapshot change
 * under them: they load the pointer once per loop iteration. */
#include <errno.h>

#include <rte_malloc.h>

#include "sw.h"

static void dp_build(const struct sw *sw, struct sw_dp *dp)
{
	uint16_t off = 0;

	for (int p = 0; p < SW_MAX_PORTS; p++)
		dp->port_net[p] = SW_NO_NET;

	for (int n = 0; n < SW_MAX_NETS; n++) {
		dp->net_members[n].off = off;
		dp->net_members[n].n = 0;
		if (!sw->net[n].used)
			continue;
		for (int p = 0; p < SW_MAX_PORTS; p++) {
			const struct sw_port *sp = &sw->port[p];

			if (!sp->used || sp->net != n)
				continue;
			dp->members[off++] = (uint16_t)p;
			dp->net_members[n].n++;
		}
	}

	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];
		unsigned int pmd;

		if (!sp->used)
			continue;
		dp->port_net[p] = sp->net;
		dp->port[p].eth_port = sp->eth_port;
		dp->port[p].n_txq = sp->n_txq;
		dp->port[p].txlock =
			sp->n_txq < sw->n_pmd ? (rte_spinlock_t *)sw->txlock[p] : NULL;
		/* a port's PMD depends on its slot only, so adding or removing
		 * other ports never moves a receive queue to another thread */
		pmd = (unsigned int)p % sw->n_pmd;
		dp->rx[pmd][dp->n_rx[pmd]++] = (uint16_t)p;
	}
}

int sw_dp_publish(struct sw *sw)
{
	struct sw_dp *dp, *old;

	dp = rte_zmalloc("sw_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL)
		return -ENOMEM;
	dp_build(sw, dp);
	old = atomic_exchange_explicit(&sw->dp, dp, memory_order_acq_rel);
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(sw->rcu, RTE_QSBR_THRID_INVALID);
		rte_free(old);
	}
	return 0;
}

void sw_dp_free(struct sw *sw)
{
	struct sw_dp *old = atomic_exchange_explicit(&sw->dp, NULL, memory_order_acq_rel);

	if (old != NULL) {
		rte_rcu_qsbr_synchronize(sw->rcu, RTE_QSBR_THRID_INVALID);
		rte_free(old);
	}
}
