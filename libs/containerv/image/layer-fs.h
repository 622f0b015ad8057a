/*
 * Internal: what unpacking a layer needs from the host's filesystem that only
 * the platform has: opening a path confined beneath a directory, the
 * snapshotter's forms of a whiteout and an opaque directory, extended
 * attributes and device numbers.
 *
 * image/ sits below core and the platform (layers point down), so the
 * platform fills this table, bound at link time as core's cv_backend() is:
 * one backend per build, a call is one indirect jump. Linux:
 * platform/linux/layer-fs.c (openat2, overlay's char 0:0 and
 * trusted.overlay.opaque, fsetxattr, makedev).
 *
 * Every function returns -1 with errno set and no last error: the caller
 * names the entry in its message.
 */
#ifndef CV_IMAGE_LAYER_FS_H
#define CV_IMAGE_LAYER_FS_H

#include <stddef.h>
#include <sys/types.h>

struct cv_layer_fs_ops {
	/*
	 * Opens path relative to dir_fd without ever resolving outside it and
	 * without following a symlink in any component (a parent planted as a
	 * symlink by an earlier entry of a hostile tar fails: ELOOP, EXDEV or
	 * ENOTDIR). flags are open(2)'s; O_CLOEXEC and O_NOFOLLOW are added.
	 */
	int (*open_beneath)(int dir_fd, const char *path, int flags);
	/* Makes leaf in dir_fd a whiteout: it hides that name of the layers below. */
	int (*make_whiteout)(int dir_fd, const char *leaf);
	/* Marks the directory dir_fd opaque: it hides every entry of the layers below. */
	int (*mark_opaque)(int dir_fd);
	/* Sets one extended attribute on fd; ENOTSUP where the filesystem has none. */
	int (*set_xattr)(int fd, const char *key, const void *value, size_t size);
	/* Makes a special file (type and permission bits in mode) with the device major:minor. */
	int (*make_node)(int dir_fd, const char *leaf, mode_t mode, unsigned major, unsigned minor);
};

/* The platform's table (defined by the platform folder of this build). Never NULL. */
const struct cv_layer_fs_ops *cv_layer_fs(void);

#endif
