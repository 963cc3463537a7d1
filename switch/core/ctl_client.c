/* One client of the control socket: its input and output buffers, request
 * framing (one JSON line per request), and the rules that keep one client
 * from hurting the others:
 *  - a turn serves at most CTL_TURN_LINES requests and reads at most once,
 *    so every client gets its turn within milliseconds whatever one sends;
 *  - replies go out as they are made; while more than CTL_OUT_HIGH bytes of
 *    them wait unsent, the client is not read (back-pressure), never dropped
 *    for pipelining;
 *  - a line longer than API_MAX_LINE gets an error and the connection is
 *    closed, however its bytes arrive.
 *
 * Runs on the control thread. */
#include "ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTL_TURN_LINES 32          /* requests served per client per turn */
#define CTL_READ_CHUNK 65536       /* bytes read per turn */
#define CTL_OUT_HIGH   (256 << 10) /* unsent reply bytes above which reading stops */
#define CTL_PASS_MAX   8           /* descriptors waiting to go with replies */

struct ctl_client {
	int fd;
	uint64_t tag;     /* epoll data */
	char *in;         /* bytes received, not handled yet: in[in_off..in_len) */
	size_t in_off, in_len, in_cap;
	size_t in_scanned; /* bytes from in_off known to hold no newline */
	char *out;        /* reply bytes not sent yet: out[out_off..out_len) */
	size_t out_off, out_len, out_cap;
	bool eof;         /* the peer is done sending */
	bool closing;     /* close once the replies are out */
	uint32_t events;  /* what epoll watches now */
	uint64_t last_ms; /* last request or reply */
	/* descriptors to pass with replies: pass_fd[i] goes with the byte at
	 * out offset pass_off[i] (the reply's first byte) */
	int pass_fd[CTL_PASS_MAX];
	size_t pass_off[CTL_PASS_MAX];
	unsigned int n_pass;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ctl_client *ctl_client_new(int fd, uint64_t tag)
{
	struct ctl_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->tag = tag;
	c->events = EPOLLIN;
	c->last_ms = now_ms();
	return c;
}

void ctl_client_free(struct ctl_client *c, int epfd)
{
	if (c == NULL)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (unsigned int i = 0; i < c->n_pass; i++)
		close(c->pass_fd[i]);
	free(c->in);
	free(c->out);
	free(c);
}

uint64_t ctl_client_tag(const struct ctl_client *c)
{
	return c->tag;
}

uint64_t ctl_client_quiet_ms(const struct ctl_client *c)
{
	return now_ms() - c->last_ms;
}

/* Makes room for `n` more bytes at the end of a buffer. */
static int grow(char **buf, size_t *cap, size_t len, size_t n)
{
	size_t want = len + n, nc = *cap ? *cap : 4096;
	char *b;

	if (want <= *cap)
		return 0;
	while (nc < want)
		nc *= 2;
	b = realloc(*buf, nc);
	if (b == NULL)
		return -ENOMEM;
	*buf = b;
	*cap = nc;
	return 0;
}

/* Appends a reply line (freeing it). -ENOMEM when there is no memory. */
static int queue(struct ctl_client *c, char *line)
{
	size_t n;

	if (line == NULL)
		return -ENOMEM;
	n = strlen(line);
	if (n == 0) {
		free(line);
		return 0;
	}
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (grow(&c->out, &c->out_cap, c->out_len, n) < 0) {
		free(line);
		return -ENOMEM;
	}
	memcpy(c->out + c->out_len, line, n);
	c->out_len += n;
	free(line);
	return 0;
}

/* Sends bytes from out_off, at most up to the next descriptor to pass and
 * with it when it goes with the first of them. */
static ssize_t send_some(struct ctl_client *c)
{
	size_t end = c->out_len;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (c->n_pass > 0 && c->pass_off[0] > c->out_off)
		end = c->pass_off[0];
	else if (c->n_pass > 1)
		end = c->pass_off[1];
	iov.iov_base = c->out + c->out_off;
	iov.iov_len = end - c->out_off;
	if (c->n_pass > 0 && c->pass_off[0] == c->out_off) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c->pass_fd[0], sizeof(int));
	}
	n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0 && msg.msg_control != NULL) { /* passed: the client has its copy */
		close(c->pass_fd[0]);
		c->n_pass--;
		memmove(c->pass_fd, c->pass_fd + 1, c->n_pass * sizeof(int));
		memmove(c->pass_off, c->pass_off + 1, c->n_pass * sizeof(size_t));
	}
	return n;
}

