/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_compat.h - the kernel API differences between the kernels cmap
 * supports (Debian's 6.1 and 6.12, and their PREEMPT_RT flavours), in one
 * place, keyed on LINUX_VERSION_CODE.  Everything else in kmod/ uses the
 * current API names only.
 */
#ifndef _CMAP_COMPAT_H
#define _CMAP_COMPAT_H

#include <linux/version.h>

/* 6.12 moved the unaligned access helpers out of asm/. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* _CMAP_COMPAT_H */
