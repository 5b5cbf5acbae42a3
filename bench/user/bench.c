// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace benchmark of the cmap core (an inline table, and one of
 * elements) against liburcu's cds_lfht, Concurrency Kit's ck_ht and an
 * rwlock-protected chained table, on one workload: 8-byte keys 1..n
 * chosen uniformly, 8-byte values; lookups or upserts (replacing a present
 * key's value, so the size stays n) in a given proportion; 1..N threads;
 * tables prefilled with n keys.
 *
 * Then the growth test: one thread inserts 1..1M into an empty table
 * (other threads may resize in the background: cmap's resize worker,
 * cds_lfht's), and every insert is timed.
 *
 *   bench [-d seconds per point] [-t max threads] [-k keys,keys]
 *         [-r read%,read%] [-g growth keys] [-o dir]
 * Writes dir/results.csv and dir/growth.csv; prints the ratios.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static const struct bench_impl *impls[] = {
	&bench_cmap, &bench_lfht, &bench_ck, &bench_rwlock, &bench_cmap_elem,
};
#define NIMPL	(sizeof(impls) / sizeof(impls[0]))

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

struct run {
	const struct bench_impl *im;
	void *t;
	uint64_t nkeys;
	unsigned int read_pct;
	pthread_barrier_t start;
	int stop;
};

struct worker {
	struct run *run;
	pthread_t th;
	uint64_t seed, ops, misses;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	uint64_t ops = 0, misses = 0, val, sink = 0;

	r->im->thread_start();
	pthread_barrier_wait(&r->start);
	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		unsigned int i;

		for (i = 0; i < 256; i++) {
			uint64_t x = xorshift(&w->seed);
			uint64_t key = 1 + (x >> 8) % r->nkeys;

			if ((x & 0xff) * 100 < r->read_pct * 256) {
				if (r->im->lookup(r->t, key, &val))
					sink += val;
				else
					misses++;
			} else {
				r->im->upsert(r->t, key, x);
			}
		}
		ops += 256;
	}
	r->im->thread_stop();
	w->ops = ops;
	w->misses = misses + (sink == 42);
	return NULL;
}

/* Throughput of @threads threads for @secs: Mops/s. */
static double run_point(struct run *r, unsigned int threads, double secs,
			uint64_t *misses)
{
	struct worker *w = calloc(threads, sizeof(*w));
	uint64_t ops = 0, t0, t1;
	unsigned int i;

	r->stop = 0;
	pthread_barrier_init(&r->start, NULL, threads + 1);
	for (i = 0; i < threads; i++) {
		w[i].run = r;
		w[i].seed = 0x9e3779b97f4a7c15ULL * (i + 1) + r->read_pct;
		pthread_create(&w[i].th, NULL, worker_fn, &w[i]);
	}
	pthread_barrier_wait(&r->start);
	t0 = now_ns();
	usleep(secs * 1e6);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		ops += w[i].ops;
		*misses += w[i].misses;
	}
	t1 = now_ns();
	pthread_barrier_destroy(&r->start);
	free(w);
	return ops / ((t1 - t0) / 1e3);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct growth {
	uint64_t median, p99, p999, max, over100x;
	double secs;
};

/* Insert 1..n into an empty table, timing each insert. */
static void run_growth(const struct bench_impl *im, uint64_t n,
		       struct growth *g)
{
	uint64_t *lat = malloc(n * sizeof(*lat)), i, t0, t1, start;
	void *t;

	im->thread_start();
	t = im->create(0);
	start = now_ns();
	for (i = 0; i < n; i++) {
		t0 = now_ns();
		im->upsert(t, i + 1, i);
		t1 = now_ns();
		lat[i] = t1 - t0;
	}
	g->secs = (now_ns() - start) / 1e9;
	im->destroy(t);
	im->thread_stop();
	qsort(lat, n, sizeof(*lat), cmp_u64);
	g->median = lat[n / 2];
	g->p99 = lat[n - n / 100];
	g->p999 = lat[n - n / 1000];
	g->max = lat[n - 1];
	for (i = 0, g->over100x = 0; i < n; i++)
		g->over100x += lat[i] > 100 * g->median;
	free(lat);
}

static unsigned int parse_list(const char *s, uint64_t *out, unsigned int max)
{
	unsigned int n = 0;
	char *dup = strdup(s), *tok;

	for (tok = strtok(dup, ","); tok && n < max; tok = strtok(NULL, ","))
		out[n++] = strtoull(tok, NULL, 0);
	free(dup);
	return n;
}

#define MAXT	64

int main(int argc, char **argv)
{
	uint64_t keys[4] = { 1000, 1000000 }, reads[4] = { 100, 90, 50 };
	unsigned int nk = 2, nr = 3, maxt = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t growth_keys = 1000000;
	double secs = 0.5;
	const char *outdir = ".";
	static double mops[NIMPL][4][4][MAXT + 1];
	struct growth g[NIMPL];
	double hash_inline, hash_call;
	char path[4096];
	FILE *csv, *gcsv;
	unsigned int i, k, r, th;
	int c;

	while ((c = getopt(argc, argv, "d:t:k:r:g:o:")) != -1) {
		switch (c) {
		case 'd': secs = atof(optarg); break;
		case 't': maxt = atoi(optarg); break;
		case 'k': nk = parse_list(optarg, keys, 4); break;
		case 'r': nr = parse_list(optarg, reads, 4); break;
		case 'g': growth_keys = strtoull(optarg, NULL, 0); break;
		case 'o': outdir = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-d secs] [-t threads] [-k keys,..] "
				"[-r read%%,..] [-g growth keys] [-o dir]\n", argv[0]);
			return 2;
		}
	}
	maxt = maxt < 1 ? 1 : maxt > MAXT ? MAXT : maxt;
	snprintf(path, sizeof(path), "%s/results.csv", outdir);
	csv = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/growth.csv", outdir);
	gcsv = fopen(path, "w");
	if (!csv || !gcsv) {
		perror(path);
		return 1;
	}
	fprintf(csv, "impl,keys,threads,read_pct,mops,misses\n");
	fprintf(gcsv, "impl,keys,seconds,median_ns,p99_ns,p999_ns,max_ns,over_100x_median\n");

	for (k = 0; k < nk; k++) {
		for (i = 0; i < NIMPL; i++) {
			struct run run = { .im = impls[i], .nkeys = keys[k] };
			uint64_t key;

			impls[i]->thread_start();
			run.t = impls[i]->create(keys[k]);
			for (key = 1; key <= keys[k]; key++)
				impls[i]->upsert(run.t, key, key);
			for (r = 0; r < nr; r++) {
				run.read_pct = reads[r];
				for (th = 1; th <= maxt; th++) {
					uint64_t misses = 0;
					double m = run_point(&run, th, secs, &misses);

					mops[i][k][r][th] = m;
					fprintf(csv, "%s,%llu,%u,%llu,%.3f,%llu\n",
						impls[i]->name,
						(unsigned long long)keys[k], th,
						(unsigned long long)reads[r], m,
						(unsigned long long)misses);
					fflush(csv);
					if (misses)
						fprintf(stderr, "bench: %s missed %llu present keys\n",
							impls[i]->name,
							(unsigned long long)misses);
				}
			}
			impls[i]->destroy(run.t);
			impls[i]->thread_stop();
		}
	}
	for (i = 0; growth_keys && i < NIMPL; i++) {
		run_growth(impls[i], growth_keys, &g[i]);
		fprintf(gcsv, "%s,%llu,%.3f,%llu,%llu,%llu,%llu,%llu\n",
			impls[i]->name, (unsigned long long)growth_keys, g[i].secs,
			(unsigned long long)g[i].median,
			(unsigned long long)g[i].p99,
			(unsigned long long)g[i].p999,
			(unsigned long long)g[i].max,
			(unsigned long long)g[i].over100x);
	}
	fclose(csv);
	fclose(gcsv);

	/* The table of ratios. */
	printf("Throughput, Mops/s (all threads), and cmap's ratio to each:\n");
	printf("%8s %5s %3s | %8s %8s %8s %8s %8s | %7s %7s %7s %7s\n", "keys",
	       "read%", "thr", "cmap", "cds_lfht", "ck_ht", "rwlock", "cmap-el",
	       "/lfht", "/ck", "/rwlock", "/cmap-el");
	for (k = 0; k < nk; k++)
		for (r = 0; r < nr; r++)
			for (th = 1; th <= maxt; th++) {
				double *m = &mops[0][k][r][th];
				double c0 = mops[0][k][r][th], l = mops[1][k][r][th],
				       ck = mops[2][k][r][th], rw = mops[3][k][r][th],
				       el = mops[4][k][r][th];

				(void)m;
				printf("%8llu %5llu %3u | %8.2f %8.2f %8.2f %8.2f %8.2f | %6.2fx %6.2fx %6.2fx %7.2fx\n",
				       (unsigned long long)keys[k],
				       (unsigned long long)reads[r], th, c0, l, ck,
				       rw, el, c0 / l, c0 / ck, c0 / rw, c0 / el);
			}
	if (growth_keys) {
		printf("\nGrowth from empty to %llu keys, one inserting thread, per insert:\n",
		       (unsigned long long)growth_keys);
		printf("%9s %8s %9s %9s %9s %10s %10s\n", "impl", "total s",
		       "median ns", "p99 ns", "p99.9 ns", "max ns", ">100x med");
		for (i = 0; i < NIMPL; i++)
			printf("%9s %8.2f %9llu %9llu %9llu %10llu %10llu\n",
			       impls[i]->name, g[i].secs,
			       (unsigned long long)g[i].median,
			       (unsigned long long)g[i].p99,
			       (unsigned long long)g[i].p999,
			       (unsigned long long)g[i].max,
			       (unsigned long long)g[i].over100x);
	}

	bench_cmap_hash_ns(20000000, &hash_inline, &hash_call);
	printf("\nHashing an 8-byte key, ns: cmap_hash() inline %.2f, hsiphash() %.2f (%.2fx)\n",
	       hash_inline, hash_call, hash_call / hash_inline);

	/* The goals. */
	printf("\nGoals:\n");
	for (k = 0; k < nk; k++)
		for (r = 0; r < nr; r++) {
			if (reads[r] != 100)
				continue;
			for (th = 1; th <= maxt; th++) {
				double c0 = mops[0][k][r][th];

				printf("  %s read-only, %llu keys, %u threads: %.2fx cds_lfht, %.2fx ck_ht (goal >= 1.0x both)\n",
				       c0 >= mops[1][k][r][th] && c0 >= mops[2][k][r][th] ?
				       "MET   " : "MISSED",
				       (unsigned long long)keys[k], th,
				       c0 / mops[1][k][r][th], c0 / mops[2][k][r][th]);
			}
		}
	for (k = 0; k < nk; k++)
		for (r = 0; r < nr; r++)
			if (reads[r] == 90 && maxt >= 2)
				printf("  %s 90%% reads, %llu keys, 2 threads: %.2fx rwlock (goal >= 2x)\n",
				       mops[0][k][r][2] >= 2 * mops[3][k][r][2] ?
				       "MET   " : "MISSED",
				       (unsigned long long)keys[k],
				       mops[0][k][r][2] / mops[3][k][r][2]);
	if (growth_keys)
		printf("  %s growth: max insert %llu ns = %.0fx the median %llu ns (goal <= 100x); %llu inserts over 100x\n",
		       g[0].max <= 100 * g[0].median ? "MET   " : "MISSED",
		       (unsigned long long)g[0].max,
		       (double)g[0].max / g[0].median,
		       (unsigned long long)g[0].median,
		       (unsigned long long)g[0].over100x);
	return 0;
}
