// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for the fuzz targets, made with the real encoders from the real
 * logs in tests/data, so the fuzzers start from valid inputs:
 *   seedgen OUT LOG PCRS
 * writes OUT/fuzz_record/, OUT/fuzz_aggregate/ and OUT/fuzz_files/ seeds
 * (a shard of LOG, a checkpoint of it) named after LOG's folder.
 */
#include <unistd.h>

#include "fuzz.h"

static void put(const char *dir, const char *name, u8 prefix, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || (prefix != 0xff && fputc(prefix, f) == EOF) || fwrite(p, 1, n, f) != n ||
	    fclose(f)) {
		perror(path);
		exit(1);
	}
}

static u8 *slurp(const char *path, size_t *len)
{
	const char *why;
	u8 *buf = NULL;

	if (imasnap_read_file(path, SIZE_MAX, &buf, len, &why)) {
		fprintf(stderr, "seedgen: cannot read %s\n", path);
		exit(1);
	}
	return buf;
}

int main(int argc, char **argv)
{
	static struct imasnap_record r;
	static struct imasnap_aggregate agg;
	static struct imasnap_shard sh;
	static struct imasnap_checkpoint cp;
	static char text[IMASNAP_AGGREGATE_MAX_LEN];
	char dir[4096], tmp[] = "/tmp/imasnap-seedgen-XXXXXX", name[256], path[4096];
	const char *tag;
	size_t len, flen;
	u8 *log, *buf;
	int n;

	if (argc != 4) {
		fprintf(stderr, "usage: seedgen OUT LOG PCRS\n");
		return 2;
	}
	tag = strrchr(argv[2], '/');
	snprintf(name, sizeof(name), "%.*s", tag ? (int)(tag - argv[2]) : 0, argv[2]);
	tag = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	log = slurp(argv[2], &len);
	if (imasnap_pcrfile_read(argv[3], &r.pcrs))
		return 1;
	/* Only PCR 10 and 11: a state as the archive keeps it. */
	for (n = 0; n < IMASNAP_NR_BANKS; n++)
		r.pcrs.pcr_mask[n] &= 3U << 10;

	r.flags = IMASNAP_REC_TAIL_VERIFIED;
	r.seq = 3;
	r.entries = 40;
	r.cut_offset = 4096;
	r.tail_entries = 2;
	r.armed = r.pcrs;
	r.tail = log;
	r.tail_size = len < 600 ? (u32)len : 600;
	buf = malloc(imasnap_record_size(&r));
	n = imasnap_record_encode(&r, buf, imasnap_record_size(&r), fuzz_hash_ops());
	if (n < 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/fuzz_record", argv[1]);
	put(dir, tag, 0xff, buf, (size_t)n);

	agg.seq = 3;
	agg.entries = 40;
	agg.offset = 4096;
	agg.tail_entries = 2;
	agg.state = r.pcrs;
	snprintf(dir, sizeof(dir), "%s/fuzz_aggregate", argv[1]);
	n = imasnap_aggregate_build(IMASNAP_AGG_CUT, &agg, text, sizeof(text));
	snprintf(path, sizeof(path), "%s-cut", tag);
	if (n > 0)
		put(dir, path, 0xff, text, (size_t)n);
	n = imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, &agg, text, sizeof(text));
	snprintf(path, sizeof(path), "%s-snapshot", tag);
	if (n > 0)
		put(dir, path, 0xff, text, (size_t)n);

	/* A shard of the whole log (its end state need not be right: a seed). */
	if (!mkdtemp(tmp))
		return 1;
	sh.kind = IMASNAP_SHARD_LOG;
	sh.order = IMASNAP_LOG_LE;
	sh.entries = 1;
	sh.body_size = len;
	sh.end = r.pcrs;
	if (imasnap_shard_write(tmp, &sh, log, fuzz_hash_ops()))
		return 1;
	snprintf(path, sizeof(path), "%s/shard-00000000.ims", tmp);
	free(buf);
	buf = slurp(path, &flen);
	snprintf(dir, sizeof(dir), "%s/fuzz_files", argv[1]);
	snprintf(path, sizeof(path), "%s-shard", tag);
	put(dir, path, 0, buf, flen);
	unlink(strcat(strcpy(path, tmp), "/shard-00000000.ims"));

	cp.shard = sh;
	cp.has_prefix = true;
	cp.clock.valid = true;
	snprintf(path, sizeof(path), "%s/checkpoint", tmp);
	if (imasnap_checkpoint_write(path, &cp))
		return 1;
	free(buf);
	buf = slurp(path, &flen);
	unlink(path);
	rmdir(tmp);
	snprintf(path, sizeof(path), "%s-checkpoint", tag);
	put(dir, path, 2, buf, flen);
	free(buf);
	/* The PCR file, as the host hands it to a verifier. */
	buf = slurp(argv[3], &flen);
	snprintf(path, sizeof(path), "%s-pcrs", tag);
	put(dir, path, 3, buf, flen);
	free(buf);
	free(log);
	return 0;
}
