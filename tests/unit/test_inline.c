// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of inline tables (CMAP_F_INLINE): 8-byte keys and values kept
 * in the buckets, four to a bucket.  The put modes, lengths and alignment;
 * the resize thresholds (each entry counts twice) and operations in a
 * half-done migration; iteration (copies handed out as elements) with
 * collisions, overflow chains and resizes between calls; overflow chains
 * and slot reuse; limits and counters; fault injection; and lookups racing
 * writers that reuse slots for other keys (no value of another key may
 * ever come back).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/ktime.h>

#include "unit_util.h"

#define MODE(state)	(*(u32 *)*(state))
#define KV_CHARGE	16	/* bytes an inline entry is charged */
#define GOLDEN		0x9e3779b97f4a7c15ULL

static struct cmap *kv_create(u32 mode, u32 size_hint)
{
	return ut_create_flags(mode, size_hint, CMAP_F_INLINE, 1ULL << 32,
			       1ULL << 40);
}

/* The value of @key at @version: the key's bits, the version on top. */
static u64 kv_val(u64 key, u64 version)
{
	return key * GOLDEN ^ version << 48;
}

static bool kv_val_ok(u64 key, u64 val)
{
	return !((val ^ key * GOLDEN) & ((1ULL << 48) - 1));
}

static bool kv_get(struct cmap *t, u64 key, u64 *val)
{
	bool found;
	u64 v = 0;

	rcu_read_lock();
	found = cmap_kv_lookup(t, &key, 8, &v);
	rcu_read_unlock();
	if (val)
		*val = v;
	return found;
}

/* A put that the model (@m, if set) agrees with; returns the errno. */
static int kv_put(struct cmap *t, struct ut_model *m, u64 key, u64 val,
		  enum cmap_put_mode mode)
{
	int ret = cmap_put(t, &key, 8, &val, 8, mode);

	if (m)
		assert_int_equal(ret, ut_model_put(m, &key, 8, &val, 8, mode));
	return ret;
}

static int kv_del(struct cmap *t, struct ut_model *m, u64 key)
{
	int ret = cmap_delete(t, &key, 8);

	if (m)
		assert_int_equal(ret, ut_model_del(m, &key, 8));
	return ret;
}

static void put_range(struct cmap *t, struct ut_model *m, u64 from, u64 to,
		      u64 version)
{
	u64 k;

	for (k = from; k < to; k++)
		assert_int_equal(kv_put(t, m, k, kv_val(k, version),
					CMAP_UPSERT), 0);
}

static void del_range(struct cmap *t, struct ut_model *m, u64 from, u64 to)
{
	u64 k;

	for (k = from; k < to; k++)
		assert_int_equal(kv_del(t, m, k), 0);
}

/* The table against the model: lookups, iteration, counters. */
static void kv_check(struct cmap *t, struct ut_model *m)
{
	struct cmap_table_stats st;

	ut_check_lookups(t, m);
	ut_check_iter(t, m);
	cmap_stats(t, &st);
	assert_int_equal(st.entries, m->n);
	assert_int_equal(cmap_nr_entries(t), m->n);
	assert_int_equal(cmap_nr_bytes(t), KV_CHARGE * m->n);
	/* The entries are in the buckets: the arrays are the bytes. */
	if (!st.resizing)
		assert_int_equal(st.bytes,
				 sizeof(struct cmap_tbl) +
				 st.buckets * sizeof(struct cmap_head) +
				 st.overflow_buckets *
				 sizeof(struct cmap_bucket));
}

/* Buckets in the chain of head @idx of the current array. */
static unsigned int chain_len(struct cmap *t, u32 idx)
{
	struct cmap_bucket *b;
	unsigned int n = 0;

	rcu_read_lock();
	for (b = &rcu_dereference(t->tbl)->heads[idx].b; b;
	     b = rcu_dereference(b->overflow))
		n++;
	rcu_read_unlock();
	return n;
}

/* Keys by the top 8 bits of their hash: one bucket at every order <= 8. */
static bool has_top8(u32 hash, void *arg)
{
	return ut_idx(hash, 8) == *(u32 *)arg;
}

/* 1. Put modes, values, deletes. */
static void put_modes(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct ut_model m;
	u64 k;

	ut_model_init(&m);
	assert_true(t->kv);
	for (k = 0; k < 10; k++)
		assert_int_equal(kv_put(t, &m, k, kv_val(k, 1),
					CMAP_INSERT), 0);
	for (k = 0; k < 10; k++) {
		assert_int_equal(kv_put(t, &m, k, kv_val(k, 2), CMAP_INSERT),
				 -EEXIST);
		assert_int_equal(kv_put(t, &m, k + 100, kv_val(k, 2),
					CMAP_REPLACE), -ENOENT);
	}
	kv_check(t, &m);
	/* Replace and upsert, present and absent. */
	for (k = 0; k < 10; k += 2)
		assert_int_equal(kv_put(t, &m, k, kv_val(k, 3),
					CMAP_REPLACE), 0);
	for (k = 5; k < 15; k++)
		assert_int_equal(kv_put(t, &m, k, kv_val(k, 4),
					CMAP_UPSERT), 0);
	kv_check(t, &m);
	/* Values of every bit pattern, 0 included. */
	assert_int_equal(kv_put(t, &m, 20, 0, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, 21, ~0ULL, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, 0, 0, CMAP_UPSERT), 0);
	kv_check(t, &m);
	for (k = 0; k < 30; k += 3)
		kv_del(t, &m, k);
	assert_int_equal(kv_del(t, &m, 3), -ENOENT);
	assert_int_equal(kv_del(t, &m, 1000), -ENOENT);
	kv_check(t, &m);
	assert_false(kv_get(t, 3, NULL));
	assert_int_equal(kv_put(t, &m, 3, 33, CMAP_INSERT), 0);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Lengths other than 8: -EINVAL, false or NULL, and nothing changes. */
static void bad_lengths(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0), *plain;
	u8 key[16] = { 1 }, val[16] = { 2 };
	static const u32 lens[][2] = {
		{ 4, 8 }, { 16, 8 }, { 8, 0 }, { 8, 4 }, { 8, 16 }, { 1, 1 },
	};
	struct cmap_elem *e;
	struct ut_model m;
	unsigned int i;
	u64 v;

	ut_model_init(&m);
	assert_int_equal(cmap_put(t, key, 8, val, 8, CMAP_INSERT), 0);
	ut_model_put(&m, key, 8, val, 8, CMAP_INSERT);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		unsigned int mode;

		for (mode = CMAP_UPSERT; mode <= CMAP_REPLACE; mode++)
			assert_int_equal(cmap_put(t, key, lens[i][0], val,
						  lens[i][1], mode), -EINVAL);
		/* put_elem frees the element it refuses (the leak check) */
		e = cmap_elem_alloc(lens[i][0], lens[i][1], GFP_KERNEL);
		assert_false(IS_ERR_OR_NULL(e));
		memcpy(cmap_elem_kdata(e), key, lens[i][0]);
		memcpy(cmap_elem_kdata(e) + lens[i][0], val, lens[i][1]);
		assert_int_equal(cmap_put_elem(t, e, CMAP_UPSERT), -EINVAL);
	}
	/* The key's first 8 bytes are a present key: other lengths miss. */
	rcu_read_lock();
	v = 77;
	assert_false(cmap_kv_lookup(t, key, 4, &v));
	assert_false(cmap_kv_lookup(t, key, 16, &v));
	assert_int_equal(v, 77);
	assert_true(cmap_kv_lookup(t, key, 8, &v));
	assert_memory_equal(&v, val, 8);
	/* No elements to hand out. */
	assert_null(cmap_lookup(t, key, 8));
	assert_null(cmap_lookup(t, key, 16));
	rcu_read_unlock();
	assert_int_equal(cmap_delete(t, key, 4), -EINVAL);
	assert_int_equal(cmap_delete(t, key, 16), -EINVAL);
	kv_check(t, &m);
	/* put_elem of 8 and 8 works (and the element is freed) */
	e = cmap_elem_alloc(8, 8, GFP_KERNEL);
	assert_false(IS_ERR_OR_NULL(e));
	v = 5;
	memcpy(cmap_elem_kdata(e), &v, 8);
	v = 55;
	memcpy(cmap_elem_kdata(e) + 8, &v, 8);
	assert_int_equal(cmap_put_elem(t, e, CMAP_INSERT), 0);
	ut_model_put(&m, &(u64){ 5 }, 8, &v, 8, CMAP_INSERT);
	e = cmap_elem_alloc(8, 8, GFP_KERNEL);
	assert_false(IS_ERR_OR_NULL(e));
	memcpy(cmap_elem_kdata(e), key, 8);
	memcpy(cmap_elem_kdata(e) + 8, val, 8);
	assert_int_equal(cmap_put_elem(t, e, CMAP_INSERT), -EEXIST);
	kv_check(t, &m);
	/* A table that is not inline: cmap_kv_lookup() always misses. */
	plain = ut_create(MODE(state), 0);
	assert_int_equal(cmap_put(plain, key, 8, val, 8, CMAP_INSERT), 0);
	rcu_read_lock();
	assert_false(cmap_kv_lookup(plain, key, 8, &v));
	assert_non_null(cmap_lookup(plain, key, 8));
	rcu_read_unlock();
	ut_destroy(plain);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Keys and values at every misalignment, in and out. */
