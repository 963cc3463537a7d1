/* `vlab vm ...`: single lab nodes; see vm_cmd.h. The commands (start, stop,
 * destroy, status, exec, console, link) and their group in vlab's command
 * tree, which holds their usage and help; the argv parsers are in
 * vm_parse.c.
 *
 * Threads: main thread of the vlab CLI (vmhost may use worker threads). */
#include "vm_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "args.h"
#include "cmdtree.h"
#include "kind.h"
#include "lab.h"
#include "swclient.h"
#include "table.h"
#include "vm.h"
#include "swreq.h"

/* ---- the commands ---- */

/* Where `vlab vm CMD` is in the tree, for its usage and help. */
static void pos_of(const char *cmd, struct cmd_pos *pos)
{
	if (cmd_find(&vmcmd_group, "vlab vm", cmd, pos) < 0)
		*pos = (struct cmd_pos){.node = &vmcmd_group, .path = "vlab vm"};
}

/* `vlab vm CMD --help`: the command's help from its node; VLAB_EXIT_OK. */
static int help(const char *cmd)
{
	struct cmd_pos pos;

	pos_of(cmd, &pos);
	cmd_help(&pos, stdout);
	return VLAB_EXIT_OK;
}

/* Prints "vlab: <msg>" and the command's usage; VLAB_EXIT_USAGE. */
static int usage_error(const char *cmd, const char *msg)
{
	struct cmd_pos pos;

	pos_of(cmd, &pos);
	fprintf(stderr, "vlab: %s\n", msg);
	cmd_usage(&pos, stderr);
	return VLAB_EXIT_USAGE;
}

static void on_progress(const char *msg, void *arg)
{
	fprintf(stderr, "vlab: %s\n", msg);
}

/* Calls the switch; prints the error. 0, or -errno (-EREMOTEIO: switch said no). */
static int sw_call(const struct vlab_opts *opts, const char *method, json_t *params,
		   bool quiet_enoent)
{
	const char *path = swc_socket_path(opts->socket);
	struct swc_error e = {0};
	int rc = swc_request(path, method, params, NULL, &e);

	if (rc == -EREMOTEIO && !(quiet_enoent && e.code == -ENOENT))
		fprintf(stderr, "vlab: switch: %s\n", e.message);
	else if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -EACCES)
		fprintf(stderr,
			"vlab: cannot reach vlab-switchd at %s (%s): start it, or point --socket "
			"/ VLAB_SWITCH_SOCKET at it\n",
			path, strerror(-rc));
	else if (rc < 0 && rc != -EREMOTEIO)
		fprintf(stderr, "vlab: switch request %s failed: %s\n", method, strerror(-rc));
	return rc;
}

/* Unplugs every NIC of a recorded node from the switch (missing ports are fine). */
static void unplug(const struct vlab_opts *opts, const struct node *n)
{
	for (int i = 0; i < n->n_nics; i++)
		if (n->nics[i].port[0])
			sw_call(opts, "port.del", swreq_name(n->nics[i].port), true);
}

