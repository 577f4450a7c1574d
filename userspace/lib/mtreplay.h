/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A replay whose lanes are hashed on several threads: the records are
 * copied into a fixed batch, each thread extends its own lanes with the
 * whole batch (and one checks the records' SHA-1 template digests, one may
 * digest their bytes), and the lanes are written back into the caller's
 * replay.  Memory is the batches, whatever the log's length.
 */
#ifndef _IMASNAP_MTREPLAY_H
#define _IMASNAP_MTREPLAY_H

#include <openssl/evp.h>

#include "../../lib/core.h"

struct imasnap_mtreplay;

/* The threads worth using here: online CPUs, at least 1. */
unsigned int imasnap_mtreplay_cpus(void);

/*
 * Replay into @rp (lanes added, imasnap_replay_start() done) with up to
 * @threads threads, the caller's among them, each with its own OpenSSL
 * digests; @threads 1 (or a replay without lanes) replays in the caller's
 * thread through @rp's own hash ops.  @digest: NULL, or a digest of the
 * caller's (a shard body's SHA-256) which one of the threads, as a job of
 * the split, updates with the records' bytes in order, where there are
 * threads (imasnap_mtreplay_digests()); after imasnap_mtreplay_flush()
 * returned 0 it has seen every record given.  NULL with errno set when a
 * thread or the memory cannot be had.
 */
struct imasnap_mtreplay *imasnap_mtreplay_new(struct imasnap_replay *rp, unsigned int threads,
					      EVP_MD_CTX *digest);
/* Threads replaying, the caller's among them (1: the caller's alone). */
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
/*
 * Whether the records go into the caller's digest: only on more than one
 * thread (on one, the caller digests its bytes in larger pieces).
 */
bool imasnap_mtreplay_digests(const struct imasnap_mtreplay *m);
void imasnap_mtreplay_free(struct imasnap_mtreplay *m);

#endif /* _IMASNAP_MTREPLAY_H */
