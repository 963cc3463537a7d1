/* The connection table of stateful policy rules: a rule marked `stateful`
 * that allows a frame records its connection, and frames of the reply
 * direction of a recorded connection are allowed whatever the rules say
 * (as OVN's allow-related and security groups).
 *
 *   TCP      followed through its states: SYN seen, established, closing
 *            (FIN or RST), each with its timeout;
 *   UDP, ICMP and other IP protocols: pseudo-connections with one timeout
 *            (ICMP echo: by identifier and direction).
 *
 * The table is bounded: a full table evicts the entry that expires first
 * (counted). Keys are the protocol and both addresses and ports, ordered so
 * that both directions find the same entry.
 *
 * Shared by every PMD (a reply may come in on another port and another
 * lcore): readers take no lock. Each entry has a sequence number, odd while
 * a writer fills it; a writer claims an entry with one compare-and-swap of
 * it, a reader takes the key only when the number is even and unchanged
 * around its copy. Refreshing an entry's state and expiry are plain atomic
 * stores. New connections, not packets, pay for the compare-and-swap.
 *
 * Pure, with the clock passed in (nanoseconds): PMD lcores (ct_allow,
 * ct_related), the control thread (ct_expire, init, free), unit tests. */
#ifndef VLAB_POLICY_CONNTRACK_H
#define VLAB_POLICY_CONNTRACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

#define CT_TCP_SYN_NS         (30ull * 1000000000)  /* SYN seen, no answer yet */
#define CT_TCP_ESTABLISHED_NS (300ull * 1000000000) /* idle established connection */
#define CT_TCP_CLOSING_NS     (10ull * 1000000000)  /* after FIN or RST */
#define CT_UDP_NS             (30ull * 1000000000)
#define CT_OTHER_NS           (30ull * 1000000000)  /* ICMP and other protocols */

enum ct_state {
	CT_FREE = 0,
	CT_SYN,
	CT_ESTABLISHED,
	CT_CLOSING,
	CT_OPEN, /* UDP, ICMP, other: seen */
};

struct ct_key {
	uint8_t a[16], b[16]; /* addresses, the lower first */
	uint16_t pa,
	    pb; /* their ports (ICMP echo: the requester's is the identifier, the other 0) */
	uint8_t proto;
	uint8_t family;       /* 4 or 6 */
};

struct ct_entry {
	_Atomic uint32_t seq;  /* odd while being written */
	bool a_opened;	       /* the connection was opened from a (the rule allowed a -> b) */
	_Atomic uint8_t state; /* enum ct_state */
	_Atomic uint64_t expires_ns;
	struct ct_key key;
};

struct ct_table {
	struct ct_entry *e;
	uint32_t size; /* a power of two */
	_Atomic uint32_t used;
	_Atomic uint64_t evicted; /* entries pushed out by a full table */
	_Atomic uint64_t lost;	  /* connections not recorded: their slots were being written */
	uint32_t cursor;	  /* where ct_expire_some goes on */
};

/* 0 or -ENOMEM; `size` is rounded up to a power of two (at least 16). */
int ct_init(struct ct_table *t, uint32_t size);
void ct_free(struct ct_table *t);

/* The key of a frame's connection and whether the frame goes from the key's
 * a to its b; false for frames that have no connection (not IP, a
 * non-first fragment of TCP/UDP, ICMP other than echo). */
bool ct_key_of(const struct pkt_meta *m, const uint8_t *p, struct ct_key *k, bool *from_a);

/* A stateful rule allowed frame m: records or refreshes its connection, as
 * opened by its sender. true when recorded (false: no connection). */
bool ct_allow(struct ct_table *t, const struct pkt_meta *m, const uint8_t *p, uint64_t now);

/* True when frame m belongs to a recorded connection going the reply way or
 * the way it was opened; refreshes and follows the TCP state. */
bool ct_related(struct ct_table *t, const struct pkt_meta *m, const uint8_t *p, uint64_t now);

/* Frees the entries expired at `now`; returns how many. */
uint32_t ct_expire(struct ct_table *t, uint64_t now);
/* The same over the next `n` entries only, from where the last call ended
 * (the control thread's tick spreads a pass over the table). */
uint32_t ct_expire_some(struct ct_table *t, uint64_t now, uint32_t n);

#endif
