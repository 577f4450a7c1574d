// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap snapshot: archive IMA's log from where the archive ends as the
 * next shard, after checking that the archived records replay to the TPM's
 * PCRs.  Records measured while the PCRs are read are picked up and the
 * check repeated (bounded).  Running it again after a crash continues where
 * the newest complete shard ends: no record is lost or archived twice.
 * The log is streamed: its records go, as they are replayed, straight to
 * where the new shard's file (unnamed until it is complete) holds its
 * body, so memory does not grow with the log and the body is written once.
 */
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "cmd.h"

#define SNAPSHOT_TRIES	5

struct snap_opts {
	const char *quote_alg;
};

/* Where this shard starts: the archive's end in this boot, or a new boot. */
struct snap_start {
	struct imasnap_state state;
	enum imasnap_log_order order;	/* of the shard it continues */
	u64 first_entry;
	u64 offset;
	u8 prev[32];
	u64 seq;
	const char *why;
	bool after_boots;	/* a boot's first shard from zero, after shards of other boots */
};

/* Reading the kept records back (the padded rule's second pass). */
#define SNAP_READ_BUF	(256 * 1024)

/* The records read so far from the start's offset: the new shard's body. */
struct snap_body {
	struct imasnap_shard_out out;	/* the shard's file, from the first record on */
	struct imasnap_spool *spool;	/* into it, on a thread of its own from --threads 2 */
	EVP_MD_CTX *md;			/* its digest where the threaded replay takes it */
	bool spool_hashes;		/* else the spool's */
};

/* Everything a snapshot works with. */
struct snap {
	const struct cmd_common *co;
	const struct snap_opts *o;
	struct snap_start s;
	struct imasnap_evp *evp;
	struct imasnap_tpm2 *tpm;
	u32 banks;			/* the TPM's (or the PCR file's), that OpenSSL has */
	struct imasnap_state tpm_pcrs;
	struct imasnap_replay rp;
	struct imasnap_mtreplay *m;	/* over @rp, while snap_read() reads */
	struct imasnap_logfile lf;	/* from the start's offset */
	bool lf_open;
	struct snap_body body;
	ESYS_TR ak;
	EVP_PKEY *ak_pkey;
	char pem[4096];
	struct imasnap_shard sh;
};

static int snap_opt(void *priv, int c, const char *arg)
{
	struct snap_opts *o = priv;

	if (c == 'q')
		o->quote_alg = arg;
	return 0;
}

