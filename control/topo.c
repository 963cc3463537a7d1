/* Lab topologies: parses a topology file (YAML, libyaml document API) into
 * struct topo, validates everything at once (each problem with the line and
 * column of the YAML node at fault and the fix), and assigns VNIs, subnets and
 * addresses that were not given. The format is documented in docs/topology.md.
 *
 * Pure: text in, model or problem list out; no processes, no switch, no global
 * state. Runs on the caller's thread (the vlab CLI's main thread). Automatic
 * values depend only on the file, so the same file always gives the same lab. */
#include "topo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <yaml.h>

#include "addr.h"
#include "kind.h"
#include "mac.h"
#include "name.h"

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
	struct pos at;			    /* the interface entry */
	struct pos net_at;		    /* its `network:` value */
	struct pos ip_at[NODE_MAX_ADDRS];   /* each given address */
	struct addr_cidr ip[NODE_MAX_ADDRS]; /* parsed given addresses */
	bool ip_ok[NODE_MAX_ADDRS];	    /* address parsed */
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
};

static const char *const root_keys[] = {"name", "networks", "nodes", "expect", NULL};
static const char *const net_keys[] = {"vni", "subnet", NULL};
static const char *const node_keys[] = {"kind",	  "cpus",    "memory", "interfaces",
					"routes", "forward", "disk",   "kernel",
					"initrd", "append",  NULL};
static const char *const nic_keys[] = {"network", "ip", "mac", "mtu", "name", "queues", NULL};
static const char *const route_keys[] = {"to", "via", NULL};
static const char *const expect_keys[] = {"from", "to", "reach", NULL};

/* ---- problems ---- */

static void __attribute__((format(printf, 3, 4)))
add_err(struct topo_errors *errs, struct pos at, const char *fmt, ...)
{
	struct topo_error *e;
	va_list ap;

	if (errs->n >= TOPO_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	e = &errs->e[errs->n++];
	e->line = at.line;
	e->col = at.col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Orders problems by place (stable: same place keeps the order found). */
static void sort_errors(struct topo_errors *errs)
{
	for (int i = 1; i < errs->n; i++) {
		struct topo_error tmp = errs->e[i];
		int j = i - 1;

		while (j >= 0 && (errs->e[j].line > tmp.line ||
				  (errs->e[j].line == tmp.line && errs->e[j].col > tmp.col))) {
			errs->e[j + 1] = errs->e[j];
			j--;
		}
		errs->e[j + 1] = tmp;
	}
}

void topo_error_format(const struct topo_errors *errs, int i, const char *file, char *buf,
		       size_t len)
{
	const struct topo_error *e;

	if (!buf || len == 0)
		return;
	if (!errs || i < 0 || i >= errs->n) {
		buf[0] = '\0';
		return;
	}
	e = &errs->e[i];
	if (e->line > 0)
		snprintf(buf, len, "%s:%d:%d: %s", file ? file : "-", e->line, e->col, e->msg);
	else
		snprintf(buf, len, "%s: %s", file ? file : "-", e->msg);
}

/* ---- YAML helpers ---- */

static struct pos ypos(const yaml_node_t *n)
{
	struct pos p = {0, 0};

	if (n) {
		p.line = (int)n->start_mark.line + 1;
		p.col = (int)n->start_mark.column + 1;
	}
	return p;
}

static yaml_node_t *ynode(struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* A plain empty, "~" or "null" scalar: a key written without a value. */
static bool ynull(const yaml_node_t *n)
{
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return n == NULL;
	s = (const char *)n->data.scalar.value;
	return !strcmp(s, "") || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static const char *ykind(const yaml_node_t *n)
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

static const char *ystr(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

#define MAP_FOREACH(c, m, p)                                                                       \
	for (yaml_node_pair_t *p = (m)->data.mapping.pairs.start; p < (m)->data.mapping.pairs.top; \
	     p++)
#define SEQ_FOREACH(m, it)                                                                         \
	for (yaml_node_item_t *it = (m)->data.sequence.items.start;                                \
	     it < (m)->data.sequence.items.top; it++)

static int seq_len(const yaml_node_t *n)
{
	return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* Earlier key of mapping m with the same text as pair p's key, or NULL. */
static yaml_node_t *earlier_key(struct pctx *c, yaml_node_t *m, yaml_node_pair_t *p)
{
	const char *k = ystr(ynode(c, p->key));

	if (!k)
		return NULL;
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++) {
		const char *o = ystr(ynode(c, q->key));

		if (o && !strcmp(o, k))
			return ynode(c, q->key);
	}
	return NULL;
}

/* Levenshtein distance, capped: enough to suggest a key for a typo. */
static int edit_distance(const char *a, const char *b)
{
	int prev[32], cur[32];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 31 || lb >= 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int d = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* Reports keys of mapping m that are not strings, not in `valid`, or given
 * twice. `what` names the owner, e.g. `node "r1"`. */
static void check_keys(struct pctx *c, yaml_node_t *m, const char *const *valid, const char *what)
{
	MAP_FOREACH(c, m, p)
	{
		yaml_node_t *kn = ynode(c, p->key), *first;
		const char *k = ystr(kn);
		char list[160] = "", hint[48] = "";
		bool known = false;
		size_t off = 0;
		int best = 3;

		if (!k) {
			add_err(c->errs, ypos(kn), "%s: a key must be a plain word, not %s", what,
				ykind(kn));
			continue;
		}
		for (int i = 0; valid[i]; i++) {
			int d;

			if (!strcmp(k, valid[i]))
				known = true;
			off += (size_t)snprintf(list + off,
						off < sizeof(list) ? sizeof(list) - off : 0, "%s%s",
						i ? ", " : "", valid[i]);
			d = edit_distance(k, valid[i]);
			if (d < best) {
				best = d;
				snprintf(hint, sizeof(hint), "did you mean \"%s\"? ", valid[i]);
			}
		}
		if (!known) {
			add_err(c->errs, ypos(kn), "%s: unknown key \"%.40s\": %svalid keys: %s",
				what, k, hint, list);
			continue;
		}
		first = earlier_key(c, m, p);
		if (first)
			add_err(c->errs, ypos(kn),
				"%s: key \"%s\" is given twice (first at line %d): keep one", what,
				k, ypos(first).line);
	}
}

/* Value of the first `key` in mapping m, or NULL. */
static yaml_node_t *map_get(struct pctx *c, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	MAP_FOREACH(c, m, p)
	{
		const char *k = ystr(ynode(c, p->key));

		if (k && !strcmp(k, key))
			return ynode(c, p->value);
	}
	return NULL;
}

/* Key node of the first `key` in mapping m, or NULL. */
static yaml_node_t *map_key(struct pctx *c, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	MAP_FOREACH(c, m, p)
	{
		const char *k = ystr(ynode(c, p->key));

		if (k && !strcmp(k, key))
			return ynode(c, p->key);
	}
	return NULL;
}

/* Text of scalar v; else reports "WHAT: KEY must be DESC (got ...)" and
 * returns NULL. */
static const char *want_str(struct pctx *c, yaml_node_t *v, const char *what, const char *key,
			    const char *desc)
{
	if (v && v->type == YAML_SCALAR_NODE && !ynull(v))
		return (const char *)v->data.scalar.value;
	add_err(c->errs, ypos(v), "%s: %s must be %s (got %s)", what, key, desc, ykind(v));
	return NULL;
}

/* Decimal unsigned integer without sign or spaces, at most max. */
static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s || strlen(s) > 12)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Integer value in min..max; reports "WHAT: KEY must be an integer MIN-MAX". */
static bool want_uint(struct pctx *c, yaml_node_t *v, const char *what, const char *key,
		      unsigned long long min, unsigned long long max, unsigned long long *out)
{
	const char *s = ystr(v);

	if (s && !ynull(v) && parse_uint(s, max, out) && *out >= min)
		return true;
	if (s && !ynull(v))
		add_err(c->errs, ypos(v), "%s: %s must be an integer %llu-%llu (got \"%.40s\")",
			what, key, min, max, s);
	else
		add_err(c->errs, ypos(v), "%s: %s must be an integer %llu-%llu (got %s)", what, key,
			min, max, ykind(v));
	return false;
}

static bool want_bool(struct pctx *c, yaml_node_t *v, const char *what, const char *key, bool *out)
{
	const char *s = ystr(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))) {
		*out = true;
		return true;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))) {
		*out = false;
		return true;
	}
	add_err(c->errs, ypos(v), "%s: %s must be true or false (got %s%.40s%s)", what, key,
		s && !ynull(v) ? "\"" : "", s && !ynull(v) ? s : ykind(v),
		s && !ynull(v) ? "\"" : "");
	return false;
}

/* ---- names, addresses, MACs ---- */

static bool lab_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TOPO_LAB_NAME_MAX || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static uint32_t v4mask(unsigned int plen)
{
	return plen ? 0xffffffffu << (32 - plen) : 0;
}

static void v4str(uint32_t a, unsigned int plen, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
		 plen);
}

