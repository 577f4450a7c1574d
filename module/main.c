// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap: make IMA attestation survive kexec.
 *
 * This is the module's skeleton: it links the lib/ core (the same sources
 * the imasnap tool builds) and sets up its kernel hash operations.  With
 * verify_on_load=1 it replays IMA's live log with that core and compares the
 * result with the TPM's PCRs.
 */
#include <linux/module.h>

#include "imasnap_mod.h"

static bool verify_on_load;
module_param(verify_on_load, bool, 0400);
MODULE_PARM_DESC(verify_on_load,
		 "Replay IMA's live log at load and compare it with the TPM's PCRs");

static struct imasnap_khash imasnap_hash;

static int __init imasnap_init(void)
{
	char names[48] = "";
	int ret, b;

	ret = imasnap_khash_init(&imasnap_hash);
	if (ret)
		return ret;
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!imasnap_khash_has(&imasnap_hash, b))
			continue;
		strlcat(names, " ", sizeof(names));
		strlcat(names, imasnap_bank_info(b)->name, sizeof(names));
	}
	pr_info("core loaded (record v%u); hashes:%s\n", IMASNAP_RECORD_VERSION,
		names);
	/* The check reports in dmesg; it never keeps the module from loading. */
	if (verify_on_load)
		imasnap_verify_live_log(&imasnap_hash);
	return 0;
}

static void __exit imasnap_exit(void)
{
	imasnap_khash_exit(&imasnap_hash);
}

module_init(imasnap_init);
module_exit(imasnap_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Carry IMA measurements across kexec");
MODULE_AUTHOR("The imasnap developers");
MODULE_VERSION("0.1");
