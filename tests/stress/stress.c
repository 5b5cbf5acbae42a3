// SPDX-License-Identifier: GPL-2.0
/*
 * Stress test of the table core in userspace, built under ThreadSanitizer
 * and under AddressSanitizer + UBSan (see mk/userspace.mk).
 *
 * Threads share one table:
 *  - writers own the shared keys k with k % writers == id and write each
 *    with a version that only grows (value = key, version, a fill derived
 *    from both); keys below STABLE are never deleted; in "fill" phases the
 *    writers mostly insert, in "drain" phases mostly delete, so the key
 *    count swings and the table grows and shrinks all the time;
 *  - readers look shared keys up and check the value is whole and its
 *    version never goes backwards for a key (per reader), and that stable
 *    keys are always found, also while their bucket migrates;
 *  - private threads write and read keys nobody else touches and check
 *    every result (return codes, values) against their own exact model;
 *  - an iterator walks the table over and over: each pass returns every
 *    stable key exactly once, no key twice, whole values.
 * At the end: the private models match the table, and after destroy and
 * rcu_barrier() nothing is left allocated and no WARN() fired.
 *
 * Every sync mode runs twice: on a table of elements, and as "<mode>-inline"
 * on an inline table (CMAP_F_INLINE), where every key and value is 8 bytes.
 * There a value is a word, (version << 20) | (the key's low 20 bits): the
 * shared keys are below 2^20, the private keys carry their owner and index
 * in their low 20 bits (and 0xfeed in their top 16), so a value torn from
 * another key's or half of another version does not decode to its key.
 *
 *   stress [-t threads] [-d seconds] [-m rcu,rwlock,...,rcu-inline,...]
 *          [-s seed] [-k factor: shared keys x factor] [--tap N]
 * The duration is split over the modes (by default all ten: the five sync
 * modes, then each inline).  Exit status 0 when all passed.
 * STRESS_DEBUG=1 prints the table's size every 10 ms.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ktime.h>

#include "cmap_core.h"
#include "shim.h"

#define STABLE		64		/* shared keys never deleted */
#define PRIV_KEYS	256		/* per private thread */

struct mode_cfg {
	const char *name;
	u32 sync;
	u32 flags;			/* CMAP_F_INLINE: 8-byte entries */
	u32 shared_keys;		/* the key count swings up to this */
};

static const struct mode_cfg modes[] = {
	{ "rcu",		CMAP_SYNC_RCU,		0,		4000 },
	{ "rwlock",		CMAP_SYNC_RWLOCK,	0,		4000 },
	{ "spinlock",		CMAP_SYNC_SPINLOCK,	0,		4000 },
	{ "cow",		CMAP_SYNC_COW,		0,		800 },
	{ "racecheck",		CMAP_SYNC_RACECHECK,	0,		4000 },
	{ "rcu-inline",		CMAP_SYNC_RCU,		CMAP_F_INLINE,	4000 },
	{ "rwlock-inline",	CMAP_SYNC_RWLOCK,	CMAP_F_INLINE,	4000 },
	{ "spinlock-inline",	CMAP_SYNC_SPINLOCK,	CMAP_F_INLINE,	4000 },
	{ "cow-inline",		CMAP_SYNC_COW,		CMAP_F_INLINE,	800 },
	{ "racecheck-inline",	CMAP_SYNC_RACECHECK,	CMAP_F_INLINE,	4000 },
};	/* (cow: every write copies the whole array) */

/*
 * Inline values: the version above the key's low KV_TAG_BITS.  Shared keys
 * stay below KV_SHARED_MAX; private ones are KV_PRIV_TOP | owner << 32 |
 * KV_SHARED_MAX | thread << 8 | index, so that their low bits differ from
 * every other key's (at most 256 threads, PRIV_KEYS 256).
 */
#define KV_TAG_BITS	20
#define KV_TAG_MASK	((1ULL << KV_TAG_BITS) - 1)
#define KV_SHARED_MAX	0xf0000ULL
#define KV_PRIV_TOP	(0xfeedULL << 48)
#define KV_MAX_THREADS	256

struct val {
	u64 key;
	u64 version;
	u8 fill[48];
};

