// SPDX-License-Identifier: GPL-2.0
/*
 * hard_perm: who may use /dev/cmap and the module's knobs.
 *
 *  - an unprivileged user (nobody) gets EACCES opening /dev/cmap in any
 *    mode, and cannot write the module parameters or fail_nth, nor read
 *    test_hash_key;
 *  - with the udev rule of docs/hardening.md (group cmap, mode 0660) a
 *    member of the group can use the device, a non-member still cannot;
 *  - a file opened by root stays usable after the process drops its
 *    privileges (access is checked at open, as for every device), but
 *    BENCH needs CAP_SYS_ADMIN (EPERM).
 *
 * Runs as root; the checks run in children that setuid().
 *
 *   hard_perm
 */
#include "hard.h"

#include <grp.h>
#include <sys/stat.h>

#define NOBODY 65534
#define TEST_GID 4242

/* Runs @fn in a child with uid/gid @uid and supplementary groups @groups. */
static int as_user(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
		   int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		bail("fork: %s", strerror(errno));
	if (!pid) {
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
			_exit(100);
		if (!setuid(0))	/* must not get root back */
			_exit(101);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Exit status: the errno of open(/dev/cmap, flags), 0 if it opened. */
static int try_open(void *arg)
{
	int flags = *(int *)arg;
	int fd = open(CMAP_DEVICE, flags);

	return fd < 0 ? errno : 0;
}

/* Exit status: errno of writing/reading @path, 0 on success. */
static int try_write(void *arg)
{
	int rc = write_file(arg, "1");

	return rc < 0 ? -rc : 0;
}

static int try_read(void *arg)
{
	char buf[64];
	int fd = open(arg, O_RDONLY), n;

	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n < 0 ? errno : 0;
}

/* Uses an inherited fd: CREATE, PUT, GET, DESTROY; 0 if all worked. */
static int use_fd(void *arg)
{
	int fd = *(int *)arg;
	char nm[CMAP_NAME_LEN], out[8];
	__u32 olen = sizeof(out);

	name_of(nm, "hperm");
	if (t_create(fd, nm, 0, 0, 10, 0, NULL))
		return 1;
	if (cmapc_put(fd, "k", 1, "v", 1, 0) || cmapc_get(fd, "k", 1, out, &olen) ||
	    olen != 1 || out[0] != 'v')
		return 2;
	return cmapc_destroy(fd, nm, NULL) ? 3 : 0;
}

/* Exit status: the errno of a valid 1 ms BENCH on an inherited fd. */
static int try_bench(void *arg)
{
	struct cmap_bench_result res[1];
	struct cmap_bench b = {
		.size = sizeof(b), .modes = 1U << CMAP_MODE_RCU, .threads = 1,
		.duration_ms = 1, .read_pct = 90, .keys = 16, .value_size = 8,
		.nresults = 1, .results = uptr(res),
	};

	return -cmapc_ioctl(*(int *)arg, CMAP_IOC_BENCH, &b);
}

static int use_dev(void *arg)
{
	int fd = open(CMAP_DEVICE, O_RDWR);

	(void)arg;
	if (fd < 0)
		return 200;
	return use_fd(&fd);
}

int main(void)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	static const char *const mname[] = { "O_RDWR", "O_RDONLY", "O_WRONLY" };
	static const char *const params[] = {
		"default_max_entries", "default_max_bytes", "max_memory",
		"max_chain", "max_tables", "test_hash_key",
	};
	gid_t grp = TEST_GID;
	struct stat st;
	char path[128];
	size_t i;
	int rc, fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (stat(CMAP_DEVICE, &st))
		bail("stat %s", CMAP_DEVICE);
	tap((st.st_mode & 07777) == 0600 && st.st_uid == 0 && st.st_gid == 0,
	    "/dev/cmap is 0600 root:root (%o %u:%u)", st.st_mode & 07777,
	    st.st_uid, st.st_gid);
	for (i = 0; i < ARRAY_LEN(modes); i++) {
		rc = as_user(NOBODY, NOBODY, NULL, 0, try_open, (void *)&modes[i]);
		tap(rc == EACCES, "nobody: open(/dev/cmap, %s) fails with EACCES (%s)",
		    mname[i], rc > 0 ? strerrorname_np(rc) : rc ? "?" : "opened!");
	}
	for (i = 0; i < ARRAY_LEN(params); i++) {
		snprintf(path, sizeof(path), "/sys/module/cmap/parameters/%s",
			 params[i]);
		rc = as_user(NOBODY, NOBODY, NULL, 0, try_write, path);
		tap(rc == EACCES, "nobody cannot write the parameter %s (%s)",
		    params[i], rc > 0 ? strerrorname_np(rc) : rc ? "?" : "written!");
	}
	rc = as_user(NOBODY, NOBODY, NULL, 0, try_read,
		     "/sys/module/cmap/parameters/test_hash_key");
	tap(rc == EACCES, "nobody cannot read test_hash_key (%s)",
	    rc > 0 ? strerrorname_np(rc) : rc ? "?" : "read!");
	rc = as_user(NOBODY, NOBODY, NULL, 0, try_write, FAIL_NTH);
	tap(rc == EACCES || rc == ENOENT, "nobody cannot arm fail_nth (%s)",
	    rc > 0 ? strerrorname_np(rc) : rc ? "?" : "armed!");
	fail_nth_set(0);

	/* the udev rule's effect: group cmap, mode 0660 */
	if (chown(CMAP_DEVICE, 0, TEST_GID) || chmod(CMAP_DEVICE, 0660))
		bail("chown/chmod %s: %s", CMAP_DEVICE, strerror(errno));
	rc = as_user(NOBODY, NOBODY, &grp, 1, use_dev, NULL);
	tap(rc == 0, "with group %d and mode 0660, a member (uid nobody) can use the device (exit %d)",
	    TEST_GID, rc);
	rc = as_user(NOBODY, NOBODY, NULL, 0, try_open, (void *)&modes[0]);
	tap(rc == EACCES, "a non-member still gets EACCES (%s)",
	    rc > 0 ? strerrorname_np(rc) : rc ? "?" : "opened!");
	if (chown(CMAP_DEVICE, 0, 0) || chmod(CMAP_DEVICE, 0600))
		bail("restoring %s: %s", CMAP_DEVICE, strerror(errno));

	/* a file opened by root, used after dropping privileges */
	fd = dev_open();
	rc = as_user(NOBODY, NOBODY, NULL, 0, use_fd, &fd);
	tap(rc == 0, "an fd opened by root works after setuid(nobody) (exit %d): access is checked at open",
	    rc);
	/* BENCH runs outside the caller's cgroup and max_memory: admin only */
	rc = as_user(NOBODY, NOBODY, NULL, 0, try_bench, &fd);
	tap(rc == EPERM, "BENCH without CAP_SYS_ADMIN fails with EPERM (%s)",
	    rc > 0 ? strerrorname_np(rc) : rc ? "?" : "ran!");
	rc = try_bench(&fd);
	tap(rc == 0, "BENCH as root runs (%s)",
	    rc > 0 ? strerrorname_np(rc) : rc ? "?" : "0");
	close(fd);
	return tap_exit("hard_perm");
}
