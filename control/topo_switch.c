/* The topology's switches: the `switches:` section (each switch's name,
 * underlay address, MTU, next hop and kernel interface), the `switch:` key
 * of nodes, the networks that span switches and the MTU their interfaces
 * get (the underlay's less the VXLAN overhead). docs/topology.md and
 * docs/vxlan.md describe them.
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static const char *const switch_keys[] = {"underlay", "mtu", "next_hop", "interface", NULL};

static uint32_t v4(const struct addr_cidr *a)
{
	return (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 | (uint32_t)a->addr[2] << 8 |
	       a->addr[3];
}

static void parse_underlay(struct pctx *c, struct topo_switch *sw, yaml_node_t *x, const char *what)
{
	const char *s = topo_want_str(c, x, what, "underlay",
				      "the switch's underlay address, an IPv4 CIDR such as "
				      "198.51.100.1/24");
	struct addr_cidr a;
	uint32_t host;

	if (!s)
		return;
	if (addr_parse_cidr(s, &a) < 0 || a.family != AF_INET) {
		topo_err(c->errs, ypos(x),
			 "%s: underlay \"%.48s\" is not an IPv4 address with its prefix: write it "
			 "like 198.51.100.1/24",
			 what, s);
		return;
	}
	host = v4(&a) & ~topo_v4mask(a.plen);
	if (a.plen == 0 || (a.plen < 31 && (host == 0 || host == ~topo_v4mask(a.plen)))) {
		topo_err(c->errs, ypos(x),
			 "%s: underlay %s is not a host address of its subnet: use an address "
			 "such as 198.51.100.1/24 (not the network or broadcast address, prefix "
			 "/1 to /32)",
			 what, s);
		return;
	}
	sw->addr = v4(&a);
	sw->plen = (uint8_t)a.plen;
	topo_v4str(sw->addr, sw->plen, sw->underlay, sizeof(sw->underlay));
}

static void parse_switch(struct pctx *c, yaml_node_t *kn, yaml_node_t *v)
{
	struct topo *t = c->t;
	const char *name = ystr(kn), *s;
	struct topo_switch *sw;
	char what[64];
	yaml_node_t *x;

	if (!name || !topo_short_name_ok(name, TOPO_SWITCH_NAME_MAX)) {
		topo_err(c->errs, ypos(kn),
			 "switch name \"%.40s\" is not valid: use 1-%d characters from a-z 0-9 - "
			 "(not starting with -)",
			 name ? name : "", TOPO_SWITCH_NAME_MAX);
		return;
	}
	if (t->n_switches >= TOPO_MAX_SWITCHES)
		return; /* reported once by the caller */
	sw = &t->switches[t->n_switches++];
	snprintf(sw->name, sizeof(sw->name), "%s", name);
	sw->line = ypos(kn).line;
	sw->col = ypos(kn).col;
	sw->mtu = TOPO_UNDERLAY_MTU;
	snprintf(what, sizeof(what), "switch \"%s\"", name);
	if (ynull(v) || v->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(ynull(v) ? kn : v),
			 "%s must be a mapping such as { underlay: 198.51.100.1/24 } (got %s)",
			 what, ykind(v));
		return;
	}
	topo_check_keys(c, v, switch_keys, what);
	x = topo_map_get(c, v, "underlay");
	if (!x)
		topo_err(c->errs, ypos(v),
			 "%s: missing required key \"underlay\" (its underlay address, e.g. "
			 "198.51.100.1/24)",
			 what);
	else
		parse_underlay(c, sw, x, what);
	x = topo_map_get(c, v, "mtu");
	if (x) {
		unsigned long long mtu;

		if (topo_want_uint(c, x, what, "mtu", TOPO_UNDERLAY_MTU_MIN, TOPO_UNDERLAY_MTU_MAX,
				   &mtu))
			sw->mtu = (uint32_t)mtu;
	}
	x = topo_map_get(c, v, "next_hop");
	if (x &&
	    (s = topo_want_str(c, x, what, "next_hop", "an IPv4 address such as 198.51.100.254"))) {
		struct addr_cidr a;

		if (addr_parse(s, &a) < 0 || a.family != AF_INET) {
			topo_err(c->errs, ypos(x),
				 "%s: next_hop \"%.48s\" is not an IPv4 address: write it like "
				 "198.51.100.254 (no /prefix)",
				 what, s);
		} else if (sw->plen && ((v4(&a) ^ sw->addr) & topo_v4mask(sw->plen))) {
			topo_err(c->errs, ypos(x),
				 "%s: next_hop %s is outside its underlay subnet %s: use a router "
				 "on that subnet",
				 what, s, sw->underlay);
		} else if (sw->plen && v4(&a) == sw->addr) {
			topo_err(c->errs, ypos(x),
				 "%s: next_hop %s is the switch's own address: use a router on "
				 "its subnet or leave next_hop out",
				 what, s);
		} else {
			sw->next_hop = v4(&a);
			snprintf(sw->next_hop_str, sizeof(sw->next_hop_str), "%s", s);
		}
	}
	x = topo_map_get(c, v, "interface");
	if (x && (s = topo_want_str(c, x, what, "interface",
				    "the kernel interface of the underlay, such as eth1"))) {
		if (strlen(s) == 0 || strlen(s) >= sizeof(sw->ifname) || strchr(s, '/') ||
		    strchr(s, ' ') || !strcmp(s, ".") || !strcmp(s, ".."))
			topo_err(c->errs, ypos(x),
				 "%s: interface \"%.40s\" is not a kernel interface name: use "
				 "1-15 characters without / or spaces, such as eth1",
				 what, s);
		else
			snprintf(sw->ifname, sizeof(sw->ifname), "%s", s);
	}
}

