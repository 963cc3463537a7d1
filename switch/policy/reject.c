/* The replies of `reject`; see reject.h. Pure; PMD lcores. */
#include "reject.h"

#include <stdbool.h>
#include <string.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define QUOTE_MAX 64 /* bytes of the offending packet an ICMP error quotes */

uint32_t pol_csum_add(uint32_t sum, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

uint16_t pol_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Ethernet header back to the sender, tags kept: its length. */
static size_t eth_back(const uint8_t *p, const struct pkt_meta *m, uint8_t *out)
{
	memcpy(out, p + 6, 6);
	memcpy(out + 6, p, 6);
	memcpy(out + 12, p + 12, m->l2_len - 12u);
	return m->l2_len;
}

/* An IPv4 header from us (the frame's destination) back to its source. */
static void ip4_back(const uint8_t *ip, uint8_t *o, uint8_t proto, uint16_t total)
{
	memset(o, 0, 20);
	o[0] = 0x45;
	pkt_put16(o + 2, total);
	o[6] = 0x40; /* DF */
	o[8] = 64;
	o[9] = proto;
	memcpy(o + 12, ip + 16, 4);
	memcpy(o + 16, ip + 12, 4);
	pkt_put16(o + 10, pol_csum_fold(pol_csum_add(0, o, 20)));
}

static void ip6_back(const uint8_t *ip, uint8_t *o, uint8_t nh, uint16_t plen)
{
	memset(o, 0, 40);
	o[0] = 0x60;
	pkt_put16(o + 4, plen);
	o[6] = nh;
	o[7] = 64;
	memcpy(o + 8, ip + 24, 16);
	memcpy(o + 24, ip + 8, 16);
}

/* The pseudo-header sum of the reply's addresses (at o) for an L4 length. */
static uint32_t pseudo(const uint8_t *o, bool v6, uint8_t proto, uint32_t l4len)
{
	uint32_t s = v6 ? pol_csum_add(0, o + 8, 32) : pol_csum_add(0, o + 12, 8);

	return s + proto + (l4len >> 16) + (l4len & 0xffff);
}

static size_t tcp_rst(const uint8_t *p, const struct pkt_meta *m, uint8_t *out, bool v6)
{
	const uint8_t *ip = p + m->l3_off, *t = p + m->l4_off;
	size_t l2 = eth_back(p, m, out), l3 = v6 ? 40 : 20;
	uint8_t *o = out + l2, *r = o + l3;
	uint32_t seq = pkt_be32(t + 4), ack = pkt_be32(t + 8), paylen, end, hl = (t[12] >> 4) * 4u;
	uint8_t flags = t[13];
	uint32_t iplen = v6 ? 40u + pkt_be16(ip + 4) : pkt_be16(ip + 2);

	if (flags & TCP_RST)
		return 0;
	end = m->l3_off + iplen;
	if (hl < 20 || end < m->l4_off + hl)
		return 0;
	paylen = end - m->l4_off - hl;
	memset(r, 0, 20);
	pkt_put16(r, pkt_be16(t + 2));
	pkt_put16(r + 2, pkt_be16(t));
	if (flags & TCP_ACK) {
		pkt_put32(r + 4, ack);
		r[13] = TCP_RST;
	} else {
		pkt_put32(r + 8, seq + paylen + !!(flags & TCP_SYN) + !!(flags & TCP_FIN));
		r[13] = TCP_RST | TCP_ACK;
	}
	r[12] = 5 << 4;
	if (v6)
		ip6_back(ip, o, PKT_IP_TCP, 20);
	else
		ip4_back(ip, o, PKT_IP_TCP, 40);
	pkt_put16(r + 16, pol_csum_fold(pol_csum_add(pseudo(o, v6, PKT_IP_TCP, 20), r, 20)));
	return l2 + l3 + 20;
}

static size_t icmp_error(const uint8_t *p, const struct pkt_meta *m, uint8_t *out, size_t cap,
			 bool v6)
{
	const uint8_t *ip = p + m->l3_off;
	size_t l2 = eth_back(p, m, out), l3 = v6 ? 40 : 20;
	uint8_t *o = out + l2, *c = o + l3;
	size_t q = m->len - m->l3_off;

	if (q > QUOTE_MAX)
		q = QUOTE_MAX;
	if (l2 + l3 + 8 + q > cap)
		return 0;
	memset(c, 0, 8);
	c[0] = v6 ? 1 : 3;
	c[1] = v6 ? 1 : 13;
	memcpy(c + 8, ip, q);
	if (v6) {
		ip6_back(ip, o, PKT_IP_ICMPV6, (uint16_t)(8 + q));
		pkt_put16(c + 2, pol_csum_fold(pol_csum_add(
				     pseudo(o, true, PKT_IP_ICMPV6, (uint32_t)(8 + q)), c, 8 + q)));
	} else {
		ip4_back(ip, o, PKT_IP_ICMP, (uint16_t)(20 + 8 + q));
		pkt_put16(c + 2, pol_csum_fold(pol_csum_add(0, c, 8 + q)));
	}
	return l2 + l3 + 8 + q;
}

/* ICMP errors and what is not an echo: never answered with another error. */
static bool icmp_is_error(const struct pkt_meta *m)
{
	if (!(m->flags & PKT_F_L4))
		return m->proto == PKT_IP_ICMP || m->proto == PKT_IP_ICMPV6;
	if (m->proto == PKT_IP_ICMP)
		return m->sport != 8 && m->sport != 13 && m->sport != 15 && m->sport != 17;
	if (m->proto == PKT_IP_ICMPV6)
		return m->sport < 128;
	return false;
}

size_t pol_reject_build(const uint8_t *p, const struct pkt_meta *m, uint8_t *out, size_t cap)
{
	bool v6 = (m->flags & PKT_F_IPV6) != 0;

	if (cap < POL_REJECT_MAX || !(m->flags & (PKT_F_IPV4 | PKT_F_IPV6)) ||
	    (m->dst >> 40) & 1 || m->l2_len > 22)
		return 0;
	if ((m->flags & PKT_F_FRAG) && !(m->flags & PKT_F_L4) &&
	    (m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP))
		return 0; /* a later fragment: the first one gets the answer */
	if (!v6 && (p[m->l3_off + 16] & 0xf0) == 0xe0)
		return 0; /* an IPv4 multicast destination */
	if (m->proto == PKT_IP_TCP)
		return (m->flags & PKT_F_L4) ? tcp_rst(p, m, out, v6) : 0;
	if (icmp_is_error(m))
		return 0;
	return icmp_error(p, m, out, cap, v6);
}
