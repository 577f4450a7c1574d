/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * imasnap: the kernel <-> userspace and kernel <-> next-kernel contract.
 *
 * Both imasnap.ko and the imasnap tool include this file; nothing else defines
 * these layouts.  Everything here is little-endian on every architecture and
 * versioned.  A reader checks the magic, the version and every size before it
 * looks at anything else, and rejects what it does not understand.
 *
 * 1. PCR banks
 *
 *    imasnap knows the TPM 2.0 banks below.  The bank name is the one the
 *    kernel uses in /sys/class/tpm/tpm0/pcr-<name>/<n> and in the
 *    snapshot_aggregate text.  PCR indexes are 0..IMASNAP_NR_PCRS-1.
 *
 * 2. Handoff record (struct imasnap_record_hdr), written by the old kernel
 *    into the carry window at kexec time and read by the next kernel:
 *
 *      struct imasnap_record_hdr     hdr_size bytes (exactly its sizeof: 208)
 *      struct imasnap_pcr_value      nr_armed  (end state of the archived shard)
 *      struct imasnap_pcr_value      nr_pcrs   (PCR state read from the TPM)
 *      u8 tail[tail_size]            records after the cut, in the format of
 *                                    binary_runtime_measurements
 *      zero padding up to total_size (8-aligned)
 *
 *    self_digest is SHA-256 over total_size bytes with self_digest zeroed.
 *    A record whose TPM reset_count/restart_count differ from the TPM's at
 *    load time survived a warm reset and is stale.
 *
 * 3. snapshot_aggregate (ASCII, no NUL, measured by the next kernel with
 *    ima_measure_critical_data("imasnap", "snapshot_aggregate", ...)):
 *
 *      Snapshot_Attempt_Count=<seq>;Entries=<n>;Shard=sha256:<64 hex>;
 *      Tail=sha256:<64 hex>;TailEntries=<n>;<bank>:PCR<i>:0x<hex>[,PCR<j>:0x<hex>]...
 *      [;<bank>:PCR<i>:0x<hex>...]...
 *
 *    (one line, no trailing separator).  Decimal numbers have no sign and no
 *    leading zero; hex is lowercase and exactly the digest size of its bank;
 *    banks appear in enum imasnap_bank order, PCRs ascending, each once.
 *
 *    The cut written to /sys/kernel/security/imasnap/arm uses the same grammar
 *    with Offset=<byte offset of the cut in binary_runtime_measurements> in
 *    place of the Tail and TailEntries fields:
 *
 *      Snapshot_Attempt_Count=<seq>;Entries=<n>;Offset=<bytes>;
 *      Shard=sha256:<64 hex>;<bank>:PCR<i>:0x<hex>...
 */
#ifndef _UAPI_LINUX_IMASNAP_H
#define _UAPI_LINUX_IMASNAP_H

#include <linux/types.h>

#define IMASNAP_NR_PCRS			24
#define IMASNAP_MAX_DIGEST_SIZE		64
#define IMASNAP_SHA1_DIGEST_SIZE	20
#define IMASNAP_SHA256_DIGEST_SIZE	32

/* The PCR IMA extends unless a policy rule says pcr=. */
#define IMASNAP_IMA_PCR			10

/* TPM 2.0 algorithm identifiers (TCG Algorithm Registry). */
#define IMASNAP_TPM_ALG_SHA1		0x0004
#define IMASNAP_TPM_ALG_SHA256		0x000b
#define IMASNAP_TPM_ALG_SHA384		0x000c
#define IMASNAP_TPM_ALG_SHA512		0x000d
#define IMASNAP_TPM_ALG_SM3_256		0x0012

/* Banks imasnap replays, in canonical order. */
enum imasnap_bank {
	IMASNAP_BANK_SHA1,
	IMASNAP_BANK_SHA256,
	IMASNAP_BANK_SHA384,
	IMASNAP_BANK_SHA512,
	IMASNAP_BANK_SM3,
	IMASNAP_NR_BANKS
};

/* Handoff record. */
#define IMASNAP_RECORD_MAGIC		0x52534d49	/* "IMSR" */
#define IMASNAP_RECORD_VERSION		1

