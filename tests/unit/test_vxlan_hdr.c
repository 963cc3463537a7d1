/* Unit tests of the VXLAN over IPv4 headers and the underlay's ARP
 * (switch/vxlan/vxhdr.c): the outer headers byte for byte, the inner MTU,
 * a built frame passing the receive checks with its fields back, each
 * malformed frame getting its own result (truncated ones read only from
 * buffers of exactly their length, so ASan or valgrind catch an over-read),
 * the spread of source ports, and ARP requests and replies both ways. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkt.h"
#include "vxhdr.h"

#define LOCAL  0xc0a80102u /* 192.168.1.2 */
#define REMOTE 0xc0a80101u /* 192.168.1.1 */
#define INNER  64	   /* inner frame length of the test frames */

static const struct vx_encap E = {
    .src_mac = 0x020000000001ull,
    .dst_mac = 0x020000000002ull,
    .src_ip = REMOTE,
    .dst_ip = LOCAL,
    .vni = 0x123456,
    .dport = VX_UDP_PORT,
    .ttl = 64,
};

static uint8_t f[256];
static struct vx_rx_info info;

/* A VXLAN frame from REMOTE to LOCAL with an inner frame of `inner` bytes
 * (0xa5 each); returns its length. */
static uint32_t frame(uint32_t inner)
{
	memset(f, 0, sizeof(f));
	vx_encap_build(f, &E, inner, 50000);
	memset(f + VX_HDR_LEN, 0xa5, inner);
	return VX_HDR_LEN + inner;
}

/* Stores the right IPv4 header checksum (over IHL * 4 bytes) after a test
 * changed the header; computed here, independently of vxhdr.c. */
static void fix_csum(void)
{
	uint8_t *ip = f + 14;
	int ihl = (ip[0] & 0x0f) * 4;
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < ihl; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
}

/* Sets the IP total length and UDP length (and the checksum) to `total`. */
static void set_lengths(uint32_t total)
{
	f[14 + 2] = (uint8_t)(total >> 8);
	f[14 + 3] = (uint8_t)total;
	f[34 + 4] = (uint8_t)((total - 20) >> 8);
	f[34 + 5] = (uint8_t)(total - 20);
	fix_csum();
}

static enum vx_rx check(uint32_t len)
{
	return vx_decap_check(f, len, LOCAL, VX_UDP_PORT, &info);
}

/* The check of the first `len` bytes of f read from a heap buffer of
 * exactly `len` bytes. */
static enum vx_rx check_exact(uint32_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	enum vx_rx r;

	assert_non_null(b);
	if (len)
		memcpy(b, f, len);
	r = vx_decap_check(len ? b : b + 1, len, LOCAL, VX_UDP_PORT, &info);
	free(b);
	return r;
}

static void test_encap_bytes(void **state)
{
	/* 02:00:00:00:00:01 192.168.1.1:50000 -> 02:00:00:00:00:02
	 * 192.168.1.2:4789, TTL 64, VNI 0x123456, 100 inner bytes. IP total
	 * length 20 + 8 + 8 + 100 = 136 (0x0088), UDP length 116 (0x0074).
	 * Checksum: 4500 + 0088 + 0000 + 4000 + 4011 + c0a8 + 0101 + c0a8 +
	 * 0102 = 0x248ec, folded 0x48ee, complemented 0xb711. */
	static const uint8_t want[VX_HDR_LEN] = {
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,		    /* dst MAC */
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,		    /* src MAC */
	    0x08, 0x00,					    /* IPv4 */
	    0x45, 0x00, 0x00, 0x88, 0x00, 0x00, 0x40, 0x00, /* ver/IHL, TOS, len, id, DF */
	    0x40, 0x11, 0xb7, 0x11,			    /* TTL, UDP, checksum */
	    0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02, /* src, dst */
	    0xc3, 0x50, 0x12, 0xb5, 0x00, 0x74, 0x00, 0x00, /* 50000, 4789, len, csum 0 */
	    0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00, /* I flag, VNI */
	};
	uint8_t out[VX_HDR_LEN + 8];

	(void)state;
	memset(out, 0xee, sizeof(out));
	vx_encap_build(out, &E, 100, 50000);
	assert_memory_equal(out, want, VX_HDR_LEN);
	for (size_t i = VX_HDR_LEN; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xee); /* exactly 50 bytes written */
}

