// SPDX-License-Identifier: GPL-2.0
/*
 * cmapctl bench: the in-kernel benchmark (CMAP_IOC_BENCH) and its output as
 * a table, records (--csv) or JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmapctl.h"

/* ---- bench ----------------------------------------------------------------- */

#define BENCH_RHT	31	/* cmap_bench_result.mode of the rhashtable */
#define BENCH_ALL	(((1U << CMAP_MODE_COUNT) - 1) | CMAP_BENCH_RHASHTABLE)
#define BENCH_MAX_KEYS	(1U << 24)

static const char *bench_mode_name(__u32 mode)
{
	const char *name = mode == BENCH_RHT ? "rhashtable" : cmapc_mode_name(mode);

	return name ? name : "?";
}

/* "rcu,rwlock,rhashtable" or "all" into cmap_bench.modes; 0 and *@bad if not */
__u32 parse_bench_modes(char *list, const char **bad)
{
	__u32 modes = 0;
	char *save, *tok;
	int m;

	*bad = "";
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(tok, "all"))
			modes |= BENCH_ALL;
		else if (!strcasecmp(tok, "rhashtable") || !strcasecmp(tok, "rht"))
			modes |= CMAP_BENCH_RHASHTABLE;
		else if ((m = cmapc_mode_parse(tok)) >= 0)
			modes |= 1U << m;
		else {
			*bad = tok;
			return 0;
		}
	}
	return modes;
}

static const struct cmap_bench_result *
bench_find(const struct cmap_bench_result *res, __u32 n, __u32 mode)
{
	for (__u32 i = 0; i < n; i++)
		if (res[i].mode == mode)
			return &res[i];
	return NULL;
}

static double bench_per_entry(const struct cmap_bench_result *r)
{
	return r->entries ? (double)r->bytes / r->entries : NAN;
}

/*
 * How much faster @r is than @base (>1: faster): ops/s over the baseline's,
 * and for reads the baseline's ns per lookup over @r's.  NAN when unknown.
 */
static double bench_ops_ratio(const struct cmap_bench_result *r,
			      const struct cmap_bench_result *base)
{
	return base && base->ops_per_sec && r->ops_per_sec ?
	       (double)r->ops_per_sec / base->ops_per_sec : NAN;
}

static double bench_read_ratio(const struct cmap_bench_result *r,
			       const struct cmap_bench_result *base)
{
	return base && base->read_ns && r->read_ns ?
	       (double)base->read_ns / r->read_ns : NAN;
}

/* the table cell of a ratio or of bytes per entry */
static void bench_cell(int width, int prec, double v)
{
	if (isnan(v))
		printf("  %*s", width, "-");
	else
		printf("  %*.*f", width, prec, v);
}

static void bench_print_table(const struct cmap_bench *req,
			      const struct cmap_bench_result *res, __u32 n)
{
	const struct cmap_bench_result *rcu = bench_find(res, n, CMAP_MODE_RCU);
	const struct cmap_bench_result *rht = bench_find(res, n, BENCH_RHT);
	bool growth = req->flags & CMAP_BENCH_GROWTH;

#define U(x) ((unsigned long long)(x))
	if (growth) {
		printf("bench: growth from empty to %u keys, %u thread%s, %u-byte values%s%s\n",
		       req->keys, req->threads, req->threads > 1 ? "s" : "",
		       req->value_size,
		       req->flags & CMAP_BENCH_INLINE ? ", inline tables" : "",
		       req->interrupted ? " (interrupted: partial results)" : "");
		printf("%-10s  %10s  %10s  %8s  %8s  %8s  %9s  %10s  %7s  %7s  %7s  %7s\n",
		       "MODE", "INSERTS", "INSERTS/S", "MEAN_NS", "P50", "P99",
		       "P99.9", "MAX", "FAILED", "BUSY", "RESIZES", "B/ENTRY");
		for (__u32 i = 0; i < n; i++) {
			const struct cmap_bench_result *r = &res[i];

			printf("%-10s  %10llu  %10llu  %8llu  %8llu  %8llu  %9llu  %10llu  %7llu  %7llu  %7llu",
			       bench_mode_name(r->mode), U(r->ops), U(r->ops_per_sec),
			       U(r->write_ns), U(r->p50_ns), U(r->p99_ns), U(r->p999_ns),
			       U(r->max_ns), U(r->failed), U(r->busy), U(r->resizes));
			bench_cell(7, 1, bench_per_entry(r));
			printf("\n");
		}
		return;
	}
	printf("bench: %u thread%s, %u%% reads, %u keys %s",
	       req->threads, req->threads > 1 ? "s" : "", req->read_pct, req->keys,
	       req->dist == CMAP_DIST_ZIPF ? "zipf" : "uniform");
	if (req->dist == CMAP_DIST_ZIPF)
		printf(" (theta %.3f)", req->zipf_theta_milli / 1000.0);
	printf(", %u-byte values, %.3f s per mode%s%s%s\n", req->value_size,
	       req->duration_ms / 1000.0,
	       req->flags & CMAP_BENCH_INLINE ? ", inline tables" : "",
	       req->flags & CMAP_BENCH_NO_PRELOAD ? ", no preload" : "",
	       req->interrupted ? " (interrupted: partial results)" : "");
	printf("%-10s  %10s  %7s  %8s  %7s  %7s  %9s  %9s  %7s  %6s  %7s  %7s  %7s  %7s  %7s\n",
	       "MODE", "OPS/S", "READ_NS", "WRITE_NS", "P50", "P99", "MAX",
	       "CONTENDED", "RESIZES", "FAILED", "B/ENTRY", "xRCU", "xRCU_RD",
	       "xRHT", "xRHT_RD");
	for (__u32 i = 0; i < n; i++) {
		const struct cmap_bench_result *r = &res[i];

		printf("%-10s  %10llu  %7llu  %8llu  %7llu  %7llu  %9llu  %9llu  %7llu  %6llu",
		       bench_mode_name(r->mode), U(r->ops_per_sec), U(r->read_ns),
		       U(r->write_ns), U(r->p50_ns), U(r->p99_ns), U(r->max_ns),
		       U(r->contended), U(r->resizes), U(r->failed));
		bench_cell(7, 1, bench_per_entry(r));
		bench_cell(7, 2, bench_ops_ratio(r, rcu));
		bench_cell(7, 2, bench_read_ratio(r, rcu));
		bench_cell(7, 2, bench_ops_ratio(r, rht));
		bench_cell(7, 2, bench_read_ratio(r, rht));
		printf("\n");
	}
	printf("x columns: speed against rcu / rhashtable, >1 is faster "
	       "(ops/s over theirs; _RD: their read ns over ours)\n");
}
#undef U

