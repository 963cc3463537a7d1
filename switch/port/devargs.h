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

#include <stdbool.h>
#include <stddef.h>

#define DEVARGS_NULL_SIZE_MAX 2048 /* bytes of a packet buffer's data room */

/* Checks `devargs` ("key=value,key=value") for a port of API type `type`
 * ("ring", "null" or "pcap"). 0, or -EINVAL with a message naming the key
 * and what is allowed in `msg`. */
int devargs_check(const char *type, const char *devargs, char *msg, size_t len);

/* Copies the value of `key` in checked `devargs` into `out` (`len` bytes);
 * true when the key is there and its value fits. */
bool devargs_value(const char *devargs, const char *key, char *out, size_t len);

/* The problem with the first bytes `head` (`n` of them) of a file as a pcap
 * capture file ("is not a pcap file", "is too short..."), or NULL when they
 * start one: classic pcap in either byte order, with micro- or nanosecond
 * times. */
const char *devargs_pcap_head_problem(const unsigned char *head, size_t n);

#endif
