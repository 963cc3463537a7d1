/* MAC forwarding database: (network, MAC) -> port, shared by all PMD lcores.
 *
 * Threads: PMD lcores call fdb_lookup() and fdb_learn() per packet, lock-free and
 * allocation-free; the control thread calls everything else (create, age, flush,
 * static entries, iteration). Pure C11: no EAL, so unit tests run it directly.
 *
 * Design: open addressing over 64-byte buckets of four 16-byte slots. A slot
 * holds an atomic key (network index + MAC) and an atomic value (port, flags,
 * last-seen second). Writers claim a free slot with a compare-and-swap on the
 * key; a deleted slot is free again at once; a lookup looks past a bucket
 * only when an insert once found it full. Readers re-check the key after
 * loading the value, so a slot recycled underneath them is never mistaken for
 * theirs. Time is passed in by the caller (seconds), so aging is testable with
 * an injected clock. */
#ifndef VLAB_FDB_H
#define VLAB_FDB_H

#include <stdbool.h>
#include <stdint.h>

#define FDB_MAX_PORTS 4096 /* output (port) indexes are 0..FDB_MAX_PORTS-1 */
#define FDB_MAX_NETS  4096 /* network indexes are 0..FDB_MAX_NETS-1 */
#define FDB_DEFAULT_AGE 300
#define FDB_DEFAULT_CAPACITY (1u << 20)

struct fdb;

/* Outcome of fdb_learn(). */
enum fdb_learn_result {
	FDB_LEARN_REFRESHED = 0, /* known on this port; timestamp updated */
	FDB_LEARN_NEW,           /* new entry */
	FDB_LEARN_MOVED,         /* entry moved from another port */
	FDB_LEARN_STATIC,        /* static entry on another port: not moved */
	FDB_LEARN_LIMIT,         /* port reached its MAC limit: not learned */
	FDB_LEARN_FULL,          /* table full: not learned */
};

/* One entry as seen by fdb_foreach(). */
struct fdb_entry_view {
	uint16_t net;
	uint64_t mac; /* 48-bit MAC, first octet in the most significant byte */
	uint16_t port;
	bool is_static;
	uint32_t seen; /* second of last activity (0 for static) */
};

/* Creates a table holding at least `capacity` entries. Returns NULL on ENOMEM
 * or when capacity is 0 or above 2^28. */
struct fdb *fdb_create(uint32_t capacity, uint32_t default_mac_limit);
void fdb_destroy(struct fdb *fdb);

uint32_t fdb_capacity(const struct fdb *fdb);
uint32_t fdb_count(const struct fdb *fdb);
/* Static entries (control thread). */
uint32_t fdb_static_count(const struct fdb *fdb);

/* Changes whenever an entry is removed, moved to another port or made
 * static: a lookup result cached under an older generation may be stale.
 * Never 0. */
uint32_t fdb_generation(const struct fdb *fdb);

/* Per-port learned-MAC limit (0 = no learning on that port). */
void fdb_set_port_limit(struct fdb *fdb, uint16_t port, uint32_t limit);
uint32_t fdb_port_count(const struct fdb *fdb, uint16_t port);

/* Datapath: the port of `mac` in `net`, or -1 when unknown. */
int fdb_lookup(const struct fdb *fdb, uint16_t net, uint64_t mac);

/* Datapath: the address of the bucket where `mac` of `net` lives, for the
 * caller to prefetch so that a lookup or learn a little later finds it in
 * cache. (A function that prefetched itself would have no visible effect,
 * and the compiler would be free to drop calls to it.) */
const void *fdb_bucket(const struct fdb *fdb, uint16_t net, uint64_t mac);

/* Buckets a lookup of `mac` in `net` visits (1 when its home bucket never
 * overflowed); for tests and diagnostics. */
unsigned int fdb_probe_len(const struct fdb *fdb, uint16_t net, uint64_t mac);

/* Datapath: records that `mac` was seen on `port` of `net` at second `now`. */
enum fdb_learn_result fdb_learn(struct fdb *fdb, uint16_t net, uint64_t mac, uint16_t port,
				uint32_t now);

/* Control: static entries never age and never move. 0 or -ENOSPC. */
int fdb_add_static(struct fdb *fdb, uint16_t net, uint64_t mac, uint16_t port);
/* Control: removes a static entry. 0 or -ENOENT (also when the entry is learned). */
int fdb_del_static(struct fdb *fdb, uint16_t net, uint64_t mac);

/* Control: removes learned entries not seen for more than `max_age` seconds.
 * Scans `nslots` slots starting where the previous call stopped, so the
 * caller can spread a full pass over several ticks; 0 scans the whole table.
 * Returns the number of entries removed. */
uint32_t fdb_age(struct fdb *fdb, uint32_t now, uint32_t max_age, uint32_t nslots);

/* Control: removes entries matching the filter; -1 matches any network/port.
 * Static entries are removed only when `with_static`. Returns how many. */
uint32_t fdb_flush(struct fdb *fdb, int net, int port, bool with_static);

/* Control: calls `cb` for every entry (of `net`, or all when net < 0). */
void fdb_foreach(const struct fdb *fdb, int net,
		 void (*cb)(const struct fdb_entry_view *e, void *arg), void *arg);

/* MAC helpers (48-bit integers, first octet most significant). */
static inline bool fdb_mac_is_multicast(uint64_t mac)
{
	return (mac >> 40) & 1;
}

#endif
