// SPDX-License-Identifier: GPL-2.0
/*
 * The archive folder (archive.h): shard names, the range kept, the newest
 * shard; and this boot's identity.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "archive.h"
#include "error.h"

int imasnap_shard_path(const char *dir, u64 seq, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/shard-%08llu.ims", dir, (unsigned long long)seq);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The shard names in @dir: how many, the lowest seq, the highest + 1. */
static int archive_scan(const char *dir, u64 *n, u64 *min, u64 *end)
{
	unsigned long long seq;
	struct dirent *de;
	DIR *d;

	*n = 0;
	*min = ULLONG_MAX;
	*end = 0;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char name[64];

		if (sscanf(de->d_name, "shard-%8llu.ims", &seq) != 1)
			continue;
		/* Exactly the name imasnap_shard_path() gives: 8 digits, nothing after. */
		snprintf(name, sizeof(name), "shard-%08llu.ims", seq);
		if (strcmp(name, de->d_name))
			continue;
		(*n)++;
		if (seq + 1 > *end)
			*end = seq + 1;
		if (seq < *min)
			*min = seq;
	}
	closedir(d);
	if (!*n)
		*min = 0;
	return 0;
}

/*
 * The shards in @dir: @first..@first + @count - 1, without a gap (-EBADMSG).
 * -errno when @dir cannot be read.
 */
int imasnap_archive_range(const char *dir, u64 *first, u64 *count)
{
	u64 n, min, end;
	int ret;

	ret = archive_scan(dir, &n, &min, &end);
	if (ret)
		return ret;
	if (n != end - min)
		return -EBADMSG;	/* a shard is missing */
	*first = min;
	*count = n;
	return 0;
}

void imasnap_archive_gap(const char *dir, char *buf, size_t size)
{
	u64 n, min, end, seq;
	char path[4096];
	struct stat st;

	if (archive_scan(dir, &n, &min, &end) || n == end - min) {
		snprintf(buf, size, "a shard is missing (the sequence has a gap)");
		return;
	}
	/* One stat per shard up to the first gap: the folder may be huge. */
	for (seq = min; seq < end; seq++)
		if (imasnap_shard_path(dir, seq, path, sizeof(path)) ||
		    lstat(path, &st))
			break;
	snprintf(buf, size, "a shard is missing: shard %llu (%llu missing between shard %llu and shard %llu)",
		 (unsigned long long)seq, (unsigned long long)(end - min - n),
		 (unsigned long long)min, (unsigned long long)(end - 1));
}

int imasnap_archive_newest(const char *dir, u64 *next, struct imasnap_shard *newest)
{
	struct imasnap_err err;
	char path[4096];
	u64 first, n;
	int ret;

	/* The oldest shards may have been pruned: only a gap is an error. */
	ret = imasnap_archive_range(dir, &first, &n);
	if (ret == -EBADMSG) {
		char gap[160];

		imasnap_archive_gap(dir, gap, sizeof(gap));
		imasnap_errorf("%s: %s", dir, gap);
	} else if (ret)
		imasnap_errorf("%s: %s", dir, strerror(-ret));
	if (ret)
		return ret;
	*next = first + n;
	if (!n)
		return 0;
	ret = imasnap_shard_path(dir, *next - 1, path, sizeof(path));
	if (!ret)
		ret = imasnap_shard_read(path, newest, NULL, &err);
	if (ret == -EBADMSG)
		imasnap_errorf("%s: at byte %llu: %s", path, (unsigned long long)err.offset,
			       err.reason);
	else if (ret)
		imasnap_errorf("%s: %s", path, strerror(-ret));
	if (ret)
		return ret;
	if (newest->seq != *next - 1) {
		imasnap_errorf("%s: holds seq %llu", path, (unsigned long long)newest->seq);
		return -EBADMSG;
	}
	return 0;
}

/* "8c2d…-…" (/proc/sys/kernel/random/boot_id) or 32 hex digits. */
int imasnap_parse_boot_id(const char *s, u8 id[16])
{
	char hex[33];
	size_t n = 0;

	for (; *s && *s != '\n'; s++) {
		if (*s == '-')
			continue;
		if (n == 32)
			return -EINVAL;
		hex[n++] = *s;
	}
	if (n != 32)
		return -EINVAL;
	return imasnap_hex_decode(hex, 32, id);
}

int imasnap_boot_id(const char *given, u8 id[16])
{
	char line[64] = "";
	FILE *f;

	if (given) {
		if (imasnap_parse_boot_id(given, id)) {
			imasnap_errorf("--boot-id takes a UUID or 32 hex digits");
			return -EINVAL;
		}
		return 0;
	}
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f || !fgets(line, sizeof(line), f) || imasnap_parse_boot_id(line, id)) {
		imasnap_errorf("cannot read this boot's id from /proc/sys/kernel/random/boot_id");
		if (f)
			fclose(f);
		return -EIO;
	}
	fclose(f);
	return 0;
}
