/* The topology parser's `policies:` section (docs/policy.md): each policy's
 * default, where it applies (networks, node interfaces' switch ports, per
 * direction) and its rules. Names in a rule's src and dst (a node, NODE:IFNAME,
 * a network) resolve to the lab's addresses and subnets; each rule is then
 * checked with the switch's own rule parser (switch/policy/rule.h), so a file
 * that validates is one the switch takes. Rules an earlier rule shadows are
 * warnings. A file's policies against a running lab: topo_polfile.c.
 *
 * Pure; the caller's thread. Runs after the nodes' addresses are assigned. */
#include "topo_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "rule.h"

#define SHADOW_CHECK_MAX 4096 /* matches of a policy checked for shadowed rules */
#define SW_NAME_MAX	 31   /* switch object names: LAB.POLICY */

static const char *const policy_keys[] = {"apply", "default", "rules", NULL};
static const char *const apply_keys[] = {"network", "node", "port", "direction", NULL};
static const char *const rule_keys[] = {
    "action", "name",  "eth_src",   "eth_dst",	 "ethertype", "vlan",	  "src",  "dst",   "proto",
    "sport",  "dport", "icmp_type", "icmp_code", "tcp_flags", "stateful", "rate", "burst", NULL,
};

/* ---- values ---- */

