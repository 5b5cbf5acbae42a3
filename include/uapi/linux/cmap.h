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
 *    (otherwise -E2BIG), so the ABI can grow at the end.  What the kernel
 *    writes back is cut to min(@size, its own size).
 *  - A command is recognised by its type (CMAP_IOC_MAGIC), its number and
 *    its direction.  The size bits of the command number are not checked:
 *    the struct's @size is the one size the kernel goes by, so a program
 *    built against an older or newer version of this header issues the
 *    same commands.  A known number with another direction than below, or
 *    an unknown number, is -ENOTTY.
 *  - CMAP_IOC_VERSION tells which commands, modes and CREATE flags a
 *    module knows.
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
 *  -ENOTTY  unknown ioctl command (type, number or direction)
 *  -EFAULT  a user pointer could not be read or written
 *  -EINVAL  bad size, length, flag, mode or non-zero reserved field
 *  -E2BIG   request struct larger than known with non-zero trailing bytes
 *  -EBADFD  data command on a file not bound to a table (CREATE or OPEN first)
 *  -EIDRM   the bound table was destroyed
 *  -ENOENT  no such key (GET, DELETE, PUT with CMAP_PUT_EXIST) or table
 *  -EEXIST  key exists (PUT with CMAP_PUT_NOEXIST) or table name taken
 *  -ENOSPC  PUT: the table's max_entries or max_bytes, or the module-wide
 *           max_memory cap, would be exceeded, or the key's bucket already
 *           chains max_chain overflow buckets of colliding keys (hash
 *           flooding); CREATE: max_tables tables exist, or max_memory
 *           cannot hold the new table's first bucket array
 *  -ENOBUFS a caller's buffer is too small; the needed size is reported
 *  -ENOMEM  the kernel is really out of memory (or the caller's memory
 *           cgroup is full: entries are charged to the writer's, bucket
 *           arrays to the table creator's).  Writes that only remove or
 *           replace need no memory beyond the new value, resize or not:
 *           DELETE and CLEAR never fail with -ENOMEM or -ENOSPC (in
 *           CMAP_MODE_COW one that cannot copy the table works on it in
 *           place), and a PUT of an existing key fails with -ENOMEM only
 *           when its new value cannot be allocated (in CMAP_MODE_COW, or
 *           the copy of the table every PUT makes).  A BATCH may still
 *           fail to allocate its op array, before it does anything
 *  -EBUSY   racecheck mode only: another writer was inside the table
 *  -EINTR   a long request (ITER) was interrupted by a signal after
 *           doing nothing; with partial progress BATCH and ITER return 0
 *           and report how far they got (BENCH: @interrupted).  CLEAR is
 *           not interrupted (only a fatal signal stops it)
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

/* CMAP_IOC_VERSION's @abi_version: changes only if the ABI ever breaks. */
#define CMAP_ABI_VERSION	1

/*
 * Synchronization strategy of a table, chosen at CREATE.  All modes share
 * the bucket layout and the API, so comparing them isolates the strategy.
 */
enum cmap_mode {
	CMAP_MODE_RCU = 0,	/* RCU lookups, per-bucket spinlocks (default) */
	CMAP_MODE_RWLOCK,	/* one rwlock around the table (RWMutex) */
	CMAP_MODE_SPINLOCK,	/* one spinlock around the table (Mutex) */
	CMAP_MODE_COW,		/* readers RCU-dereference an immutable table;
				 * each write copies it under a mutex and
				 * publishes the copy (atomic.Value); a write
				 * costs O(entries) */
	CMAP_MODE_RACECHECK,	/* single-writer map, Go style: a second
				 * concurrent writer gets -EBUSY and fires
				 * cmap:race; reads during a write are counted */
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
 *               overhead; 16 per entry of an inline table), -ENOSPC beyond
 *               it (0: default_max_bytes)
 * @reserved:    must be zero
 */
struct cmap_config {
	__u32 size_hint;
	__u32 mode;
	__u64 max_entries;
	__u64 max_bytes;
	__u64 reserved[4];
};

/*
 * struct cmap_create.flags.
 *
 * CMAP_CREATE_INLINE: an inline table.  Its keys and values are exactly 8
 * bytes (CMAP_INLINE_LEN) and live in the buckets themselves rather than
 * in an element per entry, so a lookup reads one cache line where other
 * tables read two; in exchange no other length fits.  PUT with a key or
 * value of another length, GET or DELETE with a key of another length
 * fail with -EINVAL and change nothing (in BATCH such an op is malformed:
 * the whole call fails, no op is carried out).  GET needs a buffer of 8
 * bytes (-ENOBUFS and @value_len 8 otherwise).  Every mode supports it;
 * ITER, CLEAR, BATCH and the limits work as on any table.  An entry is
 * charged 16 bytes against max_bytes, and STATS' @bytes counts only the
 * bucket arrays (which hold the entries).  An inline table grows at half
 * the load of others (@load_factor_milli 3250: four slots per bucket, not
 * eight).  STATS and LIST report the flags a table was created with.
 */
#define CMAP_CREATE_INLINE	(1U << 0)
#define CMAP_INLINE_LEN		8	/* key and value bytes of an inline table */

/**
 * struct cmap_create - CMAP_IOC_CREATE: make a table and bind the file to it
 * @size:   sizeof(struct cmap_create)
 * @flags:  CMAP_CREATE_* (others: -EINVAL); see CMAP_IOC_VERSION's
 *          @create_flags for what a module accepts
 * @name:   NUL-terminated, 1..31 bytes of printable ASCII without '/';
 *          the bytes after the NUL must be zero
 * @config: the table's configuration
 * @id:     out: the table's id, 1..2^32-1, unique among live tables.
 *          Ids are handed out cyclically: a destroyed table's id is
 *          reused only after all the others were.
 * @pad:    must be zero
 * @reserved: must be zero
 *
 * -EEXIST if a table of that name exists; -ENOSPC if max_tables tables
 * exist or no id is free.
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
 * @name:  the table's name (as in CREATE); or all zero to select by @id
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
	CMAP_OP_CLEAR = 4,	/* in cmap:race events only, not in BATCH */
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
 * @bytes:    out: bytes written; on -ENOBUFS the size the next records
 *            need: all the records of the next hash value, which are
 *            returned together so that the cursor can move past them
 * @pad:      must be zero
 * @reserved: must be zero
 *
 * Every key present for the whole dump is returned exactly once, whatever
 * resizes happen meanwhile; keys inserted or deleted during the dump may or
 * may not appear (at most once).  The cursor is a position in hash space, so
 * it survives resizes.  A call may return fewer records than fit, even
 * none, with the cursor moved on (a signal arrived): go on from the cursor.
 * -ENOBUFS if not even one record fits; -EINVAL for a cursor beyond
 * CMAP_ITER_DONE.
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
 * @id:            in: 0 for the bound table, else any table's id;
 *                 out: the table's id
 * @mode:          out: enum cmap_mode
 * @name:          out: the table's name
 * @entries:       live entries
 * @buckets:       head buckets of the current bucket array
 * @overflow_buckets: overflow buckets chained in the current array
 * @load_factor_milli: entries per head bucket, times 1000 (grows at 6500;
 *                 an inline table at 3250)
 * @resizes:       resizes completed
 * @resizing:      1 while a migration is in progress
 * @bytes:         bytes held: entries (as charged against max_bytes) plus
 *                 bucket arrays (an inline table: the bucket arrays, which
 *                 hold its entries)
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
 * @creator_pid:   out: pid (thread group id) of the creating task, as the
 *                 caller's pid namespace sees it; 0 if it is not visible
 *                 there
 * @creator_comm:  out: its comm
 * @pad:           ignored in, zero out
 * @races:         racecheck: writes refused because another was inside
 * @read_races:    racecheck: lookups that ran during a write
 * @create_flags:  out: the CMAP_CREATE_* flags the table was created with
 *                 (a module older than the field: zero)
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
	__u64 races;
	__u64 read_races;
	__u64 create_flags;
	__u64 reserved[3];
};

