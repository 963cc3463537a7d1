/* QEMU guest-agent client: talks to qemu-ga inside a guest through the host
 * end of its virtio-serial port (QEMU `-chardev socket,id=qga0,path=PATH,
 * server=on,wait=off` + `virtserialport,chardev=qga0,name=org.qemu.guest_agent.0`).
 *
 * The agent sends no greeting and the channel may hold stale bytes (replies
 * to an earlier client, half a message), so every session starts with
 * `guest-sync-delimited`: the client sends 0xFF (the agent resets its parser)
 * and the sync; the agent answers 0xFF then the sync's id; the client drops
 * everything before that 0xFF. Until the agent runs in the guest, connecting
 * succeeds (QEMU is the server) but nothing answers: syncs are re-sent with
 * new ids until the deadline.
 *
 * Also pure base64 helpers (guest-exec carries data in base64).
 *
 * Threads: runs in the caller's thread. A handle is not thread-safe: one
 * thread at a time per handle. */
#ifndef VLAB_QGA_H
#define VLAB_QGA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define QGA_OUTPUT_MAX	    (16u << 20) /* bytes of stdout / stderr kept by qga_exec */
#define QGA_SYNC_RESEND_MIN 250		/* ms before the first sync is re-sent */
#define QGA_SYNC_RESEND_MAX 2000	/* longest ms between re-sent syncs */
#define QGA_EXEC_POLL_MIN   10		/* first ms between guest-exec-status polls */
#define QGA_EXEC_POLL_MAX   250		/* longest ms between polls */
#define QGA_ERR_MAX	    256

struct qga;

/* Result of a command run in the guest by qga_exec(). */
struct qga_exec_result {
	int exitcode;	    /* exit status when it exited normally (signal == 0) */
	int signal;	    /* signal that killed it, or 0 */
	char *out;	    /* stdout, NUL-terminated (may contain other NULs) */
	size_t out_len;	    /* bytes of stdout, without the final NUL */
	bool out_truncated; /* stdout was cut (by the agent or at QGA_OUTPUT_MAX) */
	char *err;	    /* stderr, as out */
	size_t err_len;
	bool err_truncated;
};

/* Connects to the agent socket at `path`, retrying until `timeout_ms` while
 * QEMU has not created it yet. Does not talk to the agent: the first command
 * syncs. `timeout_ms` is then the time limit of each command (and of the sync
 * it may need) on this handle. Returns 0 and *out, or a negative errno
 * (-ETIMEDOUT when no QEMU listens, -ENAMETOOLONG, ...). */
int qga_connect(const char *path, int timeout_ms, struct qga **out);

/* Same on a connected stream socket `fd`, which the handle takes over (closed
 * on failure too). Used by tests with a socketpair. */
int qga_open_fd(int fd, int timeout_ms, struct qga **out);

/* Closes the connection and frees the handle; accepts NULL. */
void qga_close(struct qga *g);

/* Message describing the last failure on the handle ("" if none). */
const char *qga_error(const struct qga *g);

/* Synchronises with the agent (guest-sync-delimited), re-sending the sync with
 * a new id at growing intervals until the agent answers or `timeout_ms`
 * passes. Returns 0, -ETIMEDOUT (no agent answered), -ECONNRESET (QEMU closed
 * the socket), or another negative errno. */
int qga_sync(struct qga *g, int timeout_ms);

/* Runs agent command `cmd` with `args` (an object or NULL; STOLEN: released
 * in every case). Syncs first when the handle is not in sync (new, or after a
 * timeout or protocol error). Returns 0 and, when ret is not NULL, a new
 * reference to the "return" value; or -EREMOTEIO when the agent answered an
 * error (its "desc" in qga_error(), CommandNotFound gives -EOPNOTSUPP); or
 * -ETIMEDOUT, -ECONNRESET, -EPROTO, -EMSGSIZE, -ENOMEM. */
int qga_execute(struct qga *g, const char *cmd, json_t *args, json_t **ret);

/* `guest-ping`: 0 when the agent answers. */
int qga_ping(struct qga *g);

/* Runs argv[0] (a path in the guest; not searched in $PATH) with arguments
 * argv[1..] (NULL-terminated) in the guest, feeding `input` (NUL-terminated,
 * may be NULL) to its stdin, and waits at most `timeout_ms` for it to end,
 * polling guest-exec-status (each round trip, the sync it may need included,
 * has the handle's time limit on top: the call returns within about
 * timeout_ms + 2 x the handle's timeout). Returns 0 when it ended, whatever its exit status
 * (see out->exitcode and out->signal), with its output in *out (release with
 * qga_exec_result_free()); -ETIMEDOUT when it is still running (it is left
 * running), -EREMOTEIO when the agent refused (e.g. no such file), or another
 * negative errno as qga_execute(). */
int qga_exec(struct qga *g, const char *const argv[], const char *input, int timeout_ms,
	     struct qga_exec_result *out);

/* Frees the buffers of `r` and zeroes it; accepts NULL and zeroed results. */
void qga_exec_result_free(struct qga_exec_result *r);

/* Whether the guest agent at `path` answers: connect + sync + guest-ping, all
 * within `timeout_ms`. Returns 0 when ready, else a negative errno
 * (-ETIMEDOUT when nothing answered in time). */
int qga_wait_ready(const char *path, int timeout_ms);

/* ---- base64 (RFC 4648, standard alphabet), pure ---- */

/* Encodes `len` bytes into a new NUL-terminated string with '=' padding
 * (free() it), or NULL on ENOMEM. */
char *qga_base64_encode(const void *data, size_t len);

/* Bytes that decoding `srclen` characters can produce at most. */
static inline size_t qga_base64_decoded_max(size_t srclen)
{
	return (srclen + 3) / 4 * 3;
}

/* Decodes `srclen` characters of `src` into `dst` (room for
 * qga_base64_decoded_max(srclen) bytes), setting *dstlen. Padding is optional
 * at the very end; whitespace is not accepted. Returns 0, or -EINVAL on a
 * character outside the alphabet, '=' anywhere but at the end, more than two
 * '=', a group of a single character, or unused bits that are not zero. */
int qga_base64_decode(const char *src, size_t srclen, void *dst, size_t *dstlen);

#endif /* VLAB_QGA_H */
