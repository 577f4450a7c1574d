// SPDX-License-Identifier: GPL-2.0
/*
 * TPM quotes, the verifier's side (quote.h): the file format, the AK's
 * public key, the signature, the PCR digest of a state, the clock rule,
 * and a shard's trailer quote.  OpenSSL 3 EVP and libtss2-mu only.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "error.h"
#include "fileio.h"
#include "quote.h"

int imasnap_read_ak(const char *path, EVP_PKEY **ak)
{
	const char *why;
	FILE *f;
	int ret;

	*ak = NULL;
	f = imasnap_fopen_input(path, IMASNAP_PEM_MAX, &ret, &why);
	if (!f) {
		imasnap_errorf("%s: %s", path, why);
		return ret;
	}
	*ak = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!*ak) {
		imasnap_ossl_fail(path);
		return -EBADMSG;
	}
	return 0;
}

/**
 * imasnap_quote_parse() - decode a quote (file or shard trailer)
 * @buf:	the bytes
 * @len:	their length
 * @q:		the decoded quote
 * @why:	what is wrong, on -EBADMSG
 *
 * Return: 0 or -EBADMSG.
 */
int imasnap_quote_parse(const u8 *buf, size_t len, struct imasnap_quote *q, const char **why)
{
	size_t off = 0, n, m, end;
	struct imasnap_err err;
	u32 version, k, b;

	memset(q, 0, sizeof(*q));
	version = len >= 12 ? get_unaligned_le32(buf + 4) : 0;
	if (len < 12 || get_unaligned_le32(buf) != IMASNAP_QUOTE_MAGIC ||
	    (version != 1 && version != 2)) {
		*why = "not an imasnap quote";
		return -EBADMSG;
	}
	n = get_unaligned_le32(buf + 8);
	if (n > sizeof(q->attest_bytes) || n > len - 12 || len - 12 - n < 4) {
		*why = "quote sizes out of bounds";
		return -EBADMSG;
	}
	memcpy(q->attest_bytes, buf + 12, n);
	q->attest_len = n;
	m = get_unaligned_le32(buf + 12 + n);
	if (m > len - 16 - n || (version == 1 && m != len - 16 - n)) {
		*why = "quote sizes out of bounds";
		return -EBADMSG;
	}
	end = 16 + n + m;
	if (version == 2) {
		/* Read aligned: struct imasnap_pcr_value has u16 and u32 members. */
		struct imasnap_pcr_value v[IMASNAP_NR_BANKS * 10];

		k = len - end >= 4 ? get_unaligned_le32(buf + end) : UINT32_MAX;
		if (k <= ARRAY_SIZE(v) && len - end - 4 == k * sizeof(v[0]))
			memcpy(v, buf + end + 4, k * sizeof(v[0]));
		if (k > ARRAY_SIZE(v) || len - end - 4 != k * sizeof(v[0]) ||
		    imasnap_state_get_values((const u8 *)v, k, end + 4, &q->values, &err)) {
			*why = "its PCR values are malformed";
			return -EBADMSG;
		}
		for (b = 0; b < IMASNAP_NR_BANKS; b++)
			if (q->values.pcr_mask[b] & ~IMASNAP_QUOTE_VALUE_PCRS) {
				*why = "it carries values of PCRs other than 0-9";
				return -EBADMSG;
			}
	}
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(q->attest_bytes, n, &off, &q->attest) || off != n) {
		*why = "its TPMS_ATTEST does not unmarshal";
		return -EBADMSG;
	}
	off = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(buf + 16 + n, m, &off, &q->sig) || off != m) {
		*why = "its TPMT_SIGNATURE does not unmarshal";
		return -EBADMSG;
	}
	return 0;
}

/* Read a quote file; -EBADMSG with a message when it is not one. */
int imasnap_quote_read(const char *path, struct imasnap_quote *q)
{
	const char *why;
	u8 *buf = NULL;
	size_t len;
	int ret;

	ret = imasnap_read_file(path, IMASNAP_QUOTE_MAX, &buf, &len, &why);
	if (ret) {
		imasnap_errorf("%s: %s", path, why);
		return ret;
	}
	ret = imasnap_quote_parse(buf, len, q, &why);
	if (ret)
		imasnap_errorf("%s: %s", path, why);
	free(buf);
	return ret;
}

/* A TPM's ECDSA (r, s) as the DER OpenSSL verifies: its length, or -errno. */
static int ecdsa_der(const TPMS_SIGNATURE_ECDSA *e, u8 *der, size_t size)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	BIGNUM *sv = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);
	u8 *p = der;
	int n;

	if (!es || !r || !sv || !ECDSA_SIG_set0(es, r, sv)) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(es);
		return imasnap_ossl_fail("the quote's ECDSA signature");
	}
	n = i2d_ECDSA_SIG(es, NULL);
	if (n <= 0 || (size_t)n > size || i2d_ECDSA_SIG(es, &p) != n)
		n = imasnap_ossl_fail("the quote's ECDSA signature");
	ECDSA_SIG_free(es);
	return n;
}

