/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live log against the archive walk's expectations (chain.h): the
 * second half of the verifier's core.
 */
#ifndef _IMASNAP_LIVE_H
#define _IMASNAP_LIVE_H

#include "chain.h"

/*
 * The live log, record by record, replayed into @rp (lanes set, started
 * from c->start by the caller).  0; -EBADMSG: the record is malformed,
 * @err says why (the caller names the file, as for the parser's errors);
 * any other -errno is named on stderr (-IMASNAP_EVERIFY: the log is not
 * what the archive says).
 */
int imasnap_chain_live_record(struct imasnap_chain *c, const struct imasnap_log *log,
			      const struct imasnap_log_record *rec,
			      struct imasnap_replay *rp, struct imasnap_err *err);
/*
 * Where the live walk starts: when the archive walk compared the live log
 * equal to every shard of its boot (struct imasnap_lockstep), @lf is the
 * live log open after them, their records taken as checked, and 1; else
 * 0, and the caller opens the live log at its start.  -IMASNAP_EVERIFY
 * (named): the records compared do not hold.
 */
int imasnap_chain_live_resume(struct imasnap_chain *c, struct imasnap_replay *rp,
			      struct imasnap_logfile *lf);
/*
 * Whether @rec counts as a snapshot_aggregate (Documentation/abi.md), and
 * in @binds whether it is the one @want says (@need: one is required).
 */
bool imasnap_live_aggregate(const struct imasnap_log *log, const struct imasnap_log_record *rec,
			    bool need, const struct imasnap_aggregate *want, bool *binds);
/* After the live log's last record: everything the archive said it must hold. */
int imasnap_chain_live_end(struct imasnap_chain *c);

#endif /* _IMASNAP_LIVE_H */
