// SPDX-License-Identifier: GPL-2.0
/*
 * libfakecmap.so: a userspace stand-in for /dev/cmap, for testing the tools
 * on a host that cannot load cmap.ko.  NOT the module and not a reference
 * for its behaviour beyond what <linux/cmap.h> says; only what the tools'
 * self-test needs.
 *
 *   LD_PRELOAD=user/.build/libfakecmap.so FAKECMAP_STATE=/tmp/state \
 *	user/cmapctl create t1
 *
 * It intercepts open()/openat() of CMAP_DEVICE (or $FAKECMAP_DEVICE),
 * ioctl() and close() on those files and models the header's semantics
 * with one global lock.  Tables persist across processes in the file
 * $FAKECMAP_STATE (read at start, written at exit; the file is flock()ed
 * meanwhile, so processes using it run one at a time).  Without
 * FAKECMAP_STATE the tables live only as long as the process.
 * $FAKECMAP_MAX_ENTRIES / $FAKECMAP_MAX_BYTES set the default limits.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cmap.h>

#define MAX_FDS		4096
#define ELEM_OVERHEAD	48

struct elem {
	struct elem *next;
	uint32_t hash;
	uint16_t key_len, value_len;
	unsigned char data[];	/* key, then value */
};

struct table {
	struct table *next;	/* live tables, by id */
	char name[CMAP_NAME_LEN];
	uint32_t id, mode;
	int32_t creator_pid;
	char creator_comm[16];
	uint64_t max_entries, max_bytes;
	uint64_t entries, elem_bytes, resizes;
	uint64_t puts, gets, deletes, hits, iters, locks;
	uint32_t files;
	bool destroyed;
	uint64_t nbuckets;
	struct elem **buckets;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct table *tables;
static uint32_t next_id = 1;
static struct table *bound[MAX_FDS];
static bool is_fake[MAX_FDS];
static const char *dev_path = CMAP_DEVICE;
static const char *state_path;
static int state_fd = -1;
static uint64_t def_max_entries = 1ULL << 24, def_max_bytes = 1ULL << 30;

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);

static uint32_t hash_key(const void *k, uint32_t len)
{
	const unsigned char *p = k;
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6d;
	h ^= h >> 12;
	return h;
}

static uint64_t tbl_bytes(struct table *t)
{
	return t->elem_bytes + t->nbuckets * sizeof(void *);
}

static void rehash(struct table *t, uint64_t n)
{
	struct elem **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;
	for (uint64_t i = 0; i < t->nbuckets; i++) {
		struct elem *e = t->buckets[i], *nx;

		for (; e; e = nx) {
			nx = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
	t->resizes++;
}

static struct elem **find(struct table *t, const void *key, uint32_t klen,
			  uint32_t h)
{
	struct elem **pp = &t->buckets[h & (t->nbuckets - 1)];

	t->locks++;
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == h && (*pp)->key_len == klen &&
		    !memcmp((*pp)->data, key, klen))
			return pp;
	return pp;
}

static void free_all(struct table *t)
{
	for (uint64_t i = 0; i < t->nbuckets; i++) {
		struct elem *e = t->buckets[i], *nx;

		for (; e; e = nx) {
			nx = e->next;
			free(e);
		}
		t->buckets[i] = NULL;
	}
	t->entries = 0;
	t->elem_bytes = 0;
}

static int do_put(struct table *t, const void *key, uint32_t klen,
		  const void *val, uint32_t vlen, uint32_t flags)
{
	uint32_t h = hash_key(key, klen);
	struct elem **pp = find(t, key, klen, h), *e;
	uint64_t old = *pp ? ELEM_OVERHEAD + (*pp)->key_len + (*pp)->value_len : 0;
	uint64_t charge = ELEM_OVERHEAD + klen + vlen;

	t->puts++;
	if (*pp && flags == CMAP_PUT_NOEXIST)
		return -EEXIST;
	if (!*pp && flags == CMAP_PUT_EXIST)
		return -ENOENT;
	if (!*pp && t->entries + 1 > t->max_entries)
		return -ENOSPC;
	if (tbl_bytes(t) - old + charge > t->max_bytes)
		return -ENOSPC;
	e = malloc(sizeof(*e) + klen + vlen);
	if (!e)
		return -ENOMEM;
	e->hash = h;
	e->key_len = (uint16_t)klen;
	e->value_len = (uint16_t)vlen;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, val, vlen);
	if (*pp) {
		e->next = (*pp)->next;
		free(*pp);
		*pp = e;
		t->elem_bytes -= old;
	} else {
		e->next = NULL;
		*pp = e;
		t->entries++;
	}
	t->elem_bytes += charge;
	if (t->entries * 1000 / t->nbuckets >= 6500)
		rehash(t, t->nbuckets * 2);
	return 0;
}

