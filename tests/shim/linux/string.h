/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: libc's string functions plus strscpy() and memchr_inv(). */
#ifndef _SHIM_LINUX_STRING_H
#define _SHIM_LINUX_STRING_H

#include <string.h>
#include <sys/types.h>
#include <linux/err.h>

/* Copy a C string into a sized buffer; -E2BIG if truncated. */
static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t i;

	if (!size)
		return -E2BIG;
	/* Byte by byte: never reads @src beyond its NUL. */
	for (i = 0; i < size; i++) {
		dst[i] = src[i];
		if (!src[i])
			return i;
	}
	dst[size - 1] = 0;
	return -E2BIG;
}

/* The first byte of @p[0..n) that is not @c, or NULL. */
static inline void *memchr_inv(const void *p, int c, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != (unsigned char)c)
			return (void *)(s + i);
	return NULL;
}

#endif
