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

struct pol_class {
	struct pol_rule *rules;
	uint32_t n_rules;
	uint32_t *rest; /* rules in no bucket, ascending */
	uint32_t n_rest;
	struct pol_bucket_list *b; /* open addressing, a power of two */
	uint32_t n_b;
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

void pol_class_free(struct pol_class *c)
{
	if (c == NULL)
		return;
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
	return c;
out_free:
	pol_class_free(c);
	return NULL;
}

int32_t pol_class_lookup(const struct pol_class *c, const struct pkt_meta *m, const uint8_t *p)
{
	return pol_class_lookup_from(c, m, p, 0);
}

int32_t pol_class_lookup_from(const struct pol_class *c, const struct pkt_meta *m, const uint8_t *p,
			      uint32_t from)
{
	const struct pol_bucket_list *b = NULL;
	uint32_t i = 0, j = 0, nb = 0;

	if ((m->flags & PKT_F_L4) && (m->proto == PKT_IP_TCP || m->proto == PKT_IP_UDP))
		b = bfind(c, bkey(m->proto, KIND_PORT, m->dport));
	else if ((m->flags & PKT_F_L4) && (m->proto == PKT_IP_ICMP || m->proto == PKT_IP_ICMPV6))
		b = bfind(c, bkey(m->proto, KIND_ICMP, m->sport));
	if (b != NULL && b->key != 0)
		nb = b->n;
	/* both lists in rule order: the first match is the first rule that matches */
	while (i < nb || j < c->n_rest) {
		uint32_t r;

		if (j >= c->n_rest || (i < nb && b->idx[i] < c->rest[j]))
			r = b->idx[i++];
		else
			r = c->rest[j++];
		if (r >= from && pol_match_frame(&c->rules[r].m, m, p))
			return (int32_t)r;
	}
	return -1;
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
