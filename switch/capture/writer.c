/* The capture writer: a thread of its own that turns what the PMDs queued
 * into each client's stream (api/capture.h) or a recorder's store, and
 * notices clients that went away.
 *
 * Per round, under cap.lock: for each session, take frames off its ring
 * while its stream buffer has room (a client that reads slowly leaves them
 * on the ring, so the PMDs count what no longer fits as lost), write what
 * the socket takes without blocking, and finish a stopped session: the
 * rest, the end record, close. Then poll the streams (a closed client end
 * shows up at once) for at most a few milliseconds.
 *
 * Runs on the capture writer thread; cap_out_*() also on the control
 * thread, always under cap.lock. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "cap.h"

#define CAP_POLL_MS      5   /* a round while captures run */
#define CAP_IDLE_MS      100 /* a round without any */
#define CAP_WRITER_FDS   (API_MAX_CAPTURES * 2)

uint64_t cap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t cap_tsc_ns(uint64_t tsc)
{
	uint64_t d = tsc - cap.tsc0;

	return cap.ns0 + (uint64_t)((unsigned __int128)d * 1000000000u / cap.tsc_hz);
}

/* Room for `need` more bytes at the end of s's stream buffer (moving what
 * is not sent yet to the front when that makes room), or NULL. */
static uint8_t *cap_out_reserve(struct cap_session *s, size_t need)
{
	if (s->ooff > 0 && s->ooff == s->olen)
		s->ooff = s->olen = 0;
	if (s->olen + need > s->ocap && s->ooff > 0) {
		memmove(s->obuf, s->obuf + s->ooff, s->olen - s->ooff);
		s->olen -= s->ooff;
		s->ooff = 0;
	}
	return s->olen + need <= s->ocap ? s->obuf + s->olen : NULL;
}

int cap_out_append(struct cap_session *s, const struct cap_rec *h, const void *a, size_t alen,
		   const void *b, size_t blen)
{
	size_t need = sizeof(*h) + alen + blen;
	uint8_t *d = cap_out_reserve(s, need);

	if (d == NULL)
		return -ENOSPC;
	memcpy(d, h, sizeof(*h));
	if (alen)
		memcpy(d + sizeof(*h), a, alen);
	if (blen)
		memcpy(d + sizeof(*h) + alen, b, blen);
	s->olen += need;
	return 0;
}

int cap_out_announce(struct cap_session *s, uint16_t port)
{
	const struct cap_portinfo *pi = &s->info[port];
	struct cap_rec_port rp;
	struct cap_rec h = {.magic = CAP_MAGIC, .type = CAP_REC_PORT, .port = port};
	char names[2 * SW_NAME_MAX];
	size_t nl = strlen(pi->name), tl = strlen(pi->net);
	int rc;

	if (s->announced[port] == pi->gen + 1)
		return 0;
	rp.vni = pi->vni;
	rp.name_len = (uint16_t)nl;
	rp.net_len = (uint16_t)tl;
	memcpy(names, pi->name, nl);
	memcpy(names + nl, pi->net, tl);
	h.len = (uint32_t)(sizeof(rp) + nl + tl);
	rc = cap_out_append(s, &h, &rp, sizeof(rp), names, nl + tl);
	if (rc == 0)
		s->announced[port] = pi->gen + 1;
	return rc;
}

/* One captured copy into the stream: its port's announcement if due, then
 * the packet record, segment by segment. 0, or -ENOSPC. */
static int cap_out_packet(struct cap_session *s, struct rte_mbuf *m)
{
	const struct cap_meta *cm = rte_mbuf_to_priv(m);
	struct cap_rec h = {.magic = CAP_MAGIC,
			    .type = CAP_REC_PACKET,
			    .port = cm->port,
			    .len = m->pkt_len,
			    .orig_len = cm->orig_len,
			    .ts_ns = cap_tsc_ns(cm->tsc),
			    .dir = cm->dir};
	uint8_t *d;

	if (cap_out_announce(s, cm->port) < 0)
		return -ENOSPC;
	d = cap_out_reserve(s, sizeof(h) + h.len);
	if (d == NULL)
		return -ENOSPC;
	memcpy(d, &h, sizeof(h));
	d += sizeof(h);
	for (const struct rte_mbuf *g = m; g; g = g->next) {
		memcpy(d, rte_pktmbuf_mtod(g, const void *), g->data_len);
		d += g->data_len;
	}
	s->olen += sizeof(h) + h.len;
	return 0;
}

