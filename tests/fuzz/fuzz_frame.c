/* Fuzz harness of the frame parser (switch/core/pkt.h) and checksum
 * completion (switch/port/csum.c): an input is one received frame, at most
 * 65,535 bytes (an mbuf segment; pkt_meta offsets are 16 bits), held in a
 * buffer of exactly its size so AddressSanitizer sees any read past it.
 *
 * Invariants checked: every offset and the header behind it lie within the
 * frame; flags agree with the fields (a runt has only its length, IPv4 and
 * IPv6 exclude each other, L4 fields only with PKT_F_L4); pkt_parse_l2()
 * followed by pkt_parse_l3l4() over a dirty pkt_meta gives what pkt_parse()
 * gives, a second pkt_parse_l3l4() changes nothing, and parsing is
 * deterministic; csum_complete() either refuses (-EINVAL) and leaves the
 * frame as it was, or writes only the two checksum bytes, the checksum then
 * verifies (independent computation here), the parse is unchanged, and a
 * second csum_complete() leaves the frame unchanged. The VXLAN checks
 * (switch/vxlan/vxhdr.c): vx_decap_check() accepts a frame only with its
 * inner frame (an Ethernet header at least) inside it and the outer
 * addresses it was given, is deterministic, and what vx_encap_build() puts
 * before the frame always passes it with the same fields; vx_arp_parse()
 * accepts only a complete Ethernet/IPv4 request or reply, and the frame
 * vx_arp_build() makes of what it read parses back to the same.
 *
 * Built as a libFuzzer target (-Dfuzz=true, clang) or with replay.c. Seeds
 * in frame/seeds (tests/fuzz/mkseeds.py), reproducers in frame/reproducers.
 * Single-threaded. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "fuzz.h"
#include "pkt.h"
#include "vxhdr.h"

#define FRAME_MAX 65535

/* The fields pkt_parse() sets (all but spare[]) are equal. */
static bool meta_same(const struct pkt_meta *a, const struct pkt_meta *b)
{
	return a->dst == b->dst && a->src == b->src && a->len == b->len && a->hash == b->hash &&
	       a->ethertype == b->ethertype && a->vlan_tci == b->vlan_tci &&
	       a->l3_off == b->l3_off && a->l4_off == b->l4_off && a->proto == b->proto &&
	       a->flags == b->flags && a->tcp_flags == b->tcp_flags && a->ttl == b->ttl &&
	       a->sport == b->sport && a->dport == b->dport && a->ip4_src == b->ip4_src &&
	       a->ip4_dst == b->ip4_dst && a->out == b->out && a->action == b->action &&
	       a->reason == b->reason && a->l2_len == b->l2_len;
}

static void check_meta(const uint8_t *f, uint32_t len, const struct pkt_meta *m)
{
	FUZZ_CHECK(m->len == len, "len %u of a %u-byte frame", m->len, len);
	FUZZ_CHECK(m->out == 0 && m->action == 0 && m->reason == 0, "forwarding fields set");
	if (len < PKT_ETH_HLEN) {
		FUZZ_CHECK(m->flags == PKT_F_RUNT, "runt flags %#x", m->flags);
		FUZZ_CHECK(m->dst == 0 && m->src == 0 && m->ethertype == 0 && m->l2_len == 0,
			   "fields of a runt set");
		return;
	}
	FUZZ_CHECK(!(m->flags & PKT_F_RUNT), "a %u-byte frame called a runt", len);
	FUZZ_CHECK(m->flags & PKT_F_L3L4, "pkt_parse() left L3/L4 unparsed");
	FUZZ_CHECK(m->dst == pkt_mac48(f) && m->src == pkt_mac48(f + 6), "MACs");
	FUZZ_CHECK(m->l2_len == 14 || m->l2_len == 18 || m->l2_len == 22, "l2_len %u", m->l2_len);
	FUZZ_CHECK(m->l2_len <= len, "l2_len %u past the frame (%u)", m->l2_len, len);
	FUZZ_CHECK(!!(m->flags & PKT_F_VLAN) == (m->l2_len > 14), "VLAN flag and l2_len %u",
		   m->l2_len);
	FUZZ_CHECK(!((m->flags & PKT_F_IPV4) && (m->flags & PKT_F_IPV6)), "IPv4 and IPv6");
	if (m->flags & PKT_F_IPV4) {
		FUZZ_CHECK(m->ethertype == PKT_ETH_IPV4 && m->l3_off == m->l2_len,
			   "IPv4 at %u (l2_len %u, ethertype %#x)", m->l3_off, m->l2_len,
			   m->ethertype);
		FUZZ_CHECK(m->l3_off + (f[m->l3_off] & 0x0fu) * 4u <= len &&
			       (f[m->l3_off] & 0x0f) >= 5,
			   "IPv4 header past the frame");
		FUZZ_CHECK(m->ip4_src == pkt_be32(f + m->l3_off + 12) &&
			       m->ip4_dst == pkt_be32(f + m->l3_off + 16),
			   "IPv4 addresses");
	} else if (m->flags & PKT_F_IPV6) {
		FUZZ_CHECK(m->ethertype == PKT_ETH_IPV6 && m->l3_off == m->l2_len, "IPv6 at %u",
			   m->l3_off);
		FUZZ_CHECK(m->l3_off + 40u <= len, "IPv6 header past the frame");
		FUZZ_CHECK(m->ip4_src == 0 && m->ip4_dst == 0, "IPv4 addresses on IPv6");
	} else {
		FUZZ_CHECK(!(m->flags & (PKT_F_L4 | PKT_F_FRAG)), "L4 or fragment without IP");
		FUZZ_CHECK(m->l3_off == 0 ||
			       (m->ethertype == PKT_ETH_ARP && m->l3_off == m->l2_len),
			   "l3_off %u without IP", m->l3_off);
		FUZZ_CHECK(m->proto == 0 && m->ttl == 0 && m->ip4_src == 0 && m->ip4_dst == 0,
			   "IP fields without IP");
	}
	if (m->flags & PKT_F_L4) {
		uint32_t need = m->proto == PKT_IP_TCP ? 20 : m->proto == PKT_IP_UDP ? 8 : 4;

		FUZZ_CHECK(m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP ||
			       m->proto == PKT_IP_ICMP || m->proto == PKT_IP_ICMPV6,
			   "L4 of protocol %u", m->proto);
		FUZZ_CHECK(m->l4_off >= m->l3_off + 20u, "L4 at %u inside L3 at %u", m->l4_off,
			   m->l3_off);
		FUZZ_CHECK(m->l4_off + need <= len, "L4 header at %u past the frame (%u)",
			   m->l4_off, len);
		if (m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP)
			FUZZ_CHECK(m->sport == pkt_be16(f + m->l4_off) &&
				       m->dport == pkt_be16(f + m->l4_off + 2),
				   "ports");
		FUZZ_CHECK(m->proto == PKT_IP_TCP || m->tcp_flags == 0, "TCP flags without TCP");
	} else {
		FUZZ_CHECK(m->l4_off == 0 && m->sport == 0 && m->dport == 0 && m->tcp_flags == 0,
			   "L4 fields without PKT_F_L4");
	}
}

