/* Control thread: Unix socket server, request dispatch and periodic tick.
 *
 * Runs on the main lcore: one epoll loop over the listening socket, the
 * clients, and a signalfd for SIGINT/SIGTERM. Sockets are non-blocking; every
 * client has bounded input and output buffers, so a client that sends garbage,
 * never finishes a line, or never reads cannot stall the switch or others. */
#include "ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "state.h"

#define CTL_MAX_CLIENTS 64
#define CTL_MAX_OUT     (1 << 20)
#define CTL_TICK_MS     100
#define CTL_AGE_PASSES  50 /* ticks per full FDB aging pass */

struct ctl_client {
	int fd;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len;
	bool closing; /* close once the output is flushed */
};

static struct {
	int lfd;
	int epfd;
	int sfd;
	char path[108];
	struct ctl_client *cl[CTL_MAX_CLIENTS];
} ctl = {.lfd = -1, .epfd = -1, .sfd = -1};

static const struct ctl_method ctl_version_methods[];

static const struct ctl_method *const ctl_tables[] = {
	ctl_version_methods,
	network_methods,
	port_methods,
	stats_methods,
};

static int ctl_version(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	static const char *const keys[] = {NULL};

	if (api_check_keys(params, keys, err))
		return err->code;
	*result = json_pack("{s:s,s:s,s:i}", "name", "vlab-switchd", "version", VLAB_VERSION,
			    "api", API_VERSION);
	return 0;
}

static const struct ctl_method ctl_version_methods[] = {
	{"version", ctl_version, false},
	{NULL, NULL, false},
};

static const struct ctl_method *ctl_find(const char *name)
{
	for (size_t t = 0; t < sizeof(ctl_tables) / sizeof(ctl_tables[0]); t++)
		for (const struct ctl_method *m = ctl_tables[t]; m->name != NULL; m++)
			if (strcmp(m->name, name) == 0)
				return m;
	return NULL;
}

int ctl_call(struct sw *sw, const char *method, json_t *params, json_t **result,
	     struct api_err *err)
{
	const struct ctl_method *m = ctl_find(method);
	int rc;

	*result = NULL;
	if (m == NULL)
		return api_fail(err, API_ERR_METHOD,
				"unknown method \"%.64s\" (see docs/switch-api.md)", method);
	rc = m->fn(sw, params, result, err);
	if (rc == 0 && *result == NULL)
		*result = json_object();
	if (rc == 0 && m->saves && !sw->restoring) {
		int src = state_save(sw);

		if (src < 0)
			RTE_LOG(ERR, USER1, "cannot write state file %s: %s\n",
				sw->opts.state_path, strerror(-src));
	}
	return rc;
}

