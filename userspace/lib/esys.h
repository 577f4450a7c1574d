/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TPM through tpm2-tss ESAPI: the producer side of libimasnap.  A
 * verifier without a TPM links libimasnap-verify.a, which has none of it.
 */
#ifndef _IMASNAP_ESYS_H
#define _IMASNAP_ESYS_H

#include "../../lib/core.h"

struct imasnap_tpm2;
struct ESYS_CONTEXT;

/*
 * @tcti: a tctildr configuration; NULL: $TSS2_TCTI, else tctildr's default
 * (tabrmd, /dev/tpmrm0, /dev/tpm0).  NULL when the TPM cannot be reached
 * (named on stderr).
 */
struct imasnap_tpm2 *imasnap_tpm2_open(const char *tcti);
void imasnap_tpm2_close(struct imasnap_tpm2 *t);
struct ESYS_CONTEXT *imasnap_tpm2_esys(struct imasnap_tpm2 *t);
/* enum imasnap_bank bits of the banks with a PCR allocated: 0 or -IMASNAP_ETPM. */
int imasnap_tpm2_banks(struct imasnap_tpm2 *t, u32 *mask);
/* @pcr_mask of every bank in @bank_mask into @out: 0 or -IMASNAP_ETPM. */
int imasnap_tpm2_read_pcrs(struct imasnap_tpm2 *t, u32 bank_mask, u32 pcr_mask,
			   struct imasnap_state *out);

#endif /* _IMASNAP_ESYS_H */
