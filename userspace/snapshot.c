// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap snapshot: archive IMA's log from where the archive ends as the
 * next shard, after checking that the archived records replay to the TPM's
 * PCRs.  Records measured while the PCRs are read are picked up and the
 * check repeated (bounded).  Running it again after a crash continues where
 * the newest complete shard ends: no record is lost or archived twice.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "archive.h"
#include "quote.h"

#define SNAPSHOT_TRIES	5

struct snap_opts {
	const char *dir;
	const char *log;
	const char *pcrs;
	const char *tcti;
	const char *boot_id;
	const char *quote_alg;
	bool json;
};

/* Where this shard starts: the archive's end in this boot, or a new boot. */
struct snap_start {
	struct imasnap_state state;
	u64 first_entry;
	u64 offset;
	u8 prev[32];
	u64 seq;
	const char *why;
};

static void snap_usage(FILE *f)
{
	fprintf(f,
		"Usage: imasnap snapshot --dir DIR [--log FILE] [--pcrs FILE | --tcti CONF]\n"
		"                        [--boot-id ID] [--quote rsa|ecc] [--json]\n"
		"\n"
		"  --dir DIR       the archive (shard-NNNNNNNN.ims files)\n"
		"  --log FILE      IMA's binary log (default: %s)\n"
		"  --pcrs FILE     PCR values \"<alg> <pcr> <hex>\" instead of asking the TPM\n"
		"  --tcti CONF     TPM access (default: $TSS2_TCTI, then tctildr's default)\n"
		"  --boot-id ID    this boot's id (default: /proc/sys/kernel/random/boot_id)\n"
		"  --quote ALG     put a TPM quote of the end state over the body digest in the\n"
		"                  shard's trailer, with the archive's rsa or ecc AK\n"
		"  --json          machine-readable result on stdout\n",
		IMASNAP_IMA_LOG);
}

static int snap_parse(int argc, char **argv, struct snap_opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "tcti", required_argument, NULL, 't' },
		{ "boot-id", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "quote", required_argument, NULL, 'q' },
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
		case 'b': o->boot_id = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quote_alg = optarg; break;
		case 'h': snap_usage(stdout); return -1;
		default: snap_usage(stderr); return IMASNAP_EXIT_USAGE;
		}
	}
	if (optind != argc || !o->dir) {
		imasnap_errorf("snapshot: --dir DIR is required, and nothing else");
		return IMASNAP_EXIT_USAGE;
	}
	if (o->pcrs && o->tcti) {
		imasnap_errorf("snapshot: give --pcrs or --tcti, not both");
		return IMASNAP_EXIT_USAGE;
	}
	if (o->quote_alg && (o->pcrs || (strcmp(o->quote_alg, "rsa") && strcmp(o->quote_alg, "ecc")))) {
		imasnap_errorf("snapshot: --quote takes rsa or ecc, and a TPM (not --pcrs)");
		return IMASNAP_EXIT_USAGE;
	}
	return 0;
}

/* Decide where the new shard starts (see Documentation/design.md). */
static int snap_where(const struct snap_opts *o, const u8 boot[16],
		      struct snap_start *s)
{
	struct imasnap_shard *last = calloc(1, sizeof(*last));
	u64 count;
	int ret;

	if (!last)
		return IMASNAP_EXIT_FAILURE;
	memset(s, 0, sizeof(*s));
	ret = archive_newest(o->dir, &count, last);
	if (ret)
		goto out;
	s->seq = count;
	if (!count) {
		s->why = "first shard, from cold boot";
	} else if (!memcmp(last->boot_id, boot, 16) && last->kind == IMASNAP_SHARD_LOG) {
		s->state = last->end;
		s->first_entry = last->first_entry + last->entries;
		s->offset = last->log_offset + last->body_size;
		s->why = "continues this boot's newest shard";
	} else if (last->kind == IMASNAP_SHARD_TAIL && memcmp(last->boot_id, boot, 16)) {
		s->state = last->end;
		s->why = "first shard of this boot, after kexec";
	} else if (last->kind == IMASNAP_SHARD_TAIL) {
		imasnap_errorf("snapshot: the newest shard is a tail carried out of this boot: was this boot kexec'd into itself?");
		ret = IMASNAP_EXIT_MALFORMED;
		goto out;
	} else {
		s->why = "first shard of this boot, from cold boot (no kexec tail archived)";
	}
	if (count)
		memcpy(s->prev, last->digest, 32);
out:
	free(last);
	return ret;
}

struct snap_buf {
	u8 *p;
	size_t len;
	size_t cap;
};

/* Append what the log holds past @offset + buf->len. */
static int snap_read_log(const char *path, u64 offset, struct snap_buf *buf)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* securityfs seq_files seek by re-reading; a regular file seeks. */
	if (lseek(fd, (off_t)(offset + buf->len), SEEK_SET) < 0)
		ret = -errno;
	else
		ret = archive_append_fd(fd, &buf->p, &buf->len, &buf->cap);
	close(fd);
	return ret;
}

