// SPDX-License-Identifier: GPL-2.0
/*
 * cmap integration tests: every command, flag and errno of the UAPI,
 * single-threaded.  Each test works on its own uniquely named table(s) and
 * destroys them at the end.  After every call that must fail, the table is
 * checked to be unchanged (entry count and a canary value).
 */
#include "cmtest.h"

#include <linux/ioctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#define CANARY_KEY	"canary"
#define CANARY_VAL	"canary-value-0123456789"

struct fx {
	int fd;
	__u32 id;
	char name[CMAP_NAME_LEN];
	__u64 entries;		/* what the table must hold */
	int destroyed;
	/* extra tables / fds made by the test, cleaned up by teardown */
	char extra[8][CMAP_NAME_LEN];
	int nextra;
	int xfd[16];
	int nxfd;
};

static struct fx *fx_of(void **state)
{
	return *state;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int rc;

	/* the test's initial state is its mode */
	cm_default_mode = *state ? *(const __u32 *)*state : CMAP_MODE_RCU;

	f->fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (f->fd < 0) {
		fprintf(stderr, "# open %s: %s\n", CMAP_DEVICE, strerror(errno));
		free(f);
		return -1;
	}
	cm_unique_name(f->name, "ops");
	rc = cm_create(f->fd, f->name, 0, 0, 0, &f->id);
	if (rc) {
		fprintf(stderr, "# CREATE %s: %s\n", f->name, errname(-rc));
		close(f->fd);
		free(f);
		return -1;
	}
	rc = cm_puts(f->fd, CANARY_KEY, CANARY_VAL, CMAP_PUT_NOEXIST);
	if (rc) {
		fprintf(stderr, "# PUT canary: %s\n", errname(-rc));
		cmapc_destroy(f->fd, f->name, NULL);
		close(f->fd);
		free(f);
		return -1;
	}
	f->entries = 1;
	*state = f;
	return 0;
}

/* Threads that keep every CPU busy; stopped by spin_end() or teardown. */
static int spin_stop;
static pthread_t spin_th[8];
static int spin_n;

static void *spinner(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED))
		;
	return NULL;
}

static void spin_begin(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = ncpu < 1 ? 1 : ncpu > 8 ? 8 : ncpu;

	spin_stop = 0;
	for (spin_n = 0; spin_n < n; spin_n++)
		if (pthread_create(&spin_th[spin_n], NULL, spinner, NULL))
			break;
}

static void spin_end(void)
{
	__atomic_store_n(&spin_stop, 1, __ATOMIC_RELAXED);
	while (spin_n > 0)
		pthread_join(spin_th[--spin_n], NULL);
}

#define TEST_MAX_ID "/sys/module/cmap/parameters/test_max_id"
static int max_id_set;	/* test_id_wrap capped the ids: teardown lifts it */

static int teardown(void **state)
{
	struct fx *f = *state;
	int i, fd;

	spin_end();	/* if a test failed while they ran */
	if (max_id_set) {
		FILE *fp = fopen(TEST_MAX_ID, "w");

		if (fp) {
			fputs("0\n", fp);
			fclose(fp);
		}
		max_id_set = 0;
	}
	fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		if (!f->destroyed)
			cmapc_destroy(fd, f->name, NULL);
		for (i = 0; i < f->nextra; i++)
			cmapc_destroy(fd, f->extra[i], NULL);
		close(fd);
	}
	for (i = 0; i < f->nxfd; i++)
		close(f->xfd[i]);
	close(f->fd);
	free(f);
	return 0;
}

/* A table name registered for cleanup. */
static char *fx_extra_name(struct fx *f, const char *tag)
{
	char *n;

	assert_true(f->nextra < (int)ARRAY_LEN(f->extra));
	n = f->extra[f->nextra++];

	cm_unique_name(n, tag);
	return n;
}

static int fx_fd(struct fx *f)
{
	int fd = cm_dev_open();

	assert_true(f->nxfd < (int)ARRAY_LEN(f->xfd));
	f->xfd[f->nxfd++] = fd;
	return fd;
}

/* COW copies the table on every write: keep its write counts small. */
static int cow(void)
{
	return cm_default_mode == CMAP_MODE_COW;
}

/* The table holds exactly f->entries entries and the canary is intact. */
static void check_unchanged_fd(struct fx *f, int fd)
{
	char out[CMAP_VALUE_MAX + 1];
	__u64 n = cm_entries(fd);

	if (n != f->entries)
		fail_msg("table has %llu entries, expected %llu",
			 (unsigned long long)n, (unsigned long long)f->entries);
	assert_ok(cm_gets(fd, CANARY_KEY, out, sizeof(out)));
	assert_string_equal(out, CANARY_VAL);
}

#define check_unchanged(f) check_unchanged_fd((f), (f)->fd)

/* Expects -err from expr, then an unchanged table. */
#define FAILS(f, expr, err)				\
	do {						\
		assert_errno(expr, err);		\
		check_unchanged(f);			\
	} while (0)

static void expect_val(int fd, const char *key, const char *val)
{
	char out[CMAP_VALUE_MAX + 1];

	assert_ok(cm_gets(fd, key, out, sizeof(out)));
	assert_string_equal(out, val);
}

static void expect_gone(int fd, const char *key)
{
	char out[CMAP_VALUE_MAX + 1];

	assert_errno(cm_gets(fd, key, out, sizeof(out)), ENOENT);
}

/* ---------------------------------------------------------------- PUT/GET */

static void test_put_get_roundtrip(void **state)
{
	struct fx *f = fx_of(state);
	__u8 bin[256];
	__u8 out[512];
	__u32 vlen, i;

	assert_ok(cm_puts(f->fd, "alpha", "one", CMAP_PUT_ANY));
	f->entries++;
	expect_val(f->fd, "alpha", "one");
	check_unchanged(f);

	/* ANY replaces, with a longer and then a shorter value */
	assert_ok(cm_puts(f->fd, "alpha", "uno-but-longer", CMAP_PUT_ANY));
	expect_val(f->fd, "alpha", "uno-but-longer");
	assert_ok(cm_puts(f->fd, "alpha", "1", CMAP_PUT_ANY));
	expect_val(f->fd, "alpha", "1");
	check_unchanged(f);

	/* binary keys and values, including NUL bytes; keys differ by a byte */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (__u8)(i * 7);
	assert_ok(cmapc_put(f->fd, "k\0x", 3, bin, sizeof(bin), CMAP_PUT_ANY));
	assert_ok(cmapc_put(f->fd, "k\0y", 3, bin, 10, CMAP_PUT_ANY));
	f->entries += 2;
	vlen = sizeof(out);
	assert_ok(cmapc_get(f->fd, "k\0x", 3, out, &vlen));
	assert_int_equal(vlen, sizeof(bin));
	assert_memory_equal(out, bin, sizeof(bin));
	vlen = sizeof(out);
	assert_ok(cmapc_get(f->fd, "k\0y", 3, out, &vlen));
	assert_int_equal(vlen, 10);
	/* a key that is a prefix of another is a different key */
	vlen = sizeof(out);
	assert_errno(cmapc_get(f->fd, "k\0", 2, out, &vlen), ENOENT);
	vlen = sizeof(out);
	assert_errno(cmapc_get(f->fd, "alph", 4, out, &vlen), ENOENT);
	check_unchanged(f);
}

static void test_put_noexist(void **state)
{
	struct fx *f = fx_of(state);

	assert_ok(cm_puts(f->fd, "nx", "first", CMAP_PUT_NOEXIST));
	f->entries++;
	expect_val(f->fd, "nx", "first");
	FAILS(f, cm_puts(f->fd, "nx", "second", CMAP_PUT_NOEXIST), EEXIST);
	expect_val(f->fd, "nx", "first");
	FAILS(f, cm_puts(f->fd, CANARY_KEY, "x", CMAP_PUT_NOEXIST), EEXIST);
	/* after a delete the key can be inserted again */
	assert_ok(cm_dels(f->fd, "nx"));
	assert_ok(cm_puts(f->fd, "nx", "third", CMAP_PUT_NOEXIST));
	expect_val(f->fd, "nx", "third");
	check_unchanged(f);
}

static void test_put_exist(void **state)
{
	struct fx *f = fx_of(state);

	FAILS(f, cm_puts(f->fd, "ex", "v", CMAP_PUT_EXIST), ENOENT);
	expect_gone(f->fd, "ex");
	assert_ok(cm_puts(f->fd, "ex", "v1", CMAP_PUT_ANY));
	f->entries++;
	assert_ok(cm_puts(f->fd, "ex", "v2-replaced", CMAP_PUT_EXIST));
	expect_val(f->fd, "ex", "v2-replaced");
	check_unchanged(f);
	assert_ok(cm_dels(f->fd, "ex"));
	f->entries--;
	FAILS(f, cm_puts(f->fd, "ex", "v3", CMAP_PUT_EXIST), ENOENT);
	expect_gone(f->fd, "ex");
}

static void test_put_bad_flags(void **state)
{
	struct fx *f = fx_of(state);
	__u32 bad[] = { 3, 4, 8, 0x100, 0x80000000u, 0xffffffffu };
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		FAILS(f, cm_puts(f->fd, "bf", "v", bad[i]), EINVAL);
		expect_gone(f->fd, "bf");
		/* nor may a bad flag replace an existing key */
		FAILS(f, cm_puts(f->fd, CANARY_KEY, "bad", bad[i]), EINVAL);
	}
}

static void test_put_reserved(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_kv kv;
	int i;

	for (i = 0; i < 2; i++) {
		cm_kv(&kv, 0, "rsv", 3, "v", 1);
		kv.reserved[i] = 1;
		FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_PUT, &kv), EINVAL);
		cm_kv(&kv, 0, "rsv", 3, "v", 1);
		kv.reserved[i] = 1ULL << 63;
		FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_PUT, &kv), EINVAL);
		expect_gone(f->fd, "rsv");
		/* GET and DELETE check them too */
		cm_kv(&kv, 0, CANARY_KEY, strlen(CANARY_KEY), NULL, 0);
		kv.reserved[i] = 1;
		FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_DELETE, &kv), EINVAL);
		{
			char buf[64];

			cm_kv(&kv, 0, CANARY_KEY, strlen(CANARY_KEY), buf,
			      sizeof(buf));
			kv.reserved[i] = 1;
			FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_GET, &kv), EINVAL);
		}
	}
}

static void test_zero_length_value(void **state)
{
	struct fx *f = fx_of(state);
	__u8 buf[16] = { 0 };
	__u32 vlen;

	assert_ok(cmapc_put(f->fd, "empty", 5, buf, 0, CMAP_PUT_NOEXIST));
	f->entries++;
	memset(buf, 0xAA, sizeof(buf));
	vlen = sizeof(buf);
	assert_ok(cmapc_get(f->fd, "empty", 5, buf, &vlen));
	assert_int_equal(vlen, 0);
	for (vlen = 0; vlen < sizeof(buf); vlen++)
		assert_int_equal(buf[vlen], 0xAA);
	/* a zero-sized buffer is big enough for a zero-length value */
	vlen = 0;
	assert_ok(cmapc_get(f->fd, "empty", 5, NULL, &vlen));
	assert_int_equal(vlen, 0);
	/* it exists: NOEXIST fails, EXIST works */
	FAILS(f, cmapc_put(f->fd, "empty", 5, "x", 1, CMAP_PUT_NOEXIST), EEXIST);
	assert_ok(cmapc_put(f->fd, "empty", 5, "xy", 2, CMAP_PUT_EXIST));
	expect_val(f->fd, "empty", "xy");
	/* and back to empty */
	assert_ok(cmapc_put(f->fd, "empty", 5, "", 0, CMAP_PUT_EXIST));
	vlen = sizeof(buf);
	assert_ok(cmapc_get(f->fd, "empty", 5, buf, &vlen));
	assert_int_equal(vlen, 0);
	check_unchanged(f);
}

static void test_max_sizes(void **state)
{
	struct fx *f = fx_of(state);
	__u8 key[CMAP_KEY_MAX + 1], val[CMAP_VALUE_MAX + 1];
	static __u8 out[2 * CMAP_VALUE_MAX];
	__u32 vlen, i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = 'K' + (i % 13);
	for (i = 0; i < sizeof(val); i++)
		val[i] = (__u8)(i * 31 + 5);

	/* the maxima work */
	assert_ok(cmapc_put(f->fd, key, CMAP_KEY_MAX, val, CMAP_VALUE_MAX,
			 CMAP_PUT_NOEXIST));
	f->entries++;
	memset(out, 0, sizeof(out));
	vlen = CMAP_VALUE_MAX;
	assert_ok(cmapc_get(f->fd, key, CMAP_KEY_MAX, out, &vlen));
	assert_int_equal(vlen, CMAP_VALUE_MAX);
	assert_memory_equal(out, val, CMAP_VALUE_MAX);
	/* a buffer bigger than CMAP_VALUE_MAX is fine for GET */
	vlen = sizeof(out);
	assert_ok(cmapc_get(f->fd, key, CMAP_KEY_MAX, out, &vlen));
	assert_int_equal(vlen, CMAP_VALUE_MAX);
	/* a 1-byte key */
	assert_ok(cmapc_put(f->fd, "1", 1, val, 1, CMAP_PUT_NOEXIST));
	f->entries++;
	check_unchanged(f);

	/* one past them fails, and changes nothing */
	FAILS(f, cmapc_put(f->fd, key, CMAP_KEY_MAX + 1, val, 1, CMAP_PUT_ANY),
	      EINVAL);
	FAILS(f, cmapc_put(f->fd, key, 1000, val, 1, CMAP_PUT_ANY), EINVAL);
	FAILS(f, cmapc_put(f->fd, key, 0, val, 1, CMAP_PUT_ANY), EINVAL);
	FAILS(f, cmapc_put(f->fd, "newkey", 6, val, CMAP_VALUE_MAX + 1,
			CMAP_PUT_ANY), EINVAL);
	expect_gone(f->fd, "newkey");
	FAILS(f, cmapc_put(f->fd, "newkey", 6, val, 0xffffffffu, CMAP_PUT_ANY),
	      EINVAL);
	/* an oversized value does not replace an existing one */
	FAILS(f, cmapc_put(f->fd, key, CMAP_KEY_MAX, val, CMAP_VALUE_MAX + 1,
			CMAP_PUT_EXIST), EINVAL);
	vlen = sizeof(out);
	assert_ok(cmapc_get(f->fd, key, CMAP_KEY_MAX, out, &vlen));
	assert_int_equal(vlen, CMAP_VALUE_MAX);
	assert_memory_equal(out, val, CMAP_VALUE_MAX);

	/* GET and DELETE check key_len too */
	vlen = sizeof(out);
	FAILS(f, cmapc_get(f->fd, key, CMAP_KEY_MAX + 1, out, &vlen), EINVAL);
	vlen = sizeof(out);
	FAILS(f, cmapc_get(f->fd, key, 0, out, &vlen), EINVAL);
	FAILS(f, cmapc_delete(f->fd, key, 0), EINVAL);
	FAILS(f, cmapc_delete(f->fd, key, CMAP_KEY_MAX + 1), EINVAL);
	/* the 64-byte key can be deleted */
	assert_ok(cmapc_delete(f->fd, key, CMAP_KEY_MAX));
	f->entries--;
	check_unchanged(f);
}

