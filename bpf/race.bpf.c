// SPDX-License-Identifier: GPL-2.0
/*
 * race.bpf.c: who collided in a racecheck table.  Both sides of each
 * detection with their kernel and user stacks, and exact counts; also the
 * bucket-lock contention of the traced table.  See user/race.h.
 *
 * Raw tracepoints only: they need no module BTF and no RCU-Tasks grace
 * period to attach, and their arguments are the tracepoints' own.  No
 * CO-RE either, so libbpf need not parse the kernel's BTF to load this
 * (seconds under TCG): racetrace is ready quickly.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "race.h"

char LICENSE[] SEC("license") = "GPL";

/* The table to trace (its id); 0: every table.  Set before load. */
const volatile __u32 targ_table = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RACE_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RACE_MAX_BUCKETS);
	__type(key, struct race_bucket_key);
	__type(value, struct race_bucket_val);
} buckets SEC(".maps");

/* enum race_counter */
__u64 counts[RACE_CNT_NR] = {};

static __always_inline void count(enum race_counter c)
{
	if (c < RACE_CNT_NR)
		__sync_fetch_and_add(&counts[c], 1);
}

static __always_inline bool traced(__u32 table_id)
{
	return !targ_table || table_id == targ_table;
}

/* Reserve an event of @type, or count it lost; counts it either way. */
static __always_inline struct race_event *event_new(__u32 type, __u32 table)
{
	enum race_counter seen, lost;
	struct race_event *e;

	switch (type) {
	case RACE_EV_WRITE:
		seen = RACE_CNT_WRITE;
		lost = RACE_CNT_LOST_WRITE;
		break;
	case RACE_EV_READ:
		seen = RACE_CNT_READ;
		lost = RACE_CNT_LOST_READ;
		break;
	default:
		seen = RACE_CNT_HOLDER;
		lost = RACE_CNT_LOST_HOLDER;
		break;
	}
	count(seen);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(lost);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->table = table;
	e->ts = bpf_ktime_get_ns();
	return e;
}

/* The current task's identity and stacks, into @e. */
static __always_inline void event_stacks(void *ctx, struct race_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();
	long n;

	e->pid = id >> 32;
	e->tid = (__u32)id;
	n = bpf_get_stack(ctx, e->kstack, sizeof(e->kstack), 0);
	if (n < 0)
		count(RACE_CNT_KSTACK_ERR);
	e->nkstack = n < 0 ? (__s32)n : (__s32)(n / sizeof(__u64));
	/* a kernel thread (no mm) gets 0 frames: not an error */
	n = bpf_get_stack(ctx, e->ustack, sizeof(e->ustack), BPF_F_USER_STACK);
	if (n < 0)
		count(RACE_CNT_USTACK_ERR);
	e->nustack = n < 0 ? (__s32)n : (__s32)(n / sizeof(__u64));
}

/* cmap:race, in the intruder's context. */
SEC("raw_tp/race")
int BPF_PROG(race_intruder, __u32 table_id, __u64 seq, pid_t writer_pid,
	     const char *writer_comm, __u32 writer_op, pid_t intruder_pid,
	     const char *intruder_comm, __u32 intruder_op)
{
	struct race_event *e;

	if (!traced(table_id))
		return 0;
	e = event_new(intruder_op == RACE_OP_GET ? RACE_EV_READ : RACE_EV_WRITE,
		      table_id);
	if (!e)
		return 0;
	e->seq = seq;
	e->writer_tid = writer_pid;
	e->intruder_tid = intruder_pid;
	e->writer_op = writer_op;
	e->intruder_op = intruder_op;
	bpf_probe_read_kernel_str(e->writer_comm, sizeof(e->writer_comm),
				  writer_comm);
	bpf_probe_read_kernel_str(e->intruder_comm, sizeof(e->intruder_comm),
				  intruder_comm);
	event_stacks(ctx, e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* cmap:race_holder: the writer of race @seq, leaving the table. */
SEC("raw_tp/race_holder")
int BPF_PROG(race_holder, __u32 table_id, __u64 seq, pid_t pid,
	     const char *comm, __u32 op)
{
	struct race_event *e;

	if (!traced(table_id))
		return 0;
	e = event_new(RACE_EV_HOLDER, table_id);
	if (!e)
		return 0;
	e->seq = seq;
	e->writer_tid = pid;
	e->writer_op = op;
	bpf_probe_read_kernel_str(e->writer_comm, sizeof(e->writer_comm), comm);
	event_stacks(ctx, e);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * cmap:contention, fired by a waiter once it holds the bucket lock: the
 * contention the same program causes in a table that is safe for it.
 * Runs under that bucket's lock, so the bucket's own value needs no
 * atomics; two arrays' buckets of one index (during a resize) could share
 * an entry, hence the atomic adds all the same.
 */
SEC("raw_tp/contention")
int BPF_PROG(race_contention, __u32 table_id, __u32 bucket, __u64 wait_ns)
{
	static const struct race_bucket_val zero;
	struct race_bucket_key k = { .table = table_id, .bucket = bucket };
	struct race_bucket_val *v;

	if (!traced(table_id))
		return 0;
	count(RACE_CNT_CONTENTION);
	v = bpf_map_lookup_elem(&buckets, &k);
	if (!v) {
		bpf_map_update_elem(&buckets, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&buckets, &k);
		if (!v) {
			count(RACE_CNT_BUCKETS_FULL);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->contended, 1);
	__sync_fetch_and_add(&v->wait_ns, wait_ns);
	if (wait_ns > v->wait_max)
		v->wait_max = wait_ns;
	return 0;
}
