/* Packet capture inside the switch: capture sessions (a set of ports and
 * networks, a direction, a BPF filter, a snap length), the flight recorders
 * of networks, and how they meet the datapath.
 *
 *   PMD (tap.c)        the capture features of the pipeline: for each tap on
 *                      a port and direction, run the session's filter on the
 *                      frame, copy what matches (snaplen) into the capture
 *                      pool and queue it on the session's ring; count what is
 *                      filtered out and what finds no room (lost).
 *   writer (writer.c)  a thread of its own (neither a PMD nor the control
 *                      thread): drains the rings into each client's stream
 *                      (api/capture.h) or into a recorder's store; notices a
 *                      client that went away.
 *   control (session.c, filter.c)  the API methods; compiles filters; builds
 *                      the per-port tap tables of each datapath snapshot.
 *
 * Sessions are shared by the three: the control thread creates and frees
 * them; PMDs reach them only through the snapshot (RCU); the writer through
 * the session list under cap.lock, never touched by PMDs. */
#ifndef VLAB_CAP_H
#define VLAB_CAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sys/types.h> /* u_int, which pcap/bpf.h needs */

#include <pcap/bpf.h>
#include <rte_bpf.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "capture.h"
#include "ctl.h"
#include "sw.h"

#define CAP_RING_SIZE     4096     /* frames queued per session for the writer */
#define CAP_POOL_MBUFS    16383    /* the capture pool, shared by every session */
#define CAP_OBUF_SIZE     (1 << 20) /* stream bytes buffered per client */
#define CAP_RECORD_BYTES  (64u << 20) /* a recorder's store is bounded by this too */
#define CAP_FEAT_MEM      0        /* our slot of sw_dp.feat_mem */
#define CAP_DRAIN_MS      2000     /* a stopped capture's client gets this long to read the rest */

/* What a PMD stores with a captured copy (the mbuf's private area). */
struct cap_meta {
	uint64_t tsc;
	uint32_t orig_len;
	uint16_t port;
	uint8_t dir;
};

/* Counters of one session for one port, kept by one PMD. */
struct cap_ctr {
	struct sw_ctr captured;
	struct sw_ctr filtered;
	struct sw_ctr lost;
};

enum cap_kind {
	CAP_STREAM,   /* capture.start: frames to a client's socket */
	CAP_RECORDER, /* network.record: the last frames of a network, kept */
	CAP_DUMP,     /* capture.recent: a recorder's content, then the end */
};

enum cap_state {
	CAP_ACTIVE,   /* in the snapshot's taps */
	CAP_DRAINING, /* taps off; the writer sends what is left and the end */
	CAP_DONE,     /* the writer is done with it: the control thread frees it */
};

/* A frame a recorder keeps: the stream record it becomes, ready to send. */
struct cap_stored {
	struct cap_rec hdr;
	uint8_t data[];
};

/* What the writer needs to announce a port in a stream. */
struct cap_portinfo {
	uint32_t gen; /* the port slot's generation it describes */
	uint32_t vni;
	char name[SW_NAME_MAX];
	char net[SW_NAME_MAX];
};

struct cap_session {
	uint32_t id;
	enum cap_kind kind;
	_Atomic int state;     /* enum cap_state */
	uint8_t dirs;          /* CAP_DIR_IN | CAP_DIR_OUT */
	uint32_t snaplen;
	char *filter;          /* the expression, or NULL */
	char policy[SW_NAME_MAX]; /* also what this policy's mirror rules copy, or "" */
	struct rte_bpf *bpf;   /* compiled filter, or NULL: every frame */
	uint64_t (*jit)(void *);  /* its JIT code, or NULL: rte_bpf_exec() */
	struct bpf_insn *cbpf;    /* or a classic program for bpf_filter() */
	struct rte_ring *ring; /* PMDs -> writer (NULL for CAP_DUMP) */
	/* what it covers: ports by slot (the slot's generation + 1 when the port
	 * was named, 0 when not), and networks (1 when named) */
	uint32_t *want_port; /* [SW_MAX_PORTS] */
	uint8_t *want_net;   /* [SW_MAX_NETS] */
	struct cap_ctr *ctr;        /* [pmd * SW_MAX_PORTS + port] */
	struct cap_portinfo *info;  /* [SW_MAX_PORTS], under cap.lock */
	uint32_t *announced;        /* [SW_MAX_PORTS] generation announced + 1, writer */
	/* the writer's side (under cap.lock) */
	int fd;                /* the switch's end of the stream, -1 when closed */
	uint8_t *obuf;         /* stream bytes not written yet: obuf[ooff..olen) */
	size_t ooff, olen, ocap;
	bool gone;             /* the client closed its end */
	bool ended;            /* the end record is in obuf */
	bool final_ready;      /* `end` holds the final counters */
	bool reap_posted;      /* the control thread was asked to reap it */
	bool gone_posted;      /* ... or to stop it, its client gone */
	uint64_t wlost;        /* frames the writer could not put in the stream */
	int gone_net;          /* a network being deleted it stops covering, or -1 */
	struct cap_rec_end end;
	uint64_t drain_deadline_ms;
	/* CAP_RECORDER: the store, a ring of `max` pointers */
	struct cap_stored **store;
	uint32_t max, head, count;
	uint64_t store_bytes;
	struct cap_session *next;
};

