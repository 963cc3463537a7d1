/* `vlab pingall` without the processes; see pingall.h.
 *
 * Threads: the caller's. Pure: no syscalls beyond writing the FILE given. */
#include "pingall.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

int pingall_sources(const struct reach_cell *cells, int n, struct pingall_src **out)
{
	int runs = 0;

	if (!out || n < 0 || (n > 0 && !cells))
		return -EINVAL;
	*out = calloc(n ? (size_t)n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (runs == 0 || (*out)[runs - 1].node != cells[i].src_node)
			(*out)[runs++] =
			    (struct pingall_src){.node = cells[i].src_node, .first = i};
		(*out)[runs - 1].n++;
	}
	return runs;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void reverse(const char **v, int from, int to)
{
	for (to--; from < to; from++, to--) {
		const char *x = v[from];

		v[from] = v[to];
		v[to] = x;
	}
}

int pingall_addrs(const struct reach_cell *cells, const struct pingall_src *s, const bool *got,
		  bool retry, const char **addrs)
{
	int n = 0, k = 0;

	for (int i = s->first; i < s->first + s->n; i++)
		if (!retry || (cells[i].expect && !got[i]))
			addrs[n++] = cells[i].addr;
	if (n > 1)
		qsort(addrs, (size_t)n, sizeof(*addrs), str_ptr_cmp);
	for (int i = 0; i < n; i++)
		if (k == 0 || strcmp(addrs[k - 1], addrs[i]))
			addrs[k++] = addrs[i];
	if (k > 1) { /* rotate left by node % k: three reversals, in place */
		int r = s->node % k;

		reverse(addrs, 0, r);
		reverse(addrs, r, k);
		reverse(addrs, 0, k);
	}
	return k;
}

int pingall_script(int wait_s, char *buf, size_t len)
{
	int w = snprintf(buf, len,
			 "n=0; for a in \"$@\"; do "
			 "{ ping -c 1 -W %d \"$a\" >/dev/null 2>&1 && echo \"$a\"; } & "
			 "n=$((n + 1)); if [ \"$n\" -ge %d ]; then wait; n=0; fi; "
			 "done; wait",
			 wait_s, PINGALL_BATCH);

	return w < 0 || (size_t)w >= len ? -ENOSPC : 0;
}

const char **pingall_argv(const char *script, const char *const *addrs, int n)
{
	const char **argv = calloc((size_t)n + 5, sizeof(*argv));

	if (!argv)
		return NULL;
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = "sh"; /* $0 */
	for (int i = 0; i < n; i++)
		argv[4 + i] = addrs[i];
	return argv;
}

int pingall_timeout_ms(int n, int wait_s)
{
	int batches = (n + PINGALL_BATCH - 1) / PINGALL_BATCH;

	/* each batch waits at most wait_s for its slowest ping, plus the time to
	 * start its processes; then slack for a busy machine */
	return batches * (wait_s + 2) * 1000 + 10000;
}

static int addr_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

void pingall_mark(const char *out, const struct reach_cell *cells, const struct pingall_src *s,
		  bool *got)
{
	char(*ans)[NODE_ADDR_MAX] = NULL;
	const char *p = out;
	int n = 0, cap = 0;

	/* the answers, sorted, then each cell looked up: no scan of every cell
	 * for every line */
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len && p[len - 1] == '\r')
			len--;
		if (len > 0 && len < NODE_ADDR_MAX) {
			if (n == cap) {
				char(*more)[NODE_ADDR_MAX] = realloc(
				    ans, (size_t)(cap = cap ? 2 * cap : 64) * NODE_ADDR_MAX);

				if (!more)
					break; /* what did not fit counts as no answer */
				ans = more;
			}
			memcpy(ans[n], p, len);
			ans[n++][len] = '\0';
		}
		p = nl ? nl + 1 : NULL;
	}
	if (n > 1)
		qsort(ans, (size_t)n, NODE_ADDR_MAX, addr_cmp);
	for (int i = s->first; i < s->first + s->n && n > 0; i++)
		if (bsearch(cells[i].addr, ans, (size_t)n, NODE_ADDR_MAX, addr_cmp))
			got[i] = true;
	free(ans);
}

void pingall_count(const struct reach_cell *cells, const bool *got, int n, struct pingall_counts *c)
{
	*c = (struct pingall_counts){.tried = n};
	for (int i = 0; i < n; i++) {
		if (got[i] == cells[i].expect)
			c->matched++;
		else
			c->differing++;
	}
}

/* One cell seen from its address, for grouping the cells into columns. */
struct col_item {
	const char *addr;
	int dst_node;
	int cell;
	int group; /* distinct address */
};

static int item_by_addr(const void *a, const void *b)
{
	const struct col_item *x = a, *y = b;
	int c = strcmp(x->addr, y->addr);

	if (c)
		return c;
	if (x->dst_node != y->dst_node)
		return x->dst_node - y->dst_node;
	return x->cell - y->cell;
}

