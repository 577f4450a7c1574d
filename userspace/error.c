// SPDX-License-Identifier: GPL-2.0
/*
 * Diagnostics of the imasnap tool: one line on stderr per problem.  The
 * newest is also kept, so library callers (and unit tests) can tell why a
 * call failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "imasnap.h"

static char last_error[512];

void imasnap_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "imasnap: %s\n", last_error);
}

const char *imasnap_last_error(void)
{
	return last_error;
}
