/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/hardening: shared helpers of the hardening tests.
 *
 * TAP output without numbers ("ok - ..." / "not ok - ..." / "# ..."): the
 * guest scripts (tests/guest.d/NN-hardening-*) number the lines of all
 * their helpers together.  Everything talks to /dev/cmap only through
 * include/uapi/linux/cmap.h.
 *
 * Helpers: ioctl wrappers returning 0 or -errno, table snapshots (every
 * record of a full ITER dump, sorted, plus the counters) to prove that a
 * failed request changed nothing, bad pointers of every kind, module
 * parameters and fail_nth, and the kernel's hsiphash (to compute colliding
 * keys for a table created with the module parameter test_hash_key).
 */
#ifndef CMAP_HARD_H
#define CMAP_HARD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cmap.h>

/* Helpers a given test may not use. */
#define HARD_FN static __attribute__((unused))

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PG 4096UL

/* ------------------------------------------------------------------ TAP */
static int tap_count, tap_failed;

HARD_FN void __attribute__((format(printf, 2, 3)))
tap(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	tap_count++;
	if (!cond)
		tap_failed++;
}

HARD_FN void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

HARD_FN void __attribute__((noreturn, format(printf, 1, 2)))
bail(const char *fmt, ...)
{
	va_list ap;

	fputs("not ok - ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (cannot continue)\n");
	fflush(stdout);
	exit(1);
}

HARD_FN int tap_exit(const char *prog)
{
	diag("%s: %d checks, %d failed", prog, tap_count, tap_failed);
	return tap_failed ? 1 : 0;
}

/*
 * One part of a helper that runs a part per process: argv[1] names it;
 * @run, or @run_args with the arguments after the name (at least
 * @min_args of them), runs it.
 */
struct hard_part {
	const char *name;
	void (*run)(void);
	void (*run_args)(int argc, char **argv);
	int min_args;
};

/* Runs the part argv[1] names, then tap_exit(); if none: usage, 2. */
HARD_FN int run_part(int argc, char **argv, const char *prog,
		     const struct hard_part *parts, size_t n, const char *usage)
{
	const char *what = argc > 1 ? argv[1] : "";
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		if (strcmp(what, parts[i].name) || argc - 2 < parts[i].min_args)
			continue;
		if (parts[i].run)
			parts[i].run();
		else
			parts[i].run_args(argc - 2, argv + 2);
		return tap_exit(prog);
	}
	fprintf(stderr, "usage: %s %s\n", prog, usage);
	return 2;
}

HARD_FN const char *ename(int rc)
{
	static __thread char buf[4][40];
	static __thread int i;
	const char *n;
	char *b = buf[i++ & 3];

	if (rc >= 0) {
		snprintf(b, 40, "%d", rc);
		return b;
	}
	n = strerrorname_np(-rc);
	if (n)
		snprintf(b, 40, "-%s", n);
	else
		snprintf(b, 40, "-errno%d", -rc);
	return b;
}

HARD_FN double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

HARD_FN uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*: reproducible from a seed, good enough for tests. */
HARD_FN uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* --------------------------------------------------------------- ioctls */
static inline __u64 uptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

HARD_FN int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

HARD_FN int dev_open(void)
{
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bail("open(%s): %s", CMAP_DEVICE, strerror(errno));
	return fd;
}

HARD_FN void name_of(char *buf, const char *tag)
{
	static unsigned int n;

	snprintf(buf, CMAP_NAME_LEN, "%.12s%d_%u", tag, (int)getpid(), n++);
}

HARD_FN int t_create(int fd, const char *name, __u32 mode, __u32 hint,
		    __u64 max_entries, __u64 max_bytes, __u32 *id)
{
	struct cmap_create c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	memcpy(c.name, name, strnlen(name, sizeof(c.name) - 1));
	c.config.mode = mode;
	c.config.size_hint = hint;
	c.config.max_entries = max_entries;
	c.config.max_bytes = max_bytes;
	rc = xioctl(fd, CMAP_IOC_CREATE, &c);
	if (!rc && id)
		*id = c.id;
	return rc;
}

HARD_FN int t_open_cmd(int fd, unsigned long cmd, const char *name, __u32 id)
{
	struct cmap_open o;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	if (name)
		memcpy(o.name, name, strnlen(name, sizeof(o.name) - 1));
	o.id = id;
	return xioctl(fd, cmd, &o);
}

