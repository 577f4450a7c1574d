// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap quote: a TPM quote of the IMA PCRs of every allocated bank with
 * the archive's attestation key (attest.c), either over a verifier's nonce
 * into a file, or (--shard) over the newest shard's body digest into that
 * shard's trailer, where it attests the shard's end state.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <tss2/tss2_esys.h>

#include "cmd.h"

static int parse_pcr_list(const char *s, u32 *mask)
{
	char *end;

	*mask = 0;
	while (*s) {
		unsigned long p = strtoul(s, &end, 10);

		if (end == s || p >= IMASNAP_NR_PCRS)
			return -EINVAL;
		*mask |= 1U << p;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

struct quote_opts {
	const char *nonce;
	const char *out;
	const char *alg;
	u32 pcrs;
	u32 banks;
	bool shard;
};

static const struct cmd quote_cmd;

static int quote_opt(void *priv, int c, const char *arg)
{
	struct quote_opts *o = priv;

	switch (c) {
	case 'n': o->nonce = arg; break;
	case 'o': o->out = arg; break;
	case 'a': o->alg = arg; break;
	case 's': o->shard = true; break;
	case 'p':
		if (parse_pcr_list(arg, &o->pcrs)) {
			imasnap_errorf("quote: --pcrs takes PCR numbers below 24, e.g. 10,11");
			return -EINVAL;
		}
		break;
	case 'b':
		return imasnap_parse_banks(arg, &o->banks);
	}
	return 0;
}

static const struct option quote_longopts[] = {
	{ "nonce", required_argument, NULL, 'n' },
	{ "out", required_argument, NULL, 'o' },
	{ "alg", required_argument, NULL, 'a' },
	{ "pcrs", required_argument, NULL, 'p' },
	{ "banks", required_argument, NULL, 'b' },
	{ "shard", no_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd quote_cmd = {
	.name = "quote",
	.usage =
	"Usage: imasnap quote --dir DIR --nonce HEX --out FILE [--alg rsa|ecc]\n"
	"                     [--pcrs LIST | --log FILE] [--banks LIST] [--tcti CONF] [--json]\n"
	"       imasnap quote --dir DIR --shard [--alg rsa|ecc] [--tcti CONF] [--boot-id ID]\n"
	"                     [--json]\n"
	"  --dir DIR       the archive; the AK's public key is kept there as ak-<alg>.pem\n"
	"  --nonce HEX     the verifier's nonce (qualifyingData), 16 to 64 bytes\n"
	"  --out FILE      the quote\n"
	"  --shard         quote the newest shard's end state over its body digest into\n"
	"                  its trailer (the PCRs must still be at that end)\n"
	"  --alg ALG       the AK: rsa (RSASSA-SHA256, default) or ecc (ECDSA P-256)\n"
	"  --pcrs LIST     PCRs to quote in every bank (default: 10, those the archive's\n"
	"                  newest shard ends in and those the IMA log extends)\n"
	"  --log FILE      the IMA log whose PCRs are quoted (default " IMASNAP_LOG_DEFAULT ")\n"
	"  --boot-id ID    this boot's id (default: /proc/sys/kernel/random/boot_id)\n"
	"  --banks LIST    quote only these banks (default: every bank the TPM has)\n"
	"  --tcti CONF     TPM access (default: $TSS2_TCTI, then tctildr's default)\n"
	"  --json          machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_LOG | CMD_TCTI | CMD_BOOT_ID | CMD_JSON,
	.need_dir = true,
	.own = quote_longopts,
	.opt = quote_opt,
};

static int quote_check(const struct quote_opts *o, const struct cmd_common *co)
{
	const struct cmd *c = &quote_cmd;
	int ret;

	if (strcmp(o->alg, "rsa") && strcmp(o->alg, "ecc"))
		return cmd_usage_error(c, "--alg takes rsa or ecc");
	if (o->shard) {
		ret = cmd_conflict(c, "--shard", true, "--nonce", o->nonce);
		ret = ret ?: cmd_conflict(c, "--shard", true, "--out", o->out);
		ret = ret ?: cmd_conflict(c, "--shard", true, "--pcrs", o->pcrs);
		ret = ret ?: cmd_conflict(c, "--shard", true, "--banks", o->banks != ~0U);
		return ret;
	}
	ret = cmd_need(c, "--nonce HEX", o->nonce, "(or --shard)");
	ret = ret ?: cmd_need(c, "--out FILE", o->out, "with --nonce");
	ret = ret ?: cmd_conflict(c, "--boot-id", co->boot_id, "--nonce", true);
	ret = ret ?: cmd_conflict(c, "--pcrs", o->pcrs, "--log", co->log_given);
	return ret;
}

static void quote_report(const struct quote_opts *o, const char *pem, long long seq,
			 u32 pcrs, u32 banks, size_t len)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "alg", json_object_new_string(o->alg));
	json_object_object_add(j, "ak", json_object_new_string(pem));
	if (seq >= 0) {
		json_object_object_add(j, "shard", json_object_new_int64(seq));
	} else {
		json_object_object_add(j, "out", json_object_new_string(o->out));
		json_object_object_add(j, "pcrs", json_object_new_int64(pcrs));
		json_object_object_add(j, "banks", json_object_new_int64(banks));
	}
	json_object_object_add(j, "bytes", json_object_new_int64((int64_t)len));
	cmd_json_print(j);
}

/*
 * The PCRs the records of the IMA log @path extend, and the bank of its
 * boot_aggregate (-1: its first record is none).
 */
static int log_pcrs(const char *path, u32 *pcrs, int *boot_bank)
{
	struct imasnap_boot_aggregate ba;
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	const char *why;
	int ret;

	*boot_bank = -1;

	ret = imasnap_logfile_open(&lf, path, IMASNAP_ORDER_AUTO);
	if (ret) {
		imasnap_errorf("quote: %s: %s (give --pcrs, or --log)", path, lf.why);
		return ret;
	}
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		if (!rec.index && !imasnap_boot_aggregate_of(&lf.log, &rec, &ba, &why))
			*boot_bank = ba.bank;
		*pcrs |= 1U << rec.pcr;
	}
	imasnap_logfile_close(&lf);
	if (ret == -EBADMSG)
		imasnap_errorf("quote: %s: record %llu: %s", path, (unsigned long long)err.index,
			       err.reason);
	else if (ret)
		imasnap_errorf("quote: %s: %s", path, strerror(-ret));
	return ret;
}

/* The selection for a nonce quote: @pcrs in every bank the TPM has. */
/*
 * The selection for a nonce quote: @pcrs in every bank the TPM has, and by
 * default PCRs 0-9 of the boot_aggregate's bank (@boot: that bank's bit),
 * whose values the quote file carries.
 */
static int quote_selection(const struct quote_opts *o, const struct cmd_common *co,
			   struct imasnap_tpm2 *tpm, TPML_PCR_SELECTION *sel, u32 *pcrs,
			   u32 *boot)
{
	struct imasnap_shard *newest;
	u32 banks, b, mask[IMASNAP_NR_BANKS];
	int boot_bank = -1;
	u64 count;
	int ret = 0;

	*boot = 0;
	*pcrs = o->pcrs;
	if (!*pcrs) {
		newest = calloc(1, sizeof(*newest));
		if (!newest)
			return -ENOMEM;
		ret = imasnap_archive_newest(co->dir, &count, newest);
		*pcrs = 1U << IMASNAP_IMA_PCR;
		for (b = 0; !ret && count && b < IMASNAP_NR_BANKS; b++)
			*pcrs |= newest->end.pcr_mask[b];
		free(newest);
		if (!ret)
			ret = log_pcrs(co->log, pcrs, &boot_bank);
		if (ret)
			return ret;
	}
	ret = imasnap_tpm2_banks(tpm, &banks);
	if (ret)
		return ret;
	banks &= o->banks;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		mask[b] = (banks & (1U << b)) ? *pcrs : 0;
	if (boot_bank >= 0 && (banks & (1U << boot_bank))) {
		mask[boot_bank] |= imasnap_boot_aggregate_pcrs(boot_bank);
		*boot = 1U << boot_bank;
	}
	imasnap_quote_select(mask, sel);
	return 0;
}

#define QUOTE_TRIES	3

/*
 * Quote, with the values of PCRs 0-9 of @boot's bank read before and after:
 * the same both times, or quote again (they hardly ever move).
 */
static int quote_with_values(struct imasnap_tpm2 *tpm, ESYS_TR ak, const u8 *nonce, size_t nlen,
			     const TPML_PCR_SELECTION *sel, u32 boot, u8 *buf, size_t *len)
{
	struct imasnap_state *before = calloc(1, sizeof(*before));
	struct imasnap_state *after = calloc(1, sizeof(*after));
	int b = boot ? __builtin_ctz(boot) : 0, try, ret = 0;
	u32 need = boot ? imasnap_boot_aggregate_pcrs(b) : 0;

	if (!before || !after) {
		ret = -ENOMEM;
		goto out;
	}
	for (try = 0; try < QUOTE_TRIES; try++) {
		imasnap_state_init(before);
		imasnap_state_init(after);
		if (boot)
			ret = imasnap_tpm2_read_pcrs(tpm, boot, need, before);
		if (!ret)
			ret = imasnap_tpm2_quote(tpm, ak, nonce, nlen, sel, boot ? before : NULL,
						 buf, IMASNAP_QUOTE_MAX, len);
		if (!ret && boot)
			ret = imasnap_tpm2_read_pcrs(tpm, boot, need, after);
		if (ret || !boot || !memcmp(before, after, sizeof(*before)))
			goto out;
	}
	imasnap_errorf("quote: the TPM's PCRs 0-9 kept moving while quoting, %d times", QUOTE_TRIES);
	ret = -ESTALE;
out:
	free(before);
	free(after);
	return ret;
}

/* quote --shard: the newest shard's end, over its body digest, into its trailer. */
static int quote_shard(const struct quote_opts *o, const struct cmd_common *co,
		       struct imasnap_tpm2 *tpm, ESYS_TR ak, const char *pem)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	TPML_PCR_SELECTION sel;
	u8 want[32], boot[16];
	const char *why;
	size_t len;
	u64 count;
	int ret;

	if (!sh || !q) {
		ret = -ENOMEM;
		goto out;
	}
	ret = imasnap_archive_newest(co->dir, &count, sh);
	if (ret)
		goto out;
	if (!count) {
		imasnap_errorf("quote: %s holds no shard to quote", co->dir);
		ret = -IMASNAP_ESTATE;
		goto out;
	}
	ret = imasnap_boot_id(co->boot_id, boot);
	if (ret)
		goto out;
	if (sh->kind != IMASNAP_SHARD_LOG || memcmp(sh->boot_id, boot, 16)) {
		imasnap_errorf("quote: the newest shard of %s is not of this boot's log: run 'imasnap snapshot --dir %s' first",
			       co->dir, co->dir);
		ret = -IMASNAP_ESTATE;
		goto out;
	}
	imasnap_quote_select(sh->end.pcr_mask, &sel);
	ret = imasnap_tpm2_quote(tpm, ak, sh->body_digest, 32, &sel, NULL, sh->trailer,
				 sizeof(sh->trailer), &len);
	if (ret)
		goto out;
	ret = imasnap_quote_parse(sh->trailer, len, q, &why) ? -IMASNAP_ETPM :
	      imasnap_quote_state_digest(&sh->end, &sel, want);
	if (ret)
		goto out;
	if (q->attest.attested.quote.pcrDigest.size != 32 ||
	    memcmp(q->attest.attested.quote.pcrDigest.buffer, want, 32)) {
		imasnap_errorf("quote: the TPM's PCRs moved on since shard %llu was cut: its end state can no longer be quoted (snapshot --quote quotes at the cut)",
			       (unsigned long long)sh->seq);
		ret = -ESTALE;
		goto out;
	}
	ret = imasnap_shard_set_trailer(co->dir, sh->seq, sh->digest, sh->trailer, (u32)len);
	if (ret) {
		imasnap_errorf("quote: shard %llu: %s", (unsigned long long)sh->seq,
			       ret == -ESTALE ? "it changed while it was quoted" : strerror(-ret));
		goto out;
	}
	if (co->json)
		quote_report(o, pem, (long long)sh->seq, 0, 0, len);
	else
		printf("shard %llu: its end state quoted over its body digest with the %s AK (%s), %zu-byte trailer\n",
		       (unsigned long long)sh->seq, o->alg, pem, len);
out:
	free(sh);
	free(q);
	return ret;
}

