/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: "user" memory is the process's own, and the copies
 * check it as the kernel does: they go through process_vm_readv() and
 * process_vm_writev() on the process itself, so an unmapped source or an
 * unmapped or read-only destination is a fault (the bytes not copied are
 * returned, and copy_from_user() zeroes the rest of its destination)
 * rather than a crash.  The kernel-side buffer is checked by ASan (its
 * interceptors of those calls), like any memory access in a test build.
 * Where the system refuses the calls (seccomp, no CONFIG_CROSS_MEMORY_ATTACH)
 * the copies are plain memcpy() and fault checking is lost; shim_uaccess_
 * checked() says which.
 */
#ifndef _SHIM_LINUX_UACCESS_H
#define _SHIM_LINUX_UACCESS_H

#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/types.h>

unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n);
unsigned long copy_to_user(void __user *to, const void *from,
			   unsigned long n);
/* 1: the range is all zero bytes, 0: it is not, -EFAULT. */
int check_zeroed_user(const void __user *from, size_t size);
int copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
			  size_t usize);
bool shim_uaccess_checked(void);

#define get_user(x, ptr) ({						\
	typeof(*(ptr)) __gu_v;						\
	int __gu_err = copy_from_user(&__gu_v, (ptr), sizeof(__gu_v)) ?	\
		       -EFAULT : 0;					\
	(x) = __gu_err ? (typeof(*(ptr)))0 : __gu_v;			\
	__gu_err;							\
})

#define put_user(x, ptr) ({						\
	typeof(*(ptr)) __pu_v = (x);					\
	copy_to_user((ptr), &__pu_v, sizeof(__pu_v)) ? -EFAULT : 0;	\
})

#endif
