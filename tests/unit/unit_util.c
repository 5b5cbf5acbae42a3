// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the core's unit tests; see unit_util.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/slab.h>

#include "unit_util.h"

/*
 * Sanitizers (ASan and UBSan, built to recover) keep going after a report;
 * each report's summary comes here and counts against the running test.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
void __sanitizer_report_error_summary(const char *summary);

static unsigned long sanitizer_reports;

const char *__asan_default_options(void)
{
	/* LSan would flag liburcu's per-thread state at exit: the shim's
	 * own accounting checks leaks per test instead. */
	return "halt_on_error=0:suppress_equal_pcs=0:detect_leaks=0";
}

const char *__ubsan_default_options(void)
{
	return "print_summary=1:print_stacktrace=1";
}

void __sanitizer_report_error_summary(const char *summary)
{
	fprintf(stderr, "%s\n", summary);
	__atomic_fetch_add(&sanitizer_reports, 1, __ATOMIC_SEQ_CST);
}

unsigned long ut_sanitizer_reports(void)
{
	return __atomic_load_n(&sanitizer_reports, __ATOMIC_SEQ_CST);
}

int ut_group_setup(void **state)
{
	(void)state;
	shim_thread_start("cmap-unit");
	return cmap_core_init();
}

int ut_group_teardown(void **state)
{
	unsigned long warnings = shim_warnings();

	(void)state;
	shim_wq_resume();
	cmap_core_exit();
	rcu_barrier();
	/* cmap_core_exit() warns about leaked elements and tables. */
	return shim_warnings() != warnings || shim_alloc_live() != 0;
}

struct ut_baseline {
	long live, mem;
	s64 elems;
	unsigned long warnings, printk, reports;
};

static struct ut_baseline base;

int ut_setup(void **state)
{
	(void)state;
	shim_wq_pause();
	shim_fault_inject(0, 0);
	shim_signal_clear();
	/* Hash keys are random in the kernel: here reproducible, and
	 * UT_SEED=n tries other layouts (tests must not depend on one). */
	shim_random_seed(getenv("UT_SEED") ? strtoull(getenv("UT_SEED"), NULL, 0) :
			 0x5eed5eed);
	rcu_barrier();
	base.live = shim_alloc_live();
	base.mem = cmap_mem_usage();
	base.elems = cmap_live_elements();
	base.warnings = shim_warnings();
	base.printk = shim_printk_warnings();
	base.reports = ut_sanitizer_reports();
	return 0;
}

int ut_teardown(void **state)
{
	(void)state;
	shim_fault_inject(0, 0);
	shim_set_resched_hook(NULL, NULL);
	shim_set_rcu_unlock_hook(NULL);
	shim_signal_clear();
	ut_run_work();
	rcu_barrier();
	ut_run_work();		/* what the RCU callbacks queued */
	shim_wq_resume();
	shim_random_seed(0);
	shim_set_quiet(false);
	return 0;
}

unsigned long ut_expected_warnings;

/* After a test that passed: nothing leaked, warned or was reported. */
static void ut_end_checks(void)
{
	shim_fault_inject(0, 0);
	ut_run_work();
	rcu_barrier();
	ut_run_work();
	if (shim_alloc_live() != base.live)
		fail_msg("leak: %ld objects live after the test, %ld before",
			 shim_alloc_live(), base.live);
	if (cmap_mem_usage() != base.mem)
		fail_msg("cmap_mem_usage() %ld after the test, %ld before",
			 cmap_mem_usage(), base.mem);
	if (cmap_live_elements() != base.elems)
		fail_msg("%lld elements alive after the test, %lld before",
			 cmap_live_elements(), base.elems);
	if (shim_warnings() - base.warnings != ut_expected_warnings)
		fail_msg("%lu WARN()s during the test",
			 shim_warnings() - base.warnings);
	if (ut_sanitizer_reports() != base.reports)
		fail_msg("%lu sanitizer reports during the test",
			 ut_sanitizer_reports() - base.reports);
}

