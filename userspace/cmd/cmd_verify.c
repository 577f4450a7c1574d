// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap verify: the archive and the live log against the TPM's PCRs, or
 * against a quote signed by the AK.  chain.c walks the archive from a
 * trusted start (zero at cold boot, --from a checkpoint, or --anchored on
 * a quoted shard end) and live.c checks the live log record by record;
 * here the result is compared with the TPM, a PCR file or a quote
 * (signature, nonce, magic and type, PCR selection, pcrDigest, clock
 * counters).  The first failure is named (shard, record, bank).  Memory
 * does not grow with the log or the archive.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <json-c/json.h>

#include "cmd.h"

struct verify_opts {
	const char *quote;
	const char *ak;
	const char *nonce;
	const char *from;
	const char *save;
	u32 required;			/* --banks: the banks a verification must cover */
	const char *kernels;		/* --kernels FILE */
	bool anchored;
	bool require_attested;
	/* From the shared options. */
	const char *dir;
	const char *log;
	const char *pcrs;
	const char *tcti;
	unsigned int threads;
	bool json;
};

static int verify_opt(void *priv, int c, const char *arg)
{
	struct verify_opts *o = priv;

	switch (c) {
	case 'q': o->quote = arg; break;
	case 'k': o->ak = arg; break;
	case 'n': o->nonce = arg; break;
	case 'f': o->from = arg; break;
	case 's': o->save = arg; break;
	case 'a': o->anchored = true; break;
	case 'b': return imasnap_parse_banks(arg, &o->required);
	case 'r': o->require_attested = true; break;
	case 'K': o->kernels = arg; break;
	}
	return 0;
}

