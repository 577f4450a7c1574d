// SPDX-License-Identifier: GPL-2.0
/*
 * PCR banks, PCR state sets and hex: the vocabulary the rest of lib/ uses.
 */
#include "imasnap.h"

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

const u8 *imasnap_state_get(const struct imasnap_state *st,
			    enum imasnap_bank bank, u32 pcr)
{
	return imasnap_state_has(st, bank, pcr) ? st->pcr[bank][pcr] : NULL;
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
