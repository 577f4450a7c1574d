// SPDX-License-Identifier: GPL-2.0
/*
 * The verifier's core: the archive walked shard by shard from a trusted
 * start, and the live log checked against what the archive says it holds.
 *
 *  1. every shard: its own digests and bounds, its link to the previous
 *     shard, a start state that is the previous end (or zero at cold boot),
 *     a body that replays from that start to its end, and its trailer quote
 *     if it has one (over its body digest, of its end state, signed by the
 *     AK, with a clock that follows the previous quote's);
 *  2. the live log: after a kexec it must hold a snapshot_aggregate naming
 *     the archived shard, the carried tail and the tail's end state; in a
 *     boot with shards, its first bytes must be those shards' bodies;
 *  3. the live log replays from the state the archive vouches for (the
 *     caller compares the result with the TPM).
 *
 * The snapshot_aggregate is a pointer, not an anchor: the start state comes
 * from the archive replayed from a trusted state, never from the record.
 * Memory does not grow with the log: shards and the log are streamed.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "chain.h"

/* "imasnap: verify: <message>" on stderr; returns @code. */
int imasnap_verify_fail(int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imasnap_errorf("verify: %s", msg);
	return code;
}

static unsigned long long ull(u64 v)
{
	return (unsigned long long)v;
}

static bool state_empty(const struct imasnap_state *st)
{
	return !imasnap_state_banks(st);
}

void imasnap_chain_init(struct imasnap_chain *c)
{
	memset(c, 0, sizeof(*c));
}

void imasnap_chain_free(struct imasnap_chain *c)
{
	free(c->slices);
	EVP_MD_CTX_free(c->md);
	EVP_MD_CTX_free(c->boot_md);
	EVP_MD_CTX_free(c->body_md);
	c->slices = NULL;
	c->md = NULL;
	c->boot_md = NULL;
	c->body_md = NULL;
}

void imasnap_quote_masks(const TPML_PCR_SELECTION *sel, u32 mask[IMASNAP_NR_BANKS])
{
	u32 i, p;
	int b;

	memset(mask, 0, IMASNAP_NR_BANKS * sizeof(*mask));
	for (i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		b = imasnap_bank_by_alg(s->hash);
		if (b < 0)
			continue;
		for (p = 0; p < IMASNAP_NR_PCRS && p / 8 < s->sizeofSelect; p++)
			if (s->pcrSelect[p / 8] & (1U << (p % 8)))
				mask[b] |= 1U << p;
	}
}

/* Shard @sh against @prev, the shard before it (NULL: none, full mode). */
static int chain_link(const struct imasnap_shard *sh, const struct imasnap_shard *prev,
		      u64 i, bool *cold)
{
	static const u8 zero[32];
	bool same_boot = prev && !memcmp(prev->boot_id, sh->boot_id, 16);

	*cold = false;
	if (sh->seq != i)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "shard %llu holds seq %llu", ull(i), ull(sh->seq));
	/* snapshot never writes an empty shard; a tail may be empty. */
	if (!sh->entries && sh->kind == IMASNAP_SHARD_LOG)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "shard %llu holds no record", ull(i));
	if (!state_empty(&sh->start) &&
	    imasnap_state_banks(&sh->start) != imasnap_state_banks(&sh->end))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "shard %llu ends in other banks than it starts in",
			    ull(i));
	if (memcmp(sh->prev_digest, prev ? prev->digest : zero, 32))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu does not link to shard %llu (prev digest differs)",
			    ull(i), ull(i - 1));
	if (sh->kind == IMASNAP_SHARD_TAIL) {
		if (!prev || prev->kind != IMASNAP_SHARD_LOG || !same_boot ||
		    sh->first_entry != prev->first_entry + prev->entries ||
		    sh->log_offset != prev->log_offset + prev->body_size ||
		    memcmp(&sh->start, &prev->end, sizeof(sh->start)))
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "tail shard %llu does not continue shard %llu",
				    ull(i), ull(i - 1));
		return 0;
	}
	if (prev && prev->kind == IMASNAP_SHARD_LOG && same_boot) {
		if (sh->first_entry != prev->first_entry + prev->entries ||
		    sh->log_offset != prev->log_offset + prev->body_size ||
		    memcmp(&sh->start, &prev->end, sizeof(sh->start)))
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "shard %llu does not start where shard %llu ends",
				    ull(i), ull(i - 1));
		return 0;
	}
	if (prev && prev->kind == IMASNAP_SHARD_TAIL && same_boot)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu claims the boot that tail shard %llu left by kexec",
			    ull(i), ull(i - 1));
	if (sh->first_entry || sh->log_offset)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu is the first of a boot but does not start at its log's start",
			    ull(i));
	*cold = !prev || prev->kind == IMASNAP_SHARD_LOG;
	if (*cold ? !state_empty(&sh->start) : !!memcmp(&sh->start, &prev->end, sizeof(sh->start)))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, *cold ?
			    "shard %llu starts a boot without a carried tail but not at zero" :
			    "shard %llu does not start at the end of tail shard %llu",
			    ull(i), ull(i - 1));
	return 0;
}

