/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the kernel re-reads the trace header here to generate the
 * events; the shim's TRACE_EVENT() already produced everything it needs.
 */
