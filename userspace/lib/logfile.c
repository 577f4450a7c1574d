// SPDX-License-Identifier: GPL-2.0
/*
 * Stream records from a binary_runtime_measurements file (or the live
 * securityfs file, whose size is unknown until EOF) through a buffer that
 * holds at most one record plus one read: memory does not grow with the log.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fileio.h"
#include "logfile.h"

/*
 * The buffer starts at twice this, and a read fills what it has free.  A
 * securityfs file (IMA's, the module's ima_log) costs the kernel a walk of
 * IMA's list from the head per read, and ima_log serves a read of up to
 * 4 MiB with one: there reads are larger.
 */
#define LOGFILE_CHUNK		(256 * 1024)
#define LOGFILE_CHUNK_LIVE	(1024 * 1024)
/* Big enough for the largest record the parser accepts. */
#define LOGFILE_MAX_BUF	(2 * IMASNAP_TEMPLATE_DATA_MAX)

int imasnap_parse_order(const char *s, enum imasnap_order_opt *order)
{
	if (!strcmp(s, "auto"))
		*order = IMASNAP_ORDER_AUTO;
	else if (!strcmp(s, "le"))
		*order = IMASNAP_ORDER_LE;
	else if (!strcmp(s, "be"))
		*order = IMASNAP_ORDER_BE;
	else
		return -EINVAL;
	return 0;
}

static int logfile_fill(struct imasnap_logfile *lf)
{
	ssize_t n;

	if (lf->start) {
		memmove(lf->buf, lf->buf + lf->start, lf->end - lf->start);
		lf->end -= lf->start;
		lf->start = 0;
	}
	if (lf->cap - lf->end < lf->chunk && lf->cap < LOGFILE_MAX_BUF) {
		size_t cap = lf->cap * 2;
		unsigned char *b = realloc(lf->buf, cap);

		if (!b)
			return -ENOMEM;
		lf->buf = b;
		lf->cap = cap;
	}
	if (lf->end == lf->cap)
		return -EFBIG;
	do {
		n = read(lf->fd, lf->buf + lf->end, lf->cap - lf->end);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		lf->eof = true;
	lf->end += (size_t)n;
	return 0;
}

int imasnap_logfile_open(struct imasnap_logfile *lf, const char *path,
			 enum imasnap_order_opt order)
{
	return imasnap_logfile_open_at(lf, path, order, 0);
}

int imasnap_logfile_open_at(struct imasnap_logfile *lf, const char *path,
			    enum imasnap_order_opt order, u64 offset)
{
	enum imasnap_log_order lo = IMASNAP_LOG_NATIVE;
	struct statfs sf;
	int ret;

	memset(lf, 0, sizeof(*lf));
	lf->path = path;
	/* A regular file (securityfs's is one): a FIFO would block the reader. */
	lf->fd = imasnap_open_input(path, SIZE_MAX, &lf->why);
	if (lf->fd < 0)
		return lf->fd;
	/* securityfs seq_files seek by reading up to @offset; a regular file seeks. */
	if (offset && lseek(lf->fd, (off_t)offset, SEEK_SET) < 0) {
		ret = -errno;
		lf->why = strerror(-ret);
		close(lf->fd);
		return ret;
	}
	lf->chunk = LOGFILE_CHUNK;
	if (!fstatfs(lf->fd, &sf) && sf.f_type == SECURITYFS_MAGIC)
		lf->chunk = LOGFILE_CHUNK_LIVE;
	lf->cap = 2 * lf->chunk;
	lf->buf = malloc(lf->cap);
	if (!lf->buf) {
		close(lf->fd);
		lf->why = strerror(ENOMEM);
		return -ENOMEM;
	}
	while (!lf->eof && lf->end < 4 + IMASNAP_SHA1_DIGEST_SIZE + 4) {
		ret = logfile_fill(lf);
		if (ret) {
			imasnap_logfile_close(lf);
			lf->why = strerror(-ret);
			return ret;
		}
	}
	if (order == IMASNAP_ORDER_BE)
		lo = IMASNAP_LOG_BE;
	else if (order == IMASNAP_ORDER_LE)
		lo = IMASNAP_LOG_LE;
	else if (lf->end)
		/* Ambiguous first records are left to the parser to reject. */
		imasnap_log_guess_order(lf->buf, lf->end, &lo);
	imasnap_log_init(&lf->log, lo);
	return 0;
}

int imasnap_logfile_next(struct imasnap_logfile *lf,
			 struct imasnap_log_record *rec, struct imasnap_err *err)
{
	int ret;

	for (;;) {
		ret = imasnap_log_next(&lf->log, lf->buf + lf->start,
				       lf->end - lf->start, lf->eof, rec, err);
		if (ret > 0) {
			lf->start += (size_t)ret;
			return 1;
		}
		if (ret < 0)
			return ret;
		if (lf->eof)
			return 0;
		ret = logfile_fill(lf);
		if (ret)
			return ret;
	}
}

int imasnap_logfile_compare(struct imasnap_logfile *lf, const void *p, size_t n)
{
	const unsigned char *b = p;
	int ret;

	while (n) {
		size_t k = lf->end - lf->start;

		if (!k) {
			if (lf->eof)
				return 0;
			ret = logfile_fill(lf);
			if (ret)
				return ret;
			continue;
		}
		if (k > n)
			k = n;
		if (memcmp(lf->buf + lf->start, b, k))
			return 0;
		lf->start += k;
		lf->log.offset += k;
		b += k;
		n -= k;
	}
	return 1;
}

void imasnap_logfile_close(struct imasnap_logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->buf);
	lf->buf = NULL;
	lf->fd = -1;
}
