/* The connection table of stateful policy rules; see conntrack.h. Pure;
 * the caller's thread. */
#include "conntrack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CT_PROBE 16 /* slots looked at from a key's home slot */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

int ct_init(struct ct_table *t, uint32_t size)
{
	uint32_t n = 16;

	while (n < size && n < (1u << 30))
		n <<= 1;
	memset(t, 0, sizeof(*t));
	t->e = calloc(n, sizeof(*t->e));
	if (t->e == NULL)
		return -ENOMEM;
	t->size = n;
	return 0;
}

void ct_free(struct ct_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

bool ct_key_of(const struct pkt_meta *m, const uint8_t *p, struct ct_key *k, bool *from_a)
{
	uint8_t s[16] = {0}, d[16] = {0};
	uint16_t sp = 0, dp = 0;
	int cmp;

	memset(k, 0, sizeof(*k));
	if (m->flags & PKT_F_IPV4) {
		for (int i = 0; i < 4; i++) {
			s[i] = (uint8_t)(m->ip4_src >> (24 - 8 * i));
			d[i] = (uint8_t)(m->ip4_dst >> (24 - 8 * i));
		}
		k->family = 4;
	} else if (m->flags & PKT_F_IPV6) {
		memcpy(s, p + m->l3_off + 8, 16);
		memcpy(d, p + m->l3_off + 24, 16);
		k->family = 6;
	} else {
		return false;
	}
	k->proto = m->proto;
	if (m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP) {
		if (!(m->flags & PKT_F_L4))
			return false;
		sp = m->sport;
		dp = m->dport;
	} else if (m->proto == PKT_IP_ICMP || m->proto == PKT_IP_ICMPV6) {
		/* echo: the identifier is the requester's port, the responder's
		 * is 0, so a request the other way with the same identifier is
		 * a connection of its own, not a reply */
		uint8_t type = (uint8_t)m->sport;
		bool req = m->proto == PKT_IP_ICMP ? type == 8 : type == 128;
		bool rep = m->proto == PKT_IP_ICMP ? type == 0 : type == 129;

		if (!(m->flags & PKT_F_L4) || !(req || rep))
			return false;
		if (req)
			sp = pkt_be16(p + m->l4_off + 4);
		else
			dp = pkt_be16(p + m->l4_off + 4);
	}
	cmp = memcmp(s, d, 16);
	*from_a = cmp < 0 || (cmp == 0 && sp <= dp);
	memcpy(k->a, *from_a ? s : d, 16);
	memcpy(k->b, *from_a ? d : s, 16);
	k->pa = *from_a ? sp : dp;
	k->pb = *from_a ? dp : sp;
	return true;
}

static uint32_t ct_hash(const struct ct_key *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)k->proto << 8 | k->family);

	for (int i = 0; i < 16; i += 8) {
		uint64_t x, y;

		memcpy(&x, k->a + i, 8);
		memcpy(&y, k->b + i, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdull;
		h = (h ^ y) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= (uint64_t)k->pa << 16 | k->pb;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static bool key_eq(const struct ct_key *x, const struct ct_key *y)
{
	return x->proto == y->proto && x->family == y->family && x->pa == y->pa &&
	       x->pb == y->pb && !memcmp(x->a, y->a, 16) && !memcmp(x->b, y->b, 16);
}

#define LD(x)	 atomic_load_explicit(&(x), memory_order_relaxed)
#define ST(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

/* The live entry of key k, read without a lock (see conntrack.h). */
static struct ct_entry *ct_find(struct ct_table *t, const struct ct_key *k, uint64_t now)
{
	uint32_t h = ct_hash(k);

	for (uint32_t i = 0; i < CT_PROBE; i++) {
		struct ct_entry *e = &t->e[(h + i) & (t->size - 1)];
		uint32_t seq = atomic_load_explicit(&e->seq, memory_order_acquire);
		struct ct_key copy;

		if ((seq & 1) || LD(e->state) == CT_FREE || LD(e->expires_ns) <= now)
			continue;
		memcpy(&copy, &e->key, sizeof(copy));
		atomic_thread_fence(memory_order_acquire);
		if (LD(e->seq) != seq)
			continue; /* rewritten while we read it */
		if (key_eq(&copy, k))
			return e;
	}
	return NULL;
}

/* Makes e (sequence number `seq`, even) ours to write: true when taken. */
static bool ct_claim(struct ct_entry *e, uint32_t seq)
{
	return atomic_compare_exchange_strong_explicit(&e->seq, &seq, seq + 1, memory_order_acquire,
						       memory_order_relaxed);
}

static void ct_release(struct ct_entry *e)
{
	atomic_store_explicit(&e->seq, LD(e->seq) + 1, memory_order_release);
}

static uint64_t ct_timeout(uint8_t state)
{
	switch (state) {
	case CT_SYN:
		return CT_TCP_SYN_NS;
	case CT_ESTABLISHED:
		return CT_TCP_ESTABLISHED_NS;
	case CT_CLOSING:
		return CT_TCP_CLOSING_NS;
	default:
		return CT_OTHER_NS;
	}
}

/* The TCP state after a frame with `flags`, `reply`: from the end that did
 * not open the connection. */
static uint8_t tcp_next(uint8_t state, uint8_t flags, bool reply)
{
	if (flags & (TCP_RST | TCP_FIN))
		return CT_CLOSING;
	if (state == CT_SYN && reply && (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		return CT_ESTABLISHED;
	return state;
}

/* Frame m of entry e's connection: its TCP state followed, its expiry pushed. */
static void ct_refresh(struct ct_entry *e, const struct pkt_meta *m, bool from_a, uint64_t now)
{
	uint8_t st = LD(e->state);

	if (m->proto == PKT_IP_TCP) {
		st = tcp_next(st, m->tcp_flags, from_a != e->a_opened);
		ST(e->state, st);
	}
	ST(e->expires_ns, now + ct_timeout(st));
}

bool ct_allow(struct ct_table *t, const struct pkt_meta *m, const uint8_t *p, uint64_t now)
{
	struct ct_key k;
	struct ct_entry *e, *victim = NULL;
	uint32_t h, vseq = 0;
	bool from_a, was_free = false;
	uint8_t st;

	if (!ct_key_of(m, p, &k, &from_a))
		return false;
	e = ct_find(t, &k, now);
	if (e != NULL) {
		ct_refresh(e, m, from_a, now);
		return true;
	}
	h = ct_hash(&k);
	for (uint32_t i = 0; i < CT_PROBE && e == NULL; i++) {
		struct ct_entry *x = &t->e[(h + i) & (t->size - 1)];
		uint32_t s = atomic_load_explicit(&x->seq, memory_order_acquire);

		if (s & 1)
			continue;
		if (LD(x->state) == CT_FREE || LD(x->expires_ns) <= now) {
			if (ct_claim(x, s)) {
				e = x;
				was_free = LD(x->state) == CT_FREE;
			}
		} else if (victim == NULL || LD(x->expires_ns) < LD(victim->expires_ns)) {
			victim = x;
			vseq = s;
		}
	}
	if (e == NULL) { /* full around its home: the one that expires first goes */
		if (victim == NULL || !ct_claim(victim, vseq)) {
			atomic_fetch_add_explicit(&t->lost, 1, memory_order_relaxed);
			return false;
		}
		e = victim;
		atomic_fetch_add_explicit(&t->evicted, 1, memory_order_relaxed);
	} else if (was_free) {
		atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed);
	}
	e->key = k;
	e->a_opened = from_a;
	st =
	    m->proto == PKT_IP_TCP ? ((m->tcp_flags & TCP_SYN) ? CT_SYN : CT_ESTABLISHED) : CT_OPEN;
	ST(e->state, st);
	ST(e->expires_ns, now + ct_timeout(st));
	ct_release(e);
	return true;
}

bool ct_related(struct ct_table *t, const struct pkt_meta *m, const uint8_t *p, uint64_t now)
{
	struct ct_key k;
	struct ct_entry *e;
	bool from_a;

	if (!ct_key_of(m, p, &k, &from_a))
		return false;
	e = ct_find(t, &k, now);
	if (e == NULL)
		return false;
	ct_refresh(e, m, from_a, now);
	return true;
}

static bool ct_expire_one(struct ct_table *t, struct ct_entry *e, uint64_t now)
{
	uint32_t s = atomic_load_explicit(&e->seq, memory_order_acquire);

	if ((s & 1) || LD(e->state) == CT_FREE || LD(e->expires_ns) > now || !ct_claim(e, s))
		return false;
	ST(e->state, CT_FREE);
	ct_release(e);
	atomic_fetch_sub_explicit(&t->used, 1, memory_order_relaxed);
	return true;
}

uint32_t ct_expire(struct ct_table *t, uint64_t now)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->size; i++)
		n += ct_expire_one(t, &t->e[i], now);
	return n;
}

uint32_t ct_expire_some(struct ct_table *t, uint64_t now, uint32_t n)
{
	uint32_t freed = 0;

	for (uint32_t i = 0; i < n && i < t->size; i++) {
		freed += ct_expire_one(t, &t->e[t->cursor], now);
		t->cursor = (t->cursor + 1) & (t->size - 1);
	}
	return freed;
}