/* The capture side of the switch (one per process). */
struct cap_global {
	pthread_mutex_t lock; /* the session list and the writer's side of sessions */
	struct cap_session *list;
	uint32_t next_id;
	unsigned int n_sessions;
	struct rte_mempool *pool; /* created at the first capture */
	pthread_t writer;
	bool writer_running;
	int wake_fd; /* eventfd: a session is new or has news for the writer */
	_Atomic bool quit;
	uint64_t tsc_hz, tsc0, ns0; /* TSC to UNIX time */
	struct sw *sw;
};

extern struct cap_global cap;

/* tap.c: the pipeline features (registered by cap_init). */
extern struct dp_feature cap_feature_in, cap_feature_out;
/* Copies the frames pkts[0..n), seen on `port` in direction `dir`, that pass
 * session s's filter into its stream, and counts per port what it copied,
 * filtered out and lost (PMD). The capture features call it for the taps of
 * a port; a feature that mirrors frames to a capture (a policy's mirror
 * action) calls it for the session it names. */
void cap_tap_copy(struct sw_pmd *pmd, struct cap_session *s, uint16_t port, uint8_t dir,
		  struct rte_mbuf **pkts, uint16_t n);

/* session.c */
int cap_init(struct sw *sw);
void cap_shutdown(struct sw *sw);
/* The tap tables of a new snapshot (dp_feature fill/release hooks). */
void cap_dp_fill(const struct sw *sw, struct sw_dp *dp);
void cap_dp_release(struct sw_dp *dp);
/* From the writer (through ctl_post): session `id`'s client went away, or
 * the writer is done with it. */
void cap_client_gone(struct sw *sw, void *arg);
void cap_reap(struct sw *sw, void *arg);
/* A network is being deleted: CAP_NET_GONE before the snapshot without it
 * (no session covers it any more, its recorder ends), then CAP_NET_DONE once
 * that snapshot is out, or CAP_NET_KEPT when it could not be made. */
enum cap_net_phase { CAP_NET_GONE, CAP_NET_DONE, CAP_NET_KEPT };
void cap_net_gone(struct sw *sw, int net, enum cap_net_phase phase);
/* The network.record params of every recorder, for the state file. */
json_t *cap_recorders_config(const struct sw *sw);
extern const struct ctl_method capture_methods[];

/* Between session.c and recorder.c. */
int cap_pool_ready(struct api_err *err);
struct cap_session *cap_find(uint32_t id);
struct cap_session *cap_recorder_of(int net);
struct cap_session *cap_session_new(struct sw *sw, enum cap_kind kind, uint32_t snaplen,
				    struct api_err *err);
void cap_session_free(struct cap_session *s);
void cap_link(struct cap_session *s);
/* cap_link, then a snapshot with its taps; on failure it ends at once. */
int cap_link_publish(struct sw *sw, struct cap_session *s, struct api_err *err);
int cap_stop(struct sw *sw, struct cap_session *s, json_t *ports);
int cap_stream_open(struct cap_session *s, struct api_err *err);
void cap_totals(const struct sw *sw, const struct cap_session *s, struct cap_rec_end *t,
		json_t *ports);
int capture_recent(struct sw *sw, json_t *params, json_t **result, struct api_err *err);
int network_record(struct sw *sw, json_t *params, json_t **result, struct api_err *err);
/* writer.c: a recorder keeps a frame (writer thread, under cap.lock). */
void cap_store(struct cap_session *s, struct rte_mbuf *m);

/* filter.c: compiles `expr` for frames of up to `snaplen` bytes. 0 with
 * *bpf and *jit set (DPDK BPF), or *cbpf (a classic program for libpcap's
 * interpreter, which DPDK cannot convert right), or -EINVAL with a message
 * quoting the expression. */
int cap_filter_compile(const char *expr, uint32_t snaplen, struct rte_bpf **bpf,
		       uint64_t (**jit)(void *), struct bpf_insn **cbpf, struct api_err *err);

/* writer.c */
int cap_writer_start(void);
void cap_writer_stop(void);
/* Wakes the writer up for its next round now (any thread). */
void cap_writer_wake(void);
/* Appends a record to a session's stream buffer (writer or control thread,
 * under cap.lock). 0, or -ENOSPC when it does not fit now. */
int cap_out_append(struct cap_session *s, const struct cap_rec *h, const void *a, size_t alen,
		   const void *b, size_t blen);
/* Appends the PORT record of `port` to s's stream when not announced yet. */
int cap_out_announce(struct cap_session *s, uint16_t port);
uint64_t cap_tsc_ns(uint64_t tsc);
uint64_t cap_now_ms(void);

#endif
