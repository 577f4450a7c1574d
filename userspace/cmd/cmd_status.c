// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap status: the module's state (its securityfs status file, as is)
 * and the archive's (shards, the newest one, whether it is this boot's).
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "cmd.h"

static const struct cmd status_cmd = {
	.name = "status",
	.usage =
	"Usage: imasnap status [--dir DIR] [--securityfs DIR] [--json]\n"
	"  --dir DIR          the archive\n"
	"  --securityfs DIR   the module's folder (default " IMASNAP_SECURITYFS ")\n"
	"  --json             machine-readable result on stdout\n",
	.common = CMD_DIR | CMD_SECURITYFS | CMD_JSON,
};

/* The module's key=value lines, as "module.<key>=<value>" or into @mod. */
static json_object *status_module(const struct cmd_common *co)
{
	json_object *mod;
	char path[4096], *line, *next;
	const char *why;
	u8 *text = NULL;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/status", co->securityfs);
	ret = imasnap_read_file(path, CMD_STATUS_MAX, &text, &len, &why);
	if (ret) {
		if (!co->json)
			printf("module=not loaded (%s: %s)\n", path, why);
		return NULL;
	}
	mod = json_object_new_object();
	for (line = (char *)text; line && *line; line = next) {
		char *eq = strchr(line, '=');

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!eq)
			continue;
		*eq = 0;
		json_object_object_add(mod, line, json_object_new_string(eq + 1));
		if (!co->json)
			printf("module.%s=%s\n", line, eq + 1);
	}
	free(text);
	return mod;
}

static int status_archive(const struct cmd_common *co, json_object **out)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	u64 count = 0, first = 0;
	char hex[65];
	bool this_boot;
	json_object *arch;
	u8 boot[16];
	int ret;

	*out = NULL;
	if (!sh)
		return -ENOMEM;
	ret = imasnap_archive_newest(co->dir, &count, sh);
	if (!ret)
		ret = imasnap_archive_range(co->dir, &first, &count);
	if (ret) {
		free(sh);
		return ret;
	}
	arch = json_object_new_object();
	json_object_object_add(arch, "shards", json_object_new_int64((int64_t)count));
	json_object_object_add(arch, "oldest_seq", json_object_new_int64((int64_t)first));
	if (!co->json)
		printf("archive.dir=%s\narchive.shards=%llu\narchive.oldest=%llu\n", co->dir,
		       (unsigned long long)count, (unsigned long long)first);
	if (count) {
		this_boot = !imasnap_boot_id(NULL, boot) && !memcmp(boot, sh->boot_id, 16);
		imasnap_hex_encode(sh->digest, 32, hex);
		json_object_object_add(arch, "newest_seq", json_object_new_int64((int64_t)sh->seq));
		json_object_object_add(arch, "newest_kind", json_object_new_string(
				       sh->kind == IMASNAP_SHARD_TAIL ? "tail" : "log"));
		json_object_object_add(arch, "newest_this_boot", json_object_new_boolean(this_boot));
		json_object_object_add(arch, "newest_end_entry",
				       json_object_new_int64((int64_t)(sh->first_entry + sh->entries)));
		json_object_object_add(arch, "newest_digest", json_object_new_string(hex));
		if (!co->json)
			printf("archive.newest=%llu\narchive.newest_kind=%s\n"
			       "archive.newest_this_boot=%s\narchive.newest_end_entry=%llu\n"
			       "archive.newest_digest=sha256:%s\n",
			       (unsigned long long)sh->seq,
			       sh->kind == IMASNAP_SHARD_TAIL ? "tail" : "log",
			       this_boot ? "yes" : "no",
			       (unsigned long long)(sh->first_entry + sh->entries), hex);
	}
	free(sh);
	*out = arch;
	return 0;
}

int status_main(int argc, char **argv)
{
	json_object *root, *arch = NULL;
	struct cmd_common co;
	int ret;

	ret = cmd_parse(&status_cmd, argc, argv, &co, NULL);
	if (ret)
		return ret < 0 ? ret : 0;
	root = json_object_new_object();
	json_object_object_add(root, "module", status_module(&co));
	if (co.dir) {
		ret = status_archive(&co, &arch);
		json_object_object_add(root, "archive", arch);
	}
	if (co.json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return ret;
}
