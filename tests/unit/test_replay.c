// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-bank replay (lib/replay.c): every real log must replay to the PCR
 * values the TPM reported when it was captured.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "fixture.h"

#define B(x) (1U << IMASNAP_BANK_##x)

static void assert_state_matches_tpm(const struct fixture *f,
				     const struct imasnap_state *st)
{
	unsigned int compared = 0;
	int b;
	u32 p;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!imasnap_state_has(st, b, p))
				continue;
			assert_true(imasnap_state_has(&f->pcrs, b, p));
			if (memcmp(st->pcr[b][p], f->pcrs.pcr[b][p],
				   imasnap_bank_info(b)->size))
				fail_msg("%s: %s PCR %u does not match the TPM",
					 f->name, imasnap_bank_info(b)->name, p);
			compared++;
		}
	}
	assert_true(compared >= 2);
}

static void replay_matches_tpm_for_every_real_log(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nr_fixtures; i++) {
		struct fixture *f = fixture_load(fixture_names[i]);
		struct imasnap_state *st = malloc(sizeof(*st));
		struct imasnap_err err;

		assert_non_null(st);
		if (replay_log(f->log, f->log_len, f->banks, fixture_padded(f),
			       NULL, st, &err))
			fail_msg("%s: record %llu: %s", f->name,
				 (unsigned long long)err.index, err.reason);
		assert_state_matches_tpm(f, st);
		free(st);
		fixture_free(f);
	}
}

static void replay_touches_pcr_11_when_policy_says_pcr_11(void **state)
{
	struct fixture *f = fixture_load("pcr11");
	struct imasnap_state *st = malloc(sizeof(*st));
	struct imasnap_err err;

	(void)state;
	assert_int_equal(replay_log(f->log, f->log_len, f->banks, 0, NULL, st, &err), 0);
	assert_int_equal(st->pcr_mask[IMASNAP_BANK_SHA256], (1U << 10) | (1U << 11));
	assert_state_matches_tpm(f, st);
	free(st);
	fixture_free(f);
}

static void replay_needs_padded_rule_for_banks_ima_could_not_hash(void **state)
{
	struct fixture *f = fixture_load("sha384-sha512");
	struct imasnap_state *st = malloc(sizeof(*st));
	struct imasnap_err err;

	(void)state;
	assert_int_equal(replay_log(f->log, f->log_len, f->banks, 0, NULL, st, &err), 0);
	assert_memory_not_equal(st->pcr[IMASNAP_BANK_SHA384][10],
				f->pcrs.pcr[IMASNAP_BANK_SHA384][10], 48);
	assert_memory_not_equal(st->pcr[IMASNAP_BANK_SHA512][10],
				f->pcrs.pcr[IMASNAP_BANK_SHA512][10], 64);
	free(st);
	fixture_free(f);
}

static void replay_counts_violations(void **state)
{
	struct fixture *f = fixture_load("violations");
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_log log;
	struct imasnap_err err;

	(void)state;
	imasnap_replay_init(rp, test_hash_ops());
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA256, IMASNAP_RULE_NORMAL), 0);
	imasnap_replay_start(rp, NULL);
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_int_equal(imasnap_replay_buffer(rp, &log, f->log, f->log_len, &err), 0);
	assert_int_equal(rp->records, f->records);
	assert_int_equal(rp->violations, 2);
	free(rp);
	fixture_free(f);
}

static void replay_rejects_a_record_whose_data_was_changed(void **state)
{
	struct fixture *f = fixture_load("ima-sig");
	struct imasnap_state *st = malloc(sizeof(*st));
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t pos = 0;
	int i;

	(void)state;
	/* Find record 3 and flip the last byte of its file name. */
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	for (i = 0; i <= 3; i++) {
		assert_true(imasnap_log_next(&log, f->log + pos, f->log_len - pos,
					     true, &rec, &err) > 0);
		if (i < 3)
			pos += rec.size;
	}
	f->log[pos + rec.size - 6] ^= 0x01;
	assert_int_equal(replay_log(f->log, f->log_len, f->banks, 0, NULL, st, &err),
			 -EBADMSG);
	assert_string_equal(err.reason, "template digest does not match the template data");
	assert_int_equal(err.index, 3);
	assert_int_equal(err.offset, pos);
	free(st);
	fixture_free(f);
}

