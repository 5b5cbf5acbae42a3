// SPDX-License-Identifier: GPL-2.0
/* libcmap: the cmap client library.  See libcmap.h. */
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libcmap.h"

static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/*
 * Not inlined: glibc's ioctl() keeps no frame pointer, so a frame-pointer
 * walk of a user stack (mapstat, racetrace) skips its caller; this frame
 * keeps the library's caller on such stacks.
 */
__attribute__((noinline)) int cmapc_ioctl(int fd, unsigned long cmd, void *arg)
{
	int rc = ioctl(fd, cmd, arg);

	return rc < 0 ? neg_errno() : rc;
}

/* ---- device and tables ------------------------------------------------ */

int cmapc_dev_open(const char *path)
{
	int fd = open(path ? path : CMAP_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? neg_errno() : fd;
}

int cmapc_check_name(const char *name, const char **why)
{
	size_t len = name ? strlen(name) : 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (len == 0) {
		*why = "name is empty";
		return -EINVAL;
	}
	if (len > CMAPC_NAME_MAX) {
		*why = "name too long (max 31 bytes)";
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (c == '/') {
			*why = "name must not contain '/'";
			return -EINVAL;
		}
		if (c < 0x20 || c > 0x7e) {
			*why = "name must be printable ASCII";
			return -EINVAL;
		}
	}
	return 0;
}

static int copy_name(char dst[CMAP_NAME_LEN], const char *name)
{
	size_t len = strlen(name);

	if (len > CMAPC_NAME_MAX)
		return -EINVAL;
	memset(dst, 0, CMAP_NAME_LEN);
	memcpy(dst, name, len);
	return 0;
}

int cmapc_create_flags(int fd, const char *name, __u32 flags,
		       const struct cmap_config *cfg, __u32 *id)
{
	struct cmap_create req;
	int err;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.flags = flags;
	if (copy_name(req.name, name))
		return -EINVAL;
	if (cfg)
		req.config = *cfg;
	err = cmapc_ioctl(fd, CMAP_IOC_CREATE, &req);
	if (!err && id)
		*id = req.id;
	return err;
}

int cmapc_create(int fd, const char *name, const struct cmap_config *cfg,
		__u32 *id)
{
	return cmapc_create_flags(fd, name, 0, cfg, id);
}

static int open_req(int fd, unsigned long cmd, const char *name, __u32 in_id,
		    __u32 *id)
{
	struct cmap_open req;
	int err;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	if (name) {
		if (copy_name(req.name, name))
			return -EINVAL;
	} else {
		req.id = in_id;
	}
	err = cmapc_ioctl(fd, cmd, &req);
	if (!err && id)
		*id = req.id;
	return err;
}

int cmapc_open(int fd, const char *name, __u32 *id)
{
	return open_req(fd, CMAP_IOC_OPEN, name, 0, id);
}

int cmapc_open_id(int fd, __u32 id)
{
	return open_req(fd, CMAP_IOC_OPEN, NULL, id, NULL);
}

int cmapc_destroy(int fd, const char *name, __u32 *id)
{
	return open_req(fd, CMAP_IOC_DESTROY, name, 0, id);
}

int cmapc_destroy_id(int fd, __u32 id)
{
	return open_req(fd, CMAP_IOC_DESTROY, NULL, id, NULL);
}

int cmapc_open_table(const char *path, const char *name, __u32 *id,
		    unsigned long *failed_cmd)
{
	int fd, err;

	fd = cmapc_dev_open(path);
	if (fd < 0) {
		if (failed_cmd)
			*failed_cmd = CMAPC_CMD_DEVOPEN;
		return fd;
	}
	err = cmapc_open(fd, name, id);
	if (err) {
		if (failed_cmd)
			*failed_cmd = CMAP_IOC_OPEN;
		close(fd);
		errno = -err;
		return err;
	}
	return fd;
}

int cmapc_list_into(int fd, struct cmap_table_info *tables, __u32 cap,
		    __u32 *count, __u32 *total)
{
	struct cmap_list req;
	int err;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.tables = (__u64)(uintptr_t)tables;
	req.count = cap;
	err = cmapc_ioctl(fd, CMAP_IOC_LIST, &req);
	if (count)
		*count = err ? 0 : req.count;
	if (total)
		*total = err ? 0 : req.total;
	return err;
}

int cmapc_list(int fd, struct cmap_table_info **tables, __u32 *count)
{
	struct cmap_table_info *arr = NULL, *tmp;
	__u32 cap = 16, n, total;
	int err;

	for (;;) {
		tmp = realloc(arr, (size_t)cap * sizeof(*arr));
		if (!tmp) {
			free(arr);
			return -ENOMEM;
		}
		arr = tmp;
		memset(arr, 0, (size_t)cap * sizeof(*arr));
		err = cmapc_list_into(fd, arr, cap, &n, &total);
		if (err) {
			free(arr);
			return err;
		}
		if (total <= n) {
			*tables = arr;
			*count = n;
			return 0;
		}
		/* tables were created meanwhile: grow with some slack */
		cap = total + total / 4 + 4;
	}
}

/* ---- data commands ---------------------------------------------------- */

static void kv_init(struct cmap_kv *kv, const void *key, __u32 key_len)
{
	memset(kv, 0, sizeof(*kv));
	kv->size = sizeof(*kv);
	kv->key = (__u64)(uintptr_t)key;
	kv->key_len = key_len;
}

int cmapc_put(int fd, const void *key, __u32 key_len, const void *value,
	     __u32 value_len, __u32 flags)
{
	struct cmap_kv kv;

	kv_init(&kv, key, key_len);
	kv.flags = flags;
	kv.value = (__u64)(uintptr_t)value;
	kv.value_len = value_len;
	return cmapc_ioctl(fd, CMAP_IOC_PUT, &kv);
}

int cmapc_get(int fd, const void *key, __u32 key_len, void *buf,
	     __u32 *value_len)
{
	struct cmap_kv kv;
	int err;

	kv_init(&kv, key, key_len);
	kv.value = (__u64)(uintptr_t)buf;
	kv.value_len = *value_len;
	err = cmapc_ioctl(fd, CMAP_IOC_GET, &kv);
	*value_len = kv.value_len;
	return err;
}

int cmapc_get_alloc(int fd, const void *key, __u32 key_len, void **value,
		   __u32 *value_len)
{
	__u32 cap = CMAP_VALUE_MAX, len;
	void *buf = NULL, *tmp;
	int err, tries;

	/* the value may be replaced by a bigger one between two tries */
	for (tries = 0; tries < 8; tries++) {
		tmp = realloc(buf, cap ? cap : 1);
		if (!tmp) {
			free(buf);
			return -ENOMEM;
		}
		buf = tmp;
		len = cap;
		err = cmapc_get(fd, key, key_len, buf, &len);
		if (err == -ENOBUFS && len > cap) {
			cap = len;
			continue;
		}
		if (err) {
			free(buf);
			return err;
		}
		*value = buf;
		*value_len = len;
		return 0;
	}
	free(buf);
	return -ENOBUFS;
}

int cmapc_delete(int fd, const void *key, __u32 key_len)
{
	struct cmap_kv kv;

	kv_init(&kv, key, key_len);
	return cmapc_ioctl(fd, CMAP_IOC_DELETE, &kv);
}

int cmapc_clear(int fd)
{
	return cmapc_ioctl(fd, CMAP_IOC_CLEAR, NULL);
}

int cmapc_batch(int fd, struct cmap_batch_op *ops, __u32 count, __u32 *done)
{
	struct cmap_batch req;
	int err;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.ops = (__u64)(uintptr_t)ops;
	req.count = count;
	err = cmapc_ioctl(fd, CMAP_IOC_BATCH, &req);
	if (done)
		*done = req.done;
	return err;
}

int cmapc_iter(int fd, __u64 *cursor, void *buf, __u32 buf_len, __u32 *count,
	      __u32 *bytes)
{
	struct cmap_iter req;
	int err;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.cursor = *cursor;
	req.buf = (__u64)(uintptr_t)buf;
	req.buf_len = buf_len;
	err = cmapc_ioctl(fd, CMAP_IOC_ITER, &req);
	if (!err)
		*cursor = req.cursor;
	if (count)
		*count = err ? 0 : req.count;
	if (bytes)
		*bytes = req.bytes;
	return err;
}

int cmapc_stats(int fd, __u32 id, struct cmap_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->id = id;
	return cmapc_ioctl(fd, CMAP_IOC_STATS, st);
}

int cmapc_version(int fd, struct cmap_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return cmapc_ioctl(fd, CMAP_IOC_VERSION, v);
}

int cmapc_bench(int fd, struct cmap_bench *req)
{
	req->size = sizeof(*req);
	return cmapc_ioctl(fd, CMAP_IOC_BENCH, req);
}

int cmapc_rec_next(const void *buf, __u32 bytes, __u32 *off,
		  const struct cmap_rec **rec, const void **key,
		  const void **value)
{
	const unsigned char *p = buf;
	const struct cmap_rec *r;
	__u32 o = *off, rsize;

	if (o >= bytes)
		return 0;
	if (bytes - o < sizeof(*r))
		return -EPROTO;
	r = (const struct cmap_rec *)(p + o);
	rsize = CMAP_REC_SIZE(r->key_len, r->value_len);
	if (rsize > bytes - o)
		return -EPROTO;
	*rec = r;
	*key = p + o + sizeof(*r);
	*value = p + o + sizeof(*r) + r->key_len;
	*off = o + rsize;
	return 1;
}

/* ---- names and messages ----------------------------------------------- */

static const char *const mode_names[CMAP_MODE_COUNT] = {
	[CMAP_MODE_RCU] = "rcu",
	[CMAP_MODE_RWLOCK] = "rwlock",
	[CMAP_MODE_SPINLOCK] = "spinlock",
	[CMAP_MODE_COW] = "cow",
	[CMAP_MODE_RACECHECK] = "racecheck",
};

const char *cmapc_mode_name(__u32 mode)
{
	return mode < CMAP_MODE_COUNT ? mode_names[mode] : NULL;
}

const char *cmapc_mode_label(char *buf, size_t len, __u32 mode,
			     __u32 create_flags)
{
	const char *name = cmapc_mode_name(mode);
	const char *sfx = create_flags & CMAP_CREATE_INLINE ? "+inline" : "";

	if (name)
		snprintf(buf, len, "%s%s", name, sfx);
	else
		snprintf(buf, len, "%u%s", mode, sfx);
	return buf;
}

int cmapc_mode_parse(const char *s)
{
	for (int i = 0; i < CMAP_MODE_COUNT; i++)
		if (mode_names[i] && !strcasecmp(s, mode_names[i]))
			return i;
	return -EINVAL;
}

const char *cmapc_mode_list(void)
{
	static char buf[128];

	if (!buf[0]) {
		for (int i = 0; i < CMAP_MODE_COUNT; i++) {
			if (!mode_names[i])
				continue;
			if (buf[0])
				strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, mode_names[i], sizeof(buf) - strlen(buf) - 1);
		}
	}
	return buf;
}

