// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_ioctl: a random ioctl fuzzer for /dev/cmap.
 *
 * Several processes, each with several threads, issue random requests for
 * a bounded time:
 *  - commands: the 12 real ones with plausible-but-mutated structs, near
 *    misses (the right number with another size or direction, another
 *    type) and random numbers;
 *  - struct contents: sizes around and far from sizeof, random flag bits,
 *    reserved bytes, edge lengths and counts (0, 1, max, max + 1, ~0),
 *    cursors, modes, CREATE flags (a quarter of the tables inline), names
 *    (valid ones from a small pool, and garbage);
 *  - pointers, for the struct and for the buffers inside it: valid, NULL,
 *    unmapped, kernel direct map and text, non-canonical, read-only
 *    mappings (for what the kernel writes), misaligned, straddling into an
 *    unmapped page, random;
 *  - files: several per thread, rebound, closed and reopened under the
 *    other threads (dup2() over a file in use), signals to interrupt long
 *    requests, and optionally fail_nth armed at random (--faults).
 * BENCH requests that would pass validation are clamped to short runs.
 *
 * Protected tables, made before the fuzzing starts: "fzp-known" (500
 * entries, never touched afterwards) and one model table per thread, on
 * which only that thread does valid PUT/DELETE and keeps a model.  The
 * fuzzing never OPENs or DESTROYs them (names and ids are filtered).  At
 * the end every model table must equal its model and the known table its
 * contents, exactly (full ITER dumps); the guest script then destroys
 * everything, unloads the module and checks the kernel log.
 *
 *   fuzz_ioctl [--seconds S] [--procs P] [--threads T] [--seed N]
 *              [--faults] [-v]
 * Output: TAP lines (unnumbered, see tests/lib/tap.h) and a summary.
 */
#include "hard.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define MODEL_KEYS	256
#define MAX_THREADS	16
#define MAX_PROCS	16
#define NFD		4
#define NAME_POOL	48

static double seconds = 60;
static int nprocs = 3, nthreads = 3, faults, verbose;
static uint64_t seed0;
static __u32 known_id;
static __u32 model_ids[MAX_PROCS][MAX_THREADS];
static int model_fds[MAX_PROCS][MAX_THREADS];
static volatile int stop;

/* Statistics: per command slot, per errno. */
#define NSLOT 14	/* 0: random cmd, 1..12: real, 13: near miss */
struct stats {
	unsigned long calls[NSLOT];
	unsigned long err[NSLOT][136];
	unsigned long model_ops, model_enomem, model_enospc, closes, signals, faults_armed;
};

/* ------------------------------------------------------------ memory */
struct mem {
	char *rw;	/* 8 R/W pages */
	char *guard_end;/* end of the R/W area; a PROT_NONE page follows */
	char *ro;	/* a read-only page (random content) */
	void *unmapped;
	uint64_t *keys;	/* a small key pool, so that keys meet again */
};

static void mem_init(struct mem *m, uint64_t *s)
{
	size_t i;

	m->rw = guarded(8);
	m->guard_end = m->rw + 8 * PG;
	for (i = 0; i < 8 * PG; i += 8)
		*(uint64_t *)(m->rw + i) = rnd_next(s);
	m->ro = readonly_copy(m->rw, PG);
	m->unmapped = unmapped_addr();
	m->keys = (void *)guarded(1);
	for (i = 0; i < 64; i++)
		m->keys[i] = i;
}

/* This request is to be valid (no mutation): half of them. */
static __thread bool tl_valid;

static __u64 pick_len(uint64_t *s, __u64 max)
{
	if (tl_valid)
		return max ? rnd_next(s) % (max + 1) : 0;
	switch (rnd_next(s) % 10) {
	case 0: return 0;
	case 1: return 1;
	case 2: return max;
	case 3: return max + 1;
	case 4: return 0xffffffffULL;
	case 5: return rnd_next(s);
	default: return max ? rnd_next(s) % (max + 1) : 0;
	}
}

/* A user pointer for a buffer of @len bytes the kernel reads or writes. */
static __u64 pick_ptr(struct mem *m, uint64_t *s, size_t len)
{
	size_t l = len > 8 * PG ? 8 * PG : len;

	switch (tl_valid ? 15 : rnd_next(s) % 16) {
	case 0: return 0;
	case 1: return uptr(m->unmapped);
	case 2: return KERNEL_DIRECT_MAP + (rnd_next(s) % (1 << 20)) * 8;
	case 3: return kernel_text_addr() + rnd_next(s) % 4096;
	case 4: return NONCANONICAL_ADDR + rnd_next(s) % 4096;
	case 5: return uptr(m->ro + rnd_next(s) % 64);
	case 6: return uptr(m->guard_end - (l ? rnd_next(s) % l : 0));
	case 7: return rnd_next(s);
	case 8: return ~0ULL - rnd_next(s) % 4096;
	default:
		/* valid, maybe misaligned */
		return uptr(m->rw + rnd_next(s) % (8 * PG - l + 1));
	}
}

