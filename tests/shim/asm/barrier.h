/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: memory barriers as C11 fences and acquire/release
 * accesses.  On x86 the fences compile to what the kernel's do (a compiler
 * barrier for smp_rmb()/smp_wmb(), a locked instruction for smp_mb()).
 * ThreadSanitizer does not model fences; the acquire/release accesses it
 * does.  GCC warns about fences under -fsanitize=thread, so the TSan build
 * uses clang.
 */
#ifndef _SHIM_ASM_BARRIER_H
#define _SHIM_ASM_BARRIER_H

#include <linux/compiler.h>

#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define mb()			smp_mb()
#define rmb()			smp_rmb()
#define wmb()			smp_wmb()
#define smp_mb__before_atomic()	barrier()
#define smp_mb__after_atomic()	barrier()

#ifdef SHIM_EMULATE_BE
/* A big-endian CPU's view of a u64 in memory: see asm/byteorder.h. */
#define smp_load_acquire(p)						\
	__builtin_choose_expr(						\
		__builtin_types_compatible_p(typeof(*(p)), u64),	\
		__builtin_bswap64(__atomic_load_n((const u64 *)(p),	\
						  __ATOMIC_ACQUIRE)),	\
		__atomic_load_n(p, __ATOMIC_ACQUIRE))
#else
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#endif
#define smp_store_release(p, v)						\
do {									\
	typeof(*(p)) __sr_v = (v);					\
	__atomic_store_n(p, __sr_v, __ATOMIC_RELEASE);			\
} while (0)

#endif
