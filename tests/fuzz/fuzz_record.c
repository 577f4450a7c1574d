// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the handoff record decoder (lib/record.c), the module's input
 * from the carry window.  A record that decodes must encode back to the
 * same bytes.  Most mutations break the record's digests, so every input
 * is also tried "resealed": its tail digest and self-digest recomputed,
 * which takes the fuzzer past them to the checks behind.
 */
#include <stddef.h>

#include "fuzz.h"

#define HDR	sizeof(struct imasnap_record_hdr)
#define VALUE	sizeof(struct imasnap_pcr_value)

static void check(const u8 *data, size_t size)
{
	static struct imasnap_record r;
	struct imasnap_err err;
	u8 *out;
	int n;

	if (imasnap_record_decode(data, size, &r, fuzz_hash_ops(), &err))
		return;
	out = malloc(size);
	if (!out)
		return;
	n = imasnap_record_encode(&r, out, size, fuzz_hash_ops());
	if (n < 0 || (size_t)n > size || memcmp(out, data, (size_t)n))
		__builtin_trap();	/* decode and encode disagree */
	free(out);
}

static void seal(u8 *buf, size_t size)
{
	struct imasnap_record_hdr *h = (void *)buf;
	const struct imasnap_hash_ops *ops = fuzz_hash_ops();
	static const u8 zero[32];
	struct imasnap_buf v[3];
	u32 total = get_unaligned_le32(&h->total_size);
	u64 tail_at = HDR + (u64)(get_unaligned_le32(&h->nr_armed) +
				  get_unaligned_le32(&h->nr_pcrs)) * VALUE;
	u32 tail = get_unaligned_le32(&h->tail_size);

	if (total < HDR || total > size)
		return;
	if (tail_at <= total && tail <= total - tail_at) {
		v[0].data = buf + tail_at;
		v[0].len = tail;
		ops->digest(ops->priv, IMASNAP_BANK_SHA256, v, 1, h->tail_digest);
	}
	v[0].data = buf;
	v[0].len = offsetof(struct imasnap_record_hdr, self_digest);
	v[1].data = zero;
	v[1].len = sizeof(zero);
	v[2].data = buf + HDR;
	v[2].len = total - HDR;
	ops->digest(ops->priv, IMASNAP_BANK_SHA256, v, 3, h->self_digest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *copy;

	check(data, size);
	if (size < HDR)
		return 0;
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	seal(copy, size);
	check(copy, size);
	free(copy);
	return 0;
}
