/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shards: the archive of IMA's measurement list, one file per cut.
 *
 * A shard file (little-endian):
 *
 *   struct imasnap_shard_hdr        hdr_size bytes
 *   struct imasnap_pcr_value        nr_start   start state (zeros at cold boot)
 *   struct imasnap_pcr_value        nr_end     end state: replay(start, body)
 *   u8 body[body_size]              records, byte-exact binary_runtime_measurements
 *   u8 trailer[trailer_size]        optional: a TPM quote (quote.h's file
 *                                   format) of the end state, extraData =
 *                                   body_digest, signed by the archive's AK
 *
 * The shard digest is SHA-256 of the header, with its trailer_size taken
 * as 0, and the states: the header's body_digest stands for the body, so
 * the body is hashed once, and a quote over the body digest can be added
 * later without changing the chain.  (Version 1, still read, hashed the
 * body into the shard digest too.)  Shards link
 * by digest (prev_digest); the newest digest is bound into the next kernel's
 * PCR 10 through snapshot_aggregate.  A shard is written to a temporary
 * file, fsync()ed, linked into place under its final name (never replacing
 * one) and the folder fsync()ed: a crash never leaves a shard that
 * verifies partially.  Documentation/abi.md specifies every field.
 */
#ifndef _IMASNAP_SHARD_H
#define _IMASNAP_SHARD_H

#include "boot.h"
#include "fileio.h"

#define IMASNAP_SHARD_MAGIC	0x53534d49	/* "IMSS" */
#define IMASNAP_SHARD_VERSION	2	/* written */
#define IMASNAP_SHARD_VERSION_1	1	/* read: the shard digest covers the body */
/* The name shard-%08llu.ims has room for 8 digits: the archive is full past it. */
#define IMASNAP_SHARD_SEQ_MAX	99999999ULL
/* A quote of 8 banks with a 4096-bit RSA AK stays well below. */
#define IMASNAP_SHARD_TRAILER_MAX	4096

/* imasnap_shard_hdr.kind */
enum imasnap_shard_kind {
	IMASNAP_SHARD_LOG = 1,	/* records read from this boot's IMA log */
	IMASNAP_SHARD_TAIL = 2,	/* records the module carried across kexec */
};

struct imasnap_shard_hdr {
	__le32	magic;
	__le16	version;
	__le16	hdr_size;
	__le64	seq;		/* position in the archive, from 0 */
	__le32	kind;
	__le32	log_order;	/* enum imasnap_log_order of the body */
	__le64	first_entry;	/* index of the first record in its boot's log */
	__le64	entries;	/* records in the body */
	__le64	log_offset;	/* byte offset of the body in its boot's log */
	__le64	body_size;
	__le32	nr_start;
	__le32	nr_end;
	__le32	trailer_size;
	__le32	reserved0;
	__u8	boot_id[16];	/* /proc/sys/kernel/random/boot_id of that boot */
	__u8	prev_digest[32];	/* digest of shard seq - 1; zero for seq 0 */
	__u8	body_digest[32];	/* SHA-256 of the body */
	__le64	reserved[4];
};

/* A shard's header fields and states, decoded. */
struct imasnap_shard {
	u16 version;			/* read; a write writes IMASNAP_SHARD_VERSION */
	u64 seq;
	enum imasnap_shard_kind kind;
	enum imasnap_log_order order;
	u64 first_entry;
	u64 entries;
	u64 log_offset;
	u64 body_size;
	u32 trailer_size;
	u8 boot_id[16];
	u8 prev_digest[32];
	u8 body_digest[32];
	u8 digest[32];			/* header and states (version 1: and body) */
	/* Read, not written: a boot's first shard's first record, if boot_aggregate. */
	struct imasnap_boot_aggregate boot;
	struct imasnap_state start;
	struct imasnap_state end;
	u8 trailer[IMASNAP_SHARD_TRAILER_MAX];	/* trailer_size bytes */
};

