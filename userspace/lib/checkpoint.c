// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoints (checkpoint.h): what a verifier keeps of an earlier
 * verification, as text, so that the next one starts there (--from).
 */
#include <stdlib.h>
#include <unistd.h>

#include "checkpoint.h"
#include "fileio.h"

static unsigned long long ull(u64 v)
{
	return (unsigned long long)v;
}

/*
 * Checkpoint file, one "key value" per line in this order (values in
 * decimal, byte strings in hex, states as their imasnap_pcr_value entries):
 *
 *   imasnap-checkpoint 2
 *   seq, kind, order, boot_id, first_entry, entries, log_offset, body_size,
 *   prev_digest, body_digest, digest, start, end,
 *   prefix (a log shard: SHA-256 of its boot's log up to its end; else -),
 *   clock <valid> <shard> <clock> <resetCount> <restartCount> <safe> <cold_boots>
 */
#define CP_MAGIC	"imasnap-checkpoint 2"
/* Version 1 had no prefix line, and a 0/1 "a cold boot since" for cold_boots. */
#define CP_MAGIC_V1	"imasnap-checkpoint 1"
#define CP_STATE_MAX	(2 * IMASNAP_MAX_PCR_VALUES * sizeof(struct imasnap_pcr_value) + 1)
/* Two states and a dozen short lines. */
#define CP_FILE_MAX	(2 * (CP_STATE_MAX + 16) + 4096)

static int cp_hex(FILE *f, const char *key, const u8 *p, size_t n)
{
	char *hex = malloc(2 * n + 1);

	if (!hex)
		return -ENOMEM;
	imasnap_hex_encode(p, n, hex);
	fprintf(f, "%s %s\n", key, n ? hex : "-");
	free(hex);
	return 0;
}

static int cp_state(FILE *f, const char *key, const struct imasnap_state *st)
{
	u8 *buf = malloc(CP_STATE_MAX);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = cp_hex(f, key, buf, (size_t)(imasnap_state_put(buf, st) - buf));
	free(buf);
	return ret;
}

/* Written atomically (imasnap_atomic_open()), replacing the checkpoint before. */
int imasnap_checkpoint_write(const char *path, const struct imasnap_checkpoint *cp)
{
	const struct imasnap_shard *sh = &cp->shard;
	const struct imasnap_chain_clock *k = &cp->clock;
	struct imasnap_atomic a;
	FILE *f;
	int ret;

	f = imasnap_atomic_fopen(&a, path, IMASNAP_ATOMIC_REPLACE, &ret);
	if (!f)
		return ret;
	fprintf(f, "%s\nseq %llu\nkind %u\norder %u\n", CP_MAGIC, ull(sh->seq), sh->kind, sh->order);
	ret = cp_hex(f, "boot_id", sh->boot_id, 16);
	fprintf(f, "first_entry %llu\nentries %llu\nlog_offset %llu\nbody_size %llu\n",
		ull(sh->first_entry), ull(sh->entries), ull(sh->log_offset), ull(sh->body_size));
	ret = ret ?: cp_hex(f, "prev_digest", sh->prev_digest, 32);
	ret = ret ?: cp_hex(f, "body_digest", sh->body_digest, 32);
	ret = ret ?: cp_hex(f, "digest", sh->digest, 32);
	ret = ret ?: cp_state(f, "start", &sh->start);
	ret = ret ?: cp_state(f, "end", &sh->end);
	if (cp->has_prefix)
		ret = ret ?: cp_hex(f, "prefix", cp->prefix, 32);
	else
		fprintf(f, "prefix -\n");
	fprintf(f, "clock %u %llu %llu %u %u %u %u\n", k->valid, ull(k->seq),
		ull(k->info.clock), k->info.resetCount, k->info.restartCount, k->info.safe,
		k->cold_boots);
	if (!ret && (fflush(f) || ferror(f)))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		imasnap_atomic_abort(&a);
		return ret;
	}
	return imasnap_atomic_commit(&a);
}

/* The next line must be "@key <value>": the value, or NULL. */
static char *cp_line(FILE *f, const char *key, char *line, size_t size)
{
	size_t n = strlen(key), len;

	if (!fgets(line, (int)size, f))
		return NULL;
	len = strlen(line);
	if (!len || line[len - 1] != '\n')
		return NULL;
	line[len - 1] = 0;
	if (strncmp(line, key, n) || line[n] != ' ' || !line[n + 1])
		return NULL;
	return line + n + 1;
}

