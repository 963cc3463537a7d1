/* Guest configuration for the built-in image: renders a node's hostname,
 * NICs (by MAC), addresses, MTUs, routes and IP forwarding into the `vlab.*`
 * kernel command-line keys that the image's /init (vmhost/guest/init) reads.
 *
 * Pure: no I/O, no allocation, no globals; callable from any thread. The
 * format is described in docs/guest-images.md:
 *
 *   vlab.host=NAME
 *   vlab.nic=MAC,IFNAME,MTU[,ADDR/PLEN...]   one per NIC, MTU 0 = default
 *   vlab.route=DST,VIA                       one per route, DST CIDR or "default"
 *   vlab.fwd=0|1                             IPv4 and IPv6 forwarding
 */
#ifndef VLAB_GCFG_H
#define VLAB_GCFG_H

#include <stddef.h>

#include "node.h"

/* The x86 kernel accepts 2048 bytes of command line; keep room for
 * "console=ttyS0 quiet" and the user's own node.append. */
#define GCFG_CMDLINE_MAX 1536

/* Checks everything gcfg_cmdline() would render: node name, each NIC's MAC
 * (unicast, not zero, unique), interface name (1..15 chars [A-Za-z0-9_.-],
 * unique), MTU (0 or 68..65535), addresses (CIDR, IPv4 or IPv6), routes
 * (destination CIDR with no host bits or "default", next hop an address of
 * the same family). Returns 0 or -EINVAL; on error writes a message naming
 * the object into err (if errlen > 0), e.g. "nic eth0: bad address '10.1/33'". */
int gcfg_validate(const struct node *n, char *err, size_t errlen);

/* Renders the vlab.* keys of node n into buf: space-separated, no leading or
 * trailing space, addresses in canonical form (inet_ntop), MACs lower case.
 * Only the guest configuration: the caller adds console=..., quiet and
 * n->append. Returns 0, -EINVAL for invalid data (see gcfg_validate) or
 * -ENOSPC when the result (with its NUL) does not fit in len bytes or
 * exceeds GCFG_CMDLINE_MAX. On error buf holds "" (if len > 0). */
int gcfg_cmdline(const struct node *n, char *buf, size_t len);

#endif
