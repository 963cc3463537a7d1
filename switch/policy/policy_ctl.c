/* Policies, control side: policy.set, policy.del and policy.list; the
 * compiled versions and their swap; each snapshot's per-port policy tables;
 * the state file's "policies"; the connection table's expiry.
 *
 *   policy.set   parses the rules (rule.c), compiles a new version, points
 *                the policy at it and publishes a snapshot; once that
 *                returns no PMD sees the old version: its final counters
 *                carry over to the rules the new one keeps, then it goes.
 *   the tables   built per snapshot from the places policies apply to,
 *                looked up by name, so a policy may name a network or port
 *                that comes later.
 *
 * Runs on the control thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "cap.h"
#include "pipeline.h"
#include "policy.h"

struct pol_global pol;

/* What a snapshot holds of policies (feat_mem[POL_FEAT_MEM]). */
struct pol_snap {
	struct pol_bind *binds; /* one per policy with a version */
	struct pol_port *ports; /* one per port some policy applies to */
};

int pol_init(struct sw *sw, uint32_t ct_size)
{
	int rc;

	pol.sw = sw;
	pol.tsc_hz = rte_get_tsc_hz();
	rc = ct_init(&pol.ct, ct_size);
	if (rc == 0)
		rc = dp_feature_register(&pol_feature_in);
	return rc;
}

/* The egress feature goes first of the egress ones (captures see what
 * passes); the ingress one after capture's (captures see what came in). */
int pol_init_egress(void)
{
	return dp_feature_register(&pol_feature_out);
}

static void ver_free(struct pol_ver *v)
{
	if (v == NULL)
		return;
	pol_class_free(v->cls);
	free(v->r);
	free(v->ctr);
	free(v->base);
	free(v);
}

static void policy_free(struct pol_policy *p)
{
	if (p == NULL)
		return;
	ver_free(p->ver);
	json_decref(p->rules);
	json_decref(p->apply);
	free(p->ap);
	free(p);
}

void pol_shutdown(struct sw *sw)
{
	struct pol_policy *p;

	(void)sw;
	while ((p = pol.list) != NULL) {
		pol.list = p->next;
		policy_free(p);
	}
	pol.n = 0;
	ct_free(&pol.ct);
}

/* Every control tick (100 ms). */
void pol_tick(struct sw *sw)
{
	(void)sw;
	/* a pass over the table every 2 s, a slice per tick */
	if (pol.ct.e != NULL && atomic_load(&pol.ct.used) > 0)
		ct_expire_some(&pol.ct, pol_tsc_ns(rte_rdtsc()), pol.ct.size / 20 + 1);
}

/* ---- snapshots ---- */

static const struct pol_policy *applied_to(bool network, const char *name, uint8_t dir)
{
	for (const struct pol_policy *p = pol.list; p; p = p->next)
		for (uint32_t i = 0; i < p->n_ap; i++)
			if (p->ap[i].network == network && p->ap[i].dir == dir &&
			    strcmp(p->ap[i].name, name) == 0)
				return p;
	return NULL;
}