/* Where a column goes: the first (node, cell) of its address. */
struct col_key {
	int dst_node;
	int cell;
	int group;
};

static int key_cmp(const void *a, const void *b)
{
	const struct col_key *x = a, *y = b;

	if (x->dst_node != y->dst_node)
		return x->dst_node - y->dst_node;
	return x->cell - y->cell;
}

int pingall_columns(const struct reach_cell *cells, int n, const char ***cols, int **col_of)
{
	struct col_item *it = calloc(n ? (size_t)n : 1, sizeof(*it));
	struct col_key *keys = calloc(n ? (size_t)n : 1, sizeof(*keys));
	int *rank = calloc(n ? (size_t)n : 1, sizeof(*rank));
	int groups = 0, rc = -ENOMEM;

	*cols = calloc(n ? (size_t)n : 1, sizeof(**cols));
	*col_of = calloc(n ? (size_t)n : 1, sizeof(**col_of));
	if (!it || !keys || !rank || !*cols || !*col_of)
		goto out_free;
	for (int i = 0; i < n; i++)
		it[i] = (struct col_item){cells[i].addr, cells[i].dst_node, i, 0};
	if (n > 1)
		qsort(it, (size_t)n, sizeof(*it), item_by_addr);
	for (int i = 0; i < n; i++) {
		if (i == 0 || strcmp(it[i - 1].addr, it[i].addr)) {
			keys[groups] = (struct col_key){it[i].dst_node, it[i].cell, groups};
			groups++;
		}
		it[i].group = groups - 1;
	}
	if (groups > 1)
		qsort(keys, (size_t)groups, sizeof(*keys), key_cmp);
	for (int g = 0; g < groups; g++) {
		rank[keys[g].group] = g;
		(*cols)[g] = cells[keys[g].cell].addr;
	}
	for (int i = 0; i < n; i++)
		(*col_of)[it[i].cell] = rank[it[i].group];
	rc = groups;
out_free:
	free(it);
	free(keys);
	free(rank);
	if (rc < 0) {
		free(*cols);
		free(*col_of);
		*cols = NULL;
		*col_of = NULL;
	}
	return rc;
}

bool pingall_use_matrix(int ncols, bool force)
{
	return force || ncols <= PINGALL_MATRIX_MAX_COLS;
}

static const char *mark(bool got, bool expect)
{
	if (got == expect)
		return got ? "ok" : "--";
	return got ? "ok!" : "--!";
}

static int print_matrix(FILE *f, const struct topo *t, const struct reach_cell *cells,
			const bool *got, int n, const char **cols, const int *col_of, int ncols)
{
	const char **grid = calloc((size_t)t->n_nodes * (size_t)(ncols ? ncols : 1), sizeof(*grid));

	if (!grid)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		grid[(size_t)cells[i].src_node * (size_t)ncols + (size_t)col_of[i]] =
		    mark(got[i], cells[i].expect);
	fprintf(f, "%-10s", "from \\ to");
	for (int c = 0; c < ncols; c++)
		fprintf(f, " %-15s", cols[c]);
	fputc('\n', f);
	for (int s = 0; s < t->n_nodes; s++) {
		fprintf(f, "%-10s", t->nodes[s].name);
		for (int c = 0; c < ncols; c++) {
			const char *m = grid[(size_t)s * (size_t)ncols + (size_t)c];

			fprintf(f, " %-15s", m ? m : "   ");
		}
		fputc('\n', f);
	}
	fprintf(f, "ok: reached, --: not reached, !: differs from the topology\n");
	free(grid);
	return 0;
}

static int print_summary(FILE *f, const char *lab, const struct topo *t,
			 const struct reach_cell *cells, const bool *got, int n, int ncols,
			 const struct pingall_counts *c)
{
	static const struct table_col tc[] = {{"FROM", false},
					      {"TO", false},
					      {"ADDRESS", false},
					      {"EXPECTED", false},
					      {"GOT", false}};
	struct table *tb;
	int rc = 0;

	fprintf(f,
		"lab %s: %d pairs tried, %d matched, %d differing (%d nodes, %d destination "
		"addresses: too wide for a matrix, --matrix prints it)\n",
		lab, c->tried, c->matched, c->differing, t->n_nodes, ncols);
	if (c->differing == 0)
		return 0;
	tb = table_new(tc, 5);
	if (!tb)
		return -ENOMEM;
	for (int i = 0; i < n && rc == 0; i++) {
		if (got[i] == cells[i].expect)
			continue;
		const char *row[] = {t->nodes[cells[i].src_node].name,
				     t->nodes[cells[i].dst_node].name, cells[i].addr,
				     cells[i].expect ? "reached" : "not reached",
				     got[i] ? "reached" : "not reached"};

		rc = table_add_row(tb, row);
	}
	if (rc == 0)
		rc = table_print(tb, f);
	table_free(tb);
	return rc;
}

