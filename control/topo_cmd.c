/* `vlab validate FILE`: see topo_cmd.h. Main thread of the vlab CLI. */
#include "topo_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"
#include "polsw.h"
#include "utf8.h"
#include "table.h"

static const char validate_usage[] =
    "usage: vlab validate FILE [-j]\n"
    "\n"
    "Checks a topology file (docs/topology.md) and shows what it will make:\n"
    "networks with VNIs and subnets, nodes with interfaces and addresses\n"
    "(automatic values included), policies. Every problem is printed as\n"
    "FILE:LINE:COL: MESSAGE, every warning (a rule that can never match) as\n"
    "FILE:LINE:COL: warning: MESSAGE. -j prints one JSON object instead.\n"
    "\n"
    "Exit status: 0 valid, 1 problems found or unreadable file, 2 bad usage.\n";

static json_t *nic_json(const struct node_nic *nic)
{
	static const uint8_t zero[6];
	json_t *addrs = json_array();
	json_t *mac = json_null();
	char buf[18];

	for (int a = 0; a < nic->n_addrs; a++)
		json_array_append_new(addrs, json_string(nic->addrs[a]));
	if (memcmp(nic->mac, zero, 6)) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", nic->mac[0],
			 nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4], nic->mac[5]);
		mac = json_string(buf);
	}
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:i}", "name", nic->ifname, "network",
			 nic->network, "addrs", addrs, "mac", mac, "mtu",
			 nic->mtu ? json_integer(nic->mtu) : json_null(), "queues",
			 nic->queues ? (int)nic->queues : 1);
}

static json_t *node_json(const struct node *n)
{
	json_t *nics = json_array(), *routes = json_array();

	for (int k = 0; k < n->n_nics; k++)
		json_array_append_new(nics, nic_json(&n->nics[k]));
	for (int r = 0; r < n->n_routes; r++)
		json_array_append_new(routes, json_pack("{s:s,s:s}", "to", n->routes[r].dst, "via",
							n->routes[r].via));
	return json_pack("{s:s,s:s,s:i,s:i,s:b,s:o,s:o}", "name", n->name, "kind",
			 kind_name(n->kind), "cpus", (int)n->cpus, "memory_mib", (int)n->mem_mib,
			 "forward", n->ip_forward, "interfaces", nics, "routes", routes);
}

json_t *topo_cmd_json(const char *file, const struct topo *t, const struct topo_errors *errs)
{
	json_t *errors = json_array(), *nets = json_array(), *nodes = json_array();
	json_t *expect = json_array(), *warnings = json_array(), *policies = json_array();
	char f[512];

	if (!errors || !nets || !nodes || !expect || !warnings || !policies)
		goto out_free;
	for (int i = 0; i < errs->n_warn; i++)
		json_array_append_new(warnings,
				      json_pack("{s:i,s:i,s:s}", "line", errs->w[i].line, "col",
						errs->w[i].col, "message", errs->w[i].msg));
	for (int i = 0; i < t->n_policies; i++)
		json_array_append_new(policies, polsw_json(&t->policies[i]));
	utf8_escape(f, sizeof(f), file ? file : "-"); /* JSON carries UTF-8 only */
	for (int i = 0; i < errs->n; i++)
		json_array_append_new(errors,
				      json_pack("{s:i,s:i,s:s}", "line", errs->e[i].line, "col",
						errs->e[i].col, "message", errs->e[i].msg));
	for (int i = 0; i < t->n_nets; i++)
		json_array_append_new(nets,
				      json_pack("{s:s,s:I,s:s,s:b,s:b,s:I}", "name", t->nets[i].name,
						"vni", (json_int_t)t->nets[i].vni, "subnet",
						t->nets[i].subnet, "vni_auto", t->nets[i].vni_auto,
						"subnet_auto", t->nets[i].subnet_auto, "record",
						(json_int_t)t->nets[i].record));
	for (int i = 0; i < t->n_nodes; i++)
		json_array_append_new(nodes, node_json(&t->nodes[i]));
	for (int i = 0; i < t->n_expect; i++)
		json_array_append_new(expect,
				      json_pack("{s:s,s:s,s:b}", "from", t->expect[i].from, "to",
						t->expect[i].to, "reach", t->expect[i].reach));
	return json_pack("{s:s,s:b,s:o,s:i,s:o,s:s,s:o,s:o,s:o,s:o}", "file", f, "ok",
			 errs->n == 0 && errs->dropped == 0, "errors", errors, "dropped",
			 errs->dropped, "warnings", warnings, "name", t->name, "networks", nets,
			 "nodes", nodes, "expect", expect, "policies", policies);
out_free:
	json_decref(warnings);
	json_decref(policies);
	json_decref(errors);
	json_decref(nets);
	json_decref(nodes);
	json_decref(expect);
	return NULL;
}

