// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap verify: the archive and the live log against the TPM's PCRs, or
 * against a quote signed by the AK.  chain.c walks the archive from a
 * trusted start (zero at cold boot, --from a checkpoint, or --anchored on
 * a quoted shard end) and checks the live log record by record; here the
 * result is compared with the TPM, a PCR file or a quote (signature,
 * nonce, magic and type, PCR selection, pcrDigest, clock counters).
 * The first failure is named (shard, record, bank).  Memory does not grow
 * with the log or the archive.
 */
#include <getopt.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <json-c/json.h>

#include "archive.h"
#include "chain.h"

struct verify_opts {
	const char *dir;
	const char *log;
	const char *pcrs;
	const char *tcti;
	const char *quote;
	const char *ak;
	const char *nonce;
	const char *from;
	const char *save;
	bool anchored;
	bool json;
};

static int verify_usage(FILE *f, int ret)
{
	fprintf(f,
		"Usage: imasnap verify --dir DIR [--log FILE] [--json]\n"
		"                      [--quote FILE --ak PEM --nonce HEX | --pcrs FILE | --tcti CONF]\n"
		"                      [--from STATE | --anchored] [--ak PEM] [--save-state STATE]\n"
		"  --dir DIR          the archive\n"
		"  --log FILE         the live IMA log (default %s)\n"
		"  --quote FILE       a quote (imasnap quote) to verify against, signed by\n"
		"  --ak PEM           the attestation key (also checks shard trailer quotes), over\n"
		"  --nonce HEX        the verifier's nonce\n"
		"  --pcrs FILE        PCR values to verify against instead (no signature)\n"
		"  --tcti CONF        read the PCRs from this TPM (default: $TSS2_TCTI, tctildr's default)\n"
		"  --from STATE       start from a checkpoint an earlier verify saved (incremental)\n"
		"  --anchored         start from the oldest shard's end, attested by its trailer quote\n"
		"  --save-state STATE after success, save the newest shard as a checkpoint\n"
		"  --json             machine-readable result on stdout\n",
		IMASNAP_IMA_LOG);
	return ret;
}

static int verify_parse(int argc, char **argv, struct verify_opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "tcti", required_argument, NULL, 't' },
		{ "quote", required_argument, NULL, 'q' },
		{ "ak", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'f' },
		{ "save-state", required_argument, NULL, 's' },
		{ "anchored", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->log = IMASNAP_IMA_LOG;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'l': o->log = optarg; break;
		case 'p': o->pcrs = optarg; break;
		case 't': o->tcti = optarg; break;
		case 'q': o->quote = optarg; break;
		case 'k': o->ak = optarg; break;
		case 'n': o->nonce = optarg; break;
		case 'f': o->from = optarg; break;
		case 's': o->save = optarg; break;
		case 'a': o->anchored = true; break;
		case 'j': o->json = true; break;
		case 'h': return verify_usage(stdout, -1);
		default: return verify_usage(stderr, IMASNAP_EXIT_USAGE);
		}
	}
	if (!o->dir || optind != argc || (o->pcrs && o->tcti) ||
	    (o->quote && (o->pcrs || o->tcti || !o->ak || !o->nonce)) ||
	    (!o->quote && o->nonce) || (o->anchored && (!o->ak || o->from)))
		return verify_usage(stderr, IMASNAP_EXIT_USAGE);
	if (o->save && o->pcrs) {
		imasnap_errorf("verify: --save-state needs PCRs from the TPM or a signed quote, not a PCR file");
		return IMASNAP_EXIT_USAGE;
	}
	return 0;
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
		return imasnap_verify_fail(IMASNAP_EXIT_USAGE, "--nonce takes %u to 64 bytes in hex", IMASNAP_NONCE_MIN);
	ret = imasnap_quote_read(o->quote, q);
	if (ret)
		return ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_IO;
	if (q->attest.magic != TPM2_GENERATED_VALUE)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the quote was not generated by a TPM (magic %#x)",
			    q->attest.magic);
	if (q->attest.type != TPM2_ST_ATTEST_QUOTE)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the attestation is not a quote (type %#x)",
			    q->attest.type);
	if (q->attest.extraData.size != nlen / 2 ||
	    memcmp(q->attest.extraData.buffer, nonce, nlen / 2))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the quote is not over this nonce (an old quote?)");
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
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "the quote's PCR selection misses PCR 10 of the %s bank",
				    imasnap_bank_info(b)->name);
	if (!*banks)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the quote selects PCR 10 of no known bank");
	if (!q->attest.clockInfo.safe)
		imasnap_errorf("verify: warning: the quote's clock is not safe (it may have been rolled back)");
	return imasnap_chain_clock_check(x, &q->attest.clockInfo);
}

