/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: get_random_bytes() reads getrandom(2), or, after
 * shim_random_seed(), a deterministic stream (for reproducible tests and
 * fuzzing).
 */
#ifndef _SHIM_LINUX_RANDOM_H
#define _SHIM_LINUX_RANDOM_H

#include <linux/types.h>

void get_random_bytes(void *buf, size_t len);
u32 get_random_u32(void);

#endif
