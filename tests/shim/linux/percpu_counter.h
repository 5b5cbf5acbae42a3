/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a percpu_counter is one atomic.  percpu_counter_init()
 * allocates nothing but can fail by fault injection, like the real one.
 */
#ifndef _SHIM_LINUX_PERCPU_COUNTER_H
#define _SHIM_LINUX_PERCPU_COUNTER_H

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/gfp.h>

struct percpu_counter {
	atomic64_t count;
	bool initialized;
};

bool shim_fault_should_fail(gfp_t gfp);

static inline int percpu_counter_init(struct percpu_counter *fbc, s64 amount,
				      gfp_t gfp)
{
	if (shim_fault_should_fail(gfp))
		return -ENOMEM;
	atomic64_set(&fbc->count, amount);
	fbc->initialized = true;
	return 0;
}

static inline void percpu_counter_destroy(struct percpu_counter *fbc)
{
	fbc->initialized = false;
}

static inline void percpu_counter_add(struct percpu_counter *fbc, s64 amount)
{
	atomic64_add(amount, &fbc->count);
}

static inline void percpu_counter_add_batch(struct percpu_counter *fbc,
					    s64 amount, s32 batch)
{
	atomic64_add(amount, &fbc->count);
}

/* Exact here: the kernel's is exact within @batch per CPU of @rhs. */
static inline int __percpu_counter_compare(struct percpu_counter *fbc,
					   s64 rhs, s32 batch)
{
	s64 v = atomic64_read(&fbc->count);

	return v > rhs ? 1 : v < rhs ? -1 : 0;
}

static inline void percpu_counter_inc(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, 1);
}

static inline void percpu_counter_dec(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, -1);
}

static inline s64 percpu_counter_read(struct percpu_counter *fbc)
{
	return atomic64_read(&fbc->count);
}

static inline s64 percpu_counter_sum(struct percpu_counter *fbc)
{
	return atomic64_read(&fbc->count);
}

#endif
