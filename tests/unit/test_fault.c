// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures at every allocation site: each failing operation
 * returns -ENOMEM (or, for a resize, leaves the table as it is) and changes
 * nothing; the operations around it go on as if it had never been tried;
 * nothing leaks.  The sweep arms the shim's allocator to fail the 1st, 2nd,
 * ... allocation of an operation (or of a whole sequence) until one run
 * gets through without an injected failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/unaligned.h>

#include "unit_util.h"

#define MODE(state)	(*(u32 *)*(state))

/* Fail the nth allocation of @op(@arg) for n = 1, 2, ...; see above. */
struct sweep {
	u32 mode;
	/* Build the table and the model, deterministic. */
	struct cmap *(*setup)(struct sweep *sw, struct ut_model *m);
	/* The operation; returns its error.  On success it updates @m. */
	int (*op)(struct sweep *sw, struct cmap *t, struct ut_model *m);
	u64 arg;
	int fail_err;		/* what a failing op returns (0: it works
				 * around the failure and succeeds) */
};

/* Returns the number of allocations that were made to fail. */
static unsigned int sweep(struct sweep *sw)
{
	unsigned int n, failed = 0;
	long live;

	ut_quiesce();
	live = shim_alloc_live();
	for (n = 1; ; n++) {
		unsigned long hits;
		struct ut_model m;
		struct cmap *t;
		int err;

		assert_true(n < 1000);
		ut_model_init(&m);
		t = sw->setup(sw, &m);
		ut_run_work();
		shim_fault_inject(n, 0);
		err = sw->op(sw, t, &m);
		hits = shim_fault_hits();
		shim_fault_inject(0, 0);
		if (!hits) {
			if (err)
				fail_msg("run %u without a failure returned %d",
					 n, err);
			ut_check(t, &m);
			ut_destroy(t);
			ut_model_free(&m);
			break;
		}
		if (err != sw->fail_err)
			fail_msg("allocation %u failed, the op returned %d", n,
				 err);
		ut_run_work();
		ut_check(t, &m);		/* unchanged */
		ut_destroy(t);
		ut_model_free(&m);
		ut_quiesce();
		if (shim_alloc_live() != live)
			fail_msg("failing allocation %u leaked %ld objects", n,
				 shim_alloc_live() - live);
		failed++;
	}
	return failed;
}

static void model_put64(struct ut_model *m, u64 k, u64 version)
{
	u8 val[16];

	ut_val64(k, version, val);
	ut_model_put(m, &k, 8, val, 16, CMAP_UPSERT);
}

static struct cmap *setup_small(struct sweep *sw, struct ut_model *m)
{
	struct cmap *t = ut_create(sw->mode, 0);
	u64 k;

	for (k = 0; k < 10; k++) {
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
		model_put64(m, k, 1);
	}
	return t;
}

static int op_put(struct sweep *sw, struct cmap *t, struct ut_model *m)
{
	int err = ut_put64(t, sw->arg, 2, CMAP_UPSERT);

	if (!err)
		model_put64(m, sw->arg, 2);
	return err;
}

static int op_delete(struct sweep *sw, struct cmap *t, struct ut_model *m)
{
	int err = ut_del64(t, sw->arg);

	if (!err)
		ut_model_del(m, &sw->arg, 8);
	return err;
}

static int op_clear(struct sweep *sw, struct cmap *t, struct ut_model *m)
{
	int err = cmap_clear(t);

	(void)sw;
	if (!err)
		ut_model_clear(m);
	return err;
}

/* PUT: insert (the element) and replace (the new element). */
static void put_insert_replace(void **state)
{
	struct sweep sw = { .mode = MODE(state), .setup = setup_small,
			    .op = op_put, .fail_err = -ENOMEM };

	/* The element; copy-on-write also allocates the new array. */
	unsigned int sites = MODE(state) == CMAP_SYNC_COW ? 2 : 1;

	sw.arg = 100;				/* insert */
	assert_int_equal(sweep(&sw), sites);
	sw.arg = 3;				/* replace */
	assert_int_equal(sweep(&sw), sites);
}

/* Keys of one head bucket of the first array. */
static bool in_bucket0(u32 hash, void *arg)
{
	(void)arg;
	return ut_idx(hash, CMAP_MIN_ORDER) == 0;
}

