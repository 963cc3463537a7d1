/* The lab controller; see labctl.h.
 *
 * State of a lab (everything `vlab down` needs, also after a crash) lives in
 * its directory under lab_run_dir(): one record per node (vmhost/lab.c) and
 * the topology text last applied (topology.yaml) or being applied
 * (topology.next.yaml). On the switch, a lab's networks are named LAB.NET and
 * its ports LAB.NODE-IFNAME, so labs never collide and can be found again.
 * Runs on the CLI's main thread; node starts and pings fan out to threads. */
#include "labctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
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
#include "lab.h"
#include "netns.h"
#include "plan.h"
#include "reach.h"
#include "swclient.h"
#include "table.h"
#include "topo.h"
#include "vm.h"
#include "vm_cmd.h"

#define LABCTL_WORKERS        4
#define LABCTL_READY_MS       180000
#define LABCTL_SWITCH_WAIT_MS 20000

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

	fputs("vlab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

/* ---- up / apply ---- */

struct startset {
	struct node nodes[TOPO_MAX_NODES];
	int n;
};

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

static int plug(const struct vlab_opts *opts, const char *lab, const struct node *n,
		const struct node_nic *c, const char *outer)
{
	char net[64];
	json_t *p;

	sw_net_name(lab, c->network, net, sizeof(net));
	if (n->kind == NODE_VM)
		p = json_pack("{s:s,s:s,s:s,s:s}", "name", c->port, "type", "vhost-user", "network",
			      net, "path", c->sock);
	else
		p = json_pack("{s:s,s:s,s:s,s:s}", "name", c->port, "type", "af-packet", "network",
			      net, "iface", outer);
	return sw_req(opts, "port.add", p, NULL, false, NULL);
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

static void print_summary(const struct vlab_opts *opts, const char *lab, const struct topo *t,
			  double secs)
{
	static const struct table_col cols[] = {
		{"NODE", false}, {"KIND", false}, {"STATE", false}, {"INTERFACES", false}};
	struct table *tb = table_new(cols, 4);
	json_t *arr = json_array();

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
		const char *state = st.kind == NODE_VM && st.agent ? "ready" : st.state;
		const char *cells[] = {n->name, n->kind == NODE_VM ? "vm" : "host", state, ifs};

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
		table_print(tb, stdout);
		printf("lab %s: %d nodes up in %.1f s\n", lab, t->n_nodes, secs);
		json_decref(arr);
	}
	table_free(tb);
}

static int do_up(const struct vlab_opts *opts, int argc, char **argv, bool apply)
{
	static struct topo want, have;
	static struct plan plan;
	static struct startset ss;
	static char errs[TOPO_MAX_NODES][256];
	const char *file = NULL;
	int workers = LABCTL_WORKERS, failed = 0, rc;
	char path[PATH_MAX], err[512], *text = NULL;
	bool running;
	double t0 = now_s();
	size_t len;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: vlab %s FILE [--workers N]\n\n%s\n"
			       "  --workers N   nodes started at a time (default %d)\n"
			       "\nThe file format: docs/topology.md; check a file with `vlab validate "
			       "FILE`.\n",
			       apply ? "apply" : "up",
			       apply ? "Reconciles the running lab with its edited topology file: adds "
				       "and removes\nnodes, networks and interfaces; nodes that did not "
				       "change keep running."
				     : "Brings the lab up: starts vlab-switchd if none runs, creates its "
				       "networks and\nports, starts the nodes in parallel and waits until "
				       "each is ready. Running it\nagain changes nothing.",
			       LABCTL_WORKERS);
			return VLAB_EXIT_OK;
		} else if (!strcmp(argv[i], "--workers") && i + 1 < argc) {
			workers = atoi(argv[++i]);
			if (workers < 1 || workers > 16) {
				say("--workers must be 1 to 16");
				return VLAB_EXIT_USAGE;
			}
		} else if (argv[i][0] != '-' && file == NULL) {
			file = argv[i];
		} else {
			fprintf(stderr, "vlab: unexpected argument \"%s\"\nusage: vlab %s FILE "
				"[--workers N]\n", argv[i], apply ? "apply" : "up");
			return VLAB_EXIT_USAGE;
		}
	}
	if (file == NULL) {
		fprintf(stderr, "vlab: missing topology FILE\nusage: vlab %s FILE\n",
			apply ? "apply" : "up");
		return VLAB_EXIT_USAGE;
	}
	if (load_topo(file, &want) < 0)
		return VLAB_EXIT_FAIL;
	const char *lab = want.name;

	running = applied_topo(lab, &have) == 0;
	if (running) {
		/* a node that failed or died is not part of what runs: the plan
		 * starts it again (after removing what is left of it) */
		int k = 0;

		for (int i = 0; i < have.n_nodes; i++) {
			struct vm_status st;

			vm_status(lab, have.nodes[i].name, &st);
			if (!strcmp(st.state, "absent") || !strcmp(st.state, "stopped")) {
				destroy_node(opts, lab, have.nodes[i].name);
				continue;
			}
			have.nodes[k] = have.nodes[i];
			have.node_line[k] = have.node_line[i];
			have.node_col[k] = have.node_col[i];
			k++;
		}
		have.n_nodes = k;
	}
	if (apply && !running) {
		say("lab \"%s\" is not running; start it with `vlab up %s`", lab, file);
		return VLAB_EXIT_FAIL;
	}
	rc = plan_diff(running ? &have : NULL, &want, &plan);
	if (rc < 0) {
		say("cannot plan lab \"%s\": %s", lab, strerror(-rc));
		return VLAB_EXIT_FAIL;
	}
	if (switch_ensure(opts) < 0)
		return VLAB_EXIT_FAIL;
	if (plan.n == 0) {
		say("lab \"%s\" already matches %s: nothing to do", lab, file);
		print_summary(opts, lab, &want, now_s() - t0);
		return VLAB_EXIT_OK;
	}
	plan_print(&plan, stderr);

	/* the target is recorded first, so `vlab down` knows it after a crash */
	if (read_text(file, &text, &len) < 0)
		return VLAB_EXIT_FAIL;
	lab_dir(lab, path, sizeof(path));
	lab_mkdirs(path);
	topo_file(lab, "topology.next.yaml", path, sizeof(path));
	write_text(path, text, len);

	ss.n = 0;
	for (int i = 0; i < plan.n; i++) {
		const struct plan_action *a = &plan.a[i];
		char net[64];

		switch (a->op) {
		case PLAN_NODE_DESTROY:
			say("removing node %s (%s)", a->name, a->why);
			failed += destroy_node(opts, lab, a->name) < 0;
			break;
		case PLAN_NET_DEL:
			sw_net_name(lab, have.nets[a->index].name, net, sizeof(net));
			sw_req(opts, "network.del", json_pack("{s:s}", "name", net), NULL, true,
			       NULL);
			break;
		case PLAN_NET_ADD: {
			const struct topo_net *tn = &want.nets[a->index];
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
			ss.nodes[ss.n] = want.nodes[a->index];
			if (prepare_node(lab, &ss.nodes[ss.n], err, sizeof(err)) < 0) {
				say("%s", err);
				failed++;
				break;
			}
			ss.n++;
			break;
		}
	}

	/* guests: record, then ports (QEMU waits for the switch to connect) */
	for (int i = 0; i < ss.n; i++) {
		struct node *n = &ss.nodes[i];
		struct lab_record rec = {.created = time(NULL)};

		if (n->kind != NODE_VM)
			continue;
		lab_record_save(lab, n, &rec);
		for (int k = 0; k < n->n_nics; k++)
			failed += plug(opts, lab, n, &n->nics[k], NULL) < 0;
	}
	if (ss.n) {
		struct vm_opts vo = {.progress = on_progress, .ready_timeout_ms = LABCTL_READY_MS};

		say("starting %d node%s (%d at a time)", ss.n, ss.n > 1 ? "s" : "",
		    workers < ss.n ? workers : ss.n);
		memset(errs, 0, sizeof(errs));
		vm_start_parallel(lab, ss.nodes, ss.n, workers, &vo, errs);
		for (int i = 0; i < ss.n; i++)
			if (errs[i][0]) {
				say("%s", errs[i]);
				failed++;
			}
	}
	/* hosts: their veths exist now */
	for (int i = 0; i < ss.n; i++) {
		struct node *n = &ss.nodes[i];
		char nsname[NODE_NAME_MAX * 2], prefix[16], outer[16];

		if (n->kind != NODE_HOST || errs[i][0])
			continue;
		vm_host_names(lab, n->name, nsname, sizeof(nsname), prefix, sizeof(prefix));
		for (int k = 0; k < n->n_nics; k++) {
			nsh_outer_name(prefix, k, outer, sizeof(outer));
			failed += plug(opts, lab, n, &n->nics[k], outer) < 0;
		}
	}

	topo_file(lab, "topology.yaml", path, sizeof(path));
	write_text(path, text, len);
	topo_file(lab, "topology.next.yaml", path, sizeof(path));
	unlink(path);
	free(text);
	print_summary(opts, lab, &want, now_s() - t0);
	if (failed) {
		say("%d problem%s while bringing lab \"%s\" up; inspect with `vlab status %s`, "
		    "remove with `vlab down %s`", failed, failed > 1 ? "s" : "", lab, lab, lab);
		return VLAB_EXIT_FAIL;
	}
	return VLAB_EXIT_OK;
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
	char names[16][NODE_NAME_MAX];
	int n = lab_list(names, 16);

	if (n == 1) {
		snprintf(lab, len, "%s", names[0]);
		return 0;
	}
	if (n <= 0) {
		snprintf(err, errlen, "no lab is running (start one with `vlab up FILE`)");
		return -ENOENT;
	}
	size_t k = (size_t)snprintf(err, errlen, "%d labs are running; name one:", n);
	for (int i = 0; i < n && k < errlen; i++)
		k += (size_t)snprintf(err + k, errlen - k, " %s", names[i]);
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
	char lab[NODE_NAME_MAX], names[LAB_MAX_NODES][NODE_NAME_MAX], dir[NODE_PATH_MAX],
		path[PATH_MAX], prefix[NODE_NAME_MAX + 2];
	json_t *nets = NULL, *ports = NULL, *o;
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

	n = lab_list_nodes(lab, names, LAB_MAX_NODES);
	for (int k = 0; k < n; k++)
		failed += destroy_node(opts, lab, names[k]) < 0;

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
	char names[LAB_MAX_NODES][NODE_NAME_MAX];
	json_t *ports = NULL, *nodes = json_array();
	int n = lab_list_nodes(lab, names, LAB_MAX_NODES);

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
				lab_mac_format(nd.nics[c].mac, mac);
				json_array_append_new(
					nics, json_pack("{s:s,s:s,s:s,s:s,s:o,s:s}", "ifname",
							nd.nics[c].ifname, "network",
							nd.nics[c].network, "mac", mac, "port",
							nd.nics[c].port, "addrs", addrs, "link", link));
			}
		json_array_append_new(
			nodes, json_pack("{s:s,s:s,s:s,s:b,s:i,s:I,s:o}", "name", names[k], "kind",
					 st.kind == NODE_VM ? "vm" : "host", "state", st.state,
					 "agent", st.agent, "pid", (int)st.pid, "created",
					 (json_int_t)st.created, "interfaces", nics));
	}
	json_decref(ports);
	return json_pack("{s:s,s:o}", "lab", lab, "nodes", nodes);
}