static const struct option verify_longopts[] = {
	{ "quote", required_argument, NULL, 'q' },
	{ "ak", required_argument, NULL, 'k' },
	{ "nonce", required_argument, NULL, 'n' },
	{ "from", required_argument, NULL, 'f' },
	{ "save-state", required_argument, NULL, 's' },
	{ "anchored", no_argument, NULL, 'a' },
	{ "banks", required_argument, NULL, 'b' },
	{ "require-attested", no_argument, NULL, 'r' },
	{ "kernels", required_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd verify_cmd = {
	.name = "verify",
	.usage =
	"Usage: imasnap verify --dir DIR [--log FILE] [--json]\n"
	"                      [--quote FILE --ak PEM --nonce HEX | --pcrs FILE | --tcti CONF]\n"
	"                      [--from STATE | --anchored] [--ak PEM] [--save-state STATE]\n"
	"                      [--banks LIST] [--require-attested] [--kernels FILE]\n"
	"                      [--threads N]\n"
	"  --dir DIR          the archive\n"
	"  --log FILE         the live IMA log (default " IMASNAP_LOG_DEFAULT ")\n"
	"  --quote FILE       a quote (imasnap quote) to verify against, signed by\n"
	"  --ak PEM           the attestation key (also checks shard trailer quotes), over\n"
	"  --nonce HEX        the verifier's nonce\n"
	"  --pcrs FILE        PCR values to verify against instead (no signature)\n"
	"  --tcti CONF        read the PCRs from this TPM (default: $TSS2_TCTI, tctildr's default)\n"
	"  --from STATE       start from a checkpoint an earlier verify saved (incremental)\n"
	"  --anchored         start from the oldest shard's end, attested by its trailer quote\n"
	"  --save-state STATE after success, save the newest shard as a checkpoint\n"
	"  --banks LIST       the banks the verification must cover (default sha256)\n"
	"  --require-attested refuse shards that are only linked: before a cold boot and\n"
	"                     after the last trailer quote the AK signed in their boot chain\n"
	"  --kernels FILE     every kexec must jump into a kernel image of this list\n"
	"                     (\"<sha256 hex> [name]\" lines, as sha256sum prints them)\n"
	"  --threads N        replay shard bodies on up to N threads (by default one per\n"
	"                     CPU)\n"
	"  --json             machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_LOG | CMD_PCRS | CMD_TCTI | CMD_JSON | CMD_THREADS,
	.need_dir = true,
	.own = verify_longopts,
	.opt = verify_opt,
};

/* What verify_main() works with: the chain, the replay, the PCRs to reach. */
struct verify {
	struct verify_opts o;
	struct imasnap_chain c;
	struct imasnap_checkpoint from;
	struct imasnap_replay rp;
	struct imasnap_state tpm_pcrs;	/* from the TPM or the PCR file; with a quote, scratch */
	struct imasnap_quote q;
	struct imasnap_evp *evp;
	struct imasnap_tpm2 *tpm;
	struct imasnap_kernels kernels;
	EVP_PKEY *ak;
	u32 banks;			/* the banks compared */
	u32 tpm_banks;			/* the banks the TPM (PCR file, quote) has */
	u32 boot_checked;		/* banks whose boot_aggregate was checked */
	u32 boot_unchecked;		/* ... that could not be, and why */
	const char *boot_why;
	int bad;			/* the first bank that does not reach the TPM, or -1 */
};

static int verify_parse(int argc, char **argv, struct verify_opts *o)
{
	const struct cmd *c = &verify_cmd;
	struct cmd_common co;
	int ret;

	o->required = 1U << IMASNAP_BANK_SHA256;
	ret = cmd_parse(c, argc, argv, &co, o);
	if (ret)
		return ret;
	o->dir = co.dir;
	o->log = co.log;
	o->pcrs = co.pcrs;
	o->tcti = co.tcti;
	o->json = co.json;
	o->threads = co.threads;
	ret = cmd_conflict(c, "--pcrs", o->pcrs, "--tcti", o->tcti);
	ret = ret ?: cmd_conflict(c, "--quote", o->quote, "--pcrs", o->pcrs);
	ret = ret ?: cmd_conflict(c, "--quote", o->quote, "--tcti", o->tcti);
	ret = ret ?: cmd_conflict(c, "--from", o->from, "--anchored", o->anchored);
	if (!ret && o->quote)
		ret = cmd_need(c, "--ak PEM", o->ak, "with --quote");
	if (!ret && o->quote)
		ret = cmd_need(c, "--nonce HEX", o->nonce, "with --quote");
	if (!ret && o->nonce)
		ret = cmd_need(c, "--quote FILE", o->quote, "with --nonce");
	if (!ret && o->anchored)
		ret = cmd_need(c, "--ak PEM", o->ak, "with --anchored");
	if (!ret && o->ak)
		ret = cmd_ak_outside(c, o->ak, o->dir);
	if (!ret && o->save && o->pcrs) {
		imasnap_errorf("verify: --save-state needs PCRs from the TPM or a signed quote, not a PCR file");
		ret = -EINVAL;
	}
	return ret;
}

/* The AK and the checkpoint, read; and the archive, walked. */
static int verify_archive(struct verify *v)
{
	struct imasnap_chain_opts co = {
		.dir = v->o.dir,
		.anchored = v->o.anchored,
		.save = v->o.save,
		.threads = v->o.threads,
		.live = v->o.log,
	};
	int ret;

	if (v->o.ak) {
		ret = imasnap_read_ak(v->o.ak, &v->ak);
		if (ret)
			return ret;
		co.ak = v->ak;
	}
	if (v->o.kernels) {
		ret = imasnap_kernels_read(v->o.kernels, &v->kernels);
		if (ret)
			return ret;
		co.kernels = &v->kernels;
	}
	if (v->o.from) {
		ret = imasnap_checkpoint_read(v->o.from, &v->from);
		if (ret)
			return imasnap_verify_fail(ret, "%s: %s", v->o.from, ret == -EBADMSG ?
						   "not an imasnap checkpoint" : strerror(-ret));
		co.from = &v->from;
	}
	return imasnap_chain_walk(&v->c, &co, v->evp);
}

#define VERIFY_TRIES	3

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
			     EVP_PKEY *ak, u32 *banks, const struct imasnap_chain *x)
{
	const TPMS_QUOTE_INFO *qi = &q->attest.attested.quote;
	const char *why;
	u8 nonce[64];
	size_t nlen = strlen(o->nonce);
	u32 i, need;
	int b, ret;

	if (nlen % 2 || nlen > 2 * sizeof(nonce) || nlen < 2 * IMASNAP_NONCE_MIN ||
	    imasnap_hex_decode(o->nonce, nlen, nonce))
		return imasnap_verify_fail(-EINVAL, "--nonce takes %u to 64 bytes in hex", IMASNAP_NONCE_MIN);
	ret = imasnap_quote_read(o->quote, q);
	if (ret)
		return ret;
	if (q->attest.magic != TPM2_GENERATED_VALUE)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the quote was not generated by a TPM (magic %#x)",
			    q->attest.magic);
	if (q->attest.type != TPM2_ST_ATTEST_QUOTE)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the attestation is not a quote (type %#x)",
			    q->attest.type);
	if (q->attest.extraData.size != nlen / 2 ||
	    memcmp(q->attest.extraData.buffer, nonce, nlen / 2))
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the quote is not over this nonce (an old quote?)");
	ret = imasnap_quote_check_signature(q, ak, &why);
	if (ret)
		return imasnap_verify_fail(ret, "the quote: %s", why);
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
			return imasnap_verify_fail(-IMASNAP_EVERIFY,
				    "the quote's PCR selection misses PCR 10 of the %s bank",
				    imasnap_bank_info(b)->name);
	if (!*banks)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the quote selects PCR 10 of no known bank");
	if (!q->attest.clockInfo.safe)
		imasnap_errorf("verify: warning: the quote's clock is not safe (it may have been rolled back)");
	return imasnap_chain_clock_check(x, &q->attest.clockInfo);
}

/*
 * The quote's pcrDigest from one lane per bank (@lane_of): the lanes' PCRs
 * as a state, digested as the TPM does.  -ENOENT: the selection names a
 * PCR the log does not account for.
 */
static int quote_digest(const struct imasnap_replay *rp, const struct imasnap_quote *q,
			const int lane_of[IMASNAP_NR_BANKS], struct imasnap_state *st, u8 out[32])
{
	u32 p;
	int b;

	imasnap_state_init(st);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (lane_of[b] >= 0)
			imasnap_replay_state(rp, (unsigned int)lane_of[b], st);
	/* PCRs 0-9 no log replays: the values the quote file carries (the digest binds them). */
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			if (imasnap_state_has(&q->values, b, p) && !imasnap_state_has(st, b, p))
				imasnap_state_set(st, b, p, q->values.pcr[b][p]);
	return imasnap_quote_state_digest(st, &q->attest.attested.quote.pcrSelect, out);
}

/* Does the replay give the quote's pcrDigest under one rule per bank? */
static int verify_quote_digest(const struct imasnap_replay *rp, const struct imasnap_quote *q,
			       struct imasnap_state *st)
{
	const TPMS_QUOTE_INFO *qi = &q->attest.attested.quote;
	int lanes[IMASNAP_NR_BANKS][2], lane_of[IMASNAP_NR_BANKS];
	unsigned int i, combo, nb = 0, which[IMASNAP_NR_BANKS];
	char got[17], want[17];
	u32 sel[IMASNAP_NR_BANKS], miss;
	u8 digest[32];
	int b;

	/*
	 * Every PCR the live log (or its start) accounts for must be quoted:
	 * a record for an unquoted PCR would be checked against nothing.
	 */
	imasnap_quote_masks(&qi->pcrSelect, sel);
	for (i = 0; i < rp->nr_lanes; i++) {
		const struct imasnap_lane *l = &rp->lane[i];

		miss = (l->touched | l->start_mask) & ~sel[l->bank];
		if (miss)
			return imasnap_verify_fail(-IMASNAP_EVERIFY,
				    "the quote does not select PCR %d of the %s bank, which the live log extends",
				    __builtin_ctz(miss), imasnap_bank_info(l->bank)->name);
	}
	/* A value the quote file carries is bound only when the quote selects its PCR. */
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		miss = q->values.pcr_mask[b] & ~sel[b];
		if (miss)
			return imasnap_verify_fail(-IMASNAP_EVERIFY,
				    "the quote file carries a value of %s PCR %d, which the quote does not select: the signature does not cover it",
				    imasnap_bank_info(b)->name, __builtin_ctz(miss));
	}

	if (qi->pcrDigest.size != 32)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "the quote's PCR digest is not SHA-256");
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		lanes[b][0] = lanes[b][1] = -1;
		lane_of[b] = -1;
	}
	for (i = 0; i < rp->nr_lanes; i++)
		lanes[rp->lane[i].bank][rp->lane[i].rule] = (int)i;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (lanes[b][0] >= 0)
			which[nb++] = (unsigned int)b;
	/*
	 * IMA follows one rule per bank: try every combination (at most 32)
	 * of the lanes there are (SHA-1 has one; a bank must never go without
	 * its lane, or the quote file's values would stand in for it).
	 */
	for (combo = 0; combo < (1U << nb); combo++) {
		bool all = true;

		for (i = 0; i < nb; i++) {
			lane_of[which[i]] = lanes[which[i]][(combo >> i) & 1];
			all = all && lane_of[which[i]] >= 0;
		}
		if (all && !quote_digest(rp, q, lane_of, st, digest) &&
		    !memcmp(digest, qi->pcrDigest.buffer, 32))
			return 0;
	}
	/* Expected vs got under the normal rule. */
	for (i = 0; i < nb; i++)
		lane_of[which[i]] = lanes[which[i]][0];
	if (quote_digest(rp, q, lane_of, st, digest))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log (%llu records) does not give the quote's PCR digest: the quote selects a PCR the log does not account for",
			    (unsigned long long)rp->records);
	imasnap_hex_encode(digest, 8, got);
	imasnap_hex_encode(qi->pcrDigest.buffer, 8, want);
	return imasnap_verify_fail(-IMASNAP_EVERIFY,
		    "the live log (%llu records) does not give the quote's PCR digest (replayed %s..., quoted %s...)",
		    (unsigned long long)rp->records, got, want);
}

