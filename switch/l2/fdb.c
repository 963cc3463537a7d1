/* MAC forwarding database; see fdb.h for the threading model.
 *
 * Slot key word: 0 = free, otherwise ((net + 1) << 48) | mac. A key lives in
 * its home bucket or, when that was full, in one of the next FDB_MAX_PROBE - 1
 * buckets. Every bucket counts the keys that live beyond it but passed it on
 * their way (its overflow count): an insert that goes past a full bucket
 * counts itself there first, and removing a key uncounts it from the buckets
 * it passed. A lookup looks past a bucket only while that count is not zero,
 * so a deleted slot is free again at once (no tombstones) and lookups of
 * unknown MACs stay short however much the table churns.
 * Value word: VALID | STATIC? | port << 32 | last-seen second. The control
 * thread deletes: it clears the value first, then frees the key, so a
 * datapath writer that races with it fails its compare-and-swap.
 * Two writers inserting one key at once may claim two slots: after claiming,
 * an inserter looks for another copy and, finding one, gives its own slot
 * back (both may: the entry is then learned again from the next frame), so
 * a key is never stored twice. */
#include "fdb.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FDB_SLOTS_PER_BUCKET 4
#define FDB_MAX_PROBE        16 /* buckets visited before giving up */
#define FDB_HUGE             (2u << 20) /* huge page size the table is aligned to */

#define VAL_VALID  (1ull << 63)
#define VAL_STATIC (1ull << 62)
#define VAL_PORT_SHIFT 32
#define VAL_PORT_MASK  0xffffull

struct fdb_slot {
	_Atomic uint64_t key;
	_Atomic uint64_t val;
};

struct fdb_bucket {
	struct fdb_slot slot[FDB_SLOTS_PER_BUCKET];
} __attribute__((aligned(64)));

struct fdb {
	/* read by every lookup, written at creation only: a line of their own */
	struct fdb_bucket *buckets;
	_Atomic uint8_t *ovf; /* overflow count per bucket (see above; at most 60) */
	uint32_t bucket_mask;
	uint32_t capacity; /* most entries allowed */
	uint32_t default_limit;
	/* written by PMDs on learning and by the control thread */
	_Atomic uint32_t count __attribute__((aligned(64))); /* entries, learned and static */
	_Atomic uint32_t gen;                                /* see fdb_generation() */
	/* control thread only */
	uint32_t age_cursor __attribute__((aligned(64))); /* next slot fdb_age() looks at */
	uint32_t port_static[FDB_MAX_PORTS];               /* static entries per port */
	/* read by PMDs learning; set by the control thread */
	uint32_t limit[FDB_MAX_PORTS] __attribute__((aligned(64)));
	_Atomic uint32_t port_count[FDB_MAX_PORTS]; /* learned entries per port */
};

_Static_assert(sizeof(struct fdb_bucket) == 64, "one bucket per cache line");

static inline uint64_t fdb_key(uint16_t net, uint64_t mac)
{
	return ((uint64_t)(net + 1) << 48) | (mac & 0xffffffffffffull);
}

static inline uint32_t fdb_hash(uint64_t key)
{
	key ^= key >> 31;
	key *= 0x9e3779b97f4a7c15ull;
	key ^= key >> 29;
	return (uint32_t)(key >> 32);
}

static inline uint64_t fdb_val(uint16_t port, uint32_t now, bool is_static)
{
	return VAL_VALID | (is_static ? VAL_STATIC : 0) | ((uint64_t)port << VAL_PORT_SHIFT) |
	       (is_static ? 0 : now);
}

static inline uint16_t val_port(uint64_t v)
{
	return (v >> VAL_PORT_SHIFT) & VAL_PORT_MASK;
}

static inline uint32_t val_seen(uint64_t v)
{
	return (uint32_t)v;
}

struct fdb *fdb_create(uint32_t capacity, uint32_t default_mac_limit)
{
	struct fdb *fdb;
	uint64_t nslots = 64, bytes;

	if (capacity == 0 || capacity > (1u << 28))
		return NULL;
	/* keep the load factor at or below 80% */
	while (nslots * 4 < (uint64_t)capacity * 5)
		nslots <<= 1;

