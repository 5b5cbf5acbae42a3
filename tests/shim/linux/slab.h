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

#include <linux/bug.h>
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

/*
 * kmem_cache: a name and an object size over the same counting, failing
 * allocator (a cache's objects are kmalloc()s of its size).
 */
struct kmem_cache {
	size_t size;
};

#define SLAB_HWCACHE_ALIGN	0x00002000U
#define SLAB_ACCOUNT		0x04000000U

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *c);

static inline struct kmem_cache *
kmem_cache_create_usercopy(const char *name, unsigned int size,
			   unsigned int align, unsigned int flags,
			   unsigned int useroffset, unsigned int usersize,
			   void (*ctor)(void *))
{
	BUG_ON(useroffset + usersize > size);
	return kmem_cache_create(name, size, align, flags, ctor);
}

static inline unsigned int kmem_cache_size(struct kmem_cache *c)
{
	return c->size;
}

static inline void *kmem_cache_alloc(struct kmem_cache *c, gfp_t gfp)
{
	return shim_kmalloc(c->size, gfp);
}

static inline void kmem_cache_free(struct kmem_cache *c, void *p)
{
	(void)c;
	shim_kfree(p);
}

#endif
