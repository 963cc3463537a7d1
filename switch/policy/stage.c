/* The policy stage of the pipeline: an ingress feature (frames entering the
 * switch from a port) and an egress feature (frames on their way out to a
 * port). A frame goes through the port's policy, then its network's; in
 * each, a frame of a connection a stateful rule allowed passes at once,
 * else the first rule that matches decides (count and mirror go on to the
 * next rule), else the policy's default. Dropped frames are counted by
 * reason on the port the policy applies to; every rule counts its hits.
 *
 * Nothing here runs for a port no policy applies to (its feature bits are
 * clear). No locks (the connection table's readers take none; a rate
 * limit's bucket is one compare-and-swap), no syscalls, no logging; a
 * reject's reply is the one buffer allocated, from the switch's pool.
 *
 * Runs on PMD lcores. */
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "cap.h"
#include "pipeline.h"
#include "policy.h"
#include "reject.h"

enum pol_verdict { PV_PASS, PV_DROP, PV_REJECT, PV_RATE };

static inline void pol_hit(const struct pol_ver *v, unsigned int pmd, uint32_t i, uint32_t bytes)
{
	struct pol_ctr *c = &v->ctr[pmd * v->n_ctr + i];

	ctr_add(&c->packets, 1);
	ctr_add(&c->bytes, bytes);
}

static enum pol_verdict pol_eval(struct sw_pmd *pmd, const struct pol_bind *b, uint16_t port,
				 uint8_t dir, struct rte_mbuf *mb, struct pkt_meta *m,
				 uint64_t now)
{
	const struct pol_ver *v = b->v;
	const uint8_t *p = rte_pktmbuf_mtod(mb, const uint8_t *);
	uint32_t from = 0;

	pkt_parse_l3l4(p, m);
	if (b->ct && ct_related(&pol.ct, m, p, now)) {
		pol_hit(v, pmd->idx, POL_CTR_RELATED(v), mb->pkt_len);
		return PV_PASS;
	}
	for (;;) {
		int32_t i = pol_class_lookup_from(v->cls, m, p, from);
		const struct pol_vrule *r;

		if (i < 0) {
			pol_hit(v, pmd->idx, POL_CTR_DEFAULT(v), mb->pkt_len);
			return v->def == POL_A_ALLOW ? PV_PASS
			       : v->def == POL_A_REJECT ? PV_REJECT
							: PV_DROP;
		}
		i = (int32_t)pol_class_rule(v->cls, (uint32_t)i)->id;
		r = &v->r[i];
		pol_hit(v, pmd->idx, (uint32_t)i, mb->pkt_len);
		switch (r->action) {
		case POL_A_ALLOW:
			if (r->flags & POL_R_STATEFUL) {
				uint64_t before = atomic_load_explicit(&pol.ct.evicted,
								       memory_order_relaxed);

				ct_allow(&pol.ct, m, p, now);
				if (atomic_load_explicit(&pol.ct.evicted, memory_order_relaxed) !=
				    before)
					ctr_add(&pmd->port[port].events[API_EVENT_CT_EVICTED], 1);
			}
			return PV_PASS;
		case POL_A_DROP:
			return PV_DROP;
		case POL_A_REJECT:
			return PV_REJECT;
		case POL_A_RATE:
			return pol_bucket_take((struct pol_bucket *)&r->bucket,
					       r->rate_bits ? (uint64_t)mb->pkt_len * 8 : 1, now)
				       ? PV_PASS
				       : PV_RATE;
		case POL_A_MIRROR:
			for (uint16_t k = 0; k < b->n_mir; k++)
				cap_tap_copy(pmd, b->mir[k], port, dir, &mb, 1);
			/* fall through */
		default: /* count */
			from = r->next;
			break;
		}
	}
}

/* A reject's reply, sent back out of port `to` (PMD's TX buffer). */
static void pol_reject(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t port, uint16_t to,
		       struct rte_mbuf *mb, const struct pkt_meta *m)
{
	struct rte_mbuf *r = rte_pktmbuf_alloc(pmd->sw->pool);
	uint8_t *out;
	size_t n;

	if (r == NULL) {
		ctr_add(&pmd->port[port].events[API_EVENT_REJECT_NOMBUF], 1);
		return;
	}
	out = rte_pktmbuf_mtod(r, uint8_t *);
	n = pol_reject_build(rte_pktmbuf_mtod(mb, const uint8_t *), m, out,
			     rte_pktmbuf_tailroom(r));
	if (n == 0) {
		rte_pktmbuf_free(r);
		return;
	}
	r->data_len = (uint16_t)n;
	r->pkt_len = (uint32_t)n;
	txbuf_add(&pmd->tx, dp, pmd->idx, to, r, pmd->port);
}

/* The frame through a port's policies for one direction: PV_PASS or how it
 * was dropped. */
static inline enum pol_verdict pol_port_eval(struct sw_pmd *pmd, const struct pol_port *pp,
					     uint8_t dir, uint16_t port, struct rte_mbuf *mb,
					     struct pkt_meta *m, uint64_t now)
{
	enum pol_verdict pv = PV_PASS;

	for (int l = 0; l < 2 && pv == PV_PASS; l++)
		if (pp->b[dir][l] != NULL)
			pv = pol_eval(pmd, pp->b[dir][l], port, dir == POL_IN ? CAP_DIR_IN : CAP_DIR_OUT,
				      mb, m, now);
	return pv;
}

static void pol_drop(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t port,
		     enum pol_verdict pv, struct rte_mbuf *mb, const struct pkt_meta *m)
{
	static const uint8_t reason[] = {
		[PV_DROP] = API_DROP_POLICY,
		[PV_REJECT] = API_DROP_POLICY_REJECT,
		[PV_RATE] = API_DROP_POLICY_RATE,
	};

	if (pv == PV_REJECT)
		pol_reject(pmd, dp, port, m->in, mb, m);
	ctr_add(&pmd->port[port].drops[reason[pv]], 1);
	rte_pktmbuf_free(mb);
}

static uint16_t pol_ingress(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in,
			    struct rte_mbuf **pkts, struct pkt_meta *meta, uint16_t n)
{
	const struct pol_port *pp = dp->pol[in];
	uint64_t now = pol_tsc_ns(rte_rdtsc());
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		enum pol_verdict pv = pol_port_eval(pmd, pp, POL_IN, in, pkts[i], &meta[i], now);

		if (pv != PV_PASS) {
			pol_drop(pmd, dp, in, pv, pkts[i], &meta[i]);
			continue;
		}
		if (k != i) {
			pkts[k] = pkts[i];
			meta[k] = meta[i];
		}
		k++;
	}
	return k;
}

static int pol_egress(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t out,
		      struct rte_mbuf **m, const struct pkt_meta *meta)
{
	/* the PMD's own metadata of the burst: parsing L3/L4 here once also
	 * serves the other outputs of a flooded frame */
	struct pkt_meta *pm = (struct pkt_meta *)meta;
	enum pol_verdict pv =
		pol_port_eval(pmd, dp->pol[out], POL_OUT, out, *m, pm, pol_tsc_ns(rte_rdtsc()));

	if (pv == PV_PASS)
		return 0;
	pol_drop(pmd, dp, out, pv, *m, meta);
	return 1;
}

struct dp_feature pol_feature_in = {
	.name = "policy-in",
	.hook = DP_INGRESS,
	.ingress = pol_ingress,
	.fill = pol_dp_fill,
	.release = pol_dp_release,
};

struct dp_feature pol_feature_out = {
	.name = "policy-out",
	.hook = DP_EGRESS,
	.egress = pol_egress,
};
