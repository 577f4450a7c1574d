/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCR files: one "<alg> <pcr> <hex>" per line, as read from
 * /sys/class/tpm/tpm0/pcr-<alg>/<pcr>; and bank lists ("sha1,sha256").
 */
#ifndef _IMASNAP_PCRFILE_H
#define _IMASNAP_PCRFILE_H

#include "../../lib/core.h"

/* 0; -EBADMSG (malformed: the line is named on stderr); -errno. */
int imasnap_pcrfile_read(const char *path, struct imasnap_state *st);
/* enum imasnap_bank bits; -EINVAL (named on stderr). */
int imasnap_parse_banks(const char *list, u32 *mask);

#endif /* _IMASNAP_PCRFILE_H */
