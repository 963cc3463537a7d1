/* Counters, control side: stats and stats.clear.
 *
 * Runs on the control thread. PMD lcores each own their counters and write
 * them with relaxed atomic stores; this file reads them with relaxed loads
 * and sums them. Clearing never writes PMD memory: it records a baseline
 * that later reads subtract. Drops (frames lost) and events (frames that
 * went on, e.g. a source not learned) are reported apart. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ctl.h"
#include "port.h"
#include "sw.h"

/* PMD totals at the last clear. */
static struct {
	uint64_t busy, idle, packets;
} pmd_base[SW_MAX_PMDS];

void sw_port_counters(const struct sw *sw, uint16_t port, struct sw_port_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		const struct sw_port_ctr *c = &sw->pmd[i]->port[port];

		out->rx_packets += ctr_get(&c->rx_packets);
		out->rx_bytes += ctr_get(&c->rx_bytes);
		out->tx_packets += ctr_get(&c->tx_packets);
		out->tx_bytes += ctr_get(&c->tx_bytes);
		for (int d = 0; d < API_DROP_MAX; d++)
			out->drops[d] += ctr_get(&c->drops[d]);
		for (int e = 0; e < API_EVENT_MAX; e++)
			out->events[e] += ctr_get(&c->events[e]);
	}
	if (sw->port[port].dev != NULL)
		sw->port[port].ops->dev_drops((struct sw_port *)&sw->port[port], out->drops);
}

void sw_net_counters(const struct sw *sw, uint16_t net, struct sw_net_totals *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		const struct sw_net_ctr *c = &sw->pmd[i]->net[net];

		out->learned += ctr_get(&c->learned);
		out->flooded += ctr_get(&c->flooded);
	}
}

/* {"reason": count, ...} for the n reasons of `names`. */
static json_t *stats_reasons(const struct api_reason *names, int n, const uint64_t *counts)
{
	json_t *o = json_object();

	for (int i = 0; i < n; i++)
		json_object_set_new(o, names[i].name, json_integer((json_int_t)counts[i]));
	return o;
}

/* What the switch holds: resident memory (RSS, including the mapped kernel
 * rings of af-packet ports) and the DPDK heap in hugepages (packet buffers,
 * snapshots, port state). */
static json_t *stats_memory(void)
{
	struct rte_malloc_socket_stats ms;
	unsigned long pages = 0, resident = 0;
	uint64_t heap_total = 0, heap_used = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	for (unsigned int s = 0; s < rte_socket_count(); s++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &ms) == 0) {
			heap_total += ms.heap_totalsz_bytes;
			heap_used += ms.heap_allocsz_bytes;
		}
	return json_pack("{s:I,s:I,s:I}", "rss_bytes",
			 (json_int_t)resident * (json_int_t)sysconf(_SC_PAGESIZE), "hugepage_bytes",
			 (json_int_t)heap_total, "hugepage_used_bytes", (json_int_t)heap_used);
}

static void net_count_cb(const struct fdb_entry_view *e, void *arg)
{
	((uint32_t *)arg)[e->net]++;
}

static int stats_show(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	static uint32_t macs[SW_MAX_NETS];
	uint64_t total[API_DROP_MAX] = {0}, total_ev[API_EVENT_MAX] = {0};
	json_t *ports = json_array(), *nets = json_array(), *pmds = json_array();

	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];
		struct sw_port_totals c;

		if (!sp->used)
			continue;
		sw_port_counters(sw, (uint16_t)p, &c);
		c.rx_packets -= sp->base.rx_packets;
		c.rx_bytes -= sp->base.rx_bytes;
		c.tx_packets -= sp->base.tx_packets;
		c.tx_bytes -= sp->base.tx_bytes;
		for (int d = 0; d < API_DROP_MAX; d++) {
			c.drops[d] -= sp->base.drops[d];
			total[d] += c.drops[d];
		}
		for (int e = 0; e < API_EVENT_MAX; e++) {
			c.events[e] -= sp->base.events[e];
			total_ev[e] += c.events[e];
		}
		json_array_append_new(
			ports,
			json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:o}", "name", sp->conf.name, "rx_packets",
				  (json_int_t)c.rx_packets, "rx_bytes", (json_int_t)c.rx_bytes,
				  "tx_packets", (json_int_t)c.tx_packets, "tx_bytes",
				  (json_int_t)c.tx_bytes, "drops",
				  stats_reasons(api_drops, API_DROP_MAX, c.drops), "events",
				  stats_reasons(api_events, API_EVENT_MAX, c.events)));
	}

	memset(macs, 0, sizeof(macs));
	fdb_foreach(sw->fdb, -1, net_count_cb, macs);
	for (int n = 0; n < SW_MAX_NETS; n++) {
		const struct sw_net *sn = &sw->net[n];
		struct sw_net_totals c;

		if (!sn->used)
			continue;
		sw_net_counters(sw, (uint16_t)n, &c);
		json_array_append_new(
			nets, json_pack("{s:s,s:i,s:i,s:I,s:I}", "name", sn->name, "vni",
					(int)sn->vni, "macs", (int)macs[n], "learned",
					(json_int_t)(c.learned - sn->base.learned), "flooded",
					(json_int_t)(c.flooded - sn->base.flooded)));
	}

	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		const struct sw_pmd *pmd = sw->pmd[i];
		uint64_t busy = ctr_get(&pmd->busy_cycles) - pmd_base[i].busy;
		uint64_t idle = ctr_get(&pmd->idle_cycles) - pmd_base[i].idle;
		uint64_t pkts = ctr_get(&pmd->packets) - pmd_base[i].packets;

		json_array_append_new(
			pmds, json_pack("{s:i,s:I,s:I,s:I,s:f}", "lcore", (int)pmd->lcore,
					"busy_cycles", (json_int_t)busy, "idle_cycles",
					(json_int_t)idle, "packets", (json_int_t)pkts,
					"cycles_per_packet", pkts ? (double)busy / pkts : 0.0));
	}

	*result = json_pack("{s:o,s:o,s:o,s:o,s:o,s:{s:i,s:i},s:I,s:o}", "ports", ports,
			    "networks", nets, "pmds", pmds, "drops",
			    stats_reasons(api_drops, API_DROP_MAX, total), "events",
			    stats_reasons(api_events, API_EVENT_MAX, total_ev), "fdb", "entries",
			    (int)fdb_count(sw->fdb), "capacity", (int)fdb_capacity(sw->fdb),
			    "tsc_hz", (json_int_t)rte_get_tsc_hz(), "memory", stats_memory());
	return 0;
}

static int stats_clear(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{

	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used)
			sw_port_counters(sw, (uint16_t)p, &sw->port[p].base);
	for (int n = 0; n < SW_MAX_NETS; n++)
		if (sw->net[n].used)
			sw_net_counters(sw, (uint16_t)n, &sw->net[n].base);
	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		pmd_base[i].busy = ctr_get(&sw->pmd[i]->busy_cycles);
		pmd_base[i].idle = ctr_get(&sw->pmd[i]->idle_cycles);
		pmd_base[i].packets = ctr_get(&sw->pmd[i]->packets);
	}
	return 0;
}

const struct ctl_method stats_methods[] = {
	{"stats", stats_show},
	{"stats.clear", stats_clear},
	{NULL, NULL},
};
