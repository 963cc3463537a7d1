/* ring, null and pcap ports: DPDK ethdev vdevs (net_ring, net_null,
 * net_pcap) created and removed at run time with rte_eal_hotplug_add/remove,
 * for tests and benchmarks. DPDK's ethdev table is small (32 devices in
 * Debian's build), which is why the other port types do not use it.
 *
 * Threads: open/close/fill/link/dev_drops on the control thread; eth_rx on
 * the PMD polling the port, eth_tx on PMDs (one at a time per queue). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "devargs.h"
#include "port.h"

#define ETH_RX_DESC 1024
#define ETH_TX_DESC 1024

struct eth_dev {
	uint16_t port_id;
	uint16_t n_txq;
	char name[64]; /* vdev name */
	rte_spinlock_t txlock[SW_MAX_PMDS];
};

static uint16_t eth_rx(const struct dp_port *p, struct rte_mempool *mp, struct rte_mbuf **pkts,
		       uint16_t n)
{
	return rte_eth_rx_burst((uint16_t)p->handle, 0, pkts, n);
}

static uint16_t eth_tx(const struct dp_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst((uint16_t)p->handle, q, pkts, n);
}

static const char *eth_driver(const struct port_ops *ops)
{
	return ops == &port_ring_ops ? "net_ring" : ops == &port_null_ops ? "net_null" : "net_pcap";
}

static void eth_devargs(const struct sw_port *sp, char *buf, size_t len)
{
	const char *a = sp->conf.devargs;

	if (sp->ops == &port_null_ops && strstr(a, "no-rx") == NULL)
		/* a null port is a sink unless asked to generate (no-rx=0) */
		snprintf(buf, len, "%s%sno-rx=1", a, a[0] ? "," : "");
	else
		snprintf(buf, len, "%s", a);
}

/* Removes the ethdevs that appeared since `had` was taken: a driver that
 * failed half way may have left devices behind. */
static void eth_remove_new(const bool *had)
{
	uint16_t id;

	RTE_ETH_FOREACH_DEV(id)
	{
		struct rte_eth_dev_info info;

		if (had[id])
			continue;
		rte_eth_dev_stop(id);
		if (rte_eth_dev_info_get(id, &info) == 0 && info.device != NULL) {
			rte_eth_dev_close(id);
			rte_dev_remove(info.device);
		} else {
			rte_eth_dev_close(id);
		}
	}
}

/* Reads the first bytes of `path` into `head`: how many, or a negative errno
 * (-EISDIR and such for what is not a regular file). */
static ssize_t eth_file_head(const char *path, unsigned char *head, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	n = read(fd, head, len);
	n = n < 0 ? -errno : n;
	close(fd);
	return n;
}

/* A pcap port reads rx_pcap, which must be a pcap file, and truncates
 * tx_pcap, which must therefore be new, empty or a pcap file already: a
 * request never makes the switch overwrite some other file. */
static int eth_pcap_files_check(const char *devargs, char *why, size_t len)
{
	unsigned char head[24];
	char path[256];
	const char *problem;
	ssize_t n;

	if (devargs_value(devargs, "rx_pcap", path, sizeof(path))) {
		n = eth_file_head(path, head, sizeof(head));
		if (n == -ENOENT)
			problem = "does not exist";
		else if (n == -EISDIR)
			problem = "is not a regular file";
		else if (n < 0)
			problem = strerror((int)-n);
		else
			problem = devargs_pcap_head_problem(head, (size_t)n);
		if (problem) {
			snprintf(why, len, "rx_pcap %.100s %s", path, problem);
			return -EINVAL;
		}
	}
	if (devargs_value(devargs, "tx_pcap", path, sizeof(path))) {
		n = eth_file_head(path, head, sizeof(head));
		if (n == -ENOENT || n == 0)
			return 0;
		problem = n == -EISDIR ? "is not a regular file"
			  : n < 0      ? strerror((int)-n)
				       : devargs_pcap_head_problem(head, (size_t)n);
		if (problem) {
			snprintf(why, len,
				 "tx_pcap %.100s exists and %s; the port would overwrite it (name a "
				 "new file)",
				 path, problem);
			return -EINVAL;
		}
	}
	return 0;
}