/**
 * struct cmap_table_info - one entry of LIST
 * @id:           the table's id
 * @mode:         enum cmap_mode
 * @creator_pid:  pid of the task that created it, in the caller's pid
 *                namespace (0 if not visible there), as in struct cmap_stats
 * @files:        files currently bound to it
 * @name:         its name
 * @creator_comm: the creator's comm
 * @entries:      live entries
 * @bytes:        bytes held, as in struct cmap_stats
 * @create_flags: the CMAP_CREATE_* flags the table was created with (a
 *                module older than the field: zero)
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
	__u64 create_flags;
	__u64 reserved[1];
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

/**
 * struct cmap_version - CMAP_IOC_VERSION: what the module is and knows
 * @size:        sizeof(struct cmap_version)
 * @flags:       must be zero
 * @abi_version: out: CMAP_ABI_VERSION of the module
 * @modes:       out: bit (1 << enum cmap_mode) per mode CREATE accepts
 * @ioctls:      out: bit (1 << _IOC_NR(cmd)) per command the module knows
 * @major:       out: the module's version, also in MODULE_VERSION
 *               (/sys/module/cmap/version) ...
 * @minor:       ... as numbers
 * @patch:       ...
 * @pad:         zero
 * @version:     out: the same version as a NUL-terminated string
 * @create_flags: out: the CMAP_CREATE_* flags CREATE accepts (a module
 *               older than the field: zero, it accepts none)
 * @reserved:    must be zero in, zero out
 *
 * The file need not be bound to a table.  A module older than this
 * command answers -ENOTTY.
 */