/* A key: usually one of the 64 pool keys (8 bytes). */
static void pick_key(struct mem *m, uint64_t *s, __u64 *key, __u32 *klen)
{
	if (rnd_next(s) % 4) {
		*key = uptr(&m->keys[rnd_next(s) % 64]);
		*klen = 8;
		return;
	}
	*klen = rnd_next(s) % 4 || tl_valid ? 1 + rnd_next(s) % 16 :
		pick_len(s, CMAP_KEY_MAX);
	*key = pick_ptr(m, s, *klen);
}

/* ----------------------------------------------------------- tables */
static void pool_name(char *name, uint64_t *s)
{
	memset(name, 0, CMAP_NAME_LEN);
	switch (rnd_next(s) % 8) {
	case 0: {	/* garbage, any bytes */
		int i, n = rnd_next(s) % (CMAP_NAME_LEN + 1);

		for (i = 0; i < n && i < CMAP_NAME_LEN; i++)
			name[i] = (char)rnd_next(s);
		break;
	}
	case 1:	/* printable, any length */
	{
		int i, n = 1 + rnd_next(s) % (CMAP_NAME_LEN - 1);

		for (i = 0; i < n; i++)
			name[i] = 0x21 + rnd_next(s) % 94;
		break;
	}
	case 2:	/* empty: by id */
		break;
	default:
		snprintf(name, CMAP_NAME_LEN, "fz%02u", (unsigned)(rnd_next(s) % NAME_POOL));
	}
}

static bool protected_id(__u32 id)
{
	int p, t;

	if (id == known_id)
		return true;
	for (p = 0; p < nprocs; p++)
		for (t = 0; t < nthreads; t++)
			if (model_ids[p][t] == id)
				return true;
	return false;
}

static bool protected_name(const char *name)
{
	return !strncmp(name, "fzp-", 4);
}

/* ------------------------------------------------------- request build */
static const unsigned long real_cmds[13] = {
	0, CMAP_IOC_CREATE, CMAP_IOC_OPEN, CMAP_IOC_DESTROY, CMAP_IOC_LIST,
	CMAP_IOC_PUT, CMAP_IOC_GET, CMAP_IOC_DELETE, CMAP_IOC_CLEAR,
	CMAP_IOC_BATCH, CMAP_IOC_ITER, CMAP_IOC_STATS, CMAP_IOC_BENCH,
};

static bool vfs_cmd(unsigned long cmd)
{
	/* handled by the VFS, or dangerous on other files: not ours */
	return _IOC_TYPE(cmd) == 'X' || _IOC_TYPE(cmd) == 0x94 ||
	       cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIONBIO ||
	       cmd == FIOASYNC || cmd == FIOQSIZE || cmd == 0x2 /* FIGETBSZ */ ||
	       cmd == 0x1 /* FIBMAP */ || cmd == 0x5452;
}

