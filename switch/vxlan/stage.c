/* The VXLAN stages of the pipeline.
 *
 * Decapsulation, an ingress feature of the underlay port: ARP requests for
 * the switch's address are answered on the spot (the frame becomes the
 * reply) and every ARP sender goes to the control thread's learn ring;
 * VXLAN frames are checked (vxhdr.c), looked up by (VNI, outer source) to
 * their VTEP's port, stripped of the outer headers, and enter the pipeline
 * again as frames received on that port (ingress features of the VTEP port,
 * learning, forwarding); everything else is dropped with its reason.
 *
 * Encapsulation, an egress feature of VTEP ports: split horizon (a frame
 * that came from a VTEP never goes to another), the next hop's MAC, the
 * underlay MTU (too long: dropped, never fragmented), then the 50 bytes of
 * outer headers in the frame's headroom; a flooded copy that shares its
 * buffer gets its own first (head-end replication's one copy per VTEP).
 *
 * No locks, no syscalls, no logging; the only allocations are the copies of
 * flooded frames. Runs on PMD lcores. */
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fwd.h"
#include "pipeline.h"
#include "vxlan.h"

static const uint8_t rx_drop[VX_RX_MAX] = {
    [VX_RX_NOT_VXLAN] = API_DROP_UNDERLAY_OTHER,    [VX_RX_TRUNCATED] = API_DROP_VXLAN_TRUNCATED,
    [VX_RX_BAD_IP] = API_DROP_VXLAN_BAD_IP,	    [VX_RX_IP_OPTIONS] = API_DROP_VXLAN_IP_OPTIONS,
    [VX_RX_BAD_CSUM] = API_DROP_VXLAN_BAD_CHECKSUM, [VX_RX_FRAGMENT] = API_DROP_VXLAN_FRAGMENT,
    [VX_RX_NOT_LOCAL] = API_DROP_VXLAN_NOT_LOCAL,   [VX_RX_WRONG_PORT] = API_DROP_VXLAN_WRONG_PORT,
    [VX_RX_BAD_FLAGS] = API_DROP_VXLAN_BAD_FLAGS,
};

/* The VTEP port of (vni, ip), or -API_DROP_VXLAN_UNKNOWN_VNI / _VTEP. */
static inline int vx_lookup(const struct vx_snap *s, uint32_t vni, uint32_t ip)
{
	bool vni_known = false;

	for (uint32_t i = vx_slot_hash(vni, ip);; i++) {
		const struct vx_slot *e = &s->tab[i & s->tab_mask];

		if (!e->used)
			break;
		if (e->vni == vni && e->ip == ip)
			return e->port;
	}
	for (uint32_t i = vx_slot_hash(vni, 0);; i++) {
		const struct vx_slot *e = &s->tab[i & s->tab_mask];

		if (!e->used)
			break;
		if (e->vni == vni && e->ip == 0) {
			vni_known = true;
			break;
		}
	}
	return vni_known ? -API_DROP_VXLAN_UNKNOWN_VTEP : -API_DROP_VXLAN_UNKNOWN_VNI;
}

static inline void vx_drop(struct sw_pmd *pmd, uint16_t port, struct rte_mbuf *m, uint8_t why)
{
	ctr_add(&pmd->port[port].drops[why], 1);
	rte_pktmbuf_free(m);
}

/* An ARP frame on the underlay: learn its sender, answer a request for us. */
static void vx_arp_in(struct sw_pmd *pmd, const struct sw_dp *dp, const struct vx_snap *s,
		      uint16_t in, struct rte_mbuf *m)
{
	struct vx_arp a;
	struct vx_learn l;

	if (vx_arp_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &a) < 0) {
		vx_drop(pmd, in, m, API_DROP_UNDERLAY_OTHER);
		return;
	}
	if (a.spa != 0 && ((a.spa & s->mask) == (s->ip & s->mask) || a.spa == s->gw)) {
		l = (struct vx_learn){.ip = a.spa, .mac = a.sha};
		rte_ring_enqueue_elem(s->learn, &l, sizeof(l)); /* full: the next one will do */
	}
	if (a.op != 1 || a.tpa != s->ip || dp_pkt_own(pmd->sw->pool, &m) < 0 ||
	    rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m) < 60) {
		rte_pktmbuf_free(m); /* taken in: not a drop */
		return;
	}
	m->data_len = (uint16_t)vx_arp_build(rte_pktmbuf_mtod(m, uint8_t *), 2, a.sha, s->mac,
					     s->ip, a.sha, a.spa);
	m->pkt_len = m->data_len;
	if (m->next != NULL) {
		rte_pktmbuf_free(m->next);
		m->next = NULL;
		m->nb_segs = 1;
	}
	txbuf_add(&pmd->tx, dp, pmd->idx, in, m, pmd->port);
}

