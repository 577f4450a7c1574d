// SPDX-License-Identifier: GPL-2.0
/*
 * The attestation key and TPM2_Quote (ak.h), through tpm2-tss ESAPI: the
 * AK templates, Esys_CreatePrimary, the public key as OpenSSL sees it, and
 * Esys_Quote marshalled into the quote file format (quote.h).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include "ak.h"
#include "error.h"
#include "fileio.h"

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

/*
 * The public key as PEM, a new file linked into place: never through a
 * symlink planted there (a dangling one makes it -EEXIST), never over a
 * file another writer put there first.
 */
static int write_pem(const char *path, EVP_PKEY *pkey)
{
	struct imasnap_atomic a;
	FILE *f;
	int ret, ok;

	f = imasnap_atomic_fopen(&a, path, IMASNAP_ATOMIC_NEW, &ret);
	if (!f)
		return ret;
	ok = PEM_write_PUBKEY(f, pkey);
	if (fclose(f) || !ok || fchmod(a.fd, 0644)) {
		imasnap_atomic_abort(&a);
		return -EIO;
	}
	return imasnap_atomic_commit(&a);
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
		return -IMASNAP_ETPM;
	}
	*pkey = pkey_of(&outpub->publicArea);
	Esys_Free(outpub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	if (!*pkey) {
		Esys_FlushContext(imasnap_tpm2_esys(tpm), *ak);
		*ak = ESYS_TR_NONE;
		return imasnap_ossl_fail("the AK's public key");
	}
	return 0;
}

/*
 * The archive keeps the AK's public key as @dir/ak-<alg>.pem: written on
 * first use, compared after.  0, -IMASNAP_EVERIFY or -errno.
 */
int imasnap_ak_keep(const char *dir, const char *alg, EVP_PKEY *pkey, char *pem, size_t size)
{
	EVP_PKEY *kept;
	struct stat st;
	int ret;

	snprintf(pem, size, "%s/ak-%s.pem", dir, alg);
	/* lstat(): a dangling symlink is there, not absent. */
	if (lstat(pem, &st) && errno == ENOENT) {
		ret = write_pem(pem, pkey);
		if (ret)
			imasnap_errorf("writing %s: %s", pem, strerror(-ret));
		return ret;
	}
	if (imasnap_read_ak(pem, &kept) || EVP_PKEY_eq(kept, pkey) != 1) {
		imasnap_errorf("%s is not this TPM's %s AK (another TPM, or a cleared endorsement seed)",
			       pem, alg);
		EVP_PKEY_free(kept);
		return -IMASNAP_EVERIFY;
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
 * @values:	the values of its PCRs 0-9 no log replays, or NULL
 * @out:	the quote in the file format, at most @cap bytes
 * @cap:	size of @out
 * @len:	bytes written
 *
 * Return: 0, -EINVAL or -IMASNAP_ETPM.
 */
int imasnap_tpm2_quote(struct imasnap_tpm2 *tpm, ESYS_TR ak, const u8 *extra, size_t elen,
		       const TPML_PCR_SELECTION *sel, const struct imasnap_state *values,
		       u8 *out, size_t cap, size_t *len)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_DATA nonce = { 0 };
	size_t siglen = 0;
	TSS2_RC rc;
	int ret = -IMASNAP_ETPM;

	if (elen > sizeof(nonce.buffer))
		return -EINVAL;
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
	put_unaligned_le32(IMASNAP_QUOTE_MAGIC, out);
	put_unaligned_le32(values ? 2 : 1, out + 4);
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
	if (values) {
		/* struct imasnap_pcr_value is written aligned, then copied. */
		struct imasnap_pcr_value v[IMASNAP_NR_BANKS * 10];
		u32 k = imasnap_state_count(values);

		if (k > ARRAY_SIZE(v) || cap - *len < 4 + k * sizeof(v[0])) {
			imasnap_errorf("the quote does not fit in %zu bytes", cap);
			goto out;
		}
		imasnap_state_put((u8 *)v, values);
		put_unaligned_le32(k, out + *len);
		memcpy(out + *len + 4, v, k * sizeof(v[0]));
		*len += 4 + k * sizeof(v[0]);
	}
	ret = 0;
out:
	Esys_Free(quoted);
	Esys_Free(sig);
	return ret;
}