void pol_dp_fill(const struct sw *sw, struct sw_dp *dp)
{
	struct pol_snap *snap;
	const struct pol_bind **net_b = NULL, **port_b = NULL;
	unsigned int nb = 0, np = 0;
	bool ct = false;

	dp->feat_mem[POL_FEAT_MEM] = NULL;
	if (pol.list == NULL)
		return;
	snap = calloc(1, sizeof(*snap));
	net_b = calloc(2 * SW_MAX_NETS, sizeof(*net_b));
	port_b = calloc(2 * SW_MAX_PORTS, sizeof(*port_b));
	if (snap == NULL || net_b == NULL || port_b == NULL)
		goto out;
	snap->binds = calloc(pol.n, sizeof(*snap->binds));
	if (snap->binds == NULL)
		goto out;
	for (const struct pol_policy *p = pol.list; p; p = p->next)
		ct |= p->ver->stateful;
	pthread_mutex_lock(&cap.lock);
	for (const struct pol_policy *p = pol.list; p; p = p->next) {
		struct pol_bind *b = &snap->binds[nb++];

		b->v = p->ver;
		b->ct = ct;
		for (struct cap_session *s = cap.list; s; s = s->next)
			if (atomic_load(&s->state) == CAP_ACTIVE && s->kind == CAP_STREAM &&
			    strcmp(s->policy, p->name) == 0 && b->n_mir < API_MAX_CAPTURES)
				b->mir[b->n_mir++] = s;
		for (uint32_t i = 0; i < p->n_ap; i++) {
			const struct pol_apply *a = &p->ap[i];
			int idx = a->network ? sw_net_find(sw, a->name) : sw_port_find(sw, a->name);

			if (idx < 0)
				continue; /* not there (yet) */
			if (a->network)
				net_b[a->dir * SW_MAX_NETS + idx] = b;
			else
				port_b[a->dir * SW_MAX_PORTS + idx] = b;
		}
	}
	pthread_mutex_unlock(&cap.lock);
	for (int p = 0; p < SW_MAX_PORTS; p++) {
		const struct sw_port *sp = &sw->port[p];
		const struct pol_bind *b[2][2];
		bool any = false;

		if (!sp->used)
			continue;
		for (int d = 0; d < 2; d++) {
			b[d][0] = port_b[d * SW_MAX_PORTS + p];
			b[d][1] = net_b[d * SW_MAX_NETS + sp->net];
			any |= b[d][0] || b[d][1];
		}
		if (!any)
			continue;
		if (snap->ports == NULL) {
			snap->ports = calloc(sw->n_ports ? sw->n_ports : 1, sizeof(*snap->ports));
			if (snap->ports == NULL)
				break;
		}
		memcpy(snap->ports[np].b, b, sizeof(b));
		dp->pol[p] = &snap->ports[np++];
		if (b[POL_IN][0] || b[POL_IN][1])
			dp->port[p].feat_in |= pol_feature_in.bit;
		if (b[POL_OUT][0] || b[POL_OUT][1])
			dp->port[p].feat_out |= pol_feature_out.bit;
	}
	dp->feat_mem[POL_FEAT_MEM] = snap;
	snap = NULL;
out:
	if (snap != NULL) {
		free(snap->binds);
		free(snap);
	}
	free(net_b);
	free(port_b);
}

void pol_dp_release(struct sw_dp *dp)
{
	struct pol_snap *snap = dp->feat_mem[POL_FEAT_MEM];

	if (snap == NULL)
		return;
	free(snap->binds);
	free(snap->ports);
	free(snap);
	dp->feat_mem[POL_FEAT_MEM] = NULL;
}

/* ---- versions ---- */

static uint8_t def_action(const char *s)
{
	if (s != NULL && strcmp(s, "drop") == 0)
		return POL_A_DROP;
	if (s != NULL && strcmp(s, "reject") == 0)
		return POL_A_REJECT;
	return POL_A_ALLOW;
}

static struct pol_ver *ver_build(const struct pol_set *set, uint8_t def, unsigned int n_pmd)
{
	struct pol_ver *v = calloc(1, sizeof(*v));
	uint64_t now = pol_tsc_ns(rte_rdtsc());

	if (v == NULL)
		return NULL;
	v->n_u = set->n_u;
	v->def = def;
	v->n_ctr = set->n_u + 2;
	v->cls = pol_class_build(set->r, set->n_r);
	v->r = calloc(set->n_u ? set->n_u : 1, sizeof(*v->r));
	v->ctr = calloc((size_t)(n_pmd ? n_pmd : 1) * v->n_ctr, sizeof(*v->ctr));
	v->base = calloc((size_t)v->n_ctr * 2, sizeof(*v->base));
	if (!v->cls || !v->r || !v->ctr || !v->base) {
		ver_free(v);
		return NULL;
	}
	for (uint32_t i = 0; i < set->n_u; i++) {
		const struct pol_urule *u = &set->u[i];
		struct pol_vrule *r = &v->r[i];

		r->action = u->action;
		r->flags = u->flags;
		r->rate_bits = u->rate_bits;
		r->next = u->first + u->n;
		v->stateful |= (u->flags & POL_R_STATEFUL) != 0;
		if (u->action == POL_A_RATE)
			pol_bucket_init(&r->bucket, u->rate, u->burst, now);
	}
	return v;
}

