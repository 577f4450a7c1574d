// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap: make IMA attestation survive kexec.
 *
 * In the old kernel: userspace archives IMA's log up to a cut and arms the
 * module with it (arm.c); at kexec a reboot notifier writes the records
 * measured after the cut, the TPM's PCRs and reset counters into a reserved
 * carry window (notify.c, window.c).  In the next kernel, at load: the module
 * validates that record, keeps a copy for userspace and re-seeds IMA's new
 * list with a snapshot_aggregate record (reseed.c).
 */
#include <linux/module.h>

#include "imasnap_mod.h"

static char *window;
module_param(window, charp, 0400);
MODULE_PARM_DESC(window,
		 "Carry window <size>@<phys>, reserved with memmap=<size>$<phys> (e.g. 64K@0x30000000)");

static bool verify_on_load;
module_param(verify_on_load, bool, 0400);
MODULE_PARM_DESC(verify_on_load,
		 "Replay IMA's live log at load and compare it with the TPM's PCRs");

struct imasnap_dev imasnap_dev = {
	.lock = __MUTEX_INITIALIZER(imasnap_dev.lock),
};

/* Take what the previous kernel left in the window and re-seed from it. */
static void imasnap_receive(struct imasnap_dev *d)
{
	struct imasnap_tpm tpm;
	int ret;

	imasnap_tpm_get(&tpm);
	ret = imasnap_consume(d->window.virt, d->window.size, &tpm,
			      &d->hash.ops, &d->carried);
	imasnap_tpm_put(&tpm);
	if (ret || d->carried.state != IMASNAP_CARRIED_ACCEPTED)
		return;
	pr_info("received seq %llu: %llu records archived, %u carried (%u bytes), captured in %llu ns\n",
		d->carried.rec.seq, d->carried.rec.entries,
		d->carried.rec.tail_entries, d->carried.rec.tail_size,
		d->carried.rec.capture_ns);
	if (imasnap_ima_carried_log()) {
		pr_info("IMA carried the previous kernel's log itself: not re-seeding\n");
		d->reseed = IMASNAP_RESEED_IMA_CARRIED;
		return;
	}
	d->reseed = imasnap_reseed(&d->carried.rec, &d->reseed_err);
}

static int __init imasnap_init(void)
{
	struct imasnap_dev *d = &imasnap_dev;
	int ret;

	ret = imasnap_khash_init(&d->hash);
	if (ret)
		return ret;
	/* Without a window the module still reports status and refuses to arm. */
	d->window_err = imasnap_window_map(&d->window, window);
	if (d->window.virt)
		imasnap_receive(d);
	ret = imasnap_fs_init();
	if (ret)
		goto err_fs;
	ret = imasnap_notify_init();
	if (ret)
		goto err_notify;
	if (verify_on_load)
		imasnap_verify_live_log(&d->hash);
	return 0;

err_notify:
	imasnap_fs_exit();
err_fs:
	imasnap_carried_free(&d->carried);
	imasnap_window_unmap(&d->window);
	imasnap_khash_exit(&d->hash);
	return ret;
}

static void __exit imasnap_exit(void)
{
	struct imasnap_dev *d = &imasnap_dev;

	imasnap_notify_exit();
	imasnap_fs_exit();
	imasnap_disarm(&d->arm);
	imasnap_carried_free(&d->carried);
	imasnap_window_unmap(&d->window);
	imasnap_khash_exit(&d->hash);
}

module_init(imasnap_init);
module_exit(imasnap_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Carry IMA measurements across kexec");
MODULE_AUTHOR("The imasnap developers");
MODULE_VERSION("0.1");