/* one field of a result as printed by --csv and --json */
struct bench_field {
	const char *name;
	const char *s;		/* a string, or */
	unsigned long long u;	/* a count, or */
	double d;		/* a number (NAN: unknown) when is_d */
	bool is_d;
};

#define BENCH_FIELDS 35

/* the fields of result @r, in --csv column order */
static size_t bench_fields(const struct cmap_bench *req,
			   const struct cmap_bench_result *r,
			   const struct cmap_bench_result *rcu,
			   const struct cmap_bench_result *rht,
			   struct bench_field f[BENCH_FIELDS])
{
	size_t n = 0;

#define FS(k, v) (f[n++] = (struct bench_field){ .name = k, .s = (v) })
#define FU(k, v) (f[n++] = (struct bench_field){ .name = k, .u = (v) })
#define FD(k, v) (f[n++] = (struct bench_field){ .name = k, .d = (v), .is_d = true })
	FS("mode", bench_mode_name(r->mode));
	FU("threads", r->threads);
	FU("read_pct", req->read_pct);
	FU("keys", req->keys);
	FS("dist", req->dist == CMAP_DIST_ZIPF ? "zipf" : "uniform");
	FD("theta", req->dist == CMAP_DIST_ZIPF ? req->zipf_theta_milli / 1000.0 : NAN);
	FU("value_size", req->value_size);
	FU("duration_ms", req->duration_ms);
	FU("growth", !!(req->flags & CMAP_BENCH_GROWTH));
	FU("preload", !(req->flags & (CMAP_BENCH_NO_PRELOAD | CMAP_BENCH_GROWTH)));
	FU("interrupted", req->interrupted);
	FU("ops", r->ops);
	FU("reads", r->reads);
	FU("writes", r->writes);
	FU("failed", r->failed);
	FU("elapsed_ns", r->elapsed_ns);
	FU("ops_per_sec", r->ops_per_sec);
	FU("read_ns", r->read_ns);
	FU("write_ns", r->write_ns);
	FU("p50_ns", r->p50_ns);
	FU("p99_ns", r->p99_ns);
	FU("p999_ns", r->p999_ns);
	FU("max_ns", r->max_ns);
	FU("contended", r->contended);
	FU("acquisitions", r->acquisitions);
	FU("resizes", r->resizes);
	FU("busy", r->busy);
	FU("entries", r->entries);
	FU("bytes", r->bytes);
	FD("bytes_per_entry", bench_per_entry(r));
	FD("ops_vs_rcu", bench_ops_ratio(r, rcu));
	FD("read_vs_rcu", bench_read_ratio(r, rcu));
	FD("ops_vs_rhashtable", bench_ops_ratio(r, rht));
	FD("read_vs_rhashtable", bench_read_ratio(r, rht));
	FU("inline", !!(req->flags & CMAP_BENCH_INLINE));
#undef FS
#undef FU
#undef FD
	return n;
}

