// SPDX-License-Identifier: GPL-2.0
/*
 * cmap ioctls: the table registry and the requests of
 * include/uapi/linux/cmap.h, decoded, checked and carried out on the core
 * (cmap_core.c), which knows nothing of files or userspace.  The device
 * glue (cmap_dev.c) owns the files and calls in through cmap_ioctl.h.
 *
 * Lifetimes: a table (struct cmap_obj) is referenced by the registry until
 * DESTROY or cmap_reg_exit(), by every file bound to it, and by every ioctl
 * in flight on it.  The last reference queues its destruction after an RCU
 * grace period, in process context.
 *
 * This file is built into the module and, over tests/shim, into the host
 * test build: it uses kernel APIs the shim provides and nothing of the
 * device itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <linux/cmap.h>
#include <linux/cmap_bench.h>
#include <cmap_version.h>

#include "cmap_bench.h"
#include "cmap_core.h"
#include "cmap_ioctl.h"
#include "cmap_uaccess.h"

unsigned long cmap_default_max_entries = 1UL << 24;
unsigned long cmap_default_max_bytes = 512UL << 20;
unsigned int cmap_max_tables = 1024;
unsigned int cmap_test_max_id;
unsigned long cmap_test_hash_key;

/* Per-CPU operation counters of a table: no shared store on GET. */
struct cmap_op_stats {
	u64 puts;
	u64 gets;
	u64 deletes;
	u64 hits;
	u64 iters;
};

/**
 * struct cmap_obj - a named table
 * @map:       the core table
 * @id:        unique while the module is loaded
 * @mode:      enum cmap_mode
 * @flags:     CMAP_CREATE_* it was created with
 * @ref:       registry + bound files + ioctls in flight
 * @files:     bound files
 * @dead:      destroyed: ops on still-bound files fail with -EIDRM
 * @pid:       creator's thread group, reported as the reader sees it
 * @name:      the table's name
 * @comm:      creator's comm
 * @ops:       per-CPU op counters
 * @free_work: destruction after a grace period
 */
struct cmap_obj {
	struct cmap *map;
	u32 id;
	u32 mode;
	u32 flags;
	refcount_t ref;
	atomic_t files;
	bool dead;
	struct pid *pid;
	char name[CMAP_NAME_LEN];
	char comm[TASK_COMM_LEN];
	struct cmap_op_stats __percpu *ops;
	struct rcu_work free_work;
};

/* What an open /dev/cmap holds: its binding. */
struct cmap_file {
	spinlock_t lock;
	struct cmap_obj __rcu *obj;
};

/*
 * The registry: tables by id, changed under cmap_reg_mutex.  Ids are
 * allocated cyclically from 1 (0 selects the bound table in STATS and
 * "by name" in OPEN), so a destroyed table's id is reused only after every
 * other id was handed out.
 */
static DEFINE_XARRAY_ALLOC1(cmap_tables);
DEFINE_MUTEX(cmap_reg_mutex);
u32 cmap_next_id = 1;
static atomic_t cmap_nr_tables = ATOMIC_INIT(0);	/* in the registry */
static struct workqueue_struct *cmap_wq;

static void cmap_obj_free_work(struct work_struct *work)
{
	struct cmap_obj *obj = container_of(to_rcu_work(work),
					    struct cmap_obj, free_work);

	cmap_destroy(obj->map);
	put_pid(obj->pid);
	free_percpu(obj->ops);
	kfree(obj);
}

static void cmap_obj_put(struct cmap_obj *obj)
{
	if (refcount_dec_and_test(&obj->ref)) {
		INIT_RCU_WORK(&obj->free_work, cmap_obj_free_work);
		queue_rcu_work(cmap_wq, &obj->free_work);
	}
}

/* Take a reference on the file's table for one ioctl. */
static struct cmap_obj *cmap_file_get(struct cmap_file *f)
{
	struct cmap_obj *obj;

	rcu_read_lock();
	obj = rcu_dereference(f->obj);
	if (obj && !refcount_inc_not_zero(&obj->ref))
		obj = NULL;
	rcu_read_unlock();
	if (!obj)
		return ERR_PTR(-EBADFD);
	if (READ_ONCE(obj->dead)) {
		cmap_obj_put(obj);
		return ERR_PTR(-EIDRM);
	}
	return obj;
}

