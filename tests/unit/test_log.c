// SPDX-License-Identifier: GPL-2.0
/* The IMA binary log parser (lib/log.c) on real logs and malformed ones. */
#include <stdlib.h>

#include "fixture.h"

static size_t put32(unsigned char *p, u32 v, bool be)
{
	p[be ? 3 : 0] = (unsigned char)v;
	p[be ? 2 : 1] = (unsigned char)(v >> 8);
	p[be ? 1 : 2] = (unsigned char)(v >> 16);
	p[be ? 0 : 3] = (unsigned char)(v >> 24);
	return 4;
}

/* An ima-ng-like record: pcr, zero-filled digest, name, fields as given. */
static size_t build(unsigned char *buf, u32 pcr, const char *tname,
		    const u32 *flens, unsigned int nf)
{
	size_t pos = 0, dpos;
	unsigned int i;

	pos += put32(buf + pos, pcr, false);
	memset(buf + pos, 0x11, 20);
	pos += 20;
	pos += put32(buf + pos, (u32)strlen(tname), false);
	memcpy(buf + pos, tname, strlen(tname));
	pos += strlen(tname);
	dpos = pos;
	pos += 4;
	for (i = 0; i < nf; i++) {
		pos += put32(buf + pos, flens[i], false);
		memset(buf + pos, 'a' + (int)i, flens[i]);
		pos += flens[i];
	}
	put32(buf + dpos, (u32)(pos - dpos - 4), false);
	return pos;
}

static int parse_all(const unsigned char *buf, size_t len,
		     enum imasnap_log_order order, struct imasnap_err *err,
		     unsigned int *n)
{
	struct imasnap_log_record rec;
	struct imasnap_log log;
	size_t pos = 0;
	int ret;

	*n = 0;
	imasnap_log_init(&log, order);
	while ((ret = imasnap_log_next(&log, buf + pos, len - pos, true, &rec, err)) > 0) {
		assert_int_equal(rec.offset, pos);
		assert_int_equal(rec.index, *n);
		pos += (size_t)ret;
		(*n)++;
	}
	return ret;
}

static void log_next_parses_every_record_of_real_logs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nr_fixtures; i++) {
		struct fixture *f = fixture_load(fixture_names[i]);
		struct imasnap_err err;
		unsigned int n;

		assert_int_equal(parse_all(f->log, f->log_len, IMASNAP_LOG_LE, &err, &n), 0);
		assert_int_equal(n, f->records);
		fixture_free(f);
	}
}

static void log_next_streams_in_any_chunk_size(void **state)
{
	struct fixture *f = fixture_load("violations");
	size_t chunk;

	(void)state;
	for (chunk = 1; chunk <= f->log_len; chunk = chunk < 64 ? chunk + 1 : chunk * 2) {
		struct imasnap_log_record rec;
		struct imasnap_log log;
		struct imasnap_err err;
		size_t have = 0, start = 0;
		unsigned int n = 0;
		int ret;

		imasnap_log_init(&log, IMASNAP_LOG_LE);
		for (;;) {
			bool final = have == f->log_len;

			ret = imasnap_log_next(&log, f->log + start, have - start,
					       final, &rec, &err);
			assert_true(ret >= 0);
			if (ret > 0) {
				start += (size_t)ret;
				n++;
				continue;
			}
			if (final)
				break;
			have = have + chunk > f->log_len ? f->log_len : have + chunk;
		}
		assert_int_equal(n, f->records);
		assert_int_equal(log.offset, f->log_len);
	}
	fixture_free(f);
}

static int count_fn(void *priv, const struct imasnap_log *log,
		    const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	unsigned int *n = priv;

	(void)log;
	(void)err;
	(void)rec;
	return ++*n == 5 ? -ECANCELED : 0;
}

static void log_feed_keeps_the_partial_record_for_the_next_read(void **state)
{
	struct fixture *f = fixture_load("violations");
	unsigned char *buf = malloc(f->log_len);
	size_t have = 0, fed = 0;
	unsigned int n = 0;
	struct imasnap_log log;
	struct imasnap_err err;
	int ret = 0;

	(void)state;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	/* 37-byte reads: most end inside a record. */
	while (fed < f->log_len && !ret) {
		size_t chunk = f->log_len - fed < 37 ? f->log_len - fed : 37;

		memcpy(buf + have, f->log + fed, chunk);
		have += chunk;
		fed += chunk;
		ret = imasnap_log_feed(&log, buf, &have, fed == f->log_len, count_fn, &n, &err);
	}
	/* The callback's error stops the feed; the record it refused is kept. */
	assert_int_equal(ret, -ECANCELED);
	assert_int_equal(n, 5);
	assert_int_equal(log.index, 4);
	assert_memory_equal(buf, f->log + log.offset, have);
	/* Without a callback, the rest parses to the end. */
	memcpy(buf + have, f->log + fed, f->log_len - fed);
	have += f->log_len - fed;
	assert_int_equal(imasnap_log_feed(&log, buf, &have, true, NULL, NULL, &err), 0);
	assert_int_equal(have, 0);
	assert_int_equal(log.index, f->records);
	free(buf);
	fixture_free(f);
}

