/* SPDX-License-Identifier: GPL-2.0 */
/*
 * version.h: the one version of the cmap tools (cmapctl, mapstat,
 * racetrace), printed by each tool's --version (-V).  Bumped with a
 * release of the tools and module together.
 */
#ifndef CMAP_VERSION_H
#define CMAP_VERSION_H

#define CMAP_VERSION	"1.0.0"

#endif
