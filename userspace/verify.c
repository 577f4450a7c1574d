// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap verify: the archive and the live log against the TPM's PCRs.
 *
 *  1. every shard: its own digests and bounds, its link to the previous
 *     shard, a start state that is the previous end (or zero at cold boot),
 *     and a body that replays from that start to its end;
 *  2. the live log: after a kexec it must hold a snapshot_aggregate naming
 *     the archived shard, the carried tail and the tail's end state; in a
 *     boot with shards, its first bytes must be those shards' bodies;
 *  3. the live log replays from the state the archive vouches for to the
 *     TPM's PCRs (or a PCR file).
 *
 * The snapshot_aggregate is a pointer, not an anchor: the start state comes
 * from the archive replayed from zero, never from the record.  The first
 * failure is named (shard, record, bank).  Memory does not grow with the log
 * or the archive.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <json-c/json.h>

#include "archive.h"
#include "quote.h"

struct verify_opts {
	const char *dir;
	const char *log;
	const char *pcrs;
	const char *tcti;
	const char *quote;
	const char *ak;
	const char *nonce;
	bool json;
};

static int verify_usage(FILE *f, int ret)
{
	fprintf(f,
		"Usage: imasnap verify --dir DIR [--log FILE] [--json]\n"
		"                      [--quote FILE --ak PEM --nonce HEX | --pcrs FILE | --tcti CONF]\n"
		"  --dir DIR       the archive\n"
		"  --log FILE      the live IMA log (default %s)\n"
		"  --quote FILE    a quote (imasnap quote) to verify against, signed by\n"
		"  --ak PEM        the attestation key, over\n"
		"  --nonce HEX     the verifier's nonce\n"
		"  --pcrs FILE     PCR values to verify against instead (no signature)\n"
		"  --tcti CONF     read the PCRs from this TPM (default: $TSS2_TCTI, tctildr's default)\n",
		IMASNAP_IMA_LOG);
	return ret;
}

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imasnap_errorf("verify: %s", msg);
	return code;
}

static bool state_empty(const struct imasnap_state *st)
{
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (st->pcr_mask[b])
			return false;
	return true;
}

/* Lanes, both rules, for every bank in @mask. */
static void lanes_for(struct imasnap_replay *rp, const struct imasnap_hash_ops *ops,
		      u32 mask)
{
	imasnap_replay_init(rp, ops);
	imasnap_replay_add_banks(rp, mask);
}

/* Shard @i against shard @i - 1 (@prev, NULL for the first). */
static int verify_link(const struct imasnap_shard *sh, const struct imasnap_shard *prev,
		       u64 i)
{
	static const u8 zero[32];
	bool same_boot = prev && !memcmp(prev->boot_id, sh->boot_id, 16);
	bool cold;

	if (sh->seq != i)
		return fail(IMASNAP_EXIT_MISMATCH, "shard %llu holds seq %llu",
			    (unsigned long long)i, (unsigned long long)sh->seq);
	/* snapshot never writes an empty shard; a tail may be empty. */
	if (!sh->entries && sh->kind == IMASNAP_SHARD_LOG)
		return fail(IMASNAP_EXIT_MISMATCH, "shard %llu holds no record",
			    (unsigned long long)i);
	if (!state_empty(&sh->start) && imasnap_state_banks(&sh->start) != imasnap_state_banks(&sh->end))
		return fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu ends in other banks than it starts in",
			    (unsigned long long)i);
	if (memcmp(sh->prev_digest, prev ? prev->digest : zero, 32))
		return fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu does not link to shard %llu (prev digest differs)",
			    (unsigned long long)i, (unsigned long long)(i - 1));
	if (sh->kind == IMASNAP_SHARD_TAIL) {
		if (!prev || prev->kind != IMASNAP_SHARD_LOG || !same_boot ||
		    sh->first_entry != prev->first_entry + prev->entries ||
		    sh->log_offset != prev->log_offset + prev->body_size ||
		    memcmp(&sh->start, &prev->end, sizeof(sh->start)))
			return fail(IMASNAP_EXIT_MISMATCH,
				    "tail shard %llu does not continue shard %llu",
				    (unsigned long long)i, (unsigned long long)(i - 1));
		return 0;
	}
	if (prev && prev->kind == IMASNAP_SHARD_LOG && same_boot) {
		if (sh->first_entry != prev->first_entry + prev->entries ||
		    sh->log_offset != prev->log_offset + prev->body_size ||
		    memcmp(&sh->start, &prev->end, sizeof(sh->start)))
			return fail(IMASNAP_EXIT_MISMATCH,
				    "shard %llu does not start where shard %llu ends",
				    (unsigned long long)i, (unsigned long long)(i - 1));
		return 0;
	}
	if (prev && prev->kind == IMASNAP_SHARD_TAIL && same_boot)
		return fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu claims the boot that tail shard %llu left by kexec",
			    (unsigned long long)i, (unsigned long long)(i - 1));
	if (sh->first_entry || sh->log_offset)
		return fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu is the first of a boot but does not start at its log's start",
			    (unsigned long long)i);
	cold = !prev || prev->kind == IMASNAP_SHARD_LOG;
	if (cold ? !state_empty(&sh->start) : memcmp(&sh->start, &prev->end, sizeof(sh->start)))
		return fail(IMASNAP_EXIT_MISMATCH, cold ?
			    "shard %llu starts a boot without a carried tail but not at zero" :
			    "shard %llu does not start at the end of tail shard %llu",
			    (unsigned long long)i, (unsigned long long)(i - 1));
	return 0;
}

