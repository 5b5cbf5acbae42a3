/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: min()/max() with the kernel's type check (comparing
 * pointers to both operands warns when their types differ), and the _t
 * variants.
 */
#ifndef _SHIM_LINUX_MINMAX_H
#define _SHIM_LINUX_MINMAX_H

#define __shim_cmp(a, b, op) ({						\
	typeof(a) __a = (a);						\
	typeof(b) __b = (b);						\
	(void)(&__a == &__b);						\
	__a op __b ? __a : __b;						\
})

#define min(a, b)		__shim_cmp(a, b, <)
#define max(a, b)		__shim_cmp(a, b, >)
#define min_t(type, a, b)	__shim_cmp((type)(a), (type)(b), <)
#define max_t(type, a, b)	__shim_cmp((type)(a), (type)(b), >)
#define clamp(v, lo, hi)	min(max(v, lo), hi)
#define clamp_t(type, v, lo, hi) min_t(type, max_t(type, v, lo), hi)
#define clamp_val(v, lo, hi)	clamp_t(typeof(v), v, lo, hi)

#endif