/*
 * What the live log must reach: a quote, or the TPM's (or a PCR file's)
 * PCRs in every bank that OpenSSL can hash; the archive must vouch for no
 * other bank.
 */
static int verify_target(struct verify *v)
{
	const struct imasnap_chain *c = &v->c;
	struct cmd_common co = { .pcrs = v->o.pcrs, .tcti = v->o.tcti };
	u32 start_banks = imasnap_state_banks(&c->start);
	int ret, b;

	if (v->o.quote)
		ret = verify_quote_load(&v->o, &v->q, v->ak, &v->banks, c);
	else
		ret = cmd_pcr_source(&co, &v->tpm_pcrs, &v->tpm, &v->banks);
	if (ret)
		return ret;
	v->tpm_banks = v->banks;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if ((v->banks & (1U << b)) && !imasnap_evp_has(v->evp, b)) {
			imasnap_errorf("verify: OpenSSL has no %s: that bank is not checked",
				       imasnap_bank_info(b)->name);
			v->banks &= ~(1U << b);
		}
	if (!v->banks)
		return imasnap_verify_fail(-IMASNAP_EVERIFY, "no PCR bank to check");
	/* Which banks carry the proof is the verifier's choice, not the host's. */
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if ((v->o.required & ~v->banks) & (1U << b))
			return imasnap_verify_fail(-IMASNAP_EVERIFY,
				   "the %s bank is not checked: %s; this verification needs it (--banks)",
				   imasnap_bank_info(b)->name,
				   v->o.quote ? "the quote does not select its PCR 10" :
				   v->o.pcrs ? "the PCR file has no value in it" :
				   "the TPM (or OpenSSL) has no such bank");
	if ((start_banks && start_banks != v->banks) || (c->banks & ~v->banks))
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
					   "the archive vouches for other PCR banks than the TPM has");
	return 0;
}

