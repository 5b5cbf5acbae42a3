// SPDX-License-Identifier: GPL-2.0
/*
 * The shim's allocator: malloc() with a count of live objects and fault
 * injection, behind kmalloc(), kvmalloc() and friends.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "shim.h"

static long live_objects;
static unsigned long attempts;

static long fault_countdown;	/* > 0: armed */
static unsigned int fault_flags;
static int fault_tid;
static unsigned long fault_hits;

long shim_alloc_live(void)
{
	return __atomic_load_n(&live_objects, __ATOMIC_SEQ_CST);
}

unsigned long shim_alloc_attempts(void)
{
	return __atomic_load_n(&attempts, __ATOMIC_RELAXED);
}

void shim_fault_inject(unsigned long nth, unsigned int flags)
{
	__atomic_store_n(&fault_countdown, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fault_hits, 0, __ATOMIC_RELAXED);
	fault_flags = flags;
	fault_tid = shim_tid();
	__atomic_store_n(&fault_countdown, (long)nth, __ATOMIC_SEQ_CST);
}

unsigned long shim_fault_hits(void)
{
	return __atomic_load_n(&fault_hits, __ATOMIC_RELAXED);
}

bool shim_fault_should_fail(gfp_t gfp)
{
	long left;

	if (gfp & __GFP_NOFAIL)
		return false;
	__atomic_fetch_add(&attempts, 1, __ATOMIC_RELAXED);
	if (likely(__atomic_load_n(&fault_countdown, __ATOMIC_ACQUIRE) <= 0))
		return false;
	if (!(fault_flags & SHIM_FAULT_ANY_THREAD) && fault_tid != shim_tid())
		return false;
	left = __atomic_sub_fetch(&fault_countdown, 1, __ATOMIC_SEQ_CST);
	if (left > 0)
		return false;
	if (left == 0 && (fault_flags & SHIM_FAULT_STICKY))
		/* Stay armed: every later allocation fails too. */
		__atomic_store_n(&fault_countdown, 1, __ATOMIC_SEQ_CST);
	else if (left < 0)
		return false;	/* another thread took the failure */
	__atomic_fetch_add(&fault_hits, 1, __ATOMIC_RELAXED);
	return true;
}

void *shim_kmalloc(size_t size, gfp_t gfp)
{
	void *p;

	if (shim_fault_should_fail(gfp))
		return NULL;
	if (size == SIZE_MAX)	/* an overflowed size_mul()/struct_size() */
		return NULL;
	/*
	 * Cache-line aligned from 64 bytes up, as SLUB's power-of-two caches
	 * and vmalloc are: bucket arrays rely on it for their layout.
	 */
	if (size < 64)
		p = malloc(size ? size : 1);
	else if (posix_memalign(&p, 64, size))
		p = NULL;
	if (!p) {
		if (gfp & __GFP_NOFAIL)
			abort();
		return NULL;
	}
	/*
	 * Zero eagerly, as the kernel does (also for vmalloc), so that first
	 * touches of a big array do not page-fault in whoever uses it later.
	 */
	if (gfp & __GFP_ZERO)
		memset(p, 0, size);
#ifdef SHIM_POISON
	else
		memset(p, 0xa5, size);
#endif
	__atomic_fetch_add(&live_objects, 1, __ATOMIC_RELAXED);
	return p;
}

void shim_kfree(const void *p)
{
	if (!p)
		return;
	__atomic_fetch_sub(&live_objects, 1, __ATOMIC_RELAXED);
	free((void *)p);
}

/* The size of the SLUB kmalloc cache (or page allocation) @size gets. */
size_t kmalloc_size_roundup(size_t size)
{
	static const size_t caches[] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
	};
	size_t i, pages;

	if (!size)
		return 0;
	for (i = 0; i < ARRAY_SIZE(caches); i++)
		if (size <= caches[i])
			return caches[i];
	if (size > (SIZE_MAX >> 1))
		return size;
	for (pages = PAGE_SIZE; pages < size; pages <<= 1)
		;
	return pages;
}

/* The cache itself is not counted: it is not table memory. */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *c;

	(void)name;
	(void)align;
	(void)flags;
	if (ctor)
		abort();	/* not modelled */
	c = malloc(sizeof(*c));
	if (c)
		c->size = size;
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	free(c);
}
