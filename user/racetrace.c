// SPDX-License-Identifier: GPL-2.0
/*
 * racetrace: who collided in a racecheck table.  Prints each detection the
 * way Go's runtime reports "fatal error: concurrent map writes" (and
 * "concurrent map read and map write"), with both tasks' kernel and user
 * stacks, and exact counts checked against the module's (traced with BPF:
 * bpf/race.bpf.c; the contract is race.h).
 *
 *   racetrace -t NAME              until Ctrl-C, then the report
 *   racetrace -t NAME -D 10        for 10 seconds
 *   racetrace                      every table
 *
 * `cmapctl race-demo` runs it around its racy program (--ready-fd: it says
 * "ready" there once attached and its counts there at the end).  A tool
 * of its own so that cmapctl needs neither libbpf nor a BPF toolchain.
 *
 * User frames are walked through frame pointers: build the traced program
 * with -fno-omit-frame-pointer (cmapctl is).  Kernel frames are named from
 * /proc/kallsyms, user frames through elfutils (trace_helpers).
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "libcmap.h"
#include "race.h"
#include "race.skel.h"
#include "trace_helpers.h"
#include "version.h"

#define KEEP		64	/* detections of each kind kept to choose from */
#define RECENT		256	/* write races remembered for their holders */

static struct env {
	const char *table;
	const char *device;
	__u32 id;
	double duration;	/* 0: until SIGINT/SIGTERM */
	int show;		/* detections of each kind printed in full */
	int top;		/* contended buckets listed */
	int ready_fd;		/* -1: none */
	bool verbose;
} env = {
	.device = CMAP_DEVICE,
	.show = 3,
	.top = 5,
	.ready_fd = -1,
};

/* ---- options --------------------------------------------------------- */

const char *argp_program_version = "racetrace " CMAP_VERSION;
static const char doc[] =
"Report the races a racecheck cmap table detects, Go style: both tasks, "
"both stacks, and the counts, checked against the module's.\v"
"Runs until Ctrl-C (or --duration), then prints the first detections in "
"full and counts the rest.  Needs root, or CAP_BPF and CAP_PERFMON.\n"
"\n"
"Exit status: 0 success, 1 the -t table does not exist, 2 any other "
"error (bad usage, BPF cannot be loaded or attached).\n"
"\n"
"Examples:\n"
"  racetrace -t demo                # until Ctrl-C\n"
"  racetrace -t demo -D 10 --show 1\n"
"  cmapctl race-demo                # runs racetrace around a racy program";

enum { OPT_SHOW = 0x100, OPT_TOP, OPT_READY_FD, OPT_ID };

