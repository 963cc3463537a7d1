/* Lab topologies: the model a topology file describes (networks, nodes,
 * expectations, policies), its parser and validator (YAML, libyaml), and the automatic
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
#include <stdio.h>

#include <jansson.h>

#include "node.h"

/* Limits of one lab, stated in docs/topology.md and enforced by topo_parse()
 * with an error naming the limit. */
#define TOPO_MAX_NETS	 1000 /* networks per lab */
#define TOPO_MAX_NODES	 1000 /* nodes per lab */
#define TOPO_MAX_EXPECT	 64   /* `expect:` entries */
#define TOPO_MAX_ERRORS	 64   /* problems recorded; more are only counted */
#define TOPO_MAX_WARNINGS 64   /* warnings recorded; more are only counted */
#define TOPO_MAX_POLICIES 1024 /* `policies:` (the switch holds as many in all) */
#define TOPO_POLICY_RULES 65536 /* matches of one policy, once src/dst lists expand */
#define TOPO_POLICY_APPLY 4096	/* places one policy applies to */
#define TOPO_MAX_DEPTH	 64   /* mappings and sequences nested in the file */
#define TOPO_RECORD_MAX	 100000 /* `record:` packets of a network's flight recorder */
#define TOPO_MSG_MAX     256
#define TOPO_MAX_SWITCHES     64   /* `switches:` of one lab */
#define TOPO_SWITCH_NAME_MAX  12   /* characters of a switch name */
#define TOPO_UNDERLAY_MTU     1500 /* a switch's underlay MTU when not given */
#define TOPO_UNDERLAY_MTU_MIN 576
#define TOPO_UNDERLAY_MTU_MAX 9216

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

/* Where a policy applies: a network of the lab (every port on it) or the
 * switch port of one node interface, for frames entering the switch from it
 * (in) or leaving the switch towards it (out). */
struct topo_pol_apply {
	bool network;		  /* else a node interface's port */
	bool out;		  /* direction out, else in */
	char net[NODE_NAME_MAX];  /* network: its name in the lab */
	char node[NODE_NAME_MAX]; /* port: the node and interface */
	char ifname[16];
	int line, col;
};

/* A policy of the `policies:` section (docs/policy.md): ordered rules,
 * first match wins, and a default. Owned by its topology (topo_free()). */
struct topo_policy {
	char name[NODE_NAME_MAX]; /* in the lab; LAB.NAME on the switch */
	char def[8];		  /* "allow" (when not given), "drop" or "reject" */
	struct topo_pol_apply *apply;
	int n_apply;
	/* the rules as policy.set takes them: node, interface and network
	 * names in src/dst resolved to prefixes; YAML numbers as numbers */
	json_t *rules;
	int line, col;
};

/* A switch of the `switches:` section: one vlab-switchd with an IPv4
 * underlay that carries the lab's networks to the other switches (VXLAN).
 * A lab without the section has one switch and no underlay. */
struct topo_switch {
	char name[TOPO_SWITCH_NAME_MAX + 1];
	char underlay[NODE_ADDR_MAX]; /* "a.b.c.d/p" */
	uint32_t addr;		      /* host order; 0 when the file's was not valid */
	uint8_t plen;
	uint32_t mtu;	   /* of the underlay */
	uint32_t next_hop; /* host order, 0: the other switches are on its subnet */
	char next_hop_str[NODE_ADDR_MAX];
	char ifname[16]; /* kernel interface of the underlay ("": vlab makes one) */
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
	struct topo_policy *policies; /* heap, [n_policies]; freed by topo_free() */
	int n_policies;
	struct topo_switch switches[TOPO_MAX_SWITCHES];
	int n_switches;
	int node_switch[TOPO_MAX_NODES]; /* index in switches[] (0: the first) */
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
	/* things that are valid but likely wrong (a rule that can never
	 * match): printed, not fatal */
	struct topo_error w[TOPO_MAX_WARNINGS];
	int n_warn;
	int warn_dropped;
};

/* A zeroed topology on the heap, or NULL; topo_free() accepts NULL. */
struct topo *topo_new(void);
void topo_free(struct topo *t);
/* Frees t's policies and empties the list (topo_free() does it too). */
void topo_policies_free(struct topo *t);

/* Parses and validates `len` bytes of YAML. Returns 0 with *t complete (VNIs,
 * subnets and addresses assigned), or -EINVAL with every problem in *errs
 * (all of them, not just the first). */
int topo_parse(const char *text, size_t len, struct topo *t, struct topo_errors *errs);

/* Reads and parses a file. -errno when it cannot be read (errs gets a message). */
int topo_load(const char *path, struct topo *t, struct topo_errors *errs);

/* Parses a file's `policies:` section against lab t (its nodes, networks
 * and addresses), replacing t's policies: a whole topology file (whose
 * name: must be t's; its other sections are not read) or one holding
 * `policies:` alone (and optionally name:). 0, or -EINVAL with every
 * problem in *errs (t's policies are then left as they were). */
int topo_parse_policies(const char *text, size_t len, struct topo *t, struct topo_errors *errs);

/* The top-level name: of a YAML text into buf; -ENOENT when it has none
 * (or is no mapping), -EINVAL when it is not YAML. */
int topo_peek_name(const char *text, size_t len, char *buf, size_t blen);

/* Formats problem i as "FILE:LINE:COL: MESSAGE" into buf. */
void topo_error_format(const struct topo_errors *errs, int i, const char *file, char *buf,
		       size_t len);
/* Formats warning i as "FILE:LINE:COL: warning: MESSAGE" into buf. */
void topo_warning_format(const struct topo_errors *errs, int i, const char *file, char *buf,
			 size_t len);

/* Writes every warning of errs (topo_warning_format()) to f, one a line,
 * and how many more there were. */
void topo_print_warnings(const struct topo_errors *errs, const char *file, FILE *f);

/* Neighbour (ARP/NDP) entries the lab's namespace hosts may hold at once,
 * an upper bound: for each network, its host interfaces times the addresses
 * on it. They share the host kernel's tables (nsh_neigh_reserve()). */
long topo_host_neighbours(const struct topo *t);

/* Index of a network / node / policy by name, or -1. */
int topo_net_find(const struct topo *t, const char *name);
int topo_node_find(const struct topo *t, const char *name);
int topo_policy_find(const struct topo *t, const char *name);
int topo_switch_find(const struct topo *t, const char *name);

/* The switches (bit i: switches[i]) that have a node on network `net`; a
 * network spans switches when more than one bit is set. */
uint64_t topo_net_switches(const struct topo *t, int net);

#endif
