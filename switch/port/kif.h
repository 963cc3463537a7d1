/* Helpers shared by the kernel-interface ports (afpacket.c, tap.c): copying
 * a frame into a chain of mbufs, describing an mbuf as an iovec, and the few
 * interface ioctls they need (MTU, up, running).
 *
 * The copy/iovec helpers run on PMD lcores (no syscalls); the ioctl helpers
 * on the control thread. */
#ifndef VLAB_KIF_H
#define VLAB_KIF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <rte_mbuf.h>

/* Appends `len` bytes to `m`, chaining new segments from `mp` when the last
 * one is full. 0, or -ENOMEM (m keeps what was appended). */
static inline int kif_copy_in(struct rte_mempool *mp, struct rte_mbuf *m, const uint8_t *p,
			      uint32_t len)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	while (len > 0) {
		uint16_t room = rte_pktmbuf_tailroom(last);
		uint32_t k;

		if (room == 0) {
			struct rte_mbuf *s = rte_pktmbuf_alloc(mp);

			if (s == NULL || rte_pktmbuf_chain(m, s) < 0) {
				rte_pktmbuf_free(s);
				return -ENOMEM;
			}
			last = s;
			continue;
		}
		k = len < room ? len : room;
		memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), p, k);
		last->data_len = (uint16_t)(last->data_len + k);
		m->pkt_len += k;
		p += k;
		len -= k;
	}
	return 0;
}

/* Fills iov[] with the segments of `m`; returns how many (at most max:
 * callers first keep longer chains out with kif_sendable()). */
static inline size_t kif_iov(const struct rte_mbuf *m, struct iovec *iov, size_t max)
{
	size_t n = 0;

	for (; m != NULL && n < max; m = m->next, n++) {
		iov[n].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[n].iov_len = m->data_len;
	}
	return n;
}

/* Moves the packets of more than `max_segs` segments behind the others
 * (they cannot be described to the kernel whole); returns how many come
 * first, those that can. */
static inline uint16_t kif_sendable(struct rte_mbuf **pkts, uint16_t n, uint16_t max_segs)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++)
		if (pkts[i]->nb_segs <= max_segs) {
			struct rte_mbuf *t = pkts[k];

			pkts[k++] = pkts[i];
			pkts[i] = t;
		}
	return k;
}

/* Swaps packets i and j with their messages. */
static inline void kif_swap(struct rte_mbuf **pkts, struct mmsghdr *msg, uint16_t i, uint16_t j)
{
	struct rte_mbuf *tm = pkts[i];
	struct mmsghdr th = msg[i];

	pkts[i] = pkts[j];
	pkts[j] = tm;
	msg[i] = msg[j];
	msg[j] = th;
}

/* Control thread: the MTU of `ifname`, or -errno. */
int kif_mtu(const char *ifname);
/* Control thread: sets IFF_UP (or clears it). 0 or -errno. */
int kif_set_up(const char *ifname, bool up);
/* Control thread: whether `ifname` exists and is up (carrier or not: a veth
 * whose peer is down still takes frames). */
bool kif_is_up(const char *ifname);

#endif
