// SPDX-License-Identifier: GPL-2.0
/*
 * PCR state files: one "<alg> <pcr> <hex>" per line, as read from
 * /sys/class/tpm/tpm0/pcr-<alg>/<pcr> (upper- or lowercase hex).  Blank lines
 * and lines starting with '#' are ignored.
 */
#include <ctype.h>
#include <stdlib.h>

#include "error.h"
#include "fileio.h"
#include "pcrfile.h"

/* Every PCR of every bank, one line each, with room for comments. */
#define PCRFILE_MAX	(1024 * 1024)

int imasnap_pcrfile_read(const char *path, struct imasnap_state *st)
{
	const char *why;
	char line[512];
	unsigned int lineno = 0;
	int ret = 0;
	FILE *f;

	imasnap_state_init(st);
	f = imasnap_fopen_input(path, PCRFILE_MAX, &ret, &why);
	if (!f) {
		imasnap_errorf("%s: %s", path, why);
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char alg[16], hex[2 * IMASNAP_MAX_DIGEST_SIZE + 2], extra;
		u8 digest[IMASNAP_MAX_DIGEST_SIZE];
		unsigned int pcr;
		char *p = line;
		int bank;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			imasnap_errorf("%s:%u: line too long", path, lineno);
			ret = -EBADMSG;
			break;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (sscanf(p, "%15s %u %129s %c", alg, &pcr, hex, &extra) != 3) {
			imasnap_errorf("%s:%u: expected \"<alg> <pcr> <hex>\"",
				       path, lineno);
			ret = -EBADMSG;
			break;
		}
		bank = imasnap_bank_by_name(alg, strlen(alg));
		if (bank < 0) {
			imasnap_errorf("%s:%u: unknown bank '%s'", path, lineno, alg);
			ret = -EBADMSG;
			break;
		}
		if (pcr >= IMASNAP_NR_PCRS) {
			imasnap_errorf("%s:%u: PCR %u out of range", path, lineno, pcr);
			ret = -EBADMSG;
			break;
		}
		if (strlen(hex) != 2u * imasnap_bank_info(bank)->size ||
		    imasnap_hex_decode(hex, strlen(hex), digest)) {
			imasnap_errorf("%s:%u: %s needs %u hex digits", path,
				       lineno, alg, 2u * imasnap_bank_info(bank)->size);
			ret = -EBADMSG;
			break;
		}
		if (imasnap_state_has(st, bank, pcr)) {
			imasnap_errorf("%s:%u: %s PCR %u given twice", path,
				       lineno, alg, pcr);
			ret = -EBADMSG;
			break;
		}
		imasnap_state_set(st, bank, pcr, digest);
	}
	if (!ret && ferror(f)) {
		imasnap_errorf("%s: read error", path);
		ret = -EIO;
	}
	fclose(f);
	return ret;
}

int imasnap_parse_banks(const char *list, u32 *mask)
{
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		int bank = imasnap_bank_by_name(p, n);

		if (bank < 0) {
			imasnap_errorf("unknown bank '%.*s' (known: sha1, sha256, sha384, sha512, sm3)",
				       (int)n, p);
			return -EINVAL;
		}
		*mask |= 1U << bank;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask) {
		imasnap_errorf("empty bank list");
		return -EINVAL;
	}
	return 0;
}
