/* The capture stream of vlab-switchd: what a client reads from the socket
 * that `capture.start` and `capture.recent` pass back (docs/switch-api.md,
 * "Capture"). A sequence of records, each a fixed header in host byte order
 * (the stream never leaves the machine) followed by `len` bytes:
 *
 *   CAP_REC_PORT    a port the capture covers, before its first packet:
 *                   struct cap_rec_port, then its name (name_len bytes)
 *   CAP_REC_PACKET  a frame: its first cap_len bytes (orig_len on the wire)
 *   CAP_REC_END     the last record: struct cap_rec_end, the capture's final
 *                   counters; the switch closes the stream after it
 *
 * Pure definitions, shared by the switch (switch/capture/) and the CLI
 * (control/capture_*.c); any thread. */
#ifndef VLAB_API_CAPTURE_H
#define VLAB_API_CAPTURE_H

#include <stdint.h>

#define CAP_MAGIC 0x766c6370u /* "vlcp": the first record's magic */

enum cap_rec_type {
	CAP_REC_PORT = 1,
	CAP_REC_PACKET = 2,
	CAP_REC_END = 3,
};

enum cap_dir {
	CAP_DIR_IN = 1,  /* entering the switch from the port (the node sent it) */
	CAP_DIR_OUT = 2, /* leaving the switch towards the port (the node gets it) */
};

struct cap_rec {
	uint32_t magic;    /* CAP_MAGIC, in every record: a check of the framing */
	uint16_t type;     /* enum cap_rec_type */
	uint16_t port;     /* the switch's index of the port */
	uint32_t len;      /* bytes after this header */
	uint32_t orig_len; /* PACKET: frame length on the wire */
	uint64_t ts_ns;    /* PACKET: UNIX time in nanoseconds */
	uint8_t dir;       /* PACKET: enum cap_dir */
	uint8_t pad[7];
};

_Static_assert(sizeof(struct cap_rec) == 32, "capture record header is 32 bytes");

struct cap_rec_port {
	uint32_t vni;      /* VNI of the port's network */
	uint16_t name_len; /* bytes of the port name after this */
	uint16_t net_len;  /* bytes of the network name after the port name */
};

struct cap_rec_end {
	uint64_t captured; /* frames that matched and reached the stream */
	uint64_t filtered; /* frames the filter did not match */
	uint64_t lost;     /* frames that matched but found the stream full */
};

#endif
