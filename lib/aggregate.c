// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_aggregate text and the armed cut (grammar at the top of
 * include/uapi/linux/imasnap.h).  The builder writes the one canonical form;
 * the parser accepts only that form, so a text has exactly one meaning and
 * build(parse(x)) == x.
 */
#include "core.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
	bool full;
};

static void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->full || o->size - o->len <= n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

static void out_u64(struct out *o, u64 v)
{
	char tmp[21];
	int i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_str(o, tmp + i);
}

static void out_hex(struct out *o, const u8 *d, size_t n)
{
	char tmp[2 * IMASNAP_MAX_DIGEST_SIZE + 1];

	imasnap_hex_encode(d, n, tmp);
	out_str(o, tmp);
}

/**
 * imasnap_aggregate_build() - write the canonical text of @agg into @buf
 * @kind:	snapshot_aggregate or cut
 * @agg:	what to write
 * @buf:	where to write it, NUL-terminated
 * @size:	bytes available at @buf
 *
 * Return: the text's length (without the NUL written after it), -EINVAL when
 * @agg has no PCR value, -ENOSPC when @size is too small.
 */
int imasnap_aggregate_build(enum imasnap_aggregate_kind kind,
			    const struct imasnap_aggregate *agg, char *buf,
			    size_t size)
{
	struct out o = { buf, size, 0, !size };
	bool any = false;
	u32 b, p;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		any |= !!agg->state.pcr_mask[b];
	if (!any)
		return -EINVAL;

	out_str(&o, "Snapshot_Attempt_Count=");
	out_u64(&o, agg->seq);
	out_str(&o, ";Entries=");
	out_u64(&o, agg->entries);
	if (kind == IMASNAP_AGG_CUT) {
		out_str(&o, ";Offset=");
		out_u64(&o, agg->offset);
	}
	out_str(&o, ";Shard=sha256:");
	out_hex(&o, agg->shard, sizeof(agg->shard));
	if (kind == IMASNAP_AGG_SNAPSHOT) {
		out_str(&o, ";Tail=sha256:");
		out_hex(&o, agg->tail, sizeof(agg->tail));
		out_str(&o, ";TailEntries=");
		out_u64(&o, agg->tail_entries);
	}
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		const char *sep = ":";

		if (!agg->state.pcr_mask[b])
			continue;
		out_str(&o, ";");
		out_str(&o, imasnap_bank_info(b)->name);
		for (p = 0; p < IMASNAP_NR_PCRS; p++) {
			if (!imasnap_state_has(&agg->state, b, p))
				continue;
			out_str(&o, sep);
			out_str(&o, "PCR");
			out_u64(&o, p);
			out_str(&o, ":0x");
			out_hex(&o, agg->state.pcr[b][p],
				imasnap_bank_info(b)->size);
			sep = ",";
		}
	}
	return o.full ? -ENOSPC : (int)o.len;
}

struct in {
	const char *s;
	size_t len;
	size_t pos;
	struct imasnap_err *err;
};

static int in_fail(struct in *in, const char *reason)
{
	in->err->reason = reason;
	in->err->offset = in->pos;
	in->err->index = 0;
	return -EINVAL;
}

static bool in_lit(struct in *in, const char *lit)
{
	size_t n = strlen(lit);

	if (in->len - in->pos < n || memcmp(in->s + in->pos, lit, n))
		return false;
	in->pos += n;
	return true;
}

static int in_expect(struct in *in, const char *lit)
{
	return in_lit(in, lit) ? 0 : in_fail(in, "unexpected text");
}

/* A decimal u64: digits only, no leading zero, no overflow. */
static int in_u64(struct in *in, u64 *v)
{
	size_t start = in->pos;
	u64 n = 0;

	while (in->pos < in->len && in->s[in->pos] >= '0' &&
	       in->s[in->pos] <= '9') {
		u64 d = (u64)(in->s[in->pos] - '0');

		if (n > (~(u64)0 - d) / 10)
			return in_fail(in, "number too large");
		n = n * 10 + d;
		in->pos++;
	}
	if (in->pos == start)
		return in_fail(in, "expected a decimal number");
	if (in->s[start] == '0' && in->pos - start > 1) {
		in->pos = start;
		return in_fail(in, "number has a leading zero");
	}
	*v = n;
	return 0;
}

