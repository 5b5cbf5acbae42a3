// SPDX-License-Identifier: GPL-2.0
/*
 * hard_input: every ioctl, every field, every kind of bad pointer.
 *
 * For each command a template request that WOULD change something (a PUT
 * of a new key, a BATCH of puts and deletes, a CREATE of a new table, an
 * OPEN that rebinds, a DESTROY) is mutated one field at a time into an
 * invalid one; each mutation must fail with its documented errno and leave
 * the table exactly as it was (every record of a full ITER dump, entries,
 * bytes, the number of tables, the file's binding).  Then the request
 * structs themselves are put where the kernel cannot read or write them
 * (NULL, unmapped, kernel addresses, non-canonical, read-only mappings for
 * structs the kernel writes back, straddling into an unmapped page).  Ends
 * with the table's contents checked against what was put, key by key.
 *
 *   hard_input [-v]
 */
#include "hard.h"

static int fd;			/* bound to the test table */
static char tname[CMAP_NAME_LEN], t2name[CMAP_NAME_LEN];
static __u32 tid, t2id;
static struct snap base;
static int verbose;
static int nfail_cases;
#define NKEYS 300

static char *guard;		/* 4 R/W pages + a PROT_NONE page */
static char *gend;		/* the end of the R/W part */

/* Checks rc == -exp and that nothing changed. */
static void expect(int rc, int exp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void expect(int rc, int exp, const char *fmt, ...)
{
	char what[256], why[160] = "";
	struct snap s;
	bool same;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (snap_take(fd, &s))
		bail("snapshot after %s", what);
	same = snap_same(&base, &s, why, sizeof(why));
	snap_free(&s);
	nfail_cases++;
	if (rc == -exp && same && !verbose) {
		tap_count++;	/* counted, printed in bulk below */
		return;
	}
	tap(rc == -exp && same, "%s: %s (want %s)%s%s", what, ename(rc),
	    ename(-exp), same ? "" : "; TABLE CHANGED: ", why);
	if (!same) {
		/* report once, then go on from the new state */
		if (t_bound_id(fd) != (long)tid)
			cmapc_open(fd, tname, NULL);
		snap_free(&base);
		t_quiesce(fd, 5);
		if (snap_take(fd, &base))
			bail("snapshot");
	}
}

static void rebase(void)
{
	snap_free(&base);
	t_quiesce(fd, 5);
	if (snap_take(fd, &base))
		bail("snapshot");
}

/* ------------------------------------------------------ bad pointers */
struct badp {
	const char *name;
	__u64 addr;
};

static struct badp badptrs[8];
static int nbad;

static void init_badptrs(void)
{
	struct badp b[] = {
		{ "NULL", 0 },
		{ "unmapped", uptr(unmapped_addr()) },
		{ "guard page", uptr(gend) },
		{ "kernel direct map", KERNEL_DIRECT_MAP },
		{ "kernel text", kernel_text_addr() },
		{ "non-canonical", NONCANONICAL_ADDR },
		{ "-1", ~0ULL },
		{ "-4096", (__u64)-4096LL },
	};

	memcpy(badptrs, b, sizeof(b));
	nbad = ARRAY_LEN(b);
}

/* ------------------------------------------------ generic struct tests */
/*
 * A request struct, its command, and what the kernel does with it:
 * writes_back: the kernel writes the struct (a read-only copy must fail
 * with -EFAULT before any side effect).
 */
struct req {
	const char *name;
	unsigned long cmd;
	void *tmpl;		/* a valid request that would change things */
	size_t size;
	size_t flags_off;	/* offset of flags, or -1 */
	__u32 flags_ok_mask;	/* flag values allowed (PUT: 0..2) */
	size_t rsv[8][2];	/* reserved ranges: offset, length */
	int nrsv;
	bool writes_back;
	bool mutates;		/* the template changes the table/binding */
};

/* The members every request fills alike, for the template @t. */
#define REQ(nm, ioc, t)							\
	.name = (nm), .cmd = (ioc), .tmpl = &(t), .size = sizeof(t),	\
	.flags_off = offsetof(__typeof__(t), flags)

/* A request struct of @size bytes: zeros and its size. */
static void req_zero(void *t, size_t size)
{
	memset(t, 0, size);
	*(__u32 *)t = size;
}

/*
 * @r's template with the @width-byte (1, 4 or 8) field at @off set to @val:
 * must fail with -@err (or succeed if @err is 0) and change nothing.
 */
static void expect_field(const struct req *r, size_t off, size_t width,
			 __u64 val, int err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void expect_field(const struct req *r, size_t off, size_t width,
			 __u64 val, int err, const char *fmt, ...)
{
	union {
		__u64 align;
		unsigned char b[512];
	} m;
	__u32 v32 = val;
	__u8 v8 = val;
	char what[256];
	va_list ap;

	if (r->size > sizeof(m.b) || off + width > r->size ||
	    (width != 1 && width != 4 && width != 8))
		bail("%s: no %zu-byte field at %zu", r->name, width, off);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	memcpy(m.b, r->tmpl, r->size);
	memcpy(m.b + off, width == 8 ? (void *)&val :
	       width == 4 ? (void *)&v32 : (void *)&v8, width);
	expect(cmapc_ioctl(fd, r->cmd, m.b), err, "%s", what);
}

/* Every bad pointer from badptrs[@from] on in the __u64 at @off: -EFAULT. */
static void bad_ptr_tests(const struct req *r, size_t off, int from,
			  const char *what)
{
	int b;

	for (b = from; b < nbad; b++)
		expect_field(r, off, 8, badptrs[b].addr, EFAULT, "%s: %s at %s",
			     r->name, what, badptrs[b].name);
}

/* Each of the @n values @vals in the __u32 @field at @off: -EINVAL. */
static void bad_u32_tests(const struct req *r, size_t off, const char *field,
			  const __u32 *vals, size_t n, bool hex)
{
	size_t i;

	for (i = 0; i < n; i++)
		expect_field(r, off, 4, vals[i], EINVAL,
			     hex ? "%s: %s=%#x" : "%s: %s=%u", r->name, field,
			     vals[i]);
}

/*
 * The __u64 pointer at @off to a read-only copy of @len bytes of @src (an
 * array the kernel writes to): -EFAULT.
 */
static void readonly_ptr_test(const struct req *r, size_t off, const void *src,
			      size_t len, const char *what)
{
	void *ro = readonly_copy(src, len);

	expect_field(r, off, 8, uptr(ro), EFAULT, "%s: %s", r->name, what);
	readonly_free(ro, len);
}

static void struct_tests(struct req *r)
{
	unsigned char buf[PG + 64];
	unsigned char *m = buf;
	size_t i, k;
	int rc, b;

	/* size field */
	{
		static const __u32 bad_sizes[] = { 0, 1, 4, 7, PG + 1, PG * 2,
						   0x7fffffff, 0xffffffff };

		bad_u32_tests(r, 0, "size", bad_sizes, ARRAY_LEN(bad_sizes),
			      false);
	}
	/* a bigger struct with non-zero trailing bytes: -E2BIG */
	for (k = 0; k < 3; k++) {
		static const size_t extra[] = { 1, 8, 200 };

		memset(m, 0, sizeof(buf));
		memcpy(m, r->tmpl, r->size);
		*(__u32 *)m = r->size + extra[k];
		m[r->size + extra[k] - 1] = 0x5a;
		rc = cmapc_ioctl(fd, r->cmd, m);
		expect(rc, E2BIG, "%s: size=sizeof+%zu, non-zero tail", r->name,
		       extra[k]);
	}
	/* bigger struct whose tail straddles into an unmapped page */
	{
		unsigned char *p = (unsigned char *)gend - r->size - 8;

		memcpy(p, r->tmpl, r->size);
		memset(p + r->size, 0, 8);
		*(__u32 *)p = r->size + 64;
		rc = cmapc_ioctl(fd, r->cmd, p);
		expect(rc, EFAULT, "%s: size=sizeof+64 running into an unmapped page",
		       r->name);
	}
	/* flags */
	if (r->flags_off != (size_t)-1) {
		for (k = 0; k < 32; k++) {
			__u32 f = 1U << k;

			if (f > r->flags_ok_mask)
				expect_field(r, r->flags_off, 4, f, EINVAL,
					     "%s: flags=%#x", r->name, f);
		}
		if (r->flags_ok_mask)
			expect_field(r, r->flags_off, 4, r->flags_ok_mask + 1,
				     EINVAL, "%s: flags=%#x", r->name,
				     r->flags_ok_mask + 1);
	}
	/* reserved and padding: every byte, two values */
	for (i = 0; i < (size_t)r->nrsv; i++) {
		for (k = 0; k < r->rsv[i][1]; k++) {
			static const unsigned char vals[] = { 0x01, 0x80 };
			int v;

			for (v = 0; v < 2; v++)
				expect_field(r, r->rsv[i][0] + k, 1, vals[v],
					     EINVAL, "%s: reserved byte %zu = %#x",
					     r->name, r->rsv[i][0] + k, vals[v]);
		}
	}
	/* the struct pointer itself */
	for (b = 0; b < nbad; b++) {
		rc = cmapc_ioctl(fd, r->cmd, (void *)(uintptr_t)badptrs[b].addr);
		expect(rc, EFAULT, "%s: struct at %s", r->name, badptrs[b].name);
	}
	/* straddling: only the first k bytes readable */
	{
		static const size_t readable[] = { 2, 4, 8, 12 };

		for (k = 0; k < ARRAY_LEN(readable); k++) {
			unsigned char *p = (unsigned char *)gend - readable[k];

			memcpy(p, r->tmpl, readable[k]);
			rc = cmapc_ioctl(fd, r->cmd, p);
			expect(rc, EFAULT, "%s: struct straddles an unmapped page after %zu bytes",
			       r->name, readable[k]);
		}
		{
			unsigned char *p = (unsigned char *)gend - (r->size - 1);

			memcpy(p, r->tmpl, r->size - 1);
			rc = cmapc_ioctl(fd, r->cmd, p);
			expect(rc, EFAULT, "%s: struct's last byte in an unmapped page",
			       r->name);
		}
	}
	/* read-only copy: fine unless the kernel writes the struct back */
	if (r->writes_back) {
		void *ro = readonly_copy(r->tmpl, r->size);

		rc = cmapc_ioctl(fd, r->cmd, ro);
		expect(rc, EFAULT, "%s: struct in a read-only mapping (written back)",
		       r->name);
		readonly_free(ro, r->size);
	}
}

/* --------------------------------------------------------------- PUT */
static void test_put(void)
{
	static const char newkey[] = "brand-new-key";
	static const char val[] = "0123456789";
	struct cmap_kv tmpl, tmpl4k, kv;
	struct req r = {
		REQ("PUT", CMAP_IOC_PUT, tmpl),
		.flags_ok_mask = CMAP_PUT_EXIST,
		.rsv = { { offsetof(struct cmap_kv, reserved), 16 } },
		.nrsv = 1, .mutates = true,
	};
	char k[64];
	static const __u32 bad_klen[] = { 0, 65, 128, 0x10000, 0xffffffff };
	static const __u32 bad_vlen[] = { 4097, 8192, 0x10000, 0xffffffff };
	struct req r4k = r;
	size_t i;
	int rc;

	t_kv(&tmpl, 0, newkey, sizeof(newkey) - 1, val, sizeof(val) - 1);
	struct_tests(&r);
	bad_u32_tests(&r, offsetof(struct cmap_kv, key_len), "key_len", bad_klen,
		      ARRAY_LEN(bad_klen), false);
	bad_u32_tests(&r, offsetof(struct cmap_kv, value_len), "value_len",
		      bad_vlen, ARRAY_LEN(bad_vlen), false);
	bad_ptr_tests(&r, offsetof(struct cmap_kv, key), 0, "key");
	bad_ptr_tests(&r, offsetof(struct cmap_kv, value), 0, "value");
	/* every value length, so the value's copy may come late */
	tmpl4k = tmpl;
	tmpl4k.value_len = 4096;
	r4k.tmpl = &tmpl4k;
	bad_ptr_tests(&r4k, offsetof(struct cmap_kv, value), 0, "4096-byte value");
	/* key and value straddling into the guard page */
	for (i = 1; i < 8; i++) {
		char *p = gend - i;

		memcpy(p, newkey, i);
		kv = tmpl;
		kv.key = uptr(p);
		kv.key_len = 8;
		expect(cmapc_ioctl(fd, CMAP_IOC_PUT, &kv), EFAULT,
		       "PUT: key straddles an unmapped page after %zu bytes", i);
	}
	expect_field(&r4k, offsetof(struct cmap_kv, value), 8, uptr(gend - 4095),
		     EFAULT, "PUT: value's last byte in an unmapped page");
	/* semantics that must fail without change */
	kv = tmpl;
	kv.flags = CMAP_PUT_EXIST;
	expect(cmapc_ioctl(fd, CMAP_IOC_PUT, &kv), ENOENT, "PUT EXIST of an absent key");
	kv.key_len = key_of(5, k);
	kv.key = uptr(k);
	kv.flags = CMAP_PUT_NOEXIST;
	expect(cmapc_ioctl(fd, CMAP_IOC_PUT, &kv), EEXIST, "PUT NOEXIST of a present key");
	/* DELETE-only fields do not matter; a read-only struct is fine */
	{
		void *ro = readonly_copy(&tmpl, sizeof(tmpl));

		rc = cmapc_ioctl(fd, CMAP_IOC_PUT, ro);
		tap(rc == 0, "PUT: struct in a read-only mapping works (%s)", ename(rc));
		readonly_free(ro, sizeof(tmpl));
	}
	/* misaligned struct, key and value */
	{
		char *p = guard + 1;
		struct cmap_kv *mk = (void *)(guard + 2 * PG + 3);
		char out[16];
		__u32 olen = sizeof(out);

		memset(guard, 0, 4 * PG);
		memcpy(p, "misaligned", 10);
		memcpy(p + 17, val, 10);
		t_kv(&kv, 0, p, 10, p + 17, 10);
		memcpy(mk, &kv, sizeof(kv));
		rc = cmapc_ioctl(fd, CMAP_IOC_PUT, mk);
		tap(rc == 0, "PUT: misaligned struct, key and value (%s)", ename(rc));
		rc = cmapc_get(fd, "misaligned", 10, out, &olen);
		tap(rc == 0 && olen == 10 && !memcmp(out, val, 10),
		    "GET of the misaligned PUT (%s)", ename(rc));
		cmapc_delete(fd, "misaligned", 10);
	}
	rc = cmapc_delete(fd, newkey, sizeof(newkey) - 1);
	tap(rc == 0, "the template PUT itself worked (%s)", ename(rc));
	rebase();
}

/* --------------------------------------------------------------- GET */
/* Key lengths GET and DELETE refuse (-EINVAL). */
static const __u32 lookup_bad_klen[] = { 0, 65 };

static void test_get(void)
{
	struct cmap_kv tmpl, kv;
	struct req r = {
		REQ("GET", CMAP_IOC_GET, tmpl),
		.rsv = { { offsetof(struct cmap_kv, reserved), 16 } },
		.nrsv = 1, .writes_back = true,
	};
	char k[64], v[4096], *out = guard + PG;
	__u32 klen, vlen, i;
	int rc;

	/* key 8 has a 4096-byte value (val_of) */
	klen = key_of(8, k);
	vlen = val_of(8, 0, v);
	if (vlen != 4096)
		bail("key 8's value is not 4096 bytes");
	t_kv(&tmpl, 0, k, klen, out, 4096);
	struct_tests(&r);
	bad_u32_tests(&r, offsetof(struct cmap_kv, key_len), "key_len",
		      lookup_bad_klen, ARRAY_LEN(lookup_bad_klen), false);
	bad_ptr_tests(&r, offsetof(struct cmap_kv, key), 0, "key");
	bad_ptr_tests(&r, offsetof(struct cmap_kv, value), 0, "buffer");
	readonly_ptr_test(&r, offsetof(struct cmap_kv, value), v, 4096,
			  "buffer in a read-only mapping");
	expect_field(&r, offsetof(struct cmap_kv, value), 8, uptr(gend - 4095),
		     EFAULT, "GET: buffer's last byte in an unmapped page");
	/* too small: -ENOBUFS, the needed length, nothing copied */
	for (i = 0; i < 3; i++) {
		static const __u32 small[] = { 0, 1, 4095 };

		memset(out, 0xa5, 4096);
		kv = tmpl;
		kv.value_len = small[i];
		rc = cmapc_ioctl(fd, CMAP_IOC_GET, &kv);
		expect(rc, ENOBUFS, "GET: %u-byte buffer for a 4096-byte value", small[i]);
		tap(kv.value_len == 4096 && out[0] == (char)0xa5 &&
		    out[4095] == (char)0xa5,
		    "GET -ENOBUFS reports 4096 needed (got %u) and copies nothing",
		    kv.value_len);
	}
	/* huge buffer length is fine: the kernel copies the value's length */
	kv = tmpl;
	kv.value = uptr(gend - 4096);
	kv.value_len = 0xffffffff;
	rc = cmapc_ioctl(fd, CMAP_IOC_GET, &kv);
	tap(rc == 0 && kv.value_len == 4096 && !memcmp(gend - 4096, v, 4096),
	    "GET: value_len=0xffffffff with a 4096-byte buffer copies 4096 (%s)",
	    ename(rc));
	kv = tmpl;
	kv.key = uptr("no-such-key");
	kv.key_len = 11;
	expect(cmapc_ioctl(fd, CMAP_IOC_GET, &kv), ENOENT, "GET of an absent key");
	/* a read-only struct with an absent key: -ENOENT, nothing written */
	{
		void *ro = readonly_copy(&kv, sizeof(kv));

		expect(cmapc_ioctl(fd, CMAP_IOC_GET, ro), ENOENT,
		       "GET of an absent key, struct read-only");
		readonly_free(ro, sizeof(kv));
	}
}

/* ------------------------------------------------------------ DELETE */
static void test_delete(void)
{
	struct cmap_kv tmpl, kv;
	struct req r = {
		REQ("DELETE", CMAP_IOC_DELETE, tmpl),
		.rsv = { { offsetof(struct cmap_kv, reserved), 16 } },
		.nrsv = 1, .mutates = true,
	};
	char k[64];
	__u32 klen;

	klen = key_of(11, k);
	t_kv(&tmpl, 0, k, klen, NULL, 0);
	struct_tests(&r);
	expect_field(&r, offsetof(struct cmap_kv, value), 8, uptr(k), EINVAL,
		     "DELETE: value != 0");
	expect_field(&r, offsetof(struct cmap_kv, value_len), 4, 1, EINVAL,
		     "DELETE: value_len != 0");
	bad_u32_tests(&r, offsetof(struct cmap_kv, key_len), "key_len",
		      lookup_bad_klen, ARRAY_LEN(lookup_bad_klen), false);
	bad_ptr_tests(&r, offsetof(struct cmap_kv, key), 0, "key");
	kv = tmpl;
	kv.key = uptr(gend - 3);
	kv.key_len = 8;
	expect(cmapc_ioctl(fd, CMAP_IOC_DELETE, &kv), EFAULT,
	       "DELETE: key straddles an unmapped page");
	kv = tmpl;
	kv.key = uptr("no-such-key");
	kv.key_len = 11;
	expect(cmapc_ioctl(fd, CMAP_IOC_DELETE, &kv), ENOENT, "DELETE of an absent key");
}

/* ------------------------------------------------------------- BATCH */
static void batch_ops_tmpl(struct cmap_batch_op *ops, char (*keys)[64])
{
	static const char v[] = "batchvalue";

	memset(ops, 0, 4 * sizeof(*ops));
	ops[0].op = CMAP_OP_PUT;
	ops[0].key = uptr("batch-new-1");
	ops[0].key_len = 11;
	ops[0].value = uptr(v);
	ops[0].value_len = 10;
	ops[1].op = CMAP_OP_DELETE;
	ops[1].key_len = key_of(3, keys[0]);
	ops[1].key = uptr(keys[0]);
	ops[2].op = CMAP_OP_PUT;
	ops[2].flags = CMAP_PUT_EXIST;
	ops[2].key_len = key_of(4, keys[1]);
	ops[2].key = uptr(keys[1]);
	ops[2].value = uptr(v);
	ops[2].value_len = 10;
	ops[3].op = CMAP_OP_GET;
	ops[3].key_len = key_of(6, keys[2]);
	ops[3].key = uptr(keys[2]);
	ops[3].value = uptr(guard + 3 * PG);
	ops[3].value_len = 4096;
}

static void test_batch(void)
{
	struct cmap_batch_op ops[4], *op;
	struct cmap_batch tmpl, bt;
	char keys[3][64];
	struct req r = {
		REQ("BATCH", CMAP_IOC_BATCH, tmpl),
		.rsv = { { offsetof(struct cmap_batch, reserved), 16 } },
		.nrsv = 1, .writes_back = true, .mutates = true,
	};
	struct {
		const char *what;
		size_t off;
		__u32 val;
	} bad_op[] = {
		{ "op=0", offsetof(struct cmap_batch_op, op), 0 },
		{ "op=CLEAR", offsetof(struct cmap_batch_op, op), CMAP_OP_CLEAR },
		{ "op=5", offsetof(struct cmap_batch_op, op), 5 },
		{ "op=0xffffffff", offsetof(struct cmap_batch_op, op), 0xffffffff },
		{ "reserved=1", offsetof(struct cmap_batch_op, reserved), 1 },
		{ "reserved=1<<31", offsetof(struct cmap_batch_op, reserved), 1U << 31 },
		{ "flags=3", offsetof(struct cmap_batch_op, flags), 3 },
		{ "flags=1<<31", offsetof(struct cmap_batch_op, flags), 1U << 31 },
		{ "key_len=0", offsetof(struct cmap_batch_op, key_len), 0 },
		{ "key_len=65", offsetof(struct cmap_batch_op, key_len), 65 },
		{ "key_len=0xffffffff", offsetof(struct cmap_batch_op, key_len), 0xffffffff },
		{ "value_len=4097", offsetof(struct cmap_batch_op, value_len), 4097 },
		{ "value_len=0xffffffff", offsetof(struct cmap_batch_op, value_len), 0xffffffff },
	};
	static const __u32 bad_count[] = { 0, CMAP_BATCH_MAX + 1, 0x10000, 0xffffffff };
	const size_t ops_off = offsetof(struct cmap_batch, ops);
	size_t i, j;
	int rc;

	batch_ops_tmpl(ops, keys);
	req_zero(&tmpl, sizeof(tmpl));
	tmpl.ops = uptr(ops);
	tmpl.count = 4;
	struct_tests(&r);
	bad_u32_tests(&r, offsetof(struct cmap_batch, count), "count", bad_count,
		      ARRAY_LEN(bad_count), false);
	bad_ptr_tests(&r, ops_off, 0, "ops");
	/* the ops array: read-only (results are written back) */
	readonly_ptr_test(&r, ops_off, ops, sizeof(ops),
			  "ops array in a read-only mapping (results written back)");
	/* the ops array running into an unmapped page, at each op */
	for (j = 1; j <= 4; j++) {
		char *p = gend - j * sizeof(*ops) + 8;

		memcpy(p, ops, j * sizeof(*ops) - 8);
		expect_field(&r, ops_off, 8, uptr(p), EFAULT,
			     "BATCH: op %zu of 4 straddles an unmapped page",
			     j - 1);
	}
	/* count larger than the array: the rest is in the guard page */
	{
		char *p = gend - 4 * sizeof(*ops);

		memcpy(p, ops, sizeof(ops));
		bt = tmpl;
		bt.ops = uptr(p);
		bt.count = 5;
		expect(cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt), EFAULT,
		       "BATCH: count=5 for a 4-op array before an unmapped page");
	}
	/* one malformed op, at each position: nothing at all is carried out */
	for (i = 0; i < ARRAY_LEN(bad_op); i++) {
		for (j = 0; j < 4; j++) {
			struct cmap_batch_op m[4];

			memcpy(m, ops, sizeof(m));
			op = &m[j];
			/* GET takes any value_len (its buffer's size) */
			if (op->op == CMAP_OP_GET &&
			    bad_op[i].off == offsetof(struct cmap_batch_op, value_len))
				continue;
			*(__u32 *)((char *)op + bad_op[i].off) = bad_op[i].val;
			expect_field(&r, ops_off, 8, uptr(m), EINVAL,
				     "BATCH: op %zu malformed (%s)", j,
				     bad_op[i].what);
		}
	}
	/* DELETE with a value, GET with flags */
	{
		struct cmap_batch_op m[4];

		memcpy(m, ops, sizeof(m));
		m[1].value = uptr(keys[0]);
		bt = tmpl;
		bt.ops = uptr(m);
		expect(cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt), EINVAL,
		       "BATCH: DELETE op with value != 0");
		memcpy(m, ops, sizeof(m));
		m[1].value_len = 5;
		expect(cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt), EINVAL,
		       "BATCH: DELETE op with value_len != 0");
		memcpy(m, ops, sizeof(m));
		m[3].flags = 1;
		expect(cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt), EINVAL,
		       "BATCH: GET op with flags != 0");
	}
	/* a batch whose ops all fail: per-op errors, table unchanged */
	{
		struct cmap_batch_op m[4];

		memcpy(m, ops, sizeof(m));
		m[0].key = 0;				/* -EFAULT */
		m[1].key = uptr("absent");		/* -ENOENT */
		m[1].key_len = 6;
		m[2].key = uptr("absent");		/* PUT EXIST: -ENOENT */
		m[2].key_len = 6;
		m[3].value_len = 3;			/* -ENOBUFS */
		bt = tmpl;
		bt.ops = uptr(m);
		rc = cmapc_ioctl(fd, CMAP_IOC_BATCH, &bt);
		expect(rc, 0, "BATCH of four failing ops");
		tap(bt.done == 4 && m[0].result == -EFAULT && m[1].result == -ENOENT &&
		    m[2].result == -ENOENT && m[3].result == -ENOBUFS &&
		    m[3].value_len == 256,
		    "BATCH per-op results: done=%u %s %s %s %s (value_len %u)",
		    bt.done, ename(m[0].result), ename(m[1].result),
		    ename(m[2].result), ename(m[3].result), m[3].value_len);
	}
}

