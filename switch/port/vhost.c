/* vhost-user ports through DPDK's vhost library directly (no ethdev): the
 * switch connects to the guest's socket as a client and reconnects after
 * either side restarts (the default), or owns the socket (server mode).
 * Guests with several virtio queue pairs work: every enabled queue is polled
 * and PMDs send on enabled queues.
 *
 * Threads: open/close/fill/link run on the control thread. The vhost
 * library's callbacks run on its own thread (or on the control thread inside
 * rte_vhost_driver_unregister) and never touch datapath state: they post a
 * request for the control thread, which records the device and republishes
 * the snapshot. destroy_device must not return while a PMD may still use the
 * device, so it waits until the control thread has published a snapshot
 * without it (or until the port is being closed, which does the same first).
 * vhost_rx/vhost_tx run on PMD lcores. */
#include <errno.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_vhost.h>

#include "ctl.h"
#include "port.h"

/* The vhost library watches at most 1024 file descriptors (one per
 * connection, one more per server-mode socket, one of its own) and 1024
 * devices. */
#define VHOST_MAX_FDS   1020
#define VHOST_MAX_QP    64 /* queue pairs used per device (rxq_mask is 64 bits) */
/* virtqueues of queue pair q: 2q is the guest's receive ring (the switch
 * enqueues), 2q + 1 its transmit ring (the switch dequeues) */
#define VHOST_GUEST_RX 0
#define VHOST_GUEST_TX 1

struct vhost_dev {
	uint16_t slot;
	uint32_t gen;
	char path[108];
	/* control thread */
	int vid;            /* -1: no device */
	int mask_vid;       /* the device the masks below were seen on */
	uint64_t rx_qp;     /* queue pairs whose guest TX ring is enabled */
	uint64_t tx_qp;     /* queue pairs whose guest RX ring is enabled */
	uint16_t rx_next;   /* PMD (the one polling the port): queue pair to poll first */
	rte_spinlock_t txlock[2 * VHOST_MAX_QP];
	/* under vhost_lock */
	int live_vid;       /* the device the library runs on this socket, -1: none */
	bool closing;
	uint32_t destroy_seq;  /* destroy callbacks waiting */
	uint32_t destroy_done; /* ... and handled by the control thread */
	LIST_ENTRY(vhost_dev) link;
};

/* Devices by socket path, for the callbacks. */
static pthread_mutex_t vhost_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vhost_cond = PTHREAD_COND_INITIALIZER;
static LIST_HEAD(, vhost_dev) vhost_devs = LIST_HEAD_INITIALIZER(vhost_devs);

enum vhost_ev_type { VHOST_EV_NEW, VHOST_EV_VRING, VHOST_EV_DESTROY };

struct vhost_ev {
	enum vhost_ev_type type;
	uint16_t slot;
	uint32_t gen;
	int vid;
	uint16_t vring;
	bool enable;
	uint32_t seq;
};

/* ---- datapath ---- */

static uint16_t vhost_rx(const struct dp_port *p, struct rte_mempool *mp, struct rte_mbuf **pkts,
			 uint16_t n)
{
	struct vhost_dev *d = p->dev;
	uint64_t mask = p->rxq_mask;
	uint16_t got = 0;

	if (likely(mask == 1))
		return rte_vhost_dequeue_burst(p->handle, VHOST_GUEST_TX, mp, pkts, n);
	/* several queue pairs: start with the next one each burst */
	unsigned int nq = 64 - (unsigned int)__builtin_clzll(mask), start = d->rx_next % nq;

	for (unsigned int i = 0; i < nq && got < n; i++) {
		unsigned int qp = (start + i) % nq;

		if (mask & (1ull << qp))
			got += rte_vhost_dequeue_burst(p->handle, (uint16_t)(2 * qp + VHOST_GUEST_TX),
						       mp, pkts + got, n - got);
	}
	d->rx_next = (uint16_t)((start + 1) % nq);
	return got;
}

