/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: TRACE_EVENT(name, ...) becomes an inline trace_<name>()
 * that only counts its hits in shim_trace_<name> (a weak global every user
 * of the trace header shares), so tests can see that an event fired.
 */
#ifndef _SHIM_LINUX_TRACEPOINT_H
#define _SHIM_LINUX_TRACEPOINT_H

#include <linux/compiler.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/types.h>

#define PARAMS(args...)			args
#define TP_PROTO(args...)		args
#define TP_ARGS(args...)		args
#define TP_CONDITION(args...)		args
#define TP_STRUCT__entry(args...)
#define TP_fast_assign(args...)
#define TP_printk(fmt, args...)

#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	DECLARE_TRACE(name, PARAMS(proto), PARAMS(args))
#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)
#define DEFINE_EVENT(template, name, proto, args)			\
	DECLARE_TRACE(name, PARAMS(proto), PARAMS(args))

#define DECLARE_TRACE(name, proto, args)				\
	__attribute__((__weak__)) unsigned long shim_trace_##name;	\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")	\
	static inline void trace_##name(proto)				\
	{								\
		__atomic_fetch_add(&shim_trace_##name, 1,		\
				   __ATOMIC_RELAXED);			\
	}								\
	static inline bool trace_##name##_enabled(void)		\
	{								\
		return false;						\
	}								\
	_Pragma("GCC diagnostic pop")

#endif
