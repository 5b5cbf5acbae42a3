// SPDX-License-Identifier: GPL-2.0
/*
 * cmapctl load: a multi-threaded GET/PUT/DEL (or BATCH) workload on the
 * -t table, uniform or zipf keys, with per-op counts, errors and rates.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmap_rand.h"
#include "cmapctl.h"

/* ---- load ------------------------------------------------------------------ */

enum { OPK_GET, OPK_PUT, OPK_DEL, OPK_BATCH, OPK_NR };
static const char *const opk_name[OPK_NR] = { "GET", "PUT", "DEL", "BATCH" };

#define ERR_SLOTS 160	/* errnos counted one by one; larger ones in the last */

struct worker {
	pthread_t tid;
	unsigned idx;
	int fd;
	int open_err;
	unsigned long open_cmd;
	uint64_t rng;
	uint64_t ops;		/* read by the main thread: atomic accesses */
	uint64_t gets, hits, misses;
	uint64_t puts;
	uint64_t dels, del_misses;
	uint64_t mismatches;
	uint64_t errs[OPK_NR][ERR_SLOTS];
	int fatal;		/* errno that stopped this worker */
	unsigned char *vals;	/* batch: a CMAP_VALUE_MAX slot per op */
	struct cmap_batch_op *ops_arr;
	uint64_t *keys_arr;
} __attribute__((aligned(64)));

static struct load_ctx {
	struct cmap_zipf zipf;
	uint32_t get_thr, del_thr;	/* op choice, in millionths */
	pthread_barrier_t opened, go;
	int aborted;			/* a worker could not open */
	int stop;			/* atomic */
	unsigned finished;		/* atomic */
	int fatal;			/* atomic: first fatal errno */
} L;

static volatile sig_atomic_t interrupted;

void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	__atomic_store_n(&L.stop, 1, __ATOMIC_RELAXED);
}

void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;	/* a second Ctrl-C kills */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static inline uint64_t pick_key(uint64_t *rng)
{
	if (env.zipf)
		return cmap_zipf_next(&L.zipf, rng);
	return cmap_rand_below(rng, env.keys);
}

static inline int pick_op(uint64_t *rng)
{
	uint32_t r = (uint32_t)cmap_rand_below(rng, 1000000);

	if (r < L.get_thr)
		return OPK_GET;
	if (r < L.del_thr)
		return OPK_DEL;
	return OPK_PUT;
}

/* a value for key @k: the key's bytes first (as much as fits), then filler */
static void fill_value(unsigned char *v, __u32 len, uint64_t k)
{
	memcpy(v, &k, len < sizeof(k) ? len : sizeof(k));
}

static void init_filler(unsigned char *v, __u32 len)
{
	for (__u32 i = 0; i < len; i++)
		v[i] = (unsigned char)('a' + i % 26);
}

static bool value_ok(const unsigned char *v, __u32 len, uint64_t k)
{
	return !memcmp(v, &k, len < sizeof(k) ? len : sizeof(k));
}

/* errors that make going on pointless: stop every worker */
static bool fatal_errno(int err)
{
	switch (err) {
	case EIDRM: case EBADFD: case ENOTTY: case EINVAL: case EFAULT:
	case E2BIG: case EBADF:
		return true;
	}
	return false;
}