/**
 * imasnap_chain_diff() - the first PCR where a replay and a state part
 * @rp:		the replay
 * @bank:	the bank
 * @want:	what it should have reached
 * @whose:	who says so ("the TPM", "the end state")
 * @exact:	@want must have no PCR the replay did not reach (an end state);
 *		else only the PCRs the replay reached are compared (the TPM)
 * @buf:	"; PCR 10: replayed 3a5f0c..., the TPM has 9b21e4..." or ""
 * @size:	its size
 *
 * Under the normal rule (the padded rule only where the bank has no other).
 */
void imasnap_chain_diff(const struct imasnap_replay *rp, int bank,
			const struct imasnap_state *want, const char *whose, bool exact,
			char *buf, size_t size)
{
	const struct imasnap_lane *l = NULL;
	char got[17], exp[17];
	unsigned int i;
	u32 p, mask;

	buf[0] = 0;
	for (i = 0; i < rp->nr_lanes; i++)
		if ((int)rp->lane[i].bank == bank &&
		    (!l || rp->lane[i].rule == IMASNAP_RULE_NORMAL))
			l = &rp->lane[i];
	if (!l)
		return;
	mask = l->touched | l->start_mask;
	for (p = 0; p < IMASNAP_NR_PCRS; p++) {
		bool have = mask & (1U << p), has = want->pcr_mask[bank] & (1U << p);

		if (!have && (!has || !exact))
			continue;
		if (have)
			imasnap_hex_encode(l->pcr[p], 8, got);
		if (has)
			imasnap_hex_encode(want->pcr[bank][p], 8, exp);
		if (have && has && !memcmp(l->pcr[p], want->pcr[bank][p],
					   imasnap_bank_info(bank)->size))
			continue;
		if (!have)
			snprintf(buf, size, "; PCR %u: nothing replayed into it, %s has %s...",
				 p, whose, exp);
		else if (!has)
			snprintf(buf, size, "; PCR %u: replayed %s..., %s has no value for it",
				 p, got, whose);
		else
			snprintf(buf, size, "; PCR %u: replayed %s..., %s has %s...",
				 p, got, whose, exp);
		return;
	}
}

/*
 * The body replayed from the start must give exactly the end state: in every
 * bank of the end, the same PCRs with the same values (a PCR nothing
 * extended cannot be smuggled into an end state).
 */
static int chain_end(const struct imasnap_replay *rp, const struct imasnap_shard *sh,
		     struct imasnap_state *scratch)
{
	char diff[160];
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
		imasnap_chain_diff(rp, b, &sh->end, "the end state", true, diff, sizeof(diff));
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "shard %llu: its records do not replay to its %s end state%s",
			    ull(sh->seq), imasnap_bank_info(b)->name, diff);
	}
	return 0;
}

int imasnap_chain_clock_check(const struct imasnap_chain *c, const TPMS_CLOCK_INFO *now)
{
	const char *why;

	if (!c->clock.valid)
		return 0;
	if (imasnap_quote_follows(&c->clock.info, now, c->clock.cold_boots, &why))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "the quote does not follow the quote of shard %llu: %s",
			    ull(c->clock.seq), why);
	return 0;
}

/**
 * imasnap_shard_quote_check() - is a shard's trailer the TPM's word for its end?
 * @sh:		the shard, trailer_size > 0
 * @ak:		checks the signature with it; NULL: not checked
 * @q:		the decoded quote
 * @why:	the reason, on failure
 *
 * A quote (magic, type) over the shard's body digest of exactly the PCRs of
 * its end state, whose pcrDigest is that state's.
 *
 * Return: 0; IMASNAP_EXIT_MISMATCH (@why); another exit code.
 */
