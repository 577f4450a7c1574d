// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap arm: hand the cut of the archive's newest shard to the module, so
 * that it carries the records measured after it across the next kexec.
 */
#include <getopt.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "archive.h"

static int arm_usage(FILE *f, int ret)
{
	fprintf(f, "Usage: imasnap arm --dir DIR [--securityfs DIR] [--print] [--boot-id ID] [--json]\n"
		"  --dir DIR          the archive; its newest shard (of this boot) is the cut\n"
		"  --securityfs DIR   the module's folder (default %s)\n"
		"  --print            print the cut instead of writing it\n"
		"  --boot-id ID       this boot's id (default: /proc/sys/kernel/random/boot_id)\n"
		"  --json             machine-readable result on stdout\n",
		IMASNAP_SECURITYFS);
	return ret;
}

int arm_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "securityfs", required_argument, NULL, 's' },
		{ "print", no_argument, NULL, 'p' },
		{ "boot-id", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *sfs = IMASNAP_SECURITYFS, *boot_id = NULL;
	u8 boot[16];
	struct imasnap_aggregate *cut = calloc(1, sizeof(*cut));
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	char *text = calloc(1, IMASNAP_AGGREGATE_MAX_LEN), path[4096];
	bool print = false, json = false;
	json_object *j;
	u64 count;
	int c, ret, len;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': sfs = optarg; break;
		case 'p': print = true; break;
		case 'b': boot_id = optarg; break;
		case 'j': json = true; break;
		case 'h': ret = arm_usage(stdout, IMASNAP_EXIT_OK); goto out;
		default: ret = arm_usage(stderr, IMASNAP_EXIT_USAGE); goto out;
		}
	}
	if (!dir || optind != argc) {
		ret = arm_usage(stderr, IMASNAP_EXIT_USAGE);
		goto out;
	}
	if (!cut || !sh || !text) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ret = archive_boot_id(boot_id, boot);
	if (!ret)
		ret = archive_newest(dir, &count, sh);
	if (ret)
		goto out;
	if (count && memcmp(sh->boot_id, boot, 16)) {
		imasnap_errorf("arm: the newest shard of %s is from another boot: run 'imasnap snapshot --dir %s' first",
			       dir, dir);
		ret = IMASNAP_EXIT_USAGE;
		goto out;
	}
	if (!count || sh->kind != IMASNAP_SHARD_LOG) {
		imasnap_errorf("arm: %s has no shard of this boot's log: run 'imasnap snapshot --dir %s' first",
			       dir, dir);
		ret = IMASNAP_EXIT_USAGE;
		goto out;
	}
	cut->seq = sh->seq;
	cut->entries = sh->first_entry + sh->entries;
	cut->offset = sh->log_offset + sh->body_size;
	memcpy(cut->shard, sh->digest, 32);
	cut->state = sh->end;
	len = imasnap_aggregate_build(IMASNAP_AGG_CUT, cut, text, IMASNAP_AGGREGATE_MAX_LEN);
	if (len < 0) {
		imasnap_errorf("arm: the newest shard's end state cannot be written as a cut");
		ret = IMASNAP_EXIT_MALFORMED;
		goto out;
	}
	if (print && !json) {
		printf("%s\n", text);
		ret = IMASNAP_EXIT_OK;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/arm", sfs);
	ret = print ? 0 : archive_write_file(path, text, (size_t)len);
	if (ret) {
		imasnap_errorf("arm: writing %s: %s%s", path, strerror(-ret),
			       ret == -EINVAL ? " (the kernel log says why)" :
			       ret == -ENOENT ? " (is the imasnap module loaded?)" : "");
		ret = ret == -EINVAL ? IMASNAP_EXIT_MISMATCH : IMASNAP_EXIT_IO;
		goto out;
	}
	if (json) {
		j = json_object_new_object();
		json_object_object_add(j, "armed", json_object_new_boolean(!print));
		json_object_object_add(j, "seq", json_object_new_int64((int64_t)cut->seq));
		json_object_object_add(j, "entries", json_object_new_int64((int64_t)cut->entries));
		json_object_object_add(j, "offset", json_object_new_int64((int64_t)cut->offset));
		json_object_object_add(j, "cut", json_object_new_string(text));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("armed: shard %llu, %llu records up to offset %llu\n",
		       (unsigned long long)cut->seq, (unsigned long long)cut->entries,
		       (unsigned long long)cut->offset);
	}
	ret = IMASNAP_EXIT_OK;
out:
	free(cut);
	free(sh);
	free(text);
	return ret;
}
