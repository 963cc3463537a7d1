/* Fuzz harness of topology files (control/topo.h): an input is the text of
 * a topology file, at most the 1 MiB topo_load() and `vlab validate` read
 * (larger ones are refused before parsing), given to topo_parse() without a
 * terminating NUL (it takes `len` bytes), then every problem formatted with
 * topo_error_format() as `vlab validate` prints it.
 *
 * Invariants checked: topo_parse() returns 0 exactly when it records no
 * problem, else -EINVAL (or -ENOMEM); at most TOPO_MAX_ERRORS problems with
 * terminated messages and sane positions; a formatted problem is terminated
 * within any buffer size, also a tiny one (heap buffers of exactly that
 * size); a model it accepts is within the limits and consistent: unique
 * network and node names that topo_net_find()/topo_node_find() find, VNIs
 * unique and in range, every NIC on a defined network, counts in bounds.
 *
 * The JSON of `vlab validate -j` (topo_cmd_json()) encodes, says "ok" as
 * topo_parse() did and lists every problem recorded. A formatted problem is
 * one line of valid UTF-8 without control characters (a value echoed raw
 * could forge a FILE:LINE:COL line or colour a terminal).
 *
 * Built as a libFuzzer target (-Dfuzz=true, clang) or with replay.c. Seeds:
 * topologies/, tests/unit/topo-bad/ and topo/seeds (tests/fuzz/mkseeds.py);
 * reproducers in topo/reproducers. Single-threaded. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "topo.h"
#include "topo_cmd.h"

/* The size limit of topology files (TOPO_FILE_MAX in control/topo.c, not in
 * topo.h): topo_load() refuses larger files before parsing. */
#define FUZZ_TOPO_FILE_MAX (1 << 20)

static struct topo *topo;
static struct topo_errors *errs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	topo = topo_new();
	errs = calloc(1, sizeof(*errs));
	if (!topo || !errs)
		abort();
	return 0;
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_format(int i)
{
	static const size_t sizes[] = {1, 2, 9, 40, TOPO_MSG_MAX + 300};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t cap = sizes[k], n;
		char *buf = malloc(cap);

		if (!buf)
			return;
		memset(buf, 'x', cap);
		topo_error_format(errs, i, "fuzz.yaml", buf, cap);
		FUZZ_CHECK(terminated(buf, cap), "problem %d not terminated in %zu bytes", i, cap);
		n = strlen(buf);
		/* whatever the buffer's size: whole characters, no controls */
		FUZZ_CHECK(fuzz_utf8_ok(buf, n), "problem %d is not valid UTF-8 in %zu bytes: %s", i,
			   cap, buf);
		for (size_t j = 0; j < n; j++)
			FUZZ_CHECK((unsigned char)buf[j] >= 0x20 && buf[j] != 0x7f,
				   "problem %d holds control character %#x at %zu: %s", i,
				   (unsigned char)buf[j], j, buf);
		if (cap == sizes[sizeof(sizes) / sizeof(sizes[0]) - 1])
			FUZZ_CHECK(strncmp(buf, "fuzz.yaml", 9) == 0, "problem %d: %s", i, buf);
		free(buf);
	}
}

