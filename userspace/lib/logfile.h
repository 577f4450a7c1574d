/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stream the records of a binary_runtime_measurements file (or IMA's live
 * securityfs file, whose size is unknown until EOF) through a buffer that
 * holds at most one record plus one read.
 */
#ifndef _IMASNAP_LOGFILE_H
#define _IMASNAP_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "../../lib/core.h"

struct imasnap_logfile {
	const char *path;
	int fd;
	unsigned char *buf;
	size_t cap, start, end;
	size_t chunk;		/* the least a read asks for */
	bool eof;
	struct imasnap_log log;
	const char *why;	/* why imasnap_logfile_open() failed */
};

enum imasnap_order_opt {
	IMASNAP_ORDER_AUTO,	/* imasnap_log_guess_order() on the first record */
	IMASNAP_ORDER_LE,
	IMASNAP_ORDER_BE,
};

int imasnap_logfile_open(struct imasnap_logfile *lf, const char *path,
			 enum imasnap_order_opt order);
/* The same from byte @offset (record offsets and indexes count from there). */
int imasnap_logfile_open_at(struct imasnap_logfile *lf, const char *path,
			    enum imasnap_order_opt order, u64 offset);
/* 1: a record; 0: end of log; -EBADMSG: malformed (@err); -errno: read error. */
int imasnap_logfile_next(struct imasnap_logfile *lf,
			 struct imasnap_log_record *rec, struct imasnap_err *err);
/*
 * Whether the next @n bytes of the log are @p's, read past (1), or not,
 * or the log ends first (0; where it stands then is undefined); -errno: a
 * read failed.  They count as consumed for the records after them.
 */
int imasnap_logfile_compare(struct imasnap_logfile *lf, const void *p, size_t n);
void imasnap_logfile_close(struct imasnap_logfile *lf);
/* "auto", "le" or "be"; -EINVAL otherwise. */
int imasnap_parse_order(const char *s, enum imasnap_order_opt *order);

#endif /* _IMASNAP_LOGFILE_H */