static bool plain(const yaml_node_t *v)
{
	return v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* A rule's scalar as JSON: plain true/false a boolean, plain digits a
 * number, anything else (quoted too) a string. */
static json_t *scalar_json(const yaml_node_t *v)
{
	const char *s = ystr(v);
	size_t n = strlen(s);

	if (plain(v) && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
		return json_true();
	if (plain(v) && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
		return json_false();
	if (plain(v) && n > 0 && n <= 18 && strspn(s, "0123456789") == n)
		return json_integer(strtoll(s, NULL, 10));
	return json_string(s);
}

/* Appends prefix s to arr unless it is there. */
static void add_prefix(json_t *arr, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		if (!strcmp(json_string_value(e), s))
			return;
	}
	json_array_append_new(arr, json_string(s));
}

/* The host prefixes of an interface's addresses ("10.0.0.1/32"). */
static void nic_prefixes(const struct node_nic *nic, json_t *arr)
{
	for (int k = 0; k < nic->n_addrs && k < NODE_MAX_ADDRS; k++) {
		struct addr_cidr a;
		char buf[NODE_ADDR_MAX + 8], ip[NODE_ADDR_MAX];

		if (addr_parse_any(nic->addrs[k], &a) < 0)
			continue;
		addr_format(&a, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s/%d", ip, a.family == AF_INET ? 32 : 128);
		add_prefix(arr, buf);
	}
}

/* A network's subnets: its IPv4 subnet and the IPv6 networks of the
 * addresses on it. */
static void net_prefixes(const struct topo *t, int ni, json_t *arr)
{
	const struct topo_net *tn = &t->nets[ni];

	if (tn->subnet[0])
		add_prefix(arr, tn->subnet);
	for (int i = 0; i < t->n_nodes; i++)
		for (int j = 0; j < t->nodes[i].n_nics; j++) {
			const struct node_nic *nic = &t->nodes[i].nics[j];

			if (strcmp(nic->network, tn->name))
				continue;
			for (int k = 0; k < nic->n_addrs; k++) {
				struct addr_cidr a;
				char buf[NODE_ADDR_MAX + 8];

				if (addr_parse_cidr(nic->addrs[k], &a) < 0 || a.family != AF_INET6)
					continue;
				topo_network_str(&a, buf, sizeof(buf));
				add_prefix(arr, buf);
			}
		}
}

/* "eth0, eth1" of node n. */
static void ifname_list(const struct node *n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n->n_nics && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					n->nics[i].ifname);
}

/* NODE:IFNAME: the node's index and its interface's into *ni, *ki; false
 * with the problem reported at `at`. */
static bool find_nic(struct pctx *c, const char *what, const char *s, struct pos at, int *ni,
		     int *ki)
{
	const struct topo *t = c->t;
	const char *colon = strchr(s, ':');
	char node[NODE_NAME_MAX * 2], names[200];

	snprintf(node, sizeof(node), "%.*s", (int)(colon - s), s);
	*ni = topo_node_find(t, node);
	if (*ni < 0) {
		topo_list_names(t, false, names, sizeof(names));
		topo_err(c->errs, at, "%s: no node \"%.40s\" in \"%.60s\" (nodes: %s)", what, node,
			 s, names);
		return false;
	}
	for (int i = 0; i < t->nodes[*ni].n_nics; i++)
		if (!strcmp(t->nodes[*ni].nics[i].ifname, colon + 1)) {
			*ki = i;
			return true;
		}
	ifname_list(&t->nodes[*ni], names, sizeof(names));
	topo_err(c->errs, at, "%s: node \"%s\" has no interface \"%.20s\" (interfaces: %s)", what,
		 node, colon + 1, names);
	return false;
}

/* Appends to arr the prefixes that `s` of a rule's src or dst stands for:
 * a prefix as written, a node (its addresses), NODE:IFNAME (that
 * interface's), a network (its subnets). false with the problem reported. */
static bool resolve_addr(struct pctx *c, const char *what, const char *s, struct pos at,
			 json_t *arr)
{
	const struct topo *t = c->t;
	struct pol_prefix p;
	uint8_t ver;
	size_t before = json_array_size(arr);
	int ni, ki, neti;
	char nodes[200], nets[200];

	if (pol_parse_prefix(s, &p, &ver) == 0) {
		add_prefix(arr, s);
		return true;
	}
	if (strchr(s, ':') && !strchr(strchr(s, ':') + 1, ':')) {
		if (!find_nic(c, what, s, at, &ni, &ki))
			return false;
		nic_prefixes(&t->nodes[ni].nics[ki], arr);
		if (json_array_size(arr) == before) {
			topo_err(c->errs, at,
				 "%s: interface %s has no address, so the rule would match "
				 "nothing: give it an ip: or use a prefix",
				 what, s);
			return false;
		}
		return true;
	}
	ni = topo_node_find(t, s);
	neti = topo_net_find(t, s);
	if (ni >= 0 && neti >= 0) {
		topo_err(c->errs, at,
			 "%s: \"%s\" is a node and a network: write NODE:IFNAME for the node's "
			 "interface or the network's subnet as a prefix",
			 what, s);
		return false;
	}
	if (ni >= 0) {
		for (int i = 0; i < t->nodes[ni].n_nics; i++)
			nic_prefixes(&t->nodes[ni].nics[i], arr);
	} else if (neti >= 0) {
		net_prefixes(t, neti, arr);
	} else {
		topo_list_names(t, false, nodes, sizeof(nodes));
		topo_list_names(t, true, nets, sizeof(nets));
		topo_err(c->errs, at,
			 "%s: \"%.60s\" is not a prefix (10.0.0.0/24, 10.0.0.1, fd00::/64) nor a "
			 "node, NODE:IFNAME or network of the lab (nodes: %s; networks: %s)",
			 what, s, nodes, nets);
		return false;
	}
	if (json_array_size(arr) == before) {
		topo_err(c->errs, at,
			 "%s: %s \"%s\" has no address, so the rule would match nothing", what,
			 ni >= 0 ? "node" : "network", s);
		return false;
	}
	return true;
}

/* src or dst: a scalar or a list of them, each resolved; the JSON value
 * (one prefix: a string, else a list), or NULL with the problem reported. */
static json_t *addr_value(struct pctx *c, const char *what, const char *key, yaml_node_t *v)
{
	json_t *arr = json_array();
	char w[160];
	bool ok = true;

	snprintf(w, sizeof(w), "%s: %s", what, key);
	if (v->type == YAML_SCALAR_NODE && !ynull(v)) {
		ok = resolve_addr(c, w, ystr(v), ypos(v), arr);
	} else if (v->type == YAML_SEQUENCE_NODE && seq_len(v) > 0) {
		SEQ_FOREACH(v, it)
		{
			yaml_node_t *e = ynode(c, *it);

			if (e->type != YAML_SCALAR_NODE || ynull(e)) {
				topo_err(
				    c->errs, ypos(e),
				    "%s: an item must be a prefix, node, NODE:IFNAME or network "
				    "(got %s)",
				    w, ykind(e));
				ok = false;
				continue;
			}
			ok &= resolve_addr(c, w, ystr(e), ypos(e), arr);
		}
	} else {
		topo_err(c->errs, ypos(v),
			 "%s must be a prefix, node, NODE:IFNAME or network, or a list of them "
			 "(got %s)",
			 w, ykind(v));
		ok = false;
	}
	if (ok && json_array_size(arr) > POL_MAX_ADDRS) {
		topo_err(c->errs, ypos(v),
			 "%s stands for %zu prefixes (at most %d): split the rule", w,
			 json_array_size(arr), POL_MAX_ADDRS);
		ok = false;
	}
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	if (json_array_size(arr) == 1) {
		json_t *one = json_incref(json_array_get(arr, 0));

		json_decref(arr);
		return one;
	}
	return arr;
}

/* ---- rules ---- */

/* One rule (mapping m) as policy.set takes it, checked by the switch's
 * parser; NULL with the problems reported. */
static json_t *parse_rule(struct pctx *c, const char *pname, int idx, yaml_node_t *m)
{
	char what[96], msg[TOPO_MSG_MAX];
	json_t *o, *one;
	struct pol_set set;
	const char *bad_key = NULL, *text;
	size_t bad_rule;
	int errs0 = c->errs->n + c->errs->dropped;

	snprintf(what, sizeof(what), "policy \"%s\": rule %d", pname, idx);
	if (m->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(m),
			 "%s must be a mapping such as { action: allow, proto: tcp, dport: 80 } "
			 "(got %s)",
			 what, ykind(m));
		return NULL;
	}
	topo_check_keys(c, m, rule_keys, what);
	o = json_object();
	MAP_FOREACH(c, m, p)
	{
		yaml_node_t *kn = ynode(c, p->key), *v = ynode(c, p->value);
		const char *k = ystr(kn);
		bool known = false;
		json_t *jv;

		for (int i = 0; k && rule_keys[i]; i++)
			known |= !strcmp(k, rule_keys[i]);
		if (!known || json_object_get(o, k))
			continue; /* reported */
		if (!strcmp(k, "src") || !strcmp(k, "dst")) {
			jv = addr_value(c, what, k, v);
		} else if (v->type != YAML_SCALAR_NODE || ynull(v)) {
			topo_err(c->errs, ypos(v), "%s: %s must be a single value (got %s)", what,
				 k, ykind(v));
			jv = NULL;
		} else {
			jv = scalar_json(v);
		}
		if (jv)
			json_object_set_new(o, k, jv);
	}
	if (c->errs->n + c->errs->dropped != errs0) {
		json_decref(o);
		return NULL;
	}
	/* the switch's own check, on this rule alone (so every rule is checked) */
	one = json_pack("[O]", o);
	if (pol_set_parse(one, &set, &bad_rule, &bad_key, msg, sizeof(msg)) < 0) {
		yaml_node_t *at = bad_key ? topo_map_get(c, m, bad_key) : NULL;

		/* "rule 1: ..." is this rule's: say which it is */
		text = strncmp(msg, "rule 1: ", 8) == 0 ? msg + 8 : msg;
		topo_err(c->errs, ypos(at ? at : m), "%s: %s", what, text);
		json_decref(one);
		json_decref(o);
		return NULL;
	}
	pol_set_free(&set);
	json_decref(one);
	return o;
}

/* The policy's rules as a whole: the limit on matches, shadowed rules. */
static void check_rules(struct pctx *c, struct topo_policy *tp, yaml_node_t *seq)
{
	struct pol_set set;
	char msg[TOPO_MSG_MAX];
	size_t bad_rule;
	int rc;

	rc = pol_set_parse(tp->rules, &set, &bad_rule, NULL, msg, sizeof(msg));
	if (rc == -ENOMEM) {
		topo_err(c->errs, ypos(seq), "policy \"%s\": out of memory", tp->name);
		return;
	}
	if (rc < 0) {
		topo_err(c->errs, ypos(seq), "policy \"%s\": %s", tp->name, msg);
		return;
	}
	if (set.n_r > SHADOW_CHECK_MAX) {
		topo_warn(c->errs, ypos(seq),
			  "policy \"%s\": %u matches, not checked for shadowed rules (the check "
			  "covers %d)",
			  tp->name, set.n_r, SHADOW_CHECK_MAX);
	} else {
		for (uint32_t i = 1; i < set.n_u; i++) {
			int32_t by = pol_set_shadowed_by(&set, i);
			yaml_node_t *r = ynode(c, seq->data.sequence.items.start[i]);

			if (by >= 0)
				topo_warn(c->errs, ypos(r),
					  "policy \"%s\": rule %u can never match: rule %d (line "
					  "%d) matches every frame it does; remove it or move it "
					  "up",
					  tp->name, i + 1, by + 1,
					  ypos(ynode(c, seq->data.sequence.items.start[by])).line);
		}
	}
	pol_set_free(&set);
}

static void parse_rules(struct pctx *c, struct topo_policy *tp, yaml_node_t *seq)
{
	char what[64];
	int idx = 0;
	bool ok = true;

	snprintf(what, sizeof(what), "policy \"%s\"", tp->name);
	if (ynull(seq))
		return;
	if (seq->type != YAML_SEQUENCE_NODE) {
		topo_err(c->errs, ypos(seq),
			 "%s: rules must be a list such as [ { action: allow, proto: icmp } ] (got "
			 "%s)",
			 what, ykind(seq));
		return;
	}
	if (seq_len(seq) > TOPO_POLICY_RULES) {
		topo_err(c->errs, ypos(seq), "%s: %d rules (at most %d): split the policy", what,
			 seq_len(seq), TOPO_POLICY_RULES);
		return;
	}
	SEQ_FOREACH(seq, it)
	{
		json_t *r = parse_rule(c, tp->name, ++idx, ynode(c, *it));

		if (r)
			json_array_append_new(tp->rules, r);
		ok &= r != NULL;
	}
	if (ok && json_array_size(tp->rules) > 0)
		check_rules(c, tp, seq);
}

/* ---- apply ---- */

static bool add_apply(struct pctx *c, struct topo_policy *tp, const struct topo_pol_apply *a)
{
	struct topo_pol_apply *n;

	for (int i = 0; i < tp->n_apply; i++) {
		const struct topo_pol_apply *b = &tp->apply[i];

		if (b->network == a->network && b->out == a->out && !strcmp(b->net, a->net) &&
		    !strcmp(b->node, a->node) && !strcmp(b->ifname, a->ifname)) {
			topo_err(c->errs, (struct pos){a->line, a->col},
				 "policy \"%s\": applies twice to the same place and direction "
				 "(first at line %d): keep one",
				 tp->name, b->line);
			return false;
		}
	}
	if (tp->n_apply >= TOPO_POLICY_APPLY) {
		topo_err(c->errs, (struct pos){a->line, a->col},
			 "policy \"%s\": applies to more than %d places: split it", tp->name,
			 TOPO_POLICY_APPLY);
		return false;
	}
	n = realloc(tp->apply, (size_t)(tp->n_apply + 1) * sizeof(*n));
	if (!n) {
		topo_err(c->errs, (struct pos){a->line, a->col}, "out of memory");
		return false;
	}
	tp->apply = n;
	tp->apply[tp->n_apply++] = *a;
	return true;
}

/* One entry of apply: {network: N | node: N | port: NODE:IFNAME,
 * direction: in | out | both}. */
static void parse_apply_one(struct pctx *c, struct topo_policy *tp, yaml_node_t *m)
{
	const struct topo *t = c->t;
	struct topo_pol_apply a = {.line = ypos(m).line, .col = ypos(m).col};
	char what[64], names[200];
	const char *kinds[] = {"network", "node", "port"}, *s, *dir;
	yaml_node_t *x, *target = NULL;
	int kind = -1, given = 0, ni, ki;

	snprintf(what, sizeof(what), "policy \"%s\": apply", tp->name);
	if (m->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(m),
			 "%s: an entry must be a mapping such as { network: red, direction: in } "
			 "(got %s)",
			 what, ykind(m));
		return;
	}
	topo_check_keys(c, m, apply_keys, what);
	for (int k = 0; k < 3; k++)
		if ((x = topo_map_get(c, m, kinds[k]))) {
			given++;
			kind = k;
			target = x;
		}
	if (given != 1) {
		topo_err(c->errs, ypos(m),
			 "%s: an entry names one place: network: NET, node: NODE or port: "
			 "NODE:IFNAME (got %d)",
			 what, given);
		return;
	}
	x = topo_map_get(c, m, "direction");
	if (!x) {
		topo_err(c->errs, ypos(m),
			 "%s: missing required key \"direction\": in (frames entering the switch "
			 "from there), out (frames leaving towards it) or both",
			 what);
		return;
	}
	dir = topo_want_str(c, x, what, "direction", "in, out or both");
	if (!dir)
		return;
	if (strcmp(dir, "in") && strcmp(dir, "out") && strcmp(dir, "both")) {
		topo_err(c->errs, ypos(x), "%s: direction must be in, out or both (got \"%.20s\")",
			 what, dir);
		return;
	}
	s = topo_want_str(c, target, what, kinds[kind],
			  kind == 0   ? "a network name"
			  : kind == 1 ? "a node name"
				      : "NODE:IFNAME");
	if (!s)
		return;
	if (kind == 0) {
		if (topo_net_find(t, s) < 0) {
			topo_list_names(t, true, names, sizeof(names));
			topo_err(c->errs, ypos(target),
				 "%s: network \"%.40s\" is not defined (networks: %s)", what, s,
				 names);
			return;
		}
		a.network = true;
		snprintf(a.net, sizeof(a.net), "%s", s);
	} else if (kind == 1) {
		if (topo_node_find(t, s) < 0) {
			topo_list_names(t, false, names, sizeof(names));
			topo_err(c->errs, ypos(target),
				 "%s: node \"%.40s\" is not defined (nodes: %s)", what, s, names);
			return;
		}
	} else {
		if (!strchr(s, ':')) {
			topo_err(c->errs, ypos(target),
				 "%s: port must be NODE:IFNAME, e.g. a1:eth0 (got \"%.40s\"); use "
				 "node: for all of a node's interfaces",
				 what, s);
			return;
		}
		if (!find_nic(c, what, s, ypos(target), &ni, &ki))
			return;
	}
	for (int d = 0; d < 2; d++) {
		if (strcmp(dir, "both") && strcmp(dir, d ? "out" : "in"))
			continue;
		a.out = d;
		if (kind == 0) {
			add_apply(c, tp, &a);
		} else if (kind == 1) {
			const struct node *n = &t->nodes[topo_node_find(t, s)];

			for (int i = 0; i < n->n_nics; i++) {
				snprintf(a.node, sizeof(a.node), "%s", n->name);
				snprintf(a.ifname, sizeof(a.ifname), "%s", n->nics[i].ifname);
				if (!add_apply(c, tp, &a))
					break;
			}
		} else {
			snprintf(a.node, sizeof(a.node), "%s", t->nodes[ni].name);
			snprintf(a.ifname, sizeof(a.ifname), "%s", t->nodes[ni].nics[ki].ifname);
			add_apply(c, tp, &a);
		}
	}
}

