/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A spool: bytes appended to a file and hashed (SHA-256) as they come, by
 * a thread of its own, so that the caller's thread goes on parsing and
 * replaying while the body of a shard is digested and written (or, with no
 * file, only digested: a shard's body or the live log that verify checks;
 * or only written, where the digest is taken elsewhere).  Memory is two
 * fixed buffers, whatever the length.
 */
#ifndef _IMASNAP_SPOOL_H
#define _IMASNAP_SPOOL_H

#include <stdbool.h>

#include "../../lib/core.h"

struct imasnap_spool;

/*
 * Write to @fd (-1: hash only) from its position on, with pwrite() (the
 * position stays; write() where @fd cannot seek or appends); with
 * @threaded, on a thread of its own, else in the caller's; with @digest,
 * hashed (without, the caller has the bytes digested elsewhere, and asking
 * the spool for a digest is -EINVAL).  NULL with errno set when the
 * memory, the digest or the thread cannot be had.
 */
struct imasnap_spool *imasnap_spool_new(int fd, bool threaded, bool digest);
/*
 * Append @n bytes: 0, or the -errno of this write or of an earlier one
 * (after which nothing more is written).
 */
int imasnap_spool_add(struct imasnap_spool *s, const void *p, size_t n);
/*
 * Everything appended so far written to the file (which may then be read
 * back) and its SHA-256 in @digest (if not NULL); appending may go on.
 * 0 or the first write's -errno.
 */
int imasnap_spool_sync(struct imasnap_spool *s, u8 digest[32]);
/*
 * The SHA-256 of what was appended since the start (or the last restart) in
 * @digest, and a new digest from here, of the bytes appended from now on;
 * the file is written as by imasnap_spool_sync().  0 or the first -errno.
 */
int imasnap_spool_restart(struct imasnap_spool *s, u8 digest[32]);
/* Bytes appended since the start or the last restart. */
u64 imasnap_spool_size(const struct imasnap_spool *s);
void imasnap_spool_free(struct imasnap_spool *s);

#endif /* _IMASNAP_SPOOL_H */
