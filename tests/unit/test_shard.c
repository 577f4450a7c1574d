// SPDX-License-Identifier: GPL-2.0
/* Shard files (userspace/shard.c): atomic write, checked streaming read. */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"
#include "shard.h"

struct shard_fixture {
	char dir[64];
	char path[128];
	struct fixture *f;
	struct imasnap_shard sh;
};

static int setup(void **state)
{
	struct shard_fixture *s = calloc(1, sizeof(*s));
	struct imasnap_err err;

	strcpy(s->dir, "/tmp/imasnap-test-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/shard-00000000.ims", s->dir);
	s->f = fixture_load("pcr11");
	s->sh.seq = 0;
	s->sh.kind = IMASNAP_SHARD_LOG;
	s->sh.order = IMASNAP_LOG_LE;
	s->sh.entries = s->f->records;
	s->sh.body_size = s->f->log_len;
	memset(s->sh.boot_id, 0x42, 16);
	assert_int_equal(replay_log(s->f->log, s->f->log_len, s->f->banks, 0, NULL,
				    &s->sh.end, &err), 0);
	assert_int_equal(imasnap_shard_write(s->dir, &s->sh, s->f->log, test_hash_ops()), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct shard_fixture *s = *state;
	struct dirent *de;
	char p[512];
	DIR *d = opendir(s->dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", s->dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(s->dir);
	fixture_free(s->f);
	free(s);
	return 0;
}

static void shard_read_returns_what_was_written(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_err err;

	assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), 0);
	assert_int_equal(got->seq, 0);
	assert_int_equal(got->kind, IMASNAP_SHARD_LOG);
	assert_int_equal(got->entries, s->f->records);
	assert_int_equal(got->body_size, s->f->log_len);
	assert_memory_equal(got->boot_id, s->sh.boot_id, 16);
	assert_memory_equal(got->body_digest, s->sh.body_digest, 32);
	assert_memory_equal(got->digest, s->sh.digest, 32);
	assert_memory_equal(&got->end, &s->sh.end, sizeof(got->end));
	free(got);
}

static void shard_read_replays_the_body_to_its_end(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_err err;
	int lane;

	imasnap_replay_init(rp, test_hash_ops());
	imasnap_replay_add_lane(rp, IMASNAP_BANK_SHA256, IMASNAP_RULE_NORMAL);
	assert_int_equal(imasnap_shard_read(s->path, got, rp, &err), 0);
	lane = imasnap_replay_pick(rp, IMASNAP_BANK_SHA256, &got->end);
	assert_int_equal(lane, 0);
	assert_memory_equal(rp->lane[0].pcr[11], s->f->pcrs.pcr[IMASNAP_BANK_SHA256][11], 32);
	free(got);
	free(rp);
}

/* Any changed byte: the read fails, or the shard's digest changes. */
static void shard_any_flipped_byte_is_caught(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	size_t len, i;
	unsigned char *file = read_file(s->path, &len);
	struct imasnap_err err;
	FILE *f;

	for (i = 0; i < len; i++) {
		file[i] ^= 0x01;
		f = fopen(s->path, "wb");
		assert_int_equal(fwrite(file, 1, len, f), len);
		fclose(f);
		if (!imasnap_shard_read(s->path, got, NULL, &err) &&
		    !memcmp(got->digest, s->sh.digest, 32))
			fail_msg("byte %zu flipped went unnoticed", i);
		file[i] ^= 0x01;
	}
	free(file);
	free(got);
}

static void shard_read_rejects_every_truncation(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	size_t len, cut;
	unsigned char *file = read_file(s->path, &len);
	struct imasnap_err err;
	FILE *f;

	for (cut = 0; cut < len; cut += 7) {
		f = fopen(s->path, "wb");
		assert_int_equal(fwrite(file, 1, cut, f), cut);
		fclose(f);
		assert_int_not_equal(imasnap_shard_read(s->path, got, NULL, &err), 0);
	}
	free(file);
	free(got);
}

