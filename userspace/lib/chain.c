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
 * This file does 1 and says what 2 and 3 must find (struct imasnap_chain's
 * second part); live.c checks the live log against it.  The
 * snapshot_aggregate is a pointer, not an anchor: the start state comes
 * from the archive replayed from a trusted state, never from the record.
 * Memory does not grow with the log: shards and the log are streamed.
 */
#include <stdarg.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "archive.h"
#include "chain.h"
#include "error.h"
#include "live.h"
#include "spool.h"

static const char *verify_who = "verify";

void imasnap_verify_who(const char *who)
{
	verify_who = who;
}

int imasnap_verify_fail(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imasnap_errorf("%s: %s", verify_who, msg);
	return err;
}

static unsigned long long ull(u64 v)
{
	return (unsigned long long)v;
}

static bool state_empty(const struct imasnap_state *st)
{
	return !imasnap_state_banks(st);
}

void imasnap_lockstep_close(struct imasnap_lockstep *ls)
{
	if (ls->open)
		imasnap_logfile_close(&ls->lf);
	ls->open = false;
}

void imasnap_chain_init(struct imasnap_chain *c)
{
	memset(c, 0, sizeof(*c));
}

void imasnap_chain_free(struct imasnap_chain *c)
{
	free(c->slices);
	free(c->hops);
	c->hops = NULL;
	imasnap_spool_free(c->slice_hash);
	EVP_MD_CTX_free(c->boot_md);
	imasnap_spool_free(c->body_hash);
	imasnap_lockstep_close(&c->ls);
	c->slices = NULL;
	c->slice_hash = NULL;
	c->boot_md = NULL;
	c->body_hash = NULL;
}

/*
 * Shard @sh against @prev, the shard before it (NULL: none, full mode;
 * @pruned: that one was pruned, and @sh must start a boot from zero).
 */
static int chain_link(const struct imasnap_shard *sh, const struct imasnap_shard *prev,
		      u64 i, bool pruned, bool *cold)
{
	static const u8 zero[32];
	bool same_boot = prev && !memcmp(prev->boot_id, sh->boot_id, 16);

	*cold = false;
	if (sh->seq != i)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu holds seq %llu", ull(i), ull(sh->seq));
	if (pruned && (sh->kind != IMASNAP_SHARD_LOG || sh->first_entry || sh->log_offset ||
		       !state_empty(&sh->start)))
		return imasnap_verify_fail(-IMASNAP_ESTATE,
			    "shards 0..%llu were pruned and shard %llu does not start a boot from zero: the history since the cold boot is not whole",
			    ull(i - 1), ull(i));
	if (pruned) {
		*cold = true;
		return 0;
	}
	/* snapshot never writes an empty shard; a tail may be empty. */
	if (!sh->entries && sh->kind == IMASNAP_SHARD_LOG)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu holds no record", ull(i));
	if (!state_empty(&sh->start) &&
	    imasnap_state_banks(&sh->start) != imasnap_state_banks(&sh->end))
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu ends in other banks than it starts in",
			    ull(i));
	if (!prev && memcmp(sh->prev_digest, zero, 32))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shard %llu has a non-zero prev digest: it must start the chain", ull(i));
	if (prev && memcmp(sh->prev_digest, prev->digest, 32))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shard %llu does not link to shard %llu (prev digest differs)",
			    ull(i), ull(i - 1));
	if (sh->kind == IMASNAP_SHARD_TAIL) {
		if (!prev || prev->kind != IMASNAP_SHARD_LOG || !same_boot ||
		    sh->first_entry != prev->first_entry + prev->entries ||
		    sh->log_offset != prev->log_offset + prev->body_size ||
		    memcmp(&sh->start, &prev->end, sizeof(sh->start)))
			return imasnap_verify_fail(-IMASNAP_EVERIFY, "tail shard %llu does not continue shard %llu",
				    ull(i), ull(i - 1));
		return 0;
	}
	if (prev && prev->kind == IMASNAP_SHARD_LOG && same_boot) {
		if (sh->first_entry != prev->first_entry + prev->entries ||
		    sh->log_offset != prev->log_offset + prev->body_size ||
		    memcmp(&sh->start, &prev->end, sizeof(sh->start)))
			return imasnap_verify_fail(-IMASNAP_EVERIFY,
				    "shard %llu does not start where shard %llu ends",
				    ull(i), ull(i - 1));
		return 0;
	}
	if (prev && prev->kind == IMASNAP_SHARD_TAIL && same_boot)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shard %llu claims the boot that tail shard %llu left by kexec",
			    ull(i), ull(i - 1));
	if (sh->first_entry || sh->log_offset)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shard %llu is the first of a boot but does not start at its log's start",
			    ull(i));
	*cold = !prev || prev->kind == IMASNAP_SHARD_LOG;
	if (*cold ? !state_empty(&sh->start) : !!memcmp(&sh->start, &prev->end, sizeof(sh->start)))
		return imasnap_verify_fail(-IMASNAP_EVERIFY, *cold ?
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

int imasnap_shard_rules(const char *dir, u64 seq, struct imasnap_evp *evp, const char *who,
			u32 rules[IMASNAP_NR_BANKS])
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_err err;
	char path[4096];
	int ret;

	if (!sh || !rp) {
		ret = -ENOMEM;
		goto out;
	}
	ret = imasnap_shard_path(dir, seq, path, sizeof(path));
	if (!ret)
		ret = imasnap_shard_read_header(path, sh, &err);
	if (!ret) {
		imasnap_replay_init(rp, imasnap_evp_ops(evp));
		imasnap_replay_add_banks(rp, imasnap_state_banks(&sh->end));
		ret = imasnap_shard_read(path, sh, rp, &err);
	}
	if (ret == -EBADMSG)
		imasnap_errorf("%s: %s: %s", who, path, err.reason);
	else if (ret)
		imasnap_errorf("%s: %s: %s", who, path, strerror(-ret));
	if (!ret)
		imasnap_replay_rules(rp, &sh->end, rules);
out:
	free(sh);
	free(rp);
	return ret;
}

