/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: struct pid, a counted reference to a process id.  There
 * is one pid namespace, the process's own: pid_vnr() is the number the
 * pid was taken with.  get_task_pid(current, PIDTYPE_TGID) is the thread
 * group id of the calling thread (task->tgid, the process's pid unless a
 * test set it).  It never fails, as in the kernel.
 */
#ifndef _SHIM_LINUX_PID_H
#define _SHIM_LINUX_PID_H

#include <linux/refcount.h>
#include <linux/sched.h>

enum pid_type {
	PIDTYPE_PID,
	PIDTYPE_TGID,
	PIDTYPE_PGID,
	PIDTYPE_SID,
	PIDTYPE_MAX,
};

struct pid {
	refcount_t count;
	pid_t nr;
};

struct pid *get_task_pid(struct task_struct *task, enum pid_type type);
void put_pid(struct pid *pid);

static inline pid_t pid_vnr(struct pid *pid)
{
	return pid ? pid->nr : 0;
}

#endif
