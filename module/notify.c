// SPDX-License-Identifier: GPL-2.0
/*
 * The capture at kexec.  A reboot notifier of the lowest priority runs after
 * every other notifier and before device_shutdown() stops the TPM.  When the
 * module is armed it reads the records measured after the cut (continuing on
 * the file arm.c positioned), replays them from the armed end state, reads
 * the TPM's PCRs and reset counters, and writes the handoff record into the
 * carry window.  It never blocks the reboot: whatever fails, it writes a
 * record that says so, or none.
 */
#include <linux/ktime.h>
#include <linux/reboot.h>

#include "imasnap_mod.h"

/* The data kernel_kexec() passes with SYS_RESTART (kexec_in_progress is not exported). */
#define KEXEC_REBOOT_CMD	"kexec reboot"

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
	u32 b, p;

	imasnap_replay_init(rp, &h->ops);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!a->cut.state.pcr_mask[b])
			continue;
		imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL);
		if (b != IMASNAP_BANK_SHA1)
			imasnap_replay_add_lane(rp, b, IMASNAP_RULE_PADDED_SHA1);
	}
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
		bool ok = false;

		if (!a->cut.state.pcr_mask[b])
			continue;
		for (i = 0; i < rp->nr_lanes && !ok; i++) {
			const struct imasnap_lane *l = &rp->lane[i];
			u32 mask = l->touched | l->start_mask;

			if (l->bank != b)
				continue;
			ok = true;
			for (p = 0; p < IMASNAP_NR_PCRS; p++) {
				if ((mask & (1U << p)) &&
				    memcmp(l->pcr[p], rec->pcrs.pcr[b][p],
					   imasnap_bank_info(b)->size))
					ok = false;
			}
		}
		if (!ok)
			return false;
	}
	return true;
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
	struct imasnap_buf v;
	u32 banks = 0, touched = 0;
	int ret, err = 0;

	memset(rec, 0, sizeof(*rec));
	rec->flags = read_flags;
	if (a->order == IMASNAP_LOG_BE)
		rec->flags |= IMASNAP_REC_TAIL_BE;
	rec->seq = a->cut.seq;
	rec->entries = a->cut.entries;
	rec->cut_offset = a->cut.offset;
	memcpy(rec->shard_digest, a->cut.shard, sizeof(rec->shard_digest));
	rec->armed = a->cut.state;

	if (!tpm->ops) {
		rec->flags |= IMASNAP_REC_NO_TPM;
	} else {
		banks = tpm->ops->banks(tpm->priv);
		if (tpm->ops->read_counters(tpm->priv, &rec->reset_count,
					    &rec->restart_count))
			rec->flags |= IMASNAP_REC_NO_TPM;
	}
	if (!(rec->flags & (IMASNAP_REC_NO_TPM | IMASNAP_REC_TAIL_TRUNCATED |
			    IMASNAP_REC_TAIL_UNREADABLE))) {
		if (capture_verify(a, a->tail, tail_len, banks, h, tpm,
				   &touched, &err))
			rec->flags |= IMASNAP_REC_TAIL_VERIFIED;
		else if (err == -EBADMSG || err == -EOPNOTSUPP)
			rec->flags |= IMASNAP_REC_TAIL_UNREADABLE;
		else if (err)
			rec->flags |= IMASNAP_REC_NO_TPM;
		else
			rec->flags |= IMASNAP_REC_TAIL_MISMATCH;
	}
	if (rec->flags & IMASNAP_REC_NO_TPM)
		imasnap_state_init(&rec->pcrs);
	if (!(rec->flags & (IMASNAP_REC_TAIL_TRUNCATED |
			    IMASNAP_REC_TAIL_UNREADABLE))) {
		rec->tail = a->tail;
		rec->tail_size = (u32)tail_len;
	}
	v.data = rec->tail;
	v.len = rec->tail_size;
	ret = h->ops.digest(h->ops.priv, IMASNAP_BANK_SHA256, &v, 1,
			    rec->tail_digest);
	if (ret)
		return ret;

	/* A tail that fits the buffer but not next to the PCR values. */
	if (imasnap_record_size(rec) > size) {
		rec->flags &= ~(IMASNAP_REC_TAIL_VERIFIED | IMASNAP_REC_TAIL_MISMATCH);
		rec->flags |= IMASNAP_REC_TAIL_TRUNCATED;
		rec->tail = NULL;
		rec->tail_size = 0;
		v.data = NULL;
		v.len = 0;
		ret = h->ops.digest(h->ops.priv, IMASNAP_BANK_SHA256, &v, 1,
				    rec->tail_digest);
		if (ret)
			return ret;
	}
	rec->capture_ns = ktime_get_ns() - t0;
	ret = imasnap_record_encode(rec, window, size, &h->ops);
	return ret < 0 ? ret : (int)rec->flags;
}

/* Read what IMA measured after the cut into a->tail. */
static size_t capture_read_tail(struct imasnap_armed *a, u32 *flags)
{
	size_t have = 0;
	ssize_t n;
	u8 probe;

	for (;;) {
		if (have == a->tail_cap) {
			n = imasnap_imalog_read(a->log, &a->pos, &probe, 1);
			if (n > 0)
				*flags |= IMASNAP_REC_TAIL_TRUNCATED;
			break;
		}
		n = imasnap_imalog_read(a->log, &a->pos, a->tail + have,
					a->tail_cap - have);
		if (n <= 0)
			break;
		have += n;
	}
	if (n < 0)
		*flags |= IMASNAP_REC_TAIL_UNREADABLE;
	return have;
}

static int imasnap_reboot(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct imasnap_dev *d = &imasnap_dev;
	struct imasnap_tpm tpm;
	u32 flags = 0;
	size_t len;
	u64 t0;
	int ret;

	if (action != SYS_RESTART || !data || strcmp(data, KEXEC_REBOOT_CMD))
		return NOTIFY_DONE;
	mutex_lock(&d->lock);
	if (!d->armed || !d->window.virt)
		goto out;
	t0 = ktime_get_ns();
	len = capture_read_tail(&d->arm, &flags);
	imasnap_tpm_get(&tpm);
	ret = imasnap_capture(&d->arm, len, flags, &tpm, &d->hash,
			      d->window.virt, d->window.size, t0);
	imasnap_tpm_put(&tpm);
	d->capture_ns = ktime_get_ns() - t0;
	if (ret < 0) {
		d->capture = IMASNAP_CAPTURE_FAILED;
		pr_err("capture failed (%d): no record for the next kernel\n", ret);
	} else {
		d->capture = IMASNAP_CAPTURE_DONE;
		d->capture_flags = ret;
		pr_info("captured %u records after the cut (%zu bytes, flags %#x) in %llu ns\n",
			d->arm.rec->tail_entries, len, ret, d->capture_ns);
	}
	/* Only one capture per arm: the file position is past the tail now. */
	d->armed = false;
out:
	mutex_unlock(&d->lock);
	return NOTIFY_DONE;
}

static struct notifier_block imasnap_reboot_nb = {
	.notifier_call = imasnap_reboot,
	.priority = INT_MIN,
};

int imasnap_notify_init(void)
{
	return register_reboot_notifier(&imasnap_reboot_nb);
}

void imasnap_notify_exit(void)
{
	unregister_reboot_notifier(&imasnap_reboot_nb);
}