static void parse_apply(struct pctx *c, struct topo_policy *tp, yaml_node_t *v)
{
	if (ynull(v))
		return;
	if (v->type == YAML_MAPPING_NODE) {
		parse_apply_one(c, tp, v);
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		topo_err(c->errs, ypos(v),
			 "policy \"%s\": apply must be a list such as [ { network: red, direction: "
			 "in } ] (got %s)",
			 tp->name, ykind(v));
		return;
	}
	SEQ_FOREACH(v, it)
	parse_apply_one(c, tp, ynode(c, *it));
}

/* ---- policies ---- */

static void parse_policy(struct pctx *c, yaml_node_t *kn, yaml_node_t *v, struct topo_policy *tp)
{
	const char *name = ystr(kn);
	char what[64];
	yaml_node_t *x;

	snprintf(tp->name, sizeof(tp->name), "%s", name);
	snprintf(tp->def, sizeof(tp->def), "allow");
	tp->line = ypos(kn).line;
	tp->col = ypos(kn).col;
	tp->rules = json_array();
	snprintf(what, sizeof(what), "policy \"%s\"", name);
	if (c->t->name[0] && strlen(c->t->name) + 1 + strlen(name) > SW_NAME_MAX)
		topo_err(c->errs, ypos(kn),
			 "%s: its switch name %s.%s is longer than %d characters; use a shorter "
			 "policy or lab name",
			 what, c->t->name, name, SW_NAME_MAX);
	if (ynull(v)) {
		topo_warn(c->errs, ypos(kn), "%s applies nowhere (no apply:): it has no effect",
			  what);
		return;
	}
	if (v->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(v),
			 "%s must be a mapping such as { apply: [ { network: red, direction: in } "
			 "], default: drop, rules: [...] } (got %s)",
			 what, ykind(v));
		return;
	}
	topo_check_keys(c, v, policy_keys, what);
	if ((x = topo_map_get(c, v, "default"))) {
		const char *s = topo_want_str(c, x, what, "default", "allow, drop or reject");

		if (s && strcmp(s, "allow") && strcmp(s, "drop") && strcmp(s, "reject"))
			topo_err(c->errs, ypos(x),
				 "%s: default must be allow, drop or reject (got \"%.20s\")", what,
				 s);
		else if (s)
			snprintf(tp->def, sizeof(tp->def), "%s", s);
	}
	if ((x = topo_map_get(c, v, "apply")))
		parse_apply(c, tp, x);
	if (!x || ynull(x))
		topo_warn(c->errs, ypos(kn), "%s applies nowhere (no apply:): it has no effect",
			  what);
	if ((x = topo_map_get(c, v, "rules")))
		parse_rules(c, tp, x);
}

