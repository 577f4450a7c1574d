// SPDX-License-Identifier: GPL-2.0
/*
 * The spool (spool.h).  The caller fills one buffer while the thread hashes
 * and writes the other: a full buffer is handed over once the thread is
 * done with the one before, so the bytes reach the digest and the file in
 * the order they were appended.  What is written is sent on to the disk
 * at once (sync_file_range(), a hint), so the fsync() that makes the file
 * durable finds little left to write.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
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

struct imasnap_spool {
	int fd;
	off_t off;		/* where the thread writes next; -1: not a file to hint */
	EVP_MD_CTX *md;
	u8 *buf[2];
	size_t buf_size;
	unsigned int cur;	/* the buffer being filled */
	size_t have;		/* bytes in it */
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

static int spool_put(struct imasnap_spool *s, const u8 *p, size_t n)
{
	int ret;

	if (!EVP_DigestUpdate(s->md, p, n))
		return imasnap_ossl_fail("SHA-256");
	if (s->fd < 0)
		return 0;
	ret = imasnap_write_all(s->fd, p, n);
	if (!ret && s->off >= 0) {
		/* Writeback started, not waited for: only a hint, its failure too. */
		if (sync_file_range(s->fd, s->off, (off_t)n, SYNC_FILE_RANGE_WRITE))
			s->off = -1;
		else
			s->off += (off_t)n;
	}
	return ret;
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

/* The buffer being filled to the thread (or written here), and the other one to fill. */
static int spool_hand(struct imasnap_spool *s)
{
	int ret = spool_wait(s);

	if (ret)
		return ret;
	if (!s->threaded) {
		s->ret = spool_put(s, s->buf[s->cur], s->have);
		s->have = 0;
		return s->ret;
	}
	pthread_mutex_lock(&s->lock);
	s->work = s->buf[s->cur];
	s->work_len = s->have;
	pthread_cond_signal(&s->go);
	pthread_mutex_unlock(&s->lock);
	s->cur ^= 1;
	s->have = 0;
	return 0;
}

struct imasnap_spool *imasnap_spool_new(int fd, bool threaded)
{
	struct imasnap_spool *s = calloc(1, sizeof(*s));
	int err = ENOMEM;

	if (!s)
		return NULL;
	s->fd = fd;
	s->off = fd < 0 ? -1 : lseek(fd, 0, SEEK_CUR);
	s->md = EVP_MD_CTX_new();
	s->buf_size = fd < 0 ? SPOOL_BUF_HASH : SPOOL_BUF;
	s->buf[0] = malloc(s->buf_size);
	s->buf[1] = threaded ? malloc(s->buf_size) : NULL;
	if (!s->md || !s->buf[0] || (threaded && !s->buf[1]))
		goto fail;
	if (!EVP_DigestInit_ex2(s->md, EVP_sha256(), NULL)) {
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
		size_t k = s->buf_size - s->have < n ? s->buf_size - s->have : n;

		memcpy(s->buf[s->cur] + s->have, b, k);
		s->have += k;
		s->size += k;
		b += k;
		n -= k;
		if (s->have == s->buf_size) {
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
		ret = imasnap_sha256_so_far(s->md, digest);
	return ret;
}

int imasnap_spool_restart(struct imasnap_spool *s, u8 digest[32])
{
	int ret = imasnap_spool_sync(s, NULL);

	if (ret)
		return ret;
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
	EVP_MD_CTX_free(s->md);
	free(s->buf[0]);
	free(s->buf[1]);
	free(s);
}
