/* `vlab pingall [LAB]`: pings every IPv4 address of the lab from every
 * node (or, with --tcp / --udp, connects to a port of it, with a listener
 * started in every node meanwhile), in parallel (a pool of workers, one
 * source node at a time each; a second pass for pairs that should answer
 * and did not), and compares the answers with what the topology and the
 * lab's policies in force imply; the pure parts are pingall.c, pingprobe.c,
 * reach.c and polreach.c.
 *
 * Threads: the CLI's main thread and the ping workers, which share the
 * matrix, an atomic cursor over the sources and the answers (each worker
 * writes only the cells of its own sources). */
#include "labctl.h"

#include "labctl_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pingall.h"
#include "polsw.h"
#include "progress.h"
#include "reach.h"
#include "vm.h"

#define LABCTL_PING_WORKERS 4 /* sources pinging at a time (pingall --workers) */

/* What the ping workers of one pass share: the matrix, a cursor over its
 * sources, and the answers (each worker writes only the cells of its own
 * sources). */
struct ping_ctx {
	const char *lab;
	const struct topo *t;
	const struct reach_cell *cells;
	const struct pingall_src *srcs;
	int n_srcs;
	const struct reach_probe *probe;
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
	if (pingall_probe_script(c->probe, wait_s, script, sizeof(script)) < 0)
		return -ENOSPC;
	argv = pingall_argv(script, addrs, n);
	if (!argv)
		return -ENOMEM;
	rc = vm_exec(c->lab, name, argv, pingall_timeout_ms(n, wait_s), &r, err, sizeof(err));
	if (rc < 0)
		labctl_say("node %s: cannot run the probes: %s", name, err);
	else if (r.exit_code != 0)
		labctl_say("node %s: the probe script failed (exit %d%s): %.200s", name,
			   r.exit_code, r.timed_out ? ", timed out" : "", r.err ? r.err : "");
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

/* The listener's pid file in a node (the /tmp of namespace hosts is the
 * host's: named by lab and node). */
static void pidfile(const char *lab, const char *node, const struct reach_probe *p, char *buf,
		    size_t len)
{
	snprintf(buf, len, "/tmp/vlab-%s-%s-%s-%u.pid", lab, node,
		 p->kind == POLREACH_TCP ? "tcp" : "udp", p->port);
}

static int node_sh(const char *lab, const char *node, const char *script, struct vm_exec_result *r,
		   char *err, size_t errlen)
{
	const char *argv[] = {"sh", "-c", script, NULL};

	return vm_exec(lab, node, argv, 20000, r, err, errlen);
}

/* Starts the probe's listener in every node; no_tool[i]: node i lacks the
 * tool (its pairs are left out). Returns how many failed, said. */
static int listeners_start(const char *lab, const struct topo *t, const struct reach_probe *p,
			   bool *no_tool)
{
	char script[PINGALL_SCRIPT_MAX * 2], pf[NODE_PATH_MAX], err[256];
	int failed = 0;

	for (int i = 0; i < t->n_nodes; i++) {
		struct vm_exec_result r;
		int rc;

		pidfile(lab, t->nodes[i].name, p, pf, sizeof(pf));
		if (pingall_listen_script(p, pf, script, sizeof(script)) < 0)
			return t->n_nodes;
		rc = node_sh(lab, t->nodes[i].name, script, &r, err, sizeof(err));
		if (rc < 0 || r.exit_code != 0) {
			labctl_say("node %s: cannot start a listener on port %u: %.200s",
				   t->nodes[i].name, p->port,
				   rc < 0  ? err
				   : r.err ? r.err
					   : "");
			failed++;
		} else if (r.out && strstr(r.out, PINGALL_NO_TOOL)) {
			no_tool[i] = true;
		}
		if (rc == 0)
			vm_exec_result_free(&r);
	}
	return failed;
}

static void listeners_stop(const char *lab, const struct topo *t, const struct reach_probe *p)
{
	char script[PINGALL_SCRIPT_MAX], pf[NODE_PATH_MAX], err[256];

	for (int i = 0; i < t->n_nodes; i++) {
		struct vm_exec_result r;

		pidfile(lab, t->nodes[i].name, p, pf, sizeof(pf));
		if (pingall_unlisten_script(pf, script, sizeof(script)) == 0 &&
		    node_sh(lab, t->nodes[i].name, script, &r, err, sizeof(err)) == 0)
			vm_exec_result_free(&r);
	}
}

/* Leaves out the cells from or to a node without the probe's tool;
 * returns how many are left. */
static int drop_untried(struct reach_cell *cells, int n, const bool *no_tool)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		if (!no_tool[cells[i].src_node] && !no_tool[cells[i].dst_node])
			cells[k++] = cells[i];
	return k;
}

/* The policies the switch holds for the lab replace the file's: pingall
 * expects what is in force (`vlab policy apply` and `clear` included).
 * When the switch does not answer, the file's stay. */
static const char *policies_in_force(const struct vlab_opts *opts, const char *lab, struct topo *t)
{
	struct topo_policy *p;
	json_t *res = NULL;
	int n;

	if (labctl_sw_req(opts, "policy.list", NULL, &res, true, NULL) < 0)
		return "topology";
	if (polsw_from_list(lab, t, json_object_get(res, "policies"), &p, &n) < 0) {
		json_decref(res);
		return "topology";
	}
	json_decref(res);
	topo_policies_free(t);
	t->policies = p;
	t->n_policies = n;
	return "switch";
}

