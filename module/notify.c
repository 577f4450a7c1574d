// SPDX-License-Identifier: GPL-2.0
/*
 * The capture at kexec.  A reboot notifier of the lowest priority runs after
 * every other notifier and before device_shutdown() stops the TPM.  When the
 * module is armed it reads the records measured after the cut (continuing on
 * the file arm.c positioned) and has capture.c write the handoff record into
 * the carry window.  It never blocks the reboot: whatever fails, it writes a
 * record that says so, or none.
 */
#include <linux/ktime.h>
#include <linux/reboot.h>

#include "imasnap_mod.h"

/* The data kernel_kexec() passes with SYS_RESTART (kexec_in_progress is not exported). */
#define KEXEC_REBOOT_CMD	"kexec reboot"

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
	len = imasnap_capture_read_tail(&d->arm, &flags);
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
