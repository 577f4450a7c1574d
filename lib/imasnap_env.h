/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only place where the lib/ core differs between the kernel module and
 * the userspace tool: types, byte order helpers and the few string/memory
 * functions the core uses.  Everything else in lib/ is built unchanged on
 * both sides, and includes nothing outside lib/ and include/.  In the
 * kernel it covers every kernel of scripts/kernels.sh: Debian 12's 6.1,
 * bookworm-backports' and trixie's 6.12, sid's 7.2.  The one difference
 * between them it sees, where <linux/unaligned.h> lives, is detected by
 * Kbuild from the kernel's own headers, not by version number.
 */
#ifndef _IMASNAP_ENV_H
#define _IMASNAP_ENV_H

#ifdef __KERNEL__

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>
/* get_unaligned_le32() and friends: <linux/unaligned.h> since 6.12 (Kbuild looks). */
#ifdef IMASNAP_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#else /* userspace */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static inline u16 get_unaligned_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static inline u32 get_unaligned_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[3] | (u32)b[2] << 8 | (u32)b[1] << 16 | (u32)b[0] << 24;
}

static inline u64 get_unaligned_le64(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_le32(b) | (u64)get_unaligned_le32(b + 4) << 32;
}

static inline void put_unaligned_le16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
}

static inline void put_unaligned_le32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
	b[2] = (u8)(v >> 16);
	b[3] = (u8)(v >> 24);
}

static inline void put_unaligned_le64(u64 v, void *p)
{
	put_unaligned_le32((u32)v, p);
	put_unaligned_le32((u32)(v >> 32), (u8 *)p + 4);
}

#endif /* __KERNEL__ */

#endif /* _IMASNAP_ENV_H */
