/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap core: a resizable concurrent hash table with RCU lookups.
 *
 * Layout (Go's map made concurrent): an array of 2^order head buckets, each
 * with a spinlock, eight slots and an 8-bit tag per slot, plus a chain of
 * overflow buckets when the eight slots are full.  A slot points to an
 * immutable element (key and value inline); replacing a value publishes a
 * new element, so a reader never sees a torn value.
 *
 * Indexing uses the TOP bits of the 32-bit hash: head bucket i of a table of
 * order o holds exactly the hashes in [i << (32 - o), (i + 1) << (32 - o)).
 * Buckets therefore cover contiguous, dyadic ranges of hash space at every
 * table size, which gives two properties the rest relies on:
 *  - on a resize, the elements of an old bucket go to new buckets that only
 *    that old bucket feeds (grow) or to exactly one new bucket (shrink);
 *  - an iteration cursor is a position in hash space that survives resizes.
 * Tags use the LOW 8 bits of the hash, independent of the bucket index.
 *
 * Inline tables (CMAP_F_INLINE: 8-byte keys and values only) keep Go's
 * other trick: the keys and values sit in the buckets themselves, four
 * 16-byte entries per bucket in place of the eight element pointers, so
 * a lookup that hits one of the first three reads one cache line.  Their
 * tag word holds four tags and, in its high half, a count that every
 * clearing of a slot bumps in the same store: a lookup copies the value,
 * then reads the word again and retries if it changed (a slot emptied and
 * refilled meanwhile), so it never returns a value torn from another key.
 * A replacement writes the new value in place (one word: old or new is
 * seen); migration copies entries, rehashing their keys.
 *
 * Concurrency:
 *  - Lookups run under rcu_read_lock() only: no lock, no atomic, no store.
 *    A lookup searches the current table, then (if a resize is in progress)
 *    the future table(s).  Migration publishes an element in the new table
 *    before it clears it from the old one, so a key present throughout a
 *    resize is always found.
 *  - Writers lock the head bucket the key maps to through
 *    cmap_head_lock(); when that table has a future table the writer first
 *    migrates ("evacuates") its bucket, then works in the future table.
 *    Every write thus holds one head lock, plus during migration the lock of
 *    the old bucket it migrates (nested, always old before new).  When the
 *    migration would need memory the writer lacks, it stops part way and
 *    the writer keeps the old bucket (and on a shrink the new one it feeds,
 *    nested): a replacement or removal is done where the key is, and only
 *    a new key waits for memory to migrate the bucket.
 *  - A resize is started by a worker: it allocates the new bucket array,
 *    publishes it as the old table's future, and migrates buckets; writers
 *    help with a bounded amount of migration each.  When every old bucket is
 *    evacuated the new table becomes current and the old array is freed
 *    after a grace period.
 *  - Removed and replaced elements are freed in batches after a grace
 *    period: unlinking pushes one on a per-CPU list, which a worker (or a
 *    writer whose CPU has too much pending) takes whole, waits one grace
 *    period for, and frees (see cmap_elem_free_rcu()).
 *
 * This file and cmap_core.c know nothing of files, ioctls or BPF.
 */
#ifndef _CMAP_CORE_H
#define _CMAP_CORE_H

#include <asm/byteorder.h>
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include "cmap_compat.h"

#define CMAP_SLOTS		8
#define CMAP_KV_SLOTS		4
#define CMAP_KV_LEN		8
/* The tag bytes of an inline bucket's cmap_tags_load() word. */
#define CMAP_KV_TAG_BITS	0x80808080ULL
#define CMAP_KEY_LEN_MAX	64
#define CMAP_VALUE_LEN_MAX	4096
/* Grow above 6.5 entries per head bucket (Go's load factor). */
#define CMAP_GROW_NUM		13
#define CMAP_GROW_DEN		2
#define CMAP_MIN_ORDER		2
#define CMAP_MAX_ORDER		24

/**
 * struct cmap_elem - one key/value pair, immutable once published
 * @free: links it on a list of elements to free once unlinked (lookups
 *        never read it)
 * @hash: the table's hash of the key
 * @klen: key length, 1..CMAP_KEY_LEN_MAX
 * @vlen: value length, 0..CMAP_VALUE_LEN_MAX
 * @data: @klen key bytes, then @vlen value bytes
 */
struct cmap_elem {
	struct llist_node free;
	u32 hash;
	u16 klen;
	u16 vlen;
	u8 data[] __aligned(8);
};

/**
 * struct cmap_kvpair - an entry of an inline table
 * @key: the key's eight bytes, as a word
 * @val: the value's eight bytes, as a word
 */
struct cmap_kvpair {
	u64 key;
	u64 val;
};

/**
 * struct cmap_bucket - eight slots with their tags, and the overflow link
 * @tags:     tag per slot, 0 = empty; written as one word under the lock
 * @kvtags:   inline tables: the tags of their four slots
 * @kvseq:    inline tables: bumped by every clearing of a slot
 * @tagword:  the tags as one word, for the lookup's SWAR match
 * @slots:    elements
 * @kv:       inline tables: the entries
 * @overflow: next bucket of the chain
 */
struct cmap_bucket {
	union {
		u8 tags[CMAP_SLOTS];
		struct {
			u8 kvtags[CMAP_KV_SLOTS];
			u32 kvseq;
		};
		u64 tagword;
	};
	union {
		struct cmap_elem __rcu *slots[CMAP_SLOTS];
		struct cmap_kvpair kv[CMAP_KV_SLOTS];
	};
	struct cmap_bucket __rcu *overflow;
};

/**
 * struct cmap_head - a head bucket: the lock of its chain and its counters
 * @b:            the first bucket of the chain
 * @lock:         taken by every writer of the chain, via cmap_head_lock()
 * @evacuated:    all elements moved to the future table (under @lock)
 * @acquisitions: lock acquisitions (under @lock)
 * @contended:    acquisitions that found the lock held (under @lock)
 * @wait_ns:      time spent waiting in those (under @lock)
 *
 * Cache-line aligned: a head owns its lines, so a writer of one bucket
 * (its lock, its counters, its tags) never writes a line a lookup in
 * another bucket reads.  @b comes first: the tags and the first seven
 * slots (in an inline table, the first three entries) share the first
 * line, which a lookup that hits there is the only line of the head it
 * reads; the lock and counters that every writer of the bucket writes sit
 * behind them, on the second line.
 */
struct cmap_head {
	struct cmap_bucket b;
	spinlock_t lock;
	u32 evacuated;
	u64 acquisitions;
	u64 contended;
	u64 wait_ns;
} ____cacheline_aligned;

/**
 * struct cmap_tbl - one bucket array
 * @order:        log2 of the number of head buckets
 * @kv:           an inline table's array (struct cmap_bucket's @kv slots)
 * @future:       the table being migrated to, if a resize is in progress
 * @free_work:    frees a copy-on-write array after a grace period
 * @migrate_next: next bucket to claim for migration to @future
 * @nr_overflow:  overflow buckets chained in this array
 * @heads:        2^@order head buckets
 *
 * Every lookup reads @order and @future: they share no line with the
 * counters that writers and migration write.
 */
struct cmap_tbl {
	u32 order;
	bool kv;
	struct cmap_tbl __rcu *future;
	struct rcu_work free_work;
	atomic_t migrate_next ____cacheline_aligned;
	atomic_long_t nr_overflow;
	struct cmap_head heads[];
};

/*
 * Synchronization strategies.  All share the bucket layout, the bucket
 * locks (which keep migration safe) and the API; they differ in what a
 * lookup and a write take in addition.
 */
enum cmap_sync {
	CMAP_SYNC_RCU,		/* lookups: RCU only; writes: a bucket lock */
	CMAP_SYNC_RWLOCK,	/* plus one rwlock: read by lookups, written */
	CMAP_SYNC_SPINLOCK,	/* plus one spinlock around every op */
	CMAP_SYNC_COW,		/* lookups: RCU; writes copy the array under
				 * a mutex and publish the copy */
	CMAP_SYNC_RACECHECK,	/* one writer at a time or -EBUSY + cmap:race */
	CMAP_SYNC_COUNT,
};

/* Operation kinds reported by racecheck (same values as UAPI cmap_op). */
enum cmap_race_op {
	CMAP_RACE_PUT = 1,
	CMAP_RACE_GET = 2,
	CMAP_RACE_DELETE = 3,
	CMAP_RACE_CLEAR = 4,
};

/**
 * struct cmap_params - configuration of a table
 * @id:          id reported in tracepoints and passed to contention hooks
 * @size_hint:   expected entries; sizes the first array and the minimum
 * @max_entries: PUT fails with -ENOSPC beyond this many entries
 * @max_bytes:   PUT fails with -ENOSPC beyond this many element bytes
 * @sync:        enum cmap_sync
 * @hash_key:    0: a random hash key (always, outside tests); else a fixed
 *               key derived from it, so tests can make keys collide
 * @flags:       CMAP_F_*
 */
struct cmap_params {
	u32 id;
	u32 size_hint;
	u32 sync;
	u32 flags;
	u64 hash_key;
	u64 max_entries;
	u64 max_bytes;
};

/* Inline entries: keys and values of 8 bytes, kept in the buckets. */
#define CMAP_F_INLINE		(1U << 0)

/**
 * struct cmap_pcpu - a table's lock counters, per CPU
 * @acquisitions: bucket lock acquisitions
 * @contended:    of which found the lock held
 * @wait_ns:      time waited in those
 *
 * Summed by cmap_stats() in O(CPUs), whatever the table's size; the
 * per-bucket counters of struct cmap_head count the same events for
 * tools that look at single buckets.
 */
struct cmap_pcpu {
	u64 acquisitions;
	u64 contended;
	u64 wait_ns;
};

/**
 * struct cmap - a table
 * @tbl:          the current bucket array
 * @key:          per-table random hash key
 * @sync:         enum cmap_sync, fixed at creation
 * @kv:           an inline table (CMAP_F_INLINE)
 * @id:           see struct cmap_params
 * @min_order:    the table never shrinks below this
 * @max_order:    nor grows beyond this (from max_entries)
 * @max_entries:  limit
 * @max_bytes:    limit
 * @pcpu:         lock counters, per CPU
 * @nelems:       live entries
 * @bytes:        bytes charged for live entries
 * @resize_mutex: serializes starting and finishing resizes
 * @resize_work:  the worker that resizes and migrates
 * @memcg:        the creator's memory cgroup: the worker's allocations are
 *                charged to it, as the writers' are to theirs
 * @shrink_held:  entries when the worker last found that no shrink keeps
 *                merged chains within max_chain (0: none); it looks again
 *                only after deletions (under @resize_mutex)
 * @resizes:      completed resizes (under @resize_mutex)
 * @resize_failed: entries when the worker last failed to allocate an
 *                array (0: it did not); writers ask again only once the
 *                count has moved on (written under @resize_mutex)
 * @rwlock:       CMAP_SYNC_RWLOCK's lock
 * @glock:        CMAP_SYNC_SPINLOCK's lock
 * @cow_mutex:    serializes CMAP_SYNC_COW's writers
 * @sync_contended: acquisitions of @rwlock or @glock that had to wait
 * @sync_wait_ns: time they waited
 * @writer_pid:   racecheck: pid of the writer inside, 0 if none
 * @writer_op:    racecheck: its enum cmap_race_op
 * @writer_comm:  racecheck: its comm (written after @writer_pid)
 * @races:        racecheck: writes refused
 * @read_races:   racecheck: lookups during a write
 * @race_seq:     racecheck: race events so far (cmap:race's seq)
 * @race_pending: racecheck: seq << 32 | pid of the writer asked for its
 *                stack by cmap_race_holder()
 */
struct cmap {
	/* Read-mostly: what every lookup and write reads. */
	struct cmap_tbl __rcu *tbl;
	hsiphash_key_t key;
	u16 sync;
	bool kv;
	u32 id;
	u32 min_order;
	u32 max_order;
	u64 max_entries;
	u64 max_bytes;
	struct cmap_pcpu __percpu *pcpu;
	/*
	 * Written by every insert and delete: a line of their own, read by
	 * every write after it (cmap_after_write()), as is @migrating: set
	 * by the resize worker while an array has a future.
	 */
	atomic_long_t nelems ____cacheline_aligned;
	atomic_long_t bytes;
	bool migrating;
	/* Resizes: written by the worker. */
	struct mutex resize_mutex ____cacheline_aligned;
	struct work_struct resize_work;
	struct mem_cgroup *memcg;
	long shrink_held;
	u64 resizes;
	long resize_failed;
	/* The modes' own locks, written by every operation of their modes. */
	rwlock_t rwlock ____cacheline_aligned;
	spinlock_t glock;
	struct mutex cow_mutex;
	atomic_long_t sync_contended;
	atomic64_t sync_wait_ns;
	/* racecheck: written by every write of that mode. */
	atomic_t writer_pid ____cacheline_aligned;
	u32 writer_op;
	char writer_comm[TASK_COMM_LEN];
	atomic_long_t races;
	atomic_long_t read_races;
	atomic64_t race_seq;
	atomic64_t race_pending;
};

/* How cmap_put() treats an existing or absent key. */
enum cmap_put_mode {
	CMAP_UPSERT,		/* insert or replace */
	CMAP_INSERT,		/* -EEXIST if present */
	CMAP_REPLACE,		/* -ENOENT if absent */
};

/**
 * struct cmap_table_stats - a snapshot of a table's counters
 * @entries:          live entries
 * @buckets:          head buckets of the current array
 * @overflow_buckets: overflow buckets in the current array
 * @resizes:          completed resizes
 * @resizing:         a migration is in progress
 * @bytes:            element bytes plus bucket arrays
 * @max_entries:      the table's limit
 * @max_bytes:        the table's limit
 * @acquisitions:     bucket lock acquisitions
 * @contended:        of which contended
 * @wait_ns:          time waited in contended acquisitions
 * @races:            racecheck: writes refused
 * @read_races:       racecheck: lookups during a write
 */
struct cmap_table_stats {
	u64 entries;
	u64 buckets;
	u64 overflow_buckets;
	u64 resizes;
	bool resizing;
	u64 bytes;
	u64 max_entries;
	u64 max_bytes;
	u64 acquisitions;
	u64 contended;
	u64 wait_ns;
	u64 races;
	u64 read_races;
};

/*
 * The iteration callback gets the elements of one hash value at a time
 * (usually one) and returns 0 when it took all of them, or a negative errno
 * to stop without taking any.  It runs under rcu_read_lock() and must not
 * sleep; the elements are valid until it returns.
 */
typedef int (*cmap_iter_fn)(void *arg, const struct cmap_elem *const *elems,
			    unsigned int n);

#define CMAP_ITER_END		(1ULL << 32)

void cmap_set_limits(unsigned long mem_cap, unsigned int max_chain);
long cmap_mem_usage(void);
void cmap_race_holder(struct cmap *t, u64 seq, enum cmap_race_op op);
void cmap_fault_arm(int nth);
int cmap_fault_armed(void);
bool cmap_fault(gfp_t gfp);

int cmap_core_init(void);
void cmap_core_exit(void);
s64 cmap_live_elements(void);

struct cmap *cmap_create(const struct cmap_params *params);
void cmap_destroy(struct cmap *t);
struct cmap_elem *cmap_elem_alloc(u32 klen, u32 vlen, gfp_t gfp);
size_t cmap_elem_alloc_size(u32 klen, u32 vlen);
void cmap_elem_free(struct cmap_elem *e);
int cmap_put_elem(struct cmap *t, struct cmap_elem *e,
		  enum cmap_put_mode mode);
int cmap_put(struct cmap *t, const void *key, u32 klen, const void *value,
	     u32 vlen, enum cmap_put_mode mode);
int cmap_delete(struct cmap *t, const void *key, u32 klen);
int cmap_clear(struct cmap *t);
int cmap_iter(struct cmap *t, u64 *cursor, cmap_iter_fn fn, void *arg);
void cmap_stats(struct cmap *t, struct cmap_table_stats *st);

struct cmap_elem *cmap_lookup_sync(struct cmap *t, const void *key, u32 klen);
bool cmap_kv_lookup_sync(struct cmap *t, u64 key, u64 *val);
void cmap_bucket_lock_contended(struct cmap *t, struct cmap_head *h, u32 idx,
				const void *key, u32 klen, int subclass);

static inline const void *cmap_elem_key(const struct cmap_elem *e)
{
	return e->data;
}

/* Where the owner of a new element writes its key, then its value. */
static inline u8 *cmap_elem_kdata(struct cmap_elem *e)
{
	return e->data;
}

static inline const void *cmap_elem_value(const struct cmap_elem *e)
{
	return e->data + e->klen;
}

/* Live entries, and the bytes they are charged: cheap, for listings. */
static inline u64 cmap_nr_entries(const struct cmap *t)
{
	return atomic_long_read(&t->nelems);
}

static inline u64 cmap_nr_bytes(const struct cmap *t)
{
	return atomic_long_read(&t->bytes);
}

#if BITS_PER_LONG == 64
#define CMAP_SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);	\
	v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);	\
} while (0)

