// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: arming (module/arm.c) with a fake TPM and IMA's log fed from a
 * buffer: a good cut positions the log at the cut; every bad cut is
 * rejected and leaves the armed state alone.
 */
#include <linux/slab.h>

#include "kunit_util.h"

#define CUT_AT 5
#define WINDOW_SIZE (64 * 1024)

struct arm_ctx {
	const struct imasnap_fixture *f;
	struct imasnap_khash *h;
	struct fake_tpm *tpm;
	struct buf_source *log;
	struct imasnap_aggregate *cut;
	struct imasnap_armed *a;
	char *text;
};

static int arm_init(struct kunit *test)
{
	struct arm_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->f = kunit_fixture(test, "ima-ng-sha1-sha256");
	c->h = kunit_khash(test);
	c->tpm = kunit_fake_tpm(test, kunit_bank_mask(test, c->f->banks));
	c->log = kunit_buf_source(test, c->f->log_len);
	buf_source_append(c->log, c->f->log, c->f->log_len);
	c->cut = kunit_kzalloc(test, sizeof(*c->cut), GFP_KERNEL);
	c->a = kunit_kzalloc(test, sizeof(*c->a), GFP_KERNEL);
	c->text = kunit_kzalloc(test, IMASNAP_AGGREGATE_MAX_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->cut);
	KUNIT_ASSERT_NOT_NULL(test, c->a);
	KUNIT_ASSERT_NOT_NULL(test, c->text);
	c->cut->seq = 1;
	c->cut->entries = CUT_AT;
	c->cut->offset = kunit_record_offset(test, c->f, CUT_AT);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_replay(test, c->f->log, c->cut->offset,
				     kunit_bank_mask(test, c->f->banks), 0, NULL, &c->cut->state));
	test->priv = c;
	return 0;
}

static void arm_exit(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	imasnap_disarm(c->a);
}

static int arm_text(struct kunit *test, struct arm_ctx *c, size_t window, struct imasnap_tpm *tpm)
{
	struct imasnap_source src = buf_source_of(c->log);
	int len = imasnap_aggregate_build(IMASNAP_AGG_CUT, c->cut, c->text,
					  IMASNAP_AGGREGATE_MAX_LEN);

	KUNIT_ASSERT_GT(test, len, 0);
	return imasnap_arm(c->a, c->text, len, window, tpm, c->h, &src);
}

static void arm_positions_the_log_at_the_cut(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	KUNIT_ASSERT_EQ(test, 0, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm));
	KUNIT_EXPECT_EQ(test, (u64)c->a->pos, c->cut->offset);
	KUNIT_EXPECT_EQ(test, c->a->cut.entries, (u64)CUT_AT);
	KUNIT_EXPECT_FALSE(test, c->log->closed);
	KUNIT_EXPECT_EQ(test, c->a->tail_cap, (size_t)WINDOW_SIZE);
}

/* The capture's reads then cost one walk of IMA's list, and allocate nothing. */
static void arm_fits_the_log_to_the_tail_buffer(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	KUNIT_ASSERT_EQ(test, 0, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm));
	KUNIT_EXPECT_EQ(test, c->log->fit, c->a->tail_cap);
}

static void arm_accepts_a_trailing_newline(struct kunit *test)
{
	struct arm_ctx *c = test->priv;
	struct imasnap_source src = buf_source_of(c->log);
	int len = imasnap_aggregate_build(IMASNAP_AGG_CUT, c->cut, c->text,
					  IMASNAP_AGGREGATE_MAX_LEN);

	c->text[len++] = '\n';
	KUNIT_EXPECT_EQ(test, 0,
			imasnap_arm(c->a, c->text, len, WINDOW_SIZE, &c->tpm->tpm, c->h, &src));
}

