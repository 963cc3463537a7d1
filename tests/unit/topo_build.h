/* Builders of topology models for unit tests of the planner, reachability
 * and graphs: small labs written in C, without the YAML parser. */
#ifndef VLAB_TEST_TOPO_BUILD_H
#define VLAB_TEST_TOPO_BUILD_H

#include <stdio.h>

#include "topo.h"

static inline void add_net(struct topo *t, const char *name, uint32_t vni, const char *subnet)
{
	struct topo_net *n = &t->nets[t->n_nets++];

	snprintf(n->name, sizeof(n->name), "%s", name);
	n->vni = vni;
	snprintf(n->subnet, sizeof(n->subnet), "%s", subnet);
}

static inline struct node *add_node(struct topo *t, const char *name, enum node_kind kind)
{
	struct node *n = &t->nodes[t->n_nodes++];

	snprintf(n->name, sizeof(n->name), "%s", name);
	n->kind = kind;
	n->cpus = 1;
	n->mem_mib = 128;
	return n;
}

static inline struct node_nic *add_nic(struct node *n, const char *ifname, const char *net,
				       const char *addr)
{
	struct node_nic *c = &n->nics[n->n_nics++];

	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	snprintf(c->network, sizeof(c->network), "%s", net);
	if (addr)
		snprintf(c->addrs[c->n_addrs++], NODE_ADDR_MAX, "%s", addr);
	return c;
}

#endif
