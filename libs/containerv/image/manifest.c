/*
 * Manifest and config parsing. Every field is type-checked; anything a
 * later step turns into a path (digests) is validated here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/store.h"

const char *cv_printable(const char *text, char *buffer, size_t size)
{
	size_t i;

	if (text == NULL) {
		snprintf(buffer, size, "(null)");
		return buffer;
	}
	for (i = 0; i + 1 < size && text[i] != '\0'; i++)
		buffer[i] = (unsigned char)text[i] < ' ' || (unsigned char)text[i] >= 0x7f ? '?' : text[i];
	buffer[i] = '\0';
	return buffer;
}

static int parse_descriptor(json_t *object, const char *what, struct cv_descriptor *out)
{
	const char *digest = json_string_value(json_object_get(object, "digest"));
	const char *media_type = json_string_value(json_object_get(object, "mediaType"));
	json_t *size = json_object_get(object, "size");

	if (!json_is_object(object))
		return cv_error_errno(EINVAL, "%s: not an object", what);
	char shown[80];

	if (!cv_digest_is_valid(digest))
		return cv_error_errno(EINVAL, "%s: invalid or unsupported digest \"%s\"", what,
		                      digest != NULL ? cv_printable(digest, shown, sizeof shown) : "(none)");
	if (media_type == NULL)
		return cv_error_errno(EINVAL, "%s: no mediaType", what);
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return cv_error_errno(EINVAL, "%s: size missing or negative", what);
	memcpy(out->digest, digest, 72);
	out->size = json_integer_value(size);
	out->media_type = cv_strdup(media_type);
	return out->media_type != NULL ? 0 : -1;
}

int cv_layer_media_compression(const char *media_type)
{
	if (strcmp(media_type, CV_MEDIA_OCI_LAYER_GZIP) == 0 || strcmp(media_type, CV_MEDIA_DOCKER_LAYER) == 0 ||
	    strcmp(media_type, "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") == 0 ||
	    strcmp(media_type, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") == 0)
		return CV_LAYER_GZIP;
	if (strcmp(media_type, CV_MEDIA_OCI_LAYER_ZSTD) == 0)
		return CV_LAYER_ZSTD;
	if (strcmp(media_type, CV_MEDIA_OCI_LAYER) == 0 ||
	    strcmp(media_type, "application/vnd.docker.image.rootfs.diff.tar") == 0)
		return CV_LAYER_UNCOMPRESSED;
	return -1;
}

int cv_manifest_parse(const char *text, size_t length, struct cv_manifest *out)
{
	json_error_t error;
	json_t *root, *layers, *layer;
	const char *media_type;
	size_t i;

	memset(out, 0, sizeof *out);
	root = json_loadb(text, length, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return cv_error_errno(EINVAL, "manifest: not a JSON object (%s)", root == NULL ? error.text : "");
	}
	media_type = json_string_value(json_object_get(root, "mediaType"));
	/* OCI manifests may omit mediaType; they are recognized by config + layers. */
	if (media_type == NULL && json_integer_value(json_object_get(root, "schemaVersion")) == 2 &&
	    json_object_get(root, "config") != NULL)
		media_type = CV_MEDIA_OCI_MANIFEST;
	if (media_type != NULL &&
	    (strcmp(media_type, CV_MEDIA_OCI_INDEX) == 0 || strcmp(media_type, CV_MEDIA_DOCKER_LIST) == 0 ||
	     (json_object_get(root, "manifests") != NULL && json_object_get(root, "layers") == NULL))) {
		json_decref(root);
		return cv_error_errno(EMEDIUMTYPE, "manifest: is an image index, not a single-platform manifest");
	}
	if (media_type == NULL ||
	    (strcmp(media_type, CV_MEDIA_OCI_MANIFEST) != 0 && strcmp(media_type, CV_MEDIA_DOCKER_MANIFEST) != 0)) {
		/* The message first: media_type lives in root. */
		char shown[100];
		cv_error_errno(EINVAL, "manifest: unsupported media type \"%s\"",
		               media_type != NULL ? cv_printable(media_type, shown, sizeof shown) : "(none)");
		json_decref(root);
		return -1;
	}
	out->media_type = cv_strdup(media_type);
	if (out->media_type == NULL ||
	    parse_descriptor(json_object_get(root, "config"), "manifest config", &out->config) != 0)
		goto fail;
	layers = json_object_get(root, "layers");
	if (!json_is_array(layers)) {
		cv_error_errno(EINVAL, "manifest: layers is not an array");
		goto fail;
	}
	if (json_array_size(layers) > CV_MANIFEST_MAX_LAYERS) {
		cv_error_errno(EINVAL, "manifest: %zu layers, more than %d", json_array_size(layers),
		               CV_MANIFEST_MAX_LAYERS);
		goto fail;
	}
	out->layers = cv_malloc0((json_array_size(layers) + 1) * sizeof *out->layers);
	if (out->layers == NULL)
		goto fail;
	json_array_foreach(layers, i, layer)
	{
		char what[64];

		snprintf(what, sizeof what, "manifest layer %zu", i);
		if (parse_descriptor(layer, what, &out->layers[i]) != 0)
			goto fail;
		out->layer_count = i + 1;
		if (cv_layer_media_compression(out->layers[i].media_type) < 0) {
			char shown[100];
			cv_error_errno(EINVAL, "manifest layer %zu: unsupported media type \"%s\"", i,
			               cv_printable(out->layers[i].media_type, shown, sizeof shown));
			goto fail;
		}
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	cv_manifest_clear(out);
	return -1;
}