HARD_FN int t_open(int fd, const char *name)
{
	return t_open_cmd(fd, CMAP_IOC_OPEN, name, 0);
}

HARD_FN int t_destroy(int fd, const char *name)
{
	return t_open_cmd(fd, CMAP_IOC_DESTROY, name, 0);
}

/* DESTROYs every table whose name starts with @prefix (of @cap listed). */
HARD_FN void t_destroy_prefixed(int fd, const char *prefix, __u32 cap)
{
	struct cmap_table_info *tabs = calloc(cap, sizeof(*tabs));
	struct cmap_list l = { .size = sizeof(l), .tables = uptr(tabs),
			       .count = cap };
	size_t plen = strlen(prefix);
	__u32 j;

	xioctl(fd, CMAP_IOC_LIST, &l);
	for (j = 0; j < l.count; j++)
		if (!strncmp(tabs[j].name, prefix, plen))
			t_destroy(fd, tabs[j].name);
	free(tabs);
}

HARD_FN void t_kv(struct cmap_kv *kv, __u32 flags, const void *k, __u32 klen,
		 const void *v, __u32 vlen)
{
	memset(kv, 0, sizeof(*kv));
	kv->size = sizeof(*kv);
	kv->flags = flags;
	kv->key = uptr(k);
	kv->key_len = klen;
	kv->value = uptr(v);
	kv->value_len = vlen;
}

HARD_FN int t_put(int fd, const void *k, __u32 klen, const void *v, __u32 vlen,
		 __u32 flags)
{
	struct cmap_kv kv;

	t_kv(&kv, flags, k, klen, v, vlen);
	return xioctl(fd, CMAP_IOC_PUT, &kv);
}

HARD_FN int t_get(int fd, const void *k, __u32 klen, void *buf, __u32 *vlen)
{
	struct cmap_kv kv;
	int rc;

	t_kv(&kv, 0, k, klen, buf, *vlen);
	rc = xioctl(fd, CMAP_IOC_GET, &kv);
	*vlen = kv.value_len;
	return rc;
}

HARD_FN int t_del(int fd, const void *k, __u32 klen)
{
	struct cmap_kv kv;

	t_kv(&kv, 0, k, klen, NULL, 0);
	return xioctl(fd, CMAP_IOC_DELETE, &kv);
}

HARD_FN int t_stats(int fd, __u32 id, struct cmap_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = id;
	return xioctl(fd, CMAP_IOC_STATS, st);
}

HARD_FN int t_list_total(int fd, __u32 *total)
{
	struct cmap_list l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	rc = xioctl(fd, CMAP_IOC_LIST, &l);
	*total = l.total;
	return rc;
}

/*
 * Fills @ops[0..@n) and @bt with a BATCH of @op (PUT or DELETE) of the
 * 8-byte keys @keys[i], each with the @vlen bytes at @val (NULL, 0 for
 * DELETE).
 */
HARD_FN void t_batch_keys(struct cmap_batch *bt, struct cmap_batch_op *ops,
			 __u32 op, const uint64_t *keys, __u32 n,
			 const void *val, __u32 vlen)
{
	__u32 i;

	memset(ops, 0, n * sizeof(*ops));
	for (i = 0; i < n; i++) {
		ops[i].op = op;
		ops[i].key = uptr(&keys[i]);
		ops[i].key_len = 8;
		ops[i].value = uptr(val);
		ops[i].value_len = vlen;
	}
	memset(bt, 0, sizeof(*bt));
	bt->size = sizeof(*bt);
	bt->ops = uptr(ops);
	bt->count = n;
}

/* The next ITER chunk of @it into @buf (@len bytes); 0 or -errno. */
HARD_FN int t_iter_next(int fd, struct cmap_iter *it, void *buf, __u32 len)
{
	it->buf = uptr(buf);
	it->buf_len = len;
	return xioctl(fd, CMAP_IOC_ITER, it);
}

/*
 * A BENCH request of the RCU mode and the rhashtable, 90% reads, @threads
 * threads for @ms ms on @keys keys of @vsize-byte values, @nres results.
 */