/* Name a record the log parser or the live check found malformed. */
static int verify_malformed(const struct verify *v, const struct imasnap_err *err)
{
	return imasnap_verify_fail(-EBADMSG, "live log %s: record %llu at offset %llu: %s",
				   v->o.log, (unsigned long long)err->index,
				   (unsigned long long)err->offset, err->reason);
}

/* Read the live log from where the last read ended, record by record. */
static int verify_live_read(struct verify *v, struct imasnap_logfile *lf)
{
	struct imasnap_log_record rec;
	struct imasnap_err err;
	int more, ret;

	while ((more = imasnap_logfile_next(lf, &rec, &err)) > 0) {
		ret = imasnap_chain_live_record(&v->c, &lf->log, &rec, &v->rp, &err);
		if (ret == -EBADMSG)
			return verify_malformed(v, &err);
		if (ret)
			return ret;
	}
	if (more == -EBADMSG)
		return verify_malformed(v, &err);
	if (more)
		return imasnap_verify_fail(more, "live log %s: %s", v->o.log, strerror(-more));
	return 0;
}

/*
 * The live log, streamed, from the state the archive vouches for; against
 * the TPM, read again while records arrive as its PCRs are read (bounded).
 */
static int verify_live(struct verify *v)
{
	struct imasnap_logfile lf;
	unsigned int i;
	u32 touched;
	int try, ret;

	imasnap_replay_init(&v->rp, imasnap_evp_ops(v->evp));
	imasnap_replay_add_banks(&v->rp, v->banks);
	imasnap_replay_start(&v->rp, &v->c.start);
	/* The walk compared the live log with this boot's shards: on after them. */
	ret = imasnap_chain_live_resume(&v->c, &v->rp, &lf);
	if (ret < 0)
		return ret;
	ret = ret ? 0 : imasnap_logfile_open(&lf, v->o.log, IMASNAP_ORDER_AUTO);
	if (ret)
		return imasnap_verify_fail(ret, "%s: %s", v->o.log, lf.why);
	v->bad = -1;
	for (try = 0; try < VERIFY_TRIES; try++) {
		ret = verify_live_read(v, &lf);
		if (ret || v->o.quote)
			break;
		touched = 0;
		for (i = 0; i < v->rp.nr_lanes; i++)
			touched |= v->rp.lane[i].touched | v->rp.lane[i].start_mask;
		if (v->tpm) {
			ret = imasnap_tpm2_read_pcrs(v->tpm, v->banks, touched, &v->tpm_pcrs);
			if (ret)
				break;
		}
		v->bad = verify_live_banks(&v->rp, v->banks, &v->tpm_pcrs);
		/* Records measured while the PCRs were read: read on, check again. */
		if (v->bad < 0 || v->o.pcrs)
			break;
		lf.eof = false;
	}
	imasnap_logfile_close(&lf);
	if (!ret)
		ret = imasnap_chain_live_end(&v->c);
	return ret;
}