static void test_inner_max(void **state)
{
	(void)state;
	assert_int_equal(vx_inner_max(1500), 1464); /* inner IP MTU 1450 */
	assert_int_equal(vx_inner_max(9000), 8964);
	assert_int_equal(vx_inner_max(50), 14);
	assert_int_equal(vx_inner_max(49), 0);
	assert_int_equal(vx_inner_max(0), 0);
	/* an inner frame of that size makes an outer IP datagram of the MTU */
	assert_int_equal(VX_HDR_LEN + vx_inner_max(1500), 1500 + 14);
}

/* The template form gives vx_encap_build()'s bytes, for every inner length
 * and checksums that wrap. */
static void test_encap_fill(void **state)
{
	struct vx_encap e = {.src_mac = 0x020000000001ull,
			     .dst_mac = 0x020000000002ull,
			     .src_ip = 0xc0000201,
			     .dst_ip = 0xc0000202,
			     .vni = 100,
			     .dport = VX_UDP_PORT,
			     .ttl = 64};
	uint8_t tmpl[VX_HDR_LEN], a[VX_HDR_LEN], b[VX_HDR_LEN];

	(void)state;
	for (uint32_t k = 0; k < 64; k++) {
		e.src_ip = 0xc0000201 + k * 0x01010101u;
		e.dst_ip = ~e.src_ip + k;
		e.ttl = (uint8_t)(1 + k * 4);
		vx_encap_build(tmpl, &e, 0, 0);
		for (uint32_t len = 0; len <= 9000; len += k % 2 ? 1 : 7) {
			uint16_t sport = (uint16_t)(VX_SPORT_MIN + (len * 31 + k) % 16384);

			vx_encap_build(a, &e, len, sport);
			vx_encap_fill(b, tmpl, len, sport);
			if (memcmp(a, b, VX_HDR_LEN) != 0)
				fail_msg("template %u, inner length %u: bytes differ", k, len);
		}
	}
}

static void test_roundtrip(void **state)
{
	uint32_t len = frame(INNER);

	(void)state;
	memset(&info, 0, sizeof(info));
	assert_int_equal(check_exact(len), VX_RX_OK);
	assert_int_equal(info.src_ip, REMOTE);
	assert_int_equal(info.vni, 0x123456);
	assert_int_equal(info.inner_off, VX_HDR_LEN);
	assert_int_equal(info.inner_len, INNER);
	assert_int_equal(info.sport, 50000);
	/* any VNI passes: whether one is configured is the caller's question */
	vx_encap_build(f, &(struct vx_encap){.vni = 0, .dst_ip = LOCAL, .dport = 4789}, INNER, 1);
	assert_int_equal(check(len), VX_RX_OK);
	assert_int_equal(info.vni, 0);
	vx_encap_build(f, &(struct vx_encap){.vni = ~0u, .dst_ip = LOCAL, .dport = 4789}, INNER, 1);
	assert_int_equal(check(len), VX_RX_OK);
	assert_int_equal(info.vni, VX_VNI_MAX);
	/* another configured port */
	vx_encap_build(f, &(struct vx_encap){.dst_ip = LOCAL, .dport = 8472}, INNER, 1);
	assert_int_equal(vx_decap_check(f, len, LOCAL, 8472, &info), VX_RX_OK);
}

