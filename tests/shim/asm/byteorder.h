/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: little-endian conversions.  A test that defines
 * SHIM_EMULATE_BE before its first include sees a big-endian machine:
 * le64_to_cpu() swaps, and so does smp_load_acquire() of a u64 (a
 * big-endian CPU reads the same bytes as the mirrored number); see
 * asm/barrier.h.
 */
#ifndef _SHIM_ASM_BYTEORDER_H
#define _SHIM_ASM_BYTEORDER_H

#include <linux/types.h>

typedef u64 __le64;

#if defined(SHIM_EMULATE_BE) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#define le64_to_cpu(x)		__builtin_bswap64((u64)(x))
#define cpu_to_le64(x)		((__le64)__builtin_bswap64(x))
#else
#define le64_to_cpu(x)		((u64)(x))
#define cpu_to_le64(x)		((__le64)(x))
#endif

#endif