int imasnap_shard_quote_check(const struct imasnap_shard *sh, EVP_PKEY *ak,
			      struct imasnap_quote *q, const char **why)
{
	const TPMS_QUOTE_INFO *qi = &q->attest.attested.quote;
	u32 mask[IMASNAP_NR_BANKS];
	u8 want[32];

	if (imasnap_quote_parse(sh->trailer, sh->trailer_size, q, why))
		return IMASNAP_EXIT_MISMATCH;
	*why = "it is not a quote generated by a TPM (magic or type)";
	if (q->attest.magic != TPM2_GENERATED_VALUE || q->attest.type != TPM2_ST_ATTEST_QUOTE)
		return IMASNAP_EXIT_MISMATCH;
	*why = "it is not over this shard's body digest";
	if (q->attest.extraData.size != 32 || memcmp(q->attest.extraData.buffer, sh->body_digest, 32))
		return IMASNAP_EXIT_MISMATCH;
	*why = "it does not select exactly the PCRs of the shard's end state";
	imasnap_quote_masks(&qi->pcrSelect, mask);
	if (memcmp(mask, sh->end.pcr_mask, sizeof(mask)))
		return IMASNAP_EXIT_MISMATCH;
	*why = "its PCR digest is not the shard's end state";
	if (qi->pcrDigest.size != 32 || imasnap_quote_state_digest(&sh->end, &qi->pcrSelect, want) ||
	    memcmp(want, qi->pcrDigest.buffer, 32))
		return IMASNAP_EXIT_MISMATCH;
	return ak ? imasnap_quote_check_signature(q, ak, why) : 0;
}

/*
 * A shard's trailer (imasnap_shard_quote_check()), and with the AK, a clock
 * later than the quote before it.
 */
static int chain_trailer(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
			 const struct imasnap_shard *sh, bool anchor)
{
	struct imasnap_quote *q;
	const char *why = NULL;
	int ret;

	if (!sh->trailer_size)
		return anchor ? imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				     "shard %llu has no quote in its trailer to anchor on",
				     ull(sh->seq)) : 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return IMASNAP_EXIT_FAILURE;
	ret = imasnap_shard_quote_check(sh, o->ak, q, &why);
	if (ret)
		ret = imasnap_verify_fail(ret, "shard %llu: its trailer quote: %s", ull(sh->seq), why);
	if (ret)
		goto out;
	c->quoted++;
	/* An unsigned quote's clock is anyone's word: it neither counts nor is kept. */
	if (!o->ak)
		goto out;
	c->signed_quotes++;
	if (c->clock.valid &&
	    imasnap_quote_follows(&c->clock.info, &q->attest.clockInfo, c->clock.cold_boots, &why)) {
		ret = imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			   "shard %llu: its trailer quote does not follow the quote of shard %llu: %s",
			   ull(sh->seq), ull(c->clock.seq), why);
		goto out;
	}
	c->clock.valid = true;
	c->clock.seq = sh->seq;
	c->clock.info = q->attest.clockInfo;
	c->clock.cold_boots = 0;
out:
	free(q);
	return ret;
}

/* A new boot in the live expectations, starting at @start; @prev: the shard before. */
static void expect_boot(struct imasnap_chain *c, const struct imasnap_state *start,
			const struct imasnap_shard *prev)
{
	c->start = *start;
	c->skip = 0;
	c->check_body = false;
	c->check_prefix = false;
	c->nr_slices = 0;
	c->need_aggregate = prev && prev->kind == IMASNAP_SHARD_TAIL;
	memset(&c->agg, 0, sizeof(c->agg));
	if (!c->need_aggregate)
		return;
	c->agg.seq = prev->seq - 1;
	c->agg.entries = prev->first_entry + prev->entries;
	c->agg.tail_entries = prev->entries;
	memcpy(c->agg.shard, prev->prev_digest, 32);
	memcpy(c->agg.tail, prev->body_digest, 32);
	c->agg.state = prev->end;
}

/*
 * The live expectations when the walk starts at trusted shard @t: after a
 * tail, a boot after kexec; else the live log goes on in @t's boot, and
 * its bytes up to @t's end are history, not replayed: @t's own bytes must
 * be its body, and with a checkpoint's @prefix, all of them must be what
 * that earlier verification accepted.  Without (an anchor), the bytes
 * before @t are not checked, and said so.
 */
