/* Unit tests of the expected reachability of `vlab pingall`
 * (control/reach.c): direct, isolated, routed through a forwarding node,
 * missing return route, link down, `expect:` overrides, the whole matrix.
 * Topologies are built in C, not parsed.
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

#include "reach.h"
#include "topo_build.h"

static void add_route(struct node *n, const char *dst, const char *via)
{
	struct node_route *r = &n->routes[n->n_routes++];

	snprintf(r->dst, sizeof(r->dst), "%s", dst);
	snprintf(r->via, sizeof(r->via), "%s", via);
}

static void add_expect(struct topo *t, const char *from, const char *to, bool reach)
{
	struct topo_expect *e = &t->expect[t->n_expect++];

	snprintf(e->from, sizeof(e->from), "%s", from);
	snprintf(e->to, sizeof(e->to), "%s", to);
	e->reach = reach;
}

enum { H1, R1, H2, H3, H4 };

/* red 10.0.1.0/24: h1 .2, r1 .1, h4 .4 (no route)
 * blue 10.0.2.0/24: h2 .2, r1 .1 (r1 forwards)
 * green 10.0.1.0/24 (same subnet as red, isolated): h3 .3 */
static struct topo *lab(void)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct node *n;

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "reach");
	add_net(t, "red", 10, "10.0.1.0/24");
	add_net(t, "blue", 20, "10.0.2.0/24");
	add_net(t, "green", 30, "10.0.1.0/24");
	n = add_node(t, "h1", NODE_HOST);
	add_nic(n, "eth0", "red", "10.0.1.2/24");
	add_route(n, "default", "10.0.1.1");
	n = add_node(t, "r1", NODE_VM);
	add_nic(n, "eth0", "red", "10.0.1.1/24");
	add_nic(n, "eth1", "blue", "10.0.2.1/24");
	n->ip_forward = true;
	n = add_node(t, "h2", NODE_HOST);
	add_nic(n, "eth0", "blue", "10.0.2.2/24");
	add_route(n, "10.0.1.0/24", "10.0.2.1");
	n = add_node(t, "h3", NODE_HOST);
	add_nic(n, "eth0", "green", "10.0.1.3/24");
	n = add_node(t, "h4", NODE_HOST);
	add_nic(n, "eth0", "red", "10.0.1.4/24");
	return t;
}

static void test_same_network(void **state)
{
	struct topo *t = lab();

	assert_true(reach_expected(t, H1, R1, "10.0.1.1"));
	assert_true(reach_expected(t, R1, H1, "10.0.1.2"));
	assert_true(reach_expected(t, H2, R1, "10.0.2.1"));
	assert_true(reach_expected(t, H4, H1, "10.0.1.2"));
	assert_true(reach_expected(t, H1, R1, "10.0.1.1/24")); /* CIDR accepted */
	/* not an address of that node */
	assert_false(reach_expected(t, H1, R1, "10.0.1.2"));
	assert_false(reach_expected(t, H1, R1, "not-an-address"));
	assert_false(reach_expected(t, H1, 99, "10.0.1.1"));
	free(t);
}

static void test_same_subnet_other_network(void **state)
{
	struct topo *t = lab();

	assert_false(reach_expected(t, H1, H3, "10.0.1.3"));
	assert_false(reach_expected(t, H3, H1, "10.0.1.2"));
	assert_false(reach_expected(t, H3, R1, "10.0.1.1"));
	free(t);
}

static void test_routed(void **state)
{
	struct topo *t = lab();

	assert_true(reach_expected(t, H1, H2, "10.0.2.2"));
	assert_true(reach_expected(t, H2, H1, "10.0.1.2"));
	/* the router's far address: it answers for it itself */
	assert_true(reach_expected(t, H1, R1, "10.0.2.1"));
	assert_true(reach_expected(t, H2, R1, "10.0.1.1"));
	/* h4 has no route at all */
	assert_false(reach_expected(t, H4, H2, "10.0.2.2"));
	assert_false(reach_expected(t, H1, H3, "10.0.1.3"));
	free(t);
}

static void test_routed_needs_forwarding(void **state)
{
	struct topo *t = lab();

	t->nodes[R1].ip_forward = false;
	assert_false(reach_expected(t, H1, H2, "10.0.2.2"));
	assert_true(reach_expected(t, H1, R1, "10.0.2.1"));
	free(t);
}

static void test_routed_missing_return_route(void **state)
{
	struct topo *t = lab();

	/* h2 knows no way back to red */
	t->nodes[H2].n_routes = 0;
	assert_false(reach_expected(t, H1, H2, "10.0.2.2"));
	assert_false(reach_expected(t, H2, H1, "10.0.1.2"));
	/* a route back that does not cover h1 */
	add_route(&t->nodes[H2], "192.168.0.0/16", "10.0.2.1");
	assert_false(reach_expected(t, H1, H2, "10.0.2.2"));
	/* a default route back */
	add_route(&t->nodes[H2], "default", "10.0.2.1");
	assert_true(reach_expected(t, H1, H2, "10.0.2.2"));
	free(t);
}

