/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: <linux/unaligned.h> (6.12+) is the old <asm/unaligned.h>. */
#include <asm/unaligned.h>