/* Hits of counter i of version v: its PMDs' sums and what it carried over. */
static void ver_hits(const struct sw *sw, const struct pol_ver *v, uint32_t i, uint64_t *pk,
		     uint64_t *by)
{
	*pk = v->base[2 * i];
	*by = v->base[2 * i + 1];
	for (unsigned int k = 0; k < sw->n_pmd; k++) {
		*pk += ctr_get(&v->ctr[k * v->n_ctr + i].packets);
		*by += ctr_get(&v->ctr[k * v->n_ctr + i].bytes);
	}
}

/* The new version starts from the old one's totals: the default and the
 * replies always, each rule where an equal rule was (the first not taken). */
static void ver_carry(const struct sw *sw, struct pol_ver *nv, json_t *nrules,
		      const struct pol_ver *ov, json_t *orules)
{
	bool *taken = calloc(ov->n_u ? ov->n_u : 1, sizeof(*taken));

	ver_hits(sw, ov, POL_CTR_DEFAULT(ov), &nv->base[2 * POL_CTR_DEFAULT(nv)],
		 &nv->base[2 * POL_CTR_DEFAULT(nv) + 1]);
	ver_hits(sw, ov, POL_CTR_RELATED(ov), &nv->base[2 * POL_CTR_RELATED(nv)],
		 &nv->base[2 * POL_CTR_RELATED(nv) + 1]);
	for (uint32_t i = 0; taken != NULL && i < nv->n_u; i++)
		for (uint32_t j = 0; j < ov->n_u; j++)
			if (!taken[j] && json_equal(json_array_get(nrules, i),
						    json_array_get(orules, j))) {
				taken[j] = true;
				ver_hits(sw, ov, j, &nv->base[2 * i], &nv->base[2 * i + 1]);
				break;
			}
	free(taken);
}

/* ---- methods ---- */

