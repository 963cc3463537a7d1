/* VXLAN (RFC 7348) over IPv4 on the wire, and the underlay's ARP: the outer
 * headers an encapsulating port prepends to an inner Ethernet frame, the
 * checks a received underlay frame passes before its inner frame is taken
 * out, the UDP source port picked from the inner flow hash, the inner MTU an
 * underlay MTU leaves, and the ARP requests and replies that resolve the
 * underlay's next hop.
 *
 * Outer headers, 50 bytes (VX_HDR_LEN), untagged, IPv4 without options:
 *   Ethernet 14 | IPv4 20 | UDP 8 | VXLAN 8 (flags 0x08, 3 reserved, VNI 24 bits, 1 reserved)
 *
 * Pure: header builders and checks over bytes and lengths given by the
 * caller; no EAL, no allocation, never reads past the given length (VNI
 * lookups, next-hop tables and counters are the caller's). Runs on PMD lcores
 * per packet, and in unit tests. */
#ifndef VLAB_VXLAN_VXHDR_H
#define VLAB_VXLAN_VXHDR_H

#include <stdint.h>

#define VX_HDR_LEN	 50    /* outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 */
#define VX_IP_OVER	 36    /* what the outer headers take from the underlay's IP MTU */
#define VX_UDP_PORT	 4789  /* IANA's VXLAN port */
#define VX_SPORT_MIN	 49152 /* source ports come from the dynamic range 49152..65535 */
#define VX_FLAG_I	 0x08  /* first VXLAN byte: the VNI is valid */
#define VX_VNI_MAX	 0xffffff
#define VX_ARP_LEN	 60 /* an ARP frame padded to the Ethernet minimum (no FCS) */
#define VX_ARP_REQUEST	 1
#define VX_ARP_REPLY	 2
#define VX_MAC_BROADCAST 0xffffffffffffull

/* What to put in front of one inner frame. */
struct vx_encap {
	/* MACs 48-bit, first octet most significant, as in switch/core/pkt.h */
	uint64_t src_mac, dst_mac;
	uint32_t src_ip, dst_ip; /* host order */
	uint32_t vni;		 /* 24 bits; higher bits are ignored */
	uint16_t dport;		 /* UDP destination port (VX_UDP_PORT unless configured) */
	uint8_t ttl;		 /* outer IPv4 TTL */
};

/* Writes exactly VX_HDR_LEN bytes of outer headers into out[0..50) for an
 * inner frame of `inner_len` bytes (inner Ethernet header included, no FCS;
 * the caller keeps it to vx_inner_max()): IPv4 with DF, id 0 and its header
 * checksum, UDP from `sport` with checksum 0 (RFC 7348 allows it over
 * IPv4), VXLAN with the I flag and the VNI. */
void vx_encap_build(uint8_t *out, const struct vx_encap *e, uint32_t inner_len, uint16_t sport);

/* The UDP source port for an inner flow hash, in VX_SPORT_MIN..65535: the
 * same for the same hash (a flow stays on one underlay ECMP path), spread
 * over the 16384 ports for different ones, even for hashes that differ only
 * in a few low or high bits. */
uint16_t vx_sport(uint32_t flow_hash);

/* The per-packet form of vx_encap_build(): `tmpl` is what vx_encap_build()
 * wrote for an empty inner frame and source port 0 (once per VTEP); this
 * copies it and sets the two lengths, the source port and the IPv4 checksum
 * (updated, RFC 1624), giving the same bytes as vx_encap_build(). */
void vx_encap_fill(uint8_t *out, const uint8_t *tmpl, uint32_t inner_len, uint16_t sport);

/* The largest inner frame (inner Ethernet header included, no FCS) that fits
 * an underlay IP MTU of `underlay_mtu` bytes: the outer IPv4, UDP and VXLAN
 * headers take 36 bytes of it (the outer Ethernet header, the other 14 of the
 * 50-byte overhead, is not part of the IP MTU), so 1464 for 1500, an inner IP
 * MTU of 1450. 0 when not even an inner Ethernet header fits. */
uint32_t vx_inner_max(uint32_t underlay_mtu);

