// SPDX-License-Identifier: GPL-2.0
/*
 * The baseline: a chained hash table behind one pthread rwlock, doubling
 * (under the write lock) when it holds more entries than buckets, with the
 * core's hash.
 */
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

struct rnode {
	struct rnode *next;
	uint64_t key, val;
};

struct rwt {
	pthread_rwlock_t lock;
	struct rnode **b;
	uint64_t mask, n;
};

static void *rw_create(uint64_t hint)
{
	struct rwt *t = calloc(1, sizeof(*t));
	uint64_t size = 8;

	while (size < hint)
		size <<= 1;
	pthread_rwlock_init(&t->lock, NULL);
	t->b = calloc(size, sizeof(*t->b));
	t->mask = size - 1;
	return t;
}

static void rw_destroy(void *p)
{
	struct rwt *t = p;
	uint64_t i;

	for (i = 0; i <= t->mask; i++) {
		struct rnode *n, *next;

		for (n = t->b[i]; n; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(t->b);
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

static bool rw_lookup(void *p, uint64_t key, uint64_t *val)
{
	struct rwt *t = p;
	struct rnode *n;

	pthread_rwlock_rdlock(&t->lock);
	for (n = t->b[bench_hash(key) & t->mask]; n; n = n->next)
		if (n->key == key)
			break;
	if (n)
		*val = n->val;
	pthread_rwlock_unlock(&t->lock);
	return n;
}

static void rw_grow(struct rwt *t)
{
	uint64_t size = (t->mask + 1) * 2, i;
	struct rnode **b = calloc(size, sizeof(*b));

	for (i = 0; i <= t->mask; i++) {
		struct rnode *n, *next;

		for (n = t->b[i]; n; n = next) {
			uint64_t j = bench_hash(n->key) & (size - 1);

			next = n->next;
			n->next = b[j];
			b[j] = n;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = size - 1;
}

static void rw_upsert(void *p, uint64_t key, uint64_t val)
{
	struct rwt *t = p;
	struct rnode *n, **head;

	pthread_rwlock_wrlock(&t->lock);
	head = &t->b[bench_hash(key) & t->mask];
	for (n = *head; n; n = n->next)
		if (n->key == key)
			break;
	if (n) {
		n->val = val;
	} else {
		n = malloc(sizeof(*n));
		n->key = key;
		n->val = val;
		n->next = *head;
		*head = n;
		if (++t->n > t->mask + 1)
			rw_grow(t);
	}
	pthread_rwlock_unlock(&t->lock);
}

static void nothing(void)
{
}

const struct bench_impl bench_rwlock = {
	.name = "rwlock",
	.create = rw_create,
	.destroy = rw_destroy,
	.lookup = rw_lookup,
	.upsert = rw_upsert,
	.thread_start = nothing,
	.thread_stop = nothing,
};
