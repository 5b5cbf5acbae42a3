/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap benchmark: CMAP_IOC_BENCH, the in-kernel benchmark of the table's
 * synchronization modes against the kernel's own rhashtable.
 *
 * It sits beside the core (it only uses the API of cmap_core.h) and knows
 * nothing of files: the device layer hands it the ioctl's argument.  It
 * is optional: `make CMAP_BENCH=n` builds the module without it (and
 * without the rhashtable baseline).
 */
#ifndef _CMAP_BENCH_H
#define _CMAP_BENCH_H

#include <linux/compiler_types.h>
#include <linux/errno.h>

#ifdef CMAP_WITH_BENCH
long cmap_bench_ioctl(void __user *arg);
#else
/* Built without the benchmark (CMAP_BENCH=n): not a command. */
static inline long cmap_bench_ioctl(void __user *arg __maybe_unused)
{
	return -ENOTTY;
}
#endif

#endif /* _CMAP_BENCH_H */
