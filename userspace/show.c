// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap show FILE: a shard, a handoff record (the module's carried file)
 * or an IMA binary log, for humans.  The file's kind is told by its magic.
 * Everything printed has been checked as the verifier checks it.
 */
#include <stdlib.h>

#include "archive.h"
#include "quote.h"

static void show_state(const char *what, const struct imasnap_state *st)
{
	char hex[2 * IMASNAP_MAX_DIGEST_SIZE + 1];
	int b;
	u32 p;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!imasnap_state_has(st, b, p))
				continue;
			imasnap_hex_encode(st->pcr[b][p], imasnap_bank_info(b)->size, hex);
			printf("%-13s %s %u %s\n", what, imasnap_bank_info(b)->name, p, hex);
		}
}

/* The trailer quote, decoded (show does not check it: verify does). */
static void show_trailer(const struct imasnap_shard *sh)
{
	struct imasnap_quote *q;
	const TPMS_CLOCK_INFO *ci;
	const char *why;

	if (!sh->trailer_size) {
		printf("trailer       none\n");
		return;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return;
	if (imasnap_quote_parse(sh->trailer, sh->trailer_size, q, &why)) {
		printf("trailer       %u bytes, not a quote: %s\n", sh->trailer_size, why);
	} else {
		ci = &q->attest.clockInfo;
		printf("trailer       %u bytes, a %s quote over %s\n", sh->trailer_size,
		       q->sig.sigAlg == TPM2_ALG_ECDSA ? "ECDSA" : "RSA",
		       q->attest.extraData.size == 32 &&
		       !memcmp(q->attest.extraData.buffer, sh->body_digest, 32) ?
		       "the body digest" : "something else than the body digest");
		printf("tpm_clock     %llu ms, resetCount %u, restartCount %u, safe %s\n",
		       (unsigned long long)ci->clock, ci->resetCount, ci->restartCount,
		       ci->safe ? "yes" : "no");
	}
	free(q);
}

static int show_shard(const char *path)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_err err;
	char hex[65];
	int ret;

	if (!sh)
		return IMASNAP_EXIT_FAILURE;
	ret = imasnap_shard_read(path, sh, NULL, &err);
	if (ret) {
		if (ret == -EBADMSG)
			imasnap_errorf("%s: at byte %llu: %s", path,
				       (unsigned long long)err.offset, err.reason);
		else
			imasnap_errorf("%s: %s", path, strerror(-ret));
		free(sh);
		return ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_IO;
	}
	printf("shard         %llu (%s)\n", (unsigned long long)sh->seq,
	       sh->kind == IMASNAP_SHARD_TAIL ? "tail carried across kexec" : "log");
	imasnap_hex_encode(sh->boot_id, 16, hex);
	printf("boot_id       %s\n", hex);
	if (sh->entries)
		printf("records       %llu..%llu (%llu)\n", (unsigned long long)sh->first_entry,
		       (unsigned long long)(sh->first_entry + sh->entries - 1),
		       (unsigned long long)sh->entries);
	else
		printf("records       none\n");
	printf("log_offset    %llu\nbody_bytes    %llu\n", (unsigned long long)sh->log_offset,
	       (unsigned long long)sh->body_size);
	imasnap_hex_encode(sh->prev_digest, 32, hex);
	printf("prev          sha256:%s\n", hex);
	imasnap_hex_encode(sh->body_digest, 32, hex);
	printf("body          sha256:%s\n", hex);
	imasnap_hex_encode(sh->digest, 32, hex);
	printf("digest        sha256:%s\n", hex);
	show_state("start", &sh->start);
	show_state("end", &sh->end);
	show_trailer(sh);
	free(sh);
	return IMASNAP_EXIT_OK;
}

