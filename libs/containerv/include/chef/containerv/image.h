/*
 * containerv: images.
 *
 * The local image store is an OCI image layout under <root>/images
 * (docs/images.md): content-addressed blobs, index.json for names, and
 * each layer unpacked once into layers/<chain id>/, shared by every
 * container as an OverlayFS lower layer. Names are references normalized
 * as docker does ("busybox" is "docker.io/library/busybox:latest").
 */
#ifndef CHEF_CONTAINERV_IMAGE_H
#define CHEF_CONTAINERV_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;

#define CONTAINERV_IMAGE_INFO_VERSION 1

/* What containerv_image_inspect() and containerv_image_list() report. */
struct containerv_image_info {
	unsigned int version;   /* set by the caller to CONTAINERV_IMAGE_INFO_VERSION */
	int disk_usage;         /* set by the caller for inspect: 1 fills unpacked_size (walks the layers) */
	char id[72];            /* the config digest, "sha256:<hex>" (docker's image id) */
	char digest[72];        /* the manifest digest */
	char **names;           /* every name pointing at this manifest, NULL-terminated */
	int64_t created_ns;     /* from the config's "created"; 0 when absent */
	uint64_t size;          /* bytes of the layer blobs (compressed, as stored) */
	uint64_t unpacked_size; /* bytes of the unpacked layers on disk (see disk_usage) */
	size_t layer_count;
	char architecture[32];
	char os[32];
	char **entrypoint, **cmd, **env, **labels, **volumes, **exposed_ports; /* NULL-terminated or NULL */
	char *working_dir, *user, *stop_signal;                                /* NULL when unset */
	char **layers;                                                         /* diff ids, lowest first */
	char **used_by; /* ids of the containers created from it */
};

/* Frees what an info holds (not the struct). Accepts a zeroed info. */
CONTAINERV_API void containerv_image_info_clear(struct containerv_image_info *info);

/*
 * Fills info for an image named by a reference ("busybox", "host:5000/x:1",
 * "x@sha256:..."), an image id or a unique prefix of one, or a manifest
 * digest. ENOENT ("image NAME: not found") when there is none.
 */
CONTAINERV_API int containerv_image_inspect(const char *image, struct containerv_image_info *info);

/*
 * Calls callback for each image (one call per manifest, with all its names,
 * unpacked_size filled). Non-zero stops and is returned.
 */
CONTAINERV_API int containerv_image_list(int (*callback)(const struct containerv_image_info *info, void *user),
                                         void *user);

/* One row of an image's history (`docker history`), valid during the callback only. */
struct containerv_image_history {
	int64_t created_ns;     /* 0 when the config does not say */
	const char *created_by; /* the command that made it; "" when unknown */
	const char *comment;    /* "" when none */
	int empty_layer;        /* 1: it changed the config only, no layer */
	uint64_t size;          /* bytes of its layer blob as stored (0 for an empty layer) */
};

/* Non-zero stops the history and makes containerv_image_history() return -1 (no message). */
typedef int (*containerv_image_history_fn)(const struct containerv_image_history *entry, void *user);

/*
 * Calls callback for each entry of an image's history, newest first, as
 * `docker history` lists them. An image whose config has no history gets
 * one row per layer with nothing but its size. ENOENT: no such image.
 */
CONTAINERV_API int containerv_image_history(const char *image, containerv_image_history_fn callback, void *user);

/* Gives the image named source the additional name target (a reference; normalized). */
CONTAINERV_API int containerv_image_tag(const char *source, const char *target);

enum containerv_image_remove_flags {
	CV_IMAGE_REMOVE_FORCE = 0x1, /* also when containers use it (they keep their layers until GC finds them gone) */
};

/*
 * Removes a name (a reference) or, given an id, every name of that image;
 * refused with EBUSY while a container uses an image losing its last name,
 * unless CV_IMAGE_REMOVE_FORCE. Blobs and layers nobody names any more are
 * then garbage collected (containerv_image_gc). Writes the manifest digest
 * that lost its name(s) to untagged (72 bytes) when not NULL.
 */
CONTAINERV_API int containerv_image_remove(const char *image, unsigned int flags, char *untagged);

/* What containerv_image_gc() removed. */
struct containerv_image_gc_result {
	uint64_t blobs_removed;
	uint64_t layers_removed;
	uint64_t bytes_freed;
};

/*
 * Mark and sweep under the store's exclusive lock (a concurrent pull or
 * run waits, or is waited for): keeps what index.json's names reach
 * (manifests, configs, layer blobs, unpacked layers) and every layer a
 * container uses; removes the other blobs, layers, temporaries and stale
 * partial downloads. result may be NULL.
 */
