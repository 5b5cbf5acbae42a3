/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_util: small helpers shared by the cmap userspace tools (cmapctl,
 * mapstat) and tests.  Thin ioctl wrappers, errno-to-message mapping, key
 * and value parsing/printing.  Nothing here prints or exits on its own.
 *
 * Conventions: functions returning int return 0 (or a non-negative result)
 * on success and a negative errno on failure; errno is left as the failing
 * call set it.
 */
#ifndef CMAP_UTIL_H
#define CMAP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/cmap.h>

/* Pseudo command for cmap_errmsg(): opening the device node. */
#define CMAP_CMD_DEVOPEN	0UL

/*
 * Exit statuses of the cmap tools, grep's convention: 0 success, 1 the
 * key or table asked for does not exist (nothing else went wrong), 2 any
 * error (bad usage, no device, a failed ioctl).
 */
#define CMAP_EXIT_OK		0
#define CMAP_EXIT_NOTFOUND	1
#define CMAP_EXIT_ERROR		2

/*
 * The exit status for a failure of @cmd (a CMAP_IOC_* or CMAP_CMD_DEVOPEN)
 * with errno @err (either sign): CMAP_EXIT_NOTFOUND for -ENOENT of a
 * table or key, CMAP_EXIT_ERROR otherwise (a missing device node is an
 * error: the module is not loaded).
 */
int cmap_exit_status(unsigned long cmd, int err);

/* Longest valid table name, without the NUL. */
#define CMAP_NAME_MAX		(CMAP_NAME_LEN - 1)

/* ---- device and tables ------------------------------------------------ */

/* open(2) the device read-write, close-on-exec; NULL means CMAP_DEVICE. */
int cmap_dev_open(const char *path);

/*
 * Open the device and bind the new file to table @name (CMAP_IOC_OPEN).
 * Returns the fd, or a negative errno; then *@failed_cmd (if not NULL) is
 * CMAP_CMD_DEVOPEN or CMAP_IOC_OPEN, for cmap_errmsg().  *@id (if not NULL)
 * receives the table's id.
 */
int cmap_open_table(const char *path, const char *name, __u32 *id,
		    unsigned long *failed_cmd);

/*
 * Check a table name against the header's rules (1..31 bytes of printable
 * ASCII without '/').  Returns 0, or -EINVAL and a reason in *@why.
 */
int cmap_check_name(const char *name, const char **why);

int cmap_create(int fd, const char *name, const struct cmap_config *cfg,
		__u32 *id);
int cmap_open(int fd, const char *name, __u32 *id);
int cmap_open_id(int fd, __u32 id);
int cmap_destroy(int fd, const char *name, __u32 *id);

/*
 * CMAP_IOC_LIST into a malloc'ed array that grows until every table fits.
 * On success *@tables (free() it) holds *@count entries.
 */
int cmap_list(int fd, struct cmap_table_info **tables, __u32 *count);

/* ---- data commands (the file must be bound) --------------------------- */

int cmap_put(int fd, const void *key, __u32 key_len, const void *value,
	     __u32 value_len, __u32 flags);
/*
 * GET into @buf of *@value_len bytes; on success *@value_len is the value's
 * length.  On -ENOBUFS *@value_len is the length needed.
 */
int cmap_get(int fd, const void *key, __u32 key_len, void *buf,
	     __u32 *value_len);
/* GET into a malloc'ed buffer (free() *@value), retrying on -ENOBUFS. */
int cmap_get_alloc(int fd, const void *key, __u32 key_len, void **value,
		   __u32 *value_len);
int cmap_delete(int fd, const void *key, __u32 key_len);
int cmap_clear(int fd);
/* BATCH of @count ops; *@done (if not NULL) receives ops carried out. */
int cmap_batch(int fd, struct cmap_batch_op *ops, __u32 count, __u32 *done);
/*
 * One ITER call.  *@cursor in/out.  On success *@count records and *@bytes
 * bytes were written; on -ENOBUFS *@bytes is the size the next record needs.
 */
int cmap_iter(int fd, __u64 *cursor, void *buf, __u32 buf_len, __u32 *count,
	      __u32 *bytes);