static void test_longest_prefix_wins(void **state)
{
	struct topo *t = lab();

	/* h1 sends blue traffic to a next hop that is not a router */
	add_route(&t->nodes[H1], "10.0.2.0/24", "10.0.1.4");
	assert_false(reach_expected(t, H1, H2, "10.0.2.2"));
	free(t);
}

static void test_link_down(void **state)
{
	struct topo *t = lab();

	t->nodes[H4].nics[0].link_down = true;
	assert_false(reach_expected(t, H1, H4, "10.0.1.4"));
	assert_false(reach_expected(t, H4, H1, "10.0.1.2"));
	t->nodes[H4].nics[0].link_down = false;
	t->nodes[R1].nics[1].link_down = true; /* router's leg on blue */
	assert_false(reach_expected(t, H1, H2, "10.0.2.2"));
	assert_true(reach_expected(t, H1, R1, "10.0.1.1"));
	free(t);
}

static void test_expect_overrides(void **state)
{
	struct topo *t = lab();

	add_expect(t, "h1", "h3", true);
	add_expect(t, "h2", "h1", false);
	assert_true(reach_expected(t, H1, H3, "10.0.1.3"));
	assert_false(reach_expected(t, H2, H1, "10.0.1.2"));
	/* the other direction keeps the computed value */
	assert_false(reach_expected(t, H3, H1, "10.0.1.2"));
	assert_true(reach_expected(t, H1, H2, "10.0.2.2"));
	free(t);
}

static void test_expect_interfaces(void **state)
{
	struct topo *t = lab();

	/* r1 unreachable from h1, except its eth0; the interface-qualified
	 * entry wins although it comes first */
	add_expect(t, "h1", "r1:eth0", true);
	add_expect(t, "h1", "r1", false);
	assert_true(reach_expected(t, H1, R1, "10.0.1.1"));
	assert_false(reach_expected(t, H1, R1, "10.0.2.1"));
	/* from an interface: h1 sends from eth0 */
	add_expect(t, "h1:eth0", "h2", false);
	add_expect(t, "h1:eth9", "h4", false);
	assert_false(reach_expected(t, H1, H2, "10.0.2.2"));
	assert_true(reach_expected(t, H1, H4, "10.0.1.4"));
	/* equally specific: the later one wins */
	add_expect(t, "h4", "h1", false);
	add_expect(t, "h4", "h1", true);
	assert_true(reach_expected(t, H4, H1, "10.0.1.2"));
	/* a name that is only a prefix does not match */
	add_expect(t, "h", "h1", false);
	add_expect(t, "h2:", "h1", false);
	assert_true(reach_expected(t, H2, H1, "10.0.1.2"));
	free(t);
}

static void test_matrix(void **state)
{
	struct topo *t = lab();
	struct reach_cell cells[64];
	int n, found = 0;

	/* IPv6 addresses are left out */
	snprintf(t->nodes[H2].nics[0].addrs[1], NODE_ADDR_MAX, "2001:db8::2/64");
	t->nodes[H2].nics[0].n_addrs = 2;
	add_expect(t, "h3", "h4", true);

	/* 6 IPv4 addresses; each node pings those of the others */
	n = reach_matrix(t, NULL, 0);
	assert_int_equal(n, 5 * 6 - 6);
	assert_int_equal(reach_matrix(t, cells, 3), n);
	assert_int_equal(cells[0].src_node, H1);
	assert_int_equal(cells[0].dst_node, R1);
	assert_int_equal(cells[0].dst_nic, 0);
	assert_string_equal(cells[0].addr, "10.0.1.1");
	assert_true(cells[0].expect);
	assert_int_equal(reach_matrix(t, cells, 64), n);
	for (int i = 0; i < n; i++) {
		const struct reach_cell *c = &cells[i];

		assert_int_not_equal(c->src_node, c->dst_node);
		assert_null(strchr(c->addr, '/'));
		assert_null(strchr(c->addr, ':'));
		assert_int_equal(c->expect,
				 reach_expected(t, c->src_node, c->dst_node, c->addr));
		if (c->src_node == H1 && c->dst_node == H2) {
			assert_string_equal(c->addr, "10.0.2.2");
			assert_int_equal(c->src_nic, 0);
			assert_true(c->expect);
			assert_false(c->overridden);
			found++;
		}
		if (c->src_node == H3 && c->dst_node == H4) {
			assert_true(c->expect);
			assert_true(c->overridden);
			found++;
		}
		if (c->src_node == H3 && c->dst_node == H1) {
			assert_false(c->expect);
			assert_int_equal(c->src_nic, -1);
			found++;
		}
	}
	assert_int_equal(found, 3);
	assert_int_equal(reach_matrix(NULL, cells, 1), -EINVAL);
	assert_int_equal(reach_matrix(t, NULL, 1), -EINVAL);
	assert_int_equal(reach_matrix(t, cells, -1), -EINVAL);
	free(t);
}

