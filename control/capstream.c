/* The client side of the capture stream; see capstream.h. Pure; the CLI's
 * main thread. */
#include "capstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int capstream_init(struct capstream *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->port = calloc(CAPSTREAM_MAX_PORTS, sizeof(*cs->port));
	if (cs->port == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < CAPSTREAM_MAX_PORTS; i++)
		cs->port[i].iface = -1;
	return 0;
}

void capstream_free(struct capstream *cs)
{
	for (size_t i = 0; i < cs->n_heap; i++)
		free(cs->heap[i]);
	free(cs->heap);
	free(cs->buf);
	free(cs->port);
	memset(cs, 0, sizeof(*cs));
}

static bool before(const struct capstream_pkt *a, const struct capstream_pkt *b)
{
	return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns && a->seq < b->seq);
}

static int heap_push(struct capstream *cs, struct capstream_pkt *p)
{
	size_t i;

	if (cs->n_heap == cs->heap_cap) {
		size_t nc = cs->heap_cap ? cs->heap_cap * 2 : 256;
		struct capstream_pkt **h = realloc(cs->heap, nc * sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		cs->heap = h;
		cs->heap_cap = nc;
	}
	i = cs->n_heap++;
	while (i > 0 && before(p, cs->heap[(i - 1) / 2])) {
		cs->heap[i] = cs->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	cs->heap[i] = p;
	return 0;
}

struct capstream_pkt *capstream_pop(struct capstream *cs, uint64_t upto_ns)
{
	struct capstream_pkt *top, *last;
	size_t i = 0;

	if (cs->n_heap == 0 || cs->heap[0]->ts_ns > upto_ns)
		return NULL;
	top = cs->heap[0];
	last = cs->heap[--cs->n_heap];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= cs->n_heap)
			break;
		if (c + 1 < cs->n_heap && before(cs->heap[c + 1], cs->heap[c]))
			c++;
		if (!before(cs->heap[c], last))
			break;
		cs->heap[i] = cs->heap[c];
		i = c;
	}
	if (cs->n_heap > 0)
		cs->heap[i] = last;
	return top;
}

/* One complete record at r (header and `len` bytes). */
static int record(struct capstream *cs, const struct cap_rec *h, const uint8_t *body)
{
	switch (h->type) {
	case CAP_REC_PORT: {
		struct cap_rec_port rp;
		struct capstream_port *p = &cs->port[h->port];

		if (h->len < sizeof(rp))
			return -EPROTO;
		memcpy(&rp, body, sizeof(rp));
		if ((size_t)rp.name_len + rp.net_len + sizeof(rp) != h->len ||
		    rp.name_len >= sizeof(p->name) || rp.net_len >= sizeof(p->net))
			return -EPROTO;
		if (p->known && (p->vni != rp.vni || rp.name_len != strlen(p->name) ||
				 memcmp(p->name, body + sizeof(rp), rp.name_len)))
			p->iface = -1; /* another port in that slot now: an interface of its own */
		p->known = true;
		p->vni = rp.vni;
		memcpy(p->name, body + sizeof(rp), rp.name_len);
		p->name[rp.name_len] = '\0';
		memcpy(p->net, body + sizeof(rp) + rp.name_len, rp.net_len);
		p->net[rp.net_len] = '\0';
		return 0;
	}
	case CAP_REC_PACKET: {
		struct capstream_pkt *p = malloc(sizeof(*p) + h->len);
		int rc;

		if (p == NULL)
			return -ENOMEM;
		p->ts_ns = h->ts_ns;
		p->seq = cs->seq++;
		p->port = h->port;
		p->dir = h->dir;
		p->caplen = h->len;
		p->origlen = h->orig_len < h->len ? h->len : h->orig_len;
		memcpy(p->data, body, h->len);
		rc = heap_push(cs, p);
		if (rc < 0) {
			free(p);
			return rc;
		}
		if (h->ts_ns > cs->newest_ns)
			cs->newest_ns = h->ts_ns;
		return 0;
	}
	case CAP_REC_END:
		if (h->len < sizeof(cs->end))
			return -EPROTO;
		memcpy(&cs->end, body, sizeof(cs->end));
		cs->ended = true;
		return 0;
	}
	return 0; /* a record type of a later switch: skipped */
}

int capstream_feed(struct capstream *cs, const void *data, size_t n)
{
	size_t off = 0;
	int rc = 0;

	if (n > 0) {
		if (cs->len + n > cs->cap) {
			size_t nc = cs->cap ? cs->cap : 65536;
			uint8_t *b;

			while (nc < cs->len + n)
				nc *= 2;
			b = realloc(cs->buf, nc);
			if (b == NULL)
				return -ENOMEM;
			cs->buf = b;
			cs->cap = nc;
		}
		memcpy(cs->buf + cs->len, data, n);
		cs->len += n;
	}
	while (cs->len - off >= sizeof(struct cap_rec)) {
		struct cap_rec h;

		memcpy(&h, cs->buf + off, sizeof(h));
		if (h.magic != CAP_MAGIC || cs->ended || h.len > (1u << 24)) {
			rc = -EPROTO;
			break;
		}
		if (cs->len - off - sizeof(h) < h.len)
			break; /* the rest has not arrived yet */
		rc = record(cs, &h, cs->buf + off + sizeof(h));
		if (rc < 0)
			break;
		off += sizeof(h) + h.len;
	}
	memmove(cs->buf, cs->buf + off, cs->len - off);
	cs->len -= off;
	return rc;
}

bool capstream_partial(const struct capstream *cs)
{
	return cs->len > 0;
}
