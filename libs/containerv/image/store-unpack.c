/*
 * cv_store_unpack_image: every layer of a manifest not unpacked yet goes
 * to layers/<chainid>/. The chain id names a layer together with all the
 * layers under it, so two images sharing a base share its directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/image-private.h"
#include "image/manifest.h"
#include "image/store-private.h"
#include "image/store.h"
#include "image/unpack.h"

int cv_store_platform_manifest(struct cv_store *store, const char *digest, char out[72], char **media_type,
                               int64_t *size)
{
	cleanup_free char *text = NULL;
	size_t length = 0;
	json_t *root, *manifests, *child, *chosen = NULL;
	const char *type;
	size_t i;

	if (cv_store_read_trusted_blob(store, digest, CV_STORE_MANIFEST_MAX, &text, &length) != 0)
		return -1;
	root = json_loadb(text, length, 0, NULL);
	type = json_string_value(json_object_get(root, "mediaType"));
	manifests = json_object_get(root, "manifests");
	if (!json_is_array(manifests) || json_object_get(root, "layers") != NULL) {
		memcpy(out, digest, 72);
		if (media_type != NULL)
			*media_type = cv_strdup(type != NULL ? type : CV_MEDIA_OCI_MANIFEST);
		if (size != NULL)
			*size = (int64_t)length;
		json_decref(root);
		return media_type == NULL || *media_type != NULL ? 0 : -1;
	}
	json_array_foreach(manifests, i, child)
	{
		json_t *platform = json_object_get(child, "platform");
		const char *os = json_string_value(json_object_get(platform, "os"));
		const char *architecture = json_string_value(json_object_get(platform, "architecture"));
		if ((os == NULL || strcmp(os, "linux") == 0) &&
		    (architecture == NULL || strcmp(architecture, cv_image_host_architecture()) == 0)) {
			chosen = child;
			break;
		}
	}
	if (chosen == NULL || !cv_digest_is_valid(json_string_value(json_object_get(chosen, "digest")))) {
		json_decref(root);
		return cv_error_errno(ENOENT, "index %s: no manifest for linux/%s", digest,
		                      cv_image_host_architecture());
	}
	memcpy(out, json_string_value(json_object_get(chosen, "digest")), 72);
	type = json_string_value(json_object_get(chosen, "mediaType"));
	if (media_type != NULL)
		*media_type = cv_strdup(type != NULL ? type : CV_MEDIA_OCI_MANIFEST);
	if (size != NULL)
		*size = json_integer_value(json_object_get(chosen, "size"));
	json_decref(root);
	if (!cv_store_blob_exists(store, out)) {
		if (media_type != NULL) {
			free(*media_type);
			*media_type = NULL;
		}
		return cv_error_errno(ENOENT, "index %s: manifest %s for linux/%s is not in the store", digest, out,
		                      cv_image_host_architecture());
	}
	return media_type == NULL || *media_type != NULL ? 0 : -1;
}

/* Read a manifest (an index: its manifest for this host) and its config, checked against each other. */
int cv_store_load_image(struct cv_store *store, const char *named_digest, struct cv_manifest *manifest,
                        struct cv_image_config *config)
{
	cleanup_free char *manifest_text = NULL, *config_text = NULL;
	char manifest_digest[72];
	size_t length = 0;

	memset(manifest, 0, sizeof *manifest);
	memset(config, 0, sizeof *config);
	if (cv_store_platform_manifest(store, named_digest, manifest_digest, NULL, NULL) != 0)
		return cv_error_prefix("image %s", named_digest);
	if (cv_store_read_trusted_blob(store, manifest_digest, CV_STORE_MANIFEST_MAX, &manifest_text, &length) != 0 ||
	    cv_manifest_parse(manifest_text, length, manifest) != 0)
		return cv_error_prefix("image %s", manifest_digest);
	if (cv_store_read_trusted_blob(store, manifest->config.digest, CV_STORE_CONFIG_MAX, &config_text, &length) !=
	            0 ||
	    cv_image_config_parse(config_text, length, config) != 0) {
		cv_manifest_clear(manifest);
		return cv_error_prefix("image %s", manifest_digest);
	}
	if (config->diff_id_count != manifest->layer_count) {
		cv_manifest_clear(manifest);
		cv_image_config_clear(config);
		return cv_error_errno(EINVAL, "image %s: %zu layers but %zu diff_ids in the config", manifest_digest,
		                      manifest->layer_count, config->diff_id_count);
	}
	return 0;
}

