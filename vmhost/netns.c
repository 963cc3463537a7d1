/* Namespace hosts: named network namespaces (iproute2-compatible) joined to
 * the lab by veth pairs, configured over rtnetlink with libnl-route-3, and
 * commands run inside them.
 *
 * Threads: any caller thread; no global state. The caller's thread stays in
 * its own namespace: in-namespace work (creating the namespace, opening a
 * netlink socket bound to it, writing its /proc/sys/net, which reflects the
 * namespace of the opening task) runs on a short-lived thread that unshare()s
 * or setns()es, and commands run in forked children. Touches /run/netns,
 * root-namespace links it created (tagged by ifalias), and /proc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netns.h"

#include "name.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <linux/rtnetlink.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EXEC_POLL_MS 100 /* nsh_exec: how often a silent child is checked for exit */

/* ---- Pure helpers ---- */

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

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Route destination: "default" takes the family of the next hop. */
static int parse_route(const struct node_route *r, struct addr_cidr *dst, struct addr_cidr *via)
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
		set_err(err, errlen, "no node given");
		return -EINVAL;
	}
	if (n->kind != NODE_HOST) {
		set_err(err, errlen, "node %s: not a namespace host", n->name);
		return -EINVAL;
	}
	if (n->n_nics < 0 || n->n_nics > NODE_MAX_NICS) {
		set_err(err, errlen, "node %s: %d NICs (at most %d)", n->name, n->n_nics,
			NODE_MAX_NICS);
		return -EINVAL;
	}
	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *nic = &n->nics[i];

		if (!ifname_ok(nic->ifname)) {
			set_err(err, errlen,
				"node %s: NIC %d: interface name '%.*s' is not valid (1..15 "
				"chars, no '/', ':' or spaces, not 'lo')",
				n->name, i, (int)sizeof(nic->ifname), nic->ifname);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(n->nics[j].ifname, nic->ifname)) {
				set_err(err, errlen, "node %s: interface name %s used twice",
					n->name, nic->ifname);
				return -EINVAL;
			}
		if ((nic->mac[0] & 1) && memcmp(nic->mac, zero_mac, 6) != 0) {
			set_err(err, errlen, "node %s: %s: MAC address is multicast", n->name,
				nic->ifname);
			return -EINVAL;
		}
		if (nic->mtu != 0 && (nic->mtu < 68 || nic->mtu > 65535)) {
			set_err(err, errlen, "node %s: %s: MTU %u out of range 68..65535", n->name,
				nic->ifname, nic->mtu);
			return -EINVAL;
		}
		if (nic->n_addrs < 0 || nic->n_addrs > NODE_MAX_ADDRS) {
			set_err(err, errlen, "node %s: %s: %d addresses (at most %d)", n->name,
				nic->ifname, nic->n_addrs, NODE_MAX_ADDRS);
			return -EINVAL;
		}
		for (int a = 0; a < nic->n_addrs; a++) {
			struct addr_cidr c;

			if (addr_parse_cidr(nic->addrs[a], &c) < 0) {
				set_err(err, errlen,
					"node %s: %s: address '%.*s' is not an IPv4 or IPv6 "
					"CIDR (e.g. 10.0.0.1/24)",
					n->name, nic->ifname, NODE_ADDR_MAX, nic->addrs[a]);
				return -EINVAL;
			}
		}
	}
	if (n->n_routes < 0 || n->n_routes > NODE_MAX_ROUTES) {
		set_err(err, errlen, "node %s: %d routes (at most %d)", n->name, n->n_routes,
			NODE_MAX_ROUTES);
		return -EINVAL;
	}
	for (int i = 0; i < n->n_routes; i++) {
		const struct node_route *r = &n->routes[i];
		struct addr_cidr dst, via;

		if (addr_parse(r->via, &via) < 0) {
			set_err(err, errlen,
				"node %s: route %.*s: next hop '%.*s' is not an "
				"IPv4 or IPv6 address",
				n->name, NODE_ADDR_MAX, r->dst, NODE_ADDR_MAX, r->via);
			return -EINVAL;
		}
		if (parse_route(r, &dst, &via) < 0) {
			set_err(err, errlen,
				"node %s: route destination '%.*s' is not 'default' or a CIDR",
				n->name, NODE_ADDR_MAX, r->dst);
			return -EINVAL;
		}
		if (dst.family != via.family) {
			set_err(err, errlen, "node %s: route %s via %s mixes IPv4 and IPv6",
				n->name, r->dst, r->via);
			return -EINVAL;
		}
		if (!addr_is_network(&dst)) {
			set_err(err, errlen,
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

			if (addr_parse_cidr(n->nics[i].addrs[a], &c) == 0 &&
			    addr_contains(&c, via))
				return i;
		}
	if (via->family == AF_INET6 && via->addr[0] == 0xfe && (via->addr[1] & 0xc0) == 0x80 &&
	    n->n_nics == 1)
		return 0;
	return -1;
}

/* ---- Running code inside a namespace ---- */

/* A function run on a dedicated thread inside a namespace. */
struct ns_job {
	int nsfd;	      /* namespace to enter, -1 for a new one (unshare) */
	int (*fn)(void *arg); /* the work; returns 0 or -errno */
	void *arg;
	int ret;      /* fn's result, or -errno of setns/unshare */
	bool entered; /* false when setns/unshare failed */
};

static void *ns_job_main(void *p)
{
	struct ns_job *j = p;
	int rc = j->nsfd >= 0 ? setns(j->nsfd, CLONE_NEWNET) : unshare(CLONE_NEWNET);

	if (rc < 0) {
		j->ret = -errno;
		return NULL;
	}
	j->entered = true;
	j->ret = j->fn(j->arg);
	return NULL;
}

/* Runs fn(arg) on a new thread in namespace nsfd (or a new namespace) and
 * waits for it. *entered tells whether the failure, if any, came from fn. */
static int ns_run(int nsfd, int (*fn)(void *), void *arg, bool *entered)
{
	struct ns_job j = {.nsfd = nsfd, .fn = fn, .arg = arg};
	pthread_t t;
	int rc;

	rc = pthread_create(&t, NULL, ns_job_main, &j);
	if (rc != 0) {
		if (entered)
			*entered = false;
		return -rc;
	}
	pthread_join(t, NULL);
	if (entered)
		*entered = j.entered;
	return j.ret;
}

/* Writes `val` to /proc/sys/<path> in the netns of the calling thread. */
static int sysctl_write(const char *path, const char *val)
{
	char full[PATH_MAX];
	size_t len = strlen(val);
	ssize_t w;
	int fd, ret = 0;

	if (snprintf(full, sizeof(full), "/proc/sys/%s", path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, val, len);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* A list of sysctls to write; `optional` ones may be missing (no IPv6). */
struct sysctl_set {
	struct {
		char path[128];
		const char *val;
		bool optional;
	} item[6];
	int n;
	int failed; /* index of the item that failed */
};

static void sysctl_add(struct sysctl_set *s, const char *val, bool optional, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->item[s->n].path, sizeof(s->item[s->n].path), fmt, ap);
	va_end(ap);
	s->item[s->n].val = val;
	s->item[s->n].optional = optional;
	s->n++;
}

static int sysctl_apply(void *arg)
{
	struct sysctl_set *s = arg;

	for (int i = 0; i < s->n; i++) {
		int ret = sysctl_write(s->item[i].path, s->item[i].val);

		if (ret == -ENOENT && s->item[i].optional)
			continue;
		if (ret < 0) {
			s->failed = i;
			return ret;
		}
	}
	return 0;
}

/* ---- Netlink with the kernel's own errno and extended-ack message ---- */

struct nlctx {
	struct nl_sock *sk;
	int error;     /* -errno of the last error answer, 0 if none */
	char ext[160]; /* the kernel's extended-ack message for it, or "" */
};

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
static int nlctx_open(void *arg)
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

static void nlctx_close(struct nlctx *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

/* Converts a libnl result into 0 or -errno, preferring the kernel's errno. */
static int nl_result(struct nlctx *c, int nlerr)
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

/* "reason" text for an error from nl_result(): strerror plus the kernel's
 * extended-ack message when it sent one. */
static const char *nl_why(struct nlctx *c, int ret, char *buf, size_t len)
{
	if (c->ext[0])
		snprintf(buf, len, "%s (%s)", strerror(-ret), c->ext);
	else
		snprintf(buf, len, "%s", strerror(-ret));
	return buf;
}

static void nl_reset(struct nlctx *c)
{
	c->error = 0;
	c->ext[0] = '\0';
}

static int link_ifindex(struct nlctx *c, const char *name, int *ifindex)
{
	struct rtnl_link *l = NULL;
	int nlerr;

	nl_reset(c);
	nlerr = rtnl_link_get_kernel(c->sk, 0, name, &l);
	if (nlerr < 0)
		return nl_result(c, nlerr);
	*ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return 0;
}

/* Sets link `name` up and, when `alias` is not NULL, its ifalias (which the
 * kernel ignores when creating a link). */
static int link_set_up(struct nlctx *c, const char *name, const char *alias)
{
	struct rtnl_link *orig = NULL, *chg;
	int nlerr;

	nl_reset(c);
	nlerr = rtnl_link_get_kernel(c->sk, 0, name, &orig);
	if (nlerr < 0)
		return nl_result(c, nlerr);
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(orig);
		return -ENOMEM;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	if (alias)
		rtnl_link_set_ifalias(chg, alias);
	nl_reset(c);
	nlerr = rtnl_link_change(c->sk, orig, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return nl_result(c, nlerr);
}

/* Turns TCP segmentation offload (TSO and GSO) off on `name`: the switch's
 * af-packet port takes frames up to the interface's MTU, and a host's TCP
 * would otherwise hand the veth 64 KB segments. Checksum offload stays on:
 * the switch completes partial checksums. */
static int link_no_segmentation(struct nlctx *c, const char *name)
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
static int link_delete(struct nlctx *c, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int ret;

	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	nl_reset(c);
	ret = nl_result(c, rtnl_link_delete(c->sk, l));
	rtnl_link_put(l);
	return ret == -ENODEV || ret == -ENOENT ? 0 : ret;
}

/* Creates the pair: `outer` here (NOARP, down), nic->ifname in nsfd. */
static int veth_add(struct nlctx *c, const char *outer, const struct node_nic *nic, int nsfd)
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
	nl_reset(c);
	ret = nl_result(c, rtnl_link_add(c->sk, link, NLM_F_CREATE | NLM_F_EXCL));
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

static int addr_add(struct nlctx *c, int ifindex, const struct addr_cidr *a)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = cidr_to_nl(a), *brd = NULL;
	int ret = -ENOMEM;

	if (!ra || !local)
		goto out_put;
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->family);
	ret = nl_result(c, rtnl_addr_set_local(ra, local));
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
	nl_reset(c);
	ret = nl_result(c, rtnl_addr_add(c->sk, ra, NLM_F_EXCL));
out_put:
	nl_addr_put(brd);
	nl_addr_put(local);
	if (ra)
		rtnl_addr_put(ra);
	return ret;
}

static int route_add(struct nlctx *c, const struct addr_cidr *dst, const struct addr_cidr *via,
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
	ret = nl_result(c, rtnl_route_set_dst(r, d));
	if (ret < 0)
		goto out_put;
	rtnl_route_nh_set_gateway(nh, g);
	if (oif > 0)
		rtnl_route_nh_set_ifindex(nh, oif);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* owned by r */
	nl_reset(c);
	ret = nl_result(c, rtnl_route_add(c->sk, r, NLM_F_EXCL));
out_put:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(g);
	if (r)
		rtnl_route_put(r);
	return ret;
}

/* ---- The namespace itself ---- */

static int ns_path(const char *nsname, char *path, size_t len)
{
	if (nsh_check_name(nsname) < 0)
		return -EINVAL;
	if (snprintf(path, len, "%s/%s", NSH_RUN_DIR, nsname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Opens the namespace file; -ENOENT when it is missing or not a namespace
 * (a leftover empty file). */
static int ns_open(const char *path)
{
	struct statfs sf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

static int ns_bind_job(void *arg)
{
	if (mount("/proc/thread-self/ns/net", (const char *)arg, "none", MS_BIND, NULL) < 0)
		return -errno;
	return 0;
}

/* Like `ip netns add`: NSH_RUN_DIR made a shared mount point (so unmounts
 * propagate to other mount namespaces), an empty file, and a new network
 * namespace bind-mounted on it. */
static int ns_add(const char *nsname, const char *path, char *err, size_t errlen)
{
	bool made_mount = false, entered;
	int fd, ret;

	if (mkdir(NSH_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		set_err(err, errlen, "create %s: %s", NSH_RUN_DIR, strerror(-ret));
		return ret;
	}
	while (mount("", NSH_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || made_mount) {
			ret = -errno;
			set_err(err, errlen, "make %s a shared mount: %s", NSH_RUN_DIR,
				strerror(-ret));
			return ret;
		}
		if (mount(NSH_RUN_DIR, NSH_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
			ret = -errno;
			set_err(err, errlen, "bind-mount %s on itself: %s", NSH_RUN_DIR,
				strerror(-ret));
			return ret;
		}
		made_mount = true;
	}
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			set_err(err, errlen, "network namespace %s already exists (%s)", nsname,
				path);
		else
			set_err(err, errlen, "network namespace %s: create %s: %s", nsname, path,
				strerror(-ret));
		return ret;
	}
	close(fd);
	ret = ns_run(-1, ns_bind_job, (void *)path, &entered);
	if (ret < 0) {
		set_err(err, errlen, "network namespace %s: %s: %s", nsname,
			entered ? "bind-mount" : "unshare", strerror(-ret));
		unlink(path);
		return ret;
	}
	return 0;
}

/* Unmounts and removes the namespace file; missing parts are fine. */
static int ns_del(const char *path)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* ---- nsh_create / nsh_destroy / nsh_exists ---- */

int nsh_create(const struct node *n, const char *nsname, const char *outer_prefix,
	       struct nsh_info *out, char *err, size_t errlen)
{
	char outer[NODE_MAX_NICS][NSH_IFNAME_MAX], path[PATH_MAX], why[256];
	char alias[sizeof(NSH_ALIAS_TAG) + NSH_NAME_MAX];
	struct nlctx root = {0}, inner = {0};
	struct sysctl_set ns_sysctls = {0};
	int nsfd = -1, made = 0, ret;
	const char *fwd;
	bool entered;

	if (err && errlen)
		err[0] = '\0';
	if (!n || !nsname || !outer_prefix || !out) {
		set_err(err, errlen, "nsh_create: missing argument");
		return -EINVAL;
	}
	ret = nsh_check_node(n, err, errlen);
	if (ret < 0)
		return ret;
	if (ns_path(nsname, path, sizeof(path)) < 0) {
		set_err(err, errlen,
			"node %s: namespace name '%s' is not valid (1..%d chars of A-Z a-z 0-9 "
			"_ . -, not starting with . or -)",
			n->name, nsname, NSH_NAME_MAX - 1);
		return -EINVAL;
	}
	for (int i = 0; i < n->n_nics || i == 0; i++)
		if (nsh_outer_name(outer_prefix, i, outer[i], sizeof(outer[i])) < 0) {
			set_err(err, errlen,
				"node %s: outer interface prefix '%s' is not valid (1..%d chars "
				"of A-Z a-z 0-9 _ -)",
				n->name, outer_prefix, NSH_OUTER_PREFIX_MAX);
			return -EINVAL;
		}
	for (int i = 0; i < n->n_nics; i++)
		if (if_nametoindex(outer[i]) != 0) {
			set_err(err, errlen, "node %s: interface %s already exists", n->name,
				outer[i]);
			return -EEXIST;
		}
	snprintf(alias, sizeof(alias), "%s%s", NSH_ALIAS_TAG, nsname);

	ret = nlctx_open(&root);
	if (ret < 0) {
		set_err(err, errlen, "node %s: open route netlink socket: %s", n->name,
			strerror(-ret));
		return ret;
	}
	ret = ns_add(nsname, path, err, errlen);
	if (ret < 0)
		goto out_close_root;
	nsfd = ns_open(path);
	if (nsfd < 0) {
		ret = nsfd;
		set_err(err, errlen, "network namespace %s: open %s: %s", nsname, path,
			strerror(-ret));
		goto out_del_ns;
	}

	/* Inside: no DAD (inherited by the interfaces created below), forwarding. */
	fwd = n->ip_forward ? "1" : "0";
	sysctl_add(&ns_sysctls, "0", true, "net/ipv6/conf/all/accept_dad");
	sysctl_add(&ns_sysctls, "0", true, "net/ipv6/conf/default/accept_dad");
	sysctl_add(&ns_sysctls, fwd, false, "net/ipv4/ip_forward");
	sysctl_add(&ns_sysctls, fwd, true, "net/ipv6/conf/all/forwarding");
	ret = ns_run(nsfd, sysctl_apply, &ns_sysctls, &entered);
	if (ret < 0) {
		set_err(err, errlen, "network namespace %s: %s%s: %s", nsname,
			entered ? "write /proc/sys/" : "enter",
			entered ? ns_sysctls.item[ns_sysctls.failed].path : "", strerror(-ret));
		goto out_close_nsfd;
	}
	ret = ns_run(nsfd, nlctx_open, &inner, &entered);
	if (ret < 0) {
		set_err(err, errlen, "network namespace %s: %s: %s", nsname,
			entered ? "open route netlink socket" : "enter", strerror(-ret));
		goto out_close_nsfd;
	}
	ret = link_set_up(&inner, "lo", NULL);
	if (ret < 0) {
		set_err(err, errlen, "network namespace %s: set lo up: %s", nsname,
			nl_why(&inner, ret, why, sizeof(why)));
		goto out_close_inner;
	}

	/* Pairs; outer ends silent in the root namespace, then up. */
	for (made = 0; made < n->n_nics; made++) {
		const struct node_nic *nic = &n->nics[made];
		struct sysctl_set outer_sysctls = {0};

		ret = veth_add(&root, outer[made], nic, nsfd);
		if (ret < 0) {
			set_err(err, errlen, "node %s: create veth %s (peer %s in %s): %s", n->name,
				outer[made], nic->ifname, nsname,
				nl_why(&root, ret, why, sizeof(why)));
			goto out_del_veths;
		}
		sysctl_add(&outer_sysctls, "1", true, "net/ipv6/conf/%s/disable_ipv6", outer[made]);
		sysctl_add(&outer_sysctls, "0", false, "net/ipv4/conf/%s/forwarding", outer[made]);
		ret = sysctl_apply(&outer_sysctls);
		if (ret < 0) {
			set_err(err, errlen, "node %s: write /proc/sys/%s: %s", n->name,
				outer_sysctls.item[outer_sysctls.failed].path, strerror(-ret));
			made++;
			goto out_del_veths;
		}
		ret = link_set_up(&root, outer[made], alias);
		if (ret < 0) {
			set_err(err, errlen, "node %s: set %s up: %s", n->name, outer[made],
				nl_why(&root, ret, why, sizeof(why)));
			made++;
			goto out_del_veths;
		}
	}

	/* Inner ends: up, then addresses (so their prefix routes appear), routes. */
	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *nic = &n->nics[i];
		int ifindex;

		ret = link_ifindex(&inner, nic->ifname, &ifindex);
		if (ret < 0) {
			set_err(err, errlen, "node %s: find %s in %s: %s", n->name, nic->ifname,
				nsname, nl_why(&inner, ret, why, sizeof(why)));
			goto out_del_veths;
		}
		ret = link_no_segmentation(&inner, nic->ifname);
		if (ret < 0) {
			set_err(err, errlen, "node %s: turn TSO/GSO off on %s: %s", n->name,
				nic->ifname, strerror(-ret));
			goto out_del_veths;
		}
		if (!nic->link_down) {
			ret = link_set_up(&inner, nic->ifname, NULL);
			if (ret < 0) {
				set_err(err, errlen, "node %s: set %s up: %s", n->name, nic->ifname,
					nl_why(&inner, ret, why, sizeof(why)));
				goto out_del_veths;
			}
		}
		for (int a = 0; a < nic->n_addrs; a++) {
			struct addr_cidr c;

			addr_parse_cidr(nic->addrs[a], &c); /* checked by nsh_check_node */
			ret = addr_add(&inner, ifindex, &c);
			if (ret < 0) {
				set_err(err, errlen, "node %s: add address %s to %s: %s", n->name,
					nic->addrs[a], nic->ifname,
					nl_why(&inner, ret, why, sizeof(why)));
				goto out_del_veths;
			}
		}
	}
	for (int i = 0; i < n->n_routes; i++) {
		const struct node_route *r = &n->routes[i];
		struct addr_cidr dst, via;
		int nic, oif = 0;

		parse_route(r, &dst, &via); /* checked by nsh_check_node */
		nic = nsh_route_nic(n, &via);
		if (nic >= 0) {
			ret = link_ifindex(&inner, n->nics[nic].ifname, &oif);
			if (ret < 0) {
				set_err(err, errlen, "node %s: find %s in %s: %s", n->name,
					n->nics[nic].ifname, nsname,
					nl_why(&inner, ret, why, sizeof(why)));
				goto out_del_veths;
			}
		}
		ret = route_add(&inner, &dst, &via, oif);
		if (ret < 0) {
			set_err(err, errlen, "node %s: add route %s via %s: %s", n->name, r->dst,
				r->via, nl_why(&inner, ret, why, sizeof(why)));
			goto out_del_veths;
		}
	}

	memset(out, 0, sizeof(*out));
	snprintf(out->nsname, sizeof(out->nsname), "%s", nsname);
	out->n_outer = n->n_nics;
	for (int i = 0; i < n->n_nics; i++)
		memcpy(out->outer[i], outer[i], sizeof(out->outer[i]));
	ret = 0;
	goto out_close_inner;

out_del_veths:
	while (made-- > 0)
		link_delete(&root, outer[made]); /* takes the inner end with it */
out_close_inner:
	nlctx_close(&inner);
out_close_nsfd:
	close(nsfd);
out_del_ns:
	if (ret < 0)
		ns_del(path);
out_close_root:
	nlctx_close(&root);
	return ret;
}

/* Sends SIGKILL to every other process whose network namespace is the one
 * mounted at `path`. */
static void ns_kill_procs(const char *path)
{
	struct stat ns, st;
	struct dirent *de;
	pid_t self = getpid();
	DIR *d;

	if (stat(path, &ns) < 0)
		return;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[64];
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end != '\0' || pid <= 0 || pid == self)
			continue;
		snprintf(p, sizeof(p), "/proc/%ld/ns/net", pid);
		if (stat(p, &st) == 0 && st.st_dev == ns.st_dev && st.st_ino == ns.st_ino)
			kill((pid_t)pid, SIGKILL);
	}
	closedir(d);
}

/* Deletes the links of the socket's namespace that `match` selects. */
static int links_delete(struct nlctx *c, bool (*match)(struct rtnl_link *, const void *),
			const void *arg, char *failed, size_t failed_len)
{
	char names[64][NSH_IFNAME_MAX];
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int n = 0, ret;

	nl_reset(c);
	ret = nl_result(c, rtnl_link_alloc_cache(c->sk, AF_UNSPEC, &cache));
	if (ret < 0)
		return ret;
	for (o = nl_cache_get_first(cache); o && n < 64; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (rtnl_link_get_name(l) && match(l, arg))
			snprintf(names[n++], NSH_IFNAME_MAX, "%s", rtnl_link_get_name(l));
	}
	nl_cache_free(cache);
	for (int i = 0; i < n; i++) {
		ret = link_delete(c, names[i]);
		if (ret < 0) {
			snprintf(failed, failed_len, "%s", names[i]);
			return ret;
		}
	}
	return 0;
}

static bool match_veth(struct rtnl_link *l, const void *arg)
{
	const char *type = rtnl_link_get_type(l);

	(void)arg;
	return type && !strcmp(type, "veth");
}

static bool match_alias(struct rtnl_link *l, const void *arg)
{
	const char *alias = rtnl_link_get_ifalias(l);

	return alias && !strcmp(alias, (const char *)arg);
}

int nsh_destroy(const char *nsname, char *err, size_t errlen)
{
	char path[PATH_MAX], why[256], failed[NSH_IFNAME_MAX] = "";
	char alias[sizeof(NSH_ALIAS_TAG) + NSH_NAME_MAX];
	struct nlctx inner = {0}, root = {0};
	int nsfd, ret;
	bool entered;

	if (err && errlen)
		err[0] = '\0';
	if (ns_path(nsname, path, sizeof(path)) < 0) {
		set_err(err, errlen, "namespace name '%s' is not valid", nsname ? nsname : "");
		return -EINVAL;
	}
	snprintf(alias, sizeof(alias), "%s%s", NSH_ALIAS_TAG, nsname);

	nsfd = ns_open(path);
	if (nsfd >= 0) {
		ns_kill_procs(path);
		ret = ns_run(nsfd, nlctx_open, &inner, &entered);
		if (ret < 0) {
			set_err(err, errlen, "network namespace %s: %s: %s", nsname,
				entered ? "open route netlink socket" : "enter", strerror(-ret));
			goto out_close_nsfd;
		}
		ret = links_delete(&inner, match_veth, NULL, failed, sizeof(failed));
		if (ret < 0) {
			set_err(err, errlen, "network namespace %s: delete %s: %s", nsname,
				failed[0] ? failed : "(list links)",
				nl_why(&inner, ret, why, sizeof(why)));
			goto out_close_inner;
		}
		nlctx_close(&inner);
		close(nsfd);
		nsfd = -1;
	}

	/* Outer ends whose pair outlived the namespace file (or its peer). */
	ret = nlctx_open(&root);
	if (ret < 0) {
		set_err(err, errlen, "open route netlink socket: %s", strerror(-ret));
		return ret;
	}
	ret = links_delete(&root, match_alias, alias, failed, sizeof(failed));
	nlctx_close(&root);
	if (ret < 0) {
		set_err(err, errlen, "network namespace %s: delete outer interface %s: %s", nsname,
			failed[0] ? failed : "(list links)", strerror(-ret));
		return ret;
	}

	ret = ns_del(path);
	if (ret < 0)
		set_err(err, errlen, "network namespace %s: unmount/remove %s: %s", nsname, path,
			strerror(-ret));
	return ret;

out_close_inner:
	nlctx_close(&inner);
out_close_nsfd:
	close(nsfd);
	return ret;
}

int nsh_exists(const char *nsname)
{
	char path[PATH_MAX];
	struct statfs sf;

	if (ns_path(nsname, path, sizeof(path)) < 0)
		return -EINVAL;
	if (statfs(path, &sf) < 0)
		return 0;
	return sf.f_type == NSFS_MAGIC ? 1 : 0;
}

/* ---- The kernel's neighbour tables ---- */

bool nsh_neigh_limits(long entries, long cur2, long cur3, long *new2, long *new3)
{
	*new2 = cur2;
	*new3 = cur3;
	/* the defaults hold small labs: only a lab that may take more than
	 * half of the hard limit gets it raised */
	if (entries <= cur3 / 2)
		return false;
	*new3 = entries + NSH_NEIGH_SPARE;
	if (*new2 < entries + NSH_NEIGH_SPARE / 2)
		*new2 = entries + NSH_NEIGH_SPARE / 2;
	return true;
}

static int sysctl_read_long(const char *path, long *out)
{
	char full[PATH_MAX], buf[32];
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*out = strtol(buf, NULL, 10);
	return 0;
}

int nsh_neigh_reserve(long entries, char *msg, size_t msglen)
{
	static const char *const fam[] = {"ipv4", "ipv6"};
	size_t off = 0;
	int raised = 0;

	if (msg && msglen)
		msg[0] = '\0';
	for (int f = 0; f < 2; f++) {
		char p2[64], p3[64], v2[24], v3[24];
		long cur2, cur3, new2, new3;
		int ret;

		snprintf(p2, sizeof(p2), "net/%s/neigh/default/gc_thresh2", fam[f]);
		snprintf(p3, sizeof(p3), "net/%s/neigh/default/gc_thresh3", fam[f]);
		ret = sysctl_read_long(p3, &cur3);
		if (ret == 0)
			ret = sysctl_read_long(p2, &cur2);
		if (ret == -ENOENT && f == 1)
			break; /* no IPv6 */
		if (ret < 0) {
			set_err(msg, msglen, "read /proc/sys/%s: %s", p3, strerror(-ret));
			return ret;
		}
		if (!nsh_neigh_limits(entries, cur2, cur3, &new2, &new3))
			continue;
		snprintf(v2, sizeof(v2), "%ld", new2);
		snprintf(v3, sizeof(v3), "%ld", new3);
		/* the hard limit first, so the soft one never exceeds it */
		ret = sysctl_write(p3, v3);
		if (ret == 0 && new2 != cur2)
			ret = sysctl_write(p2, v2);
		if (ret < 0) {
			set_err(msg, msglen, "write /proc/sys/%s: %s", p3, strerror(-ret));
			return ret;
		}
		if (msg && off < msglen)
			off += (size_t)snprintf(msg + off, msglen - off,
						"%snet.%s.neigh.default.gc_thresh3 %ld -> %ld, "
						"gc_thresh2 %ld -> %ld",
						raised ? "; " : "", fam[f], cur3, new3, cur2, new2);
		raised = 1;
	}
	return raised;
}

/* ---- Commands inside ---- */

/* Message for an exec failure without strerror (not async-signal-safe). */
static const char *exec_errstr(int e)
{
	switch (e) {
	case ENOENT:
		return "No such file or directory";
	case EACCES:
		return "Permission denied";
	case ENOEXEC:
		return "Exec format error";
	case ENOTDIR:
		return "Not a directory";
	case ENOMEM:
		return "Out of memory";
	case E2BIG:
		return "Argument list too long";
	default:
		return "cannot execute";
	}
}

/* In the forked child: enter the namespace, give it its own /sys as `ip netns
 * exec` does (best effort), exec. Only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(int nsfd, const char *nsname, const char *const argv[])
{
	struct iovec iov[5];
	int e;

	if (setns(nsfd, CLONE_NEWNET) < 0) {
		iov[0] = (struct iovec){"nsh: cannot enter network namespace ", 36};
		iov[1] = (struct iovec){(void *)nsname, strlen(nsname)};
		iov[2] = (struct iovec){"\n", 1};
		writev(STDERR_FILENO, iov, 3);
		_exit(126);
	}
	if (unshare(CLONE_NEWNS) == 0 && mount("", "/", "none", MS_SLAVE | MS_REC, NULL) == 0 &&
	    umount2("/sys", MNT_DETACH) == 0)
		mount(nsname, "/sys", "sysfs", 0, NULL);
	execvp(argv[0], (char *const *)argv);
	e = errno;
	iov[0] = (struct iovec){"nsh: cannot execute '", 21};
	iov[1] = (struct iovec){(void *)argv[0], strlen(argv[0])};
	iov[2] = (struct iovec){"': ", 3};
	iov[3] = (struct iovec){(void *)exec_errstr(e), strlen(exec_errstr(e))};
	iov[4] = (struct iovec){"\n", 1};
	writev(STDERR_FILENO, iov, 5);
	_exit(e == ENOENT ? 127 : 126);
}

static void decode_status(int st, int *exit_code, int *sig)
{
	*sig = 0;
	if (WIFEXITED(st)) {
		*exit_code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		*sig = WTERMSIG(st);
		*exit_code = 128 + *sig;
	} else {
		*exit_code = 255;
	}
}

/* A capture buffer: grows to NSH_EXEC_CAP, then drops. */
struct capture {
	char *buf;
	size_t len;
	size_t cap;
	bool dropped;
};

/* Reads what fd has now. Returns 1 at EOF, 0 when it would block, -errno. */
static int capture_read(int fd, struct capture *c)
{
	char tmp[65536];

	for (;;) {
		ssize_t r = read(fd, tmp, sizeof(tmp));
		size_t keep;

		if (r == 0)
			return 1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		keep = (size_t)r;
		if (keep > NSH_EXEC_CAP - c->len) {
			keep = NSH_EXEC_CAP - c->len;
			c->dropped = true;
		}
		if (c->len + keep + 1 > c->cap) {
			size_t ncap = c->cap ? c->cap : 4096;
			char *nb;

			while (ncap < c->len + keep + 1)
				ncap *= 2;
			if (ncap > NSH_EXEC_CAP + 1)
				ncap = NSH_EXEC_CAP + 1;
			nb = realloc(c->buf, ncap);
			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->cap = ncap;
		}
		memcpy(c->buf + c->len, tmp, keep);
		c->len += keep;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool argv_ok(const char *const argv[])
{
	return argv && argv[0] && argv[0][0];
}

void nsh_exec_result_free(struct nsh_exec_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
	r->out_len = r->err_len = 0;
}

int nsh_exec(const char *nsname, const char *const argv[], int timeout_ms,
	     struct nsh_exec_result *out)
{
	struct capture cap[2] = {0};
	int pout[2], perr[2], nsfd, devnull, st = 0, ret;
	char path[PATH_MAX];
	bool open_[2] = {true, true}, reaped = false;
	long long deadline;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	if (ns_path(nsname, path, sizeof(path)) < 0 || !argv_ok(argv)) {
		snprintf(out->errmsg, sizeof(out->errmsg), "bad namespace name or empty command");
		return -EINVAL;
	}
	nsfd = ns_open(path);
	if (nsfd < 0) {
		snprintf(out->errmsg, sizeof(out->errmsg), "network namespace %s: %s", nsname,
			 nsfd == -ENOENT ? "does not exist" : strerror(-nsfd));
		return nsfd;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0) {
		ret = -errno;
		snprintf(out->errmsg, sizeof(out->errmsg), "open /dev/null: %s", strerror(-ret));
		goto out_close_nsfd;
	}
	if (pipe2(pout, O_CLOEXEC) < 0) {
		ret = -errno;
		snprintf(out->errmsg, sizeof(out->errmsg), "pipe: %s", strerror(-ret));
		goto out_close_devnull;
	}
	if (pipe2(perr, O_CLOEXEC) < 0) {
		ret = -errno;
		snprintf(out->errmsg, sizeof(out->errmsg), "pipe: %s", strerror(-ret));
		goto out_close_pout;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(out->errmsg, sizeof(out->errmsg), "fork: %s", strerror(-ret));
		goto out_close_perr;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(devnull, STDIN_FILENO) < 0 || dup2(pout[1], STDOUT_FILENO) < 0 ||
		    dup2(perr[1], STDERR_FILENO) < 0)
			_exit(126);
		child_exec(nsfd, nsname, argv);
	}
	setpgid(pid, pid); /* whichever runs first; EACCES after exec is fine */
	close(pout[1]);
	close(perr[1]);
	pout[1] = perr[1] = -1;
	fcntl(pout[0], F_SETFL, O_NONBLOCK);
	fcntl(perr[0], F_SETFL, O_NONBLOCK);

	deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	for (;;) {
		struct pollfd pfd[2];
		int np = 0, wait_ms = EXEC_POLL_MS;
		const int fds[2] = {pout[0], perr[0]};

		for (int i = 0; i < 2; i++)
			if (open_[i])
				pfd[np++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (deadline && !out->timed_out) {
			long long left = deadline - now_ms();

			if (left <= 0) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				out->timed_out = true;
			} else if (left < wait_ms) {
				wait_ms = (int)left;
			}
		}
		if (poll(pfd, (nfds_t)np, wait_ms) < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(out->errmsg, sizeof(out->errmsg), "poll: %s", strerror(-ret));
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			goto out_free_capture;
		}
		if (!reaped && waitpid(pid, &st, WNOHANG) == pid)
			reaped = true;
		for (int i = 0; i < 2; i++) {
			if (!open_[i])
				continue;
			ret = capture_read(fds[i], &cap[i]);
			if (ret < 0 && ret != -ENOMEM) {
				open_[i] = false;
			} else if (ret == -ENOMEM) {
				snprintf(out->errmsg, sizeof(out->errmsg), "capture output: %s",
					 strerror(ENOMEM));
				if (!reaped) {
					kill(-pid, SIGKILL);
					kill(pid, SIGKILL);
					waitpid(pid, &st, 0);
				}
				goto out_free_capture;
			} else if (ret == 1) {
				open_[i] = false;
			}
		}
		/* Done when the command exited (what it wrote is drained above; a
		 * background child still holding the pipes is not waited for). */
		if (reaped)
			break;
	}
	decode_status(st, &out->exit_code, &out->signal);
	for (int i = 0; i < 2; i++) {
		if (!cap[i].buf) {
			cap[i].buf = malloc(1);
			if (!cap[i].buf) {
				ret = -ENOMEM;
				snprintf(out->errmsg, sizeof(out->errmsg), "capture output: %s",
					 strerror(ENOMEM));
				goto out_free_capture;
			}
		}
		cap[i].buf[cap[i].len] = '\0';
	}
	out->out = cap[0].buf;
	out->out_len = cap[0].len;
	out->err = cap[1].buf;
	out->err_len = cap[1].len;
	out->truncated = cap[0].dropped || cap[1].dropped;
	cap[0].buf = cap[1].buf = NULL;
	ret = 0;

out_free_capture:
	free(cap[0].buf);
	free(cap[1].buf);
out_close_perr:
	close(perr[0]);
	if (perr[1] >= 0)
		close(perr[1]);
out_close_pout:
	close(pout[0]);
	if (pout[1] >= 0)
		close(pout[1]);
out_close_devnull:
	close(devnull);
out_close_nsfd:
	close(nsfd);
	return ret;
}

int nsh_exec_interactive(const char *nsname, const char *const argv[])
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL};
	struct sigaction old_int, old_quit;
	char path[PATH_MAX];
	int nsfd, st, ret, sig;
	pid_t pid;

	if (ns_path(nsname, path, sizeof(path)) < 0 || !argv_ok(argv))
		return -EINVAL;
	nsfd = ns_open(path);
	if (nsfd < 0)
		return nsfd;
	fflush(stdout);
	fflush(stderr);
	/* The terminal's ^C / ^\ are for the command, like system(). */
	sigemptyset(&ign.sa_mask);
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_restore_signals;
	}
	if (pid == 0) {
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGQUIT, &dfl, NULL);
		child_exec(nsfd, nsname, argv);
	}
	while ((ret = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		ret = -errno;
		goto out_restore_signals;
	}
	decode_status(st, &ret, &sig);

out_restore_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	close(nsfd);
	return ret;
}
