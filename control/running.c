/* What a lab really runs; see running.h.
 *
 * Threads: the caller's; pure. */
#include "running.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The part of switch name `name` after "LAB.", or NULL for another lab's. */
static const char *lab_part(const char *lab, const char *name)
{
	size_t n = strlen(lab);

	if (!name || strncmp(name, lab, n) != 0 || name[n] != '.')
		return NULL;
	return name + n + 1;
}

/* The entry named `name` of a port.list result, or NULL. */
static json_t *port_find(json_t *ports, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(ports, i, p)
	{
		const char *pn = json_string_value(json_object_get(p, "name"));

		if (pn && !strcmp(pn, name))
			return p;
	}
	return NULL;
}

static enum running_port nic_port(const char *lab, const struct node_nic *c, json_t *ports)
{
	json_t *p = port_find(ports, c->port);
	const char *net;

	if (!p)
		return RUNNING_PORT_MISSING;
	net = lab_part(lab, json_string_value(json_object_get(p, "network")));
	return net && !strcmp(net, c->network) ? RUNNING_PORT_OK : RUNNING_PORT_ELSEWHERE;
}

/* True when a live node of t has a NIC whose switch port is `name`. */
static bool port_owned(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_nics; k++)
			if (!strcmp(t->nodes[i].nics[k].port, name))
				return true;
	return false;
}

int running_build(const char *lab, json_t *nets, json_t *ports, const struct node *nodes,
		  const bool *alive, int n, struct running *out)
{
	struct topo *t;
	json_t *o;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!lab || n < 0 || (n && (!nodes || !alive)))
		return -EINVAL;
	t = out->t = topo_new();
	out->ports = calloc(n ? (size_t)n : 1, sizeof(*out->ports));
	out->stale = calloc(json_array_size(ports) + 1, sizeof(*out->stale));
	if (!t || !out->ports || !out->stale)
		return -ENOMEM;
	snprintf(t->name, sizeof(t->name), "%s", lab);

	json_array_foreach(nets, i, o)
	{
		const char *name = lab_part(lab, json_string_value(json_object_get(o, "name")));
		json_int_t vni = json_integer_value(json_object_get(o, "vni"));
		struct topo_net *tn;

		if (!name || !*name || strlen(name) >= sizeof(tn->name))
			continue;
		if (t->n_nets == TOPO_MAX_NETS)
			return -E2BIG;
		tn = &t->nets[t->n_nets++];
		snprintf(tn->name, sizeof(tn->name), "%s", name);
		tn->vni = (uint32_t)vni;
	}
	for (int k = 0; k < n; k++) {
		if (!alive[k])
			continue;
		if (t->n_nodes == TOPO_MAX_NODES)
			return -E2BIG;
		t->nodes[t->n_nodes] = nodes[k];
		for (int c = 0; c < nodes[k].n_nics && c < NODE_MAX_NICS; c++)
			out->ports[t->n_nodes][c] =
			    (uint8_t)nic_port(lab, &nodes[k].nics[c], ports);
		t->n_nodes++;
	}
	json_array_foreach(ports, i, o)
	{
		const char *name = json_string_value(json_object_get(o, "name"));

		if (!lab_part(lab, name) || strlen(name) >= NODE_NAME_MAX || port_owned(t, name))
			continue;
		snprintf(out->stale[out->n_stale++], NODE_NAME_MAX, "%s", name);
	}
	return 0;
}

void running_free(struct running *r)
{
	if (!r)
		return;
	topo_free(r->t);
	free(r->ports);
	free(r->stale);
	memset(r, 0, sizeof(*r));
}

int running_vni_clash(const char *lab, const char *net, uint32_t vni, bool vni_auto, json_t *nets,
		      char *msg, size_t len)
{
	char mine[NODE_NAME_MAX * 2];
	json_t *o;
	size_t i;

	snprintf(mine, sizeof(mine), "%s.%s", lab, net);
	json_array_foreach(nets, i, o)
	{
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *dot;
		char other[NODE_NAME_MAX];
		int w;

		if (!name || !strcmp(name, mine) ||
		    json_integer_value(json_object_get(o, "vni")) != (json_int_t)vni)
			continue;
		w = snprintf(msg, len, "network %s of lab %s uses VNI %u%s of network %s", net, lab,
			     vni, vni_auto ? " (chosen automatically)" : "", name);
		if (w < 0 || (size_t)w >= len)
			return 1;
		msg += w;
		len -= (size_t)w;
		dot = strchr(name, '.');
		if (!dot || (size_t)(dot - name) >= sizeof(other)) {
			snprintf(msg, len,
				 ", which no lab made: give it another vni: in the topology, or "
				 "delete network %s (vlab switch network del %s)",
				 name, name);
			return 1;
		}
		snprintf(other, sizeof(other), "%.*s", (int)(dot - name), name);
		if (!strcmp(other, lab))
			snprintf(msg, len,
				 ": give it another vni: in the topology, or delete network %s "
				 "(vlab switch network del %s)",
				 name, name);
		else
			snprintf(msg, len,
				 ": give it another vni: in the topology, or stop lab %s (vlab "
				 "down %s)",
				 other, other);
		return 1;
	}
	return 0;
}
