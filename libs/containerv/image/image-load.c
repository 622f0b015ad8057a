/*
 * Image archives: containerv_image_load reads an OCI archive (an OCI image
 * layout in a tar: oci-layout, index.json, the blobs) or a docker
 * archive (manifest.json with Config and Layers paths; docker save's
 * format), plain or compressed (image-save.c writes them).
 *
 * Loading streams each blob into the store through the same verified path
 * as a pull (hashed while written, renamed in only when its digest
 * matches), so a corrupt or truncated archive leaves only unreferenced
 * blobs that GC sweeps; names are added only once everything they reach
 * is present, then the layers are unpacked.
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

#define ARCHIVE_BLOB_MAX (64ull << 30)
#define ARCHIVE_JSON_MAX (8u << 20)
#define ARCHIVE_MAX_FILES 100000

/* What the archive held: a path's blob digest, or (small JSON files) its content. */
struct archive_file {
	char *path;
	char digest[72];
	char *json;   /* kept in memory: index.json, manifest.json, <id>.json */
	char *target; /* a symlink's target (old docker archives link duplicate layers) */
};

struct loaded {
	struct archive_file *files;
	size_t count;
};

static void loaded_free(struct loaded *loaded)
{
	for (size_t i = 0; i < loaded->count; i++) {
		free(loaded->files[i].path);
		free(loaded->files[i].json);
		free(loaded->files[i].target);
	}
	free(loaded->files);
}

static struct archive_file *find_file(struct loaded *loaded, const char *path, int depth)
{
	for (size_t i = 0; i < loaded->count; i++) {
		if (strcmp(loaded->files[i].path, path) != 0)
			continue;
		if (loaded->files[i].target != NULL && depth < 8) {
			/* Relative to the link's directory. */
			char resolved[PATH_MAX];
			const char *slash = strrchr(path, '/');
			const char *target = loaded->files[i].target;
			if (slash != NULL)
				snprintf(resolved, sizeof resolved, "%.*s/%s", (int)(slash - path), path, target);
			else
				snprintf(resolved, sizeof resolved, "%s", target);
			/* "a/../b/layer.tar" -> "b/layer.tar" (one level, as docker writes them). */
			char *up = strstr(resolved, "/../");
			if (up != NULL) {
				char *start = up;
				while (start > resolved && start[-1] != '/')
					start--;
				memmove(start, up + 4, strlen(up + 4) + 1);
			} else if (strncmp(resolved, "../", 3) == 0) {
				memmove(resolved, resolved + 3, strlen(resolved + 3) + 1);
			}
			return find_file(loaded, resolved, depth + 1);
		}
		return &loaded->files[i];
	}
	return NULL;
}

static ssize_t read_entry_data(void *user, void *buffer, size_t size)
{
	struct archive *archive = user;
	la_ssize_t n = archive_read_data(archive, buffer, size);

	if (n < 0)
		return cv_error_errno(EIO, "archive: %s", archive_error_string(archive));
	return n;
}

static bool ends_with(const char *text, const char *suffix)
{
	size_t length = strlen(text), suffix_length = strlen(suffix);

	return length >= suffix_length && strcmp(text + length - suffix_length, suffix) == 0;
}

/* "./blobs//sha256/x" -> "blobs/sha256/x"; NULL for names with "..", absolute or too long. */
static char *clean_path(const char *name)
{
	char clean[PATH_MAX];
	size_t used = 0;

	if (name == NULL || name[0] == '/')
		return NULL;
	for (const char *p = name; *p != '\0';) {
		while (*p == '/')
			p++;
		size_t length = strcspn(p, "/");
		if (length == 0)
			break;
		if (length == 2 && p[0] == '.' && p[1] == '.')
			return NULL;
		if (!(length == 1 && p[0] == '.')) {
			if (used + length + 2 > sizeof clean)
				return NULL;
			if (used > 0)
				clean[used++] = '/';
			memcpy(clean + used, p, length);
			used += length;
		}
		p += length;
	}
	clean[used] = '\0';
	return used > 0 ? strdup(clean) : NULL;
}