/* -------------------------------------------------------------- ITER */
static void test_iter(void)
{
	struct cmap_iter tmpl, it;
	struct req r = {
		REQ("ITER", CMAP_IOC_ITER, tmpl),
		.rsv = { { offsetof(struct cmap_iter, pad), 4 },
			 { offsetof(struct cmap_iter, reserved), 16 } },
		.nrsv = 2, .writes_back = true,
	};
	char *buf = malloc(CMAP_ITER_BUF_MAX);
	static const __u64 bad_cursor[] = { CMAP_ITER_DONE + 1, 1ULL << 33,
					    ~0ULL };
	const size_t len_off = offsetof(struct cmap_iter, buf_len);
	struct req r64k = r;	/* the template with a 64 KiB buffer */
	size_t i;

	req_zero(&tmpl, sizeof(tmpl));
	tmpl.buf = uptr(buf);
	tmpl.buf_len = CMAP_ITER_BUF_MAX;
	struct_tests(&r);
	expect_field(&r, len_off, 4, 0, EINVAL, "ITER: buf_len=0");
	expect_field(&r, len_off, 4, CMAP_ITER_BUF_MAX + 1, EINVAL,
		     "ITER: buf_len=1MiB+1");
	expect_field(&r, len_off, 4, 0xffffffff, EINVAL, "ITER: buf_len=0xffffffff");
	for (i = 0; i < ARRAY_LEN(bad_cursor); i++)
		expect_field(&r, offsetof(struct cmap_iter, cursor), 8,
			     bad_cursor[i], EINVAL, "ITER: cursor=%#llx",
			     (unsigned long long)bad_cursor[i]);
	bad_ptr_tests(&r, offsetof(struct cmap_iter, buf), 0, "buffer");
	it = tmpl;
	it.buf_len = 65536;
	r64k.tmpl = &it;
	readonly_ptr_test(&r64k, offsetof(struct cmap_iter, buf), buf, 65536,
			  "buffer in a read-only mapping");
	/*
	 * Only the first 256 bytes mapped: every record of the table (about
	 * 1 KiB each) runs into the unmapped page, however many records the
	 * first chunk of buckets holds.
	 */
	it = tmpl;
	it.buf = uptr(gend - 256);
	it.buf_len = 4 * PG;
	expect(cmapc_ioctl(fd, CMAP_IOC_ITER, &it), EFAULT,
	       "ITER: buffer running into an unmapped page");
	it = tmpl;
	it.buf_len = 8;
	expect(cmapc_ioctl(fd, CMAP_IOC_ITER, &it), ENOBUFS, "ITER: 8-byte buffer");
	tap(it.bytes > 8 && it.count == 0 && it.cursor < CMAP_ITER_DONE,
	    "ITER -ENOBUFS: needs %u bytes, count %u, cursor %#llx",
	    it.bytes, it.count, (unsigned long long)it.cursor);
	it = tmpl;
	it.cursor = CMAP_ITER_DONE;
	expect(cmapc_ioctl(fd, CMAP_IOC_ITER, &it), 0, "ITER at CMAP_ITER_DONE");
	tap(it.count == 0 && it.cursor == CMAP_ITER_DONE,
	    "ITER at the end returns nothing (count %u)", it.count);
	free(buf);
}

