// SPDX-License-Identifier: GPL-2.0
/* The spool (userspace/lib/spool.c): what is appended reaches the file and its digest in order. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fixture.h"

/* Bytes that tell their own position, so a reordered or lost buffer shows. */
static unsigned char *pattern(size_t n)
{
	unsigned char *p = malloc(n);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 131 + i / 4099);
	return p;
}

static int temp_file(char *path)
{
	int fd;

	strcpy(path, "/tmp/imasnap-spool-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

/*
 * 5.3 MiB in pieces of odd sizes (some larger than the spool's buffers),
 * two syncs in the middle, from the file's start and from an offset in its
 * first block (as a shard's body follows its header): the file holds what
 * was there before and then the bytes given, and the digests are theirs;
 * a spool that does not hash writes the same and refuses to give a digest.
 */
static void spool_writes_and_hashes_everything_in_order(void **state)
{
	const size_t total = 5 * 1024 * 1024 + 300 * 1024;
	const size_t steps[] = { 1, 97, 4096, 65537, 1500000, 3 };
	const size_t starts[] = { 0, 328, 4097 };
	unsigned char *want = pattern(total), *got, digest[32], mid[32], expect[32];
	unsigned int dlen, k, i, j;
	char path[64];
	size_t off, n, len;
	int threaded, hashed;

	(void)state;
	for (k = 0; k < 4; k++) {
		threaded = k & 1;
		hashed = !(k & 2);
		for (i = 0; i < 3; i++) {
			const size_t start = starts[i];
			int fd = temp_file(path);
			struct imasnap_spool *s;

			/* What the file held before: the pattern's last @start bytes. */
			assert_int_equal(imasnap_write_all(fd, want + total - start, start), 0);
			s = imasnap_spool_new(fd, threaded, hashed);
			assert_non_null(s);
			for (off = 0, j = 0; off < total; off += n, j++) {
				n = steps[j % 6] < total - off ? steps[j % 6] : total - off;
				assert_int_equal(imasnap_spool_add(s, want + off, n), 0);
				if (j != 7 && j != 10)
					continue;
				if (!hashed) {
					assert_int_equal(imasnap_spool_sync(s, mid), -EINVAL);
				} else {
					assert_int_equal(imasnap_spool_sync(s, mid), 0);
					assert_int_equal(EVP_Digest(want, off + n, expect, &dlen,
								    EVP_sha256(), NULL), 1);
					assert_memory_equal(mid, expect, 32);
				}
				/* Synced: the file can be read back meanwhile. */
				got = read_file(path, &len);
				assert_int_equal(len, start + off + n);
				assert_memory_equal(got + start, want, off + n);
				free(got);
			}
			assert_int_equal(imasnap_spool_size(s), total);
			if (!hashed) {
				assert_int_equal(imasnap_spool_sync(s, NULL), 0);
				assert_int_equal(imasnap_spool_restart(s, digest), -EINVAL);
			} else {
				assert_int_equal(imasnap_spool_sync(s, digest), 0);
				assert_int_equal(EVP_Digest(want, total, expect, &dlen,
							    EVP_sha256(), NULL), 1);
				assert_memory_equal(digest, expect, 32);
			}
			imasnap_spool_free(s);
			close(fd);
			got = read_file(path, &len);
			assert_int_equal(len, start + total);
			assert_memory_equal(got, want + total - start, start);
			assert_memory_equal(got + start, want, total);
			free(got);
			unlink(path);
		}
	}
	free(want);
}

/* A write that fails (a descriptor not open for writing): every later call says so. */
static void spool_reports_a_failed_write(void **state)
{
	const size_t total = 3 * 1024 * 1024;
	unsigned char *p = pattern(total);
	char path[64];
	int threaded, ret;

	(void)state;
	for (threaded = 0; threaded <= 1; threaded++) {
		int fd = temp_file(path), ro;
		struct imasnap_spool *s;

		close(fd);
		ro = open(path, O_RDONLY);
		assert_true(ro >= 0);
		s = imasnap_spool_new(ro, threaded, true);
		assert_non_null(s);
		/* The first full buffer may be written after this returns (threaded). */
		ret = imasnap_spool_add(s, p, total);
		assert_true(ret == 0 || ret == -EBADF);
		assert_int_equal(imasnap_spool_sync(s, NULL), -EBADF);
		assert_int_equal(imasnap_spool_add(s, p, total), -EBADF);
		imasnap_spool_free(s);
		close(ro);
		unlink(path);
	}
	free(p);
}

/*
 * With no file, only the digest: a restart gives the digest of what came
 * since the start or the restart before, across buffer boundaries, and the
 * next digest starts from nothing.
 */
static void spool_without_a_file_digests_each_piece_between_restarts(void **state)
{
	const size_t cuts[] = { 0, 1, 1024 * 1024 + 5, 1024 * 1024 + 6, 4 * 1024 * 1024 };
	unsigned char *p = pattern(cuts[4]), digest[32], expect[32];
	unsigned int dlen, k;
	int threaded;

	(void)state;
	for (threaded = 0; threaded <= 1; threaded++) {
		struct imasnap_spool *s = imasnap_spool_new(-1, threaded, true);

		assert_non_null(s);
		for (k = 0; k + 1 < 5; k++) {
			size_t n = cuts[k + 1] - cuts[k];

			assert_int_equal(imasnap_spool_add(s, p + cuts[k], n), 0);
			assert_int_equal(imasnap_spool_size(s), n);
			assert_int_equal(imasnap_spool_restart(s, digest), 0);
			assert_int_equal(EVP_Digest(p + cuts[k], n, expect, &dlen, EVP_sha256(), NULL), 1);
			assert_memory_equal(digest, expect, 32);
		}
		/* Nothing since the last restart: the digest of no bytes. */
		assert_int_equal(imasnap_spool_sync(s, digest), 0);
		assert_int_equal(EVP_Digest("", 0, expect, &dlen, EVP_sha256(), NULL), 1);
		assert_memory_equal(digest, expect, 32);
		imasnap_spool_free(s);
	}
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spool_writes_and_hashes_everything_in_order),
		cmocka_unit_test(spool_reports_a_failed_write),
		cmocka_unit_test(spool_without_a_file_digests_each_piece_between_restarts),
	};

	return cmocka_run_group_tests_name("imasnap_spool", tests, NULL, NULL);
}
