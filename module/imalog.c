// SPDX-License-Identifier: GPL-2.0
/*
 * Reading IMA's binary_runtime_measurements from the kernel.
 *
 * Each seq_read_iter() call makes IMA walk its list from the head to the
 * position (ima_measurements_start()), so reading N records costs one walk
 * of up to N entries per call; a tail of a few pages after a kept position
 * costs little.
 *
 * On 6.1 the file has .read = seq_read and no .read_iter, so kernel_read()
 * returns -EINVAL; seq_read_iter() on the same file with a kernel iov_iter
 * works.  A call fills the seq_file's buffer until it holds the bytes asked
 * for or is full (its own buffer is a page unless a record needed more),
 * then copies out: one walk per buffer.  So before a read, while the buffer
 * holds nothing, it is made as large as the read (at most
 * IMASNAP_IMALOG_MAX, allocated as seq_file allocates its own: kvmalloc,
 * freed by seq_release()), and a read of 4 MiB costs one walk for some forty
 * thousand records instead of forty.  Reading anywhere but where the
 * previous call left makes the seq_file format every record before the
 * position again.
 */
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "imasnap_mod.h"

/*
 * Make the seq_file's buffer hold a read of @len bytes (up to
 * IMASNAP_IMALOG_MAX), or only larger when @grow, if it holds nothing; a
 * failed allocation leaves it as it was (each read then still works, with
 * more walks).  One byte more than @len: a full buffer counts as overflowed
 * (seq_has_overflowed()), and would drop a record that ends exactly at
 * @len for the next walk.
 */
static void imalog_resize(struct file *file, size_t len, bool grow)
{
	struct seq_file *m = file->private_data;
	size_t size = PAGE_ALIGN(min_t(size_t, len, IMASNAP_IMALOG_MAX) + 1);
	void *buf;

	mutex_lock(&m->lock);
	/* No buffer (seq_file's own doubling failed): whatever m->size says. */
	if (!m->count &&
	    (!m->buf || size > m->size || (!grow && size < m->size))) {
		buf = kvmalloc(size, GFP_KERNEL_ACCOUNT);
		if (buf) {
			kvfree(m->buf);
			m->buf = buf;
			m->size = size;
		}
	}
	mutex_unlock(&m->lock);
}

/*
 * The path is resolved in the caller's mount namespace (the writer of arm,
 * or insmod): securityfs must be mounted there.
 */
struct file *imasnap_imalog_open(void)
{
	struct file *file;

	file = filp_open(IMASNAP_IMA_LOG_PATH, O_RDONLY | O_LARGEFILE, 0);
	if (IS_ERR(file))
		return file;
	/* seq_read_iter() takes private_data for a seq_file: make sure it is. */
	if (file->f_op->read != seq_read &&
	    file->f_op->read_iter != seq_read_iter) {
		filp_close(file, NULL);
		return ERR_PTR(-EINVAL);
	}
	return file;
}

/* From now on, a read of up to @len bytes costs one walk. */
void imasnap_imalog_fit(struct file *file, size_t len)
{
	imalog_resize(file, len, false);
}

static ssize_t imalog_source_read(void *priv, loff_t *pos, void *buf,
				  size_t len)
{
	return imasnap_imalog_read(priv, pos, buf, len);
}

static void imalog_source_fit(void *priv, size_t len)
{
	imasnap_imalog_fit(priv, len);
}

static void imalog_source_close(void *priv)
{
	filp_close(priv, NULL);
}

/* IMA's log as a source for arm and capture; 0 or -errno. */
int imasnap_imalog_source(struct imasnap_source *src)
{
	struct file *file = imasnap_imalog_open();

	if (IS_ERR(file))
		return PTR_ERR(file);
	src->read = imalog_source_read;
	src->fit = imalog_source_fit;
	src->close = imalog_source_close;
	src->priv = file;
	return 0;
}

/*
 * The log is in the kernel's native order unless it was booted with
 * ima_canonical_fmt; the first record tells (its PCR index is small in one
 * order only).
 */
enum imasnap_log_order imasnap_imalog_order(const u8 *buf, size_t len)
{
	enum imasnap_log_order order;

	if (imasnap_log_guess_order(buf, len, &order))
		return IMASNAP_LOG_NATIVE;
	return order;
}

/*
 * Read into @iter from *@pos, one walk of IMA's list for up to
 * IMASNAP_IMALOG_MAX bytes.  Return: bytes read (0 at the end of the log)
 * or -errno; *pos advances.
 */
ssize_t imasnap_imalog_read_iter(struct file *file, loff_t *pos,
				 struct iov_iter *iter)
{
	struct kiocb kiocb;
	ssize_t ret;

	imalog_resize(file, iov_iter_count(iter), true);
	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = *pos;
	ret = seq_read_iter(&kiocb, iter);
	if (ret > 0)
		*pos = kiocb.ki_pos;
	return ret;
}

/* imasnap_imalog_read_iter() into a kernel buffer. */
ssize_t imasnap_imalog_read(struct file *file, loff_t *pos, void *buf,
			    size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter iter;

	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	return imasnap_imalog_read_iter(file, pos, &iter);
}