static int read_entries(struct cv_store *store, struct archive *archive, struct loaded *loaded)
{
	struct archive_entry *entry;
	int status;

	while ((status = archive_read_next_header(archive, &entry)) == ARCHIVE_OK || status == ARCHIVE_WARN) {
		cleanup_free char *path = clean_path(archive_entry_pathname(entry));
		struct archive_file file = {NULL, "", NULL, NULL};
		mode_t type = archive_entry_filetype(entry);

		if (path == NULL || (type != AE_IFREG && type != AE_IFLNK))
			continue;
		if (loaded->count >= ARCHIVE_MAX_FILES)
			return cv_error_errno(EFBIG, "archive: more than %d files", ARCHIVE_MAX_FILES);
		if (type == AE_IFLNK) {
			if (archive_entry_symlink(entry) == NULL ||
			    (file.target = strdup(archive_entry_symlink(entry))) == NULL)
				continue;
		} else if (strncmp(path, "blobs/sha256/", 13) == 0) {
			char expected[80];
			snprintf(expected, sizeof expected, "sha256:%s", path + 13);
			if (!cv_digest_is_valid(expected))
				continue;
			if (cv_store_put_blob_stream(store, read_entry_data, archive, ARCHIVE_BLOB_MAX, expected,
			                             file.digest, NULL) != 0)
				return cv_error_prefix("archive %s", path);
		} else if (ends_with(path, ".json") || strcmp(path, "repositories") == 0) {
			la_int64_t size = archive_entry_size(entry);
			if (size < 0 || size > (la_int64_t)ARCHIVE_JSON_MAX)
				return cv_error_errno(EFBIG, "archive %s: larger than %u bytes", path,
				                      ARCHIVE_JSON_MAX);
			file.json = cv_malloc0((size_t)size + 1);
			if (file.json == NULL)
				return -1;
			if (size > 0 && archive_read_data(archive, file.json, (size_t)size) != size) {
				free(file.json);
				return cv_error_errno(EIO, "archive %s: %s", path, archive_error_string(archive));
			}
		} else if (ends_with(path, ".tar") || ends_with(path, ".tar.gz") || ends_with(path, ".tar.zst")) {
			if (cv_store_put_blob_stream(store, read_entry_data, archive, ARCHIVE_BLOB_MAX, NULL,
			                             file.digest, NULL) != 0)
				return cv_error_prefix("archive %s", path);
		} else {
			continue;
		}
		struct archive_file *grown = realloc(loaded->files, (loaded->count + 1) * sizeof *grown);
		if (grown == NULL) {
			free(file.json);
			free(file.target);
			return cv_error_errno(ENOMEM, "out of memory");
		}
		loaded->files = grown;
		file.path = cv_steal_pointer(&path);
		loaded->files[loaded->count++] = file;
	}
	if (status != ARCHIVE_EOF)
		return cv_error_errno(EINVAL, "archive: %s", archive_error_string(archive));
	return 0;
}

/* Normalizes an archive's name for an image; a bare tag ("latest") or nothing gets a placeholder name. */
static int archive_name(const char *text, const char *digest, char **out)
{
	struct cv_reference ref;

	if (text != NULL && strchr(text, '/') == NULL && strchr(text, ':') == NULL && strchr(text, '@') == NULL &&
	    strlen(text) <= 128) {
		/* OCI's ref.name is often only a tag; keep it as the tag of a local name. */
		return cv_asprintf(out, "localhost/loaded-%.12s:%s", cv_digest_hex(digest), text);
	}
	if (text != NULL && cv_reference_parse(text, &ref) == 0) {
		int ret = ref.digest == NULL ? cv_reference_format(&ref, out)
		                             : cv_error_errno(EINVAL, "archive name %s holds a digest", text);
		cv_reference_clear(&ref);
		return ret;
	}
	if (text != NULL)
		return cv_error_prefix("archive");
	return cv_asprintf(out, "localhost/loaded-%.12s:latest", cv_digest_hex(digest));
}

