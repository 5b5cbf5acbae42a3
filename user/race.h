/* SPDX-License-Identifier: GPL-2.0 */
/*
 * race.h: the one contract between bpf/race.bpf.c and user/racetrace.c
 * (ring buffer events, counters, the bucket contention map).
 *
 * A racecheck table (CMAP_MODE_RACECHECK) lets one writer in at a time,
 * like a Go map's hashWriting flag.  The module reports each detection
 * twice, from both sides, so that BPF can take both tasks' stacks:
 *   cmap:race         fired by the intruder (a second writer, refused with
 *                     -EBUSY, or a lookup during the write), in its own
 *                     context: its kernel and user stacks, both parties'
 *                     pids, comms and ops, and the event's seq;
 *   cmap:race_holder  fired by the writer that held the table, in its own
 *                     context as it leaves, answering the seq of the last
 *                     write/write race it caused (only write/write races
 *                     ask for it, and only if the writer was still inside
 *                     when the intruder posted the seq).
 * Every event of the traced table is counted in `counts` (exact: the
 * program runs with preemption off, so it cannot miss or double count);
 * each also goes to the ring buffer with both stacks, and an event that
 * does not fit is counted as lost.  So, for the time racetrace is attached:
 *   counts[RACE_CNT_WRITE] == the module's STATS races (its delta)
 *                          == write events delivered + counts[LOST_WRITE]
 * and the same for reads (STATS read_races) and holders.
 */
#ifndef RACE_H
#define RACE_H

#define RACE_COMM_LEN		16
#define RACE_STACK_DEPTH	32	/* frames kept per stack, each side */
#define RACE_RINGBUF_BYTES	(1U << 21)	/* about 3000 events */
#define RACE_MAX_BUCKETS	16384	/* contention map entries */

/* UAPI enum cmap_op values, as the tracepoints report them. */
#define RACE_OP_PUT		1
#define RACE_OP_GET		2
#define RACE_OP_DELETE		3
#define RACE_OP_CLEAR		4

enum race_event_type {
	RACE_EV_WRITE = 1,	/* cmap:race, the intruder is a writer */
	RACE_EV_READ,		/* cmap:race, the intruder is a lookup */
	RACE_EV_HOLDER,		/* cmap:race_holder, the writer that held */
};

/* Indexes into the counters (race.bpf.c's `counts`). */
enum race_counter {
	RACE_CNT_WRITE,		/* cmap:race events, intruder a writer */
	RACE_CNT_READ,		/* cmap:race events, intruder a lookup */
	RACE_CNT_HOLDER,	/* cmap:race_holder events */
	RACE_CNT_LOST_WRITE,	/* of those, not in the ring buffer (full) */
	RACE_CNT_LOST_READ,
	RACE_CNT_LOST_HOLDER,
	RACE_CNT_KSTACK_ERR,	/* kernel stack capture failed */
	RACE_CNT_USTACK_ERR,	/* user stack capture failed */
	RACE_CNT_CONTENTION,	/* cmap:contention events counted */
	RACE_CNT_BUCKETS_FULL,	/* of those, not in the bucket map (full) */
	RACE_CNT_NR,
};

/*
 * One detection, or its holder's answer.  For RACE_EV_WRITE/READ the task
 * that fired it (pid, tid, stacks) is the intruder; for RACE_EV_HOLDER it
 * is the writer, and intruder_* are zero.  Thread ids are what the kernel
 * calls pids (task_pid_nr): Go's goroutine numbers of the report.
 */
struct race_event {
	__u32 type;		/* enum race_event_type */
	__u32 table;		/* table id */
	__u64 seq;		/* cmap:race's seq; a holder's is its low 32 bits */
	__u64 ts;		/* ktime */
	__s32 writer_tid;	/* the writer that held the table */
	__s32 intruder_tid;
	__u32 writer_op;	/* RACE_OP_* */
	__u32 intruder_op;
	__u32 pid;		/* tgid of the task that fired it */
	__u32 tid;		/* and its thread id */
	__s32 nkstack;		/* frames in kstack, or -errno */
	__s32 nustack;		/* frames in ustack (0: none, a kernel
				 * thread), or -errno */
	char writer_comm[RACE_COMM_LEN];
	char intruder_comm[RACE_COMM_LEN];
	__u64 kstack[RACE_STACK_DEPTH];	/* innermost first */
	__u64 ustack[RACE_STACK_DEPTH];
};

/* Contention of one bucket lock (cmap:contention), per table and index. */
struct race_bucket_key {
	__u32 table;
	__u32 bucket;		/* index in the array current at the time */
};

struct race_bucket_val {
	__u64 contended;
	__u64 wait_ns;
	__u64 wait_max;
};

/*
 * The "counts" line racetrace sends `cmapctl race-demo` when it stops
 * (--ready-fd): " NAME=VALUE" for each of these, in this order.
 */
#define RACE_COUNTS(X)							\
	X(write) X(read) X(holder) X(got_write) X(got_read) X(got_holder) \
	X(lost_write) X(lost_read) X(lost_holder) X(kstack_err)		\
	X(ustack_err) X(contention) X(misses)

#endif /* RACE_H */
