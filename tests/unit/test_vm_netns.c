/* Unit tests of the pure helpers of namespace hosts (vmhost/netns_check.c,
 * netns_neigh.c): CIDR parsing, subnet checks, namespace and outer interface
 * names, node validation, the choice of a route's NIC and the neighbour
 * table limits. No root, no kernel objects.
 *
 * Threads: cmocka runs every test on the main thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "netns.h"

static void test_parse_cidr_ipv4(void **state)
{
	struct addr_cidr c;
	const uint8_t want[4] = {10, 1, 2, 3};

	(void)state;
	assert_int_equal(addr_parse_cidr("10.1.2.3/24", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.plen, 24);
	assert_memory_equal(c.addr, want, 4);
	assert_int_equal(addr_parse_cidr("0.0.0.0/0", &c), 0);
	assert_int_equal(c.plen, 0);
	assert_int_equal(addr_parse_cidr("192.168.0.1/32", &c), 0);
	assert_int_equal(c.plen, 32);

	assert_int_equal(addr_parse_cidr("10.1.2.3", &c), -EINVAL); /* prefix required */
	assert_int_equal(addr_parse_cidr("10.1.2.3/", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("/24", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2.3/33", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2.3/2a", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2.3/ 24", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2.3/-1", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2.3/1000", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2/24", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("10.1.2.256/24", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("host/24", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr(NULL, &c), -EINVAL);
}

static void test_parse_cidr_ipv6(void **state)
{
	struct addr_cidr c;
	uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8};

	(void)state;
	want[15] = 1;
	assert_int_equal(addr_parse_cidr("2001:db8::1/64", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.plen, 64);
	assert_memory_equal(c.addr, want, 16);
	assert_int_equal(addr_parse_cidr("::/0", &c), 0);
	assert_int_equal(addr_parse_cidr("fe80::1/128", &c), 0);
	assert_int_equal(c.plen, 128);
	assert_int_equal(addr_parse_cidr("2001:db8::1/129", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("2001:db8:::1/64", &c), -EINVAL);
	assert_int_equal(addr_parse_cidr("2001:db8::1%eth0/64", &c), -EINVAL);
}

static void test_parse_addr(void **state)
{
	struct addr_cidr c;

	(void)state;
	assert_int_equal(addr_parse("10.0.0.254", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.plen, 32);
	assert_int_equal(addr_parse("fe80::1", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.plen, 128);
	assert_int_equal(addr_parse("10.0.0.1/24", &c), -EINVAL);
	assert_int_equal(addr_parse("default", &c), -EINVAL);
	assert_int_equal(addr_parse("", &c), -EINVAL);
}

static void test_contains_and_network(void **state)
{
	struct addr_cidr net, a;

	(void)state;
	assert_int_equal(addr_parse_cidr("10.1.2.3/24", &net), 0);
	assert_int_equal(addr_parse("10.1.2.200", &a), 0);
	assert_true(addr_contains(&net, &a));
	assert_int_equal(addr_parse("10.1.3.1", &a), 0);
	assert_false(addr_contains(&net, &a));
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_false(addr_contains(&net, &a)); /* other family */

	assert_int_equal(addr_parse_cidr("10.1.2.3/21", &net), 0);
	assert_int_equal(addr_parse("10.1.7.255", &a), 0);
	assert_true(addr_contains(&net, &a));
	assert_int_equal(addr_parse("10.1.8.0", &a), 0);
	assert_false(addr_contains(&net, &a));

	assert_int_equal(addr_parse_cidr("2001:db8:1::5/48", &net), 0);
	assert_int_equal(addr_parse("2001:db8:1:ffff::9", &a), 0);
	assert_true(addr_contains(&net, &a));

	assert_int_equal(addr_parse_cidr("10.1.2.0/24", &net), 0);
	assert_true(addr_is_network(&net));
	assert_int_equal(addr_parse_cidr("10.1.2.1/24", &net), 0);
	assert_false(addr_is_network(&net));
	assert_int_equal(addr_parse_cidr("10.1.8.0/21", &net), 0);
	assert_true(addr_is_network(&net));
	assert_int_equal(addr_parse_cidr("10.1.4.0/21", &net), 0);
	assert_false(addr_is_network(&net));
	assert_int_equal(addr_parse_cidr("2001:db8::/32", &net), 0);
	assert_true(addr_is_network(&net));
	assert_int_equal(addr_parse_cidr("2001:db8::1/64", &net), 0);
	assert_false(addr_is_network(&net));
	assert_int_equal(addr_parse_cidr("10.9.9.9/32", &net), 0);
	assert_true(addr_is_network(&net));
}

static void test_check_name(void **state)
{
	char longname[NSH_NAME_MAX + 1];

	(void)state;
	assert_int_equal(nsh_check_name("vlab-lab1-h1"), 0);
	assert_int_equal(nsh_check_name("a"), 0);
	assert_int_equal(nsh_check_name("x_y.z-9"), 0);
	assert_int_equal(nsh_check_name(""), -EINVAL);
	assert_int_equal(nsh_check_name(NULL), -EINVAL);
	assert_int_equal(nsh_check_name("."), -EINVAL);
	assert_int_equal(nsh_check_name(".."), -EINVAL);
	assert_int_equal(nsh_check_name("-x"), -EINVAL);
	assert_int_equal(nsh_check_name("a/b"), -EINVAL);
	assert_int_equal(nsh_check_name("a b"), -EINVAL);
	memset(longname, 'a', NSH_NAME_MAX - 1);
	longname[NSH_NAME_MAX - 1] = '\0';
	assert_int_equal(nsh_check_name(longname), 0);
	longname[NSH_NAME_MAX - 1] = 'a';
	longname[NSH_NAME_MAX] = '\0';
	assert_int_equal(nsh_check_name(longname), -EINVAL);
}

static void test_outer_name(void **state)
{
	char buf[NSH_IFNAME_MAX];

	(void)state;
	assert_int_equal(nsh_outer_name("vl3a9f", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vl3a9fe0");
	assert_int_equal(nsh_outer_name("vl3a9f", 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vl3a9fe7");
	/* The longest prefix with a two-digit index still fits IFNAMSIZ. */
	assert_int_equal(nsh_outer_name("abcdefghijkl", 99, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "abcdefghijkle99");
	assert_int_equal(strlen(buf), 15);

	assert_int_equal(nsh_outer_name("abcdefghijklm", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name("", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name(NULL, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name("a.b", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name("a/b", 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name("vl", -1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name("vl", 100, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nsh_outer_name("vl3a9f", 0, buf, 8), -ENAMETOOLONG);
}

/* A valid two-NIC router host. */
static void make_host(struct node *n)
{
	static const uint8_t mac0[6] = {0x02, 0, 0, 0, 0, 1};
	static const uint8_t mac1[6] = {0x02, 0, 0, 0, 0, 2};

	memset(n, 0, sizeof(*n));
	strcpy(n->name, "r1");
	n->kind = NODE_HOST;
	n->n_nics = 2;
	strcpy(n->nics[0].ifname, "eth0");
	memcpy(n->nics[0].mac, mac0, 6);
	n->nics[0].mtu = 9000;
	strcpy(n->nics[0].addrs[0], "10.0.1.1/24");
	strcpy(n->nics[0].addrs[1], "2001:db8:1::1/64");
	n->nics[0].n_addrs = 2;
	strcpy(n->nics[1].ifname, "eth1");
	memcpy(n->nics[1].mac, mac1, 6);
	strcpy(n->nics[1].addrs[0], "10.0.2.1/24");
	n->nics[1].n_addrs = 1;
	n->n_routes = 3;
	strcpy(n->routes[0].dst, "default");
	strcpy(n->routes[0].via, "10.0.1.254");
	strcpy(n->routes[1].dst, "192.168.0.0/16");
	strcpy(n->routes[1].via, "10.0.2.2");
	strcpy(n->routes[2].dst, "default");
	strcpy(n->routes[2].via, "2001:db8:1::fe");
	n->ip_forward = true;
}

static void test_check_node_ok(void **state)
{
	struct node n;
	char err[256] = "";

	(void)state;
	make_host(&n);
	assert_int_equal(nsh_check_node(&n, err, sizeof(err)), 0);
	n.n_nics = 0;
	n.n_routes = 0;
	assert_int_equal(nsh_check_node(&n, err, sizeof(err)), 0); /* isolated host */
	make_host(&n);
	memset(n.nics[1].mac, 0, 6); /* kernel picks one */
	assert_int_equal(nsh_check_node(&n, err, sizeof(err)), 0);
}

static void expect_bad(const struct node *n, const char *needle)
{
	char err[256] = "";

	assert_int_equal(nsh_check_node(n, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_check_node_bad(void **state)
{
	struct node n;

	(void)state;
	make_host(&n);
	n.kind = NODE_VM;
	expect_bad(&n, "not a namespace host");

	make_host(&n);
	n.n_nics = NODE_MAX_NICS + 1;
	expect_bad(&n, "NICs");

	make_host(&n);
	strcpy(n.nics[1].ifname, "eth0");
	expect_bad(&n, "eth0 used twice");

	make_host(&n);
	strcpy(n.nics[1].ifname, "lo");
	expect_bad(&n, "'lo'");

	make_host(&n);
	strcpy(n.nics[1].ifname, "a/b");
	expect_bad(&n, "'a/b'");

	make_host(&n);
	n.nics[1].ifname[0] = '\0';
	expect_bad(&n, "NIC 1");

	make_host(&n);
	n.nics[0].mac[0] = 0x01;
	expect_bad(&n, "multicast");

	make_host(&n);
	n.nics[0].mtu = 20;
	expect_bad(&n, "MTU 20");

	make_host(&n);
	strcpy(n.nics[1].addrs[0], "10.0.2.1");
	expect_bad(&n, "'10.0.2.1'");

	make_host(&n);
	strcpy(n.routes[1].dst, "192.168.0.1/16");
	expect_bad(&n, "host bits");

	make_host(&n);
	strcpy(n.routes[1].dst, "somewhere");
	expect_bad(&n, "'somewhere'");

	make_host(&n);
	strcpy(n.routes[1].via, "10.0.2.2/24");
	expect_bad(&n, "next hop");

	make_host(&n);
	strcpy(n.routes[1].dst, "2001:db8:9::/48");
	expect_bad(&n, "mixes IPv4 and IPv6");

	make_host(&n);
	n.n_routes = NODE_MAX_ROUTES + 1;
	expect_bad(&n, "routes");
}

static void test_route_nic(void **state)
{
	struct addr_cidr via;
	struct node n;

	(void)state;
	make_host(&n);
	assert_int_equal(addr_parse("10.0.1.254", &via), 0);
	assert_int_equal(nsh_route_nic(&n, &via), 0);
	assert_int_equal(addr_parse("10.0.2.2", &via), 0);
	assert_int_equal(nsh_route_nic(&n, &via), 1);
	assert_int_equal(addr_parse("2001:db8:1::fe", &via), 0);
	assert_int_equal(nsh_route_nic(&n, &via), 0);
	assert_int_equal(addr_parse("172.16.0.1", &via), 0);
	assert_int_equal(nsh_route_nic(&n, &via), -1);
	/* Link-local next hop: only unambiguous with one NIC. */
	assert_int_equal(addr_parse("fe80::1", &via), 0);
	assert_int_equal(nsh_route_nic(&n, &via), -1);
	n.n_nics = 1;
	assert_int_equal(nsh_route_nic(&n, &via), 0);
}

static void test_neigh_limits(void **state)
{
	long t2, t3;

	(void)state;
	/* the kernel's defaults hold a small lab: up to half the hard limit */
	assert_false(nsh_neigh_limits(0, 512, 1024, &t2, &t3));
	assert_int_equal(t2, 512);
	assert_int_equal(t3, 1024);
	assert_false(nsh_neigh_limits(-1, 512, 1024, &t2, &t3));
	assert_false(nsh_neigh_limits(512, 512, 1024, &t2, &t3));
	assert_true(nsh_neigh_limits(513, 512, 1024, &t2, &t3));
	assert_int_equal(t3, 513 + NSH_NEIGH_SPARE);
	/* 216 hosts on two networks (150 and 66) */
	assert_true(nsh_neigh_limits(150 * 150 + 66 * 66, 512, 1024, &t2, &t3));
	assert_int_equal(t3, 26856 + NSH_NEIGH_SPARE);
	assert_int_equal(t2, 26856 + NSH_NEIGH_SPARE / 2);
	/* never lowered: a larger soft limit stays, a large enough hard one too */
	assert_true(nsh_neigh_limits(5000, 100000, 2048, &t2, &t3));
	assert_int_equal(t2, 100000);
	assert_int_equal(t3, 5000 + NSH_NEIGH_SPARE);
	assert_false(nsh_neigh_limits(5000, 512, 10000, &t2, &t3));
	assert_int_equal(t3, 10000);
	assert_false(nsh_neigh_limits(5000, 512, 1 << 20, &t2, &t3));
	assert_int_equal(t3, 1 << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cidr_ipv4), cmocka_unit_test(test_parse_cidr_ipv6),
	    cmocka_unit_test(test_parse_addr),	    cmocka_unit_test(test_contains_and_network),
	    cmocka_unit_test(test_check_name),	    cmocka_unit_test(test_outer_name),
	    cmocka_unit_test(test_check_node_ok),   cmocka_unit_test(test_check_node_bad),
	    cmocka_unit_test(test_route_nic),	    cmocka_unit_test(test_neigh_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
