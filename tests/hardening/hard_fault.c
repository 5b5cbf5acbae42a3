// SPDX-License-Identifier: GPL-2.0
/*
 * hard_fault: allocation failure sweeps with debugfs cmap/fail_nth.
 *
 * For each operation, N = 1, 2, 3, ...: arm fail_nth = N, run the
 * operation, wait for the table to settle (a resize the operation queued
 * allocates in the worker), disarm.  If the injected failure fired, the
 * operation must have failed with -ENOMEM and changed nothing, or have
 * succeeded because the allocation that failed was not its own (a resize:
 * the table then stays at its size and grows later).  Every step compares
 * the whole table (a full ITER dump) with a model kept here.  The sweep of
 * an operation ends at the first N that does not fire.  Leaks show at
 * unload (the guest script checks the kernel log for "cmap: leaking" and
 * "unaccounted").
 *
 *   hard_fault [-v] MODE...     MODE: rcu rwlock spinlock cow racecheck
 *                               (default: all)
 */
#include "hard.h"

#define MAXK 4096

static int verbose;

/* The model: key i (8 bytes) present with value vals[i] of vlen[i] bytes. */
struct model {
	bool present[MAXK];
	uint16_t vlen[MAXK];
	char vals[MAXK][48];
	unsigned int n;
};

static struct model M;
static char itbuf[CMAP_ITER_BUF_MAX];
static int fired_total, enomem_total, ok_total;
static const char *cur_mode;

static void model_put(struct model *m, uint64_t k, const char *v, size_t len)
{
	if (!m->present[k])
		m->n++;
	m->present[k] = true;
	m->vlen[k] = len;
	memcpy(m->vals[k], v, len);
}

static void model_del(struct model *m, uint64_t k)
{
	if (m->present[k])
		m->n--;
	m->present[k] = false;
}

static size_t val_for(uint64_t k, int gen, char *v)
{
	return snprintf(v, 48, "v%" PRIu64 "-g%d-%.*s", k, gen, (int)(k % 17),
			"xxxxxxxxxxxxxxxxxxxx");
}

/* Does the table equal @m?  Explains in @why if not.  Uses ITER. */
static bool table_is(int fd, const struct model *m, char *why, size_t wl)
{
	static bool seen[MAXK];
	struct cmap_iter it;
	struct cmap_stats st;
	unsigned int n = 0;
	int rc;

	memset(seen, 0, sizeof(seen));
	memset(&it, 0, sizeof(it));
	it.size = sizeof(it);
	while (it.cursor != CMAP_ITER_DONE) {
		const struct cmap_rec *r;
		size_t off = 0;

		rc = t_iter_next(fd, &it, itbuf, sizeof(itbuf));
		if (rc) {
			snprintf(why, wl, "ITER: %s", ename(rc));
			return false;
		}
		while ((r = rec_next(itbuf, it.bytes, &off))) {
			uint64_t k;

			if (r->key_len != 8) {
				snprintf(why, wl, "a key of %u bytes", r->key_len);
				return false;
			}
			memcpy(&k, r + 1, 8);
			if (k >= MAXK || !m->present[k] || seen[k]) {
				snprintf(why, wl, "key %" PRIu64 " %s", k,
					 k < MAXK && seen[k] ? "twice" : "unexpected");
				return false;
			}
			if (r->value_len != m->vlen[k] ||
			    memcmp((const char *)(r + 1) + 8, m->vals[k], m->vlen[k])) {
				snprintf(why, wl, "key %" PRIu64 ": wrong value", k);
				return false;
			}
			seen[k] = true;
			n++;
		}
	}
	if (n != m->n) {
		snprintf(why, wl, "%u keys, model %u", n, m->n);
		return false;
	}
	if (cmapc_stats(fd, 0, &st) || st.entries != m->n) {
		snprintf(why, wl, "STATS entries %llu, model %u",
			 (unsigned long long)st.entries, m->n);
		return false;
	}
	return true;
}

/*
 * Is the table @m?  If not, one "not ok" line: @fmt, then why; counted in
 * @bad.
 */
