/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace benchmark's contract between the driver (bench.c) and the
 * tables it compares: 8-byte keys (1..n), 8-byte values.
 */
#ifndef _BENCH_H
#define _BENCH_H

#include <stdbool.h>
#include <stdint.h>

struct bench_impl {
	const char *name;
	/* @hint: keys expected (0: start small, to measure growth). */
	void *(*create)(uint64_t hint);
	void (*destroy)(void *t);
	/* Returns whether found; reads the value. */
	bool (*lookup)(void *t, uint64_t key, uint64_t *val);
	/* Insert or replace. */
	void (*upsert)(void *t, uint64_t key, uint64_t val);
	/* Called by every thread that uses a table, before and after. */
	void (*thread_start)(void);
	void (*thread_stop)(void);
};

extern const struct bench_impl bench_cmap, bench_cmap_elem, bench_lfht,
	bench_ck, bench_rwlock;

/* cmap's hash of 8-byte keys, inline and through hsiphash(): ns each. */
void bench_cmap_hash_ns(uint64_t n, double *inline_ns, double *call_ns);

/* The keyed hash all but ck_ht use (ck_ht hashes with its own). */
uint32_t bench_hash(uint64_t key);

#endif
