// SPDX-License-Identifier: GPL-2.0
/*
 * The command line of every subcommand: the shared options parsed once,
 * --help the same way everywhere, conflicts named; and the inputs several
 * subcommands read the same way (PCRs from a file or the TPM).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"

/* Shared options get getopt codes above any character a subcommand uses. */
enum { OPT_BASE = 0x100 };

static const struct {
	unsigned int bit;
	struct option opt;
} common_opts[] = {
	{ CMD_DIR, { "dir", required_argument, NULL, OPT_BASE + 0 } },
	{ CMD_LOG, { "log", required_argument, NULL, OPT_BASE + 1 } },
	{ CMD_PCRS, { "pcrs", required_argument, NULL, OPT_BASE + 2 } },
	{ CMD_TCTI, { "tcti", required_argument, NULL, OPT_BASE + 3 } },
	{ CMD_BOOT_ID, { "boot-id", required_argument, NULL, OPT_BASE + 4 } },
	{ CMD_JSON, { "json", no_argument, NULL, OPT_BASE + 5 } },
	{ CMD_SECURITYFS, { "securityfs", required_argument, NULL, OPT_BASE + 6 } },
	{ CMD_THREADS, { "threads", required_argument, NULL, OPT_BASE + 7 } },
};

#define MAX_THREADS	64

#define MAX_OPTS	32

static int common_set(const struct cmd *cmd, struct cmd_common *co, int c, const char *arg)
{
	unsigned long n;
	char *end;

	switch (c - OPT_BASE) {
	case 0: co->dir = arg; break;
	case 1: co->log = arg; co->log_given = true; break;
	case 2: co->pcrs = arg; break;
	case 3: co->tcti = arg; break;
	case 4: co->boot_id = arg; break;
	case 5: co->json = true; break;
	case 6: co->securityfs = arg; break;
	case 7:
		errno = 0;
		n = strtoul(arg, &end, 10);
		if (*arg < '1' || *arg > '9' || *end || errno || n > MAX_THREADS)
			return cmd_usage_error(cmd, "--threads takes a number from 1 to %d, not '%s'",
					       MAX_THREADS, arg);
		co->threads = (unsigned int)n;
		break;
	}
	return 0;
}

int cmd_usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imasnap_errorf("%s: %s", cmd->name, msg);
	fputs(cmd->usage, stderr);
	return -EINVAL;
}

int cmd_conflict(const struct cmd *cmd, const char *a, bool has_a, const char *b, bool has_b)
{
	if (has_a && has_b)
		return cmd_usage_error(cmd, "%s and %s conflict: give one", a, b);
	return 0;
}

int cmd_need(const struct cmd *cmd, const char *opt, bool has, const char *why)
{
	if (!has)
		return cmd_usage_error(cmd, "%s is required%s%s", opt, *why ? " " : "", why);
	return 0;
}

/*
 * IMA's log as the module serves it (ima_log: the same bytes, read in large
 * chunks; IMA's own file costs a walk of its list every page), or IMA's
 * file when the module is not there.
 */
const char *cmd_default_log(const char *securityfs)
{
	static char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/ima_log", securityfs) < sizeof(path) &&
	    !access(path, R_OK))
		return path;
	return IMASNAP_IMA_LOG;
}

int cmd_parse(const struct cmd *cmd, int argc, char **argv, struct cmd_common *co, void *priv)
{
	struct option longopts[MAX_OPTS + 1];
	const struct option *o;
	unsigned int n = 0, i;
	int c, ret;

	memset(co, 0, sizeof(*co));
	co->log = IMASNAP_IMA_LOG;
	co->securityfs = IMASNAP_SECURITYFS;
	co->threads = imasnap_mtreplay_cpus();
	for (i = 0; i < ARRAY_SIZE(common_opts); i++)
		if (cmd->common & common_opts[i].bit)
			longopts[n++] = common_opts[i].opt;
	for (o = cmd->own; o && o->name && n < MAX_OPTS - 1; o++)
		longopts[n++] = *o;
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	memset(&longopts[n], 0, sizeof(longopts[n]));

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(cmd->usage, stdout);
			return 1;
		}
		if (c >= OPT_BASE) {
			ret = common_set(cmd, co, c, optarg);
			if (ret)
				return ret;
			continue;
		}
		if (c == '?' || !cmd->opt) {
			/* getopt said which option it did not know. */
			fputs(cmd->usage, stderr);
			return -EINVAL;
		}
		ret = cmd->opt(priv, c, optarg);
		if (ret)
			return ret;
	}
	if ((cmd->common & CMD_LOG) && !co->log_given)
		co->log = cmd_default_log(co->securityfs);
	co->args = argv + optind;
	co->nargs = argc - optind;
	if (co->nargs > cmd->nargs)
		return cmd_usage_error(cmd, "unexpected argument '%s'", co->args[cmd->nargs]);
	if (co->nargs < cmd->nargs)
		return cmd_usage_error(cmd, "an argument is missing");
	if (cmd->need_dir)
		return cmd_need(cmd, "--dir DIR", co->dir, "");
	return 0;
}

int cmd_ak_outside(const struct cmd *cmd, const char *ak, const char *dir)
{
	char *a = realpath(ak, NULL), *d = realpath(dir, NULL);
	size_t n = d ? strlen(d) : 0;
	bool inside;

	/* What does not resolve is found missing when it is read. */
	inside = a && d && !strncmp(a, d, n) && (a[n] == '/' || !strcmp(d, "/"));
	free(a);
	free(d);
	if (inside)
		return cmd_usage_error(cmd, "--ak %s is inside the archive --dir %s: the AK must be the one the verifier enrolled, not a key the host can replace",
				       ak, dir);
	return 0;
}

void cmd_json_print(struct json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
}

int cmd_pcr_source(const struct cmd_common *co, struct imasnap_state *file_pcrs,
		   struct imasnap_tpm2 **tpm, u32 *banks)
{
	int ret;

	*banks = 0;
	if (co->pcrs) {
		ret = imasnap_pcrfile_read(co->pcrs, file_pcrs);
		if (ret)
			return ret;
		*banks = imasnap_state_banks(file_pcrs);
		return 0;
	}
	*tpm = imasnap_tpm2_open(co->tcti);
	if (!*tpm)
		return -IMASNAP_ETPM;
	return imasnap_tpm2_banks(*tpm, banks);
}
