/* Ports, control side: port.add/del/list and the life cycle of the DPDK
 * device behind each port (vhost-user, tap, af-packet, ring, null, pcap vdevs
 * created and removed at run time with rte_eal_hotplug_add/remove).
 *
 * Runs on the control thread. A new port becomes visible to the PMDs only
 * when the next datapath snapshot is published; a removed port's device is
 * stopped only after every PMD has left the snapshot that still had it. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "ctl.h"
#include "sw.h"

#define PORT_RX_DESC 1024
#define PORT_TX_DESC 1024

static const struct {
	const char *name;   /* API name */
	const char *driver; /* DPDK vdev driver */
} port_types[SW_PORT_TYPE_MAX] = {
	[SW_PORT_VHOST] = {"vhost-user", "net_vhost"},
	[SW_PORT_TAP] = {"tap", "net_tap"},
	[SW_PORT_AF_PACKET] = {"af-packet", "net_af_packet"},
	[SW_PORT_RING] = {"ring", "net_ring"},
	[SW_PORT_NULL] = {"null", "net_null"},
	[SW_PORT_PCAP] = {"pcap", "net_pcap"},
};

const char *sw_port_type_name(enum sw_port_type t)
{
	return t < SW_PORT_TYPE_MAX ? port_types[t].name : "?";
}

int sw_port_type_parse(const char *s, enum sw_port_type *t)
{
	for (int i = 0; i < SW_PORT_TYPE_MAX; i++)
		if (strcmp(s, port_types[i].name) == 0) {
			*t = (enum sw_port_type)i;
			return 0;
		}
	return -EINVAL;
}

int sw_port_find(const struct sw *sw, const char *name)
{
	for (int i = 0; i < SW_MAX_PORTS; i++)
		if (sw->port[i].used && strcmp(sw->port[i].name, name) == 0)
			return i;
	return -1;
}

/* Removes a socket file nobody listens on, so a server-mode port can bind. */
static void port_unlink_stale_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED)
		unlink(path);
	close(fd);
}

static void port_devargs(const struct sw_port *sp, char *buf, size_t len)
{
	switch (sp->type) {
	case SW_PORT_VHOST:
		snprintf(buf, len, "iface=%s,queues=1%s", sp->path, sp->server ? "" : ",client=1");
		break;
	case SW_PORT_TAP:
		snprintf(buf, len, "iface=%s", sp->iface);
		break;
	case SW_PORT_AF_PACKET:
		snprintf(buf, len, "iface=%s,qpairs=1", sp->iface);
		break;
	case SW_PORT_NULL:
		/* a null port is a sink unless asked to generate (no-rx=0) */
		snprintf(buf, len, "%s%s%s", sp->devargs, sp->devargs[0] ? "," : "",
			 strstr(sp->devargs, "no-rx") ? "" : "no-rx=1");
		if (buf[strlen(buf) - 1] == ',')
			buf[strlen(buf) - 1] = '\0';
		break;
	default:
		snprintf(buf, len, "%s", sp->devargs);
		break;
	}
}

/* Discards what a new af-packet port captured before its socket was bound to
 * the interface: an unbound packet socket sees every interface's frames, and
 * learning their sources here would pull other ports' MACs onto this one. */
static void port_drain_rx(uint16_t pid)
{
	struct rte_mbuf *pkts[SW_BURST];

	for (int i = 0; i < 1024; i++) {
		uint16_t n = rte_eth_rx_burst(pid, 0, pkts, SW_BURST);

		if (n == 0)
			break;
		rte_pktmbuf_free_bulk(pkts, n);
	}
}

static void port_remove_dev(struct sw_port *sp)
{
	rte_eal_hotplug_remove("vdev", sp->devname);
}

/* Creates and starts the DPDK device of `sp` (slot `idx`). 0 or -EIO. */
static int port_start(struct sw *sw, struct sw_port *sp, int idx, struct api_err *err)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t pid, nrx = PORT_RX_DESC, ntx = PORT_TX_DESC, ntxq;
	char args[512];
	int rc, sock;

	snprintf(sp->devname, sizeof(sp->devname), "%s_vlab%d", port_types[sp->type].driver, idx);
	port_devargs(sp, args, sizeof(args));
	if (sp->type == SW_PORT_VHOST && sp->server)
		port_unlink_stale_socket(sp->path);

	rc = rte_eal_hotplug_add("vdev", sp->devname, args);
	if (rc < 0)
		return api_fail(err, -EIO, "port \"%s\": DPDK could not create %s with \"%s\": %s",
				sp->name, port_types[sp->type].driver, args, rte_strerror(-rc));
	rc = rte_eth_dev_get_port_by_name(sp->devname, &pid);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": device %s has no ethdev", sp->name, sp->devname);
		goto out_remove;
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": cannot query device: %s", sp->name,
			 rte_strerror(-rc));
		goto out_close;
	}
	ntxq = (uint16_t)RTE_MIN((unsigned int)info.max_tx_queues, sw->n_pmd);
	if (ntxq == 0)
		ntxq = 1;
	rc = rte_eth_dev_configure(pid, 1, ntxq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	sock = rte_eth_dev_socket_id(pid);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(pid, 0, nrx, sock < 0 ? 0 : sock, NULL, sw->pool);
	for (uint16_t q = 0; rc == 0 && q < ntxq; q++)
		rc = rte_eth_tx_queue_setup(pid, q, ntx, sock < 0 ? 0 : sock, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": cannot start %s: %s", sp->name, sp->devname,
			 rte_strerror(-rc));
		goto out_close;
	}
	rte_eth_promiscuous_enable(pid); /* not every driver has it; frames reach us anyway */
	if (sp->type == SW_PORT_AF_PACKET)
		port_drain_rx(pid);
	sp->eth_port = pid;
	sp->n_txq = ntxq;
	return 0;

