// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency Kit's ck_ht in direct mode (keys and values inline), with its
 * own hash.  ck_ht is single-writer, multi-reader: writers take a mutex.
 * It is sized for the whole key set up front when a size is given, so it
 * never grows (and never frees a map under readers) while they run.
 */
#include <pthread.h>
#include <stdlib.h>
#include <ck_ht.h>

#include "bench.h"

struct ckt {
	ck_ht_t ht;
	pthread_mutex_t wlock;
};

static void *ck_malloc_fn(size_t size)
{
	return malloc(size);
}

static void *ck_realloc_fn(void *p, size_t old, size_t size, bool defer)
{
	(void)old;
	(void)defer;
	return realloc(p, size);
}

/* No reader runs while a map is replaced (see above): free at once. */
static void ck_free_fn(void *p, size_t size, bool defer)
{
	(void)size;
	(void)defer;
	free(p);
}

static struct ck_malloc ck_alloc = {
	.malloc = ck_malloc_fn,
	.realloc = ck_realloc_fn,
	.free = ck_free_fn,
};

static void *ck_create(uint64_t hint)
{
	struct ckt *t = calloc(1, sizeof(*t));

	pthread_mutex_init(&t->wlock, NULL);
	if (!ck_ht_init(&t->ht, CK_HT_MODE_DIRECT, NULL, &ck_alloc,
			hint ? hint * 2 : 8, 0x9e3779b97f4a7c15ULL))
		abort();
	return t;
}

static void ck_destroy(void *p)
{
	struct ckt *t = p;

	ck_ht_destroy(&t->ht);
	free(t);
}

static bool ck_lookup(void *p, uint64_t key, uint64_t *val)
{
	struct ckt *t = p;
	ck_ht_entry_t e;
	ck_ht_hash_t h;

	ck_ht_hash_direct(&h, &t->ht, key);
	ck_ht_entry_key_set_direct(&e, key);
	if (!ck_ht_get_spmc(&t->ht, h, &e))
		return false;
	*val = ck_ht_entry_value_direct(&e);
	return true;
}

static void ck_upsert(void *p, uint64_t key, uint64_t val)
{
	struct ckt *t = p;
	ck_ht_entry_t e;
	ck_ht_hash_t h;

	ck_ht_hash_direct(&h, &t->ht, key);
	ck_ht_entry_set_direct(&e, h, key, val);
	pthread_mutex_lock(&t->wlock);
	if (!ck_ht_set_spmc(&t->ht, h, &e))
		abort();
	pthread_mutex_unlock(&t->wlock);
}

static void nothing(void)
{
}

const struct bench_impl bench_ck = {
	.name = "ck_ht",
	.create = ck_create,
	.destroy = ck_destroy,
	.lookup = ck_lookup,
	.upsert = ck_upsert,
	.thread_start = nothing,
	.thread_stop = nothing,
};