/* Names an image once every blob it needs is in the store, then unpacks it. */
static int name_image(struct cv_store *store, const char *name, const char *digest, const char *media_type,
                      int64_t size, int (*callback)(const char *, void *), void *user)
{
	struct cv_manifest manifest;
	struct cv_image_config config;

	if (cv_store_load_image(store, digest, &manifest, &config) != 0)
		return -1;
	for (size_t i = 0; i < manifest.layer_count; i++) {
		if (!cv_store_blob_exists(store, manifest.layers[i].digest)) {
			cv_error_errno(ENOENT, "image %s: layer %s is not in the archive", name,
			               manifest.layers[i].digest);
			cv_manifest_clear(&manifest);
			cv_image_config_clear(&config);
			return -1;
		}
	}
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	if (cv_store_unpack_image(store, digest) != 0 || cv_store_tag(store, name, digest, media_type, size) != 0)
		return cv_error_prefix("load %s", name);
	return callback != NULL ? callback(name, user) : 0;
}

static int load_oci(struct cv_store *store, const char *index_text, int (*callback)(const char *, void *), void *user)
{
	json_t *index = json_loads(index_text, 0, NULL), *entry;
	size_t i;
	int ret = 0;

	if (!json_is_array(json_object_get(index, "manifests"))) {
		json_decref(index);
		return cv_error_errno(EINVAL, "archive index.json: no manifests array");
	}
	json_array_foreach(json_object_get(index, "manifests"), i, entry)
	{
		const char *digest = json_string_value(json_object_get(entry, "digest"));
		json_t *annotations = json_object_get(entry, "annotations");
		const char *text = json_string_value(json_object_get(annotations, "io.containerd.image.name"));
		cleanup_free char *name = NULL, *chosen_type = NULL;
		char chosen[72];
		int64_t size = json_integer_value(json_object_get(entry, "size"));

		if (text == NULL)
			text = json_string_value(json_object_get(annotations, CV_ANNOTATION_REF_NAME));
		if (!cv_digest_is_valid(digest)) {
			ret = cv_error_errno(EINVAL, "archive index.json: manifests[%zu] has no valid digest", i);
			break;
		}
		if (archive_name(text, digest, &name) != 0 ||
		    cv_store_platform_manifest(store, digest, chosen, &chosen_type, &size) != 0 ||
		    name_image(store, name, chosen, chosen_type, size, callback, user) != 0) {
			ret = -1;
			break;
		}
	}
	json_decref(index);
	return ret;
}