/* ------------------------------------------------------------- STATS */
static void test_stats(void)
{
	struct cmap_stats tmpl;
	struct req r = {
		REQ("STATS", CMAP_IOC_STATS, tmpl),
		.rsv = { { offsetof(struct cmap_stats, reserved),
			   sizeof(tmpl.reserved) } },
		.nrsv = 1, .writes_back = true,
	};

	req_zero(&tmpl, sizeof(tmpl));
	struct_tests(&r);
	expect_field(&r, offsetof(struct cmap_stats, id), 4, 0x7fffffff, ENOENT,
		     "STATS: id of no table");
	expect_field(&r, offsetof(struct cmap_stats, id), 4, 0xffffffff, ENOENT,
		     "STATS: id=0xffffffff");
}

/* -------------------------------------------------------------- LIST */
static void test_list(void)
{
	struct cmap_table_info tabs[8] = {};
	struct cmap_list tmpl, l;
	struct req r = {
		REQ("LIST", CMAP_IOC_LIST, tmpl),
		.rsv = { { offsetof(struct cmap_list, reserved), 16 } },
		.nrsv = 1, .writes_back = true,
	};

	req_zero(&tmpl, sizeof(tmpl));
	tmpl.tables = uptr(tabs);
	tmpl.count = 8;
	struct_tests(&r);
	expect_field(&r, offsetof(struct cmap_list, count), 4, 65537, EINVAL,
		     "LIST: count=65537");
	expect_field(&r, offsetof(struct cmap_list, count), 4, 0xffffffff, EINVAL,
		     "LIST: count=0xffffffff");
	bad_ptr_tests(&r, offsetof(struct cmap_list, tables), 0, "array");
	readonly_ptr_test(&r, offsetof(struct cmap_list, tables), tabs,
			  sizeof(tabs), "array in a read-only mapping");
	/* count 0 with any pointer: only the total */
	l = tmpl;
	l.tables = KERNEL_DIRECT_MAP;
	l.count = 0;
	expect(cmapc_ioctl(fd, CMAP_IOC_LIST, &l), 0, "LIST: count=0, pointer ignored");
	tap(l.count == 0 && l.total >= 2, "LIST count=0 reports total %u", l.total);
	/* the largest valid count */
	{
		struct cmap_table_info *big = calloc(65536, sizeof(*big));

		l = tmpl;
		l.tables = uptr(big);
		l.count = 65536;
		expect(cmapc_ioctl(fd, CMAP_IOC_LIST, &l), 0, "LIST: count=65536");
		free(big);
	}
}

