// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming parser for IMA's binary_runtime_measurements.
 *
 * A record, as ima_measurements_show() writes it (u32 in the kernel's native
 * order, or little-endian when booted with ima_canonical_fmt):
 *
 *   u32 pcr | u8 digest[20] | u32 name_len | char name[name_len]
 *   | u32 data_len | data[data_len]              (every template but 'ima')
 *   | u8 file_digest[20] | u32 len | char name[len]  (legacy 'ima' template)
 *
 * Template data is a sequence of fields, each a u32 length and its bytes.
 * The parser checks every length against what remains before using it, so a
 * record is either returned whole and consistent or rejected with its offset,
 * index and reason.  It also rejects what IMA never writes, although the
 * template digest would not tell (the PCR index and the template name are
 * not hashed, nor is anything of a violation but its zero digest): a PCR a
 * TPM does not have, a template IMA cannot write or with another number of
 * fields, a legacy name with NUL bytes (hashed zero-padded), and a
 * violation whose file digest is not zero.
 */
#include "core.h"

#define LOG_HDR_SIZE	(4 + IMASNAP_SHA1_DIGEST_SIZE + 4)
#define LEGACY_NAME	"ima"

struct builtin_template {
	const char *name;
	const char *fmt;
	u8 name_len, fmt_len;
};

#define TEMPLATE(n, f)	{ n, f, sizeof(n) - 1, sizeof(f) - 1 }

/* IMA's built-in templates and their formats (ima_template.c). */
static const struct builtin_template builtin_templates[] = {
	TEMPLATE("ima-ng", "d-ng|n-ng"),
	TEMPLATE("ima-sig", "d-ng|n-ng|sig"),
	TEMPLATE("ima-ngv2", "d-ngv2|n-ng"),
	TEMPLATE("ima-sigv2", "d-ngv2|n-ng|sig"),
	TEMPLATE("ima-buf", "d-ng|n-ng|buf"),
	TEMPLATE("ima-modsig", "d-ng|n-ng|sig|d-modsig|modsig"),
	TEMPLATE("evm-sig", "d-ng|n-ng|evmsig|xattrnames|xattrlengths|xattrvalues|iuid|igid|imode"),
};

/*
 * The fields a template format may name (ima_template.c); IMA prints a
 * custom format (ima_template_fmt=) as the template name.
 */
static const char *const template_fields[] = {
	"d", "n", "d-ng", "d-ngv2", "n-ng", "sig", "buf", "d-modsig", "modsig",
	"evmsig", "iuid", "igid", "imode", "xattrnames", "xattrlengths",
	"xattrvalues",
};

void imasnap_log_init(struct imasnap_log *log, enum imasnap_log_order order)
{
	log->order = order;
	log->offset = 0;
	log->index = 0;
}

static u32 log_u32(const struct imasnap_log *log, const u8 *p)
{
	return log->order == IMASNAP_LOG_BE ? get_unaligned_be32(p) :
					      get_unaligned_le32(p);
}

static int log_reject(const struct imasnap_log *log, u64 at,
		      struct imasnap_err *err, const char *reason)
{
	err->reason = reason;
	err->offset = log->offset + at;
	err->index = log->index;
	return -EBADMSG;
}

/* The record is longer than the bytes there: ask for more, or fail. */
static int log_short(const struct imasnap_log *log, bool final,
		     struct imasnap_err *err)
{
	if (!final)
		return 0;
	return log_reject(log, 0, err, "truncated record");
}

static bool name_is(const struct imasnap_log_record *rec, const char *name)
{
	size_t n = strlen(name);

	return rec->name_len == n && !memcmp(rec->name, name, n);
}

/*
 * Template names, or the format string IMA prints in their place for a
 * template given with ima_template_fmt= ("d-ng|n-ng").
 */
static int log_check_name(const char *name, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.' || c == '|'))
			return -EBADMSG;
	}
	return 0;
}

/* Is @len bytes at @id one of template_fields[]? */
static bool field_known(const char *id, u32 len)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(template_fields); i++)
		if (strlen(template_fields[i]) == len &&
		    !memcmp(template_fields[i], id, len))
			return true;
	return false;
}

/*
 * The format of @rec's template: a built-in template's, or the name itself
 * when it is a format of known fields.  NULL: IMA cannot write that name.
 */
