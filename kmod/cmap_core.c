// SPDX-License-Identifier: GPL-2.0
/*
 * cmap core: a resizable concurrent hash table with RCU lookups and
 * per-bucket locks.  The design is described in cmap_core.h; the fast
 * lookup path lives there too.  This file holds the write paths, the
 * migration between bucket arrays and the resize worker.
 */
#include <linux/cache.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/llist.h>
#include <linux/lockdep.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/percpu_counter.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "cmap_core.h"

#define CREATE_TRACE_POINTS
#include "cmap_trace.h"

/*
 * Live elements and tables of all tables, checked for leaks at exit.  The
 * elements are counted by every write (a new element, a freed one): plain
 * per-CPU counts, summed only by cmap_live_elements() and at exit; one
 * CPU's count may be negative, the sum is exact.
 */
static long __percpu *cmap_live_elems;
static atomic_long_t cmap_live_tables = ATOMIC_LONG_INIT(0);
/*
 * Memory all tables hold (elements, bucket arrays, overflow buckets) and the
 * module-wide cap on it; and the longest overflow chain a new key may
 * extend (hash flooding stops there).  The usage is a per-CPU counter that
 * folds into its shared total every CMAP_MEM_BATCH bytes, so writers on
 * different CPUs (and tables) do not bounce one cache line; the cap check
 * sums it exactly only within a batch per CPU of the cap.
 */
#define CMAP_MEM_BATCH	(64 << 10)
static struct percpu_counter cmap_mem_used;
static unsigned long cmap_mem_cap __read_mostly = ULONG_MAX;
static unsigned int cmap_max_chain __read_mostly = 64;

/**
 * cmap_set_limits - set the module-wide limits
 * @mem_cap:   bytes all tables together may hold (0: no cap)
 * @max_chain: overflow buckets a head bucket may chain for new keys
 *             (0: the default, 64)
 */
void cmap_set_limits(unsigned long mem_cap, unsigned int max_chain)
{
	WRITE_ONCE(cmap_mem_cap, mem_cap ?: ULONG_MAX);
	WRITE_ONCE(cmap_max_chain, max_chain ?: 64);
}

/**
 * cmap_mem_usage - bytes held by all tables
 *
 * Return: the bytes charged against the module-wide cap.
 */
long cmap_mem_usage(void)
{
	return percpu_counter_sum(&cmap_mem_used);
}

/* Charge (or refund, negative) memory against the module-wide cap. */
static bool cmap_mem_charge(long bytes)
{
	unsigned long cap = READ_ONCE(cmap_mem_cap);

	percpu_counter_add_batch(&cmap_mem_used, bytes, CMAP_MEM_BATCH);
	if (bytes > 0 && cap < LONG_MAX &&
	    __percpu_counter_compare(&cmap_mem_used, cap, CMAP_MEM_BATCH) > 0) {
		percpu_counter_add_batch(&cmap_mem_used, -bytes,
					 CMAP_MEM_BATCH);
		return false;
	}
	return true;
}

/* Charge memory the module must take even past the cap. */
static void cmap_mem_force(long bytes)
{
	percpu_counter_add_batch(&cmap_mem_used, bytes, CMAP_MEM_BATCH);
}

/* Resize workers and deferred frees of bucket arrays. */
static struct workqueue_struct *cmap_core_wq;

/*
 * Fault injection: the countdown to the allocation that must fail.  Read by
 * every allocation, written only while armed: kept apart from the counters.
 */
static atomic_t cmap_fail_nth __read_mostly = ATOMIC_INIT(0);

/**
 * cmap_fault_arm - make the Nth allocation from now fail
 * @nth: 1 for the next one; 0 disarms
 *
 * Counts every allocation of the core and of its callers that ask
 * cmap_fault(), in all tables; allocations that must not fail
 * (__GFP_NOFAIL) are not counted.
 */
void cmap_fault_arm(int nth)
{
	atomic_set(&cmap_fail_nth, max(nth, 0));
}

/**
 * cmap_fault_armed - allocations left before the injected failure
 *
 * Return: 0 when disarmed (or after the failure happened).
 */
int cmap_fault_armed(void)
{
	return atomic_read(&cmap_fail_nth);
}

/**
 * cmap_fault - decide whether an allocation fails by injection
 * @gfp: the allocation's flags
 *
 * Return: true if the caller must treat this allocation as failed.
 */
bool cmap_fault(gfp_t gfp)
{
	if (likely(!atomic_read(&cmap_fail_nth)) || (gfp & __GFP_NOFAIL))
		return false;
	return atomic_dec_return(&cmap_fail_nth) == 0;
}

/*
 * Accessors that state the protection they rely on: a chain is written only
 * under its head's lock, and read by writers under that lock.
 */
#define cmap_deref_locked(p, h) \
	rcu_dereference_protected(p, lockdep_is_held(&(h)->lock))
#define cmap_deref_owned(p)	rcu_dereference_protected(p, 1)
/* A chain protected by @owner's lock, or private to the caller if NULL. */
#define cmap_deref_chain(p, owner) \
	rcu_dereference_protected(p, !(owner) || lockdep_is_held(&(owner)->lock))

/* Overflow buckets allocated outside the locks, used under them. */
struct cmap_spares {
	struct cmap_bucket *list;
	unsigned int want;
};

static int cmap_spares_fill(struct cmap_spares *sp, gfp_t gfp)
{
	while (sp->want) {
		struct cmap_bucket *b;

		/* The worker's migration must finish: it may pass the cap. */
		if (gfp & __GFP_NOFAIL)
			cmap_mem_force(sizeof(*b));
		else if (!cmap_mem_charge(sizeof(*b)))
			return -ENOSPC;
		b = cmap_fault(gfp) ? NULL : kzalloc(sizeof(*b), gfp);
		if (!b) {
			cmap_mem_charge(-(long)sizeof(*b));
			return -ENOMEM;
		}
		RCU_INIT_POINTER(b->overflow, sp->list);
		sp->list = b;
		sp->want--;
	}
	return 0;
}

static struct cmap_bucket *cmap_spare_take(struct cmap_spares *sp)
{
	struct cmap_bucket *b = sp->list;

	if (b) {
		sp->list = cmap_deref_owned(b->overflow);
		RCU_INIT_POINTER(b->overflow, NULL);
	}
	return b;
}

static void cmap_spares_free(struct cmap_spares *sp)
{
	struct cmap_bucket *b;

	while ((b = cmap_spare_take(sp))) {
		kfree(b);
		cmap_mem_charge(-(long)sizeof(*b));
	}
}

/**
 * cmap_bucket_lock_contended - take a bucket lock that was found held
 * @t:        the table
 * @h:        the head bucket whose lock is wanted
 * @idx:      its index in its bucket array
 * @key:      the key of the operation, or NULL (migration, iteration)
 * @klen:     its length
 * @subclass: lockdep subclass (nesting during migration)
 *
 * Every contended acquisition of a bucket lock goes through this function,
 * which is never inlined so that BPF can attach to it (fentry/kprobe) and
 * see who waits for which bucket and key.  It waits, then records the wait
 * in the bucket's counters (under the lock) and in cmap:contention.
 */
noinline void cmap_bucket_lock_contended(struct cmap *t, struct cmap_head *h,
					 u32 idx, const void *key, u32 klen,
					 int subclass)
	__acquires(&h->lock)
{
	u64 start = ktime_get_ns();
	u64 wait;

	spin_lock_nested(&h->lock, subclass);
	wait = ktime_get_ns() - start;
	h->contended++;
	h->wait_ns += wait;
	this_cpu_inc(t->pcpu->contended);
	this_cpu_add(t->pcpu->wait_ns, wait);
	trace_contention(t->id, idx, wait);
}

/* The one way every bucket lock is taken. */
static __always_inline void cmap_head_lock(struct cmap *t, struct cmap_head *h,
					   u32 idx, const void *key, u32 klen,
					   int subclass)
	__acquires(&h->lock)
{
	if (unlikely(!spin_trylock(&h->lock)))
		cmap_bucket_lock_contended(t, h, idx, key, klen, subclass);
	h->acquisitions++;
	this_cpu_inc(t->pcpu->acquisitions);
}

static __always_inline void cmap_head_unlock(struct cmap_head *h)
	__releases(&h->lock)
{
	spin_unlock(&h->lock);
}

/*
 * An entry on its way into a chain: an element, or in an inline table a
 * key and value (@e NULL); with its hash.
 */
struct cmap_ent {
	struct cmap_elem *e;
	struct cmap_kvpair kv;
	u32 hash;
};

/* What an inline entry is charged against max_bytes: its key and value. */
#define CMAP_KV_CHARGE		sizeof(struct cmap_kvpair)

/* The slots of a bucket of an inline (@kv) table or of another. */
static __always_inline unsigned int cmap_nslots(bool kv)
{
	return kv ? CMAP_KV_SLOTS : CMAP_SLOTS;
}

/* A bucket's tag word, as cmap_slot_set() and cmap_slot_clear() edit it. */
union cmap_tagword {
	u64 word;
	u8 tags[CMAP_SLOTS];
	struct {
		u8 kvtags[CMAP_KV_SLOTS];
		u32 kvseq;
	};
};

/*
 * Publish @x in empty slot @i of a bucket of an inline (@kv) table or of
 * another: the slot first, then (release) its tag.
 */
static void cmap_slot_set(struct cmap_bucket *b, bool kv, unsigned int i,
			  const struct cmap_ent *x)
{
	union cmap_tagword t = { .word = b->tagword };

	if (kv) {
		/*
		 * The slot's last clearing before its new contents: a lookup
		 * that copies them sees that clearing when it looks at the
		 * tag word again (cmap_kv_bucket_lookup()).
		 */
		smp_wmb();
		WRITE_ONCE(b->kv[i].key, x->kv.key);
		WRITE_ONCE(b->kv[i].val, x->kv.val);
	} else {
		rcu_assign_pointer(b->slots[i], x->e);
	}
	t.tags[i] = cmap_tag(x->hash);
	smp_store_release(&b->tagword, t.word);
}

/*
 * Empty slot @i: its tag first, then the slot.  Release: during migration
 * the entry's publication in the future array (and the smp_wmb() before
 * this) is ordered before the tag's clearing, which a lookup that misses
 * the tag pairs with (its smp_rmb() before reading the future array).  An
 * inline slot keeps its key and value (a lookup may be copying them); the
 * same store bumps the bucket's count, which tells that lookup to retry.
 */
static void cmap_slot_clear(struct cmap_bucket *b, bool kv, unsigned int i)
{
	union cmap_tagword t = { .word = b->tagword };

	t.tags[i] = 0;
	if (kv)
		t.kvseq++;
	smp_store_release(&b->tagword, t.word);
	if (!kv)
		RCU_INIT_POINTER(b->slots[i], NULL);
}

/*
 * The entry in full slot @i of @b, a chain the caller has locked or owns;
 * an inline entry's hash is worked out again from its key.
 */
static __always_inline void cmap_slot_get(const struct cmap *t,
					  struct cmap_bucket *b,
					  unsigned int i, struct cmap_ent *x)
{
	if (t->kv) {
		x->e = NULL;
		x->kv = b->kv[i];
		x->hash = cmap_hash(t, &x->kv.key, CMAP_KV_LEN);
	} else {
		x->e = rcu_dereference_protected(b->slots[i], 1);
		x->hash = x->e->hash;
	}
}