static uint16_t vx_decap(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in,
			 struct rte_mbuf **pkts, struct pkt_meta *meta, uint16_t n)
{
	const struct vx_snap *s = dp->feat_mem[VX_FEAT_MEM];
	struct rte_mbuf *inner[SW_BURST];
	uint16_t vtep[SW_BURST], k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct vx_rx_info info;
		enum vx_rx r;
		int port;

		if (meta[i].ethertype == PKT_ETH_ARP && !(meta[i].flags & PKT_F_VLAN)) {
			vx_arp_in(pmd, dp, s, in, m);
			continue;
		}
		r = vx_decap_check(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, s->ip,
				   s->udp_port, &info);
		if (unlikely(r != VX_RX_OK)) {
			vx_drop(pmd, in, m, rx_drop[r]);
			continue;
		}
		port = vx_lookup(s, info.vni, info.src_ip);
		if (unlikely(port < 0)) {
			vx_drop(pmd, in, m, (uint8_t)-port);
			continue;
		}
		rte_pktmbuf_adj(m, info.inner_off);
		if (m->pkt_len > info.inner_len)
			rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - info.inner_len));
		inner[k] = m;
		vtep[k++] = (uint16_t)port;
	}
	/* the inner frames, in runs from one VTEP, as received on its port */
	for (uint16_t a = 0, b; a < k; a = b) {
		for (b = a + 1; b < k && vtep[b] == vtep[a]; b++)
			;
		pmd_switch(pmd, dp, vtep[a], &inner[a], (uint16_t)(b - a));
	}
	return 0;
}

static int vx_encap(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t out, struct rte_mbuf **mp,
		    const struct pkt_meta *meta)
{
	const struct vx_dp_port *v = dp->vx[out];
	struct pkt_meta t;
	uint8_t *h;
	uint32_t len;

	if (unlikely(dp->vx[meta->in] != NULL)) { /* split horizon */
		if (meta->action == FWD_UNICAST)
			ctr_add(&pmd->port[out].drops[API_DROP_VXLAN_SPLIT_HORIZON], 1);
		rte_pktmbuf_free(*mp);
		return 1;
	}
	if (unlikely(!v->resolved)) {
		vx_drop(pmd, out, *mp, API_DROP_VXLAN_NO_NEIGHBOR);
		return 1;
	}
	len = (*mp)->pkt_len;
	if (unlikely(len > v->inner_max)) {
		vx_drop(pmd, out, *mp, API_DROP_VXLAN_MTU);
		return 1;
	}
	t = *meta;
	pkt_parse_l3l4(rte_pktmbuf_mtod(*mp, const uint8_t *), &t);
	if (unlikely(dp_pkt_own(pmd->sw->pool, mp) < 0)) {
		vx_drop(pmd, out, *mp, API_DROP_VXLAN_NOMBUF);
		return 1;
	}
	h = (uint8_t *)rte_pktmbuf_prepend(*mp, VX_HDR_LEN);
	if (unlikely(h == NULL)) { /* no headroom: a copy has the pool's */
		struct rte_mbuf *c = rte_pktmbuf_copy(*mp, pmd->sw->pool, 0, UINT32_MAX);

		rte_pktmbuf_free(*mp);
		*mp = c;
		h = c ? (uint8_t *)rte_pktmbuf_prepend(c, VX_HDR_LEN) : NULL;
		if (h == NULL) {
			ctr_add(&pmd->port[out].drops[API_DROP_VXLAN_NOMBUF], 1);
			if (c != NULL)
				rte_pktmbuf_free(c);
			return 1;
		}
	}
	vx_encap_fill(h, v->hdr, len, vx_sport(t.hash));
	(*mp)->ol_flags = 0;
	return 0;
}

struct dp_feature vx_feature_decap = {
    .name = "vxlan-decap",
    .hook = DP_INGRESS,
    .ingress = vx_decap,
    .fill = vx_dp_fill,
    .release = vx_dp_release,
};

struct dp_feature vx_feature_encap = {
    .name = "vxlan-encap",
    .hook = DP_EGRESS,
    .egress = vx_encap,
};
