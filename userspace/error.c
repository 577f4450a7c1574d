// SPDX-License-Identifier: GPL-2.0
/* Diagnostics of the imasnap tool: one line on stderr per problem. */
#include <stdarg.h>
#include <stdio.h>

#include "imasnap.h"

void imasnap_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("imasnap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
