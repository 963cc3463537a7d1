/* What a lab's policies do to pingall's probes; see polreach.h. The frames
 * are real ones (Ethernet, ARP or IPv6 neighbour discovery, IPv4/IPv6,
 * ICMP/TCP/UDP), so the switch's parser, classifier and connection table
 * judge them exactly as they judge the lab's traffic.
 *
 * Pure; the caller's thread. */
#include "polreach.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "classify.h"
#include "conntrack.h"
#include "kind.h"
#include "pkt.h"
#include "rule.h"

#define PR_NOW_NS    1000000000ull /* the connection table's clock: fixed */
#define PR_SPORT     40000	   /* the client's (ephemeral) port */
#define PR_ICMP_ID   0x7662	   /* the echo identifier */
#define PR_FRAME_MAX 128

struct pr_pol {
	struct pol_set set;
	struct pol_class *cls;
	uint8_t def; /* enum pol_action */
};

struct polreach {
	const struct topo *t;
	struct pr_pol *pol;
	int n;
	int (*port)[NODE_MAX_NICS][2]; /* per node and interface: policy [in, out], -1 */
	int (*net)[2];		       /* per network: policy [in, out], -1 */
	int (*nic_net)[NODE_MAX_NICS]; /* per node and interface: its network */
	uint8_t (*mac)[NODE_MAX_NICS][6];
	struct ct_table ct;
};

void polreach_free(struct polreach *pr)
{
	if (!pr)
		return;
	for (int i = 0; i < pr->n; i++) {
		pol_class_free(pr->pol[i].cls);
		pol_set_free(&pr->pol[i].set);
	}
	free(pr->pol);
	free(pr->port);
	free(pr->net);
	free(pr->nic_net);
	free(pr->mac);
	ct_free(&pr->ct);
	free(pr);
}

static uint8_t def_of(const char *s)
{
	return !strcmp(s, "drop") ? POL_A_DROP : !strcmp(s, "reject") ? POL_A_REJECT : POL_A_ALLOW;
}

int polreach_build(const char *lab, const struct topo *t, const struct topo_policy *p, int n,
		   struct polreach **out)
{
	size_t nodes = t->n_nodes ? (size_t)t->n_nodes : 1,
	       nets = t->n_nets ? (size_t)t->n_nets : 1;
	struct polreach *pr;
	char msg[256];

	*out = NULL;
	if (n == 0)
		return 0;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->t = t;
	pr->pol = calloc((size_t)n, sizeof(*pr->pol));
	pr->port = malloc(nodes * sizeof(*pr->port));
	pr->net = malloc(nets * sizeof(*pr->net));
	pr->nic_net = malloc(nodes * sizeof(*pr->nic_net));
	pr->mac = calloc(nodes, sizeof(*pr->mac));
	if (!pr->pol || !pr->port || !pr->net || !pr->nic_net || !pr->mac ||
	    ct_init(&pr->ct, 16) < 0) {
		polreach_free(pr);
		return -ENOMEM;
	}
	memset(pr->port, 0xff, nodes * sizeof(*pr->port));
	memset(pr->net, 0xff, nets * sizeof(*pr->net));
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_nics && k < NODE_MAX_NICS; k++) {
			const struct node_nic *c = &t->nodes[i].nics[k];
			static const uint8_t zero[6];

			pr->nic_net[i][k] = topo_net_find(t, c->network);
			memcpy(pr->mac[i][k], c->mac, 6);
			if (!memcmp(c->mac, zero, 6)) { /* derived as vmhost does */
				uint32_t h = kind_hash(lab, t->nodes[i].name, k);
				uint8_t m[6] = {
				    0x52,      0x54, 0x00, (uint8_t)(h >> 16), (uint8_t)(h >> 8),
				    (uint8_t)h};

				memcpy(pr->mac[i][k], m, 6);
			}
		}
	for (int k = 0; k < n; k++) {
		struct pr_pol *pp = &pr->pol[k];

		pr->n = k + 1;
		pp->def = def_of(p[k].def);
		if (pol_set_parse(p[k].rules, &pp->set, NULL, NULL, msg, sizeof(msg)) < 0) {
			polreach_free(pr);
			return -EINVAL;
		}
		pp->cls = pol_class_build(pp->set.r, pp->set.n_r);
		if (!pp->cls) {
			polreach_free(pr);
			return -ENOMEM;
		}
		for (int a = 0; a < p[k].n_apply; a++) {
			const struct topo_pol_apply *ap = &p[k].apply[a];
			int ni;

			if (ap->network) {
				ni = topo_net_find(t, ap->net);
				if (ni >= 0)
					pr->net[ni][ap->out] = k;
				continue;
			}
			ni = topo_node_find(t, ap->node);
			for (int c = 0; ni >= 0 && c < t->nodes[ni].n_nics && c < NODE_MAX_NICS;
			     c++)
				if (!strcmp(t->nodes[ni].nics[c].ifname, ap->ifname))
					pr->port[ni][c][ap->out] = k;
		}
	}
	*out = pr;
	return 0;
}

