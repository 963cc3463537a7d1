/* Unit tests for vmhost/gcfg.c: the vlab.* kernel command line of the
 * built-in guest image (format, canonical addresses, validation, -ENOSPC
 * without partial output). Single-threaded, no I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gcfg.h"

static void nic_init(struct node_nic *nic, const char *ifname, uint8_t last)
{
	const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, last};

	memset(nic, 0, sizeof(*nic));
	strcpy(nic->ifname, ifname);
	memcpy(nic->mac, mac, 6);
}

static void nic_addr(struct node_nic *nic, const char *addr)
{
	strcpy(nic->addrs[nic->n_addrs++], addr);
}

static void route_add(struct node *n, const char *dst, const char *via)
{
	strcpy(n->routes[n->n_routes].dst, dst);
	strcpy(n->routes[n->n_routes].via, via);
	n->n_routes++;
}

/* r1: two NICs, v4 + v6, a default route, a v6 route, forwarding on. */
static void node_router(struct node *n)
{
	memset(n, 0, sizeof(*n));
	strcpy(n->name, "r1");
	nic_init(&n->nics[0], "eth0", 0x01);
	nic_addr(&n->nics[0], "10.0.0.1/24");
	nic_addr(&n->nics[0], "2001:DB8:0:0::1/64");
	nic_init(&n->nics[1], "wan", 0xAB);
	n->nics[1].mtu = 9000;
	nic_addr(&n->nics[1], "192.0.2.2/30");
	n->n_nics = 2;
	route_add(n, "default", "192.0.2.1");
	route_add(n, "2001:db8:1::/48", "2001:db8::fe");
	n->ip_forward = true;
}

