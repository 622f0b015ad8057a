/*
 * Names of the image store: index.json's manifests[], one entry per name
 * (annotation org.opencontainers.image.ref.name holds the full normalized
 * reference). Every change is a read-modify-write under index.lock and an
 * atomic, fsync'ed rewrite, so readers never see half a file and two
 * concurrent tags both survive.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store-private.h"
#include "image/store.h"

#define INDEX_MAX (64u << 20)

static int read_index(struct cv_store *store, json_t **out)
{
	cleanup_free char *text = NULL;
	json_error_t error;
	json_t *index, *manifests;
	size_t length = 0;

	if (cv_read_file_at(store->dir_fd, "index.json", &text, &length, INDEX_MAX) != 0)
		return cv_error_prefix("image store %s", store->path);
	index = json_loadb(text, length, 0, &error);
	if (index == NULL || !json_is_object(index)) {
		json_decref(index);
		return cv_error_errno(EINVAL, "image store %s/index.json: not a JSON object (line %d: %s)", store->path,
		                      error.line, error.text);
	}
	manifests = json_object_get(index, "manifests");
	if (manifests == NULL) {
		manifests = json_array();
		json_object_set_new(index, "manifests", manifests);
	}
	if (!json_is_array(manifests)) {
		json_decref(index);
		return cv_error_errno(EINVAL, "image store %s/index.json: manifests is not an array", store->path);
	}
	*out = index;
	return 0;
}

static int write_index(struct cv_store *store, json_t *index)
{
	cleanup_free char *text = json_dumps(index, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	return cv_store_write_durable(store->dir_fd, "index.json", text, strlen(text), false);
}

static const char *entry_name(json_t *entry)
{
	return json_string_value(json_object_get(json_object_get(entry, "annotations"), CV_ANNOTATION_REF_NAME));
}

/* Holds index.lock exclusively for one read-modify-write. */
static int lock_index(struct cv_store *store)
{
	int fd = openat(store->dir_fd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return cv_error_sys("image store %s/index.lock", store->path);
	if (cv_store_flock(fd, LOCK_EX) < 0) {
		cv_error_sys("image store %s/index.lock", store->path);
		close(fd);
		return -1;
	}
	return fd;
}

static bool name_is_normalized(const char *name)
{
	struct cv_reference ref;
	cleanup_free char *formatted = NULL;
	bool ok;

	if (cv_reference_parse(name, &ref) != 0)
		return false;
	ok = cv_reference_format(&ref, &formatted) == 0 && strcmp(formatted, name) == 0;
	cv_reference_clear(&ref);
	return ok;
}

int cv_store_tag(struct cv_store *store, const char *name, const char *manifest_digest, const char *media_type,
                 int64_t size)
{
	cleanup_close int lock_fd = -1;
	json_t *index = NULL, *manifests, *entry;
	char shown[200];
	size_t i;
	int ret;

	if (name == NULL || !name_is_normalized(name))
		return cv_error_errno(EINVAL, "tag \"%s\": not a full normalized reference",
		                      cv_printable(name, shown, sizeof shown));
	if (!cv_digest_is_valid(manifest_digest))
		return cv_error_errno(EINVAL, "tag %s: invalid manifest digest", name);
	if (media_type == NULL ||
	    (strcmp(media_type, CV_MEDIA_OCI_MANIFEST) != 0 && strcmp(media_type, CV_MEDIA_DOCKER_MANIFEST) != 0 &&
	     strcmp(media_type, CV_MEDIA_OCI_INDEX) != 0 && strcmp(media_type, CV_MEDIA_DOCKER_LIST) != 0))
		return cv_error_errno(EINVAL, "tag %s: unknown manifest media type \"%s\"", name,
		                      cv_printable(media_type, shown, sizeof shown));
	if (size < 0)
		return cv_error_errno(EINVAL, "tag %s: negative size", name);
	lock_fd = lock_index(store);
	if (lock_fd < 0)
		return -1;
	if (read_index(store, &index) != 0)
		return -1;
	manifests = json_object_get(index, "manifests");
	json_array_foreach(manifests, i, entry)
	{
		const char *existing = entry_name(entry);
		if (existing != NULL && strcmp(existing, name) == 0) {
			json_array_remove(manifests, i);
			break;
		}
	}
	entry = json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", media_type, "digest", manifest_digest, "size",
	                  (json_int_t)size, "annotations", CV_ANNOTATION_REF_NAME, name);
	if (entry == NULL || json_array_append_new(manifests, entry) != 0) {
		json_decref(index);
		return cv_error_errno(ENOMEM, "out of memory");
	}
	ret = write_index(store, index);
	json_decref(index);
	if (ret != 0)
		return cv_error_prefix("tag %s", name);
	return 0;
}

int cv_store_untag(struct cv_store *store, const char *name)
{
	cleanup_close int lock_fd = lock_index(store);
	json_t *index = NULL, *manifests;
	bool found = false;
	size_t i;
	int ret;

	if (lock_fd < 0)
		return -1;
	if (read_index(store, &index) != 0)
		return -1;
	manifests = json_object_get(index, "manifests");
	for (i = 0; i < json_array_size(manifests);) {
		const char *existing = entry_name(json_array_get(manifests, i));
		if (existing != NULL && strcmp(existing, name) == 0) {
			json_array_remove(manifests, i);
			found = true;
			continue;
		}
		i++;
	}
	if (!found) {
		json_decref(index);
		return cv_error_errno(ENOENT, "image %s: not found", name);
	}
	ret = write_index(store, index);
	json_decref(index);
	return ret;
}

void cv_store_names_free(struct cv_store_name *names, size_t count)
{
	for (size_t i = 0; names != NULL && i < count; i++) {
		free(names[i].name);
		free(names[i].media_type);
	}
	free(names);
}

