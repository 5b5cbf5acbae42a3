// SPDX-License-Identifier: GPL-2.0
/*
 * mapstat: live view of cmap tables and of the contention of their bucket
 * locks, traced with BPF (bpf/mapstat.bpf.c; the contract is mapstat.h).
 *
 *   mapstat                       live view (ncurses) on a terminal
 *   mapstat -b -n 5 -i 2          plain text, like `top -b`
 *   mapstat --json -n 3 -i 1      one JSON object per interval
 *   mapstat 1 3                   three reports, 1 s apart (bcc style)
 *   mapstat -t NAME               only that table
 *   mapstat -p PID, --comm COMM   only that process's contention
 *   mapstat --prometheus FILE     also write node_exporter textfile metrics
 *   mapstat --folded FILE         also write folded stacks (flame graphs)
 *
 * Sources: the table list and the module's own counters come from the
 * CMAP_IOC_LIST and CMAP_IOC_STATS ioctls; the per-bucket, per-key,
 * per-task and per-stack contention from BPF, attached with fentry when
 * cmap.ko has BTF and with a kprobe otherwise (the header says which).
 *
 * Interval figures are deltas of cumulative BPF maps between two reads;
 * nothing is reset in the kernel, so no event is lost between intervals.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "mapstat_int.h"
#include "version.h"

const char *const ms_sort_name[SORT_NR] = { "contended", "wait", "max" };

struct env env = {
	.stack_period = 16,
	.interval = 1.0,
	.top = 10,
	.stacks = 5,
};

/* ---- options --------------------------------------------------------- */

const char *argp_program_version = "mapstat " CMAP_VERSION;
static const char args_doc[] = "[INTERVAL [COUNT]]";
static const char doc[] =
"Live view of cmap tables and their bucket-lock contention, traced with BPF.\n"
"\n"
"INTERVAL and COUNT, as in bcc's tools, are -i and -n: `mapstat 1 3` "
"reports three times, a second apart.  Needs root, or CAP_BPF and "
"CAP_PERFMON (and access to the cmap device).\n"
"\n"
"Exit status: 0 success (also when stopped by Ctrl-C or q), 2 any error "
"(bad usage, BPF cannot be loaded or attached).\n"
"\n"
"Interactive keys: q quit, p pause, s sort (contended/wait/max), t next\n"
"table, Up/Down select a stack, Enter expand it, h help.\n"
"\n"
"Examples:\n"
"  mapstat                          # live view\n"
"  mapstat -b -n 5 -i 2             # 5 plain-text reports, 2 s apart\n"
"  mapstat -b 2 5                   # the same\n"
"  mapstat -b -p 1234               # only process 1234's contention\n"
"  mapstat --json -n 3 -i 1         # JSON, one object per interval\n"
"  mapstat -t bench --prometheus /var/lib/prometheus/node-exporter/cmap.prom\n"
"  mapstat -b -n 10 --folded out.folded; flamegraph.pl out.folded >f.svg";

enum {
	OPT_JSON = 0x100,
	OPT_PROM,
	OPT_FOLDED,
	OPT_KPROBE,
	OPT_TOP,
	OPT_STACKS,
	OPT_SORT,
	OPT_STACK_PERIOD,
	OPT_COMM,
	OPT_KEY_LABELS,
	OPT_FOLDED_WEIGHT,
};

