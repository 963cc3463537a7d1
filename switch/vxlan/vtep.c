/* Remote VTEPs: vtep.add/del/list, the "vxlan" port backend each VTEP of a
 * network is (see vxlan.h), and what a snapshot holds of VXLAN: per VTEP
 * port its outer headers and whether its next hop is resolved, the
 * (VNI, source) table decapsulation looks frames up in, and the feature
 * bits of the underlay and VTEP ports.
 *
 * Runs on the control thread. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "mac.h"
#include "pipeline.h"
#include "vxlan.h"

/* ---- the port backend ---- */

static int vtep_open(struct sw *sw, uint16_t slot, struct api_err *err)
{
	(void)err;
	return sw->port[slot].dev != NULL ? 0 : -EINVAL;
}

static void vtep_close(struct sw *sw, uint16_t slot)
{
	free(sw->port[slot].dev);
}

/* Sends on the underlay port's queues; never polled. */
static void vtep_fill(const struct sw *sw, const struct sw_port *sp, struct dp_port *dpp)
{
	int u = vx_underlay_slot(sw);
	struct dp_port t = {0};

	(void)sp;
	dpp->rx = NULL;
	dpp->rxq_mask = 0;
	dpp->n_txq = 0;
	dpp->handle = -1;
	if (u < 0)
		return;
	sw->port[u].ops->fill(sw, &sw->port[u], &t);
	dpp->tx = t.tx;
	dpp->dev = t.dev;
	dpp->handle = t.handle;
	dpp->n_txq = t.n_txq;
	memcpy(dpp->txq, t.txq, sizeof(dpp->txq));
	dpp->txlock = t.txlock;
}

static const struct vx_neigh *vtep_neigh(const struct vx_vtep *v)
{
	return vx_neigh_find(vx_next_hop(v->ip));
}

static const char *vtep_link(const struct sw_port *sp)
{
	const struct vx_neigh *e = vtep_neigh(sp->dev);

	if (!vx_ul.set)
		return "down";
	return vx_neigh_usable(e) ? "connected" : "waiting";
}

static void vtep_dev_drops(struct sw_port *sp, uint64_t *drops)
{
	(void)sp;
	(void)drops;
}

static void vtep_status(const struct sw_port *sp, json_t *o)
{
	const struct vx_vtep *v = sp->dev;
	const struct vx_neigh *e = vtep_neigh(v);
	char ip[16];

	vx_format_ip(v->ip, ip, sizeof(ip));
	json_object_set_new(o, "remote", json_string(ip));
	if (vx_next_hop(v->ip)) {
		vx_format_ip(vx_next_hop(v->ip), ip, sizeof(ip));
		json_object_set_new(o, "next_hop", json_string(ip));
	}
	json_object_set_new(o, "neighbor",
			    json_string(e	    ? vx_nstate_name(e->state)
					: vx_ul.set ? "no route (outside the prefix, no gateway)"
						    : "no underlay"));
}

const struct port_ops port_vtep_ops = {
    .type = "vxlan",
    .limit_why = "API_MAX_VTEPS",
    .open = vtep_open,
    .close = vtep_close,
    .fill = vtep_fill,
    .link = vtep_link,
    .dev_drops = vtep_dev_drops,
    .status = vtep_status,
};

/* ---- methods ---- */

static int vtep_find(const struct sw *sw, uint16_t net, uint32_t ip)
{
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];

		if (sp->used && sp->ops == &port_vtep_ops && sp->net == net &&
		    ((const struct vx_vtep *)sp->dev)->ip == ip)
			return p;
	}
	return -1;
}

static unsigned int vtep_count(const struct sw *sw)
{
	unsigned int n = 0;

	for (int p = 0; p < SW_MAX_PORTS; p++)
		n += sw->port[p].used && sw->port[p].ops == &port_vtep_ops;
	return n;
}

/* Network and remote of a vtep.* request. */
static int vtep_args(struct sw *sw, json_t *params, int *net, uint32_t *ip, struct api_err *err)
{
	const char *name, *remote;

	if (api_get_name(params, "network", true, &name, err) ||
	    api_get_str(params, "remote", true, &remote, err) < 0)
		return err->code;
	*net = sw_net_find(sw, name);
	if (*net < 0)
		return api_fail(err, -ENOENT, "network \"%s\" does not exist", name);
	if (vx_parse_ip(remote, ip) < 0)
		return api_fail(err, -EINVAL, "remote \"%s\" is not an IPv4 address", remote);
	if (*ip == 0 || (*ip >> 28) >= 14 || (*ip >> 24) == 127)
		return api_fail(err, -EINVAL, "remote %s is not a unicast address a VTEP can have",
				remote);
	return 0;
}

