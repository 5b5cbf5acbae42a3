// SPDX-License-Identifier: GPL-2.0
/*
 * cmap benchmark: CMAP_IOC_BENCH.
 *
 * One request names a workload and a set of backends: any of the table's
 * synchronization modes (each on a private table made with cmap_create())
 * and the kernel's rhashtable as the baseline, all with the same workload:
 *
 *  - preload: each backend in turn, its threads insert keys 0..keys-1
 *    (8-byte keys, values of value_size bytes that start with the key's
 *    bytes), each thread its own range (racecheck: thread 0 alone, it
 *    allows one writer), into a table of the default size so that growth
 *    is real; with CMAP_BENCH_INLINE the modes' tables are inline tables
 *    (CMAP_F_INLINE: 8-byte values, in the buckets).  Pending resizes are
 *    then let to finish.
 *  - timed phase: the threads, pinned to the online CPUs round-robin, start
 *    together and loop: pick a key (uniform, or zipfian with key 0 the
 *    hottest), then a lookup (read_pct percent: under rcu_read_lock(), the
 *    value is copied out and its key prefix checked, like a GET) or an
 *    upsert of that key with a new value.  The phase goes round the
 *    backends in slices of 50 ms until each has had duration_ms, so that
 *    a machine whose load comes and goes (a TCG host running other guests)
 *    weighs on all of them alike.  Every 64th operation is timed with
 *    ktime_get_ns() into per-thread log-linear histograms (16 sub-buckets
 *    per power of two: 6% resolution).
 *  - growth (CMAP_BENCH_GROWTH): instead, one backend after the other, the
 *    threads insert keys 0..keys-1 into an empty table, each its own range,
 *    and every insert is timed.
 *
 * Timing: a sampled latency has the cost of one ktime_get_ns() call taken
 * out (each thread calibrates it as the minimum of back-to-back reads).
 * read_ns and write_ns are the means of the fastest 99% of their samples
 * (see bench_mean()); the percentiles and max cover all samples.  So
 * that RCU Tasks grace periods (BPF trampoline attach) can complete during a
 * run, each thread sleeps for ~50 us every 20 ms; those sleeps are not part
 * of its running time.  elapsed_ns is the longest thread's running time
 * (over all its slices) and ops_per_sec is ops / elapsed_ns.
 *
 * rhashtable baseline: objects { rhash_head, u64 key, rcu_head, u32 vlen,
 * value[] } from kmalloc(), like cmap's elements; key_len 8, automatic
 * shrinking.  Lookups use rhashtable_lookup() under rcu_read_lock(); an
 * upsert publishes a new object with rhashtable_replace_fast() (the old one
 * goes to kfree_rcu()) or inserts with rhashtable_lookup_get_insert_fast();
 * an insert refused with -EBUSY is counted in @busy and retried after a
 * short sleep.  It has no lock counters (bit spinlocks); its resizes are
 * counted as the net doublings of its bucket table.  Its memory is its
 * objects (each as kmalloc_size_roundup()) plus the bucket table.
 *
 * Signals: the caller waits interruptibly.  A signal sets a stop flag that
 * the threads test before every operation (and every preload insert); the
 * call joins them, frees the tables and returns 0 with @interrupted set and
 * the results so far: of every backend made, the interrupted one included.
 * Nothing outlives the call: threads are joined and tables freed before it
 * returns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <linux/cmap.h>
#include <linux/cmap_bench.h>

#include "cmap_compat.h"
#include "cmap_core.h"
#include "cmap_bench.h"
#include "cmap_uaccess.h"

#define BENCH_MODE_RHT		31	/* ilog2(CMAP_BENCH_RHASHTABLE) */
#define BENCH_MAX_KEYS		(1U << 24)
#define BENCH_MAX_DURATION_MS	600000
#define BENCH_THETA_DEFAULT	990

/* One operation in BENCH_SAMPLE is timed; the stop flag is read on each. */
#define BENCH_SAMPLE		64
/* Sleep BENCH_PAUSE_US every BENCH_PAUSE_NS of running, for RCU Tasks. */
#define BENCH_PAUSE_NS		(20 * NSEC_PER_MSEC)
#define BENCH_PAUSE_US		50
/* The timed phase goes round the backends in slices of this length. */
#define BENCH_SLICE_MS		50
/* rhashtable said -EBUSY: wait this long before trying again. */
#define BENCH_BUSY_US		20

/* Latency histogram: values 0..31 exact, then 16 buckets per power of 2. */
#define BENCH_HIST_SUB_BITS	4
#define BENCH_HIST_SUB		(1U << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_BUCKETS	((64 - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB)

/* ------------------------------------------------------------------------
 * Fixed-point arithmetic for the zipfian generator (no FPU in the kernel).
 * Values are Q32: 32 integer and 32 fraction bits.
 */
#define FX_ONE			((s64)1 << 32)

/* 2^(2^-k) in Q62, k = 1..32 */
static const u64 fx_exp2_frac[32] = {
	0x5a827999fcef3242ULL, 0x4c1bf828c6dc54b8ULL, 0x45cae0f1f545eb73ULL,
	0x42d561b3e6243d8aULL, 0x4166c34c5615d0ecULL, 0x40b268f9de0183baULL,
	0x4058f6a7ecccd5b6ULL, 0x402c6be96af2fb58ULL, 0x4016321b687027a8ULL,
	0x400b18178ba33b14ULL, 0x40058bce410147e8ULL, 0x4002c5d7bff71dafULL,
	0x400162e807ee7e5bULL, 0x4000b1730df6a524ULL, 0x400058b9497b8152ULL,
	0x40002c5c955dd701ULL, 0x4000162e46d6f26cULL, 0x40000b1722757b1bULL,
	0x4000058b90fd3e0cULL, 0x400002c5c86f3f26ULL, 0x40000162e433c79bULL,
	0x400000b17218edd0ULL, 0x40000058b90c3968ULL, 0x4000002c5c860d54ULL,
	0x400000162e4302d2ULL, 0x4000000b17218073ULL, 0x400000058b90bffcULL,
	0x40000002c5c85fefULL, 0x4000000162e42ff3ULL, 0x40000000b17217f9ULL,
	0x4000000058b90bfcULL, 0x400000002c5c85feULL,
};

