/* The reconcile planner: the ordered actions between two topologies.
 *
 * Threads: the caller's. Pure: reads two models, fills a plan; plan_print()
 * writes to the FILE it is given. */
#include "plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kind.h"

/* Differences found so far in a "; "-separated reason, truncated to fit. */
struct why {
	char *buf;
	size_t len;
	size_t used;
};

static void why_add(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void why_add(struct why *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->used + 1 >= w->len)
		return;
	if (w->used > 0) {
		n = snprintf(w->buf + w->used, w->len - w->used, "; ");
		w->used += (size_t)n < w->len - w->used ? (size_t)n : w->len - w->used - 1;
	}
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->used, w->len - w->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->used += (size_t)n < w->len - w->used ? (size_t)n : w->len - w->used - 1;
}

static bool route_eq(const struct node_route *a, const struct node_route *b)
{
	return strcmp(a->dst, b->dst) == 0 && strcmp(a->via, b->via) == 0;
}

/* Same set of routes, whatever the order (duplicates counted). */
static bool routes_eq(const struct node *a, const struct node *b)
{
	bool used[NODE_MAX_ROUTES] = {false};

	if (a->n_routes != b->n_routes)
		return false;
	for (int i = 0; i < a->n_routes; i++) {
		int j;

		for (j = 0; j < b->n_routes; j++)
			if (!used[j] && route_eq(&a->routes[i], &b->routes[j]))
				break;
		if (j == b->n_routes)
			return false;
		used[j] = true;
	}
	return true;
}

static bool addrs_eq(const struct node_nic *a, const struct node_nic *b)
{
	if (a->n_addrs != b->n_addrs)
		return false;
	for (int i = 0; i < a->n_addrs; i++)
		if (strcmp(a->addrs[i], b->addrs[i]) != 0)
			return false;
	return true;
}

static void nic_diff(const struct node_nic *a, const struct node_nic *b, int i, struct why *w)
{
	const char *n = b->ifname;

	if (strcmp(a->ifname, b->ifname) != 0)
		why_add(w, "interface %d name %s -> %s", i, a->ifname, b->ifname);
	if (strcmp(a->network, b->network) != 0)
		why_add(w, "%s network %s -> %s", n, a->network, b->network);
	if (!addrs_eq(a, b))
		why_add(w, "%s addresses", n);
	if (memcmp(a->mac, b->mac, sizeof(a->mac)) != 0)
		why_add(w, "%s mac", n);
	if (a->mtu != b->mtu)
		why_add(w, "%s mtu %u -> %u", n, a->mtu, b->mtu);
	if (a->queues != b->queues)
		why_add(w, "%s queues %u -> %u", n, a->queues ? a->queues : 1,
			b->queues ? b->queues : 1);
	if (a->link_down != b->link_down)
		why_add(w, "%s link %s -> %s", n, a->link_down ? "down" : "up",
			b->link_down ? "down" : "up");
}

/* Describes every difference of definition between a and b into w. */
static void node_diff(const struct node *a, const struct node *b, struct why *w)
{
	if (a->kind != b->kind)
		why_add(w, "kind %s -> %s", kind_name(a->kind), kind_name(b->kind));
	if (a->cpus != b->cpus)
		why_add(w, "cpus %u -> %u", a->cpus, b->cpus);
	if (a->mem_mib != b->mem_mib)
		why_add(w, "memory %u -> %u", a->mem_mib, b->mem_mib);
	if (a->n_nics != b->n_nics)
		why_add(w, "interfaces %d -> %d", a->n_nics, b->n_nics);
	for (int i = 0; i < a->n_nics && i < b->n_nics; i++)
		nic_diff(&a->nics[i], &b->nics[i], i, w);
	if (!routes_eq(a, b))
		why_add(w, "routes");
	if (a->ip_forward != b->ip_forward)
		why_add(w, "forward %s -> %s", a->ip_forward ? "true" : "false",
			b->ip_forward ? "true" : "false");
	if (strcmp(a->disk, b->disk) != 0)
		why_add(w, "disk");
	if (strcmp(a->kernel, b->kernel) != 0)
		why_add(w, "kernel");
	if (strcmp(a->initrd, b->initrd) != 0)
		why_add(w, "initrd");
	if (strcmp(a->append, b->append) != 0)
		why_add(w, "append");
}

static int net_find(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nets; i++)
		if (strcmp(t->nets[i].name, name) == 0)
			return i;
	return -1;
}

static int node_find(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->n_nodes; i++)
		if (strcmp(t->nodes[i].name, name) == 0)
			return i;
	return -1;
}

