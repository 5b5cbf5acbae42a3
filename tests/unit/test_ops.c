// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the core's operations: put (each mode), lookup, delete,
 * clear, iter and stats, with their errors and limits, overflow chains and
 * colliding hashes and tags.  Each runs in every sync mode: the modes
 * differ in locking, never in results.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/ktime.h>

#include "unit_util.h"

#define MODE(state)	(*(u32 *)*(state))

static struct cmap *mode_table(void **state, u32 size_hint)
{
	return ut_create(MODE(state), size_hint);
}

static void put_modes(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct ut_model m;
	u64 v;

	ut_model_init(&m);
	/* REPLACE of an absent key fails and adds nothing. */
	assert_int_equal(ut_put64(t, 1, 1, CMAP_REPLACE), -ENOENT);
	assert_int_equal(ut_get64(t, 1, NULL), 0);
	/* INSERT adds; a second INSERT fails and keeps the first value. */
	assert_int_equal(ut_put64(t, 1, 1, CMAP_INSERT), 0);
	assert_int_equal(ut_put64(t, 1, 2, CMAP_INSERT), -EEXIST);
	assert_int_equal(ut_get64(t, 1, &v), 1);
	assert_int_equal(v, 1);
	/* REPLACE and UPSERT replace. */
	assert_int_equal(ut_put64(t, 1, 3, CMAP_REPLACE), 0);
	assert_int_equal(ut_get64(t, 1, &v), 1);
	assert_int_equal(v, 3);
	assert_int_equal(ut_put64(t, 1, 4, CMAP_UPSERT), 0);
	assert_int_equal(ut_get64(t, 1, &v), 1);
	assert_int_equal(v, 4);
	/* UPSERT inserts. */
	assert_int_equal(ut_put64(t, 2, 5, CMAP_UPSERT), 0);
	assert_int_equal(ut_get64(t, 2, &v), 1);
	assert_int_equal(v, 5);
	assert_int_equal(ut_entries(t), 2);

	for (v = 1; v <= 2; v++) {
		u8 val[16];

		ut_val64(v, v == 1 ? 4 : 5, val);
		ut_model_put(&m, &v, 8, val, 16, CMAP_UPSERT);
	}
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

static void key_value_lengths(void **state)
{
	struct cmap *t = mode_table(state, 0);
	u8 key[CMAP_KEY_LEN_MAX + 1], val[CMAP_VALUE_LEN_MAX + 80];
	struct cmap_table_stats st;
	struct ut_model m;
	unsigned int i;

	ut_model_init(&m);
	for (i = 0; i < sizeof(key); i++)
		key[i] = 0xc0 ^ i;
	for (i = 0; i < sizeof(val); i++)
		val[i] = i * 7;

	/* Bad lengths: -EINVAL, nothing stored. */
	assert_int_equal(cmap_put(t, key, 0, val, 1, CMAP_UPSERT), -EINVAL);
	assert_int_equal(cmap_put(t, key, CMAP_KEY_LEN_MAX + 1, val, 1,
				  CMAP_UPSERT), -EINVAL);
	assert_int_equal(cmap_put(t, key, 1, val, CMAP_VALUE_LEN_MAX + 1,
				  CMAP_UPSERT), -EINVAL);
	assert_int_equal(cmap_delete(t, key, 0), -EINVAL);
	assert_int_equal(cmap_delete(t, key, CMAP_KEY_LEN_MAX + 1), -EINVAL);
	assert_true(PTR_ERR(cmap_elem_alloc(0, 0, GFP_KERNEL)) == -EINVAL);
	assert_true(PTR_ERR(cmap_elem_alloc(1, CMAP_VALUE_LEN_MAX + 1,
					    GFP_KERNEL)) == -EINVAL);
	assert_int_equal(ut_entries(t), 0);

	/* Every key length 1..64 (prefixes of one another: distinct keys),
	 * with values from empty to the maximum. */
	for (i = 1; i <= CMAP_KEY_LEN_MAX; i++) {
		u32 vlen = i == CMAP_KEY_LEN_MAX ? CMAP_VALUE_LEN_MAX :
			   (i * 67) % 300;

		if (i == 1)
			vlen = 0;
		assert_int_equal(cmap_put(t, key, i, val + i, vlen,
					  CMAP_INSERT), 0);
		ut_model_put(&m, key, i, val + i, vlen, CMAP_INSERT);
	}
	ut_check(t, &m);

	/* The largest element is charged its real allocation. */
	cmap_stats(t, &st);
	assert_int_equal(ut_elem_charge(CMAP_KEY_LEN_MAX, CMAP_VALUE_LEN_MAX),
			 8192);
	assert_int_equal(cmap_nr_bytes(t), m.bytes);

	/* Growing and shrinking values in place. */
	assert_int_equal(cmap_put(t, key, 1, val, CMAP_VALUE_LEN_MAX,
				  CMAP_REPLACE), 0);
	ut_model_put(&m, key, 1, val, CMAP_VALUE_LEN_MAX, CMAP_REPLACE);
	assert_int_equal(cmap_put(t, key, CMAP_KEY_LEN_MAX, val, 0,
				  CMAP_REPLACE), 0);
	ut_model_put(&m, key, CMAP_KEY_LEN_MAX, val, 0, CMAP_REPLACE);
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* Keys that differ only in length, or only in one byte, are distinct. */
static void lookup_distinguishes_keys(void **state)
{
	struct cmap *t = mode_table(state, 0);
	u8 k[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct cmap_elem *e;
	u32 vlen;

	assert_int_equal(cmap_put(t, k, 8, "eight", 5, CMAP_INSERT), 0);
	assert_int_equal(cmap_put(t, k, 9, "nine", 4, CMAP_INSERT), 0);
	assert_int_equal(cmap_put(t, k, 7, "seven", 5, CMAP_INSERT), 0);
	rcu_read_lock();
	e = cmap_lookup(t, k, 8);
	assert_non_null(e);
	assert_memory_equal(cmap_elem_value(e), "eight", 5);
	e = cmap_lookup(t, k, 9);
	assert_non_null(e);
	vlen = e->vlen;
	assert_int_equal(vlen, 4);
	assert_memory_equal(cmap_elem_value(e), "nine", 4);
	assert_null(cmap_lookup(t, k, 10));
	k[7] ^= 0x80;			/* the 8-byte compare path */
	assert_null(cmap_lookup(t, k, 8));
	k[7] ^= 0x80;
	k[8] ^= 1;			/* the memcmp path */
	assert_null(cmap_lookup(t, k, 9));
	k[8] ^= 1;
	rcu_read_unlock();
	/* An unaligned 8-byte key. */
	memmove(k + 1, k, 9);
	rcu_read_lock();
	e = cmap_lookup(t, k + 1, 8);
	assert_non_null(e);
	assert_memory_equal(cmap_elem_value(e), "eight", 5);
	rcu_read_unlock();
	ut_destroy(t);
}

static void delete_removes_only_its_key(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct ut_model m;
	u64 k;

	ut_model_init(&m);
	for (k = 0; k < 20; k++) {
		u8 val[16];

		assert_int_equal(ut_put64(t, k, k, CMAP_INSERT), 0);
		ut_val64(k, k, val);
		ut_model_put(&m, &k, 8, val, 16, CMAP_INSERT);
	}
	for (k = 0; k < 20; k += 3) {
		assert_int_equal(ut_del64(t, k), 0);
		assert_int_equal(ut_del64(t, k), -ENOENT);
		ut_model_del(&m, &k, 8);
	}
	assert_int_equal(ut_del64(t, 1000), -ENOENT);
	ut_check(t, &m);
	/* Deleted keys can come back. */
	k = 3;
	assert_int_equal(ut_put64(t, k, 9, CMAP_INSERT), 0);
	assert_int_equal(ut_get64(t, k, NULL), 1);
	ut_model_free(&m);
	ut_destroy(t);
}

static void clear_empties(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct ut_model m;
	u64 k;

	ut_model_init(&m);
	assert_int_equal(cmap_clear(t), 0);	/* empty: fine */
	for (k = 0; k < 300; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	ut_run_work();
	assert_int_equal(cmap_clear(t), 0);
	ut_check(t, &m);
	assert_int_equal(cmap_nr_bytes(t), 0);
	for (k = 0; k < 300; k++)
		assert_int_equal(ut_get64(t, k, NULL), 0);
	/* Usable afterwards. */
	assert_int_equal(ut_put64(t, 5, 1, CMAP_INSERT), 0);
	assert_int_equal(ut_get64(t, 5, NULL), 1);
	assert_int_equal(ut_entries(t), 1);
	ut_model_free(&m);
	ut_destroy(t);
}

/* A signal stops a clear between buckets: what it cleared is a prefix of
 * hash space. */
static void clear_interrupted(void **state)
{
	struct cmap *t = mode_table(state, 0);
	u32 order, hash, cut = 0;
	unsigned int left = 0;
	u64 k;
	int err;

	for (k = 0; k < 20; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	order = ut_order(t);
	shim_signal_raise();
	err = cmap_clear(t);
	shim_signal_clear();
	if (MODE(state) == CMAP_SYNC_COW) {
		/* Copy-on-write clears all at once. */
		assert_int_equal(err, 0);
		assert_int_equal(ut_entries(t), 0);
		ut_destroy(t);
		return;
	}
	assert_int_equal(err, -EINTR);
	/* Exactly the first bucket's range went. */
	for (k = 0; k < 20; k++) {
		hash = cmap_hash(t, &k, 8);
		if (ut_idx(hash, order) == 0)
			cut++;
		else
			left++;
		assert_int_equal(ut_get64(t, k, NULL), ut_idx(hash, order) != 0);
	}
	assert_true(cut > 0 || left == 20);
	assert_int_equal(ut_entries(t), left);
	ut_destroy(t);
}

struct iter_ctx {
	u64 keys[512];
	unsigned int n, calls, refuse_at;
	int refuse_err;
	u32 last;
};

static int iter_collect(void *arg, const struct cmap_elem *const *elems,
			unsigned int n)
{
	struct iter_ctx *c = arg;
	unsigned int i;

	if (c->calls++ == c->refuse_at)
		return c->refuse_err;
	for (i = 0; i < n; i++) {
		assert_int_equal(elems[i]->klen, 8);
		assert_true(c->n < ARRAY_SIZE(c->keys));
		memcpy(&c->keys[c->n++], cmap_elem_key(elems[i]), 8);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void iter_cursor(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct iter_ctx c = { .refuse_at = ~0u };
	u64 cursor = 0, k, stop_hash;
	int ret;

	/* Empty table: nothing, cursor at the end. */
	assert_int_equal(cmap_iter(t, &cursor, iter_collect, &c), 0);
	assert_true(cursor == CMAP_ITER_END);
	/* Past the end: -EINVAL. */
	cursor = CMAP_ITER_END + 1;
	assert_int_equal(cmap_iter(t, &cursor, iter_collect, &c), -EINVAL);

	for (k = 0; k < 100; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	ut_run_work();

	/* Refuse the 10th group: 9 taken, the cursor at the refused hash. */
	memset(&c, 0, sizeof(c));
	c.refuse_at = 9;
	c.refuse_err = -ENOSPC;
	cursor = 0;
	ret = cmap_iter(t, &cursor, iter_collect, &c);
	assert_int_equal(ret, 9);
	assert_int_equal(c.n, 9);
	assert_true(cursor < CMAP_ITER_END);
	stop_hash = cursor;
	for (k = 0; k < c.n; k++)
		assert_true(cmap_hash(t, &c.keys[k], 8) < stop_hash);

	/* A refusal of the first group: the callback's error, nothing taken. */
	c.refuse_at = c.calls;
	ret = cmap_iter(t, &cursor, iter_collect, &c);
	assert_int_equal(ret, -ENOSPC);
	assert_true(cursor == stop_hash);

	/* Resume: the rest, each key once. */
	c.refuse_at = ~0u;
	ret = cmap_iter(t, &cursor, iter_collect, &c);
	assert_int_equal(ret, 91);
	assert_true(cursor == CMAP_ITER_END);
	qsort(c.keys, c.n, sizeof(c.keys[0]), cmp_u64);
	for (k = 0; k < 100; k++)
		assert_int_equal(c.keys[k], k);
	/* At the end: 0, and the cursor stays. */
	assert_int_equal(cmap_iter(t, &cursor, iter_collect, &c), 0);
	assert_true(cursor == CMAP_ITER_END);
	ut_destroy(t);
}

/*
 * A signal pending throughout: every call stops after one bucket's range,
 * never with -EINTR, and the cursor always moves on, so the dump of a
 * sparse table still ends and has each key once.  (It used to return
 * -EINTR, throwing the ground covered away: a stream of signals kept the
 * dump from ending.)
 */
static void iter_interrupted(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct iter_ctx c = { .refuse_at = ~0u };
	u64 cursor = 0, prev, k;
	unsigned int calls = 0;
	int ret;

	for (k = 0; k < 3; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	ut_run_work();
	shim_signal_raise();
	while (cursor < CMAP_ITER_END) {
		prev = cursor;
		ret = cmap_iter(t, &cursor, iter_collect, &c);
		assert_true(ret >= 0);
		assert_true(cursor > prev);
		calls++;
	}
	shim_signal_clear();
	/* one range per call: more calls than keys, at most one per bucket */
	assert_true(calls > 3);
	assert_true(calls <= 1u << ut_order(t));
	assert_int_equal(c.n, 3);
	qsort(c.keys, c.n, sizeof(c.keys[0]), cmp_u64);
	for (k = 0; k < 3; k++)
		assert_int_equal(c.keys[k], k);
	ut_destroy(t);
}

struct group_ctx {
	unsigned int groups, max_n;
};

static int count_groups(void *arg, const struct cmap_elem *const *elems,
			unsigned int n)
{
	struct group_ctx *c = arg;

	(void)elems;
	c->groups++;
	c->max_n = max(c->max_n, n);
	return 0;
}

static int refuse_all(void *arg, const struct cmap_elem *const *elems,
		      unsigned int n)
{
	(void)arg;
	(void)elems;
	(void)n;
	return -E2BIG;
}

/* Keys with equal 32-bit hashes: both found, handed out as one group. */
static void same_hash_keys(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct group_ctx c = {};
	u64 a, b, cursor = 0, v;

	ut_find_hash_collision(t, &a, &b);
	assert_int_equal(ut_put64(t, a, 1, CMAP_INSERT), 0);
	assert_int_equal(ut_put64(t, b, 2, CMAP_INSERT), 0);
	assert_int_equal(ut_put64(t, a ^ b, 3, CMAP_INSERT), 0);
	assert_int_equal(ut_get64(t, a, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(ut_get64(t, b, &v), 1);
	assert_int_equal(v, 2);
	assert_int_equal(cmap_iter(t, &cursor, count_groups, &c), 3);
	assert_int_equal(c.groups, 2);
	assert_int_equal(c.max_n, 2);

	/* Refusing the pair leaves the cursor on their hash. */
	cursor = 0;
	assert_int_equal(cmap_iter(t, &cursor, refuse_all, NULL), -E2BIG);
	assert_true(cursor == cmap_hash(t, &a, 8) ||
		    cursor == cmap_hash(t, &(u64){ a ^ b }, 8));

	assert_int_equal(ut_del64(t, a), 0);
	assert_int_equal(ut_get64(t, a, NULL), 0);
	assert_int_equal(ut_get64(t, b, &v), 1);
	assert_int_equal(v, 2);
	ut_destroy(t);
}

struct bucket_tag {
	u32 order, idx;
	int tag;		/* -1: any */
};

static bool in_bucket_tag(u32 hash, void *arg)
{
	struct bucket_tag *bt = arg;

	return ut_idx(hash, bt->order) == bt->idx &&
	       (bt->tag < 0 || (u8)hash == bt->tag);
}

/*
 * 20 keys of one head bucket at the minimum order: an overflow chain of
 * three buckets, searched, deleted from and refilled.
 */
static void overflow_chain(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct bucket_tag bt = { .order = CMAP_MIN_ORDER, .idx = 2, .tag = -1 };
	struct cmap_table_stats st;
	struct ut_model m;
	u64 keys[20];
	unsigned int i;

	ut_model_init(&m);
	ut_find_keys(t, 1, in_bucket_tag, &bt, keys, ARRAY_SIZE(keys));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		u8 val[16];

		assert_int_equal(ut_put64(t, keys[i], i, CMAP_INSERT), 0);
		ut_val64(keys[i], i, val);
		ut_model_put(&m, &keys[i], 8, val, 16, CMAP_INSERT);
	}
	cmap_stats(t, &st);
	assert_int_equal(st.buckets, 1 << CMAP_MIN_ORDER);
	assert_int_equal(st.overflow_buckets, 2);
	ut_check(t, &m);

	/* Delete from the head and the middle of the chain, then refill:
	 * the holes are reused, no bucket is added. */
	for (i = 0; i < 12; i += 3) {
		assert_int_equal(ut_del64(t, keys[i]), 0);
		ut_model_del(&m, &keys[i], 8);
	}
	ut_check(t, &m);
	for (i = 0; i < 12; i += 3) {
		u8 val[16];

		assert_int_equal(ut_put64(t, keys[i], 100 + i, CMAP_INSERT), 0);
		ut_val64(keys[i], 100 + i, val);
		ut_model_put(&m, &keys[i], 8, val, 16, CMAP_INSERT);
	}
	cmap_stats(t, &st);
	assert_int_equal(st.overflow_buckets, 2);
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/*
 * Keys in one bucket with one tag but different hashes: the tag match is
 * only a filter.  Tag 1 is shared by hashes ending in 0x00 and 0x01.
 */
static void tag_collisions(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct bucket_tag bt = { .order = CMAP_MIN_ORDER, .idx = 1, .tag = 0x00 };
	u64 keys[12], v;
	unsigned int i;

	ut_find_keys(t, 1, in_bucket_tag, &bt, keys, 6);
	bt.tag = 0x01;
	ut_find_keys(t, 1, in_bucket_tag, &bt, keys + 6, 6);
	for (i = 0; i < 12; i++)
		assert_int_equal(ut_put64(t, keys[i], i, CMAP_INSERT), 0);
	for (i = 0; i < 12; i++) {
		assert_int_equal(ut_get64(t, keys[i], &v), 1);
		assert_int_equal(v, i);
	}
	/* Delete every other one; the rest stay, with their values. */
	for (i = 0; i < 12; i += 2)
		assert_int_equal(ut_del64(t, keys[i]), 0);
	for (i = 0; i < 12; i++) {
		int r = ut_get64(t, keys[i], &v);

		assert_int_equal(r, i & 1);
		if (r)
			assert_int_equal(v, i);
	}
	assert_int_equal(ut_put64(t, keys[0], 50, CMAP_REPLACE), -ENOENT);
	assert_int_equal(ut_put64(t, keys[1], 51, CMAP_REPLACE), 0);
	assert_int_equal(ut_get64(t, keys[1], &v), 1);
	assert_int_equal(v, 51);
	ut_destroy(t);
}

static void limits_entries(void **state)
{
	struct cmap *t = ut_create_limits(MODE(state), 0, 10, 1 << 20);
	struct cmap_table_stats st;
	u64 k;

	for (k = 0; k < 10; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	assert_int_equal(ut_put64(t, 10, 1, CMAP_INSERT), -ENOSPC);
	assert_int_equal(ut_put64(t, 10, 1, CMAP_UPSERT), -ENOSPC);
	assert_int_equal(ut_get64(t, 10, NULL), 0);
	/* Replacing at the limit is fine: the count does not change. */
	assert_int_equal(ut_put64(t, 3, 2, CMAP_UPSERT), 0);
	assert_int_equal(ut_put64(t, 4, 2, CMAP_REPLACE), 0);
	cmap_stats(t, &st);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.max_entries, 10);
	/* A delete makes room. */
	assert_int_equal(ut_del64(t, 0), 0);
	assert_int_equal(ut_put64(t, 10, 1, CMAP_INSERT), 0);
	assert_int_equal(ut_put64(t, 11, 1, CMAP_INSERT), -ENOSPC);
	ut_destroy(t);
}

static void limits_bytes(void **state)
{
	/* Three 16-byte values of 8-byte keys fit (40 bytes each, exactly). */
	u64 charge = ut_elem_charge(8, 16);
	struct cmap *t = ut_create_limits(MODE(state), 0, 100, 3 * charge);
	struct cmap_table_stats st;
	u8 big[200] = { 1 };
	u64 k, v;

	assert_int_equal(charge, 40);
	for (k = 0; k < 3; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	assert_int_equal(ut_put64(t, 3, 1, CMAP_INSERT), -ENOSPC);
	cmap_stats(t, &st);
	assert_int_equal(st.entries, 3);
	assert_int_equal(cmap_nr_bytes(t), 3 * charge);
	assert_int_equal(st.max_bytes, 3 * charge);
	/* A bigger value that would pass the limit: refused, old kept. */
	k = 1;
	assert_int_equal(cmap_put(t, &k, 8, big, sizeof(big), CMAP_REPLACE),
			 -ENOSPC);
	assert_int_equal(ut_get64(t, 1, &v), 1);
	assert_int_equal(v, 1);
	/* A smaller one is fine, and frees room for a bigger one elsewhere. */
	assert_int_equal(cmap_put(t, &k, 8, big, 0, CMAP_REPLACE), 0);
	assert_int_equal(cmap_nr_bytes(t), 2 * charge + ut_elem_charge(8, 0));
	assert_int_equal(ut_put64(t, 3, 1, CMAP_INSERT), -ENOSPC);
	assert_int_equal(ut_del64(t, 1), 0);
	assert_int_equal(ut_put64(t, 3, 1, CMAP_INSERT), 0);
	assert_int_equal(cmap_nr_bytes(t), 3 * charge);
	ut_destroy(t);
}

static void stats_counters(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct cmap_table_stats st, st2;
	u64 k;

	cmap_stats(t, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.buckets, 1 << CMAP_MIN_ORDER);
	assert_int_equal(st.resizes, 0);
	assert_false(st.resizing);
	assert_int_equal(st.overflow_buckets, 0);
	for (k = 0; k < 5; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	cmap_stats(t, &st2);
	assert_int_equal(st2.entries, 5);
	assert_int_equal(cmap_nr_entries(t), 5);
	/* bytes: the elements' charge plus the array itself. */
	assert_true(st2.bytes - st.bytes == 5 * ut_elem_charge(8, 16));
	assert_true(st.bytes > 0);
	if (MODE(state) != CMAP_SYNC_COW)
		/* Every write took a bucket lock at least once. */
		assert_true(st2.acquisitions >= st.acquisitions + 5);
	assert_int_equal(st2.contended, 0);
	ut_destroy(t);
}

/* Random operations of random sizes against the model, with resizes. */
static void random_ops_match_model(void **state)
{
	struct cmap *t = mode_table(state, 0);
	u8 key[CMAP_KEY_LEN_MAX], val[608];
	struct ut_model m;
	unsigned int i, seed = 12345;

	ut_model_init(&m);
	for (i = 0; i < sizeof(val); i++)
		val[i] = i;
	for (i = 0; i < 6000; i++) {
		u32 r = rand_r(&seed), klen = 1 + r % 12, vlen = (r >> 8) % 600;
		unsigned int op = (r >> 20) % 16;
		int want, got;

		/* Few distinct keys of each length: many hits. */
		memset(key, 0, sizeof(key));
		key[0] = (r >> 4) % 200;
		if (i < 3000)	/* grow, then mostly delete: shrink */
			op = op < 11 ? op % 3 : op;
		else
			op = op < 10 ? 3 : op;
		switch (op) {
		case 0: case 1: case 2:
			want = ut_model_put(&m, key, klen, val + (r & 7), vlen,
					    (enum cmap_put_mode)op);
			got = cmap_put(t, key, klen, val + (r & 7), vlen,
				       (enum cmap_put_mode)op);
			break;
		case 3: case 4: case 5:
			want = ut_model_del(&m, key, klen);
			got = cmap_delete(t, key, klen);
			break;
		default:
			want = 0;
			got = 0;
			if (i % 7 == 0)
				ut_run_work();
			break;
		}
		if (want != got)
			fail_msg("op %u (%u): model %d, table %d", i, op, want, got);
		if (i % 500 == 0)
			ut_check(t, &m);
	}
	ut_run_work();
	ut_check(t, &m);
	ut_model_free(&m);
	ut_destroy(t);
}

/* put_elem: the caller's element is consumed on success and failure. */
static void put_elem_consumes(void **state)
{
	struct cmap *t = mode_table(state, 0);
	struct cmap_elem *e;
	u64 k = 42;

	e = cmap_elem_alloc(8, 3, GFP_KERNEL);
	assert_false(IS_ERR_OR_NULL(e));
	memcpy(cmap_elem_kdata(e), &k, 8);
	memcpy(cmap_elem_kdata(e) + 8, "abc", 3);
	assert_int_equal(cmap_put_elem(t, e, CMAP_INSERT), 0);
	assert_int_equal(cmap_live_elements(), 1);

	e = cmap_elem_alloc(8, 3, GFP_KERNEL);
	assert_false(IS_ERR_OR_NULL(e));
	memcpy(cmap_elem_kdata(e), &k, 8);
	memcpy(cmap_elem_kdata(e) + 8, "xyz", 3);
	assert_int_equal(cmap_put_elem(t, e, CMAP_INSERT), -EEXIST);
	assert_int_equal(cmap_live_elements(), 1);	/* freed */

	rcu_read_lock();
	e = cmap_lookup(t, &k, 8);
	assert_non_null(e);
	assert_memory_equal(cmap_elem_value(e), "abc", 3);
	rcu_read_unlock();
	ut_destroy(t);
	assert_int_equal(cmap_live_elements(), 0);
}

/*
 * Unlinked elements wait for the free worker; when it cannot keep up
 * (here it never runs: the workqueue is paused) a writer whose CPU has
 * more than 4 MiB pending frees them itself after a grace period.  Puts
 * and deletes of one key with a 4000-byte value: the backlog reaches the
 * 4 MiB and never passes it.
 */
static void free_backlog_bounded(void **state)
{
	struct cmap *t = mode_table(state, 0);
	static u8 val[4000];
	u64 cap = (4 << 20) / ut_elem_charge(8, sizeof(val)), k = 7, i;
	s64 live, peak = 0;

	for (i = 0; i < 4 * cap; i++) {
		val[0] = i;
		if (i % 4 == 3)
			assert_int_equal(cmap_delete(t, &k, 8), 0);
		else
			assert_int_equal(cmap_put(t, &k, 8, val, sizeof(val),
						  CMAP_UPSERT), 0);
		live = cmap_live_elements();
		peak = live > peak ? live : peak;
	}
	/* cap pending, the one that went over, the live entry. */
	assert_in_range(peak, cap, cap + 2);
	ut_destroy(t);
	ut_quiesce();	/* the free worker takes the rest */
	assert_int_equal(cmap_live_elements(), 0);
}

/*
 * racecheck: a write that finds another writer inside is refused with
 * -EBUSY and counted (and fires cmap:race); a lookup meanwhile is counted
 * and still answers.  The "other writer" is a clear(), stopped between
 * buckets by the cond_resched() hook.
 */
struct race_ctx {
	struct cmap *t;
	int put_err, del_err, clear_err, lookup;
	bool done;
};

static void race_hook(void *arg, struct work_struct *work)
{
	struct race_ctx *c = arg;

	if (work || c->done)
		return;
	c->done = true;
	c->put_err = ut_put64(c->t, 1000, 1, CMAP_UPSERT);
	c->del_err = ut_del64(c->t, 1);
	c->clear_err = cmap_clear(c->t);
	c->lookup = ut_get64(c->t, 2, NULL) >= 0;
}

static void racecheck_refuses_second_writer(void **state)
{
	struct cmap *t = ut_create(CMAP_SYNC_RACECHECK, 0);
	struct race_ctx c = { .t = t };
	unsigned long race0 = shim_trace_race;
	struct cmap_table_stats st;
	u64 k;

	(void)state;
	for (k = 0; k < 20; k++)
		assert_int_equal(ut_put64(t, k, 1, CMAP_INSERT), 0);
	shim_set_resched_hook(race_hook, &c);
	assert_int_equal(cmap_clear(t), 0);
	shim_set_resched_hook(NULL, NULL);
	assert_true(c.done);
	assert_int_equal(c.put_err, -EBUSY);
	assert_int_equal(c.del_err, -EBUSY);
	assert_int_equal(c.clear_err, -EBUSY);
	assert_true(c.lookup);
	cmap_stats(t, &st);
	assert_int_equal(st.races, 3);
	assert_int_equal(st.read_races, 1);
	assert_int_equal(shim_trace_race - race0, 4);
	assert_int_equal(st.entries, 0);
	assert_int_equal(ut_get64(t, 1000, NULL), 0);
	/* No writer inside any more: writes work. */
	assert_int_equal(ut_put64(t, 1000, 1, CMAP_UPSERT), 0);
	ut_destroy(t);
}

/*
 * Contention on one bucket is counted in the stats and fires
 * cmap:contention once per contended acquisition.
 */
struct hammer {
	struct cmap *t;
	u64 key;
	bool stop;
	int errors;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	u64 v = 0;

	shim_thread_start("hammer");
	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED))
		if (ut_put64(h->t, h->key, v++, CMAP_UPSERT))
			__atomic_fetch_add(&h->errors, 1, __ATOMIC_RELAXED);
	shim_thread_stop();
	return NULL;
}

/*
 * cmap_hash() hashes 4-, 8- and 16-byte keys inline: the same values as
 * hsiphash() under the table's key, at every length and alignment.
 */
static void hash_inline_matches_hsiphash(void **state)
{
	struct cmap *t = ut_create(CMAP_SYNC_RCU, 0);
	u8 buf[CMAP_KEY_LEN_MAX + 8];
	unsigned int i, len, off;
	u32 seed = 777;

	(void)state;
	for (i = 0; i < 200; i++) {
		for (off = 0; off < sizeof(buf); off++) {
			seed = seed * 1103515245 + 12345;
			buf[off] = seed >> 16;
		}
		for (len = 1; len <= CMAP_KEY_LEN_MAX; len++)
			for (off = 0; off < 8; off += 3)
				assert_int_equal(cmap_hash(t, buf + off, len),
						 hsiphash(buf + off, len, &t->key));
	}
	ut_destroy(t);
}

/* The per-bucket lock counters of the current array, summed. */
static void sum_heads(struct cmap *t, u64 *acq, u64 *cont, u64 *wait)
{
	struct cmap_tbl *tbl;
	u32 i;

	*acq = *cont = *wait = 0;
	rcu_read_lock();
	tbl = rcu_dereference(t->tbl);
	for (i = 0; i < (1U << tbl->order); i++) {
		*acq += tbl->heads[i].acquisitions;
		*cont += tbl->heads[i].contended;
		*wait += tbl->heads[i].wait_ns;
	}
	rcu_read_unlock();
}

static void contention_counted(void **state)
{
	struct cmap *t = ut_create(CMAP_SYNC_RCU, 0);
	struct hammer h = { .t = t, .key = 1 };
	unsigned long c0 = shim_trace_contention;
	struct cmap_table_stats st;
	u64 acq, cont, wait;
	pthread_t th[2];
	u64 deadline;
	int i;

	(void)state;
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer_fn, &h);
	deadline = ktime_get_ns() + 5000000000ULL;
	do {
		usleep(1000);
		cmap_stats(t, &st);
	} while (st.contended < 10 && ktime_get_ns() < deadline);
	__atomic_store_n(&h.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(h.errors, 0);
	cmap_stats(t, &st);
	assert_true(st.contended >= 10);
	assert_int_equal(shim_trace_contention - c0, st.contended);
	assert_true(st.wait_ns > 0);
	assert_true(st.acquisitions > st.contended);
	/*
	 * No resize happened (one key): the table-wide counters, summed
	 * over the CPUs the threads counted on, equal the buckets' own.
	 */
	assert_int_equal(st.resizes, 0);
	sum_heads(t, &acq, &cont, &wait);
	assert_int_equal(st.acquisitions, acq);
	assert_int_equal(st.contended, cont);
	assert_int_equal(st.wait_ns, wait);
	ut_destroy(t);
}

int main(void)
{
	const struct CMUnitTest per_mode[] = {
		cmocka_unit_test(put_modes),
		cmocka_unit_test(key_value_lengths),
		cmocka_unit_test(lookup_distinguishes_keys),
		cmocka_unit_test(delete_removes_only_its_key),
		cmocka_unit_test(clear_empties),
		cmocka_unit_test(clear_interrupted),
		cmocka_unit_test(iter_cursor),
		cmocka_unit_test(iter_interrupted),
		cmocka_unit_test(same_hash_keys),
		cmocka_unit_test(overflow_chain),
		cmocka_unit_test(tag_collisions),
		cmocka_unit_test(limits_entries),
		cmocka_unit_test(limits_bytes),
		cmocka_unit_test(stats_counters),
		cmocka_unit_test(random_ops_match_model),
		cmocka_unit_test(put_elem_consumes),
		cmocka_unit_test(free_backlog_bounded),
	};
	const struct CMUnitTest single[] = {
		cmocka_unit_test(racecheck_refuses_second_writer),
		cmocka_unit_test(contention_counted),
		cmocka_unit_test(hash_inline_matches_hsiphash),
	};

	const struct ut_suite suites[] = {
		{ per_mode, ARRAY_SIZE(per_mode), UT_ALL_MODES },
		{ single, ARRAY_SIZE(single), 0 },
	};

	return ut_run("ops", suites, ARRAY_SIZE(suites));
}