/*
 * The quote's pcrDigest from one lane per bank (@lane_of): the lanes' PCRs
 * as a state, digested as the TPM does.  -ENOENT: the selection names a
 * PCR the log does not account for.
 */
static int quote_digest(const struct imasnap_replay *rp, const TPML_PCR_SELECTION *sel,
			const int lane_of[IMASNAP_NR_BANKS], struct imasnap_state *st, u8 out[32])
{
	int b;

	imasnap_state_init(st);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (lane_of[b] >= 0)
			imasnap_replay_state(rp, (unsigned int)lane_of[b], st);
	return imasnap_quote_state_digest(st, sel, out);
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
			return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
				    "the quote does not select PCR %d of the %s bank, which the live log extends",
				    __builtin_ctz(miss), imasnap_bank_info(l->bank)->name);
	}

	if (qi->pcrDigest.size != 32)
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "the quote's PCR digest is not SHA-256");
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
		if (!quote_digest(rp, &qi->pcrSelect, lane_of, st, digest) &&
		    !memcmp(digest, qi->pcrDigest.buffer, 32))
			return 0;
	}
	/* Expected vs got under the normal rule. */
	for (i = 0; i < nb; i++)
		lane_of[which[i]] = lanes[which[i]][0];
	if (quote_digest(rp, &qi->pcrSelect, lane_of, st, digest))
		return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			    "the live log (%llu records) does not give the quote's PCR digest: the quote selects a PCR the log does not account for",
			    (unsigned long long)rp->records);
	imasnap_hex_encode(digest, 8, got);
	imasnap_hex_encode(qi->pcrDigest.buffer, 8, want);
	return imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
		    "the live log (%llu records) does not give the quote's PCR digest (replayed %s..., quoted %s...)",
		    (unsigned long long)rp->records, got, want);
}

/* The live log, streamed, from the state the archive vouches for. */
static int verify_live(const struct verify_opts *o, struct imasnap_chain *c,
		       struct imasnap_replay *rp, struct imasnap_tpm2 *tpm, u32 banks,
		       struct imasnap_state *tpm_pcrs, int *bad)
{
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	u32 touched;
	unsigned int i;
	int try, ret;

	ret = imasnap_logfile_open(&lf, o->log, IMASNAP_ORDER_AUTO);
	if (ret)
		return imasnap_verify_fail(IMASNAP_EXIT_IO, "%s: %s", o->log, strerror(-ret));
	*bad = -1;
	for (try = 0; try < VERIFY_TRIES; try++) {
		while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
			ret = imasnap_chain_live_record(c, &lf.log, &rec, rp, &err);
			if (ret)
				break;
		}
		if (ret == -EBADMSG) {
			ret = imasnap_verify_fail(IMASNAP_EXIT_MALFORMED, "live log %s: record %llu at offset %llu: %s",
				   o->log, (unsigned long long)err.index,
				   (unsigned long long)err.offset, err.reason);
			break;
		}
		if (ret < 0) {
			ret = imasnap_verify_fail(ret == -EOPNOTSUPP ? IMASNAP_EXIT_FAILURE : IMASNAP_EXIT_IO,
				   "live log %s: %s", o->log, strerror(-ret));
			break;
		}
		if (ret || o->quote)
			break;
		touched = 0;
		for (i = 0; i < rp->nr_lanes; i++)
			touched |= rp->lane[i].touched | rp->lane[i].start_mask;
		if (tpm && imasnap_tpm2_read_pcrs(tpm, banks, touched, tpm_pcrs)) {
			ret = IMASNAP_EXIT_FAILURE;
			break;
		}
		*bad = verify_live_banks(rp, banks, tpm_pcrs);
		/* Records measured while the PCRs were read: read on, check again. */
		if (*bad < 0 || o->pcrs)
			break;
		lf.eof = false;
	}
	imasnap_logfile_close(&lf);
	return ret;
}

static void verify_report(const struct verify_opts *o, const struct imasnap_chain *c,
			  const struct imasnap_replay *rp)
{
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
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
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
}