static bool cells_ok(const struct topo *t, const struct reach_cell *cells, const bool *got, int n)
{
	if (!t || n < 0 || (n > 0 && (!cells || !got)))
		return false;
	for (int i = 0; i < n; i++)
		if (cells[i].src_node < 0 || cells[i].src_node >= t->n_nodes ||
		    cells[i].dst_node < 0 || cells[i].dst_node >= t->n_nodes)
			return false;
	return true;
}

/* One line for each differing pair a policy or an expectation decides. */
static void print_whys(FILE *f, const struct topo *t, const struct reach_cell *cells,
		       const bool *got, int n, const struct reach_probe *probe)
{
	char why[256];

	for (int i = 0; i < n; i++) {
		if (got[i] == cells[i].expect ||
		    !pingall_why(t, &cells[i], probe, why, sizeof(why))[0])
			continue;
		fprintf(f, "%s -> %s (%s): %s, yet %s\n", t->nodes[cells[i].src_node].name,
			cells[i].addr, t->nodes[cells[i].dst_node].name, why,
			got[i] ? "it was reached" : "it was not reached");
	}
}

int pingall_print(FILE *f, const char *lab, const struct topo *t, const struct reach_cell *cells,
		  const bool *got, int n, bool force_matrix)
{
	return pingall_print_probe(f, lab, t, cells, got, n, force_matrix, NULL);
}

int pingall_print_probe(FILE *f, const char *lab, const struct topo *t,
			const struct reach_cell *cells, const bool *got, int n, bool force_matrix,
			const struct reach_probe *probe)
{
	char what[64];
	struct pingall_counts c;
	const char **cols;
	int *col_of, ncols, rc;

	if (!f || !lab || !cells_ok(t, cells, got, n))
		return -EINVAL;
	ncols = pingall_columns(cells, n, &cols, &col_of);
	if (ncols < 0)
		return ncols;
	pingall_count(cells, got, n, &c);
	if (pingall_use_matrix(ncols, force_matrix))
		rc = print_matrix(f, t, cells, got, n, cols, col_of, ncols);
	else
		rc = print_summary(f, lab, t, cells, got, n, ncols, &c);
	pingall_probe_name(probe, what, sizeof(what));
	if (rc == 0)
		print_whys(f, t, cells, got, n, probe);
	if (rc == 0 && c.differing)
		fprintf(f, "lab %s: %d of %d %s differ from what the topology implies\n", lab,
			c.differing, n, what);
	else if (rc == 0)
		fprintf(f, "lab %s: all %d %s match the topology\n", lab, n, what);
	free(cols);
	free(col_of);
	return rc;
}

json_t *pingall_json(const char *lab, const struct topo *t, const struct reach_cell *cells,
		     const bool *got, int n)
{
	return pingall_json_probe(lab, t, cells, got, n, NULL);
}

json_t *pingall_json_probe(const char *lab, const struct topo *t, const struct reach_cell *cells,
			   const bool *got, int n, const struct reach_probe *probe)
{
	static const char *const kinds[] = {"icmp", "tcp", "udp"};
	struct pingall_counts c;
	char why[256];
	json_t *arr, *o;

	if (!lab || !cells_ok(t, cells, got, n))
		return NULL;
	arr = json_array();
	if (!arr)
		return NULL;
	for (int i = 0; i < n; i++) {
		json_t *p = json_pack(
		    "{s:s,s:s,s:s,s:b,s:b,s:b}", "from", t->nodes[cells[i].src_node].name, "to",
		    t->nodes[cells[i].dst_node].name, "addr", cells[i].addr, "reached", got[i],
		    "expected", cells[i].expect, "match", got[i] == cells[i].expect);

		if (pingall_why(t, &cells[i], probe, why, sizeof(why))[0])
			json_object_set_new(p, "why", json_string(why));
		if (cells[i].policy >= 0 && cells[i].policy < t->n_policies) {
			json_object_set_new(p, "policy",
					    json_string(t->policies[cells[i].policy].name));
			json_object_set_new(p, "rule", json_integer(cells[i].rule + 1));
		}
		json_array_append_new(arr, p);
	}
	pingall_count(cells, got, n, &c);
	o = json_pack("{s:s,s:o,s:i,s:i,s:i,s:i,s:b}", "lab", lab, "pings", arr, "tried", c.tried,
		      "matched", c.matched, "differing", c.differing, "mismatches", c.differing,
		      "ok", c.differing == 0);
	if (o && probe) {
		json_object_set_new(o, "probe", json_string(kinds[probe->kind % 3]));
		if (probe->kind != POLREACH_ICMP)
			json_object_set_new(o, "port", json_integer(probe->port));
	}
	return o;
}