static size_t cmap_elem_size(u32 klen, u32 vlen)
{
	return struct_size_t(struct cmap_elem, data, klen + vlen);
}

/*
 * Elements of up to CMAP_ELEM_CACHE_MAX bytes come from caches of their
 * size rounded up to 8 bytes, not from kmalloc(): kmalloc's size classes
 * (32, 64, 96, 128, 192, 256) would give an element of 40 bytes (an 8-byte
 * key and a 16-byte value) 64 bytes.  The sizes kmalloc serves exactly
 * have a cache too: kmem_cache_alloc() skips kmalloc's size lookup (the
 * write path allocates an element per put).  data[] is a usercopy region
 * (CONFIG_HARDENED_USERCOPY checks every copy to or from a slab object
 * against its cache's region; kmalloc caches allow the whole object).
 * Larger elements use kmalloc().
 */
#define CMAP_ELEM_ALIGN		8
#define CMAP_ELEM_CACHE_MAX	256
#define CMAP_ELEM_DATA		offsetof(struct cmap_elem, data)
#define CMAP_ELEM_CLASSES	(CMAP_ELEM_CACHE_MAX / CMAP_ELEM_ALIGN)
static struct kmem_cache *cmap_elem_caches[CMAP_ELEM_CLASSES];
/*
 * What an element of each of those sizes really takes (its cache's object
 * size): looked up by every write, which charges the new element and
 * refunds the old, so worked out once at init.  (The classes below the
 * header's size hold no element: no cache, no size.)
 */
static u16 cmap_elem_sizes[CMAP_ELEM_CLASSES] __read_mostly;

/* The cache an element of @size bytes comes from, or NULL for kmalloc(). */
static struct kmem_cache *cmap_elem_cache(size_t size)
{
	if (size > CMAP_ELEM_CACHE_MAX)
		return NULL;
	return cmap_elem_caches[DIV_ROUND_UP(size, CMAP_ELEM_ALIGN) - 1];
}

/**
 * cmap_elem_alloc_size - the bytes an element really takes
 * @klen: key length
 * @vlen: value length
 *
 * What cmap_elem_alloc() allocates for such an element (its cache's
 * object size, or kmalloc's size class), and what it is charged against
 * max_bytes and the module-wide cap.
 *
 * Return: the size in bytes.
 */
size_t cmap_elem_alloc_size(u32 klen, u32 vlen)
{
	size_t size = cmap_elem_size(klen, vlen);

	if (size > CMAP_ELEM_CACHE_MAX)
		return kmalloc_size_roundup(size);
	return cmap_elem_sizes[DIV_ROUND_UP(size, CMAP_ELEM_ALIGN) - 1];
}

static void cmap_elem_caches_destroy(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmap_elem_caches); i++) {
		kmem_cache_destroy(cmap_elem_caches[i]);
		cmap_elem_caches[i] = NULL;
	}
}

static int cmap_elem_caches_create(void)
{
	unsigned int i;
	char name[24];

	for (i = 0; i < ARRAY_SIZE(cmap_elem_caches); i++) {
		size_t size = (i + 1) * CMAP_ELEM_ALIGN;

		if (size < sizeof(struct cmap_elem) + 1)
			continue;
		snprintf(name, sizeof(name), "cmap_elem_%zu", size);
		/* the ioctls copy keys and values straight to and from data[] */
		cmap_elem_caches[i] =
			kmem_cache_create_usercopy(name, size, CMAP_ELEM_ALIGN,
						   0, CMAP_ELEM_DATA,
						   size - CMAP_ELEM_DATA, NULL);
		if (!cmap_elem_caches[i]) {
			cmap_elem_caches_destroy();
			return -ENOMEM;
		}
		cmap_elem_sizes[i] = kmem_cache_size(cmap_elem_caches[i]);
	}
	return 0;
}

/* What an element is charged against max_bytes: its real allocation. */
static size_t cmap_elem_charge(const struct cmap_elem *e)
{
	return cmap_elem_alloc_size(e->klen, e->vlen);
}

/**
 * cmap_elem_alloc - allocate an element for cmap_put_elem()
 * @klen: key length, 1..CMAP_KEY_LEN_MAX
 * @vlen: value length, 0..CMAP_VALUE_LEN_MAX
 * @gfp:  allocation flags
 *
 * The caller fills cmap_elem_kdata() with the key, then the value.
 *
 * Return: the element, NULL on -ENOMEM or ERR_PTR(-EINVAL) on bad lengths.
 */
struct cmap_elem *cmap_elem_alloc(u32 klen, u32 vlen, gfp_t gfp)
{
	struct kmem_cache *c;
	struct cmap_elem *e;
	size_t size;

	if (!klen || klen > CMAP_KEY_LEN_MAX || vlen > CMAP_VALUE_LEN_MAX)
		return ERR_PTR(-EINVAL);
	if (cmap_fault(gfp))
		return NULL;
	size = cmap_elem_size(klen, vlen);
	c = cmap_elem_cache(size);
	e = c ? kmem_cache_alloc(c, gfp) : kmalloc(size, gfp);
	if (!e)
		return NULL;
	e->klen = klen;
	e->vlen = vlen;
	this_cpu_inc(*cmap_live_elems);
	return e;
}

/**
 * cmap_elem_free - free an element that was never published
 * @e: the element
 */
void cmap_elem_free(struct cmap_elem *e)
{
	struct kmem_cache *c = cmap_elem_cache(cmap_elem_size(e->klen, e->vlen));

	this_cpu_dec(*cmap_live_elems);
	if (c)
		kmem_cache_free(c, e);
	else
		kfree(e);
}

/*
 * Elements readers may still see are freed in batches, with no callback
 * and no allocation per element: cmap_elem_free_rcu() pushes one on its
 * CPU's list (through e->free) and kicks cmap_free_work when the list was
 * empty.  The worker takes every CPU's list whole, waits one grace period
 * and frees what it took; elements unlinked meanwhile wait for its next
 * round.  @bytes counts what a CPU's list and the worker's batch from it
 * hold; a writer that finds more than CMAP_FREE_MAX there frees its CPU's
 * list itself after a grace period (cmap_free_throttle()), so the backlog
 * stays bounded however fast elements are replaced.  The elements were
 * uncharged from their table when unlinked; cmap_live_elements() counts
 * them until they are freed.
 */
struct cmap_free_list {
	struct llist_head list;
	struct llist_node *batch;
	atomic_long_t bytes;
};

#define CMAP_FREE_MAX	(4L << 20)
static struct cmap_free_list __percpu *cmap_free_lists;
static struct work_struct cmap_free_work;

/* Free the elements of @node, pushed on @fl, after their grace period. */
static void cmap_free_batch(struct cmap_free_list *fl, struct llist_node *node)
{
	struct llist_node *pos, *next;
	long bytes = 0;
	unsigned int n = 0;

	llist_for_each_safe(pos, next, node) {
		struct cmap_elem *e = llist_entry(pos, struct cmap_elem, free);

		bytes += cmap_elem_charge(e);
		cmap_elem_free(e);
		if (!(++n & 255))
			cond_resched();
	}
	atomic_long_sub(bytes, &fl->bytes);
}

/*
 * Take every CPU's list, wait one grace period, free.  Only cmap_free_work
 * and, once it cannot run any more, cmap_core_exit() call this: they alone
 * use the lists' @batch.
 */
static void cmap_free_lists_drain(void)
{
	struct cmap_free_list *fl;
	bool any = false;
	int cpu;

	for_each_possible_cpu(cpu) {
		fl = per_cpu_ptr(cmap_free_lists, cpu);
		fl->batch = llist_del_all(&fl->list);
		any |= fl->batch != NULL;
	}
	if (!any)
		return;
	synchronize_rcu();
	for_each_possible_cpu(cpu) {
		fl = per_cpu_ptr(cmap_free_lists, cpu);
		cmap_free_batch(fl, fl->batch);
		fl->batch = NULL;
	}
}

static void cmap_free_work_fn(struct work_struct *work)
{
	cmap_free_lists_drain();
}

/*
 * Free an element readers may still see, after a grace period.  Any
 * context; allocates nothing, so a removal never fails for memory.
 */
static __always_inline void cmap_elem_free_rcu(struct cmap_elem *e)
{
	/* Any CPU's list will do: being preempted here is harmless. */
	struct cmap_free_list *fl = raw_cpu_ptr(cmap_free_lists);

	atomic_long_add(cmap_elem_charge(e), &fl->bytes);
	if (llist_add(&e->free, &fl->list))
		queue_work(cmap_core_wq, &cmap_free_work);
}

/*
 * Called by writers where they may sleep, after cmap_elem_free_rcu(): with
 * more than CMAP_FREE_MAX bytes pending on this CPU (the worker cannot keep
 * up), free this CPU's list here, after a grace period.
 */
static void cmap_free_throttle(void)
{
	struct cmap_free_list *fl = raw_cpu_ptr(cmap_free_lists);
	struct llist_node *node;

	if (likely(atomic_long_read(&fl->bytes) <= CMAP_FREE_MAX))
		return;
	node = llist_del_all(&fl->list);
	synchronize_rcu();
	cmap_free_batch(fl, node);
}

/*
 * Charge (or with negative counts, refund) entries and bytes against the
 * table's limits and the module-wide cap, under the entry's bucket lock.
 * A charge that would pass a limit is undone and refused.  A refund is
 * never refused: writers on other buckets may have a charge of their own
 * in flight that puts a counter over its limit for a moment.  An inline
 * table's entries count against its max_bytes (16 bytes each) but not
 * against the module-wide cap: they take no memory besides the buckets,
 * which are charged.
 */
static bool cmap_charge(struct cmap *t, long entries, long bytes)
{
	/* A replacement of the same size: nothing to write. */
	if (!entries && !bytes)
		return true;
	if (entries < 0)
		atomic_long_add(entries, &t->nelems);
	else if (entries > 0 && atomic_long_add_return(entries, &t->nelems) >
		 (long)t->max_entries)
		goto undo_entries;
	if (bytes <= 0) {
		if (bytes) {
			atomic_long_add(bytes, &t->bytes);
			if (!t->kv)
				cmap_mem_charge(bytes);
		}
		return true;
	}
	if (atomic_long_add_return(bytes, &t->bytes) > (long)t->max_bytes)
		goto undo_bytes;
	/* (an inline entry lives in a bucket: that memory is charged) */
	if (!t->kv && !cmap_mem_charge(bytes))
		goto undo_bytes;
	return true;

undo_bytes:
	atomic_long_sub(bytes, &t->bytes);
undo_entries:
	if (entries)
		atomic_long_sub(entries, &t->nelems);
	return false;
}

/*
 * Undo a cmap_charge() that succeeded, whatever its sign: unlike a new
 * charge, taking back a refund is never refused (other writers may have
 * used what it freed meanwhile; the counters must match the contents).
 */
static void cmap_charge_undo(struct cmap *t, long entries, long bytes)
{
	atomic_long_sub(entries, &t->nelems);
	atomic_long_sub(bytes, &t->bytes);
	if (!t->kv)
		cmap_mem_force(-bytes);
}

/* What an entry is charged against max_bytes. */
static size_t cmap_ent_charge(const struct cmap_ent *x)
{
	return x->e ? cmap_elem_charge(x->e) : CMAP_KV_CHARGE;
}

