/* Expected reachability for `vlab pingall` (model in reach.h), the
 * policies on each pair's path judged by polreach.c.
 *
 * Threads: the caller's. Pure: reads a topology, uses the CIDR helpers of
 * vmhost/netns.h; no syscalls. */
#include "reach.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "netns.h"
#include "polreach.h"

/* What reach_matrix() looks up for every cell, built once: the lab's IPv4
 * addresses sorted with the node holding each, and its forwarding nodes, so
 * that a cell costs no scan of every node (a lab has up to TOPO_MAX_NODES). */
struct reach_idx {
	struct v4_holder {
		uint32_t ip; /* host order */
		int node;
	} * v4;
	int n_v4;
	int *fwd; /* indexes of nodes with forward: true */
	int n_fwd;
	struct polreach *pr; /* the lab's policies, compiled; NULL: none */
	enum polreach_probe probe;
	uint16_t port;
};

/* The switch crossings of a probe (at most two: over a router). */
struct reach_path {
	struct polreach_hop hop[2];
	int n;
	struct addr_cidr src_ip; /* the source's address the reply goes to */
};

static void hop(struct reach_path *p, int an, int ai, int bn, int bi)
{
	p->hop[p->n++] = (struct polreach_hop){an, ai, bn, bi};
}

static bool nic_holds(const struct node_nic *nic, const struct addr_cidr *ip)
{
	struct addr_cidr c;

	for (int i = 0; i < nic->n_addrs; i++)
		if (addr_parse_any(nic->addrs[i], &c) == 0 && addr_equal(&c, ip))
			return true;
	return false;
}

/* First address of `family` on nic into *out; false when it has none. */
static bool nic_first(const struct node_nic *nic, int family, struct addr_cidr *out)
{
	for (int i = 0; i < nic->n_addrs; i++)
		if (addr_parse_any(nic->addrs[i], out) == 0 && out->family == family)
			return true;
	return false;
}

static int nic_holding(const struct node *n, const struct addr_cidr *ip)
{
	for (int i = 0; i < n->n_nics; i++)
		if (nic_holds(&n->nics[i], ip))
			return i;
	return -1;
}

/* The next hop of n's longest-prefix route to ip ("default" is /0; the first
 * of equally long ones). False when no route matches. */
static bool best_via(const struct node *n, const struct addr_cidr *ip, struct addr_cidr *via)
{
	int best_plen = -1;

	for (int i = 0; i < n->n_routes; i++) {
		const struct node_route *r = &n->routes[i];
		struct addr_cidr dst, v;
		int plen;

		if (addr_parse(r->via, &v) != 0 || v.family != ip->family)
			continue;
		if (strcmp(r->dst, "default") == 0) {
			plen = 0;
		} else {
			if (addr_parse_cidr(r->dst, &dst) != 0 || !addr_contains(&dst, ip))
				continue;
			plen = (int)dst.plen;
		}
		if (plen > best_plen) {
			best_plen = plen;
			*via = v;
		}
	}
	return best_plen >= 0;
}

/* Index of an up interface of n on `network` holding ip, or -1. */
static int up_nic_on(const struct node *n, const char *network, const struct addr_cidr *ip)
{
	for (int i = 0; i < n->n_nics; i++) {
		const struct node_nic *c = &n->nics[i];

		if (!c->link_down && strcmp(c->network, network) == 0 && nic_holds(c, ip))
			return i;
	}
	return -1;
}

/* Routed case: src S sends to ip (on D's interface dn) via a forwarding
 * node; *src_nic gets the interface S sends from. */
