/* Ports, control side: port.add/del/list, and the life cycle of each port
 * through its backend (port.h): checked parameters -> backend open -> visible
 * to PMDs with the next snapshot; on removal, out of the snapshot first, then
 * the backend closes the device once no PMD can use it.
 *
 * Runs on the control thread. */
#include "port.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <rte_log.h>

#include "ctl.h"

_Static_assert(SW_MAX_PORTS == API_MAX_PORTS, "the schema states the switch's port limit");
_Static_assert(SW_MAX_NETS == API_MAX_NETS, "the schema states the switch's network limit");

static const struct port_ops *const port_types[] = {
	&port_vhost_ops, &port_tap_ops,  &port_afpacket_ops,
	&port_ring_ops,  &port_null_ops, &port_pcap_ops,
};

#define PORT_N_TYPES (sizeof(port_types) / sizeof(port_types[0]))

const struct port_ops *port_ops_find(const char *type)
{
	for (size_t i = 0; i < PORT_N_TYPES; i++)
		if (strcmp(port_types[i]->type, type) == 0)
			return port_types[i];
	return NULL;
}

int sw_port_find(const struct sw *sw, const char *name)
{
	for (int i = 0; i < SW_MAX_PORTS; i++)
		if (sw->port[i].used && strcmp(sw->port[i].conf.name, name) == 0)
			return i;
	return -1;
}

void port_assign_txq(const struct sw *sw, struct dp_port *dpp, uint16_t n_queues,
		     const uint16_t *queues, rte_spinlock_t *locks)
{
	dpp->n_txq = n_queues;
	dpp->txlock = NULL;
	if (n_queues == 0)
		return;
	for (unsigned int i = 0; i < sw->n_pmd; i++)
		dpp->txq[i] = queues[i % n_queues];
	if (n_queues < sw->n_pmd)
		dpp->txlock = locks;
}

/* Configuration of a port, as port.add takes it (and the state file keeps it). */
json_t *sw_port_config(const struct sw *sw, const struct sw_port *sp)
{
	const struct sw_port_conf *c = &sp->conf;
	json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "name", c->name, "type", sp->ops->type,
			      "network", sw->net[sp->net].name, "mac_limit", (int)c->mac_limit);

	if (sp->ops == &port_vhost_ops) {
		json_object_set_new(o, "path", json_string(c->path));
		json_object_set_new(o, "mode", json_string(c->server ? "server" : "client"));
	}
	if (c->iface[0])
		json_object_set_new(o, "iface", json_string(c->iface));
	if (c->devargs[0])
		json_object_set_new(o, "devargs", json_string(c->devargs));
	return o;
}

static bool port_is_kernel(const struct port_ops *ops)
{
	return ops == &port_tap_ops || ops == &port_afpacket_ops;
}

static bool port_is_ethdev(const struct port_ops *ops)
{
	return ops == &port_ring_ops || ops == &port_null_ops || ops == &port_pcap_ops;
}

