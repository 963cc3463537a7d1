/* Policy rules in the API's JSON form; see rule.h. Pure; the switch's
 * control thread, the CLI, unit tests. */
#include "rule.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mac.h"

const char *const pol_action_names[POL_A_MAX + 1] = {
	"allow", "drop", "reject", "count", "mirror", "rate-limit", NULL,
};

static const char *const rule_keys[] = {
	"action", "name", "eth_src", "eth_dst", "ethertype", "vlan", "src", "dst", "proto",
	"sport", "dport", "icmp_type", "icmp_code", "tcp_flags", "stateful", "rate", "burst",
	NULL,
};

#define RULE_KEYS_TEXT                                                                        \
	"action, name, eth_src, eth_dst, ethertype, vlan, src, dst, proto, sport, dport, "      \
	"icmp_type, icmp_code, tcp_flags, stateful, rate, burst"

/* ---- values ---- */

/* Digits in `base` (0: "0x" hex too) at s; *end after them. */
static int parse_num(const char *s, int base, const char **end, uint64_t *v)
{
	char *e;
	unsigned long long x;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &e, base);
	if (errno != 0)
		return -EINVAL;
	*v = x;
	*end = e;
	return 0;
}

static int parse_u64(const char *s, const char **end, uint64_t *v)
{
	return parse_num(s, 10, end, v);
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a != 0 && b > UINT64_MAX / a)
		return -EINVAL;
	*out = a * b;
	return 0;
}

int pol_parse_rate(const char *s, uint64_t *rate, bool *bits)
{
	static const struct {
		const char *unit;
		uint64_t mul;
		bool bits;
	} units[] = {
		{"pps", 1, false},	  {"kpps", 1000, false},   {"mpps", 1000000, false},
		{"bit", 1, true},	  {"kbit", 1000, true},	   {"mbit", 1000000, true},
		{"gbit", 1000000000, true},
	};
	const char *e;
	uint64_t v;

	if (parse_u64(s, &e, &v) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcasecmp(e, units[i].unit) == 0) {
			if (mul_ok(v, units[i].mul, rate) < 0 || *rate == 0)
				return -EINVAL;
			*bits = units[i].bits;
			return 0;
		}
	return -EINVAL;
}

int pol_parse_burst(const char *s, bool bits, uint64_t *burst)
{
	const char *e;
	uint64_t v, mul = 1;

	if (parse_u64(s, &e, &v) < 0 || v == 0)
		return -EINVAL;
	if (!bits) {
		if (*e != '\0' && strcasecmp(e, "p") != 0 && strcasecmp(e, "packets") != 0)
			return -EINVAL;
		*burst = v;
		return 0;
	}
	if (strcasecmp(e, "b") == 0)
		mul = 8;
	else if (strcasecmp(e, "kb") == 0)
		mul = 8 * 1024;
	else if (strcasecmp(e, "mb") == 0)
		mul = 8 * 1024 * 1024;
	else
		return -EINVAL;
	return mul_ok(v, mul, burst);
}

uint64_t pol_default_burst(uint64_t rate, bool bits)
{
	uint64_t b = rate / 50;
	uint64_t min = bits ? 2 * 1518 * 8 : 1;

	return b < min ? min : b;
}

int pol_parse_prefix(const char *s, struct pol_prefix *p, uint8_t *version)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned int max;

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		*version = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		*version = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	p->len = (uint8_t)max;
	if (slash != NULL) {
		const char *e;
		uint64_t len;

		if (parse_u64(slash + 1, &e, &len) < 0 || *e != '\0' || len > max)
			return -EINVAL;
		p->len = (uint8_t)len;
	}
	/* host bits off: 10.0.0.1/24 means 10.0.0.0/24 */
	for (unsigned int bit = p->len; bit < 128; bit++)
		p->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

