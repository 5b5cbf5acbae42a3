/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_rand: fast per-thread random numbers for load generators.
 *
 *  - splitmix64 (Steele, Lea, Flood): one 64-bit state word per thread.
 *  - uniform integers in [0, n) by Lemire's multiply-shift.
 *  - Zipfian integers in [0, n) by Gray et al.'s method ("Quickly
 *    generating billion-record synthetic databases", SIGMOD 1994), as in
 *    YCSB's ZipfianGenerator: O(1) per draw after zeta(n, theta) is
 *    computed once; item 0 is the most popular.
 */
#ifndef CMAP_RAND_H
#define CMAP_RAND_H

#include <math.h>
#include <stdint.h>

static inline uint64_t cmap_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) */
static inline uint64_t cmap_rand_below(uint64_t *state, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)cmap_rand_next(state) * n) >> 64);
}

/* uniform in [0, 1) */
static inline double cmap_rand_double(uint64_t *state)
{
	return (double)(cmap_rand_next(state) >> 11) * 0x1.0p-53;
}

struct cmap_zipf {
	uint64_t n;
	double theta;
	double alpha;		/* 1 / (1 - theta) */
	double zetan;		/* zeta(n, theta) */
	double eta;
	double half_pow_theta;	/* 1 + 0.5^theta */
};

/*
 * zeta(n, theta) = sum_{i=1..n} i^-theta.  Exact up to 2^20 terms, then the
 * Euler-Maclaurin formula for the tail (relative error far below 1e-12), so
 * it is fast for any n.
 */
static inline double cmap_zeta(uint64_t n, double theta)
{
	const uint64_t exact = 1ULL << 20;
	uint64_t m = n < exact ? n : exact, i;
	double sum = 0, a, b;

	for (i = 1; i <= m; i++)
		sum += pow((double)i, -theta);
	if (n <= m)
		return sum;
	/* sum_{i=a..b} f(i) ~ int_a^b f + (f(a) + f(b))/2 + (f'(b) - f'(a))/12 */
	a = (double)(m + 1);
	b = (double)n;
	sum += (pow(b, 1 - theta) - pow(a, 1 - theta)) / (1 - theta);
	sum += (pow(a, -theta) + pow(b, -theta)) / 2;
	sum += (-theta * pow(b, -theta - 1) + theta * pow(a, -theta - 1)) / 12;
	return sum;
}

/* 0 < theta < 1, n >= 1 */
static inline void cmap_zipf_init(struct cmap_zipf *z, uint64_t n, double theta)
{
	double zeta2 = cmap_zeta(2, theta);

	z->n = n;
	z->theta = theta;
	z->alpha = 1.0 / (1.0 - theta);
	z->zetan = cmap_zeta(n, theta);
	z->half_pow_theta = 1.0 + pow(0.5, theta);
	z->eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) /
		 (1.0 - zeta2 / z->zetan);
}

static inline uint64_t cmap_zipf_next(const struct cmap_zipf *z, uint64_t *state)
{
	double u = cmap_rand_double(state);
	double uz = u * z->zetan;
	uint64_t v;

	if (uz < 1.0 || z->n == 1)
		return 0;
	if (uz < z->half_pow_theta)
		return 1;
	v = (uint64_t)((double)z->n * pow(z->eta * u - z->eta + 1.0, z->alpha));
	return v < z->n ? v : z->n - 1;
}

#endif /* CMAP_RAND_H */
