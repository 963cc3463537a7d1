/* Policy rules in the API's form: the JSON object of one rule (the
 * `rules` of policy.set, docs/policy.md) parsed into its action and the
 * matches it stands for, a whole policy's rules, the shadowed-rule check
 * over them, and the value syntax (rates, bursts, port ranges, TCP flags,
 * prefixes) shared by the switch and the CLI.
 *
 * A rule whose `src` or `dst` is a list (a lab node with an IPv4 and an
 * IPv6 address) stands for one match per combination; they all count as
 * the one rule.
 *
 * Pure (jansson only): the switch parses requests with it on the control
 * thread, the CLI checks topology files with it, unit tests call it. */
#ifndef VLAB_POLICY_RULE_H
#define VLAB_POLICY_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "classify.h"

#define POL_MAX_POLICIES 1024   /* per switch */
#define POL_MAX_RULES    65536  /* matches per policy, after expanding lists */
#define POL_MAX_ADDRS    64     /* prefixes in one rule's src or dst list */

enum pol_action {
	POL_A_ALLOW,
	POL_A_DROP,
	POL_A_REJECT, /* drop, and a TCP RST or ICMP/ICMPv6 unreachable to the sender */
	POL_A_COUNT,  /* count, go on with the next rule */
	POL_A_MIRROR, /* copy to the policy's mirror captures, go on */
	POL_A_RATE,   /* allow within the token bucket, drop above it */
	POL_A_MAX
};

extern const char *const pol_action_names[POL_A_MAX + 1]; /* NULL-terminated */

/* pol_rule.flags */
#define POL_R_STATEFUL 0x01 /* allow: record the connection, let its replies in */

/* One rule as given. */
struct pol_urule {
	uint8_t action;     /* enum pol_action */
	uint8_t flags;      /* POL_R_* */
	bool rate_bits;     /* POL_A_RATE: rate in bits/s and burst in bits (else packets) */
	uint64_t rate;      /* tokens per second */
	uint64_t burst;     /* tokens */
	uint32_t first, n;  /* its matches: set->r[first .. first + n) */
	json_t *json;       /* the rule object as given (a reference) */
};

/* The rules of a policy, in order. r[].id is the index of the rule in u[]. */
struct pol_set {
	struct pol_urule *u;
	uint32_t n_u;
	struct pol_rule *r;
	uint32_t n_r;
};

/* Parses the JSON array `rules` into *s (fresh). 0, or -EINVAL with a
 * message naming the rule (by position, from 1), the key and the fix, and
 * *bad_rule / *bad_key (when not NULL) set to where it is (the key NULL
 * when the rule as a whole is wrong; it points into `rules`), or -ENOMEM. */
int pol_set_parse(const json_t *rules, struct pol_set *s, size_t *bad_rule, const char **bad_key,
		  char *msg, size_t len);
void pol_set_free(struct pol_set *s);

/* The earlier rule (index into u[]) that makes rule i never match: one
 * that ends evaluation (not count or mirror) and covers every match of i.
 * -1 when none. */
int32_t pol_set_shadowed_by(const struct pol_set *s, uint32_t i);

/* Value syntax, each 0 or -EINVAL. */
/* "1000pps", "10kpps", "2mpps" (packets/s, *bits false) or "64kbit",
 * "10mbit", "1gbit", "1000bit" (*bits true). */
int pol_parse_rate(const char *s, uint64_t *rate, bool *bits);
/* A burst for a rate: packets ("50") for a packet rate; bytes ("32kb",
 * "1500b", "2mb") for a bit rate, returned in bits. */
int pol_parse_burst(const char *s, bool bits, uint64_t *burst);
/* The burst a rate gets when none is given: 20 ms of it, at least 1 packet
 * or 2 full-size frames. */
uint64_t pol_default_burst(uint64_t rate, bool bits);
/* "10.0.0.0/24", "10.0.0.1" (/32), "fd00::/64", "fd00::1" (/128). */
int pol_parse_prefix(const char *s, struct pol_prefix *p, uint8_t *version);
/* "syn", "syn,!ack", "fin|rst"... : flags that must be set and (with "!")
 * clear; *mask is every flag named. */
int pol_parse_tcp_flags(const char *s, uint8_t *flags, uint8_t *mask);

#endif
