/* Unit tests of `vlab pingall` without nodes (control/pingall.c): sources
 * and their addresses, the ping script (run by /bin/sh with a stand-in
 * `ping` over more addresses than one batch; read by busybox sh, which
 * guests run, when it is installed), reading its answer,
 * the matrix or summary decision, both reports, and the JSON. Topologies are
 * built in C.
 *
 * Threads: cmocka runs every test on the main thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pingall.h"
#include "topo_build.h"

/* Hosts h0..h(n-1) on one network, host i at 10.0.0.(i+1). */
static struct topo *flat_lab(int n)
{
	struct topo *t = topo_new();
	char name[NODE_NAME_MAX], addr[NODE_ADDR_MAX];

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "flat");
	add_net(t, "lan", 100, "10.0.0.0/16");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		snprintf(addr, sizeof(addr), "10.0.%d.%d/16", (i + 1) / 256, (i + 1) % 256);
		add_nic(add_node(t, name, NODE_HOST), "eth0", "lan", addr);
	}
	return t;
}

/* a1, b1 on tenant t1 and a2, b2 on t2, both 10.0.0.0/24 with the same
 * addresses (a: .1, b: .2), plus c2 (.3) on t2 only. */
static struct topo *tenants(void)
{
	struct topo *t = topo_new();

	assert_non_null(t);
	snprintf(t->name, sizeof(t->name), "ten");
	add_net(t, "t1", 1, "10.0.0.0/24");
	add_net(t, "t2", 2, "10.0.0.0/24");
	add_nic(add_node(t, "a1", NODE_VM), "eth0", "t1", "10.0.0.1/24");
	add_nic(add_node(t, "b1", NODE_HOST), "eth0", "t1", "10.0.0.2/24");
	add_nic(add_node(t, "a2", NODE_VM), "eth0", "t2", "10.0.0.1/24");
	add_nic(add_node(t, "b2", NODE_HOST), "eth0", "t2", "10.0.0.2/24");
	add_nic(add_node(t, "c2", NODE_HOST), "eth0", "t2", "10.0.0.3/24");
	return t;
}

static char *print_to_string(const struct topo *t, const struct reach_cell *cells, const bool *got,
			     int n, bool force)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pingall_print(f, t->name, t, cells, got, n, force), 0);
	fclose(f);
	return buf;
}

static void test_sources_and_addrs(void **state)
{
	struct topo *t = tenants();
	struct reach_cell *cells;
	struct pingall_src *srcs;
	const char *addrs[16];
	bool got[16] = {false};
	int n = reach_matrix_alloc(t, &cells), ns;

	/* a1: 10.0.0.2 (b1), 10.0.0.3 (c2, isolated); b1: .1 (a1), .3 (c2);
	 * a2: .2, .3; b2: .1, .3; c2: .1, .2 */
	assert_int_equal(n, 10);
	ns = pingall_sources(cells, n, &srcs);
	assert_int_equal(ns, 5);
	for (int i = 0; i < ns; i++) {
		assert_int_equal(srcs[i].node, i);
		assert_int_equal(srcs[i].first, 2 * i);
		assert_int_equal(srcs[i].n, 2);
	}
	assert_int_equal(pingall_addrs(cells, &srcs[0], got, false, addrs), 2);
	assert_string_equal(addrs[0], "10.0.0.2");
	assert_string_equal(addrs[1], "10.0.0.3");
	/* retry: only what should answer and did not (c2 is isolated from a1) */
	assert_int_equal(pingall_addrs(cells, &srcs[0], got, true, addrs), 1);
	assert_string_equal(addrs[0], "10.0.0.2");
	got[0] = true;
	assert_int_equal(pingall_addrs(cells, &srcs[0], got, true, addrs), 0);

	/* the next source starts one address further */
	assert_int_equal(pingall_addrs(cells, &srcs[1], got, false, addrs), 2);
	assert_string_equal(addrs[0], "10.0.0.3");
	assert_string_equal(addrs[1], "10.0.0.1");
	assert_int_equal(pingall_addrs(cells, &srcs[2], got, false, addrs), 2);
	assert_string_equal(addrs[0], "10.0.0.2");
	free(srcs);

	/* a larger lab: every address once, rotated by the node index */
	struct topo *big = topo_new();
	struct reach_cell *bc;
	const char *ba[64];
	char name[NODE_NAME_MAX], addr[NODE_ADDR_MAX];

	assert_non_null(big);
	add_net(big, "lan", 1, "10.1.0.0/24");
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		snprintf(addr, sizeof(addr), "10.1.0.%d/24", 10 + i);
		add_nic(add_node(big, name, NODE_HOST), "eth0", "lan", addr);
	}
	assert_int_equal(reach_matrix_alloc(big, &bc), 90);
	assert_int_equal(pingall_sources(bc, 90, &srcs), 10);
	assert_int_equal(pingall_addrs(bc, &srcs[7], got, false, ba), 9);
	/* n7 pings 10..16, 18, 19; sorted, rotated by 7 */
	assert_string_equal(ba[0], "10.1.0.18");
	assert_string_equal(ba[1], "10.1.0.19");
	assert_string_equal(ba[2], "10.1.0.10");
	assert_string_equal(ba[8], "10.1.0.16");
	free(srcs);
	free(bc);
	topo_free(big);

	/* the same address twice for one source is pinged once */
	cells[1] = cells[0];
	assert_int_equal(pingall_sources(cells, 2, &srcs), 1);
	assert_int_equal(pingall_addrs(cells, &srcs[0], got, false, addrs), 1);
	free(srcs);
	assert_int_equal(pingall_sources(cells, 0, &srcs), 0);
	free(srcs);
	assert_int_equal(pingall_sources(NULL, 1, &srcs), -EINVAL);
	free(cells);
	topo_free(t);
}

