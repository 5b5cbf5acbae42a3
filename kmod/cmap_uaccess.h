/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_uaccess.h - copying the size-prefixed request structs of the cmap
 * ioctls (include/uapi/linux/cmap.h), shared by the device layer and the
 * benchmark.
 */
#ifndef _CMAP_UACCESS_H
#define _CMAP_UACCESS_H

#include <linux/minmax.h>
#include <linux/uaccess.h>

/**
 * cmap_copy_req() - copy in a request that starts with its own __u32 size
 * @dst: the kernel's struct
 * @ksize: its size
 * @arg: the user's struct
 * @usize: set to the user's size
 *
 * An older, smaller struct reads as zero-extended; a newer, larger one must
 * have a zero tail (copy_struct_from_user()).
 *
 * Return: 0; -EFAULT if @arg is not readable; -EINVAL if the size is below
 * the size and flags header or above a page; -E2BIG for a non-zero tail.
 */
static inline int cmap_copy_req(void *dst, size_t ksize, void __user *arg,
				u32 *usize)
{
	if (get_user(*usize, (u32 __user *)arg))
		return -EFAULT;
	if (*usize < 2 * sizeof(u32) || *usize > PAGE_SIZE)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, arg, *usize);
}

/**
 * cmap_copy_resp() - copy out a response, truncated to the user's size
 * @arg: the user's struct
 * @src: the kernel's struct
 * @ksize: its size
 * @usize: the user's size, as cmap_copy_req() read it
 *
 * Return: 0, or -EFAULT if @arg is not writable.
 */
static inline int cmap_copy_resp(void __user *arg, const void *src,
				 size_t ksize, u32 usize)
{
	return copy_to_user(arg, src, min_t(size_t, ksize, usize)) ? -EFAULT : 0;
}

#endif /* _CMAP_UACCESS_H */
