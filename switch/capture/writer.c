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

int cap_out_append(struct cap_session *s, const struct cap_rec *h, const void *a, size_t alen,
		   const void *b, size_t blen)
{
	size_t need = sizeof(*h) + alen + blen;

	if (s->ooff > 0 && s->ooff == s->olen)
		s->ooff = s->olen = 0;
	if (s->olen + need > s->ocap && s->ooff > 0) { /* move the unsent part to the front */
		memmove(s->obuf, s->obuf + s->ooff, s->olen - s->ooff);
		s->olen -= s->ooff;
		s->ooff = 0;
	}
	if (s->olen + need > s->ocap)
		return -ENOSPC;
	memcpy(s->obuf + s->olen, h, sizeof(*h));
	if (alen)
		memcpy(s->obuf + s->olen + sizeof(*h), a, alen);
	if (blen)
		memcpy(s->obuf + s->olen + sizeof(*h) + alen, b, blen);
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

/* Frames off the ring into the stream, while they fit. */
static void cap_fill_stream(struct cap_session *s)
{
	struct rte_mbuf *m[SW_BURST];
	uint8_t tmp[2048];

	for (;;) {
		/* room for a burst of whole frames and their announcements */
		size_t room = s->ocap - (s->olen - s->ooff);
		unsigned int want = (unsigned int)(room / (sizeof(struct cap_rec) * 2 +
							   sizeof(struct cap_rec_port) +
							   2 * SW_NAME_MAX + s->snaplen));
		unsigned int n;

		if (want == 0)
			return;
		n = rte_ring_sc_dequeue_burst(s->ring, (void **)m, want < SW_BURST ? want : (unsigned int)SW_BURST, NULL);
		if (n == 0)
			return;
		for (unsigned int i = 0; i < n; i++) {
			const struct cap_meta *cm = rte_mbuf_to_priv(m[i]);
			uint32_t len = m[i]->pkt_len;
			struct cap_rec h = {.magic = CAP_MAGIC,
					    .type = CAP_REC_PACKET,
					    .port = cm->port,
					    .len = len,
					    .orig_len = cm->orig_len,
					    .ts_ns = cap_tsc_ns(cm->tsc),
					    .dir = cm->dir};
			const void *data = m[i]->nb_segs == 1 || len > sizeof(tmp)
					       ? rte_pktmbuf_mtod(m[i], const void *)
					       : rte_pktmbuf_read(m[i], 0, len, tmp);

			if (m[i]->nb_segs > 1 && len > sizeof(tmp)) {
				/* a long chained copy: segment by segment */
				cap_out_announce(s, cm->port);
				h.len = len;
				if (cap_out_append(s, &h, NULL, 0, NULL, 0) == 0)
					for (struct rte_mbuf *g = m[i]; g; g = g->next) {
						memcpy(s->obuf + s->olen, rte_pktmbuf_mtod(g, void *),
						       g->data_len);
						s->olen += g->data_len;
					}
			} else {
				cap_out_announce(s, cm->port);
				cap_out_append(s, &h, data, len, NULL, 0);
			}
			rte_pktmbuf_free(m[i]);
		}
	}
}

static void cap_fill_recorder(struct cap_session *s)
{
	struct rte_mbuf *m[SW_BURST];
	unsigned int n;

	while ((n = rte_ring_sc_dequeue_burst(s->ring, (void **)m, SW_BURST, NULL)) > 0)
		for (unsigned int i = 0; i < n; i++) {
			cap_store(s, m[i]);
			rte_pktmbuf_free(m[i]);
		}
}

/* Writes what the socket takes. -1 when the client is gone. */
static int cap_flush(struct cap_session *s)
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
	}
	return 0;
}

