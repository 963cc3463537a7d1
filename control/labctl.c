/* The lab controller; see labctl.h.
 *
 * State of a lab (everything `vlab down` needs, also after a crash) lives in
 * its directory under lab_run_dir(): one record per node (vmhost/lab.c) and
 * the topology text last applied (topology.yaml) or being applied
 * (topology.next.yaml). On the switch, a lab's networks are named LAB.NET and
 * its ports LAB.NODE-IFNAME, so labs never collide and can be found again.
 * Runs on the CLI's main thread; node starts and pings fan out to bounded
 * pools of worker threads (vm_start_parallel, ping_worker), which share only
 * an atomic cursor, a progress counter under its lock, and output arrays of
 * which each worker writes its own entries. */
#include "labctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "graph.h"
#include "kind.h"
#include "lab.h"
#include "netns.h"
#include "pingall.h"
#include "plan.h"
#include "reach.h"
#include "swclient.h"
#include "table.h"
#include "topo.h"
#include "vm.h"
#include "vm_cmd.h"

#define LABCTL_WORKERS	      4 /* nodes started at a time (--workers) */
#define LABCTL_PING_WORKERS   4 /* sources pinging at a time (pingall --workers) */
#define LABCTL_READY_MS       180000
#define LABCTL_SWITCH_WAIT_MS 20000
#define LABCTL_PROGRESS_S     2	 /* at most one progress line per this many seconds */
#define LABCTL_HEARTBEAT_S    10 /* a line this often also when nothing got done */
#define LABCTL_TABLE_MAX      32 /* larger labs: `up` prints counts, not a table */
#define LABCTL_PLAN_LINES     16 /* more actions of a kind: one line for them */
#define LABCTL_ERRORS_SHOWN   20 /* node errors printed by `up`; the rest counted */

/* ---- small helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr); /* one line, also when workers say things */
	fputs("vlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static void on_progress(const char *msg, void *arg)
{
	say("%s", msg);
}

static int read_text(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return -errno;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 8192);

			if (b == NULL) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, 4096, f);

		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int write_text(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		return -EIO;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

static void topo_file(const char *lab, const char *which, char *buf, size_t len)
{
	char dir[NODE_PATH_MAX];

	lab_dir(lab, dir, sizeof(dir));
	snprintf(buf, len, "%s/%s", dir, which);
}

/* Loads and validates a topology file, printing every problem. */
static int load_topo(const char *path, struct topo *t)
{
	static struct topo_errors errs;
	char line[TOPO_MSG_MAX + PATH_MAX + 32];
	int rc;

	memset(&errs, 0, sizeof(errs));
	rc = topo_load(path, t, &errs);
	if (rc < 0) {
		for (int i = 0; i < errs.n; i++) {
			topo_error_format(&errs, i, path, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		if (errs.dropped)
			fprintf(stderr, "%s: ... and %d more problems\n", path, errs.dropped);
		if (errs.n == 0)
			fprintf(stderr, "vlab: cannot read %s: %s\n", path, strerror(-rc));
	}
	return rc;
}

/* The topology a lab runs (last applied), or -ENOENT. */
static int applied_topo(const char *lab, struct topo *t)
{
	static struct topo_errors errs;
	char path[PATH_MAX], *text;
	size_t len;
	int rc;

	topo_file(lab, "topology.yaml", path, sizeof(path));
	rc = read_text(path, &text, &len);
	if (rc < 0)
		return rc;
	memset(&errs, 0, sizeof(errs));
	rc = topo_parse(text, len, t, &errs);
	free(text);
	return rc;
}

/* ---- the switch ---- */

/* One request; prints the switch's error unless `quiet`. 0 or -errno. */
static int sw_req(const struct vlab_opts *opts, const char *method, json_t *params,
		  json_t **result, bool quiet, struct swc_error *eout)
{
	struct swc_error e = {0};
	int rc = swc_request(swc_socket_path(opts->socket), method, params, result, &e);

	if (rc == -EREMOTEIO && !quiet)
		say("switch: %s", e.message);
	if (eout)
		*eout = e;
	return rc;
}

static bool sw_alive(const struct vlab_opts *opts)
{
	return sw_req(opts, "version", NULL, NULL, true, NULL) == 0;
}

static const char *switch_state_path(void)
{
	const char *s = getenv("VLAB_SWITCH_STATE");

	return s && s[0] ? s : "/var/lib/vlab/switch.json";
}

static void switch_pidfile(char *buf, size_t len)
{
	snprintf(buf, len, "%s/switch.pid", lab_run_dir());
}

/* vlab-switchd next to this vlab (build tree or install), else $PATH. */
static void find_switchd(char *buf, size_t len)
{
	const char *env = getenv("VLAB_SWITCHD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && env[0]) {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *dir = dirname(self);

		snprintf(buf, len, "%s/../switch/vlab-switchd", dir);
		if (access(buf, X_OK) == 0)
			return;
		snprintf(buf, len, "%s/vlab-switchd", dir);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, len, "vlab-switchd");
}

/* Makes sure hugetlbfs is mounted and some 2 MiB pages are free. */
static void hugepages_ensure(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	long total = 0, freep = 0;
	char line[128];

	mkdir("/dev/hugepages", 0755);
	mount("nodev", "/dev/hugepages", "hugetlbfs", 0, NULL); /* EBUSY when mounted */
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Total: %ld", &total);
		sscanf(line, "HugePages_Free: %ld", &freep);
	}
	if (f)
		fclose(f);
	if (freep < 256) {
		FILE *w = fopen("/proc/sys/vm/nr_hugepages", "we");

		if (w) {
			fprintf(w, "%ld\n", total + 512);
			fclose(w);
		}
	}
}

/* Starts vlab-switchd when none answers. */
static int switch_ensure(const struct vlab_opts *opts)
{
	const char *sock = swc_socket_path(opts->socket);
	char bin[PATH_MAX], logp[PATH_MAX], pidf[PATH_MAX], buf[32];
	pid_t pid;
	double t0;
	int fd;

	if (sw_alive(opts))
		return 0;
	find_switchd(bin, sizeof(bin));
	lab_mkdirs(lab_run_dir());
	snprintf(logp, sizeof(logp), "%s/switch.log", lab_run_dir());
	switch_pidfile(pidf, sizeof(pidf));
	hugepages_ensure();
	say("starting vlab-switchd (socket %s, log %s)", sock, logp);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int lf = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

		setsid();
		if (nul >= 0)
			dup2(nul, 0);
		if (lf >= 0) {
			dup2(lf, 1);
			dup2(lf, 2);
		}
		execlp(bin, bin, "--socket", sock, "--state", switch_state_path(), (char *)NULL);
		_exit(127);
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	fd = open(pidf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd >= 0) {
		if (write(fd, buf, strlen(buf)) < 0)
			buf[0] = '\0';
		close(fd);
	}
	t0 = now_s();
	while (now_s() - t0 < LABCTL_SWITCH_WAIT_MS / 1000.0) {
		int st;

		if (sw_alive(opts))
			return 0;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			say("vlab-switchd exited at start (status %d); see %s", st, logp);
			unlink(pidf);
			return -EIO;
		}
		usleep(100000);
	}
	say("vlab-switchd did not answer on %s within %d s; see %s", sock,
	    LABCTL_SWITCH_WAIT_MS / 1000, logp);
	return -ETIMEDOUT;
}

/* Stops the switch vlab started, when it serves no lab any more. */
static void switch_stop_if_unused(const struct vlab_opts *opts)
{
	char names[8][NODE_NAME_MAX], pidf[PATH_MAX], *text;
	json_t *ports = NULL;
	size_t len;
	pid_t pid;

	if (lab_list(names, 8) > 0)
		return;
	switch_pidfile(pidf, sizeof(pidf));
	if (read_text(pidf, &text, &len) < 0)
		return; /* not ours */
	pid = (pid_t)atoi(text);
	free(text);
	if (sw_req(opts, "port.list", NULL, &ports, true, NULL) < 0 || json_array_size(ports)) {
		json_decref(ports);
		if (!sw_alive(opts))
			unlink(pidf); /* it died: never signal whatever reuses its pid */
		return;
	}
	json_decref(ports);
	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
			usleep(100000);
		say("stopped vlab-switchd (no lab left)");
	}
	unlink(pidf);
}

