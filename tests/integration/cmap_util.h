/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the cmap integration tests: thin ioctl wrappers that
 * return 0 / a positive value or -errno, unique table names, guard pages,
 * and a checked ITER dump.
 *
 * Everything here talks to /dev/cmap only through include/uapi/linux/cmap.h.
 */
#ifndef CMAP_TEST_UTIL_H
#define CMAP_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/cmap.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A kernel (direct map) address: never valid as a user pointer. */
#define KERNEL_ADDR 0xffff888000000000ULL

static inline __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static inline const char *errname(int err)
{
	static __thread char buf[32];
	const char *n;

	if (err <= 0) {
		snprintf(buf, sizeof(buf), "success(%d)", -err);
		return buf;
	}
	n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* Asserts that an expression returning 0 / -errno gave exactly -err. */
#define assert_errno(expr, err)						\
	do {								\
		int _rc = (expr);					\
		if (_rc != -(err))					\
			fail_msg("%s: expected -%s, got %s (%d)", #expr,\
				 errname(err), errname(-_rc), _rc);	\
	} while (0)

/* Asserts success (return value >= 0) of an expression returning -errno. */
#define assert_ok(expr)							\
	do {								\
		int _rc = (expr);					\
		if (_rc < 0)						\
			fail_msg("%s: expected success, got -%s", #expr,\
				 errname(-_rc));			\
	} while (0)

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int cm_ioctl(int fd, unsigned long cmd, void *arg)
{
	int rc = ioctl(fd, cmd, arg);

	return rc < 0 ? -errno : rc;
}

/*
 * @cmd with @size in its size bits: the command as a program built against
 * a header whose struct has that size issues it.
 */
static inline unsigned long cm_cmd_sized(unsigned long cmd, size_t size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

static inline int cm_dev_open(void)
{
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open(%s): %s", CMAP_DEVICE, strerror(errno));
	return fd;
}

/* A table name unique to this process and call: "<tag><pid>_<n>". */
static inline void cm_unique_name(char *buf, const char *tag)
{
	static unsigned int counter;
	unsigned int n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

	snprintf(buf, CMAP_NAME_LEN, "%.10s%d_%u", tag, (int)getpid(), n);
}

/* The mode cm_create() makes tables in (a test binary may loop over modes). */
static __u32 cm_default_mode = CMAP_MODE_RCU;

static const char *const cm_mode_names[] = {
	[CMAP_MODE_RCU] = "rcu",
	[CMAP_MODE_RWLOCK] = "rwlock",
	[CMAP_MODE_SPINLOCK] = "spinlock",
	[CMAP_MODE_COW] = "cow",
	[CMAP_MODE_RACECHECK] = "racecheck",
};

/*
 * The modes to test: CMAP_TEST_MODES="rcu,rwlock,..." or "all" (the
 * default: every mode of the header); a bit per mode.
 */
static inline unsigned int cm_test_modes(void)
{
	const char *env = getenv("CMAP_TEST_MODES");
	unsigned int bits = 0, m;
	char buf[128], *tok, *save;

	if (!env || !*env || !strcmp(env, "all"))
		return (1U << CMAP_MODE_COUNT) - 1;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save))
		for (m = 0; m < CMAP_MODE_COUNT; m++)
			if (cm_mode_names[m] && !strcmp(tok, cm_mode_names[m]))
				bits |= 1U << m;
	return bits;
}

/*
 * @n scaled by CMAP_TEST_SCALE (a factor, default 1), at least 1: the
 * repetitions of the tests that hunt rare interleavings by numbers (more
 * than 1 hunts longer).  A debug kernel under TCG runs them 10 to 50 times
 * slower, and its detectors look at code paths, not volume:
 * tests/debug/check sets 0.1.
 */
static inline unsigned int cm_scaled(unsigned int n)
{
	const char *env = getenv("CMAP_TEST_SCALE");
	double f = 1.0, v;
	char *end = NULL;

	if (env && *env) {
		f = strtod(env, &end);
		if (*end || !(f > 0 && f <= 100))
			fail_msg("CMAP_TEST_SCALE='%s': a factor in (0, 100]", env);
	}
	v = n * f;
	return v < 1 ? 1 : v > 1e8 ? 100000000u : (unsigned int)v;
}

static inline void cm_config(struct cmap_config *c, __u32 size_hint,
			     __u64 max_entries, __u64 max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->size_hint = size_hint;
	c->mode = cm_default_mode;
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
}