static void expect_trusted(struct imasnap_chain *c, const struct imasnap_shard *t,
			   const u8 *prefix)
{
	if (t->kind == IMASNAP_SHARD_TAIL) {
		expect_boot(c, &t->end, t);
		return;
	}
	expect_boot(c, &t->end, NULL);
	c->skip = t->log_offset + t->body_size;
	c->skip_seq = t->seq;
	c->check_body = true;
	c->body_from = t->log_offset;
	memcpy(c->body_digest, t->body_digest, 32);
	if (prefix) {
		c->check_prefix = true;
		memcpy(c->prefix, prefix, 32);
	}
}

static int expect_slice(struct imasnap_chain *c, const struct imasnap_shard *sh,
			const struct imasnap_shard *prev)
{
	struct imasnap_chain_slice *sl;

	if (!prev || prev->kind == IMASNAP_SHARD_TAIL || memcmp(prev->boot_id, sh->boot_id, 16))
		expect_boot(c, &sh->start, prev);
	sl = realloc(c->slices, (c->nr_slices + 1) * sizeof(*sl));
	if (!sl)
		return IMASNAP_EXIT_FAILURE;
	c->slices = sl;
	sl[c->nr_slices].seq = sh->seq;
	sl[c->nr_slices].end = sh->log_offset + sh->body_size;
	memcpy(sl[c->nr_slices].digest, sh->body_digest, 32);
	c->nr_slices++;
	return 0;
}

/* Read shard @i of @dir, replaying its body from its start. */
static int chain_read(const struct imasnap_chain_opts *o, struct imasnap_evp *evp, u64 i,
		      struct imasnap_shard *sh, struct imasnap_replay *rp)
{
	struct imasnap_err err;
	char name[64], path[4096];
	int ret;

	imasnap_shard_name(i, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	/* The lanes depend on the start state: read the header first. */
	ret = imasnap_shard_read(path, sh, NULL, &err);
	if (!ret) {
		imasnap_replay_init(rp, imasnap_evp_ops(evp));
		imasnap_replay_add_banks(rp, imasnap_state_banks(&sh->start) |
					 imasnap_state_banks(&sh->end));
		ret = imasnap_shard_read(path, sh, rp, &err);
	}
	if (ret == -EBADMSG)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "shard %llu: %s (%s %llu)", ull(i), err.reason,
			    err.index ? "record" : "byte", ull(err.index ? err.index : err.offset));
	if (ret)
		return imasnap_verify_fail(IMASNAP_EXIT_IO, "%s: %s", path, strerror(-ret));
	return 0;
}

/* Where the walk starts: shard @*i, after @prev (trusted) or from zero. */
static int chain_begin(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		       struct imasnap_evp *evp, u64 first, u64 n, struct imasnap_shard *prev,
		       struct imasnap_replay *rp, struct imasnap_state *scratch, u64 *i)
{
	int ret;

	if (o->from) {
		const struct imasnap_shard *f = &o->from->shard;

		if (n && first > f->seq + 1)
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "shards %llu..%llu are missing: the archive starts at shard %llu",
				    ull(f->seq + 1), ull(first - 1), ull(first));
		if (!n || first + n < f->seq + 1)
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "the archive ends before shard %llu, the checkpoint's (rolled back?)",
				    ull(f->seq));
		*prev = *f;
		c->clock = o->from->clock;
		c->newest = *o->from;
		c->have_newest = true;
		expect_trusted(c, prev, o->from->has_prefix ? o->from->prefix : NULL);
		*i = f->seq + 1;
		return 0;
	}
	if (o->anchored) {
		if (!n)
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the archive holds no shard to anchor on");
		ret = chain_read(o, evp, first, prev, rp);
		if (ret)
			return ret;
		if (prev->seq != first)
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "shard %llu holds seq %llu", ull(first),
				    ull(prev->seq));
		if (prev->kind != IMASNAP_SHARD_LOG || !prev->entries)
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "shard %llu cannot anchor: only a log shard with records can",
				    ull(first));
		ret = chain_end(rp, prev, scratch);
		if (!ret)
			ret = chain_trailer(c, o, prev, true);
		if (ret)
			return ret;
		c->newest.shard = *prev;
		c->newest.clock = c->clock;
		c->have_newest = true;
		c->count = 1;
		expect_trusted(c, prev, NULL);
		/*
		 * Its header is not quoted: only a shard that starts its boot from
		 * zero makes its body verified history (a chain from zero to the
		 * quoted end); any other anchor's bytes are its body, no more.
		 */
		c->history_unverified = !state_empty(&prev->start) || prev->log_offset ||
					prev->first_entry;
		*i = first + 1;
		return 0;
	}
	if (first)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "shards 0..%llu are missing: verify from a checkpoint (--from) or a quoted shard (--anchored)",
			    ull(first - 1));
	*i = 0;
	return 0;
}