/* Bind @f to @obj (whose reference it takes over), dropping the old one. */
static void cmap_file_bind(struct cmap_file *f, struct cmap_obj *obj)
{
	struct cmap_obj *old;

	atomic_inc(&obj->files);
	spin_lock(&f->lock);
	old = rcu_replace_pointer(f->obj, obj, lockdep_is_held(&f->lock));
	spin_unlock(&f->lock);
	if (old) {
		atomic_dec(&old->files);
		cmap_obj_put(old);
	}
}

/*
 * Before a request with side effects (a table created, bound or destroyed,
 * batch ops carried out) make sure what it writes back is writable: write
 * the user's bytes back as they were read.  A read-only or unmapped struct
 * then fails with -EFAULT before anything changed, as the ABI promises.
 */
static int cmap_probe_resp(void __user *arg, const void *req, size_t ksize,
			   u32 usize)
{
	return cmap_copy_resp(arg, req, ksize, usize);
}

static bool cmap_zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static int cmap_check_name(const char *name)
{
	size_t len = strnlen(name, CMAP_NAME_LEN);
	size_t i;

	if (!len || len == CMAP_NAME_LEN)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '/')
			return -EINVAL;
	/* The bytes after the NUL are padding: zero, like reserved. */
	return cmap_zeroed(name + len, CMAP_NAME_LEN - len) ? 0 : -EINVAL;
}

/* Find a table by name or id, under cmap_reg_mutex. */
static struct cmap_obj *cmap_find_locked(const char *name, u32 id)
{
	struct cmap_obj *obj;
	unsigned long i;

	if (!name[0])
		return xa_load(&cmap_tables, id);
	xa_for_each(&cmap_tables, i, obj)
		if (!strcmp(obj->name, name))
			return obj;
	return NULL;
}

/* The CREATE flags this module accepts (VERSION reports them). */
#define CMAP_CREATE_FLAGS	CMAP_CREATE_INLINE

/* The largest max_entries and max_bytes a table keeps (see CREATE). */
#define CMAP_LIMIT_MAX		(S64_MAX >> 1)

static const enum cmap_sync cmap_sync_of_mode[CMAP_MODE_COUNT] = {
	[CMAP_MODE_RCU] = CMAP_SYNC_RCU,
	[CMAP_MODE_RWLOCK] = CMAP_SYNC_RWLOCK,
	[CMAP_MODE_SPINLOCK] = CMAP_SYNC_SPINLOCK,
	[CMAP_MODE_COW] = CMAP_SYNC_COW,
	[CMAP_MODE_RACECHECK] = CMAP_SYNC_RACECHECK,
};