static void ctl_client_free(struct ctl_client *c)
{
	if (c == NULL)
		return;
	epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void ctl_drop(int slot)
{
	ctl_client_free(ctl.cl[slot]);
	ctl.cl[slot] = NULL;
}

static void ctl_want_out(struct ctl_client *c, bool on)
{
	/* a closing client is only written to */
	struct epoll_event ev = {.events = (c->closing ? 0 : EPOLLIN) | (on ? EPOLLOUT : 0),
				 .data.fd = c->fd};

	epoll_ctl(ctl.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what it can; returns -1 when the client must be dropped. */
static int ctl_flush(struct ctl_client *c)
{
	while (c->out_len > 0) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ctl_want_out(c, true);
				return 0;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	ctl_want_out(c, false);
	return c->closing ? -1 : 0;
}

static int ctl_queue(struct ctl_client *c, char *line)
{
	size_t n;
	char *o;

	if (line == NULL)
		return -1;
	n = strlen(line);
	if (c->out_len + n > CTL_MAX_OUT) {
		free(line);
		return -1; /* the client does not read its responses */
	}
	o = realloc(c->out, c->out_len + n);
	if (o == NULL) {
		free(line);
		return -1;
	}
	memcpy(o + c->out_len, line, n);
	c->out = o;
	c->out_len += n;
	free(line);
	return 0;
}

static int ctl_handle_line(struct sw *sw, struct ctl_client *c, const char *line, size_t len)
{
	struct api_req req;
	struct api_err err = {0};
	json_t *result = NULL;
	int rc;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0; /* blank lines are ignored */
	rc = api_parse(line, len, &req, &err);
	if (rc == 0)
		rc = ctl_call(sw, req.method, req.params, &result, &err);
	if (rc == 0)
		rc = ctl_queue(c, api_encode_result(req.id, result));
	else
		rc = ctl_queue(c, api_encode_error(req.id, &err));
	api_req_free(&req);
	return rc;
}

/* Reads and serves; returns -1 when the client must be dropped. */
static int ctl_read(struct sw *sw, struct ctl_client *c)
{
	char buf[16384];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t start = 0;

		if (n == 0) {
			if (c->out_len == 0)
				return -1;
			/* the peer is done sending: stop reading (an EOF stays
			 * readable) and close once its replies are out */
			c->closing = true;
			return ctl_flush(c);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (c->closing)
			continue;
		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			if (c->in_len > 0) {
				char *in = realloc(c->in, c->in_len + (i - start));

				if (in == NULL)
					return -1;
				memcpy(in + c->in_len, buf + start, i - start);
				c->in = in;
				if (ctl_handle_line(sw, c, c->in, c->in_len + (i - start)) < 0)
					return -1;
				c->in_len = 0;
			} else if (ctl_handle_line(sw, c, buf + start, i - start) < 0) {
				return -1;
			}
			start = i + 1;
		}
		if (start < (size_t)n) {
			size_t rest = (size_t)n - start;
			char *in;

			if (c->in_len + rest > API_MAX_LINE) {
				struct api_err err;

				api_fail(&err, API_ERR_REQUEST,
					 "request longer than %d bytes; closing the connection",
					 API_MAX_LINE);
				c->closing = true;
				c->in_len = 0;
				if (ctl_queue(c, api_encode_error(NULL, &err)) < 0)
					return -1;
				break;
			}
			in = realloc(c->in, c->in_len + rest);
			if (in == NULL)
				return -1;
			memcpy(in + c->in_len, buf + start, rest);
			c->in = in;
			c->in_len += rest;
		}
	}
	return ctl_flush(c);
}

static void ctl_accept(void)
{
	for (;;) {
		int fd = accept4(ctl.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};
		struct ctl_client *c;
		int slot = -1;

		if (fd < 0)
			return;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++)
			if (ctl.cl[i] == NULL) {
				slot = i;
				break;
			}
		c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (c == NULL) {
			static const char busy[] =
				"{\"id\":null,\"error\":{\"code\":-16,\"message\":\"too many "
				"clients\"}}\n";

			send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.fd = fd;
		if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		ctl.cl[slot] = c;
	}
}

int ctl_listen(struct sw *sw, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);

	ctl.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl.lfd < 0)
		return -errno;
	unlink(path);
	if (bind(ctl.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(ctl.lfd, 64) < 0) {
		rc = -errno;
		goto out_close;
	}
	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl.epfd < 0) {
		rc = -errno;
		goto out_close;
	}
	ev.data.fd = ctl.lfd;
	epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.lfd, &ev);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	ctl.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (ctl.sfd >= 0) {
		ev.data.fd = ctl.sfd;
		epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.sfd, &ev);
	}
	return 0;

out_close:
	close(ctl.lfd);
	ctl.lfd = -1;
	return rc;
}

static uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ctl_tick(struct sw *sw, uint64_t start_ms)
{
	uint32_t now = (uint32_t)((ctl_now_ms() - start_ms) / 1000);
	uint32_t slots = fdb_capacity(sw->fdb) * 2 / CTL_AGE_PASSES + 1;

	atomic_store_explicit(&sw->now, now, memory_order_relaxed);
	fdb_age(sw->fdb, now, sw->opts.aging_time, slots);
}

int ctl_run(struct sw *sw)
{
	uint64_t start = ctl_now_ms() - 1000, next_tick = 0;

	while (!sw->quit) {
		struct epoll_event evs[32];
		uint64_t t = ctl_now_ms();
		int n;

		if (t >= next_tick) {
			ctl_tick(sw, start);
			next_tick = t + CTL_TICK_MS;
		}
		n = epoll_wait(ctl.epfd, evs, 32, (int)(next_tick - t));
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ctl.lfd) {
				ctl_accept();
				continue;
			}
			if (fd == ctl.sfd) {
				struct signalfd_siginfo si;

				while (read(ctl.sfd, &si, sizeof(si)) == sizeof(si))
					RTE_LOG(NOTICE, USER1, "signal %u: shutting down\n",
						si.ssi_signo);
				sw->quit = true;
				continue;
			}
			for (int s = 0; s < CTL_MAX_CLIENTS; s++) {
				struct ctl_client *c = ctl.cl[s];
				int rc = 0;

				if (c == NULL || c->fd != fd)
					continue;
				if (evs[i].events & (EPOLLERR | EPOLLHUP))
					rc = c->out_len && !(evs[i].events & EPOLLERR) ? 0 : -1;
				if (rc == 0 && (evs[i].events & EPOLLOUT))
					rc = ctl_flush(c);
				if (rc == 0 && (evs[i].events & (EPOLLIN | EPOLLHUP)))
					rc = ctl_read(sw, c);
				if (rc < 0)
					ctl_drop(s);
				break;
			}
		}
	}
	return 0;
}

void ctl_close(void)
{
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl.cl[i] != NULL)
			ctl_drop(i);
	if (ctl.sfd >= 0)
		close(ctl.sfd);
	if (ctl.epfd >= 0)
		close(ctl.epfd);
	if (ctl.lfd >= 0) {
		close(ctl.lfd);
		unlink(ctl.path);
	}
	ctl.sfd = ctl.epfd = ctl.lfd = -1;
}