/*
 * The quote file, replaced atomically: a new file renamed over the name,
 * so that a symlink planted there is replaced, never followed.
 */
static int quote_write(const char *path, const u8 *buf, size_t len)
{
	struct imasnap_atomic a;
	int ret;

	ret = imasnap_atomic_open(&a, path, IMASNAP_ATOMIC_REPLACE);
	if (!ret) {
		ret = imasnap_write_all(a.fd, buf, len);
		if (!ret && fchmod(a.fd, 0644))
			ret = -errno;
		if (ret)
			imasnap_atomic_abort(&a);
		else
			ret = imasnap_atomic_commit(&a);
	}
	if (ret)
		imasnap_errorf("quote: writing %s: %s", path, strerror(-ret));
	return ret;
}

static int quote_nonce(const struct quote_opts *o, const struct cmd_common *co,
		       struct imasnap_tpm2 *tpm, ESYS_TR ak, const char *pem)
{
	size_t nlen = strlen(o->nonce), len;
	TPML_PCR_SELECTION sel;
	u8 nonce[64], *buf;
	u32 pcrs, boot;
	int ret;

	if (nlen > 2 * sizeof(nonce) || nlen < 2 * IMASNAP_NONCE_MIN || nlen % 2 ||
	    imasnap_hex_decode(o->nonce, nlen, nonce)) {
		imasnap_errorf("quote: --nonce takes %u to %zu bytes in hex", IMASNAP_NONCE_MIN,
			       sizeof(nonce));
		return -EINVAL;
	}
	ret = quote_selection(o, co, tpm, &sel, &pcrs, &boot);
	if (ret)
		return ret;
	buf = malloc(IMASNAP_QUOTE_MAX);
	if (!buf)
		return -ENOMEM;
	ret = quote_with_values(tpm, ak, nonce, nlen / 2, &sel, boot, buf, &len);
	if (!ret)
		ret = quote_write(o->out, buf, len);
	if (!ret && co->json)
		quote_report(o, pem, -1, pcrs, sel.count, len);
	else if (!ret)
		printf("quote of PCRs %#x in %u banks with the %s AK (%s): %s\n", pcrs, sel.count,
		       o->alg, pem, o->out);
	if (!ret && boot && !co->json)
		printf("with %s PCRs 0-%d and their values, for the boot_aggregate\n",
		       imasnap_bank_info(__builtin_ctz(boot))->name,
		       boot == (1U << IMASNAP_BANK_SHA1) ? 7 : 9);
	free(buf);
	return ret;
}

int quote_main(int argc, char **argv)
{
	struct quote_opts o = { .alg = "rsa", .banks = ~0U };
	struct imasnap_tpm2 *tpm = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	EVP_PKEY *pkey = NULL;
	struct cmd_common co;
	char pem[4096];
	int ret;

	ret = cmd_parse(&quote_cmd, argc, argv, &co, &o);
	if (!ret)
		ret = quote_check(&o, &co);
	if (ret)
		return ret < 0 ? ret : 0;
	tpm = imasnap_tpm2_open(co.tcti);
	if (!tpm)
		return -IMASNAP_ETPM;
	ret = imasnap_ak_create(tpm, o.alg, &ak, &pkey);
	if (!ret)
		ret = imasnap_ak_keep(co.dir, o.alg, pkey, pem, sizeof(pem));
	if (!ret)
		ret = o.shard ? quote_shard(&o, &co, tpm, ak, pem) : quote_nonce(&o, &co, tpm, ak, pem);
	if (ak != ESYS_TR_NONE)
		Esys_FlushContext(imasnap_tpm2_esys(tpm), ak);
	EVP_PKEY_free(pkey);
	imasnap_tpm2_close(tpm);
	return ret;
}