static struct cmap *setup_full_bucket(struct sweep *sw, struct ut_model *m)
{
	struct cmap *t = ut_create(sw->mode, 0);
	u64 keys[CMAP_SLOTS + 1];
	unsigned int i;

	ut_find_keys(t, 1, in_bucket0, NULL, keys, ARRAY_SIZE(keys));
	for (i = 0; i < CMAP_SLOTS; i++) {
		assert_int_equal(ut_put64(t, keys[i], 1, CMAP_INSERT), 0);
		model_put64(m, keys[i], 1);
	}
	sw->arg = keys[CMAP_SLOTS];
	return t;
}

/* PUT into a full bucket: the element, then an overflow bucket. */
static void put_needs_overflow_bucket(void **state)
{
	struct sweep sw = { .mode = MODE(state), .setup = setup_full_bucket,
			    .op = op_put, .fail_err = -ENOMEM };

	/* copy-on-write allocates a whole new array too */
	assert_int_equal(sweep(&sw), MODE(state) == CMAP_SYNC_COW ? 3 : 2);
}

/*
 * A table with a grow pending whose last bucket is a chain of 12 keys that
 * all go to one new bucket: migrating it needs an overflow bucket.
 */
static bool in_last16(u32 hash, void *arg)
{
	(void)arg;
	return ut_idx(hash, 4) == 15;	/* also bucket 3 of 4 */
}

static struct cmap *setup_crowded(struct sweep *sw, struct ut_model *m)
{
	struct cmap *t = ut_create(sw->mode, 0);
	u64 keys[12], k;
	unsigned int i;

	ut_find_keys(t, 1, in_last16, NULL, keys, ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		assert_int_equal(ut_put64(t, keys[i], 1, CMAP_INSERT), 0);
		model_put64(m, keys[i], 1);
	}
	sw->arg = keys[5];
	for (k = 1ULL << 40; m->n <= 26; k++) {
		if (ut_idx(cmap_hash(t, &k, 8), CMAP_MIN_ORDER) == 3)
			continue;
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
		model_put64(m, k, 1);
	}
	assert_int_equal(shim_wq_nr_pending(), 1);	/* grow to 16 */
	return t;
}

/*
 * The op runs in the middle of the migration: the resize worker stopped
 * by the cond_resched() hook after bucket 0, before it reaches bucket 3.
 */
struct mid {
	struct sweep *sw;
	struct cmap *t;
	struct ut_model *m;
	unsigned int nth;
	int err;
	bool ran, fired;
};

static void mid_hook(void *arg, struct work_struct *work)
{
	struct mid *c = arg;

	if (work != &c->t->resize_work || c->ran)
		return;
	c->ran = true;
	shim_fault_inject(c->nth, 0);
	c->err = c->sw->op(c->sw, c->t, c->m);
	c->fired = shim_fault_hits();
	shim_fault_inject(0, 0);
}

static unsigned int sweep_mid(u32 mode, int (*op)(struct sweep *, struct cmap *,
						 struct ut_model *))
{
	struct sweep sw = { .mode = mode, .op = op };
	unsigned int failed = 0;
	struct mid c = { .sw = &sw };
	long live;

	ut_quiesce();
	live = shim_alloc_live();
	for (c.nth = 1; ; c.nth++) {
		struct ut_model m;

		assert_true(c.nth < 100);
		ut_model_init(&m);
		c.t = setup_crowded(&sw, &m);
		c.m = &m;
		c.ran = false;
		shim_set_resched_hook(mid_hook, &c);
		ut_run_work();
		shim_set_resched_hook(NULL, NULL);
		assert_true(c.ran);
		if (!c.fired) {
			assert_int_equal(c.err, 0);
			ut_check(c.t, &m);
			ut_destroy(c.t);
			ut_model_free(&m);
			break;
		}
		assert_int_equal(c.err, -ENOMEM);
		ut_check(c.t, &m);		/* unchanged */
		ut_destroy(c.t);
		ut_model_free(&m);
		ut_quiesce();
		assert_int_equal(shim_alloc_live(), live);
		failed++;
	}
	return failed;
}