	fdb = calloc(1, sizeof(*fdb));
	if (fdb == NULL)
		return NULL;
	/* in 2 MB pages where the kernel has them (transparent huge pages): a
	 * table of many MB looked up at random costs a TLB miss per lookup in
	 * 4 KB pages */
	bytes = (nslots * sizeof(struct fdb_slot) + FDB_HUGE - 1) & ~(uint64_t)(FDB_HUGE - 1);
	fdb->buckets = aligned_alloc(FDB_HUGE, bytes);
	if (fdb->buckets == NULL)
		goto out_free_fdb;
	madvise(fdb->buckets, bytes, MADV_HUGEPAGE);
	memset(fdb->buckets, 0, bytes);
	fdb->bucket_mask = (uint32_t)(nslots / FDB_SLOTS_PER_BUCKET - 1);
	fdb->ovf = calloc((size_t)fdb->bucket_mask + 1, sizeof(*fdb->ovf));
	if (fdb->ovf == NULL) {
		free(fdb->buckets);
		goto out_free_fdb;
	}
	fdb->capacity = capacity;
	fdb->default_limit = default_mac_limit;
	fdb->gen = 1;
	for (int i = 0; i < FDB_MAX_PORTS; i++)
		fdb->limit[i] = default_mac_limit;
	return fdb;

out_free_fdb:
	free(fdb);
	return NULL;
}

void fdb_destroy(struct fdb *fdb)
{
	if (fdb == NULL)
		return;
	free(fdb->buckets);
	free(fdb->ovf);
	free(fdb);
}

uint32_t fdb_capacity(const struct fdb *fdb)
{
	return fdb->capacity;
}

uint32_t fdb_generation(const struct fdb *fdb)
{
	return atomic_load_explicit(&fdb->gen, memory_order_relaxed);
}

static void fdb_changed(struct fdb *fdb)
{
	atomic_fetch_add_explicit(&fdb->gen, 1, memory_order_relaxed);
}

uint32_t fdb_static_count(const struct fdb *fdb)
{
	uint32_t n = 0;

	for (int p = 0; p < FDB_MAX_PORTS; p++)
		n += fdb->port_static[p];
	return n;
}

uint32_t fdb_count(const struct fdb *fdb)
{
	return atomic_load_explicit(&fdb->count, memory_order_relaxed);
}

void fdb_set_port_limit(struct fdb *fdb, uint16_t port, uint32_t limit)
{
	if (port < FDB_MAX_PORTS)
		fdb->limit[port] = limit;
}

uint32_t fdb_port_count(const struct fdb *fdb, uint16_t port)
{
	if (port >= FDB_MAX_PORTS)
		return 0;
	return atomic_load_explicit(&fdb->port_count[port], memory_order_relaxed);
}

static inline bool ovf_test(const struct fdb *fdb, uint32_t b)
{
	return atomic_load_explicit(&fdb->ovf[b], memory_order_acquire) != 0;
}

/* Counts (or uncounts, delta -1) a key in the `n` buckets from `home` on. */
static void ovf_add(struct fdb *fdb, uint32_t home, uint32_t n, int delta)
{
	for (uint32_t i = 0, b = home; i < n; i++, b = (b + 1) & fdb->bucket_mask) {
		if (delta > 0)
			atomic_fetch_add_explicit(&fdb->ovf[b], 1, memory_order_release);
		else
			atomic_fetch_sub_explicit(&fdb->ovf[b], 1, memory_order_release);
	}
}

static inline uint32_t slot_bucket(const struct fdb *fdb, const struct fdb_slot *sl)
{
	return (uint32_t)(((const struct fdb_slot *)sl - &fdb->buckets[0].slot[0]) /
			  FDB_SLOTS_PER_BUCKET);
}

/* Frees the key word of `sl`, which holds `key`, and uncounts it from the
 * buckets it passed. */
