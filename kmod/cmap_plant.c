// SPDX-License-Identifier: GPL-2.0
/*
 * cmap planted bugs: proof that the debug kernel's detectors catch the
 * kinds of bug this module could have.  TEST ONLY: this file is compiled
 * only when the module is built with CMAP_PLANT_BUGS=1 (see kmod/Kbuild and
 * tests/debug/), never in a normal build.
 *
 * Each bug is triggered by writing its name to the module parameter
 *   /sys/module/cmap/parameters/plant_bug
 * (reading it lists the names).  Every bug works on a private table made
 * with cmap_create() and leaves the module usable, but a detector that
 * fires may switch itself off (lockdep, KASAN): one boot per bug.
 *
 *   abba   two bucket locks taken in both orders (the migration order
 *          "source, then destination" and its reverse): lockdep,
 *          "possible circular locking dependency detected"
 *   norcu  cmap_lookup() without rcu_read_lock(): PROVE_RCU,
 *          "suspicious rcu_dereference_check() usage"
 *   uaf    an element kept past rcu_read_unlock(), deleted, then read:
 *          KASAN, "BUG: KASAN: use-after-free"
 *   leak   an element allocated and dropped: kmemleak, "unreferenced
 *          object" (after a scan, once the object is 5 s old)
 *   sleep  an element allocated with GFP_KERNEL under a bucket lock:
 *          DEBUG_ATOMIC_SLEEP, "sleeping function called from invalid
 *          context"
 *   race   a plain, unlocked store to a slot while another thread looks
 *          the key up: KCSAN, "BUG: KCSAN: data-race in ..."
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": plant: " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kasan.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cmap_core.h"

static DEFINE_MUTEX(cmap_plant_mutex);

static const char cmap_plant_key[] = "cmap-planted-key";
#define CMAP_PLANT_KLEN	(sizeof(cmap_plant_key) - 1)

/* A private table holding cmap_plant_key. */
static struct cmap *cmap_plant_table(void)
{
	struct cmap_params p = {
		.id = 0xdeb,
		.size_hint = 16,
		.sync = CMAP_SYNC_RCU,
		.max_entries = 1024,
		.max_bytes = 1 << 20,
	};
	struct cmap *t = cmap_create(&p);
	u64 v = 42;
	int err;

	if (IS_ERR(t))
		return t;
	err = cmap_put(t, cmap_plant_key, CMAP_PLANT_KLEN, &v, sizeof(v),
		       CMAP_UPSERT);
	if (err) {
		cmap_destroy(t);
		return ERR_PTR(err);
	}
	return t;
}

/* AB-BA: the bucket locks of two heads, in both orders. */
static int cmap_plant_abba(void)
{
	struct cmap *t = cmap_plant_table();
	struct cmap_head *a, *b;
	struct cmap_tbl *tbl;

	if (IS_ERR(t))
		return PTR_ERR(t);
	rcu_read_lock();
	tbl = rcu_dereference(t->tbl);
	a = &tbl->heads[0];
	b = &tbl->heads[1];
	/* The migration's order: the source, then (nested) the destination. */
	spin_lock(&a->lock);
	spin_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
	spin_unlock(&b->lock);
	spin_unlock(&a->lock);
	/* BUG: the destination first, then the source. */
	spin_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
	spin_lock(&a->lock);
	spin_unlock(&a->lock);
	spin_unlock(&b->lock);
	rcu_read_unlock();
	cmap_destroy(t);
	return 0;
}

/* A lookup outside any RCU read-side critical section. */
static int cmap_plant_norcu(void)
{
	struct cmap *t = cmap_plant_table();
	struct cmap_elem *e;

	if (IS_ERR(t))
		return PTR_ERR(t);
	/* BUG: no rcu_read_lock() */
	e = cmap_lookup(t, cmap_plant_key, CMAP_PLANT_KLEN);
	pr_info("norcu: lookup without rcu_read_lock(): %s\n",
		e ? "found" : "not found");
	cmap_destroy(t);
	return 0;
}

