/* Unit tests of the FDB (switch/fdb.c): learning, lookup, aging with an
 * injected clock, moves, static entries, per-port limits, capacity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <time.h>
#include <stdatomic.h>

#include "fdb.h"

#define MAC_A 0x525400000001ull
#define MAC_B 0x525400000002ull

static int setup(void **state)
{
	*state = fdb_create(1024, 100);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fdb_destroy(*state);
	return 0;
}

static void test_learn_and_lookup(void **state)
{
	struct fdb *fdb = *state;

	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), -1);
	assert_int_equal(fdb_learn(fdb, 0, MAC_A, 3, 10), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 3);
	assert_int_equal(fdb_learn(fdb, 0, MAC_A, 3, 11), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_count(fdb), 1);
	assert_int_equal(fdb_port_count(fdb, 3), 1);
	/* the same MAC in another network is another entry */
	assert_int_equal(fdb_lookup(fdb, 1, MAC_A), -1);
	assert_int_equal(fdb_learn(fdb, 1, MAC_A, 4, 10), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(fdb, 1, MAC_A), 4);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 3);
	assert_int_equal(fdb_count(fdb), 2);
}

static void test_age(void **state)
{
	struct fdb *fdb = *state;

	fdb_learn(fdb, 0, MAC_A, 1, 100);
	fdb_learn(fdb, 0, MAC_B, 2, 100);
	assert_int_equal(fdb_age(fdb, 300, 300, 0), 0);
	/* B stays active, A goes quiet */
	fdb_learn(fdb, 0, MAC_B, 2, 350);
	assert_int_equal(fdb_age(fdb, 400, 300, 0), 0);
	assert_int_equal(fdb_age(fdb, 401, 300, 0), 1);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), -1);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_B), 2);
	assert_int_equal(fdb_port_count(fdb, 1), 0);
	assert_int_equal(fdb_count(fdb), 1);
	/* relearning after aging works and reuses the freed slot */
	assert_int_equal(fdb_learn(fdb, 0, MAC_A, 1, 402), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 1);
}

static void test_age_incremental(void **state)
{
	struct fdb *fdb = *state;
	uint32_t removed = 0;

	for (uint64_t i = 0; i < 100; i++)
		fdb_learn(fdb, 0, MAC_A + i, 1, 0);
	/* small slices eventually cover the whole table */
	for (int i = 0; i < 1000 && removed < 100; i++)
		removed += fdb_age(fdb, 1000, 300, 16);
	assert_int_equal(removed, 100);
	assert_int_equal(fdb_count(fdb), 0);
}

static void test_move(void **state)
{
	struct fdb *fdb = *state;

	fdb_learn(fdb, 0, MAC_A, 1, 5);
	assert_int_equal(fdb_learn(fdb, 0, MAC_A, 2, 6), FDB_LEARN_MOVED);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 2);
	assert_int_equal(fdb_port_count(fdb, 1), 0);
	assert_int_equal(fdb_port_count(fdb, 2), 1);
	assert_int_equal(fdb_count(fdb), 1);
}

static void test_static(void **state)
{
	struct fdb *fdb = *state;

	fdb_learn(fdb, 0, MAC_A, 1, 5);
	assert_int_equal(fdb_add_static(fdb, 0, MAC_A, 7), 0);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 7);
	assert_int_equal(fdb_port_count(fdb, 1), 0);
	/* never moves, never ages, survives a learned-only flush */
	assert_int_equal(fdb_learn(fdb, 0, MAC_A, 2, 6), FDB_LEARN_STATIC);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 7);
	assert_int_equal(fdb_age(fdb, 100000, 300, 0), 0);
	assert_int_equal(fdb_flush(fdb, -1, -1, false), 0);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 7);
	assert_int_equal(fdb_del_static(fdb, 0, MAC_B), -ENOENT);
	assert_int_equal(fdb_del_static(fdb, 0, MAC_A), 0);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), -1);
	/* a learned entry is not a static one */
	fdb_learn(fdb, 0, MAC_B, 1, 5);
	assert_int_equal(fdb_del_static(fdb, 0, MAC_B), -ENOENT);
}

static void test_port_limit(void **state)
{
	struct fdb *fdb = *state;

	fdb_set_port_limit(fdb, 1, 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(fdb_learn(fdb, 0, MAC_A + i, 1, 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(fdb, 0, MAC_A + 3, 1, 1), FDB_LEARN_LIMIT);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A + 3), -1);
	/* other ports are not affected */
	assert_int_equal(fdb_learn(fdb, 0, MAC_A + 3, 2, 1), FDB_LEARN_NEW);
	/* a move onto a full port is refused too */
	assert_int_equal(fdb_learn(fdb, 0, MAC_A + 3, 1, 1), FDB_LEARN_LIMIT);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A + 3), 2);
	/* room again after aging */
	assert_int_equal(fdb_age(fdb, 1000, 300, 0), 4);
	assert_int_equal(fdb_learn(fdb, 0, MAC_A + 3, 1, 1000), FDB_LEARN_NEW);
	/* limit 0: no learning at all */
	fdb_set_port_limit(fdb, 5, 0);
	assert_int_equal(fdb_learn(fdb, 0, MAC_B, 5, 1), FDB_LEARN_LIMIT);
}

