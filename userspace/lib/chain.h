/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The verifier's core (chain.c): walk the archive from a trusted start,
 * then check the live log against what the archive says it must show.
 *
 * A start is trusted when it is zero at cold boot (full mode), a checkpoint
 * the verifier stored after an earlier verification (incremental mode), or
 * the end state of the oldest shard kept, attested by a TPM quote in that
 * shard's trailer signed by the AK (quote-anchored mode).  The walk says
 * what the live log must hold; live.h checks it.
 */
#ifndef _IMASNAP_CHAIN_H
#define _IMASNAP_CHAIN_H

#include <stdint.h>

#include "checkpoint.h"
#include "kernels.h"
#include "evp.h"
#include "logfile.h"
#include "quote.h"

struct imasnap_chain_opts {
	const char *dir;
	/* Incremental: the newest shard of an earlier verification. */
	const struct imasnap_checkpoint *from;
	/* Quote-anchored: trust the oldest shard's end by its trailer quote ... */
	bool anchored;
	/* ... or, with @anchor_set, shard @anchor's (the older ones are not read). */
	bool anchor_set;
	u64 anchor;
	/* The caller saves a checkpoint: keep the digest of the log up to it. */
	bool save;
	/* Trailer quotes' signatures are checked with it; NULL: not checked. */
	EVP_PKEY *ak;
	/* Every kexec must jump into a kernel image of this list; NULL: any. */
	const struct imasnap_kernels *kernels;
	/*
	 * Full mode on an archive pruned at a cold boot: start at the oldest
	 * shard kept when it opens a boot from zero (its predecessors are of
	 * earlier power cycles).  The history since that boot is whole.
	 */
	bool cold_start;
	/* Shard bodies are replayed on up to this many threads (0: 1). */
	unsigned int threads;
	/*
	 * The live log the caller checks next (live.h): in full mode without
	 * @save, compared byte for byte with each boot's log shards as the
	 * walk reads their bodies (struct imasnap_lockstep).  NULL: not.
	 */
	const char *live;
};

/* The kernel image a boot measured last: where its kexec jumped (kernels.h). */
struct imasnap_chain_kernel {
	bool found;
	bool allowed;			/* its digest is on the list */
	int bank;
	u8 digest[IMASNAP_MAX_DIGEST_SIZE];
	char name[256];
};

/* A kexec the archive shows: its tail shard and the image the old kernel measured. */
struct imasnap_chain_hop {
	u64 tail;
	struct imasnap_chain_kernel kernel;
};

struct imasnap_chain_slice {
	u64 seq;
	u64 end;			/* byte offset in the live log where it ends */
	u8 digest[32];			/* its body digest */
};

/*
 * The live log read alongside the walk: from the first log shard of each
 * boot on, its bytes are compared with those of the boot's log shards as
 * their bodies are read (the bytes the walk parses, replays and digests),
 * and what the live walk would find in those records is noted.  If the
 * boot is the live log's and every byte was equal, live.c takes the
 * records compared as checked (imasnap_chain_live_resume()) and parses
 * the live log only after them; otherwise the live log is read again
 * from its start and checked record by record.
 */
struct imasnap_lockstep {
	const char *path;		/* the live log; NULL: no lockstep */
	struct imasnap_logfile lf;
	bool open;			/* @lf is open */
	bool same;			/* the boot's bytes so far equal the live log's */
	bool tapping;			/* the shard being read is compared */
	u64 tap_from;			/* where its comparison began in the live log */
	u64 first_seq, last_seq;	/* the shards compared equal ... */
	u64 nr;				/* ... how many */
	u64 at;				/* the live bytes compared */
	/* What the records compared hold, as live.c counts them. */
	u64 records, violations;
	unsigned int aggregates;
	bool bound;
	bool need_aggregate;		/* as expect_boot() sets them for the boot */
	struct imasnap_aggregate agg;
	struct imasnap_boot_aggregate boot;	/* of the boot's first record */
	enum imasnap_log_order order;		/* of the first shard compared */
};

