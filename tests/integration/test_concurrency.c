// SPDX-License-Identifier: GPL-2.0
/*
 * cmap integration tests: concurrency.
 *  - threads mixing ops on private and shared keys, then an exact
 *    consistency check of the table (ITER and GET) against their bookkeeping
 *    and of the STATS counters against the calls made;
 *  - ITER dumps while other threads insert enough to force several resizes;
 *  - DESTROY while threads are busy on the table;
 *  - GETs of an inline table while writers replace, insert and delete
 *    and the table grows and shrinks;
 *  - racing CREATEs of one name;
 *  - two processes sharing a table by name.
 *
 * Threads never call cmocka (its asserts longjmp): they record the first
 * error and the main thread fails the test with it.
 */
#include "cmtest.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

/* ------------------------------------------------------------ error sink */

static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char err_msg[512];
static int err_count;

static void terr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void terr(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&err_lock);
	if (!err_count++) {
		va_start(ap, fmt);
		vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&err_lock);
}

static void err_reset(void)
{
	err_count = 0;
	err_msg[0] = 0;
}

static void err_check(void)
{
	if (err_count)
		fail_msg("%d error(s) in threads, first: %s", err_count,
			 err_msg);
}

static __u64 xorshift(__u64 *s)
{
	__u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Tables made by a test, destroyed by the teardown even on failure. */
static char tnames[4][CMAP_NAME_LEN];
static int ntnames;

static char *new_table_name(const char *tag)
{
	char *n = tnames[ntnames++];

	cm_unique_name(n, tag);
	return n;
}

static int teardown(void **state)
{
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC), i;

	(void)state;
	if (fd >= 0) {
		for (i = 0; i < ntnames; i++)
			cmapc_destroy(fd, tnames[i], NULL);
		close(fd);
	}
	ntnames = 0;
	err_reset();
	return 0;
}

/* The test's initial state is the mode its tables are made in. */
static int setup(void **state)
{
	cm_default_mode = *state ? *(const __u32 *)*state : CMAP_MODE_RCU;
	return 0;
}

static int cow(void)
{
	return cm_default_mode == CMAP_MODE_COW;
}

/* ================================================== mixed private/shared */

#define MX_THREADS	4
#define MX_PRIV		1500	/* maxima; the sizes of a run: mx_* */
#define MX_SHARED	200
#define MX_OPS		12000

static __u32 mx_priv = MX_PRIV, mx_shared = MX_SHARED, mx_ops = MX_OPS;
#define MX_HDR		12

/* Every value starts with this header; the rest is a pattern of it. */
struct mx_hdr {
	__u8 tid;
	__u8 kind;	/* 'P' or 'S' */
	__u16 len;
	__u32 idx;
	__u32 seq;
};

struct mx_key {
	__u8 kind;
	__u8 tid;
	__u16 zero;
	__u32 idx;
};

struct mx_thread {
	pthread_t th;
	int tid;
	int fd;
	__u64 rng;
	__u32 seq[MX_PRIV];	/* 0: absent, else the seq last written */
	__u16 len[MX_PRIV];
	__u32 next_seq;
	__u64 puts, gets, dels, hits, enobufs;
};

static struct mx_thread mx[MX_THREADS];
static __u32 mx_shared_seq[MX_THREADS];	/* last seq begun per writer */

static void mx_make_key(struct mx_key *k, __u8 kind, __u8 tid, __u32 idx)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->tid = kind == 'P' ? tid : 0;
	k->idx = idx;
}

static void mx_make_val(__u8 *v, __u8 kind, __u8 tid, __u32 idx, __u32 seq,
			__u16 len)
{
	struct mx_hdr h = { tid, kind, len, idx, seq };
	__u32 j;

	memcpy(v, &h, sizeof(h));
	for (j = MX_HDR; j < len; j++)
		v[j] = (__u8)(tid * 31 + idx * 7 + seq * 13 + j);
}

/* NULL if v is a value some thread wrote for this key. */
static const char *mx_check_val(const __u8 *v, __u32 vlen, __u8 kind,
				__u8 tid, __u32 idx, __u32 want_seq)
{
	static __thread __u8 exp[512];
	struct mx_hdr h;

	if (vlen < MX_HDR || vlen > sizeof(exp))
		return "value length out of range";
	memcpy(&h, v, sizeof(h));
	if (h.kind != kind || h.idx != idx || h.len != vlen)
		return "value header does not match its key";
	if (kind == 'P' && (h.tid != tid || h.seq != want_seq))
		return "private value is not the last one written";
	if (kind == 'S') {
		if (h.tid >= MX_THREADS)
			return "shared value from an unknown writer";
		if (h.seq == 0 ||
		    h.seq > __atomic_load_n(&mx_shared_seq[h.tid],
					    __ATOMIC_ACQUIRE))
			return "shared value with a seq never written";
	}
	mx_make_val(exp, kind, h.tid, idx, h.seq, vlen);
	if (memcmp(exp, v, vlen))
		return "value bytes corrupted";
	return NULL;
}

static __u16 mx_rand_len(struct mx_thread *t)
{
	return MX_HDR + xorshift(&t->rng) % 180;
}

static void mx_private_op(struct mx_thread *t, __u32 r)
{
	__u32 idx = xorshift(&t->rng) % mx_priv;
	struct mx_key k;
	__u8 val[512], out[512];
	__u32 vlen, flags = CMAP_PUT_ANY;
	__u16 len;
	int rc, want;
	const char *e;

	mx_make_key(&k, 'P', t->tid, idx);
	if (r < 35) {			/* PUT, all three flavours */
		if (r >= 25)
			flags = r < 30 ? CMAP_PUT_NOEXIST : CMAP_PUT_EXIST;
		len = mx_rand_len(t);
		mx_make_val(val, 'P', t->tid, idx, ++t->next_seq, len);
		rc = cmapc_put(t->fd, &k, sizeof(k), val, len, flags);
		t->puts++;
		want = 0;
		if (flags == CMAP_PUT_NOEXIST && t->seq[idx])
			want = -EEXIST;
		if (flags == CMAP_PUT_EXIST && !t->seq[idx])
			want = -ENOENT;
		if (rc != want)
			terr("t%d PUT(flags %u) private %u: got %s, want %s",
			     t->tid, flags, idx, errname(-rc), errname(-want));
		if (!rc) {
			t->seq[idx] = t->next_seq;
			t->len[idx] = len;
		}
	} else if (r < 55) {		/* GET, sometimes too small a buffer */
		int small = r >= 52;

		vlen = small ? MX_HDR - 1 : sizeof(out);
		rc = cmapc_get(t->fd, &k, sizeof(k), out, &vlen);
		t->gets++;
		if (!t->seq[idx]) {
			if (rc != -ENOENT)
				terr("t%d GET private %u (absent): got %s",
				     t->tid, idx, errname(-rc));
			return;
		}
		if (small) {
			t->enobufs++;
			if (rc != -ENOBUFS || vlen != t->len[idx])
				terr("t%d GET private %u small buffer: %s, len %u want %u",
				     t->tid, idx, errname(-rc), vlen,
				     t->len[idx]);
			return;
		}
		t->hits++;
		if (rc) {
			terr("t%d GET private %u (present): got %s", t->tid,
			     idx, errname(-rc));
			return;
		}
		e = mx_check_val(out, vlen, 'P', t->tid, idx, t->seq[idx]);
		if (e)
			terr("t%d GET private %u: %s", t->tid, idx, e);
	} else {			/* DELETE */
		rc = cmapc_delete(t->fd, &k, sizeof(k));
		t->dels++;
		want = t->seq[idx] ? 0 : -ENOENT;
		if (rc != want)
			terr("t%d DELETE private %u: got %s, want %s", t->tid,
			     idx, errname(-rc), errname(-want));
		t->seq[idx] = 0;
	}
}