const char *cmapc_errno_name(int err)
{
	static __thread char buf[16];

	if (err < 0)
		err = -err;
	switch (err) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(ESRCH); E(EINTR); E(EIO); E(ENXIO);
	E(E2BIG); E(EBADF); E(EAGAIN); E(ENOMEM); E(EACCES); E(EFAULT);
	E(EBUSY); E(EEXIST); E(ENODEV); E(EINVAL); E(ENFILE); E(EMFILE);
	E(ENOTTY); E(ENOSPC); E(ERANGE); E(ENOSYS); E(EPROTO); E(EBADFD);
	E(EIDRM); E(ENOBUFS); E(EOVERFLOW); E(EOPNOTSUPP); E(ETIMEDOUT);
#undef E
	}
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

const char *cmapc_cmd_name(unsigned long cmd)
{
	switch (cmd) {
	case CMAPC_CMD_DEVOPEN:	return "open device";
	case CMAP_IOC_CREATE:	return "CREATE";
	case CMAP_IOC_OPEN:	return "OPEN";
	case CMAP_IOC_DESTROY:	return "DESTROY";
	case CMAP_IOC_LIST:	return "LIST";
	case CMAP_IOC_PUT:	return "PUT";
	case CMAP_IOC_GET:	return "GET";
	case CMAP_IOC_DELETE:	return "DELETE";
	case CMAP_IOC_CLEAR:	return "CLEAR";
	case CMAP_IOC_BATCH:	return "BATCH";
	case CMAP_IOC_ITER:	return "ITER";
	case CMAP_IOC_STATS:	return "STATS";
	case CMAP_IOC_BENCH:	return "BENCH";
	case CMAP_IOC_VERSION:	return "VERSION";
	}
	return "ioctl";
}

