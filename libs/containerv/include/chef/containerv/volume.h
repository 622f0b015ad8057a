/*
 * containerv: mounts and volumes.
 *
 * A container's mounts are added to its options (containerv_options_add_mount):
 * bind mounts of host paths, named volumes, and tmpfs. Named volumes live
 * under <root>/volumes/<name>/ and outlive containers; a size-limited
 * volume is an ext4 image file loop-mounted while a container uses it (the
 * Linux counterpart of a Windows VHD volume).
 */
#ifndef CHEF_CONTAINERV_VOLUME_H
#define CHEF_CONTAINERV_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;

enum containerv_mount_type {
	CV_MOUNT_TYPE_BIND = 1,   /* source is a host path */
	CV_MOUNT_TYPE_VOLUME = 2, /* source is a volume name; NULL or "" makes an anonymous volume */
	CV_MOUNT_TYPE_TMPFS = 3,  /* source is ignored */
};

enum containerv_mount_flags {
	CV_MOUNT_BIND = 0x1,      /* kept for the seed's callers: same as CV_MOUNT_TYPE_BIND */
	CV_MOUNT_RECURSIVE = 0x2, /* bind the mounts below the source too (rbind) */
	CV_MOUNT_READONLY = 0x4,  /* read-only, for root inside the container too */
	CV_MOUNT_NOSUID = 0x8,    /* setuid bits and file capabilities grant nothing (binds: tmpfs always is) */
	CV_MOUNT_NODEV = 0x10,    /* device nodes cannot be opened (binds: tmpfs always is) */
	CV_MOUNT_NOEXEC = 0x20,   /* nothing can be executed from it */
	CV_MOUNT_CREATE = 0x100,  /* create a missing bind source directory on the host */
};

enum containerv_mount_propagation {
	CV_PROPAGATION_PRIVATE = 0, /* the default */
	CV_PROPAGATION_SLAVE = 1,
	CV_PROPAGATION_SHARED = 2,
	CV_PROPAGATION_UNBINDABLE = 3, /* private, and no bind may copy it */
};

#define CONTAINERV_MOUNT_VERSION 1

/* One mount of a container. Initialise with CONTAINERV_MOUNT_INIT. */
struct containerv_mount {
	unsigned int version; /* CONTAINERV_MOUNT_VERSION */
	enum containerv_mount_type type;
	const char *source; /* host path or volume name */
	const char *target; /* absolute path inside the container */
	unsigned int flags; /* enum containerv_mount_flags */
	enum containerv_mount_propagation propagation;
	uint64_t tmpfs_size;     /* bytes; 0: the kernel's default (half of RAM) */
	unsigned int tmpfs_mode; /* 0: 01777 */
	containerv_uid_t tmpfs_uid;
	containerv_gid_t tmpfs_gid;
};

#define CONTAINERV_MOUNT_INIT                                                                                          \
	{                                                                                                              \
		CONTAINERV_MOUNT_VERSION, CV_MOUNT_TYPE_BIND, NULL, NULL, 0, CV_PROPAGATION_PRIVATE, 0, 0, 0, 0        \
	}

/*
 * Adds a mount to a container's options. Validated here (absolute target,
 * no "..", an existing bind source unless CV_MOUNT_CREATE, a valid volume
 * name) and mounted at start, in mount order, over the root filesystem.
 */
CONTAINERV_API int containerv_options_add_mount(struct containerv_options *options,
                                                const struct containerv_mount *mount);

struct containerv_container;

/* One mount of a container as recorded at create (containerv_get_mounts()). */
struct containerv_mount_info {
	enum containerv_mount_type type;
	char *source;       /* the host path of a bind, the name of a volume, "" for a tmpfs */
	char *destination;  /* the path inside the container */
	unsigned int flags; /* enum containerv_mount_flags: CV_MOUNT_READONLY, CV_MOUNT_RECURSIVE... */
	enum containerv_mount_propagation propagation;
	int anonymous; /* a volume made for this container (`-v /data`) */
};

/*
 * Copies the container's mounts (binds, volumes and tmpfs, in mount order)
 * into a new array *mounts of *count entries, to be freed with
 * containerv_mounts_free(); no mounts gives NULL and 0. Used by inspect
 * (Mounts).
 */
CONTAINERV_API int containerv_get_mounts(struct containerv_container *container, struct containerv_mount_info **mounts,
                                         size_t *count);

/* Frees an array from containerv_get_mounts(); NULL is allowed. */
CONTAINERV_API void containerv_mounts_free(struct containerv_mount_info *mounts, size_t count);

/* Makes the container's root filesystem read-only (docker's --read-only). */
CONTAINERV_API int containerv_options_set_readonly_rootfs(struct containerv_options *options, int enabled);

/* 2 added preallocate; callers built with version 1 keep working (sparse images). */
#define CONTAINERV_VOLUME_OPTIONS_VERSION 2

/* How to create a volume. Initialise with CONTAINERV_VOLUME_OPTIONS_INIT. */
struct containerv_volume_options {
	unsigned int version;      /* CONTAINERV_VOLUME_OPTIONS_VERSION */
	uint64_t size_limit;       /* bytes; 0: no limit (a plain directory) */
	const char *const *labels; /* "key=value", NULL-terminated; may be NULL */
	int uid;                   /* owner of the volume's root inside containers; -1: root */
	int gid;
	/*
	 * With a size limit: allocate the whole image now (like a fixed-size VHD) instead of a sparse file
	 * (a dynamic one). It takes its full size on the host at once, and in exchange writes never wait
	 * for the host filesystem to allocate under the loop device: first writes run at the host's speed.
	 */
	int preallocate;
};

#define CONTAINERV_VOLUME_OPTIONS_INIT                                                                                 \
	{                                                                                                              \
		CONTAINERV_VOLUME_OPTIONS_VERSION, 0, NULL, -1, -1, 0                                                  \
	}

#define CONTAINERV_VOLUME_INFO_VERSION 1

/* What containerv_volume_inspect() and containerv_volume_list() report. */
struct containerv_volume_info {
	unsigned int version; /* set by the caller to CONTAINERV_VOLUME_INFO_VERSION */
	char name[129];
	char mountpoint[4096]; /* where its data lives on the host */
	int64_t created_ns;
	uint64_t size_limit; /* 0: none */
	uint64_t bytes_used;
	int anonymous;
	char **labels;  /* "key=value", NULL-terminated; owned by the info (see _info_clear) */
	char **used_by; /* ids of the containers using it, NULL-terminated */
};

/*
 * Creates a named volume ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128
 * characters). Atomic: concurrent creates of one name leave exactly one
 * volume and fail the others with EEXIST; a failure leaves nothing.
 */
CONTAINERV_API int containerv_volume_create(const char *name, const struct containerv_volume_options *options);

/* Fills info about a volume; ENOENT when there is none. Free with containerv_volume_info_clear(). */
CONTAINERV_API int containerv_volume_inspect(const char *name, struct containerv_volume_info *info);

/* Frees what an info holds (not the struct). */
CONTAINERV_API void containerv_volume_info_clear(struct containerv_volume_info *info);

/* Calls callback for each volume, by name. A non-zero return stops the walk and is returned. */
CONTAINERV_API int containerv_volume_list(int (*callback)(const struct containerv_volume_info *info, void *user),
                                          void *user);

/* Removes a volume and its data; EBUSY while a container uses it unless force. */
CONTAINERV_API int containerv_volume_remove(const char *name, int force);

/* Removes every volume no container uses; *removed (may be NULL) gets how many. */
CONTAINERV_API int containerv_volume_prune(size_t *removed);

#ifdef __cplusplus
}
#endif

#endif
