/* Unit tests of the connection table of stateful rules
 * (switch/policy/conntrack.c), with an injected clock: TCP followed from SYN
 * to established to closing, the reply direction related and a connection
 * opened the other way not; UDP and ICMP echo pseudo-connections; frames
 * with no connection; expiry; eviction of the entry that expires first when
 * the table is full; PMD threads sharing the table (writers adding
 * connections while a reader finds the ones recorded before, and never one
 * that was not). */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conntrack.h"

#define S 1000000000ull

static uint8_t frame[128];
static struct pkt_meta meta;

/* IPv4 frame src:sp -> dst:dp; for ICMP, sp is type and dp the echo id. */
static void ip4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp,
		uint8_t tcp_flags, uint16_t frag)
{
	uint8_t *p = frame + 14;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01\x08\x00", 14);
	p[0] = 0x45;
	p[3] = 60;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	p += 20;
	if (proto == PKT_IP_ICMP) {
		p[0] = (uint8_t)sp;
		p[4] = (uint8_t)(dp >> 8);
		p[5] = (uint8_t)dp;
	} else {
		p[0] = (uint8_t)(sp >> 8);
		p[1] = (uint8_t)sp;
		p[2] = (uint8_t)(dp >> 8);
		p[3] = (uint8_t)dp;
		p[13] = tcp_flags;
	}
	memset(&meta, 0, sizeof(meta));
	pkt_parse(frame, 14 + 20 + 20, &meta);
}

#define A 0x0a000001u /* 10.0.0.1 */
#define B 0x0a000002u

static void test_tcp(void **state)
{
	struct ct_table t;
	uint64_t now = 100 * S;

	assert_int_equal(ct_init(&t, 64), 0);
	/* before anything is allowed, nothing is related */
	ip4(B, A, PKT_IP_TCP, 80, 40000, 0x12, 0);
	assert_false(ct_related(&t, &meta, frame, now));
	/* A opens to B:80, a stateful rule allows it */
	ip4(A, B, PKT_IP_TCP, 40000, 80, 0x02, 0);
	assert_true(ct_allow(&t, &meta, frame, now));
	assert_int_equal(t.used, 1);
	/* the reply is related, and the connection gets established */
	ip4(B, A, PKT_IP_TCP, 80, 40000, 0x12, 0);
	assert_true(ct_related(&t, &meta, frame, now + 1));
	ip4(A, B, PKT_IP_TCP, 40000, 80, 0x10, 0);
	assert_true(ct_related(&t, &meta, frame, now + 2));
	/* idle for less than the established timeout: still there */
	ip4(B, A, PKT_IP_TCP, 80, 40000, 0x18, 0);
	assert_true(ct_related(&t, &meta, frame, now + CT_TCP_ESTABLISHED_NS));
	/* another connection from B's side (other ports) is not */
	ip4(B, A, PKT_IP_TCP, 81, 40000, 0x02, 0);
	assert_false(ct_related(&t, &meta, frame, now + 3));
	/* FIN: closing, then gone after its timeout */
	ip4(A, B, PKT_IP_TCP, 40000, 80, 0x11, 0);
	now += CT_TCP_ESTABLISHED_NS + 10;
	assert_true(ct_related(&t, &meta, frame, now));
	ip4(B, A, PKT_IP_TCP, 80, 40000, 0x10, 0);
	assert_false(ct_related(&t, &meta, frame, now + CT_TCP_CLOSING_NS + 1));
	assert_int_equal(ct_expire(&t, now + CT_TCP_CLOSING_NS + 1), 1);
	assert_int_equal(t.used, 0);
	/* a SYN that is never answered expires after the SYN timeout */
	ip4(A, B, PKT_IP_TCP, 40001, 80, 0x02, 0);
	assert_true(ct_allow(&t, &meta, frame, now));
	ip4(B, A, PKT_IP_TCP, 80, 40001, 0x12, 0);
	assert_false(ct_related(&t, &meta, frame, now + CT_TCP_SYN_NS + 1));
	ct_free(&t);
}

