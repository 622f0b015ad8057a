/*
 * containerv_image_push: a local image to a registry. Blobs first (skipped
 * when the registry has them, mounted from the image's source repository
 * on the same registry when it can, uploaded otherwise), then the manifest;
 * an index after each of its child manifests (distribution refuses an index
 * whose children are missing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv/registry.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/store.h"

#define INDEX_DEPTH_MAX 2

struct push {
	const struct containerv_registry_options *options;
	struct cv_store *store;
	struct cv_registry *registry;
	const char *name;       /* destination, full */
	const char *repository; /* destination path */
	const char *mount_from; /* source path on the same registry, or NULL */
	const char *digest;     /* the blob being sent */
	unsigned index, count;
	uint64_t total;
};

static void report(const struct push *push, enum containerv_transfer_event event, const char *digest, uint64_t current)
{
	if (push->options->progress == NULL)
		return;
	struct containerv_transfer_progress progress = {
	        .event = event,
	        .name = push->name,
	        .digest = digest,
	        .index = push->index,
	        .count = push->count,
	        .current = current,
	        .total = push->total,
	};
	push->options->progress(&progress, push->options->user);
}

static void upload_progress(uint64_t sent, void *user)
{
	struct push *push = user;
	report(push, CONTAINERV_TRANSFER_LAYER_PROGRESS, push->digest, sent);
}

/*
 * A step of ours (the local store, the image) failed: the destination goes in front. The
 * registry's errors name the registry and the repository already, and go up as they are.
 */
static int local_failed(const struct push *push)
{
	return cv_error_prefix("push %s", push->name);
}

/* The blob's file in the store, open, with the size the manifest gives; -1 (prefixed) when not. */
static int open_local_blob(struct push *push, const struct cv_descriptor *blob, struct stat *st)
{
	char path[PATH_MAX];
	int fd;

	if (cv_store_blob_path(push->store, blob->digest, path, sizeof path) < 0)
		return local_failed(push);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		cv_error_sys("blob %s: not in the local store", blob->digest);
		return local_failed(push);
	}
	if (fstat(fd, st) < 0)
		cv_error_sys("blob %s", blob->digest);
	else if ((uint64_t)st->st_size != (uint64_t)blob->size)
		cv_error_errno(EIO, "blob %s: %lld bytes in the store, the manifest says %lld", blob->digest,
		               (long long)st->st_size, (long long)blob->size);
	else
		return fd;
	close(fd);
	return local_failed(push);
}

static int push_blob(struct push *push, const struct cv_descriptor *blob, bool is_layer)
{
	cleanup_close int fd = -1;
	struct stat st;
	int exists;

	push->digest = blob->digest;
	push->total = (uint64_t)blob->size;
	exists = cv_registry_blob_exists(push->registry, push->repository, blob->digest, NULL);
	if (exists < 0)
		return -1;
	if (exists) {
		if (is_layer)
			report(push, CONTAINERV_TRANSFER_LAYER_EXISTS, blob->digest, push->total);
		return 0;
	}
	fd = open_local_blob(push, blob, &st);
	if (fd < 0)
		return -1;
	/* With a source repository: a mount (201, no upload) or, when refused (202), an upload. */
	int sent = cv_registry_upload_blob(push->registry, push->repository, blob->digest, fd, (uint64_t)st.st_size,
	                                   push->mount_from, push->options->chunk_size,
	                                   is_layer ? upload_progress : NULL, push);
	if (sent < 0)
		return -1;
	if (is_layer && sent == 1) {
		report(push, CONTAINERV_TRANSFER_LAYER_MOUNTED, blob->digest, push->total);
		return 0;
	}
	if (is_layer)
		report(push, CONTAINERV_TRANSFER_LAYER_DONE, blob->digest, push->total);
	return 0;
}

static int push_manifest(struct push *push, const char *digest, const char *reference, int depth);

static int push_index(struct push *push, const char *body, size_t length, const char *reference, int depth)
{
	json_t *root = json_loadb(body, length, 0, NULL);
	json_t *manifests = json_object_get(root, "manifests"), *entry;
	const char *media_type = json_string_value(json_object_get(root, "mediaType"));
	char type[128];
	size_t i;
	int result = 0;

	snprintf(type, sizeof type, "%s", media_type ? media_type : CV_MEDIA_OCI_INDEX);
	if (!json_is_array(manifests) || depth >= INDEX_DEPTH_MAX ||
	    (strcmp(type, CV_MEDIA_OCI_INDEX) != 0 && strcmp(type, CV_MEDIA_DOCKER_LIST) != 0)) {
		json_decref(root);
		cv_error_errno(EINVAL, "image index: malformed");
		return local_failed(push);
	}
	json_array_foreach(manifests, i, entry)
	{
		const char *child = json_string_value(json_object_get(entry, "digest"));
		if (child == NULL || !cv_digest_is_valid(child)) {
			cv_error_errno(EINVAL, "image index: bad digest in manifests[%zu]", i);
			result = local_failed(push);
			break;
		}
		if (!cv_store_blob_exists(push->store, child)) {
			cv_error_errno(ENOENT, "image index: manifest %s is not in the local store", child);
			result = local_failed(push);
			break;
		}
		if (push_manifest(push, child, child, depth + 1) < 0) {
			result = -1;
			break;
		}
	}
	json_decref(root);
	if (result < 0)
		return -1;
	return cv_registry_put_manifest(push->registry, push->repository, reference, type, body, length);
}

