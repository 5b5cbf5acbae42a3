// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat: live view of cmap tables and of the contention of their bucket
 * locks, traced with BPF (bpf/mapstat.bpf.c; the contract is mapstat.h).
 *
 *   mapstat                       live view (ncurses) on a terminal
 *   mapstat -b -n 5 -i 2          plain text, like `top -b`
 *   mapstat --json -n 3 -i 1      one JSON object per interval
 *   mapstat 1 3                   three reports, 1 s apart (bcc style)
 *   mapstat -t NAME               only that table
 *   mapstat -p PID, --comm COMM   only that process's contention
 *   mapstat --prometheus FILE     also write node_exporter textfile metrics
 *   mapstat --folded FILE         also write folded stacks (flame graphs)
 *
 * Sources: the table list and the module's own counters come from the
 * CMAP_IOC_LIST and CMAP_IOC_STATS ioctls; the per-bucket, per-key,
 * per-task and per-stack contention from BPF, attached with fentry when
 * cmap.ko has BTF and with a kprobe otherwise (the header says which).
 *
 * Interval figures are deltas of cumulative BPF maps between two reads;
 * nothing is reset in the kernel, so no event is lost between intervals.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <curses.h>
#include <json-c/json.h>

#include "cmap_util.h"
#include "mapstat.h"
#include "mapstat.skel.h"
#include "trace_helpers.h"
#include "version.h"

#define MODULE_NAME	"cmap"

enum sort_by { SORT_CONT, SORT_WAIT, SORT_MAX, SORT_NR };
static const char *const sort_name[SORT_NR] = { "contended", "wait", "max" };

static struct env {
	bool batch;
	bool json;
	bool verbose;
	bool cumulative;
	bool force_kprobe;
	long count;		/* intervals; 0: until interrupted */
	double interval;	/* seconds */
	const char *table;
	const char *device;
	const char *prom;
	bool key_labels;	/* --key-labels: per-key Prometheus series */
	const char *folded;
	bool folded_wait;	/* --folded-weight wait: weigh by wait ns */
	__u32 pid;		/* 0: every process */
	const char *comm;	/* NULL: every comm */
	int nargs;		/* positional arguments seen */
	int top;
	int stacks;
	unsigned long stack_period;
	enum sort_by sort;
} env = {
	.stack_period = 16,
	.interval = 1.0,
	.top = 10,
	.stacks = 5,
};

/* ---- options --------------------------------------------------------- */

const char *argp_program_version = "mapstat " CMAP_VERSION;
static const char args_doc[] = "[INTERVAL [COUNT]]";
static const char doc[] =
"Live view of cmap tables and their bucket-lock contention, traced with BPF.\n"
"\n"
"INTERVAL and COUNT, as in bcc's tools, are -i and -n: `mapstat 1 3` "
"reports three times, a second apart.  Needs root, or CAP_BPF and "
"CAP_PERFMON (and access to the cmap device).\n"
"\n"
"Exit status: 0 success (also when stopped by Ctrl-C or q), 2 any error "
"(bad usage, BPF cannot be loaded or attached).\n"
"\n"
"Interactive keys: q quit, p pause, s sort (contended/wait/max), t next\n"
"table, Up/Down select a stack, Enter expand it, h help.\n"
"\n"
"Examples:\n"
"  mapstat                          # live view\n"
"  mapstat -b -n 5 -i 2             # 5 plain-text reports, 2 s apart\n"
"  mapstat -b 2 5                   # the same\n"
"  mapstat -b -p 1234               # only process 1234's contention\n"
"  mapstat --json -n 3 -i 1         # JSON, one object per interval\n"
"  mapstat -t bench --prometheus /var/lib/prometheus/node-exporter/cmap.prom\n"
"  mapstat -b -n 10 --folded out.folded; flamegraph.pl out.folded >f.svg";

enum {
	OPT_JSON = 0x100,
	OPT_PROM,
	OPT_FOLDED,
	OPT_KPROBE,
	OPT_TOP,
	OPT_STACKS,
	OPT_SORT,
	OPT_STACK_PERIOD,
	OPT_COMM,
	OPT_KEY_LABELS,
	OPT_FOLDED_WEIGHT,
};

static const struct argp_option opts[] = {
	{ "batch", 'b', NULL, 0, "Plain text output (also when stdout is not a terminal)", 0 },
	{ "iterations", 'n', "N", 0, "Stop after N intervals (default: until Ctrl-C)", 0 },
	{ "interval", 'i', "SEC", 0, "Seconds between reports (default 1)", 0 },
	{ "table", 't', "NAME", 0, "Show only table NAME", 0 },
	{ "pid", 'p', "PID", 0, "Trace only the contention of process PID (its threads); resizes stay per table", 0 },
	{ "comm", OPT_COMM, "COMM", 0, "Trace only tasks named COMM (exact, at most 15 bytes); with -p, both must match", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per interval, one per line", 0 },
	{ "prometheus", OPT_PROM, "FILE", 0, "Write node_exporter textfile metrics to FILE each interval (atomically)", 0 },
	{ "key-labels", OPT_KEY_LABELS, NULL, 0, "With --prometheus: also the wait of the top keys, with the key as a label (user data in the TSDB; --top series per table)", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Write folded stacks (one frame per function, totals since attach) to FILE each interval ('-': stdout)", 0 },
	{ "folded-weight", OPT_FOLDED_WEIGHT, "KIND", 0, "Weigh each folded stack by contended (acquisitions, default) or wait (nanoseconds waited)", 0 },
	{ "cumulative", 'c', NULL, 0, "Rank and show totals since attach instead of interval deltas", 0 },
	{ "top", OPT_TOP, "N", 0, "Rows per top list (default 10)", 0 },
	{ "stacks", OPT_STACKS, "N", 0, "Stacks shown in batch output (default 5)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Rank by contended (default), wait or max", 0 },
	{ "kprobe", OPT_KPROBE, NULL, 0, "Attach with a kprobe even if cmap.ko has BTF", 0 },
	{ "stack-period", OPT_STACK_PERIOD, "N", 0, "Walk a task's stacks on one contended acquisition in N and reuse them in between (default 16; 1: every one, exact but the walks then dominate the cost)", 0 },
	{ "device", 'd', "PATH", 0, "The cmap device (default " CMAP_DEVICE ")", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'b':
		env.batch = true;
		break;
	case 'n':
		env.count = (long)cmap_arg_size(state, "--iterations", arg, 1000, 0, LONG_MAX);
		break;
	case 'i':
		env.interval = cmap_arg_double(state, "--interval", arg, 0.05, 3600);
		break;
	case 't':
		env.table = arg;
		break;
	case 'c':
		env.cumulative = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case OPT_PROM:
		env.prom = arg;
		break;
	case OPT_KEY_LABELS:
		env.key_labels = true;
		break;
	case OPT_FOLDED:
		env.folded = arg;
		break;
	case OPT_FOLDED_WEIGHT:
		if (!strcmp(arg, "wait"))
			env.folded_wait = true;
		else if (!strcmp(arg, "contended"))
			env.folded_wait = false;
		else
			argp_error(state, "invalid --folded-weight '%s' (contended or wait)", arg);
		break;
	case OPT_KPROBE:
		env.force_kprobe = true;
		break;
	case OPT_TOP:
		env.top = (int)cmap_arg_size(state, "--top", arg, 1000, 0, 1000);
		break;
	case OPT_STACKS:
		env.stacks = (int)cmap_arg_size(state, "--stacks", arg, 1000, 0, 1000);
		break;
	case OPT_SORT:
		for (int i = 0; i <= SORT_NR; i++) {
			if (i == SORT_NR)
				argp_error(state, "bad sort key '%s'", arg);
			if (!strcmp(arg, sort_name[i])) {
				env.sort = i;
				break;
			}
		}
		break;
	case 'd':
		env.device = arg;
		break;
	case 'p':
		env.pid = (__u32)cmap_arg_size(state, "--pid", arg, 1, 1, INT_MAX);
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) >= MAPSTAT_COMM_LEN)
			argp_error(state, "invalid --comm '%s': must be 1..%d bytes (a task's comm)",
				   arg, MAPSTAT_COMM_LEN - 1);
		env.comm = arg;
		break;
	case OPT_STACK_PERIOD:
		env.stack_period = cmap_arg_size(state, "--stack-period", arg, 1000, 1, 1 << 20);
		break;
	case ARGP_KEY_ARG:
		/* bcc style: [interval [count]] */
		if (env.nargs == 0)
			env.interval = cmap_arg_double(state, "INTERVAL", arg, 0.05, 3600);
		else if (env.nargs == 1)
			env.count = (long)cmap_arg_size(state, "COUNT", arg, 1, 1, LONG_MAX);
		else
			argp_error(state, "too many arguments (at most INTERVAL COUNT)");
		env.nargs++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- BPF lifecycle --------------------------------------------------- */

static struct bpf {
	struct mapstat_bpf *skel;
	struct ring_buffer *rb;
	const char *mode;	/* "fentry" or "kprobe" */
	bool module_btf;
	double attached_at;
} B;

static int handle_event(void *ctx, void *data, size_t size);

static void bpf_detach(void)
{
	ring_buffer__free(B.rb);
	B.rb = NULL;
	mapstat_bpf__destroy(B.skel);
	B.skel = NULL;
	B.mode = NULL;
}

/*
 * Open, load and attach, with fentry if @fentry.  The tracepoints are
 * attached before the entry probe: an event the entry missed is still
 * counted (as a bucket of unknown array), never the other way round.
 */
static int bpf_try_attach(bool fentry, char *why, size_t whylen)
{
	struct mapstat_bpf *skel;
	struct bpf_link *l;
	int err;

	skel = mapstat_bpf__open();
	err = (int)libbpf_get_error(skel);
	if (err) {
		snprintf(why, whylen, "cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	skel->rodata->stack_period = (__u32)env.stack_period;
	skel->rodata->targ_tgid = env.pid;
	if (env.comm) {
		skel->rodata->filter_comm = true;
		strncpy((char *)skel->rodata->targ_comm, env.comm,
			sizeof(skel->rodata->targ_comm) - 1);
	}
	bpf_program__set_autoload(skel->progs.ms_entry_fentry, fentry);
	bpf_program__set_autoload(skel->progs.ms_entry_kprobe, !fentry);
	err = mapstat_bpf__load(skel);
	if (err) {
		snprintf(why, whylen, "cannot load the BPF programs (%s): %s%s",
			 fentry ? "fentry" : "kprobe", strerror(-err),
			 bpf_perm_hint(err));
		goto fail;
	}
	/* Tracepoints first, then the entry probe. */
	struct bpf_program *order[] = {
		skel->progs.ms_contention, skel->progs.ms_resize_start,
		skel->progs.ms_resize_end, skel->progs.ms_race,
		skel->progs.ms_race_holder,
		fentry ? skel->progs.ms_entry_fentry : skel->progs.ms_entry_kprobe,
	};
	struct bpf_link **links[] = {
		&skel->links.ms_contention, &skel->links.ms_resize_start,
		&skel->links.ms_resize_end, &skel->links.ms_race,
		&skel->links.ms_race_holder,
		fentry ? &skel->links.ms_entry_fentry : &skel->links.ms_entry_kprobe,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		l = bpf_program__attach(order[i]);
		err = (int)libbpf_get_error(l);
		if (err) {
			snprintf(why, whylen, "cannot attach %s: %s%s",
				 bpf_program__name(order[i]), strerror(-err),
				 bpf_perm_hint(err));
			goto fail;
		}
		*links[i] = l;
	}
	B.rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event,
				NULL, NULL);
	err = (int)libbpf_get_error(B.rb);
	if (err) {
		B.rb = NULL;
		snprintf(why, whylen, "cannot open the ring buffer: %s", strerror(-err));
		goto fail;
	}
	B.skel = skel;
	B.mode = fentry ? "fentry" : "kprobe";
	B.attached_at = now_s();
	return 0;
fail:
	mapstat_bpf__destroy(skel);
	return err ? err : -EINVAL;
}

static int bpf_attach(char *why, size_t whylen)
{
	B.module_btf = module_has_btf(MODULE_NAME);
	if (B.module_btf && !env.force_kprobe) {
		if (!bpf_try_attach(true, why, whylen))
			return 0;
		fprintf(stderr, "mapstat: fentry failed (%s); trying a kprobe\n", why);
	}
	return bpf_try_attach(false, why, whylen);
}

static const char *attach_desc(void)
{
	if (!B.mode)
		return "not attached";
	if (!strcmp(B.mode, "fentry"))
		return "fentry (cmap.ko has BTF)";
	return B.module_btf ? "kprobe (forced)" :
	       "kprobe (cmap.ko has no BTF: no per-array bucket order)";
}

#define JU(o, k, v) json_object_object_add(o, k, json_object_new_uint64((uint64_t)(v)))
#define JD(o, k, v) json_object_object_add(o, k, json_object_new_double(v))
#define JS(o, k, v) json_object_object_add(o, k, json_object_new_string(v))

/* ---- reading maps ---------------------------------------------------- */

struct bkt {
	struct mapstat_bucket_key k;
	struct mapstat_bucket_val v;
};

struct rec {
	struct mapstat_rec_key k;
	struct mapstat_rec_val v;
};

struct snap {
	struct bkt *b;
	size_t nb;
	struct rec *r;
	size_t nr;
	__u64 drops[MAPSTAT_DROP_NR];
	__u64 matched;
	__u32 epoch;		/* epoch the maps were read in */
};

static struct snap S, P;		/* this read, the previous one */

static int bkt_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct bkt *)a)->k, &((const struct bkt *)b)->k,
		      sizeof(struct mapstat_bucket_key));
}

