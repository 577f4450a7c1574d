// SPDX-License-Identifier: GPL-2.0
/* PCR reads from the TPM, for every bank it has allocated. */
#include <linux/tpm.h>

#include "imasnap_mod.h"

/* The banks imasnap knows among those the TPM has allocated. */
u32 imasnap_tpm_banks(struct tpm_chip *chip)
{
	u32 mask = 0;
	int i, bank;

	for (i = 0; i < chip->nr_allocated_banks; i++) {
		bank = imasnap_bank_by_alg(chip->allocated_banks[i].alg_id);
		if (bank >= 0)
			mask |= 1U << bank;
	}
	return mask;
}

int imasnap_tpm_read_pcrs(struct tpm_chip *chip, u32 bank_mask, u32 pcr_mask,
			  struct imasnap_state *out)
{
	struct tpm_digest d;
	u32 b, p;
	int ret;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!(bank_mask & (1U << b)))
			continue;
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!(pcr_mask & (1U << p)))
				continue;
			memset(&d, 0, sizeof(d));
			d.alg_id = imasnap_bank_info(b)->alg_id;
			ret = tpm_pcr_read(chip, p, &d);
			if (ret)
				return ret > 0 ? -EIO : ret;
			imasnap_state_set(out, b, p, d.digest);
		}
	}
	return 0;
}
