// SPDX-License-Identifier: GPL-2.0
/*
 * The spool (spool.h).  The caller fills one buffer while the thread hashes
 * and writes the other: a full buffer is handed over once the thread is
 * done with the one before, so the bytes reach the digest and the file in
 * the order they were appended.
 *
 * Where the file's filesystem takes direct I/O (statx() says how it must be
 * aligned, and 4096 bytes, or a page where pages are larger, is enough),
 * the file is opened a second time with O_DIRECT, and the whole aligned
 * blocks of each buffer go to the disk from there: the copy of a 100 MB
 * body into the page cache, with the cache's bookkeeping, took 44 ms of
 * system time against 66 ms for its SHA-256, and direct writes about 30 ms
 * less.  For that, a buffer's bytes sit at the same offset modulo the
 * alignment as in the file; what is left of a block at either end of a
 * buffer is written through the page cache, and so is everything where
 * direct I/O is refused.  What goes through the cache is sent on to the
 * disk at once (sync_file_range(), a hint), so the fsync() that makes the
 * file durable finds little left.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "evp.h"
#include "fileio.h"
#include "spool.h"

/*
 * Few system calls and hand-overs; two of them are the spool's memory.  A
 * spool without a file hands over more often, for less memory.
 */
#define SPOOL_BUF	(1024 * 1024)
#define SPOOL_BUF_HASH	(256 * 1024)
/*
 * The least alignment of direct writes, in the file and in memory: any
 * block device's.  A page, where pages are larger: a direct write must not
 * share a page of the cache with the cached part of a block beside it.
 */
#define SPOOL_ALIGN	4096

struct imasnap_spool {
	int fd;
	int dfd;		/* the file again, O_DIRECT; -1: none (any more) */
	off_t off;		/* where the thread writes next; -1: @fd's position */
	bool hint;		/* sync_file_range() works */
	size_t align;		/* of direct writes; 0: buffers not placed as the file's blocks */
	EVP_MD_CTX *md;
	u8 *buf[2];
	size_t buf_size;
	unsigned int cur;	/* the buffer being filled */
	size_t skip;		/* from the byte at its start (aligned) */
	size_t have;		/* bytes in it after @skip */
	u64 pos;		/* the file offset of the next byte appended */
	u64 size;
	bool threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	const u8 *work;		/* handed to the thread, NULL once it is done */
	size_t work_len;
	bool quit;
	int ret;		/* the first failure */
};

/*
 * Through the page cache, at s->off (or @fd's position); sent on to the
 * disk with @hint (not the part of a block that the next bytes complete:
 * it would be written twice).
 */
static int spool_write_cached(struct imasnap_spool *s, const u8 *p, size_t n, bool hint)
{
	int ret;

	if (!n)
		return 0;
	if (s->off < 0)
		return imasnap_write_all(s->fd, p, n);
	ret = imasnap_pwrite_all(s->fd, p, n, (u64)s->off);
	if (ret)
		return ret;
	/* Writeback started, not waited for: only a hint, its failure too. */
	if (hint && s->hint && sync_file_range(s->fd, s->off, (off_t)n, SYNC_FILE_RANGE_WRITE))
		s->hint = false;
	s->off += (off_t)n;
	return 0;
}

/*
 * Whole aligned blocks at s->off, by direct I/O; what the filesystem
 * refuses so (EINVAL: it wants another alignment after all), and anything
 * after a short write that is not whole blocks, through the page cache.
 */
static int spool_write_direct(struct imasnap_spool *s, const u8 *p, size_t n)
{
	while (n && s->dfd >= 0) {
		ssize_t w = pwrite(s->dfd, p, n, s->off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EINVAL)
			return -errno;
		if (w <= 0 || (size_t)w % s->align) {
			close(s->dfd);
			s->dfd = -1;
		}
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			s->off += (off_t)w;
		}
	}
	return spool_write_cached(s, p, n, true);
}

