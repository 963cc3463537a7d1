/* The switch API requests of vlab's lab controller and `vlab vm`: built in
 * one place, so a unit test can check every one of them against the schema
 * the switch validates with (tests/unit/test_vlab_swreq.c).
 *
 * Pure; any thread. */
#ifndef VLAB_SWREQ_H
#define VLAB_SWREQ_H

#include <stdint.h>

#include <jansson.h>

#include "kind.h"

/* network.add of switch network `name` (e.g. "lab.red") with `vni`. */
json_t *swreq_network_add(const char *name, uint32_t vni);

/* port.add of port `name` in switch network `net`, as node kind's `kp` says
 * (type and its one parameter: a vhost-user path, an interface). */
json_t *swreq_port_add(const char *name, const char *net, const struct kind_port *kp);

/* network.record: the switch keeps the last `packets` frames (0: off). */
json_t *swreq_network_record(const char *name, uint32_t packets);

/* The params of methods that take a name only (port.del, network.del). */
json_t *swreq_name(const char *name);

#endif