int cv_store_names(struct cv_store *store, struct cv_store_name **names_out, size_t *count_out)
{
	json_t *index = NULL, *manifests, *entry;
	struct cv_store_name *names;
	size_t i, count = 0;

	if (read_index(store, &index) != 0)
		return -1;
	manifests = json_object_get(index, "manifests");
	names = cv_malloc0((json_array_size(manifests) + 1) * sizeof *names);
	if (names == NULL) {
		json_decref(index);
		return -1;
	}
	json_array_foreach(manifests, i, entry)
	{
		const char *name = entry_name(entry);
		const char *digest = json_string_value(json_object_get(entry, "digest"));
		const char *media_type = json_string_value(json_object_get(entry, "mediaType"));

		/* Entries another tool wrote without a usable name or digest are skipped, not fatal. */
		if (name == NULL || !cv_digest_is_valid(digest))
			continue;
		names[count].name = strdup(name);
		names[count].media_type = strdup(media_type != NULL ? media_type : CV_MEDIA_OCI_MANIFEST);
		names[count].size = json_integer_value(json_object_get(entry, "size"));
		memcpy(names[count].digest, digest, 72);
		count++;
		if (names[count - 1].name == NULL || names[count - 1].media_type == NULL) {
			json_decref(index);
			cv_store_names_free(names, count);
			return cv_error_errno(ENOMEM, "out of memory");
		}
	}
	json_decref(index);
	*names_out = names;
	*count_out = count;
	return 0;
}

/* The config digest (image id) of a manifest; "" when it cannot be read. */
static void config_digest_of(struct cv_store *store, const char *manifest_digest, char out[72])
{
	cleanup_free char *text = NULL;
	json_t *root, *config;
	const char *digest;
	size_t length = 0;

	out[0] = '\0';
	if (cv_store_read_blob(store, manifest_digest, CV_STORE_MANIFEST_MAX, &text, &length) != 0)
		return;
	root = json_loadb(text, length, 0, NULL);
	config = json_object_get(root, "config");
	digest = json_string_value(json_object_get(config, "digest"));
	if (cv_digest_is_valid(digest))
		memcpy(out, digest, 72);
	json_decref(root);
}

static bool is_hex_prefix(const char *text)
{
	size_t n = strlen(text);

	if (n < 4 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return true;
}

int cv_store_resolve(struct cv_store *store, const char *text, char manifest_digest[72], char **name_out)
{
	struct cv_store_name *names = NULL;
	size_t count = 0, found = SIZE_MAX, matches = 0;
	struct cv_reference ref;
	cleanup_free char *normalized = NULL, *repository = NULL;
	const char *hex = NULL;
	int ret = -1;

	if (text == NULL || text[0] == '\0')
		return cv_error_errno(EINVAL, "image: empty name");
	if (strncmp(text, "sha256:", 7) == 0 && is_hex_prefix(text + 7))
		hex = text + 7;
	else if (is_hex_prefix(text))
		hex = text;
	/* A name first (as docker does); an id prefix only when no name matches. */
	if (hex == NULL || strncmp(text, "sha256:", 7) != 0) {
		if (cv_reference_parse(text, &ref) != 0) {
			if (hex == NULL)
				return -1;
		} else {
			if (cv_reference_format(&ref, &normalized) != 0 ||
			    cv_reference_repository(&ref, &repository) != 0) {
				cv_reference_clear(&ref);
				return -1;
			}
		}
	}
	if (cv_store_names(store, &names, &count) != 0)
		goto out;
	if (normalized != NULL) {
		for (size_t i = 0; i < count && found == SIZE_MAX; i++) {
			size_t repository_length = strlen(repository);
			if (strcmp(names[i].name, normalized) == 0)
				found = i;
			/* repo@digest: any name of that repository pointing at the manifest. */
			else if (ref.digest != NULL && ref.tag == NULL && strcmp(names[i].digest, ref.digest) == 0 &&
			         strncmp(names[i].name, repository, repository_length) == 0 &&
			         (names[i].name[repository_length] == ':' || names[i].name[repository_length] == '@'))
				found = i;
		}
	}
	if (found == SIZE_MAX && hex != NULL) {
		size_t hex_length = strlen(hex);
		char first[72] = "";
		for (size_t i = 0; i < count; i++) {
			char config[72];
			config_digest_of(store, names[i].digest, config);
			bool hit = strncmp(cv_digest_hex(names[i].digest), hex, hex_length) == 0 ||
			           (config[0] != '\0' && strncmp(cv_digest_hex(config), hex, hex_length) == 0);
			if (!hit)
				continue;
			/* Several names of one image are one match. */
			if (matches == 0 || strcmp(first, names[i].digest) != 0)
				matches++;
			if (matches == 1) {
				memcpy(first, names[i].digest, 72);
				found = i;
			}
		}
		if (matches > 1) {
			char shown[100];
			cv_error_errno(EINVAL, "image %s: ambiguous id prefix (several images match)",
			               cv_printable(text, shown, sizeof shown));
			goto out;
		}
	}
	if (found == SIZE_MAX) {
		char shown[200];
		cv_error_errno(ENOENT, "image %s: not found",
		               normalized != NULL ? normalized : cv_printable(text, shown, sizeof shown));
		goto out;
	}
	memcpy(manifest_digest, names[found].digest, 72);
	if (name_out != NULL) {
		*name_out = cv_strdup(names[found].name);
		if (*name_out == NULL)
			goto out;
	}
	ret = 0;
out:
	if (normalized != NULL)
		cv_reference_clear(&ref);
	cv_store_names_free(names, count);
	return ret;
}