static int rec_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct rec *)a)->k, &((const struct rec *)b)->k,
		      sizeof(struct mapstat_rec_key));
}

/*
 * Read a whole hash map into an array of (key, value) pairs of @esz bytes
 * each (key first, at offset 0, value at @voff).  Batch lookups where the
 * kernel has them (one syscall per few thousand entries), else one by one.
 */
static ssize_t read_map(int fd, size_t ksz, size_t vsz, size_t voff,
			size_t esz, size_t max, size_t hint, void **out)
{
	char *keys = malloc(max * ksz), *vals = malloc(max * vsz);
	char *arr = malloc(max * esz);
	__u32 count, total = 0;
	__u64 batch = 0;
	bool first = true;
	int err;

	if (!keys || !vals || !arr) {
		free(keys); free(vals); free(arr);
		return -ENOMEM;
	}
	/*
	 * A batch lookup locks every bucket of the hash table, used or not;
	 * for a sparse map a lockless key walk is much cheaper.
	 */
	if (hint < 256)
		goto slow;
	for (;;) {
		count = (__u32)(max - total);
		if (!count)
			break;
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch,
					   keys + total * ksz, vals + total * vsz,
					   &count, NULL);
		first = false;
		if (err && errno != ENOENT) {
			if ((errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP) &&
			    total == 0)
				goto slow;
			free(keys); free(vals); free(arr);
			return -errno;
		}
		total += count;
		if (err)	/* ENOENT: done */
			break;
	}
	goto pack;
slow:
	total = 0;
	{
		char cur[512], next[512];
		bool have = false;

		if (ksz > sizeof(cur))
			goto pack;
		while (total < max &&
		       !bpf_map_get_next_key(fd, have ? cur : NULL, next)) {
			memcpy(cur, next, ksz);
			have = true;
			/* (an entry deleted meanwhile is just skipped) */
			if (!bpf_map_lookup_elem(fd, next, vals + total * vsz)) {
				memcpy(keys + total * ksz, next, ksz);
				total++;
			}
		}
	}
pack:
	for (__u32 i = 0; i < total; i++) {
		memcpy(arr + i * esz, keys + i * ksz, ksz);
		memcpy(arr + i * esz + voff, vals + i * vsz, vsz);
	}
	free(keys);
	free(vals);
	*out = arr;
	return total;
}

static void snap_free(struct snap *s)
{
	free(s->b);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static int snap_read(struct snap *s)
{
	struct mapstat_bpf *skel = B.skel;
	ssize_t n;
	void *p;

	memset(s, 0, sizeof(*s));
	s->epoch = skel->bss->epoch;
	n = read_map(bpf_map__fd(skel->maps.buckets),
		     sizeof(struct mapstat_bucket_key),
		     sizeof(struct mapstat_bucket_val),
		     offsetof(struct bkt, v), sizeof(struct bkt),
		     bpf_map__max_entries(skel->maps.buckets), P.nb, &p);
	if (n < 0)
		return (int)n;
	s->b = p;
	s->nb = (size_t)n;
	n = read_map(bpf_map__fd(skel->maps.records),
		     sizeof(struct mapstat_rec_key),
		     sizeof(struct mapstat_rec_val),
		     offsetof(struct rec, v), sizeof(struct rec),
		     bpf_map__max_entries(skel->maps.records), P.nr, &p);
	if (n < 0) {
		snap_free(s);
		return (int)n;
	}
	s->r = p;
	s->nr = (size_t)n;
	/* Start the next interval's maxima. */
	__atomic_add_fetch(&skel->bss->epoch, 1, __ATOMIC_RELAXED);
	memcpy(s->drops, (const void *)skel->bss->drops, sizeof(s->drops));
	s->matched = skel->bss->matched;
	qsort(s->b, s->nb, sizeof(*s->b), bkt_cmp);
	qsort(s->r, s->nr, sizeof(*s->r), rec_cmp);
	return 0;
}

/*
 * True if BPF recorded nothing since @s was read (no contention, no
 * drop): an idle or uncontended system then costs one look at .bss per
 * interval instead of a walk of every map.
 */
static bool snap_unchanged(const struct snap *s)
{
	const struct mapstat_bpf *skel = B.skel;

	if (!s->b && !s->r && !s->matched)
		return false;	/* never read */
	return skel->bss->matched == s->matched &&
	       !memcmp((const void *)skel->bss->drops, s->drops, sizeof(s->drops));
}

static int snap_dup(struct snap *d, const struct snap *s)
{
	*d = *s;
	d->b = malloc((s->nb ? s->nb : 1) * sizeof(*s->b));
	d->r = malloc((s->nr ? s->nr : 1) * sizeof(*s->r));
	if (!d->b || !d->r) {
		free(d->b);
		free(d->r);
		memset(d, 0, sizeof(*d));
		return -ENOMEM;
	}
	memcpy(d->b, s->b, s->nb * sizeof(*s->b));
	memcpy(d->r, s->r, s->nr * sizeof(*s->r));
	/* a new interval for the maxima, as snap_read() does */
	d->epoch = __atomic_add_fetch(&B.skel->bss->epoch, 1, __ATOMIC_RELAXED) - 1;
	return 0;
}

static const struct mapstat_bucket_val *snap_bucket(const struct snap *s,
						    const struct mapstat_bucket_key *k)
{
	struct bkt key = { .k = *k }, *f;

	f = s->b ? bsearch(&key, s->b, s->nb, sizeof(*s->b), bkt_cmp) : NULL;
	return f ? &f->v : NULL;
}

static const struct mapstat_rec_val *snap_rec(const struct snap *s,
					      const struct mapstat_rec_key *k)
{
	struct rec key, *f;

	if (!s->r)
		return NULL;
	key.k = *k;
	f = bsearch(&key, s->r, s->nr, sizeof(*s->r), rec_cmp);
	return f ? &f->v : NULL;
}

/* ---- resize and race events ------------------------------------------ */

#define EVLOG 8
/* Resizes, and races (kept apart: a racing load would flood the log). */
static struct evlog {
	struct mapstat_event ev[EVLOG];
	unsigned n;		/* total seen */
} evlog, racelog, holderlog;
/* The last race whose writer's stack came too, and that writer's event. */
static struct mapstat_event pair[2];
static bool have_pair;

static int handle_event(void *ctx, void *data, size_t size)
{
	struct evlog *l;

	(void)ctx;
	if (size < sizeof(struct mapstat_event))
		return 0;
	switch (((const struct mapstat_event *)data)->type) {
	case MAPSTAT_EV_RACE:
		l = &racelog;
		break;
	case MAPSTAT_EV_RACE_HOLDER:
		l = &holderlog;
		break;
	default:
		l = &evlog;
		break;
	}
	memcpy(&l->ev[l->n++ % EVLOG], data, sizeof(struct mapstat_event));
	if (l == &holderlog) {
		const struct mapstat_event *h = data;

		for (unsigned i = 0; i < EVLOG && i < racelog.n; i++)
			if (racelog.ev[i].table == h->table &&
			    racelog.ev[i].race.seq == h->race.seq) {
				pair[0] = racelog.ev[i];
				pair[1] = *h;
				have_pair = true;
			}
	}
	return 0;
}

/* The writer's own event for race @seq, if it came. */
static const struct mapstat_event *race_holder(__u32 table, __u64 seq)
{
	for (unsigned i = 0; i < EVLOG && i < holderlog.n; i++) {
		const struct mapstat_event *e = &holderlog.ev[i];

		if (e->table == table && e->race.seq == seq)
			return e;
	}
	if (have_pair && pair[1].table == table && pair[1].race.seq == seq)
		return &pair[1];
	return NULL;
}

static const char *race_op(__u32 op)
{
	static const char *const names[] = { "?", "put", "get", "delete", "clear" };

	return names[op < 5 ? op : 0];
}

/* ---- tables ---------------------------------------------------------- */

struct table {
	struct cmap_table_info info;
	struct cmap_stats cur, prev, base;
	bool have_cur, have_prev, have_base;
	bool live;
};

static struct tables {
	struct table *t;
	size_t n, cap;
	bool device;		/* /dev/cmap could be opened */
	bool based;		/* baselines taken since the attach */
	int dev_err;
} T;

static struct table *table_find(__u32 id)
{
	for (size_t i = 0; i < T.n; i++)
		if (T.t[i].info.id == id)
			return &T.t[i];
	return NULL;
}

/*
 * Refresh the table list and every table's counters.  The device is opened
 * only for the read: a file held open would pin cmap.ko.
 */
static void tables_refresh(void)
{
	struct cmap_table_info *list = NULL;
	__u32 count = 0;
	int fd, err;

	for (size_t i = 0; i < T.n; i++)
		T.t[i].live = false;
	fd = cmap_dev_open(env.device);
	T.device = fd >= 0;
	T.dev_err = fd < 0 ? -fd : 0;
	if (fd < 0)
		goto prune;
	err = cmap_list(fd, &list, &count);
	if (err)
		count = 0;
	for (__u32 i = 0; i < count; i++) {
		struct table *t = table_find(list[i].id);
		struct cmap_stats st;

		if (cmap_stats(fd, list[i].id, &st))
			continue;	/* destroyed meanwhile */
		if (!t) {
			if (T.n == T.cap) {
				size_t cap = T.cap ? T.cap * 2 : 8;
				struct table *p = realloc(T.t, cap * sizeof(*p));

				if (!p)
					break;
				T.t = p;
				T.cap = cap;
			}
			t = &T.t[T.n++];
			memset(t, 0, sizeof(*t));
		}
		t->info = list[i];
		t->live = true;
		t->prev = t->cur;
		t->have_prev = t->have_cur;
		t->cur = st;
		t->have_cur = true;
		if (!t->have_base && B.skel) {
			/*
			 * The module's counters when mapstat first saw the
			 * table attached: what BPF counted since must match
			 * what the module counted since.  A table that shows
			 * up later was created after the attach: zero.
			 */
			if (T.based)
				memset(&t->base, 0, sizeof(t->base));
			else
				t->base = st;
			t->have_base = true;
		}
	}
	if (B.skel)
		T.based = true;
	free(list);
	close(fd);
prune:
	for (size_t i = 0; i < T.n;) {
		if (!T.t[i].live) {
			T.t[i] = T.t[--T.n];
			continue;
		}
		i++;
	}
	/* id order, as LIST gives them */
	for (size_t i = 1; i < T.n; i++)
		for (size_t j = i; j > 0 && T.t[j - 1].info.id > T.t[j].info.id; j--) {
			struct table x = T.t[j];

			T.t[j] = T.t[j - 1];
			T.t[j - 1] = x;
		}
}

/* ---- per-table views ------------------------------------------------- */

struct bview {
	struct mapstat_bucket_key k;
	const struct mapstat_bucket_val *v;
	__u64 cont, wait, max;		/* interval (or total, -c) */
	__u64 hold, holdcnt;
	__u64 tcont, twait;		/* since attach */
};

struct agg {				/* a key, a task or a stack */
	struct mapstat_rec_key k;	/* the fields that identify it */
	char comm[MAPSTAT_COMM_LEN];
	__u64 cont, wait, max;
	__u64 tcont, twait, tmax;
	__u64 best;			/* key: the bucket with most waits */
	__u32 border, bidx;
	__u32 ntasks;
};

struct view {
	struct table *t;
	double dt;			/* seconds covered */
	/* the module's counters over the interval */
	double puts, gets, dels, hits, iters;
	__u64 acq, mcont, mwait;
	/* BPF, over the interval and since attach */
	__u64 cont, wait, max, tcont, twait, tmax;
	__u64 hold, holdcnt, holdmax;
	__u64 hist[MAPSTAT_HIST_SLOTS], thist[MAPSTAT_HIST_SLOTS];
	__u32 order;			/* current array */
	struct bview *b;
	size_t nb;
	struct agg *keys, *tasks, *stacks;
	size_t nkeys, ntasks, nstacks;
	const struct mapstat_table_val *tv;
	struct mapstat_table_val tvbuf;
};

static double t_cur, t_prev;

static __u32 ilog2_u64(__u64 v)
{
	__u32 r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/*
 * The largest wait of an interval: the value's iv_max when it belongs to
 * the epoch just read (or to the next one, for events that landed while the
 * maps were being read), else the lower bound of the highest histogram
 * slot that grew (only possible for buckets).
 */
static __u64 interval_max(__u64 dc, __u32 iv_epoch, __u64 iv_max,
			  const __u64 *hist, const __u64 *phist)
{
	if (!dc)
		return 0;
	if (iv_epoch == S.epoch || iv_epoch == S.epoch + 1)
		return iv_max;
	for (int i = MAPSTAT_HIST_SLOTS - 1; hist && i >= 0; i--)
		if (hist[i] != (phist ? phist[i] : 0))
			return i ? 1ULL << i : 0;
	return 0;
}

static __u64 rank_of(__u64 cont, __u64 wait, __u64 max)
{
	switch (env.sort) {
	case SORT_WAIT:
		return wait;
	case SORT_MAX:
		return max;
	default:
		return cont;
	}
}

static int bview_rank_cmp(const void *a, const void *b)
{
	const struct bview *x = a, *y = b;
	__u64 rx = rank_of(x->cont, x->wait, x->max);
	__u64 ry = rank_of(y->cont, y->wait, y->max);

	if (rx != ry)
		return rx < ry ? 1 : -1;
	if (x->tcont != y->tcont)
		return x->tcont < y->tcont ? 1 : -1;
	return x->k.idx < y->k.idx ? -1 : x->k.idx > y->k.idx;
}

static int agg_rank_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;
	__u64 rx = rank_of(x->cont, x->wait, x->max);
	__u64 ry = rank_of(y->cont, y->wait, y->max);

	if (rx != ry)
		return rx < ry ? 1 : -1;
	if (x->twait != y->twait)
		return x->twait < y->twait ? 1 : -1;
	return memcmp(&x->k, &y->k, sizeof(x->k));
}

/* Identity of a record for each aggregation. */
enum agg_kind { AGG_KEY, AGG_TASK, AGG_STACK };

static void agg_ident(enum agg_kind kind, const struct mapstat_rec_key *in,
		      struct mapstat_rec_key *out)
{
	memset(out, 0, sizeof(*out));
	out->table = in->table;
	switch (kind) {
	case AGG_KEY:
		out->klen = in->klen;
		memcpy(out->key, in->key, sizeof(out->key));
		break;
	case AGG_TASK:
		out->pid = in->pid;
		out->tid = in->tid;
		break;
	case AGG_STACK:
		out->kstack = in->kstack;
		out->ustack = in->ustack;
		break;
	}
}

static int agg_ident_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct agg *)a)->k, &((const struct agg *)b)->k,
		      sizeof(struct mapstat_rec_key));
}

