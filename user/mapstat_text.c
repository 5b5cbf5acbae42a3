// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat's text: key, bucket and stack formatting, the heat strip, and
 * the report that batch mode prints and the live view draws.
 */
#define _GNU_SOURCE
#include <math.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapstat_int.h"
#include "mapstat.skel.h"

/* ---- formatting helpers ---------------------------------------------- */

struct ksyms *ms_ksyms;
struct usyms *ms_usyms;

/* (again after an attach: cmap's and the BPF trampolines' symbols) */
void ms_ksyms_reload(void)
{
	/* a failed reload keeps the symbols there were, and says nothing */
	struct ksyms *ks = ms_ksyms ? ksyms_load() : ksyms_load_or_warn("mapstat");

	if (!ks)
		return;
	ksyms_free(ms_ksyms);
	ms_ksyms = ks;
}

/* Key bytes as text if printable, else 0x and hex. */
const char *ms_key_str(const struct mapstat_rec_key *k, char *buf,
			   size_t size)
{
	size_t o = 0;

	if (!k->klen) {
		snprintf(buf, size, "(none: migration/iteration)");
		return buf;
	}
	if (cmapc_is_printable(k->key, k->klen)) {
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

	if (id < 0 || !ms_bpf.skel)
		return 0;
	memset(ips, 0, MAPSTAT_STACK_DEPTH * sizeof(*ips));
	if (bpf_map_lookup_elem(bpf_map__fd(ms_bpf.skel->maps.stacks), &id, ips))
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
int ms_kstack_syms(int id, char (*out)[160], int max)
{
	__u64 ips[MAPSTAT_STACK_DEPTH];
	int n = stack_frames(id, ips), m = 0, i = 0;
	char buf[160];

	/* drop the leading BPF/trampoline/kprobe frames */
	for (; i < n; i++) {
		ksym_format(ms_ksyms, ips[i], buf, sizeof(buf));
		if (!bpf_frame(buf))
			break;
	}
	if (i == n)
		i = 0;
	for (; i < n && m < max; i++)
		ksym_format(ms_ksyms, ips[i], out[m++], sizeof(out[0]));
	return m;
}

int ms_ustack_syms(int id, __u32 pid, char (*out)[160], int max)
{
	__u64 ips[MAPSTAT_STACK_DEPTH];
	int n = stack_frames(id, ips), m = 0;

	for (int i = 0; i < n && m < max; i++)
		usyms_format(ms_usyms, (pid_t)pid, ips[i], out[m++], sizeof(out[0]));
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
		 ev->race.writer_pid, ev->race.writer_comm, ms_race_op(ev->race.writer_op));
	snprintf(col[1][0], sizeof(col[1][0]), "intruder: %d/%s, %s",
		 ev->race.intruder_pid, ev->race.intruder_comm,
		 ms_race_op(ev->race.intruder_op));
	for (int s = 0; s < 2; s++) {
		const struct mapstat_event *e = who[s];

		if (!e) {
			snprintf(col[s][n[s]++], sizeof(col[0][0]), "%s",
				 ev->race.intruder_op == 2 ? "(a lookup does not ask for its stack)" :
				 "(it left before the report)");
			continue;
		}
		n[s] += ms_kstack_syms(e->race.kstack, &col[s][n[s]], RACE_FRAMES);
		n[s] += ms_ustack_syms(e->race.ustack, e->race.tid, &col[s][n[s]], RACE_FRAMES);
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
void ms_prepare_usyms(void)
{
	for (size_t i = 0; i < ms_snap.nr; i++)
		if (ms_snap.r[i].k.ustack >= 0)
			usyms_prepare(ms_usyms, (pid_t)ms_snap.r[i].k.pid);
}

const char *ms_drop_names[MAPSTAT_DROP_NR] = {
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
__u64 ms_prog_misses(void)
{
	struct bpf_program *prog;
	__u64 sum = 0;

	if (!ms_bpf.skel)
		return 0;
	bpf_object__for_each_program(prog, ms_bpf.skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

const char *ms_mode_str(__u32 mode)
{
	const char *s = cmapc_mode_name(mode);

	return s ? s : "?";
}

/* The table shown in detail: -t, else the one with most contention. */
size_t ms_selected = (size_t)-1;
__u32 ms_selected_id;

bool ms_table_shown(const struct table *t)
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
	int lc = ms_ilog2_u64((__u64)ncells);

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
	char strip[1100], mb[CMAPC_MODE_LABEL_MAX];
	double ratio = v->acq ? 100.0 * v->mcont / v->acq : 0;
	double div = env.cumulative ? 1 : v->dt;

	fprintf(f, "\nTABLE %u \"%s\"  mode %s  created by %d (%s)\n",
		v->t->info.id, v->t->info.name,
		cmapc_mode_label(mb, sizeof(mb), c->mode, c->create_flags),
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
		fmt_ns(a, sizeof(a), ms_view_pct(v, 0.5)),
		fmt_ns(b, sizeof(b), ms_view_pct(v, 0.99)),
		fmt_ns(d, sizeof(d), (double)v->max),
		fmt_ns(e, sizeof(e), (double)v->wait / div), env.cumulative ? "" : "/s");
	if (v->holdcnt)
		fprintf(f, "  hold avg %s max %s (contended holders)",
			fmt_ns(a, sizeof(a), (double)v->hold / v->holdcnt),
			fmt_ns(b, sizeof(b), (double)v->holdmax));
	fprintf(f, "\n");
	if (!ms_bpf.skel)
		return;

	heat_strip(v, width - 10 > 16 ? width - 10 : 16, strip);
	fprintf(f, "  heat  [%s]  %zu cells of %llu buckets\n", strip, strlen(strip),
		(unsigned long long)(c->buckets / (strlen(strip) ? strlen(strip) : 1)));

	fprintf(f, "\n  TOP BUCKETS (by %s)\n", ms_sort_name[env.sort]);
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

	fprintf(f, "\n  TOP KEYS (by %s)\n", ms_sort_name[env.sort]);
	fprintf(f, "  %-32s %10s %9s %9s %9s\n", "KEY", "BUCKET",
		env.cumulative ? "CONT" : "CONT/S", env.cumulative ? "WAIT" : "WAIT/S",
		"MAXWAIT");
	for (size_t i = 0; i < v->nkeys && (int)i < env.top; i++) {
		const struct agg *x = &v->keys[i];

		if (!x->cont && !env.cumulative)
			break;
		fprintf(f, "  %-32.32s %10s %9s %9s %9s\n",
			ms_key_str(&x->k, kb, sizeof(kb)),
			bucket_str(x->border, x->bidx, v->order, bb, sizeof(bb)),
			fmt_count(a, sizeof(a), x->cont / div),
			fmt_ns(b, sizeof(b), x->wait / div),
			fmt_ns(d, sizeof(d), (double)x->max));
	}

	fprintf(f, "\n  TOP TASKS (by %s)\n", ms_sort_name[env.sort]);
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

	fprintf(f, "\n  TOP STACKS (by %s)%s\n", ms_sort_name[env.sort],
		sel_stack >= 0 ? "  [Up/Down select, Enter expand]" : "");
	int nshow = sel_stack >= 0 ? env.top : env.stacks;

	for (size_t i = 0; i < v->nstacks && (int)i < nshow; i++) {
		const struct agg *x = &v->stacks[i];
		static char kf[MAPSTAT_STACK_DEPTH][160], uf[MAPSTAT_STACK_DEPTH][160];
		int nk, nu;
		bool full = sel_stack < 0 || (expand && (int)i == sel_stack);

		if (!x->cont && !env.cumulative)
			break;
		nk = ms_kstack_syms(x->k.kstack, kf, MAPSTAT_STACK_DEPTH);
		nu = ms_ustack_syms(x->k.ustack, x->k.pid, uf, MAPSTAT_STACK_DEPTH);
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
	if (ms_evlog.n) {
		bool hdr = false;

		for (unsigned i = ms_evlog.n > EVLOG ? ms_evlog.n - EVLOG : 0; i < ms_evlog.n; i++) {
			const struct mapstat_event *ev = &ms_evlog.ev[i % EVLOG];

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

	for (unsigned i = ms_racelog.n; !holder &&
	     i-- > (ms_racelog.n > EVLOG ? ms_racelog.n - EVLOG : 0);) {
		const struct mapstat_event *ev = &ms_racelog.ev[i % EVLOG];

		if (ev->table != v->t->info.id)
			continue;
		holder = ms_race_holder(ev->table, ev->race.seq);
		if (!last || holder)
			last = ev;
	}
	if (!holder && ms_have_pair && ms_pair[0].table == v->t->info.id) {
		last = &ms_pair[0];
		holder = &ms_pair[1];
	}
	if (last) {
		fprintf(f, "\n  LAST RACE #%llu: %s by %d/%s during %s by %d/%s\n",
			(unsigned long long)last->race.seq, ms_race_op(last->race.intruder_op),
			last->race.intruder_pid, last->race.intruder_comm,
			ms_race_op(last->race.writer_op), last->race.writer_pid,
			last->race.writer_comm);
		race_pair(f, last, holder, width);
	}
}

const char *ms_wait_msg(void)
{
	static char buf[256];

	if (!module_is_live(MODULE_NAME))
		return "cmap.ko is not loaded; waiting for it (modprobe cmap)";
	if (!ms_tables.device) {
		snprintf(buf, sizeof(buf), "cannot open %s: %s; waiting",
			 env.device ? env.device : CMAP_DEVICE, strerror(ms_tables.dev_err));
		return buf;
	}
	if (env.table)
		snprintf(buf, sizeof(buf), "no table named '%s'; waiting for it", env.table);
	else
		snprintf(buf, sizeof(buf), "no tables; waiting for one (cmapctl create NAME)");
	return buf;
}

void ms_report(FILE *f, int sel_stack, bool expand, int width)
{
	char tb[32], a[32], mb[CMAPC_MODE_LABEL_MAX];
	time_t now = time(NULL);
	size_t shown = 0;
	__u64 dropped = 0;

	strftime(tb, sizeof(tb), "%H:%M:%S", localtime(&now));
	fprintf(f, "mapstat - %s  interval %.2fs  attach: %s%s", tb,
		env.interval, ms_attach_desc(), env.cumulative ? "  [cumulative]" : "");
	if (env.pid)
		fprintf(f, "  [pid %u]", env.pid);
	if (env.comm)
		fprintf(f, "  [comm %s]", env.comm);
	fprintf(f, "\n");
	if (ms_bpf.skel) {
		fprintf(f, "dropped:");
		for (int i = 0; i < MAPSTAT_DROP_NR; i++) {
			if (i == MAPSTAT_DROP_USTACK)
				continue;	/* shown below */
			dropped += ms_snap.drops[i];
			if (ms_snap.drops[i])
				fprintf(f, " %s %llu", ms_drop_names[i],
					(unsigned long long)ms_snap.drops[i]);
		}
		if (!dropped)
			fprintf(f, " none");
		fprintf(f, "  (user stacks lost %llu, bpf recursion misses %llu)\n",
			(unsigned long long)ms_snap.drops[MAPSTAT_DROP_USTACK],
			(unsigned long long)ms_prog_misses());
	}
	for (size_t i = 0; i < ms_tables.n; i++)
		shown += ms_table_shown(&ms_tables.t[i]);
	if (!shown) {
		fprintf(f, "%s\n", ms_wait_msg());
		return;
	}
	fprintf(f, "\n%5s %-20s %7s %-15s %-10s %10s %9s %9s %8s\n", "ID", "NAME",
		"PID", "COMM", "MODE", "ENTRIES", "OPS/S", "CONT/S", "CONTEND");
	for (size_t i = 0; i < ms_tables.n; i++) {
		struct table *t = &ms_tables.t[i];
		const struct cmap_stats *c = &t->cur, *p = &t->prev;
		double dt = ms_t_cur - ms_t_prev, ops = 0, cont = 0, acq = 0;

		if (!ms_table_shown(t))
			continue;
		if (t->have_prev && dt > 0) {
			ops = (double)(c->puts + c->gets + c->deletes - p->puts -
				       p->gets - p->deletes) / dt;
			cont = (double)(c->lock_contended - p->lock_contended);
			acq = (double)(c->lock_acquisitions - p->lock_acquisitions);
		}
		fprintf(f, "%c%4u %-20.20s %7d %-15.15s %-10s %10llu %9s %9s %7.2f%%\n",
			i == ms_selected ? '*' : ' ', t->info.id, t->info.name,
			t->info.creator_pid, t->info.creator_comm,
			cmapc_mode_label(mb, sizeof(mb), t->info.mode,
					 t->info.create_flags),
			(unsigned long long)c->entries, fmt_count(tb, sizeof(tb), ops),
			fmt_count(a, sizeof(a), dt > 0 ? cont / dt : 0),
			acq ? 100 * cont / acq : 0.0);
	}
	if (ms_selected < ms_tables.n) {
		struct view v;

		ms_view_build(&v, &ms_tables.t[ms_selected]);
		report_table(f, &v, sel_stack, expand, width);
		ms_view_free(&v);
	}
}

/* Pick the table shown in detail. */
void ms_select_table(void)
{
	__u64 best = 0;
	size_t pick = (size_t)-1;

	for (size_t i = 0; i < ms_tables.n; i++) {
		if (!ms_table_shown(&ms_tables.t[i]))
			continue;
		if (ms_tables.t[i].info.id == ms_selected_id && ms_selected_id) {
			ms_selected = i;
			return;
		}
	}
	for (size_t i = 0; i < ms_tables.n; i++) {
		const struct table *t = &ms_tables.t[i];
		__u64 c;

		if (!ms_table_shown(t))
			continue;
		c = t->have_prev ? t->cur.lock_contended - t->prev.lock_contended : 0;
		if (pick == (size_t)-1 || c > best) {
			best = c;
			pick = i;
		}
	}
	ms_selected = pick;
	ms_selected_id = pick < ms_tables.n ? ms_tables.t[pick].info.id : 0;
}
