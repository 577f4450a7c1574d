// SPDX-License-Identifier: GPL-2.0
/*
 * Re-seeding the next kernel's measurement list: one ima-buf record,
 * label "imasnap", event "snapshot_aggregate", whose buffer names the PCR
 * state the previous kernel's TPM had at kexec, the archived shard and the
 * carried tail.  A verifier starts the new log's replay from that state.
 */
#include <linux/ima.h>
#include <linux/slab.h>

#include "imasnap_mod.h"

#define BOOT_AGGREGATE_NG	"boot_aggregate"

/* The snapshot_aggregate text of @rec (uapi grammar); its length or -errno. */
int imasnap_reseed_text(const struct imasnap_record *rec, char *buf,
			size_t size)
{
	struct imasnap_aggregate *agg;
	int ret;

	agg = kzalloc(sizeof(*agg), GFP_KERNEL);
	if (!agg)
		return -ENOMEM;
	agg->seq = rec->seq;
	agg->entries = rec->entries + rec->tail_entries;
	agg->tail_entries = rec->tail_entries;
	memcpy(agg->shard, rec->shard_digest, sizeof(agg->shard));
	memcpy(agg->tail, rec->tail_digest, sizeof(agg->tail));
	agg->state = rec->pcrs;
	ret = imasnap_aggregate_build(IMASNAP_AGG_SNAPSHOT, agg, buf, size);
	kfree(agg);
	return ret;
}

enum imasnap_reseed_state imasnap_reseed(const struct imasnap_record *rec,
					 int *err)
{
	char *text;
	int len;

	text = kmalloc(IMASNAP_AGGREGATE_MAX_LEN, GFP_KERNEL);
	if (!text) {
		*err = -ENOMEM;
		return IMASNAP_RESEED_FAILED;
	}
	len = imasnap_reseed_text(rec, text, IMASNAP_AGGREGATE_MAX_LEN);
	if (len < 0) {
		*err = len;
		kfree(text);
		return IMASNAP_RESEED_FAILED;
	}
	*err = ima_measure_critical_data(IMASNAP_AGGREGATE_LABEL,
					 IMASNAP_AGGREGATE_EVENT, text, len,
					 false, NULL, 0);
	kfree(text);
	switch (*err) {
	case 0:
		pr_info("re-seeded IMA with snapshot_aggregate (seq %llu, %llu records before this kernel)\n",
			rec->seq, rec->entries + rec->tail_entries);
		return IMASNAP_RESEED_MEASURED;
	case -ENOENT:
		pr_err("snapshot_aggregate not measured: the IMA policy needs 'measure func=CRITICAL_DATA label=imasnap'\n");
		return IMASNAP_RESEED_NO_POLICY;
	case -EEXIST:
		pr_info("snapshot_aggregate already measured in this boot\n");
		return IMASNAP_RESEED_DUPLICATE;
	default:
		pr_err("measuring snapshot_aggregate failed (%d)\n", *err);
		return IMASNAP_RESEED_FAILED;
	}
}

/*
 * Count IMA's boot_aggregate records (ima-ng names end in NUL; 'ima' has
 * none); an imasnap_log_fn, @count an unsigned int.
 */
static int count_boot_aggregate(void *count, const struct imasnap_log *log,
				const struct imasnap_log_record *rec,
				struct imasnap_err *err)
{
	const u8 *name;
	u32 len;

	if (imasnap_log_field(log, rec, 1, &name, &len))
		return 0;
	if (len && !name[len - 1])
		len--;
	if (len == strlen(BOOT_AGGREGATE_NG) &&
	    !memcmp(name, BOOT_AGGREGATE_NG, len))
		(*(unsigned int *)count)++;
	return 0;
}

/*
 * A kernel with CONFIG_IMA_KEXEC restores the previous kernel's list before
 * its own boot_aggregate: more than one boot_aggregate means IMA carried the
 * old log itself, and a re-seed would count it twice.  Called at load, when
 * the log is short.
 */
bool imasnap_ima_carried_log(void)
{
	struct imasnap_log log;
	struct imasnap_err err;
	size_t cap = IMASNAP_TEMPLATE_DATA_MAX + PAGE_SIZE, have = 0;
	unsigned int boot_aggregates = 0;
	struct file *file;
	loff_t pos = 0;
	ssize_t n;
	u8 *buf;
	int ret;

	file = imasnap_imalog_open();
	if (IS_ERR(file))
		return false;
	buf = kvmalloc(cap, GFP_KERNEL);
	if (!buf)
		goto out;
	imasnap_log_init(&log, IMASNAP_LOG_NATIVE);
	do {
		n = imasnap_imalog_read(file, &pos, buf + have, cap - have);
		if (n < 0)
			break;
		have += n;
		if (!log.offset)
			log.order = imasnap_imalog_order(buf, have);
		ret = imasnap_log_feed(&log, buf, &have, !n, count_boot_aggregate,
				       &boot_aggregates, &err);
	} while (n > 0 && !ret && boot_aggregates < 2);
	kvfree(buf);
out:
	filp_close(file, NULL);
	return boot_aggregates > 1;
}
