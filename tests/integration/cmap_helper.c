// SPDX-License-Identifier: GPL-2.0
/*
 * cmap_helper: small actions on /dev/cmap for tests/integration/run.sh.
 *
 *   cmap_helper fill NAME COUNT     create table NAME, put COUNT entries of
 *                                   assorted sizes, exit (the table stays)
 *   cmap_helper hold NAME COUNT     the same, then print "ready", keep the
 *                                   file bound until stdin reaches EOF
 *   cmap_helper holdopen            open /dev/cmap unbound, print "ready",
 *                                   keep it open until stdin reaches EOF
 *   cmap_helper destroy NAME        destroy table NAME
 *   cmap_helper entries NAME        print the entry count of table NAME
 *
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcmap.h"

/* Ends the program if @rc (0 or -errno of @cmd on table @name) failed. */
static void check(int rc, unsigned long cmd, const char *name)
{
	char msg[160];

	if (rc >= 0)
		return;
	fprintf(stderr, "cmap_helper: %s: %s\n", cmapc_cmd_name(cmd),
		cmapc_errmsg(msg, sizeof(msg), cmd, 0, rc, name));
	exit(1);
}

static int dev_open(void)
{
	int fd = cmapc_dev_open(NULL);

	check(fd, CMAPC_CMD_DEVOPEN, NULL);
	return fd;
}

static int fill(const char *name, unsigned long count)
{
	static unsigned char val[CMAP_VALUE_MAX];
	unsigned long i;
	int fd = dev_open();

	check(cmapc_create(fd, name, NULL, NULL), CMAP_IOC_CREATE, name);
	memset(val, 'v', sizeof(val));
	for (i = 0; i < count; i++) {
		unsigned char key[CMAP_KEY_MAX];
		unsigned int klen = 1 + i % CMAP_KEY_MAX;

		/* unique: the index's 8 bytes, then 'k' padding */
		memset(key, 'k', sizeof(key));
		memcpy(key, &i, sizeof(i));
		if (klen < sizeof(i))
			klen = sizeof(i);
		check(cmapc_put(fd, key, klen, val,
				(i * 97) % (CMAP_VALUE_MAX + 1), CMAP_PUT_ANY),
		      CMAP_IOC_PUT, name);
	}
	return fd;
}

static void wait_eof(void)
{
	char buf[64];

	printf("ready\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	struct cmap_stats st;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "fill")) {
		fd = fill(argv[2], strtoul(argv[3], NULL, 0));
		close(fd);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "hold")) {
		fd = fill(argv[2], strtoul(argv[3], NULL, 0));
		wait_eof();
		close(fd);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "holdopen")) {
		fd = dev_open();
		wait_eof();
		close(fd);
		return 0;
	}
	if (argc == 3 && (!strcmp(argv[1], "destroy") ||
			  !strcmp(argv[1], "entries"))) {
		fd = dev_open();
		if (argv[1][0] == 'd') {
			check(cmapc_destroy(fd, argv[2], NULL),
			      CMAP_IOC_DESTROY, argv[2]);
			return 0;
		}
		check(cmapc_open(fd, argv[2], NULL), CMAP_IOC_OPEN, argv[2]);
		check(cmapc_stats(fd, 0, &st), CMAP_IOC_STATS, argv[2]);
		printf("%llu\n", (unsigned long long)st.entries);
		return 0;
	}
	fprintf(stderr,
		"usage: cmap_helper fill|hold NAME COUNT | holdopen | destroy NAME | entries NAME\n");
	return 2;
}