/* Only finished shards in the folder: no temporary file is left behind. */
static unsigned int count_files(const char *dir)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void shard_write_never_replaces_a_shard(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_err err;

	s->sh.entries = 1;	/* a different shard of the same seq */
	assert_int_equal(imasnap_shard_write(s->dir, &s->sh, s->f->log, test_hash_ops()),
			 -EEXIST);
	assert_int_equal(count_files(s->dir), 1);
	assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), 0);
	assert_int_equal(got->entries, s->f->records);
	free(got);
}

static void archive_range_takes_a_pruned_start_and_finds_a_gap(void **state)
{
	struct shard_fixture *s = *state;
	u64 first, n;

	assert_int_equal(imasnap_archive_range(s->dir, &first, &n), 0);
	assert_int_equal(first, 0);
	assert_int_equal(n, 1);
	s->sh.seq = 1;
	assert_int_equal(imasnap_shard_write(s->dir, &s->sh, s->f->log, test_hash_ops()), 0);
	assert_int_equal(unlink(s->path), 0);	/* shard 0 pruned */
	assert_int_equal(imasnap_archive_range(s->dir, &first, &n), 0);
	assert_int_equal(first, 1);
	assert_int_equal(n, 1);
	s->sh.seq = 3;
	assert_int_equal(imasnap_shard_write(s->dir, &s->sh, s->f->log, test_hash_ops()), 0);
	assert_int_equal(imasnap_archive_range(s->dir, &first, &n), -EBADMSG);
	assert_int_equal(imasnap_archive_range("/nonexistent/imasnap", &first, &n), -ENOENT);
}

/* Bytes of header and states: what a version 2 shard digest covers. */
static size_t covered_by_digest(const struct imasnap_shard *sh)
{
	return sizeof(struct imasnap_shard_hdr) +
	       (imasnap_state_count(&sh->start) + imasnap_state_count(&sh->end)) *
	       sizeof(struct imasnap_pcr_value);
}

static void shard_digest_is_sha256_of_header_and_states(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_err err;
	u8 want[32];

	assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), 0);
	assert_int_equal(got->version, 2);
	shard_file_digest(s->path, covered_by_digest(got), want);
	assert_memory_equal(got->digest, want, 32);
	assert_memory_equal(s->sh.digest, want, 32);
	free(got);
}

static void format_1_shard_reads_with_the_body_in_its_digest(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_err err;
	size_t len, body;
	unsigned char *file;
	u8 want[32];
	FILE *f;

	shard_file_as_version_1(s->path, NULL, want);
	assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), 0);
	assert_int_equal(got->version, 1);
	assert_memory_equal(got->digest, want, 32);
	assert_memory_not_equal(got->digest, s->sh.digest, 32);
	/* Its body still has to match its body digest. */
	file = read_file(s->path, &len);
	body = covered_by_digest(got);
	file[body + 10] ^= 0x01;
	f = fopen(s->path, "wb");
	assert_int_equal(fwrite(file, 1, len, f), len);
	fclose(f);
	assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), -EBADMSG);
	assert_string_equal(err.reason, "shard body digest does not match its body");
	free(file);
	free(got);
}

static void shard_of_an_unknown_version_is_refused(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_err err;
	size_t len;
	unsigned char *file = read_file(s->path, &len);
	FILE *f;

	file[4] = 3;
	f = fopen(s->path, "wb");
	assert_int_equal(fwrite(file, 1, len, f), len);
	fclose(f);
	assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), -EBADMSG);
	assert_string_equal(err.reason, "unsupported shard version");
	free(file);
	free(got);
}

