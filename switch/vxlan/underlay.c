/* The VXLAN underlay, control side: underlay.set/del/show, and the ARP
 * table of next hops towards remote VTEPs.
 *
 * ARP: every next hop a VTEP needs (the remote itself when it is inside the
 * underlay prefix, else the gateway) gets an entry; the control thread asks
 * for it (a request the underlay port's PMD sends from the inject ring),
 * retries every second, gives up after VX_TRIES (failed: asked again every
 * VX_FAILED_MS), and asks again when an answer is VX_REACHABLE_MS old while
 * still using the MAC it has (stale). PMDs answer requests for the switch's
 * address themselves and pass every ARP sender they see through the learn
 * ring; a changed or new MAC republishes the snapshot.
 *
 * Runs on the control thread (vx_tick: every control tick). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_log.h>
#include <rte_mbuf.h>

#include "addr.h"
#include "mac.h"
#include "pipeline.h"
#include "port.h"
#include "vxlan.h"

#define VX_TRIES	3
#define VX_RETRY_MS	1000
#define VX_FAILED_MS	10000
#define VX_REACHABLE_MS 60000

struct vx_underlay vx_ul;
static struct sw *vx_sw;
static uint64_t vx_requests; /* ARP requests sent */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vx_parse_ip(const char *s, uint32_t *ip)
{
	struct addr_cidr a;

	if (s == NULL || addr_parse(s, &a) < 0 || a.family != AF_INET)
		return -EINVAL;
	*ip = addr_v4(&a);
	return 0;
}

