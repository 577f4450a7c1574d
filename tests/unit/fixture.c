// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fixture.h"

#ifndef IMASNAP_DATA_DIR
#error "build with -DIMASNAP_DATA_DIR=\"<path to tests/data>\""
#endif

const char *const fixture_names[] = {
	"ima-ng-sha1-sha256", "ima-legacy", "ima-sig", "ima-buf",
	"violations", "pcr11", "sha384-sha512", "canonical",
};
const size_t nr_fixtures = sizeof(fixture_names) / sizeof(fixture_names[0]);

static struct imasnap_evp *evp;

const struct imasnap_hash_ops *test_hash_ops(void)
{
	if (!evp)
		evp = imasnap_evp_new();
	assert_non_null(evp);
	return imasnap_evp_ops(evp);
}

unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("cannot open %s", path);
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	fclose(f);
	return buf;
}

struct fixture *fixture_load(const char *name)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[512], *ascii, *p;
	unsigned char *banks;
	size_t len;

	assert_non_null(f);
	f->name = name;
	snprintf(path, sizeof(path), "%s/%s/binary_runtime_measurements",
		 IMASNAP_DATA_DIR, name);
	f->log = read_file(path, &f->log_len);
	snprintf(path, sizeof(path), "%s/%s/pcrs.txt", IMASNAP_DATA_DIR, name);
	assert_int_equal(imasnap_pcrfile_read(path, &f->pcrs), 0);
	snprintf(path, sizeof(path), "%s/%s/banks", IMASNAP_DATA_DIR, name);
	banks = read_file(path, &len);
	banks = realloc(banks, len + 1);
	banks[len] = '\0';
	banks[strcspn((char *)banks, "\n")] = '\0';
	assert_int_equal(imasnap_parse_banks((char *)banks, &f->banks), 0);
	free(banks);
	snprintf(path, sizeof(path), "%s/%s/ascii_runtime_measurements",
		 IMASNAP_DATA_DIR, name);
	ascii = (char *)read_file(path, &len);
	for (p = ascii; p < ascii + len; p++)
		f->records += *p == '\n';
	free(ascii);
	return f;
}

/* Banks IMA could not hash in that boot (sha512_generic is a module). */
u32 fixture_padded(const struct fixture *f)
{
	return strcmp(f->name, "sha384-sha512") ? 0 :
	       (1U << IMASNAP_BANK_SHA384) | (1U << IMASNAP_BANK_SHA512);
}

void fixture_free(struct fixture *f)
{
	if (!f)
		return;
	free(f->log);
	free(f);
}

int replay_log(const unsigned char *log, size_t len, u32 banks, u32 padded,
	       const struct imasnap_state *start, struct imasnap_state *out,
	       struct imasnap_err *err)
{
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_log lg;
	unsigned int i;
	int ret, b;

	assert_non_null(rp);
	imasnap_replay_init(rp, test_hash_ops());
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (banks & (1U << b))
			assert_true(imasnap_replay_add_lane(rp, b, (padded & (1U << b)) ?
					IMASNAP_RULE_PADDED_SHA1 : IMASNAP_RULE_NORMAL) >= 0);
	}
	imasnap_replay_start(rp, start);
	imasnap_log_init(&lg, IMASNAP_LOG_LE);
	ret = imasnap_replay_buffer(rp, &lg, log, len, err);
	imasnap_state_init(out);
	for (i = 0; i < rp->nr_lanes; i++)
		imasnap_replay_state(rp, i, out);
	free(rp);
	return ret;
}

void shard_file_digest(const char *path, size_t n, unsigned char digest[32])
{
	size_t len;
	unsigned char *file = read_file(path, &len);
	unsigned int dlen = 0;

	assert_true(n >= 68 && n <= len);
	memset(file + 64, 0, 4);	/* trailer_size, at offset 64 */
	assert_int_equal(EVP_Digest(file, n, digest, &dlen, EVP_sha256(), NULL), 1);
	assert_int_equal(dlen, 32);
	free(file);
}

void shard_file_as_version_1(const char *path, const unsigned char *prev,
			     unsigned char digest[32])
{
	size_t len;
	unsigned char *file = read_file(path, &len);
	u32 trailer;
	FILE *f;

	assert_true(len >= 184);
	file[4] = 1;		/* version, le16 at offset 4 */
	file[5] = 0;
	if (prev)
		memcpy(file + 88, prev, 32);	/* prev_digest */
	trailer = (u32)file[64] | (u32)file[65] << 8 | (u32)file[66] << 16 | (u32)file[67] << 24;
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(file);
	/* Version 1: everything but the trailer. */
	shard_file_digest(path, len - trailer, digest);
}
