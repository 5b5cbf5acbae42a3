// SPDX-License-Identifier: GPL-2.0
/*
 * cmapctl: control and exercise cmap tables through /dev/cmap.
 *
 *   cmapctl create NAME            cmapctl -t NAME put KEY VALUE
 *   cmapctl destroy NAME           cmapctl -t NAME get KEY
 *   cmapctl ls                     cmapctl -t NAME del KEY
 *   cmapctl -t NAME stats          cmapctl -t NAME dump | clear
 *   cmapctl -t NAME load [--threads N --read-pct P --keys K --dist zipf ...]
 *
 * Only the UAPI header <linux/cmap.h> is shared with the module.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmap_rand.h"
#include "libcmap.h"
#include "cmapctl.h"
#include "racedemo.h"
#include "version.h"

#define ITER_BUF_START	(64 * 1024)
#define MAX_THREADS	1024

enum {
	OPT_NX = 0x100,
	OPT_XX,
	OPT_SIZE_HINT,
	OPT_MAX_ENTRIES,
	OPT_MAX_BYTES,
	OPT_MODE,
	OPT_JSON,
	OPT_ID,
	OPT_THREADS,
	OPT_READ_PCT,
	OPT_DEL_PCT,
	OPT_KEYS,
	OPT_DIST,
	OPT_THETA,
	OPT_VALUE_SIZE,
	OPT_DURATION,
	OPT_BATCH,
	OPT_PRELOAD,
	OPT_NO_PRELOAD,
	OPT_OPS,
	OPT_SEED,
	OPT_BUF_SIZE,
	OPT_MODES,
	OPT_GROWTH,
	OPT_CSV,
	OPT_BENCH_INLINE,
	OPT_INLINE,
};

struct env env = {
	.device = CMAP_DEVICE,
	.cmd = "cmapctl",
	.threads = 2,
	.read_pct = 90,
	.del_pct = 0,
	.keys = 10000,
	.theta = 0.99,
	.value_size = 8,
	.duration = 5,
	.batch = 1,
	.preload = true,
	.buf_size = ITER_BUF_START,
};

const char *argp_program_version = "cmapctl " CMAP_VERSION;
const char *argp_program_bug_address = NULL;

/* ---- messages ------------------------------------------------------------ */

void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "cmapctl: %s: ", env.cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CMAPC_EXIT_ERROR);
}

/* die with the message for error @err of command @cmd */
void __attribute__((noreturn))
die_err(unsigned long cmd, __u32 flags, int err, const char *name)
{
	char buf[256];

	fflush(stdout);
	fprintf(stderr, "cmapctl: %s: %s\n", env.cmd,
		cmapc_errmsg(buf, sizeof(buf), cmd, flags, err, name));
	exit(cmapc_exit_status(cmd, err));
}

