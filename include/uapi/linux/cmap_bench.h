/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cmap_bench.h - CMAP_IOC_BENCH, the in-kernel benchmark of /dev/cmap.
 *
 * Not part of the table ABI of <linux/cmap.h>: a module built without
 * the benchmark (CMAP_BENCH=n) answers CMAP_IOC_BENCH with -ENOTTY and
 * leaves its bit out of struct cmap_version.ioctls.  The same rules as
 * <linux/cmap.h> hold: @size first, reserved fields zero, a failed
 * request changes nothing.
 */
#ifndef _UAPI_LINUX_CMAP_BENCH_H
#define _UAPI_LINUX_CMAP_BENCH_H

#include <linux/cmap.h>

/* struct cmap_bench.dist */
enum cmap_dist {
	CMAP_DIST_UNIFORM = 0,
	CMAP_DIST_ZIPF = 1,
};

/* The rhashtable baseline's bit in struct cmap_bench.modes */
#define CMAP_BENCH_RHASHTABLE	(1U << 31)
#define CMAP_BENCH_MAX_THREADS	64

/**
 * struct cmap_bench_result - one mode's (or rhashtable's) result
 * @mode:           enum cmap_mode, or 31 for rhashtable
 * @threads:        threads that ran
 * @ops:            operations done
 * @reads:          of which lookups
 * @writes:         of which puts (and deletes)
 * @failed:         operations that failed (other than lookups that missed),
 *                  failed preload inserts and lookups that returned a wrong
 *                  value included; racecheck's -EBUSY refusals count here
 * @elapsed_ns:     the longest thread's running time in the timed phase,
 *                  without the short sleeps taken for RCU Tasks
 * @ops_per_sec:    @ops / elapsed
 * @read_ns:        mean lookup latency (sampled; the fastest 99% of
 *                  samples, the rest being mostly vCPU preemption)
 * @write_ns:       mean put latency (sampled, likewise)
 * @p50_ns:         op latency percentiles and max (sampled, all ops)
 * @p99_ns:         ditto
 * @p999_ns:        ditto
 * @max_ns:         ditto
 * @contended:      contended bucket/global lock acquisitions during the run
 * @acquisitions:   lock acquisitions during the run
 * @resizes:        resizes completed during the run (preload included);
 *                  rhashtable: net bucket-table doublings
 * @busy:           rhashtable: inserts that failed with -EBUSY (and were
 *                  retried); cmap: 0
 * @entries:        entries at the end
 * @bytes:          memory held at the end: elements + bucket arrays
 * @reserved:       zero
 */
struct cmap_bench_result {
	__u32 mode;
	__u32 threads;
	__u64 ops;
	__u64 reads;
	__u64 writes;
	__u64 failed;
	__u64 elapsed_ns;
	__u64 ops_per_sec;
	__u64 read_ns;
	__u64 write_ns;
	__u64 p50_ns;
	__u64 p99_ns;
	__u64 p999_ns;
	__u64 max_ns;
	__u64 contended;
	__u64 acquisitions;
	__u64 resizes;
	__u64 busy;
	__u64 entries;
	__u64 bytes;
	__u64 reserved[4];
};

/* struct cmap_bench.flags */
#define CMAP_BENCH_NO_PRELOAD	(1U << 0)	/* start from an empty table */
#define CMAP_BENCH_GROWTH	(1U << 1)	/* time inserts of @keys fresh
						 * keys into an empty table
						 * (growth run: read_pct and
						 * duration ignored) */
#define CMAP_BENCH_INLINE	(1U << 2)	/* the modes' tables keep keys
						 * and values in their buckets
						 * (inline tables: @value_size
						 * must be 8) */

/**
 * struct cmap_bench - CMAP_IOC_BENCH: the in-kernel benchmark
 * @size:       sizeof(struct cmap_bench)
 * @flags:      CMAP_BENCH_*
 * @modes:      bit (1 << enum cmap_mode) per mode to run, plus
 *              CMAP_BENCH_RHASHTABLE; run one after the other, same workload
 * @threads:    kernel threads, 1..CMAP_BENCH_MAX_THREADS, pinned to CPUs
 *              round-robin
 * @duration_ms: timed phase per mode, 1..600000
 * @read_pct:   0..100: lookups; the rest are puts of existing keys
 * @keys:       key count, 1..16M; 8-byte keys 0..keys-1 as native-endian
 *              __u64 (as cmapctl load and its --u64 option use them)
 * @dist:       enum cmap_dist
 * @zipf_theta_milli: zipf's theta times 1000 (default 990 when 0)
 * @value_size: 0..CMAP_VALUE_MAX (8 with CMAP_BENCH_INLINE)
 * @nresults:   in: capacity of @results; out: results written
 * @interrupted: out: 1 if a signal stopped the run (results are partial)
 * @results:    user pointer to struct cmap_bench_result[@nresults]
 * @reserved:   must be zero
 *
 * The file need not be bound to a table: each mode runs on a private
 * table.  All backends are preloaded first, one after the other; the timed
 * phase then rotates through them in 50 ms slices with all tables alive,
 * so that host noise hits every backend alike.  Threads sleep briefly
 * every few thousand operations so that RCU Tasks grace periods (BPF
 * trampolines) can complete during a run.
 * A signal stops the run: the call returns 0 with @interrupted set and the
 * results so far.  -EPERM without CAP_SYS_ADMIN (up to 64 kernel threads
 * for minutes, and the rhashtable baseline is charged to no one),
 * -EINVAL for bad parameters (including @nresults smaller than the number
 * of selected backends), -ENOSPC at the module-wide max_memory cap,
 * -ENOMEM (also when the workload would need more than half of RAM).
 */
struct cmap_bench {
	__u32 size;
	__u32 flags;
	__u32 modes;
	__u32 threads;
	__u32 duration_ms;
	__u32 read_pct;
	__u32 keys;
	__u32 dist;
	__u32 zipf_theta_milli;
	__u32 value_size;
	__u32 nresults;
	__u32 interrupted;
	__u64 results;
	__u64 reserved[4];
};

#define CMAP_IOC_BENCH		_IOWR(CMAP_IOC_MAGIC, 12, struct cmap_bench)

#endif /* _UAPI_LINUX_CMAP_BENCH_H */