HARD_FN void t_bench_req(struct cmap_bench *b, __u32 threads, __u32 ms,
			__u32 keys, __u32 vsize, struct cmap_bench_result *res,
			__u32 nres)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->modes = 1U << CMAP_MODE_RCU | CMAP_BENCH_RHASHTABLE;
	b->threads = threads;
	b->duration_ms = ms;
	b->read_pct = 90;
	b->keys = keys;
	b->value_size = vsize;
	b->nresults = nres;
	b->results = uptr(res);
}

/*
 * The record at *@off of an ITER chunk of @bytes bytes at @buf, moving
 * *@off past it; NULL at the end.
 */
HARD_FN const struct cmap_rec *rec_next(const void *buf, size_t bytes,
				       size_t *off)
{
	const struct cmap_rec *r;

	if (*off >= bytes)
		return NULL;
	r = (const void *)((const char *)buf + *off);
	*off += CMAP_REC_SIZE(r->key_len, r->value_len);
	return r;
}

/* The bound table's id, or -errno. */
HARD_FN long t_bound_id(int fd)
{
	struct cmap_stats st;
	int rc = t_stats(fd, 0, &st);

	return rc ? rc : (long)st.id;
}

/*
 * Waits (up to @sec) until the table is not resizing and no resize is
 * about to start: the array stayed the same for @stable_ms and is not due
 * to grow (at most 6.5 entries per head bucket, unless it reached its
 * largest size; a slow resize worker, e.g. on PREEMPT_RT, is waited for).
 */
/* The most head buckets a table of @max_entries grows to (cmap_core.c). */
HARD_FN uint64_t max_buckets(uint64_t max_entries)
{
	unsigned int order = 0;

	while (order < 24 && max_entries * 4 > (13ULL << order))
		order++;
	order = order + 1 < 2 ? 2 : order + 1 > 24 ? 24 : order + 1;
	return 1ULL << order;
}

HARD_FN void t_settle(int fd, double sec, int stable_ms)
{
	double end = now_s() + sec, since = now_s();
	struct cmap_stats st, prev;

	memset(&prev, 0, sizeof(prev));
	while (now_s() < end) {
		if (t_stats(fd, 0, &st))
			return;
		if (st.resizing || st.buckets != prev.buckets ||
		    st.resizes != prev.resizes ||
		    (st.entries * 2 > 13 * st.buckets &&
		     st.buckets < max_buckets(st.max_entries)))
			since = now_s();
		else if (now_s() - since >= stable_ms / 1000.0)
			return;
		prev = st;
		usleep(stable_ms > 10 ? 5000 : 1000);
	}
}

HARD_FN void t_quiesce(int fd, double sec)
{
	t_settle(fd, sec, 30);
}

/* Deterministic key/value of index @i: keys 1..64 bytes, values 0..4096. */
HARD_FN __u32 key_of(uint64_t i, char *k)
{
	__u32 len = 10 + i % 24;

	memset(k, 0, 64);
	snprintf(k, 64, "k%07" PRIu64 "-", i);
	memset(k + 9, 'a' + i % 26, len - 9);
	return len;
}

HARD_FN __u32 val_of(uint64_t i, uint64_t gen, char *v)
{
	static const __u32 lens[] = { 0, 1, 7, 8, 33, 100, 256, 1000, 4096 };
	__u32 len = lens[i % ARRAY_LEN(lens)], j;

	for (j = 0; j < len; j++)
		v[j] = (char)(i * 31 + j * 7 + gen);
	return len;
}

/* ------------------------------------------------------------ snapshots */
/*
 * A table's content: every record of a complete ITER dump (key, value and
 * the kernel's hash), sorted by key, and the entries/bytes counters.
 */
struct snap {
	size_t n;
	size_t len;
	char *blob;		/* the sorted records, back to back */
	__u64 entries;
	__u64 bytes;		/* as charged against max_bytes (LIST) */
	__u32 tables;		/* LIST total */
	long bound;		/* the file's bound table id (or -errno) */
};

struct rec_ref {
	const unsigned char *p;
	__u32 size;
};