/* "a/p" with the host bits of c cleared. */
static void network_str(const struct addr_cidr *c, char *buf, size_t len)
{
	struct addr_cidr n = *c;
	unsigned int bytes = c->family == AF_INET ? 4 : 16;
	char tmp[INET6_ADDRSTRLEN];

	for (unsigned int i = 0; i < bytes; i++) {
		unsigned int bit = i * 8;

		if (bit >= c->plen)
			n.addr[i] = 0;
		else if (bit + 8 > c->plen)
			n.addr[i] &= (uint8_t)(0xff << (8 - (c->plen - bit)));
	}
	if (!inet_ntop(n.family, n.addr, tmp, sizeof(tmp)))
		tmp[0] = '\0';
	snprintf(buf, len, "%s/%u", tmp, c->plen);
}

static bool same_addr(const struct addr_cidr *a, const struct addr_cidr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* Comma-separated names for "(networks: a, b)" hints. */
static void list_names(const struct topo *t, bool nets, char *buf, size_t len)
{
	size_t off = 0;
	int n = nets ? t->n_nets : t->n_nodes;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		const char *name = nets ? t->nets[i].name : t->nodes[i].name;

		if (i == 8) {
			snprintf(buf + off, len - off, ", ...");
			break;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", name);
	}
	if (n == 0)
		snprintf(buf, len, "none defined");
}

int topo_net_find(const struct topo *t, const char *name)
{
	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n_nets; i++)
		if (!strcmp(t->nets[i].name, name))
			return i;
	return -1;
}

