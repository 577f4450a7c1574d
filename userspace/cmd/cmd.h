/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The imasnap CLI: the subcommands, the options they share, and the exit
 * codes (computed from a -errno in one place, imasnap_exit_code()).
 */
#ifndef _IMASNAP_CMD_H
#define _IMASNAP_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "libimasnap.h"

/* Stable exit codes: scripts may test for them (documented in imasnap(8)). */
enum imasnap_exit {
	IMASNAP_EXIT_OK		= 0,
	IMASNAP_EXIT_FAILURE	= 1,	/* internal error: OpenSSL, memory, the TPM */
	IMASNAP_EXIT_USAGE	= 2,	/* bad command line */
	IMASNAP_EXIT_IO		= 3,	/* a file could not be read or written */
	IMASNAP_EXIT_MALFORMED	= 4,	/* an input is not what it claims to be */
	IMASNAP_EXIT_MISMATCH	= 5,	/* well-formed, but does not verify */
	IMASNAP_EXIT_STATE	= 6,	/* the archive or module is not in the state needed */
};

/* The exit code of a subcommand's 0 or -errno (error.h lists the mapping). */
int imasnap_exit_code(int err);

/* The options several subcommands take; each says which (struct cmd.common). */
enum cmd_common_opt {
	CMD_DIR		= 1U << 0,	/* --dir DIR: the archive */
	CMD_LOG		= 1U << 1,	/* --log FILE: IMA's binary log */
	CMD_PCRS	= 1U << 2,	/* --pcrs FILE: PCR values instead of the TPM */
	CMD_TCTI	= 1U << 3,	/* --tcti CONF: the TPM */
	CMD_BOOT_ID	= 1U << 4,	/* --boot-id ID: this boot's id */
	CMD_JSON	= 1U << 5,	/* --json: the result as JSON on stdout */
	CMD_SECURITYFS	= 1U << 6,	/* --securityfs DIR: the module's folder */
	CMD_THREADS	= 1U << 7,	/* --threads N: replay the banks on up to N threads */
};

struct cmd_common {
	const char *dir;
	const char *log;		/* cmd_default_log() unless given */
	const char *pcrs;
	const char *tcti;
	const char *boot_id;
	const char *securityfs;		/* IMASNAP_SECURITYFS unless given */
	unsigned int threads;		/* one per CPU unless given */
	bool json;
	bool log_given;
	char **args;			/* what is left after the options */
	int nargs;
};

/*
 * A subcommand's command line: the shared options it takes, its own
 * (@own, handled by @opt, which returns 0 or -EINVAL having said why), and
 * how many arguments follow them.
 */
struct cmd {
	const char *name;
	const char *usage;		/* the --help text, "Usage: ..." */
	unsigned int common;		/* enum cmd_common_opt bits */
	bool need_dir;			/* --dir is required */
	int nargs;			/* arguments after the options */
	const struct option *own;	/* NULL-terminated, or NULL */
	int (*opt)(void *priv, int c, const char *arg);
};

/*
 * Parse @argv for @cmd.  0: go on; 1: --help was printed on stdout (the
 * subcommand returns 0); -EINVAL: a bad command line, said why on stderr
 * followed by the usage.
 */
int cmd_parse(const struct cmd *cmd, int argc, char **argv, struct cmd_common *co, void *priv);
/* The module's <securityfs>/ima_log when it can be read, else IMASNAP_IMA_LOG. */
const char *cmd_default_log(const char *securityfs);
/* -EINVAL, saying "<cmd>: <why>" and the usage on stderr. */
int cmd_usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Options @a and @b both given: -EINVAL, naming them; else 0. */
int cmd_conflict(const struct cmd *cmd, const char *a, bool has_a, const char *b, bool has_b);
/* @opt is needed (@why, e.g. "with --quote"): -EINVAL unless @has. */
int cmd_need(const struct cmd *cmd, const char *opt, bool has, const char *why);

/* The module's status file: key=value lines, far below this. */
#define CMD_STATUS_MAX	(64 * 1024)

/*
 * The AK must come from the verifier (enrolled out of band), never from the
 * archive the host writes: -EINVAL when @ak is inside @dir.
 */
int cmd_ak_outside(const struct cmd *cmd, const char *ak, const char *dir);

/* JSON helpers for --json. */
struct json_object;
void cmd_json_print(struct json_object *j);

/*
 * What a replay is compared with: the lines of @co->pcrs (read into
 * @file_pcrs), or else the TPM of @co->tcti (opened into *@tpm, read
 * later).  @banks: the banks they have.  0 or -errno, named on stderr.
 */
int cmd_pcr_source(const struct cmd_common *co, struct imasnap_state *file_pcrs,
		   struct imasnap_tpm2 **tpm, u32 *banks);

/* Subcommands: 0 or -errno, the failure named on stderr. */
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
int log_main(int argc, char **argv);
int mount_main(int argc, char **argv);

#endif /* _IMASNAP_CMD_H */