/* A batch of private ops whose results follow the bookkeeping in order. */
static void mx_private_batch(struct mx_thread *t)
{
	enum { N = 16 };
	struct cmap_batch_op ops[N];
	struct mx_key keys[N];
	static __thread __u8 vals[N][256];
	__u32 idx[N], seq[N], i, done;
	__u16 len[N];
	int rc, want;
	const char *e;

	for (i = 0; i < N; i++) {
		__u32 r = xorshift(&t->rng) % 3;

		idx[i] = xorshift(&t->rng) % mx_priv;
		mx_make_key(&keys[i], 'P', t->tid, idx[i]);
		if (r == 0) {
			len[i] = mx_rand_len(t);
			seq[i] = ++t->next_seq;
			mx_make_val(vals[i], 'P', t->tid, idx[i], seq[i],
				    len[i]);
			cm_bop(&ops[i], CMAP_OP_PUT, CMAP_PUT_ANY, &keys[i],
			       sizeof(keys[i]), vals[i], len[i]);
		} else if (r == 1) {
			cm_bop(&ops[i], CMAP_OP_GET, 0, &keys[i],
			       sizeof(keys[i]), vals[i], sizeof(vals[i]));
		} else {
			cm_bop(&ops[i], CMAP_OP_DELETE, 0, &keys[i],
			       sizeof(keys[i]), NULL, 0);
		}
	}
	rc = cmapc_batch(t->fd, ops, N, &done);
	if (rc || done != N) {
		terr("t%d BATCH: %s, done %u", t->tid, errname(-rc), done);
		return;
	}
	for (i = 0; i < N; i++) {
		__u32 x = idx[i];

		switch (ops[i].op) {
		case CMAP_OP_PUT:
			t->puts++;
			if (ops[i].result)
				terr("t%d batch PUT %u: %s", t->tid, x,
				     errname(-ops[i].result));
			t->seq[x] = seq[i];
			t->len[x] = len[i];
			break;
		case CMAP_OP_GET:
			t->gets++;
			want = t->seq[x] ? 0 : -ENOENT;
			if (ops[i].result != want) {
				terr("t%d batch GET %u: %s, want %s", t->tid, x,
				     errname(-ops[i].result), errname(-want));
				break;
			}
			if (!want) {
				t->hits++;
				e = mx_check_val(vals[i], ops[i].value_len, 'P',
						 t->tid, x, t->seq[x]);
				if (e)
					terr("t%d batch GET %u: %s", t->tid, x,
					     e);
			}
			break;
		default:
			t->dels++;
			want = t->seq[x] ? 0 : -ENOENT;
			if (ops[i].result != want)
				terr("t%d batch DELETE %u: %s, want %s", t->tid,
				     x, errname(-ops[i].result),
				     errname(-want));
			t->seq[x] = 0;
		}
	}
}

static void mx_shared_op(struct mx_thread *t)
{
	__u32 idx = xorshift(&t->rng) % mx_shared;
	__u32 r = xorshift(&t->rng) % 10;
	struct mx_key k;
	__u8 val[512];
	__u32 vlen, seq;
	__u16 len;
	int rc;
	const char *e;

	mx_make_key(&k, 'S', 0, idx);
	if (r < 4) {
		len = mx_rand_len(t);
		seq = __atomic_add_fetch(&mx_shared_seq[t->tid], 1,
					 __ATOMIC_RELEASE);
		mx_make_val(val, 'S', t->tid, idx, seq, len);
		rc = cmapc_put(t->fd, &k, sizeof(k), val, len,
			    r == 3 ? CMAP_PUT_NOEXIST : CMAP_PUT_ANY);
		t->puts++;
		if (rc && !(r == 3 && rc == -EEXIST))
			terr("t%d PUT shared %u: %s", t->tid, idx,
			     errname(-rc));
	} else if (r < 8) {
		vlen = sizeof(val);
		rc = cmapc_get(t->fd, &k, sizeof(k), val, &vlen);
		t->gets++;
		if (rc == -ENOENT)
			return;
		if (rc) {
			terr("t%d GET shared %u: %s", t->tid, idx,
			     errname(-rc));
			return;
		}
		t->hits++;
		e = mx_check_val(val, vlen, 'S', 0, idx, 0);
		if (e)
			terr("t%d GET shared %u: %s", t->tid, idx, e);
	} else {
		rc = cmapc_delete(t->fd, &k, sizeof(k));
		t->dels++;
		if (rc && rc != -ENOENT)
			terr("t%d DELETE shared %u: %s", t->tid, idx,
			     errname(-rc));
	}
}

static void *mx_worker(void *arg)
{
	struct mx_thread *t = arg;
	struct cmap_stats st;
	int i, rc;

	for (i = 0; i < (int)mx_ops; i++) {
		__u32 r = xorshift(&t->rng) % 100;

		if (r < 65)
			mx_private_op(t, r);
		else if (r < 70)
			mx_private_batch(t);
		else if (r < 99)
			mx_shared_op(t);
		else {
			rc = cmapc_stats(t->fd, 0, &st);
			if (rc)
				terr("t%d STATS: %s", t->tid, errname(-rc));
			else if (st.entries > MX_THREADS * mx_priv + mx_shared)
				terr("t%d STATS: %llu entries, more than possible",
				     t->tid, (unsigned long long)st.entries);
		}
	}
	return NULL;
}

struct mx_dump {
	__u8 priv[MX_THREADS][MX_PRIV];
	__u8 shared[MX_SHARED];
	__u64 records;
};

static const char *mx_dump_cb(const __u8 *key, __u32 klen, const __u8 *val,
			      __u32 vlen, __u32 hash, void *c)
{
	struct mx_dump *d = c;
	struct mx_key k;
	const char *e;

	(void)hash;
	if (klen != sizeof(k))
		return "dump: key of a wrong length";
	memcpy(&k, key, sizeof(k));
	d->records++;
	if (k.kind == 'P' && k.tid < MX_THREADS && k.idx < mx_priv && !k.zero) {
		struct mx_thread *t = &mx[k.tid];

		if (d->priv[k.tid][k.idx]++)
			return "dump: private key twice";
		if (!t->seq[k.idx])
			return "dump: phantom private key (deleted or never written)";
		e = mx_check_val(val, vlen, 'P', k.tid, k.idx, t->seq[k.idx]);
		return e;
	}
	if (k.kind == 'S' && !k.tid && k.idx < mx_shared && !k.zero) {
		if (d->shared[k.idx]++)
			return "dump: shared key twice";
		return mx_check_val(val, vlen, 'S', 0, k.idx, 0);
	}
	return "dump: unknown key";
}

