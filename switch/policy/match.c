/* Policy matches and token buckets; see match.h. Pure; PMD lcores (the
 * matcher, the bucket) and the control thread (covers). */
#include "match.h"

#include <string.h>

#define POL_NS 1000000000ull

static bool prefix_has(const struct pol_prefix *p, const uint8_t *addr)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((p->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* True when prefix a holds all of prefix b. */
static bool prefix_covers(const struct pol_prefix *a, const struct pol_prefix *b)
{
	return a->len <= b->len && prefix_has(a, b->addr);
}

static void ip4_bytes(uint32_t a, uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
}

bool pol_match_frame(const struct pol_match *r, const struct pkt_meta *m, const uint8_t *p)
{
	uint32_t f = r->fields;
	bool l4 = (m->flags & PKT_F_L4) != 0;

	if ((m->flags & PKT_F_RUNT) && f)
		return false;
	if ((f & POL_F_ETH_SRC) && m->src != r->eth_src)
		return false;
	if ((f & POL_F_ETH_DST) && m->dst != r->eth_dst)
		return false;
	if ((f & POL_F_ETHERTYPE) && m->ethertype != r->ethertype)
		return false;
	if ((f & POL_F_VLAN) && (!(m->flags & PKT_F_VLAN) || (m->vlan_tci & 0xfff) != r->vlan))
		return false;
	if (f & (POL_F_IP_SRC | POL_F_IP_DST)) {
		uint8_t s[16], d[16];

		if (r->ip_version == 4 && (m->flags & PKT_F_IPV4)) {
			ip4_bytes(m->ip4_src, s);
			ip4_bytes(m->ip4_dst, d);
		} else if (r->ip_version == 6 && (m->flags & PKT_F_IPV6)) {
			memcpy(s, p + m->l3_off + 8, 16);
			memcpy(d, p + m->l3_off + 24, 16);
		} else {
			return false;
		}
		if ((f & POL_F_IP_SRC) && !prefix_has(&r->src, s))
			return false;
		if ((f & POL_F_IP_DST) && !prefix_has(&r->dst, d))
			return false;
	}
	if ((f & POL_F_PROTO) &&
	    (!(m->flags & (PKT_F_IPV4 | PKT_F_IPV6)) || m->proto != r->proto))
		return false;
	if (f & (POL_F_SPORT | POL_F_DPORT)) {
		if (!l4 || (m->proto != PKT_IP_TCP && m->proto != PKT_IP_UDP))
			return false;
		if ((f & POL_F_SPORT) && (m->sport < r->sport_lo || m->sport > r->sport_hi))
			return false;
		if ((f & POL_F_DPORT) && (m->dport < r->dport_lo || m->dport > r->dport_hi))
			return false;
	}
	if (f & (POL_F_ICMP_TYPE | POL_F_ICMP_CODE)) {
		if (!l4 || (m->proto != PKT_IP_ICMP && m->proto != PKT_IP_ICMPV6))
			return false;
		if ((f & POL_F_ICMP_TYPE) && m->sport != r->icmp_type)
			return false;
		if ((f & POL_F_ICMP_CODE) && m->dport != r->icmp_code)
			return false;
	}
	if ((f & POL_F_TCP_FLAGS) &&
	    (!l4 || m->proto != PKT_IP_TCP || (m->tcp_flags & r->tcp_mask) != r->tcp_flags))
		return false;
	return true;
}

bool pol_match_covers(const struct pol_match *a, const struct pol_match *b)
{
	uint32_t fa = a->fields, fb = b->fields;

	/* a tests nothing b does not test at least as narrowly */
	if ((fa & fb) != fa)
		return false;
	if ((fa & POL_F_ETH_SRC) && a->eth_src != b->eth_src)
		return false;
	if ((fa & POL_F_ETH_DST) && a->eth_dst != b->eth_dst)
		return false;
	if ((fa & POL_F_ETHERTYPE) && a->ethertype != b->ethertype)
		return false;
	if ((fa & POL_F_VLAN) && a->vlan != b->vlan)
		return false;
	if ((fa & (POL_F_IP_SRC | POL_F_IP_DST)) && a->ip_version != b->ip_version)
		return false;
	if ((fa & POL_F_IP_SRC) && !prefix_covers(&a->src, &b->src))
		return false;
	if ((fa & POL_F_IP_DST) && !prefix_covers(&a->dst, &b->dst))
		return false;
	if ((fa & POL_F_PROTO) && a->proto != b->proto)
		return false;
	if ((fa & POL_F_SPORT) && (a->sport_lo > b->sport_lo || a->sport_hi < b->sport_hi))
		return false;
	if ((fa & POL_F_DPORT) && (a->dport_lo > b->dport_lo || a->dport_hi < b->dport_hi))
		return false;
	if ((fa & POL_F_ICMP_TYPE) && a->icmp_type != b->icmp_type)
		return false;
	if ((fa & POL_F_ICMP_CODE) && a->icmp_code != b->icmp_code)
		return false;
	/* b's flags test must imply a's: a's mask within b's, same values there */
	if ((fa & POL_F_TCP_FLAGS) &&
	    ((a->tcp_mask & b->tcp_mask) != a->tcp_mask ||
	     (b->tcp_flags & a->tcp_mask) != a->tcp_flags))
		return false;
	return true;
}

static uint64_t bucket_ns(const struct pol_bucket *b, uint64_t tokens)
{
	unsigned __int128 ns = (unsigned __int128)tokens * POL_NS / b->rate;

	return ns > UINT64_MAX / 4 ? UINT64_MAX / 4 : (uint64_t)ns;
}

void pol_bucket_init(struct pol_bucket *b, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	b->rate = rate ? rate : 1;
	b->burst = burst;
	b->tau = bucket_ns(b, burst);
	atomic_store_explicit(&b->tat, now_ns, memory_order_relaxed);
}

bool pol_bucket_take(struct pol_bucket *b, uint64_t cost, uint64_t now_ns)
{
	uint64_t need = bucket_ns(b, cost);
	uint64_t tat = atomic_load_explicit(&b->tat, memory_order_relaxed);

	for (;;) {
		uint64_t next = (tat > now_ns ? tat : now_ns) + need;

		if (next - now_ns > b->tau || now_ns + b->tau < now_ns)
			return false;
		if (atomic_compare_exchange_weak_explicit(&b->tat, &tat, next, memory_order_relaxed,
							  memory_order_relaxed))
			return true;
	}
}
