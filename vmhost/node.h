/* Description of one lab node (a QEMU guest or a namespace host) as vmhost
 * takes it: identity, resources, NICs with addresses, routes, forwarding.
 *
 * Plain data shared by every vmhost module; no functions, no threads. The
 * controller (control/) fills it from a topology; `vlab vm start` fills it
 * from command-line options. */
#ifndef VLAB_NODE_H
#define VLAB_NODE_H

#include <stdbool.h>
#include <stdint.h>

#define NODE_NAME_MAX   32 /* node names: 1..31 chars [A-Za-z0-9_.-] */
#define NODE_MAX_NICS   8
#define NODE_MAX_ADDRS  4
#define NODE_MAX_ROUTES 16
#define NODE_MAX_QUEUES 16  /* virtio queue pairs per VM NIC */
#define NODE_ADDR_MAX   48  /* "2001:db8::1/64" or "10.0.0.1/24" */
#define NODE_PATH_MAX   256

enum node_kind {
	NODE_VM,   /* QEMU guest */
	NODE_HOST, /* Linux network namespace */
};

struct node_nic {
	char ifname[16];                         /* name inside the node, e.g. eth0 */
	uint8_t mac[6];
	uint32_t mtu;                            /* 0 = default (1500) */
	uint32_t queues;                         /* VM: virtio queue pairs (0 = 1) */
	char addrs[NODE_MAX_ADDRS][NODE_ADDR_MAX]; /* CIDR, IPv4 or IPv6 */
	int n_addrs;
	char network[NODE_NAME_MAX];             /* switch network the NIC joins */
	char port[NODE_NAME_MAX];                /* switch port name, e.g. vm1-eth0 */
	char sock[NODE_PATH_MAX];                /* VM: vhost-user socket (QEMU is server) */
	bool link_down;                          /* start with the link down */
};

struct node_route {
	char dst[NODE_ADDR_MAX]; /* CIDR or "default" */
	char via[NODE_ADDR_MAX]; /* next hop */
};

struct node {
	char name[NODE_NAME_MAX];
	enum node_kind kind;
	unsigned int cpus;       /* VM: vCPUs (default 1) */
	unsigned int mem_mib;    /* VM: guest RAM in MiB (default 128) */
	struct node_nic nics[NODE_MAX_NICS];
	int n_nics;
	struct node_route routes[NODE_MAX_ROUTES];
	int n_routes;
	bool ip_forward;
	/* VM boot: the built-in image unless `disk` or `kernel` is set */
	char kernel[NODE_PATH_MAX];
	char initrd[NODE_PATH_MAX];
	char disk[NODE_PATH_MAX];   /* qcow2 or raw; booted from its own disk without kernel */
	char append[NODE_PATH_MAX]; /* extra kernel command line */
};

#endif
