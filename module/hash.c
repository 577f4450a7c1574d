// SPDX-License-Identifier: GPL-2.0
/*
 * The core's hash operations on crypto_shash.  The transforms are allocated
 * once at load; a digest needs only an on-stack descriptor, so nothing is
 * allocated while replaying (the reboot notifier replays the tail).
 */
#include <crypto/hash.h>

#include "imasnap_mod.h"

static const char *const shash_names[IMASNAP_NR_BANKS] = {
	[IMASNAP_BANK_SHA1]   = "sha1",
	[IMASNAP_BANK_SHA256] = "sha256",
	[IMASNAP_BANK_SHA384] = "sha384",
	[IMASNAP_BANK_SHA512] = "sha512",
	[IMASNAP_BANK_SM3]    = "sm3",
};

static int khash_digest(void *priv, enum imasnap_bank bank,
			const struct imasnap_buf *v, unsigned int n, u8 *out)
{
	struct imasnap_khash *h = priv;
	struct crypto_shash *tfm;
	unsigned int i;
	int ret;

	if ((unsigned int)bank >= IMASNAP_NR_BANKS || !h->tfm[bank])
		return -EOPNOTSUPP;
	tfm = h->tfm[bank];
	{
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		ret = crypto_shash_init(desc);
		for (i = 0; !ret && i < n; i++)
			ret = crypto_shash_update(desc, v[i].data, v[i].len);
		if (!ret)
			ret = crypto_shash_final(desc, out);
		shash_desc_zero(desc);
	}
	return ret;
}

/*
 * Allocate a transform for every bank the kernel can hash.  SHA-1 and
 * SHA-256 are required (template digests, record self-digest); a bank
 * without a transform can still be replayed under the padded-SHA-1 rule.
 */
int imasnap_khash_init(struct imasnap_khash *h)
{
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		struct crypto_shash *tfm = crypto_alloc_shash(shash_names[i], 0, 0);

		if (IS_ERR(tfm)) {
			pr_debug("no %s transform (%ld)\n", shash_names[i],
				 PTR_ERR(tfm));
			continue;
		}
		h->tfm[i] = tfm;
	}
	if (!h->tfm[IMASNAP_BANK_SHA1] || !h->tfm[IMASNAP_BANK_SHA256]) {
		pr_err("sha1 and sha256 are required but not available\n");
		imasnap_khash_exit(h);
		return -ENOENT;
	}
	h->ops.digest = khash_digest;
	h->ops.priv = h;
	return 0;
}

void imasnap_khash_exit(struct imasnap_khash *h)
{
	int i;

	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		if (h->tfm[i])
			crypto_free_shash(h->tfm[i]);
		h->tfm[i] = NULL;
	}
}

bool imasnap_khash_has(const struct imasnap_khash *h, enum imasnap_bank bank)
{
	return (unsigned int)bank < IMASNAP_NR_BANKS && h->tfm[bank];
}
