/* Address parsing and prefix arithmetic; see addr.h. Pure. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int addr_parse(const char *s, struct addr_cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		out->plen = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		out->plen = 128;
		return 0;
	}
	return -EINVAL;
}

int addr_parse_cidr(const char *s, struct addr_cidr *out)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash, *p;
	unsigned int plen = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	slash = strchr(s, '/');
	if (slash == NULL)
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (addr_parse(buf, out) < 0)
		return -EINVAL;
	p = slash + 1;
	if (*p == '\0' || strlen(p) > 3)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		plen = plen * 10 + (unsigned int)(*p - '0');
	}
	if (plen > out->plen)
		return -EINVAL;
	out->plen = plen;
	return 0;
}

int addr_parse_any(const char *s, struct addr_cidr *out)
{
	if (s != NULL && strchr(s, '/'))
		return addr_parse_cidr(s, out);
	return addr_parse(s, out);
}

/* True when the first `bits` bits of a and b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

bool addr_contains(const struct addr_cidr *net, const struct addr_cidr *a)
{
	return net->family == a->family && prefix_equal(net->addr, a->addr, net->plen);
}

bool addr_is_network(const struct addr_cidr *c)
{
	unsigned int bits = (unsigned int)addr_len(c->family) * 8;

	for (unsigned int i = c->plen; i < bits; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

bool addr_equal(const struct addr_cidr *a, const struct addr_cidr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, (size_t)addr_len(a->family)) == 0;
}

uint32_t addr_v4(const struct addr_cidr *a)
{
	if (a->family != AF_INET)
		return 0;
	return ((uint32_t)a->addr[0] << 24) | ((uint32_t)a->addr[1] << 16) |
	       ((uint32_t)a->addr[2] << 8) | a->addr[3];
}

void addr_format(const struct addr_cidr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family, a->addr, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
}
