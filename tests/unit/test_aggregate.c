// SPDX-License-Identifier: GPL-2.0
/* snapshot_aggregate and cut grammar (lib/aggregate.c): build, strict parse. */
#include <stdlib.h>

#include "fixture.h"

#define SHARD "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"
#define TAIL  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define S1_10 "60a95fb221f04ff1f8f4831eb376eef438ec2646"
#define S1_11 "0000000000000000000000000000000000000001"
#define S2_10 "188307cb9023df6d33b442f6b17587910ef0dee9cf0bb9c139d6ec0ae6589cea"

static const char snapshot[] =
	"Snapshot_Attempt_Count=2;Entries=5012;Shard=sha256:" SHARD
	";Tail=sha256:" TAIL ";TailEntries=3;sha1:PCR10:0x" S1_10
	",PCR11:0x" S1_11 ";sha256:PCR10:0x" S2_10;

static const char cut[] =
	"Snapshot_Attempt_Count=0;Entries=7;Offset=1234;Shard=sha256:" SHARD
	";sha256:PCR10:0x" S2_10;

static void aggregate_parse_reads_every_field(void **state)
{
	struct imasnap_aggregate a;
	struct imasnap_err err;
	u8 d[32];

	(void)state;
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_SNAPSHOT, snapshot,
						 strlen(snapshot), &a, &err), 0);
	assert_int_equal(a.seq, 2);
	assert_int_equal(a.entries, 5012);
	assert_int_equal(a.tail_entries, 3);
	imasnap_hex_decode(SHARD, 64, d);
	assert_memory_equal(a.shard, d, 32);
	imasnap_hex_decode(TAIL, 64, d);
	assert_memory_equal(a.tail, d, 32);
	assert_int_equal(a.state.pcr_mask[IMASNAP_BANK_SHA1], (1U << 10) | (1U << 11));
	assert_int_equal(a.state.pcr_mask[IMASNAP_BANK_SHA256], 1U << 10);
	imasnap_hex_decode(S2_10, 64, d);
	assert_memory_equal(a.state.pcr[IMASNAP_BANK_SHA256][10], d, 32);
}

static void aggregate_build_round_trips_parse(void **state)
{
	static const struct {
		enum imasnap_aggregate_kind kind;
		const char *text;
	} cases[] = { { IMASNAP_AGG_SNAPSHOT, snapshot }, { IMASNAP_AGG_CUT, cut } };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct imasnap_aggregate a;
		struct imasnap_err err;
		char buf[IMASNAP_AGGREGATE_MAX_LEN];
		int len;

		assert_int_equal(imasnap_aggregate_parse(cases[i].kind, cases[i].text,
							 strlen(cases[i].text), &a, &err), 0);
		len = imasnap_aggregate_build(cases[i].kind, &a, buf, sizeof(buf));
		assert_int_equal(len, (int)strlen(cases[i].text));
		assert_string_equal(buf, cases[i].text);
	}
}

static void aggregate_build_writes_every_bank_and_pcr(void **state)
{
	struct imasnap_aggregate *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	static char buf[IMASNAP_AGGREGATE_MAX_LEN];
	struct imasnap_err err;
	u8 d[IMASNAP_MAX_DIGEST_SIZE];
	int bank, len;
	u32 p;

	(void)state;
	a->seq = UINT64_MAX;
	a->entries = 0;
	a->tail_entries = 1;
	for (bank = 0; bank < IMASNAP_NR_BANKS; bank++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			memset(d, (int)(bank * 24 + p), sizeof(d));
			imasnap_state_set(&a->state, bank, p, d);
		}
	len = imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, a, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_SNAPSHOT, buf, (size_t)len, b, &err), 0);
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
}

static void aggregate_build_refuses_small_buffers_and_empty_state(void **state)
{
	struct imasnap_aggregate a;
	struct imasnap_err err;
	char buf[sizeof(snapshot)];
	size_t size;

	(void)state;
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_SNAPSHOT, snapshot,
						 strlen(snapshot), &a, &err), 0);
	for (size = 0; size < sizeof(snapshot); size++)
		assert_int_equal(imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, &a, buf, size),
				 -ENOSPC);
	assert_int_equal(imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, &a, buf, sizeof(buf)),
			 (int)strlen(snapshot));
	imasnap_state_init(&a.state);
	assert_int_equal(imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, &a, buf, sizeof(buf)),
			 -EINVAL);
}

