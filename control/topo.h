/* Lab topologies: the model a topology file describes (networks, nodes,
 * expectations), its parser and validator (YAML, libyaml), and the automatic
 * VNIs, subnets and addresses.
 *
 * Pure: a file's text in, a model or a list of problems out; no processes,
 * no switch. Runs on the caller's thread. The file format is documented in
 * docs/topology.md. */
#ifndef VLAB_TOPO_H
#define VLAB_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"

/* Limits of one lab, stated in docs/topology.md and enforced by topo_parse()
 * with an error naming the limit. */
#define TOPO_MAX_NETS	 1000 /* networks per lab */
#define TOPO_MAX_NODES	 1000 /* nodes per lab */
#define TOPO_MAX_EXPECT	 64   /* `expect:` entries */
#define TOPO_MAX_ERRORS	 64   /* problems recorded; more are only counted */
#define TOPO_MAX_DEPTH	 64   /* mappings and sequences nested in the file */
#define TOPO_RECORD_MAX	 100000 /* `record:` packets of a network's flight recorder */
#define TOPO_MSG_MAX     256

struct topo_net {
	char name[NODE_NAME_MAX];
	uint32_t vni;        /* given or assigned (stable) */
	char subnet[NODE_ADDR_MAX]; /* IPv4 CIDR, given or assigned ("" if none) */
	bool vni_auto;
	bool subnet_auto;
	uint32_t record;     /* flight recorder: packets the switch keeps, 0: off */
	int line, col;       /* where the network is defined (1-based) */
};

/* An expectation of the `expect:` section: FROM reaches (or not) TO, where
 * both are node names, or NODE:IFNAME. */
struct topo_expect {
	char from[NODE_NAME_MAX * 2];
	char to[NODE_NAME_MAX * 2];
	bool reach;
	int line, col;
};

/* A whole lab. Megabytes at the limits (TOPO_MAX_NODES nodes of a few KiB
 * each): allocate it with topo_new(), never on the stack. */
struct topo {
	char name[NODE_NAME_MAX];
	struct topo_net nets[TOPO_MAX_NETS];
	int n_nets;
	/* nodes in file order; nics[].network names a topo_net; addrs filled
	 * (given or assigned); MAC left zero unless given (vmhost derives it) */
	struct node nodes[TOPO_MAX_NODES];
	int n_nodes;
	int node_line[TOPO_MAX_NODES], node_col[TOPO_MAX_NODES];
	struct topo_expect expect[TOPO_MAX_EXPECT];
	int n_expect;
};

/* One problem found in a file: position and a message naming the thing and
 * the fix, e.g. `node "r1": network "lan9" is not defined (networks: red, blue)`. */
struct topo_error {
	int line, col; /* 1-based; 0 when not tied to a place */
	char msg[TOPO_MSG_MAX];
};

struct topo_errors {
	struct topo_error e[TOPO_MAX_ERRORS];
	int n;           /* problems recorded (at most TOPO_MAX_ERRORS) */
	int dropped;     /* problems beyond that */
};

/* A zeroed topology on the heap, or NULL; topo_free() accepts NULL. */
struct topo *topo_new(void);
void topo_free(struct topo *t);

/* Parses and validates `len` bytes of YAML. Returns 0 with *t complete (VNIs,
 * subnets and addresses assigned), or -EINVAL with every problem in *errs
 * (all of them, not just the first). */
int topo_parse(const char *text, size_t len, struct topo *t, struct topo_errors *errs);

/* Reads and parses a file. -errno when it cannot be read (errs gets a message). */
int topo_load(const char *path, struct topo *t, struct topo_errors *errs);

/* Formats problem i as "FILE:LINE:COL: MESSAGE" into buf. */
void topo_error_format(const struct topo_errors *errs, int i, const char *file, char *buf,
		       size_t len);

/* Neighbour (ARP/NDP) entries the lab's namespace hosts may hold at once,
 * an upper bound: for each network, its host interfaces times the addresses
 * on it. They share the host kernel's tables (nsh_neigh_reserve()). */
long topo_host_neighbours(const struct topo *t);

/* Index of a network / node by name, or -1. */
int topo_net_find(const struct topo *t, const char *name);
int topo_node_find(const struct topo *t, const char *name);

#endif
