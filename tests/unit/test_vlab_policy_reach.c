/* Unit tests of pingall's expectations under policies (reach.c over
 * polreach.c): the frames of a ping, a TCP connection and a UDP exchange
 * judged by the switch's classifier and connection table on their path —
 * ARP, directions, ports and networks, a router, stateful replies, count,
 * reject, rate-limit, expect: over policies — and the words and scripts of
 * pingall's probes (pingprobe.c). Pure; cmocka's thread. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pingall.h"
#include "reach.h"
#include "topo.h"

static const char base[] =
    "name: pr\n"
    "networks:\n"
    "  red: { subnet: 10.0.0.0/24 }\n"
    "  blue: { subnet: 10.1.0.0/24 }\n"
    "nodes:\n"
    "  a1: { kind: host, interfaces: [ { network: red } ], routes: [ { to: 10.1.0.0/24, via: "
    "10.0.0.254 } ] }\n"
    "  a2: { kind: host, interfaces: [ { network: red } ] }\n"
    "  r1: { kind: host, forward: true, interfaces: [ { network: red, ip: 10.0.0.254/24 }, { "
    "network: blue, ip: 10.1.0.254/24 } ] }\n"
    "  b1: { kind: host, interfaces: [ { network: blue } ], routes: [ { to: default, via: "
    "10.1.0.254 } ] }\n";

static struct topo *lab(const char *policies)
{
	struct topo *t = topo_new();
	struct topo_errors *e = calloc(1, sizeof(*e));
	char *text = malloc(strlen(base) + strlen(policies) + 1);

	assert_non_null(t);
	assert_non_null(e);
	strcpy(text, base);
	strcat(text, policies);
	if (topo_parse(text, strlen(text), t, e) != 0)
		fail_msg("does not parse: %d:%d: %s", e->e[0].line, e->e[0].col, e->e[0].msg);
	free(text);
	free(e);
	return t;
}

/* The matrix cell from node `from` to address `addr`, for `probe`. */
static struct reach_cell cell(const struct topo *t, const struct reach_probe *probe,
			      const char *from, const char *addr)
{
	struct reach_cell *cells, c;
	int n = reach_matrix_alloc_probe(t, probe, &cells), s = topo_node_find(t, from);

	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		if (cells[i].src_node == s && !strcmp(cells[i].addr, addr)) {
			c = cells[i];
			free(cells);
			return c;
		}
	fail_msg("no cell %s -> %s", from, addr);
	return c;
}

static bool expect(const struct topo *t, const struct reach_probe *p, const char *from,
		   const char *addr)
{
	return cell(t, p, from, addr).expect;
}

static const struct reach_probe ping = {POLREACH_ICMP, 0};

static void test_no_policies(void **state)
{
	struct topo *t = lab("");

	assert_true(expect(t, &ping, "a1", "10.0.0.2"));
	assert_true(expect(t, &ping, "a1", "10.1.0.1"));
	assert_true(reach_expected(t, 0, 1, "10.0.0.2"));
	topo_free(t);
}

static void test_reply_and_stateful(void **state)
{
	struct topo *t = lab("policies:\n"
			     "  red-in:\n"
			     "    apply: [ { network: red, direction: in } ]\n"
			     "    default: drop\n"
			     "    rules:\n"
			     "      - { action: allow, ethertype: arp }\n"
			     "      - { action: allow, proto: icmp, src: a1 }\n");
	struct reach_cell c = cell(t, &ping, "a1", "10.0.0.2");
	char why[256];

	/* the request passes, a2's reply meets the default */
	assert_false(c.expect);
	assert_int_equal(c.policy, 0);
	assert_int_equal(c.rule, -1);
	assert_int_equal(c.frame, POLREACH_F_REPLY);
	assert_false(c.policy_out);
	assert_string_equal(pingall_why(t, &c, &ping, why, sizeof(why)),
			    "policy red-in: its default (drop) stops the echo reply entering the "
			    "switch from a2:eth0");
	assert_false(reach_expected(t, 0, 1, "10.0.0.2"));
	topo_free(t);

	/* stateful: the reply belongs to the connection the rule allowed */
	t = lab("policies:\n"
		"  red-in:\n"
		"    apply: [ { network: red, direction: in } ]\n"
		"    default: drop\n"
		"    rules:\n"
		"      - { action: allow, ethertype: arp }\n"
		"      - { action: allow, proto: icmp, src: a1, stateful: true }\n");
	assert_true(expect(t, &ping, "a1", "10.0.0.2"));
	assert_false(expect(t, &ping, "a2", "10.0.0.1"));
	/* over the router: the reply comes into red from r1 */
	assert_true(expect(t, &ping, "a1", "10.1.0.1"));
	assert_false(expect(t, &ping, "b1", "10.0.0.1"));
	topo_free(t);
}

