// SPDX-License-Identifier: GPL-2.0
/*
 * Shard files (format in shard.h): atomic write, and a streaming read that
 * checks every bound, the body digest, the record count and, when asked,
 * replays the body, without holding the body in memory.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "archive.h"
#include "boot.h"
#include "error.h"
#include "fileio.h"
#include "mtreplay.h"
#include "shard.h"
#include "spool.h"

#define HDR_SIZE	sizeof(struct imasnap_shard_hdr)
#define VALUE_SIZE	sizeof(struct imasnap_pcr_value)
#define READ_CHUNK	(64 * 1024)
/* A record the parser accepts always fits. */
#define BODY_BUF	(IMASNAP_TEMPLATE_DATA_MAX + 2 * READ_CHUNK)

static void hdr_encode(const struct imasnap_shard *sh, struct imasnap_shard_hdr *h)
{
	memset(h, 0, sizeof(*h));
	put_unaligned_le32(IMASNAP_SHARD_MAGIC, &h->magic);
	put_unaligned_le16(IMASNAP_SHARD_VERSION, &h->version);
	put_unaligned_le16(HDR_SIZE, &h->hdr_size);
	put_unaligned_le64(sh->seq, &h->seq);
	put_unaligned_le32(sh->kind, &h->kind);
	put_unaligned_le32(sh->order, &h->log_order);
	put_unaligned_le64(sh->first_entry, &h->first_entry);
	put_unaligned_le64(sh->entries, &h->entries);
	put_unaligned_le64(sh->log_offset, &h->log_offset);
	put_unaligned_le64(sh->body_size, &h->body_size);
	put_unaligned_le32(imasnap_state_count(&sh->start), &h->nr_start);
	put_unaligned_le32(imasnap_state_count(&sh->end), &h->nr_end);
	put_unaligned_le32(sh->trailer_size, &h->trailer_size);
	memcpy(h->boot_id, sh->boot_id, sizeof(h->boot_id));
	memcpy(h->prev_digest, sh->prev_digest, sizeof(h->prev_digest));
	memcpy(h->body_digest, sh->body_digest, sizeof(h->body_digest));
}

static int shard_reject(struct imasnap_err *err, u64 at, const char *reason)
{
	err->reason = reason;
	err->offset = at;
	err->index = 0;
	return -EBADMSG;
}

/*
 * The header's fields into @sh, every bound that does not need the file
 * checked; @ns, @ne: the state counts.  0 or -EBADMSG (@err).
 */
static int hdr_decode(const struct imasnap_shard_hdr *h, struct imasnap_shard *sh,
		      u32 *ns, u32 *ne, struct imasnap_err *err)
{
	if (get_unaligned_le32(&h->magic) != IMASNAP_SHARD_MAGIC)
		return shard_reject(err, 0, "not a shard (bad magic)");
	sh->version = get_unaligned_le16(&h->version);
	if ((sh->version != IMASNAP_SHARD_VERSION && sh->version != IMASNAP_SHARD_VERSION_1) ||
	    get_unaligned_le16(&h->hdr_size) != HDR_SIZE)
		return shard_reject(err, 4, "unsupported shard version");
	sh->seq = get_unaligned_le64(&h->seq);
	sh->kind = get_unaligned_le32(&h->kind);
	sh->order = get_unaligned_le32(&h->log_order);
	sh->first_entry = get_unaligned_le64(&h->first_entry);
	sh->entries = get_unaligned_le64(&h->entries);
	sh->log_offset = get_unaligned_le64(&h->log_offset);
	sh->body_size = get_unaligned_le64(&h->body_size);
	sh->trailer_size = get_unaligned_le32(&h->trailer_size);
	*ns = get_unaligned_le32(&h->nr_start);
	*ne = get_unaligned_le32(&h->nr_end);
	memcpy(sh->boot_id, h->boot_id, sizeof(sh->boot_id));
	memcpy(sh->prev_digest, h->prev_digest, sizeof(sh->prev_digest));
	memcpy(sh->body_digest, h->body_digest, sizeof(sh->body_digest));
	if (sh->log_offset > UINT64_MAX - sh->body_size ||
	    sh->first_entry > UINT64_MAX - sh->entries)
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, first_entry),
				    "shard offsets out of range");
	if (sh->kind != IMASNAP_SHARD_LOG && sh->kind != IMASNAP_SHARD_TAIL)
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, kind),
				    "unknown shard kind");
	if (sh->order != IMASNAP_LOG_LE && sh->order != IMASNAP_LOG_BE)
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, log_order),
				    "unknown shard byte order");
	if (get_unaligned_le32(&h->reserved0) || h->reserved[0] || h->reserved[1] ||
	    h->reserved[2] || h->reserved[3])
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, reserved0),
				    "shard has non-zero reserved fields");
	if (*ns > IMASNAP_MAX_PCR_VALUES || *ne > IMASNAP_MAX_PCR_VALUES || !*ne)
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, nr_start),
				    "shard state counts out of range");
	if (sh->trailer_size > IMASNAP_SHARD_TRAILER_MAX)
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, trailer_size),
				    "shard trailer larger than any quote");
	return 0;
}

