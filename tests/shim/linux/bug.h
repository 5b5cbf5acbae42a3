/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: WARN() and friends print and count; tests check the count
 * (shim_warnings()) so that a warning the core raises fails the test.
 * BUG() aborts.
 */
#ifndef _SHIM_LINUX_BUG_H
#define _SHIM_LINUX_BUG_H

#include <stdio.h>
#include <stdlib.h>
#include <linux/compiler.h>

void shim_warn(const char *file, int line, const char *fmt, ...)
	__printf(3, 4);

#define WARN(cond, fmt...) ({						\
	int __w_ret = !!(cond);						\
	if (unlikely(__w_ret))						\
		shim_warn(__FILE__, __LINE__, fmt);			\
	unlikely(__w_ret);						\
})
#define WARN_ON(cond)		WARN(cond, "WARN_ON(%s)\n", #cond)
#define WARN_ONCE(cond, fmt...) ({					\
	static bool __wo_done;						\
	int __wo_ret = !!(cond);					\
	if (unlikely(__wo_ret) && !__atomic_exchange_n(&__wo_done, 1,	\
						       __ATOMIC_RELAXED)) \
		shim_warn(__FILE__, __LINE__, fmt);			\
	unlikely(__wo_ret);						\
})
#define WARN_ON_ONCE(cond)	WARN_ONCE(cond, "WARN_ON_ONCE(%s)\n", #cond)

#define BUG() do {							\
	fprintf(stderr, "BUG at %s:%d\n", __FILE__, __LINE__);		\
	abort();							\
} while (0)
#define BUG_ON(cond) do { if (unlikely(cond)) BUG(); } while (0)

#endif
