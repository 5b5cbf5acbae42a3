// SPDX-License-Identifier: GPL-2.0
/*
 * The cmap core (kmod/cmap_core.c on the shim, CMAP_SYNC_RCU): an inline
 * table (8-byte keys and values in the buckets, "cmap"), and a table of
 * elements ("cmap-el", what keys and values of other sizes get).
 */
#include <linux/ktime.h>
#include <linux/rcupdate.h>

#include "cmap_core.h"
#include "shim.h"
#include "bench.h"

static void *cmap_b_create_flags(uint64_t hint, u32 flags)
{
	struct cmap_params p = {
		.id = 1,
		.size_hint = hint,
		.sync = CMAP_SYNC_RCU,
		.flags = flags,
		.max_entries = 1ULL << 32,
		.max_bytes = 1ULL << 40,
	};
	static bool inited;

	if (!inited) {
		if (cmap_core_init())
			return NULL;
		inited = true;
	}
	return cmap_create(&p);
}

static void *cmap_b_create(uint64_t hint)
{
	return cmap_b_create_flags(hint, CMAP_F_INLINE);
}

static void *cmap_b_create_elem(uint64_t hint)
{
	return cmap_b_create_flags(hint, 0);
}

static void cmap_b_destroy(void *t)
{
	shim_wq_drain();
	cmap_destroy(t);
	rcu_barrier();
}

static bool cmap_b_lookup(void *t, uint64_t key, uint64_t *val)
{
	bool found;
	u64 v;

	rcu_read_lock();
	found = cmap_kv_lookup_rcu(t, key, &v);
	rcu_read_unlock();
	if (found)
		*val = v;
	return found;
}

static bool cmap_b_lookup_elem(void *t, uint64_t key, uint64_t *val)
{
	struct cmap_elem *e;

	rcu_read_lock();
	e = cmap_lookup(t, &key, sizeof(key));
	if (e)
		*val = *(const uint64_t *)cmap_elem_value(e);
	rcu_read_unlock();
	return e;
}

static void cmap_b_upsert(void *t, uint64_t key, uint64_t val)
{
	if (cmap_put(t, &key, sizeof(key), &val, sizeof(val), CMAP_UPSERT))
		abort();
}

static void cmap_b_thread_start(void)
{
	shim_thread_start(NULL);
}

const struct bench_impl bench_cmap = {
	.name = "cmap",
	.create = cmap_b_create,
	.destroy = cmap_b_destroy,
	.lookup = cmap_b_lookup,
	.upsert = cmap_b_upsert,
	.thread_start = cmap_b_thread_start,
	.thread_stop = shim_thread_stop,
};

const struct bench_impl bench_cmap_elem = {
	.name = "cmap-el",
	.create = cmap_b_create_elem,
	.destroy = cmap_b_destroy,
	.lookup = cmap_b_lookup_elem,
	.upsert = cmap_b_upsert,
	.thread_start = cmap_b_thread_start,
	.thread_stop = shim_thread_stop,
};

/* The same keyed hash as the core's, for the other tables. */
uint32_t bench_hash(uint64_t key)
{
	static const hsiphash_key_t k = {{ 0x0123456789abcdefUL,
					   0xfedcba9876543210UL }};

	return hsiphash(&key, sizeof(key), &k);
}

/*
 * ns per hash of an 8-byte key: cmap_hash() (inline SipHash-1-3 for the
 * short lengths) and the out-of-line hsiphash() it replaces for them.
 * The fastest of many short alternating rounds of each, so that a busy
 * machine's preemptions stay out of the figures.
 */
void bench_cmap_hash_ns(uint64_t n, double *inline_ns, double *call_ns)
{
	struct cmap *t = cmap_b_create_elem(0);
	volatile uint32_t sink = 0;
	uint64_t k, t0, d, best_in = UINT64_MAX, best_call = UINT64_MAX;
	uint64_t round = 100000, r;

	for (r = 0; r < n / round; r++) {
		t0 = ktime_get_ns();
		for (k = 0; k < round; k++)
			sink += cmap_hash(t, &k, sizeof(k));
		d = ktime_get_ns() - t0;
		best_in = d < best_in ? d : best_in;
		t0 = ktime_get_ns();
		for (k = 0; k < round; k++)
			sink += hsiphash(&k, sizeof(k), &t->key);
		d = ktime_get_ns() - t0;
		best_call = d < best_call ? d : best_call;
	}
	*inline_ns = (double)best_in / round;
	*call_ns = (double)best_call / round;
	(void)sink;
	cmap_b_destroy(t);
}