struct cmap_version {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 modes;
	__u64 ioctls;
	__u32 major;
	__u32 minor;
	__u32 patch;
	__u32 pad;
	char version[32];
	__u64 create_flags;
	__u64 reserved[3];
};

#define CMAP_IOC_MAGIC		0xCA

#define CMAP_IOC_CREATE		_IOWR(CMAP_IOC_MAGIC, 1, struct cmap_create)
#define CMAP_IOC_OPEN		_IOWR(CMAP_IOC_MAGIC, 2, struct cmap_open)
#define CMAP_IOC_DESTROY	_IOWR(CMAP_IOC_MAGIC, 3, struct cmap_open)
#define CMAP_IOC_LIST		_IOWR(CMAP_IOC_MAGIC, 4, struct cmap_list)
#define CMAP_IOC_PUT		_IOW(CMAP_IOC_MAGIC, 5, struct cmap_kv)
#define CMAP_IOC_GET		_IOWR(CMAP_IOC_MAGIC, 6, struct cmap_kv)
#define CMAP_IOC_DELETE		_IOW(CMAP_IOC_MAGIC, 7, struct cmap_kv)
#define CMAP_IOC_CLEAR		_IO(CMAP_IOC_MAGIC, 8)	/* argument must be 0 */
#define CMAP_IOC_BATCH		_IOWR(CMAP_IOC_MAGIC, 9, struct cmap_batch)
#define CMAP_IOC_ITER		_IOWR(CMAP_IOC_MAGIC, 10, struct cmap_iter)
#define CMAP_IOC_STATS		_IOWR(CMAP_IOC_MAGIC, 11, struct cmap_stats)
/* 12: CMAP_IOC_BENCH, in <linux/cmap_bench.h> */
#define CMAP_IOC_VERSION	_IOWR(CMAP_IOC_MAGIC, 13, struct cmap_version)

#endif /* _UAPI_LINUX_CMAP_H */
