/*
 * Internal: the local image store, an OCI image layout under the state root.
 *
 *   <root>/images/oci-layout, index.json   names: manifests[] annotated with
 *                                          "org.opencontainers.image.ref.name"
 *   <root>/images/blobs/sha256/<hex>       verified content only (renamed in once verified)
 *   <root>/images/ingest/<hex>.partial     partial downloads (kept for a Range resume)
 *   <root>/images/layers/<chainid-hex>/    one unpacked layer, complete once renamed in
 *   <root>/images/lock                     flock: LOCK_SH pull/run/unpack, LOCK_EX GC/rmi
 *   <root>/images/index.lock               flock around each read-modify-write of index.json
 *
 * Every function validates digests before they become paths.
 */
#ifndef CV_IMAGE_STORE_H
#define CV_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/types.h>

#define CV_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CV_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define CV_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define CV_MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define CV_MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define CV_MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define CV_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CV_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define CV_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define CV_MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define CV_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

/* Largest manifest or config the store reads (hostile input is bounded). */
#define CV_STORE_MANIFEST_MAX (4u << 20)
#define CV_STORE_CONFIG_MAX (8u << 20)

struct cv_store;

/* Opens <root>/images, creating the layout (directories, oci-layout, index.json) if missing. */
int cv_store_open(struct cv_store **out);
/* Closes; drops a lock held through cv_store_lock(). Accepts NULL. */
void cv_store_close(struct cv_store *store);
/* flock on <images>/lock: LOCK_SH / LOCK_EX / LOCK_UN (optionally | LOCK_NB); retries on EINTR. */
int cv_store_lock(struct cv_store *store, int operation);

/* "<images>/blobs/sha256/<hex>"; EINVAL for an invalid digest. */
int cv_store_blob_path(struct cv_store *store, const char *digest, char *path, size_t size);
bool cv_store_blob_exists(struct cv_store *store, const char *digest);

/*
 * Partial download of a blob: opens (creating) ingest/<hex>.partial
 * O_RDWR|O_APPEND|O_CLOEXEC and returns its current length, for a Range
 * resume. The fd holds an exclusive flock on the partial file until it is
 * closed: a second download of the same blob (another pull) waits, then
 * gets a fresh partial or the resumed one, never one being appended to.
 * The lock belongs to the open file description: a forked child that
 * keeps a copy of the fd keeps the lock too.
 */
int cv_store_ingest_open(struct cv_store *store, const char *digest, int *fd, uint64_t *offset);
/* The caller has verified digest and size while streaming (prefix included): fsync, rename into blobs/. */
int cv_store_ingest_commit(struct cv_store *store, const char *digest);
/* Drops the partial; no error when there is none. */
int cv_store_ingest_abort(struct cv_store *store, const char *digest);

/* Small blobs (manifests, configs): hash (checked against expected if non-NULL), write atomically. */
int cv_store_put_blob(struct cv_store *store, const void *data, size_t length, const char *expected_digest,
                      char digest_out[72]);
/* Reads a blob of at most max bytes (EFBIG beyond) and verifies its digest (EIO on mismatch). NUL-terminated. */
int cv_store_read_blob(struct cv_store *store, const char *digest, size_t max, char **data, size_t *length);
/* Streams a blob into a new blob file fd-by-fd: hashes while copying from fd, checks expected if non-NULL. */
int cv_store_put_blob_fd(struct cv_store *store, int fd, uint64_t max, const char *expected_digest, char digest_out[72],
                         uint64_t *size_out);
/* The same from a reader (returns bytes, 0 at the end, -1 with the last error set). */
int cv_store_put_blob_stream(struct cv_store *store, ssize_t (*reader)(void *user, void *buffer, size_t size),
                             void *user, uint64_t max, const char *expected_digest, char digest_out[72],
                             uint64_t *size_out);

/* Points name (a full normalized reference) at a manifest (atomic rewrite of index.json). */
int cv_store_tag(struct cv_store *store, const char *name, const char *manifest_digest, const char *media_type,
                 int64_t size);
/* Removes name from index.json; ENOENT when it is not there. */
int cv_store_untag(struct cv_store *store, const char *name);

/* One name of index.json. */
struct cv_store_name {
	char *name;
	char digest[72];
	char *media_type;
	int64_t size;
};
/* Every name (manifests[] entries with a valid digest and a ref.name), in file order. */
int cv_store_names(struct cv_store *store, struct cv_store_name **names, size_t *count);
void cv_store_names_free(struct cv_store_name *names, size_t count);

/*
 * Finds an image: a reference (normalized first; a digest reference
 * matches any name of that repository pointing at that manifest), a full
 * or unique-prefix image id (config digest hex) or manifest digest.
 * Writes the manifest digest and, when name_out is not NULL, the name.
 * ENOENT "image NAME: not found" when nothing matches.
 */
int cv_store_resolve(struct cv_store *store, const char *text, char manifest_digest[72], char **name_out);

/*
 * Unpacks every layer of a single-platform image manifest (OCI or Docker
 * schema2) that is not unpacked yet into layers/<chainid>/ (once; atomic;
 * whiteouts converted; each diff_id checked). The caller holds the store
 * lock (LOCK_SH) so that GC cannot sweep the blobs meanwhile.
 */
int cv_store_unpack_image(struct cv_store *store, const char *manifest_digest);

/*
 * The single-platform manifest a name's digest stands for: itself, or for
 * an image index the manifest of this host's platform (linux/<arch>),
 * which must be in the store. media_type (freed by the caller) and size
 * may be NULL.
 */
int cv_store_platform_manifest(struct cv_store *store, const char *digest, char out[72], char **media_type,
                               int64_t *size);

struct cv_manifest;
struct cv_image_config;
/* Reads and parses a manifest (an index: this host's) and its config (verified blobs, layer count = diff_id count). */
int cv_store_load_image(struct cv_store *store, const char *manifest_digest, struct cv_manifest *manifest,
                        struct cv_image_config *config);
/* The chain ids of an image's layers, lowest first (freed by the caller). */
int cv_store_image_chain_ids(struct cv_store *store, const char *manifest_digest, char (**chain_ids)[72],
                             size_t *count);

/* "<images>/layers/<hex of chain id>". */
int cv_store_layer_path(struct cv_store *store, const char *chain_id, char *path, size_t size);
/* "<images>" */
const char *cv_store_path(struct cv_store *store);
/* The images directory fd (O_PATH-free, O_DIRECTORY). */
int cv_store_dirfd(struct cv_store *store);

#endif
