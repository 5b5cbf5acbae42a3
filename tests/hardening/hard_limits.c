// SPDX-License-Identifier: GPL-2.0
/*
 * hard_limits: the limits a user meets, and that they really bound memory.
 *
 *   hard_limits table      per-table max_entries and max_bytes, the
 *                          module defaults, limits too large to mean
 *                          anything; a refused PUT changes nothing
 *   hard_limits tables     max_tables (and what DESTROY does to the count)
 *   hard_limits memory     the module-wide max_memory: many tables, big
 *                          values, several processes; the kernel's free
 *                          memory drops by no more than the cap
 *   hard_limits memcg      GFP_KERNEL_ACCOUNT: a process in a memory cgroup
 *                          is charged for its table, and cannot pass the
 *                          cgroup's memory.max with it
 *   hard_limits flood K    hash flooding with test_hash_key=K (the module
 *                          must have been loaded with it, or it is set
 *                          here): colliding keys are refused at max_chain,
 *                          lookups stay bounded; a random key spreads the
 *                          same keys
 *
 * Runs as root with cmap loaded; changes module parameters and restores
 * them.
 */
#include "hard.h"

#include <pthread.h>
#include <sys/stat.h>

static char vbuf[4096];

static long long meminfo(const char *field)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtoll(line + n + 1, NULL, 10) * 1024;
	if (f)
		fclose(f);
	return v;
}

static void drop_caches(void)
{
	sync();
	write_file("/proc/sys/vm/drop_caches", "3");
}

/*
 * PUT (@del: DELETE) the 8-byte keys @keys[0..n) by BATCH, @vlen-byte
 * values; counts the successes and the first per-op error.
 */
static int batch_keys(int fd, const uint64_t *keys, uint32_t n, uint32_t vlen,
		      bool del, uint32_t *okp, int *first_err)
{
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	struct cmap_batch bt;
	uint32_t i, ok = 0;
	int rc;

	*first_err = 0;
	*okp = 0;
	while (n) {
		uint32_t c = n > CMAP_BATCH_MAX ? CMAP_BATCH_MAX : n;

		t_batch_keys(&bt, ops, del ? CMAP_OP_DELETE : CMAP_OP_PUT, keys,
			     c, del ? NULL : vbuf, del ? 0 : vlen);
		rc = cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
		if (rc)
			return rc;
		for (i = 0; i < bt.done; i++) {
			if (!ops[i].result)
				ok++;
			else if (!*first_err)
				*first_err = ops[i].result;
		}
		keys += c;
		n -= c;
	}
	*okp = ok;
	return 0;
}

/* PUT keys [from, from + n) by BATCH. */
static int batch_put(int fd, uint64_t from, uint32_t n, uint32_t vlen,
		     uint32_t *okp, int *first_err)
{
	uint64_t *keys = malloc(n * sizeof(*keys));
	uint32_t i;
	int rc;

	for (i = 0; i < n; i++)
		keys[i] = from + i;
	rc = batch_keys(fd, keys, n, vlen, false, okp, first_err);
	free(keys);
	return rc;
}

