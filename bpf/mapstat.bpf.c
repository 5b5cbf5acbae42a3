// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat.bpf.c: contention of cmap bucket locks, per table, bucket, key,
 * task and stack; resizes and races.  See user/mapstat.h for the design
 * (entry capture in fentry/kprobe, aggregation in the cmap:contention
 * tracepoint) and the map layouts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "mapstat.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD	0x00200000

/*
 * The few cmap.ko types read here, relocated (CO-RE) against the module's
 * BTF.  Without module BTF the reads are skipped: every use is guarded by
 * bpf_core_type_exists(), which then is a constant 0 the verifier prunes.
 */
struct cmap_bucket {
	struct cmap_bucket *overflow;
} __attribute__((preserve_access_index));

struct cmap_head {
	__u64 acquisitions;
	__u64 contended;
	struct cmap_bucket b;
} __attribute__((preserve_access_index));

struct cmap_tbl {
	__u32 order;
	struct cmap_head heads[];
} __attribute__((preserve_access_index));

/* What the entry probe leaves for the tracepoint, per task. */
struct capture {
	__u64 ts;		/* ktime at entry: the wait starts after it */
	const void *h;		/* the head bucket (module BTF only) */
	__u32 chain;		/* its overflow buckets at entry */
	__u32 valid;
	__u32 nstack;		/* captures since the stacks were walked */
	__u32 pad;
	struct mapstat_rec_key rk;	/* all but .table, filled at entry */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct capture);
} captures SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAPSTAT_MAX_BUCKETS);
	__type(key, struct mapstat_bucket_key);
	__type(value, struct mapstat_bucket_val);
} buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAPSTAT_MAX_RECORDS);
	__type(key, struct mapstat_rec_key);
	__type(value, struct mapstat_rec_val);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, MAPSTAT_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAPSTAT_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAPSTAT_MAX_TABLES);
	__type(key, __u32);
	__type(value, struct mapstat_table_val);
} tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/*
 * Stacks are walked on one contended acquisition in @stack_period per task
 * and reused in between (the walk is most of the cost per event); 1: on
 * every one.  Set by userspace before load (--stack-period).
 */
const volatile __u32 stack_period = 1;

/*
 * Filters, set by userspace before load (-p/--pid, --comm): trace only
 * the process @targ_tgid (0: every one) and only tasks whose comm is
 * @targ_comm (filter_comm 0: every one).  Contention of other tasks is
 * neither captured nor counted; a race is kept when its intruder (the
 * current task) passes (and the holders' answers always are).  Resizes belong to
 * the table (done by a worker) and are not filtered.  Hold times need
 * every waiter traced: not measured under a filter.
 */
const volatile __u32 targ_tgid = 0;
const volatile bool filter_comm = false;
const volatile char targ_comm[MAPSTAT_COMM_LEN] = {};

/* Counters of what was not recorded (enum mapstat_drop). */
__u64 drops[MAPSTAT_DROP_NR] = {};
/* Tracepoint hits with an entry capture. */
__u64 matched = 0;
/*
 * Tracepoint hits whose map updates are all done: bumped last, with a
 * fully ordered atomic, so a reader that sees it unchanged across a walk
 * of the maps (see ms_snap_read()) read every update it counts.
 */
__u64 settled = 0;
/* Interval number, bumped by userspace: see mapstat.h. */
__u32 epoch = 0;

static __always_inline void drop(enum mapstat_drop d)
{
	if (d < MAPSTAT_DROP_NR)
		__sync_fetch_and_add(&drops[d], 1);
}