static inline int cm_create_cfg(int fd, const char *name,
				const struct cmap_config *cfg, __u32 *id)
{
	struct cmap_create c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	memcpy(c.name, name, strnlen(name, sizeof(c.name)));
	if (cfg)
		c.config = *cfg;
	rc = cm_ioctl(fd, CMAP_IOC_CREATE, &c);
	if (rc == 0 && id)
		*id = c.id;
	return rc;
}

static inline int cm_create(int fd, const char *name, __u32 size_hint,
			    __u64 max_entries, __u64 max_bytes, __u32 *id)
{
	struct cmap_config cfg;

	cm_config(&cfg, size_hint, max_entries, max_bytes);
	return cm_create_cfg(fd, name, &cfg, id);
}

static inline int cm_open_by(int fd, unsigned long cmd, const char *name,
			     __u32 id_in, __u32 *id_out)
{
	struct cmap_open o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	if (name)
		memcpy(o.name, name, strnlen(name, sizeof(o.name)));
	o.id = id_in;
	rc = cm_ioctl(fd, cmd, &o);
	if (rc == 0 && id_out)
		*id_out = o.id;
	return rc;
}

static inline int cm_open_table(int fd, const char *name, __u32 *id)
{
	return cm_open_by(fd, CMAP_IOC_OPEN, name, 0, id);
}

static inline int cm_open_id(int fd, __u32 id)
{
	return cm_open_by(fd, CMAP_IOC_OPEN, NULL, id, NULL);
}

static inline int cm_destroy(int fd, const char *name)
{
	return cm_open_by(fd, CMAP_IOC_DESTROY, name, 0, NULL);
}

static inline int cm_destroy_id(int fd, __u32 id)
{
	return cm_open_by(fd, CMAP_IOC_DESTROY, NULL, id, NULL);
}

static inline void cm_kv(struct cmap_kv *kv, __u32 flags, const void *key,
			 __u32 klen, const void *val, __u32 vlen)
{
	memset(kv, 0, sizeof(*kv));
	kv->size = sizeof(*kv);
	kv->flags = flags;
	kv->key = ptr(key);
	kv->key_len = klen;
	kv->value = ptr(val);
	kv->value_len = vlen;
}

static inline int cm_put(int fd, const void *key, __u32 klen,
			 const void *val, __u32 vlen, __u32 flags)
{
	struct cmap_kv kv;

	cm_kv(&kv, flags, key, klen, val, vlen);
	return cm_ioctl(fd, CMAP_IOC_PUT, &kv);
}

/* *vlen: in the buffer size, out what the kernel reported. */
static inline int cm_get(int fd, const void *key, __u32 klen, void *buf,
			 __u32 *vlen)
{
	struct cmap_kv kv;
	int rc;

	cm_kv(&kv, 0, key, klen, buf, *vlen);
	rc = cm_ioctl(fd, CMAP_IOC_GET, &kv);
	*vlen = kv.value_len;
	return rc;
}

static inline int cm_del(int fd, const void *key, __u32 klen)
{
	struct cmap_kv kv;

	cm_kv(&kv, 0, key, klen, NULL, 0);
	return cm_ioctl(fd, CMAP_IOC_DELETE, &kv);
}

static inline int cm_puts(int fd, const char *key, const char *val, __u32 flags)
{
	return cm_put(fd, key, strlen(key), val, strlen(val), flags);
}

static inline int cm_dels(int fd, const char *key)
{
	return cm_del(fd, key, strlen(key));
}

/* GET a string key; 0 and the value NUL-terminated in out (>= 4097 bytes). */
static inline int cm_gets(int fd, const char *key, char *out, size_t outsz)
{
	__u32 vlen = outsz - 1;
	int rc = cm_get(fd, key, strlen(key), out, &vlen);

	if (rc == 0)
		out[vlen < outsz ? vlen : outsz - 1] = 0;
	return rc;
}

static inline int cm_clear(int fd)
{
	return cm_ioctl(fd, CMAP_IOC_CLEAR, NULL);
}

static inline int cm_stats(int fd, __u32 id, struct cmap_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = id;
	return cm_ioctl(fd, CMAP_IOC_STATS, st);
}

/* Live entries of the bound table, or fails the test. */
static inline __u64 cm_entries(int fd)
{
	struct cmap_stats st;
	int rc = cm_stats(fd, 0, &st);

	if (rc)
		fail_msg("STATS: %s", errname(-rc));
	return st.entries;
}

static inline int cm_batch(int fd, struct cmap_batch_op *ops, __u32 count,
			   __u32 *done)
{
	struct cmap_batch b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.ops = ptr(ops);
	b.count = count;
	b.done = 0xdeadbeef;
	rc = cm_ioctl(fd, CMAP_IOC_BATCH, &b);
	if (done)
		*done = b.done;
	return rc;
}

