// SPDX-License-Identifier: GPL-2.0
/*
 * racedemo: `cmapctl race-demo`, the first program of Go's write-up on
 * concurrent map access, on cmap:
 *
 *	m := map[int]string{}
 *	for i := 0; i < 10; i++ { go func() { for { m[k] = v } }() }
 *	for i := 0; i < 5; i++ { go func() { for { _ = m[k] } }() }
 *
 * Go's runtime kills that program with "fatal error: concurrent map
 * writes".  A racecheck table (CMAP_MODE_RACECHECK) detects the same thing
 * without dying: the second writer gets -EBUSY, a lookup during a write is
 * counted, and cmap:race / cmap:race_holder let BPF take both threads'
 * stacks.  The demo runs the program on a racecheck table with racetrace
 * (user/racetrace.c, BPF) attached, which prints the detections Go style,
 * then the same program on an rcu table, which runs clean, and shows the
 * bucket-lock contention it caused instead.
 *
 * Why racetrace is a separate program that cmapctl starts: cmapctl stays
 * a plain ioctl client that builds without libbpf, clang or a kernel BTF,
 * and works unprivileged on tables it may use; the BPF part needs root
 * and a toolchain, and is useful on its own (racetrace -t NAME).
 *
 * Every check is exact: each key belongs to one writer (key % writers),
 * whose successful PUTs and DELETEs are recorded in order, so the table's
 * final contents are known; every refused write is one STATS races count
 * and one BPF event; every value a reader sees must be its key owner's.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmap_rand.h"
#include "libcmap.h"
#include "race.h"
#include "racedemo.h"

#define MAX_THREADS	256
#define VALUE_LEN	32
#define READY_TIMEOUT	120	/* seconds for racetrace to attach (TCG) */
#define TABLE_RC	"race-demo-racecheck"
#define TABLE_RCU	"race-demo-rcu"

enum {
	OPT_WRITERS = 0x200,
	OPT_READERS,
	OPT_DURATION,
	OPT_KEYS,
	OPT_SHOW,
	OPT_NO_BPF,
	OPT_RACECHECK_ONLY,
	OPT_SEED,
	OPT_KEEP,
	OPT_RECORD,
};

static struct {
	unsigned writers, readers;
	double duration;
	uint64_t keys;
	int show;
	bool no_bpf;
	bool racecheck_only;
	uint64_t seed;
	bool keep;
	const char *record;
	const char *device;
	bool verbose;
} D = {
	.writers = 10,
	.readers = 5,
	.duration = 3,
	.keys = 1000,
	.show = 3,
};

const struct argp_option race_demo_opts[] = {
	{ "writers", OPT_WRITERS, "N", 0, "Writer threads, 0..256 (default 10)", 0 },
	{ "readers", OPT_READERS, "N", 0, "Reader threads, 0..256 (default 5)", 0 },
	{ "duration", OPT_DURATION, "SEC", 0, "Seconds per table (default 3)", 0 },
	{ "keys", OPT_KEYS, "N", 0, "Key space: 8-byte keys 0..N-1, at least --writers (default 1000)", 0 },
	{ "show", OPT_SHOW, "N", 0, "Detections of each kind printed in full, 0..64 (default 3)", 0 },
	{ "no-bpf", OPT_NO_BPF, NULL, 0, "Do not start racetrace: counters only, no stacks", 0 },
	{ "racecheck-only", OPT_RACECHECK_ONLY, NULL, 0, "Skip the run on the rcu table", 0 },
	{ "seed", OPT_SEED, "S", 0, "Random seed (default: time and pid)", 0 },
	{ "keep", OPT_KEEP, NULL, 0, "Keep the tables (default: destroy them at the end)", 0 },
	{ "record", OPT_RECORD, "PREFIX", 0, "Write what each table must hold to PREFIX.racecheck "
	  "and PREFIX.rcu, as `cmapctl --u64 dump` prints it (KEY<TAB>VALUE)", 0 },
	{},
};

