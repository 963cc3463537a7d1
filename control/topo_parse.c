/* The topology parser's top level: the lab's name, its networks (name, vni,
 * subnet), its nodes (each parsed by topo_node.c), its expectations (FROM
 * reaches TO or not), and the limits on how many of each.
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"

static const char *const root_keys[] = {"name",	    "networks", "nodes", "expect",
					"policies", "switches", NULL};
static const char *const net_keys[] = {"vni", "subnet", "record", NULL};
static const char *const expect_keys[] = {"from", "to", "reach", NULL};

bool topo_short_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void parse_net(struct pctx *c, yaml_node_t *kn, yaml_node_t *v)
{
	struct topo *t = c->t;
	const char *name = ystr(kn);
	struct topo_net *tn;
	struct net_src *src;
	char what[64];
	yaml_node_t *x;

	if (!name || !name_ok(name, NODE_NAME_MAX - 1)) {
		topo_err(c->errs, ypos(kn),
			 "network name \"%.40s\" is not valid: use 1-31 characters from A-Z a-z "
			 "0-9 _ . - (not starting with . or -)",
			 name ? name : "");
		return;
	}
	if (t->n_nets >= TOPO_MAX_NETS)
		return; /* reported once by parse_root() */
	tn = &t->nets[t->n_nets];
	src = &c->net[t->n_nets];
	t->n_nets++;
	snprintf(tn->name, sizeof(tn->name), "%s", name);
	tn->line = ypos(kn).line;
	tn->col = ypos(kn).col;
	snprintf(what, sizeof(what), "network \"%s\"", name);
	if (ynull(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(v),
			 "%s must be a mapping such as { vni: 100, subnet: 10.0.0.0/24 } or {} "
			 "(got %s)",
			 what, ykind(v));
		return;
	}
	topo_check_keys(c, v, net_keys, what);
	x = topo_map_get(c, v, "vni");
	if (x) {
		unsigned long long vni;

		src->vni_at = ypos(x);
		if (topo_want_uint(c, x, what, "vni", 1, TOPO_VNI_MAX, &vni)) {
			tn->vni = (uint32_t)vni;
			src->vni_given = true;
		}
	}
	x = topo_map_get(c, v, "subnet");
	if (x) {
		const char *s =
		    topo_want_str(c, x, what, "subnet", "an IPv4 CIDR such as 10.0.0.0/24");
		struct addr_cidr sn;
		char fix[NODE_ADDR_MAX + 8];

		src->subnet_at = ypos(x);
		if (!s)
			return;
		if (addr_parse_cidr(s, &sn) < 0 || sn.family != AF_INET) {
			topo_err(c->errs, ypos(x),
				 "%s: subnet \"%.48s\" is not an IPv4 CIDR: write it like "
				 "10.0.0.0/24",
				 what, s);
		} else if (sn.plen == 0) {
			topo_err(c->errs, ypos(x),
				 "%s: subnet %s is too large: use a prefix of /1 to /32, e.g. /24",
				 what, s);
		} else if (!addr_is_network(&sn)) {
			topo_network_str(&sn, fix, sizeof(fix));
			topo_err(c->errs, ypos(x), "%s: subnet %s has host bits set: use %s", what,
				 s, fix);
		} else {
			topo_network_str(&sn, tn->subnet, sizeof(tn->subnet));
			src->subnet = sn;
			src->subnet_given = src->has_subnet = true;
		}
	}
	x = topo_map_get(c, v, "record");
	if (x) {
		unsigned long long n;

		if (topo_want_uint(c, x, what, "record", 0, TOPO_RECORD_MAX, &n))
			tn->record = (uint32_t)n;
	}
}

/* Resolves "NODE" or "NODE:IFNAME"; reports what is wrong at `at`. */
static void check_endpoint(struct pctx *c, const char *s, struct pos at, const char *key)
{
	const struct topo *t = c->t;
	char node[NODE_NAME_MAX * 2], names[200];
	const char *colon = strchr(s, ':');
	int ni;

	snprintf(node, sizeof(node), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	ni = topo_node_find(t, node);
	if (ni < 0 && c->nodes_over)
		return; /* may be one of the nodes beyond the limit */
	if (ni < 0) {
		topo_list_names(t, false, names, sizeof(names));
		topo_err(c->errs, at,
			 "expect: %s node \"%.40s\" is not defined (nodes: %s): use a node name or "
			 "NODE:IFNAME",
			 key, node, names);
		return;
	}
	if (colon) {
		const struct node *n = &t->nodes[ni];
		size_t off = 0;

		for (int i = 0; i < n->n_nics; i++)
			if (!strcmp(n->nics[i].ifname, colon + 1))
				return;
		names[0] = '\0';
		for (int i = 0; i < n->n_nics; i++)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						i ? ", " : "", n->nics[i].ifname);
		topo_err(c->errs, at,
			 "expect: node \"%s\" has no interface \"%.20s\" (interfaces: %s)", n->name,
			 colon + 1, names);
	}
}

