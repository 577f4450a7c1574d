// SPDX-License-Identifier: GPL-2.0
/*
 * TPM quotes for libimasnap: the attestation key, taking a quote, its file
 * format, and the checks a verifier makes (signature, PCR digest of a
 * state, clock counters from one quote to the next).
 *
 * The AK is a primary key: the TPM derives it from the endorsement seed and
 * a fixed template, so every "create" gives the same key back (created on
 * first use, reused after).  Its public key is kept next to the archive as
 * PEM; a different key later means a different TPM (or a cleared seed).
 *
 * Quote file (little-endian): "IMSQ", u32 version 1, u32 n, TPMS_ATTEST as
 * the TPM marshalled it (n bytes, what the signature covers), u32 m,
 * TPMT_SIGNATURE marshalled (m bytes).  A shard trailer holds the same bytes.
 */
#include <stdlib.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "archive.h"
#include "quote.h"

#define QUOTE_MAGIC	0x51534d49	/* "IMSQ" */

static const TPM2B_PUBLIC ak_rsa = {
	.publicArea = {
		.type = TPM2_ALG_RSA,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN |
				    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
				    TPMA_OBJECT_SIGN_ENCRYPT,
		.parameters.rsaDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme = { .scheme = TPM2_ALG_RSASSA,
				    .details.rsassa.hashAlg = TPM2_ALG_SHA256 },
			.keyBits = 2048,
		},
	},
};

static const TPM2B_PUBLIC ak_ecc = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN |
				    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED |
				    TPMA_OBJECT_SIGN_ENCRYPT,
		.parameters.eccDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme = { .scheme = TPM2_ALG_ECDSA,
				    .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL,
		},
	},
};

static int ossl_fail(const char *what)
{
	unsigned long e = ERR_get_error();

	imasnap_errorf("%s: %s", what, e ? ERR_reason_error_string(e) : "failed");
	return -EIO;
}

/* The AK's public part as an OpenSSL key. */
static EVP_PKEY *pkey_of(const TPMT_PUBLIC *pub)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = NULL, *e = NULL;
	u8 point[1 + 2 * TPM2_MAX_ECC_KEY_BYTES];
	size_t plen;

	if (!bld)
		return NULL;
	if (pub->type == TPM2_ALG_RSA) {
		u32 exp = pub->parameters.rsaDetail.exponent ?: 65537;

		n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
		e = BN_new();
		if (!n || !e || !BN_set_word(e, exp) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		const TPMS_ECC_POINT *p = &pub->unique.ecc;

		if (p->x.size > TPM2_MAX_ECC_KEY_BYTES || p->y.size != p->x.size)
			goto out;
		point[0] = 0x04;
		memcpy(point + 1, p->x.buffer, p->x.size);
		memcpy(point + 1 + p->x.size, p->y.buffer, p->y.size);
		plen = 1 + 2u * p->x.size;
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
						     "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, plen))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!ctx || !params || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static int write_pem(const char *path, EVP_PKEY *pkey)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (!f)
		return -errno;
	ok = PEM_write_PUBKEY(f, pkey);
	if (fclose(f) || !ok)
		return -EIO;
	return 0;
}

EVP_PKEY *imasnap_read_ak(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *pkey;

	if (!f) {
		imasnap_errorf("%s: %s", path, strerror(errno));
		return NULL;
	}
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey)
		ossl_fail(path);
	return pkey;
}

