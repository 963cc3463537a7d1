/* QEMU guest-agent client: sync with guest-sync-delimited (resent until the
 * agent runs), id-matched commands, guest-exec with polling and base64 data.
 * The JSON stream itself is qmp.c's (the agent speaks the QMP wire format).
 *
 * Threads: runs in the caller's thread; a handle is used by one thread at a
 * time. The base64 helpers are pure. */
#include "qga.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define SENTINEL 0xFF /* byte that delimits a sync (QGA_SENTINEL_BYTE in QEMU) */

struct qga {
	struct qmp_stream s;   /* the agent channel */
	int timeout_ms;	       /* time limit of one command, sync included */
	bool synced;	       /* replies in the channel now match our requests */
	uint64_t next_id;      /* id of the next command sent */
	int64_t sync_seed;     /* varies sync ids between handles and runs */
	char err[QGA_ERR_MAX]; /* last failure */
};

static void seterr(struct qga *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void seterr(struct qga *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
}

static const char *stream_strerror(int ret)
{
	switch (ret) {
	case -ETIMEDOUT:
		return "guest agent did not answer in time";
	case -ECONNRESET:
	case -EPIPE:
		return "QEMU closed the guest-agent connection";
	case -EPROTO:
		return "malformed message from the guest agent";
	case -EMSGSIZE:
		return "message from the guest agent too long";
	default:
		return strerror(-ret);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int qga_open_fd(int fd, int timeout_ms, struct qga **out)
{
	struct qga *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL) {
		close(fd);
		return -ENOMEM;
	}
	qmp_stream_init(&g->s, fd);
	g->timeout_ms = timeout_ms;
	g->sync_seed =
	    ((qmp_now_ms() << 16) ^ (int64_t)getpid() ^ (int64_t)(uintptr_t)g) & 0x3fffffffffffLL;
	*out = g;
	return 0;
}

int qga_connect(const char *path, int timeout_ms, struct qga **out)
{
	int fd = qmp_unix_connect(path, timeout_ms);

	*out = NULL;
	if (fd < 0)
		return fd;
	return qga_open_fd(fd, timeout_ms, out);
}

void qga_close(struct qga *g)
{
	if (g == NULL)
		return;
	qmp_stream_fini(&g->s);
	free(g);
}

const char *qga_error(const struct qga *g)
{
	return g->err;
}

/* Sends 0xFF then a guest-sync-delimited with `id`. */
static int send_sync(struct qga *g, json_int_t id, int64_t deadline)
{
	static const unsigned char sentinel = SENTINEL;
	json_t *req =
	    json_pack("{s:s, s:{s:I}}", "execute", "guest-sync-delimited", "arguments", "id", id);
	int ret;

	if (req == NULL)
		return -ENOMEM;
	ret = qmp_stream_write(&g->s, &sentinel, 1, deadline);
	if (ret == 0)
		ret = qmp_stream_send(&g->s, req, deadline);
	json_decref(req);
	return ret;
}

static int sync_until(struct qga *g, int64_t deadline)
{
	int interval = QGA_SYNC_RESEND_MIN;
	int ret;

	g->synced = false;
	for (;;) {
		json_int_t id = (json_int_t)(g->sync_seed + (int64_t)g->next_id++);
		int64_t resend_at = qmp_now_ms() + interval;

		if (resend_at > deadline)
			resend_at = deadline;
		if (interval < QGA_SYNC_RESEND_MAX)
			interval *= 2;
		ret = send_sync(g, id, deadline);
		if (ret < 0)
			goto out_seterr;
		/* Only the newest sync counts: the agent answers in order, so
		 * replies to older syncs and commands all come before it. */
		for (;;) {
			json_t *msg;

			ret = qmp_stream_skip_past(&g->s, SENTINEL, resend_at);
			if (ret == 0)
				ret = qmp_stream_next(&g->s, resend_at, &msg);
			if (ret == -ETIMEDOUT || ret == -EPROTO)
				break;
			if (ret < 0)
				goto out_seterr;
			json_t *rv = json_object_get(msg, "return");
			bool match = json_is_integer(rv) && json_integer_value(rv) == id;
			json_decref(msg);
			if (match) {
				g->synced = true;
				return 0;
			}
		}
		if (qmp_now_ms() >= deadline) {
			ret = -ETIMEDOUT;
			goto out_seterr;
		}
	}
out_seterr:
	seterr(g, "guest-sync-delimited: %s", stream_strerror(ret));
	return ret;
}

int qga_sync(struct qga *g, int timeout_ms)
{
	return sync_until(g, qmp_now_ms() + timeout_ms);
}

/* Runs `cmd` (args stolen), syncing first when needed, before `deadline`. */
static int command(struct qga *g, const char *cmd, json_t *args, json_t **ret, int64_t deadline)
{
	char id[32];
	json_t *req, *msg = NULL;
	int rc;

	if (ret != NULL)
		*ret = NULL;
	if (!g->synced) {
		rc = sync_until(g, deadline);
		if (rc < 0) {
			json_decref(args);
			return rc;
		}
	}
	snprintf(id, sizeof(id), "vlab-%" PRIu64, g->next_id++);
	req = json_pack("{s:s, s:s}", "execute", cmd, "id", id);
	if (req == NULL) {
		json_decref(args);
		seterr(g, "%s: out of memory", cmd);
		return -ENOMEM;
	}
	if (args != NULL && json_object_set_new(req, "arguments", args) < 0) {
		rc = -ENOMEM;
		goto out_unsync_free_req;
	}
	rc = qmp_stream_send(&g->s, req, deadline);
	if (rc < 0)
		goto out_unsync_free_req;
	for (;;) {
		rc = qmp_stream_next(&g->s, deadline, &msg);
		if (rc < 0)
			goto out_unsync_free_req;
		/* The agent echoes "id"; tolerate an agent that does not. */
		json_t *rid = json_object_get(msg, "id");
		if (rid == NULL || (json_is_string(rid) && strcmp(json_string_value(rid), id) == 0))
			break;
		json_decref(msg);
	}

	const char *cls, *desc;

	rc = qmp_reply_split(msg, ret, &cls, &desc);
	if (rc == 1) {
		rc = cls != NULL && strcmp(cls, "CommandNotFound") == 0 ? -EOPNOTSUPP : -EREMOTEIO;
		seterr(g, "%s: %s", cmd, desc != NULL ? desc : "error");
	} else if (rc < 0) {
		seterr(g, "%s: reply without return or error", cmd);
		g->synced = false;
	}
	json_decref(msg);
	json_decref(req);
	return rc;

out_unsync_free_req:
	/* The channel may now hold half a message or a late reply. */
	g->synced = false;
	seterr(g, "%s: %s", cmd, rc == -ENOMEM ? "out of memory" : stream_strerror(rc));
	json_decref(req);
	return rc;
}

int qga_execute(struct qga *g, const char *cmd, json_t *args, json_t **ret)
{
	return command(g, cmd, args, ret, qmp_now_ms() + g->timeout_ms);
}

int qga_ping(struct qga *g)
{
	return qga_execute(g, "guest-ping", NULL, NULL);
}

void qga_exec_result_free(struct qga_exec_result *r)
{
	if (r == NULL)
		return;
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Decodes base64 member `key` of `st` into a new NUL-terminated buffer of at
 * most QGA_OUTPUT_MAX bytes. An absent member gives an empty buffer. */
static int decode_data(const json_t *st, const char *key, char **buf, size_t *len, bool *trunc)
{
	const char *b64 = json_string_value(json_object_get(st, key));
	size_t srclen = b64 != NULL ? json_string_length(json_object_get(st, key)) : 0;
	char *out = malloc(qga_base64_decoded_max(srclen) + 1);
	size_t n = 0;

	if (out == NULL)
		return -ENOMEM;
	if (srclen > 0 && qga_base64_decode(b64, srclen, out, &n) < 0) {
		free(out);
		return -EPROTO;
	}
	if (n > QGA_OUTPUT_MAX) {
		n = QGA_OUTPUT_MAX;
		*trunc = true;
		char *small = realloc(out, n + 1);
		if (small != NULL)
			out = small;
	}
	out[n] = '\0';
	*buf = out;
	*len = n;
	return 0;
}

static int exec_fill_result(struct qga *g, const json_t *st, struct qga_exec_result *out)
{
	int ret;

	out->exitcode = (int)json_integer_value(json_object_get(st, "exitcode"));
	out->signal = (int)json_integer_value(json_object_get(st, "signal"));
	out->out_truncated = json_is_true(json_object_get(st, "out-truncated"));
	out->err_truncated = json_is_true(json_object_get(st, "err-truncated"));
	ret = decode_data(st, "out-data", &out->out, &out->out_len, &out->out_truncated);
	if (ret < 0)
		goto out_seterr;
	ret = decode_data(st, "err-data", &out->err, &out->err_len, &out->err_truncated);
	if (ret < 0)
		goto out_free_out;
	return 0;

out_free_out:
	qga_exec_result_free(out);
out_seterr:
	seterr(g, "guest-exec-status: %s",
	       ret == -ENOMEM ? "out of memory" : "invalid base64 output data");
	return ret;
}

int qga_exec(struct qga *g, const char *const argv[], const char *input, int timeout_ms,
	     struct qga_exec_result *out)
{
	int64_t deadline = qmp_now_ms() + timeout_ms;
	json_t *args, *argl, *rv = NULL;
	int poll_ms = QGA_EXEC_POLL_MIN;
	json_int_t pid;
	int ret;

	memset(out, 0, sizeof(*out));
	if (argv == NULL || argv[0] == NULL) {
		seterr(g, "guest-exec: empty command");
		return -EINVAL;
	}
	args = json_pack("{s:s, s:b}", "path", argv[0], "capture-output", 1);
	argl = json_array();
	if (args == NULL || argl == NULL) {
		json_decref(argl);
		goto out_nomem;
	}
	if (json_object_set_new(args, "arg", argl) < 0) /* steals argl */
		goto out_nomem;
	for (size_t i = 1; argv[i] != NULL; i++) {
		json_t *a = json_string(argv[i]);

		if (a == NULL) {
			json_decref(args);
			seterr(g, "guest-exec: argument %zu is not valid UTF-8", i);
			return -EINVAL;
		}
		if (json_array_append_new(argl, a) < 0)
			goto out_nomem;
	}
	if (input != NULL) {
		char *b64 = qga_base64_encode(input, strlen(input));
		json_t *js = b64 != NULL ? json_string(b64) : NULL;

		free(b64);
		if (js == NULL || json_object_set_new(args, "input-data", js) < 0)
			goto out_nomem;
	}

	/* Each round trip gets the handle's time limit; `timeout_ms` bounds the
	 * program's run time, checked between polls. */
	ret = qga_execute(g, "guest-exec", args, &rv);
	if (ret < 0)
		return ret;
	if (!json_is_integer(json_object_get(rv, "pid"))) {
		json_decref(rv);
		seterr(g, "guest-exec: reply without pid");
		return -EPROTO;
	}
	pid = json_integer_value(json_object_get(rv, "pid"));
	json_decref(rv);

	for (;;) {
		bool last = qmp_now_ms() >= deadline;

		ret = qga_execute(g, "guest-exec-status", json_pack("{s:I}", "pid", pid), &rv);
		if (ret < 0)
			return ret;
		if (json_is_true(json_object_get(rv, "exited"))) {
			ret = exec_fill_result(g, rv, out);
			json_decref(rv);
			return ret;
		}
		json_decref(rv);
		if (last) {
			seterr(g, "%s: still running in the guest after %d ms (pid %lld)", argv[0],
			       timeout_ms, (long long)pid);
			return -ETIMEDOUT;
		}
		/* Sleep, but poll once more right at the deadline. */
		int left = (int)(deadline - qmp_now_ms());
		if (left > 0)
			sleep_ms(poll_ms < left ? poll_ms : left);
		if (poll_ms < QGA_EXEC_POLL_MAX)
			poll_ms = poll_ms * 2 > QGA_EXEC_POLL_MAX ? QGA_EXEC_POLL_MAX : poll_ms * 2;
	}

out_nomem:
	json_decref(args);
	seterr(g, "guest-exec: out of memory");
	return -ENOMEM;
}

int qga_wait_ready(const char *path, int timeout_ms)
{
	int64_t deadline = qmp_now_ms() + timeout_ms;
	struct qga *g;
	int ret;

	ret = qga_connect(path, timeout_ms, &g);
	if (ret < 0)
		return ret;
	ret = sync_until(g, deadline);
	if (ret == 0)
		ret = command(g, "guest-ping", NULL, NULL, deadline);
	qga_close(g);
	return ret;
}

/* ---- base64 ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *qga_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	char *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Value of base64 character `c`, or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int qga_base64_decode(const char *src, size_t srclen, void *dst, size_t *dstlen)
{
	unsigned char *o = dst;
	size_t pad = 0, n, i;
	uint32_t v = 0;

	*dstlen = 0;
	while (pad < srclen && src[srclen - 1 - pad] == '=')
		pad++;
	n = srclen - pad;
	if (pad > 2 || (pad > 0 && srclen % 4 != 0) || n % 4 == 1)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int c = b64_value((unsigned char)src[i]);

		if (c < 0)
			return -EINVAL;
		v = v << 6 | (uint32_t)c;
		if (i % 4 == 3) {
			*o++ = (unsigned char)(v >> 16);
			*o++ = (unsigned char)(v >> 8);
			*o++ = (unsigned char)v;
			v = 0;
		}
	}
	if (n % 4 == 2) {
		if (v & 0xf)
			return -EINVAL;
		*o++ = (unsigned char)(v >> 4);
	} else if (n % 4 == 3) {
		if (v & 0x3)
			return -EINVAL;
		*o++ = (unsigned char)(v >> 10);
		*o++ = (unsigned char)(v >> 2);
	}
	*dstlen = (size_t)(o - (unsigned char *)dst);
	return 0;
}