const char *imasnap_rule_name(u32 rules)
{
	return rules & (1U << IMASNAP_RULE_NORMAL) ? "template-hash" : "padded-SHA-1";
}

/*
 * IMA extends a bank under one rule for a whole boot: every shard of a boot
 * (its log shards and the tail carried out of it) must reach its end under
 * a rule all the others of that boot did.  @first_of_boot: @sh opens a boot.
 */
static int chain_rules(struct imasnap_chain *c, const struct imasnap_replay *rp,
		       const struct imasnap_shard *sh, bool first_of_boot)
{
	u32 rules[IMASNAP_NR_BANKS];
	int b;

	imasnap_replay_rules(rp, &sh->end, rules);
	if (first_of_boot) {
		memcpy(c->boot_rules, rules, sizeof(rules));
		c->boot_first = sh->seq;
		return 0;
	}
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!rules[b] || !c->boot_rules[b] || (rules[b] & c->boot_rules[b])) {
			c->boot_rules[b] = c->boot_rules[b] ? c->boot_rules[b] & rules[b] : rules[b];
			continue;
		}
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shard %llu reaches its %s end state only under the %s rule, but shard %llu of its boot under the %s rule: IMA uses one rule per bank for a whole boot",
			    ull(sh->seq), imasnap_bank_info(b)->name, imasnap_rule_name(rules[b]),
			    ull(c->boot_first), imasnap_rule_name(c->boot_rules[b]));
	}
	return 0;
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
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
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
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the quote does not follow the quote of shard %llu: %s",
			    ull(c->clock.seq), why);
	return 0;
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
		return anchor ? imasnap_verify_fail(-IMASNAP_EVERIFY,
				     "shard %llu has no quote in its trailer to anchor on",
				     ull(sh->seq)) : 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
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
	/* The TPM signed this end state: the shards up to it since the cold boot are attested. */
	c->attested += c->pending;
	c->pending = 0;
	if (c->clock.valid &&
	    imasnap_quote_follows(&c->clock.info, &q->attest.clockInfo, c->clock.cold_boots, &why)) {
		ret = imasnap_verify_fail(-IMASNAP_EVERIFY,
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

/* Whether a boot after shard @prev needs a snapshot_aggregate (after a tail), and what it must say. */
static void expect_aggregate(const struct imasnap_shard *prev, bool *need,
			     struct imasnap_aggregate *agg)
{
	*need = prev && prev->kind == IMASNAP_SHARD_TAIL;
	memset(agg, 0, sizeof(*agg));
	if (!*need)
		return;
	agg->seq = prev->seq - 1;
	agg->entries = prev->first_entry + prev->entries;
	agg->tail_entries = prev->entries;
	memcpy(agg->shard, prev->prev_digest, 32);
	memcpy(agg->tail, prev->body_digest, 32);
	agg->state = prev->end;
}

/* Whether log shard @sh opens a boot of its own after @prev (NULL: none). */
static bool opens_boot(const struct imasnap_shard *sh, const struct imasnap_shard *prev)
{
	return !prev || prev->kind == IMASNAP_SHARD_TAIL || memcmp(prev->boot_id, sh->boot_id, 16);
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
	expect_aggregate(prev, &c->need_aggregate, &c->agg);
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

	if (opens_boot(sh, prev))
		expect_boot(c, &sh->start, prev);
	sl = realloc(c->slices, (c->nr_slices + 1) * sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	c->slices = sl;
	sl[c->nr_slices].seq = sh->seq;
	sl[c->nr_slices].end = sh->log_offset + sh->body_size;
	memcpy(sl[c->nr_slices].digest, sh->body_digest, 32);
	c->nr_slices++;
	c->slices_end = sh->end;
	return 0;
}

/*
 * Log shard @sh (its header read), after @prev: compared with the live log
 * if it continues the bytes compared equal so far; a boot's first opens
 * the live log again at its start (struct imasnap_lockstep).
 */
static void lockstep_begin(struct imasnap_lockstep *ls, const struct imasnap_shard *sh,
			   const struct imasnap_shard *prev)
{
	ls->tapping = false;
	if (!ls->path || sh->kind != IMASNAP_SHARD_LOG)
		return;
	if (opens_boot(sh, prev)) {
		imasnap_lockstep_close(ls);
		ls->open = !imasnap_logfile_open(&ls->lf, ls->path, IMASNAP_ORDER_AUTO);
		ls->same = ls->open;
		ls->nr = 0;
		ls->at = 0;
		ls->records = 0;
		ls->violations = 0;
		ls->aggregates = 0;
		ls->bound = false;
		expect_aggregate(prev, &ls->need_aggregate, &ls->agg);
	}
	if (!ls->same || sh->log_offset != ls->at) {
		ls->same = false;
		return;
	}
	ls->tapping = true;
	ls->tap_from = ls->at;
}

/* The body's bytes as the walk reads them, against the live log's next. */
static void lockstep_tap(void *priv, const u8 *p, size_t n)
{
	struct imasnap_lockstep *ls = priv;

	if (!ls->same)
		return;
	if (imasnap_logfile_compare(&ls->lf, p, n) == 1)
		ls->at += n;
	else
		ls->same = false;
}

/* A record of a shard compared: what the live walk would count in it. */
static void lockstep_record(struct imasnap_lockstep *ls, const struct imasnap_log *log,
			    const struct imasnap_log_record *rec)
{
	bool binds;

	ls->records++;
	if (imasnap_log_is_violation(rec))
		ls->violations++;
	if (imasnap_live_aggregate(log, rec, ls->need_aggregate, &ls->agg, &binds)) {
		ls->aggregates++;
		ls->bound = ls->bound || binds;
	}
}

/* Shard @sh read (@ok: and checked out): every byte of its body compared equal? */
static void lockstep_end(struct imasnap_lockstep *ls, const struct imasnap_shard *sh, bool ok)
{
	if (!ls->tapping)
		return;
	ls->tapping = false;
	/* The live log is parsed in one byte order: so must all of them be. */
	if (!ok || !ls->same || ls->tap_from != sh->log_offset ||
	    ls->at != sh->log_offset + sh->body_size || (ls->nr && sh->order != ls->order)) {
		ls->same = false;
		return;
	}
	if (!ls->nr) {
		ls->first_seq = sh->seq;
		ls->boot = sh->boot;
		ls->order = sh->order;
	}
	ls->last_seq = sh->seq;
	ls->nr++;
}

/*
 * Each record of the boot being walked: the kernel image it measured
 * last, by digest on the --kernels list, else by a kernel image's name.
 */
static int chain_record(void *priv, const struct imasnap_log *log,
			const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct imasnap_chain *c = priv;
	struct imasnap_chain_kernel *k = &c->kernel;
	const u8 *digest;
	const char *name;
	bool allowed;
	u32 len;
	int bank;

	(void)err;
	if (c->ls.tapping)
		lockstep_record(&c->ls, log, rec);
	/* The name first: without a list, only a kernel image's can count. */
	if (!c->kernels && !imasnap_record_is_kernel_image(log, rec))
		return 0;
	if (imasnap_record_file_digest(log, rec, &bank, &digest))
		return 0;
	allowed = c->kernels && imasnap_kernels_has(c->kernels, bank, digest);
	if (!allowed && (k->allowed || (c->kernels && !imasnap_record_is_kernel_image(log, rec))))
		return 0;
	k->found = true;
	k->allowed = allowed;
	k->bank = bank;
	memcpy(k->digest, digest, imasnap_bank_info(bank)->size);
	if (imasnap_record_name(log, rec, &name, &len))
		len = 0;
	if (len >= sizeof(k->name))
		len = sizeof(k->name) - 1;
	memcpy(k->name, name, len);
	k->name[len] = 0;
	return 0;
}

/*
 * The padded-SHA-1 lanes (IMA's rule for a bank whose hash it could not
 * allocate), after a read that replayed the template-hash rule alone
 * (imasnap_replay_padded_needed() says why that finds the same rules): a
 * bank that reaches no end state is replayed again under the padded rule,
 * from a second read of the shard, which must have the digest the first
 * read found.
 */
static int chain_padded(const struct imasnap_chain_opts *o, struct imasnap_evp *evp,
			const char *path, const struct imasnap_shard *sh,
			struct imasnap_replay *rp, struct imasnap_err *err)
{
	struct imasnap_replay *alt;
	struct imasnap_shard *again;
	u32 miss = 0, want;
	int b, ret;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (imasnap_replay_pick(rp, b, &sh->end) < 0)
			miss |= 1U << b;
	want = imasnap_replay_padded_needed(rp, miss);
	if (!want)
		return 0;
	alt = calloc(1, sizeof(*alt));
	again = calloc(1, sizeof(*again));
	ret = alt && again ? 0 : -ENOMEM;
	if (!ret) {
		imasnap_replay_init(alt, imasnap_evp_ops(evp));
		for (b = 0; b < IMASNAP_NR_BANKS; b++)
			if (want & (1U << b))
				imasnap_replay_add_lane(alt, b, IMASNAP_RULE_PADDED_SHA1);
		ret = imasnap_shard_read_each(path, again, alt, o->threads, NULL, NULL, err);
	}
	if (!ret && memcmp(again->digest, sh->digest, sizeof(sh->digest))) {
		err->reason = "the shard changed while it was read";
		err->index = 0;
		err->offset = 0;
		ret = -EBADMSG;
	}
	if (!ret)
		ret = imasnap_replay_merge(rp, alt);
	free(again);
	free(alt);
	return ret;
}

/* Read shard @i of @dir after @prev (NULL: none), replaying its body from its start. */
static int chain_read(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		      struct imasnap_evp *evp, u64 i, struct imasnap_shard *sh,
		      const struct imasnap_shard *prev, struct imasnap_replay *rp)
{
	struct imasnap_err err;
	char path[4096];
	int ret;

	ret = imasnap_shard_path(o->dir, i, path, sizeof(path));
	/* The lanes depend on the start state: read the header first. */
	if (!ret)
		ret = imasnap_shard_read_header(path, sh, &err);
	if (!ret) {
		/* A new boot: no kernel image measured in it yet. */
		if (!prev || memcmp(prev->boot_id, sh->boot_id, 16) ||
		    (sh->kind == IMASNAP_SHARD_LOG && !sh->first_entry))
			memset(&c->kernel, 0, sizeof(c->kernel));
		u32 banks = imasnap_state_banks(&sh->start) | imasnap_state_banks(&sh->end);
		int b;

		imasnap_replay_init(rp, imasnap_evp_ops(evp));
		for (b = 0; b < IMASNAP_NR_BANKS; b++)
			if (banks & (1U << b))
				imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL);
		lockstep_begin(&c->ls, sh, prev);
		ret = imasnap_shard_read_tap(path, sh, rp, o->threads, chain_record, c,
					     c->ls.tapping ? lockstep_tap : NULL, &c->ls, &err);
		lockstep_end(&c->ls, sh, !ret);
	}
	if (!ret)
		ret = chain_padded(o, evp, path, sh, rp, &err);
	/* A shard that does not read is a broken chain, not a malformed input. */
	if (ret == -EBADMSG)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu: %s (%s %llu)", ull(i), err.reason,
			    err.index ? "record" : "byte", ull(err.index ? err.index : err.offset));
	if (ret)
		return imasnap_verify_fail(ret, "%s: %s", path, strerror(-ret));
	return 0;
}

/* From a checkpoint: the walk goes on after the shard it kept. */
static int chain_begin_from(struct imasnap_chain *c, const struct imasnap_checkpoint *from,
			    u64 first, u64 n, struct imasnap_shard *prev, u64 *i)
{
	const struct imasnap_shard *f = &from->shard;

	if (n && first > f->seq + 1)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shards %llu..%llu are missing: the archive starts at shard %llu",
			    ull(f->seq + 1), ull(first - 1), ull(first));
	if (!n || first + n < f->seq + 1)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the archive ends before shard %llu, the checkpoint's (rolled back?)",
			    ull(f->seq));
	*prev = *f;
	c->clock = from->clock;
	c->newest = *from;
	c->have_newest = true;
	expect_trusted(c, prev, from->has_prefix ? from->prefix : NULL);
	/*
	 * Without a prefix digest the earlier run did not verify this boot's
	 * log up to the shard (it was anchored): its body is no more verified
	 * now than then, and a checkpoint saved now must not say it is.
	 */
	c->history_unverified = !from->has_prefix;
	*i = f->seq + 1;
	return 0;
}

