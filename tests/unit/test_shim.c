// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the userspace shim itself: the core's tests are only as good as
 * the kernel API they run on.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

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

/* xa_alloc_cyclic() as the kernel's: from *next, wrapping, -EBUSY when full. */
static void xarray_alloc_cyclic(void **state)
{
	static DEFINE_XARRAY_ALLOC1(xa);
	long live = shim_alloc_live();
	int a, b, c, d;
	unsigned long i, seen[4], n = 0;
	u32 id = 0, next = 1;
	void *e;

	(void)state;
	/* An allocation failure is -ENOMEM and changes nothing. */
	shim_fault_inject(1, 0);
	assert_int_equal(xa_alloc_cyclic(&xa, &id, &a, XA_LIMIT(1, 3), &next,
					 GFP_KERNEL), -ENOMEM);
	shim_fault_inject(0, 0);
	assert_int_equal(next, 1);
	assert_true(xa_empty(&xa));

	assert_int_equal(xa_alloc_cyclic(&xa, &id, &a, XA_LIMIT(1, 3), &next,
					 GFP_KERNEL), 0);
	assert_int_equal(id, 1);
	assert_int_equal(xa_alloc_cyclic(&xa, &id, &b, XA_LIMIT(1, 3), &next,
					 GFP_KERNEL), 0);
	assert_int_equal(id, 2);
	assert_int_equal(xa_alloc_cyclic(&xa, &id, &c, XA_LIMIT(1, 3), &next,
					 GFP_KERNEL), 0);
	assert_int_equal(id, 3);
	assert_int_equal(next, 4);
	assert_int_equal(xa_alloc_cyclic(&xa, &id, &d, XA_LIMIT(1, 3), &next,
					 GFP_KERNEL), -EBUSY);
	assert_ptr_equal(xa_erase(&xa, 2), &b);
	assert_null(xa_erase(&xa, 2));
	/* past the limit: wraps to the lowest free id, and says so */
	assert_int_equal(xa_alloc_cyclic(&xa, &id, &d, XA_LIMIT(1, 3), &next,
					 GFP_KERNEL), 1);
	assert_int_equal(id, 2);
	assert_int_equal(next, 3);
	assert_ptr_equal(xa_load(&xa, 2), &d);
	assert_null(xa_load(&xa, 4));

	xa_for_each(&xa, i, e) {
		assert_true(n < ARRAY_SIZE(seen));
		seen[n++] = i;
		assert_ptr_equal(xa_erase(&xa, i), e);	/* erasing as it goes */
	}
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 3);
	assert_true(xa_empty(&xa));
	assert_int_equal(shim_alloc_live(), live);	/* empty holds nothing */
}

/* The user copies fault on unmapped and read-only memory, like the kernel's. */
static void uaccess_faults(void **state)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[16], big[24];
	u32 v = 0;
	struct { u32 size, flags, x, y; } k;

	(void)state;
	if (!shim_uaccess_checked())
		skip();		/* process_vm_readv() refused here */
	assert_true(p != MAP_FAILED);
	memset(p, 'u', pg);
	assert_int_equal(mprotect(p + pg, pg, PROT_NONE), 0);

	assert_int_equal(copy_from_user(buf, p, sizeof(buf)), 0);
	assert_int_equal(buf[15], 'u');
	/* straddling the guard page: the readable part, then zeroes */
	memset(buf, 'k', sizeof(buf));
	assert_int_equal(copy_from_user(buf, p + pg - 4, 8), 4);
	assert_memory_equal(buf, "uuuu\0\0\0\0", 8);
	assert_int_equal(buf[8], 'k');
	assert_int_equal(copy_from_user(buf, NULL, 4), 4);
	assert_int_equal(get_user(v, (u32 __user *)(p + pg)), -EFAULT);
	assert_int_equal(v, 0);
	assert_int_equal(get_user(v, (u32 __user *)p), 0);
	assert_int_equal(v, 0x75757575);

	assert_int_equal(copy_to_user(p + pg - 2, "abcd", 4), 2);
	assert_int_equal(p[pg - 2], 'a');
	assert_int_equal(mprotect(p, pg, PROT_READ), 0);
	assert_int_equal(copy_to_user(p, "abcd", 4), 4);
	assert_int_equal(p[0], 'u');

	/* copy_struct_from_user(): zero-extend, or a zero tail, or -E2BIG */
	memset(big, 0, sizeof(big));
	big[0] = 8;
	big[8] = 1;
	memset(&k, 0xff, sizeof(k));
	assert_int_equal(copy_struct_from_user(&k, sizeof(k), big, 8), 0);
	assert_int_equal(k.size, 8);
	assert_int_equal(k.x, 0);
	assert_int_equal(copy_struct_from_user(&k, sizeof(k), big, sizeof(big)), 0);
	assert_int_equal(k.x, 1);
	big[20] = 1;
	assert_int_equal(copy_struct_from_user(&k, sizeof(k), big, sizeof(big)),
			 -E2BIG);
	assert_int_equal(copy_struct_from_user(&k, sizeof(k), p + pg - 8, 24),
			 -EFAULT);
	munmap(p, 2 * pg);
}

static void task_pid_refs(void **state)
{
	long live = shim_alloc_live();
	struct pid *pid;

	(void)state;
	pid = get_task_pid(current, PIDTYPE_TGID);
	assert_int_equal(pid_vnr(pid), getpid());
	put_pid(pid);
	pid = get_task_pid(current, PIDTYPE_PID);
	assert_int_equal(pid_vnr(pid), gettid());
	put_pid(pid);
	assert_int_equal(shim_alloc_live(), live);
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
		cmocka_unit_test(xarray_alloc_cyclic),
		cmocka_unit_test(uaccess_faults),
		cmocka_unit_test(task_pid_refs),
	};

	const struct ut_suite suites[] = { { tests, ARRAY_SIZE(tests), 0 } };

	return ut_run("shim", suites, 1);
}
