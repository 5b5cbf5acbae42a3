// SPDX-License-Identifier: GPL-2.0
/*
 * hard_conc: concurrency faults.
 *
 *   hard_conc close      close() (and dup2() over the fd) while other
 *                        threads are inside ioctls on it
 *   hard_conc signals    signals during long BATCH, ITER, CLEAR (and
 *                        BENCH when the module offers it): interruptible,
 *                        partial results reported, the table consistent
 *   hard_conc many P T   P processes with T tables each, all at once,
 *                        rebinding, reading each other's tables and
 *                        destroying them under each other
 *   hard_conc load SEC   a load of several processes for SEC seconds (the
 *                        guest script tries rmmod meanwhile)
 *   hard_conc kill       processes SIGKILLed inside long ioctls
 */
#include "hard.h"

#include <pthread.h>
#include <sys/resource.h>

static volatile sig_atomic_t sigs;

static void on_sig(int s)
{
	(void)s;
	sigs++;
}

static void install(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;	/* no SA_RESTART: ioctls see the signal */
	sigaction(sig, &sa, NULL);
}

/* ------------------------------------------------------------ close */
struct closer {
	int fd;
	volatile int stop;
	unsigned long calls, ok, ebadf, ebadfd, other_errs;
	int last_other;
	int id;
};

static void *close_worker(void *p)
{
	struct closer *c = p;
	static __thread char buf[65536];
	struct cmap_batch_op ops[64];
	uint64_t keys[64];
	unsigned int i = 0;

	while (!c->stop) {
		int fd = c->fd, rc;
		uint64_t k = (uint64_t)c->id << 32 | (i & 1023);

		switch (i++ % 4) {
		case 0:
			rc = cmapc_put(fd, &k, 8, buf, 100 + i % 3000, 0);
			break;
		case 1: {
			__u32 olen = sizeof(buf);

			rc = cmapc_get(fd, &k, 8, buf, &olen);
			if (rc == -ENOENT)
				rc = 0;
			break;
		}
		case 2: {
			struct cmap_batch bt;
			int j;

			for (j = 0; j < 64; j++)
				keys[j] = k + j;
			t_batch_keys(&bt, ops, CMAP_OP_PUT, keys, 64, buf, 500);
			rc = cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
			break;
		}
		default: {
			struct cmap_iter it = { .size = sizeof(it),
						.buf = uptr(buf),
						.buf_len = sizeof(buf) };

			rc = cmapc_ioctl(fd, CMAP_IOC_ITER, &it);
			if (rc == -ENOBUFS)
				rc = 0;
			break;
		}
		}
		c->calls++;
		if (!rc)
			c->ok++;
		else if (rc == -EBADF)
			c->ebadf++;
		else if (rc == -EBADFD || rc == -ENOTTY || rc == -EIDRM)
			c->ebadfd++;	/* the fd number went to another file */
		else {
			c->other_errs++;
			c->last_other = rc;
		}
	}
	return NULL;
}

