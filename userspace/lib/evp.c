// SPDX-License-Identifier: GPL-2.0
/*
 * The core's hash operations on OpenSSL 3.  Each bank's digest is fetched
 * once, and its implementation is then called the way EVP calls it, through
 * the dispatch table of the provider EVP_MD_fetch() chose, on one context
 * allocated once: OpenSSL 3.0's EVP_DigestInit_ex2() frees and allocates
 * the provider's context and looks for an ENGINE on every digest, which on
 * a log of small records cost about as much as the hashing itself
 * (Documentation/performance.md).  Where the provider's table cannot be
 * had unambiguously, the bank goes through EVP_Digest*() as before.  One
 * evp is not shared between threads: mtreplay.c gives each thread its own.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_dispatch.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "error.h"
#include "evp.h"

#if OPENSSL_VERSION_MAJOR < 3
#error "imasnap needs OpenSSL 3 or later"
#endif

/* A bank's implementation, called directly: its provider's functions and context. */
struct direct_md {
	void *ctx;
	OSSL_FUNC_digest_init_fn *init;
	OSSL_FUNC_digest_update_fn *update;
	OSSL_FUNC_digest_final_fn *final;
	OSSL_FUNC_digest_freectx_fn *freectx;
	size_t size;
};

struct imasnap_evp {
	struct imasnap_hash_ops ops;
	EVP_MD *md[IMASNAP_NR_BANKS];
	EVP_MD_CTX *ctx[IMASNAP_NR_BANKS];
	struct direct_md direct[IMASNAP_NR_BANKS];	/* .ctx NULL: through EVP */
};

static const char *const evp_names[IMASNAP_NR_BANKS] = {
	[IMASNAP_BANK_SHA1]   = "SHA1",
	[IMASNAP_BANK_SHA256] = "SHA256",
	[IMASNAP_BANK_SHA384] = "SHA384",
	[IMASNAP_BANK_SHA512] = "SHA512",
	[IMASNAP_BANK_SM3]    = "SM3",
};

/* Is @name one of the colon-separated names in @names? */
static bool names_have(const char *names, const char *name)
{
	size_t len = strlen(name);
	const char *p = names;

	while (*p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && !strncasecmp(p, name, len))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/*
 * @d: @md's implementation in its provider's table of digests, if exactly
 * one of that provider's digests has @md's name and it has every function
 * a digest needs; else @d stays empty and the bank goes through EVP.
 */
static void direct_find(const EVP_MD *md, struct direct_md *d)
{
	const OSSL_PROVIDER *prov = EVP_MD_get0_provider(md);
	const char *name = EVP_MD_get0_name(md);
	const OSSL_ALGORITHM *algs, *a, *found = NULL;
	const OSSL_DISPATCH *f;
	OSSL_FUNC_digest_newctx_fn *newctx = NULL;
	struct direct_md t = { 0 };
	int no_cache = 0;

	if (!prov || !name)
		return;
	algs = OSSL_PROVIDER_query_operation(prov, OSSL_OP_DIGEST, &no_cache);
	if (!algs)
		return;
	for (a = algs; a->algorithm_names; a++) {
		if (!names_have(a->algorithm_names, name))
			continue;
		if (found) {
			found = NULL;	/* two implementations: which one EVP took is not known */
			break;
		}
		found = a;
	}
	for (f = found ? found->implementation : NULL; f && f->function_id; f++) {
		switch (f->function_id) {
		case OSSL_FUNC_DIGEST_NEWCTX:
			newctx = OSSL_FUNC_digest_newctx(f);
			break;
		case OSSL_FUNC_DIGEST_INIT:
			t.init = OSSL_FUNC_digest_init(f);
			break;
		case OSSL_FUNC_DIGEST_UPDATE:
			t.update = OSSL_FUNC_digest_update(f);
			break;
		case OSSL_FUNC_DIGEST_FINAL:
			t.final = OSSL_FUNC_digest_final(f);
			break;
		case OSSL_FUNC_DIGEST_FREECTX:
			t.freectx = OSSL_FUNC_digest_freectx(f);
			break;
		}
	}
	t.size = (size_t)EVP_MD_get_size(md);
	if (newctx && t.init && t.update && t.final && t.freectx && t.size <= IMASNAP_MAX_DIGEST_SIZE)
		t.ctx = newctx(OSSL_PROVIDER_get0_provider_ctx(prov));
	OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_DIGEST, algs);
	if (t.ctx)
		*d = t;
}

static int direct_digest(const struct direct_md *d, const struct imasnap_buf *v,
			 unsigned int n, u8 *out)
{
	size_t len;
	unsigned int i;

	if (!d->init(d->ctx, NULL))
		return -IMASNAP_ECRYPTO;
	for (i = 0; i < n; i++) {
		if (v[i].len && !d->update(d->ctx, v[i].data, v[i].len))
			return -IMASNAP_ECRYPTO;
	}
	if (!d->final(d->ctx, out, &len, d->size) || len != d->size)
		return -IMASNAP_ECRYPTO;
	return 0;
}

static int evp_digest(void *priv, enum imasnap_bank bank,
		      const struct imasnap_buf *v, unsigned int n, u8 *out)
{
	struct imasnap_evp *evp = priv;
	EVP_MD_CTX *ctx;
	unsigned int i;

	if ((unsigned int)bank >= IMASNAP_NR_BANKS || !evp->md[bank])
		return -EOPNOTSUPP;
	if (evp->direct[bank].ctx)
		return direct_digest(&evp->direct[bank], v, n, out);
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

struct imasnap_evp *imasnap_evp_new_how(enum imasnap_evp_how how)
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
		if (evp->md[i] && how == IMASNAP_EVP_DIRECT)
			direct_find(evp->md[i], &evp->direct[i]);
	}
	if (!evp->md[IMASNAP_BANK_SHA1] || !evp->md[IMASNAP_BANK_SHA256]) {
		imasnap_evp_free(evp);
		return NULL;
	}
	evp->ops.digest = evp_digest;
	evp->ops.priv = evp;
	return evp;
}

struct imasnap_evp *imasnap_evp_new(void)
{
	return imasnap_evp_new_how(IMASNAP_EVP_DIRECT);
}

void imasnap_evp_free(struct imasnap_evp *evp)
{
	int i;

	if (!evp)
		return;
	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		if (evp->direct[i].ctx)
			evp->direct[i].freectx(evp->direct[i].ctx);
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

bool imasnap_evp_is_direct(const struct imasnap_evp *evp, enum imasnap_bank bank)
{
	return imasnap_evp_has(evp, bank) && evp->direct[bank].ctx;
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