static void check_model(void)
{
	const struct topo *t = topo;

	FUZZ_CHECK(t->n_nets >= 0 && t->n_nets <= TOPO_MAX_NETS, "%d networks", t->n_nets);
	FUZZ_CHECK(t->n_nodes >= 0 && t->n_nodes <= TOPO_MAX_NODES, "%d nodes", t->n_nodes);
	FUZZ_CHECK(t->n_expect >= 0 && t->n_expect <= TOPO_MAX_EXPECT, "%d expectations",
		   t->n_expect);
	FUZZ_CHECK(terminated(t->name, sizeof(t->name)) && t->name[0], "lab name");
	for (int i = 0; i < t->n_nets; i++) {
		const struct topo_net *n = &t->nets[i];

		FUZZ_CHECK(terminated(n->name, sizeof(n->name)) && n->name[0], "network %d name",
			   i);
		FUZZ_CHECK(terminated(n->subnet, sizeof(n->subnet)), "network %s subnet", n->name);
		FUZZ_CHECK(topo_net_find(t, n->name) == i, "network %s found at %d, not %d",
			   n->name, topo_net_find(t, n->name), i);
		FUZZ_CHECK(n->vni >= 1 && n->vni <= 16777215, "network %s: VNI %u", n->name,
			   n->vni);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(t->nets[j].vni != n->vni, "networks %s and %s share VNI %u",
				   t->nets[j].name, n->name, n->vni);
	}
	for (int i = 0; i < t->n_nodes; i++) {
		const struct node *n = &t->nodes[i];

		FUZZ_CHECK(terminated(n->name, sizeof(n->name)) && n->name[0], "node %d name", i);
		FUZZ_CHECK(topo_node_find(t, n->name) == i, "node %s found at %d, not %d", n->name,
			   topo_node_find(t, n->name), i);
		FUZZ_CHECK(n->n_nics >= 0 && n->n_nics <= NODE_MAX_NICS, "node %s: %d NICs",
			   n->name, n->n_nics);
		FUZZ_CHECK(n->n_routes >= 0 && n->n_routes <= NODE_MAX_ROUTES, "node %s: %d routes",
			   n->name, n->n_routes);
		for (int k = 0; k < n->n_nics; k++) {
			const struct node_nic *c = &n->nics[k];

			FUZZ_CHECK(topo_net_find(t, c->network) >= 0,
				   "node %s NIC %d on undefined network", n->name, k);
			FUZZ_CHECK(c->n_addrs >= 0 && c->n_addrs <= NODE_MAX_ADDRS,
				   "node %s NIC %d: %d addresses", n->name, k, c->n_addrs);
			for (int a = 0; a < c->n_addrs; a++)
				FUZZ_CHECK(terminated(c->addrs[a], sizeof(c->addrs[a])) &&
					       c->addrs[a][0],
					   "node %s NIC %d address %d", n->name, k, a);
		}
	}
	FUZZ_CHECK(topo_host_neighbours(t) >= 0, "negative neighbour count");
}

/* `vlab validate -j` of the same outcome. */
static void check_json(int rc)
{
	json_t *o = topo_cmd_json("fuzz.yaml", topo, errs), *e;
	char *s;

	FUZZ_CHECK(o != NULL, "topo_cmd_json() failed");
	FUZZ_CHECK(json_is_boolean(json_object_get(o, "ok")) &&
		       json_is_true(json_object_get(o, "ok")) == (rc == 0),
		   "\"ok\" is not %s", rc == 0 ? "true" : "false");
	e = json_object_get(o, "errors");
	FUZZ_CHECK(json_is_array(e), "no \"errors\" array");
	FUZZ_CHECK(json_array_size(e) == (size_t)errs->n, "%zu of %d problems in the JSON",
		   json_array_size(e), errs->n);
	s = json_dumps(o, JSON_COMPACT);
	FUZZ_CHECK(s != NULL, "the JSON of vlab validate -j does not encode");
	FUZZ_CHECK(fuzz_utf8_ok(s, strlen(s)), "the JSON is not valid UTF-8");
	free(s);
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rc;

	if (!topo)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > FUZZ_TOPO_FILE_MAX)
		return 0; /* refused unread by topo_load() */
	rc = topo_parse((const char *)data, size, topo, errs);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "topo_parse() returned %d", rc);
	FUZZ_CHECK(errs->n >= 0 && errs->n <= TOPO_MAX_ERRORS && errs->dropped >= 0,
		   "%d problems, %d dropped", errs->n, errs->dropped);
	FUZZ_CHECK((rc == 0) == (errs->n == 0 && errs->dropped == 0),
		   "returned %d with %d problems (%d dropped)", rc, errs->n, errs->dropped);
	FUZZ_CHECK(errs->dropped == 0 || errs->n == TOPO_MAX_ERRORS,
		   "problems dropped while there was room");
	for (int i = 0; i < errs->n; i++) {
		const struct topo_error *e = &errs->e[i];

		FUZZ_CHECK(e->line >= 0 && e->col >= 0, "problem %d at %d:%d", i, e->line, e->col);
		FUZZ_CHECK(terminated(e->msg, sizeof(e->msg)) && e->msg[0],
			   "problem %d: message empty or not terminated", i);
		check_format(i);
	}
	if (rc == 0)
		check_model();
	check_json(rc);
	return 0;
}