/* Fill a request of command slot @slot at @p (room: @room bytes). */
static size_t build(int slot, unsigned char *p, size_t room, struct mem *m,
		    uint64_t *s)
{
	size_t sz = _IOC_SIZE(real_cmds[slot]);
	size_t i;

	memset(p, 0, room);
	switch (slot) {
	case 1: {	/* CREATE */
		struct cmap_create *c = (void *)p;

		pool_name(c->name, s);
		/* a quarter of the tables are inline (8-byte keys, values) */
		c->flags = rnd_next(s) % 4 ? 0 : CMAP_CREATE_INLINE;
		c->config.mode = rnd_next(s) % 8 ? rnd_next(s) % CMAP_MODE_COUNT :
			(__u32)rnd_next(s);
		c->config.size_hint = rnd_next(s) % 4 ? rnd_next(s) % 5000 :
			(__u32)pick_len(s, 1 << 20);
		c->config.max_entries = rnd_next(s) % 3 ? rnd_next(s) % 20000 :
			pick_len(s, 1000);
		c->config.max_bytes = rnd_next(s) % 3 ? 0 : pick_len(s, 1 << 20);
		break;
	}
	case 2: case 3: {	/* OPEN, DESTROY */
		struct cmap_open *o = (void *)p;

		pool_name(o->name, s);
		o->id = rnd_next(s) % 4 ? rnd_next(s) % 400 : (__u32)rnd_next(s);
		break;
	}
	case 4: {	/* LIST */
		struct cmap_list *l = (void *)p;

		l->count = pick_len(s, 300);
		l->tables = pick_ptr(m, s, (size_t)l->count * sizeof(struct cmap_table_info));
		break;
	}
	case 5: case 6: case 7: {	/* PUT, GET, DELETE */
		struct cmap_kv *kv = (void *)p;

		kv->flags = rnd_next(s) % 3 ? rnd_next(s) % 3 : (__u32)rnd_next(s);
		if (slot != 5 && rnd_next(s) % 4)
			kv->flags = 0;
		pick_key(m, s, &kv->key, &kv->key_len);
		kv->value_len = slot == 7 && rnd_next(s) % 4 ? 0 :
			rnd_next(s) % 3 ? pick_len(s, CMAP_VALUE_MAX) :
			CMAP_INLINE_LEN;
		kv->value = slot == 7 && rnd_next(s) % 4 ? 0 :
			pick_ptr(m, s, kv->value_len);
		break;
	}
	case 9: {	/* BATCH */
		struct cmap_batch *b = (void *)p;
		struct cmap_batch_op *ops = (void *)(m->rw + 4 * PG);
		unsigned int n = 1 + rnd_next(s) % 64;

		for (i = 0; i < n; i++) {
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].op = rnd_next(s) % 8 ? 1 + rnd_next(s) % 3 :
				(__u32)rnd_next(s) % 8;
			ops[i].flags = rnd_next(s) % 4 ? 0 : rnd_next(s) % 4;
			pick_key(m, s, &ops[i].key, &ops[i].key_len);
			if (ops[i].op == CMAP_OP_DELETE && rnd_next(s) % 4)
				continue;
			ops[i].value_len = rnd_next(s) % 3 == 0 ? CMAP_INLINE_LEN :
				rnd_next(s) % 4 ? rnd_next(s) % 600 :
				pick_len(s, CMAP_VALUE_MAX);
			ops[i].value = rnd_next(s) % 4 ? uptr(m->rw + PG + rnd_next(s) % PG) :
				pick_ptr(m, s, ops[i].value_len);
			ops[i].reserved = rnd_next(s) % 64 ? 0 : 1;
		}
		b->count = rnd_next(s) % 8 ? n : (__u32)pick_len(s, CMAP_BATCH_MAX);
		b->ops = rnd_next(s) % 6 ? uptr(ops) : pick_ptr(m, s, n * sizeof(*ops));
		break;
	}
	case 10: {	/* ITER */
		struct cmap_iter *it = (void *)p;

		it->buf_len = rnd_next(s) % 4 ? 64 + rnd_next(s) % (4 * PG) :
			(__u32)pick_len(s, CMAP_ITER_BUF_MAX);
		it->buf = rnd_next(s) % 3 ? uptr(m->rw + rnd_next(s) % PG) :
			pick_ptr(m, s, it->buf_len);
		switch (rnd_next(s) % 6) {
		case 0: it->cursor = CMAP_ITER_DONE; break;
		case 1: it->cursor = CMAP_ITER_DONE + 1 + rnd_next(s) % 3; break;
		case 2: it->cursor = rnd_next(s); break;
		case 3: it->cursor = (__u32)rnd_next(s); break;
		default: it->cursor = 0;
		}
		break;
	}
	case 11: {	/* STATS */
		struct cmap_stats *st = (void *)p;

		st->id = rnd_next(s) % 2 ? 0 : rnd_next(s) % 400;
		break;
	}
	case 12: {	/* BENCH: clamped when valid-looking */
		struct cmap_bench *b = (void *)p;

		b->modes = rnd_next(s) % 4 ? 1U << (rnd_next(s) % CMAP_MODE_COUNT) :
			(__u32)rnd_next(s);
		b->threads = rnd_next(s) % 4 ? 1 + rnd_next(s) % 2 : (__u32)pick_len(s, 64);
		b->duration_ms = rnd_next(s) % 4 ? 1 + rnd_next(s) % 20 :
			(__u32)pick_len(s, 600000);
		b->read_pct = rnd_next(s) % 4 ? rnd_next(s) % 101 : (__u32)rnd_next(s);
		b->keys = rnd_next(s) % 4 ? 1 + rnd_next(s) % 1000 :
			(__u32)pick_len(s, 1 << 24);
		b->dist = rnd_next(s) % 4 ? rnd_next(s) % 2 : (__u32)rnd_next(s);
		b->value_size = rnd_next(s) % 4 ? rnd_next(s) % 64 :
			(__u32)pick_len(s, CMAP_VALUE_MAX);
		b->nresults = rnd_next(s) % 8;
		b->results = pick_ptr(m, s, b->nresults * sizeof(struct cmap_bench_result));
		b->flags = rnd_next(s) % 4 ? rnd_next(s) % 4 : (__u32)rnd_next(s);
		/* never a long or big run: bounded in time and memory */
		if (b->duration_ms > 20 || b->threads > 2 || b->keys > 1000) {
			if (rnd_next(s) % 2) {
				b->duration_ms = 1 + b->duration_ms % 20;
				b->threads = 1 + b->threads % 2;
				b->keys = 1 + b->keys % 1000;
			} else {
				b->duration_ms = 0;	/* invalid */
			}
		}
		if (b->flags & CMAP_BENCH_GROWTH)
			b->keys = 1 + b->keys % 1000;
		break;
	}
	default:
		break;
	}
	if (tl_valid && slot >= 5 && slot <= 7) {
		struct cmap_kv *kv = (void *)p;

		kv->flags = slot == 5 ? kv->flags % 3 : 0;
		if (slot == 7) {
			kv->value = 0;
			kv->value_len = 0;
		}
	}
	if (tl_valid && slot == 9) {
		struct cmap_batch *b = (void *)p;
		struct cmap_batch_op *ops = (void *)(m->rw + 4 * PG);

		b->count = 1 + b->count % 64;
		b->ops = uptr(ops);
		for (i = 0; i < b->count; i++) {
			ops[i].op = 1 + ops[i].op % 3;
			ops[i].reserved = 0;
			ops[i].flags = ops[i].op == CMAP_OP_PUT ? ops[i].flags % 3 : 0;
			if (ops[i].op == CMAP_OP_DELETE) {
				ops[i].value = 0;
				ops[i].value_len = 0;
			}
		}
	}
	if (tl_valid && slot == 10) {
		struct cmap_iter *it = (void *)p;

		it->buf_len = 64 + it->buf_len % (4 * PG);
		it->buf = uptr(m->rw + rnd_next(s) % PG);
		it->cursor = it->cursor > CMAP_ITER_DONE ? 0 : it->cursor;
	}
	if (tl_valid && slot == 1) {
		struct cmap_create *c = (void *)p;

		snprintf(c->name, CMAP_NAME_LEN, "fz%02u", (unsigned)(rnd_next(s) % NAME_POOL));
		c->config.mode %= CMAP_MODE_COUNT;
		c->flags &= CMAP_CREATE_INLINE;
	}
	if (tl_valid && slot >= 1 && slot <= 12 && slot != 8)
		*(__u32 *)p = sz;
	if (slot >= 1 && slot <= 12 && slot != 8 && !tl_valid) {
		/* size and flags: usually right */
		__u32 *size = (void *)p, *flags = (void *)(p + 4);

		switch (rnd_next(s) % 12) {
		case 0: *size = rnd_next(s) % 16; break;
		case 1: *size = sz + 1 + rnd_next(s) % 64; break;
		case 2: *size = sz - 1 - rnd_next(s) % (sz - 8); break;
		case 3: *size = (__u32)rnd_next(s); break;
		case 4: *size = PG + rnd_next(s) % 16; break;
		default: *size = sz;
		}
		if (rnd_next(s) % 8 == 0)
			*flags = 1U << (rnd_next(s) % 32);
		else if (slot != 1 && slot != 5 && slot != 12)
			*flags = 0;
		/* a byte of a reserved tail or padding, now and then */
		if (rnd_next(s) % 16 == 0)
			p[sz - 1 - rnd_next(s) % 16] ^= 1 + rnd_next(s) % 255;
		/* bytes beyond sizeof: zero, or garbage (-E2BIG) */
		if (*size > sz && *size <= room && rnd_next(s) % 2)
			p[sz + rnd_next(s) % (*size - sz)] = 0x5a;
	}
	return sz;
}

