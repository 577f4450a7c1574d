// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the files the verifier reads from untrusted storage: a shard
 * (userspace/shard.c, with its trailer quote checked as verify does), a
 * quote file, a checkpoint (which must write back to the same thing) and a
 * PCR file.  The first input byte picks the reader.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static int memfile(const uint8_t *data, size_t size, char *path, size_t psize)
{
	int fd = memfd_create("fuzz", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(path, psize, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imasnap_shard sh;
	static struct imasnap_replay rp;
	static struct imasnap_quote q;
	static struct imasnap_checkpoint cp, cp2;
	static struct imasnap_state st;
	struct imasnap_err err;
	char path[64], out[] = "/tmp/imasnap-fuzz-cp-XXXXXX";
	const char *why;
	int fd, ofd;

	if (!size)
		return 0;
	fd = memfile(data + 1, size - 1, path, sizeof(path));
	if (fd < 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		imasnap_replay_init(&rp, fuzz_hash_ops());
		imasnap_replay_add_banks(&rp, ~0U);
		if (!imasnap_shard_read(path, &sh, &rp, &err) && sh.trailer_size)
			imasnap_shard_quote_check(&sh, NULL, &q, &why);
		break;
	case 1:
		if (!imasnap_quote_parse(data + 1, size - 1, &q, &why)) {
			u8 digest[32];

			imasnap_quote_state_digest(&sh.end, &q.attest.attested.quote.pcrSelect,
						   digest);
		}
		break;
	case 3:
		imasnap_pcrfile_read(path, &st);
		break;
	default:
		if (imasnap_checkpoint_read(path, &cp))
			break;
		ofd = mkstemp(out);
		if (ofd < 0)
			break;
		close(ofd);
		if (imasnap_checkpoint_write(out, &cp) || imasnap_checkpoint_read(out, &cp2) ||
		    memcmp(&cp.shard, &cp2.shard, sizeof(cp.shard)) ||
		    memcmp(&cp.clock, &cp2.clock, sizeof(cp.clock)))
			__builtin_trap();	/* not a round trip */
		unlink(out);
		break;
	}
	close(fd);
	return 0;
}
