/* QMP client: the QMP wire format (JSON objects over a stream socket, cut into
 * messages as bytes arrive, with deadlines) and the command client on top of
 * it (greeting, capabilities, id-matched replies, events kept aside).
 *
 * Threads: runs in the caller's thread; a handle is used by one thread at a
 * time. Touches only the socket it owns; never raises SIGPIPE. */
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536

struct qmp {
	struct qmp_stream s;		 /* the monitor socket */
	int timeout_ms;			 /* time limit of one command */
	uint64_t next_id;		 /* id of the next command sent */
	json_t *greeting;		 /* "QMP" member of the greeting */
	json_t *events[QMP_EVENTS_KEPT]; /* ring of the last events received */
	unsigned int ev_head;		 /* index of the oldest event in the ring */
	unsigned int ev_count;		 /* events held in the ring */
	bool shutdown_seen;		 /* a SHUTDOWN event was received */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int64_t qmp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before `deadline`, as a poll() timeout (0 when past). */
static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - qmp_now_ms();

	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Waits until `fd` is ready for `events` or `deadline` passes. Returns 0 when
 * ready (including error/hang-up conditions, which the next I/O reports), or
 * -ETIMEDOUT, or a negative errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int n = poll(&pfd, 1, remaining_ms(deadline));

		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int qmp_unix_connect(const char *path, int timeout_ms)
{
	int64_t deadline = qmp_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		ret = -errno;
		close(fd);
		/* EAGAIN: the server's backlog is full; ENOENT/ECONNREFUSED:
		 * the server has not created or is not listening on it yet. */
		if (ret != -ENOENT && ret != -ECONNREFUSED && ret != -EAGAIN)
			return ret;
		if (remaining_ms(deadline) == 0)
			return -ETIMEDOUT;
		int nap = remaining_ms(deadline);
		if (nap > QMP_CONNECT_POLL)
			nap = QMP_CONNECT_POLL;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)nap * 1000000};
		nanosleep(&ts, NULL);
	}
}

void qmp_stream_init(struct qmp_stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
}

void qmp_stream_fini(struct qmp_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int qmp_stream_write(struct qmp_stream *s, const void *data, size_t len, int64_t deadline)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int ret = wait_fd(s->fd, POLLOUT, deadline);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int qmp_stream_send(struct qmp_stream *s, const json_t *msg, int64_t deadline)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;
	int ret;

	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n'; /* overwrites the NUL: send len + 1 bytes */
	ret = qmp_stream_write(s, text, len + 1, deadline);
	free(text);
	return ret;
}

/* Drops the first `n` bytes of the buffer and resets the scanner. */
static void consume(struct qmp_stream *s, size_t n)
{
	if (n < s->len)
		memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	s->scan = 0;
	s->depth = 0;
	s->in_str = false;
	s->esc = false;
}

/* Reads what is available into the buffer, waiting until `deadline` for the
 * first byte. Returns 0, -ETIMEDOUT, -ECONNRESET (EOF), -EMSGSIZE, -ENOMEM. */