/* docker save's manifest.json: [{"Config": path, "RepoTags": [...], "Layers": [paths]}]. */
static int load_docker(struct cv_store *store, struct loaded *loaded, const char *text,
                       int (*callback)(const char *, void *), void *user)
{
	json_t *root = json_loads(text, 0, NULL), *image;
	size_t i;
	int ret = 0;

	if (!json_is_array(root)) {
		json_decref(root);
		return cv_error_errno(EINVAL, "archive manifest.json: not an array");
	}
	json_array_foreach(root, i, image)
	{
		const char *config_path = json_string_value(json_object_get(image, "Config"));
		struct archive_file *config = config_path != NULL ? find_file(loaded, config_path, 0) : NULL;
		json_t *layers = json_array(), *layer_path, *tags;
		char config_digest[72], manifest_digest[72];
		size_t j;
		struct stat st;

		if (config == NULL) {
			json_decref(layers);
			ret = cv_error_errno(EINVAL, "archive manifest.json[%zu]: config %s is not in the archive", i,
			                     config_path != NULL ? config_path : "(none)");
			break;
		}
		if (config->json != NULL) {
			if (cv_store_put_blob(store, config->json, strlen(config->json), NULL, config_digest) != 0) {
				json_decref(layers);
				ret = -1;
				break;
			}
		} else {
			memcpy(config_digest, config->digest, 72);
		}
		json_array_foreach(json_object_get(image, "Layers"), j, layer_path)
		{
			struct archive_file *layer =
			        json_is_string(layer_path) ? find_file(loaded, json_string_value(layer_path), 0) : NULL;
			char blob[PATH_MAX];
			int fd;
			unsigned char magic[4] = {0};
			const char *type = "application/vnd.docker.image.rootfs.diff.tar";

			if (layer == NULL || layer->digest[0] == '\0' ||
			    cv_store_blob_path(store, layer->digest, blob, sizeof blob) != 0 || stat(blob, &st) != 0) {
				ret = cv_error_errno(EINVAL,
				                     "archive manifest.json[%zu]: layer %s is not in the archive", i,
				                     json_is_string(layer_path) ? json_string_value(layer_path) : "?");
				break;
			}
			fd = open(blob, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				if (read(fd, magic, sizeof magic) < 0)
					magic[0] = 0;
				close(fd);
			}
			if (magic[0] == 0x1f && magic[1] == 0x8b)
				type = CV_MEDIA_DOCKER_LAYER;
			else if (magic[0] == 0x28 && magic[1] == 0xb5)
				type = CV_MEDIA_OCI_LAYER_ZSTD;
			json_array_append_new(layers, json_pack("{s:s, s:I, s:s}", "mediaType", type, "size",
			                                        (json_int_t)st.st_size, "digest", layer->digest));
		}
		if (ret != 0) {
			json_decref(layers);
			break;
		}
		cleanup_free char *config_text = NULL;
		size_t config_length = 0;
		if (cv_store_read_blob(store, config_digest, CV_STORE_CONFIG_MAX, &config_text, &config_length) != 0) {
			json_decref(layers);
			ret = -1;
			break;
		}
		json_t *manifest =
		        json_pack("{s:i, s:s, s:{s:s, s:I, s:s}, s:o}", "schemaVersion", 2, "mediaType",
		                  CV_MEDIA_DOCKER_MANIFEST, "config", "mediaType", CV_MEDIA_DOCKER_CONFIG, "size",
		                  (json_int_t)config_length, "digest", config_digest, "layers", layers);
		cleanup_free char *manifest_text = json_dumps(manifest, JSON_COMPACT);
		json_decref(manifest);
		if (manifest_text == NULL ||
		    cv_store_put_blob(store, manifest_text, strlen(manifest_text), NULL, manifest_digest) != 0) {
			ret = -1;
			break;
		}
		tags = json_object_get(image, "RepoTags");
		if (json_array_size(tags) == 0) {
			cleanup_free char *name = NULL;
			if (archive_name(NULL, manifest_digest, &name) != 0 ||
			    name_image(store, name, manifest_digest, CV_MEDIA_DOCKER_MANIFEST,
			               (int64_t)strlen(manifest_text), callback, user) != 0) {
				ret = -1;
				break;
			}
		}
		json_array_foreach(tags, j, layer_path)
		{
			cleanup_free char *name = NULL;
			if (archive_name(json_string_value(layer_path), manifest_digest, &name) != 0 ||
			    name_image(store, name, manifest_digest, CV_MEDIA_DOCKER_MANIFEST,
			               (int64_t)strlen(manifest_text), callback, user) != 0) {
				ret = -1;
				break;
			}
		}
		if (ret != 0)
			break;
	}
	json_decref(root);
	return ret;
}

int containerv_image_load(containerv_fd_t fd, int (*callback)(const char *name, void *user), void *user)
{
	struct cv_store *store = NULL;
	struct archive *archive = NULL;
	struct loaded loaded = {NULL, 0};
	struct archive_file *index, *manifest;
	int ret = -1;

	cv_error_clear();
	if (fd < 0)
		return cv_error_errno(EBADF, "load: no input");
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	archive = archive_read_new();
	if (archive == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	archive_read_support_filter_gzip(archive);
	archive_read_support_filter_zstd(archive);
	archive_read_support_filter_none(archive);
	archive_read_support_format_tar(archive);
	if (archive_read_open_fd(archive, fd, 128 * 1024) != ARCHIVE_OK) {
		cv_error_errno(EINVAL, "archive: %s", archive_error_string(archive));
		goto out;
	}
	if (read_entries(store, archive, &loaded) != 0)
		goto out;
	index = find_file(&loaded, "index.json", 0);
	manifest = find_file(&loaded, "manifest.json", 0);
	if (index != NULL && index->json != NULL)
		ret = load_oci(store, index->json, callback, user);
	else if (manifest != NULL && manifest->json != NULL)
		ret = load_docker(store, &loaded, manifest->json, callback, user);
	else
		cv_error_errno(EINVAL,
		               "archive: neither an OCI archive (index.json) nor a docker archive (manifest.json)");
out:
	if (ret != 0)
		cv_error_prefix("load");
	loaded_free(&loaded);
	if (archive != NULL)
		archive_read_free(archive);
	cv_store_close(store);
	return ret;
}
