// SPDX-License-Identifier: GPL-2.0
/*
 * The carry window: a few KiB of physical memory that every kernel reserves
 * on its command line (memmap=64K$0x30000000, ramoops-style) and names to
 * the module (imasnap.window=64K@0x30000000).  It is never System RAM, so
 * the running kernel does not use it and kexec_file_load() never places a
 * segment there.  The old kernel writes the handoff record into it at kexec;
 * the next kernel validates it, copies it and wipes the window so it cannot
 * be consumed twice.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>

#include "imasnap_mod.h"

#define WINDOW_MIN_SIZE		PAGE_SIZE
#define WINDOW_MAX_SIZE		IMASNAP_RECORD_MAX_SIZE

/* "<size>@<phys>", size and address as memparse() reads them (64K, 0x3000_0000). */
int imasnap_window_parse(const char *arg, phys_addr_t *phys, size_t *size)
{
	char *end;
	u64 s, p;

	s = memparse(arg, &end);
	if (end == arg || *end != '@')
		return -EINVAL;
	arg = end + 1;
	p = memparse(arg, &end);
	if (end == arg || (*end && *end != '\n'))
		return -EINVAL;
	if (s < WINDOW_MIN_SIZE || s > WINDOW_MAX_SIZE || !PAGE_ALIGNED(s) ||
	    !PAGE_ALIGNED(p) || p + s < p)
		return -EINVAL;
	*phys = p;
	*size = s;
	return 0;
}

int imasnap_window_map(struct imasnap_window *w, const char *arg)
{
	int ret;

	memset(w, 0, sizeof(*w));
	if (!arg || !*arg)
		return 0;
	ret = imasnap_window_parse(arg, &w->phys, &w->size);
	if (ret) {
		pr_err("window=%s: expected <size>@<address>, page-aligned, 4K..16M\n",
		       arg);
		return ret;
	}
	/*
	 * The window must not be RAM the kernel uses: only memmap=<size>$<addr>
	 * on this kernel's command line keeps it out of the page allocator.
	 */
	if (region_intersects(w->phys, w->size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT) {
		pr_err("window %pa+%zu is System RAM: reserve it with memmap=%zuK$%pa\n",
		       &w->phys, w->size, w->size >> 10, &w->phys);
		return -EINVAL;
	}
	w->virt = memremap(w->phys, w->size, MEMREMAP_WB);
	if (!w->virt) {
		pr_err("cannot map the window at %pa\n", &w->phys);
		return -ENOMEM;
	}
	return 0;
}

void imasnap_window_unmap(struct imasnap_window *w)
{
	if (w->virt)
		memunmap(w->virt);
	w->virt = NULL;
}