void cv_manifest_clear(struct cv_manifest *manifest)
{
	free(manifest->media_type);
	free(manifest->config.media_type);
	for (size_t i = 0; i < manifest->layer_count; i++)
		free(manifest->layers[i].media_type);
	free(manifest->layers);
	memset(manifest, 0, sizeof *manifest);
}

/* A JSON array of strings into a strv; NULL stays NULL, anything else is EINVAL. */
static int string_array(json_t *value, const char *what, char ***out)
{
	json_t *item;
	size_t i;

	*out = NULL;
	if (value == NULL || json_is_null(value))
		return 0;
	if (json_is_string(value)) /* docker accepts "Cmd": "sh" as a shell string; keep it as one word */
		return cv_strv_append(out, json_string_value(value));
	if (!json_is_array(value))
		return cv_error_errno(EINVAL, "image config %s: not an array of strings", what);
	*out = cv_malloc0(sizeof(char *));
	if (*out == NULL)
		return -1;
	json_array_foreach(value, i, item)
	{
		if (!json_is_string(item) || cv_strv_append(out, json_string_value(item)) != 0) {
			cv_strv_free(*out);
			*out = NULL;
			return cv_error_errno(EINVAL, "image config %s[%zu]: not a string", what, i);
		}
	}
	return 0;
}

