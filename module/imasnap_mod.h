/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces between the files of imasnap.ko. */
#ifndef _IMASNAP_MOD_H
#define _IMASNAP_MOD_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/tpm.h>

#include "../lib/core.h"

/* hash.c: the core's hash operations on crypto_shash. */
struct imasnap_khash {
	struct imasnap_hash_ops ops;
	struct crypto_shash *tfm[IMASNAP_NR_BANKS];
};

int imasnap_khash_init(struct imasnap_khash *h);
void imasnap_khash_exit(struct imasnap_khash *h);
bool imasnap_khash_has(const struct imasnap_khash *h, enum imasnap_bank bank);

/* imalog.c: IMA's binary_runtime_measurements, read from the kernel. */

/*
 * The largest read that costs one walk of IMA's list (the seq_file buffer
 * is made as large as a read, up to this); arm reads in pieces of up to it.
 */
#define IMASNAP_IMALOG_MAX	SZ_4M
#define IMASNAP_IMA_LOG_PATH \
	"/sys/kernel/security/ima/binary_runtime_measurements"

struct iov_iter;

struct file *imasnap_imalog_open(void);
ssize_t imasnap_imalog_read(struct file *file, loff_t *pos, void *buf,
			    size_t len);
ssize_t imasnap_imalog_read_iter(struct file *file, loff_t *pos,
				 struct iov_iter *iter);
void imasnap_imalog_fit(struct file *file, size_t len);
enum imasnap_log_order imasnap_imalog_order(const u8 *buf, size_t len);

/*
 * Where arm and capture read the log from: IMA's file in the module, a
 * buffer in KUnit.  read() returns bytes (0 at the end) or -errno and
 * advances *pos; fit(), when there is one, makes a read of up to @len cost
 * as little as the source allows (IMA's file: one walk of its list) and
 * frees what larger reads needed.
 */
struct imasnap_source {
	ssize_t (*read)(void *priv, loff_t *pos, void *buf, size_t len);
	void (*fit)(void *priv, size_t len);
	void (*close)(void *priv);
	void *priv;
};

int imasnap_imalog_source(struct imasnap_source *src);

/*
 * tpm.c: what the module asks of the TPM, behind an ops struct so that KUnit
 * can fake it.  Every op returns 0 or -errno (a TPM error code is -EIO).
 */
struct imasnap_tpm_ops {
	/* enum imasnap_bank bits of the banks the TPM has allocated */
	u32 (*banks)(void *priv);
	int (*read_pcrs)(void *priv, u32 bank_mask, u32 pcr_mask,
			 struct imasnap_state *out);
	/* TPM2_ReadClock: resetCount and restartCount */
	int (*read_counters)(void *priv, u64 *reset_count, u32 *restart_count);
};

struct imasnap_tpm {
	const struct imasnap_tpm_ops *ops;
	void *priv;
};

/* The system's default TPM; false when there is none (tpm->ops NULL). */
bool imasnap_tpm_get(struct imasnap_tpm *tpm);
void imasnap_tpm_put(struct imasnap_tpm *tpm);

/* verify.c: replay the live log and compare it with the TPM. */
int imasnap_verify_live_log(const struct imasnap_khash *h);

/* window.c: the carry window (imasnap.window=<size>@<phys>). */
struct imasnap_window {
	phys_addr_t phys;
	size_t size;
	void *virt;		/* memremap()ed, NULL when none */
};

int imasnap_window_parse(const char *arg, phys_addr_t *phys, size_t *size);
int imasnap_window_map(struct imasnap_window *w, const char *arg);
void imasnap_window_unmap(struct imasnap_window *w);

/*
 * What the next kernel found in the window; @reason says it in words.  NONE:
 * no record (an empty window, or one without the record magic, as after a
 * cold boot); ACCEPTED: a fresh, verified record, re-seeded from; REJECTED:
 * not trusted (a readable record is still kept in @buf for inspection);
 * RELEASED: was ACCEPTED or REJECTED until userspace wrote release, which
 * freed @buf and wiped the window (@reason stays).
 */
enum imasnap_carried_state {
	IMASNAP_CARRIED_NONE,
	IMASNAP_CARRIED_ACCEPTED,
	IMASNAP_CARRIED_REJECTED,
	IMASNAP_CARRIED_RELEASED,
};

struct imasnap_carried {
	enum imasnap_carried_state state;
	const char *reason;
	struct imasnap_record rec;	/* rec.tail points into @buf */
	u8 *buf;			/* a copy of the record */
	size_t len;
};

/* receive.c */
int imasnap_consume(void *window, size_t size, struct imasnap_tpm *tpm,
		    const struct imasnap_hash_ops *ops,
		    struct imasnap_carried *out);
void imasnap_carried_free(struct imasnap_carried *c);

/* arm.c and notify.c: the cut userspace armed, and the capture at kexec. */
enum imasnap_capture_state {
	IMASNAP_CAPTURE_NONE,
	IMASNAP_CAPTURE_DONE,
	IMASNAP_CAPTURE_FAILED,
};

struct imasnap_armed {
	struct imasnap_aggregate cut;
	struct imasnap_source src;	/* IMA's log, positioned at the cut */
	loff_t pos;
	enum imasnap_log_order order;
	/* Allocated at arm time, for the capture (see capture.c). */
	u8 *tail;		/* window-sized */
	size_t tail_cap;
	struct imasnap_replay *rp;
	struct imasnap_record *rec;
};

int imasnap_arm(struct imasnap_armed *a, const char *text, size_t len,
		size_t window_size, struct imasnap_tpm *tpm,
		const struct imasnap_khash *h, struct imasnap_source *src);
void imasnap_disarm(struct imasnap_armed *a);

/* capture.c: what the reboot notifier (notify.c) runs. */
size_t imasnap_capture_read_tail(struct imasnap_armed *a, u32 *read_flags);
int imasnap_capture(struct imasnap_armed *a, size_t tail_len, u32 read_flags,
		    struct imasnap_tpm *tpm, const struct imasnap_khash *h,
		    void *window, size_t size, u64 t0);

/* reseed.c: the snapshot_aggregate record in the next kernel. */
enum imasnap_reseed_state {
	IMASNAP_RESEED_NONE,
	IMASNAP_RESEED_MEASURED,
	IMASNAP_RESEED_NO_POLICY,	/* no measure func=CRITICAL_DATA rule */
	IMASNAP_RESEED_DUPLICATE,	/* IMA dropped an identical record */
	IMASNAP_RESEED_IMA_CARRIED,	/* IMA carried the old log itself */
	IMASNAP_RESEED_FAILED,
};

int imasnap_reseed_text(const struct imasnap_record *rec, char *buf,
			size_t size);
enum imasnap_reseed_state imasnap_reseed(const struct imasnap_record *rec,
					 int *err);
bool imasnap_ima_carried_log(void);

/* main.c: the module's one instance; @lock serialises everything below. */
struct imasnap_dev {
	struct mutex lock;	/* everything below, fs handlers, the notifier */
	struct imasnap_khash hash;
	struct imasnap_window window;
	int window_err;
	bool armed;
	struct imasnap_armed arm;
	enum imasnap_capture_state capture;
	u32 capture_flags;
	u64 capture_ns;
	struct imasnap_carried carried;
	enum imasnap_reseed_state reseed;
	int reseed_err;
};

extern struct imasnap_dev imasnap_dev;

/* fs.c: /sys/kernel/security/imasnap/ */
int imasnap_fs_init(void);
void imasnap_fs_exit(void);

/* notify.c */
int imasnap_notify_init(void);
void imasnap_notify_exit(void);

#endif /* _IMASNAP_MOD_H */