/*
 * The signature over the attestation with @ak: 0; -IMASNAP_EVERIFY with the
 * reason in @why; -ENOMEM or -IMASNAP_ECRYPTO.
 */
int imasnap_quote_check_signature(const struct imasnap_quote *q, EVP_PKEY *ak, const char **why)
{
	const TPMT_SIGNATURE *s = &q->sig;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md;
	u8 der[160];
	const u8 *sig;
	size_t siglen;
	int ret, n;

	*why = "unsupported signature scheme (RSASSA, RSAPSS or ECDSA with SHA-256 are)";
	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		if (s->signature.rsassa.hash != TPM2_ALG_SHA256)
			return -IMASNAP_EVERIFY;
		sig = s->signature.rsassa.sig.buffer;
		siglen = s->signature.rsassa.sig.size;
		break;
	case TPM2_ALG_ECDSA:
		if (s->signature.ecdsa.hash != TPM2_ALG_SHA256)
			return -IMASNAP_EVERIFY;
		*why = "OpenSSL failed";
		n = ecdsa_der(&s->signature.ecdsa, der, sizeof(der));
		if (n < 0)
			return n;
		sig = der;
		siglen = (size_t)n;
		break;
	default:
		return -IMASNAP_EVERIFY;
	}
	*why = "OpenSSL failed";
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	ret = -IMASNAP_EVERIFY;
	if (EVP_DigestVerifyInit(md, &ctx, EVP_sha256(), NULL, ak) <= 0) {
		*why = "the signature does not verify with the AK (a key of another type)";
	} else if (s->sigAlg == TPM2_ALG_RSAPSS &&
		   (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) <= 0)) {
		ret = imasnap_ossl_fail("RSA-PSS");
	} else if (EVP_DigestVerify(md, sig, siglen, q->attest_bytes, q->attest_len) == 1) {
		ret = 0;
	} else {
		*why = "the signature does not verify with the AK";
	}
	/* A signature that does not verify leaves its reason in the queue: not news. */
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	return ret;
}

/* PCRs @mask[b] of every bank b with any, in bank order. */
void imasnap_quote_select(const u32 mask[IMASNAP_NR_BANKS], TPML_PCR_SELECTION *sel)
{
	u32 p;
	int b;

	memset(sel, 0, sizeof(*sel));
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		TPMS_PCR_SELECTION *s;

		if (!mask[b])
			continue;
		s = &sel->pcrSelections[sel->count++];
		s->hash = imasnap_bank_info(b)->alg_id;
		s->sizeofSelect = 3;
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			if (mask[b] & (1U << p))
				s->pcrSelect[p / 8] |= 1U << (p % 8);
	}
}

/**
 * imasnap_quote_state_digest() - the pcrDigest a TPM would sign for @st
 * @st:		PCR values
 * @sel:	a quote's PCR selection
 * @out:	SHA-256 of the selected values, bank by bank, PCR by PCR
 *
 * Return: 0; -ENOENT when @sel names a bank or PCR @st has no value for;
 * -IMASNAP_ECRYPTO when OpenSSL fails.
 */
