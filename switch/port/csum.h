/* Checksum completion for frames the kernel hands over with a partial
 * checksum (AF_PACKET's TP_STATUS_CSUMNOTREADY: the sender's checksum
 * offload left only the pseudo-header sum in the TCP/UDP checksum field).
 * What reaches a guest or another host must carry a valid checksum, so the
 * switch computes it in full.
 *
 * Pure: a frame's bytes in, the same bytes with the L4 checksum set. Runs on
 * PMD lcores (per such frame) and in unit tests. */
#ifndef VLAB_CSUM_H
#define VLAB_CSUM_H

#include <stdint.h>

/* Internet checksum helpers: ones' complement sum of `len` bytes (a running
 * 32-bit sum), and its folded complement. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len);
uint16_t csum_fold(uint32_t sum);

/* Computes and stores the TCP or UDP checksum of the Ethernet frame `f` of
 * `len` bytes (IPv4 or IPv6, with or without one VLAN tag; IPv6 extension
 * headers are followed). Returns 0, or -EINVAL when the frame is not TCP/UDP
 * over IP or is truncated or fragmented (left as it is). */
int csum_complete(uint8_t *f, uint32_t len);

#endif