/* ------------------------------------------------------------- BENCH */
/*
 * The benchmark runs on private tables, but its request is validated like
 * the others: every field out of range is -EINVAL before anything runs
 * (the guard: the bound table is unchanged), a workload beyond half of RAM
 * is -ENOMEM, bad result pointers are -EFAULT.  Valid variants run for
 * 1 ms on 16 keys.
 */
static void test_bench(void)
{
	struct cmap_bench_result res[4];
	struct cmap_bench tmpl, b;
	struct req r = {
		REQ("BENCH", CMAP_IOC_BENCH, tmpl),
		.flags_ok_mask = CMAP_BENCH_NO_PRELOAD | CMAP_BENCH_GROWTH |
				 CMAP_BENCH_INLINE,
		.rsv = { { offsetof(struct cmap_bench, reserved), 32 } },
		.nrsv = 1, .writes_back = true,
	};
	static const struct {
		const char *what;
		size_t off;
		__u32 val;
		int err;
	} fields[] = {
#define BF(f, v, e) { #f "=" #v, offsetof(struct cmap_bench, f), v, e }
		BF(modes, 0, EINVAL),
		BF(modes, 1U << CMAP_MODE_COUNT, EINVAL),
		BF(modes, 1U << 30, EINVAL),
		BF(modes, 0xffffffff, EINVAL),
		BF(threads, 0, EINVAL),
		BF(threads, CMAP_BENCH_MAX_THREADS + 1, EINVAL),
		BF(threads, 0xffffffff, EINVAL),
		BF(duration_ms, 0, EINVAL),
		BF(duration_ms, 600001, EINVAL),
		BF(duration_ms, 0xffffffff, EINVAL),
		BF(read_pct, 101, EINVAL),
		BF(read_pct, 0xffffffff, EINVAL),
		BF(keys, 0, EINVAL),
		BF(keys, (1U << 24) + 1, EINVAL),
		BF(keys, 0xffffffff, EINVAL),
		BF(dist, CMAP_DIST_ZIPF + 1, EINVAL),
		BF(dist, 0xffffffff, EINVAL),
		BF(zipf_theta_milli, 1000, EINVAL),
		BF(zipf_theta_milli, 0xffffffff, EINVAL),
		BF(value_size, CMAP_VALUE_MAX + 1, EINVAL),
		BF(value_size, 0xffffffff, EINVAL),
		BF(nresults, 0, EINVAL),
		BF(nresults, 1, EINVAL),	/* two backends selected */
#undef BF
	};
	const size_t res_off = offsetof(struct cmap_bench, results);
	size_t i;
	int rc;

	t_bench_req(&tmpl, 1, 1, 16, 8, res, ARRAY_LEN(res));
	b = tmpl;
	rc = cmapc_ioctl(fd, CMAP_IOC_BENCH, &b);
	if (rc == -ENOTTY) {
		diag("CMAP_IOC_BENCH: -ENOTTY (not in this module): skipped");
		return;
	}
	tap(rc == 0 && b.nresults == 2, "BENCH: the template runs (%s, %u results)",
	    ename(rc), b.nresults);
	struct_tests(&r);
	for (i = 0; i < ARRAY_LEN(fields); i++)
		expect_field(&r, fields[i].off, 4, fields[i].val, fields[i].err,
			     "BENCH: %s", fields[i].what);
	expect_field(&r, res_off, 8, 0, EINVAL, "BENCH: results=NULL");
	/* 16M keys of 4 KiB for two backends: far beyond half of RAM */
	b = tmpl;
	b.keys = 1U << 24;
	b.value_size = CMAP_VALUE_MAX;
	expect(cmapc_ioctl(fd, CMAP_IOC_BENCH, &b), ENOMEM,
	       "BENCH: 16M keys of 4 KiB (beyond half of RAM)");
	/* results the kernel cannot write (NULL is above): after the run, -EFAULT */
	bad_ptr_tests(&r, res_off, 1, "results");
	readonly_ptr_test(&r, res_off, res, sizeof(res),
			  "results in a read-only mapping");
}

