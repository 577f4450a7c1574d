// SPDX-License-Identifier: GPL-2.0
/*
 * Threaded replay.  The lanes of a replay are independent: each is one
 * bank's PCRs under one rule, extended record after record.  So the lanes
 * are split into groups of about equal cost, one per thread, and every
 * group replays the same records with its own OpenSSL contexts.  One of
 * the groups also checks each record's SHA-1 template digest against its
 * template data; the others extend their SHA-1 lanes with the digest as
 * the record gives it, which that check holds to the data (where it does
 * not, the check's error is the replay's: the first by record).  Given a
 * digest, one group also updates it with the records' bytes, a batch at a
 * time (a shard body's SHA-256).  The check and the digest are jobs like
 * the lanes, placed by their cost with them; the caller's thread, which
 * also reads and parses, starts with that cost.  So there are no more threads than asked for: on two CPUs, two,
 * each with about half of the work (the check on a thread of its own, and
 * the body digest on another, made four threads share two CPUs, and
 * whenever two waited on each other a CPU idled).
 *
 * Records are copied into a batch (the caller's buffer moves on).  The
 * batches are a ring: when one is full, the workers take it, and the
 * caller's thread runs group 0 over it and goes on filling the next while
 * the workers are up to NR_BATCHES - 1 batches behind.  So a thread that
 * loses its CPU for a while (to another thread of the process: a spool, a
 * hashing thread) does not stop the others at once.
 * imasnap_mtreplay_flush() waits for them and puts the lanes back into the
 * caller's replay.  Memory: the batches.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "evp.h"
#include "mtreplay.h"

#define MAX_GROUPS	4	/* threads (the caller's among them) */
/* Room for the largest record the parser accepts, and many ordinary ones. */
#define BATCH_BYTES	(IMASNAP_TEMPLATE_DATA_MAX + 256 * 1024)
#define BATCH_RECS	4096
#define NR_BATCHES	4

/*
 * Each batch on a cache line of its own: the caller's thread writes the
 * one it fills on every record while the workers read the others, and one
 * line shared by both would move between their cores as often.
 */
struct batch {
	_Alignas(64) u8 *buf;
	size_t used;
	struct imasnap_log_record *recs;
	unsigned int nr;
};

struct group {
	struct imasnap_mtreplay *m;
	struct imasnap_replay rp;
	struct imasnap_evp *evp;
	unsigned int cost;
	unsigned int nr;			/* lanes */
	bool check;				/* the SHA-1 template digests' */
	EVP_MD_CTX *md;				/* the digest of the records' bytes, or NULL */
	unsigned int parent[IMASNAP_MAX_LANES];	/* their indexes in the caller's replay */
	pthread_t thread;
	bool started;
	unsigned long done;			/* batches this worker finished */
	int ret;
	struct imasnap_err err;
};

struct imasnap_mtreplay {
	struct imasnap_replay *rp;
	unsigned int nr_groups;
	struct group g[MAX_GROUPS];
	EVP_MD_CTX *md;		/* the caller's digest, where a group updates it */
	struct batch b[NR_BATCHES];
	struct batch *cur;	/* being filled: batch @batch, in b[@batch % NR_BATCHES] */
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	unsigned long batch;	/* batches handed to the workers */
	bool quit;
};

unsigned int imasnap_mtreplay_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_GROUPS ? MAX_GROUPS : (unsigned int)n;
}

/*
 * What a record costs a job, in half compression blocks (of SHA-1 and
 * SHA-256, whose blocks cost about the same here; a million ima-ng
 * records: the SHA-256 lane 214 ms, the check 96, the SHA-1 lane 42, the
 * caller's reading and parsing about 100, hashing its bytes 70).
 */