bool pol_exists(const char *name)
{
	for (const struct pol_policy *p = pol.list; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return true;
	return false;
}

static struct pol_policy *pol_find(const char *name, struct pol_policy ***link)
{
	struct pol_policy **pp = &pol.list;

	for (; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			break;
	if (link != NULL)
		*link = pp;
	return *pp;
}

static int parse_apply(const char *self, json_t *apply, struct pol_apply **out, uint32_t *n,
		       struct api_err *err)
{
	size_t i;
	json_t *a;
	struct pol_apply *ap;

	*n = 0;
	*out = NULL;
	if (apply == NULL)
		return 0;
	ap = calloc(json_array_size(apply) ? json_array_size(apply) : 1, sizeof(*ap));
	if (ap == NULL)
		return api_fail(err, -ENOMEM, "out of memory");
	json_array_foreach(apply, i, a)
	{
		json_t *net = json_object_get(a, "network"), *port = json_object_get(a, "port");
		json_t *dir = json_object_get(a, "direction");
		const char *name, *key;
		const struct pol_policy *other;

		json_object_foreach(a, key, net) if (strcmp(key, "network") && strcmp(key, "port") &&
						     strcmp(key, "direction"))
		{
			free(ap);
			return api_fail(err, -EINVAL,
					"\"apply\": item %zu: unknown key \"%s\"; give \"network\" "
					"or \"port\", and \"direction\"",
					i + 1, key);
		}
		net = json_object_get(a, "network");
		if ((net == NULL) == (port == NULL) || !json_is_string(net ? net : port) ||
		    !api_name_ok(json_string_value(net ? net : port))) {
			free(ap);
			return api_fail(err, -EINVAL,
					"\"apply\": item %zu needs one \"network\" or \"port\" name, "
					"e.g. {\"network\": \"red\", \"direction\": \"in\"}",
					i + 1);
		}
		if (!json_is_string(dir) || (strcmp(json_string_value(dir), "in") &&
					     strcmp(json_string_value(dir), "out"))) {
			free(ap);
			return api_fail(err, -EINVAL,
					"\"apply\": item %zu: \"direction\" must be \"in\" (frames "
					"entering the switch there) or \"out\" (frames leaving "
					"towards it)",
					i + 1);
		}
		name = json_string_value(net ? net : port);
		ap[i].network = net != NULL;
		ap[i].dir = strcmp(json_string_value(dir), "in") ? POL_OUT : POL_IN;
		snprintf(ap[i].name, sizeof(ap[i].name), "%s", name);
		for (size_t k = 0; k < i; k++)
			if (ap[k].network == ap[i].network && ap[k].dir == ap[i].dir &&
			    strcmp(ap[k].name, name) == 0) {
				free(ap);
				return api_fail(err, -EINVAL, "\"apply\": item %zu repeats item %zu",
						i + 1, k + 1);
			}
		other = applied_to(ap[i].network, name, ap[i].dir);
		if (other != NULL && strcmp(other->name, self) != 0) {
			free(ap);
			return api_fail(err, -EEXIST,
					"policy \"%s\" already applies to %s \"%s\" direction %s; "
					"one policy per place and direction: merge them or remove "
					"it from there first",
					other->name, ap[i].network ? "network" : "port", name,
					ap[i].dir == POL_IN ? "in" : "out");
		}
	}
	*out = ap;
	*n = (uint32_t)json_array_size(apply);
	return 0;
}

static int policy_set(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name, *def = NULL;
	json_t *rules = json_object_get(params, "rules"), *apply = json_object_get(params, "apply");
	json_t *empty = NULL, *warn;
	struct pol_set set;
	struct pol_policy *p, *fresh = NULL, **link;
	struct pol_apply *ap = NULL, *old_ap;
	struct pol_ver *v, *old;
	json_t *old_rules, *old_apply;
	uint32_t n_ap, old_n_ap;
	char msg[512];
	int rc;

	if (api_get_str(params, "name", true, &name, err) < 0 ||
	    api_get_str(params, "default", false, &def, err) < 0)
		return -EINVAL;
	p = pol_find(name, &link);
	if (p == NULL && pol.n >= API_MAX_POLICIES)
		return api_fail(err, -ENOSPC,
				"the switch holds at most %d policies: remove one (policy.del) "
				"first",
				API_MAX_POLICIES);
	if (rules == NULL)
		rules = empty = json_array();
	rc = pol_set_parse(rules, &set, NULL, NULL, msg, sizeof(msg));
	if (rc < 0) {
		json_decref(empty);
		return rc == -ENOMEM ? api_fail(err, rc, "out of memory")
				     : api_fail(err, rc, "policy \"%s\": %s", name, msg);
	}
	rc = parse_apply(name, apply, &ap, &n_ap, err);
	if (rc < 0)
		goto out_set;
	v = ver_build(&set, def_action(def), sw->n_pmd);
	if (v == NULL) {
		rc = api_fail(err, -ENOMEM, "out of memory compiling policy \"%s\"", name);
		goto out_set;
	}
	if (p == NULL) {
		fresh = p = calloc(1, sizeof(*p));
		if (p == NULL) {
			ver_free(v);
			rc = api_fail(err, -ENOMEM, "out of memory");
			goto out_set;
		}
		snprintf(p->name, sizeof(p->name), "%s", name);
		*link = p;
		pol.n++;
	}
	old = p->ver;
	old_rules = p->rules;
	old_apply = p->apply;
	old_ap = p->ap;
	old_n_ap = p->n_ap;
	p->ver = v;
	p->rules = json_incref(rules);
	p->apply = apply ? json_incref(apply) : json_array();
	p->ap = ap;
	p->n_ap = n_ap;
	p->def = def_action(def);
	ap = NULL;
	rc = sw_dp_publish(sw);
	if (rc < 0) { /* the old version stays */
		json_decref(p->rules);
		json_decref(p->apply);
		free(p->ap);
		p->ver = old;
		p->rules = old_rules;
		p->apply = old_apply;
		p->ap = old_ap;
		p->n_ap = old_n_ap;
		ver_free(v);
		if (fresh != NULL) {
			*link = NULL;
			pol.n--;
			free(fresh);
		}
		rc = api_fail(err, rc, "out of memory for the datapath snapshot");
		goto out_set;
	}
	if (old != NULL) { /* no PMD sees it now: its counters are final */
		ver_carry(sw, v, rules, old, old_rules);
		ver_free(old);
	}
	json_decref(old_rules);
	json_decref(old_apply);
	free(old_ap);
	warn = json_array();
	for (uint32_t i = 0; i < set.n_u; i++) {
		int32_t by = pol_set_shadowed_by(&set, i);

		if (by >= 0)
			json_array_append_new(
				warn, json_sprintf("rule %u can never match: rule %d covers it "
						   "(move it up or remove it)",
						   i + 1, by + 1));
	}
	*result = json_pack("{s:s,s:i,s:i,s:o}", "name", name, "rules", (int)set.n_u, "matches",
			    (int)set.n_r, "warnings", warn);
	rc = 0;
out_set:
	free(ap);
	pol_set_free(&set);
	json_decref(empty);
	return rc;
}

static int policy_del(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name;
	struct pol_policy *p, **link;
	int rc;

	if (api_get_str(params, "name", true, &name, err) < 0)
		return -EINVAL;
	p = pol_find(name, &link);
	if (p == NULL)
		return api_fail(err, -ENOENT, "no policy \"%s\" (policy.list shows them)", name);
	*link = p->next;
	pol.n--;
	rc = sw_dp_publish(sw);
	if (rc < 0) {
		p->next = *link;
		*link = p;
		pol.n++;
		return api_fail(err, rc, "out of memory for the datapath snapshot");
	}
	policy_free(p);
	*result = json_pack("{s:s}", "deleted", name);
	return 0;
}

static json_t *hits(const struct sw *sw, const struct pol_ver *v, uint32_t i)
{
	uint64_t pk, by;

	ver_hits(sw, v, i, &pk, &by);
	return json_pack("{s:I,s:I}", "packets", (json_int_t)pk, "bytes", (json_int_t)by);
}

static const char *const def_names[] = {"allow", "drop", "reject"};

static json_t *policy_json(const struct sw *sw, const struct pol_policy *p)
{
	json_t *rules = json_array();
	size_t i;
	json_t *r;

	json_array_foreach(p->rules, i, r)
	{
		json_t *c = json_copy(r);
		uint64_t pk, by;

		ver_hits(sw, p->ver, (uint32_t)i, &pk, &by);
		json_object_set_new(c, "packets", json_integer((json_int_t)pk));
		json_object_set_new(c, "bytes", json_integer((json_int_t)by));
		json_array_append_new(rules, c);
	}
	return json_pack("{s:s,s:s,s:O,s:o,s:o,s:o}", "name", p->name, "default",
			 def_names[p->def < 3 ? p->def : 0], "apply", p->apply, "rules", rules,
			 "default_hits", hits(sw, p->ver, POL_CTR_DEFAULT(p->ver)), "related_hits",
			 hits(sw, p->ver, POL_CTR_RELATED(p->ver)));
}

static int policy_list(struct sw *sw, json_t *params, json_t **result, struct api_err *err)
{
	const char *name = NULL;
	json_t *arr;

	if (api_get_str(params, "name", false, &name, err) < 0)
		return -EINVAL;
	if (name != NULL && pol_find(name, NULL) == NULL)
		return api_fail(err, -ENOENT, "no policy \"%s\" (policy.list shows them)", name);
	arr = json_array();
	for (const struct pol_policy *p = pol.list; p; p = p->next)
		if (name == NULL || strcmp(name, p->name) == 0)
			json_array_append_new(arr, policy_json(sw, p));
	*result = json_pack("{s:o,s:{s:i,s:i,s:I,s:I}}", "policies", arr, "conntrack", "size",
			    (int)pol.ct.size, "used", (int)atomic_load(&pol.ct.used), "evicted",
			    (json_int_t)atomic_load(&pol.ct.evicted), "lost",
			    (json_int_t)atomic_load(&pol.ct.lost));
	return 0;
}

json_t *pol_config(const struct sw *sw)
{
	json_t *arr = json_array();

	(void)sw;
	for (const struct pol_policy *p = pol.list; p; p = p->next)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:O,s:O}", "name", p->name,
						     "default", def_names[p->def < 3 ? p->def : 0],
						     "rules", p->rules, "apply", p->apply));
	return arr;
}

const struct ctl_method policy_methods[] = {
	{"policy.set", policy_set},
	{"policy.del", policy_del},
	{"policy.list", policy_list},
	{NULL, NULL},
};
