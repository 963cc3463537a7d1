/* Policy rules' matches: what a rule of a policy compares a frame against
 * (Ethernet addresses, ethertype, VLAN, IPv4/IPv6 prefixes, IP protocol,
 * TCP/UDP port ranges, ICMP type and code, TCP flags), the test of one
 * frame's parsed headers (struct pkt_meta) against one match, and whether
 * one match covers another (an earlier rule that covers a later one shadows
 * it: the later can never match). Also the token bucket of `rate-limit`.
 *
 * The start of switch/policy/: the rule compiler, the classifier stage and
 * the connection table build on it.
 *
 * Pure (no EAL): the matcher runs on PMD lcores per packet, the rest on the
 * control thread, all of it in unit tests. */
#ifndef VLAB_POLICY_MATCH_H
#define VLAB_POLICY_MATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

/* Fields a match tests (others match anything). */
enum pol_field {
	POL_F_ETH_SRC = 1u << 0,
	POL_F_ETH_DST = 1u << 1,
	POL_F_ETHERTYPE = 1u << 2,
	POL_F_VLAN = 1u << 3,
	POL_F_IP_SRC = 1u << 4,  /* a prefix; the match's ip_version says which family */
	POL_F_IP_DST = 1u << 5,
	POL_F_PROTO = 1u << 6,
	POL_F_SPORT = 1u << 7,   /* TCP/UDP source port range */
	POL_F_DPORT = 1u << 8,
	POL_F_ICMP_TYPE = 1u << 9,
	POL_F_ICMP_CODE = 1u << 10,
	POL_F_TCP_FLAGS = 1u << 11, /* (flags & tcp_mask) == tcp_flags */
};

/* An address prefix of either family: IPv4 in the first 4 bytes. */
struct pol_prefix {
	uint8_t addr[16];
	uint8_t len; /* prefix length: 0..32 (IPv4), 0..128 (IPv6) */
};

struct pol_match {
	uint32_t fields;  /* enum pol_field */
	uint64_t eth_src, eth_dst; /* 48-bit MACs as in pkt_meta */
	uint16_t ethertype;
	uint16_t vlan;    /* VLAN id (12 bits) */
	uint8_t ip_version; /* 4 or 6 when an address prefix is given, else 0 */
	struct pol_prefix src, dst;
	uint8_t proto;
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags, tcp_mask;
};

/* True when the frame `p` (parsed into `m` with pkt_parse: L3/L4 fields
 * valid) matches. Fields after the IP header (ports, ICMP, TCP flags) never
 * match a frame without them: a non-first IP fragment, a frame cut short,
 * another protocol. A prefix of one family never matches the other. */
bool pol_match_frame(const struct pol_match *r, const struct pkt_meta *m, const uint8_t *p);

/* True when every frame `b` matches also matches `a`. */
bool pol_match_covers(const struct pol_match *a, const struct pol_match *b);

/* A token bucket: `rate` tokens per second, at most `burst` saved up. Time
 * is given in nanoseconds by the caller (an injectable clock). Kept as the
 * generic cell rate algorithm's one number, the time at which the bucket
 * would be full again, so that PMDs share one bucket without a lock: a
 * take is one compare-and-swap. */
struct pol_bucket {
	uint64_t rate;	      /* tokens per second */
	uint64_t burst;	      /* tokens */
	uint64_t tau;	      /* burst's worth of time, ns */
	_Atomic uint64_t tat; /* the time the bucket is full again, ns */
};

void pol_bucket_init(struct pol_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* Takes `cost` tokens (1 per packet, or the frame's bits) if there are as
 * many; true when taken (the frame passes). */
bool pol_bucket_take(struct pol_bucket *b, uint64_t cost, uint64_t now_ns);

#endif
