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
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/cmap.h>

static const char *table = "hot";
static const char *hot = "the-hot-key";
static unsigned cold = 10000, threads = 2, hot_pct = 90;
static double seconds = 5;
static volatile int stop;

static void die(const char *what)
{
	fprintf(stderr, "hotload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_table(bool create)
{
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);
	struct cmap_open o = { .size = sizeof(o) };

	if (fd < 0)
		die(CMAP_DEVICE);
	strncpy(o.name, table, sizeof(o.name) - 1);
	if (!ioctl(fd, CMAP_IOC_OPEN, &o))
		return fd;
	if (errno != ENOENT || !create)
		die("OPEN");
	struct cmap_create c = { .size = sizeof(c) };

	strncpy(c.name, table, sizeof(c.name) - 1);
	c.config.size_hint = cold + 1;
	if (ioctl(fd, CMAP_IOC_CREATE, &c))
		die("CREATE");
	return fd;
}

static int put(int fd, const char *key, const void *val, unsigned vlen)
{
	struct cmap_kv kv = {
		.size = sizeof(kv),
		.key = (uintptr_t)key,
		.key_len = (unsigned)strlen(key),
		.value = (uintptr_t)val,
		.value_len = vlen,
	};

	return ioctl(fd, CMAP_IOC_PUT, &kv);
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
		if (r % 100 < hot_pct) {
			if (hot_put(fd, w->ops))
				die("PUT hot");
		} else if (cold_put(fd, (unsigned)((r >> 8) % cold), w->ops)) {
			die("PUT cold");
		}
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

	if (put(fd, hot, &v, sizeof(v)))
		die("PUT hot");
	for (unsigned i = 0; i < cold; i++) {
		cold_key(key, sizeof(key), i);
		if (put(fd, key, &v, sizeof(v)))
			die("PUT cold");
	}
	close(fd);
	return 0;
}

static int bucket_of(const char *key)
{
	struct cmap_stats st = { .size = sizeof(st) };
	int fd = open_table(false);
	static char buf[1 << 20];
	uint64_t cursor = 0;
	unsigned order = 0;

	if (ioctl(fd, CMAP_IOC_STATS, &st))
		die("STATS");
	while ((1ULL << order) < st.buckets)
		order++;
	while (cursor != CMAP_ITER_DONE) {
		struct cmap_iter it = {
			.size = sizeof(it),
			.cursor = cursor,
			.buf = (uintptr_t)buf,
			.buf_len = sizeof(buf),
		};
		uint32_t off = 0;

		if (ioctl(fd, CMAP_IOC_ITER, &it))
			die("ITER");
		for (uint32_t i = 0; i < it.count; i++) {
			const struct cmap_rec *r = (const void *)(buf + off);

			if (r->key_len == strlen(key) &&
			    !memcmp(buf + off + sizeof(*r), key, r->key_len)) {
				printf("bucket %llu of %llu\n",
				       (unsigned long long)(((uint64_t)r->hash << order) >> 32),
				       (unsigned long long)st.buckets);
				return 0;
			}
			off += CMAP_REC_SIZE(r->key_len, r->value_len);
		}
		cursor = it.cursor;
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
		die("calloc");
	t0 = now();
	for (unsigned i = 0; i < threads; i++) {
		w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) ^ (uint64_t)getpid();
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]))
			die("pthread_create");
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
