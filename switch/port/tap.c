/* tap ports: a TAP interface the switch creates and owns through its file
 * descriptor (no ethdev). The interface exists while the port does; the host
 * sees it as an Ethernet interface named after the port (or `iface`).
 *
 * The tun driver has no batched interface for user space, so a tap port
 * costs one read() per received frame (plus one per empty poll) and one
 * write() per sent frame; af-packet ports are the fast kernel path. The
 * driver hands over complete checksums (no offloads are enabled on it).
 *
 * Threads: open/close/fill/link on the control thread; tap_rx on the PMD
 * polling the port; tap_tx on PMDs (one at a time, see txbuf.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "kif.h"
#include "port.h"

#define TAP_MAX_FRAME 65550 /* what the tun driver may hand over at most */
#define TAP_MAX_SEGS  40
#define TAP_IDLE_SKIP 8 /* polls skipped after an empty read (a read is a syscall) */

struct tap_dev {
	int fd;
	/* PMD polling the port: the tail of frames longer than one mbuf, and
	 * polls to skip after an empty read */
	uint8_t *spill;
	uint16_t skip;
	struct sw_ctr rx_nombuf;
	rte_spinlock_t txlock[1];
};

static uint16_t tap_rx(const struct dp_port *p, struct rte_mempool *mp, struct rte_mbuf **pkts,
		       uint16_t n)
{
	struct tap_dev *d = p->dev;
	uint16_t got = 0;

	if (d->skip > 0) {
		d->skip--;
		return 0;
	}
	while (got < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		struct iovec iov[2];
		uint16_t room;
		ssize_t r;

		if (unlikely(m == NULL))
			break; /* the frame waits in the driver's queue */
		room = rte_pktmbuf_tailroom(m);
		iov[0].iov_base = rte_pktmbuf_mtod(m, void *);
		iov[0].iov_len = room;
		iov[1].iov_base = d->spill;
		iov[1].iov_len = TAP_MAX_FRAME;
		r = readv(d->fd, iov, 2);
		if (r <= 0) {
			rte_pktmbuf_free(m);
			if (got == 0)
				d->skip = TAP_IDLE_SKIP;
			break;
		}
		if (r <= room) {
			m->data_len = (uint16_t)r;
			m->pkt_len = (uint32_t)r;
		} else {
			m->data_len = room;
			m->pkt_len = room;
			if (kif_copy_in(mp, m, d->spill, (uint32_t)(r - room)) < 0) {
				rte_pktmbuf_free(m);
				ctr_add(&d->rx_nombuf, 1);
				continue;
			}
		}
		pkts[got++] = m;
	}
	return got;
}

static uint16_t tap_tx(const struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	const struct tap_dev *d = p->dev;
	uint16_t sent = 0;

	n = kif_sendable(pkts, n, TAP_MAX_SEGS); /* the rest: tx_failed */
	while (sent < n) {
		struct iovec iov[TAP_MAX_SEGS];
		size_t k = kif_iov(pkts[sent], iov, TAP_MAX_SEGS);

		if (writev(d->fd, iov, (int)k) < 0)
			break;
		sent++;
	}
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

static int tap_open(struct sw *sw, uint16_t slot, struct api_err *err)
{
	struct sw_port *sp = &sw->port[slot];
	struct ifreq ifr = {0};
	struct tap_dev *d;
	const char *what;
	int e;

	d = rte_zmalloc("tap_dev", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d != NULL) {
		d->fd = -1;
		d->spill = rte_malloc("tap_spill", TAP_MAX_FRAME, 0);
	}
	if (d == NULL || d->spill == NULL) {
		if (d != NULL)
			rte_free(d);
		return api_fail(err, -ENOMEM, "port \"%s\": out of memory", sp->conf.name);
	}
	rte_spinlock_init(&d->txlock[0]);
	what = "open /dev/net/tun";
	d->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->fd < 0)
		goto fail;
	what = "create the tap interface";
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", sp->conf.iface);
	if (ioctl(d->fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	what = "bring the tap interface up";
	e = kif_set_up(sp->conf.iface, true);
	if (e < 0) {
		errno = -e;
		goto fail;
	}
	sp->dev = d;
	return 0;

fail:
	e = errno;
	if (d->fd >= 0)
		close(d->fd);
	rte_free(d->spill);
	rte_free(d);
	return api_fail(err, -e, "port \"%s\": cannot %s %s: %s", sp->conf.name, what,
			sp->conf.iface, strerror(e));
}

static void tap_close(struct sw *sw, uint16_t slot)
{
	struct tap_dev *d = (struct tap_dev *)sw->port[slot].dev;

	if (d == NULL)
		return;
	close(d->fd); /* the interface goes with it */
	rte_free(d->spill);
	rte_free(d);
}

static void tap_fill(const struct sw *sw, const struct sw_port *sp, struct dp_port *dpp)
{
	static const uint16_t queue0[1] = {0};
	struct tap_dev *d = (struct tap_dev *)sp->dev;

	dpp->rx = tap_rx;
	dpp->tx = tap_tx;
	dpp->dev = d;
	dpp->handle = d->fd;
	dpp->rxq_mask = 1;
	port_assign_txq(sw, dpp, 1, queue0, d->txlock);
}

/* The kernel side of a tap is there as long as the switch holds the
 * descriptor, also after the interface moved to another namespace. */
static const char *tap_link(const struct sw_port *sp)
{
	return "connected";
}

static void tap_dev_drops(struct sw_port *sp, uint64_t *drops)
{
	const struct tap_dev *d = (const struct tap_dev *)sp->dev;

	drops[API_DROP_RX_NOMBUF] += ctr_get(&d->rx_nombuf);
}

const struct port_ops port_tap_ops = {
	.type = "tap",
	.open = tap_open,
	.close = tap_close,
	.fill = tap_fill,
	.link = tap_link,
	.dev_drops = tap_dev_drops,
};
