// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's hash of a key in a table created with test_hash_key, from
 * the one userspace SipHash of the tree (tests/shim/siphash.c, checked
 * against the reference vectors by the unit tests).  Compiled with the
 * shim's headers; see hard.h.
 */
#include <linux/siphash.h>
#include <stdint.h>

uint32_t cmap_test_hash(const void *key, size_t len, uint64_t test_key);

uint32_t cmap_test_hash(const void *key, size_t len, uint64_t test_key)
{
	hsiphash_key_t k = { { test_key, ~test_key } };

	return hsiphash(key, len, &k);
}
