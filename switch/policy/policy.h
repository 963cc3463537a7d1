/* Policies in the switch: what the control thread keeps of each policy,
 * the compiled version of it PMDs run, and how both meet the pipeline.
 *
 *   control (policy_ctl.c)  policy.set / policy.del / policy.list; compiles
 *                 a policy's rules (rule.c, classify.c) into a new version,
 *                 publishes a snapshot that points at it and frees the old
 *                 one only once no PMD can see it (RCU), so a change is one
 *                 atomic switch between two complete versions; the state
 *                 file; expiry of the connection table.
 *   PMD (stage.c)  the policy features of the pipeline: an ingress feature
 *                 for frames entering the switch from a port, an egress one
 *                 for frames on their way out to a port. Each frame is
 *                 checked against the port's policy, then its network's;
 *                 stateful connections first, then the rules in order.
 *
 * The connection table is one for the switch (replies may come in on any
 * port and PMD), outside any version, so connections survive a change.
 *
 * Counters of a version are per PMD; a new version of a policy starts from
 * the totals of the old one for the rules both have. */
#ifndef VLAB_POLICY_H
#define VLAB_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "classify.h"
#include "conntrack.h"
#include "ctl.h"
#include "rule.h"
#include "sw.h"

#define POL_FEAT_MEM 1 /* our slot of sw_dp.feat_mem */

enum pol_dir { POL_IN, POL_OUT };

/* Hits of a rule (or of a policy's default, or of its stateful replies). */
struct pol_ctr {
	struct sw_ctr packets;
	struct sw_ctr bytes;
};

/* A rule of a compiled version. */
struct pol_vrule {
	uint8_t action;
	uint8_t flags;
	bool rate_bits;
	uint32_t next; /* the first match after this rule's (where count/mirror go on) */
	struct pol_bucket bucket;
};

/* A compiled policy: immutable once published, except counters and buckets. */
struct pol_ver {
	struct pol_class *cls;
	struct pol_vrule *r; /* [n_u] */
	uint32_t n_u;
	uint8_t def;         /* enum pol_action: allow, drop or reject */
	bool stateful;       /* a rule is stateful */
	uint32_t n_ctr;      /* n_u + 2: the rules, the default, the replies */
	struct pol_ctr *ctr; /* [SW_MAX_PMDS * n_ctr] */
	uint64_t *base;      /* [n_ctr * 2]: packets and bytes carried over */
};

#define POL_CTR_DEFAULT(v) ((v)->n_u)
#define POL_CTR_RELATED(v) ((v)->n_u + 1)

struct cap_session;

/* A policy in one snapshot: its version and the captures its mirror rules
 * copy to. */
struct pol_bind {
	const struct pol_ver *v;
	bool ct; /* check the connection table first (some policy is stateful) */
	uint16_t n_mir;
	struct cap_session *mir[API_MAX_CAPTURES];
};

/* The policies of one port in a snapshot: the port's own, then its
 * network's, per direction (NULL: none). */
struct pol_port {
	const struct pol_bind *b[2][2]; /* [enum pol_dir][0: port, 1: network] */
};

/* Where a policy applies. */
struct pol_apply {
	bool network; /* else a port */
	uint8_t dir;  /* enum pol_dir */
	char name[SW_NAME_MAX];
};

/* The control thread's record of a policy. */
struct pol_policy {
	char name[SW_NAME_MAX];
	json_t *rules;   /* as given (for policy.list and the state file) */
	json_t *apply;
	uint8_t def;
	struct pol_apply *ap;
	uint32_t n_ap;
	struct pol_ver *ver;
	struct pol_policy *next;
};

struct pol_global {
	struct pol_policy *list;
	unsigned int n;
	struct ct_table ct;
	uint64_t tsc_hz;
	struct sw *sw;
};

extern struct pol_global pol;

/* stage.c */
extern struct dp_feature pol_feature_in, pol_feature_out;

/* policy_ctl.c */
int pol_init_egress(void);
int pol_init(struct sw *sw, uint32_t ct_size);
void pol_shutdown(struct sw *sw);
void pol_dp_fill(const struct sw *sw, struct sw_dp *dp);
void pol_dp_release(struct sw_dp *dp);
/* Every control tick, 100 ms (control thread): expired connections out. */
void pol_tick(struct sw *sw);
/* The policy.set params of every policy, for the state file. */
json_t *pol_config(const struct sw *sw);
bool pol_exists(const char *name);
extern const struct ctl_method policy_methods[];

/* Nanoseconds from the TSC, for the connection table and buckets. */
static inline uint64_t pol_tsc_ns(uint64_t tsc)
{
	return (uint64_t)((unsigned __int128)tsc * 1000000000u / pol.tsc_hz);
}

#endif