/* ------------------------------------------------------- table limits */
static void test_table(void)
{
	struct snap before, after;
	struct cmap_stats st;
	char nm[CMAP_NAME_LEN], why[160];
	uint64_t k;
	int fd = dev_open(), rc, i, n;
	long long def;

	/* max_entries */
	name_of(nm, "hle");
	if (t_create(fd, nm, 0, 0, 100, 0, NULL))
		bail("CREATE");
	for (k = 0, rc = 0; k < 100 && !rc; k++)
		rc = cmapc_put(fd, &k, 8, "v", 1, 0);
	tap(!rc, "max_entries=100: 100 PUTs succeed (%s)", ename(rc));
	snap_take(fd, &before);
	rc = cmapc_put(fd, &k, 8, "v", 1, 0);
	snap_take(fd, &after);
	tap(rc == -ENOSPC && snap_same(&before, &after, why, sizeof(why)),
	    "max_entries=100: the 101st PUT fails with -ENOSPC (%s), table unchanged %s",
	    ename(rc), why);
	snap_free(&after);
	k = 5;
	rc = cmapc_put(fd, &k, 8, "replaced", 8, 0);
	tap(rc == 0, "max_entries=100 reached: replacing a key still works (%s)",
	    ename(rc));
	k = 100;
	rc = cmapc_put(fd, &k, 8, "v", 1, CMAP_PUT_NOEXIST);
	tap(rc == -ENOSPC, "... a NOEXIST PUT of a new key: -ENOSPC (%s)", ename(rc));
	k = 7;
	cmapc_delete(fd, &k, 8);
	k = 100;
	rc = cmapc_put(fd, &k, 8, "v", 1, 0);
	tap(rc == 0, "after a DELETE there is room again (%s)", ename(rc));
	snap_free(&before);
	cmapc_destroy(fd, nm, NULL);

	/* max_bytes: 4096-byte values are charged their allocation */
	name_of(nm, "hlb");
	if (t_create(fd, nm, 0, 0, 0, 65536, NULL))
		bail("CREATE");
	memset(vbuf, 'x', sizeof(vbuf));
	for (k = 0, n = 0; k < 100; k++) {
		rc = cmapc_put(fd, &k, 8, vbuf, 4096, 0);
		if (rc)
			break;
		n++;
	}
	cmapc_stats(fd, 0, &st);
	{
		__u64 eb;
		__u32 tot;

		t_table_bytes(fd, st.id, &eb, &tot);
		tap(rc == -ENOSPC && n >= 7 && n < 16 && eb <= 65536,
		    "max_bytes=64KiB: %d PUTs of 4 KiB values, then -ENOSPC (%s); %llu bytes charged",
		    n, ename(rc), (unsigned long long)eb);
	}
	snap_take(fd, &before);
	k = 0;
	rc = cmapc_put(fd, &k, 8, vbuf, 1, 0);	/* smaller: fits */
	tap(rc == 0, "max_bytes reached: replacing a value by a smaller one works (%s)",
	    ename(rc));
	snap_free(&before);
	snap_take(fd, &before);
	k = 1000;
	rc = cmapc_put(fd, &k, 8, vbuf, 4096, 0);
	snap_take(fd, &after);
	tap(rc == -ENOSPC && snap_same(&before, &after, why, sizeof(why)),
	    "max_bytes: a refused PUT changes nothing (%s) %s", ename(rc), why);
	snap_free(&before);
	snap_free(&after);
	/* a replace that would grow beyond max_bytes keeps the old value */
	k = 0;
	for (i = 0; i < 4; i++)
		rc = cmapc_put(fd, &k, 8, vbuf, 4096, 0);
	{
		char out[4096];
		__u32 olen = sizeof(out);

		cmapc_get(fd, &k, 8, out, &olen);
		tap(olen == 1 || olen == 4096,
		    "a replace refused at max_bytes keeps a whole value (%u bytes)", olen);
	}
	cmapc_destroy(fd, nm, NULL);

	/* the module's defaults apply to a table created with 0 */
	def = get_param("default_max_entries");
	set_param("default_max_entries", 50);
	name_of(nm, "hld");
	rc = t_create(fd, nm, 0, 0, 0, 0, NULL);
	cmapc_stats(fd, 0, &st);
	tap(!rc && st.max_entries == 50,
	    "default_max_entries=50 applies to a table created with 0 (%llu)",
	    (unsigned long long)st.max_entries);
	set_param("default_max_entries", def);
	for (k = 0, rc = 0; k < 51 && !rc; k++)
		rc = cmapc_put(fd, &k, 8, "", 0, 0);
	tap(rc == -ENOSPC && k == 51, "... and holds: PUT %llu fails with -ENOSPC",
	    (unsigned long long)k);
	cmapc_stats(fd, 0, &st);
	tap(st.max_entries == 50, "changing the default later leaves the table's limit (%llu)",
	    (unsigned long long)st.max_entries);
	cmapc_destroy(fd, nm, NULL);

	/* limits so large they mean "none": refused, or a usable table */
	{
		static const __u64 huge[] = { 1ULL << 40, 1ULL << 62,
					      (1ULL << 63) - 1, 1ULL << 63, ~0ULL };
		uint32_t okn;
		int ferr;

		for (i = 0; i < (int)ARRAY_LEN(huge); i++) {
			int which;

			for (which = 0; which < 2; which++) {
				name_of(nm, "hlh");
				rc = t_create(fd, nm, 0, 0, which ? 0 : huge[i],
					      which ? huge[i] : 0, NULL);
				if (rc == -EINVAL) {
					tap(1, "%s=%#llx: refused with -EINVAL",
					    which ? "max_bytes" : "max_entries",
					    (unsigned long long)huge[i]);
					continue;
				}
				rc = rc ? rc : batch_put(fd, 0, 5000, 0, &okn, &ferr);
				t_quiesce(fd, 20);
				cmapc_stats(fd, 0, &st);
				tap(!rc && okn == 5000 && st.max_entries && st.buckets >= 256,
				    "%s=%#llx: accepted, so it must work: %u of 5000 PUTs (first error %s), %llu buckets",
				    which ? "max_bytes" : "max_entries",
				    (unsigned long long)huge[i], okn, ename(ferr),
				    (unsigned long long)st.buckets);
				cmapc_destroy(fd, nm, NULL);
			}
		}
	}
	close(fd);
}

/* --------------------------------------------------------- max_tables */
static void test_tables(void)
{
	long long old = get_param("max_tables");
	int fds[16], extra[4], fd = dev_open(), i, rc, made = 0;
	char names[16][CMAP_NAME_LEN], nm[CMAP_NAME_LEN];
	__u32 base, total;

	t_list_total(fd, &base);
	set_param("max_tables", base + 6);
	for (i = 0; i < 16; i++)
		fds[i] = -1;
	for (i = 0; i < 4; i++)
		extra[i] = -1;
	for (i = 0; i < 16; i++) {
		fds[i] = dev_open();
		name_of(names[i], "hlt");
		rc = t_create(fds[i], names[i], 0, 0, 10, 0, NULL);
		if (rc)
			break;
		made++;
	}
	t_list_total(fd, &total);
	tap(made == 6 && rc == -ENOSPC && total == base + 6,
	    "max_tables=%u: %d more tables, then CREATE fails with -ENOSPC (%s), %u live",
	    (unsigned)(base + 6), made, ename(rc), total);
	tap(t_bound_id(fds[made]) == -EBADFD,
	    "the refused CREATE left its file unbound");
	/* a refused CREATE with a name: the name stays free */
	tap(cmapc_open(fd, names[made], NULL) == -ENOENT, "... and its name was not taken");
	rc = cmapc_destroy(fd, names[0], NULL);
	name_of(nm, "hlt");
	rc = rc ? rc : t_create(fds[made], nm, 0, 0, 10, 0, NULL);
	tap(rc == 0, "after a DESTROY there is room for one more (%s)", ename(rc));
	/*
	 * A destroyed table still bound to a file lives on (its memory is
	 * freed at the last close) but no longer counts: bounded by open
	 * files, each of which is charged to its opener (memcg).
	 */
	for (i = 0; i < 4; i++) {
		extra[i] = dev_open();
		cmapc_destroy(fd, names[i + 1], NULL);
		name_of(nm, "hlx");
		rc = t_create(extra[i], nm, 0, 0, 10, 0, NULL);
		if (rc)
			break;
	}
	diag("max_tables counts tables in the registry: with %d destroyed tables still bound, %d new ones could be created",
	     i, i);
	for (i = 0; i < 16; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < 4; i++)
		if (extra[i] >= 0)
			close(extra[i]);
	set_param("max_tables", old);
	/* clean up every table we made */
	t_destroy_prefixed(fd, "hlt", 4096);
	t_destroy_prefixed(fd, "hlx", 4096);
	t_list_total(fd, &total);
	tap(total == base, "all test tables destroyed (%u live, %u before)", total, base);
	close(fd);
}

