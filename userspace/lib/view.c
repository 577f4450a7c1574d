// SPDX-License-Identifier: GPL-2.0
/*
 * The history as files with stable offsets (view.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "view.h"

/*
 * An index entry, in the index file (host order: the file lives as long as
 * the view), for every IMASNAP_VIEW_STRIDE-th record of the history.
 */
struct view_entry {
	u64 ascii;			/* the record's offset in the ascii file */
	u64 at;				/* ... and in the spool (the binary file) */
};

/* The spool is read in chunks this large (more for a larger record). */
#define VIEW_CHUNK	(128 * 1024)

/*
 * A record of the history, checked (history.c): spooled, indexed and
 * counted.  Every byte the view serves is read back from the spool, never
 * from the shard files or the live log again: what was checked is what is
 * served.
 */
static int view_add(void *priv, const struct imasnap_log *log,
		    const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct imasnap_view *v = priv;
	struct view_entry e = { v->size[IMASNAP_VIEW_ASCII], v->spool_size };
	ssize_t n;
	int ret;

	n = imasnap_ascii_line(&v->line, log, rec, err);
	if (n == -EBADMSG)
		return imasnap_verify_fail(-EBADMSG, "record %llu of the history: %s",
					   (unsigned long long)v->records, err->reason);
	if (n < 0)
		return (int)n;
	if (!(v->records % IMASNAP_VIEW_STRIDE)) {
		ret = imasnap_pwrite_all(v->index_fd, &e, sizeof(e),
					 v->records / IMASNAP_VIEW_STRIDE * sizeof(e));
		if (ret)
			return imasnap_verify_fail(ret, "the view's index: %s", strerror(-ret));
	}
	ret = imasnap_pwrite_all(v->spool_fd, rec->raw, rec->size, v->spool_size);
	if (ret)
		return imasnap_verify_fail(ret, "the view's spool: %s", strerror(-ret));
	v->spool_size += rec->size;
	v->records++;
	v->size[IMASNAP_VIEW_BINARY] += rec->size;
	v->size[IMASNAP_VIEW_ASCII] += (u64)n;
	return 0;
}

int imasnap_view_refresh(struct imasnap_view *v)
{
	struct imasnap_log_record rec;
	struct imasnap_err err;
	int ret;

	if (v->broken)
		return v->broken;
	while ((ret = imasnap_history_live_next(&v->h, &v->lf, &rec)) > 0) {
		ret = view_add(v, &v->lf.log, &rec, &err);
		if (ret)
			break;
	}
	if (!ret)
		ret = imasnap_history_live_end(&v->h);
	/* Read on from there next time: the log grows. */
	v->lf.eof = false;
	/*
	 * A history that does not chain stops the view for good; a failure
	 * to read or to allocate is tried again at the next refresh.
	 */
	if (ret == -IMASNAP_EVERIFY || ret == -EBADMSG || ret == -IMASNAP_ESTATE)
		v->broken = ret;
	return ret;
}

int imasnap_view_open(struct imasnap_view *v, const char *dir, const char *log,
		      struct imasnap_evp *evp, unsigned int threads, const char *tmpdir)
{
	int ret;

	memset(v, 0, sizeof(*v));
	v->index_fd = -1;
	v->spool_fd = -1;
	ret = imasnap_history_open(&v->h, dir, log, evp, threads);
	if (ret)
		return ret;
	v->index_fd = imasnap_scratch_file(tmpdir);
	v->spool_fd = v->index_fd >= 0 ? imasnap_scratch_file(tmpdir) : v->index_fd;
	if (v->spool_fd < 0) {
		ret = v->spool_fd;
		imasnap_errorf("%s: a temporary file: %s", tmpdir, strerror(-ret));
		return ret;
	}
	/* One byte order for both files, from one copy. */
	v->h.same_order = true;
	ret = imasnap_history_shards(&v->h, view_add, v);
	if (!ret)
		ret = imasnap_history_live_open(&v->h, &v->lf);
	if (ret)
		return ret;
	v->lf_open = true;
	return imasnap_view_refresh(v);
}

void imasnap_view_close(struct imasnap_view *v)
{
	if (v->lf_open)
		imasnap_logfile_close(&v->lf);
	v->lf_open = false;
	imasnap_history_close(&v->h);
	if (v->index_fd >= 0)
		close(v->index_fd);
	if (v->spool_fd >= 0)
		close(v->spool_fd);
	v->index_fd = v->spool_fd = -1;
	imasnap_ascii_line_free(&v->line);
	free(v->buf);
	v->buf = NULL;
}