int pol_parse_tcp_flags(const char *s, uint8_t *flags, uint8_t *mask)
{
	static const char *const names[] = {"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"};
	const char *p = s;

	*flags = *mask = 0;
	while (*p) {
		bool neg = false;
		size_t n;
		int bit = -1;

		while (*p == ',' || *p == '|' || *p == ' ' || *p == '+')
			p++;
		if (*p == '\0')
			break;
		if (*p == '!' || *p == '-') {
			neg = true;
			p++;
		}
		n = strcspn(p, ",| +!-");
		for (int i = 0; i < 8; i++)
			if (n == strlen(names[i]) && strncasecmp(p, names[i], n) == 0)
				bit = i;
		if (bit < 0)
			return -EINVAL;
		*mask |= (uint8_t)(1u << bit);
		if (!neg)
			*flags |= (uint8_t)(1u << bit);
		p += n;
	}
	return *mask ? 0 : -EINVAL;
}

/* ---- one rule ---- */

struct rparse {
	char *msg;
	size_t len;
	const char **bad_key;
	size_t idx; /* the rule's position, from 1 */
};

static int rfail(struct rparse *rp, const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t off;

	if (rp->bad_key)
		*rp->bad_key = key;
	off = (size_t)snprintf(rp->msg, rp->len, key ? "rule %zu: \"%s\": " : "rule %zu: ",
			       rp->idx, key);
	if (off >= rp->len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(rp->msg + off, rp->len - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An integer 0..max, given as a number or a string of digits ("0x" hex too). */
static int json_uint(const json_t *v, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
			return -EINVAL;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *e;
		uint64_t x;

		if (parse_num(json_string_value(v), 0, &e, &x) < 0 || *e != '\0' || x > max)
			return -EINVAL;
		*out = x;
		return 0;
	}
	return -EINVAL;
}

static int named_uint(const json_t *v, const char *const *names, const uint16_t *values,
		      uint64_t max, uint64_t *out)
{
	if (json_is_string(v))
		for (size_t i = 0; names[i]; i++)
			if (strcasecmp(json_string_value(v), names[i]) == 0) {
				*out = values[i];
				return 0;
			}
	return json_uint(v, max, out);
}

static int port_range(const json_t *v, uint16_t *lo, uint16_t *hi)
{
	uint64_t a, b;

	if (json_is_string(v) && strchr(json_string_value(v), '-')) {
		const char *s = json_string_value(v), *e;

		if (parse_u64(s, &e, &a) < 0 || *e != '-' || parse_u64(e + 1, &e, &b) < 0 ||
		    *e != '\0' || a > 65535 || b > 65535 || a > b)
			return -EINVAL;
	} else {
		if (json_uint(v, 65535, &a) < 0)
			return -EINVAL;
		b = a;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

struct addrs {
	struct pol_prefix p[POL_MAX_ADDRS];
	uint8_t ver[POL_MAX_ADDRS];
	size_t n; /* 0: the key is not given */
};

static int parse_addrs(struct rparse *rp, const char *key, const json_t *v, struct addrs *a)
{
	size_t i;
	const json_t *e;

	a->n = 0;
	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		if (pol_parse_prefix(json_string_value(v), &a->p[0], &a->ver[0]) < 0)
			return rfail(rp, key, "\"%s\" is not an address or prefix; use e.g. "
					      "10.0.0.0/24, 10.0.0.1 or fd00::/64",
				     json_string_value(v));
		a->n = 1;
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > POL_MAX_ADDRS)
		return rfail(rp, key, "must be a prefix or a list of 1 to %d prefixes",
			     POL_MAX_ADDRS);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) ||
		    pol_parse_prefix(json_string_value(e), &a->p[i], &a->ver[i]) < 0)
			return rfail(rp, key, "item %zu is not an address or prefix; use e.g. "
					      "10.0.0.0/24, 10.0.0.1 or fd00::/64",
				     i + 1);
	}
	a->n = json_array_size(v);
	return 0;
}