int cmapc_exit_status(unsigned long cmd, int err)
{
	if (err < 0)
		err = -err;
	if (err == ENOENT && cmd != CMAPC_CMD_DEVOPEN)
		return CMAPC_EXIT_NOTFOUND;
	return CMAPC_EXIT_ERROR;
}

const char *cmapc_errmsg(char *buf, size_t size, unsigned long cmd,
			__u32 flags, int err, const char *name)
{
	const char *tbl = name ? name : "?";

	if (err < 0)
		err = -err;

	if (cmd == CMAPC_CMD_DEVOPEN) {
		const char *path = name ? name : CMAP_DEVICE;

		switch (err) {
		case ENOENT:
			snprintf(buf, size, "%s not found: is cmap.ko loaded? (modprobe cmap)",
				 path);
			break;
		case ENXIO:
		case ENODEV:
			snprintf(buf, size, "%s: no such device: is cmap.ko loaded? (modprobe cmap)",
				 path);
			break;
		case EACCES:
		case EPERM:
			snprintf(buf, size, "%s: permission denied (run as root, or check the device's mode)",
				 path);
			break;
		default:
			snprintf(buf, size, "%s: %s", path, strerror(err));
		}
		return buf;
	}

	/* command-specific meanings first */
	switch (err) {
	case ENOENT:
		switch (cmd) {
		case CMAP_IOC_OPEN:
		case CMAP_IOC_DESTROY:
		case CMAP_IOC_STATS:
			if (name)
				snprintf(buf, size, "no table named '%s'", name);
			else
				snprintf(buf, size, "no such table");
			return buf;
		case CMAP_IOC_PUT:
			snprintf(buf, size, "key not found%s",
				 flags == CMAP_PUT_EXIST ? " (replace-only put)" : "");
			return buf;
		case CMAP_IOC_GET:
		case CMAP_IOC_DELETE:
			snprintf(buf, size, "key not found");
			return buf;
		}
		break;
	case EEXIST:
		if (cmd == CMAP_IOC_CREATE) {
			snprintf(buf, size, "table '%s' exists", tbl);
			return buf;
		}
		if (cmd == CMAP_IOC_PUT) {
			snprintf(buf, size, "key exists%s",
				 flags == CMAP_PUT_NOEXIST ? " (insert-only put)" : "");
			return buf;
		}
		break;
	case ENOSPC:
		if (cmd == CMAP_IOC_CREATE)
			snprintf(buf, size, "too many tables (module parameter max_tables), or no free table id");
		else
			snprintf(buf, size, "table '%s' is full (its max_entries or max_bytes, or the module's memory cap, reached)",
				 tbl);
		return buf;
	case EINVAL:
		if (cmd == CMAP_IOC_CREATE)
			snprintf(buf, size, "invalid name or configuration (rejected by the module)");
		else
			snprintf(buf, size, "invalid argument (rejected by the module)");
		return buf;
	case ENOBUFS:
		snprintf(buf, size, "buffer too small");
		return buf;
	case EBUSY:
		snprintf(buf, size, "another writer was inside the table (racecheck mode)");
		return buf;
	}

	/* meanings common to every command */
	switch (err) {
	case ENOTTY:
		snprintf(buf, size, "%s not supported: not a cmap device, or cmap.ko too old",
			 cmapc_cmd_name(cmd));
		break;
	case E2BIG:
		snprintf(buf, size, "request not understood: cmap.ko older than this tool");
		break;
	case EBADFD:
		snprintf(buf, size, "file not bound to a table");
		break;
	case EIDRM:
		snprintf(buf, size, "table '%s' was destroyed", tbl);
		break;
	case EFAULT:
		snprintf(buf, size, "bad address");
		break;
	case EINTR:
		snprintf(buf, size, "interrupted");
		break;
	case ENOMEM:
		snprintf(buf, size, "out of kernel memory");
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, size, "permission denied (run as root?)");
		break;
	default:
		snprintf(buf, size, "%s", strerror(err));
	}
	return buf;
}