out_close:
	rte_eth_dev_close(pid);
out_remove:
	port_remove_dev(sp);
	return err->code;
}

static void port_stop(struct sw_port *sp)
{
	rte_eth_dev_stop(sp->eth_port);
	rte_eth_dev_close(sp->eth_port);
	port_remove_dev(sp);
}

static bool port_link_up(const struct sw_port *sp)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(sp->eth_port, &link) < 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

/* Configuration of a port, as port.add takes it (and the state file keeps it). */
json_t *sw_port_config(const struct sw *sw, const struct sw_port *sp)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:i}", "name", sp->name, "type",
			      sw_port_type_name(sp->type), "network", sw->net[sp->net].name,
			      "mac_limit", (int)sp->mac_limit);

	if (sp->type == SW_PORT_VHOST) {
		json_object_set_new(o, "path", json_string(sp->path));
		json_object_set_new(o, "mode", json_string(sp->server ? "server" : "client"));
	}
	if (sp->iface[0])
		json_object_set_new(o, "iface", json_string(sp->iface));
	if (sp->devargs[0])
		json_object_set_new(o, "devargs", json_string(sp->devargs));
	return o;
}

/* Reads and checks the parameters of port.add into `sp`. */
static int port_parse(struct sw *sw, json_t *params, struct sw_port *sp, struct api_err *err)
{
	static const char *const keys[] = {"name",  "type",    "network",   "path", "mode",
					   "iface", "devargs", "mac_limit", NULL};
	const char *name, *type, *net, *path = NULL, *mode = NULL, *iface = NULL,
				       *devargs = NULL;
	uint64_t limit = sw->opts.mac_limit;
	int n;

	if (api_check_keys(params, keys, err) || api_get_name(params, "name", true, &name, err) ||
	    api_get_str(params, "type", true, &type, err) < 0 ||
	    api_get_name(params, "network", true, &net, err) ||
	    api_get_str(params, "path", false, &path, err) < 0 ||
	    api_get_str(params, "mode", false, &mode, err) < 0 ||
	    api_get_str(params, "iface", false, &iface, err) < 0 ||
	    api_get_str(params, "devargs", false, &devargs, err) < 0 ||
	    api_get_uint(params, "mac_limit", false, 0, FDB_DEFAULT_CAPACITY * 16ull, &limit,
			 err) < 0)
		return err->code;

	memset(sp, 0, sizeof(*sp));
	snprintf(sp->name, sizeof(sp->name), "%s", name);
	if (sw_port_type_parse(type, &sp->type) < 0)
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
	sp->mac_limit = (uint32_t)limit;

	if (sp->type != SW_PORT_VHOST && (path != NULL || mode != NULL))
		return api_fail(err, -EINVAL, "port \"%s\": \"path\" and \"mode\" are for "
				"vhost-user ports only", name);
	if (sp->type != SW_PORT_TAP && sp->type != SW_PORT_AF_PACKET && iface != NULL)
		return api_fail(err, -EINVAL, "port \"%s\": \"iface\" is for tap and af-packet "
				"ports only", name);
	if ((sp->type == SW_PORT_VHOST || sp->type == SW_PORT_TAP ||
	     sp->type == SW_PORT_AF_PACKET) && devargs != NULL)
		return api_fail(err, -EINVAL, "port \"%s\": \"devargs\" is for ring, null and "
				"pcap ports only", name);

	switch (sp->type) {
	case SW_PORT_VHOST:
		if (path == NULL || path[0] == '\0')
			return api_fail(err, -EINVAL, "port \"%s\": vhost-user needs \"path\", the "
					"socket", name);
		if (strlen(path) >= sizeof(sp->path) || strchr(path, ','))
			return api_fail(err, -EINVAL, "port \"%s\": socket path must be shorter "
					"than %zu bytes and contain no comma", name,
					sizeof(sp->path));
		if (mode != NULL && strcmp(mode, "client") && strcmp(mode, "server"))
			return api_fail(err, -EINVAL, "port \"%s\": mode must be \"client\" or "
					"\"server\", not \"%.16s\"", name, mode);
		snprintf(sp->path, sizeof(sp->path), "%s", path);
		sp->server = mode != NULL && strcmp(mode, "server") == 0;
		break;
	case SW_PORT_TAP:
	case SW_PORT_AF_PACKET:
		if (iface == NULL && sp->type == SW_PORT_AF_PACKET)
			return api_fail(err, -EINVAL, "port \"%s\": af-packet needs \"iface\", an "
					"existing interface", name);
		if (iface == NULL)
			iface = name;
		if (strlen(iface) == 0 || strlen(iface) >= IFNAMSIZ || !api_name_ok(iface))
			return api_fail(err, -EINVAL, "port \"%s\": interface name \"%.32s\" is not "
					"valid (1-15 characters)", name, iface);
		if (sp->type == SW_PORT_AF_PACKET && if_nametoindex(iface) == 0)
			return api_fail(err, -ENOENT, "port \"%s\": interface \"%s\" does not "
					"exist", name, iface);
		if (sp->type == SW_PORT_TAP && if_nametoindex(iface) != 0)
			return api_fail(err, -EEXIST, "port \"%s\": interface \"%s\" already "
					"exists; pick another iface", name, iface);
		snprintf(sp->iface, sizeof(sp->iface), "%s", iface);
		break;
	default:
		if (sp->type == SW_PORT_PCAP && (devargs == NULL || devargs[0] == '\0'))
			return api_fail(err, -EINVAL, "port \"%s\": pcap needs \"devargs\", e.g. "
					"rx_pcap=in.pcap,tx_pcap=out.pcap", name);
		if (devargs != NULL && strlen(devargs) >= sizeof(sp->devargs))
			return api_fail(err, -EINVAL, "port \"%s\": devargs too long", name);
		snprintf(sp->devargs, sizeof(sp->devargs), "%s", devargs ? devargs : "");
		break;
	}

	for (int i = 0; i < SW_MAX_PORTS; i++) {
		const struct sw_port *o = &sw->port[i];

		if (!o->used)
			continue;
		if (strcmp(o->name, name) == 0)
			return api_fail(err, -EEXIST, "port \"%s\" already exists", name);
		if (sp->type == SW_PORT_VHOST && o->type == SW_PORT_VHOST &&
		    strcmp(o->path, sp->path) == 0)
			return api_fail(err, -EEXIST, "port \"%s\": socket %s is already used by "
					"port \"%s\"", name, sp->path, o->name);
		if (sp->iface[0] && strcmp(o->iface, sp->iface) == 0)
			return api_fail(err, -EEXIST, "port \"%s\": interface %s is already used "
					"by port \"%s\"", name, sp->iface, o->name);
	}
	return 0;
}