static void test_get_enobufs(void **state)
{
	struct fx *f = fx_of(state);
	__u8 val[100], buf[128];
	__u32 vlen, i;

	for (i = 0; i < sizeof(val); i++)
		val[i] = (__u8)(i + 1);
	assert_ok(cmapc_put(f->fd, "big", 3, val, sizeof(val), CMAP_PUT_ANY));
	f->entries++;

	memset(buf, 0x5A, sizeof(buf));
	vlen = 99;
	assert_errno(cmapc_get(f->fd, "big", 3, buf, &vlen), ENOBUFS);
	assert_int_equal(vlen, 100);
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0x5A)
			fail_msg("GET -ENOBUFS wrote byte %u of the buffer", i);
	vlen = 1;
	assert_errno(cmapc_get(f->fd, "big", 3, buf, &vlen), ENOBUFS);
	assert_int_equal(vlen, 100);
	/* the size query idiom: no buffer at all */
	vlen = 0;
	assert_errno(cmapc_get(f->fd, "big", 3, NULL, &vlen), ENOBUFS);
	assert_int_equal(vlen, 100);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5A);
	check_unchanged(f);

	/* exactly enough */
	vlen = 100;
	assert_ok(cmapc_get(f->fd, "big", 3, buf, &vlen));
	assert_int_equal(vlen, 100);
	assert_memory_equal(buf, val, 100);
	assert_int_equal(buf[100], 0x5A);
}

static void test_get_bad_args(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_kv kv;
	char buf[64];
	__u32 vlen = sizeof(buf);

	FAILS(f, cmapc_get(f->fd, "nope", 4, buf, &vlen), ENOENT);
	/* GET takes no flags */
	cm_kv(&kv, CMAP_PUT_NOEXIST, CANARY_KEY, strlen(CANARY_KEY), buf,
	      sizeof(buf));
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_GET, &kv), EINVAL);
	cm_kv(&kv, 0x80, CANARY_KEY, strlen(CANARY_KEY), buf, sizeof(buf));
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_GET, &kv), EINVAL);
}

/* ----------------------------------------------------------------- DELETE */

static void test_delete(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_kv kv;

	assert_ok(cm_puts(f->fd, "d1", "v1", CMAP_PUT_ANY));
	assert_ok(cm_puts(f->fd, "d2", "v2", CMAP_PUT_ANY));
	f->entries += 2;
	check_unchanged(f);

	assert_ok(cm_dels(f->fd, "d1"));
	f->entries--;
	expect_gone(f->fd, "d1");
	expect_val(f->fd, "d2", "v2");
	check_unchanged(f);
	FAILS(f, cm_dels(f->fd, "d1"), ENOENT);
	FAILS(f, cm_dels(f->fd, "never"), ENOENT);

	/* DELETE: value and value_len must be zero, flags too */
	cm_kv(&kv, 0, "d2", 2, "x", 0);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_DELETE, &kv), EINVAL);
	cm_kv(&kv, 0, "d2", 2, NULL, 1);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_DELETE, &kv), EINVAL);
	cm_kv(&kv, 1, "d2", 2, NULL, 0);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_DELETE, &kv), EINVAL);
	cm_kv(&kv, 0x40, "d2", 2, NULL, 0);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_DELETE, &kv), EINVAL);
	expect_val(f->fd, "d2", "v2");
}

/* ------------------------------------------------------------------ CLEAR */

static void test_clear(void **state)
{
	struct fx *f = fx_of(state);
	char key[32], val[64];
	__u64 cursor = 0;
	__u8 buf[4096];
	__u32 count, i, vlen;
	int fd2 = fx_fd(f);

	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "clr%u", i);
		snprintf(val, sizeof(val), "val%u", i * 3);
		assert_ok(cm_puts(f->fd, key, val, CMAP_PUT_NOEXIST));
	}
	assert_int_equal(cm_entries(f->fd), 301);
	/* another file bound to the same table sees the clear */
	assert_ok(cmapc_open(fd2, f->name, NULL));

	assert_ok(cmapc_clear(f->fd));
	assert_int_equal(cm_entries(f->fd), 0);
	assert_int_equal(cm_entries(fd2), 0);
	for (i = 0; i < 300; i += 7) {
		snprintf(key, sizeof(key), "clr%u", i);
		expect_gone(fd2, key);
	}
	expect_gone(f->fd, CANARY_KEY);
	assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), &count, NULL));
	assert_int_equal(count, 0);
	assert_true(cursor == CMAP_ITER_DONE);
	/* clearing an empty table is fine */
	assert_ok(cmapc_clear(fd2));
	/* the table is still usable */
	assert_ok(cm_puts(f->fd, "clr5", "again", CMAP_PUT_NOEXIST));
	vlen = sizeof(val);
	assert_ok(cmapc_get(fd2, "clr5", 4, val, &vlen));
	assert_int_equal(vlen, 5);
	assert_int_equal(cm_entries(f->fd), 1);
}

/* ----------------------------------------------------------------- CREATE */

static void test_create_dup_name(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f);
	__u32 id = 0;

	FAILS(f, cm_create(fd2, f->name, 0, 0, 0, &id), EEXIST);
	/* fd2 stays unbound after the failure */
	assert_errno(cm_puts(fd2, "x", "y", CMAP_PUT_ANY), EBADFD);
	/* the creator's fd may not re-create it either */
	FAILS(f, cm_create(f->fd, f->name, 0, 0, 0, &id), EEXIST);
	/* and is still bound to its table */
	check_unchanged(f);
}

static void test_create_bad_names(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f);
	struct cmap_create c;
	char name31[CMAP_NAME_LEN];
	static const char *const bad[] = {
		"", "a/b", "/", "trail/", "ctl\x01" "char", "tab\tname",
		"del\x7f", "hi\x80" "bit", "nl\n",
	};
	unsigned int i;
	char *good;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		strcpy(c.name, bad[i]);
		assert_errno(cmapc_ioctl(fd2, CMAP_IOC_CREATE, &c), EINVAL);
		if (bad[i][0])
			assert_false(cm_list_has_name(fd2, bad[i]));
		assert_errno(cm_puts(fd2, "x", "y", CMAP_PUT_ANY), EBADFD);
	}
	/* 32 bytes without a NUL */
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	memset(c.name, 'n', sizeof(c.name));
	assert_errno(cmapc_ioctl(fd2, CMAP_IOC_CREATE, &c), EINVAL);
	assert_errno(cm_puts(fd2, "x", "y", CMAP_PUT_ANY), EBADFD);
	check_unchanged(f);

	/* 31 bytes + NUL is fine */
	good = fx_extra_name(f, "n31_");
	memset(name31, 'z', sizeof(name31));
	memcpy(name31, good, strlen(good));
	name31[CMAP_NAME_LEN - 1] = 0;
	strcpy(good, name31);
	assert_int_equal(strlen(good), 31);
	assert_ok(cm_create(fd2, good, 0, 0, 0, NULL));
	assert_true(cm_list_has_name(fd2, good));
	assert_ok(cm_puts(fd2, "x", "y", CMAP_PUT_ANY));
	/* and it is a different table than the fixture's */
	check_unchanged(f);
}

static void test_create_bad_config(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f);
	char *name = fx_extra_name(f, "cfg");
	struct cmap_create c;
	int i, variant;

	for (variant = 0; variant < 12; variant++) {
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		strcpy(c.name, name);
		switch (variant) {
		case 0: c.config.mode = CMAP_MODE_COUNT; break;
		case 1: c.config.mode = 0xffffffffu; break;
		case 2: c.flags = CMAP_CREATE_INLINE << 1; break;
		case 3: c.flags = 0x80000000u; break;
		case 4: c.pad = 1; break;
		case 5: c.reserved[0] = 1; break;
		case 6: c.reserved[1] = 1ULL << 40; break;
		case 7: case 8: case 9: case 10:
			c.config.reserved[variant - 7] = 1;
			break;
		case 11: c.size = 0; break;
		}
		i = cmapc_ioctl(fd2, CMAP_IOC_CREATE, &c);
		if (i != -EINVAL)
			fail_msg("CREATE variant %d: expected -EINVAL, got %s",
				 variant, errname(-i));
		assert_false(cm_list_has_name(fd2, name));
		assert_errno(cm_puts(fd2, "x", "y", CMAP_PUT_ANY), EBADFD);
		check_unchanged(f);
	}
	/* the name was never taken */
	assert_ok(cm_create(fd2, name, 0, 0, 0, NULL));
}

static void test_create_config_reported(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f);
	char *name = fx_extra_name(f, "cfr");
	struct cmap_stats st;
	__u32 id = 0;

	assert_ok(cm_create(fd2, name, 1000, 12345, 7654321, &id));
	assert_true(id != 0 && id != f->id);
	assert_ok(cmapc_stats(fd2, 0, &st));
	assert_string_equal(st.name, name);
	assert_int_equal(st.mode, cm_default_mode);
	assert_int_equal(st.max_entries, 12345);
	assert_int_equal(st.max_bytes, 7654321);
	assert_int_equal(st.create_flags, 0);
	assert_int_equal(st.entries, 0);
	assert_true(st.buckets > 0);
	/* the same through the id from another file */
	assert_ok(cmapc_stats(f->fd, id, &st));
	assert_string_equal(st.name, name);
	assert_int_equal(st.max_entries, 12345);
}

/* ------------------------------------------------------------ OPEN/rebind */

static void test_open(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f), fd3 = fx_fd(f);
	struct cmap_open o;
	char missing[CMAP_NAME_LEN];
	__u32 id = 0;
	int i;

	cm_unique_name(missing, "missing");
	assert_errno(cmapc_open(fd2, missing, NULL), ENOENT);
	assert_errno(cm_puts(fd2, "x", "y", CMAP_PUT_ANY), EBADFD);
	assert_errno(cmapc_open_id(fd2, 0xfffffff0u), ENOENT);
	assert_errno(cm_puts(fd2, "x", "y", CMAP_PUT_ANY), EBADFD);

	/* by name: the id comes back and the data is shared */
	assert_ok(cmapc_open(fd2, f->name, &id));
	assert_int_equal(id, f->id);
	check_unchanged_fd(f, fd2);
	assert_ok(cm_puts(fd2, "via2", "two", CMAP_PUT_NOEXIST));
	f->entries++;
	expect_val(f->fd, "via2", "two");

	/* by id */
	assert_ok(cmapc_open_id(fd3, f->id));
	check_unchanged_fd(f, fd3);
	expect_val(fd3, "via2", "two");
	assert_ok(cm_dels(fd3, "via2"));
	f->entries--;
	expect_gone(f->fd, "via2");

	/* OPEN's flags, pad and reserved are checked */
	for (i = 0; i < 4; i++) {
		int fd4 = fx_fd(f);

		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		strcpy(o.name, f->name);
		if (i == 0)
			o.flags = 1;
		else if (i == 1)
			o.pad = 1;
		else
			o.reserved[i - 2] = 1;
		assert_errno(cmapc_ioctl(fd4, CMAP_IOC_OPEN, &o), EINVAL);
		assert_errno(cm_puts(fd4, "x", "y", CMAP_PUT_ANY), EBADFD);
	}
	check_unchanged(f);
}

static void test_rebind(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f);
	char *nb = fx_extra_name(f, "rb");
	struct cmap_table_info ti = { 0 };
	__u32 idb = 0;

	assert_ok(cmapc_open(fd2, f->name, NULL));
	assert_ok(cm_list_find(f->fd, f->id, &ti));
	assert_int_equal(ti.files, 2);

	/* CREATE on a bound file rebinds it to the new table */
	assert_ok(cm_create(fd2, nb, 0, 0, 0, &idb));
	assert_ok(cm_list_find(f->fd, f->id, &ti));
	assert_int_equal(ti.files, 1);
	assert_ok(cm_list_find(f->fd, idb, &ti));
	assert_int_equal(ti.files, 1);
	assert_ok(cm_puts(fd2, "inB", "b", CMAP_PUT_NOEXIST));
	expect_gone(f->fd, "inB");
	expect_gone(fd2, CANARY_KEY);
	check_unchanged(f);

	/* OPEN rebinds back */
	assert_ok(cmapc_open(fd2, f->name, NULL));
	check_unchanged_fd(f, fd2);
	expect_gone(fd2, "inB");
	assert_ok(cm_list_find(f->fd, f->id, &ti));
	assert_int_equal(ti.files, 2);
	assert_ok(cm_list_find(f->fd, idb, &ti));
	assert_int_equal(ti.files, 0);
	assert_int_equal(ti.entries, 1);

	/* closing a bound file drops its binding */
	close(fd2);
	f->xfd[--f->nxfd] = -1;
	assert_ok(cm_list_find(f->fd, f->id, &ti));
	assert_int_equal(ti.files, 1);
}

/* ---------------------------------------------------------------- DESTROY */

static void expect_eidrm_all(int fd)
{
	struct cmap_batch_op op;
	struct cmap_stats st;
	struct cmap_kv kv;
	char buf[256];
	__u64 cursor = 0;
	__u32 vlen = sizeof(buf);

	assert_errno(cm_puts(fd, "k", "v", CMAP_PUT_ANY), EIDRM);
	assert_errno(cmapc_get(fd, "k", 1, buf, &vlen), EIDRM);
	assert_errno(cm_dels(fd, CANARY_KEY), EIDRM);
	assert_errno(cmapc_clear(fd), EIDRM);
	cm_bop(&op, CMAP_OP_PUT, 0, "k", 1, "v", 1);
	assert_errno(cmapc_batch(fd, &op, 1, NULL), EIDRM);
	assert_errno(cmapc_iter(fd, &cursor, buf, sizeof(buf), NULL, NULL),
		     EIDRM);
	assert_errno(cmapc_stats(fd, 0, &st), EIDRM);
	cm_kv(&kv, 0, CANARY_KEY, strlen(CANARY_KEY), buf, sizeof(buf));
	assert_errno(cmapc_ioctl(fd, CMAP_IOC_GET, &kv), EIDRM);
}

static void test_destroy(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f), fd3 = fx_fd(f);
	struct cmap_stats st;
	struct cmap_open o;
	__u32 newid;
	int i;

	assert_ok(cmapc_open(fd2, f->name, NULL));
	/* DESTROY's flags, pad and reserved are checked, nothing happens */
	for (i = 0; i < 4; i++) {
		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		strcpy(o.name, f->name);
		if (i == 0)
			o.flags = 2;
		else if (i == 1)
			o.pad = 1;
		else
			o.reserved[i - 2] = 1;
		assert_errno(cmapc_ioctl(fd3, CMAP_IOC_DESTROY, &o), EINVAL);
		check_unchanged(f);
	}

	/* an unbound third file destroys it by name */
	assert_ok(cmapc_destroy(fd3, f->name, NULL));
	f->destroyed = 1;
	expect_eidrm_all(f->fd);
	expect_eidrm_all(fd2);
	assert_false(cm_list_has_name(fd3, f->name));
	assert_errno(cmapc_stats(fd3, f->id, &st), ENOENT);
	assert_errno(cmapc_destroy(fd3, f->name, NULL), ENOENT);
	assert_errno(cmapc_open(fd3, f->name, NULL), ENOENT);
	assert_errno(cmapc_open_id(fd3, f->id), ENOENT);

	/* the name is free at once, for a new, empty table */
	assert_ok(cm_create(fd3, f->name, 0, 0, 0, &newid));
	f->destroyed = 0;
	assert_true(newid != f->id);
	assert_int_equal(cm_entries(fd3), 0);
	expect_gone(fd3, CANARY_KEY);
	/* the old bindings still see the dead table */
	expect_eidrm_all(f->fd);
	/* until they rebind */
	assert_ok(cmapc_open(fd2, f->name, NULL));
	assert_int_equal(cm_entries(fd2), 0);
	assert_ok(cm_puts(fd2, "new", "table", CMAP_PUT_NOEXIST));
	expect_val(fd3, "new", "table");
	expect_eidrm_all(f->fd);

	/* DESTROY by id */
	assert_ok(cmapc_destroy_id(f->fd, newid));
	f->destroyed = 1;
	expect_eidrm_all(fd2);
	expect_eidrm_all(fd3);
	assert_errno(cmapc_destroy_id(f->fd, newid), ENOENT);
}

/* The table's memory outlives DESTROY while a file is bound: a destroyed
 * table with many entries and bound files, closed afterwards, must not
 * crash or leak (the leak shows at rmmod, checked by run.sh). */