/* Networks, then one row per node interface, then routes and expectations. */
static int print_human(const struct topo *t, FILE *f)
{
	static const struct table_col net_cols[] = {
	    {"NETWORK", false}, {"VNI", true}, {"SUBNET", false}};
	static const struct table_col node_cols[] = {
	    {"NODE", false},	{"KIND", false},      {"FORWARD", false}, {"INTERFACE", false},
	    {"NETWORK", false}, {"ADDRESSES", false}, {"MAC", false},	  {"MTU", true}};
	struct table *nt = table_new(net_cols, 3), *dt = table_new(node_cols, 8);
	int rc = -ENOMEM;

	if (!nt || !dt)
		goto out_free;
	for (int i = 0; i < t->n_nets; i++) {
		char vni[24], subnet[NODE_ADDR_MAX + 8];
		const char *row[3] = {t->nets[i].name, vni, subnet};

		snprintf(vni, sizeof(vni), "%u%s", t->nets[i].vni, t->nets[i].vni_auto ? "*" : "");
		snprintf(subnet, sizeof(subnet), "%s%s", t->nets[i].subnet,
			 t->nets[i].subnet_auto ? "*" : "");
		if (table_add_row(nt, row) < 0)
			goto out_free;
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		for (int k = 0; k < n->n_nics; k++) {
			const struct node_nic *nic = &n->nics[k];
			static const uint8_t zero[6];
			char addrs[NODE_MAX_ADDRS * NODE_ADDR_MAX] = "", mac[24] = "auto", mtu[16];
			size_t off = 0;
			const char *row[8] = {k ? "" : n->name,
					      k ? "" : kind_name(n->kind),
					      k ? "" : (n->ip_forward ? "yes" : "no"),
					      nic->ifname,
					      nic->network,
					      addrs,
					      mac,
					      mtu};

			for (int a = 0; a < nic->n_addrs; a++)
				off += (size_t)snprintf(addrs + off, sizeof(addrs) - off, "%s%s",
							a ? "," : "", nic->addrs[a]);
			if (nic->n_addrs == 0)
				snprintf(addrs, sizeof(addrs), "-");
			if (memcmp(nic->mac, zero, 6))
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
					 nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3],
					 nic->mac[4], nic->mac[5]);
			snprintf(mtu, sizeof(mtu), "%u", nic->mtu ? nic->mtu : 1500);
			if (table_add_row(dt, row) < 0)
				goto out_free;
		}
	}
	fputc('\n', f);
	if (table_print(nt, f) < 0)
		goto out_free;
	fputc('\n', f);
	if (table_print(dt, f) < 0)
		goto out_free;
	for (int i = 0, first = 1; i < t->n_nodes; i++)
		for (int r = 0; r < t->nodes[i].n_routes; r++, first = 0)
			fprintf(f, "%sroute  %s: %s via %s\n", first ? "\n" : "", t->nodes[i].name,
				t->nodes[i].routes[r].dst, t->nodes[i].routes[r].via);
	for (int i = 0; i < t->n_expect; i++)
		fprintf(f, "%sexpect %s %s %s\n", i == 0 ? "\n" : "", t->expect[i].from,
			t->expect[i].reach ? "reaches" : "does not reach", t->expect[i].to);
	for (int i = 0; i < t->n_policies; i++) {
		const struct topo_policy *p = &t->policies[i];

		fprintf(f, "%spolicy %s: %zu rule%s, default %s; applies to", i == 0 ? "\n" : "",
			p->name, json_array_size(p->rules),
			json_array_size(p->rules) == 1 ? "" : "s", p->def);
		for (int a = 0; a < p->n_apply; a++)
			if (p->apply[a].network)
				fprintf(f, "%s network %s %s", a ? "," : "", p->apply[a].net,
					p->apply[a].out ? "out" : "in");
			else
				fprintf(f, "%s port %s:%s %s", a ? "," : "", p->apply[a].node,
					p->apply[a].ifname, p->apply[a].out ? "out" : "in");
		fputs(p->n_apply ? "\n" : " nothing\n", f);
	}
	fputs("\n* assigned automatically\n", f);
	rc = 0;
out_free:
	table_free(nt);
	table_free(dt);
	return rc;
}

int topo_validate_cmd(const struct vlab_opts *opts, int argc, char **argv)
{
	const char *file = NULL;
	char shown[512];
	struct topo *t = NULL;
	struct topo_errors *errs = NULL;
	bool json = opts && (opts->json || opts->pretty);
	int rc, ret = VLAB_EXIT_FAIL;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(validate_usage, stdout);
			return VLAB_EXIT_OK;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "vlab: validate: unknown option '%s'\n%s", argv[i],
				validate_usage);
			return VLAB_EXIT_USAGE;
		}
		if (file) {
			fprintf(stderr, "vlab: validate: give one FILE\n%s", validate_usage);
			return VLAB_EXIT_USAGE;
		}
		file = argv[i];
	}
	if (!file) {
		fprintf(stderr, "vlab: validate: missing FILE\n%s", validate_usage);
		return VLAB_EXIT_USAGE;
	}
	t = calloc(1, sizeof(*t));
	errs = calloc(1, sizeof(*errs));
	if (!t || !errs) {
		fprintf(stderr, "vlab: validate: out of memory\n");
		goto out_free;
	}
	rc = topo_load(file, t, errs);
	utf8_escape(shown, sizeof(shown), file);
	if (!json)
		topo_print_warnings(errs, file, stderr);
	if (json) {
		json_t *o = topo_cmd_json(file, t, errs);

		if (!o) {
			fprintf(stderr, "vlab: validate: out of memory\n");
			goto out_free;
		}
		json_dumpf(o, stdout, opts && opts->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else if (rc == 0) {
		printf("%s: ok (%d network%s, %d node%s)\n", shown, t->n_nets,
		       t->n_nets == 1 ? "" : "s", t->n_nodes, t->n_nodes == 1 ? "" : "s");
		if (print_human(t, stdout) < 0)
			fprintf(stderr, "vlab: validate: out of memory\n");
	} else {
		for (int i = 0; i < errs->n; i++) {
			char line[TOPO_MSG_MAX + 300];

			topo_error_format(errs, i, file, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
		}
		if (errs->dropped)
			fprintf(stderr, "%s: %d more problem%s not shown\n", shown, errs->dropped,
				errs->dropped == 1 ? "" : "s");
	}
	ret = rc == 0 ? VLAB_EXIT_OK : VLAB_EXIT_FAIL;
out_free:
	free(errs);
	topo_free(t);
	return ret;
}