static int snap_pcrs(const struct snap_opts *o, struct imasnap_tpm2 *tpm, u32 banks,
		     u32 pcrs, struct imasnap_state *out)
{
	imasnap_state_init(out);
	if (o->pcrs)
		return imasnap_pcrfile_read(o->pcrs, out) ? IMASNAP_EXIT_MALFORMED : 0;
	return imasnap_tpm2_read_pcrs(tpm, banks, pcrs, out) ? IMASNAP_EXIT_FAILURE : 0;
}

/* The end state: in every bank, the lane (rule) that reached the TPM. */
static void snap_end(const struct imasnap_replay *rp, const struct imasnap_state *tpm_pcrs,
		     struct imasnap_state *end)
{
	int b, lane;

	imasnap_state_init(end);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		lane = imasnap_replay_pick(rp, b, tpm_pcrs);
		if (lane >= 0)
			imasnap_replay_state(rp, (unsigned int)lane, end);
	}
}

/*
 * The trailer: a quote of @sh->end over the body digest.  -EAGAIN when the
 * TPM's PCRs moved on meanwhile (the caller reads on); else an exit code.
 */
static int snap_quote(struct imasnap_tpm2 *tpm, ESYS_TR ak, struct imasnap_shard *sh,
		      const u8 *body, const struct imasnap_hash_ops *ops)
{
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	struct imasnap_buf v = { .data = body, .len = sh->body_size };
	TPML_PCR_SELECTION sel;
	const char *why;
	u8 want[32];
	size_t len;
	int ret;

	if (!q)
		return IMASNAP_EXIT_FAILURE;
	imasnap_quote_select(sh->end.pcr_mask, &sel);
	ret = ops->digest(ops->priv, IMASNAP_BANK_SHA256, &v, 1, sh->body_digest) ?
	      IMASNAP_EXIT_FAILURE : 0;
	if (!ret)
		ret = imasnap_tpm2_quote(tpm, ak, sh->body_digest, 32, &sel, sh->trailer,
					 sizeof(sh->trailer), &len);
	if (!ret && (imasnap_quote_parse(sh->trailer, len, q, &why) ||
		     imasnap_quote_state_digest(&sh->end, &sel, want)))
		ret = IMASNAP_EXIT_FAILURE;
	if (!ret && (q->attest.attested.quote.pcrDigest.size != 32 ||
		     memcmp(q->attest.attested.quote.pcrDigest.buffer, want, 32)))
		ret = -EAGAIN;
	if (!ret)
		sh->trailer_size = (u32)len;
	free(q);
	return ret;
}

