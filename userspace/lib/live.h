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
/* After the live log's last record: everything the archive said it must hold. */
int imasnap_chain_live_end(struct imasnap_chain *c);

#endif /* _IMASNAP_LIVE_H */