static void parse_expect(struct pctx *c, yaml_node_t *seq)
{
	struct topo *t = c->t;

	if (ynull(seq))
		return;
	if (seq->type != YAML_SEQUENCE_NODE) {
		topo_err(c->errs, ypos(seq),
			 "expect must be a list such as [ { from: a, to: b, reach: false } ] (got "
			 "%s)",
			 ykind(seq));
		return;
	}
	SEQ_FOREACH(seq, it)
	{
		yaml_node_t *m = ynode(c, *it), *x;
		struct topo_expect *e;
		const char *s;

		if (t->n_expect == TOPO_MAX_EXPECT) {
			topo_err(c->errs, ypos(m), "expect: too many entries (at most %d)",
				 TOPO_MAX_EXPECT);
			return;
		}
		if (m->type != YAML_MAPPING_NODE) {
			topo_err(c->errs, ypos(m),
				 "expect: an entry must be a mapping such as { from: a, to: b, "
				 "reach: false } (got %s)",
				 ykind(m));
			continue;
		}
		e = &t->expect[t->n_expect++];
		e->line = ypos(m).line;
		e->col = ypos(m).col;
		e->reach = true;
		topo_check_keys(c, m, expect_keys, "expect");
		for (int k = 0; k < 2; k++) {
			const char *key = k ? "to" : "from";
			char *dst = k ? e->to : e->from;

			x = topo_map_get(c, m, key);
			if (!x) {
				topo_err(c->errs, ypos(m),
					 "expect: missing required key \"%s\" (a node name or "
					 "NODE:IFNAME)",
					 key);
				continue;
			}
			s = topo_want_str(c, x, "expect", key, "a node name or NODE:IFNAME");
			if (!s)
				continue;
			snprintf(dst, sizeof(e->from), "%.*s", (int)sizeof(e->from) - 1, s);
			check_endpoint(c, s, ypos(x), key);
		}
		x = topo_map_get(c, m, "reach");
		if (x)
			topo_want_bool(c, x, "expect", "reach", &e->reach);
	}
}

/* Reports, once, a mapping of `what` (networks, nodes) with more than `max`
 * entries, at the first one beyond the limit; the parsers ignore those. */
static void too_many(struct pctx *c, yaml_node_t *m, int max, const char *what, bool *flag)
{
	long n = (long)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);

	if (n <= max)
		return;
	*flag = true;
	topo_err(c->errs, ypos(ynode(c, m->data.mapping.pairs.start[max].key)),
		 "too many %s (at most %d): the file defines %ld; split the lab or remove some",
		 what, max, n);
}

/* Each entry of mapping m (networks, nodes) through `parse`, after the
 * limit check; an entry whose name came before is reported, not parsed. */
void topo_parse_entries(struct pctx *c, yaml_node_t *m, int max, const char *plural, bool *over,
			const char *what, const char *fix,
			void (*parse)(struct pctx *c, yaml_node_t *kn, yaml_node_t *v))
{
	yaml_node_t **firsts = topo_first_keys(c, m);

	too_many(c, m, max, plural, over);
	MAP_FOREACH(c, m, p)
	{
		yaml_node_t *kn = ynode(c, p->key);
		yaml_node_t *first = firsts ? firsts[p - m->data.mapping.pairs.start] : NULL;

		if (first)
			topo_err(c->errs, ypos(kn), "%s \"%s\" is defined twice (first at line %d): %s",
				 what, ystr(kn), ypos(first).line, fix);
		else
			parse(c, kn, ynode(c, p->value));
	}
	free(firsts);
}

bool topo_parse_root(struct pctx *c, yaml_node_t *root)
{
	struct topo *t = c->t;
	yaml_node_t *x;
	struct pos top = ypos(root);

	if (root->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, top,
			 "a topology must be a mapping with name:, networks: and nodes: (got %s)",
			 ykind(root));
		return false;
	}
	topo_check_keys(c, root, root_keys, "topology");

	x = topo_map_get(c, root, "name");
	if (!x) {
		topo_err(c->errs, top,
			 "missing required key \"name\": add name: LAB (1-20 characters from a-z "
			 "0-9 -)");
	} else {
		const char *s = topo_want_str(c, x, "topology", "name", "a lab name");

		if (s && !topo_short_name_ok(s, TOPO_LAB_NAME_MAX))
			topo_err(
			    c->errs, ypos(x),
			    "lab name \"%.40s\" is not valid: use 1-20 characters from a-z 0-9 - "
			    "(not starting with -); it prefixes namespace and interface names",
			    s);
		else if (s)
			snprintf(t->name, sizeof(t->name), "%s", s);
	}

	x = topo_map_get(c, root, "networks");
	c->nets_bad = !x || (!ynull(x) && x->type != YAML_MAPPING_NODE);
	if (!x) {
		topo_err(c->errs, top,
			 "missing required key \"networks\": add networks: { lan1: {} } and put "
			 "nodes on them");
	} else if (!ynull(x) && x->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(x),
			 "networks must be a mapping of network name to { vni, subnet } (got %s)",
			 ykind(x));
	} else if (!ynull(x)) {
		topo_parse_entries(c, x, TOPO_MAX_NETS, "networks", &c->nets_bad, "network",
				   "rename or merge one", parse_net);
	}

	/* before the nodes, whose switch: keys name them */
	x = topo_map_get(c, root, "switches");
	if (x)
		topo_parse_switches(c, x);

	x = topo_map_get(c, root, "nodes");
	if (!x) {
		topo_err(c->errs, top,
			 "missing required key \"nodes\": add nodes: { NAME: { interfaces: [ { "
			 "network: NET } ] } }");
	} else if (!ynull(x) && x->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(x), "nodes must be a mapping of node name to node (got %s)",
			 ykind(x));
	} else if (ynull(x) || x->data.mapping.pairs.top == x->data.mapping.pairs.start) {
		topo_err(c->errs, ypos(x),
			 "the lab has no nodes: add at least one under nodes:, e.g. a1: { "
			 "interfaces: [ { network: NET } ] }");
	} else {
		topo_parse_entries(c, x, TOPO_MAX_NODES, "nodes", &c->nodes_over, "node",
				   "rename one", topo_parse_node);
	}
	for (int ni = 0; ni < t->n_nodes; ni++)
		topo_check_ifnames(c, ni);

	x = topo_map_get(c, root, "expect");
	if (x)
		parse_expect(c, x);
	/* names in rules resolve to addresses: parsed once they are assigned */
	c->policies = topo_map_get(c, root, "policies");
	return true;
}