static u64 fx_mul(u64 a, u64 b)
{
	return mul_u64_u64_shr(a, b, 32);
}

static u64 fx_div(u64 a, u64 b)
{
	return mul_u64_u64_div_u64(a, FX_ONE, b);
}

static s64 fx_smul(s64 a, s64 b)
{
	s64 m = mul_u64_u64_shr(abs(a), abs(b), 32);

	return (a < 0) != (b < 0) ? -m : m;
}

/* log2 of a positive Q32 value, in Q32: one result bit per squaring. */
static s64 fx_log2(u64 x)
{
	int msb = fls64(x) - 1;
	u64 m = msb >= 62 ? x >> (msb - 62) : x << (62 - msb);	/* [1, 2) Q62 */
	s64 r = (s64)(msb - 32) * FX_ONE;
	int k;

	for (k = 1; k <= 32; k++) {
		m = mul_u64_u64_shr(m, m, 62);
		if (m >= 1ULL << 63) {
			m >>= 1;
			r += 1LL << (32 - k);
		}
	}
	return r;
}

/* 2^y for a Q32 exponent y, in Q32 (saturates above 2^32). */
static u64 fx_exp2(s64 y)
{
	s64 ip = y >> 32;		/* floor */
	u32 f = (u32)y;
	u64 m = 1ULL << 62;		/* 1.0 in Q62 */
	int k;

	for (k = 1; k <= 32; k++)
		if (f & (1U << (32 - k)))
			m = mul_u64_u64_shr(m, fx_exp2_frac[k - 1], 62);
	if (ip >= 32)
		return U64_MAX;
	if (ip >= 30)
		return m << (ip - 30);
	if (ip <= -34)
		return 0;
	return m >> (30 - ip);
}

/* x^p for a positive Q32 x and a signed Q32 p */
static u64 fx_pow(u64 x, s64 p)
{
	return fx_exp2(fx_smul(fx_log2(x), p));
}

/*
 * Zipfian keys, the method of Gray et al. ("Quickly generating
 * billion-record synthetic databases", SIGMOD 1994) as in YCSB and in
 * cmapctl load: key 0 has probability 1/zeta(n), key 1 2^-theta/zeta(n),
 * beyond that key = n * (eta * u - eta + 1)^(1 / (1 - theta)) for a
 * uniform u.  That last function is tabulated once at BENCH_ZIPF_STEPS + 1
 * points and interpolated linearly (its error there is far below one key).
 */
#define BENCH_ZIPF_BITS		16
#define BENCH_ZIPF_STEPS	(1U << BENCH_ZIPF_BITS)
#define BENCH_ZETA_EXACT	4096

struct bench_zipf {
	u64 n;
	u64 u0;		/* u below this: key 0 (Q32) */
	u64 u1;		/* below this: key 1 */
	u64 *key;	/* BENCH_ZIPF_STEPS + 1 keys, Q16, non-decreasing */
};

/*
 * zeta(n, theta) = sum of i^-theta for i = 1..n, in Q32: exact over the
 * first BENCH_ZETA_EXACT terms, then Euler-Maclaurin (whose next term is
 * below 1e-14 there).
 */
static u64 bench_zeta(u64 n, s64 theta)
{
	u64 m = min_t(u64, n, BENCH_ZETA_EXACT), sum = 0, a, b, i;
	s64 om = FX_ONE - theta;

	for (i = 1; i <= m; i++)
		sum += fx_pow(i << 32, -theta);
	if (n == m)
		return sum;
	a = (m + 1) << 32;
	b = n << 32;
	sum += fx_div(fx_pow(b, om) - fx_pow(a, om), om);
	sum += (fx_pow(a, -theta) + fx_pow(b, -theta)) / 2;
	sum += fx_mul(theta, fx_pow(a, -theta - FX_ONE) -
			     fx_pow(b, -theta - FX_ONE)) / 12;
	return sum;
}

static int bench_zipf_init(struct bench_zipf *z, u64 n, u32 theta_milli)
{
	s64 theta = div_u64((u64)theta_milli << 32, 1000);
	s64 alpha = div_u64(1000ULL << 32, 1000 - theta_milli);
	u64 zetan = bench_zeta(n, theta);
	u64 zeta2 = FX_ONE + fx_exp2(-theta);
	u64 eta, prev = 0;
	u32 j;

	z->n = n;
	z->u0 = fx_div(FX_ONE, zetan);
	z->u1 = fx_div(zeta2, zetan);
	z->key = NULL;
	if (n < 3)		/* u0 and u1 cover every u */
		return 0;
	z->key = kvmalloc_array(BENCH_ZIPF_STEPS + 1, sizeof(*z->key),
				GFP_KERNEL);
	if (!z->key)
		return -ENOMEM;
	/* eta = (1 - (2/n)^(1 - theta)) / (1 - zeta2 / zeta(n)) */
	eta = fx_div(FX_ONE - fx_exp2(fx_smul(FX_ONE - theta,
					      FX_ONE - fx_log2(n << 32))),
		     FX_ONE - fx_div(zeta2, zetan));
	for (j = 0; j <= BENCH_ZIPF_STEPS; j++) {
		u64 u = (u64)j << (32 - BENCH_ZIPF_BITS);
		u64 v = FX_ONE - fx_mul(eta, FX_ONE - u);
		u64 k = v ? mul_u64_u64_shr(n << 16, fx_pow(v, alpha), 32) : 0;

		prev = z->key[j] = max(k, prev);
		if (!(j & 1023))
			cond_resched();
	}
	return 0;
}

