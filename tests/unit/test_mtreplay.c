// SPDX-License-Identifier: GPL-2.0
/*
 * Threaded replay (userspace/lib/mtreplay.c): on any number of threads, the
 * lanes end where one thread's replay of the same records ends, the digest
 * of the records' bytes is their SHA-256, and a bad record is reported as
 * the same record with the same reason.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "fixture.h"

/* Every record of @log, @times over, into @rp directly or through @m. */
static int feed(const struct fixture *f, unsigned int times, struct imasnap_replay *rp,
		struct imasnap_mtreplay *m, struct imasnap_err *err)
{
	struct imasnap_log_record rec;
	struct imasnap_log lg;
	unsigned int t;
	int ret;

	for (t = 0; t < times; t++) {
		size_t pos = 0;

		imasnap_log_init(&lg, IMASNAP_LOG_LE);
		while (pos < f->log_len) {
			ret = imasnap_log_next(&lg, f->log + pos, f->log_len - pos, true, &rec, err);
			if (ret < 0)
				return ret;
			ret = m ? imasnap_mtreplay_record(m, &rec, err) :
				  imasnap_replay_record(rp, &rec, err);
			if (ret)
				return ret;
			pos += rec.size;
		}
	}
	return m ? imasnap_mtreplay_flush(m, err) : 0;
}

/* What the replay's digest must end as: the SHA-256 of @f's log, @times over. */
static void log_digest(const struct fixture *f, unsigned int times, u8 digest[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int t;

	assert_non_null(md);
	assert_true(EVP_DigestInit_ex2(md, EVP_sha256(), NULL));
	for (t = 0; t < times; t++)
		assert_true(EVP_DigestUpdate(md, f->log, f->log_len));
	assert_true(EVP_DigestFinal_ex(md, digest, NULL));
	EVP_MD_CTX_free(md);
}

static EVP_MD_CTX *new_digest(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_true(EVP_DigestInit_ex2(md, EVP_sha256(), NULL));
	return md;
}

/* @md, which the replay updated, is @want; freed. */
static void assert_digest(EVP_MD_CTX *md, const u8 want[32], const char *name,
			  unsigned int threads)
{
	u8 got[32];

	assert_true(EVP_DigestFinal_ex(md, got, NULL));
	EVP_MD_CTX_free(md);
	if (memcmp(got, want, 32))
		fail_msg("%s, %u threads: the digest is not the SHA-256 of the records' bytes",
			 name, threads);
}

static struct imasnap_replay *new_replay(const struct fixture *f)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));

	assert_non_null(rp);
	imasnap_replay_init(rp, test_hash_ops());
	imasnap_replay_add_banks(rp, f->banks);
	imasnap_replay_start(rp, NULL);
	return rp;
}

static void assert_same_lanes(const char *name, unsigned int threads,
			      const struct imasnap_replay *want, const struct imasnap_replay *got)
{
	unsigned int i;

	assert_int_equal(got->nr_lanes, want->nr_lanes);
	assert_int_equal(got->records, want->records);
	assert_int_equal(got->violations, want->violations);
	for (i = 0; i < want->nr_lanes; i++) {
		const struct imasnap_lane *w = &want->lane[i], *g = &got->lane[i];

		assert_int_equal(g->bank, w->bank);
		assert_int_equal(g->rule, w->rule);
		if (g->touched != w->touched || memcmp(g->pcr, w->pcr, sizeof(g->pcr)))
			fail_msg("%s, %u threads: lane %u (%s) ends elsewhere than one thread's",
				 name, threads, i, imasnap_bank_info(w->bank)->name);
	}
}

/*
 * Each real log, @times over, on 2, 3 and 4 threads (never more), with the
 * digest of the records' bytes or without, against one.
 */
static void check_every_log(unsigned int times)
{
	size_t i;

	for (i = 0; i < nr_fixtures; i++) {
		struct fixture *f = fixture_load(fixture_names[i]);
		struct imasnap_replay *one = new_replay(f);
		struct imasnap_err err;
		unsigned int t, k;
		u8 want[32];

		log_digest(f, times, want);
		if (feed(f, times, one, NULL, &err))
			fail_msg("%s: record %llu: %s", f->name, (unsigned long long)err.index,
				 err.reason);
		for (t = 2; t <= 4; t++) {
			for (k = 0; k < 2; k++) {
				struct imasnap_replay *rp = new_replay(f);
				EVP_MD_CTX *md = k ? new_digest() : NULL;
				struct imasnap_mtreplay *m = imasnap_mtreplay_new(rp, t, md);

				assert_non_null(m);
				assert_true(imasnap_mtreplay_threads(m) > 1);
				assert_true(imasnap_mtreplay_threads(m) <= t);
				if (feed(f, times, rp, m, &err))
					fail_msg("%s, %u threads: record %llu: %s", f->name, t,
						 (unsigned long long)err.index, err.reason);
				assert_same_lanes(f->name, t, one, rp);
				assert_int_equal(imasnap_mtreplay_digests(m), md != NULL);
				imasnap_mtreplay_free(m);
				if (md)
					assert_digest(md, want, f->name, t);
				free(rp);
			}
		}
		free(one);
		fixture_free(f);
	}
}

static void threaded_replay_ends_where_one_thread_ends_for_every_real_log(void **state)
{
	(void)state;
	check_every_log(1);
}

/*
 * About 20,000 records: more batches than the ring holds (four of 4096
 * records), so every batch is filled again after the workers left it; the
 * last one partly full.
 */
