/*
 * Internal: the named-volume store (core/volume.c), as the container
 * lifecycle uses it; the disk of a size-limited volume is the backend's
 * (struct cv_backend_ops volume_disk_*).
 *
 *   <root>/volumes/<name>/volume.json   name, created, labels, size limit, uid/gid, anonymous
 *   <root>/volumes/<name>/_data/        the data (a directory, or the mount point of disk.img)
 *   <root>/volumes/<name>/disk.img      the platform's disk of a size-limited volume (Linux: ext4 image)
 *   <root>/volumes/<name>/users/<id>    one empty file per container using the volume
 *   <root>/volumes/<name>/lock          flock'ed around acquire/release/remove
 */
#ifndef CV_CORE_VOLUME_H
#define CV_CORE_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Creates an anonymous volume (as `-v /data` does) and writes its generated
 * name (64 hex digits) to name (at least 65 bytes).
 */
int cv_volume_create_anonymous(char *name, size_t size);

/*
 * Records that container_id uses the volume and makes its data available
 * on the host (mounting a size-limited volume's disk on its first user).
 * Writes the host directory to bind into the container to host_path.
 * ENOENT when the volume does not exist.
 */
int cv_volume_acquire(const char *name, const char *container_id, char *host_path, size_t size);

/*
 * Drops container_id's use; the last user of a size-limited volume
 * unmounts it (its loop device detaches by itself). Idempotent.
 */
int cv_volume_release(const char *name, const char *container_id);

/*
 * Drops the uses of containers that no longer exist (a CLI killed halfway)
 * and unmounts size-limited volumes nobody uses. Cheap when there is
 * nothing to do; called before volume commands and container starts.
 */
int cv_volume_reconcile(void);

/* Whether name is a valid volume name. */
bool cv_volume_name_is_valid(const char *name);

/*
 * Sums the allocated bytes below dirfd (a volume's data, a container's upper directory), never
 * following a link nor crossing into another mount than device.
 */
uint64_t cv_disk_usage_at(int dirfd, dev_t device);

#endif
