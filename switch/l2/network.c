/* Networks and the FDB, control side: network.add/del/list and fdb.show/
 * flush/add_static/del_static.
 *
 * Runs on the control thread. Network changes publish a new datapath
 * snapshot; FDB changes go straight to the lock-free FDB. */
#include <errno.h>
#include <string.h>

#include "cap.h"
#include "ctl.h"
#include "mac.h"
#include "port.h"
#include "sw.h"

int sw_net_find(const struct sw *sw, const char *name)
{
	for (int i = 0; i < SW_MAX_NETS; i++)
		if (sw->net[i].used && strcmp(sw->net[i].name, name) == 0)
			return i;
	return -1;
}

static int net_lookup(struct sw *sw, json_t *params, const char *key, struct api_err *err)
{
	const char *name;
	int n;

	if (api_get_name(params, key, true, &name, err))
		return err->code;
	n = sw_net_find(sw, name);
	if (n < 0)
		return api_fail(err, -ENOENT,
				"network \"%s\" does not exist (create it with network.add)", name);
	return n;
}

static int net_add(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name;
	uint64_t vni;
	int slot = -1;

	if (api_get_name(params, "name", true, &name, err) ||
	    api_get_uint(params, "vni", true, 1, API_VNI_MAX, &vni, err))
		return err->code;
	if (sw_net_find(sw, name) >= 0)
		return api_fail(err, -EEXIST, "network \"%s\" already exists", name);
	for (int i = 0; i < SW_MAX_NETS; i++) {
		if (sw->net[i].used && sw->net[i].vni == vni)
			return api_fail(err, -EEXIST,
					"VNI %llu is already used by network \"%s\"; pick another",
					(unsigned long long)vni, sw->net[i].name);
		if (!sw->net[i].used && slot < 0)
			slot = i;
	}
	if (slot < 0)
		return api_fail(err, -ENOSPC, "too many networks (at most %d)", SW_MAX_NETS);

	memset(&sw->net[slot], 0, sizeof(sw->net[slot]));
	snprintf(sw->net[slot].name, sizeof(sw->net[slot].name), "%s", name);
	sw->net[slot].vni = (uint32_t)vni;
	sw_net_counters(sw, (uint16_t)slot, &sw->net[slot].base);
	sw->net[slot].used = true;
	if (sw_dp_publish(sw) < 0) {
		sw->net[slot].used = false;
		return api_fail(err, -ENOMEM, "out of memory publishing the new network");
	}
	return 0;
}

static int net_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *pname;
	int n;

	n = net_lookup(sw, params, "name", err);
	if (n < 0)
		return n;
	for (int p = 0; sw->net[n].n_ports > 0 && p < SW_MAX_PORTS; p++)
		if (sw->port[p].used && sw->port[p].net == n)
			return api_fail(err, -EBUSY,
					"network \"%s\" still has port \"%s\"; delete its ports first",
					sw->net[n].name, sw->port[p].conf.name);
	if (sw_port_unrestored_in(sw, (uint16_t)n, &pname))
		return api_fail(err, -EBUSY,
				"network \"%s\" still has port \"%s\" (saved, not restored at "
				"start); delete it first",
				sw->net[n].name, pname);
	sw->net[n].used = false;
	cap_net_gone(sw, n, CAP_NET_GONE); /* its recorder ends; captures stop covering it */
	if (sw_dp_publish(sw) < 0) {
		sw->net[n].used = true;
		cap_net_gone(sw, n, CAP_NET_KEPT);
		return api_fail(err, -ENOMEM, "out of memory removing network \"%s\"; try again",
				sw->net[n].name);
	}
	cap_net_gone(sw, n, CAP_NET_DONE);
	fdb_flush(sw->fdb, n, -1, true);
	return 0;
}

static void net_count_cb(const struct fdb_entry_view *e, void *arg)
{
	((uint32_t *)arg)[e->net]++;
}

static int net_list(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	static uint32_t macs[SW_MAX_NETS];
	static json_t *ports[SW_MAX_NETS];
	json_t *arr;

	memset(macs, 0, sizeof(macs));
	fdb_foreach(sw->fdb, -1, net_count_cb, macs);
	/* one pass over the ports, then one over the networks */
	memset(ports, 0, sizeof(ports));
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];

		if (!sp->used)
			continue;
		if (ports[sp->net] == NULL)
			ports[sp->net] = json_array();
		json_array_append_new(ports[sp->net], json_string(sp->conf.name));
	}
	arr = json_array();
	for (int n = 0; n < SW_MAX_NETS; n++) {
		if (!sw->net[n].used)
			continue;
		json_array_append_new(arr, json_pack("{s:s,s:i,s:o,s:i}", "name", sw->net[n].name,
						     "vni", (int)sw->net[n].vni, "ports",
						     ports[n] ? ports[n] : json_array(), "macs",
						     (int)macs[n]));
	}
	*result = arr;
	return 0;
}