struct cmap *ut_create_flags(u32 sync, u32 size_hint, u32 flags,
			     u64 max_entries, u64 max_bytes)
{
	struct cmap_params p = {
		.id = 7,
		.size_hint = size_hint,
		.sync = sync,
		.flags = flags,
		.max_entries = max_entries,
		.max_bytes = max_bytes,
	};
	struct cmap *t = cmap_create(&p);

	assert_false(IS_ERR_OR_NULL(t));
	return t;
}

struct cmap *ut_create_limits(u32 sync, u32 size_hint, u64 max_entries,
			      u64 max_bytes)
{
	return ut_create_flags(sync, size_hint, 0, max_entries, max_bytes);
}

struct cmap *ut_create(u32 sync, u32 size_hint)
{
	return ut_create_limits(sync, size_hint, 1ULL << 32, 1ULL << 40);
}

void ut_destroy(struct cmap *t)
{
	cmap_destroy(t);
}

unsigned int ut_run_work(void)
{
	unsigned int n = 0, r;

	while ((r = shim_wq_run_pending()))
		n += r;
	return n;
}

void ut_quiesce(void)
{
	ut_run_work();
	rcu_barrier();
	ut_run_work();		/* what the RCU callbacks queued */
}

u64 ut_buckets(struct cmap *t)
{
	struct cmap_table_stats st;

	cmap_stats(t, &st);
	return st.buckets;
}

u64 ut_entries(struct cmap *t)
{
	struct cmap_table_stats st;

	cmap_stats(t, &st);
	return st.entries;
}

bool ut_resizing(struct cmap *t)
{
	struct cmap_table_stats st;

	cmap_stats(t, &st);
	return st.resizing;
}

u32 ut_order(struct cmap *t)
{
	return __builtin_ctzll(ut_buckets(t));
}

u32 ut_order_for(u64 n)
{
	u32 order = 0;

	/* Smallest order holding n at no more than 3.25 per bucket. */
	while (order < CMAP_MAX_ORDER && n * 4 > 13ULL << order)
		order++;
	return order;
}

void ut_val64(u64 key, u64 version, u8 val[16])
{
	u64 a = key * 0x9e3779b97f4a7c15ULL ^ version, b = version;

	memcpy(val, &a, 8);
	memcpy(val + 8, &b, 8);
}

int ut_put64(struct cmap *t, u64 key, u64 version, enum cmap_put_mode mode)
{
	u8 val[16];

	ut_val64(key, version, val);
	return cmap_put(t, &key, sizeof(key), val, sizeof(val), mode);
}

int ut_get64(struct cmap *t, u64 key, u64 *version)
{
	struct cmap_elem *e;
	u8 want[16];
	int ret = 0;

	rcu_read_lock();
	e = cmap_lookup(t, &key, sizeof(key));
	if (e) {
		u64 v;

		ret = -1;
		if (e->vlen == 16 && e->klen == 8 &&
		    !memcmp(cmap_elem_key(e), &key, 8)) {
			memcpy(&v, (const u8 *)cmap_elem_value(e) + 8, 8);
			ut_val64(key, v, want);
			if (!memcmp(cmap_elem_value(e), want, 16)) {
				ret = 1;
				if (version)
					*version = v;
			}
		}
	}
	rcu_read_unlock();
	return ret;
}

int ut_del64(struct cmap *t, u64 key)
{
	return cmap_delete(t, &key, sizeof(key));
}

/* The model */

static u64 ut_fnv(const void *p, size_t n)
{
	const u8 *b = p;
	u64 h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/*
 * An element's real size: up to 256 bytes, its size rounded up to 8 bytes
 * (the core's exact-size caches), above that kmalloc's size class.
 */
u64 ut_elem_charge(u32 klen, u32 vlen)
{
	size_t size = offsetof(struct cmap_elem, data) + klen + vlen;

	return size <= 256 ? (size + 7) & ~(size_t)7 :
			     kmalloc_size_roundup(size);
}

void ut_model_init(struct ut_model *m)
{
	memset(m, 0, sizeof(*m));
	m->cap = 64;
	m->e = calloc(m->cap, sizeof(*m->e));
	assert_non_null(m->e);
}

void ut_model_free(struct ut_model *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->e[i].val);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* The slot of @key, or of the empty slot where it would go. */
static struct ut_entry *ut_model_slot(struct ut_model *m, const void *key,
				      u32 klen)
{
	size_t i = ut_fnv(key, klen) & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct ut_entry *e = &m->e[i];

		if (!e->used ||
		    (e->klen == klen && !memcmp(e->key, key, klen)))
			return e;
	}
}

