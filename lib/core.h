/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lib/ core shared by imasnap.ko and the imasnap tool: the IMA log parser,
 * the multi-bank PCR replay, the handoff record codec and the
 * snapshot_aggregate grammar.  Nothing here allocates memory or does I/O: the
 * caller owns every buffer, and hash functions are injected through
 * struct imasnap_hash_ops (crypto_shash in the kernel, OpenSSL 3 EVP in
 * userspace).
 */
#ifndef _IMASNAP_CORE_H
#define _IMASNAP_CORE_H

#include "imasnap_env.h"
#include "../include/uapi/linux/imasnap.h"

/* Why a parser or validator rejected its input: a static string and where. */
struct imasnap_err {
	const char *reason;
	u64 offset;	/* byte offset in the input */
	u64 index;	/* record index (log parser) */
};

/* --- banks ------------------------------------------------------------- */

struct imasnap_bank_info {
	const char *name;	/* "sha256": sysfs pcr-<name>, aggregate text */
	u16 alg_id;		/* TPM_ALG_ID */
	u8 size;		/* digest bytes */
};

const struct imasnap_bank_info *imasnap_bank_info(enum imasnap_bank bank);
/* Returns the bank or -EINVAL. */
int imasnap_bank_by_name(const char *name, size_t len);
int imasnap_bank_by_alg(u16 alg_id);

/* --- hashing ------------------------------------------------------------ */

struct imasnap_buf {
	const void *data;
	size_t len;
};

/**
 * struct imasnap_hash_ops - hash functions injected into the core
 * @digest: write H_bank(v[0] || ... || v[n - 1]) to @out; 0 or -errno.
 *	    -EOPNOTSUPP when the bank's hash is not available.
 * @priv:   passed back to @digest
 */
struct imasnap_hash_ops {
	int (*digest)(void *priv, enum imasnap_bank bank,
		      const struct imasnap_buf *v, unsigned int n, u8 *out);
	void *priv;
};

/* --- IMA binary log parser (log.c) ------------------------------------- */

#define IMASNAP_TEMPLATE_NAME_MAX	255
/* An ima-buf record of a key of add_key()'s 1 MiB maximum, and its other fields. */
#define IMASNAP_TEMPLATE_DATA_MAX	((1024 + 64) * 1024)
#define IMASNAP_TEMPLATE_FIELDS_MAX	15
/* Legacy 'ima' template: SHA-1 file digest, name of at most 255 bytes. */
#define IMASNAP_IMA_NAME_MAX		255
#define IMASNAP_IMA_NAME_HASHED		(IMASNAP_IMA_NAME_MAX + 1)

enum imasnap_log_order {
	IMASNAP_LOG_LE,		/* x86/arm64 native, or ima_canonical_fmt */
	IMASNAP_LOG_BE,		/* native order of a big-endian kernel */
};

/* The order of a log written by this kernel without ima_canonical_fmt. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define IMASNAP_LOG_NATIVE	IMASNAP_LOG_BE
#else
#define IMASNAP_LOG_NATIVE	IMASNAP_LOG_LE
#endif

struct imasnap_log {
	enum imasnap_log_order order;
	u64 offset;		/* bytes consumed so far */
	u64 index;		/* records consumed so far */
};

/**
 * struct imasnap_log_record - one record of binary_runtime_measurements
 * @raw:	the whole record, @size bytes
 * @pcr:	the PCR it extends, below IMASNAP_NR_PCRS
 * @digest:	its SHA-1 template digest; all zero: a violation
 * @name:	the template name, not NUL-terminated
 * @name_len:	its length
 * @legacy:	the 'ima' template: no template-data length word
 * @data:	the template data, as hashed (but for the legacy template)
 * @data_len:	its length
 * @nr_fields:	the template data's fields
 * @size:	bytes of the whole record
 * @offset:	byte offset of the record in the log
 * @index:	record index in the log
 *
 * All pointers point into the caller's buffer.
 */
struct imasnap_log_record {
	const u8 *raw;
	u32 pcr;
	const u8 *digest;
	const char *name;
	u32 name_len;
	bool legacy;
	const u8 *data;
	u32 data_len;
	u32 nr_fields;
	u32 size;
	u64 offset;
	u64 index;
};