static struct cmap *table;
static const struct mode_cfg *cfg;
static u32 nkeys, nwriters;
static bool stop;
static unsigned long failures;
static bool kv;				/* an inline table */
static u64 start_ns;
static unsigned long cycles;		/* writers' fill-and-drain cycles */
static unsigned int seed0 = 1;
static unsigned int keys_scale = 1;	/* -k: more shared keys */

/*
 * Sanitizer reports (ASan and UBSan built to recover, TSan) come here:
 * each fails the mode it happens in.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
void __sanitizer_report_error_summary(const char *summary);
static unsigned long sanitizer_reports;

const char *__asan_default_options(void)
{
	return "halt_on_error=0:detect_leaks=0";
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

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST) < 20) {
		va_start(ap, fmt);
		fprintf(stderr, "stress/%s: ", cfg->name);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
}

static bool stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static u32 vlen_of(u64 key, u64 version)
{
	return 16 + (key * 7 + version) % 49;	/* 16..64 */
}

static void make_val(struct val *v, u64 key, u64 version)
{
	unsigned int i;

	v->key = key;
	v->version = version;
	for (i = 0; i < sizeof(v->fill); i++)
		v->fill[i] = (u8)(key * 31 + version * 17 + i);
}

static u64 kv_val(u64 key, u64 version)
{
	return version << KV_TAG_BITS | (key & KV_TAG_MASK);
}

/* Is @v a whole inline value of @key?  Returns its version or 0. */
static u64 check_kv(u64 key, u64 v)
{
	if ((v & KV_TAG_MASK) != (key & KV_TAG_MASK) || !(v >> KV_TAG_BITS)) {
		failf("key %#llx: torn or foreign value %#llx", key, v);
		return 0;
	}
	return v >> KV_TAG_BITS;
}

/* Under RCU: is @e a whole value of @key?  Returns its version or 0. */
static u64 check_elem(const struct cmap_elem *e, u64 key, u32 klen)
{
	struct val v, want;
	u32 vlen = e->vlen;
	u64 w;

	if (e->klen != klen || memcmp(cmap_elem_key(e), &key, 8)) {
		failf("lookup of %llu returned another key", key);
		return 0;
	}
	if (kv) {
		/* An iteration's copy of an inline entry. */
		if (vlen != 8) {
			failf("key %llu: inline value of %u bytes", key, vlen);
			return 0;
		}
		memcpy(&w, cmap_elem_value(e), 8);
		return check_kv(key, w);
	}
	if (vlen < 16 || vlen > sizeof(v)) {
		failf("key %llu: value of %u bytes", key, vlen);
		return 0;
	}
	memcpy(&v, cmap_elem_value(e), vlen);
	make_val(&want, key, v.version);
	if (v.key != key || !v.version || vlen != vlen_of(key, v.version) ||
	    memcmp(&v, &want, vlen)) {
		failf("key %llu: torn or foreign value (version %llu)", key,
		      v.version);
		return 0;
	}
	return v.version;
}

/*
 * Put version @version of @key (@klen bytes at @keybuf; @key is what the
 * value is derived from).  racecheck refuses a second writer: try again.
 */
static int put_retry(u64 key, u32 klen, const void *keybuf, u64 version,
		     enum cmap_put_mode mode)
{
	struct val v;
	u64 w = kv_val(key, version);
	int err;

	make_val(&v, key, version);
	do {
		err = kv ? cmap_put(table, keybuf, klen, &w, 8, mode) :
		      cmap_put(table, keybuf, klen, &v, vlen_of(key, version),
			       mode);
	} while (err == -EBUSY && cfg->sync == CMAP_SYNC_RACECHECK);
	return err;
}

static int del_retry(const void *keybuf, u32 klen)
{
	int err;

	do {
		err = cmap_delete(table, keybuf, klen);
	} while (err == -EBUSY && cfg->sync == CMAP_SYNC_RACECHECK);
	return err;
}

static bool fill_phase(void)
{
	return ((ktime_get_ns() - start_ns) / 700000000ULL) % 2 == 0;
}

struct thr {
	pthread_t th;
	unsigned int id;
	unsigned int seed;
	u64 ops;
};

