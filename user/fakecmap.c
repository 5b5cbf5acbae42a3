// SPDX-License-Identifier: GPL-2.0
/*
 * libfakecmap.so: /dev/cmap in userspace, for testing the tools on a host
 * that cannot load cmap.ko.  It is the module's own code: the registry and
 * ioctl decoding (kmod/cmap_ioctl.c) and the table (kmod/cmap_core.c),
 * built over the kernel-API shim (tests/shim/) with ASan and UBSan.  This
 * file is only the device glue that cmap_dev.c is in the kernel.
 *
 *   LD_PRELOAD="$(gcc -print-file-name=libasan.so) libfakecmap.so" \
 *	FAKECMAP_STATE=/tmp/state user/cmapctl create t1
 *
 * (ASan's runtime must come first in the process; user/test_cmapctl.sh
 * puts it there.)
 *
 * Files.  open()/openat() of CMAP_DEVICE (or $FAKECMAP_DEVICE) opens
 * /dev/null for a real descriptor and gives it a cmap_file_alloc() state;
 * ioctl() on it is cmap_file_ioctl() with the caller's pointer as the user
 * pointer (the shim's copies fault on unmapped or read-only memory as the
 * kernel's do); close() is cmap_file_release().  An ioctl holds the
 * descriptor table's lock for reading, so the close of a cmap file waits
 * for the ioctls in flight, as the kernel's file references make it.  dup() and
 * fork() are not followed: a duplicate is not a cmap file, and only the
 * process that loaded the state saves it.
 *
 * Limits.  The module's defaults, with max_memory half of RAM and the
 * defaults of max_entries and max_bytes from $FAKECMAP_MAX_ENTRIES and
 * $FAKECMAP_MAX_BYTES when set.  BENCH is the in-kernel benchmark, which
 * needs the kernel's rhashtable: built as with CMAP_BENCH=n, the fake
 * answers -ENOTTY and VERSION does not list it.
 *
 * Persistence.  Without $FAKECMAP_STATE the tables live as long as the
 * process.  With it, the first open of the device locks the file (flock;
 * processes sharing it run their device use one at a time) and re-creates
 * the tables it holds through the real ioctls: CREATE with the saved name,
 * flags, mode, max_entries and max_bytes, as the saved creator (the shim's
 * current->tgid and comm are set for the call) and with the registry's id
 * cursor set to the saved id, so the table keeps its id; then one PUT per
 * record.  At exit the tables are saved through the real ioctls too: LIST,
 * then per table OPEN, STATS and ITER until CMAP_ITER_DONE.  The format
 * (native endianness, for this machine only):
 *
 *   struct fake_hdr                       magic, version, next id, tables
 *   per table: struct fake_table          as LIST and STATS report it
 *              @bytes of ITER records     struct cmap_rec + key + value
 *
 * Operation counters (puts, gets, ...) are not saved: they count what this
 * process did, the restoring PUTs included.
 *
 * At exit, after saving, every file still open is released and the
 * registry and core are torn down as at module unload; if that leaves
 * shim allocations behind or any WARN() fired, the process exits with
 * status 99 (and says why on stderr), so a test sees the bug.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cmap.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "cmap_bench.h"
#include "cmap_core.h"
#include "cmap_ioctl.h"
#include "shim.h"

#define FAKE_API	__attribute__((visibility("default")))
#define FAKE_MAX_FDS	4096
#define FAKE_MAGIC	0x70616d636b6166ULL	/* "fakecmap" */
#define FAKE_VERSION	2
#define FAKE_EXIT_BUG	99

struct fake_hdr {
	u64 magic;
	u32 version;
	u32 next_id;
	u32 tables;
	u32 pad;
};

struct fake_table {
	u32 id;
	u32 mode;
	s32 creator_pid;
	u32 flags;		/* CREATE's; 0 in files of before the flags */
	char name[CMAP_NAME_LEN];
	char creator_comm[16];
	u64 max_entries;
	u64 max_bytes;
	u64 entries;
	u64 bytes;		/* of ITER records that follow */
};

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);

