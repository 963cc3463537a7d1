/* Unit tests of policy matches (switch/policy/match.c): frames built here,
 * parsed with pkt_parse() as the datapath parses them, against matches at
 * their edges (/0, /32, /128, port ranges at 0 and 65535, one address family
 * against the other, non-IP frames, IP fragments, VLAN tags); which match
 * covers which (shadowed rules); token bucket accuracy with an injected
 * clock. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "pkt.h"

static uint8_t frame[256];
static struct pkt_meta meta;

/* Ethernet (+ optional VLAN) + IPv4 + UDP/TCP/ICMP header; returns frame length. */
static uint32_t ip4(const char *src, const char *dst, uint8_t proto, uint16_t sp, uint16_t dp,
		    bool vlan, uint16_t frag)
{
	uint8_t *p = frame;
	uint32_t a;

	memset(frame, 0, sizeof(frame));
	memcpy(p, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01", 12);
	p += 12;
	if (vlan) {
		memcpy(p, "\x81\x00\x00\x0a", 4); /* VLAN 10 */
		p += 4;
	}
	memcpy(p, "\x08\x00", 2);
	p += 2;
	p[0] = 0x45;
	p[3] = 60;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, &a);
	memcpy(p + 12, &a, 4);
	inet_pton(AF_INET, dst, &a);
	memcpy(p + 16, &a, 4);
	p += 20;
	p[0] = (uint8_t)(sp >> 8);
	p[1] = (uint8_t)sp;
	p[2] = (uint8_t)(dp >> 8);
	p[3] = (uint8_t)dp;
	if (proto == PKT_IP_TCP)
		p[13] = 0x02; /* SYN */
	memset(&meta, 0, sizeof(meta));
	pkt_parse(frame, (uint32_t)(p + 20 - frame), &meta);
	return (uint32_t)(p + 20 - frame);
}