static void fdb_free_key(struct fdb *fdb, struct fdb_slot *sl, uint64_t key)
{
	uint32_t home = fdb_hash(key) & fdb->bucket_mask;

	atomic_store_explicit(&sl->key, 0, memory_order_release);
	ovf_add(fdb, home, (slot_bucket(fdb, sl) - home) & fdb->bucket_mask, -1);
}

/* Finds the slot holding `key`, or NULL: its home bucket, and the next ones
 * while they overflowed. `*probes` (if not NULL) gets the buckets visited. */
static struct fdb_slot *fdb_find_n(const struct fdb *fdb, uint64_t key, uint64_t *val,
				   unsigned int *probes)
{
	uint32_t b = fdb_hash(key) & fdb->bucket_mask;

	for (int p = 0; p < FDB_MAX_PROBE; p++) {
		uint32_t bi = (b + p) & fdb->bucket_mask;
		struct fdb_bucket *bk = &fdb->buckets[bi];

		if (probes != NULL)
			*probes = (unsigned int)p + 1;
		for (int s = 0; s < FDB_SLOTS_PER_BUCKET; s++) {
			struct fdb_slot *sl = &bk->slot[s];
			uint64_t k = atomic_load_explicit(&sl->key, memory_order_acquire);

			if (k == key) {
				uint64_t v = atomic_load_explicit(&sl->val, memory_order_acquire);

				/* the slot may have been recycled between the two loads */
				if (atomic_load_explicit(&sl->key, memory_order_relaxed) != key)
					continue;
				*val = v;
				return sl;
			}
		}
		if (!ovf_test(fdb, bi))
			return NULL;
	}
	return NULL;
}

static inline struct fdb_slot *fdb_find(const struct fdb *fdb, uint64_t key, uint64_t *val)
{
	return fdb_find_n(fdb, key, val, NULL);
}

unsigned int fdb_probe_len(const struct fdb *fdb, uint16_t net, uint64_t mac)
{
	unsigned int n = 0;
	uint64_t v;

	fdb_find_n(fdb, fdb_key(net, mac), &v, &n);
	return n;
}

const void *fdb_bucket(const struct fdb *fdb, uint16_t net, uint64_t mac)
{
	return &fdb->buckets[fdb_hash(fdb_key(net, mac)) & fdb->bucket_mask];
}

int fdb_lookup(const struct fdb *fdb, uint16_t net, uint64_t mac)
{
	uint64_t v;

	if (fdb_find(fdb, fdb_key(net, mac), &v) == NULL || !(v & VAL_VALID))
		return -1;
	return val_port(v);
}

/* True when `key` is in a slot other than `mine` within its probe range
 * (all of it: a concurrent insert may not have set an overflow bit yet). */
static bool fdb_other_copy(const struct fdb *fdb, uint64_t key, const struct fdb_slot *mine)
{
	uint32_t b = fdb_hash(key) & fdb->bucket_mask;

	for (int p = 0; p < FDB_MAX_PROBE; p++) {
		const struct fdb_bucket *bk = &fdb->buckets[(b + p) & fdb->bucket_mask];

		for (int s = 0; s < FDB_SLOTS_PER_BUCKET; s++)
			if (&bk->slot[s] != mine &&
			    atomic_load_explicit(&bk->slot[s].key, memory_order_seq_cst) == key)
				return true;
	}
	return false;
}

/* Claims a free slot for `key` and stores `val`. Returns 0, -EEXIST when the
 * key is there already (or another writer inserted it at the same time), or
 * -ENOSPC. */
