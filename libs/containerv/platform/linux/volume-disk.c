/*
 * The disk of a size-limited volume on Linux (core/backend.h volume_disk_*):
 * an ext4 image, <volume>/disk.img, sparse unless preallocated, loop-mounted
 * on <volume>/_data while a container uses it. And the disk usage of a
 * container's writable layer (its overlay upper directory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chef/containerv/volume.h>

#include "common/error.h"
#include "common/util.h"
#include "core/container.h"
#include "core/volume.h"
#include "platform/linux/container-private.h"
#include "platform/linux/loop-device.h"

int cv_linux_volume_disk_create(int dirfd, const char *path, const char *name,
                                const struct containerv_volume_options *options)
{
	char image[PATH_MAX];
	cleanup_close int fd = openat(dirfd, "disk.img", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return cv_error_sys("volume %s: create disk.img", name);
	/* Sparse: the image takes the space its files use, the limit is only its length. */
	if (ftruncate(fd, (off_t)options->size_limit) < 0)
		return cv_error_sys("volume %s: size disk.img to %llu bytes", name,
		                    (unsigned long long)options->size_limit);
	snprintf(image, sizeof image, "%s/disk.img", path);
	if (cv_loop_format_ext4(image, options->uid < 0 ? 0 : (uid_t)options->uid,
	                        options->gid < 0 ? 0 : (gid_t)options->gid) < 0)
		return cv_error_prefix("volume %s", name);
	/*
	 * After mkfs, which discards (punches) the whole image. Version 1 callers have no preallocate
	 * field: their struct ends before it.
	 */
	if (options->version >= 2 && options->preallocate && fallocate(fd, 0, 0, (off_t)options->size_limit) < 0)
		return errno == ENOSPC ? cv_error_errno(ENOSPC,
		                                        "volume %s: no room on the host for a preallocated "
		                                        "%llu MiB image",
		                                        name, (unsigned long long)(options->size_limit >> 20))
		                       : cv_error_sys("volume %s: preallocate disk.img", name);
	return 0;
}

int cv_linux_volume_disk_mount(int dirfd, const char *path, const char *name)
{
	char image[PATH_MAX + 16];
	cleanup_close int target = -1;

	if (cv_is_mount_point_at(dirfd, "_data"))
		return 0;
	target = openat(dirfd, "_data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return cv_error_sys("volume %s: open _data", name);
	snprintf(image, sizeof image, "%s/disk.img", path);
	if (cv_loop_mount_ext4(image, target) < 0)
		return cv_error_prefix("volume %s", name);
	return 0;
}

int cv_linux_volume_disk_unmount(int dirfd, const char *path, const char *name)
{
	char data[PATH_MAX + 8];

	if (!cv_is_mount_point_at(dirfd, "_data"))
		return 0;
	snprintf(data, sizeof data, "%s/_data", path);
	if (cv_unmount(data) < 0)
		return cv_error_prefix("volume %s", name);
	return 0;
}

uint64_t cv_linux_volume_disk_bytes_used(int dirfd)
{
	cleanup_close int data = openat(dirfd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs fs;
	struct stat st;

	if (data >= 0 && cv_is_mount_point_at(dirfd, "_data") && fstatfs(data, &fs) == 0)
		return (uint64_t)(fs.f_blocks - fs.f_bfree) * (uint64_t)fs.f_bsize;
	/* An unmounted image: what the sparse file occupies is the closest answer without mounting it. */
	return fstatat(dirfd, "disk.img", &st, AT_SYMLINK_NOFOLLOW) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

/* The bytes a container's writable layer takes (its upper/): a platform walk, as a volume's. */
int containerv_disk_usage(struct containerv_container *container, uint64_t *bytes)
{
	char path[PATH_MAX];
	cleanup_close int upper = -1;
	struct stat st;

	cv_error_clear();
	if (container == NULL || bytes == NULL)
		return cv_error_errno(EINVAL, "disk_usage: missing argument");
	*bytes = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/upper", container->dir) >= sizeof path)
		return cv_error_errno(ENAMETOOLONG, "disk usage of %s: path too long", container->id);
	/* The container writes below upper/: never follow what it put there. */
	upper = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upper < 0 && errno == ENOENT)
		return 0; /* not started yet */
	if (upper < 0 || fstat(upper, &st) < 0)
		return cv_error_errno(errno, "disk usage of %s: %s", container->id, strerror(errno));
	*bytes = cv_disk_usage_at(upper, st.st_dev);
	return 0;
}