/*
 * Mask protected tables out of OPEN/DESTROY requests, as the kernel will
 * read them (@size bytes; a larger size is either refused or has a zero
 * tail): a @size below sizeof(struct cmap_open) zero-fills the rest,
 * so a request whose name is cut off entirely selects by an id whose
 * high bytes may be cut off too (an id of 0x10005 with size 74 is 5).
 */
static void sanitize(int slot, unsigned char *p)
{
	struct cmap_open *o = (void *)p, seen = { 0 };

	if (slot != 2 && slot != 3)
		return;
	memcpy(&seen, o, o->size < sizeof(seen) ? o->size : sizeof(seen));
	if (protected_name(seen.name))
		memcpy(o->name, "fz00", 5);
	if (!seen.name[0] && protected_id(seen.id)) {
		memcpy(o->name, "fz00", 5);
		o->id = 0x7ffffffe;
	}
}

/* ------------------------------------------------------------ threads */
struct model {
	bool present[MODEL_KEYS];
	uint32_t gen[MODEL_KEYS];
};

struct thr {
	int proc, idx;
	uint64_t seed;
	pid_t tid;
	int *fds;	/* the process's fuzz files, shared by its threads */
	struct mem m;
	struct model model;
	int model_fd;
	struct stats st;
	char errors[256];
};