static int fdb_insert(struct fdb *fdb, uint64_t key, uint64_t val)
{
	uint32_t b = fdb_hash(key) & fdb->bucket_mask, passed = 0;

	for (int p = 0; p < FDB_MAX_PROBE; p++) {
		uint32_t bi = (b + p) & fdb->bucket_mask;
		struct fdb_bucket *bk = &fdb->buckets[bi];

		for (int s = 0; s < FDB_SLOTS_PER_BUCKET; s++) {
			struct fdb_slot *sl = &bk->slot[s];
			uint64_t k = atomic_load_explicit(&sl->key, memory_order_relaxed), zero = 0;

			if (k == key)
				goto out_exists;
			if (k != 0 ||
			    !atomic_compare_exchange_strong_explicit(&sl->key, &k, key,
								     memory_order_seq_cst,
								     memory_order_relaxed)) {
				if (k == key)
					goto out_exists;
				continue;
			}
			/* the control thread may have made it static in between */
			if (!atomic_compare_exchange_strong_explicit(
				    &sl->val, &zero, val, memory_order_release, memory_order_relaxed)) {
				atomic_fetch_add_explicit(&fdb->count, 1, memory_order_relaxed);
				return -EEXIST;
			}
			/* published: counted from now on (a learned entry also
			 * for its port), until whoever frees it uncounts it */
			atomic_fetch_add_explicit(&fdb->count, 1, memory_order_relaxed);
			if (!(val & VAL_STATIC))
				atomic_fetch_add_explicit(&fdb->port_count[val_port(val)], 1,
							  memory_order_relaxed);
			if (fdb_other_copy(fdb, key, sl)) {
				/* another writer got there too: give ours back, unless
				 * the control thread took or removed it meanwhile */
				uint64_t mine = val;

				if (atomic_compare_exchange_strong_explicit(&sl->val, &mine, 0,
									    memory_order_acq_rel,
									    memory_order_relaxed)) {
					fdb_free_key(fdb, sl, key);
					atomic_fetch_sub_explicit(&fdb->count, 1,
								  memory_order_relaxed);
					if (!(val & VAL_STATIC))
						atomic_fetch_sub_explicit(
							&fdb->port_count[val_port(val)], 1,
							memory_order_relaxed);
				}
				return -EEXIST;
			}
			return 0;
		}
		/* full: lookups of keys homed here must look further, so count
		 * this key here before it lands further on */
		atomic_fetch_add_explicit(&fdb->ovf[bi], 1, memory_order_release);
		passed++;
	}
	ovf_add(fdb, b, passed, -1);
	return -ENOSPC;

out_exists:
	ovf_add(fdb, b, passed, -1); /* it never landed beyond them */
	return -EEXIST;
}

static bool fdb_port_room(struct fdb *fdb, uint16_t port)
{
	return atomic_load_explicit(&fdb->port_count[port], memory_order_relaxed) <
	       fdb->limit[port];
}

enum fdb_learn_result fdb_learn(struct fdb *fdb, uint16_t net, uint64_t mac, uint16_t port,
				uint32_t now)
{
	uint64_t key = fdb_key(net, mac);
	struct fdb_slot *sl;
	uint64_t v, nv;
	int rc;

	sl = fdb_find(fdb, key, &v);
	if (sl != NULL) {
		if (!(v & VAL_VALID))
			return FDB_LEARN_REFRESHED; /* being inserted or deleted right now */
		if (val_port(v) == port) {
			if (!(v & VAL_STATIC) && val_seen(v) != now)
				atomic_compare_exchange_strong_explicit(
					&sl->val, &v, fdb_val(port, now, false),
					memory_order_release, memory_order_relaxed);
			return FDB_LEARN_REFRESHED;
		}
		if (v & VAL_STATIC)
			return FDB_LEARN_STATIC;
		if (!fdb_port_room(fdb, port))
			return FDB_LEARN_LIMIT;
		nv = fdb_val(port, now, false);
		if (!atomic_compare_exchange_strong_explicit(&sl->val, &v, nv, memory_order_release,
							     memory_order_relaxed))
			return FDB_LEARN_REFRESHED; /* lost a race; the next packet retries */
		atomic_fetch_sub_explicit(&fdb->port_count[val_port(v)], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&fdb->port_count[port], 1, memory_order_relaxed);
		fdb_changed(fdb);
		return FDB_LEARN_MOVED;
	}

	if (!fdb_port_room(fdb, port))
		return FDB_LEARN_LIMIT;
	if (atomic_load_explicit(&fdb->count, memory_order_relaxed) >= fdb->capacity)
		return FDB_LEARN_FULL;
	rc = fdb_insert(fdb, key, fdb_val(port, now, false));
	if (rc == -EEXIST)
		return FDB_LEARN_REFRESHED;
	if (rc < 0)
		return FDB_LEARN_FULL;
	return FDB_LEARN_NEW;
}