/* ------------------------------------------------- CREATE, OPEN, DESTROY */
static const char *const bad_names[] = {
	"",			/* empty */
	"has space",
	"slash/name",
	"tab\tname",
	"del\x7fname",
	"hi\x80gh",
	"\xff",
	"nl\n",
};

static void name_tests(const char *cmdname, unsigned long cmd, void *tmpl,
		       size_t size, size_t name_off, int empty_errno)
{
	unsigned char m[256];
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad_names); i++) {
		memcpy(m, tmpl, size);
		memset(m + name_off, 0, CMAP_NAME_LEN);
		memcpy(m + name_off, bad_names[i], strlen(bad_names[i]));
		expect(cmapc_ioctl(fd, cmd, m), i ? EINVAL : empty_errno,
		       "%s: name \"%s\"", cmdname, bad_names[i]);
	}
	/* 32 bytes without a NUL */
	memcpy(m, tmpl, size);
	memset(m + name_off, 'x', CMAP_NAME_LEN);
	expect(cmapc_ioctl(fd, cmd, m), EINVAL, "%s: name of 32 bytes, no NUL", cmdname);
	/* garbage after the NUL */
	for (i = 1; i < CMAP_NAME_LEN; i += 7) {
		memcpy(m, tmpl, size);
		m[name_off + CMAP_NAME_LEN - i] = 'z';
		if (m[name_off + CMAP_NAME_LEN - i - 1] == 0 ||
		    strnlen((char *)m + name_off, CMAP_NAME_LEN) <
		    CMAP_NAME_LEN - i)
			expect(cmapc_ioctl(fd, cmd, m), EINVAL,
			       "%s: name byte %zu after the NUL is non-zero",
			       cmdname, CMAP_NAME_LEN - i);
	}
}

