/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmapctl.h: what cmapctl's files share.
 *
 *   cmapctl.c          options, the small commands, main; the option state
 *                      (env), messages and common helpers defined here
 *   cmapctl_load.c     the "load" client: worker threads, preload, cmd_load
 *   cmapctl_bench.c    the "bench" client: CMAP_IOC_BENCH, its table,
 *                      record and JSON output
 */
#ifndef CMAPCTL_H
#define CMAPCTL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "libcmap.h"

/* ---- options (cmapctl.c) ---------------------------------------------- */

struct env {
	/* global */
	const char *table;
	const char *device;
	bool verbose;
	bool hex;
	bool u64;
	const char *cmd;	/* the command's name, for messages */
	/* positional arguments of the command */
	const char *args[2];
	int nargs;
	/* create */
	struct cmap_config cfg;
	__u32 create_flags;
	/* put */
	__u32 put_flags;
	/* ls, stats */
	bool json;
	__u32 stats_id;
	/* dump */
	__u32 buf_size;
	/* load */
	unsigned threads;
	double read_pct;
	double del_pct;
	uint64_t keys;
	bool zipf;
	double theta;
	__u32 value_size;
	double duration;
	__u32 batch;
	bool preload;
	uint64_t ops_limit;
	uint64_t seed;
	bool seed_set;
	/* bench (also: threads, read_pct, keys, zipf, theta, value_size,
	 * duration, preload, json) */
	__u32 bench_modes;
	bool growth;
	bool bench_inline;
	bool csv;
};
extern struct env env;

/* ---- messages (cmapctl.c) --------------------------------------------- */

void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
/* die with the message for error @err of command @cmd */
void __attribute__((noreturn))
die_err(unsigned long cmd, __u32 flags, int err, const char *name);
void __attribute__((format(printf, 1, 2))) verbose(const char *fmt, ...);
void check_stdout(void);

/* ---- common helpers (cmapctl.c) --------------------------------------- */

int open_device(void);
/* open the device and bind to the -t table */
int open_bound(__u32 *id);
/*
 * Whether the table bound to @fd is inline (CMAP_CREATE_INLINE); false if
 * that cannot be told (a module older than the flag has none)
 */
bool table_is_inline(int fd);

/*
 * --json output is built with json-c, which escapes the strings (table
 * names may hold quotes and backslashes).  Keys are written "key": value
 * (JSON_C_TO_STRING_SPACED), the form scripts grep for.
 */
#define JSON_FLAGS	(JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A double as "%.3f" writes it (json-c's default would be %.17g). */
json_object *json_fixed3(double d);
/* Print @o on one line, or indented with @flags; drops it. */
void json_print(json_object *o, int flags);

double now(void);

/* ---- load (cmapctl_load.c) -------------------------------------------- */

/* SIGINT/SIGTERM handler: stops the load workers; bench uses it so the
 * signal interrupts its ioctl */
void on_signal(int sig);
/* on_signal() for SIGINT and SIGTERM, once (a second one kills), without
 * SA_RESTART: a signal also ends a long ioctl early */
void catch_stop_signals(void);
int cmd_load(void);

/* ---- bench (cmapctl_bench.c) ------------------------------------------ */

/* "rcu,rwlock,rhashtable" or "all" into cmap_bench.modes; 0 and *@bad if not */
__u32 parse_bench_modes(char *list, const char **bad);
int cmd_bench(void);

#endif /* CMAPCTL_H */
