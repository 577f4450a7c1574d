/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How libimasnap reports a failure.
 *
 * Every function returns 0 (or a count) on success and -errno on failure,
 * and the failure is named once, where it is found: on stderr as
 * "imasnap: <message>" through imasnap_errorf(), or, for the parsers of the
 * lib/ core, in a struct imasnap_err the caller turns into a message.
 * Five errno values carry a meaning the CLI turns into its exit codes
 * (cmd/imasnap.c, imasnap(8) EXIT STATUS):
 *
 *   EINVAL          a bad argument                           exit 2
 *   EBADMSG         an input is malformed                    exit 4
 *   EKEYREJECTED    well-formed, but it does not verify      exit 5
 *   ESTALE          what was checked changed meanwhile       exit 5
 *   ENOMSG          the archive or the module is not in the
 *                   state the command needs                  exit 6
 *   ENOMEM, EOPNOTSUPP (a digest OpenSSL lacks),
 *   ENOTRECOVERABLE (OpenSSL failed),
 *   EREMOTEIO (the TPM or the TSS failed)                    exit 1
 *
 * Any other errno is an I/O error on a file (exit 3).
 */
#ifndef _IMASNAP_ERROR_H
#define _IMASNAP_ERROR_H

#include <errno.h>

/* Well-formed, but does not verify (the kernel's signature checks say the same). */
#define IMASNAP_EVERIFY		EKEYREJECTED
/* The archive or the module is not in the state the command needs. */
#define IMASNAP_ESTATE		ENOMSG
/* OpenSSL failed (its error queue was printed). */
#define IMASNAP_ECRYPTO		ENOTRECOVERABLE
/* The TPM or the TSS failed (Tss2_RC_Decode() was printed). */
#define IMASNAP_ETPM		EREMOTEIO

/* "imasnap: <message>" on stderr; the newest one is kept. */
void imasnap_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *imasnap_last_error(void);
/*
 * OpenSSL failed in @what: its error queue on stderr, oldest first, then
 * cleared.  Returns -IMASNAP_ECRYPTO.
 */
int imasnap_ossl_fail(const char *what);

#endif /* _IMASNAP_ERROR_H */
