// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the module's tpm.c against a real TPM 2.0 chip (tests/kunit/run.sh
 * --tpm: x86_64 under QEMU with swtpm on a TIS device).  The other suites
 * use a fake TPM; this one checks the fake's contract on the real thing:
 * the allocated banks, PCR reads that see an extend exactly as the replay
 * computes it, and TPM2_ReadClock's counters.  Skipped without a TPM 2.0.
 */
#include <linux/tpm.h>

#include "kunit_util.h"

#define DEBUG_PCR	16	/* resettable, used by no one here */

static struct imasnap_tpm *tpm_setup(struct kunit *test)
{
	struct imasnap_tpm *tpm = kunit_kzalloc(test, sizeof(*tpm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tpm);
	if (!imasnap_tpm_get(tpm))
		kunit_skip(test, "no TPM 2.0 chip");
	return tpm;
}

static void tpm_banks_are_the_chips_allocated_banks(struct kunit *test)
{
	struct imasnap_tpm *tpm = tpm_setup(test);
	u32 banks = tpm->ops->banks(tpm->priv);

	/* run.sh sets swtpm up with the sha1 and sha256 banks. */
	KUNIT_EXPECT_EQ(test, banks, BIT(IMASNAP_BANK_SHA1) | BIT(IMASNAP_BANK_SHA256));
	imasnap_tpm_put(tpm);
}

static void tpm_pcr_reads_see_an_extend_as_the_replay_computes_it(struct kunit *test)
{
	struct imasnap_tpm *tpm = tpm_setup(test);
	struct imasnap_khash *h = kunit_khash(test);
	struct imasnap_state *before, *after;
	struct tpm_digest digests[2] = {
		{ .alg_id = TPM_ALG_SHA1 }, { .alg_id = TPM_ALG_SHA256 },
	};
	struct tpm_chip *chip = tpm->priv;
	u32 banks = BIT(IMASNAP_BANK_SHA1) | BIT(IMASNAP_BANK_SHA256);
	u8 want[IMASNAP_MAX_DIGEST_SIZE];
	struct imasnap_buf v[2];
	int b;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	memset(digests[0].digest, 0x5a, 20);
	memset(digests[1].digest, 0xa5, 32);
	KUNIT_ASSERT_EQ(test, 0, tpm->ops->read_pcrs(tpm->priv, banks, BIT(DEBUG_PCR), before));
	KUNIT_ASSERT_EQ(test, 0, tpm_pcr_extend(chip, DEBUG_PCR, digests));
	KUNIT_ASSERT_EQ(test, 0, tpm->ops->read_pcrs(tpm->priv, banks, BIT(DEBUG_PCR), after));
	for (b = IMASNAP_BANK_SHA1; b <= IMASNAP_BANK_SHA256; b++) {
		u8 size = imasnap_bank_info(b)->size;

		v[0].data = before->pcr[b][DEBUG_PCR];
		v[0].len = size;
		v[1].data = digests[b == IMASNAP_BANK_SHA1 ? 0 : 1].digest;
		v[1].len = size;
		KUNIT_ASSERT_EQ(test, 0, h->ops.digest(h->ops.priv, b, v, 2, want));
		IMASNAP_EXPECT_MEMEQ_MSG(test, after->pcr[b][DEBUG_PCR], want, size,
					 "%s PCR %d after the extend", imasnap_bank_info(b)->name,
					 DEBUG_PCR);
	}
	imasnap_tpm_put(tpm);
}

static void tpm_read_clock_counters_hold_between_reads(struct kunit *test)
{
	struct imasnap_tpm *tpm = tpm_setup(test);
	u64 reset[2];
	u32 restart[2];

	KUNIT_ASSERT_EQ(test, 0, tpm->ops->read_counters(tpm->priv, &reset[0], &restart[0]));
	KUNIT_ASSERT_EQ(test, 0, tpm->ops->read_counters(tpm->priv, &reset[1], &restart[1]));
	KUNIT_EXPECT_EQ(test, reset[0], reset[1]);
	KUNIT_EXPECT_EQ(test, restart[0], restart[1]);
	imasnap_tpm_put(tpm);
}

static struct kunit_case tpm_cases[] = {
	KUNIT_CASE(tpm_banks_are_the_chips_allocated_banks),
	KUNIT_CASE(tpm_pcr_reads_see_an_extend_as_the_replay_computes_it),
	KUNIT_CASE(tpm_read_clock_counters_hold_between_reads),
	{}
};

static struct kunit_suite tpm_suite = {
	.name = "imasnap_tpm",
	.test_cases = tpm_cases,
};

kunit_test_suite(tpm_suite);
