/* Switch-wide state of vlab-switchd: the control thread's view of networks and
 * ports, the datapath snapshot published to PMD lcores, and per-PMD state.
 *
 * Threads: `struct sw` is owned by the control thread (main lcore). PMD lcores
 * read only `sw->dp` (through RCU), the FDB, `sw->now`, `sw->quit` and their
 * own `struct sw_pmd`. Port backends' device threads (DPDK's vhost thread)
 * never touch any of it: they post requests with ctl_post(). */
#ifndef VLAB_SW_H
#define VLAB_SW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "schema.h"
#include "fdb.h"
#include "l2.h"
#include "pkt.h"
#include "txbuf.h"

struct sw;
struct port_ops;

/* Counters of one network kept by one PMD, and their sums. */
struct sw_net_ctr {
	struct sw_ctr learned; /* new or moved FDB entries */
	struct sw_ctr flooded; /* frames flooded */
};

struct sw_net_totals {
	uint64_t learned;
	uint64_t flooded;
};

/* One PMD lcore: its identity, counters, TX buffers and stage state. Only its
 * own lcore writes it; the control thread reads the counters. */
struct sw_pmd {
	struct sw *sw;
	unsigned int lcore;
	unsigned int idx; /* RCU thread id and position in sw->pmd */
	struct sw_ctr busy_cycles;
	struct sw_ctr idle_cycles;
	struct sw_ctr packets; /* received */
	struct pkt_meta meta[SW_BURST]; /* metadata of the burst being processed */
	struct sw_port_ctr port[SW_MAX_PORTS];
	struct sw_net_ctr net[SW_MAX_NETS];
	struct txbuf_set tx;
	struct l2_pmd l2;
} __rte_cache_aligned;

/* Control thread's record of a network. */
struct sw_net {
	bool used;
	char name[SW_NAME_MAX];
	uint32_t vni;
	uint16_t n_ports;       /* ports in the network */
	struct sw_net_totals base; /* counters at the last clear */
};

/* How a port was asked for: what port.add takes and the state file keeps. */
struct sw_port_conf {
	char name[SW_NAME_MAX];
	bool server;       /* vhost-user: the switch owns the socket */
	char path[108];    /* vhost-user socket */
	char iface[16];    /* tap / af-packet kernel interface */
	char devargs[256]; /* ring / null / pcap devargs */
	uint32_t mac_limit;
};

/* Control thread's record of a port. */
struct sw_port {
	bool used;
	uint32_t gen; /* changes whenever the slot gets a new port */
	const struct port_ops *ops;
	struct sw_port_conf conf;
	uint16_t net;
	void *dev;               /* the backend's state */
	struct sw_port_totals base; /* counters at the last clear or at creation */
};

/* Settings from the command line. */
struct sw_opts {
	const char *socket_path;
	const char *state_path;
	char pmd_cores[64];
	unsigned int ctl_core;
	bool busy_poll;
	uint32_t aging_time;
	uint32_t mac_limit;
	uint32_t fdb_size;
	uint32_t mbufs;
};

struct sw {
	struct sw_opts opts;
	struct fdb *fdb;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *rcu;
	struct sw_dp *_Atomic dp; /* current snapshot */
	_Atomic uint32_t now;      /* seconds since start, for FDB aging */
	volatile bool quit;
	unsigned int n_pmd;
	unsigned int n_ports; /* ports in use */
	struct sw_pmd *pmd[SW_MAX_PMDS];
	struct sw_net net[SW_MAX_NETS];
	struct sw_port port[SW_MAX_PORTS];
	bool restoring;   /* loading the state file: do not rewrite it */
	void *unrestored; /* json_t array: saved ports that could not be re-created */
	void *unrestored_static; /* json_t array: their static FDB entries, kept */
};

/* Lookups by name (control thread); -1 when absent. */
int sw_net_find(const struct sw *sw, const char *name);
int sw_port_find(const struct sw *sw, const char *name);

/* dp.c: rebuilds the datapath snapshot from sw->net/sw->port, publishes it and
 * waits until no PMD uses the previous one. 0 or -ENOMEM. */
int sw_dp_publish(struct sw *sw);
void sw_dp_free(struct sw *sw);

/* pmd.c: PMD lcore entry point (arg: struct sw_pmd *). */
int sw_pmd_main(void *arg);

/* Sums of all PMDs' counters for a port / network (control thread). */
void sw_port_counters(const struct sw *sw, uint16_t port, struct sw_port_totals *out);
void sw_net_counters(const struct sw *sw, uint16_t net, struct sw_net_totals *out);

#endif