/**
 * imasnap_chain_walk() - walk the archive from a trusted start
 * @c:		the chain, imasnap_chain_init()ed
 * @o:		the archive and the mode
 * @evp:	hashes
 *
 * Return: 0, or an exit code with the first failure named on stderr.
 */
int imasnap_chain_walk(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		       struct imasnap_evp *evp)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_shard *prev = calloc(1, sizeof(*prev));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_state *scratch = calloc(1, sizeof(*scratch));
	bool have_prev, cold;
	u64 first, n, i = 0;
	int ret;

	if (!sh || !prev || !rp || !scratch) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ret = imasnap_archive_range(o->dir, &first, &n);
	if (ret) {
		ret = imasnap_verify_fail(ret == -EBADMSG ? IMASNAP_EXIT_MISMATCH : IMASNAP_EXIT_IO, "%s: %s",
			   o->dir, ret == -EBADMSG ? "a shard is missing (gap in the sequence)" :
			   strerror(-ret));
		goto out;
	}
	ret = chain_begin(c, o, evp, first, n, prev, rp, scratch, &i);
	if (ret)
		goto out;
	c->first = i - (o->anchored ? 1 : 0);
	have_prev = o->from || o->anchored;
	for (; i < first + n; i++) {
		ret = chain_read(o, evp, i, sh, rp);
		if (!ret)
			ret = chain_link(sh, have_prev ? prev : NULL, i, &cold);
		if (!ret)
			ret = chain_end(rp, sh, scratch);
		if (ret)
			goto out;
		if (cold)
			c->clock.cold_boots++;
		ret = chain_trailer(c, o, sh, false);
		if (!ret && sh->kind == IMASNAP_SHARD_LOG)
			ret = expect_slice(c, sh, have_prev ? prev : NULL);
		if (ret)
			goto out;
		c->count++;
		*prev = *sh;
		have_prev = true;
		c->newest.shard = *sh;
		c->newest.clock = c->clock;
		c->have_newest = true;
	}
	if (have_prev)
		c->banks = imasnap_state_banks(&prev->end);
	/* A tail is newest: this boot has no shard yet and starts at its end. */
	if (have_prev && prev->kind == IMASNAP_SHARD_TAIL)
		expect_boot(c, &prev->end, prev);
	c->newest.shard.trailer_size = 0;
	/* A checkpoint of a log shard keeps the digest of its boot's log up to it. */
	c->newest.has_prefix = false;
	if (o->save && c->have_newest && c->newest.shard.kind == IMASNAP_SHARD_LOG)
		c->save_at = c->newest.shard.log_offset + c->newest.shard.body_size;
	c->md = EVP_MD_CTX_new();
	c->boot_md = EVP_MD_CTX_new();
	c->body_md = EVP_MD_CTX_new();
	if (!c->md || !c->boot_md || !c->body_md ||
	    !EVP_DigestInit_ex2(c->md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex2(c->boot_md, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex2(c->body_md, EVP_sha256(), NULL))
		ret = IMASNAP_EXIT_FAILURE;
out:
	free(sh);
	free(prev);
	free(rp);
	free(scratch);
	return ret;
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

/* The SHA-256 of what @md has seen so far; @md goes on. */
static int digest_so_far(void *md, u8 out[32])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	int ok = copy && EVP_MD_CTX_copy_ex(copy, md) && EVP_DigestFinal_ex(copy, out, NULL);

	EVP_MD_CTX_free(copy);
	return ok ? 0 : -EIO;
}

/* A live record before the trusted shard's end (c->skip). */
static int chain_live_history(struct imasnap_chain *c, const struct imasnap_log_record *rec)
{
	u64 end = rec->offset + rec->size;
	u8 digest[32];

	if (end > c->skip)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "live log record %llu crosses the end of shard %llu",
			    ull(rec->index), ull(c->skip_seq));
	if (c->check_body && rec->offset >= c->body_from) {
		if (!EVP_DigestUpdate(c->body_md, rec->raw, rec->size))
			return -EIO;
		/* An anchor's own bytes are its body, but from a start nobody vouched for. */
		if (c->history_unverified)
			c->unverified++;
	} else if (!c->check_prefix) {
		c->unverified++;
	}
	if (end != c->skip)
		return 0;
	if (c->check_body &&
	    (!EVP_DigestFinal_ex(c->body_md, digest, NULL) || memcmp(digest, c->body_digest, 32)))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the live log differs from shard %llu",
			    ull(c->skip_seq));
	if (c->check_prefix &&
	    (digest_so_far(c->boot_md, digest) || memcmp(digest, c->prefix, 32)))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "the live log's first %llu bytes are not those the checkpoint vouched for",
			    ull(c->skip));
	return 0;
}