/*
 * Uncharge an entry that left @t, and free its element (if it has one) at
 * once if nobody can see it any more (@now), else after a grace period.
 */
static void cmap_ent_drop(struct cmap *t, const struct cmap_ent *x, bool now)
{
	cmap_charge(t, -1, -cmap_ent_charge(x));
	if (!x->e)
		return;
	if (now)
		cmap_elem_free(x->e);
	else
		cmap_elem_free_rcu(x->e);
}

/*
 * cmap_ent_drop() of full slot @i of @b, in an array nobody writes any
 * more: only the element matters, so an inline key is not rehashed.
 */
static void cmap_slot_drop(struct cmap *t, struct cmap_bucket *b,
			   unsigned int i, bool now)
{
	struct cmap_ent x = {};

	if (!t->kv)
		x.e = cmap_deref_owned(b->slots[i]);
	cmap_ent_drop(t, &x, now);
}

/*
 * A bucket array, for an inline table if @kv: ERR_PTR(-ENOSPC) beyond the
 * module-wide cap, or -ENOMEM.
 */
static struct cmap_tbl *cmap_tbl_alloc(u32 order, bool kv, gfp_t gfp)
{
	struct cmap_tbl *tbl;
	u32 i;

	size_t size = struct_size(tbl, heads, 1UL << order);

	if (!cmap_mem_charge(size))
		return ERR_PTR(-ENOSPC);
	/* Up to 2^24 heads: a failure is an error code, not a splat. */
	tbl = cmap_fault(gfp) ? NULL : kvzalloc(size, gfp | __GFP_NOWARN);
	if (!tbl) {
		cmap_mem_charge(-(long)size);
		return ERR_PTR(-ENOMEM);
	}
	tbl->order = order;
	tbl->kv = kv;
	for (i = 0; i < (1U << order); i++) {
		spin_lock_init(&tbl->heads[i].lock);
		/* 2^24 heads take a while: let others run between them. */
		if ((i & 1023) == 1023)
			cond_resched();
	}
	return tbl;
}

/*
 * Free a bucket array nobody can reach any more, with its overflow buckets
 * and, if @elems, the elements still in it (uncharged from @t).
 */
static void cmap_tbl_free(struct cmap *t, struct cmap_tbl *tbl, bool elems)
{
	unsigned int n = cmap_nslots(tbl->kv);
	u32 i, s;

	for (i = 0; i < (1U << tbl->order); i++) {
		struct cmap_bucket *b = &tbl->heads[i].b, *next;

		for (; b; b = next) {
			next = cmap_deref_owned(b->overflow);
			for (s = 0; elems && s < n; s++)
				if (b->tags[s])
					cmap_slot_drop(t, b, s, true);
			if (b != &tbl->heads[i].b) {
				kfree(b);
				cmap_mem_charge(-(long)sizeof(*b));
			}
		}
		/* Arrays reach 2^24 heads: let others run between them. */
		if (!(i & 1023))
			cond_resched();
	}
	cmap_mem_charge(-(long)struct_size(tbl, heads, 1UL << tbl->order));
	kvfree(tbl);
}

static void cmap_tbl_free_work(struct work_struct *work)
{
	struct cmap_tbl *tbl = container_of(to_rcu_work(work), struct cmap_tbl,
					    free_work);

	cmap_tbl_free(NULL, tbl, false);
}

/* Free a retired array (not its elements) after a grace period. */
static void cmap_tbl_free_rcu(struct cmap_tbl *tbl)
{
	INIT_RCU_WORK(&tbl->free_work, cmap_tbl_free_work);
	queue_rcu_work(cmap_core_wq, &tbl->free_work);
}

/*
 * Append @x to the chain of @h in @tbl: the first free slot, or a spare
 * overflow bucket.  @owner is the locked head that protects the chain: @h
 * itself, or during a grow the old bucket that alone feeds @h; NULL for a
 * private array (copy-on-write) nobody else can reach yet.
 * -EAGAIN (with sp->want set) when no spare is left; -ENOSPC when the chain
 * already has @limit overflow buckets (0: no limit).
 */
static int cmap_chain_add(struct cmap_tbl *tbl, struct cmap_head *h,
			  struct cmap_head *owner, const struct cmap_ent *x,
			  struct cmap_spares *sp, unsigned int limit)
{
	struct cmap_bucket *b = &h->b, *last, *nb;
	unsigned int i, n = 0, slots = cmap_nslots(tbl->kv);

	do {
		for (i = 0; i < slots; i++) {
			if (!b->tags[i]) {
				cmap_slot_set(b, tbl->kv, i, x);
				return 0;
			}
		}
		last = b;
		b = cmap_deref_chain(b->overflow, owner);
	} while (b && ++n);

	if (limit && n >= limit)
		return -ENOSPC;

	nb = cmap_spare_take(sp);
	if (!nb) {
		sp->want = 1;
		return -EAGAIN;
	}
	cmap_slot_set(nb, tbl->kv, 0, x);
	rcu_assign_pointer(last->overflow, nb);
	atomic_long_inc(&tbl->nr_overflow);
	return 0;
}

/*
 * Find @key in the chain of @h, protected by the locked head @owner (@h
 * itself, or the old bucket that alone feeds it during a grow; NULL: the
 * caller keeps the chain's writers out otherwise); report its bucket and
 * slot, and its element (NULL in an inline table).
 */
static bool cmap_chain_find(const struct cmap *t, struct cmap_head *h,
			    struct cmap_head *owner, u32 hash,
			    const void *key, u32 klen, struct cmap_bucket **bp,
			    unsigned int *slot, struct cmap_elem **ep)
{
	unsigned int i, n = cmap_nslots(t->kv);
	u8 tag = cmap_tag(hash);
	struct cmap_bucket *b;

	for (b = &h->b; b; b = cmap_deref_chain(b->overflow, owner)) {
		for (i = 0; i < n; i++) {
			struct cmap_elem *e = NULL;

			if (b->tags[i] != tag)
				continue;
			if (t->kv) {
				if (b->kv[i].key != get_unaligned((const u64 *)key))
					continue;
			} else {
				e = cmap_deref_chain(b->slots[i], owner);
				if (!cmap_key_eq(e, hash, key, klen))
					continue;
			}
			*bp = b;
			*slot = i;
			*ep = e;
			return true;
		}
	}
	return false;
}

/* Move the chain of @oh to @ntbl; @dh is the locked destination or NULL. */
static int cmap_move_chain(struct cmap *t, struct cmap_head *oh,
			   struct cmap_tbl *ntbl, struct cmap_head *dh,
			   struct cmap_spares *sp)
{
	unsigned int i, n = cmap_nslots(t->kv);
	struct cmap_bucket *b;
	struct cmap_ent x;

	for (b = &oh->b; b; b = cmap_deref_locked(b->overflow, oh)) {
		for (i = 0; i < n; i++) {
			struct cmap_head *nh;

			if (!b->tags[i])
				continue;
			cmap_slot_get(t, b, i, &x);
			nh = dh ?: &ntbl->heads[cmap_idx(ntbl, x.hash)];
			if (cmap_chain_add(ntbl, nh, dh ?: oh, &x, sp, 0)) {
				/* Enough for the rest of this chain at once. */
				sp->want = CMAP_SLOTS;
				return -EAGAIN;
			}
			/* Pairs with smp_rmb() in cmap_lookup(). */
			smp_wmb();
			cmap_slot_clear(b, t->kv, i);
		}
	}
	oh->evacuated = 1;
	return 0;
}

/**
 * cmap_evacuate - migrate one head bucket to the future table
 * @t:    the table
 * @otbl: the old bucket array
 * @oh:   the head bucket, locked
 * @oidx: its index
 * @ntbl: @otbl's future
 * @sp:   spare overflow buckets
 *
 * Each element is published in its new bucket before it is cleared from the
 * old one, so lookups (old, then future) never miss it.  On a grow, the new
 * buckets of @oh's elements are fed by @oh alone: every writer reaches them
 * only through @oh, so @oh's lock protects them too.  On a shrink, several
 * old buckets feed one new bucket, whose lock is taken nested.
 *
 * Return: 0 with @oh marked evacuated, or -EAGAIN with sp->want set when
 * spare buckets ran out; the elements moved so far stay moved, which
 * readers cannot tell from before.
 */
static int cmap_evacuate(struct cmap *t, struct cmap_tbl *otbl,
			 struct cmap_head *oh, u32 oidx, struct cmap_tbl *ntbl,
			 struct cmap_spares *sp)
{
	u32 didx;
	int err;

	if (ntbl->order >= otbl->order)
		return cmap_move_chain(t, oh, ntbl, NULL, sp);
	didx = oidx >> (otbl->order - ntbl->order);
	cmap_head_lock(t, &ntbl->heads[didx], didx, NULL, 0,
		       SINGLE_DEPTH_NESTING);
	err = cmap_move_chain(t, oh, ntbl, &ntbl->heads[didx], sp);
	cmap_head_unlock(&ntbl->heads[didx]);
	return err;
}

/*
 * racecheck: report @op meeting the writer inside the table, the way Go's
 * runtime reports "concurrent map writes" (and "concurrent map read and map
 * write" for lookups).  @pid is the writer the caller saw inside; its comm
 * is copied without a lock and can be a moment stale, the pid cannot.
 */
static noinline void cmap_race_report(struct cmap *t, enum cmap_race_op op,
				      int pid)
{
	char comm[TASK_COMM_LEN];
	u64 seq = atomic64_inc_return(&t->race_seq);

	atomic_long_inc(op == CMAP_RACE_GET ? &t->read_races : &t->races);
	data_race(memcpy(comm, t->writer_comm, sizeof(comm)));
	comm[TASK_COMM_LEN - 1] = 0;
	/* Ask the writer for its own stack when it leaves (see below). */
	if (op != CMAP_RACE_GET && pid)
		atomic64_set(&t->race_pending, seq << 32 | (u32)pid);
	trace_race(t->id, seq, pid, comm, data_race(t->writer_op),
		   task_pid_nr(current), current->comm, op);
}

/**
 * cmap_race_holder - the writer that held the mark during a race, leaving
 * @t:   the table
 * @seq: the race event (cmap:race's seq) it answers
 * @op:  its operation
 *
 * Called by the writer itself, so that BPF attached here (or to
 * cmap:race_holder) captures the writer's kernel and user stacks, as Go
 * prints both goroutines' stacks.  Never inlined.  If the writer left before
 * the intruder posted the event, no holder event follows it.
 */
noinline void cmap_race_holder(struct cmap *t, u64 seq, enum cmap_race_op op)
{
	trace_race_holder(t->id, seq, task_pid_nr(current), current->comm, op);
}

/*
 * racecheck: mark the table as being written, like Go's hashWriting flag.
 * A writer that finds the mark does not touch the table.
 */
static __always_inline bool cmap_race_enter(struct cmap *t,
					    enum cmap_race_op op)
{
	int holder;

	if (t->sync != CMAP_SYNC_RACECHECK)
		return true;
	holder = atomic_cmpxchg(&t->writer_pid, 0, task_pid_nr(current));
	if (holder) {
		cmap_race_report(t, op, holder);
		return false;
	}
	data_race(t->writer_op = op);
	data_race(memcpy(t->writer_comm, current->comm, TASK_COMM_LEN));
	return true;
}