static const struct {
	const char *text;
	const char *reason;
} bad_cuts[] = {
	{ "", "unexpected text" },
	{ "Snapshot_Attempt_Count=;Entries=7", "expected a decimal number" },
	{ "Snapshot_Attempt_Count=01;Entries=7", "number has a leading zero" },
	{ "Snapshot_Attempt_Count=18446744073709551616;", "number too large" },
	{ "Snapshot_Attempt_Count=-1;", "expected a decimal number" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Shard=sha256:" SHARD, "unexpected text" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD, "no PCR values" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD ";",
	  "unknown PCR bank" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:0x" S2_10 ";", "unknown PCR bank" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";md5:PCR10:0x" S2_10, "unknown PCR bank" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:5D41402ABC4B2A76B9719D911017C5925D41402ABC4B2A76B9719D911017C592"
	  ";sha256:PCR10:0x" S2_10, "expected a lowercase hex digit" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:0x" S1_10, "digest too short" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha1:PCR10:0x" S2_10, "digest too long for its bank" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR24:0x" S2_10, "PCR index out of range" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR11:0x" S2_10 ",PCR10:0x" S2_10, "PCRs out of order or repeated" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:0x" S2_10 ",PCR10:0x" S2_10, "PCRs out of order or repeated" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:0x" S2_10 ";sha1:PCR10:0x" S1_10, "PCR banks out of order or repeated" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:0x" S2_10 ",", "unexpected text" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:0x" S2_10 "\n", "unexpected text" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:pcr10:0x" S2_10, "unexpected text" },
	{ "Snapshot_Attempt_Count=0;Entries=7;Offset=1;Shard=sha256:" SHARD
	  ";sha256:PCR10:" S2_10, "unexpected text" },
	{ "Snapshot_Attempt_Count=0; Entries=7", "unexpected text" },
};

static void aggregate_parse_rejects_every_non_canonical_cut(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cuts) / sizeof(bad_cuts[0]); i++) {
		struct imasnap_aggregate a;
		struct imasnap_err err = { 0 };
		int ret = imasnap_aggregate_parse(IMASNAP_AGG_CUT, bad_cuts[i].text,
						  strlen(bad_cuts[i].text), &a, &err);

		if (ret != -EINVAL || strcmp(err.reason, bad_cuts[i].reason))
			fail_msg("case %zu: got %d '%s', want '%s'", i, ret,
				 ret ? err.reason : "", bad_cuts[i].reason);
		assert_true(err.offset <= strlen(bad_cuts[i].text));
	}
}

static void aggregate_parse_rejects_a_cut_as_a_snapshot_and_back(void **state)
{
	struct imasnap_aggregate a;
	struct imasnap_err err;

	(void)state;
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_SNAPSHOT, cut, strlen(cut), &a, &err),
			 -EINVAL);
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_CUT, snapshot, strlen(snapshot),
						 &a, &err), -EINVAL);
}

static void aggregate_parse_stops_at_len_and_rejects_embedded_nul(void **state)
{
	char buf[sizeof(cut) + 8];
	struct imasnap_aggregate a;
	struct imasnap_err err;

	(void)state;
	memcpy(buf, cut, sizeof(cut));
	buf[40] = '\0';
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_CUT, buf, strlen(cut), &a, &err),
			 -EINVAL);
	/* Shorter len: the last digest is cut short. */
	assert_int_equal(imasnap_aggregate_parse(IMASNAP_AGG_CUT, cut, strlen(cut) - 1, &a, &err),
			 -EINVAL);
	assert_string_equal(err.reason, "digest too short");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aggregate_parse_reads_every_field),
		cmocka_unit_test(aggregate_build_round_trips_parse),
		cmocka_unit_test(aggregate_build_writes_every_bank_and_pcr),
		cmocka_unit_test(aggregate_build_refuses_small_buffers_and_empty_state),
		cmocka_unit_test(aggregate_parse_rejects_every_non_canonical_cut),
		cmocka_unit_test(aggregate_parse_rejects_a_cut_as_a_snapshot_and_back),
		cmocka_unit_test(aggregate_parse_stops_at_len_and_rejects_embedded_nul),
	};

	return cmocka_run_group_tests_name("imasnap_aggregate", tests, NULL, NULL);
}
