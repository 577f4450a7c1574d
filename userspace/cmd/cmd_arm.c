// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap arm: hand the cut of the archive's newest shard to the module, so
 * that it carries the records measured after it across the next kexec.
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "cmd.h"

struct arm_opts {
	bool print;
};

static int arm_opt(void *priv, int c, const char *arg)
{
	struct arm_opts *o = priv;

	(void)arg;
	if (c == 'p')
		o->print = true;
	return 0;
}

static const struct option arm_longopts[] = {
	{ "print", no_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd arm_cmd = {
	.name = "arm",
	.usage =
	"Usage: imasnap arm --dir DIR [--securityfs DIR] [--print] [--boot-id ID] [--json]\n"
	"  --dir DIR          the archive; its newest shard (of this boot) is the cut\n"
	"  --securityfs DIR   the module's folder (default " IMASNAP_SECURITYFS ")\n"
	"  --print            print the cut instead of writing it\n"
	"  --boot-id ID       this boot's id (default: /proc/sys/kernel/random/boot_id)\n"
	"  --json             machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_SECURITYFS | CMD_BOOT_ID | CMD_JSON,
	.need_dir = true,
	.own = arm_longopts,
	.opt = arm_opt,
};

/* The cut of the newest shard, which must be of this boot's log. */
static int arm_cut(const struct cmd_common *co, struct imasnap_aggregate *cut)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	u64 count;
	u8 boot[16];
	int ret;

	if (!sh)
		return -ENOMEM;
	ret = imasnap_boot_id(co->boot_id, boot);
	if (!ret)
		ret = imasnap_archive_newest(co->dir, &count, sh);
	if (ret)
		goto out;
	if (count && memcmp(sh->boot_id, boot, 16)) {
		imasnap_errorf("arm: the newest shard of %s is from another boot: run 'imasnap snapshot --dir %s' first",
			       co->dir, co->dir);
		ret = -IMASNAP_ESTATE;
	} else if (!count || sh->kind != IMASNAP_SHARD_LOG) {
		imasnap_errorf("arm: %s has no shard of this boot's log: run 'imasnap snapshot --dir %s' first",
			       co->dir, co->dir);
		ret = -IMASNAP_ESTATE;
	}
	if (ret)
		goto out;
	cut->seq = sh->seq;
	cut->entries = sh->first_entry + sh->entries;
	cut->offset = sh->log_offset + sh->body_size;
	memcpy(cut->shard, sh->digest, 32);
	cut->state = sh->end;
out:
	free(sh);
	return ret;
}

/* The module checks the cut against IMA's log: -EINVAL is its "no". */
static int arm_write(const struct cmd_common *co, const char *text, size_t len)
{
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/arm", co->securityfs);
	ret = imasnap_write_file(path, text, len);
	if (!ret)
		return 0;
	imasnap_errorf("arm: writing %s: %s%s", path, strerror(-ret),
		       ret == -EINVAL ? " (the kernel log says why)" :
		       ret == -ENOENT ? " (is the imasnap module loaded?)" : "");
	return ret == -EINVAL ? -IMASNAP_EVERIFY : ret;
}

static void arm_report(const struct cmd_common *co, const struct imasnap_aggregate *cut,
		       const char *text, bool armed)
{
	json_object *j;

	if (!co->json) {
		printf("armed: shard %llu, %llu records up to offset %llu\n",
		       (unsigned long long)cut->seq, (unsigned long long)cut->entries,
		       (unsigned long long)cut->offset);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "armed", json_object_new_boolean(armed));
	json_object_object_add(j, "seq", json_object_new_int64((int64_t)cut->seq));
	json_object_object_add(j, "entries", json_object_new_int64((int64_t)cut->entries));
	json_object_object_add(j, "offset", json_object_new_int64((int64_t)cut->offset));
	json_object_object_add(j, "cut", json_object_new_string(text));
	cmd_json_print(j);
}

int arm_main(int argc, char **argv)
{
	struct imasnap_aggregate *cut = calloc(1, sizeof(*cut));
	char *text = calloc(1, IMASNAP_AGGREGATE_MAX_LEN);
	struct arm_opts o = { 0 };
	struct cmd_common co;
	int ret, len;

	ret = cmd_parse(&arm_cmd, argc, argv, &co, &o);
	if (ret)
		goto out;
	if (!cut || !text) {
		ret = -ENOMEM;
		goto out;
	}
	ret = arm_cut(&co, cut);
	if (ret)
		goto out;
	len = imasnap_aggregate_build(IMASNAP_AGG_CUT, cut, text, IMASNAP_AGGREGATE_MAX_LEN);
	if (len < 0) {
		imasnap_errorf("arm: the newest shard's end state cannot be written as a cut");
		ret = -EBADMSG;
		goto out;
	}
	if (o.print && !co.json)
		printf("%s\n", text);
	else if (!o.print)
		ret = arm_write(&co, text, (size_t)len);
	if (!ret && (!o.print || co.json))
		arm_report(&co, cut, text, !o.print);
out:
	free(cut);
	free(text);
	return ret < 0 ? ret : 0;
}