static void test_destroy_with_entries(void **state)
{
	struct fx *f = fx_of(state);
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX];
	int fd2 = fx_fd(f);
	__u32 i, done;

	for (i = 0; i < CMAP_BATCH_MAX; i++) {
		keys[i] = 0xd000000000000000ULL | i;
		cm_bop(&ops[i], CMAP_OP_PUT, 0, &keys[i], 8, &keys[i],
		       (i % 9) * 8 % 65);
	}
	assert_ok(cmapc_open(fd2, f->name, NULL));
	assert_ok(cmapc_batch(f->fd, ops, CMAP_BATCH_MAX, &done));
	assert_int_equal(done, CMAP_BATCH_MAX);
	assert_ok(cmapc_destroy(fd2, f->name, NULL));
	f->destroyed = 1;
	expect_eidrm_all(f->fd);
	close(fd2);
	f->xfd[--f->nxfd] = -1;
	expect_eidrm_all(f->fd);
}

static void test_unbound_ebadfd(void **state)
{
	struct fx *f = fx_of(state);
	int fd = fx_fd(f);
	struct cmap_batch_op op;
	struct cmap_table_info ti = { 0 };
	struct cmap_stats st;
	char buf[256];
	__u64 cursor = 0;
	__u32 vlen = sizeof(buf), total;

	assert_errno(cm_puts(fd, "k", "v", CMAP_PUT_ANY), EBADFD);
	assert_errno(cmapc_get(fd, "k", 1, buf, &vlen), EBADFD);
	assert_errno(cm_dels(fd, "k"), EBADFD);
	assert_errno(cmapc_clear(fd), EBADFD);
	cm_bop(&op, CMAP_OP_PUT, 0, "k", 1, "v", 1);
	assert_errno(cmapc_batch(fd, &op, 1, NULL), EBADFD);
	assert_errno(cmapc_iter(fd, &cursor, buf, sizeof(buf), NULL, NULL),
		     EBADFD);
	assert_errno(cmapc_stats(fd, 0, &st), EBADFD);
	check_unchanged(f);

	/* non-data commands work unbound */
	assert_ok(cmapc_list_into(fd, NULL, 0, NULL, &total));
	assert_true(total >= 1);
	assert_ok(cm_list_find(fd, f->id, &ti));
	assert_ok(cmapc_stats(fd, f->id, &st));
	assert_string_equal(st.name, f->name);
	assert_int_equal(st.entries, f->entries);
	/* and leave it unbound */
	assert_errno(cm_puts(fd, "k", "v", CMAP_PUT_ANY), EBADFD);
}

/* ------------------------------------------------------------------- LIST */

static void test_list(void **state)
{
	struct fx *f = fx_of(state);
	int fd2 = fx_fd(f), fd3 = fx_fd(f);
	struct cmap_table_info *tabs, ti;
	char *n2 = fx_extra_name(f, "ls"), *n3 = fx_extra_name(f, "ls");
	char comm[16];
	__u32 id2 = 0, id3 = 0, count, total, total0, i;
	struct cmap_list l;

	cm_self_comm(comm);
	assert_ok(cm_create(fd2, n2, 0, 0, 0, &id2));
	assert_ok(cm_create(fd3, n3, 0, 0, 0, &id3));
	assert_ok(cm_puts(fd2, "a", "b", CMAP_PUT_ANY));
	assert_ok(cm_puts(fd2, "c", "d", CMAP_PUT_ANY));

	assert_ok(cm_list_find(f->fd, f->id, &ti));
	assert_string_equal(ti.name, f->name);
	assert_int_equal(ti.creator_pid, getpid());
	assert_string_equal(ti.creator_comm, comm);
	assert_int_equal(ti.mode, cm_default_mode);
	assert_int_equal(ti.files, 1);
	assert_int_equal(ti.entries, f->entries);
	assert_true(ti.bytes > 0);
	assert_int_equal(ti.create_flags, 0);
	assert_int_equal(ti.reserved[0], 0);
	assert_ok(cm_list_find(f->fd, id2, &ti));
	assert_string_equal(ti.name, n2);
	assert_int_equal(ti.entries, 2);

	/* capacity 0: just the total */
	assert_ok(cmapc_list_into(f->fd, NULL, 0, &count, &total0));
	assert_int_equal(count, 0);
	assert_true(total0 >= 3);

	/* capacity 1 < total: one entry written, the rest untouched */
	tabs = calloc(total0 + 8, sizeof(*tabs));
	memset(tabs, 0xEE, (total0 + 8) * sizeof(*tabs));
	assert_ok(cmapc_list_into(f->fd, tabs, 1, &count, &total));
	assert_int_equal(count, 1);
	assert_int_equal(total, total0);
	assert_true(tabs[0].name[0] != (char)0xEE);
	for (i = 0; i < sizeof(*tabs); i++)
		assert_int_equal(((__u8 *)&tabs[1])[i], 0xEE);

	/* big enough: all of them, in id order */
	assert_ok(cmapc_list_into(f->fd, tabs, total0 + 8, &count, &total));
	assert_int_equal(total, total0);
	assert_int_equal(count, total0);
	for (i = 1; i < count; i++)
		if (tabs[i].id <= tabs[i - 1].id)
			fail_msg("LIST not in id order: %u after %u",
				 tabs[i].id, tabs[i - 1].id);
	free(tabs);

	/* a destroyed table disappears */
	assert_ok(cmapc_destroy(f->fd, n3, NULL));
	assert_ok(cmapc_list_into(f->fd, NULL, 0, NULL, &total));
	assert_int_equal(total, total0 - 1);
	assert_errno(cm_list_find(f->fd, id3, NULL), ENOENT);

	/* flags and reserved are checked */
	for (i = 0; i < 3; i++) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		if (i == 0)
			l.flags = 1;
		else
			l.reserved[i - 1] = 1;
		assert_errno(cmapc_ioctl(f->fd, CMAP_IOC_LIST, &l), EINVAL);
	}
	/* a bad array pointer */
	assert_errno(cmapc_list_into(f->fd, cm_unmapped_addr(), 4, NULL, NULL), EFAULT);
	assert_errno(cmapc_list_into(f->fd, (void *)(uintptr_t)KERNEL_ADDR, 4, NULL,
			     NULL), EFAULT);
	check_unchanged(f);
}

/* ------------------------------------------------------------------ BATCH */

static void test_batch_mixed(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_batch_op ops[12];
	char gbuf[64], gsmall[4], gbuf2[64];
	__u32 done, n = 0;

	memset(gsmall, 0x77, sizeof(gsmall));
	cm_bop(&ops[n++], CMAP_OP_PUT, CMAP_PUT_ANY, "b1", 2, "val-one", 7);
	cm_bop(&ops[n++], CMAP_OP_PUT, CMAP_PUT_NOEXIST, "b1", 2, "xx", 2);
	cm_bop(&ops[n++], CMAP_OP_GET, 0, "b1", 2, gbuf, sizeof(gbuf));
	cm_bop(&ops[n++], CMAP_OP_GET, 0, "nob", 3, gbuf2, sizeof(gbuf2));
	cm_bop(&ops[n++], CMAP_OP_PUT, CMAP_PUT_EXIST, "b2", 2, "x", 1);
	cm_bop(&ops[n++], CMAP_OP_PUT, CMAP_PUT_NOEXIST, "b2", 2, "two", 3);
	cm_bop(&ops[n++], CMAP_OP_PUT, CMAP_PUT_EXIST, "b2", 2, "TWO!", 4);
	cm_bop(&ops[n++], CMAP_OP_GET, 0, CANARY_KEY, strlen(CANARY_KEY),
	       gsmall, sizeof(gsmall));
	cm_bop(&ops[n++], CMAP_OP_DELETE, 0, "b1", 2, NULL, 0);
	cm_bop(&ops[n++], CMAP_OP_DELETE, 0, "b1", 2, NULL, 0);
	cm_bop(&ops[n++], CMAP_OP_PUT, CMAP_PUT_ANY, "b3", 2, "", 0);
	cm_bop(&ops[n++], CMAP_OP_GET, 0, "b3", 2, gbuf2, sizeof(gbuf2));

	assert_ok(cmapc_batch(f->fd, ops, n, &done));
	assert_int_equal(done, n);
	assert_int_equal(ops[0].result, 0);
	assert_int_equal(ops[1].result, -EEXIST);
	assert_int_equal(ops[2].result, 0);
	assert_int_equal(ops[2].value_len, 7);
	assert_memory_equal(gbuf, "val-one", 7);
	assert_int_equal(ops[3].result, -ENOENT);
	assert_int_equal(ops[4].result, -ENOENT);
	assert_int_equal(ops[5].result, 0);
	assert_int_equal(ops[6].result, 0);
	assert_int_equal(ops[7].result, -ENOBUFS);
	assert_int_equal(ops[7].value_len, strlen(CANARY_VAL));
	assert_memory_equal(gsmall, "\x77\x77\x77\x77", 4);
	assert_int_equal(ops[8].result, 0);
	assert_int_equal(ops[9].result, -ENOENT);
	assert_int_equal(ops[10].result, 0);
	assert_int_equal(ops[11].result, 0);
	assert_int_equal(ops[11].value_len, 0);

	f->entries += 2;	/* b2, b3 */
	expect_gone(f->fd, "b1");
	expect_val(f->fd, "b2", "TWO!");
	check_unchanged(f);

	/* a batch's ops are counted like single calls */
	{
		struct cmap_stats a, b;

		assert_ok(cmapc_stats(f->fd, 0, &a));
		assert_ok(cmapc_batch(f->fd, ops, n, &done));
		assert_ok(cmapc_stats(f->fd, 0, &b));
		assert_int_equal(b.puts - a.puts, 6);
		assert_int_equal(b.gets - a.gets, 4);
		assert_int_equal(b.deletes - a.deletes, 2);
		/* b1, b3; the canary's ENOBUFS GET may count as found */
		assert_true(b.hits - a.hits >= 2 && b.hits - a.hits <= 3);
	}
}

static void test_batch_limits(void **state)
{
	struct fx *f = fx_of(state);
	static struct cmap_batch_op ops[CMAP_BATCH_MAX + 1];
	static __u64 keys[CMAP_BATCH_MAX + 1];
	__u32 i, done;

	for (i = 0; i <= CMAP_BATCH_MAX; i++) {
		keys[i] = 0xb000000000000000ULL + i;
		cm_bop(&ops[i], CMAP_OP_PUT, CMAP_PUT_NOEXIST, &keys[i], 8,
		       &keys[i], 8);
	}
	FAILS(f, cmapc_batch(f->fd, ops, 0, NULL), EINVAL);
	FAILS(f, cmapc_batch(f->fd, ops, CMAP_BATCH_MAX + 1, NULL), EINVAL);
	FAILS(f, cmapc_batch(f->fd, ops, 0xffffffffu, NULL), EINVAL);
	assert_ok(cmapc_batch(f->fd, ops, CMAP_BATCH_MAX, &done));
	assert_int_equal(done, CMAP_BATCH_MAX);
	for (i = 0; i < CMAP_BATCH_MAX; i++)
		assert_int_equal(ops[i].result, 0);
	f->entries += CMAP_BATCH_MAX;
	check_unchanged(f);
	/* a single op */
	assert_ok(cmapc_batch(f->fd, &ops[CMAP_BATCH_MAX], 1, &done));
	assert_int_equal(done, 1);
	assert_int_equal(ops[CMAP_BATCH_MAX].result, 0);
	f->entries++;
	check_unchanged(f);
}

/* A batch that must fail as a whole: nothing of it may happen. */
static void batch_fails_whole(struct fx *f, struct cmap_batch_op *ops,
			      __u32 n, int err, const char *what)
{
	__u32 done;
	int rc = cmapc_batch(f->fd, ops, n, &done);
	char buf[16];
	__u32 vlen = sizeof(buf);

	if (rc != -err)
		fail_msg("BATCH with %s: expected -%s, got %s", what,
			 errname(err), errname(-rc));
	check_unchanged(f);
	assert_errno(cmapc_get(f->fd, "bm1", 3, buf, &vlen), ENOENT);
	vlen = sizeof(buf);
	assert_errno(cmapc_get(f->fd, "bm2", 3, buf, &vlen), ENOENT);
}

static void test_batch_malformed(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_batch_op ops[4];
	struct cmap_batch b;
	__u32 bad_codes[] = { 0, 4, 99, 0xffffffffu };
	unsigned int i;

	/* a bad op code anywhere: -EINVAL, nothing done (the first op
	 * would insert, the canary DELETE would remove) */
	for (i = 0; i < ARRAY_LEN(bad_codes); i++) {
		cm_bop(&ops[0], CMAP_OP_PUT, 0, "bm1", 3, "v", 1);
		cm_bop(&ops[1], CMAP_OP_DELETE, 0, CANARY_KEY,
		       strlen(CANARY_KEY), NULL, 0);
		cm_bop(&ops[2], bad_codes[i], 0, "bm2", 3, "v", 1);
		cm_bop(&ops[3], CMAP_OP_PUT, 0, "bm2", 3, "v", 1);
		batch_fails_whole(f, ops, 4, EINVAL, "a bad op code");
	}
	/* a non-zero reserved field in an op */
	cm_bop(&ops[0], CMAP_OP_PUT, 0, "bm1", 3, "v", 1);
	cm_bop(&ops[1], CMAP_OP_PUT, 0, "bm2", 3, "v", 1);
	ops[1].reserved = 1;
	batch_fails_whole(f, ops, 2, EINVAL, "op.reserved != 0");

	/* the batch struct's own flags and reserved */
	cm_bop(&ops[0], CMAP_OP_PUT, 0, "bm1", 3, "v", 1);
	for (i = 0; i < 3; i++) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.ops = ptr(ops);
		b.count = 1;
		if (i == 0)
			b.flags = 1;
		else
			b.reserved[i - 1] = 1;
		assert_errno(cmapc_ioctl(f->fd, CMAP_IOC_BATCH, &b), EINVAL);
		check_unchanged(f);
		expect_gone(f->fd, "bm1");
	}
}

static void test_batch_bad_pointers(void **state)
{
	struct fx *f = fx_of(state);
	long pg = sysconf(_SC_PAGESIZE);
	char *page = cm_guarded_page();
	struct cmap_batch_op *ops;
	struct cmap_batch_op o3[3];
	__u32 done;

	/* the ops array itself unreadable: -EFAULT, nothing done */
	assert_errno(cmapc_batch(f->fd, NULL, 1, NULL), EFAULT);
	assert_errno(cmapc_batch(f->fd, cm_unmapped_addr(), 2, NULL), EFAULT);
	assert_errno(cmapc_batch(f->fd, (void *)(uintptr_t)KERNEL_ADDR, 2, NULL),
		     EFAULT);
	check_unchanged(f);
	/* first op readable, second in the guard page */
	ops = (struct cmap_batch_op *)(page + pg - sizeof(*ops));
	cm_bop(&ops[0], CMAP_OP_PUT, 0, "bm1", 3, "v", 1);
	batch_fails_whole(f, ops, 2, EFAULT, "an array straddling a guard page");
	/* the op that fits runs */
	assert_ok(cmapc_batch(f->fd, ops, 1, &done));
	assert_int_equal(ops[0].result, 0);
	f->entries++;
	assert_ok(cm_dels(f->fd, "bm1"));
	f->entries--;
	cm_guarded_free(page);

	/* a bad key pointer inside an op is that op's own -EFAULT */
	cm_bop(&o3[0], CMAP_OP_PUT, 0, "bp1", 3, "one", 3);
	cm_bop(&o3[1], CMAP_OP_PUT, 0, NULL, 3, "two", 3);
	cm_bop(&o3[2], CMAP_OP_PUT, 0, "bp3", 3, "three", 5);
	assert_ok(cmapc_batch(f->fd, o3, 3, &done));
	assert_int_equal(done, 3);
	assert_int_equal(o3[0].result, 0);
	assert_int_equal(o3[1].result, -EFAULT);
	assert_int_equal(o3[2].result, 0);
	f->entries += 2;
	expect_val(f->fd, "bp1", "one");
	expect_val(f->fd, "bp3", "three");
	check_unchanged(f);
	/* a GET whose buffer is unwritable */
	cm_bop(&o3[0], CMAP_OP_GET, 0, "bp1", 3, cm_unmapped_addr(), 16);
	cm_bop(&o3[1], CMAP_OP_DELETE, 0, "bp3", 3, NULL, 0);
	assert_ok(cmapc_batch(f->fd, o3, 2, &done));
	assert_int_equal(done, 2);
	assert_int_equal(o3[0].result, -EFAULT);
	assert_int_equal(o3[1].result, 0);
	f->entries--;
	expect_val(f->fd, "bp1", "one");
	check_unchanged(f);
}