/* Frames off the ring into the stream, while they fit (the rest waits on
 * the ring: when it is full, the PMDs count what does not fit as lost). */
static void cap_fill_stream(struct cap_session *s)
{
	/* the most one frame takes: its announcement and its record */
	const size_t most = sizeof(struct cap_rec) * 2 + sizeof(struct cap_rec_port) +
			    2 * SW_NAME_MAX + s->snaplen;
	struct rte_mbuf *m[SW_BURST];

	for (;;) {
		size_t room = s->ocap - (s->olen - s->ooff);
		unsigned int want = (unsigned int)(room / most), n;

		if (want == 0)
			return;
		n = rte_ring_sc_dequeue_burst(s->ring, (void **)m, want < SW_BURST ? want : SW_BURST,
					      NULL);
		if (n == 0)
			return;
		for (unsigned int i = 0; i < n; i++) {
			if (cap_out_packet(s, m[i]) < 0)
				s->wlost++; /* cannot happen with `want` frames of room */
			rte_pktmbuf_free(m[i]);
		}
	}
}

/* A recorder keeps what arrived, a bounded amount per round so that the
 * writer's other sessions (and cap.lock) never wait long. */
static void cap_fill_recorder(struct cap_session *s)
{
	struct rte_mbuf *m[SW_BURST];
	unsigned int n, total = 0;

	while (total < CAP_RING_SIZE &&
	       (n = rte_ring_sc_dequeue_burst(s->ring, (void **)m, SW_BURST, NULL)) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			cap_store(s, m[i]);
			rte_pktmbuf_free(m[i]);
		}
		total += n;
	}
}

/* Writes what the socket takes. -1 when the client is gone. A stopped
 * capture's client that keeps reading gets more time. */
