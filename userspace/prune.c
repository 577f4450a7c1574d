// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap prune: delete the archive's oldest shards, keeping it verifiable.
 *
 * The archive grows with IMA's log.  Shards before one whose trailer holds
 * a quote of its end state signed by the AK can go: `verify --anchored`
 * (or a verifier's checkpoint) starts there.  prune refuses any other cut,
 * and deletes oldest first, so a crash leaves a gap-free archive.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "archive.h"
#include "chain.h"

static int prune_usage(FILE *f, int ret)
{
	fprintf(f,
		"Usage: imasnap prune --dir DIR [--before SEQ] [--ak PEM] [--dry-run] [--json]\n"
		"  --dir DIR      the archive\n"
		"  --before SEQ   delete the shards before SEQ (default: before the newest shard\n"
		"                 whose trailer quote the AK signs); shard SEQ must have one\n"
		"  --ak PEM       the attestation key (default: DIR/ak-rsa.pem, else DIR/ak-ecc.pem)\n"
		"  --dry-run      say what would be deleted, delete nothing\n"
		"  --json         machine-readable result on stdout\n");
	return ret;
}

/* Shard @seq's trailer quote, checked with @ak: 0, or an exit code with @why. */
static int prune_anchor(const char *dir, u64 seq, EVP_PKEY *ak, struct imasnap_shard *sh,
			const char **why)
{
	struct imasnap_quote *q = calloc(1, sizeof(*q));
	struct imasnap_err err;
	char name[64], path[4096];
	int ret;

	if (!q)
		return IMASNAP_EXIT_FAILURE;
	imasnap_shard_name(seq, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = imasnap_shard_read(path, sh, NULL, &err);
	if (ret) {
		*why = ret == -EBADMSG ? err.reason : strerror(-ret);
		ret = ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_IO;
	} else if (sh->kind != IMASNAP_SHARD_LOG || !sh->entries) {
		*why = "only a log shard with records can anchor";
		ret = IMASNAP_EXIT_MISMATCH;
	} else if (!sh->trailer_size) {
		*why = "it has no quote in its trailer";
		ret = IMASNAP_EXIT_MISMATCH;
	} else {
		ret = imasnap_shard_quote_check(sh, ak, q, why);
	}
	free(q);
	return ret;
}

static EVP_PKEY *prune_ak(const char *dir, const char *given)
{
	char pem[4096];

	if (given)
		return imasnap_read_ak(given);
	snprintf(pem, sizeof(pem), "%s/ak-rsa.pem", dir);
	if (access(pem, F_OK))
		snprintf(pem, sizeof(pem), "%s/ak-ecc.pem", dir);
	return imasnap_read_ak(pem);
}

int prune_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "before", required_argument, NULL, 'b' },
		{ "ak", required_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct imasnap_shard *sh = calloc(1, sizeof(*sh));
	const char *dir = NULL, *akpath = NULL, *why = "";
	bool dry = false, json = false, have_before = false;
	unsigned long long before = 0;
	u64 first, n, seq, bytes = 0;
	char name[64], path[4096], *end;
	EVP_PKEY *ak = NULL;
	struct stat st;
	int c, ret, dfd;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'k': akpath = optarg; break;
		case 'n': dry = true; break;
		case 'j': json = true; break;
		case 'b':
			errno = 0;
			before = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno) {
				ret = prune_usage(stderr, IMASNAP_EXIT_USAGE);
				goto out;
			}
			have_before = true;
			break;
		case 'h': ret = prune_usage(stdout, IMASNAP_EXIT_OK); goto out;
		default: ret = prune_usage(stderr, IMASNAP_EXIT_USAGE); goto out;
		}
	}
	if (!dir || optind != argc) {
		ret = prune_usage(stderr, IMASNAP_EXIT_USAGE);
		goto out;
	}
	if (!sh) {
		ret = IMASNAP_EXIT_FAILURE;
		goto out;
	}
	ret = imasnap_archive_range(dir, &first, &n);
	if (ret) {
		imasnap_errorf("prune: %s: %s", dir, ret == -EBADMSG ?
			       "a shard is missing (gap in the sequence)" : strerror(-ret));
		ret = ret == -EBADMSG ? IMASNAP_EXIT_MALFORMED : IMASNAP_EXIT_IO;
		goto out;
	}
	ak = prune_ak(dir, akpath);
	if (!ak) {
		ret = IMASNAP_EXIT_IO;
		goto out;
	}
	if (have_before) {
		if (before < first || before >= first + n) {
			imasnap_errorf("prune: %s holds shards %llu..%llu: there is no shard %llu",
				       dir, (unsigned long long)first,
				       (unsigned long long)(first + n - 1), before);
			ret = IMASNAP_EXIT_USAGE;
			goto out;
		}
		ret = prune_anchor(dir, before, ak, sh, &why);
		if (ret) {
			imasnap_errorf("prune: shard %llu cannot be the archive's oldest: %s", before, why);
			goto out;
		}
	} else {
		/* The newest shard whose quote the AK signs. */
		for (seq = first + n; seq-- > first; ) {
			ret = prune_anchor(dir, seq, ak, sh, &why);
			if (!ret || (ret != IMASNAP_EXIT_MISMATCH && ret != IMASNAP_EXIT_MALFORMED))
				break;
		}
		if (ret) {
			imasnap_errorf("prune: no shard of %s has a trailer quote the AK signs (snapshot --quote, quote --shard)",
				       dir);
			goto out;
		}
		before = seq;
	}
	/* Oldest first: a crash leaves shards k..newest, still without a gap. */
	for (seq = first; seq < before; seq++) {
		imasnap_shard_name(seq, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!stat(path, &st))
			bytes += (u64)st.st_size;
		if (!dry && unlink(path)) {
			imasnap_errorf("prune: %s: %s", path, strerror(errno));
			ret = IMASNAP_EXIT_IO;
			goto out;
		}
	}
	if (!dry) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd)) {
			imasnap_errorf("prune: %s: %s", dir, strerror(errno));
			ret = IMASNAP_EXIT_IO;
		}
		if (dfd >= 0)
			close(dfd);
		if (ret)
			goto out;
	}
	if (json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "pruned", json_object_new_int64((int64_t)(before - first)));
		json_object_object_add(j, "bytes", json_object_new_int64((int64_t)bytes));
		json_object_object_add(j, "oldest", json_object_new_int64((int64_t)before));
		json_object_object_add(j, "dry_run", json_object_new_boolean(dry));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else if (before == first) {
		printf("nothing to prune: shard %llu, the oldest, is the anchor\n", before);
	} else {
		printf("%s shards %llu..%llu (%llu bytes); the archive starts at shard %llu, whose end state the AK quoted (verify --anchored)\n",
		       dry ? "would delete" : "deleted", (unsigned long long)first, before - 1,
		       (unsigned long long)bytes, before);
	}
	ret = IMASNAP_EXIT_OK;
out:
	EVP_PKEY_free(ak);
	free(sh);
	return ret;
}
