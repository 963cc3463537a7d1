/* What the parts of namespace hosts share (vmhost/netns*.c; the public API
 * is netns.h): error messages, route parsing, the namespace files under
 * NSH_RUN_DIR, running a function on a thread inside a namespace, and
 * /proc/sys. Not for other modules.
 *
 * Threads: any; the functions keep no global state. nsh_ns_run() is the
 * only one that changes namespace, on a thread of its own. */
#ifndef VLAB_NETNS_PRIV_H
#define VLAB_NETNS_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "netns.h"
#include "node.h"

/* printf into err (when err and errlen are set). */
void nsh_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Route `r` as addresses: "default" takes the family of the next hop.
 * 0 or -EINVAL. */
int nsh_parse_route(const struct node_route *r, struct addr_cidr *dst, struct addr_cidr *via);

/* /run/netns/<nsname> into path: 0, -EINVAL (bad name), -ENAMETOOLONG. */
int nsh_ns_path(const char *nsname, char *path, size_t len);
/* Opens a namespace file: a descriptor, or -ENOENT when it is missing or not
 * a namespace (a leftover empty file), or another -errno. */
int nsh_ns_open(const char *path);
/* Like `ip netns add`: a new network namespace bind-mounted on `path`
 * (NSH_RUN_DIR made a shared mount first). 0 or -errno with err filled. */
int nsh_ns_add(const char *nsname, const char *path, char *err, size_t errlen);
/* Unmounts and removes a namespace file; missing parts are fine. */
int nsh_ns_del(const char *path);
/* Runs fn(arg) on a new thread inside namespace `nsfd` (-1: a new one, by
 * unshare) and waits for it. Returns fn's result or the -errno of entering;
 * *entered (may be NULL) tells which. */
int nsh_ns_run(int nsfd, int (*fn)(void *), void *arg, bool *entered);

/* Writes `val` to / reads a number from /proc/sys/<path>, in the namespace
 * of the calling thread. 0 or -errno. */
int nsh_sysctl_write(const char *path, const char *val);
int nsh_sysctl_read_long(const char *path, long *out);

/* A list of sysctls to write; `optional` ones may be missing (no IPv6). */
struct nsh_sysctls {
	struct {
		char path[128];
		const char *val;
		bool optional;
	} item[6];
	int n;
	int failed; /* index of the item that failed */
};

/* Appends an item (path formatted from fmt) to s. */
void nsh_sysctl_add(struct nsh_sysctls *s, const char *val, bool optional, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes the items of the struct nsh_sysctls `arg` in order (a job for
 * nsh_ns_run()); on failure s->failed is the item that failed. */
int nsh_sysctl_apply(void *arg);

#endif /* VLAB_NETNS_PRIV_H */
