// SPDX-License-Identifier: GPL-2.0
/*
 * Reading IMA's binary_runtime_measurements from the kernel.
 *
 * On 6.1 the file has .read = seq_read and no .read_iter, so kernel_read()
 * returns -EINVAL; seq_read_iter() on the same file with a kernel iov_iter
 * works.  Each call returns at most one page.  Continuing at the position
 * the previous call left costs only the records after it; reading anywhere
 * else makes the seq_file format every record before the position again.
 */
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/uio.h>

#include "imasnap_mod.h"

struct file *imasnap_imalog_open(void)
{
	return filp_open(IMASNAP_IMA_LOG_PATH, O_RDONLY | O_LARGEFILE, 0);
}

/* Return: bytes read (0 at the end of the log) or -errno; *pos advances. */
ssize_t imasnap_imalog_read(struct file *file, loff_t *pos, void *buf,
			    size_t len)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	init_sync_kiocb(&kiocb, file);
	kiocb.ki_pos = *pos;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	ret = seq_read_iter(&kiocb, &iter);
	if (ret > 0)
		*pos = kiocb.ki_pos;
	return ret;
}