static int port_arg(const char *s, uint16_t *port)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static const char pingall_help[] =
    "usage: vlab pingall [LAB] [--matrix] [--workers N] [--tcp PORT | --udp PORT]\n"
    "\n"
    "Pings every IPv4 address of the lab from every node and compares the answers\n"
    "with what the topology and its policies imply (docs/topology.md, expect:,\n"
    "docs/policy.md: the policies the switch holds for the lab). Exit status 0\n"
    "when all match.\n"
    "\n"
    "  --tcp PORT    instead of pinging, connect to PORT of every address and\n"
    "                exchange a line (a listener runs in every node meanwhile:\n"
    "                busybox nc)\n"
    "  --udp PORT    send a datagram to PORT of every address and wait for it\n"
    "                back (listeners: socat, in the built-in guest image and\n"
    "                on the host; nodes without it are left out and named)\n"
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
	struct reach_probe probe = {.kind = POLREACH_ICMP};
	bool listening = false, *no_tool = NULL;
	struct pingall_counts counts;
	const char *from;

	if (!t) {
		labctl_say("out of memory");
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
				labctl_say("--workers must be 1 to 64");
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
		} else if ((!strcmp(argv[i], "--tcp") || !strcmp(argv[i], "--udp")) &&
			   i + 1 < argc) {
			if (probe.kind != POLREACH_ICMP || port_arg(argv[i + 1], &probe.port) < 0) {
				labctl_say(probe.kind != POLREACH_ICMP
					       ? "give one of --tcp and --udp"
					       : "%s takes a port, 1-65535 (got \"%s\")",
					   argv[i], argv[i + 1]);
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
			probe.kind = !strcmp(argv[i], "--tcp") ? POLREACH_TCP : POLREACH_UDP;
			i++;
		} else if (argv[i][0] != '-' && !labarg) {
			labarg = argv[i];
		} else {
			fprintf(stderr,
				"vlab: unexpected argument \"%s\"\nusage: vlab pingall [LAB] "
				"[--matrix] [--workers N] [--tcp PORT | --udp PORT]\n",
				argv[i]);
			ret = VLAB_EXIT_USAGE;
			goto out_free;
		}
	}
	if (labctl_lab_arg(labarg ? 1 : 0, (char **)&labarg, lab, sizeof(lab)) < 0)
		goto out_free;
	if (labctl_applied_topo(lab, t) < 0) {
		labctl_say("lab \"%s\" is not running", lab);
		goto out_free;
	}
	from = policies_in_force(opts, lab, t);
	n = reach_matrix_alloc_probe(t, &probe, &cells);
	if (n < 0) {
		labctl_say("cannot compute the expected reachability of lab \"%s\": %s", lab,
			   strerror(-n));
		goto out_free;
	}
	if (t->n_policies)
		labctl_say("lab %s: expecting what its %d polic%s (from the %s) allow", lab,
			   t->n_policies, t->n_policies == 1 ? "y" : "ies", from);
	if (probe.kind != POLREACH_ICMP) {
		char names[512] = "";
		size_t off = 0;
		int skipped = 0;

		no_tool = calloc((size_t)t->n_nodes + 1, sizeof(*no_tool));
		if (!no_tool) {
			labctl_say("out of memory");
			goto out_free;
		}
		listening = true;
		if (listeners_start(lab, t, &probe, no_tool) > 0)
			goto out_free;
		for (int i = 0; i < t->n_nodes; i++)
			if (no_tool[i] && off < sizeof(names)) {
				off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
							skipped ? ", " : "", t->nodes[i].name);
				skipped++;
			}
		if (skipped) {
			int before = n;

			n = drop_untried(cells, n, no_tool);
			labctl_say("%d node%s without %s left out (%d pairs not tried): %s",
				   skipped, skipped == 1 ? "" : "s",
				   probe.kind == POLREACH_TCP ? "busybox" : "socat", before - n,
				   names);
		}
	}
	n_srcs = pingall_sources(cells, n, &srcs);
	got = calloc(n ? (size_t)n : 1, sizeof(*got));
	th = calloc(4 * (size_t)workers, sizeof(*th));
	todo_srcs = calloc(n_srcs > 0 ? (size_t)n_srcs : 1, sizeof(*todo_srcs));
	addrs = calloc(n ? (size_t)n : 1, sizeof(*addrs));
	if (n_srcs < 0 || !got || !th || !todo_srcs || !addrs) {
		labctl_say("out of memory");
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
				      .probe = &probe,
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
		json_t *o = pingall_json_probe(lab, t, cells, got, n, &probe);

		if (!o) {
			labctl_say("out of memory");
			goto out_free;
		}
		json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else if (pingall_print_probe(stdout, lab, t, cells, got, n, matrix, &probe) < 0) {
		labctl_say("out of memory");
		goto out_free;
	}
	ret = counts.differing ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
out_free:
	if (listening)
		listeners_stop(lab, t, &probe);
	free(no_tool);
	free(addrs);
	free(todo_srcs);
	free(th);
	free(got);
	free(srcs);
	free(cells);
	topo_free(t);
	return ret;
}