static const char *dev_path = CMAP_DEVICE;
static const char *state_path;
static int state_fd = -1;
static pid_t state_owner;

/* Start-up and exit; the descriptor table has its own lock. */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static bool fake_started;
static pthread_rwlock_t fd_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct cmap_file *fd_files[FAKE_MAX_FDS];

/* ---- threads: each one that calls in is an RCU reader ----------------- */

static pthread_key_t fake_thread_key;
static __thread bool fake_thread_registered;

static void fake_thread_exit(void *arg __maybe_unused)
{
	shim_thread_stop();
	fake_thread_registered = false;
}

static void fake_thread(void)
{
	if (fake_thread_registered)
		return;
	shim_thread_start(NULL);
	fake_thread_registered = true;
	pthread_setspecific(fake_thread_key, &fake_thread_registered);
}

/* ---- the real ioctls, called from here -------------------------------- */

static long fake_call(struct cmap_file *f, unsigned int cmd, void *arg)
{
	return cmap_file_ioctl(f, cmd, (void __user *)arg);
}

static void fake_warn(const char *fmt, ...) __printf(1, 2);
static void fake_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "libfakecmap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static bool fake_read(FILE *in, void *buf, size_t len)
{
	return fread(buf, 1, len, in) == len;
}

/* PUT each ITER record of @buf[0..len) into @f's table. */
static int fake_put_records(struct cmap_file *f, const u8 *buf, u64 len)
{
	u64 off = 0;

	while (off + sizeof(struct cmap_rec) <= len) {
		struct cmap_rec rec;
		struct cmap_kv kv = { .size = sizeof(kv) };
		long err;

		memcpy(&rec, buf + off, sizeof(rec));
		if (off + CMAP_REC_SIZE(rec.key_len, rec.value_len) > len)
			return -EINVAL;
		kv.key = (uintptr_t)(buf + off + sizeof(rec));
		kv.key_len = rec.key_len;
		kv.value = (uintptr_t)(buf + off + sizeof(rec) + rec.key_len);
		kv.value_len = rec.value_len;
		err = fake_call(f, CMAP_IOC_PUT, &kv);
		if (err)
			return err;
		off += CMAP_REC_SIZE(rec.key_len, rec.value_len);
	}
	return off == len ? 0 : -EINVAL;
}

/* Re-create one saved table; its records follow in @in. */
static int fake_load_table(FILE *in, const struct fake_table *t)
{
	struct cmap_create req = { .size = sizeof(req) };
	struct task_struct *task = current;
	char comm[TASK_COMM_LEN];
	struct cmap_file *f;
	pid_t tgid = task->tgid;
	u8 *buf = NULL;
	long err;

	if (t->bytes > SIZE_MAX || !memchr(t->name, 0, sizeof(t->name)))
		return -EINVAL;
	if (t->bytes) {
		buf = malloc(t->bytes);
		if (!buf)
			return -ENOMEM;
		if (!fake_read(in, buf, t->bytes)) {
			free(buf);
			return -EIO;
		}
	}
	f = cmap_file_alloc();
	if (!f) {
		free(buf);
		return -ENOMEM;
	}
	memcpy(req.name, t->name, sizeof(req.name));
	req.flags = t->flags;
	req.config.mode = t->mode;
	req.config.max_entries = t->max_entries;
	req.config.max_bytes = t->max_bytes;
	req.config.size_hint = t->entries;

	/* Created as its creator, under its old id. */
	memcpy(comm, task->comm, sizeof(comm));
	task->tgid = t->creator_pid;
	strscpy(task->comm, t->creator_comm, sizeof(task->comm));
	mutex_lock(&cmap_reg_mutex);
	cmap_next_id = t->id;
	mutex_unlock(&cmap_reg_mutex);
	err = fake_call(f, CMAP_IOC_CREATE, &req);
	task->tgid = tgid;
	memcpy(task->comm, comm, sizeof(comm));

	if (!err && req.id != t->id)
		fake_warn("table '%s' was %u, is now %u\n", t->name, t->id, req.id);
	if (!err)
		err = fake_put_records(f, buf, t->bytes);
	cmap_file_release(f);
	free(buf);
	return err;
}

