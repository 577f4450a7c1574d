// SPDX-License-Identifier: GPL-2.0
/* What the benchmarks share (bench.h). */
#include <stdlib.h>
#include <time.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned char *bench_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int bench_make_log(const unsigned char *seed, size_t len, unsigned long records,
		    FILE *out, size_t *bytes)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	unsigned long n = 0;
	size_t pos = 0;
	int ret;

	*bytes = 0;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	while (n < records) {
		if (pos == len)
			pos = 0;
		ret = imasnap_log_next(&log, seed + pos, len - pos, true, &rec, &err);
		if (ret <= 0)
			return -1;
		/*
		 * The seed's boot_aggregate once, at the start, as every boot's
		 * log begins; then its other records over and over, as a
		 * running host's log grows.
		 */
		if (pos || !n) {
			if (fwrite(seed + pos, 1, rec.size, out) != rec.size)
				return -1;
			*bytes += rec.size;
			n++;
		}
		pos += rec.size;
	}
	return 0;
}

