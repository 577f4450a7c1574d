/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libimasnap: what the imasnap subcommands, the unit tests and the benchmarks
 * share on top of the lib/ core.
 */
#ifndef _IMASNAP_USER_H
#define _IMASNAP_USER_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/core.h"

/* Stable exit codes: scripts may test for them (documented in imasnap(8)). */
enum imasnap_exit {
	IMASNAP_EXIT_OK		= 0,
	IMASNAP_EXIT_FAILURE	= 1,	/* internal error: OpenSSL, out of memory */
	IMASNAP_EXIT_USAGE	= 2,	/* bad command line */
	IMASNAP_EXIT_IO		= 3,	/* a file could not be read or written */
	IMASNAP_EXIT_MALFORMED	= 4,	/* an input is not what it claims to be */
	IMASNAP_EXIT_MISMATCH	= 5,	/* well-formed, but does not verify */
};

/* Diagnostics: "imasnap: <message>" on stderr; the newest one, kept. */
void imasnap_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *imasnap_last_error(void);

/* hash.c: struct imasnap_hash_ops on OpenSSL 3 EVP. */
struct imasnap_evp;
struct imasnap_evp *imasnap_evp_new(void);
void imasnap_evp_free(struct imasnap_evp *evp);
const struct imasnap_hash_ops *imasnap_evp_ops(struct imasnap_evp *evp);
bool imasnap_evp_has(const struct imasnap_evp *evp, enum imasnap_bank bank);

/* logfile.c: stream the records of a binary_runtime_measurements file. */
struct imasnap_logfile {
	const char *path;
	int fd;
	unsigned char *buf;
	size_t cap, start, end;
	bool eof;
	struct imasnap_log log;
};

enum imasnap_order_opt {
	IMASNAP_ORDER_AUTO,
	IMASNAP_ORDER_LE,
	IMASNAP_ORDER_BE,
};

int imasnap_logfile_open(struct imasnap_logfile *lf, const char *path,
			 enum imasnap_order_opt order);
/* 1: a record; 0: end of log; -EBADMSG: malformed (err); -errno: read error. */
int imasnap_logfile_next(struct imasnap_logfile *lf,
			 struct imasnap_log_record *rec, struct imasnap_err *err);
void imasnap_logfile_close(struct imasnap_logfile *lf);
int imasnap_parse_order(const char *s, enum imasnap_order_opt *order);

/* pcrfile.c: "<alg> <pcr> <hex>" lines, as /sys/class/tpm/tpm0/pcr-<alg>/<n>. */
int imasnap_pcrfile_read(const char *path, struct imasnap_state *st);
int imasnap_parse_banks(const char *list, u32 *mask);

/* tpm.c: the TPM through tpm2-tss ESAPI. */
struct imasnap_tpm2;
struct imasnap_tpm2 *imasnap_tpm2_open(const char *tcti);
void imasnap_tpm2_close(struct imasnap_tpm2 *t);
struct ESYS_CONTEXT *imasnap_tpm2_esys(struct imasnap_tpm2 *t);
int imasnap_tpm2_banks(struct imasnap_tpm2 *t, u32 *mask);
int imasnap_tpm2_read_pcrs(struct imasnap_tpm2 *t, u32 bank_mask, u32 pcr_mask,
			   struct imasnap_state *out);

/* Subcommands. */
int replay_main(int argc, char **argv);
int snapshot_main(int argc, char **argv);
int show_main(int argc, char **argv);
int arm_main(int argc, char **argv);
int collect_main(int argc, char **argv);
int verify_main(int argc, char **argv);
int quote_main(int argc, char **argv);
int window_main(int argc, char **argv);
int status_main(int argc, char **argv);
int prune_main(int argc, char **argv);

#endif /* _IMASNAP_USER_H */
