/* Unit tests for the table of node kinds (vmhost/kind.c): lookups by value
 * and name, the lists messages are made of, and the contract every kind
 * fulfils (the operations callers need are there, names are unique). A new
 * kind passes these once its file and table entry exist. Single-threaded,
 * no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kind.h"

static void test_lookup(void **state)
{
	enum node_kind k = NODE_HOST;

	(void)state;
	assert_non_null(kind_find("vm", &k));
	assert_int_equal(k, NODE_VM);
	assert_ptr_equal(kind_find("host", &k), kind_of(NODE_HOST));
	assert_int_equal(k, NODE_HOST);
	assert_null(kind_find("container", &k));
	assert_null(kind_find(NULL, NULL));
	assert_string_equal(kind_name(NODE_VM), "vm");
	assert_string_equal(kind_name(NODE_HOST), "host");
	assert_string_equal(kind_name((enum node_kind)99), "?");
	assert_null(kind_of((enum node_kind) - 1));
}

static void test_list(void **state)
{
	char buf[160];

	(void)state;
	assert_string_equal(kind_list(buf, sizeof(buf), "", false, 0), "vm or host");
	assert_string_equal(kind_list(buf, sizeof(buf), "\"", false, 0), "\"vm\" or \"host\"");
	assert_string_equal(kind_list(buf, sizeof(buf), "", true, 0),
			    "vm (QEMU guest) or host (network namespace)");
	assert_string_equal(kind_list(buf, sizeof(buf), "", false, KIND_QUEUES), "vm");
	assert_string_equal(kind_list(buf, sizeof(buf), "", false, KIND_CPUS | KIND_BOOT), "vm");
	kind_list(buf, 4, "", true, 0); /* truncated, terminated */
	assert_int_equal(strlen(buf), 3);
}

static void test_contract(void **state)
{
	const struct kind_ops *k, *o;
	enum node_kind v;
	int n = 0;

	(void)state;
	for (int i = 0; (k = kind_at(i, &v)) != NULL; i++, n++) {
		assert_ptr_equal(kind_of(v), k);
		assert_ptr_equal(kind_find(k->name, NULL), k);
		assert_non_null(k->what);
		assert_non_null(k->noun);
		assert_non_null(k->nic_noun);
		assert_non_null(k->up_state);
		assert_non_null(k->check);
		assert_non_null(k->port);
		assert_non_null(k->start);
		assert_non_null(k->destroy);
		assert_non_null(k->status);
		assert_non_null(k->link);
		assert_non_null(k->exec);
		assert_non_null(k->console);
		for (int j = 0; (o = kind_at(j, NULL)) != NULL; j++)
			if (j != i)
				assert_string_not_equal(o->name, k->name);
	}
	assert_int_equal(n, 2);
	assert_null(kind_at(-1, NULL));
}

static void test_port(void **state)
{
	static struct node n;
	struct kind_port p;

	(void)state;
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "h1");
	n.n_nics = 2;
	snprintf(n.nics[1].sock, sizeof(n.nics[1].sock), "/run/vlab/labs/l/nodes/h1/eth1.sock");
	assert_int_equal(kind_of(NODE_VM)->port("l", &n, 1, &p), 0);
	assert_string_equal(p.type, "vhost-user");
	assert_string_equal(p.key, "path");
	assert_string_equal(p.value, n.nics[1].sock);
	assert_int_equal(kind_of(NODE_HOST)->port("l", &n, 1, &p), 0);
	assert_string_equal(p.type, "af-packet");
	assert_string_equal(p.key, "iface");
	/* the outer veth end: "vl" + 6 hex digits of the name hash, "e", NIC index */
	assert_int_equal(strlen(p.value), 10);
	assert_memory_equal(p.value, "vl", 2);
	assert_string_equal(p.value + 8, "e1");
}

static void test_hash(void **state)
{
	(void)state;
	assert_int_equal(kind_hash("l", "a", 0), kind_hash("l", "a", 0));
	assert_int_not_equal(kind_hash("l", "a", 0), kind_hash("l", "a", 1));
	assert_int_not_equal(kind_hash("l", "a1", 0), kind_hash("l1", "a", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),   cmocka_unit_test(test_list),
	    cmocka_unit_test(test_contract), cmocka_unit_test(test_port),
	    cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
