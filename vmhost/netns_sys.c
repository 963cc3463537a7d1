/* Namespace hosts, the plumbing: namespace files under NSH_RUN_DIR (made
 * the way `ip netns add` makes them, opened, removed), functions run on a
 * short-lived thread that enters a namespace, and /proc/sys, which reflects
 * the namespace of the task that opens it.
 *
 * Threads: any caller thread; no global state. The caller's thread never
 * changes namespace: nsh_ns_run() does the entering on a thread of its own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netns_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

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
int nsh_ns_run(int nsfd, int (*fn)(void *), void *arg, bool *entered)
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
int nsh_sysctl_write(const char *path, const char *val)
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

void nsh_sysctl_add(struct nsh_sysctls *s, const char *val, bool optional, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->item[s->n].path, sizeof(s->item[s->n].path), fmt, ap);
	va_end(ap);
	s->item[s->n].val = val;
	s->item[s->n].optional = optional;
	s->n++;
}

int nsh_sysctl_apply(void *arg)
{
	struct nsh_sysctls *s = arg;

	for (int i = 0; i < s->n; i++) {
		int ret = nsh_sysctl_write(s->item[i].path, s->item[i].val);

		if (ret == -ENOENT && s->item[i].optional)
			continue;
		if (ret < 0) {
			s->failed = i;
			return ret;
		}
	}
	return 0;
}

/* ---- The namespace itself ---- */

int nsh_ns_path(const char *nsname, char *path, size_t len)
{
	if (nsh_check_name(nsname) < 0)
		return -EINVAL;
	if (snprintf(path, len, "%s/%s", NSH_RUN_DIR, nsname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Opens the namespace file; -ENOENT when it is missing or not a namespace
 * (a leftover empty file). */
int nsh_ns_open(const char *path)
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
int nsh_ns_add(const char *nsname, const char *path, char *err, size_t errlen)
{
	bool made_mount = false, entered;
	int fd, ret;

	if (mkdir(NSH_RUN_DIR, 0755) < 0 && errno != EEXIST) {
		ret = -errno;
		nsh_set_err(err, errlen, "create %s: %s", NSH_RUN_DIR, strerror(-ret));
		return ret;
	}
	while (mount("", NSH_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		if (errno != EINVAL || made_mount) {
			ret = -errno;
			nsh_set_err(err, errlen, "make %s a shared mount: %s", NSH_RUN_DIR,
				    strerror(-ret));
			return ret;
		}
		if (mount(NSH_RUN_DIR, NSH_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
			ret = -errno;
			nsh_set_err(err, errlen, "bind-mount %s on itself: %s", NSH_RUN_DIR,
				    strerror(-ret));
			return ret;
		}
		made_mount = true;
	}
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			nsh_set_err(err, errlen, "network namespace %s already exists (%s)", nsname,
				    path);
		else
			nsh_set_err(err, errlen, "network namespace %s: create %s: %s", nsname,
				    path, strerror(-ret));
		return ret;
	}
	close(fd);
	ret = nsh_ns_run(-1, ns_bind_job, (void *)path, &entered);
	if (ret < 0) {
		nsh_set_err(err, errlen, "network namespace %s: %s: %s", nsname,
			    entered ? "bind-mount" : "unshare", strerror(-ret));
		unlink(path);
		return ret;
	}
	return 0;
}

/* Unmounts and removes the namespace file; missing parts are fine. */
int nsh_ns_del(const char *path)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int nsh_sysctl_read_long(const char *path, long *out)
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