static void replay_from_start_state_continues_a_split_log(void **state)
{
	struct fixture *f = fixture_load("pcr11");
	struct imasnap_state *full = malloc(sizeof(*full));
	struct imasnap_state *mid = malloc(sizeof(*mid));
	struct imasnap_state *rest = malloc(sizeof(*rest));
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t cut = 0;
	int b;

	(void)state;
	assert_int_equal(replay_log(f->log, f->log_len, f->banks, 0, NULL, full, &err), 0);
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	do {
		assert_int_equal(replay_log(f->log, cut, f->banks, 0, NULL, mid, &err), 0);
		assert_int_equal(replay_log(f->log + cut, f->log_len - cut, f->banks,
					    0, mid, rest, &err), 0);
		for (b = 0; b < IMASNAP_NR_BANKS; b++) {
			assert_int_equal(rest->pcr_mask[b], full->pcr_mask[b]);
			assert_memory_equal(rest->pcr[b], full->pcr[b], sizeof(full->pcr[b]));
		}
		if (cut == f->log_len)
			break;
		assert_true(imasnap_log_next(&log, f->log + cut, f->log_len - cut,
					     true, &rec, &err) > 0);
		cut += rec.size;
	} while (1);
	free(full);
	free(mid);
	free(rest);
	fixture_free(f);
}

static void replay_sm3_lane_matches_openssl(void **state)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	struct imasnap_state *st = malloc(sizeof(*st));
	u8 zero[32] = { 0 }, tdig[32], want[32];
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *sm3 = EVP_MD_fetch(NULL, "SM3", NULL);

	(void)state;
	if (!sm3)
		skip();
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&log, f->log, f->log_len, true, &rec, &err) > 0);
	/* One record: PCR = SM3(0^32 || SM3(template data)). */
	assert_true(EVP_Digest(rec.data, rec.data_len, tdig, NULL, sm3, NULL));
	assert_true(EVP_DigestInit_ex2(ctx, sm3, NULL));
	assert_true(EVP_DigestUpdate(ctx, zero, 32));
	assert_true(EVP_DigestUpdate(ctx, tdig, 32));
	assert_true(EVP_DigestFinal_ex(ctx, want, NULL));
	assert_int_equal(replay_log(f->log, rec.size, B(SM3), 0, NULL, st, &err), 0);
	assert_memory_equal(st->pcr[IMASNAP_BANK_SM3][10], want, 32);
	EVP_MD_free(sm3);
	EVP_MD_CTX_free(ctx);
	free(st);
	fixture_free(f);
}

/* Hash ops that have no SM3, as a kernel without sm3_generic. */
static int no_sm3_digest(void *priv, enum imasnap_bank bank,
			 const struct imasnap_buf *v, unsigned int n, u8 *out)
{
	const struct imasnap_hash_ops *real = priv;

	if (bank == IMASNAP_BANK_SM3)
		return -EOPNOTSUPP;
	return real->digest(real->priv, bank, v, n, out);
}

static void replay_error_leaves_every_lane_unchanged(void **state)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_hash_ops ops = { no_sm3_digest, (void *)test_hash_ops() };
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	u8 zeros[IMASNAP_NR_PCRS][IMASNAP_MAX_DIGEST_SIZE] = { { 0 } };

	(void)state;
	imasnap_replay_init(rp, &ops);
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA256, IMASNAP_RULE_NORMAL), 0);
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SM3, IMASNAP_RULE_PADDED_SHA1), 1);
	imasnap_replay_start(rp, NULL);
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&log, f->log, f->log_len, true, &rec, &err) > 0);
	assert_int_equal(imasnap_replay_record(rp, &rec, &err), -EOPNOTSUPP);
	assert_string_equal(err.reason, "the hash of a replayed bank is not available");
	assert_int_equal(rp->lane[0].touched, 0);
	assert_memory_equal(rp->lane[0].pcr, zeros, sizeof(zeros));
	assert_int_equal(rp->records, 0);
	free(rp);
	fixture_free(f);
}

static void replay_skips_records_for_pcrs_the_tpm_lacks(void **state)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;

	(void)state;
	imasnap_replay_init(rp, test_hash_ops());
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA256, IMASNAP_RULE_NORMAL), 0);
	imasnap_replay_start(rp, NULL);
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&log, f->log, f->log_len, true, &rec, &err) > 0);
	/* policy pcr=30: IMA logs the record, the TPM extend fails */
	rec.pcr = 30;
	assert_int_equal(imasnap_replay_record(rp, &rec, &err), 0);
	assert_int_equal(rp->records, 1);
	assert_int_equal(rp->no_pcr, 1);
	assert_int_equal(rp->lane[0].touched, 0);
	free(rp);
	fixture_free(f);
}

