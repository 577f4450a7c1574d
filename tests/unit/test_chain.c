// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier's core (userspace/chain.c and the checks in attest.c): the
 * archive walked from each of its trusted starts, the live log checked
 * against it, checkpoints, and the clock counters of successive quotes.
 * Archives are the real logs of tests/data cut into shards.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "chain.h"
#include "fixture.h"
#include "live.h"

#define PARTS	3

struct chain_fixture {
	char dir[64];
	struct fixture *f;
	size_t cut[PARTS + 1];		/* byte offsets of the shard bounds */
	u64 idx[PARTS + 1];		/* record indexes of the same */
	struct imasnap_shard sh[PARTS];
	struct imasnap_evp *evp;
};

static void rm_dir(const char *dir)
{
	struct dirent *de;
	char p[512];
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void shard_path(const struct chain_fixture *s, u64 seq, char *buf, size_t size)
{
	assert_int_equal(imasnap_shard_path(s->dir, seq, buf, size), 0);
}

/* Cut the fixture's log into PARTS shards at record bounds, as snapshot would. */
static void write_archive(struct chain_fixture *s, const char *fixture)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	u64 n = 0, want;
	unsigned int i, part = 1;

	s->f = fixture_load(fixture);
	assert_true(s->f->records >= PARTS);
	s->cut[0] = 0;
	s->idx[0] = 0;
	/* Walk the records, cutting after every records / PARTS of them. */
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	for (size_t off = 0; off < s->f->log_len && part < PARTS; off += rec.size) {
		assert_true(imasnap_log_next(&log, s->f->log + off, s->f->log_len - off,
					     true, &rec, &err) > 0);
		n++;
		want = (u64)part * s->f->records / PARTS;
		if (n == want) {
			s->cut[part] = off + rec.size;
			s->idx[part] = n;
			part++;
		}
	}
	s->cut[PARTS] = s->f->log_len;
	s->idx[PARTS] = s->f->records;
	for (i = 0; i < PARTS; i++) {
		struct imasnap_shard *sh = &s->sh[i];

		sh->seq = i;
		sh->kind = IMASNAP_SHARD_LOG;
		sh->order = IMASNAP_LOG_LE;
		sh->first_entry = s->idx[i];
		sh->entries = s->idx[i + 1] - s->idx[i];
		sh->log_offset = s->cut[i];
		sh->body_size = s->cut[i + 1] - s->cut[i];
		memset(sh->boot_id, 0xb1, 16);
		if (i) {
			memcpy(sh->prev_digest, s->sh[i - 1].digest, 32);
			sh->start = s->sh[i - 1].end;
		}
		assert_int_equal(replay_log(s->f->log + s->cut[i], sh->body_size, s->f->banks,
					    fixture_padded(s->f), i ? &sh->start : NULL,
					    &sh->end, &err), 0);
		assert_int_equal(imasnap_shard_write(s->dir, sh, s->f->log + s->cut[i],
						     test_hash_ops()), 0);
	}
}

