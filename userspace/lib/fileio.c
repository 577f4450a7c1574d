// SPDX-License-Identifier: GPL-2.0
/*
 * Files for libimasnap (fileio.h): full reads and writes that go on after
 * EINTR and short counts, whole-file reads with a bound, and the one
 * atomic writer every file of the archive and every checkpoint goes
 * through.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int imasnap_write_all(int fd, const void *p, size_t n)
{
	const u8 *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Enough to make the system calls few, small enough to stay off the heap's top. */
#define COPY_CHUNK	(1024 * 1024)

/* imasnap_copy_range() where copy_file_range() cannot: pread() and write(). */
static int copy_by_hand(int in, u64 off, int out, u64 n)
{
	u8 *buf = malloc(COPY_CHUNK);
	int ret = buf ? 0 : -ENOMEM;

	while (!ret && n) {
		ssize_t r = pread(in, buf, n < COPY_CHUNK ? (size_t)n : COPY_CHUNK, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -ENODATA;
			break;
		}
		ret = imasnap_write_all(out, buf, (size_t)r);
		off += (u64)r;
		n -= (u64)r;
	}
	free(buf);
	return ret;
}

int imasnap_copy_range(int in, u64 off, int out, u64 n)
{
	loff_t from = (loff_t)off;

	while (n) {
		ssize_t w = copy_file_range(in, &from, out, NULL,
					    n < SSIZE_MAX ? (size_t)n : SSIZE_MAX, 0);

		if (w < 0 && errno == EINTR)
			continue;
		/* Not here (another filesystem, an old kernel, a special file): by hand. */
		if (w < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
			      errno == EOPNOTSUPP || errno == EPERM))
			return copy_by_hand(in, (u64)from, out, n);
		if (w < 0)
			return -errno;
		/* 0: the end of @in, or a file that does not say its size (procfs). */
		if (!w)
			return copy_by_hand(in, (u64)from, out, n);
		n -= (u64)w;
	}
	return 0;
}

int imasnap_pwrite_all(int fd, const void *p, size_t n, u64 off)
{
	const u8 *b = p;

	while (n) {
		ssize_t w = pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
		off += (u64)w;
	}
	return 0;
}