static void unaligned_buffers(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	u8 kb[24], vb[24], out[24];
	struct ut_model m;
	unsigned int off;

	ut_model_init(&m);
	for (off = 0; off < 8; off++) {
		u64 k = 0x1122334455667700ULL + off, v = kv_val(k, off);

		memcpy(kb + off, &k, 8);
		memcpy(vb + off + 1, &v, 8);
		assert_int_equal(cmap_put(t, kb + off, 8, vb + off + 1, 8,
					  CMAP_INSERT), 0);
		ut_model_put(&m, &k, 8, &v, 8, CMAP_INSERT);
		memset(out, 0xee, sizeof(out));
		rcu_read_lock();
		assert_true(cmap_kv_lookup(t, kb + off, 8, out + off + 3));
		rcu_read_unlock();
		assert_memory_equal(out + off + 3, &v, 8);
		/* not a byte written outside the 8 */
		assert_int_equal(out[off + 2], 0xee);
		assert_int_equal(out[off + 11], 0xee);
	}
	kv_check(t, &m);
	for (off = 0; off < 8; off += 2) {
		u64 k = 0x1122334455667700ULL + off;

		memcpy(kb + 7 - off, &k, 8);
		assert_int_equal(cmap_delete(t, kb + 7 - off, 8), 0);
		ut_model_del(&m, &k, 8);
	}
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * Settle: in worker modes a resize happens when the work runs; in
 * copy-on-write mode the write itself resizes.
 */
static void expect_buckets(struct cmap *t, u32 mode, u64 before, u64 after)
{
	if (mode != CMAP_SYNC_COW) {
		assert_int_equal(ut_buckets(t), before);
		ut_run_work();
	}
	assert_int_equal(ut_buckets(t), after);
	assert_false(ut_resizing(t));
}

/*
 * 2. Grow above 3.25 entries per head bucket, shrink below one per four:
 * half the counts of an element table.
 */
static void grow_shrink_thresholds(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = kv_create(mode, 0);
	struct cmap_table_stats st;
	struct ut_model m;

	ut_model_init(&m);
	assert_int_equal(ut_buckets(t), 4);
	put_range(t, &m, 0, 13, 1);		/* 3.25 * 4: stays */
	expect_buckets(t, mode, 4, 4);
	put_range(t, &m, 13, 14, 1);
	expect_buckets(t, mode, 4, 8);
	kv_check(t, &m);
	put_range(t, &m, 14, 26, 1);		/* 3.25 * 8 */
	expect_buckets(t, mode, 8, 8);
	put_range(t, &m, 26, 27, 1);
	expect_buckets(t, mode, 8, 16);
	kv_check(t, &m);
	put_range(t, &m, 27, 52, 2);		/* and replaces */
	expect_buckets(t, mode, 16, 16);
	put_range(t, &m, 52, 53, 1);
	expect_buckets(t, mode, 16, 32);
	kv_check(t, &m);
	put_range(t, &m, 53, 104, 1);
	expect_buckets(t, mode, 32, 32);
	put_range(t, &m, 104, 105, 1);
	expect_buckets(t, mode, 32, 64);
	kv_check(t, &m);
	cmap_stats(t, &st);
	assert_int_equal(st.resizes, 4);
	/* Shrink below 64 / 4, to 1.625 per bucket at most (half the
	 * grow threshold), in one step. */
	del_range(t, &m, 16, 105);
	expect_buckets(t, mode, 64, 64);
	kv_check(t, &m);
	del_range(t, &m, 15, 16);
	expect_buckets(t, mode, 64, 16);	/* 15 <= 1.625 * 16 */
	kv_check(t, &m);
	del_range(t, &m, 4, 15);		/* 4 = 16 / 4: stays */
	expect_buckets(t, mode, 16, 16);
	del_range(t, &m, 3, 4);
	expect_buckets(t, mode, 16, 4);		/* the minimum */
	kv_check(t, &m);
	del_range(t, &m, 0, 3);
	expect_buckets(t, mode, 4, 4);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* A worker that runs late grows in one step, counting entries twice. */
static void grow_behind_in_one_step(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = kv_create(mode, 0);
	struct ut_model m;

	ut_model_init(&m);
	put_range(t, &m, 0, 500, 1);	/* 3.25 * 128 < 500 <= 3.25 * 256 */
	expect_buckets(t, mode, 4, 256);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* size_hint and max_entries count twice too. */
static void size_hint_doubled(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = kv_create(mode, 100);	/* 100 <= 1.625 * 64 */
	struct ut_model m;

	ut_model_init(&m);
	assert_int_equal(ut_buckets(t), 64);
	put_range(t, &m, 0, 208, 1);		/* 3.25 * 64 */
	expect_buckets(t, mode, 64, 64);
	put_range(t, &m, 208, 209, 1);
	expect_buckets(t, mode, 64, 128);
	kv_check(t, &m);
	del_range(t, &m, 0, 209);
	expect_buckets(t, mode, 128, 64);	/* the minimum */
	ut_destroy(t);
	ut_model_clear(&m);

	/* The maximum order from max_entries (100 <= 1.625 * 64, one
	 * order more), the hint beyond it clamped. */
	t = ut_create_flags(mode, 100000, CMAP_F_INLINE, 100, 1 << 20);
	assert_int_equal(ut_buckets(t), 128);
	put_range(t, &m, 0, 100, 1);
	assert_int_equal(cmap_put(t, &(u64){ 100 }, 8, &(u64){ 1 }, 8,
				  CMAP_INSERT), -ENOSPC);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Run @expr with every allocation failing: it must need none. */
#define NO_ALLOC(expr) do {						\
	shim_fault_inject(1, SHIM_FAULT_STICKY);			\
	expr;								\
	assert_int_equal(shim_fault_hits(), 0);				\
	shim_fault_inject(0, 0);					\
} while (0)

/*
 * Every kind of operation on a half-migrated table; replacements and
 * deletions with every allocation failing (they need none).
 */
static void ops_mid_migration(struct ut_mig *mg)
{
	struct cmap *t = mg->t;
	struct ut_model *m = mg->m;
	u64 k, base = mg->arg;

	assert_int_equal(mg->evacuated, mg->at);
	ut_check_lookups(t, m);
	for (k = 0; k < base; k += 5) {
		NO_ALLOC(assert_int_equal(kv_put(t, m, k, kv_val(k, 2),
						 CMAP_REPLACE), 0));
		NO_ALLOC(assert_int_equal(kv_put(t, m, k, kv_val(k, 3),
						 CMAP_INSERT), -EEXIST));
		NO_ALLOC(assert_int_equal(kv_put(t, m, k + 1, kv_val(k, 4),
						 CMAP_UPSERT), 0));
	}
	ut_check_lookups(t, m);
	for (k = 2; k < base; k += 7) {
		NO_ALLOC(assert_int_equal(kv_del(t, m, k), 0));
		NO_ALLOC(assert_int_equal(kv_del(t, m, k), -ENOENT));
	}
	ut_check_lookups(t, m);
	put_range(t, m, base, base + 40, 4);
	assert_int_equal(kv_put(t, m, base + 1000, 1, CMAP_REPLACE), -ENOENT);
	/* Still the old array; the migration is not finished. */
	assert_true(ut_resizing(t));
	assert_int_equal(ut_buckets(t), mg->old_buckets);
	assert_true(ut_nr_evacuated(t) > mg->evacuated);
	kv_check(t, m);
}

static void grow_half_done(void **state)
{
	struct cmap *t = kv_create(MODE(state), 75);	/* 64 buckets */
	struct ut_mig mg = { .t = t, .at = 20, .fn = ops_mid_migration };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	mg.arg = 209;
	assert_int_equal(ut_buckets(t), 64);
	put_range(t, &m, 0, 209, 1);		/* > 3.25 * 64: grow */
	ut_run_migration(&mg);
	assert_int_equal(mg.old_buckets, 64);
	assert_int_equal(ut_buckets(t), 128);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

static void shrink_half_done(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct ut_mig mg = { .t = t, .at = 100, .fn = ops_mid_migration };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	put_range(t, &m, 0, 420, 1);
	ut_run_work();
	assert_int_equal(ut_buckets(t), 256);	/* 420 > 3.25 * 128 */
	del_range(t, &m, 60, 420);		/* < 256 / 4: shrink */
	mg.arg = 60;
	ut_run_migration(&mg);
	assert_int_equal(mg.old_buckets, 256);
	assert_int_equal(ut_buckets(t), 64);	/* 60 <= 1.625 * 64 */
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Whether @key sits in the chain of head @idx of @t's future array. */
static bool in_future_head(struct cmap *t, u32 idx, u64 key)
{
	struct cmap_bucket *b;
	bool found = false;
	unsigned int s;

	rcu_read_lock();
	b = &rcu_dereference(rcu_dereference(t->tbl)->future)->heads[idx].b;
	for (; b; b = rcu_dereference(b->overflow))
		for (s = 0; s < CMAP_KV_SLOTS; s++)
			found |= b->kvtags[s] && b->kv[s].key == key;
	rcu_read_unlock();
	return found;
}

static bool evacuated(struct cmap *t, u32 idx)
{
	bool ev;

	rcu_read_lock();
	ev = READ_ONCE(rcu_dereference(t->tbl)->heads[idx].evacuated);
	rcu_read_unlock();
	return ev;
}

/*
 * A grow from 16 to 32 buckets where bucket 1 holds ten keys that all go
 * to new bucket 3: a writer's share of the migration (without spares)
 * moves four and stops.  Replacing and deleting crowded keys then needs no
 * memory wherever they are; a new crowded key needs the bucket migrated,
 * which fails without memory (nothing changes) and works with it.
 */
struct crowd {
	u64 keys[10];
	u64 other, fresh;
};

static void crowd_mid_migration(struct ut_mig *mg)
{
	struct crowd *c = (struct crowd *)(uintptr_t)mg->arg;
	int moved = -1, kept = -1;
	unsigned int i, n = 0;

	assert_int_equal(mg->evacuated, 1);
	assert_int_equal(kv_put(mg->t, mg->m, c->other, 1, CMAP_INSERT), 0);
	assert_false(evacuated(mg->t, 1));
	for (i = 0; i < ARRAY_SIZE(c->keys); i++) {
		if (in_future_head(mg->t, 3, c->keys[i])) {
			n++;
			if (moved < 0)
				moved = i;
		} else if (kept < 0) {
			kept = i;
		}
	}
	assert_int_equal(n, CMAP_KV_SLOTS);
	ut_check_lookups(mg->t, mg->m);
	NO_ALLOC(assert_int_equal(kv_put(mg->t, mg->m, c->keys[kept], 7,
					 CMAP_REPLACE), 0));
	NO_ALLOC(assert_int_equal(kv_put(mg->t, mg->m, c->keys[moved], 8,
					 CMAP_UPSERT), 0));
	ut_check_lookups(mg->t, mg->m);
	NO_ALLOC(assert_int_equal(kv_del(mg->t, mg->m, c->keys[moved]), 0));
	NO_ALLOC(assert_int_equal(kv_del(mg->t, mg->m, c->keys[kept]), 0));
	NO_ALLOC(assert_int_equal(kv_del(mg->t, mg->m, c->keys[9]), 0));
	assert_false(evacuated(mg->t, 1));
	ut_check_lookups(mg->t, mg->m);
	/* A new key: its bucket must migrate first, with spare buckets. */
	shim_fault_inject(1, SHIM_FAULT_STICKY);
	assert_int_equal(cmap_put(mg->t, &c->fresh, 8, &c->fresh, 8,
				  CMAP_INSERT), -ENOMEM);
	assert_true(shim_fault_hits() > 0);
	shim_fault_inject(0, 0);
	ut_check_lookups(mg->t, mg->m);
	assert_false(kv_get(mg->t, c->fresh, NULL));
	assert_int_equal(kv_put(mg->t, mg->m, c->fresh, 9, CMAP_INSERT), 0);
	assert_true(evacuated(mg->t, 1));
	kv_check(mg->t, mg->m);
}

static bool not_top4_1(u32 hash, void *arg)
{
	(void)arg;
	return ut_idx(hash, 4) != 1;
}

static void migration_needs_spares(void **state)
{
	struct cmap *t = kv_create(MODE(state), 20);	/* 16 buckets */
	struct crowd c = {};
	struct ut_mig mg = { .t = t, .at = 1, .fn = crowd_mid_migration,
			  .arg = (uintptr_t)&c };
	u32 top = 0x1a;
	struct ut_model m;
	u64 fill[43];
	unsigned int i;

	ut_model_init(&m);
	mg.m = &m;
	assert_int_equal(ut_buckets(t), 16);
	ut_find_keys(t, 1, has_top8, &top, c.keys, ARRAY_SIZE(c.keys));
	ut_find_keys(t, 1ULL << 52, has_top8, &top, &c.fresh, 1);
	for (i = 0; i < ARRAY_SIZE(c.keys); i++)
		assert_int_equal(kv_put(t, &m, c.keys[i], kv_val(c.keys[i], 1),
					CMAP_INSERT), 0);
	assert_int_equal(chain_len(t, 1), 3);
	/* 53 entries: above 3.25 * 16, a grow to 32 is due. */
	ut_find_keys(t, 1ULL << 40, not_top4_1, NULL, fill, ARRAY_SIZE(fill));
	for (i = 0; i < ARRAY_SIZE(fill); i++)
		assert_int_equal(kv_put(t, &m, fill[i], kv_val(fill[i], 1),
					CMAP_INSERT), 0);
	assert_int_equal(shim_wq_nr_pending(), 1);
	/* "other": bucket 3, migrated by its writer, then bucket 1. */
	top = 0x30;
	ut_find_keys(t, 1ULL << 50, has_top8, &top, &c.other, 1);
	ut_run_migration(&mg);
	assert_int_equal(ut_buckets(t), 32);
	assert_true(chain_len(t, 3) <= 3);	/* 8 keys left */
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * A shrink from 32 to 4 merges old buckets 0..7 into new bucket 0: the
 * worker moves bucket 0's three keys there, and migrating bucket 1's
 * three then needs an overflow bucket after the first.  Replacements and
 * deletions there, with every allocation failing, work in place.
 */
static bool in_idx5(u32 hash, void *arg)
{
	return ut_idx(hash, 5) == *(u32 *)arg;
}

static bool not_idx4_0(u32 hash, void *arg)
{
	(void)arg;
	return ut_idx(hash, 4) != 0;
}

static void shrink_crowd_mid(struct ut_mig *mg)
{
	u64 *b1 = (u64 *)(uintptr_t)mg->arg;
	unsigned int i, moved = 0;

	assert_int_equal(mg->evacuated, 1);
	assert_int_equal(ut_buckets(mg->t), 32);
	/* migrates bucket 1 as far as new bucket 0 has room: one key */
	NO_ALLOC(assert_int_equal(kv_put(mg->t, mg->m, b1[2], 5,
					 CMAP_REPLACE), 0));
	assert_false(evacuated(mg->t, 1));
	for (i = 0; i < 3; i++)
		moved += in_future_head(mg->t, 0, b1[i]);
	assert_int_equal(moved, 1);
	ut_check_lookups(mg->t, mg->m);
	for (i = 0; i < 3; i++) {
		NO_ALLOC(assert_int_equal(kv_put(mg->t, mg->m, b1[i], 6 + i,
						 CMAP_UPSERT), 0));
		ut_check_lookups(mg->t, mg->m);
	}
	for (i = 0; i < 3; i++) {
		NO_ALLOC(assert_int_equal(kv_del(mg->t, mg->m, b1[i]), 0));
		assert_false(in_future_head(mg->t, 0, b1[i]));
		ut_check_lookups(mg->t, mg->m);
	}
	kv_check(mg->t, mg->m);
}

static void shrink_needs_spares(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	u64 b0[3], b1[3], fill[60], *all[] = { b0, b1, fill };
	unsigned int n[] = { 3, 3, 60 }, i, j;
	struct ut_mig mg = { .t = t, .at = 1, .fn = shrink_crowd_mid,
			  .arg = (uintptr_t)b1 };
	struct ut_model m;
	u32 idx;

	ut_model_init(&m);
	mg.m = &m;
	idx = 0;
	ut_find_keys(t, 1, in_idx5, &idx, b0, ARRAY_SIZE(b0));
	idx = 1;
	ut_find_keys(t, 1, in_idx5, &idx, b1, ARRAY_SIZE(b1));
	ut_find_keys(t, 1ULL << 40, not_idx4_0, NULL, fill, ARRAY_SIZE(fill));
	for (i = 0; i < ARRAY_SIZE(all); i++)
		for (j = 0; j < n[i]; j++)
			assert_int_equal(kv_put(t, &m, all[i][j],
						kv_val(all[i][j], 1),
						CMAP_INSERT), 0);
	while (shim_wq_nr_pending())
		ut_run_work();
	assert_int_equal(ut_buckets(t), 32);	/* 66 > 3.25 * 16 */
	for (j = 0; j < ARRAY_SIZE(fill); j++)
		assert_int_equal(kv_del(t, &m, fill[j]), 0);
	ut_run_migration(&mg);
	assert_int_equal(ut_buckets(t), 4);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* A clear in the middle of a migration empties both arrays. */
static void clear_mid(struct ut_mig *mg)
{
	NO_ALLOC(assert_int_equal(cmap_clear(mg->t), 0));
	ut_model_clear(mg->m);
	kv_check(mg->t, mg->m);
	put_range(mg->t, mg->m, 5000, 5010, 1);
	kv_check(mg->t, mg->m);
}

static void clear_half_done(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct ut_mig mg = { .t = t, .at = 30, .fn = clear_mid };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	put_range(t, &m, 0, 420, 1);
	ut_run_work();				/* 256 buckets */
	put_range(t, &m, 420, 850, 1);		/* grow to 512 */
	ut_run_migration(&mg);
	kv_check(t, &m);
	ut_run_work();				/* 10 <= 1.625 * 8 */
	assert_int_equal(ut_buckets(t), 8);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * 3. Iteration: colliding hashes come in one group; same-bucket keys in
 * overflow buckets; a range of more than the stack vector.
 */
static void iter_collisions(void **state)
{
	struct cmap *t = kv_create(MODE(state), 20);	/* 16 buckets */
	u64 a, b, keys[40];
	u32 top = 0x42;
	struct ut_model m;
	unsigned int i;

	ut_model_init(&m);
	ut_find_hash_collision(t, &a, &b);
	assert_int_equal(kv_put(t, &m, a, 1, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, b, 2, CMAP_INSERT), 0);
	assert_int_equal(ut_check_iter(t, &m), 1);
	/* 40 keys of one bucket at every order up to 8: a chain of 10 */
	ut_find_keys(t, 1ULL << 44, has_top8, &top, keys, ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		assert_int_equal(kv_put(t, &m, keys[i], kv_val(keys[i], 1),
					CMAP_INSERT), 0);
	kv_check(t, &m);
	assert_int_equal(ut_buckets(t), 16);	/* 42 <= 3.25 * 16 */
	assert_true(chain_len(t, top >> 4) >= 10);
	assert_int_equal(ut_check_iter(t, &m), 1);
	kv_check(t, &m);
	/* the pair keeps its group through deletes around it */
	for (i = 0; i < ARRAY_SIZE(keys); i += 3)
		assert_int_equal(kv_del(t, &m, keys[i]), 0);
	assert_int_equal(kv_del(t, &m, a), 0);
	assert_int_equal(ut_check_iter(t, &m), 0);
	assert_int_equal(kv_put(t, &m, a, 3, CMAP_INSERT), 0);
	assert_int_equal(ut_check_iter(t, &m), 1);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* A callback that refuses: the cursor points at the refused group. */
struct refuse {
	unsigned int left, got;
	u64 key;
};

static int refuse_cb(void *arg, const struct cmap_elem *const *elems,
		     unsigned int n)
{
	struct refuse *r = arg;

	if (!r->left)
		return -E2BIG;
	r->left--;
	r->got += n;
	memcpy(&r->key, cmap_elem_key(elems[0]), 8);
	return 0;
}

/* The iteration's first buffers fail: -ENOMEM, the cursor unchanged. */
static void iter_enomem_and_stop(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct refuse r = { .left = 5 };
	struct ut_model m;
	u64 cursor = 0, total;
	unsigned int nth;

	ut_model_init(&m);
	put_range(t, &m, 0, 12, 1);
	for (nth = 1; nth <= 2; nth++) {
		shim_fault_inject(nth, 0);
		assert_int_equal(cmap_iter(t, &cursor, refuse_cb, &r), -ENOMEM);
		assert_int_equal(shim_fault_hits(), 1);
		shim_fault_inject(0, 0);
		assert_true(cursor == 0);
		assert_int_equal(r.got, 0);
	}
	/* The core's fault injection fails the first buffer too. */
	cmap_fault_arm(1);
	assert_int_equal(cmap_iter(t, &cursor, refuse_cb, &r), -ENOMEM);
	assert_int_equal(cmap_fault_armed(), 0);
	assert_true(cursor == 0);
	/* Five groups taken, the sixth refused: the cursor is its hash. */
	assert_int_equal(cmap_iter(t, &cursor, refuse_cb, &r), 5);
	assert_int_equal(r.got, 5);
	assert_true(cursor < CMAP_ITER_END);
	total = r.got;
	r.left = 1000;
	while (cursor != CMAP_ITER_END) {
		int ret = cmap_iter(t, &cursor, refuse_cb, &r);

		assert_true(ret >= 0);
		total += ret;
	}
	assert_int_equal(total, 12);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * Iteration across resizes, some calls in the middle of a migration:
 * every key present throughout comes back exactly once, with a value of
 * its own.
 */
struct it {
	struct cmap *t;
	u64 cursor;
	unsigned int seen[4000];
	unsigned int calls;
	bool one_done;
	const char *error;
};

static int take_one(void *arg, const struct cmap_elem *const *elems,
		    unsigned int n)
{
	struct it *it = arg;
	unsigned int i;
	u64 k, v;

	if (it->one_done)
		return -EAGAIN;
	it->one_done = true;
	for (i = 0; i < n; i++) {
		memcpy(&k, cmap_elem_key(elems[i]), 8);
		memcpy(&v, cmap_elem_value(elems[i]), 8);
		if (k >= ARRAY_SIZE(it->seen) || !kv_val_ok(k, v) ||
		    elems[i]->klen != 8 || elems[i]->vlen != 8 ||
		    elems[i]->hash != cmap_hash(it->t, &k, 8))
			it->error = "a bad element";
		else
			it->seen[k]++;
	}
	return 0;
}

static void iter_step(struct it *it)
{
	int ret;

	if (it->cursor == CMAP_ITER_END)
		return;
	it->one_done = false;
	ret = cmap_iter(it->t, &it->cursor, take_one, it);
	assert_true(ret == 1 || ret == 2 ||
		    (ret == 0 && it->cursor == CMAP_ITER_END));
	it->calls++;
}

static void iter_mid(struct ut_mig *mg)
{
	struct it *it = (struct it *)(uintptr_t)mg->arg;
	unsigned int i;

	for (i = 0; i < 5; i++)
		iter_step(it);
}

static void iter_across_resizes(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = kv_create(mode, 0);
	struct it *it = calloc(1, sizeof(*it));
	unsigned int step, i;
	u64 k, base;

	assert_non_null(it);
	it->t = t;
	put_range(t, NULL, 0, 150, 1);		/* the stable keys */
	ut_run_work();
	for (step = 0; it->cursor != CMAP_ITER_END; step++) {
		struct ut_mig mg = { .t = t, .at = 3, .fn = iter_mid,
				  .arg = (uintptr_t)it, .optional = true };

		assert_true(step < 100000);
		iter_step(it);
		base = 1000 + (step % 3) * 1000;
		switch (step % 6) {
		case 0:			/* grow */
			put_range(t, NULL, base, base + 450, step);
			break;
		case 1:
		case 4:
			if (shim_wq_nr_pending())
				ut_run_migration(&mg);
			break;
		case 2:
			ut_run_work();
			break;
		case 3:			/* shrink */
			for (k = base; k < base + 450; k++)
				cmap_delete(t, &k, 8);
			break;
		default:
			put_range(t, NULL, 0, 150, step);	/* replace */
			break;
		}
	}
	if (it->error)
		fail_msg("%s", it->error);
	assert_true(it->calls > 50);
	for (i = 0; i < 150; i++)
		if (it->seen[i] != 1)
			fail_msg("stable key %u returned %u times", i,
				 it->seen[i]);
	for (i = 150; i < ARRAY_SIZE(it->seen); i++)
		assert_true(it->seen[i] <= 1);
	free(it);
	ut_destroy(t);
}

/*
 * 4. An overflow chain of one head bucket: deletes from its middle, slots
 * reused by new keys (no new overflow bucket), every value right.
 */
static void overflow_chain_reuse(void **state)
{
	struct cmap *t = kv_create(MODE(state), 30);	/* 32 buckets */
	struct cmap_table_stats st;
	u32 top = 0x97, idx;
	struct ut_model m;
	u64 keys[46];
	unsigned int i;

	ut_model_init(&m);
	assert_int_equal(ut_buckets(t), 32);
	idx = 0x97 >> 3;
	ut_find_keys(t, 1, has_top8, &top, keys, ARRAY_SIZE(keys));
	for (i = 0; i < 30; i++)
		assert_int_equal(kv_put(t, &m, keys[i], kv_val(keys[i], 1),
					CMAP_INSERT), 0);
	assert_int_equal(chain_len(t, idx), 8);
	cmap_stats(t, &st);
	assert_int_equal(st.overflow_buckets, 7);
	kv_check(t, &m);
	/* Out of the middle of the chain, and a whole overflow bucket. */
	for (i = 9; i < 19; i++)
		assert_int_equal(kv_del(t, &m, keys[i]), 0);
	kv_check(t, &m);
	for (i = 0; i < 30; i++)
		assert_int_equal(kv_get(t, keys[i], NULL), !(i >= 9 && i < 19));
	/* New keys take the freed slots: the chain does not grow. */
	for (i = 30; i < 40; i++)
		assert_int_equal(kv_put(t, &m, keys[i], kv_val(keys[i], 2),
					CMAP_INSERT), 0);
	assert_int_equal(chain_len(t, idx), 8);
	kv_check(t, &m);
	/* The old keys back, with other values: now it does. */
	for (i = 9; i < 19; i++)
		assert_int_equal(kv_put(t, &m, keys[i], kv_val(keys[i], 3),
					CMAP_UPSERT), 0);
	assert_int_equal(chain_len(t, idx), 10);
	kv_check(t, &m);
	for (i = 0; i < 40; i += 2)
		assert_int_equal(kv_put(t, &m, keys[i], kv_val(keys[i], 4),
					CMAP_REPLACE), 0);
	kv_check(t, &m);
	for (i = 0; i < 40; i++)
		assert_int_equal(kv_del(t, &m, keys[i]), 0);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * A chain at max_chain overflow buckets refuses a new key (-ENOSPC, a
 * flood), while a replacement, another bucket and a key after a delete
 * still go in.
 */
static bool in_bucket0(u32 hash, void *arg)
{
	(void)arg;
	return ut_idx(hash, CMAP_MIN_ORDER) == 0;
}

static void flood_refused(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	unsigned long warns = shim_printk_warnings();
	struct ut_model m;
	u64 keys[13], other = 0;
	unsigned int i;

	ut_model_init(&m);
	cmap_set_limits(0, 2);	/* a head and two overflow buckets */
	ut_find_keys(t, 1, in_bucket0, NULL, keys, ARRAY_SIZE(keys));
	for (i = 0; i < 12; i++)
		assert_int_equal(kv_put(t, &m, keys[i], kv_val(keys[i], 1),
					CMAP_INSERT), 0);
	assert_int_equal(chain_len(t, 0), 3);
	/* 13 entries are no grow (13 <= 3.25 * 4): refused at once */
	shim_set_quiet(true);
	assert_int_equal(cmap_put(t, &keys[12], 8, &keys[12], 8, CMAP_UPSERT),
			 -ENOSPC);
	shim_set_quiet(false);
	assert_int_equal(shim_printk_warnings(), warns + 1);
	assert_int_equal(shim_wq_nr_pending(), 0);
	kv_check(t, &m);
	assert_int_equal(kv_put(t, &m, keys[3], 42, CMAP_UPSERT), 0);
	while (in_bucket0(cmap_hash(t, &other, 8), NULL))
		other++;
	assert_int_equal(kv_put(t, &m, other, 43, CMAP_INSERT), 0);
	assert_int_equal(kv_del(t, &m, keys[5]), 0);
	assert_int_equal(kv_put(t, &m, keys[12], 44, CMAP_INSERT), 0);
	cmap_set_limits(0, 0);
	assert_int_equal(chain_len(t, 0), 3);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* 5. Limits: entries and 16 bytes an entry; refusals change nothing. */
static void limits(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = ut_create_flags(mode, 0, CMAP_F_INLINE, 10, 1 << 20);
	struct cmap_table_stats st;
	struct ut_model m;
	u64 k;

	ut_model_init(&m);
	put_range(t, &m, 0, 10, 1);
	for (k = 10; k < 12; k++) {
		assert_int_equal(cmap_put(t, &k, 8, &k, 8, CMAP_INSERT),
				 -ENOSPC);
		assert_int_equal(cmap_put(t, &k, 8, &k, 8, CMAP_UPSERT),
				 -ENOSPC);
	}
	kv_check(t, &m);
	/* Replacing at the limit is fine: the count does not change. */
	assert_int_equal(kv_put(t, &m, 3, 2, CMAP_UPSERT), 0);
	assert_int_equal(kv_put(t, &m, 4, 2, CMAP_REPLACE), 0);
	cmap_stats(t, &st);
	assert_int_equal(st.max_entries, 10);
	kv_check(t, &m);
	assert_int_equal(kv_del(t, &m, 0), 0);
	assert_int_equal(kv_put(t, &m, 10, 1, CMAP_INSERT), 0);
	assert_int_equal(cmap_put(t, &k, 8, &k, 8, CMAP_INSERT), -ENOSPC);
	kv_check(t, &m);
	ut_destroy(t);
	ut_model_clear(&m);

	/* Three entries of 16 bytes. */
	t = ut_create_flags(mode, 0, CMAP_F_INLINE, 100, 3 * KV_CHARGE);
	put_range(t, &m, 0, 3, 1);
	k = 3;
	assert_int_equal(cmap_put(t, &k, 8, &k, 8, CMAP_INSERT), -ENOSPC);
	assert_int_equal(cmap_nr_bytes(t), 3 * KV_CHARGE);
	cmap_stats(t, &st);
	assert_int_equal(st.max_bytes, 3 * KV_CHARGE);
	assert_int_equal(kv_put(t, &m, 1, 11, CMAP_REPLACE), 0);
	kv_check(t, &m);
	assert_int_equal(kv_del(t, &m, 1), 0);
	assert_int_equal(cmap_nr_bytes(t), 2 * KV_CHARGE);
	assert_int_equal(kv_put(t, &m, 3, 33, CMAP_INSERT), 0);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Clear empties (overflow buckets too); destroy with entries leaks none. */
static void clear_and_destroy(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct cmap_table_stats st;
	struct ut_model m;
	u64 keys[20];
	unsigned int i;

	ut_model_init(&m);
	ut_find_keys(t, 1, in_bucket0, NULL, keys, ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		assert_int_equal(kv_put(t, &m, keys[i], i, CMAP_INSERT), 0);
	put_range(t, &m, 100, 300, 1);
	ut_run_work();
	kv_check(t, &m);
	assert_int_equal(cmap_clear(t), 0);
	ut_model_clear(&m);
	kv_check(t, &m);
	cmap_stats(t, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(cmap_nr_bytes(t), 0);
	assert_false(kv_get(t, keys[0], NULL));
	assert_false(kv_get(t, 150, NULL));
	/* (overflow buckets stay until the shrink the clear asked for) */
	ut_run_work();
	cmap_stats(t, &st);
	assert_int_equal(st.buckets, 4);
	assert_int_equal(st.overflow_buckets, 0);
	/* and refills */
	put_range(t, &m, 0, 50, 2);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);			/* with entries */
}

/*
 * 6. Fault injection: an inline put allocates nothing but overflow
 * buckets; replacements, deletes and clears allocate nothing.  (Not
 * copy-on-write: its writes copy the array.)
 */
static void fault_put_only_overflow(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct ut_model m;
	u64 keys[9];
	unsigned int i;

	ut_model_init(&m);
	ut_find_keys(t, 1, in_bucket0, NULL, keys, ARRAY_SIZE(keys));
	for (i = 0; i < 4; i++)
		NO_ALLOC(assert_int_equal(kv_put(t, &m, keys[i], i,
						 CMAP_INSERT), 0));
	assert_int_equal(chain_len(t, 0), 1);
	/* the fifth needs an overflow bucket */
	shim_fault_inject(1, 0);
	assert_int_equal(cmap_put(t, &keys[4], 8, &keys[4], 8, CMAP_UPSERT),
			 -ENOMEM);
	assert_int_equal(shim_fault_hits(), 1);
	shim_fault_inject(0, 0);
	kv_check(t, &m);
	assert_int_equal(kv_put(t, &m, keys[4], 4, CMAP_INSERT), 0);
	assert_int_equal(chain_len(t, 0), 2);
	NO_ALLOC(assert_int_equal(kv_put(t, &m, keys[4], 44, CMAP_REPLACE), 0));
	NO_ALLOC(assert_int_equal(kv_put(t, &m, keys[0], 40, CMAP_UPSERT), 0));
	NO_ALLOC(assert_int_equal(kv_del(t, &m, keys[1]), 0));
	/* a new key into the freed slot: no memory */
	NO_ALLOC(assert_int_equal(kv_put(t, &m, keys[5], 5, CMAP_INSERT), 0));
	assert_int_equal(chain_len(t, 0), 2);
	/* the core's own fault injection: not consulted either */
	assert_int_equal(kv_del(t, &m, keys[2]), 0);
	cmap_fault_arm(1);
	assert_int_equal(kv_put(t, &m, keys[1], 41, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, keys[1], 42, CMAP_REPLACE), 0);
	assert_int_equal(kv_del(t, &m, keys[3]), 0);
	assert_int_equal(cmap_fault_armed(), 1);
	/* ...but by the put that needs an overflow bucket */
	assert_int_equal(kv_put(t, &m, keys[2], 2, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, keys[3], 3, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, keys[6], 6, CMAP_INSERT), 0);
	assert_int_equal(kv_put(t, &m, keys[7], 7, CMAP_INSERT), 0);
	assert_int_equal(chain_len(t, 0), 2);
	assert_int_equal(cmap_fault_armed(), 1);
	assert_int_equal(cmap_put(t, &keys[8], 8, &keys[8], 8, CMAP_INSERT),
			 -ENOMEM);
	assert_int_equal(cmap_fault_armed(), 0);
	kv_check(t, &m);
	NO_ALLOC(assert_int_equal(cmap_clear(t), 0));
	ut_model_clear(&m);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Deletes and clears succeed whatever fails (cow: in place). */
static void fault_delete_clear(void **state)
{
	struct cmap *t = kv_create(MODE(state), 0);
	struct ut_model m;
	u64 k;

	ut_model_init(&m);
	put_range(t, &m, 0, 40, 1);
	ut_run_work();
	for (k = 0; k < 40; k += 3) {
		shim_fault_inject(1, SHIM_FAULT_STICKY);
		assert_int_equal(kv_del(t, &m, k), 0);
		assert_int_equal(kv_del(t, &m, k), -ENOENT);
		shim_fault_inject(0, 0);
	}
	kv_check(t, &m);
	shim_fault_inject(1, SHIM_FAULT_STICKY);
	assert_int_equal(cmap_clear(t), 0);
	shim_fault_inject(0, 0);
	ut_model_clear(&m);
	kv_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * 7. Torn reads: a writer deletes keys of one bucket and inserts others
 * into the slots they leave, while a reader looks keys up; a value that
 * comes back must be its key's (f(key)), never one of another key that
 * took the slot meanwhile.  (Without the second look at the tag word in
 * cmap_kv_bucket_lookup(), the rcu run sees a few such values a second on
 * two CPUs.  One reader: the writer and it each keep a CPU.)  The keys
 * share their tag too, so that a slot emptied and refilled leaves the
 * tags as they were: only the count that the clearing bumps
 * (cmap_slot_clear()) tells the reader.  UT_TORN_MS sets the time.
 */
#define TORN_KEYS	8

struct torn {
	struct cmap *t;
	u64 keys[TORN_KEYS];
	bool stop;
	long writes, errors;
	long hits, bad;
	u64 bad_key, bad_val;
};

static u64 torn_val(u64 key)
{
	return key * GOLDEN;
}

/* Head bucket *arg at order 8, and tag 0x33. */
static bool torn_key(u32 hash, void *arg)
{
	return has_top8(hash, arg) && cmap_tag(hash) == 0x33;
}

static void *torn_writer(void *arg)
{
	struct torn *w = arg;
	bool present[TORN_KEYS] = {};
	u32 seed = 12345;
	unsigned int i;
	long n = 0;
	u64 v;

	shim_thread_start("torn-w");
	for (i = 0; i < TORN_KEYS / 2; i++)
		present[i] = true;
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		unsigned int d, a;

		/* delete a present key, insert an absent one in its slot */
		seed = seed * 1103515245 + 12345;
		d = (seed >> 16) % TORN_KEYS;
		while (!present[d])
			d = (d + 1) % TORN_KEYS;
		a = (seed >> 8) % TORN_KEYS;
		while (present[a])
			a = (a + 1) % TORN_KEYS;
		if (cmap_delete(w->t, &w->keys[d], 8))
			w->errors++;
		present[d] = false;
		v = torn_val(w->keys[a]);
		if (cmap_put(w->t, &w->keys[a], 8, &v, 8, CMAP_INSERT))
			w->errors++;
		present[a] = true;
		n++;
	}
	__atomic_store_n(&w->writes, n, __ATOMIC_RELAXED);
	shim_thread_stop();
	return NULL;
}

static void *torn_reader(void *arg)
{
	struct torn *w = arg;
	long hits = 0, bad = 0;
	unsigned int i;

	shim_thread_start("torn-r");
	while (!__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		for (i = 0; i < TORN_KEYS; i++) {
			bool found;
			u64 v;

			rcu_read_lock();
			found = cmap_kv_lookup(w->t, &w->keys[i], 8, &v);
			rcu_read_unlock();
			if (!found)
				continue;
			hits++;
			if (v != torn_val(w->keys[i]) && !bad++) {
				w->bad_key = w->keys[i];
				w->bad_val = v;
			}
		}
	}
	__atomic_fetch_add(&w->hits, hits, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->bad, bad, __ATOMIC_RELAXED);
	shim_thread_stop();
	return NULL;
}

static void torn_reads(void **state)
{
	u32 mode = MODE(state);
	/* RCU lookups race writers for real: there the test runs longest */
	u64 ns = mode == CMAP_SYNC_RCU ? 1000000000ULL : 200000000ULL;
	struct torn *w = calloc(1, sizeof(*w));
	pthread_t wr, rd[1];
	u32 top = 0x5c;
	unsigned int i;

	assert_non_null(w);
	if (getenv("UT_TORN_MS"))
		ns = strtoull(getenv("UT_TORN_MS"), NULL, 0) * 1000000ULL;
	w->t = kv_create(mode, 0);
	ut_find_keys(w->t, 1, torn_key, &top, w->keys, TORN_KEYS);
	for (i = 0; i < TORN_KEYS / 2; i++)
		assert_int_equal(cmap_put(w->t, &w->keys[i], 8,
					  &(u64){ torn_val(w->keys[i]) }, 8,
					  CMAP_INSERT), 0);
	for (i = 0; i < ARRAY_SIZE(rd); i++)
		assert_int_equal(pthread_create(&rd[i], NULL, torn_reader, w),
				 0);
	assert_int_equal(pthread_create(&wr, NULL, torn_writer, w), 0);
	usleep(ns / 1000);
	__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	pthread_join(wr, NULL);
	for (i = 0; i < ARRAY_SIZE(rd); i++)
		pthread_join(rd[i], NULL);
	print_message("# torn_reads/%s: %ld writes, %ld hits, %ld bad\n",
		      ut_sync_names[mode], w->writes, w->hits, w->bad);
	if (w->bad)
		fail_msg("%ld lookups returned another key's value (key %#llx: %#llx, want %#llx)",
			 w->bad, (unsigned long long)w->bad_key,
			 (unsigned long long)w->bad_val,
			 (unsigned long long)torn_val(w->bad_key));
	assert_int_equal(w->errors, 0);
	assert_true(w->writes > 0);
	assert_true(w->hits > 0);
	assert_int_equal(ut_entries(w->t), TORN_KEYS / 2);
	ut_destroy(w->t);
	free(w);
}

/*
 * Lookups racing resizes for real: the worker runs in its own thread and
 * grows and shrinks the table under a writer's inserts and deletes, while
 * a reader looks up keys present throughout: each is found every time,
 * with its value (migration publishes an entry in the new array before it
 * clears it from the old one).
 */
#define STABLE_KEYS	200

struct stable {
	struct cmap *t;
	bool stop;
	long lookups, misses, bad;
};

static void *stable_reader(void *arg)
{
	struct stable *r = arg;
	long lookups = 0, misses = 0, bad = 0;
	u64 k;

	shim_thread_start("stable-r");
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		for (k = 0; k < STABLE_KEYS; k++) {
			bool found;
			u64 v;

			rcu_read_lock();
			found = cmap_kv_lookup(r->t, &k, 8, &v);
			rcu_read_unlock();
			lookups++;
			if (!found)
				misses++;
			else if (v != kv_val(k, 1))
				bad++;
		}
	}
	r->lookups = lookups;
	r->misses = misses;
	r->bad = bad;
	shim_thread_stop();
	return NULL;
}

static void resize_under_readers(void **state)
{
	u32 mode = MODE(state);
	struct stable *r = calloc(1, sizeof(*r));
	u64 deadline, k, from, rounds = 0;
	struct cmap_table_stats st;
	pthread_t th;

	assert_non_null(r);
	r->t = kv_create(mode, 0);
	put_range(r->t, NULL, 0, STABLE_KEYS, 1);
	shim_wq_resume();			/* the worker thread runs */
	assert_int_equal(pthread_create(&th, NULL, stable_reader, r), 0);
	deadline = ktime_get_ns() +
		   (mode == CMAP_SYNC_RCU ? 500000000ULL : 200000000ULL);
	do {
		from = 1000 + (rounds % 4) * 2000;
		/* up to 64 then 512 buckets, and back */
		for (k = from; k < from + 1500; k++)
			assert_int_equal(cmap_put(r->t, &k, 8, &k, 8,
						  CMAP_INSERT), 0);
		for (k = from; k < from + 1500; k++)
			assert_int_equal(cmap_delete(r->t, &k, 8), 0);
		rounds++;
	} while (ktime_get_ns() < deadline);
	__atomic_store_n(&r->stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	shim_wq_drain();
	shim_wq_pause();
	cmap_stats(r->t, &st);
	print_message("# resize_under_readers/%s: %llu rounds, %llu resizes, %ld lookups\n",
		      ut_sync_names[mode], (unsigned long long)rounds,
		      (unsigned long long)st.resizes, r->lookups);
	if (r->misses || r->bad)
		fail_msg("keys present throughout: %ld misses, %ld wrong values",
			 r->misses, r->bad);
	assert_true(st.resizes >= 2);
	assert_true(r->lookups > 0);
	assert_int_equal(st.entries, STABLE_KEYS);
	for (k = 0; k < STABLE_KEYS; k++) {
		u64 v;

		assert_true(kv_get(r->t, k, &v));
		assert_int_equal(v, kv_val(k, 1));
	}
	ut_destroy(r->t);
	free(r);
}

int main(void)
{
	const struct CMUnitTest all_modes[] = {
		cmocka_unit_test(put_modes),
		cmocka_unit_test(bad_lengths),
		cmocka_unit_test(unaligned_buffers),
		cmocka_unit_test(grow_shrink_thresholds),
		cmocka_unit_test(grow_behind_in_one_step),
		cmocka_unit_test(size_hint_doubled),
		cmocka_unit_test(iter_collisions),
		cmocka_unit_test(iter_enomem_and_stop),
		cmocka_unit_test(overflow_chain_reuse),
		cmocka_unit_test(limits),
		cmocka_unit_test(clear_and_destroy),
		cmocka_unit_test(fault_delete_clear),
		cmocka_unit_test(torn_reads),
		cmocka_unit_test(resize_under_readers),
	};
	/* Migrations stopped part way, and allocation-free writes: the
	 * modes whose resizes go through the worker. */
	const struct CMUnitTest worker_modes[] = {
		cmocka_unit_test(grow_half_done),
		cmocka_unit_test(shrink_half_done),
		cmocka_unit_test(clear_half_done),
		cmocka_unit_test(migration_needs_spares),
		cmocka_unit_test(shrink_needs_spares),
		cmocka_unit_test(iter_across_resizes),
		cmocka_unit_test(flood_refused),
		cmocka_unit_test(fault_put_only_overflow),
	};
	const struct ut_suite suites[] = {
		{ all_modes, ARRAY_SIZE(all_modes), UT_ALL_MODES },
		{ worker_modes, ARRAY_SIZE(worker_modes), UT_WORKER_MODES },
	};

	return ut_run("inline", suites, ARRAY_SIZE(suites));
}