/*
 * An op with a bad key_len: the header allows either reading (the whole
 * call -EINVAL with nothing done, or that op's result -EINVAL); accept
 * both but require the chosen one to be consistent.
 */
static void test_batch_bad_lengths(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_batch_op ops[3];
	static __u8 big[CMAP_VALUE_MAX + 1];
	__u32 done, variant;
	int rc;

	for (variant = 0; variant < 3; variant++) {
		cm_bop(&ops[0], CMAP_OP_PUT, 0, "bl1", 3, "v", 1);
		if (variant == 0)
			cm_bop(&ops[1], CMAP_OP_PUT, 0, "bl2", 0, "v", 1);
		else if (variant == 1)
			cm_bop(&ops[1], CMAP_OP_GET, 0, big, CMAP_KEY_MAX + 1,
			       big, 10);
		else
			cm_bop(&ops[1], CMAP_OP_PUT, 0, "bl2", 3, big,
			       CMAP_VALUE_MAX + 1);
		cm_bop(&ops[2], CMAP_OP_PUT, 0, "bl3", 3, "v", 1);
		rc = cmapc_batch(f->fd, ops, 3, &done);
		if (rc == -EINVAL) {
			check_unchanged(f);
			expect_gone(f->fd, "bl1");
			expect_gone(f->fd, "bl3");
		} else {
			if (rc != 0)
				fail_msg("variant %u: got %s", variant,
					 errname(-rc));
			assert_int_equal(done, 3);
			assert_int_equal(ops[0].result, 0);
			assert_int_equal(ops[1].result, -EINVAL);
			assert_int_equal(ops[2].result, 0);
			expect_gone(f->fd, "bl2");
			assert_ok(cm_dels(f->fd, "bl1"));
			assert_ok(cm_dels(f->fd, "bl3"));
			check_unchanged(f);
		}
	}
}

/* ------------------------------------------------------------------- ITER */

#define ITER_N 700

struct iter_ctx {
	int seen[ITER_N];
	__u32 hash[ITER_N];
	int canary;
	int pass;
};

static void iter_kv(__u32 i, __u8 *key, __u32 *klen, __u8 *val, __u32 *vlen)
{
	__u32 j;

	*klen = 1 + (i % CMAP_KEY_MAX);
	if (*klen < 3)
		*klen = 3;
	*vlen = (i * 37) % 301;
	for (j = 0; j < *klen; j++)
		key[j] = (__u8)(i * 13 + j);
	key[0] = 'I';
	key[1] = (__u8)(i >> 8);
	key[2] = (__u8)i;
	for (j = 0; j < *vlen; j++)
		val[j] = (__u8)(i + j * 3);
}

static const char *iter_cb(const __u8 *key, __u32 klen, const __u8 *val,
			   __u32 vlen, __u32 hash, void *c)
{
	struct iter_ctx *ctx = c;
	__u8 ek[CMAP_KEY_MAX], ev[512];
	__u32 eklen, evlen, i;

	if (klen == strlen(CANARY_KEY) && !memcmp(key, CANARY_KEY, klen)) {
		if (vlen != strlen(CANARY_VAL) || memcmp(val, CANARY_VAL, vlen))
			return "canary value wrong in the dump";
		if (ctx->canary++)
			return "canary twice in the dump";
		return NULL;
	}
	if (klen < 3 || key[0] != 'I')
		return "unknown key in the dump";
	i = key[1] << 8 | key[2];
	if (i >= ITER_N)
		return "unknown key index in the dump";
	iter_kv(i, ek, &eklen, ev, &evlen);
	if (klen != eklen || memcmp(key, ek, klen))
		return "key bytes wrong in the dump";
	if (vlen != evlen || memcmp(val, ev, vlen))
		return "value wrong in the dump";
	if (ctx->seen[i]++)
		return "key twice in the dump";
	if (ctx->pass == 0)
		ctx->hash[i] = hash;
	else if (ctx->hash[i] != hash)
		return "a key's hash differs between two dumps";
	return NULL;
}

static void test_iter_dump(void **state)
{
	struct fx *f = fx_of(state);
	struct iter_ctx *ctx = calloc(1, sizeof(*ctx));
	__u8 key[CMAP_KEY_MAX], val[512];
	__u32 klen, vlen, i;
	__u32 sizes[] = { 8 + 64 + 304 + 8, 2048, 65536, CMAP_ITER_BUF_MAX };
	char msg[256];
	unsigned long calls = 0;
	struct cmap_stats a, b;
	int rc;
	unsigned int s;

	for (i = 0; i < ITER_N; i++) {
		iter_kv(i, key, &klen, val, &vlen);
		assert_ok(cmapc_put(f->fd, key, klen, val, vlen,
				 CMAP_PUT_NOEXIST));
	}
	f->entries += ITER_N;
	for (s = 0; s < ARRAY_LEN(sizes); s++) {
		memset(ctx->seen, 0, sizeof(ctx->seen));
		ctx->canary = 0;
		ctx->pass = s;
		assert_ok(cmapc_stats(f->fd, 0, &a));
		rc = cm_dump(f->fd, sizes[s], iter_cb, ctx, msg, sizeof(msg),
			     &calls);
		if (rc)
			fail_msg("dump with a %u-byte buffer: %s", sizes[s],
				 msg);
		assert_ok(cmapc_stats(f->fd, 0, &b));
		assert_int_equal(b.iters - a.iters, calls);
		assert_int_equal(ctx->canary, 1);
		for (i = 0; i < ITER_N; i++)
			if (ctx->seen[i] != 1)
				fail_msg("key %u seen %d times (buffer %u)", i,
					 ctx->seen[i], sizes[s]);
		if (s == 1 && calls < 10)
			fail_msg("a 2 KiB buffer dumped ~100 KB in %lu calls",
				 calls);
	}
	free(ctx);
	check_unchanged(f);
}

static void test_iter_small_buffers(void **state)
{
	struct fx *f = fx_of(state);
	__u8 buf[256];
	__u64 cursor;
	__u32 count, bytes, i;
	struct cmap_rec rec;
	__u32 need = CMAP_REC_SIZE(5, 100);
	__u8 val[100];

	assert_int_equal(need, 120);
	/* an empty table: done at once */
	assert_ok(cmapc_clear(f->fd));
	f->entries = 0;
	cursor = 0;
	count = bytes = 99;
	assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), &count, &bytes));
	assert_int_equal(count, 0);
	assert_int_equal(bytes, 0);
	assert_true(cursor == CMAP_ITER_DONE);

	for (i = 0; i < sizeof(val); i++)
		val[i] = (__u8)~i;
	assert_ok(cmapc_put(f->fd, "fiver", 5, val, sizeof(val), CMAP_PUT_ANY));

	/* too small for one record: -ENOBUFS and the size needed */
	cursor = 0;
	assert_errno(cmapc_iter(f->fd, &cursor, buf, 8, NULL, &bytes), ENOBUFS);
	assert_int_equal(bytes, need);
	assert_errno(cmapc_iter(f->fd, &cursor, buf, need - 1, NULL, &bytes),
		     ENOBUFS);
	assert_int_equal(bytes, need);
	assert_errno(cmapc_iter(f->fd, &cursor, buf, 1, NULL, &bytes), ENOBUFS);
	assert_int_equal(bytes, need);

	/* exactly enough */
	memset(buf, 0xCC, sizeof(buf));
	cursor = 0;
	assert_ok(cmapc_iter(f->fd, &cursor, buf, need, &count, &bytes));
	assert_int_equal(count, 1);
	assert_int_equal(bytes, need);
	memcpy(&rec, buf, sizeof(rec));
	assert_int_equal(rec.key_len, 5);
	assert_int_equal(rec.value_len, 100);
	assert_memory_equal(buf + 8, "fiver", 5);
	assert_memory_equal(buf + 13, val, 100);
	for (i = 113; i < need; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[need], 0xCC);
	assert_true(cursor > rec.hash);
	assert_true(cursor <= CMAP_ITER_DONE);
	/* continuing from there finds nothing more */
	if (cursor != CMAP_ITER_DONE) {
		assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), &count,
				  NULL));
		assert_int_equal(count, 0);
		assert_true(cursor == CMAP_ITER_DONE);
	}
	/* starting just after the record's hash skips it, at its hash finds it */
	cursor = (__u64)rec.hash + 1;
	assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), &count, NULL));
	assert_int_equal(count, 0);
	assert_true(cursor == CMAP_ITER_DONE);
	cursor = rec.hash;
	assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), &count, NULL));
	assert_int_equal(count, 1);

	/* the cursor range */
	cursor = CMAP_ITER_DONE;
	assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), &count, NULL));
	assert_int_equal(count, 0);
	assert_true(cursor == CMAP_ITER_DONE);
	cursor = CMAP_ITER_DONE + 1;
	assert_errno(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), NULL, NULL),
		     EINVAL);
	cursor = ~0ULL;
	assert_errno(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), NULL, NULL),
		     EINVAL);
	assert_int_equal(cm_entries(f->fd), 1);
}

static void test_iter_bad_args(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_iter it;
	__u8 *big, buf[512];
	__u64 cursor;
	int i;

	/* flags, pad, reserved */
	for (i = 0; i < 4; i++) {
		memset(&it, 0, sizeof(it));
		it.size = sizeof(it);
		it.buf = ptr(buf);
		it.buf_len = sizeof(buf);
		if (i == 0)
			it.flags = 1;
		else if (i == 1)
			it.pad = 1;
		else
			it.reserved[i - 2] = 1;
		FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_ITER, &it), EINVAL);
	}
	/* buffer size limit */
	big = malloc(CMAP_ITER_BUF_MAX + 4096);
	cursor = 0;
	FAILS(f, cmapc_iter(f->fd, &cursor, big, CMAP_ITER_BUF_MAX + 1, NULL,
			 NULL), EINVAL);
	cursor = 0;
	FAILS(f, cmapc_iter(f->fd, &cursor, big, 0xffffffffu, NULL, NULL), EINVAL);
	cursor = 0;
	assert_ok(cmapc_iter(f->fd, &cursor, big, CMAP_ITER_BUF_MAX, NULL, NULL));
	free(big);
	/* bad buffers */
	cursor = 0;
	FAILS(f, cmapc_iter(f->fd, &cursor, NULL, 4096, NULL, NULL), EFAULT);
	cursor = 0;
	FAILS(f, cmapc_iter(f->fd, &cursor, cm_unmapped_addr(), 4096, NULL, NULL),
	      EFAULT);
	cursor = 0;
	FAILS(f, cmapc_iter(f->fd, &cursor, (void *)(uintptr_t)KERNEL_ADDR, 4096,
			 NULL, NULL), EFAULT);
	/* read-only buffer */
	{
		long pg = sysconf(_SC_PAGESIZE);
		void *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

		cursor = 0;
		FAILS(f, cmapc_iter(f->fd, &cursor, ro, pg, NULL, NULL), EFAULT);
		munmap(ro, pg);
	}
}

/* ------------------------------------------------------------------ STATS */

static void test_stats(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_stats a, b;
	char comm[16], buf[64];
	__u64 cursor = 0;
	__u32 vlen;
	unsigned int i;
	int rc;

	cm_self_comm(comm);
	assert_ok(cmapc_stats(f->fd, 0, &a));
	assert_int_equal(a.id, f->id);
	assert_string_equal(a.name, f->name);
	assert_int_equal(a.mode, cm_default_mode);
	assert_int_equal(a.entries, f->entries);
	assert_int_equal(a.creator_pid, getpid());
	assert_string_equal(a.creator_comm, comm);
	assert_true(a.buckets > 0);
	assert_true(a.bytes > 0);
	assert_true(a.puts >= 1);	/* the canary */
	/* bucket locks: every mode but COW (a mutex, no bucket locks) */
	if (!cow())
		assert_true(a.lock_acquisitions > 0);
	assert_int_equal(a.pad, 0);
	for (i = 0; i < ARRAY_LEN(a.reserved); i++)
		assert_int_equal(a.reserved[i], 0);

	/* 3 puts (1 fails), 2 gets (1 hits), 2 deletes (1 fails), 1 iter */
	assert_ok(cm_puts(f->fd, "s1", "v1", CMAP_PUT_ANY));
	assert_ok(cm_puts(f->fd, "s2", "v2", CMAP_PUT_NOEXIST));
	assert_errno(cm_puts(f->fd, "s1", "v1", CMAP_PUT_NOEXIST), EEXIST);
	vlen = sizeof(buf);
	assert_ok(cmapc_get(f->fd, "s1", 2, buf, &vlen));
	vlen = sizeof(buf);
	assert_errno(cmapc_get(f->fd, "s9", 2, buf, &vlen), ENOENT);
	assert_ok(cm_dels(f->fd, "s2"));
	assert_errno(cm_dels(f->fd, "s2"), ENOENT);
	assert_ok(cmapc_iter(f->fd, &cursor, buf, sizeof(buf), NULL, NULL));
	f->entries++;

	assert_ok(cmapc_stats(f->fd, 0, &b));
	assert_int_equal(b.entries, f->entries);
	assert_int_equal(b.puts - a.puts, 3);
	assert_int_equal(b.gets - a.gets, 2);
	assert_int_equal(b.hits - a.hits, 1);
	assert_int_equal(b.deletes - a.deletes, 2);
	assert_int_equal(b.iters - a.iters, 1);
	if (!cow())
		assert_true(b.lock_acquisitions > a.lock_acquisitions);
	assert_true(b.bytes > 0);
	assert_true(b.lock_contended <= b.lock_acquisitions);

	/* flags and every reserved field (pad: see test_stats_pad) */
	for (i = 0; i < 1 + ARRAY_LEN(a.reserved); i++) {
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		if (i == 0)
			a.flags = 1;
		else
			a.reserved[i - 1] = 1;
		rc = cmapc_ioctl(f->fd, CMAP_IOC_STATS, &a);
		if (rc != -EINVAL)
			fail_msg("STATS with %s[%u] non-zero: expected -EINVAL, got %s",
				 i == 0 ? "flags" : "reserved", i ? i - 1 : 0,
				 errname(-rc));
	}
	/* reading stats changes nothing */
	assert_ok(cmapc_stats(f->fd, 0, &a));
	assert_int_equal(a.puts, b.puts);
	assert_int_equal(a.gets, b.gets);
	assert_int_equal(a.deletes, b.deletes);
	check_unchanged(f);

	/* an unknown id */
	assert_errno(cmapc_stats(f->fd, 0xfffffff3u, &a), ENOENT);
}

/*
 * STATS' pad is documented as "zero": it comes back zero.  Whether a
 * non-zero pad on input is an error (the general rule for padding) or
 * ignored (like the out fields) the header leaves open: accept both.
 */
static void test_stats_pad(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_stats st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.pad = 0xffffffffu;
	rc = cmapc_ioctl(f->fd, CMAP_IOC_STATS, &st);
	if (rc == 0) {
		assert_int_equal(st.pad, 0);
		assert_int_equal(st.entries, f->entries);
	} else if (rc != -EINVAL) {
		fail_msg("STATS with pad != 0: %s", errname(-rc));
	}
}