static void cmap_race_exit(struct cmap *t)
{
	u64 pending;

	if (t->sync != CMAP_SYNC_RACECHECK)
		return;
	if (unlikely(atomic64_read(&t->race_pending))) {
		pending = atomic64_xchg(&t->race_pending, 0);
		if ((u32)pending == (u32)task_pid_nr(current))
			cmap_race_holder(t, pending >> 32,
					 data_race(t->writer_op));
	}
	atomic_set_release(&t->writer_pid, 0);
}

/*
 * The mode's lock around a write: the rwlock (written) or the spinlock.
 * Contended acquisitions are counted.  Nothing for the other modes.
 */
/* Account one contended acquisition of the mode's lock, begun at @start. */
static void cmap_sync_waited(struct cmap *t, u64 start)
{
	atomic_long_inc(&t->sync_contended);
	atomic64_add(ktime_get_ns() - start, &t->sync_wait_ns);
}

static void cmap_sync_lock(struct cmap *t)
	__acquires(sync)
{
	u64 start;

	if (t->sync == CMAP_SYNC_RWLOCK) {
		if (!write_trylock(&t->rwlock)) {
			start = ktime_get_ns();
			write_lock(&t->rwlock);
			cmap_sync_waited(t, start);
		}
		__release(&t->rwlock);	/* for sparse: counted as "sync" */
	} else if (t->sync == CMAP_SYNC_SPINLOCK) {
		if (!spin_trylock(&t->glock)) {
			start = ktime_get_ns();
			spin_lock(&t->glock);
			cmap_sync_waited(t, start);
		}
		__release(&t->glock);
	}
	__acquire(sync);
}

static void cmap_sync_unlock(struct cmap *t)
	__releases(sync)
{
	__release(sync);
	if (t->sync == CMAP_SYNC_RWLOCK) {
		__acquire(&t->rwlock);
		write_unlock(&t->rwlock);
	} else if (t->sync == CMAP_SYNC_SPINLOCK) {
		__acquire(&t->glock);
		spin_unlock(&t->glock);
	}
}

/*
 * What a lookup takes besides RCU: the rwlock (read) or the spinlock, with
 * contended acquisitions counted; racecheck reports a lookup that finds a
 * writer inside.  Nothing in the other modes.
 */
static __always_inline void cmap_sync_read_lock(struct cmap *t)
	__acquires(sync_read)
{
	int holder;
	u64 start;

	if (t->sync == CMAP_SYNC_RWLOCK) {
		if (!read_trylock(&t->rwlock)) {
			start = ktime_get_ns();
			read_lock(&t->rwlock);
			cmap_sync_waited(t, start);
		}
		__release(&t->rwlock);	/* for sparse: "sync_read" */
	} else if (t->sync == CMAP_SYNC_SPINLOCK) {
		if (!spin_trylock(&t->glock)) {
			start = ktime_get_ns();
			spin_lock(&t->glock);
			cmap_sync_waited(t, start);
		}
		__release(&t->glock);
	} else if (t->sync == CMAP_SYNC_RACECHECK) {
		holder = atomic_read(&t->writer_pid);
		if (unlikely(holder))
			cmap_race_report(t, CMAP_RACE_GET, holder);
	}
	__acquire(sync_read);
}

static __always_inline void cmap_sync_read_unlock(struct cmap *t)
	__releases(sync_read)
{
	__release(sync_read);
	if (t->sync == CMAP_SYNC_RWLOCK) {
		__acquire(&t->rwlock);
		read_unlock(&t->rwlock);
	} else if (t->sync == CMAP_SYNC_SPINLOCK) {
		__acquire(&t->glock);
		spin_unlock(&t->glock);
	}
}

/**
 * cmap_lookup_sync - the lookup of the rwlock, spinlock and racecheck modes
 * @t:    the table
 * @key:  key bytes
 * @klen: key length
 *
 * Like cmap_lookup_rcu(), inside the mode's read lock; racecheck counts a
 * lookup that finds a writer inside (Go's "concurrent map read and map
 * write") and fires cmap:race, then answers correctly all the same.
 * Call under rcu_read_lock().
 *
 * Return: the element, or NULL.
 */
struct cmap_elem *cmap_lookup_sync(struct cmap *t, const void *key, u32 klen)
{
	struct cmap_elem *e;

	cmap_sync_read_lock(t);
	e = cmap_lookup_rcu(t, key, klen);
	cmap_sync_read_unlock(t);
	return e;
}

/**
 * cmap_kv_lookup_sync - cmap_lookup_sync() for inline tables
 * @t:   the table (CMAP_F_INLINE)
 * @key: the key's eight bytes, as a word
 * @val: out: the value's, as a word
 *
 * Call under rcu_read_lock().
 *
 * Return: whether @key is present.
 */
bool cmap_kv_lookup_sync(struct cmap *t, u64 key, u64 *val)
{
	bool found;

	cmap_sync_read_lock(t);
	found = cmap_kv_lookup_rcu(t, key, val);
	cmap_sync_read_unlock(t);
	return found;
}

/**
 * struct cmap_site - the locked buckets that hold every element of a range
 * @tbl:  the array of @h
 * @h:    the head bucket, locked
 * @ntbl: NULL when @h holds the range alone; else @tbl's future, into
 *        which @h's migration stopped part way for want of overflow
 *        buckets: each element of the range is then either still in @h's
 *        chain or already in @ntbl, in a bucket that @h feeds
 * @nh:   with @ntbl on a shrink: the one bucket of @ntbl that @h feeds,
 *        locked nested (on a grow the buckets @h feeds are protected by
 *        @h's lock: every writer reaches them through @h)
 * @end:  the end of the hash range, starting at the hash the site was
 *        locked for, that the site holds every element of
 */
struct cmap_site {
	struct cmap_tbl *tbl, *ntbl;
	struct cmap_head *h, *nh;
	u64 end;
};

/**
 * cmap_lock_site - lock the buckets that hold a hash now, allocating nothing
 * @t:    the table
 * @hash: the hash
 * @key:  the operation's key (for the contention hook), or NULL
 * @klen: its length
 * @sp:   spare overflow buckets for migration, possibly none
 * @s:    out: the site
 *
 * Takes rcu_read_lock() and the mode's lock, then walks from the current
 * array: a bucket with a future table is migrated first (the write's share
 * of a resize) and the walk moves on to the future.  When that migration
 * needs more overflow
 * buckets than @sp holds, the walk stops at the old bucket instead, with
 * s->ntbl set (and sp->want set): finding, replacing and removing an
 * element there needs no memory, and the migration that resumes later
 * simply no longer sees a removed element.  Only adding a key needs the
 * bucket migrated (see cmap_put_locked()).  Never fails.
 */
static void cmap_lock_site(struct cmap *t, u32 hash, const void *key,
			   u32 klen, struct cmap_spares *sp,
			   struct cmap_site *s)
	__acquires(RCU) __acquires(bucket)
{
	struct cmap_tbl *tbl;
	u64 end = CMAP_ITER_END;

	rcu_read_lock();
	cmap_sync_lock(t);
	tbl = rcu_dereference(t->tbl);
	for (;;) {
		u32 idx = cmap_idx(tbl, hash);
		struct cmap_head *h = &tbl->heads[idx];
		struct cmap_tbl *ntbl;

		end = min(end, (u64)(idx + 1) << (32 - tbl->order));
		cmap_head_lock(t, h, idx, key, klen, 0);
		ntbl = rcu_dereference(tbl->future);
		if (!h->evacuated &&
		    (!ntbl || cmap_evacuate(t, tbl, h, idx, ntbl, sp))) {
			s->tbl = tbl;
			s->h = h;
			s->ntbl = ntbl;
			s->nh = NULL;
			s->end = end;
			if (ntbl && ntbl->order < tbl->order) {
				u32 didx = idx >> (tbl->order - ntbl->order);

				s->nh = &ntbl->heads[didx];
				cmap_head_lock(t, s->nh, didx, NULL, 0,
					       SINGLE_DEPTH_NESTING);
				__release(&s->nh->lock);	/* for sparse */
			}
			__release(&h->lock);	/* for sparse: "bucket" is */
			__release(sync);	/* the head locks + sync */
			__acquire(bucket);
			return;
		}
		cmap_head_unlock(h);
		tbl = ntbl;
	}
}

/* Unlock what cmap_lock_site() locked, staying under RCU. */
static void cmap_site_unlock(struct cmap *t, const struct cmap_site *s)
	__releases(bucket)
{
	__release(bucket);
	if (s->nh) {
		__acquire(&s->nh->lock);	/* for sparse, see above */
		cmap_head_unlock(s->nh);
	}
	__acquire(&s->h->lock);
	cmap_head_unlock(s->h);
	__acquire(sync);
	cmap_sync_unlock(t);
}

/* Unlock what cmap_lock_site() locked, and leave RCU. */
static void cmap_site_end(struct cmap *t, const struct cmap_site *s)
	__releases(bucket) __releases(RCU)
{
	cmap_site_unlock(t, s);
	rcu_read_unlock();
}

/* The order of the array that new keys of the site go to. */
static u32 cmap_site_order(const struct cmap_site *s)
{
	return (s->ntbl ?: s->tbl)->order;
}

/*
 * Find @key in a locked site; report its bucket and slot and its element
 * (NULL in an inline table).
 */
static __always_inline bool
cmap_site_find(const struct cmap *t, const struct cmap_site *s, u32 hash,
	       const void *key, u32 klen, struct cmap_bucket **bp,
	       unsigned int *slot, struct cmap_elem **ep)
{
	if (cmap_chain_find(t, s->h, s->h, hash, key, klen, bp, slot, ep))
		return true;
	if (!s->ntbl)
		return false;
	if (s->nh)
		return cmap_chain_find(t, s->nh, s->nh, hash, key, klen, bp,
				       slot, ep);
	return cmap_chain_find(t, &s->ntbl->heads[cmap_idx(s->ntbl, hash)],
			       s->h, hash, key, klen, bp, slot, ep);
}

/* The smallest order whose array holds @n entries within the grow limit. */
static u32 cmap_order_within(u64 n)
{
	u32 order = 0;

	while (order < CMAP_MAX_ORDER &&
	       n * CMAP_GROW_DEN > ((u64)CMAP_GROW_NUM << order))
		order++;
	return order;
}

/* The array order that puts @n entries near half the grow threshold. */
static u32 cmap_order_for(u64 n)
{
	return cmap_order_within(2 * n);
}

/*
 * @n entries, as the thresholds below count them: an inline table's
 * buckets have half the slots, so each of its entries counts twice (a
 * grow above 3.25 entries per head bucket, a shrink below one per four).
 */
static __always_inline u64 cmap_load(const struct cmap *t, u64 n)
{
	if (!t->kv)
		return n;
	return n > U64_MAX / 2 ? U64_MAX : 2 * n;
}

/*
 * The order a table of @order should move to: grow above 6.5 entries per
 * head bucket to the smallest order that holds the count within that,
 * which is one doubling when the worker keeps up with the writers (a grow
 * leaves 3.25 to 6.5 entries per bucket) and several at once when it fell
 * behind them (one migration, not one per doubling); shrink below one per
 * two, to 3.25 per bucket (the gap between the thresholds keeps a table
 * that hovers around one size from resizing back and forth), never below
 * min_order.
 */
