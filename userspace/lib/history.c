// SPDX-License-Identifier: GPL-2.0
/*
 * The history since the last cold boot, record by record (history.h).
 */
#include <stdlib.h>

#include "archive.h"
#include "error.h"
#include "history.h"
#include "live.h"
#include "logfile.h"

static unsigned long long ull(u64 v)
{
	return (unsigned long long)v;
}

int imasnap_history_open(struct imasnap_history *h, const char *dir, const char *log,
			 struct imasnap_evp *evp, unsigned int threads)
{
	struct imasnap_chain_opts o = { .dir = dir, .threads = threads, .cold_start = true };
	int ret;

	memset(h, 0, sizeof(*h));
	h->dir = dir;
	h->log = log;
	h->evp = evp;
	h->c = calloc(1, sizeof(*h->c));
	if (!h->c)
		return -ENOMEM;
	imasnap_chain_init(h->c);
	ret = imasnap_chain_walk(h->c, &o, evp);
	if (ret)
		return ret;
	if (!h->c->count)
		return 0;
	h->have_shards = true;
	h->first = h->c->cold_first;
	h->last = h->c->first + h->c->count - 1;
	memcpy(h->newest, h->c->newest.shard.digest, 32);
	/* This boot's shards are the live log's first bytes (a tail newest: none). */
	if (h->c->nr_slices)
		h->live_from = h->c->slices[h->c->nr_slices - 1].end;
	return 0;
}

void imasnap_history_close(struct imasnap_history *h)
{
	if (h->c)
		imasnap_chain_free(h->c);
	free(h->c);
	free(h->rp);
	h->c = NULL;
	h->rp = NULL;
}

struct each {
	struct imasnap_history *h;
	imasnap_log_fn fn;
	void *priv;
	int fn_ret;			/* what @fn returned, when it stopped a read */
	const char *where;		/* for an order error */
};

/* Each record passed on: the byte order kept. */
static int pass_on(struct imasnap_history *h, const char *where, const struct imasnap_log *log)
{
	if (!h->order_set) {
		h->order_set = true;
		h->order = log->order;
	} else if (h->same_order && log->order != h->order) {
		return imasnap_verify_fail(-IMASNAP_ESTATE,
			    "%s is in another byte order than the records before it: no binary log holds both",
			    where);
	}
	return 0;
}

static int each_record(void *priv, const struct imasnap_log *log,
		       const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct each *e = priv;
	struct imasnap_history *h = e->h;
	int ret;

	ret = pass_on(h, e->where, log);
	if (!ret)
		ret = e->fn(e->priv, log, rec, err);
	if (ret)
		return e->fn_ret = ret;
	h->records++;
	h->bytes += rec->size;
	return 0;
}

int imasnap_history_shards(struct imasnap_history *h, imasnap_log_fn fn, void *priv)
{
	struct each e = { .h = h, .fn = fn, .priv = priv };
	struct imasnap_shard *sh;
	u8 prev[32];
	char path[4096], where[48];
	struct imasnap_err err;
	u64 i;
	int ret;

	h->records = 0;
	h->shard_records = 0;
	h->bytes = 0;
	h->order_set = false;
	if (!h->have_shards)
		return 0;
	sh = calloc(1, sizeof(*sh));
	ret = sh ? 0 : -ENOMEM;
	for (i = h->first; !ret && i <= h->last; i++) {
		snprintf(where, sizeof(where), "shard %llu", ull(i));
		e.where = where;
		ret = imasnap_shard_path(h->dir, i, path, sizeof(path));
		if (!ret)
			ret = imasnap_shard_read_each(path, sh, NULL, 1, each_record, &e, &err);
		if (ret && ret == e.fn_ret)
			break;
		if (ret == -EBADMSG) {
			ret = imasnap_verify_fail(-IMASNAP_EVERIFY, "shard %llu: %s (%s %llu)", ull(i),
						  err.reason, err.index ? "record" : "byte",
						  ull(err.index ? err.index : err.offset));
			break;
		}
		if (ret) {
			ret = imasnap_verify_fail(ret, "%s: %s", path, strerror(-ret));
			break;
		}
		if (sh->seq != i || (i > h->first && memcmp(sh->prev_digest, prev, 32)) ||
		    (i == h->last && memcmp(sh->digest, h->newest, 32)))
			ret = imasnap_verify_fail(-IMASNAP_EVERIFY,
				    "shard %llu changed since the archive was walked", ull(i));
		memcpy(prev, sh->digest, 32);
		h->shard_records += sh->entries;
	}
	free(sh);
	return ret;
}