static bool routed(const struct topo *t, const struct reach_idx *ix, int s, int d, int dn,
		   const struct addr_cidr *ip, int *src_nic, struct reach_path *path)
{
	const struct node *S = &t->nodes[s], *D = &t->nodes[d];
	const char *nd = D->nics[dn].network;
	struct addr_cidr via, src_ip, back;
	int si, di;

	if (!best_via(S, ip, &via))
		return false;
	si = nsh_route_nic(S, &via);
	if (si < 0)
		return false;
	*src_nic = si;
	if (S->nics[si].link_down || !nic_first(&S->nics[si], ip->family, &src_ip))
		return false;
	path->src_ip = src_ip;
	/* The next hop is the destination itself, on the source's network: it
	 * answers for any of its addresses (weak host model) over that network. */
	if ((di = up_nic_on(D, S->nics[si].network, &via)) >= 0) {
		hop(path, s, si, d, di);
		return true;
	}
	/* The reply: D's best route back to the source's address. */
	if (!best_via(D, &src_ip, &back))
		return false;
	di = nsh_route_nic(D, &back);
	if (di < 0 || D->nics[di].link_down || strcmp(D->nics[di].network, nd) != 0)
		return false;
	for (int i = 0; i < (ix && ix->fwd ? ix->n_fwd : t->n_nodes); i++) {
		int r = ix && ix->fwd ? ix->fwd[i] : i;
		const struct node *R = &t->nodes[r];

		if (r == s || r == d || !R->ip_forward)
			continue;
		int rin = up_nic_on(R, S->nics[si].network, &via), rout = up_nic_on(R, nd, &back);

		if (rin >= 0 && rout >= 0) {
			hop(path, s, si, r, rin);
			hop(path, r, rout, d, dn);
			return true;
		}
	}
	return false;
}

/* Computed value, before `expect:`; *src_nic and *dst_nic get the
 * interfaces involved (-1 when none). */
static bool computed(const struct topo *t, const struct reach_idx *ix, int s, int d,
		     const struct addr_cidr *ip, int *src_nic, int *dst_nic,
		     struct reach_path *path)
{
	const struct node *S = &t->nodes[s], *D = &t->nodes[d];
	const struct node_nic *dnic;
	int dn;

	*src_nic = -1;
	dn = *dst_nic = nic_holding(D, ip);
	if (dn < 0)
		return false;
	if (s == d) {
		*src_nic = dn;
		return true;
	}
	dnic = &D->nics[dn];
	for (int i = 0; i < S->n_nics; i++) {
		const struct node_nic *c = &S->nics[i];
		struct addr_cidr any;

		if (strcmp(c->network, dnic->network) != 0)
			continue;
		*src_nic = i;
		if (c->link_down || dnic->link_down || !nic_first(c, ip->family, &any))
			return false;
		path->src_ip = any;
		hop(path, s, i, d, dn);
		return true;
	}
	if (dnic->link_down)
		return false;
	return routed(t, ix, s, d, dn, ip, src_nic, path);
}

/* Whether an `expect:` endpoint ("NODE" or "NODE:IFNAME") names node n (and
 * its interface nic when an IFNAME is given). *qualified: an IFNAME is. */
static bool end_matches(const char *spec, const struct node *n, int nic, bool *qualified)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);

	*qualified = colon != NULL;
	if (strlen(n->name) != len || strncmp(spec, n->name, len) != 0)
		return false;
	if (!colon)
		return true;
	return nic >= 0 && nic < n->n_nics && strcmp(colon + 1, n->nics[nic].ifname) == 0;
}

/* Applies the `expect:` entries; returns the final value. */
static bool override(const struct topo *t, int s, int d, int src_nic, int dst_nic, bool value,
		     bool *overridden)
{
	int best = -1;

	*overridden = false;
	for (int i = 0; i < t->n_expect && i < TOPO_MAX_EXPECT; i++) {
		const struct topo_expect *e = &t->expect[i];
		bool qf, qt;
		int spec;

		if (!end_matches(e->from, &t->nodes[s], src_nic, &qf) ||
		    !end_matches(e->to, &t->nodes[d], dst_nic, &qt))
			continue;
		spec = (int)qf + (int)qt;
		if (spec >= best) {
			best = spec;
			value = e->reach;
			*overridden = true;
		}
	}
	return value;
}

/* The value for the pair, and *pv what the policies on its path say. */
static bool eval(const struct topo *t, const struct reach_idx *ix, int s, int d,
		 const struct addr_cidr *ip, int *src_nic, int *dst_nic, bool *overridden,
		 struct polreach_verdict *pv)
{
	struct reach_path path = {.n = 0};
	bool v = computed(t, ix, s, d, ip, src_nic, dst_nic, &path);

