/* The QEMU guest kind ("vm"): a guest booted from the built-in image (or
 * its own kernel or disk), its NICs vhost-user sockets that QEMU serves and
 * the switch connects to, readiness and commands through the guest agent,
 * power-off and link state through QMP, a serial console socket. See
 * kind.h for the operations.
 *
 * Threads: the caller's, or one of vm_start_parallel()'s workers per node;
 * the only shared state is an atomic flag that the TCG notice was given. */
#include "kind.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "gcfg.h"
#include "image.h"
#include "qemu.h"
#include "qga.h"
#include "qmp.h"

#define VM_CMDLINE_MAX	 4096
#define VM_QEMU_START_MS 30000

/* Reads the last `len - 1` bytes of a file into buf (for error messages). */
static void file_tail(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)len - 1 ? size - (off_t)len + 1 : 0, SEEK_SET);
	n = read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	for (char *p = buf; *p; p++)
		if (*p == '\n' && p[1] != '\0')
			*p = ' ';
}

/* Runs argv with stdout/stderr appended to `log`; returns its exit status
 * (0..255), -ETIMEDOUT (killed after timeout_ms), or -errno when it could not
 * run. */
static int run_logged(char *const argv[], const char *log, int timeout_ms)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (nul >= 0)
			dup2(nul, 0);
		setsid();
		execvp(argv[0], argv);
		_exit(127);
	}
	for (int waited = 0;; waited += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= timeout_ms) {
			kill(-pid, SIGKILL); /* its own session: the whole group */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static pid_t read_pidfile(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (pid_t)atoi(buf);
}

/* True when `pid` is a live QEMU whose command line names a file in
 * directory `needle` ("DIR/"): guards against signalling an unrelated process
 * that reused the pid, or the QEMU of node a10 when a1 is meant. */
static bool pid_matches(pid_t pid, const char *needle)
{
	char dir[NODE_PATH_MAX + 2];
	char path[64], buf[8192];
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	snprintf(dir, sizeof(dir), "%s/", needle);
	return strstr(buf, dir) != NULL && strstr(buf, "qemu") != NULL;
}

/* Signals every process whose command line mentions `needle`; then waits up
 * to `grace_ms` and SIGKILLs what is left. Returns how many were found. */
static int kill_matching(const char *needle, pid_t hint, int grace_ms)
{
	pid_t pids[64];
	int n = 0;
	DIR *d;
	struct dirent *e;

	if (pid_matches(hint, needle))
		pids[n++] = hint;
	d = opendir("/proc");
	while (d && (e = readdir(d)) != NULL && n < 64) {
		pid_t p = (pid_t)atoi(e->d_name);

		if (p > 0 && p != hint && p != getpid() && pid_matches(p, needle))
			pids[n++] = p;
	}
	if (d)
		closedir(d);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	for (int waited = 0; waited < grace_ms; waited += 50) {
		bool alive = false;

		for (int i = 0; i < n; i++)
			alive |= pid_matches(pids[i], needle);
		if (!alive)
			return n;
		usleep(50000);
	}
	for (int i = 0; i < n; i++)
		if (pid_matches(pids[i], needle))
			kill(pids[i], SIGKILL);
	for (int waited = 0; waited < 2000; waited += 50) {
		bool alive = false;

		for (int i = 0; i < n; i++)
			alive |= pid_matches(pids[i], needle);
		if (!alive)
			break;
		usleep(50000);
	}
	return n;
}

static void progress(const struct vm_opts *o, const char *msg)
{
	if (o && o->progress)
		o->progress(msg, o->arg);
}

static int guest_start(struct kind_node *k, const struct vm_opts *o, char *err, size_t errlen)
{
	struct node *n = &k->n;
	const char *dir = k->dir;
	struct qemu_opts qo = {.daemonize = true};
	struct qemu_files f;
	struct qemu_argv a = {0};
	struct img_paths img;
	char cmdline[VM_CMDLINE_MAX], cfg[VM_CMDLINE_MAX], log[NODE_PATH_MAX + 16], tail[400];
	static atomic_bool said_tcg;
	int rc;

	rc = qemu_files_init(&f, dir);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": state directory path %s is too long", n->name,
			 dir);
		return rc;
	}
	rc = gcfg_validate(n, err, errlen);
	if (rc < 0)
		return rc;
	rc = gcfg_cmdline(n, cfg, sizeof(cfg));
	if (rc < 0) {
		snprintf(err, errlen,
			 "node \"%s\": guest configuration does not fit the kernel "
			 "command line",
			 n->name);
		return rc;
	}

	if (n->kernel[0]) {
		qo.kernel = n->kernel;
		qo.initrd = n->initrd[0] ? n->initrd : NULL;
	} else if (n->disk[0] == '\0') {
		/* quiet when cached; img_ensure reports the steps of a build */
		rc = img_ensure(o ? o->image_cache : NULL, &img,
				o ? (img_progress_fn)o->progress : NULL, o ? o->arg : NULL);
		if (rc < 0) {
			snprintf(err, errlen, "guest image: %s", img.error);
			return rc;
		}
		qo.kernel = img.kernel;
		qo.initrd = img.initrd;
	}
	snprintf(cmdline, sizeof(cmdline), "console=ttyS0 panic=-1 quiet %s%s%s", cfg,
		 n->append[0] ? " " : "", n->append);
	qo.cmdline = cmdline;
	qo.kvm = qemu_kvm_usable();
	if (!qo.kvm && !atomic_exchange(&said_tcg, true))
		progress(o, "no usable /dev/kvm: guests run under TCG emulation (slower)");

	unlink(f.qmp);
	unlink(f.qga);
	unlink(f.console);
	unlink(f.pidfile);
	for (int i = 0; i < n->n_nics; i++)
		unlink(n->nics[i].sock);

	rc = qemu_build_argv(n, &qo, &f, &a);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot build the QEMU command line (%s)",
			 n->name, strerror(-rc));
		return rc;
	}
	snprintf(log, sizeof(log), "%s/qemu.log", dir);
	/* QEMU only finishes starting once the switch has connected to every
	 * vhost-user socket of the guest */
	rc = run_logged(a.argv, log, VM_QEMU_START_MS);
	qemu_argv_free(&a);
	if (rc == -ETIMEDOUT) {
		kill_matching(dir, 0, 1000);
		snprintf(err, errlen,
			 "node \"%s\": QEMU did not finish starting within %d s: "
			 "is vlab-switchd running and are the node's ports added?",
			 n->name, VM_QEMU_START_MS / 1000);
		return rc;
	}
	if (rc != 0) {
		file_tail(log, tail, sizeof(tail));
		snprintf(err, errlen, "node \"%s\": QEMU failed to start (%s): %s", n->name,
			 rc == 127 ? "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
				   : "see its log",
			 tail);
		return -EIO;
	}
	k->rec.pid = read_pidfile(f.pidfile);
	return lab_record_save(k->lab, n, &k->rec);
}