static const struct argp_option opts[] = {
	{ "table", 't', "NAME", 0, "Trace only table NAME (default: every table)", 0 },
	{ "id", OPT_ID, "ID", 0, "Trace only the table of id ID", 0 },
	{ "duration", 'D', "SEC", 0, "Stop after SEC seconds (default: at Ctrl-C)", 0 },
	{ "show", OPT_SHOW, "N", 0, "Detections of each kind printed in full (default 3)", 0 },
	{ "top", OPT_TOP, "N", 0, "Contended buckets listed (default 5; 0: none)", 0 },
	{ "ready-fd", OPT_READY_FD, "FD", 0, "Write \"ready\" to FD once attached, and the counts at the end", 0 },
	{ "device", 'd', "PATH", 0, "The cmap device (default " CMAP_DEVICE ")", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 't':
		env.table = arg;
		break;
	case OPT_ID:
		env.id = (__u32)cmapc_arg_size(state, "--id", arg, 1, 1, UINT32_MAX);
		break;
	case 'D':
		env.duration = cmapc_arg_double(state, "--duration", arg, 0.001, 1e9);
		break;
	case 'd': {
		char *end;

		/*
		 * -d is --device, as in cmapctl.  It used to be --duration:
		 * a number that names no file is still taken as one.
		 */
		(void)strtod(arg, &end);
		if (end != arg && !*end && access(arg, F_OK)) {
			fprintf(stderr, "racetrace: -d SEC is deprecated: use -D SEC (-d is --device)\n");
			env.duration = cmapc_arg_double(state, "--duration", arg, 0.001, 1e9);
			break;
		}
		env.device = arg;
		break;
	}
	case OPT_SHOW:
		env.show = (int)cmapc_arg_size(state, "--show", arg, 1000, 0, KEEP);
		break;
	case OPT_TOP:
		env.top = (int)cmapc_arg_size(state, "--top", arg, 1000, 0, 1000);
		break;
	case OPT_READY_FD:
		env.ready_fd = (int)cmapc_arg_size(state, "--ready-fd", arg, 1, 0, 65535);
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_usage(state);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- events ---------------------------------------------------------- */

/* A detection kept for the report, with its holder's answer if it came. */
struct kept {
	struct race_event ev;
	struct race_event holder;
	bool has_holder;
};

static struct {
	struct kept writes[KEEP];	/* the first ones */
	int nwrites;
	struct kept paired[KEEP];	/* the first with both stacks */
	int npaired;
	struct race_event recent[RECENT];	/* the last ones, a ring */
	unsigned nrecent;
	struct kept reads[KEEP];		/* the first ones */
	int nreads;
	__u64 got[RACE_EV_HOLDER + 1];	/* delivered, per type */
} R;

static struct ksyms *ksyms;
static struct usyms *usyms;

static void keep(struct kept *k, const struct race_event *e)
{
	memset(k, 0, sizeof(*k));
	k->ev = *e;
	/* read its modules while it runs: it may have exited at the end */
	if (e->nustack > 0)
		usyms_prepare(usyms, (pid_t)e->pid);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct race_event *e = data;

	(void)ctx;
	if (size < sizeof(*e) || e->type < RACE_EV_WRITE || e->type > RACE_EV_HOLDER)
		return 0;
	R.got[e->type]++;
	switch (e->type) {
	case RACE_EV_WRITE:
		if (R.nwrites < KEEP)
			keep(&R.writes[R.nwrites++], e);
		R.recent[R.nrecent++ % RECENT] = *e;
		break;
	case RACE_EV_READ:
		if (R.nreads < KEEP)
			keep(&R.reads[R.nreads++], e);
		break;
	case RACE_EV_HOLDER:
		/*
		 * Its race came shortly before (the writer answers as it
		 * leaves); a holder's seq is the race's low 32 bits.
		 */
		for (unsigned i = 0; i < RECENT && i < R.nrecent; i++) {
			const struct race_event *r = &R.recent[(R.nrecent - 1 - i) % RECENT];
			struct kept *k;

			if (r->table != e->table || (__u32)r->seq != (__u32)e->seq ||
			    r->writer_tid != e->writer_tid)
				continue;
			if (R.npaired < KEEP) {
				k = &R.paired[R.npaired++];
				keep(k, r);
				k->holder = *e;
				k->has_holder = true;
				if (e->nustack > 0)
					usyms_prepare(usyms, (pid_t)e->pid);
			}
			return 0;
		}
		break;
	}
	return 0;
}

/* ---- the report -------------------------------------------------------- */

static const char *op_name(__u32 op)
{
	static const char *const names[] = { "?", "PUT", "GET", "DELETE", "CLEAR" };

	return names[op <= RACE_OP_CLEAR ? op : 0];
}

/* Frames of the tracing machinery, above the tracepoint's caller. */
static bool tracing_frame(const char *sym)
{
	return !strncmp(sym, "bpf_", 4) || !strncmp(sym, "__bpf", 5) ||
	       !strncmp(sym, "0x", 2) || strstr(sym, "[bpf]") ||
	       !strncmp(sym, "perf_", 5) || !strncmp(sym, "__traceiter_", 12) ||
	       !strncmp(sym, "trace_call_bpf", 14);
}

static void print_stack(FILE *f, const struct race_event *e)
{
	char buf[256];
	int i = 0, n = e->nkstack;

	if (n < 0) {
		fprintf(f, "\t(kernel stack not captured: %s)\n", strerror(-n));
	} else {
		if (n > RACE_STACK_DEPTH)
			n = RACE_STACK_DEPTH;
		for (; i < n; i++)	/* skip BPF's own frames */
			if (!tracing_frame(ksym_format(ksyms, e->kstack[i], buf, sizeof(buf))))
				break;
		if (i == n)
			i = 0;
		for (; i < n; i++)
			fprintf(f, "\t%s\n", ksym_format(ksyms, e->kstack[i], buf, sizeof(buf)));
	}
	n = e->nustack;
	if (!n) {
		fprintf(f, "\t(no user stack: a kernel thread)\n");
		return;
	}
	if (n < 0) {
		fprintf(f, "\t(user stack not captured: %s)\n", strerror(-n));
		return;
	}
	if (n > RACE_STACK_DEPTH)
		n = RACE_STACK_DEPTH;
	for (i = 0; i < n; i++)
		fprintf(f, "\t%s\n", usyms_format(usyms, (pid_t)e->pid, e->ustack[i],
						  buf, sizeof(buf)));
}

static const char *table_name(__u32 id)
{
	static char name[CMAP_NAME_LEN + 16];
	static __u32 cached;
	struct cmap_stats st;
	int fd;

	if (cached == id)
		return name;
	snprintf(name, sizeof(name), "id %u", id);
	fd = cmapc_dev_open(env.device);
	if (fd >= 0) {
		if (!cmapc_stats(fd, id, &st))
			snprintf(name, sizeof(name), "%s", st.name);
		close(fd);
	}
	cached = id;
	return name;
}

static void print_detection(FILE *f, const struct kept *k)
{
	const struct race_event *e = &k->ev;
	bool read = e->type == RACE_EV_READ;

	fprintf(f, "\nfatal error: %s  (table %s, race #%llu)\n\n",
		read ? "concurrent map read and map write" : "concurrent map writes",
		table_name(e->table), (unsigned long long)e->seq);
	fprintf(f, "goroutine %d [%s, %s, %s]:\n", e->intruder_tid,
		e->intruder_comm, read ? "reading" : "writing", op_name(e->intruder_op));
	print_stack(f, e);
	if (!e->writer_tid) {
		/* the module read the writer's pid after the check: it left */
		fprintf(f, "\ngoroutine ? [%s, holding the table, %s]:\n"
			"\t(it left the table while the report was made; the comm "
			"and op may be the previous writer's)\n", e->writer_comm,
			op_name(e->writer_op));
		return;
	}
	fprintf(f, "\ngoroutine %d [%s, holding the table, %s]:\n", e->writer_tid,
		e->writer_comm, op_name(e->writer_op));
	if (k->has_holder)
		print_stack(f, &k->holder);
	else if (read)
		fprintf(f, "\t(not captured: a lookup does not ask the writer for "
			"its stack; write/write races do)\n");
	else
		fprintf(f, "\t(not captured: it left the table before the report "
			"reached it)\n");
}

/*
 * The first env.show reads of @k[0..@n): those whose writer was still
 * known and whose pair of threads was not shown yet first.
 */
static int print_kept(FILE *f, const struct kept *k, int n)
{
	bool shown[KEEP] = {};
	int m = 0;

	/* known writers and new pairs of threads first, then any */
	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < n && m < env.show; i++) {
			bool seen = false;

			for (int j = 0; j < n && pass < 1; j++)
				seen |= shown[j] && k[j].ev.tid == k[i].ev.tid &&
					k[j].ev.writer_tid == k[i].ev.writer_tid;
			if (!shown[i] && !seen && (pass == 2 || k[i].ev.writer_tid)) {
				shown[i] = true;
				m++;
			}
		}
	for (int i = 0; i < n; i++)
		if (shown[i])
			print_detection(f, &k[i]);
	return m;
}

/* The first write/write races with both stacks, then the first others. */
static int print_writes(FILE *f)
{
	int m = 0;

	for (int i = 0; i < R.npaired && m < env.show; i++, m++)
		print_detection(f, &R.paired[i]);
	for (int i = 0; i < R.nwrites && m < env.show; i++) {
		bool dup = false;

		for (int j = 0; j < R.npaired && j < env.show; j++)
			dup |= R.paired[j].ev.seq == R.writes[i].ev.seq;
		if (!dup) {
			print_detection(f, &R.writes[i]);
			m++;
		}
	}
	return m;
}

struct bucket {
	struct race_bucket_key k;
	struct race_bucket_val v;
};

static int bucket_cmp(const void *a, const void *b)
{
	const struct bucket *x = a, *y = b;

	if (x->v.contended != y->v.contended)
		return x->v.contended < y->v.contended ? 1 : -1;
	return x->v.wait_ns < y->v.wait_ns ? 1 : x->v.wait_ns > y->v.wait_ns ? -1 : 0;
}

static void print_buckets(FILE *f, struct race_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.buckets);
	struct race_bucket_key key, next;
	struct bucket *b = NULL;
	size_t n = 0, cap = 0;
	bool first = true;
	__u64 total = 0;
	char w1[32], w2[32];

	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (n == cap) {
			struct bucket *p = realloc(b, (cap ? 2 * cap : 256) * sizeof(*b));

			if (!p)
				break;
			b = p;
			cap = cap ? 2 * cap : 256;
		}
		if (!bpf_map_lookup_elem(fd, &key, &b[n].v)) {
			b[n].k = key;
			total += b[n].v.contended;
			n++;
		}
	}
	if (!n) {
		fprintf(f, "\nbucket locks: no contended acquisition traced\n");
		free(b);
		return;
	}
	qsort(b, n, sizeof(*b), bucket_cmp);
	fprintf(f, "\nbucket locks: %llu contended acquisitions traced in %zu buckets; the top %zu:\n",
		(unsigned long long)total, n, n < (size_t)env.top ? n : (size_t)env.top);
	fprintf(f, "  %-24s %8s %10s %12s %10s\n", "table", "bucket", "contended",
		"wait total", "wait max");
	for (size_t i = 0; i < n && i < (size_t)env.top; i++)
		fprintf(f, "  %-24s %8u %10llu %12s %10s\n", table_name(b[i].k.table),
			b[i].k.bucket, (unsigned long long)b[i].v.contended,
			fmt_ns(w1, sizeof(w1), (double)b[i].v.wait_ns),
			fmt_ns(w2, sizeof(w2), (double)b[i].v.wait_max));
	free(b);
}

