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
	struct imasnap_chain_opts o = { .dir = dir, .threads = threads };
	u64 first, n;
	int ret;

	memset(h, 0, sizeof(*h));
	h->dir = dir;
	h->log = log;
	h->evp = evp;
	h->c = calloc(1, sizeof(*h->c));
	if (!h->c)
		return -ENOMEM;
	imasnap_chain_init(h->c);
	ret = imasnap_archive_range(dir, &first, &n);
	if (!ret && first)
		return imasnap_verify_fail(-IMASNAP_ESTATE,
			    "%s: shards 0..%llu were pruned: the history since the cold boot is not there to serve",
			    dir, ull(first - 1));
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
	h->c = NULL;
}

struct each {
	struct imasnap_history *h;
	bool same_order;
	imasnap_log_fn fn;
	void *priv;
	int fn_ret;			/* what @fn returned, when it stopped a read */
	const char *where;		/* for an order error */
};

static int each_record(void *priv, const struct imasnap_log *log,
		       const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct each *e = priv;
	struct imasnap_history *h = e->h;
	int ret;

	if (!h->order_set) {
		h->order_set = true;
		h->order = log->order;
	} else if (e->same_order && log->order != h->order) {
		imasnap_errorf("log: %s is in another byte order than the records before it: no binary log holds both",
			       e->where);
		return e->fn_ret = -IMASNAP_ESTATE;
	}
	ret = e->fn(e->priv, log, rec, err);
	if (ret)
		return e->fn_ret = ret;
	h->records++;
	h->bytes += rec->size;
	return 0;
}

/* Shards h->first..h->last, each linking to the one before, the newest the one walked. */
static int each_shard(struct each *e)
{
	struct imasnap_history *h = e->h;
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	u8 prev[32];
	char path[4096], where[48];
	struct imasnap_err err;
	u64 i;
	int ret = sh ? 0 : -ENOMEM;

	for (i = h->first; !ret && i <= h->last; i++) {
		snprintf(where, sizeof(where), "shard %llu", ull(i));
		e->where = where;
		ret = imasnap_shard_path(h->dir, i, path, sizeof(path));
		if (!ret)
			ret = imasnap_shard_read_each(path, sh, NULL, 1, each_record, e, &err);
		if (ret && ret == e->fn_ret)
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

/*
 * The live log from its start, checked against the archive; its records
 * from h->live_from on are passed on.  No lane: the template digests are
 * checked, no PCR is replayed.
 */
static int each_live(struct each *e)
{
	struct imasnap_history *h = e->h;
	struct imasnap_replay *rp = calloc(1, sizeof(*rp));
	struct imasnap_log_record rec;
	struct imasnap_logfile lf;
	struct imasnap_err err;
	int more, ret;

	if (!rp)
		return -ENOMEM;
	imasnap_replay_init(rp, imasnap_evp_ops(h->evp));
	e->where = "the live log";
	ret = imasnap_logfile_open(&lf, h->log, IMASNAP_ORDER_AUTO);
	if (ret) {
		free(rp);
		return imasnap_verify_fail(ret, "%s: %s", h->log, lf.why);
	}
	while ((more = imasnap_logfile_next(&lf, &rec, &err)) > 0) {
		ret = imasnap_chain_live_record(h->c, &lf.log, &rec, rp, &err);
		if (ret == -EBADMSG)
			ret = live_malformed(h, &err);
		if (!ret && rec.offset >= h->live_from)
			ret = each_record(e, &lf.log, &rec, &err);
		if (ret)
			break;
	}
	if (!ret && more == -EBADMSG)
		ret = live_malformed(h, &err);
	else if (!ret && more)
		ret = imasnap_verify_fail(more, "live log %s: %s", h->log, strerror(-more));
	if (!ret)
		ret = imasnap_chain_live_end(h->c);
	imasnap_logfile_close(&lf);
	free(rp);
	return ret;
}

int imasnap_history_each(struct imasnap_history *h, bool same_order, imasnap_log_fn fn,
			 void *priv)
{
	struct each e = { .h = h, .same_order = same_order, .fn = fn, .priv = priv };
	int ret = 0;

	h->records = 0;
	h->shard_records = 0;
	h->bytes = 0;
	h->order_set = false;
	if (h->have_shards)
		ret = each_shard(&e);
	return ret ?: each_live(&e);
}