int labctl_status(const struct vlab_opts *opts, int argc, char **argv)
{
	static const struct table_col cols[] = {{"LAB", false},	  {"NODE", false},
						{"KIND", false},  {"STATE", false},
						{"AGENT", false}, {"INTERFACES", false}};
	char labs[16][NODE_NAME_MAX];
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
		snprintf(labs[0], NODE_NAME_MAX, "%s", argv[0]);
		n = 1;
	} else {
		n = lab_list(labs, 16);
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(all, lab_status_json(opts, labs[i]));
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
				bool vm = !strcmp(json_string_value(json_object_get(nd, "kind")), "vm");
				const char *cells[] = {
					json_string_value(json_object_get(l, "lab")),
					json_string_value(json_object_get(nd, "name")),
					vm ? "vm" : "host",
					json_string_value(json_object_get(nd, "state")),
					!vm ? "-"
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

struct ping_job {
	const char *lab;
	const struct topo *t;
	struct reach_cell *cells;
	int n;
	int src;  /* node index this job pings from */
	bool *got;
};

static void *ping_worker(void *arg)
{
	struct ping_job *j = arg;

	for (int i = 0; i < j->n; i++) {
		struct vm_exec_result r;
		char err[256];

		if (j->cells[i].src_node != j->src)
			continue;
		const char *argv[] = {"ping", "-c", "2", "-i", "0.3", "-W", "1",
				      j->cells[i].addr, NULL};

		j->got[i] = vm_exec(j->lab, j->t->nodes[j->src].name, argv, 20000, &r, err,
				    sizeof(err)) == 0 &&
			    r.exit_code == 0;
		vm_exec_result_free(&r);
	}
	return NULL;
}

int labctl_pingall(const struct vlab_opts *opts, int argc, char **argv)
{
	static struct topo t;
	static struct reach_cell cells[4096];
	static bool got[4096];
	static struct ping_job jobs[TOPO_MAX_NODES];
	pthread_t th[TOPO_MAX_NODES];
	bool started[TOPO_MAX_NODES];
	char lab[NODE_NAME_MAX] = "";
	int n, mismatches = 0;
	json_t *arr = json_array();

	if (argc && (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))) {
		printf("usage: vlab pingall [LAB]\n");
		json_decref(arr);
		return VLAB_EXIT_OK;
	}
	if (lab_arg(argc, argv, lab, sizeof(lab)) < 0) {
		json_decref(arr);
		return VLAB_EXIT_FAIL;
	}
	if (applied_topo(lab, &t) < 0) {
		say("lab \"%s\" is not running", lab);
		json_decref(arr);
		return VLAB_EXIT_FAIL;
	}
	n = reach_matrix(&t, cells, 4096);
	if (n < 0) {
		say("cannot compute the expected reachability of lab \"%s\"", lab);
		json_decref(arr);
		return VLAB_EXIT_FAIL;
	}
	memset(got, 0, sizeof(got));
	for (int s = 0; s < t.n_nodes; s++) {
		jobs[s] = (struct ping_job){.lab = lab, .t = &t, .cells = cells, .n = n,
					    .src = s, .got = got};
		started[s] = pthread_create(&th[s], NULL, ping_worker, &jobs[s]) == 0;
		if (!started[s])
			ping_worker(&jobs[s]);
	}
	for (int s = 0; s < t.n_nodes; s++)
		if (started[s])
			pthread_join(th[s], NULL);

	for (int i = 0; i < n; i++) {
		bool ok = got[i] == cells[i].expect;

		mismatches += !ok;
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:b,s:b}", "from",
						     t.nodes[cells[i].src_node].name, "to",
						     t.nodes[cells[i].dst_node].name, "addr",
						     cells[i].addr, "reached", got[i], "expected",
						     cells[i].expect, "match", ok));
	}
	if (opts->json || opts->pretty) {
		json_t *o = json_pack("{s:s,s:o,s:i,s:b}", "lab", lab, "pings", arr, "mismatches",
				      mismatches, "ok", mismatches == 0);

		json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else {
		/* matrix: one row per source node, one column per destination address */
		printf("%-10s", "from \\ to");
		const char *cols[256];
		int ncols = 0;

		/* in node order, so the columns line up with the rows */
		for (int d = 0; d < t.n_nodes; d++)
			for (int i = 0; i < n && ncols < 256; i++) {
				bool seen = false;

				if (cells[i].dst_node != d)
					continue;
				for (int c = 0; c < ncols; c++)
					seen |= !strcmp(cols[c], cells[i].addr);
				if (!seen)
					cols[ncols++] = cells[i].addr;
			}
		for (int c = 0; c < ncols; c++)
			printf(" %-15s", cols[c]);
		putchar('\n');
		for (int s = 0; s < t.n_nodes; s++) {
			printf("%-10s", t.nodes[s].name);
			for (int c = 0; c < ncols; c++) {
				const char *mark = "   ";

				for (int i = 0; i < n; i++)
					if (cells[i].src_node == s && !strcmp(cells[i].addr, cols[c]))
						mark = got[i] == cells[i].expect
							       ? (got[i] ? "ok" : "--")
							       : (got[i] ? "ok!" : "--!");
				printf(" %-15s", mark);
			}
			putchar('\n');
		}
		printf("ok: reached, --: not reached, !: differs from the topology\n");
		if (mismatches)
			printf("lab %s: %d of %d pings differ from what the topology implies\n", lab,
			       mismatches, n);
		else
			printf("lab %s: all %d pings match the topology\n", lab, n);
		json_decref(arr);
	}
	return mismatches ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}