static long cmap_ioc_create(struct cmap_file *f, void __user *arg)
{
	struct cmap_params params = {};
	struct cmap_create req;
	struct cmap_obj *obj;
	u32 usize;
	int err;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags & ~CMAP_CREATE_FLAGS || req.pad ||
	    !cmap_zeroed(req.reserved, sizeof(req.reserved)) ||
	    !cmap_zeroed(req.config.reserved, sizeof(req.config.reserved)) ||
	    req.config.mode >= CMAP_MODE_COUNT)
		return -EINVAL;
	err = cmap_check_name(req.name);
	if (err)
		return err;
	err = cmap_probe_resp(arg, &req, sizeof(req), usize);
	if (err)
		return err;

	obj = cmap_fault(GFP_KERNEL) ? NULL :
	      kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return -ENOMEM;
	obj->ops = cmap_fault(GFP_KERNEL) ? NULL :
		   alloc_percpu_gfp(struct cmap_op_stats, GFP_KERNEL_ACCOUNT);
	if (!obj->ops) {
		kfree(obj);
		return -ENOMEM;
	}
	strscpy(obj->name, req.name, sizeof(obj->name));
	get_task_comm(obj->comm, current);
	obj->pid = get_task_pid(current, PIDTYPE_TGID);
	obj->mode = req.config.mode;
	obj->flags = req.flags;
	refcount_set(&obj->ref, 2);	/* the registry's and the file's */

	/* cmap:race reports the core's op kinds as UAPI cmap_op values. */
	BUILD_BUG_ON((int)CMAP_RACE_PUT != (int)CMAP_OP_PUT ||
		     (int)CMAP_RACE_GET != (int)CMAP_OP_GET ||
		     (int)CMAP_RACE_DELETE != (int)CMAP_OP_DELETE ||
		     (int)CMAP_RACE_CLEAR != (int)CMAP_OP_CLEAR);
	BUILD_BUG_ON(CMAP_INLINE_LEN != CMAP_KV_LEN);
	params.sync = cmap_sync_of_mode[req.config.mode];
	if (req.flags & CMAP_CREATE_INLINE)
		params.flags |= CMAP_F_INLINE;
	params.hash_key = READ_ONCE(cmap_test_hash_key);
	params.size_hint = req.config.size_hint;
	params.max_entries = req.config.max_entries ?: READ_ONCE(cmap_default_max_entries);
	params.max_bytes = req.config.max_bytes ?: READ_ONCE(cmap_default_max_bytes);
	/*
	 * A limit larger than any table can reach means "none": clamp it to
	 * what the core's signed counters and its growth arithmetic
	 * (entries * 4) hold, rather than let it wrap into a table that can
	 * hold nothing (>= 2^63) or never grows (2^62 entries).
	 */
	params.max_entries = min_t(u64, params.max_entries, CMAP_LIMIT_MAX);
	params.max_bytes = min_t(u64, params.max_bytes, CMAP_LIMIT_MAX);

	mutex_lock(&cmap_reg_mutex);
	if (cmap_find_locked(req.name, 0)) {
		err = -EEXIST;
		goto unlock;
	}
	if (atomic_read(&cmap_nr_tables) >= READ_ONCE(cmap_max_tables)) {
		err = -ENOSPC;
		goto unlock;
	}
	/*
	 * The id is taken before the core table exists (the table carries
	 * it); every reader of the registry holds cmap_reg_mutex, so none
	 * sees the half-made object.  No free id left is -ENOSPC, like
	 * max_tables.
	 */
	err = xa_alloc_cyclic(&cmap_tables, &obj->id, obj,
			      XA_LIMIT(1, READ_ONCE(cmap_test_max_id) ?: U32_MAX),
			      &cmap_next_id, GFP_KERNEL);
	if (err < 0) {
		if (err == -EBUSY)
			err = -ENOSPC;
		goto unlock;
	}
	params.id = obj->id;
	obj->map = cmap_create(&params);
	if (IS_ERR(obj->map)) {
		err = PTR_ERR(obj->map);
		xa_erase(&cmap_tables, obj->id);
		goto unlock;
	}
	err = 0;
	atomic_inc(&cmap_nr_tables);
unlock:
	mutex_unlock(&cmap_reg_mutex);
	if (err) {
		put_pid(obj->pid);
		free_percpu(obj->ops);
		kfree(obj);
		return err;
	}
	cmap_file_bind(f, obj);
	req.id = obj->id;
	return cmap_copy_resp(arg, &req, sizeof(req), usize);
}

/* OPEN binds the file; DESTROY unlinks the table. */
static long cmap_ioc_open(struct cmap_file *f, void __user *arg, bool destroy)
{
	struct cmap_obj *obj;
	struct cmap_open req;
	u32 usize;
	int err;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags || req.pad || !cmap_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (req.name[0]) {
		err = cmap_check_name(req.name);
		if (err)
			return err;
	} else if (!cmap_zeroed(req.name, sizeof(req.name))) {
		return -EINVAL;
	}
	err = cmap_probe_resp(arg, &req, sizeof(req), usize);
	if (err)
		return err;

	mutex_lock(&cmap_reg_mutex);
	obj = cmap_find_locked(req.name, req.id);
	if (obj && destroy) {
		xa_erase(&cmap_tables, obj->id);
		atomic_dec(&cmap_nr_tables);
		WRITE_ONCE(obj->dead, true);
	} else if (obj) {
		refcount_inc(&obj->ref);
	}
	mutex_unlock(&cmap_reg_mutex);
	if (!obj)
		return -ENOENT;
	req.id = obj->id;
	if (destroy)
		cmap_obj_put(obj);	/* the registry's reference */
	else
		cmap_file_bind(f, obj);
	return cmap_copy_resp(arg, &req, sizeof(req), usize);
}

