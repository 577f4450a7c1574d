// SPDX-License-Identifier: GPL-2.0
/* The handoff record codec (lib/record.c): round trip and every rejection. */
#include <stddef.h>
#include <stdlib.h>

#include "fixture.h"

#define HDR sizeof(struct imasnap_record_hdr)
#define VAL sizeof(struct imasnap_pcr_value)

struct rec_fixture {
	struct fixture *f;
	struct imasnap_record r;
	unsigned char *buf;
	size_t len;
};

/* A record whose tail is the last three records of a real log. */
static int setup(void **state)
{
	struct rec_fixture *rf = calloc(1, sizeof(*rf));
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t starts[64], pos = 0;
	unsigned int n = 0, b;
	struct imasnap_buf v;
	int ret;

	rf->f = fixture_load("pcr11");
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	while ((ret = imasnap_log_next(&log, rf->f->log + pos, rf->f->log_len - pos,
				       true, &rec, &err)) > 0) {
		starts[n++] = pos;
		pos += (size_t)ret;
	}
	rf->r.flags = IMASNAP_REC_TAIL_VERIFIED;
	rf->r.seq = 3;
	rf->r.entries = n - 3;
	rf->r.cut_offset = starts[n - 3];
	rf->r.tail = rf->f->log + starts[n - 3];
	rf->r.tail_size = (u32)(rf->f->log_len - starts[n - 3]);
	rf->r.tail_entries = 3;
	rf->r.reset_count = 7;
	rf->r.restart_count = 2;
	rf->r.capture_ns = 123456;
	memset(rf->r.shard_digest, 0xab, 32);
	v.data = rf->r.tail;
	v.len = rf->r.tail_size;
	assert_int_equal(test_hash_ops()->digest(test_hash_ops()->priv,
			 IMASNAP_BANK_SHA256, &v, 1, rf->r.tail_digest), 0);
	for (b = 0; b < 2; b++) {
		imasnap_state_set(&rf->r.armed, b, 10, rf->f->pcrs.pcr[b][0]);
		imasnap_state_set(&rf->r.armed, b, 11, rf->f->pcrs.pcr[b][1]);
		imasnap_state_set(&rf->r.pcrs, b, 10, rf->f->pcrs.pcr[b][10]);
		imasnap_state_set(&rf->r.pcrs, b, 11, rf->f->pcrs.pcr[b][11]);
	}
	rf->len = imasnap_record_size(&rf->r);
	rf->buf = calloc(1, rf->len);
	assert_int_equal(imasnap_record_encode(&rf->r, rf->buf, rf->len, test_hash_ops()),
			 (int)rf->len);
	*state = rf;
	return 0;
}

static int teardown(void **state)
{
	struct rec_fixture *rf = *state;

	free(rf->buf);
	fixture_free(rf->f);
	free(rf);
	return 0;
}

/* Recompute the self-digest, as a forger who knows the format would. */
static void resign(unsigned char *buf, size_t total)
{
	static const u8 zero[32];
	size_t at = offsetof(struct imasnap_record_hdr, self_digest);
	struct imasnap_buf v[3] = {
		{ buf, at }, { zero, 32 }, { buf + HDR, total - HDR },
	};

	assert_int_equal(test_hash_ops()->digest(test_hash_ops()->priv,
			 IMASNAP_BANK_SHA256, v, 3, buf + at), 0);
}

static void record_decode_round_trips_encode(void **state)
{
	struct rec_fixture *rf = *state;
	struct imasnap_record out;
	struct imasnap_err err;

	assert_int_equal(rf->len % 8, 0);
	assert_int_equal(rf->len, (HDR + 8 * VAL + rf->r.tail_size + 7) & ~7UL);
	assert_int_equal(imasnap_record_decode(rf->buf, rf->len, &out, test_hash_ops(), &err), 0);
	assert_int_equal(out.flags, rf->r.flags);
	assert_int_equal(out.seq, 3);
	assert_int_equal(out.entries, rf->r.entries);
	assert_int_equal(out.cut_offset, rf->r.cut_offset);
	assert_int_equal(out.tail_entries, 3);
	assert_int_equal(out.reset_count, 7);
	assert_int_equal(out.restart_count, 2);
	assert_int_equal(out.capture_ns, 123456);
	assert_memory_equal(out.shard_digest, rf->r.shard_digest, 32);
	assert_memory_equal(&out.armed, &rf->r.armed, sizeof(out.armed));
	assert_memory_equal(&out.pcrs, &rf->r.pcrs, sizeof(out.pcrs));
	assert_int_equal(out.tail_size, rf->r.tail_size);
	assert_memory_equal(out.tail, rf->r.tail, out.tail_size);
	assert_ptr_equal(out.tail, rf->buf + HDR + 8 * VAL);
}

static void record_encode_refuses_a_small_buffer(void **state)
{
	struct rec_fixture *rf = *state;
	unsigned char *small = calloc(1, rf->len);

	assert_int_equal(imasnap_record_encode(&rf->r, small, rf->len - 1, test_hash_ops()),
			 -ENOSPC);
	free(small);
}

static void record_decode_rejects_every_truncation(void **state)
{
	struct rec_fixture *rf = *state;
	struct imasnap_record out;
	struct imasnap_err err;
	size_t len;

	for (len = 0; len < rf->len; len++) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, rf->buf, len);
		assert_int_equal(imasnap_record_decode(copy, len, &out, test_hash_ops(), &err),
				 -EBADMSG);
		free(copy);
	}
}