error_t race_demo_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_WRITERS:
		D.writers = (unsigned)cmapc_arg_size(state, "--writers", arg, 1000, 0, MAX_THREADS);
		break;
	case OPT_READERS:
		D.readers = (unsigned)cmapc_arg_size(state, "--readers", arg, 1000, 0, MAX_THREADS);
		break;
	case OPT_DURATION:
		D.duration = cmapc_arg_double(state, "--duration", arg, 0.001, 3600);
		break;
	case OPT_KEYS:
		D.keys = cmapc_arg_size(state, "--keys", arg, 1000, 1, 1 << 24);
		break;
	case OPT_SHOW:
		D.show = (int)cmapc_arg_size(state, "--show", arg, 1000, 0, 64);
		break;
	case OPT_NO_BPF:
		D.no_bpf = true;
		break;
	case OPT_RACECHECK_ONLY:
		D.racecheck_only = true;
		break;
	case OPT_SEED:
		if (cmapc_parse_u64(arg, &D.seed))
			argp_error(state, "invalid --seed '%s'", arg);
		break;
	case OPT_KEEP:
		D.keep = true;
		break;
	case OPT_RECORD:
		D.record = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "too many arguments");
		break;
	case ARGP_KEY_END:
		if (D.writers + D.readers == 0)
			argp_error(state, "no threads: --writers and --readers are both 0");
		if (D.keys < D.writers)
			argp_error(state, "--keys %" PRIu64 " < --writers %u: each writer "
				   "needs a key of its own", D.keys, D.writers);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- the racy program ------------------------------------------------- */

/* What the table must hold for a key: its owner's last successful write. */
struct expect {
	uint64_t version;	/* of the last successful PUT */
	bool present;
};

struct thread {
	pthread_t tid;
	unsigned idx;		/* writer i owns keys k with k % writers == i */
	int fd;
	uint64_t rng;
	uint64_t puts, dels;	/* succeeded */
	uint64_t del_misses;	/* DELETE of an absent key (ENOENT) */
	uint64_t busy;		/* refused: EBUSY (the detections) */
	uint64_t gets, hits;
	uint64_t wrong;		/* a value not its owner's, a lost write */
	uint64_t errors;	/* anything else */
	int last_err;
} __attribute__((aligned(64)));

static struct {
	struct expect *expect;
	pthread_mutex_t mu;	/* the start gate: every thread starts at once */
	pthread_cond_t cv;
	bool go;
	int stop;		/* atomic */
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void gate_wait(void)
{
	pthread_mutex_lock(&P.mu);
	while (!P.go)
		pthread_cond_wait(&P.cv, &P.mu);
	pthread_mutex_unlock(&P.mu);
}

static void gate_set(bool go)
{
	pthread_mutex_lock(&P.mu);
	P.go = go;
	pthread_cond_broadcast(&P.cv);
	pthread_mutex_unlock(&P.mu);
}

/* "w3 v1234": writer 3's 1234th PUT (text, so that dump prints it) */
static __u32 make_value(char v[VALUE_LEN], unsigned writer, uint64_t version)
{
	return (__u32)snprintf(v, VALUE_LEN, "w%u v%" PRIu64, writer, version);
}

/* True if @v (of @len bytes) is a value writer @owner could have written. */
static bool value_of(const char *v, __u32 len, unsigned owner, uint64_t *version)
{
	char buf[VALUE_LEN + 1];
	unsigned w;
	uint64_t ver;
	int n = 0;

	if (len >= VALUE_LEN)
		return false;
	memcpy(buf, v, len);
	buf[len] = 0;
	if (sscanf(buf, "w%u v%" SCNu64 "%n", &w, &ver, &n) != 2 || (__u32)n != len ||
	    w != owner)
		return false;
	if (version)
		*version = ver;
	return true;
}

static bool stopped(void)
{
	return __atomic_load_n(&P.stop, __ATOMIC_RELAXED);
}

static void failed(struct thread *t, int err)
{
	t->errors++;
	t->last_err = -err;
}

/*
 * Go's `for { m[k] = v }`, on this writer's own keys: 4 PUTs to 1 DELETE.
 * A refused write (EBUSY) changes nothing: the record stays as it was.
 */
static void *writer_thread(void *arg)
{
	struct thread *t = arg;
	uint64_t own = (D.keys - t->idx + D.writers - 1) / D.writers;
	uint64_t version = 0;
	char v[VALUE_LEN];
	int err;

	gate_wait();
	while (!stopped()) {
		uint64_t k = t->idx + D.writers * cmap_rand_below(&t->rng, own);
		struct expect *x = &P.expect[k];

		if (cmap_rand_below(&t->rng, 5)) {
			__u32 len = make_value(v, t->idx, ++version);

			err = cmapc_put(t->fd, &k, sizeof(k), v, len, CMAP_PUT_ANY);
			if (!err) {
				t->puts++;
				x->version = version;
				x->present = true;
			}
		} else {
			err = cmapc_delete(t->fd, &k, sizeof(k));
			if (!err) {
				t->dels++;
				if (!x->present)	/* deleted what was not there */
					t->wrong++;
				x->present = false;
			} else if (err == -ENOENT) {
				t->del_misses++;
				if (x->present)		/* a successful PUT was lost */
					t->wrong++;
				err = 0;
			}
		}
		if (err == -EBUSY)
			t->busy++;
		else if (err)
			failed(t, err);
	}
	return NULL;
}

/* Go's `for { _ = m[k] }`: every value found must be its key owner's. */
static void *reader_thread(void *arg)
{
	struct thread *t = arg;
	char v[VALUE_LEN];
	__u32 len;
	int err;

	gate_wait();
	while (!stopped()) {
		uint64_t k = cmap_rand_below(&t->rng, D.keys);

		len = VALUE_LEN;
		err = cmapc_get(t->fd, &k, sizeof(k), v, &len);
		t->gets++;
		if (!err) {
			t->hits++;
			if (D.writers && !value_of(v, len, (unsigned)(k % D.writers), NULL))
				t->wrong++;
		} else if (err != -ENOENT) {
			failed(t, err);
		}
	}
	return NULL;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR && !stopped())
		;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	__atomic_store_n(&P.stop, 1, __ATOMIC_RELAXED);
}