HARD_FN int rec_cmp(const void *a, const void *b)
{
	const struct rec_ref *x = a, *y = b;
	const struct cmap_rec *rx = (const void *)x->p, *ry = (const void *)y->p;
	int c = memcmp(x->p + sizeof(*rx), y->p + sizeof(*ry),
		       rx->key_len < ry->key_len ? rx->key_len : ry->key_len);

	return c ? c : (int)rx->key_len - (int)ry->key_len;
}

/* The bytes held by the bound table as LIST reports them. */
HARD_FN int t_table_bytes(int fd, __u32 id, __u64 *bytes, __u32 *total)
{
	struct cmap_table_info *tabs = calloc(4096, sizeof(*tabs));
	struct cmap_list l;
	__u32 i;
	int rc;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.tables = uptr(tabs);
	l.count = 4096;
	rc = xioctl(fd, CMAP_IOC_LIST, &l);
	*bytes = ~0ULL;
	for (i = 0; !rc && i < l.count; i++)
		if (tabs[i].id == id)
			*bytes = tabs[i].bytes;
	*total = l.total;
	free(tabs);
	return rc;
}

HARD_FN void snap_free(struct snap *s)
{
	free(s->blob);
	memset(s, 0, sizeof(*s));
}

/* Takes a snapshot of the table bound to @fd; 0 or -errno. */
HARD_FN int snap_take(int fd, struct snap *s)
{
	static unsigned char *buf;
	struct rec_ref *refs = NULL;
	size_t nref = 0, cap = 0, off, i;
	const struct cmap_rec *r;
	unsigned char *all = NULL;
	size_t all_len = 0;
	struct cmap_iter it;
	struct cmap_stats st;
	int rc;

	memset(s, 0, sizeof(*s));
	if (!buf)
		buf = malloc(CMAP_ITER_BUF_MAX);
	s->bound = t_bound_id(fd);
	rc = t_stats(fd, 0, &st);
	if (rc)
		return rc;
	s->entries = st.entries;
	rc = t_table_bytes(fd, st.id, &s->bytes, &s->tables);
	if (rc)
		return rc;
	memset(&it, 0, sizeof(it));
	it.size = sizeof(it);
	while (it.cursor != CMAP_ITER_DONE) {
		rc = t_iter_next(fd, &it, buf, CMAP_ITER_BUF_MAX);
		if (rc)
			goto out;
		all = realloc(all, all_len + it.bytes);
		memcpy(all + all_len, buf, it.bytes);
		all_len += it.bytes;
	}
	for (off = 0; (r = rec_next(all, all_len, &off));) {
		if (nref == cap) {
			cap = cap ? 2 * cap : 256;
			refs = realloc(refs, cap * sizeof(*refs));
		}
		refs[nref].p = (const void *)r;
		refs[nref].size = CMAP_REC_SIZE(r->key_len, r->value_len);
		nref++;
	}
	qsort(refs, nref, sizeof(*refs), rec_cmp);
	s->blob = malloc(all_len + 1);
	for (i = 0, off = 0; i < nref; i++) {
		memcpy(s->blob + off, refs[i].p, refs[i].size);
		off += refs[i].size;
	}
	s->len = off;
	s->n = nref;
out:
	free(refs);
	free(all);
	return rc;
}

/* Equal contents, counters, table count and binding?  Explains if not. */
HARD_FN bool snap_same(const struct snap *a, const struct snap *b, char *why,
		      size_t whylen)
{
	if (a->bound != b->bound)
		snprintf(why, whylen, "binding changed: %ld -> %ld", a->bound, b->bound);
	else if (a->tables != b->tables)
		snprintf(why, whylen, "tables %u -> %u", a->tables, b->tables);
	else if (a->entries != b->entries)
		snprintf(why, whylen, "entries %llu -> %llu",
			 (unsigned long long)a->entries, (unsigned long long)b->entries);
	else if (a->bytes != b->bytes)
		snprintf(why, whylen, "bytes %llu -> %llu",
			 (unsigned long long)a->bytes, (unsigned long long)b->bytes);
	else if (a->n != b->n || a->len != b->len ||
		 memcmp(a->blob, b->blob, a->len))
		snprintf(why, whylen, "contents differ (%zu -> %zu records)",
			 a->n, b->n);
	else
		return true;
	return false;
}