static void *writer(void *arg)
{
	struct thr *w = arg;
	u64 *version = calloc(nkeys, sizeof(*version));
	bool *present = calloc(nkeys, sizeof(*present));
	u64 k, owned = 0, stable = 0, npresent = 0;
	bool fill = true;

	shim_thread_start("writer");
	/* The stable keys were put in by main() with version 1. */
	for (k = w->id; k < nkeys; k += nwriters) {
		owned++;
		if (k < STABLE) {
			version[k] = 1;
			present[k] = true;
			npresent++;
			stable++;
		}
	}
	while (!stopped()) {
		/* Two draws: the key and what to do with it, uncorrelated. */
		int err, r = rand_r(&w->seed), d = rand_r(&w->seed);
		bool del;

		/*
		 * Fill to 90% of the owned keys, drain to 3%, again: a swing
		 * wider than the 13x between the grow and shrink thresholds.
		 */
		if (fill && npresent >= stable + (owned - stable) * 9 / 10) {
			fill = false;
		} else if (!fill && npresent <= stable + (owned - stable) * 3 / 100) {
			fill = true;
			__atomic_fetch_add(&cycles, 1, __ATOMIC_RELAXED);
		}
		k = (u64)(r % (nkeys / nwriters)) * nwriters + w->id;
		if (k >= nkeys)
			continue;
		del = k >= STABLE && (fill ? d % 16 == 0 : d % 4 != 0);
		if (del) {
			err = del_retry(&k, 8);
			if (err != (present[k] ? 0 : -ENOENT))
				failf("delete of owned key %llu: %d", k, err);
			npresent -= present[k];
			present[k] = false;
		} else if (!fill && !present[k]) {
			continue;	/* draining: no inserts */
		} else {
			enum cmap_put_mode mode = present[k] ?
				(d & 32 ? CMAP_REPLACE : CMAP_UPSERT) :
				(d & 32 ? CMAP_INSERT : CMAP_UPSERT);

			err = put_retry(k, 8, &k, ++version[k], mode);
			if (err)
				failf("put of owned key %llu: %d", k, err);
			npresent += !present[k];
			present[k] = true;
		}
		w->ops++;
	}
	shim_thread_stop();
	free(version);
	free(present);
	return NULL;
}

static void *reader(void *arg)
{
	struct thr *r = arg;
	u64 *seen = calloc(nkeys, sizeof(*seen));

	shim_thread_start("reader");
	while (!stopped()) {
		u64 k = rand_r(&r->seed) % nkeys, v = 0, w;
		struct cmap_elem *e;
		bool found;

		rcu_read_lock();
		if (kv) {
			found = cmap_kv_lookup(table, &k, 8, &w);
			if (found)
				v = check_kv(k, w);
		} else {
			e = cmap_lookup(table, &k, 8);
			found = e;
			if (e)
				v = check_elem(e, k, 8);
		}
		rcu_read_unlock();
		if (!found && k < STABLE)
			failf("stable key %llu not found", k);
		if (found && v < seen[k])
			failf("key %llu went back from version %llu to %llu",
			      k, seen[k], v);
		if (found)
			seen[k] = v;
		r->ops++;
	}
	shim_thread_stop();
	free(seen);
	return NULL;
}

/*
 * Private keys: 12 bytes, (thread, index, 0xfeed), or in an inline table
 * 8 (see KV_PRIV_TOP); an exact model.
 */
struct pkey {
	u64 idx;
	u32 owner;
} __attribute__((packed));

static u64 kv_pkey(const struct thr *p, u64 i)
{
	return KV_PRIV_TOP | (u64)p->id << 32 | KV_SHARED_MAX |
	       (u64)(p->id - 1000) << 8 | i;
}

/* The version of private key @i of @p in the table (~0: a wrong value). */
static u64 private_lookup(const struct thr *p, u64 i)
{
	struct pkey pk = { .idx = i, .owner = p->id };
	u64 v = 0, key = kv_pkey(p, i), w;
	struct cmap_elem *e;
	struct val val;

	rcu_read_lock();
	if (kv) {
		if (cmap_kv_lookup(table, &key, 8, &w))
			v = (w & KV_TAG_MASK) == (key & KV_TAG_MASK) ?
			    w >> KV_TAG_BITS : ~0ULL;
	} else {
		e = cmap_lookup(table, &pk, sizeof(pk));
		if (e && e->vlen >= 16) {
			memcpy(&val, cmap_elem_value(e), e->vlen);
			v = val.version;
			make_val(&val, i ^ ((u64)p->id << 48), v);
			if (memcmp(&val, cmap_elem_value(e), e->vlen))
				v = ~0ULL;
		} else if (e) {
			v = ~0ULL;
		}
	}
	rcu_read_unlock();
	return v;
}

