/* A lab's policies and the switch's: names, requests, the reconcile plan,
 * the way back from policy.list, and `vlab policy show`; see polsw.h.
 *
 * Pure; the CLI's main thread. */
#include "polsw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

int polsw_name(const char *lab, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.%s", lab, name);

	return n < 0 || (size_t)n >= len || n > POLSW_NAME_MAX - 1 ? -ENAMETOOLONG : 0;
}

int polsw_port_name(const char *lab, const char *node, const char *ifname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.%s-%s", lab, node, ifname);

	return n < 0 || (size_t)n >= len || n > POLSW_NAME_MAX - 1 ? -ENAMETOOLONG : 0;
}

static json_t *apply_params(const char *lab, const struct topo_policy *p)
{
	json_t *arr = json_array();
	char name[64];

	for (int i = 0; arr && i < p->n_apply; i++) {
		const struct topo_pol_apply *a = &p->apply[i];

		if (a->network)
			polsw_name(lab, a->net, name, sizeof(name));
		else
			polsw_port_name(lab, a->node, a->ifname, name, sizeof(name));
		json_array_append_new(arr, json_pack("{s:s,s:s}", a->network ? "network" : "port",
						     name, "direction", a->out ? "out" : "in"));
	}
	return arr;
}

json_t *polsw_params(const char *lab, const struct topo_policy *p)
{
	char name[64];

	polsw_name(lab, p->name, name, sizeof(name));
	return json_pack("{s:s,s:s,s:o,s:o}", "name", name, "default", p->def, "rules",
			 p->rules ? json_incref(p->rules) : json_array(), "apply",
			 apply_params(lab, p));
}

json_t *polsw_json(const struct topo_policy *p)
{
	json_t *arr = json_array();
	char port[NODE_NAME_MAX + 20];

	for (int i = 0; arr && i < p->n_apply; i++) {
		const struct topo_pol_apply *a = &p->apply[i];

		snprintf(port, sizeof(port), "%s:%s", a->node, a->ifname);
		json_array_append_new(arr, json_pack("{s:s,s:s}", a->network ? "network" : "port",
						     a->network ? a->net : port, "direction",
						     a->out ? "out" : "in"));
	}
	return json_pack("{s:s,s:s,s:o,s:o}", "name", p->name, "default", p->def, "apply", arr,
			 "rules", p->rules ? json_incref(p->rules) : json_array());
}

/* ---- the plan ---- */

/* The lab's name of switch policy `sw` (LAB.NAME), or NULL. */
static const char *lab_part(const char *lab, const char *sw)
{
	size_t n;

	if (!lab)
		return sw;
	n = strlen(lab);
	if (!sw || strncmp(sw, lab, n) || sw[n] != '.' || !sw[n + 1])
		return NULL;
	return sw + n + 1;
}

/* A listed rule without its counters. */
static json_t *rule_as_given(const json_t *r)
{
	json_t *c = json_deep_copy(r);

	json_object_del(c, "packets");
	json_object_del(c, "bytes");
	return c;
}

static json_t *rules_as_given(const json_t *rules)
{
	json_t *arr = json_array();
	size_t i;
	json_t *r;

	json_array_foreach(rules, i, r)
	{
		json_array_append_new(arr, rule_as_given(r));
	}
	return arr;
}

/* Why the listed policy `have` is not what p asks for ("" when it is). */
static void differs(const char *lab, const struct topo_policy *p, const json_t *have, char *why,
		    size_t len)
{
	json_t *want = polsw_params(lab, p),
	       *rules = rules_as_given(json_object_get(have, "rules"));
	const char *hdef = json_string_value(json_object_get(have, "default"));
	size_t off = 0;

	why[0] = '\0';
	if (!hdef || strcmp(hdef, p->def))
		off += (size_t)snprintf(why + off, len - off, "default %s -> %s", hdef ? hdef : "?",
					p->def);
	if (!json_equal(json_object_get(want, "apply"), json_object_get(have, "apply")) &&
	    off < len)
		off += (size_t)snprintf(why + off, len - off, "%sapply", off ? ", " : "");
	if (!json_equal(json_object_get(want, "rules"), rules) && off < len)
		snprintf(why + off, len - off, "%srules", off ? ", " : "");
	json_decref(rules);
	json_decref(want);
}

