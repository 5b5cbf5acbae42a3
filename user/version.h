/* SPDX-License-Identifier: GPL-2.0 */
/* The tools' version is the project's: include/cmap_version.h. */
#ifndef CMAP_USER_VERSION_H
#define CMAP_USER_VERSION_H
#include "../include/cmap_version.h"
#endif