/* Named as `imasnap verify` names them. */
static int live_malformed(const struct imasnap_history *h, const struct imasnap_err *err)
{
	return imasnap_verify_fail(-EBADMSG, "live log %s: record %llu at offset %llu: %s",
				   h->log, ull(err->index), ull(err->offset), err->reason);
}

int imasnap_history_live_open(struct imasnap_history *h, struct imasnap_logfile *lf)
{
	int ret;

	h->rp = calloc(1, sizeof(*h->rp));
	if (!h->rp)
		return -ENOMEM;
	/* No lane: the template digests are checked, no PCR is replayed. */
	imasnap_replay_init(h->rp, imasnap_evp_ops(h->evp));
	ret = imasnap_logfile_open(lf, h->log, IMASNAP_ORDER_AUTO);
	if (ret)
		return imasnap_verify_fail(ret, "%s: %s", h->log, lf->why);
	return 0;
}

int imasnap_history_live_next(struct imasnap_history *h, struct imasnap_logfile *lf,
			      struct imasnap_log_record *rec)
{
	struct imasnap_err err;
	int more, ret;

	while ((more = imasnap_logfile_next(lf, rec, &err)) > 0) {
		ret = imasnap_chain_live_record(h->c, &lf->log, rec, h->rp, &err);
		if (ret == -EBADMSG)
			return live_malformed(h, &err);
		if (ret)
			return ret;
		if (rec->offset < h->live_from)
			continue;
		ret = pass_on(h, "the live log", &lf->log);
		if (ret)
			return ret;
		h->records++;
		h->bytes += rec->size;
		return 1;
	}
	if (more == -EBADMSG)
		return live_malformed(h, &err);
	if (more)
		return imasnap_verify_fail(more, "live log %s: %s", h->log, strerror(-more));
	return 0;
}

int imasnap_history_live_end(struct imasnap_history *h)
{
	/*
	 * A snapshot_aggregate says this boot followed a kexec imasnap carried:
	 * without a tail shard before it (collect did not run, shards were
	 * deleted), the archive lacks the boots before, and the history would
	 * be silently shorter.  (verify finds the same by the PCRs; the view
	 * has none to compare with.)
	 */
	if (!h->c->need_aggregate && h->c->aggregates)
		return imasnap_verify_fail(-IMASNAP_EVERIFY,
			    "the live log holds a snapshot_aggregate, so its boot followed a kexec, but the archive has no tail shard of that kexec: the history since the cold boot is not whole (did imasnap collect run?)");
	return imasnap_chain_live_end(h->c);
}

int imasnap_history_each(struct imasnap_history *h, bool same_order, imasnap_log_fn fn,
			 void *priv)
{
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	int ret;

	h->same_order = same_order;
	ret = imasnap_history_shards(h, fn, priv);
	if (ret)
		return ret;
	ret = imasnap_history_live_open(h, &lf);
	if (ret)
		return ret;
	while ((ret = imasnap_history_live_next(h, &lf, &rec)) > 0) {
		ret = fn(priv, &lf.log, &rec, &err);
		if (ret)
			break;
	}
	if (!ret)
		ret = imasnap_history_live_end(h);
	imasnap_logfile_close(&lf);
	return ret;
}
