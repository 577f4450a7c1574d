// SPDX-License-Identifier: GPL-2.0
/*
 * The live log against what the archive walk (chain.c) says it must hold:
 * record by record, the bytes before the trusted shard's end are that
 * shard's body (and, from a checkpoint, the digest it kept), this boot's
 * shards are the live log's first bytes, and after a kexec exactly one
 * snapshot_aggregate names the archived shard, the carried tail and the
 * tail's end state.  The records past the archive are replayed into the
 * caller's replay; Documentation/design.md gives the rules and why.
 */
#include <stdlib.h>

#include <openssl/evp.h>

#include "error.h"
#include "live.h"
#include "spool.h"

/*
 * The live log is not the one the boot's shards archived: after a kexec
 * that nothing armed, the next boot's log starts with the same
 * boot_aggregate (kexec leaves PCRs 0-9 alone) and is taken for the
 * archived boot's until it differs.
 */
#define NOT_THAT_BOOT ": not the log of that shard's boot (a kexec without imasnap's hand-off) or a changed one"

static unsigned long long ull(u64 v)
{
	return (unsigned long long)v;
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

bool imasnap_live_aggregate(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			    bool need, const struct imasnap_aggregate *want, bool *binds)
{
	u32 len;
	const u8 *text = aggregate_of(log, rec, &len);

	/* Only IMA's own record binds: PCR 10, not a violation. */
	*binds = text && need && rec->pcr == IMASNAP_IMA_PCR && !imasnap_log_is_violation(rec) &&
		 aggregate_matches(want, text, len);
	return text;
}

/* A live record before the trusted shard's end (c->skip). */
static int chain_live_history(struct imasnap_chain *c, const struct imasnap_log_record *rec)
{
	u64 end = rec->offset + rec->size;
	u8 digest[32];
	int ret;

	if (end > c->skip)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "live log record %llu crosses the end of shard %llu" NOT_THAT_BOOT,
			    ull(rec->index), ull(c->skip_seq));
	if (c->check_body && rec->offset >= c->body_from) {
		ret = imasnap_spool_add(c->body_hash, rec->raw, rec->size);
		if (ret)
			return ret;
		/* An anchor's own bytes are its body, but from a start nobody vouched for. */
		if (c->history_unverified)
			c->unverified++;
	} else if (!c->check_prefix) {
		c->unverified++;
	}
	if (end != c->skip)
		return 0;
	if (c->check_body) {
		ret = imasnap_spool_restart(c->body_hash, digest);
		if (ret)
			return ret;
	}
	if (c->check_body && memcmp(digest, c->body_digest, 32))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log differs from shard %llu" NOT_THAT_BOOT,
			    ull(c->skip_seq));
	if (c->check_prefix &&
	    (imasnap_sha256_so_far(c->boot_md, digest) || memcmp(digest, c->prefix, 32)))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log's first %llu bytes are not those the checkpoint vouched for",
			    ull(c->skip));
	return 0;
}

/* The live log's first record: this boot's boot_aggregate. */
static int live_boot(struct imasnap_chain *c, const struct imasnap_log *log,
		     const struct imasnap_log_record *rec)
{
	struct imasnap_boot_aggregate ba;
	const char *why;

	if (imasnap_boot_aggregate_of(log, rec, &ba, &why) == -EBADMSG)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the live log's boot_aggregate: %s", why);
	/* With shards of its own boot the live log's boot was counted already. */
	return imasnap_chain_boot(c, &ba, IMASNAP_LIVE, !c->skip && !c->nr_slices);
}

/* The live log from its start, hashed for a checkpoint to check or to save. */
static int live_prefix(struct imasnap_chain *c, const struct imasnap_log_record *rec)
{
	int ret;

	if ((c->check_prefix || c->save_at) && !EVP_DigestUpdate(c->boot_md, rec->raw, rec->size))
		return imasnap_ossl_fail("SHA-256");
	/* A checkpoint vouches only for bytes this run checked. */
	if (c->save_at && c->live_bytes == c->save_at && !c->unverified) {
		ret = imasnap_sha256_so_far(c->boot_md, c->newest.prefix);
		if (ret)
			return ret;
		c->newest.has_prefix = true;
	}
	return 0;
}

/* This boot's shards are the live log's first bytes, shard by shard. */
static int live_slice(struct imasnap_chain *c, const struct imasnap_log_record *rec)
{
	const struct imasnap_chain_slice *sl;
	u8 digest[32];
	int ret;

	if (c->slice >= c->nr_slices)
		return 0;
	sl = &c->slices[c->slice];
	ret = imasnap_spool_add(c->slice_hash, rec->raw, rec->size);
	if (ret)
		return ret;
	if (rec->offset + rec->size > sl->end)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "live log record %llu crosses the end of shard %llu" NOT_THAT_BOOT,
			    ull(rec->index), ull(sl->seq));
	if (rec->offset + rec->size < sl->end)
		return 0;
	ret = imasnap_spool_restart(c->slice_hash, digest);
	if (ret)
		return ret;
	if (memcmp(digest, sl->digest, 32))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log differs from shard %llu" NOT_THAT_BOOT,
			    ull(sl->seq));
	c->slice++;
	return 0;
}

/*
 * Whether the live records that are this boot's shards (the slices) go
 * unreplayed.  Their bytes are compared with each shard's body digest, and
 * the walk replayed those bodies, each from the end of the one before, to
 * their end states under the boot's rules (c->boot_rules); so the live
 * replay can start at the newest slice's end instead, in the lanes of those
 * rules (live_seed()).  Only when every bank replayed here is one the
 * shards end in and have a rule for: a bank no shard names is replayed
 * from the boot's start.
 */
