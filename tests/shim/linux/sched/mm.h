/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: remote memcg charging scopes do nothing. */
#ifndef _SHIM_LINUX_SCHED_MM_H
#define _SHIM_LINUX_SCHED_MM_H

#include <linux/memcontrol.h>

static inline struct mem_cgroup *set_active_memcg(struct mem_cgroup *memcg)
{
	return NULL;
}

#endif