static int do_get(struct table *t, const void *key, uint32_t klen,
		  void *buf, uint32_t *vlen)
{
	struct elem **pp = find(t, key, klen, hash_key(key, klen));

	t->gets++;
	if (!*pp)
		return -ENOENT;
	t->hits++;
	if ((*pp)->value_len > *vlen) {
		*vlen = (*pp)->value_len;
		return -ENOBUFS;
	}
	*vlen = (*pp)->value_len;
	memcpy(buf, (*pp)->data + klen, *vlen);
	return 0;
}

static int do_del(struct table *t, const void *key, uint32_t klen)
{
	struct elem **pp = find(t, key, klen, hash_key(key, klen)), *e;

	t->deletes++;
	if (!*pp)
		return -ENOENT;
	e = *pp;
	*pp = e->next;
	t->elem_bytes -= ELEM_OVERHEAD + e->key_len + e->value_len;
	t->entries--;
	free(e);
	return 0;
}

static struct table *by_name(const char *name)
{
	for (struct table *t = tables; t; t = t->next)
		if (!strncmp(t->name, name, CMAP_NAME_LEN))
			return t;
	return NULL;
}

static struct table *by_id(uint32_t id)
{
	for (struct table *t = tables; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static void link_table(struct table *t)
{
	struct table **pp = &tables;

	while (*pp && (*pp)->id < t->id)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
}

static struct table *new_table(const char *name, uint32_t id)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	memcpy(t->name, name, strnlen(name, CMAP_NAME_LEN - 1));
	t->id = id;
	t->nbuckets = 16;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	return t;
}

/* copy a request struct in, checking the size rules; returns 0 or -errno */
static int copy_req(void *dst, size_t known, const void *src)
{
	uint32_t size;

	if (!src)
		return -EFAULT;
	memcpy(&size, src, sizeof(size));
	if (size < 8)
		return -EINVAL;
	memset(dst, 0, known);
	memcpy(dst, src, size < known ? size : known);
	for (size_t i = known; i < size; i++)
		if (((const unsigned char *)src)[i])
			return -E2BIG;
	return 0;
}

static bool zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static int check_name(const char *name)
{
	size_t len = strnlen(name, CMAP_NAME_LEN);

	if (len == 0 || len == CMAP_NAME_LEN)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '/')
			return -EINVAL;
	return 0;
}

static int bound_table(int fd, struct table **tp)
{
	struct table *t = bound[fd];

	if (!t)
		return -EBADFD;
	if (t->destroyed)
		return -EIDRM;
	*tp = t;
	return 0;
}

static void unbind(int fd)
{
	if (bound[fd]) {
		bound[fd]->files--;
		bound[fd] = NULL;
	}
}

static void bind(int fd, struct table *t)
{
	unbind(fd);
	bound[fd] = t;
	t->files++;
}

static int kv_check(uint32_t klen, uint32_t vlen)
{
	if (klen < 1 || klen > CMAP_KEY_MAX || vlen > CMAP_VALUE_MAX)
		return -EINVAL;
	return 0;
}

static int cmp_hash(const void *a, const void *b)
{
	uint32_t x = (*(struct elem *const *)a)->hash;
	uint32_t y = (*(struct elem *const *)b)->hash;

	return x < y ? -1 : x > y;
}

