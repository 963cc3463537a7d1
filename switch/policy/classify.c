/* The policy classifier; see classify.h. Pure; built on the control
 * thread, looked up on PMD lcores. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

/* A bucket: rules (their indexes, ascending) with one (protocol, port) or
 * (protocol, ICMP type) key. */
struct pol_bucket_list {
	uint32_t key; /* proto << 17 | kind << 16 | value; 0: empty slot */
	uint32_t n;
	uint32_t *idx;
};

/* Rules with no one port but an address prefix, grouped by which address
 * (source or destination), family and prefix length, and hashed by the
 * prefix within a group: a lookup probes each group once with the frame's
 * address masked to the group's length (a tuple space search). */
struct pol_abucket {
	uint8_t used;
	uint8_t addr[16];
	uint32_t n;
	uint32_t *idx;
};

struct pol_group {
	uint8_t dst;	 /* 0: source address, 1: destination */
	uint8_t version; /* 4 or 6 */
	uint8_t len;
	uint32_t n_b; /* a power of two */
	struct pol_abucket *b;
};

#define POL_MAX_GROUPS (2 * (33 + 129))

struct pol_class {
	struct pol_rule *rules;
	uint32_t n_rules;
	uint32_t *rest; /* rules in no bucket, ascending */
	uint32_t n_rest;
	struct pol_bucket_list *b; /* open addressing, a power of two */
	uint32_t n_b;
	struct pol_group *g;
	uint32_t n_g;
};

#define KIND_PORT 0
#define KIND_ICMP 1

static uint32_t bkey(uint8_t proto, int kind, uint16_t v)
{
	return (uint32_t)proto << 17 | (uint32_t)kind << 16 | v;
}

/* The bucket key of a rule, or 0 when it belongs to the list of the rest. */
static uint32_t rule_key(const struct pol_match *m)
{
	if (!(m->fields & POL_F_PROTO))
		return 0;
	if ((m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP) && (m->fields & POL_F_DPORT) &&
	    m->dport_lo == m->dport_hi)
		return bkey(m->proto, KIND_PORT, m->dport_lo);
	if ((m->proto == PKT_IP_ICMP || m->proto == PKT_IP_ICMPV6) &&
	    (m->fields & POL_F_ICMP_TYPE))
		return bkey(m->proto, KIND_ICMP, m->icmp_type);
	return 0;
}

static uint32_t bhash(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x7feb352d;
	k ^= k >> 15;
	k *= 0x846ca68b;
	return k ^ (k >> 16);
}

static struct pol_bucket_list *bfind(const struct pol_class *c, uint32_t key)
{
	for (uint32_t i = bhash(key);; i++) {
		struct pol_bucket_list *b = &c->b[i & (c->n_b - 1)];

		if (b->key == key || b->key == 0)
			return b;
	}
}

static uint32_t ahash(const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	x = (x ^ (y * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return (uint32_t)(x ^ (x >> 32));
}

static struct pol_abucket *afind(const struct pol_group *g, const uint8_t *a)
{
	for (uint32_t i = ahash(a);; i++) {
		struct pol_abucket *b = &g->b[i & (g->n_b - 1)];

		if (!b->used || memcmp(b->addr, a, 16) == 0)
			return b;
	}
}

static void mask(uint8_t *a, unsigned int len)
{
	unsigned int full = len / 8;

	if (full < 16) {
		a[full] &= (uint8_t)(0xff00u >> (len % 8));
		memset(a + full + 1, 0, 15 - full);
	}
}

/* The group a rule goes into, or NULL (the rest). */
static const struct pol_prefix *rule_prefix(const struct pol_match *m, uint8_t *dst)
{
	if (m->fields & POL_F_IP_SRC) {
		*dst = 0;
		return &m->src;
	}
	if (m->fields & POL_F_IP_DST) {
		*dst = 1;
		return &m->dst;
	}
	return NULL;
}

static struct pol_group *group_of(struct pol_class *c, uint8_t dst, uint8_t ver, uint8_t len)
{
	for (uint32_t i = 0; i < c->n_g; i++)
		if (c->g[i].dst == dst && c->g[i].version == ver && c->g[i].len == len)
			return &c->g[i];
	c->g[c->n_g] = (struct pol_group){.dst = dst, .version = ver, .len = len};
	return &c->g[c->n_g++];
}

static int append(uint32_t **idx, uint32_t *n, uint32_t v)
{
	uint32_t *grown;

	if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: double */
		grown = realloc(*idx, (*n ? 2 * *n : 1) * sizeof(**idx));
		if (grown == NULL)
			return -1;
		*idx = grown;
	}
	(*idx)[(*n)++] = v;
	return 0;
}

/* Builds the groups' hash tables from the rules left in rest[]; what goes
 * into a group leaves rest[]. */
static int build_groups(struct pol_class *c)
{
	uint32_t *count, keep = 0;

	c->g = calloc(POL_MAX_GROUPS, sizeof(*c->g));
	count = calloc(POL_MAX_GROUPS, sizeof(*count));
	if (c->g == NULL || count == NULL) {
		free(count);
		return -1;
	}
	for (uint32_t k = 0; k < c->n_rest; k++) { /* the groups and their sizes */
		const struct pol_match *m = &c->rules[c->rest[k]].m;
		const struct pol_prefix *pf;
		uint8_t dst;

		if ((pf = rule_prefix(m, &dst)) != NULL)
			count[group_of(c, dst, m->ip_version, pf->len) - c->g]++;
	}
	for (uint32_t i = 0; i < c->n_g; i++) {
		uint32_t n = 16;

		while (n < 2 * count[i])
			n <<= 1;
		c->g[i].n_b = n;
		c->g[i].b = calloc(n, sizeof(*c->g[i].b));
		if (c->g[i].b == NULL) {
			free(count);
			return -1;
		}
	}
	free(count);
	for (uint32_t k = 0; k < c->n_rest; k++) {
		uint32_t r = c->rest[k];
		const struct pol_match *m = &c->rules[r].m;
		const struct pol_prefix *pf = NULL;
		struct pol_abucket *b;
		uint8_t dst, a[16];

		if ((pf = rule_prefix(m, &dst)) == NULL) {
			c->rest[keep++] = r;
			continue;
		}
		memcpy(a, pf->addr, 16);
		mask(a, pf->len);
		b = afind(group_of(c, dst, m->ip_version, pf->len), a);
		b->used = 1;
		memcpy(b->addr, a, 16);
		if (append(&b->idx, &b->n, r) < 0)
			return -1;
	}
	c->n_rest = keep;
	return 0;
}

void pol_class_free(struct pol_class *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; c->g && i < c->n_g; i++) {
		for (uint32_t k = 0; k < c->g[i].n_b; k++)
			free(c->g[i].b[k].idx);
		free(c->g[i].b);
	}
	free(c->g);
	for (uint32_t i = 0; i < c->n_b; i++)
		free(c->b[i].idx);
	free(c->b);
	free(c->rest);
	free(c->rules);
	free(c);
}

