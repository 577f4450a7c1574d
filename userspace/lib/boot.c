// SPDX-License-Identifier: GPL-2.0
/*
 * boot_aggregate records (boot.h): told from other records by their event
 * name, their digest taken from the d-ng field ("<algo>:\0" + digest) or,
 * in the legacy 'ima' template, the SHA-1 file digest.
 */
#include "boot.h"
#include "kernels.h"

int imasnap_boot_aggregate_of(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			      struct imasnap_boot_aggregate *ba, const char **why)
{
	static const char name[] = IMASNAP_BOOT_AGGREGATE_NAME;
	const char *n;
	const u8 *d;
	u32 nl, size;
	int bank;

	memset(ba, 0, sizeof(*ba));
	/* IMA's boot_aggregate: field 0 its digest (d, d-ng, d-ngv2), field 1 its name. */
	if (imasnap_record_name(log, rec, &n, &nl) || nl != sizeof(name) - 1 || memcmp(n, name, nl))
		return -ENOENT;
	*why = "its digest field is not '[<type>:]<algo>:' and a digest of a known bank";
	if (imasnap_record_file_digest(log, rec, &bank, &d) && !imasnap_log_is_violation(rec))
		return -EBADMSG;
	if (imasnap_log_is_violation(rec))
		return -EBADMSG;	/* a boot_aggregate is never a violation */
	size = imasnap_bank_info(bank)->size;
	ba->present = true;
	ba->bank = bank;
	memcpy(ba->digest, d, size);
	ba->zero = imasnap_all_zero(d, size);
	return 0;
}

u32 imasnap_boot_aggregate_pcrs(int bank)
{
	return bank == IMASNAP_BANK_SHA1 ? 0xffU : 0x3ffU;
}

int imasnap_boot_aggregate_expect(struct imasnap_evp *evp, int bank,
				  const struct imasnap_state *pcrs, u8 *out)
{
	struct imasnap_buf v[10];
	u32 mask = imasnap_boot_aggregate_pcrs(bank);
	unsigned int n = 0, p;

	for (p = 0; p < 10; p++) {
		if (!(mask & (1U << p)))
			continue;
		if (!imasnap_state_has(pcrs, bank, p))
			return -ENOENT;
		v[n].data = pcrs->pcr[bank][p];
		v[n++].len = imasnap_bank_info(bank)->size;
	}
	return imasnap_evp_ops(evp)->digest(imasnap_evp_ops(evp)->priv, bank, v, n, out);
}
