// SPDX-License-Identifier: GPL-2.0
/*
 * Replay throughput of libimasnap on a long log: the real records of a
 * fixture repeated until the log holds --records records (each stays a valid
 * record; the PCR chain just gets longer), streamed from a file as
 * `imasnap replay` does.
 *
 *   replay_bench [--records N] [--fixture DIR] [--goal RECORDS_PER_S]
 *
 * Prints one line per scenario; exits 1 if the 2-bank scenario is slower
 * than the goal.
 */
#include <getopt.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define B(x) (1U << IMASNAP_BANK_##x)

static double run(const char *path, const struct imasnap_hash_ops *ops, u32 banks,
		  u32 padded, unsigned long *records)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	double t0;
	int b, ret;

	imasnap_replay_init(rp, ops);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (banks & (1U << b))
			imasnap_replay_add_lane(rp, b, (padded & (1U << b)) ?
						IMASNAP_RULE_PADDED_SHA1 : IMASNAP_RULE_NORMAL);
	imasnap_replay_start(rp, NULL);
	t0 = bench_now();
	if (imasnap_logfile_open(&lf, path, IMASNAP_ORDER_LE))
		exit(1);
	*records = 0;
	while ((ret = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		if (banks && imasnap_replay_record(rp, &rec, &err))
			break;
		(*records)++;
	}
	imasnap_logfile_close(&lf);
	if (ret) {
		fprintf(stderr, "replay_bench: record %llu: %s\n",
			(unsigned long long)err.index, err.reason);
		exit(1);
	}
	free(rp);
	return bench_now() - t0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		u32 banks, padded;
	} scenarios[] = {
		{ "parse only", 0, 0 },
		{ "replay sha1+sha256", B(SHA1) | B(SHA256), 0 },
		{ "replay sha1+sha256+sha384+sha512", B(SHA1) | B(SHA256) | B(SHA384) | B(SHA512), 0 },
		{ "replay sha384+sha512, padded sha1", B(SHA384) | B(SHA512), B(SHA384) | B(SHA512) },
	};
	const char *fixture = IMASNAP_DATA_DIR "/ima-sig";
	unsigned long records = 200000, n;
	double goal = 500000, rate2 = 0;
	char seedpath[512], path[] = "/tmp/imasnap-bench-XXXXXX";
	struct imasnap_evp *evp;
	unsigned char *seed;
	size_t len, bytes;
	FILE *out;
	size_t i;
	int c, fd;

	while ((c = getopt(argc, argv, "n:f:g:")) != -1) {
		if (c == 'n')
			records = strtoul(optarg, NULL, 10);
		else if (c == 'f')
			fixture = optarg;
		else if (c == 'g')
			goal = strtod(optarg, NULL);
		else
			return 2;
	}
	snprintf(seedpath, sizeof(seedpath), "%s/binary_runtime_measurements", fixture);
	seed = bench_slurp(seedpath, &len);
	fd = mkstemp(path);
	out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	evp = imasnap_evp_new();
	if (!seed || !out || !evp || bench_make_log(seed, len, records, out, &bytes) || fclose(out)) {
		fprintf(stderr, "replay_bench: cannot build the log from %s\n", seedpath);
		return 1;
	}
	printf("log: %lu records, %.1f MiB (records of %s)\n", records,
	       (double)bytes / (1 << 20), fixture);
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		double t = run(path, imasnap_evp_ops(evp), scenarios[i].banks,
			       scenarios[i].padded, &n);

		printf("%-36s %8.3f s %10.0f records/s %8.1f MiB/s\n", scenarios[i].name,
		       t, (double)n / t, (double)bytes / (1 << 20) / t);
		if (i == 1)
			rate2 = (double)n / t;
	}
	unlink(path);
	imasnap_evp_free(evp);
	free(seed);
	printf("goal: replay sha1+sha256 >= %.0f records/s: %s\n", goal,
	       rate2 >= goal ? "met" : "NOT MET");
	return rate2 >= goal ? 0 : 1;
}