static int guest_defaults(const char *dir, struct node *n)
{
	for (int i = 0; i < n->n_nics; i++) {
		struct node_nic *c = &n->nics[i];

		if (c->sock[0] == '\0' &&
		    snprintf(c->sock, sizeof(c->sock), "%s/%s.sock", dir, c->ifname) >= 108)
			return -ENAMETOOLONG;
	}
	return 0;
}

static int guest_check(const struct node *n, char *err, size_t errlen)
{
	char buf[VM_CMDLINE_MAX];
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = gcfg_validate(n, err, errlen);
	if (rc == 0 && !n->disk[0] && gcfg_cmdline(n, buf, sizeof(buf)) == -ENOSPC)
		snprintf(err, errlen,
			 "the guest configuration is longer than %d characters of kernel command "
			 "line: use fewer addresses or routes",
			 GCFG_CMDLINE_MAX);
	if (rc == 0 && errlen && err[0])
		rc = -EINVAL;
	return rc;
}

static int guest_port(const char *lab, const struct node *n, int i, struct kind_port *p)
{
	(void)lab;
	p->type = "vhost-user";
	p->key = "path";
	return snprintf(p->value, sizeof(p->value), "%s", n->nics[i].sock) >= (int)sizeof(p->value)
		   ? -ENAMETOOLONG
		   : 0;
}

