/* SPDX-License-Identifier: GPL-2.0 */
/* The lib/ core's hash operations (struct imasnap_hash_ops) on OpenSSL 3 EVP. */
#ifndef _IMASNAP_EVP_H
#define _IMASNAP_EVP_H

#include <stdbool.h>

#include "../../lib/core.h"

struct imasnap_evp;

/* How a bank's digests are computed. */
enum imasnap_evp_how {
	/* Its provider's functions, called directly on one context (EVP where that cannot be) */
	IMASNAP_EVP_DIRECT,
	/* EVP_DigestInit_ex2(), EVP_DigestUpdate(), EVP_DigestFinal_ex() on one EVP_MD_CTX */
	IMASNAP_EVP_DIGEST_API,
};

/* Every digest fetched once; NULL when SHA-1 or SHA-256 is missing. */
struct imasnap_evp *imasnap_evp_new(void);
/* The same, computed as @how says (imasnap_evp_new(): IMASNAP_EVP_DIRECT). */
struct imasnap_evp *imasnap_evp_new_how(enum imasnap_evp_how how);
void imasnap_evp_free(struct imasnap_evp *evp);
const struct imasnap_hash_ops *imasnap_evp_ops(struct imasnap_evp *evp);
/* Does OpenSSL have @bank's hash (SM3 is missing in a FIPS build)? */
bool imasnap_evp_has(const struct imasnap_evp *evp, enum imasnap_bank bank);
/* Are @bank's digests computed by its provider's functions directly? */
bool imasnap_evp_is_direct(const struct imasnap_evp *evp, enum imasnap_bank bank);
/* The SHA-256 of what the EVP_MD_CTX @md has seen so far; @md goes on. */
int imasnap_sha256_so_far(void *md, u8 out[32]);
/* SHA-256 of @len bytes at @p. */
int imasnap_sha256(struct imasnap_evp *evp, const void *p, size_t len, u8 out[32]);

#endif /* _IMASNAP_EVP_H */
