// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap collect: in the kernel after kexec, archive the tail the module
 * carried (the records measured between the cut and the kexec) as the next
 * shard, then tell the module to release it.  The carried record must name
 * the archive's newest shard.  Running it again after a crash is safe: a
 * tail already archived is only released.
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "cmd.h"

struct collect_opts {
	bool keep;
};

static int collect_opt(void *priv, int c, const char *arg)
{
	struct collect_opts *o = priv;

	(void)arg;
	if (c == 'k')
		o->keep = true;
	return 0;
}

static const struct option collect_longopts[] = {
	{ "keep", no_argument, NULL, 'k' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd collect_cmd = {
	.name = "collect",
	.usage =
	"Usage: imasnap collect --dir DIR [--securityfs DIR] [--keep] [--json]\n"
	"  --dir DIR          the archive\n"
	"  --securityfs DIR   the module's folder (default " IMASNAP_SECURITYFS ")\n"
	"  --keep             do not release the module's copy afterwards\n"
	"  --json             machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_SECURITYFS | CMD_JSON,
	.need_dir = true,
	.own = collect_longopts,
	.opt = collect_opt,
};

/* What collect did: archived shard @seq (-1: nothing), and whether it released. */
struct collect_result {
	const char *what;
	long long seq;
	bool released;
};

static void collect_report(bool json, const struct collect_result *res,
			   const struct imasnap_record *r)
{
	json_object *j;

	if (!json) {
		if (res->seq >= 0)
			printf("shard %lld: tail of %u records (%u bytes) %s\n", res->seq,
			       r->tail_entries, r->tail_size, res->what);
		else
			printf("%s\n", res->what);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "collected", json_object_new_boolean(res->seq >= 0));
	if (res->seq >= 0) {
		json_object_object_add(j, "seq", json_object_new_int64(res->seq));
		json_object_object_add(j, "tail_records", json_object_new_int64(r->tail_entries));
		json_object_object_add(j, "tail_bytes", json_object_new_int64(r->tail_size));
	}
	json_object_object_add(j, "result", json_object_new_string(res->what));
	json_object_object_add(j, "released", json_object_new_boolean(res->released));
	cmd_json_print(j);
}

/*
 * The module's word on the carried record: 1 accepted, 0 nothing carried,
 * or -errno (a rejection is -IMASNAP_EVERIFY, named).
 */
static int collect_status(const struct cmd_common *co)
{
	const char *reason, *why;
	char path[4096];
	u8 *status;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/status", co->securityfs);
	ret = imasnap_read_file(path, CMD_STATUS_MAX, &status, &len, &why);
	if (ret) {
		imasnap_errorf("collect: %s: %s (is the imasnap module loaded?)", path, why);
		return ret;
	}
	if (strstr((char *)status, "\ncarried=none\n") ||
	    strstr((char *)status, "\ncarried=released\n")) {
		ret = 0;
	} else if (strstr((char *)status, "\ncarried=accepted\n")) {
		ret = 1;
	} else {
		reason = strstr((char *)status, "carried_reason=");
		reason = reason ? reason + strlen("carried_reason=") : "unknown";
		imasnap_errorf("collect: the module rejected the carried record: %.*s",
			       (int)strcspn(reason, "\n"), reason);
		ret = -IMASNAP_EVERIFY;
	}
	free(status);
	return ret;
}

/* The carried record, decoded into @r (its tail points into *@buf). */
static int collect_record(const struct cmd_common *co, struct imasnap_evp *evp,
			  struct imasnap_record *r, u8 **buf)
{
	struct imasnap_err err;
	const char *why;
	char path[4096];
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/carried", co->securityfs);
	ret = imasnap_read_file(path, IMASNAP_RECORD_MAX_SIZE, buf, &len, &why);
	if (ret) {
		imasnap_errorf("collect: %s: %s", path, why);
		return ret;
	}
	ret = imasnap_record_decode(*buf, len, r, imasnap_evp_ops(evp), &err);
	if (ret) {
		imasnap_errorf("collect: %s: at byte %llu: %s", path,
			       (unsigned long long)err.offset, err.reason);
		return -EBADMSG;
	}
	if (!(r->flags & IMASNAP_REC_TAIL_VERIFIED)) {
		imasnap_errorf("collect: the carried record does not say its tail was verified");
		return -IMASNAP_EVERIFY;
	}
	return 0;
}

/*
 * The tail replayed from @last's end must give exactly the PCRs the record
 * names, in the same banks: what verify will check of the tail shard.
 */
static int collect_replays(const char *dir, struct imasnap_evp *evp,
			   const struct imasnap_record *r, const struct imasnap_shard *last)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_state *got = calloc(1, sizeof(*got));
	u32 now[IMASNAP_NR_BANKS], before[IMASNAP_NR_BANKS];
	struct imasnap_log log;
	struct imasnap_err err;
	int ret, b, lane;

	if (!rp || !got) {
		ret = -ENOMEM;
		goto out;
	}
	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	imasnap_replay_add_banks(rp, imasnap_state_banks(&last->end));
	imasnap_replay_start(rp, &last->end);
	imasnap_log_init(&log, (r->flags & IMASNAP_REC_TAIL_BE) ? IMASNAP_LOG_BE : IMASNAP_LOG_LE);
	ret = imasnap_replay_buffer(rp, &log, r->tail, r->tail_size, &err);
	if (ret) {
		imasnap_errorf("collect: the carried tail: record %llu: %s",
			       (unsigned long long)err.index, err.reason);
		goto out;
	}
	ret = -IMASNAP_EVERIFY;
	if (imasnap_state_banks(&r->pcrs) != imasnap_state_banks(&last->end)) {
		imasnap_errorf("collect: the carried record's PCRs are of other banks than shard %llu's end",
			       (unsigned long long)last->seq);
		goto out;
	}
	/* The tail is the old boot's: the rules its shards were extended under. */
	ret = imasnap_shard_rules(dir, last->seq, evp, "collect", before);
	if (ret)
		goto out;
	imasnap_replay_rules(rp, &r->pcrs, now);
	ret = -IMASNAP_EVERIFY;
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!r->pcrs.pcr_mask[b])
			continue;
		if (before[b] && now[b] && !(before[b] & now[b])) {
			imasnap_errorf("collect: the carried tail reaches the %s PCRs only under the %s rule, but shard %llu of its boot under the %s rule",
				       imasnap_bank_info(b)->name, imasnap_rule_name(now[b]),
				       (unsigned long long)last->seq, imasnap_rule_name(before[b]));
			goto out;
		}
		lane = imasnap_replay_pick(rp, b, &r->pcrs);
		imasnap_state_init(got);
		if (lane >= 0)
			imasnap_replay_state(rp, (unsigned int)lane, got);
		if (lane < 0 || got->pcr_mask[b] != r->pcrs.pcr_mask[b]) {
			imasnap_errorf("collect: the carried tail does not replay from shard %llu's end to the %s PCRs the record names",
				       (unsigned long long)last->seq, imasnap_bank_info(b)->name);
			goto out;
		}
	}
	ret = 0;
