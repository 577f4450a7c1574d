// SPDX-License-Identifier: GPL-2.0
/*
 * The ascii renderer (userspace/lib/ascii.c) against the kernel's own
 * ascii_runtime_measurements of every real log, and on the fields no
 * fixture has.
 */
#include <stdlib.h>

#include "fixture.h"

static void put32(u32 v, unsigned char *p, bool be)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (unsigned char)(v >> (8 * i));
}

/* Render every record of @log; the text is returned, its length in @out_len. */
static char *render_all(const unsigned char *buf, size_t len, enum imasnap_log_order order,
			size_t *out_len, int *ret_out, struct imasnap_err *err)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	size_t pos = 0, cap = 4096, n = 0;
	char *out = malloc(cap);
	int ret;

	assert_non_null(out);
	imasnap_log_init(&log, order);
	*ret_out = 0;
	while ((ret = imasnap_log_next(&log, buf + pos, len - pos, true, &rec, err)) > 0) {
		size_t max = imasnap_ascii_max(&rec);
		ssize_t w;

		pos += (size_t)ret;
		while (cap - n < max) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		w = imasnap_ascii_record(&log, &rec, out + n, cap - n, err);
		if (w < 0) {
			*ret_out = (int)w;
			break;
		}
		n += (size_t)w;
	}
	assert_true(ret >= 0);
	*out_len = n;
	return out;
}

static void ascii_equals_the_kernels_ascii_file_for_every_real_log(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nr_fixtures; i++) {
		struct fixture *f = fixture_load(fixture_names[i]);
		struct imasnap_err err;
		char path[4096];
		unsigned char *want;
		size_t want_len, got_len;
		char *got;
		int ret;

		snprintf(path, sizeof(path), "%s/%s/ascii_runtime_measurements", IMASNAP_DATA_DIR,
			 fixture_names[i]);
		want = read_file(path, &want_len);
		got = render_all(f->log, f->log_len, IMASNAP_LOG_LE, &got_len, &ret, &err);
		assert_int_equal(ret, 0);
		if (got_len != want_len || memcmp(got, want, got_len))
			fail_msg("%s: the rendered log (%zu bytes) differs from the kernel's (%zu bytes)",
				 fixture_names[i], got_len, want_len);
		free(got);
		free(want);
		fixture_free(f);
	}
}

/* A record of template @tname with the given fields, in byte order @be. */
static size_t build(unsigned char *buf, const char *tname, bool be,
		    const void *const *fields, const u32 *flens, unsigned int nf)
{
	size_t pos = 0, dpos;
	unsigned int i;

	pos += 4;
	memset(buf, 0, 4);
	buf[be ? 3 : 0] = 10;
	for (i = 0; i < 20; i++)
		buf[pos++] = (unsigned char)(0xa0 + i);
	put32((u32)strlen(tname), buf + pos, be);
	pos += 4;
	memcpy(buf + pos, tname, strlen(tname));
	pos += strlen(tname);
	dpos = pos;
	pos += 4;
	for (i = 0; i < nf; i++) {
		put32(flens[i], buf + pos, be);
		pos += 4;
		memcpy(buf + pos, fields[i], flens[i]);
		pos += flens[i];
	}
	put32((u32)(pos - dpos - 4), buf + dpos, be);
	return pos;
}

static void check_line(const unsigned char *rec, size_t len, bool be, const char *want)
{
	struct imasnap_err err;
	size_t got_len;
	char *got;
	int ret;

	got = render_all(rec, len, be ? IMASNAP_LOG_BE : IMASNAP_LOG_LE, &got_len, &ret, &err);
	if (ret)
		fail_msg("rejected: %s", err.reason);
	if (got_len != strlen(want) || memcmp(got, want, got_len))
		fail_msg("got \"%.*s\", want \"%s\"", (int)got_len, got, want);
	free(got);
}

#define DIGEST_PREFIX	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"

static void ascii_prints_evm_sig_fields_as_ima_does_in_either_byte_order(void **state)
{
	static const u8 dng[] = "sha256:\0\x01\x02";
	static const u8 name[] = "/etc/passwd";
	static const u8 evmsig[] = { 0x03, 0x02 };
	static const u8 xnames[] = "security.ima|security.evm";
	static const u8 xlens[] = { 0x05, 0x00 };
	static const u8 xvals[] = { 0xde, 0xad };
	static const u8 uid_le[] = { 0xe8, 0x03, 0, 0 }, uid_be[] = { 0, 0, 0x03, 0xe8 };
	static const u8 gid[] = { 0, 0, 0, 0 };
	static const u8 mode_le[] = { 0xa4, 0x81 }, mode_be[] = { 0x81, 0xa4 };
	const void *f[9] = { dng, name, evmsig, xnames, xlens, xvals, uid_le, gid, mode_le };
	const u32 l[9] = { sizeof(dng) - 1, sizeof(name), sizeof(evmsig), sizeof(xnames),
			   sizeof(xlens), sizeof(xvals), 4, 4, 2 };
	const char *want = "10 " DIGEST_PREFIX " evm-sig sha256:0102 /etc/passwd 0302 "
			   "security.ima|security.evm 0500 dead 1000 0 33188\n";
	unsigned char buf[512];
	size_t n;

	(void)state;
	n = build(buf, "evm-sig", false, f, l, 9);
	check_line(buf, n, false, want);
	f[6] = uid_be;
	f[8] = mode_be;
	n = build(buf, "evm-sig", true, f, l, 9);
	check_line(buf, n, true, want);
}