#define COST_CALLER	4	/* reading and parsing */
#define COST_CHECK	4	/* SHA-1 of the template data: two blocks */
#define COST_DIGEST	3	/* SHA-256 of the records' bytes: 1.5 blocks a record */
#define CHECK_JOB	IMASNAP_MAX_LANES	/* jobs that are not lanes */
#define DIGEST_JOB	(IMASNAP_MAX_LANES + 1)

/* A lane: the template digest if its own (about two blocks), and the extend. */
static unsigned int job_cost(const struct imasnap_replay *rp, unsigned int job)
{
	if (job == CHECK_JOB)
		return COST_CHECK;
	if (job == DIGEST_JOB)
		return COST_DIGEST;
	if (rp->lane[job].bank == IMASNAP_BANK_SHA1)
		return 2;	/* SHA-1's extend: 40 bytes, one block */
	if (rp->lane[job].rule == IMASNAP_RULE_PADDED_SHA1)
		return 4;	/* the check's SHA-1 (or the logged one), extended: two */
	return 8;
}

/* The group's first error so far: from before @b, or in it. */
static int group_run(struct group *g, const struct batch *b)
{
	const struct imasnap_log_record *rec = b->recs, *end = b->recs + b->nr;
	int ret = g->ret;

	/* In locals: the loop touches nothing another thread writes but the records. */
	for (; rec < end && !ret; rec++)
		ret = imasnap_replay_record(&g->rp, rec, &g->err);
	/*
	 * The records' bytes are the batch's, in order (where a record failed,
	 * no matter).  A failure here is OpenSSL's, said now (its errors are
	 * this thread's), and filed at the batch's last record: a bad record
	 * before it, found by another group, is the first error.
	 */
	if (!ret && g->md && b->nr && !EVP_DigestUpdate(g->md, b->buf, b->used)) {
		g->err.reason = NULL;
		g->err.offset = end[-1].offset;
		g->err.index = end[-1].index;
		ret = imasnap_ossl_fail("SHA-256");
	}
	return ret;
}

