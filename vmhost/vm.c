/* Life cycle of lab nodes; see vm.h.
 *
 * Runs on the caller's thread, except vm_start_parallel()'s workers, which
 * each run vm_start() for whole nodes (nothing shared but an atomic cursor).
 * Every step that creates something is preceded by a record of it in the
 * node's directory, so vm_destroy() can always clean up. */
#include "vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "gcfg.h"
#include "image.h"
#include "netns.h"
#include "qemu.h"
#include "qga.h"
#include "qmp.h"

#define VM_CMDLINE_MAX   4096
#define VM_QEMU_START_MS 30000

static uint32_t fnv1a(const char *a, const char *b, int i)
{
	uint32_t h = 2166136261u;
	char buf[160];

	snprintf(buf, sizeof(buf), "%s/%s/%d", a, b, i);
	for (const char *p = buf; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	return h;
}

int vm_node_defaults(const char *lab, struct node *n)
{
	char dir[NODE_PATH_MAX];
	int rc = lab_node_dir(lab, n->name, dir, sizeof(dir));

	if (rc < 0)
		return rc;
	for (int i = 0; i < n->n_nics; i++) {
		struct node_nic *c = &n->nics[i];
		static const uint8_t zero[6];

		if (c->ifname[0] == '\0')
			snprintf(c->ifname, sizeof(c->ifname), "eth%d", i);
		if (memcmp(c->mac, zero, 6) == 0) {
			uint32_t h = fnv1a(lab, n->name, i);

			c->mac[0] = 0x52;
			c->mac[1] = 0x54;
			c->mac[2] = 0x00;
			c->mac[3] = (uint8_t)(h >> 16);
			c->mac[4] = (uint8_t)(h >> 8);
			c->mac[5] = (uint8_t)h;
		}
		if (c->port[0] == '\0' &&
		    snprintf(c->port, sizeof(c->port), "%s-%s", n->name, c->ifname) >=
			    (int)sizeof(c->port))
			return -ENAMETOOLONG;
		if (n->kind == NODE_VM && c->sock[0] == '\0') {
			if (snprintf(c->sock, sizeof(c->sock), "%s/%s.sock", dir, c->ifname) >= 108)
				return -ENAMETOOLONG;
		}
	}
	return 0;
}

void vm_host_names(const char *lab, const char *node, char *nsname, size_t nslen, char *prefix,
		   size_t plen)
{
	snprintf(nsname, nslen, "vlab-%s-%s", lab, node);
	snprintf(prefix, plen, "vl%06x", fnv1a(lab, node, -1) & 0xffffff);
}

static void progress(const struct vm_opts *o, const char *msg)
{
	if (o && o->progress)
		o->progress(msg, o->arg);
}

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

static int vm_start_qemu(const char *lab, struct node *n, const struct vm_opts *o,
			 const char *dir, struct lab_record *rec, char *err, size_t errlen)
{
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
		snprintf(err, errlen, "node \"%s\": guest configuration does not fit the kernel "
			 "command line", n->name);
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
		snprintf(err, errlen, "node \"%s\": QEMU did not finish starting within %d s: "
			 "is vlab-switchd running and are the node's ports added?", n->name,
			 VM_QEMU_START_MS / 1000);
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
	rec->pid = read_pidfile(f.pidfile);
	return lab_record_save(lab, n, rec);
}

static int vm_start_host(const char *lab, struct node *n, struct lab_record *rec,
			 char outer[][16], char *err, size_t errlen)
{
	struct nsh_info info;
	char prefix[16];
	int rc;

	vm_host_names(lab, n->name, rec->netns, sizeof(rec->netns), prefix, sizeof(prefix));
	for (int i = 0; i < n->n_nics; i++)
		nsh_outer_name(prefix, i, rec->outer[i], sizeof(rec->outer[i]));
	rc = lab_record_save(lab, n, rec);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot write its record: %s", n->name,
			 strerror(-rc));
		return rc;
	}
	rc = nsh_create(n, rec->netns, prefix, &info, err, errlen);
	if (rc < 0)
		return rc;
	for (int i = 0; i < info.n_outer && outer; i++)
		snprintf(outer[i], 16, "%s", info.outer[i]);
	return 0;
}

