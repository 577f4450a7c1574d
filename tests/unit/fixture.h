/* SPDX-License-Identifier: GPL-2.0 */
/* Shared helpers of the userspace unit tests: the real logs in tests/data. */
#ifndef _IMASNAP_TEST_FIXTURE_H
#define _IMASNAP_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "libimasnap.h"

struct fixture {
	const char *name;
	unsigned char *log;
	size_t log_len;
	struct imasnap_state pcrs;	/* what the TPM reported */
	u32 banks;			/* banks swtpm had */
	unsigned int records;		/* lines of the ASCII log */
};

extern const char *const fixture_names[];
extern const size_t nr_fixtures;

/* Load tests/data/<name>/; fails the test on any error. */
struct fixture *fixture_load(const char *name);
void fixture_free(struct fixture *f);
/* Banks replayed under the padded-SHA-1 rule in that boot. */
u32 fixture_padded(const struct fixture *f);
unsigned char *read_file(const char *path, size_t *len);

/* Replay @len bytes of @log from @start into a fresh replay (one lane per
 * bank in @banks, @padded banks under the padded-SHA-1 rule). */
int replay_log(const unsigned char *log, size_t len, u32 banks, u32 padded,
	       const struct imasnap_state *start, struct imasnap_state *out,
	       struct imasnap_err *err);

const struct imasnap_hash_ops *test_hash_ops(void);

/*
 * The shard file @path rewritten as format version 1 wrote it (same
 * layout; the version field 1), with @prev as its prev_digest unless NULL.
 * @digest: its shard digest by version 1's definition, computed here from
 * the file with OpenSSL (Documentation/abi.md), not by libimasnap.
 */
void shard_file_as_version_1(const char *path, const unsigned char *prev,
			     unsigned char digest[32]);
/* SHA-256 of the shard file's first @n bytes, with its trailer_size taken as 0. */
void shard_file_digest(const char *path, size_t n, unsigned char digest[32]);

#endif