static void write_whole(const char *path, const unsigned char *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A trailer added to a shard of either version: same digest, the trailer read back. */
static void set_trailer_keeps_the_digest_of_both_versions(void **state)
{
	struct shard_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	const u8 trailer[] = "a quote, as far as this test cares";
	struct imasnap_err err;
	u8 digest[32], wrong[32];
	size_t before, after;
	unsigned char *file;
	int v;

	for (v = 2; v >= 1; v--) {
		if (v == 1)
			shard_file_as_version_1(s->path, NULL, digest);
		else
			memcpy(digest, s->sh.digest, 32);
		memcpy(wrong, digest, 32);
		wrong[0] ^= 1;
		free(read_file(s->path, &before));
		assert_int_equal(imasnap_shard_set_trailer(s->dir, 0, wrong, trailer,
							   sizeof(trailer)), -ESTALE);
		file = read_file(s->path, &after);
		assert_int_equal(after, before);
		/* A body changed since it was read: refused, the file left as it is. */
		file[covered_by_digest(&s->sh) + 10] ^= 0x01;
		write_whole(s->path, file, after);
		assert_int_equal(imasnap_shard_set_trailer(s->dir, 0, digest, trailer,
							   sizeof(trailer)), -ESTALE);
		file[covered_by_digest(&s->sh) + 10] ^= 0x01;
		write_whole(s->path, file, after);
		free(file);
		assert_int_equal(imasnap_shard_set_trailer(s->dir, 0, digest, trailer,
							   sizeof(trailer)), 0);
		assert_int_equal(imasnap_shard_read(s->path, got, NULL, &err), 0);
		assert_int_equal(got->version, v);
		assert_memory_equal(got->digest, digest, 32);
		assert_int_equal(got->trailer_size, sizeof(trailer));
		assert_memory_equal(got->trailer, trailer, sizeof(trailer));
		assert_int_equal(count_files(s->dir), 1);
	}
	free(got);
}

/*
 * A body written in place (imasnap_shard_begin/finish) makes the same file
 * as imasnap_shard_write(): with the states' room right, and with too
 * little or too much (the body is then moved); nothing else is left in the
 * folder, and an abandoned one leaves nothing.
 */
static void shard_written_in_place_is_the_shard_written_whole(void **state)
{
	struct shard_fixture *s = *state;
	unsigned int exact = imasnap_state_count(&s->sh.start) + imasnap_state_count(&s->sh.end);
	const int delta[] = { 0, -1, 1 };
	struct imasnap_shard_out o;
	size_t len, got_len;
	unsigned char *want = read_file(s->path, &len), *got;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct imasnap_shard sh = s->sh;

		assert_int_equal(imasnap_shard_begin(&o, s->dir, 0, exact + delta[i]), -EEXIST);
		assert_int_equal(unlink(s->path), 0);
		assert_int_equal(imasnap_shard_begin(&o, s->dir, 0, exact + delta[i]), 0);
		assert_int_equal(imasnap_write_all(o.a.fd, s->f->log, s->f->log_len), 0);
		memset(sh.digest, 0, 32);
		assert_int_equal(imasnap_shard_finish(&o, s->dir, &sh), 0);
		assert_memory_equal(sh.digest, s->sh.digest, 32);
		got = read_file(s->path, &got_len);
		assert_int_equal(got_len, len);
		assert_memory_equal(got, want, len);
		free(got);
		assert_int_equal(count_files(s->dir), 1);
	}
	assert_int_equal(imasnap_shard_begin(&o, s->dir, 1, exact), 0);
	assert_int_equal(imasnap_write_all(o.a.fd, s->f->log, s->f->log_len), 0);
	imasnap_shard_abort(&o);
	assert_int_equal(count_files(s->dir), 1);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(shard_read_returns_what_was_written, setup, teardown),
		cmocka_unit_test_setup_teardown(shard_read_replays_the_body_to_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(shard_any_flipped_byte_is_caught, setup, teardown),
		cmocka_unit_test_setup_teardown(shard_read_rejects_every_truncation, setup, teardown),
		cmocka_unit_test_setup_teardown(shard_write_never_replaces_a_shard, setup, teardown),
		cmocka_unit_test_setup_teardown(archive_range_takes_a_pruned_start_and_finds_a_gap,
						setup, teardown),
		cmocka_unit_test_setup_teardown(shard_digest_is_sha256_of_header_and_states,
						setup, teardown),
		cmocka_unit_test_setup_teardown(format_1_shard_reads_with_the_body_in_its_digest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(shard_of_an_unknown_version_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(set_trailer_keeps_the_digest_of_both_versions,
						setup, teardown),
		cmocka_unit_test_setup_teardown(shard_written_in_place_is_the_shard_written_whole,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("imasnap_shard", tests, NULL, NULL);
}