int vm_start(const char *lab, struct node *n, const struct vm_opts *o, char outer[][16],
	     char *err, size_t errlen)
{
	struct lab_record rec = {.created = time(NULL)};
	struct node old;
	struct lab_record oldrec;
	char dir[NODE_PATH_MAX];
	int rc;

	err[0] = '\0';
	rc = lab_node_dir(lab, n->name, dir, sizeof(dir));
	if (rc == 0)
		rc = vm_node_defaults(lab, n);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": names or paths too long (run directory %s)",
			 n->name, lab_run_dir());
		return rc;
	}
	if (lab_record_load(lab, n->name, &old, &oldrec) == 0) {
		struct vm_status st;

		vm_status(lab, n->name, &st);
		if (strcmp(st.state, "stopped") && strcmp(st.state, "absent")) {
			snprintf(err, errlen, "node \"%s\" of lab \"%s\" already exists (%s); "
				 "destroy it first", n->name, lab, st.state);
			return -EEXIST;
		}
	}
	rc = lab_mkdirs(dir);
	if (rc == 0)
		rc = lab_record_save(lab, n, &rec);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot create %s: %s", n->name, dir,
			 strerror(-rc));
		return rc;
	}
	if (n->kind == NODE_HOST)
		return vm_start_host(lab, n, &rec, outer, err, errlen);

	rc = vm_start_qemu(lab, n, o, dir, &rec, err, errlen);
	if (rc == 0 && o && o->ready_timeout_ms > 0)
		rc = vm_wait_ready(lab, n->name, o->ready_timeout_ms, err, errlen);
	return rc;
}

struct par {
	const char *lab;
	struct node *nodes;
	int n;
	const struct vm_opts *o;
	char (*errs)[256];
	int *rcs;
	atomic_int next;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	int i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		p->rcs[i] = vm_start(p->lab, &p->nodes[i], p->o, NULL, p->errs[i], 256);
		if (p->o && p->o->node_done)
			p->rcs[i] = p->o->node_done(i, p->rcs[i], p->errs[i], 256, p->o->arg);
	}
	return NULL;
}

int vm_start_parallel(const char *lab, struct node *nodes, int n, int workers,
		      const struct vm_opts *o, char (*errs)[256])
{
	struct par p = {.lab = lab, .nodes = nodes, .n = n, .o = o, .errs = errs};
	pthread_t th[16];
	int started = 0, rc = 0;
	struct img_paths img;

	if (n <= 0)
		return 0;
	p.rcs = calloc((size_t)n, sizeof(int));
	if (p.rcs == NULL) {
		for (int i = 0; i < n; i++)
			snprintf(errs[i], 256, "node \"%s\": out of memory", nodes[i].name);
		return -ENOMEM;
	}
	/* build the image once, before the workers all wait on its lock */
	for (int i = 0; i < n; i++)
		if (nodes[i].kind == NODE_VM && !nodes[i].kernel[0] && !nodes[i].disk[0]) {
			progress(o, "checking the built-in guest image");
			img_ensure(o ? o->image_cache : NULL, &img,
				   o ? (img_progress_fn)o->progress : NULL, o ? o->arg : NULL);
			break;
		}
	if (workers < 1)
		workers = 1;
	if (workers > 16)
		workers = 16;
	if (workers > n)
		workers = n;
	for (int i = 0; i < workers; i++)
		if (pthread_create(&th[started], NULL, par_worker, &p) == 0)
			started++;
	if (started == 0)
		par_worker(&p);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n && rc == 0; i++)
		rc = p.rcs[i];
	free(p.rcs);
	return rc;
}

static int node_paths(const char *lab, const char *name, char *dir, struct qemu_files *f)
{
	int rc = lab_node_dir(lab, name, dir, NODE_PATH_MAX);

	return rc < 0 ? rc : qemu_files_init(f, dir);
}

int vm_wait_ready(const char *lab, const char *name, int timeout_ms, char *err, size_t errlen)
{
	char dir[NODE_PATH_MAX], tail[300];
	struct qemu_files f;
	int rc;

	struct lab_record rec;
	struct node n;

	rc = node_paths(lab, name, dir, &f);
	if (rc < 0)
		return rc;
	lab_record_load(lab, name, &n, &rec);
	/* in slices, so a guest whose QEMU died is noticed at once */
	for (int waited = 0;; waited += 2000) {
		int slice = timeout_ms - waited < 2000 ? timeout_ms - waited : 2000;

		rc = qga_wait_ready(f.qga, slice > 0 ? slice : 1);
		if (rc == 0 || waited + slice >= timeout_ms)
			break;
		if (rec.pid && !pid_matches(rec.pid, dir)) {
			file_tail(f.console_log, tail, sizeof(tail));
			snprintf(err, errlen, "node \"%s\": QEMU exited before the guest was "
				 "ready (last console output: %s)", name, tail);
			return -ESRCH;
		}
	}
	if (rc < 0) {
		file_tail(f.console_log, tail, sizeof(tail));
		snprintf(err, errlen, "node \"%s\": guest agent did not answer within %d s (last "
			 "console output: %s)", name, timeout_ms / 1000, tail);
	}
	return rc;
}