static long cmap_ioc_list(void __user *arg)
{
	struct cmap_table_info *info = NULL;
	struct cmap_list req;
	struct cmap_obj *obj;
	unsigned long i;
	u32 usize, n = 0, total = 0, cap;
	int err;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags || !cmap_zeroed(req.reserved, sizeof(req.reserved)) ||
	    req.count > 65536)
		return -EINVAL;
	/*
	 * Room for the tables there are now, not for @count: tables created
	 * meanwhile only show in @total, like those beyond @count.
	 */
	cap = min_t(u32, req.count, atomic_read(&cmap_nr_tables));
	if (cap) {
		info = cmap_fault(GFP_KERNEL) ? NULL :
		       kvcalloc(cap, sizeof(*info), GFP_KERNEL_ACCOUNT);
		if (!info)
			return -ENOMEM;
	}
	mutex_lock(&cmap_reg_mutex);
	xa_for_each(&cmap_tables, i, obj) {
		struct cmap_table_info *p = &info[n];

		total++;
		if (n == cap)
			continue;
		p->id = obj->id;
		p->mode = obj->mode;
		p->creator_pid = pid_vnr(obj->pid);
		p->files = atomic_read(&obj->files);
		strscpy(p->name, obj->name, sizeof(p->name));
		strscpy(p->creator_comm, obj->comm, sizeof(p->creator_comm));
		p->entries = cmap_nr_entries(obj->map);
		p->bytes = cmap_nr_bytes(obj->map);
		p->create_flags = obj->flags;
		n++;
	}
	mutex_unlock(&cmap_reg_mutex);
	err = 0;
	if (n && copy_to_user(u64_to_user_ptr(req.tables), info,
			      n * sizeof(*info)))
		err = -EFAULT;
	kvfree(info);
	if (err)
		return err;
	req.count = n;
	req.total = total;
	return cmap_copy_resp(arg, &req, sizeof(req), usize);
}

/*
 * Validate the common fields of a PUT, GET or DELETE on @obj: up front, so
 * that a request the table would refuse (an inline table's lengths) fails
 * before anything is counted, allocated or copied.
 */
static int cmap_check_kv(const struct cmap_obj *obj, u32 op, u32 flags,
			 u64 value, u32 klen, u32 vlen)
{
	bool inl = obj->flags & CMAP_CREATE_INLINE;

	if (!klen || klen > CMAP_KEY_MAX || (inl && klen != CMAP_INLINE_LEN))
		return -EINVAL;
	switch (op) {
	case CMAP_OP_PUT:
		if (flags > CMAP_PUT_EXIST || vlen > CMAP_VALUE_MAX ||
		    (inl && vlen != CMAP_INLINE_LEN))
			return -EINVAL;
		return 0;
	case CMAP_OP_GET:
		return flags ? -EINVAL : 0;
	case CMAP_OP_DELETE:
		return flags || value || vlen ? -EINVAL : 0;
	}
	return -EINVAL;
}

static const enum cmap_put_mode cmap_put_modes[] = {
	[CMAP_PUT_ANY] = CMAP_UPSERT,
	[CMAP_PUT_NOEXIST] = CMAP_INSERT,
	[CMAP_PUT_EXIST] = CMAP_REPLACE,
};

/*
 * One checked PUT, GET or DELETE against @obj; GET updates *vlen to the
 * value's length.
 */
