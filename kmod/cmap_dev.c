// SPDX-License-Identifier: GPL-2.0
/*
 * cmap device glue: /dev/cmap (a miscdevice) and the module -- its
 * parameters, debugfs knob, init and exit.  A file's state and its ioctls
 * are the registry's (cmap_ioctl.c, through cmap_ioctl.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>

#include <cmap_version.h>

#include "cmap_core.h"
#include "cmap_ioctl.h"

module_param_named(default_max_entries, cmap_default_max_entries, ulong, 0644);
MODULE_PARM_DESC(default_max_entries,
		 "max_entries of a table created with 0 (default 16M)");

module_param_named(default_max_bytes, cmap_default_max_bytes, ulong, 0644);
MODULE_PARM_DESC(default_max_bytes,
		 "max_bytes of a table created with 0 (default 512 MiB)");

static unsigned long max_memory;
MODULE_PARM_DESC(max_memory,
		 "bytes all tables together may hold (default: half of RAM); puts beyond it fail with -ENOSPC");

static unsigned int max_chain = 64;
MODULE_PARM_DESC(max_chain,
		 "overflow buckets one head bucket may chain for new keys (hash flooding bound; default 64)");

module_param_named(max_tables, cmap_max_tables, uint, 0644);
MODULE_PARM_DESC(max_tables, "live tables at most (default 1024); CREATE beyond it fails with -ENOSPC");

module_param_named(test_max_id, cmap_test_max_id, uint, 0600);
MODULE_PARM_DESC(test_max_id,
		 "TESTS ONLY: non-zero caps the ids of tables created from now on to 1..N, so id reuse after wrap-around can be tested");

module_param_named(test_hash_key, cmap_test_hash_key, ulong, 0600);
MODULE_PARM_DESC(test_hash_key,
		 "TESTS ONLY: non-zero fixes the hash key of tables created from now on, so colliding keys can be computed");

static int cmap_set_limit_param(const char *val, const struct kernel_param *kp)
{
	int err = param_set_ulong(val, kp);

	if (!err)
		cmap_set_limits(max_memory, max_chain);
	return err;
}

static int cmap_set_chain_param(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	if (!err)
		cmap_set_limits(max_memory, max_chain);
	return err;
}

static const struct kernel_param_ops cmap_limit_ops = {
	.set = cmap_set_limit_param,
	.get = param_get_ulong,
};

static const struct kernel_param_ops cmap_chain_ops = {
	.set = cmap_set_chain_param,
	.get = param_get_uint,
};

module_param_cb(max_memory, &cmap_limit_ops, &max_memory, 0644);
module_param_cb(max_chain, &cmap_chain_ops, &max_chain, 0644);

static long cmap_ioctl(struct file *file, unsigned int cmd, unsigned long uarg)
{
	return cmap_file_ioctl(file->private_data, cmd, (void __user *)uarg);
}

static int cmap_open(struct inode *inode, struct file *file)
{
	struct cmap_file *f = cmap_file_alloc();

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return 0;
}

static int cmap_release(struct inode *inode, struct file *file)
{
	cmap_file_release(file->private_data);
	return 0;
}

static const struct file_operations cmap_fops = {
	.owner		= THIS_MODULE,
	.open		= cmap_open,
	.release	= cmap_release,
	.unlocked_ioctl	= cmap_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice cmap_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "cmap",
	.fops	= &cmap_fops,
	.mode	= 0600,
};

/*
 * debugfs cmap/fail_nth: write N to make the Nth allocation from now fail
 * (core and device, all tables); reads the allocations left, 0 = disarmed.
 */
static int cmap_fail_nth_get(void *data, u64 *val)
{
	*val = cmap_fault_armed();
	return 0;
}

static int cmap_fail_nth_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	cmap_fault_arm(val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(cmap_fail_nth_fops, cmap_fail_nth_get,
			 cmap_fail_nth_set, "%llu\n");

static struct dentry *cmap_debugfs;

static int __init cmap_init(void)
{
	int err;

	if (!max_memory)
		max_memory = totalram_pages() / 2 * PAGE_SIZE;
	err = cmap_core_init();
	if (err)
		return err;
	cmap_set_limits(max_memory, max_chain);
	err = cmap_reg_init();
	if (err)
		goto err_core;
	err = misc_register(&cmap_misc);
	if (err)
		goto err_reg;
	cmap_debugfs = debugfs_create_dir("cmap", NULL);
	debugfs_create_file_unsafe("fail_nth", 0600, cmap_debugfs, NULL,
				   &cmap_fail_nth_fops);
	return 0;
err_reg:
	cmap_reg_exit();
err_core:
	cmap_core_exit();
	return err;
}

static void __exit cmap_exit(void)
{
	debugfs_remove(cmap_debugfs);
	misc_deregister(&cmap_misc);
	/* No file is open (each holds a module reference). */
	cmap_reg_exit();
	cmap_core_exit();
}

module_init(cmap_init);
module_exit(cmap_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(CMAP_VERSION);
MODULE_AUTHOR("cmap developers");
MODULE_DESCRIPTION("Concurrent hash table with RCU lookups and per-bucket locks, on /dev/cmap");