/* ---------------------------------------------------------- bad pointers */
/* A page-aligned R/W area of @pages pages followed by a PROT_NONE page. */
HARD_FN char *guarded(size_t pages)
{
	char *p = mmap(NULL, (pages + 1) * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	if (mprotect(p + pages * PG, PG, PROT_NONE))
		bail("mprotect: %s", strerror(errno));
	memset(p, 0, pages * PG);
	return p;
}

/* A copy of @len bytes of @src in a read-only page; returns it. */
HARD_FN void *readonly_copy(const void *src, size_t len)
{
	size_t sz = (len + PG - 1) & ~(PG - 1);
	char *p = mmap(NULL, sz ? sz : PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	memcpy(p, src, len);
	if (mprotect(p, sz ? sz : PG, PROT_READ))
		bail("mprotect: %s", strerror(errno));
	return p;
}

HARD_FN void readonly_free(void *p, size_t len)
{
	size_t sz = (len + PG - 1) & ~(PG - 1);

	munmap(p, sz ? sz : PG);
}

/* An address that was mapped and is no longer. */
HARD_FN void *unmapped_addr(void)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	munmap(p, PG);
	return p;
}

/*
 * @name in /proc/kallsyms: true if the kernel has the symbol; its address
 * in *@addr unless @addr is NULL (0 where kptr_restrict hides addresses).
 */
HARD_FN bool kernel_sym(const char *name, __u64 *addr)
{
	char line[256];
	bool found = false;
	FILE *f;

	if (addr)
		*addr = 0;
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char t, sym[200];

		if (sscanf(line, "%llx %c %199s", &a, &t, sym) == 3 &&
		    !strcmp(sym, name)) {
			if (addr)
				*addr = a;
			found = true;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * Kernel addresses that are mapped in the kernel: the direct map's start
 * and the kernel's text (from /proc/kallsyms, as root).  A driver that
 * dereferenced user pointers directly would read or corrupt them instead of
 * failing with -EFAULT.
 */
HARD_FN __u64 kernel_text_addr(void)
{
	static __u64 addr;

	if (!addr)
		kernel_sym("_text", &addr);
	if (!addr)
		addr = 0xffffffff81000000ULL;
	return addr;
}

#define KERNEL_DIRECT_MAP 0xffff888000000000ULL
#define NONCANONICAL_ADDR 0x0000800000000000ULL

/* ------------------------------------------------------- module control */
HARD_FN int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		rc = -errno;
	close(fd);
	return rc;
}

HARD_FN long long read_ll(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

HARD_FN int set_param(const char *name, unsigned long long val)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "/sys/module/cmap/parameters/%s", name);
	snprintf(v, sizeof(v), "%llu", val);
	return write_file(path, v);
}

HARD_FN long long get_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/cmap/parameters/%s", name);
	return read_ll(path);
}

#define FAIL_NTH "/sys/kernel/debug/cmap/fail_nth"

HARD_FN int fail_nth_set(int n)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", n);
	return write_file(FAIL_NTH, v);
}

HARD_FN long long fail_nth_get(void)
{
	return read_ll(FAIL_NTH);
}

/* ------------------------------------------------------------- hsiphash */
/*
 * The kernel's hsiphash() on 64-bit (lib/siphash.c, BITS_PER_LONG == 64):
 * SipHash-1-3 with the 64-bit key {key0, key1}, the result's low 32 bits.
 * cmap keys a table created with test_hash_key = K with {K, ~K}.
 */
static inline uint64_t rol64(uint64_t x, int n)
{
	return (x << n) | (x >> (64 - n));
}

#define SIPROUND do {							\
	v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);	\
	v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);	\
} while (0)

HARD_FN uint32_t hsiphash64(const void *data, size_t len, uint64_t k0,
			   uint64_t k1)
{
	const unsigned char *p = data, *end = p + len - (len % 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	int i;

	for (; p != end; p += 8) {
		m = 0;
		for (i = 7; i >= 0; i--)
			m = m << 8 | p[i];
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (i = (int)(len & 7) - 1; i >= 0; i--)
		b |= (uint64_t)end[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (uint32_t)((v0 ^ v1) ^ (v2 ^ v3));
}

HARD_FN uint32_t cmap_test_hash(const void *key, size_t len, uint64_t test_key)
{
	return hsiphash64(key, len, test_key, ~test_key);
}

#endif /* CMAP_HARD_H */
