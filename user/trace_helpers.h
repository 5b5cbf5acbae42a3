/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_helpers: what BPF tools share (libbpf-tools style): kernel symbols
 * from /proc/kallsyms (module names included), user symbols through
 * elfutils' libdwfl, log2 histograms, BTF and attach-mode probes.
 */
#ifndef TRACE_HELPERS_H
#define TRACE_HELPERS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

/* ---- tool setup (what every BPF tool's main() does first) ------------- */

/* Set by SIGINT or SIGTERM once trace_setup() ran: leave the main loop. */
extern volatile sig_atomic_t exiting;
/*
 * libbpf prints warnings only (everything with @verbose); SIGINT and
 * SIGTERM set @exiting; SIGPIPE is ignored (a closed pipe is an EPIPE).
 */
void trace_setup(bool verbose);
/* CLOCK_MONOTONIC in seconds. */
double now_s(void);
/*
 * Load /proc/kallsyms; on failure say so on stderr as "@tool: ..." and
 * return NULL (frames then print as raw addresses).
 */
struct ksyms *ksyms_load_or_warn(const char *tool);

/* ---- kernel symbols ---------------------------------------------------- */

struct ksym {
	uint64_t addr;
	const char *name;
	const char *module;	/* "cmap" for [cmap], NULL for vmlinux */
};

struct ksyms;

/* Load /proc/kallsyms; NULL (errno set) if unreadable or all-zero. */
struct ksyms *ksyms_load(void);
void ksyms_free(struct ksyms *ks);
/* The symbol at or below @addr, or NULL. */
const struct ksym *ksyms_search(const struct ksyms *ks, uint64_t addr);
/* Address of a symbol, 0 if absent. */
uint64_t ksyms_addr(const struct ksyms *ks, const char *name);
/*
 * "func+0x1a [cmap]" or, unresolved, "0xffffffffc0123456", into @buf.
 */
const char *ksym_format(const struct ksyms *ks, uint64_t addr, char *buf,
			size_t size);

/* ---- user symbols ------------------------------------------------------ */

struct usyms;

struct usyms *usyms_new(void);
void usyms_free(struct usyms *us);
/*
 * Symbolize @addr in process @pid: "func+0x1a (libc.so.6)", or with no
 * symbol "0x7f... (libc.so.6)", or "0x7f..." when the process is gone and
 * was never seen.  A process's modules are read the first time it is seen
 * and kept, so its frames resolve after it exits.  Into @buf.
 */
const char *usyms_format(struct usyms *us, pid_t pid, uint64_t addr,
			 char *buf, size_t size);
/* Read @pid's modules now (while it runs); 0 or -errno. */
int usyms_prepare(struct usyms *us, pid_t pid);

/* ---- histograms -------------------------------------------------------- */

/*
 * Print a log2 histogram: slot i counts values in [2^i, 2^(i+1)) (slot 0
 * also holds 0), bcc style, with @unit as column title.
 */
void print_log2_hist(FILE *f, const __u64 *slots, int nslots,
		     const char *unit);
/*
 * The @p-th percentile (0 < p < 1) of a log2 histogram, interpolated
 * linearly inside its slot (so within a factor of 2 of the truth), or 0
 * if the histogram is empty.
 */
double log2_hist_percentile(const __u64 *slots, int nslots, double p);

/* ---- kernel facilities ------------------------------------------------- */

/* True if the kernel exposes BTF for module @name (/sys/kernel/btf/NAME). */
bool module_has_btf(const char *name);
/* True if module @name is loaded (/sys/module/NAME/initstate is "live"). */
bool module_is_live(const char *name);
/*
 * For a BPF load or attach that failed with @err (either sign): a hint
 * to append to the message, naming the privileges BPF tracing needs when
 * @err is EPERM or EACCES; else "".
 */
const char *bpf_perm_hint(int err);

/* "1.23 ms" style for nanoseconds, into @buf. */
const char *fmt_ns(char *buf, size_t size, double ns);
/* "12.3k" style for counts and rates, into @buf. */
const char *fmt_count(char *buf, size_t size, double v);

#endif /* TRACE_HELPERS_H */