static void bench_zipf_free(struct bench_zipf *z)
{
	kvfree(z->key);
}

static __always_inline u64 bench_zipf_next(const struct bench_zipf *z, u32 r)
{
	u32 j = r >> (32 - BENCH_ZIPF_BITS);
	u64 f = r & (BENCH_ZIPF_STEPS - 1);
	u64 lo, k;

	if (r < z->u0)
		return 0;
	if (r < z->u1)
		return 1;
	lo = z->key[j];
	k = (lo + (((z->key[j + 1] - lo) * f) >> BENCH_ZIPF_BITS)) >> 16;
	return min(k, z->n - 1);
}

/* splitmix64: one word of state per thread */
static __always_inline u64 bench_rand(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------------------
 * Runs
 */
enum bench_kind {
	BENCH_CMAP,
	BENCH_RHT,
};

/* What a backend's threads do when started. */
enum bench_phase {
	BENCH_PRELOAD,		/* insert their key ranges */
	BENCH_MIX,		/* lookups and upserts until stopped */
	BENCH_GROW,		/* insert their key ranges, timing each */
};

/* What a table's counters say, at one moment. */
struct bench_usage {
	u64 entries;
	u64 bytes;
	u64 acquisitions;
	u64 contended;
	u64 resizes;
};

/* The rhashtable baseline's object: cmap's element, rhashtable style. */
struct bench_obj {
	struct rhash_head node;
	u64 key;
	struct rcu_head rcu;
	u32 vlen;
	u8 value[];
};

static const struct rhashtable_params bench_rht_params = {
	.key_len		= sizeof(u64),
	.key_offset		= offsetof(struct bench_obj, key),
	.head_offset		= offsetof(struct bench_obj, node),
	.automatic_shrinking	= true,
};

struct bench_run;

/**
 * struct bench_thread - one benchmark thread and what it measured
 * @run:        the run it belongs to
 * @task:       its kthread
 * @rng:        random state
 * @lo:         first key of its preload or growth range
 * @hi:         end of that range
 * @val:        value buffer for puts
 * @out:        buffer lookups copy values into
 * @timer_ns:   cost of one ktime_get_ns(), taken out of each sample
 * @last_pause: when it last slept
 * @slept:      time spent in those sleeps
 * @run_ns:     timed phase (all its slices), sleeps excluded
 * @ops:        operations of the timed phase
 * @reads:      of which lookups
 * @writes:     of which puts
 * @failed:     failed operations (preload included)
 * @busy:       rhashtable -EBUSY answers (retried)
 * @objs:       rhashtable objects allocated and not freed
 * @max_ns:     largest sample
 * @hist:       sampled latencies of lookups ([0]) and of puts ([1])
 */
struct bench_thread {
	struct bench_run *run;
	struct task_struct *task;
	u64 rng;
	u64 lo;
	u64 hi;
	u8 *val;
	u8 *out;
	u64 timer_ns;
	u64 last_pause;
	u64 slept;
	u64 run_ns;
	u64 ops;
	u64 reads;
	u64 writes;
	u64 failed;
	u64 busy;
	long objs;
	u64 max_ns;
	u64 hist[2][BENCH_HIST_BUCKETS];
} ____cacheline_aligned_in_smp;

/**
 * struct bench_run - one backend: its table, its threads, its figures
 * @stop:      set by the caller on a signal
 * @req:       the workload
 * @zipf:      zipfian keys, when the workload asks for them
 * @kind:      cmap or rhashtable
 * @mode:      enum cmap_mode, or BENCH_MODE_RHT
 * @phase:     what the threads do
 * @map:       the cmap table
 * @ht:        the rhashtable
 * @ht_order0: log2 of the rhashtable's first bucket count
 * @obj_size:  kmalloc size of a rhashtable object
 * @before:    the table's counters when the timed phase started
 * @deadline:  BENCH_MIX: when the slice ends (ktime_get_ns())
 * @gen:       phases started; the threads wait for it to change
 * @wq:        where they wait
 * @running:   threads not done with the phase
 * @done:      completed when @running reaches zero
 * @nthreads:  threads
 * @th:        the threads
 */
struct bench_run {
	bool stop ____cacheline_aligned_in_smp;
	const struct cmap_bench *req ____cacheline_aligned_in_smp;
	const struct bench_zipf *zipf;
	enum bench_kind kind;
	u32 mode;
	enum bench_phase phase;
	struct cmap *map;
	struct rhashtable ht;
	u32 ht_order0;
	u32 obj_size;
	struct bench_usage before;
	u64 deadline;
	u32 gen;
	wait_queue_head_t wq;
	atomic_t running;
	struct completion done;
	u32 nthreads;
	struct bench_thread th[];
};

static __always_inline bool bench_stopped(const struct bench_run *run)
{
	return READ_ONCE(run->stop);
}

/* A value for @key: the key's bytes first (as many as fit), then filler. */
static void bench_fill(u8 *val, u32 len, u64 key, u8 fill)
{
	memset(val, fill, len);
	memcpy(val, &key, min_t(u32, len, sizeof(key)));
}

static struct bench_obj *bench_obj_new(struct bench_thread *th, u64 key)
{
	struct bench_run *run = th->run;
	u32 vlen = run->req->value_size;
	struct bench_obj *obj = kmalloc(run->obj_size, GFP_KERNEL);

	if (!obj)
		return NULL;
	obj->key = key;
	obj->vlen = vlen;
	memcpy(obj->value, th->val, vlen);
	th->objs++;
	return obj;
}

/*
 * Insert @key, or with @replace also replace it (an upsert), in the
 * rhashtable; -EBUSY is counted and retried after a short sleep.
 */
static int bench_rht_put(struct bench_thread *th, u64 key, bool replace)
{
	struct rhashtable *ht = &th->run->ht;
	struct bench_obj *obj, *old;
	int err;

	obj = bench_obj_new(th, key);
	if (!obj)
		return -ENOMEM;
	for (;;) {
		rcu_read_lock();
		old = replace ? rhashtable_lookup(ht, &key, bench_rht_params) :
		      NULL;
		if (old) {
			err = rhashtable_replace_fast(ht, &old->node, &obj->node,
						      bench_rht_params);
			rcu_read_unlock();
			if (!err) {
				kfree_rcu(old, rcu);
				th->objs--;
				return 0;
			}
			if (err == -ENOENT)	/* replaced meanwhile */
				continue;
			break;
		}
		old = rhashtable_lookup_get_insert_fast(ht, &obj->node,
							bench_rht_params);
		rcu_read_unlock();
		if (!old)
			return 0;
		if (!IS_ERR(old)) {
			if (replace)		/* inserted meanwhile */
				continue;
			err = -EEXIST;
			break;
		}
		err = PTR_ERR(old);
		if (err != -EBUSY || bench_stopped(th->run))
			break;
		th->busy++;
		usleep_range(BENCH_BUSY_US, 2 * BENCH_BUSY_US);
	}
	kfree(obj);
	th->objs--;
	return err;
}

/* Insert (or with @replace upsert) @key with a fresh value. */
static __always_inline int bench_put(struct bench_thread *th,
				     enum bench_kind kind, u64 key,
				     bool replace)
{
	struct bench_run *run = th->run;
	u32 vlen = run->req->value_size;

	bench_fill(th->val, vlen, key, (u8)th->writes);
	if (kind == BENCH_RHT)
		return bench_rht_put(th, key, replace);
	return cmap_put(run->map, &key, sizeof(key), th->val, vlen,
			replace ? CMAP_UPSERT : CMAP_INSERT);
}

/*
 * Look @key up and copy its value out, as a GET does.  Return: 0, -ENOENT,
 * or -EIO when the value is not the key's.
 */
static __always_inline int bench_get(struct bench_thread *th,
				     enum bench_kind kind, u64 key)
{
	struct bench_run *run = th->run;
	bool found = false;
	u32 vlen = 0;

	rcu_read_lock();
	if (kind == BENCH_CMAP && (run->req->flags & CMAP_BENCH_INLINE)) {
		found = cmap_kv_lookup(run->map, &key, sizeof(key), th->out);
		vlen = CMAP_KV_LEN;
	} else if (kind == BENCH_CMAP) {
		const struct cmap_elem *e = cmap_lookup(run->map, &key,
							sizeof(key));

		if (e) {
			found = true;
			vlen = min_t(u32, e->vlen, run->req->value_size);
			memcpy(th->out, cmap_elem_value(e), vlen);
		}
	} else {
		const struct bench_obj *o = rhashtable_lookup(&run->ht, &key,
							      bench_rht_params);

		if (o) {
			found = true;
			vlen = min_t(u32, o->vlen, run->req->value_size);
			memcpy(th->out, o->value, vlen);
		}
	}
	rcu_read_unlock();
	if (!found)
		return -ENOENT;
	if (vlen != run->req->value_size)
		return -EIO;
	/* (the common 8-byte prefix as a word: no call to memcmp()) */
	if (vlen >= sizeof(key) ? get_unaligned((const u64 *)th->out) != key :
	    memcmp(th->out, &key, vlen))
		return -EIO;
	return 0;
}

static __always_inline u32 bench_hist_idx(u64 v)
{
	u32 k;

	if (v < 2 * BENCH_HIST_SUB)
		return v;
	k = fls64(v) - 1;
	return ((k - BENCH_HIST_SUB_BITS + 1) << BENCH_HIST_SUB_BITS) +
	       ((v >> (k - BENCH_HIST_SUB_BITS)) & (BENCH_HIST_SUB - 1));
}

/* The smallest value that falls in bucket @idx, and its width. */
static u64 bench_hist_low(u32 idx, u64 *width)
{
	u32 shift = (idx >> BENCH_HIST_SUB_BITS) - 1;

	*width = 1;
	if (idx < 2 * BENCH_HIST_SUB)
		return idx;
	*width <<= shift;
	return (u64)(BENCH_HIST_SUB + (idx & (BENCH_HIST_SUB - 1))) << shift;
}

static __always_inline void bench_sample(struct bench_thread *th, bool read,
					 u64 ns)
{
	ns = ns > th->timer_ns ? ns - th->timer_ns : 0;
	th->hist[!read][bench_hist_idx(ns)]++;
	th->max_ns = max(th->max_ns, ns);
}

/* The cost of reading the clock: the best of back-to-back reads. */
static u64 bench_timer_cost(void)
{
	u64 best = U64_MAX;
	int i;

	for (i = 0; i < 256; i++) {
		u64 t0 = ktime_get_ns();

		best = min(best, ktime_get_ns() - t0);
	}
	return best;
}

/*
 * Between operations: let others run, and every BENCH_PAUSE_NS sleep a
 * little so that RCU Tasks sees a voluntary switch (see the file comment).
 * The sleep is accounted in th->slept.  @now: a recent ktime_get_ns().
 */
static void bench_pause(struct bench_thread *th, u64 now)
{
	cond_resched();
	if (now - th->last_pause < BENCH_PAUSE_NS)
		return;
	usleep_range(BENCH_PAUSE_US, 2 * BENCH_PAUSE_US);
	th->last_pause = ktime_get_ns();
	th->slept += th->last_pause - now;
}

static __always_inline void bench_preload(struct bench_thread *th,
					  enum bench_kind kind)
{
	u64 key;

	th->last_pause = ktime_get_ns();
	for (key = th->lo; key < th->hi && !bench_stopped(th->run); key++) {
		if (bench_put(th, kind, key, false))
			th->failed++;
		if (!(key & (BENCH_SAMPLE - 1)))
			bench_pause(th, ktime_get_ns());
	}
}

/* A slice of the timed phase: lookups and upserts until stopped. */
static __always_inline void bench_mix(struct bench_thread *th,
				      enum bench_kind kind)
{
	const struct cmap_bench *req = th->run->req;
	const struct bench_zipf *zipf = th->run->zipf;
	u64 start, t0 = 0, n;
	bool last = false;

	th->slept = 0;
	start = th->last_pause = ktime_get_ns();
	for (n = 1; !last && !bench_stopped(th->run); n++) {
		bool sample = !(n & (BENCH_SAMPLE - 1));
		u64 r = bench_rand(&th->rng);
		/* low half: the key; high half: the kind of operation */
		u64 key = zipf ? bench_zipf_next(zipf, (u32)r) :
			  (((r & U32_MAX) * req->keys) >> 32);
		bool read = (((r >> 32) * 100) >> 32) < req->read_pct;
		int err;

		if (sample)
			t0 = ktime_get_ns();
		err = read ? bench_get(th, kind, key) :
		      bench_put(th, kind, key, true);
		if (sample) {
			u64 t1 = ktime_get_ns();

			bench_sample(th, read, t1 - t0);
			last = t1 >= th->run->deadline;
			bench_pause(th, t1);
		}
		if (read)
			th->reads++;
		else
			th->writes++;
		if (err && err != -ENOENT)
			th->failed++;
	}
	th->ops = th->reads + th->writes;
	th->run_ns += ktime_get_ns() - start - th->slept;
}

/* The growth run: insert the thread's key range, timing every insert. */
static __always_inline void bench_grow(struct bench_thread *th,
				       enum bench_kind kind)
{
	u64 start, t0, t1, key;

	th->slept = 0;
	start = th->last_pause = ktime_get_ns();
	for (key = th->lo; key < th->hi && !bench_stopped(th->run); key++) {
		t0 = ktime_get_ns();
		if (bench_put(th, kind, key, false))
			th->failed++;
		t1 = ktime_get_ns();
		bench_sample(th, false, t1 - t0);
		th->writes++;
		if (!(key & (BENCH_SAMPLE - 1)))
			bench_pause(th, t1);
	}
	th->ops = th->writes;
	th->run_ns += ktime_get_ns() - start - th->slept;
}

/* The loops, specialized per backend so the hot path has no indirection. */
static noinline void bench_work_cmap(struct bench_thread *th,
				     enum bench_phase phase)
{
	if (phase == BENCH_PRELOAD)
		bench_preload(th, BENCH_CMAP);
	else if (phase == BENCH_GROW)
		bench_grow(th, BENCH_CMAP);
	else
		bench_mix(th, BENCH_CMAP);
}

static noinline void bench_work_rht(struct bench_thread *th,
				    enum bench_phase phase)
{
	if (phase == BENCH_PRELOAD)
		bench_preload(th, BENCH_RHT);
	else if (phase == BENCH_GROW)
		bench_grow(th, BENCH_RHT);
	else
		bench_mix(th, BENCH_RHT);
}

/*
 * A benchmark thread: for each phase the caller starts (bench_phase()),
 * work, then report; until kthread_stop().  It waits interruptibly, so no
 * hung-task report however long other backends take; a kthread gets no
 * signals.
 */
static int bench_thread_fn(void *arg)
{
	struct bench_thread *th = arg;
	struct bench_run *run = th->run;
	u32 gen = 0;

	th->timer_ns = bench_timer_cost();
	for (;;) {
		wait_event_interruptible(run->wq, kthread_should_stop() ||
					 smp_load_acquire(&run->gen) != gen);
		if (kthread_should_stop())
			return 0;
		gen = smp_load_acquire(&run->gen);
		if (run->kind == BENCH_CMAP)
			bench_work_cmap(th, run->phase);
		else
			bench_work_rht(th, run->phase);
		if (atomic_dec_and_test(&run->running))
			complete_all(&run->done);  /* the caller may wait twice */
	}
}

/* ------------------------------------------------------------------------
 * Tables
 */
static u32 bench_rht_size(struct rhashtable *ht, u64 *bytes)
{
	const struct bucket_table *tbl;
	u32 size;

	rcu_read_lock();
	tbl = rht_dereference_rcu(ht->tbl, ht);
	size = tbl->size;
	*bytes = 0;
	for (; tbl; tbl = rht_dereference_rcu(tbl->future_tbl, ht))
		*bytes += struct_size(tbl, buckets, tbl->size);
	rcu_read_unlock();
	return size;
}

static int bench_table_create(struct bench_run *run)
{
	const struct cmap_bench *req = run->req;
	u64 tbl_bytes;
	int err;

	if (run->kind == BENCH_RHT) {
		run->obj_size = kmalloc_size_roundup(struct_size_t(struct bench_obj,
								   value,
								   req->value_size));
		err = rhashtable_init(&run->ht, &bench_rht_params);
		if (err)
			return err;
		run->ht_order0 = ilog2(bench_rht_size(&run->ht, &tbl_bytes));
		return 0;
	}
	run->map = cmap_create(&(struct cmap_params) {
		.size_hint = 0,			/* grow from the default size */
		.max_entries = 2ULL * req->keys + 64,
		/* no limit (as CREATE clamps one); bench_check() bounds it */
		.max_bytes = S64_MAX >> 1,
		.sync = run->mode,
		.flags = req->flags & CMAP_BENCH_INLINE ? CMAP_F_INLINE : 0,
	});
	if (IS_ERR(run->map))
		return PTR_ERR(run->map);
	return 0;
}

/* Wait for pending resizes, so that memory is measured at rest. */
static void bench_table_settle(struct bench_run *run)
{
	if (run->kind == BENCH_RHT)
		flush_work(&run->ht.run_work);
	else
		flush_work(&run->map->resize_work);
}

static void bench_table_usage(struct bench_run *run, struct bench_usage *u)
{
	struct cmap_table_stats st;
	u64 tbl_bytes;
	u32 size;

	if (run->kind == BENCH_RHT) {
		size = bench_rht_size(&run->ht, &tbl_bytes);
		*u = (struct bench_usage) {
			.entries = atomic_read(&run->ht.nelems),
			.resizes = abs((int)ilog2(size) - (int)run->ht_order0),
		};
		u->bytes = u->entries * run->obj_size + tbl_bytes;
		return;
	}
	cmap_stats(run->map, &st);
	*u = (struct bench_usage) {
		.entries = st.entries,
		.bytes = st.bytes,
		.acquisitions = st.acquisitions,
		.contended = st.contended,
		.resizes = st.resizes,
	};
}

static void bench_rht_free_obj(void *ptr, void *arg)
{
	long *freed = arg;

	kfree(ptr);
	(*freed)++;
}

static void bench_table_destroy(struct bench_run *run)
{
	long objs = 0, freed = 0;
	u32 i;

	if (run->kind == BENCH_CMAP) {
		cmap_destroy(run->map);
		return;
	}
	rhashtable_free_and_destroy(&run->ht, bench_rht_free_obj, &freed);
	for (i = 0; i < run->nthreads; i++)
		objs += run->th[i].objs;
	WARN(objs != freed, "cmap: bench: rhashtable: %ld objects allocated, %ld freed\n",
	     objs, freed);
}

/* ------------------------------------------------------------------------
 * Threads
 */

/* The @i-th online CPU, round-robin. */
static unsigned int bench_cpu(u32 i)
{
	unsigned int cpu = cpumask_nth(i % num_online_cpus(), cpu_online_mask);

	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_online_mask);
}