static int ioc_iter(struct table *t, struct cmap_iter *it)
{
	struct elem **v = NULL;
	uint64_t n = 0, i, j;
	uint32_t off = 0, count = 0;
	unsigned char *buf = (unsigned char *)(uintptr_t)it->buf;

	if (it->buf_len > CMAP_ITER_BUF_MAX || it->cursor > CMAP_ITER_DONE)
		return -EINVAL;
	t->iters++;
	if (it->cursor == CMAP_ITER_DONE) {
		it->count = it->bytes = 0;
		return 0;
	}
	v = malloc((t->entries + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < t->nbuckets; i++)
		for (struct elem *e = t->buckets[i]; e; e = e->next)
			if (e->hash >= it->cursor)
				v[n++] = e;
	qsort(v, n, sizeof(*v), cmp_hash);
	for (i = 0; i < n; i = j) {
		uint32_t group = 0;

		/* all keys of one hash go in the same call */
		for (j = i; j < n && v[j]->hash == v[i]->hash; j++)
			group += CMAP_REC_SIZE(v[j]->key_len, v[j]->value_len);
		if (off + group > it->buf_len) {
			if (!count) {
				free(v);
				it->bytes = group;
				return -ENOBUFS;
			}
			it->cursor = v[i]->hash;
			goto out;
		}
		for (uint64_t k = i; k < j; k++) {
			struct cmap_rec rec = {
				.key_len = v[k]->key_len,
				.value_len = v[k]->value_len,
				.hash = v[k]->hash,
			};
			uint32_t rs = CMAP_REC_SIZE(rec.key_len, rec.value_len);

			memset(buf + off, 0, rs);
			memcpy(buf + off, &rec, sizeof(rec));
			memcpy(buf + off + sizeof(rec), v[k]->data,
			       rec.key_len + rec.value_len);
			off += rs;
			count++;
		}
	}
	it->cursor = CMAP_ITER_DONE;
out:
	free(v);
	it->count = count;
	it->bytes = off;
	return 0;
}

/* The commands it knows (no BENCH), as the header defines them. */
static const unsigned long known_cmds[] = {
	CMAP_IOC_CREATE, CMAP_IOC_OPEN, CMAP_IOC_DESTROY, CMAP_IOC_LIST,
	CMAP_IOC_PUT, CMAP_IOC_GET, CMAP_IOC_DELETE, CMAP_IOC_CLEAR,
	CMAP_IOC_BATCH, CMAP_IOC_ITER, CMAP_IOC_STATS, CMAP_IOC_VERSION,
};

/*
 * The header's command for @cmd, matched like the module does: on type,
 * number and direction, whatever the size bits say; 0 if none.
 */
static unsigned long canon_cmd(unsigned long cmd)
{
	for (size_t i = 0; i < sizeof(known_cmds) / sizeof(known_cmds[0]); i++)
		if (_IOC_TYPE(cmd) == _IOC_TYPE(known_cmds[i]) &&
		    _IOC_NR(cmd) == _IOC_NR(known_cmds[i]) &&
		    _IOC_DIR(cmd) == _IOC_DIR(known_cmds[i]))
			return known_cmds[i];
	return 0;
}

static int fake_ioctl(int fd, unsigned long cmd, void *arg)
{
	struct table *t;
	int err;

	cmd = canon_cmd(cmd);
	switch (cmd) {
	case CMAP_IOC_CREATE: {
		struct cmap_create c;

		if ((err = copy_req(&c, sizeof(c), arg)))
			return err;
		if (c.flags || c.pad || !zero(c.reserved, sizeof(c.reserved)) ||
		    !zero(c.config.reserved, sizeof(c.config.reserved)) ||
		    c.config.mode >= CMAP_MODE_COUNT || check_name(c.name))
			return -EINVAL;
		if (by_name(c.name))
			return -EEXIST;
		t = new_table(c.name, next_id++);
		if (!t)
			return -ENOMEM;
		t->mode = c.config.mode;
		t->max_entries = c.config.max_entries ?: def_max_entries;
		t->max_bytes = c.config.max_bytes ?: def_max_bytes;
		t->creator_pid = getpid();
		{
			FILE *f = fopen("/proc/self/comm", "r");

			if (f) {
				if (fgets(t->creator_comm, sizeof(t->creator_comm), f))
					t->creator_comm[strcspn(t->creator_comm, "\n")] = 0;
				fclose(f);
			}
		}
		if (c.config.size_hint) {
			uint64_t n = 16;

			while (n * 4 < c.config.size_hint)
				n *= 2;
			rehash(t, n);
			t->resizes = 0;
		}
		link_table(t);
		bind(fd, t);
		((struct cmap_create *)arg)->id = t->id;
		return 0;
	}
	case CMAP_IOC_OPEN:
	case CMAP_IOC_DESTROY: {
		struct cmap_open o;

		if ((err = copy_req(&o, sizeof(o), arg)))
			return err;
		if (o.flags || o.pad || !zero(o.reserved, sizeof(o.reserved)))
			return -EINVAL;
		if (o.name[0] && check_name(o.name))
			return -EINVAL;
		t = o.name[0] ? by_name(o.name) : by_id(o.id);
		if (!t)
			return -ENOENT;
		((struct cmap_open *)arg)->id = t->id;
		if (cmd == CMAP_IOC_OPEN) {
			bind(fd, t);
		} else {
			struct table **pp = &tables;

			while (*pp != t)
				pp = &(*pp)->next;
			*pp = t->next;
			t->destroyed = true;
			free_all(t);
		}
		return 0;
	}
	case CMAP_IOC_LIST: {
		struct cmap_list l, *ul = arg;
		struct cmap_table_info *out;
		uint32_t n = 0, total = 0;

		if ((err = copy_req(&l, sizeof(l), arg)))
			return err;
		if (l.flags || !zero(l.reserved, sizeof(l.reserved)))
			return -EINVAL;
		out = (struct cmap_table_info *)(uintptr_t)l.tables;
		for (t = tables; t; t = t->next, total++) {
			if (n >= l.count)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].id = t->id;
			out[n].mode = t->mode;
			out[n].creator_pid = t->creator_pid;
			out[n].files = t->files;
			memcpy(out[n].name, t->name, CMAP_NAME_LEN);
			memcpy(out[n].creator_comm, t->creator_comm, 16);
			out[n].entries = t->entries;
			out[n].bytes = tbl_bytes(t);
			n++;
		}
		ul->count = n;
		ul->total = total;
		return 0;
	}
	case CMAP_IOC_PUT:
	case CMAP_IOC_GET:
	case CMAP_IOC_DELETE: {
		struct cmap_kv kv;

		if ((err = copy_req(&kv, sizeof(kv), arg)))
			return err;
		if ((err = bound_table(fd, &t)))
			return err;
		if (!zero(kv.reserved, sizeof(kv.reserved)) ||
		    kv_check(kv.key_len, cmd == CMAP_IOC_GET ? 0 : kv.value_len))
			return -EINVAL;
		if (cmd == CMAP_IOC_PUT) {
			if (kv.flags > CMAP_PUT_EXIST)
				return -EINVAL;
			return do_put(t, (void *)(uintptr_t)kv.key, kv.key_len,
				      (void *)(uintptr_t)kv.value, kv.value_len,
				      kv.flags);
		}
		if (kv.flags)
			return -EINVAL;
		if (cmd == CMAP_IOC_DELETE) {
			if (kv.value || kv.value_len)
				return -EINVAL;
			return do_del(t, (void *)(uintptr_t)kv.key, kv.key_len);
		}
		err = do_get(t, (void *)(uintptr_t)kv.key, kv.key_len,
			     (void *)(uintptr_t)kv.value, &kv.value_len);
		if (!err || err == -ENOBUFS)
			((struct cmap_kv *)arg)->value_len = kv.value_len;
		return err;
	}
	case CMAP_IOC_CLEAR:
		if ((err = bound_table(fd, &t)))
			return err;
		free_all(t);
		return 0;
	case CMAP_IOC_BATCH: {
		struct cmap_batch b;
		struct cmap_batch_op *ops;

		if ((err = copy_req(&b, sizeof(b), arg)))
			return err;
		if ((err = bound_table(fd, &t)))
			return err;
		if (b.flags || !zero(b.reserved, sizeof(b.reserved)) ||
		    b.count < 1 || b.count > CMAP_BATCH_MAX)
			return -EINVAL;
		ops = (struct cmap_batch_op *)(uintptr_t)b.ops;
		for (uint32_t i = 0; i < b.count; i++) {
			struct cmap_batch_op *op = &ops[i];

			if (op->reserved || op->op < CMAP_OP_PUT ||
			    op->op > CMAP_OP_DELETE ||
			    kv_check(op->key_len, op->op == CMAP_OP_PUT ? op->value_len : 0) ||
			    (op->op == CMAP_OP_PUT && op->flags > CMAP_PUT_EXIST) ||
			    (op->op != CMAP_OP_PUT && op->flags) ||
			    (op->op == CMAP_OP_DELETE && (op->value || op->value_len)))
				return -EINVAL;
		}
		for (uint32_t i = 0; i < b.count; i++) {
			struct cmap_batch_op *op = &ops[i];
			void *key = (void *)(uintptr_t)op->key;
			void *val = (void *)(uintptr_t)op->value;

			if (op->op == CMAP_OP_PUT)
				op->result = do_put(t, key, op->key_len, val,
						    op->value_len, op->flags);
			else if (op->op == CMAP_OP_GET)
				op->result = do_get(t, key, op->key_len, val,
						    &op->value_len);
			else
				op->result = do_del(t, key, op->key_len);
		}
		((struct cmap_batch *)arg)->done = b.count;
		return 0;
	}
	case CMAP_IOC_ITER: {
		struct cmap_iter it;

		if ((err = copy_req(&it, sizeof(it), arg)))
			return err;
		if ((err = bound_table(fd, &t)))
			return err;
		if (it.flags || it.pad || !zero(it.reserved, sizeof(it.reserved)))
			return -EINVAL;
		err = ioc_iter(t, &it);
		if (!err) {
			((struct cmap_iter *)arg)->cursor = it.cursor;
			((struct cmap_iter *)arg)->count = it.count;
		}
		if (!err || err == -ENOBUFS)
			((struct cmap_iter *)arg)->bytes = it.bytes;
		return err;
	}
	case CMAP_IOC_STATS: {
		struct cmap_stats s, *us = arg;

		if ((err = copy_req(&s, sizeof(s), arg)))
			return err;
		if (s.flags || s.pad || s.mode || s.name[0] ||
		    !zero(s.reserved, sizeof(s.reserved)) ||
		    !zero(&s.entries, offsetof(struct cmap_stats, pad) -
			  offsetof(struct cmap_stats, entries)))
			return -EINVAL;
		if (s.id) {
			t = by_id(s.id);
			if (!t)
				return -ENOENT;
		} else if ((err = bound_table(fd, &t))) {
			return err;
		}
		memset(&s, 0, sizeof(s));
		s.size = us->size;
		s.id = us->id;
		s.mode = t->mode;
		memcpy(s.name, t->name, CMAP_NAME_LEN);
		s.entries = t->entries;
		s.buckets = t->nbuckets;
		s.load_factor_milli = t->entries * 1000 / t->nbuckets;
		s.resizes = t->resizes;
		s.bytes = tbl_bytes(t);
		s.max_entries = t->max_entries;
		s.max_bytes = t->max_bytes;
		s.puts = t->puts;
		s.gets = t->gets;
		s.deletes = t->deletes;
		s.hits = t->hits;
		s.iters = t->iters;
		s.lock_acquisitions = t->locks;
		s.creator_pid = t->creator_pid;
		memcpy(s.creator_comm, t->creator_comm, 16);
		memcpy(us, &s, us->size < sizeof(s) ? us->size : sizeof(s));
		return 0;
	}
	case CMAP_IOC_VERSION: {
		struct cmap_version v, *uv = arg;

		if ((err = copy_req(&v, sizeof(v), arg)))
			return err;
		if (v.flags || !zero(v.reserved, sizeof(v.reserved)))
			return -EINVAL;
		memset(&v, 0, sizeof(v));
		v.size = uv->size;
		v.abi_version = CMAP_ABI_VERSION;
		v.modes = (1U << CMAP_MODE_COUNT) - 1;
		for (size_t i = 0; i < sizeof(known_cmds) / sizeof(known_cmds[0]); i++)
			v.ioctls |= 1ULL << _IOC_NR(known_cmds[i]);
		snprintf(v.version, sizeof(v.version), "0.0.0-fakecmap");
		memcpy(uv, &v, uv->size < sizeof(v) ? uv->size : sizeof(v));
		return 0;
	}
	}
	return -ENOTTY;
}

