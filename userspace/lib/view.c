// SPDX-License-Identifier: GPL-2.0
/*
 * The history as files with stable offsets (view.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "ascii.h"
#include "error.h"
#include "fileio.h"
#include "view.h"

/* An index entry, in the index file (host order: the file lives as long as the view). */
struct view_entry {
	u64 record;			/* its record's number in the view */
	u64 off[IMASNAP_VIEW_FILES];	/* that record's offset in each file */
	u64 at;				/* ... and in the spool */
};

/* A source's bytes are read in chunks this large (more for a larger record). */
#define VIEW_CHUNK	(128 * 1024)

static int tmp_file(const char *dir)
{
	char path[4096];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	if ((size_t)snprintf(path, sizeof(path), "%s/imasnap-view.XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

static int line_room(struct imasnap_view *v, size_t need)
{
	char *p;

	if (need <= v->line_cap)
		return 0;
	p = realloc(v->line, need);
	if (!p)
		return -ENOMEM;
	v->line = p;
	v->line_cap = need;
	return 0;
}

static int view_add_entry(struct imasnap_view *v)
{
	struct view_entry e = {
		.record = v->records,
		.off = { v->size[IMASNAP_VIEW_BINARY], v->size[IMASNAP_VIEW_ASCII] },
		.at = v->spool_size,
	};
	int ret;

	ret = imasnap_pwrite_all(v->index_fd, &e, sizeof(e), v->nr_entries * sizeof(e));
	if (ret)
		return ret;
	v->nr_entries++;
	v->since = 0;
	v->part_new = false;
	return 0;
}

/*
 * A record of the history, checked: spooled, indexed and counted.  Every
 * byte the view serves is read back from the spool, never from the shard
 * files or the live log again: what was checked is what is served.
 */
static int view_add(struct imasnap_view *v, const struct imasnap_log *log,
		    const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	ssize_t n;
	int ret;

	if (!v->records) {
		v->order = log->order;
	} else if (log->order != v->order) {
		/* history.c refuses that first (same_order): one order for all. */
		return imasnap_verify_fail(-IMASNAP_ESTATE, "record %llu of the history is in another byte order",
					   (unsigned long long)v->records);
	}
	if (v->part_new || v->since >= IMASNAP_VIEW_STRIDE) {
		ret = view_add_entry(v);
		if (ret)
			return imasnap_verify_fail(ret, "the view's index: %s", strerror(-ret));
	}
	ret = line_room(v, imasnap_ascii_max(rec));
	if (ret)
		return ret;
	n = imasnap_ascii_record(log, rec, v->line, v->line_cap, err);
	if (n == -EBADMSG)
		return imasnap_verify_fail(-EBADMSG, "record %llu of the history: %s",
					   (unsigned long long)v->records, err->reason);
	if (n < 0)
		return (int)n;
	ret = imasnap_pwrite_all(v->spool_fd, rec->raw, rec->size, v->spool_size);
	if (ret)
		return imasnap_verify_fail(ret, "the view's spool: %s", strerror(-ret));
	v->spool_size += rec->size;
	v->since++;
	v->records++;
	v->size[IMASNAP_VIEW_BINARY] += rec->size;
	v->size[IMASNAP_VIEW_ASCII] += (u64)n;
	return 0;
}

/* A part begins (a shard, the live log): its first record gets an entry. */
static int view_part(void *priv, u64 seq, const char *path)
{
	struct imasnap_view *v = priv;

	(void)seq;
	(void)path;
	v->part_new = true;
	return 0;
}

static int view_shard_record(void *priv, const struct imasnap_log *log,
			     const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	return view_add(priv, log, rec, err);
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
	v->index_fd = tmp_file(tmpdir);
	v->spool_fd = v->index_fd >= 0 ? tmp_file(tmpdir) : v->index_fd;
	if (v->spool_fd < 0) {
		ret = v->spool_fd;
		imasnap_errorf("%s: a temporary file: %s", tmpdir, strerror(-ret));
		return ret;
	}
	v->h.part = view_part;
	ret = imasnap_history_shards(&v->h, true, view_shard_record, v);
	if (!ret)
		ret = imasnap_history_live_open(&v->h, &v->lf);
	if (ret)
		return ret;
	v->lf_open = true;
	v->h.same_order = true;
	ret = view_part(v, IMASNAP_LIVE, log);
	return ret ?: imasnap_view_refresh(v);
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
	free(v->line);
	free(v->buf);
	v->line = NULL;
	v->buf = NULL;
}

static int entry_at(const struct imasnap_view *v, u64 i, struct view_entry *e)
{
	ssize_t n = pread(v->index_fd, e, sizeof(*e), (off_t)(i * sizeof(*e)));

	if (n == (ssize_t)sizeof(*e))
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* The last entry whose offset in @f is at most @off. */
static int view_find(const struct imasnap_view *v, enum imasnap_view_file f, u64 off,
		     struct view_entry *e)
{
	u64 lo = 0, hi = v->nr_entries;
	int ret;

	while (hi - lo > 1) {
		u64 mid = lo + (hi - lo) / 2;

		ret = entry_at(v, mid, e);
		if (ret)
			return ret;
		if (e->off[f] <= off)
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

ssize_t imasnap_view_read(struct imasnap_view *v, enum imasnap_view_file f, char *out,
			  size_t size, u64 off)
{
	struct imasnap_log_record rec;
	struct imasnap_err err;
	struct imasnap_log log;
	struct view_entry e;
	size_t done = 0, have = 0, pos = 0, need = VIEW_CHUNK;
	u64 at, voff;
	int ret;

	if (v->broken)
		return -EIO;
	if (off + size > v->size[f])
		imasnap_view_refresh(v);
	if (v->broken)
		return -EIO;
	if (off >= v->size[f] || !size)
		return 0;
	/* The binary file is the spool, byte for byte. */
	if (f == IMASNAP_VIEW_BINARY) {
		ssize_t n;

		if (size > v->size[f] - off)
			size = (size_t)(v->size[f] - off);
		n = pread(v->spool_fd, out, size, (off_t)off);
		if (n < 0)
			return -errno;
		return (size_t)n == size ? n : view_lost(v);
	}
	/* The entry before @off: at most a stride of records to skip. */
	ret = view_find(v, f, off, &e);
	if (ret)
		return ret;
	imasnap_log_init(&log, v->order);
	at = e.at;
	voff = e.off[f];
	while (done < size && off + done < v->size[f]) {
		const char *src;
		size_t len, skip;

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
		src = (const char *)rec.raw;
		len = rec.size;
		if (f == IMASNAP_VIEW_ASCII) {
			ssize_t n;

			ret = line_room(v, imasnap_ascii_max(&rec));
			if (ret)
				return ret;
			n = imasnap_ascii_record(&log, &rec, v->line, v->line_cap, &err);
			if (n < 0)
				return n == -EBADMSG ? view_lost(v) : n;
			src = v->line;
			len = (size_t)n;
		}
		if (voff + len > off + done) {
			size_t n;

			skip = (size_t)(off + done - voff);
			n = len - skip < size - done ? len - skip : size - done;
			memcpy(out + done, src + skip, n);
			done += n;
		}
		voff += len;
		pos += rec.size;
		at += rec.size;
	}
	return (ssize_t)done;
}
