// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/security/imasnap/: the module's interface to userspace.
 *
 *   status        (0400) key=value lines, Documentation/abi.md
 *   arm           (0200) write a cut to arm, "disarm" to undo
 *   carried       (0400) the record received from the previous kernel
 *   carried_tail  (0400) its tail, binary_runtime_measurements format
 *   release       (0200) write after archiving them: frees the copy, wipes
 *                        the window
 *
 * Writes need CAP_SYS_ADMIN.  Every handler takes imasnap_dev.lock.
 */
#include <linux/capability.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "imasnap_mod.h"

static const char *const carried_names[] = {
	[IMASNAP_CARRIED_NONE] = "none",
	[IMASNAP_CARRIED_ACCEPTED] = "accepted",
	[IMASNAP_CARRIED_REJECTED] = "rejected",
	[IMASNAP_CARRIED_RELEASED] = "released",
};

static const char *const reseed_names[] = {
	[IMASNAP_RESEED_NONE] = "none",
	[IMASNAP_RESEED_MEASURED] = "measured",
	[IMASNAP_RESEED_NO_POLICY] = "not_measured_no_policy_rule",
	[IMASNAP_RESEED_DUPLICATE] = "duplicate",
	[IMASNAP_RESEED_IMA_CARRIED] = "skipped_ima_carried_log",
	[IMASNAP_RESEED_FAILED] = "failed",
};

static const char *const capture_names[] = {
	[IMASNAP_CAPTURE_NONE] = "none",
	[IMASNAP_CAPTURE_DONE] = "done",
	[IMASNAP_CAPTURE_FAILED] = "failed",
};

static void show_flags(struct seq_file *m, const char *key, u32 flags)
{
	static const char *const names[] = {
		"tail_verified", "tail_mismatch", "tail_truncated", "no_tpm",
		"tail_big_endian", "tail_unreadable",
	};
	const char *sep = "";
	int i;

	seq_printf(m, "%s=", key);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (flags & (1U << i)) {
			seq_printf(m, "%s%s", sep, names[i]);
			sep = ",";
		}
	}
	seq_puts(m, "\n");
}

static int status_show(struct seq_file *m, void *v)
{
	struct imasnap_dev *d = &imasnap_dev;
	const struct imasnap_record *r = &d->carried.rec;
	struct imasnap_tpm tpm;
	bool have_tpm;

	have_tpm = imasnap_tpm_get(&tpm);
	imasnap_tpm_put(&tpm);
	mutex_lock(&d->lock);
	seq_printf(m, "version=%u\n", IMASNAP_RECORD_VERSION);
	if (d->window.virt)
		seq_printf(m, "window=%zu@%pa\n", d->window.size, &d->window.phys);
	else
		seq_printf(m, "window=none\nwindow_error=%d\n", d->window_err);
	seq_printf(m, "tpm=%s\n", have_tpm ? "yes" : "no");
	seq_printf(m, "armed=%s\n", d->armed ? "yes" : "no");
	if (d->armed)
		seq_printf(m, "armed_seq=%llu\narmed_entries=%llu\narmed_offset=%llu\n",
			   d->arm.cut.seq, d->arm.cut.entries, d->arm.cut.offset);
	seq_printf(m, "capture=%s\n", capture_names[d->capture]);
	if (d->capture == IMASNAP_CAPTURE_DONE) {
		show_flags(m, "capture_flags", d->capture_flags);
		seq_printf(m, "capture_ns=%llu\n", d->capture_ns);
	}
	seq_printf(m, "carried=%s\n", carried_names[d->carried.state]);
	if (d->carried.reason)
		seq_printf(m, "carried_reason=%s\n", d->carried.reason);
	if (d->carried.buf) {
		seq_printf(m, "carried_seq=%llu\ncarried_entries=%llu\n",
			   r->seq, r->entries);
		seq_printf(m, "carried_tail_entries=%u\ncarried_tail_bytes=%u\n",
			   r->tail_entries, r->tail_size);
		seq_printf(m, "carried_bytes=%zu\ncarried_capture_ns=%llu\n",
			   d->carried.len, r->capture_ns);
		show_flags(m, "carried_flags", r->flags);
	}
	seq_printf(m, "reseed=%s\n", reseed_names[d->reseed]);
	if (d->reseed_err)
		seq_printf(m, "reseed_error=%d\n", d->reseed_err);
	mutex_unlock(&d->lock);
	return 0;
}

static int status_open(struct inode *inode, struct file *file)
{
	return single_open(file, status_show, NULL);
}

static const struct file_operations status_fops = {
	.owner = THIS_MODULE,
	.open = status_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/* The whole text in one write, at offset 0; returns a NUL-terminated copy. */
static char *fs_copy_write(const char __user *ubuf, size_t count, loff_t *ppos)
{
	if (!capable(CAP_SYS_ADMIN))
		return ERR_PTR(-EPERM);
	if (*ppos || !count || count >= IMASNAP_AGGREGATE_MAX_LEN)
		return ERR_PTR(-EINVAL);
	return memdup_user_nul(ubuf, count);
}

static ssize_t arm_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct imasnap_dev *d = &imasnap_dev;
	struct imasnap_tpm tpm;
	char *text;
	int ret;

	text = fs_copy_write(ubuf, count, ppos);
	if (IS_ERR(text))
		return PTR_ERR(text);
	mutex_lock(&d->lock);
	if (sysfs_streq(text, "disarm")) {
		imasnap_disarm(&d->arm);
		d->armed = false;
		ret = 0;
	} else {
		struct imasnap_source src;

		ret = imasnap_imalog_source(&src);
		if (ret) {
			pr_err("arm: cannot open %s (%d)\n", IMASNAP_IMA_LOG_PATH, ret);
		} else {
			imasnap_tpm_get(&tpm);
			ret = imasnap_arm(&d->arm, text, count,
					  d->window.virt ? d->window.size : 0,
					  &tpm, &d->hash, &src);
			imasnap_tpm_put(&tpm);
		}
		if (!ret) {
			d->armed = true;
			pr_info("armed: seq %llu, %llu records up to offset %llu\n",
				d->arm.cut.seq, d->arm.cut.entries, d->arm.cut.offset);
		}
	}
	mutex_unlock(&d->lock);
	kfree(text);
	if (ret)
		return ret;
	*ppos = count;
	return count;
}