/* Switch object names of a lab. */
static int sw_net_name(const char *lab, const char *net, char *buf, size_t len)
{
	return snprintf(buf, len, "%s.%s", lab, net) >= (int)len || strlen(buf) > 31 ? -ENAMETOOLONG
										    : 0;
}

/* ---- progress of long operations ---- */

/* "lab X: 120/216 nodes up, 2 failed, 14 s" on stderr: at most every
 * LABCTL_PROGRESS_S seconds while steps get done, every LABCTL_HEARTBEAT_S
 * when none do, and once all are done when earlier lines were printed (so
 * quick work stays silent), whatever the lab's size. Steps are counted from
 * any thread; progress_tick() is called by a thread that waits. */
struct progress {
	const char *lab;
	const char *what; /* "nodes up", "nodes removed", "nodes done pinging" */
	int total;
	pthread_mutex_t lock;
	int done, failed;
	int said;	 /* `done` in the last line printed */
	double t0, last; /* start, last line printed */
};

static void progress_init(struct progress *p, const char *lab, const char *what, int total)
{
	*p = (struct progress){.lab = lab, .what = what, .total = total};
	pthread_mutex_init(&p->lock, NULL);
	p->t0 = p->last = now_s();
}

/* With p->lock held. */
static void progress_say(struct progress *p)
{
	double now = now_s();
	bool moved = p->done != p->said;
	char failed[32] = "";

	if (!(moved && now - p->last >= LABCTL_PROGRESS_S) && now - p->last < LABCTL_HEARTBEAT_S &&
	    !(moved && p->done == p->total && p->last > p->t0))
		return;
	if (p->failed)
		snprintf(failed, sizeof(failed), ", %d failed", p->failed);
	say("lab %s: %d/%d %s%s, %.0f s", p->lab, p->done - p->failed, p->total, p->what, failed,
	    now - p->t0);
	p->last = now;
	p->said = p->done;
}

/* One more step done (ok or failed). */
static void progress_step(struct progress *p, bool ok)
{
	pthread_mutex_lock(&p->lock);
	p->done++;
	p->failed += !ok;
	progress_say(p);
	pthread_mutex_unlock(&p->lock);
}

static void progress_tick(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->done < p->total)
		progress_say(p);
	pthread_mutex_unlock(&p->lock);
}

/* Ticks until *finished reaches `until` (workers count themselves out). */
static void progress_wait(struct progress *p, atomic_int *finished, int until)
{
	while (atomic_load(finished) < until) {
		usleep(200000);
		progress_tick(p);
	}
}

static void progress_destroy(struct progress *p)
{
	pthread_mutex_destroy(&p->lock);
}

/* ---- up / apply ---- */

/* Prepares node `n` of lab `lab` for starting: switch port names, defaults. */
static int prepare_node(const char *lab, struct node *n, char *err, size_t errlen)
{
	for (int i = 0; i < n->n_nics; i++) {
		struct node_nic *c = &n->nics[i];

		if (c->ifname[0] == '\0')
			snprintf(c->ifname, sizeof(c->ifname), "eth%d", i);
		if (snprintf(c->port, sizeof(c->port), "%s.%s-%s", lab, n->name, c->ifname) >=
		    (int)sizeof(c->port)) {
			snprintf(err, errlen, "node \"%s\": switch port name %s.%s-%s is longer than "
				 "31 characters; use a shorter lab, node or interface name",
				 n->name, lab, n->name, c->ifname);
			return -ENAMETOOLONG;
		}
	}
	if (vm_node_defaults(lab, n) < 0) {
		snprintf(err, errlen, "node \"%s\": state paths under %s are too long", n->name,
			 lab_run_dir());
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Adds the switch port of NIC i of node n, as its kind says. 0, or -errno
 * with err filled. Any thread. */
static int plug(const struct vlab_opts *opts, const char *lab, const struct node *n, int i,
		char *err, size_t errlen)
{
	const struct node_nic *c = &n->nics[i];
	struct swc_error e = {0};
	struct kind_port kp;
	char net[64];
	int rc;

	sw_net_name(lab, c->network, net, sizeof(net));
	rc = kind_of(n->kind)->port(lab, n, i, &kp);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\" interface %s: switch port %s: %s", n->name,
			 c->ifname, c->port, strerror(-rc));
		return rc;
	}
	rc = sw_req(opts, "port.add",
		    json_pack("{s:s,s:s,s:s,s:s}", "name", c->port, "type", kp.type, "network", net,
			      kp.key, kp.value),
		    NULL, true, &e);
	if (rc < 0)
		snprintf(err, errlen, "node \"%s\" interface %s: switch port %s: %s", n->name,
			 c->ifname, c->port, rc == -EREMOTEIO ? e.message : strerror(-rc));
	return rc;
}