static void log_next_rejects_truncation_at_every_byte(void **state)
{
	struct fixture *f = fixture_load("ima-legacy");
	size_t cut;

	(void)state;
	/* Cutting inside a record must fail; cutting between records is a
	 * shorter, valid log. */
	for (cut = 1; cut < f->log_len; cut++) {
		struct imasnap_err err = { 0 };
		unsigned int n;
		int ret = parse_all(f->log, cut, IMASNAP_LOG_LE, &err, &n);

		if (ret == 0)
			continue;
		assert_int_equal(ret, -EBADMSG);
		assert_string_equal(err.reason, "truncated record");
		assert_int_equal(err.index, n);
	}
	fixture_free(f);
}

static void log_next_reads_big_endian_logs(void **state)
{
	struct fixture *f = fixture_load("pcr11");
	unsigned char *be = malloc(f->log_len);
	struct imasnap_log_record a, b;
	struct imasnap_log la, lb;
	enum imasnap_log_order order;
	struct imasnap_err err;
	size_t pos = 0;
	int ra, rb;

	(void)state;
	assert_non_null(be);
	memcpy(be, f->log, f->log_len);
	/* Byte-swap every u32 a big-endian kernel would write natively. */
	imasnap_log_init(&la, IMASNAP_LOG_LE);
	while ((ra = imasnap_log_next(&la, f->log + pos, f->log_len - pos, true, &a, &err)) > 0) {
		u32 i, fl, fpos;

		put32(be + pos, a.pcr, true);
		put32(be + pos + 24, a.name_len, true);
		put32(be + pos + 28 + a.name_len, a.data_len, true);
		for (i = 0, fpos = 0; i < a.nr_fields; i++) {
			const u8 *d;

			assert_int_equal(imasnap_log_field(&la, &a, i, &d, &fl), 0);
			put32(be + pos + 32 + a.name_len + fpos, fl, true);
			fpos += 4 + fl;
		}
		pos += (size_t)ra;
	}
	assert_int_equal(imasnap_log_guess_order(be, f->log_len, &order), 0);
	assert_int_equal(order, IMASNAP_LOG_BE);
	assert_int_equal(imasnap_log_guess_order(f->log, f->log_len, &order), 0);
	assert_int_equal(order, IMASNAP_LOG_LE);

	imasnap_log_init(&la, IMASNAP_LOG_LE);
	imasnap_log_init(&lb, IMASNAP_LOG_BE);
	for (pos = 0; pos < f->log_len; pos += (size_t)ra) {
		ra = imasnap_log_next(&la, f->log + pos, f->log_len - pos, true, &a, &err);
		rb = imasnap_log_next(&lb, be + pos, f->log_len - pos, true, &b, &err);
		assert_true(ra > 0);
		assert_int_equal(ra, rb);
		assert_int_equal(a.pcr, b.pcr);
		assert_int_equal(a.nr_fields, b.nr_fields);
		assert_int_equal(a.data_len, b.data_len);
	}
	free(be);
	fixture_free(f);
}

static void log_field_returns_ima_ng_digest_and_name(void **state)
{
	struct fixture *f = fixture_load("ima-ng-sha1-sha256");
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	const u8 *d;
	u32 len;

	(void)state;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&log, f->log, f->log_len, true, &rec, &err) > 0);
	assert_int_equal(rec.nr_fields, 2);
	assert_int_equal(imasnap_log_field(&log, &rec, 1, &d, &len), 0);
	assert_int_equal(len, sizeof("boot_aggregate"));
	assert_memory_equal(d, "boot_aggregate", len);
	assert_int_equal(imasnap_log_field(&log, &rec, 0, &d, &len), 0);
	assert_int_equal(len, sizeof("sha256:") + 32);
	assert_int_equal(imasnap_log_field(&log, &rec, 2, &d, &len), -ENOENT);
	fixture_free(f);
}

