/* Contract test of the requests vlab sends: every request the CLI's
 * `vlab switch` commands and the lab controller (control/swreq.c) can build
 * passes the validation of vlab-switchd (api_validate() over the schema the
 * switch uses), so neither can drift from what the switch accepts.
 *
 * CLI: every command of the tree, with every parameter of its method given
 * a value the schema allows (each enum value, both ends of each range; each
 * port type with what it takes). Controller: the network.add, port.add,
 * port.del and network.del requests of every node of every example topology
 * (every topologies/NAME.yaml), named as `vlab up` names them. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "kind.h"
#include "labctl_priv.h"
#include "polsw.h"
#include "schema.h"
#include "swreq.h"
#include "switch_cmd.h"
#include "topo.h"
#include "vm.h"

static int checked;

static void must_validate(const char *method, json_t *params, const char *what)
{
	const struct api_method *m = api_method_find(method);
	json_t *p = params ? params : json_object();
	char msg[256] = "";

	if (!m)
		fail_msg("%s: method %s is not in the schema", what, method);
	if (api_validate(m, p, msg, sizeof(msg)) != 0) {
		char *s = json_dumps(p, JSON_COMPACT);

		fail_msg("%s: %s %s refused by the switch's validation: %s", what, method, s, msg);
	}
	checked++;
	json_decref(p);
}

/* A value of parameter p that the schema allows; `alt` picks another one
 * (the other end of a range, the next enum value). */
static const char *value_of(const struct api_param *p, int alt, char *buf, size_t len)
{
	int n = 0;

	switch (p->type) {
	case API_T_NAME:
		return alt ? "lab.red-1_x" : "n1";
	case API_T_IFNAME:
		return alt ? "veth0.100" : "eth0";
	case API_T_STRING:
		return alt ? "rx_pcap=/tmp/in.pcap" : "x";
	case API_T_MAC:
		return alt ? "02:00:5E:10:00:01" : "52:54:00:12:34:56";
	case API_T_UINT:
		snprintf(buf, len, "%llu", (unsigned long long)(alt ? p->max : p->min));
		return buf;
	case API_T_NAMES: /* not on the switch command tree */
		return "n1";
	case API_T_OBJECTS: /* JSON text; the method checks the objects' keys */
		return alt ? "{\"action\": \"allow\"}" : "[]";
	case API_T_ENUM:
		while (p->values[n])
			n++;
		return p->values[alt % n];
	}
	return "?";
}

/* Builds command n with argv from the schema and validates the request.
 * `type` (port.add): the port type, whose parameters alone are given. */
static void cli_case(const struct cmd_node *n, const char *path, bool all, int alt,
		     const struct api_port_type *type)
{
	const struct api_method *m = api_method_find(n->method);
	char *argv[32], bufs[16][32], what[160];
	int argc = 0, pos = 0;
	const char *method;
	json_t *params = NULL;
	char err[256];

	assert_non_null(m);
	/* positional parameters in order, then options */
	for (bool more = true; more;) {
		more = false;
		for (const struct api_param *p = m->params; p->key; p++)
			if (p->pos == pos) {
				argv[argc] = (char *)value_of(p, alt, bufs[argc], sizeof(bufs[0]));
				argc++;
				pos++;
				more = true;
			}
	}
	for (const struct api_param *p = m->params; p->key; p++) {
		unsigned int bit = 0;
		bool give;

		if (p->pos >= 0 || !p->cli)
			continue;
		for (unsigned int b = API_PP_PATH; b <= API_PP_DEVARGS; b <<= 1)
			if (!strcmp(p->key, api_port_param_key(b)))
				bit = b;
		if (type && bit)
			give = (type->needs & bit) || (all && (type->takes & bit));
		else
			give = p->required || all;
		if (!give)
			continue;
		snprintf(bufs[argc], sizeof(bufs[0]), "--%s", p->cli);
		argv[argc] = bufs[argc];
		argc++;
		argv[argc] = (char *)(type && !strcmp(p->key, "type")
					  ? type->name
					  : value_of(p, alt, bufs[argc], sizeof(bufs[0])));
		argc++;
	}
	snprintf(what, sizeof(what), "vlab %s%s%s (%s)", path, type ? " --type " : "",
		 type ? type->name : "", all ? "every option" : "required only");
	if (cmd_build(n, argc, argv, &method, &params, err, sizeof(err)) != 0)
		fail_msg("%s: the CLI refused its own request: %s", what, err);
	assert_string_equal(method, n->method);
	must_validate(method, params, what);
}

