/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The history (history.h) as files read at any offset: what `imasnap mount`
 * serves as binary_runtime_measurements and ascii_runtime_measurements.
 *
 * Opening walks the archive and reads the history once, as `imasnap log`
 * does, copying every record into a spool file as it is checked (the
 * spool is the binary file, byte for byte) and writing an index: an entry
 * for every IMASNAP_VIEW_STRIDE-th record, with its offset in the ascii
 * file and in the spool.  Every byte served is read back from the spool,
 * never from the shard files or the live log again: what was checked is
 * what is served, whatever happens to the archive later (a prune, a
 * rewrite).  A read of the ascii file at offset X finds its entry by a
 * binary search of the index and prints at most a stride of records before
 * it, whatever X.  Index and spool are unlinked scratch files: memory does
 * not grow with the log (the spool takes the history's size on disk).  The
 * live log is read on as it grows (imasnap_view_refresh()), its records
 * checked against the archive as `imasnap log` checks them; a record number
 * never changes.  One byte order for the whole history.
 */
#ifndef _IMASNAP_VIEW_H
#define _IMASNAP_VIEW_H

#include <sys/types.h>

#include "ascii.h"
#include "history.h"

#define IMASNAP_VIEW_STRIDE	256

enum imasnap_view_file {
	IMASNAP_VIEW_BINARY,	/* binary_runtime_measurements */
	IMASNAP_VIEW_ASCII,	/* ascii_runtime_measurements */
	IMASNAP_VIEW_FILES,
};

struct imasnap_view {
	struct imasnap_history h;
	struct imasnap_logfile lf;
	bool lf_open;
	int index_fd;
	int spool_fd;
	u64 spool_size;
	u64 records;			/* in the view */
	u64 size[IMASNAP_VIEW_FILES];	/* of each file */
	int broken;			/* 0, or why the history stopped chaining (-errno) */
	/* Scratch: an ascii line; the spool's bytes. */
	struct imasnap_ascii_line line;
	u8 *buf;
	size_t buf_cap;
};

/*
 * Walk @dir for the live log @log, read the history and index it (index and
 * spool in @tmpdir).  0, or -errno with the failure named on stderr.
 */
int imasnap_view_open(struct imasnap_view *v, const char *dir, const char *log,
		      struct imasnap_evp *evp, unsigned int threads, const char *tmpdir);
/*
 * Read the live log on: its new records are checked, indexed and spooled.
 * 0, or the -errno that now stops the view (named on stderr, once).
 */
int imasnap_view_refresh(struct imasnap_view *v);
/*
 * Up to @size bytes of file @f at @off into @buf: the byte count (0 past the
 * end), or -errno (-EIO once the history stopped chaining).
 */
ssize_t imasnap_view_read(struct imasnap_view *v, enum imasnap_view_file f, char *buf,
			  size_t size, u64 off);
void imasnap_view_close(struct imasnap_view *v);

#endif /* _IMASNAP_VIEW_H */