static void test_mark(void **state)
{
	struct topo *t = flat_lab(4);
	struct reach_cell *cells;
	struct pingall_src *srcs;
	bool got[12] = {false};
	int n = reach_matrix_alloc(t, &cells);

	assert_int_equal(n, 12);
	assert_int_equal(pingall_sources(cells, n, &srcs), 4);
	/* source h1 (cells 3..5: .1, .3, .4): lines in any order, CRLF, noise,
	 * an address of another source's range ignored */
	pingall_mark("10.0.0.4\r\n10.0.0.2\nPING junk\n\n10.0.0.1", cells, &srcs[1], got);
	for (int i = 0; i < n; i++)
		assert_int_equal(got[i], i == 3 || i == 5);
	pingall_mark("", cells, &srcs[2], got);
	pingall_mark(NULL, cells, &srcs[2], got);
	assert_false(got[6] || got[7] || got[8]);
	free(srcs);
	free(cells);
	topo_free(t);
}

static void test_script_argv(void **state)
{
	const char *addrs[] = {"10.0.0.1", "10.0.0.2"};
	char script[PINGALL_SCRIPT_MAX];
	const char **argv;

	assert_int_equal(pingall_script(1, script, sizeof(script)), 0);
	assert_non_null(strstr(script, "ping -c 1 -W 1 \"$a\""));
	assert_int_equal(pingall_script(1, script, 20), -ENOSPC);
	assert_int_equal(pingall_script(2, script, sizeof(script)), 0);
	argv = pingall_argv(script, addrs, 2);
	assert_non_null(argv);
	assert_string_equal(argv[0], "sh");
	assert_string_equal(argv[1], "-c");
	assert_ptr_equal(argv[2], script);
	assert_string_equal(argv[3], "sh");
	assert_string_equal(argv[4], "10.0.0.1");
	assert_string_equal(argv[5], "10.0.0.2");
	assert_null(argv[6]);
	free(argv);
	/* a batch of unanswered pings costs wait_s: the timeout covers them */
	assert_true(pingall_timeout_ms(1, 1) >= 3000);
	assert_true(pingall_timeout_ms(215, 1) >= (215 / PINGALL_BATCH + 1) * 3000);
	assert_true(pingall_timeout_ms(215, 2) > pingall_timeout_ms(215, 1));
}

/* Runs the script with /bin/sh over more addresses than two batches with a
 * stand-in ping that answers for the even ones; checks what it prints. */
