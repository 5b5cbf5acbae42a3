// SPDX-License-Identifier: GPL-2.0
/*
 * cmap integration test: one million entries.  1M inserts, 1M gets, a full
 * ITER dump and 1M deletes, all through BATCH (CMAP_BATCH_MAX ops a call,
 * 8-byte keys and values), with every result and the STATS counts checked.
 * The rates are printed as TAP comments ("# rate: ...").
 *
 * CMAP_STRESS_N overrides the number of entries (default 1000000).
 */
#include <stdbool.h>

#include "cmtest.h"

#define VAL_XOR 0x5a5aa5a5c3c33c3cULL

static __u64 key_of(__u64 i)
{
	/* spread over the key space a bit; still unique and invertible */
	return (i << 8 | 0x4b) ^ 0x1100000000000000ULL;
}

static __u64 index_of(__u64 key)
{
	return (key ^ 0x1100000000000000ULL) >> 8;
}

static __u64 nr_entries(void)
{
	const char *s = getenv("CMAP_STRESS_N");

	return s && *s ? strtoull(s, NULL, 0) : 1000000;
}

struct dump_ctx {
	__u8 *seen;
	__u64 n;
	__u64 records;
};

static const char *dump_cb(const __u8 *key, __u32 klen, const __u8 *val,
			   __u32 vlen, __u32 hash, void *c)
{
	struct dump_ctx *ctx = c;
	__u64 k, v, i;

	(void)hash;
	if (klen != 8 || vlen != 8)
		return "record with unexpected key/value length";
	memcpy(&k, key, 8);
	memcpy(&v, val, 8);
	i = index_of(k);
	if (i >= ctx->n || key_of(i) != k)
		return "unknown key in the dump";
	if (v != (k ^ VAL_XOR))
		return "wrong value in the dump";
	if (ctx->seen[i]++)
		return "key twice in the dump";
	ctx->records++;
	return NULL;
}

/*
 * @op on every key key_of(0..@n-1), CMAP_BATCH_MAX ops a BATCH call: PUT
 * (with @flags) stores key ^ VAL_XOR, GET must find that value, DELETE must
 * find the key.  Fails the test, naming the key, on any error.
 */
static void batch_range(int fd, __u32 op, __u32 flags, __u64 n,
			const char *what)
{
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX], vals[CMAP_BATCH_MAX];
	bool del = op == CMAP_OP_DELETE, get = op == CMAP_OP_GET;
	__u32 done, cnt, j;
	__u64 base;
	int rc;

	for (base = 0; base < n; base += cnt) {
		cnt = n - base < CMAP_BATCH_MAX ? n - base : CMAP_BATCH_MAX;
		for (j = 0; j < cnt; j++) {
			keys[j] = key_of(base + j);
			vals[j] = get ? 0 : keys[j] ^ VAL_XOR;
			cm_bop(&ops[j], op, flags, &keys[j], 8,
			       del ? NULL : &vals[j], del ? 0 : 8);
		}
		rc = cmapc_batch(fd, ops, cnt, &done);
		if (rc || done != cnt)
			fail_msg("%s batch at %llu: %s, done %u of %u", what,
				 (unsigned long long)base, errname(-rc), done,
				 cnt);
		for (j = 0; j < cnt; j++)
			if (ops[j].result ||
			    (get && (ops[j].value_len != 8 ||
				     vals[j] != (keys[j] ^ VAL_XOR))))
				fail_msg("%s of key %llu: %s, len %u, value %#llx",
					 what, (unsigned long long)(base + j),
					 errname(-ops[j].result),
					 ops[j].value_len,
					 (unsigned long long)vals[j]);
	}
}

static int g_fd = -1;
static char g_name[CMAP_NAME_LEN];

static int teardown(void **state)
{
	(void)state;
	if (g_fd >= 0) {
		cmapc_destroy(g_fd, g_name, NULL);
		close(g_fd);
		g_fd = -1;
	}
	return 0;
}