static void *private(void *arg)
{
	struct thr *p = arg;
	u64 *version = calloc(PRIV_KEYS, sizeof(*version));	/* 0: absent */
	u64 k;

	shim_thread_start("private");
	while (!stopped()) {
		int r = rand_r(&p->seed), err, want;
		struct pkey pk = { .idx = r % PRIV_KEYS, .owner = p->id };
		u64 i = pk.idx, v, key = kv_pkey(p, i);
		const void *keybuf = kv ? (const void *)&key : &pk;
		u32 klen = kv ? 8 : sizeof(pk);

		switch (r % 8) {
		case 0: case 1: case 2: {
			enum cmap_put_mode mode = (r >> 8) % 3;

			want = mode == CMAP_INSERT && version[i] ? -EEXIST :
			       mode == CMAP_REPLACE && !version[i] ? -ENOENT : 0;
			v = (version[i] ? version[i] : (u64)i << 32) + 1;
			err = put_retry(kv ? key : i ^ ((u64)p->id << 48),
					klen, keybuf, v, mode);
			if (err != want)
				failf("private put: %d, want %d", err, want);
			if (!err)
				version[i] = v;
			break;
		}
		case 3: case 4:
			if (fill_phase() && r % 3)
				break;
			err = del_retry(keybuf, klen);
			if (err != (version[i] ? 0 : -ENOENT))
				failf("private delete: %d", err);
			version[i] = 0;
			break;
		default:
			v = private_lookup(p, i);
			if (v != version[i])
				failf("private lookup: version %llu, want %llu",
				      v, version[i]);
			break;
		}
		p->ops++;
	}
	/*
	 * Final check against the table: nobody else writes these keys, so
	 * every one must be as this thread left it (unless a failure stopped
	 * everything, which is reported already).
	 */
	for (k = 0; k < PRIV_KEYS; k++) {
		u64 v = private_lookup(p, k);

		if (__atomic_load_n(&failures, __ATOMIC_RELAXED))
			break;
		if (v != version[k])
			failf("private key %llu at the end: version %llu, want %llu",
			      k, v, version[k]);
	}
	shim_thread_stop();
	free(version);
	return NULL;
}

struct iter_ctx {
	u8 *pass;		/* per key: times seen in this pass */
	u64 *seen;		/* per key: last version seen */
	unsigned long n;
};

static int iter_cb(void *arg, const struct cmap_elem *const *elems,
		   unsigned int n)
{
	struct iter_ctx *c = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct cmap_elem *e = elems[i];
		u64 k, v;

		if (e->klen != 8)
			continue;	/* a private key */
		memcpy(&k, cmap_elem_key(e), 8);
		if (kv && (k & KV_PRIV_TOP) == KV_PRIV_TOP)
			continue;	/* an inline private key */
		if (k >= nkeys) {
			failf("iteration returned unknown key %llu", k);
			continue;
		}
		v = check_elem(e, k, 8);
		if (c->pass[k]++)
			failf("iteration returned key %llu twice", k);
		if (v < c->seen[k])
			failf("iteration: key %llu went back to version %llu",
			      k, v);
		c->seen[k] = v;
		c->n++;
	}
	return 0;
}

static void *iterator(void *arg)
{
	struct thr *it = arg;
	struct iter_ctx c = {
		.pass = malloc(nkeys),
		.seen = calloc(nkeys, sizeof(u64)),
	};

	shim_thread_start("iterator");
	while (!stopped()) {
		u64 cursor = 0, k;
		int ret;

		memset(c.pass, 0, nkeys);
		do {
			ret = cmap_iter(table, &cursor, iter_cb, &c);
			while (ret == -EBUSY && !stopped())
				ret = cmap_iter(table, &cursor, iter_cb, &c);
			if (ret < 0 && ret != -EBUSY)
				failf("iteration: %d", ret);
		} while (cursor < CMAP_ITER_END && !stopped() && ret >= 0);
		if (stopped())
			break;
		for (k = 0; k < STABLE; k++)
			if (c.pass[k] != 1)
				failf("pass %llu: stable key %llu seen %u times",
				      it->ops, k, c.pass[k]);
		it->ops++;
	}
	shim_thread_stop();
	free(c.pass);
	free(c.seen);
	return NULL;
}