/*
 * The body replayed from the start must give exactly the end state: in every
 * bank of the end, the same PCRs with the same values (a PCR nothing
 * extended cannot be smuggled into an end state).
 */
static int verify_end(const struct imasnap_replay *rp, const struct imasnap_shard *sh,
		      struct imasnap_state *scratch)
{
	int b, lane;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!sh->end.pcr_mask[b])
			continue;
		lane = imasnap_replay_pick(rp, b, &sh->end);
		if (lane >= 0) {
			imasnap_state_init(scratch);
			imasnap_replay_state(rp, (unsigned int)lane, scratch);
			if (scratch->pcr_mask[b] == sh->end.pcr_mask[b])
				continue;
		}
		return fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu: its records do not replay to its %s end state",
			    (unsigned long long)sh->seq, imasnap_bank_info(b)->name);
	}
	return 0;
}

/* A shard of this boot: the live log's bytes up to @end must digest to @digest. */
struct live_slice {
	u64 seq;
	u64 end;
	u8 digest[32];
};

/* What the live log must show, learnt from the archive. */
struct live_expect {
	struct imasnap_state start;	/* the state the live log starts from */
	bool need_aggregate;		/* this boot followed a kexec */
	struct imasnap_aggregate agg;	/* what its snapshot_aggregate must say */
	struct live_slice *slices;	/* this boot's shards, oldest first */
	u64 nr_slices;
	u32 banks;			/* the banks the newest shard ends in */
};

/* Start a new boot in @x at shard @sh; @prev is the shard before it or NULL. */
static void expect_boot(struct live_expect *x, const struct imasnap_shard *sh,
			const struct imasnap_shard *prev)
{
	x->start = sh->start;
	x->nr_slices = 0;
	x->need_aggregate = prev && prev->kind == IMASNAP_SHARD_TAIL;
	memset(&x->agg, 0, sizeof(x->agg));
	if (!x->need_aggregate)
		return;
	x->agg.seq = prev->seq - 1;
	x->agg.entries = prev->first_entry + prev->entries;
	x->agg.tail_entries = prev->entries;
	memcpy(x->agg.shard, prev->prev_digest, 32);
	memcpy(x->agg.tail, prev->body_digest, 32);
	x->agg.state = prev->end;
}

