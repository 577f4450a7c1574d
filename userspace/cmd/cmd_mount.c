// SPDX-License-Identifier: GPL-2.0
/*
 * imasnap mount: the history since the last cold boot (view.h) as a
 * read-only FUSE file system with IMA's file names, for an attestation
 * agent that reads IMA's log by path (Keylime's ima_ml_path):
 *
 *   binary_runtime_measurements   ascii_runtime_measurements
 *   runtime_measurements_count
 *
 * Record N is always record N: the files only grow, as the live log does.
 * A read past what the view holds first reads the live log on; a history
 * that stops chaining stops being served (EIO).  One thread serves the
 * requests: the view's state is never shared.
 */
#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmd.h"

struct mount_opts {
	bool foreground;
	const char *tmpdir;
	const char *dir;
	const char *log;
	const char *mountpoint;
	unsigned int threads;
};

static int mount_opt(void *priv, int c, const char *arg)
{
	struct mount_opts *o = priv;

	if (c == 'f')
		o->foreground = true;
	else if (c == 't')
		o->tmpdir = arg;
	return 0;
}

static const struct option mount_longopts[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "tmpdir", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

static const struct cmd mount_cmd = {
	.name = "mount",
	.usage =
	"Usage: imasnap mount --dir DIR [--log FILE] [--foreground] [--tmpdir DIR]\n"
	"                     [--threads N] MOUNTPOINT\n"
	"  --dir DIR          the archive\n"
	"  --log FILE         the live IMA log (default " IMASNAP_LOG_DEFAULT ")\n"
	"  --foreground       stay in the foreground (systemd); default: detach once mounted\n"
	"  --tmpdir DIR       where the view's index and live-record spool go, unlinked\n"
	"                     (default $TMPDIR, else /var/tmp)\n"
	"  --threads N        check shard bodies on up to N threads (by default one per\n"
	"                     CPU)\n"
	"Mounts the history since the last cold boot ('imasnap log') read-only on\n"
	"MOUNTPOINT as binary_runtime_measurements, ascii_runtime_measurements and\n"
	"runtime_measurements_count; unmount with 'fusermount3 -u MOUNTPOINT'.\n",
	.common = CMD_DIR | CMD_LOG | CMD_THREADS | CMD_SECURITYFS,
	.need_dir = true,
	.nargs = 1,
	.own = mount_longopts,
	.opt = mount_opt,
};

static const char *const mount_files[] = {
	[IMASNAP_VIEW_BINARY] = "binary_runtime_measurements",
	[IMASNAP_VIEW_ASCII] = "ascii_runtime_measurements",
	[IMASNAP_VIEW_FILES] = "runtime_measurements_count",
};

static struct imasnap_view *mount_view(void)
{
	return fuse_get_context()->private_data;
}

/* The file @path names: 0..IMASNAP_VIEW_FILES, or -1. */
static int mount_file(const char *path)
{
	int i;

	if (*path++ != '/')
		return -1;
	for (i = 0; i <= IMASNAP_VIEW_FILES; i++)
		if (!strcmp(path, mount_files[i]))
			return i;
	return -1;
}

static int mount_count(const struct imasnap_view *v, char *buf, size_t size)
{
	return snprintf(buf, size, "%llu\n", (unsigned long long)v->records);
}

static int mount_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct imasnap_view *v = mount_view();
	char count[32];
	int f;

	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		return 0;
	}
	f = mount_file(path);
	if (f < 0)
		return -ENOENT;
	/* The sizes of now: the live log read on first. */
	imasnap_view_refresh(v);
	if (v->broken)
		return -EIO;
	/* Like IMA's files: root's alone. */
	st->st_mode = S_IFREG | 0440;
	st->st_nlink = 1;
	st->st_size = f == IMASNAP_VIEW_FILES ? mount_count(v, count, sizeof(count)) :
		      (off_t)v->size[f];
	return 0;
}

static int mount_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
			 struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	int i;

	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (i = 0; i <= IMASNAP_VIEW_FILES; i++)
		fill(buf, mount_files[i], NULL, 0, 0);
	return 0;
}