static void test_stats_resizes(void **state)
{
	struct fx *f = fx_of(state);
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX];
	struct cmap_stats a, b;
	int fd2 = fx_fd(f);
	char *name = fx_extra_name(f, "rsz");
	__u32 i, round, done, rounds = cow() ? 4 : 20;
	double t0;

	assert_ok(cm_create(fd2, name, 1, 0, 0, NULL));
	assert_ok(cmapc_stats(fd2, 0, &a));
	assert_int_equal(a.resizes, 0);
	for (round = 0; round < rounds; round++) {
		for (i = 0; i < CMAP_BATCH_MAX; i++) {
			keys[i] = (__u64)round << 32 | i;
			cm_bop(&ops[i], CMAP_OP_PUT, CMAP_PUT_NOEXIST, &keys[i],
			       8, &keys[i], 8);
		}
		assert_ok(cmapc_batch(fd2, ops, CMAP_BATCH_MAX, &done));
		assert_int_equal(done, CMAP_BATCH_MAX);
		for (i = 0; i < CMAP_BATCH_MAX; i++)
			if (ops[i].result) {
				assert_ok(cmapc_stats(fd2, 0, &b));
				fail_msg("round %u op %u (key %#llx, %llu entries, %llu buckets, resizing %llu): %s",
					 round, i, (unsigned long long)keys[i],
					 (unsigned long long)b.entries,
					 (unsigned long long)b.buckets,
					 (unsigned long long)b.resizing,
					 errname(-ops[i].result));
			}
	}
	/* wait for a migration in progress to finish */
	t0 = now_sec();
	do {
		assert_ok(cmapc_stats(fd2, 0, &b));
		if (!b.resizing && b.load_factor_milli < 6500)
			break;
		usleep(10000);
	} while (now_sec() - t0 < 30);
	assert_int_equal(b.entries, rounds * CMAP_BATCH_MAX);
	assert_true(b.resizes > 0);
	assert_true(b.buckets > a.buckets);
	assert_int_equal(b.resizing, 0);
	if (b.load_factor_milli >= 6500)
		fail_msg("load factor %llu with %llu entries in %llu buckets after growing",
			 (unsigned long long)b.load_factor_milli,
			 (unsigned long long)b.entries,
			 (unsigned long long)b.buckets);
	/* entries per head bucket, times 1000 */
	{
		__u64 lf = b.entries * 1000 / b.buckets;

		if (b.load_factor_milli + 1 < lf || b.load_factor_milli > lf + 1)
			fail_msg("load_factor_milli %llu, entries*1000/buckets %llu",
				 (unsigned long long)b.load_factor_milli,
				 (unsigned long long)lf);
	}
	assert_true(b.bytes > a.bytes + rounds * CMAP_BATCH_MAX * 16);
	fprintf(stderr, "# stats after %u inserts: buckets %llu overflow %llu resizes %llu bytes %llu\n",
		rounds * CMAP_BATCH_MAX, (unsigned long long)b.buckets,
		(unsigned long long)b.overflow_buckets,
		(unsigned long long)b.resizes, (unsigned long long)b.bytes);
	check_unchanged(f);
}

/*
 * Growing from the smallest table: fast inserts must never fail because
 * the table has not grown yet ("-ENOSPC: max_entries or max_bytes", and
 * "never -EBUSY because a resize is in progress").  Several tables, since
 * a lost or late resize shows only sometimes.
 */
static void test_growth_tiny_hint(void **state)
{
	struct fx *f = fx_of(state);
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX];
	struct cmap_stats st;
	char name[CMAP_NAME_LEN];
	__u32 t, round, i, done, bad, tables = cm_scaled(cow() ? 2 : 40);
	int fd, failed = 0;
	char msg[512];
	double t0;

	/* busy CPUs: a resize deferred to a worker may have to wait */
	fd = fx_fd(f);
	spin_begin();
	for (t = 0; t < tables && !failed; t++) {
		/* CREATE rebinds the file to each new table */
		cm_unique_name(name, "tiny");
		assert_ok(cm_create(fd, name, 1, 0, 0, NULL));
		for (round = 0; round < 4; round++) {
			for (i = 0; i < CMAP_BATCH_MAX; i++) {
				keys[i] = (__u64)round << 32 | i;
				cm_bop(&ops[i], CMAP_OP_PUT, CMAP_PUT_NOEXIST,
				       &keys[i], 8, &keys[i], 8);
			}
			assert_ok(cmapc_batch(fd, ops, CMAP_BATCH_MAX, &done));
			assert_int_equal(done, CMAP_BATCH_MAX);
			for (i = 0, bad = 0; i < CMAP_BATCH_MAX; i++)
				bad += ops[i].result != 0;
			if (bad && !failed) {
				for (i = 0; !ops[i].result; i++)
					;
				assert_ok(cmapc_stats(fd, 0, &st));
				failed = 1;
				snprintf(msg, sizeof(msg), "table %u round %u: %u of %u inserts failed, first op %u: %s; entries %llu, buckets %llu, overflow %llu, resizing %llu, resizes %llu",
					 t, round, bad, CMAP_BATCH_MAX, i,
					 errname(-ops[i].result),
					 (unsigned long long)st.entries,
					 (unsigned long long)st.buckets,
					 (unsigned long long)st.overflow_buckets,
					 (unsigned long long)st.resizing,
					 (unsigned long long)st.resizes);
			}
		}
		if (failed) {
			cmapc_destroy(fd, name, NULL);
			break;
		}
		/* and it did grow */
		t0 = now_sec();
		do {
			assert_ok(cmapc_stats(fd, 0, &st));
			if (!st.resizing && st.load_factor_milli < 6500)
				break;
			usleep(10000);
		} while (now_sec() - t0 < 10);
		assert_int_equal(st.entries, 4 * CMAP_BATCH_MAX);
		if (st.load_factor_milli >= 6500)
			fail_msg("table %u: %llu entries in %llu buckets",
				 t, (unsigned long long)st.entries,
				 (unsigned long long)st.buckets);
		assert_ok(cmapc_destroy(fd, name, NULL));
	}
	spin_end();
	if (failed)
		fail_msg("%s", msg);
	check_unchanged(f);
}

/* ----------------------------------------------------------------- ENOSPC */

static void test_enospc_entries(void **state)
{
	struct fx *f = fx_of(state);
	int fd = fx_fd(f);
	char *name = fx_extra_name(f, "spc");
	struct cmap_batch_op ops[2];
	struct cmap_stats st;
	char key[16], buf[64];
	__u32 i, done, vlen;

	assert_ok(cm_create(fd, name, 0, 10, 0, NULL));
	assert_ok(cmapc_stats(fd, 0, &st));
	assert_int_equal(st.max_entries, 10);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "e%u", i);
		assert_ok(cm_puts(fd, key, "v", CMAP_PUT_NOEXIST));
	}
	assert_errno(cm_puts(fd, "e10", "v", CMAP_PUT_ANY), ENOSPC);
	assert_errno(cm_puts(fd, "e11", "v", CMAP_PUT_NOEXIST), ENOSPC);
	assert_int_equal(cm_entries(fd), 10);
	expect_gone(fd, "e10");
	expect_gone(fd, "e11");
	/* replacing works at the limit, also with a bigger value */
	assert_ok(cm_puts(fd, "e3", "a-much-longer-value", CMAP_PUT_ANY));
	assert_ok(cm_puts(fd, "e4", "vv", CMAP_PUT_EXIST));
	expect_val(fd, "e3", "a-much-longer-value");
	assert_errno(cm_puts(fd, "e4", "x", CMAP_PUT_NOEXIST), EEXIST);
	/* in a batch too */
	cm_bop(&ops[0], CMAP_OP_PUT, 0, "e12", 3, "v", 1);
	cm_bop(&ops[1], CMAP_OP_PUT, 0, "e5", 2, "new5", 4);
	assert_ok(cmapc_batch(fd, ops, 2, &done));
	assert_int_equal(done, 2);
	assert_int_equal(ops[0].result, -ENOSPC);
	assert_int_equal(ops[1].result, 0);
	expect_val(fd, "e5", "new5");
	assert_int_equal(cm_entries(fd), 10);
	/* freeing a slot makes room for exactly one */
	assert_ok(cm_dels(fd, "e0"));
	assert_ok(cm_puts(fd, "e10", "v10", CMAP_PUT_NOEXIST));
	assert_errno(cm_puts(fd, "e11", "v", CMAP_PUT_ANY), ENOSPC);
	vlen = sizeof(buf);
	assert_ok(cmapc_get(fd, "e10", 3, buf, &vlen));
	/* CLEAR frees them all */
	assert_ok(cmapc_clear(fd));
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "n%u", i);
		assert_ok(cm_puts(fd, key, "v", CMAP_PUT_NOEXIST));
	}
	assert_errno(cm_puts(fd, "n10", "v", CMAP_PUT_ANY), ENOSPC);
	assert_int_equal(cm_entries(fd), 10);
	check_unchanged(f);
}

/* Bytes an entry is charged, from the STATS bytes delta of one PUT. */
static __u64 entry_charge(int fd, const char *key, const void *val,
			  __u32 vlen)
{
	struct cmap_stats a, b;

	assert_ok(cmapc_stats(fd, 0, &a));
	assert_ok(cmapc_put(fd, key, strlen(key), val, vlen, CMAP_PUT_NOEXIST));
	assert_ok(cmapc_stats(fd, 0, &b));
	assert_int_equal(a.buckets, b.buckets);
	assert_ok(cm_dels(fd, key));
	assert_true(b.bytes > a.bytes + vlen);
	return b.bytes - a.bytes;
}

static void test_enospc_bytes(void **state)
{
	struct fx *f = fx_of(state);
	int fd = fx_fd(f);
	char *name = fx_extra_name(f, "spb");
	static __u8 val[CMAP_VALUE_MAX], out[CMAP_VALUE_MAX];
	struct cmap_stats st;
	__u64 big, small, limit;
	__u32 vlen;

	memset(val, 'b', sizeof(val));
	/* what a 4-byte key with a 4096 / 10 byte value is charged */
	big = entry_charge(f->fd, "cal1", val, CMAP_VALUE_MAX);
	small = entry_charge(f->fd, "cal2", val, 10);
	assert_true(big > small);
	check_unchanged(f);

	/* room for exactly two big entries and a small one */
	limit = 2 * big + small;
	assert_ok(cm_create(fd, name, 64, 0, limit, NULL));
	assert_ok(cmapc_stats(fd, 0, &st));
	assert_int_equal(st.max_bytes, limit);
	assert_ok(cmapc_put(fd, "bigA", 4, val, CMAP_VALUE_MAX, CMAP_PUT_NOEXIST));
	assert_ok(cmapc_put(fd, "bigB", 4, val, CMAP_VALUE_MAX, CMAP_PUT_NOEXIST));
	assert_ok(cmapc_put(fd, "smlS", 4, val, 10, CMAP_PUT_NOEXIST));
	assert_int_equal(cm_entries(fd), 3);
	/* full: any new entry fails, even an empty value */
	assert_errno(cmapc_put(fd, "bigC", 4, val, CMAP_VALUE_MAX, CMAP_PUT_ANY),
		     ENOSPC);
	assert_errno(cmapc_put(fd, "e", 1, val, 0, CMAP_PUT_ANY), ENOSPC);
	assert_int_equal(cm_entries(fd), 3);
	vlen = 0;
	assert_errno(cmapc_get(fd, "bigC", 4, NULL, &vlen), ENOENT);
	/* growing a value past the limit fails and keeps the old value */
	assert_errno(cmapc_put(fd, "smlS", 4, val, CMAP_VALUE_MAX, CMAP_PUT_ANY),
		     ENOSPC);
	assert_errno(cmapc_put(fd, "smlS", 4, val, 2000, CMAP_PUT_EXIST), ENOSPC);
	vlen = sizeof(out);
	assert_ok(cmapc_get(fd, "smlS", 4, out, &vlen));
	assert_int_equal(vlen, 10);
	/* a same-size replace fits */
	assert_ok(cmapc_put(fd, "smlS", 4, "0123456789", 10, CMAP_PUT_EXIST));
	/* shrinking a value frees bytes */
	assert_ok(cmapc_put(fd, "bigB", 4, val, 100, CMAP_PUT_EXIST));
	assert_ok(cmapc_put(fd, "e", 1, val, 0, CMAP_PUT_ANY));
	assert_ok(cm_dels(fd, "e"));
	assert_ok(cmapc_put(fd, "bigB", 4, val, CMAP_VALUE_MAX, CMAP_PUT_EXIST));
	/* freeing a big one makes room for the grown one */
	assert_ok(cm_dels(fd, "bigA"));
	assert_ok(cmapc_put(fd, "smlS", 4, val, CMAP_VALUE_MAX, CMAP_PUT_ANY));
	vlen = sizeof(out);
	assert_ok(cmapc_get(fd, "smlS", 4, out, &vlen));
	assert_int_equal(vlen, CMAP_VALUE_MAX);
	/* exactly at the limit again, then full */
	assert_ok(cmapc_put(fd, "smlT", 4, val, 10, CMAP_PUT_NOEXIST));
	assert_errno(cmapc_put(fd, "e", 1, val, 0, CMAP_PUT_ANY), ENOSPC);
	assert_int_equal(cm_entries(fd), 3);
	check_unchanged(f);
}

/* ----------------------------------------------------------------- EFAULT */

static void test_efault_kv(void **state)
{
	struct fx *f = fx_of(state);
	long pg = sysconf(_SC_PAGESIZE);
	char *page = cm_guarded_page();
	void *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *kaddr = (void *)(uintptr_t)KERNEL_ADDR;
	void *gone = cm_unmapped_addr();	/* no mmap() after this one */
	char *straddle = page + pg - 4;
	char buf[64];
	__u32 vlen;

	memcpy(straddle, "stra", 4);
	/* bad key pointers, for an insert and for a replace of the canary */
	FAILS(f, cmapc_put(f->fd, NULL, 4, "v", 1, CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, gone, 4, "v", 1, CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, kaddr, 4, "v", 1, CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, straddle, 8, "v", 1, CMAP_PUT_ANY), EFAULT);
	/* bad value pointers: nothing inserted, nothing replaced */
	FAILS(f, cmapc_put(f->fd, "fv", 2, NULL, 10, CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, "fv", 2, gone, 10, CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, "fv", 2, kaddr, 10, CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, "fv", 2, page + pg - 100, 200, CMAP_PUT_ANY),
	      EFAULT);
	expect_gone(f->fd, "fv");
	FAILS(f, cmapc_put(f->fd, CANARY_KEY, strlen(CANARY_KEY), gone, 10,
			CMAP_PUT_ANY), EFAULT);
	FAILS(f, cmapc_put(f->fd, CANARY_KEY, strlen(CANARY_KEY),
			page + pg - 100, 200, CMAP_PUT_EXIST), EFAULT);
	/* GET: bad key, bad or read-only value buffer */
	vlen = sizeof(buf);
	FAILS(f, cmapc_get(f->fd, NULL, 4, buf, &vlen), EFAULT);
	vlen = sizeof(buf);
	FAILS(f, cmapc_get(f->fd, kaddr, 4, buf, &vlen), EFAULT);
	vlen = 64;
	FAILS(f, cmapc_get(f->fd, CANARY_KEY, strlen(CANARY_KEY), gone, &vlen),
	      EFAULT);
	vlen = 64;
	FAILS(f, cmapc_get(f->fd, CANARY_KEY, strlen(CANARY_KEY), kaddr, &vlen),
	      EFAULT);
	vlen = 64;
	FAILS(f, cmapc_get(f->fd, CANARY_KEY, strlen(CANARY_KEY), ro, &vlen),
	      EFAULT);
	vlen = 64;
	FAILS(f, cmapc_get(f->fd, CANARY_KEY, strlen(CANARY_KEY), page + pg - 8,
			&vlen), EFAULT);
	/* DELETE: bad key */
	FAILS(f, cmapc_delete(f->fd, NULL, 6), EFAULT);
	FAILS(f, cmapc_delete(f->fd, gone, 6), EFAULT);
	FAILS(f, cmapc_delete(f->fd, kaddr, 6), EFAULT);
	munmap(ro, pg);
	cm_guarded_free(page);
}