/* Group the table's records of this snapshot by @kind. */
static struct agg *aggregate(enum agg_kind kind, __u32 table, size_t *np)
{
	struct agg *a = calloc(S.nr ? S.nr : 1, sizeof(*a));
	size_t n = 0, m = 0;

	if (!a) {
		*np = 0;
		return NULL;
	}
	for (size_t i = 0; i < S.nr; i++) {
		const struct rec *r = &S.r[i];
		const struct mapstat_rec_val *pv;
		struct agg *g = &a[n++];
		__u64 dc, dw;

		if (r->k.table != table) {
			n--;
			continue;
		}
		pv = snap_rec(&P, &r->k);
		dc = r->v.contended - (pv ? pv->contended : 0);
		dw = r->v.wait_ns - (pv ? pv->wait_ns : 0);
		agg_ident(kind, &r->k, &g->k);
		if (kind == AGG_STACK)
			g->k.pid = r->k.pid;	/* for user symbols; not compared */
		memcpy(g->comm, r->v.comm, sizeof(g->comm));
		g->tcont = r->v.contended;
		g->twait = r->v.wait_ns;
		g->tmax = r->v.wait_max;
		g->cont = env.cumulative ? g->tcont : dc;
		g->wait = env.cumulative ? g->twait : dw;
		g->max = env.cumulative ? g->tmax :
			 interval_max(dc, r->v.iv_epoch, r->v.iv_max, NULL, NULL);
		g->best = env.cumulative ? g->tcont : dc;
		g->border = r->k.order;
		g->bidx = r->k.idx;
		g->ntasks = 1;
	}
	if (kind == AGG_STACK) {
		/* pid is kept for symbols but must not split stacks */
		for (size_t i = 0; i < n; i++)
			a[i].ntasks = a[i].k.pid;
		for (size_t i = 0; i < n; i++)
			a[i].k.pid = 0;
	}
	qsort(a, n, sizeof(*a), agg_ident_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && !memcmp(&a[m - 1].k, &a[i].k, sizeof(a[i].k))) {
			struct agg *g = &a[m - 1];

			g->cont += a[i].cont;
			g->wait += a[i].wait;
			g->tcont += a[i].tcont;
			g->twait += a[i].twait;
			if (a[i].max > g->max)
				g->max = a[i].max;
			if (a[i].tmax > g->tmax)
				g->tmax = a[i].tmax;
			if (a[i].best > g->best) {
				g->best = a[i].best;
				g->border = a[i].border;
				g->bidx = a[i].bidx;
			}
			continue;
		}
		a[m++] = a[i];
	}
	if (kind == AGG_STACK) {
		for (size_t i = 0; i < m; i++) {
			a[i].k.pid = a[i].ntasks;	/* a pid that made it */
			a[i].ntasks = 1;
		}
	}
	qsort(a, m, sizeof(*a), agg_rank_cmp);
	*np = m;
	return a;
}

/* Percentiles interpolated in a log2 slot never exceed the known max. */
static double view_pct(const struct view *v, double p)
{
	double x = log2_hist_percentile(env.cumulative ? v->thist : v->hist,
					MAPSTAT_HIST_SLOTS, p);
	double max = (double)(env.cumulative ? v->tmax : v->max);

	return max && x > max ? max : x;
}

static void view_free(struct view *v)
{
	free(v->b);
	free(v->keys);
	free(v->tasks);
	free(v->stacks);
	memset(v, 0, sizeof(*v));
}

static void view_build(struct view *v, struct table *t)
{
	const struct cmap_stats *c = &t->cur, *p = t->have_prev ? &t->prev : NULL;
	__u32 id = t->info.id;

	memset(v, 0, sizeof(*v));
	v->t = t;
	v->dt = env.cumulative ? now_s() - B.attached_at : t_cur - t_prev;
	if (v->dt <= 0)
		v->dt = env.interval;
#define D(f) ((double)(c->f - (p && !env.cumulative ? p->f : \
			       env.cumulative && t->have_base ? t->base.f : 0)))
	if (p || env.cumulative) {
		v->puts = D(puts) / v->dt;
		v->gets = D(gets) / v->dt;
		v->dels = D(deletes) / v->dt;
		v->hits = D(hits) / v->dt;
		v->iters = D(iters) / v->dt;
		v->acq = (__u64)D(lock_acquisitions);
		v->mcont = (__u64)D(lock_contended);
		v->mwait = (__u64)D(lock_wait_ns);
	}
#undef D
	v->order = c->buckets ? ilog2_u64(c->buckets) : 0;

	if (!B.skel)
		return;
	v->b = calloc(S.nb ? S.nb : 1, sizeof(*v->b));
	for (size_t i = 0; v->b && i < S.nb; i++) {
		const struct bkt *e = &S.b[i];
		const struct mapstat_bucket_val *pv;
		struct bview *bv;
		__u64 dc, dw;

		if (e->k.table != id)
			continue;
		pv = snap_bucket(&P, &e->k);
		dc = e->v.contended - (pv ? pv->contended : 0);
		dw = e->v.wait_ns - (pv ? pv->wait_ns : 0);
		bv = &v->b[v->nb++];
		bv->k = e->k;
		bv->v = &e->v;
		bv->tcont = e->v.contended;
		bv->twait = e->v.wait_ns;
		bv->cont = env.cumulative ? bv->tcont : dc;
		bv->wait = env.cumulative ? bv->twait : dw;
		bv->max = env.cumulative ? e->v.wait_max :
			  interval_max(dc, e->v.iv_epoch, e->v.iv_max, e->v.hist,
				       pv ? pv->hist : NULL);
		bv->hold = e->v.hold_ns - (pv && !env.cumulative ? pv->hold_ns : 0);
		bv->holdcnt = e->v.hold_cnt - (pv && !env.cumulative ? pv->hold_cnt : 0);
		v->cont += bv->cont;
		v->wait += bv->wait;
		v->tcont += bv->tcont;
		v->twait += bv->twait;
		v->hold += bv->hold;
		v->holdcnt += bv->holdcnt;
		if (e->v.hold_max > v->holdmax)
			v->holdmax = e->v.hold_max;
		if (bv->max > v->max)
			v->max = bv->max;
		if (e->v.wait_max > v->tmax)
			v->tmax = e->v.wait_max;
		for (int s = 0; s < MAPSTAT_HIST_SLOTS; s++) {
			__u64 h = e->v.hist[s] - (pv && !env.cumulative ? pv->hist[s] : 0);

			v->hist[s] += h;
			v->thist[s] += e->v.hist[s];
		}
	}
	if (v->b)
		qsort(v->b, v->nb, sizeof(*v->b), bview_rank_cmp);
	v->keys = aggregate(AGG_KEY, id, &v->nkeys);
	v->tasks = aggregate(AGG_TASK, id, &v->ntasks);
	v->stacks = aggregate(AGG_STACK, id, &v->nstacks);
	if (!bpf_map_lookup_elem(bpf_map__fd(B.skel->maps.tables), &id, &v->tvbuf))
		v->tv = &v->tvbuf;
}