/* ---- keys and values -------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cmapc_parse_hex(const char *s, void *out, size_t max)
{
	unsigned char *o = out;
	size_t n = 0;
	int hi = -1;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++) {
		int v;

		if (*s == ':' || *s == ' ' || *s == '-' || *s == '_') {
			if (hi >= 0)
				return -EINVAL;	/* separator inside a byte */
			continue;
		}
		v = hexval((unsigned char)*s);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -E2BIG;
		o[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;
	return (int)n;
}

int cmapc_parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*v = x;
	return 0;
}

int cmapc_parse_size(const char *s, unsigned unit, uint64_t *v)
{
	char *end;
	unsigned long long x;
	uint64_t mul = 1;
	int shift = 0;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':		break;
	case 'k': case 'K':	shift = 1; break;
	case 'm': case 'M':	shift = 2; break;
	case 'g': case 'G':	shift = 3; break;
	case 't': case 'T':	shift = 4; break;
	default:		return -EINVAL;
	}
	if (*end) {
		if (unit < 2)		/* a plain number: no suffix */
			return -EINVAL;
		end++;
		/* allow "KiB", "KB", "k" */
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	while (shift--)
		mul *= unit;
	if (x && mul > UINT64_MAX / x)
		return -ERANGE;
	*v = x * mul;
	return 0;
}

