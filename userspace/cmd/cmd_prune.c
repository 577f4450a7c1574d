// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap prune: delete the archive's oldest shards, keeping it verifiable.
 *
 * The archive grows with IMA's log.  Shards before one whose trailer holds
 * a quote of its end state signed by the AK can go: `verify --anchored`
 * (or a verifier's checkpoint) starts there.  prune refuses any other cut,
 * and deletes oldest first, so a crash leaves a gap-free archive.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"

struct prune_opts {
	const char *ak;
	bool dry;
	bool have_before;
	unsigned long long before;
};

static const struct cmd prune_cmd;

static int prune_opt(void *priv, int c, const char *arg)
{
	struct prune_opts *o = priv;
	char *end;

	switch (c) {
	case 'k':
		o->ak = arg;
		break;
	case 'n':
		o->dry = true;
		break;
	case 'b':
		errno = 0;
		o->before = strtoull(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end || errno)
			return cmd_usage_error(&prune_cmd, "--before takes a shard number");
		o->have_before = true;
		break;
	}
	return 0;
}

static const struct option prune_longopts[] = {
	{ "before", required_argument, NULL, 'b' },
	{ "ak", required_argument, NULL, 'k' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd prune_cmd = {
	.name = "prune",
	.usage =
	"Usage: imasnap prune --dir DIR --ak PEM [--before SEQ] [--dry-run] [--json]\n"
	"  --dir DIR      the archive\n"
	"  --before SEQ   delete the shards before SEQ (default: before the newest shard\n"
	"                 whose trailer quote the AK signs); shard SEQ must have one\n"
	"  --ak PEM       the attestation key the verifier enrolled (never a key from DIR)\n"
	"  --dry-run      say what would be deleted, delete nothing\n"
	"  --json         machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_JSON,
	.need_dir = true,
	.own = prune_longopts,
	.opt = prune_opt,
};

/* Shard @seq's trailer quote, checked with @ak: 0, or -errno with @why. */
static int prune_anchor(const char *dir, u64 seq, EVP_PKEY *ak, struct imasnap_shard *sh,
			const char **why)
{
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	struct imasnap_err err;
	char path[4096];
	int ret;

	if (!q)
		return -ENOMEM;
	ret = imasnap_shard_path(dir, seq, path, sizeof(path));
	if (!ret)
		ret = imasnap_shard_read(path, sh, NULL, &err);
	if (ret) {
		*why = ret == -EBADMSG ? err.reason : strerror(-ret);
	} else if (sh->seq != seq) {
		*why = "its header holds another seq: a copy of another shard";
		ret = -IMASNAP_EVERIFY;
	} else if (sh->kind != IMASNAP_SHARD_LOG || !sh->entries) {
		*why = "only a log shard with records can anchor";
		ret = -IMASNAP_EVERIFY;
	} else if (!sh->trailer_size) {
		*why = "it has no quote in its trailer";
		ret = -IMASNAP_EVERIFY;
	} else {
		ret = imasnap_shard_quote_check(sh, ak, q, why);
	}
	free(q);
	return ret;
}

/* The oldest shard to keep: --before, or the newest the AK quoted. */
static int prune_pick(const char *dir, const struct prune_opts *o, u64 first, u64 n,
		      EVP_PKEY *ak, u64 *keep)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	const char *why = "";
	u64 seq;
	int ret;

	if (!sh)
		return -ENOMEM;
	if (o->have_before) {
		if (o->before < first || o->before >= first + n) {
			imasnap_errorf("prune: %s holds shards %llu..%llu: there is no shard %llu",
				       dir, (unsigned long long)first,
				       (unsigned long long)(first + n - 1), o->before);
			ret = -IMASNAP_ESTATE;
		} else {
			ret = prune_anchor(dir, o->before, ak, sh, &why);
			if (ret)
				imasnap_errorf("prune: shard %llu cannot be the archive's oldest: %s",
					       o->before, why);
		}
		*keep = o->before;
		goto out;
	}
	ret = -IMASNAP_ESTATE;	/* an empty archive */
	for (seq = first + n; seq-- > first; ) {
		ret = prune_anchor(dir, seq, ak, sh, &why);
		if (!ret || (ret != -IMASNAP_EVERIFY && ret != -EBADMSG))
			break;
	}
	if (ret)
		imasnap_errorf("prune: no shard of %s has a trailer quote the AK signs (snapshot --quote, quote --shard)",
			       dir);
	*keep = seq;
out:
	free(sh);
	return ret;
}

/*
 * What is left must verify from the anchor on: the chain from shard @keep
 * to the newest, walked as verify --anchored walks it.
 */
static int prune_check(const char *dir, u64 keep, EVP_PKEY *ak)
{
	struct imasnap_chain_opts o = {
		.dir = dir, .anchored = true, .anchor_set = true, .anchor = keep, .ak = ak,
	};
	struct imasnap_chain *c = calloc(1, sizeof(*c));
	struct imasnap_evp *evp = imasnap_evp_new();
	int ret;

	if (!c || !evp) {
		ret = -ENOMEM;
		goto out;
	}
	imasnap_chain_init(c);
	ret = imasnap_chain_walk(c, &o, evp);
	imasnap_chain_free(c);
	if (ret)
		imasnap_errorf("prune: the archive from shard %llu on does not verify: nothing deleted",
			       (unsigned long long)keep);
out:
	free(c);
	imasnap_evp_free(evp);
	return ret;
}

/* Delete shards @first..@keep - 1, oldest first: a crash leaves no gap. */
static int prune_delete(const char *dir, u64 first, u64 keep, bool dry, u64 *bytes)
{
	char path[4096];
	struct stat st;
	u64 seq;
	int ret;

	*bytes = 0;
	for (seq = first; seq < keep; seq++) {
		ret = imasnap_shard_path(dir, seq, path, sizeof(path));
		if (ret)
			return ret;
		if (!stat(path, &st))
			*bytes += (u64)st.st_size;
		if (!dry && unlink(path)) {
			ret = -errno;
			imasnap_errorf("prune: %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	ret = dry ? 0 : imasnap_fsync_dir(dir);
	if (ret)
		imasnap_errorf("prune: %s: %s", dir, strerror(-ret));
	return ret;
}

static void prune_report(bool json, bool dry, u64 first, u64 keep, u64 bytes)
{
	json_object *j;

	if (json) {
		j = json_object_new_object();
		json_object_object_add(j, "pruned", json_object_new_int64((int64_t)(keep - first)));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)bytes));
		json_object_object_add(j, "oldest", json_object_new_int64((int64_t)keep));
		json_object_object_add(j, "dry_run", json_object_new_boolean(dry));
		cmd_json_print(j);
	} else if (keep == first) {
		printf("nothing to prune: shard %llu, the oldest, is the anchor\n",
		       (unsigned long long)keep);
	} else {
		printf("%s shards %llu..%llu (%llu bytes); the archive starts at shard %llu, whose end state the AK quoted (verify --anchored)\n",
		       dry ? "would delete" : "deleted", (unsigned long long)first,
		       (unsigned long long)(keep - 1), (unsigned long long)bytes,
		       (unsigned long long)keep);
	}
}

int prune_main(int argc, char **argv)
{
	struct prune_opts o = { 0 };
	struct cmd_common co;
	u64 first, n, keep, bytes;
	EVP_PKEY *ak = NULL;
	int ret;

	ret = cmd_parse(&prune_cmd, argc, argv, &co, &o);
	if (!ret)
		ret = cmd_need(&prune_cmd, "--ak PEM", o.ak, "(the AK the verifier enrolled)");
	if (!ret)
		ret = cmd_ak_outside(&prune_cmd, o.ak, co.dir);
	if (ret)
		return ret < 0 ? ret : 0;
	ret = imasnap_archive_range(co.dir, &first, &n);
	if (ret) {
		char gap[160];

		if (ret == -EBADMSG)
			imasnap_archive_gap(co.dir, gap, sizeof(gap));
		imasnap_errorf("prune: %s: %s", co.dir, ret == -EBADMSG ? gap : strerror(-ret));
		return ret;
	}
	ret = imasnap_read_ak(o.ak, &ak);
	if (!ret)
		ret = prune_pick(co.dir, &o, first, n, ak, &keep);
	if (!ret)
		ret = prune_check(co.dir, keep, ak);
	if (!ret)
		ret = prune_delete(co.dir, first, keep, o.dry, &bytes);
	if (!ret)
		prune_report(co.json, o.dry, first, keep, bytes);
	EVP_PKEY_free(ak);
	return ret;
}
