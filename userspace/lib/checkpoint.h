/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checkpoints: what a verifier keeps of an earlier verification, so that
 * the next one starts there (verify --from, --save-state).  The text
 * format is in Documentation/design.md and checkpoint.c.
 */
#ifndef _IMASNAP_CHECKPOINT_H
#define _IMASNAP_CHECKPOINT_H

#include <stdbool.h>

#include <tss2/tss2_tpm2_types.h>

#include "shard.h"

/* The clock of the newest quote met, and whether a cold boot came after. */
struct imasnap_chain_clock {
	bool valid;
	u64 seq;			/* the shard whose trailer held it */
	TPMS_CLOCK_INFO info;
	u32 cold_boots;			/* the archive shows since */
};

/* What a verifier keeps to verify incrementally next time. */
struct imasnap_checkpoint {
	struct imasnap_shard shard;	/* trailer not kept */
	struct imasnap_chain_clock clock;
	/* A log shard: SHA-256 of its boot's log from the start to its end. */
	bool has_prefix;
	u8 prefix[32];
};

/* Atomically: 0 or -errno. */
int imasnap_checkpoint_write(const char *path, const struct imasnap_checkpoint *cp);
/* 0, -EBADMSG (not a checkpoint), -errno. */
int imasnap_checkpoint_read(const char *path, struct imasnap_checkpoint *cp);

#endif /* _IMASNAP_CHECKPOINT_H */
