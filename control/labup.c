/* `vlab up FILE` and `vlab apply FILE`: reads a topology, plans the
 * difference with what the lab really runs (the switch's networks and ports,
 * the live nodes' records: labrunning.c, running.h; the plan: plan.h; the
 * switch's policies of the lab: labpolicy.c, polsw.h), and makes it so:
 * starts vlab-switchd when none runs, creates networks (unless another
 * network holds the VNI: the error names it and the fix), sets the lab's
 * policies (deleting those the file no longer has) and adds ports,
 * starts nodes in parallel (namespace hosts first), waits until they are
 * ready, prints a summary, and records the topology in the lab's state
 * directory. A step that fails is done by the next `vlab up`, which sees it
 * missing.
 *
 * Threads: the CLI's main thread, which reports progress, and the node
 * starts of vm_start_parallel() on a thread of their own with its workers;
 * these share only the start array (each worker its own entries), the error
 * array and the progress counter under its lock. */
#include "labctl.h"

#include "labctl_priv.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kind.h"
#include "lab.h"
#include "netns.h"
#include "plan.h"
#include "polsw.h"
#include "progress.h"
#include "running.h"
#include "table.h"
#include "vm.h"
#include "swreq.h"

#define LABCTL_WORKERS	    4 /* nodes started at a time (--workers) */
#define LABCTL_READY_MS	    180000
#define LABCTL_TABLE_MAX    32 /* larger labs: `up` prints counts, not a table */
#define LABCTL_PLAN_LINES   16 /* more actions of a kind: one line for them */
#define LABCTL_ERRORS_SHOWN 20 /* node errors printed by `up`; the rest counted */

static void on_progress(const char *msg, void *arg)
{
	labctl_say("%s", msg);
}