static int mount_open(const char *path, struct fuse_file_info *fi)
{
	if (mount_file(path) < 0)
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return -EROFS;
	/* Sizes change as the log grows: every read comes here, none is cached. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int mount_read(const char *path, char *buf, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct imasnap_view *v = mount_view();
	char count[32];
	ssize_t n;
	int f = mount_file(path), len;

	(void)fi;
	if (f < 0)
		return -ENOENT;
	if (off < 0)
		return -EINVAL;
	if (f == IMASNAP_VIEW_FILES) {
		imasnap_view_refresh(v);
		if (v->broken)
			return -EIO;
		len = mount_count(v, count, sizeof(count));
		if (off >= len)
			return 0;
		n = (size_t)(len - off) < size ? len - off : (ssize_t)size;
		memcpy(buf, count + off, (size_t)n);
		return (int)n;
	}
	if (size > INT32_MAX)
		size = INT32_MAX;
	n = imasnap_view_read(v, (enum imasnap_view_file)f, buf, size, (u64)off);
	return (int)n;
}

/* Under systemd (Type=notify): "READY=1" to $NOTIFY_SOCKET once mounted. */
static void mount_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		imasnap_errorf("mount: telling systemd: %s", strerror(errno));
	close(fd);
}

static const struct fuse_operations mount_ops = {
	.getattr = mount_getattr,
	.readdir = mount_readdir,
	.open = mount_open,
	.read = mount_read,
};

int mount_main(int argc, char **argv)
{
	struct mount_opts o = { 0 };
	struct imasnap_view v;
	struct imasnap_evp *evp;
	struct cmd_common co;
	struct fuse *fuse = NULL;
	char *fargv[] = { (char *)"imasnap", (char *)"-o",
			  (char *)"ro,default_permissions,allow_other,fsname=imasnap,subtype=imasnap",
			  NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	const char *tmpdir;
	int ret;

	ret = cmd_parse(&mount_cmd, argc, argv, &co, &o);
	if (ret)
		return ret < 0 ? ret : 0;
	/* Everything is opened before the mount: detached, "/" is fine. */
	o.dir = co.dir;
	o.log = co.log;
	o.threads = co.threads;
	o.mountpoint = co.args[0];
	tmpdir = o.tmpdir ? o.tmpdir : getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	imasnap_verify_who("mount");
	evp = imasnap_evp_new();
	if (!evp)
		return imasnap_ossl_fail("the digests");
	/* The history is walked and indexed before anything is mounted. */
	ret = imasnap_view_open(&v, o.dir, o.log, evp, o.threads, tmpdir);
	if (ret)
		goto out;
	fuse = fuse_new(&args, &mount_ops, sizeof(mount_ops), &v);
	if (!fuse) {
		imasnap_errorf("mount: FUSE refused its options");
		ret = -EINVAL;
		goto out;
	}
	if (fuse_mount(fuse, o.mountpoint)) {
		imasnap_errorf("mount: %s: FUSE could not mount there (/dev/fuse, fuse3, root?)",
			       o.mountpoint);
		ret = -EIO;
		goto out;
	}
	fprintf(stderr, "imasnap: mount: %s: %llu records since the cold boot (%llu from %llu shards)\n",
		o.mountpoint, (unsigned long long)v.records,
		(unsigned long long)v.h.shard_records,
		(unsigned long long)(v.h.have_shards ? v.h.last - v.h.first + 1 : 0));
	/* SIGTERM from now on unmounts: before systemd hears that we are ready. */
	if (fuse_set_signal_handlers(fuse_get_session(fuse))) {
		ret = -EIO;
		fuse_unmount(fuse);
		goto out;
	}
	if (o.foreground)
		mount_notify_ready();
	if (fuse_daemonize(o.foreground)) {
		ret = -EIO;
		fuse_unmount(fuse);
		goto out;
	}
	ret = fuse_loop(fuse) ? -EIO : 0;
	fuse_remove_signal_handlers(fuse_get_session(fuse));
	fuse_unmount(fuse);
out:
	if (fuse)
		fuse_destroy(fuse);
	fuse_opt_free_args(&args);
	imasnap_view_close(&v);
	imasnap_evp_free(evp);
	return ret;
}
