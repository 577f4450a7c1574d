// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap replay: replay an IMA binary log into PCR values for every bank,
 * from zero or from a given start state, and compare them with the TPM's.
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "cmd.h"

#define DEFAULT_BANKS ((1U << IMASNAP_BANK_SHA1) | (1U << IMASNAP_BANK_SHA256))

struct replay_opts {
	const char *log;
	const char *start;
	const char *pcrs;
	u32 banks;
	u32 padded;
	enum imasnap_order_opt order;
	unsigned int threads;
	bool json;
};

/*
 * Per bank: the lane to print and, with --pcrs, the padded-SHA-1 lane tried
 * (in a second pass over the same records) when the template-hash lane does
 * not match the TPM.
 */
struct bank_result {
	int lane;	/* lane index or -1: bank not replayed */
	int alt;	/* lane index or -1 */
	u32 compared;
	u32 mismatch;
};

static const char *rule_name(enum imasnap_rule rule)
{
	return rule == IMASNAP_RULE_PADDED_SHA1 ? "padded-sha1" : "template-hash";
}

static int replay_opt(void *priv, int c, const char *arg)
{
	struct replay_opts *o = priv;

	switch (c) {
	case 's':
		o->start = arg;
		break;
	case 'b':
		return imasnap_parse_banks(arg, &o->banks);
	case 'P':
		return imasnap_parse_banks(arg, &o->padded);
	case 'o':
		if (imasnap_parse_order(arg, &o->order)) {
			imasnap_errorf("--order takes auto, le or be");
			return -EINVAL;
		}
		break;
	}
	return 0;
}

static const struct option replay_longopts[] = {
	{ "start", required_argument, NULL, 's' },
	{ "banks", required_argument, NULL, 'b' },
	{ "padded-sha1", required_argument, NULL, 'P' },
	{ "order", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd replay_cmd = {
	.name = "replay",
	.usage =
	"Usage: imasnap replay --log FILE [--start FILE] [--pcrs FILE]\n"
	"                      [--banks LIST] [--padded-sha1 LIST]\n"
	"                      [--order auto|le|be] [--threads N] [--json]\n"
	"\n"
	"  --log FILE          binary_runtime_measurements to replay\n"
	"  --start FILE        start state, lines \"<alg> <pcr> <hex>\" (default: zeros)\n"
	"  --pcrs FILE         TPM PCR values, same format: compare and print match/MISMATCH\n"
	"  --banks LIST        banks to print without --pcrs (default sha1,sha256)\n"
	"  --padded-sha1 LIST  banks IMA extended with the zero-padded SHA-1 digest\n"
	"  --order ORDER       byte order of the log (default auto)\n"
	"  --threads N         hash the banks on up to N threads (by default one per CPU)\n"
	"  --json              machine-readable output on stdout\n",
	.common = CMD_LOG | CMD_PCRS | CMD_JSON | CMD_THREADS,
	.own = replay_longopts,
	.opt = replay_opt,
};

static int replay_parse(int argc, char **argv, struct replay_opts *o)
{
	struct cmd_common co;
	int ret;

	memset(o, 0, sizeof(*o));
	ret = cmd_parse(&replay_cmd, argc, argv, &co, o);
	if (ret)
		return ret;
	o->log = co.log_given ? co.log : NULL;
	o->pcrs = co.pcrs;
	o->json = co.json;
	o->threads = co.threads;
	if (!o->log)
		return cmd_usage_error(&replay_cmd, "--log FILE is required");
	if (o->pcrs && (o->banks || o->padded))
		return cmd_usage_error(&replay_cmd,
				       "--pcrs decides the banks and rules; drop --banks/--padded-sha1");
	return 0;
}

/* Decide per bank which rule the TPM agrees with: IMA uses one per bank. */
static void compare(const struct imasnap_replay *rp, struct bank_result *res,
		    const struct imasnap_state *tpm)
{
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		struct bank_result *r = &res[b];
		u8 size = imasnap_bank_info(b)->size;
		u32 miss = 0, miss_alt = 0, p;

		if (r->lane < 0)
			continue;
		r->compared = tpm->pcr_mask[b] & rp->lane[r->lane].touched;
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!(r->compared & (1U << p)))
				continue;
			if (memcmp(rp->lane[r->lane].pcr[p], tpm->pcr[b][p], size))
				miss |= 1U << p;
			if (r->alt < 0 ||
			    memcmp(rp->lane[r->alt].pcr[p], tpm->pcr[b][p], size))
				miss_alt |= 1U << p;
		}
		r->mismatch = miss;
		if (miss && r->alt >= 0 &&
		    __builtin_popcount(miss_alt) < __builtin_popcount(miss)) {
			r->lane = r->alt;
			r->mismatch = miss_alt;
		}
	}
}

