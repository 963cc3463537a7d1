/* Unit tests of topology files (control/topo.c): every example in
 * topologies/ parses; automatic VNIs, subnets and addresses follow
 * docs/topology.md and are stable; every malformed file in
 * tests/unit/topo-bad/ reports the problem its "# expect: LINE:COL: TEXT"
 * comment lines name (all of them when there are several). Files are found
 * through $VLAB_SOURCE_ROOT (set by meson).
 *
 * Threads: cmocka runs every test on the main thread. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "topo.h"
#include "topo_cmd.h"

struct fixture {
	struct topo *t;
	struct topo_errors *errs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->t = calloc(1, sizeof(*f->t));
	f->errs = calloc(1, sizeof(*f->errs));
	if (!f->t || !f->errs)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->t);
	free(f->errs);
	free(f);
	return 0;
}

/* $VLAB_SOURCE_ROOT/rel into buf. */
static const char *src_path(const char *rel, char *buf, size_t len)
{
	const char *root = getenv("VLAB_SOURCE_ROOT");

	snprintf(buf, len, "%s/%s", root && root[0] ? root : ".", rel);
	return buf;
}

static void print_errors(const struct topo_errors *errs, const char *file)
{
	char line[TOPO_MSG_MAX + 300];

	for (int i = 0; i < errs->n; i++) {
		topo_error_format(errs, i, file, line, sizeof(line));
		print_message("  %s\n", line);
	}
}

static int parse_str(struct fixture *f, const char *text)
{
	int rc = topo_parse(text, strlen(text), f->t, f->errs);

	if (rc != 0)
		print_errors(f->errs, "<text>");
	return rc;
}