int imasnap_chain_live_record(struct imasnap_chain *c, const struct imasnap_log *log,
			      const struct imasnap_log_record *rec,
			      struct imasnap_replay *rp, struct imasnap_err *err)
{
	const u8 *text;
	u32 len;
	int ret;

	c->live_records++;
	c->live_bytes = rec->offset + rec->size;
	/* The log from its start is hashed only for a checkpoint, to check or to save. */
	if ((c->check_prefix || c->save_at) && !EVP_DigestUpdate(c->boot_md, rec->raw, rec->size))
		return -EIO;
	/* A checkpoint vouches only for bytes this run checked. */
	if (c->save_at && c->live_bytes == c->save_at && !c->unverified) {
		ret = digest_so_far(c->boot_md, c->newest.prefix);
		if (ret)
			return ret;
		c->newest.has_prefix = true;
	}
	/* History before a trusted shard's end: checked by digests, not replayed. */
	if (rec->offset < c->skip)
		return chain_live_history(c, rec);
	text = aggregate_of(log, rec, &len);
	if (text) {
		c->aggregates++;
		/* Only IMA's own record counts: PCR 10, not a violation. */
		if (rec->pcr == IMASNAP_IMA_PCR && !imasnap_log_is_violation(rec) &&
		    c->need_aggregate && aggregate_matches(&c->agg, text, len))
			c->bound = true;
	}
	ret = imasnap_replay_record(rp, rec, err);
	if (ret)
		return ret;
	if (c->slice < c->nr_slices) {
		const struct imasnap_chain_slice *sl = &c->slices[c->slice];
		u8 digest[32];

		if (!EVP_DigestUpdate(c->md, rec->raw, rec->size))
			return -EIO;
		if (rec->offset + rec->size > sl->end)
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "live log record %llu crosses the end of shard %llu",
				    ull(rec->index), ull(sl->seq));
		if (rec->offset + rec->size == sl->end) {
			if (!EVP_DigestFinal_ex(c->md, digest, NULL) ||
			    !EVP_DigestInit_ex2(c->md, EVP_sha256(), NULL))
				return -EIO;
			if (memcmp(digest, sl->digest, 32))
				return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the live log differs from shard %llu",
					    ull(sl->seq));
			c->slice++;
		}
	}
	return 0;
}

int imasnap_chain_live_end(struct imasnap_chain *c)
{
	if (!c->live_records)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the live log holds no record");
	if (c->live_bytes < c->skip)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the live log is shorter than shard %llu says",
			    ull(c->skip_seq));
	if (c->slice < c->nr_slices)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the live log is shorter than shard %llu says",
			    ull(c->slices[c->slice].seq));
	if (c->need_aggregate && c->aggregates > 1)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "the live log has %u snapshot_aggregate records: one is expected",
			    c->aggregates);
	if (c->need_aggregate && !c->bound)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "the live log has no snapshot_aggregate naming shard %llu, its tail and the tail's end state",
			    ull(c->agg.seq));
	return 0;
}

