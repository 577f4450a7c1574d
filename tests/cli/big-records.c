// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: a log of large records, as IMA writes ima-buf records of
 * big critical data: the first record of FIXTURE-LOG (its boot_aggregate),
 * then N ima-buf records of SIZE bytes of buffer each, every template
 * digest the SHA-1 of its template data (OpenSSL), so the log replays.
 *
 *   big-records FIXTURE-LOG N SIZE OUT
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "libimasnap.h"

static void put32(u8 *p, u32 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
	p[2] = (u8)(v >> 16);
	p[3] = (u8)(v >> 24);
}

int main(int argc, char **argv)
{
	static const char algo[] = "sha256:";
	static const char name[] = "big_critical_data";
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	unsigned long n, size, i;
	size_t data_len, pos;
	u8 *r, *d;
	FILE *out;

	if (argc != 5)
		return fprintf(stderr, "usage: big-records FIXTURE-LOG N SIZE OUT\n"), 2;
	n = strtoul(argv[2], NULL, 10);
	size = strtoul(argv[3], NULL, 10);
	out = fopen(argv[4], "wb");
	if (!out || imasnap_logfile_open(&lf, argv[1], IMASNAP_ORDER_LE) ||
	    imasnap_logfile_next(&lf, &rec, &err) != 1 || fwrite(rec.raw, 1, rec.size, out) != rec.size)
		return fprintf(stderr, "big-records: %s: cannot copy its first record\n", argv[1]), 1;
	imasnap_logfile_close(&lf);
	/* d-ng ("sha256:\0" + 32 bytes), n-ng (name + NUL), buf (SIZE bytes). */
	data_len = 4 + sizeof(algo) + 32 + 4 + sizeof(name) + 4 + size;
	r = calloc(1, 4 + 20 + 4 + 7 + 4 + data_len);
	if (!r)
		return 1;
	for (i = 0; i < n; i++) {
		pos = 0;
		put32(r, 10);
		put32(r + 24, 7);
		memcpy(r + 28, "ima-buf", 7);
		put32(r + 35, (u32)data_len);
		d = r + 39;
		put32(d + pos, sizeof(algo) + 32);
		memcpy(d + pos + 4, algo, sizeof(algo));
		pos += 4 + sizeof(algo);
		memset(d + pos + 32, 0, 0);
		put32(d + pos + 32, sizeof(name));
		memcpy(d + pos + 36, name, sizeof(name));
		pos += 36 + sizeof(name);
		put32(d + pos, (u32)size);
		memset(d + pos + 4, (int)('a' + i % 26), size);
		/* The file digest: SHA-256 of the buffer, as IMA computes it. */
		if (!EVP_Digest(d + pos + 4, size, d + 4 + sizeof(algo), NULL, EVP_sha256(), NULL) ||
		    !EVP_Digest(d, data_len, r + 4, NULL, EVP_sha1(), NULL))
			return 1;
		if (fwrite(r, 1, 39 + data_len, out) != 39 + data_len)
			return 1;
	}
	free(r);
	return fclose(out) ? 1 : 0;
}
