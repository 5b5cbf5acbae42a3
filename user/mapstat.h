/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mapstat.h: the one contract between bpf/mapstat.bpf.c and the userspace
 * tool (user/mapstat*.c): map keys, map values, ring buffer events, drop
 * counters.
 *
 * Where the numbers come from.  Every contended acquisition of a cmap bucket
 * lock goes through cmap_bucket_lock_contended(t, h, idx, key, klen,
 * subclass), which waits for the lock, counts the wait in the bucket and
 * fires the tracepoint cmap:contention(table_id, bucket, wait_ns) while it
 * holds the lock.  mapstat hooks:
 *   entry  fentry (module BTF present) or kprobe (no module BTF) on the
 *          function: captures the stacks, the key bytes, the bucket array's
 *          order and a sample of the bucket's counters, per task, BEFORE
 *          the wait (costs nothing the waiter was not going to spend
 *          spinning anyway);
 *   exit   the cmap:contention tracepoint (raw_tp): takes the per-task
 *          capture and the module's own wait_ns, and aggregates.  So BPF
 *          counts and wait sums equal the module's lock_contended and
 *          lock_wait_ns for the time mapstat is attached.  The kprobe
 *          fallback needs no kretprobe (no maxactive misses).
 * The exit runs with the bucket lock held, so the per-bucket aggregates
 * (whose keys include the bucket) need no atomics: that lock serialises them.
 *
 * Buckets are named (table id, order, index): order is log2 of the size of
 * the bucket array the index belongs to.  A table's array is replaced on
 * every resize (and two arrays coexist while one migrates), so an index
 * alone is ambiguous; with its order it names a fixed range of hash space,
 * [idx << (32 - order), (idx + 1) << (32 - order)), which is what userspace
 * uses to project older arrays' numbers onto the current one.
 */
#ifndef MAPSTAT_H
#define MAPSTAT_H

#define MAPSTAT_KEY_MAX		64	/* = CMAP_KEY_MAX */
#define MAPSTAT_COMM_LEN	16
#define MAPSTAT_HIST_SLOTS	32	/* log2(ns) buckets: [2^i, 2^(i+1)) ns */
#define MAPSTAT_STACK_DEPTH	64	/* frames kept per stack */
#define MAPSTAT_ORDER_UNKNOWN	0xff	/* order not known (no module BTF) */

/* Sizes of the BPF maps (userspace may resize them before load). */
#define MAPSTAT_MAX_BUCKETS	16384
#define MAPSTAT_MAX_RECORDS	32768
#define MAPSTAT_MAX_STACKS	16384
#define MAPSTAT_MAX_TABLES	256

/*
 * Interval maxima: userspace bumps the BPF global `epoch` after reading the
 * maps at the end of each interval; a value whose iv_epoch is not the
 * current epoch has its iv_max reset before use.  So iv_max is the largest
 * wait since the epoch began (no map writes from userspace).
 */

/* Indexes into the drop counters (struct mapstat_bss.drops). */
enum mapstat_drop {
	MAPSTAT_DROP_BUCKETS_FULL,	/* bucket map full: event not counted */
	MAPSTAT_DROP_RECORDS_FULL,	/* record map full: no key/task/stack */
	MAPSTAT_DROP_KSTACK,		/* kernel stack capture failed */
	MAPSTAT_DROP_USTACK,		/* user stack capture failed */
	MAPSTAT_DROP_NO_ENTRY,		/* tracepoint without entry capture */
	MAPSTAT_DROP_TASK_STORAGE,	/* no per-task slot for the capture */
	MAPSTAT_DROP_RINGBUF,		/* resize/race event lost */
	MAPSTAT_DROP_TABLES_FULL,	/* table map full */
	MAPSTAT_DROP_NR,
};

/* Key of the per-bucket map. */
struct mapstat_bucket_key {
	__u32 table;		/* table id */
	__u32 order;		/* log2(buckets) of its array, or ORDER_UNKNOWN */
	__u32 idx;		/* head bucket index in that array */
};

