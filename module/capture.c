// SPDX-License-Identifier: GPL-2.0
/*
 * The capture: build the handoff record from the armed cut, the records
 * measured after it, the TPM's PCRs and reset counters, and write it into
 * the carry window.  The reboot notifier (notify.c) calls it; KUnit calls it
 * with a buffer for a log and a fake TPM.
 *
 * Its own memory (the tail buffer, the replay state, the record) was
 * allocated at arm time; the kernel code it calls allocates.  The TPM driver
 * takes one page (tpm_buf_init(), GFP_KERNEL) per command and frees it
 * before the command returns: one TPM2_ReadClock, and one TPM2_PCR_Read per
 * bank and PCR read.  IMA's seq_file allocates a buffer (kvmalloc, a page,
 * doubled until the record fits) only when it has none (arm gives it one of
 * the tail buffer's size, unless that allocation failed) or a record after
 * the cut does not fit it.
 * A failed allocation still leaves a record, flagged no_tpm or
 * tail_unreadable.
 */
#include <linux/ktime.h>

#include "imasnap_mod.h"

/*
 * Replay the tail from the armed state in every armed bank under both rules;
 * a bank verifies when one rule reaches the TPM's value of every PCR it has.
 */
static bool capture_verify(struct imasnap_armed *a, const u8 *tail,
			   size_t len, u32 banks, const struct imasnap_khash *h,
			   struct imasnap_tpm *tpm, u32 *touched, int *err)
{
	struct imasnap_replay *rp = a->rp;
	struct imasnap_record *rec = a->rec;
	struct imasnap_log log;
	struct imasnap_err lerr;
	unsigned int i;
	u32 b;

	imasnap_replay_init(rp, &h->ops);
	imasnap_replay_add_banks(rp, imasnap_state_banks(&a->cut.state));
	imasnap_replay_start(rp, &a->cut.state);
	imasnap_log_init(&log, a->order);
	*err = imasnap_replay_buffer(rp, &log, tail, len, &lerr);
	if (*err)
		return false;
	rec->tail_entries = (u32)log.index;

	*touched = 0;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		*touched |= a->cut.state.pcr_mask[b];
	for (i = 0; i < rp->nr_lanes; i++)
		*touched |= rp->lane[i].touched;
	*err = tpm->ops->read_pcrs(tpm->priv, banks, *touched, &rec->pcrs);
	if (*err)
		return false;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (a->cut.state.pcr_mask[b] &&
		    imasnap_replay_pick(rp, b, &rec->pcrs) < 0)
			return false;
	}
	return true;
}

/* Count the tail's records when no replay did (no TPM); false: malformed. */
static bool capture_count(const struct imasnap_armed *a, const u8 *tail,
			  size_t len, u32 *entries)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t pos = 0;
	int ret;

	imasnap_log_init(&log, a->order);
	while ((ret = imasnap_log_next(&log, tail + pos, len - pos, true, &rec,
				       &err)) > 0)
		pos += ret;
	*entries = (u32)log.index;
	return !ret;
}

/**
 * imasnap_capture() - build the handoff record and write it into the window
 * @a:		the armed cut; a->tail holds the tail
 * @tail_len:	bytes of tail read
 * @read_flags:	IMASNAP_REC_TAIL_TRUNCATED or _UNREADABLE from reading it
 * @tpm:	the TPM (ops NULL: none)
 * @h:		hash operations
 * @window:	the mapped carry window
 * @size:	its size
 * @t0:		ktime_get_ns() when the capture started
 *
 * Return: the record's flags, or -errno when no record was written.
 */