static int cmd_start(const struct vlab_opts *opts, int argc, char **argv)
{
	struct vmcmd_start s;
	struct vm_opts vo = {.progress = on_progress};
	const struct kind_ops *k;
	struct timespec t0, t1;
	char err[1024];
	bool ready;
	int rc;

	rc = vmcmd_parse_start(argc, argv, &s, err, sizeof(err));
	if (rc == 1)
		return help("start");
	if (rc < 0)
		return usage_error("start", err);
	k = kind_of(s.node.kind);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the switch must be there before a guest boots: check it first */
	if (sw_call(opts, "version", NULL, false) < 0)
		return VLAB_EXIT_FAIL;
	/* a kind that plugs in first has its ports added before it starts (QEMU
	 * waits for the switch to connect to each vhost-user socket); the
	 * others after (a host's af-packet ports need its veths) */
	struct vm_status st;
	if (vm_status(s.lab, s.node.name, &st) == 0 && strcmp(st.state, "stopped") &&
	    strcmp(st.state, "absent")) {
		fprintf(stderr, "vlab: node \"%s\" of lab \"%s\" already exists (%s); destroy it "
			"first\n", s.node.name, s.lab, st.state);
		return VLAB_EXIT_FAIL;
	}
	rc = vm_node_defaults(s.lab, &s.node);
	if (rc < 0) {
		snprintf(err, sizeof(err), "node \"%s\": names or paths too long", s.node.name);
		goto out_fail;
	}
	if (k->plug_first) {
		/* recorded before its ports exist, so destroy can always unplug them */
		struct lab_record rec = {.created = time(NULL)};

		rc = lab_record_save(s.lab, &s.node, &rec);
		if (rc < 0) {
			snprintf(err, sizeof(err), "node \"%s\": cannot write its record under %s: "
				 "%s", s.node.name, lab_run_dir(), strerror(-rc));
			goto out_fail;
		}
	} else {
		rc = vm_start(s.lab, &s.node, &vo, err, sizeof(err));
		if (rc < 0)
			goto out_fail;
	}
	for (int i = 0; i < s.node.n_nics; i++) {
		const struct node_nic *c = &s.node.nics[i];
		struct kind_port kp;

		rc = k->port(s.lab, &s.node, i, &kp);
		if (rc < 0 || sw_call(opts, "port.add", swreq_port_add(c->port, c->network, &kp),
				      false) < 0) {
			snprintf(err, sizeof(err), "node \"%s\": NIC %s could not be plugged into "
				 "network \"%s\"", s.node.name, c->ifname, c->network);
			rc = -EIO;
			goto out_fail;
		}
	}
	if (k->plug_first) {
		rc = vm_start(s.lab, &s.node, &vo, err, sizeof(err));
		if (rc < 0)
			goto out_fail;
	}
	if (s.wait) {
		rc = vm_wait_ready(s.lab, s.node.name, s.timeout_s * 1000, err, sizeof(err));
		if (rc < 0)
			goto out_fail;
	}
	ready = s.wait || !k->wait_ready; /* a kind without a wait is ready once started */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (opts->json || opts->pretty) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:f}", "lab", s.lab, "node", s.node.name,
				      "state", ready ? "ready" : "started", "seconds",
				      (double)(t1.tv_sec - t0.tv_sec) +
					  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else {
		printf("%s/%s: %s in %.1f s\n", s.lab, s.node.name, ready ? "ready" : "started",
		       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	return VLAB_EXIT_OK;

out_fail:
	fprintf(stderr, "vlab: %s\n", err);
	fprintf(stderr, "vlab: node \"%s\" is left as it is for inspection; remove it with "
		"`vlab vm destroy %s --lab %s`\n", s.node.name, s.node.name, s.lab);
	return VLAB_EXIT_FAIL;
}

static int cmd_stop(const struct vlab_opts *opts, int argc, char **argv)
{
	struct vmcmd_args a;
	char err[512];
	int rc = vmcmd_parse_args(argc, argv, &a, err, sizeof(err));

	if (rc == 1)
		return help("stop");
	if (rc < 0 || a.npos != 1)
		return usage_error("stop", rc < 0 ? err : "give one node NAME");
	rc = vm_stop(a.lab, a.name, (a.timeout_s < 0 ? 10 : a.timeout_s) * 1000, err,
		     sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vlab: %s\n", err);
		return VLAB_EXIT_FAIL;
	}
	return VLAB_EXIT_OK;
}

static int destroy_one(const struct vlab_opts *opts, const char *lab, const char *name)
{
	struct lab_record rec;
	struct node n;
	char err[512];

	if (lab_record_load(lab, name, &n, &rec) == 0)
		unplug(opts, &n);
	if (vm_destroy(lab, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "vlab: %s\n", err);
		return -1;
	}
	return 0;
}

static int cmd_destroy(const struct vlab_opts *opts, int argc, char **argv)
{
	char(*names)[NODE_NAME_MAX] = NULL, err[512];
	struct vmcmd_args a;
	int rc = vmcmd_parse_args(argc, argv, &a, err, sizeof(err)), n, failed = 0;

	if (rc == 1)
		return help("destroy");
	if (rc < 0 || (a.all ? a.npos != 0 : a.npos != 1))
		return usage_error("destroy", rc < 0 ? err : "give one node NAME, or --all");
	if (!a.all) {
		if (lab_node_dir(a.lab, a.name, err, sizeof(err)) == 0 && access(err, F_OK) < 0) {
			fprintf(stderr, "vlab: node \"%s\" of lab \"%s\" does not exist\n", a.name,
				a.lab);
			return VLAB_EXIT_FAIL;
		}
		return destroy_one(opts, a.lab, a.name) < 0 ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
	}
	n = lab_list_nodes_all(a.lab, &names);
	if (n < 0) {
		fprintf(stderr, "vlab: cannot list the nodes of lab \"%s\": %s\n", a.lab,
			strerror(-n));
		return VLAB_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++)
		failed += destroy_one(opts, a.lab, names[i]) < 0;
	free(names);
	return failed ? VLAB_EXIT_FAIL : VLAB_EXIT_OK;
}

static json_t *status_json(const char *lab, const char *name)
{
	struct vm_status st;
	struct lab_record rec;
	struct node n;
	json_t *nics = json_array();

	vm_status(lab, name, &st);
	if (lab_record_load(lab, name, &n, &rec) == 0)
		for (int i = 0; i < n.n_nics; i++) {
			json_t *addrs = json_array();
			char mac[18];

			for (int k = 0; k < n.nics[i].n_addrs; k++)
				json_array_append_new(addrs, json_string(n.nics[i].addrs[k]));
			mac_format(n.nics[i].mac, mac);
			json_array_append_new(nics, json_pack("{s:s,s:s,s:s,s:s,s:o}", "ifname",
							      n.nics[i].ifname, "mac", mac,
							      "network", n.nics[i].network, "port",
							      n.nics[i].port, "addrs", addrs));
		}
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:b,s:I,s:o}", "lab", lab, "name", name, "kind",
			 kind_name(st.kind), "state", st.state, "pid", (int)st.pid, "agent",
			 st.agent, "created", (json_int_t)st.created, "nics", nics);
}