/* Per bucket: every field is only written under that bucket's lock. */
struct mapstat_bucket_val {
	__u64 contended;	/* contended acquisitions */
	__u64 wait_ns;		/* their total wait (the module's wait_ns) */
	__u64 wait_max;
	/*
	 * Hold time of the holders a waiter queued behind: when waiter n
	 * started waiting before waiter n-1 got the lock, the lock went from
	 * n-1 straight to n, and acq(n) - acq(n-1) is n-1's hold time (plus
	 * the hand-over).  Uncontended holds are not seen (no hook there).
	 */
	__u64 hold_ns;
	__u64 hold_cnt;
	__u64 hold_max;
	__u64 last_acq;		/* ktime of the last contended acquisition */
	/*
	 * The module's own counters of this bucket (struct cmap_head), read
	 * under its lock at the last contended acquisition (module BTF only;
	 * zero without).  They count from the array's creation, so
	 * mod_contended - mod_base is what the module counted since mapstat
	 * first saw the bucket: it must equal @contended.
	 */
	__u64 mod_acquisitions;
	__u64 mod_contended;
	__u64 mod_base;
	__u32 chain;		/* overflow buckets chained, at the last entry */
	__u32 matched;		/* 1 once an entry capture fixed mod_base */
	__u32 iv_epoch;		/* value of `epoch` when iv_max was reset */
	__u32 pad;
	__u64 iv_max;		/* max wait during epoch iv_epoch */
	__u64 hist[MAPSTAT_HIST_SLOTS];	/* wait, log2 ns */
};

/* Key of the record map: who waited, for which key, from where. */
struct mapstat_rec_key {
	__u32 table;
	__u32 order;
	__u32 idx;
	__u32 pid;		/* tgid */
	__u32 tid;
	__s32 kstack;		/* stack map id, < 0: none */
	__s32 ustack;		/* stack map id, < 0: none (kernel thread) */
	__u16 klen;		/* 0: no key (migration, iteration, clear) */
	__u16 pad;
	__u8 key[MAPSTAT_KEY_MAX];	/* klen bytes, zero padded */
};

struct mapstat_rec_val {
	__u64 contended;
	__u64 wait_ns;
	__u64 wait_max;
	__u64 iv_max;		/* max wait during epoch iv_epoch */
	__u32 iv_epoch;
	__u32 pad;
	char comm[MAPSTAT_COMM_LEN];
};

/* Per table: resizes and races. */
struct mapstat_table_val {
	__u64 resizes;		/* completed */
	__u64 resize_ns;	/* their total duration */
	__u64 resize_max_ns;
	__u64 resize_start;	/* ktime of the running one's start, or 0 */
	__u32 last_old;		/* buckets before/after the last resize */
	__u32 last_new;
	__u64 last_entries;	/* entries when it started */
	__u64 races;		/* cmap:race events */
};

enum mapstat_event_type {
	MAPSTAT_EV_RESIZE_START = 1,
	MAPSTAT_EV_RESIZE_END,
	MAPSTAT_EV_RACE,		/* cmap:race, in the intruder's context */
	MAPSTAT_EV_RACE_HOLDER,		/* cmap:race_holder, in the writer's */
};

/* Ring buffer events (rare: resizes and races). */
struct mapstat_event {
	__u32 type;		/* enum mapstat_event_type */
	__u32 table;
	__u64 ts;		/* ktime */
	union {
		struct {
			__u32 old_buckets;
			__u32 new_buckets;
			__u64 entries;		/* RESIZE_START */
			__u64 duration_ns;	/* RESIZE_END */
		} resize;
		/*
		 * A race (Go's "concurrent map writes"): RACE carries both
		 * parties and the intruder's stacks; RACE_HOLDER, with the
		 * same seq, the writer's own (writer_* fields only).
		 */
		struct {
			__u64 seq;
			__s32 writer_pid;
			__s32 intruder_pid;
			__u32 writer_op;
			__u32 intruder_op;
			__s32 kstack;		/* of the task that fired it */
			__s32 ustack;
			__u32 tid;		/* that task */
			__u32 pad;
			char writer_comm[MAPSTAT_COMM_LEN];
			char intruder_comm[MAPSTAT_COMM_LEN];
		} race;
	};
};

#endif /* MAPSTAT_H */
