/* The devargs a ring, null or pcap port may pass to its DPDK driver: only
 * the keys and ranges each type supports reach DPDK, so a request (or a
 * saved configuration) cannot crash the switch through a driver (a null
 * device asked for frames larger than a packet buffer), make a driver create
 * devices behind the switch's back (net_ring's nodeaction), or open one of
 * the machine's real interfaces (net_pcap's iface).
 *
 * Pure; the control thread and unit tests. */
#ifndef VLAB_DEVARGS_H
#define VLAB_DEVARGS_H

#include <stddef.h>

#define DEVARGS_NULL_SIZE_MAX 2048 /* bytes of a packet buffer's data room */

/* Checks `devargs` ("key=value,key=value") for a port of API type `type`
 * ("ring", "null" or "pcap"). 0, or -EINVAL with a message naming the key
 * and what is allowed in `msg`. */
int devargs_check(const char *type, const char *devargs, char *msg, size_t len);

#endif
