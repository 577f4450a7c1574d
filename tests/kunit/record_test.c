// SPDX-License-Identifier: GPL-2.0
/* KUnit: the handoff record codec (lib/record.c) with crypto_shash. */
#include <linux/slab.h>

#include "kunit_util.h"

#define HDR sizeof(struct imasnap_record_hdr)
#define VAL sizeof(struct imasnap_pcr_value)
#define H(f) offsetof(struct imasnap_record_hdr, f)
#define V(i, f) (HDR + (i) * VAL + offsetof(struct imasnap_pcr_value, f))

struct rec_ctx {
	struct imasnap_khash *h;
	struct imasnap_record *r;
	u8 *buf;
	size_t len;
};

/* A record carrying the last 3 records of a real log as its tail. */
static int record_init(struct kunit *test)
{
	const struct imasnap_fixture *f = kunit_fixture(test, "pcr11");
	struct rec_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	const struct imasnap_state *tpm;
	struct imasnap_buf v;
	size_t cut;
	int b;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->h = kunit_khash(test);
	c->r = kunit_kzalloc(test, sizeof(*c->r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->r);
	tpm = kunit_fixture_pcrs(test, f);
	cut = kunit_record_offset(test, f, f->records - 3);
	c->r->flags = IMASNAP_REC_TAIL_VERIFIED;
	c->r->seq = 4;
	c->r->entries = f->records - 3;
	c->r->cut_offset = cut;
	c->r->tail = f->log + cut;
	c->r->tail_size = f->log_len - cut;
	c->r->tail_entries = 3;
	c->r->reset_count = 9;
	c->r->restart_count = 2;
	memset(c->r->shard_digest, 0xab, 32);
	v.data = c->r->tail;
	v.len = c->r->tail_size;
	KUNIT_ASSERT_EQ(test, 0,
			c->h->ops.digest(c->h, IMASNAP_BANK_SHA256, &v, 1, c->r->tail_digest));
	for (b = 0; b < 2; b++) {
		imasnap_state_set(&c->r->armed, b, 10, tpm->pcr[b][0]);
		imasnap_state_set(&c->r->pcrs, b, 10, tpm->pcr[b][10]);
		imasnap_state_set(&c->r->pcrs, b, 11, tpm->pcr[b][11]);
	}
	c->len = imasnap_record_size(c->r);
	c->buf = kunit_kzalloc(test, c->len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->buf);
	KUNIT_ASSERT_EQ(test, (int)c->len, imasnap_record_encode(c->r, c->buf, c->len, &c->h->ops));
	test->priv = c;
	return 0;
}

static void record_decode_round_trips_encode(struct kunit *test)
{
	struct rec_ctx *c = test->priv;
	struct imasnap_record *out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	struct imasnap_err err;

	KUNIT_ASSERT_NOT_NULL(test, out);
	KUNIT_ASSERT_EQ(test, 0, imasnap_record_decode(c->buf, c->len, out, &c->h->ops, &err));
	KUNIT_EXPECT_EQ(test, out->seq, 4ULL);
	KUNIT_EXPECT_EQ(test, out->tail_entries, 3U);
	KUNIT_EXPECT_EQ(test, out->reset_count, 9ULL);
	KUNIT_EXPECT_EQ(test, out->restart_count, 2U);
	IMASNAP_EXPECT_MEMEQ(test, &out->armed, &c->r->armed, sizeof(out->armed));
	IMASNAP_EXPECT_MEMEQ(test, &out->pcrs, &c->r->pcrs, sizeof(out->pcrs));
	KUNIT_EXPECT_EQ(test, out->tail_size, c->r->tail_size);
	IMASNAP_EXPECT_MEMEQ(test, out->tail, c->r->tail, out->tail_size);
}

static void record_decode_rejects_every_truncation(struct kunit *test)
{
	struct rec_ctx *c = test->priv;
	struct imasnap_record *out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	struct imasnap_err err;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, out);
	for (len = 0; len < c->len; len++)
		KUNIT_EXPECT_EQ(test, -EBADMSG,
				imasnap_record_decode(c->buf, len, out, &c->h->ops, &err));
}

