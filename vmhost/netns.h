/* Namespace hosts: a lab "host" node is a named Linux network namespace
 * (iproute2-compatible, /run/netns/NAME) joined to the lab by veth pairs. The
 * inner end of each pair carries the node's NIC (name, MAC, MTU, addresses,
 * routes); the outer end stays in the root namespace, up, without addresses,
 * without IPv6 and without ARP, for vlab-switchd to attach as an af-packet
 * port. Commands run inside with nsh_exec()/nsh_exec_interactive().
 *
 * Threads: callable from any thread, reentrant (no global state). Work that
 * must happen inside the namespace runs on a short-lived dedicated thread
 * that enters it with setns(), or in a forked child; the caller's thread never
 * changes namespace. nsh_exec_interactive() changes SIGINT/SIGQUIT dispositions
 * of the process while it waits (like system()). Needs CAP_SYS_ADMIN and
 * CAP_NET_ADMIN, except for the pure helpers at the end. */
#ifndef VLAB_NETNS_H
#define VLAB_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "node.h"

#define NSH_RUN_DIR	     "/run/netns" /* where iproute2 keeps named namespaces */
#define NSH_NAME_MAX	     80		  /* namespace names: 1..79 chars [A-Za-z0-9_.-] */
#define NSH_IFNAME_MAX	     16		  /* IFNAMSIZ: interface names up to 15 chars */
#define NSH_OUTER_PREFIX_MAX 12		  /* outer-name prefix: 1..12 chars [A-Za-z0-9_-] */
#define NSH_ALIAS_TAG	     "vlab-nsh:"  /* outer ends carry ifalias NSH_ALIAS_TAG + nsname */
#define NSH_EXEC_CAP	     (16u << 20)  /* captured bytes kept per stream by nsh_exec() */

/* What nsh_create() made. */
struct nsh_info {
	char nsname[NSH_NAME_MAX];		   /* the namespace, /run/netns/<nsname> */
	int n_outer;				   /* = node n_nics */
	char outer[NODE_MAX_NICS][NSH_IFNAME_MAX]; /* outer end of nics[i], root namespace */
};

/* Outcome of nsh_exec(). Release with nsh_exec_result_free(). */
struct nsh_exec_result {
	int exit_code;	  /* exit status 0..255; 128 + signal when killed (shell style);
			   * 127/126 when the command could not be executed (message on err) */
	int signal;	  /* signal that ended the command, 0 if it exited */
	bool timed_out;	  /* killed (SIGKILL, whole process group) at the timeout */
	char *out;	  /* captured stdout, NUL-terminated (never NULL after success) */
	size_t out_len;	  /* bytes in out, at most NSH_EXEC_CAP */
	char *err;	  /* captured stderr, NUL-terminated (never NULL after success) */
	size_t err_len;	  /* bytes in err, at most NSH_EXEC_CAP */
	bool truncated;	  /* a stream produced more than NSH_EXEC_CAP; the rest was dropped */
	char errmsg[256]; /* when nsh_exec() fails: what failed, naming the object */
};

/* Creates network namespace `nsname` (/run/netns/<nsname>, the way `ip netns
 * add` does) for host node `n` (kind NODE_HOST):
 *  - `lo` up; IPv6 DAD off (accept_dad=0); ip_forward (IPv4 and IPv6
 *    forwarding) set from n->ip_forward;
 *  - for each nics[i] a veth pair: the outer end, named by nsh_outer_name()
 *    from `outer_prefix` and i (e.g. "vl3a9f" -> "vl3a9fe0"), stays in the
 *    root namespace: up, MTU = nic mtu, no addresses,
 *    disable_ipv6=1, NOARP, forwarding=0, ifalias NSH_ALIAS_TAG<nsname>; the
 *    inner end is created in the namespace as nic.ifname with nic.mac, nic.mtu
 *    (when nonzero), the nic's addresses, and up unless nic.link_down;
 *  - n->routes: "default" or CIDR destination via a next hop; the route's
 *    device is the NIC whose address subnet holds the next hop (or the only
 *    NIC for an IPv6 link-local next hop), else the kernel picks.
 * Fills *out. On failure undoes everything it created, fills `err` (naming
 * the object and the problem) and returns a negative errno: -EINVAL (node
 * rejected by nsh_check_node()), -EEXIST (namespace or interface exists),
 * -EPERM, or what the kernel answered. */
int nsh_create(const struct node *n, const char *nsname, const char *outer_prefix,
	       struct nsh_info *out, char *err, size_t errlen);