static void test_truncated(void **state)
{
	uint32_t len = frame(INNER);

	(void)state;
	/* cut anywhere: the IP total length then runs past the frame */
	for (uint32_t n = 0; n < len; n++) {
		enum vx_rx r = check_exact(n);

		assert_int_not_equal(r, VX_RX_OK);
		assert_int_equal(r, n < 14 + 20 ? VX_RX_TRUNCATED : VX_RX_BAD_IP);
	}
	assert_int_equal(check_exact(len), VX_RX_OK);
	/* lengths consistent, but the datagram ends before UDP + VXLAN + an
	 * inner Ethernet header */
	for (uint32_t total = 20; total < 20 + 8 + 8 + 14; total++) {
		frame(INNER);
		set_lengths(total);
		assert_int_equal(check_exact(14 + total), VX_RX_TRUNCATED);
		assert_int_equal(check(len), VX_RX_TRUNCATED); /* with padding after */
	}
	frame(INNER);
	set_lengths(20 + 8 + 8 + 14); /* a bare inner Ethernet header fits */
	assert_int_equal(check_exact(14 + 20 + 8 + 8 + 14), VX_RX_OK);
	assert_int_equal(info.inner_len, 14);
	/* total length below the IP header itself */
	frame(INNER);
	set_lengths(19);
	assert_int_equal(check(len), VX_RX_BAD_IP);
}

/* One 16-bit field of a good frame changed (the IP checksum then fixed or
 * not): each gives its own result. */
static void test_malformed(void **state)
{
	static const struct {
		uint16_t off, val;
		bool fix; /* recompute the IP header checksum */
		enum vx_rx want;
	} c[] = {
	    {12, 0x0806, 0, VX_RX_NOT_VXLAN},	   /* ARP */
	    {12, 0x8100, 0, VX_RX_NOT_VXLAN},	   /* VLAN-tagged: untagged underlay only */
	    {14, 0x4400, 1, VX_RX_BAD_IP},	   /* IHL 4 */
	    {14, 0x6500, 1, VX_RX_BAD_IP},	   /* version 6 */
	    {14, 0x4600, 0, VX_RX_IP_OPTIONS},	   /* IHL 6, before the checksum */
	    {14, 0x4501, 0, VX_RX_BAD_CSUM},	   /* TOS changed, checksum not */
	    {22, 0x3f11, 0, VX_RX_BAD_CSUM},	   /* TTL changed, checksum not */
	    {24, 0x0000, 0, VX_RX_BAD_CSUM},	   /* checksum cleared */
	    {16, 19, 1, VX_RX_BAD_IP},		   /* total length below the header */
	    {16, 36 + INNER + 1, 1, VX_RX_BAD_IP}, /* one byte past the frame's end */
	    {32, 0x0103, 1, VX_RX_NOT_LOCAL},	   /* to 192.168.1.3 */
	    {22, 0x4006, 1, VX_RX_NOT_VXLAN},	   /* TCP */
	    {22, 0x4001, 1, VX_RX_NOT_VXLAN},	   /* ICMP */
	    {20, 0x2000, 1, VX_RX_FRAGMENT},	   /* MF, offset 0 */
	    {20, 0x00b9, 1, VX_RX_FRAGMENT},	   /* offset 185 (1480 bytes), the last one */
	    {20, 0x0000, 1, VX_RX_OK},		   /* DF clear, not a fragment */
	    {36, 6000, 0, VX_RX_WRONG_PORT},	   /* UDP to us on another port */
	    {36, 4790, 0, VX_RX_WRONG_PORT},
	    {38, 8 + 8 + INNER - 1, 0, VX_RX_BAD_IP}, /* UDP length short of the IP one */
	    {38, 8 + 8 + INNER + 1, 0, VX_RX_BAD_IP}, /* longer */
	    {40, 0xdead, 0, VX_RX_OK},		      /* UDP checksum: accepted, not verified */
	    {42, 0x0000, 0, VX_RX_BAD_FLAGS},	      /* I flag clear */
	    {42, 0xf700, 0, VX_RX_BAD_FLAGS},	      /* every flag but I */
	    {42, 0xffff, 0, VX_RX_OK},		      /* reserved flags and byte set, I set */
	    {44, 0xffff, 0, VX_RX_OK},		      /* reserved bytes */
	    {48, 0x56ff, 0, VX_RX_OK},		      /* last reserved byte */
	};
	enum vx_rx got;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t len = frame(INNER);

		f[c[i].off] = (uint8_t)(c[i].val >> 8);
		f[c[i].off + 1] = (uint8_t)c[i].val;
		if (c[i].fix)
			fix_csum();
		got = check(len);
		if (got != c[i].want)
			fail_msg("offset %u = 0x%04x: %s, want %s", c[i].off, c[i].val,
				 vx_rx_name(got), vx_rx_name(c[i].want));
		if (c[i].want == VX_RX_OK)
			assert_int_equal(info.vni, 0x123456);
	}
	/* addressed to someone else, UDP to another configured port */
	assert_int_equal(vx_decap_check(f, frame(INNER), LOCAL + 1, VX_UDP_PORT, &info),
			 VX_RX_NOT_LOCAL);
	assert_int_equal(vx_decap_check(f, frame(INNER), LOCAL, 8472, &info), VX_RX_WRONG_PORT);
}