struct malformed {
	const char *what;
	const char *reason;
	size_t (*make)(unsigned char *buf);
};

static size_t mk_pcr_64(unsigned char *b)
{
	u32 fl[] = { 40, 5 };

	return build(b, 64, "ima-ng", fl, 2);
}

static size_t mk_name_len_0(unsigned char *b)
{
	u32 fl[] = { 40, 5 };
	size_t n = build(b, 10, "ima-ng", fl, 2);

	put32(b + 24, 0, false);
	return n;
}

static size_t mk_name_len_256(unsigned char *b)
{
	u32 fl[] = { 4 };
	size_t n = build(b, 10, "x", fl, 1);

	put32(b + 24, 256, false);
	return n + 300;
}

static size_t mk_name_char(unsigned char *b)
{
	u32 fl[] = { 40, 5 };

	return build(b, 10, "ima ng", fl, 2);
}

static size_t mk_data_too_long(unsigned char *b)
{
	u32 fl[] = { 4 };
	size_t n = build(b, 10, "custom", fl, 1);

	put32(b + 34, IMASNAP_TEMPLATE_DATA_MAX + 1, false);
	return n;
}

static size_t mk_field_crosses(unsigned char *b)
{
	u32 fl[] = { 40, 5 };
	size_t n = build(b, 10, "ima-ng", fl, 2);

	/* template data length 2 bytes shorter: the last field crosses it */
	put32(b + 34, (u32)(n - 38 - 2), false);
	return n - 2;
}

static size_t mk_field_len_word_cut(unsigned char *b)
{
	u32 fl[] = { 40, 5 };
	size_t n = build(b, 10, "custom", fl, 2);

	/* data ends 2 bytes into the second length word */
	put32(b + 34, 4 + 40 + 2, false);
	return n - (n - 38 - 4 - 40 - 2);
}

static size_t mk_too_many_fields(unsigned char *b)
{
	u32 fl[16] = { 0 };

	return build(b, 10, "custom", fl, 16);
}

static size_t mk_ima_ng_three_fields(unsigned char *b)
{
	u32 fl[] = { 40, 5, 0 };

	return build(b, 10, "ima-ng", fl, 3);
}

static size_t mk_legacy_long_name(unsigned char *b)
{
	size_t pos = 0;

	pos += put32(b, 10, false);
	memset(b + 4, 1, 20);
	pos += 20;
	pos += put32(b + pos, 3, false);
	memcpy(b + pos, "ima", 3);
	pos += 3;
	memset(b + pos, 2, 20);
	pos += 20;
	pos += put32(b + pos, 256, false);
	memset(b + pos, 'n', 256);
	return pos + 256;
}

static size_t mk_pcr_24(unsigned char *b)
{
	u32 fl[] = { 40, 5 };

	return build(b, 24, "ima-ng", fl, 2);
}

static size_t mk_unknown_template(unsigned char *b)
{
	u32 fl[] = { 40, 5 };

	return build(b, 10, "zz-evil", fl, 2);
}

static size_t mk_format_with_unknown_field(unsigned char *b)
{
	u32 fl[] = { 40, 5 };

	return build(b, 10, "d-ng|n-evil", fl, 2);
}

static size_t mk_format_with_other_field_count(unsigned char *b)
{
	u32 fl[] = { 40, 5, 3 };

	return build(b, 10, "d-ng|n-ng", fl, 3);
}

/* A legacy 'ima' record; @name_len bytes of 'n' from @name, the rest as given. */
static size_t mk_legacy(unsigned char *b, const char *name, u32 name_len, u8 tdigest, u8 fdigest)
{
	size_t pos = 0;

	pos += put32(b, 10, false);
	memset(b + 4, tdigest, 20);
	pos += 20;
	pos += put32(b + pos, 3, false);
	memcpy(b + pos, "ima", 3);
	pos += 3;
	memset(b + pos, fdigest, 20);
	pos += 20;
	pos += put32(b + pos, name_len, false);
	memcpy(b + pos, name, name_len);
	return pos + name_len;
}

static size_t mk_legacy_name_with_nul(unsigned char *b)
{
	return mk_legacy(b, "/bin/sh\0\0", 9, 1, 2);
}

static size_t mk_legacy_violation_with_a_digest(unsigned char *b)
{
	return mk_legacy(b, "/bin/sh", 7, 0, 2);
}

