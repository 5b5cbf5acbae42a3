// SPDX-License-Identifier: GPL-2.0
/* Helpers of the cmocka integration tests.  See cmtest.h. */
#include "cmtest.h"

__u32 cm_default_mode = CMAP_MODE_RCU;

const char *errname(int err)
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

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

unsigned long cm_cmd_sized(unsigned long cmd, size_t size)
{
	return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

int cm_dev_open(void)
{
	int fd = cmapc_dev_open(NULL);

	if (fd < 0)
		fail_msg("open(%s): %s", CMAP_DEVICE, strerror(-fd));
	return fd;
}

void cm_unique_name(char *buf, const char *tag)
{
	static unsigned int counter;
	unsigned int n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

	snprintf(buf, CMAP_NAME_LEN, "%.10s%d_%u", tag, (int)getpid(), n);
}

unsigned int cm_test_modes(void)
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
			if (cmapc_mode_name(m) && !strcmp(tok, cmapc_mode_name(m)))
				bits |= 1U << m;
	return bits;
}

unsigned int cm_scaled(unsigned int n)
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

int cm_create_flags(int fd, const char *name, __u32 flags, __u32 size_hint,
		    __u64 max_entries, __u64 max_bytes, __u32 *id)
{
	struct cmap_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.size_hint = size_hint;
	cfg.mode = cm_default_mode;
	cfg.max_entries = max_entries;
	cfg.max_bytes = max_bytes;
	return cmapc_create_flags(fd, name, flags, &cfg, id);
}

int cm_create(int fd, const char *name, __u32 size_hint, __u64 max_entries,
	      __u64 max_bytes, __u32 *id)
{
	return cm_create_flags(fd, name, 0, size_hint, max_entries, max_bytes,
			       id);
}

void cm_kv(struct cmap_kv *kv, __u32 flags, const void *key,
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

int cm_puts(int fd, const char *key, const char *val, __u32 flags)
{
	return cmapc_put(fd, key, strlen(key), val, strlen(val), flags);
}

int cm_dels(int fd, const char *key)
{
	return cmapc_delete(fd, key, strlen(key));
}

int cm_gets(int fd, const char *key, char *out, size_t outsz)
{
	__u32 vlen = outsz - 1;
	int rc = cmapc_get(fd, key, strlen(key), out, &vlen);

	if (rc == 0)
		out[vlen < outsz ? vlen : outsz - 1] = 0;
	return rc;
}

__u64 cm_entries(int fd)
{
	struct cmap_stats st;
	int rc = cmapc_stats(fd, 0, &st);

	if (rc)
		fail_msg("STATS: %s", errname(-rc));
	return st.entries;
}

void cm_bop(struct cmap_batch_op *op, __u32 code, __u32 flags,
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

char *cm_guarded_page(void)
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

void cm_guarded_free(char *p)
{
	munmap(p, 2 * sysconf(_SC_PAGESIZE));
}

void *cm_unmapped_addr(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fail_msg("mmap: %s", strerror(errno));
	return p;
}

void cm_self_comm(char out[16])
{
	FILE *f = fopen("/proc/self/comm", "r");

	memset(out, 0, 16);
	if (!f || !fgets(out, 16, f))
		fail_msg("cannot read /proc/self/comm");
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

int cm_list_find(int fd, __u32 id, struct cmap_table_info *out)
{
	struct cmap_table_info *tabs;
	__u32 cap = 256, count, total, i;
	int rc;

	for (;;) {
		tabs = calloc(cap, sizeof(*tabs));
		rc = cmapc_list_into(fd, tabs, cap, &count, &total);
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

int cm_list_has_name(int fd, const char *name)
{
	struct cmap_table_info *tabs;
	__u32 count, total, i, cap = 1024;
	int found = 0;

	tabs = calloc(cap, sizeof(*tabs));
	if (cmapc_list_into(fd, tabs, cap, &count, &total))
		fail_msg("LIST failed");
	for (i = 0; i < count; i++)
		if (!strncmp(tabs[i].name, name, CMAP_NAME_LEN))
			found = 1;
	free(tabs);
	return found;
}

int cm_dump(int fd, __u32 buf_len, cm_rec_cb cb, void *ctx,
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
		rc = cmapc_iter(fd, &cursor, buf, buf_len, &count, &bytes);
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
