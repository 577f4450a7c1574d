// SPDX-License-Identifier: GPL-2.0
/*
 * view-read DIR LOG BINARY ASCII [READS]: open the view of archive DIR and
 * live log LOG as `imasnap mount` does (userspace/lib/view.c), and read
 * both its files at offsets 13 or 97 bytes apart (more in a long file:
 * READS, default 3000, reads a pass) in reads of 1, 3, 250, 4096 and
 * 100000 bytes, from the start and from the end backwards, each compared
 * with BINARY and ASCII (what `imasnap log` printed).  Exit 0 when every read matched, 1 with the
 * first read that did not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "libimasnap.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*len == cap) {
			cap = cap ? 2 * cap : 65536;
			b = realloc(b, cap);
			if (!b)
				exit(2);
		}
		n = fread(b + *len, 1, cap - *len, f);
		if (!n)
			break;
		*len += n;
	}
	fclose(f);
	return b;
}

static int check(struct imasnap_view *v, enum imasnap_view_file f, const unsigned char *want,
		 size_t len, size_t step, size_t size, bool backwards)
{
	char *buf = malloc(size);
	size_t i;

	if (!buf)
		exit(2);
	for (i = 0; i <= len; i += step) {
		u64 off = backwards ? len - i : i;
		size_t exp = off + size <= len ? size : len - off;
		ssize_t n = imasnap_view_read(v, f, buf, size, off);

		if (n != (ssize_t)exp || memcmp(buf, want + off, exp)) {
			fprintf(stderr, "view-read: file %d, %zu bytes at %llu: got %zd bytes%s\n", f,
				size, (unsigned long long)off, n, n == (ssize_t)exp ? ", other ones" : "");
			free(buf);
			return 1;
		}
	}
	free(buf);
	return 0;
}

/* Reads a pass at most (READS). */
static size_t reads = 3000;

/* @base, or more for a long file: at most @reads reads a pass. */
static size_t step(size_t len, size_t base)
{
	return len / reads > base ? len / reads + 1 : base;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1, 3, 250, 4096, 100000 };
	struct imasnap_view v;
	struct imasnap_evp *evp;
	unsigned char *want[2];
	size_t len[2], i;
	int f, bad = 0;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: view-read DIR LOG BINARY ASCII [READS]\n");
		return 2;
	}
	if (argc == 6)
		reads = strtoul(argv[5], NULL, 10) ?: 1;
	want[0] = slurp(argv[3], &len[0]);
	want[1] = slurp(argv[4], &len[1]);
	evp = imasnap_evp_new();
	if (!want[0] || !want[1] || !evp || imasnap_view_open(&v, argv[1], argv[2], evp, 1, "/tmp"))
		return 2;
	for (f = 0; f < 2 && !bad; f++) {
		if (v.size[f] != len[f]) {
			fprintf(stderr, "view-read: file %d is %llu bytes, not %zu\n", f,
				(unsigned long long)v.size[f], len[f]);
			bad = 1;
		}
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && !bad; i++)
			bad = check(&v, f, want[f], len[f], step(len[f], sizes[i] == 1 ? 13 : 97),
				    sizes[i], false) ||
			      check(&v, f, want[f], len[f], step(len[f], 131), sizes[i], true);
	}
	imasnap_view_close(&v);
	imasnap_evp_free(evp);
	free(want[0]);
	free(want[1]);
	return bad;
}