/*
 * Checkpoint file, one "key value" per line in this order (values in
 * decimal, byte strings in hex, states as their imasnap_pcr_value entries):
 *
 *   imasnap-checkpoint 2
 *   seq, kind, order, boot_id, first_entry, entries, log_offset, body_size,
 *   prev_digest, body_digest, digest, start, end,
 *   prefix (a log shard: SHA-256 of its boot's log up to its end; else -),
 *   clock <valid> <shard> <clock> <resetCount> <restartCount> <safe> <cold_boots>
 */
#define CP_MAGIC	"imasnap-checkpoint 2"
/* Version 1 had no prefix line, and a 0/1 "a cold boot since" for cold_boots. */
#define CP_MAGIC_V1	"imasnap-checkpoint 1"
#define CP_STATE_MAX	(2 * IMASNAP_MAX_PCR_VALUES * sizeof(struct imasnap_pcr_value) + 1)

static int cp_hex(FILE *f, const char *key, const u8 *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return -ENOMEM;
	imasnap_hex_encode(p, n, hex);
	fprintf(f, "%s %s\n", key, n ? hex : "-");
	free(hex);
	return 0;
}

static int cp_state(FILE *f, const char *key, const struct imasnap_state *st)
{
	u8 *buf = malloc(CP_STATE_MAX);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = cp_hex(f, key, buf, (size_t)(imasnap_state_put(buf, st) - buf));
	free(buf);
	return ret;
}

/* Written atomically: temp file, fsync, rename, fsync of the folder. */
int imasnap_checkpoint_write(const char *path, const struct imasnap_checkpoint *cp)
{
	const struct imasnap_shard *sh = &cp->shard;
	const struct imasnap_chain_clock *k = &cp->clock;
	char tmp[4096], *dir, *slash;
	FILE *f;
	int fd, ret = 0, dfd;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	fprintf(f, "%s\nseq %llu\nkind %u\norder %u\n", CP_MAGIC, ull(sh->seq), sh->kind, sh->order);
	ret = cp_hex(f, "boot_id", sh->boot_id, 16);
	fprintf(f, "first_entry %llu\nentries %llu\nlog_offset %llu\nbody_size %llu\n",
		ull(sh->first_entry), ull(sh->entries), ull(sh->log_offset), ull(sh->body_size));
	ret = ret ?: cp_hex(f, "prev_digest", sh->prev_digest, 32);
	ret = ret ?: cp_hex(f, "body_digest", sh->body_digest, 32);
	ret = ret ?: cp_hex(f, "digest", sh->digest, 32);
	ret = ret ?: cp_state(f, "start", &sh->start);
	ret = ret ?: cp_state(f, "end", &sh->end);
	if (cp->has_prefix)
		ret = ret ?: cp_hex(f, "prefix", cp->prefix, 32);
	else
		fprintf(f, "prefix -\n");
	fprintf(f, "clock %u %llu %llu %u %u %u %u\n", k->valid, ull(k->seq),
		ull(k->info.clock), k->info.resetCount, k->info.restartCount, k->info.safe,
		k->cold_boots);
	if (!ret && (fflush(f) || ferror(f) || fsync(fd)))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dfd < 0)
		return -errno;
	ret = fsync(dfd) ? -errno : 0;
	close(dfd);
	return ret;
}

/* The next line must be "@key <value>": the value, or NULL. */
static char *cp_line(FILE *f, const char *key, char *line, size_t size)
{
	size_t n = strlen(key), len;

	if (!fgets(line, (int)size, f))
		return NULL;
	len = strlen(line);
	if (!len || line[len - 1] != '\n')
		return NULL;
	line[len - 1] = 0;
	if (strncmp(line, key, n) || line[n] != ' ' || !line[n + 1])
		return NULL;
	return line + n + 1;
}