static void test_create(void)
{
	struct cmap_create tmpl, c;
	struct req r = {
		REQ("CREATE", CMAP_IOC_CREATE, tmpl),
		.flags_ok_mask = CMAP_CREATE_INLINE,
		.rsv = { { offsetof(struct cmap_create, config.reserved), 32 },
			 { offsetof(struct cmap_create, pad), 4 },
			 { offsetof(struct cmap_create, reserved), 16 } },
		.nrsv = 3, .writes_back = true, .mutates = true,
	};
	static const __u32 bad_modes[] = { CMAP_MODE_COUNT, CMAP_MODE_COUNT + 1,
					   0x80000000, 0xffffffff };
	char nm[CMAP_NAME_LEN];
	int rc;

	name_of(nm, "hcr");
	req_zero(&tmpl, sizeof(tmpl));
	strcpy(tmpl.name, nm);
	tmpl.config.max_entries = 100;
	struct_tests(&r);
	name_tests("CREATE", CMAP_IOC_CREATE, &tmpl, sizeof(tmpl),
		   offsetof(struct cmap_create, name), EINVAL);
	bad_u32_tests(&r, offsetof(struct cmap_create, config.mode), "mode",
		      bad_modes, ARRAY_LEN(bad_modes), true);
	c = tmpl;
	strcpy(c.name, tname);
	expect(cmapc_ioctl(fd, CMAP_IOC_CREATE, &c), EEXIST, "CREATE: name taken");
	/* an older, shorter struct (without id/pad/reserved) still works */
	{
		int fd2 = dev_open();
		size_t old = offsetof(struct cmap_create, id);

		c = tmpl;
		c.size = old;
		c.id = 0xdeadbeef;
		rc = cmapc_ioctl(fd2, CMAP_IOC_CREATE, &c);
		tap(rc == 0 && c.id == 0xdeadbeef,
		    "CREATE: a %zu-byte struct (no id field) works, id not written (%s)",
		    old, ename(rc));
		rc = cmapc_destroy(fd2, nm, NULL);
		tap(rc == 0, "DESTROY of it (%s)", ename(rc));
		close(fd2);
	}
	rebase();
}

