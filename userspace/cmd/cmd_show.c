// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap show FILE: a shard, a handoff record (the module's carried file)
 * or an IMA binary log, for humans.  The file's kind is told by its magic.
 * Everything printed has been checked as the verifier checks it.
 */
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"

static void json_hex(json_object *j, const char *key, const u8 *p, size_t n)
{
	char hex[2 * IMASNAP_MAX_DIGEST_SIZE + 1];

	imasnap_hex_encode(p, n, hex);
	json_object_object_add(j, key, json_object_new_string(hex));
}

static void json_u64(json_object *j, const char *key, u64 v)
{
	json_object_object_add(j, key, json_object_new_int64((int64_t)v));
}

/* [{"bank": "sha256", "pcr": 10, "value": "..."}, ...] */
static json_object *json_state(const struct imasnap_state *st)
{
	json_object *a = json_object_new_array();
	int b;
	u32 p;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			json_object *v;

			if (!imasnap_state_has(st, b, p))
				continue;
			v = json_object_new_object();
			json_object_object_add(v, "bank",
					       json_object_new_string(imasnap_bank_info(b)->name));
			json_u64(v, "pcr", p);
			json_hex(v, "value", st->pcr[b][p], imasnap_bank_info(b)->size);
			json_object_array_add(a, v);
		}
	return a;
}

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

static void show_shard_json(const struct imasnap_shard *sh)
{
	json_object *j = json_object_new_object();
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	const char *why;

	json_object_object_add(j, "kind", json_object_new_string("shard"));
	json_u64(j, "seq", sh->seq);
	json_object_object_add(j, "shard_kind", json_object_new_string(
			       sh->kind == IMASNAP_SHARD_TAIL ? "tail" : "log"));
	json_hex(j, "boot_id", sh->boot_id, 16);
	json_u64(j, "first_entry", sh->first_entry);
	json_u64(j, "entries", sh->entries);
	json_u64(j, "log_offset", sh->log_offset);
	json_u64(j, "body_bytes", sh->body_size);
	json_hex(j, "prev_digest", sh->prev_digest, 32);
	json_hex(j, "body_digest", sh->body_digest, 32);
	json_hex(j, "digest", sh->digest, 32);
	json_object_object_add(j, "start", json_state(&sh->start));
	json_object_object_add(j, "end", json_state(&sh->end));
	json_u64(j, "trailer_bytes", sh->trailer_size);
	if (q && sh->trailer_size &&
	    !imasnap_quote_parse(sh->trailer, sh->trailer_size, q, &why)) {
		json_object *t = json_object_new_object();

		json_hex(t, "qualifying_data", q->attest.extraData.buffer, q->attest.extraData.size);
		json_u64(t, "clock", q->attest.clockInfo.clock);
		json_u64(t, "reset_count", q->attest.clockInfo.resetCount);
		json_u64(t, "restart_count", q->attest.clockInfo.restartCount);
		json_object_object_add(t, "safe", json_object_new_boolean(q->attest.clockInfo.safe));
		json_object_object_add(j, "trailer_quote", t);
	}
	free(q);
	cmd_json_print(j);
}

static int show_shard(const char *path, bool json)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_err err;
	char hex[65];
	int ret;

	if (!sh)
		return -ENOMEM;
	ret = imasnap_shard_read(path, sh, NULL, &err);
	if (ret) {
		if (ret == -EBADMSG)
			imasnap_errorf("%s: at byte %llu: %s", path,
				       (unsigned long long)err.offset, err.reason);
		else
			imasnap_errorf("%s: %s", path, strerror(-ret));
		free(sh);
		return ret;
	}
	if (json) {
		show_shard_json(sh);
		free(sh);
		return 0;
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
	return 0;
}

static void show_record_json(const struct imasnap_record *r, const char *const flags[])
{
	json_object *j = json_object_new_object(), *f = json_object_new_array();
	int i;

	json_object_object_add(j, "kind", json_object_new_string("record"));
	json_u64(j, "seq", r->seq);
	for (i = 0; i < 6; i++)
		if (r->flags & (1U << i))
			json_object_array_add(f, json_object_new_string(flags[i]));
	json_object_object_add(j, "flags", f);
	json_u64(j, "entries", r->entries);
	json_u64(j, "cut_offset", r->cut_offset);
	json_u64(j, "tail_entries", r->tail_entries);
	json_u64(j, "tail_bytes", r->tail_size);
	json_hex(j, "shard_digest", r->shard_digest, 32);
	json_hex(j, "tail_digest", r->tail_digest, 32);
	json_u64(j, "reset_count", r->reset_count);
	json_u64(j, "restart_count", r->restart_count);
	json_u64(j, "capture_ns", r->capture_ns);
	json_object_object_add(j, "armed", json_state(&r->armed));
	json_object_object_add(j, "tpm", json_state(&r->pcrs));
	cmd_json_print(j);
}