/* The text of an ima-buf record named snapshot_aggregate; NULL otherwise. */
static const u8 *aggregate_of(const struct imasnap_log *log,
			      const struct imasnap_log_record *rec, u32 *len)
{
	static const char name[] = IMASNAP_AGGREGATE_EVENT;
	const u8 *n, *d;
	u32 nl;

	if (rec->name_len != 7 || memcmp(rec->name, "ima-buf", 7) ||
	    imasnap_log_field(log, rec, 1, &n, &nl) || nl != sizeof(name) ||
	    memcmp(n, name, sizeof(name)) || imasnap_log_field(log, rec, 2, &d, len))
		return NULL;
	return d;
}

static bool aggregate_matches(const struct imasnap_aggregate *want, const u8 *text, u32 len)
{
	struct imasnap_aggregate *got = calloc(1, sizeof(*got));
	struct imasnap_err err;
	bool ok;

	if (!got)
		return false;
	ok = !imasnap_aggregate_parse(IMASNAP_AGG_SNAPSHOT, (const char *)text, len, got, &err) &&
	     got->seq == want->seq && got->entries == want->entries &&
	     got->tail_entries == want->tail_entries &&
	     !memcmp(got->shard, want->shard, 32) && !memcmp(got->tail, want->tail, 32) &&
	     !memcmp(&got->state, &want->state, sizeof(got->state));
	free(got);
	return ok;
}

/* Walk the archive: links, digests, replays. Fills @x for the live log. */
static int verify_archive(const struct verify_opts *o, struct imasnap_evp *evp,
			  struct live_expect *x, u64 *count)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_shard *prev = calloc(1, sizeof(*prev));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_state *scratch = calloc(1, sizeof(*scratch));
	struct imasnap_err err;
	char name[64], path[4096];
	u64 i;
	int ret;

	if (!sh || !prev || !rp || !scratch) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ret = imasnap_archive_count(o->dir, count);
	if (ret) {
		ret = fail(ret == -EBADMSG ? IMASNAP_EXIT_MISMATCH : IMASNAP_EXIT_IO, "%s: %s",
			   o->dir, ret == -EBADMSG ? "a shard is missing (gap in the sequence)" :
			   strerror(-ret));
		goto out;
	}
	for (i = 0; i < *count; i++) {
		struct imasnap_shard hdr;

		imasnap_shard_name(i, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", o->dir, name);
		/* The lanes depend on the start state: read the header first. */
		ret = imasnap_shard_read(path, &hdr, NULL, &err);
		if (!ret) {
			lanes_for(rp, imasnap_evp_ops(evp),
				  imasnap_state_banks(&hdr.start) | imasnap_state_banks(&hdr.end));
			ret = imasnap_shard_read(path, sh, rp, &err);
		}
		if (ret == -EBADMSG) {
			ret = fail(IMASNAP_EXIT_MISMATCH, "shard %llu: %s (%s %llu)",
				   (unsigned long long)i, err.reason,
				   err.index ? "record" : "byte",
				   (unsigned long long)(err.index ? err.index : err.offset));
			goto out;
		}
		if (ret) {
			ret = fail(IMASNAP_EXIT_IO, "%s: %s", path, strerror(-ret));
			goto out;
		}
		ret = verify_link(sh, i ? prev : NULL, i);
		if (!ret)
			ret = verify_end(rp, sh, scratch);
		if (ret)
			goto out;
		/* Track the newest boot: its shards are the live log's start. */
		if (sh->kind == IMASNAP_SHARD_LOG) {
			struct live_slice *sl;

			if (!i || prev->kind == IMASNAP_SHARD_TAIL ||
			    memcmp(prev->boot_id, sh->boot_id, 16))
				expect_boot(x, sh, i ? prev : NULL);
			sl = realloc(x->slices, (x->nr_slices + 1) * sizeof(*sl));
			if (!sl) {
				ret = IMASNAP_EXIT_FAILURE;
				goto out;
			}
			x->slices = sl;
			sl[x->nr_slices].seq = sh->seq;
			sl[x->nr_slices].end = sh->log_offset + sh->body_size;
			memcpy(sl[x->nr_slices].digest, sh->body_digest, 32);
			x->nr_slices++;
		}
		*prev = *sh;
	}
	if (*count)
		x->banks = imasnap_state_banks(&prev->end);
	/* A tail is newest: this boot has no shard yet and starts at its end. */
	if (*count && prev->kind == IMASNAP_SHARD_TAIL) {
		struct imasnap_shard none = { .start = prev->end };

		expect_boot(x, &none, prev);
	}
	ret = 0;
out:
	free(sh);
	free(prev);
	free(rp);
	free(scratch);
	return ret;
}