static void test_close(void)
{
	struct closer c[4];
	pthread_t th[4];
	char nm[CMAP_NAME_LEN];
	unsigned long calls = 0, ok = 0, ebadf = 0, ebadfd = 0, other = 0;
	int round, i, fd, last = 0;

	name_of(nm, "hcl");
	fd = dev_open();
	if (t_create(fd, nm, CMAP_MODE_RCU, 0, 0, 0, NULL))
		bail("CREATE");
	close(fd);
	for (round = 0; round < 24; round++) {
		fd = dev_open();
		if (cmapc_open(fd, nm, NULL))
			bail("OPEN");
		for (i = 0; i < 4; i++) {
			c[i] = (struct closer){ .fd = fd, .id = i };
			pthread_create(&th[i], NULL, close_worker, &c[i]);
		}
		usleep(2000 + round * 500);
		switch (round % 4) {
		case 0:	/* plain close */
			close(fd);
			break;
		case 1: {	/* the number goes to an unbound /dev/cmap */
			int g = dev_open();

			dup2(g, fd);
			close(g);
			break;
		}
		case 2: {	/* ... to /dev/null */
			int g = open("/dev/null", O_RDWR);

			dup2(g, fd);
			close(g);
			break;
		}
		default: {	/* ... to another table's file */
			int g = dev_open();
			char n2[CMAP_NAME_LEN];

			name_of(n2, "hcl2");
			t_create(g, n2, CMAP_MODE_COW, 0, 0, 0, NULL);
			dup2(g, fd);
			cmapc_destroy(g, n2, NULL);
			close(g);
			break;
		}
		}
		usleep(3000);
		for (i = 0; i < 4; i++)
			c[i].stop = 1;
		for (i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			calls += c[i].calls;
			ok += c[i].ok;
			ebadf += c[i].ebadf;
			ebadfd += c[i].ebadfd;
			other += c[i].other_errs;
			if (c[i].other_errs)
				last = c[i].last_other;
		}
		if (round % 4)
			close(fd);
	}
	/* still consistent: a full dump works, the table is intact */
	fd = dev_open();
	{
		struct snap s;
		int rc = cmapc_open(fd, nm, NULL) ?: snap_take(fd, &s);

		tap(!rc && s.n == s.entries,
		    "24 rounds of close()/dup2() under 4 threads in PUT/GET/BATCH/ITER: %lu calls (%lu ok, %lu EBADF, %lu on the new file), %lu other errors (%s); the table dumps whole (%zu entries)",
		    calls, ok, ebadf, ebadfd, other, ename(last), rc ? 0 : s.n);
		if (!rc)
			snap_free(&s);
	}
	cmapc_destroy(fd, nm, NULL);
	close(fd);
}

/* ----------------------------------------------------------- signals */
struct killer {
	pthread_t target;
	volatile int stop;
	int us;
};