int polsw_plan(const char *lab, const struct topo *t, const json_t *list, struct polsw_action **out)
{
	size_t nl = json_array_size(list), i;
	int n = 0;
	struct polsw_action *a = calloc(nl + (size_t)t->n_policies + 1, sizeof(*a));
	const json_t *e;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	json_array_foreach(list, i, e)
	{
		const char *sw = json_string_value(json_object_get(e, "name"));
		const char *name = lab_part(lab, sw);

		if (!name || topo_policy_find(t, name) >= 0)
			continue;
		a[n] = (struct polsw_action){.op = POLSW_DEL, .index = -1};
		snprintf(a[n].name, sizeof(a[n].name), "%s", name);
		snprintf(a[n].sw, sizeof(a[n].sw), "%s", sw);
		snprintf(a[n].why, sizeof(a[n].why), "removed");
		n++;
	}
	for (int k = 0; k < t->n_policies; k++) {
		const struct topo_policy *p = &t->policies[k];
		const json_t *have = NULL;
		char sw[64], why[POLSW_WHY_MAX];

		polsw_name(lab, p->name, sw, sizeof(sw));
		json_array_foreach(list, i, e)
		{
			if (!strcmp(json_string_value(json_object_get(e, "name")) ?: "", sw))
				have = e;
		}
		if (have) {
			differs(lab, p, have, why, sizeof(why));
			if (!why[0])
				continue;
		}
		a[n] = (struct polsw_action){.op = POLSW_SET, .index = k};
		snprintf(a[n].name, sizeof(a[n].name), "%s", p->name);
		snprintf(a[n].sw, sizeof(a[n].sw), "%s", sw);
		snprintf(a[n].why, sizeof(a[n].why), have ? "changed: %s" : "new", why);
		n++;
	}
	*out = a;
	return n;
}

void polsw_plan_print(const struct polsw_action *a, int n, FILE *f)
{
	for (int i = 0; i < n; i++)
		fprintf(f, "- %s policy %s (%s)\n", a[i].op == POLSW_SET ? "set" : "delete",
			a[i].name, a[i].why);
}

/* ---- back from the switch ---- */

void polsw_free(struct topo_policy *p, int n)
{
	for (int i = 0; p && i < n; i++) {
		free(p[i].apply);
		json_decref(p[i].rules);
	}
	free(p);
}

/* The place of a listed apply entry in the lab's terms; false when it is
 * not the lab's. */
static bool map_apply(const char *lab, const struct topo *t, const json_t *e,
		      struct topo_pol_apply *a)
{
	const char *net = lab_part(lab, json_string_value(json_object_get(e, "network")));
	const char *port = json_string_value(json_object_get(e, "port"));
	const char *dir = json_string_value(json_object_get(e, "direction"));
	char name[64];

	memset(a, 0, sizeof(*a));
	a->out = dir && !strcmp(dir, "out");
	if (net) {
		if (topo_net_find(t, net) < 0)
			return false;
		a->network = true;
		snprintf(a->net, sizeof(a->net), "%s", net);
		return true;
	}
	for (int i = 0; port && i < t->n_nodes; i++)
		for (int k = 0; k < t->nodes[i].n_nics; k++)
			if (polsw_port_name(lab, t->nodes[i].name, t->nodes[i].nics[k].ifname, name,
					    sizeof(name)) == 0 &&
			    !strcmp(name, port)) {
				snprintf(a->node, sizeof(a->node), "%s", t->nodes[i].name);
				snprintf(a->ifname, sizeof(a->ifname), "%s",
					 t->nodes[i].nics[k].ifname);
				return true;
			}
	return false;
}