#define VERIFY_TRIES	3

/*
 * One live-log record: replay it, check it against this boot's archived
 * shards (their bytes come first), and look for the snapshot_aggregate.
 * Return: 0, -errno / -EBADMSG (err), or an exit code after fail().
 */
static int verify_live_record(const struct live_expect *x, const struct imasnap_log *log,
			      const struct imasnap_log_record *rec,
			      struct imasnap_replay *rp, EVP_MD_CTX *md, u64 *slice,
			      unsigned int *aggregates, bool *bound, struct imasnap_err *err)
{
	const u8 *text;
	u32 len;
	int ret;

	text = aggregate_of(log, rec, &len);
	if (text) {
		(*aggregates)++;
		/* Only IMA's own record counts: PCR 10, not a violation. */
		if (rec->pcr == IMASNAP_IMA_PCR && !imasnap_log_is_violation(rec) &&
		    x->need_aggregate && aggregate_matches(&x->agg, text, len))
			*bound = true;
	}
	ret = imasnap_replay_record(rp, rec, err);
	if (ret)
		return ret;
	if (*slice < x->nr_slices) {
		const struct live_slice *sl = &x->slices[*slice];
		u8 digest[32];

		if (!EVP_DigestUpdate(md, rec->raw, rec->size))
			return -EIO;
		if (rec->offset + rec->size > sl->end)
			return fail(IMASNAP_EXIT_MISMATCH,
				    "live log record %llu crosses the end of shard %llu",
				    (unsigned long long)rec->index, (unsigned long long)sl->seq);
		if (rec->offset + rec->size == sl->end) {
			if (!EVP_DigestFinal_ex(md, digest, NULL) ||
			    !EVP_DigestInit_ex2(md, EVP_sha256(), NULL))
				return -EIO;
			if (memcmp(digest, sl->digest, 32))
				return fail(IMASNAP_EXIT_MISMATCH, "the live log differs from shard %llu",
					    (unsigned long long)sl->seq);
			(*slice)++;
		}
	}
	return 0;
}

/*
 * The first bank whose replay does not reach @tpm, or -1.  A bank must have
 * PCR 10 (IMA's) among the PCRs compared: an empty comparison proves nothing.
 */
static int verify_live_banks(const struct imasnap_replay *rp, u32 banks,
			     const struct imasnap_state *tpm)
{
	int b, lane;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		const struct imasnap_lane *l;

		if (!(banks & (1U << b)))
			continue;
		lane = imasnap_replay_pick(rp, b, tpm);
		if (lane < 0)
			return b;
		l = &rp->lane[lane];
		if (!((l->touched | l->start_mask) & (1U << IMASNAP_IMA_PCR)))
			return b;
	}
	return -1;
}

/*
 * Load and check everything of a quote that does not need the replay:
 * magic, type, nonce, signature, and a PCR selection with PCR 10 in every
 * bank the archive vouches for.  @banks: the banks it selects.
 */
