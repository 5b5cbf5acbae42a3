/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the kernel allocators on malloc, through one allocator
 * that counts live objects and fails an allocation on request (see shim.h:
 * shim_fault_inject()).  Memory from kmalloc() without __GFP_ZERO is
 * poisoned (0xa5) in test builds so reading it uninitialized
 * gives garbage rather than a lucky zero.
 */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/overflow.h>
#include <linux/types.h>

void *shim_kmalloc(size_t size, gfp_t gfp);
void shim_kfree(const void *p);
size_t kmalloc_size_roundup(size_t size);

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	return shim_kmalloc(size, gfp);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return shim_kmalloc(size, gfp | __GFP_ZERO);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return shim_kmalloc(size_mul(n, size), gfp | __GFP_ZERO);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return shim_kmalloc(size_mul(n, size), gfp);
}

static inline void kfree(const void *p)
{
	shim_kfree(p);
}

#endif