static int entry_at(const struct imasnap_view *v, u64 i, struct view_entry *e)
{
	ssize_t n = pread(v->index_fd, e, sizeof(*e), (off_t)(i * sizeof(*e)));

	if (n == (ssize_t)sizeof(*e))
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* The last entry whose ascii offset is at most @off (there is one: @off < the size). */
static int view_find(const struct imasnap_view *v, u64 off, struct view_entry *e)
{
	u64 lo = 0, hi = (v->records + IMASNAP_VIEW_STRIDE - 1) / IMASNAP_VIEW_STRIDE;
	int ret;

	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		ret = entry_at(v, mid, e);
		if (ret)
			return ret;
		if (e->ascii <= off)
			lo = mid;
		else
			hi = mid;
	}
	return entry_at(v, lo, e);
}

/*
 * The spool's bytes from @at into v->buf, grown to @need first (at least
 * one whole record), as many as it holds: @len.
 */
static int view_fill(struct imasnap_view *v, u64 at, size_t need, size_t *len)
{
	size_t want;
	ssize_t n;
	u8 *p;

	if (need > v->buf_cap) {
		p = realloc(v->buf, need);
		if (!p)
			return -ENOMEM;
		v->buf = p;
		v->buf_cap = need;
	}
	want = v->buf_cap;
	if (v->spool_size - at < want)
		want = (size_t)(v->spool_size - at);
	n = pread(v->spool_fd, v->buf, want, (off_t)at);
	if (n < 0)
		return -errno;
	*len = (size_t)n;
	return 0;
}

/* The spool does not hold what it was given (root wrote to it): never serve it. */
static ssize_t view_lost(struct imasnap_view *v)
{
	if (!v->broken)
		imasnap_errorf("view: the spool no longer holds the records it was given: serving stops");
	v->broken = -EIO;
	return -EIO;
}

/* The binary file is the spool, byte for byte. */
static ssize_t view_read_binary(struct imasnap_view *v, char *out, size_t size, u64 off)
{
	ssize_t n;

	if (size > v->spool_size - off)
		size = (size_t)(v->spool_size - off);
	n = pread(v->spool_fd, out, size, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == size ? n : view_lost(v);
}

/* The ascii file: from the entry before @off, at most a stride of records printed to skip. */
static ssize_t view_read_ascii(struct imasnap_view *v, char *out, size_t size, u64 off)
{
	struct imasnap_log_record rec;
	struct imasnap_err err;
	struct imasnap_log log;
	struct view_entry e;
	size_t done = 0, have = 0, pos = 0, need = VIEW_CHUNK;
	u64 at, voff;
	ssize_t n;
	int ret;

	ret = view_find(v, off, &e);
	if (ret)
		return ret;
	imasnap_log_init(&log, v->h.order);
	at = e.at;
	voff = e.ascii;
	while (done < size && off + done < v->size[IMASNAP_VIEW_ASCII]) {
		if (at >= v->spool_size)
			return view_lost(v);
		if (pos == have) {
			ret = view_fill(v, at, need, &have);
			if (ret)
				return ret;
			pos = 0;
		}
		ret = imasnap_log_next(&log, v->buf + pos, have - pos,
				       at + (have - pos) >= v->spool_size, &rec, &err);
		if (ret == 0 && at + (have - pos) < v->spool_size) {
			/*
			 * The record goes on past the buffer: read again from its
			 * start, into a larger buffer only if it began the buffer.
			 */
			if (!pos)
				need = 2 * have;
			if (need > 2 * (size_t)IMASNAP_TEMPLATE_DATA_MAX)
				return view_lost(v);
			have = pos = 0;
			continue;
		}
		if (ret <= 0)
			return view_lost(v);
		n = imasnap_ascii_line(&v->line, &log, &rec, &err);
		if (n < 0)
			return n == -EBADMSG ? view_lost(v) : n;
		if (voff + (size_t)n > off + done) {
			size_t skip = (size_t)(off + done - voff);
			size_t len = (size_t)n - skip < size - done ? (size_t)n - skip : size - done;

			memcpy(out + done, v->line.buf + skip, len);
			done += len;
		}
		voff += (size_t)n;
		pos += rec.size;
		at += rec.size;
	}
	return (ssize_t)done;
}

ssize_t imasnap_view_read(struct imasnap_view *v, enum imasnap_view_file f, char *out,
			  size_t size, u64 off)
{
	if (v->broken)
		return -EIO;
	if (off + size > v->size[f])
		imasnap_view_refresh(v);
	if (v->broken)
		return -EIO;
	if (off >= v->size[f] || !size)
		return 0;
	return f == IMASNAP_VIEW_BINARY ? view_read_binary(v, out, size, off) :
					  view_read_ascii(v, out, size, off);
}