/* Where a shard's body comes from: @mem, or else @fd from offset @off. */
struct body_src {
	const u8 *mem;
	int fd;
	u64 off;
};

/* Write @sh->body_size bytes of @src to @out (the header's body_digest stands for them). */
static int put_body(const struct body_src *src, int out, const struct imasnap_shard *sh)
{
	if (src->mem)
		return imasnap_write_all(out, src->mem, sh->body_size);
	return imasnap_copy_range(src->fd, src->off, out, sh->body_size);
}

/*
 * The one shard writer: header, PCR values, body, trailer, into a file that
 * appears under its final name only complete and on disk
 * (imasnap_atomic_open()); sh->digest is the version 2 shard digest of the
 * header and states it writes (sh->body_digest the caller's).
 */
static int shard_write(const char *dir, struct imasnap_shard *sh, const struct body_src *src)
{
	u8 values[2 * IMASNAP_MAX_PCR_VALUES * VALUE_SIZE];
	struct imasnap_shard_hdr h, hd;
	struct imasnap_atomic a;
	EVP_MD_CTX *md;
	char path[4096];
	size_t nvalues;
	int ret;

	if (sh->trailer_size > IMASNAP_SHARD_TRAILER_MAX)
		return -EINVAL;
	if (sh->seq > IMASNAP_SHARD_SEQ_MAX)
		return -IMASNAP_ESTATE;
	sh->version = IMASNAP_SHARD_VERSION;
	hdr_encode(sh, &h);
	hd = h;
	put_unaligned_le32(0, &hd.trailer_size);	/* the digest leaves the trailer out */
	nvalues = (size_t)(imasnap_state_put(imasnap_state_put(values, &sh->start),
					     &sh->end) - values);
	ret = imasnap_shard_path(dir, sh->seq, path, sizeof(path));
	if (ret)
		return ret;
	if (!access(path, F_OK))
		return -EEXIST;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	ret = imasnap_atomic_open(&a, path, IMASNAP_ATOMIC_NEW);
	if (ret)
		goto out;
	if (!EVP_DigestInit_ex2(md, EVP_sha256(), NULL) || !EVP_DigestUpdate(md, &hd, HDR_SIZE) ||
	    !EVP_DigestUpdate(md, values, nvalues))
		ret = imasnap_ossl_fail("SHA-256");
	if (!ret)
		ret = imasnap_write_all(a.fd, &h, HDR_SIZE);
	if (!ret)
		ret = imasnap_write_all(a.fd, values, nvalues);
	if (!ret)
		ret = put_body(src, a.fd, sh);
	if (!ret)
		ret = imasnap_write_all(a.fd, sh->trailer, sh->trailer_size);
	if (!ret && !EVP_DigestFinal_ex(md, sh->digest, NULL))
		ret = imasnap_ossl_fail("SHA-256");
	if (ret)
		imasnap_atomic_abort(&a);
	else
		ret = imasnap_atomic_commit(&a);
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/**
 * imasnap_shard_write() - write a shard atomically
 * @dir:	the archive folder
 * @sh:		the shard; body_digest and digest are filled in here
 * @body:	sh->body_size bytes of records
 * @ops:	SHA-256, for the body digest
 *
 * The file appears under its final name only complete and on disk
 * (imasnap_atomic_open()): temp file, fsync, link to the final name, fsync
 * of the folder.  An existing shard of the same seq is never replaced.
 *
 * Return: 0; -EEXIST; -IMASNAP_ESTATE past IMASNAP_SHARD_SEQ_MAX; -errno.
 */
int imasnap_shard_write(const char *dir, struct imasnap_shard *sh,
			const u8 *body, const struct imasnap_hash_ops *ops)
{
	struct body_src src = { .mem = body, .fd = -1 };
	struct imasnap_buf v = { .data = body, .len = sh->body_size };
	int ret;

	ret = ops->digest(ops->priv, IMASNAP_BANK_SHA256, &v, 1, sh->body_digest);
	return ret ? ret : shard_write(dir, sh, &src);
}

int imasnap_shard_begin(struct imasnap_shard_out *o, const char *dir, u64 seq,
			unsigned int nr_values)
{
	char path[4096];
	int ret;

	o->a.fd = -1;
	if (seq > IMASNAP_SHARD_SEQ_MAX)
		return -IMASNAP_ESTATE;
	if (nr_values > 2 * IMASNAP_MAX_PCR_VALUES)
		return -EINVAL;
	ret = imasnap_shard_path(dir, seq, path, sizeof(path));
	if (ret)
		return ret;
	if (!access(path, F_OK))
		return -EEXIST;
	ret = imasnap_atomic_open(&o->a, path, IMASNAP_ATOMIC_NEW);
	if (ret)
		return ret;
	o->nr_values = nr_values;
	o->base = HDR_SIZE + (u64)nr_values * VALUE_SIZE;
	if (lseek(o->a.fd, (off_t)o->base, SEEK_SET) < 0) {
		ret = -errno;
		imasnap_atomic_abort(&o->a);
	}
	return ret;
}

int imasnap_shard_finish(struct imasnap_shard_out *o, const char *dir, struct imasnap_shard *sh)
{
	u8 values[2 * IMASNAP_MAX_PCR_VALUES * VALUE_SIZE];
	struct imasnap_shard_hdr h, hd;
	struct body_src src = { .mem = NULL, .fd = o->a.fd, .off = o->base };
	EVP_MD_CTX *md;
	size_t nvalues;
	int ret = 0;

	nvalues = (size_t)(imasnap_state_put(imasnap_state_put(values, &sh->start), &sh->end) -
			   values);
	/* The states take other room than was left them: the body moves, once. */
	if (nvalues != o->nr_values * VALUE_SIZE) {
		ret = shard_write(dir, sh, &src);
		imasnap_shard_abort(o);
		return ret;
	}
	if (sh->trailer_size > IMASNAP_SHARD_TRAILER_MAX)
		ret = -EINVAL;
	sh->version = IMASNAP_SHARD_VERSION;
	hdr_encode(sh, &h);
	hd = h;
	put_unaligned_le32(0, &hd.trailer_size);	/* the digest leaves the trailer out */
	md = EVP_MD_CTX_new();
	if (!ret && !md)
		ret = -ENOMEM;
	if (!ret && (!EVP_DigestInit_ex2(md, EVP_sha256(), NULL) ||
		     !EVP_DigestUpdate(md, &hd, HDR_SIZE) ||
		     !EVP_DigestUpdate(md, values, nvalues) ||
		     !EVP_DigestFinal_ex(md, sh->digest, NULL)))
		ret = imasnap_ossl_fail("SHA-256");
	EVP_MD_CTX_free(md);
	if (!ret)
		ret = imasnap_pwrite_all(o->a.fd, &h, HDR_SIZE, 0);
	if (!ret)
		ret = imasnap_pwrite_all(o->a.fd, values, nvalues, HDR_SIZE);
	if (!ret)
		ret = imasnap_pwrite_all(o->a.fd, sh->trailer, sh->trailer_size,
					 o->base + sh->body_size);
	/* Nothing past the trailer, whatever the fd held. */
	if (!ret && ftruncate(o->a.fd, (off_t)(o->base + sh->body_size + sh->trailer_size)))
		ret = -errno;
	if (ret) {
		imasnap_shard_abort(o);
		return ret;
	}
	ret = imasnap_atomic_commit(&o->a);
	o->a.fd = -1;
	return ret;
}

void imasnap_shard_abort(struct imasnap_shard_out *o)
{
	if (o->a.fd >= 0)
		imasnap_atomic_abort(&o->a);
	o->a.fd = -1;
}

struct body_ctx {
	EVP_MD_CTX *file_md;	/* the shard digest: header, values (version 1: body) */
	bool body_in_digest;	/* version 1 */
	struct imasnap_spool *body;	/* the body digest, or NULL: @body_md, @rp updates it */
	EVP_MD_CTX *body_md;
	u8 *buf;
	size_t have;
	struct imasnap_shard *sh;
	struct imasnap_mtreplay *rp;
	imasnap_log_fn fn;
	void *priv;
	imasnap_body_tap tap;
	void *tap_priv;
};

/* Each body record: a boot's first one is its boot_aggregate; replayed with @rp. */
static int body_record(void *priv, const struct imasnap_log *log,
		       const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct body_ctx *c = priv;
	const char *why;

	if (!rec->index && !c->sh->first_entry &&
	    imasnap_boot_aggregate_of(log, rec, &c->sh->boot, &why) == -EBADMSG) {
		err->reason = "a boot_aggregate record whose digest field is not a digest of a known bank";
		err->offset = rec->offset;
		err->index = rec->index;
		return -EBADMSG;
	}
	if (c->rp) {
		int ret = imasnap_mtreplay_record(c->rp, rec, err);

		if (ret)
			return ret;
	}
	return c->fn ? c->fn(c->priv, log, rec, err) : 0;
}

/* Stream @sh->body_size bytes: digest, parse, count and maybe replay them. */
static int shard_body(int fd, struct imasnap_shard *sh, struct body_ctx *c,
		      struct imasnap_err *err)
{
	struct imasnap_log log;
	u64 left = sh->body_size;
	int ret;

	imasnap_log_init(&log, sh->order);
	for (;;) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;

		if (want) {
			ret = imasnap_read_full(fd, c->buf + c->have, want);
			if (ret == -ENODATA)
				return shard_reject(err, HDR_SIZE, "shard body shorter than its header says");
			if (ret)
				return ret;
			if (c->tap)
				c->tap(c->tap_priv, c->buf + c->have, want);
			if (c->body_in_digest &&
			    !EVP_DigestUpdate(c->file_md, c->buf + c->have, want))
				return imasnap_ossl_fail("SHA-256");
			ret = c->body ? imasnap_spool_add(c->body, c->buf + c->have, want) : 0;
			if (ret)
				return ret;
			c->have += want;
			left -= want;
		}
		ret = imasnap_log_feed(&log, c->buf, &c->have, !left, body_record, c, err);
		if (ret)
			return ret;
		if (!left)
			break;
	}
	if (log.index != sh->entries)
		return shard_reject(err, offsetof(struct imasnap_shard_hdr, entries),
				    "shard entry count does not match its body");
	return 0;
}