/* The built-in image is built once, before the workers all wait on its lock. */
static void guest_prepare(const struct node *nodes, int n, const struct vm_opts *o)
{
	struct img_paths img;

	for (int i = 0; i < n; i++)
		if (!nodes[i].kernel[0] && !nodes[i].disk[0]) {
			progress(o, "checking the built-in guest image");
			img_ensure(o ? o->image_cache : NULL, &img,
				   o ? (img_progress_fn)o->progress : NULL, o ? o->arg : NULL);
			break;
		}
}

static int guest_wait_ready(struct kind_node *k, int timeout_ms, char *err, size_t errlen)
{
	char tail[300];
	struct qemu_files f;
	int rc;

	rc = qemu_files_init(&f, k->dir);
	if (rc < 0)
		return rc;
	/* in slices, so a guest whose QEMU died is noticed at once */
	for (int waited = 0;; waited += 2000) {
		int slice = timeout_ms - waited < 2000 ? timeout_ms - waited : 2000;

		rc = qga_wait_ready(f.qga, slice > 0 ? slice : 1);
		if (rc == 0 || waited + slice >= timeout_ms)
			break;
		if (k->rec.pid && !pid_matches(k->rec.pid, k->dir)) {
			file_tail(f.console_log, tail, sizeof(tail));
			snprintf(err, errlen,
				 "node \"%s\": QEMU exited before the guest was "
				 "ready (last console output: %s)",
				 k->name, tail);
			return -ESRCH;
		}
	}
	if (rc < 0) {
		file_tail(f.console_log, tail, sizeof(tail));
		snprintf(err, errlen,
			 "node \"%s\": guest agent did not answer within %d s (last "
			 "console output: %s)",
			 k->name, timeout_ms / 1000, tail);
	}
	return rc;
}

static int guest_stop(struct kind_node *k, int timeout_ms, char *err, size_t errlen)
{
	struct qemu_files f;
	struct qmp *q = NULL;
	struct qga *g = NULL;
	char e[256];

	(void)err;
	(void)errlen;
	qemu_files_init(&f, k->dir);
	if (!pid_matches(k->rec.pid, k->dir))
		return 0; /* already stopped */
	if (qmp_connect(f.qmp, 2000, &q, e, sizeof(e)) == 0) {
		qmp_system_powerdown(q, e, sizeof(e));
		qmp_close(q);
	}
	/* guests without an ACPI daemon (the built-in image) ignore the power
	 * button: ask their agent too; it answers nothing when it complies */
	if (qga_connect(f.qga, 2000, &g) == 0)
		qga_execute(g, "guest-shutdown", json_pack("{s:s}", "mode", "powerdown"), NULL);
	qga_close(g);
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		if (!pid_matches(k->rec.pid, k->dir))
			return 0;
		usleep(100000);
	}
	kill_matching(k->dir, k->rec.pid, 2000);
	return 0;
}

/* The QEMU of this node, recorded or not (a start may have died before
 * recording its pid): every process naming the node directory. */
static int guest_destroy(struct kind_node *k, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	kill_matching(k->dir, k->recorded ? k->rec.pid : 0, 3000);
	return 0;
}

static void guest_status(struct kind_node *k, struct vm_status *st)
{
	struct qemu_files f;
	struct qmp *q = NULL;
	bool running;
	char e[256];

	qemu_files_init(&f, k->dir);
	if (!pid_matches(k->rec.pid, k->dir)) {
		snprintf(st->state, sizeof(st->state), "stopped");
		return;
	}
	st->pid = k->rec.pid;
	snprintf(st->state, sizeof(st->state), "running");
	if (qmp_connect(f.qmp, 1000, &q, e, sizeof(e)) == 0) {
		qmp_query_status(q, st->state, sizeof(st->state), &running, e, sizeof(e));
		qmp_close(q);
	}
	st->agent = qga_wait_ready(f.qga, 500) == 0;
	st->up = st->agent;
}