static int known_key(const char *k)
{
	for (size_t i = 0; rule_keys[i]; i++)
		if (strcmp(rule_keys[i], k) == 0)
			return 1;
	return 0;
}

/* The match and action of `o` (addresses aside) into *u and *m. */
static int parse_fields(struct rparse *rp, const json_t *o, struct pol_urule *u,
			struct pol_match *m)
{
	static const char *const et_names[] = {"arp", "ipv4", "ipv6", "vlan", NULL};
	static const uint16_t et_values[] = {PKT_ETH_ARP, PKT_ETH_IPV4, PKT_ETH_IPV6, PKT_ETH_VLAN};
	static const char *const pr_names[] = {"icmp", "tcp", "udp", "icmpv6", NULL};
	static const uint16_t pr_values[] = {PKT_IP_ICMP, PKT_IP_TCP, PKT_IP_UDP, PKT_IP_ICMPV6};
	const char *key;
	const json_t *v;
	uint64_t x;
	uint8_t mac[6];
	int a = -1;

	json_object_foreach((json_t *)o, key, v)
	{
		if (!known_key(key))
			return rfail(rp, key, "unknown key; rules take " RULE_KEYS_TEXT);
	}
	v = json_object_get(o, "action");
	if (v == NULL)
		return rfail(rp, NULL, "no \"action\"; give one of allow, drop, reject, count, "
				       "mirror, rate-limit");
	for (int i = 0; json_is_string(v) && pol_action_names[i]; i++)
		if (strcmp(json_string_value(v), pol_action_names[i]) == 0)
			a = i;
	if (a < 0)
		return rfail(rp, "action", "must be one of allow, drop, reject, count, mirror, "
					   "rate-limit");
	u->action = (uint8_t)a;
	if ((v = json_object_get(o, "name")) &&
	    (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 63))
		return rfail(rp, "name", "must be a label of 1 to 63 characters");
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "eth_dst" : "eth_src";