static int setup(void **state)
{
	struct chain_fixture *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	strcpy(s->dir, "/tmp/imasnap-chain-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	s->evp = imasnap_evp_new();
	assert_non_null(s->evp);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct chain_fixture *s = *state;

	rm_dir(s->dir);
	fixture_free(s->f);
	imasnap_evp_free(s->evp);
	free(s);
	return 0;
}

/* Feed @len bytes of @log as the live log; the first failure's return. */
static int feed_live(struct imasnap_chain *c, const u8 *log, size_t len,
		     struct imasnap_replay *rp, const struct fixture *f,
		     struct imasnap_evp *evp)
{
	struct imasnap_log_record rec;
	struct imasnap_log lg;
	struct imasnap_err err;
	size_t off;
	int ret;

	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	imasnap_replay_add_banks(rp, f->banks);
	imasnap_replay_start(rp, &c->start);
	imasnap_log_init(&lg, IMASNAP_LOG_LE);
	for (off = 0; off < len; off += rec.size) {
		ret = imasnap_log_next(&lg, log + off, len - off, true, &rec, &err);
		if (ret <= 0)
			return ret;
		ret = imasnap_chain_live_record(c, &lg, &rec, rp, &err);
		if (ret)
			return ret;
	}
	return imasnap_chain_live_end(c);
}

static void write_file(const char *path, const u8 *p, size_t n)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* The walk with the live log at @live compared alongside (verify's way), on @threads. */
static int walk_live(struct chain_fixture *s, struct imasnap_chain *c, const char *live,
		     unsigned int threads)
{
	struct imasnap_chain_opts o = { .dir = s->dir, .live = live, .threads = threads };

	imasnap_chain_init(c);
	return imasnap_chain_walk(c, &o, s->evp);
}

/*
 * The live log at @path, as verify reads it: on from the walk's comparison
 * when that holds (*@resumed 1), else from its start (0).
 */
static int feed_live_file(struct imasnap_chain *c, const char *path, struct imasnap_replay *rp,
			  const struct fixture *f, struct imasnap_evp *evp, int *resumed)
{
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	int ret;

	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	imasnap_replay_add_banks(rp, f->banks);
	imasnap_replay_start(rp, &c->start);
	*resumed = imasnap_chain_live_resume(c, rp, &lf);
	if (*resumed < 0)
		return *resumed;
	if (!*resumed)
		assert_int_equal(imasnap_logfile_open(&lf, path, IMASNAP_ORDER_AUTO), 0);
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		ret = imasnap_chain_live_record(c, &lf.log, &rec, rp, &err);
		if (ret)
			break;
	}
	imasnap_logfile_close(&lf);
	return ret ?: imasnap_chain_live_end(c);
}

static void assert_reaches_tpm(const struct imasnap_replay *rp, const struct fixture *f)
{
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (f->banks & (1U << b))
			assert_true(imasnap_replay_pick(rp, b, &f->pcrs) >= 0);
}

static void assert_error_has(const char *what)
{
	if (!strstr(imasnap_last_error(), what))
		fail_msg("error \"%s\" does not say \"%s\"", imasnap_last_error(), what);
}

static int walk(struct chain_fixture *s, struct imasnap_chain *c,
		const struct imasnap_chain_opts *opts)
{
	struct imasnap_chain_opts o = { .dir = s->dir };

	imasnap_chain_init(c);
	return imasnap_chain_walk(c, opts ? opts : &o, s->evp);
}

static void full_walk_of_every_fixture_cut_in_shards_reaches_the_tpm(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_chain c;
	size_t i;

	for (i = 0; i < nr_fixtures; i++) {
		rm_dir(s->dir);
		assert_int_equal(mkdir(s->dir, 0700), 0);
		fixture_free(s->f);
		write_archive(s, fixture_names[i]);
		assert_int_equal(walk(s, &c, NULL), 0);
		assert_int_equal(c.count, PARTS);
		assert_int_equal(c.first, 0);
		assert_false(c.need_aggregate);
		assert_int_equal(c.nr_slices, PARTS);
		assert_int_equal(feed_live(&c, s->f->log, s->f->log_len, rp, s->f, s->evp), 0);
		assert_int_equal(c.live_records, s->f->records);
		assert_reaches_tpm(rp, s->f);
		assert_memory_equal(c.newest.shard.digest, s->sh[PARTS - 1].digest, 32);
		imasnap_chain_free(&c);
	}
	free(rp);
}

static void walk_rejects_shards_in_the_wrong_order(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_chain c;
	char a[128], b[128], t[136];

	write_archive(s, "ima-ng-sha1-sha256");
	shard_path(s, 1, a, sizeof(a));
	shard_path(s, 2, b, sizeof(b));
	snprintf(t, sizeof(t), "%s.swap", a);
	assert_int_equal(rename(a, t), 0);
	assert_int_equal(rename(b, a), 0);
	assert_int_equal(rename(t, b), 0);
	assert_int_equal(walk(s, &c, NULL), -IMASNAP_EVERIFY);
	assert_error_has("shard 1 holds seq 2");
	imasnap_chain_free(&c);
}

static void walk_rejects_a_gap(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_chain c;
	char p[128];

	write_archive(s, "ima-ng-sha1-sha256");
	shard_path(s, 1, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(walk(s, &c, NULL), -IMASNAP_EVERIFY);
	assert_error_has("a shard is missing: shard 1 (1 missing between shard 0 and shard");
	imasnap_chain_free(&c);
}

static void walk_rejects_a_start_that_is_not_the_previous_end(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_shard *sh = &s->sh[2];
	struct imasnap_chain c;
	struct imasnap_err err;
	char p[128];

	write_archive(s, "pcr11");
	/* Shard 2 again, from shard 0's end: well-formed, linked, wrong start. */
	shard_path(s, 2, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	sh->start = s->sh[0].end;
	assert_int_equal(replay_log(s->f->log + s->cut[2], sh->body_size, s->f->banks, 0,
				    &sh->start, &sh->end, &err), 0);
	assert_int_equal(imasnap_shard_write(s->dir, sh, s->f->log + s->cut[2],
					     test_hash_ops()), 0);
	assert_int_equal(walk(s, &c, NULL), -IMASNAP_EVERIFY);
	assert_error_has("shard 2 does not start where shard 1 ends");
	imasnap_chain_free(&c);
}

static void walk_rejects_an_end_state_the_body_does_not_reach(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_shard *sh = &s->sh[1];
	struct imasnap_chain c;
	char p[128];

	write_archive(s, "ima-ng-sha1-sha256");
	shard_path(s, 1, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	sh->end.pcr[IMASNAP_BANK_SHA256][IMASNAP_IMA_PCR][0] ^= 1;
	assert_int_equal(imasnap_shard_write(s->dir, sh, s->f->log + s->cut[1],
					     test_hash_ops()), 0);
	assert_int_equal(walk(s, &c, NULL), -IMASNAP_EVERIFY);
	assert_error_has("shard 1: its records do not replay to its sha256 end state; PCR 10: replayed ");
	assert_error_has(", the end state has ");
	imasnap_chain_free(&c);
}

static void pruned_archive_needs_a_trusted_start(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_chain_opts o = { .dir = s->dir };
	struct imasnap_chain c;
	char p[128];

	write_archive(s, "ima-ng-sha1-sha256");
	shard_path(s, 0, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(walk(s, &c, NULL), -IMASNAP_EVERIFY);
	assert_error_has("shards 0..0 are missing");
	imasnap_chain_free(&c);
	o.anchored = true;
	assert_int_equal(walk(s, &c, &o), -IMASNAP_EVERIFY);
	assert_error_has("shard 1 has no quote in its trailer to anchor on");
	imasnap_chain_free(&c);
}

static void walk_from_a_checkpoint_skips_the_archived_prefix(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_checkpoint cp = { .shard = s->sh[0] };
	struct imasnap_chain_opts o = { .dir = s->dir, .from = &cp, .save = true };
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_chain c;
	char p[128];

	write_archive(s, "violations");
	cp.shard = s->sh[0];
	shard_path(s, 0, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(walk(s, &c, &o), 0);
	assert_int_equal(c.count, PARTS - 1);
	assert_int_equal(c.first, 1);
	assert_int_equal(c.skip, s->cut[1]);
	assert_int_equal(feed_live(&c, s->f->log, s->f->log_len, rp, s->f, s->evp), 0);
	assert_int_equal(rp->records, s->f->records - s->idx[1]);
	assert_reaches_tpm(rp, s->f);
	imasnap_chain_free(&c);

	/* With the prefix digest an earlier verification kept: byte-exact. */
	cp.has_prefix = true;
	assert_int_equal(EVP_Digest(s->f->log, s->cut[1], cp.prefix, NULL, EVP_sha256(), NULL), 1);
	assert_int_equal(walk(s, &c, &o), 0);
	assert_int_equal(feed_live(&c, s->f->log, s->f->log_len, rp, s->f, s->evp), 0);
	assert_true(c.newest.has_prefix);	/* kept for the next checkpoint */
	imasnap_chain_free(&c);
	cp.prefix[0] ^= 1;
	assert_int_equal(walk(s, &c, &o), 0);
	assert_int_equal(feed_live(&c, s->f->log, s->f->log_len, rp, s->f, s->evp),
			 -IMASNAP_EVERIFY);
	assert_error_has("are not those the checkpoint vouched for");
	imasnap_chain_free(&c);
	cp.has_prefix = false;

	/* A checkpoint of another shard 0 is not what shard 1 links to. */
	cp.shard.digest[0] ^= 1;
	assert_int_equal(walk(s, &c, &o), -IMASNAP_EVERIFY);
	assert_error_has("shard 1 does not link to shard 0");
	imasnap_chain_free(&c);
	free(rp);
}

static void live_log_must_hold_the_archived_shards(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_chain c;
	u8 *log;

	write_archive(s, "ima-buf");
	/* Cut short inside the archive. */
	assert_int_equal(walk(s, &c, NULL), 0);
	assert_int_equal(feed_live(&c, s->f->log, s->cut[2], rp, s->f, s->evp),
			 -IMASNAP_EVERIFY);
	assert_error_has("the live log is shorter than shard 2 says");
	imasnap_chain_free(&c);
	/* Shard 1's records in another order: the bytes differ. */
	log = malloc(s->f->log_len);
	assert_non_null(log);
	memcpy(log, s->f->log, s->f->log_len);
	memcpy(log + s->cut[1], s->f->log + s->cut[2], s->cut[3] - s->cut[2]);
	memcpy(log + s->cut[1] + (s->cut[3] - s->cut[2]), s->f->log + s->cut[1],
	       s->cut[2] - s->cut[1]);
	assert_int_equal(walk(s, &c, NULL), 0);
	assert_int_not_equal(feed_live(&c, log, s->f->log_len, rp, s->f, s->evp), 0);
	assert_error_has("live log record");
	imasnap_chain_free(&c);
	free(log);
	free(rp);
}

static void after_a_tail_the_live_log_must_name_it(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_shard *tail = &s->sh[2];
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_chain c;
	char p[128];

	write_archive(s, "ima-ng-sha1-sha256");
	/* Shard 2 becomes the tail the module carried across kexec. */
	shard_path(s, 2, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	tail->kind = IMASNAP_SHARD_TAIL;
	assert_int_equal(imasnap_shard_write(s->dir, tail, s->f->log + s->cut[2],
					     test_hash_ops()), 0);
	assert_int_equal(walk(s, &c, NULL), 0);
	assert_true(c.need_aggregate);
	assert_int_equal(c.agg.seq, 1);
	assert_int_equal(c.agg.entries, s->f->records);
	assert_int_equal(c.agg.tail_entries, tail->entries);
	assert_memory_equal(c.agg.shard, s->sh[1].digest, 32);
	assert_memory_equal(c.agg.tail, tail->body_digest, 32);
	assert_memory_equal(&c.start, &tail->end, sizeof(c.start));
	assert_int_equal(c.nr_slices, 0);
	/* The next boot's log, without the snapshot_aggregate record. */
	assert_int_equal(feed_live(&c, s->f->log, s->cut[1], rp, s->f, s->evp),
			 -IMASNAP_EVERIFY);
	assert_error_has("no snapshot_aggregate naming shard 1");
	imasnap_chain_free(&c);
	free(rp);
}

/*
 * Verify's walk compares the live log with the boot's shards as it reads
 * them, and the live check goes on after them: the same result as the
 * record-by-record check of the whole live log, for every fixture, with
 * the last shard's records left for the live log to replay.
 */
static void live_log_compared_in_the_walk_checks_as_record_by_record(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_replay *want = calloc(1, sizeof(*want));
	struct imasnap_chain c, slow;
	char live[80], p[128];
	size_t i;
	int resumed;

	assert_non_null(rp);
	assert_non_null(want);
	snprintf(live, sizeof(live), "%s.live", s->dir);
	for (i = 0; i < nr_fixtures; i++) {
		rm_dir(s->dir);
		assert_int_equal(mkdir(s->dir, 0700), 0);
		fixture_free(s->f);
		write_archive(s, fixture_names[i]);
		shard_path(s, PARTS - 1, p, sizeof(p));
		assert_int_equal(unlink(p), 0);
		write_file(live, s->f->log, s->f->log_len);

		assert_int_equal(walk(s, &slow, NULL), 0);
		assert_int_equal(feed_live(&slow, s->f->log, s->f->log_len, want, s->f, s->evp), 0);
		/* The shards replayed on one thread and on two. */
		assert_int_equal(walk_live(s, &c, live, 1 + i % 2), 0);
		assert_int_equal(feed_live_file(&c, live, rp, s->f, s->evp, &resumed), 0);
		/* Compared unless a slice is replayed again (a bank without the boot's rule). */
		assert_int_equal(resumed, slow.seeded > 0);
		if (!strcmp(fixture_names[i], "ima-ng-sha1-sha256"))
			assert_int_equal(resumed, 1);
		assert_int_equal(c.live_records, slow.live_records);
		assert_int_equal(c.live_bytes, slow.live_bytes);
		assert_int_equal(c.aggregates, slow.aggregates);
		assert_int_equal(c.bound, slow.bound);
		assert_int_equal(c.slice, slow.slice);
		assert_int_equal(c.boots, slow.boots);
		assert_int_equal(rp->records, want->records);
		assert_int_equal(rp->violations, want->violations);
		assert_int_equal(rp->nr_lanes, want->nr_lanes);
		assert_memory_equal(rp->lane, want->lane, want->nr_lanes * sizeof(want->lane[0]));
		assert_reaches_tpm(rp, s->f);
		imasnap_chain_free(&c);
		imasnap_chain_free(&slow);
	}
	unlink(live);
	free(want);
	free(rp);
}

/*
 * A live log that is not the shards' bytes: the walk's comparison does not
 * hold, and the record-by-record check names what it names without it.
 */
static void live_log_that_differs_from_the_walk_is_checked_record_by_record(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_chain c;
	char live[80], want[512];
	size_t at[3];
	unsigned int i;
	u8 *log;
	int resumed;

	assert_non_null(rp);
	snprintf(live, sizeof(live), "%s.live", s->dir);
	write_archive(s, "ima-ng-sha1-sha256");
	log = malloc(s->f->log_len);
	assert_non_null(log);
	/*
	 * A byte of the file name of shard 1's last record, of its first
	 * record's template name (the record no longer parses), of shard 0's
	 * first (its boot_aggregate); the log ending where shard 2 begins.
	 */
	at[0] = s->cut[2] - 2;
	at[1] = s->cut[1] + 30;
	at[2] = 40;
	for (i = 0; i < 4; i++) {
		size_t len = i == 3 ? s->cut[2] : s->f->log_len;
		int ret;

		memcpy(log, s->f->log, s->f->log_len);
		if (i < 3)
			log[at[i]] ^= 0x20;
		assert_int_equal(walk(s, &c, NULL), 0);
		ret = feed_live(&c, log, len, rp, s->f, s->evp);
		assert_int_not_equal(ret, 0);
		snprintf(want, sizeof(want), "%s", imasnap_last_error());
		imasnap_chain_free(&c);

		write_file(live, log, len);
		assert_int_equal(walk_live(s, &c, live, 2), 0);
		assert_int_equal(feed_live_file(&c, live, rp, s->f, s->evp, &resumed), ret);
		assert_int_equal(resumed, 0);
		if (ret == -IMASNAP_EVERIFY)
			assert_string_equal(imasnap_last_error(), want);
		imasnap_chain_free(&c);
	}
	unlink(live);
	free(log);
	free(rp);
}

/* Append a u32 (little-endian, the fixtures' order) to @p. */
static u8 *put32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
	return p + 4;
}

/*
 * An ima-buf record of PCR 10 named snapshot_aggregate with @text, as the
 * module has IMA measure it: @out gets it, its size returned.
 */
static size_t aggregate_record(const char *text, size_t len, u8 *out)
{
	static const char name[] = IMASNAP_AGGREGATE_EVENT;
	u8 data[1024], *d = data, *p = out;
	unsigned int n;

	d = put32(d, 8 + 32);
	memcpy(d, "sha256:", 8);
	assert_int_equal(EVP_Digest(text, len, d + 8, &n, EVP_sha256(), NULL), 1);
	d = put32(d + 8 + 32, sizeof(name));
	memcpy(d, name, sizeof(name));
	d = put32(d + sizeof(name), (u32)len);
	memcpy(d, text, len);
	d += len;
	p = put32(p, IMASNAP_IMA_PCR);
	assert_int_equal(EVP_Digest(data, (size_t)(d - data), p, &n, EVP_sha1(), NULL), 1);
	p = put32(p + 20, 7);
	memcpy(p, "ima-buf", 7);
	p = put32(p + 7, (u32)(d - data));
	memcpy(p, data, (size_t)(d - data));
	return (size_t)(p - out) + (size_t)(d - data);
}

/*
 * After a kexec, the new boot's own shard holds its snapshot_aggregate:
 * the walk compares the live log with that shard, and the aggregate it
 * holds is counted and binds as when the live log is read record by
 * record; a second one inside the shard is refused the same way.
 */
static void snapshot_aggregate_inside_a_compared_shard_counts(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_shard *tail = &s->sh[2], next;
	struct imasnap_aggregate agg = { 0 };
	struct imasnap_log_record rec;
	struct imasnap_chain c, slow;
	struct imasnap_log lg;
	struct imasnap_err err;
	size_t first, len, alen, i;
	char live[80], text[2048], p[128], want[512];
	u8 *log;
	int resumed, n, ret;

	assert_non_null(rp);
	snprintf(live, sizeof(live), "%s.live", s->dir);
	write_archive(s, "ima-ng-sha1-sha256");
	shard_path(s, 2, p, sizeof(p));
	assert_int_equal(unlink(p), 0);
	tail->kind = IMASNAP_SHARD_TAIL;
	assert_int_equal(imasnap_shard_write(s->dir, tail, s->f->log + s->cut[2],
					     test_hash_ops()), 0);
	/* What the module has IMA measure in the next boot. */
	agg.seq = 1;
	agg.entries = s->f->records;
	agg.tail_entries = tail->entries;
	memcpy(agg.shard, s->sh[1].digest, 32);
	memcpy(agg.tail, tail->body_digest, 32);
	agg.state = tail->end;
	n = imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, &agg, text, sizeof(text));
	assert_true(n > 0);
	/* The next boot: the same boot_aggregate, the aggregate (once, then twice), the rest. */
	imasnap_log_init(&lg, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&lg, s->f->log, s->f->log_len, true, &rec, &err) > 0);
	first = rec.size;
	log = malloc(s->f->log_len + 2 * 2048);
	assert_non_null(log);
	for (i = 1; i <= 2; i++) {
		memcpy(log, s->f->log, first);
		alen = aggregate_record(text, (size_t)n, log + first);
		len = first + alen;
		if (i == 2) {
			memcpy(log + len, log + first, alen);
			len += alen;
		}
		memcpy(log + len, s->f->log + first, s->cut[1] - first);
		len += s->cut[1] - first;
		/* Shard 3: the next boot's log so far. */
		memset(&next, 0, sizeof(next));
		next.seq = 3;
		next.kind = IMASNAP_SHARD_LOG;
		next.order = IMASNAP_LOG_LE;
		next.entries = s->idx[1] + i;
		next.body_size = len;
		memset(next.boot_id, 0xb2, 16);
		memcpy(next.prev_digest, tail->digest, 32);
		next.start = tail->end;
		assert_int_equal(replay_log(log, len, s->f->banks, fixture_padded(s->f), &next.start,
					    &next.end, &err), 0);
		shard_path(s, 3, p, sizeof(p));
		unlink(p);
		assert_int_equal(imasnap_shard_write(s->dir, &next, log, test_hash_ops()), 0);
		/* The live log: that shard's bytes, then the rest of the fixture's records. */
		memcpy(log + len, s->f->log + s->cut[1], s->f->log_len - s->cut[1]);
		len += s->f->log_len - s->cut[1];
		write_file(live, log, len);

		assert_int_equal(walk(s, &slow, NULL), 0);
		assert_true(slow.need_aggregate);
		ret = feed_live(&slow, log, len, rp, s->f, s->evp);
		snprintf(want, sizeof(want), "%s", imasnap_last_error());
		assert_int_equal(walk_live(s, &c, live, 2), 0);
		assert_int_equal(feed_live_file(&c, live, rp, s->f, s->evp, &resumed), ret);
		assert_int_equal(resumed, 1);
		assert_int_equal(c.aggregates, i);
		assert_int_equal(c.aggregates, slow.aggregates);
		assert_true(c.bound);
		assert_int_equal(slow.bound, c.bound);
		if (i == 1) {
			assert_int_equal(ret, 0);
		} else {
			assert_int_equal(ret, -IMASNAP_EVERIFY);
			assert_string_equal(imasnap_last_error(), want);
			assert_error_has("the live log has 2 snapshot_aggregate records");
		}
		imasnap_chain_free(&c);
		imasnap_chain_free(&slow);
	}
	unlink(live);
	free(log);
	free(rp);
}

/*
 * An archive begun before format version 2 and continued after: shards 0
 * and 1 as version 1 wrote them (each link the version 1 digest), shard 2
 * of version 2.  The walk takes it; an edit in a version 1 shard's body fails it.
 */
static void walk_takes_a_chain_of_format_1_shards_continued_in_format_2(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_shard *got = calloc(1, sizeof(*got));
	struct imasnap_err err;
	struct imasnap_chain c;
	u8 d0[32], d1[32];
	char path[128];
	size_t len;
	unsigned char *file;
	FILE *f;

	write_archive(s, "ima-ng-sha1-sha256");
	shard_path(s, 0, path, sizeof(path));
	shard_file_as_version_1(path, NULL, d0);
	shard_path(s, 1, path, sizeof(path));
	shard_file_as_version_1(path, d0, d1);
	/* Shard 2 links to shard 1's version 1 digest: patched, its own digest changes. */
	shard_path(s, 2, path, sizeof(path));
	file = read_file(path, &len);
	memcpy(file + offsetof(struct imasnap_shard_hdr, prev_digest), d1, 32);
	f = fopen(path, "wb");
	assert_int_equal(fwrite(file, 1, len, f), len);
	fclose(f);
	free(file);
	assert_int_equal(imasnap_shard_read(path, got, NULL, &err), 0);
	assert_int_equal(got->version, 2);
	assert_int_equal(walk(s, &c, NULL), 0);
	assert_int_equal(c.count, PARTS);
	assert_memory_equal(c.newest.shard.digest, got->digest, 32);
	imasnap_chain_free(&c);

	/* A record of shard 1 edited: its replay or its body digest fails. */
	shard_path(s, 1, path, sizeof(path));
	file = read_file(path, &len);
	file[len - 5] ^= 0x01;
	f = fopen(path, "wb");
	assert_int_equal(fwrite(file, 1, len, f), len);
	fclose(f);
	free(file);
	assert_int_not_equal(walk(s, &c, NULL), 0);
	imasnap_chain_free(&c);
	free(got);
}

/* The clock line is read in the one form the writer gives: no sign, no extra text. */
static void checkpoint_read_takes_the_clock_line_only_as_written(void **state)
{
	static const char *const bad[] = {
		"clock 1 +0 0 0 0 1 0\n",
		"clock 1 0 0 0 0 1 0 junk\n",
		"clock 1 0 0 0 0 1  0\n",
		"clock 1 0 0 4294967296 0 1 0\n",
		"clock 2 0 0 0 0 1 0\n",
		"clock 1 0 0 0 0 1\n",
	};
	struct chain_fixture *s = *state;
	struct imasnap_checkpoint *cp = calloc(1, sizeof(*cp));
	char path[128], *text, *clock;
	size_t len, i;
	FILE *f;
	int ret;

	assert_non_null(cp);
	write_archive(s, "pcr11");
	snprintf(path, sizeof(path), "%s/checkpoint", s->dir);
	cp->shard = s->sh[0];
	assert_int_equal(imasnap_checkpoint_write(path, cp), 0);
	text = (char *)read_file(path, &len);
	text = realloc(text, len + 1);
	assert_non_null(text);
	text[len] = 0;
	clock = strstr(text, "clock ");
	assert_non_null(clock);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(text, 1, (size_t)(clock - text), f);
		fputs(bad[i], f);
		fclose(f);
		ret = imasnap_checkpoint_read(path, cp);
		if (ret != -EBADMSG)
			fail_msg("%d for: %s", ret, bad[i]);
	}
	f = fopen(path, "w");
	fwrite(text, 1, (size_t)(clock - text), f);
	fputs("clock 1 3 77 2 1 1 0\n", f);
	fclose(f);
	assert_int_equal(imasnap_checkpoint_read(path, cp), 0);
	assert_int_equal(cp->clock.seq, 3);
	assert_int_equal(cp->clock.info.clock, 77);
	assert_int_equal(cp->clock.info.resetCount, 2);
	free(text);
	free(cp);
}

static void checkpoint_round_trip_keeps_the_trust_point(void **state)
{
	struct chain_fixture *s = *state;
	struct imasnap_checkpoint *cp = calloc(2, sizeof(*cp));
	char path[128];

	assert_non_null(cp);
	write_archive(s, "pcr11");
	cp[0].shard = s->sh[1];
	cp[0].clock.valid = true;
	cp[0].clock.seq = 1;
	cp[0].clock.info.clock = 123456789;
	cp[0].clock.info.resetCount = 7;
	cp[0].clock.info.restartCount = 2;
	cp[0].clock.info.safe = 1;
	cp[0].clock.cold_boots = 2;
	cp[0].has_prefix = true;
	memset(cp[0].prefix, 0x5a, 32);
	snprintf(path, sizeof(path), "%s/checkpoint", s->dir);
	assert_int_equal(imasnap_checkpoint_write(path, &cp[0]), 0);
	assert_int_equal(imasnap_checkpoint_read(path, &cp[1]), 0);
	/* It keeps the shard's digest, not the format version it was computed in. */
	assert_int_equal(cp[1].shard.version, 0);
	cp[1].shard.version = cp[0].shard.version;
	assert_memory_equal(&cp[0].shard, &cp[1].shard, sizeof(cp[0].shard));
	assert_memory_equal(&cp[0].clock, &cp[1].clock, sizeof(cp[0].clock));
	assert_true(cp[1].has_prefix);
	assert_memory_equal(cp[0].prefix, cp[1].prefix, 32);
	free(cp);
}

static void checkpoint_read_rejects_what_is_not_one(void **state)
{
	static const char *const bad[] = {
		"garbage\n",
		"imasnap-checkpoint 3\n",
		"imasnap-checkpoint 2\nseq 1\n",
		"imasnap-checkpoint 2\nseq x\n",
	};
	struct chain_fixture *s = *state;
	struct imasnap_checkpoint *cp = calloc(1, sizeof(*cp));
	char path[128], *text;
	size_t len, i;
	FILE *f;

	assert_non_null(cp);
	write_archive(s, "pcr11");
	snprintf(path, sizeof(path), "%s/checkpoint", s->dir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		assert_int_equal(imasnap_checkpoint_read(path, cp), -EBADMSG);
	}
	/* A good one with a line more, a line less, another kind. */
	cp->shard = s->sh[0];
	assert_int_equal(imasnap_checkpoint_write(path, cp), 0);
	text = (char *)read_file(path, &len);
	f = fopen(path, "w");
	fwrite(text, 1, len, f);
	fputs("extra 1\n", f);
	fclose(f);
	assert_int_equal(imasnap_checkpoint_read(path, cp), -EBADMSG);
	f = fopen(path, "w");
	fwrite(text, 1, (size_t)(strstr(text, "clock ") - text), f);
	fclose(f);
	assert_int_equal(imasnap_checkpoint_read(path, cp), -EBADMSG);
	*strstr(text, "kind 1") = 'x';
	f = fopen(path, "w");
	fwrite(text, 1, len, f);
	fclose(f);
	assert_int_equal(imasnap_checkpoint_read(path, cp), -EBADMSG);
	assert_int_equal(imasnap_checkpoint_read("/nonexistent/checkpoint", cp), -ENOENT);
	free(text);

	/* Version 1 (no prefix line) still reads, as a checkpoint without a prefix. */
	cp->shard = s->sh[0];
	cp->has_prefix = true;
	assert_int_equal(imasnap_checkpoint_write(path, cp), 0);
	text = (char *)read_file(path, &len);
	text = realloc(text, len + 1);
	text[len] = 0;
	text[strlen("imasnap-checkpoint ")] = '1';
	{
		char *p = strstr(text, "prefix "), *nl = strchr(p, '\n');

		memmove(p, nl + 1, strlen(nl + 1) + 1);
	}
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	assert_int_equal(imasnap_checkpoint_read(path, cp), 0);
	assert_false(cp->has_prefix);
	assert_memory_equal(cp->shard.digest, s->sh[0].digest, 32);
	free(text);
	free(cp);
}

/* One row: the earlier and later quotes' clocks, a cold boot between, verdict. */
struct follows_case {
	const char *what;
	u32 reset[2], restart[2];
	u64 clock[2];
	u8 safe;
	u32 cold;
	bool ok;
};

static void quote_clock_must_tell_the_archives_story(void **state)
{
	static const struct follows_case cases[] = {
		{ "later, same boot or kexec", { 3, 3 }, { 0, 0 }, { 100, 200 }, 1, 0, true },
		{ "reset and a cold boot", { 3, 4 }, { 0, 0 }, { 100, 50 }, 0, 1, true },
		{ "two resets, one archived cold boot", { 3, 5 }, { 0, 0 }, { 100, 50 }, 0, 1, true },
		{ "two archived cold boots, one reset", { 3, 4 }, { 0, 0 }, { 100, 50 }, 0, 2, false },
		{ "reset without a cold boot", { 3, 4 }, { 0, 0 }, { 100, 200 }, 1, 0, false },
		{ "a cold boot without a reset", { 3, 3 }, { 0, 0 }, { 100, 200 }, 1, 1, false },
		{ "lower resetCount", { 4, 3 }, { 0, 0 }, { 100, 200 }, 1, 1, false },
		{ "lower restartCount", { 3, 3 }, { 2, 1 }, { 100, 200 }, 1, 0, false },
		{ "clock back, not restarted, unsafe", { 3, 3 }, { 1, 1 }, { 200, 100 }, 0, 0, false },
		{ "clock back after a resume, unsafe", { 3, 3 }, { 1, 2 }, { 200, 100 }, 0, 0, true },
		{ "clock back after a resume, safe", { 3, 3 }, { 1, 2 }, { 200, 100 }, 1, 0, false },
	};
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct follows_case *k = &cases[i];
		TPMS_CLOCK_INFO a = { .clock = k->clock[0], .resetCount = k->reset[0],
				      .restartCount = k->restart[0], .safe = 1 };
		TPMS_CLOCK_INFO b = { .clock = k->clock[1], .resetCount = k->reset[1],
				      .restartCount = k->restart[1], .safe = k->safe };
		int ret = imasnap_quote_follows(&a, &b, k->cold, &why);

		if ((ret == 0) != k->ok)
			fail_msg("%s: got %d, want %s", k->what, ret, k->ok ? "0" : "-EBADMSG");
	}
}

static void quote_pcr_digest_is_the_selected_values_in_order(void **state)
{
	struct fixture *f = fixture_load("pcr11");
	TPML_PCR_SELECTION sel;
	u8 got[32], want[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	u32 mask[IMASNAP_NR_BANKS];
	int b, p;

	(void)state;
	assert_non_null(md);
	imasnap_quote_select(f->pcrs.pcr_mask, &sel);
	imasnap_quote_masks(&sel, mask);
	assert_memory_equal(mask, f->pcrs.pcr_mask, sizeof(mask));
	assert_int_equal(imasnap_quote_state_digest(&f->pcrs, &sel, got), 0);
	assert_int_equal(EVP_DigestInit_ex2(md, EVP_sha256(), NULL), 1);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			if (f->pcrs.pcr_mask[b] & (1U << p))
				EVP_DigestUpdate(md, f->pcrs.pcr[b][p], imasnap_bank_info(b)->size);
	assert_int_equal(EVP_DigestFinal_ex(md, want, NULL), 1);
	assert_memory_equal(got, want, 32);
	/* A selection naming a PCR the state has no value for. */
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		f->pcrs.pcr_mask[b] &= 1U << IMASNAP_IMA_PCR;
	imasnap_quote_select(f->pcrs.pcr_mask, &sel);
	assert_int_equal(imasnap_quote_state_digest(&f->pcrs, &sel, got), 0);
	sel.pcrSelections[0].pcrSelect[0] |= 1;
	assert_int_equal(imasnap_quote_state_digest(&f->pcrs, &sel, got), -ENOENT);
	EVP_MD_CTX_free(md);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(full_walk_of_every_fixture_cut_in_shards_reaches_the_tpm,
						setup, teardown),
		cmocka_unit_test_setup_teardown(walk_rejects_shards_in_the_wrong_order, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_rejects_a_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_rejects_a_start_that_is_not_the_previous_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(walk_rejects_an_end_state_the_body_does_not_reach,
						setup, teardown),
		cmocka_unit_test_setup_teardown(pruned_archive_needs_a_trusted_start, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_from_a_checkpoint_skips_the_archived_prefix,
						setup, teardown),
		cmocka_unit_test_setup_teardown(live_log_must_hold_the_archived_shards, setup, teardown),
		cmocka_unit_test_setup_teardown(live_log_compared_in_the_walk_checks_as_record_by_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(live_log_that_differs_from_the_walk_is_checked_record_by_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(snapshot_aggregate_inside_a_compared_shard_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(walk_takes_a_chain_of_format_1_shards_continued_in_format_2,
						setup, teardown),
		cmocka_unit_test_setup_teardown(after_a_tail_the_live_log_must_name_it, setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_round_trip_keeps_the_trust_point,
						setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_read_takes_the_clock_line_only_as_written,
						setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_read_rejects_what_is_not_one,
						setup, teardown),
		cmocka_unit_test(quote_clock_must_tell_the_archives_story),
		cmocka_unit_test(quote_pcr_digest_is_the_selected_values_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