/* One session's round; true when it just became CAP_DONE. */
static bool cap_round(struct cap_session *s, uint64_t now)
{
	int state = atomic_load(&s->state);

	if (state == CAP_DONE)
		return false;
	if (s->kind == CAP_RECORDER) {
		cap_fill_recorder(s);
		if (state == CAP_DRAINING && s->final_ready) {
			atomic_store(&s->state, CAP_DONE);
			return true;
		}
		return false;
	}
	if (s->fd >= 0 && !s->gone) {
		if (s->ring != NULL)
			cap_fill_stream(s);
		if (state == CAP_DRAINING && s->final_ready && !s->ended &&
		    (s->ring == NULL || rte_ring_empty(s->ring))) {
			struct cap_rec h = {.magic = CAP_MAGIC, .type = CAP_REC_END,
					    .len = sizeof(s->end)};

			if (cap_out_append(s, &h, &s->end, sizeof(s->end), NULL, 0) == 0)
				s->ended = true;
		}
		if (cap_flush(s) < 0)
			s->gone = true;
	}
	if (state != CAP_DRAINING || !s->final_ready)
		return false;
	if (s->gone || (s->ended && s->ooff == s->olen) || now > s->drain_deadline_ms) {
		if (s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
		}
		atomic_store(&s->state, CAP_DONE);
		return true;
	}
	return false;
}

/* Asks the control thread to run fn for session `id`. */
static void cap_post(void (*fn)(struct sw *, void *), uint32_t id)
{
	uint32_t *a = malloc(sizeof(*a));

	if (a == NULL)
		return; /* the next round tries again: the state stays */
	*a = id;
	if (ctl_post(fn, a) < 0)
		free(a);
}

static void *cap_writer_main(void *arg)
{
	struct pollfd pfd[CAP_WRITER_FDS];
	uint32_t ids[CAP_WRITER_FDS], done[CAP_WRITER_FDS], gone[CAP_WRITER_FDS];

	(void)arg;
	while (!atomic_load(&cap.quit)) {
		unsigned int n = 0, nd = 0, ng = 0;
		uint64_t now = cap_now_ms();
		bool any;

		pthread_mutex_lock(&cap.lock);
		any = cap.list != NULL;
		for (struct cap_session *s = cap.list; s; s = s->next) {
			if (cap_round(s, now) && nd < CAP_WRITER_FDS)
				done[nd++] = s->id;
			if (s->fd >= 0 && n < CAP_WRITER_FDS) {
				pfd[n].fd = s->fd;
				pfd[n].events = (short)(POLLIN | (s->ooff < s->olen ? POLLOUT : 0));
				ids[n++] = s->id;
			}
		}
		pthread_mutex_unlock(&cap.lock);
		for (unsigned int i = 0; i < nd; i++)
			cap_post(cap_reap, done[i]);
		if (poll(pfd, n, any ? CAP_POLL_MS : CAP_IDLE_MS) <= 0)
			continue;
		for (unsigned int i = 0; i < n; i++) {
			char b[256];

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			/* a client sends nothing on its stream: readable means closed */
			if ((pfd[i].revents & (POLLHUP | POLLERR)) ||
			    recv(pfd[i].fd, b, sizeof(b), MSG_DONTWAIT) == 0)
				gone[ng++] = ids[i];
		}
		if (ng == 0)
			continue;
		pthread_mutex_lock(&cap.lock);
		for (struct cap_session *s = cap.list; s; s = s->next)
			for (unsigned int i = 0; i < ng; i++)
				if (s->id == gone[i] && !s->gone) {
					s->gone = true;
					cap_post(cap_client_gone, s->id);
				}
		pthread_mutex_unlock(&cap.lock);
	}
	return NULL;
}

int cap_writer_start(void)
{
	int rc = pthread_create(&cap.writer, NULL, cap_writer_main, NULL);

	if (rc != 0)
		return -rc;
	pthread_setname_np(cap.writer, "vlab-capture");
	cap.writer_running = true;
	return 0;
}

void cap_writer_stop(void)
{
	if (!cap.writer_running)
		return;
	atomic_store(&cap.quit, true);
	pthread_join(cap.writer, NULL);
	cap.writer_running = false;
}