/* STATS of table @id (0: the bound table). */
int cmap_stats(int fd, __u32 id, struct cmap_stats *st);

/*
 * Walk the records of one ITER buffer of @bytes bytes (as returned by ITER).
 * Start with *@off = 0.  Returns 1 and the next record (*@rec, *@key,
 * *@value; *@off advanced), 0 at the end, -EPROTO if a record overruns the
 * buffer.
 */
int cmap_rec_next(const void *buf, __u32 bytes, __u32 *off,
		  const struct cmap_rec **rec, const void **key,
		  const void **value);

/* ---- names and messages ----------------------------------------------- */

/* "rcu", "rwlock", ..., or NULL for an unknown mode. */
const char *cmap_mode_name(__u32 mode);
/* enum cmap_mode for a name ("rcu", "rwlock", ...), or -EINVAL. */
int cmap_mode_parse(const char *s);
/* the known modes' names: "rcu, rwlock, spinlock, cow, racecheck" */
const char *cmap_mode_list(void);

/* "ENOENT" for ENOENT (sign ignored); "E<n>" for unknown ones. */
const char *cmap_errno_name(int err);

/* Name of an ioctl command, for messages: "PUT", "GET", ... */
const char *cmap_cmd_name(unsigned long cmd);

/*
 * A human message for error @err (sign ignored) of command @cmd
 * (CMAP_CMD_DEVOPEN, CMAP_IOC_*; for PUT pass its CMAP_PUT_* in @flags).
 * @name is the device path for CMAP_CMD_DEVOPEN, else the table's name (may
 * be NULL).  Written to @buf (and returned), e.g. "no table named 'x'",
 * "/dev/cmap not found: is cmap.ko loaded? (sudo insmod kmod/cmap.ko)".
 */
const char *cmap_errmsg(char *buf, size_t size, unsigned long cmd,
			__u32 flags, int err, const char *name);

/* ---- keys and values -------------------------------------------------- */

/*
 * Parse hex bytes ("0a0b", "0x0a0b", "0a:0b", "0a 0b") into @out of @max
 * bytes.  Returns the length, -EINVAL for bad hex (odd digit count, bad
 * character), -E2BIG if longer than @max.
 */
int cmap_parse_hex(const char *s, void *out, size_t max);

/* Parse an unsigned decimal (or 0x hex) uint64; 0 or -EINVAL/-ERANGE. */
int cmap_parse_u64(const char *s, uint64_t *v);

/*
 * Parse a size or count with an optional suffix k/K, m/M, g/G, t/T, scaled
 * by powers of @unit (1000 for counts, 1024 for bytes; 1: a plain number,
 * no suffix, for ids and file descriptors).  0 or -errno.
 */
int cmap_parse_size(const char *s, unsigned unit, uint64_t *v);

struct argp_state;
/*
 * An option's number for argp parsers: cmap_parse_size() with @unit, in
 * [@min, @max]; anything else ends the program with argp_error() naming
 * @opt ("invalid --keys 'x': not a number").
 */
uint64_t cmap_arg_size(struct argp_state *state, const char *opt,
		       const char *arg, unsigned unit, uint64_t min,
		       uint64_t max);
/* The same for a real number in [@min, @max] (NaN refused). */
double cmap_arg_double(struct argp_state *state, const char *opt,
		       const char *arg, double min, double max);

/* True if every byte is printable ASCII (space included, no tab/newline). */
bool cmap_is_printable(const void *p, size_t len);

enum cmap_fmt {
	CMAP_FMT_AUTO,	/* text if printable, else "0x" and hex */
	CMAP_FMT_HEX,	/* hex digits, no prefix (what --hex input accepts) */
	CMAP_FMT_U64,	/* an 8-byte native uint64 in decimal, else AUTO */
};

void cmap_fprint_hex(FILE *f, const void *p, size_t len);
void cmap_fprint_bytes(FILE *f, const void *p, size_t len, enum cmap_fmt fmt);

/* "12.3 MiB" style, into @buf. */
const char *cmap_human_bytes(char *buf, size_t size, uint64_t bytes);

#endif /* CMAP_UTIL_H */
