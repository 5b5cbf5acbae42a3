/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: atomic_t and atomic_long_t on the __atomic builtins, with
 * the kernel's ordering rules: plain reads and sets are relaxed,
 * value-returning read-modify-writes are fully ordered, void ones relaxed.
 */
#ifndef _SHIM_LINUX_ATOMIC_H
#define _SHIM_LINUX_ATOMIC_H

#include <asm/barrier.h>
#include <linux/compiler.h>

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { s64 counter; } atomic64_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }

#define __SHIM_ATOMIC_OPS(pfx, type, T)					\
static inline T pfx##_read(const type *v)				\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);		\
}									\
static inline T pfx##_read_acquire(const type *v)			\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);		\
}									\
static inline void pfx##_set(type *v, T i)				\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_set_release(type *v, T i)			\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);		\
}									\
static inline void pfx##_add(T i, type *v)				\
{									\
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_sub(T i, type *v)				\
{									\
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void pfx##_inc(type *v)					\
{									\
	pfx##_add(1, v);						\
}									\
static inline void pfx##_dec(type *v)					\
{									\
	pfx##_sub(1, v);						\
}									\
static inline T pfx##_add_return(T i, type *v)				\
{									\
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline T pfx##_sub_return(T i, type *v)				\
{									\
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline T pfx##_inc_return(type *v)				\
{									\
	return pfx##_add_return(1, v);					\
}									\
static inline T pfx##_dec_return(type *v)				\
{									\
	return pfx##_sub_return(1, v);					\
}									\
static inline T pfx##_fetch_add(T i, type *v)				\
{									\
	return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline bool pfx##_dec_and_test(type *v)				\
{									\
	return pfx##_dec_return(v) == 0;				\
}									\
static inline T pfx##_xchg(type *v, T i)				\
{									\
	return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline T pfx##_cmpxchg(type *v, T old, T new)			\
{									\
	__atomic_compare_exchange_n(&v->counter, &old, new, false,	\
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); \
	return old;							\
}									\
static inline bool pfx##_try_cmpxchg(type *v, T *old, T new)		\
{									\
	return __atomic_compare_exchange_n(&v->counter, old, new, false, \
					   __ATOMIC_SEQ_CST,		\
					   __ATOMIC_RELAXED);		\
}

__SHIM_ATOMIC_OPS(atomic, atomic_t, int)
__SHIM_ATOMIC_OPS(atomic_long, atomic_long_t, long)
__SHIM_ATOMIC_OPS(atomic64, atomic64_t, s64)

#undef __SHIM_ATOMIC_OPS

#endif
