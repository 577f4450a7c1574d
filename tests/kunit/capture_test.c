// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the capture at kexec (module/capture.c) with a fake TPM whose PCRs
 * are those a real TPM reported after the whole log: the tail must replay
 * from the armed state to them.
 */
#include <linux/slab.h>

#include "kunit_util.h"

#define WINDOW_SIZE (64 * 1024)

struct cap_ctx {
	const struct imasnap_fixture *f;
	struct imasnap_khash *h;
	struct fake_tpm *tpm;
	struct kunit_armed arm;
	u8 *window;
	struct imasnap_record *rec;
};

static struct cap_ctx *cap_setup(struct kunit *test, const char *fixture, unsigned int cut_at,
				 size_t window)
{
	struct cap_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->f = kunit_fixture(test, fixture);
	c->h = kunit_khash(test);
	c->tpm = kunit_fake_tpm(test, kunit_bank_mask(test, c->f->banks));
	c->tpm->pcrs = *kunit_fixture_pcrs(test, c->f);
	kunit_arm(test, c->f, cut_at, window, c->tpm, c->h, &c->arm);
	/* IMA measures more: the tail. */
	buf_source_append(c->arm.log, c->f->log + c->arm.cut_offset,
			  c->f->log_len - c->arm.cut_offset);
	c->window = kunit_kzalloc(test, window, GFP_KERNEL);
	c->rec = kunit_kzalloc(test, sizeof(*c->rec), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->window);
	KUNIT_ASSERT_NOT_NULL(test, c->rec);
	return c;
}

/* Capture into the window; decode what was written. */
static int cap_run(struct kunit *test, struct cap_ctx *c, size_t window)
{
	struct imasnap_err err;
	u32 flags = 0;
	size_t len;
	int ret;

	len = imasnap_capture_read_tail(c->arm.a, &flags);
	ret = imasnap_capture(c->arm.a, len, flags, &c->tpm->tpm, c->h, c->window, window, 0);
	KUNIT_ASSERT_GE(test, ret, 0);
	KUNIT_ASSERT_EQ_MSG(test, 0,
			    imasnap_record_decode(c->window, window, c->rec, &c->h->ops, &err),
			    "%s", err.reason);
	KUNIT_EXPECT_EQ(test, c->rec->flags, (u32)ret);
	return ret;
}

static void capture_verifies_a_tail_that_reaches_the_tpm(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "ima-ng-sha1-sha256", 4, WINDOW_SIZE);

	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_TAIL_VERIFIED);
	KUNIT_EXPECT_EQ(test, c->rec->tail_entries, c->f->records - 4);
	KUNIT_EXPECT_EQ(test, (size_t)c->rec->tail_size, c->f->log_len - c->arm.cut_offset);
	IMASNAP_EXPECT_MEMEQ(test, c->rec->tail, c->f->log + c->arm.cut_offset, c->rec->tail_size);
	KUNIT_EXPECT_EQ(test, c->rec->entries, 4ULL);
	KUNIT_EXPECT_EQ(test, c->rec->seq, 7ULL);
	KUNIT_EXPECT_EQ(test, c->rec->reset_count, 3ULL);
	IMASNAP_EXPECT_MEMEQ(test, c->rec->pcrs.pcr[IMASNAP_BANK_SHA256][10],
			     c->tpm->pcrs.pcr[IMASNAP_BANK_SHA256][10], 32);
}

static void capture_verifies_banks_under_the_padded_rule(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "sha384-sha512", 3, WINDOW_SIZE);

	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_TAIL_VERIFIED);
}

static void capture_verifies_an_empty_tail(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "pcr11", 7, WINDOW_SIZE);

	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_TAIL_VERIFIED);
	KUNIT_EXPECT_EQ(test, c->rec->tail_entries, 0U);
}

static void capture_flags_a_tail_that_misses_the_tpm(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "pcr11", 3, WINDOW_SIZE);

	c->tpm->pcrs.pcr[IMASNAP_BANK_SHA1][11][0] ^= 1;
	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_TAIL_MISMATCH);
	KUNIT_EXPECT_EQ(test, c->rec->tail_entries, c->f->records - 3);
}

static void capture_flags_a_tail_larger_than_the_window(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "violations", 2, 1024);

	KUNIT_EXPECT_EQ(test, cap_run(test, c, 1024), IMASNAP_REC_TAIL_TRUNCATED);
	KUNIT_EXPECT_EQ(test, c->rec->tail_size, 0U);
}

static void capture_flags_a_tpm_that_fails(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "ima-sig", 4, WINDOW_SIZE);

	c->tpm->pcr_err = -EIO;
	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_NO_TPM);
	KUNIT_EXPECT_EQ(test, c->rec->pcrs.pcr_mask[IMASNAP_BANK_SHA1], 0U);
}

static void capture_flags_a_tpm_clock_that_fails(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "ima-sig", 4, WINDOW_SIZE);

	c->tpm->clock_err = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_NO_TPM);
}

static void capture_flags_a_log_that_cannot_be_read(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "ima-sig", 4, WINDOW_SIZE);

	c->arm.log->err = -EIO;
	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_TAIL_UNREADABLE);
}

static void capture_gives_one_verdict_when_several_things_fail(struct kunit *test)
{
	struct cap_ctx *c = cap_setup(test, "ima-sig", 4, WINDOW_SIZE);

	c->arm.log->err = -EIO;
	c->tpm->clock_err = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, cap_run(test, c, WINDOW_SIZE), IMASNAP_REC_TAIL_UNREADABLE);
}

static struct kunit_case capture_test_cases[] = {
	KUNIT_CASE(capture_verifies_a_tail_that_reaches_the_tpm),
	KUNIT_CASE(capture_verifies_banks_under_the_padded_rule),
	KUNIT_CASE(capture_verifies_an_empty_tail),
	KUNIT_CASE(capture_flags_a_tail_that_misses_the_tpm),
	KUNIT_CASE(capture_flags_a_tail_larger_than_the_window),
	KUNIT_CASE(capture_flags_a_tpm_that_fails),
	KUNIT_CASE(capture_flags_a_tpm_clock_that_fails),
	KUNIT_CASE(capture_flags_a_log_that_cannot_be_read),
	KUNIT_CASE(capture_gives_one_verdict_when_several_things_fail),
	{}
};

static struct kunit_suite capture_test_suite = {
	.name = "imasnap_capture",
	.test_cases = capture_test_cases,
};

kunit_test_suite(capture_test_suite);