static void test_udp_icmp_and_none(void **state)
{
	struct ct_table t;
	uint64_t now = 5 * S;
	struct ct_key k;
	bool from_a;

	assert_int_equal(ct_init(&t, 16), 0);
	ip4(A, B, PKT_IP_UDP, 5353, 53, 0, 0);
	assert_true(ct_allow(&t, &meta, frame, now));
	ip4(B, A, PKT_IP_UDP, 53, 5353, 0, 0);
	assert_true(ct_related(&t, &meta, frame, now + CT_UDP_NS - 1));
	ip4(B, A, PKT_IP_UDP, 53, 5354, 0, 0);
	assert_false(ct_related(&t, &meta, frame, now));
	/* ICMP echo: by identifier; the reply (type 0) is related */
	ip4(A, B, PKT_IP_ICMP, 8, 0x1234, 0, 0);
	assert_true(ct_allow(&t, &meta, frame, now));
	ip4(B, A, PKT_IP_ICMP, 0, 0x1234, 0, 0);
	assert_true(ct_related(&t, &meta, frame, now + 1));
	ip4(B, A, PKT_IP_ICMP, 0, 0x1235, 0, 0);
	assert_false(ct_related(&t, &meta, frame, now + 1));
	/* a request from B with A's identifier is not a reply: B may not
	 * ping A because A pinged B (both guests' pings may pick one id) */
	ip4(B, A, PKT_IP_ICMP, 8, 0x1234, 0, 0);
	assert_false(ct_related(&t, &meta, frame, now + 1));
	ip4(A, B, PKT_IP_ICMP, 0, 0x1234, 0, 0);
	assert_false(ct_related(&t, &meta, frame, now + 1));
	ip4(A, B, PKT_IP_ICMP, 8, 0x1234, 0, 0);
	assert_true(ct_related(&t, &meta, frame, now + 1));
	/* no connection: other ICMP, a non-first fragment, non-IP */
	ip4(A, B, PKT_IP_ICMP, 3, 0, 0, 0);
	assert_false(ct_key_of(&meta, frame, &k, &from_a));
	ip4(A, B, PKT_IP_UDP, 1, 2, 0, 200);
	assert_false(ct_key_of(&meta, frame, &k, &from_a));
	assert_false(ct_allow(&t, &meta, frame, now));
	memset(&meta, 0, sizeof(meta));
	memcpy(frame + 12, "\x08\x06", 2);
	pkt_parse(frame, 60, &meta);
	assert_false(ct_key_of(&meta, frame, &k, &from_a));
	/* both directions give one key */
	ip4(A, B, PKT_IP_TCP, 1000, 2000, 0x02, 0);
	{
		struct ct_key k1, k2;
		bool f1, f2;

		assert_true(ct_key_of(&meta, frame, &k1, &f1));
		ip4(B, A, PKT_IP_TCP, 2000, 1000, 0x12, 0);
		assert_true(ct_key_of(&meta, frame, &k2, &f2));
		assert_memory_equal(&k1, &k2, sizeof(k1));
		assert_true(f1 != f2);
	}
	ct_free(&t);
}

static void test_full_table(void **state)
{
	struct ct_table t;
	uint64_t now = S;

	assert_int_equal(ct_init(&t, 16), 0);
	/* 16 connections fill it; each later one evicts the one expiring first */
	for (uint16_t i = 0; i < 16; i++) {
		ip4(A, B, PKT_IP_UDP, (uint16_t)(1000 + i), 53, 0, 0);
		assert_true(ct_allow(&t, &meta, frame, now + i));
	}
	assert_int_equal(t.used, 16);
	assert_int_equal(t.evicted, 0);
	ip4(A, B, PKT_IP_UDP, 2000, 53, 0, 0);
	assert_true(ct_allow(&t, &meta, frame, now + 100));
	assert_int_equal(t.evicted, 1);
	assert_int_equal(t.used, 16);
	/* the oldest (port 1000) went; the newest and the next oldest stay */
	ip4(B, A, PKT_IP_UDP, 53, 1000, 0, 0);
	assert_false(ct_related(&t, &meta, frame, now + 101));
	ip4(B, A, PKT_IP_UDP, 53, 1001, 0, 0);
	assert_true(ct_related(&t, &meta, frame, now + 101));
	ip4(B, A, PKT_IP_UDP, 53, 2000, 0, 0);
	assert_true(ct_related(&t, &meta, frame, now + 101));
	/* expired entries are reused before anything is evicted */
	ip4(A, B, PKT_IP_UDP, 3000, 53, 0, 0);
	assert_true(ct_allow(&t, &meta, frame, now + CT_UDP_NS + 200));
	assert_int_equal(t.evicted, 1);
	ct_free(&t);
}