static void fake_load_state(void)
{
	struct fake_hdr hdr;
	FILE *in;
	u32 i;

	state_fd = real_open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (state_fd < 0) {
		fake_warn("%s: %s\n", state_path, strerror(errno));
		return;
	}
	if (flock(state_fd, LOCK_EX)) {
		fake_warn("%s: flock: %s\n", state_path, strerror(errno));
		real_close(state_fd);
		state_fd = -1;
		return;
	}
	state_owner = getpid();
	in = fdopen(dup(state_fd), "rb");
	if (!in)
		return;
	if (!fake_read(in, &hdr, sizeof(hdr))) {
		fclose(in);	/* new (empty) state */
		return;
	}
	if (hdr.magic != FAKE_MAGIC || hdr.version != FAKE_VERSION) {
		fake_warn("%s: not a state file of this version: ignored\n",
			  state_path);
		fclose(in);
		return;
	}
	for (i = 0; i < hdr.tables; i++) {
		struct fake_table t;
		int err = -EIO;

		if (fake_read(in, &t, sizeof(t)))
			err = fake_load_table(in, &t);
		if (err) {
			fake_warn("%s: table %u of %u: %s\n", state_path, i + 1,
				  hdr.tables, strerror(-err));
			break;
		}
	}
	mutex_lock(&cmap_reg_mutex);
	cmap_next_id = hdr.next_id;
	mutex_unlock(&cmap_reg_mutex);
	fclose(in);
}

/* Write the bound table of @f: its description, then its ITER records. */
static int fake_save_table(FILE *out, struct cmap_file *f,
			   const struct cmap_table_info *info)
{
	struct cmap_stats st = { .size = sizeof(st) };
	struct cmap_iter it = { .size = sizeof(it) };
	struct fake_table t = {};
	u8 *recs = NULL, *buf = NULL;
	u64 used = 0, cap = 0;
	u32 buf_len = 64 << 10;
	long err;

	err = fake_call(f, CMAP_IOC_STATS, &st);
	if (err)
		return err;
	buf = malloc(buf_len);
	if (!buf)
		return -ENOMEM;
	while (it.cursor != CMAP_ITER_DONE) {
		it.buf = (uintptr_t)buf;
		it.buf_len = buf_len;
		err = fake_call(f, CMAP_IOC_ITER, &it);
		if (err == -ENOBUFS) {
			u8 *nb = realloc(buf, it.bytes);

			if (!nb)
				goto nomem;
			buf = nb;
			buf_len = it.bytes;
			continue;
		}
		if (err)
			goto out;
		if (!it.bytes)
			continue;
		if (used + it.bytes > cap) {
			u64 ncap = (used + it.bytes) * 2;
			u8 *nr = realloc(recs, ncap);

			if (!nr)
				goto nomem;
			recs = nr;
			cap = ncap;
		}
		memcpy(recs + used, buf, it.bytes);
		used += it.bytes;
	}
	t.id = info->id;
	t.mode = st.mode;
	t.flags = st.create_flags;
	t.creator_pid = info->creator_pid;
	memcpy(t.name, info->name, sizeof(t.name));
	memcpy(t.creator_comm, info->creator_comm, sizeof(t.creator_comm));
	t.max_entries = st.max_entries;
	t.max_bytes = st.max_bytes;
	t.entries = st.entries;
	t.bytes = used;
	err = fwrite(&t, sizeof(t), 1, out) == 1 &&
	      (!used || fwrite(recs, used, 1, out) == 1) ? 0 : -EIO;
	goto out;
nomem:
	err = -ENOMEM;
out:
	free(buf);
	free(recs);
	return err;
}

