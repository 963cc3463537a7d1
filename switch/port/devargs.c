/* Devargs checks of the ethdev port types; see devargs.h. Pure. */
#include "devargs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_BOOL, K_SIZE, K_PATH };

struct rule {
	const char *type;
	const char *key;
	enum kind kind;
};

static const struct rule rules[] = {
	{"null", "size", K_SIZE},
	{"null", "copy", K_BOOL},
	{"null", "no-rx", K_BOOL},
	{"pcap", "rx_pcap", K_PATH},
	{"pcap", "tx_pcap", K_PATH},
	{"pcap", "infinite_rx", K_BOOL},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

static int bad(char *msg, size_t len, const char *fmt, const char *a, const char *b)
{
	snprintf(msg, len, fmt, a, b);
	return -EINVAL;
}

/* The keys a type takes, "a, b, c", for messages. */
static void keys_of(const char *type, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_RULES && off < len; i++)
		if (!strcmp(rules[i].type, type))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
						rules[i].key);
}

static int check_value(const struct rule *r, const char *v, char *msg, size_t len)
{
	char *end;
	unsigned long n;

	switch (r->kind) {
	case K_BOOL:
		if (strcmp(v, "0") && strcmp(v, "1"))
			return bad(msg, len, "devargs %s: must be 0 or 1, not \"%.16s\"", r->key, v);
		return 0;
	case K_SIZE:
		n = strtoul(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end || n < 1 || n > DEVARGS_NULL_SIZE_MAX) {
			char max[16];

			snprintf(max, sizeof(max), "%d", DEVARGS_NULL_SIZE_MAX);
			return bad(msg, len, "devargs %s: must be 1 to %s bytes (a packet buffer)",
				   r->key, max);
		}
		return 0;
	case K_PATH:
		if (v[0] == '\0')
			return bad(msg, len, "devargs %s: needs a file path%s", r->key, "");
		return 0;
	}
	return -EINVAL;
}

int devargs_check(const char *type, const char *devargs, char *msg, size_t len)
{
	char buf[512], keys[96], *save = NULL;
	bool rx = false, tx = false, inf = false;

	if (devargs == NULL || devargs[0] == '\0')
		return strcmp(type, "pcap") ? 0
					    : bad(msg, len, "pcap ports need devargs: %s%s",
						  "rx_pcap=FILE and/or tx_pcap=FILE", "");
	if (!strcmp(type, "ring"))
		return bad(msg, len, "ring ports take no devargs (got \"%.32s\")%s", devargs, "");
	if (strlen(devargs) >= sizeof(buf))
		return bad(msg, len, "devargs longer than %s bytes%s", "511", "");
	snprintf(buf, sizeof(buf), "%s", devargs);
	keys_of(type, keys, sizeof(keys));
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		const struct rule *r = NULL;

		if (eq == NULL)
			return bad(msg, len, "devargs \"%.32s\": want key=value (%s)", kv, keys);
		*eq = '\0';
		for (size_t i = 0; i < N_RULES; i++)
			if (!strcmp(rules[i].type, type) && !strcmp(rules[i].key, kv))
				r = &rules[i];
		if (r == NULL) {
			char t[16];

			snprintf(t, sizeof(t), "%s", type);
			snprintf(msg, len, "devargs key \"%.32s\" is not one a %s port takes (%s)", kv,
				 t, keys);
			return -EINVAL;
		}
		if (check_value(r, eq + 1, msg, len) < 0)
			return -EINVAL;
		rx |= !strcmp(kv, "rx_pcap");
		tx |= !strcmp(kv, "tx_pcap");
		inf |= !strcmp(kv, "infinite_rx") && !strcmp(eq + 1, "1");
	}
	if (!strcmp(type, "pcap") && !rx && !tx)
		return bad(msg, len, "pcap ports need %s%s", "rx_pcap=FILE and/or tx_pcap=FILE", "");
	if (inf && !rx)
		return bad(msg, len, "devargs infinite_rx=1 needs rx_pcap=FILE%s%s", "", "");
	return 0;
}

bool devargs_value(const char *devargs, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);

	for (const char *kv = devargs; kv && *kv; kv = strchr(kv, ',') ? strchr(kv, ',') + 1 : NULL) {
		const char *end = strchr(kv, ',');
		size_t vlen;

		if (strncmp(kv, key, klen) != 0 || kv[klen] != '=')
			continue;
		vlen = (end ? (size_t)(end - kv) : strlen(kv)) - klen - 1;
		if (vlen >= len)
			return false;
		memcpy(out, kv + klen + 1, vlen);
		out[vlen] = '\0';
		return true;
	}
	return false;
}

const char *devargs_pcap_head_problem(const unsigned char *head, size_t n)
{
	static const unsigned char magic[][4] = {
		{0xd4, 0xc3, 0xb2, 0xa1}, /* microseconds, little endian */
		{0xa1, 0xb2, 0xc3, 0xd4}, /* microseconds, big endian */
		{0x4d, 0x3c, 0xb2, 0xa1}, /* nanoseconds, little endian */
		{0xa1, 0xb2, 0x3c, 0x4d}, /* nanoseconds, big endian */
	};

	if (n < 24) /* the global header */
		return "is not a pcap file (shorter than a pcap header)";
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (memcmp(head, magic[i], 4) == 0)
			return NULL;
	if (memcmp(head, "\x0a\x0d\x0d\x0a", 4) == 0)
		return "is a pcapng file; the pcap port reads classic pcap (convert it with "
		       "editcap -F pcap)";
	return "is not a pcap file";
}