/* The programs' recursion misses (events BPF could not see): 0 expected. */
static __u64 prog_misses(struct race_bpf *skel)
{
	struct bpf_program *prog;
	__u64 sum = 0;

	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

static void report(FILE *f, struct race_bpf *skel)
{
	const __u64 *c = (const __u64 *)skel->bss->counts;
	__u64 w = c[RACE_CNT_WRITE], r = c[RACE_CNT_READ];
	const char *what = env.id ? table_name(env.id) : "every table";

	__u64 sw = print_writes(f);
	__u64 sr = print_kept(f, R.reads, R.nreads);

	if (w || r) {
		fprintf(f, "\n");
		if (w > sw || r > sr)
			fprintf(f, "... and %llu more concurrent map writes, %llu more "
				"concurrent map read and map write (not shown)\n",
				(unsigned long long)(w > sw ? w - sw : 0),
				(unsigned long long)(r > sr ? r - sr : 0));
	}
	fprintf(f, "racetrace: %s: %llu concurrent map writes, %llu concurrent "
		"map read and map write%s\n", what, (unsigned long long)w,
		(unsigned long long)r, w || r ? "" : ": ran clean");
	fprintf(f, "racetrace: stacks delivered for %llu + %llu of them and %llu "
		"holders; lost (ring buffer full) %llu + %llu and %llu; failed "
		"captures: kernel %llu, user %llu; BPF misses %llu\n",
		(unsigned long long)R.got[RACE_EV_WRITE],
		(unsigned long long)R.got[RACE_EV_READ],
		(unsigned long long)R.got[RACE_EV_HOLDER],
		(unsigned long long)c[RACE_CNT_LOST_WRITE],
		(unsigned long long)c[RACE_CNT_LOST_READ],
		(unsigned long long)c[RACE_CNT_LOST_HOLDER],
		(unsigned long long)c[RACE_CNT_KSTACK_ERR],
		(unsigned long long)c[RACE_CNT_USTACK_ERR],
		(unsigned long long)prog_misses(skel));
	if (env.top)
		print_buckets(f, skel);
}

/* The counts, for `cmapctl race-demo`: one line (race.h RACE_COUNTS). */
static void report_counts(int fd, struct race_bpf *skel)
{
#define RACE_COUNT_NAME(n) #n,
	static const char *const names[] = { RACE_COUNTS(RACE_COUNT_NAME) };
#undef RACE_COUNT_NAME
	const __u64 *c = (const __u64 *)skel->bss->counts;
	const __u64 v[] = {
		c[RACE_CNT_WRITE], c[RACE_CNT_READ], c[RACE_CNT_HOLDER],
		R.got[RACE_EV_WRITE], R.got[RACE_EV_READ], R.got[RACE_EV_HOLDER],
		c[RACE_CNT_LOST_WRITE], c[RACE_CNT_LOST_READ],
		c[RACE_CNT_LOST_HOLDER], c[RACE_CNT_KSTACK_ERR],
		c[RACE_CNT_USTACK_ERR], c[RACE_CNT_CONTENTION],
		prog_misses(skel),
	};
	size_t i;

	_Static_assert(sizeof(v) / sizeof(v[0]) ==
		       sizeof(names) / sizeof(names[0]),
		       "a value for every RACE_COUNTS name");
	dprintf(fd, "counts");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		dprintf(fd, " %s=%llu", names[i], (unsigned long long)v[i]);
	dprintf(fd, "\n");
}

static void *ksyms_loader(void *arg)
{
	(void)arg;
	ksyms = ksyms_load_or_warn("racetrace");
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_arg, NULL, doc, NULL, NULL, NULL };
	struct ring_buffer *rb = NULL;
	struct race_bpf *skel = NULL;
	pthread_t ksyms_thread;
	bool ksyms_started = false;
	double end;
	int err;

	argp_err_exit_status = CMAPC_EXIT_ERROR;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return CMAPC_EXIT_ERROR;
	if (env.table) {
		const char *why;
		int fd;

		if (cmapc_check_name(env.table, &why)) {
			fprintf(stderr, "racetrace: bad table name '%s': %s\n", env.table, why);
			return CMAPC_EXIT_ERROR;
		}
		fd = cmapc_dev_open(env.device);
		err = fd < 0 ? fd : cmapc_open(fd, env.table, &env.id);
		if (err) {
			char msg[256];

			fprintf(stderr, "racetrace: %s\n",
				cmapc_errmsg(msg, sizeof(msg), fd < 0 ? CMAPC_CMD_DEVOPEN :
					    CMAP_IOC_OPEN, 0, err,
					    fd < 0 ? env.device : env.table));
			return cmapc_exit_status(fd < 0 ? CMAPC_CMD_DEVOPEN :
						CMAP_IOC_OPEN, err);
		}
		close(fd);
	}
	trace_setup(env.verbose);

	usyms = usyms_new();
	if (!usyms) {
		fprintf(stderr, "racetrace: out of memory\n");
		return CMAPC_EXIT_ERROR;
	}

	skel = race_bpf__open();
	err = (int)libbpf_get_error(skel);
	if (err) {
		skel = NULL;
		fprintf(stderr, "racetrace: cannot open the BPF object: %s\n", strerror(-err));
		err = CMAPC_EXIT_ERROR;
		goto cleanup;
	}
	skel->rodata->targ_table = env.id;
	err = race_bpf__load(skel);
	if (err) {
		fprintf(stderr, "racetrace: cannot load the BPF programs: %s%s\n",
			strerror(-err), bpf_perm_hint(err));
		err = CMAPC_EXIT_ERROR;
		goto cleanup;
	}
	err = race_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "racetrace: cannot attach to the cmap tracepoints: %s%s\n",
			strerror(-err), module_is_live("cmap") ? "" :
			" (cmap.ko is not loaded)");
		err = CMAPC_EXIT_ERROR;
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	err = (int)libbpf_get_error(rb);
	if (err) {
		rb = NULL;
		fprintf(stderr, "racetrace: cannot open the ring buffer: %s\n", strerror(-err));
		err = CMAPC_EXIT_ERROR;
		goto cleanup;
	}
	if (env.ready_fd >= 0)
		dprintf(env.ready_fd, "ready\n");
	if (env.verbose || env.ready_fd < 0)
		fprintf(stderr, "racetrace: tracing %s%s; Ctrl-C to stop\n",
			env.table ? "table " : "", env.table ? env.table : "every table");
	/*
	 * Kernel symbols are only needed for the report, and reading them
	 * takes seconds under TCG: in a thread, while this one drains the
	 * ring buffer (a stalled consumer loses events).
	 */
	if ((err = pthread_create(&ksyms_thread, NULL, ksyms_loader, NULL)))
		ksyms_loader(NULL);
	else
		ksyms_started = true;

	end = env.duration ? now_s() + env.duration : 0;
	while (!exiting && (!end || now_s() < end)) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "racetrace: polling the ring buffer: %s\n", strerror(-err));
			break;
		}
	}
	/* detach first: the counts then stay still while the rest drains */
	race_bpf__detach(skel);
	ring_buffer__consume(rb);
	if (ksyms_started)
		pthread_join(ksyms_thread, NULL);
	report(stdout, skel);
	fflush(stdout);
	if (env.ready_fd >= 0)
		report_counts(env.ready_fd, skel);
	err = 0;
cleanup:
	ring_buffer__free(rb);
	race_bpf__destroy(skel);
	usyms_free(usyms);
	ksyms_free(ksyms);
	return err;
}
