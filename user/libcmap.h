/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcmap: the userspace client library of /dev/cmap, built as
 * user/.build/libcmap.a and linked by the cmap tools (cmapctl, mapstat,
 * racetrace) and every test program that talks to the device.  Its names
 * start with cmapc_ ("cmap client"), apart from the kernel core's cmap_*.
 *
 * The request structures and commands come from include/uapi/linux/cmap.h,
 * the one definition of the ABI; this library only fills and reads them.
 * Device and table calls, the data commands, names and messages for
 * errors and exit statuses, key/value parsing and printing.  Nothing here
 * prints or exits on its own (except cmapc_arg_*(), argp helpers).
 *
 * Return convention: functions returning int return 0 (or a non-negative
 * result) on success and a negative errno on failure.  Besides a table
 * name too long for the request (-EINVAL), the library checks nothing the
 * module checks: a request it passes on is judged by the module alone.
 */
#ifndef LIBCMAP_H
#define LIBCMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/cmap.h>
#include <linux/cmap_bench.h>

/* Pseudo command for cmapc_errmsg(): opening the device node. */
#define CMAPC_CMD_DEVOPEN	0UL

/*
 * Exit statuses of the cmap tools, grep's convention: 0 success, 1 the
 * key or table asked for does not exist (nothing else went wrong), 2 any
 * error (bad usage, no device, a failed ioctl).
 */
#define CMAPC_EXIT_OK		0
#define CMAPC_EXIT_NOTFOUND	1
#define CMAPC_EXIT_ERROR	2

/* Longest valid table name, without the NUL. */
#define CMAPC_NAME_MAX		(CMAP_NAME_LEN - 1)

/* ---- device and tables ------------------------------------------------ */

/**
 * cmapc_ioctl() - issue one cmap command as it is
 * @fd:  a file of the device
 * @cmd: CMAP_IOC_* (or any other request number)
 * @arg: the request
 *
 * The raw call the other functions make; for requests the helpers below
 * do not build (hand-made or deliberately malformed ones).  Never inlined,
 * so that frame-pointer stacks keep the caller.
 *
 * Return: ioctl(2)'s non-negative result, or -errno.
 */
int cmapc_ioctl(int fd, unsigned long cmd, void *arg);

/**
 * cmapc_dev_open() - open(2) the device read-write, close-on-exec
 * @path: the device node; NULL means CMAP_DEVICE
 *
 * Return: the file descriptor, or -errno.
 */
int cmapc_dev_open(const char *path);

/**
 * cmapc_open_table() - open the device and bind the new file to a table
 * @path:       the device node (NULL: CMAP_DEVICE)
 * @name:       the table's name
 * @id:         if not NULL, receives the table's id
 * @failed_cmd: if not NULL, on failure CMAPC_CMD_DEVOPEN or CMAP_IOC_OPEN,
 *              for cmapc_errmsg()
 *
 * Return: the file descriptor, or -errno (the file is closed again).
 */
int cmapc_open_table(const char *path, const char *name, __u32 *id,
		     unsigned long *failed_cmd);

/**
 * cmapc_check_name() - check a table name against the header's rules
 * @name: the name
 * @why:  if not NULL, receives the reason of a refusal
 *
 * A valid name has 1..CMAPC_NAME_MAX bytes of printable ASCII without '/'.
 *
 * Return: 0, or -EINVAL.
 */
int cmapc_check_name(const char *name, const char **why);

/**
 * cmapc_create() - CMAP_IOC_CREATE: create a table and bind @fd to it
 * @fd:   a file of the device
 * @name: the name (longer than CMAPC_NAME_MAX: -EINVAL, nothing issued)
 * @cfg:  the configuration; NULL: all defaults
 * @id:   if not NULL, receives the new table's id
 *
 * Return: 0, or -errno.
 */
int cmapc_create(int fd, const char *name, const struct cmap_config *cfg,
		 __u32 *id);

/**
 * cmapc_create_flags() - CMAP_IOC_CREATE with CREATE flags
 * @fd:    a file of the device
 * @name:  as for cmapc_create()
 * @flags: CMAP_CREATE_* (e.g. CMAP_CREATE_INLINE); a module that does not
 *         know one answers -EINVAL (see cmapc_version()'s create_flags)
 * @cfg:   as for cmapc_create()
 * @id:    as for cmapc_create()
 *
 * Return: 0, or -errno.
 */
int cmapc_create_flags(int fd, const char *name, __u32 flags,
		       const struct cmap_config *cfg, __u32 *id);

