/*
 * containerv_image_save: the named images as an OCI archive (oci-layout,
 * index.json with ref.name and io.containerd.image.name annotations holding
 * the full names, the blobs), plus docker's manifest.json for the
 * docker format (docker load and skopeo's docker-archive read it). Every
 * name is resolved before a byte is written.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv/image.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/image-private.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store-private.h"
#include "image/store.h"

static int write_file_entry(struct archive *out, const char *path, const void *data, size_t length)
{
	struct archive_entry *entry = archive_entry_new();
	int ret = 0;

	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, (la_int64_t)length);
	if (archive_write_header(out, entry) != ARCHIVE_OK ||
	    (length > 0 && archive_write_data(out, data, length) != (la_ssize_t)length))
		ret = cv_error_errno(EIO, "save %s: %s", path, archive_error_string(out));
	archive_entry_free(entry);
	return ret;
}

static int write_blob_entry(struct cv_store *store, struct archive *out, const char *digest)
{
	char path[96], relative[96];
	cleanup_close int fd = -1;
	struct stat st;
	struct archive_entry *entry;
	char buffer[65536];
	ssize_t n;
	int ret = 0;

	cv_store_blob_relative(digest, relative);
	snprintf(path, sizeof path, "%s", relative);
	fd = openat(cv_store_dirfd(store), relative, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cv_error_sys("save: blob %s", digest);
	entry = archive_entry_new();
	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, st.st_size);
	if (archive_write_header(out, entry) != ARCHIVE_OK)
		ret = cv_error_errno(EIO, "save %s: %s", path, archive_error_string(out));
	while (ret == 0 && (n = read(fd, buffer, sizeof buffer)) > 0) {
		if (archive_write_data(out, buffer, (size_t)n) != n)
			ret = cv_error_errno(EIO, "save %s: %s", path, archive_error_string(out));
	}
	archive_entry_free(entry);
	return ret;
}

static int add_unique(char ***blobs, const char *digest)
{
	for (size_t i = 0; *blobs != NULL && (*blobs)[i] != NULL; i++) {
		if (strcmp((*blobs)[i], digest) == 0)
			return 0;
	}
	return cv_strv_append(blobs, digest);
}

int containerv_image_save(const char *const *names, enum containerv_archive_format format, containerv_fd_t fd)
{
	struct cv_store *store = NULL;
	struct archive *out = NULL;
	cleanup_strv char **blobs = NULL;
	json_t *index = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
	json_t *docker = json_array();
	cleanup_free char *index_text = NULL, *docker_text = NULL;
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	int ret = -1;

	cv_error_clear();
	if (names == NULL || names[0] == NULL || fd < 0) {
		json_decref(index);
		json_decref(docker);
		return cv_error_errno(EINVAL, "save: no image or no output");
	}
	if (cv_image_open_store(&store, LOCK_SH) != 0) {
		json_decref(index);
		json_decref(docker);
		return -1;
	}
	/* Resolve everything first: an unknown name fails before a byte is written. */
	for (size_t i = 0; names[i] != NULL; i++) {
		cleanup_free char *name = NULL;
		struct cv_manifest manifest;
		struct cv_image_config config;
		char digest[72];
		struct stat st;
		char path[PATH_MAX];
		json_t *layers;

		char named[72];
		if (cv_store_resolve(store, names[i], named, &name) != 0 ||
		    cv_store_platform_manifest(store, named, digest, NULL, NULL) != 0 ||
		    cv_store_load_image(store, digest, &manifest, &config) != 0)
			goto out;
		cv_store_blob_path(store, digest, path, sizeof path);
		stat(path, &st);
		json_array_append_new(json_object_get(index, "manifests"),
		                      json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", manifest.media_type,
		                                "digest", digest, "size", (json_int_t)st.st_size, "annotations",
		                                CV_ANNOTATION_REF_NAME, name, "io.containerd.image.name", name));
		add_unique(&blobs, digest);
		add_unique(&blobs, manifest.config.digest);
		layers = json_array();
		for (size_t j = 0; j < manifest.layer_count; j++) {
			char relative[96];
			add_unique(&blobs, manifest.layers[j].digest);
			cv_store_blob_relative(manifest.layers[j].digest, relative);
			json_array_append_new(layers, json_string(relative));
		}
		{
			char relative[96];
			const char *familiar = strncmp(name, "docker.io/library/", 18) == 0 ? name + 18
			                       : strncmp(name, "docker.io/", 10) == 0       ? name + 10
			                                                                    : name;
			cv_store_blob_relative(manifest.config.digest, relative);
			json_array_append_new(docker, json_pack("{s:s, s:[s], s:o}", "Config", relative, "RepoTags",
			                                        familiar, "Layers", layers));
		}
		cv_manifest_clear(&manifest);
		cv_image_config_clear(&config);
	}
	index_text = json_dumps(index, JSON_COMPACT);
	docker_text = json_dumps(docker, JSON_COMPACT);
	out = archive_write_new();
	if (index_text == NULL || docker_text == NULL || out == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	archive_write_set_format_pax_restricted(out);
	if (archive_write_open_fd(out, fd) != ARCHIVE_OK) {
		cv_error_errno(EIO, "save: %s", archive_error_string(out));
		goto out;
	}
	if (write_file_entry(out, "oci-layout", layout, strlen(layout)) != 0 ||
	    write_file_entry(out, "index.json", index_text, strlen(index_text)) != 0 ||
	    (format == CV_ARCHIVE_DOCKER &&
	     write_file_entry(out, "manifest.json", docker_text, strlen(docker_text)) != 0))
		goto out;
	for (size_t i = 0; blobs != NULL && blobs[i] != NULL; i++) {
		if (write_blob_entry(store, out, blobs[i]) != 0)
			goto out;
	}
	if (archive_write_close(out) != ARCHIVE_OK) {
		cv_error_errno(EIO, "save: %s", archive_error_string(out));
		goto out;
	}
	ret = 0;
out:
	if (out != NULL)
		archive_write_free(out);
	json_decref(index);
	json_decref(docker);
	cv_store_close(store);
	return ret;
}
