/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: SipHash as the kernel's lib/siphash.c defines it on
 * 64-bit: siphash() is SipHash-2-4, hsiphash() is SipHash-1-3 truncated to
 * 32 bits (the kernel uses HalfSipHash-1-3 only on 32-bit machines).
 * Written from the SipHash paper; checked against the reference vectors in
 * tests/unit.
 */
#ifndef _SHIM_LINUX_SIPHASH_H
#define _SHIM_LINUX_SIPHASH_H

#include <linux/types.h>

#define SIPHASH_ALIGNMENT	__alignof__(u64)
#define HSIPHASH_ALIGNMENT	__alignof__(unsigned long)

typedef struct {
	u64 key[2];
} siphash_key_t;

typedef struct {
	unsigned long key[2];
} hsiphash_key_t;

u64 siphash(const void *data, size_t len, const siphash_key_t *key);
u32 hsiphash(const void *data, size_t len, const hsiphash_key_t *key);

#endif