static int cmd_status(const struct vlab_opts *opts, int argc, char **argv)
{
	static const struct table_col cols[] = {{"NODE", false},  {"KIND", false},
						{"STATE", false}, {"AGENT", false},
						{"PID", true},    {"INTERFACES", false}};
	char(*names)[NODE_NAME_MAX] = NULL, err[512];
	struct vmcmd_args a;
	json_t *arr = json_array();
	int rc = vmcmd_parse_args(argc, argv, &a, err, sizeof(err)), n;

	if (rc == 1)
		return help("status");
	if (rc < 0 || a.npos > 1)
		return json_decref(arr),
		       usage_error("status", rc < 0 ? err : "give at most one NAME");
	if (a.name) {
		if (lab_node_dir(a.lab, a.name, err, sizeof(err)) == 0 && access(err, F_OK) < 0) {
			fprintf(stderr, "vlab: node \"%s\" of lab \"%s\" does not exist\n", a.name,
				a.lab);
			json_decref(arr);
			return VLAB_EXIT_FAIL;
		}
		json_array_append_new(arr, status_json(a.lab, a.name));
	} else {
		n = lab_list_nodes_all(a.lab, &names);
		for (int i = 0; i < n; i++)
			json_array_append_new(arr, status_json(a.lab, names[i]));
		free(names);
	}
	if (opts->json || opts->pretty) {
		json_dumpf(arr, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
	} else {
		struct table *t = table_new(cols, 6);
		size_t i;
		json_t *o;

		json_array_foreach(arr, i, o)
		{
			char pid[16], ifs[512] = "";
			size_t k, len = 0;
			json_t *nic;

			snprintf(pid, sizeof(pid), "%d",
				 (int)json_integer_value(json_object_get(o, "pid")));
			json_array_foreach(json_object_get(o, "nics"), k, nic)
			{
				json_t *ad = json_object_get(nic, "addrs");

				len += (size_t)snprintf(
					ifs + len, sizeof(ifs) - len, "%s%s:%s%s%s", k ? " " : "",
					json_string_value(json_object_get(nic, "ifname")),
					json_string_value(json_object_get(nic, "network")),
					json_array_size(ad) ? "=" : "",
					json_array_size(ad) ? json_string_value(json_array_get(ad, 0))
							    : "");
				if (len >= sizeof(ifs))
					break;
			}
			const char *kn = json_string_value(json_object_get(o, "kind"));
			const struct kind_ops *kind = kind_find(kn, NULL);
			const char *cells[] = {
			    json_string_value(json_object_get(o, "name")),
			    kn,
			    json_string_value(json_object_get(o, "state")),
			    !kind || !kind->agent			? "-"
			    : json_is_true(json_object_get(o, "agent")) ? "ready"
									: "no",
			    json_integer_value(json_object_get(o, "pid")) ? pid : "-",
			    ifs,
			};
			table_add_row(t, cells);
		}
		if (json_array_size(arr) == 0)
			printf("no nodes in lab \"%s\"\n", a.lab);
		else
			table_print(t, stdout);
		table_free(t);
	}
	json_decref(arr);
	return VLAB_EXIT_OK;
}

static int cmd_exec(const struct vlab_opts *opts, int argc, char **argv)
{
	struct vm_exec_result r;
	struct vmcmd_args a;
	char err[512];
	int rc = vmcmd_parse_args(argc, argv, &a, err, sizeof(err));

	if (rc == 1)
		return help("exec");
	if (rc < 0 || a.npos != 1 || a.dashdash < 0 || a.dashdash >= argc)
		return usage_error("exec", rc < 0 ? err : "give NAME, then -- and the command");
	rc = vm_exec(a.lab, a.name, (const char *const *)&argv[a.dashdash],
		     (a.timeout_s < 0 ? 60 : a.timeout_s) * 1000, &r, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "vlab: %s\n", err);
		return VLAB_EXIT_FAIL;
	}
	rc = vmcmd_print_exec(opts, &r);
	vm_exec_result_free(&r);
	return rc;
}

