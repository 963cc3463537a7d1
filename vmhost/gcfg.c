/* Guest configuration: validates a struct node and renders its vlab.* kernel
 * command-line keys for the built-in image's /init (see gcfg.h for the
 * format). Pure: no I/O, no allocation; any thread. */
#include "gcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "name.h"

/* A parsed address: family, raw bytes, prefix length (-1 = none given). */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* True when the fixed-size field holds a NUL-terminated string. */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static int validate_nic(const struct node_nic *nic, int idx, char *err, size_t errlen)
{
	static const uint8_t zero[6];
	struct addr_cidr a;

	if (!terminated(nic->ifname, sizeof(nic->ifname)) ||
	    !name_ok(nic->ifname, sizeof(nic->ifname) - 1))
		return fail(err, errlen,
			    "nic %d: bad interface name (1..15 characters of A-Z a-z 0-9 _ . -)",
			    idx);
	if (nic->mac[0] & 1)
		return fail(err, errlen, "nic %s: MAC address is multicast", nic->ifname);
	if (memcmp(nic->mac, zero, sizeof(zero)) == 0)
		return fail(err, errlen, "nic %s: MAC address is 00:00:00:00:00:00", nic->ifname);
	if (nic->mtu != 0 && (nic->mtu < 68 || nic->mtu > 65535))
		return fail(err, errlen, "nic %s: MTU %u out of range (68..65535)", nic->ifname,
			    nic->mtu);
	if (nic->n_addrs < 0 || nic->n_addrs > NODE_MAX_ADDRS)
		return fail(err, errlen, "nic %s: %d addresses (at most %d)", nic->ifname,
			    nic->n_addrs, NODE_MAX_ADDRS);
	for (int i = 0; i < nic->n_addrs; i++) {
		if (!terminated(nic->addrs[i], sizeof(nic->addrs[i])))
			return fail(err, errlen, "nic %s: address %d is not terminated",
				    nic->ifname, i);
		if (addr_parse_cidr(nic->addrs[i], &a) < 0)
			return fail(err, errlen,
				    "nic %s: bad address '%s' (want ADDR/PREFIXLEN, IPv4 or IPv6)",
				    nic->ifname, nic->addrs[i]);
	}
	return 0;
}

static int validate_route(const struct node_route *r, int idx, char *err, size_t errlen)
{
	struct addr_cidr dst, via;

	if (!terminated(r->dst, sizeof(r->dst)) || !terminated(r->via, sizeof(r->via)))
		return fail(err, errlen, "route %d: field is not terminated", idx);
	if (addr_parse(r->via, &via) < 0)
		return fail(err, errlen,
			    "route %s: bad next hop '%s' (want an IPv4 or IPv6 address)", r->dst,
			    r->via);
	if (strcmp(r->dst, "default") == 0)
		return 0;
	if (addr_parse_cidr(r->dst, &dst) < 0)
		return fail(err, errlen,
			    "route %d: bad destination '%s' (want ADDR/PREFIXLEN or default)", idx,
			    r->dst);
	if (!addr_is_network(&dst))
		return fail(err, errlen, "route %s: destination has host bits set", r->dst);
	if (dst.family != via.family)
		return fail(err, errlen, "route %s: next hop %s is %s, destination is %s", r->dst,
			    r->via, family_name(via.family), family_name(dst.family));
	return 0;
}

int gcfg_validate(const struct node *n, char *err, size_t errlen)
{
	int ret;

	if (err && errlen > 0)
		err[0] = '\0';
	if (!terminated(n->name, sizeof(n->name)) || !name_ok(n->name, NODE_NAME_MAX - 1))
		return fail(err, errlen, "bad node name (1..%d characters of A-Z a-z 0-9 _ . -)",
			    NODE_NAME_MAX - 1);
	if (n->n_nics < 0 || n->n_nics > NODE_MAX_NICS)
		return fail(err, errlen, "node %s: %d NICs (at most %d)", n->name, n->n_nics,
			    NODE_MAX_NICS);
	if (n->n_routes < 0 || n->n_routes > NODE_MAX_ROUTES)
		return fail(err, errlen, "node %s: %d routes (at most %d)", n->name, n->n_routes,
			    NODE_MAX_ROUTES);
	for (int i = 0; i < n->n_nics; i++) {
		ret = validate_nic(&n->nics[i], i, err, errlen);
		if (ret < 0)
			return ret;
		for (int j = 0; j < i; j++) {
			if (strcmp(n->nics[i].ifname, n->nics[j].ifname) == 0)
				return fail(err, errlen, "nic %s: interface name used twice",
					    n->nics[i].ifname);
			if (memcmp(n->nics[i].mac, n->nics[j].mac, 6) == 0)
				return fail(err, errlen, "nic %s: same MAC address as nic %s",
					    n->nics[i].ifname, n->nics[j].ifname);
		}
	}
	for (int i = 0; i < n->n_routes; i++) {
		ret = validate_route(&n->routes[i], i, err, errlen);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Output buffer; `over` latches once anything did not fit. */
struct gcfg_out {
	char *buf;
	size_t len;
	size_t off;
	bool over;
};

static void put(struct gcfg_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct gcfg_out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->over)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= o->len - o->off) {
		o->over = true;
		return;
	}
	o->off += (size_t)w;
}

/* Canonical text of a validated address, with "/PLEN" when it has one. */
static void put_addr(struct gcfg_out *o, const char *text, bool with_plen)
{
	char s[INET6_ADDRSTRLEN];
	struct addr_cidr a;

	if (with_plen) /* validated before */
		addr_parse_cidr(text, &a);
	else
		addr_parse(text, &a);
	addr_format(&a, s, sizeof(s));
	if (with_plen)
		put(o, "%s/%u", s, a.plen);
	else
		put(o, "%s", s);
}

int gcfg_cmdline(const struct node *n, char *buf, size_t len)
{
	struct gcfg_out o = {.buf = buf, .len = len};
	int ret;

	if (len > 0)
		buf[0] = '\0';
	ret = gcfg_validate(n, NULL, 0);
	if (ret < 0)
		return ret;
	if (len == 0)
		return -ENOSPC;
	if (o.len > GCFG_CMDLINE_MAX + 1)
		o.len = GCFG_CMDLINE_MAX + 1;

	put(&o, "vlab.host=%s", n->name);
	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *nic = &n->nics[i];
		const uint8_t *m = nic->mac;

		put(&o, " vlab.nic=%02x:%02x:%02x:%02x:%02x:%02x,%s,%u", m[0], m[1], m[2], m[3],
		    m[4], m[5], nic->ifname, nic->mtu);
		for (int j = 0; j < nic->n_addrs; j++) {
			put(&o, ",");
			put_addr(&o, nic->addrs[j], true);
		}
	}
	for (int i = 0; i < n->n_routes; i++) {
		const struct node_route *r = &n->routes[i];

		put(&o, " vlab.route=");
		if (strcmp(r->dst, "default") == 0)
			put(&o, "default");
		else
			put_addr(&o, r->dst, true);
		put(&o, ",");
		put_addr(&o, r->via, false);
	}
	put(&o, " vlab.fwd=%d", n->ip_forward ? 1 : 0);

	if (o.over) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}