/* Totals over the threads. */
struct totals {
	uint64_t puts, dels, del_misses, busy, gets, hits, wrong, errors;
	int last_err;
};

/* Run the program on table @name: returns 0, or -errno if it could not. */
static int run_program(const char *name, struct thread *th, unsigned n,
		       struct totals *tot)
{
	unsigned long cmd;
	unsigned started = 0;
	int err = 0;

	memset(th, 0, sizeof(*th) * n);
	for (unsigned i = 0; i < n; i++) {
		th[i].idx = i < D.writers ? i : i - D.writers;
		th[i].rng = D.seed + 0x9e3779b97f4a7c15ULL * (i + 1);
		th[i].fd = cmapc_open_table(D.device, name, NULL, &cmd);
		if (th[i].fd < 0) {
			err = th[i].fd;
			while (i--)
				close(th[i].fd);
			return err;
		}
	}
	__atomic_store_n(&P.stop, 0, __ATOMIC_RELAXED);
	gate_set(false);
	for (unsigned i = 0; i < n; i++) {
		char tname[16];

		err = -pthread_create(&th[i].tid, NULL,
				      i < D.writers ? writer_thread : reader_thread, &th[i]);
		if (err) {
			__atomic_store_n(&P.stop, 1, __ATOMIC_RELAXED);
			break;
		}
		/* the comm the reports name: writer-3, reader-1 */
		snprintf(tname, sizeof(tname), "%s-%u", i < D.writers ? "writer" : "reader",
			 th[i].idx);
		pthread_setname_np(th[i].tid, tname);
		started++;
	}
	gate_set(true);
	if (!err)
		sleep_s(D.duration);
	__atomic_store_n(&P.stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);

	memset(tot, 0, sizeof(*tot));
	for (unsigned i = 0; i < n; i++) {
		tot->puts += th[i].puts;
		tot->dels += th[i].dels;
		tot->del_misses += th[i].del_misses;
		tot->busy += th[i].busy;
		tot->gets += th[i].gets;
		tot->hits += th[i].hits;
		tot->wrong += th[i].wrong;
		tot->errors += th[i].errors;
		if (th[i].last_err)
			tot->last_err = th[i].last_err;
		close(th[i].fd);
	}
	return err;
}

/*
 * The table's contents against the records: every key present exactly
 * when its last successful write was a PUT, with that PUT's value.
 * Returns the number of differences (-errno if the dump failed); *@nkeys
 * gets the number of entries.
 */
