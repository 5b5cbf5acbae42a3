// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the userspace shim itself: the core's tests are only as good as
 * the kernel API they run on.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "unit_util.h"

/*
 * Reference outputs for key 00 01 .. 0f and input 00 01 .. (len-1): SipHash
 * 2-4 from the SipHash authors' reference implementation, and SipHash-1-3
 * truncated to 32 bits as the kernel's hsiphash() returns on 64-bit.
 */
static const struct {
	unsigned int len;
	u64 siphash;
	u32 hsiphash;
} sip_vectors[] = {
	{ 0,  0x726fdb47dd0e0e31ULL, 0x050fc4dcU },
	{ 1,  0x74f839c593dc67fdULL, 0x7d57ca93U },
	{ 7,  0xab0200f58b01d137ULL, 0x9bb11140U },
	{ 8,  0x93f5f5799a932462ULL, 0x8d299a8eU },
	{ 15, 0xa129ca6149be45e5ULL, 0x2a519956U },
	{ 16, 0x3f2acc7f57c29bdbULL, 0x7d908b66U },
	{ 63, 0x958a324ceb064572ULL, 0xb7bbb3a8U },
};

static void siphash_vectors(void **state)
{
	const siphash_key_t sk = {{ 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL }};
	const hsiphash_key_t hk = {{ 0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL }};
	u8 in[64], unaligned[65];
	unsigned int i;

	(void)state;
	for (i = 0; i < 64; i++)
		in[i] = unaligned[i + 1] = i;
	for (i = 0; i < ARRAY_SIZE(sip_vectors); i++) {
		unsigned int len = sip_vectors[i].len;

		assert_true(siphash(in, len, &sk) == sip_vectors[i].siphash);
		assert_true(siphash(unaligned + 1, len, &sk) ==
			    sip_vectors[i].siphash);
		assert_int_equal(hsiphash(in, len, &hk), sip_vectors[i].hsiphash);
		assert_int_equal(hsiphash(unaligned + 1, len, &hk),
				 sip_vectors[i].hsiphash);
	}
}

/* The table's hash is keyed: another key gives unrelated hashes. */
static void hsiphash_keyed(void **state)
{
	hsiphash_key_t a = {{ 1, 2 }}, b = {{ 1, 3 }};
	unsigned int i, same = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		u64 k = i;

		assert_int_equal(hsiphash(&k, 8, &a), hsiphash(&k, 8, &a));
		same += hsiphash(&k, 8, &a) == hsiphash(&k, 8, &b);
	}
	assert_true(same <= 1);
}