struct pol_class *pol_class_build(const struct pol_rule *rules, uint32_t n)
{
	struct pol_class *c = calloc(1, sizeof(*c));
	uint32_t nb = 16;

	if (c == NULL)
		return NULL;
	while (nb < 2 * n)
		nb <<= 1;
	c->rules = malloc((n ? n : 1) * sizeof(*c->rules));
	c->rest = malloc((n ? n : 1) * sizeof(*c->rest));
	c->b = calloc(nb, sizeof(*c->b));
	if (!c->rules || !c->rest || !c->b)
		goto out_free;
	c->n_b = nb;
	c->n_rules = n;
	memcpy(c->rules, rules, n * sizeof(*rules));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t key = rule_key(&rules[i].m);
		struct pol_bucket_list *b;
		uint32_t *grown;

		if (key == 0) {
			c->rest[c->n_rest++] = i;
			continue;
		}
		b = bfind(c, key);
		grown = realloc(b->idx, (b->n + 1) * sizeof(*b->idx));
		if (grown == NULL)
			goto out_free;
		b->idx = grown;
		b->key = key;
		b->idx[b->n++] = i;
	}
	if (build_groups(c) < 0)
		goto out_free;
	return c;
out_free:
	pol_class_free(c);
	return NULL;
}

int32_t pol_class_lookup(const struct pol_class *c, const struct pkt_meta *m, const uint8_t *p)
{
	return pol_class_lookup_from(c, m, p, 0);
}

/* The first rule of the ascending list idx[0..n) from `from` on and before
 * `best` that matches, or best. */
static uint32_t first_in(const struct pol_class *c, const uint32_t *idx, uint32_t n,
			 const struct pkt_meta *m, const uint8_t *p, uint32_t from, uint32_t best)
{
	for (uint32_t i = 0; i < n && idx[i] < best; i++)
		if (idx[i] >= from && pol_match_frame(&c->rules[idx[i]].m, m, p))
			return idx[i];
	return best;
}

int32_t pol_class_lookup_from(const struct pol_class *c, const struct pkt_meta *m, const uint8_t *p,
			      uint32_t from)
{
	const struct pol_bucket_list *b = NULL;
	uint32_t best = UINT32_MAX;

	if ((m->flags & PKT_F_L4) && (m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP))
		b = bfind(c, bkey(m->proto, KIND_PORT, m->dport));
	else if ((m->flags & PKT_F_L4) && (m->proto == PKT_IP_ICMP || m->proto == PKT_IP_ICMPV6))
		b = bfind(c, bkey(m->proto, KIND_ICMP, m->sport));
	if (b != NULL && b->key != 0)
		best = first_in(c, b->idx, b->n, m, p, from, best);
	best = first_in(c, c->rest, c->n_rest, m, p, from, best);
	if (c->n_g && (m->flags & (PKT_F_IPV4 | PKT_F_IPV6))) {
		uint8_t ver = (m->flags & PKT_F_IPV4) ? 4 : 6;
		uint8_t addr[2][16] = {{0}};

		if (ver == 4) {
			for (int i = 0; i < 4; i++) {
				addr[0][i] = (uint8_t)(m->ip4_src >> (24 - 8 * i));
				addr[1][i] = (uint8_t)(m->ip4_dst >> (24 - 8 * i));
			}
		} else {
			memcpy(addr[0], p + m->l3_off + 8, 16);
			memcpy(addr[1], p + m->l3_off + 24, 16);
		}
		for (uint32_t i = 0; i < c->n_g; i++) {
			const struct pol_group *g = &c->g[i];
			const struct pol_abucket *ab;
			uint8_t a[16];

			if (g->version != ver)
				continue;
			memcpy(a, addr[g->dst], 16);
			mask(a, g->len);
			ab = afind(g, a);
			if (ab->used)
				best = first_in(c, ab->idx, ab->n, m, p, from, best);
		}
	}
	return best == UINT32_MAX ? -1 : (int32_t)best;
}

int32_t pol_shadowed_by(const struct pol_rule *rules, uint32_t n, uint32_t i)
{
	for (uint32_t k = 0; k < i && k < n; k++)
		if (pol_match_covers(&rules[k].m, &rules[i].m))
			return (int32_t)k;
	return -1;
}

const struct pol_rule *pol_class_rule(const struct pol_class *c, uint32_t i)
{
	return &c->rules[i];
}
