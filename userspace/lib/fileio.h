/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files, the way every part of libimasnap reads and writes them: whole
 * reads bounded by what the format allows, and one atomic writer.
 */
#ifndef _IMASNAP_FILEIO_H
#define _IMASNAP_FILEIO_H

#include <stdbool.h>
#include <stddef.h>

#include "../../lib/core.h"

int imasnap_write_all(int fd, const void *p, size_t n);
/* Exactly @n bytes: 0, -ENODATA at an early end of file, -errno. */
int imasnap_read_full(int fd, void *p, size_t n);
/*
 * Append what @fd holds from its position to EOF to *@buf (@len bytes used
 * of @cap, grown as needed, one byte always spare for a NUL), but never
 * more than @max bytes in all: -EFBIG past it.
 */
int imasnap_append_fd(int fd, u8 **buf, size_t *len, size_t *cap, size_t max);
/*
 * A whole file into a new NUL-terminated buffer, at most @max bytes
 * (-EFBIG past it).  With @regular, anything but a regular file is
 * refused (-EBADMSG): a FIFO or a device never blocks or floods the
 * reader.  securityfs files are read with @regular false.
 */
int imasnap_read_file(const char *path, size_t max, bool regular, u8 **buf, size_t *len);
/* Write @len bytes to an existing file (a securityfs control file) in one write(). */
int imasnap_write_file(const char *path, const void *text, size_t len);
int imasnap_fsync_dir(const char *dir);

/*
 * The atomic file writer: the file appears under its final name only
 * complete and on disk.  imasnap_atomic_open() creates a temporary file of
 * its own next to @path (mode 0600, O_NOFOLLOW, O_EXCL); write to ->fd,
 * then imasnap_atomic_commit() fsyncs it, puts it in place and fsyncs the
 * folder.  IMASNAP_ATOMIC_NEW links it (an existing file wins: -EEXIST),
 * IMASNAP_ATOMIC_REPLACE renames it over any file of that name (never
 * following a symlink there).  imasnap_atomic_abort() removes it; commit
 * does too when it fails.
 */
enum imasnap_atomic_mode {
	IMASNAP_ATOMIC_NEW,
	IMASNAP_ATOMIC_REPLACE,
};

struct imasnap_atomic {
	int fd;
	enum imasnap_atomic_mode mode;
	char path[4096];
	char tmp[4096];
	char dir[4096];
};

int imasnap_atomic_open(struct imasnap_atomic *a, const char *path,
			enum imasnap_atomic_mode mode);
int imasnap_atomic_commit(struct imasnap_atomic *a);
void imasnap_atomic_abort(struct imasnap_atomic *a);

#endif /* _IMASNAP_FILEIO_H */