struct ut_entry *ut_model_find(struct ut_model *m, const void *key, u32 klen)
{
	struct ut_entry *e = ut_model_slot(m, key, klen);

	return e->used ? e : NULL;
}

static void ut_model_grow(struct ut_model *m)
{
	struct ut_model n = { .cap = m->cap * 2 };
	size_t i;

	n.e = calloc(n.cap, sizeof(*n.e));
	assert_non_null(n.e);
	for (i = 0; i < m->cap; i++)
		if (m->e[i].used)
			*ut_model_slot(&n, m->e[i].key, m->e[i].klen) = m->e[i];
	free(m->e);
	m->e = n.e;
	m->cap = n.cap;
}

int ut_model_put(struct ut_model *m, const void *key, u32 klen,
		 const void *val, u32 vlen, enum cmap_put_mode mode)
{
	struct ut_entry *e;

	if (!klen || klen > UT_KEY_MAX || vlen > UT_VAL_MAX)
		return -EINVAL;
	if ((m->n + 1) * 2 > m->cap)
		ut_model_grow(m);
	e = ut_model_slot(m, key, klen);
	if (e->used && mode == CMAP_INSERT)
		return -EEXIST;
	if (!e->used && mode == CMAP_REPLACE)
		return -ENOENT;
	if (e->used) {
		m->bytes -= ut_elem_charge(e->klen, e->vlen);
		free(e->val);
	} else {
		m->n++;
		e->used = true;
		e->klen = klen;
		memcpy(e->key, key, klen);
	}
	e->vlen = vlen;
	e->val = malloc(vlen ? vlen : 1);
	assert_non_null(e->val);
	memcpy(e->val, val, vlen);
	m->bytes += ut_elem_charge(klen, vlen);
	return 0;
}

int ut_model_del(struct ut_model *m, const void *key, u32 klen)
{
	struct ut_entry *e;
	size_t i, j, k;

	if (!klen || klen > UT_KEY_MAX)
		return -EINVAL;
	e = ut_model_slot(m, key, klen);
	if (!e->used)
		return -ENOENT;
	m->bytes -= ut_elem_charge(e->klen, e->vlen);
	free(e->val);
	memset(e, 0, sizeof(*e));
	m->n--;
	/* Backward-shift deletion keeps probe sequences unbroken. */
	i = e - m->e;
	for (j = (i + 1) & (m->cap - 1); m->e[j].used; j = (j + 1) & (m->cap - 1)) {
		k = ut_fnv(m->e[j].key, m->e[j].klen) & (m->cap - 1);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->e[i] = m->e[j];
			memset(&m->e[j], 0, sizeof(m->e[j]));
			i = j;
		}
	}
	return 0;
}

void ut_model_clear(struct ut_model *m)
{
	ut_model_free(m);
	ut_model_init(m);
}

void ut_model_copy(struct ut_model *dst, const struct ut_model *src)
{
	size_t i;

	*dst = *src;
	dst->e = calloc(dst->cap, sizeof(*dst->e));
	assert_non_null(dst->e);
	for (i = 0; i < src->cap; i++) {
		dst->e[i] = src->e[i];
		if (src->e[i].used) {
			dst->e[i].val = malloc(src->e[i].vlen ?: 1);
			assert_non_null(dst->e[i].val);
			memcpy(dst->e[i].val, src->e[i].val, src->e[i].vlen);
		}
	}
}

/* Whole-table comparison */

struct ut_check_ctx {
	struct cmap *t;
	struct ut_model *m;
	bool *seen;		/* per model slot */
	size_t count;
	u32 last_hash;
	bool any;
	unsigned int groups;	/* of more than one element */
	const char *error;
};

