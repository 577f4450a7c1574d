/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of imasnap.ko. */
#ifndef _IMASNAP_MOD_H
#define _IMASNAP_MOD_H

#include <linux/fs.h>
#include <linux/tpm.h>

#include "../lib/imasnap.h"

/* hash.c: the core's hash operations on crypto_shash. */
struct imasnap_khash {
	struct imasnap_hash_ops ops;
	struct crypto_shash *tfm[IMASNAP_NR_BANKS];
};

int imasnap_khash_init(struct imasnap_khash *h);
void imasnap_khash_exit(struct imasnap_khash *h);
bool imasnap_khash_has(const struct imasnap_khash *h, enum imasnap_bank bank);

/* imalog.c: IMA's binary_runtime_measurements, read from the kernel. */
#define IMASNAP_IMA_LOG_PATH \
	"/sys/kernel/security/ima/binary_runtime_measurements"

struct file *imasnap_imalog_open(void);
ssize_t imasnap_imalog_read(struct file *file, loff_t *pos, void *buf,
			    size_t len);

/* tpm.c: PCR reads for every bank the TPM has allocated. */
u32 imasnap_tpm_banks(struct tpm_chip *chip);
int imasnap_tpm_read_pcrs(struct tpm_chip *chip, u32 bank_mask, u32 pcr_mask,
			  struct imasnap_state *out);

/* verify.c: replay the live log and compare it with the TPM. */
int imasnap_verify_live_log(const struct imasnap_khash *h);

#endif /* _IMASNAP_MOD_H */
