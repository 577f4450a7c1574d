// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap verify on long logs: an archive of --shards shards cut from a log
 * of N records (real records of a fixture, repeated), and that log as the
 * live log, verified against a PCR file by the real binary.  Run for N/4
 * and N records: time and peak RSS (wait4).  The design says memory must
 * not grow with the log: the peak RSS for N must stay within 4 MiB of the
 * one for N/4.
 *
 *   verify_bench [-n RECORDS] [-s SHARDS] [-f FIXTURE] [-g RECORDS_PER_S]
 *
 * Exits 1 when a goal is not met.
 */
#include <getopt.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "shard.h"

#define BANKS	((1U << IMASNAP_BANK_SHA1) | (1U << IMASNAP_BANK_SHA256))

static void die(const char *what)
{
	fprintf(stderr, "verify_bench: %s\n", what);
	exit(1);
}

/* Cut @log into @shards shards in @dir; write the final PCRs to @pcrs. */
static void make_archive(const u8 *log, size_t len, unsigned long records, unsigned int shards,
			 const char *dir, const char *pcrs, const struct imasnap_hash_ops *ops)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_log_record rec;
	struct imasnap_log lg;
	struct imasnap_err err;
	char hex[2 * IMASNAP_MAX_DIGEST_SIZE + 1];
	size_t off = 0, start = 0;
	u64 n = 0, first = 0;
	unsigned int seq = 0;
	FILE *f;
	int b;
	u32 p;

	if (!rp || !sh)
		die("out of memory");
	imasnap_replay_init(rp, ops);
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (BANKS & (1U << b))
			imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL);
	imasnap_replay_start(rp, NULL);
	imasnap_log_init(&lg, IMASNAP_LOG_LE);
	memset(sh->boot_id, 0xb1, 16);
	while (off < len) {
		if (imasnap_log_next(&lg, log + off, len - off, true, &rec, &err) <= 0 ||
		    imasnap_replay_record(rp, &rec, &err))
			die("the log does not parse");
		off += rec.size;
		n++;
		if (n != (u64)(seq + 1) * records / shards)
			continue;
		sh->seq = seq;
		sh->kind = IMASNAP_SHARD_LOG;
		sh->order = IMASNAP_LOG_LE;
		sh->first_entry = first;
		sh->entries = n - first;
		sh->log_offset = start;
		sh->body_size = off - start;
		sh->start = sh->end;
		imasnap_state_init(&sh->end);
		for (b = 0; b < (int)rp->nr_lanes; b++)
			imasnap_replay_state(rp, (unsigned int)b, &sh->end);
		if (!seq)
			imasnap_state_init(&sh->start);
		if (imasnap_shard_write(dir, sh, log + start, ops))
			die("cannot write a shard");
		memcpy(sh->prev_digest, sh->digest, 32);
		first = n;
		start = off;
		seq++;
	}
	f = fopen(pcrs, "w");
	if (!f)
		die("cannot write the PCR file");
	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!imasnap_state_has(&sh->end, b, p))
				continue;
			imasnap_hex_encode(sh->end.pcr[b][p], imasnap_bank_info(b)->size, hex);
			fprintf(f, "%s %u %s\n", imasnap_bank_info(b)->name, p, hex);
		}
	fclose(f);
	free(rp);
	free(sh);
}

/* Run imasnap @cmd on @dir, @log and @pcrs; its wall time and peak RSS (KiB). */
static double run_imasnap(const char *imasnap, const char *cmd, const char *dir, const char *log,
			  const char *pcrs, long *maxrss)
{
	struct rusage ru;
	double t0 = bench_now();
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		if (!strcmp(cmd, "snapshot"))
			execl(imasnap, imasnap, cmd, "--dir", dir, "--log", log, "--pcrs", pcrs,
			      "--boot-id", "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1", (char *)NULL);
		else
			execl(imasnap, imasnap, cmd, "--dir", dir, "--log", log, "--pcrs", pcrs,
			      (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "verify_bench: imasnap %s failed on the benchmark archive\n", cmd);
		exit(1);
	}
	*maxrss = ru.ru_maxrss;
	return bench_now() - t0;
}

