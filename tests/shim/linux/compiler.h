/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: compiler attributes, sparse annotations and the
 * READ_ONCE()/WRITE_ONCE() family.
 *
 * READ_ONCE()/WRITE_ONCE() are relaxed __atomic accesses rather than
 * volatile ones so that ThreadSanitizer sees them as the marked (atomic)
 * accesses the kernel's memory model says they are.
 */
#ifndef _SHIM_LINUX_COMPILER_H
#define _SHIM_LINUX_COMPILER_H

#include <linux/types.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define SHIM_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define SHIM_ASAN 1
#endif

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier()		__asm__ __volatile__("" ::: "memory")

#ifndef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#endif
#define noinline		__attribute__((__noinline__))
#define __aligned(x)		__attribute__((__aligned__(x)))
#define __packed		__attribute__((__packed__))
#define __maybe_unused		__attribute__((__unused__))
#define __must_check		__attribute__((__warn_unused_result__))
#define __printf(a, b)		__attribute__((__format__(printf, a, b)))
#define fallthrough		__attribute__((__fallthrough__))
#define __init
#define __exit

/* sparse annotations: nothing to a compiler. */
#define __rcu
#define __user
#define __iomem
#define __percpu
#define __force
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define __acquire(x)		(void)0
#define __release(x)		(void)0
#define __cond_lock(x, c)	(c)

#define __same_type(a, b)	__builtin_types_compatible_p(typeof(a), typeof(b))
#define BUILD_BUG_ON_ZERO(e)	((int)(sizeof(struct { int:(-!!(e)); })))
#define BUILD_BUG_ON(e)		((void)BUILD_BUG_ON_ZERO(e))
#define BUILD_BUG_ON_MSG(e, m)	_Static_assert(!(e), m)

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)						\
do {									\
	typeof(x) __wo_val = (val);					\
	__atomic_store_n(&(x), __wo_val, __ATOMIC_RELAXED);		\
} while (0)

/*
 * data_race(): an access the author declares racy on purpose (KCSAN skips
 * it); ThreadSanitizer is told to ignore it too.
 */
#ifdef SHIM_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define data_race(expr) ({						\
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);			\
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);			\
	__auto_type __dr_v = (expr);					\
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);			\
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);			\
	__dr_v;								\
})
#else
#define data_race(expr)		({ __auto_type __dr_v = (expr); __dr_v; })
#endif

#endif
