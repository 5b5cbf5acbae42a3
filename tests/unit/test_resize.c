// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of resizing: the grow and shrink thresholds, the size hint's
 * minimum, operations while a migration is half done (the resize worker
 * stopped between buckets by the cond_resched() hook, or blocked there in
 * its own thread), iteration across resizes, migration that needs
 * overflow buckets, and a resize that cannot allocate.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "unit_util.h"

#define MODE(state)	(*(u32 *)*(state))

static void put_range(struct cmap *t, struct ut_model *m, u64 from, u64 to,
		      u64 version)
{
	u64 k;

	for (k = from; k < to; k++) {
		u8 val[16];

		assert_int_equal(ut_put64(t, k, version, CMAP_UPSERT), 0);
		if (m) {
			ut_val64(k, version, val);
			ut_model_put(m, &k, 8, val, 16, CMAP_UPSERT);
		}
	}
}

static void del_range(struct cmap *t, struct ut_model *m, u64 from, u64 to)
{
	u64 k;

	for (k = from; k < to; k++) {
		assert_int_equal(ut_del64(t, k), 0);
		if (m)
			ut_model_del(m, &k, 8);
	}
}

/*
 * Settle: in worker modes, a resize happens only when the work runs; in
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

/* Grow above 6.5 entries per head bucket, doubling the array. */
static void grow_at_threshold(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = ut_create(mode, 0);
	unsigned long rs0 = shim_trace_resize_start, re0 = shim_trace_resize_end;
	struct cmap_table_stats st;

	assert_int_equal(ut_buckets(t), 4);
	put_range(t, NULL, 0, 26, 1);		/* 6.5 per bucket: stays */
	if (mode != CMAP_SYNC_COW)		/* cow queues its frees */
		assert_int_equal(shim_wq_nr_pending(), 0);
	expect_buckets(t, mode, 4, 4);
	put_range(t, NULL, 26, 27, 1);		/* 27 > 26: grow */
	if (mode != CMAP_SYNC_COW)
		assert_int_equal(shim_wq_nr_pending(), 1);
	expect_buckets(t, mode, 4, 8);		/* one doubling */
	put_range(t, NULL, 27, 52, 1);		/* 6.5 * 8: stays */
	expect_buckets(t, mode, 8, 8);
	put_range(t, NULL, 52, 53, 1);
	expect_buckets(t, mode, 8, 16);
	cmap_stats(t, &st);
	assert_int_equal(st.resizes, 2);
	if (mode != CMAP_SYNC_COW) {
		assert_int_equal(shim_trace_resize_start - rs0, 2);
		assert_int_equal(shim_trace_resize_end - re0, 2);
	}
	for (u64 k = 0; k < 53; k++)
		assert_int_equal(ut_get64(t, k, NULL), 1);
	ut_destroy(t);
}

/*
 * A worker that runs late (here: after 1000 puts into 4 buckets) grows in
 * one migration straight to the order the count needs, 6.5 * 128 < 1000
 * <= 6.5 * 256, not in one per doubling.  (Copy-on-write writes resize
 * themselves, a doubling whenever one is due.)
 */
static void grow_behind_in_one_step(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = ut_create(mode, 0);
	unsigned long rs0 = shim_trace_resize_start;
	struct cmap_table_stats st;

	put_range(t, NULL, 0, 1000, 1);
	expect_buckets(t, mode, 4, 256);
	cmap_stats(t, &st);
	assert_int_equal(st.resizes, mode == CMAP_SYNC_COW ? 6 : 1);
	if (mode != CMAP_SYNC_COW)
		assert_int_equal(shim_trace_resize_start - rs0, 1);
	for (u64 k = 0; k < 1000; k++)
		assert_int_equal(ut_get64(t, k, NULL), 1);
	ut_destroy(t);
}

/*
 * One resize doubles as often as the count asks; shrink below 0.5 entries
 * per head bucket, to at most 3.25 per bucket, never below the minimum.
 */
