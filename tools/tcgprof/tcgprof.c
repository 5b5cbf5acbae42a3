// SPDX-License-Identifier: GPL-2.0
/*
 * tcgprof: a QEMU TCG plugin that counts the guest instructions executed
 * per translation block, for profiling guest (kernel) code where there is
 * no PMU.
 *
 *   qemu-system-x86_64 ... -plugin tcgprof.so,out=FILE
 *
 * At translation, a TB gets two inline 64-bit adds: n_insns to its
 * instruction counter and 1 to its execution counter.  Counters are keyed
 * by the TB's guest virtual start address, so a block translated again
 * (after a flush, or by another vCPU) adds to the same counters.  At exit
 * FILE gets a line "vaddr insns execs" (hex address, decimal counts) per
 * address that ran.
 *
 * Caveats: inline adds are not atomic, so two vCPUs running the same block
 * at the same moment can lose an increment now and then (the counts are a
 * close lower bound); user-space blocks of different processes at the same
 * address share counters (attribute them to user space as a whole).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

TCGPROF_EXPORT int qemu_plugin_version = 1;

struct tb_count {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t execs;
};

/* Open addressing on vaddr; entries never move (the adds point at them). */
static struct tb_count **table;
static size_t table_size;	/* a power of two */
static size_t table_used;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static char *out_path;

static size_t slot_of(uint64_t vaddr, size_t size)
{
	return (size_t)((vaddr * 0x9e3779b97f4a7c15ULL) >> 20) & (size - 1);
}

static int table_grow(void)
{
	size_t nsize = table_size ? table_size * 2 : 1 << 16, i, s;
	struct tb_count **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (i = 0; i < table_size; i++) {
		if (!table[i])
			continue;
		for (s = slot_of(table[i]->vaddr, nsize); nt[s]; s = (s + 1) & (nsize - 1))
			;
		nt[s] = table[i];
	}
	free(table);
	table = nt;
	table_size = nsize;
	return 0;
}

/* Caller holds table_lock.  NULL when out of memory. */
static struct tb_count *lookup_or_add(uint64_t vaddr)
{
	struct tb_count *c;
	size_t s;

	if ((table_used + 1) * 2 > table_size && table_grow())
		return NULL;
	for (s = slot_of(vaddr, table_size); table[s]; s = (s + 1) & (table_size - 1))
		if (table[s]->vaddr == vaddr)
			return table[s];
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->vaddr = vaddr;
	table[s] = c;
	table_used++;
	return c;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct tb_count *c;

	pthread_mutex_lock(&table_lock);
	c = lookup_or_add(vaddr);
	pthread_mutex_unlock(&table_lock);
	if (!c)
		return;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &c->insns, n);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &c->execs, 1);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	char msg[512];
	size_t i;
	FILE *f;

	f = fopen(out_path, "w");
	if (!f) {
		snprintf(msg, sizeof(msg), "tcgprof: cannot write %s: %s\n",
			 out_path, strerror(errno));
		qemu_plugin_outs(msg);
		return;
	}
	pthread_mutex_lock(&table_lock);
	for (i = 0; i < table_size; i++) {
		struct tb_count *c = table[i];

		if (!c || !c->insns)
			continue;
		fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
			c->vaddr, c->insns, c->execs);
	}
	pthread_mutex_unlock(&table_lock);
	if (fclose(f)) {
		snprintf(msg, sizeof(msg), "tcgprof: writing %s failed: %s\n",
			 out_path, strerror(errno));
		qemu_plugin_outs(msg);
	}
}

TCGPROF_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
				       const qemu_info_t *info,
				       int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			free(out_path);
			out_path = strdup(argv[i] + 4);
		} else {
			fprintf(stderr, "tcgprof: unknown argument '%s' (want out=FILE)\n",
				argv[i]);
			return -1;
		}
	}
	if (!out_path || !*out_path) {
		fprintf(stderr, "tcgprof: no output file: -plugin tcgprof.so,out=FILE\n");
		return -1;
	}
	if (table_grow()) {
		fprintf(stderr, "tcgprof: out of memory\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