static bool live_seeded(struct imasnap_chain *c, const struct imasnap_replay *rp)
{
	unsigned int i;

	if (!c->seeded) {
		c->seeded = c->nr_slices ? 1 : -1;
		for (i = 0; i < rp->nr_lanes; i++) {
			int b = rp->lane[i].bank;

			if (!c->boot_rules[b] || !c->slices_end.pcr_mask[b])
				c->seeded = -1;
		}
	}
	return c->seeded > 0 && c->slice < c->nr_slices;
}

/*
 * The lanes at the newest slice's end: those of the boot's rules hold its
 * end state, as a replay of the slices would.  A lane of another rule gets
 * the same PCRs with every byte of their values inverted: no replay of
 * real records reaches that (as the lane the slices' replay would have
 * made, which reached none of their end states), so a rule switch stays
 * refused, and its PCRs are the ones the slices accounted for.
 */
static void live_seed(struct imasnap_chain *c, struct imasnap_replay *rp)
{
	unsigned int i, j;

	for (i = 0; i < rp->nr_lanes; i++) {
		struct imasnap_lane *l = &rp->lane[i];

		memcpy(l->pcr, c->slices_end.pcr[l->bank], sizeof(l->pcr));
		l->start_mask = c->slices_end.pcr_mask[l->bank];
		l->touched = 0;
		if (c->boot_rules[l->bank] & (1U << l->rule))
			continue;
		for (j = 0; j < sizeof(l->pcr); j++)
			((u8 *)l->pcr)[j] ^= 0xff;
	}
}

int imasnap_chain_live_record(struct imasnap_chain *c, const struct imasnap_log *log,
			      const struct imasnap_log_record *rec,
			      struct imasnap_replay *rp, struct imasnap_err *err)
{
	bool binds;
	int ret;

	c->live_records++;
	c->live_bytes = rec->offset + rec->size;
	ret = rec->index ? 0 : live_boot(c, log, rec);
	if (!ret)
		ret = live_prefix(c, rec);
	if (ret)
		return ret;
	/* History before a trusted shard's end: checked by digests, not replayed. */
	if (rec->offset < c->skip)
		return chain_live_history(c, rec);
	if (imasnap_live_aggregate(log, rec, c->need_aggregate, &c->agg, &binds)) {
		c->aggregates++;
		c->bound = c->bound || binds;
	}
	if (live_seeded(c, rp)) {
		/* The bytes of a shard the walk replayed: compared, not replayed again. */
		rp->records++;
		if (imasnap_log_is_violation(rec))
			rp->violations++;
		ret = live_slice(c, rec);
		if (!ret && c->slice == c->nr_slices)
			live_seed(c, rp);
		return ret;
	}
	ret = imasnap_replay_record(rp, rec, err);
	if (ret && ret != -EBADMSG)
		imasnap_verify_fail(ret, "live log record %llu: %s", ull(rec->index), err->reason);
	return ret ?: live_slice(c, rec);
}

/*
 * Whether the walk's comparison (struct imasnap_lockstep) stands for the
 * live walk of every slice: the shards it compared equal are exactly the
 * slices, the live log starts with their bytes, in the order the live log
 * is parsed in, with the snapshot_aggregate expected the same, and no
 * slice would be replayed (live_seeded()).
 */
static bool live_lockstep_holds(struct imasnap_chain *c, const struct imasnap_replay *rp)
{
	const struct imasnap_lockstep *ls = &c->ls;

	if (!ls->open || !ls->same || !ls->nr || !c->nr_slices || c->skip ||
	    c->check_prefix || c->save_at)
		return false;
	if (ls->nr != c->nr_slices || ls->first_seq != c->slices[0].seq ||
	    ls->last_seq != c->slices[c->nr_slices - 1].seq ||
	    ls->at != c->slices[c->nr_slices - 1].end || ls->lf.log.order != ls->order)
		return false;
	if (ls->need_aggregate != c->need_aggregate ||
	    (c->need_aggregate && memcmp(&ls->agg, &c->agg, sizeof(c->agg))))
		return false;
	return live_seeded(c, rp);
}

int imasnap_chain_live_resume(struct imasnap_chain *c, struct imasnap_replay *rp,
			      struct imasnap_logfile *lf)
{
	struct imasnap_lockstep *ls = &c->ls;
	int ret;

	if (!live_lockstep_holds(c, rp)) {
		imasnap_lockstep_close(ls);
		return 0;
	}
	/* What imasnap_chain_live_record() would have found in those records. */
	ret = imasnap_chain_boot(c, &ls->boot, IMASNAP_LIVE, false);
	if (ret)
		return ret;
	c->live_records = ls->records;
	c->live_bytes = ls->at;
	c->aggregates += ls->aggregates;
	c->bound = c->bound || ls->bound;
	rp->records += ls->records;
	rp->violations += ls->violations;
	c->slice = c->nr_slices;
	live_seed(c, rp);
	*lf = ls->lf;
	lf->log.index = ls->records;
	ls->open = false;
	return 1;
}

int imasnap_chain_live_end(struct imasnap_chain *c)
{
	if (!c->live_records)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the live log holds no record");
	if (c->live_bytes < c->skip)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log is shorter than shard %llu says" NOT_THAT_BOOT,
			    ull(c->skip_seq));
	if (c->slice < c->nr_slices)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log is shorter than shard %llu says" NOT_THAT_BOOT,
			    ull(c->slices[c->slice].seq));
	if (c->need_aggregate && c->aggregates > 1)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log has %u snapshot_aggregate records: one is expected",
			    c->aggregates);
	if (c->need_aggregate && !c->bound)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log has no snapshot_aggregate naming shard %llu, its tail and the tail's end state",
			    ull(c->agg.seq));
	return 0;
}
