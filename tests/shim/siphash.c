// SPDX-License-Identifier: GPL-2.0
/*
 * SipHash (Aumasson and Bernstein, "SipHash: a fast short-input PRF"), in
 * the two variants the kernel's lib/siphash.c offers on 64-bit machines:
 * siphash() is SipHash-2-4; hsiphash() is SipHash-1-3 with its 64-bit
 * result truncated to 32 bits.
 */
#include <endian.h>
#include <string.h>
#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/siphash.h>

#define SIPROUND do {							\
	v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);	\
	v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);	\
} while (0)

static inline __attribute__((__always_inline__)) u64
sip(const u8 *data, size_t len, u64 k0, u64 k1, int c, int d)
{
	u64 v0 = 0x736f6d6570736575ULL ^ k0;	/* "somepseudorandomlygeneratedbytes" */
	u64 v1 = 0x646f72616e646f6dULL ^ k1;
	u64 v2 = 0x6c7967656e657261ULL ^ k0;
	u64 v3 = 0x7465646279746573ULL ^ k1;
	u64 b = (u64)len << 56, m;
	const u8 *end = data + len - (len % 8);
	int i;

	for (; data != end; data += 8) {
		memcpy(&m, data, 8);
		m = le64toh(m);
		v3 ^= m;
		for (i = 0; i < c; i++)
			SIPROUND;
		v0 ^= m;
	}
	switch (len & 7) {
	case 7: b |= (u64)end[6] << 48; fallthrough;
	case 6: b |= (u64)end[5] << 40; fallthrough;
	case 5: b |= (u64)end[4] << 32; fallthrough;
	case 4: b |= (u64)end[3] << 24; fallthrough;
	case 3: b |= (u64)end[2] << 16; fallthrough;
	case 2: b |= (u64)end[1] << 8; fallthrough;
	case 1: b |= end[0];
	}
	v3 ^= b;
	for (i = 0; i < c; i++)
		SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	for (i = 0; i < d; i++)
		SIPROUND;
	return (v0 ^ v1) ^ (v2 ^ v3);
}

u64 siphash(const void *data, size_t len, const siphash_key_t *key)
{
	return sip(data, len, key->key[0], key->key[1], 2, 4);
}

u32 hsiphash(const void *data, size_t len, const hsiphash_key_t *key)
{
	return (u32)sip(data, len, key->key[0], key->key[1], 1, 3);
}