/* ----------------------------------------------------------- max_memory */
#define MEM_CAP (24ULL << 20)
#define MEM_PROCS 4
#define MEM_TABLES 6

/* A child: MEM_TABLES tables, 4 KiB values until every table refuses. */
static int mem_child(int id, int report)
{
	int fds[MEM_TABLES], i, rc, enospc = 0, other = 0;
	uint64_t k;
	long puts = 0;
	char nm[CMAP_NAME_LEN];

	for (i = 0; i < MEM_TABLES; i++) {
		fds[i] = dev_open();
		snprintf(nm, sizeof(nm), "hlm%d_%d", id, i);
		rc = t_create(fds[i], nm, i % 2 ? CMAP_MODE_RCU : CMAP_MODE_RWLOCK,
			      0, 0, 0, NULL);
		if (rc == -ENOSPC || rc == -ENOMEM) {
			fds[i] = -1;
			continue;
		}
		if (rc)
			return 10;
	}
	for (k = (uint64_t)id << 32; ; k++) {
		int live = 0;

		for (i = 0; i < MEM_TABLES; i++) {
			if (fds[i] < 0)
				continue;
			rc = cmapc_put(fds[i], &k, 8, vbuf, 4096 - 64 * (k % 3), 0);
			if (!rc) {
				puts++;
				live++;
			} else if (rc == -ENOSPC) {
				enospc++;
				fds[i] = -1;
			} else {
				other = rc;
				fds[i] = -1;
			}
		}
		if (!live)
			break;
	}
	if (report)
		printf("# child %d: %ld puts, %d tables stopped by -ENOSPC, other error %s\n",
		       id, puts, enospc, ename(other));
	return other ? 20 : 0;
}

static void test_memory(void)
{
	long long old = get_param("max_memory"), avail0, avail1, slab0, slab1;
	long long slack;
	struct cmap_table_info *tabs = calloc(4096, sizeof(*tabs));
	struct cmap_list l = { .size = sizeof(l), .tables = uptr(tabs),
			       .count = 4096 };
	int fd = dev_open(), i, st, bad = 0, rc;
	unsigned long long held = 0, nt = 0;
	char nm[CMAP_NAME_LEN];
	pid_t pids[MEM_PROCS];
	__u32 j;

	memset(vbuf, 'm', sizeof(vbuf));
	drop_caches();
	avail0 = meminfo("MemAvailable");
	slab0 = meminfo("Slab") + meminfo("VmallocUsed");
	if (set_param("max_memory", MEM_CAP))
		bail("cannot set max_memory");
	for (i = 0; i < MEM_PROCS; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(mem_child(i, 1));
	}
	for (i = 0; i < MEM_PROCS; i++) {
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	tap(!bad, "%d processes x %d tables filled with ~4 KiB values until -ENOSPC, no other error",
	    MEM_PROCS, MEM_TABLES);
	cmapc_ioctl(fd, CMAP_IOC_LIST, &l);
	for (j = 0; j < l.count; j++) {
		if (strncmp(tabs[j].name, "hlm", 3))
			continue;
		held += tabs[j].bytes;
		nt++;
	}
	drop_caches();
	avail1 = meminfo("MemAvailable");
	slab1 = meminfo("Slab") + meminfo("VmallocUsed");
	tap(held <= MEM_CAP && held >= MEM_CAP / 2,
	    "max_memory=%llu MiB: %llu tables hold %.1f MiB of entries",
	    MEM_CAP >> 20, nt, held / 1048576.0);
	/*
	 * Within half the cap again for the allocator's own overhead; a KASAN
	 * kernel's slabs carry redzones and metadata besides each object
	 * (measured: 46.9 MiB of Slab for 23.7 MiB held): 2.5 times there.
	 */
	slack = kernel_sym("kasan_report", NULL) ? 5 : 3;
	tap(avail0 - avail1 < (long long)(MEM_CAP * slack / 2) &&
	    slab1 - slab0 < (long long)(MEM_CAP * slack / 2),
	    "the kernel's memory grew by no more than %.1f times the cap%s: MemAvailable -%.1f MiB, Slab+Vmalloc +%.1f MiB",
	    slack / 2.0, slack == 5 ? " (KASAN)" : "",
	    (avail0 - avail1) / 1048576.0, (slab1 - slab0) / 1048576.0);
	/* at the cap: a new table cannot get its first bucket array */
	name_of(nm, "hlm_new");
	rc = t_create(fd, nm, 0, 1 << 20, 0, 0, NULL);
	tap(rc == -ENOSPC || rc == 0,
	    "CREATE of a big table at the memory cap: %s (-ENOSPC when its first bucket array does not fit, as documented)",
	    ename(rc));
	if (!rc)
		cmapc_destroy(fd, nm, NULL);
	/* lowering the cap below the usage: puts fail, deletes work */
	set_param("max_memory", MEM_CAP / 4);
	for (j = 0; j < l.count; j++) {
		if (!strncmp(tabs[j].name, "hlm", 3)) {
			int f2 = dev_open();
			uint64_t k = ~0ULL;

			cmapc_open(f2, tabs[j].name, NULL);
			rc = cmapc_put(f2, &k, 8, "x", 1, 0);
			tap(rc == -ENOSPC, "cap lowered below the usage: PUT -ENOSPC (%s)",
			    ename(rc));
			rc = cmapc_ioctl(f2, CMAP_IOC_CLEAR, NULL);
			tap(rc == 0, "... CLEAR still works (%s)", ename(rc));
			close(f2);
			break;
		}
	}
	for (j = 0; j < l.count; j++)
		if (!strncmp(tabs[j].name, "hlm", 3))
			cmapc_destroy(fd, tabs[j].name, NULL);
	set_param("max_memory", old);
	usleep(300000);	/* frees run after a grace period */
	name_of(nm, "hlm_after");
	rc = t_create(fd, nm, 0, 0, 0, 0, NULL);
	{
		uint32_t okn = 0;
		int ferr = 0;

		rc = rc ? rc : batch_put(fd, 0, 4000, 4000, &okn, &ferr);
		tap(!rc && okn == 4000,
		    "after DESTROY the memory is available again: 4000 PUTs of 4000 bytes (%u, %s)",
		    okn, ename(ferr));
	}
	cmapc_destroy(fd, nm, NULL);
	free(tabs);
	close(fd);
}

/* ---------------------------------------------------------------- memcg */
#define CG "/sys/fs/cgroup/cmap-hard"

static long long cg_read(const char *file, const char *key)
{
	char path[256], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), CG "/%s", file);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ')
			v = strtoll(line + strlen(key) + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	return v;
}

