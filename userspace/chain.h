/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verifier's core (chain.c): walk the archive from a trusted start,
 * then check the live log against what the archive says it must show.
 *
 * A start is trusted when it is zero at cold boot (full mode), a checkpoint
 * the verifier stored after an earlier verification (incremental mode), or
 * the end state of the oldest shard kept, attested by a TPM quote in that
 * shard's trailer signed by the AK (quote-anchored mode).
 */
#ifndef _IMASNAP_CHAIN_H
#define _IMASNAP_CHAIN_H

#include "quote.h"
#include "shard.h"

struct imasnap_chain_opts {
	const char *dir;
	/* Incremental: the newest shard of an earlier verification. */
	const struct imasnap_checkpoint *from;
	/* Quote-anchored: trust the oldest shard's end by its trailer quote. */
	bool anchored;
	/* The caller saves a checkpoint: keep the digest of the log up to it. */
	bool save;
	/* Trailer quotes' signatures are checked with it; NULL: not checked. */
	EVP_PKEY *ak;
};

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

struct imasnap_chain_slice {
	u64 seq;
	u64 end;			/* byte offset in the live log where it ends */
	u8 digest[32];			/* its body digest */
};

struct imasnap_chain {
	/* The archive walked. */
	u64 first;			/* oldest shard walked */
	u64 count;			/* shards walked */
	u64 quoted;			/* shards with a trailer quote, checked */
	u64 signed_quotes;		/* ... whose signature was checked */
	struct imasnap_checkpoint newest;	/* valid when count or from */
	bool have_newest;
	struct imasnap_chain_clock clock;

	/* What the live log must show. */
	struct imasnap_state start;	/* its replay starts from this state ... */
	u64 skip;			/* ... at this byte offset (records before are archived) */
	u64 skip_seq;			/* the trusted shard that ends there */
	bool check_body;		/* the live bytes [body_from, skip) are its body */
	u64 body_from;
	u8 body_digest[32];
	bool check_prefix;		/* the live bytes [0, skip) digest to prefix */
	bool history_unverified;	/* an anchor: [0, skip) is not verified */
	u8 prefix[32];
	u64 save_at;			/* where the newest (log) shard ends in the live log */
	bool need_aggregate;		/* this boot followed a kexec */
	struct imasnap_aggregate agg;	/* what its snapshot_aggregate must say */
	struct imasnap_chain_slice *slices;	/* this boot's shards after skip, oldest first */
	u64 nr_slices;
	u32 banks;			/* the banks the newest shard ends in */

	/* The live log walk. */
	u64 slice;
	u64 live_bytes;
	u64 live_records;
	u64 unverified;			/* records before a quoted anchor: not checked */
	unsigned int aggregates;
	bool bound;
	void *md;			/* EVP_MD_CTX of the current slice */
	void *boot_md;			/* ... of the live log from its start */
	void *body_md;			/* ... of the trusted shard's body in it */
};

int imasnap_verify_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void imasnap_chain_init(struct imasnap_chain *c);
void imasnap_chain_free(struct imasnap_chain *c);
/* Walk the archive.  0 or an exit code, the first failure named on stderr. */
int imasnap_chain_walk(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		       struct imasnap_evp *evp);
/*
 * The live log, record by record, replayed into @rp (lanes set, started
 * from c->start by the caller).  0, -errno / -EBADMSG (@err), or an exit
 * code with the failure named.
 */
int imasnap_chain_live_record(struct imasnap_chain *c, const struct imasnap_log *log,
			      const struct imasnap_log_record *rec,
			      struct imasnap_replay *rp, struct imasnap_err *err);
/* After the live log's last record: everything the archive said it must hold. */
int imasnap_chain_live_end(struct imasnap_chain *c);
/* A quote taken after the archive's newest trailer quote: its clock must follow. */
int imasnap_chain_clock_check(const struct imasnap_chain *c, const TPMS_CLOCK_INFO *now);

int imasnap_checkpoint_write(const char *path, const struct imasnap_checkpoint *cp);
int imasnap_checkpoint_read(const char *path, struct imasnap_checkpoint *cp);

/* "; PCR p: replayed ..., @whose has ..." for the first PCR of @bank that differs. */
void imasnap_chain_diff(const struct imasnap_replay *rp, int bank,
			const struct imasnap_state *want, const char *whose, bool exact,
			char *buf, size_t size);
int imasnap_shard_quote_check(const struct imasnap_shard *sh, EVP_PKEY *ak,
			      struct imasnap_quote *q, const char **why);
/* The banks and PCRs a quote selects, as state masks. */
void imasnap_quote_masks(const TPML_PCR_SELECTION *sel, u32 mask[IMASNAP_NR_BANKS]);

#endif /* _IMASNAP_CHAIN_H */