/* ---- persistence ------------------------------------------------------ */

static void load_state(void)
{
	FILE *f;
	uint32_t ntables;

	state_fd = real_open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (state_fd < 0 || flock(state_fd, LOCK_EX))
		return;
	f = fdopen(dup(state_fd), "rb");
	if (!f)
		return;
	if (fread(&next_id, sizeof(next_id), 1, f) != 1 ||
	    fread(&ntables, sizeof(ntables), 1, f) != 1) {
		next_id = 1;
		fclose(f);
		return;
	}
	while (ntables--) {
		struct table hdr, *t;
		uint64_t n;

		if (fread(&hdr, sizeof(hdr), 1, f) != 1)
			break;
		t = new_table(hdr.name, hdr.id);
		n = hdr.entries;
		if (!t)
			break;
		t->mode = hdr.mode;
		t->creator_pid = hdr.creator_pid;
		memcpy(t->creator_comm, hdr.creator_comm, sizeof(t->creator_comm));
		t->max_entries = hdr.max_entries;
		t->max_bytes = hdr.max_bytes;
		t->resizes = hdr.resizes;
		t->puts = hdr.puts;
		t->gets = hdr.gets;
		t->deletes = hdr.deletes;
		t->hits = hdr.hits;
		t->iters = hdr.iters;
		t->locks = hdr.locks;
		for (; n; n--) {
			uint16_t kl, vl;
			unsigned char buf[CMAP_KEY_MAX + CMAP_VALUE_MAX];

			if (fread(&kl, 2, 1, f) != 1 || fread(&vl, 2, 1, f) != 1 ||
			    fread(buf, 1, kl + vl, f) != (size_t)kl + vl)
				break;
			do_put(t, buf, kl, buf + kl, vl, CMAP_PUT_ANY);
			t->puts--;
		}
		link_table(t);
	}
	fclose(f);
}