/* @p, at the same offset modulo s->align as s->off where s->dfd is open. */
static int spool_put(struct imasnap_spool *s, const u8 *p, size_t n)
{
	size_t head, whole;
	int ret;

	if (s->md && !EVP_DigestUpdate(s->md, p, n))
		return imasnap_ossl_fail("SHA-256");
	if (s->fd < 0)
		return 0;
	if (s->dfd < 0)
		return spool_write_cached(s, p, n, true);
	head = (s->align - (size_t)s->off % s->align) % s->align;
	head = head < n ? head : n;
	whole = (n - head) / s->align * s->align;
	ret = spool_write_cached(s, p, head, true);
	ret = ret ?: spool_write_direct(s, p + head, whole);
	return ret ?: spool_write_cached(s, p + head + whole, n - head - whole, false);
}

static void *spool_thread(void *arg)
{
	struct imasnap_spool *s = arg;
	const u8 *p;
	size_t n;
	int ret;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->work && !s->quit)
			pthread_cond_wait(&s->go, &s->lock);
		if (!s->work)
			break;
		p = s->work;
		n = s->work_len;
		pthread_mutex_unlock(&s->lock);
		ret = spool_put(s, p, n);
		pthread_mutex_lock(&s->lock);
		if (ret && !s->ret)
			s->ret = ret;
		s->work = NULL;
		pthread_cond_signal(&s->done);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Until the thread is done with what it was handed: the first failure. */
static int spool_wait(struct imasnap_spool *s)
{
	int ret;

	if (!s->threaded)
		return s->ret;
	pthread_mutex_lock(&s->lock);
	while (s->work)
		pthread_cond_wait(&s->done, &s->lock);
	ret = s->ret;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* Where the next buffer's bytes begin: at their file offset's place in a block. */
static size_t spool_skip(const struct imasnap_spool *s)
{
	return s->align ? (size_t)(s->pos % s->align) : 0;
}

/* The buffer being filled to the thread (or written here), and the other one to fill. */
static int spool_hand(struct imasnap_spool *s)
{
	const u8 *p = s->buf[s->cur] + s->skip;
	int ret = spool_wait(s);

	if (ret)
		return ret;
	if (!s->threaded) {
		s->ret = spool_put(s, p, s->have);
	} else {
		pthread_mutex_lock(&s->lock);
		s->work = p;
		s->work_len = s->have;
		pthread_cond_signal(&s->go);
		pthread_mutex_unlock(&s->lock);
		s->cur ^= 1;
	}
	s->have = 0;
	s->skip = spool_skip(s);
	return s->threaded ? 0 : s->ret;
}

/*
 * @fd (its status flags @fl, not appending) once more, for direct I/O:
 * where it is a regular file open for writing on a filesystem that says it
 * takes direct I/O at an alignment @align meets, and /proc/self/fd gives
 * that same file again.  -1 where not.
 */
static int spool_open_direct(int fd, int fl, size_t align)
{
	struct stat a, b;
	char path[32];
	struct statx st;
	int dfd;

	if ((fl & O_ACCMODE) == O_RDONLY)
		return -1;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_DIOALIGN, &st) ||
	    !(st.stx_mask & STATX_TYPE) || !S_ISREG(st.stx_mode) ||
	    !(st.stx_mask & STATX_DIOALIGN) || !st.stx_dio_offset_align ||
	    !st.stx_dio_mem_align || align % st.stx_dio_offset_align ||
	    align % st.stx_dio_mem_align)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Non-blocking until it is known to be @fd's file: a FIFO there would not wait. */
	dfd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (dfd < 0)
		return -1;
	/* Not procfs's magic link to @fd's file (a /proc of another kind): not there. */
	if (fstat(fd, &a) || fstat(dfd, &b) || a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    fcntl(dfd, F_SETFL, O_DIRECT)) {
		close(dfd);
		return -1;
	}
	return dfd;
}

/* A buffer, aligned for direct writes where they are made. */
static u8 *spool_buf(const struct imasnap_spool *s)
{
	return s->align ? aligned_alloc(s->align, s->buf_size) : malloc(s->buf_size);
}

