/* SPDX-License-Identifier: GPL-2.0 */
/* What the libFuzzer targets share: libimasnap and OpenSSL's hashes. */
#ifndef _IMASNAP_FUZZ_H
#define _IMASNAP_FUZZ_H

#include <stdint.h>
#include <stdlib.h>

#include "libimasnap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline const struct imasnap_hash_ops *fuzz_hash_ops(void)
{
	static struct imasnap_evp *evp;

	if (!evp)
		evp = imasnap_evp_new();
	if (!evp)
		abort();
	return imasnap_evp_ops(evp);
}

#endif