static void ip6(const char *src, const char *dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	uint8_t *p = frame;

	memset(frame, 0, sizeof(frame));
	memcpy(p, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01\x86\xdd", 14);
	p += 14;
	p[0] = 0x60;
	p[5] = 20;
	p[6] = proto;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	p += 40;
	p[0] = (uint8_t)(sp >> 8);
	p[1] = (uint8_t)sp;
	p[2] = (uint8_t)(dp >> 8);
	p[3] = (uint8_t)dp;
	memset(&meta, 0, sizeof(meta));
	pkt_parse(frame, (uint32_t)(p + 20 - frame), &meta);
}

static struct pol_prefix pfx(int family, const char *a, uint8_t len)
{
	struct pol_prefix x = {.len = len};

	inet_pton(family, a, x.addr);
	return x;
}

static bool matches(const struct pol_match *r)
{
	return pol_match_frame(r, &meta, frame);
}

static void test_prefixes(void **state)
{
	struct pol_match any4 = {.fields = POL_F_IP_SRC, .ip_version = 4,
				 .src = pfx(AF_INET, "0.0.0.0", 0)};
	struct pol_match host = {.fields = POL_F_IP_DST, .ip_version = 4,
				 .dst = pfx(AF_INET, "10.0.0.2", 32)};
	struct pol_match net = {.fields = POL_F_IP_SRC, .ip_version = 4,
				.src = pfx(AF_INET, "10.0.0.0", 25)};
	struct pol_match any6 = {.fields = POL_F_IP_SRC, .ip_version = 6,
				 .src = pfx(AF_INET6, "::", 0)};
	struct pol_match host6 = {.fields = POL_F_IP_DST, .ip_version = 6,
				  .dst = pfx(AF_INET6, "fd00::2", 128)};

	ip4("10.0.0.1", "10.0.0.2", PKT_IP_UDP, 1, 2, false, 0);
	assert_true(matches(&any4));
	assert_true(matches(&host));
	assert_true(matches(&net));
	assert_false(matches(&any6)); /* another family, even with /0 */
	ip4("10.0.0.200", "10.0.0.3", PKT_IP_UDP, 1, 2, false, 0);
	assert_false(matches(&host));
	assert_false(matches(&net)); /* .200 is outside /25 */
	ip6("fd00::1", "fd00::2", PKT_IP_UDP, 1, 2);
	assert_true(matches(&any6));
	assert_true(matches(&host6));
	assert_false(matches(&any4));
	ip6("fd00::1", "fd00::3", PKT_IP_UDP, 1, 2);
	assert_false(matches(&host6));
}

static void test_ports_and_protocols(void **state)
{
	struct pol_match low = {.fields = POL_F_PROTO | POL_F_DPORT, .proto = PKT_IP_UDP,
				.dport_lo = 0, .dport_hi = 0};
	struct pol_match high = {.fields = POL_F_DPORT, .dport_lo = 65535, .dport_hi = 65535};
	struct pol_match range = {.fields = POL_F_SPORT, .sport_lo = 1000, .sport_hi = 2000};
	struct pol_match syn = {.fields = POL_F_TCP_FLAGS, .tcp_flags = 0x02, .tcp_mask = 0x12};
	struct pol_match echo = {.fields = POL_F_ICMP_TYPE, .icmp_type = 8};
	struct pol_match arp = {.fields = POL_F_ETHERTYPE, .ethertype = PKT_ETH_ARP};
	struct pol_match icmp = {.fields = POL_F_PROTO, .proto = PKT_IP_ICMP};

	ip4("10.0.0.1", "10.0.0.2", PKT_IP_UDP, 1000, 0, false, 0);
	assert_true(matches(&low));
	assert_true(matches(&range));
	assert_false(matches(&high));
	assert_false(matches(&syn)); /* not TCP */
	ip4("10.0.0.1", "10.0.0.2", PKT_IP_TCP, 2001, 65535, false, 0);
	assert_true(matches(&high));
	assert_false(matches(&range));
	assert_false(matches(&low)); /* UDP only */
	assert_true(matches(&syn));
	ip4("10.0.0.1", "10.0.0.2", PKT_IP_ICMP, 0x0800, 0, false, 0); /* type 8 code 0 */
	assert_true(matches(&echo));
	assert_true(matches(&icmp));
	assert_false(matches(&high)); /* ICMP has no ports */
	/* a non-first fragment has no L4 header: port and ICMP fields never match */
	ip4("10.0.0.1", "10.0.0.2", PKT_IP_UDP, 1000, 0, false, 100);
	assert_false(matches(&low));
	assert_false(matches(&range));
	assert_true(matches(&(struct pol_match){.fields = POL_F_PROTO, .proto = PKT_IP_UDP}));
	/* non-IP frames: only L2 fields match them */
	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\xff\xff\xff\xff\xff\xff\x52\x54\x00\x00\x00\x01\x08\x06", 14);
	memset(&meta, 0, sizeof(meta));
	pkt_parse(frame, 60, &meta);
	assert_true(matches(&arp));
	assert_false(matches(&icmp));
	assert_false(matches(&(struct pol_match){.fields = POL_F_IP_SRC, .ip_version = 4}));
	assert_true(matches(&(struct pol_match){0})); /* no field: every frame */
}

static void test_vlan_and_l2(void **state)
{
	struct pol_match v10 = {.fields = POL_F_VLAN, .vlan = 10};
	struct pol_match dst = {.fields = POL_F_ETH_DST, .eth_dst = 0x525400000002ull};
	struct pol_match udp = {.fields = POL_F_PROTO | POL_F_DPORT, .proto = PKT_IP_UDP,
				.dport_lo = 53, .dport_hi = 53};

	ip4("10.0.0.1", "10.0.0.2", PKT_IP_UDP, 5, 53, true, 0);
	assert_true(matches(&v10));
	assert_true(matches(&dst));
	assert_true(matches(&udp)); /* L3/L4 found behind the tag */
	ip4("10.0.0.1", "10.0.0.2", PKT_IP_UDP, 5, 53, false, 0);
	assert_false(matches(&v10));
	assert_true(matches(&udp));
}

static void test_covers(void **state)
{
	struct pol_match all = {0};
	struct pol_match net = {.fields = POL_F_IP_SRC, .ip_version = 4,
				.src = pfx(AF_INET, "10.0.0.0", 8)};
	struct pol_match host_tcp = {.fields = POL_F_IP_SRC | POL_F_PROTO | POL_F_DPORT,
				     .ip_version = 4, .src = pfx(AF_INET, "10.1.2.3", 32),
				     .proto = PKT_IP_TCP, .dport_lo = 80, .dport_hi = 80};
	struct pol_match other = {.fields = POL_F_IP_SRC, .ip_version = 4,
				  .src = pfx(AF_INET, "11.0.0.0", 8)};
	struct pol_match ports = {.fields = POL_F_DPORT, .dport_lo = 0, .dport_hi = 1023};
	struct pol_match six = {.fields = POL_F_IP_SRC, .ip_version = 6,
				.src = pfx(AF_INET6, "::", 0)};

	assert_true(pol_match_covers(&all, &host_tcp));
	assert_true(pol_match_covers(&net, &host_tcp));
	assert_false(pol_match_covers(&host_tcp, &net));
	assert_false(pol_match_covers(&other, &host_tcp));
	assert_true(pol_match_covers(&ports, &host_tcp));
	assert_false(pol_match_covers(&host_tcp, &ports));
	assert_false(pol_match_covers(&six, &net)); /* another family */
	assert_true(pol_match_covers(&net, &net));
}

static void test_bucket(void **state)
{
	struct pol_bucket b;
	uint64_t t = 5000000000ull, passed = 0;

	/* 1000 packets/s, burst 10: 10 at once, then one per millisecond */
	pol_bucket_init(&b, 1000, 10, t);
	for (int i = 0; i < 20; i++)
		passed += pol_bucket_take(&b, 1, t);
	assert_int_equal(passed, 10);
	/* a flood of one packet per 100 us for 10 s: 1000/s pass, +-1% */
	passed = 0;
	for (int i = 0; i < 100000; i++) {
		t += 100000;
		passed += pol_bucket_take(&b, 1, t);
	}
	assert_in_range(passed, 9900, 10100);
	/* bits: 10 Mbit/s, 1500-byte frames every 0.1 ms (120 Mbit/s offered) */
	pol_bucket_init(&b, 10000000, 15000 * 8, t);
	passed = 0;
	for (int i = 0; i < 100000; i++) {
		t += 100000;
		passed += pol_bucket_take(&b, 1500 * 8, t) ? 1500 * 8 : 0;
	}
	/* 10 s at 10 Mbit/s, plus the burst */
	assert_in_range(passed, 99000000, 101200000);
	/* a clock that stands still or goes back gives nothing */
	assert_false(pol_bucket_take(&b, 1500 * 8, t - 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_ports_and_protocols),
	    cmocka_unit_test(test_vlan_and_l2),
	    cmocka_unit_test(test_covers),
	    cmocka_unit_test(test_bucket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