static const char *template_fmt(const struct imasnap_log_record *rec, u32 *fmt_len)
{
	const char *p = rec->name, *end = rec->name + rec->name_len, *bar;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(builtin_templates); i++) {
		const struct builtin_template *t = &builtin_templates[i];

		if (rec->name_len == t->name_len && !memcmp(rec->name, t->name, t->name_len)) {
			*fmt_len = t->fmt_len;
			return t->fmt;
		}
	}
	for (;;) {
		bar = memchr(p, '|', (size_t)(end - p));
		if (!field_known(p, (u32)((bar ? bar : end) - p)))
			return NULL;
		if (!bar)
			break;
		p = bar + 1;
	}
	*fmt_len = rec->name_len;
	return rec->name;
}

/* Field @i of format @fmt (@len bytes) is @id? */
static bool fmt_field_is(const char *fmt, u32 len, u32 i, const char *id)
{
	const char *p = fmt, *end = fmt + len, *bar;

	for (;;) {
		bar = memchr(p, '|', (size_t)(end - p));
		if (!i--)
			return (u32)((bar ? bar : end) - p) == strlen(id) &&
			       !memcmp(p, id, strlen(id));
		if (!bar)
			return false;
		p = bar + 1;
	}
}

/*
 * A violation's file digest is zero (ima_eventdigest_init_common() leaves
 * it so): the bytes of every d field, or those after the "<algo>:\0" of a
 * d-ng or d-ngv2 field.
 */
static bool violation_digests_zero(const struct imasnap_log *log,
				   const struct imasnap_log_record *rec,
				   const char *fmt, u32 fmt_len)
{
	const u8 *f, *nul;
	u32 i, flen;

	for (i = 0; i < rec->nr_fields; i++) {
		bool d = fmt_field_is(fmt, fmt_len, i, "d");

		if (!d && !fmt_field_is(fmt, fmt_len, i, "d-ng") &&
		    !fmt_field_is(fmt, fmt_len, i, "d-ngv2"))
			continue;
		if (imasnap_log_field(log, rec, i, &f, &flen))
			return false;
		if (!d) {
			nul = memchr(f, 0, flen);
			if (!nul)
				return false;
			flen -= (u32)(nul + 1 - f);
			f = nul + 1;
		}
		if (!imasnap_all_zero(f, flen))
			return false;
	}
	return true;
}

/* Walk the length-prefixed fields of @rec's template data. */
static int log_check_fields(const struct imasnap_log *log,
			    struct imasnap_log_record *rec, u32 data_at,
			    struct imasnap_err *err)
{
	u32 pos = 0, nr = 0, i, fmt_len, fields;
	const char *fmt;

	while (pos < rec->data_len) {
		u32 flen;

		if (rec->data_len - pos < 4)
			return log_reject(log, data_at + pos, err,
					  "template field length crosses the end of the template data");
		flen = log_u32(log, rec->data + pos);
		pos += 4;
		if (flen > rec->data_len - pos)
			return log_reject(log, data_at + pos - 4, err,
					  "template field longer than the template data");
		pos += flen;
		if (++nr > IMASNAP_TEMPLATE_FIELDS_MAX)
			return log_reject(log, data_at, err,
					  "too many template fields");
	}
	rec->nr_fields = nr;

	fmt = template_fmt(rec, &fmt_len);
	if (!fmt)
		return log_reject(log, LOG_HDR_SIZE, err,
				  "template name is neither a template nor a format IMA can write");
	for (i = 0, fields = 1; i < fmt_len; i++)
		fields += fmt[i] == '|';
	if (nr != fields)
		return log_reject(log, data_at, err,
				  "wrong number of fields for the template");
	if (imasnap_log_is_violation(rec) &&
	    !violation_digests_zero(log, rec, fmt, fmt_len))
		return log_reject(log, data_at, err,
				  "violation with a file digest that is not zero");
	return 0;
}

/**
 * imasnap_log_next() - parse the record at the start of @buf
 * @log:	parser state; advanced past the record on success
 * @buf:	bytes from the current position
 * @len:	bytes available in @buf
 * @final:	no more bytes will follow @buf (end of the log)
 * @rec:	the record, pointing into @buf
 * @err:	why the record was rejected
 *
 * Return: the record's size (> 0); 0 when @buf holds no complete record and
 * @final is false (or when @len is 0: end of the log); -EBADMSG for a
 * malformed or, with @final, truncated record.
 */
