// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap status: the module's state (its securityfs status file, as is)
 * and the archive's (shards, the newest one, whether it is this boot's).
 */
#include <getopt.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "archive.h"

int status_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "securityfs", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *sfs = IMASNAP_SECURITYFS;
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	json_object *root = NULL, *mod = NULL, *arch = NULL;
	u8 *text = NULL, boot[16];
	char path[4096], hex[65];
	bool json = false, this_boot;
	size_t len;
	u64 count = 0, first = 0;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': sfs = optarg; break;
		case 'j': json = true; break;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: imasnap status [--dir DIR] [--securityfs DIR] [--json]\n");
			free(sh);
			return c == 'h' ? IMASNAP_EXIT_OK : IMASNAP_EXIT_USAGE;
		}
	}
	if (!sh || optind != argc) {
		free(sh);
		return optind != argc ? IMASNAP_EXIT_USAGE : IMASNAP_EXIT_FAILURE;
	}
	root = json_object_new_object();
	snprintf(path, sizeof(path), "%s/status", sfs);
	ret = archive_read_file(path, &text, &len);
	if (!ret) {
		char *line = (char *)text, *next;

		mod = json_object_new_object();
		for (; line && *line; line = next) {
			char *eq = strchr(line, '=');

			next = strchr(line, '\n');
			if (next)
				*next++ = 0;
			if (!eq)
				continue;
			*eq = 0;
			json_object_object_add(mod, line, json_object_new_string(eq + 1));
			if (!json)
				printf("module.%s=%s\n", line, eq + 1);
		}
	} else if (!json) {
		printf("module=not loaded (%s: %s)\n", path, strerror(-ret));
	}
	json_object_object_add(root, "module", mod);

	ret = IMASNAP_EXIT_OK;
	if (dir) {
		ret = archive_newest(dir, &count, sh);
		if (!ret && imasnap_archive_range(dir, &first, &count))
			ret = IMASNAP_EXIT_IO;
		if (!ret) {
			arch = json_object_new_object();
			json_object_object_add(arch, "shards", json_object_new_int64((int64_t)count));
			json_object_object_add(arch, "oldest_seq", json_object_new_int64((int64_t)first));
			if (!json)
				printf("archive.dir=%s\narchive.shards=%llu\narchive.oldest=%llu\n", dir,
				       (unsigned long long)count, (unsigned long long)first);
			if (count) {
				this_boot = !archive_boot_id(NULL, boot) && !memcmp(boot, sh->boot_id, 16);
				imasnap_hex_encode(sh->digest, 32, hex);
				json_object_object_add(arch, "newest_seq",
						       json_object_new_int64((int64_t)sh->seq));
				json_object_object_add(arch, "newest_kind", json_object_new_string(
						       sh->kind == IMASNAP_SHARD_TAIL ? "tail" : "log"));
				json_object_object_add(arch, "newest_this_boot",
						       json_object_new_boolean(this_boot));
				json_object_object_add(arch, "newest_end_entry",
						       json_object_new_int64((int64_t)(sh->first_entry +
										       sh->entries)));
				json_object_object_add(arch, "newest_digest", json_object_new_string(hex));
				if (!json)
					printf("archive.newest=%llu\narchive.newest_kind=%s\n"
					       "archive.newest_this_boot=%s\narchive.newest_end_entry=%llu\n"
					       "archive.newest_digest=sha256:%s\n",
					       (unsigned long long)sh->seq,
					       sh->kind == IMASNAP_SHARD_TAIL ? "tail" : "log",
					       this_boot ? "yes" : "no",
					       (unsigned long long)(sh->first_entry + sh->entries), hex);
			}
		}
		json_object_object_add(root, "archive", arch);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	free(text);
	free(sh);
	return ret;
}