int vm_stop(const char *lab, const char *name, int timeout_ms, char *err, size_t errlen)
{
	char dir[NODE_PATH_MAX], e[256];
	struct qemu_files f;
	struct lab_record rec;
	struct node n;
	struct qmp *q = NULL;
	int rc;

	rc = lab_record_load(lab, name, &n, &rec);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\" of lab \"%s\" does not exist", name, lab);
		return rc;
	}
	if (n.kind == NODE_HOST) {
		snprintf(err, errlen, "node \"%s\" is a namespace host: it has no stop; use "
			 "destroy", name);
		return -EOPNOTSUPP;
	}
	node_paths(lab, name, dir, &f);
	if (!pid_matches(rec.pid, dir))
		return 0; /* already stopped */
	if (qmp_connect(f.qmp, 2000, &q, e, sizeof(e)) == 0) {
		qmp_system_powerdown(q, e, sizeof(e));
		qmp_close(q);
	}
	/* guests without an ACPI daemon (the built-in image) ignore the power
	 * button: ask their agent too; it answers nothing when it complies */
	struct qga *g = NULL;

	if (qga_connect(f.qga, 2000, &g) == 0)
		qga_execute(g, "guest-shutdown", json_pack("{s:s}", "mode", "powerdown"), NULL);
	qga_close(g);
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		if (!pid_matches(rec.pid, dir))
			return 0;
		usleep(100000);
	}
	kill_matching(dir, rec.pid, 2000);
	return 0;
}

int vm_destroy(const char *lab, const char *name, char *err, size_t errlen)
{
	char dir[NODE_PATH_MAX], labdir[NODE_PATH_MAX], nodes[NODE_PATH_MAX + 8];
	struct lab_record rec = {0};
	struct node n;
	int rc;

	err[0] = '\0';
	rc = lab_node_dir(lab, name, dir, sizeof(dir));
	if (rc < 0)
		return rc;
	rc = lab_record_load(lab, name, &n, &rec);
	/* QEMU of this node, recorded or not (a start may have died before
	 * recording its pid): every process naming the node directory */
	kill_matching(dir, rec.pid, 3000);
	if (rc == 0 && n.kind == NODE_HOST && rec.netns[0]) {
		rc = nsh_destroy(rec.netns, err, errlen);
		if (rc < 0)
			return rc;
	}
	rc = lab_node_remove(lab, name);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": cannot remove %s: %s", name, dir,
			 strerror(-rc));
		return rc;
	}
	/* the lab directory goes with its last node */
	lab_dir(lab, labdir, sizeof(labdir));
	snprintf(nodes, sizeof(nodes), "%s/nodes", labdir);
	if (rmdir(nodes) == 0)
		rmdir(labdir);
	return 0;
}

int vm_status(const char *lab, const char *name, struct vm_status *st)
{
	char dir[NODE_PATH_MAX], e[256];
	struct qemu_files f;
	struct lab_record rec;
	struct node n;
	struct qmp *q = NULL;
	bool running;

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	if (lab_record_load(lab, name, &n, &rec) < 0) {
		snprintf(st->state, sizeof(st->state), "absent");
		return -ENOENT;
	}
	st->kind = n.kind;
	st->created = rec.created;
	snprintf(st->netns, sizeof(st->netns), "%s", rec.netns);
	if (n.kind == NODE_HOST) {
		snprintf(st->state, sizeof(st->state), "%s",
			 nsh_exists(rec.netns) == 1 ? "running" : "absent");
		return 0;
	}
	node_paths(lab, name, dir, &f);
	if (!pid_matches(rec.pid, dir)) {
		snprintf(st->state, sizeof(st->state), "stopped");
		return 0;
	}
	st->pid = rec.pid;
	snprintf(st->state, sizeof(st->state), "running");
	if (qmp_connect(f.qmp, 1000, &q, e, sizeof(e)) == 0) {
		qmp_query_status(q, st->state, sizeof(st->state), &running, e, sizeof(e));
		qmp_close(q);
	}
	st->agent = qga_wait_ready(f.qga, 500) == 0;
	return 0;
}