static void threaded_replay_carries_lanes_across_batches(void **state)
{
	(void)state;
	check_every_log(3000);
}

/*
 * Record 5's SHA-1 template digest no longer binds its template data, its
 * data changed (@in_data) or the digest as logged: on 2 to 4 threads, with
 * both banks and with the SHA-1 bank alone (one lane, whose thread extends
 * with the logged digest and leaves the check to another), the check on
 * the caller's thread or on a worker, the error is one thread's, at
 * record 5.
 */
static void check_bad_record(bool in_data)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	const u32 banks[] = { f->banks, 1U << IMASNAP_BANK_SHA1 };
	struct imasnap_log_record rec;
	struct imasnap_err want, got;
	struct imasnap_log lg;
	unsigned int k, t, b, h;
	size_t pos = 0;
	int ret;

	imasnap_log_init(&lg, IMASNAP_LOG_LE);
	for (k = 0; k <= 5; k++) {
		assert_true(imasnap_log_next(&lg, f->log + pos, f->log_len - pos, true, &rec, &want) > 0);
		pos += rec.size;
	}
	if (in_data)
		f->log[rec.data - f->log + rec.data_len - 1] ^= 1;
	else
		f->log[rec.digest - f->log] ^= 1;
	for (b = 0; b < 2; b++) {
		f->banks = banks[b];
		for (t = 2; t <= 4; t++) {
			for (h = 0; h < 2; h++) {
				struct imasnap_replay *one = new_replay(f), *rp = new_replay(f);
				EVP_MD_CTX *md = h ? new_digest() : NULL;
				struct imasnap_mtreplay *m = imasnap_mtreplay_new(rp, t, md);

				assert_non_null(m);
				assert_true(imasnap_mtreplay_threads(m) > 1);
				assert_int_equal(feed(f, 3, one, NULL, &want), -EBADMSG);
				ret = feed(f, 3, rp, m, &got);
				assert_int_equal(ret, -EBADMSG);
				assert_int_equal(got.index, 5);
				assert_int_equal(got.index, want.index);
				assert_int_equal(got.offset, want.offset);
				assert_string_equal(got.reason, want.reason);
				imasnap_mtreplay_free(m);
				EVP_MD_CTX_free(md);
				free(rp);
				free(one);
			}
		}
	}
	fixture_free(f);
}

static void threaded_replay_reports_a_record_whose_data_changed(void **state)
{
	(void)state;
	check_bad_record(true);
}

/* The digest the other threads extend with, unchecked by them: the check's error. */
static void threaded_replay_reports_a_record_whose_logged_digest_changed(void **state)
{
	(void)state;
	check_bad_record(false);
}

/*
 * A digest given to one replay after another (a snapshot's reads, lanes
 * added between them) goes on: three replays of a log, one after the other,
 * the first without the padded lanes (so the split, and the group that
 * digests, may differ), leave it the SHA-256 of the three, on 2 to 4
 * threads.
 */
static void threaded_replays_one_after_another_go_on_with_a_digest(void **state)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	struct imasnap_err err;
	unsigned int t, k;
	u8 want[32];

	(void)state;
	log_digest(f, 3, want);
	for (t = 2; t <= 4; t++) {
		EVP_MD_CTX *md = new_digest();

		for (k = 0; k < 3; k++) {
			struct imasnap_replay *rp = new_replay(f);
			struct imasnap_mtreplay *m;

			if (!k) {
				imasnap_replay_init(rp, test_hash_ops());
				imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA1, IMASNAP_RULE_NORMAL);
				imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA256, IMASNAP_RULE_NORMAL);
				imasnap_replay_start(rp, NULL);
			}
			m = imasnap_mtreplay_new(rp, t, md);

			assert_non_null(m);
			assert_true(imasnap_mtreplay_digests(m));
			assert_int_equal(feed(f, 1, rp, m, &err), 0);
			imasnap_mtreplay_free(m);
			free(rp);
		}
		assert_digest(md, want, f->name, t);
	}
	fixture_free(f);
}

/* One thread: no threads, and the digest left to the caller (in larger pieces). */
static void one_thread_replays_in_the_callers_replay(void **state)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	struct imasnap_replay *one = new_replay(f), *rp = new_replay(f);
	EVP_MD_CTX *md = new_digest();
	struct imasnap_mtreplay *m = imasnap_mtreplay_new(rp, 1, md);
	struct imasnap_err err;
	u8 empty[32];

	(void)state;
	log_digest(f, 0, empty);
	assert_non_null(m);
	assert_int_equal(imasnap_mtreplay_threads(m), 1);
	assert_false(imasnap_mtreplay_digests(m));
	assert_int_equal(feed(f, 1, one, NULL, &err), 0);
	assert_int_equal(feed(f, 1, rp, m, &err), 0);
	assert_same_lanes(f->name, 1, one, rp);
	imasnap_mtreplay_free(m);
	assert_digest(md, empty, f->name, 1);
	free(rp);
	free(one);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threaded_replay_ends_where_one_thread_ends_for_every_real_log),
		cmocka_unit_test(threaded_replay_carries_lanes_across_batches),
		cmocka_unit_test(threaded_replay_reports_a_record_whose_data_changed),
		cmocka_unit_test(threaded_replay_reports_a_record_whose_logged_digest_changed),
		cmocka_unit_test(threaded_replays_one_after_another_go_on_with_a_digest),
		cmocka_unit_test(one_thread_replays_in_the_callers_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
