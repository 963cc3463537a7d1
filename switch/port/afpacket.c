/* af-packet ports: an existing kernel interface (a namespace host's veth,
 * say) on an AF_PACKET socket the switch owns, without an ethdev.
 *
 * Receive: a PACKET_MMAP ring (TPACKET_V2) the kernel fills; the PMD reads
 * frame status words, so receiving needs no syscall. Frames with a partial
 * checksum (TP_STATUS_CSUMNOTREADY: the sender's checksum offload) get their
 * TCP/UDP checksum completed; a VLAN tag the kernel took off is put back;
 * frames longer than a ring slot (GSO from the peer) are dropped and counted.
 * Send: one sendmmsg() per burst; the kernel copies the frames.
 *
 * Threads: open/close/fill/link/dev_drops run on the control thread;
 * afp_rx on the PMD polling the port, afp_tx on PMDs (one at a time per
 * queue, see txbuf.h). */
#include <errno.h>
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "csum.h"
#include "kif.h"
#include "port.h"

#define AFP_RX_FRAMES 128 /* receive ring slots */
#define AFP_MIN_FRAME 2048
#define AFP_MAX_SEGS  40 /* segments of a frame sent as is (64 KB of 2 KB buffers) */
#define AFP_SNDBUF    (1 << 20)

struct afp_dev {
	int fd;
	int ifindex;
	uint8_t *ring;
	size_t ring_len;
	uint32_t frame_size;
	uint32_t block_size;
	uint32_t per_block; /* frames per block */
	uint32_t n_frames;
	uint32_t max_len; /* longest frame a slot holds */
	/* PMD polling the port */
	uint32_t rx_next;
	struct sw_ctr rx_truncated;
	struct sw_ctr rx_nombuf;
	/* control thread */
	uint64_t kernel_drops; /* PACKET_STATISTICS so far (it resets on read) */
	rte_spinlock_t txlock[1];
};

/* Frame i of the ring: frames do not cross blocks, so a block may end with
 * unused bytes when it is not a multiple of the frame size (jumbo MTUs). */
static inline struct tpacket2_hdr *afp_frame(const struct afp_dev *d, uint32_t i)
{
	return (struct tpacket2_hdr *)(d->ring + (size_t)(i / d->per_block) * d->block_size +
				       (size_t)(i % d->per_block) * d->frame_size);
}

/* ---- datapath ---- */

static uint16_t afp_rx(const struct dp_port *p, struct rte_mempool *mp, struct rte_mbuf **pkts,
		       uint16_t n)
{
	struct afp_dev *d = p->dev;
	uint16_t got = 0;

	while (got < n) {
		struct tpacket2_hdr *h = afp_frame(d, d->rx_next);
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		uint8_t *data = (uint8_t *)h + h->tp_mac;
		uint32_t len = h->tp_snaplen;
		struct rte_mbuf *m;

		if (!(st & TP_STATUS_USER))
			break;
		if (unlikely(h->tp_len != h->tp_snaplen)) {
			ctr_add(&d->rx_truncated, 1);
			goto next;
		}
		m = rte_pktmbuf_alloc(mp);
		if (unlikely(m == NULL))
			break; /* the frame stays: if the ring fills, the kernel counts */
		if (st & TP_STATUS_CSUMNOTREADY)
			csum_complete(data, len);
		if (st & TP_STATUS_VLAN_VALID) {
			uint16_t tpid = (st & TP_STATUS_VLAN_TPID_VALID) && h->tp_vlan_tpid
						? h->tp_vlan_tpid
						: ETH_P_8021Q;
			uint8_t tag[4] = {tpid >> 8, tpid & 0xff, h->tp_vlan_tci >> 8,
					  h->tp_vlan_tci & 0xff};

			if (len < 12 || kif_copy_in(mp, m, data, 12) < 0 ||
			    kif_copy_in(mp, m, tag, 4) < 0 ||
			    kif_copy_in(mp, m, data + 12, len - 12) < 0)
				goto nomem;
		} else if (kif_copy_in(mp, m, data, len) < 0) {
			goto nomem;
		}
		pkts[got++] = m;
		goto next;
nomem:
		rte_pktmbuf_free(m);
		ctr_add(&d->rx_nombuf, 1);
next:
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		if (++d->rx_next == d->n_frames)
			d->rx_next = 0;
	}
	return got;
}

static uint16_t afp_tx(const struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	const struct afp_dev *d = p->dev;
	struct mmsghdr msg[SW_BURST];
	struct iovec iov[SW_BURST][AFP_MAX_SEGS];
	uint16_t sent = 0, end = kif_sendable(pkts, n, AFP_MAX_SEGS); /* the rest: tx_failed */

	for (uint16_t i = 0; i < end; i++) {
		msg[i] = (struct mmsghdr){0};
		msg[i].msg_hdr.msg_iov = iov[i];
		msg[i].msg_hdr.msg_iovlen = kif_iov(pkts[i], iov[i], AFP_MAX_SEGS);
	}
	while (sent < end) {
		int r = sendmmsg(d->fd, msg + sent, end - sent, MSG_DONTWAIT);

		if (r > 0) {
			sent += (uint16_t)r;
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR ||
			      errno == ENETDOWN || errno == ENXIO))
			break; /* full, or the interface is down: the rest are dropped */
		/* this frame cannot be sent (too long for the MTU, too many
		 * segments): move it behind the others, which go on */
		end--;
		kif_swap(pkts, msg, sent, end);
	}
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