static void *worker(void *arg)
{
	struct group *g = arg;
	struct imasnap_mtreplay *m = g->m;
	const struct batch *b;
	int ret;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (!m->quit && m->batch == g->done)
			pthread_cond_wait(&m->go, &m->lock);
		if (m->quit)
			break;
		b = &m->b[g->done % NR_BATCHES];
		pthread_mutex_unlock(&m->lock);
		ret = group_run(g, b);
		pthread_mutex_lock(&m->lock);
		g->ret = ret;	/* under the lock: the caller reads it while this goes on */
		g->done++;
		pthread_cond_signal(&m->done);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/*
 * Split @rp's lanes, the check and (@digest) the digest into at most @n
 * groups of about equal cost: costliest job first, to the cheapest group
 * (the first of equals).
 */
static void split_jobs(struct imasnap_mtreplay *m, unsigned int n, bool digest)
{
	const struct imasnap_replay *rp = m->rp;
	unsigned int jobs[IMASNAP_MAX_LANES + 2], nr = 0, k, i, j;

	for (i = 0; i < rp->nr_lanes; i++)
		jobs[nr++] = i;
	jobs[nr++] = CHECK_JOB;
	if (digest)
		jobs[nr++] = DIGEST_JOB;
	m->g[0].cost = COST_CALLER;
	for (k = 0; k < nr; k++) {
		unsigned int pick = k, to = 0, job;
		struct group *g;

		for (i = k + 1; i < nr; i++)
			if (job_cost(rp, jobs[i]) > job_cost(rp, jobs[pick]))
				pick = i;
		job = jobs[pick];
		jobs[pick] = jobs[k];
		jobs[k] = job;
		for (j = 1; j < n; j++)
			if (m->g[j].cost < m->g[to].cost)
				to = j;
		g = &m->g[to];
		if (job == CHECK_JOB)
			g->check = true;
		else if (job == DIGEST_JOB)
			g->md = m->md;
		else
			g->parent[g->nr++] = job;
		g->cost += job_cost(rp, job);
	}
	/* A group left without a job (but group 0, the caller's) would idle. */
	for (i = j = 1; i < n; i++)
		if (m->g[i].nr || m->g[i].check || m->g[i].md)
			m->g[j++] = m->g[i];
	m->nr_groups = j;
	/* Clear what moved down. */
	memset(&m->g[j], 0, (n - j) * sizeof(m->g[0]));
}

struct imasnap_mtreplay *imasnap_mtreplay_new(struct imasnap_replay *rp, unsigned int threads,
					      EVP_MD_CTX *digest)
{
	/* Aligned as its batches are (calloc() aligns to 16 bytes only). */
	struct imasnap_mtreplay *m = aligned_alloc(_Alignof(struct imasnap_mtreplay), sizeof(*m));
	unsigned int i;

	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->rp = rp;
	m->nr_groups = 1;
	if (threads <= 1 || !rp->nr_lanes)
		return m;	/* direct: imasnap_replay_record() on @rp */
	if (threads > MAX_GROUPS)
		threads = MAX_GROUPS;
	/* A job each at most: the lanes, the check and the digest. */
	if (threads > rp->nr_lanes + 1 + !!digest)
		threads = rp->nr_lanes + 1 + !!digest;
	m->md = digest;
	split_jobs(m, threads, digest != NULL);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->go, NULL);
	pthread_cond_init(&m->done, NULL);
	for (i = 0; i < NR_BATCHES; i++) {
		m->b[i].buf = malloc(BATCH_BYTES);
		m->b[i].recs = calloc(BATCH_RECS, sizeof(*m->b[i].recs));
		if (!m->b[i].buf || !m->b[i].recs)
			goto fail;
	}
	m->cur = &m->b[0];
	for (i = 0; i < m->nr_groups; i++) {
		struct group *g = &m->g[i];
		unsigned int k;

		g->m = m;
		g->evp = imasnap_evp_new();
		if (!g->evp)
			goto fail;
		imasnap_replay_init(&g->rp, imasnap_evp_ops(g->evp));
		for (k = 0; k < g->nr; k++)
			g->rp.lane[k] = rp->lane[g->parent[k]];
		g->rp.nr_lanes = g->nr;
		g->rp.sha1_checked_elsewhere = !g->check;
		if (i && pthread_create(&g->thread, NULL, worker, g))
			goto fail;
		g->started = i > 0;
	}
	return m;
fail:
	imasnap_mtreplay_free(m);
	errno = ENOMEM;
	return NULL;
}

unsigned int imasnap_mtreplay_threads(const struct imasnap_mtreplay *m)
{
	return m->nr_groups;
}

bool imasnap_mtreplay_digests(const struct imasnap_mtreplay *m)
{
	return m->nr_groups > 1 && m->md;
}

/*
 * The first error by record order, with its record's @err; at one record,
 * the check's, which one thread would have found first.
 */
static int first_error(struct imasnap_mtreplay *m, struct imasnap_err *err)
{
	struct group *worst = NULL;
	unsigned int i;

	for (i = 0; i < m->nr_groups; i++) {
		struct group *g = &m->g[i];

		if (g->ret && (!worst || g->err.index < worst->err.index ||
			       (g->err.index == worst->err.index && g->check)))
			worst = g;
	}
	if (!worst)
		return 0;
	*err = worst->err;
	return worst->ret;
}

/*
 * Until every worker has at most @behind of the batches handed to go:
 * whether one of them failed (its error is the caller's to read once no
 * worker has any to go).
 */
static bool wait_workers(struct imasnap_mtreplay *m, unsigned long behind)
{
	bool failed = false;
	unsigned int i;

	pthread_mutex_lock(&m->lock);
	for (i = 1; i < m->nr_groups; i++) {
		while (m->batch - m->g[i].done > behind)
			pthread_cond_wait(&m->done, &m->lock);
		failed = failed || m->g[i].ret;
	}
	pthread_mutex_unlock(&m->lock);
	return failed;
}