/* Sends what the socket takes. -1 when the client is gone. */
static int flush(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send_some(c);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->out_off += (size_t)n;
		c->last_ms = now_ms();
	}
	c->out_off = c->out_len = 0;
	return 0;
}

/* Reads once. 0, or -1 when the client is gone. */
static int fill(struct ctl_client *c)
{
	ssize_t n;

	if (c->in_off > 0) { /* keep the buffer from creeping */
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (grow(&c->in, &c->in_cap, c->in_len, CTL_READ_CHUNK) < 0)
		return -1;
	do
		n = recv(c->fd, c->in + c->in_len, CTL_READ_CHUNK, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		c->eof = true;
	else if (n > 0)
		c->in_len += (size_t)n;
	else if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	return 0;
}

/* The next complete line (without its newline) of the input, or NULL. A
 * line too long to be a request closes the connection after an error. */
static const char *next_line(struct ctl_client *c, size_t *len)
{
	size_t avail = c->in_len - c->in_off, n;
	const char *start, *nl;

	if (avail == 0) /* c->in may not be allocated yet */
		return NULL;
	start = c->in + c->in_off;
	/* only what came since the last look: a long line is scanned once */
	nl = memchr(start + c->in_scanned, '\n', avail - c->in_scanned);
	n = nl ? (size_t)(nl - start) : avail;
	c->in_scanned = nl ? 0 : avail;

	if (n > API_MAX_LINE) {
		struct api_err err;

		api_fail(&err, API_ERR_REQUEST, "request longer than %d bytes; closing the "
			 "connection", API_MAX_LINE);
		queue(c, api_encode_error(NULL, &err));
		c->closing = true;
		c->in_off = c->in_len = c->in_scanned = 0;
		return NULL;
	}
	if (nl == NULL)
		return NULL;
	*len = n;
	c->in_off += n + 1;
	return start;
}

static void watch(struct ctl_client *c, int epfd)
{
	uint32_t ev = 0;

	/* read while there is room for replies and nothing is left to handle */
	if (!c->eof && !c->closing && c->out_len - c->out_off <= CTL_OUT_HIGH)
		ev |= EPOLLIN;
	if (c->out_off < c->out_len)
		ev |= EPOLLOUT;
	if (ev != c->events) {
		struct epoll_event e = {.events = ev, .data.u64 = c->tag};

		if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
			c->events = ev;
	}
}

int ctl_client_turn(struct sw *sw, struct ctl_client *c, int epfd, bool *more)
{
	bool did_read = false;
	int served = 0;

	*more = false;
	if (flush(c) < 0)
		return -1;
	while (!c->closing) {
		const char *line;
		size_t len;

		if (c->out_len - c->out_off > CTL_OUT_HIGH)
			break; /* back-pressure: the client must read first */
		if (served == CTL_TURN_LINES) {
			*more = true; /* the others first */
			break;
		}
		line = next_line(c, &len);
		if (line != NULL) {
			char *reply = ctl_handle_line(sw, line, len);
			size_t rlen = reply ? strlen(reply) : 0;
			int fd;

			if (queue(c, reply) < 0) {
				close(ctl_take_passed_fd());
				return -1;
			}
			fd = ctl_take_passed_fd();
			if (fd >= 0 && rlen > 0 && c->n_pass < CTL_PASS_MAX) {
				c->pass_fd[c->n_pass] = fd; /* with the reply's first byte */
				c->pass_off[c->n_pass++] = c->out_len - rlen;
			} else if (fd >= 0) {
				close(fd); /* the client's stream ends at once */
			}
			served++;
			c->last_ms = now_ms();
			continue;
		}
		if (did_read || c->eof || c->closing)
			break;
		if (fill(c) < 0)
			return -1;
		did_read = true;
	}
	/* replies only go out once their changes are in the state file */
	ctl_save_changes(sw);
	if (flush(c) < 0)
		return -1;
	if ((c->closing || c->eof) && c->out_off == c->out_len) {
		size_t len;

		/* at the end of input, what is left is either served next turn or
		 * an incomplete last line */
		if (c->closing || next_line(c, &len) == NULL)
			return -1;
		c->in_off -= len + 1; /* a complete line: serve it next turn */
		*more = true;
	}
	watch(c, epfd);
	return 0;
}