/* ---- control ---- */

static int afp_fail(struct afp_dev *d, const char *name, const char *what, int e,
		    struct api_err *err)
{
	if (d->ring != NULL && d->ring != MAP_FAILED)
		munmap(d->ring, d->ring_len);
	if (d->fd >= 0)
		close(d->fd);
	rte_free(d);
	return api_fail(err, -e, "port \"%s\": cannot %s: %s", name, what, strerror(e));
}

static int afp_open(struct sw *sw, uint16_t slot, struct api_err *err)
{
	struct sw_port *sp = &sw->port[slot];
	const char *name = sp->conf.name;
	struct tpacket_req req = {0};
	struct sockaddr_ll sll = {0};
	int ver = TPACKET_V2, one = 1, sndbuf = AFP_SNDBUF, mtu, rc;
	uint32_t block;
	struct afp_dev *d;

	d = rte_zmalloc("afp_dev", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL)
		return api_fail(err, -ENOMEM, "port \"%s\": out of memory", name);
	d->fd = -1;
	rte_spinlock_init(&d->txlock[0]);
	d->ifindex = (int)if_nametoindex(sp->conf.iface);
	if (d->ifindex == 0)
		return afp_fail(d, name, "find its interface", errno, err);
	mtu = kif_mtu(sp->conf.iface);
	if (mtu < 0)
		return afp_fail(d, name, "read its interface's MTU", -mtu, err);

	/* protocol 0: the socket receives nothing until it is bound below, so
	 * no other interface's frame slips in */
	d->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->fd < 0)
		return afp_fail(d, name, "open a packet socket", errno, err);
	if (setsockopt(d->fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) < 0)
		return afp_fail(d, name, "use TPACKET_V2", errno, err);
	/* our own frames are not received back; sends skip the qdisc */
	setsockopt(d->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(d->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (setsockopt(d->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(d->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));

	/* a slot holds the header and the longest frame of the MTU, with a tag */
	d->max_len = (uint32_t)mtu + 14 + 4;
	d->frame_size = TPACKET_ALIGN(TPACKET2_HDRLEN + 16 + d->max_len);
	if (d->frame_size < AFP_MIN_FRAME)
		d->frame_size = AFP_MIN_FRAME;
	block = (d->frame_size + (uint32_t)getpagesize() - 1) & ~((uint32_t)getpagesize() - 1);
	d->block_size = block;
	d->per_block = block / d->frame_size;
	req.tp_block_size = block;
	req.tp_frame_size = d->frame_size;
	req.tp_block_nr = AFP_RX_FRAMES / d->per_block;
	req.tp_frame_nr = req.tp_block_nr * d->per_block;
	d->n_frames = req.tp_frame_nr;
	if (setsockopt(d->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return afp_fail(d, name, "set up its receive ring", errno, err);
	d->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	d->ring = mmap(NULL, d->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (d->ring == MAP_FAILED)
		return afp_fail(d, name, "map its receive ring", errno, err);

	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = d->ifindex;
	if (bind(d->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return afp_fail(d, name, "bind to its interface", errno, err);
	rc = kif_set_up(sp->conf.iface, true);
	if (rc < 0)
		return afp_fail(d, name, "bring its interface up", -rc, err);
	sp->dev = d;
	return 0;
}

static void afp_close(struct sw *sw, uint16_t slot)
{
	struct afp_dev *d = (struct afp_dev *)sw->port[slot].dev;

	if (d == NULL)
		return;
	munmap(d->ring, d->ring_len);
	close(d->fd);
	rte_free(d);
}

static void afp_fill(const struct sw *sw, const struct sw_port *sp, struct dp_port *dpp)
{
	static const uint16_t queue0[1] = {0};
	struct afp_dev *d = (struct afp_dev *)sp->dev;

	dpp->rx = afp_rx;
	dpp->tx = afp_tx;
	dpp->dev = d;
	dpp->handle = d->fd;
	dpp->rxq_mask = 1;
	port_assign_txq(sw, dpp, 1, queue0, d->txlock);
}

static const char *afp_link(const struct sw_port *sp)
{
	return kif_is_up(sp->conf.iface) ? "connected" : "down";
}

static void afp_dev_drops(struct sw_port *sp, uint64_t *drops)
{
	struct afp_dev *d = (struct afp_dev *)sp->dev;
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(d->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		d->kernel_drops += st.tp_drops;
	drops[API_DROP_RX_MISSED] += d->kernel_drops;
	drops[API_DROP_RX_TRUNCATED] += ctr_get(&d->rx_truncated);
	drops[API_DROP_RX_NOMBUF] += ctr_get(&d->rx_nombuf);
}

const struct port_ops port_afpacket_ops = {
	.type = "af-packet",
	.open = afp_open,
	.close = afp_close,
	.fill = afp_fill,
	.link = afp_link,
	.dev_drops = afp_dev_drops,
};