static struct thr thrs[MAX_THREADS];

static size_t model_val(uint64_t k, uint32_t gen, char *v)
{
	return snprintf(v, 64, "model-%" PRIu64 "-%u", k, gen);
}

static void model_step(struct thr *t)
{
	uint64_t k = rnd_next(&t->seed) % MODEL_KEYS;
	char v[64];
	int rc;

	t->st.model_ops++;
	if (rnd_next(&t->seed) % 3) {
		uint32_t g = t->model.gen[k] + 1;
		size_t len = model_val(k, g, v);

		rc = cmapc_put(t->model_fd, &k, 8, v, len, 0);
		if (!rc) {
			t->model.present[k] = true;
			t->model.gen[k] = g;
		}
	} else {
		rc = cmapc_delete(t->model_fd, &k, 8);
		if (!rc || rc == -ENOENT) {
			if (!rc != t->model.present[k] && !t->errors[0])
				snprintf(t->errors, sizeof(t->errors),
					 "model key %" PRIu64 ": DELETE %s, model says %s",
					 k, ename(rc), t->model.present[k] ? "present" : "absent");
			t->model.present[k] = false;
			rc = 0;
		}
	}
	/*
	 * -ENOSPC: the module-wide max_memory (256 MiB here) is shared with
	 * the pool tables and BENCH, which the other threads fill at will
	 * (and a doomed huge reservation holds the cap for a moment before
	 * cmap_mem_charge() undoes it).  Like -ENOMEM it must change
	 * nothing: the model check sees to it.
	 */
	if (rc == -ENOMEM)
		t->st.model_enomem++;
	else if (rc == -ENOSPC)
		t->st.model_enospc++;
	else if (rc && rc != -EINTR && !t->errors[0])
		snprintf(t->errors, sizeof(t->errors), "model op: %s", ename(rc));
}

