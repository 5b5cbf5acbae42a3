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
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cmap.h>

static int dev_open(void)
{
	int fd = open(CMAP_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "cmap_helper: open %s: %s\n", CMAP_DEVICE,
			strerror(errno));
		exit(1);
	}
	return fd;
}

static void xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(fd, cmd, arg) < 0) {
		fprintf(stderr, "cmap_helper: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static void set_name(char *dst, const char *name)
{
	if (strlen(name) >= CMAP_NAME_LEN) {
		fprintf(stderr, "cmap_helper: name too long\n");
		exit(1);
	}
	memset(dst, 0, CMAP_NAME_LEN);
	strcpy(dst, name);
}

static int fill(const char *name, unsigned long count)
{
	static unsigned char val[CMAP_VALUE_MAX];
	struct cmap_create c;
	unsigned long i;
	int fd = dev_open();

	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	set_name(c.name, name);
	xioctl(fd, CMAP_IOC_CREATE, &c, "CREATE");
	memset(val, 'v', sizeof(val));
	for (i = 0; i < count; i++) {
		unsigned char key[CMAP_KEY_MAX];
		struct cmap_kv kv;
		unsigned int klen = 1 + i % CMAP_KEY_MAX;

		/* unique: the index's 8 bytes, then 'k' padding */
		memset(key, 'k', sizeof(key));
		memcpy(key, &i, sizeof(i));
		if (klen < sizeof(i))
			klen = sizeof(i);
		memset(&kv, 0, sizeof(kv));
		kv.size = sizeof(kv);
		kv.key = (__u64)(unsigned long)key;
		kv.key_len = klen;
		kv.value = (__u64)(unsigned long)val;
		kv.value_len = (i * 97) % (CMAP_VALUE_MAX + 1);
		xioctl(fd, CMAP_IOC_PUT, &kv, "PUT");
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
	struct cmap_open o;
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
		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		set_name(o.name, argv[2]);
		if (argv[1][0] == 'd') {
			xioctl(fd, CMAP_IOC_DESTROY, &o, "DESTROY");
			return 0;
		}
		xioctl(fd, CMAP_IOC_OPEN, &o, "OPEN");
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		xioctl(fd, CMAP_IOC_STATS, &st, "STATS");
		printf("%llu\n", (unsigned long long)st.entries);
		return 0;
	}
	fprintf(stderr,
		"usage: cmap_helper fill|hold NAME COUNT | holdopen | destroy NAME | entries NAME\n");
	return 2;
}
