// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's RCU: grace periods from liburcu (memb flavour), call_rcu()
 * and kfree_rcu(), and the ThreadSanitizer annotations that stand for grace
 * periods (see linux/rcupdate.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "shim.h"

#ifdef SHIM_TSAN
char shim_rcu_gp_sync;
#endif

static long rcu_pending;

long shim_alloc_rcu_pending(void)
{
	return __atomic_load_n(&rcu_pending, __ATOMIC_SEQ_CST);
}

void synchronize_rcu(void)
{
	RCU_LOCKDEP_WARN(rcu_read_lock_held(),
			 "synchronize_rcu() in an RCU read-side critical section");
	urcu_memb_synchronize_rcu();
	shim_tsan_acquire(&shim_rcu_gp_sync);
}

/*
 * call_rcu(), as the kernel's: callbacks queue on a list that a thread
 * takes in batches, waits a grace period for, and runs.  (liburcu's own
 * call_rcu() thread sleeps 10 ms between batches, which made every
 * rcu_barrier() of the tests cost that much.)  kfree_rcu() queues the
 * offset of the rcu_head in place of a callback, as the kernel once did.
 */
#define SHIM_KFREE_RCU_MAX	4096

static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;
static struct rcu_head *cb_head, **cb_tail = &cb_head;
static u64 cb_queued, cb_done;
static unsigned int cb_barriers;	/* rcu_barrier()s waiting */
static bool cb_thread_started;
static pthread_t cb_thread;

static inline struct rcu_head **cb_next(struct rcu_head *head)
{
	return (struct rcu_head **)&head->next;
}

static void *cb_thread_fn(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cb_lock);
	for (;;) {
		struct rcu_head *list, *next;
		u64 n = 0;

		while (!cb_head)
			pthread_cond_wait(&cb_cond, &cb_lock);
		if (!cb_barriers) {
			/* Gather a batch: a grace period per callback costs
			 * membarrier IPIs that slow everybody down. */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&cb_cond, &cb_lock, &ts);
		}
		list = cb_head;
		if (!list)
			continue;
		cb_head = NULL;
		cb_tail = &cb_head;
		pthread_mutex_unlock(&cb_lock);

		synchronize_rcu();
		for (; list; list = next, n++) {
			unsigned long f = (unsigned long)list->func;

			next = *cb_next(list);
			shim_tsan_acquire(list);
			if (f < SHIM_KFREE_RCU_MAX) {
				kfree((char *)list - f);
				__atomic_fetch_sub(&rcu_pending, 1, __ATOMIC_SEQ_CST);
			} else {
				list->func(list);
			}
		}

		pthread_mutex_lock(&cb_lock);
		cb_done += n;
		pthread_cond_broadcast(&cb_cond);
	}
	return NULL;
}

void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	bool was_empty;

	shim_tsan_release(head);
	head->func = func;
	*cb_next(head) = NULL;
	pthread_mutex_lock(&cb_lock);
	was_empty = !cb_head;
	*cb_tail = head;
	cb_tail = cb_next(head);
	cb_queued++;
	if (!cb_thread_started) {
		if (pthread_create(&cb_thread, NULL, cb_thread_fn, NULL))
			abort();
		cb_thread_started = true;
	}
	/* The thread waits for a first callback, then gathers a batch. */
	if (was_empty)
		pthread_cond_broadcast(&cb_cond);
	pthread_mutex_unlock(&cb_lock);
}

void shim_kfree_rcu(struct rcu_head *head, size_t offset)
{
	BUILD_BUG_ON(SHIM_KFREE_RCU_MAX_OFFSET > SHIM_KFREE_RCU_MAX);
	__atomic_fetch_add(&rcu_pending, 1, __ATOMIC_SEQ_CST);
	call_rcu(head, (void (*)(struct rcu_head *))offset);
}

void rcu_barrier(void)
{
	u64 target;

	RCU_LOCKDEP_WARN(rcu_read_lock_held(),
			 "rcu_barrier() in an RCU read-side critical section");
	pthread_mutex_lock(&cb_lock);
	target = cb_queued;
	cb_barriers++;
	pthread_cond_broadcast(&cb_cond);
	while (cb_done < target)
		pthread_cond_wait(&cb_cond, &cb_lock);
	cb_barriers--;
	pthread_mutex_unlock(&cb_lock);
	shim_tsan_acquire(&shim_rcu_gp_sync);
}

#ifdef CONFIG_SHIM_HOOKS
__thread void (*shim_rcu_unlock_hook)(void);
static __thread bool rcu_unlock_hook_running;

void shim_set_rcu_unlock_hook(void (*fn)(void))
{
	shim_rcu_unlock_hook = fn;
}

void shim_rcu_unlock_hook_run(void)
{
	if (rcu_read_lock_held() || rcu_unlock_hook_running)
		return;
	rcu_unlock_hook_running = true;
	shim_rcu_unlock_hook();
	rcu_unlock_hook_running = false;
}
#else
void shim_set_rcu_unlock_hook(void (*fn)(void))
{
	WARN(fn, "shim built without CONFIG_SHIM_HOOKS\n");
}
#endif