static void record_decode_rejects_a_bad_self_digest(struct kunit *test)
{
	struct rec_ctx *c = test->priv;
	struct imasnap_record *out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	struct imasnap_err err;

	KUNIT_ASSERT_NOT_NULL(test, out);
	c->buf[H(self_digest)] ^= 1;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_record_decode(c->buf, c->len, out, &c->h->ops, &err));
	KUNIT_EXPECT_STREQ(test, err.reason, "record self-digest does not match");
}

struct corruption {
	const char *reason;
	size_t at;
	unsigned int width;
	u32 value;
};

static const struct corruption corruptions[] = {
	{ "bad record magic", H(magic), 4, 0x52534d48 },
	{ "unsupported record version", H(version), 2, 2 },
	{ "record header size does not match its version", H(hdr_size), 2, HDR + 8 },
	{ "record size out of bounds", H(total_size), 4, 0x7fffff8 },
	{ "record has unknown flags", H(flags), 4, 1U << 6 },
	{ "record has contradictory flags", H(flags), 4,
	  IMASNAP_REC_TAIL_VERIFIED | IMASNAP_REC_TAIL_MISMATCH },
	{ "record has non-zero reserved fields", H(reserved0), 4, 1 },
	{ "record has too many PCR values", H(nr_armed), 4, IMASNAP_MAX_PCR_VALUES + 1 },
	{ "record sections do not add up to its size", H(tail_size), 4, 1 },
	{ "PCR value names an unknown bank", V(0, bank), 1, IMASNAP_NR_BANKS },
	{ "PCR value index out of range", V(1, pcr), 1, 24 },
	{ "PCR value algorithm does not match its bank", V(2, alg_id), 2, 0x000d },
	{ "PCR values out of order or repeated", V(3, pcr), 1, 10 },
	{ "record tail entry count does not match its tail", H(tail_entries), 4, 4 },
	{ "truncated record carries a tail", H(flags), 4, IMASNAP_REC_TAIL_TRUNCATED },
	{ "record without a TPM has TPM PCR values", H(flags), 4, IMASNAP_REC_NO_TPM },
};

static void corruption_desc(const struct corruption *c, char *desc)
{
	strscpy(desc, c->reason, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(corruption, corruptions, corruption_desc);

/* Each field out of bounds, with a valid self-digest (a forger's record). */
static void record_decode_rejects_each_forged_field(struct kunit *test)
{
	static const u8 zero[32];
	const struct corruption *k = test->param_value;
	struct rec_ctx *c = test->priv;
	struct imasnap_record *out = kunit_kzalloc(test, sizeof(*out), GFP_KERNEL);
	struct imasnap_buf v[3];
	struct imasnap_err err = {};

	KUNIT_ASSERT_NOT_NULL(test, out);
	if (k->width == 1)
		c->buf[k->at] = (u8)k->value;
	else if (k->width == 2)
		put_unaligned_le16((u16)k->value, c->buf + k->at);
	else
		put_unaligned_le32(k->value, c->buf + k->at);
	v[0].data = c->buf;
	v[0].len = H(self_digest);
	v[1].data = zero;
	v[1].len = 32;
	v[2].data = c->buf + HDR;
	v[2].len = c->len - HDR;
	KUNIT_ASSERT_EQ(test, 0,
			c->h->ops.digest(c->h, IMASNAP_BANK_SHA256, v, 3, c->buf + H(self_digest)));
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			imasnap_record_decode(c->buf, c->len, out, &c->h->ops, &err));
	KUNIT_EXPECT_STREQ(test, err.reason, k->reason);
}

static struct kunit_case record_test_cases[] = {
	KUNIT_CASE(record_decode_round_trips_encode),
	KUNIT_CASE(record_decode_rejects_every_truncation),
	KUNIT_CASE(record_decode_rejects_a_bad_self_digest),
	KUNIT_CASE_PARAM(record_decode_rejects_each_forged_field, corruption_gen_params),
	{}
};

static struct kunit_suite record_test_suite = {
	.name = "imasnap_record",
	.init = record_init,
	.test_cases = record_test_cases,
};

kunit_test_suite(record_test_suite);
