// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat's data model: the BPF side's lifecycle, snapshots of its maps,
 * the resize and race events of its ring buffer, the table list and
 * counters from /dev/cmap, and the per-table views the outputs are made
 * of (interval deltas of the cumulative maps, ranked).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapstat_int.h"
#include "mapstat.skel.h"

/* ---- BPF lifecycle --------------------------------------------------- */

struct bpf ms_bpf;

static int handle_event(void *ctx, void *data, size_t size);

void ms_bpf_detach(void)
{
	ring_buffer__free(ms_bpf.rb);
	ms_bpf.rb = NULL;
	mapstat_bpf__destroy(ms_bpf.skel);
	ms_bpf.skel = NULL;
	ms_bpf.mode = NULL;
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
	ms_bpf.rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event,
				NULL, NULL);
	err = (int)libbpf_get_error(ms_bpf.rb);
	if (err) {
		ms_bpf.rb = NULL;
		snprintf(why, whylen, "cannot open the ring buffer: %s", strerror(-err));
		goto fail;
	}
	ms_bpf.skel = skel;
	ms_bpf.mode = fentry ? "fentry" : "kprobe";
	ms_bpf.attached_at = now_s();
	return 0;
fail:
	mapstat_bpf__destroy(skel);
	return err ? err : -EINVAL;
}

int ms_bpf_attach(char *why, size_t whylen)
{
	ms_bpf.module_btf = module_has_btf(MODULE_NAME);
	if (ms_bpf.module_btf && !env.force_kprobe) {
		if (!bpf_try_attach(true, why, whylen))
			return 0;
		fprintf(stderr, "mapstat: fentry failed (%s); trying a kprobe\n", why);
	}
	return bpf_try_attach(false, why, whylen);
}

const char *ms_attach_desc(void)
{
	if (!ms_bpf.mode)
		return "not attached";
	if (!strcmp(ms_bpf.mode, "fentry"))
		return "fentry (cmap.ko has BTF)";
	return ms_bpf.module_btf ? "kprobe (forced)" :
	       "kprobe (cmap.ko has no BTF: no per-array bucket order)";
}

/* ---- reading maps ---------------------------------------------------- */

struct snap ms_snap, ms_prev;		/* this read, the previous one */

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

