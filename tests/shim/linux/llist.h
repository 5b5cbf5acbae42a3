/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: lock-less NULL-terminated singly linked lists, on the
 * __atomic builtins (adds may race with each other and with
 * llist_del_all(); as in the kernel, nothing else is lock-free).
 */
#ifndef _SHIM_LINUX_LLIST_H
#define _SHIM_LINUX_LLIST_H

#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/types.h>

struct llist_node {
	struct llist_node *next;
};

struct llist_head {
	struct llist_node *first;
};

static inline void init_llist_head(struct llist_head *list)
{
	list->first = NULL;
}

static inline bool llist_empty(const struct llist_head *head)
{
	return !__atomic_load_n(&head->first, __ATOMIC_RELAXED);
}

/* Return: whether the list was empty before. */
static inline bool llist_add(struct llist_node *new, struct llist_head *head)
{
	struct llist_node *first = __atomic_load_n(&head->first,
						   __ATOMIC_RELAXED);

	do {
		new->next = first;
	} while (!__atomic_compare_exchange_n(&head->first, &first, new, true,
					      __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return !first;
}

static inline struct llist_node *llist_del_all(struct llist_head *head)
{
	return __atomic_exchange_n(&head->first, NULL, __ATOMIC_ACQUIRE);
}

#define llist_entry(ptr, type, member)	container_of(ptr, type, member)

#define llist_for_each_safe(pos, n, node)				\
	for ((pos) = (node); (pos) && ((n) = (pos)->next, true); (pos) = (n))

#endif
