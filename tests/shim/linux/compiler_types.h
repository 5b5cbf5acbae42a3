/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: __user and friends are in compiler.h here. */
#include <linux/compiler.h>
