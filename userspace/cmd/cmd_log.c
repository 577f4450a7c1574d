// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap log: the full history since the last cold boot as one IMA log on
 * stdout, binary_runtime_measurements or ascii_runtime_measurements byte
 * for byte (history.h): what a verifier that replays from entry 0 -- as
 * Keylime does after every kexec -- needs to reach the TPM's PCRs.
 */
#include <stdlib.h>

#include "cmd.h"

/* stdout's buffer: the records go out in large writes. */
#define LOG_OUT_BUF	(1024 * 1024)

struct log_opts {
	bool ascii;
	const char *dir;
	const char *log;
	unsigned int threads;
};

static int log_opt(void *priv, int c, const char *arg)
{
	struct log_opts *o = priv;

	if (c != 'F')
		return 0;
	if (!strcmp(arg, "ascii")) {
		o->ascii = true;
	} else if (strcmp(arg, "binary")) {
		imasnap_errorf("log: --format takes binary or ascii, not '%s'", arg);
		return -EINVAL;
	}
	return 0;
}

static const struct option log_longopts[] = {
	{ "format", required_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd log_cmd = {
	.name = "log",
	.usage =
	"Usage: imasnap log --dir DIR [--log FILE] [--format binary|ascii] [--threads N]\n"
	"  --dir DIR          the archive\n"
	"  --log FILE         the live IMA log (default " IMASNAP_LOG_DEFAULT ")\n"
	"  --format F         binary (binary_runtime_measurements, the default) or ascii\n"
	"                     (ascii_runtime_measurements)\n"
	"  --threads N        check shard bodies on up to N threads (by default one per\n"
	"                     CPU)\n"
	"The history since the last cold boot, on stdout: the archive's shards in\n"
	"chain order, then the live log past them.  The archive is walked as\n"
	"'imasnap verify' walks it first, the live log is checked against it as\n"
	"it is printed: a history that does not chain is an error (a non-zero\n"
	"exit, said why on stderr), never a silently shorter log.\n",
	.common = CMD_DIR | CMD_LOG | CMD_THREADS | CMD_SECURITYFS,
	.need_dir = true,
	.own = log_longopts,
	.opt = log_opt,
};

struct log_out {
	bool ascii;
	bool write_failed;		/* stdout refused a write: errno says why */
	struct imasnap_ascii_line line;
};

static int log_write(struct log_out *out, const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) == n)
		return 0;
	out->write_failed = true;
	return -EIO;
}

static int log_record(void *priv, const struct imasnap_log *log,
		      const struct imasnap_log_record *rec, struct imasnap_err *err)
{
	struct log_out *out = priv;
	ssize_t n;

	if (!out->ascii)
		return log_write(out, rec->raw, rec->size);
	n = imasnap_ascii_line(&out->line, log, rec, err);
	if (n == -EBADMSG) {
		imasnap_errorf("log: record %llu at offset %llu: %s",
			       (unsigned long long)rec->index, (unsigned long long)rec->offset,
			       err->reason);
		return -EBADMSG;
	}
	if (n < 0)
		return (int)n;
	return log_write(out, out->line.buf, (size_t)n);
}

int log_main(int argc, char **argv)
{
	struct log_opts o = { 0 };
	struct log_out out = { 0 };
	struct imasnap_history h = { 0 };
	struct imasnap_evp *evp = NULL;
	struct cmd_common co;
	static char obuf[LOG_OUT_BUF];
	int ret;

	ret = cmd_parse(&log_cmd, argc, argv, &co, &o);
	if (ret)
		return ret < 0 ? ret : 0;
	o.dir = co.dir;
	o.log = co.log;
	o.threads = co.threads;
	out.ascii = o.ascii;
	imasnap_verify_who("log");
	evp = imasnap_evp_new();
	if (!evp) {
		ret = imasnap_ossl_fail("the digests");
		goto out;
	}
	setvbuf(stdout, obuf, _IOFBF, LOG_OUT_BUF);
	ret = imasnap_history_open(&h, o.dir, o.log, evp, o.threads);
	if (!ret)
		ret = imasnap_history_each(&h, !o.ascii, log_record, &out);
	if (out.write_failed)
		imasnap_errorf("log: stdout: %s", strerror(errno));
	if (fflush(stdout) && !ret) {
		ret = -errno;
		imasnap_errorf("log: stdout: %s", strerror(-ret));
	}
out:
	imasnap_history_close(&h);
	imasnap_evp_free(evp);
	imasnap_ascii_line_free(&out.line);
	return ret;
}