static void test_threads_mixed(void **state)
{
	char *name = new_table_name("mix");
	struct mx_dump *d = calloc(1, sizeof(*d));
	struct cmap_stats st;
	__u64 puts = 0, gets = 0, dels = 0, hits = 0, enobufs = 0;
	__u64 present = 0, shared = 0;
	int fd = cm_dev_open(), i;
	__u32 idx;
	char msg[256];
	double t0;

	(void)state;
	/* COW copies the table on every write: a smaller run */
	mx_priv = cow() ? 300 : MX_PRIV;
	mx_shared = cow() ? 50 : MX_SHARED;
	mx_ops = cm_scaled(cow() ? 2500 : MX_OPS);
	assert_ok(cm_create(fd, name, 1, 0, 0, NULL));
	memset(mx, 0, sizeof(mx));
	memset(mx_shared_seq, 0, sizeof(mx_shared_seq));
	t0 = now_sec();
	for (i = 0; i < MX_THREADS; i++) {
		mx[i].tid = i;
		mx[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) ^ (__u64)getpid();
		/* two threads share the creator's file, two open their own */
		if (i < 2) {
			mx[i].fd = fd;
		} else {
			mx[i].fd = cm_dev_open();
			assert_ok(cmapc_open(mx[i].fd, name, NULL));
		}
		assert_int_equal(pthread_create(&mx[i].th, NULL, mx_worker,
						&mx[i]), 0);
	}
	for (i = 0; i < MX_THREADS; i++)
		pthread_join(mx[i].th, NULL);
	fprintf(stderr, "# %s: %d threads x %u ops in %.2f s\n",
		cmapc_mode_name(cm_default_mode), MX_THREADS, mx_ops,
		now_sec() - t0);
	for (i = 2; i < MX_THREADS; i++)
		close(mx[i].fd);
	err_check();

	/* the counters saw exactly the calls made */
	assert_ok(cmapc_stats(fd, 0, &st));
	for (i = 0; i < MX_THREADS; i++) {
		puts += mx[i].puts;
		gets += mx[i].gets;
		dels += mx[i].dels;
		hits += mx[i].hits;
		enobufs += mx[i].enobufs;
	}
	assert_int_equal(st.puts, puts);
	assert_int_equal(st.gets, gets);
	assert_int_equal(st.deletes, dels);
	/* whether a GET failing -ENOBUFS counts as a hit is not specified */
	if (st.hits != hits && st.hits != hits + enobufs)
		fail_msg("STATS hits %llu, threads counted %llu (+%llu ENOBUFS)",
			 (unsigned long long)st.hits, (unsigned long long)hits,
			 (unsigned long long)enobufs);
	fprintf(stderr, "# stats: %llu entries, %llu resizes, %llu lock acquisitions, %llu contended, %llu ns waited\n",
		(unsigned long long)st.entries, (unsigned long long)st.resizes,
		(unsigned long long)st.lock_acquisitions,
		(unsigned long long)st.lock_contended,
		(unsigned long long)st.lock_wait_ns);
	assert_true(st.resizes > 0);
	/* lock counters: not for COW (a mutex, no bucket locks) */
	if (!cow())
		assert_true(st.lock_acquisitions > 0);
	assert_true(st.lock_contended <= st.lock_acquisitions);
	/* "lock_wait_ns: time spent waiting in contended acquisitions" */
	if (st.lock_contended && !st.lock_wait_ns)
		fail_msg("%llu contended lock acquisitions but lock_wait_ns 0",
			 (unsigned long long)st.lock_contended);

	/* ITER: exactly the private keys the threads think are there */
	if (cm_dump(fd, 4096, mx_dump_cb, d, msg, sizeof(msg), NULL))
		fail_msg("%s", msg);
	for (i = 0; i < MX_THREADS; i++)
		for (idx = 0; idx < mx_priv; idx++) {
			if (mx[i].seq[idx])
				present++;
			if (!!mx[i].seq[idx] != d->priv[i][idx])
				fail_msg("thread %d key %u: %s, but the dump %s it",
					 i, idx,
					 mx[i].seq[idx] ? "written" : "deleted",
					 d->priv[i][idx] ? "has" : "lacks");
		}
	for (idx = 0; idx < mx_shared; idx++)
		shared += d->shared[idx];
	assert_int_equal(d->records, present + shared);
	assert_int_equal(st.entries, present + shared);

	/* GET: the same, key by key */
	for (i = 0; i < MX_THREADS; i++)
		for (idx = 0; idx < mx_priv; idx++) {
			struct mx_key k;
			__u8 out[512];
			__u32 vlen = sizeof(out);
			int rc;
			const char *e;

			mx_make_key(&k, 'P', i, idx);
			rc = cmapc_get(fd, &k, sizeof(k), out, &vlen);
			if (!mx[i].seq[idx]) {
				if (rc != -ENOENT)
					fail_msg("GET deleted key t%d/%u: %s", i,
						 idx, errname(-rc));
				continue;
			}
			if (rc)
				fail_msg("GET key t%d/%u: %s", i, idx,
					 errname(-rc));
			e = mx_check_val(out, vlen, 'P', i, idx, mx[i].seq[idx]);
			if (e)
				fail_msg("GET key t%d/%u: %s", i, idx, e);
		}
	for (idx = 0; idx < mx_shared; idx++) {
		struct mx_key k;
		__u8 out[512];
		__u32 vlen = sizeof(out);
		int rc;

		mx_make_key(&k, 'S', 0, idx);
		rc = cmapc_get(fd, &k, sizeof(k), out, &vlen);
		if (rc != (d->shared[idx] ? 0 : -ENOENT))
			fail_msg("GET shared %u: %s, dump %s it", idx,
				 errname(-rc), d->shared[idx] ? "has" : "lacks");
		if (!rc && mx_check_val(out, vlen, 'S', 0, idx, 0))
			fail_msg("GET shared %u: bad value", idx);
	}
	free(d);
	assert_ok(cmapc_destroy(fd, name, NULL));
	close(fd);
}

/* ================================================ ITER during resizes */

/*
 * 50k stable keys; then writers add 200k keys (the table grows several
 * times; both scaled by CMAP_TEST_SCALE, see cm_scaled()) and afterwards
 * delete them again (it shrinks), while a dumper
 * iterates over and over with a small buffer.  In every dump each stable key
 * must appear exactly once and every other key at most once.  The writers
 * pace themselves on the dumper's ITER calls so that the writes (and so the
 * resizes) are spread over the dumps.
 */
#define IR_WRITERS	2
#define IR_BUF		1024	/* ~42 records of 24 bytes per call */
#define IR_PACE		6	/* ITER calls per written batch, at least */

#define IR_KEY_STABLE(i)	(0x5300000000000000ULL | (i))
#define IR_KEY_NEW(t, i)	(0x4e00000000000000ULL | (__u64)(t) << 32 | (i))
#define IR_VAL(k)		((k) * 0x9e3779b97f4a7c15ULL)

static __u32 ir_stable, ir_per_w;	/* 50000, 100000 scaled */
static unsigned long ir_iter_calls;
static int ir_writers_left;
static int ir_delete;		/* phase: 0 insert, 1 delete */

struct ir_w {
	pthread_t th;
	int tid;
	int fd;
};

static struct ir_w ir_w_running[IR_WRITERS];

