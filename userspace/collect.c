// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap collect: in the kernel after kexec, archive the tail the module
 * carried (the records measured between the cut and the kexec) as the next
 * shard, then tell the module to release it.  The carried record must name
 * the archive's newest shard.  Running it again after a crash is safe: a
 * tail already archived is only released.
 */
#include <getopt.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "archive.h"

static int collect_usage(FILE *f, int ret)
{
	fprintf(f, "Usage: imasnap collect --dir DIR [--securityfs DIR] [--keep] [--json]\n"
		"  --dir DIR          the archive\n"
		"  --securityfs DIR   the module's folder (default %s)\n"
		"  --keep             do not release the module's copy afterwards\n"
		"  --json             machine-readable result on stdout\n",
		IMASNAP_SECURITYFS);
	return ret;
}

/* The result: what was archived (@seq, or -1 for nothing) and released. */
static void collect_report(bool json, const char *what, long long seq, const struct imasnap_record *r,
			   bool released)
{
	json_object *j;

	if (!json) {
		if (seq >= 0 && r)
			printf("shard %lld: tail of %u records (%u bytes) %s\n", seq,
			       r->tail_entries, r->tail_size, what);
		else
			printf("%s\n", what);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "collected", json_object_new_boolean(seq >= 0));
	if (seq >= 0 && r) {
		json_object_object_add(j, "seq", json_object_new_int64(seq));
		json_object_object_add(j, "tail_records", json_object_new_int64(r->tail_entries));
		json_object_object_add(j, "tail_bytes", json_object_new_int64(r->tail_size));
	}
	json_object_object_add(j, "result", json_object_new_string(what));
	json_object_object_add(j, "released", json_object_new_boolean(released));
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

/* "carried=accepted" in the status text? */
static bool status_accepted(const char *status, const char **reason)
{
	const char *r = strstr(status, "carried_reason=");

	*reason = r ? r + strlen("carried_reason=") : "unknown";
	return strstr(status, "\ncarried=accepted\n") != NULL;
}

int collect_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "securityfs", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct imasnap_record *r = calloc(1, sizeof(*r));
	struct imasnap_shard *last = calloc(1, sizeof(*last));
	struct imasnap_shard *tail = calloc(1, sizeof(*tail));
	struct imasnap_evp *evp = imasnap_evp_new();
	const char *dir = NULL, *sfs = IMASNAP_SECURITYFS, *reason;
	u8 *status = NULL, *rec = NULL;
	size_t slen, rlen;
	struct imasnap_err err;
	bool keep = false, json = false;
	struct imasnap_buf v;
	const char *what;
	long long seq;
	u8 digest[32];
	char path[4096], hex[65];
	u64 count;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': sfs = optarg; break;
		case 'k': keep = true; break;
		case 'j': json = true; break;
		case 'h': ret = collect_usage(stdout, IMASNAP_EXIT_OK); goto out;
		default: ret = collect_usage(stderr, IMASNAP_EXIT_USAGE); goto out;
		}
	}
	if (!dir || optind != argc) {
		ret = collect_usage(stderr, IMASNAP_EXIT_USAGE);
		goto out;
	}
	if (!r || !last || !tail || !evp) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/status", sfs);
	ret = archive_read_file(path, &status, &slen);
	if (ret) {
		imasnap_errorf("collect: %s: %s (is the imasnap module loaded?)", path,
			       strerror(-ret));
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	if (strstr((char *)status, "\ncarried=none\n") ||
	    strstr((char *)status, "\ncarried=released\n")) {
		collect_report(json, "nothing carried into this boot", -1, NULL, false);
		ret = IMASNAP_EXIT_OK;
		goto out;
	}
	if (!status_accepted((char *)status, &reason)) {
		imasnap_errorf("collect: the module rejected the carried record: %.*s",
			       (int)strcspn(reason, "\n"), reason);
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/carried", sfs);
	ret = archive_read_file(path, &rec, &rlen);
	if (ret) {
		imasnap_errorf("collect: %s: %s", path, strerror(-ret));
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	ret = imasnap_record_decode(rec, rlen, r, imasnap_evp_ops(evp), &err);
	if (ret) {
		imasnap_errorf("collect: %s: at byte %llu: %s", path,
			       (unsigned long long)err.offset, err.reason);
		ret = IMASNAP_EXIT_MALFORMED;
		goto out;
	}
	if (!(r->flags & IMASNAP_REC_TAIL_VERIFIED)) {
		imasnap_errorf("collect: the carried record does not say its tail was verified");
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	ret = archive_newest(dir, &count, last);
	if (ret)
		goto out;
	if (count && last->kind == IMASNAP_SHARD_TAIL &&
	    !memcmp(last->prev_digest, r->shard_digest, 32) &&
	    !memcmp(last->body_digest, r->tail_digest, 32) && last->seq == r->seq + 1) {
		what = "already archived";
		seq = (long long)last->seq;
		goto release;
	}
	if (!count || last->kind != IMASNAP_SHARD_LOG || last->seq != r->seq ||
	    memcmp(last->digest, r->shard_digest, 32)) {
		imasnap_hex_encode(r->shard_digest, 32, hex);
		imasnap_errorf("collect: the carried record continues shard %llu (sha256:%s), which is not the newest shard of %s",
			       (unsigned long long)r->seq, hex, dir);
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	if (memcmp(&last->end, &r->armed, sizeof(r->armed))) {
		imasnap_errorf("collect: the carried record was armed with another end state than shard %llu's",
			       (unsigned long long)last->seq);
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	tail->seq = last->seq + 1;
	tail->kind = IMASNAP_SHARD_TAIL;
	tail->order = (r->flags & IMASNAP_REC_TAIL_BE) ? IMASNAP_LOG_BE : IMASNAP_LOG_LE;
	tail->first_entry = r->entries;
	tail->entries = r->tail_entries;
	tail->log_offset = r->cut_offset;
	tail->body_size = r->tail_size;
	memcpy(tail->boot_id, last->boot_id, 16);
	memcpy(tail->prev_digest, last->digest, 32);
	tail->start = last->end;
	tail->end = r->pcrs;
	/* Nothing is written unless the tail is the one the record names. */
	v.data = r->tail;
	v.len = r->tail_size;
	if (imasnap_evp_ops(evp)->digest(imasnap_evp_ops(evp)->priv, IMASNAP_BANK_SHA256,
					 &v, 1, digest) ||
	    memcmp(digest, r->tail_digest, 32)) {
		imasnap_errorf("collect: the carried tail's digest differs from the record's");
		ret = IMASNAP_EXIT_MISMATCH;
		goto out;
	}
	ret = imasnap_shard_write(dir, tail, r->tail, imasnap_evp_ops(evp));
	if (ret) {
		imasnap_errorf("collect: writing shard %llu into %s: %s",
			       (unsigned long long)tail->seq, dir, strerror(-ret));
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	what = "carried across kexec";
	seq = (long long)tail->seq;
release:
	ret = IMASNAP_EXIT_OK;
	if (!keep) {
		snprintf(path, sizeof(path), "%s/release", sfs);
		c = archive_write_file(path, "1", 1);
		if (c) {
			imasnap_errorf("collect: writing %s: %s", path, strerror(-c));
			ret = IMASNAP_EXIT_IO;
		}
	}
	collect_report(json, what, seq, r, !keep && !ret);
out:
	free(r);
	free(last);
	free(tail);
	free(status);
	free(rec);
	imasnap_evp_free(evp);
	return ret;
}
