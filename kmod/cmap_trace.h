/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the cmap core, system "cmap":
 *   cmap:contention    a bucket lock acquisition that had to wait
 *   cmap:resize_start  a migration to a new bucket array begins
 *   cmap:resize_end    it is complete
 *   cmap:race          racecheck mode caught a second writer (or a
 *                      lookup during a write); seq numbers the events
 *   cmap:race_holder   the writer that held the table during race seq,
 *                      fired from that writer's own context as it leaves
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cmap

#if !defined(_CMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _CMAP_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(contention,
	TP_PROTO(u32 table_id, u32 bucket, u64 wait_ns),
	TP_ARGS(table_id, bucket, wait_ns),
	TP_STRUCT__entry(
		__field(u32, table_id)
		__field(u32, bucket)
		__field(u64, wait_ns)
	),
	TP_fast_assign(
		__entry->table_id = table_id;
		__entry->bucket = bucket;
		__entry->wait_ns = wait_ns;
	),
	TP_printk("table=%u bucket=%u wait_ns=%llu",
		  __entry->table_id, __entry->bucket, __entry->wait_ns)
);

TRACE_EVENT(resize_start,
	TP_PROTO(u32 table_id, u32 old_buckets, u32 new_buckets, u64 entries),
	TP_ARGS(table_id, old_buckets, new_buckets, entries),
	TP_STRUCT__entry(
		__field(u32, table_id)
		__field(u32, old_buckets)
		__field(u32, new_buckets)
		__field(u64, entries)
	),
	TP_fast_assign(
		__entry->table_id = table_id;
		__entry->old_buckets = old_buckets;
		__entry->new_buckets = new_buckets;
		__entry->entries = entries;
	),
	TP_printk("table=%u old_buckets=%u new_buckets=%u entries=%llu",
		  __entry->table_id, __entry->old_buckets,
		  __entry->new_buckets, __entry->entries)
);

TRACE_EVENT(resize_end,
	TP_PROTO(u32 table_id, u32 old_buckets, u32 new_buckets,
		 u64 duration_ns),
	TP_ARGS(table_id, old_buckets, new_buckets, duration_ns),
	TP_STRUCT__entry(
		__field(u32, table_id)
		__field(u32, old_buckets)
		__field(u32, new_buckets)
		__field(u64, duration_ns)
	),
	TP_fast_assign(
		__entry->table_id = table_id;
		__entry->old_buckets = old_buckets;
		__entry->new_buckets = new_buckets;
		__entry->duration_ns = duration_ns;
	),
	TP_printk("table=%u old_buckets=%u new_buckets=%u duration_ns=%llu",
		  __entry->table_id, __entry->old_buckets,
		  __entry->new_buckets, __entry->duration_ns)
);

TRACE_EVENT(race,
	TP_PROTO(u32 table_id, u64 seq, pid_t writer_pid,
		 const char *writer_comm, u32 writer_op, pid_t intruder_pid,
		 const char *intruder_comm, u32 intruder_op),
	TP_ARGS(table_id, seq, writer_pid, writer_comm, writer_op, intruder_pid,
		intruder_comm, intruder_op),
	TP_STRUCT__entry(
		__field(u32, table_id)
		__field(u64, seq)
		__field(pid_t, writer_pid)
		__array(char, writer_comm, TASK_COMM_LEN)
		__field(u32, writer_op)
		__field(pid_t, intruder_pid)
		__array(char, intruder_comm, TASK_COMM_LEN)
		__field(u32, intruder_op)
	),
	TP_fast_assign(
		__entry->table_id = table_id;
		__entry->seq = seq;
		__entry->writer_pid = writer_pid;
		strscpy(__entry->writer_comm, writer_comm, TASK_COMM_LEN);
		__entry->writer_op = writer_op;
		__entry->intruder_pid = intruder_pid;
		strscpy(__entry->intruder_comm, intruder_comm, TASK_COMM_LEN);
		__entry->intruder_op = intruder_op;
	),
	TP_printk("table=%u seq=%llu writer=%d/%s op=%u intruder=%d/%s op=%u",
		  __entry->table_id, __entry->seq, __entry->writer_pid,
		  __entry->writer_comm, __entry->writer_op,
		  __entry->intruder_pid, __entry->intruder_comm,
		  __entry->intruder_op)
);

TRACE_EVENT(race_holder,
	TP_PROTO(u32 table_id, u64 seq, pid_t pid, const char *comm, u32 op),
	TP_ARGS(table_id, seq, pid, comm, op),
	TP_STRUCT__entry(
		__field(u32, table_id)
		__field(u64, seq)
		__field(pid_t, pid)
		__array(char, comm, TASK_COMM_LEN)
		__field(u32, op)
	),
	TP_fast_assign(
		__entry->table_id = table_id;
		__entry->seq = seq;
		__entry->pid = pid;
		strscpy(__entry->comm, comm, TASK_COMM_LEN);
		__entry->op = op;
	),
	TP_printk("table=%u seq=%llu writer=%d/%s op=%u",
		  __entry->table_id, __entry->seq, __entry->pid,
		  __entry->comm, __entry->op)
);

#endif /* _CMAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE cmap_trace
#include <trace/define_trace.h>