static void count_err(struct worker *w, int opk, int err)
{
	if (err < 0)
		err = -err;
	w->errs[opk][err < ERR_SLOTS ? err : ERR_SLOTS - 1]++;
	if (fatal_errno(err)) {
		int zero = 0;

		w->fatal = err;
		__atomic_compare_exchange_n(&L.fatal, &zero, err, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		__atomic_store_n(&L.stop, 1, __ATOMIC_RELAXED);
	}
}

static void tally(struct worker *w, int opk, int err, uint64_t k,
		  const unsigned char *v, __u32 vlen)
{
	switch (opk) {
	case OPK_GET:
		w->gets++;
		if (!err) {
			w->hits++;
			if (!value_ok(v, vlen, k)) {
				w->mismatches++;
				if (env.verbose && w->mismatches <= 5)
					fprintf(stderr, "cmapctl: load: thread %u: key %" PRIu64
						": value does not match its key\n", w->idx, k);
			}
		} else if (err == ENOENT) {
			w->misses++;
		} else {
			count_err(w, opk, err);
		}
		break;
	case OPK_PUT:
		w->puts++;
		if (err)
			count_err(w, opk, err);
		break;
	case OPK_DEL:
		w->dels++;
		if (err == ENOENT)
			w->del_misses++;
		else if (err)
			count_err(w, opk, err);
		break;
	}
}

static bool should_stop(struct worker *w)
{
	if (__atomic_load_n(&L.stop, __ATOMIC_RELAXED))
		return true;
	return env.ops_limit && w->ops >= env.ops_limit;
}

/*
 * A positive errno, as the load counts them.  cmapc_ioctl() is not
 * inlined: the load's own frames (run_single, worker_main) stay in the
 * frame-pointer stacks users see (mapstat, bpftrace ustack).
 */
static __attribute__((noinline)) int load_ioctl(int fd, unsigned long cmd,
						void *arg)
{
	return -cmapc_ioctl(fd, cmd, arg);
}

static __attribute__((noinline)) void run_single(struct worker *w)
{
	static __thread unsigned char buf[CMAP_VALUE_MAX];
	static __thread unsigned char put[CMAP_VALUE_MAX];
	struct cmap_kv kv;

	init_filler(put, env.value_size);
	memset(&kv, 0, sizeof(kv));
	kv.size = sizeof(kv);

	while (!should_stop(w)) {
		uint64_t k = pick_key(&w->rng);
		int opk = pick_op(&w->rng), err;
		unsigned long cmd;

		kv.key = (__u64)(uintptr_t)&k;
		kv.key_len = sizeof(k);
		switch (opk) {
		case OPK_GET:
			cmd = CMAP_IOC_GET;
			kv.flags = 0;
			kv.value = (__u64)(uintptr_t)buf;
			kv.value_len = sizeof(buf);
			break;
		case OPK_PUT:
			cmd = CMAP_IOC_PUT;
			fill_value(put, env.value_size, k);
			kv.flags = CMAP_PUT_ANY;
			kv.value = (__u64)(uintptr_t)put;
			kv.value_len = env.value_size;
			break;
		default:
			cmd = CMAP_IOC_DELETE;
			kv.flags = 0;
			kv.value = 0;
			kv.value_len = 0;
			break;
		}
		err = load_ioctl(w->fd, cmd, &kv);
		tally(w, opk, err, k, buf, kv.value_len);
		__atomic_store_n(&w->ops, w->ops + 1, __ATOMIC_RELAXED);
	}
}

static void run_batch(struct worker *w)
{
	struct cmap_batch_op *ops = w->ops_arr;

	for (__u32 i = 0; i < env.batch; i++)
		init_filler(w->vals + (size_t)i * CMAP_VALUE_MAX, env.value_size);

	while (!should_stop(w)) {
		__u32 n = env.batch, done, i;
		int err;

		if (env.ops_limit && env.ops_limit - w->ops < n)
			n = (__u32)(env.ops_limit - w->ops);
		memset(ops, 0, n * sizeof(*ops));
		for (i = 0; i < n; i++) {
			unsigned char *slot = w->vals + (size_t)i * CMAP_VALUE_MAX;
			uint64_t k = pick_key(&w->rng);

			w->keys_arr[i] = k;
			ops[i].key = (__u64)(uintptr_t)&w->keys_arr[i];
			ops[i].key_len = sizeof(k);
			switch (pick_op(&w->rng)) {
			case OPK_GET:
				ops[i].op = CMAP_OP_GET;
				ops[i].value = (__u64)(uintptr_t)slot;
				ops[i].value_len = CMAP_VALUE_MAX;
				break;
			case OPK_PUT:
				ops[i].op = CMAP_OP_PUT;
				ops[i].flags = CMAP_PUT_ANY;
				fill_value(slot, env.value_size, k);
				ops[i].value = (__u64)(uintptr_t)slot;
				ops[i].value_len = env.value_size;
				break;
			default:
				ops[i].op = CMAP_OP_DELETE;
				break;
			}
		}
		err = cmapc_batch(w->fd, ops, n, &done);
		if (err) {
			if (err == -EINTR)
				continue;
			count_err(w, OPK_BATCH, err);
			continue;
		}
		for (i = 0; i < done; i++) {
			int opk = ops[i].op == CMAP_OP_GET ? OPK_GET :
				  ops[i].op == CMAP_OP_PUT ? OPK_PUT : OPK_DEL;

			tally(w, opk, -ops[i].result, w->keys_arr[i],
			      w->vals + (size_t)i * CMAP_VALUE_MAX,
			      ops[i].value_len);
		}
		__atomic_store_n(&w->ops, w->ops + done, __ATOMIC_RELAXED);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long cmd = 0;

	w->fd = cmapc_open_table(env.device, env.table, NULL, &cmd);
	if (w->fd < 0) {
		w->open_err = -w->fd;
		w->open_cmd = cmd;
	}
	pthread_barrier_wait(&L.opened);
	pthread_barrier_wait(&L.go);	/* main checked every open */
	if (!L.aborted) {
		if (env.batch > 1)
			run_batch(w);
		else
			run_single(w);
	}
	__atomic_fetch_add(&L.finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static const char *errno_hint(int opk, int err)
{
	static char buf[160];

	return cmapc_errmsg(buf, sizeof(buf),
			   opk == OPK_GET ? CMAP_IOC_GET : opk == OPK_PUT ?
			   CMAP_IOC_PUT : opk == OPK_DEL ? CMAP_IOC_DELETE :
			   CMAP_IOC_BATCH, 0, err, env.table);
}

/* PUT keys 0..K-1 through BATCH, CMAP_BATCH_MAX at a time */
static int preload(int fd)
{
	struct cmap_batch_op *ops = calloc(CMAP_BATCH_MAX, sizeof(*ops));
	uint64_t *keys = calloc(CMAP_BATCH_MAX, sizeof(*keys));
	size_t vsz = env.value_size ? env.value_size : 1;
	unsigned char *vals = malloc(CMAP_BATCH_MAX * vsz);
	uint64_t next = 0, failed = 0, errs[ERR_SLOTS] = { 0 };
	double t0 = now(), tick = t0 + 1, t;
	int err;

	if (!ops || !keys || !vals)
		die("out of memory");
	for (int i = 0; i < CMAP_BATCH_MAX; i++)
		init_filler(vals + i * vsz, env.value_size);

	while (next < env.keys && !interrupted) {
		__u32 n = CMAP_BATCH_MAX, done, i;

		if (env.keys - next < n)
			n = (__u32)(env.keys - next);
		memset(ops, 0, n * sizeof(*ops));
		for (i = 0; i < n; i++) {
			keys[i] = next + i;
			fill_value(vals + i * vsz, env.value_size, keys[i]);
			ops[i].op = CMAP_OP_PUT;
			ops[i].flags = CMAP_PUT_ANY;
			ops[i].key = (__u64)(uintptr_t)&keys[i];
			ops[i].key_len = sizeof(keys[i]);
			ops[i].value = (__u64)(uintptr_t)(vals + i * vsz);
			ops[i].value_len = env.value_size;
		}
		err = cmapc_batch(fd, ops, n, &done);
		if (err == -EINTR)
			continue;
		if (err)
			die_err(CMAP_IOC_BATCH, 0, err, env.table);
		for (i = 0; i < done; i++) {
			int e = -ops[i].result;

			if (e) {
				failed++;
				errs[e > 0 && e < ERR_SLOTS ? e : ERR_SLOTS - 1]++;
			}
		}
		next += done;
		t = now();
		if (t >= tick) {
			fprintf(stderr, "preload: %" PRIu64 "/%" PRIu64 " keys (%.0f%%), %.0f puts/s\n",
				next, env.keys, 100.0 * next / env.keys,
				next / (t - t0));
			tick = t + 1;
		}
	}
	t = now() - t0;
	if (interrupted) {
		fprintf(stderr, "preload: interrupted after %" PRIu64 " keys\n", next);
	} else {
		if (env.verbose || t >= 1)
			fprintf(stderr, "preload: %" PRIu64 " keys in %.2f s (%.0f puts/s)\n",
				next, t, t > 0 ? next / t : 0.0);
	}
	if (failed) {
		fprintf(stderr, "cmapctl: load: preload: %" PRIu64 " of %" PRIu64 " puts failed:\n",
			failed, next);
		for (int e = 0; e < ERR_SLOTS; e++)
			if (errs[e])
				fprintf(stderr, "  %s: %" PRIu64 " (%s)\n",
					cmapc_errno_name(e), errs[e],
					errno_hint(OPK_PUT, e));
	}
	free(ops);
	free(keys);
	free(vals);
	return interrupted ? -EINTR : 0;
}

static void print_config(FILE *f)
{
	fprintf(f, "config: %u threads, %" PRIu64 " keys ", env.threads, env.keys);
	if (env.zipf)
		fprintf(f, "zipf(%.3g)", env.theta);
	else
		fprintf(f, "uniform");
	fprintf(f, ", get %g%% put %g%% del %g%%, %u-byte values, batch %u",
		env.read_pct, 100 - env.read_pct - env.del_pct, env.del_pct,
		env.value_size, env.batch);
	if (env.duration > 0)
		fprintf(f, ", %g s", env.duration);
	if (env.ops_limit)
		fprintf(f, ", %" PRIu64 " ops per thread", env.ops_limit);
	fprintf(f, "\n");
}

static uint64_t total_ops(struct worker *w)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < env.threads; i++)
		sum += __atomic_load_n(&w[i].ops, __ATOMIC_RELAXED);
	return sum;
}

int cmd_load(void)
{
	struct worker *w;
	sigset_t block, old;
	uint64_t seed, last_ops = 0;
	double t0, t_end, t_last, elapsed, t;
	bool progress;
	__u32 id;
	int fd, err;

	if (env.read_pct + env.del_pct > 100)
		die("--read-pct + --del-pct is more than 100");
	L.get_thr = (uint32_t)(env.read_pct * 10000 + 0.5);
	L.del_thr = (uint32_t)((env.read_pct + env.del_pct) * 10000 + 0.5);

	fd = open_bound(&id);
	if (env.value_size != CMAP_INLINE_LEN && table_is_inline(fd))
		die("table '%s' is inline: values are exactly %d bytes (use --value-size %d)",
		    env.table, CMAP_INLINE_LEN, CMAP_INLINE_LEN);

	catch_stop_signals();

	if (env.zipf) {
		t = now();
		cmap_zipf_init(&L.zipf, env.keys, env.theta);
		verbose("zeta(%" PRIu64 ", %g) = %g in %.3f s", env.keys,
			env.theta, L.zipf.zetan, now() - t);
	}

	if (env.preload && preload(fd))
		die("interrupted");

	seed = env.seed_set ? env.seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	verbose("seed %" PRIu64, seed);

	w = aligned_alloc(64, sizeof(*w) * env.threads);
	if (!w)
		die("out of memory");
	memset(w, 0, sizeof(*w) * env.threads);
	for (unsigned i = 0; i < env.threads; i++) {
		uint64_t s = seed + i;

		w[i].idx = i;
		w[i].fd = -1;
		w[i].rng = cmap_rand_next(&s);
		if (env.batch > 1) {
			w[i].vals = malloc((size_t)env.batch * CMAP_VALUE_MAX);
			w[i].ops_arr = calloc(env.batch, sizeof(*w[i].ops_arr));
			w[i].keys_arr = calloc(env.batch, sizeof(*w[i].keys_arr));
			if (!w[i].vals || !w[i].ops_arr || !w[i].keys_arr)
				die("out of memory");
		}
	}

	pthread_barrier_init(&L.opened, NULL, env.threads + 1);
	pthread_barrier_init(&L.go, NULL, env.threads + 1);

	/* only the main thread takes SIGINT/SIGTERM: workers' ioctls go on */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < env.threads; i++) {
		err = pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
		if (err)
			die("cannot create thread %u: %s", i, strerror(err));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_barrier_wait(&L.opened);
	for (unsigned i = 0; i < env.threads; i++) {
		if (w[i].open_err) {
			char buf[256];

			L.aborted = 1;
			fprintf(stderr, "cmapctl: load: thread %u: %s\n", i,
				cmapc_errmsg(buf, sizeof(buf), w[i].open_cmd,
					    0, w[i].open_err,
					    w[i].open_cmd == CMAPC_CMD_DEVOPEN ?
					    env.device : env.table));
			break;
		}
	}
	t0 = now();
	pthread_barrier_wait(&L.go);
	if (L.aborted) {
		for (unsigned i = 0; i < env.threads; i++)
			pthread_join(w[i].tid, NULL);
		for (unsigned i = 0; i < env.threads; i++)
			if (w[i].open_err)
				exit(cmapc_exit_status(w[i].open_cmd, w[i].open_err));
		exit(CMAPC_EXIT_ERROR);
	}

	progress = env.duration == 0 || env.duration > 3;
	t_end = env.duration > 0 ? t0 + env.duration : INFINITY;
	t_last = t0;
	while (!interrupted &&
	       __atomic_load_n(&L.finished, __ATOMIC_ACQUIRE) < env.threads &&
	       !__atomic_load_n(&L.stop, __ATOMIC_RELAXED)) {
		double next_tick = t_last + 1, until, dt;
		struct timespec ts;

		t = now();
		if (t >= t_end)
			break;
		until = next_tick < t_end ? next_tick : t_end;
		if (until > t + 0.1)
			until = t + 0.1;	/* notice finished workers */
		dt = until - t;
		ts.tv_sec = (time_t)dt;
		ts.tv_nsec = (long)((dt - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);	/* EINTR on Ctrl-C */

		t = now();
		if (t >= next_tick && t < t_end) {
			uint64_t ops = total_ops(w);

			if (progress)
				fprintf(stderr, "load: %5.1f s  %12" PRIu64 " ops  %10.0f ops/s  (last %.1f s: %.0f ops/s)\n",
					t - t0, ops, ops / (t - t0), t - t_last,
					(ops - last_ops) / (t - t_last));
			last_ops = ops;
			t_last = t;
		}
	}
	__atomic_store_n(&L.stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < env.threads; i++)
		pthread_join(w[i].tid, NULL);
	elapsed = now() - t0;

	/* ---- results ---- */
	{
		struct worker sum;
		uint64_t errors = 0, busy = 0;

		memset(&sum, 0, sizeof(sum));
		for (unsigned i = 0; i < env.threads; i++) {
			sum.ops += w[i].ops;
			sum.gets += w[i].gets;
			sum.hits += w[i].hits;
			sum.misses += w[i].misses;
			sum.puts += w[i].puts;
			sum.dels += w[i].dels;
			sum.del_misses += w[i].del_misses;
			sum.mismatches += w[i].mismatches;
			for (int k = 0; k < OPK_NR; k++)
				for (int e = 0; e < ERR_SLOTS; e++)
					sum.errs[k][e] += w[i].errs[k][e];
			if (w[i].fd >= 0)
				close(w[i].fd);
		}
		for (int k = 0; k < OPK_NR; k++)
			for (int e = 0; e < ERR_SLOTS; e++)
				errors += sum.errs[k][e];
		/* racecheck tables refuse concurrent writers: expected */
		for (int k = 0; k < OPK_NR; k++)
			busy += sum.errs[k][EBUSY];

		printf("table: %s (id %u)\n", env.table, id);
		print_config(stdout);
		printf("duration: %.2f s%s\n", elapsed, interrupted ? " (interrupted)" : "");
		printf("ops: %" PRIu64 " (%.0f ops/s)\n", sum.ops,
		       elapsed > 0 ? sum.ops / elapsed : 0.0);
		printf("gets: %" PRIu64 " (hits %" PRIu64 ", misses %" PRIu64,
		       sum.gets, sum.hits, sum.misses);
		if (sum.gets)
			printf(", hit rate %.1f%%", 100.0 * sum.hits / sum.gets);
		printf(")\n");
		printf("puts: %" PRIu64 "\n", sum.puts);
		printf("dels: %" PRIu64 " (misses %" PRIu64 ")\n", sum.dels,
		       sum.del_misses);
		printf("errors: %" PRIu64 "\n", errors);
		for (int k = 0; k < OPK_NR; k++)
			for (int e = 0; e < ERR_SLOTS; e++)
				if (sum.errs[k][e])
					printf("  %s %s: %" PRIu64 " (%s)\n",
					       opk_name[k], cmapc_errno_name(e),
					       sum.errs[k][e], errno_hint(k, e));
		printf("value mismatches: %" PRIu64 "\n", sum.mismatches);
		printf("threads:\n");
		for (unsigned i = 0; i < env.threads; i++)
			printf("  %u: %" PRIu64 " ops (%.0f ops/s)\n", i, w[i].ops,
			       elapsed > 0 ? w[i].ops / elapsed : 0.0);
		check_stdout();

		for (unsigned i = 0; i < env.threads; i++) {
			free(w[i].vals);
			free(w[i].ops_arr);
			free(w[i].keys_arr);
		}
		free(w);
		close(fd);
		if (L.fatal) {
			char buf[256];

			die("stopped: %s", cmapc_errmsg(buf, sizeof(buf), CMAP_IOC_BATCH,
						     0, L.fatal, env.table));
		}
		if (errors > busy)
			die("%" PRIu64 " operations failed", errors - busy);
		if (sum.mismatches)
			die("%" PRIu64 " values read back did not match their key",
			    sum.mismatches);
	}
	return 0;
}