/* One PCR of the result: a JSON entry into @arr, or a line. */
static void emit_pcr(json_object *arr, int b, u32 p, const char *rule, const u8 *value,
		     const u8 *tpm_value, bool ok)
{
	char hex[2 * IMASNAP_MAX_DIGEST_SIZE + 1], thex[sizeof(hex)];
	const char *name = imasnap_bank_info(b)->name;
	u8 size = imasnap_bank_info(b)->size;
	json_object *e;

	imasnap_hex_encode(value, size, hex);
	if (tpm_value)
		imasnap_hex_encode(tpm_value, size, thex);
	if (!arr) {
		if (!tpm_value)
			printf("%s %u %s\n", name, p, hex);
		else if (ok)
			printf("%s %u match %s\n", name, p, rule);
		else
			printf("%s %u MISMATCH %s replay=%s tpm=%s\n", name, p, rule, hex, thex);
		return;
	}
	e = json_object_new_object();
	json_object_object_add(e, "bank", json_object_new_string(name));
	json_object_object_add(e, "pcr", json_object_new_int((int)p));
	json_object_object_add(e, "value", json_object_new_string(hex));
	json_object_object_add(e, "rule", json_object_new_string(rule));
	if (tpm_value) {
		json_object_object_add(e, "tpm", json_object_new_string(thex));
		json_object_object_add(e, "match", json_object_new_boolean(ok));
	}
	json_object_array_add(arr, e);
}

/* The replayed PCRs (and with @tpm, whether each matches), as text or JSON. */
static int emit(const struct replay_opts *o, const struct imasnap_replay *rp,
		const struct bank_result *res, const struct imasnap_state *tpm,
		bool *all_match)
{
	json_object *root = NULL, *arr = NULL;
	u32 compared = 0, p, mask;
	int b;

	*all_match = true;
	if (o->json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "records", json_object_new_int64((int64_t)rp->records));
		json_object_object_add(root, "violations", json_object_new_int64((int64_t)rp->violations));
		json_object_object_add(root, "pcrs", arr);
	}
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		const struct bank_result *r = &res[b];
		const struct imasnap_lane *l;

		if (r->lane < 0)
			continue;
		l = &rp->lane[r->lane];
		mask = tpm ? r->compared : l->touched;
		compared |= mask;
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!(mask & (1U << p)))
				continue;
			if (r->mismatch & (1U << p))
				*all_match = false;
			emit_pcr(arr, b, p, rule_name(l->rule), l->pcr[p],
				 tpm ? tpm->pcr[b][p] : NULL, !(r->mismatch & (1U << p)));
		}
	}
	if (tpm && !compared) {
		imasnap_errorf("replay: the PCR file names no bank and PCR that the log extends");
		*all_match = false;
	}
	if (o->json) {
		json_object_object_add(root, "match", json_object_new_boolean(*all_match));
		cmd_json_print(root);
	}
	return 0;
}

/*
 * One lane per bank under its rule; with --pcrs, the template-hash rule
 * first, and the padded-SHA-1 one only for a bank that does not match
 * (second_pass()).
 */
static int replay_lanes(struct replay_opts *o, const struct imasnap_state *start,
			const struct imasnap_state *tpm, struct imasnap_evp *evp,
			struct imasnap_replay *rp, struct bank_result *res)
{
	int b;

	if (o->pcrs) {
		o->banks = imasnap_state_banks(tpm);
	} else if (!o->banks) {
		o->banks = o->start ? imasnap_state_banks(start) : DEFAULT_BANKS;
		o->banks |= o->padded;
	}
	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		bool padded = (o->padded & (1U << b)) && b != IMASNAP_BANK_SHA1;

		res[b].lane = res[b].alt = -1;
		res[b].compared = res[b].mismatch = 0;
		if (!(o->banks & (1U << b)))
			continue;
		if (!imasnap_evp_has(evp, b)) {
			imasnap_errorf("replay: OpenSSL has no %s digest",
				       imasnap_bank_info(b)->name);
			return -EOPNOTSUPP;
		}
		if (o->pcrs) {
			res[b].lane = imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL);
		} else {
			res[b].lane = imasnap_replay_add_lane(rp, b, padded ?
							      IMASNAP_RULE_PADDED_SHA1 :
							      IMASNAP_RULE_NORMAL);
		}
	}
	imasnap_replay_start(rp, o->start ? start : NULL);
	return 0;
}

/*
 * The log, streamed through the replay: every record, or with @limit the
 * first @limit (the second pass: the log must still hold them).
 * *@records: how many were replayed.
 */
