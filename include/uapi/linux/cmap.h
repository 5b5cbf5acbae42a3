/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cmap: a concurrent hash table in the kernel, driven through /dev/cmap.
 *
 * This header is the only contract between cmap.ko and userspace.
 *
 * ABI rules:
 *  - Every request struct starts with a __u32 @size (set it to sizeof the
 *    struct you were compiled with) and a __u32 @flags.  The kernel accepts
 *    a smaller struct from an older userspace (missing fields read as zero)
 *    and a larger one as long as the bytes it does not know are zero
 *    (otherwise -E2BIG), so the ABI can grow at the end.
 *  - Reserved fields and padding must be zero (-EINVAL otherwise).  Fields
 *    documented as "out" are ignored on input, so a request struct can be
 *    reused from call to call (an ITER loop just passes it back).
 *  - User pointers are carried in __u64 fields.
 *  - A failed operation changes nothing in the table.
 *
 * Tables are named kernel objects, shared by every file bound to them.
 * CREATE makes a table and binds the file to it; OPEN binds a file to an
 * existing table.  Rebinding a bound file drops the old binding.  DESTROY
 * unlinks a table at once (its name is free again); files still bound to it
 * get -EIDRM from every further operation, and its memory is freed after the
 * last of them is closed or rebound, after an RCU grace period.  Tables that
 * are never destroyed live until the module is unloaded.
 *
 * Errors (besides those noted per command):
 *  -ENOTTY  unknown ioctl command
 *  -EFAULT  a user pointer could not be read or written
 *  -EINVAL  bad size, length, flag, mode or non-zero reserved field
 *  -E2BIG   request struct larger than known with non-zero trailing bytes
 *  -EBADFD  data command on a file not bound to a table (CREATE or OPEN first)
 *  -EIDRM   the bound table was destroyed
 *  -ENOENT  no such key (GET, DELETE, PUT with CMAP_PUT_EXIST) or table
 *  -EEXIST  key exists (PUT with CMAP_PUT_NOEXIST) or table name taken
 *  -ENOSPC  the table's max_entries or max_bytes limit would be exceeded
 *  -ENOBUFS a caller's buffer is too small; the needed size is reported
 *  -ENOMEM  the kernel is really out of memory
 *  -EINTR   a long request (BATCH, LIST) was interrupted by a signal
 *           after doing nothing; with partial progress it returns 0 and
 *           reports how far it got
 * The table never answers -EBUSY because a resize is in progress.
 */
#ifndef _UAPI_LINUX_CMAP_H
#define _UAPI_LINUX_CMAP_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CMAP_DEVICE		"/dev/cmap"
#define CMAP_NAME_LEN		32	/* bytes, including the trailing NUL */
#define CMAP_KEY_MAX		64	/* keys are 1..CMAP_KEY_MAX bytes */
#define CMAP_VALUE_MAX		4096	/* values are 0..CMAP_VALUE_MAX bytes */
#define CMAP_BATCH_MAX		1024	/* ops in one BATCH call */
#define CMAP_ITER_BUF_MAX	(1U << 20) /* bytes of one ITER buffer */

/* Synchronization strategy of a table, chosen at CREATE. */
enum cmap_mode {
	CMAP_MODE_RCU = 0,	/* RCU lookups, per-bucket spinlocks */
	CMAP_MODE_COUNT,
};

/**
 * struct cmap_config - configuration of a table, part of CREATE
 * @size_hint:   expected number of entries; sizes the first bucket array
 *               (0: a small default).  The table grows and shrinks anyway.
 * @mode:        enum cmap_mode
 * @max_entries: limit on live entries, PUT beyond it fails with -ENOSPC
 *               (0: the module's default, parameter default_max_entries)
 * @max_bytes:   limit on bytes held by entries (keys, values and element
 *               overhead), -ENOSPC beyond it (0: default_max_bytes)
 * @reserved:    must be zero
 */
struct cmap_config {
	__u32 size_hint;
	__u32 mode;
	__u64 max_entries;
	__u64 max_bytes;
	__u64 reserved[4];
};

/**
 * struct cmap_create - CMAP_IOC_CREATE: make a table and bind the file to it
 * @size:   sizeof(struct cmap_create)
 * @flags:  must be zero
 * @name:   NUL-terminated, 1..31 bytes of printable ASCII without '/'
 * @config: the table's configuration
 * @id:     out: the table's id (unique while the module is loaded)
 * @pad:    must be zero
 * @reserved: must be zero
 *
 * -EEXIST if a table of that name exists.
 */