static int run_mode(const struct mode_cfg *m, unsigned int threads,
		    double seconds)
{
	struct cmap_params p = { .id = 1, .sync = m->sync, .flags = m->flags,
				 .max_entries = 1 << 24, .max_bytes = 1ULL << 34 };
	unsigned int nreaders, nprivate, i, n = 0;
	struct cmap_table_stats st;
	struct thr *thr;
	unsigned long reports0 = sanitizer_reports;
	u64 resizes0;
	long live0;
	u64 k, ops[4] = {};

	cfg = m;
	kv = m->flags & CMAP_F_INLINE;
	nkeys = m->shared_keys * keys_scale;
	failures = 0;
	stop = false;
	/* threads: at least a writer, a reader, a private one, the iterator */
	threads = max(threads, 4u);
	if (kv && (nkeys > KV_SHARED_MAX || threads > KV_MAX_THREADS)) {
		fprintf(stderr, "stress/%s: at most %llu keys (-k %llu) and %u threads\n",
			m->name, KV_SHARED_MAX, KV_SHARED_MAX / m->shared_keys,
			KV_MAX_THREADS);
		return 1;
	}
	rcu_barrier();
	live0 = shim_alloc_live();
	table = cmap_create(&p);
	if (IS_ERR(table)) {
		fprintf(stderr, "stress: cmap_create: %ld\n", PTR_ERR(table));
		return 1;
	}
	nwriters = max(1u, (threads - 1) / 3);
	nprivate = max(1u, (threads - 1) / 4);
	nreaders = threads - 1 - nwriters - nprivate;
	for (k = 0; k < STABLE; k++)
		if (put_retry(k, 8, &k, 1, CMAP_INSERT))
			failf("initial insert of %llu", k);
	if (kv) {
		/* Only 8-byte keys and values; no elements to look up. */
		struct val v = {};
		u64 w = 0;

		k = 0;
		if (cmap_put(table, &k, 8, &v, 16, CMAP_UPSERT) != -EINVAL ||
		    cmap_put(table, &v, 12, &w, 8, CMAP_UPSERT) != -EINVAL ||
		    cmap_delete(table, &v, 12) != -EINVAL)
			failf("inline table: other lengths than 8 not refused");
		rcu_read_lock();
		if (cmap_lookup(table, &k, 8))
			failf("inline table: cmap_lookup() found an element");
		if (!cmap_kv_lookup(table, &k, 8, &w) || check_kv(k, w) != 1)
			failf("inline table: key 0 not found as put");
		rcu_read_unlock();
	}
	shim_wq_drain();
	cmap_stats(table, &st);
	resizes0 = st.resizes;
	cycles = 0;
	thr = calloc(threads, sizeof(*thr));
	start_ns = ktime_get_ns();
	for (i = 0; i < threads; i++) {
		void *(*fn)(void *) = i < nwriters ? writer :
				      i < nwriters + nreaders ? reader :
				      i < threads - 1 ? private : iterator;

		thr[i].id = i < nwriters ? i : i + 1000;
		thr[i].seed = seed0 * 7919 + i;
		pthread_create(&thr[i].th, NULL, fn, &thr[i]);
	}
	while (!stopped() &&
	       ktime_get_ns() - start_ns < (u64)(seconds * 1e9)) {
		usleep(10000);
		if (getenv("STRESS_DEBUG")) {
			cmap_stats(table, &st);
			fprintf(stderr, "entries %llu buckets %llu resizes %llu resizing %d pending %u\n",
				st.entries, st.buckets, st.resizes, st.resizing,
				shim_wq_nr_pending());
		}
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < threads; i++) {
		pthread_join(thr[i].th, NULL);
		ops[i < nwriters ? 0 : i < nwriters + nreaders ? 1 :
		    i < threads - 1 ? 2 : 3] += thr[i].ops;
	}
	shim_wq_drain();
	cmap_stats(table, &st);
	/* A fill-and-drain cycle grows the table and shrinks it back. */
	if (!failures && cycles && st.resizes < resizes0 + 2)
		failf("%lu fill-and-drain cycles but %llu resizes",
		      cycles, st.resizes - resizes0);
	if (!failures && ops[3] < 2)
		failf("only %llu iteration passes", ops[3]);
	n = failures;
	cmap_destroy(table);
	shim_wq_drain();
	rcu_barrier();
	shim_wq_drain();
	if (shim_alloc_live() != live0) {
		fprintf(stderr, "stress/%s: %ld objects leaked\n", m->name,
			shim_alloc_live() - live0);
		n++;
	}
	if (__atomic_load_n(&sanitizer_reports, __ATOMIC_SEQ_CST) != reports0) {
		fprintf(stderr, "stress/%s: %lu sanitizer reports\n", m->name,
			sanitizer_reports - reports0);
		n++;
	}
	if (cmap_live_elements()) {
		fprintf(stderr, "stress/%s: %lld elements alive\n", m->name,
			cmap_live_elements());
		n++;
	}
	printf("# %s: %u threads (%u writers, %u readers, %u private, 1 iterator), "
	       "%.1f s: %llu writes in %lu fill-and-drain cycles, %llu lookups, "
	       "%llu private ops, %llu passes, %llu resizes, %llu contended\n",
	       m->name, threads, nwriters, nreaders, nprivate, seconds, ops[0],
	       cycles, ops[1], ops[2], ops[3], st.resizes, st.contended);
	free(thr);
	return n != 0;
}

