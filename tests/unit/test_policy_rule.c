/* Unit tests of policy rules in the API's form (switch/policy/rule.c):
 * every key parsed into the match it stands for; values (rates, bursts,
 * prefixes at /0 /32 /128, port ranges at 0 and 65535, TCP flags); lists of
 * addresses expanded per family; each kind of bad rule rejected with the
 * rule and key named; shadowed rules found (and count/mirror rules never
 * shadowing). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rule.h"

static char msg[256];

static int parse(const char *text, struct pol_set *s, size_t *bad_rule, const char **bad_key)
{
	static json_t *last; /* *bad_key and u[].json point into it: kept until the next call */
	json_error_t e;

	json_decref(last);
	last = json_loads(text, 0, &e);
	assert_non_null(last);
	return pol_set_parse(last, s, bad_rule, bad_key, msg, sizeof(msg));
}

static void test_values(void **state)
{
	uint64_t rate, burst;
	bool bits;
	struct pol_prefix p;
	uint8_t v, f, m;

	(void)state;
	assert_int_equal(pol_parse_rate("1000pps", &rate, &bits), 0);
	assert_int_equal(rate, 1000);
	assert_false(bits);
	assert_int_equal(pol_parse_rate("10kpps", &rate, &bits), 0);
	assert_int_equal(rate, 10000);
	assert_int_equal(pol_parse_rate("10mbit", &rate, &bits), 0);
	assert_int_equal(rate, 10000000);
	assert_true(bits);
	assert_int_equal(pol_parse_rate("1gbit", &rate, &bits), 0);
	assert_int_equal(rate, 1000000000);
	assert_int_equal(pol_parse_rate("0pps", &rate, &bits), -EINVAL);
	assert_int_equal(pol_parse_rate("10", &rate, &bits), -EINVAL);
	assert_int_equal(pol_parse_rate("10 mbit", &rate, &bits), -EINVAL);
	assert_int_equal(pol_parse_rate("99999999999999999999pps", &rate, &bits), -EINVAL);
	assert_int_equal(pol_parse_rate("18446744073709551gbit", &rate, &bits), -EINVAL);

	assert_int_equal(pol_parse_burst("50", false, &burst), 0);
	assert_int_equal(burst, 50);
	assert_int_equal(pol_parse_burst("32kb", true, &burst), 0);
	assert_int_equal(burst, 32 * 1024 * 8);
	assert_int_equal(pol_parse_burst("32kb", false, &burst), -EINVAL);
	assert_int_equal(pol_parse_burst("0", false, &burst), -EINVAL);
	assert_int_equal(pol_default_burst(1000, false), 20);
	assert_int_equal(pol_default_burst(10, false), 1);
	assert_int_equal(pol_default_burst(1000, true), 2 * 1518 * 8);

	assert_int_equal(pol_parse_prefix("10.1.2.3", &p, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(p.len, 32);
	assert_int_equal(pol_parse_prefix("10.1.2.3/24", &p, &v), 0);
	assert_int_equal(p.len, 24);
	assert_int_equal(p.addr[3], 0); /* host bits off */
	assert_int_equal(pol_parse_prefix("0.0.0.0/0", &p, &v), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(pol_parse_prefix("fd00::1", &p, &v), 0);
	assert_int_equal(v, 6);
	assert_int_equal(p.len, 128);
	assert_int_equal(pol_parse_prefix("::/0", &p, &v), 0);
	assert_int_equal(pol_parse_prefix("10.0.0.0/33", &p, &v), -EINVAL);
	assert_int_equal(pol_parse_prefix("fd00::/129", &p, &v), -EINVAL);
	assert_int_equal(pol_parse_prefix("10.0.0/8", &p, &v), -EINVAL);
	assert_int_equal(pol_parse_prefix("/8", &p, &v), -EINVAL);
	assert_int_equal(pol_parse_prefix("a1", &p, &v), -EINVAL);

	assert_int_equal(pol_parse_tcp_flags("syn,!ack", &f, &m), 0);
	assert_int_equal(f, 0x02);
	assert_int_equal(m, 0x12);
	assert_int_equal(pol_parse_tcp_flags("fin|rst", &f, &m), 0);
	assert_int_equal(f, 0x05);
	assert_int_equal(pol_parse_tcp_flags("syn,bogus", &f, &m), -EINVAL);
	assert_int_equal(pol_parse_tcp_flags("", &f, &m), -EINVAL);
}

static void test_fields(void **state)
{
	struct pol_set s;
	const struct pol_match *m;

	(void)state;
	assert_int_equal(parse("[{\"action\": \"allow\", \"eth_src\": \"52:54:00:00:00:01\","
			       " \"ethertype\": \"ipv4\", \"vlan\": 10, \"src\": \"10.0.0.0/8\","
			       " \"dst\": \"10.1.0.1\", \"proto\": \"tcp\", \"sport\": \"0-1023\","
			       " \"dport\": 65535, \"tcp_flags\": \"syn\", \"stateful\": true}]",
			       &s, NULL, NULL),
			 0);
	assert_int_equal(s.n_u, 1);
	assert_int_equal(s.n_r, 1);
	m = &s.r[0].m;
	assert_int_equal(m->fields, POL_F_ETH_SRC | POL_F_ETHERTYPE | POL_F_VLAN | POL_F_IP_SRC |
					    POL_F_IP_DST | POL_F_PROTO | POL_F_SPORT | POL_F_DPORT |
					    POL_F_TCP_FLAGS);
	assert_int_equal(m->eth_src, 0x525400000001ull);
	assert_int_equal(m->ethertype, 0x0800);
	assert_int_equal(m->vlan, 10);
	assert_int_equal(m->ip_version, 4);
	assert_int_equal(m->src.len, 8);
	assert_int_equal(m->dst.len, 32);
	assert_int_equal(m->proto, 6);
	assert_int_equal(m->sport_lo, 0);
	assert_int_equal(m->sport_hi, 1023);
	assert_int_equal(m->dport_lo, 65535);
	assert_int_equal(m->dport_hi, 65535);
	assert_int_equal(s.u[0].flags, POL_R_STATEFUL);
	assert_int_equal(s.r[0].action, POL_A_ALLOW);
	pol_set_free(&s);

	assert_int_equal(parse("[{\"action\": \"rate-limit\", \"proto\": \"udp\", \"rate\": "
			       "\"1000pps\"}, {\"action\": \"rate-limit\", \"rate\": \"10mbit\", "
			       "\"burst\": \"64kb\"}, {\"action\": \"allow\", \"proto\": "
			       "\"icmp\", \"icmp_type\": 8, \"icmp_code\": 0}, {\"action\": "
			       "\"count\", \"ethertype\": \"0x88cc\"}, {\"action\": \"drop\", "
			       "\"proto\": 132}]",
			       &s, NULL, NULL),
			 0);
	assert_int_equal(s.n_u, 5);
	assert_int_equal(s.u[0].rate, 1000);
	assert_int_equal(s.u[0].burst, 20);
	assert_false(s.u[0].rate_bits);
	assert_true(s.u[1].rate_bits);
	assert_int_equal(s.u[1].burst, 64 * 1024 * 8);
	assert_int_equal(s.r[2].m.fields, POL_F_PROTO | POL_F_ICMP_TYPE | POL_F_ICMP_CODE);
	assert_int_equal(s.r[3].m.ethertype, 0x88cc);
	assert_int_equal(s.r[4].m.proto, 132);
	pol_set_free(&s);
}

static void test_lists(void **state)
{
	struct pol_set s;

	(void)state;
	/* a node with an IPv4 and an IPv6 address on each side: 2 matches, not 4 */
	assert_int_equal(parse("[{\"action\": \"drop\"}, {\"action\": \"allow\", \"src\": "
			       "[\"10.0.0.1\", \"fd00::1\"], \"dst\": [\"10.0.0.2\", "
			       "\"fd00::2\"]}]",
			       &s, NULL, NULL),
			 0);
	assert_int_equal(s.n_u, 2);
	assert_int_equal(s.n_r, 3);
	assert_int_equal(s.u[1].first, 1);
	assert_int_equal(s.u[1].n, 2);
	assert_int_equal(s.r[1].id, 1);
	assert_int_equal(s.r[1].m.ip_version, 4);
	assert_int_equal(s.r[2].m.ip_version, 6);
	pol_set_free(&s);
}

static void bad(const char *text, size_t want_rule, const char *want_key, const char *want_msg)
{
	struct pol_set s;
	size_t r = 99;
	const char *k = "unset";

	assert_int_equal(parse(text, &s, &r, &k), -EINVAL);
	assert_int_equal(r, want_rule);
	if (want_key == NULL)
		assert_null(k);
	else
		assert_string_equal(k, want_key);
	if (strstr(msg, want_msg) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", msg, want_msg);
	assert_null(s.u);
	assert_null(s.r);
}

static void test_errors(void **state)
{
	(void)state;
	bad("[{\"proto\": \"tcp\"}]", 0, NULL, "rule 1: no \"action\"");
	bad("[{\"action\": \"allow\"}, {\"action\": \"permit\"}]", 1, "action",
	    "must be one of allow");
	bad("[{\"action\": \"allow\", \"dprot\": 80}]", 0, "dprot", "unknown key; rules take");
	bad("[{\"action\": \"allow\", \"proto\": \"tcp\", \"dport\": 65536}]", 0, "dport",
	    "0-65535");
	bad("[{\"action\": \"allow\", \"proto\": \"tcp\", \"dport\": \"90-80\"}]", 0, "dport",
	    "range");
	bad("[{\"action\": \"allow\", \"proto\": \"icmp\", \"dport\": 80}]", 0, "dport",
	    "ports need proto tcp or udp");
	bad("[{\"action\": \"allow\", \"icmp_type\": 8}]", 0, "icmp_type", "needs proto icmp");
	bad("[{\"action\": \"allow\", \"src\": \"10.0.0.300\"}]", 0, "src", "not an address");
	bad("[{\"action\": \"allow\", \"dst\": [\"10.0.0.1\", 5]}]", 0, "dst", "item 2");
	bad("[{\"action\": \"allow\", \"src\": \"10.0.0.1\", \"dst\": \"fd00::1\"}]", 0, "dst",
	    "same family");
	bad("[{\"action\": \"drop\", \"stateful\": true}]", 0, "stateful", "only an allow");
	bad("[{\"action\": \"rate-limit\"}]", 0, NULL, "needs \"rate\"");
	bad("[{\"action\": \"allow\", \"rate\": \"10pps\"}]", 0, "rate", "only a rate-limit");
	bad("[{\"action\": \"rate-limit\", \"rate\": \"fast\"}]", 0, "rate", "1000pps");
	bad("[{\"action\": \"rate-limit\", \"rate\": \"10pps\", \"burst\": \"2kb\"}]", 0, "burst",
	    "number of packets");
	bad("[{\"action\": \"allow\", \"vlan\": 4096}]", 0, "vlan", "0 to 4095");
	bad("[{\"action\": \"allow\", \"ethertype\": 5}]", 0, "ethertype", "0x0600");
	bad("[{\"action\": \"allow\", \"eth_dst\": \"nope\"}]", 0, "eth_dst", "MAC address");
	bad("[{\"action\": \"allow\", \"tcp_flags\": \"sin\"}]", 0, "tcp_flags", "syn,!ack");
	bad("[{\"action\": \"allow\", \"name\": \"\"}]", 0, "name", "label");
	bad("[5]", 0, NULL, "must be an object");
}

static void test_shadowed(void **state)
{
	struct pol_set s;

	(void)state;
	assert_int_equal(parse("[{\"action\": \"count\"},"
			       " {\"action\": \"allow\", \"proto\": \"tcp\"},"
			       " {\"action\": \"drop\", \"proto\": \"tcp\", \"dport\": 80},"
			       " {\"action\": \"mirror\", \"proto\": \"udp\"},"
			       " {\"action\": \"drop\", \"proto\": \"udp\", \"dport\": 53},"
			       " {\"action\": \"allow\", \"src\": \"10.0.0.0/8\"},"
			       " {\"action\": \"drop\", \"src\": [\"10.1.0.1\", \"fd00::1\"]},"
			       " {\"action\": \"drop\", \"src\": [\"10.1.0.2\", \"10.2.0.0/16\"]}]",
			       &s, NULL, NULL),
			 0);
	assert_int_equal(pol_set_shadowed_by(&s, 1), -1); /* count never shadows */
	assert_int_equal(pol_set_shadowed_by(&s, 2), 1);
	assert_int_equal(pol_set_shadowed_by(&s, 4), -1); /* mirror never shadows */
	assert_int_equal(pol_set_shadowed_by(&s, 6), -1); /* its IPv6 match still can match */
	assert_int_equal(pol_set_shadowed_by(&s, 7), 5);  /* both of its matches covered */
	pol_set_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values), cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_lists),  cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_shadowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
