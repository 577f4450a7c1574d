/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TPM quotes (attest.c): the attestation key, taking a quote, the quote
 * file format (also a shard's trailer) and a verifier's checks.
 */
#ifndef _IMASNAP_QUOTE_H
#define _IMASNAP_QUOTE_H

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include "imasnap.h"

/* A verifier's nonce: at least 128 bits, or a quote is not fresh. */
#define IMASNAP_NONCE_MIN	16

/* A quote in its file format is at most this long. */
#define IMASNAP_QUOTE_MAX	(16 + sizeof(TPMS_ATTEST) + sizeof(TPMT_SIGNATURE))

struct imasnap_quote {
	u8 attest_bytes[sizeof(TPMS_ATTEST)];	/* what the signature covers */
	size_t attest_len;
	TPMS_ATTEST attest;
	TPMT_SIGNATURE sig;
};

int imasnap_quote_parse(const u8 *buf, size_t len, struct imasnap_quote *q, const char **why);
int imasnap_quote_read(const char *path, struct imasnap_quote *q);
int imasnap_quote_check_signature(const struct imasnap_quote *q, EVP_PKEY *ak, const char **why);
EVP_PKEY *imasnap_read_ak(const char *path);

void imasnap_quote_select(const u32 mask[IMASNAP_NR_BANKS], TPML_PCR_SELECTION *sel);
int imasnap_quote_state_digest(const struct imasnap_state *st, const TPML_PCR_SELECTION *sel,
			       u8 out[32]);
int imasnap_quote_follows(const TPMS_CLOCK_INFO *prev, const TPMS_CLOCK_INFO *cur,
			  u32 cold_boots, const char **why);

int imasnap_ak_create(struct imasnap_tpm2 *tpm, const char *alg, ESYS_TR *ak, EVP_PKEY **pkey);
int imasnap_ak_keep(const char *dir, const char *alg, EVP_PKEY *pkey, char *pem, size_t size);
int imasnap_tpm2_quote(struct imasnap_tpm2 *tpm, ESYS_TR ak, const u8 *extra, size_t elen,
		       const TPML_PCR_SELECTION *sel, u8 *out, size_t cap, size_t *len);

#endif /* _IMASNAP_QUOTE_H */
