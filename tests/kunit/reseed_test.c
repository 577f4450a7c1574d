// SPDX-License-Identifier: GPL-2.0
/* KUnit: the snapshot_aggregate text the next kernel measures (module/reseed.c). */
#include <linux/slab.h>

#include "kunit_util.h"

#define D11 "1111111111111111111111111111111111111111111111111111111111111111"
#define DEE "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define DAB20 "abababababababababababababababababababab"
#define DAB32 "abababababababababababababababababababababababababababababababab"
#define D0132 "0101010101010101010101010101010101010101010101010101010101010101"

static const char expected_text[] =
	"Snapshot_Attempt_Count=3;Entries=5012;Shard=sha256:" D11 ";Tail=sha256:" DEE
	";TailEntries=12;sha1:PCR10:0x" DAB20 ";sha256:PCR10:0x" DAB32 ",PCR11:0x" D0132;

static void reseed_text_names_the_state_shard_tail_and_counts(struct kunit *test)
{
	struct imasnap_record *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	char *buf = kunit_kzalloc(test, IMASNAP_AGGREGATE_MAX_LEN, GFP_KERNEL);
	u8 d[IMASNAP_MAX_DIGEST_SIZE];
	int len;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	r->seq = 3;
	r->entries = 5000;
	r->tail_entries = 12;
	memset(r->shard_digest, 0x11, 32);
	memset(r->tail_digest, 0xee, 32);
	memset(d, 0xab, sizeof(d));
	imasnap_state_set(&r->pcrs, IMASNAP_BANK_SHA1, 10, d);
	imasnap_state_set(&r->pcrs, IMASNAP_BANK_SHA256, 10, d);
	memset(d, 0x01, sizeof(d));
	imasnap_state_set(&r->pcrs, IMASNAP_BANK_SHA256, 11, d);
	/* the armed state is not what the next log starts from */
	imasnap_state_set(&r->armed, IMASNAP_BANK_SHA1, 10, d);

	len = imasnap_reseed_text(r, buf, IMASNAP_AGGREGATE_MAX_LEN);
	KUNIT_EXPECT_STREQ(test, buf, expected_text);
	KUNIT_EXPECT_EQ(test, len, (int)strlen(buf));
}

static void reseed_text_refuses_a_record_without_pcrs(struct kunit *test)
{
	struct imasnap_record *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	char buf[64];

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, -EINVAL, imasnap_reseed_text(r, buf, sizeof(buf)));
}

static struct kunit_case reseed_test_cases[] = {
	KUNIT_CASE(reseed_text_names_the_state_shard_tail_and_counts),
	KUNIT_CASE(reseed_text_refuses_a_record_without_pcrs),
	{}
};

static struct kunit_suite reseed_test_suite = {
	.name = "imasnap_reseed",
	.test_cases = reseed_test_cases,
};

kunit_test_suite(reseed_test_suite);