static void bench_threads_stop(struct bench_run *run, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		kthread_stop(run->th[i].task);
		run->th[i].task = NULL;
	}
}

/* Create every thread, bound to its CPU, waiting for a phase. */
static int bench_threads_start(struct bench_run *run)
{
	struct task_struct *p;
	u32 i;

	for (i = 0; i < run->nthreads; i++) {
		unsigned int cpu = bench_cpu(i);

		p = kthread_create_on_node(bench_thread_fn, &run->th[i],
					   cpu_to_node(cpu), "cmap_bench/%u", i);
		if (IS_ERR(p)) {
			bench_threads_stop(run, i);
			return PTR_ERR(p);
		}
		kthread_bind(p, cpu);
		run->th[i].task = p;
	}
	for (i = 0; i < run->nthreads; i++)
		wake_up_process(run->th[i].task);
	return 0;
}

static void bench_set_stop(struct bench_run *run)
{
	WRITE_ONCE(run->stop, true);
}

/**
 * bench_phase - run one phase of a backend's threads
 * @run:         the backend
 * @phase:       what they do
 * @ms:          BENCH_MIX: for how long (the threads watch the clock)
 * @interrupted: set when a signal cut the phase short
 *
 * Starts the threads together and waits, interruptibly, until they are
 * done; on a signal, stops them.  Their figures add up in @run->th[].
 */