static void test_open_destroy(bool destroy)
{
	const char *cn = destroy ? "DESTROY" : "OPEN";
	unsigned long cmd = destroy ? CMAP_IOC_DESTROY : CMAP_IOC_OPEN;
	struct cmap_open tmpl, o;
	struct req r = {
		REQ(cn, cmd, tmpl),
		.rsv = { { offsetof(struct cmap_open, pad), 4 },
			 { offsetof(struct cmap_open, reserved), 16 } },
		.nrsv = 2, .writes_back = true, .mutates = true,
	};
	char nm[CMAP_NAME_LEN];

	req_zero(&tmpl, sizeof(tmpl));
	strcpy(tmpl.name, t2name);
	struct_tests(&r);
	/* an empty name selects by id: 0 is no table */
	name_tests(cn, cmd, &tmpl, sizeof(tmpl), offsetof(struct cmap_open, name),
		   ENOENT);
	/* by id, with garbage in the (empty) name */
	o = tmpl;
	memset(o.name, 0, sizeof(o.name));
	o.id = t2id;
	o.name[5] = 'x';
	expect(cmapc_ioctl(fd, cmd, &o), EINVAL, "%s: empty name with a byte set after it", cn);
	o.name[5] = 0;
	o.id = 0x7ffffff0;
	expect(cmapc_ioctl(fd, cmd, &o), ENOENT, "%s: id of no table", cn);
	o = tmpl;
	name_of(nm, "hnone");
	strcpy(o.name, nm);
	expect(cmapc_ioctl(fd, cmd, &o), ENOENT, "%s: name of no table", cn);
}

/* --------------------------------------------------------- the rest */
static void test_clear_and_cmds(void)
{
	static const struct {
		const char *what;
		unsigned long cmd;
	} bad_cmds[] = {
		{ "nr 0", _IOWR(CMAP_IOC_MAGIC, 0, struct cmap_kv) },
		{ "nr 14", _IOWR(CMAP_IOC_MAGIC, 14, struct cmap_kv) },
		{ "nr 64", _IOWR(CMAP_IOC_MAGIC, 64, struct cmap_kv) },
		{ "nr 255", _IOWR(CMAP_IOC_MAGIC, 255, struct cmap_kv) },
		{ "PUT as _IOR", _IOR(CMAP_IOC_MAGIC, 5, struct cmap_kv) },
		{ "PUT as _IOWR", _IOWR(CMAP_IOC_MAGIC, 5, struct cmap_kv) },
		{ "PUT as _IO", _IO(CMAP_IOC_MAGIC, 5) },
		{ "PUT as _IOR with size 16383",
		  _IOC(_IOC_READ, CMAP_IOC_MAGIC, 5, 16383) },
		{ "DELETE as _IOWR", _IOWR(CMAP_IOC_MAGIC, 7, struct cmap_kv) },
		{ "DELETE as _IOR", _IOR(CMAP_IOC_MAGIC, 7, struct cmap_kv) },
		{ "CLEAR as _IOW", _IOW(CMAP_IOC_MAGIC, 8, int) },
		{ "CREATE as _IOW", _IOW(CMAP_IOC_MAGIC, 1, struct cmap_create) },
		{ "DESTROY as _IOW", _IOW(CMAP_IOC_MAGIC, 3, struct cmap_kv) },
		{ "BATCH with dir none", _IOC(_IOC_NONE, CMAP_IOC_MAGIC, 9,
					      sizeof(struct cmap_batch)) },
		{ "VERSION as _IOR", _IOR(CMAP_IOC_MAGIC, 13,
					  struct cmap_version) },
		{ "type 0 nr 5", _IOW(0, 5, struct cmap_kv) },
		{ "type 'T' (tty) nr 5", _IOW('T', 5, struct cmap_kv) },
		{ "type 0xCB nr 8", _IO(0xCB, 8) },
		{ "FIONREAD", FIONREAD },
		{ "FIONBIO", FIONBIO },
	};
	size_t i;
	int rc, zero = 0;

	for (i = 0; i < ARRAY_LEN(bad_cmds); i++) {
		struct cmap_kv kv;
		char k[64];
		__u32 klen = key_of(2, k);

		/* an argument that would delete key 2 if taken as DELETE */
		t_kv(&kv, 0, k, klen, NULL, 0);
		rc = cmapc_ioctl(fd, bad_cmds[i].cmd,
			    bad_cmds[i].cmd == FIONBIO ? (void *)&zero : (void *)&kv);
		/* FIONBIO is handled by the VFS itself (0) */
		expect(rc, bad_cmds[i].cmd == FIONBIO ? 0 : ENOTTY, "ioctl %s (%#lx)",
		       bad_cmds[i].what, bad_cmds[i].cmd);
	}
	expect(cmapc_ioctl(fd, CMAP_IOC_CLEAR, (void *)1), EINVAL, "CLEAR with arg 1");
	expect(cmapc_ioctl(fd, CMAP_IOC_CLEAR, (void *)(uintptr_t)KERNEL_DIRECT_MAP),
	       EINVAL, "CLEAR with a kernel address as arg");
}

