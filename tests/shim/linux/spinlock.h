/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: spinlock_t is a 4-byte test-and-test-and-set lock, like
 * the kernel's (uncontended: one atomic exchange), that yields the CPU after
 * spinning for a while because userspace threads can be preempted while
 * holding it.  With CONFIG_LOCKDEP it also records its owner so that
 * lockdep_is_held() is a real check and unlocking a lock one does not hold
 * warns.  rwlock_t is a writer-preferring pthread rwlock (the kernel's
 * qrwlock makes new readers wait for a waiting writer too).
 */
#ifndef _SHIM_LINUX_SPINLOCK_H
#define _SHIM_LINUX_SPINLOCK_H

#include <pthread.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/lockdep.h>

typedef struct spinlock {
	int locked;
#ifdef CONFIG_LOCKDEP
	int owner;
#endif
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(x)	((spinlock_t){ 0 })
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

void shim_spin_lock_slow(spinlock_t *l);

static inline void shim_spin_acquired(spinlock_t *l)
{
#ifdef CONFIG_LOCKDEP
	__atomic_store_n(&l->owner, shim_tid(), __ATOMIC_RELAXED);
#else
	(void)l;
#endif
}

static inline void spin_lock_init(spinlock_t *l)
{
	*l = __SPIN_LOCK_UNLOCKED(*l);
}

static inline void spin_lock(spinlock_t *l)
{
	if (unlikely(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)))
		shim_spin_lock_slow(l);
	shim_spin_acquired(l);
}

static inline int spin_trylock(spinlock_t *l)
{
	if (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) ||
	    __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return 0;
	shim_spin_acquired(l);
	return 1;
}

static inline void spin_unlock(spinlock_t *l)
{
#ifdef CONFIG_LOCKDEP
	WARN_ONCE(__atomic_load_n(&l->owner, __ATOMIC_RELAXED) != shim_tid(),
		  "spin_unlock() of a lock this thread does not hold\n");
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
#endif
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline int spin_is_locked(spinlock_t *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

#define spin_lock_nested(l, subclass)	((void)(subclass), spin_lock(l))
#define spin_lock_bh(l)			spin_lock(l)
#define spin_unlock_bh(l)		spin_unlock(l)
#define spin_lock_irq(l)		spin_lock(l)
#define spin_unlock_irq(l)		spin_unlock(l)
#define spin_lock_irqsave(l, f)		((void)(f), spin_lock(l))
#define spin_unlock_irqrestore(l, f)	((void)(f), spin_unlock(l))
#define assert_spin_locked(l)		WARN_ON(!spin_is_locked(l))

typedef struct shim_rwlock {
	pthread_rwlock_t rw;
} rwlock_t;

void rwlock_init(rwlock_t *l);

static inline void read_lock(rwlock_t *l)
{
	pthread_rwlock_rdlock(&l->rw);
}

static inline int read_trylock(rwlock_t *l)
{
	return !pthread_rwlock_tryrdlock(&l->rw);
}

static inline void read_unlock(rwlock_t *l)
{
	pthread_rwlock_unlock(&l->rw);
}

static inline void write_lock(rwlock_t *l)
{
	pthread_rwlock_wrlock(&l->rw);
}

static inline int write_trylock(rwlock_t *l)
{
	return !pthread_rwlock_trywrlock(&l->rw);
}

static inline void write_unlock(rwlock_t *l)
{
	pthread_rwlock_unlock(&l->rw);
}

#define read_lock_bh		read_lock
#define read_unlock_bh		read_unlock
#define write_lock_bh		write_lock
#define write_unlock_bh		write_unlock

#endif