/*
 * PUT, DELETE and CLEAR of a key whose bucket is not migrated yet and
 * would need more overflow buckets in the new array than it has: removing
 * or replacing an element needs no migration, so nothing but the new
 * element is allocated.  Every allocation failing in turn: a replacing PUT
 * fails (-ENOMEM, the old value intact) only when its element could not be
 * allocated; DELETE and CLEAR allocate nothing, and succeed in full.
 */
static void migration_spares(void **state)
{
	u32 mode = MODE(state);

	/* put: its element only */
	assert_int_equal(sweep_mid(mode, op_put), 1);
	/* delete and clear: nothing at all (the first run fails nothing) */
	assert_int_equal(sweep_mid(mode, op_delete), 0);
	assert_int_equal(sweep_mid(mode, op_clear), 0);
}

/*
 * Copy-on-write at the module-wide memory cap: a PUT that shrinks a value
 * gives bytes back before copying the table; when the copy is refused at
 * the cap, taking them back must not be refused too, or the table's
 * counters drift from its contents.  A DELETE that cannot copy removes the
 * key in place.
 */
static void cow_refused_copy_keeps_counts(void **state)
{
	struct ut_model m;
	struct cmap *t;
	u8 none = 0;
	u64 k;

	(void)state;
	ut_model_init(&m);
	t = ut_create(CMAP_SYNC_COW, 0);
	for (k = 0; k < 10; k++) {
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
		model_put64(&m, k, 1);
	}
	cmap_set_limits(cmap_mem_usage() - 1, 0);
	k = 3;
	assert_int_equal(cmap_put(t, &k, 8, &none, 0, CMAP_UPSERT), -ENOSPC);
	ut_check(t, &m);
	assert_int_equal(cmap_delete(t, &k, 8), 0);
	cmap_set_limits(0, 0);
	ut_model_del(&m, &k, 8);
	ut_check(t, &m);
	ut_destroy(t);
	ut_model_free(&m);
}

/*
 * Copy-on-write DELETE and CLEAR with each of their allocations (the copy,
 * the empty array) failing in turn: they work in place instead, and
 * succeed in full.
 */
static void cow_remove_every_allocation(void **state)
{
	int (*ops[])(struct sweep *, struct cmap *, struct ut_model *) = {
		op_delete, op_clear,
	};
	struct sweep sw = { .mode = CMAP_SYNC_COW, .setup = setup_small,
			    .arg = 3, .fail_err = 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		sw.op = ops[i];
		/* the copy or the empty array failed, and the op succeeded */
		assert_true(sweep(&sw) >= 1);
	}
}

/* ITER: the vector for a range of more than 32 elements. */
struct iter_count {
	unsigned int n;
};

static int count_cb(void *arg, const struct cmap_elem *const *elems,
		    unsigned int n)
{
	(void)elems;
	((struct iter_count *)arg)->n += n;
	return 0;
}

static int op_iter(struct sweep *sw, struct cmap *t, struct ut_model *m)
{
	struct iter_count c = {};
	u64 cursor = 0;
	int ret;

	(void)sw;
	ret = cmap_iter(t, &cursor, count_cb, &c);
	if (ret >= 0) {
		assert_int_equal(ret, m->n);
		assert_int_equal(c.n, m->n);
		return 0;
	}
	assert_int_equal(c.n, 0);		/* bucket 0 comes first */
	assert_true(cursor == 0);
	return ret;
}

/*
 * A min_order of 4 (size hint 40) keeps 40 keys of one 16th of hash space
 * in one range: the iterator's stack vector (32) is too small.
 */
static bool in_first16(u32 hash, void *arg)
{
	(void)arg;
	return ut_idx(hash, 4) == 0;
}

static struct cmap *setup_dense_range(struct sweep *sw, struct ut_model *m)
{
	struct cmap *t = ut_create(sw->mode, 40);
	u64 keys[40];
	unsigned int i;

	assert_int_equal(ut_buckets(t), 16);
	ut_find_keys(t, 1, in_first16, NULL, keys, ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		assert_int_equal(ut_put64(t, keys[i], 1, CMAP_INSERT), 0);
		model_put64(m, keys[i], 1);
	}
	return t;
}

static void iter_vector(void **state)
{
	struct sweep sw = { .mode = MODE(state), .setup = setup_dense_range,
			    .op = op_iter, .fail_err = -ENOMEM };

	assert_int_equal(sweep(&sw), 1);
}