/* Ones' complement sum of the TCP/UDP pseudo-header and segment as it is in
 * the frame (checksum included): 0xffff when the checksum verifies. */
static uint16_t verify_sum(const uint8_t *f, const struct pkt_meta *m)
{
	uint32_t seg, sum = m->proto, i;

	if (m->flags & PKT_F_IPV4) {
		seg = pkt_be16(f + m->l3_off + 2) - (m->l4_off - m->l3_off);
		for (i = 0; i < 8; i += 2)
			sum += pkt_be16(f + m->l3_off + 12 + i);
	} else {
		seg = m->l3_off + 40u + pkt_be16(f + m->l3_off + 4) - m->l4_off;
		for (i = 0; i < 32; i += 2)
			sum += pkt_be16(f + m->l3_off + 8 + i);
	}
	sum += seg >> 16;
	sum += seg & 0xffff;
	for (i = 0; i + 1 < seg; i += 2)
		sum += pkt_be16(f + m->l4_off + i);
	if (seg & 1)
		sum += (uint32_t)f[m->l4_off + seg - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void check_csum(uint8_t *f, uint32_t len, const struct pkt_meta *m)
{
	uint8_t *before = malloc(len ? len : 1), *once = malloc(len ? len : 1);
	struct pkt_meta after;
	uint32_t ck_off;
	int rc;

	if (!before || !once)
		goto out_free;
	memcpy(before, f, len);
	rc = csum_complete(f, len);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "csum_complete() returned %d", rc);
	if (rc < 0) {
		FUZZ_CHECK(memcmp(before, f, len) == 0, "a refused frame was changed");
		goto out_free;
	}
	FUZZ_CHECK((m->flags & PKT_F_L4) && !(m->flags & PKT_F_FRAG) &&
		       (m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP),
		   "checksum completed on a frame that is not unfragmented TCP/UDP");
	ck_off = m->l4_off + (m->proto == PKT_IP_TCP ? 16u : 6u);
	FUZZ_CHECK(ck_off + 2 <= len, "checksum at %u past the frame (%u)", ck_off, len);
	for (uint32_t i = 0; i < len; i++)
		FUZZ_CHECK(i == ck_off || i == ck_off + 1 || before[i] == f[i],
			   "byte %u changed (checksum at %u)", i, ck_off);
	FUZZ_CHECK(verify_sum(f, m) == 0xffff, "the checksum does not verify (%#x)",
		   verify_sum(f, m));
	FUZZ_CHECK(m->proto != PKT_IP_UDP || f[ck_off] || f[ck_off + 1],
		   "UDP checksum 0 (means none)");
	pkt_parse(f, len, &after);
	FUZZ_CHECK(meta_same(m, &after), "the checksum changed the parse");
	memcpy(once, f, len);
	FUZZ_CHECK(csum_complete(f, len) == 0, "a completed frame is refused");
	FUZZ_CHECK(memcmp(once, f, len) == 0, "a second csum_complete() changed the frame");
out_free:
	free(before);
	free(once);
}

/* VXLAN decapsulation checks and ARP over the frame, and around it. */
static void check_vxlan(const uint8_t *f, uint32_t len)
{
	const struct vx_encap e = {.src_mac = 0x020000000001ull,
				   .dst_mac = 0x020000000002ull,
				   .src_ip = 0x0a000002,
				   .dst_ip = 0x0a000001,
				   .vni = len & 0xffffff,
				   .dport = VX_UDP_PORT,
				   .ttl = 64};
	struct vx_rx_info i1, i2;
	enum vx_rx r = vx_decap_check(f, len, 0x0a000002, VX_UDP_PORT, &i1); /* seeds' dst */
	struct vx_arp a, b;
	uint8_t arp[VX_ARP_LEN], *w;

	FUZZ_CHECK(r < VX_RX_MAX, "vx_decap_check() gave %d", r);
	FUZZ_CHECK(vx_decap_check(f, len, 0x0a000002, VX_UDP_PORT, &i2) == r,
		   "vx_decap_check() is not deterministic");
	if (r == VX_RX_OK) {
		FUZZ_CHECK(i1.inner_off == VX_HDR_LEN && i1.inner_len >= PKT_ETH_HLEN &&
			       i1.inner_off + i1.inner_len <= len,
			   "inner frame %u+%u of a %u-byte frame", i1.inner_off, i1.inner_len, len);
		FUZZ_CHECK(i1.vni <= 0xffffff && i1.vni == i2.vni && i1.src_ip == i2.src_ip &&
			       i1.inner_len == i2.inner_len && i1.sport == i2.sport,
			   "rx info");
	}
	if (len >= PKT_ETH_HLEN && len <= FRAME_MAX - 100 && (w = malloc(len + VX_HDR_LEN))) {
		vx_encap_build(w, &e, len, vx_sport(len));
		memcpy(w + VX_HDR_LEN, f, len);
		r = vx_decap_check(w, len + VX_HDR_LEN, e.dst_ip, VX_UDP_PORT, &i1);
		FUZZ_CHECK(r == VX_RX_OK, "an encapsulated frame is refused: %s", vx_rx_name(r));
		FUZZ_CHECK(i1.src_ip == e.src_ip && i1.vni == e.vni && i1.inner_len == len &&
			       i1.inner_off == VX_HDR_LEN && i1.sport >= VX_SPORT_MIN,
			   "decapsulated fields differ");
		free(w);
	}
	if (vx_arp_parse(f, len, &a) == 0) {
		FUZZ_CHECK(len >= 42 && (a.op == 1 || a.op == 2), "ARP op %u, %u bytes", a.op, len);
		vx_arp_build(arp, a.op, pkt_mac48(f), a.sha, a.spa, a.tha, a.tpa);
		FUZZ_CHECK(vx_arp_parse(arp, sizeof(arp), &b) == 0 && a.op == b.op &&
			       a.sha == b.sha && a.spa == b.spa && a.tha == b.tha && a.tpa == b.tpa,
			   "an ARP frame built from a parse parses differently");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_meta a, b, c;
	uint32_t len;
	uint8_t *f;

	if (size > FRAME_MAX)
		return 0; /* no such frame: an mbuf segment holds at most 64 KiB - 1 */
	len = (uint32_t)size;
	f = malloc(len ? len : 1);
	if (!f)
		return 0;
	memcpy(f, data, len);

	pkt_parse(f, len, &a);
	check_meta(f, len, &a);
	pkt_parse(f, len, &b);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0, "pkt_parse() is not deterministic");

	/* as the PMD does: Ethernet at receive time over a reused (dirty)
	 * pkt_meta, L3/L4 when a stage asks, twice at most once */
	memset(&c, 0xa5, sizeof(c));
	pkt_parse_l2(f, len, &c);
	if (len < PKT_ETH_HLEN) {
		FUZZ_CHECK(c.flags == PKT_F_RUNT && c.len == len && c.l2_len == 0,
			   "pkt_parse_l2() of a runt");
		pkt_parse_l3l4(f, &c);
		FUZZ_CHECK(c.flags == PKT_F_RUNT, "pkt_parse_l3l4() parsed a runt");
	} else {
		FUZZ_CHECK(!(c.flags & PKT_F_L3L4), "pkt_parse_l2() left the L3/L4 flag");
		pkt_parse_l3l4(f, &c);
		FUZZ_CHECK(meta_same(&a, &c), "pkt_parse_l2() + pkt_parse_l3l4() over a used "
					      "pkt_meta differ from pkt_parse()");
		b = c;
		pkt_parse_l3l4(f, &c);
		FUZZ_CHECK(memcmp(&b, &c, sizeof(b)) == 0, "a second pkt_parse_l3l4() changed it");
	}

	check_csum(f, len, &a);
	check_vxlan(f, len);
	free(f);
	return 0;
}