static void save_state(void)
{
	FILE *f;
	uint32_t ntables = 0;

	if (state_fd < 0 || ftruncate(state_fd, 0) || lseek(state_fd, 0, SEEK_SET))
		return;
	f = fdopen(dup(state_fd), "wb");
	if (!f)
		return;
	for (struct table *t = tables; t; t = t->next)
		ntables++;
	fwrite(&next_id, sizeof(next_id), 1, f);
	fwrite(&ntables, sizeof(ntables), 1, f);
	for (struct table *t = tables; t; t = t->next) {
		fwrite(t, sizeof(*t), 1, f);
		for (uint64_t i = 0; i < t->nbuckets; i++)
			for (struct elem *e = t->buckets[i]; e; e = e->next) {
				fwrite(&e->key_len, 2, 1, f);
				fwrite(&e->value_len, 2, 1, f);
				fwrite(e->data, 1, e->key_len + e->value_len, f);
			}
	}
	fclose(f);
}

__attribute__((constructor)) static void fake_init(void)
{
	const char *s;

	real_open = dlsym(RTLD_NEXT, "open");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_close = dlsym(RTLD_NEXT, "close");
	real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	if ((s = getenv("FAKECMAP_DEVICE")))
		dev_path = s;
	if ((s = getenv("FAKECMAP_MAX_ENTRIES")))
		def_max_entries = strtoull(s, NULL, 0);
	if ((s = getenv("FAKECMAP_MAX_BYTES")))
		def_max_bytes = strtoull(s, NULL, 0);
	state_path = getenv("FAKECMAP_STATE");
}

