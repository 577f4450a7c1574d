// SPDX-License-Identifier: GPL-2.0
/*
 * The history as files with stable offsets (view.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "ascii.h"
#include "error.h"
#include "fileio.h"
#include "view.h"

/* An index entry, in the index file (host order: the file lives as long as the view). */
struct view_entry {
	u64 record;			/* its record's number in the view */
	u64 off[IMASNAP_VIEW_FILES];	/* that record's offset in each file */
	u64 seq;			/* its source: a shard, or IMASNAP_LIVE (the spool) */
	u64 at;				/* the record's offset in the source file */
	u64 end;			/* where the source's records end (the spool: its size) */
	u32 order;			/* enum imasnap_log_order of the source */
	u32 reserved;
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

static int view_add_entry(struct imasnap_view *v, const struct imasnap_log *log, u64 at)
{
	struct view_entry e = {
		.record = v->records,
		.off = { v->size[IMASNAP_VIEW_BINARY], v->size[IMASNAP_VIEW_ASCII] },
		.seq = v->part_seq,
		.at = at,
		.end = v->part_end,
		.order = (u32)log->order,
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

/* The record at @at of the current part: indexed and counted. */
static int view_count(struct imasnap_view *v, const struct imasnap_log *log,
		      const struct imasnap_log_record *rec, u64 at, struct imasnap_err *err)
{
	ssize_t n;
	int ret;

	if (v->part_new || v->since >= IMASNAP_VIEW_STRIDE) {
		ret = view_add_entry(v, log, at);
		if (ret)
			return ret;
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
	v->since++;
	v->records++;
	v->size[IMASNAP_VIEW_BINARY] += rec->size;
	v->size[IMASNAP_VIEW_ASCII] += (u64)n;
	return 0;
}

static int view_part(void *priv, u64 seq, const char *path)
{
	struct imasnap_view *v = priv;
	struct imasnap_shard *sh;
	struct imasnap_err err;
	struct stat st;
	int ret;

	v->part_seq = seq;
	v->part_new = true;
	if (seq == IMASNAP_LIVE) {
		v->part_base = 0;
		v->part_end = UINT64_MAX;
		return 0;
	}
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	ret = imasnap_shard_read_header(path, sh, &err);
	if (!ret && stat(path, &st))
		ret = -errno;
	if (!ret) {
		v->part_end = (u64)st.st_size - sh->trailer_size;
		v->part_base = v->part_end - sh->body_size;
	}
	free(sh);
	if (ret == -EBADMSG)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu: %s", (unsigned long long)seq,
					   err.reason);
	return ret ? imasnap_verify_fail(ret, "%s: %s", path, strerror(-ret)) : 0;
}

static int view_shard_record(void *priv, const struct imasnap_log *log,
			     const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct imasnap_view *v = priv;

	return view_count(v, log, rec, v->part_base + rec->offset, err);
}

int imasnap_view_refresh(struct imasnap_view *v)
{
	struct imasnap_log_record rec;
	struct imasnap_err err;
	int ret;

	if (v->broken)
		return v->broken;
	while ((ret = imasnap_history_live_next(&v->h, &v->lf, &rec)) > 0) {
		u64 at = v->spool_size;

		ret = imasnap_pwrite_all(v->spool_fd, rec.raw, rec.size, at);
		if (!ret)
			ret = view_count(v, &v->lf.log, &rec, at, &err);
		if (ret)
			break;
		v->spool_size += rec.size;
	}
	if (!ret)
		ret = imasnap_history_live_end(&v->h);
	/* Read on from there next time: the log grows. */
	v->lf.eof = false;
	if (ret)
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

/* A source's bytes from @at, at least one whole record (@len: how many). */
static int view_fill(struct imasnap_view *v, int fd, u64 at, u64 end, size_t want, size_t *len)
{
	ssize_t n;
	u8 *p;

	if (want > v->buf_cap) {
		p = realloc(v->buf, want);
		if (!p)
			return -ENOMEM;
		v->buf = p;
		v->buf_cap = want;
	}
	if (end - at < want)
		want = (size_t)(end - at);
	n = pread(fd, v->buf, want, (off_t)at);
	if (n < 0)
		return -errno;
	*len = (size_t)n;
	return 0;
}

ssize_t imasnap_view_read(struct imasnap_view *v, enum imasnap_view_file f, char *out,
			  size_t size, u64 off)
{
	struct imasnap_log_record rec;
	struct imasnap_err err;
	struct imasnap_log log;
	struct view_entry e;
	size_t done = 0, have = 0, pos = 0, want = VIEW_CHUNK;
	u64 at = 0, end = 0, voff = 0;
	char path[4096];
	int fd = -1, ret = 0;
	bool need = true;

	if (v->broken)
		return -EIO;
	if (off + size > v->size[f])
		imasnap_view_refresh(v);
	if (v->broken)
		return -EIO;
	while (done < size && off + done < v->size[f]) {
		if (need) {
			/* The part that holds the next byte: by its entry. */
			if (fd >= 0 && fd != v->spool_fd)
				close(fd);
			fd = -1;
			ret = view_find(v, f, off + done, &e);
			if (ret)
				break;
			if (e.seq == IMASNAP_LIVE) {
				fd = v->spool_fd;
				e.end = v->spool_size;
			} else {
				ret = imasnap_shard_path(v->h.dir, e.seq, path, sizeof(path));
				fd = ret ? -1 : open(path, O_RDONLY | O_CLOEXEC);
				if (!ret && fd < 0)
					ret = -errno;
				if (ret)
					break;
			}
			imasnap_log_init(&log, (enum imasnap_log_order)e.order);
			at = e.at;
			end = e.end;
			voff = e.off[f];
			have = pos = 0;
			need = false;
		}
		if (at >= end) {
			need = true;
			continue;
		}
		if (pos == have || !have) {
			ret = view_fill(v, fd, at, end, want, &have);
			if (ret)
				break;
			pos = 0;
		}
		ret = imasnap_log_next(&log, v->buf + pos, have - pos, at + (have - pos) >= end,
				       &rec, &err);
		if (ret == 0 && at + (have - pos) < end) {
			/* A record longer than what is here: read it whole. */
			want = 2 * want;
			have = 0;
			if (want > 2 * (size_t)IMASNAP_TEMPLATE_DATA_MAX) {
				ret = -EIO;
				break;
			}
			continue;
		}
		if (ret <= 0) {
			/* The source changed since it was indexed: stop serving. */
			ret = -EIO;
			break;
		}
		{
			const char *src = (const char *)rec.raw;
			size_t len = rec.size, skip;

			if (f == IMASNAP_VIEW_ASCII) {
				ssize_t n;

				ret = line_room(v, imasnap_ascii_max(&rec));
				n = ret ? ret : imasnap_ascii_record(&log, &rec, v->line, v->line_cap,
								      &err);
				if (n < 0) {
					ret = n == -EBADMSG ? -EIO : (int)n;
					break;
				}
				src = v->line;
				len = (size_t)n;
			}
			if (voff + len > off + done) {
				skip = (size_t)(off + done - voff);
				if (len - skip > size - done)
					len = skip + (size - done);
				memcpy(out + done, src + skip, len - skip);
				done += len - skip;
				voff += len;
			} else {
				voff += len;
			}
			pos += rec.size;
			at += rec.size;
			ret = 0;
		}
	}
	if (fd >= 0 && fd != v->spool_fd)
		close(fd);
	if (ret == -EIO && !v->broken) {
		imasnap_errorf("view: a source changed since it was indexed: serving stops");
		v->broken = -EIO;
	}
	return ret ? ret : (ssize_t)done;
}