static void test_arp(void **state)
{
	struct topo *t = lab("policies:\n"
			     "  no-arp: { apply: [ { node: a2, direction: out } ], rules: [ { "
			     "action: drop, ethertype: arp } ] }\n");
	struct reach_cell c = cell(t, &ping, "a1", "10.0.0.2");
	char why[256];

	assert_false(c.expect);
	assert_int_equal(c.frame, POLREACH_F_ARP_REQUEST);
	assert_int_equal(c.rule, 0);
	assert_true(c.policy_out);
	assert_string_equal(pingall_why(t, &c, &ping, why, sizeof(why)),
			    "policy no-arp: rule 1 (drop) stops the ARP request leaving the switch "
			    "towards a2:eth0");
	/* a2 asks for a1: its request goes out, a1's answer does not come in */
	c = cell(t, &ping, "a2", "10.0.0.1");
	assert_false(c.expect);
	assert_int_equal(c.frame, POLREACH_F_ARP_REPLY);
	assert_true(expect(t, &ping, "a1", "10.0.0.254"));
	topo_free(t);
}

static void test_router_path(void **state)
{
	/* blue's out policy on the router's port: a1's request towards b1
	 * leaves the switch towards b1 on blue; r1 itself is not on the way
	 * from a1 to a2 */
	struct topo *t = lab("policies:\n"
			     "  blue-out: { apply: [ { network: blue, direction: out } ], rules: [ "
			     "{ action: reject, proto: icmp, src: red } ] }\n");
	struct reach_cell c = cell(t, &ping, "a1", "10.1.0.1");

	assert_false(c.expect);
	assert_int_equal(c.frame, POLREACH_F_REQUEST);
	assert_int_equal(c.policy_node, topo_node_find(t, "b1"));
	assert_true(expect(t, &ping, "a1", "10.0.0.2"));
	/* b1 -> a1: the reply from a1 (src red) leaves towards b1 on blue */
	c = cell(t, &ping, "b1", "10.0.0.1");
	assert_false(c.expect);
	assert_int_equal(c.frame, POLREACH_F_REPLY);
	topo_free(t);
}

static void test_tcp_udp(void **state)
{
	struct topo *t =
	    lab("policies:\n"
		"  web:\n"
		"    apply: [ { node: a2, direction: both } ]\n"
		"    default: drop\n"
		"    rules:\n"
		"      - { action: count }\n"
		"      - { action: allow, ethertype: arp }\n"
		"      - { action: rate-limit, proto: udp, dport: 53, rate: 10pps }\n"
		"      - { action: allow, proto: tcp, dport: 80, stateful: true }\n"
		"      - { action: allow, proto: tcp, dport: 22, tcp_flags: \"syn,!ack\" "
		"}\n");
	struct reach_probe web = {POLREACH_TCP, 80}, ssh = {POLREACH_TCP, 22},
			   other = {POLREACH_TCP, 81}, dns = {POLREACH_UDP, 53},
			   udp = {POLREACH_UDP, 54};
	struct reach_cell c;
	char why[256];

	assert_true(expect(t, &web, "a1", "10.0.0.2"));
	assert_false(expect(t, &other, "a1", "10.0.0.2"));
	/* the SYN passes in and out; the SYN+ACK meets the default coming in */
	c = cell(t, &ssh, "a1", "10.0.0.2");
	assert_false(c.expect);
	assert_int_equal(c.frame, POLREACH_F_REPLY);
	assert_string_equal(pingall_why(t, &c, &ssh, why, sizeof(why)),
			    "policy web: its default (drop) stops the SYN+ACK entering the switch "
			    "from a2:eth0");
	/* the rate-limit passes the request; its answer, from port 53, meets
	 * the default */
	c = cell(t, &dns, "a1", "10.0.0.2");
	assert_false(c.expect);
	assert_int_equal(c.frame, POLREACH_F_REPLY);
	assert_false(expect(t, &udp, "a1", "10.0.0.2"));
	assert_false(expect(t, &ping, "a1", "10.0.0.2"));
	assert_true(expect(t, &ping, "a1", "10.0.0.254"));
	topo_free(t);
}

