/* Unit tests of the reconcile planner (control/plan.c): which networks and
 * nodes `vlab up` / `vlab apply` destroy, delete, add and start, and in
 * which order. Topologies are built in C, not parsed.
 *
 * Threads: cmocka runs every test on the main thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"
#include "topo_build.h"

static struct topo *new_topo(void)
{
	struct topo *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "lab");
	return t;
}

/* red (10.0.1.0/24, vni 10) and blue (10.0.2.0/24, vni 20); h1 on red, h2 on
 * blue, router r1 (vm) on both. */
static struct topo *lab(void)
{
	struct topo *t = new_topo();
	struct node *n;

	add_net(t, "red", 10, "10.0.1.0/24");
	add_net(t, "blue", 20, "10.0.2.0/24");
	n = add_node(t, "h1", NODE_HOST);
	add_nic(n, "eth0", "red", "10.0.1.2/24");
	n = add_node(t, "r1", NODE_VM);
	add_nic(n, "eth0", "red", "10.0.1.1/24");
	add_nic(n, "eth1", "blue", "10.0.2.1/24");
	n->ip_forward = true;
	n = add_node(t, "h2", NODE_HOST);
	add_nic(n, "eth0", "blue", "10.0.2.2/24");
	return t;
}

static struct topo *copy(const struct topo *t)
{
	struct topo *c = new_topo();

	memcpy(c, t, sizeof(*c));
	return c;
}

static void assert_action(const struct plan *p, int i, enum plan_op op, const char *name,
			  const char *why)
{
	assert_true(i < p->n);
	assert_int_equal(p->a[i].op, op);
	assert_string_equal(p->a[i].name, name);
	if (why)
		assert_string_equal(p->a[i].why, why);
}

static void test_nothing_to_lab(void **state)
{
	struct topo *t = lab();
	struct plan p;

	assert_int_equal(plan_diff(NULL, t, &p), 0);
	assert_int_equal(p.n, 5);
	assert_action(&p, 0, PLAN_NET_ADD, "red", "new");
	assert_int_equal(p.a[0].index, 0);
	assert_action(&p, 1, PLAN_NET_ADD, "blue", "new");
	assert_int_equal(p.a[1].index, 1);
	assert_action(&p, 2, PLAN_NODE_START, "h1", "new");
	assert_action(&p, 3, PLAN_NODE_START, "r1", "new");
	assert_action(&p, 4, PLAN_NODE_START, "h2", "new");
	assert_int_equal(p.a[4].index, 2);

	/* more than `max` actions of a kind: one line for them */
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	plan_print(&p, f, 2);
	fclose(f);
	assert_string_equal(buf, "- add network red (new)\n"
				 "- add network blue (new)\n"
				 "- start 3 nodes (3 new): h1, r1, h2\n");
	free(buf);
	plan_free(&p);
	free(t);
}

static void test_same_lab_is_empty(void **state)
{
	struct topo *t = lab(), *u = lab();
	struct plan p;

	assert_int_equal(plan_diff(t, t, &p), 0);
	assert_int_equal(p.n, 0);
	plan_free(&p);
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 0);
	plan_free(&p);
	free(t);
	free(u);
}

static void test_reordered_routes_and_nodes_unchanged(void **state)
{
	struct topo *t = lab(), *u;
	struct node *n = &t->nodes[0];
	struct plan p;

	snprintf(n->routes[0].dst, NODE_ADDR_MAX, "default");
	snprintf(n->routes[0].via, NODE_ADDR_MAX, "10.0.1.1");
	snprintf(n->routes[1].dst, NODE_ADDR_MAX, "192.168.0.0/16");
	snprintf(n->routes[1].via, NODE_ADDR_MAX, "10.0.1.1");
	n->n_routes = 2;
	u = copy(t);
	/* move h2 before h1, and swap h1's routes */
	u->nodes[0] = t->nodes[2];
	u->nodes[2] = t->nodes[0];
	u->nodes[2].routes[0] = t->nodes[0].routes[1];
	u->nodes[2].routes[1] = t->nodes[0].routes[0];
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 0);
	plan_free(&p);
	free(t);
	free(u);
}