static uint16_t vhost_tx(const struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_vhost_enqueue_burst(p->handle, q, pkts, n);

	/* the library copied them into the guest's buffers */
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

/* ---- device events ---- */

static void vhost_event(struct sw *sw, void *arg)
{
	struct vhost_ev *e = arg;
	struct sw_port *sp = &sw->port[e->slot];
	struct vhost_dev *d = sp->dev;

	if (!sp->used || sp->gen != e->gen || sp->ops != &port_vhost_ops || d == NULL)
		goto out; /* the port went away; its close released any waiter */
	switch (e->type) {
	case VHOST_EV_NEW:
		if (d->mask_vid != e->vid) /* no ring state seen for this device yet */
			d->rx_qp = d->tx_qp = 0;
		d->mask_vid = d->vid = e->vid;
		RTE_LOG(INFO, USER1, "port \"%s\": guest connected (%s)\n", sp->conf.name,
			d->path);
		break;
	case VHOST_EV_VRING: {
		unsigned int qp = e->vring / 2;
		uint64_t *mask = e->vring % 2 == VHOST_GUEST_TX ? &d->rx_qp : &d->tx_qp;

		if (qp >= VHOST_MAX_QP)
			goto out;
		if (e->vid != d->mask_vid) { /* a new connection: its rings only */
			d->rx_qp = d->tx_qp = 0;
			d->mask_vid = e->vid;
		}
		if (e->enable)
			*mask |= 1ull << qp;
		else
			*mask &= ~(1ull << qp);
		/* a ring enabled after new_device: the switch polls it, so the
		 * guest need not kick (not from the callback: the library holds
		 * the ring's lock there) */
		if (e->enable && d->vid == e->vid)
			rte_vhost_enable_guest_notification(e->vid, e->vring, 0);
		break;
	}
	case VHOST_EV_DESTROY:
		if (e->vid != d->vid)
			break; /* not the device the datapath uses */
		d->vid = -1;
		d->mask_vid = -1;
		d->rx_qp = d->tx_qp = 0;
		RTE_LOG(INFO, USER1, "port \"%s\": guest disconnected\n", sp->conf.name);
		break;
	}
	port_changed(sw, e->slot); /* returns once no PMD uses the old view */
	if (e->type == VHOST_EV_DESTROY) {
		pthread_mutex_lock(&vhost_lock);
		if ((int32_t)(e->seq - d->destroy_done) > 0)
			d->destroy_done = e->seq;
		pthread_cond_broadcast(&vhost_cond);
		pthread_mutex_unlock(&vhost_lock);
	}
out:
	free(e);
}

/* The device of `vid`, with vhost_lock held. */
static struct vhost_dev *vhost_dev_of(int vid)
{
	char path[108];
	struct vhost_dev *d;

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	LIST_FOREACH(d, &vhost_devs, link)
		if (strcmp(d->path, path) == 0)
			return d;
	return NULL;
}

/* Posts an event for the control thread; with vhost_lock held. */
static int vhost_post(const struct vhost_dev *d, struct vhost_ev ev)
{
	struct vhost_ev *e = malloc(sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	ev.slot = d->slot;
	ev.gen = d->gen;
	*e = ev;
	if (ctl_post(vhost_event, e) < 0) {
		free(e);
		return -ENOMEM;
	}
	return 0;
}

static int vhost_new_device(int vid)
{
	struct vhost_dev *d;
	int rc = -1;

	pthread_mutex_lock(&vhost_lock);
	d = vhost_dev_of(vid);
	if (d != NULL && !d->closing && d->live_vid >= 0 && d->live_vid != vid) {
		/* a server-mode socket takes one peer at a time */
		RTE_LOG(ERR, USER1, "%s: a second peer connected; refused\n", d->path);
	} else if (d != NULL && !d->closing) {
		d->live_vid = vid;
		/* the switch polls: guests need not kick it */
		for (uint16_t q = 0; q < rte_vhost_get_vring_num(vid); q++)
			rte_vhost_enable_guest_notification(vid, q, 0);
		rc = vhost_post(d, (struct vhost_ev){.type = VHOST_EV_NEW, .vid = vid});
	}
	pthread_mutex_unlock(&vhost_lock);
	return rc < 0 ? -1 : 0;
}

static int vhost_vring_state(int vid, uint16_t vring, int enable)
{
	struct vhost_dev *d;

	pthread_mutex_lock(&vhost_lock);
	d = vhost_dev_of(vid);
	if (d != NULL && !d->closing) {
		vhost_post(d, (struct vhost_ev){.type = VHOST_EV_VRING,
						.vid = vid,
						.vring = vring,
						.enable = enable != 0});
	}
	pthread_mutex_unlock(&vhost_lock);
	return 0;
}

static void vhost_destroy_device(int vid)
{
	struct vhost_dev *d;
	uint32_t seq;

	pthread_mutex_lock(&vhost_lock);
	d = vhost_dev_of(vid);
	if (d == NULL || d->closing || d->live_vid != vid)
		goto out; /* not the device the port runs */
	d->live_vid = -1;
	seq = ++d->destroy_seq;
	if (vhost_post(d, (struct vhost_ev){.type = VHOST_EV_DESTROY, .vid = vid, .seq = seq}) <
	    0) {
		RTE_LOG(ERR, USER1, "%s: out of memory reporting a disconnect\n", d->path);
		goto out;
	}
	while (!d->closing && (int32_t)(seq - d->destroy_done) > 0)
		pthread_cond_wait(&vhost_cond, &vhost_lock);
out:
	pthread_mutex_unlock(&vhost_lock);
}

static const struct rte_vhost_device_ops vhost_dev_ops = {
	.new_device = vhost_new_device,
	.destroy_device = vhost_destroy_device,
	.vring_state_changed = vhost_vring_state,
};

/* ---- control ---- */

/* Removes a socket file nobody listens on, so a server-mode port can bind. */
static void vhost_unlink_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == ECONNREFUSED)
		unlink(path);
	close(fd);
}

