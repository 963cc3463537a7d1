/* Route netlink for namespace hosts (see netns_nl.h): libnl-route-3 calls
 * that answer with the kernel's errno and extended-ack message, for links,
 * veth pairs, addresses and routes.
 *
 * Threads: whichever thread uses the socket, one at a time; no global state. */
#include "netns_nl.h"

#include "netns.h"

#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nlctx *c = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off;

	(void)nla;
	c->error = e->error;
	c->ext[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e));
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
		struct nlattr *a = (struct nlattr *)((char *)h + off);

		if (a->nla_len < sizeof(*a) || off + a->nla_len > h->nlmsg_len)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG) {
			int len = (int)(a->nla_len - sizeof(*a));

			snprintf(c->ext, sizeof(c->ext), "%.*s", len, (char *)(a + 1));
			break;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return NL_STOP;
}

/* Opens a route netlink socket in the netns of the calling thread. */
int nlc_open(void *arg)
{
	struct nlctx *c = arg;
	int one = 1, nlerr;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	nlerr = nl_connect(c->sk, NETLINK_ROUTE);
	if (nlerr < 0) {
		nl_socket_free(c->sk);
		c->sk = NULL;
		return nlerr == -NLE_PERM ? -EPERM : -EIO;
	}
	/* Best effort: older kernels answer without the message. */
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_modify_err_cb(c->sk, NL_CB_CUSTOM, nl_err_cb, c);
	return 0;
}

void nlc_close(struct nlctx *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

/* Converts a libnl result into 0 or -errno, preferring the kernel's errno. */
int nlc_result(struct nlctx *c, int nlerr)
{
	if (nlerr >= 0)
		return 0;
	if (c->error < 0)
		return c->error;
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_INVAL:
	case NLE_AF_MISMATCH:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	default:
		return -EIO;
	}
}

/* "reason" text for an error from nlc_result(): strerror plus the kernel's
 * extended-ack message when it sent one. */
const char *nlc_why(struct nlctx *c, int ret, char *buf, size_t len)
{
	if (c->ext[0])
		snprintf(buf, len, "%s (%s)", strerror(-ret), c->ext);
	else
		snprintf(buf, len, "%s", strerror(-ret));
	return buf;
}

void nlc_reset(struct nlctx *c)
{
	c->error = 0;
	c->ext[0] = '\0';
}

int nlc_link_ifindex(struct nlctx *c, const char *name, int *ifindex)
{
	struct rtnl_link *l = NULL;
	int nlerr;

	nlc_reset(c);
	nlerr = rtnl_link_get_kernel(c->sk, 0, name, &l);
	if (nlerr < 0)
		return nlc_result(c, nlerr);
	*ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return 0;
}

/* Sets link `name` up and, when `alias` is not NULL, its ifalias (which the
 * kernel ignores when creating a link). */
int nlc_link_set_up(struct nlctx *c, const char *name, const char *alias)
{
	struct rtnl_link *orig = NULL, *chg;
	int nlerr;

	nlc_reset(c);
	nlerr = rtnl_link_get_kernel(c->sk, 0, name, &orig);
	if (nlerr < 0)
		return nlc_result(c, nlerr);
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(orig);
		return -ENOMEM;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	if (alias)
		rtnl_link_set_ifalias(chg, alias);
	nlc_reset(c);
	nlerr = rtnl_link_change(c->sk, orig, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return nlc_result(c, nlerr);
}

/* Turns TCP segmentation offload (TSO and GSO) off on `name`: the switch's
 * af-packet port takes frames up to the interface's MTU, and a host's TCP
 * would otherwise hand the veth 64 KB segments. Checksum offload stays on:
 * the switch completes partial checksums. */
int nlc_link_no_segmentation(struct nlctx *c, const char *name)
{
	static const uint32_t cmds[] = {ETHTOOL_STSO, ETHTOOL_SGSO};
	int fd = nl_socket_get_fd(c->sk); /* any socket of the namespace takes ethtool ioctls */

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct ethtool_value ev = {.cmd = cmds[i], .data = 0};
		struct ifreq ifr = {0};

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_data = (char *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
			return -errno;
	}
	return 0;
}

/* Deletes link `name`; a link already gone is not an error. */
int nlc_link_delete(struct nlctx *c, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int ret;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	nlc_reset(c);
	ret = nlc_result(c, rtnl_link_delete(c->sk, l));
	rtnl_link_put(l);
	return ret == -ENODEV || ret == -ENOENT ? 0 : ret;
}

/* Creates the pair: `outer` here (NOARP, down), nic->ifname in nsfd. */
int nlc_veth_add(struct nlctx *c, const char *outer, const struct node_nic *nic, int nsfd)
{
	static const uint8_t zero_mac[6];
	struct rtnl_link *link, *peer;
	struct nl_addr *mac = NULL;
	int ret;

	link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, outer);
	rtnl_link_set_flags(link, IFF_NOARP);
	rtnl_link_set_name(peer, nic->ifname);
	if (nic->mtu) {
		rtnl_link_set_mtu(link, nic->mtu);
		rtnl_link_set_mtu(peer, nic->mtu);
	}
	if (memcmp(nic->mac, zero_mac, 6) != 0) {
		mac = nl_addr_build(AF_LLC, nic->mac, 6);
		if (!mac) {
			ret = -ENOMEM;
			goto out_put;
		}
		rtnl_link_set_addr(peer, mac);
	}
	rtnl_link_set_ns_fd(peer, nsfd);
	nlc_reset(c);
	ret = nlc_result(c, rtnl_link_add(c->sk, link, NLM_F_CREATE | NLM_F_EXCL));
	nl_addr_put(mac);
out_put:
	rtnl_link_put(peer);
	rtnl_link_put(link);
	return ret;
}

