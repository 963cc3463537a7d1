/* Datapath snapshot life cycle: build a new `struct sw_dp` from the control
 * thread's networks and ports, publish it, wait for every PMD lcore to pass a
 * quiescent state (rte_rcu_qsbr), then free the old one.
 *
 * Features add their own state to a snapshot as it is built (fill hooks)
 * and free it with the snapshot (release hooks).
 *
 * Runs on the control thread only. PMD lcores never see a snapshot change
 * under them: they load the pointer once per loop iteration. */
#include <errno.h>
#include <string.h>

#include <rte_malloc.h>

#include "pipeline.h"
#include "port.h"
#include "sw.h"

static void dp_build(const struct sw *sw, struct sw_dp *dp)
{
	static uint16_t count[SW_MAX_NETS];
	uint16_t off = 0;

	memset(count, 0, sizeof(count));
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		dp->port_net[p] = SW_NO_NET;
		if (sw->port[p].used)
			count[sw->port[p].net]++;
	}
	for (int n = 0; n < SW_MAX_NETS; n++) {
		dp->net_members[n].off = off;
		dp->net_members[n].n = 0;
		if (sw->net[n].used)
			off += count[n];
	}
	/* members in slot order; a port's PMD depends on its slot only, so adding
	 * or removing other ports never moves a receive queue to another thread */
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];
		unsigned int pmd = (unsigned int)p % sw->n_pmd;
		uint16_t n = sp->net;

		if (!sp->used)
			continue;
		dp->members[dp->net_members[n].off + dp->net_members[n].n++] = (uint16_t)p;
		dp->port_net[p] = n;
		sp->ops->fill(sw, sp, &dp->port[p]);
		dp->port[p].learn = sp->conf.mac_limit != 0;
		if (dp->port[p].rxq_mask != 0) /* a port without a peer is not polled */
			dp->rx[pmd][dp->n_rx[pmd]++] = (uint16_t)p;
	}
}

/* Frees a snapshot no PMD can see any more, and what features hang on it. */
static void dp_release(struct sw_dp *dp)
{
	for (unsigned int f = 0; f < dp_n_features; f++)
		if (dp_features[f]->release)
			dp_features[f]->release(dp);
	rte_free(dp);
}

int sw_dp_publish(struct sw *sw)
{
	struct sw_dp *dp, *old;

	dp = rte_zmalloc("sw_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL)
		return -ENOMEM;
	dp_build(sw, dp);
	for (unsigned int f = 0; f < dp_n_features; f++)
		if (dp_features[f]->fill)
			dp_features[f]->fill(sw, dp);
	old = atomic_exchange_explicit(&sw->dp, dp, memory_order_acq_rel);
	if (old != NULL) {
		rte_rcu_qsbr_synchronize(sw->rcu, RTE_QSBR_THRID_INVALID);
		dp_release(old);
	}
	return 0;
}

void sw_dp_free(struct sw *sw)
{
	struct sw_dp *old = atomic_exchange_explicit(&sw->dp, NULL, memory_order_acq_rel);

	if (old != NULL) {
		rte_rcu_qsbr_synchronize(sw->rcu, RTE_QSBR_THRID_INVALID);
		dp_release(old);
	}
}