/* Sorted *.yaml names of a directory; returns how many (at most max). */
static int list_yaml(const char *dir, char names[][256], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) != NULL && n < max) {
		size_t l = strlen(e->d_name);

		if (l > 5 && l < 256 && !strcmp(e->d_name + l - 5, ".yaml"))
			snprintf(names[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

static void test_examples_parse(void **state)
{
	struct fixture *f = *state;
	static char names[64][256];
	char dir[512], path[1024];
	int n;

	src_path("topologies", dir, sizeof(dir));
	n = list_yaml(dir, names, 64);
	assert_true(n >= 5);
	for (int i = 0; i < n; i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = topo_load(path, f->t, f->errs);
		if (rc != 0)
			print_errors(f->errs, path);
		assert_int_equal(rc, 0);
		assert_int_equal(f->errs->n, 0);
		assert_true(f->t->n_nodes >= 2 && f->t->n_nodes <= 4);
		for (int k = 0; k < f->t->n_nodes; k++) {
			const struct node *nd = &f->t->nodes[k];

			assert_true(nd->n_nics >= 1);
			for (int j = 0; j < nd->n_nics; j++) {
				assert_true(nd->nics[j].n_addrs >= 1);
				assert_true(topo_net_find(f->t, nd->nics[j].network) >= 0);
				assert_string_equal(nd->nics[j].port, "");
				assert_string_equal(nd->nics[j].sock, "");
			}
		}
	}
	/* the ones the README and docs name */
	snprintf(path, sizeof(path), "%s/demo.yaml", dir);
	assert_int_equal(topo_load(path, f->t, f->errs), 0);
	assert_int_equal(f->t->n_nets, 2);
	assert_int_equal(f->t->n_nodes, 4);
	assert_int_equal(f->t->nodes[3].kind, NODE_HOST);
	assert_string_equal(f->t->nets[0].subnet, "10.100.0.0/24");
	assert_string_equal(f->t->nets[1].subnet, "10.100.1.0/24");
	assert_string_equal(f->t->nodes[0].nics[0].addrs[0], "10.100.0.1/24");
	assert_string_equal(f->t->nodes[1].nics[0].addrs[0], "10.100.0.2/24");
	assert_string_equal(f->t->nodes[2].nics[0].addrs[0], "10.100.1.1/24");
	assert_string_equal(f->t->nodes[3].nics[0].addrs[0], "10.100.1.2/24");
	for (const char *const *p = (const char *const[]){"two-guests.yaml", "two-tenants.yaml",
							  "router.yaml", "mixed.yaml", NULL};
	     *p; p++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *p);
		assert_int_equal(topo_load(path, f->t, f->errs), 0);
	}
}

static void test_router_fields(void **state)
{
	struct fixture *f = *state;
	char path[512];
	const struct node *r1, *a1, *b1;

	assert_int_equal(
	    topo_load(src_path("topologies/router.yaml", path, sizeof(path)), f->t, f->errs), 0);
	assert_string_equal(f->t->name, "router");
	r1 = &f->t->nodes[topo_node_find(f->t, "r1")];
	a1 = &f->t->nodes[topo_node_find(f->t, "a1")];
	b1 = &f->t->nodes[topo_node_find(f->t, "b1")];
	assert_true(r1->ip_forward);
	assert_false(a1->ip_forward);
	assert_int_equal(r1->kind, NODE_VM);
	assert_int_equal(b1->kind, NODE_HOST);
	assert_int_equal(r1->n_nics, 2);
	assert_string_equal(r1->nics[0].ifname, "eth0");
	assert_string_equal(r1->nics[1].ifname, "eth1");
	assert_string_equal(r1->nics[1].network, "right");
	assert_string_equal(r1->nics[1].addrs[0], "10.2.0.1/24");
	assert_int_equal(a1->n_routes, 1);
	assert_string_equal(a1->routes[0].dst, "10.2.0.0/24");
	assert_string_equal(a1->routes[0].via, "10.1.0.1");
	assert_string_equal(b1->routes[0].dst, "default");
	assert_string_equal(b1->routes[0].via, "10.2.0.1");
	assert_int_equal(r1->cpus, 1);
	assert_int_equal(r1->mem_mib, 128);
	assert_int_equal(f->t->n_expect, 2);
	assert_string_equal(f->t->expect[0].from, "a1");
	assert_string_equal(f->t->expect[0].to, "b1");
	assert_true(f->t->expect[0].reach);
	/* given subnets, automatic VNIs */
	assert_false(f->t->nets[0].subnet_auto);
	assert_true(f->t->nets[0].vni_auto);
	assert_int_equal(f->t->nets[0].vni, 100);
	assert_int_equal(f->t->nets[1].vni, 101);
	assert_int_equal(f->t->node_line[topo_node_find(f->t, "r1")], 9);
	assert_int_equal(topo_net_find(f->t, "left"), 0);
	assert_int_equal(topo_net_find(f->t, "nope"), -1);
	assert_int_equal(topo_node_find(f->t, "nope"), -1);
}

static void test_mixed_fields(void **state)
{
	struct fixture *f = *state;
	char path[512];
	const struct node *vm1, *vm2, *h2;
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xaa, 0x00, 0x01}, zero[6];

	assert_int_equal(
	    topo_load(src_path("topologies/mixed.yaml", path, sizeof(path)), f->t, f->errs), 0);
	vm1 = &f->t->nodes[0];
	vm2 = &f->t->nodes[1];
	h2 = &f->t->nodes[3];
	assert_string_equal(vm1->nics[1].ifname, "data0");
	assert_int_equal(vm1->nics[1].mtu, 1400);
	assert_int_equal(vm1->nics[1].n_addrs, 2);
	assert_string_equal(vm1->nics[1].addrs[1], "fd00:50::10/64");
	assert_memory_equal(vm1->nics[1].mac, mac, 6);
	assert_memory_equal(vm1->nics[0].mac, zero, 6);
	assert_int_equal(vm1->nics[0].mtu, 0);
	assert_int_equal(vm2->mem_mib, 256);
	/* data: given 192.168.50.10, the others from .1 up */
	assert_string_equal(vm2->nics[0].addrs[0], "192.168.50.1/24");
	assert_string_equal(h2->nics[0].addrs[0], "192.168.50.2/24");
	assert_int_equal(f->t->nets[1].vni, 300);
	assert_false(f->t->nets[1].vni_auto);
}

static const char auto_text[] =
    "name: auto\n"
    "networks:\n"
    "  a: { vni: 101 }\n"	       /* vni given; subnet 10.100.1.0/24 */
    "  b: {}\n"			       /* vni 100; 10.100.2.0/24 */
    "  c: { subnet: 10.100.0.0/24 }\n" /* vni 102 */
    "  d:\n"			       /* null value: all automatic; vni 103, 10.100.3.0/24 */
    "  e: {}\n"			       /* subnet from its first address: 192.168.7.0/24 */
    "  f: { vni: 103, subnet: 10.100.2.0/23 }\n" /* clashes with no auto subnet */
    "nodes:\n"
    "  n1: { interfaces: [ { network: a }, { network: c, ip: 10.100.0.1/24 } ] }\n"
    "  n2: { kind: host, interfaces: [ { network: a, ip: 10.100.1.1/24 } ] }\n"
    "  n3: { interfaces: [ { network: e, ip: [ 192.168.7.5/24, fd00::5/64 ] } ] }\n"
    "  n4: { interfaces: [ { network: e }, { network: c }, { network: b }, { network: d } ] }\n"
    "  n5: { interfaces: [ { network: a }, { network: f, ip: [] } ] }\n";

static void check_auto(const struct topo *t)
{
	assert_int_equal(t->n_nets, 6);
	/* VNIs: given kept; the others the smallest free from 100, file order */
	assert_int_equal(t->nets[0].vni, 101);
	assert_false(t->nets[0].vni_auto);
	assert_int_equal(t->nets[1].vni, 100);
	assert_true(t->nets[1].vni_auto);
	assert_int_equal(t->nets[2].vni, 102);
	assert_int_equal(t->nets[3].vni, 104); /* 103 is given to f */
	assert_int_equal(t->nets[4].vni, 105);
	assert_int_equal(t->nets[5].vni, 103);
	/* subnets: given kept; from an address; else free 10.X.Y.0/24 from 10.100.0.0 */
	assert_string_equal(t->nets[2].subnet, "10.100.0.0/24");
	assert_false(t->nets[2].subnet_auto);
	assert_string_equal(t->nets[0].subnet, "10.100.1.0/24");
	assert_true(t->nets[0].subnet_auto);
	assert_string_equal(t->nets[1].subnet, "10.100.4.0/24"); /* .2/.3 are in f's /23 */
	assert_string_equal(t->nets[3].subnet, "10.100.5.0/24");
	assert_string_equal(t->nets[4].subnet, "192.168.7.0/24");
	assert_true(t->nets[4].subnet_auto);
	assert_string_equal(t->nets[5].subnet, "10.100.2.0/23");
	/* addresses: next free host in file order, skipping given ones */
	assert_string_equal(t->nodes[0].nics[0].addrs[0], "10.100.1.2/24"); /* .1 given to n2 */
	assert_string_equal(t->nodes[0].nics[1].addrs[0], "10.100.0.1/24");
	assert_string_equal(t->nodes[1].nics[0].addrs[0], "10.100.1.1/24");
	assert_int_equal(t->nodes[2].nics[0].n_addrs, 2);
	assert_string_equal(t->nodes[3].nics[0].addrs[0], "192.168.7.1/24");
	assert_string_equal(t->nodes[3].nics[1].addrs[0], "10.100.0.2/24");
	assert_string_equal(t->nodes[3].nics[2].addrs[0], "10.100.4.1/24");
	assert_string_equal(t->nodes[3].nics[3].addrs[0], "10.100.5.1/24");
	assert_string_equal(t->nodes[4].nics[0].addrs[0], "10.100.1.3/24");
	assert_int_equal(t->nodes[4].nics[1].n_addrs, 0); /* ip: [] = no address */
	assert_int_equal(t->nodes[1].kind, NODE_HOST);
}

static void test_auto_assignment_stable(void **state)
{
	struct fixture *f = *state;
	struct topo *again = calloc(1, sizeof(*again));
	char path[512];

	assert_non_null(again);
	assert_int_equal(parse_str(f, auto_text), 0);
	check_auto(f->t);
	memcpy(again, f->t, sizeof(*again));
	assert_int_equal(parse_str(f, auto_text), 0);
	check_auto(f->t);
	assert_memory_equal(again, f->t, sizeof(*again));

	/* a file parsed twice gives the same model, byte for byte */
	src_path("topologies/demo.yaml", path, sizeof(path));
	assert_int_equal(topo_load(path, f->t, f->errs), 0);
	memcpy(again, f->t, sizeof(*again));
	assert_int_equal(topo_load(path, f->t, f->errs), 0);
	assert_memory_equal(again, f->t, sizeof(*again));
	free(again);
}

/* Checks every "# expect: LINE:COL: TEXT" line of a bad file. Returns the
 * number of expectations, or -1 after printing what did not match. */
static int check_bad_file(struct fixture *f, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int n = 0, bad = 0, rc;

	if (!fp)
		return -1;
	rc = topo_load(path, f->t, f->errs);
	if (rc != -EINVAL) {
		print_message("%s: expected -EINVAL, got %d\n", path, rc);
		fclose(fp);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) && line[0] == '#') {
		int l, c, off = 0;
		bool found = false;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "# expect: %d:%d: %n", &l, &c, &off) != 2 || off == 0)
			continue;
		n++;
		for (int i = 0; i < f->errs->n && !found; i++)
			found = f->errs->e[i].line == l && f->errs->e[i].col == c &&
				strstr(f->errs->e[i].msg, line + off) != NULL;
		if (!found) {
			print_message("%s: no problem at %d:%d with \"%s\"; got:\n", path, l, c,
				      line + off);
			print_errors(f->errs, path);
			bad++;
		}
	}
	fclose(fp);
	return bad ? -1 : n;
}