static void unplug_recorded(const struct vlab_opts *opts, const char *lab, const char *name)
{
	struct lab_record rec;
	struct node n;

	if (lab_record_load(lab, name, &n, &rec) < 0)
		return;
	for (int i = 0; i < n.n_nics; i++)
		if (n.nics[i].port[0])
			sw_req(opts, "port.del", json_pack("{s:s}", "name", n.nics[i].port), NULL,
			       true, NULL);
}

static int destroy_node(const struct vlab_opts *opts, const char *lab, const char *name)
{
	char err[512];

	unplug_recorded(opts, lab, name);
	if (vm_destroy(lab, name, err, sizeof(err)) < 0) {
		say("%s", err);
		return -1;
	}
	return 0;
}

static const char *node_state(const struct vm_status *st)
{
	return st->up ? kind_of(st->kind)->up_state : st->state;
}

/* How many of nodes[0..n) are of kind `kind`. */
static int count_kind(const struct node *nodes, int n, enum node_kind kind)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += nodes[i].kind == kind;
	return c;
}

/* What `vlab up` ends with: a table of the nodes, or for a large lab one
 * line of counts (`vlab status` has the table); JSON with -j. Nodes named
 * in failed[0..n_failed) failed to start or attach: their state is
 * "failed" whatever is left of them. */
static void print_summary(const struct vlab_opts *opts, const char *lab, const struct topo *t,
			  double secs, char (*failed)[NODE_NAME_MAX], int n_failed)
{
	static const struct table_col cols[] = {
		{"NODE", false}, {"KIND", false}, {"STATE", false}, {"INTERFACES", false}};
	struct table *tb = table_new(cols, 4);
	json_t *arr = json_array();
	int not_up = 0;

	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];
		struct vm_status st;
		char ifs[512] = "";
		size_t len = 0;
		json_t *nics = json_array();

		vm_status(lab, n->name, &st);
		for (int k = 0; k < n->n_nics && len < sizeof(ifs); k++) {
			const struct node_nic *c = &n->nics[k];

			len += (size_t)snprintf(ifs + len, sizeof(ifs) - len, "%s%s:%s%s%s",
						k ? " " : "", c->ifname[0] ? c->ifname : "eth?",
						c->network, c->n_addrs ? "=" : "",
						c->n_addrs ? c->addrs[0] : "");
			json_array_append_new(nics, json_pack("{s:s,s:s,s:s}", "ifname", c->ifname,
							      "network", c->network, "addr",
							      c->n_addrs ? c->addrs[0] : ""));
		}
		const char *state = node_state(&st);

		for (int f = 0; f < n_failed; f++)
			if (!strcmp(failed[f], n->name))
				state = "failed";
		const struct kind_ops *k = kind_of(n->kind);
		const char *cells[] = {n->name, k->name, state, ifs};

		not_up += strcmp(state, k->up_state) != 0;
		table_add_row(tb, cells);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o}", "name", n->name, "kind",
						     cells[1], "state", state, "interfaces", nics));
	}
	if (opts->json || opts->pretty) {
		json_t *o = json_pack("{s:s,s:f,s:o}", "lab", lab, "seconds", secs, "nodes", arr);

		json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else {
		if (t->n_nodes <= LABCTL_TABLE_MAX)
			table_print(tb, stdout);
		printf("lab %s: %d nodes up in %.1f s", lab, t->n_nodes - not_up, secs);
		if (t->n_nodes > LABCTL_TABLE_MAX) {
			const struct kind_ops *k;
			enum node_kind kind;

			printf(" (");
			for (int i = 0; (k = kind_at(i, &kind)) != NULL; i++)
				printf("%s%d %ss", i ? ", " : "",
				       count_kind(t->nodes, t->n_nodes, kind), k->noun);
			printf("; `vlab status %s` lists them)", lab);
		}
		if (not_up)
			printf("; %d of %d not up or failed", not_up, t->n_nodes);
		putchar('\n');
		json_decref(arr);
	}
	table_free(tb);
}

/* What the workers of vm_start_parallel() share while a lab comes up. */
struct up_ctx {
	const struct vlab_opts *opts;
	const char *lab;
	struct node *nodes;
	int n, workers;
	const struct vm_opts *vo;
	char (*errs)[256];
	struct progress prog;
	atomic_int finished; /* 1 once vm_start_parallel() returned */
};

/* Runs the node starts while the main thread reports progress. */
static void *up_start_main(void *arg)
{
	struct up_ctx *u = arg;

	vm_start_parallel(u->lab, u->nodes, u->n, u->workers, u->vo, u->errs);
	atomic_store(&u->finished, 1);
	return NULL;
}

/* A node is done starting (worker thread): the ports of a kind that plugs
 * in after starting (a host: its veths exist now) are added; then it counts
 * as up. */
static int up_node_done(int i, int rc, char *err, size_t errlen, void *arg)
{
	struct up_ctx *u = arg;
	const struct node *n = &u->nodes[i];

	if (rc == 0 && !kind_of(n->kind)->plug_first)
		for (int k = 0; k < n->n_nics && rc == 0; k++)
			rc = plug(u->opts, u->lab, n, k, err, errlen);
	progress_step(&u->prog, rc == 0);
	return rc;
}

/* Namespace hosts share the kernel's neighbour tables, whose default size
 * (1024 entries) a lab of a few dozen hosts that all talk to each other
 * outgrows: raise it for the lab. */
static void reserve_neighbours(const struct topo *t)
{
	long need = topo_host_neighbours(t);
	char msg[256];
	int rc;

	if (need <= 0)
		return;
	rc = nsh_neigh_reserve(need, msg, sizeof(msg));
	if (rc > 0)
		say("room for %ld neighbour entries of namespace hosts (host-wide): %s", need, msg);
	else if (rc < 0)
		say("warning: cannot raise the kernel's neighbour table size for %ld entries "
		    "(%s): namespace hosts may lose pings (\"neighbor table overflow\")",
		    need, msg);
}

/* "3 namespace hosts, 1 guest": the nodes of each kind, in start order
 * (kinds without nodes included). Returns buf. */
static const char *kind_counts(const struct node *nodes, int n, char *buf, size_t len)
{
	const struct kind_ops *k;
	enum node_kind kind;
	size_t off = 0;
	int last = 0;

	buf[0] = '\0';
	for (int i = 0; (k = kind_at(i, NULL)) != NULL; i++)
		if (k->start_order > last)
			last = k->start_order;
	for (int order = 0; order <= last; order++)
		for (int i = 0; (k = kind_at(i, &kind)) != NULL; i++) {
			int c = count_kind(nodes, n, kind);

			if (k->start_order == order && off < len)
				off += (size_t)snprintf(buf + off, len - off, "%s%d %s%s",
							off ? ", " : "", c, k->noun,
							c == 1 ? "" : "s");
		}
	return buf;
}

