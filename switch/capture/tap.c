/* The capture taps in the pipeline: an ingress feature (frames entering the
 * switch from a port) and an egress feature (frames on their way out to a
 * port). For each session tapping the port in that direction: run its
 * filter on the frame, copy the first snaplen bytes of a match into the
 * capture pool with the time and the port, and queue the copy on the
 * session's ring for the writer. The frame itself goes on unchanged.
 *
 * Nothing here runs for a port without taps (its feature bit is clear in
 * the snapshot). No locks, syscalls or logging; the copies come from a
 * mempool; a full ring or an empty pool is counted as lost.
 *
 * Runs on PMD lcores. */
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "cap.h"
#include "pipeline.h"

/* The taps of one port in a snapshot (built by cap_dp_fill). */
struct cap_port_taps {
	uint16_t n_in, n_out;
	struct cap_session *in[API_MAX_CAPTURES];
	struct cap_session *out[API_MAX_CAPTURES];
};

static inline bool cap_match(const struct cap_session *s, struct rte_mbuf *m)
{
	if (s->cbpf != NULL) /* the first segment: what a port receives whole */
		return bpf_filter(s->cbpf, rte_pktmbuf_mtod(m, const u_char *), m->pkt_len,
				  m->data_len) != 0;
	if (s->bpf == NULL)
		return true;
	return (s->jit ? s->jit(m) : rte_bpf_exec(s->bpf, m)) != 0;
}

void cap_tap_copy(struct sw_pmd *pmd, struct cap_session *s, uint16_t port, uint8_t dir,
		  struct rte_mbuf **pkts, uint16_t n)
{
	struct cap_ctr *c = &s->ctr[pmd->idx * SW_MAX_PORTS + port];
	struct rte_mbuf *copy[SW_BURST];
	uint16_t k = 0, q, filtered = 0, lost = 0;
	uint64_t tsc = 0; /* read at the first match: a filter that matches nothing reads none */

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m;
		struct cap_meta *cm;

		if (!cap_match(s, pkts[i])) {
			filtered++;
			continue;
		}
		if (tsc == 0)
			tsc = rte_rdtsc();
		m = rte_pktmbuf_copy(pkts[i], cap.pool, 0, s->snaplen);
		if (m == NULL) {
			lost++;
			continue;
		}
		cm = rte_mbuf_to_priv(m);
		cm->tsc = tsc;
		cm->orig_len = pkts[i]->pkt_len;
		cm->port = port;
		cm->dir = dir;
		copy[k++] = m;
	}
	q = k ? (uint16_t)rte_ring_mp_enqueue_burst(s->ring, (void **)copy, k, NULL) : 0;
	if (q < k) {
		rte_pktmbuf_free_bulk(copy + q, k - q);
		lost += (uint16_t)(k - q);
	}
	if (q)
		ctr_add(&c->captured, q);
	if (filtered)
		ctr_add(&c->filtered, filtered);
	if (lost)
		ctr_add(&c->lost, lost);
}

static uint16_t cap_ingress(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t in,
			    struct rte_mbuf **pkts, struct pkt_meta *meta, uint16_t n)
{
	const struct cap_port_taps *t = dp->tap[in];

	(void)meta;
	if (t != NULL)
		for (uint16_t i = 0; i < t->n_in; i++)
			cap_tap_copy(pmd, t->in[i], in, CAP_DIR_IN, pkts, n);
	return n;
}

static int cap_egress(struct sw_pmd *pmd, const struct sw_dp *dp, uint16_t out,
		      struct rte_mbuf **m, const struct pkt_meta *meta)
{
	const struct cap_port_taps *t = dp->tap[out];

	(void)meta;
	if (t != NULL)
		for (uint16_t i = 0; i < t->n_out; i++)
			cap_tap_copy(pmd, t->out[i], out, CAP_DIR_OUT, m, 1);
	return 0;
}

struct dp_feature cap_feature_in = {
	.name = "capture-in",
	.hook = DP_INGRESS,
	.ingress = cap_ingress,
	.fill = cap_dp_fill,
	.release = cap_dp_release,
};

struct dp_feature cap_feature_out = {
	.name = "capture-out",
	.hook = DP_EGRESS,
	.egress = cap_egress,
};

/* ---- the tables, built on the control thread ---- */

static bool cap_covers(const struct sw *sw, const struct cap_session *s, uint16_t p)
{
	return s->want_port[p] == sw->port[p].gen + 1 || s->want_net[sw->port[p].net];
}

/* What the writer announces of port p in s's stream. */
static void cap_port_info(const struct sw *sw, struct cap_session *s, uint16_t p)
{
	const struct sw_port *sp = &sw->port[p];
	struct cap_portinfo *pi = &s->info[p];

	if (pi->gen != sp->gen || pi->name[0] == '\0') {
		pi->gen = sp->gen;
		pi->vni = sw->net[sp->net].vni;
		snprintf(pi->name, sizeof(pi->name), "%s", sp->conf.name);
		snprintf(pi->net, sizeof(pi->net), "%s", sw->net[sp->net].name);
	}
}

void cap_dp_fill(const struct sw *sw, struct sw_dp *dp)
{
	struct cap_port_taps *t = NULL;

	dp->feat_mem[CAP_FEAT_MEM] = NULL;
	if (cap.list == NULL)
		return;
	pthread_mutex_lock(&cap.lock);
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];

		if (!sp->used)
			continue;
		for (struct cap_session *s = cap.list; s; s = s->next) {

			if (atomic_load(&s->state) != CAP_ACTIVE || s->kind == CAP_DUMP)
				continue;
			if (!cap_covers(sw, s, (uint16_t)p)) {
				/* a policy's mirror may copy from any port */
				if (s->policy[0] != '\0')
					cap_port_info(sw, s, (uint16_t)p);
				continue;
			}
			if (t == NULL) {
				/* one table per tapped port, chained through feat_mem */
				t = calloc(1, sizeof(*t) + sizeof(void *));
				if (t == NULL)
					break;
				*(void **)(t + 1) = dp->feat_mem[CAP_FEAT_MEM];
				dp->feat_mem[CAP_FEAT_MEM] = t;
			}
			if (s->dirs & CAP_DIR_IN)
				t->in[t->n_in++] = s;
			if (s->dirs & CAP_DIR_OUT)
				t->out[t->n_out++] = s;
			cap_port_info(sw, s, (uint16_t)p);
		}
		if (t != NULL) {
			dp->tap[p] = t;
			if (t->n_in)
				dp->port[p].feat_in |= cap_feature_in.bit;
			if (t->n_out)
				dp->port[p].feat_out |= cap_feature_out.bit;
			t = NULL;
		}
	}
	pthread_mutex_unlock(&cap.lock);
}

void cap_dp_release(struct sw_dp *dp)
{
	void *t = dp->feat_mem[CAP_FEAT_MEM];

	while (t != NULL) {
		void *next = *(void **)((struct cap_port_taps *)t + 1);

		free(t);
		t = next;
	}
	dp->feat_mem[CAP_FEAT_MEM] = NULL;
}
