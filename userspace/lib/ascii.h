/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A record of binary_runtime_measurements as IMA prints it in
 * ascii_runtime_measurements (ima_ascii_measurements_show()): one line,
 * byte for byte.  Documentation/log-view.md gives the rules per field.
 */
#ifndef _IMASNAP_ASCII_H
#define _IMASNAP_ASCII_H

#include <stddef.h>
#include <sys/types.h>

#include "../../lib/core.h"

/* The most bytes imasnap_ascii_record() writes for @rec, its newline included. */
size_t imasnap_ascii_max(const struct imasnap_log_record *rec);
/*
 * @rec's line into @buf (@size bytes, at least imasnap_ascii_max()), not
 * NUL-terminated.  Its length; -EBADMSG (@err) for a field IMA would not
 * have printed so (a digest without its "<algo>:" prefix, a string without
 * its NUL); -ENOSPC when @size is too small.
 */
ssize_t imasnap_ascii_record(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			     char *buf, size_t size, struct imasnap_err *err);

/* A line buffer that grows to what each record needs. */
struct imasnap_ascii_line {
	char *buf;
	size_t cap;
};

/* @rec's line into @l->buf (grown first): its length, -EBADMSG (@err) or -ENOMEM. */
ssize_t imasnap_ascii_line(struct imasnap_ascii_line *l, const struct imasnap_log *log,
			   const struct imasnap_log_record *rec, struct imasnap_err *err);
void imasnap_ascii_line_free(struct imasnap_ascii_line *l);

#endif /* _IMASNAP_ASCII_H */
