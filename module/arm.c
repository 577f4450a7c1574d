// SPDX-License-Identifier: GPL-2.0
/*
 * Arming: userspace archived IMA's log up to a cut and writes the cut
 * (seq, records, byte offset, end state per bank and PCR, shard digest) to
 * /sys/kernel/security/imasnap/arm.  The module checks it strictly, opens
 * IMA's log and reads it up to the cut, checking that exactly the named
 * records end exactly at the named offset, and keeps the file there: at
 * kexec the reboot notifier continues reading on it and gets only the
 * records measured after the cut, without formatting the log again.
 *
 * The capture's own memory (the tail buffer, the replay state, the record)
 * is allocated here; capture.c says what the kernel code it calls still
 * allocates.  Called with imasnap_dev.lock held.
 */
#include <linux/slab.h>

#include "imasnap_mod.h"

/* The smallest record: header, armed state, the cut's PCRs in every bank. */
static size_t arm_min_record(const struct imasnap_aggregate *cut, u32 banks)
{
	u32 pcrs = 0, values = 0, b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		pcrs |= cut->state.pcr_mask[b];
		values += hweight32(cut->state.pcr_mask[b]);
	}
	values += hweight32(pcrs) * hweight32(banks);
	return sizeof(struct imasnap_record_hdr) +
	       values * sizeof(struct imasnap_pcr_value);
}

static int arm_reject(const char *reason)
{
	pr_err("arm: %s\n", reason);
	return -EINVAL;
}

/*
 * Read the log up to @a->cut.offset in pieces of up to IMASNAP_IMALOG_MAX
 * (each makes IMA walk its list from the head: the fewer, the better),
 * parsing as it goes: the cut must fall after exactly @a->cut.entries
 * records.  Then leave the source ready for the capture's reads.
 */
static int arm_seek(struct imasnap_armed *a)
{
	const size_t cap = clamp_t(u64, PAGE_ALIGN(a->cut.offset), SZ_256K,
				   IMASNAP_IMALOG_MAX);
	struct imasnap_log log;
	struct imasnap_err err;
	size_t have = 0;
	ssize_t n;
	int ret = 0;
	u8 *buf;

	buf = kvmalloc(cap, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	imasnap_log_init(&log, IMASNAP_LOG_NATIVE);
	a->pos = 0;
	a->order = IMASNAP_LOG_NATIVE;
	while (!ret && (u64)a->pos < a->cut.offset) {
		size_t want = min_t(u64, a->cut.offset - a->pos, cap - have);

		if (!want) {
			ret = arm_reject("a record before the cut is larger than the read buffer");
			break;
		}
		n = a->src.read(a->src.priv, &a->pos, buf + have, want);
		if (n < 0) {
			pr_err("arm: reading IMA's log failed (%zd)\n", n);
			ret = (int)n;
			break;
		}
		if (!n) {
			ret = arm_reject("the cut's Offset is beyond the end of IMA's log");
			break;
		}
		have += n;
		if (!log.offset) {
			log.order = imasnap_imalog_order(buf, have);
			a->order = log.order;
		}
		ret = imasnap_log_feed(&log, buf, &have, false, NULL, NULL, &err);
		if (ret) {
			pr_err("arm: IMA's log record %llu at offset %llu: %s\n",
			       err.index, err.offset, err.reason);
			ret = -EINVAL;
		}
	}
	kvfree(buf);
	if (ret)
		return ret;
	if (have)
		return arm_reject("the cut's Offset is not at a record boundary");
	if (log.index != a->cut.entries)
		return arm_reject("the cut's Entries does not match the records before its Offset");
	if (a->src.fit)
		a->src.fit(a->src.priv, a->tail_cap);
	return 0;
}

static void armed_free(struct imasnap_armed *a)
{
	if (a->src.close)
		a->src.close(a->src.priv);
	kvfree(a->tail);
	kvfree(a->rp);
	kvfree(a->rec);
	memset(a, 0, sizeof(*a));
}

/**
 * imasnap_arm() - check a cut and get ready to capture at kexec
 * @a:		the armed state to replace on success
 * @text:	the cut, in the grammar of include/uapi/linux/imasnap.h
 * @len:	its length (one trailing newline is ignored)
 * @window_size: bytes of the carry window, 0 when there is none
 * @tpm:	the TPM (ops NULL: none)
 * @h:		the kernel's hashes
 * @src:	IMA's log, at its start; taken over (closed on error)
 *
 * Return: 0; -EINVAL (bad cut, one pr_err says why); -ENODEV (no window or
 * no TPM); -ENOMEM; a read error.  On error @a is unchanged.
 */
int imasnap_arm(struct imasnap_armed *a, const char *text, size_t len,
		size_t window_size, struct imasnap_tpm *tpm,
		const struct imasnap_khash *h, struct imasnap_source *src)
{
	struct imasnap_err err;
	struct imasnap_armed *n;
	u32 banks, b;
	int ret;

	/* struct imasnap_armed holds a whole PCR state: too big for the stack. */
	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n) {
		src->close(src->priv);
		return -ENOMEM;
	}
	n->src = *src;
	if (!window_size) {
		pr_err("arm: no carry window: boot with memmap=<size>$<addr> imasnap.window=<size>@<addr>\n");
		ret = -ENODEV;
		goto fail;
	}
	if (!tpm->ops) {
		pr_err("arm: no TPM 2.0: nothing would attest the carried state\n");
		ret = -ENODEV;
		goto fail;
	}
	if (len && text[len - 1] == '\n')
		len--;
	ret = imasnap_aggregate_parse(IMASNAP_AGG_CUT, text, len, &n->cut, &err);
	if (ret) {
		pr_err("arm: cut rejected at byte %llu: %s\n", err.offset, err.reason);
		goto fail;
	}
	banks = tpm->ops->banks(tpm->priv);
	for (b = 0; b < IMASNAP_NR_BANKS && !ret; b++) {
		if (n->cut.state.pcr_mask[b] && !(banks & (1U << b)))
			ret = arm_reject("the cut names a PCR bank the TPM does not have");
		else if (n->cut.state.pcr_mask[b] && !imasnap_khash_has(h, b))
			ret = arm_reject("the cut names a PCR bank this kernel cannot hash");
	}
	if (!ret && arm_min_record(&n->cut, banks) > window_size)
		ret = arm_reject("the cut's PCR state does not fit in the window");
	if (ret)
		goto fail;

	n->tail_cap = window_size;
	n->tail = kvmalloc(n->tail_cap, GFP_KERNEL);
	n->rp = kvzalloc(sizeof(*n->rp), GFP_KERNEL);
	n->rec = kvzalloc(sizeof(*n->rec), GFP_KERNEL);
	if (!n->tail || !n->rp || !n->rec) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = arm_seek(n);
	if (ret)
		goto fail;

	armed_free(a);
	*a = *n;
	kfree(n);
	return 0;
fail:
	armed_free(n);
	kfree(n);
	return ret;
}

void imasnap_disarm(struct imasnap_armed *a)
{
	armed_free(a);
}
