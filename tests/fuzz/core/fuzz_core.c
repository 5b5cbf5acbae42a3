// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the table core (kmod/cmap_core.c on the userspace
 * shim).  The input is a table configuration and a sequence of operations,
 * applied to the core and to a reference model (an array indexed by key
 * number); after every operation its result, the lookup of its key and the
 * counters must agree with the model, and every few operations (and after
 * clears, iterations, resizes and failures) every key's lookup and a full
 * iteration too.
 *
 * Operations: put (each mode), delete, lookup, clear, a partial iteration
 * resumed from its cursor, running the resize work, running it with the
 * next few operations executed in the middle of the migration (from the
 * worker's cond_resched()), and failing the nth allocation of the next
 * operation.  Keys are 256 byte strings of 1..64 bytes; values 0..4096.
 * Everything is deterministic: the hash key comes from the input.
 *
 * The first byte picks the sync mode (mod 5) and, above that, the table
 * kind: (byte / 5) odd is an inline table (CMAP_F_INLINE), whose keys are
 * 8 bytes but for one in eight and whose values are mostly 8 bytes; a put
 * or delete of another length must give -EINVAL and change nothing, an
 * entry is charged 16 bytes, cmap_lookup() finds nothing and
 * cmap_kv_lookup() copies the value.
 *
 * Build: mk/userspace.mk (make fuzz); seeds: tests/fuzz/corpus-core/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/slab.h>

#include "cmap_core.h"
#include "shim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

#define NKEYS		256

struct mkey {
	bool present;
	u16 vlen;
	u8 vseed;
};

struct fz {
	const u8 *p, *end;
	struct cmap *t;
	u32 sync;
	bool kv;			/* an inline table */
	u64 max_entries, max_bytes;
	struct mkey m[NKEYS];
	u64 n, bytes;
	unsigned int fault_next;	/* fail this allocation of the next op */
	bool in_hook;
	unsigned int hook_at, hook_calls, hook_ops;
	unsigned int nops;
};

#define check(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_core: %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

static u8 next(struct fz *f)
{
	return f->p < f->end ? *f->p++ : 0;
}

/* The current input's table is inline: keys are 8 bytes but for a few. */
static bool fz_kv;

static u32 klen_of(unsigned int k)
{
	u32 len = 1 + (k * 37) % CMAP_KEY_LEN_MAX;

	if (fz_kv)				/* one in eight refused */
		return k % 8 != 7 ? CMAP_KV_LEN : len != 8 ? len : 9;
	if (k % 5 == 0)
		return 8;			/* the 8-byte compare path */
	return len;
}

static void key_of(unsigned int k, u8 *key)
{
	u32 i, len = klen_of(k);

	key[0] = k;
	for (i = 1; i < len; i++)
		key[i] = k * 13 + i;
}

static const u16 vlens[8] = { 0, 1, 8, 16, 100, 300, CMAP_VALUE_LEN_MAX, 63 };

static void val_of(u8 seed, u32 vlen, u8 *val)
{
	u32 i;

	for (i = 0; i < vlen; i++)
		val[i] = seed * 29 + i * 7;
}

/*
 * The core's own rule: the model checks the sums, not the rule.  An inline
 * entry is charged its key and value.
 */
static u64 charge(unsigned int k, u32 vlen)
{
	if (fz_kv)
		return 2 * CMAP_KV_LEN;
	return cmap_elem_alloc_size(klen_of(k), vlen);
}

/* What the core must answer to a put, and the model after it. */
static int model_put(struct fz *f, unsigned int k, u32 vlen, u8 seed,
		     enum cmap_put_mode mode, bool apply)
{
	struct mkey *m = &f->m[k];

	if (f->kv && (klen_of(k) != CMAP_KV_LEN || vlen != CMAP_KV_LEN))
		return -EINVAL;
	if (m->present && mode == CMAP_INSERT)
		return -EEXIST;
	if (!m->present && mode == CMAP_REPLACE)
		return -ENOENT;
	if (!m->present && f->n + 1 > f->max_entries)
		return -ENOSPC;
	if (f->bytes - (m->present ? charge(k, m->vlen) : 0) + charge(k, vlen) >
	    f->max_bytes)
		return -ENOSPC;
	if (apply) {
		f->bytes += charge(k, vlen) - (m->present ? charge(k, m->vlen) : 0);
		f->n += !m->present;
		m->present = true;
		m->vlen = vlen;
		m->vseed = seed;
	}
	return 0;
}

static void model_del(struct fz *f, unsigned int k)
{
	f->bytes -= charge(k, f->m[k].vlen);
	f->n--;
	f->m[k].present = false;
}

struct iter_state {
	struct fz *f;
	u8 seen[NKEYS];
	unsigned int groups, refuse_after;
	u32 last_hash;
	bool any;
};

static int iter_cb(void *arg, const struct cmap_elem *const *elems,
		   unsigned int n)
{
	struct iter_state *s = arg;
	unsigned int i;

	if (s->refuse_after && s->groups == s->refuse_after) {
		s->groups = 0;
		return -E2BIG;
	}
	s->groups++;
	for (i = 0; i < n; i++) {
		const struct cmap_elem *e = elems[i];
		unsigned int k = *(const u8 *)cmap_elem_key(e);
		u8 key[CMAP_KEY_LEN_MAX], val[CMAP_VALUE_LEN_MAX];
		struct mkey *m = &s->f->m[k];

		key_of(k, key);
		check(e->klen == klen_of(k) &&
		      !memcmp(cmap_elem_key(e), key, e->klen),
		      "iteration: unknown key");
		val_of(m->vseed, m->vlen, val);
		check(m->present && e->vlen == m->vlen &&
		      !memcmp(cmap_elem_value(e), val, e->vlen),
		      "iteration: key %u: wrong value", k);
		check(e->hash == elems[0]->hash, "group of several hashes");
		check(!s->any || e->hash >= s->last_hash,
		      "iteration out of hash order");
		check(!s->seen[k]++, "iteration returned key %u twice", k);
		s->last_hash = e->hash;
		s->any = true;
	}
	return 0;
}

/*
 * Look key @k up as its table's kind says: whether it is present and, if
 * the model has it too, that its value is the model's.
 */
static bool lookup_key(struct fz *f, unsigned int k)
{
	u8 key[CMAP_KEY_LEN_MAX], val[CMAP_VALUE_LEN_MAX];
	struct mkey *m = &f->m[k];
	struct cmap_elem *e;
	bool found;
	u64 w;

	key_of(k, key);
	val_of(m->vseed, m->vlen, val);
	rcu_read_lock();
	e = cmap_lookup(f->t, key, klen_of(k));
	if (f->kv) {
		check(!e, "key %u: an element in an inline table", k);
		found = cmap_kv_lookup(f->t, key, klen_of(k), &w);
		check(!found || !m->present ||
		      (m->vlen == CMAP_KV_LEN && !memcmp(&w, val, CMAP_KV_LEN)),
		      "key %u: wrong value", k);
	} else {
		found = e;
		check(!e || !m->present ||
		      (e->vlen == m->vlen &&
		       !memcmp(cmap_elem_value(e), val, m->vlen)),
		      "key %u: wrong value", k);
	}
	rcu_read_unlock();
	return found;
}

/* One key and the counters against the model: after every operation. */
static void compare_key(struct fz *f, unsigned int k)
{
	struct mkey *m = &f->m[k];
	bool found = lookup_key(f, k);

	check(found == m->present, "key %u: %s", k,
	      found ? "found, absent in the model" : "missing");
	check(cmap_nr_entries(f->t) == f->n, "%llu entries, model %llu",
	      cmap_nr_entries(f->t), f->n);
	check(cmap_nr_bytes(f->t) == f->bytes, "bytes %llu, model %llu",
	      cmap_nr_bytes(f->t), f->bytes);
}

/* The whole table against the model: every key, a full iteration. */
static void compare(struct fz *f)
{
	struct iter_state s = { .f = f };
	struct cmap_table_stats st;
	unsigned int k, n = 0;
	u64 cursor = 0;
	int ret;

	for (k = 0; k < NKEYS; k++) {
		bool found = lookup_key(f, k);

		check(found == f->m[k].present, "key %u: %s", k,
		      found ? "found, absent in the model" : "missing");
	}
	ret = cmap_iter(f->t, &cursor, iter_cb, &s);
	check(ret >= 0 && cursor == CMAP_ITER_END, "iteration: %d", ret);
	for (k = 0; k < NKEYS; k++) {
		check(s.seen[k] == f->m[k].present,
		      "iteration: key %u seen %u times", k, s.seen[k]);
		n += s.seen[k];
	}
	check((u64)ret == f->n && n == f->n, "iteration: %d of %llu", ret, f->n);
	cmap_stats(f->t, &st);
	check(st.entries == f->n, "stats: %llu entries, model %llu", st.entries,
	      f->n);
	check(cmap_nr_bytes(f->t) == f->bytes, "bytes %llu, model %llu",
	      cmap_nr_bytes(f->t), f->bytes);
	check(!st.resizing || f->in_hook, "resizing outside a migration");
}

/* A partial iteration, resumed until the end: each present key once. */
static int op_iter(struct fz *f, unsigned int refuse_after)
{
	struct iter_state s = { .f = f, .refuse_after = refuse_after };
	unsigned int k, rounds = 0;
	u64 cursor = 0;
	int ret;

	do {
		ret = cmap_iter(f->t, &cursor, iter_cb, &s);
		if (ret == -ENOMEM)
			return ret;
		check(ret >= 0 || ret == -E2BIG, "iteration: %d", ret);
		check(rounds++ < 10000, "iteration does not progress");
	} while (cursor < CMAP_ITER_END);
	for (k = 0; k < NKEYS; k++)
		check(s.seen[k] == f->m[k].present,
		      "resumed iteration: key %u seen %u times", k, s.seen[k]);
	return 0;
}

/* After a clear that failed part way: it cleared a prefix of hash space. */
static void clear_prefix(struct fz *f)
{
	u32 max_gone = 0, min_kept = ~0u;
	u8 key[CMAP_KEY_LEN_MAX];
	bool gone_any = false;
	unsigned int k;

	for (k = 0; k < NKEYS; k++) {
		u32 h;

		if (!f->m[k].present)
			continue;
		key_of(k, key);
		h = cmap_hash(f->t, key, klen_of(k));
		if (lookup_key(f, k)) {
			min_kept = min(min_kept, h);
		} else {
			gone_any = true;
			max_gone = max(max_gone, h);
			model_del(f, k);
		}
	}
	check(!gone_any || max_gone < min_kept,
	      "a failed clear removed more than a prefix of hash space");
}

static void run_ops(struct fz *f, unsigned int max);

static void mid_hook(void *arg, struct work_struct *work)
{
	struct fz *f = arg;

	if (work != &f->t->resize_work || f->in_hook || ++f->hook_calls != f->hook_at)
		return;
	f->in_hook = true;
	compare(f);
	run_ops(f, f->hook_ops);
	compare(f);
	f->in_hook = false;
}

static void do_op(struct fz *f)
{
	u8 op = next(f), a = next(f), b = next(f);
	unsigned int k = a;
	u8 key[CMAP_KEY_LEN_MAX], val[CMAP_VALUE_LEN_MAX];
	unsigned long hits = 0;
	int err = 0, want = 0;
	bool failed;

	key_of(k, key);
	if (op % 10 == 9) {			/* arm a fault for the next op */
		if (!f->in_hook)
			f->fault_next = 1 + b % 12;
		return;
	}
	if (f->fault_next && !f->in_hook)
		shim_fault_inject(f->fault_next, 0);
	switch (op % 10) {
	case 0: case 1: case 2: case 3: {	/* put */
		enum cmap_put_mode mode = op / 10 % 3;
		u32 vlen = (b & 7) == 7 ? (b >> 3) * 19 : vlens[b & 7];
		struct cmap_elem *e;

		/* Inline: 8 bytes, but for one in eight of another length. */
		if (f->kv)
			vlen = (b & 7) == 7 ? vlens[(b >> 3) & 7] : CMAP_KV_LEN;
		val_of(b, vlen, val);
		if (op / 30 % 2) {		/* as an element of ours */
			e = cmap_elem_alloc(klen_of(k), vlen, GFP_KERNEL);
			if (IS_ERR_OR_NULL(e)) {
				err = e ? PTR_ERR(e) : -ENOMEM;
			} else {
				memcpy(cmap_elem_kdata(e), key, klen_of(k));
				memcpy(cmap_elem_kdata(e) + klen_of(k), val,
				       vlen);
				err = cmap_put_elem(f->t, e, mode);
			}
		} else {
			err = cmap_put(f->t, key, klen_of(k), val, vlen, mode);
		}
		hits = shim_fault_hits();
		want = model_put(f, k, vlen, b, mode, !hits || !err);
		break;
	}
	case 4:	case 5:				/* delete */
		err = cmap_delete(f->t, key, klen_of(k));
		hits = shim_fault_hits();
		want = f->kv && klen_of(k) != CMAP_KV_LEN ? -EINVAL :
		       f->m[k].present ? 0 : -ENOENT;
		if (!want && !(hits && err))
			model_del(f, k);
		break;
	case 6:					/* clear */
		if (b % 4)
			break;
		err = cmap_clear(f->t);
		hits = shim_fault_hits();
		if (hits && err == -ENOMEM) {
			clear_prefix(f);
			break;
		}
		for (k = 0; k < NKEYS; k++)
			if (f->m[k].present)
				model_del(f, k);
		break;
	case 7:					/* iterate */
		err = op_iter(f, b % 8);
		hits = shim_fault_hits();
		break;
	default:				/* resize */
		if (f->in_hook)
			break;
		if (b & 1) {			/* with ops in the middle */
			f->hook_at = 1 + a % 32;
			f->hook_calls = 0;
			f->hook_ops = 1 + b % 8;
			shim_set_resched_hook(mid_hook, f);
			shim_fault_inject(0, 0);	/* theirs, not ours */
		}
		/* An armed fault fails the resize's array: no resize. */
		while (shim_wq_run_pending())
			;
		shim_set_resched_hook(NULL, NULL);
		break;
	}
	failed = hits != 0;
	shim_fault_inject(0, 0);
	if (!f->in_hook)
		f->fault_next = 0;
	if (failed && err == -ENOMEM)
		want = -ENOMEM;
	check(err == want, "op %u on key %u: %d, model %d%s", op % 10, a, err,
	      want, failed ? " (an allocation failed)" : "");
	compare_key(f, a);
	/* Everything, every few operations and after the rare ones. */
	if (++f->nops % 8 == 0 || op % 10 >= 6 || failed)
		compare(f);
}

static void run_ops(struct fz *f, unsigned int max)
{
	while (f->p < f->end && max--)
		do_op(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	shim_thread_start("fuzz");
	if (cmap_core_init())
		abort();
	shim_wq_pause();		/* resizes run when the input says */
	shim_set_quiet(true);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u64 entry_limits[4] = { 1ULL << 32, 5, 30, 200 };
	static const u64 byte_limits[4] = { 1ULL << 40, 300, 4000, 40000 };
	struct cmap_params p = { .id = 1 };
	long live, mem;
	struct fz *f;
	u64 seed;
	u8 kind;

	if (size < 4)
		return 0;
	f = calloc(1, sizeof(*f));
	f->p = data;
	f->end = data + size;
	kind = next(f);
	f->sync = kind % CMAP_SYNC_COUNT;
	f->kv = fz_kv = kind / CMAP_SYNC_COUNT % 2;
	p.sync = f->sync;
	p.flags = f->kv ? CMAP_F_INLINE : 0;
	p.size_hint = (u32)next(f) * 4;
	f->max_entries = p.max_entries = entry_limits[next(f) % 4];
	f->max_bytes = p.max_bytes = byte_limits[next(f) % 4];
	seed = 1 + data[0] + ((u64)size << 8);

	rcu_barrier();
	while (shim_wq_run_pending())
		;
	live = shim_alloc_live();
	mem = cmap_mem_usage();
	shim_random_seed(seed);		/* the table's hash key */
	f->t = cmap_create(&p);
	check(!IS_ERR(f->t), "create: %ld (fault hits %lu, memory %ld)",
	      PTR_ERR(f->t), shim_fault_hits(), cmap_mem_usage());
	run_ops(f, ~0u);
	compare(f);
	cmap_destroy(f->t);
	rcu_barrier();
	while (shim_wq_run_pending())
		;
	check(shim_alloc_live() == live, "%ld objects leaked",
	      shim_alloc_live() - live);
	check(cmap_mem_usage() == mem, "memory accounting off by %ld",
	      cmap_mem_usage() - mem);
	check(!cmap_live_elements(), "%lld elements alive",
	      cmap_live_elements());
	check(!shim_warnings(), "a WARN() fired");
	free(f);
	return 0;
}