static int show_record(const u8 *buf, size_t len, const char *path)
{
	static const char *const flags[] = {
		"tail_verified", "tail_mismatch", "tail_truncated", "no_tpm",
		"tail_big_endian", "tail_unreadable",
	};
	struct imasnap_record *r = calloc(1, sizeof(*r));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_err err;
	char hex[65];
	int ret, i;

	if (!r || !evp) {
		free(r);
		imasnap_evp_free(evp);
		return IMASNAP_EXIT_FAILURE;
	}
	ret = imasnap_record_decode(buf, len, r, imasnap_evp_ops(evp), &err);
	if (ret) {
		imasnap_errorf("%s: at byte %llu: %s", path, (unsigned long long)err.offset,
			       ret == -EBADMSG ? err.reason : strerror(-ret));
		ret = ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_FAILURE;
		goto out;
	}
	printf("record        seq %llu\n", (unsigned long long)r->seq);
	printf("flags        ");
	for (i = 0; i < 6; i++)
		if (r->flags & (1U << i))
			printf(" %s", flags[i]);
	printf("\ncut           %llu records, offset %llu\n", (unsigned long long)r->entries,
	       (unsigned long long)r->cut_offset);
	printf("tail          %u records, %u bytes\n", r->tail_entries, r->tail_size);
	imasnap_hex_encode(r->shard_digest, 32, hex);
	printf("shard         sha256:%s\n", hex);
	imasnap_hex_encode(r->tail_digest, 32, hex);
	printf("tail_digest   sha256:%s\n", hex);
	printf("tpm_counters  reset %llu, restart %u\n", (unsigned long long)r->reset_count,
	       r->restart_count);
	printf("capture_ns    %llu\n", (unsigned long long)r->capture_ns);
	show_state("armed", &r->armed);
	show_state("tpm", &r->pcrs);
	ret = IMASNAP_EXIT_OK;
out:
	free(r);
	imasnap_evp_free(evp);
	return ret;
}

static int show_log(const char *path)
{
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	char hex[41];
	int ret;

	ret = imasnap_logfile_open(&lf, path, IMASNAP_ORDER_AUTO);
	if (ret) {
		imasnap_errorf("%s: %s", path, strerror(-ret));
		return IMASNAP_EXIT_IO;
	}
	printf("%-6s %-8s %-3s %-40s %s\n", "record", "offset", "pcr", "template digest (sha1)",
	       "template");
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		imasnap_hex_encode(rec.digest, 20, hex);
		printf("%-6llu %-8llu %-3u %s %.*s%s\n", (unsigned long long)rec.index,
		       (unsigned long long)rec.offset, rec.pcr, hex, (int)rec.name_len, rec.name,
		       imasnap_log_is_violation(&rec) ? " (violation)" : "");
	}
	imasnap_logfile_close(&lf);
	if (ret == -EBADMSG) {
		imasnap_errorf("%s: record %llu at offset %llu: %s", path,
			       (unsigned long long)err.index, (unsigned long long)err.offset,
			       err.reason);
		return IMASNAP_EXIT_MALFORMED;
	}
	if (ret) {
		imasnap_errorf("%s: %s", path, strerror(-ret));
		return IMASNAP_EXIT_IO;
	}
	return IMASNAP_EXIT_OK;
}

int show_main(int argc, char **argv)
{
	u8 *buf = NULL;
	size_t len = 0;
	int ret;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"Usage: imasnap show FILE   (a shard, a handoff record or an IMA log)\n");
		return argc == 2 && !strcmp(argv[1], "--help") ? IMASNAP_EXIT_OK :
			IMASNAP_EXIT_USAGE;
	}
	ret = archive_read_file(argv[1], &buf, &len);
	if (ret) {
		imasnap_errorf("%s: %s", argv[1], strerror(-ret));
		return IMASNAP_EXIT_IO;
	}
	if (len >= 4 && get_unaligned_le32(buf) == IMASNAP_SHARD_MAGIC)
		ret = show_shard(argv[1]);
	else if (len >= 4 && get_unaligned_le32(buf) == IMASNAP_RECORD_MAGIC)
		ret = show_record(buf, len, argv[1]);
	else
		ret = show_log(argv[1]);
	free(buf);
	return ret;
}