static int verify_quote_load(const struct verify_opts *o, struct imasnap_quote *q,
			     EVP_PKEY **ak, u32 *banks, const struct live_expect *x)
{
	const TPMS_QUOTE_INFO *qi = &q->attest.attested.quote;
	u8 nonce[64];
	size_t nlen = strlen(o->nonce);
	u32 i, need;
	int b, ret;

	if (nlen % 2 || nlen > 2 * sizeof(nonce) || imasnap_hex_decode(o->nonce, nlen, nonce))
		return fail(IMASNAP_EXIT_USAGE, "--nonce takes up to 64 bytes in hex");
	ret = imasnap_quote_read(o->quote, q);
	if (ret)
		return ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_IO;
	if (q->attest.magic != TPM2_GENERATED_VALUE)
		return fail(IMASNAP_EXIT_MISMATCH, "the quote was not generated by a TPM (magic %#x)",
			    q->attest.magic);
	if (q->attest.type != TPM2_ST_ATTEST_QUOTE)
		return fail(IMASNAP_EXIT_MISMATCH, "the attestation is not a quote (type %#x)",
			    q->attest.type);
	if (q->attest.extraData.size != nlen / 2 ||
	    memcmp(q->attest.extraData.buffer, nonce, nlen / 2))
		return fail(IMASNAP_EXIT_MISMATCH, "the quote is not over this nonce (an old quote?)");
	*ak = imasnap_read_ak(o->ak);
	if (!*ak)
		return IMASNAP_EXIT_IO;
	ret = imasnap_quote_check_signature(q, *ak);
	if (ret)
		return ret;
	*banks = 0;
	for (i = 0; i < qi->pcrSelect.count; i++) {
		const TPMS_PCR_SELECTION *s = &qi->pcrSelect.pcrSelections[i];

		b = imasnap_bank_by_alg(s->hash);
		if (b < 0 || s->sizeofSelect < 2 || !(s->pcrSelect[1] & (1U << (IMASNAP_IMA_PCR - 8))))
			continue;
		*banks |= 1U << b;
	}
	/* Every bank the archive follows must be quoted. */
	need = imasnap_state_banks(&x->start) | x->banks;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if ((need & (1U << b)) && !(*banks & (1U << b)))
			return fail(IMASNAP_EXIT_MISMATCH,
				    "the quote's PCR selection misses PCR 10 of the %s bank",
				    imasnap_bank_info(b)->name);
	if (!*banks)
		return fail(IMASNAP_EXIT_MISMATCH, "the quote selects PCR 10 of no known bank");
	if (!q->attest.clockInfo.safe)
		imasnap_errorf("verify: warning: the quote's clock is not safe (it may have been rolled back)");
	return 0;
}

/* pcrDigest: SHA-256 of the selected PCRs, bank by bank, PCR by PCR. */
static int quote_digest(const struct imasnap_replay *rp, const TPML_PCR_SELECTION *sel,
			const int lane_of[IMASNAP_NR_BANKS], u8 out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	u32 i, p;
	int ret = -EINVAL;

	if (!md || !EVP_DigestInit_ex2(md, EVP_sha256(), NULL))
		goto out;
	for (i = 0; i < sel->count; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		int b = imasnap_bank_by_alg(s->hash);
		const struct imasnap_lane *l;

		if (b < 0 || lane_of[b] < 0)
			goto out;
		l = &rp->lane[lane_of[b]];
		for (p = 0; p < IMASNAP_NR_PCRS && p / 8 < s->sizeofSelect; p++) {
			if (!(s->pcrSelect[p / 8] & (1U << (p % 8))))
				continue;
			if (!((l->touched | l->start_mask) & (1U << p)))
				goto out;	/* a PCR the log does not account for */
			if (!EVP_DigestUpdate(md, l->pcr[p], imasnap_bank_info(b)->size))
				goto out;
		}
	}
	ret = EVP_DigestFinal_ex(md, out, NULL) ? 0 : -EIO;
out:
	EVP_MD_CTX_free(md);
	return ret;
}