/* Reads and checks the parameters of port.add into `sp`. */
static int port_parse(struct sw *sw, json_t *params, struct sw_port *sp, struct api_err *err)
{
	const char *name, *type, *net, *path = NULL, *mode = NULL, *iface = NULL,
				       *devargs = NULL;
	struct sw_port_conf *c = &sp->conf;
	uint64_t limit = sw->opts.mac_limit;
	int n;

	if (api_get_name(params, "name", true, &name, err) ||
	    api_get_str(params, "type", true, &type, err) < 0 ||
	    api_get_name(params, "network", true, &net, err) ||
	    api_get_str(params, "path", false, &path, err) < 0 ||
	    api_get_str(params, "mode", false, &mode, err) < 0 ||
	    api_get_str(params, "iface", false, &iface, err) < 0 ||
	    api_get_str(params, "devargs", false, &devargs, err) < 0 ||
	    api_get_uint(params, "mac_limit", false, 0, API_MAC_LIMIT_MAX, &limit,
			 err) < 0)
		return err->code;

	memset(sp, 0, sizeof(*sp));
	snprintf(c->name, sizeof(c->name), "%s", name);
	sp->ops = port_ops_find(type);
	if (sp->ops == NULL)
		return api_fail(err, -EINVAL,
				"port \"%s\": unknown type \"%.32s\" (vhost-user, tap, af-packet, "
				"ring, null, pcap)",
				name, type);
	n = sw_net_find(sw, net);
	if (n < 0)
		return api_fail(err, -ENOENT,
				"port \"%s\": network \"%s\" does not exist (create it first)",
				name, net);
	sp->net = (uint16_t)n;
	c->mac_limit = (uint32_t)limit;

	if (sp->ops != &port_vhost_ops && (path != NULL || mode != NULL))
		return api_fail(err, -EINVAL,
				"port \"%s\": \"path\" and \"mode\" are for vhost-user ports only",
				name);
	if (!port_is_kernel(sp->ops) && iface != NULL)
		return api_fail(err, -EINVAL,
				"port \"%s\": \"iface\" is for tap and af-packet ports only", name);
	if (!port_is_ethdev(sp->ops) && devargs != NULL)
		return api_fail(err, -EINVAL,
				"port \"%s\": \"devargs\" is for ring, null and pcap ports only",
				name);

	if (sp->ops == &port_vhost_ops) {
		if (path == NULL || path[0] == '\0')
			return api_fail(err, -EINVAL,
					"port \"%s\": vhost-user needs \"path\", the socket", name);
		if (strlen(path) >= sizeof(c->path) || strchr(path, ','))
			return api_fail(err, -EINVAL,
					"port \"%s\": socket path must be shorter than %zu bytes "
					"and contain no comma",
					name, sizeof(c->path));
		if (mode != NULL && strcmp(mode, "client") && strcmp(mode, "server"))
			return api_fail(err, -EINVAL,
					"port \"%s\": mode must be \"client\" or \"server\", not "
					"\"%.16s\"",
					name, mode);
		snprintf(c->path, sizeof(c->path), "%s", path);
		c->server = mode != NULL && strcmp(mode, "server") == 0;
	} else if (port_is_kernel(sp->ops)) {
		if (iface == NULL && sp->ops == &port_afpacket_ops)
			return api_fail(err, -EINVAL,
					"port \"%s\": af-packet needs \"iface\", an existing "
					"interface",
					name);
		if (iface == NULL)
			iface = name;
		if (strlen(iface) == 0 || strlen(iface) >= IFNAMSIZ || !api_name_ok(iface))
			return api_fail(err, -EINVAL,
					"port \"%s\": interface name \"%.32s\" is not valid (1-15 "
					"characters)",
					name, iface);
		if (sp->ops == &port_afpacket_ops && if_nametoindex(iface) == 0)
			return api_fail(err, -ENOENT, "port \"%s\": interface \"%s\" does not exist",
					name, iface);
		if (sp->ops == &port_tap_ops && if_nametoindex(iface) != 0)
			return api_fail(err, -EEXIST,
					"port \"%s\": interface \"%s\" already exists; pick another "
					"iface",
					name, iface);
		snprintf(c->iface, sizeof(c->iface), "%s", iface);
	} else {
		if (sp->ops == &port_pcap_ops && (devargs == NULL || devargs[0] == '\0'))
			return api_fail(err, -EINVAL,
					"port \"%s\": pcap needs \"devargs\", e.g. "
					"rx_pcap=in.pcap,tx_pcap=out.pcap",
					name);
		if (devargs != NULL && strlen(devargs) >= sizeof(c->devargs))
			return api_fail(err, -EINVAL, "port \"%s\": devargs too long", name);
		snprintf(c->devargs, sizeof(c->devargs), "%s", devargs ? devargs : "");
	}

	for (int i = 0; i < SW_MAX_PORTS; i++) {
		const struct sw_port *o = &sw->port[i];

		if (!o->used)
			continue;
		if (strcmp(o->conf.name, name) == 0)
			return api_fail(err, -EEXIST, "port \"%s\" already exists", name);
		if (sp->ops == &port_vhost_ops && o->ops == &port_vhost_ops &&
		    strcmp(o->conf.path, c->path) == 0)
			return api_fail(err, -EEXIST,
					"port \"%s\": socket %s is already used by port \"%s\"",
					name, c->path, o->conf.name);
		if (c->iface[0] && strcmp(o->conf.iface, c->iface) == 0)
			return api_fail(err, -EEXIST,
					"port \"%s\": interface %s is already used by port \"%s\"",
					name, c->iface, o->conf.name);
	}
	return 0;
}

static json_t *port_status(const struct sw *sw, const struct sw_port *sp, int idx)
{
	json_t *o = sw_port_config(sw, sp);

	json_object_set_new(o, "macs", json_integer(fdb_port_count(sw->fdb, (uint16_t)idx)));
	json_object_set_new(o, "link", json_string(sp->ops->link(sp)));
	if (sp->ops->status != NULL)
		sp->ops->status(sp, o);
	return o;
}

/* Takes the saved static FDB entries of port `name` out of the kept ones:
 * restored on the port when `restore`, else forgotten. */
static void port_take_statics(struct sw *sw, const char *name, bool restore)
{
	json_t *arr = sw->unrestored_static;

	for (size_t i = 0; i < json_array_size(arr);) {
		json_t *e = json_array_get(arr, i);
		struct api_err err = {0};
		json_t *result = NULL;

		if (strcmp(json_string_value(json_object_get(e, "port")) ?: "", name) != 0) {
			i++;
			continue;
		}
		if (restore && ctl_call(sw, "fdb.add_static", e, &result, &err) < 0)
			RTE_LOG(ERR, USER1, "port \"%s\": saved static entry not restored: %s\n",
				name, err.msg);
		json_decref(result);
		json_array_remove(arr, i);
	}
}

/* Forgets a saved port of that name that could not be restored at start;
 * its saved static entries are restored (`restore`, the port is back) or
 * forgotten with it. */
static bool port_forget_unrestored(struct sw *sw, const char *name, bool restore)
{
	json_t *arr = sw->unrestored;
	size_t i;
	json_t *p;

	json_array_foreach(arr, i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", name) == 0) {
			json_array_remove(arr, i);
			port_take_statics(sw, name, restore);
			return true;
		}
	}
	return false;
}

