/* Namespace hosts, their life cycle: nsh_create() makes a named network
 * namespace (iproute2-compatible) with a veth pair per NIC, addresses and
 * routes; nsh_destroy() removes all of it, also what a crash left;
 * nsh_exists(). The pure checks are in netns_check.c, netlink in
 * netns_nl.c, the namespace files and /proc/sys in netns_sys.c, commands
 * inside in netns_exec.c, the neighbour tables in netns_neigh.c.
 *
 * Threads: any caller thread; no global state. In-namespace work (netlink
 * sockets bound to the namespace, its /proc/sys/net) runs on short-lived
 * threads (nsh_ns_run()). Touches /run/netns, root-namespace links it
 * created (tagged by ifalias), and /proc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netns.h"

#include "netns_nl.h"
#include "netns_priv.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <netlink/route/link.h>

int nsh_create(const struct node *n, const char *nsname, const char *outer_prefix,
	       struct nsh_info *out, char *err, size_t errlen)
{
	char outer[NODE_MAX_NICS][NSH_IFNAME_MAX], path[PATH_MAX], why[256];
	char alias[sizeof(NSH_ALIAS_TAG) + NSH_NAME_MAX];
	struct nlctx root = {0}, inner = {0};
	struct nsh_sysctls ns_sysctls = {0};
	int nsfd = -1, made = 0, ret;
	const char *fwd;
	bool entered;

	if (err && errlen)
		err[0] = '\0';
	if (!n || !nsname || !outer_prefix || !out) {
		nsh_set_err(err, errlen, "nsh_create: missing argument");
		return -EINVAL;
	}
	ret = nsh_check_node(n, err, errlen);
	if (ret < 0)
		return ret;
	if (nsh_ns_path(nsname, path, sizeof(path)) < 0) {
		nsh_set_err(err, errlen,
			    "node %s: namespace name '%s' is not valid (1..%d chars of A-Z a-z 0-9 "
			    "_ . -, not starting with . or -)",
			    n->name, nsname, NSH_NAME_MAX - 1);
		return -EINVAL;
	}
	for (int i = 0; i < n->n_nics || i == 0; i++)
		if (nsh_outer_name(outer_prefix, i, outer[i], sizeof(outer[i])) < 0) {
			nsh_set_err(
			    err, errlen,
			    "node %s: outer interface prefix '%s' is not valid (1..%d chars "
			    "of A-Z a-z 0-9 _ -)",
			    n->name, outer_prefix, NSH_OUTER_PREFIX_MAX);
			return -EINVAL;
		}
	for (int i = 0; i < n->n_nics; i++)
		if (if_nametoindex(outer[i]) != 0) {
			nsh_set_err(err, errlen, "node %s: interface %s already exists", n->name,
				    outer[i]);
			return -EEXIST;
		}
	snprintf(alias, sizeof(alias), "%s%s", NSH_ALIAS_TAG, nsname);

	ret = nlc_open(&root);
	if (ret < 0) {
		nsh_set_err(err, errlen, "node %s: open route netlink socket: %s", n->name,
			    strerror(-ret));
		return ret;
	}
	ret = nsh_ns_add(nsname, path, err, errlen);
	if (ret < 0)
		goto out_close_root;
	nsfd = nsh_ns_open(path);
	if (nsfd < 0) {
		ret = nsfd;
		nsh_set_err(err, errlen, "network namespace %s: open %s: %s", nsname, path,
			    strerror(-ret));
		goto out_del_ns;
	}

	/* Inside: no DAD (inherited by the interfaces created below), forwarding. */
	fwd = n->ip_forward ? "1" : "0";
	nsh_sysctl_add(&ns_sysctls, "0", true, "net/ipv6/conf/all/accept_dad");
	nsh_sysctl_add(&ns_sysctls, "0", true, "net/ipv6/conf/default/accept_dad");
	nsh_sysctl_add(&ns_sysctls, fwd, false, "net/ipv4/ip_forward");
	nsh_sysctl_add(&ns_sysctls, fwd, true, "net/ipv6/conf/all/forwarding");
	ret = nsh_ns_run(nsfd, nsh_sysctl_apply, &ns_sysctls, &entered);
	if (ret < 0) {
		nsh_set_err(err, errlen, "network namespace %s: %s%s: %s", nsname,
			    entered ? "write /proc/sys/" : "enter",
			    entered ? ns_sysctls.item[ns_sysctls.failed].path : "", strerror(-ret));
		goto out_close_nsfd;
	}
	ret = nsh_ns_run(nsfd, nlc_open, &inner, &entered);
	if (ret < 0) {
		nsh_set_err(err, errlen, "network namespace %s: %s: %s", nsname,
			    entered ? "open route netlink socket" : "enter", strerror(-ret));
		goto out_close_nsfd;
	}
	ret = nlc_link_set_up(&inner, "lo", NULL);
	if (ret < 0) {
		nsh_set_err(err, errlen, "network namespace %s: set lo up: %s", nsname,
			    nlc_why(&inner, ret, why, sizeof(why)));
		goto out_close_inner;
	}

	/* Pairs; outer ends silent in the root namespace, then up. */
	for (made = 0; made < n->n_nics; made++) {
		const struct node_nic *nic = &n->nics[made];
		struct nsh_sysctls outer_sysctls = {0};

		ret = nlc_veth_add(&root, outer[made], nic, nsfd);
		if (ret < 0) {
			nsh_set_err(err, errlen, "node %s: create veth %s (peer %s in %s): %s",
				    n->name, outer[made], nic->ifname, nsname,
				    nlc_why(&root, ret, why, sizeof(why)));
			goto out_del_veths;
		}
		nsh_sysctl_add(&outer_sysctls, "1", true, "net/ipv6/conf/%s/disable_ipv6",
			       outer[made]);
		nsh_sysctl_add(&outer_sysctls, "0", false, "net/ipv4/conf/%s/forwarding",
			       outer[made]);
		ret = nsh_sysctl_apply(&outer_sysctls);
		if (ret < 0) {
			nsh_set_err(err, errlen, "node %s: write /proc/sys/%s: %s", n->name,
				    outer_sysctls.item[outer_sysctls.failed].path, strerror(-ret));
			made++;
			goto out_del_veths;
		}
		ret = nlc_link_set_up(&root, outer[made], alias);
		if (ret < 0) {
			nsh_set_err(err, errlen, "node %s: set %s up: %s", n->name, outer[made],
				    nlc_why(&root, ret, why, sizeof(why)));
			made++;
			goto out_del_veths;
		}
	}

	/* Inner ends: up, then addresses (so their prefix routes appear), routes. */
	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *nic = &n->nics[i];
		int ifindex;

		ret = nlc_link_ifindex(&inner, nic->ifname, &ifindex);
		if (ret < 0) {
			nsh_set_err(err, errlen, "node %s: find %s in %s: %s", n->name, nic->ifname,
				    nsname, nlc_why(&inner, ret, why, sizeof(why)));
			goto out_del_veths;
		}
		ret = nlc_link_no_segmentation(&inner, nic->ifname);
		if (ret < 0) {
			nsh_set_err(err, errlen, "node %s: turn TSO/GSO off on %s: %s", n->name,
				    nic->ifname, strerror(-ret));
			goto out_del_veths;
		}
		if (!nic->link_down) {
			ret = nlc_link_set_up(&inner, nic->ifname, NULL);
			if (ret < 0) {
				nsh_set_err(err, errlen, "node %s: set %s up: %s", n->name,
					    nic->ifname, nlc_why(&inner, ret, why, sizeof(why)));
				goto out_del_veths;
			}
		}
		for (int a = 0; a < nic->n_addrs; a++) {
			struct addr_cidr c;

			addr_parse_cidr(nic->addrs[a], &c); /* checked by nsh_check_node */
			ret = nlc_addr_add(&inner, ifindex, &c);
			if (ret < 0) {
				nsh_set_err(err, errlen, "node %s: add address %s to %s: %s",
					    n->name, nic->addrs[a], nic->ifname,
					    nlc_why(&inner, ret, why, sizeof(why)));
				goto out_del_veths;
			}
		}
	}
	for (int i = 0; i < n->n_routes; i++) {
		const struct node_route *r = &n->routes[i];
		struct addr_cidr dst, via;
		int nic, oif = 0;

		nsh_parse_route(r, &dst, &via); /* checked by nsh_check_node */
		nic = nsh_route_nic(n, &via);
		if (nic >= 0) {
			ret = nlc_link_ifindex(&inner, n->nics[nic].ifname, &oif);
			if (ret < 0) {
				nsh_set_err(err, errlen, "node %s: find %s in %s: %s", n->name,
					    n->nics[nic].ifname, nsname,
					    nlc_why(&inner, ret, why, sizeof(why)));
				goto out_del_veths;
			}
		}
		ret = nlc_route_add(&inner, &dst, &via, oif);
		if (ret < 0) {
			nsh_set_err(err, errlen, "node %s: add route %s via %s: %s", n->name,
				    r->dst, r->via, nlc_why(&inner, ret, why, sizeof(why)));
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
		nlc_link_delete(&root, outer[made]); /* takes the inner end with it */
out_close_inner:
	nlc_close(&inner);
out_close_nsfd:
	close(nsfd);
out_del_ns:
	if (ret < 0)
		nsh_ns_del(path);
out_close_root:
	nlc_close(&root);
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
	if (nsh_ns_path(nsname, path, sizeof(path)) < 0) {
		nsh_set_err(err, errlen, "namespace name '%s' is not valid", nsname ? nsname : "");
		return -EINVAL;
	}
	snprintf(alias, sizeof(alias), "%s%s", NSH_ALIAS_TAG, nsname);

	nsfd = nsh_ns_open(path);
	if (nsfd >= 0) {
		ns_kill_procs(path);
		ret = nsh_ns_run(nsfd, nlc_open, &inner, &entered);
		if (ret < 0) {
			nsh_set_err(err, errlen, "network namespace %s: %s: %s", nsname,
				    entered ? "open route netlink socket" : "enter",
				    strerror(-ret));
			goto out_close_nsfd;
		}
		ret = nlc_links_delete(&inner, match_veth, NULL, failed, sizeof(failed));
		if (ret < 0) {
			nsh_set_err(err, errlen, "network namespace %s: delete %s: %s", nsname,
				    failed[0] ? failed : "(list links)",
				    nlc_why(&inner, ret, why, sizeof(why)));
			goto out_close_inner;
		}
		nlc_close(&inner);
		close(nsfd);
		nsfd = -1;
	}

	/* Outer ends whose pair outlived the namespace file (or its peer). */
	ret = nlc_open(&root);
	if (ret < 0) {
		nsh_set_err(err, errlen, "open route netlink socket: %s", strerror(-ret));
		return ret;
	}
	ret = nlc_links_delete(&root, match_alias, alias, failed, sizeof(failed));
	nlc_close(&root);
	if (ret < 0) {
		nsh_set_err(err, errlen, "network namespace %s: delete outer interface %s: %s",
			    nsname, failed[0] ? failed : "(list links)", strerror(-ret));
		return ret;
	}

	ret = nsh_ns_del(path);
	if (ret < 0)
		nsh_set_err(err, errlen, "network namespace %s: unmount/remove %s: %s", nsname,
			    path, strerror(-ret));
	return ret;

out_close_inner:
	nlc_close(&inner);
out_close_nsfd:
	close(nsfd);
	return ret;
}

int nsh_exists(const char *nsname)
{
	char path[PATH_MAX];
	struct statfs sf;

	if (nsh_ns_path(nsname, path, sizeof(path)) < 0)
		return -EINVAL;
	if (statfs(path, &sf) < 0)
		return 0;
	return sf.f_type == NSFS_MAGIC ? 1 : 0;
}