static int push_manifest(struct push *push, const char *digest, const char *reference, int depth)
{
	cleanup_free char *body = NULL;
	struct cv_manifest manifest = {0};
	size_t length;
	int result = -1;

	if (cv_store_read_blob(push->store, digest, CV_STORE_MANIFEST_MAX, &body, &length) < 0) {
		cv_error_prefix("manifest %s", digest);
		return local_failed(push);
	}
	if (cv_manifest_parse(body, length, &manifest) < 0) {
		if (errno == EMEDIUMTYPE)
			return push_index(push, body, length, reference, depth);
		cv_error_prefix("manifest %s", digest);
		return local_failed(push);
	}
	push->count = (unsigned)manifest.layer_count;
	for (size_t i = 0; i < manifest.layer_count; i++) {
		push->index = (unsigned)i;
		if (push_blob(push, &manifest.layers[i], true) < 0)
			goto out;
	}
	if (push_blob(push, &manifest.config, false) < 0)
		goto out;
	result = cv_registry_put_manifest(push->registry, push->repository, reference, manifest.media_type, body,
	                                  length);
out:
	cv_manifest_clear(&manifest);
	return result;
}

static int push_image(struct push *push, const char *source_name, const char *manifest_digest,
                      const struct cv_reference *destination)
{
	struct cv_reference source = {0};
	struct cv_registry_options registry_options;
	int result;

	/* Blobs of an image pulled from the same registry can be mounted, not uploaded again. */
	if (source_name != NULL && cv_reference_parse(source_name, &source) == 0 &&
	    strcmp(source.domain, destination->domain) == 0 && strcmp(source.path, destination->path) != 0)
		push->mount_from = source.path;
	cv_pull_registry_options(push->options, &registry_options);
	if (cv_registry_open(destination->domain, &registry_options, &push->registry) < 0) {
		cv_reference_clear(&source);
		return -1;
	}
	push->repository = destination->path;
	result = push_manifest(push, manifest_digest, destination->tag ? destination->tag : destination->digest, 0);
	if (result == 0 && destination->digest != NULL && strcmp(destination->digest, manifest_digest) != 0) {
		cv_error_errno(EINVAL, "the image is %s, not %s", manifest_digest, destination->digest);
		result = local_failed(push);
	}
	if (result == 0)
		report(push, CONTAINERV_TRANSFER_DONE, manifest_digest, 0);
	cv_registry_free(push->registry);
	push->registry = NULL;
	cv_reference_clear(&source);
	return result;
}

CONTAINERV_API int containerv_image_push(const char *image, const char *destination,
                                         const struct containerv_registry_options *options)
{
	const struct containerv_registry_options defaults = CONTAINERV_REGISTRY_OPTIONS_INIT;
	struct cv_reference parsed = {0};
	cleanup_free char *source_name = NULL;
	cleanup_free char *name = NULL;
	char manifest_digest[72];
	struct push push = {0};
	int result = -1;

	cv_error_clear();
	if (options == NULL)
		options = &defaults;
	if (image == NULL)
		return cv_error_errno(EINVAL, "push: no image");
	if (options->version != CONTAINERV_REGISTRY_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "push %s: unknown options version %u", image, options->version);
	push.options = options;
	if (cv_store_open(&push.store) < 0 || cv_store_lock(push.store, LOCK_SH) < 0 ||
	    cv_store_resolve(push.store, image, manifest_digest, &source_name) < 0) {
		cv_error_prefix("push %s", image);
		goto out;
	}
	if (destination == NULL)
		destination = source_name;
	if (destination == NULL) {
		cv_error_errno(EINVAL, "push %s: the image has no name: give a destination", image);
		goto out;
	}
	if (cv_reference_parse(destination, &parsed) < 0 || cv_reference_format(&parsed, &name) < 0) {
		cv_error_prefix("push %s", destination);
		goto out;
	}
	push.name = name;
	/* Its errors say what failed already (the registry's name it, push_image prefixes the local ones). */
	result = push_image(&push, source_name, manifest_digest, &parsed);
out:
	cv_store_close(push.store);
	cv_reference_clear(&parsed);
	return result;
}
