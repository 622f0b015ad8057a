/*
 * Internal: loop-mounting an image file and formatting one, for size-limited volumes.
 */
#ifndef CV_LINUX_LOOP_DEVICE_H
#define CV_LINUX_LOOP_DEVICE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Formats image (an existing file of the wanted size) as ext4 whose root
 * directory belongs to uid:gid, by running mkfs.ext4. The tool's first
 * error line becomes the error message.
 */
int cv_loop_format_ext4(const char *image, uid_t uid, gid_t gid);

/*
 * Attaches image to a free loop device with autoclear and mounts it as
 * ext4 (nodev, nosuid) on target_fd (an O_PATH descriptor of the mount
 * point). Once unmounted, the device detaches by itself: nothing to free.
 */
int cv_loop_mount_ext4(const char *image, int target_fd);

/* Whether dirfd/name is the root of a mount other than dirfd's. */
bool cv_is_mount_point_at(int dirfd, const char *name);

/*
 * Unmounts path; a mount kept busy by a host process is detached lazily
 * (it goes, with its loop device, when the last user lets go).
 */
int cv_unmount(const char *path);

#endif