static void bench_phase(struct bench_run *run, enum bench_phase phase, u32 ms,
			bool *interrupted)
{
	run->phase = phase;
	run->deadline = phase == BENCH_MIX ?
			ktime_get_ns() + (u64)ms * NSEC_PER_MSEC : U64_MAX;
	atomic_set(&run->running, run->nthreads);
	reinit_completion(&run->done);
	smp_store_release(&run->gen, run->gen + 1);
	wake_up_all(&run->wq);
	if (wait_for_completion_interruptible(&run->done)) {
		*interrupted = true;
		bench_set_stop(run);
		wait_for_completion(&run->done);  /* prompt: they test the flag */
	}
}

/* ------------------------------------------------------------------------
 * One backend
 */
static void bench_run_free(struct bench_run *run)
{
	u32 i;

	for (i = 0; i < run->nthreads; i++) {
		kfree(run->th[i].val);
		kfree(run->th[i].out);
	}
	kvfree(run);
}

/* Set up a backend: its threads' figures and buffers, its empty table. */
static struct bench_run *bench_run_new(const struct cmap_bench *req,
				       const struct bench_zipf *zipf, u32 mode)
{
	bool growth = req->flags & CMAP_BENCH_GROWTH;
	u32 nthreads = req->threads, i;
	struct bench_run *run;
	int err;

	run = kvzalloc(struct_size(run, th, nthreads), GFP_KERNEL);
	if (!run)
		return ERR_PTR(-ENOMEM);
	run->req = req;
	run->zipf = zipf;
	run->mode = mode;
	run->kind = mode == BENCH_MODE_RHT ? BENCH_RHT : BENCH_CMAP;
	run->nthreads = nthreads;
	init_waitqueue_head(&run->wq);
	init_completion(&run->done);
	for (i = 0; i < nthreads; i++) {
		struct bench_thread *th = &run->th[i];
		u32 vbuf = max_t(u32, req->value_size, sizeof(u64));

		th->run = run;
		th->rng = get_random_u64();
		if (!growth && !(req->flags & CMAP_BENCH_NO_PRELOAD) &&
		    mode == CMAP_MODE_RACECHECK) {
			/* one writer at a time: thread 0 preloads alone */
			th->lo = 0;
			th->hi = i ? 0 : req->keys;
		} else if (growth || !(req->flags & CMAP_BENCH_NO_PRELOAD)) {
			th->lo = div_u64((u64)req->keys * i, nthreads);
			th->hi = div_u64((u64)req->keys * (i + 1), nthreads);
		}
		th->val = kmalloc(vbuf, GFP_KERNEL);
		th->out = kmalloc(vbuf, GFP_KERNEL);
		if (!th->val || !th->out) {
			err = -ENOMEM;
			goto fail;
		}
	}
	err = bench_table_create(run);
	if (err)
		goto fail;
	err = bench_threads_start(run);
	if (err) {
		bench_table_destroy(run);
		goto fail;
	}
	bench_table_usage(run, &run->before);
	return run;
fail:
	bench_run_free(run);
	return ERR_PTR(err);
}