static int cap_flush(struct cap_session *s, uint64_t now)
{
	while (s->ooff < s->olen) {
		ssize_t n = send(s->fd, s->obuf + s->ooff, s->olen - s->ooff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		s->ooff += (size_t)n;
		s->drain_deadline_ms = now + CAP_DRAIN_MS;
	}
	return 0;
}

enum cap_news {
	CAP_NEWS_NONE,
	CAP_NEWS_DONE, /* post cap_reap */
	CAP_NEWS_GONE, /* post cap_client_gone */
};

/* One session's round, and what the control thread must hear of. */
static enum cap_news cap_round(struct cap_session *s, uint64_t now)
{
	int state = atomic_load(&s->state);

	if (state == CAP_DONE)
		return s->reap_posted ? CAP_NEWS_NONE : CAP_NEWS_DONE;
	if (s->kind == CAP_RECORDER) {
		cap_fill_recorder(s);
		if (state == CAP_DRAINING && s->final_ready) {
			atomic_store(&s->state, CAP_DONE);
			return CAP_NEWS_DONE;
		}
		return CAP_NEWS_NONE;
	}
	if (s->fd >= 0 && !s->gone) {
		if (s->ring != NULL)
			cap_fill_stream(s);
		if (state == CAP_DRAINING && s->final_ready && !s->ended &&
		    (s->ring == NULL || rte_ring_empty(s->ring))) {
			struct cap_rec h = {.magic = CAP_MAGIC, .type = CAP_REC_END,
					    .len = sizeof(s->end)};

			s->end.lost += s->wlost;
			if (cap_out_append(s, &h, &s->end, sizeof(s->end), NULL, 0) == 0)
				s->ended = true;
			else
				s->end.lost -= s->wlost;
		}
		if (cap_flush(s, now) < 0)
			s->gone = true;
	}
	if (state == CAP_ACTIVE)
		return s->gone && !s->gone_posted ? CAP_NEWS_GONE : CAP_NEWS_NONE;
	if (!s->final_ready)
		return CAP_NEWS_NONE;
	if (s->gone || (s->ended && s->ooff == s->olen) || now > s->drain_deadline_ms) {
		if (s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
		}
		atomic_store(&s->state, CAP_DONE);
		return CAP_NEWS_DONE;
	}
	return CAP_NEWS_NONE;
}

/* Asks the control thread to run fn for session `id`; false when that
 * could not be asked now (the next round asks again). */
static bool cap_post(void (*fn)(struct sw *, void *), uint32_t id)
{
	uint32_t *a = malloc(sizeof(*a));

	if (a == NULL)
		return false;
	*a = id;
	if (ctl_post(fn, a) < 0) {
		free(a);
		return false;
	}
	return true;
}

void cap_writer_wake(void)
{
	uint64_t one = 1;

	if (cap.wake_fd >= 0 && write(cap.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		RTE_LOG(ERR, USER1, "capture: cannot wake the writer: %s\n", strerror(errno));
}

static void *cap_writer_main(void *arg)
{
	struct pollfd pfd[CAP_WRITER_FDS + 1];
	struct cap_session *ps[CAP_WRITER_FDS];

	(void)arg;
	while (!atomic_load(&cap.quit)) {
		unsigned int n = 0;
		uint64_t now = cap_now_ms();
		bool any;

		pthread_mutex_lock(&cap.lock);
		any = cap.list != NULL;
		for (struct cap_session *s = cap.list; s; s = s->next) {
			switch (cap_round(s, now)) {
			case CAP_NEWS_DONE:
				s->reap_posted = cap_post(cap_reap, s->id);
				break;
			case CAP_NEWS_GONE:
				s->gone_posted = cap_post(cap_client_gone, s->id);
				break;
			case CAP_NEWS_NONE:
				break;
			}
			if (s->fd >= 0 && !s->gone && n < CAP_WRITER_FDS) {
				pfd[n].fd = s->fd;
				pfd[n].events = (short)(POLLIN | (s->ooff < s->olen ? POLLOUT : 0));
				ps[n++] = s;
			}
		}
		pthread_mutex_unlock(&cap.lock);
		pfd[n].fd = cap.wake_fd;
		pfd[n].events = POLLIN;
		if (poll(pfd, n + 1, any ? CAP_POLL_MS : CAP_IDLE_MS) <= 0)
			continue;
		if (pfd[n].revents & POLLIN) {
			uint64_t v;

			if (read(cap.wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				RTE_LOG(ERR, USER1, "capture: writer wake-up: %s\n", strerror(errno));
		}
		pthread_mutex_lock(&cap.lock);
		for (unsigned int i = 0; i < n; i++) {
			char b[256];

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			/* a client sends nothing on its stream: readable means closed;
			 * the next round tells the control thread (the sessions stay
			 * in the list until the control thread reaps them, which only
			 * happens after the writer posted it, so ps[] is valid) */
			if ((pfd[i].revents & (POLLHUP | POLLERR)) ||
			    recv(pfd[i].fd, b, sizeof(b), MSG_DONTWAIT) == 0)
				ps[i]->gone = true;
		}
		pthread_mutex_unlock(&cap.lock);
	}
	return NULL;
}

int cap_writer_start(void)
{
	int rc;

	cap.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cap.wake_fd < 0)
		return -errno;
	rc = pthread_create(&cap.writer, NULL, cap_writer_main, NULL);
	if (rc != 0) {
		close(cap.wake_fd);
		cap.wake_fd = -1;
		return -rc;
	}
	pthread_setname_np(cap.writer, "vlab-capture");
	cap.writer_running = true;
	return 0;
}

void cap_writer_stop(void)
{
	if (!cap.writer_running)
		return;
	atomic_store(&cap.quit, true);
	cap_writer_wake();
	pthread_join(cap.writer, NULL);
	cap.writer_running = false;
	close(cap.wake_fd);
	cap.wake_fd = -1;
}