static int cmap_do_op(struct cmap_obj *obj, u32 op, u32 flags, u64 ukey,
		      u64 uvalue, u32 klen, u32 *vlen)
{
	struct cmap_op_stats __percpu *ops = obj->ops;
	bool inl = obj->flags & CMAP_CREATE_INLINE;
	struct cmap_elem *e;
	u8 key[CMAP_KEY_MAX];
	u8 small[128], *buf = small;
	const void *src = NULL;
	u64 word;
	u32 len;
	int err;

	if (op == CMAP_OP_PUT && inl) {
		/* The key and value are words: no element to allocate. */
		this_cpu_inc(ops->puts);
		if (copy_from_user(key, u64_to_user_ptr(ukey), klen) ||
		    copy_from_user(&word, u64_to_user_ptr(uvalue), sizeof(word)))
			return -EFAULT;
		return cmap_put(obj->map, key, klen, &word, sizeof(word),
				cmap_put_modes[flags]);
	} else if (op == CMAP_OP_PUT) {
		this_cpu_inc(ops->puts);
		e = cmap_elem_alloc(klen, *vlen, GFP_KERNEL_ACCOUNT);
		if (IS_ERR_OR_NULL(e))
			return e ? PTR_ERR(e) : -ENOMEM;
		if (copy_from_user(cmap_elem_kdata(e), u64_to_user_ptr(ukey), klen) ||
		    copy_from_user(cmap_elem_kdata(e) + klen,
				   u64_to_user_ptr(uvalue), *vlen)) {
			cmap_elem_free(e);
			return -EFAULT;
		}
		return cmap_put_elem(obj->map, e, cmap_put_modes[flags]);
	}

	if (copy_from_user(key, u64_to_user_ptr(ukey), klen))
		return -EFAULT;
	if (op == CMAP_OP_DELETE) {
		this_cpu_inc(ops->deletes);
		return cmap_delete(obj->map, key, klen);
	}

	this_cpu_inc(ops->gets);
	len = min_t(u32, *vlen, inl ? sizeof(word) : CMAP_VALUE_MAX);
	if (len > sizeof(small)) {
		buf = cmap_fault(GFP_KERNEL) ? NULL : kmalloc(len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	rcu_read_lock();
	if (inl) {
		if (cmap_kv_lookup(obj->map, key, klen, &word)) {
			src = &word;
			len = sizeof(word);
		}
	} else {
		e = cmap_lookup(obj->map, key, klen);
		if (e) {
			src = cmap_elem_value(e);
			len = e->vlen;
		}
	}
	err = src ? 0 : -ENOENT;
	if (src && len <= *vlen)
		memcpy(buf, src, len);
	else if (src)
		err = -ENOBUFS;
	rcu_read_unlock();
	if (src) {
		this_cpu_inc(ops->hits);
		*vlen = len;
	}
	if (!err && copy_to_user(u64_to_user_ptr(uvalue), buf, len))
		err = -EFAULT;
	if (buf != small)
		kfree(buf);
	return err;
}

static long cmap_ioc_kv(struct cmap_obj *obj, u32 op, void __user *arg)
{
	struct cmap_kv req;
	u32 usize;
	int err, ret;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (!cmap_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	err = cmap_check_kv(obj, op, req.flags, req.value, req.key_len,
			    req.value_len);
	if (err)
		return err;
	ret = cmap_do_op(obj, op, req.flags, req.key, req.value, req.key_len,
			 &req.value_len);
	if (op == CMAP_OP_GET && (!ret || ret == -ENOBUFS)) {
		err = cmap_copy_resp(arg, &req, sizeof(req), usize);
		if (err)
			return err;
	}
	return ret;
}

static long cmap_ioc_batch(struct cmap_obj *obj, void __user *arg)
{
	struct cmap_batch_op *ops;
	struct cmap_batch req;
	u32 usize, i;
	size_t len;
	int err;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags || !cmap_zeroed(req.reserved, sizeof(req.reserved)) ||
	    !req.count || req.count > CMAP_BATCH_MAX)
		return -EINVAL;
	len = array_size(req.count, sizeof(*ops));
	ops = cmap_fault(GFP_KERNEL) ? NULL : kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!ops)
		return -ENOMEM;
	if (copy_from_user(ops, u64_to_user_ptr(req.ops), len)) {
		err = -EFAULT;
		goto out;
	}
	for (i = 0; i < req.count; i++) {
		struct cmap_batch_op *op = &ops[i];

		err = op->reserved ? -EINVAL :
		      cmap_check_kv(obj, op->op, op->flags, op->value,
				    op->key_len, op->value_len);
		if (err)
			goto out;
	}
	/* Results and done are written back: writable, or nothing is done. */
	if (copy_to_user(u64_to_user_ptr(req.ops), ops, len)) {
		err = -EFAULT;
		goto out;
	}
	err = cmap_probe_resp(arg, &req, sizeof(req), usize);
	if (err)
		goto out;
	for (i = 0; i < req.count; i++) {
		struct cmap_batch_op *op = &ops[i];

		if (i && signal_pending(current))
			break;
		op->result = cmap_do_op(obj, op->op, op->flags, op->key,
					op->value, op->key_len, &op->value_len);
		cond_resched();
	}
	req.done = i;
	if (copy_to_user(u64_to_user_ptr(req.ops), ops, i * sizeof(*ops)))
		err = -EFAULT;
	else
		err = cmap_copy_resp(arg, &req, sizeof(req), usize);
out:
	kvfree(ops);
	return err;
}

/* Packs ITER records into a kernel buffer, one hash group at a time. */
struct cmap_iter_buf {
	u8 *buf;
	u32 len;
	u32 used;
	u32 count;
	u32 needed;	/* size of the group that did not fit */
};

static int cmap_iter_pack(void *arg, const struct cmap_elem *const *elems,
			  unsigned int n)
{
	struct cmap_iter_buf *ib = arg;
	u32 size = 0, i;

	for (i = 0; i < n; i++)
		size += CMAP_REC_SIZE(elems[i]->klen, elems[i]->vlen);
	if (size > ib->len - ib->used) {
		ib->needed = size;
		return -ENOBUFS;
	}
	for (i = 0; i < n; i++) {
		const struct cmap_elem *e = elems[i];
		struct cmap_rec rec = {
			.key_len = e->klen,
			.value_len = e->vlen,
			.hash = e->hash,
		};
		u32 rs = CMAP_REC_SIZE(e->klen, e->vlen);
		u8 *p = ib->buf + ib->used;

		memcpy(p, &rec, sizeof(rec));
		memcpy(p + sizeof(rec), e->data, e->klen + e->vlen);
		memset(p + sizeof(rec) + e->klen + e->vlen, 0,
		       rs - sizeof(rec) - e->klen - e->vlen);
		ib->used += rs;
		ib->count++;
	}
	return 0;
}

static long cmap_ioc_iter(struct cmap_obj *obj, void __user *arg)
{
	struct cmap_iter_buf ib = {};
	struct cmap_iter req;
	u32 usize;
	int err, ret;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags || req.pad ||
	    !cmap_zeroed(req.reserved, sizeof(req.reserved)) ||
	    !req.buf_len || req.buf_len > CMAP_ITER_BUF_MAX ||
	    req.cursor > CMAP_ITER_DONE)
		return -EINVAL;
	this_cpu_inc(obj->ops->iters);
	ib.len = req.buf_len;
	ib.buf = cmap_fault(GFP_KERNEL) ? NULL :
		 kvmalloc(ib.len, GFP_KERNEL_ACCOUNT);
	if (!ib.buf)
		return -ENOMEM;
	ret = cmap_iter(obj->map, &req.cursor, cmap_iter_pack, &ib);
	if (ret >= 0 && ib.used &&
	    copy_to_user(u64_to_user_ptr(req.buf), ib.buf, ib.used))
		ret = -EFAULT;
	kvfree(ib.buf);
	if (ret < 0 && ret != -ENOBUFS)
		return ret;
	req.count = ib.count;
	req.bytes = ret == -ENOBUFS ? ib.needed : ib.used;
	err = cmap_copy_resp(arg, &req, sizeof(req), usize);
	return err ?: min(ret, 0);
}