static int guest_link(struct kind_node *k, int nic, bool up, char *err, size_t errlen)
{
	struct qemu_files f;
	struct qmp *q = NULL;
	char id[16];
	int rc;

	qemu_files_init(&f, k->dir);
	rc = qmp_connect(f.qmp, 3000, &q, err, errlen);
	if (rc < 0)
		return rc;
	qemu_nic_id(nic, id, sizeof(id));
	rc = qmp_set_link(q, id, up, err, errlen);
	qmp_close(q);
	return rc;
}

static int guest_exec(struct kind_node *k, const char *const argv[], int timeout_ms,
		   struct vm_exec_result *out, char *err, size_t errlen)
{
	struct qga_exec_result r = {0};
	struct qemu_files f;
	struct qga *g = NULL;
	const char **full;
	int rc, argc = 0;

	while (argv[argc])
		argc++;
	/* the agent runs a path without searching PATH: let a shell find it */
	full = calloc((size_t)argc + 4, sizeof(char *));
	if (full == NULL)
		return -ENOMEM;
	full[0] = "/bin/sh";
	full[1] = "-c";
	full[2] = "exec \"$0\" \"$@\"";
	for (int i = 0; i < argc; i++)
		full[3 + i] = argv[i];
	qemu_files_init(&f, k->dir);
	rc = qga_connect(f.qga, 3000, &g);
	if (rc == 0)
		rc = qga_exec(g, full, NULL, timeout_ms, &r);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": guest agent: %s", k->name,
			 g ? qga_error(g) : strerror(-rc));
		if (rc == -ETIMEDOUT)
			out->timed_out = true;
	} else {
		out->exit_code = r.signal ? 128 + r.signal : r.exitcode;
		out->out = r.out;
		out->out_len = r.out_len;
		out->err = r.err;
		out->err_len = r.err_len;
	}
	qga_close(g);
	free(full);
	return rc;
}

static int console_relay(int fd)
{
	struct termios old, raw;
	bool tty = tcgetattr(0, &old) == 0;
	char buf[4096];
	int rc = 0;

	if (tty) {
		raw = old;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = 0, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (memchr(buf, 0x1d, (size_t)n)) /* Ctrl-] detaches */
				break;
			if (write(fd, buf, (size_t)n) < 0)
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (write(1, buf, (size_t)n) < 0)
				break;
		}
	}
	if (tty)
		tcsetattr(0, TCSANOW, &old);
	return rc;
}

static int guest_console(struct kind_node *k, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct qemu_files f;
	int fd, rc;

	qemu_files_init(&f, k->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f.console);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "node \"%s\": cannot attach to its console %s: %s", k->name,
			 f.console, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	fprintf(stderr, "Connected to the console of %s (Ctrl-] detaches).\r\n", k->name);
	rc = console_relay(fd);
	close(fd);
	fprintf(stderr, "\r\nDetached from %s.\n", k->name);
	return rc;
}

const struct kind_ops kind_vm = {
    .name = "vm",
    .what = "QEMU guest",
    .noun = "guest",
    .nic_noun = "virtio NIC",
    .up_state = "ready",
    .features = KIND_CPUS | KIND_MEMORY | KIND_BOOT | KIND_QUEUES,
    .start_order = 1,
    /* QEMU only finishes starting once the switch has connected to every
     * vhost-user socket of the guest */
    .plug_first = true,
    .agent = true,
    .defaults = guest_defaults,
    .check = guest_check,
    .port = guest_port,
    .prepare = guest_prepare,
    .start = guest_start,
    .wait_ready = guest_wait_ready,
    .stop = guest_stop,
    .destroy = guest_destroy,
    .status = guest_status,
    .link = guest_link,
    .exec = guest_exec,
    .console = guest_console,
};