static long check_contents(int fd, uint64_t *nkeys)
{
	__u32 len = 64 * 1024, count, bytes;
	__u64 cursor = 0;
	uint64_t expected = 0, shown = 0;
	bool *seen = calloc(D.keys, sizeof(*seen));
	long diffs = 0;
	void *buf = malloc(len);
	int err = 0;

	*nkeys = 0;
	if (!seen || !buf) {
		err = -ENOMEM;
		goto out;
	}
	while (cursor != CMAP_ITER_DONE) {
		const struct cmap_rec *rec;
		const void *k, *v;
		__u32 off = 0;

		err = cmapc_iter(fd, &cursor, buf, len, &count, &bytes);
		if (err == -EINTR)
			continue;
		if (err)
			goto out;
		while ((err = cmapc_rec_next(buf, bytes, &off, &rec, &k, &v)) > 0) {
			uint64_t key, version;
			const struct expect *x;

			(*nkeys)++;
			if (rec->key_len != sizeof(key)) {
				diffs++;
				continue;
			}
			memcpy(&key, k, sizeof(key));
			if (key >= D.keys || seen[key]) {
				diffs++;
				continue;
			}
			seen[key] = true;
			x = &P.expect[key];
			if (!x->present || !D.writers ||
			    !value_of(v, rec->value_len, (unsigned)(key % D.writers), &version) ||
			    version != x->version) {
				if (D.verbose && shown++ < 5)
					fprintf(stderr, "race-demo: key %" PRIu64 ": found "
						"%.*s, expected %s v%" PRIu64 "\n", key,
						(int)rec->value_len, (const char *)v,
						x->present ? "" : "nothing; last put",
						x->version);
				diffs++;
			}
		}
		if (err < 0)
			goto out;
	}
	err = 0;
	for (uint64_t k = 0; k < D.keys; k++) {
		if (P.expect[k].present)
			expected++;
		if (P.expect[k].present && !seen[k]) {
			if (D.verbose && shown++ < 5)
				fprintf(stderr, "race-demo: key %" PRIu64 ": missing, "
					"expected v%" PRIu64 "\n", k, P.expect[k].version);
			diffs++;
		}
	}
	(void)expected;
out:
	free(seen);
	free(buf);
	return err ? err : diffs;
}

/* What the table must hold, as `cmapctl --u64 dump` prints it. */
static int write_record(const char *suffix)
{
	char path[PATH_MAX], v[VALUE_LEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", D.record, suffix);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	for (uint64_t k = 0; k < D.keys; k++)
		if (P.expect[k].present) {
			make_value(v, (unsigned)(k % D.writers), P.expect[k].version);
			fprintf(f, "%" PRIu64 "\t%s\n", k, v);
		}
	if (fclose(f))
		return -errno;
	return 0;
}

/* ---- racetrace, the BPF side ------------------------------------------- */

struct tracer {
	pid_t pid;
	int fd;			/* its --ready-fd, our end */
	bool on;
	/* its counts (race.h), once it has stopped */
	bool have_counts;
#define RACE_COUNT_FIELD(n) uint64_t n;
	RACE_COUNTS(RACE_COUNT_FIELD)
#undef RACE_COUNT_FIELD
};

/* racetrace: $CMAP_RACETRACE, else next to this cmapctl, else on PATH. */
static const char *racetrace_path(char *buf, size_t size)
{
	const char *env = getenv("CMAP_RACETRACE");
	ssize_t n;
	char *slash;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", buf, size - sizeof("/racetrace"));
	if (n > 0) {
		buf[n] = 0;
		slash = strrchr(buf, '/');
		if (slash) {
			strcpy(slash, "/racetrace");
			if (!access(buf, X_OK))
				return buf;
		}
	}
	return "racetrace";
}

/* Read from racetrace's fd until a line starting with @want, or EOF. */
static bool tracer_read(struct tracer *tr, const char *want, char *line,
			size_t size, int timeout_s)
{
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { tr->fd, POLLIN, 0 };
		char *nl;
		ssize_t n;
		int r = poll(&pfd, 1, timeout_s * 1000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n = read(tr->fd, line + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		len += (size_t)n;
		line[len] = 0;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			if (!strncmp(line, want, strlen(want)))
				return true;
			len -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, len + 1);
		}
		if (len >= size - 1)
			len = 0;
	}
}

