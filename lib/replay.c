// SPDX-License-Identifier: GPL-2.0
/*
 * Multi-bank PCR replay of an IMA measurement list.
 *
 * For each record IMA computes, per allocated TPM bank, the template digest
 * H_bank(template data) and extends PCR[rec.pcr] of that bank with it
 * (ima_calc_field_array_hash(), ima_pcr_extend()):
 *
 *  - template data hashed: every template but 'ima' hashes the fields exactly
 *    as the log shows them (u32 length + bytes each); the legacy 'ima'
 *    template hashes the 20-byte file digest and the event name zero-padded
 *    to 256 bytes, without length words;
 *  - a violation is logged with an all-zero digest and extends 0xff.. into
 *    every bank;
 *  - a bank whose hash IMA could not allocate at boot is extended with the
 *    SHA-1 template digest zero-padded to the bank size (IMASNAP_RULE_PADDED_SHA1).
 *
 * The SHA-1 template digest in the log is recomputed and must match: that is
 * what binds the log bytes to what was extended.
 */
#include "core.h"

static const u8 zeros[IMASNAP_IMA_NAME_HASHED];

void imasnap_replay_init(struct imasnap_replay *rp,
			 const struct imasnap_hash_ops *ops)
{
	memset(rp, 0, sizeof(*rp));
	rp->ops = ops;
}

/* Return: the lane's index, or -EINVAL for a bad or duplicate lane. */
int imasnap_replay_add_lane(struct imasnap_replay *rp, enum imasnap_bank bank,
			    enum imasnap_rule rule)
{
	unsigned int i;

	if ((unsigned int)bank >= IMASNAP_NR_BANKS ||
	    (rule != IMASNAP_RULE_NORMAL && rule != IMASNAP_RULE_PADDED_SHA1))
		return -EINVAL;
	for (i = 0; i < rp->nr_lanes; i++) {
		if (rp->lane[i].bank == bank && rp->lane[i].rule == rule)
			return -EINVAL;
	}
	if (rp->nr_lanes == IMASNAP_MAX_LANES)
		return -EINVAL;
	memset(&rp->lane[i], 0, sizeof(rp->lane[i]));
	rp->lane[i].bank = bank;
	rp->lane[i].rule = rule;
	rp->nr_lanes++;
	return (int)i;
}

/*
 * Lanes under both rules for every bank in @bank_mask (SHA-1 has only one:
 * its padded digest is itself), for when the log cannot say which rule IMA
 * followed; imasnap_replay_pick() tells afterwards.
 */
void imasnap_replay_add_banks(struct imasnap_replay *rp, u32 bank_mask)
{
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!(bank_mask & (1U << b)))
			continue;
		imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL);
		if (b != IMASNAP_BANK_SHA1)
			imasnap_replay_add_lane(rp, b, IMASNAP_RULE_PADDED_SHA1);
	}
}

/*
 * Set every lane's PCRs to @start (PCRs @start does not name start at zero,
 * as after a TPM reset) and forget what earlier records touched.
 */
void imasnap_replay_start(struct imasnap_replay *rp,
			  const struct imasnap_state *start)
{
	unsigned int i;

	for (i = 0; i < rp->nr_lanes; i++) {
		struct imasnap_lane *l = &rp->lane[i];

		memset(l->pcr, 0, sizeof(l->pcr));
		l->touched = 0;
		l->start_mask = start ? start->pcr_mask[l->bank] : 0;
		if (l->start_mask)
			memcpy(l->pcr, start->pcr[l->bank], sizeof(l->pcr));
	}
	rp->records = 0;
	rp->violations = 0;
	rp->no_pcr = 0;
}

/* The template data as IMA hashes it, as up to three buffers. */
static unsigned int template_bufs(const struct imasnap_log_record *rec,
				  struct imasnap_buf *v)
{
	u32 name_len;

