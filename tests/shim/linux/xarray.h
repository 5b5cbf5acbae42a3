/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the subset of the XArray the registry uses (allocating
 * arrays: xa_alloc_cyclic(), xa_load(), xa_erase(), xa_for_each()), as a
 * sorted array of (index, entry) under a lock of its own.  Lookups are
 * O(log n), changes O(n): fine for tables of tables.  Entries are
 * non-NULL pointers; no marks, no multi-index entries, no RCU-safe
 * xa_load() without the caller's own lock.  Growing the array goes through
 * the shim allocator, so fault injection makes xa_alloc_cyclic() fail with
 * -ENOMEM as in the kernel.
 */
#ifndef _SHIM_LINUX_XARRAY_H
#define _SHIM_LINUX_XARRAY_H

#include <limits.h>
#include <pthread.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct shim_xa_slot {
	unsigned long index;
	void *entry;
};

struct xarray {
	pthread_mutex_t lock;
	unsigned int flags;
	unsigned long nr, cap;
	struct shim_xa_slot *slots;	/* sorted by index */
};

#define XA_FLAGS_ALLOC			1u	/* ids from 0 */
#define XA_FLAGS_ALLOC1			3u	/* ids from 1 */
#define XA_FLAGS_ALLOC_WRAPPED		4u	/* internal: cyclic wrap seen */

#define XARRAY_INIT(name, fl)						\
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .flags = (fl) }
#define DEFINE_XARRAY_FLAGS(name, fl)	struct xarray name = XARRAY_INIT(name, fl)
#define DEFINE_XARRAY_ALLOC(name)	DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC)
#define DEFINE_XARRAY_ALLOC1(name)	DEFINE_XARRAY_FLAGS(name, XA_FLAGS_ALLOC1)

struct xa_limit {
	u32 max;
	u32 min;
};

#define XA_LIMIT(_min, _max)	(struct xa_limit) { .min = (_min), .max = (_max) }

/* xa_find() filter: only "present" exists here. */
#define XA_PRESENT		0u

void xa_init_flags(struct xarray *xa, unsigned int flags);
void *xa_load(struct xarray *xa, unsigned long index);
void *xa_erase(struct xarray *xa, unsigned long index);
int xa_alloc_cyclic(struct xarray *xa, u32 *id, void *entry,
		    struct xa_limit limit, u32 *next, gfp_t gfp);
void *xa_find(struct xarray *xa, unsigned long *index, unsigned long max,
	      unsigned int filter);
void *xa_find_after(struct xarray *xa, unsigned long *index,
		    unsigned long max, unsigned int filter);
bool xa_empty(struct xarray *xa);
void xa_destroy(struct xarray *xa);

#define xa_for_each(xa, index, entry)					\
	for (index = 0, entry = xa_find(xa, &index, ULONG_MAX, XA_PRESENT); \
	     entry;							\
	     entry = xa_find_after(xa, &index, ULONG_MAX, XA_PRESENT))

#endif