static void ascii_prints_d_ngv2_with_its_type_and_an_empty_field_as_a_space(void **state)
{
	static const u8 dngv2[] = "verity:sha256:\0\xab";
	static const u8 name[] = "/usr/bin/true";
	const void *f[3] = { dngv2, name, "" };
	const u32 l[3] = { sizeof(dngv2) - 1, sizeof(name), 0 };
	unsigned char buf[256];
	size_t n;

	(void)state;
	n = build(buf, "ima-sigv2", false, f, l, 3);
	check_line(buf, n, false, "10 " DIGEST_PREFIX " ima-sigv2 verity:sha256:ab /usr/bin/true \n");
}

static void ascii_prints_ima_modsig_with_and_without_its_appended_signature(void **state)
{
	static const u8 dng[] = "sha256:\0\x10\x20";
	static const u8 name[] = "/lib/modules/6.1.0-57-amd64/kernel/net/key/af_key.ko";
	static const u8 dmodsig[] = "sha256:\0\x30\x40";
	static const u8 modsig[] = { 0x30, 0x82, 0x01 };
	const void *f[5] = { dng, name, "", dmodsig, modsig };
	u32 l[5] = { sizeof(dng) - 1, sizeof(name), 0, sizeof(dmodsig) - 1, sizeof(modsig) };
	unsigned char buf[512];
	size_t n;

	(void)state;
	n = build(buf, "ima-modsig", false, f, l, 5);
	check_line(buf, n, false, "10 " DIGEST_PREFIX " ima-modsig sha256:1020 "
		   "/lib/modules/6.1.0-57-amd64/kernel/net/key/af_key.ko  sha256:3040 308201\n");
	/* A file without one: d-modsig and modsig are empty, their spaces stay. */
	f[3] = "";
	f[4] = "";
	l[3] = 0;
	l[4] = 0;
	n = build(buf, "ima-modsig", false, f, l, 5);
	check_line(buf, n, false, "10 " DIGEST_PREFIX " ima-modsig sha256:1020 "
		   "/lib/modules/6.1.0-57-amd64/kernel/net/key/af_key.ko   \n");
}

static void ascii_prints_a_custom_format_under_its_format_as_the_name(void **state)
{
	static const u8 name[] = "/init";
	static const u8 uid[] = { 7 };
	const void *f[2] = { name, uid };
	const u32 l[2] = { sizeof(name), 1 };
	unsigned char buf[256];
	size_t n;

	(void)state;
	n = build(buf, "n-ng|iuid", false, f, l, 2);
	check_line(buf, n, false, "10 " DIGEST_PREFIX " n-ng|iuid /init 7\n");
}

static void ascii_rejects_fields_ima_could_not_have_printed(void **state)
{
	static const struct {
		const char *what;
		const u8 *dng;
		u32 dng_len;
		const u8 *name;
		u32 name_len;
	} bad[] = {
		{ "digest without its algorithm text", (const u8 *)"\x01\x02\x03", 3,
		  (const u8 *)"/a", 3 },
		{ "digest text without ':' before its NUL", (const u8 *)"sha256\0\x01", 8,
		  (const u8 *)"/a", 3 },
		{ "digest text with a ':' not at its end", (const u8 *)"sha:256\0\x01", 9,
		  (const u8 *)"/a", 3 },
		{ "name without its NUL", (const u8 *)"sha1:\0\x01", 7, (const u8 *)"/a", 2 },
	};
	unsigned char buf[256];
	size_t i, n, got_len;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const void *f[2] = { bad[i].dng, bad[i].name };
		const u32 l[2] = { bad[i].dng_len, bad[i].name_len };
		struct imasnap_err err;
		char *got;
		int ret;

		n = build(buf, "ima-ng", false, f, l, 2);
		got = render_all(buf, n, IMASNAP_LOG_LE, &got_len, &ret, &err);
		if (ret != -EBADMSG)
			fail_msg("%s: rendered, not rejected", bad[i].what);
		assert_int_equal(err.index, 0);
		free(got);
	}
}

static void ascii_refuses_a_buffer_smaller_than_its_bound(void **state)
{
	struct fixture *f = fixture_load("ima-buf");
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	char small[8];

	(void)state;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&log, f->log, f->log_len, true, &rec, &err) > 0);
	assert_int_equal(imasnap_ascii_record(&log, &rec, small, sizeof(small), &err), -ENOSPC);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascii_equals_the_kernels_ascii_file_for_every_real_log),
		cmocka_unit_test(ascii_prints_evm_sig_fields_as_ima_does_in_either_byte_order),
		cmocka_unit_test(ascii_prints_d_ngv2_with_its_type_and_an_empty_field_as_a_space),
		cmocka_unit_test(ascii_prints_ima_modsig_with_and_without_its_appended_signature),
		cmocka_unit_test(ascii_prints_a_custom_format_under_its_format_as_the_name),
		cmocka_unit_test(ascii_rejects_fields_ima_could_not_have_printed),
		cmocka_unit_test(ascii_refuses_a_buffer_smaller_than_its_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
