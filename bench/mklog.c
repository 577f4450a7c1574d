// SPDX-License-Identifier: GPL-2.0
/*
 * Write a long IMA log made of the real records of a fixture (tests/data):
 * its boot_aggregate once, then its other records round robin until the
 * log holds N records.  Every record stays valid (its template hash is the
 * one IMA computed), so the log replays; its PCRs are what `imasnap replay
 * --log` prints.  The same N and fixture give the same bytes.
 *
 *   mklog [-n RECORDS] [-f FIXTURE-DIR] OUT
 */
#include <getopt.h>
#include <stdlib.h>

#include "bench.h"

int main(int argc, char **argv)
{
	const char *fixture = IMASNAP_DATA_DIR "/ima-ng-sha1-sha256";
	unsigned long records = 1000000;
	char seedpath[512];
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
	return 0;
}