/*
 * The cgroup's memory.current once it stopped falling: a destroyed table's
 * memory is uncharged when RCU frees it, which can lag (callbacks are
 * offloaded on RT kernels).  Three reads 100 ms apart without a fall, at
 * most 10 s.
 */
static long long cg_settled(void)
{
	long long v = cg_read("memory.current", NULL), prev;
	int steady = 0;

	for (int i = 0; i < 100 && steady < 3; i++) {
		usleep(100000);
		prev = v;
		v = cg_read("memory.current", NULL);
		steady = v < prev ? 0 : steady + 1;
	}
	return v;
}

/* In the cgroup: fill table @nm with @n entries of @vlen bytes (or until
 * an error); exits 0, or the errno. */
static int cg_child(const char *nm, uint32_t n, uint32_t vlen, int create)
{
	char pid[32];
	uint32_t okn = 0;
	int fd, rc, ferr = 0;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CG "/cgroup.procs", pid))
		return 99;
	fd = dev_open();
	rc = create ? t_create(fd, nm, 0, 0, 0, 0, NULL) : cmapc_open(fd, nm, NULL);
	if (rc)
		return -rc;
	rc = batch_put(fd, 1000000ULL * create, n, vlen, &okn, &ferr);
	printf("# cgroup child: %u of %u puts of %u bytes, first error %s\n",
	       okn, n, vlen, ename(ferr));
	return rc ? -rc : ferr ? -ferr : 0;
}