static const struct file_operations arm_fops = {
	.owner = THIS_MODULE,
	.write = arm_write,
	.llseek = noop_llseek,
};

static ssize_t carried_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct imasnap_dev *d = &imasnap_dev;
	ssize_t ret = 0;

	mutex_lock(&d->lock);
	if (d->carried.buf)
		ret = simple_read_from_buffer(ubuf, count, ppos, d->carried.buf,
					      d->carried.len);
	mutex_unlock(&d->lock);
	return ret;
}

static const struct file_operations carried_fops = {
	.owner = THIS_MODULE,
	.read = carried_read,
	.llseek = default_llseek,
};

static ssize_t carried_tail_read(struct file *file, char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct imasnap_dev *d = &imasnap_dev;
	ssize_t ret = 0;

	mutex_lock(&d->lock);
	if (d->carried.buf)
		ret = simple_read_from_buffer(ubuf, count, ppos,
					      d->carried.rec.tail,
					      d->carried.rec.tail_size);
	mutex_unlock(&d->lock);
	return ret;
}

static const struct file_operations carried_tail_fops = {
	.owner = THIS_MODULE,
	.read = carried_tail_read,
	.llseek = default_llseek,
};

static ssize_t release_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct imasnap_dev *d = &imasnap_dev;
	char *text;

	text = fs_copy_write(ubuf, count, ppos);
	if (IS_ERR(text))
		return PTR_ERR(text);
	kfree(text);
	mutex_lock(&d->lock);
	imasnap_carried_free(&d->carried);
	if (d->carried.state != IMASNAP_CARRIED_NONE)
		d->carried.state = IMASNAP_CARRIED_RELEASED;
	if (d->window.virt)
		memset(d->window.virt, 0, d->window.size);
	mutex_unlock(&d->lock);
	*ppos = count;
	return count;
}

static const struct file_operations release_fops = {
	.owner = THIS_MODULE,
	.write = release_write,
	.llseek = noop_llseek,
};

/*
 * ima_log: IMA's binary_runtime_measurements byte for byte.  IMA's own file
 * gives a read() one page and walks its list from the head for each, so
 * reading N records through it costs O(N^2 / records-per-page); here a
 * read of up to IMASNAP_IMALOG_MAX costs one walk (imalog.c).  Each open
 * opens IMA's file with the opener's credentials (IMA's mode and LSM checks
 * apply) and reads it into the reader's buffer from the position of this
 * file, which seeks like IMA's (SEEK_SET, SEEK_CUR); IMA's seq_file
 * serializes the reads.
 */
static int ima_log_open(struct inode *inode, struct file *file)
{
	struct file *ima = imasnap_imalog_open();

	if (IS_ERR(ima))
		return PTR_ERR(ima);
	file->private_data = ima;
	return 0;
}

static ssize_t ima_log_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return imasnap_imalog_read_iter(iocb->ki_filp->private_data,
					&iocb->ki_pos, to);
}

static int ima_log_release(struct inode *inode, struct file *file)
{
	filp_close(file->private_data, NULL);
	return 0;
}

static const struct file_operations ima_log_fops = {
	.owner = THIS_MODULE,
	.open = ima_log_open,
	.read_iter = ima_log_read_iter,
	.llseek = no_seek_end_llseek,
	.release = ima_log_release,
};

static const struct {
	const char *name;
	umode_t mode;
	const struct file_operations *fops;
} fs_files[] = {
	{ "status", 0400, &status_fops },
	{ "arm", 0200, &arm_fops },
	{ "carried", 0400, &carried_fops },
	{ "carried_tail", 0400, &carried_tail_fops },
	{ "release", 0200, &release_fops },
	{ "ima_log", 0400, &ima_log_fops },
};

static struct dentry *fs_dir, *fs_dentry[ARRAY_SIZE(fs_files)];

/* Remove the first @n files of fs_files[], newest first, then the folder. */
static void fs_remove(int n)
{
	while (n--) {
		securityfs_remove(fs_dentry[n]);
		fs_dentry[n] = NULL;
	}
	securityfs_remove(fs_dir);
	fs_dir = NULL;
}

int imasnap_fs_init(void)
{
	struct dentry *de;
	int i, ret;

	de = securityfs_create_dir("imasnap", NULL);
	if (IS_ERR(de)) {
		pr_err("cannot create securityfs folder imasnap (%ld)\n",
		       PTR_ERR(de));
		return PTR_ERR(de);
	}
	fs_dir = de;
	for (i = 0; i < ARRAY_SIZE(fs_files); i++) {
		de = securityfs_create_file(fs_files[i].name, fs_files[i].mode,
					    fs_dir, NULL, fs_files[i].fops);
		if (IS_ERR(de)) {
			ret = PTR_ERR(de);
			pr_err("cannot create securityfs file %s (%d)\n",
			       fs_files[i].name, ret);
			goto err_remove;
		}
		fs_dentry[i] = de;
	}
	return 0;

err_remove:
	fs_remove(i);
	return ret;
}

void imasnap_fs_exit(void)
{
	fs_remove(ARRAY_SIZE(fs_files));
}