static void test_efault_struct(void **state)
{
	struct fx *f = fx_of(state);
	long pg = sysconf(_SC_PAGESIZE);
	static const unsigned long cmds[] = {
		CMAP_IOC_CREATE, CMAP_IOC_OPEN, CMAP_IOC_DESTROY,
		CMAP_IOC_LIST, CMAP_IOC_PUT, CMAP_IOC_GET, CMAP_IOC_DELETE,
		CMAP_IOC_BATCH, CMAP_IOC_ITER, CMAP_IOC_STATS,
	};
	void *bad[3];
	unsigned int i, j;
	char *ro, *page = cm_guarded_page();
	struct cmap_kv *kv;
	char out[64];

	bad[0] = NULL;
	bad[1] = cm_unmapped_addr();
	bad[2] = (void *)(uintptr_t)KERNEL_ADDR;
	for (i = 0; i < ARRAY_LEN(cmds); i++)
		for (j = 0; j < ARRAY_LEN(bad); j++) {
			int rc = cmapc_ioctl(f->fd, cmds[i], bad[j]);

			if (rc != -EFAULT)
				fail_msg("ioctl %#lx with struct at %p: expected -EFAULT, got %s",
					 cmds[i], bad[j], errname(-rc));
			check_unchanged(f);
		}
	/* a struct cut short by the guard page: only its size field readable */
	kv = (struct cmap_kv *)(page + pg - 4);
	kv->size = sizeof(struct cmap_kv);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_PUT, kv), EFAULT);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_GET, kv), EFAULT);

	/* GET with the struct read-only: value_len cannot be written back */
	ro = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	cm_kv((struct cmap_kv *)ro, 0, CANARY_KEY, strlen(CANARY_KEY), out,
	      sizeof(out));
	mprotect(ro, pg, PROT_READ);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_GET, ro), EFAULT);
	/* STATS likewise */
	mprotect(ro, pg, PROT_READ | PROT_WRITE);
	memset(ro, 0, sizeof(struct cmap_stats));
	((struct cmap_stats *)ro)->size = sizeof(struct cmap_stats);
	mprotect(ro, pg, PROT_READ);
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_STATS, ro), EFAULT);
	munmap(ro, pg);
	cm_guarded_free(page);
}

/* ----------------------------------------------------------------- ENOTTY */

static void test_enotty(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_kv kv;
	struct termios tio;
	int i;
	unsigned long cmds[] = {
		_IO(CMAP_IOC_MAGIC, 99),
		_IO(CMAP_IOC_MAGIC, 0),
		_IOWR(CMAP_IOC_MAGIC, 14, struct cmap_kv),
		_IOWR(CMAP_IOC_MAGIC, 63, struct cmap_kv),
		_IOWR(CMAP_IOC_MAGIC, 255, struct cmap_stats),
		/* a known number with another direction */
		_IOR(CMAP_IOC_MAGIC, 6, struct cmap_kv),
		_IOWR(_IOC_TYPE(CMAP_IOC_PUT), _IOC_NR(CMAP_IOC_PUT),
		      struct cmap_kv),
		_IOR(_IOC_TYPE(CMAP_IOC_PUT), _IOC_NR(CMAP_IOC_PUT),
		     struct cmap_kv),
		_IO(_IOC_TYPE(CMAP_IOC_PUT), _IOC_NR(CMAP_IOC_PUT)),
		_IOWR(_IOC_TYPE(CMAP_IOC_DELETE), _IOC_NR(CMAP_IOC_DELETE),
		      struct cmap_kv),
		_IOW(_IOC_TYPE(CMAP_IOC_CLEAR), _IOC_NR(CMAP_IOC_CLEAR), int),
		_IOW(_IOC_TYPE(CMAP_IOC_VERSION), _IOC_NR(CMAP_IOC_VERSION),
		     struct cmap_version),
		_IOR(_IOC_TYPE(CMAP_IOC_VERSION), _IOC_NR(CMAP_IOC_VERSION),
		     struct cmap_version),
		/* and the same numbers in another driver's type */
		_IOWR('x', 5, struct cmap_kv),
		_IOWR(CMAP_IOC_MAGIC + 1, 5, struct cmap_kv),
	};

	cm_kv(&kv, 0, "tty", 3, "v", 1);
	for (i = 0; i < (int)ARRAY_LEN(cmds); i++) {
		int rc = cmapc_ioctl(f->fd, cmds[i], &kv);

		if (rc != -ENOTTY)
			fail_msg("ioctl %#lx: expected -ENOTTY, got %s", cmds[i],
				 errname(-rc));
		check_unchanged(f);
	}
	/* an ioctl of another kind of file */
	assert_errno(cmapc_ioctl(f->fd, TCGETS, &tio), ENOTTY);
	assert_true(isatty(f->fd) == 0);
	expect_gone(f->fd, "tty");
	/* on an unbound file too */
	i = fx_fd(f);
	assert_errno(cmapc_ioctl(i, _IO(CMAP_IOC_MAGIC, 99), NULL), ENOTTY);
	check_unchanged(f);
}

/*
 * The size bits of a command are not part of it: a known type, number and
 * direction with any size is that command, the struct's @size is what
 * counts.  (A DELETE of the canary issued with odd sizes in the command
 * deletes it; the PUT puts it back.)
 */
static void test_cmd_size_bits(void **state)
{
	struct fx *f = fx_of(state);
	static const size_t sizes[] = { 0, 4, sizeof(struct cmap_kv) - 8,
					sizeof(struct cmap_kv) + 8, 4096, 16383 };
	struct cmap_kv kv;
	char out[64];
	unsigned int i;

	for (i = 0; i < ARRAY_LEN(sizes); i++) {
		cm_kv(&kv, 0, CANARY_KEY, strlen(CANARY_KEY), NULL, 0);
		assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_DELETE, sizes[i]),
				   &kv));
		expect_gone(f->fd, CANARY_KEY);
		cm_kv(&kv, CMAP_PUT_NOEXIST, CANARY_KEY, strlen(CANARY_KEY),
		      CANARY_VAL, strlen(CANARY_VAL));
		assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_PUT, sizes[i]),
				   &kv));
		cm_kv(&kv, 0, CANARY_KEY, strlen(CANARY_KEY), out, sizeof(out));
		assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_GET, sizes[i]),
				   &kv));
		assert_int_equal(kv.value_len, strlen(CANARY_VAL));
		assert_memory_equal(out, CANARY_VAL, kv.value_len);
		assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_CLEAR, sizes[i]),
				   NULL));
		assert_int_equal(cm_entries(f->fd), 0);
		assert_ok(cm_puts(f->fd, CANARY_KEY, CANARY_VAL, CMAP_PUT_NOEXIST));
	}
	f->entries = 1;
	check_unchanged(f);
}

/* ------------------------------------------------------ struct size field */

/* An oversized request: the struct, then tail bytes; size covers both. */
#define TAIL 16
union big_req {
	struct cmap_kv kv;
	struct cmap_create create;
	struct cmap_open open;
	struct cmap_list list;
	struct cmap_batch batch;
	struct cmap_iter iter;
	struct cmap_stats stats;
	struct cmap_version version;
	__u8 raw[sizeof(struct cmap_stats) + TAIL];
};

static void test_size_oversized(void **state)
{
	struct fx *f = fx_of(state);
	static union big_req r;
	struct cmap_batch_op op;
	char *n1 = fx_extra_name(f, "big");
	int fd = fx_fd(f), pass, rc;
	__u8 buf[512];
	char out[64];
	for (pass = 0; pass < 4; pass++) {
		/* even passes: non-zero byte at the very end of the tail:
		 * -E2BIG and nothing happens; odd passes: zero tail: accepted.
		 * Passes 2 and 3 put the struct's size in the command too, as
		 * a program built against a header with the bigger struct
		 * does. */
		__u8 tailbyte = pass % 2 == 0 ? 1 : 0;
		int want = pass % 2 == 0 ? -E2BIG : 0;
		int ok = pass % 2;
		int sized = pass >= 2;

#define OVERSIZE(type, field)						\
	do {								\
		memset(r.raw + sizeof(type), 0, TAIL);			\
		r.raw[sizeof(type) + TAIL - 1] = tailbyte;		\
		r.field.size = sizeof(type) + TAIL;			\
	} while (0)
#define CMD(cmd) (sized ? cm_cmd_sized(cmd, r.kv.size) : (cmd))
#define CHECK_RC(what)							\
	do {								\
		if (rc != want)						\
			fail_msg("%s with size sizeof+%d%s, tail %u: expected %s, got %s", \
				 what, TAIL, sized ? " (command too)" : "", \
				 tailbyte, errname(-want), errname(-rc)); \
	} while (0)

		/* PUT */
		memset(&r, 0, sizeof(r));
		cm_kv(&r.kv, 0, "over", 4, "sized", 5);
		OVERSIZE(struct cmap_kv, kv);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_PUT), &r);
		CHECK_RC("PUT");
		if (!ok) {
			expect_gone(f->fd, "over");
			check_unchanged(f);
		} else {
			expect_val(f->fd, "over", "sized");
			f->entries++;
		}
		/* GET */
		memset(&r, 0, sizeof(r));
		cm_kv(&r.kv, 0, CANARY_KEY, strlen(CANARY_KEY), out,
		      sizeof(out));
		OVERSIZE(struct cmap_kv, kv);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_GET), &r);
		CHECK_RC("GET");
		if (ok)
			assert_int_equal(r.kv.value_len, strlen(CANARY_VAL));
		/* DELETE */
		memset(&r, 0, sizeof(r));
		cm_kv(&r.kv, 0, "over", 4, NULL, 0);
		OVERSIZE(struct cmap_kv, kv);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_DELETE), &r);
		if (!ok) {
			CHECK_RC("DELETE");
		} else {
			assert_int_equal(rc, 0);
			f->entries--;
		}
		check_unchanged(f);
		/* CREATE */
		memset(&r, 0, sizeof(r));
		r.create.size = sizeof(r.create);
		strcpy(r.create.name, n1);
		OVERSIZE(struct cmap_create, create);
		rc = cmapc_ioctl(fd, CMD(CMAP_IOC_CREATE), &r);
		CHECK_RC("CREATE");
		assert_int_equal(cm_list_has_name(fd, n1), ok);
		/* OPEN */
		memset(&r, 0, sizeof(r));
		strcpy(r.open.name, f->name);
		OVERSIZE(struct cmap_open, open);
		rc = cmapc_ioctl(fd, CMD(CMAP_IOC_OPEN), &r);
		CHECK_RC("OPEN");
		if (ok) {
			assert_int_equal(r.open.id, f->id);
			check_unchanged_fd(f, fd);
		}
		/* LIST */
		memset(&r, 0, sizeof(r));
		OVERSIZE(struct cmap_list, list);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_LIST), &r);
		CHECK_RC("LIST");
		if (ok)
			assert_true(r.list.total >= 2);
		/* BATCH */
		memset(&r, 0, sizeof(r));
		cm_bop(&op, CMAP_OP_PUT, 0, "obatch", 6, "v", 1);
		r.batch.ops = ptr(&op);
		r.batch.count = 1;
		OVERSIZE(struct cmap_batch, batch);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_BATCH), &r);
		CHECK_RC("BATCH");
		if (!ok) {
			expect_gone(f->fd, "obatch");
		} else {
			assert_int_equal(r.batch.done, 1);
			assert_int_equal(op.result, 0);
			assert_ok(cm_dels(f->fd, "obatch"));
		}
		check_unchanged(f);
		/* ITER */
		memset(&r, 0, sizeof(r));
		r.iter.buf = ptr(buf);
		r.iter.buf_len = sizeof(buf);
		OVERSIZE(struct cmap_iter, iter);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_ITER), &r);
		CHECK_RC("ITER");
		if (ok)
			assert_int_equal(r.iter.count, 1);
		/* STATS */
		memset(&r, 0, sizeof(r));
		OVERSIZE(struct cmap_stats, stats);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_STATS), &r);
		CHECK_RC("STATS");
		if (ok)
			assert_int_equal(r.stats.entries, f->entries);
		/* VERSION */
		memset(&r, 0, sizeof(r));
		OVERSIZE(struct cmap_version, version);
		rc = cmapc_ioctl(f->fd, CMD(CMAP_IOC_VERSION), &r);
		CHECK_RC("VERSION");
		if (ok)
			assert_int_equal(r.version.abi_version, CMAP_ABI_VERSION);
		else
			assert_int_equal(r.version.abi_version, 0);
		/* DESTROY */
		memset(&r, 0, sizeof(r));
		strcpy(r.open.name, n1);
		OVERSIZE(struct cmap_open, open);
		rc = cmapc_ioctl(fd, CMD(CMAP_IOC_DESTROY), &r);
		if (!ok) {
			/* the table does not exist then either way */
			if (rc != -E2BIG && rc != -ENOENT)
				fail_msg("DESTROY oversized: %s", errname(-rc));
		} else {
			assert_int_equal(rc, 0);
			assert_false(cm_list_has_name(fd, n1));
		}
	}
#undef CMD
	/* a non-zero byte in the middle of a big tail */
	memset(&r, 0, sizeof(r));
	cm_kv(&r.kv, 0, "over", 4, "sized", 5);
	r.kv.size = sizeof(struct cmap_kv) + 200;
	r.raw[sizeof(struct cmap_kv) + 100] = 0x80;
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_PUT, &r), E2BIG);
	expect_gone(f->fd, "over");
}

static void test_size_small(void **state)
{
	struct fx *f = fx_of(state);
	struct {
		struct cmap_stats st;
		__u8 after[64];
	} s;
	struct cmap_kv kv;
	unsigned int i, sz;

	/* a PUT from an older userspace without the reserved fields */
	cm_kv(&kv, 0, "small", 5, "struct", 6);
	kv.size = offsetof(struct cmap_kv, reserved);
	kv.reserved[0] = 0xdead;	/* beyond size: must not be read */
	assert_ok(cmapc_ioctl(f->fd, CMAP_IOC_PUT, &kv));
	f->entries++;
	expect_val(f->fd, "small", "struct");
	/* the same program issues the command with its own size too */
	cm_kv(&kv, 0, "small2", 6, "struct", 6);
	kv.size = offsetof(struct cmap_kv, reserved);
	kv.reserved[0] = 0xdead;
	assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_PUT, kv.size), &kv));
	f->entries++;
	expect_val(f->fd, "small2", "struct");

	/* an older STATS: nothing written beyond its size */
	sz = offsetof(struct cmap_stats, lock_acquisitions);
	memset(&s, 0xE7, sizeof(s));
	memset(&s.st, 0, sz);
	s.st.size = sz;
	assert_ok(cmapc_ioctl(f->fd, CMAP_IOC_STATS, &s));
	assert_int_equal(s.st.entries, f->entries);
	assert_string_equal(s.st.name, f->name);
	for (i = sz; i < sizeof(s); i++)
		if (((__u8 *)&s)[i] != 0xE7)
			fail_msg("STATS with size %u wrote byte %u", sz, i);
	memset(&s, 0xE7, sizeof(s));
	memset(&s.st, 0, sz);
	s.st.size = sz;
	assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_STATS, sz), &s));
	assert_int_equal(s.st.entries, f->entries);
	for (i = sz; i < sizeof(s); i++)
		if (((__u8 *)&s)[i] != 0xE7)
			fail_msg("STATS with size %u (command too) wrote byte %u",
				 sz, i);

	/* an older VERSION without the string: only the numbers come back */
	{
		struct {
			struct cmap_version v;
			__u8 after[64];
		} v;

		sz = offsetof(struct cmap_version, version);
		memset(&v, 0xE7, sizeof(v));
		memset(&v.v, 0, sz);
		v.v.size = sz;
		assert_ok(cmapc_ioctl(f->fd, cm_cmd_sized(CMAP_IOC_VERSION, sz), &v));
		assert_int_equal(v.v.abi_version, CMAP_ABI_VERSION);
		assert_int_equal(v.v.size, sz);
		for (i = sz; i < sizeof(v); i++)
			if (((__u8 *)&v)[i] != 0xE7)
				fail_msg("VERSION with size %u wrote byte %u", sz, i);
	}

	/* size 0 or 4: not even flags; an all-zero PUT is invalid anyway */
	cm_kv(&kv, 0, "tiny", 4, "v", 1);
	kv.size = 0;
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_PUT, &kv), EINVAL);
	kv.size = 4;
	FAILS(f, cmapc_ioctl(f->fd, CMAP_IOC_PUT, &kv), EINVAL);
	expect_gone(f->fd, "tiny");
}