/* Destroys namespace `nsname`: kills (SIGKILL) processes whose network
 * namespace it is, deletes every veth in it (which deletes the outer ends),
 * deletes root-namespace links tagged NSH_ALIAS_TAG<nsname> that remain,
 * unmounts and removes /run/netns/<nsname>. Idempotent: returns 0 when parts
 * or all of it are already gone. Returns -EINVAL for a bad name, else the
 * first failure, with `err` filled. */
int nsh_destroy(const char *nsname, char *err, size_t errlen);

/* 1 when /run/netns/<nsname> is a mounted network namespace, 0 when not,
 * -EINVAL for a bad name. */
int nsh_exists(const char *nsname);

/* Namespace hosts share the kernel's neighbour tables (ARP and NDP): their
 * size limits, net.ipv4.neigh.default.gc_thresh2/3 and the ipv6 ones, are
 * host-wide (the root namespace's), 512/1024 by default, and a lab of a few
 * hundred hosts that all talk to each other needs tens of thousands of
 * entries ("neighbor table overflow", pings lost). When `entries` is more
 * than half of gc_thresh3, raises the limits (never lowers them) so that they
 * fit: gc_thresh3 to entries + NSH_NEIGH_SPARE and gc_thresh2 to at least
 * entries + NSH_NEIGH_SPARE / 2. Returns 1
 * when it raised something (msg says what, e.g.
 * "net.ipv4.neigh.default.gc_thresh3 1024 -> 27880, ..."), 0 when they were
 * high enough, or a negative errno (msg says what failed). Call it from a
 * thread in the root namespace. */
int nsh_neigh_reserve(long entries, char *msg, size_t msglen);

/* Runs argv (argv[0] searched in PATH) inside namespace `nsname` with stdin
 * /dev/null, capturing stdout and stderr (NSH_EXEC_CAP bytes each). After
 * timeout_ms (<= 0: no timeout) the command's process group is killed. The
 * command sees /sys of the namespace. Returns 0 when the command was started
 * (its outcome in *out; free with nsh_exec_result_free()), else a negative
 * errno with out->errmsg filled: -ENOENT (no such namespace), -EINVAL, ... */
int nsh_exec(const char *nsname, const char *const argv[], int timeout_ms,
	     struct nsh_exec_result *out);

/* Frees the buffers of *r; accepts NULL. */
void nsh_exec_result_free(struct nsh_exec_result *r);

/* Runs argv inside namespace `nsname` with the caller's stdin/stdout/stderr
 * (for `vlab exec` on a terminal) and waits for it. Returns its exit status
 * (0..255, 128 + signal, 127/126 when it could not be executed, with a
 * message on stderr), or a negative errno: -ENOENT (no such namespace),
 * -EINVAL, -ENOMEM... */
int nsh_exec_interactive(const char *nsname, const char *const argv[]);

/* ---- Pure helpers (no syscalls; unit-tested) ---- */

#define NSH_NEIGH_SPARE 1024 /* neighbour entries left for the host's own use */

/* The limits nsh_neigh_reserve() sets for `entries` from the current ones
 * (cur2, cur3): true with *new2, *new3 when they must rise, false (and the
 * current values) when they are high enough. */
bool nsh_neigh_limits(long entries, long cur2, long cur3, long *new2, long *new3);


/* Namespace name check: 1..NSH_NAME_MAX-1 chars of [A-Za-z0-9_.-], not
 * starting with '.' or '-'. Returns 0 or -EINVAL. */
int nsh_check_name(const char *nsname);

/* Outer veth end of NIC `index`: `prefix` (1..NSH_OUTER_PREFIX_MAX chars of
 * [A-Za-z0-9_-]) + "e" + decimal index, e.g. ("vl3a9f", 0) -> "vl3a9fe0".
 * The result always fits IFNAMSIZ (15 chars) for index < 100. Returns 0,
 * -EINVAL (bad prefix or index) or -ENAMETOOLONG (buf too small). */
int nsh_outer_name(const char *prefix, int index, char *buf, size_t len);

/* Checks everything nsh_create() needs from `n` before touching the kernel:
 * kind NODE_HOST, 1..NODE_MAX_NICS NICs with distinct valid interface names
 * (not "lo"), addresses in CIDR form, routes with "default" or a network
 * CIDR destination and a next hop of the same family. Returns 0 or -EINVAL
 * with `err` naming the offending field. */
int nsh_check_node(const struct node *n, char *err, size_t errlen);

/* Index of the NIC of `n` to which route next hop `via` belongs: the first
 * NIC with an address whose subnet holds `via`; for an IPv6 link-local `via`
 * the only NIC when there is one. -1 when none (the kernel decides). */
int nsh_route_nic(const struct node *n, const struct addr_cidr *via);

#endif /* VLAB_NETNS_H */