	*pv = (struct polreach_verdict){.pass = true, .policy = -1, .rule = -1};
	*overridden = false;
	if (*dst_nic < 0)
		return false;
	if (v && ix && ix->pr)
		v = polreach_exchange(ix->pr, ix->probe, ix->port, &path.src_ip, ip, path.hop,
				      path.n, pv);
	return override(t, s, d, *src_nic, *dst_nic, v, overridden);
}

static bool index_ok(const struct topo *t, int i)
{
	return i >= 0 && i < t->n_nodes && i < TOPO_MAX_NODES;
}

bool reach_expected(const struct topo *t, int src_node, int dst_node, const char *dst_addr)
{
	struct reach_idx ix = {.probe = POLREACH_ICMP};
	struct polreach_verdict pv;
	struct addr_cidr ip;
	int sn, dn;
	bool ov, v;

	if (!t || !dst_addr || !index_ok(t, src_node) || !index_ok(t, dst_node))
		return false;
	if (addr_parse_any(dst_addr, &ip) != 0)
		return false;
	if (polreach_build(t->name, t, t->policies, t->n_policies, &ix.pr) < 0)
		return false;
	v = eval(t, ix.pr ? &ix : NULL, src_node, dst_node, &ip, &sn, &dn, &ov, &pv);
	polreach_free(ix.pr);
	return v;
}

/* True when node `n` has IPv4 address `ip` on any interface. */
static bool holds_addr(const struct node *n, const struct addr_cidr *ip)
{
	for (int j = 0; j < n->n_nics && j < NODE_MAX_NICS; j++)
		for (int k = 0; k < n->nics[j].n_addrs && k < NODE_MAX_ADDRS; k++) {
			struct addr_cidr a;

			if (addr_parse_any(n->nics[j].addrs[k], &a) == 0 && a.family == ip->family &&
			    memcmp(a.addr, ip->addr, 4) == 0)
				return true;
		}
	return false;
}

static int holder_cmp(const void *a, const void *b)
{
	const struct v4_holder *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return x->node - y->node;
}

static void idx_free(struct reach_idx *ix)
{
	free(ix->v4);
	free(ix->fwd);
	polreach_free(ix->pr);
}

static int idx_build(const struct topo *t, struct reach_idx *ix)
{
	size_t nodes = t->n_nodes > 0 ? (size_t)t->n_nodes : 1;

	*ix = (struct reach_idx){0};
	if (polreach_build(t->name, t, t->policies, t->n_policies, &ix->pr) < 0)
		return -EINVAL;
	/* room for every address a node may have */
	ix->v4 = calloc(nodes * NODE_MAX_NICS * NODE_MAX_ADDRS, sizeof(*ix->v4));
	ix->fwd = calloc(nodes, sizeof(*ix->fwd));
	if (!ix->v4 || !ix->fwd) {
		idx_free(ix);
		return -ENOMEM;
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		if (n->ip_forward)
			ix->fwd[ix->n_fwd++] = i;
		for (int j = 0; j < n->n_nics && j < NODE_MAX_NICS; j++)
			for (int k = 0; k < n->nics[j].n_addrs && k < NODE_MAX_ADDRS; k++) {
				struct addr_cidr a;

				if (addr_parse_any(n->nics[j].addrs[k], &a) == 0 && a.family == AF_INET)
					ix->v4[ix->n_v4++] =
					    (struct v4_holder){.ip = addr_v4(&a), .node = i};
			}
	}
	qsort(ix->v4, (size_t)ix->n_v4, sizeof(*ix->v4), holder_cmp);
	return 0;
}

/* True when node d's address `ip`, not expected reachable from s, is held by
 * another node that s reaches: a ping of it would be answered there. */