/* imasnap_record_hdr.flags: TAIL_BE and at most one verdict (the others) */
#define IMASNAP_REC_TAIL_VERIFIED	(1U << 0) /* replay(armed, tail) == TPM */
#define IMASNAP_REC_TAIL_MISMATCH	(1U << 1) /* replay(armed, tail) != TPM */
#define IMASNAP_REC_TAIL_TRUNCATED	(1U << 2) /* tail did not fit: not carried */
#define IMASNAP_REC_NO_TPM		(1U << 3) /* no TPM: PCRs and counters absent */
#define IMASNAP_REC_TAIL_BE		(1U << 4) /* tail u32s are big-endian */
#define IMASNAP_REC_TAIL_UNREADABLE	(1U << 5) /* reading the IMA log failed */
#define IMASNAP_REC_KNOWN_FLAGS		0x3f

/**
 * struct imasnap_pcr_value - one PCR of one bank
 * @bank:	enum imasnap_bank
 * @pcr:	PCR index, < IMASNAP_NR_PCRS
 * @alg_id:	TPM_ALG_ID of @bank (redundant, checked)
 * @reserved2:	zero
 * @digest:	the PCR value; bytes past the bank's digest size are zero
 */
struct imasnap_pcr_value {
	__u8	bank;
	__u8	pcr;
	__le16	alg_id;
	__le32	reserved2;
	__u8	digest[IMASNAP_MAX_DIGEST_SIZE];
};

/**
 * struct imasnap_record_hdr - handoff record header (carry window)
 * @magic:		IMASNAP_RECORD_MAGIC
 * @version:		IMASNAP_RECORD_VERSION
 * @hdr_size:		sizeof(struct imasnap_record_hdr) for this version
 * @total_size:		bytes of the whole record, 8-aligned
 * @flags:		IMASNAP_REC_*
 * @seq:		Snapshot_Attempt_Count of the archived shard
 * @entries:		records in the IMA log before the cut
 * @cut_offset:		byte offset of the cut in binary_runtime_measurements
 * @tail_entries:	records in the tail
 * @tail_size:		bytes of the tail
 * @nr_armed:		imasnap_pcr_value entries of the armed end state
 * @nr_pcrs:		imasnap_pcr_value entries read from the TPM at capture
 * @reset_count:	TPM2_ReadClock resetCount at capture
 * @restart_count:	TPM2_ReadClock restartCount at capture
 * @reserved0:		zero
 * @capture_ns:		time the capture took, nanoseconds
 * @reserved:		zero
 * @shard_digest:	SHA-256 of the archived shard (the cut)
 * @tail_digest:	SHA-256 of the tail bytes
 * @self_digest:	SHA-256 of the record with this field zeroed
 */
struct imasnap_record_hdr {
	__le32	magic;
	__le16	version;
	__le16	hdr_size;
	__le32	total_size;
	__le32	flags;
	__le64	seq;
	__le64	entries;
	__le64	cut_offset;
	__le32	tail_entries;
	__le32	tail_size;
	__le32	nr_armed;
	__le32	nr_pcrs;
	__le64	reset_count;
	__le32	restart_count;
	__le32	reserved0;
	__le64	capture_ns;
	__le64	reserved[4];
	__u8	shard_digest[IMASNAP_SHA256_DIGEST_SIZE];
	__u8	tail_digest[IMASNAP_SHA256_DIGEST_SIZE];
	__u8	self_digest[IMASNAP_SHA256_DIGEST_SIZE];
};

/* Upper bounds a reader enforces before trusting a count. */
#define IMASNAP_MAX_PCR_VALUES		(IMASNAP_NR_BANKS * IMASNAP_NR_PCRS)
#define IMASNAP_RECORD_MAX_SIZE		(16U << 20)

/* snapshot_aggregate */
#define IMASNAP_AGGREGATE_EVENT		"snapshot_aggregate"
#define IMASNAP_AGGREGATE_LABEL		"imasnap"
/* Fits every PCR of every bank with u64 maxima (10,728 bytes) and the NUL. */
#define IMASNAP_AGGREGATE_MAX_LEN	12288

#endif /* _UAPI_LINUX_IMASNAP_H */
