// SPDX-License-Identifier: GPL-2.0
/*
 * The core's hash operations on OpenSSL 3 EVP.   Digests are fetched once
 * and each bank reuses its own EVP_MD_CTX, so imasnap allocates nothing a
 * record; OpenSSL 3.0 itself still allocates and frees its provider
 * context on every digest (Documentation/performance.md).  One evp is not
 * shared between threads: mtreplay.c gives each thread its own.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "error.h"
#include "evp.h"

#if OPENSSL_VERSION_MAJOR < 3
#error "imasnap needs OpenSSL 3 or later"
#endif

struct imasnap_evp {
	struct imasnap_hash_ops ops;
	EVP_MD *md[IMASNAP_NR_BANKS];
	EVP_MD_CTX *ctx[IMASNAP_NR_BANKS];
};

static const char *const evp_names[IMASNAP_NR_BANKS] = {
	[IMASNAP_BANK_SHA1]   = "SHA1",
	[IMASNAP_BANK_SHA256] = "SHA256",
	[IMASNAP_BANK_SHA384] = "SHA384",
	[IMASNAP_BANK_SHA512] = "SHA512",
	[IMASNAP_BANK_SM3]    = "SM3",
};

static int evp_digest(void *priv, enum imasnap_bank bank,
		      const struct imasnap_buf *v, unsigned int n, u8 *out)
{
	struct imasnap_evp *evp = priv;
	EVP_MD_CTX *ctx;
	unsigned int i;

	if ((unsigned int)bank >= IMASNAP_NR_BANKS || !evp->md[bank])
		return -EOPNOTSUPP;
	ctx = evp->ctx[bank];
	if (!EVP_DigestInit_ex2(ctx, evp->md[bank], NULL))
		return -IMASNAP_ECRYPTO;
	for (i = 0; i < n; i++) {
		if (v[i].len && !EVP_DigestUpdate(ctx, v[i].data, v[i].len))
			return -IMASNAP_ECRYPTO;
	}
	if (!EVP_DigestFinal_ex(ctx, out, NULL))
		return -IMASNAP_ECRYPTO;
	return 0;
}

struct imasnap_evp *imasnap_evp_new(void)
{
	struct imasnap_evp *evp = calloc(1, sizeof(*evp));
	int i;

	if (!evp)
		return NULL;
	/* A digest the provider lacks (SM3 in a FIPS build) stays NULL. */
	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		evp->md[i] = EVP_MD_fetch(NULL, evp_names[i], NULL);
		evp->ctx[i] = EVP_MD_CTX_new();
		if (!evp->ctx[i]) {
			imasnap_evp_free(evp);
			return NULL;
		}
	}
	if (!evp->md[IMASNAP_BANK_SHA1] || !evp->md[IMASNAP_BANK_SHA256]) {
		imasnap_evp_free(evp);
		return NULL;
	}
	evp->ops.digest = evp_digest;
	evp->ops.priv = evp;
	return evp;
}

void imasnap_evp_free(struct imasnap_evp *evp)
{
	int i;

	if (!evp)
		return;
	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		EVP_MD_free(evp->md[i]);
		EVP_MD_CTX_free(evp->ctx[i]);
	}
	free(evp);
}

const struct imasnap_hash_ops *imasnap_evp_ops(struct imasnap_evp *evp)
{
	return &evp->ops;
}

bool imasnap_evp_has(const struct imasnap_evp *evp, enum imasnap_bank bank)
{
	return (unsigned int)bank < IMASNAP_NR_BANKS && evp->md[bank];
}

int imasnap_sha256_so_far(void *md, u8 out[32])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	int ok = copy && EVP_MD_CTX_copy_ex(copy, md) && EVP_DigestFinal_ex(copy, out, NULL);

	EVP_MD_CTX_free(copy);
	return ok ? 0 : imasnap_ossl_fail("SHA-256");
}

int imasnap_sha256(struct imasnap_evp *evp, const void *p, size_t len, u8 out[32])
{
	struct imasnap_buf v = { .data = p, .len = len };

	return evp_digest(evp, IMASNAP_BANK_SHA256, &v, 1, out);
}