bool sw_port_unrestored_in(const struct sw *sw, uint16_t net, const char **name)
{
	size_t i;
	json_t *p;

	json_array_foreach((json_t *)sw->unrestored, i, p)
	{
		const char *n = json_string_value(json_object_get(p, "network"));

		if (n && sw->net[net].used && !strcmp(n, sw->net[net].name)) {
			*name = json_string_value(json_object_get(p, "name"));
			return true;
		}
	}
	return false;
}

/* A free slot, or -ENOSPC with the limit that was hit in `err`. */
static int port_slot(const struct sw *sw, const struct port_ops *ops, struct api_err *err)
{
	const struct api_port_type *type = api_port_type_find(ops->type);
	unsigned int same = 0;
	int slot = -1;

	for (int i = 0; i < SW_MAX_PORTS; i++) {
		if (!sw->port[i].used) {
			if (slot < 0)
				slot = i;
		} else if (sw->port[i].ops == ops) {
			same++;
		}
	}
	if (slot < 0)
		return api_fail(err, -ENOSPC, "too many ports (at most %d per switch)",
				SW_MAX_PORTS);
	if (type->limit && same >= type->limit)
		return api_fail(err, -ENOSPC, "too many %s ports (at most %u per switch: %s)",
				ops->type, type->limit, ops->limit_why);
	return slot;
}

static int port_add(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	struct sw_port np;
	int slot, rc;
	uint32_t gen;

	rc = port_parse(sw, params, &np, err);
	if (rc < 0)
		return rc;
	slot = port_slot(sw, np.ops, err);
	if (slot < 0)
		return slot;

	gen = sw->port[slot].gen + 1;
	sw->port[slot] = np;
	sw->port[slot].gen = gen;
	rc = np.ops->open(sw, (uint16_t)slot, err);
	if (rc < 0)
		return rc;
	fdb_flush(sw->fdb, -1, slot, true); /* nothing may point at a reused slot */
	fdb_set_port_limit(sw->fdb, (uint16_t)slot, np.conf.mac_limit);
	sw_port_counters(sw, (uint16_t)slot, &sw->port[slot].base);
	sw->port[slot].used = true;
	sw->n_ports++;
	sw->net[np.net].n_ports++;
	if (sw_dp_publish(sw) < 0) {
		sw->port[slot].used = false;
		sw->n_ports--;
		sw->net[np.net].n_ports--;
		np.ops->close(sw, (uint16_t)slot);
		sw->port[slot].dev = NULL;
		return api_fail(err, -ENOMEM, "out of memory publishing port \"%s\"",
				np.conf.name);
	}
	port_forget_unrestored(sw, np.conf.name, true);
	*result = port_status(sw, &sw->port[slot], slot);
	return 0;
}

int sw_port_remove(struct sw *sw, int idx)
{
	struct sw_port *sp = &sw->port[idx];

	sp->used = false;
	if (sw_dp_publish(sw) < 0) { /* returns once no PMD can use the port */
		sp->used = true;
		return -ENOMEM;
	}
	sw->n_ports--;
	sw->net[sp->net].n_ports--;
	fdb_flush(sw->fdb, -1, idx, true);
	sp->ops->close(sw, (uint16_t)idx);
	sp->dev = NULL;
	return 0;
}

void port_changed(struct sw *sw, uint16_t slot)
{
	if (sw_dp_publish(sw) < 0)
		RTE_LOG(ERR, USER1, "port \"%s\": out of memory publishing a device change\n",
			sw->port[slot].conf.name);
}

void port_close_all(struct sw *sw)
{
	bool any = false;

	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used) {
			sw->port[p].used = false;
			any = true;
		}
	if (any)
		sw_dp_free(sw); /* no PMD uses any port after this */
	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].dev != NULL) {
			sw->port[p].ops->close(sw, (uint16_t)p);
			sw->port[p].dev = NULL;
		}
}

static int port_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name;
	int p;

	if (api_get_name(params, "name", true, &name, err))
		return err->code;
	p = sw_port_find(sw, name);
	if (p < 0 && port_forget_unrestored(sw, name, false))
		return 0;
	if (p < 0)
		return api_fail(err, -ENOENT, "port \"%s\" does not exist", name);
	if (sw_port_remove(sw, p) < 0)
		return api_fail(err, -ENOMEM, "out of memory removing port \"%s\"; try again",
				name);
	return 0;
}

static int port_list(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	json_t *arr, *u;
	size_t i;

	arr = json_array();
	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used)
			json_array_append_new(arr, port_status(sw, &sw->port[p], p));
	/* saved ports that could not be re-created at start (kept in the state file) */
	json_array_foreach((json_t *)sw->unrestored, i, u)
	{
		json_t *o = json_deep_copy(u);

		json_object_set_new(o, "link", json_string("failed"));
		json_array_append_new(arr, o);
	}
	*result = arr;
	return 0;
}

const struct ctl_method port_methods[] = {
	{"port.add", port_add},
	{"port.del", port_del},
	{"port.list", port_list},
	{NULL, NULL},
};
