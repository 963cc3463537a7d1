/* `vlab pingall` without the processes: which addresses each source node
 * pings, the shell script that pings them in parallel inside the node and
 * reading its answer, and the report: a matrix (one row per source, one
 * column per destination address) when the lab is narrow enough, else a
 * summary with the differing pairs; JSON with every ping. labctl.c runs the
 * scripts in the nodes (a bounded pool of workers, one source at a time
 * each) and hands the results here.
 *
 * Pure: data in, text or JSON out; writes only to the FILE it is given. Runs
 * on the caller's thread; pingall_mark() may run on several threads at once
 * for disjoint sources. */
#ifndef VLAB_PINGALL_H
#define VLAB_PINGALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "reach.h"
#include "topo.h"

#define PINGALL_MATRIX_MAX_COLS 16 /* wider: a summary, unless --matrix */
#define PINGALL_BATCH		32 /* pings one node runs at a time */
#define PINGALL_SCRIPT_MAX	1024

/* ---- probes other than pings (pingprobe.c) ---- */

/* What `probe` tries, for messages: "pings", "TCP connections to port 80",
 * "UDP exchanges with port 53" (probe NULL: pings). Returns buf. */
const char *pingall_probe_name(const struct reach_probe *probe, char *buf, size_t len);

/* The script (POSIX sh, busybox too) that tries `probe` to each of its
 * arguments, `wait_s` seconds for each, PINGALL_BATCH at a time, and
 * prints every address that answered on a line of its own: ping; TCP: a
 * line sent with busybox nc and read back; UDP: socat sends each address
 * its own datagram and waits for it back (prints PINGALL_NO_TOOL when the
 * node has no socat). 0 or -ENOSPC. */
#define PINGALL_NO_TOOL "vlab-no-tool"
int pingall_probe_script(const struct reach_probe *probe, int wait_s, char *buf, size_t len);

/* The script that starts a listener of `probe` in a node, in the
 * background, its pid in `pidfile`: TCP, busybox nc echoing every
 * connection back (cat); UDP, socat echoing every datagram. It prints
 * PINGALL_NO_TOOL (exit 0) when the node lacks the tool, and fails when the
 * listener does not stay up (the port is taken). 0 or -ENOSPC. */
int pingall_listen_script(const struct reach_probe *probe, const char *pidfile, char *buf,
			  size_t len);
/* The script that stops it. */
int pingall_unlisten_script(const char *pidfile, char *buf, size_t len);

/* Why the topology and its policies expect what cell c expects, when a
 * policy or an expectation decides it: "policy web-only: rule 3 (drop)
 * stops the echo reply entering the switch from a2:eth0", "expect: entry";
 * "" otherwise. Returns buf. */
const char *pingall_why(const struct topo *t, const struct reach_cell *c,
			const struct reach_probe *probe, char *buf, size_t len);

/* The cells of one source node: cells[first .. first + n), contiguous as
 * reach_matrix() orders them (by source). */
struct pingall_src {
	int node;  /* index into t->nodes */
	int first; /* first cell */
	int n;	   /* cells */
};

/* The outcome of a run, from the cells and what answered. */
struct pingall_counts {
	int tried;     /* cells (pairs of source node and destination address) */
	int matched;   /* answered as the topology implies */
	int differing; /* answered when it should not, or not when it should */
};

/* Splits n cells into runs of one source each, in a new array *out (free()
 * it). Returns the number of runs, or -ENOMEM / -EINVAL. */
int pingall_sources(const struct reach_cell *cells, int n, struct pingall_src **out);

/* The distinct addresses among the cells of source `s` into addrs (room for
 * s->n pointers into cells); with `retry`, only those of cells expected
 * reachable that did not answer (got[i] false). Sorted, then rotated by the
 * source's node index, so that sources pinging at the same time do not all
 * start with the same node. Returns how many. */
int pingall_addrs(const struct reach_cell *cells, const struct pingall_src *s, const bool *got,
		  bool retry, const char **addrs);

/* The shell script (POSIX sh, also busybox) that pings each of its
 * arguments once, `wait_s` seconds for the answer, PINGALL_BATCH at a time,
 * and prints every address that answered on a line of its own. Returns 0 or
 * -ENOSPC. */
int pingall_script(int wait_s, char *buf, size_t len);

/* argv to run `script` on addrs[0..n): {"sh", "-c", script, "sh", addrs...,
 * NULL}, a new array (free() it; the strings are not copied), or NULL. */
const char **pingall_argv(const char *script, const char *const *addrs, int n);

/* How long (ms) the script may take for n addresses. */
int pingall_timeout_ms(int n, int wait_s);

/* Sets got[i] for each cell of source `s` whose address is a line of the
 * script's output `out`. */
void pingall_mark(const char *out, const struct reach_cell *cells, const struct pingall_src *s,
		  bool *got);

void pingall_count(const struct reach_cell *cells, const bool *got, int n,
		   struct pingall_counts *c);

/* The columns of the matrix: distinct destination addresses, in node order
 * (the node first holding each, then the order its cells came in), in a new
 * array *cols (free() it; strings point into cells), and the column of each
 * cell in a new array *col_of. Returns the number of columns, or -ENOMEM. */
int pingall_columns(const struct reach_cell *cells, int n, const char ***cols, int **col_of);

/* Whether the report is a matrix: when it has at most PINGALL_MATRIX_MAX_COLS
 * columns, or when forced (--matrix). */
bool pingall_use_matrix(int ncols, bool force);

/* Writes the human report of lab `lab`: the matrix or the summary (pairs
 * tried, matched, differing, then one row per differing pair: from, to,
 * address, expected, got), and a closing line. Returns 0, -ENOMEM or
 * -EINVAL. */
int pingall_print(FILE *f, const char *lab, const struct topo *t, const struct reach_cell *cells,
		  const bool *got, int n, bool force_matrix);
/* The same for a probe (NULL: pings), with a line for each differing pair a
 * policy decides (pingall_why()). */
int pingall_print_probe(FILE *f, const char *lab, const struct topo *t,
			const struct reach_cell *cells, const bool *got, int n, bool force_matrix,
			const struct reach_probe *probe);

/* {"lab", "pings": [{"from", "to", "addr", "reached", "expected", "match"}...],
 *  "tried", "matched", "differing", "mismatches" (= differing), "ok"}, or
 * NULL on ENOMEM. */
json_t *pingall_json(const char *lab, const struct topo *t, const struct reach_cell *cells,
		     const bool *got, int n);
/* The same for a probe, with "probe" ("icmp", "tcp", "udp") and "port", and
 * for each ping a policy or expectation decides its "why" (and "policy",
 * "rule": from 1, 0 for the default). */
json_t *pingall_json_probe(const char *lab, const struct topo *t, const struct reach_cell *cells,
			   const bool *got, int n, const struct reach_probe *probe);

#endif /* VLAB_PINGALL_H */