/* ---------------------------------------------------------- inline tables */

/*
 * Inline tables (CMAP_CREATE_INLINE): 8-byte keys and values kept in the
 * buckets.  Their keys here are tag << 40 | index, their values a mix of
 * the key, so that a dump can check every value and which keys it saw.
 */
#define INL_KEY(tag, i)	((__u64)(tag) << 40 | (i))

static __u64 inl_val(__u64 key)
{
	return (key ^ 0xa5a5a5a5a5a5a5a5ULL) * 0x9e3779b97f4a7c15ULL;
}

/*
 * @n ops @code (PUT with @flags, GET or DELETE) on the keys INL_KEY(@tag,
 * @from..@from+@n), in BATCHes; every op must give @want, and a GET that
 * finds its key the key's inl_val() (8 bytes).
 */
static void inl_batch(int fd, __u32 code, __u32 flags, __u32 tag, __u32 from,
		      __u32 n, int want)
{
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __u64 keys[CMAP_BATCH_MAX], vals[CMAP_BATCH_MAX];
	__u32 i, j, m, done;

	for (i = 0; i < n; i += m) {
		m = n - i < CMAP_BATCH_MAX ? n - i : CMAP_BATCH_MAX;
		for (j = 0; j < m; j++) {
			keys[j] = INL_KEY(tag, from + i + j);
			vals[j] = code == CMAP_OP_PUT ? inl_val(keys[j]) : 0;
			if (code == CMAP_OP_DELETE)
				cm_bop(&ops[j], code, 0, &keys[j], 8, NULL, 0);
			else
				cm_bop(&ops[j], code, flags, &keys[j], 8,
				       &vals[j], 8);
		}
		assert_ok(cmapc_batch(fd, ops, m, &done));
		assert_int_equal(done, m);
		for (j = 0; j < m; j++) {
			if (ops[j].result != want)
				fail_msg("op %u on key %#llx: %s, expected %s",
					 code, (unsigned long long)keys[j],
					 errname(-ops[j].result), errname(-want));
			if (code != CMAP_OP_GET || want)
				continue;
			if (ops[j].value_len != 8 || vals[j] != inl_val(keys[j]))
				fail_msg("GET of key %#llx: %u bytes, %#llx, expected 8, %#llx",
					 (unsigned long long)keys[j],
					 ops[j].value_len,
					 (unsigned long long)vals[j],
					 (unsigned long long)inl_val(keys[j]));
		}
	}
}

/*
 * Waits (60 s at most: TCG) until the bound table is not resizing, has at
 * most @max_buckets head buckets and a load factor of at most @max_lf;
 * returns its stats in @st.
 */
static void inl_settle(int fd, __u64 max_buckets, __u64 max_lf,
		       struct cmap_stats *st)
{
	double t0 = now_sec();

	do {
		assert_ok(cmapc_stats(fd, 0, st));
		if (!st->resizing && st->buckets <= max_buckets &&
		    st->load_factor_milli <= max_lf)
			return;
		usleep(10000);
	} while (now_sec() - t0 < 60);
	fail_msg("after 60 s: %llu entries, %llu buckets (want <= %llu), load %llu (want <= %llu), resizing %llu",
		 (unsigned long long)st->entries,
		 (unsigned long long)st->buckets,
		 (unsigned long long)max_buckets,
		 (unsigned long long)st->load_factor_milli,
		 (unsigned long long)max_lf,
		 (unsigned long long)st->resizing);
}

struct inl_dump {
	__u32 tag;
	__u32 n;		/* keys INL_KEY(tag, 0..n) may appear */
	__u32 step;		/* of which those with index % step == 0 must */
	__u8 *seen;
	__u64 records;
};

static const char *inl_dump_cb(const __u8 *key, __u32 klen, const __u8 *val,
			       __u32 vlen, __u32 hash, void *arg)
{
	struct inl_dump *d = arg;
	__u64 k, v;

	(void)hash;
	if (klen != 8 || vlen != 8)
		return "a record of an inline table is not 8 + 8 bytes";
	memcpy(&k, key, 8);
	memcpy(&v, val, 8);
	if (k >> 40 != d->tag || (k & ((1ULL << 40) - 1)) >= d->n ||
	    (k & ((1ULL << 40) - 1)) % d->step)
		return "a key that was not put (or was deleted)";
	if (v != inl_val(k))
		return "a value that was not put under its key";
	if (d->seen[k & ((1ULL << 40) - 1)]++)
		return "a key dumped twice";
	d->records++;
	return NULL;
}

/* A full dump holds exactly the keys of @tag with index < @n, % @step == 0. */
static void inl_check_dump(int fd, __u32 tag, __u32 n, __u32 step)
{
	struct inl_dump d = { .tag = tag, .n = n, .step = step };
	unsigned long calls;
	char msg[256];
	__u32 i;

	d.seen = calloc(n, 1);
	assert_non_null(d.seen);
	if (cm_dump(fd, 65536, inl_dump_cb, &d, msg, sizeof(msg), &calls))
		fail_msg("dump: %s", msg);
	for (i = 0; i < n; i += step)
		if (d.seen[i] != 1)
			fail_msg("key %#llx dumped %u times",
				 (unsigned long long)INL_KEY(tag, i), d.seen[i]);
	assert_int_equal(d.records, (n + step - 1) / step);
	free(d.seen);
}

/*
 * Every data command on an inline table in the fixture's mode: PUT in its
 * three modes, GET (into a big buffer, a missing key, a buffer too small),
 * DELETE, BATCH, ITER, STATS, LIST and CLEAR; other lengths are -EINVAL,
 * counted nowhere, changing nothing, and make a BATCH fail as a whole.
 */
static void test_inline_ops(void **state)
{
	struct fx *f = fx_of(state);
	int fd = fx_fd(f);
	char *name = fx_extra_name(f, "inl");
	static const __u32 bad_lens[] = { 1, 3, 4, 7, 9, 16, CMAP_KEY_MAX };
	__u8 bytes[CMAP_VALUE_MAX];
	struct cmap_batch_op ops[4];
	struct cmap_table_info ti;
	struct cmap_stats a, b;
	__u64 k, v, g[2], nokey = INL_KEY(1, 999);
	__u32 id, vlen, done, i, n = 64;

	assert_ok(cm_create_flags(fd, name, CMAP_CREATE_INLINE, 0, 0, 0, &id));
	assert_ok(cmapc_stats(fd, 0, &a));
	assert_int_equal(a.create_flags, CMAP_CREATE_INLINE);
	assert_int_equal(a.mode, cm_default_mode);
	assert_int_equal(a.entries, 0);
	assert_ok(cm_list_find(f->fd, id, &ti));
	assert_int_equal(ti.create_flags, CMAP_CREATE_INLINE);
	assert_int_equal(ti.mode, cm_default_mode);

	/* PUT and GET, single */
	for (i = 0; i < n; i++) {
		k = INL_KEY(1, i);
		v = inl_val(k);
		assert_ok(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_NOEXIST));
	}
	for (i = 0; i < n; i++) {
		k = INL_KEY(1, i);
		memset(g, 0xee, sizeof(g));
		vlen = sizeof(g);
		assert_ok(cmapc_get(fd, &k, 8, g, &vlen));
		assert_int_equal(vlen, 8);
		assert_int_equal(g[0], inl_val(k));
		assert_int_equal(g[1], 0xeeeeeeeeeeeeeeeeULL);
	}
	k = INL_KEY(1, 0);
	v = 42;
	assert_errno(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_NOEXIST), EEXIST);
	assert_errno(cmapc_put(fd, &nokey, 8, &v, 8, CMAP_PUT_EXIST), ENOENT);
	assert_ok(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_EXIST));
	vlen = 8;
	assert_ok(cmapc_get(fd, &k, 8, g, &vlen));
	assert_int_equal(g[0], 42);
	v = inl_val(k);
	assert_ok(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_ANY));
	vlen = 8;
	assert_errno(cmapc_get(fd, &nokey, 8, g, &vlen), ENOENT);
	/* a buffer too small: -ENOBUFS, the length needed, nothing written */
	memset(g, 0x77, sizeof(g));
	vlen = 7;
	assert_errno(cmapc_get(fd, &k, 8, g, &vlen), ENOBUFS);
	assert_int_equal(vlen, 8);
	assert_int_equal(g[0], 0x7777777777777777ULL);
	inl_batch(fd, CMAP_OP_GET, 0, 1, 0, n, 0);

	/*
	 * Other lengths: -EINVAL, before anything is counted or done.  The
	 * bad keys start with a present key's bytes: a length ignored would
	 * hit it.
	 */
	memset(bytes, 0, sizeof(bytes));
	k = INL_KEY(1, 3);
	memcpy(bytes, &k, 8);
	v = 1;
	assert_ok(cmapc_stats(fd, 0, &a));
	for (i = 0; i < ARRAY_LEN(bad_lens); i++) {
		__u32 l = bad_lens[i];

		assert_errno(cmapc_put(fd, bytes, l, &v, 8, CMAP_PUT_ANY), EINVAL);
		assert_errno(cmapc_put(fd, bytes, l, bytes, l, CMAP_PUT_ANY), EINVAL);
		assert_errno(cmapc_put(fd, &k, 8, bytes, l, CMAP_PUT_ANY), EINVAL);
		vlen = sizeof(g);
		assert_errno(cmapc_get(fd, bytes, l, g, &vlen), EINVAL);
		assert_errno(cmapc_delete(fd, bytes, l), EINVAL);
	}
	assert_errno(cmapc_put(fd, &k, 8, bytes, 0, CMAP_PUT_ANY), EINVAL);
	assert_errno(cmapc_put(fd, &k, 8, bytes, CMAP_VALUE_MAX, CMAP_PUT_ANY),
		     EINVAL);
	assert_ok(cmapc_stats(fd, 0, &b));
	assert_int_equal(b.entries, n);
	assert_int_equal(b.puts, a.puts);
	assert_int_equal(b.gets, a.gets);
	assert_int_equal(b.deletes, a.deletes);
	inl_batch(fd, CMAP_OP_GET, 0, 1, 0, n, 0);

	/* BATCH: mixed ops */
	k = INL_KEY(1, n);
	v = inl_val(k);
	g[0] = g[1] = 0;
	cm_bop(&ops[0], CMAP_OP_PUT, CMAP_PUT_NOEXIST, &k, 8, &v, 8);
	cm_bop(&ops[1], CMAP_OP_GET, 0, &k, 8, &g[0], 8);
	cm_bop(&ops[2], CMAP_OP_DELETE, 0, &k, 8, NULL, 0);
	cm_bop(&ops[3], CMAP_OP_GET, 0, &k, 8, &g[1], 8);
	assert_ok(cmapc_batch(fd, ops, 4, &done));
	assert_int_equal(done, 4);
	assert_int_equal(ops[0].result, 0);
	assert_int_equal(ops[1].result, 0);
	assert_int_equal(ops[1].value_len, 8);
	assert_int_equal(g[0], v);
	assert_int_equal(ops[2].result, 0);
	assert_int_equal(ops[3].result, -ENOENT);
	assert_int_equal(g[1], 0);
	/* one op of another length: the whole batch is -EINVAL, none done */
	cm_bop(&ops[0], CMAP_OP_PUT, 0, &k, 8, &v, 8);
	cm_bop(&ops[1], CMAP_OP_DELETE, 0, bytes, 8, NULL, 0);
	cm_bop(&ops[2], CMAP_OP_GET, 0, bytes, 8, g, 4);	/* fine: ENOBUFS */
	cm_bop(&ops[3], CMAP_OP_PUT, 0, &nokey, 8, &v, 4);
	assert_errno(cmapc_batch(fd, ops, 4, &done), EINVAL);
	cm_bop(&ops[3], CMAP_OP_GET, 0, bytes, 12, g, 8);
	assert_errno(cmapc_batch(fd, ops, 4, &done), EINVAL);
	assert_int_equal(cm_entries(fd), n);
	vlen = 8;
	assert_errno(cmapc_get(fd, &k, 8, g, &vlen), ENOENT);
	inl_batch(fd, CMAP_OP_GET, 0, 1, 0, n, 0);

	/* ITER: 8-byte keys and values, each key once */
	inl_check_dump(fd, 1, n, 1);

	/* STATS: 16 bytes charged per entry; a dump counted */
	assert_ok(cmapc_stats(fd, 0, &b));
	assert_int_equal(b.entries, n);
	assert_int_equal(b.create_flags, CMAP_CREATE_INLINE);
	assert_true(b.bytes > 0);
	assert_true(b.iters > a.iters);
	assert_ok(cm_list_find(f->fd, id, &ti));
	assert_int_equal(ti.entries, n);
	assert_int_equal(ti.bytes, 16 * n);

	/* DELETE every other key, then CLEAR */
	for (i = 0; i < n; i += 2) {
		k = INL_KEY(1, i);
		assert_ok(cmapc_delete(fd, &k, 8));
		assert_errno(cmapc_delete(fd, &k, 8), ENOENT);
		vlen = 8;
		assert_errno(cmapc_get(fd, &k, 8, g, &vlen), ENOENT);
	}
	assert_int_equal(cm_entries(fd), n / 2);
	for (i = 1; i < n; i += 2) {
		k = INL_KEY(1, i);
		vlen = 8;
		assert_ok(cmapc_get(fd, &k, 8, g, &vlen));
		assert_int_equal(g[0], inl_val(k));
	}
	assert_ok(cmapc_clear(fd));
	assert_int_equal(cm_entries(fd), 0);
	inl_batch(fd, CMAP_OP_GET, 0, 1, 0, n, -ENOENT);
	check_unchanged(f);
}

/*
 * max_entries and max_bytes of an inline table: an entry is charged 16
 * bytes.  A PUT beyond either is -ENOSPC, a replacement is not refused.
 */
static void test_inline_limits(void **state)
{
	struct fx *f = fx_of(state);
	int fd = fx_fd(f);
	char *n1 = fx_extra_name(f, "inle"), *n2 = fx_extra_name(f, "inlb");
	__u64 k, v = 5;

	assert_ok(cm_create_flags(fd, n1, CMAP_CREATE_INLINE, 0, 10, 0, NULL));
	inl_batch(fd, CMAP_OP_PUT, CMAP_PUT_NOEXIST, 2, 0, 10, 0);
	inl_batch(fd, CMAP_OP_PUT, 0, 2, 10, 1, -ENOSPC);
	inl_batch(fd, CMAP_OP_PUT, 0, 2, 0, 10, 0);
	k = INL_KEY(2, 10);
	assert_errno(cmapc_put(fd, &k, 8, &v, 8, CMAP_PUT_ANY), ENOSPC);

	assert_ok(cm_create_flags(fd, n2, CMAP_CREATE_INLINE, 0, 0, 16 * 10, NULL));
	inl_batch(fd, CMAP_OP_PUT, CMAP_PUT_NOEXIST, 3, 0, 10, 0);
	inl_batch(fd, CMAP_OP_PUT, 0, 3, 10, 1, -ENOSPC);
	inl_batch(fd, CMAP_OP_PUT, CMAP_PUT_EXIST, 3, 0, 10, 0);
	inl_batch(fd, CMAP_OP_GET, 0, 3, 0, 10, 0);
	assert_int_equal(cm_entries(fd), 10);
	check_unchanged(f);
}

