/* A lab's policies (topo.h's struct topo_policy) and the switch's: the
 * switch names (LAB.POLICY, ports LAB.NODE-IFNAME, networks LAB.NET), the
 * policy.set request of a policy, the plan that brings the switch's
 * policies of a lab to the topology's (set what is new or changed, delete
 * what is gone), the way back from policy.list to the lab's model (for
 * pingall's expectations), and the text of `vlab policy show`.
 *
 * Pure: models and JSON in, JSON, plans and text out; printing goes to the
 * FILE given. The CLI's main thread. */
#ifndef VLAB_POLSW_H
#define VLAB_POLSW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "topo.h"

#define POLSW_NAME_MAX 32 /* switch names, NUL included */
#define POLSW_WHY_MAX  96

/* LAB.NAME of a lab's policy (or network), LAB.NODE-IFNAME of a port. 0 or
 * -ENAMETOOLONG (more than 31 characters). */
int polsw_name(const char *lab, const char *name, char *buf, size_t len);
int polsw_port_name(const char *lab, const char *node, const char *ifname, char *buf, size_t len);

/* The policy.set params of policy p of lab `lab`: {name, default, rules,
 * apply} with switch names; NULL without memory. */
json_t *polsw_params(const char *lab, const struct topo_policy *p);

/* The lab's view of policy p: {name, default, apply: [{network | port:
 * NODE:IFNAME, direction}], rules}, for `vlab validate -j`. */
json_t *polsw_json(const struct topo_policy *p);

enum polsw_op {
	POLSW_DEL, /* delete a policy of the lab the topology no longer has */
	POLSW_SET, /* create or replace (hitless) a policy of the topology */
};

struct polsw_action {
	enum polsw_op op;
	int index;		  /* SET: into t->policies */
	char name[NODE_NAME_MAX]; /* the lab's name of the policy */
	char sw[POLSW_NAME_MAX];  /* its switch name */
	char why[POLSW_WHY_MAX];  /* "new", "removed", "changed: rules", ... */
};

/* What turns the switch's policies of lab `lab` (list: the "policies" of a
 * policy.list result, NULL: none) into those of t: deletions first (in the
 * switch's order), then a SET for each policy of t that the switch lacks or
 * holds otherwise (default, apply or rules differ; counters aside). Other
 * labs' policies are left alone. Returns the number of actions with *out a
 * new array (free() it), or -ENOMEM. */
int polsw_plan(const char *lab, const struct topo *t, const json_t *list,
	       struct polsw_action **out);

/* "- set policy web-only (new)" for each action. */
void polsw_plan_print(const struct polsw_action *a, int n, FILE *f);

/* The switch's policies of lab `lab` (list as above) as the lab's model,
 * names mapped back through t (networks LAB.NET, ports of t's node
 * interfaces): *out a new array of *n (free with topo_policies_free() on a
 * topology holding them, or polsw_free()). A place that is not the lab's is
 * left out. 0 or -ENOMEM. */
int polsw_from_list(const char *lab, const struct topo *t, const json_t *list,
		    struct topo_policy **out, int *n);
void polsw_free(struct topo_policy *p, int n);

/* A rule's match in short: "proto tcp src 10.0.0.1/32 dport 80 stateful"
 * (every key but action, name and the counters), at most len - 1 bytes
 * ("..." when cut); "any" when it matches every frame. */
void polsw_match_text(const json_t *rule, char *buf, size_t len);

/* `vlab policy show`: for each of the lab's policies of a policy.list
 * result (lab NULL: every policy, by its switch name; only `name` when not
 * NULL: the lab's name), its rules in order
 * (action, match, packets, bytes), default and related hits, where it
 * applies; then the connection table. 0, -ENOENT (no such policy), -EPROTO
 * (not the documented shape) or -ENOMEM. */
int polsw_show(FILE *f, const char *lab, const json_t *result, const char *name);

/* The same as JSON: {"lab", "policies": [the listed entries of the lab, with
 * "switch_name" and "name" the lab's], "conntrack"}; NULL without memory. */
json_t *polsw_show_json(const char *lab, const json_t *result, const char *name);

#endif /* VLAB_POLSW_H */
