/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a pthread mutex that knows its owner (for lockdep_is_held). */
#ifndef _SHIM_LINUX_MUTEX_H
#define _SHIM_LINUX_MUTEX_H

#include <pthread.h>
#include <linux/bug.h>
#include <linux/lockdep.h>

struct mutex {
	pthread_mutex_t m;
	int owner;
};

#define DEFINE_MUTEX(x) struct mutex x = { PTHREAD_MUTEX_INITIALIZER, 0 }

static inline void mutex_init(struct mutex *m)
{
	pthread_mutex_init(&m->m, NULL);
	m->owner = 0;
}

static inline void mutex_destroy(struct mutex *m)
{
	pthread_mutex_destroy(&m->m);
}

static inline void mutex_lock(struct mutex *m)
{
	pthread_mutex_lock(&m->m);
	__atomic_store_n(&m->owner, shim_tid(), __ATOMIC_RELAXED);
}

static inline int mutex_trylock(struct mutex *m)
{
	if (pthread_mutex_trylock(&m->m))
		return 0;
	__atomic_store_n(&m->owner, shim_tid(), __ATOMIC_RELAXED);
	return 1;
}

static inline void mutex_unlock(struct mutex *m)
{
	WARN_ONCE(__atomic_load_n(&m->owner, __ATOMIC_RELAXED) != shim_tid(),
		  "mutex_unlock() of a mutex this thread does not hold\n");
	__atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->m);
}

static inline bool mutex_is_locked(struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) != 0;
}

#define mutex_lock_interruptible(m)	(mutex_lock(m), 0)
#define mutex_lock_killable(m)		(mutex_lock(m), 0)

#endif
