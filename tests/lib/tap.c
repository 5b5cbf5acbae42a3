// SPDX-License-Identifier: GPL-2.0
/* TAP output of the C test helpers.  See tap.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int tap_count, tap_failed;

void __attribute__((format(printf, 2, 3)))
tap(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	tap_count++;
	if (!cond)
		tap_failed++;
}

void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void __attribute__((noreturn, format(printf, 1, 2)))
bail(const char *fmt, ...)
{
	va_list ap;

	fputs("not ok - ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (cannot continue)\n");
	fflush(stdout);
	exit(1);
}

int tap_exit(const char *prog)
{
	diag("%s: %d checks, %d failed", prog, tap_count, tap_failed);
	return tap_failed ? 1 : 0;
}

int run_part(int argc, char **argv, const char *prog,
	     const struct hard_part *parts, size_t n, const char *usage)
{
	const char *what = argc > 1 ? argv[1] : "";
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		if (strcmp(what, parts[i].name) || argc - 2 < parts[i].min_args)
			continue;
		if (parts[i].run)
			parts[i].run();
		else
			parts[i].run_args(argc - 2, argv + 2);
		return tap_exit(prog);
	}
	fprintf(stderr, "usage: %s %s\n", prog, usage);
	return 2;
}
