/* What the parts of the topology parser share (control/topo*.c; the public
 * API is topo.h): limits, where each part of the file was written (for
 * messages that point at it), the parse context, YAML accessors, the problem
 * list, and the stages topo_parse() runs: parse (topo_parse.c, topo_node.c),
 * automatic values (topo_auto.c), cross-checks (topo_check.c). Not for other
 * modules.
 *
 * Pure; the caller's thread (one parse context per thread). */
#ifndef VLAB_TOPO_PRIV_H
#define VLAB_TOPO_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <yaml.h>

#include "addr.h"
#include "topo.h"

#define TOPO_LAB_NAME_MAX 20	    /* lab names prefix namespace and interface names */
#define TOPO_FILE_MAX	  (1 << 20) /* topology files larger than this are refused */
#define TOPO_VNI_MAX	  16777215u
#define TOPO_VNI_AUTO	  100u /* automatic VNIs start here */
#define TOPO_CPUS_MAX	  64u
#define TOPO_MEM_MIN	  32u	 /* MiB */
#define TOPO_MEM_MAX	  65536u /* MiB */
#define TOPO_IFNAME_MAX	  15u	 /* IFNAMSIZ - 1 */
#define TOPO_PORT_MAX	  31u	 /* switch port names NODE-IFNAME */

struct pos {
	int line, col; /* 1-based; 0 = not tied to a place */
};

/* Where the parts of one interface were written, for later checks. */
struct nic_src {
	struct pos at;			     /* the interface entry */
	struct pos net_at;		     /* its `network:` value */
	struct pos ip_at[NODE_MAX_ADDRS];    /* each given address */
	struct addr_cidr ip[NODE_MAX_ADDRS]; /* parsed given addresses */
	bool ip_ok[NODE_MAX_ADDRS];	     /* address parsed */
	struct pos mac_at;
	struct pos name_at; /* `name:` value, or the entry when defaulted */
	int net;	    /* index in topo.nets, -1 when undefined or missing */
	bool ip_given;	    /* `ip:` present (even an empty list) */
	bool mac_given;
};

struct route_src {
	struct pos to_at, via_at;
	bool to_ok, via_ok;
	struct addr_cidr to, via;
	bool to_default;
};

struct node_src {
	struct pos at; /* the node's name */
	struct nic_src nic[NODE_MAX_NICS];
	struct route_src rt[NODE_MAX_ROUTES];
};

struct net_src {
	struct pos vni_at, subnet_at;
	bool vni_given;	   /* valid vni given */
	bool subnet_given; /* valid subnet given */
	struct addr_cidr subnet;
	bool has_subnet;    /* given, taken from an address, or assigned */
	struct pos from_at; /* when taken from an interface address: that address */
	char from[NODE_ADDR_MAX];
	uint32_t next_host; /* automatic addresses: next candidate (host order) */
};

struct pctx {
	yaml_document_t *doc;
	struct topo *t;
	struct topo_errors *errs;
	struct net_src net[TOPO_MAX_NETS];
	struct node_src node[TOPO_MAX_NODES];
	bool nets_bad;	 /* `networks:` missing, not a mapping or too many: no "not
			  * defined" noise */
	bool nodes_over; /* more nodes than TOPO_MAX_NODES: no "not defined" noise */
	yaml_node_t *policies; /* the `policies:` value, parsed once addresses are known */
	bool switches_given;   /* the file has a `switches:` section */
};

#define MAP_FOREACH(c, m, p)                                                                       \
	for (yaml_node_pair_t *p = (m)->data.mapping.pairs.start; p < (m)->data.mapping.pairs.top; \
	     p++)
#define SEQ_FOREACH(m, it)                                                                         \
	for (yaml_node_item_t *it = (m)->data.sequence.items.start;                                \
	     it < (m)->data.sequence.items.top; it++)

/* ---- YAML accessors ---- */

static inline struct pos ypos(const yaml_node_t *n)
{
	struct pos p = {0, 0};

	if (n) {
		p.line = (int)n->start_mark.line + 1;
		p.col = (int)n->start_mark.column + 1;
	}
	return p;
}

