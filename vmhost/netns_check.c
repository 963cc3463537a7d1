/* Namespace hosts, the pure part: names of namespaces and outer interfaces,
 * the checks a node passes before anything is created for it, and which NIC
 * a route leaves by. No syscalls; unit-tested (tests/unit/test_vm_netns.c).
 *
 * Threads: any; no state. */
#include "netns_priv.h"

#include "name.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int nsh_check_name(const char *nsname)
{
	return name_ok(nsname, NSH_NAME_MAX - 1) ? 0 : -EINVAL;
}

int nsh_outer_name(const char *prefix, int index, char *buf, size_t len)
{
	int w;

	/* an interface name: no dots (sysctl paths use them as separators) */
	if (!prefix || index < 0 || index > 99 || !name_ok(prefix, NSH_OUTER_PREFIX_MAX) ||
	    strchr(prefix, '.'))
		return -EINVAL;
	w = snprintf(buf, len, "%se%d", prefix, index);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* An interface name the kernel accepts (dev_valid_name) and that is not the
 * namespace's own loopback. */
static bool ifname_ok(const char *s)
{
	size_t n = strnlen(s, NSH_IFNAME_MAX);

	if (n == 0 || n >= NSH_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, "..") ||
	    !strcmp(s, "lo"))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

void nsh_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Route destination: "default" takes the family of the next hop. */
int nsh_parse_route(const struct node_route *r, struct addr_cidr *dst, struct addr_cidr *via)
{
	if (addr_parse(r->via, via) < 0)
		return -EINVAL;
	if (!strcmp(r->dst, "default")) {
		memset(dst, 0, sizeof(*dst));
		dst->family = via->family;
		return 0;
	}
	if (addr_parse_cidr(r->dst, dst) < 0)
		return -EINVAL;
	return 0;
}

int nsh_check_node(const struct node *n, char *err, size_t errlen)
{
	static const uint8_t zero_mac[6];

	if (!n) {
		nsh_set_err(err, errlen, "no node given");
		return -EINVAL;
	}
	if (n->kind != NODE_HOST) {
		nsh_set_err(err, errlen, "node %s: not a namespace host", n->name);
		return -EINVAL;
	}
	if (n->n_nics < 0 || n->n_nics > NODE_MAX_NICS) {
		nsh_set_err(err, errlen, "node %s: %d NICs (at most %d)", n->name, n->n_nics,
			    NODE_MAX_NICS);
		return -EINVAL;
	}
	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *nic = &n->nics[i];

		if (!ifname_ok(nic->ifname)) {
			nsh_set_err(err, errlen,
				    "node %s: NIC %d: interface name '%.*s' is not valid (1..15 "
				    "chars, no '/', ':' or spaces, not 'lo')",
				    n->name, i, (int)sizeof(nic->ifname), nic->ifname);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(n->nics[j].ifname, nic->ifname)) {
				nsh_set_err(err, errlen, "node %s: interface name %s used twice",
					    n->name, nic->ifname);
				return -EINVAL;
			}
		if ((nic->mac[0] & 1) && memcmp(nic->mac, zero_mac, 6) != 0) {
			nsh_set_err(err, errlen, "node %s: %s: MAC address is multicast", n->name,
				    nic->ifname);
			return -EINVAL;
		}
		if (nic->mtu != 0 && (nic->mtu < 68 || nic->mtu > 65535)) {
			nsh_set_err(err, errlen, "node %s: %s: MTU %u out of range 68..65535",
				    n->name, nic->ifname, nic->mtu);
			return -EINVAL;
		}
		if (nic->n_addrs < 0 || nic->n_addrs > NODE_MAX_ADDRS) {
			nsh_set_err(err, errlen, "node %s: %s: %d addresses (at most %d)", n->name,
				    nic->ifname, nic->n_addrs, NODE_MAX_ADDRS);
			return -EINVAL;
		}
		for (int a = 0; a < nic->n_addrs; a++) {
			struct addr_cidr c;

			if (addr_parse_cidr(nic->addrs[a], &c) < 0) {
				nsh_set_err(err, errlen,
					    "node %s: %s: address '%.*s' is not an IPv4 or IPv6 "
					    "CIDR (e.g. 10.0.0.1/24)",
					    n->name, nic->ifname, NODE_ADDR_MAX, nic->addrs[a]);
				return -EINVAL;
			}
		}
	}
	if (n->n_routes < 0 || n->n_routes > NODE_MAX_ROUTES) {
		nsh_set_err(err, errlen, "node %s: %d routes (at most %d)", n->name, n->n_routes,
			    NODE_MAX_ROUTES);
		return -EINVAL;
	}
	for (int i = 0; i < n->n_routes; i++) {
		const struct node_route *r = &n->routes[i];
		struct addr_cidr dst, via;

		if (addr_parse(r->via, &via) < 0) {
			nsh_set_err(err, errlen,
				    "node %s: route %.*s: next hop '%.*s' is not an "
				    "IPv4 or IPv6 address",
				    n->name, NODE_ADDR_MAX, r->dst, NODE_ADDR_MAX, r->via);
			return -EINVAL;
		}
		if (nsh_parse_route(r, &dst, &via) < 0) {
			nsh_set_err(err, errlen,
				    "node %s: route destination '%.*s' is not 'default' or a CIDR",
				    n->name, NODE_ADDR_MAX, r->dst);
			return -EINVAL;
		}
		if (dst.family != via.family) {
			nsh_set_err(err, errlen, "node %s: route %s via %s mixes IPv4 and IPv6",
				    n->name, r->dst, r->via);
			return -EINVAL;
		}
		if (!addr_is_network(&dst)) {
			nsh_set_err(err, errlen,
				    "node %s: route destination %s has host bits set (use the "
				    "network address)",
				    n->name, r->dst);
			return -EINVAL;
		}
	}
	return 0;
}

int nsh_route_nic(const struct node *n, const struct addr_cidr *via)
{
	for (int i = 0; i < n->n_nics; i++)
		for (int a = 0; a < n->nics[i].n_addrs; a++) {
			struct addr_cidr c;

			if (addr_parse_cidr(n->nics[i].addrs[a], &c) == 0 && addr_contains(&c, via))
				return i;
		}
	if (via->family == AF_INET6 && via->addr[0] == 0xfe && (via->addr[1] & 0xc0) == 0x80 &&
	    n->n_nics == 1)
		return 0;
	return -1;
}