static void test_memcg(void)
{
	long long cur0, cur1, slab0, slab1, peak, max = 32LL << 20, old_mem;
	char nm[CMAP_NAME_LEN], ctl[256] = "";
	struct cmap_stats st;
	__u64 eb;
	__u32 tot;
	int fd, st_, rc;
	pid_t pid;
	FILE *f = fopen("/sys/fs/cgroup/cgroup.controllers", "r");

	if (f) {
		if (!fgets(ctl, sizeof(ctl), f))
			ctl[0] = 0;
		fclose(f);
	}
	if (!strstr(ctl, "memory")) {
		char line[128];
		bool memcg = false;

		/* A kernel built without CONFIG_MEMCG has nothing to charge. */
		f = fopen("/proc/cgroups", "r");
		while (f && fgets(line, sizeof(line), f))
			memcg |= !strncmp(line, "memory\t", 7);
		if (f)
			fclose(f);
		if (memcg)
			tap(0, "the memory controller is available in /sys/fs/cgroup (cgroup v2)");
		else
			printf("ok - memcg charging # SKIP kernel without CONFIG_MEMCG\n");
		return;
	}
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	rmdir(CG);
	if (mkdir(CG, 0755))
		bail("mkdir " CG ": %s", strerror(errno));
	old_mem = get_param("max_memory");
	set_param("max_memory", 1ULL << 30);

	/* 1. the table's entries are charged to the creator's cgroup */
	name_of(nm, "hcg");
	memset(vbuf, 'c', sizeof(vbuf));
	cur0 = cg_read("memory.current", NULL);
	slab0 = cg_read("memory.stat", "slab");
	pid = fork();
	if (!pid)
		_exit(cg_child(nm, 3000, 2000, 1));
	waitpid(pid, &st_, 0);
	cur1 = cg_read("memory.current", NULL);
	slab1 = cg_read("memory.stat", "slab");
	fd = dev_open();
	cmapc_open(fd, nm, NULL);
	cmapc_stats(fd, 0, &st);
	t_table_bytes(fd, st.id, &eb, &tot);
	tap(WIFEXITED(st_) && !WEXITSTATUS(st_) &&
	    slab1 - slab0 >= (long long)eb * 9 / 10,
	    "GFP_KERNEL_ACCOUNT: 3000 entries (%.2f MiB as charged by cmap) raised the cgroup's slab by %.2f MiB (memory.current +%.2f MiB)",
	    eb / 1048576.0, (slab1 - slab0) / 1048576.0, (cur1 - cur0) / 1048576.0);
	cmapc_destroy(fd, nm, NULL);
	close(fd);

	/* 2. bucket arrays of a grown table: allocated by the resize worker */
	name_of(nm, "hcg");
	cur0 = cg_settled();
	pid = fork();
	if (!pid)
		_exit(cg_child(nm, 200000, 0, 1));
	waitpid(pid, &st_, 0);
	fd = dev_open();
	cmapc_open(fd, nm, NULL);
	t_quiesce(fd, 30);
	cmapc_stats(fd, 0, &st);
	t_table_bytes(fd, st.id, &eb, &tot);
	cur1 = cg_read("memory.current", NULL);
	{
		double arrays = (st.bytes - eb) / 1048576.0;
		double charged = (cur1 - cur0) / 1048576.0;

		diag("200000 small entries: %.2f MiB of elements, %.2f MiB of bucket arrays (%llu buckets); the cgroup was charged %.2f MiB",
		     eb / 1048576.0, arrays, (unsigned long long)st.buckets, charged);
		tap(charged >= (st.bytes * 0.9) / 1048576.0,
		    "bucket arrays of a table grown by the resize worker are charged to its creator's cgroup (%.2f of %.2f MiB charged)",
		    charged, st.bytes / 1048576.0);
	}
	cmapc_destroy(fd, nm, NULL);
	close(fd);

	/* 3. memory.max bounds what a process can put in tables */
	usleep(200000);
	snprintf(ctl, sizeof(ctl), "%lld", max);
	if (write_file(CG "/memory.max", ctl))
		bail("memory.max");
	write_file(CG "/memory.swap.max", "0");
	name_of(nm, "hcg");
	pid = fork();
	if (!pid)
		_exit(cg_child(nm, 30000, 4000, 1));
	waitpid(pid, &st_, 0);
	peak = cg_read("memory.peak", NULL);
	if (peak < 0)
		peak = cg_read("memory.current", NULL);
	fd = dev_open();
	rc = cmapc_open(fd, nm, NULL);
	eb = 0;
	if (!rc) {
		cmapc_stats(fd, 0, &st);
		t_table_bytes(fd, st.id, &eb, &tot);
	}
	/* a task being OOM-killed may overshoot a little (forced charge) */
	tap(peak <= max + max / 8 && eb < (__u64)max &&
	    ((WIFEXITED(st_) && WEXITSTATUS(st_) == ENOMEM) ||
	     (WIFSIGNALED(st_) && WTERMSIG(st_) == SIGKILL)),
	    "memory.max=32MiB: 30000 x 4 KB into a table stops at %.1f MiB (peak %.1f MiB): %s",
	    eb / 1048576.0, peak / 1048576.0,
	    WIFSIGNALED(st_) ? "killed by the cgroup's OOM killer" :
	    WEXITSTATUS(st_) == ENOMEM ? "-ENOMEM" : "unexpected exit");
	if (!rc)
		cmapc_destroy(fd, nm, NULL);
	close(fd);
	set_param("max_memory", old_mem);
	usleep(500000);
	if (rmdir(CG))
		diag("rmdir " CG ": %s (tables freed late)", strerror(errno));
}

/* ------------------------------------------------------------ flooding */
struct flood_keys {
	uint64_t *k;
	size_t n;
};

/* @n 8-byte keys whose hashes under @tk share their top @bits bits with
 * @prefix (in the top bits). */
static void find_colliding(uint64_t tk, uint32_t prefix, int bits, size_t n,
			   uint64_t start, struct flood_keys *out)
{
	uint64_t x;

	out->k = malloc(n * sizeof(uint64_t));
	out->n = 0;
	for (x = start; out->n < n; x++) {
		uint32_t h = cmap_test_hash(&x, 8, tk);

		if ((h >> (32 - bits)) == prefix)
			out->k[out->n++] = x;
	}
}

static double get_ns(int fd, const uint64_t *key, int iters)
{
	char out[64];
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < iters; i++) {
		__u32 olen = sizeof(out);

		cmapc_get(fd, key, 8, out, &olen);
	}
	return (double)(now_ns() - t0) / iters;
}

