/* The topology's automatic values, the same for the same file (see
 * docs/topology.md, "Automatic values"): VNIs (the smallest free from
 * TOPO_VNI_AUTO, in file order; given VNIs used twice are reported here),
 * subnets (the subnet of the first address given on the network, else the
 * first free 10.X.Y.0/24 from 10.100.0.0/24) and addresses (the next free
 * host address of the subnet).
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void topo_assign_vnis(struct pctx *c)
{
	struct topo *t = c->t;
	/* the smallest free VNI only grows as networks take them: each search
	 * goes on from the last VNI assigned */
	uint32_t v = TOPO_VNI_AUTO;

	for (int i = 0; i < t->n_nets; i++) {
		if (!c->net[i].vni_given)
			continue;
		for (int j = 0; j < i; j++) {
			if (!c->net[j].vni_given || t->nets[j].vni != t->nets[i].vni)
				continue;
			topo_err(c->errs, c->net[i].vni_at,
				 "network \"%s\": VNI %u is already used by network \"%s\" (line "
				 "%d): choose another VNI or leave vni out for a free one",
				 t->nets[i].name, t->nets[i].vni, t->nets[j].name, t->nets[j].line);
			break;
		}
	}
	for (int i = 0; i < t->n_nets; i++) {
		bool used;

		if (c->net[i].vni_given)
			continue;
		do {
			used = false;
			for (int j = 0; j < t->n_nets && !used; j++)
				used = (c->net[j].vni_given || t->nets[j].vni_auto) &&
				       t->nets[j].vni == v;
			if (used)
				v++;
		} while (used);
		t->nets[i].vni = v;
		t->nets[i].vni_auto = true;
	}
}

static bool v4_overlap(uint32_t a, unsigned int pa, uint32_t b, unsigned int pb)
{
	unsigned int p = pa < pb ? pa : pb;

	return (a & topo_v4mask(p)) == (b & topo_v4mask(p));
}

void topo_assign_subnets(struct pctx *c)
{
	struct topo *t = c->t;
	uint32_t cand = 10u << 24 | 100u << 16; /* 10.100.0.0/24 */

	/* a network without subnet takes the one of its first IPv4 address */
	for (int i = 0; i < t->n_nets; i++) {
		struct net_src *ns = &c->net[i];

		for (int ni = 0; ni < t->n_nodes && !ns->has_subnet; ni++) {
			struct node *n = &t->nodes[ni];

			for (int k = 0; k < n->n_nics && !ns->has_subnet; k++) {
				struct nic_src *s = &c->node[ni].nic[k];

				if (s->net != i)
					continue;
				for (int a = 0; a < n->nics[k].n_addrs; a++) {
					if (!s->ip_ok[a] || s->ip[a].family != AF_INET)
						continue;
					ns->subnet = s->ip[a];
					topo_network_str(&s->ip[a], t->nets[i].subnet,
							 sizeof(t->nets[i].subnet));
					addr_parse_cidr(t->nets[i].subnet, &ns->subnet);
					ns->has_subnet = true;
					ns->from_at = s->ip_at[a];
					snprintf(ns->from, sizeof(ns->from), "%s",
						 n->nics[k].addrs[a]);
					t->nets[i].subnet_auto = true;
					break;
				}
			}
		}
	}
	/* the others: the first free 10.X.Y.0/24 from 10.100.0.0/24 up */
	for (int i = 0; i < t->n_nets; i++) {
		struct net_src *ns = &c->net[i];
		bool clash;

		if (ns->has_subnet)
			continue;
		do {
			clash = false;
			for (int j = 0; j < t->n_nets && !clash; j++)
				clash = c->net[j].has_subnet &&
					v4_overlap(cand, 24, addr_v4(&c->net[j].subnet),
						   c->net[j].subnet.plen);
			if (clash)
				cand += 256;
		} while (clash && cand >> 24 == 10);
		if (cand >> 24 != 10) {
			topo_err(
			    c->errs, (struct pos){t->nets[i].line, t->nets[i].col},
			    "network \"%s\": no free 10.X.Y.0/24 subnet left: give it a subnet",
			    t->nets[i].name);
			continue;
		}
		topo_v4str(cand, 24, t->nets[i].subnet, sizeof(t->nets[i].subnet));
		addr_parse_cidr(t->nets[i].subnet, &ns->subnet);
		ns->has_subnet = true;
		t->nets[i].subnet_auto = true;
		cand += 256;
	}
}

static bool v4_used(struct pctx *c, int net, uint32_t ad)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++)
		for (int k = 0; k < t->nodes[ni].n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];

			if (s->net != net)
				continue;
			for (int a = 0; a < t->nodes[ni].nics[k].n_addrs; a++)
				if (s->ip_ok[a] && s->ip[a].family == AF_INET &&
				    addr_v4(&s->ip[a]) == ad)
					return true;
		}
	return false;
}

/* Interfaces without ip: the next free host address of the subnet, in file
 * order, skipping addresses given anywhere on the network. */
void topo_assign_addrs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int i = 0; i < t->n_nets; i++) {
		struct net_src *ns = &c->net[i];

		if (ns->has_subnet)
			ns->next_host = addr_v4(&ns->subnet) + (ns->subnet.plen <= 30 ? 1 : 0);
	}
	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int k = 0; k < n->n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];
			struct net_src *ns;
			uint32_t last, ad;
			char label[96];

			if (s->ip_given || s->net < 0 || !c->net[s->net].has_subnet)
				continue;
			ns = &c->net[s->net];
			last = addr_v4(&ns->subnet) | ~topo_v4mask(ns->subnet.plen);
			if (ns->subnet.plen <= 30)
				last--;
			ad = ns->next_host;
			while (ad <= last && ad != 0 && v4_used(c, s->net, ad))
				ad++;
			if (ad > last || ad == 0 || ad < addr_v4(&ns->subnet)) {
				topo_err(c->errs, s->at,
					 "%s: no free address left in subnet %s of network \"%s\": "
					 "give the network a larger subnet",
					 topo_nic_label(n, k, label, sizeof(label)),
					 t->nets[s->net].subnet, t->nets[s->net].name);
				ns->next_host = 0;
				continue;
			}
			topo_v4str(ad, ns->subnet.plen, n->nics[k].addrs[0], NODE_ADDR_MAX);
			addr_parse_cidr(n->nics[k].addrs[0], &s->ip[0]);
			s->ip_ok[0] = true;
			s->ip_at[0] = s->at;
			n->nics[k].n_addrs = 1;
			ns->next_host = ad + 1;
		}
	}
}