static inline yaml_node_t *ynode(struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* A plain empty, "~" or "null" scalar: a key written without a value. */
static inline bool ynull(const yaml_node_t *n)
{
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return n == NULL;
	s = (const char *)n->data.scalar.value;
	return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static inline const char *ykind(const yaml_node_t *n)
{
	if (!n || ynull(n))
		return "nothing";
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static inline const char *ystr(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static inline int seq_len(const yaml_node_t *n)
{
	return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static inline uint32_t topo_v4mask(unsigned int plen)
{
	return plen ? 0xffffffffu << (32 - plen) : 0;
}

static inline bool topo_same_addr(const struct addr_cidr *a, const struct addr_cidr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* ---- the problem list, YAML helpers (topo_yaml.c) ---- */

/* Records a problem at `at` (or counts it when the list is full). */
void topo_err(struct topo_errors *errs, struct pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records a warning at `at`: valid, but likely not what was meant. */
void topo_warn(struct topo_errors *errs, struct pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Orders problems (and warnings) by place (stable: same place keeps the
 * order found). */
void topo_sort_errors(struct topo_errors *errs);
/* libyaml's problem (a syntax error, no memory) as a problem. */
void topo_yaml_problem(yaml_parser_t *p, struct topo_errors *errs);
/* For each pair of mapping m, the key node of the first earlier pair with
 * the same key text, or NULL: an array the caller frees, in O(n log n).
 * NULL (a problem recorded) when there is no memory. */
yaml_node_t **topo_first_keys(struct pctx *c, yaml_node_t *m);
/* A first pass over the file's events: false (a problem recorded) when
 * mappings and sequences nest deeper than `max`, which libyaml's loader
 * takes quadratic time over. */
bool topo_depth_ok(const char *text, size_t len, int max, struct topo_errors *errs);
/* Reports keys of mapping m that are not strings, not in `valid` (with a
 * "did you mean"), or given twice. `what` names the owner, e.g. `node "r1"`. */
void topo_check_keys(struct pctx *c, yaml_node_t *m, const char *const *valid, const char *what);
/* Value / key node of the first `key` in mapping m, or NULL. */
yaml_node_t *topo_map_get(struct pctx *c, yaml_node_t *m, const char *key);
yaml_node_t *topo_map_key(struct pctx *c, yaml_node_t *m, const char *key);
/* Text of scalar v; else reports "WHAT: KEY must be DESC (got ...)" and
 * returns NULL. */
const char *topo_want_str(struct pctx *c, yaml_node_t *v, const char *what, const char *key,
			  const char *desc);
/* Integer value in min..max; reports "WHAT: KEY must be an integer MIN-MAX". */
bool topo_want_uint(struct pctx *c, yaml_node_t *v, const char *what, const char *key,
		    unsigned long long min, unsigned long long max, unsigned long long *out);
/* true/false; reports anything else. */
bool topo_want_bool(struct pctx *c, yaml_node_t *v, const char *what, const char *key, bool *out);

/* ---- names and addresses of the model (topo.c) ---- */

/* "a.b.c.d/p" of host-order address a. */
void topo_v4str(uint32_t a, unsigned int plen, char *buf, size_t len);
/* "a/p" with the host bits of c cleared. */
void topo_network_str(const struct addr_cidr *c, char *buf, size_t len);
/* Comma-separated names of networks (nets) or nodes for "(networks: a, b)"
 * hints. */
void topo_list_names(const struct topo *t, bool nets, char *buf, size_t len);
/* "node \"r1\" interface eth0", for messages; returns buf. */
const char *topo_nic_label(const struct node *n, int i, char *buf, size_t len);

/* ---- the stages ---- */

/* topo_parse.c: the top-level mapping (name, networks, nodes, expect);
 * false when the document is no mapping at all. */
bool topo_parse_root(struct pctx *c, yaml_node_t *root);
/* Each entry of mapping m (networks, nodes, switches) through `parse`,
 * after the limit check (`max`; *over set beyond it); an entry whose name
 * came before is reported ("WHAT \"x\" is defined twice ...: FIX"), not
 * parsed. */
void topo_parse_entries(struct pctx *c, yaml_node_t *m, int max, const char *plural, bool *over,
			const char *what, const char *fix,
			void (*parse)(struct pctx *c, yaml_node_t *kn, yaml_node_t *v));
/* A lab or switch name: 1-max characters from a-z 0-9 -, not starting
 * with - (they become parts of namespace, interface and directory names). */
bool topo_short_name_ok(const char *s, size_t max);
/* topo_node.c: one node (kn: its name, v: its mapping), and its interface
 * names once all nodes are parsed. */
void topo_parse_node(struct pctx *c, yaml_node_t *kn, yaml_node_t *v);
void topo_check_ifnames(struct pctx *c, int ni);
/* topo_switch.c: the `switches:` section (before the nodes), a node's
 * `switch:` key, and the networks that span switches (their MTU). */
void topo_parse_switches(struct pctx *c, yaml_node_t *v);
void topo_parse_node_switch(struct pctx *c, int ni, yaml_node_t *x);
void topo_check_switches(struct pctx *c);
/* topo_auto.c: automatic VNIs, subnets, addresses. */
void topo_assign_vnis(struct pctx *c);
void topo_assign_subnets(struct pctx *c);
void topo_assign_addrs(struct pctx *c);
/* topo_policy.c: the `policies:` section (c->policies), once the nodes'
 * addresses are assigned; fills c->t->policies. */
void topo_parse_policy_section(struct pctx *c);
/* topo_check.c: what the parts say about each other. */
void topo_check_given_addrs(struct pctx *c);
void topo_check_dup_addrs(struct pctx *c);
void topo_check_macs(struct pctx *c);
void topo_check_routes(struct pctx *c);
void topo_check_vmhost(struct pctx *c);

#endif /* VLAB_TOPO_PRIV_H */