/* ima-ng violation: zero template digest, "sha256:\0" + a digest that is not zero. */
static size_t mk_violation_with_a_digest(unsigned char *b)
{
	u32 fl[] = { 8 + 32, 5 };
	size_t n = build(b, 10, "ima-ng", fl, 2);

	memset(b + 4, 0, 20);
	memcpy(b + 38 + 4, "sha256:", 8);
	return n;
}

static const struct malformed malformed[] = {
	{ "pcr 24", "PCR index out of range", mk_pcr_24 },
	{ "template name IMA cannot write",
	  "template name is neither a template nor a format IMA can write", mk_unknown_template },
	{ "format naming an unknown field",
	  "template name is neither a template nor a format IMA can write",
	  mk_format_with_unknown_field },
	{ "format with another field count", "wrong number of fields for the template",
	  mk_format_with_other_field_count },
	{ "legacy name with NUL bytes", "'ima' event name holds a NUL byte", mk_legacy_name_with_nul },
	{ "legacy violation with a file digest", "violation with a file digest that is not zero",
	  mk_legacy_violation_with_a_digest },
	{ "ima-ng violation with a file digest", "violation with a file digest that is not zero",
	  mk_violation_with_a_digest },
	{ "pcr 64", "PCR index out of range", mk_pcr_64 },
	{ "empty template name", "template name length out of range", mk_name_len_0 },
	{ "template name of 256 bytes", "template name length out of range", mk_name_len_256 },
	{ "space in template name", "template name has a character IMA never writes", mk_name_char },
	{ "template data over 1 MiB", "template data length out of range", mk_data_too_long },
	{ "field longer than the data", "template field longer than the template data", mk_field_crosses },
	{ "field length word cut", "template field length crosses the end of the template data", mk_field_len_word_cut },
	{ "16 fields", "too many template fields", mk_too_many_fields },
	{ "ima-ng with 3 fields", "wrong number of fields for the template", mk_ima_ng_three_fields },
	{ "legacy name of 256 bytes", "'ima' event name longer than 255 bytes", mk_legacy_long_name },
};

static void log_next_rejects_each_malformed_record_class(void **state)
{
	static unsigned char buf[2048];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct imasnap_log_record rec;
		struct imasnap_log log;
		struct imasnap_err err = { 0 };
		size_t n;
		int ret;

		memset(buf, 0, sizeof(buf));
		n = malformed[i].make(buf);
		imasnap_log_init(&log, IMASNAP_LOG_LE);
		log.offset = 1000;	/* as if records came before it */
		log.index = 7;
		ret = imasnap_log_next(&log, buf, n, true, &rec, &err);
		if (ret != -EBADMSG || strcmp(err.reason, malformed[i].reason))
			fail_msg("%s: got %d '%s', want '%s'", malformed[i].what,
				 ret, ret < 0 ? err.reason : "", malformed[i].reason);
		assert_int_equal(err.index, 7);
		assert_true(err.offset >= 1000 && err.offset < 1000 + n);
		/* Nothing was consumed. */
		assert_int_equal(log.offset, 1000);
		assert_int_equal(log.index, 7);
	}
}

static void log_next_takes_every_builtin_template_with_its_fields(void **state)
{
	static const struct {
		const char *name;
		unsigned int nf;
	} builtin[] = {
		{ "ima-ng", 2 }, { "ima-sig", 3 }, { "ima-ngv2", 2 }, { "ima-sigv2", 3 },
		{ "ima-buf", 3 }, { "ima-modsig", 5 }, { "evm-sig", 9 },
	};
	static unsigned char buf[1024];
	u32 fl[9] = { 40, 5, 3, 0, 1, 2, 4, 4, 2 };
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		n = build(buf, 11, builtin[i].name, fl, builtin[i].nf);
		imasnap_log_init(&log, IMASNAP_LOG_LE);
		if (imasnap_log_next(&log, buf, n, true, &rec, &err) != (int)n)
			fail_msg("%s: %s", builtin[i].name, err.reason);
		assert_int_equal(rec.nr_fields, builtin[i].nf);
	}
}

/* A boot_aggregate record of template @tname with digest field @prefix + 32 bytes of 0x5a. */
static size_t mk_boot_aggregate(unsigned char *b, const char *tname, const char *prefix)
{
	u32 plen = (u32)strlen(prefix) + 1, fl[] = { plen + 32, 15 };
	size_t n = build(b, 10, tname, fl, 2), d = 28 + strlen(tname) + 4 + 4;

	memcpy(b + d, prefix, plen);
	memset(b + d + plen, 0x5a, 32);
	memcpy(b + d + plen + 32 + 4, "boot_aggregate", 15);
	return n;
}