static int cp_u64(FILE *f, const char *key, char *line, size_t size, u64 *v)
{
	char *s = cp_line(f, key, line, size), *end;

	if (!s || *s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || errno ? -EBADMSG : 0;
}

static int cp_bytes(FILE *f, const char *key, char *line, size_t size, u8 *out, size_t n)
{
	char *s = cp_line(f, key, line, size);

	if (!s || strlen(s) != 2 * n || imasnap_hex_decode(s, 2 * n, out))
		return -EBADMSG;
	return 0;
}

static int cp_state_read(FILE *f, const char *key, char *line, size_t size,
			 struct imasnap_state *st)
{
	const size_t vs = sizeof(struct imasnap_pcr_value);
	char *s = cp_line(f, key, line, size);
	struct imasnap_err err;
	size_t len;
	u8 *buf;
	int ret;

	imasnap_state_init(st);
	if (!s)
		return -EBADMSG;
	if (!strcmp(s, "-"))
		return 0;
	len = strlen(s);
	if (len % (2 * vs) || len / 2 / vs > 2 * IMASNAP_MAX_PCR_VALUES)
		return -EBADMSG;
	buf = malloc(len / 2);
	if (!buf)
		return -ENOMEM;
	ret = imasnap_hex_decode(s, len, buf) ? -EBADMSG :
	      imasnap_state_get_values(buf, (u32)(len / 2 / vs), 0, st, &err);
	free(buf);
	return ret ? -EBADMSG : 0;
}

/* Read a checkpoint: 0, -EBADMSG (not one), -errno. */
int imasnap_checkpoint_read(const char *path, struct imasnap_checkpoint *cp)
{
	struct imasnap_shard *sh = &cp->shard;
	struct imasnap_chain_clock *k = &cp->clock;
	size_t size = 2 * CP_STATE_MAX + 64;
	char *line = malloc(size), *s;
	unsigned int v[5];
	u64 kind, order, clk, seq;
	FILE *f;
	bool v1;
	int ret;

	memset(cp, 0, sizeof(*cp));
	if (!line)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		free(line);
		return ret;
	}
	ret = -EBADMSG;
	if (!fgets(line, (int)size, f))
		goto out;
	v1 = !strcmp(line, CP_MAGIC_V1 "\n");
	if (!v1 && strcmp(line, CP_MAGIC "\n"))
		goto out;
	if (cp_u64(f, "seq", line, size, &sh->seq) || cp_u64(f, "kind", line, size, &kind) ||
	    cp_u64(f, "order", line, size, &order) ||
	    cp_bytes(f, "boot_id", line, size, sh->boot_id, 16) ||
	    cp_u64(f, "first_entry", line, size, &sh->first_entry) ||
	    cp_u64(f, "entries", line, size, &sh->entries) ||
	    cp_u64(f, "log_offset", line, size, &sh->log_offset) ||
	    cp_u64(f, "body_size", line, size, &sh->body_size) ||
	    cp_bytes(f, "prev_digest", line, size, sh->prev_digest, 32) ||
	    cp_bytes(f, "body_digest", line, size, sh->body_digest, 32) ||
	    cp_bytes(f, "digest", line, size, sh->digest, 32) ||
	    cp_state_read(f, "start", line, size, &sh->start) ||
	    cp_state_read(f, "end", line, size, &sh->end))
		goto out;
	s = v1 ? "-" : cp_line(f, "prefix", line, size);
	if (!s)
		goto out;
	cp->has_prefix = strcmp(s, "-");
	if (cp->has_prefix && (strlen(s) != 64 || imasnap_hex_decode(s, 64, cp->prefix) ||
			       kind != IMASNAP_SHARD_LOG))
		goto out;
	if ((kind != IMASNAP_SHARD_LOG && kind != IMASNAP_SHARD_TAIL) ||
	    (kind == IMASNAP_SHARD_TAIL && !sh->seq) ||
	    sh->log_offset > UINT64_MAX - sh->body_size ||
	    sh->first_entry > UINT64_MAX - sh->entries ||
	    (order != IMASNAP_LOG_LE && order != IMASNAP_LOG_BE) || state_empty(&sh->end))
		goto out;
	sh->kind = (enum imasnap_shard_kind)kind;
	sh->order = (enum imasnap_log_order)order;
	s = cp_line(f, "clock", line, size);
	if (!s || sscanf(s, "%u %llu %llu %u %u %u %u", &v[0], (unsigned long long *)&seq,
			 (unsigned long long *)&clk, &v[1], &v[2], &v[3], &v[4]) != 7 ||
	    v[0] > 1 || v[3] > 1 || (v1 && v[4] > 1))
		goto out;
	k->valid = v[0];
	k->seq = seq;
	k->info.clock = clk;
	k->info.resetCount = v[1];
	k->info.restartCount = v[2];
	k->info.safe = (TPMI_YES_NO)v[3];
	k->cold_boots = v[4];
	ret = fgetc(f) == EOF ? 0 : -EBADMSG;
out:
	fclose(f);
	free(line);
	return ret;
}