void imasnap_log_init(struct imasnap_log *log, enum imasnap_log_order order);
int imasnap_log_next(struct imasnap_log *log, const u8 *buf, size_t len,
		     bool final, struct imasnap_log_record *rec,
		     struct imasnap_err *err);
int imasnap_log_guess_order(const u8 *buf, size_t len,
			    enum imasnap_log_order *order);
int imasnap_log_field(const struct imasnap_log *log,
		      const struct imasnap_log_record *rec, u32 i,
		      const u8 **data, u32 *len);
int imasnap_log_field_id(const struct imasnap_log_record *rec, u32 i,
			 const char **id, u32 *len);
bool imasnap_log_is_violation(const struct imasnap_log_record *rec);

/* Called for each record imasnap_log_feed() parses: 0 or -errno. */
typedef int (*imasnap_log_fn)(void *priv, const struct imasnap_log *log,
			      const struct imasnap_log_record *rec,
			      struct imasnap_err *err);
int imasnap_log_feed(struct imasnap_log *log, u8 *buf, size_t *have,
		     bool final, imasnap_log_fn fn, void *priv,
		     struct imasnap_err *err);

/* --- PCR state and replay (replay.c) ------------------------------------ */

/* One PCR value per bank and PCR; a bit in pcr_mask[bank] says it is set. */
struct imasnap_state {
	u32 pcr_mask[IMASNAP_NR_BANKS];
	u8 pcr[IMASNAP_NR_BANKS][IMASNAP_NR_PCRS][IMASNAP_MAX_DIGEST_SIZE];
};

void imasnap_state_init(struct imasnap_state *st);
void imasnap_state_set(struct imasnap_state *st, enum imasnap_bank bank,
		       u32 pcr, const u8 *digest);
bool imasnap_state_has(const struct imasnap_state *st, enum imasnap_bank bank,
		       u32 pcr);
/* enum imasnap_bank bits of the banks @st has a value in. */
u32 imasnap_state_banks(const struct imasnap_state *st);
/* States as arrays of struct imasnap_pcr_value (the record and shard format). */
u32 imasnap_state_count(const struct imasnap_state *st);
u8 *imasnap_state_put(u8 *p, const struct imasnap_state *st);
int imasnap_state_get_values(const u8 *p, u32 n, u64 at,
			     struct imasnap_state *st, struct imasnap_err *err);

/*
 * How a bank's template digest is computed.  NORMAL: the bank's hash of the
 * template data.  PADDED_SHA1: the SHA-1 template digest zero-padded to the
 * bank size, which is what IMA extends into a bank whose hash it could not
 * allocate at boot.
 */
enum imasnap_rule {
	IMASNAP_RULE_NORMAL,
	IMASNAP_RULE_PADDED_SHA1,
};

#define IMASNAP_MAX_LANES	(2 * IMASNAP_NR_BANKS)

/* A lane replays one bank under one rule. */
struct imasnap_lane {
	enum imasnap_bank bank;
	enum imasnap_rule rule;
	u32 touched;		/* PCRs the replayed records extended */
	u32 start_mask;		/* PCRs with a start value */
	u8 pcr[IMASNAP_NR_PCRS][IMASNAP_MAX_DIGEST_SIZE];
};

struct imasnap_replay {
	const struct imasnap_hash_ops *ops;
	unsigned int nr_lanes;
	struct imasnap_lane lane[IMASNAP_MAX_LANES];
	u64 records;
	u64 violations;
	u64 no_pcr;		/* records for a PCR the TPM does not have */
	/*
	 * Another replay of the same records checks their SHA-1 template
	 * digests against their template data, and fails where one does not
	 * match (userspace's threaded replay): this one computes no SHA-1 of
	 * the data, and its SHA-1 lanes extend with the logged digest.
	 */
	bool sha1_checked_elsewhere;
};

void imasnap_replay_init(struct imasnap_replay *rp,
			 const struct imasnap_hash_ops *ops);