/**
 * cmapc_open() - CMAP_IOC_OPEN by name: bind @fd to an existing table
 * @fd:   a file of the device
 * @name: the table's name (longer than CMAPC_NAME_MAX: -EINVAL)
 * @id:   if not NULL, receives the table's id
 *
 * Return: 0, or -errno.
 */
int cmapc_open(int fd, const char *name, __u32 *id);

/**
 * cmapc_open_id() - CMAP_IOC_OPEN by id
 * @fd: a file of the device
 * @id: the table's id
 *
 * Return: 0, or -errno.
 */
int cmapc_open_id(int fd, __u32 id);

/**
 * cmapc_destroy() - CMAP_IOC_DESTROY by name
 * @fd:   a file of the device
 * @name: the table's name (longer than CMAPC_NAME_MAX: -EINVAL)
 * @id:   if not NULL, receives the destroyed table's id
 *
 * Return: 0, or -errno.
 */
int cmapc_destroy(int fd, const char *name, __u32 *id);

/**
 * cmapc_destroy_id() - CMAP_IOC_DESTROY by id
 * @fd: a file of the device
 * @id: the table's id
 *
 * Return: 0, or -errno.
 */
int cmapc_destroy_id(int fd, __u32 id);

/**
 * cmapc_list_into() - one CMAP_IOC_LIST call into the caller's array
 * @fd:     a file of the device
 * @tables: room for @cap entries (NULL if @cap is 0)
 * @cap:    entries @tables holds
 * @count:  if not NULL, receives the entries written (0 on failure)
 * @total:  if not NULL, receives the number of tables (0 on failure)
 *
 * Return: 0, or -errno.
 */
int cmapc_list_into(int fd, struct cmap_table_info *tables, __u32 cap,
		    __u32 *count, __u32 *total);

/**
 * cmapc_list() - every table, into an array that grows until all fit
 * @fd:     a file of the device
 * @tables: receives a malloc'ed array (free() it)
 * @count:  receives its number of entries
 *
 * Return: 0, or -errno (-ENOMEM if the array cannot be allocated).
 */
int cmapc_list(int fd, struct cmap_table_info **tables, __u32 *count);

/* ---- data commands (the file must be bound) --------------------------- */

/**
 * cmapc_put() - CMAP_IOC_PUT
 * @fd:        a bound file
 * @key:       the key
 * @key_len:   its length
 * @value:     the value
 * @value_len: its length
 * @flags:     CMAP_PUT_ANY, CMAP_PUT_NOEXIST or CMAP_PUT_EXIST
 *
 * Return: 0, or -errno.
 */
int cmapc_put(int fd, const void *key, __u32 key_len, const void *value,
	      __u32 value_len, __u32 flags);

/**
 * cmapc_get() - CMAP_IOC_GET into the caller's buffer
 * @fd:        a bound file
 * @key:       the key
 * @key_len:   its length
 * @buf:       the buffer
 * @value_len: in: the buffer's size; out: the request's value_len after
 *             the call (the value's length on success, the length needed
 *             on -ENOBUFS)
 *
 * Return: 0, or -errno.
 */
int cmapc_get(int fd, const void *key, __u32 key_len, void *buf,
	      __u32 *value_len);

/**
 * cmapc_get_alloc() - CMAP_IOC_GET into a malloc'ed buffer
 * @fd:        a bound file
 * @key:       the key
 * @key_len:   its length
 * @value:     receives the buffer (free() it)
 * @value_len: receives the value's length
 *
 * Retries with a bigger buffer if the value grew between two calls.
 *
 * Return: 0, or -errno.
 */
int cmapc_get_alloc(int fd, const void *key, __u32 key_len, void **value,
		    __u32 *value_len);

/**
 * cmapc_delete() - CMAP_IOC_DELETE
 * @fd:      a bound file
 * @key:     the key
 * @key_len: its length
 *
 * Return: 0, or -errno (-ENOENT: no such key).
 */
int cmapc_delete(int fd, const void *key, __u32 key_len);

/**
 * cmapc_clear() - CMAP_IOC_CLEAR: remove every entry of the bound table
 * @fd: a bound file
 *
 * Return: 0, or -errno.
 */
int cmapc_clear(int fd);

/**
 * cmapc_batch() - CMAP_IOC_BATCH of @count operations
 * @fd:    a bound file
 * @ops:   the operations; each one's result is written back
 * @count: their number
 * @done:  if not NULL, receives the request's done after the call (the
 *         operations carried out)
 *
 * Return: 0, or -errno.
 */