struct imasnap_spool *imasnap_spool_new(int fd, bool threaded, bool digest)
{
	struct imasnap_spool *s = calloc(1, sizeof(*s));
	int err = ENOMEM, fl;

	if (!s)
		return NULL;
	s->fd = fd;
	s->dfd = -1;
	s->off = -1;
	fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	/* pwrite() at offsets of its own, but where the file appends anyway. */
	if (fl >= 0 && !(fl & O_APPEND))
		s->off = lseek(fd, 0, SEEK_CUR);
	if (s->off >= 0) {
		long page = sysconf(_SC_PAGESIZE);
		size_t align = page > SPOOL_ALIGN ? (size_t)page : SPOOL_ALIGN;

		s->hint = true;
		s->pos = (u64)s->off;
		/* A buffer holds whole aligned blocks (the page size divides SPOOL_BUF). */
		if (SPOOL_BUF % align == 0)
			s->dfd = spool_open_direct(fd, fl, align);
		s->align = s->dfd >= 0 ? align : 0;
		s->skip = spool_skip(s);
	}
	s->md = digest ? EVP_MD_CTX_new() : NULL;
	s->buf_size = fd < 0 ? SPOOL_BUF_HASH : SPOOL_BUF;
	s->buf[0] = spool_buf(s);
	s->buf[1] = threaded ? spool_buf(s) : NULL;
	if ((digest && !s->md) || !s->buf[0] || (threaded && !s->buf[1]))
		goto fail;
	if (digest && !EVP_DigestInit_ex2(s->md, EVP_sha256(), NULL)) {
		err = EIO;
		goto fail;
	}
	if (!threaded)
		return s;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->go, NULL);
	pthread_cond_init(&s->done, NULL);
	err = pthread_create(&s->thread, NULL, spool_thread, s);
	if (!err) {
		s->threaded = true;
		return s;
	}
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->go);
	pthread_mutex_destroy(&s->lock);
fail:
	imasnap_spool_free(s);
	errno = err;
	return NULL;
}

int imasnap_spool_add(struct imasnap_spool *s, const void *p, size_t n)
{
	const u8 *b = p;
	int ret;

	while (n) {
		size_t room = s->buf_size - s->skip - s->have;
		size_t k = room < n ? room : n;

		memcpy(s->buf[s->cur] + s->skip + s->have, b, k);
		s->have += k;
		s->size += k;
		s->pos += k;
		b += k;
		n -= k;
		if (k == room) {
			ret = spool_hand(s);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int imasnap_spool_sync(struct imasnap_spool *s, u8 digest[32])
{
	int ret = s->have ? spool_hand(s) : 0;

	ret = ret ?: spool_wait(s);
	if (!ret && digest)
		ret = s->md ? imasnap_sha256_so_far(s->md, digest) : -EINVAL;
	return ret;
}

int imasnap_spool_restart(struct imasnap_spool *s, u8 digest[32])
{
	int ret = imasnap_spool_sync(s, NULL);

	if (ret)
		return ret;
	if (!s->md)
		return -EINVAL;
	if (!EVP_DigestFinal_ex(s->md, digest, NULL) ||
	    !EVP_DigestInit_ex2(s->md, EVP_sha256(), NULL))
		return s->ret = imasnap_ossl_fail("SHA-256");
	s->size = 0;
	return 0;
}

u64 imasnap_spool_size(const struct imasnap_spool *s)
{
	return s->size;
}

void imasnap_spool_free(struct imasnap_spool *s)
{
	if (!s)
		return;
	if (s->threaded) {
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_cond_signal(&s->go);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		pthread_cond_destroy(&s->done);
		pthread_cond_destroy(&s->go);
		pthread_mutex_destroy(&s->lock);
	}
	if (s->dfd >= 0)
		close(s->dfd);
	EVP_MD_CTX_free(s->md);
	free(s->buf[0]);
	free(s->buf[1]);
	free(s);
}