/* Does the replay give the quote's pcrDigest under one rule per bank? */
static int verify_quote_digest(const struct imasnap_replay *rp, const struct imasnap_quote *q)
{
	const TPMS_QUOTE_INFO *qi = &q->attest.attested.quote;
	int lanes[IMASNAP_NR_BANKS][2], lane_of[IMASNAP_NR_BANKS];
	unsigned int i, combo, nb = 0, which[IMASNAP_NR_BANKS];
	u8 digest[32];
	int b;

	if (qi->pcrDigest.size != 32)
		return fail(IMASNAP_EXIT_MISMATCH, "the quote's PCR digest is not SHA-256");
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		lanes[b][0] = lanes[b][1] = -1;
		lane_of[b] = -1;
	}
	for (i = 0; i < rp->nr_lanes; i++)
		lanes[rp->lane[i].bank][rp->lane[i].rule] = (int)i;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (lanes[b][0] >= 0)
			which[nb++] = (unsigned int)b;
	/* IMA follows one rule per bank: try every combination (at most 32). */
	for (combo = 0; combo < (1U << nb); combo++) {
		for (i = 0; i < nb; i++)
			lane_of[which[i]] = lanes[which[i]][(combo >> i) & 1];
		if (!quote_digest(rp, &qi->pcrSelect, lane_of, digest) &&
		    !memcmp(digest, qi->pcrDigest.buffer, 32))
			return 0;
	}
	return fail(IMASNAP_EXIT_MISMATCH,
		    "the live log (%llu records) does not give the quote's PCR digest",
		    (unsigned long long)rp->records);
}

int verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "tcti", required_argument, NULL, 't' },
		{ "quote", required_argument, NULL, 'q' },
		{ "ak", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct live_expect *x = calloc(1, sizeof(*x));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_state *tpm_pcrs = calloc(1, sizeof(*tpm_pcrs));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	struct imasnap_tpm2 *tpm = NULL;
	EVP_PKEY *ak = NULL;
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	struct verify_opts o = { .log = IMASNAP_IMA_LOG };
	bool opened = false, bound = false;
	EVP_MD_CTX *slice_md = EVP_MD_CTX_new();
	unsigned int aggregates = 0;
	u64 slice = 0;
	int try, bad = -1;
	u32 banks = 0, touched = 0;
	u64 count = 0;
	unsigned int i;
	int c, ret, b;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 'l': o.log = optarg; break;
		case 'p': o.pcrs = optarg; break;
		case 't': o.tcti = optarg; break;
		case 'q': o.quote = optarg; break;
		case 'k': o.ak = optarg; break;
		case 'n': o.nonce = optarg; break;
		case 'j': o.json = true; break;
		case 'h': ret = verify_usage(stdout, IMASNAP_EXIT_OK); goto out;
		default: ret = verify_usage(stderr, IMASNAP_EXIT_USAGE); goto out;
		}
	}
	if (!o.dir || optind != argc || (o.pcrs && o.tcti) ||
	    (o.quote && (o.pcrs || o.tcti || !o.ak || !o.nonce)) || (!o.quote && (o.ak || o.nonce))) {
		ret = verify_usage(stderr, IMASNAP_EXIT_USAGE);
		goto out;
	}
	if (!x || !rp || !tpm_pcrs || !evp || !slice_md || !q ||
	    !EVP_DigestInit_ex2(slice_md, EVP_sha256(), NULL)) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ret = verify_archive(&o, evp, x, &count);
	if (ret)
		goto out;

	/* The PCRs to reach. */
	if (o.quote) {
		ret = verify_quote_load(&o, q, &ak, &banks, x);
		if (ret)
			goto out;
	} else {
		ret = archive_pcr_source(o.pcrs, o.tcti, tpm_pcrs, &tpm, &banks);
		if (ret)
			goto out;
	}

	/* Every bank the TPM has (and OpenSSL can hash) is checked. */
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if ((banks & (1U << b)) && !imasnap_evp_has(evp, b)) {
			imasnap_errorf("verify: OpenSSL has no %s: that bank is not checked",
				       imasnap_bank_info(b)->name);
			banks &= ~(1U << b);
		}
	if (!banks) {
		ret = fail(IMASNAP_EXIT_MISMATCH, "no PCR bank to check");
		goto out;
	}
	if ((!state_empty(&x->start) && imasnap_state_banks(&x->start) != banks) ||
	    (x->banks & ~banks)) {
		ret = fail(IMASNAP_EXIT_MISMATCH,
			   "the archive vouches for other PCR banks than the TPM has");
		goto out;
	}

	/* The live log, streamed, from the state the archive vouches for. */
	lanes_for(rp, imasnap_evp_ops(evp), banks);
	imasnap_replay_start(rp, &x->start);
	ret = imasnap_logfile_open(&lf, o.log, IMASNAP_ORDER_AUTO);
	if (ret) {
		ret = fail(IMASNAP_EXIT_IO, "%s: %s", o.log, strerror(-ret));
		goto out;
	}
	opened = true;
	for (try = 0; try < VERIFY_TRIES; try++) {
		while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
			ret = verify_live_record(x, &lf.log, &rec, rp, slice_md, &slice,
						 &aggregates, &bound, &err);
			if (ret)
				break;
		}
		if (ret == -EBADMSG) {
			ret = fail(IMASNAP_EXIT_MALFORMED,
				   "live log %s: record %llu at offset %llu: %s", o.log,
				   (unsigned long long)err.index,
				   (unsigned long long)err.offset, err.reason);
			goto out;
		}
		if (ret < 0) {
			ret = fail(ret == -EOPNOTSUPP ? IMASNAP_EXIT_FAILURE : IMASNAP_EXIT_IO,
				   "live log %s: %s", o.log, strerror(-ret));
			goto out;
		}
		if (ret)
			goto out;	/* verify_live_record named it */
		touched = 0;
		for (i = 0; i < rp->nr_lanes; i++)
			touched |= rp->lane[i].touched | rp->lane[i].start_mask;
		if (tpm && imasnap_tpm2_read_pcrs(tpm, banks, touched, tpm_pcrs)) {
			ret = IMASNAP_EXIT_FAILURE;
			goto out;
		}
		if (o.quote) {
			bad = -1;
			break;
		}
		bad = verify_live_banks(rp, banks, tpm_pcrs);
		/* Records measured while the PCRs were read: read on, check again. */
		if (bad < 0 || o.pcrs)
			break;
		lf.eof = false;
	}
	if (!rp->records) {
		ret = fail(IMASNAP_EXIT_MISMATCH, "the live log %s holds no record", o.log);
		goto out;
	}
	if (slice < x->nr_slices) {
		ret = fail(IMASNAP_EXIT_MISMATCH, "the live log is shorter than shard %llu says",
			   (unsigned long long)x->slices[slice].seq);
		goto out;
	}
	if (x->need_aggregate && aggregates > 1) {
		ret = fail(IMASNAP_EXIT_MISMATCH,
			   "the live log has %u snapshot_aggregate records: one is expected",
			   aggregates);
		goto out;
	}
	if (x->need_aggregate && !bound) {
		ret = fail(IMASNAP_EXIT_MISMATCH,
			   "the live log has no snapshot_aggregate naming shard %llu, its tail and the tail's end state",
			   (unsigned long long)x->agg.seq);
		goto out;
	}
	if (o.quote) {
		ret = verify_quote_digest(rp, q);
		if (ret)
			goto out;
	}
	if (bad >= 0) {
		ret = fail(IMASNAP_EXIT_MISMATCH,
			   "the live log (%llu records) does not replay to the TPM's %s PCRs from %s",
			   (unsigned long long)rp->records, imasnap_bank_info(bad)->name,
			   count ? "the state the archive vouches for" : "zero");
		goto out;
	}
	if (o.json)
		printf("{\"verified\":true,\"shards\":%llu,\"live_records\":%llu,\"after_kexec\":%s}\n",
		       (unsigned long long)count, (unsigned long long)rp->records,
		       x->need_aggregate ? "true" : "false");
	else
		printf("verified: %llu shards, live log of %llu records%s%s\n",
		       (unsigned long long)count, (unsigned long long)rp->records,
		       x->need_aggregate ? ", re-seeded by snapshot_aggregate after kexec" : "",
		       o.quote ? ", quoted by the AK" : "");
	ret = IMASNAP_EXIT_OK;
out:
	if (opened)
		imasnap_logfile_close(&lf);
	imasnap_tpm2_close(tpm);
	imasnap_evp_free(evp);
	EVP_MD_CTX_free(slice_md);
	EVP_PKEY_free(ak);
	free(q);
	if (x)
		free(x->slices);
	free(x);
	free(rp);
	free(tpm_pcrs);
	return ret;
}
