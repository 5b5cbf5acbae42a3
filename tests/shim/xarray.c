// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace shim: the XArray subset of linux/xarray.h, on a sorted array.
 * xa_alloc_cyclic() follows the kernel's __xa_alloc_cyclic(): the lowest
 * free id in [max(min, *next), max], else in [min, max]; 1 when it
 * wrapped, -EBUSY when full, and *next becomes the id after the one taken.
 */
#include <errno.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

void xa_init_flags(struct xarray *xa, unsigned int flags)
{
	pthread_mutex_init(&xa->lock, NULL);
	xa->flags = flags;
	xa->nr = 0;
	xa->cap = 0;
	xa->slots = NULL;
}

/* The first slot whose index is >= @index; under the lock. */
static unsigned long xa_pos(const struct xarray *xa, unsigned long index)
{
	unsigned long lo = 0, hi = xa->nr;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (xa->slots[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *xa_load(struct xarray *xa, unsigned long index)
{
	void *entry = NULL;
	unsigned long i;

	pthread_mutex_lock(&xa->lock);
	i = xa_pos(xa, index);
	if (i < xa->nr && xa->slots[i].index == index)
		entry = xa->slots[i].entry;
	pthread_mutex_unlock(&xa->lock);
	return entry;
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	void *entry = NULL;
	unsigned long i;

	pthread_mutex_lock(&xa->lock);
	i = xa_pos(xa, index);
	if (i < xa->nr && xa->slots[i].index == index) {
		entry = xa->slots[i].entry;
		memmove(&xa->slots[i], &xa->slots[i + 1],
			(xa->nr - i - 1) * sizeof(xa->slots[0]));
		/* An empty XArray holds no memory, as in the kernel. */
		if (!--xa->nr) {
			kfree(xa->slots);
			xa->slots = NULL;
			xa->cap = 0;
		}
	}
	pthread_mutex_unlock(&xa->lock);
	return entry;
}

/* The lowest free index in [min, max], or -EBUSY; under the lock. */
static long xa_free_index(const struct xarray *xa, u32 min, u32 max)
{
	unsigned long i, want = min;

	if (min > max)
		return -EBUSY;
	for (i = xa_pos(xa, min); i < xa->nr && xa->slots[i].index == want; i++)
		want++;
	return want <= max ? (long)want : -EBUSY;
}

static int xa_insert_locked(struct xarray *xa, unsigned long index,
			    void *entry, gfp_t gfp)
{
	unsigned long i;

	if (xa->nr == xa->cap) {
		unsigned long cap = xa->cap ? 2 * xa->cap : 16;
		struct shim_xa_slot *s = kmalloc_array(cap, sizeof(*s), gfp);

		if (!s)
			return -ENOMEM;
		if (xa->nr)
			memcpy(s, xa->slots, xa->nr * sizeof(*s));
		kfree(xa->slots);
		xa->slots = s;
		xa->cap = cap;
	}
	i = xa_pos(xa, index);
	memmove(&xa->slots[i + 1], &xa->slots[i],
		(xa->nr - i) * sizeof(xa->slots[0]));
	xa->slots[i].index = index;
	xa->slots[i].entry = entry;
	xa->nr++;
	return 0;
}

int xa_alloc_cyclic(struct xarray *xa, u32 *id, void *entry,
		    struct xa_limit limit, u32 *next, gfp_t gfp)
{
	u32 min = limit.min;
	long idx;
	int ret = 0;

	if ((xa->flags & XA_FLAGS_ALLOC1) == XA_FLAGS_ALLOC1 && !min)
		min = 1;
	pthread_mutex_lock(&xa->lock);
	idx = xa_free_index(xa, *next > min ? *next : min, limit.max);
	if (idx >= 0 && (xa->flags & XA_FLAGS_ALLOC_WRAPPED)) {
		xa->flags &= ~XA_FLAGS_ALLOC_WRAPPED;
		ret = 1;
	}
	if (idx < 0 && *next > min) {
		idx = xa_free_index(xa, min, limit.max);
		ret = 1;
	}
	if (idx < 0) {
		ret = -EBUSY;
	} else {
		int err = xa_insert_locked(xa, idx, entry, gfp);

		if (err) {
			ret = err;
		} else {
			*id = idx;
			*next = idx + 1;
			if (!*next)
				xa->flags |= XA_FLAGS_ALLOC_WRAPPED;
		}
	}
	pthread_mutex_unlock(&xa->lock);
	return ret;
}

void *xa_find(struct xarray *xa, unsigned long *index, unsigned long max,
	      unsigned int filter)
{
	void *entry = NULL;
	unsigned long i;

	(void)filter;	/* every entry is present */
	pthread_mutex_lock(&xa->lock);
	i = xa_pos(xa, *index);
	if (i < xa->nr && xa->slots[i].index <= max) {
		*index = xa->slots[i].index;
		entry = xa->slots[i].entry;
	}
	pthread_mutex_unlock(&xa->lock);
	return entry;
}

void *xa_find_after(struct xarray *xa, unsigned long *index,
		    unsigned long max, unsigned int filter)
{
	unsigned long start = *index + 1;

	if (!start)
		return NULL;
	*index = start;
	return xa_find(xa, index, max, filter);
}

bool xa_empty(struct xarray *xa)
{
	bool empty;

	pthread_mutex_lock(&xa->lock);
	empty = !xa->nr;
	pthread_mutex_unlock(&xa->lock);
	return empty;
}

/* Forget every entry and free the array (not the entries). */
void xa_destroy(struct xarray *xa)
{
	pthread_mutex_lock(&xa->lock);
	kfree(xa->slots);
	xa->slots = NULL;
	xa->nr = 0;
	xa->cap = 0;
	pthread_mutex_unlock(&xa->lock);
}
