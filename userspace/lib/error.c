// SPDX-License-Identifier: GPL-2.0
/*
 * Diagnostics of libimasnap: one line on stderr per problem.  The newest is
 * also kept, so library callers (and unit tests) can tell why a call
 * failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/err.h>

#include "error.h"

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

static int print_ossl(const char *str, size_t len, void *what)
{
	/* One queue entry, "<pid>:error:<code>:<lib>:<func>:<reason>:...\n". */
	imasnap_errorf("%s: %.*s", (const char *)what,
		       (int)(len && str[len - 1] == '\n' ? len - 1 : len), str);
	return 1;
}

int imasnap_ossl_fail(const char *what)
{
	if (ERR_peek_error())
		ERR_print_errors_cb(print_ossl, (void *)what);
	else
		imasnap_errorf("%s: OpenSSL failed", what);
	return -IMASNAP_ECRYPTO;
}