/* Control thread: removes the entry of `key` in `sl`, whose value was seen
 * as `v`. With `retry`, whatever value it has now (a PMD may have refreshed
 * it); without, only if it still is `v` (aging decided on that value).
 * False when the entry was not removed: it changed, or a writer gave the
 * slot back or reused it meanwhile. */
static bool fdb_remove_slot(struct fdb *fdb, struct fdb_slot *sl, uint64_t key, uint64_t v,
			    bool retry)
{
	while (!atomic_compare_exchange_strong_explicit(&sl->val, &v, 0, memory_order_acq_rel,
							memory_order_acquire))
		if (!retry || !(v & VAL_VALID))
			return false;
	if (!(v & VAL_VALID))
		return false;
	if (atomic_load_explicit(&sl->key, memory_order_acquire) != key) {
		uint64_t zero = 0; /* another key's entry now: leave it be */

		atomic_compare_exchange_strong_explicit(&sl->val, &zero, v, memory_order_release,
							memory_order_relaxed);
		return false;
	}
	fdb_free_key(fdb, sl, key);
	atomic_fetch_sub_explicit(&fdb->count, 1, memory_order_relaxed);
	fdb_changed(fdb);
	if (!(v & VAL_STATIC))
		atomic_fetch_sub_explicit(&fdb->port_count[val_port(v)], 1, memory_order_relaxed);
	else
		fdb->port_static[val_port(v)]--;
	return true;
}

/* Control thread: removes learned copies of `key` beside the static one
 * whose value is `nv` (a PMD that learned the key at the same moment). */
static void fdb_remove_copies(struct fdb *fdb, uint64_t key, uint64_t nv)
{
	uint32_t b = fdb_hash(key) & fdb->bucket_mask;
	bool kept = false;

	for (int p = 0; p < FDB_MAX_PROBE; p++) {
		struct fdb_bucket *bk = &fdb->buckets[(b + p) & fdb->bucket_mask];

		for (int s = 0; s < FDB_SLOTS_PER_BUCKET; s++) {
			struct fdb_slot *sl = &bk->slot[s];
			uint64_t v;

			if (atomic_load_explicit(&sl->key, memory_order_acquire) != key)
				continue;
			v = atomic_load_explicit(&sl->val, memory_order_acquire);
			if (v == nv && !kept)
				kept = true;
			else if (v & VAL_VALID)
				fdb_remove_slot(fdb, sl, key, v, true);
		}
	}
}

int fdb_add_static(struct fdb *fdb, uint16_t net, uint64_t mac, uint16_t port)
{
	uint64_t key = fdb_key(net, mac);
	uint64_t nv = fdb_val(port, 0, true);
	struct fdb_slot *sl;
	uint64_t v;

	if (port >= FDB_MAX_PORTS || net >= FDB_MAX_NETS)
		return -EINVAL;
	/* a PMD may insert the same key meanwhile: then take over its slot */
	for (int tries = 0; tries < 8; tries++) {
		int rc;

		sl = fdb_find(fdb, key, &v);
		if (sl != NULL) {
			/* only a complete entry is taken over (a slot being filled or
			 * given back has no value yet) */
			if (!(v & VAL_VALID) ||
			    !atomic_compare_exchange_strong_explicit(&sl->val, &v, nv,
								     memory_order_acq_rel,
								     memory_order_relaxed))
				continue;
			if (!(v & VAL_STATIC))
				atomic_fetch_sub_explicit(&fdb->port_count[val_port(v)], 1,
							  memory_order_relaxed);
			else
				fdb->port_static[val_port(v)]--;
		} else {
			if (atomic_load_explicit(&fdb->count, memory_order_relaxed) >= fdb->capacity)
				return -ENOSPC;
			rc = fdb_insert(fdb, key, nv);
			if (rc == -EEXIST)
				continue;
			if (rc < 0)
				return rc;
		}
		fdb->port_static[port]++;
		fdb_remove_copies(fdb, key, nv);
		fdb_changed(fdb);
		return 0;
	}
	return -EAGAIN;
}