/* Same public key? */
static bool same_key(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
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
	size_t off = 0, n, m;

	memset(q, 0, sizeof(*q));
	if (len < 12 || get_unaligned_le32(buf) != QUOTE_MAGIC ||
	    get_unaligned_le32(buf + 4) != 1) {
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
	if (m != len - 16 - n) {
		*why = "quote sizes out of bounds";
		return -EBADMSG;
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

	ret = archive_read_file(path, &buf, &len);
	if (ret) {
		imasnap_errorf("%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = imasnap_quote_parse(buf, len, q, &why);
	if (ret)
		imasnap_errorf("%s: %s", path, why);
	free(buf);
	return ret;
}

/*
 * The signature over the attestation with @ak: 0, or an exit code with the
 * reason in @why.
 */
int imasnap_quote_check_signature(const struct imasnap_quote *q, EVP_PKEY *ak, const char **why)
{
	const TPMT_SIGNATURE *s = &q->sig;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	u8 der[160];
	const u8 *sig;
	size_t siglen;
	int ret = IMASNAP_EXIT_MISMATCH, ok;

	*why = "OpenSSL failed";
	if (!md)
		return IMASNAP_EXIT_FAILURE;
	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		if (s->signature.rsassa.hash != TPM2_ALG_SHA256)
			goto unsupported;
		sig = s->signature.rsassa.sig.buffer;
		siglen = s->signature.rsassa.sig.size;
		break;
	case TPM2_ALG_ECDSA: {
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r, *sv;
		u8 *p = der;
		int n;

		if (s->signature.ecdsa.hash != TPM2_ALG_SHA256 || !es) {
			ECDSA_SIG_free(es);
			goto unsupported;
		}
		r = BN_bin2bn(s->signature.ecdsa.signatureR.buffer,
			      s->signature.ecdsa.signatureR.size, NULL);
		sv = BN_bin2bn(s->signature.ecdsa.signatureS.buffer,
			       s->signature.ecdsa.signatureS.size, NULL);
		if (!r || !sv || !ECDSA_SIG_set0(es, r, sv)) {
			BN_free(r);
			BN_free(sv);
			ECDSA_SIG_free(es);
			ret = IMASNAP_EXIT_FAILURE;
			goto out;
		}
		n = i2d_ECDSA_SIG(es, NULL);
		if (n <= 0 || (size_t)n > sizeof(der) || i2d_ECDSA_SIG(es, &p) != n) {
			ECDSA_SIG_free(es);
			ret = IMASNAP_EXIT_FAILURE;
			goto out;
		}
		ECDSA_SIG_free(es);
		sig = der;
		siglen = (size_t)n;
		break;
	}
	default:
		goto unsupported;
	}
	if (EVP_DigestVerifyInit(md, &ctx, EVP_sha256(), NULL, ak) <= 0) {
		*why = "the signature does not verify with the AK (a key of another type)";
		goto out;
	}
	if (s->sigAlg == TPM2_ALG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) <= 0)) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ok = EVP_DigestVerify(md, sig, siglen, q->attest_bytes, q->attest_len);
	if (ok == 1)
		ret = 0;
	else
		*why = "the signature does not verify with the AK";
	goto out;
unsupported:
	*why = "unsupported signature scheme (RSASSA, RSAPSS or ECDSA with SHA-256 are)";
out:
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
 * -EIO when OpenSSL fails.
 */
int imasnap_quote_state_digest(const struct imasnap_state *st, const TPML_PCR_SELECTION *sel,
			       u8 out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	u32 i, p;
	int ret = -EIO;

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
	ret = EVP_DigestFinal_ex(md, out, NULL) ? 0 : -EIO;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/**
 * imasnap_quote_follows() - may @cur be a later quote of the TPM of @prev?
 * @prev:	the earlier quote's clock
 * @cur:	the later quote's clock
 * @cold_boots: cold boots the archive shows between the two
 * @why:	the reason, on -EBADMSG
 *
 * resetCount counts TPM resets (a cold boot resets the TPM; kexec does
 * not); restartCount counts resumes since the last reset.  Within one
 * (resetCount, restartCount) the TPM has not been powered down, and its
 * clock only runs forward; across a resume it may have lost time unless
 * the TPM says it is safe.  The archive must tell the same story: every
 * cold boot resets the TPM, so resetCount moves by at least the number of
 * cold boots in between, and not at all without one.
 *
 * Return: 0 or -EBADMSG.
 */
int imasnap_quote_follows(const TPMS_CLOCK_INFO *prev, const TPMS_CLOCK_INFO *cur,
			  u32 cold_boots, const char **why)
{
	if (cur->resetCount < prev->resetCount) {
		*why = "its resetCount is lower: it is older, or from another TPM";
		return -EBADMSG;
	}
	if (cur->resetCount > prev->resetCount) {
		if (!cold_boots) {
			*why = "the TPM was reset in between (resetCount moved), but the archive shows no cold boot";
			return -EBADMSG;
		}
		if (cur->resetCount - prev->resetCount < cold_boots) {
			*why = "the archive shows more cold boots in between than the TPM was reset";
			return -EBADMSG;
		}
		return 0;
	}
	if (cold_boots) {
		*why = "the archive shows a cold boot in between, but the TPM was not reset (same resetCount)";
		return -EBADMSG;
	}
	if (cur->restartCount < prev->restartCount) {
		*why = "its restartCount is lower with the same resetCount: it is older";
		return -EBADMSG;
	}
	if (cur->clock < prev->clock &&
	    (cur->restartCount == prev->restartCount || cur->safe)) {
		*why = "its clock is earlier with the same resetCount: it is older";
		return -EBADMSG;
	}
	return 0;
}

/* The primary AK of @alg ("rsa", "ecc") under the endorsement hierarchy. */
int imasnap_ak_create(struct imasnap_tpm2 *tpm, const char *alg, ESYS_TR *ak, EVP_PKEY **pkey)
{
	TPM2B_SENSITIVE_CREATE insens = { 0 };
	TPML_PCR_SELECTION creation_pcrs = { 0 };
	TPM2B_CREATION_DATA *cdata = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TPM2B_PUBLIC *outpub = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPM2B_DATA outside = { 0 };
	TSS2_RC rc;

	*ak = ESYS_TR_NONE;
	*pkey = NULL;
	rc = Esys_CreatePrimary(imasnap_tpm2_esys(tpm), ESYS_TR_RH_ENDORSEMENT,
				ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &insens,
				strcmp(alg, "rsa") ? &ak_ecc : &ak_rsa, &outside,
				&creation_pcrs, ak, &outpub, &cdata, &chash, &ticket);
	if (rc) {
		imasnap_errorf("Esys_CreatePrimary(endorsement, %s AK): %s", alg, Tss2_RC_Decode(rc));
		return IMASNAP_EXIT_FAILURE;
	}
	*pkey = pkey_of(&outpub->publicArea);
	Esys_Free(outpub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	if (!*pkey) {
		ossl_fail("the AK's public key");
		Esys_FlushContext(imasnap_tpm2_esys(tpm), *ak);
		*ak = ESYS_TR_NONE;
		return IMASNAP_EXIT_FAILURE;
	}
	return 0;
}

/*
 * The archive keeps the AK's public key as @dir/ak-<alg>.pem: written on
 * first use, compared after.  Return an exit code.
 */
int imasnap_ak_keep(const char *dir, const char *alg, EVP_PKEY *pkey, char *pem, size_t size)
{
	EVP_PKEY *kept;

	snprintf(pem, size, "%s/ak-%s.pem", dir, alg);
	if (access(pem, F_OK)) {
		if (write_pem(pem, pkey)) {
			imasnap_errorf("writing %s: %s", pem, strerror(errno));
			return IMASNAP_EXIT_IO;
		}
		return 0;
	}
	kept = imasnap_read_ak(pem);
	if (!kept || !same_key(kept, pkey)) {
		imasnap_errorf("%s is not this TPM's %s AK (another TPM, or a cleared endorsement seed)",
			       pem, alg);
		EVP_PKEY_free(kept);
		return IMASNAP_EXIT_MISMATCH;
	}
	EVP_PKEY_free(kept);
	return 0;
}

/**
 * imasnap_tpm2_quote() - quote @sel with the AK over @extra
 * @tpm:	the TPM
 * @ak:		the AK (imasnap_ak_create())
 * @extra:	qualifyingData (a nonce, or a shard's body digest)
 * @elen:	its length, up to 64
 * @sel:	the PCRs
 * @out:	the quote in the file format, at most @cap bytes
 * @cap:	size of @out
 * @len:	bytes written
 *
 * Return: an exit code.
 */
int imasnap_tpm2_quote(struct imasnap_tpm2 *tpm, ESYS_TR ak, const u8 *extra, size_t elen,
		       const TPML_PCR_SELECTION *sel, u8 *out, size_t cap, size_t *len)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_DATA nonce = { 0 };
	size_t siglen = 0;
	TSS2_RC rc;
	int ret = IMASNAP_EXIT_FAILURE;

	if (elen > sizeof(nonce.buffer))
		return IMASNAP_EXIT_USAGE;
	memcpy(nonce.buffer, extra, elen);
	nonce.size = (UINT16)elen;
	rc = Esys_Quote(imasnap_tpm2_esys(tpm), ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &nonce, &scheme, sel, &quoted, &sig);
	if (rc) {
		imasnap_errorf("Esys_Quote: %s", Tss2_RC_Decode(rc));
		goto out;
	}
	if (cap < 16 + (size_t)quoted->size) {
		imasnap_errorf("the quote does not fit in %zu bytes", cap);
		goto out;
	}
	put_unaligned_le32(QUOTE_MAGIC, out);
	put_unaligned_le32(1, out + 4);
	put_unaligned_le32(quoted->size, out + 8);
	memcpy(out + 12, quoted->attestationData, quoted->size);
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, out + 16 + quoted->size,
					    cap - 16 - quoted->size, &siglen);
	if (rc) {
		imasnap_errorf("Tss2_MU_TPMT_SIGNATURE_Marshal: %s", Tss2_RC_Decode(rc));
		goto out;
	}
	put_unaligned_le32((u32)siglen, out + 12 + quoted->size);
	*len = 16 + quoted->size + siglen;
	ret = 0;
out:
	Esys_Free(quoted);
	Esys_Free(sig);
	return ret;
}