void topo_parse_switches(struct pctx *c, yaml_node_t *v)
{
	struct topo *t = c->t;
	bool over = false;

	if (ynull(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(v),
			 "switches must be a mapping of switch name to { underlay: ADDRESS/PREFIX "
			 "} (got %s)",
			 ykind(v));
		return;
	}
	topo_parse_entries(c, v, TOPO_MAX_SWITCHES, "switches", &over, "switch", "rename one",
			   parse_switch);
	c->switches_given = true;
	/* two switches on one address cannot tell their frames apart */
	for (int i = 0; i < t->n_switches; i++)
		for (int k = 0; k < i; k++)
			if (t->switches[i].plen && t->switches[k].plen &&
			    t->switches[i].addr == t->switches[k].addr)
				topo_err(c->errs,
					 (struct pos){t->switches[i].line, t->switches[i].col},
					 "switch \"%s\": underlay %s is switch \"%s\"'s too (line "
					 "%d): give each switch its own address",
					 t->switches[i].name, t->switches[i].underlay,
					 t->switches[k].name, t->switches[k].line);
}

void topo_parse_node_switch(struct pctx *c, int ni, yaml_node_t *x)
{
	struct topo *t = c->t;
	const char *s;
	char names[200], what[64];
	size_t off = 0;
	int i;

	snprintf(what, sizeof(what), "node \"%s\"", t->nodes[ni].name);
	s = topo_want_str(c, x, what, "switch", "the name of a switch of switches:");
	if (!s)
		return;
	i = topo_switch_find(t, s);
	if (i >= 0) {
		t->node_switch[ni] = i;
		return;
	}
	names[0] = '\0';
	for (int k = 0; k < t->n_switches && off < sizeof(names); k++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", k ? ", " : "",
					t->switches[k].name);
	if (!c->switches_given)
		topo_err(c->errs, ypos(x),
			 "%s: switch \"%.40s\" is not defined: the file has no switches: "
			 "section; add switches: { %.40s: { underlay: 198.51.100.1/24 } } or "
			 "remove the key",
			 what, s, s);
	else
		topo_err(c->errs, ypos(x),
			 "%s: switch \"%.40s\" is not defined (switches: %s): define it "
			 "under switches: or fix the name",
			 what, s, names);
}

uint64_t topo_net_switches(const struct topo *t, int net)
{
	uint64_t m = 0;

	for (int ni = 0; ni < t->n_nodes; ni++)
		for (int k = 0; k < t->nodes[ni].n_nics; k++)
			if (topo_net_find(t, t->nodes[ni].nics[k].network) == net)
				m |= 1ull << t->node_switch[ni];
	return m;
}

/* The largest frame (inner MTU) that crosses every switch of mask m. */
static uint32_t span_mtu(const struct topo *t, uint64_t m)
{
	uint32_t mtu = UINT32_MAX;

	for (int i = 0; i < t->n_switches; i++)
		if ((m >> i & 1) && t->switches[i].mtu - API_VXLAN_OVERHEAD < mtu)
			mtu = t->switches[i].mtu - API_VXLAN_OVERHEAD;
	return mtu;
}

/* Whether switch a reaches switch b's underlay address: on its subnet, or
 * through its next hop. */
static bool reaches(const struct topo_switch *a, const struct topo_switch *b)
{
	return a->next_hop || !((a->addr ^ b->addr) & topo_v4mask(a->plen));
}

void topo_check_switches(struct pctx *c)
{
	struct topo *t = c->t;
	char lbl[96];

	if (t->n_switches < 2)
		return;
	for (int net = 0; net < t->n_nets; net++) {
		uint64_t m = topo_net_switches(t, net);
		uint32_t mtu;

		if ((m & (m - 1)) == 0)
			continue; /* on one switch or none */
		for (int i = 0; i < t->n_switches; i++)
			for (int k = 0; k < t->n_switches; k++)
				if (i != k && (m >> i & 1) && (m >> k & 1) && t->switches[i].plen &&
				    t->switches[k].plen &&
				    !reaches(&t->switches[i], &t->switches[k]))
					topo_err(
					    c->errs,
					    (struct pos){t->switches[i].line, t->switches[i].col},
					    "switch \"%s\" (underlay %s) cannot reach switch "
					    "\"%s\" (%s) for network \"%s\": put both on one "
					    "subnet or give \"%s\" a next_hop",
					    t->switches[i].name, t->switches[i].underlay,
					    t->switches[k].name, t->switches[k].underlay,
					    t->nets[net].name, t->switches[i].name);
		mtu = span_mtu(t, m);
		for (int ni = 0; ni < t->n_nodes; ni++) {
			struct node *n = &t->nodes[ni];

			for (int k = 0; k < n->n_nics; k++) {
				struct node_nic *nic = &n->nics[k];

				if (topo_net_find(t, nic->network) != net)
					continue;
				if (nic->mtu == 0) {
					nic->mtu = mtu; /* fits the underlay */
				} else if (nic->mtu > mtu) {
					topo_nic_label(n, k, lbl, sizeof(lbl));
					topo_err(
					    c->errs,
					    (struct pos){t->node_line[ni], t->node_col[ni]},
					    "%s: mtu %u is too large for network \"%s\", which "
					    "spans switches over VXLAN: at most %u (the "
					    "underlay MTU less %d bytes); lower it or leave "
					    "mtu out",
					    lbl, nic->mtu, t->nets[net].name, mtu,
					    API_VXLAN_OVERHEAD);
				}
			}
		}
	}
}

int topo_switch_find(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_switches; i++)
		if (!strcmp(t->switches[i].name, name))
			return i;
	return -1;
}