static const struct option snap_longopts[] = {
	{ "quote", required_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd snap_cmd = {
	.name = "snapshot",
	.usage =
	"Usage: imasnap snapshot --dir DIR [--log FILE] [--pcrs FILE | --tcti CONF]\n"
	"                        [--boot-id ID] [--quote rsa|ecc] [--threads N] [--json]\n"
	"\n"
	"  --dir DIR       the archive (shard-NNNNNNNN.ims files)\n"
	"  --log FILE      IMA's binary log (default: " IMASNAP_LOG_DEFAULT ")\n"
	"  --pcrs FILE     PCR values \"<alg> <pcr> <hex>\" instead of asking the TPM\n"
	"  --tcti CONF     TPM access (default: $TSS2_TCTI, then tctildr's default)\n"
	"  --boot-id ID    this boot's id (default: /proc/sys/kernel/random/boot_id)\n"
	"  --quote ALG     put a TPM quote of the end state over the body digest in the\n"
	"                  shard's trailer, with the archive's rsa or ecc AK\n"
	"  --threads N     hash the banks on up to N threads (by default one per CPU),\n"
	"                  and from 2 on write the shard on one more\n"
	"  --json          machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_LOG | CMD_PCRS | CMD_TCTI | CMD_BOOT_ID | CMD_JSON | CMD_THREADS,
	.need_dir = true,
	.own = snap_longopts,
	.opt = snap_opt,
};

static int snap_check(const struct cmd_common *co, const struct snap_opts *o)
{
	int ret = cmd_conflict(&snap_cmd, "--pcrs", co->pcrs, "--tcti", co->tcti);

	ret = ret ?: cmd_conflict(&snap_cmd, "--quote", o->quote_alg, "--pcrs", co->pcrs);
	if (!ret && o->quote_alg && strcmp(o->quote_alg, "rsa") && strcmp(o->quote_alg, "ecc"))
		ret = cmd_usage_error(&snap_cmd, "--quote takes rsa or ecc");
	return ret;
}

/* Decide where the new shard starts (see Documentation/design.md). */
static int snap_where(const char *dir, const u8 boot[16], struct snap_start *s)
{
	struct imasnap_shard *last = calloc(1, sizeof(*last));
	u64 count;
	int ret;

	if (!last)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	ret = imasnap_archive_newest(dir, &count, last);
	if (ret)
		goto out;
	s->seq = count;
	if (!count) {
		s->why = "first shard, from cold boot";
	} else if (!memcmp(last->boot_id, boot, 16) && last->kind == IMASNAP_SHARD_LOG) {
		s->state = last->end;
		s->order = last->order;
		s->first_entry = last->first_entry + last->entries;
		s->offset = last->log_offset + last->body_size;
		s->why = "continues this boot's newest shard";
	} else if (last->kind == IMASNAP_SHARD_TAIL && memcmp(last->boot_id, boot, 16)) {
		s->state = last->end;
		s->why = "first shard of this boot, after kexec";
	} else if (last->kind == IMASNAP_SHARD_TAIL) {
		imasnap_errorf("snapshot: the newest shard is a tail carried out of this boot: was this boot kexec'd into itself?");
		ret = -EBADMSG;
		goto out;
	} else {
		s->why = "first shard of this boot, from cold boot (no kexec tail archived)";
		s->after_boots = true;
	}
	if (s->seq > IMASNAP_SHARD_SEQ_MAX) {
		imasnap_errorf("snapshot: %s is full: shard numbers end at %llu", dir,
			       IMASNAP_SHARD_SEQ_MAX);
		ret = -IMASNAP_ESTATE;
	}
	if (count)
		memcpy(s->prev, last->digest, 32);
out:
	free(last);
	return ret;
}

/* The log from the start's offset (a boot's log has one byte order: its first shard found out which). */
static int snap_open(struct snap *sn)
{
	enum imasnap_order_opt order = IMASNAP_ORDER_AUTO;
	int ret;

	if (sn->s.offset)
		order = sn->s.order == IMASNAP_LOG_BE ? IMASNAP_ORDER_BE : IMASNAP_ORDER_LE;
	ret = imasnap_logfile_open_at(&sn->lf, sn->co->log, order, sn->s.offset);
	if (ret) {
		imasnap_errorf("snapshot: %s: %s", sn->co->log, sn->lf.why);
		return ret;
	}
	sn->lf_open = true;
	return 0;
}

/* The PCR source, the replay's lanes from the start state, and the AK. */
static int snap_setup(struct snap *sn)
{
	int ret, b;

	ret = cmd_pcr_source(sn->co, &sn->tpm_pcrs, &sn->tpm, &sn->banks);
	if (ret)
		return ret;
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (!imasnap_evp_has(sn->evp, b))
			sn->banks &= ~(1U << b);
	if (!sn->banks) {
		imasnap_errorf("snapshot: %s has no PCR bank to check the log against",
			       sn->co->pcrs ? sn->co->pcrs : "the TPM");
		return -IMASNAP_EVERIFY;
	}
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		bool in_start = sn->s.state.pcr_mask[b], in_tpm = sn->banks & (1U << b);

		if (in_start && !in_tpm) {
			imasnap_errorf("snapshot: the archive ends in a %s state, but the TPM (or OpenSSL) has no %s bank",
				       imasnap_bank_info(b)->name, imasnap_bank_info(b)->name);
			return -IMASNAP_EVERIFY;
		}
		/* A shard ends in the banks it starts in (kexec keeps the TPM's). */
		if (imasnap_state_banks(&sn->s.state) && !in_start && in_tpm) {
			imasnap_errorf("snapshot: the TPM has a %s bank, which the archive's end state has not",
				       imasnap_bank_info(b)->name);
			return -IMASNAP_EVERIFY;
		}
	}
	/* The template-hash rule; the padded one only where needed (snap_padded()). */
	imasnap_replay_init(&sn->rp, imasnap_evp_ops(sn->evp));
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (sn->banks & (1U << b))
			imasnap_replay_add_lane(&sn->rp, b, IMASNAP_RULE_NORMAL);
	imasnap_replay_start(&sn->rp, &sn->s.state);
	ret = snap_open(sn);
	if (ret)
		return ret;
	if (!sn->o->quote_alg)
		return 0;
	ret = imasnap_ak_create(sn->tpm, sn->o->quote_alg, &sn->ak, &sn->ak_pkey);
	if (!ret)
		ret = imasnap_ak_keep(sn->co->dir, sn->o->quote_alg, sn->ak_pkey, sn->pem,
				      sizeof(sn->pem));
	return ret;
}

/*
 * The shard's file, begun at the first record: room for the start state
 * and for an end state with the start's PCRs and the first record's in
 * every bank (where a body that extends other PCRs too is moved, once).
 */
static int snap_body_open(struct snap *sn, u32 pcr)
{
	unsigned int room = imasnap_state_count(&sn->s.state);
	int ret, b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (sn->banks & (1U << b))
			room += (unsigned int)__builtin_popcount(sn->s.state.pcr_mask[b] |
								 (pcr < IMASNAP_NR_PCRS ? 1U << pcr : 0));
	ret = imasnap_shard_begin(&sn->body.out, sn->co->dir, sn->s.seq, room);
	if (ret) {
		imasnap_errorf("snapshot: a new shard %llu in %s: %s",
			       (unsigned long long)sn->s.seq, sn->co->dir, strerror(-ret));
		return ret;
	}
	/*
	 * The threaded replay hashes the records as they are replayed, not
	 * the spool: so does every later read's (as many threads, more lanes).
	 */
	sn->body.spool_hashes = !imasnap_mtreplay_digests(sn->m);
	sn->body.spool = imasnap_spool_new(sn->body.out.a.fd, sn->co->threads > 1,
					   sn->body.spool_hashes);
	if (!sn->body.spool) {
		ret = -errno;
		imasnap_errorf("snapshot: cannot start the body's writer: %s", strerror(-ret));
	}
	return ret;
}

static u64 snap_body_size(const struct snap *sn)
{
	return sn->body.spool ? imasnap_spool_size(sn->body.spool) : 0;
}

/*
 * The body kept so far in the shard's file, and its digest in @digest (if
 * not NULL; the threaded replay's digest is whole after snap_read()).
 */
static int snap_flush(struct snap *sn, u8 *digest)
{
	bool spool = sn->body.spool_hashes;
	int ret = sn->body.spool ? imasnap_spool_sync(sn->body.spool, spool ? digest : NULL) : 0;

	if (!ret && sn->body.spool && !spool && digest)
		ret = imasnap_sha256_so_far(sn->body.md, digest);

	if (ret)
		imasnap_errorf("snapshot: writing into %s: %s", sn->co->dir, strerror(-ret));
	return ret;
}

/* A record kept for the body. */
static int snap_keep(struct snap *sn, const struct imasnap_log_record *rec)
{
	int ret = sn->body.spool ? 0 : snap_body_open(sn, rec->pcr);

	if (ret)
		return ret;
	ret = imasnap_spool_add(sn->body.spool, rec->raw, rec->size);
	if (ret)
		imasnap_errorf("snapshot: writing into %s: %s", sn->co->dir, strerror(-ret));
	return ret;
}

/* One record: a boot's log begins with boot_aggregate, or verify refuses it. */
static int snap_record(struct snap *sn, const struct imasnap_log_record *rec,
		       struct imasnap_err *err)
{
	struct imasnap_boot_aggregate ba;
	const char *why;
	int ret;

	if (!sn->s.offset && !rec->index &&
	    imasnap_boot_aggregate_of(&sn->lf.log, rec, &ba, &why)) {
		imasnap_errorf("snapshot: %s does not begin with a boot_aggregate record, as a kernel's IMA log does",
			       sn->co->log);
		return -IMASNAP_EVERIFY;
	}
	ret = imasnap_mtreplay_record(sn->m, rec, err);
	return ret ?: snap_keep(sn, rec);
}

/* Read, replay and keep the records the log holds now, to its end. */
static int snap_read(struct snap *sn)
{
	struct imasnap_log_record rec;
	struct imasnap_err err = { 0 };
	int ret;

	/* Anew for each read: lanes may have been added since the last (snap_padded()). */
	sn->m = imasnap_mtreplay_new(&sn->rp, sn->co->threads, sn->body.md);
	if (!sn->m) {
		imasnap_errorf("snapshot: cannot start the hashing threads: %s", strerror(errno));
		return -ENOMEM;
	}
	/* The body's digest is the spool's or the replays', never both's or neither's. */
	if (sn->body.spool && sn->body.spool_hashes == imasnap_mtreplay_digests(sn->m)) {
		imasnap_errorf("snapshot: the body's digest changed hands between two reads of the log");
		imasnap_mtreplay_free(sn->m);
		sn->m = NULL;
		return -EINVAL;
	}
	while ((ret = imasnap_logfile_next(&sn->lf, &rec, &err)) > 0) {
		ret = snap_record(sn, &rec, &err);
		/* Not the replay's (it names the record): snap_record() said why. */
		if (ret && !err.reason) {
			imasnap_mtreplay_free(sn->m);
			sn->m = NULL;
			return ret;
		}
		if (ret)
			break;
	}
	if (ret >= 0)
		ret = imasnap_mtreplay_flush(sn->m, &err);
	imasnap_mtreplay_free(sn->m);
	sn->m = NULL;
	if (ret == -EBADMSG)
		imasnap_errorf("snapshot: %s: record %llu at offset %llu: %s", sn->co->log,
			       (unsigned long long)(sn->s.first_entry + err.index),
			       (unsigned long long)(sn->s.offset + err.offset), err.reason);
	else if (ret < 0 && err.reason)
		imasnap_errorf("snapshot: %s: record %llu: %s", sn->co->log,
			       (unsigned long long)(sn->s.first_entry + err.index), err.reason);
	else if (ret < 0)
		imasnap_errorf("snapshot: %s: %s", sn->co->log, strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* Body records into the padded lanes' replay (snap_padded()). */
static int padded_record(void *m, const struct imasnap_log *log,
			 const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	(void)log;
	return imasnap_mtreplay_record(m, rec, err);
}

/* The body kept so far (the temporary file) replayed into @alt. */
static int snap_replay_body(struct snap *sn, struct imasnap_replay *alt)
{
	const size_t chunk = SNAP_READ_BUF, cap = IMASNAP_TEMPLATE_DATA_MAX + 2 * chunk;
	struct imasnap_mtreplay *m = imasnap_mtreplay_new(alt, sn->co->threads, NULL);
	u64 size = snap_body_size(sn), off = 0;
	u8 *buf = malloc(cap);
	struct imasnap_err err = { 0 };
	struct imasnap_log log;
	size_t have = 0;
	int ret = m && buf ? snap_flush(sn, NULL) : -ENOMEM;

	imasnap_log_init(&log, sn->lf.log.order);
	while (!ret && off < size) {
		size_t n = size - off < chunk ? (size_t)(size - off) : chunk;
		ssize_t r = pread(sn->body.out.a.fd, buf + have, n, (off_t)(sn->body.out.base + off));

		if (r <= 0) {
			ret = r < 0 ? -errno : -ENODATA;
			break;
		}
		have += (size_t)r;
		off += (u64)r;
		ret = imasnap_log_feed(&log, buf, &have, off == size, padded_record, m,
				       &err);
	}
	if (!ret)
		ret = imasnap_mtreplay_flush(m, &err);
	if (ret)
		imasnap_errorf("snapshot: replaying the kept records again: %s",
			       err.reason ? err.reason : strerror(-ret));
	imasnap_mtreplay_free(m);
	free(buf);
	return ret;
}

/*
 * The padded-SHA-1 lanes (IMA's rule for a bank whose hash it could not
 * allocate), as in verify (imasnap_replay_padded_needed()): a bank in @bad
 * is replayed under the padded rule over the records kept so far.  Once
 * added, a lane goes on with the records read after.
 */
static int snap_padded(struct snap *sn, u32 bad)
{
	u32 want = imasnap_replay_padded_needed(&sn->rp, bad);
	struct imasnap_replay *alt;
	int b, ret;

	if (!want)
		return 0;
	alt = calloc(1, sizeof(*alt));
	if (!alt)
		return -ENOMEM;
	imasnap_replay_init(alt, imasnap_evp_ops(sn->evp));
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (want & (1U << b))
			imasnap_replay_add_lane(alt, b, IMASNAP_RULE_PADDED_SHA1);
	imasnap_replay_start(alt, &sn->s.state);
	ret = snap_replay_body(sn, alt);
	if (!ret)
		ret = imasnap_replay_merge(&sn->rp, alt);
	free(alt);
	return ret;
}

/* The banks whose replay does not reach sn->tpm_pcrs. */
static u32 snap_bad(const struct snap *sn)
{
	u32 bad = 0;
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if ((sn->banks & (1U << b)) && imasnap_replay_pick(&sn->rp, b, &sn->tpm_pcrs) < 0)
			bad |= 1U << b;
	return bad;
}

/* The banks whose replay does not reach the PCRs (read again, from the TPM). */
static int snap_compare(struct snap *sn, u32 *bad)
{
	u32 touched = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < sn->rp.nr_lanes; i++)
		touched |= sn->rp.lane[i].touched | sn->rp.lane[i].start_mask;
	imasnap_state_init(&sn->tpm_pcrs);
	ret = sn->co->pcrs ? imasnap_pcrfile_read(sn->co->pcrs, &sn->tpm_pcrs) :
	      imasnap_tpm2_read_pcrs(sn->tpm, sn->banks, touched, &sn->tpm_pcrs);
	if (ret)
		return ret;
	ret = snap_padded(sn, snap_bad(sn));
	*bad = snap_bad(sn);
	return ret;
}

/* The end state: in every bank, the lane (rule) that reached the TPM. */
static void snap_end(struct snap *sn)
{
	int b, lane;

	imasnap_state_init(&sn->sh.end);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		lane = imasnap_replay_pick(&sn->rp, b, &sn->tpm_pcrs);
		if (lane >= 0)
			imasnap_replay_state(&sn->rp, (unsigned int)lane, &sn->sh.end);
	}
}

/*
 * The trailer: a quote of the end state over the body digest.  -ESTALE
 * when the TPM's PCRs moved on meanwhile (the caller reads on).
 */
static int snap_quote(struct snap *sn)
{
	struct imasnap_shard *sh = &sn->sh;
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	TPML_PCR_SELECTION sel;
	const char *why;
	u8 want[32];
	size_t len;
	int ret;

	if (!q)
		return -ENOMEM;
	imasnap_quote_select(sh->end.pcr_mask, &sel);
	ret = snap_flush(sn, sh->body_digest);
	if (!ret)
		ret = imasnap_tpm2_quote(sn->tpm, sn->ak, sh->body_digest, 32, &sel, NULL, sh->trailer,
					 sizeof(sh->trailer), &len);
	if (!ret && imasnap_quote_parse(sh->trailer, len, q, &why))
		ret = -IMASNAP_ETPM;
	if (!ret)
		ret = imasnap_quote_state_digest(&sh->end, &sel, want);
	if (!ret && (q->attest.attested.quote.pcrDigest.size != 32 ||
		     memcmp(q->attest.attested.quote.pcrDigest.buffer, want, 32)))
		ret = -ESTALE;
	if (!ret)
		sh->trailer_size = (u32)len;
	free(q);
	return ret;
}

/*
 * Read the log and the PCRs until they agree (records may arrive while the
 * PCRs are read: read on, check again), and quote the end with --quote.
 */
static int snap_cut(struct snap *sn)
{
	u32 bad = 0;
	int ret = 0, try, b;

	for (try = 0; try < SNAPSHOT_TRIES; try++) {
		/* Records may arrive while the PCRs are read: read on from the end. */
		sn->lf.eof = false;
		ret = snap_read(sn);
		if (!ret)
			ret = snap_compare(sn, &bad);
		if (ret)
			return ret;
		if (bad && !sn->co->pcrs)
			continue;
		if (bad || !sn->o->quote_alg || !sn->lf.log.index)
			break;
		/* The quote must see the same PCRs, or read on. */
		sn->sh.body_size = snap_body_size(sn);
		snap_end(sn);
		ret = snap_quote(sn);
		if (ret != -ESTALE)
			return ret;
		bad = sn->banks;
	}
	if (ret == -ESTALE) {
		imasnap_errorf("snapshot: the TPM's PCRs moved on while quoting, %d times: records keep arriving; try again",
			       SNAPSHOT_TRIES);
		return ret;
	}
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (bad & (1U << b))
			imasnap_errorf("snapshot: %llu records from %s do not replay to the TPM's %s PCRs",
				       (unsigned long long)sn->lf.log.index, sn->s.why,
				       imasnap_bank_info(b)->name);
	if (bad && sn->s.after_boots)
		imasnap_errorf("snapshot: PCRs replay from zero only after a cold boot; after a kexec without imasnap's hand-off (nothing armed, or the carried record lost) they still hold the boots before this one, and %s has no tail to go on from: this boot cannot join the chain (a cold boot starts a new one)",
			       sn->co->dir);
	return bad ? -IMASNAP_EVERIFY : 0;
}

static void snap_report(const struct snap *sn)
{
	const struct imasnap_shard *sh = &sn->sh;
	json_object *j;
	char hex[65];

	imasnap_hex_encode(sh->digest, 32, hex);
	if (!sn->co->json) {
		printf("shard %llu: %llu records (%llu..%llu), %llu bytes, sha256:%s (%s)\n",
		       (unsigned long long)sh->seq, (unsigned long long)sh->entries,
		       (unsigned long long)sh->first_entry,
		       (unsigned long long)(sh->first_entry + sh->entries - 1),
		       (unsigned long long)sh->body_size, hex, sn->s.why);
		if (sh->trailer_size)
			printf("shard %llu: end state quoted by the %s AK (%s), %u-byte trailer\n",
			       (unsigned long long)sh->seq, sn->o->quote_alg, sn->pem,
			       sh->trailer_size);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "written", json_object_new_boolean(1));
	json_object_object_add(j, "seq", json_object_new_int64((int64_t)sh->seq));
	json_object_object_add(j, "entries", json_object_new_int64((int64_t)sh->entries));
	json_object_object_add(j, "first_entry", json_object_new_int64((int64_t)sh->first_entry));
	json_object_object_add(j, "bytes", json_object_new_int64((int64_t)sh->body_size));
	json_object_object_add(j, "digest", json_object_new_string(hex));
	json_object_object_add(j, "start", json_object_new_string(sn->s.why));
	json_object_object_add(j, "quoted", json_object_new_boolean(sh->trailer_size > 0));
	cmd_json_print(j);
}

/*
 * IMA extends a bank under one rule for a whole boot: a shard that goes on
 * in this boot must reach its end under a rule the shard before it did, or
 * verify could never replay the boot's log to the TPM.  The shard before is
 * replayed again to find its rules.
 */
static int snap_same_rules(struct snap *sn)
{
	u32 now[IMASNAP_NR_BANKS], before[IMASNAP_NR_BANKS];
	int ret, b;

	ret = imasnap_shard_rules(sn->co->dir, sn->s.seq - 1, sn->evp, "snapshot", before);
	if (ret)
		return ret;
	imasnap_replay_rules(&sn->rp, &sn->tpm_pcrs, now);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!before[b] || !now[b] || (before[b] & now[b]))
			continue;
		imasnap_errorf("snapshot: the %s bank reaches the TPM only under the %s rule, but shard %llu of this boot was extended under the %s rule: IMA uses one rule per bank for a whole boot",
			       imasnap_bank_info(b)->name, imasnap_rule_name(now[b]),
			       (unsigned long long)(sn->s.seq - 1), imasnap_rule_name(before[b]));
		return -IMASNAP_EVERIFY;
	}
	return 0;
}