/* Whether the current task passes the filters. */
static __always_inline bool current_wanted(void)
{
	char comm[MAPSTAT_COMM_LEN] = {};

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (!filter_comm)
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < MAPSTAT_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/*
 * Entry of cmap_bucket_lock_contended(t, h, idx, key, klen, subclass):
 * everything that can be done before the wait.  @h is the head bucket,
 * @idx its index in its array.  All are plain numbers here: fentry takes
 * them with bpf_get_func_arg() because the 6.1 verifier neither lets a
 * program read a `const void *` argument from its context nor do
 * arithmetic on a BTF pointer (h - idx * sizeof(*h) is how the array's
 * header is found); every dereference goes through bpf_probe_read_kernel().
 */
static __always_inline int capture_entry(void *ctx, __u64 h, __u64 idx,
					 __u64 key, __u64 klen)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	struct capture *c;

	if (!current_wanted())
		return 0;
	c = bpf_task_storage_get(&captures, task, 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		drop(MAPSTAT_DROP_TASK_STORAGE);
		return 0;
	}
	c->valid = 0;
	c->rk.order = MAPSTAT_ORDER_UNKNOWN;
	c->h = NULL;
	c->chain = 0;
	if (bpf_core_type_exists(struct cmap_tbl)) {
		/* h = &tbl->heads[idx]: step back to the array's header. */
		__u64 tbl = h - idx * bpf_core_type_size(struct cmap_head) -
			    bpf_core_field_offset(struct cmap_tbl, heads);
		struct cmap_bucket *b;
		__u32 n;

		c->rk.order = BPF_CORE_READ((struct cmap_tbl *)tbl, order);
		c->h = (const void *)h;
		b = BPF_CORE_READ((struct cmap_head *)h, b.overflow);
		for (n = 0; n < 32 && b; n++)
			b = BPF_CORE_READ(b, overflow);
		c->chain = n;
	}
	c->rk.idx = (__u32)idx;
	c->rk.pid = id >> 32;
	c->rk.tid = (__u32)id;
	if (c->nstack++ % stack_period == 0 || c->rk.kstack < 0) {
		c->rk.kstack = bpf_get_stackid(ctx, &stacks, 0);
		if (c->rk.kstack < 0)
			drop(MAPSTAT_DROP_KSTACK);
		if (BPF_CORE_READ(task, flags) & PF_KTHREAD) {
			c->rk.ustack = -1;
		} else {
			c->rk.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
			if (c->rk.ustack < 0) {
				c->rk.ustack = -2;
				drop(MAPSTAT_DROP_USTACK);
			}
		}
	}
	__builtin_memset(c->rk.key, 0, sizeof(c->rk.key));
	/* 64-bit all the way: a 32-bit copy would lose the verifier's bound */
	klen &= 0xffffffff;
	if (!key || klen > MAPSTAT_KEY_MAX)
		klen = 0;
	c->rk.klen = (__u16)klen;
	if (klen) {
		barrier_var(klen);
		if (klen > MAPSTAT_KEY_MAX)
			klen = MAPSTAT_KEY_MAX;
		bpf_probe_read_kernel(c->rk.key, klen, (const void *)key);
	}
	c->rk.pad = 0;
	c->valid = 1;
	c->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("fentry/cmap_bucket_lock_contended")
int ms_entry_fentry(__u64 *ctx)
{
	__u64 h = 0, idx = 0, key = 0, klen = 0;

	bpf_get_func_arg(ctx, 1, &h);
	bpf_get_func_arg(ctx, 2, &idx);
	bpf_get_func_arg(ctx, 3, &key);
	bpf_get_func_arg(ctx, 4, &klen);
	return capture_entry(ctx, h, idx & 0xffffffff, key, klen);
}

SEC("kprobe/cmap_bucket_lock_contended")
int ms_entry_kprobe(struct pt_regs *ctx)
{
	return capture_entry(ctx, PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx) & 0xffffffff,
			     PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx));
}

static const struct mapstat_bucket_val zero_bucket;
static const struct mapstat_rec_val zero_rec;

/*
 * cmap:contention, fired by the waiter once it holds the bucket lock, with
 * the module's own measure of the wait.  Runs under that lock: keep it
 * short, and no atomics are needed on per-bucket data.
 */