/* Reorders nodes[n] by the start order of their kinds (namespace hosts
 * first, then guests), each kind in its order. Hosts are quick, so most of a
 * large lab is up (and visibly so) while the guests boot. 0 or -ENOMEM. */
static int quick_first(struct node *nodes, int n)
{
	struct node *tmp = calloc(n ? (size_t)n : 1, sizeof(*tmp));
	int k = 0, last = 0;

	if (!tmp)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (kind_of(nodes[i].kind)->start_order > last)
			last = kind_of(nodes[i].kind)->start_order;
	for (int order = 0; order <= last; order++)
		for (int i = 0; i < n; i++)
			if (kind_of(nodes[i].kind)->start_order == order)
				tmp[k++] = nodes[i];
	memcpy(nodes, tmp, (size_t)n * sizeof(*tmp));
	free(tmp);
	return 0;
}

static const char up_about[] =
    "Brings the lab up: starts vlab-switchd if none runs, creates its networks and\n"
    "ports, starts the nodes in parallel and waits until each is ready. Running it\n"
    "again changes nothing.\n";
static const char apply_about[] =
    "Reconciles the running lab with its edited topology file: adds and removes\n"
    "nodes, networks and interfaces; nodes that did not change keep running.\n";
static const char up_help[] =
    "  --workers N   nodes started at a time, 1-16 (default %d)\n"
    "\n"
    "Progress goes to stderr: the plan (one line per kind of action when a lab is\n"
    "large), then \"lab LAB: N/M nodes up\" at most every %d s. Namespace hosts\n"
    "start first, then guests. A lab has at most %d nodes and %d networks\n"
    "(docs/topology.md has the file format; check a file with `vlab validate FILE`).\n";

static int do_up(const struct vlab_opts *opts, int argc, char **argv, bool apply)
{
	struct topo *want = topo_new(), *have = topo_new();
	struct plan plan = {0};
	struct node *start = NULL;
	char(*errs)[256] = NULL, (*bad_names)[NODE_NAME_MAX] = NULL;
	const char *file = NULL, *lab;
	int workers = LABCTL_WORKERS, failed = 0, n_start = 0, n_bad = 0, n_destroy = 0, rc;
	int ret = VLAB_EXIT_FAIL;
	struct progress gone;
	char path[PATH_MAX], err[512], *text = NULL;
	bool running;
	double t0 = now_s();
	size_t len;

	if (!want || !have) {
		say("out of memory");
		goto out_free;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: vlab %s FILE [--workers N]\n\n%s\n", apply ? "apply" : "up",
			       apply ? apply_about : up_about);
			printf(up_help, LABCTL_WORKERS, LABCTL_PROGRESS_S, TOPO_MAX_NODES,
			       TOPO_MAX_NETS);
			ret = VLAB_EXIT_OK;
			goto out_free;
		} else if (!strcmp(argv[i], "--workers") && i + 1 < argc) {
			workers = atoi(argv[++i]);
			if (workers < 1 || workers > 16) {
				say("--workers must be 1 to 16");
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
		} else if (argv[i][0] != '-' && file == NULL) {
			file = argv[i];
		} else {
			fprintf(stderr, "vlab: unexpected argument \"%s\"\nusage: vlab %s FILE "
				"[--workers N]\n", argv[i], apply ? "apply" : "up");
			ret = VLAB_EXIT_USAGE;
			goto out_free;
		}
	}
	if (file == NULL) {
		fprintf(stderr, "vlab: missing topology FILE\nusage: vlab %s FILE\n",
			apply ? "apply" : "up");
		ret = VLAB_EXIT_USAGE;
		goto out_free;
	}
	if (load_topo(file, want) < 0)
		goto out_free;
	lab = want->name;

	running = applied_topo(lab, have) == 0;
	if (running) {
		/* a node that failed or died is not part of what runs: the plan
		 * starts it again (after removing what is left of it) */
		int k = 0;

		for (int i = 0; i < have->n_nodes; i++) {
			struct vm_status st;

			vm_status(lab, have->nodes[i].name, &st);
			if (!strcmp(st.state, "absent") || !strcmp(st.state, "stopped")) {
				destroy_node(opts, lab, have->nodes[i].name);
				continue;
			}
			have->nodes[k] = have->nodes[i];
			have->node_line[k] = have->node_line[i];
			have->node_col[k] = have->node_col[i];
			k++;
		}
		have->n_nodes = k;
	}
	if (apply && !running) {
		say("lab \"%s\" is not running; start it with `vlab up %s`", lab, file);
		goto out_free;
	}
	rc = plan_diff(running ? have : NULL, want, &plan);
	if (rc < 0) {
		say("cannot plan lab \"%s\": %s", lab, strerror(-rc));
		goto out_free;
	}
	if (switch_ensure(opts) < 0)
		goto out_free;
	reserve_neighbours(want);
	if (plan.n == 0) {
		say("lab \"%s\" already matches %s: nothing to do", lab, file);
		print_summary(opts, lab, want, now_s() - t0, NULL, 0);
		ret = VLAB_EXIT_OK;
		goto out_free;
	}
	plan_print(&plan, stderr, LABCTL_PLAN_LINES);

	/* the target is recorded first, so `vlab down` knows it after a crash */
	if (read_text(file, &text, &len) < 0)
		goto out_free;
	lab_dir(lab, path, sizeof(path));
	lab_mkdirs(path);
	topo_file(lab, "topology.next.yaml", path, sizeof(path));
	write_text(path, text, len);

	start = calloc((size_t)want->n_nodes + 1, sizeof(*start));
	errs = calloc((size_t)want->n_nodes + 1, sizeof(*errs));
	bad_names = calloc((size_t)want->n_nodes + 1, sizeof(*bad_names));
	if (!start || !errs || !bad_names) {
		say("out of memory");
		goto out_free;
	}
	for (int i = 0; i < plan.n; i++)
		n_destroy += plan.a[i].op == PLAN_NODE_DESTROY;
	/* one line per node removed, or progress lines when they are many */
	progress_init(&gone, lab, "old nodes removed", n_destroy);
	for (int i = 0; i < plan.n; i++) {
		const struct plan_action *a = &plan.a[i];
		char net[64];

		switch (a->op) {
		case PLAN_NODE_DESTROY:
			if (n_destroy <= LABCTL_PLAN_LINES)
				say("removing node %s (%s)", a->name, a->why);
			rc = destroy_node(opts, lab, a->name);
			failed += rc < 0;
			if (n_destroy > LABCTL_PLAN_LINES)
				progress_step(&gone, rc == 0);
			break;
		case PLAN_NET_DEL:
			sw_net_name(lab, have->nets[a->index].name, net, sizeof(net));
			sw_req(opts, "network.del", json_pack("{s:s}", "name", net), NULL, true,
			       NULL);
			break;
		case PLAN_NET_ADD: {
			const struct topo_net *tn = &want->nets[a->index];
			struct swc_error e;

			if (sw_net_name(lab, tn->name, net, sizeof(net)) < 0) {
				say("network \"%s\": switch name %s.%s is longer than 31 "
				    "characters; use a shorter lab or network name",
				    tn->name, lab, tn->name);
				failed++;
				break;
			}
			rc = sw_req(opts, "network.add",
				    json_pack("{s:s,s:i}", "name", net, "vni", (int)tn->vni), NULL,
				    true, &e);
			if (rc == -EREMOTEIO && e.code == -EEXIST) {
				/* left over from a crash: recreate it as the file says */
				sw_req(opts, "network.del", json_pack("{s:s}", "name", net), NULL,
				       true, NULL);
				rc = sw_req(opts, "network.add",
					    json_pack("{s:s,s:i}", "name", net, "vni", (int)tn->vni),
					    NULL, false, NULL);
			} else if (rc < 0) {
				say("network \"%s\" (VNI %u): %s", tn->name, tn->vni,
				    rc == -EREMOTEIO ? e.message : strerror(-rc));
			}
			failed += rc < 0;
			break;
		}
		case PLAN_NODE_START:
			start[n_start] = want->nodes[a->index];
			if (prepare_node(lab, &start[n_start], err, sizeof(err)) < 0) {
				say("%s", err);
				failed++;
				break;
			}
			n_start++;
			break;
		}
	}
	progress_destroy(&gone);
	quick_first(start, n_start); /* else in plan order: fine too */

	/* kinds that plug in first (guests: QEMU waits for the switch to
	 * connect): record, then ports */
	for (int i = 0; i < n_start; i++) {
		struct node *n = &start[i];
		struct lab_record rec = {.created = time(NULL)};

		if (!kind_of(n->kind)->plug_first)
			continue;
		lab_record_save(lab, n, &rec);
		for (int k = 0; k < n->n_nics; k++)
			if (plug(opts, lab, n, k, err, sizeof(err)) < 0) {
				say("%s", err);
				failed++;
			}
	}
	if (n_start) {
		struct up_ctx u = {
		    .opts = opts, .lab = lab, .nodes = start, .n = n_start, .workers = workers};
		struct vm_opts vo = {.progress = on_progress,
				     .arg = &u,
				     .ready_timeout_ms = LABCTL_READY_MS,
				     .node_done = up_node_done};
		char counts[160];
		int shown = 0;
		pthread_t th;

		say("starting %d node%s (%s; %d at a time)", n_start, n_start > 1 ? "s" : "",
		    kind_counts(start, n_start, counts, sizeof(counts)),
		    workers < n_start ? workers : n_start);
		progress_init(&u.prog, lab, "nodes up", n_start);
		u.vo = &vo;
		u.errs = errs;
		if (pthread_create(&th, NULL, up_start_main, &u) == 0) {
			progress_wait(&u.prog, &u.finished, 1);
			pthread_join(th, NULL);
		} else {
			up_start_main(&u);
		}
		progress_destroy(&u.prog);
		for (int i = 0; i < n_start; i++) {
			if (!errs[i][0])
				continue;
			snprintf(bad_names[n_bad++], NODE_NAME_MAX, "%s", start[i].name);
			if (shown++ < LABCTL_ERRORS_SHOWN)
				say("%s", errs[i]);
		}
		if (n_bad > LABCTL_ERRORS_SHOWN)
			say("... and %d more nodes failed", n_bad - LABCTL_ERRORS_SHOWN);
		failed += n_bad;
	}

	topo_file(lab, "topology.yaml", path, sizeof(path));
	write_text(path, text, len);
	topo_file(lab, "topology.next.yaml", path, sizeof(path));
	unlink(path);
	print_summary(opts, lab, want, now_s() - t0, bad_names, n_bad);
	if (failed) {
		say("%d problem%s while bringing lab \"%s\" up; inspect with `vlab status %s`, "
		    "remove with `vlab down %s`", failed, failed > 1 ? "s" : "", lab, lab, lab);
		goto out_free;
	}
	ret = VLAB_EXIT_OK;