void ms_snap_free(struct snap *s)
{
	free(s->b);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

int ms_snap_read(struct snap *s)
{
	struct mapstat_bpf *skel = ms_bpf.skel;
	ssize_t n;
	void *p;

	memset(s, 0, sizeof(*s));
	s->epoch = skel->bss->epoch;
	/*
	 * Before the walk: an event that lands during it changes settled,
	 * so ms_snap_unchanged() sends the next interval back here rather
	 * than keep a read that may hold its record but not its bucket.
	 */
	s->settled = __atomic_load_n(&skel->bss->settled, __ATOMIC_ACQUIRE);
	memcpy(s->drops, (const void *)skel->bss->drops, sizeof(s->drops));
	s->matched = skel->bss->matched;
	n = read_map(bpf_map__fd(skel->maps.buckets),
		     sizeof(struct mapstat_bucket_key),
		     sizeof(struct mapstat_bucket_val),
		     offsetof(struct bkt, v), sizeof(struct bkt),
		     bpf_map__max_entries(skel->maps.buckets), ms_prev.nb, &p);
	if (n < 0)
		return (int)n;
	s->b = p;
	s->nb = (size_t)n;
	n = read_map(bpf_map__fd(skel->maps.records),
		     sizeof(struct mapstat_rec_key),
		     sizeof(struct mapstat_rec_val),
		     offsetof(struct rec, v), sizeof(struct rec),
		     bpf_map__max_entries(skel->maps.records), ms_prev.nr, &p);
	if (n < 0) {
		ms_snap_free(s);
		return (int)n;
	}
	s->r = p;
	s->nr = (size_t)n;
	/* Start the next interval's maxima. */
	__atomic_add_fetch(&skel->bss->epoch, 1, __ATOMIC_RELAXED);
	qsort(s->b, s->nb, sizeof(*s->b), bkt_cmp);
	qsort(s->r, s->nr, sizeof(*s->r), rec_cmp);
	return 0;
}

/*
 * True if BPF recorded nothing since @s was read (no contention, no
 * drop): an idle or uncontended system then costs one look at .bss per
 * interval instead of a walk of every map.
 */
bool ms_snap_unchanged(const struct snap *s)
{
	const struct mapstat_bpf *skel = ms_bpf.skel;

	if (!s->b && !s->r)
		return false;	/* never read */
	return __atomic_load_n(&skel->bss->settled, __ATOMIC_ACQUIRE) ==
	       s->settled &&
	       !memcmp((const void *)skel->bss->drops, s->drops, sizeof(s->drops));
}

int ms_snap_dup(struct snap *d, const struct snap *s)
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
	/* a new interval for the maxima, as ms_snap_read() does */
	d->epoch = __atomic_add_fetch(&ms_bpf.skel->bss->epoch, 1, __ATOMIC_RELAXED) - 1;
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

struct evlog ms_evlog, ms_racelog, ms_holderlog;
struct mapstat_event ms_pair[2];
bool ms_have_pair;

static int handle_event(void *ctx, void *data, size_t size)
{
	struct evlog *l;

	(void)ctx;
	if (size < sizeof(struct mapstat_event))
		return 0;
	switch (((const struct mapstat_event *)data)->type) {
	case MAPSTAT_EV_RACE:
		l = &ms_racelog;
		break;
	case MAPSTAT_EV_RACE_HOLDER:
		l = &ms_holderlog;
		break;
	default:
		l = &ms_evlog;
		break;
	}
	memcpy(&l->ev[l->n++ % EVLOG], data, sizeof(struct mapstat_event));
	if (l == &ms_holderlog) {
		const struct mapstat_event *h = data;

		for (unsigned i = 0; i < EVLOG && i < ms_racelog.n; i++)
			if (ms_racelog.ev[i].table == h->table &&
			    ms_racelog.ev[i].race.seq == h->race.seq) {
				ms_pair[0] = ms_racelog.ev[i];
				ms_pair[1] = *h;
				ms_have_pair = true;
			}
	}
	return 0;
}

/* The writer's own event for race @seq, if it came. */
const struct mapstat_event *ms_race_holder(__u32 table, __u64 seq)
{
	for (unsigned i = 0; i < EVLOG && i < ms_holderlog.n; i++) {
		const struct mapstat_event *e = &ms_holderlog.ev[i];

		if (e->table == table && e->race.seq == seq)
			return e;
	}
	if (ms_have_pair && ms_pair[1].table == table && ms_pair[1].race.seq == seq)
		return &ms_pair[1];
	return NULL;
}

const char *ms_race_op(__u32 op)
{
	static const char *const names[] = { "?", "put", "get", "delete", "clear" };

	return names[op < 5 ? op : 0];
}

/* ---- tables ---------------------------------------------------------- */

struct tables ms_tables;

static struct table *table_find(__u32 id)
{
	for (size_t i = 0; i < ms_tables.n; i++)
		if (ms_tables.t[i].info.id == id)
			return &ms_tables.t[i];
	return NULL;
}

/*
 * Refresh the table list and every table's counters.  The device is opened
 * only for the read: a file held open would pin cmap.ko.
 */
void ms_tables_refresh(void)
{
	struct cmap_table_info *list = NULL;
	__u32 count = 0;
	int fd, err;

	for (size_t i = 0; i < ms_tables.n; i++)
		ms_tables.t[i].live = false;
	fd = cmapc_dev_open(env.device);
	ms_tables.device = fd >= 0;
	ms_tables.dev_err = fd < 0 ? -fd : 0;
	if (fd < 0)
		goto prune;
	err = cmapc_list(fd, &list, &count);
	if (err)
		count = 0;
	for (__u32 i = 0; i < count; i++) {
		struct table *t = table_find(list[i].id);
		struct cmap_stats st;

		if (cmapc_stats(fd, list[i].id, &st))
			continue;	/* destroyed meanwhile */
		if (!t) {
			if (ms_tables.n == ms_tables.cap) {
				size_t cap = ms_tables.cap ? ms_tables.cap * 2 : 8;
				struct table *p = realloc(ms_tables.t, cap * sizeof(*p));

				if (!p)
					break;
				ms_tables.t = p;
				ms_tables.cap = cap;
			}
			t = &ms_tables.t[ms_tables.n++];
			memset(t, 0, sizeof(*t));
		}
		t->info = list[i];
		t->live = true;
		t->prev = t->cur;
		t->have_prev = t->have_cur;
		t->cur = st;
		t->have_cur = true;
		if (!t->have_base && ms_bpf.skel) {
			/*
			 * The module's counters when mapstat first saw the
			 * table attached: what BPF counted since must match
			 * what the module counted since.  A table that shows
			 * up later was created after the attach: zero.
			 */
			if (ms_tables.based)
				memset(&t->base, 0, sizeof(t->base));
			else
				t->base = st;
			t->have_base = true;
		}
	}
	if (ms_bpf.skel)
		ms_tables.based = true;
	free(list);
	close(fd);
prune:
	for (size_t i = 0; i < ms_tables.n;) {
		if (!ms_tables.t[i].live) {
			ms_tables.t[i] = ms_tables.t[--ms_tables.n];
			continue;
		}
		i++;
	}
	/* id order, as LIST gives them */
	for (size_t i = 1; i < ms_tables.n; i++)
		for (size_t j = i; j > 0 && ms_tables.t[j - 1].info.id > ms_tables.t[j].info.id; j--) {
			struct table x = ms_tables.t[j];

			ms_tables.t[j] = ms_tables.t[j - 1];
			ms_tables.t[j - 1] = x;
		}
}

/* ---- per-table views ------------------------------------------------- */

double ms_t_cur, ms_t_prev;

__u32 ms_ilog2_u64(__u64 v)
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
	if (iv_epoch == ms_snap.epoch || iv_epoch == ms_snap.epoch + 1)
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
	struct agg *a = calloc(ms_snap.nr ? ms_snap.nr : 1, sizeof(*a));
	size_t n = 0, m = 0;

	if (!a) {
		*np = 0;
		return NULL;
	}
	for (size_t i = 0; i < ms_snap.nr; i++) {
		const struct rec *r = &ms_snap.r[i];
		const struct mapstat_rec_val *pv;
		struct agg *g = &a[n++];
		__u64 dc, dw;

		if (r->k.table != table) {
			n--;
			continue;
		}
		pv = snap_rec(&ms_prev, &r->k);
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
double ms_view_pct(const struct view *v, double p)
{
	double x = log2_hist_percentile(env.cumulative ? v->thist : v->hist,
					MAPSTAT_HIST_SLOTS, p);
	double max = (double)(env.cumulative ? v->tmax : v->max);

	return max && x > max ? max : x;
}

void ms_view_free(struct view *v)
{
	free(v->b);
	free(v->keys);
	free(v->tasks);
	free(v->stacks);
	memset(v, 0, sizeof(*v));
}

void ms_view_build(struct view *v, struct table *t)
{
	const struct cmap_stats *c = &t->cur, *p = t->have_prev ? &t->prev : NULL;
	__u32 id = t->info.id;

	memset(v, 0, sizeof(*v));
	v->t = t;
	v->dt = env.cumulative ? now_s() - ms_bpf.attached_at : ms_t_cur - ms_t_prev;
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
	v->order = c->buckets ? ms_ilog2_u64(c->buckets) : 0;

	if (!ms_bpf.skel)
		return;
	v->b = calloc(ms_snap.nb ? ms_snap.nb : 1, sizeof(*v->b));
	for (size_t i = 0; v->b && i < ms_snap.nb; i++) {
		const struct bkt *e = &ms_snap.b[i];
		const struct mapstat_bucket_val *pv;
		struct bview *bv;
		__u64 dc, dw;

		if (e->k.table != id)
			continue;
		pv = snap_bucket(&ms_prev, &e->k);
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
	if (!bpf_map_lookup_elem(bpf_map__fd(ms_bpf.skel->maps.tables), &id, &v->tvbuf))
		v->tv = &v->tvbuf;
}
