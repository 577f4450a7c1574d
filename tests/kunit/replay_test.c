// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: multi-bank replay (lib/replay.c) through crypto_shash.  Known
 * answers: real IMA logs must replay to the PCRs their TPM reported.
 */
#include <linux/slab.h>

#include "kunit_util.h"

static void expect_matches_tpm(struct kunit *test, const struct imasnap_fixture *f,
			       const struct imasnap_state *st)
{
	const struct imasnap_state *tpm = kunit_fixture_pcrs(test, f);
	unsigned int compared = 0;
	int b;
	u32 p;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!imasnap_state_has(st, b, p))
				continue;
			IMASNAP_EXPECT_MEMEQ_MSG(test, st->pcr[b][p], tpm->pcr[b][p],
						 imasnap_bank_info(b)->size, "%s: %s PCR %u",
						 f->name, imasnap_bank_info(b)->name, p);
			compared++;
		}
	KUNIT_EXPECT_GE(test, compared, 2U);
}

static void replay_reaches_the_tpm_pcrs_of_every_real_log(struct kunit *test)
{
	const struct imasnap_fixture *f = test->param_value;
	struct imasnap_state *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_replay(test, f->log, f->log_len, kunit_bank_mask(test, f->banks),
				     kunit_bank_mask(test, f->padded), NULL, st));
	expect_matches_tpm(test, f, st);
}

static void replay_misses_the_tpm_without_the_padded_rule(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "sha384-sha512");
	struct imasnap_state *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	const struct imasnap_state *tpm = kunit_fixture_pcrs(test, f);

	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_replay(test, f->log, f->log_len, kunit_bank_mask(test, f->banks), 0,
				     NULL, st));
	IMASNAP_EXPECT_MEMNEQ(test, st->pcr[IMASNAP_BANK_SHA512][10],
			      tpm->pcr[IMASNAP_BANK_SHA512][10], 64);
}

static void replay_extends_violations_with_ff(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "violations");
	struct imasnap_replay *rp = kunit_kzalloc(test, sizeof(*rp), GFP_KERNEL);
	struct imasnap_khash *h = kunit_khash(test);
	struct imasnap_log log;
	struct imasnap_err err;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	imasnap_replay_init(rp, &h->ops);
	imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA256, IMASNAP_RULE_NORMAL);
	imasnap_replay_start(rp, NULL);
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	KUNIT_ASSERT_EQ(test, 0, imasnap_replay_buffer(rp, &log, f->log, f->log_len, &err));
	KUNIT_EXPECT_EQ(test, rp->violations, 2ULL);
	KUNIT_EXPECT_EQ(test, rp->records, (u64)f->records);
}

static void replay_rejects_changed_template_data(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "ima-ng-sha1-sha256");
	u8 *log = kunit_kmalloc(test, f->log_len, GFP_KERNEL);
	struct imasnap_state *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	size_t at = kunit_record_offset(test, f, 2);

	KUNIT_ASSERT_NOT_NULL(test, log);
	KUNIT_ASSERT_NOT_NULL(test, st);
	memcpy(log, f->log, f->log_len);
	log[kunit_record_offset(test, f, 3) - 3] ^= 1; /* in record 2's name */
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			kunit_replay(test, log, f->log_len, kunit_bank_mask(test, f->banks), 0,
				     NULL, st));
	KUNIT_EXPECT_NE(test, at, (size_t)0);
}

static void replay_from_a_cut_state_equals_the_whole_replay(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "pcr11");
	u32 banks = kunit_bank_mask(test, f->banks);
	struct imasnap_state *mid = kunit_kzalloc(test, sizeof(*mid), GFP_KERNEL);
	struct imasnap_state *rest = kunit_kzalloc(test, sizeof(*rest), GFP_KERNEL);
	unsigned int k;

	KUNIT_ASSERT_NOT_NULL(test, mid);
	KUNIT_ASSERT_NOT_NULL(test, rest);
	for (k = 0; k <= f->records; k++) {
		size_t cut = kunit_record_offset(test, f, k);

		KUNIT_ASSERT_EQ(test, 0, kunit_replay(test, f->log, cut, banks, 0, NULL, mid));
		KUNIT_ASSERT_EQ(test, 0,
				kunit_replay(test, f->log + cut, f->log_len - cut, banks, 0, mid,
					     rest));
		expect_matches_tpm(test, f, rest);
	}
}

static void replay_sm3_runs_in_the_kernel(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "ima-ng-sha1-sha256");
	struct imasnap_state *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct imasnap_state *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	u32 sm3 = 1U << IMASNAP_BANK_SM3;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_EQ(test, 0, kunit_replay(test, f->log, f->log_len, sm3, 0, NULL, a));
	KUNIT_ASSERT_EQ(test, 0, kunit_replay(test, f->log, f->log_len, sm3, sm3, NULL, b));
	KUNIT_EXPECT_TRUE(test, imasnap_state_has(a, IMASNAP_BANK_SM3, 10));
	/* the two rules give different values */
	IMASNAP_EXPECT_MEMNEQ(test, a->pcr[IMASNAP_BANK_SM3][10], b->pcr[IMASNAP_BANK_SM3][10], 32);
}

static struct kunit_case replay_test_cases[] = {
	KUNIT_CASE_PARAM(replay_reaches_the_tpm_pcrs_of_every_real_log, kunit_fixture_gen),
	KUNIT_CASE(replay_misses_the_tpm_without_the_padded_rule),
	KUNIT_CASE(replay_extends_violations_with_ff),
	KUNIT_CASE(replay_rejects_changed_template_data),
	KUNIT_CASE(replay_from_a_cut_state_equals_the_whole_replay),
	KUNIT_CASE(replay_sm3_runs_in_the_kernel),
	{}
};

static struct kunit_suite replay_test_suite = {
	.name = "imasnap_replay",
	.test_cases = replay_test_cases,
};

kunit_test_suite(replay_test_suite);
