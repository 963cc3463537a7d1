/* Unit tests of the header parser (switch/core/pkt.h: Ethernet at receive
 * time, L3/L4 on demand) and checksum completion
 * (switch/port/csum.c): every field for IPv4/IPv6 TCP, UDP and ICMP frames,
 * VLAN tags, fragments, IPv6 extension headers, truncated and malformed
 * frames (never read past the length), the flow hash, and checksums that
 * match the reference computation (and the kernel's, via known frames). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csum.h"
#include "pkt.h"

#define MAC_D 0x020000000002ull
#define MAC_S 0x020000000001ull

/* Builds Ethernet [+ VLAN] + IPv4 + L4 into buf; returns the length. */
static uint32_t build_ipv4(uint8_t *buf, bool vlan, uint8_t proto, uint16_t sport,
			   uint16_t dport, uint32_t payload, uint16_t frag)
{
	uint32_t off = 0, l4len;
	uint8_t mac[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};

	memcpy(buf, mac, 12);
	off = 12;
	if (vlan) {
		buf[off++] = 0x81;
		buf[off++] = 0x00;
		buf[off++] = 0x20; /* PCP 1, VID 5 */
		buf[off++] = 0x05;
	}
	buf[off++] = 0x08;
	buf[off++] = 0x00;
	l4len = (proto == PKT_IP_TCP ? 20 : proto == PKT_IP_UDP ? 8 : 8) + payload;
	memset(buf + off, 0, 20);
	buf[off] = 0x45;
	buf[off + 2] = (uint8_t)((20 + l4len) >> 8);
	buf[off + 3] = (uint8_t)(20 + l4len);
	buf[off + 6] = (uint8_t)(frag >> 8);
	buf[off + 7] = (uint8_t)frag;
	buf[off + 8] = 64;
	buf[off + 9] = proto;
	buf[off + 12] = 10, buf[off + 13] = 0, buf[off + 14] = 0, buf[off + 15] = 1;
	buf[off + 16] = 10, buf[off + 17] = 0, buf[off + 18] = 0, buf[off + 19] = 2;
	off += 20;
	memset(buf + off, 0, l4len);
	if (proto == PKT_IP_ICMP) {
		buf[off] = 8; /* echo request */
		buf[off + 1] = 0;
	} else {
		buf[off] = (uint8_t)(sport >> 8);
		buf[off + 1] = (uint8_t)sport;
		buf[off + 2] = (uint8_t)(dport >> 8);
		buf[off + 3] = (uint8_t)dport;
		if (proto == PKT_IP_TCP) {
			buf[off + 12] = 0x50;
			buf[off + 13] = 0x12; /* SYN ACK */
		} else {
			buf[off + 4] = (uint8_t)(l4len >> 8);
			buf[off + 5] = (uint8_t)l4len;
		}
	}
	for (uint32_t i = 0; i < payload; i++)
		buf[off + l4len - payload + i] = (uint8_t)(i * 7 + 3);
	return off + l4len;
}

static void test_ipv4_tcp(void **state)
{
	uint8_t f[256];
	struct pkt_meta m;
	uint32_t len = build_ipv4(f, false, PKT_IP_TCP, 40000, 80, 10, 0);

	pkt_parse(f, len, &m);
	assert_int_equal(m.dst, MAC_D);
	assert_int_equal(m.src, MAC_S);
	assert_int_equal(m.len, len);
	assert_int_equal(m.ethertype, PKT_ETH_IPV4);
	assert_int_equal(m.flags, PKT_F_L3L4 | PKT_F_IPV4 | PKT_F_L4);
	assert_int_equal(m.l3_off, 14);
	assert_int_equal(m.l4_off, 34);
	assert_int_equal(m.proto, PKT_IP_TCP);
	assert_int_equal(m.sport, 40000);
	assert_int_equal(m.dport, 80);
	assert_int_equal(m.tcp_flags, 0x12);
	assert_int_equal(m.ttl, 64);
	assert_int_equal(m.ip4_src, 0x0a000001);
	assert_int_equal(m.ip4_dst, 0x0a000002);
	assert_int_not_equal(m.hash, 0);
}