/*
 * Open @path and read its header and states into @sh, checking that the
 * sections add up to the file's size.  @h: the header as read; @values:
 * the states as read, @nvalues bytes.  The file is left at the body.
 */
static int shard_open(const char *path, struct imasnap_shard *sh, struct imasnap_shard_hdr *h,
		      u8 *values, size_t *nvalues, struct imasnap_err *err)
{
	struct stat st;
	u32 ns, ne;
	u64 size;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto fail;
	}
	ret = S_ISREG(st.st_mode) ? imasnap_read_full(fd, h, HDR_SIZE) :
	      shard_reject(err, 0, "not a regular file");
	if (ret == -ENODATA)
		ret = shard_reject(err, 0, "shard shorter than its header");
	if (!ret)
		ret = hdr_decode(h, sh, &ns, &ne, err);
	if (ret)
		goto fail;
	size = (u64)st.st_size;
	*nvalues = (ns + ne) * VALUE_SIZE;
	if (sh->body_size > size || sh->trailer_size > size ||
	    HDR_SIZE + *nvalues + sh->body_size + sh->trailer_size != size) {
		ret = shard_reject(err, offsetof(struct imasnap_shard_hdr, body_size),
				   "shard sections do not add up to the file size");
		goto fail;
	}
	ret = imasnap_read_full(fd, values, *nvalues);
	if (!ret)
		ret = imasnap_state_get_values(values, ns, HDR_SIZE, &sh->start, err);
	if (!ret)
		ret = imasnap_state_get_values(values + ns * VALUE_SIZE, ne,
					       HDR_SIZE + ns * VALUE_SIZE, &sh->end, err);
	if (ret)
		goto fail;
	for (ns = 0; ns < IMASNAP_NR_BANKS; ns++)
		if (sh->start.pcr_mask[ns] & ~sh->end.pcr_mask[ns]) {
			ret = shard_reject(err, HDR_SIZE, "shard start names a PCR its end does not");
			goto fail;
		}
	return fd;
