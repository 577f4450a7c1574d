// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: write a handoff record (the module's carried file) with
 * whatever fields an attacker chooses, with the core's own encoder, so that
 * collect's checks can be attacked.
 *
 *   forge-record OUT SEQ ENTRIES CUT-OFFSET SHARD-DIGEST TAIL ARMED PCRS
 *
 * SHARD-DIGEST: 64 hex digits.  TAIL: a file of records, or - for none.
 * ARMED, PCRS: "<alg> <pcr> <hex>" files.  The record says its tail was
 * verified; its tail digest and entry count are those of TAIL.
 */
#include <stdlib.h>

#include "libimasnap.h"

int main(int argc, char **argv)
{
	struct imasnap_record *r = calloc(1, sizeof(*r));
	struct imasnap_evp *evp = imasnap_evp_new();
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	u8 *tail = NULL, *out;
	const char *why;
	size_t len = 0, pos = 0;
	FILE *f;
	int n;

	if (argc != 9 || !r || !evp) {
		fprintf(stderr, "usage: forge-record OUT SEQ ENTRIES CUT-OFFSET SHARD-DIGEST TAIL ARMED PCRS\n");
		return 2;
	}
	r->flags = IMASNAP_REC_TAIL_VERIFIED;
	r->seq = strtoull(argv[2], NULL, 10);
	r->entries = strtoull(argv[3], NULL, 10);
	r->cut_offset = strtoull(argv[4], NULL, 10);
	if (imasnap_hex_decode(argv[5], 64, r->shard_digest))
		return 2;
	if (strcmp(argv[6], "-") && imasnap_read_file(argv[6], SIZE_MAX, &tail, &len, &why))
		return 3;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	while ((n = imasnap_log_next(&log, tail + pos, len - pos, true, &rec, &err)) > 0)
		pos += (size_t)n;
	r->tail = tail;
	r->tail_size = (u32)len;
	r->tail_entries = (u32)log.index;
	if (imasnap_sha256(evp, tail, len, r->tail_digest) ||
	    imasnap_pcrfile_read(argv[7], &r->armed) || imasnap_pcrfile_read(argv[8], &r->pcrs))
		return 2;
	out = malloc(imasnap_record_size(r));
	n = out ? imasnap_record_encode(r, out, imasnap_record_size(r), imasnap_evp_ops(evp)) : -1;
	f = n > 0 ? fopen(argv[1], "w") : NULL;
	if (!f || fwrite(out, 1, (size_t)n, f) != (size_t)n || fclose(f))
		return 3;
	free(out);
	free(tail);
	free(r);
	imasnap_evp_free(evp);
	return 0;
}
