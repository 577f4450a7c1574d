/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _IMASNAP_QUOTE_H
#define _IMASNAP_QUOTE_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "imasnap.h"

struct imasnap_quote {
	u8 attest_bytes[sizeof(TPMS_ATTEST)];	/* what the signature covers */
	size_t attest_len;
	TPMS_ATTEST attest;
	TPMT_SIGNATURE sig;
};

int imasnap_quote_read(const char *path, struct imasnap_quote *q);
int imasnap_quote_check_signature(const struct imasnap_quote *q, EVP_PKEY *ak);
EVP_PKEY *imasnap_read_ak(const char *path);

#endif /* _IMASNAP_QUOTE_H */
