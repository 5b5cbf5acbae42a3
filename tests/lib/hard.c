// SPDX-License-Identifier: GPL-2.0
/* Helpers of the hardening tests.  See hard.h. */
#include "hard.h"

struct rec_ref {
	const unsigned char *p;
	__u32 size;
};

const char *ename(int rc)
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

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

int dev_open(void)
{
	int fd = cmapc_dev_open(NULL);

	if (fd < 0)
		bail("open(%s): %s", CMAP_DEVICE, strerror(-fd));
	return fd;
}

void name_of(char *buf, const char *tag)
{
	static unsigned int n;

	snprintf(buf, CMAP_NAME_LEN, "%.12s%d_%u", tag, (int)getpid(), n++);
}

int t_create(int fd, const char *name, __u32 mode, __u32 hint,
	     __u64 max_entries, __u64 max_bytes, __u32 *id)
{
	struct cmap_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	cfg.size_hint = hint;
	cfg.max_entries = max_entries;
	cfg.max_bytes = max_bytes;
	return cmapc_create(fd, name, &cfg, id);
}

void t_destroy_prefixed(int fd, const char *prefix, __u32 cap)
{
	struct cmap_table_info *tabs = calloc(cap, sizeof(*tabs));
	size_t plen = strlen(prefix);
	__u32 j, n;

	cmapc_list_into(fd, tabs, cap, &n, NULL);
	for (j = 0; j < n; j++)
		if (!strncmp(tabs[j].name, prefix, plen))
			cmapc_destroy(fd, tabs[j].name, NULL);
	free(tabs);
}

void t_kv(struct cmap_kv *kv, __u32 flags, const void *k, __u32 klen,
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

int t_list_total(int fd, __u32 *total)
{
	return cmapc_list_into(fd, NULL, 0, NULL, total);
}

void t_batch_keys(struct cmap_batch *bt, struct cmap_batch_op *ops,
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

int t_iter_next(int fd, struct cmap_iter *it, void *buf, __u32 len)
{
	it->buf = uptr(buf);
	it->buf_len = len;
	return cmapc_ioctl(fd, CMAP_IOC_ITER, it);
}

void t_bench_req(struct cmap_bench *b, __u32 threads, __u32 ms,
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

const struct cmap_rec *rec_next(const void *buf, size_t bytes,
				size_t *off)
{
	const struct cmap_rec *r;

	if (*off >= bytes)
		return NULL;
	r = (const void *)((const char *)buf + *off);
	*off += CMAP_REC_SIZE(r->key_len, r->value_len);
	return r;
}

long t_bound_id(int fd)
{
	struct cmap_stats st;
	int rc = cmapc_stats(fd, 0, &st);

	return rc ? rc : (long)st.id;
}

uint64_t max_buckets(uint64_t max_entries)
{
	unsigned int order = 0;

	while (order < 24 && max_entries * 4 > (13ULL << order))
		order++;
	order = order + 1 < 2 ? 2 : order + 1 > 24 ? 24 : order + 1;
	return 1ULL << order;
}

void t_settle(int fd, double sec, int stable_ms)
{
	double end = now_s() + sec, since = now_s();
	struct cmap_stats st, prev;

	memset(&prev, 0, sizeof(prev));
	while (now_s() < end) {
		if (cmapc_stats(fd, 0, &st))
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

void t_quiesce(int fd, double sec)
{
	t_settle(fd, sec, 30);
}

__u32 key_of(uint64_t i, char *k)
{
	__u32 len = 10 + i % 24;

	memset(k, 0, 64);
	snprintf(k, 64, "k%07" PRIu64 "-", i);
	memset(k + 9, 'a' + i % 26, len - 9);
	return len;
}

__u32 val_of(uint64_t i, uint64_t gen, char *v)
{
	static const __u32 lens[] = { 0, 1, 7, 8, 33, 100, 256, 1000, 4096 };
	__u32 len = lens[i % ARRAY_LEN(lens)], j;

	for (j = 0; j < len; j++)
		v[j] = (char)(i * 31 + j * 7 + gen);
	return len;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec_ref *x = a, *y = b;
	const struct cmap_rec *rx = (const void *)x->p, *ry = (const void *)y->p;
	int c = memcmp(x->p + sizeof(*rx), y->p + sizeof(*ry),
		       rx->key_len < ry->key_len ? rx->key_len : ry->key_len);

	return c ? c : (int)rx->key_len - (int)ry->key_len;
}

int t_table_bytes(int fd, __u32 id, __u64 *bytes, __u32 *total)
{
	struct cmap_table_info *tabs = calloc(4096, sizeof(*tabs));
	__u32 i, n;
	int rc;

	rc = cmapc_list_into(fd, tabs, 4096, &n, total);
	*bytes = ~0ULL;
	for (i = 0; !rc && i < n; i++)
		if (tabs[i].id == id)
			*bytes = tabs[i].bytes;
	free(tabs);
	return rc;
}

void snap_free(struct snap *s)
{
	free(s->blob);
	memset(s, 0, sizeof(*s));
}

int snap_take(int fd, struct snap *s)
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
	rc = cmapc_stats(fd, 0, &st);
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

bool snap_same(const struct snap *a, const struct snap *b, char *why,
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

char *guarded(size_t pages)
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

void *readonly_copy(const void *src, size_t len)
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

void readonly_free(void *p, size_t len)
{
	size_t sz = (len + PG - 1) & ~(PG - 1);

	munmap(p, sz ? sz : PG);
}

void *unmapped_addr(void)
{
	void *p = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap: %s", strerror(errno));
	munmap(p, PG);
	return p;
}

bool kernel_sym(const char *name, __u64 *addr)
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

__u64 kernel_text_addr(void)
{
	static __u64 addr;

	if (!addr)
		kernel_sym("_text", &addr);
	if (!addr)
		addr = 0xffffffff81000000ULL;
	return addr;
}

int write_file(const char *path, const char *val)
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

long long read_ll(const char *path)
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

int set_param(const char *name, unsigned long long val)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "/sys/module/cmap/parameters/%s", name);
	snprintf(v, sizeof(v), "%llu", val);
	return write_file(path, v);
}

long long get_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/cmap/parameters/%s", name);
	return read_ll(path);
}

int fail_nth_set(int n)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", n);
	return write_file(FAIL_NTH, v);
}

long long fail_nth_get(void)
{
	return read_ll(FAIL_NTH);
}