static int nic_index(const struct node *n, const char *ifname)
{
	for (int i = 0; i < n->n_nics; i++)
		if (strcmp(n->nics[i].ifname, ifname) == 0)
			return i;
	return -1;
}

int vm_link(const char *lab, const char *name, const char *ifname, bool up, char *err,
	    size_t errlen)
{
	char dir[NODE_PATH_MAX], id[16];
	struct qemu_files f;
	struct lab_record rec;
	struct node n;
	struct qmp *q = NULL;
	int i, rc;

	if (lab_record_load(lab, name, &n, &rec) < 0) {
		snprintf(err, errlen, "node \"%s\" of lab \"%s\" does not exist", name, lab);
		return -ENOENT;
	}
	i = nic_index(&n, ifname);
	if (i < 0) {
		snprintf(err, errlen, "node \"%s\" has no interface \"%s\"", name, ifname);
		return -ENOENT;
	}
	if (n.kind == NODE_HOST) {
		const char *argv[] = {"ip", "link", "set", ifname, up ? "up" : "down", NULL};
		struct nsh_exec_result r;

		rc = nsh_exec(rec.netns, argv, 5000, &r);
		if (rc == 0 && r.exit_code != 0)
			rc = -EIO;
		if (rc < 0)
			snprintf(err, errlen, "node \"%s\": cannot set %s %s", name, ifname,
				 up ? "up" : "down");
		nsh_exec_result_free(&r);
		return rc;
	}
	node_paths(lab, name, dir, &f);
	rc = qmp_connect(f.qmp, 3000, &q, err, errlen);
	if (rc < 0)
		return rc;
	qemu_nic_id(i, id, sizeof(id));
	rc = qmp_set_link(q, id, up, err, errlen);
	qmp_close(q);
	return rc;
}

int vm_exec(const char *lab, const char *name, const char *const argv[], int timeout_ms,
	    struct vm_exec_result *out, char *err, size_t errlen)
{
	char dir[NODE_PATH_MAX];
	struct qemu_files f;
	struct lab_record rec;
	struct node n;
	int rc, argc = 0;

	memset(out, 0, sizeof(*out));
	if (lab_record_load(lab, name, &n, &rec) < 0) {
		snprintf(err, errlen, "node \"%s\" of lab \"%s\" does not exist", name, lab);
		return -ENOENT;
	}
	while (argv[argc])
		argc++;
	if (n.kind == NODE_HOST) {
		struct nsh_exec_result r;

		rc = nsh_exec(rec.netns, argv, timeout_ms, &r);
		if (rc < 0) {
			snprintf(err, errlen, "node \"%s\": %s", name, r.errmsg);
			return rc;
		}
		out->exit_code = r.exit_code;
		out->timed_out = r.timed_out;
		out->out = r.out;
		out->out_len = r.out_len;
		out->err = r.err;
		out->err_len = r.err_len;
		return 0;
	}

	/* the agent runs a path without searching PATH: let a shell find it */
	const char **full = calloc((size_t)argc + 4, sizeof(char *));
	struct qga *g = NULL;
	struct qga_exec_result r = {0};

	if (full == NULL)
		return -ENOMEM;
	full[0] = "/bin/sh";
	full[1] = "-c";
	full[2] = "exec \"$0\" \"$@\"";
	for (int i = 0; i < argc; i++)
		full[3 + i] = argv[i];
	node_paths(lab, name, dir, &f);
	rc = qga_connect(f.qga, 3000, &g);
	if (rc == 0)
		rc = qga_exec(g, full, NULL, timeout_ms, &r);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\": guest agent: %s", name,
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

void vm_exec_result_free(struct vm_exec_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
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

int vm_console(const char *lab, const char *name, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[NODE_PATH_MAX];
	struct qemu_files f;
	struct lab_record rec;
	struct node n;
	int fd, rc;

	if (lab_record_load(lab, name, &n, &rec) < 0) {
		snprintf(err, errlen, "node \"%s\" of lab \"%s\" does not exist", name, lab);
		return -ENOENT;
	}
	if (n.kind == NODE_HOST) {
		const char *sh[] = {"/bin/sh", NULL};

		return nsh_exec_interactive(rec.netns, sh) < 0 ? -EIO : 0;
	}
	node_paths(lab, name, dir, &f);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f.console);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "node \"%s\": cannot attach to its console %s: %s", name,
			 f.console, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	fprintf(stderr, "Connected to the console of %s (Ctrl-] detaches).\r\n", name);
	rc = console_relay(fd);
	close(fd);
	fprintf(stderr, "\r\nDetached from %s.\n", name);
	return rc;
}