static long cmap_ioc_stats(struct cmap_file *f, void __user *arg)
{
	struct cmap_table_stats ts;
	struct cmap_stats req;
	struct cmap_obj *obj;
	u32 usize;
	int cpu, err;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags || !cmap_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (req.id) {
		mutex_lock(&cmap_reg_mutex);
		obj = xa_load(&cmap_tables, req.id);
		if (obj)
			refcount_inc(&obj->ref);
		mutex_unlock(&cmap_reg_mutex);
		if (!obj)
			return -ENOENT;
	} else {
		obj = cmap_file_get(f);
		if (IS_ERR(obj))
			return PTR_ERR(obj);
	}

	cmap_stats(obj->map, &ts);
	/* Everything but size and id is output: start from zero. */
	memset(&req, 0, sizeof(req));
	req.size = usize;
	req.id = obj->id;
	req.mode = obj->mode;
	strscpy(req.name, obj->name, sizeof(req.name));
	strscpy(req.creator_comm, obj->comm, sizeof(req.creator_comm));
	req.creator_pid = pid_vnr(obj->pid);
	req.entries = ts.entries;
	req.buckets = ts.buckets;
	req.overflow_buckets = ts.overflow_buckets;
	req.load_factor_milli = div64_u64(ts.entries * 1000, ts.buckets);
	req.resizes = ts.resizes;
	req.resizing = ts.resizing;
	req.bytes = ts.bytes;
	req.max_entries = ts.max_entries;
	req.max_bytes = ts.max_bytes;
	req.lock_acquisitions = ts.acquisitions;
	req.lock_contended = ts.contended;
	req.lock_wait_ns = ts.wait_ns;
	req.races = ts.races;
	req.read_races = ts.read_races;
	req.create_flags = obj->flags;
	for_each_possible_cpu(cpu) {
		struct cmap_op_stats *s = per_cpu_ptr(obj->ops, cpu);

		req.puts += READ_ONCE(s->puts);
		req.gets += READ_ONCE(s->gets);
		req.deletes += READ_ONCE(s->deletes);
		req.hits += READ_ONCE(s->hits);
		req.iters += READ_ONCE(s->iters);
	}
	cmap_obj_put(obj);
	return cmap_copy_resp(arg, &req, sizeof(req), usize);
}