static __always_inline void record_contention(__u32 table_id, __u32 bucket,
					      __u64 wait_ns)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mapstat_bucket_key bk = { .table = table_id, .idx = bucket };
	struct mapstat_bucket_val *bv;
	struct mapstat_rec_val *rv;
	struct capture *c;
	__u64 now = bpf_ktime_get_ns();
	__u32 ep = epoch;
	__u64 slot;

	c = bpf_task_storage_get(&captures, task, 0, 0);
	if (!c) {
		/*
		 * No storage yet, or (preemptible kernels) its per-CPU lock
		 * held by a preempted task.  Ask again, creating it: a
		 * storage, new or found this time, says which; still none
		 * is a busy task storage, counted as such.
		 */
		c = bpf_task_storage_get(&captures, task, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!c)
			drop(MAPSTAT_DROP_TASK_STORAGE);
	}
	if (c && (!c->valid || c->rk.idx != bucket))
		c = NULL;
	if (c) {
		c->valid = 0;
		bk.order = c->rk.order;
		__sync_fetch_and_add(&matched, 1);
	} else {
		bk.order = MAPSTAT_ORDER_UNKNOWN;
		drop(MAPSTAT_DROP_NO_ENTRY);
	}

	bv = bpf_map_lookup_elem(&buckets, &bk);
	if (!bv) {
		bpf_map_update_elem(&buckets, &bk, &zero_bucket, BPF_NOEXIST);
		bv = bpf_map_lookup_elem(&buckets, &bk);
		if (!bv) {
			drop(MAPSTAT_DROP_BUCKETS_FULL);
			return;
		}
	}
	bv->contended++;
	bv->wait_ns += wait_ns;
	if (wait_ns > bv->wait_max)
		bv->wait_max = wait_ns;
	if (bv->iv_epoch != ep) {
		bv->iv_epoch = ep;
		bv->iv_max = 0;
	}
	if (wait_ns > bv->iv_max)
		bv->iv_max = wait_ns;
	slot = log2_u64(wait_ns);
	if (slot >= MAPSTAT_HIST_SLOTS)
		slot = MAPSTAT_HIST_SLOTS - 1;
	bv->hist[slot & (MAPSTAT_HIST_SLOTS - 1)]++;	/* (mask: for the verifier) */
	if (c) {
		/*
		 * The lock went straight from the last waiter to us?  Only
		 * known when every waiter is traced: not under a filter.
		 */
		if (!targ_tgid && !filter_comm && bv->last_acq &&
		    c->ts <= bv->last_acq) {
			__u64 hold = now - bv->last_acq;

			bv->hold_ns += hold;
			bv->hold_cnt++;
			if (hold > bv->hold_max)
				bv->hold_max = hold;
		}
		bv->chain = c->chain;
		if (bpf_core_type_exists(struct cmap_head) && c->h) {
			const struct cmap_head *h = c->h;

			/* Under the lock: exact.  (acquisitions is counted
			 * after this function returns.) */
			bv->mod_acquisitions = BPF_CORE_READ(h, acquisitions) + 1;
			bv->mod_contended = BPF_CORE_READ(h, contended);
			if (!bv->matched) {
				bv->mod_base = bv->mod_contended - bv->contended;
				bv->matched = 1;
			}
		}
	}
	bv->last_acq = now;
	if (!c)
		return;

	c->rk.table = table_id;
	rv = bpf_map_lookup_elem(&records, &c->rk);
	if (!rv) {
		bpf_map_update_elem(&records, &c->rk, &zero_rec, BPF_NOEXIST);
		rv = bpf_map_lookup_elem(&records, &c->rk);
		if (!rv) {
			drop(MAPSTAT_DROP_RECORDS_FULL);
			return;
		}
		bpf_get_current_comm(rv->comm, sizeof(rv->comm));
	}
	rv->contended++;
	rv->wait_ns += wait_ns;
	if (wait_ns > rv->wait_max)
		rv->wait_max = wait_ns;
	if (rv->iv_epoch != ep) {
		rv->iv_epoch = ep;
		rv->iv_max = 0;
	}
	if (wait_ns > rv->iv_max)
		rv->iv_max = wait_ns;
}

SEC("raw_tp/contention")
int BPF_PROG(ms_contention, __u32 table_id, __u32 bucket, __u64 wait_ns)
{
	__u64 n;

	if (!current_wanted())
		return 0;
	record_contention(table_id, bucket, wait_ns);
	/*
	 * Last.  The result is used so that clang emits the BPF_FETCH
	 * form, which (unlike a plain BPF_ADD) is fully ordered.
	 */
	n = __sync_fetch_and_add(&settled, 1);
	barrier_var(n);
	return 0;
}

static __always_inline struct mapstat_table_val *table_get(__u32 id)
{
	static const struct mapstat_table_val zero;
	struct mapstat_table_val *tv = bpf_map_lookup_elem(&tables, &id);

	if (tv)
		return tv;
	bpf_map_update_elem(&tables, &id, &zero, BPF_NOEXIST);
	tv = bpf_map_lookup_elem(&tables, &id);
	if (!tv)
		drop(MAPSTAT_DROP_TABLES_FULL);
	return tv;
}