static void fake_save_state(void)
{
	struct cmap_list list = { .size = sizeof(list) };
	struct cmap_table_info *info = NULL;
	struct fake_hdr hdr = { .magic = FAKE_MAGIC, .version = FAKE_VERSION };
	struct cmap_file *f;
	FILE *out = NULL;
	long err = -ENOMEM;
	u32 i;

	if (state_fd < 0 || state_owner != getpid())
		return;
	f = cmap_file_alloc();
	if (!f)
		goto fail;
	err = fake_call(f, CMAP_IOC_LIST, &list);	/* count 0: the total */
	if (err)
		goto fail;
	if (list.total) {
		info = calloc(list.total, sizeof(*info));
		err = -ENOMEM;
		if (!info)
			goto fail;
		list.count = list.total;
		list.tables = (uintptr_t)info;
		err = fake_call(f, CMAP_IOC_LIST, &list);
		if (err)
			goto fail;
	}
	err = -EIO;
	if (ftruncate(state_fd, 0) || lseek(state_fd, 0, SEEK_SET))
		goto fail;
	out = fdopen(dup(state_fd), "wb");
	if (!out)
		goto fail;
	mutex_lock(&cmap_reg_mutex);
	hdr.next_id = cmap_next_id;
	mutex_unlock(&cmap_reg_mutex);
	hdr.tables = list.count;
	if (fwrite(&hdr, sizeof(hdr), 1, out) != 1)
		goto fail;
	for (i = 0; i < list.count; i++) {
		struct cmap_open req = { .size = sizeof(req), .id = info[i].id };

		err = fake_call(f, CMAP_IOC_OPEN, &req);
		if (!err)
			err = fake_save_table(out, f, &info[i]);
		if (err)
			goto fail;
	}
	err = fflush(out) ? -EIO : 0;
fail:
	if (err)
		fake_warn("%s: saving the tables: %s\n", state_path,
			  strerror((int)-err));
	if (out)
		fclose(out);
	free(info);
	if (f)
		cmap_file_release(f);
}

/* ---- start and exit ----------------------------------------------------- */