fail:
	close(fd);
	return ret;
}

/**
 * imasnap_shard_read() - read and check a shard file
 * @path:	the file
 * @sh:		the decoded shard, digest included
 * @rp:		if not NULL, a replay whose lanes the caller set: it is started
 *		from the shard's start state and replays the body
 * @err:	what was wrong and where (byte offset in the file, or record)
 *
 * Return: 0; -EBADMSG (malformed, @err); -errno.
 */
int imasnap_shard_read_header(const char *path, struct imasnap_shard *sh,
			      struct imasnap_err *err)
{
	u8 values[2 * IMASNAP_MAX_PCR_VALUES * VALUE_SIZE];
	struct imasnap_shard_hdr h;
	size_t nvalues;
	int fd;

	memset(sh, 0, sizeof(*sh));
	fd = shard_open(path, sh, &h, values, &nvalues, err);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int imasnap_shard_read(const char *path, struct imasnap_shard *sh,
		       struct imasnap_replay *rp, struct imasnap_err *err)
{
	return imasnap_shard_read_each(path, sh, rp, 1, NULL, NULL, err);
}

int imasnap_shard_read_each(const char *path, struct imasnap_shard *sh,
			    struct imasnap_replay *rp, unsigned int threads,
			    imasnap_log_fn fn, void *priv, struct imasnap_err *err)
{
	return imasnap_shard_read_tap(path, sh, rp, threads, fn, priv, NULL, NULL, err);
}

int imasnap_shard_read_tap(const char *path, struct imasnap_shard *sh,
			   struct imasnap_replay *rp, unsigned int threads,
			   imasnap_log_fn fn, void *priv, imasnap_body_tap tap, void *tap_priv,
			   struct imasnap_err *err)
{
	u8 values[2 * IMASNAP_MAX_PCR_VALUES * VALUE_SIZE], body_digest[32];
	struct body_ctx c = { 0 };
	struct imasnap_shard_hdr h;
	size_t nvalues = 0;
	bool mt_digest;
	int fd, ret;