int imasnap_quote_state_digest(const struct imasnap_state *st, const TPML_PCR_SELECTION *sel,
			       u8 out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	u32 i, p;
	int ret = -IMASNAP_ECRYPTO;

	if (!md || !EVP_DigestInit_ex2(md, EVP_sha256(), NULL))
		goto out;
	for (i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		int b = imasnap_bank_by_alg(s->hash);

		for (p = 0; p < 8u * s->sizeofSelect && p / 8 < TPM2_PCR_SELECT_MAX; p++) {
			if (!(s->pcrSelect[p / 8] & (1U << (p % 8))))
				continue;
			if (b < 0 || p >= IMASNAP_NR_PCRS || !(st->pcr_mask[b] & (1U << p))) {
				ret = -ENOENT;
				goto out;
			}
			if (!EVP_DigestUpdate(md, st->pcr[b][p], imasnap_bank_info(b)->size))
				goto out;
		}
	}
	ret = EVP_DigestFinal_ex(md, out, NULL) ? 0 : -IMASNAP_ECRYPTO;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/**
 * imasnap_quote_follows() - may @cur be a later quote of the TPM of @prev?
 * @prev:	the earlier quote's clock
 * @cur:	the later quote's clock
 * @cold_boots: cold boots the archive shows between the two
 * @why:	the reason, on -IMASNAP_EVERIFY
 *
 * resetCount counts TPM resets (a cold boot resets the TPM; kexec does
 * not); restartCount counts resumes since the last reset.  Within one
 * (resetCount, restartCount) the TPM has not been powered down, and its
 * clock only runs forward; across a resume it may have lost time unless
 * the TPM says it is safe.  The archive must tell the same story: every
 * cold boot resets the TPM, so resetCount moves by at least the number of
 * cold boots in between, and not at all without one.
 *
 * Return: 0 or -IMASNAP_EVERIFY.
 */
int imasnap_quote_follows(const TPMS_CLOCK_INFO *prev, const TPMS_CLOCK_INFO *cur,
			  u32 cold_boots, const char **why)
{
	if (cur->resetCount < prev->resetCount) {
		*why = "its resetCount is lower: it is older, or from another TPM";
		return -IMASNAP_EVERIFY;
	}
	if (cur->resetCount > prev->resetCount) {
		if (!cold_boots) {
			*why = "the TPM was reset in between (resetCount moved), but the archive shows no cold boot";
			return -IMASNAP_EVERIFY;
		}
		if (cur->resetCount - prev->resetCount < cold_boots) {
			*why = "the archive shows more cold boots in between than the TPM was reset";
			return -IMASNAP_EVERIFY;
		}
		return 0;
	}
	if (cold_boots) {
		*why = "the archive shows a cold boot in between, but the TPM was not reset (same resetCount)";
		return -IMASNAP_EVERIFY;
	}
	if (cur->restartCount < prev->restartCount) {
		*why = "its restartCount is lower with the same resetCount: it is older";
		return -IMASNAP_EVERIFY;
	}
	if (cur->clock < prev->clock &&
	    (cur->restartCount == prev->restartCount || cur->safe)) {
		*why = "its clock is earlier with the same resetCount: it is older";
		return -IMASNAP_EVERIFY;
	}
	return 0;
}

void imasnap_quote_masks(const TPML_PCR_SELECTION *sel, u32 mask[IMASNAP_NR_BANKS])
{
	u32 i, p;
	int b;

	memset(mask, 0, IMASNAP_NR_BANKS * sizeof(*mask));
	for (i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		b = imasnap_bank_by_alg(s->hash);
		if (b < 0)
			continue;
		for (p = 0; p < IMASNAP_NR_PCRS && p / 8 < s->sizeofSelect; p++)
			if (s->pcrSelect[p / 8] & (1U << (p % 8)))
				mask[b] |= 1U << p;
	}
}

/**
 * imasnap_shard_quote_check() - is a shard's trailer the TPM's word for its end?
 * @sh:		the shard, trailer_size > 0
 * @ak:		checks the signature with it; NULL: not checked
 * @q:		the decoded quote
 * @why:	the reason, on failure
 *
 * A quote (magic, type) over the shard's body digest of exactly the PCRs of
 * its end state, whose pcrDigest is that state's.
 *
 * Return: 0; -IMASNAP_EVERIFY (@why); another -errno.
 */
int imasnap_shard_quote_check(const struct imasnap_shard *sh, EVP_PKEY *ak,
			      struct imasnap_quote *q, const char **why)
{
	const TPMS_QUOTE_INFO *qi = &q->attest.attested.quote;
	u32 mask[IMASNAP_NR_BANKS];
	u8 want[32];

	if (imasnap_quote_parse(sh->trailer, sh->trailer_size, q, why))
		return -IMASNAP_EVERIFY;	/* a trailer is not an input of its own */
	*why = "it is not a quote generated by a TPM (magic or type)";
	if (q->attest.magic != TPM2_GENERATED_VALUE || q->attest.type != TPM2_ST_ATTEST_QUOTE)
		return -IMASNAP_EVERIFY;
	*why = "it is not over this shard's body digest";
	if (q->attest.extraData.size != 32 || memcmp(q->attest.extraData.buffer, sh->body_digest, 32))
		return -IMASNAP_EVERIFY;
	*why = "it does not select exactly the PCRs of the shard's end state";
	imasnap_quote_masks(&qi->pcrSelect, mask);
	if (memcmp(mask, sh->end.pcr_mask, sizeof(mask)))
		return -IMASNAP_EVERIFY;
	*why = "its PCR digest is not the shard's end state";
	if (qi->pcrDigest.size != 32 || imasnap_quote_state_digest(&sh->end, &qi->pcrSelect, want) ||
	    memcmp(want, qi->pcrDigest.buffer, 32))
		return -IMASNAP_EVERIFY;
	return ak ? imasnap_quote_check_signature(q, ak, why) : 0;
}
