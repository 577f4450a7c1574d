/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The archive folder and the running system it belongs to: shard file
 * names, the range of shards kept, the newest shard, this boot's id.
 */
#ifndef _IMASNAP_ARCHIVE_H
#define _IMASNAP_ARCHIVE_H

#include "shard.h"

#define IMASNAP_SECURITYFS	"/sys/kernel/security/imasnap"
#define IMASNAP_IMA_LOG		"/sys/kernel/security/ima/binary_runtime_measurements"
/* What --log defaults to, for the --help texts (cmd_default_log()). */
#define IMASNAP_LOG_DEFAULT	"the module's ima_log, else " IMASNAP_IMA_LOG

/* @dir/shard-%08llu.ims into @buf: 0 or -ENAMETOOLONG. */
int imasnap_shard_path(const char *dir, u64 seq, char *buf, size_t size);
/*
 * The shards @first..@first + @count - 1 in @dir, without a gap (-EBADMSG);
 * @first > 0 after a prune; @first = @count = 0 when empty.  Names other
 * than shard-NNNNNNNN.ims (exactly 8 digits) are ignored.  -errno when
 * @dir cannot be read.
 */
int imasnap_archive_range(const char *dir, u64 *first, u64 *count);
/*
 * After imasnap_archive_range() found a gap: "a shard is missing: shard N
 * (M missing between shard A and shard B)" into @buf, N the lowest seq
 * missing.
 */
void imasnap_archive_gap(const char *dir, char *buf, size_t size);
/*
 * The newest shard, read and checked, and @next: the seq the next shard
 * gets (0: the archive is empty).  The oldest shards may have been
 * pruned.  0, -EBADMSG or -errno, named on stderr.
 */
int imasnap_archive_newest(const char *dir, u64 *next, struct imasnap_shard *newest);
/* "8c2d...-..." (/proc/sys/kernel/random/boot_id) or 32 hex digits: 0 or -EINVAL. */
int imasnap_parse_boot_id(const char *s, u8 id[16]);
/* This boot's id, or @given (tests): 0, -EINVAL or -errno, named on stderr. */
int imasnap_boot_id(const char *given, u8 id[16]);

#endif /* _IMASNAP_ARCHIVE_H */