/* The replay against what it must reach: the quote's digest, or the PCRs. */
static int verify_compare(struct verify *v)
{
	char diff[160];

	if (v->o.quote)
		return verify_quote_digest(&v->rp, &v->q, &v->tpm_pcrs);
	if (v->bad < 0)
		return 0;
	imasnap_chain_diff(&v->rp, v->bad, &v->tpm_pcrs, v->o.pcrs ? "the PCR file" : "the TPM",
			   false, diff, sizeof(diff));
	return imasnap_verify_fail(-IMASNAP_EVERIFY,
		   "the live log (%llu records) does not replay to the TPM's %s PCRs from %s%s",
		   (unsigned long long)v->rp.records, imasnap_bank_info(v->bad)->name,
		   v->c.have_newest ? "the state the archive vouches for" : "zero", diff);
}

/*
 * Each boot_aggregate since the last cold boot against PCRs 0-9 of its
 * bank: read from the TPM, or the PCR file's (which may not have them:
 * then not checked, and said so), or with a quote the state whose digest
 * verify_quote_digest() found signed (v->tpm_pcrs: a PCR a lane has a
 * value for takes the lane's, so a quote file's value for it, which the
 * signature does not cover, decides nothing).  A zero boot_aggregate says
 * IMA found no such bank: true only when the TPM has none.
 */