static __always_inline u32 cmap_wanted_order(const struct cmap *t, u32 order)
{
	u64 n = cmap_load(t, atomic_long_read(&t->nelems));

	if (n * CMAP_GROW_DEN > ((u64)CMAP_GROW_NUM << order))
		return cmap_order_within(n);
	if (order > t->min_order && n < (1ULL << order) / 2)
		return max(cmap_order_for(n), t->min_order);
	return order;
}

/* Resizes a put waits for when its chain is full before it is refused. */
#define CMAP_FLOOD_WAITS	3

/* The live array @tbl is below the size its entry count asks for. */
static bool cmap_growth_due(const struct cmap *t, const struct cmap_tbl *tbl)
{
	return min(cmap_wanted_order(t, tbl->order), t->max_order) > tbl->order;
}

/*
 * The worker failed to allocate an array at about this entry count: no
 * point in waking it on every write (each would fail the same way, and
 * chains grow meanwhile).  Ask again once the count moved by an eighth.
 */
static bool cmap_resize_backoff(const struct cmap *t)
{
	long failed = READ_ONCE(t->resize_failed), n, d;

	if (likely(!failed))
		return false;
	n = atomic_long_read(&t->nelems);
	d = failed / 8 + 1;
	return n > failed - d && n < failed + d;
}

/*
 * After a write: do a bounded share of an ongoing migration (one bucket
 * besides the writer's own), and ask the worker for a resize if the live
 * array the write went to, of order @live_order, is out of bounds.  Takes
 * the order, not the array: outside RCU the array may be gone.
 */
static void cmap_after_write(struct cmap *t, u32 live_order)
{
	struct cmap_tbl *tbl, *ntbl;

	if (cmap_wanted_order(t, live_order) != live_order &&
	    !cmap_resize_backoff(t))
		queue_work(cmap_core_wq, &t->resize_work);

	/* (a migration just started is the worker's: no RCU section) */
	if (!READ_ONCE(t->migrating))
		return;
	rcu_read_lock();
	tbl = rcu_dereference(t->tbl);
	ntbl = rcu_dereference(tbl->future);
	if (ntbl && atomic_read(&tbl->migrate_next) < (1 << tbl->order)) {
		u32 idx = atomic_inc_return(&tbl->migrate_next) - 1;
		struct cmap_spares none = {};

		if (idx < (1U << tbl->order)) {
			struct cmap_head *h = &tbl->heads[idx];

			cmap_head_lock(t, h, idx, NULL, 0, 0);
			/* Without spares this may stop half way: the worker
			 * finishes what writers leave.
			 */
			if (!h->evacuated)
				cmap_evacuate(t, tbl, h, idx, ntbl, &none);
			cmap_head_unlock(h);
		}
	}
	rcu_read_unlock();
}


/* The key of an entry on its way in, and its length. */
static const void *cmap_ent_key(const struct cmap_ent *x, u32 *klen)
{
	*klen = x->e ? x->e->klen : CMAP_KV_LEN;
	return x->e ? cmap_elem_key(x->e) : &x->kv.key;
}

/* The put of every mode but cow: under the key's bucket lock. */
static int cmap_put_locked(struct cmap *t, const struct cmap_ent *x,
			   enum cmap_put_mode mode)
{
	long charge = cmap_ent_charge(x);
	struct cmap_spares sp = {};
	struct cmap_ent old = {};
	struct cmap_site s;
	unsigned int waits = 0;
	bool grow_wait, found;
	const void *key;
	u32 order = 0, klen;
	int err;

	key = cmap_ent_key(x, &klen);
	for (;;) {
		struct cmap_bucket *b;
		unsigned int slot;

		grow_wait = false;
		cmap_lock_site(t, x->hash, key, klen, &sp, &s);
		err = 0;
		found = cmap_site_find(t, &s, x->hash, key, klen, &b, &slot,
				       &old.e);
		if (found) {
			/* A replacement needs no migration: none waits. */
			if (mode == CMAP_INSERT)
				err = -EEXIST;
			else if (!cmap_charge(t, 0, charge - cmap_ent_charge(&old)))
				err = -ENOSPC;
			else if (t->kv)
				WRITE_ONCE(b->kv[slot].val, x->kv.val);
			else
				rcu_assign_pointer(b->slots[slot], x->e);
		} else if (mode == CMAP_REPLACE) {
			err = -ENOENT;
		} else if (s.ntbl) {
			/* A new key: its bucket must migrate, with spares. */
			err = -EAGAIN;
		} else if (!cmap_charge(t, 1, charge)) {
			err = -ENOSPC;
		} else {
			err = cmap_chain_add(s.tbl, s.h, s.h, x, &sp,
					     READ_ONCE(cmap_max_chain));
			/*
			 * A long chain in an array that is due to grow may
			 * only wait for the resize worker: let it grow the
			 * array and try again.  Keys that still collide
			 * after that are flooding: refused.
			 */
			if (err)
				cmap_charge(t, -1, -charge);
			/* (refunded first: the grow must be due without it) */
			if (err == -ENOSPC && waits < CMAP_FLOOD_WAITS &&
			    cmap_growth_due(t, s.tbl))
				grow_wait = true;
			if (err == -ENOSPC && !grow_wait)
				pr_warn_ratelimited("cmap: table %u: a bucket holds %u overflow buckets of colliding keys (hash flooding?): put refused\n",
						    t->id, READ_ONCE(cmap_max_chain));
		}
		order = cmap_site_order(&s);
		cmap_site_end(t, &s);
		if (grow_wait) {
			waits++;
			queue_work(cmap_core_wq, &t->resize_work);
			flush_work(&t->resize_work);
			continue;
		}
		if (err != -EAGAIN)
			break;
		err = cmap_spares_fill(&sp, GFP_KERNEL_ACCOUNT);
		if (err)
			break;
	}
	cmap_spares_free(&sp);
	if (err) {
		if (x->e)
			cmap_elem_free(x->e);
		return err;
	}
	if (old.e)
		cmap_elem_free_rcu(old.e);
	cmap_after_write(t, order);
	return 0;
}

/* Copy-on-write: add @x to a private array, allocating as needed. */
static int cmap_cow_add(struct cmap_tbl *tbl, const struct cmap_ent *x,
			struct cmap_spares *sp)
{
	struct cmap_head *h = &tbl->heads[cmap_idx(tbl, x->hash)];

	while (cmap_chain_add(tbl, h, NULL, x, sp, 0))
		if (cmap_spares_fill(sp, GFP_KERNEL_ACCOUNT))
			return -ENOMEM;
	return 0;
}

/*
 * Copy-on-write: a private copy of @t's array @old at @order, without the
 * entry in slot @skip_slot of @skip (if @skip) and with @add (if set).
 * The elements are shared: they are immutable.  Returns the copy,
 * ERR_PTR(-ENOSPC) at the module-wide memory cap, or ERR_PTR(-ENOMEM).
 */
static struct cmap_tbl *cmap_cow_copy(struct cmap *t, struct cmap_tbl *old,
				      u32 order,
				      const struct cmap_bucket *skip,
				      unsigned int skip_slot,
				      const struct cmap_ent *add)
{
	unsigned int s, n = cmap_nslots(t->kv);
	struct cmap_spares sp = {};
	struct cmap_tbl *ntbl;
	struct cmap_bucket *b;
	struct cmap_ent x;
	u32 i;

	ntbl = cmap_tbl_alloc(order, t->kv, GFP_KERNEL_ACCOUNT);
	if (IS_ERR(ntbl))
		return ntbl;
	for (i = 0; i < (1U << old->order); i++) {
		for (b = &old->heads[i].b; b; b = cmap_deref_owned(b->overflow)) {
			for (s = 0; s < n; s++) {
				if (!b->tags[s] || (b == skip && s == skip_slot))
					continue;
				cmap_slot_get(t, b, s, &x);
				if (cmap_cow_add(ntbl, &x, &sp))
					goto fail;
			}
		}
		if (!(i & 1023))
			cond_resched();
	}
	if (add && cmap_cow_add(ntbl, add, &sp))
		goto fail;
	cmap_spares_free(&sp);
	return ntbl;
fail:
	cmap_spares_free(&sp);
	cmap_tbl_free(NULL, ntbl, false);
	return ERR_PTR(-ENOMEM);
}

/*
 * Copy-on-write without the memory for a copy: remove @key from the
 * published array @tbl in place, under its bucket's lock (which cmap_iter()
 * takes too); lookups see the release-ordered slot clear, as in the other
 * modes.  Under cow_mutex, which keeps the key there; the caller uncharges
 * and frees the element.
 */
static void cmap_cow_remove(struct cmap *t, struct cmap_tbl *tbl, u32 hash,
			    const void *key, u32 klen)
{
	u32 idx = cmap_idx(tbl, hash);
	struct cmap_head *h = &tbl->heads[idx];
	struct cmap_bucket *b;
	struct cmap_elem *e;
	unsigned int slot;

	cmap_head_lock(t, h, idx, key, klen, 0);
	if (cmap_chain_find(t, h, h, hash, key, klen, &b, &slot, &e))
		cmap_slot_clear(b, t->kv, slot);
	cmap_head_unlock(h);
}

/*
 * Copy-on-write put (@x set, its element consumed) or delete (@x NULL):
 * under the writers' mutex, copy the current array (resized if the entry count asks
 * for it) with the change applied, publish the copy, and free the old
 * array after a grace period.  Readers never wait: they see the old array
 * or the new one.  A delete that cannot get the copy removes the key in
 * place instead, so it never fails for want of memory.
 */
static int cmap_cow_write(struct cmap *t, const struct cmap_ent *x,
			  const void *key, u32 klen, u32 hash,
			  enum cmap_put_mode mode)
{
	long charge = x ? cmap_ent_charge(x) : 0, entries, bytes;
	struct cmap_ent cur = {};
	struct cmap_tbl *old, *ntbl;
	struct cmap_bucket *cb;
	unsigned int cslot;
	bool found;
	u32 order;
	int err = 0;

	mutex_lock(&t->cow_mutex);
	old = rcu_dereference_protected(t->tbl,
					lockdep_is_held(&t->cow_mutex));
	/* (the mutex keeps the array's writers out) */
	found = cmap_chain_find(t, &old->heads[cmap_idx(old, hash)], NULL,
				hash, key, klen, &cb, &cslot, &cur.e);
	entries = !found - !x;
	bytes = charge - (found ? cmap_ent_charge(&cur) : 0);
	if (x && found && mode == CMAP_INSERT)
		err = -EEXIST;
	else if (!found && (!x || mode == CMAP_REPLACE))
		err = -ENOENT;
	else if (!cmap_charge(t, entries, bytes))
		err = -ENOSPC;
	if (err)
		goto unlock;
	order = min(cmap_wanted_order(t, old->order), t->max_order);
	ntbl = cmap_cow_copy(t, old, order, found ? cb : NULL, cslot, x);
	if (IS_ERR(ntbl) && !x) {
		/* A delete can do without a copy (already uncharged). */
		cmap_cow_remove(t, old, hash, key, klen);
		mutex_unlock(&t->cow_mutex);
		if (cur.e)
			cmap_elem_free_rcu(cur.e);
		return 0;
	}
	if (IS_ERR(ntbl)) {
		cmap_charge_undo(t, entries, bytes);
		err = PTR_ERR(ntbl);
		goto unlock;
	}
	rcu_assign_pointer(t->tbl, ntbl);
	if (order != old->order)
		WRITE_ONCE(t->resizes, t->resizes + 1);
unlock:
	mutex_unlock(&t->cow_mutex);
	if (err) {
		if (x && x->e)
			cmap_elem_free(x->e);
		return err;
	}
	cmap_tbl_free_rcu(old);
	if (cur.e)
		cmap_elem_free_rcu(cur.e);
	return 0;
}