static void vhost_unlist(struct vhost_dev *d)
{
	pthread_mutex_lock(&vhost_lock);
	d->closing = true;
	pthread_cond_broadcast(&vhost_cond);
	LIST_REMOVE(d, link);
	pthread_mutex_unlock(&vhost_lock);
}

static int vhost_open(struct sw *sw, uint16_t slot, struct api_err *err)
{
	struct sw_port *sp = &sw->port[slot];
	/* no offloads: guests send and expect complete checksums and frames no
	 * longer than their MTU, as every other port does */
	const uint64_t no_offloads =
		(1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |
		(1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) |
		(1ull << VIRTIO_NET_F_HOST_ECN) | (1ull << VIRTIO_NET_F_HOST_UFO) |
		(1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6) |
		(1ull << VIRTIO_NET_F_GUEST_ECN) | (1ull << VIRTIO_NET_F_GUEST_UFO);
	struct vhost_dev *d;
	const char *step;
	unsigned int fds = sp->conf.server ? 2 : 1;
	int rc;

	for (int p = 0; p < SW_MAX_PORTS; p++)
		if (sw->port[p].used && sw->port[p].ops == &port_vhost_ops)
			fds += sw->port[p].conf.server ? 2 : 1;
	if (fds > VHOST_MAX_FDS)
		return api_fail(err, -ENOSPC,
				"port \"%s\": too many vhost-user ports (the vhost library watches "
				"at most %d sockets; a server-mode port takes two)",
				sp->conf.name, VHOST_MAX_FDS);
	d = rte_zmalloc("vhost_dev", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL)
		return api_fail(err, -ENOMEM, "port \"%s\": out of memory", sp->conf.name);
	d->slot = slot;
	d->gen = sp->gen;
	d->vid = d->mask_vid = d->live_vid = -1;
	snprintf(d->path, sizeof(d->path), "%s", sp->conf.path);
	for (unsigned int q = 0; q < 2 * VHOST_MAX_QP; q++)
		rte_spinlock_init(&d->txlock[q]);
	if (sp->conf.server)
		vhost_unlink_stale(d->path);

	pthread_mutex_lock(&vhost_lock);
	LIST_INSERT_HEAD(&vhost_devs, d, link);
	pthread_mutex_unlock(&vhost_lock);

	step = "register the socket";
	rc = rte_vhost_driver_register(d->path, sp->conf.server ? 0 : RTE_VHOST_USER_CLIENT);
	if (rc < 0)
		goto out_unlist;
	step = "set its features";
	rc = rte_vhost_driver_disable_features(d->path, no_offloads);
	if (rc == 0) {
		step = "register callbacks";
		rc = rte_vhost_driver_callback_register(d->path, &vhost_dev_ops);
	}
	if (rc == 0) {
		step = sp->conf.server ? "listen on the socket" : "start connecting";
		rc = rte_vhost_driver_start(d->path);
	}
	if (rc < 0)
		goto out_unregister;
	sp->dev = d;
	return 0;

out_unregister:
	vhost_unlist(d);
	rte_vhost_driver_unregister(d->path);
	rte_free(d);
	return api_fail(err, -EIO, "port \"%s\": vhost library could not %s for %s (see the log)",
			sp->conf.name, step, sp->conf.path);
out_unlist:
	vhost_unlist(d);
	rte_free(d);
	return api_fail(err, -EIO, "port \"%s\": vhost library could not %s for %s (see the log)",
			sp->conf.name, step, sp->conf.path);
}

static void vhost_close(struct sw *sw, uint16_t slot)
{
	struct vhost_dev *d = (struct vhost_dev *)sw->port[slot].dev;

	if (d == NULL)
		return;
	/* no PMD uses the device any more: a destroy callback may return */
	vhost_unlist(d);
	if (rte_vhost_driver_unregister(d->path) < 0)
		RTE_LOG(ERR, USER1, "%s: vhost library could not unregister the socket\n",
			d->path);
	rte_free(d);
}

static void vhost_fill(const struct sw *sw, const struct sw_port *sp, struct dp_port *dpp)
{
	struct vhost_dev *d = sp->dev;
	uint16_t queues[VHOST_MAX_QP], n = 0;

	dpp->rx = vhost_rx;
	dpp->tx = vhost_tx;
	dpp->dev = d;
	dpp->handle = d->vid;
	dpp->rxq_mask = d->vid >= 0 ? d->rx_qp : 0;
	for (unsigned int qp = 0; d->vid >= 0 && qp < VHOST_MAX_QP; qp++)
		if (d->tx_qp & (1ull << qp))
			queues[n++] = (uint16_t)(2 * qp + VHOST_GUEST_RX);
	port_assign_txq(sw, dpp, n, queues, d->txlock);
}

static const char *vhost_link(const struct sw_port *sp)
{
	const struct vhost_dev *d = sp->dev;

	return d->vid >= 0 ? "connected" : "waiting";
}

static void vhost_dev_drops(struct sw_port *sp, uint64_t *drops)
{
}

static void vhost_status(const struct sw_port *sp, json_t *o)
{
	const struct vhost_dev *d = sp->dev;

	json_object_set_new(o, "queues", json_integer(__builtin_popcountll(d->rx_qp)));
}

const struct port_ops port_vhost_ops = {
	.type = "vhost-user",
	.limit_why = "DPDK's vhost library watches at most 1024 sockets",
	.open = vhost_open,
	.close = vhost_close,
	.fill = vhost_fill,
	.link = vhost_link,
	.dev_drops = vhost_dev_drops,
	.status = vhost_status,
};