static bool shadowed(const struct topo *t, const struct reach_idx *ix, int s, int d,
		     const struct addr_cidr *ip)
{
	uint32_t key = addr_v4(ip);
	int lo = 0, hi = ix->n_v4;
	struct polreach_verdict pv;
	int src_nic, dn;
	bool ovr;

	while (lo < hi) { /* first holder of the address */
		int mid = lo + (hi - lo) / 2;

		if (ix->v4[mid].ip < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int i = lo; i < ix->n_v4 && ix->v4[i].ip == key; i++) {
		int o = ix->v4[i].node;

		if (o != s && o != d && eval(t, ix, s, o, ip, &src_nic, &dn, &ovr, &pv))
			return true;
	}
	return false;
}

int reach_matrix_probe(const struct topo *t, const struct reach_probe *probe,
		       struct reach_cell *cells, int max)
{
	struct reach_idx ix;
	int n = 0, rc;

	if (!t || max < 0 || (max > 0 && !cells) || t->n_nodes < 0 || t->n_nodes > TOPO_MAX_NODES)
		return -EINVAL;
	rc = idx_build(t, &ix);
	if (rc < 0)
		return rc;
	if (probe) {
		ix.probe = probe->kind;
		ix.port = probe->port;
	}
	for (int s = 0; s < t->n_nodes; s++) {
		for (int d = 0; d < t->n_nodes; d++) {
			const struct node *D = &t->nodes[d];

			if (d == s)
				continue;
			for (int j = 0; j < D->n_nics && j < NODE_MAX_NICS; j++) {
				const struct node_nic *nic = &D->nics[j];

				for (int k = 0; k < nic->n_addrs && k < NODE_MAX_ADDRS; k++) {
					struct polreach_verdict pv;
					struct reach_cell *c;
					struct addr_cidr ip;
					int src_nic, dn;
					bool expect, ovr;
					size_t len;

					if (addr_parse_any(nic->addrs[k], &ip) != 0 ||
					    ip.family != AF_INET)
						continue;
					/* an address the source holds itself (tenants
					 * that share a subnet) would only ping itself */
					if (holds_addr(&t->nodes[s], &ip))
						continue;
					expect = eval(t, &ix, s, d, &ip, &src_nic, &dn, &ovr, &pv);
					/* the same address reachable on another node answers
					 * the ping: this copy cannot be told apart */
					if (!expect && shadowed(t, &ix, s, d, &ip))
						continue;
					if (n++ >= max)
						continue;
					c = &cells[n - 1];
					c->src_node = s;
					c->src_nic = src_nic;
					c->dst_node = d;
					c->dst_nic = j;
					len = strcspn(nic->addrs[k], "/");
					if (len >= sizeof(c->addr))
						len = sizeof(c->addr) - 1;
					memcpy(c->addr, nic->addrs[k], len);
					c->addr[len] = '\0';
					c->expect = expect;
					c->overridden = ovr;
					c->policy = pv.pass ? -1 : (int16_t)pv.policy;
					c->rule = pv.rule;
					c->frame = (uint8_t)pv.frame;
					c->policy_out = pv.out;
					c->policy_node = (int16_t)pv.node;
					c->policy_nic = (int8_t)pv.nic;
				}
			}
		}
	}
	idx_free(&ix);
	return n;
}

int reach_matrix(const struct topo *t, struct reach_cell *cells, int max)
{
	return reach_matrix_probe(t, NULL, cells, max);
}

int reach_matrix_alloc(const struct topo *t, struct reach_cell **cells)
{
	return reach_matrix_alloc_probe(t, NULL, cells);
}

int reach_matrix_alloc_probe(const struct topo *t, const struct reach_probe *probe,
			     struct reach_cell **cells)
{
	int n, m;

	if (!cells)
		return -EINVAL;
	*cells = NULL;
	n = reach_matrix_probe(t, probe, NULL, 0);
	if (n < 0)
		return n;
	*cells = calloc(n ? (size_t)n : 1, sizeof(**cells));
	if (!*cells)
		return -ENOMEM;
	m = reach_matrix_probe(t, probe, *cells, n);
	if (m != n) { /* cannot happen: the same model twice */
		free(*cells);
		*cells = NULL;
		return m < 0 ? m : -EIO;
	}
	return n;
}