/* Quote-anchored: the oldest shard's end, attested by its trailer quote. */
static int chain_begin_anchored(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
				struct imasnap_evp *evp, u64 first, u64 n,
				struct imasnap_shard *prev, struct imasnap_replay *rp,
				struct imasnap_state *scratch, u64 *i)
{
	int ret;

	if (!n)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the archive holds no shard to anchor on");
	if (o->anchor_set) {
		if (o->anchor < first || o->anchor >= first + n)
			return imasnap_verify_fail(-IMASNAP_ESTATE, "the archive holds no shard %llu",
						   ull(o->anchor));
		first = o->anchor;
	}
	ret = chain_read(c, o, evp, first, prev, NULL, rp);
	if (ret)
		return ret;
	if (prev->seq != first)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu holds seq %llu", ull(first),
			    ull(prev->seq));
	if (prev->kind != IMASNAP_SHARD_LOG || !prev->entries)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shard %llu cannot anchor: only a log shard with records can",
			    ull(first));
	ret = chain_end(rp, prev, scratch);
	if (!ret && !prev->first_entry)
		ret = imasnap_chain_boot(c, &prev->boot, prev->seq, true);
	if (!ret)
		ret = chain_rules(c, rp, prev, true);
	if (!ret)
		ret = chain_trailer(c, o, prev, true);
	if (ret)
		return ret;
	c->newest.shard = *prev;
	c->newest.clock = c->clock;
	c->have_newest = true;
	c->count = 1;
	c->attested = 1;	/* by its own quote */
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