/* What vx_decap_check() found of a received underlay frame. */
enum vx_rx {
	VX_RX_OK,
	VX_RX_NOT_VXLAN,  /* not IPv4-UDP to local_ip:udp_port: not ours to judge (ARP, other
			     traffic) */
	VX_RX_TRUNCATED,  /* the frame, or the IP datagram, ends before the headers do */
	VX_RX_BAD_IP,	  /* version, IHL < 5, total length shorter than the header or longer
			   * than the frame; UDP length not the IP payload's */
	VX_RX_IP_OPTIONS, /* IHL > 5 */
	VX_RX_BAD_CSUM,	  /* IPv4 header checksum */
	VX_RX_FRAGMENT,	  /* MF or fragment offset */
	VX_RX_NOT_LOCAL,  /* IPv4 to another address */
	VX_RX_WRONG_PORT, /* UDP to us on another port */
	VX_RX_BAD_FLAGS,  /* I flag clear */
	VX_RX_MAX,
};

/* The fields of a VXLAN frame that passed (VX_RX_OK). */
struct vx_rx_info {
	uint32_t src_ip;    /* outer IPv4 source (the remote VTEP), host order */
	uint32_t vni;	    /* 24 bits; whether it is configured is the caller's to look up */
	uint16_t inner_off; /* offset of the inner Ethernet header (VX_HDR_LEN) */
	uint16_t inner_len; /* inner frame length, from the IP total length (padding excluded) */
	uint16_t sport;	    /* outer UDP source port */
};

/* Checks the `len` bytes of `frame` received on the underlay, addressed to
 * `local_ip` (host order) and UDP port `udp_port`; fills `info` on VX_RX_OK
 * only. The checks run in this order, the first that fails decides:
 *   1. shorter than an Ethernet header: TRUNCATED;
 *   2. ethertype not IPv4 (untagged frames only: a VLAN tag is NOT_VXLAN);
 *   3. fewer than 20 bytes of IPv4 header: TRUNCATED;
 *   4. version not 4 or IHL < 5: BAD_IP; IHL > 5: IP_OPTIONS (never sent
 *      by a VTEP, and not worth a slower path);
 *   5. header checksum: BAD_CSUM;
 *   6. total length < 20 or past the frame's end: BAD_IP;
 *   7. destination not local_ip: NOT_LOCAL; protocol not UDP: NOT_VXLAN
 *      (so traffic to other hosts counts apart from ours);
 *   8. MF or a fragment offset: FRAGMENT (VTEPs set DF, nothing reassembles);
 *   9. UDP + VXLAN + inner Ethernet header (30 bytes) past the IP total
 *      length: TRUNCATED;
 *  10. UDP destination port not udp_port: WRONG_PORT;
 *  11. UDP length not the IP total length - 20: BAD_IP (the headers disagree;
 *      the bytes themselves were there);
 *  12. I flag clear: BAD_FLAGS. The reserved bits and bytes are ignored, as
 *      RFC 7348 says a receiver does. A non-zero UDP checksum is accepted
 *      without being verified (RFC 7348 section 5 allows that).
 * Bytes after the IP datagram (Ethernet padding) are not part of the inner
 * frame. */
enum vx_rx vx_decap_check(const uint8_t *frame, uint32_t len, uint32_t local_ip, uint16_t udp_port,
			  struct vx_rx_info *info);

/* A short snake_case name of `r` ("bad_checksum"), "unknown" out of range. */
const char *vx_rx_name(enum vx_rx r);

/* An Ethernet/IPv4 ARP packet; MACs 48-bit as above, addresses host order. */
struct vx_arp {
	uint16_t op; /* VX_ARP_REQUEST or VX_ARP_REPLY */
	uint64_t sha;
	uint32_t spa;
	uint64_t tha;
	uint32_t tpa;
};

/* Parses an untagged ARP frame: 0, -EINVAL when it is not ethertype 0x0806
 * with htype 1, ptype 0x0800, hlen 6, plen 4 and op 1 or 2, -EMSGSIZE when
 * the frame ends first. `a` is written on 0 only. */
int vx_arp_parse(const uint8_t *frame, uint32_t len, struct vx_arp *a);

/* Writes an ARP frame from `sha` to `eth_dst` into out[0..VX_ARP_LEN): the
 * 42 bytes of headers and zero padding to the Ethernet minimum; returns
 * VX_ARP_LEN. A request goes to VX_MAC_BROADCAST with tha 0. */
uint32_t vx_arp_build(uint8_t *out, uint16_t op, uint64_t eth_dst, uint64_t sha, uint32_t spa,
		      uint64_t tha, uint32_t tpa);

#endif