static void usage(FILE *out, const char *prog)
{
	unsigned int i;

	fprintf(out, "usage: %s [-t threads] [-d seconds] [-m mode,...] "
		"[-s seed] [-k key count factor] [--tap first]\n"
		"modes (default: all, the duration split over them):", prog);
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		fprintf(out, " %s", modes[i].name);
	fputc('\n', out);
}

int main(int argc, char **argv)
{
	const char *mode_list = "rcu,rwlock,spinlock,cow,racecheck,"
		"rcu-inline,rwlock-inline,spinlock-inline,cow-inline,"
		"racecheck-inline";
	unsigned int threads = 6, nmodes = 0, i, tap = 0, failed = 0;
	const struct mode_cfg *run[ARRAY_SIZE(modes)];
	double seconds = 10;
	unsigned long w0;
	char *list, *tok;
	int c;
	static const struct option lopts[] = {
		{ "tap", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "t:d:m:s:k:h", lopts, NULL)) != -1) {
		switch (c) {
		case 't': threads = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'm': mode_list = optarg; break;
		case 's': seed0 = atoi(optarg); break;
		case 'k': keys_scale = max(1, atoi(optarg)); break;
		case 'T': tap = atoi(optarg); break;
		case 'h': usage(stdout, argv[0]); return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	list = strdup(mode_list);
	for (tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		for (i = 0; i < ARRAY_SIZE(modes); i++)
			if (!strcmp(tok, modes[i].name))
				break;
		if (i == ARRAY_SIZE(modes)) {
			fprintf(stderr, "stress: unknown mode '%s'\n", tok);
			usage(stderr, argv[0]);
			return 2;
		}
		if (nmodes < ARRAY_SIZE(run))
			run[nmodes++] = &modes[i];
	}
	free(list);
	if (!nmodes) {
		fprintf(stderr, "stress: no mode in '%s'\n", mode_list);
		return 2;
	}
	shim_thread_start("stress");
	if (cmap_core_init())
		return 1;
	w0 = shim_warnings();
	for (i = 0; i < nmodes; i++) {
		int bad = run_mode(run[i], threads, seconds / nmodes);

		failed |= bad;
		if (tap)
			printf("%sok %u - stress/%s\n", bad ? "not " : "",
			       tap + i, run[i]->name);
	}
	cmap_core_exit();
	rcu_barrier();
	if (shim_warnings() != w0) {
		fprintf(stderr, "stress: %lu WARN()s\n", shim_warnings() - w0);
		failed = 1;
	}
	return failed;
}