#ifdef CONFIG_KASAN_GENERIC
/* Whether KASAN has poisoned the first byte of @p (freed, or redzone). */
static noinline __no_sanitize_address bool cmap_plant_poisoned(const void *p)
{
	return READ_ONCE(*(s8 *)kasan_mem_to_shadow(p)) < 0;
}
#else
static bool cmap_plant_poisoned(const void *p)
{
	return false;
}
#endif

/* An element used after the RCU read side that protected it. */
static int cmap_plant_uaf(void)
{
	struct cmap *t = cmap_plant_table();
	struct cmap_elem *e;
	int i;

	if (IS_ERR(t))
		return PTR_ERR(t);
	rcu_read_lock();
	e = cmap_lookup(t, cmap_plant_key, CMAP_PLANT_KLEN);
	rcu_read_unlock();
	if (!e) {
		cmap_destroy(t);
		return -ENOENT;
	}
	cmap_delete(t, cmap_plant_key, CMAP_PLANT_KLEN);
	/*
	 * The core's free worker returns the element to its cache after a
	 * grace period: wait until it is really freed (up to 30 s).
	 */
	for (i = 0; i < 300 && !cmap_plant_poisoned(e); i++)
		msleep(100);
	pr_info("uaf: element %s after %d ms; reading it\n",
		cmap_plant_poisoned(e) ? "freed" : "maybe not freed", i * 100);
	/* BUG: @e was freed by the delete above. */
	pr_info("uaf: read klen %u\n", READ_ONCE(e->klen));
	cmap_destroy(t);
	return 0;
}

/* Allocate an element and drop it; not inlined, so the pointer dies here. */
static noinline void cmap_plant_leak_one(void)
{
	struct cmap_elem *e = cmap_elem_alloc(CMAP_PLANT_KLEN, 8, GFP_KERNEL);

	if (IS_ERR_OR_NULL(e))
		return;
	memcpy(cmap_elem_kdata(e), cmap_plant_key, CMAP_PLANT_KLEN);
	/* BUG: never published, never freed */
}

/* Overwrite the stack the leaked pointer may linger in. */
static noinline void cmap_plant_scrub_stack(void)
{
	char buf[512];

	memset(buf, 0, sizeof(buf));
	barrier_data(buf);
}

static int cmap_plant_leak(void)
{
	cmap_plant_leak_one();
	cmap_plant_scrub_stack();
	pr_info("leak: one element leaked\n");
	return 0;
}

/* A sleeping allocation under a bucket lock. */
static int cmap_plant_sleep(void)
{
	struct cmap *t = cmap_plant_table();
	struct cmap_elem *e;
	struct cmap_head *h;

	if (IS_ERR(t))
		return PTR_ERR(t);
	rcu_read_lock();
	h = &rcu_dereference(t->tbl)->heads[0];
	spin_lock(&h->lock);
	/* BUG: GFP_KERNEL may sleep; the lock is a spinlock */
	e = cmap_elem_alloc(CMAP_PLANT_KLEN, 8, GFP_KERNEL);
	spin_unlock(&h->lock);
	rcu_read_unlock();
	if (!IS_ERR_OR_NULL(e))
		cmap_elem_free(e);
	cmap_destroy(t);
	return 0;
}

struct cmap_plant_race {
	struct cmap *t;
	unsigned long found;
	unsigned long missed;
};

/* The reader: correct RCU lookups of the key, over and over. */
static int cmap_plant_race_reader(void *arg)
{
	struct cmap_plant_race *r = arg;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		struct cmap_elem *e;

		rcu_read_lock();
		e = cmap_lookup(r->t, cmap_plant_key, CMAP_PLANT_KLEN);
		rcu_read_unlock();
		if (e)
			r->found++;
		else
			r->missed++;
		/* sleep now and then (RCU-Tasks, see the VM facts) */
		if (!(++n % 4096))
			usleep_range(100, 200);
	}
	return 0;
}

