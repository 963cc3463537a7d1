/* Unit tests of the policy classifier (switch/policy/classify.c): its
 * first match agrees with trying every rule in order, for random rule sets
 * (bucketed by port and ICMP type, and not) and random frames; 10,000 rules
 * on other ports leave the one that matches findable; shadowed rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"

static uint8_t frame[128];
static struct pkt_meta meta;

static void ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	uint8_t *p = frame + 14;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01\x08\x00", 14);
	p[0] = 0x45;
	p[3] = 60;
	p[8] = 64;
	p[9] = proto;
	for (int i = 0; i < 4; i++) {
		p[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		p[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	p += 20;
	if (proto == PKT_IP_ICMP) {
		p[0] = (uint8_t)sp;
		p[1] = (uint8_t)dp;
	} else {
		p[0] = (uint8_t)(sp >> 8);
		p[1] = (uint8_t)sp;
		p[2] = (uint8_t)(dp >> 8);
		p[3] = (uint8_t)dp;
		p[13] = (uint8_t)(sp & 0x3f);
	}
	memset(&meta, 0, sizeof(meta));
	pkt_parse(frame, 14 + 20 + 20, &meta);
}

static int32_t linear(const struct pol_rule *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (pol_match_frame(&r[i].m, &meta, frame))
			return (int32_t)i;
	return -1;
}

static const uint8_t protos[] = {PKT_IP_TCP, PKT_IP_UDP, PKT_IP_ICMP};

static void random_rule(struct pol_rule *r)
{
	struct pol_match *m = &r->m;

	memset(r, 0, sizeof(*r));
	if (rand() % 4) {
		m->fields |= POL_F_PROTO;
		m->proto = protos[rand() % 3];
	}
	if (m->proto == PKT_IP_ICMP && rand() % 2) {
		m->fields |= POL_F_ICMP_TYPE;
		m->icmp_type = rand() % 2 ? 8 : 0;
	} else if (rand() % 3) {
		m->fields |= POL_F_DPORT;
		m->dport_lo = (uint16_t)(rand() % 8);
		m->dport_hi = rand() % 3 ? m->dport_lo : (uint16_t)(m->dport_lo + rand() % 4);
	}
	if (rand() % 3 == 0) {
		m->fields |= POL_F_IP_SRC;
		m->ip_version = 4;
		m->src.addr[0] = 10;
		m->src.addr[3] = (uint8_t)(rand() % 4);
		m->src.len = rand() % 2 ? 32 : 8;
	}
	if (rand() % 5 == 0) {
		m->fields |= POL_F_TCP_FLAGS;
		m->tcp_mask = 0x12;
		m->tcp_flags = rand() % 2 ? 0x02 : 0x12;
	}
	r->action = (uint8_t)(rand() % 3);
}

static void test_agrees_with_linear(void **state)
{
	struct pol_rule rules[64];

	srand(11);
	for (int set = 0; set < 200; set++) {
		uint32_t n = (uint32_t)(rand() % 64);
		struct pol_class *c;

		for (uint32_t i = 0; i < n; i++)
			random_rule(&rules[i]);
		c = pol_class_build(rules, n);
		assert_non_null(c);
		for (int f = 0; f < 200; f++) {
			ip4(0x0a000000u | (uint32_t)(rand() % 4), 0x0a0000ffu, protos[rand() % 3],
			    (uint16_t)(rand() % 64), (uint16_t)(rand() % 10));
			if (pol_class_lookup(c, &meta, frame) != linear(rules, n))
				fail_msg("set %d frame %d: classifier %d, linear %d", set, f,
					 pol_class_lookup(c, &meta, frame), linear(rules, n));
		}
		pol_class_free(c);
	}
}

static void test_many_rules(void **state)
{
	static struct pol_rule rules[10001];
	struct pol_class *c;

	/* 10,000 rules on ports the traffic does not use, then one that allows it */
	for (uint32_t i = 0; i < 10000; i++) {
		memset(&rules[i], 0, sizeof(rules[i]));
		rules[i].m.fields = POL_F_PROTO | POL_F_DPORT;
		rules[i].m.proto = PKT_IP_TCP;
		rules[i].m.dport_lo = rules[i].m.dport_hi = (uint16_t)(10000 + i);
		rules[i].action = 2;
	}
	memset(&rules[10000], 0, sizeof(rules[10000]));
	rules[10000].m.fields = POL_F_PROTO;
	rules[10000].m.proto = PKT_IP_TCP;
	c = pol_class_build(rules, 10001);
	assert_non_null(c);
	ip4(0x0a000001, 0x0a000002, PKT_IP_TCP, 1234, 80);
	assert_int_equal(pol_class_lookup(c, &meta, frame), 10000);
	ip4(0x0a000001, 0x0a000002, PKT_IP_TCP, 1234, 15000);
	assert_int_equal(pol_class_lookup(c, &meta, frame), 5000);
	ip4(0x0a000001, 0x0a000002, PKT_IP_UDP, 1234, 15000);
	assert_int_equal(pol_class_lookup(c, &meta, frame), -1);
	pol_class_free(c);
	/* no rules at all */
	c = pol_class_build(rules, 0);
	assert_non_null(c);
	assert_int_equal(pol_class_lookup(c, &meta, frame), -1);
	pol_class_free(c);
}

static void test_shadowed(void **state)
{
	struct pol_rule r[3];

	memset(r, 0, sizeof(r));
	r[0].m.fields = POL_F_PROTO;
	r[0].m.proto = PKT_IP_TCP;
	r[1].m.fields = POL_F_PROTO | POL_F_DPORT;
	r[1].m.proto = PKT_IP_TCP;
	r[1].m.dport_lo = r[1].m.dport_hi = 80;
	r[2].m.fields = POL_F_PROTO | POL_F_DPORT;
	r[2].m.proto = PKT_IP_UDP;
	r[2].m.dport_lo = r[2].m.dport_hi = 80;
	assert_int_equal(pol_shadowed_by(r, 3, 0), -1);
	assert_int_equal(pol_shadowed_by(r, 3, 1), 0);
	assert_int_equal(pol_shadowed_by(r, 3, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_agrees_with_linear),
	    cmocka_unit_test(test_many_rules),
	    cmocka_unit_test(test_shadowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
