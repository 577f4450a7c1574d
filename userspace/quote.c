// SPDX-License-Identifier: GPL-2.0
/*
 * TPM quotes: an attestation key under the endorsement hierarchy, a quote of
 * the IMA PCRs of every allocated bank, and its checks (magic, type, nonce,
 * signature, PCR selection and digest) for imasnap verify.
 *
 * The AK is a primary key: the TPM derives it from the endorsement seed and
 * a fixed template, so every "create" gives the same key back (created on
 * first use, reused after).  Its public key is kept next to the archive as
 * PEM; a different key later means a different TPM (or a cleared seed).
 *
 * Quote file (little-endian): "IMSQ", u16 version 1, u16 0, u32 n,
 * TPMS_ATTEST as the TPM marshalled it (n bytes, what the signature covers),
 * u32 m, TPMT_SIGNATURE marshalled (m bytes).
 */
#include <getopt.h>
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

static int put_u32(FILE *f, u32 v)
{
	u8 b[4];

	put_unaligned_le32(v, b);
	return fwrite(b, 1, 4, f) == 4 ? 0 : -EIO;
}

static void quote_usage(FILE *f)
{
	fprintf(f,
		"Usage: imasnap quote --dir DIR --nonce HEX --out FILE [--alg rsa|ecc]\n"
		"                     [--pcrs LIST] [--banks LIST] [--tcti CONF]\n"
		"  --dir DIR       the archive; the AK's public key is kept there as ak-<alg>.pem\n"
		"  --nonce HEX     the verifier's nonce (qualifyingData), up to 64 bytes\n"
		"  --out FILE      the quote\n"
		"  --alg ALG       the AK: rsa (RSASSA-SHA256, default) or ecc (ECDSA P-256)\n"
		"  --pcrs LIST     PCRs to quote in every bank (default: 10 and those the archive's\n"
		"                  newest shard ends in)\n"
		"  --banks LIST    quote only these banks (default: every bank the TPM has)\n");
}