static void test_bad_files(void **state)
{
	struct fixture *f = *state;
	static char names[128][256];
	char dir[512], path[1024];
	int n, failed = 0, multi = 0;

	src_path("tests/unit/topo-bad", dir, sizeof(dir));
	n = list_yaml(dir, names, 128);
	assert_true(n >= 25);
	for (int i = 0; i < n; i++) {
		int k;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		k = check_bad_file(f, path);
		if (k <= 0) {
			if (k == 0)
				print_message("%s: no \"# expect:\" line\n", path);
			failed++;
		}
		if (k > 1)
			multi++;
	}
	assert_int_equal(failed, 0);
	assert_true(multi >= 1);
}

/* Several problems: all reported, sorted by place. */
static void test_multi_all_reported(void **state)
{
	struct fixture *f = *state;
	char path[512];

	src_path("tests/unit/topo-bad/multi.yaml", path, sizeof(path));
	assert_int_equal(topo_load(path, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 7);
	assert_int_equal(f->errs->dropped, 0);
	for (int i = 1; i < f->errs->n; i++)
		assert_true(f->errs->e[i - 1].line < f->errs->e[i].line ||
			    (f->errs->e[i - 1].line == f->errs->e[i].line &&
			     f->errs->e[i - 1].col <= f->errs->e[i].col));
}

static void test_error_limit(void **state)
{
	struct fixture *f = *state;
	size_t cap = 64 * 1024, off = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	off +=
	    (size_t)snprintf(text + off, cap - off, "name: many\nnetworks: { lan: {} }\nnodes:\n");
	for (int i = 0; i < 40; i++) /* two problems each */
		off += (size_t)snprintf(text + off, cap - off,
					"  n%d: { kind: box, cpus: 0, interfaces: [ { network: lan "
					"} ] }\n",
					i);
	assert_int_equal(topo_parse(text, off, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, TOPO_MAX_ERRORS);
	assert_int_equal(f->errs->dropped, 80 - TOPO_MAX_ERRORS);
	free(text);
}

/* A lab of `nodes` namespace hosts, host i on network i % nets, every
 * network written out (the first with `subnet` when not NULL); `expect_to`
 * adds an expectation to that node. */
static char *big_lab(int nets, int nodes, const char *subnet, const char *expect_to, size_t *len)
{
	size_t cap = 128 + (size_t)nets * 32 + (size_t)nodes * 80, off = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	off += (size_t)snprintf(text + off, cap - off, "name: big\nnetworks:\n");
	if (subnet)
		off += (size_t)snprintf(text + off, cap - off, "  n0: { subnet: %s }\n", subnet);
	for (int i = subnet ? 1 : 0; i < nets; i++)
		off += (size_t)snprintf(text + off, cap - off, "  n%d: {}\n", i);
	off += (size_t)snprintf(text + off, cap - off, "nodes:\n");
	for (int i = 0; i < nodes; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"  h%d: { kind: host, interfaces: [ { network: n%d } ] }\n",
					i, i % nets);
	if (expect_to)
		off += (size_t)snprintf(text + off, cap - off,
					"expect:\n  - { from: h0, to: %s }\n", expect_to);
	assert_true(off < cap);
	*len = off;
	return text;
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	char line[TOPO_MSG_MAX + 64], *text;
	size_t len;

	/* at the limits: every network and node, automatic values all distinct */
	text = big_lab(TOPO_MAX_NETS, TOPO_MAX_NODES, NULL, NULL, &len);
	assert_int_equal(topo_parse(text, len, f->t, f->errs), 0);
	assert_int_equal(f->t->n_nets, 1000);
	assert_int_equal(f->t->n_nodes, 1000);
	assert_int_equal(f->t->nets[999].vni, 1099);
	assert_int_equal(topo_host_neighbours(f->t), 1000); /* one host per network */
	assert_string_equal(f->t->nets[999].subnet, "10.103.231.0/24");
	assert_string_equal(f->t->nodes[999].nics[0].addrs[0], "10.103.231.1/24");
	free(text);

	/* a thousand hosts on one network: a /16 holds them, a /24 does not */
	text = big_lab(1, TOPO_MAX_NODES, "10.0.0.0/16", NULL, &len);
	assert_int_equal(topo_parse(text, len, f->t, f->errs), 0);
	assert_string_equal(f->t->nodes[999].nics[0].addrs[0], "10.0.3.232/16");
	/* each host may learn every address of the network */
	assert_int_equal(topo_host_neighbours(f->t), 1000L * 1000L);
	f->t->nodes[0].kind = NODE_VM; /* a guest has its own kernel */
	assert_int_equal(topo_host_neighbours(f->t), 999L * 1000L);
	free(text);
	text = big_lab(1, TOPO_MAX_NODES, NULL, NULL, &len);
	assert_int_equal(topo_parse(text, len, f->t, f->errs), -EINVAL);
	assert_non_null(strstr(f->errs->e[0].msg, "no free address left in subnet 10.100.0.0/24"));
	free(text);

	/* one node too many: one error at the first node beyond the limit, none
	 * for an expectation naming a node that was left out */
	text = big_lab(10, TOPO_MAX_NODES + 1, NULL, "h1000", &len);
	assert_int_equal(topo_parse(text, len, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 1);
	topo_error_format(f->errs, 0, "topology.yaml", line, sizeof(line));
	assert_string_equal(line, "topology.yaml:1014:3: too many nodes (at most 1000): the file "
				  "defines 1001; split the lab or remove some");
	free(text);

	/* one network too many: one error, no "not defined" for nodes on it */
	text = big_lab(TOPO_MAX_NETS + 1, TOPO_MAX_NETS + 1, NULL, NULL, &len);
	assert_int_equal(topo_parse(text, len, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 2);
	topo_error_format(f->errs, 0, "topology.yaml", line, sizeof(line));
	assert_string_equal(line, "topology.yaml:1003:3: too many networks (at most 1000): the "
				  "file defines 1001; split the lab or remove some");
	topo_error_format(f->errs, 1, "topology.yaml", line, sizeof(line));
	assert_string_equal(line, "topology.yaml:2005:3: too many nodes (at most 1000): the file "
				  "defines 1001; split the lab or remove some");
	free(text);
}

static void test_misc(void **state)
{
	struct fixture *f = *state;
	const char *text;
	char buf[400];

	/* YAML syntax: libyaml's place */
	assert_int_equal(topo_parse("name: [a\n", 9, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 1);
	assert_non_null(strstr(f->errs->e[0].msg, "YAML syntax error"));
	topo_error_format(f->errs, 0, "x.yaml", buf, sizeof(buf));
	assert_true(!strncmp(buf, "x.yaml:2:1: YAML syntax error", 29));
	/* unreadable file: not tied to a place */
	assert_int_equal(topo_load("/nonexistent/lab.yaml", f->t, f->errs), -ENOENT);
	assert_int_equal(f->errs->n, 1);
	topo_error_format(f->errs, 0, "lab.yaml", buf, sizeof(buf));
	assert_string_equal(buf, "lab.yaml: cannot open: No such file or directory");
	topo_error_format(f->errs, 5, "lab.yaml", buf, sizeof(buf));
	assert_string_equal(buf, "");
	/* a minimal lab; null network value, explicit true/false, memory units */
	assert_int_equal(parse_str(f, "name: m\nnetworks:\n  l:\nnodes:\n  a: { memory: 1G, cpus: "
				      "2, forward: false, interfaces: [ { network: l } ] }\n"),
			 0);
	assert_int_equal(f->t->nodes[0].mem_mib, 1024);
	assert_int_equal(f->t->nodes[0].cpus, 2);
	/* IPv6 link-local next hop needs no subnet; IPv6 route destination */
	assert_int_equal(parse_str(f, "name: m\nnetworks: { l: {} }\nnodes:\n  a: { interfaces: [ "
				      "{ network: l } ], routes: [ { to: \"fd00:1::/64\", via: "
				      "\"fe80::1\" } ] }\n"),
			 0);
	/* VM-only keys on a host, in any key order */
	text = "name: m\nnetworks: { l: {} }\nnodes:\n  h: { kernel: /k, kind: host, interfaces: "
	       "[ { network: l } ] }\n";
	assert_int_equal(topo_parse(text, strlen(text), f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 1);
	assert_int_equal(f->errs->e[0].line, 4);
	assert_int_equal(f->errs->e[0].col, 8);
	assert_non_null(strstr(f->errs->e[0].msg, "\"kernel\" applies only to kind vm"));
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	char path[512];
	json_t *o, *nodes, *nic;

	src_path("topologies/two-guests.yaml", path, sizeof(path));
	assert_int_equal(topo_load(path, f->t, f->errs), 0);
	o = topo_cmd_json(path, f->t, f->errs);
	assert_non_null(o);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_int_equal(json_array_size(json_object_get(o, "errors")), 0);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(o, "networks"), 0), "vni")),
			 100);
	nodes = json_object_get(o, "nodes");
	assert_int_equal(json_array_size(nodes), 2);
	nic = json_array_get(json_object_get(json_array_get(nodes, 1), "interfaces"), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(nic, "addrs"), 0)),
			    "10.100.0.2/24");
	assert_true(json_is_null(json_object_get(nic, "mac")));
	json_decref(o);

	src_path("tests/unit/topo-bad/vni-clash.yaml", path, sizeof(path));
	assert_int_equal(topo_load(path, f->t, f->errs), -EINVAL);
	o = topo_cmd_json(path, f->t, f->errs);
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(o, "errors"), 0), "line")),
			 5);
	json_decref(o);
}

