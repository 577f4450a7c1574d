// SPDX-License-Identifier: GPL-2.0
/*
 * The next kernel's side of the handoff: validate the record the previous
 * kernel left in the carry window, keep a copy for userspace and wipe the
 * window so the record cannot be consumed twice.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "imasnap_mod.h"

static bool window_is_empty(const u8 *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (p[i])
			return false;
	return true;
}

static int consume_reject(struct imasnap_carried *out, const char *reason)
{
	out->state = IMASNAP_CARRIED_REJECTED;
	out->reason = reason;
	pr_err("carried record rejected: %s\n", reason);
	return -EBADMSG;
}

/**
 * imasnap_consume() - take the record the previous kernel left in the window
 * @window:	the mapped window
 * @size:	its size
 * @tpm:	the TPM, for freshness (ops NULL: none)
 * @ops:	SHA-256 for the record's digests
 * @out:	what was found; out->buf is a copy of a readable record
 *
 * A readable record is copied and the window wiped, whatever the verdict;
 * an unreadable one is left in the window for inspection.  Only a fresh
 * record whose tail the previous kernel verified is accepted.
 *
 * Return: 0 (accepted, or no record: an empty window, or one without the
 * record magic, as after a cold boot), -EBADMSG (rejected), -ENOMEM.
 */
int imasnap_consume(void *window, size_t size, struct imasnap_tpm *tpm,
		    const struct imasnap_hash_ops *ops,
		    struct imasnap_carried *out)
{
	const struct imasnap_record_hdr *h = window;
	struct imasnap_err err;
	u32 restart_count;
	u64 reset_count;
	u32 total;
	int ret;

	memset(out, 0, sizeof(*out));
	if (window_is_empty(window, min_t(size_t, size, sizeof(*h)))) {
		out->reason = "empty window";
		return 0;
	}
	/*
	 * Without the magic there is no record: after a cold boot the window
	 * holds whatever RAM held.  Not an error; left as it is.
	 */
	if (size < sizeof(h->magic) || get_unaligned_le32(&h->magic) != IMASNAP_RECORD_MAGIC) {
		out->reason = "no handoff record in the window";
		pr_info("no handoff record in the window (a cold boot, or no kexec armed)\n");
		return 0;
	}
	ret = imasnap_record_decode(window, size, &out->rec, ops, &err);
	if (ret == -EBADMSG)
		return consume_reject(out, err.reason);
	if (ret) {
		pr_err("cannot check the carried record (%d)\n", ret);
		out->state = IMASNAP_CARRIED_REJECTED;
		out->reason = "hash failed";
		return ret;
	}

	total = get_unaligned_le32(&h->total_size);
	out->buf = kvmalloc(total, GFP_KERNEL);
	if (!out->buf)
		return -ENOMEM;
	memcpy(out->buf, window, total);
	out->len = total;
	out->rec.tail = out->buf + (out->rec.tail - (const u8 *)window);
	memset(window, 0, size);

	if (out->rec.flags & IMASNAP_REC_NO_TPM)
		return consume_reject(out, "the previous kernel had no TPM");
	if (!tpm->ops)
		return consume_reject(out, "no TPM to check the record's freshness");
	ret = tpm->ops->read_counters(tpm->priv, &reset_count, &restart_count);
	if (ret)
		return consume_reject(out, "reading the TPM clock failed");
	if (reset_count != out->rec.reset_count ||
	    restart_count != out->rec.restart_count)
		return consume_reject(out,
				      "stale record: the TPM was reset since it was written");
	if (out->rec.flags & IMASNAP_REC_TAIL_UNREADABLE)
		return consume_reject(out, "the previous kernel could not read its IMA log");
	if (out->rec.flags & IMASNAP_REC_TAIL_TRUNCATED)
		return consume_reject(out, "the tail did not fit in the window");
	if (!(out->rec.flags & IMASNAP_REC_TAIL_VERIFIED))
		return consume_reject(out,
				      "the tail does not replay from the armed state to the TPM's PCRs");
	out->state = IMASNAP_CARRIED_ACCEPTED;
	out->reason = "fresh record, tail verified";
	return 0;
}

void imasnap_carried_free(struct imasnap_carried *c)
{
	kvfree(c->buf);
	c->buf = NULL;
	c->len = 0;
	c->rec.tail = NULL;
	c->rec.tail_size = 0;
}