/*
 * The commands, by number: the direction each must be issued with.  A
 * command is recognised by its type, number and direction; the size bits
 * are not checked, the struct's own @size field is the caller's size.
 */
#define CMAP_CMD_KNOWN		0x80
#define CMAP_CMD(cmd)		[_IOC_NR(cmd)] = CMAP_CMD_KNOWN | _IOC_DIR(cmd)

static const u8 cmap_cmds[] = {
	CMAP_CMD(CMAP_IOC_CREATE),
	CMAP_CMD(CMAP_IOC_OPEN),
	CMAP_CMD(CMAP_IOC_DESTROY),
	CMAP_CMD(CMAP_IOC_LIST),
	CMAP_CMD(CMAP_IOC_PUT),
	CMAP_CMD(CMAP_IOC_GET),
	CMAP_CMD(CMAP_IOC_DELETE),
	CMAP_CMD(CMAP_IOC_CLEAR),
	CMAP_CMD(CMAP_IOC_BATCH),
	CMAP_CMD(CMAP_IOC_ITER),
	CMAP_CMD(CMAP_IOC_STATS),
#ifdef CMAP_WITH_BENCH
	CMAP_CMD(CMAP_IOC_BENCH),
#endif
	CMAP_CMD(CMAP_IOC_VERSION),
};