/* Where the walk starts: shard @*i, after @prev (trusted) or from zero. */
static int chain_begin(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		       struct imasnap_evp *evp, u64 first, u64 n, struct imasnap_shard *prev,
		       struct imasnap_replay *rp, struct imasnap_state *scratch, u64 *i)
{
	if (o->from)
		return chain_begin_from(c, o->from, first, n, prev, i);
	if (o->anchored)
		return chain_begin_anchored(c, o, evp, first, n, prev, rp, scratch, i);
	if (first && !o->cold_start)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "shards 0..%llu are missing: verify from a checkpoint (--from) or a quoted shard (--anchored)",
			    ull(first - 1));
	c->pruned_start = first > 0;
	*i = first;
	return 0;
}

static const char *where(u64 seq, char *buf, size_t size)
{
	if (seq == IMASNAP_LIVE)
		snprintf(buf, size, "the live log");
	else
		snprintf(buf, size, "shard %llu", ull(seq));
	return buf;
}

int imasnap_chain_boot(struct imasnap_chain *c, const struct imasnap_boot_aggregate *ba, u64 seq,
		       bool new_boot)
{
	const struct imasnap_bank_info *bi;
	struct imasnap_chain_boot *b;
	char here[32], there[32];

	if (!ba->present)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "%s begins a boot, but not with boot_aggregate: a kernel IMA did not measure from its start",
			    where(seq, here, sizeof(here)));
	bi = imasnap_bank_info(ba->bank);
	b = &c->boot[ba->bank];
	if (b->set && (b->zero != ba->zero || memcmp(b->digest, ba->digest, bi->size)))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the %s boot_aggregate of %s differs from that of %s, with no cold boot in between (kexec does not change PCRs 0-9)",
			    bi->name, where(seq, here, sizeof(here)), where(b->seq, there, sizeof(there)));
	if (!b->set) {
		b->set = true;
		b->zero = ba->zero;
		memcpy(b->digest, ba->digest, bi->size);
		b->seq = seq;
	}
	c->boots += new_boot;
	return 0;
}