static void test_port_and_network(void **state)
{
	/* both apply, the port's first: a frame must pass both */
	struct topo *t = lab("policies:\n"
			     "  port: { apply: [ { port: \"a2:eth0\", direction: in } ], rules: [ "
			     "{ action: allow, proto: icmp } ] }\n"
			     "  net: { apply: [ { network: red, direction: in } ], rules: [ { "
			     "action: drop, proto: icmp, src: a2 } ] }\n"
			     "expect:\n"
			     "  - { from: a1, to: r1, reach: false }\n");
	struct reach_cell c = cell(t, &ping, "a2", "10.0.0.1");

	assert_false(c.expect);
	assert_int_equal(c.policy, topo_policy_find(t, "net"));
	assert_int_equal(c.frame, POLREACH_F_REQUEST);
	/* expect: wins over what the policies say */
	assert_false(expect(t, &ping, "a1", "10.0.0.254"));
	assert_true(cell(t, &ping, "a1", "10.0.0.254").overridden);
	topo_free(t);
}

static void test_probe_scripts(void **state)
{
	struct reach_probe tcp = {POLREACH_TCP, 80}, udp = {POLREACH_UDP, 5353};
	char buf[PINGALL_SCRIPT_MAX * 2];

	assert_string_equal(pingall_probe_name(NULL, buf, sizeof(buf)), "pings");
	assert_string_equal(pingall_probe_name(&tcp, buf, sizeof(buf)),
			    "TCP connections to port 80");
	assert_string_equal(pingall_probe_name(&udp, buf, sizeof(buf)),
			    "UDP exchanges with port 5353");
	assert_int_equal(pingall_probe_script(&tcp, 1, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "timeout 2 busybox nc -w 1 \"$a\" 80"));
	assert_int_equal(pingall_probe_script(&udp, 2, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, PINGALL_NO_TOOL));
	assert_non_null(strstr(buf, "timeout 3 socat -T 2 -t 2 - UDP4-DATAGRAM:\"$a\":5353"));
	assert_int_equal(pingall_probe_script(&udp, 2, buf, 40), -ENOSPC);
	assert_int_equal(pingall_probe_script(NULL, 1, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "ping -c 1 -W 1"));
	assert_int_equal(pingall_listen_script(&tcp, "/tmp/x.pid", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "busybox nc -ll -p 80 -e cat"));
	assert_non_null(strstr(buf, "echo $! > /tmp/x.pid"));
	assert_int_equal(pingall_listen_script(&udp, "/tmp/x.pid", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "socat -T 1 UDP4-RECVFROM:5353,fork PIPE"));
	assert_int_equal(pingall_unlisten_script("/tmp/x.pid", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "kill $(cat /tmp/x.pid)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_policies),	  cmocka_unit_test(test_reply_and_stateful),
	    cmocka_unit_test(test_arp),		  cmocka_unit_test(test_router_path),
	    cmocka_unit_test(test_tcp_udp),	  cmocka_unit_test(test_port_and_network),
	    cmocka_unit_test(test_probe_scripts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
