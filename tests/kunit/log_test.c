// SPDX-License-Identifier: GPL-2.0
/* KUnit: the IMA binary log parser (lib/log.c) in the kernel. */
#include <linux/slab.h>

#include "kunit_util.h"

static void put32(u8 *p, u32 v, bool be)
{
	if (be)
		put_unaligned_be32(v, p);
	else
		put_unaligned_le32(v, p);
}

static void log_next_parses_every_record_of_real_logs(struct kunit *test)
{
	const struct imasnap_fixture *f = test->param_value;
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t pos = 0;
	int ret;

	imasnap_log_init(&log, IMASNAP_LOG_LE);
	while ((ret = imasnap_log_next(&log, f->log + pos, f->log_len - pos, true, &rec, &err)) >
	       0) {
		KUNIT_EXPECT_EQ(test, rec.offset, (u64)pos);
		pos += ret;
	}
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, log.index, (u64)f->records);
	KUNIT_EXPECT_EQ(test, pos, f->log_len);
}

static void log_next_rejects_truncation_inside_any_record(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "ima-legacy");
	size_t cut;

	for (cut = 1; cut < f->log_len; cut++) {
		struct imasnap_log_record rec;
		struct imasnap_log log;
		struct imasnap_err err;
		size_t pos = 0;
		int ret;

		imasnap_log_init(&log, IMASNAP_LOG_LE);
		while ((ret = imasnap_log_next(&log, f->log + pos, cut - pos, true, &rec, &err)) >
		       0)
			pos += ret;
		if (pos == cut)
			continue; /* cut between records: a shorter log */
		KUNIT_ASSERT_EQ(test, ret, -EBADMSG);
		KUNIT_EXPECT_STREQ(test, err.reason, "truncated record");
		KUNIT_EXPECT_EQ(test, err.offset, (u64)pos);
	}
}

static void log_next_reads_big_endian_logs_like_little_endian(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "pcr11");
	u8 *be = kunit_kmalloc(test, f->log_len, GFP_KERNEL);
	struct imasnap_log_record a, b;
	struct imasnap_log la, lb;
	enum imasnap_log_order order;
	struct imasnap_err err;
	size_t pos;
	int ra, rb;
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, be);
	memcpy(be, f->log, f->log_len);
	imasnap_log_init(&la, IMASNAP_LOG_LE);
	for (pos = 0; pos < f->log_len; pos += ra) {
		u32 fpos = 0, fl;
		const u8 *d;

		ra = imasnap_log_next(&la, f->log + pos, f->log_len - pos, true, &a, &err);
		KUNIT_ASSERT_GT(test, ra, 0);
		put32(be + pos, a.pcr, true);
		put32(be + pos + 24, a.name_len, true);
		put32(be + pos + 28 + a.name_len, a.data_len, true);
		for (i = 0; i < a.nr_fields; i++) {
			KUNIT_ASSERT_EQ(test, 0, imasnap_log_field(&la, &a, i, &d, &fl));
			put32(be + pos + 32 + a.name_len + fpos, fl, true);
			fpos += 4 + fl;
		}
	}
	KUNIT_ASSERT_EQ(test, 0, imasnap_log_guess_order(be, f->log_len, &order));
	KUNIT_EXPECT_EQ(test, order, IMASNAP_LOG_BE);
	imasnap_log_init(&la, IMASNAP_LOG_LE);
	imasnap_log_init(&lb, IMASNAP_LOG_BE);
	for (pos = 0; pos < f->log_len; pos += ra) {
		ra = imasnap_log_next(&la, f->log + pos, f->log_len - pos, true, &a, &err);
		rb = imasnap_log_next(&lb, be + pos, f->log_len - pos, true, &b, &err);
		KUNIT_ASSERT_GT(test, ra, 0);
		KUNIT_EXPECT_EQ(test, ra, rb);
		KUNIT_EXPECT_EQ(test, a.pcr, b.pcr);
		KUNIT_EXPECT_EQ(test, a.data_len, b.data_len);
	}
}