int polsw_from_list(const char *lab, const struct topo *t, const json_t *list,
		    struct topo_policy **out, int *n)
{
	size_t nl = json_array_size(list), i, j;
	struct topo_policy *p = calloc(nl + 1, sizeof(*p));
	const json_t *e, *ap;

	*out = NULL;
	*n = 0;
	if (!p)
		return -ENOMEM;
	json_array_foreach(list, i, e)
	{
		const char *name = lab_part(lab, json_string_value(json_object_get(e, "name")));
		const char *def = json_string_value(json_object_get(e, "default"));
		const json_t *apply = json_object_get(e, "apply");
		struct topo_policy *tp = &p[*n];

		if (!name)
			continue;
		(*n)++;
		snprintf(tp->name, sizeof(tp->name), "%s", name);
		snprintf(tp->def, sizeof(tp->def), "%s", def ? def : "allow");
		tp->rules = rules_as_given(json_object_get(e, "rules"));
		tp->apply = calloc(json_array_size(apply) + 1, sizeof(*tp->apply));
		if (!tp->rules || !tp->apply) {
			polsw_free(p, *n);
			*n = 0;
			return -ENOMEM;
		}
		json_array_foreach(apply, j, ap)
		{
			if (map_apply(lab, t, ap, &tp->apply[tp->n_apply]))
				tp->n_apply++;
		}
	}
	*out = p;
	return 0;
}

/* ---- show ---- */

static void value_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	} else if (json_is_array(v)) {
		size_t off = 0, i;
		json_t *e;

		buf[0] = '\0';
		json_array_foreach(v, i, e)
		{
			char one[64];

			if (off >= len)
				break;
			value_text(e, one, sizeof(one));
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", one);
		}
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
}

void polsw_match_text(const json_t *rule, char *buf, size_t len)
{
	const char *key;
	json_t *v;
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	json_object_foreach((json_t *)rule, key, v)
	{
		char val[512];

		if (!strcmp(key, "action") || !strcmp(key, "name") || !strcmp(key, "packets") ||
		    !strcmp(key, "bytes"))
			continue;
		if (json_is_true(v))
			snprintf(val, sizeof(val), "%s", key);
		else if (json_is_false(v))
			continue;
		else
			value_text(v, val, sizeof(val));
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s", off ? " " : "",
						json_is_true(v) ? "" : key,
						json_is_true(v) ? "" : " ", val);
	}
	if (off >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	if (!buf[0])
		snprintf(buf, len, "any");
}

static long long hits(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void apply_text(const char *lab, const json_t *apply, char *buf, size_t len)
{
	size_t off = 0, i;
	json_t *a;

	buf[0] = '\0';
	json_array_foreach(apply, i, a)
	{
		const char *net = json_string_value(json_object_get(a, "network"));
		const char *port = json_string_value(json_object_get(a, "port"));
		const char *dir = json_string_value(json_object_get(a, "direction"));
		const char *name = net ? net : port ? port : "?";
		const char *short_name = lab_part(lab, name);

		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s %s %s", i ? ", " : "",
						net ? "network" : "port",
						short_name ? short_name : name, dir ? dir : "?");
	}
	if (!buf[0])
		snprintf(buf, len, "nowhere");
}

