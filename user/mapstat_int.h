/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mapstat_int.h: what mapstat's userspace files share.  Not seen by BPF:
 * the BPF <-> userspace contract is mapstat.h.
 *
 *   mapstat.c          options, the main loop
 *   mapstat_bpf.c      the data model: BPF lifecycle, map snapshots, resize
 *                      and race events, the table list, per-table views
 *   mapstat_text.c     formatting helpers, the heat strip, the text report
 *   mapstat_export.c   JSON, Prometheus textfile, folded stacks
 *   mapstat_tui.c      the ncurses live view
 */
#ifndef MAPSTAT_INT_H
#define MAPSTAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "libcmap.h"
#include "mapstat.h"
#include "trace_helpers.h"

#define MODULE_NAME	"cmap"

struct mapstat_bpf;
struct ring_buffer;

/* ---- options (mapstat.c) ---------------------------------------------- */

enum sort_by { SORT_CONT, SORT_WAIT, SORT_MAX, SORT_NR };
extern const char *const ms_sort_name[SORT_NR];

struct env {
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
};
extern struct env env;

/* ---- BPF lifecycle (mapstat_bpf.c) ------------------------------------ */

struct bpf {
	struct mapstat_bpf *skel;
	struct ring_buffer *rb;
	const char *mode;	/* "fentry" or "kprobe" */
	bool module_btf;
	double attached_at;
};
extern struct bpf ms_bpf;

void ms_bpf_detach(void);
int ms_bpf_attach(char *why, size_t whylen);
const char *ms_attach_desc(void);

/* ---- reading maps (mapstat_bpf.c) ------------------------------------- */

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
	__u64 settled;		/* bss settled, read before the maps */
	__u32 epoch;		/* epoch the maps were read in */
};

extern struct snap ms_snap, ms_prev;	/* this read, the previous one */

void ms_snap_free(struct snap *s);
int ms_snap_read(struct snap *s);
bool ms_snap_unchanged(const struct snap *s);
int ms_snap_dup(struct snap *d, const struct snap *s);

/* ---- resize and race events (mapstat_bpf.c) --------------------------- */

#define EVLOG 8
/* Resizes, and races (kept apart: a racing load would flood the log). */
struct evlog {
	struct mapstat_event ev[EVLOG];
	unsigned n;		/* total seen */
};
extern struct evlog ms_evlog, ms_racelog, ms_holderlog;
/* The last race whose writer's stack came too, and that writer's event. */
extern struct mapstat_event ms_pair[2];
extern bool ms_have_pair;

const struct mapstat_event *ms_race_holder(__u32 table, __u64 seq);
const char *ms_race_op(__u32 op);

/* ---- tables (mapstat_bpf.c) ------------------------------------------- */

struct table {
	struct cmap_table_info info;
	struct cmap_stats cur, prev, base;
	bool have_cur, have_prev, have_base;
	bool live;
};

struct tables {
	struct table *t;
	size_t n, cap;
	bool device;		/* /dev/cmap could be opened */
	bool based;		/* baselines taken since the attach */
	int dev_err;
};
extern struct tables ms_tables;

void ms_tables_refresh(void);

/* ---- per-table views (mapstat_bpf.c) ---------------------------------- */

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

extern double ms_t_cur, ms_t_prev;

__u32 ms_ilog2_u64(__u64 v);
double ms_view_pct(const struct view *v, double p);
void ms_view_free(struct view *v);
void ms_view_build(struct view *v, struct table *t);

/* ---- formatting helpers (mapstat_text.c) ------------------------------ */

extern struct ksyms *ms_ksyms;
extern struct usyms *ms_usyms;
extern const char *ms_drop_names[MAPSTAT_DROP_NR];
/* The table shown in detail: -t, else the one with most contention. */
extern size_t ms_selected;
extern __u32 ms_selected_id;

void ms_ksyms_reload(void);
const char *ms_key_str(const struct mapstat_rec_key *k, char *buf, size_t size);
int ms_kstack_syms(int id, char (*out)[160], int max);
int ms_ustack_syms(int id, __u32 pid, char (*out)[160], int max);
void ms_prepare_usyms(void);
__u64 ms_prog_misses(void);
const char *ms_mode_str(__u32 mode);
bool ms_table_shown(const struct table *t);

/* ---- text report (mapstat_text.c) ------------------------------------- */

const char *ms_wait_msg(void);
void ms_report(FILE *f, int sel_stack, bool expand, int width);
void ms_select_table(void);

/* ---- exports (mapstat_export.c) --------------------------------------- */

void ms_report_json(FILE *f);
void ms_write_prometheus(void);
void ms_write_folded(void);

/* ---- the live view (mapstat_tui.c) ------------------------------------ */

struct ui {
	bool on;
	bool paused;
	bool help;
	bool expand;
	int sel_stack;
	int scroll;
	char *text;		/* the last report */
};
extern struct ui ms_ui;

void ms_ui_start(void);
void ms_ui_end(void);
void ms_ui_draw(void);
void ms_ui_render(void);
bool ms_ui_wait(double deadline);

#endif /* MAPSTAT_INT_H */