void __attribute__((format(printf, 1, 2)))
verbose(const char *fmt, ...)
{
	va_list ap;

	if (!env.verbose)
		return;
	fprintf(stderr, "cmapctl: %s: ", env.cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void check_stdout(void)
{
	if (fflush(stdout) || ferror(stdout))
		die("write error on stdout: %s", strerror(errno));
}

/* ---- common helpers -------------------------------------------------------- */

static void check_table_name(const char *name)
{
	const char *why;

	if (cmapc_check_name(name, &why))
		die("invalid table name '%s': %s", name, why);
}

int open_device(void)
{
	int fd = cmapc_dev_open(env.device);

	if (fd < 0)
		die_err(CMAPC_CMD_DEVOPEN, 0, fd, env.device);
	return fd;
}

static const char *need_table(void)
{
	if (!env.table)
		die("no table given (use -t NAME)");
	check_table_name(env.table);
	return env.table;
}

/* open the device and bind to the -t table */
int open_bound(__u32 *id)
{
	unsigned long cmd;
	const char *name = need_table();
	int fd;

	fd = cmapc_open_table(env.device, name, id, &cmd);
	if (fd < 0)
		die_err(cmd, 0, fd, cmd == CMAPC_CMD_DEVOPEN ? env.device : name);
	if (id)
		verbose("bound to table '%s' (id %u)", name, *id);
	return fd;
}

bool table_is_inline(int fd)
{
	struct cmap_stats st;

	return !cmapc_stats(fd, 0, &st) &&
	       (st.create_flags & CMAP_CREATE_INLINE);
}

/*
 * A PUT, GET or DELETE of the bound table @fd failed with -EINVAL: if the
 * table is inline and a length is not 8, say so (the module's -EINVAL
 * alone does not tell why).  @vlen is the PUT's value length, or -1.
 */
static void explain_einval(int fd, __u32 klen, long vlen)
{
	if ((klen == CMAP_INLINE_LEN && (vlen < 0 || vlen == CMAP_INLINE_LEN)) ||
	    !table_is_inline(fd))
		return;
	if (klen != CMAP_INLINE_LEN)
		die("table '%s' is inline: keys are exactly %d bytes, this one is %u (--u64 makes a number an 8-byte key)",
		    env.table, CMAP_INLINE_LEN, klen);
	die("table '%s' is inline: values are exactly %d bytes, this one is %ld",
	    env.table, CMAP_INLINE_LEN, vlen);
}

static __u32 parse_key(const char *s, unsigned char key[CMAP_KEY_MAX])
{
	size_t len;
	int n;

	if (env.u64) {
		uint64_t v;

		if (cmapc_parse_u64(s, &v))
			die("bad key '%s': not an unsigned 64-bit number (--u64)", s);
		memcpy(key, &v, sizeof(v));
		return sizeof(v);
	}
	if (env.hex) {
		n = cmapc_parse_hex(s, key, CMAP_KEY_MAX);
		if (n == -E2BIG)
			die("key too long (max %d bytes)", CMAP_KEY_MAX);
		if (n < 0)
			die("bad hex key '%s'", s);
		if (n == 0)
			die("key is empty (keys are 1..%d bytes)", CMAP_KEY_MAX);
		return (__u32)n;
	}
	len = strlen(s);
	if (len == 0)
		die("key is empty (keys are 1..%d bytes)", CMAP_KEY_MAX);
	if (len > CMAP_KEY_MAX)
		die("key too long (max %d bytes)", CMAP_KEY_MAX);
	memcpy(key, s, len);
	return (__u32)len;
}

static __u32 parse_value(const char *s, unsigned char value[CMAP_VALUE_MAX])
{
	size_t len;
	int n;

	if (env.hex) {
		n = cmapc_parse_hex(s, value, CMAP_VALUE_MAX);
		if (n == -E2BIG)
			die("value too long (max %d bytes)", CMAP_VALUE_MAX);
		if (n < 0)
			die("bad hex value '%s'", s);
		return (__u32)n;
	}
	len = strlen(s);
	if (len > CMAP_VALUE_MAX)
		die("value too long (max %d bytes)", CMAP_VALUE_MAX);
	memcpy(value, s, len);
	return (__u32)len;
}

static enum cmapc_fmt key_fmt(void)
{
	return env.u64 ? CMAPC_FMT_U64 : env.hex ? CMAPC_FMT_HEX : CMAPC_FMT_AUTO;
}

static enum cmapc_fmt value_fmt(void)
{
	return env.hex ? CMAPC_FMT_HEX : CMAPC_FMT_AUTO;
}

/* A fixed-size field of the ABI: at most @max bytes, NUL-terminated or not. */
static json_object *json_strn(const char *s, size_t max)
{
	return json_object_new_string_len(s, (int)strnlen(s, max));
}

/* A double as "%.3f" writes it (json-c's default would be %.17g). */
json_object *json_fixed3(double d)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", d);
	return json_object_new_double_s(d, buf);
}

/* Print @o on one line, or indented with @flags; drops it. */
void json_print(json_object *o, int flags)
{
	printf("%s\n", json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- create, destroy, ls ------------------------------------------------- */

static int cmd_create(void)
{
	const char *name = env.nargs ? env.args[0] : env.table;
	const char *mode;
	__u32 id;
	int fd, err;

	if (!name)
		die("no table name given");
	check_table_name(name);
	fd = open_device();
	err = cmapc_create_flags(fd, name, env.create_flags, &env.cfg, &id);
	if (err == -EINVAL && (env.create_flags & CMAP_CREATE_INLINE)) {
		struct cmap_version v;

		if (cmapc_version(fd, &v) ||
		    !(v.create_flags & CMAP_CREATE_INLINE))
			die("this cmap.ko does not support inline tables (--inline)");
	}
	if (err)
		die_err(CMAP_IOC_CREATE, 0, err, name);
	mode = cmapc_mode_name(env.cfg.mode);
	verbose("created table '%s' (id %u, mode %s%s, size hint %u, max entries %llu, max bytes %llu; 0 = default)",
		name, id, mode ? mode : "?",
		env.create_flags & CMAP_CREATE_INLINE ? ", inline" : "",
		env.cfg.size_hint,
		(unsigned long long)env.cfg.max_entries,
		(unsigned long long)env.cfg.max_bytes);
	printf("%u\n", id);
	check_stdout();
	close(fd);
	return 0;
}

static int cmd_destroy(void)
{
	const char *name = env.nargs ? env.args[0] : env.table;
	__u32 id = 0;
	int fd, err;

	if (!name)
		die("no table name given");
	check_table_name(name);
	fd = open_device();
	err = cmapc_destroy(fd, name, &id);
	if (err)
		die_err(CMAP_IOC_DESTROY, 0, err, name);
	verbose("destroyed table '%s' (id %u)", name, id);
	close(fd);
	return 0;
}

static int cmd_ls(void)
{
	struct cmap_table_info *t;
	__u32 n, i;
	int fd, err, w = 4, mw = 4;

	fd = open_device();
	err = cmapc_list(fd, &t, &n);
	if (err)
		die_err(CMAP_IOC_LIST, 0, err, NULL);
	close(fd);

	if (env.json) {
		json_object *arr = json_object_new_array();

		for (i = 0; i < n; i++) {
			const char *mode = cmapc_mode_name(t[i].mode);
			json_object *o = json_object_new_object();

			json_object_object_add(o, "id", json_object_new_int64(t[i].id));
			json_object_object_add(o, "name", json_strn(t[i].name, sizeof(t[i].name)));
			json_object_object_add(o, "mode", mode ? json_object_new_string(mode) :
					       json_object_new_int64(t[i].mode));
			json_object_object_add(o, "inline",
					       json_object_new_boolean(t[i].create_flags &
								       CMAP_CREATE_INLINE));
			json_object_object_add(o, "entries", json_object_new_uint64(t[i].entries));
			json_object_object_add(o, "bytes", json_object_new_uint64(t[i].bytes));
			json_object_object_add(o, "files", json_object_new_int64(t[i].files));
			json_object_object_add(o, "creator_pid", json_object_new_int(t[i].creator_pid));
			json_object_object_add(o, "creator_comm",
					       json_strn(t[i].creator_comm, sizeof(t[i].creator_comm)));
			json_object_array_add(arr, o);
		}
		json_print(arr, JSON_FLAGS | JSON_C_TO_STRING_PRETTY);
	} else {
		for (i = 0; i < n; i++) {
			int l = (int)strnlen(t[i].name, sizeof(t[i].name));
			char mbuf[CMAPC_MODE_LABEL_MAX];
			int ml = (int)strlen(cmapc_mode_label(mbuf, sizeof(mbuf),
							      t[i].mode,
							      t[i].create_flags));

			if (l > w)
				w = l;
			if (ml > mw)
				mw = ml;
		}
		printf("%5s  %-*s  %-*s  %10s  %12s  %5s  %7s  %s\n", "ID", w,
		       "NAME", mw, "MODE", "ENTRIES", "BYTES", "FILES", "PID", "COMM");
		for (i = 0; i < n; i++) {
			char mbuf[CMAPC_MODE_LABEL_MAX];
			const char *mode = cmapc_mode_label(mbuf, sizeof(mbuf),
							    t[i].mode,
							    t[i].create_flags);

			printf("%5u  %-*.*s  %-*s  %10llu  %12llu  %5u  %7d  %.*s\n",
			       t[i].id, w, (int)sizeof(t[i].name), t[i].name, mw, mode,
			       (unsigned long long)t[i].entries,
			       (unsigned long long)t[i].bytes, t[i].files,
			       t[i].creator_pid, (int)sizeof(t[i].creator_comm),
			       t[i].creator_comm);
		}
	}
	check_stdout();
	free(t);
	return 0;
}

/* ---- put, get, del, clear ------------------------------------------------ */

static int cmd_put(void)
{
	static unsigned char value[CMAP_VALUE_MAX];
	unsigned char key[CMAP_KEY_MAX];
	__u32 klen, vlen, id;
	int fd, err;

	klen = parse_key(env.args[0], key);
	vlen = parse_value(env.args[1], value);
	fd = open_bound(&id);
	err = cmapc_put(fd, key, klen, value, vlen, env.put_flags);
	if (err == -EINVAL)
		explain_einval(fd, klen, vlen);
	if (err)
		die_err(CMAP_IOC_PUT, env.put_flags, err, env.table);
	verbose("put %u-byte key, %u-byte value", klen, vlen);
	close(fd);
	return 0;
}

static int cmd_get(void)
{
	unsigned char key[CMAP_KEY_MAX];
	__u32 klen, vlen, id;
	void *value;
	int fd, err;

	klen = parse_key(env.args[0], key);
	fd = open_bound(&id);
	err = cmapc_get_alloc(fd, key, klen, &value, &vlen);
	if (err == -EINVAL)
		explain_einval(fd, klen, -1);
	if (err)
		die_err(CMAP_IOC_GET, 0, err, env.table);
	verbose("%u-byte value", vlen);
	cmapc_fprint_bytes(stdout, value, vlen, value_fmt());
	putchar('\n');
	check_stdout();
	free(value);
	close(fd);
	return 0;
}

static int cmd_del(void)
{
	unsigned char key[CMAP_KEY_MAX];
	__u32 klen, id;
	int fd, err;

	klen = parse_key(env.args[0], key);
	fd = open_bound(&id);
	err = cmapc_delete(fd, key, klen);
	if (err == -EINVAL)
		explain_einval(fd, klen, -1);
	if (err)
		die_err(CMAP_IOC_DELETE, 0, err, env.table);
	close(fd);
	return 0;
}

static int cmd_clear(void)
{
	__u32 id;
	int fd, err;

	fd = open_bound(&id);
	err = cmapc_clear(fd);
	if (err)
		die_err(CMAP_IOC_CLEAR, 0, err, env.table);
	close(fd);
	return 0;
}

/* ---- dump ------------------------------------------------------------------ */

static int cmd_dump(void)
{
	__u32 len = env.buf_size, count, bytes, id, calls = 0;
	uint64_t total = 0;
	__u64 cursor = 0, prev;
	void *buf;
	int fd, err;

	fd = open_bound(&id);
	buf = malloc(len);
	if (!buf)
		die("out of memory");

	while (cursor != CMAP_ITER_DONE) {
		const struct cmap_rec *rec;
		const void *k, *v;
		__u32 off = 0, n = 0;

		prev = cursor;
		err = cmapc_iter(fd, &cursor, buf, len, &count, &bytes);
		calls++;
		if (err == -ENOBUFS) {
			__u32 want = len * 2;

			if (bytes > CMAP_ITER_BUF_MAX || len >= CMAP_ITER_BUF_MAX)
				die("ITER needs a %u-byte buffer, more than CMAP_ITER_BUF_MAX", bytes);
			if (want < bytes)
				want = bytes;
			if (want > CMAP_ITER_BUF_MAX)
				want = CMAP_ITER_BUF_MAX;
			verbose("ITER: -ENOBUFS, next record needs %u bytes; buffer %u -> %u",
				bytes, len, want);
			free(buf);
			len = want;
			buf = malloc(len);
			if (!buf)
				die("out of memory");
			continue;
		}
		if (err == -EINTR)
			continue;
		if (err)
			die_err(CMAP_IOC_ITER, 0, err, env.table);
		if (bytes > len)
			die("ITER reported %u bytes in a %u-byte buffer", bytes, len);

		while ((err = cmapc_rec_next(buf, bytes, &off, &rec, &k, &v)) > 0) {
			cmapc_fprint_bytes(stdout, k, rec->key_len, key_fmt());
			putchar('\t');
			cmapc_fprint_bytes(stdout, v, rec->value_len, value_fmt());
			putchar('\n');
			n++;
		}
		if (err < 0 || n != count)
			die("malformed ITER reply (count %u, bytes %u, parsed %u records)",
			    count, bytes, n);
		total += n;
		if (cursor > CMAP_ITER_DONE)
			die("ITER returned cursor %#llx beyond CMAP_ITER_DONE",
			    (unsigned long long)cursor);
		if (cursor == prev && count == 0)
			die("ITER made no progress at cursor %#llx",
			    (unsigned long long)cursor);
	}
	check_stdout();
	fprintf(stderr, "%" PRIu64 " entries\n", total);
	verbose("%u ITER calls, last buffer %u bytes", calls, len);
	free(buf);
	close(fd);
	return 0;
}

/* ---- stats ----------------------------------------------------------------- */

static int cmd_stats(void)
{
	struct cmap_stats st;
	__u32 id = env.stats_id;
	const char *mode;
	char mbuf[16], hb[32];
	int fd, err;

	if (id) {
		fd = open_device();
		err = cmapc_stats(fd, id, &st);
	} else {
		fd = open_bound(&id);
		err = cmapc_stats(fd, 0, &st);
	}
	if (err)
		die_err(CMAP_IOC_STATS, 0, err, env.stats_id ? NULL : env.table);
	close(fd);

	mode = cmapc_mode_name(st.mode);
	if (!mode) {
		snprintf(mbuf, sizeof(mbuf), "%u", st.mode);
		mode = mbuf;
	}

#define U(f) ((unsigned long long)st.f)
	if (env.json) {
		json_object *o = json_object_new_object();

#define JU(f) json_object_object_add(o, #f, json_object_new_uint64(st.f))
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "name", json_strn(st.name, sizeof(st.name)));
		json_object_object_add(o, "mode", json_object_new_string(mode));
		json_object_object_add(o, "inline",
				       json_object_new_boolean(st.create_flags &
							       CMAP_CREATE_INLINE));
		JU(create_flags);
		JU(entries);
		JU(buckets);
		JU(overflow_buckets);
		json_object_object_add(o, "load_factor",
				       json_fixed3(st.load_factor_milli / 1000.0));
		JU(load_factor_milli);
		JU(resizes);
		JU(resizing);
		JU(bytes);
		JU(max_entries);
		JU(max_bytes);
		JU(puts);
		JU(gets);
		JU(deletes);
		JU(hits);
		JU(iters);
		JU(lock_acquisitions);
		JU(lock_contended);
		JU(lock_wait_ns);
		JU(races);
		JU(read_races);
#undef JU
		json_object_object_add(o, "creator_pid", json_object_new_int(st.creator_pid));
		json_object_object_add(o, "creator_comm",
				       json_strn(st.creator_comm, sizeof(st.creator_comm)));
		json_print(o, JSON_FLAGS);
		check_stdout();
		return 0;
	}

	printf("name: %.*s\n", (int)sizeof(st.name), st.name);
	printf("id: %u\n", id);
	printf("mode: %s\n", mode);
	printf("inline: %s\n", st.create_flags & CMAP_CREATE_INLINE ? "yes" : "no");
	printf("entries: %llu\n", U(entries));
	printf("buckets: %llu\n", U(buckets));
	printf("overflow_buckets: %llu\n", U(overflow_buckets));
	printf("load_factor: %.3f\n", st.load_factor_milli / 1000.0);
	printf("resizes: %llu\n", U(resizes));
	printf("resizing: %llu\n", U(resizing));
	printf("bytes: %llu (%s)\n", U(bytes), cmapc_human_bytes(hb, sizeof(hb), st.bytes));
	printf("max_entries: %llu\n", U(max_entries));
	printf("max_bytes: %llu (%s)\n", U(max_bytes),
	       cmapc_human_bytes(hb, sizeof(hb), st.max_bytes));
	printf("puts: %llu\n", U(puts));
	printf("gets: %llu\n", U(gets));
	printf("deletes: %llu\n", U(deletes));
	printf("hits: %llu", U(hits));
	if (st.gets)
		printf(" (%.1f%% of gets)", 100.0 * st.hits / st.gets);
	printf("\n");
	printf("iters: %llu\n", U(iters));
	printf("lock_acquisitions: %llu\n", U(lock_acquisitions));
	printf("lock_contended: %llu", U(lock_contended));
	if (st.lock_acquisitions)
		printf(" (%.2f%%)", 100.0 * st.lock_contended / st.lock_acquisitions);
	printf("\n");
	printf("lock_wait_ns: %llu", U(lock_wait_ns));
	if (st.lock_wait_ns)
		printf(" (%.3f ms)", st.lock_wait_ns / 1e6);
	printf("\n");
	printf("races: %llu\n", U(races));
	printf("read_races: %llu\n", U(read_races));
	printf("creator_pid: %d\n", st.creator_pid);
	printf("creator_comm: %.*s\n", (int)sizeof(st.creator_comm), st.creator_comm);
#undef U
	check_stdout();
	return 0;
}

/* ---- option parsing -------------------------------------------------------- */

static const struct argp_option common_opts[] = {
	{ "table", 't', "NAME", 0, "Table to work on", 0 },
	{ "device", 'd', "PATH", 0, "cmap device (default " CMAP_DEVICE ")", 0 },
	{ "hex", 'x', NULL, 0, "Keys and values are hex bytes, in and out", 0 },
	{ "u64", 'u', NULL, 0,
	  "KEY is an unsigned number stored as 8 native-endian bytes, the "
	  "keys `load` uses (dump: print 8-byte keys so)", 0 },
	{ "verbose", 'v', NULL, 0, "Say more on stderr", 0 },
	{},
};

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	(void)state;
	switch (key) {
	case 't':
		env.table = arg;
		break;
	case 'd':
		env.device = arg;
		break;
	case 'x':
		env.hex = true;
		break;
	case 'u':
		env.u64 = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp common_argp = { common_opts, parse_common, NULL, NULL, NULL, NULL, NULL };

static const struct argp_child common_child[] = {
	{ &common_argp, 0, "Global options:", 1 },
	{},
};

struct command {
	const char *name;
	const char *alias;
	int (*run)(void);
	int min_args, max_args;
	struct argp argp;
};

static const struct command *cur;

static error_t parse_sub(int key, char *arg, struct argp_state *state)
{
	uint64_t v;

	switch (key) {
	case OPT_NX:
		env.put_flags = CMAP_PUT_NOEXIST;
		break;
	case OPT_XX:
		env.put_flags = CMAP_PUT_EXIST;
		break;
	case OPT_SIZE_HINT:
		env.cfg.size_hint = (__u32)cmapc_arg_size(state, "--size-hint", arg, 1000, 0, UINT32_MAX);
		break;
	case OPT_MAX_ENTRIES:
		env.cfg.max_entries = cmapc_arg_size(state, "--max-entries", arg, 1000, 0, UINT64_MAX);
		break;
	case OPT_MAX_BYTES:
		env.cfg.max_bytes = cmapc_arg_size(state, "--max-bytes", arg, 1024, 0, UINT64_MAX);
		break;
	case OPT_MODE: {
		int m = cmapc_mode_parse(arg);

		if (m < 0)
			argp_error(state, "invalid --mode '%s' (known: %s)", arg,
				   cmapc_mode_list());
		env.cfg.mode = (__u32)m;
		break;
	}
	case OPT_JSON:
		env.json = true;
		break;
	case OPT_ID:
		env.stats_id = (__u32)cmapc_arg_size(state, "--id", arg, 1, 1, UINT32_MAX);
		break;
	case OPT_THREADS:
		env.threads = (unsigned)cmapc_arg_size(state, "--threads", arg, 1000, 1, MAX_THREADS);
		break;
	case OPT_READ_PCT:
		env.read_pct = cmapc_arg_double(state, "--read-pct", arg, 0, 100);
		break;
	case OPT_DEL_PCT:
		env.del_pct = cmapc_arg_double(state, "--del-pct", arg, 0, 100);
		break;
	case OPT_KEYS:
		env.keys = cmapc_arg_size(state, "--keys", arg, 1000, 1, UINT64_MAX);
		break;
	case OPT_DIST:
		if (!strcmp(arg, "uniform"))
			env.zipf = false;
		else if (!strcmp(arg, "zipf") || !strcmp(arg, "zipfian"))
			env.zipf = true;
		else
			argp_error(state, "invalid --dist '%s' (uniform or zipf)", arg);
		break;
	case OPT_THETA:
		env.theta = cmapc_arg_double(state, "--theta", arg, 0, 1);
		if (env.theta <= 0 || env.theta >= 1)
			argp_error(state, "invalid --theta '%s': must be between 0 and 1, exclusive", arg);
		break;
	case OPT_VALUE_SIZE:
		env.value_size = (__u32)cmapc_arg_size(state, "--value-size", arg, 1024, 0, CMAP_VALUE_MAX);
		break;
	case OPT_DURATION:
		env.duration = cmapc_arg_double(state, "--duration", arg, 0, 1e9);
		break;
	case OPT_BATCH:
		env.batch = (__u32)cmapc_arg_size(state, "--batch", arg, 1000, 1, CMAP_BATCH_MAX);
		break;
	case OPT_PRELOAD:
		env.preload = true;
		break;
	case OPT_NO_PRELOAD:
		env.preload = false;
		break;
	case OPT_OPS:
		env.ops_limit = cmapc_arg_size(state, "--ops", arg, 1000, 0, UINT64_MAX);
		break;
	case OPT_MODES: {
		const char *bad;

		env.bench_modes = parse_bench_modes(arg, &bad);
		if (!env.bench_modes)
			argp_error(state, "invalid --modes '%s': unknown mode '%s' "
				   "(rcu, rwlock, spinlock, cow, racecheck, rhashtable, all)",
				   arg, bad);
		break;
	}
	case OPT_GROWTH:
		env.growth = true;
		break;
	case OPT_BENCH_INLINE:
		env.bench_inline = true;
		break;
	case OPT_INLINE:
		env.create_flags |= CMAP_CREATE_INLINE;
		break;
	case OPT_CSV:
		env.csv = true;
		break;
	case OPT_SEED:
		if (cmapc_parse_u64(arg, &v))
			argp_error(state, "invalid --seed '%s'", arg);
		env.seed = v;
		env.seed_set = true;
		break;
	case OPT_BUF_SIZE:
		env.buf_size = (__u32)cmapc_arg_size(state, "--buf-size", arg, 1024, 8, CMAP_ITER_BUF_MAX);
		break;
	case ARGP_KEY_ARG:
		if (env.nargs >= cur->max_args)
			argp_error(state, "too many arguments");
		env.args[env.nargs++] = arg;
		break;
	case ARGP_KEY_END:
		if (env.nargs < cur->min_args)
			argp_error(state, "missing argument%s",
				   cur->min_args - env.nargs > 1 ? "s" : "");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option create_opts[] = {
	{ "size-hint", OPT_SIZE_HINT, "N", 0, "Expected number of entries: sizes the first bucket array (default: small)", 0 },
	{ "max-entries", OPT_MAX_ENTRIES, "N", 0, "Limit on live entries (default: the module's default_max_entries)", 0 },
	{ "max-bytes", OPT_MAX_BYTES, "N", 0, "Limit on bytes held, e.g. 64M (default: the module's default_max_bytes)", 0 },
	{ "mode", OPT_MODE, "MODE", 0, "Synchronization mode: rcu (default), rwlock, spinlock, cow or racecheck", 0 },
	{ "inline", OPT_INLINE, NULL, 0, "Inline table: keys and values of exactly 8 bytes, kept in the buckets (one cache line per lookup)", 0 },
	{},
};

static const struct argp_option put_opts[] = {
	{ "nx", OPT_NX, NULL, 0, "Insert only: fail if KEY exists (PUT_NOEXIST)", 0 },
	{ "xx", OPT_XX, NULL, 0, "Replace only: fail if KEY is absent (PUT_EXIST)", 0 },
	{},
};

static const struct argp_option json_opts[] = {
	{ "json", OPT_JSON, NULL, 0, "Print JSON", 0 },
	{},
};

static const struct argp_option stats_opts[] = {
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object", 0 },
	{ "id", OPT_ID, "ID", 0, "Table by id instead of -t (does not bind to it)", 0 },
	{},
};

static const struct argp_option dump_opts[] = {
	{ "buf-size", OPT_BUF_SIZE, "BYTES", 0, "First ITER buffer size (default 64K; grows when a record does not fit)", 0 },
	{},
};

static const struct argp_option load_opts[] = {
	{ "threads", OPT_THREADS, "N", 0, "Threads, each with its own file bound to the table (default 2)", 0 },
	{ "read-pct", OPT_READ_PCT, "P", 0, "Percent of ops that are GETs (default 90)", 0 },
	{ "del-pct", OPT_DEL_PCT, "P", 0, "Percent of ops that are DELETEs (default 0); the rest are PUTs", 0 },
	{ "keys", OPT_KEYS, "K", 0, "Key space: 8-byte keys 0..K-1 (default 10000; 1M = 1000000)", 0 },
	{ "dist", OPT_DIST, "DIST", 0, "Key distribution: uniform (default) or zipf", 0 },
	{ "theta", OPT_THETA, "T", 0, "Zipf skew, 0 < T < 1 (default 0.99)", 0 },
	{ "value-size", OPT_VALUE_SIZE, "B", 0, "Bytes per PUT value, 0..4096 (default 8)", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Seconds to run (default 5; 0: until Ctrl-C or --ops)", 0 },
	{ "batch", OPT_BATCH, "N", 0, "Ops per CMAP_IOC_BATCH call, 1..1024 (default 1: single ioctls)", 0 },
	{ "preload", OPT_PRELOAD, NULL, 0, "PUT every key first, through BATCH (default)", 0 },
	{ "no-preload", OPT_NO_PRELOAD, NULL, 0, "Start from what the table holds", 0 },
	{ "ops", OPT_OPS, "N", 0, "Stop each thread after N ops (default: no limit)", 0 },
	{ "seed", OPT_SEED, "S", 0, "Random seed (default: time and pid)", 0 },
	{},
};

static const struct argp_option bench_opts[] = {
	{ "modes", OPT_MODES, "LIST", 0, "Comma-separated: rcu, rwlock, spinlock, cow, racecheck, rhashtable (the kernel's, the baseline), or all (default)", 0 },
	{ "threads", OPT_THREADS, "N", 0, "Kernel threads, pinned to CPUs round-robin, 1..64 (default 2)", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Timed phase per mode (default 5)", 0 },
	{ "read-pct", OPT_READ_PCT, "P", 0, "Percent of ops that are lookups; the rest upsert existing keys (default 90)", 0 },
	{ "keys", OPT_KEYS, "K", 0, "Key space: 8-byte keys 0..K-1, at most 16M (default 10000)", 0 },
	{ "dist", OPT_DIST, "DIST", 0, "Key distribution: uniform (default) or zipf", 0 },
	{ "theta", OPT_THETA, "T", 0, "Zipf skew, 0.001..0.999 (default 0.99)", 0 },
	{ "value-size", OPT_VALUE_SIZE, "B", 0, "Value bytes, 0..4096 (default 8)", 0 },
	{ "no-preload", OPT_NO_PRELOAD, NULL, 0, "Start from an empty table (default: insert every key first)", 0 },
	{ "growth", OPT_GROWTH, NULL, 0, "Instead: time every insert of K fresh keys into an empty table (--read-pct, --duration ignored)", 0 },
	{ "inline", OPT_BENCH_INLINE, NULL, 0, "The modes' tables are inline tables: 8-byte keys and values kept in the buckets (--value-size 8)", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print JSON", 0 },
	{ "csv", OPT_CSV, NULL, 0, "Print CSV, with a header line", 0 },
	{},
};

#define SUB(opts, args, doc) \
	{ opts, parse_sub, args, doc, common_child, NULL, NULL }

/* ---- version -------------------------------------------------------------- */

/*
 * The tool's version, then the module's (CMAP_IOC_VERSION): its version,
 * ABI version, and the commands and modes it knows.  A module without the
 * command is reported as such, not as an error.
 */
static int cmd_version(void)
{
	static const char *const cmd_names[] = {
		[1] = "create", "open", "destroy", "list", "put", "get", "delete",
		"clear", "batch", "iter", "stats", "bench", "version",
	};
	struct cmap_version v;
	int fd, i, err;

	printf("%s\n", argp_program_version);
	fd = open_device();
	err = cmapc_version(fd, &v);
	if (err) {
		err = -err;

		close(fd);
		if (err != ENOTTY)
			die_err(CMAP_IOC_VERSION, 0, -err, NULL);
		printf("cmap.ko: older than CMAP_IOC_VERSION (no version query)\n");
		check_stdout();
		return 0;
	}
	close(fd);
	printf("cmap.ko %.*s (ABI %u)\n", (int)sizeof(v.version), v.version,
	       v.abi_version);
	printf("commands:");
	for (i = 0; i < 64; i++) {
		if (!(v.ioctls & 1ULL << i))
			continue;
		if (i < (int)(sizeof(cmd_names) / sizeof(cmd_names[0])) && cmd_names[i])
			printf(" %s", cmd_names[i]);
		else
			printf(" #%d", i);
	}
	printf("\nmodes:");
	for (i = 0; i < 32; i++) {
		const char *m = cmapc_mode_name((__u32)i);

		if (!(v.modes & 1U << i))
			continue;
		if (m)
			printf(" %s", m);
		else
			printf(" #%d", i);
	}
	printf("\ncreate flags:");
	if (v.create_flags & CMAP_CREATE_INLINE)
		printf(" inline");
	for (i = 1; i < 64; i++)
		if (v.create_flags & ~(__u64)CMAP_CREATE_INLINE & 1ULL << i)
			printf(" #%d", i);
	printf("\n");
	check_stdout();
	return 0;
}

/* race-demo: user/racedemo.c, with its own options */
static int cmd_race_demo(void)
{
	return race_demo_run(env.device, env.verbose) ? CMAPC_EXIT_ERROR : 0;
}

static const struct command commands[] = {
	{ "create", NULL, cmd_create, 0, 1, SUB(create_opts, "NAME",
	  "Create a table (named NAME, or by -t) and print its id.\v"
	  "Names are 1..31 bytes of printable ASCII without '/'. Sizes take "
	  "suffixes k, M, G (--max-bytes: powers of 1024). An --inline table "
	  "takes only 8-byte keys and values (--u64 keys, 8-character or "
	  "--hex values); its entries are charged 16 bytes each.\n\n"
	  "Examples:\n"
	  "  cmapctl create t1\n"
	  "  cmapctl create bench --size-hint 1M --max-entries 2M --max-bytes 512M\n"
	  "  cmapctl create ids --inline && cmapctl -t ids --u64 put 42 8bytes!!") },
	{ "destroy", NULL, cmd_destroy, 0, 1, SUB(NULL, "NAME",
	  "Destroy a table (named NAME, or by -t). Files still bound to it get "
	  "EIDRM.\v"
	  "Example:\n  cmapctl destroy t1") },
	{ "ls", "list", cmd_ls, 0, 0, SUB(json_opts, NULL,
	  "List the tables: id, name, mode (\"+inline\" for an inline table), "
	  "entries, bytes, bound files, creator pid and comm.") },
	{ "put", "set", cmd_put, 2, 2, SUB(put_opts, "KEY VALUE",
	  "Insert or replace KEY with VALUE in the -t table.\v"
	  "KEY is 1..64 bytes, VALUE 0..4096 bytes (in an inline table both "
	  "exactly 8), given as text, or as hex with --hex. Use -- before a "
	  "VALUE that starts with '-'.\n\n"
	  "Examples:\n"
	  "  cmapctl -t t1 put hello world\n"
	  "  cmapctl -t t1 put --nx hello world     # fails if hello exists\n"
	  "  cmapctl -t t1 put --xx hello world     # exit 1 if hello is absent\n"
	  "  cmapctl -t t1 --hex put 00ff 0102030405\n"
	  "  cmapctl -t bench --u64 put 42 x") },
	{ "get", NULL, cmd_get, 1, 1, SUB(NULL, "KEY",
	  "Print KEY's value from the -t table: as text when printable, else "
	  "as 0x and hex (--hex: always hex). Exit 1 if absent.\v"
	  "Examples:\n"
	  "  cmapctl -t t1 get hello\n"
	  "  cmapctl -t bench --u64 get 42") },
	{ "del", "rm", cmd_del, 1, 1, SUB(NULL, "KEY",
	  "Delete KEY from the -t table. Exit 1 if absent.") },
	{ "clear", NULL, cmd_clear, 0, 0, SUB(NULL, NULL,
	  "Delete every key of the -t table.") },
	{ "dump", NULL, cmd_dump, 0, 0, SUB(dump_opts, NULL,
	  "Print every entry of the -t table as KEY<TAB>VALUE lines (in hash "
	  "order), then the count on stderr.\v"
	  "Keys and values print as text when printable, else as 0x and hex; "
	  "--hex prints all as hex, --u64 prints 8-byte keys as numbers.\n\n"
	  "Example:\n  cmapctl -t t1 dump | sort") },
	{ "stats", NULL, cmd_stats, 0, 0, SUB(stats_opts, NULL,
	  "Print the counters of the -t table (or of --id ID), one "
	  "'field: value' per line.") },
	{ "load", NULL, cmd_load, 0, 0, SUB(load_opts, NULL,
	  "Run a multi-threaded GET/PUT/DELETE load on the -t table and print "
	  "throughput and counts.\v"
	  "Keys are 8-byte native-endian numbers 0..K-1 (see --u64); a PUT's "
	  "value starts with its key's bytes, which every GET hit checks. "
	  "Progress goes to stderr once a second on runs longer than 3 s; "
	  "Ctrl-C stops early and still prints the results. Exit status 2 if "
	  "any operation failed (misses, and EBUSY from a racecheck table, are "
	  "not failures) or a value did not match its key.\n\n"
	  "Examples:\n"
	  "  cmapctl create bench --size-hint 100k\n"
	  "  cmapctl -t bench load --threads 4 --read-pct 90 --keys 100000 \\\n"
	  "          --dist zipf --duration 10\n"
	  "  cmapctl -t bench load --keys 1M --batch 64 --read-pct 50 --del-pct 10\n"
	  "  cmapctl -t bench load --no-preload --ops 1000 --threads 1 --seed 1") },
	{ "bench", NULL, cmd_bench, 0, 0, SUB(bench_opts, NULL,
	  "Run the in-kernel benchmark (CMAP_IOC_BENCH): the same workload on "
	  "a private table of each mode and on the kernel's rhashtable, and "
	  "print a table of throughput, latencies, lock contention, memory per "
	  "entry and speed ratios against rcu and rhashtable.\v"
	  "Needs no table. Kernel threads preload the keys, then look up (and "
	  "copy out) or upsert them for --duration; every 64th operation is "
	  "timed. Ctrl-C stops the run and prints the partial results.\n\n"
	  "Examples:\n"
	  "  cmapctl bench --threads 2 --read-pct 100 --keys 1M --duration 2\n"
	  "  cmapctl bench --modes rcu,rwlock,rhashtable --dist zipf --csv\n"
	  "  cmapctl bench --modes rcu,rwlock,rhashtable --inline --keys 1M\n"
	  "  cmapctl bench --modes rcu,rhashtable --growth --keys 1M") },
	{ "version", NULL, cmd_version, 0, 0, SUB(NULL, NULL,
	  "Print this tool's version and the loaded module's: its version, "
	  "ABI version, and the commands, modes and CREATE flags it supports.") },
	{ "race-demo", NULL, cmd_race_demo, 0, 0,
	  { race_demo_opts, race_demo_parse, NULL, RACE_DEMO_DOC, common_child, NULL, NULL } },
	{},
};

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(name, c->name) || (c->alias && !strcmp(name, c->alias)))
			return c;
	return NULL;
}

static int cmd_index;

static error_t parse_top(int key, char *arg, struct argp_state *state)
{
	(void)arg;
	switch (key) {
	case ARGP_KEY_ARG:
		/* the command: the rest of argv is its own */
		for (int i = 1; i < state->argc; i++)
			if (state->argv[i] == arg) {
				cmd_index = i;
				break;
			}
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!cmd_index)
			argp_error(state, "no command given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char top_doc[] =
	"Control and exercise cmap tables through " CMAP_DEVICE ".\n\n"
	"Commands:\n"
	"  create NAME      create a table, print its id\n"
	"  destroy NAME     destroy a table\n"
	"  ls               list the tables\n"
	"  put KEY VALUE    insert or replace a key      (these need -t NAME)\n"
	"  get KEY          print a key's value\n"
	"  del KEY          delete a key\n"
	"  clear            delete every key\n"
	"  dump             print every KEY<TAB>VALUE\n"
	"  stats            print the table's counters\n"
	"  load             run a multi-threaded load and report throughput\n"
	"  bench            in-kernel benchmark of the modes and rhashtable\n"
	"  race-demo        Go's concurrent map writes, detected and traced\n"
	"  help [COMMAND]   this help, or a command's\n"
	"Run 'cmapctl COMMAND --help' for a command's options.\v"
	"Exit status: 0 success; 1 the key or table asked for does not exist "
	"(get, del, put --xx of a missing key; any command on a missing -t "
	"table or --id); 2 any other error (bad usage, " CMAP_DEVICE
	" missing or not accessible, a failed request).\n\n"
	"Global options may also follow the command. Tables live in the "
	"kernel until destroyed or until cmap.ko is unloaded.\n\n"
	"Examples:\n"
	"  cmapctl create t1\n"
	"  cmapctl -t t1 put hello world\n"
	"  cmapctl -t t1 get hello\n"
	"  cmapctl -t t1 dump\n"
	"  cmapctl ls\n"
	"  cmapctl -t t1 stats\n"
	"  cmapctl create bench\n"
	"  cmapctl -t bench load --threads 4 --read-pct 90 --keys 100000 \\\n"
	"          --dist zipf --duration 10\n"
	"  cmapctl destroy t1";

static const struct argp_child top_children[] = {
	{ &common_argp, 0, NULL, 0 },
	{},
};

static const struct argp top_argp = {
	NULL, parse_top, "COMMAND [ARG...]", top_doc, top_children, NULL, NULL
};

int main(int argc, char **argv)
{
	static char progname[64];
	const struct command *c;
	char **sub_argv;
	int sub_argc;

	argp_err_exit_status = CMAPC_EXIT_ERROR;
	argp_parse(&top_argp, argc, argv, ARGP_IN_ORDER, NULL, NULL);

	if (!strcmp(argv[cmd_index], "help")) {
		if (cmd_index + 1 >= argc) {
			argp_help(&top_argp, stdout, ARGP_HELP_STD_HELP, "cmapctl");
			return 0;
		}
		c = find_command(argv[cmd_index + 1]);
		if (!c) {
			fprintf(stderr, "cmapctl: unknown command '%s' (see cmapctl --help)\n",
				argv[cmd_index + 1]);
			return CMAPC_EXIT_ERROR;
		}
		snprintf(progname, sizeof(progname), "cmapctl %s", c->name);
		argp_help(&c->argp, stdout, ARGP_HELP_STD_HELP, progname);
		return 0;
	}

	c = find_command(argv[cmd_index]);
	if (!c) {
		fprintf(stderr, "cmapctl: unknown command '%s' (see cmapctl --help)\n",
			argv[cmd_index]);
		return CMAPC_EXIT_ERROR;
	}
	cur = c;
	env.cmd = c->name;

	/* parse the command's own arguments, named "cmapctl CMD" in messages */
	snprintf(progname, sizeof(progname), "cmapctl %s", c->name);
	sub_argc = argc - cmd_index;
	sub_argv = calloc(sub_argc + 1, sizeof(*sub_argv));
	if (!sub_argv)
		die("out of memory");
	sub_argv[0] = progname;
	for (int i = 1; i < sub_argc; i++)
		sub_argv[i] = argv[cmd_index + i];
	argp_parse(&c->argp, sub_argc, sub_argv, 0, NULL, NULL);

	return c->run();
}
