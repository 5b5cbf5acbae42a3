/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: unaligned access through packed structs, as the kernel does. */
#ifndef _SHIM_ASM_UNALIGNED_H
#define _SHIM_ASM_UNALIGNED_H

#include <linux/compiler.h>

#define __get_unaligned_t(type, ptr) ({					\
	const struct { type x; } __packed *__gu_p = (const void *)(ptr); \
	__gu_p->x;							\
})
#define __put_unaligned_t(type, val, ptr) do {				\
	struct { type x; } __packed *__pu_p = (void *)(ptr);		\
	__pu_p->x = (val);						\
} while (0)

#define get_unaligned(ptr)	__get_unaligned_t(typeof(*(ptr)), (ptr))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define get_unaligned_le32(p)	__get_unaligned_t(u32, (p))
#define get_unaligned_le64(p)	__get_unaligned_t(u64, (p))
#else
#define get_unaligned_le32(p)	__builtin_bswap32(__get_unaligned_t(u32, (p)))
#define get_unaligned_le64(p)	__builtin_bswap64(__get_unaligned_t(u64, (p)))
#endif
#define put_unaligned(val, ptr)	__put_unaligned_t(typeof(*(ptr)), (val), (ptr))

#endif