static u64 bench_hist_total(const u64 *hist)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < BENCH_HIST_BUCKETS; i++)
		total += hist[i];
	return total;
}

/* The @permille-th permille of the samples in @hist, capped at @max. */
static u64 bench_percentile(const u64 *hist, u32 permille, u64 max)
{
	u64 total = bench_hist_total(hist), seen = 0, low, width;
	u64 want = max_t(u64, DIV_ROUND_UP_ULL(total * permille, 1000), 1);
	u32 i;

	if (!total)
		return 0;
	for (i = 0; i < BENCH_HIST_BUCKETS - 1; i++) {
		seen += hist[i];
		if (seen >= want)
			break;
	}
	low = bench_hist_low(i, &width);
	return min(low + width - 1, max);
}

/*
 * The mean of the fastest BENCH_MEAN_PERMILLE of the samples in @hist,
 * each counted at the middle of its bucket (within 3% of its value).  The
 * slowest samples are left out: under TCG they are mostly preemptions of
 * the virtual CPU by the host, milliseconds long, which would swamp a mean
 * of sub-microsecond operations.
 */
#define BENCH_MEAN_PERMILLE	990

static u64 bench_mean(const u64 *hist)
{
	u64 total = bench_hist_total(hist), left, sum = 0, low, width, n;
	u32 i;

	if (!total)
		return 0;
	left = max_t(u64, div_u64(total * BENCH_MEAN_PERMILLE, 1000), 1);
	total = left;
	for (i = 0; i < BENCH_HIST_BUCKETS && left; i++) {
		n = min(hist[i], left);
		low = bench_hist_low(i, &width);
		sum += n * (low + (width - 1) / 2);
		left -= n;
	}
	return div64_u64(sum, total);
}