static inline void cm_bop(struct cmap_batch_op *op, __u32 code, __u32 flags,
			  const void *key, __u32 klen, const void *val,
			  __u32 vlen)
{
	memset(op, 0, sizeof(*op));
	op->op = code;
	op->flags = flags;
	op->key = ptr(key);
	op->key_len = klen;
	op->value = ptr(val);
	op->value_len = vlen;
	op->result = 0x7eadbeef;	/* must be overwritten */
}

static inline int cm_iter(int fd, __u64 *cursor, void *buf, __u32 len,
			  __u32 *count, __u32 *bytes)
{
	struct cmap_iter it;
	int rc;

	memset(&it, 0, sizeof(it));
	it.size = sizeof(it);
	it.cursor = *cursor;
	it.buf = ptr(buf);
	it.buf_len = len;
	rc = cm_ioctl(fd, CMAP_IOC_ITER, &it);
	if (rc == 0)
		*cursor = it.cursor;
	if (count)
		*count = it.count;
	if (bytes)
		*bytes = it.bytes;
	return rc;
}

static inline int cm_list(int fd, struct cmap_table_info *tabs, __u32 cap,
			  __u32 *count, __u32 *total)
{
	struct cmap_list l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.tables = ptr(tabs);
	l.count = cap;
	rc = cm_ioctl(fd, CMAP_IOC_LIST, &l);
	if (count)
		*count = l.count;
	if (total)
		*total = l.total;
	return rc;
}

/*
 * Guard pages: an R/W page followed by a PROT_NONE page; the returned
 * pointer is the R/W page.  Data placed at its end straddles into the guard.
 */
static inline char *cm_guarded_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	if (mprotect(p + pg, pg, PROT_NONE))
		fail_msg("mprotect: %s", strerror(errno));
	memset(p, 0, pg);
	return p;
}

static inline void cm_guarded_free(char *p)
{
	munmap(p, 2 * sysconf(_SC_PAGESIZE));
}

/*
 * An address no access succeeds on: a page mapped PROT_NONE and kept, not
 * unmapped, so that no later mmap() -- by another thread of the process,
 * as the host's libfakecmap.so runs -- can land there.  It leaks a page of
 * address space per call.
 */
static inline void *cm_unmapped_addr(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	return p;
}