static void shrink_at_threshold(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = ut_create(mode, 0);

	put_range(t, NULL, 0, 105, 1);
	ut_run_work();
	assert_int_equal(ut_buckets(t), 32);	/* 105 > 6.5 * 16 */
	del_range(t, NULL, 16, 105);		/* 16 = 32 / 2: stays */
	expect_buckets(t, mode, 32, 32);
	del_range(t, NULL, 15, 16);		/* 15 < 16: shrink */
	expect_buckets(t, mode, 32, 8);		/* 15 <= 3.25 * 8 */
	del_range(t, NULL, 4, 15);		/* 4 = 8 / 2: stays */
	expect_buckets(t, mode, 8, 8);
	del_range(t, NULL, 3, 4);
	expect_buckets(t, mode, 8, 4);
	del_range(t, NULL, 0, 3);
	expect_buckets(t, mode, 4, 4);		/* the minimum */
	assert_int_equal(ut_entries(t), 0);
	ut_destroy(t);
}

/* The size hint sets the first and the smallest array. */
static void size_hint_minimum(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = ut_create(mode, 1000);	/* 1000 <= 3.25 * 512 */

	assert_int_equal(ut_buckets(t), 512);
	put_range(t, NULL, 0, 3328, 1);		/* 6.5 * 512 */
	expect_buckets(t, mode, 512, 512);
	put_range(t, NULL, 3328, 3329, 1);
	expect_buckets(t, mode, 512, 1024);
	del_range(t, NULL, 0, 3329);
	expect_buckets(t, mode, 1024, 512);
	ut_destroy(t);

	/* A hint beyond max_entries: the minimum is the maximum order,
	 * which max_entries sets (100 <= 3.25 * 32, one order more). */
	t = ut_create_limits(mode, 100000, 100, 1 << 20);
	assert_int_equal(ut_buckets(t), 64);
	put_range(t, NULL, 0, 100, 1);
	assert_int_equal(ut_put64(t, 100, 1, CMAP_INSERT), -ENOSPC);
	del_range(t, NULL, 0, 100);
	expect_buckets(t, mode, 64, 64);
	ut_destroy(t);
}


/* Every kind of operation on a half-migrated table. */
static void ops_mid_migration(struct ut_mig *mg)
{
	struct cmap *t = mg->t;
	struct ut_model *m = mg->m;
	u64 k, base = mg->arg;

	/* The worker's buckets only: no writer helped yet. */
	assert_int_equal(mg->evacuated, mg->at);
	ut_check(t, m);
	/* Replace, delete and insert across evacuated and unevacuated
	 * buckets; every write also migrates a bucket. */
	for (k = 0; k < base; k += 5) {
		u8 val[16];

		assert_int_equal(ut_put64(t, k, 2, CMAP_REPLACE), 0);
		ut_val64(k, 2, val);
		ut_model_put(m, &k, 8, val, 16, CMAP_REPLACE);
		assert_int_equal(ut_put64(t, k, 3, CMAP_INSERT), -EEXIST);
	}
	ut_check(t, m);
	for (k = 1; k < base; k += 7) {
		assert_int_equal(ut_del64(t, k), 0);
		ut_model_del(m, &k, 8);
		assert_int_equal(ut_del64(t, k), -ENOENT);
	}
	ut_check(t, m);
	put_range(t, m, base, base + 40, 4);
	assert_int_equal(ut_put64(t, base + 1000, 1, CMAP_REPLACE), -ENOENT);
	/* Still the old array; the migration is not finished. */
	assert_true(ut_resizing(t));
	assert_int_equal(ut_buckets(t), mg->old_buckets);
	assert_true(ut_nr_evacuated(t) > mg->evacuated);
	ut_check(t, m);
}