/* Sum the threads' figures into @res; @hist is scratch space. */
static void bench_collect(struct bench_run *run, struct cmap_bench_result *res,
			  u64 (*hist)[BENCH_HIST_BUCKETS])
{
	u32 i, k, b;

	memset(hist, 0, 2 * sizeof(*hist));
	for (i = 0; i < run->nthreads; i++) {
		const struct bench_thread *th = &run->th[i];

		res->ops += th->ops;
		res->reads += th->reads;
		res->writes += th->writes;
		res->failed += th->failed;
		res->busy += th->busy;
		res->elapsed_ns = max(res->elapsed_ns, th->run_ns);
		res->max_ns = max(res->max_ns, th->max_ns);
		for (k = 0; k < 2; k++)
			for (b = 0; b < BENCH_HIST_BUCKETS; b++)
				hist[k][b] += th->hist[k][b];
	}
	if (res->elapsed_ns)
		res->ops_per_sec = mul_u64_u64_div_u64(res->ops, NSEC_PER_SEC,
						       res->elapsed_ns);
	res->read_ns = bench_mean(hist[0]);
	res->write_ns = bench_mean(hist[1]);
	for (b = 0; b < BENCH_HIST_BUCKETS; b++)
		hist[0][b] += hist[1][b];
	res->p50_ns = bench_percentile(hist[0], 500, res->max_ns);
	res->p99_ns = bench_percentile(hist[0], 990, res->max_ns);
	res->p999_ns = bench_percentile(hist[0], 999, res->max_ns);
}

/* Fill @res from @run's figures and table; then free both. */
static void bench_run_end(struct bench_run *run, struct cmap_bench_result *res,
			  u64 (*hist)[BENCH_HIST_BUCKETS])
{
	struct bench_usage after;

	bench_threads_stop(run, run->nthreads);
	memset(res, 0, sizeof(*res));
	res->mode = run->mode;
	res->threads = run->nthreads;
	bench_collect(run, res, hist);
	bench_table_settle(run);
	bench_table_usage(run, &after);
	res->acquisitions = after.acquisitions - run->before.acquisitions;
	res->contended = after.contended - run->before.contended;
	res->resizes = after.resizes;
	res->entries = after.entries;
	res->bytes = after.bytes;
	bench_table_destroy(run);
	bench_run_free(run);
}

/**
 * bench_backends - run the workload on every backend the request names
 * @req:         the workload
 * @zipf:        zipfian keys, or NULL for uniform ones
 * @res:         out: a result per backend started, in mode order
 * @n:           out: how many
 * @interrupted: out: set when a signal cut the run short
 *
 * Growth runs go one backend after the other, each table freed before the
 * next is made.  Otherwise every backend is made and preloaded first; then
 * the timed phase goes round them in slices of BENCH_SLICE_MS, each round
 * starting one backend further, until each has run duration_ms.  So a load
 * on the machine that comes and goes (other guests of a TCG host) falls on
 * all of them alike.
 *
 * Return: 0 (also when interrupted), -ENOMEM, or an error of making a
 * table or a thread (then @res is not meaningful).
 */
