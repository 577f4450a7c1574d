// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel images across kexec (kernels.h): the allowlist file, and what a
 * record says of the file it measured.
 */
#include <ctype.h>
#include <stdlib.h>

#include "error.h"
#include "fileio.h"
#include "kernels.h"

/* An allowlist line is a digest and a name: 128 hex digits and a path. */
#define KERNELS_LINE_MAX	(2 * IMASNAP_MAX_DIGEST_SIZE + 4096 + 2)

static int bank_of_hex_len(size_t n)
{
	static const int banks[] = {
		IMASNAP_BANK_SHA1, IMASNAP_BANK_SHA256, IMASNAP_BANK_SHA384, IMASNAP_BANK_SHA512,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(banks); i++)
		if (n == 2u * imasnap_bank_info(banks[i])->size)
			return banks[i];
	return -1;
}

int imasnap_kernels_read(const char *path, struct imasnap_kernels *k)
{
	char *line = malloc(KERNELS_LINE_MAX);
	unsigned int lineno = 0;
	const char *why;
	int ret = 0;
	FILE *f;

	memset(k, 0, sizeof(*k));
	if (!line)
		return -ENOMEM;
	f = imasnap_fopen_input(path, (size_t)IMASNAP_KERNELS_MAX * KERNELS_LINE_MAX, &ret, &why);
	if (!f) {
		imasnap_errorf("%s: %s", path, why);
		free(line);
		return ret;
	}
	while (!ret && fgets(line, KERNELS_LINE_MAX, f)) {
		char *p = line, *hex;
		size_t n;
		int bank;

		lineno++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		hex = p;
		n = strspn(hex, "0123456789abcdefABCDEF");
		bank = bank_of_hex_len(n);
		if (bank < 0 || (hex[n] && !isspace((unsigned char)hex[n])) ||
		    k->count == IMASNAP_KERNELS_MAX) {
			imasnap_errorf("%s:%u: expected \"<sha1, sha256, sha384 or sha512 hex digest> [name]\"",
				       path, lineno);
			ret = -EBADMSG;
			break;
		}
		if (!(k->count % 64)) {
			struct imasnap_kernel_digest *d = realloc(k->d, (k->count + 64) * sizeof(*d));

			if (!d) {
				ret = -ENOMEM;
				break;
			}
			k->d = d;
		}
		k->d[k->count].bank = bank;
		imasnap_hex_decode(hex, n, k->d[k->count].digest);
		k->count++;
	}
	fclose(f);
	free(line);
	if (ret)
		imasnap_kernels_free(k);
	return ret;
}

void imasnap_kernels_free(struct imasnap_kernels *k)
{
	free(k->d);
	k->d = NULL;
	k->count = 0;
}

bool imasnap_kernels_has(const struct imasnap_kernels *k, int bank, const u8 *digest)
{
	unsigned int i;

	for (i = 0; i < k->count; i++)
		if (k->d[i].bank == bank &&
		    !memcmp(k->d[i].digest, digest, imasnap_bank_info(bank)->size))
			return true;
	return false;
}

int imasnap_record_file_digest(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			       int *bank, const u8 **digest)
{
	const u8 *f, *nul, *colon;
	u32 len;

	if (imasnap_log_is_violation(rec) || imasnap_log_field(log, rec, 0, &f, &len))
		return -ENOENT;
	if (rec->legacy) {
		*bank = IMASNAP_BANK_SHA1;
		*digest = f;
		return len == IMASNAP_SHA1_DIGEST_SIZE ? 0 : -ENOENT;
	}
	/* d-ng: "<algo>:\0" + digest; d-ngv2: "<type>:<algo>:\0" + digest. */
	nul = memchr(f, 0, len);
	if (!nul || nul == f || nul[-1] != ':')
		return -ENOENT;
	colon = nul - 1;
	while (colon > f && colon[-1] != ':')
		colon--;
	*bank = imasnap_bank_by_name((const char *)colon, (size_t)(nul - 1 - colon));
	if (*bank < 0 || (u32)(f + len - (nul + 1)) != imasnap_bank_info(*bank)->size)
		return -ENOENT;
	*digest = nul + 1;
	return 0;
}

int imasnap_record_name(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			const char **name, u32 *len)
{
	const u8 *n;

	if (imasnap_log_field(log, rec, 1, &n, len))
		return -ENOENT;
	*name = (const char *)n;
	if (!rec->legacy && *len && !n[*len - 1])
		(*len)--;	/* n-ng is NUL-terminated */
	return 0;
}

bool imasnap_record_is_kernel_image(const struct imasnap_log *log,
				    const struct imasnap_log_record *rec)
{
#define PREFIX(s)	{ s, sizeof(s) - 1 }
	static const struct {
		const char *s;
		u32 len;
	} prefixes[] = { PREFIX("vmlinuz"), PREFIX("vmlinux"), PREFIX("bzImage"), PREFIX("Image") };
#undef PREFIX
	const char *name, *base;
	u32 len, blen;
	size_t i;

	if (imasnap_record_name(log, rec, &name, &len))
		return false;
	base = memrchr(name, '/', len);
	base = base ? base + 1 : name;
	blen = (u32)(name + len - base);
	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (blen >= prefixes[i].len && !memcmp(base, prefixes[i].s, prefixes[i].len))
			return true;
	return blen > 4 && !memcmp(base + blen - 4, ".efi", 4);
}