/* Our own comm, as the kernel reports it. */
static inline void cm_self_comm(char out[16])
{
	FILE *f = fopen("/proc/self/comm", "r");

	memset(out, 0, 16);
	if (!f || !fgets(out, 16, f))
		fail_msg("cannot read /proc/self/comm");
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

/* Finds a table in LIST by id; 0 if found. */
static inline int cm_list_find(int fd, __u32 id, struct cmap_table_info *out)
{
	struct cmap_table_info *tabs;
	__u32 cap = 256, count, total, i;
	int rc;

	for (;;) {
		tabs = calloc(cap, sizeof(*tabs));
		rc = cm_list(fd, tabs, cap, &count, &total);
		if (rc) {
			free(tabs);
			return rc;
		}
		if (total <= cap)
			break;
		free(tabs);
		cap = total + 16;
	}
	for (i = 0; i < count; i++) {
		if (tabs[i].id == id) {
			if (out)
				*out = tabs[i];
			free(tabs);
			return 0;
		}
	}
	free(tabs);
	return -ENOENT;
}

/* Is a table of this name listed? */
static inline int cm_list_has_name(int fd, const char *name)
{
	struct cmap_table_info *tabs;
	__u32 count, total, i, cap = 1024;
	int found = 0;

	tabs = calloc(cap, sizeof(*tabs));
	if (cm_list(fd, tabs, cap, &count, &total))
		fail_msg("LIST failed");
	for (i = 0; i < count; i++)
		if (!strncmp(tabs[i].name, name, CMAP_NAME_LEN))
			found = 1;
	free(tabs);
	return found;
}

/*
 * A checked full ITER dump.  For every record, cb(key, klen, val, vlen,
 * hash, ctx) is called; it returns 0 or an error message.  The format
 * invariants of the header are checked on the way:
 *  - records at 8-aligned offsets, sized CMAP_REC_SIZE, zero padding,
 *  - count/bytes match what was parsed,
 *  - hash order within and across calls, and the cursor being a position in
 *    hash space (records of a call have hash >= the cursor passed in, the
 *    cursor returned is > every hash returned so far),
 *  - the dump ends with CMAP_ITER_DONE.
 * Returns 0, -errno of a failed ITER, or -EPROTO with msg filled in.
 * *calls gets the number of ITER calls made.  Thread-safe (no cmocka calls).
 */
typedef const char *(*cm_rec_cb)(const __u8 *key, __u32 klen,
				 const __u8 *val, __u32 vlen, __u32 hash,
				 void *ctx);

static inline int cm_dump(int fd, __u32 buf_len, cm_rec_cb cb, void *ctx,
			  char *msg, size_t msgsz, unsigned long *calls)
{
	__u8 *buf = malloc(buf_len);
	__u64 cursor = 0, prev_hash = 0;
	int have_prev = 0, rc = 0;
	unsigned long ncalls = 0;

	if (!buf) {
		snprintf(msg, msgsz, "out of memory");
		return -ENOMEM;
	}
	msg[0] = 0;
	while (cursor != CMAP_ITER_DONE) {
		__u64 cur_in = cursor;
		__u32 count = 0, bytes = 0, off = 0, n;

		memset(buf, 0xA5, buf_len);
		rc = cm_iter(fd, &cursor, buf, buf_len, &count, &bytes);
		ncalls++;
		if (rc) {
			snprintf(msg, msgsz, "ITER(cursor %#llx): %s",
				 (unsigned long long)cur_in, errname(-rc));
			break;
		}
		if (bytes > buf_len) {
			snprintf(msg, msgsz, "ITER bytes %u > buf_len %u",
				 bytes, buf_len);
			rc = -EPROTO;
			break;
		}
		for (n = 0; n < count; n++) {
			struct cmap_rec rec;
			__u32 sz, i;
			const char *err;

			if (off % 8 || off + sizeof(rec) > bytes) {
				snprintf(msg, msgsz,
					 "record %u at bad offset %u (bytes %u)",
					 n, off, bytes);
				rc = -EPROTO;
				goto out;
			}
			memcpy(&rec, buf + off, sizeof(rec));
			sz = CMAP_REC_SIZE(rec.key_len, rec.value_len);
			if (rec.key_len < 1 || rec.key_len > CMAP_KEY_MAX ||
			    rec.value_len > CMAP_VALUE_MAX ||
			    off + sz > bytes) {
				snprintf(msg, msgsz,
					 "record %u: bad lengths key %u value %u (off %u bytes %u)",
					 n, rec.key_len, rec.value_len, off,
					 bytes);
				rc = -EPROTO;
				goto out;
			}
			for (i = sizeof(rec) + rec.key_len + rec.value_len;
			     i < sz; i++) {
				if (buf[off + i]) {
					snprintf(msg, msgsz,
						 "record %u: padding byte %u is %#x",
						 n, i, buf[off + i]);
					rc = -EPROTO;
					goto out;
				}
			}
			if (rec.hash < cur_in) {
				snprintf(msg, msgsz,
					 "record hash %#x below the cursor passed in %#llx",
					 rec.hash, (unsigned long long)cur_in);
				rc = -EPROTO;
				goto out;
			}
			if (have_prev && rec.hash < prev_hash) {
				snprintf(msg, msgsz,
					 "records not in hash order: %#x after %#llx",
					 rec.hash,
					 (unsigned long long)prev_hash);
				rc = -EPROTO;
				goto out;
			}
			prev_hash = rec.hash;
			have_prev = 1;
			if (cb) {
				err = cb(buf + off + sizeof(rec), rec.key_len,
					 buf + off + sizeof(rec) + rec.key_len,
					 rec.value_len, rec.hash, ctx);
				if (err) {
					snprintf(msg, msgsz, "%s", err);
					rc = -EPROTO;
					goto out;
				}
			}
			off += sz;
		}
		if (off != bytes) {
			snprintf(msg, msgsz,
				 "ITER reported %u bytes, records parse to %u (count %u)",
				 bytes, off, count);
			rc = -EPROTO;
			break;
		}
		if (cursor > CMAP_ITER_DONE) {
			snprintf(msg, msgsz, "cursor %#llx beyond DONE",
				 (unsigned long long)cursor);
			rc = -EPROTO;
			break;
		}
		if (have_prev && cursor <= prev_hash) {
			snprintf(msg, msgsz,
				 "cursor %#llx does not move past hash %#llx",
				 (unsigned long long)cursor,
				 (unsigned long long)prev_hash);
			rc = -EPROTO;
			break;
		}
		if (cursor < cur_in || (cursor == cur_in && count == 0)) {
			snprintf(msg, msgsz, "cursor stuck/backwards: %#llx -> %#llx (count %u)",
				 (unsigned long long)cur_in,
				 (unsigned long long)cursor, count);
			rc = -EPROTO;
			break;
		}
	}
out:
	free(buf);
	if (calls)
		*calls = ncalls;
	return rc;
}

#endif /* CMAP_TEST_UTIL_H */