int topo_node_find(const struct topo *t, const char *name)
{
	if (!t || !name)
		return -1;
	for (int i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return i;
	return -1;
}

long topo_host_neighbours(const struct topo *t)
{
	long total = 0;

	for (int net = 0; t && net < t->n_nets; net++) {
		long hosts = 0, addrs = 0;

		for (int i = 0; i < t->n_nodes; i++)
			for (int k = 0; k < t->nodes[i].n_nics && k < NODE_MAX_NICS; k++) {
				const struct node_nic *c = &t->nodes[i].nics[k];

				if (strcmp(c->network, t->nets[net].name))
					continue;
				hosts += kind_of(t->nodes[i].kind) &&
					 kind_of(t->nodes[i].kind)->host_neighbours;
				addrs += c->n_addrs;
			}
		total += hosts * addrs;
	}
	return total;
}

/* ---- networks ---- */

static void parse_net(struct pctx *c, yaml_node_t *kn, yaml_node_t *v)
{
	struct topo *t = c->t;
	const char *name = ystr(kn);
	struct topo_net *tn;
	struct net_src *src;
	char what[64];
	yaml_node_t *x;

	if (!name || !name_ok(name, NODE_NAME_MAX - 1)) {
		add_err(c->errs, ypos(kn),
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
		add_err(c->errs, ypos(v),
			"%s must be a mapping such as { vni: 100, subnet: 10.0.0.0/24 } or {} "
			"(got %s)",
			what, ykind(v));
		return;
	}
	check_keys(c, v, net_keys, what);
	x = map_get(c, v, "vni");
	if (x) {
		unsigned long long vni;

		src->vni_at = ypos(x);
		if (want_uint(c, x, what, "vni", 1, TOPO_VNI_MAX, &vni)) {
			tn->vni = (uint32_t)vni;
			src->vni_given = true;
		}
	}
	x = map_get(c, v, "subnet");
	if (x) {
		const char *s = want_str(c, x, what, "subnet", "an IPv4 CIDR such as 10.0.0.0/24");
		struct addr_cidr sn;
		char fix[NODE_ADDR_MAX + 8];

		src->subnet_at = ypos(x);
		if (!s)
			return;
		if (addr_parse_cidr(s, &sn) < 0 || sn.family != AF_INET) {
			add_err(c->errs, ypos(x),
				"%s: subnet \"%.48s\" is not an IPv4 CIDR: write it like "
				"10.0.0.0/24",
				what, s);
		} else if (sn.plen == 0) {
			add_err(c->errs, ypos(x),
				"%s: subnet %s is too large: use a prefix of /1 to /32, e.g. /24",
				what, s);
		} else if (!addr_is_network(&sn)) {
			network_str(&sn, fix, sizeof(fix));
			add_err(c->errs, ypos(x), "%s: subnet %s has host bits set: use %s", what,
				s, fix);
		} else {
			network_str(&sn, tn->subnet, sizeof(tn->subnet));
			src->subnet = sn;
			src->subnet_given = src->has_subnet = true;
		}
	}
}

/* ---- nodes ---- */

static const char *nic_label(const struct node *n, int i, char *buf, size_t len)
{
	if (n->nics[i].ifname[0])
		snprintf(buf, len, "node \"%s\" interface %s", n->name, n->nics[i].ifname);
	else
		snprintf(buf, len, "node \"%s\" interface eth%d", n->name, i);
	return buf;
}

static void parse_nic(struct pctx *c, int ni, int idx, yaml_node_t *m)
{
	struct topo *t = c->t;
	struct node *n = &t->nodes[ni];
	struct node_nic *nic = &n->nics[idx];
	struct nic_src *src = &c->node[ni].nic[idx];
	char what[96], names[200];
	yaml_node_t *x;
	const char *s;

	src->at = ypos(m);
	src->name_at = ypos(m);
	src->net = -1;
	/* the name first: messages about this interface use it */
	x = map_get(c, m, "name");
	if (x) {
		snprintf(what, sizeof(what), "node \"%s\" interface %d", n->name, idx);
		src->name_at = ypos(x);
		s = want_str(c, x, what, "name", "an interface name such as eth1");
		if (s && (!name_ok(s, TOPO_IFNAME_MAX) || !strcmp(s, "lo")))
			add_err(c->errs, ypos(x),
				"%s: interface name \"%.40s\" is not valid: use 1-15 characters "
				"from A-Z a-z 0-9 _ . - (not \"lo\", not starting with . or -)",
				what, s);
		else if (s)
			snprintf(nic->ifname, sizeof(nic->ifname), "%s", s);
	}
	nic_label(n, idx, what, sizeof(what));
	check_keys(c, m, nic_keys, what);

	x = map_get(c, m, "network");
	if (!x) {
		list_names(t, true, names, sizeof(names));
		add_err(c->errs, ypos(m), "%s: missing required key \"network\" (networks: %s)",
			what, names);
	} else if ((s = want_str(c, x, what, "network", "a network name")) != NULL) {
		src->net_at = ypos(x);
		snprintf(nic->network, sizeof(nic->network), "%.31s", s);
		src->net = topo_net_find(t, s);
		if (src->net < 0 && !c->nets_bad) {
			list_names(t, true, names, sizeof(names));
			add_err(c->errs, ypos(x),
				"%s: network \"%.40s\" is not defined (networks: %s): define it "
				"under networks: or fix the name",
				what, s, names);
		}
	}

	x = map_get(c, m, "ip");
	if (x) {
		yaml_node_t *one[1] = {x};
		yaml_node_t **list = one;
		int count = 1;
		yaml_node_t *items[NODE_MAX_ADDRS + 1];

		src->ip_given = true;
		if (x->type == YAML_SEQUENCE_NODE) {
			count = 0;
			SEQ_FOREACH(x, it)
			{
				if (count == NODE_MAX_ADDRS) {
					add_err(c->errs, ypos(ynode(c, *it)),
						"%s: too many addresses (at most %d)", what,
						NODE_MAX_ADDRS);
					break;
				}
				items[count++] = ynode(c, *it);
			}
			list = items;
		}
		for (int k = 0; k < count; k++) {
			struct addr_cidr a;

			s = want_str(c, list[k], what, "ip",
				     "a CIDR such as 10.0.0.5/24, or a list of them");
			if (!s)
				continue;
			if (addr_parse_cidr(s, &a) < 0) {
				add_err(c->errs, ypos(list[k]),
					"%s: address \"%.48s\" is not in CIDR form: write it like "
					"10.0.0.5/24 or fd00::5/64",
					what, s);
				continue;
			}
			if (strlen(s) >= NODE_ADDR_MAX)
				continue;
			snprintf(nic->addrs[nic->n_addrs], NODE_ADDR_MAX, "%s", s);
			src->ip[nic->n_addrs] = a;
			src->ip_at[nic->n_addrs] = ypos(list[k]);
			src->ip_ok[nic->n_addrs] = true;
			nic->n_addrs++;
		}
	}

	x = map_get(c, m, "mac");
	if (x && (s = want_str(c, x, what, "mac", "a MAC address such as 52:54:00:12:34:56"))) {
		src->mac_at = ypos(x);
		if (mac_parse(s, nic->mac) < 0) {
			memset(nic->mac, 0, 6);
			add_err(c->errs, ypos(x),
				"%s: MAC \"%.40s\" is not valid: write six hex bytes like "
				"52:54:00:12:34:56 (quote it in YAML)",
				what, s);
		} else if (nic->mac[0] & 1) {
			memset(nic->mac, 0, 6);
			add_err(c->errs, ypos(x),
				"%s: MAC %s is a multicast address: the first byte must be even, "
				"e.g. 52:54:00:...",
				what, s);
		} else if (!(nic->mac[0] | nic->mac[1] | nic->mac[2] | nic->mac[3] | nic->mac[4] |
			     nic->mac[5])) {
			add_err(
			    c->errs, ypos(x),
			    "%s: MAC 00:00:00:00:00:00 is not usable: give another or leave mac "
			    "out for an automatic one",
			    what);
		} else {
			src->mac_given = true;
		}
	}

	x = map_get(c, m, "mtu");
	if (x) {
		unsigned long long mtu;

		if (want_uint(c, x, what, "mtu", 68, 65535, &mtu))
			nic->mtu = (uint32_t)mtu;
	}

	x = map_get(c, m, "queues");
	if (x) {
		const struct kind_ops *k = kind_of(c->t->nodes[ni].kind);
		unsigned long long q;
		char kinds[64];

		kind_list(kinds, sizeof(kinds), "", false, KIND_QUEUES);
		if (!(k->features & KIND_QUEUES))
			add_err(c->errs, ypos(map_key(c, m, "queues")),
				"%s: \"queues\" applies only to kind %s (a %s's %s has no virtio "
				"queues): remove it or set kind: %s",
				what, kinds, k->noun, k->nic_noun, kinds);
		else if (want_uint(c, x, what, "queues", 1, NODE_MAX_QUEUES, &q))
			nic->queues = (uint32_t)q;
	}
}

static void parse_route(struct pctx *c, int ni, int idx, yaml_node_t *m)
{
	struct node *n = &c->t->nodes[ni];
	struct node_route *r = &n->routes[idx];
	struct route_src *src = &c->node[ni].rt[idx];
	char what[64], fix[NODE_ADDR_MAX + 8];
	yaml_node_t *x;
	const char *s;

	snprintf(what, sizeof(what), "node \"%s\" route %d", n->name, idx + 1);
	if (m->type != YAML_MAPPING_NODE) {
		add_err(c->errs, ypos(m),
			"%s must be a mapping such as { to: default, via: 10.0.0.1 } (got %s)",
			what, ykind(m));
		return;
	}
	check_keys(c, m, route_keys, what);
	x = map_get(c, m, "to");
	if (!x) {
		add_err(c->errs, ypos(m),
			"%s: missing required key \"to\" (a CIDR such as 10.2.0.0/24, or default)",
			what);
	} else if ((s = want_str(c, x, what, "to", "a CIDR such as 10.2.0.0/24, or default"))) {
		src->to_at = ypos(x);
		snprintf(r->dst, sizeof(r->dst), "%.47s", s);
		if (!strcmp(s, "default")) {
			src->to_default = src->to_ok = true;
		} else if (addr_parse_cidr(s, &src->to) < 0) {
			add_err(c->errs, ypos(x),
				"%s: to \"%.48s\" is not a CIDR: write it like 10.2.0.0/24, or "
				"default",
				what, s);
		} else if (!addr_is_network(&src->to)) {
			network_str(&src->to, fix, sizeof(fix));
			add_err(c->errs, ypos(x), "%s: to %s has host bits set: use %s", what, s,
				fix);
		} else {
			src->to_ok = true;
		}
	}
	x = map_get(c, m, "via");
	if (!x) {
		add_err(c->errs, ypos(m),
			"%s: missing required key \"via\" (the next hop, e.g. 10.0.0.1)", what);
	} else if ((s = want_str(c, x, what, "via", "an address such as 10.0.0.1"))) {
		src->via_at = ypos(x);
		snprintf(r->via, sizeof(r->via), "%.47s", s);
		if (addr_parse(s, &src->via) < 0)
			add_err(c->errs, ypos(x),
				"%s: via \"%.48s\" is not an address: write the next hop like "
				"10.0.0.1 (no /prefix)",
				what, s);
		else
			src->via_ok = true;
	}
	if (src->to_ok && src->via_ok && !src->to_default && src->to.family != src->via.family) {
		add_err(c->errs, src->via_at,
			"%s: via %s and to %s are of different IP versions: use a next hop of the "
			"same family",
			what, r->via, r->dst);
		src->via_ok = false;
	}
}

/* Parses memory: "128", "128M", "128MiB", "1G", "1GiB" (MiB when no unit). */
static bool parse_mem(const char *s, unsigned int *mib)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > 1u << 30)
			return false;
		p++;
	}
	if (*p == 'G' || *p == 'g') {
		v *= 1024;
		p++;
	} else if (*p == 'M' || *p == 'm') {
		p++;
	}
	if (p[0] == 'i' && p[1] == 'B')
		p += 2;
	else if (p[0] == 'B')
		p++;
	if (*p || v < TOPO_MEM_MIN || v > TOPO_MEM_MAX)
		return false;
	*mib = (unsigned int)v;
	return true;
}

