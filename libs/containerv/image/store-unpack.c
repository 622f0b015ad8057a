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

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/store-private.h"
#include "image/store.h"
#include "image/unpack.h"

/* Read a manifest and its config, checked against each other. */
int cv_store_load_image(struct cv_store *store, const char *manifest_digest, struct cv_manifest *manifest,
                        struct cv_image_config *config)
{
	cleanup_free char *manifest_text = NULL, *config_text = NULL;
	size_t length = 0;

	memset(manifest, 0, sizeof *manifest);
	memset(config, 0, sizeof *config);
	if (cv_store_read_blob(store, manifest_digest, CV_STORE_MANIFEST_MAX, &manifest_text, &length) != 0 ||
	    cv_manifest_parse(manifest_text, length, manifest) != 0)
		return cv_error_prefix("image %s", manifest_digest);
	if (cv_store_read_blob(store, manifest->config.digest, CV_STORE_CONFIG_MAX, &config_text, &length) != 0 ||
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
	if (chain_ids == NULL || cv_chain_ids(config.diff_ids, config.diff_id_count, chain_ids) != 0)
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
	if (ids == NULL || cv_chain_ids(config.diff_ids, config.diff_id_count, ids) != 0) {
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