		if (!(v = json_object_get(o, k)))
			continue;
		if (!json_is_string(v) || mac_parse(json_string_value(v), mac) < 0)
			return rfail(rp, k, "must be a MAC address like 52:54:00:12:34:56");
		x = 0;
		for (int b = 0; b < 6; b++)
			x = x << 8 | mac[b];
		if (i) {
			m->eth_dst = x;
			m->fields |= POL_F_ETH_DST;
		} else {
			m->eth_src = x;
			m->fields |= POL_F_ETH_SRC;
		}
	}
	if ((v = json_object_get(o, "ethertype"))) {
		if (named_uint(v, et_names, et_values, 0xffff, &x) < 0 || x < 0x600)
			return rfail(rp, "ethertype", "must be arp, ipv4, ipv6 or a number from "
						      "0x0600 to 0xffff");
		m->ethertype = (uint16_t)x;
		m->fields |= POL_F_ETHERTYPE;
	}
	if ((v = json_object_get(o, "vlan"))) {
		if (json_uint(v, 4095, &x) < 0)
			return rfail(rp, "vlan", "must be a VLAN id from 0 to 4095");
		m->vlan = (uint16_t)x;
		m->fields |= POL_F_VLAN;
	}
	if ((v = json_object_get(o, "proto"))) {
		if (named_uint(v, pr_names, pr_values, 255, &x) < 0)
			return rfail(rp, "proto", "must be icmp, icmpv6, tcp, udp or a number from "
						  "0 to 255");
		m->proto = (uint8_t)x;
		m->fields |= POL_F_PROTO;
	}
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "dport" : "sport";

		if (!(v = json_object_get(o, k)))
			continue;
		if ((m->fields & POL_F_PROTO) && m->proto != PKT_IP_TCP && m->proto != PKT_IP_UDP)
			return rfail(rp, k, "ports need proto tcp or udp");
		if (i ? port_range(v, &m->dport_lo, &m->dport_hi)
		      : port_range(v, &m->sport_lo, &m->sport_hi))
			return rfail(rp, k, "must be a port (0-65535) or a range \"LO-HI\"");
		m->fields |= i ? POL_F_DPORT : POL_F_SPORT;
	}
	for (int i = 0; i < 2; i++) {
		const char *k = i ? "icmp_code" : "icmp_type";

		if (!(v = json_object_get(o, k)))
			continue;
		if (!(m->fields & POL_F_PROTO) ||
		    (m->proto != PKT_IP_ICMP && m->proto != PKT_IP_ICMPV6))
			return rfail(rp, k, "needs proto icmp or icmpv6");
		if (json_uint(v, 255, &x) < 0)
			return rfail(rp, k, "must be a number from 0 to 255");
		if (i)
			m->icmp_code = (uint8_t)x;
		else
			m->icmp_type = (uint8_t)x;
		m->fields |= i ? POL_F_ICMP_CODE : POL_F_ICMP_TYPE;
	}
	if ((v = json_object_get(o, "tcp_flags"))) {
		if ((m->fields & POL_F_PROTO) && m->proto != PKT_IP_TCP)
			return rfail(rp, "tcp_flags", "needs proto tcp");
		if (!json_is_string(v) ||
		    pol_parse_tcp_flags(json_string_value(v), &m->tcp_flags, &m->tcp_mask) < 0)
			return rfail(rp, "tcp_flags",
				     "must list flags that are set, and with ! clear, e.g. "
				     "\"syn,!ack\" (fin syn rst psh ack urg ece cwr)");
		m->fields |= POL_F_TCP_FLAGS | POL_F_PROTO;
		m->proto = PKT_IP_TCP;
	}
	if ((v = json_object_get(o, "stateful"))) {
		if (!json_is_boolean(v))
			return rfail(rp, "stateful", "must be true or false");
		if (json_is_true(v) && u->action != POL_A_ALLOW)
			return rfail(rp, "stateful", "only an allow rule can be stateful");
		if (json_is_true(v))
			u->flags |= POL_R_STATEFUL;
	}
	v = json_object_get(o, "rate");
	if (u->action == POL_A_RATE && v == NULL)
		return rfail(rp, NULL, "a rate-limit rule needs \"rate\", e.g. 1000pps or 10mbit");
	if (v != NULL) {
		if (u->action != POL_A_RATE)
			return rfail(rp, "rate", "only a rate-limit rule takes a rate");
		if (!json_is_string(v) ||
		    pol_parse_rate(json_string_value(v), &u->rate, &u->rate_bits) < 0)
			return rfail(rp, "rate", "must be a rate like 1000pps, 10kpps, 512kbit, "
						 "10mbit or 1gbit");
		u->burst = pol_default_burst(u->rate, u->rate_bits);
	}
	if ((v = json_object_get(o, "burst"))) {
		char b[32];

		if (u->action != POL_A_RATE)
			return rfail(rp, "burst", "only a rate-limit rule takes a burst");
		if (json_is_integer(v))
			snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
		else
			snprintf(b, sizeof(b), "%s", json_is_string(v) ? json_string_value(v) : "");
		if (pol_parse_burst(b, u->rate_bits, &u->burst) < 0)
			return rfail(rp, "burst",
				     u->rate_bits ? "must be bytes like 1500b, 32kb or 1mb"
						  : "must be a number of packets");
	}
	return 0;
}

/* ---- a policy ---- */