	if (!rec->legacy) {
		v[0].data = rec->data;
		v[0].len = rec->data_len;
		return 1;
	}
	name_len = rec->data_len - IMASNAP_SHA1_DIGEST_SIZE - 4;
	v[0].data = rec->data;
	v[0].len = IMASNAP_SHA1_DIGEST_SIZE;
	v[1].data = rec->data + IMASNAP_SHA1_DIGEST_SIZE + 4;
	v[1].len = name_len;
	v[2].data = zeros;
	v[2].len = IMASNAP_IMA_NAME_HASHED - name_len;
	return 3;
}

static int replay_reject(const struct imasnap_log_record *rec,
			 struct imasnap_err *err, const char *reason)
{
	err->reason = reason;
	err->offset = rec->offset;
	err->index = rec->index;
	return -EBADMSG;
}

/*
 * A digest of @size bytes, copied in a few moves for the banks' sizes: a
 * copy of any length became a string instruction whose start-up took a
 * fifth of this file's own time per record (perf, 1M records).
 */
static void copy_digest(u8 *to, const u8 *from, u8 size)
{
	switch (size) {
	case 20:
		memcpy(to, from, 20);
		break;
	case 32:
		memcpy(to, from, 32);
		break;
	case 48:
		memcpy(to, from, 48);
		break;
	case 64:
		memcpy(to, from, 64);
		break;
	default:
		memcpy(to, from, size);
	}
}

/**
 * imasnap_replay_record() - extend every lane with one record
 * @rp:		the replay
 * @rec:	a record imasnap_log_next() returned
 * @err:	which record failed and why
 *
 * Return: 0; -EBADMSG when the logged SHA-1 template digest does not match
 * the template data (not checked with @rp->sha1_checked_elsewhere, where
 * SHA-1 lanes extend with the logged digest as it is); the
 * hash op's error (-EOPNOTSUPP: bank not available).  On error no lane has
 * changed.
 */
int imasnap_replay_record(struct imasnap_replay *rp,
			  const struct imasnap_log_record *rec,
			  struct imasnap_err *err)
{
	u8 next[IMASNAP_MAX_LANES][IMASNAP_MAX_DIGEST_SIZE];
	u8 sha1[IMASNAP_SHA1_DIGEST_SIZE];
	/* An extend's input, PCR then digest, in one buffer: one update, whole blocks. */
	u8 in[2 * IMASNAP_MAX_DIGEST_SIZE];
	struct imasnap_buf v[3], x;
	unsigned int nv, i;
	bool violation;
	int ret;

	nv = template_bufs(rec, v);
	violation = imasnap_log_is_violation(rec);
	if (!violation && !rp->sha1_checked_elsewhere) {
		ret = rp->ops->digest(rp->ops->priv, IMASNAP_BANK_SHA1, v, nv,
				      sha1);
		if (ret) {
			replay_reject(rec, err, "sha1 is not available");
			return ret;
		}
		if (memcmp(sha1, rec->digest, sizeof(sha1)))
			return replay_reject(rec, err,
					     "template digest does not match the template data");
	}

	/*
	 * IMA keeps a record whose pcr= the TPM does not have (>= 24) in the
	 * list although the extend failed: it changes no PCR.  The log parser
	 * refuses such records (they are not bound); a record built by hand
	 * can still come here.
	 */
	if (rec->pcr >= IMASNAP_NR_PCRS) {
		rp->records++;
		rp->no_pcr++;
		return 0;
	}