/* cmap_put_elem() and cmap_put() of an element or an inline entry. */
static int cmap_put_ent(struct cmap *t, struct cmap_ent *x,
			enum cmap_put_mode mode)
{
	const void *key;
	u32 klen;
	int err;

	might_sleep();

	key = cmap_ent_key(x, &klen);
	x->hash = cmap_hash(t, key, klen);
	if (x->e)
		x->e->hash = x->hash;
	if (t->sync == CMAP_SYNC_COW) {
		err = cmap_cow_write(t, x, key, klen, x->hash, mode);
	} else if (!cmap_race_enter(t, CMAP_RACE_PUT)) {
		if (x->e)
			cmap_elem_free(x->e);
		return -EBUSY;
	} else {
		err = cmap_put_locked(t, x, mode);
		cmap_race_exit(t);
	}
	cmap_free_throttle();
	return err;
}

/**
 * cmap_put_elem - insert or replace an element
 * @t:    the table
 * @e:    from cmap_elem_alloc(), key and value filled in; consumed
 * @mode: enum cmap_put_mode
 *
 * Takes the bucket lock of the key (and migrates its bucket if a resize is
 * in progress), inside the mode's own lock if it has one; copy-on-write
 * tables copy instead.  May sleep: a new key whose overflow chain is full
 * while the table is due to grow waits for the resize worker (so never call
 * it from cmap_core_wq, with the table's resize_mutex held, or in atomic
 * context).  A replaced element is freed after a grace period; on failure
 * @e is freed and the table is unchanged.  Only a new key may need memory
 * (overflow buckets, for its chain or for migrating its bucket first): an
 * existing key is replaced where it is, migrated or not.
 *
 * An inline table copies the key and value and frees @e at once.
 *
 * Return: 0, -EEXIST, -ENOENT (per @mode), -ENOSPC at the table's limits
 * or the module-wide cap or on a full chain, -ENOMEM (a new key only, but
 * in cow mode), -EINVAL for an inline table and lengths other than
 * CMAP_KV_LEN, or in racecheck mode -EBUSY when another writer is inside.
 */
int cmap_put_elem(struct cmap *t, struct cmap_elem *e,
		  enum cmap_put_mode mode)
{
	struct cmap_ent x = { .e = e };

	if (t->kv) {
		/* An inline table keeps the key and value, not the element. */
		x.e = NULL;
		if (e->klen != CMAP_KV_LEN || e->vlen != CMAP_KV_LEN) {
			cmap_elem_free(e);
			return -EINVAL;
		}
		memcpy(&x.kv, e->data, sizeof(x.kv));
		cmap_elem_free(e);
	}
	return cmap_put_ent(t, &x, mode);
}

/**
 * cmap_put - insert or replace a key with a copy of a value
 * @t:     the table
 * @key:   key bytes
 * @klen:  1..CMAP_KEY_LEN_MAX
 * @value: value bytes
 * @vlen:  0..CMAP_VALUE_LEN_MAX
 * @mode:  enum cmap_put_mode
 *
 * Return: as cmap_put_elem(), or -EINVAL for bad lengths.
 */
int cmap_put(struct cmap *t, const void *key, u32 klen, const void *value,
	     u32 vlen, enum cmap_put_mode mode)
{
	struct cmap_elem *e;

	if (t->kv) {
		/* No element: the key and value go into the bucket. */
		struct cmap_ent x = {};

		if (klen != CMAP_KV_LEN || vlen != CMAP_KV_LEN)
			return -EINVAL;
		x.kv.key = get_unaligned((const u64 *)key);
		x.kv.val = get_unaligned((const u64 *)value);
		return cmap_put_ent(t, &x, mode);
	}
	e = cmap_elem_alloc(klen, vlen, GFP_KERNEL_ACCOUNT);

	if (IS_ERR_OR_NULL(e))
		return e ? PTR_ERR(e) : -ENOMEM;
	memcpy(cmap_elem_kdata(e), key, klen);
	memcpy(cmap_elem_kdata(e) + klen, value, vlen);
	return cmap_put_elem(t, e, mode);
}

/*
 * The delete of every mode but cow: under the key's bucket lock, wherever
 * the key is during a migration (see cmap_lock_site()), allocating nothing.
 */
static int cmap_delete_locked(struct cmap *t, const void *key, u32 klen,
			      u32 hash)
{
	struct cmap_spares none = {};
	struct cmap_ent x = {};
	struct cmap_bucket *b;
	struct cmap_site s;
	unsigned int slot;
	bool found;
	u32 order;

	cmap_lock_site(t, hash, key, klen, &none, &s);
	found = cmap_site_find(t, &s, hash, key, klen, &b, &slot, &x.e);
	if (found) {
		cmap_slot_clear(b, t->kv, slot);
		cmap_ent_drop(t, &x, false);
	}
	order = cmap_site_order(&s);
	cmap_site_end(t, &s);
	if (!found)
		return -ENOENT;
	cmap_after_write(t, order);
	return 0;
}

/**
 * cmap_delete - remove a key
 * @t:    the table
 * @key:  key bytes
 * @klen: key length
 *
 * May sleep.  The element is freed after a grace period.  Never fails for
 * want of memory: a key whose bucket a resize has not migrated yet is
 * removed where it is (see cmap_lock_site()), and a cow table that cannot
 * be copied has the key removed in place.
 *
 * Return: 0, -ENOENT, -EINVAL for a bad length (in an inline table, any
 * but CMAP_KV_LEN), or in racecheck mode -EBUSY when another writer is
 * inside.
 */
int cmap_delete(struct cmap *t, const void *key, u32 klen)
{
	u32 hash;
	int err;

	if (!klen || klen > CMAP_KEY_LEN_MAX ||
	    (t->kv && klen != CMAP_KV_LEN))
		return -EINVAL;
	hash = cmap_hash(t, key, klen);
	if (t->sync == CMAP_SYNC_COW) {
		err = cmap_cow_write(t, NULL, key, klen, hash, CMAP_UPSERT);
	} else if (!cmap_race_enter(t, CMAP_RACE_DELETE)) {
		return -EBUSY;
	} else {
		err = cmap_delete_locked(t, key, klen, hash);
		cmap_race_exit(t);
	}
	cmap_free_throttle();
	return err;
}

/* Remove the elements of [@start, @end) from the chain of @h (see @owner). */
static void cmap_clear_range(struct cmap *t, struct cmap_head *h,
			     struct cmap_head *owner, u64 start, u64 end)
{
	unsigned int i, n = cmap_nslots(t->kv);
	struct cmap_bucket *b;
	struct cmap_ent x;

	for (b = &h->b; b; b = cmap_deref_locked(b->overflow, owner)) {
		for (i = 0; i < n; i++) {
			if (!b->tags[i])
				continue;
			cmap_slot_get(t, b, i, &x);
			if (x.hash < start || x.hash >= end)
				continue;
			cmap_slot_clear(b, t->kv, i);
			cmap_ent_drop(t, &x, false);
		}
	}
}

/* Remove the elements of [@start, s->end) from a locked site. */
static void cmap_site_clear(struct cmap *t, const struct cmap_site *s,
			    u64 start)
{
	u32 i, last;

	cmap_clear_range(t, s->h, s->h, start, s->end);
	if (!s->ntbl)
		return;
	if (s->nh) {
		cmap_clear_range(t, s->nh, s->nh, start, s->end);
		return;
	}
	last = cmap_idx(s->ntbl, s->end - 1);
	for (i = cmap_idx(s->ntbl, start); i <= last; i++)
		cmap_clear_range(t, &s->ntbl->heads[i], s->h, start, s->end);
}

/*
 * The clear of every mode but cow: a walk of the live buckets, allocating
 * nothing (buckets whose migration would need memory are cleared where
 * they are), so it runs to the end: a failed CLEAR must not have cleared
 * part of the table.  Only a dying caller stops it part way.
 */