int main(int argc, char **argv)
{
	const char *fixture = IMASNAP_DATA_DIR "/ima-sig", *imasnap = "../userspace/imasnap";
	unsigned long records = 400000, sizes[2];
	unsigned int shards = 8;
	double goal = 150000, rate = 0, srate;
	long rss[2], srss[2];
	bool sok;
	struct imasnap_evp *evp = imasnap_evp_new();
	char seedpath[512], dir[64], log[80], pcrs[80], cmd[300];
	unsigned char *seed, *body;
	size_t len, blen, bytes;
	int c, i, ok;
	FILE *out;

	while ((c = getopt(argc, argv, "n:s:f:g:")) != -1) {
		if (c == 'n')
			records = strtoul(optarg, NULL, 10);
		else if (c == 's')
			shards = (unsigned int)strtoul(optarg, NULL, 10);
		else if (c == 'f')
			fixture = optarg;
		else if (c == 'g')
			goal = strtod(optarg, NULL);
		else
			return 2;
	}
	if (!evp || !shards || records < 4 * shards)
		die("bad arguments");
	snprintf(seedpath, sizeof(seedpath), "%s/binary_runtime_measurements", fixture);
	seed = bench_slurp(seedpath, &len);
	if (!seed)
		die("cannot read the fixture");
	sizes[0] = records / 4;
	sizes[1] = records;
	for (i = 0; i < 2; i++) {
		snprintf(dir, sizeof(dir), "/tmp/imasnap-vbench-XXXXXX");
		if (!mkdtemp(dir))
			die("mkdtemp");
		snprintf(log, sizeof(log), "%s.log", dir);
		snprintf(pcrs, sizeof(pcrs), "%s.pcrs", dir);
		out = fopen(log, "wb");
		if (!out || bench_make_log(seed, len, sizes[i], out, &bytes) || fclose(out))
			die("cannot write the log");
		body = bench_slurp(log, &blen);
		if (!body)
			die("cannot read the log back");
		make_archive(body, blen, sizes[i], shards, dir, pcrs, imasnap_evp_ops(evp));
		free(body);
		rate = (double)sizes[i] / run_imasnap(imasnap, "verify", dir, log, pcrs, &rss[i]);
		printf("verify %7lu records in %u shards + the same live log: %9.0f records/s, peak RSS %6.1f MiB (%.1f MiB log)\n",
		       sizes[i], shards, rate, (double)rss[i] / 1024, (double)bytes / (1 << 20));
		/* snapshot of the same log into an empty archive: it streams too. */
		snprintf(cmd, sizeof(cmd), "%s.snap", dir);
		if (mkdir(cmd, 0700))
			die("mkdir");
		srate = (double)sizes[i] / run_imasnap(imasnap, "snapshot", cmd, log, pcrs, &srss[i]);
		printf("snapshot %5lu records into an empty archive:           %9.0f records/s, peak RSS %6.1f MiB\n",
		       sizes[i], srate, (double)srss[i] / 1024);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s.snap'", dir);
		if (system(cmd))
			die("cleanup");
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s'", dir, log, pcrs);
		if (system(cmd))
			die("cleanup");
	}
	ok = rate >= goal && rss[1] - rss[0] <= 4096;
	printf("goal: >= %.0f records/s and peak RSS within 4 MiB from %lu to %lu records: %s\n",
	       goal, sizes[0], sizes[1], ok ? "met" : "NOT MET");
	sok = srss[1] - srss[0] <= 4096;
	printf("goal: snapshot peak RSS within 4 MiB from %lu to %lu records: %s\n",
	       sizes[0], sizes[1], sok ? "met" : "NOT MET");
	ok = ok && sok;
	imasnap_evp_free(evp);
	free(seed);
	return ok ? 0 : 1;
}