static int bench_backends(const struct cmap_bench *req,
			  const struct bench_zipf *zipf,
			  struct cmap_bench_result *res, u32 *n,
			  bool *interrupted)
{
	bool growth = req->flags & CMAP_BENCH_GROWTH;
	struct bench_run *runs[CMAP_MODE_COUNT + 1];
	u64 (*hist)[BENCH_HIST_BUCKETS];
	u32 nb = 0, mode, i, slice, ms;
	int err = 0;

	hist = kvmalloc_array(2, sizeof(*hist), GFP_KERNEL);
	if (!hist)
		return -ENOMEM;
	for (mode = 0; mode <= BENCH_MODE_RHT && !err && !*interrupted; mode++) {
		if (!(req->modes & BIT(mode)))
			continue;
		runs[nb] = bench_run_new(req, zipf, mode);
		if (IS_ERR(runs[nb])) {
			err = PTR_ERR(runs[nb]);
			break;
		}
		bench_phase(runs[nb], growth ? BENCH_GROW : BENCH_PRELOAD, 0,
			    interrupted);
		if (growth)
			bench_run_end(runs[nb], &res[(*n)++], hist);
		else
			nb++;
	}
	if (!growth && !err && !*interrupted) {
		/* settle every table first: no resize work during the slices */
		for (i = 0; i < nb; i++) {
			bench_table_settle(runs[i]);
			bench_table_usage(runs[i], &runs[i]->before);
		}
		for (slice = 0; slice * BENCH_SLICE_MS < req->duration_ms; slice++) {
			ms = min_t(u32, BENCH_SLICE_MS,
				   req->duration_ms - slice * BENCH_SLICE_MS);
			for (i = 0; i < nb && !*interrupted; i++)
				bench_phase(runs[(slice + i) % nb], BENCH_MIX, ms,
					    interrupted);
			if (*interrupted)
				break;
		}
	}
	for (i = 0; i < nb; i++)
		bench_run_end(runs[i], &res[(*n)++], hist);
	kvfree(hist);
	return err;
}

/* ------------------------------------------------------------------------
 * The ioctl
 */

/* Validate a request. */
static int bench_check(const struct cmap_bench *req)
{
	const u32 modes = GENMASK(CMAP_MODE_COUNT - 1, 0) | CMAP_BENCH_RHASHTABLE;
	const u32 flags = CMAP_BENCH_NO_PRELOAD | CMAP_BENCH_GROWTH |
			  CMAP_BENCH_INLINE;
	bool growth = req->flags & CMAP_BENCH_GROWTH;
	u64 per_key, ram;

	if ((req->flags & ~flags) || !req->modes || (req->modes & ~modes) ||
	    !req->threads || req->threads > CMAP_BENCH_MAX_THREADS ||
	    !req->keys || req->keys > BENCH_MAX_KEYS ||
	    req->dist > CMAP_DIST_ZIPF || req->zipf_theta_milli >= 1000 ||
	    req->value_size > CMAP_VALUE_MAX ||
	    ((req->flags & CMAP_BENCH_INLINE) &&
	     req->value_size != CMAP_KV_LEN) ||
	    req->nresults < hweight32(req->modes) || !req->results ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	if (!growth && (!req->duration_ms ||
			req->duration_ms > BENCH_MAX_DURATION_MS ||
			req->read_pct > 100))
		return -EINVAL;

	/*
	 * Memory: an element or object per key, a share of the buckets, and
	 * as much again for replaced values and resizes in flight; for every
	 * backend at once but in growth runs.  Refuse what would take more
	 * than half of the RAM.
	 */
	per_key = kmalloc_size_roundup(max(struct_size_t(struct cmap_elem, data,
							sizeof(u64) + req->value_size),
					   struct_size_t(struct bench_obj, value,
							req->value_size)));
	per_key = 2 * (per_key + 2 * sizeof(struct cmap_head) / CMAP_SLOTS);
	if (!growth)
		per_key *= hweight32(req->modes);
	ram = (u64)totalram_pages() << PAGE_SHIFT;
	if ((u64)req->keys * per_key > ram / 2)
		return -ENOMEM;
	return 0;
}

/**
 * cmap_bench_ioctl - CMAP_IOC_BENCH
 * @arg: user pointer to a struct cmap_bench
 *
 * Runs the requested backends, each with its own table and threads (see
 * bench_backends()).  Stops at the first signal, with the results so far.
 *
 * Return: 0 (@interrupted tells whether a signal cut the run short),
 * -EPERM without CAP_SYS_ADMIN, -EINVAL for bad parameters (@nresults too
 * small included), -ENOMEM when memory is short or the workload would not
 * fit in half of the RAM, -EFAULT, -E2BIG.
 */
long cmap_bench_ioctl(void __user *arg)
{
	struct bench_zipf zipf = {}, *zp = NULL;
	struct cmap_bench_result *res;
	bool interrupted = false;
	struct cmap_bench req;
	u32 usize, n = 0;
	int err;

	/* A mode is passed to cmap_create() as its enum cmap_sync. */
	BUILD_BUG_ON((int)CMAP_SYNC_RCU != (int)CMAP_MODE_RCU ||
		     (int)CMAP_SYNC_RWLOCK != (int)CMAP_MODE_RWLOCK ||
		     (int)CMAP_SYNC_SPINLOCK != (int)CMAP_MODE_SPINLOCK ||
		     (int)CMAP_SYNC_COW != (int)CMAP_MODE_COW ||
		     (int)CMAP_SYNC_RACECHECK != (int)CMAP_MODE_RACECHECK ||
		     (int)CMAP_SYNC_COUNT != (int)CMAP_MODE_COUNT);
	BUILD_BUG_ON(CMAP_MODE_COUNT > BENCH_MODE_RHT ||
		     BIT(BENCH_MODE_RHT) != CMAP_BENCH_RHASHTABLE);

	/*
	 * Up to 64 kernel threads for 10 minutes, and an rhashtable charged
	 * to no one: not for every user the device is opened up to.
	 */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	err = bench_check(&req);
	if (err)
		return err;

	res = kcalloc(hweight32(req.modes), sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	if (req.dist == CMAP_DIST_ZIPF) {
		err = bench_zipf_init(&zipf, req.keys,
				      req.zipf_theta_milli ?: BENCH_THETA_DEFAULT);
		if (err)
			goto out;
		zp = &zipf;
	}

	err = bench_backends(&req, zp, res, &n, &interrupted);
	if (err)
		goto out;
	if (copy_to_user(u64_to_user_ptr(req.results), res, n * sizeof(*res))) {
		err = -EFAULT;
		goto out;
	}
	req.nresults = n;
	req.interrupted = interrupted;
	if (cmap_copy_resp(arg, &req, sizeof(req), usize))
		err = -EFAULT;
out:
	bench_zipf_free(&zipf);
	kfree(res);
	return err;
}