static int verify_boot_aggregates(struct verify *v)
{
	struct imasnap_chain *c = &v->c;
	u8 want[IMASNAP_MAX_DIGEST_SIZE];
	char got_hex[17], want_hex[17];
	int b, ret;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		const struct imasnap_chain_boot *ba = &c->boot[b];
		const char *name = imasnap_bank_info(b)->name;
		u32 need = imasnap_boot_aggregate_pcrs(b);

		if (!ba->set)
			continue;
		if (v->tpm && (v->tpm_banks & (1U << b))) {
			ret = imasnap_tpm2_read_pcrs(v->tpm, 1U << b, need, &v->tpm_pcrs);
			if (ret)
				return ret;
		}
		if (ba->zero && !(v->tpm_banks & (1U << b)))
			continue;	/* IMA found no such bank, and there is none */
		if (v->o.quote && !(v->tpm_banks & (1U << b))) {
			v->boot_unchecked |= 1U << b;
			v->boot_why = "the quote does not select that bank (--banks let it)";
			continue;
		}
		ret = imasnap_boot_aggregate_expect(v->evp, b, &v->tpm_pcrs, want);
		if (ret == -ENOENT && v->o.quote)
			return imasnap_verify_fail(-IMASNAP_EVERIFY,
				   "the quote carries no %s PCRs 0-%d, which the boot_aggregate digests (a quote by imasnap quote without --pcrs does)",
				   name, b == IMASNAP_BANK_SHA1 ? 7 : 9);
		if (ret == -ENOENT && v->o.pcrs && !ba->zero) {
			v->boot_unchecked |= 1U << b;
			v->boot_why = v->tpm_pcrs.pcr_mask[b] ? "the PCR file lacks some of that bank's PCRs 0-9" :
				      "the PCR file has no value of that bank";
			continue;
		}
		if (ret && ret != -ENOENT)
			return ret;
		if (!ret && !ba->zero && !memcmp(want, ba->digest, imasnap_bank_info(b)->size)) {
			v->boot_checked |= 1U << b;
			continue;
		}
		imasnap_hex_encode(ba->digest, 8, got_hex);
		if (!ret)
			imasnap_hex_encode(want, 8, want_hex);
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			   "the %s boot_aggregate (%s...) is not %s PCRs 0-%d (%s%s): what the firmware and boot loader measured is not what the log says",
			   name, got_hex, v->o.quote ? "the quote's" : v->o.pcrs ? "the PCR file's" : "the TPM's",
			   b == IMASNAP_BANK_SHA1 ? 7 : 9, ret ? "missing" : want_hex, ret ? "" : "...");
	}
	return 0;
}

/* With --require-attested, a shard only linked by digests is a failure. */
static int verify_attested(const struct verify *v)
{
	const struct imasnap_chain *c = &v->c;

	if (!v->o.require_attested || !c->linked)
		return 0;
	return imasnap_verify_fail(-IMASNAP_EVERIFY,
		   "shards %llu..%llu are only linked, not attested: a cold boot came after them and no trailer quote the AK signed covers them (--require-attested)",
		   (unsigned long long)c->linked_first, (unsigned long long)c->linked_last);
}

static int verify_save(const struct verify *v)
{
	int ret;

	if (!v->c.have_newest)
		return imasnap_verify_fail(-IMASNAP_ESTATE,
					   "--save-state: the archive holds no shard to keep");
	ret = imasnap_checkpoint_write(v->o.save, &v->c.newest);
	if (ret)
		return imasnap_verify_fail(ret, "%s: %s", v->o.save, strerror(-ret));
	return 0;
}