uint64_t cmapc_arg_size(struct argp_state *state, const char *opt,
		       const char *arg, unsigned unit, uint64_t min,
		       uint64_t max)
{
	uint64_t v = min;
	int rc = cmapc_parse_size(arg, unit, &v);

	if (rc == -ERANGE)
		argp_error(state, "invalid %s '%s': too big", opt, arg);
	else if (rc)
		argp_error(state, "invalid %s '%s': not a number", opt, arg);
	if (v < min || v > max)
		argp_error(state, "invalid %s '%s': must be %" PRIu64 "..%" PRIu64,
			   opt, arg, min, max);
	return v;
}

double cmapc_arg_double(struct argp_state *state, const char *opt,
		       const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || isnan(v))
		argp_error(state, "invalid %s '%s': not a number", opt, arg);
	if (v < min || v > max)
		argp_error(state, "invalid %s '%s': must be %g..%g", opt, arg,
			   min, max);
	return v;
}

bool cmapc_is_printable(const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		if (c[i] < 0x20 || c[i] > 0x7e)
			return false;
	return true;
}

void cmapc_fprint_hex(FILE *f, const void *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++) {
		putc(digits[c[i] >> 4], f);
		putc(digits[c[i] & 15], f);
	}
}

void cmapc_fprint_bytes(FILE *f, const void *p, size_t len, enum cmapc_fmt fmt)
{
	if (fmt == CMAPC_FMT_U64 && len == sizeof(uint64_t)) {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		fprintf(f, "%" PRIu64, v);
		return;
	}
	if (fmt == CMAPC_FMT_HEX) {
		cmapc_fprint_hex(f, p, len);
		return;
	}
	if (cmapc_is_printable(p, len)) {
		fwrite(p, 1, len, f);
		return;
	}
	fputs("0x", f);
	cmapc_fprint_hex(f, p, len);
}

const char *cmapc_human_bytes(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	unsigned u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}