/* The keys of an object ({"80/tcp":{}}) or "k=v" for string values (Labels). */
static int object_keys(json_t *value, const char *what, bool with_values, char ***out)
{
	const char *key;
	json_t *item;

	*out = NULL;
	if (value == NULL || json_is_null(value))
		return 0;
	if (!json_is_object(value))
		return cv_error_errno(EINVAL, "image config %s: not an object", what);
	*out = cv_malloc0(sizeof(char *));
	if (*out == NULL)
		return -1;
	json_object_foreach(value, key, item)
	{
		cleanup_free char *entry = NULL;

		if (with_values && !json_is_string(item)) {
			cv_strv_free(*out);
			*out = NULL;
			char shown[100];
			return cv_error_errno(EINVAL, "image config %s.%s: not a string", what,
			                      cv_printable(key, shown, sizeof shown));
		}
		if (cv_asprintf(&entry, "%s%s%s", key, with_values ? "=" : "",
		                with_values ? json_string_value(item) : "") != 0 ||
		    cv_strv_append(out, entry) != 0) {
			cv_strv_free(*out);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

static int optional_string(json_t *value, const char *what, char **out)
{
	*out = NULL;
	if (value == NULL || json_is_null(value))
		return 0;
	if (!json_is_string(value))
		return cv_error_errno(EINVAL, "image config %s: not a string", what);
	*out = cv_strdup(json_string_value(value));
	return *out != NULL ? 0 : -1;
}

/* "history": an array of objects with optional strings; a hostile config gets no more than a bounded count. */
static int parse_history(json_t *history, struct cv_image_config *out)
{
	json_t *item;
	size_t i;

	if (history == NULL || json_is_null(history))
		return 0;
	if (!json_is_array(history) || json_array_size(history) > CV_IMAGE_MAX_HISTORY)
		return cv_error_errno(EINVAL, "image config: history is not an array of at most %d entries",
		                      CV_IMAGE_MAX_HISTORY);
	out->history = cv_malloc0((json_array_size(history) + 1) * sizeof *out->history);
	if (out->history == NULL)
		return -1;
	json_array_foreach(history, i, item)
	{
		struct cv_history_entry *entry = &out->history[i];
		json_t *empty = json_object_get(item, "empty_layer");

		if (!json_is_object(item))
			return cv_error_errno(EINVAL, "image config: history[%zu] is not an object", i);
		out->history_count = i + 1;
		if (optional_string(json_object_get(item, "created"), "history created", &entry->created) != 0 ||
		    optional_string(json_object_get(item, "created_by"), "history created_by", &entry->created_by) !=
		            0 ||
		    optional_string(json_object_get(item, "comment"), "history comment", &entry->comment) != 0)
			return -1;
		entry->empty_layer = json_is_true(empty);
	}
	return 0;
}

int cv_image_config_parse(const char *text, size_t length, struct cv_image_config *out)
{
	json_error_t error;
	json_t *root, *config, *rootfs, *diff_ids, *item;
	size_t i;

	memset(out, 0, sizeof *out);
	root = json_loadb(text, length, 0, &error);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return cv_error_errno(EINVAL, "image config: not a JSON object (%s)", root == NULL ? error.text : "");
	}
	config = json_object_get(root, "config");
	if (config != NULL && !json_is_null(config) && !json_is_object(config)) {
		cv_error_errno(EINVAL, "image config: config is not an object");
		goto fail;
	}
	if (optional_string(json_object_get(root, "architecture"), "architecture", &out->architecture) != 0 ||
	    optional_string(json_object_get(root, "os"), "os", &out->os) != 0 ||
	    optional_string(json_object_get(root, "created"), "created", &out->created) != 0 ||
	    optional_string(json_object_get(root, "author"), "author", &out->author) != 0 ||
	    string_array(json_object_get(config, "Entrypoint"), "Entrypoint", &out->entrypoint) != 0 ||
	    string_array(json_object_get(config, "Cmd"), "Cmd", &out->cmd) != 0 ||
	    string_array(json_object_get(config, "Env"), "Env", &out->env) != 0 ||
	    object_keys(json_object_get(config, "Volumes"), "Volumes", false, &out->volumes) != 0 ||
	    object_keys(json_object_get(config, "ExposedPorts"), "ExposedPorts", false, &out->exposed_ports) != 0 ||
	    object_keys(json_object_get(config, "Labels"), "Labels", true, &out->labels) != 0 ||
	    optional_string(json_object_get(config, "WorkingDir"), "WorkingDir", &out->working_dir) != 0 ||
	    optional_string(json_object_get(config, "User"), "User", &out->user) != 0 ||
	    optional_string(json_object_get(config, "StopSignal"), "StopSignal", &out->stop_signal) != 0)
		goto fail;
	if (json_is_object(json_object_get(config, "Healthcheck")) &&
	    (out->healthcheck_json = json_dumps(json_object_get(config, "Healthcheck"), JSON_COMPACT)) == NULL) {
		cv_error_errno(ENOMEM, "image config: Healthcheck");
		goto fail;
	}
	rootfs = json_object_get(root, "rootfs");
	if (!json_is_object(rootfs) || json_string_value(json_object_get(rootfs, "type")) == NULL ||
	    strcmp(json_string_value(json_object_get(rootfs, "type")), "layers") != 0) {
		cv_error_errno(EINVAL, "image config: rootfs.type is not \"layers\"");
		goto fail;
	}
	diff_ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) > CV_MANIFEST_MAX_LAYERS) {
		cv_error_errno(EINVAL, "image config: rootfs.diff_ids is not an array of at most %d digests",
		               CV_MANIFEST_MAX_LAYERS);
		goto fail;
	}
	out->diff_ids = cv_malloc0((json_array_size(diff_ids) + 1) * 72);
	if (out->diff_ids == NULL)
		goto fail;
	json_array_foreach(diff_ids, i, item)
	{
		if (!cv_digest_is_valid(json_string_value(item))) {
			cv_error_errno(EINVAL, "image config: rootfs.diff_ids[%zu] is not a sha256 digest", i);
			goto fail;
		}
		memcpy(out->diff_ids[i], json_string_value(item), 72);
		out->diff_id_count = i + 1;
	}
	if (parse_history(json_object_get(root, "history"), out) != 0)
		goto fail;
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	cv_image_config_clear(out);
	return -1;
}

void cv_image_config_clear(struct cv_image_config *config)
{
	free(config->architecture);
	free(config->os);
	free(config->created);
	free(config->author);
	cv_strv_free(config->entrypoint);
	cv_strv_free(config->cmd);
	cv_strv_free(config->env);
	cv_strv_free(config->volumes);
	cv_strv_free(config->labels);
	cv_strv_free(config->exposed_ports);
	free(config->working_dir);
	free(config->user);
	free(config->stop_signal);
	free(config->healthcheck_json);
	free(config->diff_ids);
	for (size_t i = 0; i < config->history_count; i++) {
		free(config->history[i].created);
		free(config->history[i].created_by);
		free(config->history[i].comment);
	}
	free(config->history);
	memset(config, 0, sizeof *config);
}

int cv_chain_ids(char (*diff_ids)[72], size_t count, char (*chain_ids)[72])
{
	for (size_t i = 0; i < count; i++) {
		char joined[72 + 1 + 72];

		if (i == 0) {
			memcpy(chain_ids[0], diff_ids[0], 72);
			continue;
		}
		snprintf(joined, sizeof joined, "%s %s", chain_ids[i - 1], diff_ids[i]);
		if (cv_digest_buffer(joined, strlen(joined), chain_ids[i]) != 0)
			return -1;
	}
	return 0;
}