static void test_full(void **state)
{
	struct node n;
	char buf[1024];

	node_router(&n);
	assert_int_equal(gcfg_cmdline(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlab.host=r1"
				 " vlab.nic=52:54:00:12:34:01,eth0,0,10.0.0.1/24,2001:db8::1/64"
				 " vlab.nic=52:54:00:12:34:ab,wan,9000,192.0.2.2/30"
				 " vlab.route=default,192.0.2.1"
				 " vlab.route=2001:db8:1::/48,2001:db8::fe"
				 " vlab.fwd=1");
}

static void test_minimal(void **state)
{
	struct node n;
	char buf[128];

	memset(&n, 0, sizeof(n));
	strcpy(n.name, "h-1.a_b");
	assert_int_equal(gcfg_cmdline(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlab.host=h-1.a_b vlab.fwd=0");

	nic_init(&n.nics[0], "eth0", 2);
	n.n_nics = 1;
	assert_int_equal(gcfg_cmdline(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlab.host=h-1.a_b vlab.nic=52:54:00:12:34:02,eth0,0 vlab.fwd=0");

	route_add(&n, "default", "fe80::1");
	assert_int_equal(gcfg_cmdline(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlab.host=h-1.a_b vlab.nic=52:54:00:12:34:02,eth0,0"
				 " vlab.route=default,fe80::1 vlab.fwd=0");
}

static void test_enospc(void **state)
{
	struct node n;
	char buf[1024];
	size_t need;

	node_router(&n);
	assert_int_equal(gcfg_cmdline(&n, buf, sizeof(buf)), 0);
	need = strlen(buf) + 1;

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(gcfg_cmdline(&n, buf, need - 1), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(gcfg_cmdline(&n, buf, need), 0);
	assert_int_equal(strlen(buf) + 1, need);
	assert_int_equal(gcfg_cmdline(&n, buf, 0), -ENOSPC);
}

static void test_limit(void **state)
{
	static char big[8192];
	struct node n;

	/* 8 NICs x 4 IPv6 addresses + 16 IPv6 routes exceed the kernel's budget. */
	memset(&n, 0, sizeof(n));
	strcpy(n.name, "big");
	for (int i = 0; i < NODE_MAX_NICS; i++) {
		char ifn[16];

		snprintf(ifn, sizeof(ifn), "ethernet%d", i);
		nic_init(&n.nics[i], ifn, (uint8_t)i + 1);
		for (int j = 0; j < NODE_MAX_ADDRS; j++) {
			char a[NODE_ADDR_MAX];

			snprintf(a, sizeof(a), "2001:db8:%x:%x:1111:2222:3333:4444/64", i, j);
			nic_addr(&n.nics[i], a);
		}
	}
	n.n_nics = NODE_MAX_NICS;
	for (int i = 0; i < NODE_MAX_ROUTES; i++) {
		char d[NODE_ADDR_MAX];

		snprintf(d, sizeof(d), "2001:db8:ffff:%x::/64", i);
		route_add(&n, d, "2001:db8:0:0:1111:2222:3333:5555");
	}
	assert_int_equal(gcfg_cmdline(&n, big, sizeof(big)), -ENOSPC);
	assert_string_equal(big, "");
}

/* Each mutation must be rejected with -EINVAL, an empty buffer and a message. */
static void expect_invalid(struct node *n, const char *msg_part)
{
	char buf[1024], err[256];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(gcfg_cmdline(n, buf, sizeof(buf)), -EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(gcfg_validate(n, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg_part))
		fail_msg("error '%s' does not mention '%s'", err, msg_part);
}

static void test_invalid(void **state)
{
	static const char *bad_cidrs[] = {
	    "10.0.0.1",	     "10.0.0.1/33", "10.0.0.1/",      "10.0.0/24",	 "10.0.0.1/2x",
	    "/24",	     "2001:db8::1", "2001:db8::/129", "fe80::1%eth0/64", "10.0.0.1/+8",
	    "10.0.0.1/0008", "a b/24",	    "10.0.0.1/24,x",
	};
	struct node n;
	char err[256];

	node_router(&n);
	assert_int_equal(gcfg_validate(&n, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	for (size_t i = 0; i < sizeof(bad_cidrs) / sizeof(bad_cidrs[0]); i++) {
		node_router(&n);
		strcpy(n.nics[0].addrs[1], bad_cidrs[i]);
		expect_invalid(&n, "bad address");
	}

	node_router(&n);
	n.name[0] = '\0';
	expect_invalid(&n, "node name");
	node_router(&n);
	strcpy(n.name, "a b");
	expect_invalid(&n, "node name");
	node_router(&n);
	memset(n.name, 'a', sizeof(n.name)); /* not terminated */
	expect_invalid(&n, "node name");

	node_router(&n);
	strcpy(n.nics[1].ifname, "eth,1");
	expect_invalid(&n, "interface name");
	node_router(&n);
	memset(n.nics[1].ifname, 'e', sizeof(n.nics[1].ifname));
	expect_invalid(&n, "interface name");
	node_router(&n);
	strcpy(n.nics[1].ifname, "..");
	expect_invalid(&n, "interface name");
	node_router(&n);
	strcpy(n.nics[1].ifname, "eth0");
	expect_invalid(&n, "used twice");

	node_router(&n);
	n.nics[1].mac[5] = n.nics[0].mac[5];
	expect_invalid(&n, "same MAC");
	node_router(&n);
	n.nics[0].mac[0] = 0x01;
	expect_invalid(&n, "multicast");
	node_router(&n);
	memset(n.nics[0].mac, 0, 6);
	expect_invalid(&n, "00:00:00:00:00:00");

	node_router(&n);
	n.nics[0].mtu = 67;
	expect_invalid(&n, "MTU");
	node_router(&n);
	n.nics[0].mtu = 65536;
	expect_invalid(&n, "MTU");
	node_router(&n);
	n.nics[0].n_addrs = NODE_MAX_ADDRS + 1;
	expect_invalid(&n, "addresses");
	node_router(&n);
	n.n_nics = NODE_MAX_NICS + 1;
	expect_invalid(&n, "NICs");
	node_router(&n);
	n.n_routes = -1;
	expect_invalid(&n, "routes");

	node_router(&n);
	strcpy(n.routes[0].via, "192.0.2.1/32");
	expect_invalid(&n, "next hop");
	node_router(&n);
	n.routes[0].via[0] = '\0';
	expect_invalid(&n, "next hop");
	node_router(&n);
	strcpy(n.routes[1].dst, "2001:db8:1::1/48");
	expect_invalid(&n, "host bits");
	node_router(&n);
	strcpy(n.routes[1].dst, "10.9.0.0/16");
	expect_invalid(&n, "is IPv6, destination is IPv4");
	node_router(&n);
	strcpy(n.routes[1].dst, "nowhere");
	expect_invalid(&n, "bad destination");
}

static void test_edge_ok(void **state)
{
	struct node n;
	char buf[512];

	node_router(&n);
	n.nics[0].mtu = 68;
	n.nics[1].mtu = 65535;
	strcpy(n.nics[1].ifname, "abcdefghijklmno"); /* 15 chars */
	strcpy(n.routes[0].dst, "0.0.0.0/0");
	strcpy(n.routes[1].dst, "::/0");
	n.ip_forward = false;
	assert_int_equal(gcfg_cmdline(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlab.host=r1"
				 " vlab.nic=52:54:00:12:34:01,eth0,68,10.0.0.1/24,2001:db8::1/64"
				 " vlab.nic=52:54:00:12:34:ab,abcdefghijklmno,65535,192.0.2.2/30"
				 " vlab.route=0.0.0.0/0,192.0.2.1"
				 " vlab.route=::/0,2001:db8::fe"
				 " vlab.fwd=0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),    cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_enospc),  cmocka_unit_test(test_limit),
	    cmocka_unit_test(test_invalid), cmocka_unit_test(test_edge_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
