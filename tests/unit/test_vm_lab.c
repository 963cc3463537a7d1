/* Unit tests of lab records (vmhost/lab.c): node <-> JSON round trip, bad
 * records, MAC text, and records on disk under a temporary VLAB_RUN_DIR. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lab.h"
#include "vm.h"

static void make_node(struct node *n)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "r1");
	n->kind = NODE_VM;
	n->cpus = 2;
	n->mem_mib = 256;
	n->ip_forward = true;
	n->n_nics = 2;
	for (int i = 0; i < 2; i++) {
		struct node_nic *c = &n->nics[i];

		snprintf(c->ifname, sizeof(c->ifname), "eth%d", i);
		c->mac[0] = 0x52;
		c->mac[5] = (uint8_t)i;
		c->mtu = 1400;
		c->queues = i ? 4 : 0; /* virtio queue pairs, kept in the record */
		c->n_addrs = 1;
		snprintf(c->addrs[0], NODE_ADDR_MAX, "10.0.%d.1/24", i);
		snprintf(c->network, sizeof(c->network), "net%d", i);
		snprintf(c->port, sizeof(c->port), "r1-eth%d", i);
		snprintf(c->sock, sizeof(c->sock), "/run/x/eth%d.sock", i);
	}
	n->n_routes = 1;
	snprintf(n->routes[0].dst, NODE_ADDR_MAX, "default");
	snprintf(n->routes[0].via, NODE_ADDR_MAX, "10.0.0.254");
}

static void test_roundtrip(void **state)
{
	struct node a, b;
	char err[128];
	json_t *j;

	make_node(&a);
	j = lab_node_to_json(&a);
	assert_int_equal(lab_node_from_json(j, &b, err, sizeof(err)), 0);
	json_decref(j);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_bad_records(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"name\":\"x\",\"kind\":\"container\"}",
		"{\"name\":5,\"kind\":\"vm\"}",
		"{\"name\":\"x\",\"kind\":\"vm\",\"nics\":[{\"mac\":\"zz\"}]}",
		"{\"name\":\"x\",\"kind\":\"vm\",\"nics\":[{\"mac\":\"52:54:00:00:00:01\","
		"\"addrs\":[1]}]}",
	};
	struct node n;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		if (lab_node_from_json(j, &n, err, sizeof(err)) != -EINVAL)
			fail_msg("record %zu accepted: %s", i, bad[i]);
		assert_true(strlen(err) > 0);
		json_decref(j);
	}
}

static void test_mac(void **state)
{
	uint8_t m[6];
	char s[18];

	assert_int_equal(mac_parse("52:54:00:AA:bb:01", m), 0);
	mac_format(m, s);
	assert_string_equal(s, "52:54:00:aa:bb:01");
	assert_int_equal(mac_parse("52:54:00:aa:bb", m), -EINVAL);
	assert_int_equal(mac_parse("52-54-00-aa-bb-01", m), -EINVAL);
}

static void test_on_disk(void **state)
{
	char tmpl[] = "/tmp/vlab-lab-test-XXXXXX";
	char names[8][NODE_NAME_MAX];
	struct lab_record r = {.pid = 1234, .created = 99}, r2;
	struct node a, b;

	assert_non_null(mkdtemp(tmpl));
	setenv("VLAB_RUN_DIR", tmpl, 1);
	make_node(&a);
	snprintf(r.outer[0], sizeof(r.outer[0]), "vlx0e0");
	assert_int_equal(lab_record_save("lab1", &a, &r), 0);
	snprintf(a.name, sizeof(a.name), "h1");
	a.kind = NODE_HOST;
	assert_int_equal(lab_record_save("lab1", &a, &r), 0);
	assert_int_equal(lab_list_nodes("lab1", names, 8), 2);
	assert_string_equal(names[0], "h1");
	assert_string_equal(names[1], "r1");
	assert_int_equal(lab_list(names, 8), 1);
	assert_string_equal(names[0], "lab1");
	assert_int_equal(lab_record_load("lab1", "h1", &b, &r2), 0);
	assert_int_equal(b.kind, NODE_HOST);
	assert_int_equal(r2.pid, 1234);
	assert_int_equal(r2.created, 99);
	assert_string_equal(r2.outer[0], "vlx0e0");
	assert_int_equal(lab_record_load("lab1", "nope", &b, &r2), -ENOENT);
	assert_int_equal(lab_node_remove("lab1", "h1"), 0);
	assert_int_equal(lab_node_remove("lab1", "h1"), 0); /* already gone is fine */
	assert_int_equal(lab_list_nodes("lab1", names, 8), 1);
	assert_int_equal(lab_node_remove("lab1", "r1"), 0);
	char dir[512];
	snprintf(dir, sizeof(dir), "rm -rf %s", tmpl);
	assert_int_equal(system(dir), 0);
}