/*
 * SipHash-1-3 of @n little-endian words @m then the final word @last (the
 * key's tail bytes and its length in the top byte), truncated to 32 bits:
 * what hsiphash() computes on 64-bit machines, inline.
 */
static __always_inline u32 cmap_sip13(const hsiphash_key_t *key,
				      const u64 *m, unsigned int n, u64 last)
{
	u64 v0 = 0x736f6d6570736575ULL ^ key->key[0];
	u64 v1 = 0x646f72616e646f6dULL ^ key->key[1];
	u64 v2 = 0x6c7967656e657261ULL ^ key->key[0];
	u64 v3 = 0x7465646279746573ULL ^ key->key[1];
	unsigned int i;

	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		CMAP_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= last;
	CMAP_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	CMAP_SIPROUND(v0, v1, v2, v3);
	CMAP_SIPROUND(v0, v1, v2, v3);
	CMAP_SIPROUND(v0, v1, v2, v3);
	return (v0 ^ v1) ^ (v2 ^ v3);
}
#endif

/**
 * cmap_hash - the table's keyed hash of a key
 * @t:    the table
 * @key:  key bytes
 * @klen: key length
 *
 * hsiphash() under the table's random key, so that nobody who does not
 * know the key can aim keys at one bucket (and max_chain bounds what
 * guessing achieves).  The common short keys of 4, 8 and 16 bytes are
 * hashed inline, to the same value: no call, no length dispatch.
 *
 * Return: the 32-bit hash.
 */