static const struct argp_option opts[] = {
	{ "batch", 'b', NULL, 0, "Plain text output (also when stdout is not a terminal)", 0 },
	{ "iterations", 'n', "N", 0, "Stop after N intervals (default: until Ctrl-C)", 0 },
	{ "interval", 'i', "SEC", 0, "Seconds between reports (default 1)", 0 },
	{ "table", 't', "NAME", 0, "Show only table NAME", 0 },
	{ "pid", 'p', "PID", 0, "Trace only the contention of process PID (its threads); resizes stay per table", 0 },
	{ "comm", OPT_COMM, "COMM", 0, "Trace only tasks named COMM (exact, at most 15 bytes); with -p, both must match", 0 },
	{ "json", OPT_JSON, NULL, 0, "One JSON object per interval, one per line", 0 },
	{ "prometheus", OPT_PROM, "FILE", 0, "Write node_exporter textfile metrics to FILE each interval (atomically)", 0 },
	{ "key-labels", OPT_KEY_LABELS, NULL, 0, "With --prometheus: also the wait of the top keys, with the key as a label (user data in the TSDB; --top series per table)", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Write folded stacks (one frame per function, totals since attach) to FILE each interval ('-': stdout)", 0 },
	{ "folded-weight", OPT_FOLDED_WEIGHT, "KIND", 0, "Weigh each folded stack by contended (acquisitions, default) or wait (nanoseconds waited)", 0 },
	{ "cumulative", 'c', NULL, 0, "Rank and show totals since attach instead of interval deltas", 0 },
	{ "top", OPT_TOP, "N", 0, "Rows per top list (default 10)", 0 },
	{ "stacks", OPT_STACKS, "N", 0, "Stacks shown in batch output (default 5)", 0 },
	{ "sort", OPT_SORT, "KEY", 0, "Rank by contended (default), wait or max", 0 },
	{ "kprobe", OPT_KPROBE, NULL, 0, "Attach with a kprobe even if cmap.ko has BTF", 0 },
	{ "stack-period", OPT_STACK_PERIOD, "N", 0, "Walk a task's stacks on one contended acquisition in N and reuse them in between (default 16; 1: every one, exact but the walks then dominate the cost)", 0 },
	{ "device", 'd', "PATH", 0, "The cmap device (default " CMAP_DEVICE ")", 0 },
	{ "verbose", 'v', NULL, 0, "Print libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'b':
		env.batch = true;
		break;
	case 'n':
		env.count = (long)cmapc_arg_size(state, "--iterations", arg, 1000, 0, LONG_MAX);
		break;
	case 'i':
		env.interval = cmapc_arg_double(state, "--interval", arg, 0.05, 3600);
		break;
	case 't':
		env.table = arg;
		break;
	case 'c':
		env.cumulative = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case OPT_JSON:
		env.json = true;
		break;
	case OPT_PROM:
		env.prom = arg;
		break;
	case OPT_KEY_LABELS:
		env.key_labels = true;
		break;
	case OPT_FOLDED:
		env.folded = arg;
		break;
	case OPT_FOLDED_WEIGHT:
		if (!strcmp(arg, "wait"))
			env.folded_wait = true;
		else if (!strcmp(arg, "contended"))
			env.folded_wait = false;
		else
			argp_error(state, "invalid --folded-weight '%s' (contended or wait)", arg);
		break;
	case OPT_KPROBE:
		env.force_kprobe = true;
		break;
	case OPT_TOP:
		env.top = (int)cmapc_arg_size(state, "--top", arg, 1000, 0, 1000);
		break;
	case OPT_STACKS:
		env.stacks = (int)cmapc_arg_size(state, "--stacks", arg, 1000, 0, 1000);
		break;
	case OPT_SORT:
		for (int i = 0; i <= SORT_NR; i++) {
			if (i == SORT_NR)
				argp_error(state, "bad sort key '%s'", arg);
			if (!strcmp(arg, ms_sort_name[i])) {
				env.sort = i;
				break;
			}
		}
		break;
	case 'd':
		env.device = arg;
		break;
	case 'p':
		env.pid = (__u32)cmapc_arg_size(state, "--pid", arg, 1, 1, INT_MAX);
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) >= MAPSTAT_COMM_LEN)
			argp_error(state, "invalid --comm '%s': must be 1..%d bytes (a task's comm)",
				   arg, MAPSTAT_COMM_LEN - 1);
		env.comm = arg;
		break;
	case OPT_STACK_PERIOD:
		env.stack_period = cmapc_arg_size(state, "--stack-period", arg, 1000, 1, 1 << 20);
		break;
	case ARGP_KEY_ARG:
		/* bcc style: [interval [count]] */
		if (env.nargs == 0)
			env.interval = cmapc_arg_double(state, "INTERVAL", arg, 0.05, 3600);
		else if (env.nargs == 1)
			env.count = (long)cmapc_arg_size(state, "COUNT", arg, 1, 1, LONG_MAX);
		else
			argp_error(state, "too many arguments (at most INTERVAL COUNT)");
		env.nargs++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- main loop ------------------------------------------------------- */

static void sleep_until(double deadline)
{
	while (!exiting) {
		double left = deadline - now_s();
		struct timespec ts;

		if (left <= 0)
			return;
		if (ms_bpf.rb) {
			ring_buffer__poll(ms_bpf.rb, left > 0.2 ? 200 : (int)(left * 1000) + 1);
			continue;
		}
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

/*
 * Keep the BPF side in step with the module: attach once cmap.ko is live,
 * detach (kprobe mode) when it goes away.  Returns false on a hard error.
 */
static bool bpf_sync(bool *announced)
{
	char why[256];

	if (ms_bpf.skel && !module_is_live(MODULE_NAME)) {
		ms_snap_free(&ms_snap);
		ms_snap_free(&ms_prev);
		ms_bpf_detach();
	}
	if (!ms_bpf.skel && module_is_live(MODULE_NAME)) {
		if (ms_bpf_attach(why, sizeof(why))) {
			fprintf(stderr, "mapstat: %s\n", why);
			return false;
		}
		if (!env.json && !ms_ui.on)
			fprintf(stderr, "mapstat: attached with %s\n", ms_attach_desc());
		/* now with cmap's symbols and the BPF trampoline's */
		ms_ksyms_reload();
		/* baselines are taken at the first read after the attach */
		for (size_t i = 0; i < ms_tables.n; i++)
			ms_tables.t[i].have_base = false;
		ms_tables.based = false;
	}
	if (!ms_bpf.skel && !*announced && !ms_ui.on) {
		fprintf(stderr, "mapstat: %s\n", ms_wait_msg());
		*announced = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.args_doc = args_doc,
		.doc = doc,
	};
	bool announced = false;
	double next;
	long n = 0;
	int err;

	setlocale(LC_CTYPE, "");
	argp_err_exit_status = CMAPC_EXIT_ERROR;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return CMAPC_EXIT_ERROR;
	if (env.table) {
		const char *why;

		if (cmapc_check_name(env.table, &why)) {
			fprintf(stderr, "mapstat: bad table name '%s': %s\n", env.table, why);
			return CMAPC_EXIT_ERROR;
		}
	}
	trace_setup(env.verbose);

	ms_ksyms_reload();
	ms_usyms = usyms_new();

	ms_ui.on = !env.batch && !env.json && isatty(STDOUT_FILENO);
	if (!bpf_sync(&announced)) {
		err = CMAPC_EXIT_ERROR;
		goto cleanup;
	}
	if (ms_ui.on)
		ms_ui_start();

	ms_t_cur = now_s();
	ms_tables_refresh();
	if (ms_bpf.skel)
		ms_snap_read(&ms_snap);
	ms_select_table();
	next = now_s() + env.interval;
	while (!exiting) {
		if (ms_ui.on) {
			ms_ui_render();
			ms_ui_draw();
			if (ms_ui_wait(next))
				break;
		} else {
			sleep_until(next);
			if (exiting)
				break;
		}
		next += env.interval;
		if (next < now_s())
			next = now_s() + env.interval;

		if (!bpf_sync(&announced)) {
			err = CMAPC_EXIT_ERROR;
			break;
		}
		if (ms_bpf.rb)
			ring_buffer__consume(ms_bpf.rb);
		ms_t_prev = ms_t_cur;
		ms_t_cur = now_s();
		ms_tables_refresh();
		ms_snap_free(&ms_prev);
		ms_prev = ms_snap;
		memset(&ms_snap, 0, sizeof(ms_snap));
		if (ms_bpf.skel && ms_snap_unchanged(&ms_prev)) {
			/* nothing traced: the same numbers, no map walk */
			if (ms_snap_dup(&ms_snap, &ms_prev))
				fprintf(stderr, "mapstat: out of memory\n");
		} else if (ms_bpf.skel && ms_snap_read(&ms_snap)) {
			fprintf(stderr, "mapstat: reading the BPF maps: %s\n", strerror(errno));
		}
		if (ms_bpf.skel)
			ms_prepare_usyms();
		ms_select_table();

		if (env.json)
			ms_report_json(stdout);
		else if (!ms_ui.on) {
			ms_report(stdout, -1, true, 120);
			fputs("\n", stdout);
			fflush(stdout);
		}
		if (env.prom)
			ms_write_prometheus();
		if (env.folded && ms_bpf.skel)
			ms_write_folded();
		if (env.count && ++n >= env.count)
			break;
	}
cleanup:
	ms_ui_end();
	ms_snap_free(&ms_snap);
	ms_snap_free(&ms_prev);
	ms_bpf_detach();
	usyms_free(ms_usyms);
	ksyms_free(ms_ksyms);
	free(ms_tables.t);
	return err;
}