/* ---- formatting helpers ---------------------------------------------- */

static struct ksyms *ksyms;
static struct usyms *usyms;

/* (again after an attach: cmap's and the BPF trampolines' symbols) */
static void ksyms_reload(void)
{
	/* a failed reload keeps the symbols there were, and says nothing */
	struct ksyms *ks = ksyms ? ksyms_load() : ksyms_load_or_warn("mapstat");

	if (!ks)
		return;
	ksyms_free(ksyms);
	ksyms = ks;
}

/* Key bytes as text if printable, else 0x and hex. */
static const char *key_str(const struct mapstat_rec_key *k, char *buf,
			   size_t size)
{
	size_t o = 0;

	if (!k->klen) {
		snprintf(buf, size, "(none: migration/iteration)");
		return buf;
	}
	if (cmap_is_printable(k->key, k->klen)) {
		snprintf(buf, size, "%.*s", (int)k->klen, (const char *)k->key);
		return buf;
	}
	o += snprintf(buf, size, "0x");
	for (unsigned i = 0; i < k->klen && o + 3 < size; i++)
		o += snprintf(buf + o, size - o, "%02x", k->key[i]);
	return buf;
}

static const char *bucket_str(__u32 order, __u32 idx, __u32 cur_order,
			      char *buf, size_t size)
{
	if (order == MAPSTAT_ORDER_UNKNOWN)
		snprintf(buf, size, "%u?", idx);
	else if (order == cur_order)
		snprintf(buf, size, "%u", idx);
	else
		snprintf(buf, size, "%u/%u", idx, 1U << order);
	return buf;
}

/* Frames of a stack; returns how many, skipping BPF's own frames. */
static int stack_frames(int id, __u64 *ips)
{
	int n = 0;

	if (id < 0 || !B.skel)
		return 0;
	memset(ips, 0, MAPSTAT_STACK_DEPTH * sizeof(*ips));
	if (bpf_map_lookup_elem(bpf_map__fd(B.skel->maps.stacks), &id, ips))
		return 0;
	while (n < MAPSTAT_STACK_DEPTH && ips[n])
		n++;
	return n;
}

/* Kernel frames that belong to the tracing machinery, not to cmap. */
static bool bpf_frame(const char *sym)
{
	return !strncmp(sym, "bpf_", 4) || !strncmp(sym, "0x", 2) ||
	       strstr(sym, "[bpf]") || !strncmp(sym, "kprobe_", 7) ||
	       !strncmp(sym, "perf_", 5) || !strncmp(sym, "__bpf", 5) ||
	       !strncmp(sym, "trace_call_bpf", 14) || !strncmp(sym, "ftrace_", 7) ||
	       !strncmp(sym, "arch_ftrace", 11) || !strncmp(sym, "kprobe", 6) ||
	       !strncmp(sym, "aggr_pre_handler", 16) ||
	       !strncmp(sym, "opt_pre_handler", 15) ||
	       !strncmp(sym, "optimized_callback", 18);
}

/* Kernel frames as strings into @out (each @len bytes); returns the count. */
static int kstack_syms(int id, char (*out)[160], int max)
{
	__u64 ips[MAPSTAT_STACK_DEPTH];
	int n = stack_frames(id, ips), m = 0, i = 0;
	char buf[160];

	/* drop the leading BPF/trampoline/kprobe frames */
	for (; i < n; i++) {
		ksym_format(ksyms, ips[i], buf, sizeof(buf));
		if (!bpf_frame(buf))
			break;
	}
	if (i == n)
		i = 0;
	for (; i < n && m < max; i++)
		ksym_format(ksyms, ips[i], out[m++], sizeof(out[0]));
	return m;
}

static int ustack_syms(int id, __u32 pid, char (*out)[160], int max)
{
	__u64 ips[MAPSTAT_STACK_DEPTH];
	int n = stack_frames(id, ips), m = 0;

	for (int i = 0; i < n && m < max; i++)
		usyms_format(usyms, (pid_t)pid, ips[i], out[m++], sizeof(out[0]));
	return m;
}

/*
 * The two parties of a race side by side, like the two goroutines of Go's
 * "concurrent map writes" report: the writer that held the table (left,
 * first in time) and the intruder (right); one above the other when
 * @width has no room for two columns.  @holder: the writer's own event.
 */
#define RACE_FRAMES 12
static void race_pair(FILE *f, const struct mapstat_event *ev,
		      const struct mapstat_event *holder, int width)
{
	static char col[2][2 * RACE_FRAMES + 1][160];
	const struct mapstat_event *who[2] = { holder, ev };
	int n[2] = { 1, 1 }, cw = (width - 6) / 2;

	snprintf(col[0][0], sizeof(col[0][0]), "writer: %d/%s, holding the table, %s",
		 ev->race.writer_pid, ev->race.writer_comm, race_op(ev->race.writer_op));
	snprintf(col[1][0], sizeof(col[1][0]), "intruder: %d/%s, %s",
		 ev->race.intruder_pid, ev->race.intruder_comm,
		 race_op(ev->race.intruder_op));
	for (int s = 0; s < 2; s++) {
		const struct mapstat_event *e = who[s];

		if (!e) {
			snprintf(col[s][n[s]++], sizeof(col[0][0]), "%s",
				 ev->race.intruder_op == 2 ? "(a lookup does not ask for its stack)" :
				 "(it left before the report)");
			continue;
		}
		n[s] += kstack_syms(e->race.kstack, &col[s][n[s]], RACE_FRAMES);
		n[s] += ustack_syms(e->race.ustack, e->race.tid, &col[s][n[s]], RACE_FRAMES);
	}
	if (cw < 40) {
		for (int s = 0; s < 2; s++)
			for (int j = 0; j < n[s]; j++)
				fprintf(f, "    %s%s\n", j ? "   " : "", col[s][j]);
		return;
	}
	for (int j = 0; j < n[0] || j < n[1]; j++)
		fprintf(f, "    %s%-*.*s  %s%.*s\n", j ? "  " : "", j ? cw - 2 : cw,
			j ? cw - 2 : cw, j < n[0] ? col[0][j] : "", j ? "  " : "",
			j ? cw - 2 : cw, j < n[1] ? col[1][j] : "");
}

/* Read user modules of processes as soon as they show up (they may exit). */
static void prepare_usyms(void)
{
	for (size_t i = 0; i < S.nr; i++)
		if (S.r[i].k.ustack >= 0)
			usyms_prepare(usyms, (pid_t)S.r[i].k.pid);
}

static const char *drop_names[MAPSTAT_DROP_NR] = {
	[MAPSTAT_DROP_BUCKETS_FULL] = "bucket_map_full",
	[MAPSTAT_DROP_RECORDS_FULL] = "record_map_full",
	[MAPSTAT_DROP_KSTACK] = "kernel_stack_failed",
	[MAPSTAT_DROP_USTACK] = "user_stack_failed",
	[MAPSTAT_DROP_NO_ENTRY] = "no_entry_capture",
	[MAPSTAT_DROP_TASK_STORAGE] = "task_storage_failed",
	[MAPSTAT_DROP_RINGBUF] = "ringbuf_full",
	[MAPSTAT_DROP_TABLES_FULL] = "table_map_full",
};

/* BPF programs' own recursion misses (the kernel counts them). */
static __u64 prog_misses(void)
{
	struct bpf_program *prog;
	__u64 sum = 0;

	if (!B.skel)
		return 0;
	bpf_object__for_each_program(prog, B.skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

/*
 * Run counts and run time of each attached program: the kernel keeps them
 * while sysctl kernel.bpf_stats_enabled is 1 (else they stay 0).  The
 * in-kernel cost of tracing, without the noise of throughput figures.
 */
static json_object *prog_stats(void)
{
	json_object *o = json_object_new_object();
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, B.skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);
		json_object *p;

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		p = json_object_new_object();
		JU(p, "run_cnt", info.run_cnt);
		JU(p, "run_time_ns", info.run_time_ns);
		json_object_object_add(o, bpf_program__name(prog), p);
	}
	return o;
}

static const char *mode_str(__u32 mode)
{
	const char *s = cmap_mode_name(mode);

	return s ? s : "?";
}

/* The table shown in detail: -t, else the one with most contention. */
static size_t selected = (size_t)-1;
static __u32 selected_id;

static bool table_shown(const struct table *t)
{
	return !env.table || !strcmp(t->info.name, env.table);
}

/* ---- the heat strip -------------------------------------------------- */

/*
 * Buckets grouped into @ncells cells of equal hash range.  Numbers of an
 * older array (another order) are projected by hash range: a finer bucket
 * falls in one cell, a coarser one is spread evenly over its cells.
 */
static void heat_cells(const struct view *v, double *cells, int ncells)
{
	int lc = ilog2_u64((__u64)ncells);

	for (int i = 0; i < ncells; i++)
		cells[i] = 0;
	for (size_t i = 0; i < v->nb; i++) {
		const struct bview *b = &v->b[i];
		__u32 o = b->k.order == MAPSTAT_ORDER_UNKNOWN ? v->order : b->k.order;
		double val = (double)(env.cumulative ? b->tcont : b->cont);

		if (!val || o > 31)
			continue;
		if ((int)o >= lc) {
			__u64 c = (__u64)b->k.idx >> (o - lc);

			if (c < (__u64)ncells)
				cells[c] += val;
		} else {
			int span = 1 << (lc - o);
			__u64 first = (__u64)b->k.idx << (lc - o);

			for (int j = 0; j < span && first + j < (__u64)ncells; j++)
				cells[first + j] += val / span;
		}
	}
}

static const char heat_chars[] = " .:-=+*#%@";

static void heat_strip(const struct view *v, int width, char *out)
{
	int ncells = 1;
	double cells[1024], max = 0;

	while (ncells * 2 <= width && ncells * 2 <= 1024 &&
	       ncells * 2 <= (int)(v->t->cur.buckets ? v->t->cur.buckets : 1))
		ncells *= 2;
	heat_cells(v, cells, ncells);
	for (int i = 0; i < ncells; i++)
		if (cells[i] > max)
			max = cells[i];
	for (int i = 0; i < ncells; i++) {
		int lvl = 0;

		if (cells[i] > 0 && max > 0)
			lvl = 1 + (int)((sizeof(heat_chars) - 3) *
					sqrt(cells[i] / max));
		out[i] = heat_chars[lvl];
	}
	out[ncells] = 0;
}

/* ---- text report (batch and live view) ------------------------------- */

/*
 * The report is written into a memory stream; batch mode prints it, the
 * live view draws it line by line.  @sel_stack / @expand: the live view's
 * stack cursor (-1: batch, every shown stack expanded).
 */