/* CREATE: the table, its per-CPU counters, then its array. */
static void create_every_allocation(void **state)
{
	struct cmap_params p = { .sync = MODE(state), .max_entries = 100,
				 .max_bytes = 1 << 20 };
	long live = shim_alloc_live();
	unsigned long hits;
	unsigned int n;

	for (n = 1; ; n++) {
		struct cmap *t;

		shim_fault_inject(n, 0);
		t = cmap_create(&p);
		hits = shim_fault_hits();
		shim_fault_inject(0, 0);
		if (!hits) {
			assert_false(IS_ERR_OR_NULL(t));
			cmap_destroy(t);
			break;
		}
		assert_true(PTR_ERR(t) == -ENOMEM);
		assert_int_equal(shim_alloc_live(), live);
	}
	assert_int_equal(n, 4);
}

/*
 * cmap_core_init(): its two counters, its per-CPU lists of elements to free
 * and its workqueue (the shim's element caches are not counted).
 */
static void core_init_every_allocation(void **state)
{
	long live = shim_alloc_live();
	unsigned long hits;
	unsigned int n;
	int err;

	(void)state;
	cmap_core_exit();
	/* the free lists, the live element counts and the workqueue */
	assert_int_equal(shim_alloc_live(), live - 3);
	for (n = 1; ; n++) {
		shim_fault_inject(n, 0);
		err = cmap_core_init();
		hits = shim_fault_hits();
		shim_fault_inject(0, 0);
		if (!hits)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(shim_alloc_live(), live - 3);
	}
	assert_int_equal(err, 0);
	assert_int_equal(n, 5);
}

/*
 * A sequence of operations of every kind, with resizes: fail its nth
 * allocation for every n.  The failing operation must change nothing; all
 * others behave as the model says.
 */
#define SEQ_OPS		400

enum seq_kind { SEQ_PUT, SEQ_DEL, SEQ_CLEAR, SEQ_ITER, SEQ_WORK };

struct seq_op {
	enum seq_kind kind;
	enum cmap_put_mode mode;
	u64 key;
	u32 vlen;
};

static struct seq_op seq[SEQ_OPS];

static void seq_build(void)
{
	unsigned int i, s = 99;

	for (i = 0; i < SEQ_OPS; i++) {
		u32 r = rand_r(&s);
		struct seq_op *o = &seq[i];

		o->key = r % 120;
		o->vlen = (r >> 8) % 200;
		o->mode = (r >> 16) % 3;
		switch ((r >> 20) % 20) {
		case 0: o->kind = i > SEQ_OPS * 3 / 4 ? SEQ_CLEAR : SEQ_ITER; break;
		case 1: case 2: o->kind = SEQ_WORK; break;
		case 3: o->kind = SEQ_ITER; break;
		case 4: case 5: case 6: case 7:
			o->kind = i < SEQ_OPS / 2 ? SEQ_PUT : SEQ_DEL; break;
		default: o->kind = SEQ_PUT; break;
		}
	}
}

/*
 * Run the sequence; return how many allocations failed (0 or 1).  With
 * @core, the core's own fault injection (cmap_fault_arm()) is armed
 * instead of the shim's.
 */