/* Two tenants reusing the same addresses: a ping can only check what it can
 * tell apart, so addresses a node holds itself, and unreachable copies of an
 * address it reaches elsewhere, are left out of the matrix. */
static void test_matrix_reused_addresses(void **state)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct reach_cell cells[16];
	int n;

	add_net(t, "t1", 1, "10.0.0.0/24");
	add_net(t, "t2", 2, "10.0.0.0/24");
	add_nic(add_node(t, "a1", NODE_VM), "eth0", "t1", "10.0.0.1/24");
	add_nic(add_node(t, "b1", NODE_HOST), "eth0", "t1", "10.0.0.2/24");
	add_nic(add_node(t, "a2", NODE_VM), "eth0", "t2", "10.0.0.1/24");
	add_nic(add_node(t, "b2", NODE_HOST), "eth0", "t2", "10.0.0.2/24");
	add_nic(add_node(t, "c2", NODE_HOST), "eth0", "t2", "10.0.0.3/24");
	n = reach_matrix(t, cells, 16);
	/* a1 -> 10.0.0.2 (b1), a1 -> 10.0.0.3 (c2, isolated), and the same for
	 * b1, a2, b2 and c2 within their tenant */
	for (int i = 0; i < n; i++) {
		const struct reach_cell *c = &cells[i];
		const char *src = t->nodes[c->src_node].name, *dst = t->nodes[c->dst_node].name;

		if (!strcmp(src, "a1") && !strcmp(c->addr, "10.0.0.2"))
			assert_string_equal(dst, "b1");
		if (!strcmp(src, "a1") && !strcmp(c->addr, "10.0.0.3")) {
			assert_string_equal(dst, "c2");
			assert_false(c->expect);
		}
		assert_string_not_equal(c->addr, src[0] == 'a' ? "10.0.0.1" : "-");
		assert_int_equal(c->expect, c->src_node < 2 ? c->dst_node < 2 : c->dst_node >= 2);
	}
	assert_int_equal(n, 2 + 2 + 2 + 2 + 2);
	free(t);
}

/* A lab at the node limit: two tenants of 500 hosts with the same addresses
 * on a /16 each. Every host reaches the 499 others of its tenant; the other
 * tenant's copies are left out (held by the source or shadowed). The
 * matrix must stay quick at this size. */
static void test_matrix_at_node_limit(void **state)
{
	struct topo *t = calloc(1, sizeof(*t));
	struct reach_cell *cells;
	const int half = TOPO_MAX_NODES / 2;
	char name[NODE_NAME_MAX], addr[NODE_ADDR_MAX];
	int n;

	assert_non_null(t);
	add_net(t, "t1", 1, "10.0.0.0/16");
	add_net(t, "t2", 2, "10.0.0.0/16");
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < half; i++) {
			snprintf(name, sizeof(name), "%c%d", k ? 'b' : 'a', i);
			snprintf(addr, sizeof(addr), "10.0.%d.%d/16", (i + 1) / 256, (i + 1) % 256);
			add_nic(add_node(t, name, NODE_HOST), "eth0", k ? "t2" : "t1", addr);
		}
	n = reach_matrix_alloc(t, &cells);
	assert_int_equal(n, TOPO_MAX_NODES * (half - 1));
	for (int i = 0; i < n; i++) {
		assert_true(cells[i].expect);
		assert_int_equal(cells[i].src_node < half, cells[i].dst_node < half);
	}
	assert_string_equal(t->nodes[cells[n - 1].src_node].name, "b499");
	assert_string_equal(t->nodes[cells[n - 1].dst_node].name, "b498");
	assert_string_equal(cells[n - 1].addr, "10.0.1.243");
	free(cells);
	assert_int_equal(reach_matrix_alloc(NULL, &cells), -EINVAL);
	assert_null(cells);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_network),
	    cmocka_unit_test(test_matrix_reused_addresses),
	    cmocka_unit_test(test_same_subnet_other_network),
	    cmocka_unit_test(test_routed),
	    cmocka_unit_test(test_routed_needs_forwarding),
	    cmocka_unit_test(test_routed_missing_return_route),
	    cmocka_unit_test(test_longest_prefix_wins),
	    cmocka_unit_test(test_link_down),
	    cmocka_unit_test(test_expect_overrides),
	    cmocka_unit_test(test_expect_interfaces),
	    cmocka_unit_test(test_matrix),
	    cmocka_unit_test(test_matrix_at_node_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
