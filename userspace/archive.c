// SPDX-License-Identifier: GPL-2.0
/*
 * What the subcommands share about the archive folder and the running
 * system: the newest shard, this boot's identity, the securityfs files.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "archive.h"

int archive_newest(const char *dir, u64 *next, struct imasnap_shard *newest)
{
	struct imasnap_err err;
	char name[64], path[4096];
	u64 first, n;
	int ret;

	/* The oldest shards may have been pruned: only a gap is an error. */
	ret = imasnap_archive_range(dir, &first, &n);
	if (ret == -EBADMSG) {
		imasnap_errorf("%s: a shard is missing (the sequence has a gap)", dir);
		return IMASNAP_EXIT_MALFORMED;
	}
	if (ret) {
		imasnap_errorf("%s: %s", dir, strerror(-ret));
		return IMASNAP_EXIT_IO;
	}
	*next = first + n;
	if (!n)
		return 0;
	imasnap_shard_name(*next - 1, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = imasnap_shard_read(path, newest, NULL, &err);
	if (ret == -EBADMSG) {
		imasnap_errorf("%s: at byte %llu: %s", path, (unsigned long long)err.offset,
			       err.reason);
		return IMASNAP_EXIT_MALFORMED;
	}
	if (ret) {
		imasnap_errorf("%s: %s", path, strerror(-ret));
		return IMASNAP_EXIT_IO;
	}
	if (newest->seq != *next - 1) {
		imasnap_errorf("%s: holds seq %llu", path, (unsigned long long)newest->seq);
		return IMASNAP_EXIT_MALFORMED;
	}
	return 0;
}

/* "8c2d…-…" (/proc/sys/kernel/random/boot_id) or 32 hex digits. */
int archive_parse_boot_id(const char *s, u8 id[16])
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

int archive_boot_id(const char *given, u8 id[16])
{
	char line[64] = "";
	FILE *f;

	if (given) {
		if (archive_parse_boot_id(given, id)) {
			imasnap_errorf("--boot-id takes a UUID or 32 hex digits");
			return IMASNAP_EXIT_USAGE;
		}
		return 0;
	}
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (!f || !fgets(line, sizeof(line), f) || archive_parse_boot_id(line, id)) {
		imasnap_errorf("cannot read this boot's id from /proc/sys/kernel/random/boot_id");
		if (f)
			fclose(f);
		return IMASNAP_EXIT_IO;
	}
	fclose(f);
	return 0;
}

/*
 * Append what @fd holds from its position to EOF to *@buf (@len bytes used
 * of @cap, grown as needed, one byte always spare for a NUL).  -errno.
 */
int archive_append_fd(int fd, u8 **buf, size_t *len, size_t *cap)
{
	ssize_t n;

	for (;;) {
		if (!*buf || *cap - *len < 4096 + 1) {
			size_t ncap = 2 * *cap + 65536;
			u8 *b = realloc(*buf, ncap);

			if (!b)
				return -ENOMEM;
			*buf = b;
			*cap = ncap;
		}
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		*len += (size_t)n;
	}
}

/* Read a whole file (a securityfs file: its size is unknown); NUL-terminated. */
int archive_read_file(const char *path, u8 **buf, size_t *len)
{
	size_t cap = 0;
	int fd, ret;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = archive_append_fd(fd, buf, len, &cap);
	close(fd);
	if (ret) {
		free(*buf);
		*buf = NULL;
		return ret;
	}
	(*buf)[*len] = 0;
	return 0;
}

int archive_pcr_source(const char *pcrs_file, const char *tcti,
		       struct imasnap_state *file_pcrs, struct imasnap_tpm2 **tpm, u32 *banks)
{
	int ret;

	*banks = 0;
	if (pcrs_file) {
		ret = imasnap_pcrfile_read(pcrs_file, file_pcrs);
		if (ret)
			return ret == -EIO ? IMASNAP_EXIT_IO : IMASNAP_EXIT_MALFORMED;
		*banks = imasnap_state_banks(file_pcrs);
		return 0;
	}
	*tpm = imasnap_tpm2_open(tcti);
	if (!*tpm || imasnap_tpm2_banks(*tpm, banks))
		return IMASNAP_EXIT_FAILURE;
	return 0;
}

int archive_write_file(const char *path, const char *text, size_t len)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}
