/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TPM quotes, the verifier's side: the quote file format (also a shard's
 * trailer), the AK's public key, and the checks a verifier makes
 * (signature, the PCR digest of a state, clock counters from one quote to
 * the next).  OpenSSL 3 and libtss2-mu only: no ESAPI, no TCTI, no TPM.
 *
 * Quote file (little-endian): "IMSQ", u32 version, u32 n, TPMS_ATTEST as
 * the TPM marshalled it (n bytes, what the signature covers), u32 m,
 * TPMT_SIGNATURE marshalled (m bytes); version 2 goes on with u32 k and k
 * struct imasnap_pcr_value: the values of the quoted PCRs 0-9 (0-7 for
 * SHA-1) of the boot_aggregate's bank, which the quote's pcrDigest binds
 * (verify refuses a value of a PCR the quote does not select).  A shard's
 * trailer is version 1.
 */
#ifndef _IMASNAP_QUOTE_H
#define _IMASNAP_QUOTE_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "shard.h"

#define IMASNAP_QUOTE_MAGIC	0x51534d49	/* "IMSQ" */
/* A verifier's nonce: at least 128 bits, or a quote is not fresh. */
#define IMASNAP_NONCE_MIN	16

/* An AK's public key in PEM: RSA 4096 is under 1 KiB. */
#define IMASNAP_PEM_MAX		(64 * 1024)

/* The PCRs whose values a version 2 quote may carry: 0-9. */
#define IMASNAP_QUOTE_VALUE_PCRS	0x3ffU

/* A quote in its file format is at most this long. */
#define IMASNAP_QUOTE_MAX	(16 + sizeof(TPMS_ATTEST) + sizeof(TPMT_SIGNATURE) + 4 + \
				 IMASNAP_NR_BANKS * 10 * sizeof(struct imasnap_pcr_value))

struct imasnap_quote {
	u8 attest_bytes[sizeof(TPMS_ATTEST)];	/* what the signature covers */
	size_t attest_len;
	TPMS_ATTEST attest;
	TPMT_SIGNATURE sig;
	struct imasnap_state values;		/* version 2: PCRs 0-9 as the host says */
};

/* Decode a quote (file or shard trailer): 0 or -EBADMSG (@why). */
int imasnap_quote_parse(const u8 *buf, size_t len, struct imasnap_quote *q, const char **why);
/* Read a quote file: 0, -EBADMSG or -errno, named on stderr. */
int imasnap_quote_read(const char *path, struct imasnap_quote *q);
/* The signature over the attestation: 0, -IMASNAP_EVERIFY (@why), or another -errno. */
int imasnap_quote_check_signature(const struct imasnap_quote *q, EVP_PKEY *ak, const char **why);
/* The AK's public key from a PEM file: 0, -EBADMSG or -errno, named on stderr. */
int imasnap_read_ak(const char *path, EVP_PKEY **ak);

/* PCRs @mask[b] of every bank b with any, in enum imasnap_bank order. */
void imasnap_quote_select(const u32 mask[IMASNAP_NR_BANKS], TPML_PCR_SELECTION *sel);
/* The banks and PCRs a quote selects, as state masks (unknown banks left out). */
void imasnap_quote_masks(const TPML_PCR_SELECTION *sel, u32 mask[IMASNAP_NR_BANKS]);
/* SHA-256 of @sel's values in @st: 0; -ENOENT (one is missing); -IMASNAP_ECRYPTO. */
int imasnap_quote_state_digest(const struct imasnap_state *st, const TPML_PCR_SELECTION *sel,
			       u8 out[32]);
/* May @cur be a later quote of @prev's TPM?  0 or -IMASNAP_EVERIFY (@why). */
int imasnap_quote_follows(const TPMS_CLOCK_INFO *prev, const TPMS_CLOCK_INFO *cur,
			  u32 cold_boots, const char **why);
/*
 * Is a shard's trailer the TPM's word for its end state?  0, or
 * -IMASNAP_EVERIFY / another -errno with @why.  @ak NULL: the signature is
 * not checked.
 */
int imasnap_shard_quote_check(const struct imasnap_shard *sh, EVP_PKEY *ak,
			      struct imasnap_quote *q, const char **why);

#endif /* _IMASNAP_QUOTE_H */
