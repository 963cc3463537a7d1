/* QMP client: drives a QEMU process over its monitor socket
 * (`-qmp unix:PATH,server=on,wait=off`). Blocking calls with deadlines built on
 * poll(): no call waits longer than the timeout it was given.
 *
 * The lower part of this header (qmp_stream_*) is the QMP wire format alone:
 * a stream of JSON objects over a Unix stream socket, cut into messages as
 * bytes arrive. The guest-agent client (qga.c) speaks the same format and uses it.
 *
 * Threads: runs in the caller's thread. A handle is not thread-safe: one
 * thread at a time per handle; distinct handles are independent. */
#ifndef VLAB_QMP_H
#define VLAB_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define QMP_MSG_MAX	 (64u << 20) /* longest message accepted from the peer */
#define QMP_EVENTS_KEPT	 16	     /* asynchronous events remembered per handle */
#define QMP_STATUS_MAX	 32	     /* room for a run state such as "inmigrate" */
#define QMP_CONNECT_POLL 50	     /* ms between connect attempts */

/* ---- Wire format: JSON objects over a stream socket ---- */

/* Reassembles JSON objects from a byte stream: a message may arrive split over
 * many reads, and one read may carry several messages. Members are private to
 * qmp.c; the struct is public so qga.c can embed it. */
struct qmp_stream {
	int fd;	     /* connected stream socket, owned */
	char *buf;   /* bytes read but not yet returned as messages */
	size_t len;  /* bytes held in buf */
	size_t cap;  /* bytes allocated for buf */
	size_t scan; /* bytes of buf already scanned for a message end */
	int depth;   /* {} and [] nesting at `scan`, outside strings */
	bool in_str; /* `scan` is inside a JSON string */
	bool esc;    /* previous byte was a backslash inside a string */
};

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
int64_t qmp_now_ms(void);

/* Connects a Unix stream socket to `path`, retrying while the socket does not
 * exist or refuses (the server may not be up yet) until `timeout_ms` passes.
 * Returns a non-blocking, close-on-exec fd, or -ENAMETOOLONG, -ETIMEDOUT (the
 * last connect error was ENOENT or ECONNREFUSED), or another negative errno. */
int qmp_unix_connect(const char *path, int timeout_ms);

/* Takes ownership of `fd` (any stream socket, blocking or not). */
void qmp_stream_init(struct qmp_stream *s, int fd);

/* Closes the fd and frees the buffer; the stream may be initialised again. */
void qmp_stream_fini(struct qmp_stream *s);

/* Writes all of `data` before `deadline` (qmp_now_ms() time). Returns 0,
 * -ETIMEDOUT, -EPIPE/-ECONNRESET (peer gone) or another negative errno.
 * Never raises SIGPIPE. */
int qmp_stream_write(struct qmp_stream *s, const void *data, size_t len, int64_t deadline);

/* Dumps `msg` compactly with a trailing '\n' and writes it (see above). */
int qmp_stream_send(struct qmp_stream *s, const json_t *msg, int64_t deadline);

/* Returns the next JSON object from the stream in *msg (a new reference).
 * Returns 0, -ETIMEDOUT (nothing complete before `deadline`; bytes received so
 * far are kept for the next call), -ECONNRESET (peer closed, possibly in the
 * middle of a message), -EPROTO (bytes that are not a JSON object),
 * -EMSGSIZE (message longer than QMP_MSG_MAX), -ENOMEM. */
int qmp_stream_next(struct qmp_stream *s, int64_t deadline, json_t **msg);

/* Discards bytes up to and including the next `byte`, and any partial
 * message before it. Returns 0 once `byte` was consumed, or -ETIMEDOUT,
 * -ECONNRESET, or another negative errno as qmp_stream_next(). */
int qmp_stream_skip_past(struct qmp_stream *s, unsigned char byte, int64_t deadline);

/* Splits a reply (QMP and the guest agent share the shape): 0 and *ret (a new
 * reference, when ret is not NULL) for {"return": ...}; 1 and *cls / *desc
 * (borrowed, either may be NULL) for {"error": {"class", "desc"}}; -EPROTO
 * for anything else. */
