/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _IMASNAP_ARCHIVE_H
#define _IMASNAP_ARCHIVE_H

#include "shard.h"

#define IMASNAP_SECURITYFS	"/sys/kernel/security/imasnap"
#define IMASNAP_IMA_LOG		"/sys/kernel/security/ima/binary_runtime_measurements"

/*
 * The newest shard, and @next: the seq the next shard gets (0: the archive
 * is empty).  The oldest shards may have been pruned.  An exit code.
 */
int archive_newest(const char *dir, u64 *next, struct imasnap_shard *newest);
int archive_parse_boot_id(const char *s, u8 id[16]);
/* This boot's id, or @given (tests); an exit code. */
int archive_boot_id(const char *given, u8 id[16]);
int archive_append_fd(int fd, u8 **buf, size_t *len, size_t *cap);
int archive_read_file(const char *path, u8 **buf, size_t *len);
/*
 * What a replay is compared with: the lines of @pcrs_file (read into
 * @file_pcrs), or else the TPM (opened into *@tpm, read later).  @banks:
 * the banks they have.  An exit code.
 */
int archive_pcr_source(const char *pcrs_file, const char *tcti,
		       struct imasnap_state *file_pcrs, struct imasnap_tpm2 **tpm, u32 *banks);
int archive_write_file(const char *path, const char *text, size_t len);

#endif /* _IMASNAP_ARCHIVE_H */
