/* Reading the switch's capture stream (api/capture.h) on the client side:
 * records are parsed as bytes arrive, in any pieces; the ports they name are
 * kept; packets wait in a heap ordered by time, so that the streams of
 * several PMD threads, and of several ports, come out merged in time order.
 *
 * Pure: bytes in, ports and packets out. The CLI's main thread. */
#ifndef VLAB_CAPSTREAM_H
#define VLAB_CAPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

#define CAPSTREAM_MAX_PORTS 65536 /* port indexes are 16 bits */

struct capstream_port {
	bool known;
	uint32_t vni;
	char name[32]; /* switch port name */
	char net[32];  /* switch network name */
	int iface;     /* the caller's id for it (a pcapng interface), -1 until set */
};

struct capstream_pkt {
	uint64_t ts_ns;
	uint64_t seq; /* arrival order, for equal times */
	uint16_t port;
	uint8_t dir; /* enum cap_dir */
	uint32_t caplen, origlen;
	uint8_t data[];
};

struct capstream {
	uint8_t *buf; /* bytes not parsed yet */
	size_t len, cap;
	struct capstream_port *port; /* [CAPSTREAM_MAX_PORTS] */
	struct capstream_pkt **heap; /* min-heap by (ts_ns, seq) */
	size_t n_heap, heap_cap;
	uint64_t seq;
	uint64_t newest_ns; /* latest packet time seen */
	bool ended;         /* the end record arrived */
	struct cap_rec_end end;
};

/* 0 or -ENOMEM. */
int capstream_init(struct capstream *cs);
void capstream_free(struct capstream *cs);

/* Parses the complete records of what has arrived so far. 0, -EPROTO when
 * the bytes are not a capture stream (a bad magic, a record after the end,
 * a port record that does not add up), or -ENOMEM. */
int capstream_feed(struct capstream *cs, const void *data, size_t n);

/* The earliest waiting packet if its time is at most `upto_ns` (UINT64_MAX:
 * any), else NULL; the caller frees it with free(). */
struct capstream_pkt *capstream_pop(struct capstream *cs, uint64_t upto_ns);

/* True when bytes of an incomplete record are left (a stream cut short). */
bool capstream_partial(const struct capstream *cs);

#endif
