/* Unit tests of a reject's replies (switch/policy/reject.c): a TCP SYN gets
 * a RST+ACK acknowledging it, a segment with ACK a RST at its ack number;
 * UDP over IPv4 an ICMP type 3 code 13 quoting the datagram, over IPv6 an
 * ICMPv6 type 1 code 1; addresses, ports and MACs swapped, the VLAN tag
 * kept, checksums right; no reply to a RST, an ICMP error, a broadcast or a
 * later fragment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reject.h"

static uint8_t f[256], out[POL_REJECT_MAX + 64];
static struct pkt_meta m;

static const uint8_t DST[6] = {0x52, 0x54, 0, 0, 0, 2}, SRC[6] = {0x52, 0x54, 0, 0, 0, 1};

/* An Ethernet (+ tag) + IPv4 or IPv6 + L4 frame; returns its length. */
static size_t frame(int v6, int vlan, uint8_t proto, uint8_t tcp_flags, size_t payload)
{
	size_t off = 12, l4len = (proto == PKT_IP_TCP ? 20 : 8) + payload, l3;
	uint8_t *ip, *l4;

	memset(f, 0, sizeof(f));
	memcpy(f, DST, 6);
	memcpy(f + 6, SRC, 6);
	if (vlan) {
		f[12] = 0x81;
		f[15] = 7;
		off += 4;
	}
	f[off] = v6 ? 0x86 : 0x08;
	f[off + 1] = v6 ? 0xdd : 0x00;
	ip = f + off + 2;
	if (v6) {
		ip[0] = 0x60;
		ip[4] = 0;
		ip[5] = (uint8_t)l4len;
		ip[6] = proto;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = 1;
		ip[24] = 0xfd;
		ip[39] = 2;
		l3 = 40;
	} else {
		ip[0] = 0x45;
		ip[3] = (uint8_t)(20 + l4len);
		ip[8] = 64;
		ip[9] = proto;
		ip[12] = 10, ip[15] = 1;
		ip[16] = 10, ip[19] = 2;
		l3 = 20;
	}
	l4 = ip + l3;
	l4[0] = 0x9c, l4[1] = 0x40; /* 40000 */
	l4[2] = 0, l4[3] = 80;
	if (proto == PKT_IP_TCP) {
		l4[4] = 0x11, l4[5] = 0x22, l4[6] = 0x33, l4[7] = 0x44; /* seq */
		l4[8] = 0xaa, l4[11] = 0x01;                            /* ack */
		l4[12] = 5 << 4;
		l4[13] = tcp_flags;
	}
	return (size_t)(l4 - f) + l4len;
}

static void parse(size_t len)
{
	pkt_parse(f, (uint32_t)len, &m);
}

/* The checksum over the pseudo-header and L4 of a reply is 0 when right. */
static uint16_t l4_check(const uint8_t *o, size_t l2, int v6, size_t len)
{
	const uint8_t *ip = o + l2;
	size_t l3 = v6 ? 40 : 20, l4len = len - l2 - l3;
	uint8_t proto = v6 ? ip[6] : ip[9];
	uint32_t s = v6 ? pol_csum_add(0, ip + 8, 32) : pol_csum_add(0, ip + 12, 8);

	if (!v6 && proto == PKT_IP_ICMP)
		s = 0; /* ICMPv4 has no pseudo-header */
	else
		s += proto + (uint32_t)l4len;
	return pol_csum_fold(pol_csum_add(s, ip + l3, l4len));
}

static void test_tcp_syn(void **state)
{
	size_t n, len;

	(void)state;
	len = frame(0, 0, PKT_IP_TCP, 0x02, 0); /* SYN */
	parse(len);
	n = pol_reject_build(f, &m, out, sizeof(out));
	assert_int_equal(n, 14 + 20 + 20);
	assert_memory_equal(out, SRC, 6);
	assert_memory_equal(out + 6, DST, 6);
	assert_int_equal(pol_csum_fold(pol_csum_add(0, out + 14, 20)), 0); /* IP header */
	assert_int_equal(out[14 + 15], 2); /* from 10.0.0.2 */
	assert_int_equal(out[14 + 19], 1); /* to 10.0.0.1 */
	assert_int_equal(out[34 + 1], 80); /* from port 80 */
	assert_int_equal(out[34 + 2], 0x9c);
	assert_int_equal(out[34 + 13], 0x14); /* RST+ACK */
	/* ack = seq + 1 (the SYN), seq 0 */
	assert_int_equal(out[34 + 11], 0x45);
	assert_int_equal(out[34 + 7], 0);
	assert_int_equal(l4_check(out, 14, 0, n), 0);
}