int imasnap_capture(struct imasnap_armed *a, size_t tail_len, u32 read_flags,
		    struct imasnap_tpm *tpm, const struct imasnap_khash *h,
		    void *window, size_t size, u64 t0)
{
	struct imasnap_record *rec = a->rec;
	u32 banks = 0, touched = 0, verdict = 0;
	struct imasnap_buf v;
	int ret, err = 0;

	memset(rec, 0, sizeof(*rec));
	rec->seq = a->cut.seq;
	rec->entries = a->cut.entries;
	rec->cut_offset = a->cut.offset;
	memcpy(rec->shard_digest, a->cut.shard, sizeof(rec->shard_digest));
	rec->armed = a->cut.state;

	/* One verdict per record; the first thing that went wrong decides it. */
	if (read_flags & IMASNAP_REC_TAIL_UNREADABLE)
		verdict = IMASNAP_REC_TAIL_UNREADABLE;
	else if (read_flags & IMASNAP_REC_TAIL_TRUNCATED)
		verdict = IMASNAP_REC_TAIL_TRUNCATED;
	else if (!tpm->ops || tpm->ops->read_counters(tpm->priv, &rec->reset_count,
						      &rec->restart_count))
		verdict = IMASNAP_REC_NO_TPM;
	if (!verdict) {
		banks = tpm->ops->banks(tpm->priv);
		if (capture_verify(a, a->tail, tail_len, banks, h, tpm,
				   &touched, &err))
			verdict = IMASNAP_REC_TAIL_VERIFIED;
		else if (err == -EBADMSG || err == -EOPNOTSUPP)
			verdict = IMASNAP_REC_TAIL_UNREADABLE;
		else if (err)
			verdict = IMASNAP_REC_NO_TPM;
		else
			verdict = IMASNAP_REC_TAIL_MISMATCH;
	}
	if (verdict == IMASNAP_REC_NO_TPM) {
		/* Nothing from the TPM is carried; the tail still is. */
		imasnap_state_init(&rec->pcrs);
		rec->reset_count = 0;
		rec->restart_count = 0;
		if (!capture_count(a, a->tail, tail_len, &rec->tail_entries))
			verdict = IMASNAP_REC_TAIL_UNREADABLE;
	}
	if (verdict != IMASNAP_REC_TAIL_TRUNCATED &&
	    verdict != IMASNAP_REC_TAIL_UNREADABLE) {
		rec->tail = a->tail;
		rec->tail_size = (u32)tail_len;
		/* A tail that fits the buffer but not next to the PCR values. */
		if (imasnap_record_size(rec) > size) {
			verdict = IMASNAP_REC_TAIL_TRUNCATED;
			rec->tail = NULL;
			rec->tail_size = 0;
		}
	}
	rec->flags = verdict;
	if (a->order == IMASNAP_LOG_BE)
		rec->flags |= IMASNAP_REC_TAIL_BE;
	v.data = rec->tail;
	v.len = rec->tail_size;
	ret = h->ops.digest(h->ops.priv, IMASNAP_BANK_SHA256, &v, 1,
			    rec->tail_digest);
	if (ret)
		return ret;
	rec->capture_ns = ktime_get_ns() - t0;
	ret = imasnap_record_encode(rec, window, size, &h->ops);
	return ret < 0 ? ret : (int)rec->flags;
}

/**
 * imasnap_capture_read_tail() - read what IMA measured after the cut
 * @a:		the armed cut; the tail goes to a->tail
 * @flags:	IMASNAP_REC_TAIL_TRUNCATED (more than a->tail holds) or
 *		IMASNAP_REC_TAIL_UNREADABLE (a read failed) are added
 *
 * Return: bytes read into a->tail.
 */
size_t imasnap_capture_read_tail(struct imasnap_armed *a, u32 *flags)
{
	size_t have = 0;
	ssize_t n;
	u8 probe;

	for (;;) {
		if (have == a->tail_cap) {
			n = a->src.read(a->src.priv, &a->pos, &probe, 1);
			if (n > 0)
				*flags |= IMASNAP_REC_TAIL_TRUNCATED;
			break;
		}
		n = a->src.read(a->src.priv, &a->pos, a->tail + have,
				a->tail_cap - have);
		if (n <= 0)
			break;
		have += n;
	}
	if (n < 0)
		*flags |= IMASNAP_REC_TAIL_UNREADABLE;
	return have;
}

