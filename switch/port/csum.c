/* Checksum completion; see csum.h. Pure, runs on PMD lcores. */
#include "csum.h"

#include <errno.h>

#include "pkt.h"

uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t s = sum;

	while (len >= 2) {
		s += (uint32_t)((p[0] << 8) | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)(p[0] << 8);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int csum_complete(uint8_t *f, uint32_t len)
{
	struct pkt_meta m;
	uint32_t l4_len, sum, ck_off;
	uint16_t ck;

	pkt_parse(f, len, &m);
	if (!(m.flags & PKT_F_L4) || (m.flags & PKT_F_FRAG) ||
	    (m.proto != PKT_IP_TCP && m.proto != PKT_IP_UDP))
		return -EINVAL;
	if (m.flags & PKT_F_IPV4) {
		uint32_t tot = pkt_be16(f + m.l3_off + 2);

		if (m.l3_off + tot > len || m.l3_off + tot < m.l4_off)
			return -EINVAL;
		l4_len = m.l3_off + tot - m.l4_off;
		sum = csum_add(0, f + m.l3_off + 12, 8); /* source and destination */
	} else {
		uint32_t end = m.l3_off + 40u + pkt_be16(f + m.l3_off + 4);

		if (end > len || end < m.l4_off)
			return -EINVAL;
		l4_len = end - m.l4_off;
		sum = csum_add(0, f + m.l3_off + 8, 32);
	}
	ck_off = m.l4_off + (m.proto == PKT_IP_TCP ? 16u : 6u);
	if ((m.proto == PKT_IP_TCP && l4_len < 20) || (m.proto == PKT_IP_UDP && l4_len < 8))
		return -EINVAL;
	sum += m.proto + l4_len;
	f[ck_off] = 0;
	f[ck_off + 1] = 0;
	sum = csum_add(sum, f + m.l4_off, l4_len);
	ck = csum_fold(sum);
	if (ck == 0 && m.proto == PKT_IP_UDP)
		ck = 0xffff; /* 0 means "no checksum" for UDP */
	f[ck_off] = (uint8_t)(ck >> 8);
	f[ck_off + 1] = (uint8_t)ck;
	return 0;
}
