/* Counters, control side: stats and stats.clear.
 *
 * Runs on the control thread. PMD lcores each own their counters and write
 * them without atomics; this file only reads and sums them. Clearing never
 * writes PMD memory: it records a baseline that later reads subtract. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ctl.h"
#include "port.h"
#include "sw.h"

static const char *const drop_names[SW_DROP_MAX] = {
#define SW_DROP_NAME(e, name, desc) [SW_DROP_##e] = name,
	SW_DROP_LIST(SW_DROP_NAME)
#undef SW_DROP_NAME
};

/* PMD totals at the last clear. */
static struct {
	uint64_t busy, idle, packets;
} pmd_base[SW_MAX_PMDS];

const char *sw_drop_name(enum sw_drop d)
{
	return d < SW_DROP_MAX ? drop_names[d] : "?";
}

void sw_port_counters(const struct sw *sw, uint16_t port, struct sw_port_ctr *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		const volatile struct sw_port_ctr *c = &sw->pmd[i]->port[port];

		out->rx_packets += c->rx_packets;
		out->rx_bytes += c->rx_bytes;
		out->tx_packets += c->tx_packets;
		out->tx_bytes += c->tx_bytes;
		for (int d = 0; d < SW_DROP_MAX; d++)
			out->drops[d] += c->drops[d];
	}
	if (sw->port[port].dev != NULL)
		sw->port[port].ops->dev_drops((struct sw_port *)&sw->port[port], out->drops);
}

void sw_net_counters(const struct sw *sw, uint16_t net, struct sw_net_ctr *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		const volatile struct sw_net_ctr *c = &sw->pmd[i]->net[net];

		out->learned += c->learned;
		out->flooded += c->flooded;
	}
}

static json_t *stats_drops(const uint64_t *drops)
{
	json_t *o = json_object();

	for (int d = 0; d < SW_DROP_MAX; d++)
		json_object_set_new(o, drop_names[d], json_integer((json_int_t)drops[d]));
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
	static const char *const keys[] = {NULL};
	static uint32_t macs[SW_MAX_NETS];
	uint64_t total[SW_DROP_MAX] = {0};
	json_t *ports = json_array(), *nets = json_array(), *pmds = json_array();

	if (api_check_keys(params, keys, err)) {
		json_decref(ports);
		json_decref(nets);
		json_decref(pmds);
		return err->code;
	}
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];
		struct sw_port_ctr c;

		if (!sp->used)
			continue;
		sw_port_counters(sw, (uint16_t)p, &c);
		c.rx_packets -= sp->base.rx_packets;
		c.rx_bytes -= sp->base.rx_bytes;
		c.tx_packets -= sp->base.tx_packets;
		c.tx_bytes -= sp->base.tx_bytes;
		for (int d = 0; d < SW_DROP_MAX; d++) {
			c.drops[d] -= sp->base.drops[d];
			total[d] += c.drops[d];
		}
		json_array_append_new(
			ports, json_pack("{s:s,s:I,s:I,s:I,s:I,s:o}", "name", sp->conf.name,
					 "rx_packets", (json_int_t)c.rx_packets, "rx_bytes",
					 (json_int_t)c.rx_bytes, "tx_packets",
					 (json_int_t)c.tx_packets, "tx_bytes",
					 (json_int_t)c.tx_bytes, "drops", stats_drops(c.drops)));
	}

	memset(macs, 0, sizeof(macs));
	fdb_foreach(sw->fdb, -1, net_count_cb, macs);
	for (int n = 0; n < SW_MAX_NETS; n++) {
		const struct sw_net *sn = &sw->net[n];
		struct sw_net_ctr c;

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
		const volatile struct sw_pmd *pmd = sw->pmd[i];
		uint64_t busy = pmd->busy_cycles - pmd_base[i].busy;
		uint64_t idle = pmd->idle_cycles - pmd_base[i].idle;
		uint64_t pkts = pmd->packets - pmd_base[i].packets;

		json_array_append_new(
			pmds, json_pack("{s:i,s:I,s:I,s:I,s:f}", "lcore", (int)pmd->lcore,
					"busy_cycles", (json_int_t)busy, "idle_cycles",
					(json_int_t)idle, "packets", (json_int_t)pkts,
					"cycles_per_packet", pkts ? (double)busy / pkts : 0.0));
	}

	*result = json_pack("{s:o,s:o,s:o,s:o,s:{s:i,s:i},s:I,s:o}", "ports", ports, "networks",
			    nets, "pmds", pmds, "drops", stats_drops(total), "fdb", "entries",
			    (int)fdb_count(sw->fdb), "capacity", (int)fdb_capacity(sw->fdb),
			    "tsc_hz", (json_int_t)rte_get_tsc_hz(), "memory", stats_memory());
	return 0;
}

static int stats_clear(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	static const char *const keys[] = {NULL};

	if (api_check_keys(params, keys, err))
		return err->code;
	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used)
			sw_port_counters(sw, (uint16_t)p, &sw->port[p].base);
	for (int n = 0; n < SW_MAX_NETS; n++)
		if (sw->net[n].used)
			sw_net_counters(sw, (uint16_t)n, &sw->net[n].base);
	for (unsigned int i = 0; i < sw->n_pmd; i++) {
		pmd_base[i].busy = sw->pmd[i]->busy_cycles;
		pmd_base[i].idle = sw->pmd[i]->idle_cycles;
		pmd_base[i].packets = sw->pmd[i]->packets;
	}
	return 0;
}

const struct ctl_method stats_methods[] = {
	{"stats", stats_show, false},
	{"stats.clear", stats_clear, false},
	{NULL, NULL, false},
};