int cmapc_batch(int fd, struct cmap_batch_op *ops, __u32 count, __u32 *done);

/**
 * cmapc_iter() - one CMAP_IOC_ITER call
 * @fd:      a bound file
 * @cursor:  in: where to go on (0 at first); out: the next cursor
 *           (CMAP_ITER_DONE at the end), updated only on success
 * @buf:     the records' buffer
 * @buf_len: its size
 * @count:   if not NULL, receives the records written (0 on failure)
 * @bytes:   if not NULL, receives the bytes written; on -ENOBUFS the size
 *           the next record needs
 *
 * Return: 0, or -errno.
 */
int cmapc_iter(int fd, __u64 *cursor, void *buf, __u32 buf_len,
	       __u32 *count, __u32 *bytes);

/**
 * cmapc_stats() - CMAP_IOC_STATS
 * @fd: a file of the device
 * @id: the table's id; 0: the table @fd is bound to
 * @st: receives the statistics
 *
 * Return: 0, or -errno.
 */
int cmapc_stats(int fd, __u32 id, struct cmap_stats *st);

/**
 * cmapc_version() - CMAP_IOC_VERSION: what the module is and knows
 * @fd: a file of the device
 * @v:  receives the answer
 *
 * Return: 0, or -errno (-ENOTTY: a module older than the command).
 */
int cmapc_version(int fd, struct cmap_version *v);

/**
 * cmapc_bench() - CMAP_IOC_BENCH: run the in-kernel benchmark
 * @fd:  a file of the device
 * @req: the request, filled by the caller but for @req->size
 *
 * Return: 0, or -errno (-EINTR: a signal ended it, partial results).
 */
int cmapc_bench(int fd, struct cmap_bench *req);

/**
 * cmapc_rec_next() - walk the records of one ITER buffer
 * @buf:   the buffer
 * @bytes: the bytes ITER wrote into it
 * @off:   in/out: the next record's offset (start with 0)
 * @rec:   receives the record's header
 * @key:   receives its key
 * @value: receives its value
 *
 * Return: 1 and the next record, 0 at the end, -EPROTO if a record
 * overruns the buffer.
 */
int cmapc_rec_next(const void *buf, __u32 bytes, __u32 *off,
		   const struct cmap_rec **rec, const void **key,
		   const void **value);

/* ---- names and messages ----------------------------------------------- */

/**
 * cmapc_mode_name() - a mode's name
 * @mode: enum cmap_mode
 *
 * Return: "rcu", "rwlock", ..., or NULL for an unknown mode.
 */
const char *cmapc_mode_name(__u32 mode);

/**
 * cmapc_mode_label() - a table's mode as the tools show it
 * @buf:          where the label goes
 * @len:          its size (CMAPC_MODE_LABEL_MAX is always enough)
 * @mode:         enum cmap_mode
 * @create_flags: the table's CMAP_CREATE_* flags (LIST, STATS)
 *
 * Return: @buf, holding the mode's name (its number if unknown), then
 * "+inline" for an inline table: "rcu", "rwlock+inline".
 */
#define CMAPC_MODE_LABEL_MAX 32
const char *cmapc_mode_label(char *buf, size_t len, __u32 mode,
			     __u32 create_flags);

/**
 * cmapc_mode_parse() - a mode by name ("rcu", "rwlock", ...; any case)
 * @s: the name
 *
 * Return: the enum cmap_mode, or -EINVAL.
 */
int cmapc_mode_parse(const char *s);

/**
 * cmapc_mode_list() - the known modes' names, for messages
 *
 * Return: "rcu, rwlock, spinlock, cow, racecheck" (static storage).
 */
const char *cmapc_mode_list(void);

/**
 * cmapc_errno_name() - an errno's symbolic name
 * @err: the errno, either sign
 *
 * Return: "ENOENT" for ENOENT; "E<n>" for unknown ones (thread-local).
 */
const char *cmapc_errno_name(int err);

/**
 * cmapc_cmd_name() - a command's name, for messages
 * @cmd: CMAP_IOC_* or CMAPC_CMD_DEVOPEN
 *
 * Return: "PUT", "GET", ..., "open device"; "ioctl" for unknown ones.
 */
const char *cmapc_cmd_name(unsigned long cmd);

/**
 * cmapc_exit_status() - a tool's exit status for a failed command
 * @cmd: the command (CMAP_IOC_* or CMAPC_CMD_DEVOPEN)
 * @err: its errno, either sign
 *
 * Return: CMAPC_EXIT_NOTFOUND for -ENOENT of a table or key,
 * CMAPC_EXIT_ERROR otherwise (a missing device node is an error: the
 * module is not loaded).
 */