static void alloc_counts_and_fails(void **state)
{
	long live = shim_alloc_live();
	void *p[4];

	(void)state;
	p[0] = kmalloc(10, GFP_KERNEL);
	p[1] = kzalloc(100, GFP_KERNEL);
	assert_non_null(p[0]);
	assert_non_null(p[1]);
	assert_int_equal(((u8 *)p[1])[99], 0);
	assert_int_equal(shim_alloc_live(), live + 2);

	/* The third failable allocation fails, once; NOFAIL is not counted. */
	shim_fault_inject(3, 0);
	p[2] = kmalloc(8, GFP_KERNEL | __GFP_NOFAIL);
	assert_non_null(p[2]);
	kfree(p[2]);
	p[2] = kmalloc(8, GFP_KERNEL);
	p[3] = kvmalloc_array(2, 8, GFP_KERNEL);
	assert_non_null(p[2]);
	assert_non_null(p[3]);
	kfree(p[2]);
	kvfree(p[3]);
	assert_null(kmalloc(8, GFP_KERNEL));
	assert_int_equal(shim_fault_hits(), 1);
	p[2] = kmalloc(8, GFP_KERNEL);
	assert_non_null(p[2]);
	kfree(p[2]);

	/* Sticky: from the 2nd on, all fail. */
	shim_fault_inject(2, SHIM_FAULT_STICKY);
	p[2] = kmalloc(8, GFP_KERNEL);
	assert_non_null(p[2]);
	assert_null(kmalloc(8, GFP_KERNEL));
	assert_null(kvzalloc(8, GFP_KERNEL));
	assert_null(kmalloc_array(SIZE_MAX, 2, GFP_KERNEL));
	assert_non_null(p[3] = kmalloc(8, __GFP_NOFAIL));
	assert_int_equal(shim_fault_hits(), 3);
	shim_fault_inject(0, 0);
	kfree(p[2]);
	kfree(p[3]);

	/* Overflowing sizes fail instead of allocating a short buffer. */
	assert_null(kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	kfree(p[0]);
	kfree(p[1]);
	kfree(NULL);
	assert_int_equal(shim_alloc_live(), live);
}

static void *alloc_other_thread(void *arg)
{
	void **p = arg;

	*p = kmalloc(8, GFP_KERNEL);
	return NULL;
}

/* Faults count the arming thread's allocations only, unless asked. */
static void alloc_fault_thread_scope(void **state)
{
	pthread_t th;
	void *p;

	(void)state;
	shim_fault_inject(1, 0);
	pthread_create(&th, NULL, alloc_other_thread, &p);
	pthread_join(th, NULL);
	assert_non_null(p);
	kfree(p);
	assert_null(kmalloc(8, GFP_KERNEL));

	shim_fault_inject(1, SHIM_FAULT_ANY_THREAD);
	pthread_create(&th, NULL, alloc_other_thread, &p);
	pthread_join(th, NULL);
	assert_null(p);
	shim_fault_inject(0, 0);
}

static void kmalloc_roundup(void **state)
{
	(void)state;
	assert_int_equal(kmalloc_size_roundup(1), 8);
	assert_int_equal(kmalloc_size_roundup(40), 64);
	assert_int_equal(kmalloc_size_roundup(65), 96);
	assert_int_equal(kmalloc_size_roundup(97), 128);
	assert_int_equal(kmalloc_size_roundup(129), 192);
	assert_int_equal(kmalloc_size_roundup(4096), 4096);
	assert_int_equal(kmalloc_size_roundup(4097), 8192);
	assert_int_equal(kmalloc_size_roundup(8193), 16384);
	assert_int_equal(kmalloc_size_roundup(0), 0);
}

struct rcu_obj {
	u64 pad[5];
	struct rcu_head rcu;
	u64 tail;
};

static void kfree_rcu_after_grace_period(void **state)
{
	long live = shim_alloc_live();
	struct rcu_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);
	struct rcu_head *h = kmalloc(sizeof(*h), GFP_KERNEL);

	(void)state;
	assert_non_null(o);
	assert_non_null(h);
	rcu_read_lock();
	kfree_rcu(o, rcu);		/* at offset 40 */
	kfree(h);
	/* A reader still inside its critical section keeps it alive. */
	assert_int_equal(shim_alloc_rcu_pending(), 1);
	assert_int_equal(shim_alloc_live(), live + 1);
	o->tail = 1;			/* ASan: still allocated */
	rcu_read_unlock();
	rcu_barrier();
	assert_int_equal(shim_alloc_rcu_pending(), 0);
	assert_int_equal(shim_alloc_live(), live);
}

static int nr_runs;

static void count_work(struct work_struct *w)
{
	(void)w;
	nr_runs++;
}

static void workqueue_semantics(void **state)
{
	struct work_struct w;

	(void)state;
	nr_runs = 0;
	INIT_WORK(&w, count_work);
	/* Paused by ut_setup(): nothing runs until the test says so. */
	assert_true(queue_work(system_unbound_wq, &w));
	assert_false(queue_work(system_unbound_wq, &w));	/* pending */
	assert_int_equal(shim_wq_nr_pending(), 1);
	usleep(1000);
	assert_int_equal(nr_runs, 0);
	assert_int_equal(shim_wq_run_pending(), 1);
	assert_int_equal(nr_runs, 1);
	assert_int_equal(shim_wq_run_pending(), 0);

	assert_true(queue_work(system_unbound_wq, &w));
	assert_true(cancel_work_sync(&w));
	assert_false(cancel_work_sync(&w));
	assert_int_equal(shim_wq_run_pending(), 0);
	assert_int_equal(nr_runs, 1);

	/* Resumed, the worker thread runs it. */
	shim_wq_resume();
	assert_true(queue_work(system_unbound_wq, &w));
	flush_work(&w);
	assert_int_equal(nr_runs, 2);
	shim_wq_pause();
}

static struct workqueue_struct *rw_wq;
static struct rcu_work rw;

static void rcu_work_fn(struct work_struct *w)
{
	assert_ptr_equal(to_rcu_work(w), &rw);
	nr_runs++;
}