static void report_table(FILE *f, struct view *v, int sel_stack, bool expand,
			 int width)
{
	const struct cmap_stats *c = &v->t->cur;
	char a[32], b[32], d[32], e[32], g[32], kb[160], bb[32];
	char strip[1100];
	double ratio = v->acq ? 100.0 * v->mcont / v->acq : 0;
	double div = env.cumulative ? 1 : v->dt;

	fprintf(f, "\nTABLE %u \"%s\"  mode %s  created by %d (%s)\n",
		v->t->info.id, v->t->info.name, mode_str(c->mode),
		c->creator_pid, c->creator_comm);
	fprintf(f, "  ops/s: put %s  get %s (hit %s)  del %s  iter %s\n",
		fmt_count(a, sizeof(a), v->puts), fmt_count(b, sizeof(b), v->gets),
		fmt_count(d, sizeof(d), v->hits), fmt_count(e, sizeof(e), v->dels),
		fmt_count(g, sizeof(g), v->iters));
	fprintf(f, "  entries %llu  buckets %llu (+%llu overflow)  load %.2f  resizing %s  resizes %llu",
		(unsigned long long)c->entries, (unsigned long long)c->buckets,
		(unsigned long long)c->overflow_buckets,
		c->load_factor_milli / 1000.0, c->resizing ? "YES" : "no",
		(unsigned long long)c->resizes);
	if (v->tv && v->tv->resizes)
		fprintf(f, " (traced %llu, avg %s, max %s, last %u->%u)",
			(unsigned long long)v->tv->resizes,
			fmt_ns(a, sizeof(a), (double)v->tv->resize_ns / v->tv->resizes),
			fmt_ns(b, sizeof(b), (double)v->tv->resize_max_ns),
			v->tv->last_old, v->tv->last_new);
	fprintf(f, "\n");
	if (v->tv && v->tv->races)
		fprintf(f, "  RACES: %llu (racecheck mode caught concurrent writers)\n",
			(unsigned long long)v->tv->races);
	fprintf(f, "  contention %.2f%% (%llu of %llu acquisitions, module)  traced %llu %s, since attach %llu\n",
		ratio, (unsigned long long)v->mcont, (unsigned long long)v->acq,
		(unsigned long long)v->cont, env.cumulative ? "" : "this interval",
		(unsigned long long)v->tcont);
	fprintf(f, "  wait p50 %s  p99 %s  max %s  total %s%s",
		fmt_ns(a, sizeof(a), view_pct(v, 0.5)),
		fmt_ns(b, sizeof(b), view_pct(v, 0.99)),
		fmt_ns(d, sizeof(d), (double)v->max),
		fmt_ns(e, sizeof(e), (double)v->wait / div), env.cumulative ? "" : "/s");
	if (v->holdcnt)
		fprintf(f, "  hold avg %s max %s (contended holders)",
			fmt_ns(a, sizeof(a), (double)v->hold / v->holdcnt),
			fmt_ns(b, sizeof(b), (double)v->holdmax));
	fprintf(f, "\n");
	if (!B.skel)
		return;

	heat_strip(v, width - 10 > 16 ? width - 10 : 16, strip);
	fprintf(f, "  heat  [%s]  %zu cells of %llu buckets\n", strip, strlen(strip),
		(unsigned long long)(c->buckets / (strlen(strip) ? strlen(strip) : 1)));

	fprintf(f, "\n  TOP BUCKETS (by %s)\n", sort_name[env.sort]);
	fprintf(f, "  %10s %10s %10s %7s %9s %9s %9s %9s %5s\n", "BUCKET", "ACQ",
		"CONT", "RATIO", env.cumulative ? "CONT" : "CONT/S",
		env.cumulative ? "WAIT" : "WAIT/S", "MAXWAIT", "HOLD", "CHAIN");
	for (size_t i = 0; i < v->nb && (int)i < env.top; i++) {
		const struct bview *x = &v->b[i];

		if (!x->cont && !env.cumulative)
			break;
		fprintf(f, "  %10s %10llu %10llu %6.2f%% %9s %9s %9s %9s %5u\n",
			bucket_str(x->k.order, x->k.idx, v->order, bb, sizeof(bb)),
			(unsigned long long)x->v->mod_acquisitions,
			(unsigned long long)x->v->mod_contended,
			x->v->mod_acquisitions ?
			100.0 * x->v->mod_contended / x->v->mod_acquisitions : 0,
			fmt_count(a, sizeof(a), x->cont / div),
			fmt_ns(b, sizeof(b), x->wait / div),
			fmt_ns(d, sizeof(d), (double)x->max),
			x->holdcnt ? fmt_ns(e, sizeof(e), (double)x->hold / x->holdcnt) : "-",
			x->v->chain);
	}

	fprintf(f, "\n  TOP KEYS (by %s)\n", sort_name[env.sort]);
	fprintf(f, "  %-32s %10s %9s %9s %9s\n", "KEY", "BUCKET",
		env.cumulative ? "CONT" : "CONT/S", env.cumulative ? "WAIT" : "WAIT/S",
		"MAXWAIT");
	for (size_t i = 0; i < v->nkeys && (int)i < env.top; i++) {
		const struct agg *x = &v->keys[i];

		if (!x->cont && !env.cumulative)
			break;
		fprintf(f, "  %-32.32s %10s %9s %9s %9s\n",
			key_str(&x->k, kb, sizeof(kb)),
			bucket_str(x->border, x->bidx, v->order, bb, sizeof(bb)),
			fmt_count(a, sizeof(a), x->cont / div),
			fmt_ns(b, sizeof(b), x->wait / div),
			fmt_ns(d, sizeof(d), (double)x->max));
	}

	fprintf(f, "\n  TOP TASKS (by %s)\n", sort_name[env.sort]);
	fprintf(f, "  %7s %7s %-16s %9s %9s %9s\n", "PID", "TID", "COMM",
		env.cumulative ? "CONT" : "CONT/S", env.cumulative ? "WAIT" : "WAIT/S",
		"MAXWAIT");
	for (size_t i = 0; i < v->ntasks && (int)i < env.top; i++) {
		const struct agg *x = &v->tasks[i];

		if (!x->cont && !env.cumulative)
			break;
		fprintf(f, "  %7u %7u %-16.16s %9s %9s %9s\n", x->k.pid, x->k.tid,
			x->comm, fmt_count(a, sizeof(a), x->cont / div),
			fmt_ns(b, sizeof(b), x->wait / div),
			fmt_ns(d, sizeof(d), (double)x->max));
	}

	fprintf(f, "\n  TOP STACKS (by %s)%s\n", sort_name[env.sort],
		sel_stack >= 0 ? "  [Up/Down select, Enter expand]" : "");
	int nshow = sel_stack >= 0 ? env.top : env.stacks;

	for (size_t i = 0; i < v->nstacks && (int)i < nshow; i++) {
		const struct agg *x = &v->stacks[i];
		static char kf[MAPSTAT_STACK_DEPTH][160], uf[MAPSTAT_STACK_DEPTH][160];
		int nk, nu;
		bool full = sel_stack < 0 || (expand && (int)i == sel_stack);

		if (!x->cont && !env.cumulative)
			break;
		nk = kstack_syms(x->k.kstack, kf, MAPSTAT_STACK_DEPTH);
		nu = ustack_syms(x->k.ustack, x->k.pid, uf, MAPSTAT_STACK_DEPTH);
		fprintf(f, "  %c#%zu  %s %s  wait %s%s  max %s  (%s)\n",
			(int)i == sel_stack ? '>' : ' ', i + 1,
			fmt_count(a, sizeof(a), x->cont / div),
			env.cumulative ? "contended" : "contended/s",
			fmt_ns(b, sizeof(b), x->wait / div), env.cumulative ? "" : "/s",
			fmt_ns(d, sizeof(d), (double)x->max), x->comm);
		if (!full) {
			fprintf(f, "       %s <- %s\n", nk > 1 ? kf[1] : nk ? kf[0] : "?",
				nu ? uf[nu > 1 ? 1 : 0] : "(no user stack)");
			continue;
		}
		if (x->k.kstack < 0)
			fprintf(f, "       [kernel stack lost]\n");
		for (int j = 0; j < nk; j++)
			fprintf(f, "       %s\n", kf[j]);
		if (x->k.ustack == -1)
			fprintf(f, "       [kernel thread: no user stack]\n");
		else if (x->k.ustack < 0)
			fprintf(f, "       [user stack lost]\n");
		else
			fprintf(f, "       --\n");
		for (int j = 0; j < nu; j++)
			fprintf(f, "       %s\n", uf[j]);
	}
	if (evlog.n) {
		bool hdr = false;

		for (unsigned i = evlog.n > EVLOG ? evlog.n - EVLOG : 0; i < evlog.n; i++) {
			const struct mapstat_event *ev = &evlog.ev[i % EVLOG];

			if (ev->table != v->t->info.id)
				continue;
			if (!hdr)
				fprintf(f, "\n  RECENT RESIZES\n");
			hdr = true;
			if (ev->type == MAPSTAT_EV_RESIZE_START)
				fprintf(f, "    start %u -> %u buckets, %llu entries\n",
					ev->resize.old_buckets, ev->resize.new_buckets,
					(unsigned long long)ev->resize.entries);
			else
				fprintf(f, "    done  %u -> %u buckets in %s\n",
					ev->resize.old_buckets, ev->resize.new_buckets,
					fmt_ns(a, sizeof(a), (double)ev->resize.duration_ns));
		}
	}
	/*
	 * The last race, Go style: both parties, both stacks.  The last one
	 * whose writer's stack came, if any (reads never ask for it).
	 */
	const struct mapstat_event *last = NULL, *holder = NULL;

	for (unsigned i = racelog.n; !holder &&
	     i-- > (racelog.n > EVLOG ? racelog.n - EVLOG : 0);) {
		const struct mapstat_event *ev = &racelog.ev[i % EVLOG];

		if (ev->table != v->t->info.id)
			continue;
		holder = race_holder(ev->table, ev->race.seq);
		if (!last || holder)
			last = ev;
	}
	if (!holder && have_pair && pair[0].table == v->t->info.id) {
		last = &pair[0];
		holder = &pair[1];
	}
	if (last) {
		fprintf(f, "\n  LAST RACE #%llu: %s by %d/%s during %s by %d/%s\n",
			(unsigned long long)last->race.seq, race_op(last->race.intruder_op),
			last->race.intruder_pid, last->race.intruder_comm,
			race_op(last->race.writer_op), last->race.writer_pid,
			last->race.writer_comm);
		race_pair(f, last, holder, width);
	}
}

static const char *wait_msg(void)
{
	static char buf[256];

	if (!module_is_live(MODULE_NAME))
		return "cmap.ko is not loaded; waiting for it (modprobe cmap)";
	if (!T.device) {
		snprintf(buf, sizeof(buf), "cannot open %s: %s; waiting",
			 env.device ? env.device : CMAP_DEVICE, strerror(T.dev_err));
		return buf;
	}
	if (env.table)
		snprintf(buf, sizeof(buf), "no table named '%s'; waiting for it", env.table);
	else
		snprintf(buf, sizeof(buf), "no tables; waiting for one (cmapctl create NAME)");
	return buf;
}