/* Bind @fd to a pool table, creating it if need be (any mode). */
static void bind_pool(int fd, uint64_t *s)
{
	char name[CMAP_NAME_LEN];

	snprintf(name, sizeof(name), "fz%02u", (unsigned)(rnd_next(s) % NAME_POOL));
	if (cmapc_open(fd, name, NULL) == -ENOENT)
		t_create(fd, name, rnd_next(s) % CMAP_MODE_COUNT, 0, 0, 0, NULL);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *fuzz_thread(void *arg)
{
	struct thr *t = arg;
	static __thread unsigned char req[3 * PG];
	double end = now_s() + seconds;
	unsigned long n = 0;

	t->tid = syscall(SYS_gettid);
	while (!stop && now_s() < end) {
		int slot, fdi = rnd_next(&t->seed) % NFD, fd, rc;
		unsigned long cmd;
		void *argp;
		uint64_t r = rnd_next(&t->seed) % 100;

		n++;
		if (r < 8) {
			model_step(t);
			continue;
		}
		if (r < 10) {	/* churn a file under the others */
			int nfd = rnd_next(&t->seed) % 16 ? dev_open() :
				open("/dev/null", O_RDWR | O_CLOEXEC);

			if (rnd_next(&t->seed) % 8)
				bind_pool(nfd, &t->seed);

			dup2(nfd, t->fds[fdi]);
			close(nfd);
			t->st.closes++;
			continue;
		}
		if (r < 11) {	/* a signal to a random sibling */
			struct thr *o = &thrs[rnd_next(&t->seed) % nthreads];

			if (o->tid)
				syscall(SYS_tgkill, getpid(), o->tid, SIGUSR1);
			t->st.signals++;
			continue;
		}
		if (r < 12 && faults) {
			fail_nth_set(1 + rnd_next(&t->seed) % 200);
			t->st.faults_armed++;
			continue;
		}
		/* the command */
		if (r < 80) {
			/* weighted: more data commands, few CLEARs */
			static const unsigned char w[] = {
				1, 2, 3, 4, 5, 5, 5, 5, 6, 6, 6, 7, 7, 9, 9, 9,
				10, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11,
				12, 5, 6, 9, 8,
			};

			slot = w[rnd_next(&t->seed) % sizeof(w)];
			cmd = real_cmds[slot];
		} else if (r < 90) {	/* near miss: our number, other size/dir
					 * (a right direction is the command) */
			slot = 13;
			cmd = _IOC(rnd_next(&t->seed) % 4, CMAP_IOC_MAGIC,
				   rnd_next(&t->seed) % 16,
				   rnd_next(&t->seed) % 2 ? rnd_next(&t->seed) % 512 :
				   _IOC_SIZE(real_cmds[1 + rnd_next(&t->seed) % 12]));
		} else {
			slot = 0;
			cmd = rnd_next(&t->seed) % 2 ? (uint32_t)rnd_next(&t->seed) :
				_IOC(rnd_next(&t->seed) % 4, rnd_next(&t->seed) % 256,
				     rnd_next(&t->seed) % 256, rnd_next(&t->seed) % 1024);
			if (vfs_cmd(cmd))
				continue;
		}
		/* the argument */
		if (slot >= 1 && slot <= 12) {
			size_t room = sizeof(req) - 64;
			unsigned int off = rnd_next(&t->seed) % 8 == 0 ?
				1 + rnd_next(&t->seed) % 7 : 0;

			tl_valid = rnd_next(&t->seed) % 2;
			build(slot, req + off, room, &t->m, &t->seed);
			sanitize(slot, req + off);
			argp = req + off;
			switch (tl_valid ? 15 : rnd_next(&t->seed) % 16) {
			case 0: argp = NULL; break;
			case 1: argp = t->m.unmapped; break;
			case 2: argp = (void *)(uintptr_t)KERNEL_DIRECT_MAP; break;
			case 3: argp = (void *)(uintptr_t)kernel_text_addr(); break;
			case 4: {	/* straddling into the guard page */
				size_t k = 1 + rnd_next(&t->seed) % 64;

				argp = t->m.guard_end - k;
				memcpy(argp, req + off, k);
				break;
			}
			case 5: {	/* read-only copy */
				void *ro = readonly_copy(req + off, 512);

				fd = t->fds[fdi];
				rc = cmapc_ioctl(fd, cmd, slot == 8 ? NULL : ro);
				readonly_free(ro, 512);
				goto account;
			}
			default: break;
			}
			if (slot == 8)	/* CLEAR: the arg must be 0 */
				argp = rnd_next(&t->seed) % 8 ? NULL : argp;
		} else {
			argp = rnd_next(&t->seed) % 2 ? (void *)req :
				(void *)(uintptr_t)pick_ptr(&t->m, &t->seed, 64);
			for (unsigned int i = 0; i < 256; i++)
				req[i] = rnd_next(&t->seed);
			/* a random number that is a real command (type,
			 * number and direction; the size bits do not count):
			 * keep the protected tables out of it too */
			if (_IOC_TYPE(cmd) == CMAP_IOC_MAGIC &&
			    _IOC_DIR(cmd) == _IOC_DIR(CMAP_IOC_OPEN) &&
			    (_IOC_NR(cmd) == _IOC_NR(CMAP_IOC_OPEN) ||
			     _IOC_NR(cmd) == _IOC_NR(CMAP_IOC_DESTROY))) {
				argp = req;
				sanitize(2, req);
			}
		}
		fd = t->fds[fdi];
		rc = cmapc_ioctl(fd, cmd, argp);
account:
		t->st.calls[slot]++;
		t->st.err[slot][rc < 0 && -rc < 135 ? -rc : rc < 0 ? 135 : 0]++;
	}
	return (void *)n;
}

/* Full dump of the model table against the model. */
static bool check_model(struct thr *t, char *why, size_t wl)
{
	static char buf[CMAP_ITER_BUF_MAX];
	struct cmap_iter it = { .size = sizeof(it) };
	bool seen[MODEL_KEYS] = { false };
	unsigned int n = 0, want = 0, k, enomem_retries = 0;

	for (k = 0; k < MODEL_KEYS; k++)
		want += t->model.present[k];
	while (it.cursor != CMAP_ITER_DONE) {
		const struct cmap_rec *r;
		size_t off = 0;
		int rc;

		rc = t_iter_next(t->model_fd, &it, buf, sizeof(buf));
		if (rc == -EINTR)
			continue;
		/*
		 * fail_nth is module-wide: another process may still be
		 * fuzzing with faults armed for a moment.  An -ENOMEM ITER
		 * changes nothing (and the cursor stays): disarm, retry.
		 */
		if (rc == -ENOMEM && enomem_retries++ < 100) {
			fail_nth_set(0);
			usleep(50000);
			continue;
		}
		if (rc) {
			snprintf(why, wl, "ITER %s", ename(rc));
			return false;
		}
		while ((r = rec_next(buf, it.bytes, &off))) {
			uint64_t key;
			char v[64];
			size_t len;

			memcpy(&key, r + 1, 8);
			if (r->key_len != 8 || key >= MODEL_KEYS ||
			    !t->model.present[key] || seen[key]) {
				snprintf(why, wl, "unexpected key (len %u)", r->key_len);
				return false;
			}
			len = model_val(key, t->model.gen[key], v);
			if (r->value_len != len ||
			    memcmp((const char *)(r + 1) + 8, v, len)) {
				snprintf(why, wl, "key %" PRIu64 ": wrong value", key);
				return false;
			}
			seen[key] = true;
			n++;
		}
	}
	if (n != want) {
		snprintf(why, wl, "%u keys, model %u", n, want);
		return false;
	}
	return true;
}

static const char *slot_name[NSLOT] = {
	"random", "CREATE", "OPEN", "DESTROY", "LIST", "PUT", "GET", "DELETE",
	"CLEAR", "BATCH", "ITER", "STATS", "BENCH", "near-miss",
};

static int run_proc(int p)
{
	pthread_t th[MAX_THREADS];
	static int pfds[NFD];
	struct stats tot;
	unsigned long calls = 0, iters = 0;
	int i, j, k, bad = 0;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	memset(&tot, 0, sizeof(tot));
	for (j = 0; j < NFD; j++) {
		uint64_t s = seed0 + p * 77 + j;

		pfds[j] = dev_open();
		if (j)
			bind_pool(pfds[j], &s);
	}
	for (i = 0; i < nthreads; i++) {
		struct thr *t = &thrs[i];

		memset(t, 0, sizeof(*t));
		t->proc = p;
		t->idx = i;
		t->seed = seed0 * 1000003 + p * 1000 + i + 1;
		t->fds = pfds;
		mem_init(&t->m, &t->seed);
		t->model_fd = model_fds[p][i];
	}
	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, fuzz_thread, &thrs[i]);
	for (i = 0; i < nthreads; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		iters += (unsigned long)ret;
	}
	fail_nth_set(0);
	for (i = 0; i < nthreads; i++) {
		struct thr *t = &thrs[i];
		char why[200];

		if (t->errors[0]) {
			printf("not ok - process %d thread %d: %s\n", p, i, t->errors);
			bad++;
		}
		if (!check_model(t, why, sizeof(why))) {
			printf("not ok - process %d thread %d: the model table differs: %s\n",
			       p, i, why);
			bad++;
		}
		for (j = 0; j < NSLOT; j++) {
			tot.calls[j] += t->st.calls[j];
			calls += t->st.calls[j];
			for (k = 0; k < 136; k++)
				tot.err[j][k] += t->st.err[j][k];
		}
		tot.model_ops += t->st.model_ops;
		tot.model_enomem += t->st.model_enomem;
		tot.model_enospc += t->st.model_enospc;
		tot.closes += t->st.closes;
		tot.signals += t->st.signals;
		tot.faults_armed += t->st.faults_armed;
	}
	printf("# process %d: %lu iterations, %lu ioctls, %lu model ops (%lu -ENOMEM, %lu -ENOSPC), %lu dup2 over files in use, %lu signals, %lu fail_nth armings\n",
	       p, iters, calls, tot.model_ops, tot.model_enomem,
	       tot.model_enospc, tot.closes,
	       tot.signals, tot.faults_armed);
	for (j = 0; j < NSLOT; j++) {
		char line[1024];
		int len = 0;

		if (!tot.calls[j])
			continue;
		len += snprintf(line + len, sizeof(line) - len, "#   %-9s %7lu:",
				slot_name[j], tot.calls[j]);
		for (k = 0; k < 136; k++) {
			const char *en;

			if (!tot.err[j][k])
				continue;
			en = k == 0 ? "ok" : k == 135 ? "other" : strerrorname_np(k);
			len += snprintf(line + len, sizeof(line) - len, " %s %lu",
					en ? en : "?", tot.err[j][k]);
			if (len > (int)sizeof(line) - 40)
				break;
		}
		if (verbose || p == 0)
			puts(line);
	}
	fflush(stdout);
	return bad ? 1 : 0;
}

