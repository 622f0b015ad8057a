/*
 * A commit: a container's changes as a new layer on top of its image. The
 * backend writes the changes as an OCI layer tar (linux/commit.c: from the
 * overlay upper directory); here they become a blob, an unpacked layer, a
 * config with the new diff_id and the changes, a manifest and a name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv/image.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/image-commit.h"
#include "image/image-private.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store-private.h"
#include "image/image-options.h"
#include "image/store.h"
#include "image/unpack.h"

static json_t *strv_json(const char *const *strv)
{
	json_t *array = json_array();

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

/* The base config with the new diff_id, a history entry and the changes. */
static char *new_config(const char *base_text, const char *diff_id, const char *created,
                        const struct containerv_import_options *changes)
{
	json_t *root = json_loads(base_text, 0, NULL), *config, *history;
	char *text;

	if (!json_is_object(root)) {
		json_decref(root);
		return NULL;
	}
	json_array_append_new(json_object_get(json_object_get(root, "rootfs"), "diff_ids"), json_string(diff_id));
	json_object_set_new(root, "created", json_string(created));
	history = json_object_get(root, "history");
	if (!json_is_array(history)) {
		history = json_array();
		json_object_set_new(root, "history", history);
	}
	json_array_append_new(history, json_pack("{s:s, s:s}", "created", created, "created_by", "containerv commit"));
	config = json_object_get(root, "config");
	if (!json_is_object(config)) {
		config = json_object();
		json_object_set_new(root, "config", config);
	}
	if (changes != NULL && changes->cmd != NULL)
		json_object_set_new(config, "Cmd", strv_json(changes->cmd));
	if (changes != NULL && changes->entrypoint != NULL)
		json_object_set_new(config, "Entrypoint", strv_json(changes->entrypoint));
	if (changes != NULL && changes->env != NULL)
		json_object_set_new(config, "Env", strv_json(changes->env));
	if (changes != NULL && changes->working_dir != NULL)
		json_object_set_new(config, "WorkingDir", json_string(changes->working_dir));
	if (changes != NULL && changes->user != NULL)
		json_object_set_new(config, "User", json_string(changes->user));
	cv_image_config_set_exposed(config, changes);
	cv_image_config_set_labels(config, changes);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

static int commit_locked(struct cv_store *store, const struct cv_commit_source *c, const char *name,
                         const struct containerv_import_options *changes, char *digest_out)
{
	struct cv_unpack_limits limits = CV_UNPACK_LIMITS_DEFAULT;
	struct cv_unpack_result result;
	cleanup_free char *base_manifest = NULL, *base_config = NULL, *config_text = NULL, *manifest_text = NULL;
	cleanup_free char(*chain_ids)[72] = NULL;
	cleanup_close int tar_fd = -1, blob_fd = -1, layers_fd = -1;
	char temporary[160], layer_digest[72], config_digest[72], manifest_digest[72], blob[96];
	char chain[72], joined[150], layers_path[PATH_MAX], created[40];
	struct cv_manifest manifest;
	struct cv_image_config config;
	size_t length = 0, count = 0;
	uint64_t size = 0;
	json_t *manifest_json;
	bool docker;
	int ret = -1;

	if (c->image_digest == NULL)
		return cv_error_errno(EINVAL, "commit %s: created from a root filesystem, not an image", c->name);
	if (cv_store_load_image(store, c->image_digest, &manifest, &config) != 0)
		return cv_error_prefix("commit %s", c->name);
	docker = strcmp(manifest.media_type, CV_MEDIA_DOCKER_MANIFEST) == 0;
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	char base_digest[72];
	if (cv_store_image_chain_ids(store, c->image_digest, &chain_ids, &count) != 0 ||
	    cv_store_platform_manifest(store, c->image_digest, base_digest, NULL, NULL) != 0 ||
	    cv_store_read_blob(store, base_digest, CV_STORE_MANIFEST_MAX, &base_manifest, &length) != 0)
		return -1;
	manifest_json = json_loads(base_manifest, 0, NULL);
	const char *base_config_digest =
	        json_string_value(json_object_get(json_object_get(manifest_json, "config"), "digest"));
	if (base_config_digest == NULL ||
	    cv_store_read_blob(store, base_config_digest, CV_STORE_CONFIG_MAX, &base_config, &length) != 0) {
		json_decref(manifest_json);
		return cv_error_prefix("commit %s", c->name);
	}
	/* The layer: the backend's tar of the changes in ingest/, stored as a blob, unpacked like any layer. */
	cv_store_temporary_name("ingest/.put-commit-", temporary, sizeof temporary);
	tar_fd = openat(cv_store_dirfd(store), temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (tar_fd < 0) {
		cv_error_sys("commit %s: open %s", c->name, temporary);
		goto out;
	}
	if (c->write_layer(c->user, tar_fd) != 0 || lseek(tar_fd, 0, SEEK_SET) < 0 ||
	    cv_store_put_blob_fd(store, tar_fd, 64ull << 30, NULL, layer_digest, &size) != 0)
		goto out;
	cv_store_blob_relative(layer_digest, blob);
	blob_fd = openat(cv_store_dirfd(store), blob, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	layers_fd = openat(cv_store_dirfd(store), "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (blob_fd < 0 || layers_fd < 0) {
		cv_error_sys("commit %s: open the layer", c->name);
		goto out;
	}
	/* An uncompressed layer: its digest is its diff_id. chain = sha256(parent chain + " " + diff_id). */
	snprintf(joined, sizeof joined, "%s %s", chain_ids[count - 1], layer_digest);
	if (cv_digest_buffer(joined, strlen(joined), chain) != 0)
		goto out;
	snprintf(layers_path, sizeof layers_path, "%s/layers", cv_store_path(store));
	if (cv_unpack_layer(layers_fd, layers_path, blob_fd, chain, layer_digest, &limits, &result) != 0)
		goto out;
	{
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(created + strlen(created), sizeof created - strlen(created), ".%09ldZ", now.tv_nsec);
	}
	config_text = new_config(base_config, layer_digest, created, changes);
	if (config_text == NULL) {
		cv_error_errno(EINVAL, "commit %s: the image config is not an object", c->name);
		goto out;
	}
	if (cv_store_put_blob(store, config_text, strlen(config_text), NULL, config_digest) != 0)
		goto out;
	json_object_set_new(json_object_get(manifest_json, "config"), "digest", json_string(config_digest));
	json_object_set_new(json_object_get(manifest_json, "config"), "size",
	                    json_integer((json_int_t)strlen(config_text)));
	json_array_append_new(json_object_get(manifest_json, "layers"),
	                      json_pack("{s:s, s:s, s:I}", "mediaType",
	                                docker ? "application/vnd.docker.image.rootfs.diff.tar" : CV_MEDIA_OCI_LAYER,
	                                "digest", layer_digest, "size", (json_int_t)size));
	json_object_del(manifest_json, "annotations");
	manifest_text = json_dumps(manifest_json, JSON_COMPACT);
	if (manifest_text == NULL ||
	    cv_store_put_blob(store, manifest_text, strlen(manifest_text), NULL, manifest_digest) != 0 ||
	    cv_store_tag(store, name, manifest_digest, docker ? CV_MEDIA_DOCKER_MANIFEST : CV_MEDIA_OCI_MANIFEST,
	                 (int64_t)strlen(manifest_text)) != 0)
		goto out;
	if (digest_out != NULL)
		memcpy(digest_out, manifest_digest, 72);
	ret = 0;
out:
	json_decref(manifest_json);
	unlinkat(cv_store_dirfd(store), temporary, 0);
	return ret;
}

int cv_image_commit(const struct cv_commit_source *source, const char *name,
                    const struct containerv_import_options *changes, char *digest)
{
	struct cv_store *store = NULL;
	struct cv_reference ref;
	cleanup_free char *normalized = NULL;
	int ret;

	cv_error_clear();
	if (name == NULL)
		return cv_error_errno(EINVAL, "commit: missing argument");
	if (cv_image_changes_check(changes, "commit") != 0)
		return -1;
	if (cv_reference_parse(name, &ref) != 0)
		return cv_error_prefix("commit");
	ret = ref.digest != NULL ? cv_error_errno(EINVAL, "commit: the name \"%s\" cannot hold a digest", name)
	                         : cv_reference_format(&ref, &normalized);
	cv_reference_clear(&ref);
	if (ret != 0)
		return -1;
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	ret = commit_locked(store, source, normalized, changes, digest);
	cv_store_close(store);
	return ret;
}