static int cp_u64(FILE *f, const char *key, char *line, size_t size, u64 *v)
{
	char *s = cp_line(f, key, line, size), *end;

	if (!s || *s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return *end || errno ? -EBADMSG : 0;
}

static int cp_bytes(FILE *f, const char *key, char *line, size_t size, u8 *out, size_t n)
{
	char *s = cp_line(f, key, line, size);

	if (!s || strlen(s) != 2 * n || imasnap_hex_decode(s, 2 * n, out))
		return -EBADMSG;
	return 0;
}

static int cp_state_read(FILE *f, const char *key, char *line, size_t size,
			 struct imasnap_state *st)
{
	const size_t vs = sizeof(struct imasnap_pcr_value);
	char *s = cp_line(f, key, line, size);
	struct imasnap_err err;
	size_t len;
	u8 *buf;
	int ret;

	imasnap_state_init(st);
	if (!s)
		return -EBADMSG;
	if (!strcmp(s, "-"))
		return 0;
	len = strlen(s);
	if (len % (2 * vs) || len / 2 / vs > 2 * IMASNAP_MAX_PCR_VALUES)
		return -EBADMSG;
	buf = malloc(len / 2);
	if (!buf)
		return -ENOMEM;
	ret = imasnap_hex_decode(s, len, buf) ? -EBADMSG :
	      imasnap_state_get_values(buf, (u32)(len / 2 / vs), 0, st, &err);
	free(buf);
	return ret ? -EBADMSG : 0;
}

/*
 * @n decimal numbers separated by single spaces, nothing else (the form the
 * writer gives): 0 or -EBADMSG.  @max[i] bounds the i-th.
 */
static int cp_numbers(const char *s, unsigned int n, const u64 *max, u64 *v)
{
	unsigned int i;
	char *end;

	for (i = 0; i < n; i++) {
		if (*s < '0' || *s > '9')
			return -EBADMSG;
		errno = 0;
		v[i] = strtoull(s, &end, 10);
		if (errno || v[i] > max[i] || *end != (i + 1 < n ? ' ' : 0))
			return -EBADMSG;
		s = end + (i + 1 < n);
	}
	return 0;
}

/* Read a checkpoint: 0, -EBADMSG (not one), -errno. */
int imasnap_checkpoint_read(const char *path, struct imasnap_checkpoint *cp)
{
	struct imasnap_shard *sh = &cp->shard;
	struct imasnap_chain_clock *k = &cp->clock;
	size_t size = 2 * CP_STATE_MAX + 64;
	char *line = malloc(size), *s;
	u64 clock_max[7] = { 1, UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT32_MAX, 1, UINT32_MAX };
	u64 kind, order, v[7];
	const char *why;
	FILE *f;
	bool v1;
	int ret;

	memset(cp, 0, sizeof(*cp));
	if (!line)
		return -ENOMEM;
	f = imasnap_fopen_input(path, CP_FILE_MAX, &ret, &why);
	if (!f) {
		free(line);
		return ret;
	}
	ret = -EBADMSG;
	if (!fgets(line, (int)size, f))
		goto out;
	v1 = !strcmp(line, CP_MAGIC_V1 "\n");
	if (!v1 && strcmp(line, CP_MAGIC "\n"))
		goto out;
	if (cp_u64(f, "seq", line, size, &sh->seq) || cp_u64(f, "kind", line, size, &kind) ||
	    cp_u64(f, "order", line, size, &order) ||
	    cp_bytes(f, "boot_id", line, size, sh->boot_id, 16) ||
	    cp_u64(f, "first_entry", line, size, &sh->first_entry) ||
	    cp_u64(f, "entries", line, size, &sh->entries) ||
	    cp_u64(f, "log_offset", line, size, &sh->log_offset) ||
	    cp_u64(f, "body_size", line, size, &sh->body_size) ||
	    cp_bytes(f, "prev_digest", line, size, sh->prev_digest, 32) ||
	    cp_bytes(f, "body_digest", line, size, sh->body_digest, 32) ||
	    cp_bytes(f, "digest", line, size, sh->digest, 32) ||
	    cp_state_read(f, "start", line, size, &sh->start) ||
	    cp_state_read(f, "end", line, size, &sh->end))
		goto out;
	s = v1 ? "-" : cp_line(f, "prefix", line, size);
	if (!s)
		goto out;
	cp->has_prefix = strcmp(s, "-");
	if (cp->has_prefix && (strlen(s) != 64 || imasnap_hex_decode(s, 64, cp->prefix) ||
			       kind != IMASNAP_SHARD_LOG))
		goto out;
	if ((kind != IMASNAP_SHARD_LOG && kind != IMASNAP_SHARD_TAIL) ||
	    (kind == IMASNAP_SHARD_TAIL && !sh->seq) ||
	    sh->log_offset > UINT64_MAX - sh->body_size ||
	    sh->first_entry > UINT64_MAX - sh->entries ||
	    (order != IMASNAP_LOG_LE && order != IMASNAP_LOG_BE) || !imasnap_state_banks(&sh->end))
		goto out;
	sh->kind = (enum imasnap_shard_kind)kind;
	sh->order = (enum imasnap_log_order)order;
	/* clock <valid> <shard> <clock> <resetCount> <restartCount> <safe> <cold_boots> */
	clock_max[6] = v1 ? 1 : UINT32_MAX;
	s = cp_line(f, "clock", line, size);
	if (!s || cp_numbers(s, 7, clock_max, v))
		goto out;
	k->valid = v[0];
	k->seq = v[1];
	k->info.clock = v[2];
	k->info.resetCount = (u32)v[3];
	k->info.restartCount = (u32)v[4];
	k->info.safe = (TPMI_YES_NO)v[5];
	k->cold_boots = (u32)v[6];
	ret = fgetc(f) == EOF ? 0 : -EBADMSG;
out:
	fclose(f);
	free(line);
	return ret;
}