static void *signaller(void *p)
{
	struct killer *k = p;

	while (!k->stop) {
		usleep(k->us);
		pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

static void test_signals(void)
{
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static uint64_t keys[CMAP_BATCH_MAX];
	static char val[4096], buf[CMAP_ITER_BUF_MAX];
	char nm[CMAP_NAME_LEN];
	struct killer k = { .target = pthread_self(), .us = 300 };
	pthread_t th;
	int fd = dev_open(), rc, i, r;
	unsigned long partial = 0, full = 0, eintr = 0, bad = 0, iter_calls = 0;
	unsigned long iter_eintr = 0, iter_partial = 0, total_recs = 0;
	uint64_t next = 0;

	install(SIGUSR1);
	memset(val, 'S', sizeof(val));
	name_of(nm, "hsg");
	if (t_create(fd, nm, CMAP_MODE_RCU, 0, 0, 0, NULL))
		bail("CREATE");
	pthread_create(&th, NULL, signaller, &k);
	/* BATCH: 1024 PUTs of 4 KiB under a signal every 300 us */
	for (r = 0; r < 30; r++) {
		struct cmap_batch bt;

		for (i = 0; i < CMAP_BATCH_MAX; i++)
			keys[i] = next + i;
		t_batch_keys(&bt, ops, CMAP_OP_PUT, keys, CMAP_BATCH_MAX, val,
			     2000);
		for (i = 0; i < CMAP_BATCH_MAX; i++)
			ops[i].result = 0x7777;
		bt.done = 0xdead;
		rc = cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
		if (rc == -EINTR) {
			eintr++;
			continue;
		}
		if (rc || bt.done == 0 || bt.done > CMAP_BATCH_MAX) {
			bad++;
			continue;
		}
		for (i = 0; i < (int)bt.done; i++)
			if (ops[i].result)
				bad++;
		if (bt.done < CMAP_BATCH_MAX) {
			partial++;
			/* not done: results untouched, keys absent */
			if (ops[bt.done].result != 0x7777)
				bad++;
		} else {
			full++;
		}
		next += bt.done;
	}
	{
		struct cmap_stats st;

		cmapc_stats(fd, 0, &st);
		tap(!bad && st.entries == next && partial > 0,
		    "BATCH under signals: %lu returned partial (done < 1024), %lu whole, %lu -EINTR; exactly the done ops took effect (%llu entries, %llu expected)",
		    partial, full, eintr, (unsigned long long)st.entries,
		    (unsigned long long)next);
	}
	/* ITER: a whole dump, resumed after every signal */
	for (r = 0; r < 3; r++) {
		struct cmap_iter it = { .size = sizeof(it) };
		uint64_t seen = 0;

		while (it.cursor != CMAP_ITER_DONE) {
			rc = t_iter_next(fd, &it, buf, sizeof(buf));
			iter_calls++;
			if (rc == -EINTR) {
				iter_eintr++;
				continue;
			}
			if (rc)
				break;
			if (it.cursor != CMAP_ITER_DONE)
				iter_partial++;
			seen += it.count;
		}
		total_recs += seen;
		if (seen != next)
			bad++;
	}
	/* a signal shortens an ITER, never fails it: each call moves on */
	tap(!bad && !iter_eintr, "ITER under signals: 3 whole dumps of %llu entries in %lu calls (%lu -EINTR, %lu stopped early with a cursor), every key exactly once",
	    (unsigned long long)next, iter_calls, iter_eintr, iter_partial);
	/* CLEAR of a big table under signals */
	k.stop = 1;
	pthread_join(th, NULL);
	for (r = 0; r < 40; r++) {
		struct cmap_batch bt;

		for (i = 0; i < CMAP_BATCH_MAX; i++)
			keys[i] = (1ULL << 32) + r * CMAP_BATCH_MAX + i;
		t_batch_keys(&bt, ops, CMAP_OP_PUT, keys, CMAP_BATCH_MAX, val, 8);
		cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
	}
	k = (struct killer){ .target = pthread_self(), .us = 50 };
	pthread_create(&th, NULL, signaller, &k);
	{
		struct cmap_stats st0, st1;

		cmapc_stats(fd, 0, &st0);
		rc = cmapc_ioctl(fd, CMAP_IOC_CLEAR, NULL);
		cmapc_stats(fd, 0, &st1);
		if (rc == 0)
			tap(st1.entries == 0, "CLEAR under signals: completed (%llu -> %llu entries)",
			    (unsigned long long)st0.entries,
			    (unsigned long long)st1.entries);
		else
			tap(rc == -EINTR && st1.entries == st0.entries,
			    "CLEAR under signals: %s after clearing %llu of %llu entries (a failed CLEAR must clear nothing)",
			    ename(rc), (unsigned long long)(st0.entries - st1.entries),
			    (unsigned long long)st0.entries);
		while (cmapc_ioctl(fd, CMAP_IOC_CLEAR, NULL) == -EINTR)
			;
	}
	k.stop = 1;
	pthread_join(th, NULL);
	cmapc_destroy(fd, nm, NULL);

	/* BENCH, if the module offers it: a long run stopped by a signal */
	{
		struct cmap_bench_result res[8];
		struct cmap_bench b;
		double t0;

		t_bench_req(&b, 2, 60000, 10000, 16, res, ARRAY_LEN(res));
		k = (struct killer){ .target = pthread_self(), .us = 1500000 };
		pthread_create(&th, NULL, signaller, &k);
		t0 = now_s();
		rc = cmapc_ioctl(fd, CMAP_IOC_BENCH, &b);
		k.stop = 1;
		pthread_join(th, NULL);
		if (rc == -ENOTTY)
			diag("CMAP_IOC_BENCH: -ENOTTY (not wired into the device yet): skipped");
		else
			tap(rc == 0 && b.interrupted && now_s() - t0 < 30 &&
			    b.nresults >= 1,
			    "BENCH of 60 s stopped by a signal after 1.5 s: returned after %.1f s (%s), interrupted=%u, %u partial results",
			    now_s() - t0, ename(rc), b.interrupted, b.nresults);
	}
	close(fd);
}

/* -------------------------------------------------------------- many */
static int many_child(int id, int ntab, const char *prefix)
{
	int *fds = calloc(ntab, sizeof(int)), i, r, rc, errors = 0;
	char nm[CMAP_NAME_LEN + 16], other[CMAP_NAME_LEN + 16], v[64];
	uint64_t k;

	for (i = 0; i < ntab; i++) {
		fds[i] = dev_open();
		snprintf(nm, sizeof(nm), "%s%d_%d", prefix, id, i);
		rc = t_create(fds[i], nm, i % CMAP_MODE_COUNT, 0, 0, 0, NULL);
		if (rc == -EBUSY)
			rc = 0;
		if (rc)
			return 10;
	}
	for (r = 0; r < 30; r++) {
		for (i = 0; i < ntab; i++) {
			for (k = 0; k < 20; k++) {
				uint64_t kk = k + r * 20;

				snprintf(v, sizeof(v), "%d-%d-%" PRIu64, id, i, kk);
				rc = cmapc_put(fds[i], &kk, 8, v, strlen(v), 0);
				if (rc && rc != -EBUSY && rc != -EIDRM) {
					diag("many: process %d, table %d: PUT: %s",
					     id, i, ename(rc));
					errors++;
				}
			}
		}
		/* peek at a neighbour's table, and rebind back */
		snprintf(other, sizeof(other), "%s%d_%d", prefix, (id + 1) % 1000, r % ntab);
		rc = cmapc_open(fds[0], other, NULL);
		if (rc && rc != -ENOENT) {
			diag("many: process %d: OPEN %s: %s", id, other, ename(rc));
			errors++;
		}
		snprintf(nm, sizeof(nm), "%s%d_0", prefix, id);
		rc = cmapc_open(fds[0], nm, NULL);
		if (rc && rc != -ENOENT) {
			diag("many: process %d: OPEN %s: %s", id, nm, ename(rc));
			errors++;
		}
	}
	/* verify our own tables: every value is ours */
	for (i = 1; i < ntab; i++) {
		struct snap s;

		if (t_bound_id(fds[i]) == -EIDRM)
			continue;
		rc = snap_take(fds[i], &s);
		/* (the parent may destroy it while we read it) */
		if (rc && t_bound_id(fds[i]) == -EIDRM)
			continue;
		if (rc) {
			diag("many: process %d, table %d: dump: %s", id, i,
			     ename(rc));
			errors++;
			continue;
		}
		if (s.n != 600 && i % CMAP_MODE_COUNT != CMAP_MODE_RACECHECK) {
			diag("many: process %d, table %d: %zu entries, not 600",
			     id, i, s.n);
			errors++;
		}
		snap_free(&s);
	}
	for (i = 0; i < ntab; i++)
		close(fds[i]);
	return errors ? 20 : 0;
}

static void test_many(int procs, int ntab)
{
	pid_t *pids = calloc(procs, sizeof(pid_t));
	int i, st, bad = 0, fd = dev_open();
	__u32 before, peak = 0, after;
	char prefix[16];
	double t0 = now_s();
	struct rlimit rl = { 4096, 4096 };

	setrlimit(RLIMIT_NOFILE, &rl);
	snprintf(prefix, sizeof(prefix), "hm%d_", getpid() % 10000);
	t_list_total(fd, &before);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(many_child(i, ntab, prefix));
	}
	/* meanwhile: LIST, and destroy a few tables under their users */
	for (i = 0; i < 50; i++) {
		__u32 t;
		char nm[CMAP_NAME_LEN];

		t_list_total(fd, &t);
		if (t > peak)
			peak = t;
		snprintf(nm, sizeof(nm), "%s%d_%d", prefix, i % procs, 1 + i % (ntab - 1));
		if (i % 10 == 9)
			cmapc_destroy(fd, nm, NULL);
		usleep(20000);
	}
	for (i = 0; i < procs; i++) {
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	/* clean up */
	t_destroy_prefixed(fd, prefix, 65536);
	t_list_total(fd, &after);
	tap(!bad && peak >= before + procs && after == before,
	    "%d processes x %d tables (all modes) at once, rebinding, with DESTROY under them: %d failed, peak %u tables, back to %u (%.1f s)",
	    procs, ntab, bad, peak, after, now_s() - t0);
	close(fd);
	free(pids);
}

/* -------------------------------------------------------------- load */
static int load_child(int id, double end)
{
	char nm[CMAP_NAME_LEN], buf[16384];
	int fd = dev_open();
	uint64_t k = 0;

	snprintf(nm, sizeof(nm), "hld%d_%d", getpid(), id);
	if (t_create(fd, nm, id % CMAP_MODE_COUNT, 0, 0, 0, NULL))
		return 1;
	while (now_s() < end) {
		__u32 olen = sizeof(buf);
		struct cmap_iter it = { .size = sizeof(it), .buf = uptr(buf),
					.buf_len = sizeof(buf) };

		cmapc_put(fd, &k, 8, buf, k % 2000, 0);
		cmapc_get(fd, &k, 8, buf, &olen);
		if (k % 50 == 0)
			cmapc_ioctl(fd, CMAP_IOC_ITER, &it);
		if (k % 500 == 499)
			cmapc_ioctl(fd, CMAP_IOC_CLEAR, NULL);
		k++;
	}
	cmapc_destroy(fd, nm, NULL);
	return 0;
}

static void test_load(double sec)
{
	pid_t pids[6];
	int i, st, bad = 0;
	double end = now_s() + sec;
	/* held until every child is done: no rmmod can win before */
	int hold = dev_open();

	for (i = 0; i < 6; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(load_child(i, end));
	}
	for (i = 0; i < 6; i++) {
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	tap(!bad, "load: 6 processes for %.0f s (PUT/GET/ITER/CLEAR, all modes)", sec);
	/* with a pipe on stdin, keep the file open until its writer is gone */
	if (!isatty(0)) {
		char c;

		while (read(0, &c, 1) > 0)
			;
	}
	close(hold);
}

/* -------------------------------------------------------------- kill */
static void kill_child(int what, const char *nm)
{
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static uint64_t keys[CMAP_BATCH_MAX];
	static char val[4096], buf[CMAP_ITER_BUF_MAX];
	int fd = dev_open(), i;

	memset(val, 'K', sizeof(val));
	if (cmapc_open(fd, nm, NULL))
		_exit(1);
	for (;;) {
		if (what == 0) {
			struct cmap_batch bt = { .size = sizeof(bt), .ops = uptr(ops),
						 .count = CMAP_BATCH_MAX };

			for (i = 0; i < CMAP_BATCH_MAX; i++) {
				memset(&ops[i], 0, sizeof(ops[i]));
				keys[i] = (uint64_t)getpid() << 20 | i;
				ops[i].op = i % 2 ? CMAP_OP_PUT : CMAP_OP_DELETE;
				ops[i].key = uptr(&keys[i]);
				ops[i].key_len = 8;
				if (i % 2) {
					ops[i].value = uptr(val);
					ops[i].value_len = 1000;
				}
			}
			cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
		} else {
			struct cmap_iter it = { .size = sizeof(it) };

			while (it.cursor != CMAP_ITER_DONE) {
				if (t_iter_next(fd, &it, buf, sizeof(buf)))
					break;
			}
		}
	}
}

static void test_kill(void)
{
	char nm[CMAP_NAME_LEN];
	int fd = dev_open(), r, i, killed = 0, st;
	uint64_t k;

	name_of(nm, "hkl");
	if (t_create(fd, nm, CMAP_MODE_RCU, 0, 0, 0, NULL))
		bail("CREATE");
	for (k = 0; k < 3000; k++)
		cmapc_put(fd, &k, 8, "v", 1, 0);
	for (r = 0; r < 12; r++) {
		pid_t p[4];

		for (i = 0; i < 4; i++) {
			p[i] = fork();
			if (!p[i])
				kill_child(i % 2, nm);
		}
		usleep(20000 + r * 5000);
		for (i = 0; i < 4; i++) {
			kill(p[i], SIGKILL);
			waitpid(p[i], &st, 0);
			killed += WIFSIGNALED(st);
		}
	}
	{
		struct snap s;
		int rc = snap_take(fd, &s);

		tap(!rc && killed == 48 && s.n == s.entries,
		    "48 processes SIGKILLed inside BATCH (1024 ops) and ITER: the table dumps whole (%zu entries)",
		    rc ? 0 : s.n);
		if (!rc)
			snap_free(&s);
	}
	cmapc_destroy(fd, nm, NULL);
	close(fd);
}

static void run_many(int argc, char **argv)
{
	test_many(argc > 0 ? atoi(argv[0]) : 16, argc > 1 ? atoi(argv[1]) : 16);
}

static void run_load(int argc, char **argv)
{
	test_load(argc > 0 ? atof(argv[0]) : 10);
}

int main(int argc, char **argv)
{
	static const struct hard_part parts[] = {
		{ .name = "close", .run = test_close },
		{ .name = "signals", .run = test_signals },
		{ .name = "many", .run_args = run_many },
		{ .name = "load", .run_args = run_load },
		{ .name = "kill", .run = test_kill },
	};

	return run_part(argc, argv, "hard_conc", parts, ARRAY_LEN(parts),
			"close|signals|many [P T]|load [SEC]|kill");
}