/* ---- graph ---- */

int labctl_graph(const struct vlab_opts *opts, int argc, char **argv)
{
	static struct topo t;
	enum graph_format f = GRAPH_DOT;
	const char *what = NULL;
	char lab[NODE_NAME_MAX];

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: vlab graph [LAB|FILE] [--format dot|mermaid]\n");
			return VLAB_EXIT_OK;
		} else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			if (graph_format_parse(argv[++i], &f) < 0) {
				say("--format must be dot or mermaid");
				return VLAB_EXIT_USAGE;
			}
		} else if (argv[i][0] != '-') {
			what = argv[i];
		} else {
			say("unexpected argument \"%s\"", argv[i]);
			return VLAB_EXIT_USAGE;
		}
	}
	if (what && (strchr(what, '/') || strstr(what, ".yaml") || strstr(what, ".yml"))) {
		if (load_topo(what, &t) < 0)
			return VLAB_EXIT_FAIL;
	} else {
		char *argv1[] = {(char *)what, NULL};

		if (lab_arg(what ? 1 : 0, argv1, lab, sizeof(lab)) < 0)
			return VLAB_EXIT_FAIL;
		if (applied_topo(lab, &t) < 0) {
			say("lab \"%s\" is not running", lab);
			return VLAB_EXIT_FAIL;
		}
	}
	return graph_render(&t, f, stdout) < 0 ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}