out:
	free(rp);
	free(got);
	return ret;
}

/*
 * Archive the carried tail after the newest shard @last it must continue:
 * 1 when it is already archived, 0 when written now, or -errno.
 */
static int collect_tail(const struct cmd_common *co, struct imasnap_evp *evp,
			const struct imasnap_record *r, const struct imasnap_shard *last,
			u64 count, struct imasnap_shard *tail)
{
	u8 digest[32];
	char hex[65];
	int ret;

	if (count && last->kind == IMASNAP_SHARD_TAIL &&
	    !memcmp(last->prev_digest, r->shard_digest, 32) &&
	    !memcmp(last->body_digest, r->tail_digest, 32) && last->seq == r->seq + 1) {
		tail->seq = last->seq;
		return 1;
	}
	if (!count || last->kind != IMASNAP_SHARD_LOG || last->seq != r->seq ||
	    memcmp(last->digest, r->shard_digest, 32)) {
		imasnap_hex_encode(r->shard_digest, 32, hex);
		imasnap_errorf("collect: the carried record continues shard %llu (sha256:%s), which is not the newest shard of %s",
			       (unsigned long long)r->seq, hex, co->dir);
		return -IMASNAP_EVERIFY;
	}
	if (memcmp(&last->end, &r->armed, sizeof(r->armed))) {
		imasnap_errorf("collect: the carried record was armed with another end state than shard %llu's",
			       (unsigned long long)last->seq);
		return -IMASNAP_EVERIFY;
	}
	if (r->entries != last->first_entry + last->entries ||
	    r->cut_offset != last->log_offset + last->body_size) {
		imasnap_errorf("collect: the carried record's cut (%llu records, offset %llu) is not where shard %llu ends (%llu records, offset %llu)",
			       (unsigned long long)r->entries, (unsigned long long)r->cut_offset,
			       (unsigned long long)last->seq,
			       (unsigned long long)(last->first_entry + last->entries),
			       (unsigned long long)(last->log_offset + last->body_size));
		return -IMASNAP_EVERIFY;
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
	ret = imasnap_sha256(evp, r->tail, r->tail_size, digest);
	if (ret)
		return ret;
	if (memcmp(digest, r->tail_digest, 32)) {
		imasnap_errorf("collect: the carried tail's digest differs from the record's");
		return -IMASNAP_EVERIFY;
	}
	ret = collect_replays(co->dir, evp, r, last);
	if (ret)
		return ret;
	ret = imasnap_shard_write(co->dir, tail, r->tail, imasnap_evp_ops(evp));
	if (ret)
		imasnap_errorf("collect: writing shard %llu into %s: %s",
			       (unsigned long long)tail->seq, co->dir, strerror(-ret));
	return ret;
}

static int collect_release(const struct cmd_common *co)
{
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/release", co->securityfs);
	ret = imasnap_write_file(path, "1", 1);
	if (ret)
		imasnap_errorf("collect: writing %s: %s", path, strerror(-ret));
	return ret;
}

int collect_main(int argc, char **argv)
{
	struct imasnap_record *r = calloc(1, sizeof(*r));
	struct imasnap_shard *last = calloc(1, sizeof(*last));
	struct imasnap_shard *tail = calloc(1, sizeof(*tail));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct collect_result res = { .seq = -1 };
	struct collect_opts o = { 0 };
	struct cmd_common co;
	u8 *rec = NULL;
	u64 count;
	int ret;

	ret = cmd_parse(&collect_cmd, argc, argv, &co, &o);
	if (ret)
		goto out;
	if (!r || !last || !tail || !evp) {
		ret = -ENOMEM;
		goto out;
	}
	ret = collect_status(&co);
	if (ret <= 0) {
		if (!ret) {
			res.what = "nothing carried into this boot";
			collect_report(co.json, &res, r);
		}
		goto out;
	}
	ret = collect_record(&co, evp, r, &rec);
	if (!ret)
		ret = imasnap_archive_newest(co.dir, &count, last);
	if (!ret)
		ret = collect_tail(&co, evp, r, last, count, tail);
	if (ret < 0)
		goto out;
	res.what = ret ? "already archived" : "carried across kexec";
	res.seq = (long long)tail->seq;
	ret = o.keep ? 0 : collect_release(&co);
	res.released = !o.keep && !ret;
	collect_report(co.json, &res, r);
out:
	free(r);
	free(last);
	free(tail);
	free(rec);
	imasnap_evp_free(evp);
	return ret < 0 ? ret : 0;
}