static __always_inline u32 cmap_hash(const struct cmap *t, const void *key,
				     u32 klen)
{
#if BITS_PER_LONG == 64
	u64 m[2];

	switch (klen) {
	case 4:
		return cmap_sip13(&t->key, m, 0,
				  (4ULL << 56) | get_unaligned_le32(key));
	case 8:
		m[0] = get_unaligned_le64(key);
		return cmap_sip13(&t->key, m, 1, 8ULL << 56);
	case 16:
		m[0] = get_unaligned_le64(key);
		m[1] = get_unaligned_le64((const u8 *)key + 8);
		return cmap_sip13(&t->key, m, 2, 16ULL << 56);
	}
#endif
	return hsiphash(key, klen, &t->key);
}

/* Head bucket of @hash: the top @order bits. */
static inline u32 cmap_idx(const struct cmap_tbl *tbl, u32 hash)
{
	return ((u64)hash << tbl->order) >> 32;
}

static inline u8 cmap_tag(u32 hash)
{
	u8 tag = hash;

	return tag ? tag : 1;
}

/*
 * The tags of @b as one word with slot i's tag in bits 8i..8i+7, on either
 * byte order (so that __ffs64() of a match finds the lowest slot).
 * Acquire: a tag seen set implies its slot is seen set.
 */