/* Exactly 2 * @n lowercase hex digits. */
static int in_hex(struct in *in, u8 *out, size_t n)
{
	size_t i;

	if (in->len - in->pos < 2 * n)
		return in_fail(in, "digest too short");
	for (i = 0; i < 2 * n; i++) {
		char c = in->s[in->pos + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			in->pos += i;
			return in_fail(in, "expected a lowercase hex digit");
		}
	}
	imasnap_hex_decode(in->s + in->pos, 2 * n, out);
	in->pos += 2 * n;
	if (in->pos < in->len && ((in->s[in->pos] >= '0' && in->s[in->pos] <= '9') ||
				  (in->s[in->pos] >= 'a' && in->s[in->pos] <= 'f')))
		return in_fail(in, "digest too long for its bank");
	return 0;
}

static int in_field(struct in *in, const char *lit, u64 *v)
{
	return in_expect(in, lit) ?: in_u64(in, v);
}

static int in_bank(struct in *in, struct imasnap_state *st, int *last_bank)
{
	size_t start = in->pos;
	int bank, last_pcr = -1;

	while (in->pos < in->len && in->s[in->pos] != ':' &&
	       in->s[in->pos] != ';')
		in->pos++;
	bank = imasnap_bank_by_name(in->s + start, in->pos - start);
	if (bank < 0) {
		in->pos = start;
		return in_fail(in, "unknown PCR bank");
	}
	if (bank <= *last_bank) {
		in->pos = start;
		return in_fail(in, "PCR banks out of order or repeated");
	}
	*last_bank = bank;
	if (in_expect(in, ":"))
		return -EINVAL;
	do {
		u8 d[IMASNAP_MAX_DIGEST_SIZE];
		size_t at;
		u64 pcr;
		int ret;

		ret = in_expect(in, "PCR");
		if (ret)
			return ret;
		at = in->pos;
		ret = in_u64(in, &pcr);
		if (ret)
			return ret;
		if (pcr >= IMASNAP_NR_PCRS || (int)pcr <= last_pcr) {
			in->pos = at;
			return in_fail(in, pcr >= IMASNAP_NR_PCRS ?
				       "PCR index out of range" :
				       "PCRs out of order or repeated");
		}
		last_pcr = (int)pcr;
		ret = in_expect(in, ":0x") ?:
		      in_hex(in, d, imasnap_bank_info(bank)->size);
		if (ret)
			return ret;
		imasnap_state_set(st, bank, (u32)pcr, d);
	} while (in_lit(in, ","));
	return 0;
}

/**
 * imasnap_aggregate_parse() - strict parse of a snapshot_aggregate or a cut
 * @kind:	which of the two texts @buf must be
 * @buf:	the text, not necessarily NUL-terminated
 * @len:	its length; the text must end exactly there
 * @agg:	the result (zeroed first)
 * @err:	what was wrong and at which byte
 *
 * Return: 0 or -EINVAL.
 */
int imasnap_aggregate_parse(enum imasnap_aggregate_kind kind, const char *buf,
			    size_t len, struct imasnap_aggregate *agg,
			    struct imasnap_err *err)
{
	struct in in = { buf, len, 0, err };
	int ret, last_bank = -1;

	memset(agg, 0, sizeof(*agg));
	ret = in_field(&in, "Snapshot_Attempt_Count=", &agg->seq) ?:
	      in_field(&in, ";Entries=", &agg->entries);
	if (!ret && kind == IMASNAP_AGG_CUT)
		ret = in_field(&in, ";Offset=", &agg->offset);
	if (!ret)
		ret = in_expect(&in, ";Shard=sha256:") ?:
		      in_hex(&in, agg->shard, sizeof(agg->shard));
	if (!ret && kind == IMASNAP_AGG_SNAPSHOT)
		ret = in_expect(&in, ";Tail=sha256:") ?:
		      in_hex(&in, agg->tail, sizeof(agg->tail)) ?:
		      in_field(&in, ";TailEntries=", &agg->tail_entries);
	if (ret)
		return ret;
	if (in.pos == in.len)
		return in_fail(&in, "no PCR values");
	while (in.pos < in.len) {
		ret = in_expect(&in, ";") ?: in_bank(&in, &agg->state, &last_bank);
		if (ret)
			return ret;
	}
	return 0;
}