static void report(FILE *f, int sel_stack, bool expand, int width)
{
	char tb[32], a[32];
	time_t now = time(NULL);
	size_t shown = 0;
	__u64 dropped = 0;

	strftime(tb, sizeof(tb), "%H:%M:%S", localtime(&now));
	fprintf(f, "mapstat - %s  interval %.2fs  attach: %s%s", tb,
		env.interval, attach_desc(), env.cumulative ? "  [cumulative]" : "");
	if (env.pid)
		fprintf(f, "  [pid %u]", env.pid);
	if (env.comm)
		fprintf(f, "  [comm %s]", env.comm);
	fprintf(f, "\n");
	if (B.skel) {
		fprintf(f, "dropped:");
		for (int i = 0; i < MAPSTAT_DROP_NR; i++) {
			if (i == MAPSTAT_DROP_USTACK)
				continue;	/* shown below */
			dropped += S.drops[i];
			if (S.drops[i])
				fprintf(f, " %s %llu", drop_names[i],
					(unsigned long long)S.drops[i]);
		}
		if (!dropped)
			fprintf(f, " none");
		fprintf(f, "  (user stacks lost %llu, bpf recursion misses %llu)\n",
			(unsigned long long)S.drops[MAPSTAT_DROP_USTACK],
			(unsigned long long)prog_misses());
	}
	for (size_t i = 0; i < T.n; i++)
		shown += table_shown(&T.t[i]);
	if (!shown) {
		fprintf(f, "%s\n", wait_msg());
		return;
	}
	fprintf(f, "\n%5s %-20s %7s %-15s %-5s %10s %9s %9s %8s\n", "ID", "NAME",
		"PID", "COMM", "MODE", "ENTRIES", "OPS/S", "CONT/S", "CONTEND");
	for (size_t i = 0; i < T.n; i++) {
		struct table *t = &T.t[i];
		const struct cmap_stats *c = &t->cur, *p = &t->prev;
		double dt = t_cur - t_prev, ops = 0, cont = 0, acq = 0;

		if (!table_shown(t))
			continue;
		if (t->have_prev && dt > 0) {
			ops = (double)(c->puts + c->gets + c->deletes - p->puts -
				       p->gets - p->deletes) / dt;
			cont = (double)(c->lock_contended - p->lock_contended);
			acq = (double)(c->lock_acquisitions - p->lock_acquisitions);
		}
		fprintf(f, "%c%4u %-20.20s %7d %-15.15s %-5s %10llu %9s %9s %7.2f%%\n",
			i == selected ? '*' : ' ', t->info.id, t->info.name,
			t->info.creator_pid, t->info.creator_comm, mode_str(t->info.mode),
			(unsigned long long)c->entries, fmt_count(tb, sizeof(tb), ops),
			fmt_count(a, sizeof(a), dt > 0 ? cont / dt : 0),
			acq ? 100 * cont / acq : 0.0);
	}
	if (selected < T.n) {
		struct view v;

		view_build(&v, &T.t[selected]);
		report_table(f, &v, sel_stack, expand, width);
		view_free(&v);
	}
}

/* Pick the table shown in detail. */
static void select_table(void)
{
	__u64 best = 0;
	size_t pick = (size_t)-1;

	for (size_t i = 0; i < T.n; i++) {
		if (!table_shown(&T.t[i]))
			continue;
		if (T.t[i].info.id == selected_id && selected_id) {
			selected = i;
			return;
		}
	}
	for (size_t i = 0; i < T.n; i++) {
		const struct table *t = &T.t[i];
		__u64 c;

		if (!table_shown(t))
			continue;
		c = t->have_prev ? t->cur.lock_contended - t->prev.lock_contended : 0;
		if (pick == (size_t)-1 || c > best) {
			best = c;
			pick = i;
		}
	}
	selected = pick;
	selected_id = pick < T.n ? T.t[pick].info.id : 0;
}

/* ---- JSON ------------------------------------------------------------ */

static json_object *jhist(const __u64 *h)
{
	json_object *a = json_object_new_array();
	int last = -1;

	for (int i = 0; i < MAPSTAT_HIST_SLOTS; i++)
		if (h[i])
			last = i;
	for (int i = 0; i <= last; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)h[i]));
	return a;
}


static json_object *jframes(int id, __u32 pid, bool user)
{
	static char fr[MAPSTAT_STACK_DEPTH][160];
	json_object *a = json_object_new_array();
	int n = user ? ustack_syms(id, pid, fr, MAPSTAT_STACK_DEPTH) :
		       kstack_syms(id, fr, MAPSTAT_STACK_DEPTH);

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(fr[i]));
	return a;
}

static json_object *json_table(struct table *t)
{
	json_object *o = json_object_new_object(), *x, *arr;
	const struct cmap_stats *c = &t->cur;
	struct view v;
	char kb[160];

	view_build(&v, t);
	JU(o, "id", t->info.id);
	JS(o, "name", t->info.name);
	JU(o, "creator_pid", c->creator_pid);
	JS(o, "creator_comm", c->creator_comm);
	JS(o, "mode", mode_str(c->mode));
	JU(o, "entries", c->entries);
	JU(o, "buckets", c->buckets);
	JU(o, "overflow_buckets", c->overflow_buckets);
	JD(o, "load_factor", c->load_factor_milli / 1000.0);
	json_object_object_add(o, "resizing", json_object_new_boolean(c->resizing));
	JU(o, "resizes", c->resizes);
	x = json_object_new_object();
	JD(x, "put", v.puts);
	JD(x, "get", v.gets);
	JD(x, "delete", v.dels);
	JD(x, "hit", v.hits);
	JD(x, "iter", v.iters);
	json_object_object_add(o, "ops_per_s", x);
	JU(o, "acquisitions", v.acq);
	JU(o, "contended", v.mcont);
	JD(o, "contention_ratio", v.acq ? (double)v.mcont / v.acq : 0);
	x = json_object_new_object();
	JU(x, "lock_acquisitions", c->lock_acquisitions);
	JU(x, "lock_contended", c->lock_contended);
	JU(x, "lock_wait_ns", c->lock_wait_ns);
	JU(x, "lock_contended_since_attach", c->lock_contended - t->base.lock_contended);
	JU(x, "lock_wait_ns_since_attach", c->lock_wait_ns - t->base.lock_wait_ns);
	json_object_object_add(o, "module", x);
	if (B.skel) {
		x = json_object_new_object();
		JU(x, "contended", v.cont);
		JU(x, "wait_ns", v.wait);
		JU(x, "contended_total", v.tcont);
		JU(x, "wait_ns_total", v.twait);
		JD(x, "wait_p50_ns", view_pct(&v, 0.5));
		JD(x, "wait_p99_ns", view_pct(&v, 0.99));
		JU(x, "wait_max_ns", v.max);
		JU(x, "wait_max_ns_total", v.tmax);
		JU(x, "hold_ns", v.hold);
		JU(x, "hold_count", v.holdcnt);
		JU(x, "hold_max_ns", v.holdmax);
		json_object_object_add(x, "wait_hist_log2_ns", jhist(v.hist));
		json_object_object_add(x, "wait_hist_log2_ns_total", jhist(v.thist));
		json_object_object_add(o, "bpf", x);
		if (v.tv) {
			x = json_object_new_object();
			JU(x, "count", v.tv->resizes);
			JU(x, "total_ns", v.tv->resize_ns);
			JU(x, "max_ns", v.tv->resize_max_ns);
			JU(x, "last_old_buckets", v.tv->last_old);
			JU(x, "last_new_buckets", v.tv->last_new);
			json_object_object_add(x, "in_progress",
					       json_object_new_boolean(v.tv->resize_start != 0));
			json_object_object_add(o, "resize_traced", x);
			JU(o, "races", v.tv->races);
		} else {
			JU(o, "races", 0);
		}
		JU(o, "module_races", c->races);
		JU(o, "module_read_races", c->read_races);
		arr = json_object_new_array();
		for (size_t i = 0; i < v.nb && (int)i < env.top; i++) {
			const struct bview *b = &v.b[i];

			x = json_object_new_object();
			JU(x, "index", b->k.idx);
			if (b->k.order == MAPSTAT_ORDER_UNKNOWN)
				json_object_object_add(x, "array_buckets", NULL);
			else
				JU(x, "array_buckets", 1ULL << b->k.order);
			json_object_object_add(x, "current_array",
				json_object_new_boolean(b->k.order == v.order));
			JU(x, "contended", b->cont);
			JU(x, "wait_ns", b->wait);
			JU(x, "wait_max_ns", b->max);
			JU(x, "contended_total", b->tcont);
			JU(x, "wait_ns_total", b->twait);
			JU(x, "module_acquisitions", b->v->mod_acquisitions);
			JU(x, "module_contended", b->v->mod_contended);
			if (b->v->matched)
				JU(x, "module_contended_since_seen",
				   b->v->mod_contended - b->v->mod_base);
			JD(x, "ratio", b->v->mod_acquisitions ?
			   (double)b->v->mod_contended / b->v->mod_acquisitions : 0);
			JU(x, "hold_ns", b->hold);
			JU(x, "hold_count", b->holdcnt);
			JU(x, "overflow_chain", b->v->chain);
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "top_buckets", arr);
		arr = json_object_new_array();
		for (size_t i = 0; i < v.nkeys && (int)i < env.top; i++) {
			const struct agg *k = &v.keys[i];

			x = json_object_new_object();
			JS(x, "key", key_str(&k->k, kb, sizeof(kb)));
			json_object_object_add(x, "printable", json_object_new_boolean(
				k->k.klen && cmap_is_printable(k->k.key, k->k.klen)));
			JU(x, "key_len", k->k.klen);
			JU(x, "bucket", k->bidx);
			if (k->border == MAPSTAT_ORDER_UNKNOWN)
				json_object_object_add(x, "array_buckets", NULL);
			else
				JU(x, "array_buckets", 1ULL << k->border);
			JU(x, "contended", k->cont);
			JU(x, "wait_ns", k->wait);
			JU(x, "wait_max_ns", k->max);
			JU(x, "contended_total", k->tcont);
			JU(x, "wait_ns_total", k->twait);
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "top_keys", arr);
		arr = json_object_new_array();
		for (size_t i = 0; i < v.ntasks && (int)i < env.top; i++) {
			const struct agg *k = &v.tasks[i];

			x = json_object_new_object();
			JU(x, "pid", k->k.pid);
			JU(x, "tid", k->k.tid);
			JS(x, "comm", k->comm);
			JU(x, "contended", k->cont);
			JU(x, "wait_ns", k->wait);
			JU(x, "contended_total", k->tcont);
			JU(x, "wait_ns_total", k->twait);
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "top_tasks", arr);
		arr = json_object_new_array();
		for (size_t i = 0; i < v.nstacks && (int)i < env.top; i++) {
			const struct agg *k = &v.stacks[i];

			x = json_object_new_object();
			JU(x, "contended", k->cont);
			JU(x, "wait_ns", k->wait);
			JU(x, "contended_total", k->tcont);
			JU(x, "wait_ns_total", k->twait);
			JS(x, "comm", k->comm);
			json_object_object_add(x, "kernel", jframes(k->k.kstack, 0, false));
			json_object_object_add(x, "user", jframes(k->k.ustack, k->k.pid, true));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "top_stacks", arr);
	}
	view_free(&v);
	return o;
}

/* One party of a race: who, doing what, its stacks (null: not captured). */
static json_object *json_party(const struct mapstat_event *e, int tid,
			       const char *comm, __u32 op)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "tid", json_object_new_int(tid));
	JS(x, "comm", comm);
	JS(x, "op", race_op(op));
	json_object_object_add(x, "kernel", e ? jframes(e->race.kstack, 0, false) : NULL);
	json_object_object_add(x, "user", e ? jframes(e->race.ustack, e->race.tid, true) : NULL);
	return x;
}

/*
 * A race of a shown table (else NULL), both parties side by side as in
 * the text view: "writer" held the table, "intruder" collided.
 */