static json_t *vtep_json(const struct sw *sw, int p)
{
	const struct sw_port *sp = &sw->port[p];
	struct sw_port_totals t;
	json_t *o = json_pack("{s:s,s:s,s:s}", "network", sw->net[sp->net].name, "port",
			      sp->conf.name, "link", vtep_link(sp));

	vtep_status(sp, o);
	sw_port_counters(sw, (uint16_t)p, &t);
	json_object_set_new(o, "macs", json_integer(fdb_port_count(sw->fdb, (uint16_t)p)));
	json_object_set_new(o, "rx_packets",
			    json_integer((json_int_t)(t.rx_packets - sp->base.rx_packets)));
	json_object_set_new(o, "tx_packets",
			    json_integer((json_int_t)(t.tx_packets - sp->base.tx_packets)));
	return o;
}

int vx_vtep_add(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	struct vx_vtep *v;
	struct sw_port *sp;
	char ip[16];
	int net, slot = -1;
	uint32_t remote, gen;

	if (vtep_args(sw, params, &net, &remote, err) < 0)
		return err->code;
	vx_format_ip(remote, ip, sizeof(ip));
	if (vx_ul.set && remote == vx_ul.ip)
		return api_fail(err, -EINVAL, "remote %s is this switch's own underlay address",
				ip);
	if (vtep_find(sw, (uint16_t)net, remote) >= 0)
		return api_fail(err, -EEXIST, "network \"%s\" already has remote VTEP %s",
				sw->net[net].name, ip);
	if (vtep_count(sw) >= API_MAX_VTEPS)
		return api_fail(err, -ENOSPC, "too many remote VTEPs (at most %d per switch)",
				API_MAX_VTEPS);
	for (int p = 0; p < SW_MAX_PORTS && slot < 0; p++)
		if (!sw->port[p].used)
			slot = p;
	if (slot < 0)
		return api_fail(err, -ENOSPC, "too many ports (at most %d per switch)",
				SW_MAX_PORTS);
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return api_fail(err, -ENOMEM, "out of memory");
	v->ip = remote;
	v->net = (uint16_t)net;
	sp = &sw->port[slot];
	gen = sp->gen + 1;
	memset(sp, 0, sizeof(*sp));
	sp->gen = gen;
	sp->ops = &port_vtep_ops;
	sp->net = (uint16_t)net;
	sp->dev = v;
	sp->conf.mac_limit = sw->opts.mac_limit;
	snprintf(sp->conf.name, sizeof(sp->conf.name), "vx-%s-%u", ip, sw->net[net].vni);
	fdb_flush(sw->fdb, -1, slot, true);
	fdb_set_port_limit(sw->fdb, (uint16_t)slot, sp->conf.mac_limit);
	sw_port_counters(sw, (uint16_t)slot, &sp->base);
	sp->used = true;
	sw->n_ports++;
	sw->net[net].n_ports++;
	if (sw_dp_publish(sw) < 0) {
		sp->used = false;
		sw->n_ports--;
		sw->net[net].n_ports--;
		free(v);
		sp->dev = NULL;
		return api_fail(err, -ENOMEM, "out of memory publishing the VTEP");
	}
	vx_tick(sw); /* its next hop is asked for now */
	*result = vtep_json(sw, slot);
	return 0;
}

int vx_vtep_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	uint32_t remote;
	int net, p;

	(void)result;
	if (vtep_args(sw, params, &net, &remote, err) < 0)
		return err->code;
	p = vtep_find(sw, (uint16_t)net, remote);
	if (p < 0)
		return api_fail(err, -ENOENT, "network \"%s\" has no remote VTEP %s",
				sw->net[net].name,
				json_string_value(json_object_get(params, "remote")));
	if (sw_port_remove(sw, p) < 0)
		return api_fail(err, -ENOMEM, "out of memory removing the VTEP; try again");
	return 0;
}

int vx_vtep_list(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name = NULL;
	json_t *arr = json_array();
	int net = -1;

	if (api_get_name(params, "network", false, &name, err) < 0) {
		json_decref(arr);
		return err->code;
	}
	if (name != NULL && (net = sw_net_find(sw, name)) < 0) {
		json_decref(arr);
		return api_fail(err, -ENOENT, "network \"%s\" does not exist", name);
	}
	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used && sw->port[p].ops == &port_vtep_ops &&
		    (net < 0 || sw->port[p].net == net))
			json_array_append_new(arr, vtep_json(sw, p));
	*result = json_pack("{s:o}", "vteps", arr);
	return 0;
}