out_free:
	free(text);
	free(bad_names);
	free(errs);
	free(start);
	plan_free(&plan);
	topo_free(have);
	topo_free(want);
	return ret;
}

int labctl_up(const struct vlab_opts *opts, int argc, char **argv)
{
	return do_up(opts, argc, argv, false);
}

int labctl_apply(const struct vlab_opts *opts, int argc, char **argv)
{
	return do_up(opts, argc, argv, true);
}

/* ---- lab / node names ---- */

static int only_lab(char *lab, size_t len, char *err, size_t errlen)
{
	char(*names)[NODE_NAME_MAX];
	int n = lab_list_all(&names);

	if (n == 1) {
		snprintf(lab, len, "%s", names[0]);
		free(names);
		return 0;
	}
	if (n <= 0) {
		snprintf(err, errlen, "no lab is running (start one with `vlab up FILE`)");
		free(names);
		return -ENOENT;
	}
	size_t k = (size_t)snprintf(err, errlen, "%d labs are running; name one:", n);
	for (int i = 0; i < n && k < errlen; i++)
		k += (size_t)snprintf(err + k, errlen - k, " %s", names[i]);
	free(names);
	return -EINVAL;
}

int labctl_resolve(const char *spec, char *lab, size_t lablen, char *node, size_t nodelen,
		   char *err, size_t errlen)
{
	const char *slash = strchr(spec, '/');
	char dir[NODE_PATH_MAX];
	int rc;

	if (slash) {
		snprintf(lab, lablen, "%.*s", (int)(slash - spec), spec);
		snprintf(node, nodelen, "%s", slash + 1);
	} else {
		rc = only_lab(lab, lablen, err, errlen);
		if (rc < 0) {
			if (rc == -EINVAL)
				snprintf(err + strlen(err), errlen - strlen(err),
					 " (use LAB/%s)", spec);
			return rc;
		}
		snprintf(node, nodelen, "%s", spec);
	}
	lab_node_dir(lab, node, dir, sizeof(dir));
	if (access(dir, F_OK) < 0) {
		snprintf(err, errlen, "lab \"%s\" has no node \"%s\"", lab, node);
		return -ENOENT;
	}
	return 0;
}

