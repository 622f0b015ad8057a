/*
 * Reading from a registry: manifests (every media type in Accept, size cap,
 * digest checks), small blobs into memory (configs), tags and catalog.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/registry.h"

static const char *const manifest_accept = "Accept: " CV_MEDIA_OCI_MANIFEST ", " CV_MEDIA_OCI_INDEX
                                           ", " CV_MEDIA_DOCKER_MANIFEST ", " CV_MEDIA_DOCKER_LIST;

void cv_registry_manifest_clear(struct cv_registry_manifest *manifest)
{
	free(manifest->body);
	memset(manifest, 0, sizeof *manifest);
}

/* "application/x; charset=utf-8" -> "application/x", bounded. */
static void media_type_of(const char *content_type, char *out, size_t size)
{
	size_t length = strcspn(content_type, "; \t");
	if (length >= size)
		length = 0;
	memcpy(out, content_type, length);
	out[length] = '\0';
}

int cv_registry_get_manifest(struct cv_registry *registry, const char *repository, const char *reference,
                             struct cv_registry_manifest *out)
{
	cleanup_strv char **scopes = NULL;
	const char *const headers[] = {manifest_accept, NULL};
	struct cv_http_transfer t;
	char url[2048], what[600];
	int result = -1;

	memset(out, 0, sizeof *out);
	snprintf(what, sizeof what, "registry %s: manifest %s%s%s", registry->name, repository,
	         cv_digest_is_valid(reference) ? "@" : ":", reference);
	snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", registry->base, repository, reference);
	if (cv_registry_scopes(repository, false, NULL, &scopes) < 0)
		return -1;
	if (cv_registry_send(registry, &t, "GET", url, scopes, headers, CV_MANIFEST_MAX, NULL, NULL, what) < 0) {
		if (errno == EFBIG)
			cv_error_errno(EFBIG, "%s: larger than %d bytes", what, CV_MANIFEST_MAX);
		goto out;
	}
	if (t.status != 200) {
		cv_registry_status_error(registry, &t, what);
		goto out;
	}
	if (t.body == NULL || t.body_length == 0) {
		cv_error_errno(EBADMSG, "%s: empty answer", what);
		goto out;
	}
	if (cv_digest_buffer(t.body, t.body_length, out->digest) < 0)
		goto out;
	if (cv_digest_is_valid(reference) && strcmp(reference, out->digest) != 0) {
		cv_error_errno(EBADMSG, "%s: digest mismatch (got %s)", what, out->digest);
		goto out;
	}
	if (t.docker_digest != NULL && strcmp(t.docker_digest, out->digest) != 0) {
		cv_error_errno(EBADMSG, "%s: digest mismatch (the registry says %.80s, the content is %s)", what,
		               t.docker_digest, out->digest);
		goto out;
	}
	media_type_of(t.content_type ? t.content_type : "", out->media_type, sizeof out->media_type);
	if (out->media_type[0] == '\0' || strcmp(out->media_type, "application/json") == 0) {
		/* No useful Content-Type: the manifest's own mediaType field says. */
		json_t *root = json_loadb(t.body, t.body_length, 0, NULL);
		const char *type = json_string_value(json_object_get(root, "mediaType"));
		snprintf(out->media_type, sizeof out->media_type, "%s", type && strlen(type) < 128 ? type : "");
		json_decref(root);
	}
	out->body = cv_steal_pointer(&t.body);
	out->length = t.body_length;
	result = 0;
out:
	cv_http_transfer_clear(&t);
	if (result < 0)
		cv_registry_manifest_clear(out);
	return result;
}

int cv_registry_get_blob(struct cv_registry *registry, const char *repository, const char *digest, uint64_t size,
                         size_t max, char **data)
{
	cleanup_strv char **scopes = NULL;
	struct cv_http_transfer t;
	char url[2048], what[600], actual[72];
	int result = -1;

	snprintf(what, sizeof what, "registry %s: blob %s of %s", registry->name, digest, repository);
	if (size > max)
		return cv_error_errno(EFBIG, "%s: %llu bytes, more than the %zu allowed", what,
		                      (unsigned long long)size, max);
	snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", registry->base, repository, digest);
	if (cv_registry_scopes(repository, false, NULL, &scopes) < 0)
		return -1;
	if (cv_registry_send(registry, &t, "GET", url, scopes, NULL, (size_t)size, NULL, NULL, what) < 0) {
		if (errno == EFBIG)
			cv_error_errno(EBADMSG, "%s: more data than its size of %llu bytes", what,
			               (unsigned long long)size);
		goto out;
	}
	if (t.status != 200) {
		cv_registry_status_error(registry, &t, what);
		goto out;
	}
	if (t.body_length != size) {
		cv_error_errno(EBADMSG, "%s: %zu bytes, expected %llu (truncated)", what, t.body_length,
		               (unsigned long long)size);
		goto out;
	}
	if (cv_digest_buffer(t.body ? t.body : "", t.body_length, actual) < 0)
		goto out;
	if (strcmp(actual, digest) != 0) {
		cv_error_errno(EBADMSG, "%s: digest mismatch (the content is %s)", what, actual);
		goto out;
	}
	*data = t.body ? cv_steal_pointer(&t.body) : cv_malloc0(1);
	result = *data ? 0 : -1;
out:
	cv_http_transfer_clear(&t);
	return result;
}

static int get_list(struct cv_registry *registry, const char *path, char *const *scopes, const char *key,
                    const char *what, char ***out)
{
	struct cv_http_transfer t;
	cleanup_strv char **list = NULL;
	char url[2048];
	json_t *root = NULL, *array, *item;
	size_t index;
	int result = -1;

	snprintf(url, sizeof url, "%s%s", registry->base, path);
	if (cv_registry_send(registry, &t, "GET", url, scopes, NULL, CV_MANIFEST_MAX, NULL, NULL, what) < 0)
		goto out;
	if (t.status != 200) {
		cv_registry_status_error(registry, &t, what);
		goto out;
	}
	root = t.body ? json_loadb(t.body, t.body_length, 0, NULL) : NULL;
	array = json_object_get(root, key);
	if (!json_is_array(array) && !json_is_null(array)) {
		cv_error_errno(EBADMSG, "%s: malformed answer", what);
		goto out;
	}
	if (cv_strv_append(&list, "") < 0) /* an empty list, not NULL */
		goto out;
	free(list[0]);
	list[0] = NULL;
	json_array_foreach(array, index, item)
	{
		if (json_is_string(item) && cv_strv_append(&list, json_string_value(item)) < 0)
			goto out;
	}
	*out = cv_steal_pointer(&list);
	result = 0;
out:
	json_decref(root);
	cv_http_transfer_clear(&t);
	return result;
}

int cv_registry_list_tags(struct cv_registry *registry, const char *repository, char ***tags)
{
	cleanup_strv char **scopes = NULL;
	char path[1024], what[600];

	snprintf(what, sizeof what, "registry %s: tags of %s", registry->name, repository);
	snprintf(path, sizeof path, "/v2/%s/tags/list", repository);
	if (cv_registry_scopes(repository, false, NULL, &scopes) < 0)
		return -1;
	return get_list(registry, path, scopes, "tags", what, tags);
}

int cv_registry_catalog(struct cv_registry *registry, char ***repositories)
{
	char *const scopes[] = {"registry:catalog:*", NULL};
	char what[400];

	snprintf(what, sizeof what, "registry %s: catalog", registry->name);
	return get_list(registry, "/v2/_catalog", scopes, "repositories", what, repositories);
}