/* ---- frames ---- */

struct frame {
	uint8_t b[PR_FRAME_MAX];
	uint32_t len;
};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static void eth(struct frame *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put16(f->b + 12, type);
	f->len = PKT_ETH_HLEN;
}

/* An IP header from src to dst for `l4len` bytes of protocol `proto`;
 * returns where the L4 header goes. */
static uint8_t *ip(struct frame *f, const struct addr_cidr *src, const struct addr_cidr *dst,
		   uint8_t proto, uint32_t l4len)
{
	uint8_t *p = f->b + PKT_ETH_HLEN;

	if (src->family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, (uint16_t)(20 + l4len));
		put16(p + 6, 0x4000); /* DF */
		p[8] = 64;
		p[9] = proto;
		memcpy(p + 12, src->addr, 4);
		memcpy(p + 16, dst->addr, 4);
		f->len = PKT_ETH_HLEN + 20 + l4len;
		return p + 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)l4len);
	p[6] = proto;
	p[7] = 64;
	memcpy(p + 8, src->addr, 16);
	memcpy(p + 24, dst->addr, 16);
	f->len = PKT_ETH_HLEN + 40 + l4len;
	return p + 40;
}

/* ARP (IPv4) or neighbour discovery (IPv6): who has `target`, or its
 * answer. */
static void neigh(struct frame *f, bool reply, const uint8_t *smac, const uint8_t *dmac,
		  const struct addr_cidr *sip, const struct addr_cidr *tip)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (sip->family == AF_INET) {
		uint8_t *p;

		eth(f, reply ? dmac : bcast, smac, PKT_ETH_ARP);
		p = f->b + PKT_ETH_HLEN;
		p = put16(p, 1);
		p = put16(p, PKT_ETH_IPV4);
		*p++ = 6;
		*p++ = 4;
		p = put16(p, reply ? 2 : 1);
		memcpy(p, smac, 6);
		memcpy(p + 6, sip->addr, 4);
		memcpy(p + 10, reply ? dmac : (const uint8_t[6]){0}, 6);
		memcpy(p + 16, tip->addr, 4);
		f->len = PKT_ETH_HLEN + 28;
	} else {
		/* solicited-node multicast for a solicitation */
		uint8_t mmac[6] = {0x33, 0x33, 0xff, tip->addr[13], tip->addr[14], tip->addr[15]};
		struct addr_cidr mip = {.family = AF_INET6, .plen = 128};
		uint8_t *p;

		mip.addr[0] = 0xff;
		mip.addr[1] = 0x02;
		mip.addr[11] = 0x01;
		mip.addr[12] = 0xff;
		memcpy(mip.addr + 13, tip->addr + 13, 3);
		eth(f, reply ? dmac : mmac, smac, PKT_ETH_IPV6);
		p = ip(f, sip, reply ? tip : &mip, PKT_IP_ICMPV6, 24);
		memset(p, 0, 24);
		p[0] = reply ? 136 : 135;
		memcpy(p + 8, reply ? sip->addr : tip->addr, 16);
	}
}

static void icmp_echo(struct frame *f, bool reply, const struct addr_cidr *src,
		      const struct addr_cidr *dst)
{
	uint8_t *p;
	bool v4 = src->family == AF_INET;

	p = ip(f, src, dst, v4 ? PKT_IP_ICMP : PKT_IP_ICMPV6, 16);
	memset(p, 0, 16);
	p[0] = v4 ? (reply ? 0 : 8) : (reply ? 129 : 128);
	put16(p + 4, PR_ICMP_ID);
	put16(p + 6, 1);
}