/* Reports key `key` of mapping m when the node's kind `k` lacks `feature`
 * (e.g. cpus of a namespace host); true when it does. */
static bool kind_lacks(struct pctx *c, yaml_node_t *m, const char *what, const char *key,
		       const struct kind_ops *k, unsigned int feature, bool or_set)
{
	char kinds[64];

	if (k->features & feature)
		return false;
	kind_list(kinds, sizeof(kinds), "", false, feature);
	add_err(c->errs, ypos(map_key(c, m, key)),
		"%s: \"%s\" applies only to kind %s (this node is a %s): remove it%s%s", what, key,
		kinds, k->noun, or_set ? " or set kind: " : "", or_set ? kinds : "");
	return true;
}

static void parse_path(struct pctx *c, yaml_node_t *m, const char *what, const char *key, char *dst,
		       const struct kind_ops *k)
{
	yaml_node_t *x = map_get(c, m, key);
	const char *s;

	if (!x || kind_lacks(c, m, what, key, k, KIND_BOOT, true))
		return;
	s = want_str(c, x, what, key, "a string");
	if (!s)
		return;
	if (strlen(s) >= NODE_PATH_MAX)
		add_err(c->errs, ypos(x), "%s: %s is longer than %d characters", what, key,
			NODE_PATH_MAX - 1);
	else
		snprintf(dst, NODE_PATH_MAX, "%s", s);
}

static void parse_node(struct pctx *c, yaml_node_t *kn, yaml_node_t *v)
{
	struct topo *t = c->t;
	const char *name = ystr(kn);
	struct node *n;
	struct node_src *src;
	char what[64];
	const struct kind_ops *k = kind_of(NODE_VM);
	char kinds[160];
	yaml_node_t *x;
	int ni;

	if (!name || !name_ok(name, NODE_NAME_MAX - 1)) {
		add_err(c->errs, ypos(kn),
			"node name \"%.40s\" is not valid: use 1-31 characters from A-Z a-z 0-9 _ "
			". - (not starting with . or -)",
			name ? name : "");
		return;
	}
	if (t->n_nodes >= TOPO_MAX_NODES)
		return; /* reported once by parse_root() */
	ni = t->n_nodes++;
	n = &t->nodes[ni];
	src = &c->node[ni];
	src->at = ypos(kn);
	t->node_line[ni] = src->at.line;
	t->node_col[ni] = src->at.col;
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->kind = NODE_VM;
	n->cpus = 1;
	n->mem_mib = 128;
	snprintf(what, sizeof(what), "node \"%s\"", name);
	if (ynull(v) || v->type != YAML_MAPPING_NODE) {
		add_err(c->errs, ypos(ynull(v) ? kn : v),
			"%s must be a mapping with at least interfaces: [ { network: NET } ] "
			"(got %s)",
			what, ykind(v));
		return;
	}
	check_keys(c, v, node_keys, what);

	x = map_get(c, v, "kind");
	if (x) {
		const char *s =
		    want_str(c, x, what, "kind", kind_list(kinds, sizeof(kinds), "", false, 0));
		const struct kind_ops *found = s ? kind_find(s, &n->kind) : NULL;

		if (found)
			k = found;
		else if (s)
			add_err(c->errs, ypos(x), "%s: kind \"%.40s\" is not known: use %s", what,
				s, kind_list(kinds, sizeof(kinds), "", true, 0));
	}
	x = map_get(c, v, "cpus");
	if (x && !kind_lacks(c, v, what, "cpus", k, KIND_CPUS, false)) {
		unsigned long long cpus;

		if (want_uint(c, x, what, "cpus", 1, TOPO_CPUS_MAX, &cpus))
			n->cpus = (unsigned int)cpus;
	}
	x = map_get(c, v, "memory");
	if (x && !kind_lacks(c, v, what, "memory", k, KIND_MEMORY, false)) {
		const char *s = ystr(x);

		if (!s || ynull(x) || !parse_mem(s, &n->mem_mib))
			add_err(c->errs, ypos(x),
				"%s: memory \"%.40s\" is not a size: use e.g. 128M or 1G (32M to "
				"64G)",
				what, s && !ynull(x) ? s : "");
	}
	x = map_get(c, v, "forward");
	if (x)
		want_bool(c, x, what, "forward", &n->ip_forward);
	parse_path(c, v, what, "disk", n->disk, k);
	parse_path(c, v, what, "kernel", n->kernel, k);
	parse_path(c, v, what, "initrd", n->initrd, k);
	parse_path(c, v, what, "append", n->append, k);
	if (n->initrd[0] && !n->kernel[0])
		add_err(c->errs, ypos(map_key(c, v, "initrd")),
			"%s: initrd needs kernel: add kernel: FILE or remove initrd", what);

	x = map_get(c, v, "interfaces");
	if (!x) {
		add_err(c->errs, src->at,
			"%s has no interfaces: add interfaces: [ { network: NET } ]", what);
	} else if (x->type != YAML_SEQUENCE_NODE || seq_len(x) == 0) {
		add_err(c->errs, ypos(x),
			"%s: interfaces must be a non-empty list such as [ { network: NET } ] "
			"(got %s)",
			what, x->type == YAML_SEQUENCE_NODE ? "an empty list" : ykind(x));
	} else {
		SEQ_FOREACH(x, it)
		{
			yaml_node_t *m = ynode(c, *it);

			if (n->n_nics == NODE_MAX_NICS) {
				add_err(c->errs, ypos(m), "%s: too many interfaces (at most %d)",
					what, NODE_MAX_NICS);
				break;
			}
			if (m->type != YAML_MAPPING_NODE) {
				add_err(
				    c->errs, ypos(m),
				    "%s: an interface must be a mapping such as { network: NET, "
				    "ip: 10.0.0.5/24 } (got %s)",
				    what, ykind(m));
				continue;
			}
			parse_nic(c, ni, n->n_nics++, m);
		}
	}

	x = map_get(c, v, "routes");
	if (x && !ynull(x) && x->type != YAML_SEQUENCE_NODE) {
		add_err(c->errs, ypos(x),
			"%s: routes must be a list such as [ { to: default, via: 10.0.0.1 } ] "
			"(got %s)",
			what, ykind(x));
	} else if (x && !ynull(x)) {
		SEQ_FOREACH(x, it)
		{
			if (n->n_routes == NODE_MAX_ROUTES) {
				add_err(c->errs, ypos(ynode(c, *it)),
					"%s: too many routes (at most %d)", what, NODE_MAX_ROUTES);
				break;
			}
			parse_route(c, ni, n->n_routes++, ynode(c, *it));
		}
	}
}

