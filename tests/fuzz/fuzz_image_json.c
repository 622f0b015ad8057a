/*
 * Fuzz harness: image manifests and configs (hostile JSON from registries
 * and archives). Accepted manifests must hold only valid digests.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/digest.h"
#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_manifest manifest;
	struct cv_image_config config;

	if (cv_manifest_parse((const char *)data, size, &manifest) == 0) {
		if (!cv_digest_is_valid(manifest.config.digest))
			abort();
		for (size_t i = 0; i < manifest.layer_count; i++)
			if (!cv_digest_is_valid(manifest.layers[i].digest) || manifest.layers[i].size < 0)
				abort();
		cv_manifest_clear(&manifest);
	}
	if (cv_image_config_parse((const char *)data, size, &config) == 0) {
		for (size_t i = 0; i < config.diff_id_count; i++)
			if (!cv_digest_is_valid(config.diff_ids[i]))
				abort();
		cv_image_config_clear(&config);
	}
	return 0;
}