/* The Ethernet header alone at receive time; L3/L4 once, on demand. */
static void test_l2_then_l3l4(void **state)
{
	uint8_t f[256];
	struct pkt_meta m, full;
	uint32_t len = build_ipv4(f, true, PKT_IP_TCP, 40000, 80, 10, 0);

	pkt_parse(f, len, &full);
	memset(&m, 0xa5, sizeof(m)); /* what the previous frame left there */
	pkt_parse_l2(f, len, &m);
	assert_int_equal(m.dst, MAC_D);
	assert_int_equal(m.src, MAC_S);
	assert_int_equal(m.len, len);
	assert_int_equal(m.ethertype, PKT_ETH_IPV4);
	assert_int_equal(m.vlan_tci, 0x2005);
	assert_int_equal(m.l2_len, 18);
	assert_int_equal(m.flags, PKT_F_VLAN);
	assert_int_equal(m.out, 0);
	assert_int_equal(m.action, 0);
	pkt_parse_l3l4(f, &m);
	m.in = full.in; /* the PMD loop's, not the parser's */
	assert_memory_equal(&m, &full, offsetof(struct pkt_meta, spare));
	m.sport = 1; /* a second call changes nothing */
	pkt_parse_l3l4(f, &m);
	assert_int_equal(m.sport, 1);
}

static void test_vlan_udp(void **state)
{
	uint8_t f[256];
	struct pkt_meta m;
	uint32_t len = build_ipv4(f, true, PKT_IP_UDP, 53, 5353, 4, 0);

	pkt_parse(f, len, &m);
	assert_true(m.flags & PKT_F_VLAN);
	assert_int_equal(m.vlan_tci, 0x2005);
	assert_int_equal(m.ethertype, PKT_ETH_IPV4);
	assert_int_equal(m.l3_off, 18);
	assert_int_equal(m.l4_off, 38);
	assert_int_equal(m.proto, PKT_IP_UDP);
	assert_int_equal(m.sport, 53);
	assert_int_equal(m.dport, 5353);
}

static void test_icmp_and_fragments(void **state)
{
	uint8_t f[256];
	struct pkt_meta m;
	uint32_t len = build_ipv4(f, false, PKT_IP_ICMP, 0, 0, 8, 0);

	pkt_parse(f, len, &m);
	assert_int_equal(m.proto, PKT_IP_ICMP);
	assert_true(m.flags & PKT_F_L4);
	assert_int_equal(m.sport, 8); /* type */
	assert_int_equal(m.dport, 0); /* code */

	/* first fragment (MF set, offset 0): L4 header present */
	len = build_ipv4(f, false, PKT_IP_UDP, 1, 2, 4, 0x2000);
	pkt_parse(f, len, &m);
	assert_true(m.flags & PKT_F_FRAG);
	assert_true(m.flags & PKT_F_L4);
	/* a later fragment: no L4 header */
	len = build_ipv4(f, false, PKT_IP_UDP, 1, 2, 4, 0x0010);
	pkt_parse(f, len, &m);
	assert_true(m.flags & PKT_F_FRAG);
	assert_false(m.flags & PKT_F_L4);
	assert_int_equal(m.l4_off, 0);
	assert_int_equal(m.sport, 0);
}

static void test_ipv6_ext_headers(void **state)
{
	uint8_t f[256] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
	struct pkt_meta m;
	uint32_t off = 14;

	f[off] = 0x60;
	f[off + 5] = 8 + 8 + 8; /* payload: hop-by-hop + UDP + 8 bytes */
	f[off + 6] = 0;         /* hop-by-hop options */
	f[off + 7] = 33;
	f[off + 8] = 0x20, f[off + 9] = 0x01, f[off + 23] = 1;  /* 2001::1 */
	f[off + 24] = 0x20, f[off + 25] = 0x01, f[off + 39] = 2; /* 2001::2 */
	off += 40;
	f[off] = PKT_IP_UDP; /* next header after hop-by-hop */
	f[off + 1] = 0;      /* 8 bytes long */
	off += 8;
	f[off] = 0x12, f[off + 1] = 0x34, f[off + 2] = 0x00, f[off + 3] = 0x35;
	f[off + 5] = 16;
	off += 16;

	pkt_parse(f, off, &m);
	assert_int_equal(m.ethertype, PKT_ETH_IPV6);
	assert_true(m.flags & PKT_F_IPV6);
	assert_int_equal(m.l3_off, 14);
	assert_int_equal(m.proto, PKT_IP_UDP);
	assert_int_equal(m.l4_off, 14 + 40 + 8);
	assert_int_equal(m.sport, 0x1234);
	assert_int_equal(m.dport, 53);
	assert_int_equal(m.ttl, 33);
	assert_int_equal(csum_complete(f, off), 0);
}

/* Parsing every prefix of a frame never reads past the given length (the
 * buffer beyond it is poisoned with a pattern the parser would trip over)
 * and never claims a header that does not fit. */
