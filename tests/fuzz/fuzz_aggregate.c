// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the snapshot_aggregate and cut grammar (lib/aggregate.c), the
 * text root writes to the arm file.  What parses must build back to text
 * that parses to the same thing.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imasnap_aggregate a, b;
	static char text[IMASNAP_AGGREGATE_MAX_LEN];
	struct imasnap_err err;
	int kind, n;

	for (kind = IMASNAP_AGG_SNAPSHOT; kind <= IMASNAP_AGG_CUT; kind++) {
		if (imasnap_aggregate_parse(kind, (const char *)data, size, &a, &err))
			continue;
		n = imasnap_aggregate_build(kind, &a, text, sizeof(text));
		if (n < 0 || imasnap_aggregate_parse(kind, text, (size_t)n, &b, &err) ||
		    memcmp(&a, &b, sizeof(a)))
			__builtin_trap();	/* not a round trip */
	}
	return 0;
}
