// SPDX-License-Identifier: GPL-2.0
/*
 * Write a long IMA log made of the real records of a fixture (tests/data):
 * its boot_aggregate once, then its other records round robin until the
 * log holds N records.  Every record stays valid (its template hash is the
 * one IMA computed), so the log replays; its PCRs are what `imasnap replay
 * --log` prints.  The same N and fixture give the same bytes.
 *
 * It also prints what a replay of sha1+sha256 must compress: per record,
 * each bank's template digest (but for a violation) and its extend, in
 * 64-byte blocks (message + 0x80 + 8-byte length, rounded up), the figure
 * the hash bound of `make bench` is computed from.
 *
 *   mklog [-n RECORDS] [-f FIXTURE-DIR] OUT
 */
#include <getopt.h>
#include <stdlib.h>

#include "bench.h"

/* SHA-1 and SHA-256 blocks for a message of @len bytes. */
static unsigned long long blocks(unsigned long long len)
{
	return (len + 1 + 8 + 63) / 64;
}

/* The compression blocks a sha1+sha256 replay of @path costs, by bank. */
static int count_blocks(const char *path, unsigned long long *sha1, unsigned long long *sha256)
{
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	int ret;

	*sha1 = *sha256 = 0;
	ret = imasnap_logfile_open(&lf, path, IMASNAP_ORDER_AUTO);
	if (ret)
		return ret;
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		unsigned long long td = rec.legacy ? IMASNAP_SHA1_DIGEST_SIZE + IMASNAP_IMA_NAME_HASHED :
						     rec.data_len;

		if (!imasnap_log_is_violation(&rec)) {
			*sha1 += blocks(td);
			*sha256 += blocks(td);
		}
		*sha1 += blocks(2 * IMASNAP_SHA1_DIGEST_SIZE);
		*sha256 += blocks(2 * IMASNAP_SHA256_DIGEST_SIZE);
	}
	imasnap_logfile_close(&lf);
	return ret;
}

int main(int argc, char **argv)
{
	const char *fixture = IMASNAP_DATA_DIR "/ima-ng-sha1-sha256";
	unsigned long records = 1000000;
	char seedpath[512];
	unsigned long long b1, b256;
	unsigned char *seed;
	size_t len, bytes;
	FILE *out;
	int c;

	while ((c = getopt(argc, argv, "n:f:")) != -1) {
		if (c == 'n')
			records = strtoul(optarg, NULL, 10);
		else if (c == 'f')
			fixture = optarg;
		else
			return 2;
	}
	if (optind != argc - 1 || !records) {
		fprintf(stderr, "usage: mklog [-n RECORDS] [-f FIXTURE-DIR] OUT\n");
		return 2;
	}
	snprintf(seedpath, sizeof(seedpath), "%s/binary_runtime_measurements", fixture);
	seed = bench_slurp(seedpath, &len);
	if (!seed) {
		fprintf(stderr, "mklog: cannot read %s\n", seedpath);
		return 1;
	}
	out = fopen(argv[optind], "wb");
	if (!out || bench_make_log(seed, len, records, out, &bytes) || fclose(out)) {
		fprintf(stderr, "mklog: cannot write %s\n", argv[optind]);
		return 1;
	}
	free(seed);
	printf("%s: %lu records, %zu bytes (records of %s)\n", argv[optind], records, bytes, fixture);
	if (count_blocks(argv[optind], &b1, &b256)) {
		fprintf(stderr, "mklog: cannot read back %s\n", argv[optind]);
		return 1;
	}
	printf("compression blocks: sha1 %llu sha256 %llu\n", b1, b256);
	return 0;
}