/* "sha256" or "sha1, sha256": the banks of @mask. */
static const char *bank_names(u32 mask, char *buf, size_t size)
{
	size_t n = 0;
	int b;

	buf[0] = 0;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (mask & (1U << b))
			n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
					      n ? ", " : "", imasnap_bank_info(b)->name);
	return buf;
}

/* What the boot_aggregates since the last cold boot were checked against. */
static const char *boot_result(const struct verify *v)
{
	if (v->boot_unchecked)
		return "unchecked";
	return v->boot_checked ? "checked" : "none";
}

/* Every kexec walked: the kernel image the old kernel measured before the jump. */
static void verify_report_hops(const struct verify *v, json_object *j)
{
	json_object *a = j ? json_object_new_array() : NULL;
	char hex[2 * IMASNAP_MAX_DIGEST_SIZE + 1];
	u64 i;

	for (i = 0; i < v->c.nr_hops; i++) {
		const struct imasnap_chain_hop *h = &v->c.hops[i];
		const struct imasnap_chain_kernel *k = &h->kernel;
		json_object *e;

		if (k->found)
			imasnap_hex_encode(k->digest, imasnap_bank_info(k->bank)->size, hex);
		if (!j) {
			if (k->found)
				printf("kexec at shard %llu: into %s (%s:%.16s...)%s\n",
				       (unsigned long long)h->tail, k->name,
				       imasnap_bank_info(k->bank)->name, hex,
				       k->allowed ? ", on the --kernels list" : "");
			else
				printf("kexec at shard %llu: into a kernel image no record of the old boot names (measure func=KEXEC_KERNEL_CHECK)\n",
				       (unsigned long long)h->tail);
			continue;
		}
		e = json_object_new_object();
		json_object_object_add(e, "tail", json_object_new_int64((int64_t)h->tail));
		if (k->found) {
			json_object_object_add(e, "kernel", json_object_new_string(k->name));
			json_object_object_add(e, "bank",
					       json_object_new_string(imasnap_bank_info(k->bank)->name));
			json_object_object_add(e, "digest", json_object_new_string(hex));
		}
		json_object_object_add(e, "allowed", json_object_new_boolean(k->allowed));
		json_object_array_add(a, e);
	}
	if (j)
		json_object_object_add(j, "kexec_hops", a);
}

static void verify_report_boot(const struct verify *v)
{
	char names[64];

	const char *pcrs = v->boot_checked == (1U << IMASNAP_BANK_SHA1) ? "0-7" : "0-9";
	const char *whose = v->o.quote ? "the quote's" : v->o.pcrs ? "the PCR file's" : "the TPM's";

	/* From a trusted start mid-boot, the boots walked may all be seen before. */
	if (v->boot_checked && v->c.boots)
		printf("boot_aggregate: %s, of %llu boot%s since the last cold boot, matches %s PCRs %s\n",
		       bank_names(v->boot_checked, names, sizeof(names)),
		       (unsigned long long)v->c.boots, v->c.boots == 1 ? "" : "s", whose, pcrs);
	else if (v->boot_checked)
		printf("boot_aggregate: %s matches %s PCRs %s\n",
		       bank_names(v->boot_checked, names, sizeof(names)), whose, pcrs);
	if (v->boot_unchecked)
		printf("boot_aggregate: %s NOT checked: %s\n",
		       bank_names(v->boot_unchecked, names, sizeof(names)), v->boot_why);
}

