/* VXLAN overlays in the switch: a network spans switches by carrying its
 * frames over an IPv4 underlay in VXLAN (RFC 7348).
 *
 *   underlay (underlay.c)  underlay.set/del/show: the port towards the
 *                 underlay (in a network of its own), the switch's address,
 *                 next hop, MTU, UDP port, TTL and MAC; the ARP table of
 *                 next hops (requests with retries, aging, answers learned
 *                 from the PMDs through a ring), on the control thread.
 *   VTEPs (vtep.c)  vtep.add/del/list: each remote VTEP of a network is a
 *                 port of that network (type "vxlan", named
 *                 vx-REMOTE-VNI), so flooding reaches it (head-end
 *                 replication), the FDB learns the MACs behind it, ages
 *                 them and takes static entries on it; it sends on the
 *                 underlay port's queues and is never polled. Builds what a
 *                 snapshot holds (fill).
 *   datapath (stage.c)  decapsulation, an ingress feature of the underlay
 *                 port (checks, then the inner frame enters the pipeline
 *                 as received on its VTEP's port; ARP answered on the spot);
 *                 encapsulation, an egress feature of VTEP ports (split
 *                 horizon, MTU, outer headers from vxhdr.c).
 *
 * Threads: the control thread for everything but stage.c (PMD lcores). */
#ifndef VLAB_VXLAN_H
#define VLAB_VXLAN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_ring.h>

#include "ctl.h"
#include "port.h"
#include "sw.h"
#include "vxhdr.h"

#define VX_FEAT_MEM 2 /* our slot of sw_dp.feat_mem */

/* A remote VTEP in a snapshot (sw_dp.vx[its port]). */
struct vx_dp_port {
	struct vx_encap enc;	 /* enc.dst_mac valid when `resolved` */
	uint8_t hdr[VX_HDR_LEN]; /* enc's headers for an empty frame (vx_encap_fill) */
	bool resolved;
	uint32_t inner_max; /* longest inner frame that fits the underlay MTU */
};

/* (VNI, remote address) -> VTEP port; remote 0: the VNI is one of ours. */
struct vx_slot {
	uint32_t vni;
	uint32_t ip;
	uint16_t port;
	bool used;
};

/* Where (vni, ip) starts its probe in vx_snap.tab (linear probing). */
static inline uint32_t vx_slot_hash(uint32_t vni, uint32_t ip)
{
	uint64_t h = ((uint64_t)vni << 32 | ip) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32);
}

/* What a snapshot holds of VXLAN (feat_mem[VX_FEAT_MEM]). */
struct vx_snap {
	uint16_t underlay; /* port slot */
	uint32_t ip, mask, gw;
	uint16_t udp_port;
	uint64_t mac;
	struct rte_ring *learn; /* ARP seen by PMDs, for the control thread */
	uint32_t tab_mask;
	struct vx_slot *tab;
	struct vx_dp_port *ports;
};

/* An ARP answer or request a PMD saw from a neighbour. */
struct vx_learn {
	uint32_t ip;
	uint32_t pad;
	uint64_t mac;
};

/* A remote VTEP, control side: the `dev` of its port. */
struct vx_vtep {
	uint32_t ip;
	uint16_t net;
};

enum vx_nstate { VX_N_INCOMPLETE, VX_N_REACHABLE, VX_N_STALE, VX_N_FAILED };

/* A next hop in the ARP table. */
struct vx_neigh {
	uint32_t ip;
	uint64_t mac;
	uint8_t state; /* enum vx_nstate */
	uint8_t tries;
	uint64_t updated_ms; /* last answer */
	uint64_t next_ms;    /* next request */
};

/* True when a next hop's MAC may be used (answered, or being asked again). */
static inline bool vx_neigh_usable(const struct vx_neigh *e)
{
	return e != NULL && (e->state == VX_N_REACHABLE || e->state == VX_N_STALE);
}

/* The underlay, control side. */
struct vx_underlay {
	bool set;
	char port[SW_NAME_MAX];
	uint32_t ip, gw;
	uint8_t plen;
	uint16_t mtu, udp_port;
	uint8_t ttl;
	bool mac_given;
	uint64_t mac;
	struct rte_ring *learn;	 /* PMDs -> control: struct vx_learn */
	struct rte_ring *inject; /* control -> the underlay port's PMD: ARP requests */
	uint32_t n_neigh;
	struct vx_neigh neigh[API_NEIGH_MAX];
};

extern struct vx_underlay vx_ul;
extern const struct port_ops port_vtep_ops;
extern const struct ctl_method vxlan_methods[];

/* underlay.c */
int vx_init(struct sw *sw);		   /* rings, the decapsulation feature */
int vx_init_egress(void);		   /* the encapsulation feature */
void vx_tick(struct sw *sw);		   /* ARP table: answers, requests, aging */
int vx_underlay_slot(const struct sw *sw); /* the underlay port's slot, or -1 */
uint32_t vx_next_hop(uint32_t remote);	   /* 0: no route */
const struct vx_neigh *vx_neigh_find(uint32_t ip);
json_t *vx_underlay_config(void); /* for the state file, or NULL */
const char *vx_nstate_name(uint8_t state);
int vx_parse_ip(const char *s, uint32_t *ip);
void vx_format_ip(uint32_t ip, char *buf, size_t len);

/* vtep.c */
int vx_vtep_add(struct sw *sw, json_t *params, json_t **result, struct api_err *err);
int vx_vtep_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err);
int vx_vtep_list(struct sw *sw, json_t *params, json_t **result, struct api_err *err);
json_t *vx_vtep_config(const struct sw *sw); /* for the state file */
void vx_dp_fill(const struct sw *sw, struct sw_dp *dp);
void vx_dp_release(struct sw_dp *dp);

/* stage.c */
extern struct dp_feature vx_feature_decap, vx_feature_encap;

#endif