static struct nl_addr *cidr_to_nl(const struct addr_cidr *a)
{
	struct nl_addr *na = nl_addr_build(a->family, a->addr, (size_t)addr_len(a->family));

	if (na)
		nl_addr_set_prefixlen(na, (int)a->plen);
	return na;
}

int nlc_addr_add(struct nlctx *c, int ifindex, const struct addr_cidr *a)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = cidr_to_nl(a), *brd = NULL;
	int ret = -ENOMEM;

	if (!ra || !local)
		goto out_put;
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->family);
	ret = nlc_result(c, rtnl_addr_set_local(ra, local));
	if (ret < 0)
		goto out_put;
	rtnl_addr_set_prefixlen(ra, (int)a->plen);
	if (a->family == AF_INET && a->plen <= 30) {
		/* like `ip address add ... brd +` */
		struct addr_cidr b = *a;

		for (unsigned int i = a->plen; i < 32; i++)
			b.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		b.plen = 32;
		brd = cidr_to_nl(&b);
		if (!brd) {
			ret = -ENOMEM;
			goto out_put;
		}
		rtnl_addr_set_broadcast(ra, brd);
	}
	if (a->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	nlc_reset(c);
	ret = nlc_result(c, rtnl_addr_add(c->sk, ra, NLM_F_EXCL));
out_put:
	nl_addr_put(brd);
	nl_addr_put(local);
	if (ra)
		rtnl_addr_put(ra);
	return ret;
}

int nlc_route_add(struct nlctx *c, const struct addr_cidr *dst, const struct addr_cidr *via,
		  int oif)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = cidr_to_nl(dst), *g = cidr_to_nl(via);
	int ret = -ENOMEM;

	if (!r || !nh || !d || !g)
		goto out_put;
	rtnl_route_set_family(r, (uint8_t)dst->family);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(r, RTN_UNICAST);
	ret = nlc_result(c, rtnl_route_set_dst(r, d));
	if (ret < 0)
		goto out_put;
	rtnl_route_nh_set_gateway(nh, g);
	if (oif > 0)
		rtnl_route_nh_set_ifindex(nh, oif);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* owned by r */
	nlc_reset(c);
	ret = nlc_result(c, rtnl_route_add(c->sk, r, NLM_F_EXCL));
out_put:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(g);
	if (r)
		rtnl_route_put(r);
	return ret;
}

/* Deletes the links of the socket's namespace that `match` selects. */
int nlc_links_delete(struct nlctx *c, bool (*match)(struct rtnl_link *, const void *),
		     const void *arg, char *failed, size_t failed_len)
{
	char names[64][NSH_IFNAME_MAX];
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int n = 0, ret;

	nlc_reset(c);
	ret = nlc_result(c, rtnl_link_alloc_cache(c->sk, AF_UNSPEC, &cache));
	if (ret < 0)
		return ret;
	for (o = nl_cache_get_first(cache); o && n < 64; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (rtnl_link_get_name(l) && match(l, arg))
			snprintf(names[n++], NSH_IFNAME_MAX, "%s", rtnl_link_get_name(l));
	}
	nl_cache_free(cache);
	for (int i = 0; i < n; i++) {
		ret = nlc_link_delete(c, names[i]);
		if (ret < 0) {
			snprintf(failed, failed_len, "%s", names[i]);
			return ret;
		}
	}
	return 0;
}
