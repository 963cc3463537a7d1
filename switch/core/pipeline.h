/* The packet pipeline: the fixed chain of stages a received burst goes
 * through, and how switch features plug into it.
 *
 *   port rx burst -> parse the Ethernet header (pkt.h; a stage that needs
 *   L3/L4 fields calls pkt_parse_l3l4, once) -> ingress features -> L2 forwarding
 *   (l2/l2.c: learn, decide an output) -> egress features (per output) ->
 *   TX buffer of the output -> port tx burst
 *
 * A feature (capture, policy, VXLAN, impairments) registers a dp_feature at
 * start-up and gets a bit; it runs on a port only when that bit is set in the
 * port's feat_in / feat_out mask of the datapath snapshot, so a feature that
 * is off costs one test of a zero mask per burst (ingress) or per output
 * packet (egress).
 *
 * Outputs: the forwarding stage names each frame's output as a 16-bit id
 * (pkt_meta.out, and the FDB's "port" of an entry). Ids below SW_MAX_PORTS
 * are local ports; the ids above are left for outputs that are not local
 * ports (a remote VTEP, a capture tap), which a feature then registers along
 * with how to send to them. A network's flood set (sw_dp.members) is a list
 * of such ids.
 *
 * Runs on PMD lcores; registration runs before they start. */
#ifndef VLAB_PIPELINE_H
#define VLAB_PIPELINE_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp.h"
#include "pkt.h"

struct sw;
struct sw_pmd;

#define DP_MAX_FEATURES 32

enum dp_hook {
	DP_INGRESS, /* after parsing, before L2 forwarding */
	DP_EGRESS,  /* after the forwarding decision, per output */
};

struct dp_feature {
	const char *name;
	enum dp_hook hook;
	/* DP_INGRESS: runs over the parsed burst received on port `in`. It may
	 * consume or drop packets (freeing them and counting the reason in
	 * pmd->port[in]) and returns the number left, with pkts[] and meta[]
	 * compacted in order. */
	uint16_t (*ingress)(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in,
			    struct rte_mbuf **pkts, struct pkt_meta *meta, uint16_t n);
	/* DP_EGRESS: runs for one packet on its way to port `out`. Returns 0 to
	 * send *m, which it may have replaced (a feature that changes a flooded
	 * packet first takes its own copy with dp_pkt_own()), or 1 when it
	 * consumed or dropped it (and counted why). */
	int (*egress)(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t out, struct rte_mbuf **m,
		      const struct pkt_meta *meta);
	/* Optional, control thread: adds the feature's state to a snapshot
	 * being built (per-port tables, feature bits), and releases what an
	 * old snapshot holds once no PMD can see it. */
	void (*fill)(const struct sw *sw, struct sw_dp *dp);
	void (*release)(struct sw_dp *dp);
	uint32_t bit; /* assigned by dp_feature_register() */
};

/* Registers a feature (start-up, main thread, before PMDs run). 0, or
 * -ENOSPC beyond DP_MAX_FEATURES. */
int dp_feature_register(struct dp_feature *f);

extern struct dp_feature *dp_features[DP_MAX_FEATURES];
extern unsigned int dp_n_features;

/* Runs n frames through the pipeline as received on port `in` (parse,
 * ingress features, L2 forwarding, egress, TX buffers): how a feature that
 * turns frames into frames of another port (VXLAN decapsulation) hands them
 * on. pmd->meta is reused: the caller is done with its own burst's. */
void pmd_switch(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in, struct rte_mbuf **pkts,
		uint16_t n);

/* Makes *m a buffer only this packet uses: flooded copies share one buffer
 * (reference counted) until a stage needs to change one. 0, or -ENOMEM with
 * *m untouched. */
static inline int dp_pkt_own(struct rte_mempool *mp, struct rte_mbuf **m)
{
	struct rte_mbuf *c;

	if (rte_mbuf_refcnt_read(*m) == 1 && RTE_MBUF_DIRECT(*m))
		return 0;
	c = rte_pktmbuf_copy(*m, mp, 0, UINT32_MAX);
	if (c == NULL)
		return -ENOMEM;
	rte_pktmbuf_free(*m);
	*m = c;
	return 0;
}

#endif