static void *ir_writer(void *arg)
{
	struct ir_w *w = arg;
	static __thread struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __thread __u64 keys[CMAP_BATCH_MAX], vals[CMAP_BATCH_MAX];
	unsigned long calls0 = __atomic_load_n(&ir_iter_calls, __ATOMIC_ACQUIRE);
	__u32 base, cnt, j, done, batch = 0;
	int rc;

	for (base = 0; base < ir_per_w; base += cnt, batch++) {
		double t0 = now_sec();

		/* pace: let the dumper make progress between batches */
		while (__atomic_load_n(&ir_iter_calls, __ATOMIC_ACQUIRE) - calls0 <
		       (unsigned long)batch * IR_PACE && now_sec() - t0 < 5)
			usleep(200);
		cnt = ir_per_w - base < CMAP_BATCH_MAX ? ir_per_w - base :
		      CMAP_BATCH_MAX;
		for (j = 0; j < cnt; j++) {
			keys[j] = IR_KEY_NEW(w->tid, base + j);
			vals[j] = IR_VAL(keys[j]);
			if (ir_delete)
				cm_bop(&ops[j], CMAP_OP_DELETE, 0, &keys[j], 8,
				       NULL, 0);
			else
				cm_bop(&ops[j], CMAP_OP_PUT, CMAP_PUT_NOEXIST,
				       &keys[j], 8, &vals[j], 8);
		}
		rc = cmapc_batch(w->fd, ops, cnt, &done);
		if (rc || done != cnt) {
			terr("writer %d: BATCH %s done %u", w->tid,
			     errname(-rc), done);
			break;
		}
		for (j = 0; j < cnt; j++)
			if (ops[j].result)
				terr("writer %d: %s %s", w->tid,
				     ir_delete ? "DELETE" : "PUT",
				     errname(-ops[j].result));
	}
	__atomic_sub_fetch(&ir_writers_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct ir_dump {
	__u8 *stable;		/* ir_stable counters */
	__u8 *fresh;		/* IR_WRITERS * ir_per_w counters */
	__u64 records;
};

static const char *ir_dump_cb(const __u8 *key, __u32 klen, const __u8 *val,
			      __u32 vlen, __u32 hash, void *c)
{
	struct ir_dump *d = c;
	__u64 k, v, i;

	(void)hash;
	if (klen != 8 || vlen != 8)
		return "record with a wrong key/value length";
	memcpy(&k, key, 8);
	memcpy(&v, val, 8);
	if (v != IR_VAL(k))
		return "wrong value in the dump";
	d->records++;
	if ((k >> 56) == 0x53) {
		i = k & 0xffffffffffffffULL;
		if (i >= ir_stable)
			return "unknown stable key";
		if (d->stable[i]++)
			return "stable key twice in one dump";
		return NULL;
	}
	if ((k >> 56) == 0x4e) {
		__u64 t = (k >> 32) & 0xffffff, n = k & 0xffffffffULL;

		if (t >= IR_WRITERS || n >= ir_per_w)
			return "unknown inserted key";
		if (d->fresh[t * ir_per_w + n]++)
			return "inserted key twice in one dump";
		return NULL;
	}
	return "unknown key in the dump";
}

static void ir_reset(struct ir_dump *d)
{
	memset(d->stable, 0, ir_stable);
	memset(d->fresh, 0, IR_WRITERS * ir_per_w);
	d->records = 0;
}

/*
 * One dump, one ITER call at a time (the writers pace on ir_iter_calls),
 * checking the records as cm_dump() does.  Fails the test on error.
 */
static void ir_dump_once(int dfd, struct ir_dump *d, unsigned long nr)
{
	static __u8 buf[IR_BUF];
	__u64 cursor = 0;

	ir_reset(d);
	while (cursor != CMAP_ITER_DONE) {
		__u32 count, bytes, off = 0, n;
		__u64 prev = cursor;
		int rc;

		rc = cmapc_iter(dfd, &cursor, buf, IR_BUF, &count, &bytes);
		__atomic_add_fetch(&ir_iter_calls, 1, __ATOMIC_RELEASE);
		if (rc)
			fail_msg("dump %lu: ITER: %s", nr, errname(-rc));
		if (cursor <= prev || cursor > CMAP_ITER_DONE)
			fail_msg("dump %lu: ITER cursor %#llx -> %#llx", nr,
				 (unsigned long long)prev,
				 (unsigned long long)cursor);
		for (n = 0; n < count; n++) {
			struct cmap_rec rec;
			const char *e;

			if (off + sizeof(rec) > bytes)
				fail_msg("dump %lu: records overrun bytes", nr);
			memcpy(&rec, buf + off, sizeof(rec));
			if (rec.hash < prev || cursor <= rec.hash)
				fail_msg("dump %lu: record hash %#x outside [%#llx, %#llx)",
					 nr, rec.hash, (unsigned long long)prev,
					 (unsigned long long)cursor);
			e = ir_dump_cb(buf + off + sizeof(rec), rec.key_len,
				       buf + off + sizeof(rec) + rec.key_len,
				       rec.value_len, rec.hash, d);
			if (e)
				fail_msg("dump %lu: %s", nr, e);
			off += CMAP_REC_SIZE(rec.key_len, rec.value_len);
		}
		if (off != bytes)
			fail_msg("dump %lu: ITER bytes %u, records %u", nr, bytes,
				 off);
	}
}

/* Dumps until the writers are done (and once more); counts the dumps that
 * overlapped a resize. */
static void ir_dump_while_writing(int dfd, struct ir_dump *d,
				  unsigned long *dumps,
				  unsigned long *overlapping)
{
	struct cmap_stats st1, st2;
	__u32 i;

	for (;;) {
		int last = !__atomic_load_n(&ir_writers_left, __ATOMIC_ACQUIRE);

		assert_ok(cmapc_stats(dfd, 0, &st1));
		ir_dump_once(dfd, d, *dumps);
		assert_ok(cmapc_stats(dfd, 0, &st2));
		err_check();
		for (i = 0; i < ir_stable; i++)
			if (d->stable[i] != 1)
				fail_msg("dump %lu (resizes %llu -> %llu): stable key %u seen %u times",
					 *dumps, (unsigned long long)st1.resizes,
					 (unsigned long long)st2.resizes, i,
					 d->stable[i]);
		++*dumps;
		if (st2.resizes != st1.resizes || st1.resizing || st2.resizing)
			++*overlapping;
		if (last)
			break;
	}
}

static void ir_run_writers(const char *name, int delete)
{
	struct ir_w *w = ir_w_running;
	int i;

	ir_delete = delete;
	ir_writers_left = IR_WRITERS;
	for (i = 0; i < IR_WRITERS; i++) {
		w[i].tid = i;
		w[i].fd = cm_dev_open();
		assert_ok(cmapc_open(w[i].fd, name, NULL));
		assert_int_equal(pthread_create(&w[i].th, NULL, ir_writer,
						&w[i]), 0);
	}
	/* the caller dumps meanwhile, then joins them in ir_join() */
}

static void ir_join(void)
{
	int i;

	for (i = 0; i < IR_WRITERS; i++) {
		pthread_join(ir_w_running[i].th, NULL);
		close(ir_w_running[i].fd);
	}
	err_check();
}

static void test_iter_during_resizes(void **state)
{
	char *name = new_table_name("itr");
	struct ir_dump d;
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX], vals[CMAP_BATCH_MAX];
	struct cmap_stats st0, st1, st2;
	__u32 base, cnt, j, done, i;
	int fd = cm_dev_open(), dfd = cm_dev_open();
	unsigned long dumps = 0, overlapping = 0, dumps2 = 0, overlapping2 = 0;
	char msg[256];
	double t0;

	(void)state;
	ir_stable = cm_scaled(50000);
	ir_per_w = cm_scaled(100000);
	d.stable = calloc(ir_stable, 1);
	d.fresh = calloc(IR_WRITERS * ir_per_w, 1);
	assert_ok(cm_create(fd, name, 16, 0, 0, NULL));
	assert_ok(cmapc_open(dfd, name, NULL));
	for (base = 0; base < ir_stable; base += cnt) {
		cnt = ir_stable - base < CMAP_BATCH_MAX ? ir_stable - base :
		      CMAP_BATCH_MAX;
		for (j = 0; j < cnt; j++) {
			keys[j] = IR_KEY_STABLE(base + j);
			vals[j] = IR_VAL(keys[j]);
			cm_bop(&ops[j], CMAP_OP_PUT, CMAP_PUT_NOEXIST, &keys[j],
			       8, &vals[j], 8);
		}
		assert_ok(cmapc_batch(fd, ops, cnt, &done));
		assert_int_equal(done, cnt);
	}
	assert_ok(cmapc_stats(fd, 0, &st0));
	assert_int_equal(st0.entries, ir_stable);

	/* phase 1: growing */
	t0 = now_sec();
	ir_run_writers(name, 0);
	ir_dump_while_writing(dfd, &d, &dumps, &overlapping);
	ir_join();
	assert_ok(cmapc_stats(fd, 0, &st1));
	fprintf(stderr, "# growing: %lu dumps (%lu during a resize) in %.2f s; resizes %llu -> %llu, buckets %llu -> %llu\n",
		dumps, overlapping, now_sec() - t0,
		(unsigned long long)st0.resizes, (unsigned long long)st1.resizes,
		(unsigned long long)st0.buckets, (unsigned long long)st1.buckets);
	/* the test is only worth something if dumps overlapped resizes */
	assert_true(st1.resizes > st0.resizes);
	assert_true(overlapping >= 1);

	/* quiet: a format-checked dump has everything exactly once */
	ir_reset(&d);
	if (cm_dump(dfd, IR_BUF, ir_dump_cb, &d, msg, sizeof(msg), NULL))
		fail_msg("dump after growing: %s", msg);
	assert_int_equal(d.records, ir_stable + IR_WRITERS * ir_per_w);
	for (i = 0; i < IR_WRITERS * ir_per_w; i++)
		if (d.fresh[i] != 1)
			fail_msg("dump after growing: inserted key %u seen %u times",
				 i, d.fresh[i]);
	assert_int_equal(st1.entries, ir_stable + IR_WRITERS * ir_per_w);

	/* phase 2: shrinking (if the table shrinks this soon) */
	t0 = now_sec();
	ir_run_writers(name, 1);
	ir_dump_while_writing(dfd, &d, &dumps2, &overlapping2);
	ir_join();
	/* give a deferred shrink a moment */
	usleep(100000);
	assert_ok(cmapc_stats(fd, 0, &st2));
	fprintf(stderr, "# shrinking: %lu dumps (%lu during a resize) in %.2f s; resizes %llu -> %llu, buckets %llu -> %llu\n",
		dumps2, overlapping2, now_sec() - t0,
		(unsigned long long)st1.resizes, (unsigned long long)st2.resizes,
		(unsigned long long)st1.buckets, (unsigned long long)st2.buckets);
	assert_int_equal(st2.entries, ir_stable);
	ir_reset(&d);
	if (cm_dump(dfd, IR_BUF, ir_dump_cb, &d, msg, sizeof(msg), NULL))
		fail_msg("dump after shrinking: %s", msg);
	assert_int_equal(d.records, ir_stable);

	free(d.stable);
	free(d.fresh);
	assert_ok(cmapc_destroy(fd, name, NULL));
	close(dfd);
	close(fd);
}

/* ============================================= DESTROY under load */

#define DL_THREADS 3

static int dl_fd;
static __u32 dl_id;
static int dl_destroyed;
static int dl_opened;	/* workers bound to the table */

static void *dl_worker(void *arg)
{
	long tid = (long)arg;
	__u64 rng = 0x1234567 + tid, k;
	__u8 buf[512];
	__u32 vlen;
	int rc, eidrm = 0, fd = tid == 0 ? dl_fd : cm_dev_open();
	unsigned long ops = 0;

	rc = tid ? cmapc_open_id(fd, dl_id) : 0;
	__atomic_add_fetch(&dl_opened, 1, __ATOMIC_RELEASE);
	if (rc) {
		terr("thread %ld: OPEN by id: %s", tid, errname(-rc));
		close(fd);
		return NULL;
	}
	for (;;) {
		__u64 cursor = 0;
		int seen_destroyed =
			__atomic_load_n(&dl_destroyed, __ATOMIC_ACQUIRE);

		k = xorshift(&rng) % 500;
		switch (xorshift(&rng) % 4) {
		case 0:
			rc = cmapc_put(fd, &k, 8, buf, xorshift(&rng) % 200,
				    CMAP_PUT_ANY);
			break;
		case 1:
			vlen = sizeof(buf);
			rc = cmapc_get(fd, &k, 8, buf, &vlen);
			if (rc == -ENOENT)
				rc = 0;
			break;
		case 2:
			rc = cmapc_delete(fd, &k, 8);
			if (rc == -ENOENT)
				rc = 0;
			break;
		default:
			rc = cmapc_iter(fd, &cursor, buf, sizeof(buf), NULL, NULL);
		}
		ops++;
		if (rc == -EIDRM) {
			eidrm++;
			if (eidrm > 50)
				break;
			continue;
		}
		if (eidrm)
			terr("thread %ld: %s after -EIDRM", tid, errname(-rc));
		if (rc)
			terr("thread %ld: %s", tid, errname(-rc));
		if (seen_destroyed)
			terr("thread %ld: op succeeded after DESTROY returned",
			     tid);
		if (err_count)
			break;
	}
	if (tid)
		close(fd);
	return (void *)ops;
}

static void test_destroy_under_load(void **state)
{
	char *name = new_table_name("dul");
	pthread_t th[DL_THREADS];
	int fd2 = cm_dev_open();
	long i;

	(void)state;
	dl_fd = cm_dev_open();
	dl_destroyed = 0;
	dl_opened = 0;
	assert_ok(cm_create(dl_fd, name, 1, 0, 0, &dl_id));
	/* workers 1.. bind their own files by id: DESTROY once all are
	 * bound (however slow the kernel) and have run for a while */
	for (i = 0; i < DL_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, dl_worker,
						(void *)i), 0);
	while (__atomic_load_n(&dl_opened, __ATOMIC_ACQUIRE) < DL_THREADS)
		usleep(1000);
	usleep(300000);
	assert_ok(cmapc_destroy(fd2, name, NULL));
	__atomic_store_n(&dl_destroyed, 1, __ATOMIC_RELEASE);
	for (i = 0; i < DL_THREADS; i++)
		pthread_join(th[i], NULL);
	err_check();
	/* the name is free again */
	assert_ok(cm_create(fd2, name, 0, 0, 0, NULL));
	close(dl_fd);
	close(fd2);
}