CONTAINERV_API int containerv_image_gc(struct containerv_image_gc_result *result);

/* Removes the names of images no container uses, then collects (`image prune -a`). */
CONTAINERV_API int containerv_image_prune(struct containerv_image_gc_result *result);

/* 2 added exposed_ports; version 1 callers keep working. */
#define CONTAINERV_IMPORT_OPTIONS_VERSION 3

/* The config of an imported image (docker import --change). Initialise with CONTAINERV_IMPORT_OPTIONS_INIT. */
struct containerv_import_options {
	unsigned int version;             /* CONTAINERV_IMPORT_OPTIONS_VERSION */
	const char *const *cmd;           /* NULL-terminated or NULL */
	const char *const *entrypoint;    /* NULL-terminated or NULL */
	const char *const *env;           /* "KEY=VALUE", NULL-terminated or NULL */
	const char *working_dir;          /* absolute, or NULL */
	const char *user;                 /* "uid[:gid]" or a name, or NULL */
	const char *const *exposed_ports; /* "80/tcp", "53/udp" (docker's EXPOSE), NULL-terminated or NULL */
	/* Version 3: */
	const char *const *labels; /* "KEY=VALUE" (docker's LABEL), added to the image's; NULL-terminated or NULL */
};

#define CONTAINERV_IMPORT_OPTIONS_INIT                                                                                 \
	{                                                                                                              \
		CONTAINERV_IMPORT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL                            \
	}

/*
 * Makes a one-layer image from a rootfs directory or a tar (plain, gzip or
 * zstd) at path, named name (a reference), with the config of options
 * (may be NULL). Writes its manifest digest to digest (72 bytes) when not
 * NULL. The layer is unpacked: ready to run.
 */
CONTAINERV_API int containerv_image_import(const char *path, const char *name,
                                           const struct containerv_import_options *options, char *digest);

struct containerv_container;

/*
 * Makes a new image named name from a container's changes: its image's
 * layers plus one layer of what the container wrote (its overlay upper
 * directory, with whiteouts and opaque directories in OCI form), with the
 * image's config changed by changes (may be NULL). The container may be
 * running (it is not paused: commit a stopped one for a consistent layer).
 * EINVAL for a container made from a root filesystem rather than an image.
 */
CONTAINERV_API int containerv_image_commit(struct containerv_container *container, const char *name,
                                           const struct containerv_import_options *changes, char *digest);

enum containerv_archive_format {
	CV_ARCHIVE_OCI = 1,    /* OCI image layout in a tar (oci-archive) */
	CV_ARCHIVE_DOCKER = 2, /* docker save's format (manifest.json; docker-archive) */
};

/*
 * Loads the images of an archive read from fd (OCI or docker archive,
 * detected; plain or gzip'ed) into the store, verifying every blob, and
 * unpacks them. Calls callback with each name loaded (may be NULL).
 */
CONTAINERV_API int containerv_image_load(containerv_fd_t fd, int (*callback)(const char *name, void *user), void *user);

/* Writes the named images as one archive to fd (names NULL-terminated). */
CONTAINERV_API int containerv_image_save(const char *const *names, enum containerv_archive_format format,
                                         containerv_fd_t fd);

/* Disk usage of the store (`system df`). */
struct containerv_image_df {
	uint64_t images, images_in_use;
	uint64_t blob_bytes;        /* every blob */
	uint64_t layer_bytes;       /* unpacked layers */
	uint64_t reclaimable_bytes; /* what GC plus prune would free */
};

CONTAINERV_API int containerv_image_df(struct containerv_image_df *df);

/*
 * Makes options run an image: resolves it (unpacking layers not unpacked
 * yet), sets its layers as the root filesystem and applies its config
 * where the caller has not set the item: Env (keys not set), WorkingDir,
 * User, Labels (keys not set), StopSignal; Entrypoint and Cmd at create
 * (argv = Entrypoint + (the command set, else Cmd)); Volumes become
 * anonymous volumes at create where no mount is. The container records
 * the image name and digest, so rmi and GC know it is in use.
 */
CONTAINERV_API int containerv_options_set_image(struct containerv_options *options, const char *image);

/*
 * Replaces the image's Entrypoint (docker's --entrypoint); an empty vector
 * (argv[0] == NULL) clears it. Any order with set_image.
 */
CONTAINERV_API int containerv_options_set_entrypoint(struct containerv_options *options, const char *const *argv);

#ifdef __cplusplus
}
#endif

/* Pull, push, login and logout (the registry client): chef/containerv/registry.h. */
#include <chef/containerv/registry.h>

#endif