static void tcp(struct frame *f, const struct addr_cidr *src, const struct addr_cidr *dst,
		uint16_t sport, uint16_t dport, uint8_t flags, uint32_t data)
{
	uint8_t *p = ip(f, src, dst, PKT_IP_TCP, 20 + data);

	memset(p, 0, 20 + data);
	put16(p, sport);
	put16(p + 2, dport);
	p[12] = 5 << 4;
	p[13] = flags;
	put16(p + 14, 64240);
}

static void udp(struct frame *f, const struct addr_cidr *src, const struct addr_cidr *dst,
		uint16_t sport, uint16_t dport)
{
	uint8_t *p = ip(f, src, dst, PKT_IP_UDP, 8 + 16);

	memset(p, 0, 8 + 16);
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, 8 + 16);
}

/* ---- evaluation ---- */

/* Frame f (its MACs set for this hop) through policy k: true when it
 * passes; else *rule is the rule that stopped it (-1: the default). */
static bool eval_policy(struct polreach *pr, int k, const struct frame *f, int *rule)
{
	const struct pr_pol *pp = &pr->pol[k];
	struct pkt_meta m;
	uint32_t from = 0;

	pkt_parse(f->b, f->len, &m);
	if (ct_related(&pr->ct, &m, f->b, PR_NOW_NS))
		return true;
	for (;;) {
		int32_t i = pol_class_lookup_from(pp->cls, &m, f->b, from);
		const struct pol_urule *u;

		if (i < 0) {
			*rule = -1;
			return pp->def == POL_A_ALLOW;
		}
		u = &pp->set.u[pol_class_rule(pp->cls, (uint32_t)i)->id];
		switch (u->action) {
		case POL_A_ALLOW:
			if (u->flags & POL_R_STATEFUL)
				ct_allow(&pr->ct, &m, f->b, PR_NOW_NS);
			return true;
		case POL_A_RATE: /* a probe is within any rate */
			return true;
		case POL_A_COUNT:
		case POL_A_MIRROR:
			from = u->first + u->n;
			break;
		default: /* drop, reject */
			*rule = (int)(u - pp->set.u);
			return false;
		}
	}
}

/* The policies a frame meets entering the switch from (node, nic) or
 * leaving towards it: the port's, then its network's. */
static bool eval_at(struct polreach *pr, int node, int nic, bool out, struct frame *f,
		    struct polreach_verdict *v)
{
	int ks[2] = {pr->port[node][nic][out], -1};
	int net = pr->nic_net[node][nic];

	if (net >= 0)
		ks[1] = pr->net[net][out];
	for (int l = 0; l < 2; l++) {
		int rule;

		if (ks[l] < 0 || eval_policy(pr, ks[l], f, &rule))
			continue;
		v->pass = false;
		v->policy = ks[l];
		v->rule = rule;
		v->out = out;
		v->node = node;
		v->nic = nic;
		return false;
	}
	return true;
}

/* One crossing: from (an, ai) into the switch, out towards (bn, bi), with
 * this hop's MACs. */
static bool cross(struct polreach *pr, int an, int ai, int bn, int bi, struct frame *f,
		  bool keep_dst, struct polreach_verdict *v)
{
	memcpy(f->b + 6, pr->mac[an][ai], 6);
	if (!keep_dst)
		memcpy(f->b, pr->mac[bn][bi], 6);
	return eval_at(pr, an, ai, false, f, v) && eval_at(pr, bn, bi, true, f, v);
}

/* An IP frame over every hop, forwards or backwards. */
static bool travel(struct polreach *pr, const struct polreach_hop *h, int n, bool back,
		   struct frame *f, int frame, struct polreach_verdict *v)
{
	v->frame = frame;
	for (int i = 0; i < n; i++) {
		const struct polreach_hop *x = &h[back ? n - 1 - i : i];
		bool ok =
		    back ? cross(pr, x->out_node, x->out_nic, x->in_node, x->in_nic, f, false, v)
			 : cross(pr, x->in_node, x->in_nic, x->out_node, x->out_nic, f, false, v);

		if (!ok)
			return false;
	}
	return true;
}