static __always_inline u64 cmap_tags_load(const struct cmap_bucket *b)
{
	return le64_to_cpu((__force __le64)smp_load_acquire(&b->tagword));
}

/* The slot of the lowest match in a cmap_tag_match() of cmap_tags_load(). */
static __always_inline unsigned int cmap_match_slot(u64 m)
{
	return __ffs64(m) >> 3;
}

/*
 * Bit 7 of each byte of the result is set where @word's byte equals @tag
 * (and possibly, rarely, one byte above a true match: callers verify).
 */
static inline u64 cmap_tag_match(u64 word, u8 tag)
{
	u64 x = word ^ (0x0101010101010101ULL * tag);

	return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

static inline bool cmap_key_eq(const struct cmap_elem *e, u32 hash,
			       const void *key, u32 klen)
{
	if (e->hash != hash || e->klen != klen)
		return false;
	if (klen == sizeof(u64))
		return get_unaligned((const u64 *)key) ==
		       *(const u64 *)e->data;
	return !memcmp(e->data, key, klen);
}

/* Search one chain under RCU. */
static __always_inline struct cmap_elem *
cmap_chain_lookup(struct cmap_bucket *b, u32 hash, const void *key, u32 klen)
{
	u8 tag = cmap_tag(hash);

	do {
		u64 m = cmap_tag_match(cmap_tags_load(b), tag);

		while (m) {
			unsigned int i = cmap_match_slot(m);
			struct cmap_elem *e = rcu_dereference(b->slots[i]);

			if (e && cmap_key_eq(e, hash, key, klen))
				return e;
			m &= m - 1;
		}
		b = rcu_dereference(b->overflow);
	} while (b);
	return NULL;
}

/**
 * cmap_lookup_rcu - find a key, taking nothing but RCU
 * @t:    the table
 * @key:  key bytes
 * @klen: key length
 *
 * The lookup of CMAP_SYNC_RCU and CMAP_SYNC_COW.  Call under
 * rcu_read_lock(); the element stays valid until rcu_read_unlock().  Takes
 * no lock and writes no shared memory.
 *
 * Return: the element, or NULL.
 */
static inline struct cmap_elem *cmap_lookup_rcu(struct cmap *t,
						const void *key, u32 klen)
{
	u32 hash = cmap_hash(t, key, klen);
	struct cmap_tbl *tbl = rcu_dereference(t->tbl);
	struct cmap_elem *e;

	do {
		e = cmap_chain_lookup(&tbl->heads[cmap_idx(tbl, hash)].b,
				      hash, key, klen);
		if (e)
			return e;
		/*
		 * Pairs with the smp_wmb() in cmap_evacuate(): an element
		 * found missing from the old bucket is already published in
		 * the future one.
		 */
		smp_rmb();
		tbl = rcu_dereference(tbl->future);
	} while (tbl);
	return NULL;
}

/*
 * Search one bucket of an inline table under RCU for @key (of tag @tag)
 * and copy its value.  A hit counts only if the bucket's tag word did not
 * change meanwhile (no slot cleared: see struct cmap_bucket); else it
 * looks again.
 */
static __always_inline bool cmap_kv_bucket_lookup(struct cmap_bucket *b,
						  u8 tag, u64 key, u64 *val)
{
	for (;;) {
		u64 raw = smp_load_acquire(&b->tagword), m, v, w;
		unsigned int i;

		w = le64_to_cpu((__force __le64)raw);
		m = cmap_tag_match(w, tag) & CMAP_KV_TAG_BITS;
		for (; m; m &= m - 1) {
			i = cmap_match_slot(m);
			/*
			 * A match can be false one slot above a true one, and
			 * an empty slot keeps its old entry: take only a slot
			 * whose tag is @tag, or a deleted key is found again.
			 */
			if ((u8)(w >> (8 * i)) == tag &&
			    READ_ONCE(b->kv[i].key) == key)
				break;
		}
		if (!m)
			return false;
		v = READ_ONCE(b->kv[i].val);
		/* The copy, then the second look (pairs with cmap_slot_set()) */
		smp_rmb();
		if (likely(READ_ONCE(b->tagword) == raw)) {
			*val = v;
			return true;
		}
	}
}

/**
 * cmap_kv_lookup_rcu - find a key of an inline table, taking nothing but RCU
 * @t:   the table (CMAP_F_INLINE)
 * @key: the key's eight bytes, as a word
 * @val: out: the value's eight bytes, as a word
 *
 * The lookup of CMAP_SYNC_RCU and CMAP_SYNC_COW for inline tables: like
 * cmap_lookup_rcu(), but a hit copies the value out of the bucket (which
 * a hit in one of the first three slots reads alone).  Call under
 * rcu_read_lock().
 *
 * Return: whether @key is present.
 */
static __always_inline bool cmap_kv_lookup_rcu(struct cmap *t, u64 key,
					       u64 *val)
{
	u32 hash = cmap_hash(t, &key, CMAP_KV_LEN);
	u8 tag = cmap_tag(hash);
	struct cmap_tbl *tbl = rcu_dereference(t->tbl);

	do {
		struct cmap_bucket *b = &tbl->heads[cmap_idx(tbl, hash)].b;

		do {
			if (cmap_kv_bucket_lookup(b, tag, key, val))
				return true;
			b = rcu_dereference(b->overflow);
		} while (b);
		/* As in cmap_lookup_rcu(). */
		smp_rmb();
		tbl = rcu_dereference(tbl->future);
	} while (tbl);
	return false;
}

/**
 * cmap_kv_lookup - find a key of an inline table, as the table's mode says
 * @t:    the table
 * @key:  key bytes
 * @klen: key length
 * @val:  out: CMAP_KV_LEN value bytes
 *
 * Call under rcu_read_lock().
 *
 * Return: whether @key is present (never, in a table that is not inline
 * or for a key of another length than CMAP_KV_LEN).
 */
static inline bool cmap_kv_lookup(struct cmap *t, const void *key, u32 klen,
				  void *val)
{
	u64 k, v;
	bool found;

	if (unlikely(!t->kv || klen != CMAP_KV_LEN))
		return false;
	k = get_unaligned((const u64 *)key);
	if (likely(t->sync == CMAP_SYNC_RCU || t->sync == CMAP_SYNC_COW))
		found = cmap_kv_lookup_rcu(t, k, &v);
	else
		found = cmap_kv_lookup_sync(t, k, &v);
	if (found)
		put_unaligned(v, (u64 *)val);
	return found;
}

/**
 * cmap_lookup - find a key, as the table's mode says
 * @t:    the table
 * @key:  key bytes
 * @klen: key length
 *
 * Call under rcu_read_lock(); the element stays valid until
 * rcu_read_unlock().  In the rcu and cow modes this is cmap_lookup_rcu();
 * the other modes take their lock or check for a writer.
 *
 * Return: the element, or NULL (always, for an inline table: see
 * cmap_kv_lookup()).
 */
static inline struct cmap_elem *cmap_lookup(struct cmap *t, const void *key,
					    u32 klen)
{
	if (unlikely(t->kv))
		return NULL;
	if (likely(t->sync == CMAP_SYNC_RCU || t->sync == CMAP_SYNC_COW))
		return cmap_lookup_rcu(t, key, klen);
	return cmap_lookup_sync(t, key, klen);
}

#endif /* _CMAP_CORE_H */