static unsigned int seq_run(u32 mode, unsigned int nth, bool core)
{
	static u8 val[256];
	unsigned int i, failed_at = ~0u;
	struct ut_model m;
	struct cmap *t;

	shim_random_seed(0x5e9);	/* the same hash key every run */
	t = ut_create(mode, 0);
	ut_model_init(&m);
	for (i = 0; i < sizeof(val); i++)
		val[i] = i ^ 0x5a;
	if (core)
		cmap_fault_arm(nth);
	else
		shim_fault_inject(nth, 0);
	for (i = 0; i < SEQ_OPS; i++) {
		const struct seq_op *o = &seq[i];
		bool fired_before = core ? !cmap_fault_armed() && nth :
				    shim_fault_hits();
		struct iter_count c = {};
		u64 cursor = 0;
		int err, want;
		bool fired;

		switch (o->kind) {
		case SEQ_PUT:
			err = cmap_put(t, &o->key, 8, val + (o->key & 31),
				       o->vlen, o->mode);
			break;
		case SEQ_DEL:
			err = cmap_delete(t, &o->key, 8);
			break;
		case SEQ_CLEAR:
			err = cmap_clear(t);
			break;
		case SEQ_ITER:
			err = cmap_iter(t, &cursor, count_cb, &c);
			if (err >= 0) {
				assert_int_equal(err, m.n);
				err = 0;
			}
			break;
		default:
			ut_run_work();
			err = 0;
			break;
		}
		fired = (core ? !cmap_fault_armed() && nth : shim_fault_hits()) &&
			!fired_before;

		if (fired) {
			failed_at = i;
			/* A failed resize is no error: nothing to see. */
			if (o->kind != SEQ_WORK && err != -ENOMEM)
				fail_msg("op %u (kind %d) failed an allocation "
					 "and returned %d", i, o->kind, err);
			ut_check(t, &m);
			continue;
		}
		switch (o->kind) {
		case SEQ_PUT:
			want = ut_model_put(&m, &o->key, 8, val + (o->key & 31),
					    o->vlen, o->mode);
			break;
		case SEQ_DEL:
			want = ut_model_del(&m, &o->key, 8);
			break;
		case SEQ_CLEAR:
			ut_model_clear(&m);
			want = 0;
			break;
		default:
			want = 0;
			break;
		}
		if (err != want)
			fail_msg("op %u (kind %d): %d, the model says %d", i,
				 o->kind, err, want);
	}
	if (core)
		cmap_fault_arm(0);
	else
		shim_fault_inject(0, 0);
	ut_run_work();
	ut_check(t, &m);
	ut_destroy(t);
	ut_model_free(&m);
	return failed_at != ~0u;
}

static void sequence_every_allocation(void **state)
{
	u32 mode = MODE(state);
	unsigned long a0 = shim_alloc_attempts();
	unsigned int n, failures = 0;
	long live;

	ut_quiesce();
	live = shim_alloc_live();
	seq_build();
	assert_int_equal(seq_run(mode, 0, false), 0);
	assert_true(shim_alloc_attempts() - a0 > 100);
	for (n = 1; seq_run(mode, n, false); n++) {
		failures++;
		ut_quiesce();
		assert_int_equal(shim_alloc_live(), live);
	}
	assert_true(failures > 100);
}

/*
 * The core's own fault injection (what the device's debugfs fail_nth
 * arms) must reach every allocation the shim sees: the sequence has as
 * many failable allocations either way.
 */
static void core_fault_covers_every_allocation(void **state)
{
	u32 mode = MODE(state);
	unsigned int n, shim_sites = 0, core_sites = 0;

	seq_build();
	for (n = 1; seq_run(mode, n, false); n++)
		shim_sites++;
	for (n = 1; seq_run(mode, n, true); n++)
		core_sites++;
	assert_int_equal(core_sites, shim_sites);
}

int main(void)
{
	const struct CMUnitTest all_modes[] = {
		cmocka_unit_test(put_insert_replace),
		cmocka_unit_test(put_needs_overflow_bucket),
		cmocka_unit_test(iter_vector),
		cmocka_unit_test(create_every_allocation),
	};
	/* The other modes allocate as rcu does (cow: see the put tests). */
	const struct CMUnitTest rcu_only[] = {
		cmocka_unit_test(sequence_every_allocation),
		cmocka_unit_test(core_fault_covers_every_allocation),
	};
	const struct CMUnitTest worker_modes[] = {
		cmocka_unit_test(migration_spares),
	};
	const struct CMUnitTest cow_only[] = {
		cmocka_unit_test(cow_refused_copy_keeps_counts),
		cmocka_unit_test(cow_remove_every_allocation),
	};
	const struct CMUnitTest once[] = {
		cmocka_unit_test(core_init_every_allocation),
	};
	const struct ut_suite suites[] = {
		{ all_modes, ARRAY_SIZE(all_modes), UT_ALL_MODES },
		{ rcu_only, ARRAY_SIZE(rcu_only), 1u << CMAP_SYNC_RCU },
		{ worker_modes, ARRAY_SIZE(worker_modes), UT_WORKER_MODES },
		{ cow_only, ARRAY_SIZE(cow_only), 1u << CMAP_SYNC_COW },
		{ once, ARRAY_SIZE(once), 0 },
	};

	return ut_run("fault", suites, ARRAY_SIZE(suites));
}
