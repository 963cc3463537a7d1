/* The L2 forwarding stage: for a parsed burst received on one port, learn the
 * sources and decide each frame's output (one port, the network's flood set,
 * or a drop with its reason), using the per-port caches below and FDB
 * prefetching so that many flows cost little more than one.
 *
 * Runs on PMD lcores; `struct l2_pmd` is private to one PMD. */
#ifndef VLAB_L2_H
#define VLAB_L2_H

#include <stdint.h>

#include "dp.h"
#include "fdb.h"
#include "pkt.h"

struct sw_net_ctr;

struct l2_pmd {
	/* last source learned per receiving port and the second it was: the
	 * same source again within that second needs no FDB write */
	struct {
		uint64_t src;
		uint32_t now;
		uint32_t gen;
	} learnt[SW_MAX_PORTS];
	/* last unicast decision per receiving port: the same destination from
	 * the same (already learned) source goes to the same output while no
	 * FDB entry was removed or moved (fdb_generation() unchanged) */
	struct {
		uint64_t dst;
		uint32_t gen;
		uint16_t out;
	} last[SW_MAX_PORTS];
};

/* Decides meta[i].action (enum fwd_action), .out and .reason for the n frames
 * received on `in` (in network `net`) at second `now`. Learning events and
 * learning drops are counted in `ictr` (the receiving port) and `nctr` (its
 * network). */
void l2_decide(struct l2_pmd *l2, struct fdb *fdb, const struct sw_dp *dp, uint16_t in,
	       uint16_t net, struct pkt_meta *meta, uint16_t n, uint32_t now,
	       struct sw_port_ctr *ictr, struct sw_net_ctr *nctr);

#endif