/* The shard of what snap_cut() read, written atomically. */
static int snap_write(struct snap *sn)
{
	struct imasnap_shard *sh = &sn->sh;
	int ret;

	if (!sn->lf.log.index) {
		if (sn->co->json)
			printf("{\"written\":false,\"seq\":%llu}\n", (unsigned long long)sn->s.seq);
		else
			printf("nothing new since the archive's end (%s)\n",
			       sn->s.seq ? "its newest shard" : "no shard yet");
		return 0;
	}
	sh->order = sn->lf.log.order;
	sh->entries = sn->lf.log.index;
	sh->body_size = snap_body_size(sn);
	snap_end(sn);
	ret = snap_flush(sn, sh->body_digest);
	if (!ret)
		ret = imasnap_shard_finish(&sn->body.out, sn->co->dir, sh);
	if (ret) {
		imasnap_errorf("snapshot: writing shard %llu into %s: %s",
			       (unsigned long long)sh->seq, sn->co->dir, strerror(-ret));
		return ret;
	}
	snap_report(sn);
	return 0;
}

int snapshot_main(int argc, char **argv)
{
	struct snap *sn = calloc(1, sizeof(*sn));
	struct snap_opts o = { 0 };
	struct cmd_common co;
	u8 boot[16];
	int ret;

	if (sn)
		sn->body.out.a.fd = -1;
	ret = cmd_parse(&snap_cmd, argc, argv, &co, &o);
	if (!ret)
		ret = snap_check(&co, &o);
	if (ret)
		goto out;
	if (!sn) {
		ret = -ENOMEM;
		goto out;
	}
	sn->co = &co;
	sn->o = &o;
	sn->ak = ESYS_TR_NONE;
	sn->evp = imasnap_evp_new();
	ret = sn->evp ? imasnap_boot_id(co.boot_id, boot) : -ENOMEM;
	if (!ret)
		ret = snap_where(co.dir, boot, &sn->s);
	if (!ret)
		ret = snap_setup(sn);
	if (!ret) {
		sn->body.md = EVP_MD_CTX_new();
		ret = !sn->body.md ? -ENOMEM :
		      !EVP_DigestInit_ex2(sn->body.md, EVP_sha256(), NULL) ?
		      imasnap_ossl_fail("SHA-256") : 0;
	}
	if (ret)
		goto out;
	sn->sh.seq = sn->s.seq;
	sn->sh.kind = IMASNAP_SHARD_LOG;
	sn->sh.first_entry = sn->s.first_entry;
	sn->sh.log_offset = sn->s.offset;
	memcpy(sn->sh.boot_id, boot, 16);
	memcpy(sn->sh.prev_digest, sn->s.prev, 32);
	sn->sh.start = sn->s.state;
	ret = snap_cut(sn);
	/* A shard that goes on in this boot keeps its rules. */
	if (!ret && sn->lf.log.index && sn->s.offset)
		ret = snap_same_rules(sn);
	if (!ret)
		ret = snap_write(sn);
out:
	if (sn) {
		if (sn->tpm && sn->ak != ESYS_TR_NONE)
			Esys_FlushContext(imasnap_tpm2_esys(sn->tpm), sn->ak);
		EVP_PKEY_free(sn->ak_pkey);
		imasnap_tpm2_close(sn->tpm);
		imasnap_evp_free(sn->evp);
		if (sn->lf_open)
			imasnap_logfile_close(&sn->lf);
		imasnap_spool_free(sn->body.spool);
		EVP_MD_CTX_free(sn->body.md);
		imasnap_shard_abort(&sn->body.out);
		free(sn);
	}
	return ret < 0 ? ret : 0;
}