static void test_flush_filters(void **state)
{
	struct fdb *fdb = *state;

	fdb_learn(fdb, 0, MAC_A, 1, 1);
	fdb_learn(fdb, 0, MAC_B, 2, 1);
	fdb_learn(fdb, 1, MAC_A, 3, 1);
	assert_int_equal(fdb_flush(fdb, 0, 2, false), 1);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), 1);
	assert_int_equal(fdb_flush(fdb, 1, -1, false), 1);
	assert_int_equal(fdb_lookup(fdb, 1, MAC_A), -1);
	assert_int_equal(fdb_flush(fdb, -1, -1, false), 1);
	assert_int_equal(fdb_count(fdb), 0);
}

static void test_full(void **state)
{
	struct fdb *fdb = fdb_create(64, 1000);
	int full = 0;

	for (uint64_t i = 0; i < 100; i++)
		if (fdb_learn(fdb, 0, MAC_A + i, 1, 1) == FDB_LEARN_FULL)
			full++;
	assert_int_equal(fdb_count(fdb), 64);
	assert_int_equal(full, 36);
	assert_int_equal(fdb_add_static(fdb, 0, MAC_B + 1000, 1), -ENOSPC);
	fdb_destroy(fdb);
}

/* The table holds at least a million entries, all found again. */
static void test_million(void **state)
{
	const uint32_t n = 1u << 20;
	struct fdb *fdb = fdb_create(n, n);
	uint32_t missing = 0;

	assert_non_null(fdb);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(fdb_learn(fdb, (uint16_t)(i & 7), 0x020000000000ull + i,
					   (uint16_t)(i % 200), 1),
				 FDB_LEARN_NEW);
	assert_int_equal(fdb_count(fdb), n);
	for (uint32_t i = 0; i < n; i++)
		if (fdb_lookup(fdb, (uint16_t)(i & 7), 0x020000000000ull + i) != (int)(i % 200))
			missing++;
	assert_int_equal(missing, 0);
	assert_int_equal(fdb_learn(fdb, 0, 0x040000000000ull, 1, 1), FDB_LEARN_FULL);
	fdb_destroy(fdb);
}

struct seen {
	int n;
	int statics;
};

static void count_cb(const struct fdb_entry_view *e, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->statics += e->is_static;
}

static void test_foreach(void **state)
{
	struct fdb *fdb = *state;
	struct seen s = {0};

	fdb_learn(fdb, 0, MAC_A, 1, 1);
	fdb_add_static(fdb, 0, MAC_B, 2);
	fdb_learn(fdb, 1, MAC_A, 1, 1);
	fdb_foreach(fdb, 0, count_cb, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.statics, 1);
	s.n = 0;
	fdb_foreach(fdb, -1, count_cb, &s);
	assert_int_equal(s.n, 3);
}

static void test_mac_multicast(void **state)
{
	assert_true(fdb_mac_is_multicast(0xffffffffffffull));
	assert_true(fdb_mac_is_multicast(0x01005e000001ull));
	assert_false(fdb_mac_is_multicast(MAC_A));
}

/* The generation changes on removal, move and static takeover, not on
 * learning new entries or refreshing them. */
static void test_generation(void **state)
{
	struct fdb *fdb = *state;
	uint32_t g = fdb_generation(fdb);

	assert_int_not_equal(g, 0);
	fdb_learn(fdb, 0, MAC_A, 1, 1);
	fdb_learn(fdb, 0, MAC_A, 1, 2);
	assert_int_equal(fdb_generation(fdb), g);
	fdb_learn(fdb, 0, MAC_A, 2, 2); /* move */
	assert_int_not_equal(fdb_generation(fdb), g);
	g = fdb_generation(fdb);
	fdb_add_static(fdb, 0, MAC_A, 3); /* takeover */
	assert_int_not_equal(fdb_generation(fdb), g);
	g = fdb_generation(fdb);
	fdb_learn(fdb, 0, MAC_B, 1, 2);
	assert_int_equal(fdb_age(fdb, 1000, 300, 0), 1);
	assert_int_not_equal(fdb_generation(fdb), g);
}

/* Several datapath writers learning and moving the same MACs while the
 * control thread ages, flushes and adds static entries: nothing is lost or
 * counted twice, and every lookup returns a port the MAC was seen on. */
struct stress {
	struct fdb *fdb;
	uint16_t port;
	_Atomic bool stop;
	unsigned int bad;
};