int imasnap_log_next(struct imasnap_log *log, const u8 *buf, size_t len,
		     bool final, struct imasnap_log_record *rec,
		     struct imasnap_err *err)
{
	size_t pos, need;
	u32 dlen;

	if (!len)
		return 0;
	if (len < LOG_HDR_SIZE)
		return log_short(log, final, err);

	memset(rec, 0, sizeof(*rec));
	rec->raw = buf;
	rec->offset = log->offset;
	rec->index = log->index;
	rec->pcr = log_u32(log, buf);
	if (rec->pcr >= IMASNAP_NR_PCRS)
		return log_reject(log, 0, err, "PCR index out of range");
	rec->digest = buf + 4;
	rec->name_len = log_u32(log, buf + 4 + IMASNAP_SHA1_DIGEST_SIZE);
	if (!rec->name_len || rec->name_len > IMASNAP_TEMPLATE_NAME_MAX)
		return log_reject(log, 24, err,
				  "template name length out of range");
	pos = LOG_HDR_SIZE;
	if (len - pos < rec->name_len)
		return log_short(log, final, err);
	rec->name = (const char *)buf + pos;
	if (log_check_name(rec->name, rec->name_len))
		return log_reject(log, pos, err,
				  "template name has a character IMA never writes");
	pos += rec->name_len;
	rec->legacy = name_is(rec, LEGACY_NAME);

	if (rec->legacy) {
		/* file digest, then the name as u32 length + bytes */
		need = IMASNAP_SHA1_DIGEST_SIZE + 4;
		if (len - pos < need)
			return log_short(log, final, err);
		dlen = log_u32(log, buf + pos + IMASNAP_SHA1_DIGEST_SIZE);
		if (dlen > IMASNAP_IMA_NAME_MAX)
			return log_reject(log, pos + IMASNAP_SHA1_DIGEST_SIZE,
					  err, "'ima' event name longer than 255 bytes");
		if (len - pos - need < dlen)
			return log_short(log, final, err);
		rec->data = buf + pos;
		rec->data_len = (u32)need + dlen;
		rec->nr_fields = 2;
		/* Hashed zero-padded to 256 bytes: NULs would not change the digest. */
		if (memchr(rec->data + need, 0, dlen))
			return log_reject(log, pos + need, err,
					  "'ima' event name holds a NUL byte");
		if (imasnap_log_is_violation(rec) &&
		    !imasnap_all_zero(rec->data, IMASNAP_SHA1_DIGEST_SIZE))
			return log_reject(log, pos, err,
					  "violation with a file digest that is not zero");
		pos += rec->data_len;
	} else {
		if (len - pos < 4)
			return log_short(log, final, err);
		dlen = log_u32(log, buf + pos);
		if (dlen > IMASNAP_TEMPLATE_DATA_MAX)
			return log_reject(log, pos, err,
					  "template data length out of range");
		pos += 4;
		if (len - pos < dlen)
			return log_short(log, final, err);
		rec->data = buf + pos;
		rec->data_len = dlen;
		if (log_check_fields(log, rec, (u32)pos, err))
			return -EBADMSG;
		pos += dlen;
	}

	rec->size = (u32)pos;
	log->offset += pos;
	log->index++;
	return (int)pos;
}

/**
 * imasnap_log_guess_order() - tell a little-endian log from a big-endian one
 * @buf:	the start of the log
 * @len:	bytes at @buf
 * @order:	the order found
 *
 * The first record's PCR index is below 24 in exactly one byte order unless it
 * is 0; then the template name length decides.
 *
 * Return: 0, or -EBADMSG when neither or both orders fit.
 */
int imasnap_log_guess_order(const u8 *buf, size_t len,
			    enum imasnap_log_order *order)
{
	const u8 *nl = buf + 4 + IMASNAP_SHA1_DIGEST_SIZE;
	bool le, be;

	if (len < LOG_HDR_SIZE)
		return -EBADMSG;
	le = get_unaligned_le32(buf) < IMASNAP_NR_PCRS &&
	     get_unaligned_le32(nl) - 1 < IMASNAP_TEMPLATE_NAME_MAX;
	be = get_unaligned_be32(buf) < IMASNAP_NR_PCRS &&
	     get_unaligned_be32(nl) - 1 < IMASNAP_TEMPLATE_NAME_MAX;
	if (le == be)
		return -EBADMSG;
	*order = le ? IMASNAP_LOG_LE : IMASNAP_LOG_BE;
	return 0;
}

