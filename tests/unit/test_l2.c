/* Unit tests of the L2 stage (switch/l2/l2.c) over a hand-made datapath
 * snapshot: learning and unicast through the per-port caches, and that a
 * cached decision never sends a frame to a port that left its network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd.h"
#include "l2.h"
#include "sw.h"

#define MAC_A 0x020000000001ull
#define MAC_B 0x020000000002ull

struct env {
	struct fdb *fdb;
	struct sw_dp *dp;
	struct l2_pmd *l2;
	struct sw_port_ctr ctr[4];
	struct sw_net_ctr nctr;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->fdb = fdb_create(1024, 100);
	e->dp = calloc(1, sizeof(*e->dp));
	e->l2 = calloc(1, sizeof(*e->l2));
	for (int p = 0; p < SW_MAX_PORTS; p++)
		e->dp->port_net[p] = SW_NO_NET;
	e->dp->port_net[1] = 0;
	e->dp->port_net[2] = 0;
	e->dp->port[1].learn = true;
	e->dp->port[2].learn = true;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fdb_destroy(e->fdb);
	free(e->dp);
	free(e->l2);
	free(e);
	return 0;
}

/* Decides one frame dst <- src received on `in`; returns its meta. */
static struct pkt_meta decide(struct env *e, uint16_t in, uint64_t dst, uint64_t src)
{
	struct pkt_meta m = {.dst = dst, .src = src, .len = 60};

	l2_decide(e->l2, e->fdb, e->dp, in, e->dp->port_net[in], &m, 1, 1, &e->ctr[in], &e->nctr);
	return m;
}

static void test_learn_then_unicast(void **state)
{
	struct env *e = *state;
	struct pkt_meta m;

	m = decide(e, 1, MAC_B, MAC_A);
	assert_int_equal(m.action, FWD_FLOOD); /* B unknown */
	m = decide(e, 2, MAC_A, MAC_B);
	assert_int_equal(m.action, FWD_UNICAST);
	assert_int_equal(m.out, 1);
	for (int i = 0; i < 3; i++) { /* the cached path gives the same answer */
		m = decide(e, 1, MAC_B, MAC_A);
		assert_int_equal(m.action, FWD_UNICAST);
		assert_int_equal(m.out, 2);
	}
	assert_int_equal(ctr_get(&e->nctr.learned), 2);
}

static void test_cache_respects_networks(void **state)
{
	struct env *e = *state;
	struct pkt_meta m;

	decide(e, 1, MAC_B, MAC_A);
	decide(e, 2, MAC_A, MAC_B);
	m = decide(e, 1, MAC_B, MAC_A);
	assert_int_equal(m.out, 2); /* cached now */
	/* port 2 moves to another network in a new snapshot, the FDB untouched */
	e->dp->port_net[2] = 7;
	m = decide(e, 1, MAC_B, MAC_A);
	assert_int_not_equal(m.action, FWD_UNICAST);
	e->dp->port_net[2] = SW_NO_NET; /* or goes away */
	m = decide(e, 1, MAC_B, MAC_A);
	assert_int_not_equal(m.action, FWD_UNICAST);
}

static void test_drops_and_events(void **state)
{
	struct env *e = *state;
	struct pkt_meta m;

	m = decide(e, 1, MAC_B, 0);
	assert_int_equal(m.action, FWD_DROP);
	assert_int_equal(m.reason, API_DROP_SRC_ZERO);
	fdb_set_port_limit(e->fdb, 1, 0);
	m = decide(e, 1, MAC_B, MAC_A);
	assert_int_equal(m.action, FWD_FLOOD); /* forwarded, not learned */
	assert_int_equal(ctr_get(&e->ctr[1].events[API_EVENT_MAC_LIMIT]), 1);
}

/* A port with learning off (mac_limit 0) forwards without learning or
 * counting a limit event for each frame. */
static void test_port_without_learning(void **state)
{
	struct env *e = *state;
	struct pkt_meta m;

	e->dp->port[1].learn = false;
	for (int i = 0; i < 3; i++) {
		m = decide(e, 1, MAC_B, MAC_A);
		assert_int_equal(m.action, FWD_FLOOD);
	}
	m = decide(e, 2, MAC_A, MAC_B);
	assert_int_equal(m.action, FWD_FLOOD); /* A was never learned */
	m = decide(e, 1, MAC_B, MAC_A);
	assert_int_equal(m.action, FWD_UNICAST); /* B was, on a learning port */
	assert_int_equal(m.out, 2);
	assert_int_equal(ctr_get(&e->ctr[1].events[API_EVENT_MAC_LIMIT]), 0);
	assert_int_equal(ctr_get(&e->nctr.learned), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learn_then_unicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_respects_networks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drops_and_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_without_learning, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
