/* Per-packet metadata and the header parser that fills it: every received
 * frame's Ethernet header (addresses, VLAN tag, ethertype) is parsed right
 * after the port's receive burst, and the later stages (L2 forwarding today;
 * policy, capture, VXLAN, impairments) read the fields from here instead of
 * parsing again. The L3/L4 fields and the flow hash are parsed the first
 * time a stage asks for them (pkt_parse_l3l4), at most once per frame, so
 * frames that only need switching do not pay for them.
 *
 * Pure (no EAL): takes the frame's first bytes and their length. Runs on PMD
 * lcores per packet, and directly in unit tests. */
#ifndef VLAB_PKT_H
#define VLAB_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PKT_ETH_HLEN    14
#define PKT_VLAN_HLEN   4
#define PKT_ETH_IPV4    0x0800
#define PKT_ETH_ARP     0x0806
#define PKT_ETH_VLAN    0x8100
#define PKT_ETH_QINQ    0x88a8
#define PKT_ETH_IPV6    0x86dd
#define PKT_IP_ICMP     1
#define PKT_IP_TCP      6
#define PKT_IP_UDP      17
#define PKT_IP_ICMPV6   58

/* flags */
#define PKT_F_VLAN  0x01 /* an 802.1Q/802.1ad tag follows the source MAC */
#define PKT_F_IPV4  0x02
#define PKT_F_IPV6  0x04
#define PKT_F_L4    0x08 /* sport/dport (or ICMP type/code) are valid */
#define PKT_F_FRAG  0x10 /* an IP fragment (non-first ones have no L4 header) */
#define PKT_F_RUNT  0x20 /* shorter than an Ethernet header: only `len` is valid */
#define PKT_F_L3L4  0x40 /* pkt_parse_l3l4 ran: L3/L4 fields and hash are valid */

/* Parsed headers of one frame. One cache line; fields not present are 0. */
struct pkt_meta {
	uint64_t dst;       /* destination MAC, 48 bits, first octet most significant */
	uint64_t src;       /* source MAC */
	uint32_t len;       /* frame length */
	uint32_t hash;      /* flow hash: MACs, and IP addresses/protocol/ports when present */
	uint16_t ethertype; /* after any VLAN tag, host order */
	uint16_t vlan_tci;  /* tag control information of the (outer) VLAN tag */
	uint16_t l3_off;    /* offset of the IP (or ARP) header, 0 if none */
	uint16_t l4_off;    /* offset of the TCP/UDP/ICMP header, 0 if none */
	uint8_t proto;      /* IP protocol (IPv6: upper-layer next header) */
	uint8_t flags;      /* PKT_F_* */
	uint8_t tcp_flags;  /* TCP: FIN..CWR */
	uint8_t ttl;        /* IPv4 TTL / IPv6 hop limit */
	uint16_t sport;     /* TCP/UDP source port; ICMP type */
	uint16_t dport;     /* TCP/UDP destination port; ICMP code */
	uint32_t ip4_src;   /* IPv4 addresses, host order (IPv6 ones are read at l3_off) */
	uint32_t ip4_dst;
	uint16_t out;       /* output chosen by the forwarding stage */
	uint16_t in;        /* port the frame came in on (set by the PMD loop, not the parser) */
	uint8_t action;     /* enum fwd_action of the forwarding stage */
	uint8_t reason;     /* enum api_drop when action is a drop */
	uint8_t l2_len;     /* Ethernet header length, tags included */
	uint8_t spare[9];   /* room for later stages (keeps one line per packet) */
};

_Static_assert(sizeof(struct pkt_meta) == 64, "packet metadata is one cache line");

static inline uint16_t pkt_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t pkt_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t pkt_mac48(const uint8_t *p)
{
	return ((uint64_t)pkt_be16(p) << 32) | pkt_be32(p + 2);
}

/* Writers of the same, in network byte order (header builders). */
static inline void pkt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pkt_put32(uint8_t *p, uint32_t v)
{
	pkt_put16(p, (uint16_t)(v >> 16));
	pkt_put16(p + 2, (uint16_t)v);
}

static inline void pkt_put48(uint8_t *p, uint64_t mac)
{
	pkt_put16(p, (uint16_t)(mac >> 32));
	pkt_put32(p + 2, (uint32_t)mac);
}

static inline uint64_t pkt_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xc2b2ae3d27d4eb4full;
}

/* Final avalanche of a 64-bit hash state into 32 bits. */
static inline uint32_t pkt_fold(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* L4 fields at `off`, when the header fits in the frame. */
static inline void pkt_parse_l4(const uint8_t *p, uint32_t len, uint32_t off,
				struct pkt_meta *m)
{
	switch (m->proto) {
	case PKT_IP_TCP:
		if (off + 20 > len)
			return;
		m->tcp_flags = p[off + 13];
		/* fall through */
	case PKT_IP_UDP:
		if (off + 8 > len)
			return;
		m->sport = pkt_be16(p + off);
		m->dport = pkt_be16(p + off + 2);
		break;
	case PKT_IP_ICMP:
	case PKT_IP_ICMPV6:
		if (off + 4 > len)
			return;
		m->sport = p[off];
		m->dport = p[off + 1];
		break;
	default:
		return;
	}
	m->l4_off = (uint16_t)off;
	m->flags |= PKT_F_L4;
}

static inline void pkt_parse_ipv6(const uint8_t *p, uint32_t len, uint32_t off,
				  struct pkt_meta *m)
{
	uint8_t nh;

	if (off + 40 > len)
		return;
	m->flags |= PKT_F_IPV6;
	m->l3_off = (uint16_t)off;
	m->ttl = p[off + 7];
	nh = p[off + 6];
	off += 40;
	/* hop-by-hop, routing, fragment and destination options headers */
	for (int i = 0; i < 4; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (off + 8 > len)
				return;
			nh = p[off];
			off += 8u + 8u * p[off + 1];
		} else if (nh == 44) {
			if (off + 8 > len)
				return;
			m->flags |= PKT_F_FRAG;
			if ((pkt_be16(p + off + 2) & 0xfff8) != 0) { /* not the first fragment */
				m->proto = p[off];
				return;
			}
			nh = p[off];
			off += 8;
		} else {
			break;
		}
	}
	m->proto = nh;
	pkt_parse_l4(p, len, off, m);
}