static void test_tcp_ack(void **state)
{
	size_t n, len;

	(void)state;
	len = frame(1, 1, PKT_IP_TCP, 0x18, 10); /* PSH+ACK, 10 bytes, IPv6, tagged */
	parse(len);
	n = pol_reject_build(f, &m, out, sizeof(out));
	assert_int_equal(n, 18 + 40 + 20);
	assert_int_equal(out[12], 0x81);
	assert_int_equal(out[15], 7); /* the tag kept */
	assert_int_equal(out[18 + 6], PKT_IP_TCP);
	assert_int_equal(out[18 + 8 + 15], 2); /* from fd00::2 */
	assert_int_equal(out[58 + 13], 0x04); /* RST */
	assert_int_equal(out[58 + 4], 0xaa);  /* seq = their ack */
	assert_int_equal(out[58 + 7], 0x01);
	assert_int_equal(l4_check(out, 18, 1, n), 0);
	/* no reply to a RST */
	len = frame(0, 0, PKT_IP_TCP, 0x04, 0);
	parse(len);
	assert_int_equal(pol_reject_build(f, &m, out, sizeof(out)), 0);
}

static void test_udp(void **state)
{
	size_t n, len;

	(void)state;
	len = frame(0, 0, PKT_IP_UDP, 0, 100);
	parse(len);
	n = pol_reject_build(f, &m, out, sizeof(out));
	assert_int_equal(n, 14 + 20 + 8 + 64); /* the quote is cut at 64 bytes */
	assert_int_equal(out[14 + 9], PKT_IP_ICMP);
	assert_int_equal(out[34], 3);
	assert_int_equal(out[35], 13);
	assert_memory_equal(out + 42, f + 14, 64); /* quotes the IP header on */
	assert_int_equal(l4_check(out, 14, 0, n), 0);
	assert_int_equal(pol_csum_fold(pol_csum_add(0, out + 14, 20)), 0);

	len = frame(1, 0, PKT_IP_UDP, 0, 4);
	parse(len);
	n = pol_reject_build(f, &m, out, sizeof(out));
	assert_int_equal(n, 14 + 40 + 8 + 40 + 12);
	assert_int_equal(out[14 + 6], PKT_IP_ICMPV6);
	assert_int_equal(out[54], 1);
	assert_int_equal(out[55], 1);
	assert_int_equal(l4_check(out, 14, 1, n), 0);
}

static void test_no_reply(void **state)
{
	size_t len;

	(void)state;
	/* an ICMP error (destination unreachable) */
	len = frame(0, 0, PKT_IP_ICMP, 0, 8);
	f[34] = 3;
	parse(len);
	assert_int_equal(pol_reject_build(f, &m, out, sizeof(out)), 0);
	/* an echo request does get one */
	f[34] = 8;
	parse(len);
	assert_int_not_equal(pol_reject_build(f, &m, out, sizeof(out)), 0);
	/* to a broadcast MAC */
	len = frame(0, 0, PKT_IP_UDP, 0, 8);
	memset(f, 0xff, 6);
	parse(len);
	assert_int_equal(pol_reject_build(f, &m, out, sizeof(out)), 0);
	/* a later fragment of UDP */
	len = frame(0, 0, PKT_IP_UDP, 0, 8);
	f[14 + 7] = 0x10; /* offset 16 */
	parse(len);
	assert_int_equal(pol_reject_build(f, &m, out, sizeof(out)), 0);
	/* not IP */
	len = frame(0, 0, PKT_IP_UDP, 0, 8);
	f[12] = 0x08, f[13] = 0x06;
	parse(len);
	assert_int_equal(pol_reject_build(f, &m, out, sizeof(out)), 0);
	/* too small a buffer */
	len = frame(0, 0, PKT_IP_UDP, 0, 8);
	parse(len);
	assert_int_equal(pol_reject_build(f, &m, out, 40), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_syn),
	    cmocka_unit_test(test_tcp_ack),
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_no_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