static void expect_rejected(struct kunit *test, struct arm_ctx *c, int ret, int want)
{
	KUNIT_EXPECT_EQ(test, ret, want);
	KUNIT_EXPECT_TRUE(test, c->log->closed);
	/* A rejected cut leaves the source as it was: no buffer fitted for a capture. */
	KUNIT_EXPECT_EQ(test, c->log->fit, (size_t)0);
	KUNIT_EXPECT_PTR_EQ(test, c->a->rec, NULL);
}

static void arm_rejects_entries_that_do_not_match_the_offset(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	c->cut->entries++;
	expect_rejected(test, c, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm), -EINVAL);
}

static void arm_rejects_an_offset_inside_a_record(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	c->cut->offset -= 3;
	expect_rejected(test, c, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm), -EINVAL);
}

static void arm_rejects_an_offset_beyond_the_log(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	c->cut->offset = c->f->log_len + 100;
	expect_rejected(test, c, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm), -EINVAL);
}

static void arm_rejects_a_bank_the_tpm_does_not_have(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	c->tpm->banks = 1U << IMASNAP_BANK_SHA256;
	expect_rejected(test, c, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm), -EINVAL);
}

static void arm_rejects_malformed_text(struct kunit *test)
{
	struct arm_ctx *c = test->priv;
	struct imasnap_source src = buf_source_of(c->log);
	static const char text[] = "Snapshot_Attempt_Count=1;Entries=5;Offset=x";

	expect_rejected(test, c,
			imasnap_arm(c->a, text, sizeof(text) - 1, WINDOW_SIZE, &c->tpm->tpm, c->h,
				    &src),
			-EINVAL);
}

static void arm_refuses_without_a_window(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	expect_rejected(test, c, arm_text(test, c, 0, &c->tpm->tpm), -ENODEV);
}

static void arm_refuses_without_a_tpm(struct kunit *test)
{
	struct arm_ctx *c = test->priv;
	struct imasnap_tpm none = {};

	expect_rejected(test, c, arm_text(test, c, WINDOW_SIZE, &none), -ENODEV);
}

static void arm_refuses_a_window_too_small_for_the_state(struct kunit *test)
{
	struct arm_ctx *c = test->priv;

	expect_rejected(test, c, arm_text(test, c, 256, &c->tpm->tpm), -EINVAL);
}

static void arm_again_replaces_the_previous_cut(struct kunit *test)
{
	struct arm_ctx *c = test->priv;
	struct buf_source *first = c->log;

	KUNIT_ASSERT_EQ(test, 0, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm));
	c->log = kunit_buf_source(test, c->f->log_len);
	buf_source_append(c->log, c->f->log, c->f->log_len);
	c->cut->seq = 2;
	KUNIT_ASSERT_EQ(test, 0, arm_text(test, c, WINDOW_SIZE, &c->tpm->tpm));
	KUNIT_EXPECT_TRUE(test, first->closed);
	KUNIT_EXPECT_EQ(test, c->a->cut.seq, 2ULL);
}

static struct kunit_case arm_test_cases[] = {
	KUNIT_CASE(arm_positions_the_log_at_the_cut),
	KUNIT_CASE(arm_fits_the_log_to_the_tail_buffer),
	KUNIT_CASE(arm_accepts_a_trailing_newline),
	KUNIT_CASE(arm_rejects_entries_that_do_not_match_the_offset),
	KUNIT_CASE(arm_rejects_an_offset_inside_a_record),
	KUNIT_CASE(arm_rejects_an_offset_beyond_the_log),
	KUNIT_CASE(arm_rejects_a_bank_the_tpm_does_not_have),
	KUNIT_CASE(arm_rejects_malformed_text),
	KUNIT_CASE(arm_refuses_without_a_window),
	KUNIT_CASE(arm_refuses_without_a_tpm),
	KUNIT_CASE(arm_refuses_a_window_too_small_for_the_state),
	KUNIT_CASE(arm_again_replaces_the_previous_cut),
	{}
};

static struct kunit_suite arm_test_suite = {
	.name = "imasnap_arm",
	.init = arm_init,
	.exit = arm_exit,
	.test_cases = arm_test_cases,
};

kunit_test_suite(arm_test_suite);
