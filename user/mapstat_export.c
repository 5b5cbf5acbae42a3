// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat's machine-readable outputs: one JSON object per interval,
 * a node_exporter textfile, folded stacks for flame graphs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "mapstat_int.h"
#include "mapstat.skel.h"

#define JU(o, k, v) json_object_object_add(o, k, json_object_new_uint64((uint64_t)(v)))
#define JD(o, k, v) json_object_object_add(o, k, json_object_new_double(v))
#define JS(o, k, v) json_object_object_add(o, k, json_object_new_string(v))

/* ---- JSON ------------------------------------------------------------ */

/*
 * Run counts and run time of each attached program: the kernel keeps them
 * while sysctl kernel.bpf_stats_enabled is 1 (else they stay 0).  The
 * in-kernel cost of tracing, without the noise of throughput figures.
 */
static json_object *prog_stats(void)
{
	json_object *o = json_object_new_object();
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, ms_bpf.skel->obj) {
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


/*
 * The waits of a table, bucket, key, task or stack (anything with cont,
 * wait, max, tcont, twait): over the interval, then since attach, in the
 * order every object lists them; @with_max adds the interval's longest.
 */
#define JWAITS(x, r, with_max) do {					\
	JU(x, "contended", (r)->cont);					\
	JU(x, "wait_ns", (r)->wait);					\
	if (with_max)							\
		JU(x, "wait_max_ns", (r)->max);				\
	JU(x, "contended_total", (r)->tcont);				\
	JU(x, "wait_ns_total", (r)->twait);				\
} while (0)

static json_object *jframes(int id, __u32 pid, bool user)
{
	static char fr[MAPSTAT_STACK_DEPTH][160];
	json_object *a = json_object_new_array();
	int n = user ? ms_ustack_syms(id, pid, fr, MAPSTAT_STACK_DEPTH) :
		       ms_kstack_syms(id, fr, MAPSTAT_STACK_DEPTH);

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

	ms_view_build(&v, t);
	JU(o, "id", t->info.id);
	JS(o, "name", t->info.name);
	JU(o, "creator_pid", c->creator_pid);
	JS(o, "creator_comm", c->creator_comm);
	JS(o, "mode", ms_mode_str(c->mode));
	json_object_object_add(o, "inline",
			       json_object_new_boolean(c->create_flags & CMAP_CREATE_INLINE));
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
	if (ms_bpf.skel) {
		x = json_object_new_object();
		JWAITS(x, &v, false);
		JD(x, "wait_p50_ns", ms_view_pct(&v, 0.5));
		JD(x, "wait_p99_ns", ms_view_pct(&v, 0.99));
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
			JWAITS(x, b, true);
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
			JS(x, "key", ms_key_str(&k->k, kb, sizeof(kb)));
			json_object_object_add(x, "printable", json_object_new_boolean(
				k->k.klen && cmapc_is_printable(k->k.key, k->k.klen)));
			JU(x, "key_len", k->k.klen);
			JU(x, "bucket", k->bidx);
			if (k->border == MAPSTAT_ORDER_UNKNOWN)
				json_object_object_add(x, "array_buckets", NULL);
			else
				JU(x, "array_buckets", 1ULL << k->border);
			JWAITS(x, k, true);
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
			JWAITS(x, k, false);
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "top_tasks", arr);
		arr = json_object_new_array();
		for (size_t i = 0; i < v.nstacks && (int)i < env.top; i++) {
			const struct agg *k = &v.stacks[i];

			x = json_object_new_object();
			JWAITS(x, k, false);
			JS(x, "comm", k->comm);
			json_object_object_add(x, "kernel", jframes(k->k.kstack, 0, false));
			json_object_object_add(x, "user", jframes(k->k.ustack, k->k.pid, true));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "top_stacks", arr);
	}
	ms_view_free(&v);
	return o;
}