static int show_record(const u8 *buf, size_t len, const char *path, bool json)
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
		return -ENOMEM;
	}
	ret = imasnap_record_decode(buf, len, r, imasnap_evp_ops(evp), &err);
	if (ret) {
		imasnap_errorf("%s: at byte %llu: %s", path, (unsigned long long)err.offset,
			       ret == -EBADMSG ? err.reason : strerror(-ret));
		goto out;
	}
	if (json) {
		show_record_json(r, flags);
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
out:
	free(r);
	imasnap_evp_free(evp);
	return ret;
}

static int show_log(const char *path, bool json)
{
	json_object *a = json ? json_object_new_array() : NULL;
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	char hex[41];
	int ret;

	ret = imasnap_logfile_open(&lf, path, IMASNAP_ORDER_AUTO);
	if (ret) {
		imasnap_errorf("%s: %s", path, lf.why);
		json_object_put(a);
		return ret;
	}
	if (!json)
		printf("%-6s %-8s %-3s %-40s %s\n", "record", "offset", "pcr",
		       "template digest (sha1)", "template");
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		imasnap_hex_encode(rec.digest, 20, hex);
		if (json) {
			json_object *r = json_object_new_object();

			json_u64(r, "record", rec.index);
			json_u64(r, "offset", rec.offset);
			json_u64(r, "pcr", rec.pcr);
			json_object_object_add(r, "template_digest", json_object_new_string(hex));
			json_object_object_add(r, "template",
					       json_object_new_string_len((const char *)rec.name,
									  (int)rec.name_len));
			json_object_object_add(r, "violation",
					       json_object_new_boolean(imasnap_log_is_violation(&rec)));
			json_object_array_add(a, r);
			continue;
		}
		printf("%-6llu %-8llu %-3u %s %.*s%s\n", (unsigned long long)rec.index,
		       (unsigned long long)rec.offset, rec.pcr, hex, (int)rec.name_len, rec.name,
		       imasnap_log_is_violation(&rec) ? " (violation)" : "");
	}
	imasnap_logfile_close(&lf);
	if (json && !ret)
		cmd_json_print(a);
	else if (json)
		json_object_put(a);
	if (ret == -EBADMSG)
		imasnap_errorf("%s: record %llu at offset %llu: %s", path,
			       (unsigned long long)err.index, (unsigned long long)err.offset,
			       err.reason);
	else if (ret)
		imasnap_errorf("%s: %s", path, strerror(-ret));
	return ret;
}

static const struct cmd show_cmd = {
	.name = "show",
	.usage = "Usage: imasnap show [--json] FILE   (a shard, a handoff record or an IMA log)\n",
	.common = CMD_JSON,
	.nargs = 1,
};

/* The magic of @path's first 4 bytes (0 when shorter): what kind of file it is. */
static int show_magic(const char *path, u32 *magic)
{
	const char *why;
	u8 b[4];
	int fd, ret;

	*magic = 0;
	fd = imasnap_open_input(path, SIZE_MAX, &why);
	if (fd < 0) {
		imasnap_errorf("%s: %s", path, why);
		return fd;
	}
	ret = imasnap_read_full(fd, b, sizeof(b));
	close(fd);
	if (!ret)
		*magic = get_unaligned_le32(b);
	else if (ret != -ENODATA)
		imasnap_errorf("%s: %s", path, strerror(-ret));
	return ret == -ENODATA ? 0 : ret;
}

/* A handoff record: read whole, at most the largest the format allows. */
static int show_record_file(const char *path, bool json)
{
	const char *why;
	u8 *buf;
	size_t len;
	int ret;

	ret = imasnap_read_file(path, IMASNAP_RECORD_MAX_SIZE, &buf, &len, &why);
	if (ret) {
		imasnap_errorf("%s: %s", path, why);
		return ret;
	}
	ret = show_record(buf, len, path, json);
	free(buf);
	return ret;
}

/* Shards and logs are streamed: show holds neither whole. */
int show_main(int argc, char **argv)
{
	struct cmd_common co;
	const char *path;
	u32 magic;
	int ret;

	ret = cmd_parse(&show_cmd, argc, argv, &co, NULL);
	if (ret)
		return ret < 0 ? ret : 0;
	path = co.args[0];
	ret = show_magic(path, &magic);
	if (ret)
		return ret;
	if (magic == IMASNAP_SHARD_MAGIC)
		return show_shard(path, co.json);
	if (magic == IMASNAP_RECORD_MAGIC)
		return show_record_file(path, co.json);
	return show_log(path, co.json);
}