/* Default interface names, unique names, switch port names that fit. */
static void check_ifnames(struct pctx *c, int ni)
{
	struct node *n = &c->t->nodes[ni];

	for (int i = 0; i < n->n_nics; i++) {
		struct nic_src *src = &c->node[ni].nic[i];
		char label[96];

		if (!n->nics[i].ifname[0])
			snprintf(n->nics[i].ifname, sizeof(n->nics[i].ifname), "eth%d", i);
		for (int j = 0; j < i; j++) {
			if (strcmp(n->nics[i].ifname, n->nics[j].ifname))
				continue;
			add_err(c->errs, src->name_at,
				"node \"%s\": interface name %s is used twice (interfaces %d and "
				"%d): give one a different name",
				n->name, n->nics[i].ifname, j, i);
			break;
		}
		if (strlen(n->name) + 1 + strlen(n->nics[i].ifname) > TOPO_PORT_MAX)
			add_err(c->errs, src->name_at,
				"%s: switch port name \"%s-%s\" is longer than %u characters: "
				"shorten the node name or the interface name",
				nic_label(n, i, label, sizeof(label)), n->name, n->nics[i].ifname,
				TOPO_PORT_MAX);
	}
}

/* ---- expectations ---- */

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
		list_names(t, false, names, sizeof(names));
		add_err(c->errs, at,
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
		add_err(c->errs, at,
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
		add_err(c->errs, ypos(seq),
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
			add_err(c->errs, ypos(m), "expect: too many entries (at most %d)",
				TOPO_MAX_EXPECT);
			return;
		}
		if (m->type != YAML_MAPPING_NODE) {
			add_err(c->errs, ypos(m),
				"expect: an entry must be a mapping such as { from: a, to: b, "
				"reach: false } (got %s)",
				ykind(m));
			continue;
		}
		e = &t->expect[t->n_expect++];
		e->line = ypos(m).line;
		e->col = ypos(m).col;
		e->reach = true;
		check_keys(c, m, expect_keys, "expect");
		for (int k = 0; k < 2; k++) {
			const char *key = k ? "to" : "from";
			char *dst = k ? e->to : e->from;

			x = map_get(c, m, key);
			if (!x) {
				add_err(c->errs, ypos(m),
					"expect: missing required key \"%s\" (a node name or "
					"NODE:IFNAME)",
					key);
				continue;
			}
			s = want_str(c, x, "expect", key, "a node name or NODE:IFNAME");
			if (!s)
				continue;
			snprintf(dst, sizeof(e->from), "%.*s", (int)sizeof(e->from) - 1, s);
			check_endpoint(c, s, ypos(x), key);
		}
		x = map_get(c, m, "reach");
		if (x)
			want_bool(c, x, "expect", "reach", &e->reach);
	}
}

/* ---- automatic values and cross checks ---- */

static void assign_vnis(struct pctx *c)
{
	struct topo *t = c->t;
	/* the smallest free VNI only grows as networks take them: each search
	 * goes on from the last VNI assigned */
	uint32_t v = TOPO_VNI_AUTO;

	for (int i = 0; i < t->n_nets; i++) {
		if (!c->net[i].vni_given)
			continue;
		for (int j = 0; j < i; j++) {
			if (!c->net[j].vni_given || t->nets[j].vni != t->nets[i].vni)
				continue;
			add_err(c->errs, c->net[i].vni_at,
				"network \"%s\": VNI %u is already used by network \"%s\" (line "
				"%d): choose another VNI or leave vni out for a free one",
				t->nets[i].name, t->nets[i].vni, t->nets[j].name, t->nets[j].line);
			break;
		}
	}
	for (int i = 0; i < t->n_nets; i++) {
		bool used;

		if (c->net[i].vni_given)
			continue;
		do {
			used = false;
			for (int j = 0; j < t->n_nets && !used; j++)
				used = (c->net[j].vni_given || t->nets[j].vni_auto) &&
				       t->nets[j].vni == v;
			if (used)
				v++;
		} while (used);
		t->nets[i].vni = v;
		t->nets[i].vni_auto = true;
	}
}

static bool v4_overlap(uint32_t a, unsigned int pa, uint32_t b, unsigned int pb)
{
	unsigned int p = pa < pb ? pa : pb;

	return (a & v4mask(p)) == (b & v4mask(p));
}