static void walk(const struct cmd_node *n, const char *path)
{
	char sub[128];

	if (n->children) {
		for (const struct cmd_node *c = n->children; c->name; c++) {
			snprintf(sub, sizeof(sub), "%s %s", path, c->name);
			walk(c, sub);
		}
		return;
	}
	if (!n->method)
		return;
	for (int alt = 0; alt < 4; alt++) {
		if (!strcmp(n->method, "port.add")) {
			for (const struct api_port_type *t = api_port_types; t->name; t++) {
				cli_case(n, path, false, alt, t);
				cli_case(n, path, true, alt, t);
			}
		} else {
			cli_case(n, path, false, alt, NULL);
			cli_case(n, path, true, alt, NULL);
		}
	}
}

static void test_cli(void **state)
{
	const char *method;
	json_t *params = NULL;
	char err[256];
	char *clear[] = {"--clear"};
	const struct cmd_node *stats = NULL;

	checked = 0;
	walk(swcmd_root(), "switch");
	assert_true(checked > 100);
	/* the commands that build their request themselves */
	for (const struct cmd_node *c = swcmd_root()->children; c->name; c++)
		if (!strcmp(c->name, "stats"))
			stats = c;
	assert_non_null(stats);
	assert_int_equal(cmd_build(stats, 0, NULL, &method, &params, err, sizeof(err)), 0);
	must_validate(method, params, "vlab switch stats");
	params = NULL;
	assert_int_equal(cmd_build(stats, 1, clear, &method, &params, err, sizeof(err)), 0);
	must_validate(method, params, "vlab switch stats --clear");
}

static void controller_lab(const char *file)
{
	struct topo *t = topo_new();
	struct topo_errors *errs = calloc(1, sizeof(*errs));
	char what[512], net[64];

	assert_non_null(t);
	assert_non_null(errs);
	if (topo_load(file, t, errs) != 0)
		fail_msg("%s does not parse", file);
	for (int i = 0; i < t->n_nets; i++) {
		assert_int_equal(labctl_sw_net_name(t->name, t->nets[i].name, net, sizeof(net)), 0);
		snprintf(what, sizeof(what), "%s: network %s", file, t->nets[i].name);
		must_validate("network.add", swreq_network_add(net, t->nets[i].vni), what);
		must_validate("network.del", swreq_name(net), what);
		must_validate("network.record", swreq_network_record(net, t->nets[i].record), what);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		struct node *n = &t->nodes[i];

		assert_int_equal(vm_node_defaults(t->name, n), 0);
		for (int k = 0; k < n->n_nics; k++) {
			struct kind_port kp;

			assert_int_equal(kind_of(n->kind)->port(t->name, n, k, &kp), 0);
			labctl_sw_net_name(t->name, n->nics[k].network, net, sizeof(net));
			snprintf(what, sizeof(what), "%s: node %s interface %s", file, n->name,
				 n->nics[k].ifname);
			must_validate("port.add", swreq_port_add(n->nics[k].port, net, &kp), what);
			must_validate("port.del", swreq_name(n->nics[k].port), what);
		}
	}
	for (int i = 0; i < t->n_policies; i++) {
		char name[64];

		snprintf(what, sizeof(what), "%s: policy %s", file, t->policies[i].name);
		assert_int_equal(polsw_name(t->name, t->policies[i].name, name, sizeof(name)), 0);
		must_validate("policy.set", polsw_params(t->name, &t->policies[i]), what);
		must_validate("policy.del", swreq_name(name), what);
	}
	topo_free(t);
	free(errs);
}

static void test_controller(void **state)
{
	const char *root = getenv("VLAB_SOURCE_ROOT");
	char dir[512], file[1024];
	struct dirent *e;
	DIR *d;
	int labs = 0;

	snprintf(dir, sizeof(dir), "%s/topologies", root && root[0] ? root : ".");
	d = opendir(dir);
	assert_non_null(d);
	checked = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 6 || strcmp(e->d_name + l - 5, ".yaml"))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		controller_lab(file);
		labs++;
	}
	closedir(d);
	assert_true(labs >= 3);
	assert_true(checked > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cli),
	    cmocka_unit_test(test_controller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
