/* The replies of a policy's `reject`: to a TCP segment a RST (as a closed
 * port answers), to anything else over IPv4 an ICMP "communication
 * administratively prohibited" (type 3 code 13), over IPv6 an ICMPv6
 * "administratively prohibited" (type 1 code 1) quoting the start of the
 * frame. Addressed back to the sender: MACs, addresses and ports swapped,
 * the VLAN tag kept. No reply to a RST, to an ICMP error, to a frame sent
 * to a multicast or broadcast MAC, or to a non-first fragment.
 *
 * Pure: builds the reply's bytes (a header builder); runs on PMD lcores and
 * in unit tests. */
#ifndef VLAB_POLICY_REJECT_H
#define VLAB_POLICY_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define POL_REJECT_MAX 14 + 4 + 40 + 8 + 40 + 8 + 64 /* the longest reply built */

/* Writes the reply to frame `p` (parsed into `m`, L3/L4 fields valid) into
 * out[0..cap); returns its length, or 0 when there is none to send. */
size_t pol_reject_build(const uint8_t *p, const struct pkt_meta *m, uint8_t *out, size_t cap);

/* The Internet checksum of b[0..n) added to `sum` (folded by the caller). */
uint32_t pol_csum_add(uint32_t sum, const uint8_t *b, size_t n);
uint16_t pol_csum_fold(uint32_t sum);

#endif