static void assign_subnets(struct pctx *c)
{
	struct topo *t = c->t;
	uint32_t cand = 10u << 24 | 100u << 16; /* 10.100.0.0/24 */

	/* a network without subnet takes the one of its first IPv4 address */
	for (int i = 0; i < t->n_nets; i++) {
		struct net_src *ns = &c->net[i];

		for (int ni = 0; ni < t->n_nodes && !ns->has_subnet; ni++) {
			struct node *n = &t->nodes[ni];

			for (int k = 0; k < n->n_nics && !ns->has_subnet; k++) {
				struct nic_src *s = &c->node[ni].nic[k];

				if (s->net != i)
					continue;
				for (int a = 0; a < n->nics[k].n_addrs; a++) {
					if (!s->ip_ok[a] || s->ip[a].family != AF_INET)
						continue;
					ns->subnet = s->ip[a];
					network_str(&s->ip[a], t->nets[i].subnet,
						    sizeof(t->nets[i].subnet));
					addr_parse_cidr(t->nets[i].subnet, &ns->subnet);
					ns->has_subnet = true;
					ns->from_at = s->ip_at[a];
					snprintf(ns->from, sizeof(ns->from), "%s",
						 n->nics[k].addrs[a]);
					t->nets[i].subnet_auto = true;
					break;
				}
			}
		}
	}
	/* the others: the first free 10.X.Y.0/24 from 10.100.0.0/24 up */
	for (int i = 0; i < t->n_nets; i++) {
		struct net_src *ns = &c->net[i];
		bool clash;

		if (ns->has_subnet)
			continue;
		do {
			clash = false;
			for (int j = 0; j < t->n_nets && !clash; j++)
				clash = c->net[j].has_subnet &&
					v4_overlap(cand, 24, addr_v4(&c->net[j].subnet),
						   c->net[j].subnet.plen);
			if (clash)
				cand += 256;
		} while (clash && cand >> 24 == 10);
		if (cand >> 24 != 10) {
			add_err(c->errs, (struct pos){t->nets[i].line, t->nets[i].col},
				"network \"%s\": no free 10.X.Y.0/24 subnet left: give it a subnet",
				t->nets[i].name);
			continue;
		}
		v4str(cand, 24, t->nets[i].subnet, sizeof(t->nets[i].subnet));
		addr_parse_cidr(t->nets[i].subnet, &ns->subnet);
		ns->has_subnet = true;
		t->nets[i].subnet_auto = true;
		cand += 256;
	}
}

/* Given IPv4 addresses: inside the subnet, same prefix, a host address. */
static void check_given_addrs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int k = 0; k < n->n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];
			struct net_src *ns;
			char label[96], from[NODE_ADDR_MAX + 40] = "";
			const char *tn;

			if (s->net < 0 || !c->net[s->net].has_subnet)
				continue;
			ns = &c->net[s->net];
			tn = t->nets[s->net].name;
			if (ns->from[0])
				snprintf(from, sizeof(from), " (taken from %s at line %d)",
					 ns->from, ns->from_at.line);
			nic_label(n, k, label, sizeof(label));
			for (int a = 0; a < n->nics[k].n_addrs; a++) {
				uint32_t ad, net = addr_v4(&ns->subnet), m = v4mask(ns->subnet.plen);
				char fix[NODE_ADDR_MAX];

				if (!s->ip_ok[a] || s->ip[a].family != AF_INET)
					continue;
				ad = addr_v4(&s->ip[a]);
				if ((ad & m) != net) {
					add_err(c->errs, s->ip_at[a],
						"%s: address %s is outside subnet %s of network "
						"\"%s\"%s: use an address in %s",
						label, n->nics[k].addrs[a], t->nets[s->net].subnet,
						tn, from, t->nets[s->net].subnet);
					continue;
				}
				if (s->ip[a].plen != ns->subnet.plen) {
					char host[INET6_ADDRSTRLEN];

					addr_format(&s->ip[a], host, sizeof(host));
					snprintf(fix, sizeof(fix), "%s/%u", host, ns->subnet.plen);
					add_err(c->errs, s->ip_at[a],
						"%s: address %s has prefix /%u but subnet %s of "
						"network \"%s\" is /%u: use %s",
						label, n->nics[k].addrs[a], s->ip[a].plen,
						t->nets[s->net].subnet, tn, ns->subnet.plen, fix);
					continue;
				}
				if (ns->subnet.plen <= 30 && (ad == net || ad == (net | ~m)))
					add_err(
					    c->errs, s->ip_at[a],
					    "%s: address %s is the %s address of subnet %s: use a "
					    "host address",
					    label, n->nics[k].addrs[a],
					    ad == net ? "network" : "broadcast",
					    t->nets[s->net].subnet);
			}
		}
	}
}

/* The same address twice on one network. */
static void check_dup_addrs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int k = 0; k < n->n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];

			for (int a = 0; a < n->nics[k].n_addrs; a++) {
				bool found = false;

				if (!s->ip_ok[a] || s->net < 0)
					continue;
				/* every earlier (node, nic, address) on the same network */
				for (int nj = 0; nj <= ni && !found; nj++) {
					struct node *o = &t->nodes[nj];

					for (int q = 0; q < o->n_nics && !found; q++) {
						struct nic_src *os = &c->node[nj].nic[q];

						if (nj == ni && q > k)
							break;
						if (os->net != s->net)
							continue;
						for (int b = 0; b < o->nics[q].n_addrs; b++) {
							char host[INET6_ADDRSTRLEN], label[96];

							if (nj == ni && q == k && b >= a)
								break;
							if (!os->ip_ok[b] ||
							    !same_addr(&os->ip[b], &s->ip[a]))
								continue;
							addr_format(&s->ip[a], host, sizeof(host));
							add_err(
							    c->errs, s->ip_at[a],
							    "%s: address %s is already used on "
							    "network \"%s\" by node \"%s\" "
							    "interface %s (line %d): pick another "
							    "or leave ip out",
							    nic_label(n, k, label, sizeof(label)),
							    host, t->nets[s->net].name, o->name,
							    o->nics[q].ifname, os->ip_at[b].line);
							found = true;
							break;
						}
					}
				}
			}
		}
	}
}

static bool v4_used(struct pctx *c, int net, uint32_t ad)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++)
		for (int k = 0; k < t->nodes[ni].n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];

			if (s->net != net)
				continue;
			for (int a = 0; a < t->nodes[ni].nics[k].n_addrs; a++)
				if (s->ip_ok[a] && s->ip[a].family == AF_INET &&
				    addr_v4(&s->ip[a]) == ad)
					return true;
		}
	return false;
}

/* Interfaces without ip: the next free host address of the subnet, in file
 * order, skipping addresses given anywhere on the network. */
