// SPDX-License-Identifier: GPL-2.0
/* Helpers of the imasnap KUnit suites (kunit_util.h). */
#include <linux/slab.h>

#include "kunit_util.h"

const struct imasnap_fixture *kunit_fixture(struct kunit *test, const char *name)
{
	unsigned int i;

	for (i = 0; i < imasnap_nr_fixtures; i++)
		if (!strcmp(imasnap_fixtures[i].name, name))
			return &imasnap_fixtures[i];
	KUNIT_FAIL(test, "no fixture %s", name);
	return NULL;
}

const void *kunit_fixture_next(const void *prev, char *desc)
{
	const struct imasnap_fixture *f = prev ? (const struct imasnap_fixture *)prev + 1 :
						 &imasnap_fixtures[0];

	if (f >= imasnap_fixtures + imasnap_nr_fixtures)
		return NULL;
	strscpy(desc, f->name, KUNIT_PARAM_DESC_SIZE);
	return f;
}

u32 kunit_bank_mask(struct kunit *test, const char *list)
{
	u32 mask = 0;

	while (*list) {
		size_t n = strcspn(list, ",");
		int bank = imasnap_bank_by_name(list, n);

		KUNIT_ASSERT_GE(test, bank, 0);
		mask |= 1U << bank;
		list += n;
		if (*list == ',')
			list++;
	}
	return mask;
}

struct imasnap_state *kunit_fixture_pcrs(struct kunit *test, const struct imasnap_fixture *f)
{
	struct imasnap_state *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	u8 d[IMASNAP_MAX_DIGEST_SIZE];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, st);
	for (i = 0; i < f->nr_pcrs; i++) {
		const struct imasnap_fixture_pcr *p = &f->pcrs[i];
		int bank = imasnap_bank_by_name(p->bank, strlen(p->bank));

		KUNIT_ASSERT_GE(test, bank, 0);
		KUNIT_ASSERT_EQ(test, 0, imasnap_hex_decode(p->hex, strlen(p->hex), d));
		imasnap_state_set(st, bank, p->pcr, d);
	}
	return st;
}

size_t kunit_record_offset(struct kunit *test, const struct imasnap_fixture *f, unsigned int index)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t pos = 0;

	imasnap_log_init(&log, IMASNAP_LOG_LE);
	while (log.index < index) {
		int ret = imasnap_log_next(&log, f->log + pos, f->log_len - pos, true, &rec, &err);

		KUNIT_ASSERT_GT(test, ret, 0);
		pos += ret;
	}
	return pos;
}

static int khash_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return imasnap_khash_init(context);
}

static void khash_free(struct kunit_resource *res)
{
	imasnap_khash_exit(res->data);
}

struct imasnap_khash *kunit_khash(struct kunit *test)
{
	struct imasnap_khash *h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, h);
	KUNIT_ASSERT_PTR_EQ(test, (void *)h,
			    kunit_alloc_resource(test, khash_init, khash_free, GFP_KERNEL, h));
	return h;
}

static u32 fake_banks(void *priv)
{
	return ((struct fake_tpm *)priv)->banks;
}

static int fake_read_pcrs(void *priv, u32 bank_mask, u32 pcr_mask, struct imasnap_state *out)
{
	struct fake_tpm *t = priv;
	u32 b, p;

	if (t->pcr_err)
		return t->pcr_err;
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!(bank_mask & t->banks & (1U << b)))
			continue;
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			if (pcr_mask & (1U << p))
				imasnap_state_set(out, b, p, t->pcrs.pcr[b][p]);
	}
	return 0;
}

static int fake_read_counters(void *priv, u64 *reset_count, u32 *restart_count)
{
	struct fake_tpm *t = priv;

	if (t->clock_err)
		return t->clock_err;
	*reset_count = t->reset_count;
	*restart_count = t->restart_count;
	return 0;
}

static const struct imasnap_tpm_ops fake_ops = {
	.banks = fake_banks,
	.read_pcrs = fake_read_pcrs,
	.read_counters = fake_read_counters,
};

struct fake_tpm *kunit_fake_tpm(struct kunit *test, u32 banks)
{
	struct fake_tpm *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->banks = banks;
	t->reset_count = 3;
	t->restart_count = 1;
	t->tpm.ops = &fake_ops;
	t->tpm.priv = t;
	return t;
}