/* ====================================================== racecheck mode */

/*
 * Racecheck: a single-writer map.  Two threads writing at once: a write that
 * finds the other inside gets -EBUSY (and changes nothing); every other
 * write works; STATS races counts exactly the refused writes.  A reader
 * thread meanwhile only ever sees what was written.
 */
#define RK_PER 20000

static int rk_fd;
static unsigned long rk_busy[2];
static __u8 rk_done[2][RK_PER];	/* 1: PUT returned 0 */
static int rk_stop_reader;

static void *rk_writer(void *arg)
{
	long tid = (long)arg;
	__u64 k, v;
	__u32 i;
	int rc;

	for (i = 0; i < RK_PER; i++) {
		k = (__u64)(tid + 1) << 40 | i;
		v = ~k;
		rc = cmapc_put(rk_fd, &k, 8, &v, 8, CMAP_PUT_NOEXIST);
		if (rc == -EBUSY)
			rk_busy[tid]++;
		else if (rc)
			terr("writer %ld key %u: %s", tid, i, errname(-rc));
		else
			rk_done[tid][i] = 1;
	}
	return NULL;
}

static void *rk_reader(void *arg)
{
	__u64 rng = 77, k, v;
	__u32 vlen;
	int rc;

	(void)arg;
	while (!__atomic_load_n(&rk_stop_reader, __ATOMIC_ACQUIRE)) {
		k = (__u64)(1 + xorshift(&rng) % 2) << 40 |
		    xorshift(&rng) % RK_PER;
		vlen = 8;
		rc = cmapc_get(rk_fd, &k, 8, &v, &vlen);
		if (rc == -ENOENT)
			continue;
		if (rc)
			terr("reader: %s", errname(-rc));
		else if (vlen != 8 || v != ~k)
			terr("reader: wrong value for %#llx",
			     (unsigned long long)k);
	}
	return NULL;
}