/* The writer: plain stores to the key's slot, without the bucket lock. */
static noinline void cmap_plant_race_writer(struct cmap_bucket *b,
					    unsigned int slot,
					    struct cmap_elem *e,
					    unsigned long until)
{
	struct cmap_elem **p = (struct cmap_elem **)&b->slots[slot];
	unsigned long n = 0;

	while (time_before(jiffies, until)) {
		/* BUG: a plain store, no lock, no rcu_assign_pointer() */
		*p = (n & 1) ? NULL : e;
		barrier();
		if (!(++n % 4096))
			usleep_range(100, 200);
	}
	/* put it back properly */
	rcu_assign_pointer(b->slots[slot], e);
}

static int cmap_plant_race(void)
{
	struct cmap_plant_race r = {};
	struct task_struct *reader;
	struct cmap_bucket *b, *found_b = NULL;
	struct cmap_elem *e;
	struct cmap_tbl *tbl;
	unsigned int i, slot = 0;
	u32 hash;

	r.t = cmap_plant_table();
	if (IS_ERR(r.t))
		return PTR_ERR(r.t);
	/* Find the key's slot (the table is private: nothing moves it). */
	rcu_read_lock();
	e = cmap_lookup(r.t, cmap_plant_key, CMAP_PLANT_KLEN);
	tbl = rcu_dereference(r.t->tbl);
	hash = cmap_hash(r.t, cmap_plant_key, CMAP_PLANT_KLEN);
	for (b = &tbl->heads[cmap_idx(tbl, hash)].b; b && !found_b;
	     b = rcu_dereference(b->overflow)) {
		for (i = 0; i < CMAP_SLOTS; i++) {
			if (rcu_access_pointer(b->slots[i]) == e) {
				found_b = b;
				slot = i;
				break;
			}
		}
	}
	rcu_read_unlock();
	if (!e || !found_b) {
		cmap_destroy(r.t);
		return -ENOENT;
	}
	reader = kthread_run(cmap_plant_race_reader, &r, "cmap-plant-rd");
	if (IS_ERR(reader)) {
		cmap_destroy(r.t);
		return PTR_ERR(reader);
	}
	cmap_plant_race_writer(found_b, slot, e, jiffies + 5 * HZ);
	kthread_stop(reader);
	pr_info("race: reader found the key %lu times, missed it %lu times\n",
		r.found, r.missed);
	cmap_destroy(r.t);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cmap_plants[] = {
	{ "abba", cmap_plant_abba },
	{ "norcu", cmap_plant_norcu },
	{ "uaf", cmap_plant_uaf },
	{ "leak", cmap_plant_leak },
	{ "sleep", cmap_plant_sleep },
	{ "race", cmap_plant_race },
};

static int cmap_plant_set(const char *val, const struct kernel_param *kp)
{
	size_t len = strcspn(val, "\n");
	unsigned int i;
	int err;

	/* Not at insmod time: the core is not initialised yet. */
	if (READ_ONCE(THIS_MODULE->state) != MODULE_STATE_LIVE)
		return -EBUSY;
	for (i = 0; i < ARRAY_SIZE(cmap_plants); i++) {
		if (strlen(cmap_plants[i].name) != len ||
		    strncmp(cmap_plants[i].name, val, len))
			continue;
		mutex_lock(&cmap_plant_mutex);
		pr_info("planting bug '%s'\n", cmap_plants[i].name);
		err = cmap_plants[i].fn();
		pr_info("planted bug '%s': %d\n", cmap_plants[i].name, err);
		mutex_unlock(&cmap_plant_mutex);
		return err;
	}
	return -EINVAL;
}

static int cmap_plant_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(cmap_plants); i++)
		n += sysfs_emit_at(buf, n, "%s%s", i ? " " : "",
				   cmap_plants[i].name);
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}

static const struct kernel_param_ops cmap_plant_ops = {
	.set = cmap_plant_set,
	.get = cmap_plant_get,
};
module_param_cb(plant_bug, &cmap_plant_ops, NULL, 0600);
MODULE_PARM_DESC(plant_bug,
		 "TEST ONLY: write a bug's name to commit it (abba norcu uaf leak sleep race)");