static void grow_half_done(void **state)
{
	struct cmap *t = ut_create(MODE(state), 150);	/* 64 buckets */
	struct ut_mig mg = { .t = t, .at = 20, .fn = ops_mid_migration };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	mg.arg = 417;
	assert_int_equal(ut_buckets(t), 64);
	put_range(t, &m, 0, 417, 1);		/* > 6.5 * 64: grow to 128 */
	ut_run_migration(&mg);
	assert_int_equal(mg.old_buckets, 64);
	assert_int_equal(ut_buckets(t), 128);
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

static void shrink_half_done(void **state)
{
	struct cmap *t = ut_create(MODE(state), 0);
	struct ut_mig mg = { .t = t, .at = 100, .fn = ops_mid_migration };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	put_range(t, &m, 0, 1665, 1);		/* > 6.5 * 256 */
	ut_run_work();
	assert_int_equal(ut_buckets(t), 512);
	del_range(t, &m, 200, 1665);		/* < 256: shrink to 64 */
	mg.arg = 200;
	ut_run_migration(&mg);
	assert_int_equal(mg.old_buckets, 512);
	assert_int_equal(ut_buckets(t), 64);	/* 200 <= 3.25 * 64 */
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

static void clear_mid_migration(struct ut_mig *mg)
{
	assert_int_equal(cmap_clear(mg->t), 0);
	ut_model_clear(mg->m);
	ut_check(mg->t, mg->m);
	put_range(mg->t, mg->m, 5000, 5010, 1);
	ut_check(mg->t, mg->m);
}

static void clear_half_done(void **state)
{
	struct cmap *t = ut_create(MODE(state), 0);
	struct ut_mig mg = { .t = t, .at = 30, .fn = clear_mid_migration };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	put_range(t, &m, 0, 417, 1);
	ut_run_work();				/* 128 buckets */
	put_range(t, &m, 417, 1665, 1);		/* grow to 256, then 512 */
	ut_run_migration(&mg);
	ut_check(t, &m);
	ut_run_work();				/* 10 entries: shrink */
	assert_int_equal(ut_buckets(t), 4);
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * The same with real threads: the worker thread blocks in cond_resched()
 * while this thread works on the table, then finishes the migration.
 */
struct blocker {
	struct cmap *t;
	sem_t stopped, go;
	unsigned int at, calls;
};

static void block_hook(void *arg, struct work_struct *work)
{
	struct blocker *b = arg;

	if (work != &b->t->resize_work || ++b->calls != b->at)
		return;
	sem_post(&b->stopped);
	sem_wait(&b->go);
}

static void grow_half_done_threaded(void **state)
{
	struct cmap *t = ut_create(MODE(state), 150);
	struct blocker b = { .t = t, .at = 10 };
	struct ut_model m;
	u64 k;

	ut_model_init(&m);
	sem_init(&b.stopped, 0, 0);
	sem_init(&b.go, 0, 0);
	put_range(t, &m, 0, 417, 1);
	shim_set_resched_hook(block_hook, &b);
	shim_wq_resume();			/* the worker thread starts */
	sem_wait(&b.stopped);
	assert_true(ut_resizing(t));
	assert_int_equal(ut_nr_evacuated(t), 10);
	ut_check(t, &m);
	for (k = 0; k < 417; k += 3) {
		assert_int_equal(ut_del64(t, k), 0);
		ut_model_del(&m, &k, 8);
	}
	put_range(t, &m, 1000, 1100, 2);
	ut_check(t, &m);
	sem_post(&b.go);
	shim_wq_drain();
	shim_wq_pause();
	shim_set_resched_hook(NULL, NULL);
	assert_false(ut_resizing(t));
	assert_int_equal(ut_buckets(t), 128);
	ut_check(t, &m);
	sem_destroy(&b.stopped);
	sem_destroy(&b.go);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * Iteration across resizes: a key present from the first call to the last
 * is returned exactly once, whatever grows and shrinks in between, even
 * when calls land in the middle of a migration.
 */
struct it {
	struct cmap *t;
	u64 cursor;
	unsigned int seen[4000];
	unsigned int calls;
	bool take_one_done;
};

static int take_one(void *arg, const struct cmap_elem *const *elems,
		    unsigned int n)
{
	struct it *it = arg;
	unsigned int i;
	u64 k;

	if (it->take_one_done)
		return -EAGAIN;
	it->take_one_done = true;
	for (i = 0; i < n; i++) {
		memcpy(&k, cmap_elem_key(elems[i]), 8);
		assert_true(k < ARRAY_SIZE(it->seen));
		it->seen[k]++;
	}
	return 0;
}

static void iter_step(struct it *it)
{
	int ret;

	if (it->cursor == CMAP_ITER_END)
		return;
	it->take_one_done = false;
	ret = cmap_iter(it->t, &it->cursor, take_one, it);
	assert_true(ret == 1 || ret == 2 || (ret == 0 &&
					     it->cursor == CMAP_ITER_END));
	it->calls++;
}

static void iter_mid_migration(struct ut_mig *mg)
{
	struct it *it = (struct it *)(uintptr_t)mg->arg;
	unsigned int i;

	for (i = 0; i < 5; i++)
		iter_step(it);
}

static void iter_across_resizes(void **state)
{
	u32 mode = MODE(state);
	struct cmap *t = ut_create(mode, 0);
	struct it *it = calloc(1, sizeof(*it));
	unsigned int step, i;
	u64 k;

	assert_non_null(it);
	it->t = t;
	put_range(t, NULL, 0, 300, 1);		/* the stable keys */
	ut_run_work();
	for (step = 0; it->cursor != CMAP_ITER_END; step++) {
		struct ut_mig mg = { .t = t, .at = 3, .fn = iter_mid_migration,
				  .arg = (uintptr_t)it, .optional = true };

		assert_true(step < 100000);
		iter_step(it);
		switch (step % 6) {
		case 0:			/* grow */
			put_range(t, NULL, 1000 + (step % 3) * 1000,
				  1000 + (step % 3) * 1000 + 900, step);
			break;
		case 1:
			if (!shim_wq_nr_pending())
				break;
			ut_run_migration(&mg);
			break;
		case 2:
			ut_run_work();
			break;
		case 3:			/* shrink */
			for (k = 1000 + (step % 3) * 1000;
			     k < 1000 + (step % 3) * 1000 + 900; k++)
				ut_del64(t, k);
			break;
		case 4:
			if (!shim_wq_nr_pending())
				break;
			ut_run_migration(&mg);
			break;
		default:
			put_range(t, NULL, 0, 300, step);	/* replace */
			break;
		}
	}
	assert_true(it->calls > 100);
	assert_true(ut_entries(t) >= 300);
	for (i = 0; i < 300; i++)
		if (it->seen[i] != 1)
			fail_msg("stable key %u returned %u times", i,
				 it->seen[i]);
	for (i = 300; i < ARRAY_SIZE(it->seen); i++)
		assert_true(it->seen[i] <= 1);
	free(it);
	ut_destroy(t);
}

/*
 * Keys crowding one bucket at every order up to 8 (the same top 8 hash
 * bits, 0x1a): bucket 1 of a 16-bucket array, and one bucket of the
 * 32-bucket array it grows to, so migrating it needs overflow buckets.
 */
struct top8 {
	u32 top;
};

static bool has_top8(u32 hash, void *arg)
{
	return ut_idx(hash, 8) == ((struct top8 *)arg)->top;
}

static bool not_top4(u32 hash, void *arg)
{
	return ut_idx(hash, 4) != ((struct top8 *)arg)->top >> 4;
}

static void crowd(struct cmap *t, struct ut_model *m, u64 *keys,
		  unsigned int n)
{
	struct top8 top = { 0x1a };
	unsigned int i;
	u64 fill[90];

	ut_find_keys(t, 1, has_top8, &top, keys, n);
	for (i = 0; i < n; i++) {
		u8 val[16];

		assert_int_equal(ut_put64(t, keys[i], 1, CMAP_INSERT), 0);
		ut_val64(keys[i], 1, val);
		ut_model_put(m, &keys[i], 8, val, 16, CMAP_INSERT);
	}
	/* Fill other buckets past 6.5 per bucket: a grow to 32 is due. */
	ut_find_keys(t, 1ULL << 40, not_top4, &top, fill, ARRAY_SIZE(fill));
	for (i = 0; i < ARRAY_SIZE(fill); i++) {
		u8 val[16];

		assert_int_equal(ut_put64(t, fill[i], 1, CMAP_INSERT), 0);
		ut_val64(fill[i], 1, val);
		ut_model_put(m, &fill[i], 8, val, 16, CMAP_INSERT);
	}
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

struct crowd_ctx {
	u64 keys[20];
	u64 other;
	u64 fresh;		/* crowds bucket 1 too, not inserted */
	int err;
	int err_fresh;
	unsigned int fail_nth;
};

/* Delete @key with every allocation failing: it needs none. */
static void crowd_delete(struct ut_mig *mg, u64 key)
{
	shim_fault_inject(1, 0);
	assert_int_equal(ut_del64(mg->t, key), 0);
	assert_int_equal(shim_fault_hits(), 0);
	shim_fault_inject(0, 0);
	ut_model_del(mg->m, &key, 8);
	ut_check_lookups(mg->t, mg->m);
}

/*
 * At the worker's first stop (bucket 0 migrated): a write to another
 * bucket migrates its own bucket and, as its share, bucket 1 (the crowded
 * one) without spare buckets, so it stops half way.
 */
static void crowd_mid_migration(struct ut_mig *mg)
{
	struct crowd_ctx *c = (struct crowd_ctx *)(uintptr_t)mg->arg;
	struct cmap_tbl *tbl;
	unsigned int moved = 0, i;
	int first_moved = -1, first_kept = -1;
	u8 val[16];

	assert_int_equal(mg->evacuated, 1);
	assert_int_equal(ut_put64(mg->t, c->other, 2, CMAP_UPSERT), 0);
	ut_val64(c->other, 2, val);
	ut_model_put(mg->m, &c->other, 8, val, 16, CMAP_UPSERT);
	/* Bucket 1: some elements moved, not evacuated. */
	rcu_read_lock();
	tbl = rcu_dereference(mg->t->tbl);
	assert_int_equal(READ_ONCE(tbl->heads[1].evacuated), 0);
	for (i = 0; i < ARRAY_SIZE(c->keys); i++) {
		struct cmap_tbl *nt = rcu_dereference(tbl->future);
		struct cmap_head *h = &nt->heads[ut_idx(cmap_hash(mg->t,
							&c->keys[i], 8), nt->order)];
		struct cmap_bucket *b;
		unsigned int s, here = 0;

		for (b = &h->b; b; b = rcu_dereference(b->overflow))
			for (s = 0; s < CMAP_SLOTS; s++) {
				struct cmap_elem *e = rcu_dereference(b->slots[s]);

				here += e && !memcmp(cmap_elem_key(e),
						     &c->keys[i], 8);
			}
		moved += here;
		if (here && first_moved < 0)
			first_moved = i;
		else if (!here && first_kept < 0)
			first_kept = i;
	}
	rcu_read_unlock();
	assert_int_equal(moved, CMAP_SLOTS);	/* the first new bucket */
	ut_check_lookups(mg->t, mg->m);

	/*
	 * Writes to crowded keys: a replacement (of a key still in bucket 1)
	 * and deletions (of a key still there and of one already moved) work
	 * where the key is, allocating nothing; a new key needs bucket 1
	 * migrated, with spares it allocates (or fails to: then nothing
	 * changes).
	 */
	if (c->fail_nth)
		shim_fault_inject(c->fail_nth, 0);
	c->err = ut_put64(mg->t, c->keys[first_kept], 7, CMAP_REPLACE);
	shim_fault_inject(0, 0);
	if (!c->err) {
		ut_val64(c->keys[first_kept], 7, val);
		ut_model_put(mg->m, &c->keys[first_kept], 8, val, 16,
			     CMAP_REPLACE);
	}
	if (!c->fail_nth) {
		ut_check(mg->t, mg->m);
		return;
	}
	ut_check_lookups(mg->t, mg->m);
	crowd_delete(mg, c->keys[first_moved]);
	crowd_delete(mg, c->keys[ARRAY_SIZE(c->keys) - 1]);
	/* An iteration reads bucket 1 where it is, allocating nothing. */
	shim_fault_inject(1, 0);
	ut_check(mg->t, mg->m);
	assert_int_equal(shim_fault_hits(), 0);
	shim_fault_inject(0, 0);
	rcu_read_lock();
	assert_int_equal(READ_ONCE(tbl->heads[1].evacuated), 0);
	rcu_read_unlock();
	shim_fault_inject(c->fail_nth, 0);
	c->err_fresh = ut_put64(mg->t, c->fresh, 1, CMAP_INSERT);
	shim_fault_inject(0, 0);
	ut_check(mg->t, mg->m);
}

static void migration_needs_spares(void **state)
{
	struct cmap *t = ut_create(MODE(state), 40);	/* 16 buckets */
	struct crowd_ctx c = {};
	struct ut_mig mg = { .t = t, .at = 1, .fn = crowd_mid_migration,
			  .arg = (uintptr_t)&c };
	struct top8 top = { 0x1a };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	assert_int_equal(ut_buckets(t), 16);
	crowd(t, &m, c.keys, ARRAY_SIZE(c.keys));
	assert_int_equal(chain_len(t, 1), 3);
	/* "other": bucket 3, migrated by its writer before bucket 1. */
	top.top = 0x30;
	ut_find_keys(t, 1ULL << 50, has_top8, &top, &c.other, 1);
	ut_run_migration(&mg);
	assert_int_equal(c.err, 0);
	assert_int_equal(ut_buckets(t), 32);
	assert_int_equal(chain_len(t, 0x1a >> 3), 3);
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * The same, with the writer's spare allocation failing: replacing and
 * deleting crowded keys need no spares; inserting one does, and fails.
 */
static void migration_spares_fail(void **state)
{
	struct cmap *t = ut_create(MODE(state), 40);
	struct crowd_ctx c = { .fail_nth = 2 };	/* 1: the element */
	struct ut_mig mg = { .t = t, .at = 1, .fn = crowd_mid_migration,
			  .arg = (uintptr_t)&c };
	struct top8 top = { 0x30 };
	struct ut_model m;

	ut_model_init(&m);
	mg.m = &m;
	crowd(t, &m, c.keys, ARRAY_SIZE(c.keys));
	ut_find_keys(t, 1ULL << 50, has_top8, &top, &c.other, 1);
	top.top = 0x1a;
	ut_find_keys(t, 1ULL << 52, has_top8, &top, &c.fresh, 1);
	ut_run_migration(&mg);
	assert_int_equal(c.err, 0);
	assert_int_equal(c.err_fresh, -ENOMEM);
	assert_int_equal(ut_buckets(t), 32);	/* the worker finished */
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * A shrink merges the old buckets 0..7 of 32 into new bucket 0 of 4: the
 * worker moves bucket 0's seven keys there, and migrating bucket 1's three
 * then needs an overflow bucket after the first.  Deletes there, with
 * every allocation failing, work in place: in the old chain, and in the
 * new bucket (locked nested) for the key already moved.
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

/* Whether @key is in the chain of head @idx of @t's future array. */
static bool in_future_head(struct cmap *t, u32 idx, u64 key)
{
	struct cmap_bucket *b;
	bool found = false;
	unsigned int s;

	rcu_read_lock();
	b = &rcu_dereference(rcu_dereference(t->tbl)->future)->heads[idx].b;
	for (; b; b = rcu_dereference(b->overflow))
		for (s = 0; s < CMAP_SLOTS; s++) {
			struct cmap_elem *e = rcu_dereference(b->slots[s]);

			found |= e && !memcmp(cmap_elem_key(e), &key, 8);
		}
	rcu_read_unlock();
	return found;
}

static bool bucket1_evacuated(struct cmap *t)
{
	bool ev;

	rcu_read_lock();
	ev = READ_ONCE(rcu_dereference(t->tbl)->heads[1].evacuated);
	rcu_read_unlock();
	return ev;
}

static void shrink_mid_migration(struct ut_mig *mg)
{
	u64 *b1 = (u64 *)(uintptr_t)mg->arg;

	assert_int_equal(mg->evacuated, 1);
	assert_int_equal(ut_buckets(mg->t), 32);
	/* in the old chain; b1[0] moves, b1[1] finds new bucket 0 full */
	crowd_delete(mg, b1[2]);
	assert_false(bucket1_evacuated(mg->t));
	assert_true(in_future_head(mg->t, 0, b1[0]));
	/* in the new bucket */
	crowd_delete(mg, b1[0]);
	assert_false(in_future_head(mg->t, 0, b1[0]));
	assert_false(bucket1_evacuated(mg->t));
	crowd_delete(mg, b1[1]);
	ut_check(mg->t, mg->m);
}

static void shrink_spares_fail(void **state)
{
	struct cmap *t = ut_create(MODE(state), 0);
	u64 b0[7], b1[3], fill[120], *all[] = { b0, b1, fill };
	unsigned int n[] = { 7, 3, 120 }, i, j;
	struct ut_mig mg = { .t = t, .at = 1, .fn = shrink_mid_migration,
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
		for (j = 0; j < n[i]; j++) {
			u8 val[16];

			assert_int_equal(ut_put64(t, all[i][j], 1, CMAP_INSERT),
					 0);
			ut_val64(all[i][j], 1, val);
			ut_model_put(&m, &all[i][j], 8, val, 16, CMAP_INSERT);
		}
	while (shim_wq_nr_pending())
		ut_run_work();
	assert_int_equal(ut_buckets(t), 32);
	for (j = 0; j < ARRAY_SIZE(fill); j++) {
		assert_int_equal(ut_del64(t, fill[j]), 0);
		ut_model_del(&m, &fill[j], 8);
	}
	ut_run_migration(&mg);
	assert_int_equal(ut_buckets(t), 4);
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * A resize that cannot allocate its array: a warning, no change, chains
 * grow instead; writes ask again once the count moved on (not on every
 * write), and that resize succeeds.
 */
static void rehash_alloc_fails(void **state)
{
	struct cmap *t = ut_create(MODE(state), 0);
	unsigned long warns = shim_printk_warnings();
	struct cmap_table_stats st;
	struct ut_model m;

	ut_model_init(&m);
	put_range(t, &m, 0, 27, 1);
	shim_set_quiet(true);
	shim_fault_inject(1, 0);
	ut_run_work();
	assert_int_equal(shim_fault_hits(), 1);
	shim_set_quiet(false);
	assert_int_equal(shim_printk_warnings(), warns + 1);
	assert_int_equal(ut_buckets(t), 4);
	/* Near the count that failed, writes do not wake the worker... */
	put_range(t, &m, 27, 29, 1);
	assert_int_equal(shim_wq_nr_pending(), 0);
	/* ...once it moved on, they do; chains grow meanwhile. */
	put_range(t, &m, 29, 60, 1);
	assert_int_equal(shim_wq_nr_pending(), 1);
	cmap_stats(t, &st);
	assert_true(st.overflow_buckets > 0);
	assert_int_equal(st.resizes, 0);
	ut_check(t, &m);
	ut_run_work();
	assert_int_equal(ut_buckets(t), 16);	/* 60 > 6.5 * 8 */
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* A table destroyed with a resize pending: the work is cancelled. */
static void destroy_with_resize_pending(void **state)
{
	struct cmap *t = ut_create(MODE(state), 0);

	put_range(t, NULL, 0, 27, 1);
	assert_int_equal(shim_wq_nr_pending(), 1);
	ut_destroy(t);
	assert_int_equal(shim_wq_nr_pending(), 0);
}

/*
 * A write's after-write step reads the bucket array it wrote to after
 * leaving the RCU read-side critical section; a resize that completes in
 * between has freed that array.  Here the resize runs right after the
 * write's rcu_read_unlock(); ASan reports a use after free if the core
 * touches the old array after that point.
 */
static void resize_between_write_and_after_write_hook(void)
{
	shim_set_rcu_unlock_hook(NULL);
	ut_run_work();
}

static bool in_bucket(u32 hash, void *arg)
{
	return ut_idx(hash, CMAP_MIN_ORDER) == *(u32 *)arg;
}

static void write_then_resize_completes(void **state)
{
	struct cmap *t = ut_create(MODE(state), 0);
	unsigned int count[1 << CMAP_MIN_ORDER] = {};
	u32 emptiest = 0, i;
	u64 k;

	put_range(t, NULL, 0, 27, 1);		/* a grow is pending */
	assert_int_equal(shim_wq_nr_pending(), 1);
	/* A new key whose bucket has a free slot: the put takes one pass. */
	for (k = 0; k < 27; k++)
		count[ut_idx(cmap_hash(t, &k, 8), CMAP_MIN_ORDER)]++;
	for (i = 1; i < ARRAY_SIZE(count); i++)
		if (count[i] < count[emptiest])
			emptiest = i;
	assert_true(count[emptiest] < CMAP_SLOTS);
	ut_find_keys(t, 1000, in_bucket, &emptiest, &k, 1);
	shim_set_rcu_unlock_hook(resize_between_write_and_after_write_hook);
	assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	shim_set_rcu_unlock_hook(NULL);
	assert_int_equal(ut_buckets(t), 8);
	assert_int_equal(ut_get64(t, k, NULL), 1);
	ut_destroy(t);
}

int main(void)
{
	const struct CMUnitTest all_modes[] = {
		cmocka_unit_test(grow_at_threshold),
		cmocka_unit_test(grow_behind_in_one_step),
		cmocka_unit_test(shrink_at_threshold),
	};
	/* Not copy-on-write: thousands of writes each copying the table
	 * cost seconds and test nothing the others do not. */
	const struct CMUnitTest worker_modes[] = {
		cmocka_unit_test(size_hint_minimum),
		cmocka_unit_test(iter_across_resizes),
		cmocka_unit_test(grow_half_done),
		cmocka_unit_test(shrink_half_done),
		cmocka_unit_test(clear_half_done),
		cmocka_unit_test(grow_half_done_threaded),
		cmocka_unit_test(migration_needs_spares),
		cmocka_unit_test(migration_spares_fail),
		cmocka_unit_test(shrink_spares_fail),
		cmocka_unit_test(rehash_alloc_fails),
		cmocka_unit_test(destroy_with_resize_pending),
		cmocka_unit_test(write_then_resize_completes),
	};
	const struct ut_suite suites[] = {
		{ all_modes, ARRAY_SIZE(all_modes), UT_ALL_MODES },
		{ worker_modes, ARRAY_SIZE(worker_modes), UT_WORKER_MODES },
	};

	return ut_run("resize", suites, ARRAY_SIZE(suites));
}
