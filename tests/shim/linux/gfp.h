/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: allocation flags (only the ones the allocator acts on differ). */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H

#include <linux/types.h>

#define __GFP_ZERO		0x01u	/* zero the memory */
#define __GFP_NOFAIL		0x02u	/* never fails: fault injection skips it */
#define __GFP_NOWARN		0x04u
#define __GFP_ACCOUNT		0x08u
#define __GFP_RETRY_MAYFAIL	0x10u
#define __GFP_NORETRY		0x20u
#define __GFP_DIRECT_RECLAIM	0x40u	/* may sleep */

#define GFP_KERNEL		(__GFP_DIRECT_RECLAIM)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		0x00u
#define GFP_ATOMIC		0x00u

#define gfpflags_allow_blocking(gfp)	(!!((gfp) & __GFP_DIRECT_RECLAIM))

#endif