static void test_add_and_remove_node(void **state)
{
	struct topo *t = lab(), *u = lab();
	struct node *n;
	struct plan p;

	/* remove h2 (the last one), add h3 on red */
	u->n_nodes = 2;
	n = add_node(u, "h3", NODE_HOST);
	add_nic(n, "eth0", "red", "10.0.1.3/24");

	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 2);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "h2", "removed");
	assert_int_equal(p.a[0].index, 2); /* into old */
	assert_action(&p, 1, PLAN_NODE_START, "h3", "new");
	assert_int_equal(p.a[1].index, 2); /* into new */
	plan_free(&p);
	free(t);
	free(u);
}

static void test_change_memory(void **state)
{
	struct topo *t = lab(), *u = lab();
	struct plan p;
	char *buf;
	size_t len;
	FILE *f;

	u->nodes[1].mem_mib = 256;
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 2);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "r1", "changed: memory 128 -> 256");
	assert_int_equal(p.a[0].index, 1);
	assert_action(&p, 1, PLAN_NODE_START, "r1", "changed: memory 128 -> 256");
	assert_int_equal(p.a[1].index, 1);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	plan_print(&p, f, 0);
	fclose(f);
	assert_string_equal(buf, "- destroy node r1 (changed: memory 128 -> 256)\n"
				 "- start node r1 (changed: memory 128 -> 256)\n");
	free(buf);
	plan_free(&p);
	free(t);
	free(u);
}

static void test_every_field_counts(void **state)
{
	struct topo *t = lab();
	struct plan p;

	for (int field = 0; field < 15; field++) {
		struct topo *u = lab();
		struct node *n = &u->nodes[1]; /* r1 */

		switch (field) {
		case 0:
			n->kind = NODE_HOST;
			break;
		case 1:
			n->cpus = 2;
			break;
		case 2:
			n->nics[1].addrs[0][5] = '9';
			break;
		case 3:
			n->nics[0].mac[5] = 1;
			break;
		case 4:
			n->nics[0].mtu = 9000;
			break;
		case 5:
			snprintf(n->nics[1].ifname, 16, "eth7");
			break;
		case 6:
			snprintf(n->nics[1].network, NODE_NAME_MAX, "red");
			break;
		case 7:
			n->n_routes = 1;
			snprintf(n->routes[0].dst, NODE_ADDR_MAX, "default");
			snprintf(n->routes[0].via, NODE_ADDR_MAX, "10.0.1.254");
			break;
		case 8:
			n->ip_forward = false;
			break;
		case 9:
			snprintf(n->disk, NODE_PATH_MAX, "/img/r1.qcow2");
			break;
		case 10:
			snprintf(n->kernel, NODE_PATH_MAX, "/img/vmlinuz");
			break;
		case 11:
			snprintf(n->initrd, NODE_PATH_MAX, "/img/initrd");
			break;
		case 12:
			snprintf(n->append, NODE_PATH_MAX, "quiet");
			break;
		case 13:
			n->n_nics = 1;
			break;
		case 14:
			n->nics[0].link_down = true;
			break;
		}
		assert_int_equal(plan_diff(t, u, &p), 0);
		assert_int_equal(p.n, 2);
		assert_action(&p, 0, PLAN_NODE_DESTROY, "r1", NULL);
		assert_action(&p, 1, PLAN_NODE_START, "r1", NULL);
		assert_int_equal(strncmp(p.a[0].why, "changed: ", 9), 0);
		plan_free(&p);
		free(u);
	}
	plan_free(&p);
	free(t);
}

static void test_change_vni(void **state)
{
	struct topo *t = lab(), *u = lab();
	struct plan p;

	u->nets[1].vni = 30; /* blue: r1 and h2 are on it, h1 is not */
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 6);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "r1", "network blue changed: vni 20 -> 30");
	assert_action(&p, 1, PLAN_NODE_DESTROY, "h2", NULL);
	assert_action(&p, 2, PLAN_NET_DEL, "blue", "changed: vni 20 -> 30");
	assert_int_equal(p.a[2].index, 1);
	assert_action(&p, 3, PLAN_NET_ADD, "blue", "changed: vni 20 -> 30");
	assert_action(&p, 4, PLAN_NODE_START, "r1", NULL);
	assert_action(&p, 5, PLAN_NODE_START, "h2", NULL);
	for (int i = 0; i < p.n; i++)
		assert_string_not_equal(p.a[i].name, "h1");
	plan_free(&p);
	free(t);
	free(u);
}