struct cmap_create {
	__u32 size;
	__u32 flags;
	char name[CMAP_NAME_LEN];
	struct cmap_config config;
	__u32 id;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct cmap_open - CMAP_IOC_OPEN and CMAP_IOC_DESTROY: find a table
 * @size:  sizeof(struct cmap_open)
 * @flags: must be zero
 * @name:  the table's name; or empty to select by @id
 * @id:    in: the id when @name is empty; out: the table's id
 * @pad:   must be zero
 * @reserved: must be zero
 *
 * OPEN binds the file to the table.  DESTROY unlinks it (see above).
 * -ENOENT if there is no such table.
 */
struct cmap_open {
	__u32 size;
	__u32 flags;
	char name[CMAP_NAME_LEN];
	__u32 id;
	__u32 pad;
	__u64 reserved[2];
};

/* struct cmap_kv.flags for PUT (and struct cmap_batch_op.flags) */
#define CMAP_PUT_ANY		0	/* insert or replace */
#define CMAP_PUT_NOEXIST	1	/* insert only: -EEXIST if present */
#define CMAP_PUT_EXIST		2	/* replace only: -ENOENT if absent */

/**
 * struct cmap_kv - CMAP_IOC_PUT, CMAP_IOC_GET, CMAP_IOC_DELETE
 * @size:      sizeof(struct cmap_kv)
 * @flags:     PUT: one of CMAP_PUT_*; GET, DELETE: zero
 * @key:       user pointer to the key bytes
 * @value:     user pointer to the value (PUT: read; GET: written; DELETE:
 *             unused, must be zero)
 * @key_len:   1..CMAP_KEY_MAX
 * @value_len: PUT: the value's length, 0..CMAP_VALUE_MAX.
 *             GET: in, the buffer's size; out, the value's length.  If the
 *             buffer is too small GET fails with -ENOBUFS, copies nothing
 *             and sets @value_len to the length needed.
 *             DELETE: must be zero.
 * @reserved:  must be zero
 */
struct cmap_kv {
	__u32 size;
	__u32 flags;
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_len;
	__u64 reserved[2];
};

/* struct cmap_batch_op.op */
enum cmap_op {
	CMAP_OP_PUT = 1,
	CMAP_OP_GET = 2,
	CMAP_OP_DELETE = 3,
};

/**
 * struct cmap_batch_op - one operation of a BATCH
 * @op:        enum cmap_op
 * @flags:     as struct cmap_kv.flags
 * @key:       as struct cmap_kv
 * @value:     as struct cmap_kv
 * @key_len:   as struct cmap_kv
 * @value_len: as struct cmap_kv (GET writes back the value's length)
 * @result:    out: 0 or a negative errno, as the single command would return
 * @reserved:  must be zero
 */
struct cmap_batch_op {
	__u32 op;
	__u32 flags;
	__u64 key;
	__u64 value;
	__u32 key_len;
	__u32 value_len;
	__s32 result;
	__u32 reserved;
};

/**
 * struct cmap_batch - CMAP_IOC_BATCH: up to CMAP_BATCH_MAX ops in one call
 * @size:     sizeof(struct cmap_batch)
 * @flags:    must be zero
 * @ops:      user pointer to an array of struct cmap_batch_op
 * @count:    number of ops, 1..CMAP_BATCH_MAX
 * @done:     out: ops carried out; each has its own @result, a failed op
 *            does not stop the batch.  Fewer than @count only when a signal
 *            arrived (the call then still returns 0 if @done > 0).
 * @reserved: must be zero
 *
 * The call fails as a whole (-EINVAL, -EFAULT) only when the ops array
 * itself cannot be read or an op is malformed; then no op is carried out.
 */
struct cmap_batch {
	__u32 size;
	__u32 flags;
	__u64 ops;
	__u32 count;
	__u32 done;
	__u64 reserved[2];
};

/*
 * ITER records, packed one after another in the caller's buffer, each
 * starting at an 8-byte aligned offset: the header, then key_len key bytes,
 * then value_len value bytes, then zero padding to the next multiple of 8.
 */
struct cmap_rec {
	__u16 key_len;
	__u16 value_len;
	__u32 hash;	/* the table's hash of the key; records come in hash order */
};

#define CMAP_REC_SIZE(klen, vlen) \
	(((__u32)sizeof(struct cmap_rec) + (klen) + (vlen) + 7) & ~7U)
#define CMAP_ITER_DONE		(1ULL << 32)

/**
 * struct cmap_iter - CMAP_IOC_ITER: a cursor-based dump
 * @size:     sizeof(struct cmap_iter)
 * @flags:    must be zero
 * @cursor:   in: 0 to start, then the value the previous call returned;
 *            out: where to continue, CMAP_ITER_DONE when the dump is complete
 * @buf:      user pointer to the record buffer
 * @buf_len:  its size in bytes, at most CMAP_ITER_BUF_MAX
 * @count:    out: records written
 * @bytes:    out: bytes written; on -ENOBUFS the size the next record needs
 * @pad:      must be zero
 * @reserved: must be zero
 *
 * Every key present for the whole dump is returned exactly once, whatever
 * resizes happen meanwhile; keys inserted or deleted during the dump may or
 * may not appear (at most once).  The cursor is a position in hash space, so
 * it survives resizes.  -ENOBUFS if not even one record fits; -EINVAL for a
 * cursor beyond CMAP_ITER_DONE.
 */
struct cmap_iter {
	__u32 size;
	__u32 flags;
	__u64 cursor;
	__u64 buf;
	__u32 buf_len;
	__u32 count;
	__u32 bytes;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct cmap_stats - CMAP_IOC_STATS: counters of one table
 * @size:          sizeof(struct cmap_stats)
 * @flags:         must be zero
 * @id:            in: 0 for the bound table, else any table's id
 * @mode:          out: enum cmap_mode
 * @name:          out: the table's name
 * @entries:       live entries
 * @buckets:       head buckets of the current bucket array
 * @overflow_buckets: overflow buckets chained in the current array
 * @load_factor_milli: entries per head bucket, times 1000 (grows at 6500)
 * @resizes:       resizes completed
 * @resizing:      1 while a migration is in progress
 * @bytes:         bytes held: entries (as charged against max_bytes) plus
 *                 bucket arrays
 * @max_entries:   the table's limit
 * @max_bytes:     the table's limit
 * @puts:          PUT calls (single and batched), successful or not
 * @gets:          GET calls
 * @deletes:       DELETE calls
 * @hits:          GETs that found their key
 * @iters:         ITER calls
 * @lock_acquisitions: bucket lock acquisitions
 * @lock_contended: acquisitions that found the lock held
 * @lock_wait_ns:  time spent waiting in contended acquisitions
 * @creator_pid:   out: pid of the creating task
 * @creator_comm:  out: its comm
 * @reserved:      must be zero in, zero out
 */
struct cmap_stats {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 mode;
	char name[CMAP_NAME_LEN];
	__u64 entries;
	__u64 buckets;
	__u64 overflow_buckets;
	__u64 load_factor_milli;
	__u64 resizes;
	__u64 resizing;
	__u64 bytes;
	__u64 max_entries;
	__u64 max_bytes;
	__u64 puts;
	__u64 gets;
	__u64 deletes;
	__u64 hits;
	__u64 iters;
	__u64 lock_acquisitions;
	__u64 lock_contended;
	__u64 lock_wait_ns;
	__s32 creator_pid;
	char creator_comm[16];
	__u32 pad;
	__u64 reserved[6];
};

/**
 * struct cmap_table_info - one entry of LIST
 * @id:           the table's id
 * @mode:         enum cmap_mode
 * @creator_pid:  pid of the task that created it
 * @files:        files currently bound to it
 * @name:         its name
 * @creator_comm: the creator's comm
 * @entries:      live entries
 * @bytes:        bytes held, as in struct cmap_stats
 * @reserved:     zero
 */
struct cmap_table_info {
	__u32 id;
	__u32 mode;
	__s32 creator_pid;
	__u32 files;
	char name[CMAP_NAME_LEN];
	char creator_comm[16];
	__u64 entries;
	__u64 bytes;
	__u64 reserved[2];
};

/**
 * struct cmap_list - CMAP_IOC_LIST: the live tables, in id order
 * @size:     sizeof(struct cmap_list)
 * @flags:    must be zero
 * @tables:   user pointer to an array of struct cmap_table_info
 * @count:    in: capacity of @tables; out: entries written
 * @total:    out: live tables (if more than @count, call again bigger)
 * @reserved: must be zero
 */
struct cmap_list {
	__u32 size;
	__u32 flags;
	__u64 tables;
	__u32 count;
	__u32 total;
	__u64 reserved[2];
};

#define CMAP_IOC_MAGIC		0xCA

#define CMAP_IOC_CREATE		_IOWR(CMAP_IOC_MAGIC, 1, struct cmap_create)
#define CMAP_IOC_OPEN		_IOWR(CMAP_IOC_MAGIC, 2, struct cmap_open)
#define CMAP_IOC_DESTROY	_IOWR(CMAP_IOC_MAGIC, 3, struct cmap_open)
#define CMAP_IOC_LIST		_IOWR(CMAP_IOC_MAGIC, 4, struct cmap_list)
#define CMAP_IOC_PUT		_IOW(CMAP_IOC_MAGIC, 5, struct cmap_kv)
#define CMAP_IOC_GET		_IOWR(CMAP_IOC_MAGIC, 6, struct cmap_kv)
#define CMAP_IOC_DELETE		_IOW(CMAP_IOC_MAGIC, 7, struct cmap_kv)
#define CMAP_IOC_CLEAR		_IO(CMAP_IOC_MAGIC, 8)
#define CMAP_IOC_BATCH		_IOWR(CMAP_IOC_MAGIC, 9, struct cmap_batch)
#define CMAP_IOC_ITER		_IOWR(CMAP_IOC_MAGIC, 10, struct cmap_iter)
#define CMAP_IOC_STATS		_IOWR(CMAP_IOC_MAGIC, 11, struct cmap_stats)

#endif /* _UAPI_LINUX_CMAP_H */
