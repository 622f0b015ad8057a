/*
 * Internal: one mount of a container as validated and stored: plain data,
 * here so that the layers below the config (security's bind checks and
 * audit) can read a container's mounts without knowing its options.
 */
#ifndef CV_COMMON_MOUNT_H
#define CV_COMMON_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <chef/containerv/volume.h>

/* One mount of a container, as validated and stored (owns its strings). */
struct cv_mount {
	enum containerv_mount_type type;
	char *source; /* host path, or volume name (an anonymous one's is filled in at create) */
	char *target;
	unsigned int flags;
	enum containerv_mount_propagation propagation;
	bool anonymous; /* a volume made for this container (`-v /data`), removed with it on request */
	uint64_t tmpfs_size;
	unsigned int tmpfs_mode;
	uid_t tmpfs_uid;
	gid_t tmpfs_gid;
};

#endif