static json_t *port_status(const struct sw *sw, const struct sw_port *sp, int idx)
{
	json_t *o = sw_port_config(sw, sp);

	json_object_set_new(o, "macs", json_integer(fdb_port_count(sw->fdb, (uint16_t)idx)));
	json_object_set_new(o, "link", json_string(port_link_up(sp) ? "connected" : "waiting"));
	return o;
}

/* Forgets a saved port of that name that could not be restored at start. */
static bool port_forget_unrestored(struct sw *sw, const char *name)
{
	json_t *arr = sw->unrestored;
	size_t i;
	json_t *p;

	json_array_foreach(arr, i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "name")) ?: "", name) == 0) {
			json_array_remove(arr, i);
			return true;
		}
	}
	return false;
}

static int port_add(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	struct sw_port np;
	int slot = -1, rc;

	rc = port_parse(sw, params, &np, err);
	if (rc < 0)
		return rc;
	for (int i = 0; i < SW_MAX_PORTS; i++)
		if (!sw->port[i].used) {
			slot = i;
			break;
		}
	if (slot < 0)
		return api_fail(err, -ENOSPC, "too many ports (at most %d)", SW_MAX_PORTS);
	rc = port_start(sw, &np, slot, err);
	if (rc < 0)
		return rc;

	sw->port[slot] = np;
	fdb_flush(sw->fdb, -1, slot, true); /* nothing may point at a reused slot */
	fdb_set_port_limit(sw->fdb, (uint16_t)slot, np.mac_limit);
	sw_port_counters(sw, (uint16_t)slot, &sw->port[slot].base);
	sw->port[slot].used = true;
	if (sw_dp_publish(sw) < 0) {
		sw->port[slot].used = false;
		port_stop(&sw->port[slot]);
		return api_fail(err, -ENOMEM, "out of memory publishing port \"%s\"", np.name);
	}
	port_forget_unrestored(sw, np.name);
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
	fdb_flush(sw->fdb, -1, idx, true);
	port_stop(sp);
	return 0;
}

static int port_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	static const char *const keys[] = {"name", NULL};
	const char *name;
	int p;

	if (api_check_keys(params, keys, err) || api_get_name(params, "name", true, &name, err))
		return err->code;
	p = sw_port_find(sw, name);
	if (p < 0 && port_forget_unrestored(sw, name))
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
	static const char *const keys[] = {NULL};
	json_t *arr;

	if (api_check_keys(params, keys, err))
		return err->code;
	arr = json_array();
	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used)
			json_array_append_new(arr, port_status(sw, &sw->port[p], p));
	/* saved ports that could not be re-created at start (kept in the state file) */
	size_t i;
	json_t *u;
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
	{"port.add", port_add, true},
	{"port.del", port_del, true},
	{"port.list", port_list, false},
	{NULL, NULL, false},
};