static int ut_check_cb(void *arg, const struct cmap_elem *const *elems,
		       unsigned int n)
{
	struct ut_check_ctx *c = arg;
	unsigned int i;

	if (n > 1)
		c->groups++;
	for (i = 0; i < n && !c->error; i++) {
		const struct cmap_elem *e = elems[i];
		struct ut_entry *me = ut_model_find(c->m, cmap_elem_key(e),
						    e->klen);

		if (e->hash != cmap_hash(c->t, cmap_elem_key(e), e->klen))
			c->error = "element with a wrong hash";
		else if (i && e->hash != elems[0]->hash)
			c->error = "group of different hashes";
		else if (c->any && e->hash < c->last_hash)
			c->error = "iteration not in hash order";
		else if (c->any && !i && e->hash == c->last_hash)
			c->error = "one hash value split over two groups";
		else if (!me)
			c->error = "iteration returned a key the model lacks";
		else if (c->seen[me - c->m->e])
			c->error = "iteration returned a key twice";
		else if (me->vlen != e->vlen ||
			 memcmp(me->val, cmap_elem_value(e), e->vlen))
			c->error = "iteration returned a wrong value";
		if (c->error)
			break;
		c->seen[me - c->m->e] = true;
		c->count++;
		c->last_hash = e->hash;
		c->any = true;
	}
	return 0;
}

void ut_check_lookups(struct cmap *t, struct ut_model *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++) {
		struct ut_entry *me = &m->e[i];
		struct cmap_elem *e;
		bool ok, found;

		if (!me->used)
			continue;
		rcu_read_lock();
		if (t->kv) {
			/* an inline table: a copy of the value, no element */
			u8 v[CMAP_KV_LEN];

			e = NULL;
			found = cmap_kv_lookup(t, me->key, me->klen, v);
			ok = found && me->vlen == CMAP_KV_LEN &&
			     !memcmp(v, me->val, CMAP_KV_LEN);
		} else {
			e = cmap_lookup(t, me->key, me->klen);
			found = e;
			ok = e && e->klen == me->klen && e->vlen == me->vlen &&
			     !memcmp(cmap_elem_key(e), me->key, me->klen) &&
			     !memcmp(cmap_elem_value(e), me->val, me->vlen);
		}
		rcu_read_unlock();
		if (!ok)
			fail_msg("lookup of a %u-byte key (first byte %u) %s",
				 me->klen, me->key[0],
				 found ? "returned a wrong value" : "missed");
	}
}

unsigned int ut_check_iter(struct cmap *t, struct ut_model *m)
{
	struct ut_check_ctx c = { .t = t, .m = m };
	u64 cursor = 0;
	int ret;

	c.seen = calloc(m->cap, sizeof(*c.seen));
	assert_non_null(c.seen);
	ret = cmap_iter(t, &cursor, ut_check_cb, &c);
	free(c.seen);
	if (c.error)
		fail_msg("%s", c.error);
	assert_int_equal(ret, m->n);
	assert_true(cursor == CMAP_ITER_END);
	assert_int_equal(c.count, m->n);
	return c.groups;
}

void ut_check(struct cmap *t, struct ut_model *m)
{
	struct cmap_table_stats st;

	ut_check_lookups(t, m);
	ut_check_iter(t, m);
	cmap_stats(t, &st);
	assert_int_equal(st.entries, m->n);
	assert_int_equal(cmap_nr_entries(t), m->n);
	assert_int_equal(cmap_nr_bytes(t), m->bytes);
}

void ut_find_keys(struct cmap *t, u64 start, ut_hash_pred pred, void *arg,
		  u64 *out, unsigned int n)
{
	unsigned int found = 0;
	u64 k;

	for (k = start; found < n; k++) {
		assert_true(k - start < (1ULL << 32));	/* a pred that never holds */
		if (pred(cmap_hash(t, &k, sizeof(k)), arg))
			out[found++] = k;
	}
}

struct ut_hk {
	u32 hash;
	u64 key;
};

