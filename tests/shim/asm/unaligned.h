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
#define put_unaligned(val, ptr)	__put_unaligned_t(typeof(*(ptr)), (val), (ptr))

#endif