static void test_remove_network_and_nodes(void **state)
{
	struct topo *t = lab(), *u = lab();
	struct plan p;
	char *buf;
	size_t len;
	FILE *f;

	/* drop blue, h2, and r1's leg on blue */
	u->n_nets = 1;
	u->n_nodes = 2;
	u->nodes[1].n_nics = 1;
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 4);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "r1", "changed: interfaces 2 -> 1");
	assert_action(&p, 1, PLAN_NODE_DESTROY, "h2", "removed");
	assert_action(&p, 2, PLAN_NET_DEL, "blue", "removed");
	assert_action(&p, 3, PLAN_NODE_START, "r1", NULL);

	f = open_memstream(&buf, &len);
	plan_print(&p, f, 0);
	fclose(f);
	assert_string_equal(buf, "- destroy node r1 (changed: interfaces 2 -> 1)\n"
				 "- destroy node h2 (removed)\n"
				 "- delete network blue (removed)\n"
				 "- start node r1 (changed: interfaces 2 -> 1)\n");
	free(buf);
	plan_free(&p);
	free(t);
	free(u);
}

static void test_new_network_for_unchanged_node(void **state)
{
	/* old lab without blue, r1 already pointing at it (inconsistent old
	 * state): r1 must be restarted once blue exists. */
	struct topo *t = lab(), *u = lab();
	struct plan p;

	t->n_nets = 1;
	t->n_nodes = 2;
	u->n_nodes = 2;
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 3);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "r1", "network blue new");
	assert_action(&p, 1, PLAN_NET_ADD, "blue", "new");
	assert_action(&p, 2, PLAN_NODE_START, "r1", "network blue new");
	plan_free(&p);
	free(t);
	free(u);
}

static void test_several_reasons(void **state)
{
	struct topo *t = lab(), *u = lab();
	struct plan p;

	u->nodes[1].cpus = 4;
	u->nodes[1].mem_mib = 512;
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.a[0].why, "changed: cpus 1 -> 4; memory 128 -> 512");
	plan_free(&p);
	free(t);
	free(u);
}

static void test_bad_args_and_names(void **state)
{
	struct topo *t = lab();
	struct plan p;

	assert_int_equal(plan_diff(NULL, NULL, &p), -EINVAL);
	assert_int_equal(plan_diff(NULL, t, NULL), -EINVAL);
	t->n_nodes = TOPO_MAX_NODES + 1;
	assert_int_equal(plan_diff(NULL, t, &p), -EINVAL);
	assert_string_equal(plan_op_name(PLAN_NODE_DESTROY), "node-destroy");
	assert_string_equal(plan_op_name(PLAN_NET_DEL), "net-del");
	assert_string_equal(plan_op_name(PLAN_NET_ADD), "net-add");
	assert_string_equal(plan_op_name(PLAN_NODE_PLUG), "node-plug");
	assert_string_equal(plan_op_name(PLAN_NODE_START), "node-start");
	assert_string_equal(plan_op_name((enum plan_op)42), "?");
	plan_free(&p);
	free(t);
}

