/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels imasnap supports lives here:
 * Debian 12's 6.1, Debian 13's 6.12 and sid's 7.x.  Kbuild refuses kernels
 * older than 6.1.  Differences are detected by what the kernel provides, not
 * by version number.
 */
#ifndef _IMASNAP_COMPAT_H
#define _IMASNAP_COMPAT_H

/* <asm/unaligned.h> moved to <linux/unaligned.h> in 6.12 (Kbuild looks). */
#ifdef IMASNAP_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* _IMASNAP_COMPAT_H */