static void test_racecheck_writers(void **state)
{
	char *name = new_table_name("rck");
	struct cmap_stats st;
	pthread_t w[2], r;
	__u64 present = 0;
	long i;
	__u32 j, vlen;
	__u64 k, v;

	(void)state;
	rk_fd = cm_dev_open();
	assert_ok(cm_create(rk_fd, name, 0, 0, 0, NULL));
	memset(rk_busy, 0, sizeof(rk_busy));
	memset(rk_done, 0, sizeof(rk_done));
	rk_stop_reader = 0;
	assert_int_equal(pthread_create(&r, NULL, rk_reader, NULL), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&w[i], NULL, rk_writer,
						(void *)i), 0);
	for (i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	__atomic_store_n(&rk_stop_reader, 1, __ATOMIC_RELEASE);
	pthread_join(r, NULL);
	err_check();

	assert_ok(cmapc_stats(rk_fd, 0, &st));
	fprintf(stderr, "# racecheck: %lu + %lu writes refused, stats races %llu, read_races %llu\n",
		rk_busy[0], rk_busy[1], (unsigned long long)st.races,
		(unsigned long long)st.read_races);
	assert_int_equal(st.races, rk_busy[0] + rk_busy[1]);
	/* a refused write changed nothing, the others are there */
	for (i = 0; i < 2; i++)
		for (j = 0; j < RK_PER; j++) {
			int rc;

			k = (__u64)(i + 1) << 40 | j;
			vlen = 8;
			rc = cmapc_get(rk_fd, &k, 8, &v, &vlen);
			if (rc != (rk_done[i][j] ? 0 : -ENOENT))
				fail_msg("writer %ld key %u (%s): GET %s", i, j,
					 rk_done[i][j] ? "written" : "refused",
					 errname(-rc));
			present += rk_done[i][j];
		}
	assert_int_equal(st.entries, present);
	/* alone, a writer is never refused */
	for (j = 0; j < 2000; j++) {
		k = 3ULL << 40 | j;
		assert_ok(cmapc_put(rk_fd, &k, 8, &k, 8, CMAP_PUT_ANY));
	}
	assert_ok(cmapc_destroy(rk_fd, name, NULL));
	close(rk_fd);
}

/* ========================================== racing CREATEs of one name */

#define RC_THREADS 4
#define RC_ROUNDS 40

static pthread_barrier_t rc_bar;
static char rc_names[RC_ROUNDS][CMAP_NAME_LEN];
static int rc_wins[RC_ROUNDS];

static void *rc_worker(void *arg)
{
	long tid = (long)arg;
	int r, rc;

	for (r = 0; r < RC_ROUNDS; r++) {
		int fd = cm_dev_open();

		pthread_barrier_wait(&rc_bar);
		rc = cm_create(fd, rc_names[r], 0, 0, 0, NULL);
		if (rc == 0)
			__atomic_add_fetch(&rc_wins[r], 1, __ATOMIC_RELAXED);
		else if (rc != -EEXIST)
			terr("thread %ld round %d: CREATE %s", tid, r,
			     errname(-rc));
		close(fd);
	}
	return NULL;
}

static void test_create_race(void **state)
{
	pthread_t th[RC_THREADS];
	int fd = cm_dev_open(), r;
	long i;

	(void)state;
	for (r = 0; r < RC_ROUNDS; r++) {
		cm_unique_name(rc_names[r], "race");
		rc_wins[r] = 0;
	}
	pthread_barrier_init(&rc_bar, NULL, RC_THREADS);
	for (i = 0; i < RC_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, rc_worker,
						(void *)i), 0);
	for (i = 0; i < RC_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&rc_bar);
	for (r = 0; r < RC_ROUNDS; r++) {
		int rc = cmapc_destroy(fd, rc_names[r], NULL);

		if (rc_wins[r] != 1)
			fail_msg("round %d: %d CREATEs of one name succeeded",
				 r, rc_wins[r]);
		assert_int_equal(rc, 0);
	}
	err_check();
	close(fd);
}

/* ================================================ BATCH and signals */

/*
 * A signal during a BATCH: either -EINTR with nothing done, or 0 with
 * @done ops carried out (each with its result) and the rest not.
 */
#define BS_ROUNDS 60

static int bs_stop;

static void bs_noop(int sig)
{
	(void)sig;
}

static void *bs_sender(void *arg)
{
	pthread_t target = *(pthread_t *)arg;

	while (!__atomic_load_n(&bs_stop, __ATOMIC_ACQUIRE)) {
		pthread_kill(target, SIGUSR1);
		usleep(100);
	}
	return NULL;
}

static void test_batch_signal(void **state)
{
	char *name = new_table_name("sig");
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX], vals[CMAP_BATCH_MAX];
	__u32 done_r[BS_ROUNDS], r, j, done;
	unsigned long partial = 0, eintr = 0, total = 0;
	struct sigaction sa, old;
	pthread_t self = pthread_self(), th;
	int fd = cm_dev_open(), rc;

	(void)state;
	assert_ok(cm_create(fd, name, 0, 0, 0, NULL));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bs_noop;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, &old);
	bs_stop = 0;
	assert_int_equal(pthread_create(&th, NULL, bs_sender, &self), 0);
	for (r = 0; r < BS_ROUNDS; r++) {
		for (j = 0; j < CMAP_BATCH_MAX; j++) {
			keys[j] = (__u64)r << 32 | j;
			vals[j] = ~keys[j];
			cm_bop(&ops[j], CMAP_OP_PUT, CMAP_PUT_NOEXIST, &keys[j],
			       8, &vals[j], 8);
		}
		rc = cmapc_batch(fd, ops, CMAP_BATCH_MAX, &done);
		if (rc == -EINTR) {
			eintr++;
			done_r[r] = 0;
			continue;
		}
		if (rc) {
			__atomic_store_n(&bs_stop, 1, __ATOMIC_RELEASE);
			pthread_join(th, NULL);
			fail_msg("round %u: BATCH %s", r, errname(-rc));
		}
		if (done < 1 || done > CMAP_BATCH_MAX) {
			__atomic_store_n(&bs_stop, 1, __ATOMIC_RELEASE);
			pthread_join(th, NULL);
			fail_msg("round %u: BATCH returned 0 with done %u", r,
				 done);
		}
		if (done < CMAP_BATCH_MAX)
			partial++;
		for (j = 0; j < done; j++)
			if (ops[j].result)
				fail_msg("round %u op %u: %s", r, j,
					 errname(-ops[j].result));
		done_r[r] = done;
		total += done;
	}
	__atomic_store_n(&bs_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	sigaction(SIGUSR1, &old, NULL);
	fprintf(stderr, "# %d batches under signals: %lu partial, %lu -EINTR, %lu ops done\n",
		BS_ROUNDS, partial, eintr, total);

	/* exactly the ops reported done were carried out */
	for (r = 0; r < BS_ROUNDS; r++) {
		__u64 out[CMAP_BATCH_MAX];

		for (j = 0; j < CMAP_BATCH_MAX; j++) {
			keys[j] = (__u64)r << 32 | j;
			cm_bop(&ops[j], CMAP_OP_GET, 0, &keys[j], 8, &out[j], 8);
		}
		assert_ok(cmapc_batch(fd, ops, CMAP_BATCH_MAX, &done));
		assert_int_equal(done, CMAP_BATCH_MAX);
		for (j = 0; j < CMAP_BATCH_MAX; j++) {
			int want = j < done_r[r] ? 0 : -ENOENT;

			if (ops[j].result != want)
				fail_msg("round %u (done %u) key %u: %s, want %s",
					 r, done_r[r], j, errname(-ops[j].result),
					 errname(-want));
			if (!want && out[j] != ~keys[j])
				fail_msg("round %u key %u: wrong value", r, j);
		}
	}
	assert_int_equal(cm_entries(fd), total);
	/* a long request is interruptible: with a signal every 100 us some
	 * of 60 batches of 1024 ops must have stopped early */
	assert_true(partial + eintr > 0);
	assert_ok(cmapc_destroy(fd, name, NULL));
	close(fd);
}

