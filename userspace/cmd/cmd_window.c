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
#include <stdlib.h>

#include "cmd.h"

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

/* What /proc/iomem says: the largest System RAM range below 4 GiB, and what is in it. */
struct iomem {
	struct range ram;
	u64 best;			/* its size; 0: none */
	struct range avoid[64];		/* the kernel image, a crash kernel */
	unsigned int navoid;
};

static int read_iomem(const char *path, struct iomem *m)
{
	char line[256];
	const char *why;
	FILE *f;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	f = imasnap_fopen_input(path, SIZE_MAX, &ret, &why);
	if (!f) {
		imasnap_errorf("window: %s: %s", path, why);
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char *name = strstr(line, " : ");

		if (!name || sscanf(line, " %llx-%llx", &s, &e) != 2)
			continue;
		if (e < s) {
			imasnap_errorf("window: %s: the range %llx-%llx ends before it starts",
				       path, s, e);
			ret = -EBADMSG;
			break;
		}
		name += 3;
		name[strcspn(name, "\n")] = 0;
		if (line[0] != ' ' && !strcmp(name, "System RAM") && e < LOW_4G &&
		    e - s + 1 > m->best) {
			m->best = e - s + 1;
			m->ram.start = s;
			m->ram.end = e;
		}
		if (line[0] == ' ' && m->navoid < ARRAY_SIZE(m->avoid) &&
		    (!strncmp(name, "Kernel ", 7) || !strcmp(name, "Crash kernel"))) {
			m->avoid[m->navoid].start = s;
			m->avoid[m->navoid++].end = e;
		}
	}
	fclose(f);
	return ret;
}

/*
 * The window's address: the middle of the range, stepped down past anything
 * in the way.  Each step goes below the range in the way, so the walk ends,
 * and never below the range's first 16 MiB (nor wraps around zero).
 */
static int place(const struct iomem *m, u64 size, u64 *addr)
{
	unsigned int i;

	*addr = (m->ram.start + m->best / 2) & ~(MiB - 1);
	for (i = 0; i < m->navoid; i++) {
		if (!overlaps(*addr, size, &m->avoid[i]))
			continue;
		if (m->avoid[i].start < m->ram.start + 16 * MiB + size)
			return -IMASNAP_EVERIFY;
		*addr = (m->avoid[i].start - size) & ~(MiB - 1);
		i = (unsigned int)-1;
	}
	if (*addr < m->ram.start || *addr + size - 1 > m->ram.end)
		return -IMASNAP_EVERIFY;
	return 0;
}

static int suggest(const char *iomem, u64 size, bool json)
{
	struct iomem m;
	u64 addr;
	int ret;

	ret = read_iomem(iomem, &m);
	if (ret)
		return ret;
	if (!m.best || !m.ram.end) {
		imasnap_errorf("window: no System RAM below 4 GiB in %s (reading /proc/iomem needs root)",
			       iomem);
		return -EBADMSG;
	}
	if (m.best < 64 * MiB) {
		imasnap_errorf("window: the largest RAM range below 4 GiB is only %llu MiB",
			       (unsigned long long)(m.best / MiB));
		return -IMASNAP_EVERIFY;
	}
	ret = place(&m, size, &addr);
	if (ret) {
		imasnap_errorf("window: no room clear of the kernel image");
		return ret;
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
	return 0;
}

struct window_opts {
	const char *iomem;
	u64 size;
};

static const struct cmd window_cmd;

static int window_opt(void *priv, int c, const char *arg)
{
	struct window_opts *o = priv;

	if (c == 'i') {
		o->iomem = arg;
		return 0;
	}
	o->size = parse_size(arg);
	if (o->size < 4096 || o->size > IMASNAP_RECORD_MAX_SIZE || o->size % 4096)
		return cmd_usage_error(&window_cmd, "--size takes 4K..16M in 4K steps, e.g. 64K");
	return 0;
}

static const struct option window_longopts[] = {
	{ "size", required_argument, NULL, 's' },
	{ "iomem", required_argument, NULL, 'i' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd window_cmd = {
	.name = "window",
	.usage =
	"Usage: imasnap window suggest [--size 64K] [--iomem FILE] [--json]\n"
	"  --size SIZE    the window, 4K..16M in 4K steps (default 64K)\n"
	"  --iomem FILE   the memory map (default /proc/iomem)\n"
	"  --json         machine-readable result on stdout\n",
	.common = CMD_JSON,
	.nargs = 1,
	.own = window_longopts,
	.opt = window_opt,
};

int window_main(int argc, char **argv)
{
	struct window_opts o = { .iomem = "/proc/iomem", .size = 64 << 10 };
	struct cmd_common co;
	int ret;

	ret = cmd_parse(&window_cmd, argc, argv, &co, &o);
	if (ret)
		return ret < 0 ? ret : 0;
	if (strcmp(co.args[0], "suggest"))
		return cmd_usage_error(&window_cmd, "the only action is 'suggest'");
	return suggest(o.iomem, o.size, co.json);
}
