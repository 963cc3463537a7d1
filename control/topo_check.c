/* The topology's cross-checks, what its parts say about each other: given
 * IPv4 addresses inside their network's subnet and host addresses, no
 * address twice on a network, MACs, routes whose next hop is on a subnet of
 * the node's own addresses, and what vmhost will check again before starting
 * a node (its kind's check).
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kind.h"
#include "mac.h"

/* Given IPv4 addresses: inside the subnet, same prefix, a host address. */
void topo_check_given_addrs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int k = 0; k < n->n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];
			struct net_src *ns;
			char label[96], from[NODE_ADDR_MAX + 40] = "";
			const char *tn;

			if (s->net < 0 || !c->net[s->net].has_subnet)
				continue;
			ns = &c->net[s->net];
			tn = t->nets[s->net].name;
			if (ns->from[0])
				snprintf(from, sizeof(from), " (taken from %s at line %d)",
					 ns->from, ns->from_at.line);
			topo_nic_label(n, k, label, sizeof(label));
			for (int a = 0; a < n->nics[k].n_addrs; a++) {
				uint32_t ad, net = addr_v4(&ns->subnet),
					     m = topo_v4mask(ns->subnet.plen);
				char fix[NODE_ADDR_MAX];

				if (!s->ip_ok[a] || s->ip[a].family != AF_INET)
					continue;
				ad = addr_v4(&s->ip[a]);
				if ((ad & m) != net) {
					topo_err(c->errs, s->ip_at[a],
						 "%s: address %s is outside subnet %s of network "
						 "\"%s\"%s: use an address in %s",
						 label, n->nics[k].addrs[a], t->nets[s->net].subnet,
						 tn, from, t->nets[s->net].subnet);
					continue;
				}
				if (s->ip[a].plen != ns->subnet.plen) {
					char host[INET6_ADDRSTRLEN];

					addr_format(&s->ip[a], host, sizeof(host));
					snprintf(fix, sizeof(fix), "%s/%u", host, ns->subnet.plen);
					topo_err(c->errs, s->ip_at[a],
						 "%s: address %s has prefix /%u but subnet %s of "
						 "network \"%s\" is /%u: use %s",
						 label, n->nics[k].addrs[a], s->ip[a].plen,
						 t->nets[s->net].subnet, tn, ns->subnet.plen, fix);
					continue;
				}
				if (ns->subnet.plen <= 30 && (ad == net || ad == (net | ~m)))
					topo_err(
					    c->errs, s->ip_at[a],
					    "%s: address %s is the %s address of subnet %s: use a "
					    "host address",
					    label, n->nics[k].addrs[a],
					    ad == net ? "network" : "broadcast",
					    t->nets[s->net].subnet);
			}
		}
	}
}

/* The same address twice on one network. */
void topo_check_dup_addrs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int k = 0; k < n->n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];

			for (int a = 0; a < n->nics[k].n_addrs; a++) {
				bool found = false;

				if (!s->ip_ok[a] || s->net < 0)
					continue;
				/* every earlier (node, nic, address) on the same network */
				for (int nj = 0; nj <= ni && !found; nj++) {
					struct node *o = &t->nodes[nj];

					for (int q = 0; q < o->n_nics && !found; q++) {
						struct nic_src *os = &c->node[nj].nic[q];

						if (nj == ni && q > k)
							break;
						if (os->net != s->net)
							continue;
						for (int b = 0; b < o->nics[q].n_addrs; b++) {
							char host[INET6_ADDRSTRLEN], label[96];

							if (nj == ni && q == k && b >= a)
								break;
							if (!os->ip_ok[b] ||
							    !topo_same_addr(&os->ip[b], &s->ip[a]))
								continue;
							addr_format(&s->ip[a], host, sizeof(host));
							topo_err(
							    c->errs, s->ip_at[a],
							    "%s: address %s is already used on "
							    "network \"%s\" by node \"%s\" "
							    "interface %s (line %d): pick another "
							    "or leave ip out",
							    topo_nic_label(n, k, label,
									   sizeof(label)),
							    host, t->nets[s->net].name, o->name,
							    o->nics[q].ifname, os->ip_at[b].line);
							found = true;
							break;
						}
					}
				}
			}
		}
	}
}