/* a record as a CSV line (or its header) */
static void bench_print_record(const struct bench_field *f, size_t n,
			       bool header)
{
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		if (header)
			printf("%s", f[i].name);
		else if (f[i].s)
			printf("%s", f[i].s);
		else if (!f[i].is_d)
			printf("%llu", f[i].u);
		else if (!isnan(f[i].d))
			printf("%.3f", f[i].d);
	}
	printf("\n");
}

/* a record as a JSON object (an unknown number is null) */
static json_object *bench_json_record(const struct bench_field *f, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		json_object *v;

		if (f[i].s)
			v = json_object_new_string(f[i].s);
		else if (!f[i].is_d)
			v = json_object_new_uint64(f[i].u);
		else if (!isnan(f[i].d))
			v = json_fixed3(f[i].d);
		else
			v = NULL;
		json_object_object_add(o, f[i].name, v);
	}
	return o;
}

int cmd_bench(void)
{
	struct cmap_bench_result res[CMAP_MODE_COUNT + 1];
	const struct cmap_bench_result *rcu, *rht;
	struct cmap_bench req;
	double ms = env.duration * 1000;
	int fd, err;

	if (env.threads > CMAP_BENCH_MAX_THREADS)
		die("--threads %u: at most %d", env.threads, CMAP_BENCH_MAX_THREADS);
	if (env.keys > BENCH_MAX_KEYS)
		die("--keys %" PRIu64 ": at most %u", env.keys, BENCH_MAX_KEYS);
	if (env.read_pct != (unsigned)env.read_pct)
		die("--read-pct %g: must be a whole percentage", env.read_pct);
	if (!env.growth && (ms < 1 || ms > 600000))
		die("--duration %g: must be 0.001..600 seconds", env.duration);
	if (env.zipf && (env.theta < 0.001 || env.theta > 0.999))
		die("--theta %g: must be 0.001..0.999", env.theta);

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	if (env.bench_inline && env.value_size != 8)
		die("--inline: values must be 8 bytes (--value-size %u)",
		    env.value_size);
	req.flags = (env.preload ? 0 : CMAP_BENCH_NO_PRELOAD) |
		    (env.growth ? CMAP_BENCH_GROWTH : 0) |
		    (env.bench_inline ? CMAP_BENCH_INLINE : 0);
	req.modes = env.bench_modes ? env.bench_modes : BENCH_ALL;
	req.threads = env.threads;
	req.duration_ms = env.growth ? 0 : (__u32)(ms + 0.5);
	req.read_pct = env.growth ? 0 : (__u32)env.read_pct;
	req.keys = (__u32)env.keys;
	req.dist = env.zipf ? CMAP_DIST_ZIPF : CMAP_DIST_UNIFORM;
	req.zipf_theta_milli = env.zipf ? (__u32)(env.theta * 1000 + 0.5) : 0;
	req.value_size = env.value_size;
	req.nresults = sizeof(res) / sizeof(res[0]);
	req.results = (uintptr_t)res;

	fd = open_device();
	/* Ctrl-C ends the ioctl early with partial results: no SA_RESTART */
	catch_stop_signals();
	verbose("modes %#x, %u threads; Ctrl-C stops with partial results",
		req.modes, req.threads);
	err = cmapc_bench(fd, &req);
	if (err) {
		err = -err;

		if (err == ENOTTY)
			die("CMAP_IOC_BENCH not supported: cmap.ko without the benchmark");
		if (err == ENOMEM)
			die("out of kernel memory, or %" PRIu64 " keys with %u-byte values would "
			    "take more than half of the RAM", env.keys, env.value_size);
		die_err(CMAP_IOC_BENCH, 0, -err, NULL);
	}
	close(fd);
	if (req.interrupted)
		fprintf(stderr, "cmapctl: bench: interrupted: partial results\n");

	rcu = bench_find(res, req.nresults, CMAP_MODE_RCU);
	rht = bench_find(res, req.nresults, BENCH_RHT);
	if (!env.csv && !env.json) {
		bench_print_table(&req, res, req.nresults);
		check_stdout();
		return 0;
	}
	if (env.json) {
		json_object *o = json_object_new_object();
		json_object *arr = json_object_new_array();

		json_object_object_add(o, "interrupted", json_object_new_int64(req.interrupted));
		for (__u32 i = 0; i < req.nresults; i++) {
			struct bench_field f[BENCH_FIELDS];
			size_t n = bench_fields(&req, &res[i], rcu, rht, f);

			json_object_array_add(arr, bench_json_record(f, n));
		}
		json_object_object_add(o, "results", arr);
		json_print(o, JSON_FLAGS | JSON_C_TO_STRING_PRETTY);
		check_stdout();
		return 0;
	}
	for (__u32 i = 0; i < req.nresults; i++) {
		struct bench_field f[BENCH_FIELDS];
		size_t n = bench_fields(&req, &res[i], rcu, rht, f);

		if (!i)
			bench_print_record(f, n, true);
		bench_print_record(f, n, false);
	}
	check_stdout();
	return 0;
}
