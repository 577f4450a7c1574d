// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: extend a TPM's PCRs (sha1 and sha256 banks) with the records
 * of an IMA log, as the kernel did when it measured them, so that a software
 * TPM on the host holds the PCR state that log describes.
 *
 *   tpm-extend TCTI LOG
 *
 * A TPM that was just reset (swtpm_ioctl -i) gets its TPM2_Startup(CLEAR)
 * first, as firmware would give it at boot.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>

#include "libimasnap.h"

int main(int argc, char **argv)
{
	struct imasnap_tpm2 *t;
	struct imasnap_logfile lf;
	struct imasnap_log_record rec;
	struct imasnap_err err;
	unsigned int n = 0;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: tpm-extend TCTI LOG\n");
		return 2;
	}
	t = imasnap_tpm2_open(argv[1]);
	if (!t || imasnap_logfile_open(&lf, argv[2], IMASNAP_ORDER_LE))
		return 1;
	ret = (int)Esys_Startup(imasnap_tpm2_esys(t), TPM2_SU_CLEAR);
	if (ret && (ret & ~TSS2_RC_LAYER_MASK) != TPM2_RC_INITIALIZE) {
		fprintf(stderr, "tpm-extend: Esys_Startup: %s\n", Tss2_RC_Decode((TSS2_RC)ret));
		return 1;
	}
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		TPML_DIGEST_VALUES d = { .count = 2 };
		TSS2_RC rc;

		if (rec.legacy || rec.pcr >= IMASNAP_NR_PCRS)
			return 2;
		d.digests[0].hashAlg = TPM2_ALG_SHA1;
		d.digests[1].hashAlg = TPM2_ALG_SHA256;
		if (imasnap_log_is_violation(&rec)) {
			memset(d.digests[0].digest.sha1, 0xff, 20);
			memset(d.digests[1].digest.sha256, 0xff, 32);
		} else {
			memcpy(d.digests[0].digest.sha1, rec.digest, 20);
			if (!EVP_Digest(rec.data, rec.data_len, d.digests[1].digest.sha256, NULL,
					EVP_sha256(), NULL))
				return 1;
		}
		rc = Esys_PCR_Extend(imasnap_tpm2_esys(t), ESYS_TR_PCR0 + rec.pcr,
				     ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &d);
		if (rc) {
			fprintf(stderr, "tpm-extend: Esys_PCR_Extend: %s\n", Tss2_RC_Decode(rc));
			return 1;
		}
		n++;
	}
	imasnap_logfile_close(&lf);
	imasnap_tpm2_close(t);
	printf("extended %u records\n", n);
	return ret ? 1 : 0;
}