/* issue 9 items 7 and 8: deep nesting and many keys stay fast; values quoted
 * in messages cannot forge lines, colour a terminal or cut a character */
static void test_hostile(void **state)
{
	struct fixture *f = *state;
	size_t n = 200000, len;
	char *text = malloc(n + 1), line[48];
	json_t *o;

	assert_non_null(text);
	memset(text, '[', n);
	text[n] = '\0';
	assert_int_equal(topo_parse(text, n, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 1);
	assert_int_equal(f->errs->e[0].col, TOPO_MAX_DEPTH + 1);
	assert_non_null(strstr(f->errs->e[0].msg, "nesting deeper than 64 levels"));
	free(text);

	/* 90,000 keys: duplicates found by sorting, each named with the first */
	text = malloc(90000 * 16 + 64);
	assert_non_null(text);
	len = (size_t)sprintf(text, "name: k\nnodes: { a: {} }\nnetworks: {");
	for (int i = 0; i < 90000; i++)
		len += (size_t)sprintf(text + len, " n%x: 1,", i % 45000);
	len += (size_t)sprintf(text + len, " }\n");
	assert_int_equal(topo_parse(text, len, f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n + f->errs->dropped > 45000, true);
	free(text);
	text = "name: k\nnetworks: { l: {} }\nnodes:\n  a: { cpus: 1, cpus: 2, cpus: 3, "
	       "interfaces: [ { network: l } ] }\n";
	assert_int_equal(topo_parse(text, strlen(text), f->t, f->errs), -EINVAL);
	assert_int_equal(f->errs->n, 2);
	assert_non_null(strstr(f->errs->e[0].msg, "key \"cpus\" is given twice (first at line 4)"));
	assert_non_null(strstr(f->errs->e[1].msg, "key \"cpus\" is given twice (first at line 4)"));

	/* control characters are shown escaped */
	text = "name: \"x\\nf.yaml:1:1: ok \\e[31m\"\nnetworks: {}\nnodes: { a: {} }\n";
	assert_int_equal(topo_parse(text, strlen(text), f->t, f->errs), -EINVAL);
	assert_non_null(strstr(f->errs->e[0].msg, "\"x\\nf.yaml:1:1: ok \\x1b[31m\""));
	/* a cut never leaves half a character, in the message or in a line */
	text = "name: k\nnetworks: {}\nnodes: { a: { kind: \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	       "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac\" } }\n";
	assert_int_equal(topo_parse(text, strlen(text), f->t, f->errs), -EINVAL);
	for (int i = 0; i < f->errs->n; i++)
		for (size_t cap = 20; cap < sizeof(line); cap++) {
			size_t l;

			topo_error_format(f->errs, i, "\xc3\xa9.yaml", line, cap);
			l = strlen(line);
			assert_true(l < cap);
			assert_true(l == 0 || ((unsigned char)line[l - 1] & 0xc0) != 0xc0);
		}
	o = topo_cmd_json("\xff.yaml", f->t, f->errs);
	assert_non_null(o);
	assert_int_equal(json_array_size(json_object_get(o, "errors")), (size_t)f->errs->n);
	assert_string_equal(json_string_value(json_object_get(o, "file")), "\\xff.yaml");
	json_decref(o);
}

/* switches: nodes on the first by default, networks that span switches
 * and the MTU their interfaces get (the underlay's less 50), given MTUs
 * kept, networks on one switch untouched. */
static void test_switches(void **state)
{
	struct fixture *f = *state;
	const char *text = "name: lab\n"
			   "switches:\n"
			   "  s1: { underlay: 198.51.100.1/24 }\n"
			   "  s2: { underlay: 198.51.100.2/24, mtu: 9000, interface: eth1, "
			   "next_hop: 198.51.100.254 }\n"
			   "  s3: { underlay: 203.0.113.3/24, next_hop: 203.0.113.1 }\n"
			   "networks: { wide: {}, big: {}, local: {} }\n"
			   "nodes:\n"
			   "  a: { interfaces: [ { network: wide }, { network: local } ] }\n"
			   "  b: { switch: s2, interfaces: [ { network: wide, mtu: 1400 }, "
			   "{ network: big } ] }\n"
			   "  c: { switch: s2, interfaces: [ { network: big } ] }\n"
			   "  d: { switch: s3, interfaces: [ { network: big } ] }\n";
	const struct topo *t;

	assert_int_equal(parse_str(f, text), 0);
	t = f->t;
	assert_int_equal(t->n_switches, 3);
	assert_string_equal(t->switches[1].underlay, "198.51.100.2/24");
	assert_int_equal(t->switches[1].mtu, 9000);
	assert_int_equal(t->switches[0].mtu, 1500);
	assert_string_equal(t->switches[1].ifname, "eth1");
	assert_int_equal(t->switches[2].next_hop, 0xcb007101u);
	assert_int_equal(t->node_switch[topo_node_find(t, "a")], 0);
	assert_int_equal(t->node_switch[topo_node_find(t, "d")], 2);
	assert_int_equal(topo_net_switches(t, topo_net_find(t, "wide")), 0x3);
	assert_int_equal(topo_net_switches(t, topo_net_find(t, "big")), 0x6);
	assert_int_equal(topo_net_switches(t, topo_net_find(t, "local")), 0x1);
	/* wide spans s1 (1500) and s2 (9000): 1450; big s2 and s3: 1450 */
	assert_int_equal(t->nodes[0].nics[0].mtu, 1450);
	assert_int_equal(t->nodes[0].nics[1].mtu, 0);
	assert_int_equal(t->nodes[1].nics[0].mtu, 1400);
	assert_int_equal(t->nodes[1].nics[1].mtu, 1450);
	assert_int_equal(t->nodes[3].nics[0].mtu, 1450);

	/* no switches: one implicit switch, nothing spans */
	assert_int_equal(parse_str(f, "name: lab\nnetworks: { n: {} }\nnodes:\n"
				      "  a: { interfaces: [ { network: n } ] }\n"
				      "  b: { interfaces: [ { network: n } ] }\n"),
			 0);
	assert_int_equal(f->t->n_switches, 0);
	assert_int_equal(topo_net_switches(f->t, 0), 0x1);
	assert_int_equal(f->t->nodes[1].nics[0].mtu, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_examples_parse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_router_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auto_assignment_stable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_all_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_misc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_switches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
