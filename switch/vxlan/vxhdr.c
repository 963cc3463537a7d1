/* VXLAN over IPv4 headers and the underlay's ARP; see vxhdr.h.
 *
 * Pure: runs on PMD lcores per packet, and in unit tests. */
#include "vxhdr.h"

#include <errno.h>
#include <string.h>

#include "pkt.h"

#define ETH_HLEN  14
#define IP_HLEN	  20
#define UDP_HLEN  8
#define VX_VXLEN  8
#define IP_DF	  0x4000
#define IP_MF	  0x2000
#define IP_OFFSET 0x1fff
#define ARP_HLEN  28

_Static_assert(VX_HDR_LEN == ETH_HLEN + IP_HLEN + UDP_HLEN + VX_VXLEN, "outer header length");
_Static_assert(VX_IP_OVER == VX_HDR_LEN - ETH_HLEN, "overhead within the IP MTU");

/* The Internet checksum of an IPv4 header without options (20 bytes):
 * the value to store when the checksum field is 0, 0 when it is right. */
static uint16_t ip_csum(const uint8_t *ip)
{
	uint32_t sum = 0;

	for (int i = 0; i < IP_HLEN; i += 2)
		sum += pkt_be16(ip + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void vx_encap_build(uint8_t *out, const struct vx_encap *e, uint32_t inner_len, uint16_t sport)
{
	uint8_t *ip = out + ETH_HLEN, *udp = ip + IP_HLEN, *vx = udp + UDP_HLEN;

	pkt_put48(out, e->dst_mac);
	pkt_put48(out + 6, e->src_mac);
	pkt_put16(out + 12, PKT_ETH_IPV4);

	ip[0] = 0x45; /* version 4, IHL 5 */
	ip[1] = 0;    /* TOS */
	pkt_put16(ip + 2, (uint16_t)(IP_HLEN + UDP_HLEN + VX_VXLEN + inner_len));
	pkt_put16(ip + 4, 0); /* id: DF is set, nothing is ever reassembled */
	pkt_put16(ip + 6, IP_DF);
	ip[8] = e->ttl;
	ip[9] = PKT_IP_UDP;
	pkt_put16(ip + 10, 0);
	pkt_put32(ip + 12, e->src_ip);
	pkt_put32(ip + 16, e->dst_ip);
	pkt_put16(ip + 10, ip_csum(ip));

	pkt_put16(udp, sport);
	pkt_put16(udp + 2, e->dport);
	pkt_put16(udp + 4, (uint16_t)(UDP_HLEN + VX_VXLEN + inner_len));
	pkt_put16(udp + 6, 0); /* no checksum (RFC 7348 section 5) */

	pkt_put32(vx, (uint32_t)VX_FLAG_I << 24);      /* flags, 3 reserved bytes */
	pkt_put32(vx + 4, (e->vni & VX_VNI_MAX) << 8); /* VNI, 1 reserved byte */
}

/* Multiplicative (Fibonacci) hashing: the xor-shift folds the high half into
 * the low one so that every bit of the hash reaches the product's top bits,
 * the multiplication by 2^32/phi spreads them, and the top 14 bits pick one
 * of the 16384 ports. Consecutive hashes land almost exactly evenly (the
 * three-distance theorem), which a plain `hash & 0x3fff` gets only for
 * hashes that differ in their low bits. */
void vx_encap_fill(uint8_t *out, const uint8_t *tmpl, uint32_t inner_len, uint16_t sport)
{
	const uint32_t ip = ETH_HLEN, udp = ETH_HLEN + IP_HLEN;
	uint16_t was = pkt_be16(tmpl + ip + 2), now = (uint16_t)(was + inner_len);
	uint32_t sum;

	memcpy(out, tmpl, VX_HDR_LEN);
	pkt_put16(out + ip + 2, now);
	/* HC' = ~(~HC + ~m + m') */
	sum = (uint16_t)~pkt_be16(tmpl + ip + 10) + (uint32_t)(uint16_t)~was + now;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	pkt_put16(out + ip + 10, (uint16_t)~sum);
	pkt_put16(out + udp, sport);
	pkt_put16(out + udp + 4, (uint16_t)(pkt_be16(tmpl + udp + 4) + inner_len));
}

uint16_t vx_sport(uint32_t flow_hash)
{
	uint32_t h = flow_hash;

	h ^= h >> 16;
	h *= 0x9e3779b1u;
	return (uint16_t)(VX_SPORT_MIN | (h >> 18));
}

uint32_t vx_inner_max(uint32_t underlay_mtu)
{
	if (underlay_mtu < VX_IP_OVER + ETH_HLEN)
		return 0;
	return underlay_mtu - VX_IP_OVER;
}

enum vx_rx vx_decap_check(const uint8_t *frame, uint32_t len, uint32_t local_ip, uint16_t udp_port,
			  struct vx_rx_info *info)
{
	const uint8_t *ip, *udp, *vx;
	uint32_t avail, total;

	if (len < ETH_HLEN)
		return VX_RX_TRUNCATED;
	if (pkt_be16(frame + 12) != PKT_ETH_IPV4)
		return VX_RX_NOT_VXLAN;
	ip = frame + ETH_HLEN;
	avail = len - ETH_HLEN;
	if (avail < IP_HLEN)
		return VX_RX_TRUNCATED;
	if ((ip[0] >> 4) != 4 || (ip[0] & 0x0f) < 5)
		return VX_RX_BAD_IP;
	if ((ip[0] & 0x0f) > 5)
		return VX_RX_IP_OPTIONS;
	if (ip_csum(ip) != 0)
		return VX_RX_BAD_CSUM;
	total = pkt_be16(ip + 2);
	if (total < IP_HLEN || total > avail)
		return VX_RX_BAD_IP;
	if (pkt_be32(ip + 16) != local_ip)
		return VX_RX_NOT_LOCAL;
	if (ip[9] != PKT_IP_UDP)
		return VX_RX_NOT_VXLAN;
	if (pkt_be16(ip + 6) & (IP_MF | IP_OFFSET))
		return VX_RX_FRAGMENT;
	if (total < IP_HLEN + UDP_HLEN + VX_VXLEN + ETH_HLEN)
		return VX_RX_TRUNCATED;
	udp = ip + IP_HLEN;
	vx = udp + UDP_HLEN;
	if (pkt_be16(udp + 2) != udp_port)
		return VX_RX_WRONG_PORT;
	if (pkt_be16(udp + 4) != total - IP_HLEN)
		return VX_RX_BAD_IP;
	if (!(vx[0] & VX_FLAG_I))
		return VX_RX_BAD_FLAGS;
	/* reserved bits (the other flags, vx[1..3], vx[7]) are ignored;
	 * the UDP checksum (udp[6..7]) is not verified */
	info->src_ip = pkt_be32(ip + 12);
	info->vni = pkt_be32(vx + 4) >> 8;
	info->inner_off = VX_HDR_LEN;
	info->inner_len = (uint16_t)(total - (IP_HLEN + UDP_HLEN + VX_VXLEN));
	info->sport = pkt_be16(udp);
	return VX_RX_OK;
}

static const char *const rx_names[VX_RX_MAX] = {
    [VX_RX_OK] = "ok",
    [VX_RX_NOT_VXLAN] = "not_vxlan",
    [VX_RX_TRUNCATED] = "truncated",
    [VX_RX_BAD_IP] = "bad_ip",
    [VX_RX_IP_OPTIONS] = "ip_options",
    [VX_RX_BAD_CSUM] = "bad_checksum",
    [VX_RX_FRAGMENT] = "fragment",
    [VX_RX_NOT_LOCAL] = "not_local",
    [VX_RX_WRONG_PORT] = "wrong_port",
    [VX_RX_BAD_FLAGS] = "bad_flags",
};

const char *vx_rx_name(enum vx_rx r)
{
	if ((unsigned)r >= VX_RX_MAX || !rx_names[r])
		return "unknown";
	return rx_names[r];
}

int vx_arp_parse(const uint8_t *frame, uint32_t len, struct vx_arp *a)
{
	const uint8_t *p;
	uint16_t op;

	if (len < ETH_HLEN)
		return -EMSGSIZE;
	if (pkt_be16(frame + 12) != PKT_ETH_ARP)
		return -EINVAL;
	if (len < ETH_HLEN + ARP_HLEN)
		return -EMSGSIZE;
	p = frame + ETH_HLEN;
	op = pkt_be16(p + 6);
	if (pkt_be16(p) != 1 || pkt_be16(p + 2) != PKT_ETH_IPV4 || p[4] != 6 || p[5] != 4 ||
	    (op != VX_ARP_REQUEST && op != VX_ARP_REPLY))
		return -EINVAL;
	a->op = op;
	a->sha = pkt_mac48(p + 8);
	a->spa = pkt_be32(p + 14);
	a->tha = pkt_mac48(p + 18);
	a->tpa = pkt_be32(p + 24);
	return 0;
}

uint32_t vx_arp_build(uint8_t *out, uint16_t op, uint64_t eth_dst, uint64_t sha, uint32_t spa,
		      uint64_t tha, uint32_t tpa)
{
	uint8_t *p = out + ETH_HLEN;

	pkt_put48(out, eth_dst);
	pkt_put48(out + 6, sha);
	pkt_put16(out + 12, PKT_ETH_ARP);
	pkt_put16(p, 1); /* Ethernet */
	pkt_put16(p + 2, PKT_ETH_IPV4);
	p[4] = 6;
	p[5] = 4;
	pkt_put16(p + 6, op);
	pkt_put48(p + 8, sha);
	pkt_put32(p + 14, spa);
	pkt_put48(p + 18, tha);
	pkt_put32(p + 24, tpa);
	memset(out + ETH_HLEN + ARP_HLEN, 0, VX_ARP_LEN - ETH_HLEN - ARP_HLEN);
	return VX_ARP_LEN;
}