static void assign_addrs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int i = 0; i < t->n_nets; i++) {
		struct net_src *ns = &c->net[i];

		if (ns->has_subnet)
			ns->next_host = addr_v4(&ns->subnet) + (ns->subnet.plen <= 30 ? 1 : 0);
	}
	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int k = 0; k < n->n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];
			struct net_src *ns;
			uint32_t last, ad;
			char label[96];

			if (s->ip_given || s->net < 0 || !c->net[s->net].has_subnet)
				continue;
			ns = &c->net[s->net];
			last = addr_v4(&ns->subnet) | ~v4mask(ns->subnet.plen);
			if (ns->subnet.plen <= 30)
				last--;
			ad = ns->next_host;
			while (ad <= last && ad != 0 && v4_used(c, s->net, ad))
				ad++;
			if (ad > last || ad == 0 || ad < addr_v4(&ns->subnet)) {
				add_err(c->errs, s->at,
					"%s: no free address left in subnet %s of network \"%s\": "
					"give the network a larger subnet",
					nic_label(n, k, label, sizeof(label)),
					t->nets[s->net].subnet, t->nets[s->net].name);
				ns->next_host = 0;
				continue;
			}
			v4str(ad, ns->subnet.plen, n->nics[k].addrs[0], NODE_ADDR_MAX);
			addr_parse_cidr(n->nics[k].addrs[0], &s->ip[0]);
			s->ip_ok[0] = true;
			s->ip_at[0] = s->at;
			n->nics[k].n_addrs = 1;
			ns->next_host = ad + 1;
		}
	}
}

static void check_macs(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++)
		for (int k = 0; k < t->nodes[ni].n_nics; k++) {
			struct nic_src *s = &c->node[ni].nic[k];
			bool found = false;

			if (!s->mac_given)
				continue;
			for (int nj = 0; nj <= ni && !found; nj++)
				for (int q = 0; q < t->nodes[nj].n_nics; q++) {
					char label[96];

					if (nj == ni && q == k)
						break;
					if (!c->node[nj].nic[q].mac_given ||
					    memcmp(t->nodes[nj].nics[q].mac,
						   t->nodes[ni].nics[k].mac, 6))
						continue;
					add_err(c->errs, s->mac_at,
						"%s: MAC %02x:%02x:%02x:%02x:%02x:%02x is already "
						"used by node \"%s\" interface %s (line %d): give "
						"another or leave mac out",
						nic_label(&t->nodes[ni], k, label, sizeof(label)),
						t->nodes[ni].nics[k].mac[0],
						t->nodes[ni].nics[k].mac[1],
						t->nodes[ni].nics[k].mac[2],
						t->nodes[ni].nics[k].mac[3],
						t->nodes[ni].nics[k].mac[4],
						t->nodes[ni].nics[k].mac[5], t->nodes[nj].name,
						t->nodes[nj].nics[q].ifname,
						c->node[nj].nic[q].mac_at.line);
					found = true;
					break;
				}
		}
}

/* Next hops on a subnet of the node's own addresses; no destination twice. */
static void check_routes(struct pctx *c)
{
	struct topo *t = c->t;

	for (int ni = 0; ni < t->n_nodes; ni++) {
		struct node *n = &t->nodes[ni];

		for (int r = 0; r < n->n_routes; r++) {
			struct route_src *rs = &c->node[ni].rt[r];
			char mine[160] = "";
			size_t off = 0;
			bool onlink = false;

			if (!rs->via_ok)
				continue;
			for (int k = 0; k < n->n_nics && !onlink; k++) {
				struct nic_src *s = &c->node[ni].nic[k];

				for (int a = 0; a < n->nics[k].n_addrs; a++) {
					if (!s->ip_ok[a])
						continue;
					if (addr_contains(&s->ip[a], &rs->via)) {
						onlink = true;
						break;
					}
					if (off < sizeof(mine))
						off += (size_t)snprintf(
						    mine + off, sizeof(mine) - off, "%s%s",
						    off ? ", " : "", n->nics[k].addrs[a]);
				}
			}
			if (rs->via.family == AF_INET6 && rs->via.addr[0] == 0xfe &&
			    (rs->via.addr[1] & 0xc0) == 0x80)
				onlink = true; /* link-local next hop */
			if (!onlink)
				add_err(
				    c->errs, rs->via_at,
				    "node \"%s\": route via %s is not on a subnet of the node's "
				    "addresses (%s): use a next hop in one of them",
				    n->name, n->routes[r].via, mine[0] ? mine : "none");
			for (int q = 0; q < r; q++) {
				struct route_src *o = &c->node[ni].rt[q];
				bool same;

				if (!o->to_ok || !rs->to_ok || !o->via_ok)
					continue;
				if (rs->to_default || o->to_default)
					same = rs->to_default && o->to_default &&
					       rs->via.family == o->via.family;
				else
					same =
					    same_addr(&rs->to, &o->to) && rs->to.plen == o->to.plen;
				if (same) {
					add_err(
					    c->errs, rs->to_at,
					    "node \"%s\": a route to %s is given twice (first at "
					    "line %d): keep one",
					    n->name, n->routes[r].dst, o->to_at.line);
					break;
				}
			}
		}
	}
}

/* What vmhost will check again before starting a node: catches anything
 * missed here and guest configurations too long for the kernel command line. */
static void check_vmhost(struct pctx *c)
{
	struct topo *t = c->t;
	struct node *tmp = malloc(sizeof(*tmp));
	char err[200];

	if (!tmp)
		return;
	for (int ni = 0; ni < t->n_nodes; ni++) {
		int rc;

		*tmp = t->nodes[ni];
		for (int k = 0; k < tmp->n_nics; k++) {
			static const uint8_t zero[6];

			/* placeholders of the size of the MACs vmhost derives */
			if (!memcmp(tmp->nics[k].mac, zero, 6)) {
				const uint8_t m[6] = {0x52, 0x54, 0, 0xfe, (uint8_t)ni, (uint8_t)k};

				memcpy(tmp->nics[k].mac, m, 6);
			}
		}
		err[0] = '\0';
		rc = kind_of(tmp->kind)->check(tmp, err, sizeof(err));
		if (rc < 0)
			add_err(c->errs, c->node[ni].at, "node \"%s\": %s", t->nodes[ni].name, err);
	}
	free(tmp);
}

/* ---- top level ---- */

/* Reports, once, a mapping of `what` (networks, nodes) with more than `max`
 * entries, at the first one beyond the limit; the parsers ignore those. */
static void too_many(struct pctx *c, yaml_node_t *m, int max, const char *what, bool *flag)
{
	long n = (long)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);

	if (n <= max)
		return;
	*flag = true;
	add_err(c->errs, ypos(ynode(c, m->data.mapping.pairs.start[max].key)),
		"too many %s (at most %d): the file defines %ld; split the lab or remove some",
		what, max, n);
}

