/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_version.h - the one version of cmap: the module (MODULE_VERSION,
 * CMAP_IOC_VERSION) and the tools (--version) are released together.
 * debian/changelog's top entry must name the same version (make deb
 * checks it).  The ioctl ABI has its own number, CMAP_ABI_VERSION.
 */
#ifndef _CMAP_VERSION_H
#define _CMAP_VERSION_H

#define CMAP_VERSION_MAJOR	1
#define CMAP_VERSION_MINOR	0
#define CMAP_VERSION_PATCH	0

#define __CMAP_STR(x)		#x
#define __CMAP_XSTR(x)		__CMAP_STR(x)
#define CMAP_VERSION	__CMAP_XSTR(CMAP_VERSION_MAJOR) "."		\
			__CMAP_XSTR(CMAP_VERSION_MINOR) "."		\
			__CMAP_XSTR(CMAP_VERSION_PATCH)

#endif /* _CMAP_VERSION_H */
