/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A replay whose lanes are hashed on several threads: the records are
 * copied into a fixed batch, each thread extends its own lanes with the
 * whole batch, and the lanes are written back into the caller's replay.
 * Memory is the batch, whatever the log's length.
 */
#ifndef _IMASNAP_MTREPLAY_H
#define _IMASNAP_MTREPLAY_H

#include "../../lib/core.h"

struct imasnap_mtreplay;

/* The threads worth using here: online CPUs, at least 1. */
unsigned int imasnap_mtreplay_cpus(void);

/* The caller's thread also hashes the records' bytes (a shard body's digest). */
#define IMASNAP_MTREPLAY_CALLER_HASHES	1U

/*
 * Replay into @rp (lanes added, imasnap_replay_start() done) with up to
 * @threads threads, the caller's among them, each with its own OpenSSL
 * digests; @threads 1 (or a replay whose every job would be the caller's)
 * replays in the caller's thread through @rp's own hash ops.  @flags:
 * IMASNAP_MTREPLAY_*, what else the caller's thread does, for the split.
 * NULL with errno set when a thread or the memory cannot be had.
 */
struct imasnap_mtreplay *imasnap_mtreplay_new(struct imasnap_replay *rp, unsigned int threads,
					      unsigned int flags);
/* Threads hashing (1: the caller's alone). */
unsigned int imasnap_mtreplay_threads(const struct imasnap_mtreplay *m);
/*
 * imasnap_replay_record() for @rec, which may be queued: its error, or an
 * earlier queued record's, can come from this call or from
 * imasnap_mtreplay_flush().  After an error @rp's lanes are undefined.
 */
int imasnap_mtreplay_record(struct imasnap_mtreplay *m, const struct imasnap_log_record *rec,
			    struct imasnap_err *err);
/* Replay what is queued; @rp then holds every record given so far. */
int imasnap_mtreplay_flush(struct imasnap_mtreplay *m, struct imasnap_err *err);
void imasnap_mtreplay_free(struct imasnap_mtreplay *m);

#endif /* _IMASNAP_MTREPLAY_H */