__attribute__((destructor)) static void fake_fini(void)
{
	pthread_mutex_lock(&lock);
	save_state();
	pthread_mutex_unlock(&lock);
}

/* ---- interposed calls --------------------------------------------------- */

static int fake_open(const char *path, int flags)
{
	int fd;

	if ((flags & O_ACCMODE) != O_RDWR) {
		errno = EACCES;		/* be strict: the tools open O_RDWR */
		return -1;
	}
	/* state is loaded (and its file locked) on the first open only */
	pthread_mutex_lock(&lock);
	if (state_path && state_fd < 0)
		load_state();
	pthread_mutex_unlock(&lock);
	fd = real_open("/dev/null", flags & (O_RDWR | O_CLOEXEC));
	(void)path;
	if (fd >= MAX_FDS) {
		real_close(fd);
		errno = EMFILE;
		return -1;
	}
	if (fd >= 0) {
		pthread_mutex_lock(&lock);
		is_fake[fd] = true;
		bound[fd] = NULL;
		pthread_mutex_unlock(&lock);
	}
	return fd;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!real_open)
		fake_init();
	if (!strcmp(path, dev_path))
		return fake_open(path, flags);
	return real_open(path, flags, mode);
}
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!real_openat)
		fake_init();
	if (!strcmp(path, dev_path))
		return fake_open(path, flags);
	return real_openat(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

int close(int fd)
{
	if (!real_close)
		fake_init();
	if (fd >= 0 && fd < MAX_FDS && is_fake[fd]) {
		pthread_mutex_lock(&lock);
		unbind(fd);
		is_fake[fd] = false;
		pthread_mutex_unlock(&lock);
	}
	return real_close(fd);
}

int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;
	int err;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real_ioctl)
		fake_init();
	if (fd < 0 || fd >= MAX_FDS || !is_fake[fd])
		return real_ioctl(fd, cmd, arg);
	pthread_mutex_lock(&lock);
	err = fake_ioctl(fd, cmd, arg);
	pthread_mutex_unlock(&lock);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
