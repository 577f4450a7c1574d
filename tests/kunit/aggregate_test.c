// SPDX-License-Identifier: GPL-2.0
/* KUnit: snapshot_aggregate and cut grammar (lib/aggregate.c). */
#include <linux/slab.h>

#include "kunit_util.h"

#define SHARD "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"
#define TAIL "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define S1 "60a95fb221f04ff1f8f4831eb376eef438ec2646"
#define S2 "188307cb9023df6d33b442f6b17587910ef0dee9cf0bb9c139d6ec0ae6589cea"
#define UPPER_SHARD "5D41402ABC4B2A76B9719D911017C5925D41402ABC4B2A76B9719D911017C592"
#define CUT_HEAD "Snapshot_Attempt_Count=0;Entries=7;Offset=1234;Shard=sha256:" SHARD

static const char snapshot[] = "Snapshot_Attempt_Count=2;Entries=5012;Shard=sha256:" SHARD
			       ";Tail=sha256:" TAIL ";TailEntries=3;sha1:PCR10:0x" S1 ",PCR11:0x" S1
			       ";sha256:PCR10:0x" S2;

static void aggregate_build_round_trips_parse(struct kunit *test)
{
	struct imasnap_aggregate *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	char *buf = kunit_kzalloc(test, IMASNAP_AGGREGATE_MAX_LEN, GFP_KERNEL);
	struct imasnap_err err;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, 0,
			imasnap_aggregate_parse(IMASNAP_AGG_SNAPSHOT, snapshot, strlen(snapshot), a,
						&err));
	KUNIT_EXPECT_EQ(test, a->seq, 2ULL);
	KUNIT_EXPECT_EQ(test, a->entries, 5012ULL);
	KUNIT_EXPECT_EQ(test, a->tail_entries, 3ULL);
	KUNIT_EXPECT_EQ(test, a->state.pcr_mask[IMASNAP_BANK_SHA1], (1U << 10) | (1U << 11));
	KUNIT_EXPECT_EQ(test, (int)strlen(snapshot),
			imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, a, buf,
						IMASNAP_AGGREGATE_MAX_LEN));
	KUNIT_EXPECT_STREQ(test, buf, snapshot);
	KUNIT_EXPECT_EQ(test, -ENOSPC,
			imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, a, buf, strlen(snapshot)));
}

struct bad_cut {
	const char *text;
	const char *reason;
};

static const struct bad_cut bad_cuts[] = {
	{ "", "unexpected text" },
	{ "Snapshot_Attempt_Count=01;", "number has a leading zero" },
	{ "Snapshot_Attempt_Count=18446744073709551616;", "number too large" },
	{ CUT_HEAD, "no PCR values" },
	{ CUT_HEAD ";", "unknown PCR bank" },
	{ CUT_HEAD ";md5:PCR10:0x" S2, "unknown PCR bank" },
	{ CUT_HEAD ";sha256:PCR10:0x" S1, "digest too short" },
	{ CUT_HEAD ";sha1:PCR10:0x" S2, "digest too long for its bank" },
	{ CUT_HEAD ";sha256:PCR24:0x" S2, "PCR index out of range" },
	{ CUT_HEAD ";sha256:PCR11:0x" S2 ",PCR10:0x" S2, "PCRs out of order or repeated" },
	{ CUT_HEAD ";sha256:PCR10:0x" S2 ";sha1:PCR10:0x" S1,
	  "PCR banks out of order or repeated" },
	{ CUT_HEAD ";sha256:PCR10:0x" S2 ",", "unexpected text" },
	{ CUT_HEAD ";sha256:PCR10:0x" S2 "\n", "unexpected text" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1234;Shard=sha256:" UPPER_SHARD
	  ";sha256:PCR10:0x" S2,
	  "expected a lowercase hex digit" },
};

static void bad_cut_desc(const struct bad_cut *c, char *desc)
{
	strscpy(desc, c->reason, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_cut, bad_cuts, bad_cut_desc);

static void aggregate_parse_rejects_each_malformed_cut(struct kunit *test)
{
	const struct bad_cut *c = test->param_value;
	struct imasnap_aggregate *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct imasnap_err err = {};

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			imasnap_aggregate_parse(IMASNAP_AGG_CUT, c->text, strlen(c->text), a,
						&err));
	KUNIT_EXPECT_STREQ(test, err.reason, c->reason);
}

static struct kunit_case aggregate_test_cases[] = {
	KUNIT_CASE(aggregate_build_round_trips_parse),
	KUNIT_CASE_PARAM(aggregate_parse_rejects_each_malformed_cut, bad_cut_gen_params),
	{}
};

static struct kunit_suite aggregate_test_suite = {
	.name = "imasnap_aggregate",
	.test_cases = aggregate_test_cases,
};

kunit_test_suite(aggregate_test_suite);