static int cmap_clear_locked(struct cmap *t)
{
	struct cmap_spares none = {};
	u64 cursor = 0;
	u32 order = 0;
	int err = 0;

	while (cursor < CMAP_ITER_END) {
		struct cmap_site s;

		cmap_lock_site(t, cursor, NULL, 0, &none, &s);
		cmap_site_clear(t, &s, cursor);
		order = cmap_site_order(&s);
		cursor = s.end;
		cmap_site_end(t, &s);
		cmap_free_throttle();
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	cmap_after_write(t, order);
	return err;
}

/*
 * Copy-on-write clear: publish an empty array, free the old one later; or,
 * without the memory for an empty array, empty the current one in place,
 * each bucket under its lock (as cmap_cow_remove() does).
 */
static int cmap_cow_clear(struct cmap *t)
{
	unsigned int s, n = cmap_nslots(t->kv);
	struct cmap_tbl *old, *ntbl;
	struct cmap_bucket *b;
	u32 i;

	ntbl = cmap_tbl_alloc(t->min_order, t->kv, GFP_KERNEL_ACCOUNT);
	mutex_lock(&t->cow_mutex);
	old = rcu_dereference_protected(t->tbl,
					lockdep_is_held(&t->cow_mutex));
	if (IS_ERR(ntbl)) {
		for (i = 0; i < (1U << old->order); i++) {
			struct cmap_head *h = &old->heads[i];

			cmap_head_lock(t, h, i, NULL, 0, 0);
			cmap_clear_range(t, h, h, 0, CMAP_ITER_END);
			cmap_head_unlock(h);
			cmap_free_throttle();
			if (!(i & 1023))
				cond_resched();
		}
		mutex_unlock(&t->cow_mutex);
		return 0;
	}
	rcu_assign_pointer(t->tbl, ntbl);
	for (i = 0; i < (1U << old->order); i++) {
		for (b = &old->heads[i].b; b; b = cmap_deref_owned(b->overflow)) {
			for (s = 0; s < n; s++)
				if (b->tags[s])
					cmap_slot_drop(t, b, s, false);
		}
		cmap_free_throttle();
	}
	mutex_unlock(&t->cow_mutex);
	cmap_tbl_free_rcu(old);
	return 0;
}

/**
 * cmap_clear - remove every entry
 * @t: the table
 *
 * Walks hash space one live bucket at a time, under each bucket's lock:
 * entries that concurrent writers add behind the walk stay.  Allocates
 * nothing: buckets a resize has not migrated yet are cleared where they
 * are.  A cow table publishes an empty array instead, or without the
 * memory for one is emptied in place.  May sleep.
 *
 * Signals do not interrupt it (it is bounded by the table's size); a fatal
 * one stops it part way, unseen by the dying caller.
 *
 * Return: 0, -EINTR if a fatal signal stopped it part way, or in racecheck
 * mode -EBUSY when another writer is inside.
 */
int cmap_clear(struct cmap *t)
{
	int err;

	if (t->sync == CMAP_SYNC_COW)
		return cmap_cow_clear(t);
	if (!cmap_race_enter(t, CMAP_RACE_CLEAR))
		return -EBUSY;
	err = cmap_clear_locked(t);
	cmap_race_exit(t);
	return err;
}

static int cmap_cmp_hash(const void *a, const void *b)
{
	const struct cmap_elem *x = *(const struct cmap_elem * const *)a;
	const struct cmap_elem *y = *(const struct cmap_elem * const *)b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* An inline entry handed to cmap_iter()'s callback as an element. */
#define CMAP_KV_ELEM_SIZE	struct_size_t(struct cmap_elem, data, \
					      sizeof(struct cmap_kvpair))

/*
 * Where cmap_iter() gathers a range: @vec, room for @cap elements, and for
 * an inline table @kvbuf, room for @cap copies of entries as elements.
 */
struct cmap_gather {
	struct cmap_elem **vec;
	u8 *kvbuf;
	unsigned int cap;
};

/*
 * Gather the elements of [cursor, end) from the chain of @h (see @owner)
 * into @g after the @n counted so far; count all.
 */
static unsigned int cmap_collect(const struct cmap *t, struct cmap_head *h,
				 struct cmap_head *owner, u64 cursor, u64 end,
				 const struct cmap_gather *g, unsigned int n)
{
	unsigned int i, slots = cmap_nslots(t->kv);
	struct cmap_bucket *b;
	struct cmap_ent x;

	for (b = &h->b; b; b = cmap_deref_locked(b->overflow, owner)) {
		for (i = 0; i < slots; i++) {
			if (!b->tags[i])
				continue;
			cmap_slot_get(t, b, i, &x);
			if (x.hash < cursor || x.hash >= end)
				continue;
			if (n < g->cap && x.e) {
				g->vec[n] = x.e;
			} else if (n < g->cap) {
				struct cmap_elem *e = (struct cmap_elem *)
					(g->kvbuf + n * CMAP_KV_ELEM_SIZE);

				e->hash = x.hash;
				e->klen = CMAP_KV_LEN;
				e->vlen = CMAP_KV_LEN;
				memcpy(e->data, &x.kv, sizeof(x.kv));
				g->vec[n] = e;
			}
			n++;
		}
	}
	return n;
}

/* Gather the elements of [cursor, s->end) from a locked site; count all. */
static unsigned int cmap_site_collect(const struct cmap *t,
				      const struct cmap_site *s, u64 cursor,
				      const struct cmap_gather *g)
{
	unsigned int n;
	u32 i, last;

	n = cmap_collect(t, s->h, s->h, cursor, s->end, g, 0);
	if (!s->ntbl)
		return n;
	if (s->nh)
		return cmap_collect(t, s->nh, s->nh, cursor, s->end, g, n);
	last = cmap_idx(s->ntbl, s->end - 1);
	for (i = cmap_idx(s->ntbl, cursor); i <= last; i++)
		n = cmap_collect(t, &s->ntbl->heads[i], s->h, cursor, s->end,
				 g, n);
	return n;
}

/*
 * Room for @cap elements in @g: its own arrays, freed first unless
 * @stack; false on -ENOMEM (then @g holds @stack and nothing else).
 */
static bool cmap_gather_alloc(const struct cmap *t, struct cmap_gather *g,
			      struct cmap_elem **stack, unsigned int cap)
{
	if (g->vec != stack)
		kvfree(g->vec);
	kvfree(g->kvbuf);
	g->vec = cmap_fault(GFP_KERNEL) ? NULL :
		 kvmalloc_array(cap, sizeof(*g->vec), GFP_KERNEL | __GFP_NOWARN);
	g->kvbuf = !g->vec || !t->kv ? NULL :
		   kvmalloc_array(cap, CMAP_KV_ELEM_SIZE,
				  GFP_KERNEL | __GFP_NOWARN);
	g->cap = cap;
	if (g->vec && (g->kvbuf || !t->kv))
		return true;
	kvfree(g->vec);
	g->vec = stack;
	g->kvbuf = NULL;
	g->cap = 0;
	return false;
}

/*
 * Hand out @vec (sorted by hash) one hash value at a time.  Returns how
 * many @fn took; on a refusal sets *cursor to the refused hash and *errp.
 */
static unsigned int cmap_emit(struct cmap_elem **vec, unsigned int n,
			      cmap_iter_fn fn, void *arg, u64 *cursor,
			      int *errp)
{
	unsigned int i, j, taken = 0;

	sort(vec, n, sizeof(*vec), cmap_cmp_hash, NULL);
	for (i = 0; i < n; i = j) {
		int err;

		for (j = i + 1; j < n && vec[j]->hash == vec[i]->hash; j++)
			;
		err = fn(arg, (const struct cmap_elem *const *)vec + i, j - i);
		if (err) {
			*cursor = vec[i]->hash;
			*errp = err;
			break;
		}
		taken += j - i;
	}
	return taken;
}

/**
 * cmap_iter - visit entries in hash order from a cursor
 * @t:      the table
 * @cursor: in: 0 or where the last call stopped; out: where to go on,
 *          CMAP_ITER_END when done
 * @fn:     called with the elements of one hash value at a time
 * @arg:    for @fn
 *
 * The cursor is a position in hash space.  The elements of each range are
 * collected under the locks of the live buckets that hold them all (see
 * cmap_lock_site()), so every key present from the first call to the last
 * is handed to @fn exactly once, whatever resizes happen in between.  Stops
 * when @fn refuses a group (the cursor then points at that group), at the
 * end, or on a signal (after at least one range: every call moves the
 * cursor unless @fn refuses the first group).  May sleep between buckets.
 *
 * An inline table's entries are handed to @fn as copies, in elements of
 * the call's own.
 *
 * Return: the number of elements @fn took, if any; otherwise 0 (at the
 * end, or stopped by a signal with *@cursor short of CMAP_ITER_END), or
 * @fn's error, -EINVAL for a cursor past the end, or -ENOMEM (only for a
 * range of more than 32 elements, or for an inline table: buckets a
 * resize has not migrated yet are read where they are).
 */
int cmap_iter(struct cmap *t, u64 *cursor, cmap_iter_fn fn, void *arg)
{
	struct cmap_elem *stack[32];
	struct cmap_gather g = { .vec = stack, .cap = ARRAY_SIZE(stack) };
	unsigned int taken = 0, n;
	struct cmap_spares none = {};
	int err = 0;
	u64 end;

	if (*cursor > CMAP_ITER_END)
		return -EINVAL;
	if (t->kv && !cmap_gather_alloc(t, &g, stack, ARRAY_SIZE(stack)))
		return -ENOMEM;
	while (!err && *cursor < CMAP_ITER_END) {
		struct cmap_site s;

		cmap_lock_site(t, *cursor, NULL, 0, &none, &s);
		n = cmap_site_collect(t, &s, *cursor, &g);
		end = s.end;
		cmap_site_unlock(t, &s);
		if (n > g.cap) {
			rcu_read_unlock();
			if (!cmap_gather_alloc(t, &g, stack, n + CMAP_SLOTS))
				err = -ENOMEM;
			continue;
		}
		/* Still under rcu_read_lock(): the elements stay valid. */
		taken += cmap_emit(g.vec, n, fn, arg, cursor, &err);
		rcu_read_unlock();
		if (err)
			break;
		*cursor = end;
		/*
		 * A signal ends the call early, never with -EINTR: the cursor
		 * has moved on, and throwing that away would let a stream of
		 * signals keep a sparse table's dump from ever ending.
		 */
		if (signal_pending(current))
			break;
		cond_resched();
	}
	if (g.vec != stack)
		kvfree(g.vec);
	kvfree(g.kvbuf);
	return taken ? taken : err;
}

/* The worker's migration of one bucket: it may sleep for spares. */
static void cmap_migrate_bucket(struct cmap *t, struct cmap_tbl *old, u32 i,
				struct cmap_tbl *ntbl, struct cmap_spares *sp)
{
	struct cmap_head *h = &old->heads[i];
	int err;

	do {
		cmap_head_lock(t, h, i, NULL, 0, 0);
		err = h->evacuated ? 0 : cmap_evacuate(t, old, h, i, ntbl, sp);
		cmap_head_unlock(h);
	} while (err == -EAGAIN &&
		 !cmap_spares_fill(sp, GFP_KERNEL_ACCOUNT | __GFP_NOFAIL));
	/*
	 * (__GFP_NOFAIL: a bucket moves whole.  Charged to the table's
	 * creator, who owns what it holds; past memory.max if need be.)
	 */
}

/**
 * cmap_rehash - move a table to a bucket array of another order
 * @t:     the table
 * @old:   its current array, without a future
 * @order: the new order
 *
 * Runs in the resize worker under resize_mutex.  Publishes the new array as
 * @old's future (from then on writers migrate the buckets they touch, and
 * one more each), migrates every bucket writers have not, makes the new
 * array current and frees @old after a grace period.  Lookups never wait.
 *
 * Return: 0, or -ENOMEM if the new array could not be allocated.
 */
static int cmap_rehash(struct cmap *t, struct cmap_tbl *old, u32 order)
{
	u32 i, size = 1U << old->order;
	struct cmap_spares sp = {};
	struct cmap_tbl *ntbl;
	u64 start;

	/* Optional work: never the OOM killer (a failure chains instead). */
	ntbl = cmap_tbl_alloc(order, t->kv,
			      GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL);
	if (IS_ERR(ntbl))
		return PTR_ERR(ntbl);
	start = ktime_get_ns();
	trace_resize_start(t->id, size, 1U << order,
			   atomic_long_read(&t->nelems));
	WRITE_ONCE(t->migrating, true);
	rcu_assign_pointer(old->future, ntbl);

	/* Claim buckets alongside the writers... */
	while ((i = atomic_inc_return(&old->migrate_next) - 1) < size) {
		cmap_migrate_bucket(t, old, i, ntbl, &sp);
		cond_resched();
	}
	/* ...then sweep for any a writer left half done. */
	for (i = 0; i < size; i++) {
		cmap_migrate_bucket(t, old, i, ntbl, &sp);
		if (!(i & 255))
			cond_resched();
	}
	cmap_spares_free(&sp);

	rcu_assign_pointer(t->tbl, ntbl);
	WRITE_ONCE(t->migrating, false);
	/*
	 * Once the readers that may still be in @old are gone, nobody
	 * reaches it.  Not waiting for them here lets the next resize (the
	 * writers may already need one) start at once.
	 */
	cmap_tbl_free_rcu(old);
	WRITE_ONCE(t->resizes, t->resizes + 1);
	trace_resize_end(t->id, size, 1U << order, ktime_get_ns() - start);
	return 0;
}

/* The entries a head bucket and max_chain overflow buckets hold. */
static u64 cmap_chain_keys(bool kv)
{
	return ((u64)READ_ONCE(cmap_max_chain) + 1) * cmap_nslots(kv);
}

/*
 * The smallest order from @order up to @tbl's whose merged chains all stay
 * within max_chain: a shrink concatenates the chains of 2^k neighbouring
 * head buckets, each bounded on its own, and colliding keys spread over
 * neighbours must not end up in one chain.  Counts the entries of every
 * head (a snapshot: writers may be busy) and, for each k, the largest sum
 * over an aligned group of 2^k heads.
 */
static u32 cmap_shrink_order(struct cmap_tbl *tbl, u32 order)
{
	unsigned int slots = cmap_nslots(tbl->kv);
	u64 limit = cmap_chain_keys(tbl->kv);
	u32 levels = tbl->order - order, i, k;
	u64 sum[32] = {}, most[32] = {};

	rcu_read_lock();
	for (i = 0; i < (1U << tbl->order); i++) {
		struct cmap_bucket *b = &tbl->heads[i].b;
		u64 n = 0;
		unsigned int s;

		for (; b; b = rcu_dereference(b->overflow))
			for (s = 0; s < slots; s++)
				n += !!READ_ONCE(b->tags[s]);
		for (k = 1; k <= levels; k++) {
			sum[k] += n;
			if (((i + 1) & ((1U << k) - 1)) == 0) {
				most[k] = max(most[k], sum[k]);
				sum[k] = 0;
			}
		}
		if (!(i & 1023)) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	/*
	 * most[] grows with k: shrink by the largest k that fits, with room
	 * for one more overflow bucket (a key that was accepted before the
	 * shrink is accepted after it).
	 */
	for (k = levels; k > 0 && most[k] + slots > limit; k--)
		;
	return tbl->order - k;
}

static void cmap_resize_work(struct work_struct *work)
{
	struct cmap *t = container_of(work, struct cmap, resize_work);
	struct mem_cgroup *old_memcg;
	struct cmap_tbl *tbl;
	u32 order;

	/* Charge the new arrays and spares to the table's creator. */
	old_memcg = set_active_memcg(t->memcg);
	mutex_lock(&t->resize_mutex);
	for (;;) {
		tbl = rcu_dereference_protected(t->tbl,
					lockdep_is_held(&t->resize_mutex));
		order = min(cmap_wanted_order(t, tbl->order), t->max_order);
		if (order < tbl->order) {
			long n = atomic_long_read(&t->nelems);

			/* No deletion since a scan held the array back. */
			if (t->shrink_held && n >= t->shrink_held)
				break;
			/* A chain of all entries fits: no scan. */
			if (n > cmap_chain_keys(t->kv))
				order = cmap_shrink_order(tbl, order);
			t->shrink_held = order == tbl->order ? n : 0;
		} else if (order > tbl->order) {
			t->shrink_held = 0;
		}
		if (order == tbl->order)
			break;
		if (cmap_rehash(t, tbl, order)) {
			pr_warn_ratelimited("cmap: table %u: no memory to resize to %u buckets; chains grow instead\n",
					    t->id, 1U << order);
			WRITE_ONCE(t->resize_failed,
				   max(atomic_long_read(&t->nelems), 1L));
			break;
		}
		if (t->resize_failed)
			WRITE_ONCE(t->resize_failed, 0);
	}
	mutex_unlock(&t->resize_mutex);
	set_active_memcg(old_memcg);
}

/**
 * cmap_create - make an empty table
 * @params: its configuration
 *
 * Return: the table, ERR_PTR(-EINVAL) for an unknown sync mode or flag,
 * ERR_PTR(-ENOSPC) at the module-wide memory cap, or ERR_PTR(-ENOMEM).
 */
struct cmap *cmap_create(const struct cmap_params *params)
{
	struct cmap_tbl *tbl;
	struct cmap *t;

	t = cmap_fault(GFP_KERNEL) ? NULL : kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return ERR_PTR(-ENOMEM);
	if (params->sync >= CMAP_SYNC_COUNT || params->flags & ~CMAP_F_INLINE) {
		kfree(t);
		return ERR_PTR(-EINVAL);
	}
	t->pcpu = cmap_fault(GFP_KERNEL) ? NULL : alloc_percpu(struct cmap_pcpu);
	if (!t->pcpu) {
		kfree(t);
		return ERR_PTR(-ENOMEM);
	}
	t->id = params->id;
	t->sync = params->sync;
	t->kv = params->flags & CMAP_F_INLINE;
	rwlock_init(&t->rwlock);
	spin_lock_init(&t->glock);
	mutex_init(&t->cow_mutex);
	t->max_entries = params->max_entries;
	t->max_bytes = params->max_bytes;
	t->max_order = max_t(u32, CMAP_MIN_ORDER,
			     cmap_order_for(cmap_load(t, params->max_entries)) + 1);
	t->max_order = min_t(u32, t->max_order, CMAP_MAX_ORDER);
	t->min_order = clamp_t(u32,
			       cmap_order_for(cmap_load(t, params->size_hint)),
			       CMAP_MIN_ORDER, t->max_order);
	if (params->hash_key) {
		t->key.key[0] = params->hash_key;
		t->key.key[1] = ~params->hash_key;
	} else {
		get_random_bytes(&t->key, sizeof(t->key));
	}
	mutex_init(&t->resize_mutex);
	INIT_WORK(&t->resize_work, cmap_resize_work);
	tbl = cmap_tbl_alloc(t->min_order, t->kv, GFP_KERNEL_ACCOUNT);
	if (IS_ERR(tbl)) {
		free_percpu(t->pcpu);
		kfree(t);
		return ERR_CAST(tbl);
	}
	/* The caller's memory cgroup (NULL: current->mm, or its remote scope). */
	t->memcg = get_mem_cgroup_from_mm(NULL);
	RCU_INIT_POINTER(t->tbl, tbl);
	atomic_long_inc(&cmap_live_tables);
	return t;
}

/**
 * cmap_destroy - free a table and every entry in it
 * @t: the table
 *
 * The caller guarantees that nobody uses @t any more, lookups included
 * (after a grace period).  Waits for a running resize.  Warns if the
 * table's entry count disagrees with what it freed.
 */
void cmap_destroy(struct cmap *t)
{
	struct cmap_tbl *tbl, *next;

	cancel_work_sync(&t->resize_work);
	for (tbl = cmap_deref_owned(t->tbl); tbl; tbl = next) {
		next = cmap_deref_owned(tbl->future);
		cmap_tbl_free(t, tbl, true);
	}
	WARN(atomic_long_read(&t->nelems) || atomic_long_read(&t->bytes),
	     "cmap: table %u: %ld entries, %ld bytes unaccounted at destroy\n",
	     t->id, atomic_long_read(&t->nelems), atomic_long_read(&t->bytes));
	mem_cgroup_put(t->memcg);
	atomic_long_dec(&cmap_live_tables);
	free_percpu(t->pcpu);
	kfree(t);
}

/**
 * cmap_stats - read a table's counters
 * @t:  the table
 * @st: out
 *
 * O(CPUs), whatever the table's size: the lock counters are summed over
 * the table's per-CPU counters, without stopping the writers (a snapshot
 * that may miss acquisitions in flight).
 */
void cmap_stats(struct cmap *t, struct cmap_table_stats *st)
{
	struct cmap_tbl *tbl, *ntbl;
	int cpu;

	memset(st, 0, sizeof(*st));
	rcu_read_lock();
	tbl = rcu_dereference(t->tbl);
	ntbl = rcu_dereference(tbl->future);
	st->entries = atomic_long_read(&t->nelems);
	st->buckets = 1U << tbl->order;
	st->overflow_buckets = atomic_long_read(&tbl->nr_overflow);
	st->resizing = ntbl;
	st->resizes = READ_ONCE(t->resizes);
	/* (an inline table's entries are in its buckets) */
	st->bytes = (t->kv ? 0 : atomic_long_read(&t->bytes)) +
		    struct_size(tbl, heads, 1UL << tbl->order) +
		    st->overflow_buckets * sizeof(struct cmap_bucket);
	if (ntbl)
		st->bytes += struct_size(ntbl, heads, 1UL << ntbl->order) +
			     atomic_long_read(&ntbl->nr_overflow) *
			     sizeof(struct cmap_bucket);
	rcu_read_unlock();
	st->max_entries = t->max_entries;
	st->max_bytes = t->max_bytes;
	st->contended = atomic_long_read(&t->sync_contended);
	st->wait_ns = atomic64_read(&t->sync_wait_ns);
	st->races = atomic_long_read(&t->races);
	st->read_races = atomic_long_read(&t->read_races);
	for_each_possible_cpu(cpu) {
		const struct cmap_pcpu *c = per_cpu_ptr(t->pcpu, cpu);

		st->acquisitions += READ_ONCE(c->acquisitions);
		st->contended += READ_ONCE(c->contended);
		st->wait_ns += READ_ONCE(c->wait_ns);
	}
}

/**
 * cmap_core_init - set up the counters shared by all tables
 *
 * Return: 0 or -ENOMEM.
 */
int cmap_core_init(void)
{
	int err, cpu;

	cmap_live_elems = alloc_percpu(long);
	if (!cmap_live_elems)
		return -ENOMEM;
	err = percpu_counter_init(&cmap_mem_used, 0, GFP_KERNEL);
	if (err)
		goto free_elems;
	err = cmap_elem_caches_create();
	if (err)
		goto free_mem;
	err = -ENOMEM;
	cmap_free_lists = alloc_percpu(struct cmap_free_list);
	if (!cmap_free_lists)
		goto free_caches;
	for_each_possible_cpu(cpu) {
		struct cmap_free_list *fl = per_cpu_ptr(cmap_free_lists, cpu);

		init_llist_head(&fl->list);
		fl->batch = NULL;
		atomic_long_set(&fl->bytes, 0);
	}
	INIT_WORK(&cmap_free_work, cmap_free_work_fn);
	cmap_core_wq = alloc_workqueue("cmap_core", WQ_UNBOUND, 0);
	if (!cmap_core_wq)
		goto free_lists;
	return 0;

free_lists:
	free_percpu(cmap_free_lists);
free_caches:
	cmap_elem_caches_destroy();
free_mem:
	percpu_counter_destroy(&cmap_mem_used);
free_elems:
	free_percpu(cmap_live_elems);
	return err;
}

/**
 * cmap_core_exit - check for leaks and tear down
 *
 * Call after every table is destroyed.  Frees the elements still waiting
 * for a grace period, then warns about any table or element still alive,
 * and about bytes still charged against the memory cap (elements, bucket
 * arrays, overflow buckets), before the element caches go.
 */
void cmap_core_exit(void)
{
	s64 elems, mem;

	rcu_barrier();			/* queue_rcu_work() has queued... */
	destroy_workqueue(cmap_core_wq);	/* ...and the frees have run */
	/* Nothing can push any more: whatever cmap_free_work left. */
	cmap_free_lists_drain();
	free_percpu(cmap_free_lists);
	elems = cmap_live_elements();
	mem = percpu_counter_sum(&cmap_mem_used);

	WARN(elems || atomic_long_read(&cmap_live_tables) || mem,
	     "cmap: leaking %lld elements, %ld tables and %lld bytes at exit\n",
	     elems, atomic_long_read(&cmap_live_tables), mem);
	cmap_elem_caches_destroy();	/* the element frees have run too */
	percpu_counter_destroy(&cmap_mem_used);
	free_percpu(cmap_live_elems);
}

/**
 * cmap_live_elements - elements allocated and not freed yet
 *
 * Counts the elements of all tables, elements being built, and removed
 * ones still waiting for their grace period.
 *
 * Return: the count (exact, summed over CPUs).
 */
s64 cmap_live_elements(void)
{
	s64 n = 0;
	int cpu;

	/* (READ_ONCE: the other CPUs count on meanwhile) */
	for_each_possible_cpu(cpu)
		n += READ_ONCE(*per_cpu_ptr(cmap_live_elems, cpu));
	return n;
}
