// SPDX-License-Identifier: GPL-2.0
/*
 * Handoff record codec: what the old kernel leaves in the carry window for
 * the next one (layout in include/uapi/linux/imasnap.h).  The decoder trusts
 * nothing: every count and size is checked against the bytes that are there
 * before it is used, and the self-digest covers the whole record.
 */
#include "core.h"

#define HDR_SIZE	sizeof(struct imasnap_record_hdr)
#define VALUE_SIZE	sizeof(struct imasnap_pcr_value)
#define SELF_AT		offsetof(struct imasnap_record_hdr, self_digest)

static u64 align8(u64 n)
{
	return (n + 7) & ~(u64)7;
}

/* Bytes imasnap_record_encode() writes for @r (u64: no wrap on 32-bit). */
u64 imasnap_record_size(const struct imasnap_record *r)
{
	u64 values = imasnap_state_count(&r->armed) +
		     imasnap_state_count(&r->pcrs);

	return align8(HDR_SIZE + values * VALUE_SIZE + r->tail_size);
}

static int self_digest(const u8 *buf, size_t total,
		       const struct imasnap_hash_ops *ops, u8 *out)
{
	static const u8 zero[IMASNAP_SHA256_DIGEST_SIZE];
	struct imasnap_buf v[3] = {
		{ buf, SELF_AT },
		{ zero, sizeof(zero) },
		{ buf + HDR_SIZE, total - HDR_SIZE },
	};

	return ops->digest(ops->priv, IMASNAP_BANK_SHA256, v, 3, out);
}

/**
 * imasnap_record_encode() - write @r, its states and its tail into @buf
 * @r:		the record; r->tail and r->tail_size give the tail
 * @buf:	where to write it
 * @size:	bytes available at @buf
 * @ops:	SHA-256 for the self-digest
 *
 * Return: bytes written (imasnap_record_size()), -ENOSPC when @size is too
 * small, or the hash op's error.
 */
int imasnap_record_encode(const struct imasnap_record *r, u8 *buf,
			  size_t size, const struct imasnap_hash_ops *ops)
{
	struct imasnap_record_hdr *h = (void *)buf;
	u64 total = imasnap_record_size(r);
	u8 *p;
	int ret;

	if (!imasnap_state_count(&r->armed) || r->tail_size > IMASNAP_RECORD_MAX_SIZE ||
	    (r->tail_size && !r->tail))
		return -EINVAL;
	if (total > size || total > IMASNAP_RECORD_MAX_SIZE)
		return -ENOSPC;
	memset(buf, 0, (size_t)total);
	put_unaligned_le32(IMASNAP_RECORD_MAGIC, &h->magic);
	put_unaligned_le16(IMASNAP_RECORD_VERSION, &h->version);
	put_unaligned_le16(HDR_SIZE, &h->hdr_size);
	put_unaligned_le32((u32)total, &h->total_size);
	put_unaligned_le32(r->flags, &h->flags);
	put_unaligned_le64(r->seq, &h->seq);
	put_unaligned_le64(r->entries, &h->entries);
	put_unaligned_le64(r->cut_offset, &h->cut_offset);
	put_unaligned_le32(r->tail_entries, &h->tail_entries);
	put_unaligned_le32(r->tail_size, &h->tail_size);
	put_unaligned_le32(imasnap_state_count(&r->armed), &h->nr_armed);
	put_unaligned_le32(imasnap_state_count(&r->pcrs), &h->nr_pcrs);
	put_unaligned_le64(r->reset_count, &h->reset_count);
	put_unaligned_le32(r->restart_count, &h->restart_count);
	put_unaligned_le64(r->capture_ns, &h->capture_ns);
	memcpy(h->shard_digest, r->shard_digest, sizeof(h->shard_digest));
	memcpy(h->tail_digest, r->tail_digest, sizeof(h->tail_digest));

	p = imasnap_state_put(buf + HDR_SIZE, &r->armed);
	p = imasnap_state_put(p, &r->pcrs);
	if (r->tail_size)
		memcpy(p, r->tail, r->tail_size);

	ret = self_digest(buf, (size_t)total, ops, h->self_digest);
	return ret ? ret : (int)total;
}

/* At most one verdict: verified, mismatch, truncated, no TPM, unreadable. */
static unsigned int hweight_verdict(u32 flags)
{
	u32 v = flags & (IMASNAP_REC_TAIL_VERIFIED | IMASNAP_REC_TAIL_MISMATCH |
			 IMASNAP_REC_TAIL_TRUNCATED | IMASNAP_REC_NO_TPM |
			 IMASNAP_REC_TAIL_UNREADABLE);
	unsigned int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static int reject(struct imasnap_err *err, u64 at, const char *reason)
{
	err->reason = reason;
	err->offset = at;
	err->index = 0;
	return -EBADMSG;
}

static int count_tail(const u8 *tail, u32 size, enum imasnap_log_order order,
		      u64 at, u32 *entries, struct imasnap_err *err)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	u32 pos = 0, n = 0;
	int ret;

	imasnap_log_init(&log, order);
	while (pos < size) {
		ret = imasnap_log_next(&log, tail + pos, size - pos, true, &rec,
				       err);
		if (ret < 0) {
			err->offset += at;
			return ret;
		}
		pos += (u32)ret;
		n++;
	}
	*entries = n;
	return 0;
}