json_t *vx_vtep_config(const struct sw *sw)
{
	json_t *arr = json_array();
	char ip[16];

	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];

		if (!sp->used || sp->ops != &port_vtep_ops)
			continue;
		vx_format_ip(((const struct vx_vtep *)sp->dev)->ip, ip, sizeof(ip));
		json_array_append_new(
		    arr, json_pack("{s:s,s:s}", "network", sw->net[sp->net].name, "remote", ip));
	}
	return arr;
}

/* ---- snapshots ---- */

static void tab_put(struct vx_snap *s, uint32_t vni, uint32_t ip, uint16_t port)
{
	for (uint32_t i = vx_slot_hash(vni, ip);; i++) {
		struct vx_slot *e = &s->tab[i & s->tab_mask];

		if (!e->used || (e->vni == vni && e->ip == ip)) {
			*e = (struct vx_slot){.vni = vni, .ip = ip, .port = port, .used = true};
			return;
		}
	}
}

void vx_dp_fill(const struct sw *sw, struct sw_dp *dp)
{
	int u = vx_underlay_slot(sw);
	unsigned int n = vtep_count(sw), nets = 0, k = 0;
	struct vx_snap *s;
	uint32_t size = 4;

	dp->feat_mem[VX_FEAT_MEM] = NULL;
	if (u < 0 && n == 0)
		return;
	for (int i = 0; i < SW_MAX_NETS; i++)
		nets += sw->net[i].used;
	while (size < 2 * (n + nets + 1))
		size *= 2;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->tab = calloc(size, sizeof(*s->tab));
	s->ports = calloc(n ? n : 1, sizeof(*s->ports));
	if (s->tab == NULL || s->ports == NULL)
		goto fail;
	s->tab_mask = size - 1;
	s->underlay = u < 0 ? 0 : (uint16_t)u;
	s->ip = vx_ul.ip;
	s->mask = vx_ul.plen ? ~0u << (32 - vx_ul.plen) : 0;
	s->gw = vx_ul.gw;
	s->udp_port = vx_ul.udp_port;
	s->mac = vx_ul.mac;
	s->learn = vx_ul.learn;
	for (int i = 0; i < SW_MAX_NETS; i++)
		if (sw->net[i].used)
			tab_put(s, sw->net[i].vni, 0, (uint16_t)i);
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];
		const struct vx_vtep *v;
		const struct vx_neigh *e;
		struct vx_dp_port *d;

		if (!sp->used || sp->ops != &port_vtep_ops)
			continue;
		v = sp->dev;
		d = &s->ports[k++];
		e = vtep_neigh(v);
		d->enc = (struct vx_encap){.src_mac = vx_ul.mac,
					   .src_ip = vx_ul.ip,
					   .dst_ip = v->ip,
					   .vni = sw->net[sp->net].vni,
					   .dport = vx_ul.udp_port,
					   .ttl = vx_ul.ttl};
		d->resolved = vx_ul.set && vx_neigh_usable(e);
		d->enc.dst_mac = d->resolved ? e->mac : 0;
		d->inner_max = vx_inner_max(vx_ul.mtu);
		vx_encap_build(d->hdr, &d->enc, 0, 0);
		dp->vx[p] = d;
		dp->port[p].feat_out |= vx_feature_encap.bit;
		tab_put(s, d->enc.vni, v->ip, (uint16_t)p);
	}
	if (u >= 0) {
		dp->port[u].feat_in |= vx_feature_decap.bit;
		dp->port[u].inject = vx_ul.inject;
	}
	dp->feat_mem[VX_FEAT_MEM] = s;
	return;
fail:
	/* no VTEP port may send what it would not encapsulate */
	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used && sw->port[p].ops == &port_vtep_ops)
			dp->port[p].n_txq = 0;
	if (s != NULL) {
		free(s->tab);
		free(s->ports);
	}
	free(s);
	RTE_LOG(ERR, USER1, "vxlan: out of memory building the snapshot; VXLAN is off in it\n");
}

void vx_dp_release(struct sw_dp *dp)
{
	struct vx_snap *s = dp->feat_mem[VX_FEAT_MEM];

	if (s != NULL) {
		free(s->tab);
		free(s->ports);
		free(s);
	}
	dp->feat_mem[VX_FEAT_MEM] = NULL;
}