static void test_flood(uint64_t tk)
{
	long long chain = get_param("max_chain"), oldkey = get_param("test_hash_key");
	char nm[CMAP_NAME_LEN], why[160], buf[1 << 16];
	unsigned int cap, bad_hash = 0, prefixes = 0, maxload = 0;
	struct flood_keys fk;
	struct cmap_stats st;
	struct snap before, after;
	struct cmap_iter it;
	static uint8_t seen[1024];
	double t_coll, t_norm, t_miss;
	int bound;
	uint64_t normal = 0x1234567890ULL, missing;
	const struct cmap_rec *r;
	int fd = dev_open(), rc = 0;
	size_t i, off;

	if (chain <= 0)
		chain = 64;
	cap = (chain + 1) * 8;
	set_param("test_hash_key", tk);
	diag("test_hash_key=%#llx, max_chain=%lld: a head bucket holds at most %u keys",
	     (unsigned long long)tk, chain, cap);
	/* max_entries 1000: at most 1024 head buckets (top 10 bits) */
	find_colliding(tk, 0x2a5, 10, cap + 2, 1, &fk);
	missing = fk.k[cap + 1];
	name_of(nm, "hfl");
	/*
	 * size_hint 1000: 512 head buckets from the start, never due to grow
	 * here (the chain bound is waived while a table is due to grow; see
	 * test_flood_growth()), so the bound itself is what is tested.
	 */
	if (t_create(fd, nm, 0, 1000, 1000, 0, NULL))
		bail("CREATE");
	/* the model: the kernel's hashes are ours */
	for (i = 0; i < 16; i++)
		cmapc_put(fd, &fk.k[i], 8, "", 0, 0);
	memset(&it, 0, sizeof(it));
	it.size = sizeof(it);
	t_iter_next(fd, &it, buf, sizeof(buf));
	for (off = 0; (r = rec_next(buf, it.bytes, &off));) {
		uint64_t key;

		memcpy(&key, r + 1, 8);
		if (r->hash != cmap_test_hash(&key, 8, tk))
			bad_hash++;
	}
	tap(it.count == 16 && !bad_hash,
	    "ITER's hashes equal the userspace hsiphash (SipHash-1-3) under test_hash_key (%u records, %u differ)",
	    it.count, bad_hash);
	for (i = 16; i < cap && !rc; i++)
		rc = cmapc_put(fd, &fk.k[i], 8, "", 0, 0);
	tap(!rc, "%u colliding keys fill one head bucket and its %lld overflow buckets (%s)",
	    cap, chain, ename(rc));
	/*
	 * Normal keys, none of them in the flooded bucket (one there would
	 * be refused, or, while the table is due to grow, open a 66th bucket
	 * whose free slots the next colliding keys would take).
	 */
	for (i = 0; i < 300; i++) {
		uint64_t k = normal + i;

		if (cmap_test_hash(&k, 8, tk) >> 22 != 0x2a5)
			cmapc_put(fd, &k, 8, "n", 1, 0);
	}
	t_quiesce(fd, 10);
	cmapc_stats(fd, 0, &st);
	diag("before the next colliding key: %llu buckets, %llu entries, %llu overflow buckets, resizing %llu",
	     (unsigned long long)st.buckets, (unsigned long long)st.entries,
	     (unsigned long long)st.overflow_buckets, (unsigned long long)st.resizing);
	snap_take(fd, &before);
	rc = cmapc_put(fd, &fk.k[cap], 8, "", 0, 0);
	snap_take(fd, &after);
	tap(rc == -ENOSPC && snap_same(&before, &after, why, sizeof(why)),
	    "the next colliding key is refused with -ENOSPC (%s), table unchanged %s",
	    ename(rc), why);
	snap_free(&before);
	snap_free(&after);
	{
		uint64_t k = normal + 1000;

		while (cmap_test_hash(&k, 8, tk) >> 22 == 0x2a5)
			k++;
		rc = cmapc_put(fd, &k, 8, "n", 1, 0);
		tap(rc == 0, "a normal key still goes in (%s)", ename(rc));
	}
	cmapc_stats(fd, 0, &st);
	tap(st.overflow_buckets <= (unsigned long long)chain + 8,
	    "overflow buckets: %llu (chain bound %lld), %llu head buckets, %llu entries",
	    (unsigned long long)st.overflow_buckets, chain,
	    (unsigned long long)st.buckets, (unsigned long long)st.entries);
	/* lookup cost: the deepest colliding key, an absent colliding key
	 * (walks the whole chain) and a normal key, interleaved */
	/* the fastest of 9 rounds of each: robust against preemption */
	t_coll = t_norm = t_miss = 1e18;
	for (i = 0; i < 9; i++) {
		double c = get_ns(fd, &fk.k[cap - 1], 200);
		double n = get_ns(fd, &normal, 200);
		double mi = get_ns(fd, &missing, 200);

		t_coll = c < t_coll ? c : t_coll;
		t_norm = n < t_norm ? n : t_norm;
		t_miss = mi < t_miss ? mi : t_miss;
	}
	/* (KASAN checks every step of the chain walk: 2.2x measured there) */
	bound = kernel_sym("kasan_report", NULL) ? 5 : 3;
	tap(t_coll < bound * t_norm && t_miss < bound * t_norm,
	    "lookups stay bounded: deepest colliding key %.0f ns, absent colliding key %.0f ns, normal key %.0f ns per GET ioctl (bound: %dx)",
	    t_coll, t_miss, t_norm, bound);
	cmapc_destroy(fd, nm, NULL);

	/* the same keys in a table with a random key: spread out */
	set_param("test_hash_key", 0);
	name_of(nm, "hfr");
	if (t_create(fd, nm, 0, 0, 1000, 0, NULL))
		bail("CREATE");
	for (i = 0, rc = 0; i < cap + 1 && !rc; i++)
		rc = cmapc_put(fd, &fk.k[i], 8, "", 0, 0);
	tap(!rc, "random hash key: all %u keys that collide under the test key go in (%s)",
	    cap + 1, ename(rc));
	memset(&it, 0, sizeof(it));
	it.size = sizeof(it);
	while (it.cursor != CMAP_ITER_DONE) {
		if (t_iter_next(fd, &it, buf, sizeof(buf)))
			break;
		for (off = 0; (r = rec_next(buf, it.bytes, &off));) {
			if (!seen[r->hash >> 22]++)
				prefixes++;
			if (seen[r->hash >> 22] > maxload)
				maxload = seen[r->hash >> 22];
		}
	}
	tap(prefixes > 200 && maxload <= 10,
	    "... spread over %u of the 1024 head buckets of the table's largest size, at most %u in one (all %u in one under the test key)",
	    prefixes, maxload, cap + 1);
	cmapc_destroy(fd, nm, NULL);

	/* a smaller max_chain takes effect at once */
	set_param("test_hash_key", tk);
	set_param("max_chain", 2);
	name_of(nm, "hfc");
	if (t_create(fd, nm, 0, 0, 1000, 0, NULL))
		bail("CREATE");
	for (i = 0, rc = 0; i < cap && !rc; i++)
		rc = cmapc_put(fd, &fk.k[i], 8, "", 0, 0);
	tap(rc == -ENOSPC && i == 25,
	    "max_chain=2: the 25th colliding key is refused (refused at %zu: %s)",
	    i, ename(rc));
	cmapc_destroy(fd, nm, NULL);
	set_param("max_chain", chain);
	set_param("test_hash_key", oldkey);
	free(fk.k);
	close(fd);
}