/* One party of a race: who, doing what, its stacks (null: not captured). */
static json_object *json_party(const struct mapstat_event *e, int tid,
			       const char *comm, __u32 op)
{
	json_object *x = json_object_new_object();

	json_object_object_add(x, "tid", json_object_new_int(tid));
	JS(x, "comm", comm);
	JS(x, "op", ms_race_op(op));
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

	for (size_t j = 0; j < ms_tables.n; j++)
		if (ms_tables.t[j].info.id == ev->table && ms_table_shown(&ms_tables.t[j]))
			t = &ms_tables.t[j];
	if (!t)
		return NULL;
	x = json_object_new_object();
	JU(x, "table_id", ev->table);
	JS(x, "table", t->info.name);
	JU(x, "seq", ev->race.seq);
	JS(x, "error", ev->race.intruder_op == 2 ? "concurrent map read and map write" :
	   "concurrent map writes");
	json_object_object_add(x, "writer",
		json_party(ms_race_holder(ev->table, ev->race.seq), ev->race.writer_pid,
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

	for (unsigned i = ms_racelog.n; i-- > (ms_racelog.n > EVLOG ? ms_racelog.n - EVLOG : 0);) {
		const struct mapstat_event *ev = &ms_racelog.ev[i % EVLOG];

		pair_in |= ms_have_pair && ev->table == ms_pair[0].table &&
			   ev->race.seq == ms_pair[0].race.seq;
		if ((x = json_race(ev)))
			json_object_array_add(arr, x);
	}
	if (ms_have_pair && !pair_in && (x = json_race(&ms_pair[0])))
		json_object_array_add(arr, x);
	return arr;
}

void ms_report_json(FILE *f)
{
	json_object *o = json_object_new_object(), *x, *arr;
	struct timespec ts;
	size_t shown = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	JD(o, "time", ts.tv_sec + ts.tv_nsec / 1e9);
	JD(o, "interval_s", ms_t_cur - ms_t_prev > 0 ? ms_t_cur - ms_t_prev : env.interval);
	JS(o, "attach", ms_bpf.mode ? ms_bpf.mode : "none");
	json_object_object_add(o, "module_btf", json_object_new_boolean(ms_bpf.module_btf));
	json_object_object_add(o, "cumulative", json_object_new_boolean(env.cumulative));
	x = json_object_new_object();
	if (env.pid)
		JU(x, "pid", env.pid);
	if (env.comm)
		JS(x, "comm", env.comm);
	json_object_object_add(o, "filter", x);
	if (ms_bpf.skel) {
		x = json_object_new_object();
		for (int i = 0; i < MAPSTAT_DROP_NR; i++)
			JU(x, ms_drop_names[i], ms_snap.drops[i]);
		JU(x, "bpf_recursion_misses", ms_prog_misses());
		json_object_object_add(o, "dropped", x);
		json_object_object_add(o, "bpf_programs", prog_stats());
		JU(o, "matched", ms_snap.matched);
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < ms_tables.n; i++) {
		if (!ms_table_shown(&ms_tables.t[i]))
			continue;
		json_object_array_add(arr, json_table(&ms_tables.t[i]));
		shown++;
	}
	json_object_object_add(o, "tables", arr);
	json_object_object_add(o, "races", json_races());
	if (!shown)
		JS(o, "status", ms_wait_msg());
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

void ms_write_prometheus(void)
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
#define EACH for (size_t i = 0; i < ms_tables.n; i++) if (ms_table_shown(&ms_tables.t[i]))
#define TL(t) prom_tl(f, t)
#define M(name) fputs(name, f)
	PROM_HEAD(f, "cmap_entries", "gauge", "Live entries of a cmap table.");
	EACH { M("cmap_entries"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.entries); }
	PROM_HEAD(f, "cmap_table_info", "gauge", "1 for each table, with its synchronization mode and whether it is inline.");
	EACH { M("cmap_table_info"); TL(&ms_tables.t[i]); fprintf(f, ",mode=\""); prom_label(f, ms_mode_str(ms_tables.t[i].cur.mode)); fprintf(f, "\",inline=\"%s\"} 1\n", ms_tables.t[i].cur.create_flags & CMAP_CREATE_INLINE ? "true" : "false"); }
	PROM_HEAD(f, "cmap_max_entries", "gauge", "The table's limit on entries: a put beyond it fails with ENOSPC.");
	EACH { M("cmap_max_entries"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.max_entries); }
	PROM_HEAD(f, "cmap_bytes", "gauge", "Bytes the table holds (entries as charged against max_bytes, plus bucket arrays).");
	EACH { M("cmap_bytes"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.bytes); }
	PROM_HEAD(f, "cmap_max_bytes", "gauge", "The table's limit on bytes: a put beyond it fails with ENOSPC.");
	EACH { M("cmap_max_bytes"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.max_bytes); }
	PROM_HEAD(f, "cmap_overflow_buckets", "gauge", "Overflow buckets chained in the current array (colliding keys).");
	EACH { M("cmap_overflow_buckets"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.overflow_buckets); }
	PROM_HEAD(f, "cmap_buckets", "gauge", "Head buckets of the table's current array.");
	EACH { M("cmap_buckets"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.buckets); }
	PROM_HEAD(f, "cmap_load_factor", "gauge", "Entries per head bucket.");
	EACH { M("cmap_load_factor"); TL(&ms_tables.t[i]); fprintf(f, "} %.3f\n", ms_tables.t[i].cur.load_factor_milli / 1000.0); }
	PROM_HEAD(f, "cmap_resizing", "gauge", "1 while a migration to a new bucket array runs.");
	EACH { M("cmap_resizing"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.resizing); }
	PROM_HEAD(f, "cmap_resizes_total", "counter", "Completed resizes.");
	EACH { M("cmap_resizes_total"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.resizes); }
	PROM_HEAD(f, "cmap_operations_total", "counter", "Operations by type.");
	EACH {
		const struct cmap_stats *c = &ms_tables.t[i].cur;

		M("cmap_operations_total"); TL(&ms_tables.t[i]); fprintf(f, ",op=\"put\"} %llu\n", (unsigned long long)c->puts);
		M("cmap_operations_total"); TL(&ms_tables.t[i]); fprintf(f, ",op=\"get\"} %llu\n", (unsigned long long)c->gets);
		M("cmap_operations_total"); TL(&ms_tables.t[i]); fprintf(f, ",op=\"delete\"} %llu\n", (unsigned long long)c->deletes);
		M("cmap_operations_total"); TL(&ms_tables.t[i]); fprintf(f, ",op=\"iter\"} %llu\n", (unsigned long long)c->iters);
	}
	PROM_HEAD(f, "cmap_lock_acquisitions_total", "counter", "Bucket lock acquisitions (module counter).");
	EACH { M("cmap_lock_acquisitions_total"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.lock_acquisitions); }
	PROM_HEAD(f, "cmap_lock_contended_total", "counter", "Bucket lock acquisitions that waited (module counter).");
	EACH { M("cmap_lock_contended_total"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)ms_tables.t[i].cur.lock_contended); }
	PROM_HEAD(f, "cmap_lock_wait_seconds_total", "counter", "Time waited for bucket locks (module counter).");
	EACH { M("cmap_lock_wait_seconds_total"); TL(&ms_tables.t[i]); fprintf(f, "} %.9f\n", ms_tables.t[i].cur.lock_wait_ns / 1e9); }
	if (ms_bpf.skel) {
		PROM_HEAD(f, "mapstat_lock_wait_seconds", "histogram",
			  "Waits of contended bucket lock acquisitions traced since mapstat attached.");
		EACH {
			struct view v;
			__u64 acc = 0;

			ms_view_build(&v, &ms_tables.t[i]);
			for (int s = 0; s < MAPSTAT_HIST_SLOTS; s++) {
				acc += v.thist[s];
				M("mapstat_lock_wait_seconds_bucket"); TL(&ms_tables.t[i]);
				fprintf(f, ",le=\"%.9g\"} %llu\n", (double)(1ULL << (s + 1)) / 1e9,
					(unsigned long long)acc);
			}
			M("mapstat_lock_wait_seconds_bucket"); TL(&ms_tables.t[i]); fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)acc);
			M("mapstat_lock_wait_seconds_sum"); TL(&ms_tables.t[i]); fprintf(f, "} %.9f\n", v.twait / 1e9);
			M("mapstat_lock_wait_seconds_count"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)v.tcont);
			ms_view_free(&v);
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
				ms_view_build(&v, &ms_tables.t[i]);
				env.cumulative = save;
				for (size_t k = 0; k < v.nkeys && (int)k < env.top; k++) {
					M("mapstat_key_lock_wait_seconds_total"); TL(&ms_tables.t[i]);
					fprintf(f, ",key=\"");
					prom_label(f, ms_key_str(&v.keys[k].k, kb, sizeof(kb)));
					fprintf(f, "\"} %.9f\n", v.keys[k].twait / 1e9);
				}
				ms_view_free(&v);
			}
		}
		PROM_HEAD(f, "mapstat_races_total", "counter", "cmap:race events traced.");
		EACH {
			__u32 id = ms_tables.t[i].info.id;
			struct mapstat_table_val tv = {};

			bpf_map_lookup_elem(bpf_map__fd(ms_bpf.skel->maps.tables), &id, &tv);
			M("mapstat_races_total"); TL(&ms_tables.t[i]); fprintf(f, "} %llu\n", (unsigned long long)tv.races);
		}
		PROM_HEAD(f, "mapstat_dropped_total", "counter",
			  "Events mapstat could not record, by reason.");
		for (int d = 0; d < MAPSTAT_DROP_NR; d++)
			fprintf(f, "mapstat_dropped_total{reason=\"%s\"} %llu\n",
				ms_drop_names[d], (unsigned long long)ms_snap.drops[d]);
	}
	PROM_HEAD(f, "mapstat_attached", "gauge", "1 when the BPF programs are attached, by method.");
	fprintf(f, "mapstat_attached{method=\"%s\"} %d\n", ms_bpf.mode ? ms_bpf.mode : "none",
		ms_bpf.skel ? 1 : 0);
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

void ms_write_folded(void)
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
	for (size_t i = 0; i < ms_tables.n; i++) {
		struct view v;
		bool save = env.cumulative;

		if (!ms_table_shown(&ms_tables.t[i]))
			continue;
		env.cumulative = true;
		ms_view_build(&v, &ms_tables.t[i]);
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
			nk = ms_kstack_syms(x->k.kstack, kf, MAPSTAT_STACK_DEPTH);
			nu = ms_ustack_syms(x->k.ustack, x->k.pid, uf, MAPSTAT_STACK_DEPTH);
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
		ms_view_free(&v);
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

