// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: write a shard with whatever fields an attacker chooses, with
 * the same writer the tool uses, so the verifier's checks can be attacked.
 *
 *   forge-shard DIR SEQ KIND BOOT-ID FIRST OFFSET BODY PREV START END
 *
 * KIND: log or tail.  BODY: a file of records, or - for none.  PREV: 64 hex
 * digits, or "zero".  START, END: "<alg> <pcr> <hex>" files, or - for empty.
 */
#include <stdlib.h>

#include "libimasnap.h"

static u8 *slurp(const char *path, size_t *len)
{
	const char *why;
	u8 *buf = NULL;

	*len = 0;
	if (strcmp(path, "-") && imasnap_read_file(path, SIZE_MAX, &buf, len, &why))
		exit(3);
	return buf;
}

int main(int argc, char **argv)
{
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	struct imasnap_evp *evp = imasnap_evp_new();
	size_t len;
	u8 *body;
	int ret;

	if (argc != 11 || !sh || !evp) {
		fprintf(stderr, "usage: forge-shard DIR SEQ KIND BOOT-ID FIRST OFFSET BODY PREV START END\n");
		return 2;
	}
	sh->seq = strtoull(argv[2], NULL, 10);
	sh->kind = strcmp(argv[3], "tail") ? IMASNAP_SHARD_LOG : IMASNAP_SHARD_TAIL;
	sh->order = IMASNAP_LOG_LE;
	if (imasnap_parse_boot_id(argv[4], sh->boot_id))
		return 2;
	sh->first_entry = strtoull(argv[5], NULL, 10);
	sh->log_offset = strtoull(argv[6], NULL, 10);
	body = slurp(argv[7], &len);
	sh->body_size = len;
	if (len) {
		struct imasnap_log_record rec;
		struct imasnap_log log;
		struct imasnap_err err;
		size_t pos = 0;

		imasnap_log_init(&log, IMASNAP_LOG_LE);
		while ((ret = imasnap_log_next(&log, body + pos, len - pos, true, &rec, &err)) > 0)
			pos += (size_t)ret;
		sh->entries = log.index;
	}
	if (strcmp(argv[8], "zero") && imasnap_hex_decode(argv[8], 64, sh->prev_digest))
		return 2;
	if ((strcmp(argv[9], "-") && imasnap_pcrfile_read(argv[9], &sh->start)) ||
	    (strcmp(argv[10], "-") && imasnap_pcrfile_read(argv[10], &sh->end)))
		return 2;
	ret = imasnap_shard_write(argv[1], sh, body, imasnap_evp_ops(evp));
	if (ret) {
		fprintf(stderr, "forge-shard: %s\n", strerror(-ret));
		return 3;
	}
	printf("%s\n", "written");
	free(body);
	free(sh);
	imasnap_evp_free(evp);
	return 0;
}
