/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files, the way every part of libimasnap reads and writes them: whole
 * reads bounded by what the format allows, and one atomic writer.
 */
#ifndef _IMASNAP_FILEIO_H
#define _IMASNAP_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../../lib/core.h"

int imasnap_write_all(int fd, const void *p, size_t n);
/* All @n bytes at offset @off. */
int imasnap_pwrite_all(int fd, const void *p, size_t n, u64 off);
/* Exactly @n bytes: 0, -ENODATA at an early end of file, -errno. */
int imasnap_read_full(int fd, void *p, size_t n);
/*
 * @n bytes of @in from offset @off appended at @out's position: by
 * copy_file_range() (the kernel copies, or shares the blocks where the
 * filesystem can), else through a bounded buffer.  0; -ENODATA when @in
 * ends first; -errno.
 */
int imasnap_copy_range(int in, u64 off, int out, u64 n);
/*
 * Append what @fd holds from its position to EOF to *@buf (@len bytes used
 * of @cap, grown as needed, one byte always spare for a NUL), but never
 * more than @max bytes in all: -EFBIG past it.
 */
int imasnap_append_fd(int fd, u8 **buf, size_t *len, size_t *cap, size_t max);
/*
 * Open an input: only a regular file (securityfs and sysfs files are), so
 * that a FIFO or a device never blocks or floods the reader, and at most
 * @max bytes long as far as its size tells.  The descriptor, or -errno;
 * -EBADMSG when it is not one, with @why.
 */
int imasnap_open_input(const char *path, size_t max, const char **why);
/* The same as a stdio stream: NULL with *@err (-errno) and @why on failure. */
FILE *imasnap_fopen_input(const char *path, size_t max, int *err, const char **why);
/*
 * A whole input (imasnap_open_input()) into a new NUL-terminated buffer,
 * at most @max bytes even when its size said less (securityfs files say
 * 0).  0; -EBADMSG or -errno, with @why always set on failure.
 */
int imasnap_read_file(const char *path, size_t max, u8 **buf, size_t *len, const char **why);
/* Write @len bytes to an existing file (a securityfs control file) in one write(). */
int imasnap_write_file(const char *path, const void *text, size_t len);
int imasnap_fsync_dir(const char *dir);
/*
 * A scratch file in @dir, read-write, unlinked from the start (O_TMPFILE,
 * else a unique name removed at once): it goes with its last descriptor.
 * The descriptor, or -errno.
 */
int imasnap_scratch_file(const char *dir);

/*
 * The atomic file writer: the file appears under its final name only
 * complete and on disk.  imasnap_atomic_open() creates a temporary file of
 * its own next to @path (mode 0600, O_NOFOLLOW, O_EXCL; for a new file an
 * unnamed one, O_TMPFILE, where it can); write to ->fd,
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
/*
 * imasnap_atomic_open() with a stdio stream on the file: fclose() it
 * before the commit (which fsyncs ->fd).  NULL with *@err on failure.
 */
FILE *imasnap_atomic_fopen(struct imasnap_atomic *a, const char *path,
			   enum imasnap_atomic_mode mode, int *err);

#endif /* _IMASNAP_FILEIO_H */
