// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the next kernel taking the record from the window
 * (module/receive.c): only a fresh record with a verified tail is accepted,
 * a readable record is consumed once, an unreadable one is left in place.
 */
#include <linux/slab.h>

#include "kunit_util.h"

#define WINDOW_SIZE (16 * 1024)

struct recv_ctx {
	struct imasnap_khash *h;
	struct fake_tpm *tpm;
	u8 *window;
	struct imasnap_carried *out;
};

static void recv_free(struct kunit_resource *res)
{
	imasnap_carried_free(res->data);
}

static int recv_res_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

/* The window as the previous kernel's capture left it. */
static struct recv_ctx *recv_setup(struct kunit *test, u32 capture_flags)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "ima-ng-sha1-sha256");
	struct recv_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct kunit_armed arm;
	u32 flags = capture_flags;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->h = kunit_khash(test);
	c->tpm = kunit_fake_tpm(test, kunit_bank_mask(test, f->banks));
	c->tpm->pcrs = *kunit_fixture_pcrs(test, f);
	if (capture_flags & IMASNAP_REC_TAIL_MISMATCH)
		c->tpm->pcrs.pcr[IMASNAP_BANK_SHA256][10][3] ^= 1;
	kunit_arm(test, f, 4, WINDOW_SIZE, c->tpm, c->h, &arm);
	buf_source_append(arm.log, f->log + arm.cut_offset, f->log_len - arm.cut_offset);
	c->window = kunit_kzalloc(test, WINDOW_SIZE, GFP_KERNEL);
	c->out = kunit_kzalloc(test, sizeof(*c->out), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->window);
	KUNIT_ASSERT_NOT_NULL(test, c->out);
	KUNIT_ASSERT_PTR_EQ(test, (void *)c->out,
			    kunit_alloc_resource(test, recv_res_init, recv_free, GFP_KERNEL,
						 c->out));
	flags &= ~IMASNAP_REC_TAIL_MISMATCH;
	len = imasnap_capture_read_tail(arm.a, &flags);
	KUNIT_ASSERT_GE(test,
			imasnap_capture(arm.a, len, flags, &c->tpm->tpm, c->h, c->window,
					WINDOW_SIZE, 0),
			0);
	return c;
}

static bool window_is_zero(const u8 *w)
{
	return !memchr_inv(w, 0, WINDOW_SIZE);
}

static void consume_accepts_a_fresh_verified_record(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);

	KUNIT_EXPECT_EQ(test, 0,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_EQ(test, c->out->state, IMASNAP_CARRIED_ACCEPTED);
	KUNIT_EXPECT_EQ(test, c->out->rec.tail_entries, 3U);
	KUNIT_EXPECT_NOT_NULL(test, c->out->buf);
	/* the tail points into the copy, not into the window */
	KUNIT_EXPECT_PTR_EQ(test, c->out->rec.tail,
			    (const u8 *)c->out->buf + c->out->len - c->out->rec.tail_size);
	KUNIT_EXPECT_TRUE(test, window_is_zero(c->window));
}

static void consume_takes_a_record_only_once(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);

	KUNIT_ASSERT_EQ(test, 0,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	imasnap_carried_free(c->out);
	KUNIT_EXPECT_EQ(test, 0,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_EQ(test, c->out->state, IMASNAP_CARRIED_NONE);
}

static void consume_rejects_a_record_from_before_a_tpm_reset(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);

	c->tpm->reset_count++;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_EQ(test, c->out->state, IMASNAP_CARRIED_REJECTED);
	KUNIT_EXPECT_STREQ(test, c->out->reason,
			   "stale record: the TPM was reset since it was written");
	KUNIT_EXPECT_TRUE(test, window_is_zero(c->window));
}

static void consume_rejects_a_record_from_before_a_restart(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);

	c->tpm->restart_count++;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_STREQ(test, c->out->reason,
			   "stale record: the TPM was reset since it was written");
}

static void consume_rejects_a_forged_record_and_leaves_it(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);
	u8 *before = kunit_kmalloc(test, WINDOW_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, before);
	c->window[sizeof(struct imasnap_record_hdr) + 12] ^= 0x40; /* a PCR value */
	memcpy(before, c->window, WINDOW_SIZE);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_STREQ(test, c->out->reason, "record self-digest does not match");
	KUNIT_EXPECT_NULL(test, c->out->buf);
	IMASNAP_EXPECT_MEMEQ(test, before, c->window, WINDOW_SIZE);
}

static void consume_takes_a_window_without_magic_for_no_record(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);
	u8 *before = kunit_kmalloc(test, WINDOW_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, before);
	memset(c->window, 0xa5, 512);	/* what RAM held at a cold boot */
	memcpy(before, c->window, WINDOW_SIZE);
	KUNIT_EXPECT_EQ(test, 0,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_EQ(test, c->out->state, IMASNAP_CARRIED_NONE);
	KUNIT_EXPECT_STREQ(test, c->out->reason, "no handoff record in the window");
	KUNIT_EXPECT_NULL(test, c->out->buf);
	IMASNAP_EXPECT_MEMEQ(test, before, c->window, WINDOW_SIZE);
}

static void consume_rejects_a_record_of_another_version(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);

	c->window[4] ^= 0x7;	/* version, right after the magic */
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_EQ(test, c->out->state, IMASNAP_CARRIED_REJECTED);
}

static void consume_rejects_a_tail_that_missed_the_tpm(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, IMASNAP_REC_TAIL_MISMATCH);

	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_STREQ(test, c->out->reason,
			   "the tail does not replay from the armed state to the TPM's PCRs");
	/* readable: kept for userspace, wiped from the window */
	KUNIT_EXPECT_NOT_NULL(test, c->out->buf);
	KUNIT_EXPECT_TRUE(test, window_is_zero(c->window));
}

static void consume_rejects_a_record_without_a_tpm_to_check_it(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);
	struct imasnap_tpm none = {};

	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_consume(c->window, WINDOW_SIZE, &none, &c->h->ops, c->out));
	KUNIT_EXPECT_STREQ(test, c->out->reason, "no TPM to check the record's freshness");
}

static void consume_finds_nothing_in_an_empty_window(struct kunit *test)
{
	struct recv_ctx *c = recv_setup(test, 0);

	memset(c->window, 0, WINDOW_SIZE);
	KUNIT_EXPECT_EQ(test, 0,
			imasnap_consume(c->window, WINDOW_SIZE, &c->tpm->tpm, &c->h->ops, c->out));
	KUNIT_EXPECT_EQ(test, c->out->state, IMASNAP_CARRIED_NONE);
}

static struct kunit_case receive_test_cases[] = {
	KUNIT_CASE(consume_accepts_a_fresh_verified_record),
	KUNIT_CASE(consume_takes_a_record_only_once),
	KUNIT_CASE(consume_rejects_a_record_from_before_a_tpm_reset),
	KUNIT_CASE(consume_rejects_a_record_from_before_a_restart),
	KUNIT_CASE(consume_rejects_a_forged_record_and_leaves_it),
	KUNIT_CASE(consume_takes_a_window_without_magic_for_no_record),
	KUNIT_CASE(consume_rejects_a_record_of_another_version),
	KUNIT_CASE(consume_rejects_a_tail_that_missed_the_tpm),
	KUNIT_CASE(consume_rejects_a_record_without_a_tpm_to_check_it),
	KUNIT_CASE(consume_finds_nothing_in_an_empty_window),
	{}
};

static struct kunit_suite receive_test_suite = {
	.name = "imasnap_receive",
	.test_cases = receive_test_cases,
};

kunit_test_suite(receive_test_suite);