/*
 * Hand the full batch to the workers, run group 0 over it here, and go on
 * with the next batch of the ring once no worker still has it to do.
 */
static int dispatch(struct imasnap_mtreplay *m, struct imasnap_err *err)
{
	struct batch *b = m->cur;
	bool failed;

	pthread_mutex_lock(&m->lock);
	m->batch++;
	pthread_cond_broadcast(&m->go);
	pthread_mutex_unlock(&m->lock);
	m->g[0].ret = group_run(&m->g[0], b);
	failed = wait_workers(m, NR_BATCHES - 1);
	m->cur = &m->b[m->batch % NR_BATCHES];
	m->cur->nr = 0;
	m->cur->used = 0;
	if (!failed && !m->g[0].ret)
		return 0;
	wait_workers(m, 0);
	return first_error(m, err);
}

int imasnap_mtreplay_flush(struct imasnap_mtreplay *m, struct imasnap_err *err)
{
	struct imasnap_replay *rp = m->rp;
	unsigned int i, j;
	int ret = 0;

	if (m->nr_groups == 1)
		return 0;
	if (m->cur->nr)
		ret = dispatch(m, err);
	wait_workers(m, 0);
	if (!ret)
		ret = first_error(m, err);
	for (i = 0; i < m->nr_groups; i++)
		for (j = 0; j < m->g[i].rp.nr_lanes; j++)
			rp->lane[m->g[i].parent[j]] = m->g[i].rp.lane[j];
	rp->records += m->g[0].rp.records;
	rp->violations += m->g[0].rp.violations;
	rp->no_pcr += m->g[0].rp.no_pcr;
	m->g[0].rp.records = m->g[0].rp.violations = m->g[0].rp.no_pcr = 0;
	return ret;
}

/* @p, a pointer into @rec's raw bytes, moved to the same place in @to. */
static const void *rebase(const void *p, const struct imasnap_log_record *rec, const u8 *to)
{
	return p ? to + ((const u8 *)p - rec->raw) : NULL;
}

int imasnap_mtreplay_record(struct imasnap_mtreplay *m, const struct imasnap_log_record *rec,
			    struct imasnap_err *err)
{
	struct imasnap_log_record *q;
	u8 *to;
	int ret;

	if (m->nr_groups == 1)
		return imasnap_replay_record(m->rp, rec, err);
	if (m->cur->nr == BATCH_RECS || BATCH_BYTES - m->cur->used < rec->size) {
		ret = dispatch(m, err);
		if (ret)
			return ret;
	}
	to = m->cur->buf + m->cur->used;
	memcpy(to, rec->raw, rec->size);
	q = &m->cur->recs[m->cur->nr++];
	*q = *rec;
	q->raw = to;
	q->digest = rebase(rec->digest, rec, to);
	q->name = rebase(rec->name, rec, to);
	q->data = rebase(rec->data, rec, to);
	m->cur->used += rec->size;
	return 0;
}

void imasnap_mtreplay_free(struct imasnap_mtreplay *m)
{
	unsigned int i;

	if (!m)
		return;
	if (m->nr_groups > 1) {
		pthread_mutex_lock(&m->lock);
		m->quit = true;
		pthread_cond_broadcast(&m->go);
		pthread_mutex_unlock(&m->lock);
		for (i = 0; i < m->nr_groups; i++) {
			if (m->g[i].started)
				pthread_join(m->g[i].thread, NULL);
			imasnap_evp_free(m->g[i].evp);
		}
		pthread_cond_destroy(&m->done);
		pthread_cond_destroy(&m->go);
		pthread_mutex_destroy(&m->lock);
	}
	for (i = 0; i < NR_BATCHES; i++) {
		free(m->b[i].recs);
		free(m->b[i].buf);
	}
	free(m);
}