static void replay_add_lane_rejects_duplicates_and_unknown_banks(void **state)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));

	(void)state;
	imasnap_replay_init(rp, test_hash_ops());
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA1, IMASNAP_RULE_NORMAL), 0);
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA1, IMASNAP_RULE_NORMAL), -EINVAL);
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_NR_BANKS, IMASNAP_RULE_NORMAL), -EINVAL);
	assert_int_equal(imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA512, IMASNAP_RULE_PADDED_SHA1), 1);
	assert_int_equal(rp->nr_lanes, 2);
	free(rp);
}

static struct imasnap_replay *normal_lanes(u32 banks)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	int b;

	assert_non_null(rp);
	imasnap_replay_init(rp, test_hash_ops());
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (banks & (1U << b))
			assert_true(imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL) >= 0);
	imasnap_replay_start(rp, NULL);
	return rp;
}

/* While every record was a violation, the padded lane is the other one. */
static void padded_lane_is_a_copy_while_all_records_are_violations(void **state)
{
	struct imasnap_replay *rp = normal_lanes(B(SHA1) | B(SHA256));

	(void)state;
	rp->records = rp->violations = 3;
	rp->lane[1].pcr[10][0] = 0x5a;
	assert_int_equal(imasnap_replay_padded_needed(rp, B(SHA1) | B(SHA256)), 0);
	assert_int_equal(rp->nr_lanes, 3);
	assert_int_equal(rp->lane[2].bank, IMASNAP_BANK_SHA256);
	assert_int_equal(rp->lane[2].rule, IMASNAP_RULE_PADDED_SHA1);
	assert_memory_equal(rp->lane[2].pcr, rp->lane[1].pcr, sizeof(rp->lane[1].pcr));
	/* Once it is there, nothing more is needed for that bank. */
	rp->records = 4;
	assert_int_equal(imasnap_replay_padded_needed(rp, B(SHA256)), 0);
	assert_int_equal(rp->nr_lanes, 3);
	free(rp);
}

/* After a record that is not a violation, only a bank that missed needs the padded rule. */
static void padded_lane_is_needed_only_where_the_other_misses(void **state)
{
	struct imasnap_replay *rp = normal_lanes(B(SHA1) | B(SHA256) | B(SHA384));

	(void)state;
	rp->records = 5;
	rp->violations = 1;
	assert_int_equal(imasnap_replay_padded_needed(rp, 0), 0);
	/* SHA-1's padded digest is itself: never needed. */
	assert_int_equal(imasnap_replay_padded_needed(rp, B(SHA1) | B(SHA384)), B(SHA384));
	assert_int_equal(rp->nr_lanes, 3);
	free(rp);
}

static void replay_merge_adds_lanes_and_refuses_one_it_has(void **state)
{
	struct imasnap_replay *rp = normal_lanes(B(SHA1) | B(SHA256));
	struct imasnap_replay *alt = calloc(1, sizeof(*alt));

	(void)state;
	assert_non_null(alt);
	imasnap_replay_init(alt, test_hash_ops());
	assert_int_equal(imasnap_replay_add_lane(alt, IMASNAP_BANK_SHA256, IMASNAP_RULE_PADDED_SHA1), 0);
	assert_int_equal(imasnap_replay_merge(rp, alt), 0);
	assert_int_equal(rp->nr_lanes, 3);
	assert_int_equal(imasnap_replay_merge(rp, alt), -EINVAL);
	assert_int_equal(rp->nr_lanes, 3);
	free(alt);
	free(rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_matches_tpm_for_every_real_log),
		cmocka_unit_test(replay_touches_pcr_11_when_policy_says_pcr_11),
		cmocka_unit_test(replay_needs_padded_rule_for_banks_ima_could_not_hash),
		cmocka_unit_test(replay_counts_violations),
		cmocka_unit_test(replay_rejects_a_record_whose_data_was_changed),
		cmocka_unit_test(replay_from_start_state_continues_a_split_log),
		cmocka_unit_test(replay_sm3_lane_matches_openssl),
		cmocka_unit_test(replay_error_leaves_every_lane_unchanged),
		cmocka_unit_test(replay_skips_records_for_pcrs_the_tpm_lacks),
		cmocka_unit_test(replay_add_lane_rejects_duplicates_and_unknown_banks),
		cmocka_unit_test(padded_lane_is_a_copy_while_all_records_are_violations),
		cmocka_unit_test(padded_lane_is_needed_only_where_the_other_misses),
		cmocka_unit_test(replay_merge_adds_lanes_and_refuses_one_it_has),
	};

	return cmocka_run_group_tests_name("imasnap_replay", tests, NULL, NULL);
}