static json_object *json_race(const struct mapstat_event *ev)
{
	const struct table *t = NULL;
	json_object *x;

	for (size_t j = 0; j < T.n; j++)
		if (T.t[j].info.id == ev->table && table_shown(&T.t[j]))
			t = &T.t[j];
	if (!t)
		return NULL;
	x = json_object_new_object();
	JU(x, "table_id", ev->table);
	JS(x, "table", t->info.name);
	JU(x, "seq", ev->race.seq);
	JS(x, "error", ev->race.intruder_op == 2 ? "concurrent map read and map write" :
	   "concurrent map writes");
	json_object_object_add(x, "writer",
		json_party(race_holder(ev->table, ev->race.seq), ev->race.writer_pid,
			   ev->race.writer_comm, ev->race.writer_op));
	json_object_object_add(x, "intruder",
		json_party(ev, ev->race.intruder_pid, ev->race.intruder_comm,
			   ev->race.intruder_op));
	return x;
}

/*
 * The last races of the shown tables, newest first, then the last one
 * with both stacks if it is older.
 */
static json_object *json_races(void)
{
	json_object *arr = json_object_new_array(), *x;
	bool pair_in = false;

	for (unsigned i = racelog.n; i-- > (racelog.n > EVLOG ? racelog.n - EVLOG : 0);) {
		const struct mapstat_event *ev = &racelog.ev[i % EVLOG];

		pair_in |= have_pair && ev->table == pair[0].table &&
			   ev->race.seq == pair[0].race.seq;
		if ((x = json_race(ev)))
			json_object_array_add(arr, x);
	}
	if (have_pair && !pair_in && (x = json_race(&pair[0])))
		json_object_array_add(arr, x);
	return arr;
}

static void report_json(FILE *f)
{
	json_object *o = json_object_new_object(), *x, *arr;
	struct timespec ts;
	size_t shown = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	JD(o, "time", ts.tv_sec + ts.tv_nsec / 1e9);
	JD(o, "interval_s", t_cur - t_prev > 0 ? t_cur - t_prev : env.interval);
	JS(o, "attach", B.mode ? B.mode : "none");
	json_object_object_add(o, "module_btf", json_object_new_boolean(B.module_btf));
	json_object_object_add(o, "cumulative", json_object_new_boolean(env.cumulative));
	x = json_object_new_object();
	if (env.pid)
		JU(x, "pid", env.pid);
	if (env.comm)
		JS(x, "comm", env.comm);
	json_object_object_add(o, "filter", x);
	if (B.skel) {
		x = json_object_new_object();
		for (int i = 0; i < MAPSTAT_DROP_NR; i++)
			JU(x, drop_names[i], S.drops[i]);
		JU(x, "bpf_recursion_misses", prog_misses());
		json_object_object_add(o, "dropped", x);
		json_object_object_add(o, "bpf_programs", prog_stats());
		JU(o, "matched", S.matched);
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < T.n; i++) {
		if (!table_shown(&T.t[i]))
			continue;
		json_object_array_add(arr, json_table(&T.t[i]));
		shown++;
	}
	json_object_object_add(o, "tables", arr);
	json_object_object_add(o, "races", json_races());
	if (!shown)
		JS(o, "status", wait_msg());
	else
		JS(o, "status", "ok");
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(f);
	json_object_put(o);
}

/* ---- Prometheus textfile --------------------------------------------- */

static void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fprintf(f, "\\n");
		else
			fputc(*s, f);
	}
}

#define PROM_HEAD(f, name, type, help) \
	fprintf(f, "# HELP " name " " help "\n# TYPE " name " " type "\n")

static void prom_tl(FILE *f, const struct table *t)
{
	fprintf(f, "{table=\"");
	prom_label(f, t->info.name);
	fprintf(f, "\",id=\"%u\"", t->info.id);
}

static void write_prometheus(void)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", env.prom);
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "mapstat: %s: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	fchmod(fd, 0644);
#define EACH for (size_t i = 0; i < T.n; i++) if (table_shown(&T.t[i]))
#define TL(t) prom_tl(f, t)
#define M(name) fputs(name, f)
	PROM_HEAD(f, "cmap_entries", "gauge", "Live entries of a cmap table.");
	EACH { M("cmap_entries"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.entries); }
	PROM_HEAD(f, "cmap_table_info", "gauge", "1 for each table, with its synchronization mode.");
	EACH { M("cmap_table_info"); TL(&T.t[i]); fprintf(f, ",mode=\""); prom_label(f, mode_str(T.t[i].cur.mode)); fprintf(f, "\"} 1\n"); }
	PROM_HEAD(f, "cmap_max_entries", "gauge", "The table's limit on entries: a put beyond it fails with ENOSPC.");
	EACH { M("cmap_max_entries"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.max_entries); }
	PROM_HEAD(f, "cmap_bytes", "gauge", "Bytes the table holds (entries as charged against max_bytes, plus bucket arrays).");
	EACH { M("cmap_bytes"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.bytes); }
	PROM_HEAD(f, "cmap_max_bytes", "gauge", "The table's limit on bytes: a put beyond it fails with ENOSPC.");
	EACH { M("cmap_max_bytes"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.max_bytes); }
	PROM_HEAD(f, "cmap_overflow_buckets", "gauge", "Overflow buckets chained in the current array (colliding keys).");
	EACH { M("cmap_overflow_buckets"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.overflow_buckets); }
	PROM_HEAD(f, "cmap_buckets", "gauge", "Head buckets of the table's current array.");
	EACH { M("cmap_buckets"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.buckets); }
	PROM_HEAD(f, "cmap_load_factor", "gauge", "Entries per head bucket.");
	EACH { M("cmap_load_factor"); TL(&T.t[i]); fprintf(f, "} %.3f\n", T.t[i].cur.load_factor_milli / 1000.0); }
	PROM_HEAD(f, "cmap_resizing", "gauge", "1 while a migration to a new bucket array runs.");
	EACH { M("cmap_resizing"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.resizing); }
	PROM_HEAD(f, "cmap_resizes_total", "counter", "Completed resizes.");
	EACH { M("cmap_resizes_total"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.resizes); }
	PROM_HEAD(f, "cmap_operations_total", "counter", "Operations by type.");
	EACH {
		const struct cmap_stats *c = &T.t[i].cur;

		M("cmap_operations_total"); TL(&T.t[i]); fprintf(f, ",op=\"put\"} %llu\n", (unsigned long long)c->puts);
		M("cmap_operations_total"); TL(&T.t[i]); fprintf(f, ",op=\"get\"} %llu\n", (unsigned long long)c->gets);
		M("cmap_operations_total"); TL(&T.t[i]); fprintf(f, ",op=\"delete\"} %llu\n", (unsigned long long)c->deletes);
		M("cmap_operations_total"); TL(&T.t[i]); fprintf(f, ",op=\"iter\"} %llu\n", (unsigned long long)c->iters);
	}
	PROM_HEAD(f, "cmap_lock_acquisitions_total", "counter", "Bucket lock acquisitions (module counter).");
	EACH { M("cmap_lock_acquisitions_total"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.lock_acquisitions); }
	PROM_HEAD(f, "cmap_lock_contended_total", "counter", "Bucket lock acquisitions that waited (module counter).");
	EACH { M("cmap_lock_contended_total"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)T.t[i].cur.lock_contended); }
	PROM_HEAD(f, "cmap_lock_wait_seconds_total", "counter", "Time waited for bucket locks (module counter).");
	EACH { M("cmap_lock_wait_seconds_total"); TL(&T.t[i]); fprintf(f, "} %.9f\n", T.t[i].cur.lock_wait_ns / 1e9); }
	if (B.skel) {
		PROM_HEAD(f, "mapstat_lock_wait_seconds", "histogram",
			  "Waits of contended bucket lock acquisitions traced since mapstat attached.");
		EACH {
			struct view v;
			__u64 acc = 0;

			view_build(&v, &T.t[i]);
			for (int s = 0; s < MAPSTAT_HIST_SLOTS; s++) {
				acc += v.thist[s];
				M("mapstat_lock_wait_seconds_bucket"); TL(&T.t[i]);
				fprintf(f, ",le=\"%.9g\"} %llu\n", (double)(1ULL << (s + 1)) / 1e9,
					(unsigned long long)acc);
			}
			M("mapstat_lock_wait_seconds_bucket"); TL(&T.t[i]); fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)acc);
			M("mapstat_lock_wait_seconds_sum"); TL(&T.t[i]); fprintf(f, "} %.9f\n", v.twait / 1e9);
			M("mapstat_lock_wait_seconds_count"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)v.tcont);
			view_free(&v);
		}
		/*
		 * Keys are user data of unbounded cardinality: series per
		 * key only when asked for (--key-labels), --top per table.
		 */
		if (env.key_labels) {
			PROM_HEAD(f, "mapstat_key_lock_wait_seconds_total", "counter",
				  "Time waited for bucket locks by operations on the top keys, since attach.");
			EACH {
				struct view v;
				char kb[160];
				bool save = env.cumulative;

				env.cumulative = true;	/* rank by totals here */
				view_build(&v, &T.t[i]);
				env.cumulative = save;
				for (size_t k = 0; k < v.nkeys && (int)k < env.top; k++) {
					M("mapstat_key_lock_wait_seconds_total"); TL(&T.t[i]);
					fprintf(f, ",key=\"");
					prom_label(f, key_str(&v.keys[k].k, kb, sizeof(kb)));
					fprintf(f, "\"} %.9f\n", v.keys[k].twait / 1e9);
				}
				view_free(&v);
			}
		}
		PROM_HEAD(f, "mapstat_races_total", "counter", "cmap:race events traced.");
		EACH {
			__u32 id = T.t[i].info.id;
			struct mapstat_table_val tv = {};

			bpf_map_lookup_elem(bpf_map__fd(B.skel->maps.tables), &id, &tv);
			M("mapstat_races_total"); TL(&T.t[i]); fprintf(f, "} %llu\n", (unsigned long long)tv.races);
		}
		PROM_HEAD(f, "mapstat_dropped_total", "counter",
			  "Events mapstat could not record, by reason.");
		for (int d = 0; d < MAPSTAT_DROP_NR; d++)
			fprintf(f, "mapstat_dropped_total{reason=\"%s\"} %llu\n",
				drop_names[d], (unsigned long long)S.drops[d]);
	}
	PROM_HEAD(f, "mapstat_attached", "gauge", "1 when the BPF programs are attached, by method.");
	fprintf(f, "mapstat_attached{method=\"%s\"} %d\n", B.mode ? B.mode : "none",
		B.skel ? 1 : 0);
#undef EACH
#undef TL
#undef M
	if (fclose(f) || rename(tmp, env.prom)) {
		fprintf(stderr, "mapstat: %s: %s\n", env.prom, strerror(errno));
		unlink(tmp);
	}
}

/* ---- folded stacks --------------------------------------------------- */

/* @s with ';' (separates frames) and ' ' (before the count) replaced */
static void fold_name(FILE *f, const char *s, const char *end)
{
	for (; *s && s != end; s++)
		fputc(*s == ';' ? ':' : *s == ' ' ? '_' : *s, f);
}

/*
 * A frame as stackcollapse tools write it: the function without its
 * "+0x<offset>", so a function is one box however many call sites it
 * has; an unresolved address is "[its binary]", else "[unknown]".
 */
static void fold_frame(FILE *f, const char *s)
{
	const char *p;

	if (!strncmp(s, "0x", 2)) {
		p = strstr(s, " (");
		if (p && strchr(p, ')')) {
			fputc('[', f);
			fold_name(f, p + 2, strchr(p, ')'));
			fputc(']', f);
		} else {
			fputs("[unknown]", f);
		}
		return;
	}
	while (*s) {
		p = strstr(s, "+0x");
		if (!p) {
			fold_name(f, s, NULL);
			return;
		}
		fold_name(f, s, p);
		for (s = p + 3; isxdigit((unsigned char)*s); s++)
			;
	}
}