static void test_million(void **state)
{
	__u64 n = nr_entries(), i, extra, peak_buckets;
	__u64 key, val, out;
	char *name = g_name, msg[256];
	struct cmap_stats st0, st;
	struct dump_ctx dc = { 0 };
	double t0, t_ins, t_get, t_del, t_dump;
	unsigned long calls = 0;
	int fd, rc;

	(void)state;
	fd = g_fd = cm_dev_open();
	cm_unique_name(name, "mil");
	/* exactly n entries allowed: one more must fail */
	assert_ok(cm_create(fd, name, 0, n, 1ULL << 30, NULL));
	assert_ok(cmapc_stats(fd, 0, &st0));

	/* inserts */
	t0 = now_sec();
	batch_range(fd, CMAP_OP_PUT, CMAP_PUT_NOEXIST, n, "insert");
	t_ins = now_sec() - t0;
	assert_ok(cmapc_stats(fd, 0, &st));
	peak_buckets = st.buckets;
	assert_int_equal(st.entries, n);
	assert_int_equal(st.puts - st0.puts, n);
	if (n >= 100000)
		assert_true(st.resizes > 0);
	fprintf(stderr, "# %llu entries: %llu buckets, %llu overflow, %llu resizes, %llu bytes, load %llu\n",
		(unsigned long long)st.entries, (unsigned long long)st.buckets,
		(unsigned long long)st.overflow_buckets,
		(unsigned long long)st.resizes, (unsigned long long)st.bytes,
		(unsigned long long)st.load_factor_milli);

	/* the limit: one more fails, a replace works */
	extra = key_of(n);
	assert_errno(cmapc_put(fd, &extra, 8, &extra, 8, CMAP_PUT_ANY), ENOSPC);
	key = key_of(n / 2);
	val = key ^ VAL_XOR;
	assert_ok(cmapc_put(fd, &key, 8, &val, 8, CMAP_PUT_EXIST));

	/* gets */
	assert_ok(cmapc_stats(fd, 0, &st0));
	t0 = now_sec();
	batch_range(fd, CMAP_OP_GET, 0, n, "get");
	t_get = now_sec() - t0;
	assert_ok(cmapc_stats(fd, 0, &st));
	assert_int_equal(st.gets - st0.gets, n);
	assert_int_equal(st.hits - st0.hits, n);

	/* a full dump */
	dc.n = n;
	dc.seen = calloc(n, 1);
	t0 = now_sec();
	rc = cm_dump(fd, CMAP_ITER_BUF_MAX, dump_cb, &dc, msg, sizeof(msg),
		     &calls);
	t_dump = now_sec() - t0;
	if (rc)
		fail_msg("dump: %s", msg);
	assert_int_equal(dc.records, n);
	free(dc.seen);

	/* deletes */
	assert_ok(cmapc_stats(fd, 0, &st0));
	t0 = now_sec();
	batch_range(fd, CMAP_OP_DELETE, 0, n, "delete");
	t_del = now_sec() - t0;
	assert_ok(cmapc_stats(fd, 0, &st));
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.deletes - st0.deletes, n);
	/* they are gone */
	for (i = 0; i < n; i += n / 97 + 1) {
		__u32 vlen = 8;

		key = key_of(i);
		assert_errno(cmapc_get(fd, &key, 8, &out, &vlen), ENOENT);
	}
	/* and the space is free again */
	assert_ok(cmapc_put(fd, &extra, 8, &extra, 8, CMAP_PUT_NOEXIST));

	/* "the table grows and shrinks": it must have shrunk some (a
	 * migration may still be running: give it a moment) */
	t0 = now_sec();
	do {
		assert_ok(cmapc_stats(fd, 0, &st));
		if (!st.resizing)
			break;
		usleep(20000);
	} while (now_sec() - t0 < 10);
	if (st.buckets >= peak_buckets)
		fail_msg("no shrink: %llu buckets after deleting all, %llu at the peak",
			 (unsigned long long)st.buckets,
			 (unsigned long long)peak_buckets);
	fprintf(stderr, "# after deleting all: %llu buckets, %llu resizes, %llu bytes\n",
		(unsigned long long)st.buckets, (unsigned long long)st.resizes,
		(unsigned long long)st.bytes);
	fprintf(stderr, "# rate: %llu entries: insert %.0f ops/s (%.2f s), get %.0f ops/s (%.2f s), delete %.0f ops/s (%.2f s), iter %.0f records/s (%.2f s, %lu calls)\n",
		(unsigned long long)n, n / t_ins, t_ins, n / t_get, t_get,
		n / t_del, t_del, n / t_dump, t_dump, calls);

	assert_ok(cmapc_destroy(fd, name, NULL));
	close(fd);
	g_fd = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_million, teardown),
	};

	return cmocka_run_group_tests_name("cmap_stress", tests, NULL, NULL);
}