int imasnap_read_full(int fd, void *p, size_t n)
{
	u8 *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ENODATA;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int imasnap_append_fd(int fd, u8 **buf, size_t *len, size_t *cap, size_t max)
{
	ssize_t n;

	for (;;) {
		if (!*buf || *cap - *len < 4096 + 1) {
			size_t ncap = 2 * *cap + 65536;
			u8 *b = realloc(*buf, ncap);
			if (!b)
				return -ENOMEM;
			*buf = b;
			*cap = ncap;
		}
		n = read(fd, *buf + *len, *cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return 0;
		*len += (size_t)n;
		/* The buffer grows at most one step past @max. */
		if (*len > max)
			return -EFBIG;
	}
}

int imasnap_open_input(const char *path, size_t max, const char **why)
{
	struct stat st;
	int fd, ret;

	/* O_NONBLOCK: opening a FIFO does not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		*why = strerror(-ret);
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		*why = strerror(-ret);
	} else if (!S_ISREG(st.st_mode)) {
		ret = -EBADMSG;
		*why = "not a regular file";
	} else if ((u64)st.st_size > max) {
		ret = -EBADMSG;
		*why = "larger than its format allows";
	} else if (fcntl(fd, F_SETFL, 0)) {
		ret = -errno;
		*why = strerror(-ret);
	} else {
		return fd;
	}
	close(fd);
	return ret;
}

FILE *imasnap_fopen_input(const char *path, size_t max, int *err, const char **why)
{
	int fd = imasnap_open_input(path, max, why);
	FILE *f;

	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f) {
		*err = -errno;
		*why = strerror(errno);
		close(fd);
	}
	return f;
}

int imasnap_read_file(const char *path, size_t max, u8 **buf, size_t *len, const char **why)
{
	size_t cap = 0;
	int fd, ret;

	*buf = NULL;
	*len = 0;
	fd = imasnap_open_input(path, max, why);
	if (fd < 0)
		return fd;
	ret = imasnap_append_fd(fd, buf, len, &cap, max);
	close(fd);
	if (ret == -EFBIG) {
		ret = -EBADMSG;
		*why = "larger than its format allows";
	} else if (ret) {
		*why = strerror(-ret);
	}
	if (ret) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		return ret;
	}
	(*buf)[*len] = 0;
	return 0;
}

int imasnap_write_file(const char *path, const void *text, size_t len)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int imasnap_fsync_dir(const char *dir)
{
	int dfd, ret;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	ret = fsync(dfd) ? -errno : 0;
	close(dfd);
	return ret;
}

int imasnap_atomic_open(struct imasnap_atomic *a, const char *path,
			enum imasnap_atomic_mode mode)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dlen = slash ? (size_t)(slash - path) : 0;

	a->fd = -1;
	a->mode = mode;
	a->tmp[0] = 0;
	if (!*base || strlen(path) >= sizeof(a->path) - 16)
		return -ENAMETOOLONG;
	strcpy(a->path, path);
	if (!slash)
		strcpy(a->dir, ".");
	else if (!dlen)
		strcpy(a->dir, "/");
	else
		snprintf(a->dir, sizeof(a->dir), "%.*s", (int)dlen, path);
	/*
	 * A new file: an unnamed one (O_TMPFILE) where the filesystem has
	 * them and /proc can name it for linkat(), so a crash leaves nothing
	 * behind; else, like a replacement, a temp name of its own in the
	 * same folder: two writers never share a file.
	 */
	if (mode == IMASNAP_ATOMIC_NEW && !access("/proc/self/fd", X_OK)) {
		a->fd = open(a->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (a->fd >= 0)
			return 0;
	}
	snprintf(a->tmp, sizeof(a->tmp), "%.*s.%s.XXXXXX", (int)(slash ? dlen + 1 : 0),
		 path, base);
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		a->tmp[0] = 0;
		return -errno;
	}
	return 0;
}

FILE *imasnap_atomic_fopen(struct imasnap_atomic *a, const char *path,
			   enum imasnap_atomic_mode mode, int *err)
{
	int fd;
	FILE *f;

	*err = imasnap_atomic_open(a, path, mode);
	if (*err)
		return NULL;
	fd = dup(a->fd);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		*err = -errno;
		if (fd >= 0)
			close(fd);
		imasnap_atomic_abort(a);
	}
	return f;
}

void imasnap_atomic_abort(struct imasnap_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp[0])
		unlink(a->tmp);
	a->tmp[0] = 0;
}

int imasnap_atomic_commit(struct imasnap_atomic *a)
{
	char self[64];
	int ret = 0;

	if (fsync(a->fd))
		ret = -errno;
	/* link() never replaces: a file of that name written meanwhile wins. */
	if (!ret && a->mode == IMASNAP_ATOMIC_NEW && !a->tmp[0]) {
		snprintf(self, sizeof(self), "/proc/self/fd/%d", a->fd);
		if (linkat(AT_FDCWD, self, AT_FDCWD, a->path, AT_SYMLINK_FOLLOW))
			ret = -errno;
	}
	if (close(a->fd) && !ret)
		ret = -errno;
	a->fd = -1;
	if (!ret && a->mode == IMASNAP_ATOMIC_NEW && a->tmp[0] && link(a->tmp, a->path))
		ret = -errno;
	if (!ret && a->mode == IMASNAP_ATOMIC_REPLACE && rename(a->tmp, a->path))
		ret = -errno;
	if (a->tmp[0] && (ret || a->mode == IMASNAP_ATOMIC_NEW))
		unlink(a->tmp);
	a->tmp[0] = 0;
	if (ret)
		return ret;
	/* In place: only its durability is in doubt now. */
	return imasnap_fsync_dir(a->dir);
}

int imasnap_scratch_file(const char *dir)
{
	char path[4096];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	if ((size_t)snprintf(path, sizeof(path), "%s/imasnap-scratch.XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}