static __always_inline void emit_resize(__u32 type, __u32 table, __u32 old,
					__u32 new, __u64 entries, __u64 dur)
{
	struct mapstat_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop(MAPSTAT_DROP_RINGBUF);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->table = table;
	e->ts = bpf_ktime_get_ns();
	e->resize.old_buckets = old;
	e->resize.new_buckets = new;
	e->resize.entries = entries;
	e->resize.duration_ns = dur;
	bpf_ringbuf_submit(e, 0);
}

/* Resizes of one table are serialised by its resize mutex. */
SEC("raw_tp/resize_start")
int BPF_PROG(ms_resize_start, __u32 table_id, __u32 old_buckets,
	     __u32 new_buckets, __u64 entries)
{
	struct mapstat_table_val *tv = table_get(table_id);

	if (tv) {
		tv->resize_start = bpf_ktime_get_ns();
		tv->last_old = old_buckets;
		tv->last_new = new_buckets;
		tv->last_entries = entries;
	}
	emit_resize(MAPSTAT_EV_RESIZE_START, table_id, old_buckets, new_buckets,
		    entries, 0);
	return 0;
}

SEC("raw_tp/resize_end")
int BPF_PROG(ms_resize_end, __u32 table_id, __u32 old_buckets,
	     __u32 new_buckets, __u64 duration_ns)
{
	struct mapstat_table_val *tv = table_get(table_id);

	if (tv) {
		tv->resizes++;
		tv->resize_ns += duration_ns;
		if (duration_ns > tv->resize_max_ns)
			tv->resize_max_ns = duration_ns;
		tv->resize_start = 0;
		tv->last_old = old_buckets;
		tv->last_new = new_buckets;
	}
	emit_resize(MAPSTAT_EV_RESIZE_END, table_id, old_buckets, new_buckets,
		    0, duration_ns);
	return 0;
}

/* The stacks of the current task, for a race report. */
static __always_inline void race_stacks(void *ctx, struct mapstat_event *e)
{
	struct task_struct *task = bpf_get_current_task_btf();

	e->race.tid = (__u32)bpf_get_current_pid_tgid();
	e->race.kstack = bpf_get_stackid(ctx, &stacks, 0);
	if (e->race.kstack < 0)
		drop(MAPSTAT_DROP_KSTACK);
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD) {
		e->race.ustack = -1;
	} else {
		e->race.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (e->race.ustack < 0) {
			e->race.ustack = -2;
			drop(MAPSTAT_DROP_USTACK);
		}
	}
}

/* Racecheck mode caught a second writer: fired by the intruder. */
SEC("raw_tp/race")
int BPF_PROG(ms_race, __u32 table_id, __u64 seq, pid_t writer_pid,
	     const char *writer_comm, __u32 writer_op, pid_t intruder_pid,
	     const char *intruder_comm, __u32 intruder_op)
{
	struct mapstat_table_val *tv;
	struct mapstat_event *e;

	/* (the writer is known by thread id only: the intruder decides) */
	if (!current_wanted())
		return 0;
	tv = table_get(table_id);
	if (tv)
		__sync_fetch_and_add(&tv->races, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		drop(MAPSTAT_DROP_RINGBUF);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = MAPSTAT_EV_RACE;
	e->table = table_id;
	e->ts = bpf_ktime_get_ns();
	e->race.seq = seq;
	e->race.writer_pid = writer_pid;
	e->race.intruder_pid = intruder_pid;
	e->race.writer_op = writer_op;
	e->race.intruder_op = intruder_op;
	bpf_probe_read_kernel_str(e->race.writer_comm, sizeof(e->race.writer_comm),
				  writer_comm);
	bpf_probe_read_kernel_str(e->race.intruder_comm,
				  sizeof(e->race.intruder_comm), intruder_comm);
	race_stacks(ctx, e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The writer of race @seq, leaving the table: its own stacks. */
SEC("raw_tp/race_holder")
int BPF_PROG(ms_race_holder, __u32 table_id, __u64 seq, pid_t pid,
	     const char *comm, __u32 op)
{
	struct mapstat_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		drop(MAPSTAT_DROP_RINGBUF);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = MAPSTAT_EV_RACE_HOLDER;
	e->table = table_id;
	e->ts = bpf_ktime_get_ns();
	e->race.seq = seq;
	e->race.writer_pid = pid;
	e->race.writer_op = op;
	bpf_probe_read_kernel_str(e->race.writer_comm, sizeof(e->race.writer_comm),
				  comm);
	race_stacks(ctx, e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
