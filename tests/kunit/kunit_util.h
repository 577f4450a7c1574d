/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the imasnap KUnit suites: the real logs of tests/data (generated
 * into fixtures.c), a fake TPM behind struct imasnap_tpm_ops, a log source
 * fed from a buffer, and the kernel hash ops.
 */
#ifndef _IMASNAP_KUNIT_UTIL_H
#define _IMASNAP_KUNIT_UTIL_H

#include <kunit/test.h>

#include "../module/imasnap_mod.h"

/* KUNIT_EXPECT_MEMEQ() is 6.2+: the suites run on 6.1 too. */
#define IMASNAP_EXPECT_MEMEQ(test, a, b, n) \
	KUNIT_EXPECT_TRUE_MSG(test, !memcmp(a, b, n), "%s differs from %s", #a, #b)
#define IMASNAP_EXPECT_MEMEQ_MSG(test, a, b, n, fmt, ...) \
	KUNIT_EXPECT_TRUE_MSG(test, !memcmp(a, b, n), fmt, ##__VA_ARGS__)
#define IMASNAP_EXPECT_MEMNEQ(test, a, b, n) \
	KUNIT_EXPECT_TRUE_MSG(test, memcmp(a, b, n), "%s equals %s", #a, #b)

struct imasnap_fixture_pcr {
	const char *bank;
	u32 pcr;
	const char *hex;
};

struct imasnap_fixture {
	const char *name;
	const u8 *log;
	size_t log_len;
	const struct imasnap_fixture_pcr *pcrs; /* what the TPM reported */
	unsigned int nr_pcrs;
	const char *banks;
	const char *padded; /* banks IMA could not hash: padded-SHA-1 rule */
	unsigned int records;
};

extern const struct imasnap_fixture imasnap_fixtures[];
extern const unsigned int imasnap_nr_fixtures;

const struct imasnap_fixture *kunit_fixture(struct kunit *test, const char *name);
/* The fixture after @prev (the first for NULL), its name in @desc. */
const void *kunit_fixture_next(const void *prev, char *desc);

/*
 * Parameter generator over every fixture (KUNIT_CASE_PARAM).  Newer kernels
 * (7.2, not 6.1) also hand a generator the test: tests/kunit/Kbuild.tree
 * looks at struct kunit_case in the kernel's <kunit/test.h> and defines
 * IMASNAP_KUNIT_GEN_TAKES_TEST when it does.
 */
#ifdef IMASNAP_KUNIT_GEN_TAKES_TEST
static inline const void *kunit_fixture_gen(struct kunit *test, const void *prev, char *desc)
{
	return kunit_fixture_next(prev, desc);
}
#else
static inline const void *kunit_fixture_gen(const void *prev, char *desc)
{
	return kunit_fixture_next(prev, desc);
}
#endif
u32 kunit_bank_mask(struct kunit *test, const char *list);
/* The TPM's PCRs of a fixture as a state (kunit_kzalloc'd). */
struct imasnap_state *kunit_fixture_pcrs(struct kunit *test, const struct imasnap_fixture *f);
/* Byte offset of record @index in @f's log (index == records: the end). */
size_t kunit_record_offset(struct kunit *test, const struct imasnap_fixture *f, unsigned int index);

/* crypto_shash for every bank, freed when the test ends. */
struct imasnap_khash *kunit_khash(struct kunit *test);

/* A TPM that answers from memory. */
struct fake_tpm {
	struct imasnap_tpm tpm;
	u32 banks;
	struct imasnap_state pcrs;
	u64 reset_count;
	u32 restart_count;
	int pcr_err; /* returned by read_pcrs when set */
	int clock_err; /* returned by read_counters when set */
};

struct fake_tpm *kunit_fake_tpm(struct kunit *test, u32 banks);

/* A log source over a buffer the test may append to (as IMA does). */
struct buf_source {
	u8 *buf;
	size_t len;
	size_t cap;
	int err; /* returned by the next read when set */
	size_t fit; /* the last fit() length, 0 if none */
	bool closed;
};

struct buf_source *kunit_buf_source(struct kunit *test, size_t cap);
void buf_source_append(struct buf_source *b, const void *data, size_t len);
struct imasnap_source buf_source_of(struct buf_source *b);

/*
 * Arm at record @cut_at of @f, IMA's log holding only the records before it;
 * append the rest to the returned source's buffer to make the tail.
 */
struct kunit_armed {
	struct imasnap_armed *a;
	struct buf_source *log;
	size_t cut_offset;
};

void kunit_arm(struct kunit *test, const struct imasnap_fixture *f, unsigned int cut_at,
	       size_t window, struct fake_tpm *tpm, struct imasnap_khash *h,
	       struct kunit_armed *out);

/* Replay @len bytes of @log from @start in @banks (padded: @padded). */
int kunit_replay(struct kunit *test, const u8 *log, size_t len, u32 banks, u32 padded,
		 const struct imasnap_state *start, struct imasnap_state *out);

#endif /* _IMASNAP_KUNIT_UTIL_H */