static bool topo_counts_ok(const struct topo *t)
{
	if (t->n_nets < 0 || t->n_nets > TOPO_MAX_NETS || t->n_nodes < 0 ||
	    t->n_nodes > TOPO_MAX_NODES)
		return false;
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		if (n->n_nics < 0 || n->n_nics > NODE_MAX_NICS || n->n_routes < 0 ||
		    n->n_routes > NODE_MAX_ROUTES)
			return false;
		for (int j = 0; j < n->n_nics; j++)
			if (n->nics[j].n_addrs < 0 || n->nics[j].n_addrs > NODE_MAX_ADDRS)
				return false;
	}
	return true;
}

static void add_action(struct plan *p, enum plan_op op, int index, const char *name,
		       const char *why)
{
	struct plan_action *a = &p->a[p->n++];

	a->op = op;
	a->index = index;
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->why, sizeof(a->why), "%s", why);
}

/* Why network `i` of `new` needs creating ("" when it runs unchanged). */
static void net_reason(const struct topo *old, const struct topo *new, int i, char *buf, size_t len)
{
	const struct topo_net *n = &new->nets[i];
	int o = old ? net_find(old, n->name) : -1;

	buf[0] = '\0';
	if (o < 0)
		snprintf(buf, len, "new");
	else if (old->nets[o].vni != n->vni)
		snprintf(buf, len, "changed: vni %u -> %u", old->nets[o].vni, n->vni);
}

/* Why node `i` of `new` needs (re)starting ("" when it runs unchanged). */
static void node_reason(const struct topo *old, const struct topo *new, int i, char *buf,
			size_t len)
{
	const struct node *n = &new->nodes[i];
	int o = old ? node_find(old, n->name) : -1;
	char tmp[PLAN_WHY_MAX];
	struct why w = {tmp, sizeof(tmp), 0};

	buf[0] = '\0';
	if (o < 0) {
		snprintf(buf, len, "new");
		return;
	}
	tmp[0] = '\0';
	node_diff(&old->nodes[o], n, &w);
	if (w.used > 0) {
		snprintf(buf, len, "changed: %s", tmp);
		return;
	}
	/* Same definition: still recreated when one of its networks is not
	 * running as it was. */
	for (int j = 0; j < n->n_nics; j++) {
		int k = net_find(new, n->nics[j].network);
		char nr[PLAN_WHY_MAX];

		if (k < 0)
			continue;
		net_reason(old, new, k, nr, sizeof(nr));
		if (nr[0]) {
			snprintf(buf, len, "network %s %s", n->nics[j].network, nr);
			return;
		}
	}
}

int plan_diff(const struct topo *old, const struct topo *new, struct plan *out)
{
	return plan_diff_running(old, new, NULL, out);
}

/* PLUG actions of the nodes of `old` that stay, for their missing ports. */
static void add_plugs(const struct topo *old, const struct topo *new,
		      const uint8_t (*ports)[NODE_MAX_NICS], struct plan *out)
{
	char why[PLAN_WHY_MAX];

	for (int i = 0; i < old->n_nodes; i++) {
		const struct node *n = &old->nodes[i];
		int k = node_find(new, n->name);

		if (k < 0)
			continue;
		node_reason(old, new, k, why, sizeof(why));
		if (why[0])
			continue; /* destroyed and started again */
		for (int c = 0; c < n->n_nics; c++) {
			if (ports[i][c] == 0)
				continue;
			snprintf(why, sizeof(why), "%s: switch port %s is %s", n->nics[c].ifname,
				 n->nics[c].port,
				 ports[i][c] == 1 ? "missing" : "on another network");
			add_action(out, PLAN_NODE_PLUG, i, n->name, why);
			out->a[out->n - 1].nic = c;
		}
	}
}

int plan_diff_running(const struct topo *old, const struct topo *new,
		      const uint8_t (*ports)[NODE_MAX_NICS], struct plan *out)
{
	char why[PLAN_WHY_MAX];
	int most;

	if (out)
		*out = (struct plan){0};
	if (!new || !out || !topo_counts_ok(new) || (old && !topo_counts_ok(old)))
		return -EINVAL;
	/* each node and network of either side gives at most one action */
	most = new->n_nodes + new->n_nets + (old ? old->n_nodes + old->n_nets : 0);
	if (old && ports)
		most += old->n_nodes * NODE_MAX_NICS;
	out->a = calloc(most ? (size_t)most : 1, sizeof(*out->a));
	if (!out->a)
		return -ENOMEM;

	if (old) {
		for (int i = 0; i < old->n_nodes; i++) {
			int k = node_find(new, old->nodes[i].name);

			if (k < 0)
				add_action(out, PLAN_NODE_DESTROY, i, old->nodes[i].name,
					   "removed");
			else {
				node_reason(old, new, k, why, sizeof(why));
				if (why[0])
					add_action(out, PLAN_NODE_DESTROY, i, old->nodes[i].name,
						   why);
			}
		}
		for (int i = 0; i < old->n_nets; i++) {
			int k = net_find(new, old->nets[i].name);

			if (k < 0)
				add_action(out, PLAN_NET_DEL, i, old->nets[i].name, "removed");
			else {
				net_reason(old, new, k, why, sizeof(why));
				if (why[0])
					add_action(out, PLAN_NET_DEL, i, old->nets[i].name, why);
			}
		}
	}
	for (int i = 0; i < new->n_nets; i++) {
		net_reason(old, new, i, why, sizeof(why));
		if (why[0])
			add_action(out, PLAN_NET_ADD, i, new->nets[i].name, why);
	}
	if (old && ports)
		add_plugs(old, new, ports, out);
	for (int i = 0; i < new->n_nodes; i++) {
		node_reason(old, new, i, why, sizeof(why));
		if (why[0])
			add_action(out, PLAN_NODE_START, i, new->nodes[i].name, why);
	}
	return 0;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->a);
	*p = (struct plan){0};
}