static bool tracer_start(struct tracer *tr, __u32 id)
{
	char path[PATH_MAX], idbuf[16], fdbuf[16], showbuf[16], line[256];
	const char *exe = racetrace_path(path, sizeof(path));
	int p[2];

	memset(tr, 0, sizeof(*tr));
	tr->fd = -1;
	if (pipe2(p, O_CLOEXEC))
		return false;
	fflush(stdout);
	fflush(stderr);
	tr->pid = fork();
	if (tr->pid < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (!tr->pid) {
		/* its own process group: a Ctrl-C stops the program, which
		 * then stops racetrace in order; and it dies with us */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(p[0]);
		if (p[1] != 3) {
			dup2(p[1], 3);
			close(p[1]);
		} else {
			fcntl(3, F_SETFD, 0);
		}
		snprintf(idbuf, sizeof(idbuf), "%u", id);
		snprintf(fdbuf, sizeof(fdbuf), "%d", 3);
		snprintf(showbuf, sizeof(showbuf), "%d", D.show);
		execlp(exe, "racetrace", "--id", idbuf, "--ready-fd", fdbuf,
		       "--show", showbuf, "--device", D.device,
		       D.verbose ? "-v" : NULL, (char *)NULL);
		fprintf(stderr, "race-demo: cannot run %s: %s (install racetrace next to cmapctl or on PATH, or set CMAP_RACETRACE)\n",
			exe, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	tr->fd = p[0];
	if (tracer_read(tr, "ready", line, sizeof(line), READY_TIMEOUT)) {
		tr->on = true;
		return true;
	}
	kill(tr->pid, SIGKILL);
	waitpid(tr->pid, NULL, 0);
	close(tr->fd);
	tr->fd = -1;
	tr->pid = 0;
	return false;
}

static uint64_t count_field(const char *line, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/* Stop racetrace: it prints its report and sends its counts. */
static void tracer_stop(struct tracer *tr)
{
	char line[1024];

	if (!tr->on)
		return;
	fflush(stdout);
	kill(tr->pid, SIGINT);
	if (tracer_read(tr, "counts", line, sizeof(line), 120)) {
		tr->have_counts = true;
#define RACE_COUNT_PARSE(n) tr->n = count_field(line, #n);
		RACE_COUNTS(RACE_COUNT_PARSE)
#undef RACE_COUNT_PARSE
	} else {
		kill(tr->pid, SIGKILL);
	}
	waitpid(tr->pid, NULL, 0);
	close(tr->fd);
	tr->on = false;
}

/* ---- one table ----------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("check:   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("  %s\n", ok ? "OK" : "FAIL");
	if (!ok)
		failures++;
}

/* Create @base (or @base.PID if taken); returns the control fd. */
static int make_table(const char *base, __u32 mode, char *name, __u32 *id)
{
	struct cmap_config cfg = { .size_hint = (__u32)D.keys, .mode = mode };
	char msg[256];
	int fd, err;

	fd = cmapc_dev_open(D.device);
	if (fd < 0) {
		fprintf(stderr, "cmapctl race-demo: %s\n",
			cmapc_errmsg(msg, sizeof(msg), CMAPC_CMD_DEVOPEN, 0, fd, D.device));
		return fd;
	}
	snprintf(name, CMAP_NAME_LEN, "%s", base);
	err = cmapc_create(fd, name, &cfg, id);
	if (err == -EEXIST) {
		snprintf(name, CMAP_NAME_LEN, "%s.%d", base, (int)getpid());
		err = cmapc_create(fd, name, &cfg, id);
	}
	if (err) {
		fprintf(stderr, "cmapctl race-demo: %s\n",
			cmapc_errmsg(msg, sizeof(msg), CMAP_IOC_CREATE, 0, err, name));
		close(fd);
		return err;
	}
	return fd;
}

static void print_counters_only(const struct cmap_stats *st, const char *why)
{
	printf("\nnote: %s: no stacks; the detections below are the module's "
	       "counters (STATS)\n", why);
	if (st->races)
		printf("\nfatal error: concurrent map writes  (x%llu)\n",
		       (unsigned long long)st->races);
	if (st->read_races)
		printf("fatal error: concurrent map read and map write  (x%llu)\n",
		       (unsigned long long)st->read_races);
	if (!st->races && !st->read_races)
		printf("no race detected\n");
}

/* The program on a fresh table of @mode: 0, or -errno if it could not run. */
static int run_table(int step, int steps, __u32 mode)
{
	bool rc = mode == CMAP_MODE_RACECHECK;
	unsigned n = D.writers + D.readers;
	struct thread *th = NULL;
	struct tracer tr = { .fd = -1 };
	struct totals t;
	struct cmap_stats st;
	char name[CMAP_NAME_LEN], msg[256];
	uint64_t nkeys = 0;
	long diffs;
	__u32 id;
	int fd, err;

	fd = make_table(rc ? TABLE_RC : TABLE_RCU, mode, name, &id);
	if (fd < 0)
		return fd;
	printf("\n== %d/%d: %s table \"%s\" ==\n", step, steps,
	       rc ? "a racecheck" : "the same program on an rcu", name);
	printf("   %s\n", rc ? "one writer at a time, like a Go map: a second writer is refused and reported" :
	       "RCU lookups and per-bucket locks: safe for concurrent writers");
	P.expect = calloc(D.keys, sizeof(*P.expect));
	th = aligned_alloc(64, sizeof(*th) * n);
	if (!P.expect || !th) {
		err = -ENOMEM;
		goto out;
	}

	if (D.no_bpf) {
		printf("   BPF: off (--no-bpf)\n");
	} else if (tracer_start(&tr, id)) {
		printf("   BPF: racetrace attached (pid %d): both threads' stacks of each detection\n",
		       (int)tr.pid);
	} else {
		printf("   BPF: racetrace could not attach (see its message above; "
		       "it needs root, or CAP_BPF and CAP_PERFMON)\n");
	}
	printf("   running %u writer%s and %u reader%s for %g s on %" PRIu64 " keys ...\n",
	       D.writers, D.writers == 1 ? "" : "s", D.readers,
	       D.readers == 1 ? "" : "s", D.duration, D.keys);
	fflush(stdout);

	err = run_program(name, th, n, &t);
	tracer_stop(&tr);
	if (err) {
		fprintf(stderr, "cmapctl race-demo: %s\n",
			cmapc_errmsg(msg, sizeof(msg), CMAP_IOC_OPEN, 0, err, name));
		goto out;
	}
	err = cmapc_stats(fd, 0, &st);
	if (err) {
		fprintf(stderr, "cmapctl race-demo: %s\n",
			cmapc_errmsg(msg, sizeof(msg), CMAP_IOC_STATS, 0, err, name));
		goto out;
	}
	if (!tr.have_counts && rc)
		print_counters_only(&st, D.no_bpf ? "BPF off" : "BPF unavailable");

	printf("\nprogram: %" PRIu64 " writes succeeded (%" PRIu64 " puts, %" PRIu64
	       " deletes), %" PRIu64 " refused with EBUSY%s, %" PRIu64 " failed;\n"
	       "         %" PRIu64 " reads (%" PRIu64 " hits), %" PRIu64 " wrong values\n",
	       t.puts + t.dels, t.puts, t.dels, t.busy,
	       t.busy ? " (each one a detection: Go would have crashed there)" : "",
	       t.errors, t.gets, t.hits, t.wrong);
	if (t.errors)
		printf("         last error: %s\n", cmapc_errno_name(t.last_err));
	printf("module:  STATS races %llu, read_races %llu; bucket locks contended "
	       "%llu of %llu acquisitions (%.2f%%)\n",
	       (unsigned long long)st.races, (unsigned long long)st.read_races,
	       (unsigned long long)st.lock_contended,
	       (unsigned long long)st.lock_acquisitions,
	       st.lock_acquisitions ? 100.0 * st.lock_contended / st.lock_acquisitions : 0);
	if (tr.have_counts)
		printf("BPF:     %" PRIu64 " write races, %" PRIu64 " read races, %" PRIu64
		       " holders seen; with stacks %" PRIu64 " + %" PRIu64 " + %" PRIu64
		       ", lost %" PRIu64 " + %" PRIu64 " + %" PRIu64 "; %" PRIu64
		       " contended bucket locks\n",
		       tr.write, tr.read, tr.holder, tr.got_write, tr.got_read,
		       tr.got_holder, tr.lost_write, tr.lost_read, tr.lost_holder,
		       tr.contention);

	check(!t.errors && !t.wrong, "no failed operation, no wrong value: %" PRIu64
	      " failed, %" PRIu64 " wrong", t.errors, t.wrong);
	check(t.busy == st.races, "writes refused == STATS races: %" PRIu64 " == %llu",
	      t.busy, (unsigned long long)st.races);
	if (!rc)
		check(!st.races && !st.read_races, "no race on the rcu table: races %llu, "
		      "read_races %llu", (unsigned long long)st.races,
		      (unsigned long long)st.read_races);
	if (tr.have_counts) {
		check(tr.write == st.races && tr.read == st.read_races && !tr.misses,
		      "STATS == BPF: races %llu == %" PRIu64 ", read_races %llu == %"
		      PRIu64 " (BPF misses %" PRIu64 ")", (unsigned long long)st.races,
		      tr.write, (unsigned long long)st.read_races, tr.read, tr.misses);
		check(tr.got_write + tr.lost_write == tr.write &&
		      tr.got_read + tr.lost_read == tr.read &&
		      tr.got_holder + tr.lost_holder == tr.holder,
		      "BPF events delivered + lost == counted: %" PRIu64 " + %" PRIu64
		      " == %" PRIu64 ", %" PRIu64 " + %" PRIu64 " == %" PRIu64,
		      tr.got_write, tr.lost_write, tr.write, tr.got_read,
		      tr.lost_read, tr.read);
		check(tr.contention == st.lock_contended,
		      "STATS lock_contended == BPF cmap:contention events: %llu == %"
		      PRIu64, (unsigned long long)st.lock_contended, tr.contention);
	}
	diffs = check_contents(fd, &nkeys);
	if (diffs < 0) {
		fprintf(stderr, "cmapctl race-demo: %s\n",
			cmapc_errmsg(msg, sizeof(msg), CMAP_IOC_ITER, 0, (int)diffs, name));
		failures++;
	} else {
		check(!diffs && nkeys == st.entries,
		      "table contents == the successful writes: %" PRIu64 " keys, %ld "
		      "differences", nkeys, diffs);
	}
	if (D.record && (err = write_record(rc ? "racecheck" : "rcu"))) {
		fprintf(stderr, "cmapctl race-demo: %s.%s: %s\n", D.record,
			rc ? "racecheck" : "rcu", strerror(-err));
		failures++;
	}
	err = 0;
out:
	if (fd >= 0 && D.keep) {
		printf("kept:    table \"%s\"\n", name);
		close(fd);
	} else if (fd >= 0) {
		if (cmapc_destroy(fd, name, NULL))
			fprintf(stderr, "cmapctl race-demo: could not destroy table %s\n", name);
		close(fd);
	}
	free(P.expect);
	P.expect = NULL;
	free(th);
	return err;
}

int race_demo_run(const char *device, bool verbose)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	int steps = D.racecheck_only ? 1 : 2;

	D.device = device ? device : CMAP_DEVICE;
	D.verbose = verbose;
	if (!D.seed)
		D.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("race-demo: Go's concurrent map writes, on cmap: %u writer and %u "
	       "reader threads on one table\n", D.writers, D.readers);
	printf("   for i := 0; i < %u; i++ { go func() { for { m[k] = v } }() }\n", D.writers);
	printf("   for i := 0; i < %u; i++ { go func() { for { _ = m[k] } }() }\n", D.readers);
	if (run_table(1, steps, CMAP_MODE_RACECHECK))
		return 1;
	if (!interrupted && !D.racecheck_only && run_table(2, steps, CMAP_MODE_RCU))
		return 1;
	printf("\nrace-demo: %s\n", failures ? "FAILED: see the checks above" :
	       "every check passed");
	fflush(stdout);
	return failures ? 1 : 0;
}
