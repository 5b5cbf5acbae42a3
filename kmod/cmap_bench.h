/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap benchmark: CMAP_IOC_BENCH, the in-kernel benchmark of the table's
 * synchronization modes against the kernel's own rhashtable.
 *
 * It sits beside the core (it only uses the API of cmap_core.h) and knows
 * nothing of files: the device layer hands it the ioctl's argument.
 */
#ifndef _CMAP_BENCH_H
#define _CMAP_BENCH_H

#include <linux/compiler_types.h>

long cmap_bench_ioctl(void __user *arg);

#endif /* _CMAP_BENCH_H */