/* ======================================================== two processes */

static int wait_byte(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static void send_byte(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(99);
}

#define FK_N 3000

static int fork_child(const char *name, int inherited, int to_parent,
		      int from_parent)
{
	char out[CMAP_VALUE_MAX + 1];
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);
	__u64 k, v;
	__u32 i, vlen;

	if (fd < 0 || cmapc_open(fd, name, NULL))
		return 10;
	send_byte(to_parent);			/* 1: bound */
	if (wait_byte(from_parent))
		return 11;
	/* the parent's write, through our own file and the inherited one */
	if (cm_gets(fd, "from_parent", out, sizeof(out)) || strcmp(out, "P1"))
		return 12;
	if (cm_gets(inherited, "from_parent", out, sizeof(out)) ||
	    strcmp(out, "P1"))
		return 13;
	if (cm_puts(fd, "from_child", "C1", CMAP_PUT_NOEXIST))
		return 14;
	send_byte(to_parent);			/* 2: wrote */
	if (wait_byte(from_parent))
		return 15;
	/* both write many keys at the same time */
	for (i = 0; i < FK_N; i++) {
		k = 0xC000000000000000ULL | i;
		v = ~k;
		if (cmapc_put(i & 1 ? fd : inherited, &k, 8, &v, 8,
			   CMAP_PUT_NOEXIST))
			return 16;
	}
	send_byte(to_parent);			/* 3: all written */
	if (wait_byte(from_parent))
		return 17;
	for (i = 0; i < FK_N; i++) {
		k = 0xA000000000000000ULL | i;
		vlen = 8;
		if (cmapc_get(fd, &k, 8, &v, &vlen) || vlen != 8 || v != ~k)
			return 18;
	}
	/* the parent deleted from_parent */
	if (cm_gets(fd, "from_parent", out, sizeof(out)) != -ENOENT)
		return 19;
	close(fd);
	return 0;
}

static void test_fork_shared(void **state)
{
	char *name = new_table_name("frk");
	int fd = cm_dev_open(), p2c[2], c2p[2], status;
	struct cmap_table_info ti;
	char out[CMAP_VALUE_MAX + 1];
	__u64 k, v;
	__u32 id = 0, i, vlen;
	pid_t pid;

	(void)state;
	assert_ok(cm_create(fd, name, 0, 0, 0, &id));
	assert_int_equal(pipe(p2c), 0);
	assert_int_equal(pipe(c2p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p2c[1]);
		close(c2p[0]);
		_exit(fork_child(name, fd, c2p[1], p2c[0]));
	}
	close(p2c[0]);
	close(c2p[1]);

	assert_int_equal(wait_byte(c2p[0]), 0);		/* 1 */
	/* our file (shared with the child) and the child's own */
	assert_ok(cm_list_find(fd, id, &ti));
	assert_int_equal(ti.files, 2);
	assert_int_equal(ti.creator_pid, getpid());
	assert_ok(cm_puts(fd, "from_parent", "P1", CMAP_PUT_NOEXIST));
	send_byte(p2c[1]);
	assert_int_equal(wait_byte(c2p[0]), 0);		/* 2 */
	assert_ok(cm_gets(fd, "from_child", out, sizeof(out)));
	assert_string_equal(out, "C1");
	send_byte(p2c[1]);
	for (i = 0; i < FK_N; i++) {
		k = 0xA000000000000000ULL | i;
		v = ~k;
		assert_ok(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_NOEXIST));
	}
	assert_int_equal(wait_byte(c2p[0]), 0);		/* 3 */
	for (i = 0; i < FK_N; i++) {
		k = 0xC000000000000000ULL | i;
		vlen = 8;
		assert_ok(cmapc_get(fd, &k, 8, &v, &vlen));
		assert_true(v == ~k);
	}
	assert_ok(cm_dels(fd, "from_parent"));
	send_byte(p2c[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child failed: %s %d (see fork_child())",
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) :
			 WTERMSIG(status));
	assert_int_equal(cm_entries(fd), 2 * FK_N + 1);
	assert_ok(cm_list_find(fd, id, &ti));
	assert_int_equal(ti.files, 1);
	close(p2c[1]);
	close(c2p[0]);
	assert_ok(cmapc_destroy(fd, name, NULL));
	close(fd);
}

/* ============================================ inline tables under writers */

/*
 * An inline table's GET copies the value out of the bucket, where writers
 * replace it in place, clear slots and refill them, and migrations copy
 * it: readers must only ever see a value put under the key they asked for
 * (never one torn from another key's), and a key present throughout
 * always found, resizes or not.  Values are the key's tag in the high
 * half, a sequence number in the low half.
 */
#define IL_READERS	2
#define IL_CHURN_TAG	(1ULL << 40)

static __u32 il_stable, il_churn;
static char *il_name;
static int il_done;

static __u32 il_tag(__u64 key)
{
	return (__u32)((key * 0x9e3779b97f4a7c15ULL) >> 32);
}

static __u64 il_val(__u64 key, __u32 seq)
{
	return (__u64)il_tag(key) << 32 | seq;
}

static int il_open(void)
{
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC), rc;

	if (fd < 0) {
		terr("open: %s", strerror(errno));
		return -1;
	}
	rc = cmapc_open(fd, il_name, NULL);
	if (rc) {
		terr("OPEN %s: %s", il_name, errname(-rc));
		close(fd);
		return -1;
	}
	return fd;
}