static void rcu_work_and_alloc_workqueue(void **state)
{
	long live = shim_alloc_live();

	(void)state;
	nr_runs = 0;
	rw_wq = alloc_workqueue("test_%d", WQ_UNBOUND, 0, 1);
	assert_non_null(rw_wq);
	INIT_RCU_WORK(&rw, rcu_work_fn);
	assert_true(queue_rcu_work(rw_wq, &rw));
	rcu_barrier();			/* the grace period passed, work queued */
	assert_int_equal(shim_wq_run_pending(), 1);
	assert_int_equal(nr_runs, 1);
	destroy_workqueue(rw_wq);
	assert_int_equal(shim_alloc_live(), live);

	shim_fault_inject(1, 0);
	assert_null(alloc_workqueue("test", WQ_UNBOUND, 0));
}

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void sort_sorts(void **state)
{
	u32 a[257], b[257];
	unsigned int n, i;

	(void)state;
	srand(1);
	for (n = 0; n <= 257; n += (n < 10 ? 1 : 31)) {
		for (i = 0; i < n; i++)
			a[i] = b[i] = rand() % (n / 2 + 1);
		sort(a, n, sizeof(a[0]), cmp_u32, NULL);
		qsort(b, n, sizeof(b[0]), cmp_u32);
		assert_memory_equal(a, b, n * sizeof(a[0]));
	}
}

static spinlock_t test_lock;
static struct mutex test_mutex;

static void *held_elsewhere(void *arg)
{
	bool *held = arg;

	held[0] = lockdep_is_held(&test_lock);
	held[1] = lockdep_is_held(&test_mutex);
	return NULL;
}

static void lockdep_checks_owner(void **state)
{
	bool held[2];
	pthread_t th;

	(void)state;
	spin_lock_init(&test_lock);
	mutex_init(&test_mutex);
	assert_false(lockdep_is_held(&test_lock));
	assert_false(lockdep_is_held(&test_mutex));
	spin_lock(&test_lock);
	mutex_lock(&test_mutex);
	assert_true(lockdep_is_held(&test_lock));
	assert_true(lockdep_is_held(&test_mutex));
	assert_false(spin_trylock(&test_lock));
	pthread_create(&th, NULL, held_elsewhere, held);
	pthread_join(th, NULL);
	assert_false(held[0]);
	assert_false(held[1]);
	mutex_unlock(&test_mutex);
	spin_unlock(&test_lock);
	assert_true(spin_trylock(&test_lock));
	spin_unlock(&test_lock);
	mutex_destroy(&test_mutex);
}

/* CONFIG_PROVE_RCU catches RCU misuse with a WARN. */
static void prove_rcu_warns(void **state)
{
	unsigned long w = shim_warnings();
	int *p = NULL, *q;

	(void)state;
	shim_set_quiet(true);
	rcu_read_lock();
	q = rcu_dereference(p);
	rcu_read_unlock();
	assert_int_equal(shim_warnings(), w);
	q = rcu_dereference_protected(p, 1);
	assert_int_equal(shim_warnings(), w);
	q = rcu_dereference(p);		/* outside RCU: warns (once) */
	assert_null(q);
	assert_int_equal(shim_warnings(), w + 1);
	ut_expected_warnings = 1;
	shim_set_quiet(false);
}

static void overflow_saturates(void **state)
{
	struct { u64 n; u64 a[]; } *p = NULL;

	(void)state;
	assert_int_equal(struct_size(p, a, 3), 32);
	assert_true(struct_size(p, a, SIZE_MAX / 4) == SIZE_MAX);
	assert_true(array_size(SIZE_MAX / 2, 3) == SIZE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_vectors),
		cmocka_unit_test(hsiphash_keyed),
		cmocka_unit_test(alloc_counts_and_fails),
		cmocka_unit_test(alloc_fault_thread_scope),
		cmocka_unit_test(kmalloc_roundup),
		cmocka_unit_test(kfree_rcu_after_grace_period),
		cmocka_unit_test(workqueue_semantics),
		cmocka_unit_test(rcu_work_and_alloc_workqueue),
		cmocka_unit_test(sort_sorts),
		cmocka_unit_test(lockdep_checks_owner),
		cmocka_unit_test(overflow_saturates),
		cmocka_unit_test(prove_rcu_warns),
	};

	const struct ut_suite suites[] = { { tests, ARRAY_SIZE(tests), 0 } };

	return ut_run("shim", suites, 1);
}
