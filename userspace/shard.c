// SPDX-License-Identifier: GPL-2.0
/*
 * Shard files (format in shard.h): atomic write, and a streaming read that
 * checks every bound, the body digest, the record count and, when asked,
 * replays the body, without holding the body in memory.
 */
#include <dirent.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "shard.h"

#define HDR_SIZE	sizeof(struct imasnap_shard_hdr)
#define VALUE_SIZE	sizeof(struct imasnap_pcr_value)
#define READ_CHUNK	(64 * 1024)
/* A record the parser accepts always fits. */
#define BODY_BUF	(IMASNAP_TEMPLATE_DATA_MAX + 2 * READ_CHUNK)

void imasnap_shard_name(u64 seq, char *buf, size_t size)
{
	snprintf(buf, size, "shard-%08llu.ims", (unsigned long long)seq);
}

static int write_all(int fd, const void *p, size_t n)
{
	const u8 *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int dfd, ret;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	ret = fsync(dfd) ? -errno : 0;
	close(dfd);
	return ret;
}

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

/**
 * imasnap_shard_write() - write a shard atomically
 * @dir:	the archive folder
 * @sh:		the shard; body_digest and digest are filled in here
 * @body:	sh->body_size bytes of records
 * @ops:	SHA-256
 *
 * The file appears under its final name only complete and on disk: temp
 * file, fsync, link to the final name (never replacing one), fsync of the
 * folder.  An existing shard of the same
 * seq is never replaced (-EEXIST).
 *
 * Return: 0 or -errno.
 */
