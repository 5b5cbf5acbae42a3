/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/lib/hard.h: helpers of the hardening tests (tests/hardening/hard_*.c)
 * and the ioctl fuzzer (tests/fuzz/ioctl), in tests/.build/libcmaptest.a.
 *
 * They talk to /dev/cmap through libcmap (user/libcmap.h; cmapc_ioctl()
 * for hand-made requests) and print TAP through tests/lib/tap.h.
 *
 * Helpers: table creation and cleanup, request fillers, table snapshots
 * (every record of a full ITER dump, sorted, plus the counters) to prove
 * that a failed request changed nothing, bad pointers of every kind,
 * module parameters and fail_nth, and the kernel's hash of a key (to
 * compute colliding keys for a table created with the module parameter
 * test_hash_key).  Functions returning int return 0 or -errno.
 */
#ifndef CMAP_HARD_H
#define CMAP_HARD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cmap.h>

#include "libcmap.h"
#include "tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PG 4096UL

const char *ename(int rc);

double now_s(void);

uint64_t now_ns(void);

/* xorshift64*: reproducible from a seed, good enough for tests. */
uint64_t rnd_next(uint64_t *s);

/* ------------------------------------------------------------- requests */
static inline __u64 uptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

int dev_open(void);

void name_of(char *buf, const char *tag);

int t_create(int fd, const char *name, __u32 mode, __u32 hint,
	     __u64 max_entries, __u64 max_bytes, __u32 *id);

/* DESTROYs every table whose name starts with @prefix (of @cap listed). */
void t_destroy_prefixed(int fd, const char *prefix, __u32 cap);

void t_kv(struct cmap_kv *kv, __u32 flags, const void *k, __u32 klen,
	  const void *v, __u32 vlen);

int t_list_total(int fd, __u32 *total);

/*
 * Fills @ops[0..@n) and @bt with a BATCH of @op (PUT or DELETE) of the
 * 8-byte keys @keys[i], each with the @vlen bytes at @val (NULL, 0 for
 * DELETE).
 */
void t_batch_keys(struct cmap_batch *bt, struct cmap_batch_op *ops,
		  __u32 op, const uint64_t *keys, __u32 n,
		  const void *val, __u32 vlen);

/* The next ITER chunk of @it into @buf (@len bytes); 0 or -errno. */
int t_iter_next(int fd, struct cmap_iter *it, void *buf, __u32 len);

/*
 * A BENCH request of the RCU mode and the rhashtable, 90% reads, @threads
 * threads for @ms ms on @keys keys of @vsize-byte values, @nres results.
 */
void t_bench_req(struct cmap_bench *b, __u32 threads, __u32 ms,
		 __u32 keys, __u32 vsize, struct cmap_bench_result *res,
		 __u32 nres);

/*
 * The record at *@off of an ITER chunk of @bytes bytes at @buf, moving
 * *@off past it; NULL at the end.
 */
const struct cmap_rec *rec_next(const void *buf, size_t bytes,
				size_t *off);

/* The bound table's id, or -errno. */
long t_bound_id(int fd);

/*
 * Waits (up to @sec) until the table is not resizing and no resize is
 * about to start: the array stayed the same for @stable_ms and is not due
 * to grow (at most 6.5 entries per head bucket, unless it reached its
 * largest size; a slow resize worker, e.g. on PREEMPT_RT, is waited for).
 */
/* The most head buckets a table of @max_entries grows to (cmap_core.c). */
uint64_t max_buckets(uint64_t max_entries);

void t_settle(int fd, double sec, int stable_ms);

void t_quiesce(int fd, double sec);

/* Deterministic key/value of index @i: keys 1..64 bytes, values 0..4096. */
__u32 key_of(uint64_t i, char *k);

__u32 val_of(uint64_t i, uint64_t gen, char *v);

/* ------------------------------------------------------------ snapshots */
/*
 * A table's content: every record of a complete ITER dump (key, value and
 * the kernel's hash), sorted by key, and the entries/bytes counters.
 */
struct snap {
	size_t n;
	size_t len;
	char *blob;		/* the sorted records, back to back */
	__u64 entries;
	__u64 bytes;		/* as charged against max_bytes (LIST) */
	__u32 tables;		/* LIST total */
	long bound;		/* the file's bound table id (or -errno) */
};

/* The bytes held by the bound table as LIST reports them. */
int t_table_bytes(int fd, __u32 id, __u64 *bytes, __u32 *total);

void snap_free(struct snap *s);

/* Takes a snapshot of the table bound to @fd; 0 or -errno. */
int snap_take(int fd, struct snap *s);

/* Equal contents, counters, table count and binding?  Explains if not. */
bool snap_same(const struct snap *a, const struct snap *b, char *why,
	       size_t whylen);

/* ---------------------------------------------------------- bad pointers */
/* A page-aligned R/W area of @pages pages followed by a PROT_NONE page. */
char *guarded(size_t pages);

/* A copy of @len bytes of @src in a read-only page; returns it. */
void *readonly_copy(const void *src, size_t len);

void readonly_free(void *p, size_t len);

/* An address that was mapped and is no longer. */
void *unmapped_addr(void);

/*
 * @name in /proc/kallsyms: true if the kernel has the symbol; its address
 * in *@addr unless @addr is NULL (0 where kptr_restrict hides addresses).
 */
bool kernel_sym(const char *name, __u64 *addr);

/*
 * Kernel addresses that are mapped in the kernel: the direct map's start
 * and the kernel's text (from /proc/kallsyms, as root).  A driver that
 * dereferenced user pointers directly would read or corrupt them instead of
 * failing with -EFAULT.
 */
__u64 kernel_text_addr(void);

#define KERNEL_DIRECT_MAP 0xffff888000000000ULL
#define NONCANONICAL_ADDR 0x0000800000000000ULL

/* ------------------------------------------------------- module control */
int write_file(const char *path, const char *val);

long long read_ll(const char *path);

int set_param(const char *name, unsigned long long val);

long long get_param(const char *name);

#define FAIL_NTH "/sys/kernel/debug/cmap/fail_nth"

int fail_nth_set(int n);

long long fail_nth_get(void);

/* ------------------------------------------------------------- hashing */
/*
 * The kernel's hash of @key for a table created with the module parameter
 * test_hash_key = @test_key: hsiphash() keyed with {K, ~K}, as cmap keys
 * it (hsiphash from tests/shim/siphash.c, the unit tests' SipHash).
 */
uint32_t cmap_test_hash(const void *key, size_t len, uint64_t test_key);

#endif /* CMAP_HARD_H */
