/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The attestation key and TPM2_Quote: the producer's side of quotes
 * (quote.h has the format and the verifier's checks).
 *
 * The AK is a primary key: the TPM derives it from the endorsement seed and
 * a fixed template, so every "create" gives the same key back.  Its public
 * key is kept next to the archive as PEM; a different key later means a
 * different TPM (or a cleared seed).
 */
#ifndef _IMASNAP_AK_H
#define _IMASNAP_AK_H

#include <tss2/tss2_esys.h>

#include "esys.h"
#include "quote.h"

/* The primary AK of @alg ("rsa", "ecc"): 0, -IMASNAP_ETPM or -IMASNAP_ECRYPTO. */
int imasnap_ak_create(struct imasnap_tpm2 *tpm, const char *alg, ESYS_TR *ak, EVP_PKEY **pkey);
/*
 * @dir/ak-<alg>.pem (into @pem): written on first use, compared after.
 * 0, -IMASNAP_EVERIFY (another key is kept there) or -errno.
 */
int imasnap_ak_keep(const char *dir, const char *alg, EVP_PKEY *pkey, char *pem, size_t size);
/*
 * Quote @sel with @ak over @extra (a nonce or a body digest, at most 64
 * bytes) into @out in the quote file format, version 2 with @values (quoted
 * PCRs 0-9 of the boot_aggregate's bank, as read around the quote), else
 * version 1: 0, -EINVAL, -IMASNAP_ETPM.
 */
int imasnap_tpm2_quote(struct imasnap_tpm2 *tpm, ESYS_TR ak, const u8 *extra, size_t elen,
		       const TPML_PCR_SELECTION *sel, const struct imasnap_state *values,
		       u8 *out, size_t cap, size_t *len);

#endif /* _IMASNAP_AK_H */