/**
 * imasnap_log_field() - the @i-th field of a record's template data
 * @log:	the parser that returned @rec (for the byte order)
 * @rec:	a record imasnap_log_next() returned
 * @i:		field index
 * @data:	the field's bytes
 * @len:	the field's length
 *
 * For the legacy 'ima' template, field 0 is the file digest and field 1 the
 * event name.
 *
 * Return: 0, or -ENOENT when there is no such field.
 */
int imasnap_log_field(const struct imasnap_log *log,
		      const struct imasnap_log_record *rec, u32 i,
		      const u8 **data, u32 *len)
{
	u32 pos = 0, n;

	if (i >= rec->nr_fields)
		return -ENOENT;
	if (rec->legacy) {
		if (i == 0) {
			*data = rec->data;
			*len = IMASNAP_SHA1_DIGEST_SIZE;
		} else {
			*data = rec->data + IMASNAP_SHA1_DIGEST_SIZE + 4;
			*len = rec->data_len - IMASNAP_SHA1_DIGEST_SIZE - 4;
		}
		return 0;
	}
	/* imasnap_log_next() checked that the fields tile the data. */
	for (n = 0;; n++) {
		u32 flen = log_u32(log, rec->data + pos);

		if (n == i) {
			*data = rec->data + pos + 4;
			*len = flen;
			return 0;
		}
		pos += 4 + flen;
	}
}

/**
 * imasnap_log_field_id() - the id of the @i-th field of a record's template
 * @rec:	a record imasnap_log_next() returned
 * @i:		field index
 * @id:		the field's id ("d-ng", "n-ng", "sig", ...), not NUL-terminated
 * @len:	its length
 *
 * The legacy 'ima' template's fields are "d" and "n".  What a field's bytes
 * mean, and so how IMA prints them, follows from its id.
 *
 * Return: 0, or -ENOENT when there is no such field.
 */
int imasnap_log_field_id(const struct imasnap_log_record *rec, u32 i,
			 const char **id, u32 *len)
{
	const char *p, *end, *bar;
	u32 fmt_len;

	if (i >= rec->nr_fields)
		return -ENOENT;
	if (rec->legacy) {
		*id = i ? "n" : "d";
		*len = 1;
		return 0;
	}
	/* imasnap_log_next() checked the format and its number of fields. */
	p = template_fmt(rec, &fmt_len);
	if (!p)
		return -ENOENT;
	end = p + fmt_len;
	for (;;) {
		bar = memchr(p, '|', (size_t)(end - p));
		if (!i--) {
			*id = p;
			*len = (u32)((bar ? bar : end) - p);
			return 0;
		}
		if (!bar)
			return -ENOENT;
		p = bar + 1;
	}
}

/**
 * imasnap_log_feed() - parse every complete record at the start of a buffer
 * @log:	parser state
 * @buf:	the bytes read so far and not yet parsed
 * @have:	in: bytes at @buf; out: bytes left (a partial record), moved to
 *		the start of @buf for the next read to append to
 * @final:	no more bytes will follow (end of the log)
 * @fn:		called for each record, or NULL to only parse and count
 * @priv:	passed to @fn
 * @err:	why a record was rejected
 *
 * The streaming readers (userspace shards, the module's reads of IMA's
 * log) fill a buffer and call this; the leftover is moved once per call,
 * not once per record.
 *
 * Return: 0, -EBADMSG (@err), or the first error @fn returned (the record
 * @fn refused is left in @buf and not counted in @log).
 */
int imasnap_log_feed(struct imasnap_log *log, u8 *buf, size_t *have,
		     bool final, imasnap_log_fn fn, void *priv,
		     struct imasnap_err *err)
{
	struct imasnap_log_record rec;
	size_t pos = 0;
	int ret;

	while ((ret = imasnap_log_next(log, buf + pos, *have - pos, final, &rec,
				       err)) > 0) {
		if (fn) {
			ret = fn(priv, log, &rec, err);
			if (ret) {
				/* The refused record stays unconsumed. */
				log->offset -= rec.size;
				log->index--;
				break;
			}
		}
		pos += rec.size;
	}
	if (pos) {
		memmove(buf, buf + pos, *have - pos);
		*have -= pos;
	}
	return ret < 0 ? ret : 0;
}

bool imasnap_log_is_violation(const struct imasnap_log_record *rec)
{
	return imasnap_all_zero(rec->digest, IMASNAP_SHA1_DIGEST_SIZE);
}