/* LAB from argv[0] if given, else the only running lab. */
static int lab_arg(int argc, char **argv, char *lab, size_t len)
{
	char err[512];

	for (int i = 0; i < argc; i++)
		if (argv[i][0] != '-') {
			snprintf(lab, len, "%s", argv[i]);
			return 0;
		}
	if (only_lab(lab, len, err, sizeof(err)) < 0) {
		say("%s", err);
		return -1;
	}
	return 0;
}

/* ---- down ---- */

int labctl_down(const struct vlab_opts *opts, int argc, char **argv)
{
	char lab[NODE_NAME_MAX], dir[NODE_PATH_MAX], path[PATH_MAX], prefix[NODE_NAME_MAX + 2];
	char(*names)[NODE_NAME_MAX] = NULL;
	json_t *nets = NULL, *ports = NULL, *o;
	struct progress prog;
	int n, failed = 0;
	double t0 = now_s();
	size_t i;

	if (argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
		printf("usage: vlab down [LAB]\n");
		return VLAB_EXIT_OK;
	}
	if (lab_arg(argc, argv, lab, sizeof(lab)) < 0)
		return VLAB_EXIT_FAIL;
	lab_dir(lab, dir, sizeof(dir));
	if (access(dir, F_OK) < 0) {
		say("no lab \"%s\" (nothing under %s)", lab, dir);
		return VLAB_EXIT_FAIL;
	}
	/* the switch keeps the lab's networks and ports in its saved state: if it
	 * died, start it again so they can be removed */
	if (!sw_alive(opts) && access(switch_state_path(), F_OK) == 0)
		switch_ensure(opts);

	n = lab_list_nodes_all(lab, &names);
	if (n < 0) {
		say("cannot list the nodes of lab \"%s\": %s", lab, strerror(-n));
		return VLAB_EXIT_FAIL;
	}
	progress_init(&prog, lab, "nodes removed", n);
	for (int k = 0; k < n; k++) {
		int rc = destroy_node(opts, lab, names[k]);

		failed += rc < 0;
		progress_step(&prog, rc == 0);
	}
	progress_destroy(&prog);
	free(names);

	snprintf(prefix, sizeof(prefix), "%s.", lab);
	if (sw_req(opts, "port.list", NULL, &ports, true, NULL) == 0)
		json_array_foreach(ports, i, o)
		{
			const char *name = json_string_value(json_object_get(o, "name"));

			if (name && strncmp(name, prefix, strlen(prefix)) == 0)
				sw_req(opts, "port.del", json_pack("{s:s}", "name", name), NULL,
				       true, NULL);
		}
	if (sw_req(opts, "network.list", NULL, &nets, true, NULL) == 0)
		json_array_foreach(nets, i, o)
		{
			const char *name = json_string_value(json_object_get(o, "name"));

			if (name && strncmp(name, prefix, strlen(prefix)) == 0)
				failed += sw_req(opts, "network.del",
						 json_pack("{s:s}", "name", name), NULL, false,
						 NULL) < 0;
		}
	json_decref(ports);
	json_decref(nets);

	topo_file(lab, "topology.yaml", path, sizeof(path));
	unlink(path);
	topo_file(lab, "topology.next.yaml", path, sizeof(path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/nodes", dir);
	rmdir(path);
	if (rmdir(dir) < 0 && errno != ENOENT) {
		say("cannot remove %s: %s", dir, strerror(errno));
		failed++;
	}
	switch_stop_if_unused(opts);
	if (opts->json || opts->pretty)
		printf("{\"lab\":\"%s\",\"removed\":%d,\"seconds\":%.3f,\"ok\":%s}\n", lab, n,
		       now_s() - t0, failed ? "false" : "true");
	else
		printf("lab %s: %d node%s removed in %.1f s\n", lab, n, n == 1 ? "" : "s",
		       now_s() - t0);
	return failed ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}

/* ---- status ---- */

static json_t *lab_status_json(const struct vlab_opts *opts, const char *lab)
{
	char(*names)[NODE_NAME_MAX];
	json_t *ports = NULL, *nodes = json_array();
	int n = lab_list_nodes_all(lab, &names);

	sw_req(opts, "port.list", NULL, &ports, true, NULL);
	for (int k = 0; k < n; k++) {
		struct vm_status st;
		struct lab_record rec;
		struct node nd;
		json_t *nics = json_array();

		vm_status(lab, names[k], &st);
		if (lab_record_load(lab, names[k], &nd, &rec) == 0)
			for (int c = 0; c < nd.n_nics; c++) {
				const char *link = "absent";
				json_t *addrs = json_array(), *p;
				size_t i;
				char mac[18];

				json_array_foreach(ports, i, p)
				{
					if (!strcmp(json_string_value(json_object_get(p, "name")) ?: "",
						    nd.nics[c].port))
						link = json_string_value(json_object_get(p, "link"));
				}
				for (int a = 0; a < nd.nics[c].n_addrs; a++)
					json_array_append_new(addrs, json_string(nd.nics[c].addrs[a]));
				mac_format(nd.nics[c].mac, mac);
				json_array_append_new(
					nics, json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "ifname",
							nd.nics[c].ifname, "network",
							nd.nics[c].network, "mac", mac, "port",
							nd.nics[c].port, "addrs", addrs, "link", link));
			}
		json_array_append_new(nodes,
				      json_pack("{s:s,s:s,s:s,s:b,s:i,s:I,s:o}", "name", names[k],
						"kind", kind_name(st.kind), "state", st.state,
						"agent", st.agent, "pid", (int)st.pid, "created",
						(json_int_t)st.created, "interfaces", nics));
	}
	free(names);
	json_decref(ports);
	return json_pack("{s:s,s:o}", "lab", lab, "nodes", nodes);
}

int labctl_status(const struct vlab_opts *opts, int argc, char **argv)
{
	static const struct table_col cols[] = {{"LAB", false},	  {"NODE", false},
						{"KIND", false},  {"STATE", false},
						{"AGENT", false}, {"INTERFACES", false}};
	char(*labs)[NODE_NAME_MAX] = NULL;
	int n = 0;
	json_t *all = json_array();

	if (argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
		printf("usage: vlab status [LAB]   (alias: inspect)\n");
		json_decref(all);
		return VLAB_EXIT_OK;
	}
	if (argc && argv[0][0] != '-') {
		char dir[NODE_PATH_MAX];

		lab_dir(argv[0], dir, sizeof(dir));
		if (access(dir, F_OK) < 0) {
			say("no lab \"%s\"", argv[0]);
			json_decref(all);
			return VLAB_EXIT_FAIL;
		}
		labs = calloc(1, sizeof(*labs));
		if (!labs) {
			json_decref(all);
			return VLAB_EXIT_FAIL;
		}
		snprintf(labs[0], NODE_NAME_MAX, "%s", argv[0]);
		n = 1;
	} else {
		n = lab_list_all(&labs);
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(all, lab_status_json(opts, labs[i]));
	free(labs);
	if (opts->json || opts->pretty) {
		json_dumpf(all, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
	} else if (n == 0) {
		printf("no lab is running\n");
	} else {
		struct table *t = table_new(cols, 6);
		size_t i, k, c;
		json_t *l, *nd, *nic;

		json_array_foreach(all, i, l)
		{
			json_array_foreach(json_object_get(l, "nodes"), k, nd)
			{
				char ifs[768] = "";
				size_t len = 0;

				json_array_foreach(json_object_get(nd, "interfaces"), c, nic)
				{
					json_t *ad = json_object_get(nic, "addrs");

					len += (size_t)snprintf(
						ifs + len, sizeof(ifs) - len, "%s%s:%s%s%s(%s)",
						c ? " " : "",
						json_string_value(json_object_get(nic, "ifname")),
						json_string_value(json_object_get(nic, "network")),
						json_array_size(ad) ? "=" : "",
						json_array_size(ad)
							? json_string_value(json_array_get(ad, 0))
							: "",
						json_string_value(json_object_get(nic, "link")));
					if (len >= sizeof(ifs))
						break;
				}
				const char *kn = json_string_value(json_object_get(nd, "kind"));
				const struct kind_ops *k = kind_find(kn, NULL);
				const char *cells[] = {
				    json_string_value(json_object_get(l, "lab")),
				    json_string_value(json_object_get(nd, "name")),
				    kn,
				    json_string_value(json_object_get(nd, "state")),
				    !k || !k->agent				 ? "-"
				    : json_is_true(json_object_get(nd, "agent")) ? "ready"
										 : "no",
				    ifs,
				};
				table_add_row(t, cells);
			}
		}
		table_print(t, stdout);
		table_free(t);
	}
	json_decref(all);
	return VLAB_EXIT_OK;
}

/* ---- exec / console ---- */

int labctl_exec(const struct vlab_opts *opts, int argc, char **argv)
{
	char lab[NODE_NAME_MAX], node[NODE_NAME_MAX], err[512];
	struct vm_exec_result r;
	int dash = -1, rc;

	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			dash = i + 1;
			break;
		}
	if (argc == 0 || !strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") || dash != 2 ||
	    dash >= argc) {
		fprintf(argc && !strcmp(argv[0], "--help") ? stdout : stderr,
			"usage: vlab exec [LAB/]NODE -- CMD [ARGS]\n");
		return argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
			       ? VLAB_EXIT_OK
			       : VLAB_EXIT_USAGE;
	}
	if (labctl_resolve(argv[0], lab, sizeof(lab), node, sizeof(node), err, sizeof(err)) < 0) {
		say("%s", err);
		return VLAB_EXIT_FAIL;
	}
	rc = vm_exec(lab, node, (const char *const *)&argv[dash], 300000, &r, err, sizeof(err));
	if (rc < 0) {
		say("%s", err);
		return VLAB_EXIT_FAIL;
	}
	rc = vmcmd_print_exec(opts, &r);
	vm_exec_result_free(&r);
	return rc;
}

int labctl_console(const struct vlab_opts *opts, int argc, char **argv)
{
	char lab[NODE_NAME_MAX], node[NODE_NAME_MAX], err[512];

	if (argc != 1 || argv[0][0] == '-') {
		printf("usage: vlab console [LAB/]NODE\n");
		return argc == 1 ? VLAB_EXIT_OK : VLAB_EXIT_USAGE;
	}
	if (labctl_resolve(argv[0], lab, sizeof(lab), node, sizeof(node), err, sizeof(err)) < 0 ||
	    vm_console(lab, node, err, sizeof(err)) < 0) {
		say("%s", err);
		return VLAB_EXIT_FAIL;
	}
	return VLAB_EXIT_OK;
}

/* ---- pingall ---- */

/* What the ping workers of one pass share: the matrix, a cursor over its
 * sources, and the answers (each worker writes only the cells of its own
 * sources). */
struct ping_ctx {
	const char *lab;
	const struct topo *t;
	const struct reach_cell *cells;
	const struct pingall_src *srcs;
	int n_srcs;
	bool retry; /* the second pass: what should answer and did not */
	bool *got;
	atomic_int next;
	atomic_int finished; /* workers done */
	struct progress prog;
};

/* Pings, from source s, its addresses (only those still failing an
 * expectation with `retry`) in one exec of the ping script. */
static int ping_source(struct ping_ctx *c, const struct pingall_src *s, bool retry,
		       const char **addrs)
{
	const char *name = c->t->nodes[s->node].name;
	int wait_s = retry ? 2 : 1, n, rc;
	char script[PINGALL_SCRIPT_MAX], err[256];
	struct vm_exec_result r;
	const char **argv;

	n = pingall_addrs(c->cells, s, c->got, retry, addrs);
	if (n == 0)
		return 0;
	if (pingall_script(wait_s, script, sizeof(script)) < 0)
		return -ENOSPC;
	argv = pingall_argv(script, addrs, n);
	if (!argv)
		return -ENOMEM;
	rc = vm_exec(c->lab, name, argv, pingall_timeout_ms(n, wait_s), &r, err, sizeof(err));
	if (rc < 0)
		say("node %s: cannot run ping: %s", name, err);
	else if (r.exit_code != 0)
		say("node %s: the ping script failed (exit %d%s): %.200s", name, r.exit_code,
		    r.timed_out ? ", timed out" : "", r.err ? r.err : "");
	if (rc == 0)
		pingall_mark(r.out, c->cells, s, c->got);
	vm_exec_result_free(&r);
	free(argv);
	return rc;
}

static void *ping_worker(void *arg)
{
	struct ping_ctx *c = arg;
	const char **addrs = NULL;
	int cap = 0, i;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->n_srcs) {
		const struct pingall_src *s = &c->srcs[i];
		int rc = -ENOMEM;

		if (s->n > cap) {
			const char **more = realloc(addrs, (size_t)s->n * sizeof(*addrs));

			if (more) {
				addrs = more;
				cap = s->n;
			}
		}
		if (s->n <= cap)
			rc = ping_source(c, s, c->retry, addrs);
		progress_step(&c->prog, rc == 0);
	}
	free(addrs);
	atomic_fetch_add(&c->finished, 1);
	return NULL;
}

static const char pingall_help[] =
    "usage: vlab pingall [LAB] [--matrix] [--workers N]\n"
    "\n"
    "Pings every IPv4 address of the lab from every node and compares the answers\n"
    "with what the topology implies (docs/topology.md, expect:). Exit status 0 when\n"
    "all match.\n"
    "\n"
    "  --matrix      print the matrix (one row per node, one column per address)\n"
    "                also when the lab has more than %d addresses; a wider lab gets\n"
    "                a summary: pairs tried, matched, differing, then each\n"
    "                differing pair (from, to, address, expected, got)\n"
    "  --workers N   nodes pinging at a time, 1-64 (default %d); each pings %d\n"
    "                addresses at once. Once all have pinged, the pairs that should\n"
    "                answer and did not are pinged once more (4 x N nodes at a time)\n"
    "  -j            JSON: every ping, and tried, matched, differing, ok\n";

int labctl_pingall(const struct vlab_opts *opts, int argc, char **argv)
{
	struct topo *t = topo_new();
	struct reach_cell *cells = NULL;
	struct pingall_src *srcs = NULL, *todo_srcs = NULL;
	const char **addrs = NULL;
	struct ping_ctx c = {0};
	pthread_t *th = NULL;
	bool *got = NULL, matrix = false;
	char lab[NODE_NAME_MAX] = "";
	const char *labarg = NULL;
	int n, n_srcs, workers = LABCTL_PING_WORKERS, started = 0, ret = VLAB_EXIT_FAIL;
	struct pingall_counts counts;

	if (!t) {
		say("out of memory");
		return VLAB_EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf(pingall_help, PINGALL_MATRIX_MAX_COLS, LABCTL_PING_WORKERS,
			       PINGALL_BATCH);
			ret = VLAB_EXIT_OK;
			goto out_free;
		} else if (!strcmp(argv[i], "--matrix")) {
			matrix = true;
		} else if (!strcmp(argv[i], "--workers") && i + 1 < argc) {
			workers = atoi(argv[++i]);
			if (workers < 1 || workers > 64) {
				say("--workers must be 1 to 64");
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
		} else if (argv[i][0] != '-' && !labarg) {
			labarg = argv[i];
		} else {
			fprintf(stderr,
				"vlab: unexpected argument \"%s\"\nusage: vlab pingall [LAB] "
				"[--matrix] [--workers N]\n",
				argv[i]);
			ret = VLAB_EXIT_USAGE;
			goto out_free;
		}
	}
	if (lab_arg(labarg ? 1 : 0, (char **)&labarg, lab, sizeof(lab)) < 0)
		goto out_free;
	if (applied_topo(lab, t) < 0) {
		say("lab \"%s\" is not running", lab);
		goto out_free;
	}
	n = reach_matrix_alloc(t, &cells);
	if (n < 0) {
		say("cannot compute the expected reachability of lab \"%s\": %s", lab,
		    strerror(-n));
		goto out_free;
	}
	n_srcs = pingall_sources(cells, n, &srcs);
	got = calloc(n ? (size_t)n : 1, sizeof(*got));
	th = calloc(4 * (size_t)workers, sizeof(*th));
	todo_srcs = calloc(n_srcs > 0 ? (size_t)n_srcs : 1, sizeof(*todo_srcs));
	addrs = calloc(n ? (size_t)n : 1, sizeof(*addrs));
	if (n_srcs < 0 || !got || !th || !todo_srcs || !addrs) {
		say("out of memory");
		goto out_free;
	}

	/* a lost first answer (ARP under load) is not an unreachable pair:
	 * once every node has pinged, what should answer and did not is pinged
	 * again, on a quieter lab */
	for (int pass = 0; pass < 2; pass++) {
		int todo = 0;

		for (int i = 0; i < n_srcs; i++)
			if (!pass || pingall_addrs(cells, &srcs[i], got, true, addrs) > 0)
				todo_srcs[todo++] = srcs[i];
		if (todo == 0)
			break;
		c = (struct ping_ctx){.lab = lab,
				      .t = t,
				      .cells = cells,
				      .srcs = todo_srcs,
				      .n_srcs = todo,
				      .retry = pass == 1,
				      .got = got};
		progress_init(&c.prog, lab,
			      pass ? "nodes done pinging again" : "nodes done pinging", todo);
		/* retries are few per node and mostly wait for an answer: more
		 * nodes at a time */
		started = 0;
		for (int i = 0; i < (pass ? 4 : 1) * workers && i < todo; i++)
			if (pthread_create(&th[started], NULL, ping_worker, &c) == 0)
				started++;
		if (started == 0)
			ping_worker(&c);
		progress_wait(&c.prog, &c.finished, started);
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		progress_destroy(&c.prog);
	}

	pingall_count(cells, got, n, &counts);
	if (opts->json || opts->pretty) {
		json_t *o = pingall_json(lab, t, cells, got, n);

		if (!o) {
			say("out of memory");
			goto out_free;
		}
		json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else if (pingall_print(stdout, lab, t, cells, got, n, matrix) < 0) {
		say("out of memory");
		goto out_free;
	}
	ret = counts.differing ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
out_free:
	free(addrs);
	free(todo_srcs);
	free(th);
	free(got);
	free(srcs);
	free(cells);
	topo_free(t);
	return ret;
}

/* ---- graph ---- */

int labctl_graph(const struct vlab_opts *opts, int argc, char **argv)
{
	struct topo *t = topo_new();
	enum graph_format f = GRAPH_DOT;
	const char *what = NULL;
	char lab[NODE_NAME_MAX];
	int ret = VLAB_EXIT_FAIL;

	if (!t) {
		say("out of memory");
		return VLAB_EXIT_FAIL;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: vlab graph [LAB|FILE] [--format dot|mermaid]\n");
			ret = VLAB_EXIT_OK;
			goto out_free;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (graph_format_parse(argv[++i], &f) < 0) {
				say("--format must be dot or mermaid");
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
		} else if (argv[i][0] != '-') {
			what = argv[i];
		} else {
			say("unexpected argument \"%s\"", argv[i]);
			ret = VLAB_EXIT_USAGE;
			goto out_free;
		}
	}
	if (what && (strchr(what, '/') || strstr(what, ".yaml") || strstr(what, ".yml"))) {
		if (load_topo(what, t) < 0)
			goto out_free;
	} else {
		char *argv1[] = {(char *)what, NULL};

		if (lab_arg(what ? 1 : 0, argv1, lab, sizeof(lab)) < 0)
			goto out_free;
		if (applied_topo(lab, t) < 0) {
			say("lab \"%s\" is not running", lab);
			goto out_free;
		}
	}
	ret = graph_render(t, f, stdout) < 0 ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
out_free:
	topo_free(t);
	return ret;
}
