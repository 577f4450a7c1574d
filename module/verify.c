// SPDX-License-Identifier: GPL-2.0
/*
 * Replay IMA's live measurement list in the kernel with the lib/ core and
 * compare the result with the TPM's PCRs: the core running where the module
 * will use it, on the log the module will archive.
 *
 * Called from module init (verify_on_load=1), in process context.
 */
#include <linux/slab.h>
#include <linux/tpm.h>

#include "imasnap_mod.h"

#define VERIFY_BUF_SIZE	(IMASNAP_TEMPLATE_DATA_MAX + PAGE_SIZE)
#define VERIFY_TRIES	3

struct verify_ctx {
	struct imasnap_replay rp;
	struct imasnap_state tpm;
	struct imasnap_log log;
	struct imasnap_err err;
	u8 *buf;
	size_t have;
	loff_t pos;
};

/* Replay everything the log holds now, from where the last call stopped. */
static int verify_drain(struct verify_ctx *c, struct file *file)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = imasnap_imalog_read(file, &c->pos, c->buf + c->have,
					VERIFY_BUF_SIZE - c->have);
		if (n < 0)
			return (int)n;
		c->have += n;
		if (!c->log.offset)
			c->log.order = imasnap_imalog_order(c->buf, c->have);
		ret = imasnap_log_feed(&c->log, c->buf, &c->have, !n,
				       imasnap_replay_fn, &c->rp, &c->err);
		if (ret)
			return ret;
		if (!n)
			return 0;
	}
}

/* Which rule each bank follows; pr_info on match, pr_warn on mismatch. */
static bool verify_compare(struct verify_ctx *c, u32 banks, bool report)
{
	bool all = true;
	u32 b;

	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		const char *name = imasnap_bank_info(b)->name;
		int lane;

		if (!(banks & (1U << b)))
			continue;
		lane = imasnap_replay_pick(&c->rp, b, &c->tpm);
		if (lane < 0)
			all = false;
		if (!report)
			continue;
		if (lane >= 0)
			pr_info("live log: %llu records replay to the TPM's %s PCRs (%s)\n",
				c->rp.records, name,
				c->rp.lane[lane].rule == IMASNAP_RULE_PADDED_SHA1 ?
				"padded sha1" : "template hash");
		else
			pr_warn("live log: %llu records do not replay to the TPM's %s PCRs\n",
				c->rp.records, name);
	}
	return all;
}

int imasnap_verify_live_log(const struct imasnap_khash *h)
{
	struct imasnap_tpm tpm;
	struct verify_ctx *c;
	struct file *file;
	u32 banks, touched = 0;
	int ret, try, b, i;

	if (!imasnap_tpm_get(&tpm)) {
		pr_info("live log: no TPM 2.0, nothing to compare with\n");
		return -ENODEV;
	}
	c = kvzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ret = -ENOMEM;
		goto out_tpm;
	}
	c->buf = kvmalloc(VERIFY_BUF_SIZE, GFP_KERNEL);
	if (!c->buf) {
		ret = -ENOMEM;
		goto out_ctx;
	}
	file = imasnap_imalog_open();
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		pr_err("cannot open %s (%d)\n", IMASNAP_IMA_LOG_PATH, ret);
		goto out_buf;
	}

	banks = tpm.ops->banks(tpm.priv);
	imasnap_replay_init(&c->rp, &h->ops);
	for (b = 0; b < IMASNAP_NR_BANKS; b++) {
		if (!(banks & (1U << b)))
			continue;
		/* Even the padded rule extends with the bank's own hash. */
		if (!imasnap_khash_has(h, b)) {
			pr_info("live log: no %s hash in this kernel: bank not replayed\n",
				imasnap_bank_info(b)->name);
			banks &= ~(1U << b);
			continue;
		}
	}
	imasnap_replay_add_banks(&c->rp, banks);
	imasnap_replay_start(&c->rp, NULL);
	imasnap_log_init(&c->log, IMASNAP_LOG_NATIVE);

	/* Records may arrive while the PCRs are read: catch up and retry. */
	for (try = 0; try < VERIFY_TRIES; try++) {
		ret = verify_drain(c, file);
		if (ret == -EBADMSG) {
			pr_err("live log: record %llu at offset %llu: %s\n",
			       c->err.index, c->err.offset, c->err.reason);
			goto out_file;
		}
		if (ret) {
			pr_err("live log: reading or replaying failed (%d)\n", ret);
			goto out_file;
		}
		for (i = 0; i < c->rp.nr_lanes; i++)
			touched |= c->rp.lane[i].touched;
		ret = tpm.ops->read_pcrs(tpm.priv, banks, touched, &c->tpm);
		if (ret) {
			pr_err("live log: reading PCRs failed (%d)\n", ret);
			goto out_file;
		}
		if (verify_compare(c, banks, false))
			break;
	}
	ret = verify_compare(c, banks, true) ? 0 : -EBADMSG;
out_file:
	filp_close(file, NULL);
out_buf:
	kvfree(c->buf);
out_ctx:
	kvfree(c);
out_tpm:
	imasnap_tpm_put(&tpm);
	return ret;
}