/* IHL 6 with 4 bytes of options (NOPs) before UDP, all lengths and the
 * checksum right: still not taken. */
static void test_options(void **state)
{
	uint32_t len = frame(INNER);

	(void)state;
	memmove(f + 38, f + 34, len - 34);
	memset(f + 34, 1, 4);
	f[14] = 0x46;
	f[14 + 3] += 4; /* total length 24 + 8 + 8 + INNER */
	fix_csum();
	assert_int_equal(check(len + 4), VX_RX_IP_OPTIONS);
}

/* `info` is written on VX_RX_OK only. */
static void test_untouched(void **state)
{
	struct vx_rx_info i = {.src_ip = 7, .vni = 7, .inner_off = 7, .inner_len = 7, .sport = 7};
	uint32_t len = frame(INNER);

	(void)state;
	f[42] = 0x00;
	assert_int_equal(vx_decap_check(f, len, LOCAL, VX_UDP_PORT, &i), VX_RX_BAD_FLAGS);
	assert_int_equal(i.src_ip + i.vni + i.inner_off + i.inner_len + i.sport, 35);
}

static void test_padding(void **state)
{
	uint32_t len = frame(14 + 4); /* 68 bytes */

	(void)state;
	/* padded by a NIC or a switch to some longer length: the inner frame
	 * ends where the IP datagram does */
	memset(f + len, 0, 32);
	assert_int_equal(check_exact(len + 32), VX_RX_OK);
	assert_int_equal(info.inner_len, 18);
	assert_int_equal(info.inner_off, VX_HDR_LEN);
}

static void test_sport(void **state)
{
	static unsigned hits[65536];
	unsigned distinct = 0, most = 0;

	(void)state;
	assert_int_equal(vx_sport(0x12345678), vx_sport(0x12345678));
	assert_int_equal(vx_sport(0), vx_sport(0));
	assert_int_not_equal(vx_sport(1), vx_sport(2));
	assert_in_range(vx_sport(0xffffffffu), VX_SPORT_MIN, 65535);
	/* 65536 consecutive hashes over 16384 ports: 4 each on average */
	memset(hits, 0, sizeof(hits));
	for (uint32_t h = 0xdead0000u; h < 0xdead0000u + 65536u; h++) {
		uint16_t p = vx_sport(h);

		assert_in_range(p, VX_SPORT_MIN, 65535);
		assert_int_equal(p, vx_sport(h));
		distinct += hits[p]++ == 0;
		if (hits[p] > most)
			most = hits[p];
	}
	assert_true(distinct >= 10000);
	assert_true(most <= 3 * 65536 / 16384);
	/* hashes that differ in their high 16 bits only spread too */
	memset(hits, 0, sizeof(hits));
	distinct = 0;
	for (uint32_t i = 0; i < 65536; i++)
		distinct += hits[vx_sport(i << 16)]++ == 0;
	assert_true(distinct >= 10000);
}

/* Builds an ARP frame and parses its first `len` bytes back from a buffer
 * of exactly that size; checks every field came back. */