static void *stress_writer(void *arg)
{
	struct stress *s = arg;
	uint32_t x = s->port * 2654435761u;

	while (!atomic_load(&s->stop)) {
		x = x * 1103515245u + 12345u;
		uint64_t mac = 0x020000000000ull + (x >> 8) % 512;
		int p;

		fdb_learn(s->fdb, 0, mac, s->port, x % 4);
		p = fdb_lookup(s->fdb, 0, mac);
		if (p != -1 && p != 1 && p != 2 && p != 7)
			s->bad++;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fdb *fdb = fdb_create(4096, 100000);
	struct stress a = {.fdb = fdb, .port = 1}, b = {.fdb = fdb, .port = 2};
	pthread_t ta, tb;

	assert_int_equal(pthread_create(&ta, NULL, stress_writer, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, stress_writer, &b), 0);
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0;; i++) {
		uint64_t mac = 0x020000000000ull + (uint64_t)(i % 512);

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 300)
			break;

		switch (i % 4) {
		case 0:
			fdb_age(fdb, 10, 3, 256);
			break;
		case 1:
			fdb_add_static(fdb, 0, mac, 7);
			break;
		case 2:
			fdb_del_static(fdb, 0, mac);
			break;
		default:
			fdb_flush(fdb, 0, i % 3, false);
			break;
		}
	}
	atomic_store(&a.stop, true);
	atomic_store(&b.stop, true);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.bad + b.bad, 0);
	fdb_flush(fdb, -1, -1, true);
	assert_int_equal(fdb_count(fdb), 0);
	assert_int_equal(fdb_port_count(fdb, 1), 0);
	assert_int_equal(fdb_port_count(fdb, 2), 0);
	fdb_destroy(fdb);
}

/* MAC churn: the table fills to its limit, empties, fills with other MACs,
 * many times over. Deleted slots are free again, so a lookup of an unknown
 * MAC (every flooded frame) still visits about one bucket, never the whole
 * probe range, and the table takes as many entries as on the first day. */
static void test_churn(void **state)
{
	struct fdb *fdb = fdb_create(1024, 1u << 20);
	uint64_t next = 0x020000000000ull;
	unsigned int total = 0, worst = 0, n = 0;

	for (int round = 0; round < 200; round++) {
		uint32_t got = 0;

		for (int i = 0; i < 1024; i++)
			got += fdb_learn(fdb, 0, next++, 1 + (uint16_t)(i % 8), 1) == FDB_LEARN_NEW;
		assert_true(got >= 1000); /* a full table's worth, every round */
		if (round % 2)
			fdb_flush(fdb, -1, -1, false);
		else
			assert_int_equal(fdb_age(fdb, 1000, 300, 0), got); /* aging frees too */
		assert_int_equal(fdb_count(fdb), 0);
	}
	for (uint64_t m = 0; m < 10000; m++) {
		unsigned int p = fdb_probe_len(fdb, 0, 0x0a0000000000ull + m);

		total += p;
		n++;
		if (p > worst)
			worst = p;
	}
	/* an empty table after churn: every lookup stops at its home bucket */
	assert_int_equal(total, n);
	assert_int_equal(worst, 1);
	fdb_destroy(fdb);
}

/* Writers learning the same fresh MACs at the same moment on two ports
 * (a MAC move seen by two PMDs) never store one MAC twice. */
struct twin {
	struct fdb *fdb;
	uint16_t port;
	_Atomic int *go;
	uint64_t base;
	int n;
};

static void *twin_writer(void *arg)
{
	struct twin *t = arg;

	while (atomic_load(t->go) == 0)
		;
	for (int i = 0; i < t->n; i++)
		fdb_learn(t->fdb, 0, t->base + (uint64_t)i, t->port, 1);
	return NULL;
}

static void count_mac(const struct fdb_entry_view *e, void *arg)
{
	((uint8_t *)arg)[e->mac & 0xffff]++;
}

static void test_no_twin_entries(void **state)
{
	for (int round = 0; round < 20; round++) {
		/* a table just big enough: buckets fill and overflow */
		struct fdb *fdb = fdb_create(10000, 1u << 20);
		_Atomic int go = 0;
		struct twin a = {fdb, 1, &go, 0x020000000000ull, 10000};
		struct twin b = {fdb, 2, &go, 0x020000000000ull, 10000};
		static uint8_t seen[1 << 16];
		pthread_t ta, tb;
		uint32_t total = 0;

		assert_int_equal(pthread_create(&ta, NULL, twin_writer, &a), 0);
		assert_int_equal(pthread_create(&tb, NULL, twin_writer, &b), 0);
		atomic_store(&go, 1);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		memset(seen, 0, sizeof(seen));
		fdb_foreach(fdb, -1, count_mac, seen);
		for (int i = 0; i < 10000; i++) {
			assert_true(seen[i] <= 1);
			total += seen[i];
		}
		assert_int_equal(fdb_count(fdb), total);
		assert_int_equal(fdb_port_count(fdb, 1) + fdb_port_count(fdb, 2), total);
		/* every overflow count was given back: an emptied table's lookups
		 * stop at their home bucket */
		fdb_flush(fdb, -1, -1, true);
		assert_int_equal(fdb_count(fdb), 0);
		for (uint64_t m = 0; m < 4096; m++)
			assert_int_equal(fdb_probe_len(fdb, 0, 0x0a0000000000ull + m), 1);
		fdb_destroy(fdb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learn_and_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_age_incremental, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_filters, setup, teardown),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_million),
		cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
		cmocka_unit_test(test_mac_multicast),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test_setup_teardown(test_generation, setup, teardown),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_no_twin_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
