// SPDX-License-Identifier: GPL-2.0
/*
 * hotload: a load with one known hot key, for mapstat's tests and benchmark.
 *
 *   hotload -t NAME --setup --cold N [--hot KEY]
 *        create table NAME (if absent) and PUT the hot key and N cold keys
 *        ("cold-000000" ...): after this, PUTs of these keys replace, so the
 *        table neither grows nor resizes under the load
 *   hotload -t NAME --threads T --hot-pct P --seconds S [--cold N --hot KEY]
 *        T threads, each on its own file, PUT the hot key with probability
 *        P% and a random cold key otherwise; prints "ops N seconds S ops/s R"
 *   hotload -t NAME --bucket-of KEY
 *        the key's head bucket in the table's current array (from its hash,
 *        read back through ITER) and the array's size: "bucket I of B"
 *
 * Keys are printable text, so mapstat shows them as such.  Built with frame
 * pointers: mapstat walks its user stacks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/cmap.h>

#include "libcmap.h"

static const char *table = "hot";
static const char *hot = "the-hot-key";
static unsigned cold = 10000, threads = 2, hot_pct = 90;
static double seconds = 5;
static volatile int stop;

/* Ends the program if @rc, 0 or -errno of @what, failed. */
static void check(int rc, const char *what)
{
	if (rc >= 0)
		return;
	fprintf(stderr, "hotload: %s: %s\n", what, strerror(-rc));
	exit(1);
}

static int open_table(bool create)
{
	struct cmap_config cfg = { .size_hint = cold + 1 };
	int fd = cmapc_dev_open(NULL), rc;

	check(fd, CMAP_DEVICE);
	rc = cmapc_open(fd, table, NULL);
	if (rc == -ENOENT && create)
		check(cmapc_create(fd, table, &cfg, NULL), "CREATE");
	else
		check(rc, "OPEN");
	return fd;
}

static int put(int fd, const char *key, const void *val, unsigned vlen)
{
	return cmapc_put(fd, key, strlen(key), val, vlen, CMAP_PUT_ANY);
}

static void cold_key(char *buf, size_t size, unsigned i)
{
	snprintf(buf, size, "cold-%06u", i);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct worker {
	pthread_t th;
	uint64_t ops;
	uint64_t rng;
} __attribute__((aligned(64)));

/* Kept out of line so that user stacks show it by name. */
static __attribute__((noinline)) int hot_put(int fd, uint64_t n)
{
	return put(fd, hot, &n, sizeof(n));
}

static __attribute__((noinline)) int cold_put(int fd, unsigned i, uint64_t n)
{
	char key[32];

	cold_key(key, sizeof(key), i);
	return put(fd, key, &n, sizeof(n));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int fd = open_table(false);

	while (!stop) {
		uint64_t r;

		w->rng ^= w->rng << 13;
		w->rng ^= w->rng >> 7;
		w->rng ^= w->rng << 17;
		r = w->rng;
		if (r % 100 < hot_pct)
			check(hot_put(fd, w->ops), "PUT hot");
		else
			check(cold_put(fd, (unsigned)((r >> 8) % cold), w->ops),
			      "PUT cold");
		w->ops++;
	}
	close(fd);
	return NULL;
}

static int setup(void)
{
	int fd = open_table(true);
	char key[32];
	uint64_t v = 0;

	check(put(fd, hot, &v, sizeof(v)), "PUT hot");
	for (unsigned i = 0; i < cold; i++) {
		cold_key(key, sizeof(key), i);
		check(put(fd, key, &v, sizeof(v)), "PUT cold");
	}
	close(fd);
	return 0;
}

static int bucket_of(const char *key)
{
	int fd = open_table(false);
	static char buf[1 << 20];
	struct cmap_stats st;
	__u64 cursor = 0;
	unsigned order = 0;

	check(cmapc_stats(fd, 0, &st), "STATS");
	while ((1ULL << order) < st.buckets)
		order++;
	while (cursor != CMAP_ITER_DONE) {
		const struct cmap_rec *r;
		const void *k, *v;
		__u32 count, bytes, off = 0;
		int rc;

		check(cmapc_iter(fd, &cursor, buf, sizeof(buf), &count, &bytes),
		      "ITER");
		while ((rc = cmapc_rec_next(buf, bytes, &off, &r, &k, &v)) > 0) {
			if (r->key_len == strlen(key) &&
			    !memcmp(k, key, r->key_len)) {
				printf("bucket %llu of %llu\n",
				       (unsigned long long)(((uint64_t)r->hash << order) >> 32),
				       (unsigned long long)st.buckets);
				return 0;
			}
		}
		check(rc, "ITER record");
	}
	fprintf(stderr, "hotload: key '%s' not in table '%s'\n", key, table);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "table", 1, NULL, 't' }, { "hot", 1, NULL, 'k' },
		{ "cold", 1, NULL, 'c' }, { "threads", 1, NULL, 'T' },
		{ "hot-pct", 1, NULL, 'p' }, { "seconds", 1, NULL, 's' },
		{ "setup", 0, NULL, 'S' }, { "bucket-of", 1, NULL, 'b' },
		{},
	};
	const char *bkey = NULL;
	bool do_setup = false;
	struct worker *w;
	uint64_t total = 0;
	double t0, t;
	int c;

	while ((c = getopt_long(argc, argv, "t:", lo, NULL)) != -1) {
		switch (c) {
		case 't': table = optarg; break;
		case 'k': hot = optarg; break;
		case 'c': cold = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'T': threads = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'p': hot_pct = (unsigned)strtoul(optarg, NULL, 0); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'S': do_setup = true; break;
		case 'b': bkey = optarg; break;
		default:
			fprintf(stderr, "usage: see the comment at the top of hotload.c\n");
			return 2;
		}
	}
	if (!cold)
		cold = 1;
	if (do_setup)
		return setup();
	if (bkey)
		return bucket_of(bkey);
	if (!threads || threads > 256 || hot_pct > 100)
		return 2;
	w = calloc(threads, sizeof(*w));
	if (!w)
		check(-ENOMEM, "calloc");
	t0 = now();
	for (unsigned i = 0; i < threads; i++) {
		w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) ^ (uint64_t)getpid();
		check(-pthread_create(&w[i].th, NULL, worker_main, &w[i]),
		      "pthread_create");
	}
	while ((t = now()) - t0 < seconds)
		usleep(10000);
	stop = 1;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].ops;
	}
	t = now() - t0;
	printf("ops %llu seconds %.3f ops/s %.1f\n", (unsigned long long)total, t,
	       total / t);
	free(w);
	return 0;
}