static ssize_t buf_read(void *priv, loff_t *pos, void *buf, size_t len)
{
	struct buf_source *b = priv;
	size_t n;

	if (b->err)
		return b->err;
	if (*pos >= b->len)
		return 0;
	/* Like seq_read_iter() on IMA's file: at most a page per call. */
	n = min3(len, b->len - (size_t)*pos, (size_t)PAGE_SIZE);
	memcpy(buf, b->buf + *pos, n);
	*pos += n;
	return n;
}

static void buf_fit(void *priv, size_t len)
{
	((struct buf_source *)priv)->fit = len;
}

static void buf_close(void *priv)
{
	((struct buf_source *)priv)->closed = true;
}

struct buf_source *kunit_buf_source(struct kunit *test, size_t cap)
{
	struct buf_source *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->buf = kunit_kzalloc(test, cap, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->buf);
	b->cap = cap;
	return b;
}

void buf_source_append(struct buf_source *b, const void *data, size_t len)
{
	if (WARN_ON(b->len + len > b->cap))
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
}

struct imasnap_source buf_source_of(struct buf_source *b)
{
	struct imasnap_source src = {
		.read = buf_read,
		.fit = buf_fit,
		.close = buf_close,
		.priv = b,
	};

	return src;
}

int kunit_replay(struct kunit *test, const u8 *log, size_t len, u32 banks, u32 padded,
		 const struct imasnap_state *start, struct imasnap_state *out)
{
	struct imasnap_replay *rp = kunit_kzalloc(test, sizeof(*rp), GFP_KERNEL);
	struct imasnap_khash *h = kunit_khash(test);
	struct imasnap_log lg;
	struct imasnap_err err;
	unsigned int i;
	int b, ret;

	KUNIT_ASSERT_NOT_NULL(test, rp);
	imasnap_replay_init(rp, &h->ops);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (banks & (1U << b))
			KUNIT_ASSERT_GE(test,
					imasnap_replay_add_lane(rp, b,
								(padded & (1U << b)) ?
									IMASNAP_RULE_PADDED_SHA1 :
									IMASNAP_RULE_NORMAL),
					0);
	imasnap_replay_start(rp, start);
	imasnap_log_init(&lg, IMASNAP_LOG_LE);
	ret = imasnap_replay_buffer(rp, &lg, log, len, &err);
	imasnap_state_init(out);
	for (i = 0; i < rp->nr_lanes; i++)
		imasnap_replay_state(rp, i, out);
	return ret;
}

static void armed_free(struct kunit_resource *res)
{
	imasnap_disarm(res->data);
}

static int armed_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

void kunit_arm(struct kunit *test, const struct imasnap_fixture *f, unsigned int cut_at,
	       size_t window, struct fake_tpm *tpm, struct imasnap_khash *h,
	       struct kunit_armed *out)
{
	struct imasnap_aggregate *cut = kunit_kzalloc(test, sizeof(*cut), GFP_KERNEL);
	char *text = kunit_kzalloc(test, IMASNAP_AGGREGATE_MAX_LEN, GFP_KERNEL);
	struct imasnap_source src;
	int len;

	KUNIT_ASSERT_NOT_NULL(test, cut);
	KUNIT_ASSERT_NOT_NULL(test, text);
	out->a = kunit_kzalloc(test, sizeof(*out->a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, out->a);
	out->cut_offset = kunit_record_offset(test, f, cut_at);
	out->log = kunit_buf_source(test, f->log_len);
	buf_source_append(out->log, f->log, out->cut_offset);
	cut->seq = 7;
	cut->entries = cut_at;
	cut->offset = out->cut_offset;
	memset(cut->shard, 0x5a, sizeof(cut->shard));
	KUNIT_ASSERT_EQ(test, 0,
			kunit_replay(test, f->log, out->cut_offset, kunit_bank_mask(test, f->banks),
				     kunit_bank_mask(test, f->padded), NULL, &cut->state));
	len = imasnap_aggregate_build(IMASNAP_AGG_CUT, cut, text, IMASNAP_AGGREGATE_MAX_LEN);
	KUNIT_ASSERT_GT(test, len, 0);
	src = buf_source_of(out->log);
	KUNIT_ASSERT_EQ(test, 0, imasnap_arm(out->a, text, len, window, &tpm->tpm, h, &src));
	KUNIT_ASSERT_PTR_EQ(test, (void *)out->a,
			    kunit_alloc_resource(test, armed_init, armed_free, GFP_KERNEL, out->a));
}