static void test_script_runs(void **state)
{
	const int n = 2 * PINGALL_BATCH + 8;
	char dir[] = "/tmp/vlab-pingall-XXXXXX", path[64], cmd[8192], script[PINGALL_SCRIPT_MAX];
	char out[8192] = "";
	size_t off = 0, got = 0;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ping", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	/* ping -c 1 -W N ADDR */
	fputs("#!/bin/sh\n[ \"$1 $2 $3\" = \"-c 1 -W\" ] || exit 2\n"
	      "case \"$5\" in *[02468]) exit 0 ;; *) exit 1 ;; esac\n",
	      f);
	fclose(f);
	chmod(path, 0755);
	assert_int_equal(pingall_script(1, script, sizeof(script)), 0);
	off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "PATH=%s:$PATH /bin/sh -c '%s' sh",
				dir, script);
	for (int i = 1; i <= n; i++)
		off +=
		    (size_t)snprintf(cmd + off, sizeof(cmd) - off, " 10.0.%d.%d", i / 256, i % 256);
	assert_true(off < sizeof(cmd));
	f = popen(cmd, "r");
	assert_non_null(f);
	got = fread(out, 1, sizeof(out) - 1, f);
	assert_int_equal(pclose(f), 0);
	out[got] = '\0';
	for (int i = 1; i <= n; i++) {
		char line[24];
		int found = 0;

		snprintf(line, sizeof(line), "10.0.%d.%d\n", i / 256, i % 256);
		for (char *p = out; (p = strstr(p, line)) != NULL; p++)
			found += p == out || p[-1] == '\n';
		assert_int_equal(found, i % 2 == 0);
	}
	unlink(path);
	rmdir(dir);
}

/* busybox sh (the guests' shell) reads the script. It runs its own ping
 * applet rather than a stand-in from PATH, so only the syntax is checked. */
static void test_script_busybox(void **state)
{
	char script[PINGALL_SCRIPT_MAX], cmd[PINGALL_SCRIPT_MAX + 64];

	if (access("/bin/busybox", X_OK) != 0) {
		print_message("  (no /bin/busybox: not checked)\n");
		return;
	}
	assert_int_equal(pingall_script(1, script, sizeof(script)), 0);
	snprintf(cmd, sizeof(cmd), "/bin/busybox sh -n -c '%s' sh 10.0.0.1", script);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "/bin/busybox sh -n -c '%s; fi' sh 2>/dev/null", script);
	assert_int_not_equal(system(cmd), 0); /* -n does check */
}

static void test_columns(void **state)
{
	struct topo *t = tenants();
	struct reach_cell *cells;
	const char **cols;
	int *col_of, n = reach_matrix_alloc(t, &cells);

	/* node order: a1 holds 10.0.0.1 (first pinged by b1), b1 .2, c2 .3 */
	assert_int_equal(pingall_columns(cells, n, &cols, &col_of), 3);
	assert_string_equal(cols[0], "10.0.0.1");
	assert_string_equal(cols[1], "10.0.0.2");
	assert_string_equal(cols[2], "10.0.0.3");
	for (int i = 0; i < n; i++)
		assert_string_equal(cols[col_of[i]], cells[i].addr);
	free(cols);
	free(col_of);
	assert_int_equal(pingall_columns(cells, 0, &cols, &col_of), 0);
	free(cols);
	free(col_of);
	free(cells);
	topo_free(t);

	assert_true(pingall_use_matrix(PINGALL_MATRIX_MAX_COLS, false));
	assert_false(pingall_use_matrix(PINGALL_MATRIX_MAX_COLS + 1, false));
	assert_true(pingall_use_matrix(PINGALL_MATRIX_MAX_COLS + 1, true));
}

static void test_print_matrix(void **state)
{
	struct topo *t = tenants();
	struct reach_cell *cells;
	bool got[10];
	int n = reach_matrix_alloc(t, &cells);
	char *out;

	for (int i = 0; i < n; i++)
		got[i] = cells[i].expect;
	got[9] = !got[9]; /* c2 -> 10.0.0.2 (b2) not answered */
	out = print_to_string(t, cells, got, n, false);
	assert_string_equal(out, "from \\ to  10.0.0.1        10.0.0.2        10.0.0.3       \n"
				 "a1                         ok              --             \n"
				 "b1         ok                              --             \n"
				 "a2                         ok              ok             \n"
				 "b2         ok                              ok             \n"
				 "c2         ok              --!                            \n"
				 "ok: reached, --: not reached, !: differs from the topology\n"
				 "lab ten: 1 of 10 pings differ from what the topology implies\n");
	free(out);
	free(cells);
	topo_free(t);
}

