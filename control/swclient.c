/* Client of the vlab-switchd control API: Unix stream socket, one JSON object
 * per line each way, responses in request order.
 *
 * Threads: one connection belongs to one thread (the vlab main thread). Blocking
 * I/O with SO_SNDTIMEO/SO_RCVTIMEO so a hung switch cannot hang a script. */
#include "swclient.h"

#include "schema.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct swc {
	int fd;
	json_int_t next_id; /* id of the next request */
	char *buf;	    /* received bytes not consumed yet */
	size_t len;	    /* bytes in buf */
	size_t cap;	    /* bytes allocated in buf */
	int passed_fd;	    /* a descriptor the switch passed with a reply, or -1 */
};

const char *swc_socket_path(const char *override)
{
	const char *env;

	if (override)
		return override;
	env = getenv(SWC_SOCKET_ENV);
	if (env && env[0] != '\0')
		return env;
	return SWC_DEFAULT_SOCKET;
}

int swc_connect(const char *path, struct swc **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {
	    .tv_sec = SWC_TIMEOUT_MS / 1000,
	    .tv_usec = (SWC_TIMEOUT_MS % 1000) * 1000,
	};
	struct swc *c;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->next_id = 1;
	c->passed_fd = -1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		ret = -errno;
		goto out_free;
	}
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto out_close_fd;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out_close_fd;
	}
	*out = c;
	return 0;

out_close_fd:
	close(c->fd);
out_free:
	free(c);
	return ret;
}

void swc_close(struct swc *c)
{
	if (!c)
		return;
	close(c->fd);
	if (c->passed_fd >= 0)
		close(c->passed_fd);
	free(c->buf);
	free(c);
}

int swc_take_fd(struct swc *c)
{
	int fd = c->passed_fd;

	c->passed_fd = -1;
	return fd;
}

/* recv() that also takes a descriptor passed with the bytes (SCM_RIGHTS). */
static ssize_t recv_fd(struct swc *c, char *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.b,
			     .msg_controllen = sizeof(u.b)};
	ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
			if (c->passed_fd >= 0)
				close(c->passed_fd); /* only the last one is kept */
			c->passed_fd = fd;
		}
	}
	return n;
}

int swc_request(const char *path, const char *method, json_t *params, json_t **result,
		struct swc_error *err)
{
	const struct api_method *m = api_method_find(method);
	struct swc *c = NULL;
	json_t *res = NULL;
	json_t *empty = NULL;
	int rc;

	/* the controller sends only what the switch accepts: check with the
	 * switch's own schema before sending */
	if (m == NULL || api_validate(m, params ? params : (empty = json_object()),
				      err->message, sizeof(err->message)) < 0) {
		if (m == NULL)
			snprintf(err->message, sizeof(err->message),
				 "%s is not a method of the switch API", method);
		err->code = -EINVAL;
		json_decref(empty);
		json_decref(params);
		return -EREMOTEIO;
	}
	json_decref(empty);
	rc = swc_connect(path, &c);
	if (rc == 0)
		rc = swc_call(c, method, params, &res, err);
	swc_close(c);
	json_decref(params);
	if (result)
		*result = res;
	else
		json_decref(res);
	return rc;
}

char *swc_encode_request(json_int_t id, const char *method, const json_t *params)
{
	json_t *req;
	char *body, *line = NULL;
	size_t n;

	req = json_pack("{s:I, s:s}", "id", id, "method", method);
	if (!req)
		return NULL;
	/* json_object_set() takes its own reference; params stays the caller's. */
	if (params && json_object_set(req, "params", (json_t *)params) < 0)
		goto out_put_req;
	body = json_dumps(req, JSON_COMPACT);
	if (!body)
		goto out_put_req;
	n = strlen(body);
	line = malloc(n + 2);
	if (line) {
		memcpy(line, body, n);
		line[n] = '\n';
		line[n + 1] = '\0';
	}
	free(body);

out_put_req:
	json_decref(req);
	return line;
}

int swc_decode_response(const char *line, json_int_t id, json_t **result, struct swc_error *err)
{
	json_t *resp, *rid, *res, *error;
	int ret = -EPROTO;

	resp = json_loads(line, JSON_DECODE_ANY, NULL);
	if (!json_is_object(resp))
		goto out_put_resp;
	rid = json_object_get(resp, "id");
	error = json_object_get(resp, "error");
	/* The switch answers null when it could not read the id (bad request);
	 * one request is in flight at a time, so that error is ours. */
	if (!(json_is_integer(rid) && json_integer_value(rid) == id) &&
	    !(error && (!rid || json_is_null(rid))))
		goto out_put_resp;

	if (error) {
		json_t *code = json_object_get(error, "code");
		json_t *msg = json_object_get(error, "message");

		if (!json_is_integer(code) || !json_is_string(msg))
			goto out_put_resp;
		err->code = (int)json_integer_value(code);
		snprintf(err->message, sizeof(err->message), "%s", json_string_value(msg));
		ret = -EREMOTEIO;
		goto out_put_resp;
	}
	res = json_object_get(resp, "result");
	if (!res)
		goto out_put_resp;
	*result = json_incref(res);
	ret = 0;

out_put_resp:
	json_decref(resp);
	return ret;
}

/* Sends all of `data`. Returns 0 or a negative errno. */
static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			if (errno == EPIPE)
				return -ECONNRESET;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until buf holds a full line; returns its length (without '\n') or a
 * negative errno. The line is NUL-terminated in place; consume it with
 * consume_line(). */
static long read_line(struct swc *c)
{
	size_t scanned = 0;

	for (;;) {
		char *nl = c->buf ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			return nl - c->buf;
		}
		scanned = c->len;
		if (c->len >= SWC_MAX_RESPONSE)
			return -EMSGSIZE;
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *grown = realloc(c->buf, cap + 1);

			if (!grown)
				return -ENOMEM;
			c->buf = grown;
			c->cap = cap;
		}
		n = recv_fd(c, c->buf + c->len, c->cap - c->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -ETIMEDOUT;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

/* Drops the first line (length `linelen`, plus its terminator) from buf. */
static void consume_line(struct swc *c, size_t linelen)
{
	size_t used = linelen + 1;

	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
}

int swc_call(struct swc *c, const char *method, const json_t *params, json_t **result,
	     struct swc_error *err)
{
	json_int_t id = c->next_id++;
	char *line;
	long linelen;
	int ret;

	line = swc_encode_request(id, method, params);
	if (!line)
		return -ENOMEM;
	ret = send_all(c->fd, line, strlen(line));
	free(line);
	if (ret < 0)
		return ret;

	linelen = read_line(c);
	if (linelen < 0)
		return (int)linelen;
	ret = swc_decode_response(c->buf, id, result, err);
	consume_line(c, (size_t)linelen);
	return ret;
}
