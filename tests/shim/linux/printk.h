/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: printk to stderr; warnings and errors are counted. */
#ifndef _SHIM_LINUX_PRINTK_H
#define _SHIM_LINUX_PRINTK_H

#include <stdio.h>
#include <linux/compiler.h>

void shim_printk(int level, const char *fmt, ...) __printf(2, 3);

#define KERN_ERR	3
#define KERN_WARNING	4
#define KERN_INFO	6
#define KERN_DEBUG	7

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

#define pr_err(fmt, ...)	shim_printk(KERN_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	shim_printk(KERN_WARNING, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	shim_printk(KERN_INFO, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...)	shim_printk(KERN_DEBUG, pr_fmt(fmt), ##__VA_ARGS__)
/* Not rate limited: tests count every message. */
#define pr_err_ratelimited	pr_err
#define pr_warn_ratelimited	pr_warn
#define pr_info_ratelimited	pr_info
#define pr_warn_once		pr_warn

#endif
