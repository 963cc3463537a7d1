/* The policy classifier: an ordered list of rules (first match wins)
 * compiled into a table that finds a frame's first matching rule without
 * trying them all. Rules that name a protocol and one port or ICMP type go
 * into buckets by (protocol, port) and (protocol, ICMP type); the others
 * form one list. A lookup walks the frame's bucket and that list together in
 * rule order and stops at the first rule that matches, so 10,000 rules on
 * other ports cost a hash lookup, not 10,000 tests.
 *
 * Also the shadowed-rule check: a rule that an earlier one covers can never
 * match.
 *
 * Pure: built on the control thread, read-only afterwards, looked up on PMD
 * lcores (any number at once). */
#ifndef VLAB_POLICY_CLASSIFY_H
#define VLAB_POLICY_CLASSIFY_H

#include <stdint.h>

#include "match.h"

struct pol_rule {
	struct pol_match m;
	uint8_t action; /* the caller's action code */
	uint8_t flags;  /* the caller's (stateful, ...) */
	uint32_t id;	/* the caller's (the rule it was made from) */
};

struct pol_class;

/* Compiles rules[0..n) (copied). NULL without memory. */
struct pol_class *pol_class_build(const struct pol_rule *rules, uint32_t n);
void pol_class_free(struct pol_class *c);

/* The index of the first rule frame m matches, or -1 (the policy's default
 * applies). */
int32_t pol_class_lookup(const struct pol_class *c, const struct pkt_meta *m, const uint8_t *p);
/* The same among rules from..n only (after a rule that goes on). */
int32_t pol_class_lookup_from(const struct pol_class *c, const struct pkt_meta *m, const uint8_t *p,
			      uint32_t from);

/* Rule i as built (its id). */
const struct pol_rule *pol_class_rule(const struct pol_class *c, uint32_t i);

/* The index of an earlier rule that covers rule i (so rule i never
 * matches), or -1. */
int32_t pol_shadowed_by(const struct pol_rule *rules, uint32_t n, uint32_t i);

#endif
