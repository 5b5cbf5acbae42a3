/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: a "signal" is a flag a test raises (shim_signal_raise()). */
#ifndef _SHIM_LINUX_SCHED_SIGNAL_H
#define _SHIM_LINUX_SCHED_SIGNAL_H

#include <linux/sched.h>

static inline int signal_pending(const struct task_struct *p)
{
	return __atomic_load_n(&p->sigpending, __ATOMIC_RELAXED);
}

/* A shim signal stands for a fatal one too (a clear stops only for those). */
static inline int fatal_signal_pending(const struct task_struct *p)
{
	return signal_pending(p);
}

#endif