int verify_main(int argc, char **argv)
{
	struct imasnap_chain *c = calloc(1, sizeof(*c));
	struct imasnap_checkpoint *from = NULL;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_state *tpm_pcrs = calloc(1, sizeof(*tpm_pcrs));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	struct imasnap_chain_opts co = { 0 };
	struct imasnap_tpm2 *tpm = NULL;
	struct verify_opts o;
	EVP_PKEY *ak = NULL;
	u32 banks = 0;
	int ret, b, bad = -1;

	ret = verify_parse(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? IMASNAP_EXIT_OK : ret;
		goto out;
	}
	if (!c || !rp || !tpm_pcrs || !evp || !q) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	imasnap_chain_init(c);
	co.dir = o.dir;
	co.anchored = o.anchored;
	co.save = o.save;
	if (o.ak) {
		ak = imasnap_read_ak(o.ak);
		if (!ak) {
			ret = IMASNAP_EXIT_IO;
			goto out;
		}
		co.ak = ak;
	}
	if (o.from) {
		from = calloc(1, sizeof(*from));
		ret = from ? imasnap_checkpoint_read(o.from, from) : -ENOMEM;
		if (ret) {
			ret = imasnap_verify_fail(ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_IO, "%s: %s",
				   o.from, ret == -EBADMSG ? "not an imasnap checkpoint" : strerror(-ret));
			goto out;
		}
		co.from = from;
	}
	ret = imasnap_chain_walk(c, &co, evp);
	if (ret)
		goto out;

	/* The PCRs to reach. */
	if (o.quote)
		ret = verify_quote_load(&o, q, ak, &banks, c);
	else
		ret = archive_pcr_source(o.pcrs, o.tcti, tpm_pcrs, &tpm, &banks);
	if (ret)
		goto out;

	/* Every bank the TPM has (and OpenSSL can hash) is checked. */
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if ((banks & (1U << b)) && !imasnap_evp_has(evp, b)) {
			imasnap_errorf("verify: OpenSSL has no %s: that bank is not checked",
				       imasnap_bank_info(b)->name);
			banks &= ~(1U << b);
		}
	if (!banks) {
		ret = imasnap_verify_fail(IMASNAP_EXIT_MISMATCH, "no PCR bank to check");
		goto out;
	}
	if ((imasnap_state_banks(&c->start) && imasnap_state_banks(&c->start) != banks) ||
	    (c->banks & ~banks)) {
		ret = imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			   "the archive vouches for other PCR banks than the TPM has");
		goto out;
	}

	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	imasnap_replay_add_banks(rp, banks);
	imasnap_replay_start(rp, &c->start);
	ret = verify_live(&o, c, rp, tpm, banks, tpm_pcrs, &bad);
	if (!ret)
		ret = imasnap_chain_live_end(c);
	if (!ret && o.quote)
		ret = verify_quote_digest(rp, q, tpm_pcrs);	/* a quote reads no TPM: scratch */
	if (ret)
		goto out;
	if (bad >= 0) {
		char diff[160];

		imasnap_chain_diff(rp, bad, tpm_pcrs, o.pcrs ? "the PCR file" : "the TPM", false,
				   diff, sizeof(diff));
		ret = imasnap_verify_fail(IMASNAP_EXIT_MISMATCH,
			   "the live log (%llu records) does not replay to the TPM's %s PCRs from %s%s",
			   (unsigned long long)rp->records, imasnap_bank_info(bad)->name,
			   c->have_newest ? "the state the archive vouches for" : "zero", diff);
		goto out;
	}
	if (o.save) {
		if (!c->have_newest) {
			ret = imasnap_verify_fail(IMASNAP_EXIT_USAGE, "--save-state: the archive holds no shard to keep");
			goto out;
		}
		ret = imasnap_checkpoint_write(o.save, &c->newest);
		if (ret) {
			ret = imasnap_verify_fail(IMASNAP_EXIT_IO, "%s: %s", o.save, strerror(-ret));
			goto out;
		}
	}
	verify_report(&o, c, rp);
	ret = IMASNAP_EXIT_OK;
out:
	if (c)
		imasnap_chain_free(c);
	imasnap_tpm2_close(tpm);
	imasnap_evp_free(evp);
	EVP_PKEY_free(ak);
	free(from);
	free(q);
	free(c);
	free(rp);
	free(tpm_pcrs);
	return ret;
}
