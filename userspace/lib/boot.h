/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot_aggregate: the first record of every boot's IMA log, IMA's digest of
 * PCRs 0-7 (SHA-1) or 0-9 (any other bank) of one bank as the kernel found
 * them (ima_calc_boot_aggregate()).  kexec does not reset the TPM, so every
 * kernel of one power cycle finds the same PCRs 0-9: each boot_aggregate of
 * a bank must equal the same value, and that value the TPM's PCRs.
 */
#ifndef _IMASNAP_BOOT_H
#define _IMASNAP_BOOT_H

#include <stdbool.h>

#include "evp.h"

#define IMASNAP_BOOT_AGGREGATE_NAME	"boot_aggregate"

struct imasnap_boot_aggregate {
	bool present;			/* the record is a boot_aggregate */
	int bank;			/* enum imasnap_bank of its digest */
	u8 digest[IMASNAP_MAX_DIGEST_SIZE];
	bool zero;			/* IMA found no such bank (or no TPM) */
};

/*
 * Is @rec a boot_aggregate?  0: yes, @ba filled; -ENOENT: another record;
 * -EBADMSG: named boot_aggregate but its digest field is not a digest of a
 * known bank (@why).
 */
int imasnap_boot_aggregate_of(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			      struct imasnap_boot_aggregate *ba, const char **why);
/* The PCRs the boot_aggregate of @bank covers: 0-7 for SHA-1, else 0-9. */
u32 imasnap_boot_aggregate_pcrs(int bank);
/*
 * The boot_aggregate IMA computes from @pcrs in @bank: 0; -ENOENT when
 * @pcrs lacks one of imasnap_boot_aggregate_pcrs(); another -errno.
 */
int imasnap_boot_aggregate_expect(struct imasnap_evp *evp, int bank,
				  const struct imasnap_state *pcrs, u8 *out);

#endif /* _IMASNAP_BOOT_H */
