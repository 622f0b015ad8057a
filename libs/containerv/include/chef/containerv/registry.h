/*
 * containerv: the registry client. Pull images into the local store, push
 * them from it, and keep registry credentials (login/logout), over the OCI
 * distribution API (docs/registry.md).
 */
#ifndef CHEF_CONTAINERV_REGISTRY_H
#define CHEF_CONTAINERV_REGISTRY_H

#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Pull and push (the registry client). A reference is what `docker pull`
 * takes: "busybox", "registry:5000/ns/name:tag", "name@sha256:...".
 */

/* What a pull or push reports to its progress callback. */
enum containerv_transfer_event {
	CONTAINERV_TRANSFER_RESOLVED = 0,   /* manifest known: digest = the image's manifest, count = its layers */
	CONTAINERV_TRANSFER_LAYER_EXISTS,   /* already there (in the store, or in the registry for a push) */
	CONTAINERV_TRANSFER_LAYER_MOUNTED,  /* push: mounted from another repository of the registry */
	CONTAINERV_TRANSFER_LAYER_PROGRESS, /* current of total bytes moved */
	CONTAINERV_TRANSFER_LAYER_DONE,     /* verified (pull) or accepted (push) */
	CONTAINERV_TRANSFER_UNPACKING,      /* pull: layers are being unpacked */
	CONTAINERV_TRANSFER_DONE,           /* digest = the manifest; name = the reference */
};

struct containerv_transfer_progress {
	enum containerv_transfer_event event;
	const char *name;   /* the full normalized reference */
	const char *digest; /* the layer's (or the manifest's) digest */
	unsigned int index; /* the layer's position, 0-based */
	unsigned int count; /* the number of layers */
	uint64_t current;   /* bytes of this layer so far */
	uint64_t total;     /* the layer's size */
};

/* Called from the calling thread, often (throttle any display yourself). */
typedef void (*containerv_transfer_progress_fn)(const struct containerv_transfer_progress *progress, void *user);

#define CONTAINERV_REGISTRY_OPTIONS_VERSION 1

/* Options of pull, push and login; initialize with CONTAINERV_REGISTRY_OPTIONS_INIT. */
struct containerv_registry_options {
	unsigned int version;     /* CONTAINERV_REGISTRY_OPTIONS_VERSION */
	const char *os;           /* pull: platform to pick from an index; NULL: "linux" */
	const char *architecture; /* NULL: the host's (amd64, arm64...) */
	const char *variant;      /* NULL: the host's default (v8 on arm64), or none */
	int tls_verify;           /* 0: no certificate check, and plain http allowed (insecure registry) */
	const char *cert_dir;     /* directory of *.crt CA files; NULL: /etc/containers/certs.d/HOST */
	const char *username;     /* with password: instead of the auth files */
	const char *password;
	const char *auth_file;     /* NULL: REGISTRY_AUTH_FILE, containerv's login file, ~/.docker/config.json */
	unsigned int max_parallel; /* blobs moved at once; 0: 4 */
	uint64_t chunk_size;       /* push: PATCH chunks of this size; 0: one monolithic PUT per blob */
	containerv_transfer_progress_fn progress; /* may be NULL */
	void *user;                               /* passed to progress */
};

#define CONTAINERV_REGISTRY_OPTIONS_INIT                                                                               \
	{                                                                                                              \
		CONTAINERV_REGISTRY_OPTIONS_VERSION, NULL, NULL, NULL, 1, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL     \
	}

/*
 * Pulls reference into the local store: the manifest (from an index, the
 * one for the options' platform), config and layers (in parallel, each
 * verified while it streams, a partial download resumed), then unpacks the
 * layers and names the image. Nothing unverified enters the store; a pull
 * cut off at any point leaves the store usable and the next pull resumes.
 * Writes the manifest digest to digest (72 bytes) unless it is NULL.
 * Errors name the registry and the object ("registry R: blob D of REPO:
 * digest mismatch"). options may be NULL.
 */
CONTAINERV_API int containerv_image_pull(const char *reference, const struct containerv_registry_options *options,
                                         char *digest);

/*
 * Pushes a local image (any name, id or digest the store resolves) to
 * destination (a reference; NULL: the image's own name): blobs the registry
 * has are skipped, others mounted from the image's source repository on the
 * same registry when possible or uploaded; an index after its children.
 */
CONTAINERV_API int containerv_image_push(const char *image, const char *destination,
                                         const struct containerv_registry_options *options);

/*
 * Checks username/password against registry ("host[:port]", or "docker.io")
 * and on success stores them in the login file (options->auth_file, else
 * $REGISTRY_AUTH_FILE, else ~/.config/containerv/auth.json; mode 0600).
 * EACCES when the registry refuses them.
 */
CONTAINERV_API int containerv_registry_login(const char *registry, const char *username, const char *password,
                                             const struct containerv_registry_options *options);

/* Removes registry's entry from the login file (auth_file as for login). ENOENT when it has none. */
CONTAINERV_API int containerv_registry_logout(const char *registry, const char *auth_file);

/* The tags of repository reference ("host/name") as a NULL-terminated list; free with containerv_strings_free(). */
CONTAINERV_API int containerv_registry_tags(const char *reference, const struct containerv_registry_options *options,
                                            char ***tags);

#ifdef __cplusplus
}
#endif

#endif
