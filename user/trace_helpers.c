// SPDX-License-Identifier: GPL-2.0
/* trace_helpers: see trace_helpers.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

/*
 * The tools check libbpf the 1.x way, valid on 0.x too: a pointer is
 * checked with libbpf_get_error() (NULL with errno set on 1.x and in 0.x
 * strict mode, an error pointer otherwise), an int result is a negative
 * errno.  trace_setup() asks 0.x (from 0.6, the first with strict mode
 * and a version macro) for the 1.x semantics; on 1.x that is a no-op.
 */
#if !defined(LIBBPF_MAJOR_VERSION) || \
	(LIBBPF_MAJOR_VERSION == 0 && LIBBPF_MINOR_VERSION < 6)
#error "libbpf 0.6 or later is needed"
#endif

#include <elfutils/libdwfl.h>

#include "trace_helpers.h"

/* ---- kernel symbols ---------------------------------------------------- */

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *strs;		/* names and module names, NUL separated */
	size_t slen, scap;
};

/* ---- tool setup -------------------------------------------------------- */

volatile sig_atomic_t exiting;
static bool libbpf_verbose;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list args)
{
	if (level != LIBBPF_WARN && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

void trace_setup(bool verbose)
{
	libbpf_verbose = verbose;
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(libbpf_print_fn);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ksyms *ksyms_load_or_warn(const char *tool)
{
	struct ksyms *ks = ksyms_load();

	if (!ks)
		fprintf(stderr, "%s: cannot read /proc/kallsyms (%s): kernel frames "
			"print as addresses\n", tool, strerror(errno));
	return ks;
}

/* ---- kernel symbols ---------------------------------------------------- */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Append a string to the pool; returns its offset or -1. */
static long pool_add(struct ksyms *ks, const char *s)
{
	size_t len = strlen(s) + 1;

	if (ks->slen + len > ks->scap) {
		size_t cap = ks->scap ? ks->scap * 2 : 1 << 20;
		char *p;

		while (cap < ks->slen + len)
			cap *= 2;
		p = realloc(ks->strs, cap);
		if (!p)
			return -1;
		ks->strs = p;
		ks->scap = cap;
	}
	memcpy(ks->strs + ks->slen, s, len);
	ks->slen += len;
	return (long)(ks->slen - len);
}

struct ksyms *ksyms_load(void)
{
	struct ksyms *ks;
	char line[512], name[256], mod[128];
	char type;
	uint64_t addr;
	bool nonzero = false;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		goto fail;
	while (fgets(line, sizeof(line), f)) {
		int n;
		long no, mo = -1;

		mod[0] = 0;
		n = sscanf(line, "%" SCNx64 " %c %255s [%127[^]]]", &addr,
			   &type, name, mod);
		if (n < 3)
			continue;
		/* text symbols only: stack frames point into code */
		if (type != 't' && type != 'T' && type != 'W' && type != 'w')
			continue;
		if (addr)
			nonzero = true;
		if (ks->n == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *p = realloc(ks->syms, cap * sizeof(*p));

			if (!p)
				goto fail;
			ks->syms = p;
			ks->cap = cap;
		}
		no = pool_add(ks, name);
		if (no < 0)
			goto fail;
		if (mod[0] && (mo = pool_add(ks, mod)) < 0)
			goto fail;
		/* offsets now, pointers once the pool stops moving */
		ks->syms[ks->n].addr = addr;
		ks->syms[ks->n].name = (const char *)(uintptr_t)no;
		ks->syms[ks->n].module = (const char *)(intptr_t)mo;
		ks->n++;
	}
	fclose(f);
	f = NULL;
	if (!nonzero) {		/* kptr_restrict: addresses hidden */
		errno = EPERM;
		goto fail;
	}
	for (size_t i = 0; i < ks->n; i++) {
		intptr_t mo = (intptr_t)ks->syms[i].module;

		ks->syms[i].name = ks->strs + (uintptr_t)ks->syms[i].name;
		ks->syms[i].module = mo < 0 ? NULL : ks->strs + mo;
	}
	qsort(ks->syms, ks->n, sizeof(*ks->syms), ksym_cmp);
	return ks;
fail:
	if (f)
		fclose(f);
	ksyms_free(ks);
	return NULL;
}

void ksyms_free(struct ksyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->strs);
	free(ks);
}

const struct ksym *ksyms_search(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->n || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->syms[lo];
}

uint64_t ksyms_addr(const struct ksyms *ks, const char *name)
{
	for (size_t i = 0; ks && i < ks->n; i++)
		if (!strcmp(ks->syms[i].name, name))
			return ks->syms[i].addr;
	return 0;
}

const char *ksym_format(const struct ksyms *ks, uint64_t addr, char *buf,
			size_t size)
{
	const struct ksym *s = ksyms_search(ks, addr);

	/* Beyond 1 MiB past a symbol it is not that symbol's code. */
	if (!s || addr - s->addr > (1 << 20))
		snprintf(buf, size, "0x%" PRIx64, addr);
	else if (s->module)
		snprintf(buf, size, "%s+0x%" PRIx64 " [%s]", s->name,
			 addr - s->addr, s->module);
	else
		snprintf(buf, size, "%s+0x%" PRIx64, s->name, addr - s->addr);
	return buf;
}

/* ---- user symbols ------------------------------------------------------ */

/*
 * A process's symbolized frames, by address.  libdw looks a symbol up by
 * scanning the module's whole symbol table, and a live view asks for the
 * same few frames every interval: each address is resolved once.
 */
struct ucache_ent {
	uint64_t addr;
	char *str;		/* NULL: free slot */
};

struct uproc {
	pid_t pid;
	Dwfl *dwfl;		/* NULL: could not be read */
	struct ucache_ent *cache;
	size_t ncache, capcache;	/* used, slots (a power of 2) */
};

#define UCACHE_MAX	(1 << 16)	/* entries per process, then no caching */

static size_t ucache_slot(const struct uproc *p, uint64_t addr)
{
	size_t mask = p->capcache - 1, i = (size_t)((addr * 0x9e3779b97f4a7c15ULL) >> 32) & mask;

	while (p->cache[i].str && p->cache[i].addr != addr)
		i = (i + 1) & mask;
	return i;
}

static const char *ucache_get(const struct uproc *p, uint64_t addr)
{
	return p->capcache ? p->cache[ucache_slot(p, addr)].str : NULL;
}

static void ucache_put(struct uproc *p, uint64_t addr, const char *str)
{
	size_t i;

	if (p->ncache >= UCACHE_MAX)
		return;
	if (2 * (p->ncache + 1) > p->capcache) {
		size_t cap = p->capcache ? 2 * p->capcache : 64;
		struct ucache_ent *old = p->cache, *n = calloc(cap, sizeof(*n));
		size_t ocap = p->capcache;

		if (!n)
			return;
		p->cache = n;
		p->capcache = cap;
		for (size_t j = 0; j < ocap; j++)
			if (old[j].str)
				p->cache[ucache_slot(p, old[j].addr)] = old[j];
		free(old);
	}
	i = ucache_slot(p, addr);
	if (p->cache[i].str)
		return;
	p->cache[i].str = strdup(str);
	if (p->cache[i].str) {
		p->cache[i].addr = addr;
		p->ncache++;
	}
}

struct usyms {
	struct uproc *procs;
	size_t n, cap;
};

static char *debuginfo_path;
static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct usyms *usyms_new(void)
{
	return calloc(1, sizeof(struct usyms));
}

void usyms_free(struct usyms *us)
{
	if (!us)
		return;
	for (size_t i = 0; i < us->n; i++) {
		struct uproc *p = &us->procs[i];

		if (p->dwfl)
			dwfl_end(p->dwfl);
		for (size_t j = 0; j < p->capcache; j++)
			free(p->cache[j].str);
		free(p->cache);
	}
	free(us->procs);
	free(us);
}

static struct uproc *uproc_get(struct usyms *us, pid_t pid, bool create)
{
	struct uproc *p;

	for (size_t i = 0; i < us->n; i++)
		if (us->procs[i].pid == pid)
			return &us->procs[i];
	if (!create)
		return NULL;
	if (us->n == us->cap) {
		size_t cap = us->cap ? us->cap * 2 : 16;

		p = realloc(us->procs, cap * sizeof(*p));
		if (!p)
			return NULL;
		us->procs = p;
		us->cap = cap;
	}
	p = &us->procs[us->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->dwfl = dwfl_begin(&proc_callbacks);
	if (p->dwfl) {
		dwfl_report_begin(p->dwfl);
		if (dwfl_linux_proc_report(p->dwfl, pid) ||
		    dwfl_report_end(p->dwfl, NULL, NULL)) {
			dwfl_end(p->dwfl);
			p->dwfl = NULL;
		}
	}
	return p;
}

int usyms_prepare(struct usyms *us, pid_t pid)
{
	struct uproc *p = uproc_get(us, pid, true);

	return p && p->dwfl ? 0 : -ESRCH;
}

const char *usyms_format(struct usyms *us, pid_t pid, uint64_t addr,
			 char *buf, size_t size)
{
	struct uproc *p = uproc_get(us, pid, true);
	const char *name = NULL, *mname = NULL, *base, *hit;
	GElf_Off off = 0;
	GElf_Sym sym;
	Dwfl_Module *m;

	if (!p || !p->dwfl) {
		snprintf(buf, size, "0x%" PRIx64, addr);
		return buf;
	}
	hit = ucache_get(p, addr);
	if (hit) {
		snprintf(buf, size, "%s", hit);
		return buf;
	}
	m = dwfl_addrmodule(p->dwfl, addr);
	if (m) {
		mname = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL,
					 NULL);
		name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL,
					    NULL);
	}
	base = mname ? strrchr(mname, '/') : NULL;
	base = base ? base + 1 : mname;
	if (name && base)
		snprintf(buf, size, "%s+0x%" PRIx64 " (%s)", name, (uint64_t)off,
			 base);
	else if (base)
		snprintf(buf, size, "0x%" PRIx64 " (%s)", addr, base);
	else
		snprintf(buf, size, "0x%" PRIx64, addr);
	ucache_put(p, addr, buf);
	return buf;
}

/* ---- histograms -------------------------------------------------------- */

static void print_stars(FILE *f, __u64 val, __u64 max, int width)
{
	int n = max ? (int)((double)val * width / max) : 0;

	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
}

void print_log2_hist(FILE *f, const __u64 *slots, int nslots,
		     const char *unit)
{
	int first = -1, last = -1;
	__u64 max = 0;

	for (int i = 0; i < nslots; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	if (last < 0) {
		fprintf(f, "     (empty)\n");
		return;
	}
	fprintf(f, "%24s : count    distribution\n", unit);
	for (int i = first; i <= last; i++) {
		unsigned long long lo = i ? 1ULL << i : 0, hi = (1ULL << (i + 1)) - 1;

		fprintf(f, "%10llu -> %-10llu : %-8llu |", lo, hi,
			(unsigned long long)slots[i]);
		print_stars(f, slots[i], max, 40);
		fprintf(f, "|\n");
	}
}

double log2_hist_percentile(const __u64 *slots, int nslots, double p)
{
	__u64 total = 0, acc = 0;
	double want;

	for (int i = 0; i < nslots; i++)
		total += slots[i];
	if (!total)
		return 0;
	want = p * (double)total;
	for (int i = 0; i < nslots; i++) {
		double lo = i ? (double)(1ULL << i) : 0;
		double hi = (double)(1ULL << (i + 1));

		if (slots[i] && (double)(acc + slots[i]) >= want) {
			double frac = (want - (double)acc) / (double)slots[i];

			return lo + frac * (hi - lo);
		}
		acc += slots[i];
	}
	return (double)(1ULL << (nslots - 1));
}

/* ---- kernel facilities ------------------------------------------------- */

bool module_has_btf(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", name);
	return access(path, R_OK) == 0;
}

const char *bpf_perm_hint(int err)
{
	if (err < 0)
		err = -err;
	if (err != EPERM && err != EACCES)
		return "";
	return " (BPF tracing needs root, or CAP_BPF and CAP_PERFMON)";
}

bool module_is_live(const char *name)
{
	char path[PATH_MAX], state[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(state, sizeof(state), f))
		state[0] = 0;
	fclose(f);
	return !strncmp(state, "live", 4);
}

const char *fmt_ns(char *buf, size_t size, double ns)
{
	if (ns < 1e3)
		snprintf(buf, size, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, size, "%.1fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, size, "%.1fms", ns / 1e6);
	else
		snprintf(buf, size, "%.2fs", ns / 1e9);
	return buf;
}

const char *fmt_count(char *buf, size_t size, double v)
{
	if (v > 0 && v < 10 && v != (double)(long)v)
		snprintf(buf, size, "%.1f", v);
	else if (v < 1e4)
		snprintf(buf, size, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, size, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(buf, size, "%.1fM", v / 1e6);
	else
		snprintf(buf, size, "%.1fG", v / 1e9);
	return buf;
}