/* An interface's first address of `family`, or `fallback`. */
static struct addr_cidr nic_addr(const struct topo *t, int node, int nic, int family,
				 const struct addr_cidr *fallback)
{
	const struct node_nic *c = &t->nodes[node].nics[nic];
	struct addr_cidr a;

	for (int i = 0; i < c->n_addrs; i++)
		if (addr_parse_any(c->addrs[i], &a) == 0 && a.family == family)
			return a;
	return *fallback;
}

bool polreach_exchange(struct polreach *pr, enum polreach_probe probe, uint16_t port,
		       const struct addr_cidr *src, const struct addr_cidr *dst,
		       const struct polreach_hop *hops, int n, struct polreach_verdict *v)
{
	struct frame f;

	*v = (struct polreach_verdict){.pass = true, .policy = -1, .rule = -1};
	if (!pr || n <= 0)
		return true;
	memset(pr->ct.e, 0, (size_t)pr->ct.size * sizeof(*pr->ct.e));
	atomic_store(&pr->ct.used, 0);
	/* each hop's neighbours find each other */
	for (int i = 0; i < n; i++) {
		const struct polreach_hop *h = &hops[i];
		struct addr_cidr a = nic_addr(pr->t, h->in_node, h->in_nic, src->family, src);
		struct addr_cidr b = nic_addr(pr->t, h->out_node, h->out_nic, src->family, dst);

		if (i == 0)
			a = *src;
		if (i == n - 1)
			b = *dst;
		neigh(&f, false, pr->mac[h->in_node][h->in_nic], NULL, &a, &b);
		v->frame = POLREACH_F_ARP_REQUEST;
		if (!cross(pr, h->in_node, h->in_nic, h->out_node, h->out_nic, &f, true, v))
			return false;
		neigh(&f, true, pr->mac[h->out_node][h->out_nic], pr->mac[h->in_node][h->in_nic],
		      &b, &a);
		v->frame = POLREACH_F_ARP_REPLY;
		if (!cross(pr, h->out_node, h->out_nic, h->in_node, h->in_nic, &f, false, v))
			return false;
	}
	eth(&f, pr->mac[0][0], pr->mac[0][0], src->family == AF_INET ? PKT_ETH_IPV4 : PKT_ETH_IPV6);
	switch (probe) {
	case POLREACH_ICMP:
		icmp_echo(&f, false, src, dst);
		if (!travel(pr, hops, n, false, &f, POLREACH_F_REQUEST, v))
			return false;
		icmp_echo(&f, true, dst, src);
		return travel(pr, hops, n, true, &f, POLREACH_F_REPLY, v);
	case POLREACH_TCP:
		tcp(&f, src, dst, PR_SPORT, port, 0x02, 0);
		if (!travel(pr, hops, n, false, &f, POLREACH_F_REQUEST, v))
			return false;
		tcp(&f, dst, src, port, PR_SPORT, 0x12, 0);
		if (!travel(pr, hops, n, true, &f, POLREACH_F_REPLY, v))
			return false;
		tcp(&f, src, dst, PR_SPORT, port, 0x18, 16);
		if (!travel(pr, hops, n, false, &f, POLREACH_F_DATA, v))
			return false;
		tcp(&f, dst, src, port, PR_SPORT, 0x18, 16);
		return travel(pr, hops, n, true, &f, POLREACH_F_DATA_REPLY, v);
	case POLREACH_UDP:
		udp(&f, src, dst, PR_SPORT, port);
		if (!travel(pr, hops, n, false, &f, POLREACH_F_REQUEST, v))
			return false;
		udp(&f, dst, src, port, PR_SPORT);
		return travel(pr, hops, n, true, &f, POLREACH_F_REPLY, v);
	}
	return true;
}

const char *polreach_frame_name(enum polreach_probe probe, int frame)
{
	static const char *const names[3][6] = {
	    {"the ARP request", "the ARP reply", "the echo request", "the echo reply", "", ""},
	    {"the ARP request", "the ARP reply", "the SYN", "the SYN+ACK", "the client's data",
	     "the server's data"},
	    {"the ARP request", "the ARP reply", "the request", "the answer", "", ""},
	};

	if ((int)probe < 0 || probe > POLREACH_UDP || frame < 0 || frame > 5)
		return "a frame";
	return names[probe][frame];
}
