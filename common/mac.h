/* MAC addresses: the one parser and formatter of vlab (switch, CLI,
 * controller and vmhost alike).
 *
 * Pure; any thread. */
#ifndef VLAB_MAC_H
#define VLAB_MAC_H

#include <stdbool.h>
#include <stdint.h>

#define MAC_STR_LEN 18 /* "aa:bb:cc:dd:ee:ff" and its NUL */

/* Parses "aa:bb:cc:dd:ee:ff" (hex digits in either case, exactly two per
 * octet, colons between). 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);
/* Formats in lower case into buf (MAC_STR_LEN bytes). */
void mac_format(const uint8_t mac[6], char *buf);

/* As a 48-bit integer, first octet most significant (the FDB's form). */
static inline uint64_t mac_to_u64(const uint8_t m[6])
{
	return ((uint64_t)m[0] << 40) | ((uint64_t)m[1] << 32) | ((uint64_t)m[2] << 24) |
	       ((uint64_t)m[3] << 16) | ((uint64_t)m[4] << 8) | (uint64_t)m[5];
}

static inline void mac_from_u64(uint64_t v, uint8_t m[6])
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		m[i] = (uint8_t)v;
}

static inline bool mac_is_multicast(const uint8_t m[6])
{
	return m[0] & 1;
}

static inline bool mac_is_zero(const uint8_t m[6])
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

#endif