static void parse_root(struct pctx *c, yaml_node_t *root)
{
	struct topo *t = c->t;
	yaml_node_t *x;
	struct pos top = ypos(root);

	if (root->type != YAML_MAPPING_NODE) {
		add_err(c->errs, top,
			"a topology must be a mapping with name:, networks: and nodes: (got %s)",
			ykind(root));
		return;
	}
	check_keys(c, root, root_keys, "topology");

	x = map_get(c, root, "name");
	if (!x) {
		add_err(c->errs, top,
			"missing required key \"name\": add name: LAB (1-20 characters from a-z "
			"0-9 -)");
	} else {
		const char *s = want_str(c, x, "topology", "name", "a lab name");

		if (s && !lab_name_ok(s))
			add_err(
			    c->errs, ypos(x),
			    "lab name \"%.40s\" is not valid: use 1-20 characters from a-z 0-9 - "
			    "(not starting with -); it prefixes namespace and interface names",
			    s);
		else if (s)
			snprintf(t->name, sizeof(t->name), "%s", s);
	}

	x = map_get(c, root, "networks");
	c->nets_bad = !x || (!ynull(x) && x->type != YAML_MAPPING_NODE);
	if (!x) {
		add_err(c->errs, top,
			"missing required key \"networks\": add networks: { lan1: {} } and put "
			"nodes on them");
	} else if (!ynull(x) && x->type != YAML_MAPPING_NODE) {
		add_err(c->errs, ypos(x),
			"networks must be a mapping of network name to { vni, subnet } (got %s)",
			ykind(x));
	} else if (!ynull(x)) {
		too_many(c, x, TOPO_MAX_NETS, "networks", &c->nets_bad);
		MAP_FOREACH(c, x, p)
		{
			yaml_node_t *kn = ynode(c, p->key), *first = earlier_key(c, x, p);

			if (first) {
				add_err(
				    c->errs, ypos(kn),
				    "network \"%s\" is defined twice (first at line %d): rename "
				    "or merge one",
				    ystr(kn), ypos(first).line);
				continue;
			}
			parse_net(c, kn, ynode(c, p->value));
		}
	}

	x = map_get(c, root, "nodes");
	if (!x) {
		add_err(c->errs, top,
			"missing required key \"nodes\": add nodes: { NAME: { interfaces: [ { "
			"network: NET } ] } }");
	} else if (!ynull(x) && x->type != YAML_MAPPING_NODE) {
		add_err(c->errs, ypos(x), "nodes must be a mapping of node name to node (got %s)",
			ykind(x));
	} else if (ynull(x) || x->data.mapping.pairs.top == x->data.mapping.pairs.start) {
		add_err(c->errs, ypos(x),
			"the lab has no nodes: add at least one under nodes:, e.g. a1: { "
			"interfaces: [ { network: NET } ] }");
	} else {
		too_many(c, x, TOPO_MAX_NODES, "nodes", &c->nodes_over);
		MAP_FOREACH(c, x, p)
		{
			yaml_node_t *kn = ynode(c, p->key), *first = earlier_key(c, x, p);

			if (first) {
				add_err(
				    c->errs, ypos(kn),
				    "node \"%s\" is defined twice (first at line %d): rename one",
				    ystr(kn), ypos(first).line);
				continue;
			}
			parse_node(c, kn, ynode(c, p->value));
		}
	}
	for (int ni = 0; ni < t->n_nodes; ni++)
		check_ifnames(c, ni);

	x = map_get(c, root, "expect");
	if (x)
		parse_expect(c, x);

	assign_vnis(c);
	assign_subnets(c);
	check_given_addrs(c);
	check_dup_addrs(c);
	assign_addrs(c);
	check_macs(c);
	check_routes(c);
	if (c->errs->n == 0)
		check_vmhost(c);
}

/* libyaml's problem as a topo_error. */
static void yaml_problem(yaml_parser_t *p, struct topo_errors *errs)
{
	struct pos at = {(int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1};

	if (p->error == YAML_MEMORY_ERROR) {
		add_err(errs, (struct pos){0, 0}, "out of memory while reading YAML");
		return;
	}
	if (p->context)
		add_err(errs, at,
			"YAML syntax error: %s %s (line %d): check indentation, colons, brackets "
			"and quotes here",
			p->problem ? p->problem : "unknown problem", p->context,
			(int)p->context_mark.line + 1);
	else
		add_err(errs, at,
			"YAML syntax error: %s: check indentation, colons, brackets and quotes "
			"here",
			p->problem ? p->problem : "unknown problem");
}

struct topo *topo_new(void)
{
	return calloc(1, sizeof(struct topo));
}

void topo_free(struct topo *t)
{
	free(t);
}

int topo_parse(const char *text, size_t len, struct topo *t, struct topo_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc, doc2;
	yaml_node_t *root;
	struct pctx *c = NULL;
	int rc = -EINVAL;

	if (!text || !t || !errs)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memset(errs, 0, sizeof(*errs));
	if (!yaml_parser_initialize(&parser)) {
		add_err(errs, (struct pos){0, 0}, "out of memory while reading YAML");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_problem(&parser, errs);
		goto out_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		add_err(errs, (struct pos){1, 1},
			"the file is empty: a topology needs name:, networks: and nodes: (see "
			"docs/topology.md)");
		goto out_doc;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		add_err(errs, (struct pos){0, 0}, "out of memory");
		rc = -ENOMEM;
		goto out_doc;
	}
	c->doc = &doc;
	c->t = t;
	c->errs = errs;
	parse_root(c, root);

	/* one document per file */
	if (!yaml_parser_load(&parser, &doc2)) {
		yaml_problem(&parser, errs);
	} else {
		yaml_node_t *r2 = yaml_document_get_root_node(&doc2);

		if (r2)
			add_err(errs,
				(struct pos){(int)doc2.start_mark.line + 1,
					     (int)doc2.start_mark.column + 1},
				"a second YAML document: a topology file holds one; remove the "
				"\"---\" and what follows or merge it");
		yaml_document_delete(&doc2);
	}
	sort_errors(errs);
	rc = errs->n || errs->dropped ? -EINVAL : 0;
	free(c);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

int topo_load(const char *path, struct topo *t, struct topo_errors *errs)
{
	FILE *f;
	char *buf = NULL;
	size_t n;
	int rc;

	if (!path || !t || !errs)
		return -EINVAL;
	memset(errs, 0, sizeof(*errs));
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		add_err(errs, (struct pos){0, 0}, "cannot open: %s", strerror(-rc));
		return rc;
	}
	buf = malloc(TOPO_FILE_MAX + 1);
	if (!buf) {
		rc = -ENOMEM;
		add_err(errs, (struct pos){0, 0}, "out of memory");
		goto out_close;
	}
	errno = 0;
	n = fread(buf, 1, TOPO_FILE_MAX + 1, f);
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		add_err(errs, (struct pos){0, 0}, "cannot read: %s", strerror(-rc));
		goto out_free;
	}
	if (n > TOPO_FILE_MAX) {
		rc = -EFBIG;
		add_err(errs, (struct pos){0, 0}, "file is larger than %d bytes: not a topology",
			TOPO_FILE_MAX);
		goto out_free;
	}
	rc = topo_parse(buf, n, t, errs);
out_free:
	free(buf);
out_close:
	fclose(f);
	return rc;
}
