/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the core's unit tests: per-test checks (no leak, no WARN, no
 * sanitizer report), a reference model, whole-table comparison, and keys
 * chosen by their hash.
 *
 * Every test runs with the workqueues paused: a resize happens only when
 * the test runs pending work (ut_run_work()), in the test's thread, so the
 * tests are deterministic.
 */
#ifndef _UNIT_UTIL_H
#define _UNIT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cmap_core.h"
#include "cmap_trace.h"
#include "shim.h"

#define UT_KEY_MAX	CMAP_KEY_LEN_MAX
#define UT_VAL_MAX	CMAP_VALUE_LEN_MAX

/* Group setup/teardown: thread registration, cmap_core_init()/exit(). */
int ut_group_setup(void **state);
int ut_group_teardown(void **state);
/*
 * Test setup/teardown: pause the workqueues and note the allocator's
 * baseline; undo hooks and fault injection.  A test that passed then fails
 * on a leak (after rcu_barrier()), a WARN() or a sanitizer report during it
 * (see ut_run_per_mode()).
 */
int ut_setup(void **state);
int ut_teardown(void **state);
/* WARN()s the running test provokes on purpose. */
extern unsigned long ut_expected_warnings;

/* A table; sync is an enum cmap_sync.  Limits default to "huge". */
struct cmap *ut_create(u32 sync, u32 size_hint);
struct cmap *ut_create_limits(u32 sync, u32 size_hint, u64 max_entries,
			      u64 max_bytes);
/* The same with struct cmap_params.flags (CMAP_F_*). */
struct cmap *ut_create_flags(u32 sync, u32 size_hint, u32 flags,
			     u64 max_entries, u64 max_bytes);
void ut_destroy(struct cmap *t);

/* Run pending work (resizes, deferred frees) until there is none. */
unsigned int ut_run_work(void);
/* Run pending work, wait for RCU callbacks, run what they queued. */
void ut_quiesce(void);

/* Stats shortcuts. */
u64 ut_buckets(struct cmap *t);
u64 ut_entries(struct cmap *t);
bool ut_resizing(struct cmap *t);
/* The order of the current bucket array. */
u32 ut_order(struct cmap *t);

/* u64 keys with a value derived from (key, version). */
int ut_put64(struct cmap *t, u64 key, u64 version, enum cmap_put_mode mode);
/* 1: present with the value of @version; 0: absent; -1: wrong value. */
int ut_get64(struct cmap *t, u64 key, u64 *version);
int ut_del64(struct cmap *t, u64 key);

/*
 * The reference model: a set of (key, value) byte strings, open-addressed.
 */
struct ut_entry {
	u8 klen;
	u16 vlen;
	bool used;
	u8 key[UT_KEY_MAX];
	u8 *val;
};

struct ut_model {
	struct ut_entry *e;
	size_t cap, n;
	u64 bytes;		/* as the core charges them */
};

void ut_model_init(struct ut_model *m);
void ut_model_free(struct ut_model *m);
struct ut_entry *ut_model_find(struct ut_model *m, const void *key, u32 klen);
/* Apply a put as the core would without limits; returns the core's errno. */
int ut_model_put(struct ut_model *m, const void *key, u32 klen,
		 const void *val, u32 vlen, enum cmap_put_mode mode);
int ut_model_del(struct ut_model *m, const void *key, u32 klen);
void ut_model_clear(struct ut_model *m);
void ut_model_copy(struct ut_model *dst, const struct ut_model *src);
/* What the core charges an element against max_bytes. */
u64 ut_elem_charge(u32 klen, u32 vlen);

/* The value ut_put64() stores for (key, version). */
void ut_val64(u64 key, u64 version, u8 val[16]);

/*
 * Compare the table with the model: every model entry is found by
 * cmap_lookup() with its value, a full iteration returns exactly the
 * model's entries once each in hash order, and the counters agree.
 * Fails the test (cmocka assertions) on a mismatch.
 */
void ut_check(struct cmap *t, struct ut_model *m);
/*
 * Only the lookups (cmap_kv_lookup() in an inline table): unlike an
 * iteration, they do not migrate buckets, so they leave a half-done
 * migration as it is.
 */
void ut_check_lookups(struct cmap *t, struct ut_model *m);
/*
 * Only the full iteration, in one call; returns the number of groups of
 * more than one element (colliding hashes).
 */
unsigned int ut_check_iter(struct cmap *t, struct ut_model *m);

/*
 * Keys by hash: fill @out with @n distinct u64 keys from @start up whose
 * hash satisfies @pred (which gets @arg), for table @t's hash key.
 */
typedef bool (*ut_hash_pred)(u32 hash, void *arg);
void ut_find_keys(struct cmap *t, u64 start, ut_hash_pred pred, void *arg,
		  u64 *out, unsigned int n);

/* Bucket index of a hash at an order. */
static inline u32 ut_idx(u32 hash, u32 order)
{
	return ((u64)hash << order) >> 32;
}

/* The order cmap grows to for @n entries (cmap_order_for() restated). */
u32 ut_order_for(u64 n);

/* Evacuated flags of the current array. */
unsigned int ut_nr_evacuated(struct cmap *t);

/*
 * A half-done migration: ut_run_migration() runs pending work with the
 * resize worker stopped at its @at-th cond_resched() (after it migrated
 * @at buckets), where @fn runs in the test's thread; it notes the
 * evacuated flags and bucket count there.  Unless @optional, the stop
 * must have happened; the resize must be over at the end.
 */
struct ut_mig {
	struct cmap *t;
	struct ut_model *m;
	unsigned int at, calls;
	void (*fn)(struct ut_mig *mg);
	bool ran, optional;
	unsigned int evacuated, old_buckets;
	u64 arg;
};

void ut_run_migration(struct ut_mig *mg);

/* Sanitizer reports so far (ASan's, with recovery on). */
unsigned long ut_sanitizer_reports(void);

/* Two distinct u64 keys with the same 32-bit hash in table @t. */
void ut_find_hash_collision(struct cmap *t, u64 *a, u64 *b);

/* Names of the sync modes, for test names. */
extern const char *const ut_sync_names[CMAP_SYNC_COUNT];

/*
 * Run every test of every suite once per sync mode in the suite's @modes (a
 * bit mask of 1 << enum cmap_sync), named "<name>/<mode>", or with @modes 0
 * once (in CMAP_SYNC_RCU) under its own name; all with ut_setup(),
 * ut_teardown() and the end-of-test checks, in one cmocka group (one TAP
 * plan).  A test function finds its mode as *(u32 *)*state.
 */
struct ut_suite {
	const struct CMUnitTest *tests;
	size_t n;
	unsigned int modes;
};

#define UT_ALL_MODES	((1u << CMAP_SYNC_COUNT) - 1)
/* Modes whose resizes go through the worker (all but copy-on-write). */
#define UT_WORKER_MODES	(UT_ALL_MODES & ~(1u << CMAP_SYNC_COW))

int ut_run(const char *group, const struct ut_suite *suites, size_t nsuites);

#endif
