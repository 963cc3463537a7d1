/* Route netlink for namespace hosts: a libnl-route-3 socket bound to one
 * network namespace, which reports the kernel's own errno and extended-ack
 * message, and the few link, veth, address and route operations nsh_create()
 * and nsh_destroy() need. Private to vmhost/netns*.c.
 *
 * Threads: a socket belongs to the namespace of the thread that opened it
 * (nlc_open() runs on a thread inside the namespace, see nsh_ns_run()); once
 * open, any one thread at a time may use it. */
#ifndef VLAB_NETNS_NL_H
#define VLAB_NETNS_NL_H

#include <stdbool.h>
#include <stddef.h>

#include <netlink/route/link.h>

#include "addr.h"
#include "node.h"

/* A route netlink socket and the last error the kernel answered on it. */
struct nlctx {
	struct nl_sock *sk;
	int error;     /* -errno of the last error answer, 0 if none */
	char ext[160]; /* the kernel's extended-ack message for it, or "" */
};

/* Opens c->sk (`arg` is the struct nlctx) in the namespace of the calling
 * thread; the signature of a job for nsh_ns_run(). 0 or -errno. */
int nlc_open(void *arg);
/* Closes the socket; accepts a context that was never opened. */
void nlc_close(struct nlctx *c);
/* Forgets the last error before a new request. */
void nlc_reset(struct nlctx *c);
/* A libnl result as 0 or -errno, preferring the kernel's errno. */
int nlc_result(struct nlctx *c, int nlerr);
/* "reason" text for an error from nlc_result(): strerror plus the kernel's
 * extended-ack message when it sent one; returns buf. */
const char *nlc_why(struct nlctx *c, int ret, char *buf, size_t len);

/* Interface index of link `name`. 0 or -errno (-ENODEV: no such link). */
int nlc_link_ifindex(struct nlctx *c, const char *name, int *ifindex);
/* Sets link `name` up and, when `alias` is not NULL, its ifalias. */
int nlc_link_set_up(struct nlctx *c, const char *name, const char *alias);
/* Turns TSO and GSO off on link `name` (ethtool ioctls on the socket). */
int nlc_link_no_segmentation(struct nlctx *c, const char *name);
/* Deletes link `name`; a link already gone is not an error. */
int nlc_link_delete(struct nlctx *c, const char *name);
/* Deletes every link of the socket's namespace that `match` selects; on
 * failure `failed` names the link that could not be deleted ("" when the
 * links could not be listed). */
int nlc_links_delete(struct nlctx *c, bool (*match)(struct rtnl_link *, const void *),
		     const void *arg, char *failed, size_t failed_len);
/* Creates a veth pair: `outer` in the socket's namespace (NOARP, down),
 * nic->ifname with nic's MAC and MTU in namespace `nsfd`. */
int nlc_veth_add(struct nlctx *c, const char *outer, const struct node_nic *nic, int nsfd);
/* Adds address `a` to link `ifindex` (IPv4 with its broadcast, IPv6 without
 * DAD). */
int nlc_addr_add(struct nlctx *c, int ifindex, const struct addr_cidr *a);
/* Adds a static route to `dst` via `via`, out of `oif` when > 0. */
int nlc_route_add(struct nlctx *c, const struct addr_cidr *dst, const struct addr_cidr *via,
		  int oif);

#endif /* VLAB_NETNS_NL_H */
