/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: per-CPU data.  SHIM_NR_CPUS copies, SHIM_PCPU_STRIDE
 * bytes apart; a thread takes the next "CPU" round robin when it first
 * touches one, and several threads may share one, so this_cpu_*() are
 * atomic here (in the kernel they are one instruction on the local copy).
 */
#ifndef _SHIM_LINUX_PERCPU_H
#define _SHIM_LINUX_PERCPU_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/slab.h>

#define SHIM_NR_CPUS		8
#define SHIM_PCPU_STRIDE	256

unsigned int shim_this_cpu(void);

#define alloc_percpu(type) ({						\
	_Static_assert(sizeof(type) <= SHIM_PCPU_STRIDE, "per-CPU stride"); \
	(type *)kzalloc(SHIM_NR_CPUS * SHIM_PCPU_STRIDE, GFP_KERNEL);	\
})
#define alloc_percpu_gfp(type, gfp) ({				\
	_Static_assert(sizeof(type) <= SHIM_PCPU_STRIDE, "per-CPU stride"); \
	(type *)kzalloc(SHIM_NR_CPUS * SHIM_PCPU_STRIDE, (gfp));	\
})
#define free_percpu(p)		kfree(p)
#define per_cpu_ptr(p, cpu)						\
	((typeof(p))((char *)(p) + (size_t)(cpu) * SHIM_PCPU_STRIDE))
#define raw_cpu_ptr(p)		per_cpu_ptr(p, shim_this_cpu())
#define this_cpu_ptr(p)		raw_cpu_ptr(p)
#define for_each_possible_cpu(cpu)					\
	for ((cpu) = 0; (cpu) < SHIM_NR_CPUS; (cpu)++)
#define this_cpu_add(pcp, val)						\
	((void)__atomic_fetch_add((typeof(&(pcp)))((char *)&(pcp) +	\
			(size_t)shim_this_cpu() * SHIM_PCPU_STRIDE),	\
			(val), __ATOMIC_RELAXED))
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	this_cpu_add(pcp, -1)

#endif