static int show_one(FILE *f, const char *lab, const json_t *p)
{
	static const struct table_col cols[] = {{"#", true},	   {"NAME", false},
						{"ACTION", false}, {"MATCH", false},
						{"PACKETS", true}, {"BYTES", true}};
	const json_t *rules = json_object_get(p, "rules"), *r;
	const json_t *dh = json_object_get(p, "default_hits"),
		     *rh = json_object_get(p, "related_hits");
	const char *sw = json_string_value(json_object_get(p, "name"));
	const char *def = json_string_value(json_object_get(p, "default"));
	struct table *tb = table_new(cols, 6);
	char where[1024];
	size_t i;
	int rc = -ENOMEM;

	if (!sw || !json_is_array(rules))
		rc = -EPROTO;
	if (!tb || rc == -EPROTO)
		goto out;
	apply_text(lab, json_object_get(p, "apply"), where, sizeof(where));
	if (lab)
		fprintf(f, "policy %s (switch: %s): default %s; applies to %s\n", lab_part(lab, sw),
			sw, def ? def : "allow", where);
	else
		fprintf(f, "policy %s: default %s; applies to %s\n", sw, def ? def : "allow",
			where);
	json_array_foreach(rules, i, r)
	{
		char idx[16], match[120], pk[24], by[24];
		const char *name = json_string_value(json_object_get(r, "name"));
		const char *row[6] = {idx,
				      name ? name : "-",
				      json_string_value(json_object_get(r, "action")),
				      match,
				      pk,
				      by};

		snprintf(idx, sizeof(idx), "%zu", i + 1);
		polsw_match_text(r, match, sizeof(match));
		snprintf(pk, sizeof(pk), "%lld", hits(r, "packets"));
		snprintf(by, sizeof(by), "%lld", hits(r, "bytes"));
		if (table_add_row(tb, row) < 0)
			goto out;
	}
	{
		char pk[24], by[24], pk2[24], by2[24];
		const char *drow[6] = {"", "(default)", def ? def : "allow", "no rule matched",
				       pk, by};
		const char *rrow[6] = {"",  "(related)", "allow", "replies of stateful connections",
				       pk2, by2};

		snprintf(pk, sizeof(pk), "%lld", hits(dh, "packets"));
		snprintf(by, sizeof(by), "%lld", hits(dh, "bytes"));
		snprintf(pk2, sizeof(pk2), "%lld", hits(rh, "packets"));
		snprintf(by2, sizeof(by2), "%lld", hits(rh, "bytes"));
		if (table_add_row(tb, drow) < 0 || table_add_row(tb, rrow) < 0)
			goto out;
	}
	rc = table_print(tb, f);
out:
	table_free(tb);
	return rc;
}

int polsw_show(FILE *f, const char *lab, const json_t *result, const char *name)
{
	const json_t *list = json_object_get(result, "policies"), *p;
	const json_t *ct = json_object_get(result, "conntrack");
	char sw[64];
	size_t i;
	int shown = 0, rc;

	if (!json_is_array(list))
		return -EPROTO;
	if (name && lab)
		polsw_name(lab, name, sw, sizeof(sw));
	else if (name)
		snprintf(sw, sizeof(sw), "%s", name);
	json_array_foreach(list, i, p)
	{
		const char *pn = json_string_value(json_object_get(p, "name"));

		if (!lab_part(lab, pn) || (name && strcmp(pn, sw)))
			continue;
		if (shown++)
			fputc('\n', f);
		rc = show_one(f, lab, p);
		if (rc < 0)
			return rc;
	}
	if (name && !shown)
		return -ENOENT;
	if (!shown && lab)
		fprintf(f, "lab %s has no policies on the switch\n", lab);
	else if (!shown)
		fprintf(f, "no policies\n");
	if (json_is_object(ct))
		fprintf(f, "%sconntrack: %lld of %lld connections in use, %lld evicted\n",
			shown ? "\n" : "", hits(ct, "used"), hits(ct, "size"), hits(ct, "evicted"));
	return 0;
}

json_t *polsw_show_json(const char *lab, const json_t *result, const char *name)
{
	const json_t *list = json_object_get(result, "policies"), *p;
	json_t *arr = json_array();
	char sw[64];
	size_t i;

	if (name)
		polsw_name(lab, name, sw, sizeof(sw));
	json_array_foreach(list, i, p)
	{
		const char *pn = json_string_value(json_object_get(p, "name"));
		json_t *c;

		if (!lab_part(lab, pn) || (name && strcmp(pn, sw)))
			continue;
		c = json_deep_copy(p);
		json_object_set_new(c, "switch_name", json_string(pn));
		json_object_set_new(c, "name", json_string(lab_part(lab, pn)));
		json_array_append_new(arr, c);
	}
	return json_pack("{s:s,s:o,s:O}", "lab", lab, "policies", arr, "conntrack",
			 json_object_get(result, "conntrack") ?: json_null());
}