/* Tail shard @sh: a kexec, into the kernel image the old boot measured last. */
static int chain_hop(struct imasnap_chain *c, const struct imasnap_shard *sh)
{
	struct imasnap_chain_hop *h = realloc(c->hops, (c->nr_hops + 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	c->hops = h;
	h[c->nr_hops].tail = sh->seq;
	h[c->nr_hops].kernel = c->kernel;
	c->nr_hops++;
	if (c->kernels && !c->kernel.allowed)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the kexec at shard %llu: the old kernel measured no kernel image of --kernels before the jump (%s)",
			    ull(sh->seq), c->kernel.found ? c->kernel.name : "it measured no kernel image at all");
	return 0;
}

/* Shard @i, read into @sh, after @prev (NULL: none): checked, and counted. */
static int chain_step(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		      struct imasnap_evp *evp, u64 i, struct imasnap_shard *sh,
		      const struct imasnap_shard *prev, struct imasnap_replay *rp,
		      struct imasnap_state *scratch)
{
	bool cold;
	int ret;

	ret = chain_read(c, o, evp, i, sh, prev, rp);
	if (!ret)
		ret = chain_link(sh, prev, i, c->pruned_start && i == c->first, &cold);
	if (!ret)
		ret = chain_end(rp, sh, scratch);
	/* A trusted start (checkpoint, anchor) says nothing of its boot's rules. */
	if (!ret)
		ret = chain_rules(c, rp, sh, !prev || memcmp(prev->boot_id, sh->boot_id, 16) ||
				  (o->from && prev->seq == o->from->shard.seq));
	if (ret)
		return ret;
	if (cold) {
		c->cold_first = sh->seq;
		c->clock.cold_boots++;
		/* The TPM was reset: new PCRs 0-9, new boot_aggregates. */
		memset(c->boot, 0, sizeof(c->boot));
		c->boots = 0;
	}
	if (sh->kind == IMASNAP_SHARD_LOG && !sh->first_entry) {
		ret = imasnap_chain_boot(c, &sh->boot, sh->seq, true);
		if (ret)
			return ret;
	}
	/* A cold boot reset the TPM: what came before it only links to what follows. */
	if (cold && c->pending) {
		if (!c->linked)
			c->linked_first = c->pending_first;
		c->linked += c->pending;
		c->linked_last = sh->seq - 1;
		c->pending = 0;
	}
	if (!c->pending)
		c->pending_first = sh->seq;
	c->pending++;
	ret = chain_trailer(c, o, sh, false);
	if (!ret && sh->kind == IMASNAP_SHARD_LOG)
		ret = expect_slice(c, sh, prev);
	if (!ret && sh->kind == IMASNAP_SHARD_TAIL)
		ret = chain_hop(c, sh);
	if (ret)
		return ret;
	c->count++;
	c->newest.shard = *sh;
	c->newest.clock = c->clock;
	c->have_newest = true;
	return 0;
}

/* After the newest shard @newest (NULL: none): what the live log must show. */
static int chain_finish(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
			const struct imasnap_shard *newest)
{
	if (newest)
		c->banks = imasnap_state_banks(&newest->end);
	/* Since the last cold boot, the live PCRs vouch for every shard. */
	c->attested += c->pending;
	c->pending = 0;
	/* A tail is newest: this boot has no shard yet and starts at its end. */
	if (newest && newest->kind == IMASNAP_SHARD_TAIL)
		expect_boot(c, &newest->end, newest);
	c->newest.shard.trailer_size = 0;
	/* A checkpoint of a log shard keeps the digest of its boot's log up to it. */
	c->newest.has_prefix = false;
	if (o->save && c->have_newest && c->newest.shard.kind == IMASNAP_SHARD_LOG)
		c->save_at = c->newest.shard.log_offset + c->newest.shard.body_size;
	/* The live log's bytes of shards are hashed off the parsing thread. */
	c->slice_hash = imasnap_spool_new(-1, o->threads > 1, true);
	c->body_hash = imasnap_spool_new(-1, o->threads > 1, true);
	c->boot_md = EVP_MD_CTX_new();
	if (!c->slice_hash || !c->body_hash) {
		int err = errno;

		imasnap_errorf("%s: a hashing thread: %s", verify_who, strerror(err));
		return -err;
	}
	if (!c->boot_md || !EVP_DigestInit_ex2(c->boot_md, EVP_sha256(), NULL))
		return imasnap_ossl_fail("SHA-256");
	return 0;
}

/**
 * imasnap_chain_walk() - walk the archive from a trusted start
 * @c:		the chain, imasnap_chain_init()ed
 * @o:		the archive and the mode
 * @evp:	hashes
 *
 * Return: 0, or -errno with the first failure named on stderr
 * (-IMASNAP_EVERIFY: the archive does not verify).
 */
int imasnap_chain_walk(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		       struct imasnap_evp *evp)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_shard *prev = calloc(1, sizeof(*prev));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_state *scratch = calloc(1, sizeof(*scratch));
	u64 first, n, i = 0;
	bool have_prev;
	int ret;

	if (!sh || !prev || !rp || !scratch) {
		ret = -ENOMEM;
		goto out;
	}
	ret = imasnap_archive_range(o->dir, &first, &n);
	if (ret == -EBADMSG) {
		char gap[160];

		imasnap_archive_gap(o->dir, gap, sizeof(gap));
		ret = imasnap_verify_fail(-IMASNAP_EVERIFY, "%s: %s", o->dir, gap);
		goto out;
	} else if (ret) {
		ret = imasnap_verify_fail(ret, "%s: %s", o->dir, strerror(-ret));
		goto out;
	}
	c->kernels = o->kernels;
	/* Only a full walk's live log starts with the shards it compares. */
	c->ls.path = o->from || o->anchored || o->save ? NULL : o->live;
	ret = chain_begin(c, o, evp, first, n, prev, rp, scratch, &i);
	if (ret)
		goto out;
	c->first = i - (o->anchored ? 1 : 0);
	have_prev = o->from || o->anchored;
	for (; !ret && i < first + n; i++) {
		ret = chain_step(c, o, evp, i, sh, have_prev ? prev : NULL, rp, scratch);
		*prev = *sh;
		have_prev = true;
	}
	if (!ret)
		ret = chain_finish(c, o, have_prev ? prev : NULL);
out:
	free(sh);
	free(prev);
	free(rp);
	free(scratch);
	return ret;
}