int cmapc_exit_status(unsigned long cmd, int err);

/**
 * cmapc_errmsg() - a human message for a failed command
 * @buf:   where to write it
 * @size:  its size
 * @cmd:   CMAPC_CMD_DEVOPEN or CMAP_IOC_*
 * @flags: for CMAP_IOC_PUT its CMAP_PUT_* flags, else 0
 * @err:   the errno, either sign
 * @name:  the device path for CMAPC_CMD_DEVOPEN, else the table's name
 *         (may be NULL)
 *
 * E.g. "no table named 'x'", "/dev/cmap not found: is cmap.ko loaded?".
 *
 * Return: @buf.
 */
const char *cmapc_errmsg(char *buf, size_t size, unsigned long cmd,
			 __u32 flags, int err, const char *name);

/* ---- keys and values -------------------------------------------------- */

/**
 * cmapc_parse_hex() - parse hex bytes ("0a0b", "0x0a0b", "0a:0b", "0a 0b")
 * @s:   the text
 * @out: receives the bytes
 * @max: @out's size
 *
 * Return: the number of bytes, -EINVAL for bad hex (odd digit count, bad
 * character), -E2BIG if longer than @max.
 */
int cmapc_parse_hex(const char *s, void *out, size_t max);

/**
 * cmapc_parse_u64() - parse an unsigned decimal (or 0x hex) number
 * @s: the text
 * @v: receives the number
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int cmapc_parse_u64(const char *s, uint64_t *v);

/**
 * cmapc_parse_size() - parse a size or count with an optional suffix
 * @s:    the text: a decimal number, optionally k/K, m/M, g/G, t/T (and
 *        "i", "B")
 * @unit: 1000 for counts, 1024 for bytes; 1: a plain number, no suffix
 *        (ids, file descriptors)
 * @v:    receives the number
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int cmapc_parse_size(const char *s, unsigned unit, uint64_t *v);

struct argp_state;

/**
 * cmapc_arg_size() - an option's number, for argp parsers
 * @state: the argp state
 * @opt:   the option's name, for messages ("--keys")
 * @arg:   its argument
 * @unit:  as for cmapc_parse_size()
 * @min:   the smallest value accepted
 * @max:   the largest value accepted
 *
 * Anything else ends the program with argp_error() naming @opt
 * ("invalid --keys 'x': not a number").
 *
 * Return: the number.
 */
uint64_t cmapc_arg_size(struct argp_state *state, const char *opt,
			const char *arg, unsigned unit, uint64_t min,
			uint64_t max);

/**
 * cmapc_arg_double() - an option's real number in [@min, @max], for argp
 * @state: the argp state
 * @opt:   the option's name, for messages
 * @arg:   its argument
 * @min:   the smallest value accepted
 * @max:   the largest value accepted
 *
 * NaN and anything else out of range end the program with argp_error().
 *
 * Return: the number.
 */
double cmapc_arg_double(struct argp_state *state, const char *opt,
			const char *arg, double min, double max);

/**
 * cmapc_is_printable() - whether bytes are printable ASCII
 * @p:   the bytes
 * @len: their number
 *
 * Return: true if every byte is printable ASCII (space included, no tab
 * or newline).
 */
bool cmapc_is_printable(const void *p, size_t len);

enum cmapc_fmt {
	CMAPC_FMT_AUTO,	/* text if printable, else "0x" and hex */
	CMAPC_FMT_HEX,	/* hex digits, no prefix (what --hex input accepts) */
	CMAPC_FMT_U64,	/* an 8-byte native uint64 in decimal, else AUTO */
};

/**
 * cmapc_fprint_hex() - print bytes as hex digits, no prefix
 * @f:   the stream
 * @p:   the bytes
 * @len: their number
 */
void cmapc_fprint_hex(FILE *f, const void *p, size_t len);

/**
 * cmapc_fprint_bytes() - print a key or value
 * @f:   the stream
 * @p:   the bytes
 * @len: their number
 * @fmt: how (enum cmapc_fmt)
 */
void cmapc_fprint_bytes(FILE *f, const void *p, size_t len,
			enum cmapc_fmt fmt);

/**
 * cmapc_human_bytes() - a byte count as "12.3 MiB"
 * @buf:   where to write it
 * @size:  its size
 * @bytes: the count
 *
 * Return: @buf.
 */
const char *cmapc_human_bytes(char *buf, size_t size, uint64_t bytes);

#endif /* LIBCMAP_H */