void vx_format_ip(uint32_t ip, char *buf, size_t len)
{
	struct in_addr a = {.s_addr = htonl(ip)};

	if (inet_ntop(AF_INET, &a, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
}

static uint32_t ul_mask(void)
{
	return vx_ul.plen ? ~0u << (32 - vx_ul.plen) : 0;
}

uint32_t vx_next_hop(uint32_t remote)
{
	if (!vx_ul.set)
		return 0;
	if ((remote & ul_mask()) == (vx_ul.ip & ul_mask()))
		return remote;
	return vx_ul.gw;
}

const struct vx_neigh *vx_neigh_find(uint32_t ip)
{
	for (uint32_t i = 0; ip != 0 && i < vx_ul.n_neigh; i++)
		if (vx_ul.neigh[i].ip == ip)
			return &vx_ul.neigh[i];
	return NULL;
}

int vx_underlay_slot(const struct sw *sw)
{
	return vx_ul.set ? sw_port_find(sw, vx_ul.port) : -1;
}

static const char *const nstate_names[] = {"incomplete", "reachable", "stale", "failed"};

const char *vx_nstate_name(uint8_t state)
{
	return state < 4 ? nstate_names[state] : "?";
}

/* ---- ARP ---- */

static void send_request(uint32_t ip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(vx_sw->pool);
	uint8_t *p;

	if (m == NULL)
		return;
	p = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	vx_arp_build(p, 1, 0xffffffffffffull, vx_ul.mac, vx_ul.ip, 0, ip);
	if (rte_ring_enqueue(vx_ul.inject, m) != 0)
		rte_pktmbuf_free(m);
	else
		vx_requests++;
}

/* An answer: true when the snapshot must change (a MAC appeared or moved). */
static bool learn(const struct vx_learn *l, uint64_t now)
{
	struct vx_neigh *e = (struct vx_neigh *)vx_neigh_find(l->ip);
	bool had = false, changed;

	if (e == NULL)
		return false; /* only next hops are kept */
	had = vx_neigh_usable(e);
	changed = !had || e->mac != l->mac;
	e->mac = l->mac;
	e->state = VX_N_REACHABLE;
	e->updated_ms = now;
	e->tries = 0;
	return changed;
}

/* The next hops VTEPs need now, into the table (new ones incomplete, ones no
 * VTEP needs any more dropped). True when an entry in use went. */
static bool want(const struct sw *sw, uint64_t now)
{
	uint32_t hops[API_NEIGH_MAX];
	uint32_t n = 0, k = 0;
	bool dirty = false;

	for (int p = 0; p < SW_MAX_PORTS && n < API_NEIGH_MAX; p++) {
		const struct vx_vtep *v;
		uint32_t nh;
		uint32_t j;

		if (!sw->port[p].used || sw->port[p].ops != &port_vtep_ops)
			continue;
		v = sw->port[p].dev;
		nh = vx_next_hop(v->ip);
		for (j = 0; j < n && hops[j] != nh; j++)
			;
		if (nh != 0 && j == n)
			hops[n++] = nh;
	}
	for (uint32_t i = 0; i < vx_ul.n_neigh; i++) {
		struct vx_neigh *e = &vx_ul.neigh[i];
		uint32_t j;

		for (j = 0; j < n && hops[j] != e->ip; j++)
			;
		if (j == n)
			dirty |= vx_neigh_usable(e);
		else
			vx_ul.neigh[k++] = *e;
	}
	vx_ul.n_neigh = k;
	for (uint32_t j = 0; j < n; j++)
		if (vx_neigh_find(hops[j]) == NULL && vx_ul.n_neigh < API_NEIGH_MAX)
			vx_ul.neigh[vx_ul.n_neigh++] = (struct vx_neigh){
			    .ip = hops[j], .state = VX_N_INCOMPLETE, .next_ms = now};
	return dirty;
}

/* Requests, retries, aging of one entry. True when its MAC went out of use. */
static bool age(struct vx_neigh *e, uint64_t now)
{
	if (e->state == VX_N_REACHABLE) {
		if (now - e->updated_ms < VX_REACHABLE_MS)
			return false;
		e->state = VX_N_STALE;
		e->tries = 0;
		e->next_ms = now;
	}
	if (now < e->next_ms)
		return false;
	if (e->state == VX_N_FAILED) {
		send_request(e->ip);
		e->next_ms = now + VX_FAILED_MS;
		return false;
	}
	if (e->tries < VX_TRIES) {
		send_request(e->ip);
		e->tries++;
		e->next_ms = now + VX_RETRY_MS;
		return false;
	}
	/* no answer to VX_TRIES requests */
	bool was_used = e->state == VX_N_STALE;

	e->state = VX_N_FAILED;
	e->mac = 0;
	e->next_ms = now + VX_FAILED_MS;
	return was_used;
}

void vx_tick(struct sw *sw)
{
	struct vx_learn l[32];
	uint64_t now = now_ms();
	bool dirty = false;
	unsigned int n;

	if (vx_ul.learn == NULL)
		return;
	while ((n = rte_ring_dequeue_burst_elem(vx_ul.learn, l, sizeof(l[0]), 32, NULL)) > 0)
		for (unsigned int i = 0; i < n; i++)
			dirty |= vx_ul.set && learn(&l[i], now);
	if (!vx_ul.set)
		return;
	dirty |= want(sw, now);
	for (uint32_t i = 0; i < vx_ul.n_neigh; i++)
		dirty |= age(&vx_ul.neigh[i], now);
	if (dirty && sw_dp_publish(sw) < 0)
		RTE_LOG(ERR, USER1, "underlay: out of memory publishing a next hop change\n");
}

/* ---- methods ---- */

/* The MAC of a kernel interface, from sysfs; 0 when unknown. */
static uint64_t iface_mac(const char *iface)
{
	char path[64], text[32] = "";
	uint8_t mac[6];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", iface);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(text, sizeof(text), f) == NULL)
		text[0] = '\0';
	fclose(f);
	text[strcspn(text, "\n")] = '\0';
	return mac_parse(text, mac) == 0 ? mac_to_u64(mac) : 0;
}

static json_t *ul_json(void)
{
	char ip[INET_ADDRSTRLEN], addr[24], mac[MAC_STR_LEN];
	uint8_t b[6];
	json_t *neigh, *o;
	uint64_t now = now_ms();

	if (!vx_ul.set)
		return json_pack("{s:b}", "set", false);
	neigh = json_array();
	vx_format_ip(vx_ul.ip, ip, sizeof(ip));
	snprintf(addr, sizeof(addr), "%s/%u", ip, vx_ul.plen);
	mac_from_u64(vx_ul.mac, b);
	mac_format(b, mac);
	o = json_pack("{s:b,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:I}", "set", true, "port", vx_ul.port,
		      "address", addr, "mac", mac, "mtu", vx_ul.mtu, "inner_mtu",
		      vx_ul.mtu - API_VXLAN_OVERHEAD, "udp_port", vx_ul.udp_port, "ttl", vx_ul.ttl,
		      "arp_requests", (json_int_t)vx_requests);
	if (vx_ul.gw) {
		vx_format_ip(vx_ul.gw, ip, sizeof(ip));
		json_object_set_new(o, "gateway", json_string(ip));
	}
	for (uint32_t i = 0; i < vx_ul.n_neigh; i++) {
		const struct vx_neigh *e = &vx_ul.neigh[i];
		json_t *n;

		vx_format_ip(e->ip, ip, sizeof(ip));
		n = json_pack("{s:s,s:s}", "ip", ip, "state", vx_nstate_name(e->state));
		if (vx_neigh_usable(e)) {
			mac_from_u64(e->mac, b);
			mac_format(b, mac);
			json_object_set_new(n, "mac", json_string(mac));
			json_object_set_new(
			    n, "age", json_integer((json_int_t)((now - e->updated_ms) / 1000)));
		}
		json_array_append_new(neigh, n);
	}
	json_object_set_new(o, "neighbors", neigh);
	return o;
}

json_t *vx_underlay_config(void)
{
	json_t *o = ul_json();

	if (!vx_ul.set) {
		json_decref(o);
		return NULL;
	}
	json_object_del(o, "set");
	json_object_del(o, "inner_mtu");
	json_object_del(o, "neighbors");
	json_object_del(o, "arp_requests");
	if (!vx_ul.mac_given)
		json_object_del(o, "mac");
	return o;
}

/* Reads "A.B.C.D/LEN" of a host address. */
static int parse_prefix(const char *s, uint32_t *ip, uint8_t *plen, struct api_err *err)
{
	struct addr_cidr c;
	unsigned int len;

	if (strchr(s, '/') == NULL)
		return api_fail(err, -EINVAL,
				"address \"%s\": give the prefix length too, e.g. 192.0.2.1/24", s);
	if (addr_parse_cidr(s, &c) < 0 || c.family != AF_INET || c.plen < 1)
		return api_fail(err, -EINVAL,
				"address \"%s\" is not an IPv4 address with a prefix length 1-32, "
				"e.g. 192.0.2.1/24",
				s);
	*ip = addr_v4(&c);
	len = c.plen;
	if (*ip == 0 || (*ip >> 28) >= 14 || (len < 31 && (*ip | (~0u >> len)) == *ip) ||
	    (len < 31 && (*ip & (~0u << (32 - len))) == *ip))
		return api_fail(err, -EINVAL,
				"address \"%s\": not a host address (network, broadcast, multicast "
				"or reserved)",
				s);
	*plen = (uint8_t)len;
	return 0;
}

static int ul_set(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *port, *addr, *gw = NULL, *mac = NULL;
	uint64_t mtu = 1500, udp = API_VXLAN_PORT, ttl = 64;
	struct vx_underlay n = vx_ul;
	uint8_t b[6];
	int slot;

	if (api_get_name(params, "port", true, &port, err) ||
	    api_get_str(params, "address", true, &addr, err) < 0 ||
	    api_get_str(params, "gateway", false, &gw, err) < 0 ||
	    api_get_uint(params, "mtu", false, 576, 9000, &mtu, err) < 0 ||
	    api_get_uint(params, "udp_port", false, 1, 65535, &udp, err) < 0 ||
	    api_get_uint(params, "ttl", false, 1, 255, &ttl, err) < 0 ||
	    api_get_str(params, "mac", false, &mac, err) < 0)
		return err->code;
	slot = sw_port_find(sw, port);
	if (slot < 0)
		return api_fail(err, -ENOENT,
				"port \"%s\" does not exist (add it with port.add in a network of "
				"its own first)",
				port);
	if (sw->port[slot].ops == &port_vtep_ops)
		return api_fail(err, -EINVAL,
				"port \"%s\" is a VTEP's port; the underlay is an af-packet, tap, "
				"vhost-user or DPDK port",
				port);
	if (sw->net[sw->port[slot].net].n_ports != 1)
		return api_fail(
		    err, -EINVAL,
		    "port \"%s\": its network \"%s\" has other ports; the underlay port "
		    "needs a network of its own",
		    port, sw->net[sw->port[slot].net].name);
	if (parse_prefix(addr, &n.ip, &n.plen, err) < 0)
		return err->code;
	snprintf(n.port, sizeof(n.port), "%s", port);
	n.mtu = (uint16_t)mtu;
	n.udp_port = (uint16_t)udp;
	n.ttl = (uint8_t)ttl;
	n.gw = 0;
	if (gw != NULL) {
		uint32_t mask = n.plen ? ~0u << (32 - n.plen) : 0;

		if (vx_parse_ip(gw, &n.gw) < 0)
			return api_fail(err, -EINVAL, "gateway \"%s\" is not an IPv4 address", gw);
		if ((n.gw & mask) != (n.ip & mask) || n.gw == n.ip)
			return api_fail(err, -EINVAL, "gateway %s is not another address inside %s",
					gw, addr);
	}
	n.mac_given = mac != NULL;
	if (mac != NULL) {
		if (mac_parse(mac, b) < 0 || (b[0] & 1))
			return api_fail(err, -EINVAL, "mac \"%s\" is not a unicast MAC", mac);
		n.mac = mac_to_u64(b);
	} else {
		n.mac = sw->port[slot].conf.iface[0] ? iface_mac(sw->port[slot].conf.iface) : 0;
		if (n.mac == 0) /* locally administered, from the address */
			n.mac = (0x0200ull << 32) | n.ip;
	}
	if (n.ip != vx_ul.ip || n.plen != vx_ul.plen || n.gw != vx_ul.gw || !vx_ul.set)
		n.n_neigh = 0; /* other next hops */
	n.set = true;
	vx_ul = n;
	if (sw_dp_publish(sw) < 0)
		return api_fail(err, -ENOMEM, "out of memory publishing the underlay");
	vx_tick(sw); /* ask for the next hops now */
	*result = ul_json();
	return 0;
}

static int ul_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	(void)params;
	(void)result;
	if (!vx_ul.set)
		return api_fail(err, -ENOENT, "no underlay is set");
	vx_ul.set = false;
	vx_ul.n_neigh = 0;
	if (sw_dp_publish(sw) < 0)
		return api_fail(err, -ENOMEM, "out of memory publishing the change");
	return 0;
}

static int ul_show(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	(void)sw;
	(void)params;
	(void)err;
	*result = ul_json();
	return 0;
}

int vx_init(struct sw *sw)
{
	vx_sw = sw;
	vx_ul.learn = rte_ring_create_elem("vx_learn", sizeof(struct vx_learn), 1024, SOCKET_ID_ANY,
					   RING_F_SC_DEQ);
	vx_ul.inject =
	    rte_ring_create("vx_inject", 256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (vx_ul.learn == NULL || vx_ul.inject == NULL)
		return -ENOMEM;
	return dp_feature_register(&vx_feature_decap);
}

int vx_init_egress(void)
{
	return dp_feature_register(&vx_feature_encap);
}

const struct ctl_method vxlan_methods[] = {
    {"underlay.set", ul_set},
    {"underlay.del", ul_del},
    {"underlay.show", ul_show},
    {"vtep.add", vx_vtep_add},
    {"vtep.del", vx_vtep_del},
    {"vtep.list", vx_vtep_list},
    {NULL, NULL},
};