/* A UDP frame 10.<side>.<i> -> 10.9.0.1 port 53 into f / m (thread-local). */
static void udp_of(uint8_t side, uint32_t i, uint8_t *f, struct pkt_meta *m)
{
	uint8_t *p = f + 14;

	memset(f, 0, 64);
	memcpy(f, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01\x08\x00", 14);
	p[0] = 0x45;
	p[3] = 28;
	p[8] = 64;
	p[9] = PKT_IP_UDP;
	p[12] = 10, p[13] = side, p[14] = (uint8_t)(i >> 8), p[15] = (uint8_t)i;
	p[16] = 10, p[17] = 9, p[19] = 1;
	p[20] = (uint8_t)(i >> 8), p[21] = (uint8_t)i, p[23] = 53;
	memset(m, 0, sizeof(*m));
	pkt_parse(f, 14 + 20 + 8, m);
}

static struct ct_table shared;
static _Atomic int writers_done;

static void *writer(void *arg)
{
	uint8_t side = (uint8_t)(uintptr_t)arg, f[64];
	struct pkt_meta m;

	for (int round = 0; round < 20; round++)
		for (uint32_t i = 0; i < 4096; i++) {
			udp_of(side, i, f, &m);
			ct_allow(&shared, &m, f, 10 * S + (uint64_t)round);
		}
	atomic_fetch_add(&writers_done, 1);
	return NULL;
}

static void test_expire_some(void **state)
{
	struct ct_table t;
	uint8_t f[64];
	struct pkt_meta m;
	uint32_t freed = 0;

	(void)state;
	assert_int_equal(ct_init(&t, 64), 0);
	for (uint32_t i = 0; i < 20; i++) {
		udp_of(1, i, f, &m);
		assert_true(ct_allow(&t, &m, f, S));
	}
	/* expired at 40 s (30 s timeout): 7 slices of 10 pass over the 64 entries */
	for (int k = 0; k < 7; k++)
		freed += ct_expire_some(&t, 40 * S, 10);
	assert_int_equal(freed, 20);
	assert_int_equal(t.used, 0);
	ct_free(&t);
}

static void test_threads(void **state)
{
	pthread_t w[2];
	uint8_t f[64];
	struct pkt_meta m;
	uint64_t checks = 0, wrong = 0;

	(void)state;
	assert_int_equal(ct_init(&shared, 65536), 0);
	for (uint32_t i = 0; i < 4096; i++) { /* recorded before the writers start */
		udp_of(1, i, f, &m);
		assert_true(ct_allow(&shared, &m, f, 10 * S));
	}
	atomic_store(&writers_done, 0);
	assert_int_equal(pthread_create(&w[0], NULL, writer, (void *)(uintptr_t)2), 0);
	assert_int_equal(pthread_create(&w[1], NULL, writer, (void *)(uintptr_t)3), 0);
	while (atomic_load(&writers_done) < 2 || checks < 100000) {
		uint32_t i = (uint32_t)(checks % 4096);

		udp_of(1, i, f, &m); /* recorded: always found */
		wrong += !ct_related(&shared, &m, f, 10 * S);
		udp_of(4, i, f, &m); /* never recorded: never found */
		wrong += ct_related(&shared, &m, f, 10 * S);
		checks++;
	}
	pthread_join(w[0], NULL);
	pthread_join(w[1], NULL);
	assert_int_equal(wrong, 0);
	assert_int_equal(shared.used, 3 * 4096);
	assert_int_equal(shared.evicted, 0);
	assert_int_equal(shared.lost, 0);
	ct_free(&shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp),		cmocka_unit_test(test_udp_icmp_and_none),
	    cmocka_unit_test(test_full_table),	cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_expire_some),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