/*
 * An image's chain ids, from the cache <store>/chains/<config hex> (one per line) when it is there:
 * computing them hashes, which a container start should not. The config digest names the diff_ids, so
 * the cache never goes stale; a missing or malformed one is computed and written again.
 */
static int image_chain_ids(struct cv_store *store, const struct cv_manifest *manifest,
                           const struct cv_image_config *config, char (*chain_ids)[72])
{
	char relative[128];
	cleanup_free char *text = NULL;
	size_t count = config->diff_id_count, i = 0;

	snprintf(relative, sizeof relative, "chains/%s", cv_digest_hex(manifest->config.digest));
	if (cv_read_file_at(store->dir_fd, relative, &text, NULL, count * 72 + 1) == 0) {
		for (char *save = NULL, *line = strtok_r(text, "\n", &save); line != NULL && i <= count;
		     line = strtok_r(NULL, "\n", &save), i++)
			if (i < count && cv_digest_is_valid(line))
				memcpy(chain_ids[i], line, 72);
			else
				break;
		if (i == count)
			return 0;
	}
	cv_error_clear();
	if (cv_chain_ids(config->diff_ids, count, chain_ids) != 0)
		return -1;
	/* Best effort: without the cache the next start hashes again. */
	cleanup_free char *lines = cv_malloc0(count * 72 + 1);
	if (lines != NULL && (mkdirat(store->dir_fd, "chains", 0700) == 0 || errno == EEXIST)) {
		for (i = 0; i < count; i++) {
			strcat(lines, chain_ids[i]);
			strcat(lines, "\n");
		}
		cv_write_file_atomic_at(store->dir_fd, relative, lines, strlen(lines), 0600);
	}
	cv_error_clear();
	return 0;
}

static bool layer_exists(struct cv_store *store, const char *chain_id)
{
	char relative[96];
	struct stat st;

	snprintf(relative, sizeof relative, "layers/%s", cv_digest_hex(chain_id));
	return fstatat(store->dir_fd, relative, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int cv_store_unpack_image(struct cv_store *store, const char *manifest_digest)
{
	struct cv_unpack_limits limits = CV_UNPACK_LIMITS_DEFAULT;
	struct cv_manifest manifest;
	struct cv_image_config config;
	cleanup_free char(*chain_ids)[72] = NULL;
	cleanup_close int layers_fd = -1;
	char layers_path[PATH_MAX];
	int ret = -1;

	if (cv_store_load_image(store, manifest_digest, &manifest, &config) != 0)
		return -1;
	chain_ids = cv_malloc0((config.diff_id_count + 1) * sizeof *chain_ids);
	if (chain_ids == NULL || image_chain_ids(store, &manifest, &config, chain_ids) != 0)
		goto out;
	snprintf(layers_path, sizeof layers_path, "%s/layers", store->path);
	layers_fd = openat(store->dir_fd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (layers_fd < 0) {
		cv_error_sys("open %s", layers_path);
		goto out;
	}
	for (size_t i = 0; i < manifest.layer_count; i++) {
		char blob[96];
		cleanup_close int blob_fd = -1;

		if (layer_exists(store, chain_ids[i]))
			continue;
		cv_store_blob_relative(manifest.layers[i].digest, blob);
		blob_fd = openat(store->dir_fd, blob, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (blob_fd < 0) {
			cv_error_sys("image %s: layer %s", manifest_digest, manifest.layers[i].digest);
			goto out;
		}
		if (cv_unpack_layer(layers_fd, layers_path, blob_fd, chain_ids[i], config.diff_ids[i], &limits, NULL) !=
		    0) {
			cv_error_prefix("image %s: layer %zu (%s)", manifest_digest, i, manifest.layers[i].digest);
			goto out;
		}
	}
	ret = 0;
out:
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	return ret;
}

int cv_store_image_chain_ids(struct cv_store *store, const char *manifest_digest, char (**chain_ids)[72], size_t *count)
{
	struct cv_manifest manifest;
	struct cv_image_config config;
	char(*ids)[72];

	if (cv_store_load_image(store, manifest_digest, &manifest, &config) != 0)
		return -1;
	ids = cv_malloc0((config.diff_id_count + 1) * sizeof *ids);
	if (ids == NULL || image_chain_ids(store, &manifest, &config, ids) != 0) {
		free(ids);
		cv_manifest_clear(&manifest);
		cv_image_config_clear(&config);
		return -1;
	}
	*chain_ids = ids;
	*count = config.diff_id_count;
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	return 0;
}
