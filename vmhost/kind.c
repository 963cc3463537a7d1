/* The table of node kinds; see kind.h. Each kind's operations are in its
 * own file (kind_vm.c, kind_host.c).
 *
 * Threads: any; constant data. */
#include "kind.h"

#include <stdio.h>
#include <string.h>

extern const struct kind_ops kind_vm;	/* kind_vm.c */
extern const struct kind_ops kind_host; /* kind_host.c */

/* Indexed by enum node_kind; the order of messages and listings. */
static const struct kind_ops *const kinds[] = {
    [NODE_VM] = &kind_vm,
    [NODE_HOST] = &kind_host,
};

#define N_KINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

const struct kind_ops *kind_of(enum node_kind k)
{
	return (int)k >= 0 && (int)k < N_KINDS ? kinds[k] : NULL;
}

const struct kind_ops *kind_at(int i, enum node_kind *k)
{
	if (i < 0 || i >= N_KINDS)
		return NULL;
	if (k)
		*k = (enum node_kind)i;
	return kinds[i];
}

const struct kind_ops *kind_find(const char *name, enum node_kind *k)
{
	for (int i = 0; name && i < N_KINDS; i++)
		if (!strcmp(kinds[i]->name, name)) {
			if (k)
				*k = (enum node_kind)i;
			return kinds[i];
		}
	return NULL;
}

const char *kind_name(enum node_kind k)
{
	const struct kind_ops *o = kind_of(k);

	return o ? o->name : "?";
}

const char *kind_list(char *buf, size_t len, const char *quote, bool explain, unsigned int features)
{
	const struct kind_ops *list[N_KINDS];
	size_t off = 0;
	int n = 0;

	for (int i = 0; i < N_KINDS; i++)
		if ((kinds[i]->features & features) == features)
			list[n++] = kinds[i];
	if (len)
		buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
		int w;

		if (explain)
			w = snprintf(buf + off, len - off, "%s%s%s%s (%s)", sep, quote,
				     list[i]->name, quote, list[i]->what);
		else
			w = snprintf(buf + off, len - off, "%s%s%s%s", sep, quote, list[i]->name,
				     quote);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

uint32_t kind_hash(const char *lab, const char *node, int index)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	char buf[160];

	snprintf(buf, sizeof(buf), "%s/%s/%d", lab, node, index);
	for (const char *p = buf; *p; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	return h;
}