/* Prepares node `n` of lab `lab` for starting: switch port names, defaults. */
static int prepare_node(const char *lab, struct node *n, char *err, size_t errlen)
{
	for (int i = 0; i < n->n_nics; i++) {
		struct node_nic *c = &n->nics[i];

		if (c->ifname[0] == '\0')
			snprintf(c->ifname, sizeof(c->ifname), "eth%d", i);
		if (polsw_port_name(lab, n->name, c->ifname, c->port, sizeof(c->port)) < 0) {
			snprintf(err, errlen,
				 "node \"%s\": switch port name %s.%s-%s is longer than "
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

	labctl_sw_net_name(lab, c->network, net, sizeof(net));
	rc = kind_of(n->kind)->port(lab, n, i, &kp);
	if (rc < 0) {
		snprintf(err, errlen, "node \"%s\" interface %s: switch port %s: %s", n->name,
			 c->ifname, c->port, strerror(-rc));
		return rc;
	}
	rc = labctl_sw_req(opts, "port.add", swreq_port_add(c->port, net, &kp), NULL, true, &e);
	if (rc < 0)
		snprintf(err, errlen, "node \"%s\" interface %s: switch port %s: %s", n->name,
			 c->ifname, c->port, rc == -EREMOTEIO ? e.message : strerror(-rc));
	return rc;
}

/* Every network's flight recorder as the file says (`record:`; the switch
 * leaves one that is already so alone). Returns how many failed. */
static int set_recorders(const struct vlab_opts *opts, const char *lab, const struct topo *want,
			 const bool *net_failed)
{
	struct swc_error e = {0};
	char net[64];
	int failed = 0;

	for (int i = 0; i < want->n_nets; i++) {
		const struct topo_net *tn = &want->nets[i];

		if ((net_failed && net_failed[i]) ||
		    labctl_sw_net_name(lab, tn->name, net, sizeof(net)) < 0)
			continue;
		if (labctl_sw_req(opts, "network.record", swreq_network_record(net, tn->record), NULL,
				  true, &e) < 0) {
			labctl_say("network \"%s\": flight recorder of %u packets: %s", tn->name,
				   tn->record, e.message);
			failed++;
		}
	}
	return failed;
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
		labctl_say("room for %ld neighbour entries of namespace hosts (host-wide): %s",
			   need, msg);
	else if (rc < 0)
		labctl_say(
		    "warning: cannot raise the kernel's neighbour table size for %ld entries "
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
    "nodes, networks and interfaces, sets its policies and deletes those the\n"
    "file no longer has; nodes that did not change keep running.\n";
static const char up_help[] =
    "  --workers N   nodes started at a time, 1-16 (default %d)\n"
    "\n"
    "Progress goes to stderr: the plan (one line per kind of action when a lab is\n"
    "large), then \"lab LAB: N/M nodes up\" at most every %d s. Namespace hosts\n"
    "start first, then guests. A lab has at most %d nodes and %d networks\n"
    "(docs/topology.md has the file format; check a file with `vlab validate FILE`).\n";

/* Adds network tn of the lab to the switch, unless another network holds
 * its VNI (nets: the switch's list): then says who and how to fix it. 0 or
 * -errno, said. */
static int add_network(const struct vlab_opts *opts, const char *lab, const struct topo_net *tn,
		       json_t *nets)
{
	char net[64], msg[512];
	struct swc_error e;
	json_t *now = NULL;
	int rc;

	if (labctl_sw_net_name(lab, tn->name, net, sizeof(net)) < 0) {
		labctl_say("network \"%s\": switch name %s.%s is longer than 31 "
			   "characters; use a shorter lab or network name",
			   tn->name, lab, tn->name);
		return -ENAMETOOLONG;
	}
	if (running_vni_clash(lab, tn->name, tn->vni, tn->vni_auto, nets, msg, sizeof(msg))) {
		labctl_say("%s", msg);
		return -EEXIST;
	}
	rc = labctl_sw_req(opts, "network.add", swreq_network_add(net, tn->vni), NULL, true, &e);
	if (rc == 0)
		return 0;
	/* taken since the switch was listed: say by whom if it is the VNI */
	if (rc == -EREMOTEIO && e.code == -EEXIST &&
	    labctl_sw_req(opts, "network.list", NULL, &now, true, NULL) == 0 &&
	    running_vni_clash(lab, tn->name, tn->vni, tn->vni_auto, now, msg, sizeof(msg)))
		labctl_say("%s", msg);
	else
		labctl_say("network \"%s\" (VNI %u): %s", tn->name, tn->vni,
			   rc == -EREMOTEIO ? e.message : strerror(-rc));
	json_decref(now);
	return rc;
}

/* The network of node n that could not be created (net_failed: per
 * t->nets), or NULL. */
static const char *failed_network(const struct topo *t, const bool *net_failed,
				  const struct node *n)
{
	for (int k = 0; k < n->n_nics; k++) {
		int i = topo_net_find(t, n->nics[k].network);

		if (i >= 0 && net_failed[i])
			return n->nics[k].network;
	}
	return NULL;
}

static int do_up(const struct vlab_opts *opts, int argc, char **argv, bool apply)
{
	struct topo *want = topo_new();
	struct running run = {0};
	struct plan plan = {0};
	struct node *start = NULL;
	char(*errs)[256] = NULL, (*bad_names)[NODE_NAME_MAX] = NULL;
	const char *file = NULL, *lab;
	int workers = LABCTL_WORKERS, failed = 0, n_start = 0, n_bad = 0, n_skip = 0;
	int n_destroy = 0, n_pol = 0, rc, ret = VLAB_EXIT_FAIL;
	struct polsw_action *pol = NULL;
	struct progress gone;
	char path[PATH_MAX], err[512], *text = NULL;
	bool *net_failed = NULL;
	json_t *nets = NULL;
	double t0 = labctl_now();
	size_t len;

	if (!want) {
		labctl_say("out of memory");
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
				labctl_say("--workers must be 1 to 16");
				ret = VLAB_EXIT_USAGE;
				goto out_free;
			}
		} else if (argv[i][0] != '-' && file == NULL) {
			file = argv[i];
		} else {
			fprintf(stderr,
				"vlab: unexpected argument \"%s\"\nusage: vlab %s FILE "
				"[--workers N]\n",
				argv[i], apply ? "apply" : "up");
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
	if (labctl_load_topo(file, want) < 0)
		goto out_free;
	lab = want->name;
	if (want->n_switches > 1) {
		labctl_say("lab \"%s\" has %d switches (%s, %s%s): vlab %s runs labs of one "
			   "switch; the switches' VXLAN underlay and VTEPs are set with `vlab "
			   "switch underlay` and `vlab switch vtep` (docs/vxlan.md)",
			   lab, want->n_switches, want->switches[0].name, want->switches[1].name,
			   want->n_switches > 2 ? ", ..." : "", apply ? "apply" : "up");
		goto out_free;
	}

	labctl_topo_file(lab, "topology.yaml", path, sizeof(path));
	if (apply && access(path, F_OK) < 0) {
		labctl_say("lab \"%s\" is not running; start it with `vlab up %s`", lab, file);
		goto out_free;
	}
	/* the plan compares the file with what runs, not with the file that
	 * ran last: a step that failed then is done now */
	if (labctl_switch_ensure(opts) < 0 || labctl_running(opts, lab, &run, &nets) < 0)
		goto out_free;
	/* like with like: the records hold the derived values (interface names,
	 * MACs, port names, sockets); a node these do not fit for is reported
	 * when it is started */
	for (int i = 0; i < want->n_nodes; i++)
		prepare_node(lab, &want->nodes[i], err, sizeof(err));
	rc = plan_diff_running(run.t, want, run.ports, &plan);
	if (rc < 0) {
		labctl_say("cannot plan lab \"%s\": %s", lab, strerror(-rc));
		goto out_free;
	}
	/* the lab's policies: what the switch holds against the file */
	n_pol = labctl_policies_plan(opts, lab, want, &pol);
	if (n_pol < 0)
		goto out_free;
	reserve_neighbours(want);
	if (plan.n == 0) {
		/* flight recorders are switch settings, not in the plan */
		if (set_recorders(opts, lab, want, NULL) > 0)
			goto out_free;
		if (n_pol > 0) {
			polsw_plan_print(pol, n_pol, stderr);
			if (labctl_policies_run(opts, lab, want, pol, n_pol) > 0)
				goto out_free;
		} else {
			labctl_say("lab \"%s\" already matches %s: nothing to do", lab, file);
		}
		/* the policies are the file's now */
		if (n_pol > 0 && labctl_read_text(file, &text, &len) == 0) {
			labctl_topo_file(lab, "topology.yaml", path, sizeof(path));
			labctl_write_text(path, text, len);
		}
		print_summary(opts, lab, want, labctl_now() - t0, NULL, 0);
		ret = VLAB_EXIT_OK;
		goto out_free;
	}
	plan_print(&plan, stderr, LABCTL_PLAN_LINES);
	polsw_plan_print(pol, n_pol, stderr);

	/* the target is recorded first, so `vlab down` knows it after a crash */
	if (labctl_read_text(file, &text, &len) < 0)
		goto out_free;
	lab_dir(lab, path, sizeof(path));
	lab_mkdirs(path);
	labctl_topo_file(lab, "topology.next.yaml", path, sizeof(path));
	labctl_write_text(path, text, len);

	start = calloc((size_t)want->n_nodes + 1, sizeof(*start));
	errs = calloc((size_t)want->n_nodes + 1, sizeof(*errs));
	bad_names = calloc((size_t)want->n_nodes + 1, sizeof(*bad_names));
	net_failed = calloc((size_t)want->n_nets + 1, sizeof(*net_failed));
	if (!start || !errs || !bad_names || !net_failed) {
		labctl_say("out of memory");
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
				labctl_say("removing node %s (%s)", a->name, a->why);
			rc = labctl_destroy_node(opts, lab, a->name);
			failed += rc < 0;
			if (n_destroy > LABCTL_PLAN_LINES)
				progress_step(&gone, rc == 0);
			break;
		case PLAN_NET_DEL:
			labctl_sw_net_name(lab, run.t->nets[a->index].name, net, sizeof(net));
			labctl_sw_req(opts, "network.del", swreq_name(net), NULL, true, NULL);
			break;
		case PLAN_NET_ADD:
			rc = add_network(opts, lab, &want->nets[a->index], nets);
			net_failed[a->index] = rc < 0;
			failed += rc < 0;
			break;
		case PLAN_NODE_PLUG: {
			const struct node *n = &run.t->nodes[a->index];

			/* in another network, or gone */
			labctl_sw_req(opts, "port.del", swreq_name(n->nics[a->nic].port), NULL,
				      true, NULL);
			rc = plug(opts, lab, n, a->nic, err, sizeof(err));
			if (rc < 0)
				labctl_say("%s", err);
			failed += rc < 0;
			break;
		}
		case PLAN_NODE_START: {
			const char *bad = failed_network(want, net_failed, &want->nodes[a->index]);

			if (bad) {
				labctl_say(
				    "node \"%s\" is not started: its network %s could not be "
				    "created",
				    a->name, bad);
				snprintf(bad_names[n_bad++], NODE_NAME_MAX, "%s", a->name);
				n_skip++;
				failed++;
				break;
			}
			start[n_start] = want->nodes[a->index];
			if (prepare_node(lab, &start[n_start], err, sizeof(err)) < 0) {
				labctl_say("%s", err);
				failed++;
				break;
			}
			n_start++;
			break;
		}
		}
	}
	progress_destroy(&gone);
	failed += set_recorders(opts, lab, want, net_failed);
	/* before the new nodes start: their first frame meets the policies */
	failed += labctl_policies_run(opts, lab, want, pol, n_pol);
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
				labctl_say("%s", err);
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

		labctl_say("starting %d node%s (%s; %d at a time)", n_start, n_start > 1 ? "s" : "",
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
				labctl_say("%s", errs[i]);
		}
		if (n_bad - n_skip > LABCTL_ERRORS_SHOWN)
			labctl_say("... and %d more nodes failed",
				   n_bad - n_skip - LABCTL_ERRORS_SHOWN);
		failed += n_bad - n_skip;
	}

	labctl_topo_file(lab, "topology.yaml", path, sizeof(path));
	labctl_write_text(path, text, len);
	labctl_topo_file(lab, "topology.next.yaml", path, sizeof(path));
	unlink(path);
	print_summary(opts, lab, want, labctl_now() - t0, bad_names, n_bad);
	if (failed) {
		labctl_say(
		    "%d problem%s while bringing lab \"%s\" up; inspect with `vlab status %s`, "
		    "remove with `vlab down %s`",
		    failed, failed > 1 ? "s" : "", lab, lab, lab);
		goto out_free;
	}
	ret = VLAB_EXIT_OK;
out_free:
	free(pol);
	free(text);
	free(net_failed);
	free(bad_names);
	free(errs);
	free(start);
	plan_free(&plan);
	json_decref(nets);
	running_free(&run);
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
