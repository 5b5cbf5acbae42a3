// SPDX-License-Identifier: GPL-2.0
/*
 * liburcu's lock-free resizable hash table (rculfhash), memb flavour (the
 * same RCU as the shim's), auto-resizing, with the core's hash.
 */
#define _LGPL_SOURCE
#include <stdlib.h>
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "bench.h"

struct node {
	struct cds_lfht_node node;
	uint64_t key;
	uint64_t val;
	struct rcu_head rcu;
};

static void *lfht_create(uint64_t hint)
{
	unsigned long size = 1;

	while (size < hint)
		size <<= 1;
	return cds_lfht_new_flavor(size, 1, 0,
				   CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				   &urcu_memb_flavor, NULL);
}

static void free_node(struct rcu_head *h)
{
	free(caa_container_of(h, struct node, rcu));
}

static void lfht_destroy(void *t)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	urcu_memb_read_lock();
	cds_lfht_for_each(t, &it, n) {
		if (!cds_lfht_del(t, n))
			urcu_memb_call_rcu(&caa_container_of(n, struct node,
							     node)->rcu, free_node);
	}
	urcu_memb_read_unlock();
	urcu_memb_barrier();
	cds_lfht_destroy(t, NULL);
}

static int match(struct cds_lfht_node *n, const void *key)
{
	return caa_container_of(n, struct node, node)->key ==
	       *(const uint64_t *)key;
}

static bool lfht_lookup(void *t, uint64_t key, uint64_t *val)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	urcu_memb_read_lock();
	cds_lfht_lookup(t, bench_hash(key), match, &key, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n)
		*val = caa_container_of(n, struct node, node)->val;
	urcu_memb_read_unlock();
	return n;
}

static void lfht_upsert(void *t, uint64_t key, uint64_t val)
{
	struct node *n = malloc(sizeof(*n));
	struct cds_lfht_node *old;

	n->key = key;
	n->val = val;
	cds_lfht_node_init(&n->node);
	urcu_memb_read_lock();
	old = cds_lfht_add_replace(t, bench_hash(key), match, &key, &n->node);
	urcu_memb_read_unlock();
	if (old)
		urcu_memb_call_rcu(&caa_container_of(old, struct node,
						     node)->rcu, free_node);
}

const struct bench_impl bench_lfht = {
	.name = "cds_lfht",
	.create = lfht_create,
	.destroy = lfht_destroy,
	.lookup = lfht_lookup,
	.upsert = lfht_upsert,
	.thread_start = urcu_memb_register_thread,
	.thread_stop = urcu_memb_unregister_thread,
};