/**
 * imasnap_record_decode() - validate and decode a handoff record
 * @buf:	the record (the carry window's contents)
 * @len:	bytes readable at @buf
 * @r:		decoded record; r->tail points into @buf
 * @ops:	SHA-256 for the self-digest and the tail digest
 * @err:	the first check that failed, and where
 *
 * Return: 0, -EBADMSG (malformed, @err says why), or the hash op's error.
 */
int imasnap_record_decode(const u8 *buf, size_t len, struct imasnap_record *r,
			  const struct imasnap_hash_ops *ops,
			  struct imasnap_err *err)
{
	const struct imasnap_record_hdr *h = (const void *)buf;
	u8 digest[IMASNAP_SHA256_DIGEST_SIZE];
	u32 total, na, np, tail_size, entries;
	struct imasnap_buf v;
	u64 used;
	int ret;

	if (len < HDR_SIZE)
		return reject(err, 0, "record shorter than its header");
	if (get_unaligned_le32(&h->magic) != IMASNAP_RECORD_MAGIC)
		return reject(err, 0, "bad record magic");
	if (get_unaligned_le16(&h->version) != IMASNAP_RECORD_VERSION)
		return reject(err, 4, "unsupported record version");
	if (get_unaligned_le16(&h->hdr_size) != HDR_SIZE)
		return reject(err, 6, "record header size does not match its version");
	total = get_unaligned_le32(&h->total_size);
	if (total < HDR_SIZE || total > len || total % 8 ||
	    total > IMASNAP_RECORD_MAX_SIZE)
		return reject(err, 8, "record size out of bounds");
	r->flags = get_unaligned_le32(&h->flags);
	if (r->flags & ~IMASNAP_REC_KNOWN_FLAGS)
		return reject(err, 12, "record has unknown flags");
	if (hweight_verdict(r->flags) > 1)
		return reject(err, 12, "record has contradictory flags");
	if (get_unaligned_le32(&h->reserved0) ||
	    !imasnap_all_zero((const u8 *)h->reserved, sizeof(h->reserved)))
		return reject(err, offsetof(struct imasnap_record_hdr, reserved0),
			      "record has non-zero reserved fields");
	na = get_unaligned_le32(&h->nr_armed);
	np = get_unaligned_le32(&h->nr_pcrs);
	tail_size = get_unaligned_le32(&h->tail_size);
	if (na > IMASNAP_MAX_PCR_VALUES || np > IMASNAP_MAX_PCR_VALUES)
		return reject(err, 48, "record has too many PCR values");
	used = HDR_SIZE + (u64)(na + np) * VALUE_SIZE + tail_size;
	if (used > total || total - used >= 8 ||
	    !imasnap_all_zero(buf + used, total - used))
		return reject(err, 8, "record sections do not add up to its size");

	ret = self_digest(buf, total, ops, digest);
	if (ret)
		return ret;
	if (memcmp(digest, h->self_digest, sizeof(digest)))
		return reject(err, SELF_AT, "record self-digest does not match");

	r->seq = get_unaligned_le64(&h->seq);
	r->entries = get_unaligned_le64(&h->entries);
	r->cut_offset = get_unaligned_le64(&h->cut_offset);
	r->tail_entries = get_unaligned_le32(&h->tail_entries);
	r->reset_count = get_unaligned_le64(&h->reset_count);
	r->restart_count = get_unaligned_le32(&h->restart_count);
	r->capture_ns = get_unaligned_le64(&h->capture_ns);
	memcpy(r->shard_digest, h->shard_digest, sizeof(r->shard_digest));
	memcpy(r->tail_digest, h->tail_digest, sizeof(r->tail_digest));

	ret = imasnap_state_get_values(buf + HDR_SIZE, na, HDR_SIZE, &r->armed, err);
	if (ret)
		return ret;
	ret = imasnap_state_get_values(buf + HDR_SIZE + na * VALUE_SIZE, np,
				       HDR_SIZE + na * VALUE_SIZE, &r->pcrs, err);
	if (ret)
		return ret;
	if (!na)
		return reject(err, 48, "record has no armed end state");
	if ((r->flags & IMASNAP_REC_NO_TPM) && np)
		return reject(err, 52, "record without a TPM has TPM PCR values");

	r->tail = buf + HDR_SIZE + (na + np) * VALUE_SIZE;
	r->tail_size = tail_size;
	if ((r->flags & IMASNAP_REC_TAIL_TRUNCATED) && tail_size)
		return reject(err, 44, "truncated record carries a tail");
	v.data = r->tail;
	v.len = tail_size;
	ret = ops->digest(ops->priv, IMASNAP_BANK_SHA256, &v, 1, digest);
	if (ret)
		return ret;
	if (memcmp(digest, h->tail_digest, sizeof(digest)))
		return reject(err, offsetof(struct imasnap_record_hdr, tail_digest),
			      "record tail digest does not match its tail");
	ret = count_tail(r->tail, tail_size,
			 (r->flags & IMASNAP_REC_TAIL_BE) ?
			 IMASNAP_LOG_BE : IMASNAP_LOG_LE,
			 (u64)(r->tail - buf), &entries, err);
	if (ret)
		return ret;
	if (!(r->flags & IMASNAP_REC_TAIL_TRUNCATED) &&
	    entries != r->tail_entries)
		return reject(err, 40, "record tail entry count does not match its tail");
	return 0;
}