static int parse_pcr_list(const char *s, u32 *mask)
{
	char *end;

	*mask = 0;
	while (*s) {
		unsigned long p = strtoul(s, &end, 10);

		if (end == s || p >= IMASNAP_NR_PCRS)
			return -EINVAL;
		*mask |= 1U << p;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

int quote_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "alg", required_argument, NULL, 'a' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "banks", required_argument, NULL, 'b' },
		{ "tcti", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *nonce_hex = NULL, *out = NULL, *tcti = NULL, *alg = "rsa";
	struct imasnap_shard *newest = calloc(1, sizeof(*newest));
	TPM2B_PUBLIC *outpub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPM2B_DATA nonce = { 0 };
	TPML_PCR_SELECTION sel = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_SENSITIVE_CREATE insens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcrs = { 0 };
	EVP_PKEY *pkey = NULL, *kept = NULL;
	struct imasnap_tpm2 *tpm = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	u8 sigbuf[sizeof(TPMT_SIGNATURE)];
	size_t siglen = 0;
	char pem[4096];
	u32 banks, pcrs = 0, only = ~0U, b, p;
	u64 count;
	TSS2_RC rc;
	FILE *f;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'n': nonce_hex = optarg; break;
		case 'o': out = optarg; break;
		case 'a': alg = optarg; break;
		case 'p':
			if (parse_pcr_list(optarg, &pcrs)) {
				imasnap_errorf("quote: --pcrs takes PCR numbers below 24, e.g. 10,11");
				ret = IMASNAP_EXIT_USAGE;
				goto out;
			}
			break;
		case 't': tcti = optarg; break;
		case 'b':
			if (imasnap_parse_banks(optarg, &only)) {
				ret = IMASNAP_EXIT_USAGE;
				goto out;
			}
			break;
		case 'h': quote_usage(stdout); ret = IMASNAP_EXIT_OK; goto out;
		default: quote_usage(stderr); ret = IMASNAP_EXIT_USAGE; goto out;
		}
	}
	if (!dir || !nonce_hex || !out || optind != argc ||
	    (strcmp(alg, "rsa") && strcmp(alg, "ecc"))) {
		quote_usage(stderr);
		ret = IMASNAP_EXIT_USAGE;
		goto out;
	}
	if (strlen(nonce_hex) > 2 * sizeof(nonce.buffer) || strlen(nonce_hex) % 2 ||
	    imasnap_hex_decode(nonce_hex, strlen(nonce_hex), nonce.buffer)) {
		imasnap_errorf("quote: --nonce takes up to %zu bytes in hex", sizeof(nonce.buffer));
		ret = IMASNAP_EXIT_USAGE;
		goto out;
	}
	nonce.size = (UINT16)(strlen(nonce_hex) / 2);
	if (!newest) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	if (!pcrs) {
		ret = archive_newest(dir, &count, newest);
		if (ret)
			goto out;
		pcrs = 1U << IMASNAP_IMA_PCR;
		for (b = 0; count && b < IMASNAP_NR_BANKS; b++)
			pcrs |= newest->end.pcr_mask[b];
	}

	tpm = imasnap_tpm2_open(tcti);
	if (!tpm || imasnap_tpm2_banks(tpm, &banks)) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	banks &= only;
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		TPMS_PCR_SELECTION *s;

		if (!(banks & (1U << b)))
			continue;
		s = &sel.pcrSelections[sel.count++];
		s->hash = imasnap_bank_info(b)->alg_id;
		s->sizeofSelect = 3;
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			if (pcrs & (1U << p))
				s->pcrSelect[p / 8] |= 1U << (p % 8);
	}

	rc = Esys_CreatePrimary(imasnap_tpm2_esys(tpm), ESYS_TR_RH_ENDORSEMENT,
				ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &insens,
				strcmp(alg, "rsa") ? &ak_ecc : &ak_rsa, &outside,
				&creation_pcrs, &ak, &outpub, &cdata, &chash, &ticket);
	if (rc) {
		imasnap_errorf("quote: Esys_CreatePrimary(endorsement, %s AK): %s", alg,
			       Tss2_RC_Decode(rc));
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	pkey = pkey_of(&outpub->publicArea);
	if (!pkey) {
		ret = ossl_fail("quote: the AK's public key");
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	snprintf(pem, sizeof(pem), "%s/ak-%s.pem", dir, alg);
	if (!access(pem, F_OK)) {
		kept = imasnap_read_ak(pem);
		if (!kept || !same_key(kept, pkey)) {
			imasnap_errorf("quote: %s is not this TPM's %s AK (another TPM, or a cleared endorsement seed)",
				       pem, alg);
			ret = IMASNAP_EXIT_MISMATCH;
			goto out;
		}
	} else if (write_pem(pem, pkey)) {
		imasnap_errorf("quote: writing %s: %s", pem, strerror(errno));
		ret = IMASNAP_EXIT_IO;
		goto out;
	}

	rc = Esys_Quote(imasnap_tpm2_esys(tpm), ak, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			ESYS_TR_NONE, &nonce, &scheme, &sel, &quoted, &sig);
	if (rc) {
		imasnap_errorf("quote: Esys_Quote: %s", Tss2_RC_Decode(rc));
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, sigbuf, sizeof(sigbuf), &siglen);
	if (rc) {
		imasnap_errorf("quote: Tss2_MU_TPMT_SIGNATURE_Marshal: %s", Tss2_RC_Decode(rc));
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	f = fopen(out, "we");
	if (!f) {
		imasnap_errorf("quote: %s: %s", out, strerror(errno));
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	ret = put_u32(f, QUOTE_MAGIC);
	if (!ret)
		ret = put_u32(f, 1);
	if (!ret)
		ret = put_u32(f, quoted->size);
	if (!ret && fwrite(quoted->attestationData, 1, quoted->size, f) != quoted->size)
		ret = -EIO;
	if (!ret)
		ret = put_u32(f, (u32)siglen);
	if (!ret && fwrite(sigbuf, 1, siglen, f) != siglen)
		ret = -EIO;
	if (fclose(f) || ret) {
		imasnap_errorf("quote: writing %s failed", out);
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	printf("quote of PCRs %#x in %u banks with the %s AK (%s): %s\n", pcrs, sel.count, alg,
	       pem, out);
	ret = IMASNAP_EXIT_OK;
out:
	if (ak != ESYS_TR_NONE)
		Esys_FlushContext(imasnap_tpm2_esys(tpm), ak);
	Esys_Free(outpub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	Esys_Free(quoted);
	Esys_Free(sig);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(kept);
	imasnap_tpm2_close(tpm);
	free(newest);
	return ret;
}

/* Read a quote file; -EBADMSG with a message when it is not one. */
int imasnap_quote_read(const char *path, struct imasnap_quote *q)
{
	u8 *buf = NULL;
	size_t len, off = 0, n, m;
	TSS2_RC rc;
	int ret;

	memset(q, 0, sizeof(*q));
	ret = archive_read_file(path, &buf, &len);
	if (ret) {
		imasnap_errorf("%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = -EBADMSG;
	if (len < 12 || get_unaligned_le32(buf) != QUOTE_MAGIC ||
	    get_unaligned_le32(buf + 4) != 1) {
		imasnap_errorf("%s: not an imasnap quote", path);
		goto out;
	}
	n = get_unaligned_le32(buf + 8);
	if (n > sizeof(q->attest_bytes) || n > len - 12 || len - 12 - n < 4) {
		imasnap_errorf("%s: quote sizes out of bounds", path);
		goto out;
	}
	memcpy(q->attest_bytes, buf + 12, n);
	q->attest_len = n;
	m = get_unaligned_le32(buf + 12 + n);
	if (m != len - 16 - n) {
		imasnap_errorf("%s: quote sizes out of bounds", path);
		goto out;
	}
	rc = Tss2_MU_TPMS_ATTEST_Unmarshal(q->attest_bytes, n, &off, &q->attest);
	if (rc || off != n) {
		imasnap_errorf("%s: TPMS_ATTEST: %s", path, rc ? Tss2_RC_Decode(rc) : "trailing bytes");
		goto out;
	}
	off = 0;
	rc = Tss2_MU_TPMT_SIGNATURE_Unmarshal(buf + 16 + n, m, &off, &q->sig);
	if (rc || off != m) {
		imasnap_errorf("%s: TPMT_SIGNATURE: %s", path, rc ? Tss2_RC_Decode(rc) : "trailing bytes");
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* The signature over the attestation with @ak; 0 or an exit code. */
int imasnap_quote_check_signature(const struct imasnap_quote *q, EVP_PKEY *ak)
{
	const TPMT_SIGNATURE *s = &q->sig;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	u8 der[160];
	const u8 *sig;
	size_t siglen;
	int ret = IMASNAP_EXIT_MISMATCH, ok;

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

		if (s->signature.ecdsa.hash != TPM2_ALG_SHA256 || !es)
			goto unsupported;
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
		imasnap_errorf("verify: the AK cannot check this quote's signature (%s key, %s signature)",
			       EVP_PKEY_get0_type_name(ak), s->sigAlg == TPM2_ALG_ECDSA ? "ECDSA" : "RSA");
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
		imasnap_errorf("verify: the quote's signature does not verify with the AK");
	goto out;
unsupported:
	imasnap_errorf("verify: unsupported quote signature (algorithm %#x)", s->sigAlg);
out:
	EVP_MD_CTX_free(md);
	return ret;
}
