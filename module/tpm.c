// SPDX-License-Identifier: GPL-2.0
/*
 * The TPM as the module sees it: the allocated banks, PCR reads and
 * TPM2_ReadClock's resetCount/restartCount.  Callers go through struct
 * imasnap_tpm_ops so KUnit can put a fake TPM in its place.
 */
#include <linux/slab.h>
#include <linux/tpm.h>

#include "imasnap_mod.h"

#define TPM2_CC_READ_CLOCK_ID	0x0181
/* TPMS_TIME_INFO: time (8), clock (8), resetCount (4), restartCount (4), safe (1) */
#define READ_CLOCK_BODY_SIZE	25
#define READ_CLOCK_RESET_AT	(TPM_HEADER_SIZE + 16)
#define READ_CLOCK_RESTART_AT	(TPM_HEADER_SIZE + 20)

static u32 chip_banks(void *priv)
{
	struct tpm_chip *chip = priv;
	u32 mask = 0;
	int i, bank;

	for (i = 0; i < chip->nr_allocated_banks; i++) {
		bank = imasnap_bank_by_alg(chip->allocated_banks[i].alg_id);
		if (bank >= 0)
			mask |= 1U << bank;
	}
	return mask;
}

static int chip_read_pcrs(void *priv, u32 bank_mask, u32 pcr_mask,
			  struct imasnap_state *out)
{
	struct tpm_chip *chip = priv;
	struct tpm_digest d;
	u32 b, p;
	int ret;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!(bank_mask & (1U << b)))
			continue;
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!(pcr_mask & (1U << p)))
				continue;
			/* One TPM2_PCR_Read, in a page the driver allocates. */
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

/*
 * tpm_transmit_cmd() writes the reply (up to a page) into the command
 * buffer, which tpm_buf_init() allocates as a whole page.  A positive return
 * is a TPM return code.
 */
static int chip_read_counters(void *priv, u64 *reset_count, u32 *restart_count)
{
	struct tpm_chip *chip = priv;
	struct tpm_buf buf;
	ssize_t rc;
	int ret;

	ret = tpm_buf_init(&buf, TPM2_ST_NO_SESSIONS, TPM2_CC_READ_CLOCK_ID);
	if (ret)
		return ret;
	ret = tpm_try_get_ops(chip);
	if (ret)
		goto out;
	rc = tpm_transmit_cmd(chip, &buf, READ_CLOCK_BODY_SIZE,
			      "imasnap: reading the clock");
	tpm_put_ops(chip);
	if (rc) {
		ret = rc > 0 ? -EIO : (int)rc;
		goto out;
	}
	*reset_count = get_unaligned_be32(buf.data + READ_CLOCK_RESET_AT);
	*restart_count = get_unaligned_be32(buf.data + READ_CLOCK_RESTART_AT);
out:
	tpm_buf_destroy(&buf);
	return ret;
}

static const struct imasnap_tpm_ops chip_ops = {
	.banks = chip_banks,
	.read_pcrs = chip_read_pcrs,
	.read_counters = chip_read_counters,
};

bool imasnap_tpm_get(struct imasnap_tpm *tpm)
{
	struct tpm_chip *chip = tpm_default_chip();

	if (!chip || !(chip->flags & TPM_CHIP_FLAG_TPM2)) {
		if (chip)
			put_device(&chip->dev);
		tpm->ops = NULL;
		tpm->priv = NULL;
		return false;
	}
	tpm->ops = &chip_ops;
	tpm->priv = chip;
	return true;
}

void imasnap_tpm_put(struct imasnap_tpm *tpm)
{
	struct tpm_chip *chip = tpm->priv;

	if (tpm->ops == &chip_ops && chip)
		put_device(&chip->dev);
	tpm->ops = NULL;
	tpm->priv = NULL;
}
