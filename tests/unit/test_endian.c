// SPDX-License-Identifier: GPL-2.0
/*
 * The lookup's tag match on a big-endian machine, emulated: this file
 * compiles the core's inline lookup with SHIM_EMULATE_BE (loads of the
 * tag word and le64_to_cpu() swap bytes, as on big-endian), over buckets
 * whose tags are laid out in memory as the core writes them (one byte per
 * slot).  A match that maps bit positions to slots assuming little-endian
 * finds slot 7 - i instead of slot i.
 */
#define SHIM_EMULATE_BE 1

#include <string.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "unit_util.h"

static struct cmap_elem *elem(u64 key, u32 hash)
{
	struct cmap_elem *e = cmap_elem_alloc(8, 0, GFP_KERNEL);

	assert_non_null(e);
	memcpy(cmap_elem_kdata(e), &key, 8);
	e->hash = hash;
	return e;
}

/* One element alone in each slot in turn: found there, and only there. */
static void be_match_finds_its_slot(void **state)
{
	struct cmap_bucket *b = kzalloc(sizeof(*b), GFP_KERNEL);
	unsigned int s;

	(void)state;
	for (s = 0; s < CMAP_SLOTS; s++) {
		u32 hash = 0x1234500 | (0x40 + s);
		struct cmap_elem *e = elem(100 + s, hash);
		u64 key = 100 + s;

		memset(b, 0, sizeof(*b));
		b->tags[s] = cmap_tag(hash);
		RCU_INIT_POINTER(b->slots[s], e);
		rcu_read_lock();
		assert_ptr_equal(cmap_chain_lookup(b, hash, &key, 8), e);
		rcu_read_unlock();
		cmap_elem_free(e);
	}
	kfree(b);
}

/* A full bucket of distinct tags: every key is found in its own slot. */
static void be_match_full_bucket(void **state)
{
	struct cmap_bucket *b = kzalloc(sizeof(*b), GFP_KERNEL);
	struct cmap_elem *e[CMAP_SLOTS];
	unsigned int s;

	(void)state;
	for (s = 0; s < CMAP_SLOTS; s++) {
		e[s] = elem(200 + s, 0xabc00 | (0x10 + s));
		b->tags[s] = cmap_tag(e[s]->hash);
		RCU_INIT_POINTER(b->slots[s], e[s]);
	}
	rcu_read_lock();
	for (s = 0; s < CMAP_SLOTS; s++) {
		u64 key = 200 + s;

		assert_ptr_equal(cmap_chain_lookup(b, e[s]->hash, &key, 8),
				 e[s]);
		assert_int_equal(cmap_match_slot(cmap_tag_match(
				 cmap_tags_load(b), b->tags[s])), s);
	}
	rcu_read_unlock();
	for (s = 0; s < CMAP_SLOTS; s++)
		cmap_elem_free(e[s]);
	kfree(b);
}

/*
 * An inline bucket: four tags in the low half of the word, the count in
 * the high half.  Here the count's bytes mirror the tags (so that the
 * emulation's swapped acquire load, which the lookup compares with a
 * plain reload, sees the same word), which puts a byte equal to the tag
 * looked for in the high half too: a match there is no slot.  Each entry
 * is found in its own slot with its value.
 */
static void kv_mirror_count(struct cmap_bucket *b)
{
	u8 *w = (u8 *)&b->tagword;
	unsigned int i;

	for (i = 0; i < CMAP_KV_SLOTS; i++)
		w[7 - i] = w[i];
}

static void be_kv_match(void **state)
{
	struct cmap_bucket *b = kzalloc(sizeof(*b), GFP_KERNEL);
	unsigned int s, full;
	u64 v;

	(void)state;
	for (full = 0; full < 2; full++) {
		for (s = 0; s < CMAP_KV_SLOTS; s++) {
			u8 tag = 0x40 + s;

			if (!full)
				memset(b, 0, sizeof(*b));
			b->kvtags[s] = tag;
			kv_mirror_count(b);
			b->kv[s].key = 300 + s;
			b->kv[s].val = 0x5000 + s;
			rcu_read_lock();
			v = 0;
			assert_true(cmap_kv_bucket_lookup(b, tag, 300 + s, &v));
			assert_int_equal(v, 0x5000 + s);
			assert_false(cmap_kv_bucket_lookup(b, tag, 400 + s, &v));
			assert_false(cmap_kv_bucket_lookup(b, tag + 8, 300 + s,
							   &v));
			rcu_read_unlock();
		}
	}
	rcu_read_lock();
	for (s = 0; s < CMAP_KV_SLOTS; s++) {
		assert_true(cmap_kv_bucket_lookup(b, 0x40 + s, 300 + s, &v));
		assert_int_equal(v, 0x5000 + s);
	}
	rcu_read_unlock();
	kfree(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(be_match_finds_its_slot),
		cmocka_unit_test(be_match_full_bucket),
		cmocka_unit_test(be_kv_match),
	};
	const struct ut_suite suites[] = { { tests, ARRAY_SIZE(tests), 0 } };

	return ut_run("endian", suites, 1);
}
