// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace shim: copies between "kernel" and "user" memory, both the
 * process's own (linux/uaccess.h).  process_vm_readv()/writev() on the
 * process itself fault like the kernel's copies: on an unmapped page, and
 * (writing) on a read-only one; a partial copy stops at the page that
 * faulted.
 */
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static int shim_uaccess_mode;	/* 0: not probed, 1: checked, -1: memcpy */

bool shim_uaccess_checked(void)
{
	int mode = __atomic_load_n(&shim_uaccess_mode, __ATOMIC_RELAXED);

	if (!mode) {
		char src = 1, dst = 0;
		struct iovec l = { &dst, 1 }, r = { &src, 1 };

		mode = process_vm_readv(getpid(), &l, 1, &r, 1, 0) == 1 &&
		       dst == 1 ? 1 : -1;
		__atomic_store_n(&shim_uaccess_mode, mode, __ATOMIC_RELAXED);
	}
	return mode > 0;
}

/* Bytes not copied, as the kernel's copies return. */
static unsigned long shim_copy(void *kbuf, const void *ubuf, unsigned long n,
			       bool to_user)
{
	unsigned long done = 0;

	if (!n)
		return 0;
	if (!shim_uaccess_checked()) {
		if (to_user)
			memcpy((void *)ubuf, kbuf, n);
		else
			memcpy(kbuf, ubuf, n);
		return 0;
	}
	while (done < n) {
		struct iovec l = { (char *)kbuf + done, n - done };
		struct iovec r = { (char *)ubuf + done, n - done };
		ssize_t ret;

		/* Addresses that wrap are never user memory. */
		if ((uintptr_t)ubuf + n < (uintptr_t)ubuf)
			break;
		ret = to_user ? process_vm_writev(getpid(), &l, 1, &r, 1, 0) :
				process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		if (ret <= 0)
			break;
		done += ret;
	}
	return n - done;
}

unsigned long copy_from_user(void *to, const void __user *from,
			     unsigned long n)
{
	unsigned long left = shim_copy(to, (const void __force *)from, n, false);

	if (left)
		memset((char *)to + (n - left), 0, left);
	return left;
}

unsigned long copy_to_user(void __user *to, const void *from, unsigned long n)
{
	return shim_copy((void *)from, (void __force *)to, n, true);
}

int check_zeroed_user(const void __user *from, size_t size)
{
	const char __user *p = from;
	char buf[256];

	while (size) {
		size_t n = min(size, sizeof(buf));

		if (copy_from_user(buf, p, n))
			return -EFAULT;
		if (memchr_inv(buf, 0, n))
			return 0;
		p += n;
		size -= n;
	}
	return 1;
}

/* As the kernel's (linux/uaccess.h), without its object-size check. */
int copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
			  size_t usize)
{
	size_t size = min(ksize, usize);
	size_t rest = max(ksize, usize) - size;

	if (usize < ksize) {
		memset((char *)dst + size, 0, rest);
	} else if (usize > ksize) {
		int ret = check_zeroed_user((const char __user *)src + size,
					    rest);

		if (ret <= 0)
			return ret ?: -E2BIG;
	}
	if (copy_from_user(dst, src, size))
		return -EFAULT;
	return 0;
}
