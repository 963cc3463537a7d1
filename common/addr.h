/* IPv4 and IPv6 addresses with prefix lengths: the one parser of vlab, used
 * by topology files, reachability, guest configuration and namespace hosts.
 *
 * Pure; any thread. */
#ifndef VLAB_ADDR_H
#define VLAB_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address with a prefix length. */
struct addr_cidr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; 4 bytes used for AF_INET */
	unsigned int plen; /* prefix length, 0..32 or 0..128 */
};

/* Parses "10.0.0.1/24" or "2001:db8::1/64" (the prefix is required).
 * 0 or -EINVAL. */
int addr_parse_cidr(const char *s, struct addr_cidr *out);
/* Parses a plain address "10.0.0.1" or "fe80::1" (plen = 32 or 128).
 * 0 or -EINVAL. */
int addr_parse(const char *s, struct addr_cidr *out);
/* Either form: a plain address gets the full prefix. */
int addr_parse_any(const char *s, struct addr_cidr *out);

/* Bytes of an address of `family` (4 or 16). */
int addr_len(int family);
/* True when `a` lies in the subnet of `net` (same family, first net->plen
 * bits equal). */
bool addr_contains(const struct addr_cidr *net, const struct addr_cidr *a);
/* True when the bits of c->addr beyond c->plen are zero (a network). */
bool addr_is_network(const struct addr_cidr *c);
/* True when a and b are the same address (prefix lengths ignored). */
bool addr_equal(const struct addr_cidr *a, const struct addr_cidr *b);
/* IPv4: the address as a host-order integer (0 for IPv6). */
uint32_t addr_v4(const struct addr_cidr *a);
/* The address without its prefix, canonical ("10.0.0.1", "2001:db8::1"). */
void addr_format(const struct addr_cidr *a, char *buf, size_t len);

#endif