static bool table_ok(int fd, const struct model *m, int *bad, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
static bool table_ok(int fd, const struct model *m, int *bad, const char *fmt,
		     ...)
{
	char why[200], what[200];
	va_list ap;

	if (table_is(fd, m, why, sizeof(why)))
		return true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	(*bad)++;
	tap(0, "%s: %s", what, why);
	return false;
}

/*
 * One operation under fault injection.  @op runs it and returns its rc;
 * @apply updates a model copy for a success (gets the rc and may inspect
 * per-op results).  Returns the number of allocations it made (the first
 * N that did not fire, minus one).
 */
typedef int (*op_fn)(int fd, void *arg);
typedef void (*apply_fn)(struct model *m, int rc, void *arg);

static int *arg_enomem;	/* set by ops with per-op results */

static int sweep(int fd, const char *name, op_fn op, apply_fn apply,
		 void (*reset)(int fd, void *arg), void *arg, int maxn)
{
	static struct model want;
	char why[200];
	int n, rc, fired = 0, enomem = 0, okc = 0, bad = 0;
	long long left;

	for (n = 1; n <= maxn; n++) {
		struct cmap_stats st0, st1;

		if (reset)
			reset(fd, arg);
		t_settle(fd, 10, 4);
		cmapc_stats(fd, 0, &st0);
		if (!table_is(fd, &M, why, sizeof(why)))
			bail("%s/%s N=%d: table differs from the model before the op: %s",
			     cur_mode, name, n, why);
		if (fail_nth_set(n))
			bail("cannot arm fail_nth");
		rc = op(fd, arg);
		t_settle(fd, 10, 4);
		left = fail_nth_get();
		fail_nth_set(0);
		cmapc_stats(fd, 0, &st1);
		want = M;
		if (rc == 0 || rc == 1)
			apply(&want, rc, arg);
		if (left > 0) {
			/* the op needed fewer than n allocations: done */
			if (rc < 0 || !table_is(fd, &want, why, sizeof(why))) {
				bad++;
				tap(0, "%s/%s without a fault: %s %s", cur_mode, name,
				    ename(rc), rc < 0 ? "" : why);
			}
			M = want;
			break;
		}
		fired++;
		if (rc == 1 && arg_enomem && *arg_enomem)
			rc = -ENOMEM - 1000;	/* one op failed: counted below */
		if (rc == -ENOMEM - 1000) {
			enomem++;
			table_ok(fd, &want, &bad,
				 "%s/%s: allocation %d failed: an op got -ENOMEM but the table is wrong",
				 cur_mode, name, n);
			M = want;
		} else if (rc == -ENOMEM) {
			enomem++;
			if (table_ok(fd, &M, &bad,
				     "%s/%s: allocation %d failed: -ENOMEM but the table changed",
				     cur_mode, name, n) && verbose)
				tap(1, "%s/%s: allocation %d failed: -ENOMEM, unchanged",
				    cur_mode, name, n);
		} else if (rc == 0 || rc == 1) {
			okc++;
			/* the failed allocation was not the op's (a resize) */
			if (table_ok(fd, &want, &bad,
				     "%s/%s: allocation %d failed, op succeeded, table wrong",
				     cur_mode, name, n) && verbose)
				tap(1, "%s/%s: allocation %d failed elsewhere (buckets %llu -> %llu); op ok",
				    cur_mode, name, n, (unsigned long long)st0.buckets,
				    (unsigned long long)st1.buckets);
			M = want;
			/* the op is done (its own allocations came first) */
			if (rc == 0)
				break;
		} else {
			bad++;
			tap(0, "%s/%s: allocation %d failed: unexpected %s",
			    cur_mode, name, n, ename(rc));
		}
	}
	fired_total += fired;
	enomem_total += enomem;
	ok_total += okc;
	arg_enomem = NULL;
	tap(!bad && n <= maxn,
	    "%s/%s: %d allocations failed one at a time: %d -ENOMEM (of the call, or of one op) with no other change, %d absorbed (resize); table always equal to the model",
	    cur_mode, name, fired, enomem, okc);
	return fired;
}

/* ------------------------------------------------------------ the ops */
struct kv_arg {
	uint64_t k;
	int gen;
	size_t vlen;
	char v[48];
	__u32 flags;
};

static int op_put(int fd, void *a)
{
	struct kv_arg *p = a;

	return cmapc_put(fd, &p->k, 8, p->v, p->vlen, p->flags);
}

static void apply_put(struct model *m, int rc, void *a)
{
	struct kv_arg *p = a;

	(void)rc;
	model_put(m, p->k, p->v, p->vlen);
}

static int op_del(int fd, void *a)
{
	struct kv_arg *p = a;

	return cmapc_delete(fd, &p->k, 8);
}

static void apply_del(struct model *m, int rc, void *a)
{
	(void)rc;
	model_del(m, ((struct kv_arg *)a)->k);
}

static int op_get(int fd, void *a)
{
	struct kv_arg *p = a;
	char out[4096];
	__u32 olen = sizeof(out);
	int rc = cmapc_get(fd, &p->k, 8, out, &olen);

	if (!rc && (olen != M.vlen[p->k] || memcmp(out, M.vals[p->k], olen)))
		return -EIO;
	return rc;
}

static void apply_nothing(struct model *m, int rc, void *a)
{
	(void)m;
	(void)rc;
	(void)a;
}

/* A BATCH of puts of new keys, replaces and deletes. */
#define BN 48
struct batch_arg {
	struct cmap_batch_op ops[BN];
	uint64_t keys[BN];
	char vals[BN][48];
	uint64_t base;
	int done;
	int count;	/* ops used, <= BN */
	int enomem;	/* ops that failed with -ENOMEM */
};

static void batch_reset(int fd, void *a)
{
	struct batch_arg *b = a;
	int i;

	(void)fd;
	memset(b->ops, 0, sizeof(b->ops));
	for (i = 0; i < BN; i++) {
		struct cmap_batch_op *op = &b->ops[i];

		b->keys[i] = i % 3 == 2 ? (b->base + i) % 1000 : b->base + i;
		op->key = uptr(&b->keys[i]);
		op->key_len = 8;
		if (i % 3 == 2) {
			op->op = CMAP_OP_DELETE;
		} else {
			op->op = CMAP_OP_PUT;
			op->value = uptr(b->vals[i]);
			op->value_len = val_for(b->keys[i], (int)b->base, b->vals[i]);
		}
	}
}

static int op_batch(int fd, void *a)
{
	struct batch_arg *b = a;
	struct cmap_batch bt;
	int rc, i;

	memset(&bt, 0, sizeof(bt));
	bt.size = sizeof(bt);
	bt.ops = uptr(b->ops);
	bt.count = b->count ? b->count : BN;
	rc = cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
	b->done = bt.done;
	b->enomem = 0;
	if (rc)
		return rc;
	for (i = 0; i < b->done; i++)
		b->enomem += b->ops[i].result == -ENOMEM;
	/* success, with per-op results: 1 tells apply to look at them */
	return 1;
}

static void apply_batch(struct model *m, int rc, void *a)
{
	struct batch_arg *b = a;
	int i;

	(void)rc;
	for (i = 0; i < b->done; i++) {
		struct cmap_batch_op *op = &b->ops[i];

		if (op->result)
			continue;	/* -ENOMEM (injected) or -ENOENT */
		if (op->op == CMAP_OP_PUT)
			model_put(m, b->keys[i], b->vals[i], op->value_len);
		else
			model_del(m, b->keys[i]);
	}
}

static int op_iter(int fd, void *a)
{
	char why[200];

	(void)a;
	/* a complete dump under injection: any -ENOMEM is the result */
	if (!table_is(fd, &M, why, sizeof(why)))
		return strncmp(why, "ITER: ", 6) ? -EIO :
		       strstr(why, "ENOMEM") ? -ENOMEM : -EIO;
	return 0;
}

static int op_list(int fd, void *a)
{
	__u64 bytes;
	__u32 total;

	(void)a;
	return t_table_bytes(fd, 0, &bytes, &total);
}

static int op_clear(int fd, void *a)
{
	(void)a;
	return cmapc_ioctl(fd, CMAP_IOC_CLEAR, NULL);
}

static void apply_clear(struct model *m, int rc, void *a)
{
	(void)rc;
	(void)a;
	memset(m, 0, sizeof(*m));
}

static void refill(int fd, void *a)
{
	char v[48];
	uint64_t k;

	(void)a;
	if (M.n)
		return;
	for (k = 0; k < 600; k++) {
		size_t len = val_for(k, 0, v);

		if (cmapc_put(fd, &k, 8, v, len, 0))
			bail("refill");
		model_put(&M, k, v, len);
	}
}

/* CREATE under injection: on failure no table, no name, file unbound. */
static int op_create(int fd, void *a)
{
	static int seq;
	char nm[CMAP_NAME_LEN];
	__u32 before, after;
	int f = dev_open(), rc;

	(void)fd;
	(void)a;
	t_list_total(f, &before);
	snprintf(nm, sizeof(nm), "hfc%d_%d", getpid(), seq++);
	rc = t_create(f, nm, CMAP_MODE_RCU, 100, 0, 0, NULL);
	if (rc) {
		t_list_total(f, &after);
		if (after != before || cmapc_open(f, nm, NULL) != -ENOENT ||
		    t_bound_id(f) != -EBADFD)
			rc = -EIO;
	} else {
		rc = cmapc_destroy(f, nm, NULL);
	}
	close(f);
	return rc;
}

static void sweep_mode(const char *mode_name, __u32 mode)
{
	char nm[CMAP_NAME_LEN];
	struct kv_arg kv;
	static struct batch_arg ba;
	int fd = dev_open(), i;
	uint64_t k;

	cur_mode = mode_name;
	memset(&M, 0, sizeof(M));
	name_of(nm, "hft");
	if (t_create(fd, nm, mode, 0, 0, 0, NULL))
		bail("CREATE %s", nm);

	/* 1. PUT of new keys, one by one through several resizes */
	for (k = 0; k < 200; k++) {
		kv = (struct kv_arg){ .k = k, .flags = CMAP_PUT_NOEXIST };
		kv.vlen = val_for(k, 0, kv.v);
		if (k % 25 == 0 || (mode == CMAP_MODE_RCU && k % 5 == 0)) {
			char name[40];

			snprintf(name, sizeof(name), "PUT new key %" PRIu64, k);
			sweep(fd, name, op_put, apply_put, NULL, &kv, 64);
		} else {
			if (op_put(fd, &kv))
				bail("PUT");
			apply_put(&M, 0, &kv);
		}
	}
	/* 2. PUT replacing a key (bigger value) */
	kv = (struct kv_arg){ .k = 7, .flags = CMAP_PUT_EXIST };
	kv.vlen = val_for(7, 1, kv.v);
	sweep(fd, "PUT replace", op_put, apply_put, NULL, &kv, 64);
	/* 3. GET with a big buffer (a kernel buffer is allocated) */
	kv.k = 9;
	sweep(fd, "GET", op_get, apply_nothing, NULL, &kv, 64);
	/* 4. DELETE */
	kv.k = 11;
	sweep(fd, "DELETE", op_del, apply_del, NULL, &kv, 64);
	/* 5. BATCH: puts of new keys (growth), replaces, deletes */
	for (i = 0; i < (mode == CMAP_MODE_COW ? 1 : mode ? 2 : 6); i++) {
		/* cow: each write allocates a whole array; fewer ops */
		ba.count = mode == CMAP_MODE_COW ? 12 : BN;
		ba.base = 1000 + i * BN;
		arg_enomem = &ba.enomem;
		sweep(fd, "BATCH", op_batch, apply_batch, batch_reset, &ba,
		      mode == CMAP_MODE_COW ? 400 : 200);
	}
	/* 6. ITER (a full dump) and LIST */
	sweep(fd, "ITER", op_iter, apply_nothing, NULL, NULL, 64);
	sweep(fd, "LIST", op_list, apply_nothing, NULL, NULL, 64);
	/* 7. CLEAR (cow: a new array) */
	sweep(fd, "CLEAR", op_clear, apply_clear, refill, NULL, 64);
	refill(fd, NULL);
	/* 8. CREATE */
	sweep(fd, "CREATE", op_create, apply_nothing, NULL, NULL, 64);
	cmapc_destroy(fd, nm, NULL);
	close(fd);
}

/*
 * A resize whose bucket array cannot be allocated: fail the allocation
 * right after the PUT's own element (N=2), on the PUT that crosses the
 * grow threshold.  The PUT succeeds, the table stays at its size, and the
 * writes once the entry count has moved by an eighth grow it.
 */
static void resize_fault(void)
{
	char nm[CMAP_NAME_LEN], v[48];
	struct cmap_stats st0, st1, st2;
	int fd = dev_open(), rc, i, more;
	long long left;
	uint64_t k;
	size_t len;

	cur_mode = "rcu";
	memset(&M, 0, sizeof(M));
	name_of(nm, "hfr");
	if (t_create(fd, nm, CMAP_MODE_RCU, 0, 0, 0, NULL))
		bail("CREATE");
	cmapc_stats(fd, 0, &st0);
	/* up to the threshold: 6.5 per head bucket */
	for (k = 0; k < st0.buckets * 13 / 2; k++) {
		len = val_for(k, 0, v);
		if (cmapc_put(fd, &k, 8, v, len, 0))
			bail("PUT");
		model_put(&M, k, v, len);
	}
	t_settle(fd, 10, 4);
	cmapc_stats(fd, 0, &st0);
	/*
	 * If the key's bucket is full, the PUT's second allocation is its own
	 * overflow bucket: it fails with nothing changed; take the next key.
	 */
	for (i = 0; i < 8; i++, k++) {
		char why[200] = "";

		len = val_for(k, 0, v);
		fail_nth_set(2);
		rc = cmapc_put(fd, &k, 8, v, len, 0);
		if (rc != -ENOMEM)
			break;
		fail_nth_set(0);
		if (!table_is(fd, &M, why, sizeof(why))) {
			tap(0, "a PUT whose overflow bucket could not be allocated left the table unchanged %s",
			    why);
			break;
		}
		diag("key %llu needed an overflow bucket: the fault failed that PUT (-ENOMEM, table unchanged); next key",
		     (unsigned long long)k);
	}
	/* the worker allocates the new array soon (slower on PREEMPT_RT) */
	for (i = 0; i < 500 && fail_nth_get() > 0; i++)
		usleep(10000);
	t_settle(fd, 10, 30);
	left = fail_nth_get();
	fail_nth_set(0);
	cmapc_stats(fd, 0, &st1);
	if (!rc)
		model_put(&M, k, v, len);
	{
		char why[200] = "";
		bool same = table_is(fd, &M, why, sizeof(why));

		tap(!rc && left == 0 && st1.buckets == st0.buckets && same,
		    "a resize whose array allocation fails: the PUT succeeds (%s), the fault fired (%lld left), the table stays at %llu buckets (%llu), contents intact %s",
		    ename(rc), left, (unsigned long long)st0.buckets,
		    (unsigned long long)st1.buckets, why);
	}
	/*
	 * After a failed resize at n entries the core waits for the count to
	 * move by an eighth (n / 8 + 1) before it asks for one again; the
	 * writes past that grow the table.
	 */
	more = st1.entries / 8 + 2;
	for (i = 0; i < more; i++) {
		k++;
		len = val_for(k, 0, v);
		cmapc_put(fd, &k, 8, v, len, 0);
		model_put(&M, k, v, len);
	}
	t_settle(fd, 10, 4);
	cmapc_stats(fd, 0, &st2);
	tap(st2.buckets > st1.buckets,
	    "writes past an eighth more entries grow it: %llu -> %llu buckets after %d more keys",
	    (unsigned long long)st1.buckets, (unsigned long long)st2.buckets, more);
	cmapc_destroy(fd, nm, NULL);
	close(fd);
}

/* Random N while many resizes and writes happen: only -ENOMEM, no change. */
static void random_faults(unsigned int rounds)
{
	char nm[CMAP_NAME_LEN];
	static struct batch_arg ba;
	uint64_t seed = 12345;
	int fd = dev_open();
	unsigned int r;
	char why[200];
	int bad = 0, fired = 0;

	cur_mode = "rcu";
	memset(&M, 0, sizeof(M));
	name_of(nm, "hfx");
	if (t_create(fd, nm, CMAP_MODE_RCU, 0, 0, 0, NULL))
		bail("CREATE");
	for (r = 0; r < rounds; r++) {
		static struct model want;
		int rc;

		ba.base = rnd_next(&seed) % 3000;
		ba.count = BN;
		batch_reset(fd, &ba);
		fail_nth_set(1 + rnd_next(&seed) % 60);
		rc = op_batch(fd, &ba);
		t_settle(fd, 5, 4);
		if (fail_nth_get() == 0)
			fired++;
		fail_nth_set(0);
		want = M;
		if (rc == 1)
			apply_batch(&want, rc, &ba);
		else if (rc != -ENOMEM)
			bad++;
		if (!table_is(fd, &want, why, sizeof(why))) {
			bad++;
			diag("round %u: %s", r, why);
		}
		M = want;
	}
	tap(!bad, "%u BATCHes of 48 ops with a random allocation failing (%d fired) while the table grows and shrinks: always -ENOMEM or per-op -ENOMEM, table equal to the model",
	    rounds, fired);
	cmapc_destroy(fd, nm, NULL);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		__u32 mode;
	} modes[] = {
		{ "rcu", CMAP_MODE_RCU }, { "rwlock", CMAP_MODE_RWLOCK },
		{ "spinlock", CMAP_MODE_SPINLOCK }, { "cow", CMAP_MODE_COW },
		{ "racecheck", CMAP_MODE_RACECHECK },
	};
	int i, j, any = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argc--;
		argv++;
	}
	if (access(FAIL_NTH, W_OK))
		bail("%s: %s", FAIL_NTH, strerror(errno));
	for (i = 0; i < (int)ARRAY_LEN(modes); i++) {
		bool want = argc == 1;

		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], modes[i].name);
		if (!want)
			continue;
		sweep_mode(modes[i].name, modes[i].mode);
		any = 1;
	}
	if (argc == 1 || (argc > 1 && !strcmp(argv[1], "rcu"))) {
		resize_fault();
		random_faults(150);
	}
	if (!any)
		bail("no mode selected");
	diag("faults injected: %d (%d answered -ENOMEM, %d absorbed by a resize)",
	     fired_total, enomem_total, ok_total);
	return tap_exit("hard_fault");
}