int fdb_del_static(struct fdb *fdb, uint16_t net, uint64_t mac)
{
	struct fdb_slot *sl;
	uint64_t v;

	sl = fdb_find(fdb, fdb_key(net, mac), &v);
	if (sl == NULL || !(v & VAL_STATIC))
		return -ENOENT;
	/* a static entry changes only here (control thread) */
	fdb_remove_slot(fdb, sl, fdb_key(net, mac), v, false);
	return 0;
}

static uint32_t fdb_nslots(const struct fdb *fdb)
{
	return (fdb->bucket_mask + 1) * FDB_SLOTS_PER_BUCKET;
}

static inline struct fdb_slot *fdb_slot_at(const struct fdb *fdb, uint32_t i)
{
	return &fdb->buckets[i / FDB_SLOTS_PER_BUCKET].slot[i % FDB_SLOTS_PER_BUCKET];
}

uint32_t fdb_age(struct fdb *fdb, uint32_t now, uint32_t max_age, uint32_t nslots)
{
	uint32_t total = fdb_nslots(fdb), removed = 0;

	if (nslots == 0 || nslots > total)
		nslots = total;
	for (uint32_t n = 0; n < nslots; n++) {
		uint32_t i = fdb->age_cursor;
		struct fdb_slot *sl = fdb_slot_at(fdb, i);
		uint64_t k = atomic_load_explicit(&sl->key, memory_order_acquire);

		fdb->age_cursor = (i + 1) & (total - 1);
		if (k == 0)
			continue;
		uint64_t v = atomic_load_explicit(&sl->val, memory_order_acquire);
		if (!(v & VAL_VALID) || (v & VAL_STATIC))
			continue;
		if ((int32_t)(now - val_seen(v)) > (int32_t)max_age &&
		    fdb_remove_slot(fdb, sl, k, v, false))
			removed++;
	}
	return removed;
}

uint32_t fdb_flush(struct fdb *fdb, int net, int port, bool with_static)
{
	uint32_t total = fdb_nslots(fdb), removed = 0;

	/* a port with no entries needs no scan of the whole table */
	if (net < 0 && port >= 0 && port < FDB_MAX_PORTS &&
	    atomic_load_explicit(&fdb->port_count[port], memory_order_relaxed) == 0 &&
	    (!with_static || fdb->port_static[port] == 0))
		return 0;

	for (uint32_t i = 0; i < total; i++) {
		struct fdb_slot *sl = fdb_slot_at(fdb, i);
		uint64_t k = atomic_load_explicit(&sl->key, memory_order_acquire);

		if (k == 0)
			continue;
		uint64_t v = atomic_load_explicit(&sl->val, memory_order_acquire);
		if (!(v & VAL_VALID))
			continue;
		if ((v & VAL_STATIC) && !with_static)
			continue;
		if (net >= 0 && (int)(k >> 48) - 1 != net)
			continue;
		if (port >= 0 && val_port(v) != port)
			continue;
		/* whatever its timestamp has become since (a PMD refreshed it) */
		removed += fdb_remove_slot(fdb, sl, k, v, true);
	}
	return removed;
}

void fdb_foreach(const struct fdb *fdb, int net,
		 void (*cb)(const struct fdb_entry_view *e, void *arg), void *arg)
{
	uint32_t total = fdb_nslots(fdb);

	for (uint32_t i = 0; i < total; i++) {
		struct fdb_slot *sl = fdb_slot_at(fdb, i);
		uint64_t k = atomic_load_explicit(&sl->key, memory_order_acquire);
		struct fdb_entry_view e;

		if (k == 0)
			continue;
		uint64_t v = atomic_load_explicit(&sl->val, memory_order_acquire);
		if (!(v & VAL_VALID))
			continue;
		e.net = (uint16_t)((k >> 48) - 1);
		if (net >= 0 && e.net != net)
			continue;
		e.mac = k & 0xffffffffffffull;
		e.port = val_port(v);
		e.is_static = (v & VAL_STATIC) != 0;
		e.seen = val_seen(v);
		cb(&e, arg);
	}
}