/*
 * Shrinking merges head buckets; their chains are each bounded, their
 * concatenation must be too.  Grow a table with filler keys, fill two
 * neighbouring buckets with colliding keys, delete the filler: the table
 * must not shrink into one chain holding both; once one of them is
 * deleted, it shrinks.
 */
static void test_flood_shrink(uint64_t tk)
{
	long long chain = get_param("max_chain"), oldkey = get_param("test_hash_key");
	unsigned int cap = (chain + 1) * 8, bits;
	uint32_t p12 = 0x12345678U >> 20, pre, okn, nf = 0, x;
	uint64_t *filler = malloc(30000 * sizeof(uint64_t));
	struct flood_keys a, b;
	struct cmap_stats st, st0;
	char nm[CMAP_NAME_LEN];
	int fd = dev_open(), ferr, rc = 0;
	size_t i;

	set_param("test_hash_key", tk);
	name_of(nm, "hfs");
	if (t_create(fd, nm, 0, 0, 0, 0, NULL))
		bail("CREATE");
	/*
	 * Filler that grows the table past 4096 buckets, none of it under
	 * the 12-bit hash prefix p12; the two neighbours are then chosen
	 * under p12 at the order the table reached.
	 */
	for (x = 0; nf < 30000; x++) {
		uint64_t k = (1ULL << 40) + x;

		if (cmap_test_hash(&k, 8, tk) >> 20 != p12)
			filler[nf++] = k;
	}
	batch_keys(fd, filler, nf, 0, false, &okn, &ferr);
	t_quiesce(fd, 60);
	cmapc_stats(fd, 0, &st);
	bits = __builtin_ctzll(st.buckets);
	diag("filler: %u keys, %llu buckets", okn, (unsigned long long)st.buckets);
	if (bits <= 12 || bits > 16) {
		tap(0, "the filler grew the table past 4096 buckets (%llu)",
		    (unsigned long long)st.buckets);
		goto out;
	}
	pre = p12 << (bits - 12);
	find_colliding(tk, pre, bits, cap, 1, &a);
	find_colliding(tk, pre | 1, bits, cap, 1, &b);
	for (i = 0; i < cap && !rc; i++)
		rc = cmapc_put(fd, &a.k[i], 8, "", 0, 0);
	for (i = 0; i < cap && !rc; i++)
		rc = cmapc_put(fd, &b.k[i], 8, "", 0, 0);
	tap(!rc, "two neighbouring head buckets of %u filled with %u colliding keys each (%s)",
	    1U << bits, cap, ename(rc));
	cmapc_stats(fd, 0, &st0);
	batch_keys(fd, filler, nf, 0, true, &okn, &ferr);
	t_quiesce(fd, 60);
	usleep(500000);
	t_quiesce(fd, 60);
	cmapc_stats(fd, 0, &st);
	/* Any smaller array would merge the two chains into one. */
	tap(st.buckets == 1ULL << bits &&
	    st.overflow_buckets <= st0.overflow_buckets,
	    "without the filler the table keeps %llu buckets (of %u) so the two full chains stay apart: %llu overflow buckets (%llu before)",
	    (unsigned long long)st.buckets, 1U << bits,
	    (unsigned long long)st.overflow_buckets,
	    (unsigned long long)st0.overflow_buckets);
	{
		unsigned int miss = 0;
		__u32 vl;
		char v[8];

		for (i = 0; i < cap; i++) {
			vl = sizeof(v);
			miss += !!cmapc_get(fd, &a.k[i], 8, v, &vl);
			vl = sizeof(v);
			miss += !!cmapc_get(fd, &b.k[i], 8, v, &vl);
		}
		tap(!miss, "all %u colliding keys are still there (%u missing)",
		    2 * cap, miss);
	}
	/* One chain alone fits anywhere: now the shrink goes ahead. */
	for (i = 0; i < cap; i++)
		cmapc_delete(fd, &b.k[i], 8);
	t_quiesce(fd, 60);
	usleep(500000);
	t_quiesce(fd, 60);
	cmapc_stats(fd, 0, &st);
	tap(st.buckets < 1ULL << bits && st.overflow_buckets <= (unsigned long long)chain,
	    "with one chain deleted the table shrinks: %llu buckets (was %u), %llu overflow buckets",
	    (unsigned long long)st.buckets, 1U << bits,
	    (unsigned long long)st.overflow_buckets);
	free(a.k);
	free(b.k);
out:
	cmapc_destroy(fd, nm, NULL);
	set_param("test_hash_key", oldkey);
	free(filler);
	close(fd);
}

