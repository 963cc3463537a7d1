/* Capture files and lines: the writers `vlab capture` uses for what it
 * reads from the switch's capture stream (api/capture.h).
 *
 *   pcapng  a section header, one interface block per port (if_name: the
 *           node interface, e.g. "a1:eth0"; if_description: lab, network,
 *           VNI; if_tsresol: nanoseconds; the snap length), enhanced packet
 *           blocks with the direction in epb_flags (inbound: the frame
 *           entered the switch from the port; outbound: the switch sent it
 *           there);
 *   pcap    classic libpcap format with nanosecond timestamps
 *           (magic 0xa1b23c4d), link type Ethernet;
 *   line    one readable line per packet for a terminal, as tcpdump prints:
 *           time, interface, direction, addresses, protocol, length.
 *
 * Pure: bytes to a FILE (or a buffer); no sockets. The CLI's main thread. */
#ifndef VLAB_CAPFILE_H
#define VLAB_CAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum capfile_format {
	CAPFILE_PCAPNG,
	CAPFILE_PCAP,
};

struct capfile {
	FILE *f;
	enum capfile_format format;
	uint32_t snaplen;
	uint32_t n_ifaces; /* interface blocks written (pcapng) */
};

/* Starts a file on f: the section header (pcapng) or the global header
 * (pcap). A snap length of 0, or above 262144 (libpcap's largest), is
 * 262144. 0 or -errno (-EINVAL for a NULL c or f or an unknown format; -EIO
 * when f fails; -EPIPE when its reader is gone). */
int capfile_open(struct capfile *c, FILE *f, enum capfile_format format, uint32_t snaplen);

/* pcapng: writes an interface block and returns its id (0, 1, ...); pcap:
 * writes nothing and returns 0. `description` may be NULL. -errno on
 * failure. */
int capfile_iface(struct capfile *c, const char *name, const char *description);

/* One packet: `caplen` bytes of `data` (cut to the snap length) of a frame
 * of `origlen` bytes (raised to caplen if less), at `ts_ns` (UNIX time,
 * nanoseconds), on interface `iface` (pcapng; -EINVAL unless an id
 * capfile_iface returned), `dir` 1 inbound / 2 outbound / anything else
 * unknown (pcapng: no epb_flags). 0 or -errno. */
int capfile_packet(struct capfile *c, int iface, uint64_t ts_ns, int dir, const uint8_t *data,
		   uint32_t caplen, uint32_t origlen);

/* fflush; 0 or -errno (-EIO, -EPIPE). */
int capfile_flush(struct capfile *c);

/* One line (no newline) describing a frame for a terminal, into buf:
 * "12:34:56.123456 a1:eth0 in  10.0.0.1 > 10.0.0.2: ICMP echo request id 7
 * seq 1, length 98". Local time of day with microseconds; `dir` as in
 * capfile_packet ("in", "out", or "?"); the protocol summary covers ARP,
 * IPv4, IPv6, ICMP, ICMPv6, TCP (ports and flags), UDP (ports), VLAN tags,
 * and "ethertype 0x88b5" for others; a frame cut short says so
 * ("[|tcp]"). Control, space, backslash and non-ASCII bytes of `iface`
 * are printed as \xNN. Reads no byte of `data` at or past `caplen`, whatever
 * the bytes are. The line is cut to fit and always NUL-terminated when
 * len > 0; returns its length (at most len - 1; 0 when len is 0). */
size_t capfile_line(char *buf, size_t len, uint64_t ts_ns, const char *iface, int dir,
		    const uint8_t *data, uint32_t caplen, uint32_t origlen);

#endif