/* The known table: 500 entries, never touched while fuzzing. */
static void known_fill(int fd)
{
	char k[64], v[4096];
	__u32 i;

	for (i = 0; i < 500; i++) {
		__u32 kl = key_of(i, k), vl = val_of(i, 7, v);

		if (cmapc_put(fd, k, kl, v, vl, CMAP_PUT_NOEXIST))
			bail("known table: PUT %u", i);
	}
}

static bool known_check(int fd, char *why, size_t wl)
{
	char k[64], v[4096], out[4096];
	struct cmap_stats st;
	struct snap s;
	__u32 i;

	for (i = 0; i < 500; i++) {
		__u32 kl = key_of(i, k), vl = val_of(i, 7, v), ol = sizeof(out);
		int rc = cmapc_get(fd, k, kl, out, &ol);

		if (rc || ol != vl || memcmp(out, v, vl)) {
			snprintf(why, wl, "key %u: %s", i, rc ? ename(rc) : "wrong value");
			return false;
		}
	}
	if (cmapc_stats(fd, 0, &st) || st.entries != 500 || st.id != known_id) {
		snprintf(why, wl, "STATS: %llu entries, id %u", (unsigned long long)st.entries, st.id);
		return false;
	}
	if (snap_take(fd, &s) || s.n != 500) {
		snprintf(why, wl, "ITER dump: %zu records", s.n);
		return false;
	}
	snap_free(&s);
	return true;
}