static int fill(struct qmp_stream *s, int64_t deadline)
{
	for (;;) {
		if (s->cap - s->len < READ_CHUNK) {
			size_t cap = s->cap ? s->cap * 2 : 2 * READ_CHUNK;
			if (cap > QMP_MSG_MAX + 2 * READ_CHUNK) {
				if (s->len >= QMP_MSG_MAX)
					return -EMSGSIZE;
				cap = QMP_MSG_MAX + 2 * READ_CHUNK;
			}
			char *buf = realloc(s->buf, cap);
			if (buf == NULL)
				return -ENOMEM;
			s->buf = buf;
			s->cap = cap;
		}
		ssize_t n = recv(s->fd, s->buf + s->len, s->cap - s->len, MSG_DONTWAIT);
		if (n > 0) {
			s->len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int ret = wait_fd(s->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
	}
}

/* Scans the bytes not scanned yet for the end of the JSON object that starts
 * the buffer (whitespace before it is dropped). Returns 1 with the object in
 * buf[0, *end), 0 when more bytes are needed, -EPROTO when the buffer starts
 * with something else than an object. Between messages depth is 0 and scan 0. */
static int scan(struct qmp_stream *s, size_t *end)
{
	if (s->depth == 0) {
		size_t ws = 0;

		while (ws < s->len && (s->buf[ws] == ' ' || s->buf[ws] == '\t' ||
				       s->buf[ws] == '\r' || s->buf[ws] == '\n'))
			ws++;
		if (ws > 0)
			consume(s, ws);
		if (s->len == 0)
			return 0;
		if (s->buf[0] != '{')
			return -EPROTO;
		s->depth = 1;
		s->scan = 1;
	}
	for (; s->scan < s->len; s->scan++) {
		char c = s->buf[s->scan];

		if (s->in_str) {
			if (s->esc)
				s->esc = false;
			else if (c == '\\')
				s->esc = true;
			else if (c == '"')
				s->in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			s->in_str = true;
			break;
		case '{':
		case '[':
			s->depth++;
			break;
		case '}':
		case ']':
			if (--s->depth == 0) {
				*end = s->scan + 1;
				return 1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

int qmp_stream_next(struct qmp_stream *s, int64_t deadline, json_t **msg)
{
	for (;;) {
		size_t end;
		int ret = scan(s, &end);

		if (ret < 0)
			return ret;
		if (ret > 0) {
			json_error_t jerr;
			json_t *obj = json_loadb(s->buf, end, JSON_REJECT_DUPLICATES, &jerr);

			consume(s, end);
			if (obj == NULL)
				return -EPROTO;
			if (!json_is_object(obj)) {
				json_decref(obj);
				return -EPROTO;
			}
			*msg = obj;
			return 0;
		}
		if (s->len >= QMP_MSG_MAX)
			return -EMSGSIZE;
		ret = fill(s, deadline);
		if (ret < 0)
			return ret;
	}
}

int qmp_stream_skip_past(struct qmp_stream *s, unsigned char byte, int64_t deadline)
{
	for (;;) {
		char *p = s->len > 0 ? memchr(s->buf, byte, s->len) : NULL;

		if (p != NULL) {
			consume(s, (size_t)(p - s->buf) + 1);
			return 0;
		}
		consume(s, s->len);
		int ret = fill(s, deadline);
		if (ret < 0)
			return ret;
	}
}

/* ---- QMP client ---- */

static void event_keep(struct qmp *q, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));

	if (name != NULL && strcmp(name, "SHUTDOWN") == 0)
		q->shutdown_seen = true;
	if (q->ev_count == QMP_EVENTS_KEPT) {
		json_decref(q->events[q->ev_head]);
		q->events[q->ev_head] = NULL;
		q->ev_head = (q->ev_head + 1) % QMP_EVENTS_KEPT;
		q->ev_count--;
	}
	q->events[(q->ev_head + q->ev_count) % QMP_EVENTS_KEPT] = json_incref(ev);
	q->ev_count++;
}

/* Index in the ring of the newest event named `name`, or -1. */
static int event_find(const struct qmp *q, const char *name)
{
	for (unsigned int i = q->ev_count; i-- > 0;) {
		unsigned int k = (q->ev_head + i) % QMP_EVENTS_KEPT;
		const char *n = json_string_value(json_object_get(q->events[k], "event"));

		if (n != NULL && strcmp(n, name) == 0)
			return (int)k;
	}
	return -1;
}

/* Forgets every remembered event named `name`, keeping the others in order. */
static void event_forget(struct qmp *q, const char *name)
{
	json_t *keep[QMP_EVENTS_KEPT];
	unsigned int n = 0;

	for (unsigned int i = 0; i < q->ev_count; i++) {
		unsigned int k = (q->ev_head + i) % QMP_EVENTS_KEPT;
		const char *en = json_string_value(json_object_get(q->events[k], "event"));

		if (en != NULL && strcmp(en, name) == 0)
			json_decref(q->events[k]);
		else
			keep[n++] = q->events[k];
		q->events[k] = NULL;
	}
	for (unsigned int i = 0; i < n; i++)
		q->events[i] = keep[i];
	q->ev_head = 0;
	q->ev_count = n;
}

const json_t *qmp_last_event(const struct qmp *q, const char *name)
{
	int k = event_find(q, name);

	return k < 0 ? NULL : q->events[k];
}

bool qmp_shutdown_seen(const struct qmp *q)
{
	return q->shutdown_seen;
}

const json_t *qmp_greeting(const struct qmp *q)
{
	return q->greeting;
}

static const char *stream_strerror(int ret)
{
	switch (ret) {
	case -ETIMEDOUT:
		return "timed out";
	case -ECONNRESET:
	case -EPIPE:
		return "QEMU closed the QMP connection";
	case -EPROTO:
		return "malformed QMP message";
	case -EMSGSIZE:
		return "QMP message too long";
	default:
		return strerror(-ret);
	}
}

/* The errno for a QMP error class. */
int qmp_reply_split(json_t *msg, json_t **ret, const char **cls, const char **desc)
{
	json_t *rv = json_object_get(msg, "return");
	json_t *e = json_object_get(msg, "error");

	if (rv != NULL) {
		if (ret != NULL)
			*ret = json_incref(rv);
		return 0;
	}
	if (!json_is_object(e))
		return -EPROTO;
	*cls = json_string_value(json_object_get(e, "class"));
	*desc = json_string_value(json_object_get(e, "desc"));
	return 1;
}

static int class_errno(const char *cls)
{
	static const struct {
		const char *cls;
		int err;
	} map[] = {
	    {"CommandNotFound", EOPNOTSUPP},
	    {"DeviceNotActive", ENODEV},
	    {"DeviceNotFound", ENODEV},
	    {"KVMMissingCap", ENOTSUP},
	};

	for (size_t i = 0; cls != NULL && i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(cls, map[i].cls) == 0)
			return -map[i].err;
	}
	return -EIO;
}

int qmp_execute(struct qmp *q, const char *cmd, json_t *args, json_t **ret, char *err,
		size_t errlen)
{
	int64_t deadline = qmp_now_ms() + q->timeout_ms;
	char id[32];
	json_t *req, *msg = NULL;
	int rc;

	if (ret != NULL)
		*ret = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	snprintf(id, sizeof(id), "vlab-%" PRIu64, q->next_id++);
	req = json_pack("{s:s, s:s}", "execute", cmd, "id", id);
	if (req == NULL) {
		json_decref(args);
		seterr(err, errlen, "%s: out of memory", cmd);
		return -ENOMEM;
	}
	if (args != NULL && json_object_set_new(req, "arguments", args) < 0) {
		seterr(err, errlen, "%s: out of memory", cmd);
		rc = -ENOMEM;
		goto out_free_req;
	}
	rc = qmp_stream_send(&q->s, req, deadline);
	if (rc < 0) {
		seterr(err, errlen, "%s: sending: %s", cmd, stream_strerror(rc));
		goto out_free_req;
	}

	for (;;) {
		rc = qmp_stream_next(&q->s, deadline, &msg);
		if (rc < 0) {
			seterr(err, errlen, "%s: %s", cmd, stream_strerror(rc));
			goto out_free_req;
		}
		if (json_object_get(msg, "event") != NULL) {
			event_keep(q, msg);
			json_decref(msg);
			continue;
		}
		const char *rid = json_string_value(json_object_get(msg, "id"));
		if (rid != NULL && strcmp(rid, id) == 0)
			break;
		/* A late reply to a command that timed out, or a stray message. */
		json_decref(msg);
	}

	const char *cls, *desc;

	rc = qmp_reply_split(msg, ret, &cls, &desc);
	if (rc == 1) {
		rc = class_errno(cls);
		seterr(err, errlen, "%s", desc != NULL ? desc : (cls != NULL ? cls : "error"));
	} else if (rc < 0) {
		seterr(err, errlen, "%s: reply without return or error", cmd);
	}
	json_decref(msg);
out_free_req:
	json_decref(req);
	return rc;
}

int qmp_open_fd(int fd, int timeout_ms, struct qmp **out, char *err, size_t errlen)
{
	int64_t deadline = qmp_now_ms() + timeout_ms;
	struct qmp *q;
	json_t *msg = NULL;
	int ret;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		close(fd);
		seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	qmp_stream_init(&q->s, fd);
	q->timeout_ms = timeout_ms;

	ret = qmp_stream_next(&q->s, deadline, &msg);
	if (ret < 0) {
		seterr(err, errlen, "QMP greeting: %s", stream_strerror(ret));
		goto out_free_q;
	}
	q->greeting = json_incref(json_object_get(msg, "QMP"));
	json_decref(msg);
	if (!json_is_object(q->greeting)) {
		seterr(err, errlen, "QMP greeting: not a QMP greeting");
		ret = -EPROTO;
		goto out_free_q;
	}
	ret = qmp_execute(q, "qmp_capabilities", NULL, NULL, err, errlen);
	if (ret < 0)
		goto out_free_q;
	*out = q;
	return 0;

out_free_q:
	qmp_close(q);
	return ret;
}

int qmp_connect(const char *path, int timeout_ms, struct qmp **out, char *err, size_t errlen)
{
	int64_t deadline = qmp_now_ms() + timeout_ms;
	int fd = qmp_unix_connect(path, timeout_ms);
	struct qmp *q;
	int ret;

	*out = NULL;
	if (fd < 0) {
		seterr(err, errlen, "QMP socket %s: %s", path,
		       fd == -ETIMEDOUT ? "no QEMU listening" : strerror(-fd));
		return fd;
	}
	/* The greeting and capabilities share what is left of the time. */
	ret = qmp_open_fd(fd, remaining_ms(deadline) > 0 ? remaining_ms(deadline) : 1, &q, err,
			  errlen);
	if (ret < 0)
		return ret;
	q->timeout_ms = timeout_ms;
	*out = q;
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q == NULL)
		return;
	qmp_stream_fini(&q->s);
	json_decref(q->greeting);
	for (unsigned int i = 0; i < QMP_EVENTS_KEPT; i++)
		json_decref(q->events[i]);
	free(q);
}

int qmp_query_status(struct qmp *q, char *status, size_t statuslen, bool *running, char *err,
		     size_t errlen)
{
	json_t *rv = NULL;
	const char *st;
	int ret;

	ret = qmp_execute(q, "query-status", NULL, &rv, err, errlen);
	if (ret < 0)
		return ret;
	st = json_string_value(json_object_get(rv, "status"));
	if (st == NULL || !json_is_boolean(json_object_get(rv, "running"))) {
		seterr(err, errlen, "query-status: unexpected reply");
		json_decref(rv);
		return -EPROTO;
	}
	if (status != NULL && statuslen > 0)
		snprintf(status, statuslen, "%s", st);
	if (running != NULL)
		*running = json_is_true(json_object_get(rv, "running"));
	json_decref(rv);
	return 0;
}

int qmp_system_powerdown(struct qmp *q, char *err, size_t errlen)
{
	return qmp_execute(q, "system_powerdown", NULL, NULL, err, errlen);
}

int qmp_quit(struct qmp *q, char *err, size_t errlen)
{
	int ret = qmp_execute(q, "quit", NULL, NULL, err, errlen);

	/* QEMU may exit before its reply reaches us. */
	if (ret == -ECONNRESET || ret == -EPIPE)
		ret = 0;
	return ret;
}

int qmp_set_link(struct qmp *q, const char *name, bool up, char *err, size_t errlen)
{
	json_t *args = json_pack("{s:s, s:b}", "name", name, "up", up);

	if (args == NULL) {
		seterr(err, errlen, "set_link: out of memory");
		return -ENOMEM;
	}
	return qmp_execute(q, "set_link", args, NULL, err, errlen);
}

int qmp_wait_event(struct qmp *q, const char *name, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = qmp_now_ms() + timeout_ms;
	json_t *msg;

	for (;;) {
		if (event_find(q, name) >= 0) {
			event_forget(q, name);
			return 0;
		}
		int ret = qmp_stream_next(&q->s, deadline, &msg);
		if (ret < 0) {
			seterr(err, errlen, "waiting for event %s: %s", name, stream_strerror(ret));
			return ret;
		}
		if (json_object_get(msg, "event") != NULL)
			event_keep(q, msg);
		json_decref(msg);
	}
}