/* GETs of stable keys (always there) and churn keys (maybe there). */
static void *il_reader(void *arg)
{
	__u64 rng = 0x51ed + (long)arg, k, v;
	unsigned long gets = 0;
	int fd = il_open(), rc;
	__u32 vlen;

	if (fd < 0)
		return NULL;
	while (!__atomic_load_n(&il_done, __ATOMIC_ACQUIRE) && !err_count) {
		bool stable = xorshift(&rng) % 4;

		k = stable ? xorshift(&rng) % il_stable :
		    IL_CHURN_TAG | xorshift(&rng) % il_churn;
		vlen = 8;
		rc = cmapc_get(fd, &k, 8, &v, &vlen);
		gets++;
		if (rc == -ENOENT && !stable)
			continue;
		if (rc)
			terr("GET of %s key %#llx: %s", stable ? "stable" : "churn",
			     (unsigned long long)k, errname(-rc));
		else if (vlen != 8 || v >> 32 != il_tag(k))
			terr("GET of key %#llx: %u bytes, %#llx: not a value of this key",
			     (unsigned long long)k, vlen, (unsigned long long)v);
	}
	close(fd);
	return (void *)gets;
}

/* Replaces the stable keys' values in place, until the churn ends. */
static void *il_replacer(void *arg)
{
	__u64 rng = 0x7e91, k, v;
	__u32 seq = 0;
	int fd = il_open(), rc;

	(void)arg;
	if (fd < 0)
		return NULL;
	while (!__atomic_load_n(&il_done, __ATOMIC_ACQUIRE) && !err_count) {
		k = xorshift(&rng) % il_stable;
		v = il_val(k, ++seq);
		rc = cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_EXIST);
		if (rc)
			terr("PUT EXIST of stable key %#llx: %s",
			     (unsigned long long)k, errname(-rc));
	}
	close(fd);
	return NULL;
}

/* @code (PUT or DELETE) on every churn key, in BATCHes: all must succeed. */
static void il_churn_all(int fd, __u32 code, __u32 seq)
{
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX], vals[CMAP_BATCH_MAX];
	__u32 i, j, m, done;
	int rc;

	for (i = 0; i < il_churn && !err_count; i += m) {
		m = il_churn - i < CMAP_BATCH_MAX ? il_churn - i : CMAP_BATCH_MAX;
		for (j = 0; j < m; j++) {
			keys[j] = IL_CHURN_TAG | (i + j);
			vals[j] = il_val(keys[j], seq);
			cm_bop(&ops[j], code, 0, &keys[j], 8,
			       code == CMAP_OP_PUT ? &vals[j] : NULL,
			       code == CMAP_OP_PUT ? 8 : 0);
		}
		rc = cmapc_batch(fd, ops, m, &done);
		if (rc || done != m) {
			terr("churn BATCH: %s, %u of %u done", errname(-rc), done, m);
			return;
		}
		for (j = 0; j < m; j++)
			if (ops[j].result)
				terr("churn op %u on key %#llx: %s", code,
				     (unsigned long long)keys[j],
				     errname(-ops[j].result));
	}
}

static void test_inline_readers(void **state)
{
	pthread_t readers[IL_READERS], replacer;
	struct cmap_stats st0, st1;
	unsigned long gets = 0;
	__u32 i, round, rounds = 3;
	int fd = cm_dev_open();
	__u64 k, v;
	void *r;

	(void)state;
	il_name = new_table_name("ilr");
	il_stable = cm_scaled(cow() ? 256 : 2048);
	il_churn = cm_scaled(cow() ? 512 : 30000);
	il_done = 0;
	assert_ok(cm_create_flags(fd, il_name, CMAP_CREATE_INLINE, 0, 0, 0, NULL));
	for (k = 0; k < il_stable; k++) {
		v = il_val(k, 0);
		assert_ok(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_NOEXIST));
	}
	assert_ok(cmapc_stats(fd, 0, &st0));
	for (i = 0; i < IL_READERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, il_reader,
						(void *)(long)i), 0);
	assert_int_equal(pthread_create(&replacer, NULL, il_replacer, NULL), 0);
	/* grow and shrink under them: slots cleared, refilled, migrated */
	for (round = 0; round < rounds && !err_count; round++) {
		il_churn_all(fd, CMAP_OP_PUT, round);
		il_churn_all(fd, CMAP_OP_DELETE, 0);
	}
	__atomic_store_n(&il_done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < IL_READERS; i++) {
		pthread_join(readers[i], &r);
		gets += (unsigned long)r;
	}
	pthread_join(replacer, NULL);
	err_check();
	assert_ok(cmapc_stats(fd, 0, &st1));
	fprintf(stderr, "# %lu GETs under %u rounds of %u inserts and deletes; resizes %llu -> %llu\n",
		gets, rounds, il_churn, (unsigned long long)st0.resizes,
		(unsigned long long)st1.resizes);
	assert_true(st1.resizes > st0.resizes);
	assert_int_equal(st1.entries, il_stable);
	for (k = 0; k < il_stable; k++) {
		__u32 vlen = 8;

		assert_ok(cmapc_get(fd, &k, 8, &v, &vlen));
		assert_int_equal(v >> 32, il_tag(k));
	}
	assert_ok(cmapc_destroy(fd, il_name, NULL));
	close(fd);
}

#define M(x) (1U << CMAP_MODE_##x)
static const struct {
	const char *name;
	CMUnitTestFunction fn;
	unsigned int modes;
} all_tests[] = {
	{ "test_threads_mixed", test_threads_mixed,
	  M(RCU) | M(RWLOCK) | M(SPINLOCK) | M(COW) },
	/* not COW: 200k inserts each copying the table */
	{ "test_iter_during_resizes", test_iter_during_resizes,
	  M(RCU) | M(RWLOCK) | M(SPINLOCK) },
	{ "test_destroy_under_load", test_destroy_under_load,
	  M(RCU) | M(RWLOCK) | M(SPINLOCK) | M(COW) },
	{ "test_racecheck_writers", test_racecheck_writers, M(RACECHECK) },
	/* not RACECHECK: its writers would refuse each other (-EBUSY) */
	{ "test_inline_readers", test_inline_readers,
	  M(RCU) | M(RWLOCK) | M(SPINLOCK) | M(COW) },
	/* independent of the mode */
	{ "test_create_race", test_create_race, M(RCU) },
	{ "test_batch_signal", test_batch_signal, M(RCU) },
	{ "test_fork_shared", test_fork_shared, M(RCU) },
};

static const __u32 mode_ids[CMAP_MODE_COUNT] = {
	CMAP_MODE_RCU, CMAP_MODE_RWLOCK, CMAP_MODE_SPINLOCK, CMAP_MODE_COW,
	CMAP_MODE_RACECHECK,
};

/* Each test in each of its modes that CMAP_TEST_MODES (default: all)
 * selects, named "mode/test". */
int main(void)
{
	unsigned int modes = cm_test_modes(), m, i, n = 0;
	struct CMUnitTest *tests;

	tests = calloc(CMAP_MODE_COUNT * ARRAY_LEN(all_tests), sizeof(*tests));
	for (i = 0; i < ARRAY_LEN(all_tests); i++) {
		for (m = 0; m < CMAP_MODE_COUNT; m++) {
			char *name;

			if (!(all_tests[i].modes & modes & 1U << m))
				continue;
			if (asprintf(&name, "%s/%s", cmapc_mode_name(m),
				     all_tests[i].name) < 0)
				return 1;
			tests[n].name = name;
			tests[n].test_func = all_tests[i].fn;
			tests[n].setup_func = setup;
			tests[n].teardown_func = teardown;
			tests[n].initial_state = (void *)&mode_ids[m];
			n++;
		}
	}
	return _cmocka_run_group_tests("cmap_concurrency", tests, n, NULL,
				       NULL);
}