int imasnap_replay_add_lane(struct imasnap_replay *rp, enum imasnap_bank bank,
			    enum imasnap_rule rule);
void imasnap_replay_add_banks(struct imasnap_replay *rp, u32 bank_mask);
void imasnap_replay_start(struct imasnap_replay *rp,
			  const struct imasnap_state *start);
int imasnap_replay_record(struct imasnap_replay *rp,
			  const struct imasnap_log_record *rec,
			  struct imasnap_err *err);
/* Padded-SHA-1 lanes: copied while all were violations; the banks to replay again. */
u32 imasnap_replay_padded_needed(struct imasnap_replay *rp, u32 miss);
int imasnap_replay_merge(struct imasnap_replay *rp, const struct imasnap_replay *from);
int imasnap_replay_fn(void *rp, const struct imasnap_log *log,
		      const struct imasnap_log_record *rec, struct imasnap_err *err);
int imasnap_replay_buffer(struct imasnap_replay *rp, struct imasnap_log *log,
			  const u8 *buf, size_t len, struct imasnap_err *err);
void imasnap_replay_state(const struct imasnap_replay *rp, unsigned int lane,
			  struct imasnap_state *out);
int imasnap_replay_pick(const struct imasnap_replay *rp, enum imasnap_bank bank,
			const struct imasnap_state *want);
/* Every PCR @l has a value for (touched or given at start) equals @want's. */
bool imasnap_lane_reaches(const struct imasnap_lane *l, const struct imasnap_state *want);
/* Bit r of @rules[b]: the lane of bank b under rule r reaches @want. */
void imasnap_replay_rules(const struct imasnap_replay *rp, const struct imasnap_state *want,
			  u32 rules[IMASNAP_NR_BANKS]);

/* --- hex ---------------------------------------------------------------- */

void imasnap_hex_encode(const u8 *in, size_t len, char *out);
bool imasnap_all_zero(const void *p, size_t len);
int imasnap_hex_decode(const char *in, size_t len, u8 *out);

/* --- handoff record (record.c) ----------------------------------------- */

struct imasnap_record {
	u32 flags;
	u64 seq;
	u64 entries;
	u64 cut_offset;
	u32 tail_entries;
	u64 reset_count;
	u32 restart_count;
	u64 capture_ns;
	u8 shard_digest[IMASNAP_SHA256_DIGEST_SIZE];
	u8 tail_digest[IMASNAP_SHA256_DIGEST_SIZE];
	struct imasnap_state armed;	/* end state of the archived shard */
	struct imasnap_state pcrs;	/* TPM PCRs at capture */
	const u8 *tail;			/* decode: points into the input */
	u32 tail_size;
};

u64 imasnap_record_size(const struct imasnap_record *r);
int imasnap_record_encode(const struct imasnap_record *r, u8 *buf,
			  size_t size, const struct imasnap_hash_ops *ops);
int imasnap_record_decode(const u8 *buf, size_t len, struct imasnap_record *r,
			  const struct imasnap_hash_ops *ops,
			  struct imasnap_err *err);

/* --- snapshot_aggregate and the armed cut (aggregate.c) ------------------ */

enum imasnap_aggregate_kind {
	IMASNAP_AGG_SNAPSHOT,	/* the snapshot_aggregate event */
	IMASNAP_AGG_CUT,	/* what userspace writes to the arm file */
};

struct imasnap_aggregate {
	u64 seq;
	u64 entries;
	u64 offset;		/* CUT only */
	u64 tail_entries;	/* SNAPSHOT only */
	u8 shard[IMASNAP_SHA256_DIGEST_SIZE];
	u8 tail[IMASNAP_SHA256_DIGEST_SIZE];	/* SNAPSHOT only */
	struct imasnap_state state;
};

int imasnap_aggregate_build(enum imasnap_aggregate_kind kind,
			    const struct imasnap_aggregate *agg, char *buf,
			    size_t size);
int imasnap_aggregate_parse(enum imasnap_aggregate_kind kind, const char *buf,
			    size_t len, struct imasnap_aggregate *agg,
			    struct imasnap_err *err);

#endif /* _IMASNAP_CORE_H */
