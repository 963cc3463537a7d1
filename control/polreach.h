/* What a lab's policies do to pingall's probes: the frames of one exchange
 * (ARP, then an ICMP echo and its reply, a TCP connection that carries a
 * line each way, or a UDP request and reply) built as bytes, parsed with the
 * switch's own parser (switch/core/pkt.h) and run through the policies on
 * their path as the switch runs them (switch/policy: the classifier, first
 * match wins, count and mirror go on; the connection table of stateful
 * rules, checked first; the default). On each hop a frame meets the
 * sender's port and network `in` policies, then the receiver's port and
 * network `out` ones; replies go the path backwards. rate-limit passes (a
 * probe is a handful of frames); reject and drop stop it.
 *
 * Pure (no switch, no EAL): the models in, a verdict out. The caller's
 * thread; one struct polreach per thread. */
#ifndef VLAB_POLREACH_H
#define VLAB_POLREACH_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "topo.h"

enum polreach_probe {
	POLREACH_ICMP, /* echo request, echo reply */
	POLREACH_TCP,  /* SYN, SYN+ACK, a line each way */
	POLREACH_UDP,  /* a datagram and its answer */
};

/* The frames of an exchange, in the order they are sent. */
enum polreach_frame {
	POLREACH_F_ARP_REQUEST,
	POLREACH_F_ARP_REPLY,
	POLREACH_F_REQUEST, /* echo request, SYN, UDP request */
	POLREACH_F_REPLY,   /* echo reply, SYN+ACK, UDP answer */
	POLREACH_F_DATA,    /* TCP: the client's line */
	POLREACH_F_DATA_REPLY,
};

/* One crossing of the switch: from node in_node's interface in_nic to
 * node out_node's out_nic (on one network). */
struct polreach_hop {
	int in_node, in_nic;
	int out_node, out_nic;
};

/* Why an exchange fails. */
struct polreach_verdict {
	bool pass;
	int policy;    /* index into the policies given, when !pass */
	int rule;      /* its rule (from 0), -1: its default */
	int frame;     /* enum polreach_frame */
	bool out;      /* the policy was met leaving the switch (else entering) */
	int node, nic; /* towards / from that node's interface */
};

struct polreach;

/* Compiles policies p[0..n) of lab t (t->policies, or those the switch
 * holds) for t's ports and networks. Lab name `lab` derives the MACs of
 * interfaces without one, as vmhost does. *out NULL when n is 0. 0,
 * -EINVAL (a policy's rules do not parse) or -ENOMEM. */
int polreach_build(const char *lab, const struct topo *t, const struct topo_policy *p, int n,
		   struct polreach **out);
void polreach_free(struct polreach *pr);

/* Whether an exchange of `probe` (TCP/UDP: to `port`) from src to dst
 * passes the policies over hops[0..n) (replies come back over them in
 * reverse). pr NULL: no policies, it passes. */
bool polreach_exchange(struct polreach *pr, enum polreach_probe probe, uint16_t port,
		       const struct addr_cidr *src, const struct addr_cidr *dst,
		       const struct polreach_hop *hops, int n, struct polreach_verdict *v);

/* "the echo reply", "the SYN", ... of a frame of a probe. */
const char *polreach_frame_name(enum polreach_probe probe, int frame);

#endif /* VLAB_POLREACH_H */