/*
 * Write @sh (body_digest and digest are computed here) atomically as
 * @dir/shard-<seq>.ims, with @sh->trailer_size bytes of @sh->trailer.
 * 0; -EEXIST (a shard of that seq is there); -IMASNAP_ESTATE (seq past
 * IMASNAP_SHARD_SEQ_MAX); -errno.
 */
int imasnap_shard_write(const char *dir, struct imasnap_shard *sh,
			const u8 *body, const struct imasnap_hash_ops *ops);
/*
 * A shard whose body is written in place, by the caller, as it comes:
 * imasnap_shard_begin() leaves room for the header and @nr_values PCR
 * values (start and end state together) and puts ->a.fd at ->base, where
 * the body goes; the caller writes the body there (and may read it back),
 * sets @sh (body_size, body_digest, the states) and calls
 * imasnap_shard_finish(), which writes the header, the states and the
 * trailer and commits the file like imasnap_shard_write().  When the states
 * turn out to need other room, the body is copied into a new file once.
 * 0 or -errno as imasnap_shard_write(); the file is gone after a failure
 * (imasnap_shard_abort() when the caller gives up).
 */
struct imasnap_shard_out {
	struct imasnap_atomic a;
	u64 base;			/* the body's offset in the file */
	unsigned int nr_values;		/* room left for the states */
};

int imasnap_shard_begin(struct imasnap_shard_out *o, const char *dir, u64 seq,
			unsigned int nr_values);
int imasnap_shard_finish(struct imasnap_shard_out *o, const char *dir, struct imasnap_shard *sh);
void imasnap_shard_abort(struct imasnap_shard_out *o);
/*
 * Give the shard @seq in @dir the trailer @trailer (replacing any), after
 * checking that the file still has the digest @digest: the chain does not
 * change.  Atomic (temp file, fsync, rename, fsync of the folder).
 * A body that no longer matches the header's body_digest counts as changed.
 * 0; -ESTALE (the shard changed since the caller read it); -errno.
 */
int imasnap_shard_set_trailer(const char *dir, u64 seq, const u8 digest[32],
			      const u8 *trailer, u32 len);
/*
 * Read and check a shard: header bounds, states, body digest (streamed),
 * and that the body parses into exactly @entries records.  With @rp, the
 * body is also replayed from the shard's start (lanes set by the caller).
 */
int imasnap_shard_read(const char *path, struct imasnap_shard *sh,
		       struct imasnap_replay *rp, struct imasnap_err *err);
/*
 * Only the header and the states, with the sections checked against the
 * file's size: what a caller needs to set a replay's lanes before
 * imasnap_shard_read() reads (and checks) the rest.  Nothing of the body
 * is read, so nothing of it is vouched for.
 */
int imasnap_shard_read_header(const char *path, struct imasnap_shard *sh,
			      struct imasnap_err *err);
/*
 * The same with the replay on up to @threads threads (imasnap_mtreplay_new()),
 * calling @fn for each body record (-errno from @fn stops it); @fn may see
 * a record before an earlier one's replay error is found.
 */
int imasnap_shard_read_each(const char *path, struct imasnap_shard *sh,
			    struct imasnap_replay *rp, unsigned int threads,
			    imasnap_log_fn fn, void *priv, struct imasnap_err *err);

/* Each run of body bytes, as read and before it is parsed. */
typedef void (*imasnap_body_tap)(void *priv, const u8 *p, size_t n);

/*
 * The same, @tap also given the body's bytes in order, as they are read:
 * the bytes the body digest and the replay get (NULL: none).
 */
int imasnap_shard_read_tap(const char *path, struct imasnap_shard *sh,
			   struct imasnap_replay *rp, unsigned int threads,
			   imasnap_log_fn fn, void *priv, imasnap_body_tap tap, void *tap_priv,
			   struct imasnap_err *err);

#endif /* _IMASNAP_SHARD_H */
