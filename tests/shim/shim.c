// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's odds and ends: threads, `current` and its pids, WARN() and printk,
 * the spinlock slow path, cond_resched() and signal hooks, random bytes and
 * sort().
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/spinlock.h>

#include "shim.h"

__thread int shim_tid_cache;
__thread struct task_struct shim_task;

/* The "CPU" of this thread for per-CPU data: assigned round robin. */
static __thread int shim_cpu = -1;
static unsigned int shim_next_cpu;

unsigned int shim_this_cpu(void)
{
	if (unlikely(shim_cpu < 0))
		shim_cpu = __atomic_fetch_add(&shim_next_cpu, 1,
					      __ATOMIC_RELAXED) % SHIM_NR_CPUS;
	return shim_cpu;
}

int shim_tid_init(void)
{
	shim_tid_cache = gettid();
	return shim_tid_cache;
}

void shim_task_init(void)
{
	char name[TASK_COMM_LEN] = "";

	prctl(PR_GET_NAME, name, 0, 0, 0);
	strscpy(shim_task.comm, name, sizeof(shim_task.comm));
	shim_task.pid = shim_tid();
	shim_task.tgid = getpid();
}

struct pid *get_task_pid(struct task_struct *task, enum pid_type type)
{
	struct pid *pid = shim_kmalloc(sizeof(*pid), GFP_KERNEL | __GFP_NOFAIL);

	refcount_set(&pid->count, 1);
	pid->nr = type == PIDTYPE_PID ? task->pid : task->tgid;
	return pid;
}

void put_pid(struct pid *pid)
{
	if (pid && refcount_dec_and_test(&pid->count))
		kfree(pid);
}

void shim_thread_start(const char *name)
{
	if (name)
		prctl(PR_SET_NAME, name, 0, 0, 0);
	shim_task_init();
	rcu_register_thread();
}

void shim_thread_stop(void)
{
	rcu_unregister_thread();
}

/* Messages */

static unsigned long nr_warnings, nr_printk_warnings;
static bool quiet;

unsigned long shim_warnings(void)
{
	return __atomic_load_n(&nr_warnings, __ATOMIC_SEQ_CST);
}

unsigned long shim_printk_warnings(void)
{
	return __atomic_load_n(&nr_printk_warnings, __ATOMIC_SEQ_CST);
}

void shim_set_quiet(bool q)
{
	__atomic_store_n(&quiet, q, __ATOMIC_RELAXED);
}

void shim_warn(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&nr_warnings, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&quiet, __ATOMIC_RELAXED))
		return;
	fprintf(stderr, "WARNING: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void shim_printk(int level, const char *fmt, ...)
{
	va_list ap;

	if (level <= KERN_WARNING)
		__atomic_fetch_add(&nr_printk_warnings, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&quiet, __ATOMIC_RELAXED) || level >= KERN_DEBUG)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Locks */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	barrier();
#endif
}

void shim_spin_lock_slow(spinlock_t *l)
{
	unsigned int spins = 0;

	for (;;) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
			/* The holder may be preempted: let it run. */
			if (++spins < 128) {
				cpu_relax();
			} else {
				sched_yield();
				spins = 0;
			}
		}
		if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
			return;
	}
}

#ifdef CONFIG_LOCKDEP
bool shim_spin_is_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == shim_tid();
}

bool shim_mutex_is_held(const struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == shim_tid();
}
#endif

void rwlock_init(rwlock_t *l)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&l->rw, &attr);
	pthread_rwlockattr_destroy(&attr);
}

/* Hooks */

static shim_resched_fn resched_hook;
static void *resched_arg;
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread bool in_resched_hook;

void shim_set_resched_hook(shim_resched_fn fn, void *arg)
{
	pthread_mutex_lock(&hook_lock);
	__atomic_store_n(&resched_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&resched_hook, fn, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&hook_lock);
}

void shim_cond_resched(void)
{
	shim_resched_fn fn = __atomic_load_n(&resched_hook, __ATOMIC_ACQUIRE);

	if (likely(!fn) || in_resched_hook)
		return;
	in_resched_hook = true;
	fn(__atomic_load_n(&resched_arg, __ATOMIC_RELAXED), shim_current_work());
	in_resched_hook = false;
}

void shim_signal_raise(void)
{
	__atomic_store_n(&current->sigpending, 1, __ATOMIC_RELAXED);
}

void shim_signal_clear(void)
{
	__atomic_store_n(&current->sigpending, 0, __ATOMIC_RELAXED);
}

/* Random bytes */

static u64 random_state;	/* 0: getrandom() */

void shim_random_seed(u64 seed)
{
	__atomic_store_n(&random_state, seed, __ATOMIC_SEQ_CST);
}

/* splitmix64: a counter through a good mixer. */
static u64 shim_random_next(void)
{
	u64 z = __atomic_add_fetch(&random_state, 0x9e3779b97f4a7c15ULL,
				   __ATOMIC_RELAXED);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void get_random_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	if (__atomic_load_n(&random_state, __ATOMIC_RELAXED)) {
		while (len) {
			u64 r = shim_random_next();
			size_t n = min(len, sizeof(r));

			memcpy(p, &r, n);
			p += n;
			len -= n;
		}
		return;
	}
	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			perror("cmap shim: getrandom");
			abort();
		}
		p += n;
		len -= n;
	}
}

u32 get_random_u32(void)
{
	u32 v;

	get_random_bytes(&v, sizeof(v));
	return v;
}

/* sort(): heapsort, in place, as lib/sort.c */

static void sort_swap(void *a, void *b, size_t size)
{
	u8 *x = a, *y = b, t;

	while (size--) {
		t = *x;
		*x++ = *y;
		*y++ = t;
	}
}

static void do_swap(void *a, void *b, size_t size, swap_func_t swap)
{
	if (swap)
		swap(a, b, (int)size);
	else
		sort_swap(a, b, size);
}

void sort(void *base, size_t num, size_t size, cmp_func_t cmp,
	  swap_func_t swap)
{
	u8 *b = base;
	size_t i, n, root, child;

	if (num < 2)
		return;
	/* Build a max-heap, then move the max to the end, num - 1 times. */
	for (n = num, i = num / 2; ; ) {
		if (i > 0) {
			root = --i;
		} else {
			if (--n == 0)
				break;
			do_swap(b, b + n * size, size, swap);
			root = 0;
		}
		for (; (child = 2 * root + 1) < n; root = child) {
			if (child + 1 < n &&
			    cmp(b + child * size, b + (child + 1) * size) < 0)
				child++;
			if (cmp(b + root * size, b + child * size) >= 0)
				break;
			do_swap(b + root * size, b + child * size, size, swap);
		}
	}
}
