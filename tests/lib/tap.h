/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests/lib/tap.h: TAP output of the C test helpers (hardening, fuzzer).
 *
 * Lines without numbers ("ok - ..." / "not ok - ..." / "# ..."): the
 * guest scripts (tests/guest.d/NN-hardening-*, tests/hardening/lib.sh)
 * number the lines of all their helpers together.
 */
#ifndef CMAP_TEST_TAP_H
#define CMAP_TEST_TAP_H

#include <stddef.h>

/* Checks reported so far, and how many of them failed. */
extern int tap_count, tap_failed;

/* "ok - <what>" if @cond, else "not ok - <what>". */
void __attribute__((format(printf, 2, 3)))
tap(int cond, const char *fmt, ...);

/* "# <what>" */
void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...);

/* "not ok - <what> (cannot continue)", then exit(1). */
void __attribute__((noreturn, format(printf, 1, 2)))
bail(const char *fmt, ...);

/* A summary diag line; the exit status: 1 if a check failed, else 0. */
int tap_exit(const char *prog);

/*
 * One part of a helper that runs a part per process: argv[1] names it;
 * @run, or @run_args with the arguments after the name (at least
 * @min_args of them), runs it.
 */
struct hard_part {
	const char *name;
	void (*run)(void);
	void (*run_args)(int argc, char **argv);
	int min_args;
};

/* Runs the part argv[1] names, then tap_exit(); if none: usage, 2. */
int run_part(int argc, char **argv, const char *prog,
	     const struct hard_part *parts, size_t n, const char *usage);

#endif /* CMAP_TEST_TAP_H */
