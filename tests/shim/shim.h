/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace shim's own interface, for tests and benchmarks: what the
 * kernel API headers under linux/ do not say.
 *
 * Build flags the shim honours:
 *   CONFIG_LOCKDEP      locks record their owner; lockdep_is_held() checks it
 *   CONFIG_PROVE_RCU    RCU usage checks (rcu_dereference() outside RCU, ...)
 *   CONFIG_SHIM_HOOKS   test hooks on the RCU read side
 *   SHIM_POISON         fill non-zeroed allocations with 0xa5
 */
#ifndef _SHIM_SHIM_H
#define _SHIM_SHIM_H

#include <linux/gfp.h>
#include <linux/types.h>

struct work_struct;

/* Threads: register with RCU and name the thread (for `current->comm`). */
void shim_thread_start(const char *name);
void shim_thread_stop(void);

/*
 * The allocator.  Every kmalloc()/kvmalloc() family allocation is counted;
 * shim_alloc_live() includes objects handed to kfree_rcu() whose grace
 * period has not ended (shim_alloc_rcu_pending() of them): after
 * rcu_barrier() both are exact.
 */
long shim_alloc_live(void);
long shim_alloc_rcu_pending(void);
unsigned long shim_alloc_attempts(void);

/*
 * Fault injection: make the @nth failable allocation from now fail (1: the
 * next one), counting only the calling thread's allocations unless
 * SHIM_FAULT_ANY_THREAD; with SHIM_FAULT_STICKY every later one fails too.
 * __GFP_NOFAIL allocations never fail and are not counted.  0 disarms.
 */
#define SHIM_FAULT_ANY_THREAD	1u
#define SHIM_FAULT_STICKY	2u
void shim_fault_inject(unsigned long nth, unsigned int flags);
/* Failures injected since the last shim_fault_inject(). */
unsigned long shim_fault_hits(void);
bool shim_fault_should_fail(gfp_t gfp);

/* WARN()s, and pr_warn()/pr_err() messages, since start. */
unsigned long shim_warnings(void);
unsigned long shim_printk_warnings(void);
/* Stop printing WARN()s and messages (they are still counted). */
void shim_set_quiet(bool quiet);

/*
 * Workqueues.  Pausing stops every worker thread from starting work (and
 * waits for work in progress); pending work then runs only when a test
 * calls shim_wq_run_pending(), in the test's own thread.
 */
void shim_wq_pause(void);
void shim_wq_resume(void);
/* Run pending work (and work it queues) in the caller; needs pause. */
unsigned int shim_wq_run_pending(void);
/* Wait until no workqueue has work pending or running; needs no pause. */
void shim_wq_drain(void);
unsigned int shim_wq_nr_pending(void);
/* The work item the caller is running, or NULL. */
struct work_struct *shim_current_work(void);

/*
 * cond_resched() calls @fn (in the thread that called cond_resched(), with
 * the work item that thread is running, or NULL) unless a hook is already
 * running in that thread.  NULL removes the hook.
 */
typedef void (*shim_resched_fn)(void *arg, struct work_struct *work);
void shim_set_resched_hook(shim_resched_fn fn, void *arg);

/*
 * CONFIG_SHIM_HOOKS: call @fn after the calling thread's next outermost
 * rcu_read_unlock()s, until it is removed (NULL).  @fn runs outside any
 * read-side critical section; it may remove itself.
 */
void shim_set_rcu_unlock_hook(void (*fn)(void));

/* Make signal_pending(current) true or false for the calling thread. */
void shim_signal_raise(void);
void shim_signal_clear(void);

/* get_random_bytes() from a deterministic stream; 0: back to getrandom(). */
void shim_random_seed(u64 seed);

#endif
