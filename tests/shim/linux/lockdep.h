/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: with CONFIG_LOCKDEP, lockdep_is_held() really checks that
 * the calling thread owns the spinlock or mutex (locks record their owner);
 * without it, it is 1 as in a kernel built without lockdep.
 */
#ifndef _SHIM_LINUX_LOCKDEP_H
#define _SHIM_LINUX_LOCKDEP_H

#include <linux/compiler.h>

#define SINGLE_DEPTH_NESTING	1

struct spinlock;
struct mutex;
struct shim_rwlock;

extern __thread int shim_tid_cache;
int shim_tid_init(void);

/* The calling thread's id, nonzero. */
static inline int shim_tid(void)
{
	int tid = shim_tid_cache;

	return likely(tid) ? tid : shim_tid_init();
}

#ifdef CONFIG_LOCKDEP
bool shim_spin_is_held(const struct spinlock *l);
bool shim_mutex_is_held(const struct mutex *m);
static inline bool shim_rwlock_is_held(const struct shim_rwlock *l)
{
	(void)l;
	return true;	/* not tracked: readers are anonymous */
}
#define lockdep_is_held(l) _Generic((l),				\
	struct spinlock *: shim_spin_is_held,				\
	const struct spinlock *: shim_spin_is_held,			\
	struct mutex *: shim_mutex_is_held,				\
	const struct mutex *: shim_mutex_is_held,			\
	struct shim_rwlock *: shim_rwlock_is_held)(l)
#define lockdep_assert_held(l)	WARN_ON(!lockdep_is_held(l))
#else
#define lockdep_is_held(l)	({ (void)(l); 1; })
#define lockdep_assert_held(l)	do { (void)(l); } while (0)
#endif

#endif