int imasnap_shard_write(const char *dir, struct imasnap_shard *sh,
			const u8 *body, const struct imasnap_hash_ops *ops)
{
	u8 values[2 * IMASNAP_MAX_PCR_VALUES * VALUE_SIZE];
	char name[64], path[4096], tmp[4096];
	struct imasnap_shard_hdr h, hd;
	struct imasnap_buf v[3];
	size_t nvalues;
	int fd, ret;

	if (sh->trailer_size > IMASNAP_SHARD_TRAILER_MAX)
		return -EINVAL;
	v[0].data = body;
	v[0].len = sh->body_size;
	ret = ops->digest(ops->priv, IMASNAP_BANK_SHA256, v, 1, sh->body_digest);
	if (ret)
		return ret;
	hdr_encode(sh, &h);
	hd = h;
	put_unaligned_le32(0, &hd.trailer_size);	/* the digest leaves the trailer out */
	nvalues = (size_t)(imasnap_state_put(imasnap_state_put(values, &sh->start),
					     &sh->end) - values);
	v[0].data = &hd;
	v[0].len = HDR_SIZE;
	v[1].data = values;
	v[1].len = nvalues;
	v[2].data = body;
	v[2].len = sh->body_size;
	ret = ops->digest(ops->priv, IMASNAP_BANK_SHA256, v, 3, sh->digest);
	if (ret)
		return ret;

	imasnap_shard_name(sh->seq, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	if (!access(path, F_OK))
		return -EEXIST;
	/* A temp name of its own: two writers never share a file. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, &h, HDR_SIZE);
	if (!ret)
		ret = write_all(fd, values, nvalues);
	if (!ret)
		ret = write_all(fd, body, sh->body_size);
	if (!ret)
		ret = write_all(fd, sh->trailer, sh->trailer_size);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	/* link() never replaces: a shard of this seq written meanwhile wins. */
	if (!ret && link(tmp, path))
		ret = -errno;
	unlink(tmp);
	if (ret)
		return ret;
	return fsync_dir(dir);
}

static int shard_reject(struct imasnap_err *err, u64 at, const char *reason)
{
	err->reason = reason;
	err->offset = at;
	err->index = 0;
	return -EBADMSG;
}

static int read_full(int fd, void *p, size_t n)
{
	u8 *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ENODATA;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

struct body_ctx {
	EVP_MD_CTX *file_md;	/* the shard digest: header, values, body */
	EVP_MD_CTX *body_md;
	u8 *buf;
	size_t have;
};

/* Stream @sh->body_size bytes: digest, parse, count and maybe replay them. */
static int shard_body(int fd, struct imasnap_shard *sh, struct body_ctx *c,
		      struct imasnap_replay *rp, struct imasnap_err *err)
{
	struct imasnap_log log;
	u64 left = sh->body_size;
	int ret;

	imasnap_log_init(&log, sh->order);
	for (;;) {
		size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;

		if (want) {
			ret = read_full(fd, c->buf + c->have, want);
			if (ret == -ENODATA)
				return shard_reject(err, HDR_SIZE, "shard body shorter than its header says");
			if (ret)
				return ret;
			if (!EVP_DigestUpdate(c->file_md, c->buf + c->have, want) ||
			    !EVP_DigestUpdate(c->body_md, c->buf + c->have, want))
				return -EIO;
			c->have += want;
			left -= want;
		}
		ret = imasnap_log_feed(&log, c->buf, &c->have, !left,
				       rp ? imasnap_replay_fn : NULL, rp, err);
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
int imasnap_shard_read(const char *path, struct imasnap_shard *sh,
		       struct imasnap_replay *rp, struct imasnap_err *err)
{
	u8 values[2 * IMASNAP_MAX_PCR_VALUES * VALUE_SIZE], body_digest[32];
	struct body_ctx c = { 0 };
	struct imasnap_shard_hdr h, hd;
	u32 ns, ne, i;
	struct stat st;
	u64 expect;
	int fd, ret;

	memset(sh, 0, sizeof(*sh));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = shard_reject(err, 0, "not a regular file");
		goto out;
	}
	ret = read_full(fd, &h, HDR_SIZE);
	if (ret == -ENODATA) {
		ret = shard_reject(err, 0, "shard shorter than its header");
		goto out;
	}
	if (ret)
		goto out;
	ret = -EBADMSG;
	if (get_unaligned_le32(&h.magic) != IMASNAP_SHARD_MAGIC) {
		shard_reject(err, 0, "not a shard (bad magic)");
		goto out;
	}
	if (get_unaligned_le16(&h.version) != IMASNAP_SHARD_VERSION ||
	    get_unaligned_le16(&h.hdr_size) != HDR_SIZE) {
		shard_reject(err, 4, "unsupported shard version");
		goto out;
	}
	sh->seq = get_unaligned_le64(&h.seq);
	sh->kind = get_unaligned_le32(&h.kind);
	sh->order = get_unaligned_le32(&h.log_order);
	sh->first_entry = get_unaligned_le64(&h.first_entry);
	sh->entries = get_unaligned_le64(&h.entries);
	sh->log_offset = get_unaligned_le64(&h.log_offset);
	sh->body_size = get_unaligned_le64(&h.body_size);
	sh->trailer_size = get_unaligned_le32(&h.trailer_size);
	ns = get_unaligned_le32(&h.nr_start);
	ne = get_unaligned_le32(&h.nr_end);
	memcpy(sh->boot_id, h.boot_id, sizeof(sh->boot_id));
	memcpy(sh->prev_digest, h.prev_digest, sizeof(sh->prev_digest));
	memcpy(sh->body_digest, h.body_digest, sizeof(sh->body_digest));
	if (sh->log_offset > UINT64_MAX - sh->body_size ||
	    sh->first_entry > UINT64_MAX - sh->entries) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, first_entry),
			     "shard offsets out of range");
		goto out;
	}
	if (sh->kind != IMASNAP_SHARD_LOG && sh->kind != IMASNAP_SHARD_TAIL) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, kind), "unknown shard kind");
		goto out;
	}
	if (sh->order != IMASNAP_LOG_LE && sh->order != IMASNAP_LOG_BE) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, log_order),
			     "unknown shard byte order");
		goto out;
	}
	if (get_unaligned_le32(&h.reserved0) || h.reserved[0] || h.reserved[1] ||
	    h.reserved[2] || h.reserved[3]) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, reserved0),
			     "shard has non-zero reserved fields");
		goto out;
	}
	if (ns > IMASNAP_MAX_PCR_VALUES || ne > IMASNAP_MAX_PCR_VALUES || !ne) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, nr_start),
			     "shard state counts out of range");
		goto out;
	}
	expect = HDR_SIZE + (u64)(ns + ne) * VALUE_SIZE;
	if (sh->trailer_size > IMASNAP_SHARD_TRAILER_MAX) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, trailer_size),
			     "shard trailer larger than any quote");
		goto out;
	}
	if (sh->body_size > (u64)st.st_size || sh->trailer_size > (u64)st.st_size ||
	    expect + sh->body_size + sh->trailer_size != (u64)st.st_size) {
		shard_reject(err, offsetof(struct imasnap_shard_hdr, body_size),
			     "shard sections do not add up to the file size");
		goto out;
	}
	ret = read_full(fd, values, (ns + ne) * VALUE_SIZE);
	if (ret)
		goto out;
	ret = imasnap_state_get_values(values, ns, HDR_SIZE, &sh->start, err);
	if (!ret)
		ret = imasnap_state_get_values(values + ns * VALUE_SIZE, ne,
					       HDR_SIZE + ns * VALUE_SIZE, &sh->end, err);
	if (ret)
		goto out;

	c.file_md = EVP_MD_CTX_new();
	c.body_md = EVP_MD_CTX_new();
	c.buf = malloc(BODY_BUF);
	if (!c.file_md || !c.body_md || !c.buf) {
		ret = -ENOMEM;
		goto out;
	}
	hd = h;
	put_unaligned_le32(0, &hd.trailer_size);
	if (!EVP_DigestInit_ex2(c.file_md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex2(c.body_md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c.file_md, &hd, HDR_SIZE) ||
	    !EVP_DigestUpdate(c.file_md, values, (ns + ne) * VALUE_SIZE)) {
		ret = -EIO;
		goto out;
	}
	if (rp)
		imasnap_replay_start(rp, &sh->start);
	ret = shard_body(fd, sh, &c, rp, err);
	if (!ret)
		ret = read_full(fd, sh->trailer, sh->trailer_size);
	if (ret == -ENODATA)
		ret = shard_reject(err, (u64)st.st_size, "shard trailer shorter than its header says");
	if (ret)
		goto out;
	if (!EVP_DigestFinal_ex(c.file_md, sh->digest, NULL) ||
	    !EVP_DigestFinal_ex(c.body_md, body_digest, NULL)) {
		ret = -EIO;
		goto out;
	}
	if (memcmp(body_digest, sh->body_digest, 32)) {
		ret = shard_reject(err, offsetof(struct imasnap_shard_hdr, body_digest),
				   "shard body digest does not match its body");
		goto out;
	}
	for (i = 0; i < IMASNAP_NR_BANKS; i++)
		if (sh->start.pcr_mask[i] & ~sh->end.pcr_mask[i]) {
			ret = shard_reject(err, HDR_SIZE, "shard start names a PCR its end does not");
			goto out;
		}
	ret = 0;
out:
	EVP_MD_CTX_free(c.file_md);
	EVP_MD_CTX_free(c.body_md);
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
	char name[64], path[4096], tmp[4096] = "";
	struct imasnap_shard_hdr h;
	EVP_MD_CTX *md = NULL;
	u8 *buf = NULL, got[32];
	struct stat st;
	int in, ofd = -1, ret;
	bool renamed = false;
	u64 left;

	if (len > IMASNAP_SHARD_TRAILER_MAX)
		return -EINVAL;
	imasnap_shard_name(seq, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	ret = fstat(in, &st) ? -errno : read_full(in, &h, HDR_SIZE);
	if (ret)
		goto out;
	if ((u64)st.st_size < HDR_SIZE + (u64)get_unaligned_le32(&h.trailer_size)) {
		ret = -EBADMSG;
		goto out;
	}
	left = (u64)st.st_size - HDR_SIZE - get_unaligned_le32(&h.trailer_size);
	md = EVP_MD_CTX_new();
	buf = malloc(READ_CHUNK);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	ofd = mkostemp(tmp, O_CLOEXEC);
	if (ofd < 0) {
		ret = -errno;
		tmp[0] = 0;	/* nothing to remove */
		goto out;
	}
	if (!md || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	/* The new file keeps the old one's permissions. */
	if (fchmod(ofd, st.st_mode & 07777)) {
		ret = -errno;
		goto out;
	}
	put_unaligned_le32(0, &h.trailer_size);
	if (!EVP_DigestInit_ex2(md, EVP_sha256(), NULL) || !EVP_DigestUpdate(md, &h, HDR_SIZE)) {
		ret = -EIO;
		goto out;
	}
	put_unaligned_le32(len, &h.trailer_size);
	ret = write_all(ofd, &h, HDR_SIZE);
	while (!ret && left) {
		size_t n = left < READ_CHUNK ? (size_t)left : READ_CHUNK;

		ret = read_full(in, buf, n);
		if (!ret && !EVP_DigestUpdate(md, buf, n))
			ret = -EIO;
		if (!ret)
			ret = write_all(ofd, buf, n);
		left -= n;
	}
	if (!ret)
		ret = write_all(ofd, trailer, len);
	if (!ret && (!EVP_DigestFinal_ex(md, got, NULL) || memcmp(got, digest, 32)))
		ret = -ESTALE;	/* the shard changed since the caller read it */
	if (!ret && fsync(ofd))
		ret = -errno;
	if (close(ofd) && !ret)
		ret = -errno;
	ofd = -1;
	if (!ret && rename(tmp, path))
		ret = -errno;
	renamed = !ret;
	/* Renamed: the shard has its trailer; only its durability is in doubt. */
	if (!ret)
		ret = fsync_dir(dir);
out:
	if (ofd >= 0)
		close(ofd);
	if (ret && tmp[0] && !renamed)
		unlink(tmp);
	close(in);
	free(buf);
	EVP_MD_CTX_free(md);
	return ret;
}

/*
 * The shards in @dir: @first..@first + @count - 1, without a gap (-EBADMSG).
 * -errno when @dir cannot be read.
 */
int imasnap_archive_range(const char *dir, u64 *first, u64 *count)
{
	unsigned long long seq, max = 0, min = ULLONG_MAX;
	struct dirent *de;
	u64 n = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char name[64];

		if (sscanf(de->d_name, "shard-%8llu.ims", &seq) != 1)
			continue;
		imasnap_shard_name(seq, name, sizeof(name));
		if (strcmp(name, de->d_name))
			continue;
		n++;
		if (seq + 1 > max)
			max = seq + 1;
		if (seq < min)
			min = seq;
	}
	closedir(d);
	if (!n)
		min = 0;
	if (n != max - min)
		return -EBADMSG;	/* a shard is missing */
	*first = min;
	*count = n;
	return 0;
}