int vmcmd_print_exec(const struct vlab_opts *opts, const struct vm_exec_result *r)
{
	if (opts->json || opts->pretty) {
		json_t *o = json_pack("{s:i,s:s%,s:s%,s:b}", "exit_code", r->exit_code, "stdout",
				      r->out ? r->out : "", r->out ? r->out_len : 0, "stderr",
				      r->err ? r->err : "", r->err ? r->err_len : 0, "timed_out",
				      r->timed_out);

		json_dumpf(o, stdout, opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		return 0;
	}
	if (r->out_len)
		fwrite(r->out, 1, r->out_len, stdout);
	if (r->err_len)
		fwrite(r->err, 1, r->err_len, stderr);
	if (r->timed_out)
		fprintf(stderr, "vlab: command timed out\n");
	return r->exit_code;
}

static int cmd_console(const struct vlab_opts *opts, int argc, char **argv)
{
	struct vmcmd_args a;
	char err[512];
	int rc = vmcmd_parse_args(argc, argv, &a, err, sizeof(err));

	if (rc == 1)
		return help("console");
	if (rc < 0 || a.npos != 1)
		return usage_error("console", rc < 0 ? err : "give one node NAME");
	if (vm_console(a.lab, a.name, err, sizeof(err)) < 0) {
		fprintf(stderr, "vlab: %s\n", err);
		return VLAB_EXIT_FAIL;
	}
	return VLAB_EXIT_OK;
}

static int cmd_link(const struct vlab_opts *opts, int argc, char **argv)
{
	struct vmcmd_args a;
	char err[512];
	int rc = vmcmd_parse_args(argc, argv, &a, err, sizeof(err));

	if (rc == 1)
		return help("link");
	if (rc < 0 || a.npos != 3 || (strcmp(a.pos[2], "up") && strcmp(a.pos[2], "down")))
		return usage_error("link", rc < 0 ? err : "give NAME, IFNAME and up or down");
	if (vm_link(a.lab, a.name, a.pos[1], strcmp(a.pos[2], "up") == 0, err, sizeof(err)) <
	    0) {
		fprintf(stderr, "vlab: %s\n", err);
		return VLAB_EXIT_FAIL;
	}
	return VLAB_EXIT_OK;
}

/* ---- the group in vlab's tree ---- */

static const struct cmd_node vm_cmds[] = {
    {.name = "start",
     .args = "NAME [OPTIONS]",
     .summary = "start a node and plug its NICs into the switch",
     .usage = "vlab vm start NAME [--lab LAB] [--kind vm|host] [--cpus N] [--memory SIZE]\n"
	      "                     [--nic network=NET[,ip=CIDR]...[,mac=MAC][,mtu=N][,queues=N]"
	      "[,ifname=IF]]...\n"
	      "                     [--route DST,VIA]... [--forward] [--disk IMAGE]\n"
	      "                     [--kernel FILE [--initrd FILE]] [--append ARGS]\n"
	      "                     [--no-wait] [--timeout SECONDS]",
     .details = "  --kind      vm (QEMU guest, default) or host (network namespace)\n"
		"  --cpus      vCPUs (default 1); --memory guest RAM, e.g. 128M or 1G (default "
		"128M)\n"
		"  --nic       one per interface, in order eth0, eth1, ...; MAC and port name are\n"
		"              derived from lab/node/index unless given\n"
		"  --route     DST is a CIDR or \"default\"; VIA the next hop\n"
		"  --forward   enable IP forwarding (a router node)\n"
		"  --disk      boot the guest's own qcow2/raw image (see docs/guest-images.md)\n"
		"  --no-wait   return once QEMU runs instead of when the guest agent answers\n"
		"  --timeout   seconds to wait for the guest agent (default 120)\n",
     .run = cmd_start},
    {.name = "stop",
     .args = "NAME [--timeout S]",
     .summary = "power a guest off (ACPI), killing it after S seconds",
     .usage = "vlab vm stop NAME [--lab LAB] [--timeout SECONDS]",
     .details = "  --timeout   seconds before the guest is killed (default 10)\n",
     .run = cmd_stop},
    {.name = "destroy",
     .args = "NAME|--all",
     .summary = "remove the node(s) and everything made for them",
     .usage = "vlab vm destroy NAME|--all [--lab LAB]",
     .run = cmd_destroy},
    {.name = "status",
     .args = "[NAME]",
     .summary = "state, agent, addresses (-j for JSON)",
     .usage = "vlab vm status [NAME] [--lab LAB]",
     .run = cmd_status},
    {.name = "exec",
     .args = "NAME -- CMD [ARGS]",
     .summary = "run a command in the node; exit status is CMD's",
     .usage = "vlab vm exec NAME [--lab LAB] [--timeout S] -- CMD [ARGS]",
     .details = "  --timeout   seconds the command may run (default 60)\n",
     .run = cmd_exec},
    {.name = "console",
     .args = "NAME",
     .summary = "attach to the guest's serial console (Ctrl-] detaches)",
     .usage = "vlab vm console NAME [--lab LAB]",
     .run = cmd_console},
    {.name = "link",
     .args = "NAME IFNAME up|down",
     .summary = "set a NIC's link",
     .usage = "vlab vm link NAME IFNAME up|down [--lab LAB]",
     .run = cmd_link},
    {0},
};

const struct cmd_node vmcmd_group = {
    .name = "vm",
    .summary = "Single lab nodes: QEMU guests (kind vm) and network-namespace hosts (kind host).",
    .children = vm_cmds,
    .details = "Every command takes --lab LAB (default: $VLAB_LAB, else \"default\").\n",
};
