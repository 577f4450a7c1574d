/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel image each kexec jumped into, as the old kernel measured it:
 * the record kexec_file_load()'s KEXEC_KERNEL_CHECK wrote, or the file the
 * kexec tool read (FILE_CHECK), before the jump.  A verifier reports it for
 * every hop and, with an allowlist of image digests, refuses another.
 */
#ifndef _IMASNAP_KERNELS_H
#define _IMASNAP_KERNELS_H

#include <stdbool.h>

#include "../../lib/core.h"

/* An allowlist: "<hex digest> [name]" lines, as sha256sum prints them. */
struct imasnap_kernels {
	unsigned int count;
	struct imasnap_kernel_digest {
		int bank;			/* told by the digest's length */
		u8 digest[IMASNAP_MAX_DIGEST_SIZE];
	} *d;
};

#define IMASNAP_KERNELS_MAX	4096

/* 0; -EBADMSG (a line named on stderr); -errno. */
int imasnap_kernels_read(const char *path, struct imasnap_kernels *k);
void imasnap_kernels_free(struct imasnap_kernels *k);
bool imasnap_kernels_has(const struct imasnap_kernels *k, int bank, const u8 *digest);

/*
 * The file digest a record names: the d-ng or d-ngv2 field's digest and its
 * bank, or the legacy template's SHA-1.  0, or -ENOENT: none (a violation,
 * another template, an algorithm of no bank).
 */
int imasnap_record_file_digest(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			       int *bank, const u8 **digest);
/* The record's event name (n-ng, or the legacy name), not NUL-terminated. */
int imasnap_record_name(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			const char **name, u32 *len);
/* Does its name look like a kernel image (vmlinuz*, vmlinux*, bzImage*, Image*, *.efi)? */
bool imasnap_record_is_kernel_image(const struct imasnap_log *log,
				    const struct imasnap_log_record *rec);

#endif /* _IMASNAP_KERNELS_H */