static int set_grow(struct pol_set *s, uint32_t need, uint32_t *cap)
{
	struct pol_rule *r;
	uint32_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	r = realloc(s->r, c * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	s->r = r;
	*cap = c;
	return 0;
}

int pol_set_parse(const json_t *rules, struct pol_set *s, size_t *bad_rule, const char **bad_key,
		  char *msg, size_t len)
{
	struct rparse rp = {.msg = msg, .len = len, .bad_key = bad_key};
	struct addrs *src = NULL, *dst = NULL;
	uint32_t cap = 0;
	size_t i;
	const json_t *o;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (bad_key)
		*bad_key = NULL;
	if (!json_is_array(rules)) {
		snprintf(msg, len, "rules must be a list of rule objects");
		return -EINVAL;
	}
	src = malloc(sizeof(*src));
	dst = malloc(sizeof(*dst));
	s->u = calloc(json_array_size(rules) ? json_array_size(rules) : 1, sizeof(*s->u));
	if (!src || !dst || !s->u) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(rules, i, o)
	{
		struct pol_urule *u = &s->u[i];
		struct pol_match m = {0};
		size_t ns, nd;

		rp.idx = i + 1;
		if (bad_rule)
			*bad_rule = i;
		if (!json_is_object(o)) {
			rc = rfail(&rp, NULL, "must be an object {action: ..., ...}");
			goto out;
		}
		if ((rc = parse_fields(&rp, o, u, &m)) < 0 ||
		    (rc = parse_addrs(&rp, "src", json_object_get(o, "src"), src)) < 0 ||
		    (rc = parse_addrs(&rp, "dst", json_object_get(o, "dst"), dst)) < 0)
			goto out;
		u->first = s->n_r;
		u->json = (json_t *)o;
		ns = src->n ? src->n : 1;
		nd = dst->n ? dst->n : 1;
		for (size_t a = 0; a < ns; a++)
			for (size_t b = 0; b < nd; b++) {
				struct pol_rule *r;
				uint8_t va = src->n ? src->ver[a] : 0, vb = dst->n ? dst->ver[b] : 0;

				if (va && vb && va != vb)
					continue; /* IPv4 to IPv6 never happens */
				if (s->n_r >= POL_MAX_RULES) {
					rc = rfail(&rp, NULL,
						   "the policy has more than %d matches (lists of "
						   "addresses count once per pair); split it",
						   POL_MAX_RULES);
					goto out;
				}
				if ((rc = set_grow(s, s->n_r + 1, &cap)) < 0)
					goto out;
				r = &s->r[s->n_r++];
				memset(r, 0, sizeof(*r));
				r->m = m;
				r->action = u->action;
				r->flags = u->flags;
				r->id = (uint32_t)i;
				r->m.ip_version = va ? va : vb;
				if (src->n) {
					r->m.src = src->p[a];
					r->m.fields |= POL_F_IP_SRC;
				}
				if (dst->n) {
					r->m.dst = dst->p[b];
					r->m.fields |= POL_F_IP_DST;
				}
			}
		u->n = s->n_r - u->first;
		if (u->n == 0) {
			rc = rfail(&rp, "dst", "no address of src is of the same family (IPv4, IPv6) "
					       "as one of dst: the rule can never match");
			goto out;
		}
		s->n_u = (uint32_t)i + 1;
	}
	if (bad_rule)
		*bad_rule = 0;
out:
	free(src);
	free(dst);
	if (rc < 0)
		pol_set_free(s);
	return rc;
}

void pol_set_free(struct pol_set *s)
{
	free(s->u);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

int32_t pol_set_shadowed_by(const struct pol_set *s, uint32_t i)
{
	const struct pol_urule *u = &s->u[i];
	int32_t by = -1;

	/* every match of i covered by one match of an earlier rule that ends
	 * evaluation; the latest such rule is named */
	for (uint32_t k = 0; k < u->n; k++) {
		const struct pol_rule *r = &s->r[u->first + k];
		int32_t found = -1;

		for (uint32_t j = 0; j < u->first && found < 0; j++) {
			uint8_t a = s->r[j].action;

			if (a == POL_A_COUNT || a == POL_A_MIRROR)
				continue;
			if (pol_match_covers(&s->r[j].m, &r->m))
				found = (int32_t)s->r[j].id;
		}
		if (found < 0)
			return -1;
		if (found > by)
			by = found;
	}
	return by;
}