/*
 * An inline table grown to 100k keys (cow: 4k, each write copies it) and
 * shrunk back by deleting all but one in a hundred: every value right
 * after each resize, the dump exact; then destroyed with its entries (the
 * harness checks for leaks at the unload).
 */
static void test_inline_resize(void **state)
{
	struct fx *f = fx_of(state);
	int fd = fx_fd(f);
	char *name = fx_extra_name(f, "inlr");
	__u32 i, n = cow() ? 4096 : 100000, step = cow() ? 16 : 100;
	struct cmap_stats a, b, c;

	assert_ok(cm_create_flags(fd, name, CMAP_CREATE_INLINE, 0, 0, 0, NULL));
	assert_ok(cmapc_stats(fd, 0, &a));
	inl_batch(fd, CMAP_OP_PUT, CMAP_PUT_NOEXIST, 4, 0, n, 0);
	/* grown: within the inline grow threshold, 3.25 per head bucket */
	inl_settle(fd, n, 3250, &b);
	assert_int_equal(b.entries, n);
	assert_true(b.resizes > a.resizes);
	assert_true(b.buckets > a.buckets);
	inl_batch(fd, CMAP_OP_GET, 0, 4, 0, n, 0);
	inl_check_dump(fd, 4, n, 1);

	/* back: keep one key in @step */
	for (i = 0; i < n; i += step)
		inl_batch(fd, CMAP_OP_DELETE, 0, 4, i + 1, step - 1 < n - i - 1 ?
			  step - 1 : n - i - 1, 0);
	/* shrunk: at least one entry per four head buckets, or the minimum */
	inl_settle(fd, 4 * ((n + step - 1) / step) > a.buckets ?
		   4 * ((n + step - 1) / step) : a.buckets, 3250, &c);
	assert_int_equal(c.entries, (n + step - 1) / step);
	assert_true(c.buckets < b.buckets);
	assert_true(c.resizes > b.resizes);
	for (i = 0; i < n; i += step)
		inl_batch(fd, CMAP_OP_GET, 0, 4, i, 1, 0);
	inl_batch(fd, CMAP_OP_GET, 0, 4, 1, step - 1, -ENOENT);
	inl_check_dump(fd, 4, n, step);
	fprintf(stderr, "# inline %u keys: %llu buckets, %llu bytes; %llu keys: %llu buckets (%llu resizes)\n",
		n, (unsigned long long)b.buckets, (unsigned long long)b.bytes,
		(unsigned long long)c.entries, (unsigned long long)c.buckets,
		(unsigned long long)c.resizes);

	/* grown again, then destroyed with its entries */
	inl_batch(fd, CMAP_OP_PUT, CMAP_PUT_ANY, 4, 0, n, 0);
	inl_batch(fd, CMAP_OP_GET, 0, 4, 0, n, 0);
	assert_ok(cmapc_destroy(fd, name, NULL));
	check_unchanged(f);
}

/* ---------------------------------------------------------------- VERSION */

static void test_version(void **state)
{
	struct fx *f = fx_of(state);
	struct cmap_version v;
	char str[32], sysver[64] = "";
	__u64 want_ioctls = 0;
	FILE *fp;
	int fd = fx_fd(f);	/* unbound: VERSION needs no table */
	unsigned int i;
	static const unsigned long cmds[] = {
		CMAP_IOC_CREATE, CMAP_IOC_OPEN, CMAP_IOC_DESTROY, CMAP_IOC_LIST,
		CMAP_IOC_PUT, CMAP_IOC_GET, CMAP_IOC_DELETE, CMAP_IOC_CLEAR,
		CMAP_IOC_BATCH, CMAP_IOC_ITER, CMAP_IOC_STATS, CMAP_IOC_BENCH,
		CMAP_IOC_VERSION,
	};

	for (i = 0; i < ARRAY_LEN(cmds); i++)
		want_ioctls |= 1ULL << _IOC_NR(cmds[i]);
	memset(&v, 0xa5, sizeof(v));	/* outputs need not be zero in */
	v.size = sizeof(v);
	v.flags = 0;
	memset(v.reserved, 0, sizeof(v.reserved));
	assert_ok(cmapc_ioctl(fd, CMAP_IOC_VERSION, &v));
	assert_int_equal(v.size, sizeof(v));
	assert_int_equal(v.flags, 0);
	assert_int_equal(v.abi_version, CMAP_ABI_VERSION);
	assert_int_equal(v.modes, (1U << CMAP_MODE_COUNT) - 1);
	assert_int_equal(v.ioctls, want_ioctls);
	assert_int_equal(v.pad, 0);
	assert_int_equal(v.create_flags, CMAP_CREATE_INLINE);
	assert_true(v.major < 1000 && v.minor < 1000 && v.patch < 1000);
	assert_true(memchr(v.version, 0, sizeof(v.version)) != NULL);
	snprintf(str, sizeof(str), "%u.%u.%u", v.major, v.minor, v.patch);
	assert_string_equal(v.version, str);
	for (i = 0; i < ARRAY_LEN(v.reserved); i++)
		assert_int_equal(v.reserved[i], 0);
	/* MODULE_VERSION: the same string in sysfs */
	fp = fopen("/sys/module/cmap/version", "r");
	if (!fp)
		fail_msg("/sys/module/cmap/version: %s", strerror(errno));
	assert_non_null(fgets(sysver, sizeof(sysver), fp));
	fclose(fp);
	sysver[strcspn(sysver, "\n")] = 0;
	assert_string_equal(sysver, v.version);

	/* bad input: -EINVAL, nothing written */
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.flags = 1;
	assert_errno(cmapc_ioctl(fd, CMAP_IOC_VERSION, &v), EINVAL);
	assert_int_equal(v.abi_version, 0);
	v.flags = 0;
	v.reserved[ARRAY_LEN(v.reserved) - 1] = 1;
	assert_errno(cmapc_ioctl(fd, CMAP_IOC_VERSION, &v), EINVAL);
	assert_int_equal(v.abi_version, 0);
	v.reserved[ARRAY_LEN(v.reserved) - 1] = 0;
	v.size = 4;
	assert_errno(cmapc_ioctl(fd, CMAP_IOC_VERSION, &v), EINVAL);
	assert_errno(cmapc_ioctl(fd, CMAP_IOC_VERSION, NULL), EFAULT);
	assert_errno(cmapc_ioctl(fd, CMAP_IOC_VERSION, cm_unmapped_addr()), EFAULT);
	check_unchanged(f);
}

/* ------------------------------------------------------------ table ids */

static void set_max_id(unsigned int n)
{
	FILE *fp = fopen(TEST_MAX_ID, "w");

	max_id_set = 1;

	if (!fp || fprintf(fp, "%u\n", n) < 0 || fclose(fp))
		fail_msg("writing %u to " TEST_MAX_ID ": %s", n, strerror(errno));
}

/* The live tables' ids, in id order; returns their count. */
static __u32 live_ids(int fd, __u32 *ids, __u32 cap)
{
	struct cmap_table_info *tabs = calloc(cap, sizeof(*tabs));
	__u32 count, total, i;

	assert_ok(cmapc_list_into(fd, tabs, cap, &count, &total));
	assert_true(total <= cap);
	for (i = 0; i < count; i++)
		ids[i] = tabs[i].id;
	free(tabs);
	return count;
}

/*
 * Ids are handed out cyclically from 1: with the id space capped to a few
 * ids (test_max_id), CREATE takes every free one, then fails with -ENOSPC
 * changing nothing, takes a freed one again after a DESTROY, and keeps
 * working after the ids wrapped around.
 */
static void test_id_wrap(void **state)
{
	struct fx *f = fx_of(state);
	enum { CAP = 1024, FREE = 5 };
	static __u32 ids[CAP], made[FREE];
	char *names[FREE + 1];
	__u32 n, i, j, max_id, total, total_before, id = 0;
	int fd = fx_fd(f), nn, rc = 0;

	if (access(TEST_MAX_ID, W_OK)) {
		skip();
		return;
	}
	for (i = 0; i <= FREE; i++)	/* teardown destroys them */
		names[i] = fx_extra_name(f, "idw");
	n = live_ids(fd, ids, CAP);
	/* the smallest cap with FREE ids in 1..cap that no live table has */
	for (max_id = 0, i = 0, j = 0; j < FREE; ) {
		max_id++;
		while (i < n && ids[i] < max_id)
			i++;
		if (i == n || ids[i] != max_id)
			j++;
	}
	set_max_id(max_id);
	/* FREE creates take those ids, each once; one more: -ENOSPC */
	for (nn = 0; nn <= FREE; nn++) {
		rc = cm_create(fd, names[nn], 0, 0, 0, &id);
		if (rc)
			break;
		if (nn == FREE)
			continue;
		made[nn] = id;
		if (id < 1 || id > max_id)
			fail_msg("id %u outside 1..%u", id, max_id);
		for (j = 0; j < n; j++)
			if (ids[j] == id)
				fail_msg("id %u of a live table handed out", id);
		for (j = 0; j < (__u32)nn; j++)
			if (made[j] == id)
				fail_msg("id %u handed out twice", id);
	}
	if (nn != FREE || rc != -ENOSPC)
		fail_msg("CREATE with %u free ids: %d made, then %s", FREE, nn,
			 errname(-rc));
	/* the failed CREATE changed nothing */
	assert_false(cm_list_has_name(fd, names[FREE]));
	assert_ok(cmapc_list_into(fd, NULL, 0, NULL, &total_before));
	assert_errno(cm_create(fd, names[FREE], 0, 0, 0, &id), ENOSPC);
	assert_ok(cmapc_list_into(fd, NULL, 0, NULL, &total));
	assert_int_equal(total, total_before);
	assert_false(cm_list_has_name(fd, names[FREE]));
	/* a DESTROY frees an id: the next CREATE gets exactly that one */
	assert_ok(cmapc_destroy(fd, names[2], NULL));
	assert_ok(cm_create(fd, names[FREE], 0, 0, 0, &id));
	assert_int_equal(id, made[2]);
	/* the cap lifted: CREATE goes on after the wrap-around */
	set_max_id(0);
	assert_ok(cm_create(fd, names[2], 0, 0, 0, &id));
	assert_true(id >= 1);
	check_unchanged(f);
}

/* --------------------------------------------------- creator pid in a pidns */

/* The creator pid STATS (by id) reports to the caller. */
static __s32 creator_of(int fd, __u32 id)
{
	struct cmap_stats st;
	struct cmap_table_info ti = { 0 };

	assert_ok(cmapc_stats(fd, id, &st));
	assert_ok(cm_list_find(fd, id, &ti));
	if (ti.creator_pid != st.creator_pid)
		fail_msg("LIST says creator %d, STATS %d", ti.creator_pid,
			 st.creator_pid);
	return st.creator_pid;
}

/*
 * In a child pid namespace (the grandchild is its pid 1): the table it
 * creates has creator 1 there and the grandchild's real pid here; the
 * fixture's table, made by a process it cannot see, has creator 0 there.
 * Exit status of the grandchild: 0, or the check that failed.
 */
static int pidns_grandchild(__u32 outer_id, const char *name)
{
	struct cmap_stats st;
	struct cmap_table_info ti = { 0 };
	__u32 id;
	int fd;

	if (getpid() != 1)
		return 10;
	fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0 || cm_create(fd, name, 0, 0, 0, &id))
		return 11;
	if (cmapc_stats(fd, 0, &st) || st.creator_pid != 1)
		return 13;
	if (cm_list_find(fd, id, &ti) || ti.creator_pid != 1)
		return 14;
	if (cmapc_stats(fd, outer_id, &st) || st.creator_pid != 0)
		return 15;
	if (cm_list_find(fd, outer_id, &ti) || ti.creator_pid != 0)
		return 16;
	return 0;
}

static void test_creator_pidns(void **state)
{
	struct fx *f = fx_of(state);
	char *name = fx_extra_name(f, "pidns");
	int pfd[2], st, fd = fx_fd(f);
	pid_t child, gchild = 0;
	__u32 id = 0;

	assert_int_equal(creator_of(fd, f->id), getpid());
	assert_ok(pipe(pfd));
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pid_t g;

		close(pfd[0]);
		if (unshare(CLONE_NEWPID))
			_exit(errno == EPERM || errno == EINVAL ? 77 : 20);
		g = fork();
		if (g < 0)
			_exit(21);
		if (g == 0)
			_exit(pidns_grandchild(f->id, name));
		/* the grandchild's pid as this (the test's) namespace sees it */
		if (write(pfd[1], &g, sizeof(g)) != sizeof(g))
			_exit(22);
		if (waitpid(g, &st, 0) != g)
			_exit(23);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 24);
	}
	close(pfd[1]);
	if (read(pfd[0], &gchild, sizeof(gchild)) != sizeof(gchild))
		gchild = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		skip();
		return;
	}
	if (WEXITSTATUS(st))
		fail_msg("in the pid namespace: check %d failed", WEXITSTATUS(st));
	assert_true(gchild > 1);
	/* here, the table's creator is the grandchild's pid in our namespace */
	assert_ok(cmapc_open(fd, name, &id));
	assert_int_equal(creator_of(fd, id), gchild);
	check_unchanged(f);
}

static const struct {
	const char *name;
	CMUnitTestFunction fn;
} all_tests[] = {
#define T(fn) { #fn, fn }
	T(test_put_get_roundtrip),
	T(test_put_noexist),
	T(test_put_exist),
	T(test_put_bad_flags),
	T(test_put_reserved),
	T(test_zero_length_value),
	T(test_max_sizes),
	T(test_get_enobufs),
	T(test_get_bad_args),
	T(test_delete),
	T(test_clear),
	T(test_create_dup_name),
	T(test_create_bad_names),
	T(test_create_bad_config),
	T(test_create_config_reported),
	T(test_open),
	T(test_rebind),
	T(test_destroy),
	T(test_destroy_with_entries),
	T(test_unbound_ebadfd),
	T(test_list),
	T(test_batch_mixed),
	T(test_batch_limits),
	T(test_batch_malformed),
	T(test_batch_bad_pointers),
	T(test_batch_bad_lengths),
	T(test_iter_dump),
	T(test_iter_small_buffers),
	T(test_iter_bad_args),
	T(test_stats),
	T(test_stats_pad),
	T(test_stats_resizes),
	T(test_growth_tiny_hint),
	T(test_enospc_entries),
	T(test_enospc_bytes),
	T(test_inline_ops),
	T(test_inline_limits),
	T(test_inline_resize),
	T(test_efault_kv),
	T(test_efault_struct),
	T(test_enotty),
	T(test_cmd_size_bits),
	T(test_size_oversized),
	T(test_size_small),
	T(test_version),
	T(test_id_wrap),
	T(test_creator_pidns),
#undef T
};

static const __u32 mode_ids[CMAP_MODE_COUNT] = {
	CMAP_MODE_RCU, CMAP_MODE_RWLOCK, CMAP_MODE_SPINLOCK, CMAP_MODE_COW,
	CMAP_MODE_RACECHECK,
};

/*
 * Every test in every mode of CMAP_TEST_MODES (default: all), named
 * "mode/test".  The fixture's tables are made in the test's mode.
 */
int main(void)
{
	unsigned int modes = cm_test_modes(), m, i, n = 0;
	struct CMUnitTest *tests;

	tests = calloc(CMAP_MODE_COUNT * ARRAY_LEN(all_tests), sizeof(*tests));
	for (m = 0; m < CMAP_MODE_COUNT; m++) {
		if (!(modes & 1U << m))
			continue;
		for (i = 0; i < ARRAY_LEN(all_tests); i++) {
			char *name;

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
	return _cmocka_run_group_tests("cmap_ops", tests, n, NULL, NULL);
}