int qmp_reply_split(json_t *msg, json_t **ret, const char **cls, const char **desc);

/* ---- QMP client ---- */

struct qmp;

/* Connects to the QMP socket at `path` (retrying until `timeout_ms` while QEMU
 * has not created it yet), reads the greeting and negotiates capabilities.
 * `timeout_ms` is then the time limit of each command on this handle.
 * Returns 0 and a handle in *out, or a negative errno with a message in err
 * (err may be NULL). */
int qmp_connect(const char *path, int timeout_ms, struct qmp **out, char *err, size_t errlen);

/* Same on an already connected stream socket `fd`, which the handle takes over
 * (it is closed on failure too). Used by tests with a socketpair. */
int qmp_open_fd(int fd, int timeout_ms, struct qmp **out, char *err, size_t errlen);

/* Closes the connection and frees the handle; accepts NULL. */
void qmp_close(struct qmp *q);

/* The "QMP" member of the greeting (version, capabilities); borrowed. */
const json_t *qmp_greeting(const struct qmp *q);

/* Runs command `cmd` with `args` (an object or NULL). `args` is STOLEN: the
 * call releases that reference in every case, so json_pack() can be written
 * inline. Events that arrive meanwhile are remembered (qmp_last_event()).
 * On success returns 0 and, when ret is not NULL, a new reference to the
 * "return" value in *ret. On an error reply returns a negative errno from its
 * class with "desc" in err:
 *   CommandNotFound -> -EOPNOTSUPP, DeviceNotFound -> -ENODEV,
 *   DeviceNotActive -> -ENODEV, KVMMissingCap -> -ENOTSUP, others -> -EIO.
 * Transport failures: -ETIMEDOUT, -ECONNRESET (QEMU closed the socket),
 * -EPROTO, -EMSGSIZE, -ENOMEM. After a timeout the handle stays usable: the
 * late reply is recognised by its id and dropped. */
int qmp_execute(struct qmp *q, const char *cmd, json_t *args, json_t **ret, char *err,
		size_t errlen);

/* `query-status`: the run state ("running", "paused", "shutdown",
 * "prelaunch", "inmigrate", "guest-panicked", ...) into status (may be NULL)
 * and whether vCPUs run into *running (may be NULL). */
int qmp_query_status(struct qmp *q, char *status, size_t statuslen, bool *running, char *err,
		     size_t errlen);

/* `system_powerdown`: asks the guest to power off (ACPI); returns once QEMU
 * acknowledged, not when the guest is down (see qmp_wait_event "SHUTDOWN"). */
int qmp_system_powerdown(struct qmp *q, char *err, size_t errlen);

/* `quit`: QEMU exits at once. The socket closing before the reply counts as
 * success. */
int qmp_quit(struct qmp *q, char *err, size_t errlen);

/* `set_link`: sets the link of NIC `name` (a -netdev id or a -device id) up
 * or down as the guest sees it. -ENODEV style errors come from QEMU. */
int qmp_set_link(struct qmp *q, const char *name, bool up, char *err, size_t errlen);

/* The most recent remembered event named `name` ("SHUTDOWN", "STOP", ...),
 * borrowed and valid until the next call on the handle, or NULL. Only the
 * last QMP_EVENTS_KEPT events are remembered; "SHUTDOWN" is also flagged for
 * the handle's life (qmp_shutdown_seen()). */
const json_t *qmp_last_event(const struct qmp *q, const char *name);

/* Whether a SHUTDOWN event was received on this connection. */
bool qmp_shutdown_seen(const struct qmp *q);

/* Waits until an event named `name` arrives, or returns at once if one is
 * remembered already. Returns 0, -ETIMEDOUT, -ECONNRESET, or another negative
 * errno from the stream. Forgets the remembered events it matched. */
int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, char *err, size_t errlen);

#endif /* VLAB_QMP_H */