int snapshot_main(int argc, char **argv)
{
	struct imasnap_state *tpm_pcrs = calloc(1, sizeof(*tpm_pcrs));
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct snap_start *s = calloc(1, sizeof(*s));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_tpm2 *tpm = NULL;
	ESYS_TR ak = ESYS_TR_NONE;
	EVP_PKEY *ak_pkey = NULL;
	char pem[4096];
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	struct snap_opts o;
	u32 banks = 0, bad = 0, touched;
	struct snap_buf body = { 0 };
	size_t parsed = 0;
	u8 boot[16];
	char hex[65];
	int ret, try, b;
	unsigned int i;

	ret = snap_parse(argc, argv, &o);
	if (ret) {
		ret = ret < 0 ? IMASNAP_EXIT_OK : ret;
		goto out;
	}
	if (!tpm_pcrs || !sh || !rp || !s || !evp) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ret = archive_boot_id(o.boot_id, boot);
	if (!ret)
		ret = snap_where(&o, boot, s);
	if (ret)
		goto out;

	ret = archive_pcr_source(o.pcrs, o.tcti, tpm_pcrs, &tpm, &banks);
	if (ret)
		goto out;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (!imasnap_evp_has(evp, b))
			banks &= ~(1U << b);
	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	imasnap_replay_add_banks(rp, banks);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (s->state.pcr_mask[b] &&
		    !(banks & (1U << b))) {
			imasnap_errorf("snapshot: the archive ends in a %s state, but the TPM (or OpenSSL) has no %s bank",
				       imasnap_bank_info(b)->name, imasnap_bank_info(b)->name);
			ret = IMASNAP_EXIT_MISMATCH;
			goto out;
		}
	imasnap_replay_start(rp, &s->state);
	imasnap_log_init(&log, IMASNAP_LOG_NATIVE);
	if (o.quote_alg) {
		ret = imasnap_ak_create(tpm, o.quote_alg, &ak, &ak_pkey);
		if (!ret)
			ret = imasnap_ak_keep(o.dir, o.quote_alg, ak_pkey, pem, sizeof(pem));
		if (ret)
			goto out;
	}
	sh->seq = s->seq;
	sh->kind = IMASNAP_SHARD_LOG;
	sh->first_entry = s->first_entry;
	sh->log_offset = s->offset;
	memcpy(sh->boot_id, boot, 16);
	memcpy(sh->prev_digest, s->prev, 32);
	sh->start = s->state;

	/* Records may arrive while the PCRs are read: read on, check again. */
	for (try = 0; try < SNAPSHOT_TRIES; try++) {
		ret = snap_read_log(o.log, s->offset, &body);
		if (ret) {
			imasnap_errorf("snapshot: %s: %s", o.log, strerror(-ret));
			ret = IMASNAP_EXIT_IO;
			goto out;
		}
		if (!s->offset && !parsed && body.len)
			imasnap_log_guess_order(body.p, body.len, &log.order);
		while ((ret = imasnap_log_next(&log, body.p + parsed, body.len - parsed, true,
					       &rec, &err)) > 0) {
			ret = imasnap_replay_record(rp, &rec, &err);
			if (ret)
				break;
			parsed += rec.size;
		}
		if (ret) {
			imasnap_errorf("snapshot: %s: record %llu at offset %llu: %s", o.log,
				       (unsigned long long)(s->first_entry + err.index),
				       (unsigned long long)(s->offset + err.offset), err.reason);
			ret = ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_FAILURE;
			goto out;
		}
		touched = 0;
		for (i = 0; i < rp->nr_lanes; i++)
			touched |= rp->lane[i].touched | rp->lane[i].start_mask;
		ret = snap_pcrs(&o, tpm, banks, touched, tpm_pcrs);
		if (ret)
			goto out;
		bad = 0;
		for (b = 0; b < IMASNAP_NR_BANKS; b++)
			if ((banks & (1U << b)) &&
			    imasnap_replay_pick(rp, b, tpm_pcrs) < 0)
				bad |= 1U << b;
		if (bad && !o.pcrs)
			continue;
		if (bad || !o.quote_alg || !log.index)
			break;
		/* The quote must see the same PCRs, or read on. */
		sh->body_size = parsed;
		snap_end(rp, tpm_pcrs, &sh->end);
		ret = snap_quote(tpm, ak, sh, body.p, imasnap_evp_ops(evp));
		if (ret != -EAGAIN)
			break;
		bad = banks;
	}
	if (ret > 0)
		goto out;
	if (ret == -EAGAIN) {
		imasnap_errorf("snapshot: the TPM's PCRs moved on while quoting, %d times: records keep arriving; try again",
			       SNAPSHOT_TRIES);
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	if (bad) {
		for (b = 0; b < IMASNAP_NR_BANKS; b++)
			if (bad & (1U << b))
				imasnap_errorf("snapshot: %llu records from %s do not replay to the TPM's %s PCRs",
					       (unsigned long long)log.index, s->why,
					       imasnap_bank_info(b)->name);
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	if (!log.index) {
		if (o.json)
			printf("{\"written\":false,\"seq\":%llu}\n", (unsigned long long)s->seq);
		else
			printf("nothing new since the archive's end (%s)\n",
			       s->seq ? "its newest shard" : "no shard yet");
		ret = IMASNAP_EXIT_OK;
		goto out;
	}

	sh->order = log.order;
	sh->entries = log.index;
	sh->body_size = parsed;
	snap_end(rp, tpm_pcrs, &sh->end);
	ret = imasnap_shard_write(o.dir, sh, body.p, imasnap_evp_ops(evp));
	if (ret) {
		imasnap_errorf("snapshot: writing shard %llu into %s: %s",
			       (unsigned long long)sh->seq, o.dir, strerror(-ret));
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	imasnap_hex_encode(sh->digest, 32, hex);
	if (o.json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "written", json_object_new_boolean(1));
		json_object_object_add(j, "seq", json_object_new_int64((int64_t)sh->seq));
		json_object_object_add(j, "entries", json_object_new_int64((int64_t)sh->entries));
		json_object_object_add(j, "first_entry",
				       json_object_new_int64((int64_t)sh->first_entry));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)sh->body_size));
		json_object_object_add(j, "digest", json_object_new_string(hex));
		json_object_object_add(j, "start", json_object_new_string(s->why));
		json_object_object_add(j, "quoted", json_object_new_boolean(sh->trailer_size > 0));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("shard %llu: %llu records (%llu..%llu), %llu bytes, sha256:%s (%s)\n",
		       (unsigned long long)sh->seq, (unsigned long long)sh->entries,
		       (unsigned long long)sh->first_entry,
		       (unsigned long long)(sh->first_entry + sh->entries - 1),
		       (unsigned long long)sh->body_size, hex, s->why);
		if (sh->trailer_size)
			printf("shard %llu: end state quoted by the %s AK (%s), %u-byte trailer\n",
			       (unsigned long long)sh->seq, o.quote_alg, pem, sh->trailer_size);
	}
	ret = IMASNAP_EXIT_OK;
out:
	if (ak != ESYS_TR_NONE)
		Esys_FlushContext(imasnap_tpm2_esys(tpm), ak);
	EVP_PKEY_free(ak_pkey);
	imasnap_tpm2_close(tpm);
	imasnap_evp_free(evp);
	free(body.p);
	free(tpm_pcrs);
	free(sh);
	free(rp);
	free(s);
	return ret;
}
