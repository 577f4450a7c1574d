// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper run inside the QEMU guest: compute the cut of IMA's live log
 * as `imasnap snapshot` will, with the same libimasnap core.  It reads the
 * log and every PCR of every bank from sysfs, replays the log under both
 * rules per bank, keeps the rule the TPM agrees with, writes the log bytes
 * (the archived shard body) to SHARD and prints the cut for the arm file.
 *
 *   mkcut SHARD [SEQ] [--wrong-state]
 *
 * --wrong-state flips a bit of the sha256 PCR 10 value in the cut: the
 * capture at kexec must then find that the tail does not match.
 */
#include <stdlib.h>

#include "imasnap.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return buf;
}

static int read_pcrs(struct imasnap_state *st)
{
	char path[128], line[160];
	int b, found = 0;
	u32 p;

	imasnap_state_init(st);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			u8 d[IMASNAP_MAX_DIGEST_SIZE];
			size_t hl = 2u * imasnap_bank_info(b)->size;
			FILE *f;

			snprintf(path, sizeof(path), "/sys/class/tpm/tpm0/pcr-%s/%u",
				 imasnap_bank_info(b)->name, p);
			f = fopen(path, "r");
			if (!f)
				break;
			if (!fgets(line, sizeof(line), f) || strlen(line) < hl ||
			    imasnap_hex_decode(line, hl, d)) {
				fclose(f);
				return -1;
			}
			fclose(f);
			imasnap_state_set(st, b, p, d);
			found++;
		}
	}
	return found ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const char log_path[] = "/sys/kernel/security/ima/binary_runtime_measurements";
	struct imasnap_state *tpm = calloc(1, sizeof(*tpm));
	struct imasnap_aggregate *cut = calloc(1, sizeof(*cut));
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	static char text[IMASNAP_AGGREGATE_MAX_LEN];
	bool wrong = argc > 3 && !strcmp(argv[3], "--wrong-state");
	unsigned char *log = NULL, *again;
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_err err;
	struct imasnap_log lg;
	struct imasnap_buf v;
	size_t len = 0, len2;
	unsigned int i;
	int try, b;
	u32 p;
	FILE *out;

	if (argc < 2 || !tpm || !cut || !rp || !evp) {
		fprintf(stderr, "usage: mkcut SHARD [SEQ] [--wrong-state]\n");
		return 2;
	}
	/* The PCRs must be the log's end state: the log may not grow meanwhile. */
	for (try = 0; try < 5; try++) {
		free(log);
		log = slurp(log_path, &len);
		if (!log || read_pcrs(tpm))
			return 1;
		again = slurp(log_path, &len2);
		if (again && len2 == len && !memcmp(again, log, len)) {
			free(again);
			break;
		}
		free(again);
	}
	if (try == 5)
		return 1;

	imasnap_replay_init(rp, imasnap_evp_ops(evp));
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!tpm->pcr_mask[b])
			continue;
		imasnap_replay_add_lane(rp, b, IMASNAP_RULE_NORMAL);
		if (b != IMASNAP_BANK_SHA1)
			imasnap_replay_add_lane(rp, b, IMASNAP_RULE_PADDED_SHA1);
	}
	imasnap_replay_start(rp, NULL);
	imasnap_log_init(&lg, IMASNAP_LOG_NATIVE);
	if (imasnap_replay_buffer(rp, &lg, log, len, &err)) {
		fprintf(stderr, "mkcut: record %llu: %s\n",
			(unsigned long long)err.index, err.reason);
		return 1;
	}
	/* Per bank, the lane whose every touched PCR equals the TPM's. */
	for (i = 0; i < rp->nr_lanes; i++) {
		const struct imasnap_lane *l = &rp->lane[i];
		bool ok = l->touched != 0;

		if (cut->state.pcr_mask[l->bank])
			continue;
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			if ((l->touched & (1U << p)) &&
			    memcmp(l->pcr[p], tpm->pcr[l->bank][p],
				   imasnap_bank_info(l->bank)->size))
				ok = false;
		if (ok)
			imasnap_replay_state(rp, i, &cut->state);
	}
	if (wrong)
		cut->state.pcr[IMASNAP_BANK_SHA256][10][0] ^= 1;

	cut->seq = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
	cut->entries = lg.index;
	cut->offset = len;
	v.data = log;
	v.len = len;
	if (imasnap_evp_ops(evp)->digest(imasnap_evp_ops(evp)->priv,
					 IMASNAP_BANK_SHA256, &v, 1, cut->shard))
		return 1;
	if (imasnap_aggregate_build(IMASNAP_AGG_CUT, cut, text, sizeof(text)) < 0)
		return 1;
	out = fopen(argv[1], "wb");
	if (!out || fwrite(log, 1, len, out) != len || fclose(out))
		return 1;
	puts(text);
	return 0;
}
