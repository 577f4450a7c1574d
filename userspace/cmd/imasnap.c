// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap: archive the IMA log across kexec and verify it (see imasnap(8)).
 * A dispatch table; each subcommand lives in its own file, cmd_<name>.c,
 * and returns 0 or -errno; its exit code is computed here, and only here.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#ifndef IMASNAP_VERSION
#define IMASNAP_VERSION "unknown"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "snapshot", snapshot_main, "Archive IMA's log up to now as the next shard" },
	{ "arm", arm_main, "Hand the newest shard's cut to the module before kexec" },
	{ "collect", collect_main, "After kexec, archive the tail the module carried" },
	{ "quote", quote_main, "Quote the IMA PCRs with an attestation key" },
	{ "verify", verify_main, "Verify the archive and the live log against the TPM" },
	{ "prune", prune_main, "Delete the oldest shards, up to one with a quoted end state" },
	{ "status", status_main, "The module's state and the archive's" },
	{ "window", window_main, "'window suggest': kernel arguments for a carry window" },
	{ "log", log_main, "The history since the last cold boot as one IMA log, binary or ascii" },
	{ "mount", mount_main, "Serve that history as IMA's log files on a FUSE mount" },
	{ "show", show_main, "Print a shard, a handoff record or an IMA log for humans" },
	{ "replay", replay_main, "Replay an IMA log into PCR values and compare them with the TPM's" },
};

int imasnap_exit_code(int err)
{
	switch (-err) {
	case 0:
		return IMASNAP_EXIT_OK;
	case EINVAL:
		return IMASNAP_EXIT_USAGE;
	case EBADMSG:
		return IMASNAP_EXIT_MALFORMED;
	case IMASNAP_EVERIFY:
	case ESTALE:
		return IMASNAP_EXIT_MISMATCH;
	case IMASNAP_ESTATE:
		return IMASNAP_EXIT_STATE;
	case ENOMEM:
	case EOPNOTSUPP:
	case IMASNAP_ECRYPTO:
	case IMASNAP_ETPM:
		return IMASNAP_EXIT_FAILURE;
	default:
		return IMASNAP_EXIT_IO;
	}
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: imasnap <command> [<args>]\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].description);
	fprintf(f, "\n'imasnap <command> --help' describes a command; 'imasnap --version' says which imasnap this is.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return IMASNAP_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return IMASNAP_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("imasnap %s\n", IMASNAP_VERSION);
		return IMASNAP_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		if (!strcmp(argv[1], subcommands[i].name))
			return imasnap_exit_code(subcommands[i].fn(argc - 1, argv + 1));
	}
	imasnap_errorf("unknown command '%s'", argv[1]);
	usage(stderr);
	return IMASNAP_EXIT_USAGE;
}
