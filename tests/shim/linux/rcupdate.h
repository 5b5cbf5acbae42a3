/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: RCU through liburcu's memb flavour (sys_membarrier: the
 * read side is a thread-local counter update, like the kernel's preemptible
 * RCU read side).  Every thread that enters a read-side critical section
 * must call rcu_register_thread() first and rcu_unregister_thread() before
 * it exits; the shim's workqueue threads do.
 *
 * Pointer accessors are __atomic loads and stores (consume/release), so
 * ThreadSanitizer sees publication.  TSan cannot see grace periods (liburcu
 * is not instrumented), so the shim tells it: every rcu_read_unlock()
 * releases a global sync object that synchronize_rcu() and every RCU
 * callback acquire.
 *
 * With CONFIG_PROVE_RCU, rcu_dereference() outside a read-side critical
 * section, rcu_dereference_protected() whose condition is false and
 * synchronize_rcu() inside a read-side critical section warn.
 */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H

#include <linux/compiler.h>
#include <linux/kernel.h>

/*
 * Inline read-side primitives, except under TSan: liburcu's inline read
 * side writes thread-local state with volatile accesses TSan would
 * instrument, while the library's grace-period code it pairs with is not.
 */
#if !defined(SHIM_TSAN) && !defined(_LGPL_SOURCE)
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>

/* liburcu's own pointer macros are volatile-based: use ours. */
#undef rcu_dereference
#undef rcu_assign_pointer
#undef rcu_set_pointer
#undef rcu_xchg_pointer
#undef rcu_cmpxchg_pointer

#ifdef SHIM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char shim_rcu_gp_sync;
#define shim_tsan_release(a)	__tsan_release(a)
#define shim_tsan_acquire(a)	__tsan_acquire(a)
#else
#define shim_tsan_release(a)	do { } while (0)
#define shim_tsan_acquire(a)	do { } while (0)
#endif

#ifdef CONFIG_SHIM_HOOKS
extern __thread void (*shim_rcu_unlock_hook)(void);
void shim_rcu_unlock_hook_run(void);
#endif

static inline void rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static inline void rcu_read_unlock(void)
{
	shim_tsan_release(&shim_rcu_gp_sync);
	urcu_memb_read_unlock();
#ifdef CONFIG_SHIM_HOOKS
	if (unlikely(shim_rcu_unlock_hook))
		shim_rcu_unlock_hook_run();
#endif
}

static inline bool rcu_read_lock_held(void)
{
	return urcu_memb_read_ongoing();
}

#define rcu_read_lock_bh	rcu_read_lock
#define rcu_read_unlock_bh	rcu_read_unlock

#ifdef CONFIG_PROVE_RCU
#define RCU_LOCKDEP_WARN(c, s)	WARN_ONCE(c, "%s\n", s)
#else
#define RCU_LOCKDEP_WARN(c, s)	((void)(0 && (c)))
#endif

#define rcu_dereference_check(p, c) ({					\
	RCU_LOCKDEP_WARN(!((c) || rcu_read_lock_held()),		\
			 "suspicious rcu_dereference_check() usage");	\
	__atomic_load_n(&(p), __ATOMIC_CONSUME);			\
})
#define rcu_dereference(p)		rcu_dereference_check(p, 0)
#define rcu_dereference_bh(p)		rcu_dereference(p)
#define rcu_dereference_raw(p)		__atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_dereference_protected(p, c) ({				\
	RCU_LOCKDEP_WARN(!(c),						\
			 "suspicious rcu_dereference_protected() usage"); \
	(p);								\
})
#define rcu_access_pointer(p)		READ_ONCE(p)

#define rcu_assign_pointer(p, v)					\
do {									\
	typeof(p) __ra_v = (v);						\
	__atomic_store_n(&(p), __ra_v, __ATOMIC_RELEASE);		\
} while (0)
#define rcu_replace_pointer(rcu_ptr, ptr, c) ({				\
	typeof(ptr) __rp_tmp = rcu_dereference_protected((rcu_ptr), (c)); \
	rcu_assign_pointer((rcu_ptr), (ptr));				\
	__rp_tmp;							\
})
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)

#define rcu_register_thread()		urcu_memb_register_thread()
#define rcu_unregister_thread()		urcu_memb_unregister_thread()

void synchronize_rcu(void);
void rcu_barrier(void);
/* liburcu's struct rcu_head; the shim's own callback thread. */
#undef call_rcu
void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));

/*
 * kfree_rcu(ptr, field): kfree(ptr) after a grace period, through the
 * rcu_head @field, whose offset is queued in place of a callback.
 */
#define SHIM_KFREE_RCU_MAX_OFFSET	4096
void shim_kfree_rcu(struct rcu_head *head, size_t offset);
#define kfree_rcu(ptr, field)						\
	shim_kfree_rcu(&(ptr)->field,					\
		       offsetof(typeof(*(ptr)), field) +		\
		       BUILD_BUG_ON_ZERO(offsetof(typeof(*(ptr)), field) >= \
					 SHIM_KFREE_RCU_MAX_OFFSET))
#define kvfree_rcu(ptr, field)		kfree_rcu(ptr, field)

#endif