struct malformed_case {
	const char *what;
	u32 pcr;
	const char *tname;
	u32 name_len_override; /* 0: strlen(tname) */
	u32 nfields;
	u32 flen[16];
	s32 data_len_delta; /* added to the true template data length */
	const char *reason;
};

static const struct malformed_case malformed_cases[] = {
	{ "pcr 64", 64, "ima-ng", 0, 2, { 40, 5 }, 0, "PCR index out of range" },
	{ "name length 256", 10, "x", 256, 1, { 4 }, 0, "template name length out of range" },
	{ "space in name",
	  10,
	  "ima ng",
	  0,
	  2,
	  { 40, 5 },
	  0,
	  "template name has a character IMA never writes" },
	{ "field beyond data",
	  10,
	  "ima-ng",
	  0,
	  2,
	  { 40, 5 },
	  -2,
	  "template field longer than the template data" },
	{ "length word cut",
	  10,
	  "custom",
	  0,
	  2,
	  { 40, 5 },
	  -7,
	  "template field length crosses the end of the template data" },
	{ "16 fields", 10, "custom", 0, 16, { 0 }, 0, "too many template fields" },
	{ "ima-ng with 3 fields",
	  10,
	  "ima-ng",
	  0,
	  3,
	  { 40, 5, 0 },
	  0,
	  "wrong number of fields for the template" },
	{ "ima-sig with 2 fields",
	  10,
	  "ima-sig",
	  0,
	  2,
	  { 40, 5 },
	  0,
	  "wrong number of fields for the template" },
};

static void malformed_desc(const struct malformed_case *c, char *desc)
{
	strscpy(desc, c->what, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(malformed, malformed_cases, malformed_desc);

static void log_next_rejects_each_malformed_record_class(struct kunit *test)
{
	const struct malformed_case *c = test->param_value;
	u8 *buf = kunit_kzalloc(test, 2048, GFP_KERNEL);
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err = {};
	size_t pos = 0, dpos, nl = strlen(c->tname);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	put32(buf, c->pcr, false);
	memset(buf + 4, 0x11, 20);
	put32(buf + 24, c->name_len_override ?: nl, false);
	memcpy(buf + 28, c->tname, nl);
	pos = 28 + nl;
	dpos = pos;
	pos += 4;
	for (i = 0; i < c->nfields; i++) {
		put32(buf + pos, c->flen[i], false);
		pos += 4 + c->flen[i];
	}
	put32(buf + dpos, (u32)(pos - dpos - 4 + c->data_len_delta), false);
	if (c->data_len_delta < 0)
		pos += c->data_len_delta;
	if (c->name_len_override)
		pos += c->name_len_override;

	imasnap_log_init(&log, IMASNAP_LOG_LE);
	log.offset = 500;
	log.index = 9;
	KUNIT_ASSERT_EQ(test, -EBADMSG, imasnap_log_next(&log, buf, pos, true, &rec, &err));
	KUNIT_EXPECT_STREQ(test, err.reason, c->reason);
	KUNIT_EXPECT_EQ(test, err.index, 9ULL);
	KUNIT_EXPECT_GE(test, err.offset, 500ULL);
	KUNIT_EXPECT_EQ(test, log.offset, 500ULL);
}

static void log_next_asks_for_more_before_the_end(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "ima-sig");
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;

	imasnap_log_init(&log, IMASNAP_LOG_LE);
	KUNIT_EXPECT_EQ(test, 0, imasnap_log_next(&log, f->log, 40, false, &rec, &err));
	KUNIT_EXPECT_EQ(test, log.offset, 0ULL);
}

static struct kunit_case log_test_cases[] = {
	KUNIT_CASE_PARAM(log_next_parses_every_record_of_real_logs, kunit_fixture_gen),
	KUNIT_CASE(log_next_rejects_truncation_inside_any_record),
	KUNIT_CASE(log_next_reads_big_endian_logs_like_little_endian),
	KUNIT_CASE_PARAM(log_next_rejects_each_malformed_record_class, malformed_gen_params),
	KUNIT_CASE(log_next_asks_for_more_before_the_end),
	{}
};

static struct kunit_suite log_test_suite = {
	.name = "imasnap_log",
	.test_cases = log_test_cases,
};

kunit_test_suite(log_test_suite);
