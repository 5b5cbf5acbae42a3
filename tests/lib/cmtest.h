/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/lib/cmtest.h: helpers of the cmocka integration tests
 * (tests/integration/test_*.c), in tests/.build/libcmaptest.a: assertions
 * on -errno results, unique table names, the modes and scale under test,
 * request fillers, guard pages, and a checked ITER dump.
 *
 * The tests talk to /dev/cmap through libcmap (user/libcmap.h;
 * cmapc_ioctl() for hand-made requests).  Functions returning int return
 * 0 or -errno.
 */
#ifndef CMAP_TEST_CMTEST_H
#define CMAP_TEST_CMTEST_H

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

#include "libcmap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A kernel (direct map) address: never valid as a user pointer. */
#define KERNEL_ADDR 0xffff888000000000ULL

static inline __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* "ENOENT" for a positive errno, "success(n)" for 0 or less. */
const char *errname(int err);

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

/* CLOCK_MONOTONIC in seconds. */
double now_sec(void);

/*
 * @cmd with @size in its size bits: the command as a program built against
 * a header whose struct has that size issues it.
 */
unsigned long cm_cmd_sized(unsigned long cmd, size_t size);

/* A new file of CMAP_DEVICE, or fails the test. */
int cm_dev_open(void);

/* A table name unique to this process and call: "<tag><pid>_<n>". */
void cm_unique_name(char *buf, const char *tag);

/* The mode cm_create() makes tables in (a test binary may loop over modes). */
extern __u32 cm_default_mode;

/*
 * The modes to test: CMAP_TEST_MODES="rcu,rwlock,..." or "all" (the
 * default: every mode of the header); a bit per mode.
 */
unsigned int cm_test_modes(void);

/*
 * @n scaled by CMAP_TEST_SCALE (a factor, default 1), at least 1: the
 * repetitions of the tests that hunt rare interleavings by numbers (more
 * than 1 hunts longer).  A debug kernel under TCG runs them 10 to 50 times
 * slower, and its detectors look at code paths, not volume:
 * tests/debug/check sets 0.1.
 */
unsigned int cm_scaled(unsigned int n);

/* CREATE in cm_default_mode with the other config fields given. */
int cm_create(int fd, const char *name, __u32 size_hint,
	      __u64 max_entries, __u64 max_bytes, __u32 *id);

/* cm_create() with CMAP_CREATE_* @flags (CMAP_CREATE_INLINE). */
int cm_create_flags(int fd, const char *name, __u32 flags, __u32 size_hint,
		    __u64 max_entries, __u64 max_bytes, __u32 *id);

/* Fills a PUT/GET/DELETE request. */
void cm_kv(struct cmap_kv *kv, __u32 flags, const void *key,
	   __u32 klen, const void *val, __u32 vlen);

/* PUT and DELETE of NUL-terminated string keys and values. */
int cm_puts(int fd, const char *key, const char *val, __u32 flags);

int cm_dels(int fd, const char *key);

/* GET a string key; 0 and the value NUL-terminated in out (>= 4097 bytes). */
int cm_gets(int fd, const char *key, char *out, size_t outsz);

/* Live entries of the bound table, or fails the test. */
__u64 cm_entries(int fd);

/*
 * Fills a BATCH operation; its result gets a value the kernel must
 * overwrite.
 */
void cm_bop(struct cmap_batch_op *op, __u32 code, __u32 flags,
	    const void *key, __u32 klen, const void *val,
	    __u32 vlen);

/*
 * Guard pages: an R/W page followed by a PROT_NONE page; the returned
 * pointer is the R/W page.  Data placed at its end straddles into the guard.
 */
char *cm_guarded_page(void);

void cm_guarded_free(char *p);

/*
 * An address no access succeeds on: a page mapped PROT_NONE and kept, not
 * unmapped, so that no later mmap() -- by another thread of the process,
 * as the host's libfakecmap.so runs -- can land there.  It leaks a page of
 * address space per call.
 */
void *cm_unmapped_addr(void);

/* Our own comm, as the kernel reports it. */
void cm_self_comm(char out[16]);

/* Finds a table in LIST by id; 0 if found. */
int cm_list_find(int fd, __u32 id, struct cmap_table_info *out);

/* Is a table of this name listed? */
int cm_list_has_name(int fd, const char *name);

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

int cm_dump(int fd, __u32 buf_len, cm_rec_cb cb, void *ctx,
	    char *msg, size_t msgsz, unsigned long *calls);

#endif /* CMAP_TEST_CMTEST_H */
