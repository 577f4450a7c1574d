// SPDX-License-Identifier: GPL-2.0
/*
 * PCR banks, PCR state sets and hex: the vocabulary the rest of lib/ uses.
 */
#include "core.h"

#define VALUE_SIZE	sizeof(struct imasnap_pcr_value)

static const struct imasnap_bank_info banks[IMASNAP_NR_BANKS] = {
	[IMASNAP_BANK_SHA1]   = { "sha1",   IMASNAP_TPM_ALG_SHA1,    20 },
	[IMASNAP_BANK_SHA256] = { "sha256", IMASNAP_TPM_ALG_SHA256,  32 },
	[IMASNAP_BANK_SHA384] = { "sha384", IMASNAP_TPM_ALG_SHA384,  48 },
	[IMASNAP_BANK_SHA512] = { "sha512", IMASNAP_TPM_ALG_SHA512,  64 },
	[IMASNAP_BANK_SM3]    = { "sm3",    IMASNAP_TPM_ALG_SM3_256, 32 },
};

const struct imasnap_bank_info *imasnap_bank_info(enum imasnap_bank bank)
{
	return (unsigned int)bank < IMASNAP_NR_BANKS ? &banks[bank] : NULL;
}

int imasnap_bank_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		if (strlen(banks[i].name) == len &&
		    !memcmp(banks[i].name, name, len))
			return i;
	}
	return -EINVAL;
}

int imasnap_bank_by_alg(u16 alg_id)
{
	int i;

	for (i = 0; i < IMASNAP_NR_BANKS; i++) {
		if (banks[i].alg_id == alg_id)
			return i;
	}
	return -EINVAL;
}

void imasnap_state_init(struct imasnap_state *st)
{
	memset(st, 0, sizeof(*st));
}

void imasnap_state_set(struct imasnap_state *st, enum imasnap_bank bank,
		       u32 pcr, const u8 *digest)
{
	u8 size;

	if ((unsigned int)bank >= IMASNAP_NR_BANKS || pcr >= IMASNAP_NR_PCRS)
		return;
	size = banks[bank].size;
	memcpy(st->pcr[bank][pcr], digest, size);
	memset(st->pcr[bank][pcr] + size, 0, IMASNAP_MAX_DIGEST_SIZE - size);
	st->pcr_mask[bank] |= 1U << pcr;
}

bool imasnap_state_has(const struct imasnap_state *st, enum imasnap_bank bank,
		       u32 pcr)
{
	if ((unsigned int)bank >= IMASNAP_NR_BANKS || pcr >= IMASNAP_NR_PCRS)
		return false;
	return st->pcr_mask[bank] & (1U << pcr);
}

static int state_reject(struct imasnap_err *err, u64 at, const char *reason)
{
	err->reason = reason;
	err->offset = at;
	err->index = 0;
	return -EBADMSG;
}

static bool state_zero(const u8 *p, size_t n)
{
	u8 acc = 0;

	while (n--)
		acc |= *p++;
	return !acc;
}

u32 imasnap_state_banks(const struct imasnap_state *st)
{
	u32 mask = 0;
	int b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		if (st->pcr_mask[b])
			mask |= 1U << b;
	return mask;
}

/* PCR values set in @st. */
u32 imasnap_state_count(const struct imasnap_state *st)
{
	u32 n = 0, b, p;

	for (b = 0; b < IMASNAP_NR_BANKS; b++)
		for (p = 0; p < IMASNAP_NR_PCRS; p++)
			n += !!(st->pcr_mask[b] & (1U << p));
	return n;
}

/*
 * Write @st as imasnap_state_count() struct imasnap_pcr_value, in (bank, PCR)
 * order; returns the end of what was written.
 */
u8 *imasnap_state_put(u8 *p, const struct imasnap_state *st)
{
	u32 b, pcr;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		for (pcr = 0; pcr < IMASNAP_NR_PCRS; pcr++) {
			struct imasnap_pcr_value *v = (void *)p;

			if (!imasnap_state_has(st, b, pcr))
				continue;
			memset(v, 0, VALUE_SIZE);
			v->bank = (u8)b;
			v->pcr = (u8)pcr;
			put_unaligned_le16(imasnap_bank_info(b)->alg_id,
					   &v->alg_id);
			memcpy(v->digest, st->pcr[b][pcr],
			       imasnap_bank_info(b)->size);
			p += VALUE_SIZE;
		}
	}
	return p;
}

/*
 * Read @n struct imasnap_pcr_value into @st, checking each (known bank, PCR
 * index, algorithm id, zero padding, strictly ascending: one encoding per
 * state).  @at is @p's offset in the input, for @err.
 */
int imasnap_state_get_values(const u8 *p, u32 n, u64 at,
			     struct imasnap_state *st, struct imasnap_err *err)
{
	int last = -1;
	u32 i;

	imasnap_state_init(st);
	for (i = 0; i < n; i++, p += VALUE_SIZE, at += VALUE_SIZE) {
		const struct imasnap_pcr_value *v = (const void *)p;
		const struct imasnap_bank_info *bi = imasnap_bank_info(v->bank);
		int key = v->bank * IMASNAP_NR_PCRS + v->pcr;

		if (!bi)
			return state_reject(err, at, "PCR value names an unknown bank");
		if (v->pcr >= IMASNAP_NR_PCRS)
			return state_reject(err, at, "PCR value index out of range");
		if (get_unaligned_le16(&v->alg_id) != bi->alg_id)
			return state_reject(err, at, "PCR value algorithm does not match its bank");
		if (get_unaligned_le32(&v->reserved2) ||
		    !state_zero(v->digest + bi->size, IMASNAP_MAX_DIGEST_SIZE - bi->size))
			return state_reject(err, at, "PCR value has non-zero reserved bytes");
		if (key <= last)
			return state_reject(err, at, "PCR values out of order or repeated");
		last = key;
		imasnap_state_set(st, v->bank, v->pcr, v->digest);
	}
	return 0;
}

bool imasnap_all_zero(const void *p, size_t len)
{
	const u8 *b = p;

	/* Each byte equal to the one after it, and the first one 0: memcmp's speed. */
	return !len || (!b[0] && !memcmp(b, b + 1, len - 1));
}

void imasnap_hex_encode(const u8 *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly @len hex digits (even) into @len / 2 bytes. */
int imasnap_hex_decode(const char *in, size_t len, u8 *out)
{
	size_t i;

	if (len % 2)
		return -EINVAL;
	for (i = 0; i < len; i += 2) {
		int hi = hex_val(in[i]), lo = hex_val(in[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (u8)(hi << 4 | lo);
	}
	return 0;
}