static void arp_roundtrip(const struct vx_arp *in, uint64_t eth_dst, uint32_t len)
{
	uint8_t out[VX_ARP_LEN + 4], *b = malloc(len);
	struct vx_arp a;

	assert_non_null(b);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(vx_arp_build(out, in->op, eth_dst, in->sha, in->spa, in->tha, in->tpa),
			 VX_ARP_LEN);
	assert_int_equal(out[VX_ARP_LEN], 0xee); /* exactly 60 bytes */
	assert_true(pkt_mac48(out) == eth_dst);
	assert_true(pkt_mac48(out + 6) == in->sha);
	assert_int_equal(pkt_be16(out + 12), 0x0806);
	for (int i = 42; i < VX_ARP_LEN; i++)
		assert_int_equal(out[i], 0); /* padding */
	memcpy(b, out, len);
	assert_int_equal(vx_arp_parse(b, len, &a), 0);
	free(b);
	assert_int_equal(a.op, in->op);
	assert_true(a.sha == in->sha && a.tha == in->tha);
	assert_int_equal(a.spa, in->spa);
	assert_int_equal(a.tpa, in->tpa);
}

static void test_arp(void **state)
{
	const struct vx_arp req = {VX_ARP_REQUEST, 0x020000000001ull, REMOTE, 0, LOCAL};
	const struct vx_arp rep = {VX_ARP_REPLY, 0x02aabbccddeeull, LOCAL, 0x020000000001ull,
				   REMOTE};

	(void)state;
	arp_roundtrip(&req, VX_MAC_BROADCAST, VX_ARP_LEN);
	arp_roundtrip(&rep, req.sha, VX_ARP_LEN);
	arp_roundtrip(&rep, req.sha, 42); /* unpadded: 42 bytes are enough */
}

static void test_arp_bad(void **state)
{
	static const struct {
		int off;
		uint8_t val;
	} bad[] = {
	    {14 + 1, 6},    /* htype 6 (IEEE 802) */
	    {14 + 2, 0x86}, /* ptype 0x8600 */
	    {14 + 4, 8},    /* hlen 8 */
	    {14 + 5, 16},   /* plen 16 */
	    {14 + 7, 0},    /* op 0 */
	    {14 + 7, 3},    /* op 3 (RARP request) */
	    {13, 0x00},	    /* ethertype IPv4 */
	};
	uint8_t out[VX_ARP_LEN];
	struct vx_arp a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vx_arp_build(out, VX_ARP_REQUEST, VX_MAC_BROADCAST, 1, 2, 0, 3);
		out[bad[i].off] = bad[i].val;
		assert_int_equal(vx_arp_parse(out, sizeof(out), &a), -EINVAL);
	}
	vx_arp_build(out, VX_ARP_REQUEST, VX_MAC_BROADCAST, 1, 2, 0, 3);
	out[12] = 0x81, out[13] = 0x00; /* tagged */
	assert_int_equal(vx_arp_parse(out, sizeof(out), &a), -EINVAL);
	/* truncated, read from exact-size buffers */
	vx_arp_build(out, VX_ARP_REQUEST, VX_MAC_BROADCAST, 1, 2, 0, 3);
	for (uint32_t n = 0; n < 42; n++) {
		uint8_t *b = malloc(n ? n : 1);

		assert_non_null(b);
		if (n)
			memcpy(b, out, n);
		assert_int_equal(vx_arp_parse(n ? b : b + 1, n, &a), -EMSGSIZE);
		free(b);
	}
}

static void test_rx_names(void **state)
{
	(void)state;
	for (int i = 0; i < VX_RX_MAX; i++) {
		const char *n = vx_rx_name((enum vx_rx)i);

		assert_non_null(n);
		assert_true(n[0] != '\0');
		assert_string_not_equal(n, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, vx_rx_name((enum vx_rx)j));
	}
	assert_string_equal(vx_rx_name(VX_RX_BAD_CSUM), "bad_checksum");
	assert_string_equal(vx_rx_name(VX_RX_MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encap_bytes), cmocka_unit_test(test_encap_fill),
	    cmocka_unit_test(test_inner_max),	cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_truncated),	cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_options),	cmocka_unit_test(test_untouched),
	    cmocka_unit_test(test_padding),	cmocka_unit_test(test_sport),
	    cmocka_unit_test(test_arp),		cmocka_unit_test(test_arp_bad),
	    cmocka_unit_test(test_rx_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