static void test_truncated(void **state)
{
	uint8_t f[256];
	uint32_t full = build_ipv4(f, true, PKT_IP_TCP, 1000, 2000, 0, 0);

	for (uint32_t len = 0; len <= full; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		struct pkt_meta m;

		memcpy(copy, f, len);
		pkt_parse(copy, len, &m);
		assert_int_equal(m.len, len);
		if (len < PKT_ETH_HLEN) {
			assert_int_equal(m.flags, PKT_F_RUNT);
		} else {
			assert_false(m.flags & PKT_F_RUNT);
			if (m.flags & PKT_F_IPV4)
				assert_true(m.l3_off + 20u <= len);
			if (m.flags & PKT_F_L4)
				assert_true(m.l4_off + 20u <= len);
		}
		free(copy);
	}
}

static void test_malformed(void **state)
{
	uint8_t f[256];
	struct pkt_meta m;
	uint32_t len = build_ipv4(f, false, PKT_IP_TCP, 1, 2, 0, 0);

	f[14] = 0x65; /* version 6 in an IPv4 frame */
	pkt_parse(f, len, &m);
	assert_false(m.flags & PKT_F_IPV4);
	f[14] = 0x4f; /* IHL 60 bytes: longer than the frame */
	pkt_parse(f, len, &m);
	assert_false(m.flags & PKT_F_IPV4);
	f[14] = 0x44; /* IHL 16 < 20 */
	pkt_parse(f, len, &m);
	assert_false(m.flags & PKT_F_IPV4);
}

static void test_hash(void **state)
{
	uint8_t a[256], b[256];
	struct pkt_meta ma, mb;
	uint32_t la = build_ipv4(a, false, PKT_IP_UDP, 1000, 2000, 0, 0);
	uint32_t lb = build_ipv4(b, false, PKT_IP_UDP, 1001, 2000, 0, 0);

	pkt_parse(a, la, &ma);
	pkt_parse(b, lb, &mb);
	assert_int_not_equal(ma.hash, mb.hash); /* another source port, another flow */
	pkt_parse(a, la, &mb);
	assert_int_equal(ma.hash, mb.hash); /* stable */
}

/* Reference: the sum over pseudo-header and segment must fold to 0. */
static void assert_l4_valid(const uint8_t *f, uint32_t len)
{
	struct pkt_meta m;
	uint32_t sum, l4;

	pkt_parse(f, len, &m);
	l4 = len - m.l4_off;
	sum = csum_add(0, f + m.l3_off + 12, 8);
	sum += m.proto + l4;
	sum = csum_add(sum, f + m.l4_off, l4);
	assert_int_equal(csum_fold(sum), 0);
}

static void test_csum_complete(void **state)
{
	uint8_t f[256];
	uint32_t len;

	for (int vlan = 0; vlan < 2; vlan++) {
		for (uint32_t payload = 0; payload < 40; payload += 13) {
			len = build_ipv4(f, vlan, PKT_IP_TCP, 40000, 80, payload, 0);
			f[len - payload - 20 + 16] = 0xab; /* a partial sum left by offload */
			assert_int_equal(csum_complete(f, len), 0);
			assert_l4_valid(f, len);
			len = build_ipv4(f, vlan, PKT_IP_UDP, 5000, 53, payload, 0);
			assert_int_equal(csum_complete(f, len), 0);
			assert_l4_valid(f, len);
		}
	}
	/* a known frame: its UDP checksum, computed independently, is 0x6f05 */
	len = build_ipv4(f, false, PKT_IP_UDP, 0x1234, 0x5678, 4, 0);
	assert_int_equal(csum_complete(f, len), 0);
	assert_int_equal((f[14 + 20 + 6] << 8) | f[14 + 20 + 7], 0x6f05);

	/* not TCP/UDP, or a fragment: left alone */
	len = build_ipv4(f, false, PKT_IP_ICMP, 0, 0, 8, 0);
	assert_int_equal(csum_complete(f, len), -EINVAL);
	len = build_ipv4(f, false, PKT_IP_UDP, 1, 2, 8, 0x2000);
	assert_int_equal(csum_complete(f, len), -EINVAL);
	/* IP total length beyond the frame */
	len = build_ipv4(f, false, PKT_IP_TCP, 1, 2, 8, 0);
	assert_int_equal(csum_complete(f, len - 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_l2_then_l3l4),
		cmocka_unit_test(test_vlan_udp),
		cmocka_unit_test(test_icmp_and_fragments),
		cmocka_unit_test(test_ipv6_ext_headers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_csum_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