static int ut_hk_cmp(const void *a, const void *b)
{
	const struct ut_hk *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

void ut_find_hash_collision(struct cmap *t, u64 *a, u64 *b)
{
	const size_t n = 1 << 19;	/* ~32 expected pairs */
	struct ut_hk *v = malloc(n * sizeof(*v));
	size_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++) {
		v[i].key = i + 1;
		v[i].hash = cmap_hash(t, &v[i].key, 8);
	}
	qsort(v, n, sizeof(*v), ut_hk_cmp);
	for (i = 1; i < n; i++) {
		if (v[i].hash == v[i - 1].hash) {
			*a = v[i - 1].key;
			*b = v[i].key;
			free(v);
			return;
		}
	}
	free(v);
	fail_msg("no 32-bit hash collision among %zu keys", n);
}

const char *const ut_sync_names[CMAP_SYNC_COUNT] = {
	[CMAP_SYNC_RCU] = "rcu",
	[CMAP_SYNC_RWLOCK] = "rwlock",
	[CMAP_SYNC_SPINLOCK] = "spinlock",
	[CMAP_SYNC_COW] = "cow",
	[CMAP_SYNC_RACECHECK] = "racecheck",
};

struct ut_case {
	u32 mode;
	CMUnitTestFunction fn;
};

static void ut_case_run(void **state)
{
	struct ut_case *c = *state;
	void *mode = &c->mode;

	ut_expected_warnings = 0;
	c->fn(&mode);
	ut_end_checks();
}

int ut_run(const char *group, const struct ut_suite *suites, size_t nsuites)
{
	size_t max = 0, i, j, k = 0;
	struct CMUnitTest *all;
	struct ut_case *cases;
	u32 m;
	int ret;

	for (i = 0; i < nsuites; i++)
		max += suites[i].n * CMAP_SYNC_COUNT;
	all = calloc(max, sizeof(*all));
	cases = calloc(max, sizeof(*cases));
	assert_non_null(all);
	assert_non_null(cases);
	for (i = 0; i < nsuites; i++) {
		const struct ut_suite *su = &suites[i];

		for (j = 0; j < su->n; j++) {
			for (m = 0; m < CMAP_SYNC_COUNT; m++) {
				char *name;

				if (su->modes ? !(su->modes & (1u << m)) :
						m != CMAP_SYNC_RCU)
					continue;
				if (asprintf(&name, su->modes ? "%s/%s" : "%s",
					     su->tests[j].name,
					     ut_sync_names[m]) < 0)
					abort();
				cases[k].mode = m;
				cases[k].fn = su->tests[j].test_func;
				all[k] = (struct CMUnitTest){
					.name = name,
					.test_func = ut_case_run,
					.setup_func = ut_setup,
					.teardown_func = ut_teardown,
					.initial_state = &cases[k],
				};
				k++;
			}
		}
	}
	if (getenv("UT_FILTER"))	/* e.g. UT_FILTER='*half_done*' */
		cmocka_set_test_filter(getenv("UT_FILTER"));
	ret = _cmocka_run_group_tests(group, all, k, ut_group_setup,
				      ut_group_teardown);
	for (i = 0; i < k; i++)
		free((char *)all[i].name);
	free(all);
	free(cases);
	return ret;
}

unsigned int ut_nr_evacuated(struct cmap *t)
{
	struct cmap_tbl *tbl;
	unsigned int i, n = 0;

	rcu_read_lock();
	tbl = rcu_dereference(t->tbl);
	for (i = 0; i < (1U << tbl->order); i++)
		n += READ_ONCE(tbl->heads[i].evacuated);
	rcu_read_unlock();
	return n;
}

static void ut_mig_hook(void *arg, struct work_struct *work)
{
	struct ut_mig *mg = arg;

	if (work != &mg->t->resize_work || ++mg->calls != mg->at)
		return;
	mg->ran = true;
	mg->evacuated = ut_nr_evacuated(mg->t);
	mg->old_buckets = ut_buckets(mg->t);
	assert_true(ut_resizing(mg->t));
	mg->fn(mg);
}

void ut_run_migration(struct ut_mig *mg)
{
	shim_set_resched_hook(ut_mig_hook, mg);
	ut_run_work();
	shim_set_resched_hook(NULL, NULL);
	assert_true(mg->ran || mg->optional);
	assert_false(ut_resizing(mg->t));
}
