// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap window suggest: pick a carry window in RAM from /proc/iomem and
 * print the kernel arguments that reserve it and name it to the module.
 *
 * The window goes into the largest System RAM range below 4 GiB, at its
 * middle (1 MiB aligned), clear of the running kernel's image and of a
 * crash kernel reservation.  The bootloader puts the initrd near the top
 * of that range and KASLR keeps the kernel out of memmap= regions, so the
 * middle is the least contended place.  It must be the same on every kernel
 * of a kexec chain: choose once, then keep it on the command line.
 */
#include <getopt.h>
#include <stdlib.h>

#include "archive.h"

#define MiB		(1ULL << 20)
#define LOW_4G		(1ULL << 32)

struct range {
	u64 start, end;		/* inclusive */
};

static u64 parse_size(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	default: break;
	}
	return *end ? 0 : v;
}

static bool overlaps(u64 a, u64 alen, const struct range *r)
{
	return a <= r->end && r->start <= a + alen - 1;
}

static int suggest(const char *iomem, u64 size, bool json)
{
	struct range ram = { 0, 0 }, avoid[64];
	unsigned int navoid = 0, i;
	u64 best = 0, addr;
	char line[256];
	FILE *f;

	f = fopen(iomem, "re");
	if (!f) {
		imasnap_errorf("window: %s: %s", iomem, strerror(errno));
		return IMASNAP_EXIT_IO;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char *name = strstr(line, " : ");

		if (!name || sscanf(line, " %llx-%llx", &s, &e) != 2)
			continue;
		name += 3;
		name[strcspn(name, "\n")] = 0;
		if (line[0] != ' ' && !strcmp(name, "System RAM") && e < LOW_4G &&
		    e - s + 1 > best) {
			best = e - s + 1;
			ram.start = s;
			ram.end = e;
		}
		if (line[0] == ' ' && navoid < 64 &&
		    (!strncmp(name, "Kernel ", 7) || !strcmp(name, "Crash kernel"))) {
			avoid[navoid].start = s;
			avoid[navoid++].end = e;
		}
	}
	fclose(f);
	if (!best || !ram.end) {
		imasnap_errorf("window: no System RAM below 4 GiB in %s (reading /proc/iomem needs root)",
			       iomem);
		return IMASNAP_EXIT_MALFORMED;
	}
	if (best < 64 * MiB) {
		imasnap_errorf("window: the largest RAM range below 4 GiB is only %llu MiB",
			       (unsigned long long)(best / MiB));
		return IMASNAP_EXIT_MISMATCH;
	}
	addr = (ram.start + best / 2) & ~(MiB - 1);
	/* Step down past anything in the way, staying in the range. */
	for (i = 0; i < navoid; i++) {
		if (overlaps(addr, size, &avoid[i])) {
			addr = (avoid[i].start - size) & ~(MiB - 1);
			i = (unsigned int)-1;
			if (addr < ram.start + 16 * MiB) {
				imasnap_errorf("window: no room clear of the kernel image");
				return IMASNAP_EXIT_MISMATCH;
			}
		}
	}
	if (json)
		printf("{\"address\":\"0x%llx\",\"size\":%llu,\"memmap\":\"memmap=%lluK$0x%llx\",\"module\":\"imasnap.window=%lluK@0x%llx\"}\n",
		       (unsigned long long)addr, (unsigned long long)size,
		       (unsigned long long)(size >> 10), (unsigned long long)addr,
		       (unsigned long long)(size >> 10), (unsigned long long)addr);
	else
		printf("memmap=%lluK$0x%llx imasnap.window=%lluK@0x%llx\n",
		       (unsigned long long)(size >> 10), (unsigned long long)addr,
		       (unsigned long long)(size >> 10), (unsigned long long)addr);
	return IMASNAP_EXIT_OK;
}

int window_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "iomem", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *iomem = "/proc/iomem";
	u64 size = 64 << 10;
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			size = parse_size(optarg);
			if (size < 4096 || size > IMASNAP_RECORD_MAX_SIZE || size % 4096) {
				imasnap_errorf("window: --size takes 4K..16M in 4K steps, e.g. 64K");
				return IMASNAP_EXIT_USAGE;
			}
			break;
		case 'i': iomem = optarg; break;
		case 'j': json = true; break;
		case 'h':
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: imasnap window suggest [--size 64K] [--iomem FILE] [--json]\n");
			return c == 'h' ? IMASNAP_EXIT_OK : IMASNAP_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "suggest")) {
		imasnap_errorf("window: the only action is 'suggest'");
		return IMASNAP_EXIT_USAGE;
	}
	return suggest(iomem, size, json);
}