/* The switch takes one policy per place and direction. */
static void check_places(struct pctx *c, const struct topo_policy *p, int n)
{
	for (int i = 0; i < n; i++)
		for (int a = 0; a < p[i].n_apply; a++) {
			const struct topo_pol_apply *x = &p[i].apply[a];

			for (int j = 0; j < i; j++)
				for (int b = 0; b < p[j].n_apply; b++) {
					const struct topo_pol_apply *y = &p[j].apply[b];

					if (x->network != y->network || x->out != y->out ||
					    strcmp(x->net, y->net) || strcmp(x->node, y->node) ||
					    strcmp(x->ifname, y->ifname))
						continue;
					if (x->network)
						topo_err(
						    c->errs, (struct pos){x->line, x->col},
						    "policy \"%s\": network %s already has policy "
						    "\"%s\" for direction %s (line %d): one policy "
						    "per place and direction; merge their rules",
						    p[i].name, x->net, p[j].name,
						    x->out ? "out" : "in", y->line);
					else
						topo_err(
						    c->errs, (struct pos){x->line, x->col},
						    "policy \"%s\": port %s:%s already has policy "
						    "\"%s\" for direction %s (line %d): one policy "
						    "per place and direction; merge their rules",
						    p[i].name, x->node, x->ifname, p[j].name,
						    x->out ? "out" : "in", y->line);
					goto next;
				}
		next:;
		}
}