/* Data commands on an unbound file: -EBADFD; on a destroyed table: -EIDRM. */
static void data_cmds_fail(int f, int err, const char *state)
{
	char k[64], v[64], buf[256];
	struct cmap_batch_op op;
	struct cmap_batch bt;
	struct cmap_iter it;
	struct cmap_stats st;
	struct cmap_kv kv;
	__u32 klen = key_of(1, k);

	t_kv(&kv, 0, k, klen, v, 4);
	tap(cmapc_ioctl(f, CMAP_IOC_PUT, &kv) == -err, "PUT on %s: %s", state, ename(-err));
	t_kv(&kv, 0, k, klen, v, sizeof(v));
	tap(cmapc_ioctl(f, CMAP_IOC_GET, &kv) == -err, "GET on %s: %s", state, ename(-err));
	t_kv(&kv, 0, k, klen, NULL, 0);
	tap(cmapc_ioctl(f, CMAP_IOC_DELETE, &kv) == -err, "DELETE on %s", state);
	tap(cmapc_ioctl(f, CMAP_IOC_CLEAR, NULL) == -err, "CLEAR on %s", state);
	memset(&op, 0, sizeof(op));
	op.op = CMAP_OP_GET;
	op.key = uptr(k);
	op.key_len = klen;
	memset(&bt, 0, sizeof(bt));
	bt.size = sizeof(bt);
	bt.ops = uptr(&op);
	bt.count = 1;
	tap(cmapc_ioctl(f, CMAP_IOC_BATCH, &bt) == -err, "BATCH on %s", state);
	memset(&it, 0, sizeof(it));
	it.size = sizeof(it);
	tap(t_iter_next(f, &it, buf, sizeof(buf)) == -err, "ITER on %s", state);
	tap(cmapc_stats(f, 0, &st) == -err, "STATS id 0 on %s", state);
	/* the error comes before the argument is looked at */
	tap(cmapc_ioctl(f, CMAP_IOC_PUT, NULL) == -err, "PUT(NULL) on %s: %s first",
	    state, ename(-err));
}

static void test_unbound_dead(void)
{
	int f = dev_open(), g;
	char nm[CMAP_NAME_LEN];
	__u32 total;

	data_cmds_fail(f, EBADFD, "an unbound file");
	name_of(nm, "hdead");
	if (t_create(f, nm, 0, 0, 10, 0, NULL))
		bail("CREATE %s", nm);
	g = dev_open();
	if (cmapc_open(g, nm, NULL))
		bail("OPEN %s", nm);
	tap(cmapc_put(f, "a", 1, "b", 1, 0) == 0, "PUT into the table to destroy");
	tap(cmapc_destroy(g, nm, NULL) == 0, "DESTROY a table two files are bound to");
	data_cmds_fail(f, EIDRM, "a destroyed table (creator's file)");
	data_cmds_fail(g, EIDRM, "a destroyed table (destroyer's file)");
	tap(cmapc_open(g, nm, NULL) == -ENOENT, "OPEN of the destroyed name: -ENOENT");
	tap(cmapc_destroy(g, nm, NULL) == -ENOENT, "DESTROY again: -ENOENT");
	/* its name is free again; the old files stay dead */
	tap(t_create(g, nm, 0, 0, 10, 0, NULL) == 0, "CREATE the name again");
	data_cmds_fail(f, EIDRM, "a destroyed table after its name was reused");
	tap(cmapc_destroy(g, nm, NULL) == 0, "DESTROY the new one");
	close(f);
	close(g);
	t_list_total(fd, &total);
	tap(total == base.tables, "table count back to %u (got %u)", base.tables, total);
}

/* --------------------------------------------------------- final check */
static void verify_contents(void)
{
	char k[64], v[4096], out[4096];
	__u32 klen, vlen, olen, i, bad = 0;
	struct cmap_stats st;

	for (i = 0; i < NKEYS; i++) {
		klen = key_of(i, k);
		vlen = val_of(i, 0, v);
		olen = sizeof(out);
		if (cmapc_get(fd, k, klen, out, &olen) || olen != vlen ||
		    memcmp(out, v, vlen)) {
			if (bad++ < 5)
				diag("key %u: wrong or missing", i);
		}
	}
	cmapc_stats(fd, 0, &st);
	tap(!bad && st.entries == NKEYS,
	    "after everything the table holds exactly the %d keys put (bad %u, entries %llu)",
	    NKEYS, bad, (unsigned long long)st.entries);
}

int main(int argc, char **argv)
{
	char k[64], v[4096];
	__u32 i;
	int g;

	verbose = argc > 1 && !strcmp(argv[1], "-v");
	setvbuf(stdout, NULL, _IOLBF, 0);
	guard = guarded(4);
	gend = guard + 4 * PG;
	init_badptrs();
	fd = dev_open();
	name_of(tname, "hin");
	name_of(t2name, "hin2_");
	if (t_create(fd, tname, CMAP_MODE_RCU, 0, 100000, 0, &tid))
		bail("CREATE %s", tname);
	g = dev_open();
	if (t_create(g, t2name, CMAP_MODE_RCU, 0, 100, 0, &t2id))
		bail("CREATE %s", t2name);
	close(g);
	for (i = 0; i < NKEYS; i++) {
		__u32 klen = key_of(i, k), vlen = val_of(i, 0, v);

		if (cmapc_put(fd, k, klen, v, vlen, CMAP_PUT_NOEXIST))
			bail("PUT key %u", i);
	}
	rebase();
	diag("table %s (id %u): %zu records, %llu bytes; kernel text at %#llx",
	     tname, tid, base.n, (unsigned long long)base.bytes,
	     (unsigned long long)kernel_text_addr());

#define SECTION(fn) do {						\
		int c0 = tap_count, f0 = tap_failed, n0 = nfail_cases;	\
		fn;							\
		tap(tap_failed == f0, "%s: %d failing requests, each with its errno and no change (%d checks)", \
		    #fn, nfail_cases - n0, tap_count - c0);		\
	} while (0)

	SECTION(test_put());
	SECTION(test_get());
	SECTION(test_delete());
	SECTION(test_batch());
	SECTION(test_iter());
	SECTION(test_stats());
	SECTION(test_list());
	SECTION(test_bench());
	SECTION(test_create());
	SECTION(test_open_destroy(false));
	SECTION(test_open_destroy(true));
	SECTION(test_clear_and_cmds());
	SECTION(test_unbound_dead());
	verify_contents();
	/* the second table survived every DESTROY attempt */
	g = dev_open();
	tap(cmapc_open(g, t2name, NULL) == 0, "the DESTROY target survived all bad DESTROYs");
	cmapc_destroy(g, t2name, NULL);
	close(g);
	tap(cmapc_destroy(fd, tname, NULL) == 0, "DESTROY the test table");
	diag("%d failing requests checked", nfail_cases);
	return tap_exit("hard_input");
}
