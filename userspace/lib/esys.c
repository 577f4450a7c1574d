// SPDX-License-Identifier: GPL-2.0
/*
 * The TPM through tpm2-tss ESAPI: allocated banks and PCR reads.  The TCTI
 * comes from --tcti, else $TSS2_TCTI, else tctildr's default (tabrmd,
 * /dev/tpmrm0, /dev/tpm0).  Errors name the failing call and decode the TSS
 * return code.
 */
#include <stdlib.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "error.h"
#include "esys.h"

struct imasnap_tpm2 {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
};

static int tss_fail(const char *call, TSS2_RC rc)
{
	imasnap_errorf("%s: %s", call, Tss2_RC_Decode(rc));
	return -IMASNAP_ETPM;
}

struct imasnap_tpm2 *imasnap_tpm2_open(const char *tcti)
{
	struct imasnap_tpm2 *t = calloc(1, sizeof(*t));
	TSS2_RC rc;

	if (!t)
		return NULL;
	if (!tcti)
		tcti = getenv("TSS2_TCTI");
	rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc) {
		imasnap_errorf("Tss2_TctiLdr_Initialize(%s): %s", tcti ? tcti : "default",
			       Tss2_RC_Decode(rc));
		free(t);
		return NULL;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc) {
		tss_fail("Esys_Initialize", rc);
		Tss2_TctiLdr_Finalize(&t->tcti);
		free(t);
		return NULL;
	}
	return t;
}

ESYS_CONTEXT *imasnap_tpm2_esys(struct imasnap_tpm2 *t)
{
	return t->esys;
}

void imasnap_tpm2_close(struct imasnap_tpm2 *t)
{
	if (!t)
		return;
	Esys_Finalize(&t->esys);
	Tss2_TctiLdr_Finalize(&t->tcti);
	free(t);
}

/* enum imasnap_bank bits of the banks with at least one PCR allocated. */
int imasnap_tpm2_banks(struct imasnap_tpm2 *t, u32 *mask)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more;
	TSS2_RC rc;
	u32 i, j;

	rc = Esys_GetCapability(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				TPM2_CAP_PCRS, 0, 1, &more, &cap);
	if (rc)
		return tss_fail("Esys_GetCapability(PCRS)", rc);
	*mask = 0;
	for (i = 0; i < cap->data.assignedPCR.count; i++) {
		const TPMS_PCR_SELECTION *s = &cap->data.assignedPCR.pcrSelections[i];
		int bank = imasnap_bank_by_alg(s->hash);
		u8 any = 0;

		for (j = 0; j < s->sizeofSelect; j++)
			any |= s->pcrSelect[j];
		if (bank >= 0 && any)
			*mask |= 1U << bank;
	}
	Esys_Free(cap);
	return 0;
}

/* Read @pcr_mask of every bank in @bank_mask into @out. */
int imasnap_tpm2_read_pcrs(struct imasnap_tpm2 *t, u32 bank_mask, u32 pcr_mask,
			   struct imasnap_state *out)
{
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		u32 left = pcr_mask;

		if (!(bank_mask & (1U << b)))
			continue;
		/* PCR_Read returns at most 8 digests: ask until all came back. */
		while (left) {
			TPML_PCR_SELECTION sel = { .count = 1 }, *got = NULL;
			TPML_DIGEST *vals = NULL;
			UINT32 counter;
			TSS2_RC rc;
			u32 p, n = 0, read = 0;

			sel.pcrSelections[0].hash = imasnap_bank_info(b)->alg_id;
			sel.pcrSelections[0].sizeofSelect = 3;
			for (p = 0; p < IMASNAP_NR_PCRS; p++)
				if (left & (1U << p))
					sel.pcrSelections[0].pcrSelect[p / 8] |= 1U << (p % 8);
			rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					   &sel, &counter, &got, &vals);
			if (rc)
				return tss_fail("Esys_PCR_Read", rc);
			for (p = 0; p < IMASNAP_NR_PCRS && got->count; p++) {
				if (!(got->pcrSelections[0].pcrSelect[p / 8] & (1U << (p % 8))))
					continue;
				if (n >= vals->count ||
				    vals->digests[n].size != imasnap_bank_info(b)->size)
					break;
				imasnap_state_set(out, b, p, vals->digests[n++].buffer);
				read |= 1U << p;
			}
			Esys_Free(got);
			Esys_Free(vals);
			if (!read) {
				imasnap_errorf("Esys_PCR_Read: the TPM returned no %s PCR",
					       imasnap_bank_info(b)->name);
				return -IMASNAP_ETPM;
			}
			left &= ~read;
		}
	}
	return 0;
}
