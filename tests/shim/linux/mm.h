/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: kvmalloc() and friends are kmalloc() here. */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H

#include <linux/slab.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)

static inline void *kvmalloc(size_t size, gfp_t gfp)
{
	return shim_kmalloc(size, gfp);
}

static inline void *kvzalloc(size_t size, gfp_t gfp)
{
	return shim_kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return shim_kmalloc(size_mul(n, size), gfp);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return shim_kmalloc(size_mul(n, size), gfp | __GFP_ZERO);
}

static inline void kvfree(const void *p)
{
	shim_kfree(p);
}

#endif