/*
 * Random keys into a fresh table as fast as two threads can BATCH them:
 * the table must grow before any chain reaches max_chain (else honest
 * keys are refused as a "flood").
 */
struct grow_arg {
	int fd;
	unsigned int seed, batches;
	unsigned long enospc, other, ok;
};

static void *grow_thread(void *p)
{
	struct grow_arg *g = p;
	static __thread struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static __thread uint64_t keys[CMAP_BATCH_MAX];
	uint64_t seed = g->seed;
	struct cmap_batch bt;
	unsigned int b, i;

	for (b = 0; b < g->batches; b++) {
		for (i = 0; i < CMAP_BATCH_MAX; i++)
			keys[i] = rnd_next(&seed);
		t_batch_keys(&bt, ops, CMAP_OP_PUT, keys, CMAP_BATCH_MAX, NULL, 0);
		if (cmapc_ioctl(g->fd, CMAP_IOC_BATCH, &bt)) {
			g->other++;
			continue;
		}
		for (i = 0; i < bt.done; i++) {
			if (!ops[i].result)
				g->ok++;
			else if (ops[i].result == -ENOSPC)
				g->enospc++;
			else
				g->other++;
		}
	}
	return NULL;
}

static void test_growth_race(void)
{
	struct grow_arg g[2];
	pthread_t th[2];
	char nm[CMAP_NAME_LEN];
	struct cmap_stats st;
	unsigned long ok = 0, enospc = 0, other = 0;
	int fd = dev_open(), i;

	set_param("test_hash_key", 0);
	name_of(nm, "hgr");
	if (t_create(fd, nm, 0, 0, 0, 0, NULL))
		bail("CREATE");
	for (i = 0; i < 2; i++) {
		g[i] = (struct grow_arg){ .fd = dev_open(), .seed = 77 + i,
					  .batches = 40 };
		cmapc_open(g[i].fd, nm, NULL);
		pthread_create(&th[i], NULL, grow_thread, &g[i]);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		ok += g[i].ok;
		enospc += g[i].enospc;
		other += g[i].other;
		close(g[i].fd);
	}
	t_quiesce(fd, 30);
	cmapc_stats(fd, 0, &st);
	tap(!enospc && !other,
	    "random keys into a fresh table from 2 threads: %lu PUTs ok, %lu refused with -ENOSPC, %lu other errors, while it grew to %llu buckets (a full chain waits for the resize)",
	    ok, enospc, other, (unsigned long long)st.buckets);
	cmapc_destroy(fd, nm, NULL);
	close(fd);
}

/*
 * Colliding keys interleaved with filler keys, so that the table is often
 * "due to grow" (the chain bound is waived then, so that honest keys are
 * not refused while the resize worker catches up): how many colliding keys
 * get into one head bucket?
 */
static void test_flood_growth(uint64_t tk)
{
	long long chain = get_param("max_chain"), oldkey = get_param("test_hash_key");
	unsigned int cap = (chain + 1) * 8, in = 0, i, j, c = 0;
	static struct cmap_batch_op ops[CMAP_BATCH_MAX];
	static uint64_t keys[CMAP_BATCH_MAX];
	struct flood_keys fk;
	struct cmap_batch bt;
	char nm[CMAP_NAME_LEN];
	uint64_t filler = 1ULL << 40;
	int fd = dev_open(), rc = 0;

	set_param("test_hash_key", tk);
	/* max_entries 3000: at most 2048 head buckets (11 bits) */
	find_colliding(tk, 0x5a5, 11, 1500, 1, &fk);
	name_of(nm, "hfg");
	if (t_create(fd, nm, 0, 0, 3000, 0, NULL))
		bail("CREATE");
	while (c < fk.n && !rc) {
		unsigned int n = 0;

		for (j = 0; j < 256 && c < fk.n; j++) {
			keys[n] = fk.k[c++];
			keys[n + 1] = filler++;
			n += 2;
		}
		t_batch_keys(&bt, ops, CMAP_OP_PUT, keys, n, NULL, 0);
		rc = cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
		for (i = 0; !rc && i < bt.done; i += 2)
			in += !ops[i].result;
	}
	tap(!rc && in <= cap,
	    "colliding keys interleaved with filler (the array always due to grow): %u of %zu got into one head bucket, bound max_chain=%lld allows %u (%s)",
	    in, fk.n, chain, cap, ename(rc));
	cmapc_destroy(fd, nm, NULL);
	set_param("test_hash_key", oldkey);
	free(fk.k);
	close(fd);
}

static void run_flood(int argc, char **argv)
{
	uint64_t tk = strtoull(argv[0], NULL, 0);

	(void)argc;
	test_flood(tk);
	test_flood_shrink(tk);
	test_flood_growth(tk);
	test_growth_race();
}

int main(int argc, char **argv)
{
	static const struct hard_part parts[] = {
		{ .name = "table", .run = test_table },
		{ .name = "tables", .run = test_tables },
		{ .name = "memory", .run = test_memory },
		{ .name = "memcg", .run = test_memcg },
		{ .name = "flood", .run_args = run_flood, .min_args = 1 },
	};

	return run_part(argc, argv, "hard_limits", parts, ARRAY_LEN(parts),
			"table|tables|memory|memcg|flood KEY");
}