struct fold_line {
	char *stack;
	unsigned long long weight;
};

static int fold_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fold_line *)a)->stack,
		      ((const struct fold_line *)b)->stack);
}

static void write_folded(void)
{
	static char kf[MAPSTAT_STACK_DEPTH][160], uf[MAPSTAT_STACK_DEPTH][160];
	char tmp[PATH_MAX];
	bool out = !strcmp(env.folded, "-");
	struct fold_line *lines = NULL;
	size_t nlines = 0, cap = 0;
	FILE *f;
	int fd = -1;

	if (out) {
		f = stdout;
	} else {
		snprintf(tmp, sizeof(tmp), "%s.XXXXXX", env.folded);
		fd = mkstemp(tmp);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "mapstat: %s: %s\n", tmp, strerror(errno));
			if (fd >= 0)
				close(fd);
			return;
		}
		fchmod(fd, 0644);
	}
	/*
	 * Stacks that differ only in offsets, tasks or keys fold to the same
	 * line: collect, sort, and merge them, as stackcollapse tools do.
	 */
	for (size_t i = 0; i < T.n; i++) {
		struct view v;
		bool save = env.cumulative;

		if (!table_shown(&T.t[i]))
			continue;
		env.cumulative = true;
		view_build(&v, &T.t[i]);
		env.cumulative = save;
		for (size_t s = 0; s < v.nstacks; s++) {
			const struct agg *x = &v.stacks[s];
			int nk, nu;
			struct fold_line *l;
			size_t len;
			FILE *m;

			if (!(env.folded_wait ? x->twait : x->tcont))
				continue;
			if (nlines == cap) {
				size_t ncap = cap ? 2 * cap : 256;

				l = realloc(lines, ncap * sizeof(*lines));
				if (!l)
					break;
				lines = l;
				cap = ncap;
			}
			l = &lines[nlines];
			m = open_memstream(&l->stack, &len);
			if (!m)
				break;
			nk = kstack_syms(x->k.kstack, kf, MAPSTAT_STACK_DEPTH);
			nu = ustack_syms(x->k.ustack, x->k.pid, uf, MAPSTAT_STACK_DEPTH);
			fold_name(m, x->comm, NULL);
			/* root first: outermost user frame ... innermost kernel */
			for (int j = nu - 1; j >= 0; j--) {
				fputc(';', m);
				fold_frame(m, uf[j]);
			}
			for (int j = nk - 1; j >= 0; j--) {
				fputc(';', m);
				fold_frame(m, kf[j]);
			}
			if (fclose(m))
				break;
			l->weight = env.folded_wait ? x->twait : x->tcont;
			nlines++;
		}
		view_free(&v);
	}
	if (nlines)
		qsort(lines, nlines, sizeof(*lines), fold_cmp);
	for (size_t i = 0; i < nlines; i++) {
		unsigned long long w = lines[i].weight;

		while (i + 1 < nlines && !strcmp(lines[i].stack, lines[i + 1].stack)) {
			free(lines[i].stack);
			w += lines[++i].weight;
		}
		fprintf(f, "%s %llu\n", lines[i].stack, w);
		free(lines[i].stack);
	}
	free(lines);
	if (out) {
		fflush(f);
		return;
	}
	if (fclose(f) || rename(tmp, env.folded)) {
		fprintf(stderr, "mapstat: %s: %s\n", env.folded, strerror(errno));
		unlink(tmp);
	}
}

/* ---- the live view --------------------------------------------------- */

static struct ui {
	bool on;
	bool paused;
	bool help;
	bool expand;
	int sel_stack;
	int scroll;
	char *text;		/* the last report */
} U;

static void ui_draw(void)
{
	int rows, cols, row = 0, line = 0;
	const char *p;

	getmaxyx(stdscr, rows, cols);
	erase();
	if (U.help) {
		mvprintw(0, 0, "mapstat keys:");
		mvprintw(2, 2, "q          quit");
		mvprintw(3, 2, "p          pause / resume refreshing");
		mvprintw(4, 2, "s          sort by contended / wait / max (now: %s)",
			 sort_name[env.sort]);
		mvprintw(5, 2, "t          next table");
		mvprintw(6, 2, "Up/Down    select a stack; Enter expands or collapses it");
		mvprintw(7, 2, "PgUp/PgDn  scroll");
		mvprintw(8, 2, "h or ?     this help (any key returns)");
		refresh();
		return;
	}
	for (p = U.text; p && *p && row < rows - 1;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		if (line++ >= U.scroll) {
			bool hdr = len > 2 && (!strncmp(p, "  TOP", 5) ||
					       !strncmp(p, "TABLE", 5) ||
					       !strncmp(p, "   ID", 5));
			bool sel = len > 3 && p[2] == '>';

			if (hdr || sel)
				attron(sel ? A_REVERSE : A_BOLD);
			mvaddnstr(row++, 0, p, len < cols ? len : cols);
			if (hdr || sel)
				attroff(sel ? A_REVERSE : A_BOLD);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	attron(A_REVERSE);
	mvprintw(rows - 1, 0, "%s q quit  p pause  s sort(%s)  t table  Enter stack  h help",
		 U.paused ? "[PAUSED]" : "", sort_name[env.sort]);
	attroff(A_REVERSE);
	refresh();
}

static void ui_render(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int cols = COLS;

	if (!f)
		return;
	report(f, U.sel_stack, U.expand, cols);
	fclose(f);
	free(U.text);
	U.text = buf;
}

/* Handle keys until @deadline (monotonic s); true when asked to quit. */
static bool ui_wait(double deadline)
{
	for (;;) {
		double left = deadline - now_s();
		int ch;

		if (exiting)
			return true;
		if (left <= 0 && !U.paused)
			return false;
		timeout(left > 0 ? (int)(left * 1000) + 1 : 200);
		ch = getch();
		if (ch == ERR)
			continue;
		if (U.help) {
			U.help = false;
			ui_draw();
			continue;
		}
		switch (ch) {
		case 'q':
		case 'Q':
			return true;
		case 'p':
			U.paused = !U.paused;
			break;
		case 's':
			env.sort = (env.sort + 1) % SORT_NR;
			ui_render();
			break;
		case 't': {
			size_t n = T.n, i;

			for (i = 1; i <= n; i++) {
				size_t j = (selected + i) % (n ? n : 1);

				if (n && table_shown(&T.t[j])) {
					selected = j;
					selected_id = T.t[j].info.id;
					break;
				}
			}
			U.sel_stack = 0;
			U.expand = false;
			ui_render();
			break;
		}
		case KEY_UP:
		case 'k':
			if (U.sel_stack > 0)
				U.sel_stack--;
			ui_render();
			break;
		case KEY_DOWN:
		case 'j':
			if (U.sel_stack < env.top - 1)
				U.sel_stack++;
			ui_render();
			break;
		case '\n':
		case '\r':
		case KEY_ENTER:
			U.expand = !U.expand;
			ui_render();
			break;
		case KEY_NPAGE:
			U.scroll += LINES / 2;
			break;
		case KEY_PPAGE:
			U.scroll = U.scroll > LINES / 2 ? U.scroll - LINES / 2 : 0;
			break;
		case 'h':
		case '?':
			U.help = true;
			break;
		case KEY_RESIZE:
			ui_render();
			break;
		default:
			break;
		}
		ui_draw();
	}
}

/* ---- main loop ------------------------------------------------------- */

static void sleep_until(double deadline)
{
	while (!exiting) {
		double left = deadline - now_s();
		struct timespec ts;

		if (left <= 0)
			return;
		if (B.rb) {
			ring_buffer__poll(B.rb, left > 0.2 ? 200 : (int)(left * 1000) + 1);
			continue;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/*
 * Keep the BPF side in step with the module: attach once cmap.ko is live,
 * detach (kprobe mode) when it goes away.  Returns false on a hard error.
 */
static bool bpf_sync(bool *announced)
{
	char why[256];

	if (B.skel && !module_is_live(MODULE_NAME)) {
		snap_free(&S);
		snap_free(&P);
		bpf_detach();
	}
	if (!B.skel && module_is_live(MODULE_NAME)) {
		if (bpf_attach(why, sizeof(why))) {
			fprintf(stderr, "mapstat: %s\n", why);
			return false;
		}
		if (!env.json && !U.on)
			fprintf(stderr, "mapstat: attached with %s\n", attach_desc());
		/* now with cmap's symbols and the BPF trampoline's */
		ksyms_reload();
		/* baselines are taken at the first read after the attach */
		for (size_t i = 0; i < T.n; i++)
			T.t[i].have_base = false;
		T.based = false;
	}
	if (!B.skel && !*announced && !U.on) {
		fprintf(stderr, "mapstat: %s\n", wait_msg());
		*announced = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = args_doc,
		.doc = doc,
	};
	bool announced = false;
	double next;
	long n = 0;
	int err;

	setlocale(LC_CTYPE, "");
	argp_err_exit_status = CMAP_EXIT_ERROR;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return CMAP_EXIT_ERROR;
	if (env.table) {
		const char *why;

		if (cmap_check_name(env.table, &why)) {
			fprintf(stderr, "mapstat: bad table name '%s': %s\n", env.table, why);
			return CMAP_EXIT_ERROR;
		}
	}
	trace_setup(env.verbose);

	ksyms_reload();
	usyms = usyms_new();

	U.on = !env.batch && !env.json && isatty(STDOUT_FILENO);
	if (!bpf_sync(&announced)) {
		err = CMAP_EXIT_ERROR;
		goto cleanup;
	}
	if (U.on) {
		initscr();
		cbreak();
		noecho();
		keypad(stdscr, TRUE);
		curs_set(0);
	}

	t_cur = now_s();
	tables_refresh();
	if (B.skel)
		snap_read(&S);
	select_table();
	next = now_s() + env.interval;
	while (!exiting) {
		if (U.on) {
			ui_render();
			ui_draw();
			if (ui_wait(next))
				break;
		} else {
			sleep_until(next);
			if (exiting)
				break;
		}
		next += env.interval;
		if (next < now_s())
			next = now_s() + env.interval;

		if (!bpf_sync(&announced)) {
			err = CMAP_EXIT_ERROR;
			break;
		}
		if (B.rb)
			ring_buffer__consume(B.rb);
		t_prev = t_cur;
		t_cur = now_s();
		tables_refresh();
		snap_free(&P);
		P = S;
		memset(&S, 0, sizeof(S));
		if (B.skel && snap_unchanged(&P)) {
			/* nothing traced: the same numbers, no map walk */
			if (snap_dup(&S, &P))
				fprintf(stderr, "mapstat: out of memory\n");
		} else if (B.skel && snap_read(&S)) {
			fprintf(stderr, "mapstat: reading the BPF maps: %s\n", strerror(errno));
		}
		if (B.skel)
			prepare_usyms();
		select_table();

		if (env.json)
			report_json(stdout);
		else if (!U.on) {
			report(stdout, -1, true, 120);
			fputs("\n", stdout);
			fflush(stdout);
		}
		if (env.prom)
			write_prometheus();
		if (env.folded && B.skel)
			write_folded();
		if (env.count && ++n >= env.count)
			break;
	}
cleanup:
	if (U.on)
		endwin();
	free(U.text);
	snap_free(&S);
	snap_free(&P);
	bpf_detach();
	usyms_free(usyms);
	ksyms_free(ksyms);
	free(T.t);
	return err;
}
