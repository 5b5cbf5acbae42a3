/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: workqueues.  Each workqueue has one worker thread
 * (started on first use, registered with RCU), so a work item never runs
 * concurrently with itself, as in the kernel.  Tests can pause every
 * workqueue and run pending work in their own thread (shim.h), which makes
 * resizes deterministic.
 */
#ifndef _SHIM_LINUX_WORKQUEUE_H
#define _SHIM_LINUX_WORKQUEUE_H

#include <linux/kernel.h>
#include <linux/rcupdate.h>

struct work_struct;
struct workqueue_struct;
typedef void (*work_func_t)(struct work_struct *work);

#define WORK_STRUCT_PENDING	1u

struct work_struct {
	struct work_struct *next;
	work_func_t func;
	struct workqueue_struct *wq;
	unsigned int flags;
};

struct rcu_work {
	struct work_struct work;
	struct rcu_head rcu;
	struct workqueue_struct *wq;
};

#define WQ_UNBOUND		(1u << 1)
#define WQ_FREEZABLE		(1u << 2)
#define WQ_MEM_RECLAIM		(1u << 3)
#define WQ_HIGHPRI		(1u << 4)

extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_unbound_wq;

#define INIT_WORK(w, f) do {						\
	(w)->next = NULL;						\
	(w)->func = (f);						\
	(w)->wq = NULL;							\
	(w)->flags = 0;							\
} while (0)
#define INIT_RCU_WORK(rw, f)	INIT_WORK(&(rw)->work, f)

static inline struct rcu_work *to_rcu_work(struct work_struct *work)
{
	return container_of(work, struct rcu_work, work);
}

static inline bool work_pending(const struct work_struct *w)
{
	return __atomic_load_n(&w->flags, __ATOMIC_RELAXED) &
	       WORK_STRUCT_PENDING;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool queue_rcu_work(struct workqueue_struct *wq, struct rcu_work *rwork);
bool cancel_work_sync(struct work_struct *work);
bool flush_work(struct work_struct *work);
void flush_workqueue(struct workqueue_struct *wq);
struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...);
void destroy_workqueue(struct workqueue_struct *wq);

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

#endif