static void test_full_lab_fits(void **state)
{
	struct topo *t = new_topo(), *u = new_topo();
	struct plan p;
	char name[NODE_NAME_MAX], *buf;
	size_t len;
	FILE *f;

	for (int i = 0; i < TOPO_MAX_NETS; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		add_net(t, name, 100 + i, "");
		add_net(u, name, 1000 + i, "");
	}
	for (int i = 0; i < TOPO_MAX_NODES; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		add_nic(add_node(t, name, NODE_HOST), "eth0", t->nets[i].name, NULL);
		add_nic(add_node(u, name, NODE_HOST), "eth0", u->nets[i].name, NULL);
	}
	assert_int_equal(plan_diff(t, u, &p), 0);
	assert_int_equal(p.n, PLAN_MAX_ACTIONS);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "h0", "network n0 changed: vni 100 -> 1000");
	assert_action(&p, PLAN_MAX_ACTIONS - 1, PLAN_NODE_START, "h999", NULL);

	/* a lab this large prints one line per kind of action */
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	plan_print(&p, f, 16);
	fclose(f);
	assert_string_equal(
	    buf, "- destroy 1000 nodes (1000 network changed): h0, h1, h2, h3, h4, h5, h6, h7, "
		 "...\n"
		 "- delete 1000 networks (1000 changed): n0, n1, n2, n3, n4, n5, n6, n7, ...\n"
		 "- add 1000 networks (1000 changed): n0, n1, n2, n3, n4, n5, n6, n7, ...\n"
		 "- start 1000 nodes (1000 network changed): h0, h1, h2, h3, h4, h5, h6, h7, "
		 "...\n");
	free(buf);
	plan_free(&p);
	free(t);
	free(u);
}

/* A running node whose switch ports are gone or elsewhere gets them back,
 * after the networks; a node that is recreated anyway does not. */
static void test_plug_missing_ports(void **state)
{
	struct topo *t = lab(), *u;
	uint8_t ports[3][NODE_MAX_NICS] = {{0}};
	struct plan p;
	char *buf;
	size_t len;
	FILE *f;

	(void)state;
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_nics; k++)
			snprintf(t->nodes[i].nics[k].port, NODE_NAME_MAX, "lab.%s-%s",
				 t->nodes[i].name, t->nodes[i].nics[k].ifname);
	u = copy(t);
	ports[1][1] = 1; /* r1 eth1: missing */
	ports[2][0] = 2; /* h2 eth0: in another network */
	assert_int_equal(plan_diff_running(t, u, ports, &p), 0);
	assert_int_equal(p.n, 2);
	assert_action(&p, 0, PLAN_NODE_PLUG, "r1", "eth1: switch port lab.r1-eth1 is missing");
	assert_int_equal(p.a[0].index, 1);
	assert_int_equal(p.a[0].nic, 1);
	assert_action(&p, 1, PLAN_NODE_PLUG, "h2",
		      "eth0: switch port lab.h2-eth0 is on another network");
	assert_int_equal(p.a[1].nic, 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	plan_print(&p, f, 1);
	fclose(f);
	assert_string_equal(buf, "- plug 2 ports (1 missing, 1 on another network): r1, h2\n");
	free(buf);
	plan_free(&p);

	/* h2 changes: recreated, not plugged; a new network: after it */
	u->nodes[2].mem_mib = 256;
	add_net(u, "green", 30, "10.0.3.0/24");
	assert_int_equal(plan_diff_running(t, u, ports, &p), 0);
	assert_int_equal(p.n, 4);
	assert_action(&p, 0, PLAN_NODE_DESTROY, "h2", NULL);
	assert_action(&p, 1, PLAN_NET_ADD, "green", "new");
	assert_action(&p, 2, PLAN_NODE_PLUG, "r1", NULL);
	assert_action(&p, 3, PLAN_NODE_START, "h2", "changed: memory 128 -> 256");
	plan_free(&p);

	/* no port information: the same as plan_diff() */
	assert_int_equal(plan_diff_running(t, t, NULL, &p), 0);
	assert_int_equal(p.n, 0);
	plan_free(&p);
	free(t);
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_to_lab),
	    cmocka_unit_test(test_same_lab_is_empty),
	    cmocka_unit_test(test_reordered_routes_and_nodes_unchanged),
	    cmocka_unit_test(test_add_and_remove_node),
	    cmocka_unit_test(test_change_memory),
	    cmocka_unit_test(test_every_field_counts),
	    cmocka_unit_test(test_change_vni),
	    cmocka_unit_test(test_remove_network_and_nodes),
	    cmocka_unit_test(test_new_network_for_unchanged_node),
	    cmocka_unit_test(test_several_reasons),
	    cmocka_unit_test(test_bad_args_and_names),
	    cmocka_unit_test(test_full_lab_fits),
	    cmocka_unit_test(test_plug_missing_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
