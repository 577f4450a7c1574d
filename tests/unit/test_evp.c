// SPDX-License-Identifier: GPL-2.0
/*
 * The core's hash operations (userspace/lib/evp.c): the provider's digest
 * functions called directly give OpenSSL's EVP_Digest() of the same bytes,
 * for every bank, every length a record can have, and any split into pieces,
 * digest after digest on one reused context.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "fixture.h"

static const char *const md_names[IMASNAP_NR_BANKS] = {
	[IMASNAP_BANK_SHA1] = "SHA1", [IMASNAP_BANK_SHA256] = "SHA256",
	[IMASNAP_BANK_SHA384] = "SHA384", [IMASNAP_BANK_SHA512] = "SHA512",
	[IMASNAP_BANK_SM3] = "SM3",
};

/* EVP_Digest() of @len bytes at @p with @bank's digest: what the others must equal. */
static void reference(enum imasnap_bank bank, const u8 *p, size_t len, u8 *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, md_names[bank], NULL);
	unsigned int n;

	assert_non_null(md);
	assert_int_equal(EVP_Digest(p, len, out, &n, md, NULL), 1);
	assert_int_equal(n, imasnap_bank_info(bank)->size);
	EVP_MD_free(md);
}

static void check_how(enum imasnap_evp_how how)
{
	struct imasnap_evp *evp = imasnap_evp_new_how(how);
	const struct imasnap_hash_ops *ops;
	u8 buf[2100], got[IMASNAP_MAX_DIGEST_SIZE + 1], want[IMASNAP_MAX_DIGEST_SIZE];
	unsigned int b;
	size_t len, i;

	assert_non_null(evp);
	ops = imasnap_evp_ops(evp);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 7 + i / 255);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!imasnap_evp_has(evp, b))
			continue;
		/* Every block boundary and padding case up to 2 KiB: 0..130, then a stride. */
		for (len = 0; len <= sizeof(buf); len += len < 130 ? 1 : 61) {
			struct imasnap_buf v[3] = {
				{ .data = buf, .len = len / 3 },
				{ .data = buf + len / 3, .len = 0 },
				{ .data = buf + len / 3, .len = len - len / 3 },
			};
			size_t size = imasnap_bank_info(b)->size;

			reference(b, buf, len, want);
			memset(got, 0xa5, sizeof(got));
			assert_int_equal(ops->digest(ops->priv, b, v, 3, got), 0);
			assert_memory_equal(got, want, size);
			/* What lies past the digest is not written. */
			assert_int_equal(got[size], 0xa5);
			assert_int_equal(ops->digest(ops->priv, b, &v[2], 1, got), 0);
			reference(b, buf + len / 3, len - len / 3, want);
			assert_memory_equal(got, want, size);
		}
	}
	imasnap_evp_free(evp);
}

static void direct_digests_equal_evp_digest_for_every_bank_length_and_split(void **state)
{
	(void)state;
	check_how(IMASNAP_EVP_DIRECT);
}

static void digest_api_digests_equal_evp_digest_for_every_bank_length_and_split(void **state)
{
	(void)state;
	check_how(IMASNAP_EVP_DIGEST_API);
}

/* OpenSSL's default provider offers each bank's table: no bank falls back to the digest API. */
static void default_provider_banks_are_called_directly(void **state)
{
	struct imasnap_evp *direct = imasnap_evp_new(), *api = imasnap_evp_new_how(IMASNAP_EVP_DIGEST_API);
	unsigned int b;

	(void)state;
	assert_non_null(direct);
	assert_non_null(api);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		assert_int_equal(imasnap_evp_is_direct(direct, b), imasnap_evp_has(direct, b));
		assert_false(imasnap_evp_is_direct(api, b));
	}
	assert_true(imasnap_evp_is_direct(direct, IMASNAP_BANK_SHA256));
	imasnap_evp_free(direct);
	imasnap_evp_free(api);
}

/* Two evps, as two threads have: digests on one do not disturb the other's context. */
static void two_evps_keep_their_own_contexts(void **state)
{
	struct imasnap_evp *a = imasnap_evp_new(), *b = imasnap_evp_new();
	static const u8 x[] = "abc", y[] = "a message of more than 56 bytes, so that its padding takes a second block";
	struct imasnap_buf vx = { .data = x, .len = 3 }, vy = { .data = y, .len = sizeof(y) - 1 };
	u8 ga[32], gb[32], want[32];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(imasnap_evp_ops(a)->digest(imasnap_evp_ops(a)->priv, IMASNAP_BANK_SHA256, &vx, 1, ga), 0);
	assert_int_equal(imasnap_evp_ops(b)->digest(imasnap_evp_ops(b)->priv, IMASNAP_BANK_SHA256, &vy, 1, gb), 0);
	reference(IMASNAP_BANK_SHA256, x, 3, want);
	assert_memory_equal(ga, want, 32);
	reference(IMASNAP_BANK_SHA256, y, sizeof(y) - 1, want);
	assert_memory_equal(gb, want, 32);
	imasnap_evp_free(a);
	imasnap_evp_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(direct_digests_equal_evp_digest_for_every_bank_length_and_split),
		cmocka_unit_test(digest_api_digests_equal_evp_digest_for_every_bank_length_and_split),
		cmocka_unit_test(default_provider_banks_are_called_directly),
		cmocka_unit_test(two_evps_keep_their_own_contexts),
	};

	return cmocka_run_group_tests_name("imasnap_evp", tests, NULL, NULL);
}
