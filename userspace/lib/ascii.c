// SPDX-License-Identifier: GPL-2.0
/*
 * ascii_runtime_measurements from binary_runtime_measurements.
 *
 * IMA prints a record (ima_ascii_measurements_show(), ima_template_lib.c)
 * as "%2d " PCR, the SHA-1 template digest in lowercase hex, " " and the
 * template name, then for each field " " and the field as its id says
 * (nothing for an empty field), and "\n":
 *
 *   digest          d                          hex
 *   digest + algo   d-ng d-ngv2 d-modsig       the text up to its NUL when
 *                                              the last ':' of it is not
 *                                              its first byte, then hex of
 *                                              the bytes after ":\0"
 *   hex             sig buf modsig evmsig      hex
 *                   xattrlengths xattrvalues
 *   string          n n-ng xattrnames          the text up to its NUL (the
 *                                              legacy 'n' has none: all of it)
 *   unsigned        iuid igid imode            decimal, in the log's byte
 *                                              order, of 1, 2, 4 or 8 bytes
 *                                              (nothing for other lengths)
 *
 * A record is the bytes IMA hashed, not what IMA wrote: a digest field
 * without the ':' IMA's printer relies on, or a string without its NUL,
 * never came from IMA and is refused rather than printed some other way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"

struct ascii_out {
	char *p;
};

enum ascii_kind { K_DIGEST, K_DIGEST_ALGO, K_HEX, K_STRING, K_UINT };

static const struct {
	const char *id;
	enum ascii_kind kind;
} ascii_fields[] = {
	{ "d", K_DIGEST },
	{ "d-ng", K_DIGEST_ALGO },
	{ "d-ngv2", K_DIGEST_ALGO },
	{ "d-modsig", K_DIGEST_ALGO },
	{ "sig", K_HEX },
	{ "buf", K_HEX },
	{ "modsig", K_HEX },
	{ "evmsig", K_HEX },
	{ "xattrlengths", K_HEX },
	{ "xattrvalues", K_HEX },
	{ "n", K_STRING },
	{ "n-ng", K_STRING },
	{ "xattrnames", K_STRING },
	{ "iuid", K_UINT },
	{ "igid", K_UINT },
	{ "imode", K_UINT },
};

size_t imasnap_ascii_max(const struct imasnap_log_record *rec)
{
	/*
	 * "%2d " and 40 hex digits, the name and a space per field; a field
	 * prints at most 3 characters per byte (hex: 2; an unsigned of 8
	 * bytes: 20 digits).
	 */
	return 3 + 2 * IMASNAP_SHA1_DIGEST_SIZE + 1 + rec->name_len + rec->nr_fields +
	       3 * (size_t)rec->data_len + 1;
}

static void put(struct ascii_out *o, const void *s, size_t n)
{
	memcpy(o->p, s, n);
	o->p += n;
}

/* Its NUL lands where the next character goes: a line always ends in "\n". */
static void put_hex(struct ascii_out *o, const u8 *b, size_t n)
{
	imasnap_hex_encode(b, n, o->p);
	o->p += 2 * n;
}

static int reject(const struct imasnap_log_record *rec, struct imasnap_err *err,
		  const char *reason)
{
	err->reason = reason;
	err->offset = rec->offset;
	err->index = rec->index;
	return -EBADMSG;
}

static int put_uint(struct ascii_out *o, const struct imasnap_log *log, const u8 *f, u32 len)
{
	unsigned long long v = 0;
	char num[24];
	u32 i;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return 0;
	for (i = 0; i < len; i++)
		v |= (unsigned long long)f[log->order == IMASNAP_LOG_LE ? i : len - 1 - i] << (8 * i);
	put(o, num, (size_t)snprintf(num, sizeof(num), "%llu", v));
	return 0;
}

static int put_field(struct ascii_out *o, const struct imasnap_log *log,
		     const struct imasnap_log_record *rec, enum ascii_kind kind,
		     const u8 *f, u32 len, struct imasnap_err *err)
{
	const u8 *nul, *colon;

	switch (kind) {
	case K_DIGEST:
	case K_HEX:
		put_hex(o, f, len);
		return 0;
	case K_DIGEST_ALGO:
		nul = memchr(f, 0, len);
		if (!nul)
			return reject(rec, err, "a digest field without its \"<algo>:\" text");
		colon = memrchr(f, ':', (size_t)(nul - f));
		/* IMA skips the ':' and the byte after it, its NUL. */
		if (!colon || colon + 1 != nul)
			return reject(rec, err, "a digest field whose text does not end in ':'");
		if (colon != f)
			put(o, f, (size_t)(nul - f));
		put_hex(o, nul + 1, len - (size_t)(nul + 1 - f));
		return 0;
	case K_STRING:
		nul = memchr(f, 0, len);
		if (!nul && !rec->legacy)
			return reject(rec, err, "a string field without its NUL");
		put(o, f, nul ? (size_t)(nul - f) : len);
		return 0;
	case K_UINT:
		return put_uint(o, log, f, len);
	}
	return 0;
}

static int field_kind(const char *id, u32 len, enum ascii_kind *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ascii_fields); i++)
		if (strlen(ascii_fields[i].id) == len && !memcmp(ascii_fields[i].id, id, len)) {
			*kind = ascii_fields[i].kind;
			return 0;
		}
	return -ENOENT;
}

ssize_t imasnap_ascii_record(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			     char *buf, size_t size, struct imasnap_err *err)
{
	struct ascii_out o = { buf };
	enum ascii_kind kind;
	const char *id;
	const u8 *f;
	u32 i, id_len, len;
	int ret;

	if (size < imasnap_ascii_max(rec))
		return -ENOSPC;
	o.p += snprintf(o.p, 4, "%2u ", rec->pcr);
	put_hex(&o, rec->digest, IMASNAP_SHA1_DIGEST_SIZE);
	*o.p++ = ' ';
	put(&o, rec->name, rec->name_len);
	for (i = 0; i < rec->nr_fields; i++) {
		*o.p++ = ' ';
		if (imasnap_log_field_id(rec, i, &id, &id_len) || field_kind(id, id_len, &kind) ||
		    imasnap_log_field(log, rec, i, &f, &len))
			return reject(rec, err, "a template field IMA cannot print");
		if (!len)
			continue;
		ret = put_field(&o, log, rec, kind, f, len, err);
		if (ret)
			return ret;
	}
	*o.p++ = '\n';
	return o.p - buf;
}

ssize_t imasnap_ascii_line(struct imasnap_ascii_line *l, const struct imasnap_log *log,
			   const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	size_t need = imasnap_ascii_max(rec);

	if (need > l->cap) {
		char *p = realloc(l->buf, need);

		if (!p)
			return -ENOMEM;
		l->buf = p;
		l->cap = need;
	}
	return imasnap_ascii_record(log, rec, l->buf, l->cap, err);
}

void imasnap_ascii_line_free(struct imasnap_ascii_line *l)
{
	free(l->buf);
	l->buf = NULL;
	l->cap = 0;
}
