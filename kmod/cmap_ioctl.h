/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_ioctl.h - the table registry and the ioctls of
 * include/uapi/linux/cmap.h (cmap_ioctl.c), as the device glue sees them.
 *
 * The glue owns the files: it allocates a struct cmap_file per open
 * /dev/cmap, hands every ioctl on it to cmap_file_ioctl() and releases it
 * on close.  Everything else -- the registry, the decoding and checking of
 * requests, the table objects and their lifetimes -- is behind this
 * interface.  cmap_dev.c is the kernel's glue (miscdevice, module); the
 * host test build (user/fakecmap.c) is another one, over tests/shim.
 */
#ifndef _CMAP_IOCTL_H
#define _CMAP_IOCTL_H

#include <linux/compiler.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct cmap_file;

/*
 * The registry's tunables (module parameters), read at each CREATE:
 * the limits of a table created with 0, the number of live tables, and
 * for tests a cap on ids and a fixed hash key (0: none).
 */
extern unsigned long cmap_default_max_entries;
extern unsigned long cmap_default_max_bytes;
extern unsigned int cmap_max_tables;
extern unsigned int cmap_test_max_id;
extern unsigned long cmap_test_hash_key;

/*
 * The registry lock, and the id CREATE tries first (the cursor of the
 * cyclic id allocation), which it protects.  A glue that re-creates saved
 * tables sets the cursor to keep their ids.
 */
extern struct mutex cmap_reg_mutex;
extern u32 cmap_next_id;

int cmap_reg_init(void);
void cmap_reg_exit(void);

struct cmap_file *cmap_file_alloc(void);
void cmap_file_release(struct cmap_file *f);
long cmap_file_ioctl(struct cmap_file *f, unsigned int cmd, void __user *arg);

#endif /* _CMAP_IOCTL_H */