static long cmap_ioc_version(void __user *arg)
{
	struct cmap_version req;
	unsigned int i;
	u32 usize;
	int err;

	err = cmap_copy_req(&req, sizeof(req), arg, &usize);
	if (err)
		return err;
	if (req.flags || !cmap_zeroed(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	/* Everything but size is output. */
	memset(&req, 0, sizeof(req));
	req.size = usize;
	req.abi_version = CMAP_ABI_VERSION;
	req.major = CMAP_VERSION_MAJOR;
	req.minor = CMAP_VERSION_MINOR;
	req.patch = CMAP_VERSION_PATCH;
	strscpy(req.version, CMAP_VERSION, sizeof(req.version));
	req.modes = (1U << CMAP_MODE_COUNT) - 1;
	req.create_flags = CMAP_CREATE_FLAGS;
	for (i = 0; i < ARRAY_SIZE(cmap_cmds); i++)
		if (cmap_cmds[i])
			req.ioctls |= 1ULL << i;
	return cmap_copy_resp(arg, &req, sizeof(req), usize);
}

/**
 * cmap_file_ioctl() - carry out one ioctl on an open /dev/cmap
 * @f: the file's state (cmap_file_alloc())
 * @cmd: the command
 * @arg: its argument, a user pointer (CLEAR: must be NULL)
 *
 * Return: 0 or a positive result, or -errno; -ENOTTY for an unknown
 * command.  A failed request changes nothing.
 */
long cmap_file_ioctl(struct cmap_file *f, unsigned int cmd, void __user *arg)
{
	unsigned int nr = _IOC_NR(cmd);
	struct cmap_obj *obj;
	long ret;

	BUILD_BUG_ON(ARRAY_SIZE(cmap_cmds) > 64);	/* cmap_version.ioctls */
	if (_IOC_TYPE(cmd) != CMAP_IOC_MAGIC || nr >= ARRAY_SIZE(cmap_cmds) ||
	    cmap_cmds[nr] != (CMAP_CMD_KNOWN | _IOC_DIR(cmd)))
		return -ENOTTY;
	switch (nr) {
	case _IOC_NR(CMAP_IOC_CREATE):
		return cmap_ioc_create(f, arg);
	case _IOC_NR(CMAP_IOC_OPEN):
		return cmap_ioc_open(f, arg, false);
	case _IOC_NR(CMAP_IOC_DESTROY):
		return cmap_ioc_open(f, arg, true);
	case _IOC_NR(CMAP_IOC_LIST):
		return cmap_ioc_list(arg);
	case _IOC_NR(CMAP_IOC_STATS):
		return cmap_ioc_stats(f, arg);
	case _IOC_NR(CMAP_IOC_BENCH):
		return cmap_bench_ioctl(arg);
	case _IOC_NR(CMAP_IOC_VERSION):
		return cmap_ioc_version(arg);
	}

	/* The data commands, on the bound table. */
	obj = cmap_file_get(f);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	switch (nr) {
	case _IOC_NR(CMAP_IOC_PUT):
		ret = cmap_ioc_kv(obj, CMAP_OP_PUT, arg);
		break;
	case _IOC_NR(CMAP_IOC_GET):
		ret = cmap_ioc_kv(obj, CMAP_OP_GET, arg);
		break;
	case _IOC_NR(CMAP_IOC_DELETE):
		ret = cmap_ioc_kv(obj, CMAP_OP_DELETE, arg);
		break;
	case _IOC_NR(CMAP_IOC_CLEAR):
		ret = arg ? -EINVAL : cmap_clear(obj->map);
		break;
	case _IOC_NR(CMAP_IOC_BATCH):
		ret = cmap_ioc_batch(obj, arg);
		break;
	default:
		ret = cmap_ioc_iter(obj, arg);
		break;
	}
	cmap_obj_put(obj);
	return ret;
}

/**
 * cmap_file_alloc() - the state of a newly opened /dev/cmap: unbound
 *
 * Return: the state, or NULL without memory.
 */
struct cmap_file *cmap_file_alloc(void)
{
	struct cmap_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (f)
		spin_lock_init(&f->lock);
	return f;
}

/**
 * cmap_file_release() - drop a closed file's binding and free its state
 * @f: the state; no ioctl on it may be in flight
 */
void cmap_file_release(struct cmap_file *f)
{
	struct cmap_obj *obj = rcu_dereference_protected(f->obj, 1);

	if (obj) {
		atomic_dec(&obj->files);
		cmap_obj_put(obj);
	}
	kfree(f);
}

/**
 * cmap_reg_init() - set up the registry, before the first file is opened
 *
 * Return: 0 or -ENOMEM.
 */
int cmap_reg_init(void)
{
	cmap_wq = alloc_workqueue("cmap", WQ_UNBOUND, 0);
	return cmap_wq ? 0 : -ENOMEM;
}

/**
 * cmap_reg_exit() - destroy every table, once no file is left open
 *
 * Each open file holds a reference to whatever it is bound to, so with
 * none left the registry's is each table's last: the tables are freed, and
 * the workqueue that frees them is gone, when this returns.
 */
void cmap_reg_exit(void)
{
	struct cmap_obj *obj;
	unsigned long i;

	mutex_lock(&cmap_reg_mutex);
	xa_for_each(&cmap_tables, i, obj) {
		xa_erase(&cmap_tables, i);
		atomic_dec(&cmap_nr_tables);
		WARN_ON(refcount_read(&obj->ref) != 1);
		cmap_obj_put(obj);
	}
	mutex_unlock(&cmap_reg_mutex);
	rcu_barrier();		/* queue_rcu_work() callbacks have queued */
	destroy_workqueue(cmap_wq);	/* and the destructions have run */
}
