/* Switch-wide state of vlab-switchd: the control thread's view of networks and
 * ports, the datapath snapshot published to PMD lcores, and per-PMD counters.
 *
 * Threads: `struct sw` is owned by the control thread (main lcore). PMD lcores
 * read only `sw->dp` (through RCU), the FDB, `sw->now` and their own
 * `struct sw_pmd`. DPDK's vhost thread never touches any of it. */
#ifndef VLAB_SW_H
#define VLAB_SW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "drop.h"
#include "fdb.h"

struct sw;

#define SW_MAX_PORTS FDB_MAX_PORTS
#define SW_MAX_NETS  FDB_MAX_NETS
#define SW_MAX_PMDS  16
#define SW_NAME_MAX  32 /* including the NUL */
#define SW_BURST     32
#define SW_NO_NET    0xffff

enum sw_port_type {
	SW_PORT_VHOST,
	SW_PORT_TAP,
	SW_PORT_AF_PACKET,
	SW_PORT_RING,
	SW_PORT_NULL,
	SW_PORT_PCAP,
	SW_PORT_TYPE_MAX
};

/* Counters of one port kept by one PMD (single writer, read by control). */
struct sw_port_ctr {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[SW_DROP_MAX];
};

/* Counters of one network kept by one PMD. */
struct sw_net_ctr {
	uint64_t learned; /* new or moved FDB entries */
	uint64_t flooded; /* frames flooded */
};

/* Packets waiting to go out of one port from one PMD. */
struct sw_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[SW_BURST];
};

/* One PMD lcore: its identity, counters and TX buffers. */
struct sw_pmd {
	struct sw *sw;
	unsigned int lcore;
	unsigned int idx; /* RCU thread id and position in sw->pmd */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t packets; /* received */
	struct sw_port_ctr port[SW_MAX_PORTS];
	struct sw_net_ctr net[SW_MAX_NETS];
	struct sw_txbuf tx[SW_MAX_PORTS];
	uint16_t dirty[SW_MAX_PORTS]; /* ports with a non-empty TX buffer */
	uint16_t n_dirty;
	/* last source MAC learned per receiving port and the second it was: the
	 * same source again within that second needs no FDB write */
	struct {
		uint64_t src;
		uint32_t now;
		uint32_t gen;
	} learnt[SW_MAX_PORTS];
	/* last unicast decision per receiving port: the same destination from
	 * the same (already learned) source goes to the same port while no FDB
	 * entry was removed or moved (fdb_generation() unchanged) */
	struct {
		uint64_t dst;
		uint32_t gen;
		uint16_t out;
	} last[SW_MAX_PORTS];
} __rte_cache_aligned;

/* What a PMD needs to send on a port. */
struct sw_dp_port {
	uint16_t eth_port;      /* DPDK port id */
	uint16_t n_txq;         /* PMD i uses queue i % n_txq */
	rte_spinlock_t *txlock; /* per queue locks when queues are shared, else NULL */
};

/* Datapath snapshot: immutable once published; replaced as a whole through RCU. */
struct sw_dp {
	uint16_t port_net[SW_MAX_PORTS]; /* network of each port, SW_NO_NET if none */
	struct sw_dp_port port[SW_MAX_PORTS];
	uint16_t n_rx[SW_MAX_PMDS];              /* ports each PMD polls */
	uint16_t rx[SW_MAX_PMDS][SW_MAX_PORTS];
	struct {
		uint16_t off, n;
	} net_members[SW_MAX_NETS]; /* slice of members[] per network */
	uint16_t members[SW_MAX_PORTS];
};

/* Control thread's record of a network. */
struct sw_net {
	bool used;
	char name[SW_NAME_MAX];
	uint32_t vni;
	struct sw_net_ctr base; /* counters at the last clear */
};

/* Control thread's record of a port. */
struct sw_port {
	bool used;
	char name[SW_NAME_MAX];
	enum sw_port_type type;
	uint16_t net;
	bool server;       /* vhost-user: the switch owns the socket */
	char path[108];    /* vhost-user socket */
	char iface[16];    /* tap / af-packet kernel interface */
	char devargs[256]; /* ring / null / pcap extra devargs */
	uint32_t mac_limit;
	char devname[64]; /* DPDK vdev name */
	uint16_t eth_port;
	uint16_t n_txq;
	struct sw_port_ctr base; /* counters at the last clear or at creation */
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
	struct sw_pmd *pmd[SW_MAX_PMDS];
	struct sw_net net[SW_MAX_NETS];
	struct sw_port port[SW_MAX_PORTS];
	rte_spinlock_t txlock[SW_MAX_PORTS][SW_MAX_PMDS];
	bool restoring; /* loading the state file: do not rewrite it */
	void *unrestored; /* json_t array: saved ports that could not be re-created */
};

/* Names of port types as used by the API ("vhost-user", ...). */
const char *sw_port_type_name(enum sw_port_type t);
int sw_port_type_parse(const char *s, enum sw_port_type *t);

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
void sw_port_counters(const struct sw *sw, uint16_t port, struct sw_port_ctr *out);
void sw_net_counters(const struct sw *sw, uint16_t net, struct sw_net_ctr *out);

#endif
