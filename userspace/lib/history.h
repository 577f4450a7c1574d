/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The full history since the last cold boot as one IMA log: the archive's
 * shards from that boot on, in chain order (log shards and the tails
 * carried across each kexec), then the live log past what they hold.
 * Replayed from zero, it gives what the TPM's PCRs hold; it is what
 * `imasnap log` prints and `imasnap mount` serves (Documentation/log-view.md).
 *
 * imasnap_history_open() walks the archive as `imasnap verify` does in full
 * mode (every shard checked and replayed, from shard 0); then
 * imasnap_history_each() streams the records: the shards read again, each
 * linking to the one before and the newest still the one the walk checked,
 * and the live log read once, checked against the archive record by record
 * (its first bytes are this boot's shards, after a kexec it holds the
 * snapshot_aggregate naming the tail) while the records past the archive
 * are passed on.  A history that does not chain is an error, never a
 * shorter log.  Memory does not grow with the log.
 */
#ifndef _IMASNAP_HISTORY_H
#define _IMASNAP_HISTORY_H

#include "chain.h"
#include "logfile.h"

struct imasnap_history {
	const char *dir;
	const char *log;
	struct imasnap_evp *evp;
	struct imasnap_chain *c;	/* the archive walked */
	bool have_shards;		/* the last cold boot has shards: */
	u64 first, last;		/* these */
	u8 newest[32];			/* the digest of the newest */
	u64 live_from;			/* the live log's bytes before it are in them */
	bool same_order;		/* refuse a second byte order: see imasnap_history_each() */
	struct imasnap_replay *rp;	/* the live log's checks: template digests */
	/* Filled in as records are passed on: */
	u64 records;			/* records passed on */
	u64 shard_records;		/* ... of them from shards */
	u64 bytes;			/* their bytes in binary form */
	bool order_set;
	enum imasnap_log_order order;	/* of the records passed on */
};

/*
 * Walk the archive @dir (full mode, on up to @threads threads) for the live
 * log @log.  0, or -errno with the failure named on stderr
 * (-IMASNAP_EVERIFY: the archive does not chain; -IMASNAP_ESTATE: it was
 * pruned past the last cold boot's first shard).
 */
int imasnap_history_open(struct imasnap_history *h, const char *dir, const char *log,
			 struct imasnap_evp *evp, unsigned int threads);
/*
 * Every record of the history, oldest first, to @fn (its @log: the parser
 * of the shard or live log it came from).  @same_order: refuse a history
 * whose parts are in different byte orders (a binary log has one).  0 or
 * -errno, named on stderr; an error of @fn is returned as it is.
 */
int imasnap_history_each(struct imasnap_history *h, bool same_order, imasnap_log_fn fn,
			 void *priv);
/* The same in parts (@h->same_order set by the caller): the shards' records to @fn ... */
int imasnap_history_shards(struct imasnap_history *h, imasnap_log_fn fn, void *priv);
/*
 * ... then the live log, opened into @lf, record by record: 1 and @rec
 * (pointing into @lf) for each record past the archive, checked with those
 * before it; 0 at its end for now (call again when it has grown); -errno,
 * named.  After the end, imasnap_history_live_end() says whether the log
 * so far holds everything the archive says it must (0 or -errno, named).
 */
int imasnap_history_live_open(struct imasnap_history *h, struct imasnap_logfile *lf);
int imasnap_history_live_next(struct imasnap_history *h, struct imasnap_logfile *lf,
			      struct imasnap_log_record *rec);
int imasnap_history_live_end(struct imasnap_history *h);
void imasnap_history_close(struct imasnap_history *h);

#endif /* _IMASNAP_HISTORY_H */