/* Listing every node of a lab larger than any fixed table: 300 node
 * directories, sorted by name; none listed for a lab that does not exist. */
static void test_list_all(void **state)
{
	char tmpl[] = "/tmp/vlab-lab-test-XXXXXX", path[256];
	char(*names)[NODE_NAME_MAX];

	assert_non_null(mkdtemp(tmpl));
	setenv("VLAB_RUN_DIR", tmpl, 1);
	for (int i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "%s/labs/big/nodes/h%03d", tmpl, 299 - i);
		assert_int_equal(lab_mkdirs(path), 0);
	}
	assert_int_equal(lab_list_nodes_all("big", &names), 300);
	assert_string_equal(names[0], "h000");
	assert_string_equal(names[299], "h299");
	free(names);
	assert_int_equal(lab_list_all(&names), 1);
	assert_string_equal(names[0], "big");
	free(names);
	assert_int_equal(lab_list_nodes_all("none", &names), 0);
	assert_null(names);
	snprintf(path, sizeof(path), "rm -rf %s", tmpl);
	assert_int_equal(system(path), 0);
	unsetenv("VLAB_RUN_DIR");
}

/* Derived MACs, port names and sockets depend only on lab, node and index. */
static void test_node_defaults(void **state)
{
	struct node a, b, c;

	setenv("VLAB_RUN_DIR", "/run/vlab-test", 1);
	make_node(&a);
	memset(a.nics[0].mac, 0, 6);
	memset(a.nics[1].mac, 0, 6);
	a.nics[0].port[0] = a.nics[1].port[0] = '\0';
	a.nics[0].sock[0] = a.nics[1].sock[0] = '\0';
	a.nics[1].ifname[0] = '\0';
	b = a;
	c = a;
	assert_int_equal(vm_node_defaults("lab1", &a), 0);
	assert_int_equal(vm_node_defaults("lab1", &b), 0);
	assert_memory_equal(&a, &b, sizeof(a)); /* stable */
	assert_int_equal(a.nics[0].mac[0], 0x52);
	assert_int_equal(a.nics[0].mac[1], 0x54);
	assert_memory_not_equal(a.nics[0].mac, a.nics[1].mac, 6);
	assert_string_equal(a.nics[1].ifname, "eth1");
	assert_string_equal(a.nics[0].port, "r1-eth0");
	assert_string_equal(a.nics[1].sock, "/run/vlab-test/labs/lab1/nodes/r1/eth1.sock");
	/* another lab gives other MACs; given values are kept */
	c.nics[1].mac[0] = 0x02;
	c.nics[1].mac[5] = 0x77;
	assert_int_equal(vm_node_defaults("lab2", &c), 0);
	assert_memory_not_equal(a.nics[0].mac, c.nics[0].mac, 6);
	assert_int_equal(c.nics[1].mac[5], 0x77);
	unsetenv("VLAB_RUN_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_on_disk),
		cmocka_unit_test(test_list_all),
		cmocka_unit_test(test_node_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