struct fdb_show_ctx {
	const struct sw *sw;
	json_t *arr;
	uint32_t now;
};

static void fdb_show_cb(const struct fdb_entry_view *e, void *arg)
{
	struct fdb_show_ctx *ctx = arg;
	char mac[18];

	uint8_t b[6];

	mac_from_u64(e->mac, b);
	mac_format(b, mac);
	json_array_append_new(
		ctx->arr,
		json_pack("{s:s,s:s,s:b,s:i}", "mac", mac, "port",
			  ctx->sw->port[e->port].used ? ctx->sw->port[e->port].conf.name : "?",
			  "static", e->is_static, "age",
			  e->is_static ? 0 : (int)(ctx->now - e->seen)));
}

static int fdb_show(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	struct fdb_show_ctx ctx = {.sw = sw, .now = atomic_load(&sw->now)};
	int n;

	n = net_lookup(sw, params, "network", err);
	if (n < 0)
		return n;
	ctx.arr = json_array();
	fdb_foreach(sw->fdb, n, fdb_show_cb, &ctx);
	*result = ctx.arr;
	return 0;
}

static int fdb_flush_req(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	int n = -1, p = -1;
	const char *name;

	if (json_object_get(params, "network") != NULL) {
		n = net_lookup(sw, params, "network", err);
		if (n < 0)
			return n;
	}
	if (json_object_get(params, "port") != NULL) {
		if (api_get_name(params, "port", true, &name, err))
			return err->code;
		p = sw_port_find(sw, name);
		if (p < 0)
			return api_fail(err, -ENOENT, "port \"%s\" does not exist", name);
	}
	*result = json_pack("{s:i}", "flushed", (int)fdb_flush(sw->fdb, n, p, false));
	return 0;
}

/* Parses network + mac (and port when `want_port`) of a static entry request. */
static int fdb_static_args(struct sw *sw, json_t *params, bool want_port, int *net,
			   uint64_t *mac, int *port, struct api_err *err)
{
	const char *s;

	*net = net_lookup(sw, params, "network", err);
	if (*net < 0)
		return *net;
	if (api_get_str(params, "mac", true, &s, err))
		return err->code;
	uint8_t b[6];

	if (mac_parse(s, b) < 0)
		return api_fail(err, -EINVAL, "\"%.40s\" is not a MAC address (aa:bb:cc:dd:ee:ff)",
				s);
	*mac = mac_to_u64(b);
	if (fdb_mac_is_multicast(*mac) || *mac == 0)
		return api_fail(err, -EINVAL, "%s is a multicast or zero MAC: it cannot be a "
				"static entry", s);
	if (!want_port)
		return 0;
	if (api_get_name(params, "port", true, &s, err))
		return err->code;
	*port = sw_port_find(sw, s);
	if (*port < 0)
		return api_fail(err, -ENOENT, "port \"%s\" does not exist", s);
	if (sw->port[*port].net != *net)
		return api_fail(err, -EINVAL, "port \"%s\" is in network \"%s\", not \"%s\"", s,
				sw->net[sw->port[*port].net].name, sw->net[*net].name);
	return 0;
}

static int fdb_add_static_req(struct sw *sw, json_t *params, json_t **result,
			      struct api_err *err)
{
	uint64_t mac;
	int n, p;

	if (fdb_static_args(sw, params, true, &n, &mac, &p, err))
		return err->code;
	int rc = fdb_add_static(sw->fdb, (uint16_t)n, mac, (uint16_t)p);

	if (rc == -ENOSPC)
		return api_fail(err, -ENOSPC, "the FDB is full (raise --fdb-size)");
	if (rc < 0)
		return api_fail(err, rc, "cannot add the static entry now (%s); try again",
				strerror(-rc));
	return 0;
}

static int fdb_del_static_req(struct sw *sw, json_t *params, json_t **result,
			      struct api_err *err)
{
	uint64_t mac;
	int n, p;

	if (fdb_static_args(sw, params, false, &n, &mac, &p, err))
		return err->code;
	if (fdb_del_static(sw->fdb, (uint16_t)n, mac) < 0)
		return api_fail(err, -ENOENT, "no static entry for %s in network \"%s\"",
				json_string_value(json_object_get(params, "mac")),
				sw->net[n].name);
	return 0;
}

const struct ctl_method network_methods[] = {
	{"network.add", net_add},
	{"network.del", net_del},
	{"network.list", net_list},
	{"fdb.show", fdb_show},
	{"fdb.flush", fdb_flush_req},
	{"fdb.add_static", fdb_add_static_req},
	{"fdb.del_static", fdb_del_static_req},
	{NULL, NULL},
};