	memset(sh, 0, sizeof(*sh));
	fd = shard_open(path, sh, &h, values, &nvalues, err);
	if (fd < 0)
		return fd;
	if (rp) {
		imasnap_replay_start(rp, &sh->start);
		if (threads > 1) {
			c.body_md = EVP_MD_CTX_new();
			if (!c.body_md) {
				ret = -ENOMEM;
				goto out;
			}
			if (!EVP_DigestInit_ex2(c.body_md, EVP_sha256(), NULL)) {
				ret = imasnap_ossl_fail("SHA-256");
				goto out;
			}
		}
		c.rp = imasnap_mtreplay_new(rp, threads, c.body_md);
		if (!c.rp) {
			ret = -ENOMEM;
			goto out;
		}
	}
	c.file_md = EVP_MD_CTX_new();
	/*
	 * The body digest: a job of the threaded replay, which places it by
	 * its cost (on a thread of its own, verify on two CPUs was slower:
	 * performance.md); or the spool's, in the pieces read.
	 */
	mt_digest = c.rp && imasnap_mtreplay_digests(c.rp);
	if (!mt_digest)
		c.body = imasnap_spool_new(-1, threads > 1, true);
	c.buf = malloc(BODY_BUF);
	if (!c.file_md || (!c.body && !mt_digest) || !c.buf) {
		ret = -ENOMEM;
		goto out;
	}
	/* The shard digest leaves the trailer out: trailer_size counts as 0. */
	put_unaligned_le32(0, &h.trailer_size);
	if (!EVP_DigestInit_ex2(c.file_md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c.file_md, &h, HDR_SIZE) ||
	    !EVP_DigestUpdate(c.file_md, values, nvalues)) {
		ret = imasnap_ossl_fail("SHA-256");
		goto out;
	}
	c.body_in_digest = sh->version == IMASNAP_SHARD_VERSION_1;
	c.sh = sh;
	c.fn = fn;
	c.priv = priv;
	c.tap = tap;
	c.tap_priv = tap_priv;
	ret = shard_body(fd, sh, &c, err);
	if (!ret && c.rp)
		ret = imasnap_mtreplay_flush(c.rp, err);
	if (!ret)
		ret = imasnap_read_full(fd, sh->trailer, sh->trailer_size);
	if (ret == -ENODATA)
		ret = shard_reject(err, HDR_SIZE + nvalues + sh->body_size,
				   "shard trailer shorter than its header says");
	if (ret)
		goto out;
	if (!EVP_DigestFinal_ex(c.file_md, sh->digest, NULL)) {
		ret = imasnap_ossl_fail("SHA-256");
		goto out;
	}
	ret = c.body ? imasnap_spool_sync(c.body, body_digest) :
		       imasnap_sha256_so_far(c.body_md, body_digest);
	if (ret)
		goto out;
	if (memcmp(body_digest, sh->body_digest, 32))
		ret = shard_reject(err, offsetof(struct imasnap_shard_hdr, body_digest),
				   "shard body digest does not match its body");
out:
	/* No chain link for a shard that did not check out (version 2's omits the body). */
	if (ret)
		memset(sh->digest, 0, sizeof(sh->digest));
	imasnap_mtreplay_free(c.rp);
	EVP_MD_CTX_free(c.body_md);
	EVP_MD_CTX_free(c.file_md);
	imasnap_spool_free(c.body);
	free(c.buf);
	close(fd);
	return ret;
}

/*
 * Shard @seq, whose digest the caller checked, gets @trailer: the file is
 * copied with its new trailer_size and trailer into a temp file and renamed
 * over the old one, after the copy was found to have the same digest.
 */
int imasnap_shard_set_trailer(const char *dir, u64 seq, const u8 digest[32],
			      const u8 *trailer, u32 len)
{
	struct imasnap_shard_hdr h;
	struct imasnap_atomic a;
	EVP_MD_CTX *md = NULL;
	u8 *buf = NULL, got[32];
	char path[4096];
	u64 rest, hashed, done;
	struct stat st;
	int in, ret;
	size_t n;

	if (len > IMASNAP_SHARD_TRAILER_MAX)
		return -EINVAL;
	ret = imasnap_shard_path(dir, seq, path, sizeof(path));
	if (ret)
		return ret;
	in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return -errno;
	ret = fstat(in, &st) ? -errno : imasnap_read_full(in, &h, HDR_SIZE);
	if (!ret && (u64)st.st_size < HDR_SIZE + (u64)get_unaligned_le32(&h.trailer_size))
		ret = -EBADMSG;
	if (!ret)
		ret = imasnap_atomic_open(&a, path, IMASNAP_ATOMIC_REPLACE);
	if (ret) {
		close(in);
		return ret;
	}
	/* The states and the body, which the copy keeps; the digest's part of them. */
	rest = (u64)st.st_size - HDR_SIZE - get_unaligned_le32(&h.trailer_size);
	hashed = (u64)(get_unaligned_le32(&h.nr_start) + (u64)get_unaligned_le32(&h.nr_end)) *
		 VALUE_SIZE;
	if (get_unaligned_le16(&h.version) == IMASNAP_SHARD_VERSION_1 || hashed > rest)
		hashed = rest;
	md = EVP_MD_CTX_new();
	buf = malloc(READ_CHUNK);
	ret = !md || !buf ? -ENOMEM : 0;
	/* The new file keeps the old one's permissions. */
	if (!ret && fchmod(a.fd, st.st_mode & 07777))
		ret = -errno;
	put_unaligned_le32(0, &h.trailer_size);
	if (!ret && (!EVP_DigestInit_ex2(md, EVP_sha256(), NULL) ||
		     !EVP_DigestUpdate(md, &h, HDR_SIZE)))
		ret = imasnap_ossl_fail("SHA-256");
	put_unaligned_le32(len, &h.trailer_size);
	if (!ret)
		ret = imasnap_write_all(a.fd, &h, HDR_SIZE);
	for (done = 0; !ret && done < hashed; done += n) {
		n = hashed - done < READ_CHUNK ? (size_t)(hashed - done) : READ_CHUNK;
		ret = imasnap_read_full(in, buf, n);
		if (!ret && !EVP_DigestUpdate(md, buf, n))
			ret = imasnap_ossl_fail("SHA-256");
		if (!ret)
			ret = imasnap_write_all(a.fd, buf, n);
	}
	/* The shard digest: the changed shard is not replaced. */
	if (!ret && (!EVP_DigestFinal_ex(md, got, NULL) || memcmp(got, digest, 32)))
		ret = -ESTALE;
	/*
	 * Version 2: the body is not in the digest, so it is checked against
	 * the header's body_digest as it is copied: a body that changed since
	 * the caller read it is never put in place.
	 */
	if (!ret && rest != hashed &&
	    rest - hashed != get_unaligned_le64(&h.body_size))
		ret = -ESTALE;
	if (!ret && rest != hashed && !EVP_DigestInit_ex2(md, EVP_sha256(), NULL))
		ret = imasnap_ossl_fail("SHA-256");
	for (done = hashed; !ret && done < rest; done += n) {
		n = rest - done < READ_CHUNK ? (size_t)(rest - done) : READ_CHUNK;
		ret = imasnap_read_full(in, buf, n);
		if (!ret && !EVP_DigestUpdate(md, buf, n))
			ret = imasnap_ossl_fail("SHA-256");
		if (!ret)
			ret = imasnap_write_all(a.fd, buf, n);
	}
	if (!ret && rest != hashed &&
	    (!EVP_DigestFinal_ex(md, got, NULL) || memcmp(got, h.body_digest, 32)))
		ret = -ESTALE;
	if (!ret)
		ret = imasnap_write_all(a.fd, trailer, len);
	if (ret)
		imasnap_atomic_abort(&a);
	else
		ret = imasnap_atomic_commit(&a);
	close(in);
	free(buf);
	EVP_MD_CTX_free(md);
	return ret;
}