/* Parses the Ethernet header of the frame `p` of `len` bytes into `m`: the
 * addresses, VLAN tag, ethertype, l2_len, len and flags, and the forwarding
 * stage's fields zeroed; the L3/L4 fields are left for pkt_parse_l3l4 (their
 * flag is clear). Never reads past `len`. */
static inline void pkt_parse_l2(const uint8_t *p, uint32_t len, struct pkt_meta *m)
{
	uint32_t off = PKT_ETH_HLEN;
	uint16_t et;

	m->len = len;
	m->flags = 0;
	m->vlan_tci = 0;
	m->out = 0;
	m->action = 0;
	m->reason = 0;
	if (__builtin_expect(len < PKT_ETH_HLEN, 0)) {
		m->flags = PKT_F_RUNT;
		m->dst = m->src = 0;
		m->ethertype = 0;
		m->l2_len = 0;
		return;
	}
	m->dst = pkt_mac48(p);
	m->src = pkt_mac48(p + 6);
	et = pkt_be16(p + 12);
	if (et == PKT_ETH_VLAN || et == PKT_ETH_QINQ) {
		if (len >= off + PKT_VLAN_HLEN) {
			m->flags |= PKT_F_VLAN;
			m->vlan_tci = pkt_be16(p + 14);
			et = pkt_be16(p + 16);
			off += PKT_VLAN_HLEN;
			if (et == PKT_ETH_VLAN && len >= off + PKT_VLAN_HLEN) { /* QinQ inner tag */
				et = pkt_be16(p + off + 2);
				off += PKT_VLAN_HLEN;
			}
		} else {
			et = 0; /* a cut tag: no payload to speak of */
		}
	}
	m->ethertype = et;
	m->l2_len = (uint8_t)off;
}

/* Fills in the L3/L4 fields and the flow hash of a frame whose Ethernet
 * header pkt_parse_l2 parsed into `m`; does nothing the second time. */
static inline void pkt_parse_l3l4(const uint8_t *p, struct pkt_meta *m)
{
	uint32_t len = m->len, off = m->l2_len;
	uint16_t et = m->ethertype;
	uint64_t h;

	if (m->flags & (PKT_F_L3L4 | PKT_F_RUNT))
		return;
	m->flags |= PKT_F_L3L4;
	m->hash = 0;
	m->l3_off = m->l4_off = 0;
	m->proto = m->tcp_flags = m->ttl = 0;
	m->sport = m->dport = 0;
	m->ip4_src = m->ip4_dst = 0;
	if (et == PKT_ETH_IPV4) {
		uint32_t ihl;

		if (len < off + 20 || (p[off] >> 4) != 4)
			goto out;
		ihl = (p[off] & 0x0fu) * 4u;
		if (ihl < 20 || len < off + ihl)
			goto out;
		m->flags |= PKT_F_IPV4;
		m->l3_off = (uint16_t)off;
		m->ttl = p[off + 8];
		m->proto = p[off + 9];
		m->ip4_src = pkt_be32(p + off + 12);
		m->ip4_dst = pkt_be32(p + off + 16);
		if (pkt_be16(p + off + 6) & 0x3fff) { /* MF set or a fragment offset */
			m->flags |= PKT_F_FRAG;
			if (pkt_be16(p + off + 6) & 0x1fff)
				goto out; /* not the first fragment: no L4 header */
		}
		pkt_parse_l4(p, len, off + ihl, m);
	} else if (et == PKT_ETH_IPV6) {
		pkt_parse_ipv6(p, len, off, m);
	} else if (et == PKT_ETH_ARP) {
		m->l3_off = (uint16_t)off;
	}
out:
	h = m->dst ^ (m->src << 16);
	if (m->flags & (PKT_F_IPV4 | PKT_F_IPV6)) {
		uint64_t a = m->flags & PKT_F_IPV4 ? ((uint64_t)m->ip4_src << 32) | m->ip4_dst : 0;

		if (m->flags & PKT_F_IPV6) {
			uint64_t w[4];

			memcpy(w, p + m->l3_off + 8, sizeof(w));
			a = w[0] ^ w[1] ^ (w[2] << 1) ^ (w[3] << 1);
		}
		h = pkt_mix(h, a);
		h = pkt_mix(h, ((uint64_t)m->proto << 32) | ((uint32_t)m->sport << 16) | m->dport);
	}
	/* not symmetric: a flow and its reply may hash differently (VXLAN source
	 * ports only need stability per direction) */
	m->hash = pkt_fold(h);
}

/* Both at once (tests, and stages that want everything); every field set. */
static inline void pkt_parse(const uint8_t *p, uint32_t len, struct pkt_meta *m)
{
	memset(m, 0, sizeof(*m));
	pkt_parse_l2(p, len, m);
	pkt_parse_l3l4(p, m);
}

#endif