static int replay_log(const struct replay_opts *o, struct imasnap_replay *rp, u64 limit,
		      u64 *records)
{
	struct imasnap_mtreplay *m = imasnap_mtreplay_new(rp, o->threads, NULL);
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err = { 0 };
	u64 n = 0;
	int ret;

	if (!m) {
		imasnap_errorf("replay: cannot start the hashing threads: %s", strerror(errno));
		return -ENOMEM;
	}
	ret = imasnap_logfile_open(&lf, o->log, o->order);
	if (ret) {
		imasnap_errorf("replay: %s: %s", o->log, lf.why);
		imasnap_mtreplay_free(m);
		return ret;
	}
	while ((!limit || n < limit) && (ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		ret = imasnap_mtreplay_record(m, &rec, &err);
		if (ret)
			break;
		n++;
	}
	if (ret >= 0)
		ret = imasnap_mtreplay_flush(m, &err);
	if (ret == -EBADMSG)
		imasnap_errorf("replay: %s: record %llu at offset %llu: %s", o->log,
			       (unsigned long long)err.index,
			       (unsigned long long)err.offset, err.reason);
	else if (ret < 0 && err.reason)
		imasnap_errorf("replay: record %llu: %s (%s)", (unsigned long long)err.index,
			       err.reason, strerror(-ret));
	else if (ret < 0)
		imasnap_errorf("replay: %s: %s", o->log, strerror(-ret));
	else if (limit && n < limit) {
		imasnap_errorf("replay: %s: the log lost records between two passes (%llu, then %llu)",
			       o->log, (unsigned long long)limit, (unsigned long long)n);
		ret = -IMASNAP_ESTATE;
	}
	*records = n;
	imasnap_logfile_close(&lf);
	imasnap_mtreplay_free(m);
	return ret < 0 ? ret : 0;
}

/*
 * Banks whose template-hash lane missed the TPM: replay the same @records
 * records again under the padded-SHA-1 rule (IMA's rule for a bank whose
 * hash it could not allocate) and add those lanes to @rp for compare().
 * Most logs never need it, so the common case hashes each record once per
 * bank.
 */
static int second_pass(const struct replay_opts *o, const struct imasnap_state *start,
		       const struct imasnap_state *tpm, struct imasnap_evp *evp,
		       struct imasnap_replay *rp, struct bank_result *res, u64 records)
{
	struct imasnap_replay *alt = NULL;
	u32 miss = 0, want;
	unsigned int i;
	u64 again;
	int b, ret = 0;

	compare(rp, res, tpm);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (res[b].lane >= 0 && res[b].mismatch)
			miss |= 1U << b;
	want = imasnap_replay_padded_needed(rp, miss);
	if (want) {
		alt = calloc(1, sizeof(*alt));
		if (!alt)
			return -ENOMEM;
		imasnap_replay_init(alt, imasnap_evp_ops(evp));
		for (b = 0; b < IMASNAP_NR_BANKS; b++)
			if (want & (1U << b))
				imasnap_replay_add_lane(alt, b, IMASNAP_RULE_PADDED_SHA1);
		imasnap_replay_start(alt, o->start ? start : NULL);
		ret = replay_log(o, alt, records, &again);
		if (!ret)
			ret = imasnap_replay_merge(rp, alt);
		free(alt);
	}
	for (i = 0; !ret && i < rp->nr_lanes; i++)
		if (rp->lane[i].rule == IMASNAP_RULE_PADDED_SHA1)
			res[rp->lane[i].bank].alt = (int)i;
	return ret;
}

int replay_main(int argc, char **argv)
{
	struct imasnap_state *start = calloc(1, sizeof(*start));
	struct imasnap_state *tpm = calloc(1, sizeof(*tpm));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct bank_result res[IMASNAP_NR_BANKS];
	struct replay_opts o;
	u64 records = 0;
	bool all_match;
	int ret;

	ret = replay_parse(argc, argv, &o);
	if (ret)
		goto out;
	if (!start || !tpm || !rp || !evp) {
		imasnap_errorf("replay: cannot set up OpenSSL digests");
		ret = -ENOMEM;
		goto out;
	}
	ret = o.start ? imasnap_pcrfile_read(o.start, start) : 0;
	if (!ret && o.pcrs)
		ret = imasnap_pcrfile_read(o.pcrs, tpm);
	if (!ret)
		ret = replay_lanes(&o, start, tpm, evp, rp, res);
	if (!ret)
		ret = replay_log(&o, rp, 0, &records);
	if (!ret && o.pcrs)
		ret = second_pass(&o, start, tpm, evp, rp, res, records);
	if (ret)
		goto out;
	if (o.pcrs)
		compare(rp, res, tpm);
	ret = emit(&o, rp, res, o.pcrs ? tpm : NULL, &all_match);
	if (!ret && !all_match)
		ret = -IMASNAP_EVERIFY;
out:
	imasnap_evp_free(evp);
	free(rp);
	free(tpm);
	free(start);
	return ret < 0 ? ret : 0;
}