static int eth_open(struct sw *sw, uint16_t slot, struct api_err *err)
{
	struct sw_port *sp = &sw->port[slot];
	const char *name = sp->conf.name, *drv = eth_driver(sp->ops);
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t pid, nrx = ETH_RX_DESC, ntx = ETH_TX_DESC, ntxq;
	struct eth_dev *d;
	char args[512];
	int rc, sock;

	char why[200];
	bool had[RTE_MAX_ETHPORTS] = {0};
	uint16_t id;

	if (devargs_check(sp->ops->type, sp->conf.devargs, why, sizeof(why)) < 0)
		return api_fail(err, -EINVAL, "port \"%s\": %s", name, why);
	if (!strcmp(sp->ops->type, "pcap") && eth_pcap_files_check(sp->conf.devargs, why, sizeof(why)) < 0)
		return api_fail(err, -EINVAL, "port \"%s\": %s", name, why);
	d = rte_zmalloc("eth_dev", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL)
		return api_fail(err, -ENOMEM, "port \"%s\": out of memory", name);
	RTE_ETH_FOREACH_DEV(id)
		had[id] = true;
	for (int q = 0; q < SW_MAX_PMDS; q++)
		rte_spinlock_init(&d->txlock[q]);
	if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
		api_fail(err, -ENOSPC,
			 "port \"%s\": too many ring, null and pcap ports (they share DPDK's %d "
			 "ethdev slots)",
			 name, RTE_MAX_ETHPORTS);
		goto out_free;
	}
	snprintf(d->name, sizeof(d->name), "%s_vlab%u", drv, slot);
	eth_devargs(sp, args, sizeof(args));

	rc = rte_eal_hotplug_add("vdev", d->name, args);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": DPDK could not create %s with \"%s\": %s", name,
			 drv, args, rte_strerror(-rc));
		goto out_new;
	}
	rc = rte_eth_dev_get_port_by_name(d->name, &pid);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": device %s has no ethdev", name, d->name);
		goto out_remove;
	}
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": cannot query device: %s", name,
			 rte_strerror(-rc));
		goto out_close;
	}
	ntxq = (uint16_t)RTE_MIN((unsigned int)info.max_tx_queues, sw->n_pmd);
	if (ntxq == 0)
		ntxq = 1;
	rc = rte_eth_dev_configure(pid, 1, ntxq, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	sock = rte_eth_dev_socket_id(pid);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(pid, 0, nrx, sock < 0 ? 0 : sock, NULL, sw->pool);
	for (uint16_t q = 0; rc == 0 && q < ntxq; q++)
		rc = rte_eth_tx_queue_setup(pid, q, ntx, sock < 0 ? 0 : sock, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(pid);
	if (rc < 0) {
		api_fail(err, -EIO, "port \"%s\": cannot start %s: %s", name, d->name,
			 rte_strerror(-rc));
		goto out_close;
	}
	rte_eth_promiscuous_enable(pid); /* not every driver has it; frames reach us anyway */
	d->port_id = pid;
	d->n_txq = ntxq;
	sp->dev = d;
	return 0;

out_close:
	rte_eth_dev_close(pid);
out_remove:
	rte_eal_hotplug_remove("vdev", d->name);
out_new:
	eth_remove_new(had);
out_free:
	rte_free(d);
	return err->code;
}

static void eth_close(struct sw *sw, uint16_t slot)
{
	struct eth_dev *d = (struct eth_dev *)sw->port[slot].dev;

	if (d == NULL)
		return;
	rte_eth_dev_stop(d->port_id);
	rte_eth_dev_close(d->port_id);
	rte_eal_hotplug_remove("vdev", d->name);
	rte_free(d);
}

static void eth_fill(const struct sw *sw, const struct sw_port *sp, struct dp_port *dpp)
{
	struct eth_dev *d = (struct eth_dev *)sp->dev;
	uint16_t queues[SW_MAX_PMDS];

	for (uint16_t q = 0; q < d->n_txq; q++)
		queues[q] = q;
	dpp->rx = eth_rx;
	dpp->tx = eth_tx;
	dpp->dev = d;
	dpp->handle = d->port_id;
	dpp->rxq_mask = 1;
	port_assign_txq(sw, dpp, d->n_txq, queues, d->txlock);
}

static const char *eth_link(const struct sw_port *sp)
{
	const struct eth_dev *d = (const struct eth_dev *)sp->dev;
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(d->port_id, &link) < 0)
		return "down";
	return link.link_status == RTE_ETH_LINK_UP ? "connected" : "waiting";
}

static void eth_dev_drops(struct sw_port *sp, uint64_t *drops)
{
	const struct eth_dev *d = (const struct eth_dev *)sp->dev;
	struct rte_eth_stats es;

	if (rte_eth_stats_get(d->port_id, &es) == 0) {
		drops[API_DROP_RX_MISSED] += es.imissed;
		drops[API_DROP_RX_NOMBUF] += es.rx_nombuf;
	}
}

#define ETH_PORT_OPS(t)                                                                      \
	{                                                                                    \
		.type = t, .open = eth_open, .close = eth_close,                             \
		 .fill = eth_fill, .link = eth_link,                      \
		.dev_drops = eth_dev_drops,                                                  \
	}

const struct port_ops port_ring_ops = ETH_PORT_OPS("ring");
const struct port_ops port_null_ops = ETH_PORT_OPS("null");
const struct port_ops port_pcap_ops = ETH_PORT_OPS("pcap");
