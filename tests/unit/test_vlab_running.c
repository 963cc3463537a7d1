/* Unit tests of what a lab really runs (control/running.c), which `vlab
 * up` plans against: the lab's networks from the switch's list, its live
 * nodes from their records with the state of each switch port, the lab's
 * stale ports, and the message for a VNI another network holds.
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

#include "running.h"
#include "topo_build.h"

static void set_port(struct node *n, int k, const char *lab)
{
	snprintf(n->nics[k].port, NODE_NAME_MAX, "%s.%s-%s", lab, n->name, n->nics[k].ifname);
}

static void test_build(void **state)
{
	json_t *nets = json_loads("[{\"name\": \"l1.red\", \"vni\": 100},"
				  " {\"name\": \"l1.blue\", \"vni\": 101},"
				  " {\"name\": \"l2.red\", \"vni\": 200},"
				  " {\"name\": \"lan1\", \"vni\": 5}]",
				  0, NULL);
	json_t *ports = json_loads("[{\"name\": \"l1.h1-eth0\", \"network\": \"l1.red\"},"
				   " {\"name\": \"l1.h2-eth0\", \"network\": \"l1.red\"},"
				   " {\"name\": \"l1.g1-eth0\", \"network\": \"l1.red\"},"
				   " {\"name\": \"l1.old-eth0\", \"network\": \"l1.blue\"},"
				   " {\"name\": \"l2.h1-eth0\", \"network\": \"l2.red\"},"
				   " {\"name\": \"vm1-eth0\", \"network\": \"lan1\"}]",
				   0, NULL);
	struct topo *rec = calloc(1, sizeof(*rec));
	struct running r;
	bool alive[4] = {true, true, false, true};
	struct node *n;

	(void)state;
	assert_non_null(nets);
	assert_non_null(ports);
	assert_non_null(rec);
	n = add_node(rec, "h1", NODE_HOST); /* all there */
	add_nic(n, "eth0", "red", "10.0.0.1/24");
	set_port(n, 0, "l1");
	n = add_node(rec, "h2", NODE_HOST); /* eth0 there, in red not blue; eth1 gone */
	add_nic(n, "eth0", "blue", NULL);
	add_nic(n, "eth1", "red", NULL);
	set_port(n, 0, "l1");
	set_port(n, 1, "l1");
	n = add_node(rec, "h3", NODE_HOST); /* dead */
	add_nic(n, "eth0", "red", NULL);
	set_port(n, 0, "l1");
	n = add_node(rec, "g1", NODE_VM);
	add_nic(n, "eth0", "red", NULL);
	set_port(n, 0, "l1");

	assert_int_equal(running_build("l1", nets, ports, rec->nodes, alive, 4, &r), 0);
	assert_string_equal(r.t->name, "l1");
	assert_int_equal(r.t->n_nets, 2); /* not l2's, not lan1 */
	assert_string_equal(r.t->nets[0].name, "red");
	assert_int_equal(r.t->nets[0].vni, 100);
	assert_string_equal(r.t->nets[1].name, "blue");
	assert_int_equal(r.t->nets[1].vni, 101);
	assert_int_equal(r.t->n_nodes, 3); /* h3 is dead */
	assert_string_equal(r.t->nodes[0].name, "h1");
	assert_string_equal(r.t->nodes[1].name, "h2");
	assert_string_equal(r.t->nodes[2].name, "g1");
	assert_memory_equal(&r.t->nodes[1], &rec->nodes[1], sizeof(struct node));
	assert_int_equal(r.ports[0][0], RUNNING_PORT_OK);
	assert_int_equal(r.ports[1][0], RUNNING_PORT_ELSEWHERE);
	assert_int_equal(r.ports[1][1], RUNNING_PORT_MISSING);
	assert_int_equal(r.ports[2][0], RUNNING_PORT_OK);
	assert_int_equal(r.n_stale, 1); /* h3's is the caller's to remove with h3 */
	assert_string_equal(r.stale[0], "l1.old-eth0");
	running_free(&r);
	running_free(&r); /* twice is fine */

	/* nothing on the switch, no records */
	assert_int_equal(running_build("l1", NULL, NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.t->n_nets, 0);
	assert_int_equal(r.t->n_nodes, 0);
	assert_int_equal(r.n_stale, 0);
	running_free(&r);
	assert_int_equal(running_build(NULL, nets, ports, NULL, NULL, 0, &r), -EINVAL);
	running_free(&r);
	json_decref(nets);
	json_decref(ports);
	free(rec);
}

static void test_prefix_is_whole_lab_name(void **state)
{
	json_t *nets = json_loads("[{\"name\": \"l10.red\", \"vni\": 1}, {\"name\": \"l1\", "
				  "\"vni\": 2}, {\"name\": \"l1.\", \"vni\": 3}]",
				  0, NULL);
	struct running r;

	(void)state;
	assert_int_equal(running_build("l1", nets, NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.t->n_nets, 0);
	running_free(&r);
	json_decref(nets);
}

static void test_vni_clash(void **state)
{
	json_t *nets = json_loads("[{\"name\": \"l1.red\", \"vni\": 100},"
				  " {\"name\": \"l2.blue\", \"vni\": 300},"
				  " {\"name\": \"lan1\", \"vni\": 5}]",
				  0, NULL);
	char msg[512];

	(void)state;
	assert_int_equal(running_vni_clash("l2", "red", 100, false, nets, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "network red of lab l2 uses VNI 100 of network l1.red: give it "
				 "another vni: in the topology, or stop lab l1 (vlab down l1)");
	assert_int_equal(running_vni_clash("l2", "red", 100, true, nets, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "network red of lab l2 uses VNI 100 (chosen automatically) of "
				 "network l1.red: give it another vni: in the topology, or stop "
				 "lab l1 (vlab down l1)");
	assert_int_equal(running_vni_clash("l2", "red", 5, false, nets, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "network red of lab l2 uses VNI 5 of network lan1, which no lab "
				 "made: give it another vni: in the topology, or delete network "
				 "lan1 (vlab switch network del lan1)");
	assert_int_equal(running_vni_clash("l2", "red", 300, false, nets, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "network red of lab l2 uses VNI 300 of network l2.blue: give it "
				 "another vni: in the topology, or delete network l2.blue (vlab "
				 "switch network del l2.blue)");
	/* its own network, or a free VNI: no clash */
	assert_int_equal(running_vni_clash("l1", "red", 100, false, nets, msg, sizeof(msg)), 0);
	assert_int_equal(running_vni_clash("l2", "red", 101, false, nets, msg, sizeof(msg)), 0);
	assert_int_equal(running_vni_clash("l2", "red", 101, false, NULL, msg, sizeof(msg)), 0);
	/* a short buffer still holds a terminated start */
	assert_int_equal(running_vni_clash("l2", "red", 100, false, nets, msg, 20), 1);
	assert_int_equal(strlen(msg), 19);
	json_decref(nets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build),
	    cmocka_unit_test(test_prefix_is_whole_lab_name),
	    cmocka_unit_test(test_vni_clash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
