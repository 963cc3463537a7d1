/* Unit tests of the forwarding decision (switch/fwd.c): unicast, flood set,
 * drops by reason, and that a frame never leaves its network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fwd.h"

#define MAC_A 0x525400000001ull
#define MAC_B 0x525400000002ull
#define BCAST 0xffffffffffffull

static uint16_t port_net[FDB_MAX_PORTS];

static int setup(void **state)
{
	for (int i = 0; i < FDB_MAX_PORTS; i++)
		port_net[i] = FWD_NO_NET;
	port_net[1] = 0;
	port_net[2] = 0;
	port_net[3] = 0;
	port_net[4] = 1;
	*state = fdb_create(1024, 100);
	return 0;
}

static int teardown(void **state)
{
	fdb_destroy(*state);
	return 0;
}

static void decide(struct fdb *fdb, uint16_t net, uint16_t in, uint64_t dst, uint64_t src,
		   struct fwd_result *r)
{
	fwd_decide(fdb, port_net, net, in, dst, src, 60, 1, true, r);
}

static void test_unknown_then_unicast(void **state)
{
	struct fdb *fdb = *state;
	struct fwd_result r;

	decide(fdb, 0, 1, MAC_B, MAC_A, &r);
	assert_int_equal(r.action, FWD_FLOOD); /* B unknown */
	assert_true(r.learn_event);
	assert_int_equal(r.learn, FDB_LEARN_NEW);
	decide(fdb, 0, 2, MAC_A, MAC_B, &r);
	assert_int_equal(r.action, FWD_UNICAST); /* A learned on 1 */
	assert_int_equal(r.port, 1);
	decide(fdb, 0, 1, MAC_B, MAC_A, &r);
	assert_int_equal(r.action, FWD_UNICAST);
	assert_int_equal(r.port, 2);
	assert_false(r.learn_event); /* refresh only */
}

static void test_broadcast_floods(void **state)
{
	struct fwd_result r;

	decide(*state, 0, 1, BCAST, MAC_A, &r);
	assert_int_equal(r.action, FWD_FLOOD);
	decide(*state, 0, 1, 0x333300000001ull, MAC_A, &r);
	assert_int_equal(r.action, FWD_FLOOD);
}

static void test_drops(void **state)
{
	struct fdb *fdb = *state;
	struct fwd_result r;

	fwd_decide(fdb, port_net, 0, 1, MAC_B, MAC_A, 13, 1, true, &r);
	assert_int_equal(r.action, FWD_DROP);
	assert_int_equal(r.reason, API_DROP_RUNT);
	decide(fdb, 0, 1, MAC_B, BCAST, &r);
	assert_int_equal(r.action, FWD_DROP);
	assert_int_equal(r.reason, API_DROP_SRC_MULTICAST);
	decide(fdb, 0, 1, MAC_B, 0, &r);
	assert_int_equal(r.action, FWD_DROP);
	assert_int_equal(r.reason, API_DROP_SRC_ZERO);
	assert_int_equal(fdb_count(fdb), 0); /* nothing bad was learned */
	/* B sits behind port 1 too: a frame from 1 to B goes nowhere */
	decide(fdb, 0, 1, MAC_A, MAC_B, &r);
	decide(fdb, 0, 1, MAC_B, MAC_A, &r);
	assert_int_equal(r.action, FWD_DROP);
	assert_int_equal(r.reason, API_DROP_SAME_PORT);
}

static void test_isolation(void **state)
{
	struct fdb *fdb = *state;
	struct fwd_result r;

	/* A learned in network 1 on port 4 */
	decide(fdb, 1, 4, BCAST, MAC_A, &r);
	/* a frame to A in network 0 does not find it */
	decide(fdb, 0, 1, MAC_A, MAC_B, &r);
	assert_int_equal(r.action, FWD_FLOOD);
	/* even an FDB entry pointing at a port of another network is ignored */
	assert_int_equal(fdb_add_static(fdb, 0, 0x525400000099ull, 4), 0);
	decide(fdb, 0, 1, 0x525400000099ull, MAC_B, &r);
	assert_int_equal(r.action, FWD_FLOOD);
	/* and an entry pointing at a removed port */
	assert_int_equal(fdb_add_static(fdb, 0, 0x525400000098ull, 9), 0);
	decide(fdb, 0, 1, 0x525400000098ull, MAC_B, &r);
	assert_int_equal(r.action, FWD_FLOOD);
}

static void test_learn_limit_still_forwards(void **state)
{
	struct fdb *fdb = *state;
	struct fwd_result r;

	fdb_set_port_limit(fdb, 1, 0);
	decide(fdb, 0, 1, BCAST, MAC_A, &r);
	assert_int_equal(r.action, FWD_FLOOD);
	assert_true(r.learn_event);
	assert_int_equal(r.learn, FDB_LEARN_LIMIT);
}

static void test_no_learn(void **state)
{
	struct fdb *fdb = *state;
	struct fwd_result r;

	/* the caller knows the source is fresh: no learning, still forwarded */
	fwd_decide(fdb, port_net, 0, 1, BCAST, MAC_A, 60, 1, false, &r);
	assert_int_equal(r.action, FWD_FLOOD);
	assert_false(r.learn_event);
	assert_int_equal(fdb_lookup(fdb, 0, MAC_A), -1);
	/* invalid sources are dropped whatever the caller says */
	fwd_decide(fdb, port_net, 0, 1, MAC_B, BCAST, 60, 1, false, &r);
	assert_int_equal(r.action, FWD_DROP);
	assert_int_equal(r.reason, API_DROP_SRC_MULTICAST);
}

static void test_flood_set(void **state)
{
	uint16_t members[] = {1, 2, 3, 7}, out[4];

	assert_int_equal(fwd_flood_set(members, 4, 2, out), 3);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 3);
	assert_int_equal(out[2], 7);
	assert_int_equal(fwd_flood_set(members, 1, 1, out), 0);
	assert_int_equal(fwd_flood_set(members, 4, 9, out), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_then_unicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_floods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_limit_still_forwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_learn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_set, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