static void test_print_summary(void **state)
{
	struct topo *t = flat_lab(PINGALL_MATRIX_MAX_COLS + 2);
	struct reach_cell *cells;
	int n = reach_matrix_alloc(t, &cells);
	bool *got;
	char *out;

	assert_int_equal(n, 18 * 17);
	got = calloc(18 * 17, sizeof(*got));
	assert_non_null(got);
	for (int i = 0; i < n; i++)
		got[i] = true;
	out = print_to_string(t, cells, got, n, false);
	assert_string_equal(out, "lab flat: 306 pairs tried, 306 matched, 0 differing (18 nodes, "
				 "18 destination addresses: too wide for a matrix, --matrix "
				 "prints it)\n"
				 "lab flat: all 306 pings match the topology\n");
	free(out);

	/* h2 gets no answer from 10.0.0.1 (h0); an expectation says h4 must not
	 * reach h6, yet it does */
	got[2 * 17 + 0] = false;
	cells[4 * 17 + 5].expect = false;
	out = print_to_string(t, cells, got, n, false);
	assert_string_equal(out,
			    "lab flat: 306 pairs tried, 304 matched, 2 differing (18 nodes, "
			    "18 destination addresses: too wide for a matrix, --matrix "
			    "prints it)\n"
			    "FROM  TO  ADDRESS   EXPECTED     GOT\n"
			    "h2    h0  10.0.0.1  reached      not reached\n"
			    "h4    h6  10.0.0.7  not reached  reached\n"
			    "lab flat: 2 of 306 pings differ from what the topology implies\n");
	free(out);

	/* --matrix: the matrix all the same */
	out = print_to_string(t, cells, got, n, true);
	assert_non_null(strstr(out, "from \\ to  10.0.0.1        10.0.0.2"));
	assert_non_null(strstr(out, "\nh17        ok "));
	free(out);
	assert_int_equal(pingall_print(stdout, "x", NULL, cells, got, n, false), -EINVAL);
	free(got);
	free(cells);
	topo_free(t);
}

static void test_json(void **state)
{
	struct topo *t = tenants();
	struct reach_cell *cells;
	bool got[10];
	int n = reach_matrix_alloc(t, &cells);
	struct pingall_counts c;
	json_t *o, *p;

	for (int i = 0; i < n; i++)
		got[i] = cells[i].expect;
	got[1] = true; /* a1 -> 10.0.0.3 (c2, isolated) answered */
	pingall_count(cells, got, n, &c);
	assert_int_equal(c.tried, 10);
	assert_int_equal(c.matched, 9);
	assert_int_equal(c.differing, 1);
	o = pingall_json("ten", t, cells, got, n);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "lab")), "ten");
	assert_int_equal(json_array_size(json_object_get(o, "pings")), 10);
	assert_int_equal(json_integer_value(json_object_get(o, "tried")), 10);
	assert_int_equal(json_integer_value(json_object_get(o, "matched")), 9);
	assert_int_equal(json_integer_value(json_object_get(o, "differing")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "mismatches")), 1);
	assert_true(json_is_false(json_object_get(o, "ok")));
	p = json_array_get(json_object_get(o, "pings"), 1);
	assert_string_equal(json_string_value(json_object_get(p, "from")), "a1");
	assert_string_equal(json_string_value(json_object_get(p, "to")), "c2");
	assert_string_equal(json_string_value(json_object_get(p, "addr")), "10.0.0.3");
	assert_true(json_is_true(json_object_get(p, "reached")));
	assert_true(json_is_false(json_object_get(p, "expected")));
	assert_true(json_is_false(json_object_get(p, "match")));
	json_decref(o);
	free(cells);
	topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sources_and_addrs),
	    cmocka_unit_test(test_mark),
	    cmocka_unit_test(test_script_argv),
	    cmocka_unit_test(test_script_runs),
	    cmocka_unit_test(test_script_busybox),
	    cmocka_unit_test(test_columns),
	    cmocka_unit_test(test_print_matrix),
	    cmocka_unit_test(test_print_summary),
	    cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