static unsigned long fake_env(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* The module's init, on the first open of the device; under fake_lock. */
static int fake_start(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	int err;

	if (fake_started)
		return 0;
	fake_thread();
	cmap_default_max_entries = fake_env("FAKECMAP_MAX_ENTRIES",
					    cmap_default_max_entries);
	cmap_default_max_bytes = fake_env("FAKECMAP_MAX_BYTES",
					  cmap_default_max_bytes);
	err = cmap_core_init();
	if (err)
		return err;
	cmap_set_limits(pages > 0 && psize > 0 ?
			(unsigned long)pages / 2 * psize : 1UL << 30, 64);
	err = cmap_reg_init();
	if (err) {
		cmap_core_exit();
		return err;
	}
	fake_started = true;
	if (state_path)
		fake_load_state();
	return 0;
}

__attribute__((constructor)) static void fake_init(void)
{
	const char *s;

	if (real_open)
		return;
	real_open = dlsym(RTLD_NEXT, "open");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_close = dlsym(RTLD_NEXT, "close");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	pthread_key_create(&fake_thread_key, fake_thread_exit);
	s = getenv("FAKECMAP_DEVICE");
	if (s && *s)
		dev_path = s;
	s = getenv("FAKECMAP_STATE");
	if (s && *s)
		state_path = s;
}

__attribute__((destructor)) static void fake_fini(void)
{
	long live;
	int fd;

	pthread_mutex_lock(&fake_lock);
	if (!fake_started) {
		pthread_mutex_unlock(&fake_lock);
		return;
	}
	fake_thread();
	fake_save_state();
	pthread_rwlock_wrlock(&fd_lock);
	for (fd = 0; fd < FAKE_MAX_FDS; fd++) {
		if (fd_files[fd]) {
			cmap_file_release(fd_files[fd]);
			fd_files[fd] = NULL;
		}
	}
	pthread_rwlock_unlock(&fd_lock);
	cmap_reg_exit();
	cmap_core_exit();
	fake_started = false;
	if (state_fd >= 0)
		real_close(state_fd);	/* and the lock */
	pthread_mutex_unlock(&fake_lock);

	live = shim_alloc_live();
	if (live || shim_warnings()) {
		fake_warn("at exit: %ld allocation(s) left, %lu WARN(s)\n", live,
			  shim_warnings());
		_exit(FAKE_EXIT_BUG);
	}
}

/* ---- interposed calls --------------------------------------------------- */

static int fake_open(int flags)
{
	struct cmap_file *f;
	int fd, err;

	pthread_mutex_lock(&fake_lock);
	err = fake_start();
	pthread_mutex_unlock(&fake_lock);
	if (err) {
		errno = -err;
		return -1;
	}
	fake_thread();
	f = cmap_file_alloc();
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	fd = real_open("/dev/null", flags & (O_ACCMODE | O_CLOEXEC | O_NONBLOCK));
	if (fd >= FAKE_MAX_FDS) {
		real_close(fd);
		fd = -1;
		errno = EMFILE;
	}
	if (fd < 0) {
		cmap_file_release(f);
		return -1;
	}
	pthread_rwlock_wrlock(&fd_lock);
	__atomic_store_n(&fd_files[fd], f, __ATOMIC_RELEASE);
	pthread_rwlock_unlock(&fd_lock);
	return fd;
}

FAKE_API int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (!real_open)
		fake_init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!strcmp(path, dev_path))
		return fake_open(flags);
	return real_open(path, flags, mode);
}

FAKE_API int open64(const char *path, int flags, ...)
	__attribute__((alias("open")));

FAKE_API int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (!real_openat)
		fake_init();
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!strcmp(path, dev_path))
		return fake_open(flags);
	return real_openat(dirfd, path, flags, mode);
}

FAKE_API int openat64(int dirfd, const char *path, int flags, ...)
	__attribute__((alias("openat")));

FAKE_API int close(int fd)
{
	struct cmap_file *f = NULL;

	if (!real_close)
		fake_init();
	/*
	 * Only a cmap file's close takes the table's lock: others must not
	 * wait for ioctls in flight (a sanitizer reporting from inside one
	 * closes files of its own).  The entry of a descriptor being closed
	 * was set before open() returned it, so the unlocked look is exact.
	 */
	if (fd >= 0 && fd < FAKE_MAX_FDS &&
	    __atomic_load_n(&fd_files[fd], __ATOMIC_ACQUIRE)) {
		pthread_rwlock_wrlock(&fd_lock);
		f = fd_files[fd];
		fd_files[fd] = NULL;
		pthread_rwlock_unlock(&fd_lock);
	}
	if (f) {
		fake_thread();
		cmap_file_release(f);
	}
	return real_close(fd);
}

FAKE_API int ioctl(int fd, unsigned long cmd, ...)
{
	struct cmap_file *f = NULL;
	va_list ap;
	void *arg;
	long ret;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		fake_init();
	if (fd >= 0 && fd < FAKE_MAX_FDS) {
		pthread_rwlock_rdlock(&fd_lock);
		f = fd_files[fd];
		if (!f)
			pthread_rwlock_unlock(&fd_lock);
	}
	if (!f)
		return real_ioctl(fd, cmd, arg);
	fake_thread();
	/* The kernel's ioctl() takes the command as an unsigned int. */
	ret = cmap_file_ioctl(f, (unsigned int)cmd, (void __user *)arg);
	pthread_rwlock_unlock(&fd_lock);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (int)ret;
}