	/* Compute every lane's new value first: an error changes nothing. */
	for (i = 0; i < rp->nr_lanes; i++) {
		const struct imasnap_lane *l = &rp->lane[i];
		u8 size = imasnap_bank_info(l->bank)->size;
		u8 *ext = in + size;

		copy_digest(in, l->pcr[rec->pcr], size);
		if (violation) {
			memset(ext, 0xff, size);
		} else if (l->bank == IMASNAP_BANK_SHA1 ||
			   l->rule == IMASNAP_RULE_PADDED_SHA1) {
			memcpy(ext, rp->sha1_checked_elsewhere ? rec->digest : sha1,
			       sizeof(sha1));
			memset(ext + sizeof(sha1), 0, size - sizeof(sha1));
		} else {
			ret = rp->ops->digest(rp->ops->priv, l->bank, v, nv, ext);
			if (ret)
				goto no_hash;
		}
		x.data = in;
		x.len = 2 * size;
		ret = rp->ops->digest(rp->ops->priv, l->bank, &x, 1, next[i]);
		if (ret)
			goto no_hash;
	}

	for (i = 0; i < rp->nr_lanes; i++) {
		struct imasnap_lane *l = &rp->lane[i];

		copy_digest(l->pcr[rec->pcr], next[i], imasnap_bank_info(l->bank)->size);
		l->touched |= 1U << rec->pcr;
	}
	rp->records++;
	if (violation)
		rp->violations++;
	return 0;

no_hash:
	replay_reject(rec, err, "the hash of a replayed bank is not available");
	return ret;
}

/**
 * imasnap_replay_padded_needed() - the padded-SHA-1 lanes a replay still needs
 * @rp:		a replay run under the template-hash rule (and maybe some padded lanes)
 * @miss:	banks whose lanes reach no target (the TPM's, a shard's end)
 *
 * A bank's two lanes part at the first record that is not a violation:
 * from then on they extend different values, so where the template-hash
 * lane reaches a state the padded one cannot (but by a SHA collision).
 * While every record was a violation they are the same lane: the padded
 * lane of every bank but SHA-1 that lacks one is added here as a copy.
 *
 * Return: the banks of @miss (SHA-1 and banks with a padded lane left out)
 * that need a replay of the same records under the padded rule.
 */
u32 imasnap_replay_padded_needed(struct imasnap_replay *rp, u32 miss)
{
	bool same = rp->records == rp->violations + rp->no_pcr;
	unsigned int i, n = rp->nr_lanes;
	u32 has = 0, want = 0;

	for (i = 0; i < n; i++)
		if (rp->lane[i].rule == IMASNAP_RULE_PADDED_SHA1)
			has |= 1U << rp->lane[i].bank;
	for (i = 0; i < n && rp->nr_lanes < IMASNAP_MAX_LANES; i++) {
		const struct imasnap_lane *l = &rp->lane[i];
		u32 bit = 1U << l->bank;

		if (l->bank == IMASNAP_BANK_SHA1 || l->rule != IMASNAP_RULE_NORMAL ||
		    (has & bit))
			continue;
		if (same) {
			rp->lane[rp->nr_lanes] = *l;
			rp->lane[rp->nr_lanes++].rule = IMASNAP_RULE_PADDED_SHA1;
		} else if (miss & bit) {
			want |= bit;
		}
	}
	return want;
}

/**
 * imasnap_replay_merge() - add the lanes of a replay of the same records
 * @rp:		the replay
 * @from:	lanes under other rules, replayed from the same start
 *
 * Return: 0; -EINVAL when a lane of @from is one @rp has, or they do not fit.
 */
int imasnap_replay_merge(struct imasnap_replay *rp, const struct imasnap_replay *from)
{
	unsigned int i, j;

	if (rp->nr_lanes + from->nr_lanes > IMASNAP_MAX_LANES)
		return -EINVAL;
	for (i = 0; i < from->nr_lanes; i++)
		for (j = 0; j < rp->nr_lanes; j++)
			if (rp->lane[j].bank == from->lane[i].bank &&
			    rp->lane[j].rule == from->lane[i].rule)
				return -EINVAL;
	for (i = 0; i < from->nr_lanes; i++)
		rp->lane[rp->nr_lanes++] = from->lane[i];
	return 0;
}