struct imasnap_chain {
	/* The archive walked. */
	u64 first;			/* oldest shard walked */
	u64 count;			/* shards walked */
	u64 cold_first;			/* the newest walked that opens a cold boot */
	bool pruned_start;		/* o->cold_start took a shard after a prune */
	u64 quoted;			/* shards with a trailer quote, checked */
	u64 signed_quotes;		/* ... whose signature was checked */
	/*
	 * Attested: a shard since the last cold boot (the live PCRs vouch for
	 * it), or one before a trailer quote the AK signed in its own boot
	 * chain (from a cold boot to the next).  Only linked: the others, which
	 * only the digests chain to the attested ones; another machine's log
	 * could stand there.
	 */
	u64 attested;
	u64 linked;
	u64 linked_first, linked_last;	/* the oldest and newest of them */
	u64 pending;			/* walked since the last cold boot or signed quote */
	u64 pending_first;
	/*
	 * The boot_aggregate of each bank since the last cold boot: kexec does
	 * not reset the TPM, so every kernel since found the same PCRs 0-9.
	 */
	struct imasnap_chain_boot {
		bool set;
		bool zero;		/* IMA found no such bank */
		u8 digest[IMASNAP_MAX_DIGEST_SIZE];
		u64 seq;		/* the shard it was first seen in; live: IMASNAP_LIVE */
	} boot[IMASNAP_NR_BANKS];
	u64 boots;			/* boots seen since the last cold boot */
	const struct imasnap_kernels *kernels;
	struct imasnap_chain_kernel kernel;	/* of the boot being walked */
	struct imasnap_chain_hop *hops;	/* every kexec walked, oldest first */
	u64 nr_hops;
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
	struct imasnap_state slices_end;	/* the newest slice's end state */
	u32 banks;			/* the banks the newest shard ends in */
	/* The rules (bit per enum imasnap_rule) every shard of the newest boot reached its end under. */
	u32 boot_rules[IMASNAP_NR_BANKS];
	u64 boot_first;			/* the first of those shards */

	/* The live log walk. */
	int seeded;			/* 0: not decided; 1: slices not replayed (live.c); -1 */
	u64 slice;
	u64 live_bytes;
	u64 live_records;
	u64 unverified;			/* records before a quoted anchor: not checked */
	unsigned int aggregates;
	bool bound;
	struct imasnap_spool *slice_hash;	/* SHA-256 of the current slice */
	void *boot_md;			/* EVP_MD_CTX of the live log from its start */
	struct imasnap_spool *body_hash;	/* SHA-256 of the trusted shard's body in it */
	struct imasnap_lockstep ls;
};

/* The seq of the live log, where a shard's would be. */
#define IMASNAP_LIVE	UINT64_MAX

/*
 * A boot's first record, at shard @seq (or IMASNAP_LIVE): it must be a
 * boot_aggregate, and of the same value as every other boot's in its bank
 * since the last cold boot.  @new_boot: not a boot seen already (the live
 * log goes on in the boot of the newest shards).  0 or -IMASNAP_EVERIFY.
 */
int imasnap_chain_boot(struct imasnap_chain *c, const struct imasnap_boot_aggregate *ba, u64 seq,
		       bool new_boot);

/* "imasnap: verify: <message>" on stderr; returns @err, a -errno. */
int imasnap_verify_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The command imasnap_verify_fail() names ("verify" unless set; a static string). */
void imasnap_verify_who(const char *who);

/* Close the live log the walk compared (if open); the caller did not take it. */
void imasnap_lockstep_close(struct imasnap_lockstep *ls);
void imasnap_chain_init(struct imasnap_chain *c);
void imasnap_chain_free(struct imasnap_chain *c);
/*
 * Walk the archive.  0 or -errno, the first failure named on stderr
 * (-IMASNAP_EVERIFY: the archive does not verify).
 */
int imasnap_chain_walk(struct imasnap_chain *c, const struct imasnap_chain_opts *o,
		       struct imasnap_evp *evp);
/* A quote taken after the archive's newest trailer quote: its clock must follow (0 or -IMASNAP_EVERIFY). */
int imasnap_chain_clock_check(const struct imasnap_chain *c, const TPMS_CLOCK_INFO *now);
/*
 * The rules shard @seq of @dir reaches its end under (imasnap_replay_rules()
 * against its end): its body replayed again.  0, or -errno named with @who.
 */
int imasnap_shard_rules(const char *dir, u64 seq, struct imasnap_evp *evp, const char *who,
			u32 rules[IMASNAP_NR_BANKS]);
/* The name of the first rule in @rules: "template-hash" or "padded-SHA-1". */
const char *imasnap_rule_name(u32 rules);

/* "; PCR p: replayed ..., @whose has ..." for the first PCR of @bank that differs. */
void imasnap_chain_diff(const struct imasnap_replay *rp, int bank,
			const struct imasnap_state *want, const char *whose, bool exact,
			char *buf, size_t size);

#endif /* _IMASNAP_CHAIN_H */
