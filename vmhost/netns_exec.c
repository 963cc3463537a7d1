/* Namespace hosts, commands inside: nsh_exec() runs a command in a
 * namespace with its output captured and a timeout, nsh_exec_interactive()
 * with the caller's terminal. The command runs in a forked child that enters
 * the namespace and mounts the namespace's own /sys, like `ip netns exec`.
 *
 * Threads: any caller thread; no global state. nsh_exec_interactive()
 * ignores SIGINT/SIGQUIT in the process while it waits (like system()). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "netns_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_POLL_MS 100 /* nsh_exec: how often a silent child is checked for exit */

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
	if (nsh_ns_path(nsname, path, sizeof(path)) < 0 || !argv_ok(argv)) {
		snprintf(out->errmsg, sizeof(out->errmsg), "bad namespace name or empty command");
		return -EINVAL;
	}
	nsfd = nsh_ns_open(path);
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

	if (nsh_ns_path(nsname, path, sizeof(path)) < 0 || !argv_ok(argv))
		return -EINVAL;
	nsfd = nsh_ns_open(path);
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
