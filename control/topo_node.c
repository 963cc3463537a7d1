/* The topology parser, one node: its kind and the settings the kind has
 * (cpus, memory, boot files), its interfaces (network, addresses, MAC, MTU,
 * name, queues), its routes, forwarding; and, once all nodes are parsed,
 * default and unique interface names whose switch port names fit.
 *
 * Pure; the caller's thread. */
#include "topo_priv.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kind.h"
#include "mac.h"
#include "name.h"

static const char *const node_keys[] = {"kind",	  "cpus",    "memory", "interfaces",
					"routes", "forward", "disk",   "kernel",
					"initrd", "append",  "switch", NULL};
static const char *const nic_keys[] = {"network", "ip", "mac", "mtu", "name", "queues", NULL};
static const char *const route_keys[] = {"to", "via", NULL};

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
	x = topo_map_get(c, m, "name");
	if (x) {
		snprintf(what, sizeof(what), "node \"%s\" interface %d", n->name, idx);
		src->name_at = ypos(x);
		s = topo_want_str(c, x, what, "name", "an interface name such as eth1");
		if (s && (!name_ok(s, TOPO_IFNAME_MAX) || !strcmp(s, "lo")))
			topo_err(c->errs, ypos(x),
				 "%s: interface name \"%.40s\" is not valid: use 1-15 characters "
				 "from A-Z a-z 0-9 _ . - (not \"lo\", not starting with . or -)",
				 what, s);
		else if (s)
			snprintf(nic->ifname, sizeof(nic->ifname), "%s", s);
	}
	topo_nic_label(n, idx, what, sizeof(what));
	topo_check_keys(c, m, nic_keys, what);

	x = topo_map_get(c, m, "network");
	if (!x) {
		topo_list_names(t, true, names, sizeof(names));
		topo_err(c->errs, ypos(m), "%s: missing required key \"network\" (networks: %s)",
			 what, names);
	} else if ((s = topo_want_str(c, x, what, "network", "a network name")) != NULL) {
		src->net_at = ypos(x);
		snprintf(nic->network, sizeof(nic->network), "%.31s", s);
		src->net = topo_net_find(t, s);
		if (src->net < 0 && !c->nets_bad) {
			topo_list_names(t, true, names, sizeof(names));
			topo_err(c->errs, ypos(x),
				 "%s: network \"%.40s\" is not defined (networks: %s): define it "
				 "under networks: or fix the name",
				 what, s, names);
		}
	}

	x = topo_map_get(c, m, "ip");
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
					topo_err(c->errs, ypos(ynode(c, *it)),
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

			s = topo_want_str(c, list[k], what, "ip",
					  "a CIDR such as 10.0.0.5/24, or a list of them");
			if (!s)
				continue;
			if (addr_parse_cidr(s, &a) < 0) {
				topo_err(c->errs, ypos(list[k]),
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

	x = topo_map_get(c, m, "mac");
	if (x &&
	    (s = topo_want_str(c, x, what, "mac", "a MAC address such as 52:54:00:12:34:56"))) {
		src->mac_at = ypos(x);
		if (mac_parse(s, nic->mac) < 0) {
			memset(nic->mac, 0, 6);
			topo_err(c->errs, ypos(x),
				 "%s: MAC \"%.40s\" is not valid: write six hex bytes like "
				 "52:54:00:12:34:56 (quote it in YAML)",
				 what, s);
		} else if (nic->mac[0] & 1) {
			memset(nic->mac, 0, 6);
			topo_err(c->errs, ypos(x),
				 "%s: MAC %s is a multicast address: the first byte must be even, "
				 "e.g. 52:54:00:...",
				 what, s);
		} else if (!(nic->mac[0] | nic->mac[1] | nic->mac[2] | nic->mac[3] | nic->mac[4] |
			     nic->mac[5])) {
			topo_err(
			    c->errs, ypos(x),
			    "%s: MAC 00:00:00:00:00:00 is not usable: give another or leave mac "
			    "out for an automatic one",
			    what);
		} else {
			src->mac_given = true;
		}
	}

	x = topo_map_get(c, m, "mtu");
	if (x) {
		unsigned long long mtu;

		if (topo_want_uint(c, x, what, "mtu", 68, 65535, &mtu))
			nic->mtu = (uint32_t)mtu;
	}

	x = topo_map_get(c, m, "queues");
	if (x) {
		const struct kind_ops *k = kind_of(c->t->nodes[ni].kind);
		unsigned long long q;
		char kinds[64];

		kind_list(kinds, sizeof(kinds), "", false, KIND_QUEUES);
		if (!(k->features & KIND_QUEUES))
			topo_err(c->errs, ypos(topo_map_key(c, m, "queues")),
				 "%s: \"queues\" applies only to kind %s (a %s's %s has no virtio "
				 "queues): remove it or set kind: %s",
				 what, kinds, k->noun, k->nic_noun, kinds);
		else if (topo_want_uint(c, x, what, "queues", 1, NODE_MAX_QUEUES, &q))
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
		topo_err(c->errs, ypos(m),
			 "%s must be a mapping such as { to: default, via: 10.0.0.1 } (got %s)",
			 what, ykind(m));
		return;
	}
	topo_check_keys(c, m, route_keys, what);
	x = topo_map_get(c, m, "to");
	if (!x) {
		topo_err(c->errs, ypos(m),
			 "%s: missing required key \"to\" (a CIDR such as 10.2.0.0/24, or default)",
			 what);
	} else if ((s = topo_want_str(c, x, what, "to",
				      "a CIDR such as 10.2.0.0/24, or default"))) {
		src->to_at = ypos(x);
		snprintf(r->dst, sizeof(r->dst), "%.47s", s);
		if (!strcmp(s, "default")) {
			src->to_default = src->to_ok = true;
		} else if (addr_parse_cidr(s, &src->to) < 0) {
			topo_err(c->errs, ypos(x),
				 "%s: to \"%.48s\" is not a CIDR: write it like 10.2.0.0/24, or "
				 "default",
				 what, s);
		} else if (!addr_is_network(&src->to)) {
			topo_network_str(&src->to, fix, sizeof(fix));
			topo_err(c->errs, ypos(x), "%s: to %s has host bits set: use %s", what, s,
				 fix);
		} else {
			src->to_ok = true;
		}
	}
	x = topo_map_get(c, m, "via");
	if (!x) {
		topo_err(c->errs, ypos(m),
			 "%s: missing required key \"via\" (the next hop, e.g. 10.0.0.1)", what);
	} else if ((s = topo_want_str(c, x, what, "via", "an address such as 10.0.0.1"))) {
		src->via_at = ypos(x);
		snprintf(r->via, sizeof(r->via), "%.47s", s);
		if (addr_parse(s, &src->via) < 0)
			topo_err(c->errs, ypos(x),
				 "%s: via \"%.48s\" is not an address: write the next hop like "
				 "10.0.0.1 (no /prefix)",
				 what, s);
		else
			src->via_ok = true;
	}
	if (src->to_ok && src->via_ok && !src->to_default && src->to.family != src->via.family) {
		topo_err(c->errs, src->via_at,
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
	topo_err(c->errs, ypos(topo_map_key(c, m, key)),
		 "%s: \"%s\" applies only to kind %s (this node is a %s): remove it%s%s", what, key,
		 kinds, k->noun, or_set ? " or set kind: " : "", or_set ? kinds : "");
	return true;
}

static void parse_path(struct pctx *c, yaml_node_t *m, const char *what, const char *key, char *dst,
		       const struct kind_ops *k)
{
	yaml_node_t *x = topo_map_get(c, m, key);
	const char *s;

	if (!x || kind_lacks(c, m, what, key, k, KIND_BOOT, true))
		return;
	s = topo_want_str(c, x, what, key, "a string");
	if (!s)
		return;
	if (strlen(s) >= NODE_PATH_MAX)
		topo_err(c->errs, ypos(x), "%s: %s is longer than %d characters", what, key,
			 NODE_PATH_MAX - 1);
	else
		snprintf(dst, NODE_PATH_MAX, "%s", s);
}

void topo_parse_node(struct pctx *c, yaml_node_t *kn, yaml_node_t *v)
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
		topo_err(c->errs, ypos(kn),
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
		topo_err(c->errs, ypos(ynull(v) ? kn : v),
			 "%s must be a mapping with at least interfaces: [ { network: NET } ] "
			 "(got %s)",
			 what, ykind(v));
		return;
	}
	topo_check_keys(c, v, node_keys, what);

	x = topo_map_get(c, v, "switch");
	if (x)
		topo_parse_node_switch(c, ni, x);

	x = topo_map_get(c, v, "kind");
	if (x) {
		const char *s = topo_want_str(c, x, what, "kind",
					      kind_list(kinds, sizeof(kinds), "", false, 0));
		const struct kind_ops *found = s ? kind_find(s, &n->kind) : NULL;

		if (found)
			k = found;
		else if (s)
			topo_err(c->errs, ypos(x), "%s: kind \"%.40s\" is not known: use %s", what,
				 s, kind_list(kinds, sizeof(kinds), "", true, 0));
	}
	x = topo_map_get(c, v, "cpus");
	if (x && !kind_lacks(c, v, what, "cpus", k, KIND_CPUS, false)) {
		unsigned long long cpus;

		if (topo_want_uint(c, x, what, "cpus", 1, TOPO_CPUS_MAX, &cpus))
			n->cpus = (unsigned int)cpus;
	}
	x = topo_map_get(c, v, "memory");
	if (x && !kind_lacks(c, v, what, "memory", k, KIND_MEMORY, false)) {
		const char *s = ystr(x);

		if (!s || ynull(x) || !parse_mem(s, &n->mem_mib))
			topo_err(c->errs, ypos(x),
				 "%s: memory \"%.40s\" is not a size: use e.g. 128M or 1G (32M to "
				 "64G)",
				 what, s && !ynull(x) ? s : "");
	}
	x = topo_map_get(c, v, "forward");
	if (x)
		topo_want_bool(c, x, what, "forward", &n->ip_forward);
	parse_path(c, v, what, "disk", n->disk, k);
	parse_path(c, v, what, "kernel", n->kernel, k);
	parse_path(c, v, what, "initrd", n->initrd, k);
	parse_path(c, v, what, "append", n->append, k);
	if (n->initrd[0] && !n->kernel[0])
		topo_err(c->errs, ypos(topo_map_key(c, v, "initrd")),
			 "%s: initrd needs kernel: add kernel: FILE or remove initrd", what);

	x = topo_map_get(c, v, "interfaces");
	if (!x) {
		topo_err(c->errs, src->at,
			 "%s has no interfaces: add interfaces: [ { network: NET } ]", what);
	} else if (x->type != YAML_SEQUENCE_NODE || seq_len(x) == 0) {
		topo_err(c->errs, ypos(x),
			 "%s: interfaces must be a non-empty list such as [ { network: NET } ] "
			 "(got %s)",
			 what, x->type == YAML_SEQUENCE_NODE ? "an empty list" : ykind(x));
	} else {
		SEQ_FOREACH(x, it)
		{
			yaml_node_t *m = ynode(c, *it);

			if (n->n_nics == NODE_MAX_NICS) {
				topo_err(c->errs, ypos(m), "%s: too many interfaces (at most %d)",
					 what, NODE_MAX_NICS);
				break;
			}
			if (m->type != YAML_MAPPING_NODE) {
				topo_err(
				    c->errs, ypos(m),
				    "%s: an interface must be a mapping such as { network: NET, "
				    "ip: 10.0.0.5/24 } (got %s)",
				    what, ykind(m));
				continue;
			}
			parse_nic(c, ni, n->n_nics++, m);
		}
	}

	x = topo_map_get(c, v, "routes");
	if (x && !ynull(x) && x->type != YAML_SEQUENCE_NODE) {
		topo_err(c->errs, ypos(x),
			 "%s: routes must be a list such as [ { to: default, via: 10.0.0.1 } ] "
			 "(got %s)",
			 what, ykind(x));
	} else if (x && !ynull(x)) {
		SEQ_FOREACH(x, it)
		{
			if (n->n_routes == NODE_MAX_ROUTES) {
				topo_err(c->errs, ypos(ynode(c, *it)),
					 "%s: too many routes (at most %d)", what, NODE_MAX_ROUTES);
				break;
			}
			parse_route(c, ni, n->n_routes++, ynode(c, *it));
		}
	}
}

/* Default interface names, unique names, switch port names that fit. */
void topo_check_ifnames(struct pctx *c, int ni)
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
			topo_err(c->errs, src->name_at,
				 "node \"%s\": interface name %s is used twice (interfaces %d and "
				 "%d): give one a different name",
				 n->name, n->nics[i].ifname, j, i);
			break;
		}
		if (strlen(n->name) + 1 + strlen(n->nics[i].ifname) > TOPO_PORT_MAX)
			topo_err(c->errs, src->name_at,
				 "%s: switch port name \"%s-%s\" is longer than %u characters: "
				 "shorten the node name or the interface name",
				 topo_nic_label(n, i, label, sizeof(label)), n->name,
				 n->nics[i].ifname, TOPO_PORT_MAX);
	}
}