void topo_parse_policy_section(struct pctx *c)
{
	struct topo *t = c->t;
	yaml_node_t *m = c->policies, **firsts;
	long n;

	if (!m || ynull(m))
		return;
	if (m->type != YAML_MAPPING_NODE) {
		topo_err(c->errs, ypos(m),
			 "policies must be a mapping of policy name to { apply, default, rules } "
			 "(got %s)",
			 ykind(m));
		return;
	}
	n = (long)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	if (n > TOPO_MAX_POLICIES) {
		topo_err(c->errs,
			 ypos(ynode(c, m->data.mapping.pairs.start[TOPO_MAX_POLICIES].key)),
			 "too many policies (at most %d): the file defines %ld; merge some",
			 TOPO_MAX_POLICIES, n);
		n = TOPO_MAX_POLICIES;
	}
	t->policies = calloc(n ? (size_t)n : 1, sizeof(*t->policies));
	firsts = topo_first_keys(c, m);
	if (!t->policies) {
		topo_err(c->errs, ypos(m), "out of memory");
		free(firsts);
		return;
	}
	for (long i = 0; i < n; i++) {
		yaml_node_t *kn = ynode(c, m->data.mapping.pairs.start[i].key);
		yaml_node_t *v = ynode(c, m->data.mapping.pairs.start[i].value);
		const char *name = ystr(kn);

		if (!name || !name_ok(name, NODE_NAME_MAX - 1)) {
			topo_err(c->errs, ypos(kn),
				 "policy name \"%.40s\" is not valid: use 1-31 characters from A-Z "
				 "a-z 0-9 _ . - (not starting with . or -)",
				 name ? name : "");
			continue;
		}
		if (firsts && firsts[i]) {
			topo_err(
			    c->errs, ypos(kn),
			    "policy \"%s\" is defined twice (first at line %d): rename or merge "
			    "one",
			    name, ypos(firsts[i]).line);
			continue;
		}
		parse_policy(c, kn, v, &t->policies[t->n_policies++]);
	}
	free(firsts);
	check_places(c, t->policies, t->n_policies);
}
