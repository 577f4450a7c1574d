/* SPDX-License-Identifier: GPL-2.0 */
/* What the benchmarks share: a clock, a file reader and the long-log maker. */
#ifndef _IMASNAP_BENCH_H
#define _IMASNAP_BENCH_H

#include <stdio.h>

#include "libimasnap.h"

double bench_now(void);
unsigned char *bench_slurp(const char *path, size_t *len);
/*
 * Write @records records of the log @seed to @out: its boot_aggregate once,
 * as every boot's log begins, then its other records round robin, as a
 * long-running host's log grows; @bytes: how many bytes.
 */
int bench_make_log(const unsigned char *seed, size_t len, unsigned long records,
		   FILE *out, size_t *bytes);

#endif