static void verify_report(const struct verify *v)
{
	const struct verify_opts *o = &v->o;
	const struct imasnap_chain *c = &v->c;
	const struct imasnap_replay *rp = &v->rp;
	char from[96] = "", past[96] = "";

	if (o->from)
		snprintf(from, sizeof(from), ", from the checkpoint at shard %llu",
			 (unsigned long long)(c->first - 1));
	else if (o->anchored)
		snprintf(from, sizeof(from), ", anchored on the quoted end of shard %llu",
			 (unsigned long long)c->first);
	if (c->skip && c->unverified)
		snprintf(past, sizeof(past), " (%llu past shard %llu; the %llu up to its end NOT verified)",
			 (unsigned long long)rp->records, (unsigned long long)c->skip_seq,
			 (unsigned long long)c->unverified);
	else if (c->skip)
		snprintf(past, sizeof(past), " (%llu past shard %llu)",
			 (unsigned long long)rp->records, (unsigned long long)c->skip_seq);
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "verified", json_object_new_boolean(1));
		json_object_object_add(j, "shards", json_object_new_int64((int64_t)c->count));
		json_object_object_add(j, "first_shard", json_object_new_int64((int64_t)c->first));
		json_object_object_add(j, "mode", json_object_new_string(o->from ? "incremental" :
					o->anchored ? "anchored" : "full"));
		json_object_object_add(j, "trailer_quotes", json_object_new_int64((int64_t)c->quoted));
		json_object_object_add(j, "live_records",
				       json_object_new_int64((int64_t)c->live_records));
		json_object_object_add(j, "replayed_records",
				       json_object_new_int64((int64_t)rp->records));
		json_object_object_add(j, "unverified_records",
				       json_object_new_int64((int64_t)c->unverified));
		json_object_object_add(j, "after_kexec", json_object_new_boolean(c->need_aggregate));
		json_object_object_add(j, "quoted", json_object_new_boolean(!!o->quote));
		json_object_object_add(j, "attested_shards", json_object_new_int64((int64_t)c->attested));
		json_object_object_add(j, "linked_shards", json_object_new_int64((int64_t)c->linked));
		if (c->linked) {
			json_object_object_add(j, "linked_first",
					       json_object_new_int64((int64_t)c->linked_first));
			json_object_object_add(j, "linked_last",
					       json_object_new_int64((int64_t)c->linked_last));
		}
		json_object_object_add(j, "boot_aggregate", json_object_new_string(boot_result(v)));
		json_object_object_add(j, "boots", json_object_new_int64((int64_t)c->boots));
		verify_report_hops(v, j);
		cmd_json_print(j);
		return;
	}
	printf("verified: %llu shard%s, live log of %llu records%s%s%s%s\n",
	       (unsigned long long)c->count, c->count == 1 ? "" : "s",
	       (unsigned long long)c->live_records, past, from,
	       c->need_aggregate ? ", re-seeded by snapshot_aggregate after kexec" : "",
	       o->quote ? ", quoted by the AK" : "");
	if (c->quoted)
		printf("trailer quotes: %llu shard%s, %s\n", (unsigned long long)c->quoted,
		       c->quoted == 1 ? "" : "s",
		       c->signed_quotes == c->quoted ? "signatures checked with the AK" :
		       "signatures NOT checked (no --ak)");
	verify_report_boot(v);
	verify_report_hops(v, NULL);
	if (c->linked)
		printf("only linked: shards %llu..%llu (%llu of %llu): a cold boot came after them and no trailer quote the AK signed covers them\n",
		       (unsigned long long)c->linked_first, (unsigned long long)c->linked_last,
		       (unsigned long long)c->linked, (unsigned long long)c->count);
}

int verify_main(int argc, char **argv)
{
	struct verify *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	ret = verify_parse(argc, argv, &v->o);
	if (ret)
		goto out;
	imasnap_chain_init(&v->c);
	v->evp = imasnap_evp_new();
	ret = v->evp ? verify_archive(v) : -ENOMEM;
	if (!ret)
		ret = verify_target(v);
	if (!ret)
		ret = verify_live(v);
	if (!ret)
		ret = verify_compare(v);
	if (!ret)
		ret = verify_boot_aggregates(v);
	if (!ret)
		ret = verify_attested(v);
	if (!ret && v->o.save)
		ret = verify_save(v);
	if (!ret)
		verify_report(v);
	imasnap_chain_free(&v->c);
out:
	imasnap_tpm2_close(v->tpm);
	imasnap_evp_free(v->evp);
	imasnap_kernels_free(&v->kernels);
	EVP_PKEY_free(v->ak);
	free(v);
	return ret < 0 ? ret : 0;
}
