/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: `current` is the calling thread (pid = its tid, tgid =
 * the process's pid, comm = its name); cond_resched() is a test hook (see
 * shim.h).
 */
#ifndef _SHIM_LINUX_SCHED_H
#define _SHIM_LINUX_SCHED_H

#include <linux/compiler.h>
#include <linux/string.h>
#include <linux/types.h>

#define TASK_COMM_LEN	16

struct task_struct {
	pid_t pid;
	pid_t tgid;
	int sigpending;
	char comm[TASK_COMM_LEN];
};

extern __thread struct task_struct shim_task;
void shim_task_init(void);

static inline struct task_struct *shim_current(void)
{
	if (unlikely(!shim_task.pid))
		shim_task_init();
	return &shim_task;
}
#define current		shim_current()

static inline pid_t task_pid_nr(const struct task_struct *p)
{
	return p->pid;
}

/* @buf: a char[TASK_COMM_LEN], as the kernel's macro requires. */
#define get_task_comm(buf, task) ({					\
	_Static_assert(sizeof(buf) == TASK_COMM_LEN, "get_task_comm buffer"); \
	strscpy(buf, (task)->comm, sizeof(buf));			\
	(char *)(buf);							\
})

void shim_cond_resched(void);

static inline int cond_resched(void)
{
	shim_cond_resched();
	return 0;
}

#endif
