// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the IMA log parser and multi-bank replay (lib/log.c,
 * lib/replay.c) on any bytes, in both byte orders; and the streaming feed
 * must see exactly the records the whole-buffer parser sees, however the
 * input is cut.
 */
#include "fuzz.h"

struct count {
	struct imasnap_replay *rp;
	u64 n;
};

static int count_fn(void *priv, const struct imasnap_log *log,
		     const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct count *c = priv;

	(void)log;
	c->n++;
	return imasnap_replay_record(c->rp, rec, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imasnap_replay rp;
	enum imasnap_log_order order;
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	struct count c = { .rp = &rp };
	size_t off = 0, have = 0, chunk;
	u64 whole = 0;
	u8 *buf;
	int ret;

	if (imasnap_log_guess_order(data, size, &order))
		order = IMASNAP_LOG_LE;
	imasnap_replay_init(&rp, fuzz_hash_ops());
	imasnap_replay_add_banks(&rp, ~0U);
	imasnap_log_init(&log, order);
	while (off < size &&
	       (ret = imasnap_log_next(&log, data + off, size - off, true, &rec, &err)) > 0) {
		const u8 *f;
		u32 i, len;

		for (i = 0; i < 4; i++)
			imasnap_log_field(&log, &rec, i, &f, &len);
		imasnap_log_is_violation(&rec);
		if (imasnap_replay_record(&rp, &rec, &err))
			break;
		off += rec.size;
		whole++;
	}

	/* The same bytes through the streaming feed, in chunks the input picks. */
	buf = malloc(size + IMASNAP_TEMPLATE_DATA_MAX + 64);
	if (!buf)
		return 0;
	imasnap_replay_init(&rp, fuzz_hash_ops());
	imasnap_replay_add_banks(&rp, ~0U);
	imasnap_log_init(&log, order);
	chunk = size ? (size_t)data[0] % 97 + 1 : 1;
	for (off = 0; ; off += chunk) {
		size_t n = off < size ? (size - off < chunk ? size - off : chunk) : 0;

		memcpy(buf + have, data + off, n);
		have += n;
		ret = imasnap_log_feed(&log, buf, &have, off + n >= size, count_fn, &c, &err);
		if (ret || off + n >= size)
			break;
	}
	if (!ret && c.n != whole)
		__builtin_trap();	/* the feed and the parser disagree */
	free(buf);
	return 0;
}
