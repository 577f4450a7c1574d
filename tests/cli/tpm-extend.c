// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: extend a TPM's PCRs (sha1 and sha256 banks) with the records
 * of an IMA log, as the kernel did when it measured them, so that a software
 * TPM on the host holds the PCR state that log describes.
 *
 *   tpm-extend TCTI LOG
 *   tpm-extend --boot-log TCTI LOG OUT
 *
 * A TPM that was just reset (swtpm_ioctl -i) gets its TPM2_Startup(CLEAR)
 * first, as firmware would give it at boot.  --boot-log extends nothing:
 * it writes LOG to OUT with its first record, a boot_aggregate, made the
 * one IMA would compute from this TPM's PCRs 0-9 (a real log's was computed
 * on another machine's firmware measurements), its template digest with it.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>

#include "libimasnap.h"

static int startup(struct imasnap_tpm2 *t)
{
	int ret = (int)Esys_Startup(imasnap_tpm2_esys(t), TPM2_SU_CLEAR);

	if (ret && (ret & ~TSS2_RC_LAYER_MASK) != TPM2_RC_INITIALIZE) {
		fprintf(stderr, "tpm-extend: Esys_Startup: %s\n", Tss2_RC_Decode((TSS2_RC)ret));
		return 1;
	}
	return 0;
}

static int boot_log(const char *tcti, const char *in, const char *out)
{
	struct imasnap_boot_aggregate ba;
	struct imasnap_state *pcrs = calloc(1, sizeof(*pcrs));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_log_record rec;
	struct imasnap_tpm2 *t = imasnap_tpm2_open(tcti);
	struct imasnap_log log;
	struct imasnap_err err;
	const char *why;
	const u8 *f;
	u8 *buf;
	size_t len;
	u32 flen, size;
	FILE *o;

	if (!t || !pcrs || !evp || startup(t) || imasnap_read_file(in, SIZE_MAX, &buf, &len, &why))
		return 1;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	if (imasnap_log_next(&log, buf, len, true, &rec, &err) <= 0 || rec.legacy ||
	    imasnap_boot_aggregate_of(&log, &rec, &ba, &why) || imasnap_log_field(&log, &rec, 0, &f, &flen))
		return 2;
	size = imasnap_bank_info(ba.bank)->size;
	if (imasnap_tpm2_read_pcrs(t, 1U << ba.bank, imasnap_boot_aggregate_pcrs(ba.bank), pcrs) ||
	    imasnap_boot_aggregate_expect(evp, ba.bank, pcrs, (u8 *)f + flen - size) ||
	    !EVP_Digest(rec.data, rec.data_len, (u8 *)rec.digest, NULL, EVP_sha1(), NULL))
		return 1;
	o = fopen(out, "w");
	if (!o || fwrite(buf, 1, len, o) != len || fclose(o))
		return 3;
	imasnap_tpm2_close(t);
	imasnap_evp_free(evp);
	free(pcrs);
	free(buf);
	printf("boot_aggregate of this TPM's PCRs in %s\n", out);
	return 0;
}

int main(int argc, char **argv)
{
	struct imasnap_tpm2 *t;
	struct imasnap_logfile lf;
	struct imasnap_log_record rec;
	struct imasnap_err err;
	unsigned int n = 0;
	int ret;

	if (argc == 5 && !strcmp(argv[1], "--boot-log"))
		return boot_log(argv[2], argv[3], argv[4]);
	if (argc != 3) {
		fprintf(stderr, "usage: tpm-extend TCTI LOG | tpm-extend --boot-log TCTI LOG OUT\n");
		return 2;
	}
	t = imasnap_tpm2_open(argv[1]);
	if (!t || imasnap_logfile_open(&lf, argv[2], IMASNAP_ORDER_LE) || startup(t))
		return 1;
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