static void record_decode_rejects_any_flipped_byte(void **state)
{
	struct rec_fixture *rf = *state;
	struct imasnap_record out;
	struct imasnap_err err;
	size_t i;

	for (i = 0; i < rf->len; i++) {
		rf->buf[i] ^= 0x20;
		assert_int_equal(imasnap_record_decode(rf->buf, rf->len, &out,
						       test_hash_ops(), &err), -EBADMSG);
		rf->buf[i] ^= 0x20;
	}
}

struct corruption {
	const char *reason;
	size_t at;		/* offset to change */
	unsigned int width;	/* 1, 2, 4 */
	u32 value;
};

#define H(f) offsetof(struct imasnap_record_hdr, f)
#define V(i, f) (HDR + (i) * VAL + offsetof(struct imasnap_pcr_value, f))

static const struct corruption corruptions[] = {
	{ "bad record magic", H(magic), 4, 0x52534d48 },
	{ "unsupported record version", H(version), 2, 2 },
	{ "record header size does not match its version", H(hdr_size), 2, HDR + 8 },
	{ "record size out of bounds", H(total_size), 4, 0x7fffff8 },
	{ "record size out of bounds", H(total_size), 4, 100 },
	{ "record has unknown flags", H(flags), 4, 1U << 6 },
	{ "record has non-zero reserved fields", H(reserved0), 4, 1 },
	{ "record has non-zero reserved fields", H(reserved) + 31, 1, 1 },
	{ "record has too many PCR values", H(nr_armed), 4, IMASNAP_MAX_PCR_VALUES + 1 },
	{ "record sections do not add up to its size", H(nr_pcrs), 4, 5 },
	{ "record sections do not add up to its size", H(tail_size), 4, 1 },
	{ "PCR value names an unknown bank", V(0, bank), 1, IMASNAP_NR_BANKS },
	{ "PCR value index out of range", V(1, pcr), 1, 24 },
	{ "PCR value algorithm does not match its bank", V(2, alg_id), 2, IMASNAP_TPM_ALG_SHA512 },
	{ "PCR value has non-zero reserved bytes", V(0, reserved2), 4, 1 },
	{ "PCR value has non-zero reserved bytes", V(0, digest) + 20, 1, 1 },
	{ "PCR values out of order or repeated", V(1, pcr), 1, 10 },
	{ "record tail digest does not match its tail", H(tail_digest), 1, 0 },
	{ "record tail entry count does not match its tail", H(tail_entries), 4, 4 },
	{ "truncated record carries a tail", H(flags), 4, IMASNAP_REC_TAIL_TRUNCATED },
	{ "record has contradictory flags", H(flags), 4,
	  IMASNAP_REC_TAIL_VERIFIED | IMASNAP_REC_TAIL_MISMATCH },
	{ "record without a TPM has TPM PCR values", H(flags), 4, IMASNAP_REC_NO_TPM },
};

static void record_decode_rejects_each_forged_field(void **state)
{
	struct rec_fixture *rf = *state;
	size_t i;

	for (i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]); i++) {
		const struct corruption *c = &corruptions[i];
		unsigned char *copy = malloc(rf->len);
		struct imasnap_record out;
		struct imasnap_err err = { 0 };
		int ret;

		memcpy(copy, rf->buf, rf->len);
		if (c->width == 1)
			copy[c->at] = c->at == H(tail_digest) ? copy[c->at] ^ 1 : (u8)c->value;
		else if (c->width == 2)
			put_unaligned_le16((u16)c->value, copy + c->at);
		else
			put_unaligned_le32(c->value, copy + c->at);
		resign(copy, rf->len);
		ret = imasnap_record_decode(copy, rf->len, &out, test_hash_ops(), &err);
		if (ret != -EBADMSG || strcmp(err.reason, c->reason))
			fail_msg("corruption %zu: got %d '%s', want '%s'", i, ret,
				 ret ? err.reason : "", c->reason);
		free(copy);
	}
}

static void record_encode_refuses_a_record_without_armed_state(void **state)
{
	struct rec_fixture *rf = *state;

	imasnap_state_init(&rf->r.armed);
	assert_int_equal(imasnap_record_encode(&rf->r, rf->buf, rf->len, test_hash_ops()),
			 -EINVAL);
}

static void record_decode_rejects_a_forged_self_digest(void **state)
{
	struct rec_fixture *rf = *state;
	struct imasnap_record out;
	struct imasnap_err err;

	rf->buf[H(self_digest) + 5] ^= 0x80;
	assert_int_equal(imasnap_record_decode(rf->buf, rf->len, &out, test_hash_ops(), &err),
			 -EBADMSG);
	assert_string_equal(err.reason, "record self-digest does not match");
	rf->buf[H(self_digest) + 5] ^= 0x80;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(record_decode_round_trips_encode, setup, teardown),
		cmocka_unit_test_setup_teardown(record_encode_refuses_a_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(record_decode_rejects_every_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(record_decode_rejects_any_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(record_decode_rejects_each_forged_field, setup, teardown),
		cmocka_unit_test_setup_teardown(record_decode_rejects_a_forged_self_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(record_encode_refuses_a_record_without_armed_state,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("imasnap_record", tests, NULL, NULL);
}