/* Destroys every table; reports how many there were. */
static int cleanup(void)
{
	struct cmap_table_info *tabs = calloc(65536, sizeof(*tabs));
	struct cmap_list l = { .size = sizeof(l), .tables = uptr(tabs),
			       .count = 65536 };
	unsigned long entries = 0;
	int fd = dev_open(), rc;
	__u32 i, destroyed = 0, total;

	rc = cmapc_ioctl(fd, CMAP_IOC_LIST, &l);
	for (i = 0; !rc && i < l.count; i++) {
		struct cmap_open o = { .size = sizeof(o), .id = tabs[i].id };

		entries += tabs[i].entries;
		if (!cmapc_ioctl(fd, CMAP_IOC_DESTROY, &o))
			destroyed++;
	}
	t_list_total(fd, &total);
	tap(!rc && destroyed == l.count && total == 0,
	    "cleanup: %u tables left by the fuzzing (%lu entries) destroyed by id; %u remain",
	    destroyed, entries, total);
	close(fd);
	free(tabs);
	return tap_exit("fuzz_ioctl --cleanup");
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_PROCS];
	int i, t, st, bad = 0, kfd;
	char why[200], nm[CMAP_NAME_LEN];
	double t0;

	seed0 = (uint64_t)time(NULL);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--procs") && i + 1 < argc)
			nprocs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			nthreads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed0 = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--faults"))
			faults = 1;
		else if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "--cleanup"))
			return cleanup();
		else {
			fprintf(stderr, "usage: fuzz_ioctl [--seconds S] [--procs P] [--threads T] [--seed N] [--faults] [-v]\n");
			return 2;
		}
	}
	if (nprocs < 1 || nprocs > MAX_PROCS || nthreads < 1 || nthreads > MAX_THREADS)
		bail("bad --procs/--threads");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	{
		struct rlimit rl = { 4096, 4096 };

		setrlimit(RLIMIT_NOFILE, &rl);
	}
	diag("fuzz_ioctl: %.0f s, %d processes x %d threads, seed %" PRIu64 "%s",
	     seconds, nprocs, nthreads, seed0, faults ? ", fail_nth armed at random" : "");
	kfd = dev_open();
	if (t_create(kfd, "fzp-known", CMAP_MODE_RCU, 0, 0, 0, &known_id))
		bail("CREATE fzp-known");
	known_fill(kfd);
	for (i = 0; i < nprocs; i++)
		for (t = 0; t < nthreads; t++) {
			model_fds[i][t] = dev_open();
			snprintf(nm, sizeof(nm), "fzp-model-%d-%d", i, t);
			if (t_create(model_fds[i][t], nm, (i + t) % CMAP_MODE_COUNT ==
				     CMAP_MODE_RACECHECK ? CMAP_MODE_RCU :
				     (i + t) % CMAP_MODE_COUNT, 0, 0, 0,
				     &model_ids[i][t]))
				bail("CREATE %s", nm);
		}
	t0 = now_s();
	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(run_proc(i));
	}
	for (i = 0; i < nprocs; i++) {
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			bad++;
			if (WIFSIGNALED(st))
				printf("not ok - fuzz process %d died of signal %d\n", i,
				       WTERMSIG(st));
		}
	}
	fail_nth_set(0);
	tap(!bad, "%d fuzz processes ran %.0f s and every model table equals its model",
	    nprocs, now_s() - t0);
	tap(known_check(kfd, why, sizeof(why)),
	    "the known table (500 entries, untouched) is exactly as written %s", why);
	for (i = 0; i < nprocs; i++)
		for (t = 0; t < nthreads; t++) {
			snprintf(nm, sizeof(nm), "fzp-model-%d-%d", i, t);
			cmapc_destroy(kfd, nm, NULL);
			close(model_fds[i][t]);
		}
	cmapc_destroy(kfd, "fzp-known", NULL);
	close(kfd);
	return tap_exit("fuzz_ioctl");
}