void topo_check_macs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++)
		for (int k = 0; k < t->nodes[ni].n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];
			bool found = false;

			if (!s->mac_given)
				continue;
			for (int nj = 0; nj <= ni && !found; nj++)
				for (int q = 0; q < t->nodes[nj].n_nics; q++) {
					char label[96];

					if (nj == ni && q == k)
						break;
					if (!c->node[nj].nic[q].mac_given ||
					    memcmp(t->nodes[nj].nics[q].mac,
						   t->nodes[ni].nics[k].mac, 6))
						continue;
					topo_err(
					    c->errs, s->mac_at,
					    "%s: MAC %02x:%02x:%02x:%02x:%02x:%02x is already "
					    "used by node \"%s\" interface %s (line %d): give "
					    "another or leave mac out",
					    topo_nic_label(&t->nodes[ni], k, label, sizeof(label)),
					    t->nodes[ni].nics[k].mac[0],
					    t->nodes[ni].nics[k].mac[1],
					    t->nodes[ni].nics[k].mac[2],
					    t->nodes[ni].nics[k].mac[3],
					    t->nodes[ni].nics[k].mac[4],
					    t->nodes[ni].nics[k].mac[5], t->nodes[nj].name,
					    t->nodes[nj].nics[q].ifname,
					    c->node[nj].nic[q].mac_at.line);
					found = true;
					break;
				}
		}
}

/* Next hops on a subnet of the node's own addresses; no destination twice. */
void topo_check_routes(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int r = 0; r < n->n_routes; r++) {
			struct route_src *rs = &c->node[ni].rt[r];
			char mine[160] = "";
			size_t off = 0;
			bool onlink = false;

			if (!rs->via_ok)
				continue;
			for (int k = 0; k < n->n_nics && !onlink; k++) {
				struct nic_src *s = &c->node[ni].nic[k];

				for (int a = 0; a < n->nics[k].n_addrs; a++) {
					if (!s->ip_ok[a])
						continue;
					if (addr_contains(&s->ip[a], &rs->via)) {
						onlink = true;
						break;
					}
					if (off < sizeof(mine))
						off += (size_t)snprintf(
						    mine + off, sizeof(mine) - off, "%s%s",
						    off ? ", " : "", n->nics[k].addrs[a]);
				}
			}
			if (rs->via.family == AF_INET6 && rs->via.addr[0] == 0xfe &&
			    (rs->via.addr[1] & 0xc0) == 0x80)
				onlink = true; /* link-local next hop */
			if (!onlink)
				topo_err(
				    c->errs, rs->via_at,
				    "node \"%s\": route via %s is not on a subnet of the node's "
				    "addresses (%s): use a next hop in one of them",
				    n->name, n->routes[r].via, mine[0] ? mine : "none");
			for (int q = 0; q < r; q++) {
				struct route_src *o = &c->node[ni].rt[q];
				bool same;

				if (!o->to_ok || !rs->to_ok || !o->via_ok)
					continue;
				if (rs->to_default || o->to_default)
					same = rs->to_default && o->to_default &&
					       rs->via.family == o->via.family;
				else
					same = topo_same_addr(&rs->to, &o->to) &&
					       rs->to.plen == o->to.plen;
				if (same) {
					topo_err(
					    c->errs, rs->to_at,
					    "node \"%s\": a route to %s is given twice (first at "
					    "line %d): keep one",
					    n->name, n->routes[r].dst, o->to_at.line);
					break;
				}
			}
		}
	}
}

/* What vmhost will check again before starting a node: catches anything
 * missed here and guest configurations too long for the kernel command line. */
void topo_check_vmhost(struct pctx *c)
{
	struct topo *t = c->t;
	struct node *tmp = malloc(sizeof(*tmp));
	char err[200];

	if (!tmp)
		return;
	for (int ni = 0; ni < t->n_nodes; ni++) {
		int rc;

		*tmp = t->nodes[ni];
		for (int k = 0; k < tmp->n_nics; k++) {
			static const uint8_t zero[6];

			/* placeholders of the size of the MACs vmhost derives */
			if (!memcmp(tmp->nics[k].mac, zero, 6)) {
				const uint8_t m[6] = {0x52, 0x54, 0, 0xfe, (uint8_t)ni, (uint8_t)k};

				memcpy(tmp->nics[k].mac, m, 6);
			}
		}
		err[0] = '\0';
		rc = kind_of(tmp->kind)->check(tmp, err, sizeof(err));
		if (rc < 0)
			topo_err(c->errs, c->node[ni].at, "node \"%s\": %s", t->nodes[ni].name,
				 err);
	}
	free(tmp);
}