/* imasnap_replay_record() as an imasnap_log_fn; @rp is the replay. */
int imasnap_replay_fn(void *rp, const struct imasnap_log *log,
		      const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	(void)log;
	return imasnap_replay_record(rp, rec, err);
}

/**
 * imasnap_replay_buffer() - replay a whole log held in memory
 * @rp:		the replay
 * @log:	parser state, advanced past every record replayed
 * @buf:	the log
 * @len:	its length; a record crossing it is a truncated record
 * @err:	which record failed and why
 *
 * Return: 0, or the first error; @err says which record and why.
 */
int imasnap_replay_buffer(struct imasnap_replay *rp, struct imasnap_log *log,
			  const u8 *buf, size_t len, struct imasnap_err *err)
{
	struct imasnap_log_record rec;
	size_t pos = 0;
	int ret;

	while (pos < len) {
		ret = imasnap_log_next(log, buf + pos, len - pos, true, &rec, err);
		if (ret < 0)
			return ret;
		ret = imasnap_replay_record(rp, &rec, err);
		if (ret)
			return ret;
		pos += rec.size;
	}
	return 0;
}

/**
 * imasnap_replay_pick() - the lane of @bank that reaches @want
 * @rp:		a replay
 * @bank:	the bank
 * @want:	the values to reach (a TPM's PCRs)
 *
 * A lane reaches @want when every PCR it has a value for (touched or given
 * at start) equals @want's; IMA follows one rule per bank for a whole boot.
 * The template-hash rule is tried first.
 *
 * Return: the lane's index, or -ENOENT when no lane of @bank reaches @want.
 */
int imasnap_replay_pick(const struct imasnap_replay *rp, enum imasnap_bank bank,
			const struct imasnap_state *want)
{
	int rule, found = -ENOENT;
	unsigned int i;

	for (rule = IMASNAP_RULE_NORMAL; rule <= IMASNAP_RULE_PADDED_SHA1 && found < 0; rule++) {
		for (i = 0; i < rp->nr_lanes; i++) {
			const struct imasnap_lane *l = &rp->lane[i];

			if (l->bank == bank && (int)l->rule == rule &&
			    imasnap_lane_reaches(l, want))
				found = (int)i;
		}
	}
	return found;
}

bool imasnap_lane_reaches(const struct imasnap_lane *l, const struct imasnap_state *want)
{
	u8 size = imasnap_bank_info(l->bank)->size;
	u32 mask = l->touched | l->start_mask, p;

	for (p = 0; p < IMASNAP_NR_PCRS; p++)
		if ((mask & (1U << p)) && (!imasnap_state_has(want, l->bank, p) ||
					   memcmp(l->pcr[p], want->pcr[l->bank][p], size)))
			return false;
	return true;
}

/*
 * Which rules reach @want, bank by bank: IMA follows one for a whole boot,
 * so the shards of one boot must share one (the verifier's walk, snapshot
 * and collect ask).
 */
void imasnap_replay_rules(const struct imasnap_replay *rp, const struct imasnap_state *want,
			  u32 rules[IMASNAP_NR_BANKS])
{
	unsigned int i;

	memset(rules, 0, IMASNAP_NR_BANKS * sizeof(*rules));
	for (i = 0; i < rp->nr_lanes; i++)
		if (imasnap_lane_reaches(&rp->lane[i], want))
			rules[rp->lane[i].bank] |= 1U << rp->lane[i].rule;
}

/* The lane's PCRs that have a value (touched or given at start). */
void imasnap_replay_state(const struct imasnap_replay *rp, unsigned int lane,
			  struct imasnap_state *out)
{
	const struct imasnap_lane *l = &rp->lane[lane];
	u32 mask = l->touched | l->start_mask;
	u32 p;

	for (p = 0; p < IMASNAP_NR_PCRS; p++) {
		if (mask & (1U << p))
			imasnap_state_set(out, l->bank, p, l->pcr[p]);
	}
}
