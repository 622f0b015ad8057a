/*
 * image/'s layer filesystem on Linux (image/layer-fs.h): openat2 confinement
 * for hostile tar entries and overlayfs's on-disk forms of OCI whiteouts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/layer-fs.h"

/*
 * RESOLVE_IN_ROOT keeps ".." and absolute symlink targets inside dir_fd;
 * RESOLVE_NO_SYMLINKS refuses any symlink on the way, so an entry cannot be
 * written through a link an earlier entry planted; no magic links (/proc).
 */
static int open_beneath(int dir_fd, const char *path, int flags)
{
	struct open_how how = {
	        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
	        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
	while (fd < 0 && errno == EINTR);
	return fd;
}

/* overlayfs: a character device 0:0 hides the name below. */
static int make_whiteout(int dir_fd, const char *leaf)
{
	return mknodat(dir_fd, leaf, S_IFCHR | 0, makedev(0, 0));
}

/* overlayfs: trusted.overlay.opaque=y on a directory of the upper or a lower layer. */
static int mark_opaque(int dir_fd)
{
	return fsetxattr(dir_fd, "trusted.overlay.opaque", "y", 1, 0);
}

static int set_xattr(int fd, const char *key, const void *value, size_t size)
{
	return fsetxattr(fd, key, value, size, 0);
}

static int make_node(int dir_fd, const char *leaf, mode_t mode, unsigned major, unsigned minor)
{
	return mknodat(dir_fd, leaf, mode, makedev(major, minor));
}

static const struct cv_layer_fs_ops linux_layer_fs = {
        .open_beneath = open_beneath,
        .make_whiteout = make_whiteout,
        .mark_opaque = mark_opaque,
        .set_xattr = set_xattr,
        .make_node = make_node,
};

const struct cv_layer_fs_ops *cv_layer_fs(void)
{
	return &linux_layer_fs;
}
