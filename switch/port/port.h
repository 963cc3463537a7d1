/* The port layer: one interface for every kind of port, so the PMD loop does
 * not care what a port is. A backend (vhost.c, afpacket.c, tap.c, ethdev.c)
 * opens and closes its device on the control thread, describes it to the
 * datapath (fill: receive and send functions, queues, handle) for every
 * snapshot, and reports link state and device-level drops.
 *
 * Threads: every op except the rx/tx functions it installs runs on the
 * control thread. A backend's device thread (DPDK's vhost thread) only posts
 * requests with ctl_post(); the control thread then republishes the snapshot. */
#ifndef VLAB_PORT_H
#define VLAB_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "wire.h"
#include "sw.h"

struct port_ops {
	const char *type;       /* API name, e.g. "vhost-user" */
	const char *limit_why;  /* what sets the type's limit in the schema, for the error */
	/* Opens the device for sw->port[slot] (conf and net already set): sets
	 * sp->dev. 0, or a negative errno with `err` filled in. */
	int (*open)(struct sw *sw, uint16_t slot, struct api_err *err);
	/* Closes the device; the port is already out of the snapshot and no PMD
	 * uses it any more. */
	void (*close)(struct sw *sw, uint16_t slot);
	/* Describes the device to the datapath: rx, tx, dev, handle, rxq_mask,
	 * n_txq, txq[], txlock (net and features are set by the caller). */
	void (*fill)(const struct sw *sw, const struct sw_port *sp, struct dp_port *dpp);
	/* "connected", "waiting" (for a peer) or "down". */
	const char *(*link)(const struct sw_port *sp);
	/* Adds device-level drops (kernel or driver counters) to drops[]. */
	void (*dev_drops)(struct sw_port *sp, uint64_t *drops);
	/* Optional: adds type-specific fields to a port.list entry. */
	void (*status)(const struct sw_port *sp, json_t *o);
};

extern const struct port_ops port_vhost_ops;
extern const struct port_ops port_afpacket_ops;
extern const struct port_ops port_tap_ops;
extern const struct port_ops port_ring_ops;
extern const struct port_ops port_null_ops;
extern const struct port_ops port_pcap_ops;

/* The backend of an API type name, or NULL. */
const struct port_ops *port_ops_find(const char *type);

/* Sets dpp->txq[] and dpp->txlock for `n_queues` send queues (queue ids
 * queues[0..n_queues)), spreading the switch's PMDs over them; `locks` has
 * one lock per queue id and is used when two PMDs share a queue. */
void port_assign_txq(const struct sw *sw, struct dp_port *dpp, uint16_t n_queues,
		     const uint16_t *queues, rte_spinlock_t *locks);

/* port.c: a port's configuration as port.add takes it; removal of a port;
 * a snapshot republish after a device event (logs on failure). */
json_t *sw_port_config(const struct sw *sw, const struct sw_port *sp);
int sw_port_remove(struct sw *sw, int idx);
void port_changed(struct sw *sw, uint16_t slot);

/* True when a saved port that could not be restored at start belongs to
 * network `net` (its name in *name). */
bool sw_port_unrestored_in(const struct sw *sw, uint16_t net, const char **name);

/* Closes every port (shutdown). */
void port_close_all(struct sw *sw);

#endif