/* IMA writes the boot_aggregate as d-ng "sha256:" or, in ima-ngv2, d-ngv2 "ima:sha256:". */
static void boot_aggregate_of_reads_d_ng_and_d_ngv2(void **state)
{
	static const char *const cases[][2] = {
		{ "ima-ng", "sha256:" }, { "ima-ngv2", "ima:sha256:" }, { "ima-sigv2", "ima:sha256:" },
	};
	static unsigned char buf[512];
	struct imasnap_boot_aggregate ba;
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	const char *why;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = mk_boot_aggregate(buf, cases[i][0], cases[i][1]);
		if (!strcmp(cases[i][0], "ima-sigv2")) {
			/* a third, empty sig field */
			put32(buf + n, 0, false);
			put32(buf + 28 + strlen(cases[i][0]), (u32)(n + 4 - 28 - strlen(cases[i][0]) - 4), false);
			n += 4;
		}
		imasnap_log_init(&log, IMASNAP_LOG_LE);
		if (imasnap_log_next(&log, buf, n, true, &rec, &err) != (int)n)
			fail_msg("%s: %s", cases[i][0], err.reason);
		assert_int_equal(imasnap_boot_aggregate_of(&log, &rec, &ba, &why), 0);
		assert_true(ba.present);
		assert_int_equal(ba.bank, IMASNAP_BANK_SHA256);
		assert_int_equal(ba.digest[0], 0x5a);
		assert_false(ba.zero);
	}
	n = mk_boot_aggregate(buf, "ima-ng", "sha3:");
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_true(imasnap_log_next(&log, buf, n, true, &rec, &err) > 0);
	assert_int_equal(imasnap_boot_aggregate_of(&log, &rec, &ba, &why), -EBADMSG);
}

/* A violation's digest fields are zero, whatever its name says. */
static void log_next_takes_a_violation_with_zero_digests(void **state)
{
	static unsigned char buf[512];
	u32 fl[] = { 8 + 32, 5 };
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t n = build(buf, 10, "ima-ng", fl, 2);

	(void)state;
	memset(buf + 4, 0, 20);
	memset(buf + 38 + 4, 0, 40);
	memcpy(buf + 38 + 4, "sha256:", 8);
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_int_equal(imasnap_log_next(&log, buf, n, true, &rec, &err), (int)n);
	assert_true(imasnap_log_is_violation(&rec));
}

static void log_next_accepts_template_format_strings_as_names(void **state)
{
	static unsigned char buf[512];
	u32 fl[] = { 40, 5 };
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;
	size_t n = build(buf, 23, "d-ng|n-ng", fl, 2);

	(void)state;
	/* ima_template_fmt=d-ng|n-ng: IMA prints the format as the name. */
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_int_equal(imasnap_log_next(&log, buf, n, true, &rec, &err), (int)n);
	assert_int_equal(rec.pcr, 23);
}

static void log_next_needs_more_bytes_before_end_of_log(void **state)
{
	struct fixture *f = fixture_load("ima-sig");
	struct imasnap_log_record rec;
	struct imasnap_log log;
	struct imasnap_err err;

	(void)state;
	imasnap_log_init(&log, IMASNAP_LOG_LE);
	assert_int_equal(imasnap_log_next(&log, f->log, 30, false, &rec, &err), 0);
	assert_int_equal(imasnap_log_next(&log, f->log, 0, true, &rec, &err), 0);
	assert_int_equal(log.offset, 0);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_next_parses_every_record_of_real_logs),
		cmocka_unit_test(log_next_streams_in_any_chunk_size),
		cmocka_unit_test(log_next_rejects_truncation_at_every_byte),
		cmocka_unit_test(log_feed_keeps_the_partial_record_for_the_next_read),
		cmocka_unit_test(log_next_reads_big_endian_logs),
		cmocka_unit_test(log_field_returns_ima_ng_digest_and_name),
		cmocka_unit_test(log_next_rejects_each_malformed_record_class),
		cmocka_unit_test(log_next_takes_every_builtin_template_with_its_fields),
		cmocka_unit_test(log_next_takes_a_violation_with_zero_digests),
		cmocka_unit_test(boot_aggregate_of_reads_d_ng_and_d_ngv2),
		cmocka_unit_test(log_next_accepts_template_format_strings_as_names),
		cmocka_unit_test(log_next_needs_more_bytes_before_end_of_log),
	};

	return cmocka_run_group_tests_name("imasnap_log", tests, NULL, NULL);
}