const char *plan_op_name(enum plan_op op)
{
	switch (op) {
	case PLAN_NODE_DESTROY:
		return "node-destroy";
	case PLAN_NET_DEL:
		return "net-del";
	case PLAN_NET_ADD:
		return "net-add";
	case PLAN_NODE_PLUG:
		return "node-plug";
	case PLAN_NODE_START:
		return "node-start";
	}
	return "?";
}

/* The kind of a reason, for counting: "new", "removed", "changed",
 * "network changed" (a node recreated for its network), "missing" or "on
 * another network" (a switch port to plug again). */
static const char *why_kind(const char *why)
{
	if (!strncmp(why, "network ", 8))
		return "network changed";
	if (strstr(why, ": switch port "))
		return strstr(why, " is missing") ? "missing" : "on another network";
	if (!strncmp(why, "changed", 7))
		return "changed";
	return why;
}

/* One line for every action of kind `op`: counts of reasons, first names. */
static void print_grouped(const struct plan *p, enum plan_op op, const char *verb, const char *what,
			  int count, FILE *f)
{
	static const char *const kinds[] = {
	    "new", "removed", "changed", "network changed", "missing", "on another network"};
	const int names_shown = 8;
	bool first = true;
	int shown = 0;

	fprintf(f, "- %s %d %s (", verb, count, what);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int c = 0;

		for (int i = 0; i < p->n; i++)
			c += p->a[i].op == op && !strcmp(why_kind(p->a[i].why), kinds[k]);
		if (c) {
			fprintf(f, "%s%d %s", first ? "" : ", ", c, kinds[k]);
			first = false;
		}
	}
	fputs("):", f);
	for (int i = 0; i < p->n && shown < names_shown; i++)
		if (p->a[i].op == op)
			fprintf(f, "%s %s", shown++ ? "," : "", p->a[i].name);
	fprintf(f, "%s\n", count > names_shown ? ", ..." : "");
}

void plan_print(const struct plan *p, FILE *f, int max)
{
	static const char *const verb[] = {
	    [PLAN_NODE_DESTROY] = "destroy node", [PLAN_NET_DEL] = "delete network",
	    [PLAN_NET_ADD] = "add network",	  [PLAN_NODE_PLUG] = "plug node",
	    [PLAN_NODE_START] = "start node",
	};
	static const char *const group_verb[] = {[PLAN_NODE_DESTROY] = "destroy",
						 [PLAN_NET_DEL] = "delete",
						 [PLAN_NET_ADD] = "add",
						 [PLAN_NODE_PLUG] = "plug",
						 [PLAN_NODE_START] = "start"};
	static const char *const group_what[] = {[PLAN_NODE_DESTROY] = "nodes",
						 [PLAN_NET_DEL] = "networks",
						 [PLAN_NET_ADD] = "networks",
						 [PLAN_NODE_PLUG] = "ports",
						 [PLAN_NODE_START] = "nodes"};
	int count[PLAN_NODE_START + 1] = {0};
	bool grouped[PLAN_NODE_START + 1] = {false};

	for (int i = 0; i < p->n; i++)
		if ((unsigned int)p->a[i].op <= PLAN_NODE_START)
			count[p->a[i].op]++;
	for (int i = 0; i < p->n; i++) {
		const struct plan_action *a = &p->a[i];
		unsigned int op = (unsigned int)a->op;

		if (op <= PLAN_NODE_START && max > 0 && count[op] > max) {
			if (!grouped[op])
				print_grouped(p, a->op, group_verb[op], group_what[op], count[op],
					      f);
			grouped[op] = true;
			continue;
		}
		fprintf(f, "- %s %s (%s)\n", op <= PLAN_NODE_START ? verb[op] : "?", a->name,
			a->why);
	}
}
