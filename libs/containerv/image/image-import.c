/*
 * containerv_image_import: a rootfs directory or a tar as a one-layer
 * image. A directory is written as a pax tar (libarchive reads the disk,
 * never following a symlink, keeping owners, modes, xattrs and hardlinks);
 * a tar file is stored as it is (plain, gzip or zstd). The layer is then
 * unpacked like any pulled one and its diff_id goes into the config.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv/image.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/image-private.h"
#include "image/image-import.h"
#include "image/reference.h"
#include "image/store-private.h"
#include "image/image-options.h"
#include "image/store.h"
#include "network/network-internal.h"
#include "image/unpack.h"

#define IMPORT_MAX_BYTES (64ull << 30)

const char *cv_image_host_architecture(void)
{
	static const struct {
		const char *machine, *oci;
	} table[] = {{"x86_64", "amd64"},    {"aarch64", "arm64"}, {"armv7l", "arm"},     {"i686", "386"},
	             {"ppc64le", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}};
	static _Thread_local char machine[65];
	struct utsname name;

	if (uname(&name) != 0)
		return "amd64";
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(name.machine, table[i].machine) == 0)
			return table[i].oci;
	}
	snprintf(machine, sizeof machine, "%s", name.machine);
	return machine;
}

/* Writes directory as a pax tar to fd; names relative to it ("./", "bin", "bin/sh"). */
int cv_image_tar_directory(const char *directory, int fd)
{
	struct archive *disk = archive_read_disk_new();
	struct archive *out = archive_write_new();
	struct archive_entry_linkresolver *resolver = archive_entry_linkresolver_new();
	struct archive_entry *entry = archive_entry_new();
	size_t prefix = strlen(directory);
	char buffer[65536];
	int ret = -1, status;

	if (disk == NULL || out == NULL || resolver == NULL || entry == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	while (prefix > 1 && directory[prefix - 1] == '/')
		prefix--;
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	archive_entry_linkresolver_set_strategy(resolver, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_write_set_format_pax_restricted(out);
	archive_write_set_bytes_in_last_block(out, 1);
	if (archive_write_open_fd(out, fd) != ARCHIVE_OK || archive_read_disk_open(disk, directory) != ARCHIVE_OK) {
		cv_error_errno(EIO, "import %s: %s", directory, archive_error_string(disk));
		goto out;
	}
	while ((status = archive_read_next_header2(disk, entry)) == ARCHIVE_OK) {
		const char *path = archive_entry_pathname(entry);
		struct archive_entry *sparse = NULL;
		char relative[PATH_MAX];
		bool has_data;

		archive_read_disk_descend(disk);
		if (path == NULL || strncmp(path, directory, prefix) != 0) {
			cv_error_errno(EINVAL, "import %s: unexpected entry %s", directory, path ? path : "(null)");
			goto out;
		}
		snprintf(relative, sizeof relative, "%s", path[prefix] == '\0' ? "./" : path + prefix + 1);
		archive_entry_set_pathname(entry, relative);
		archive_entry_linkify(resolver, &entry, &sparse);
		if (entry == NULL) { /* held back by the resolver (not with the tar strategy) */
			entry = archive_entry_new();
			continue;
		}
		has_data = archive_entry_filetype(entry) == AE_IFREG && archive_entry_hardlink(entry) == NULL &&
		           archive_entry_size(entry) > 0;
		if (!has_data && archive_entry_filetype(entry) == AE_IFREG)
			archive_entry_set_size(entry,
			                       archive_entry_hardlink(entry) != NULL ? 0 : archive_entry_size(entry));
		if (archive_write_header(out, entry) != ARCHIVE_OK) {
			cv_error_errno(EIO, "import %s: %s: %s", directory, relative, archive_error_string(out));
			goto out;
		}
		while (has_data) {
			la_ssize_t n = archive_read_data(disk, buffer, sizeof buffer);
			if (n < 0) {
				cv_error_errno(EIO, "import %s: %s: %s", directory, relative,
				               archive_error_string(disk));
				goto out;
			}
			if (n == 0)
				break;
			if (archive_write_data(out, buffer, (size_t)n) != n) {
				cv_error_errno(EIO, "import %s: %s: %s", directory, relative,
				               archive_error_string(out));
				goto out;
			}
		}
		archive_entry_clear(entry);
	}
	if (status != ARCHIVE_EOF) {
		cv_error_errno(EIO, "import %s: %s", directory, archive_error_string(disk));
		goto out;
	}
	if (archive_write_close(out) != ARCHIVE_OK) {
		cv_error_errno(EIO, "import %s: %s", directory, archive_error_string(out));
		goto out;
	}
	ret = 0;
out:
	archive_entry_free(entry);
	archive_entry_linkresolver_free(resolver);
	archive_read_free(disk);
	archive_write_free(out);
	return ret;
}

/* The media type of a layer blob from its first bytes. */
static const char *layer_media_type(int fd)
{
	unsigned char magic[4] = {0};

	if (pread(fd, magic, sizeof magic, 0) < 2)
		return CV_MEDIA_OCI_LAYER;
	if (magic[0] == 0x1f && magic[1] == 0x8b)
		return CV_MEDIA_OCI_LAYER_GZIP;
	if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
		return CV_MEDIA_OCI_LAYER_ZSTD;
	return CV_MEDIA_OCI_LAYER;
}

static void now_rfc3339(char out[40])
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), 40 - strlen(out), ".%09ldZ", now.tv_nsec);
}

/* Stores a layer blob from fd, unpacks it, writes config and manifest, tags name. */
static json_t *strv_json(const char *const *strv)
{
	json_t *array = json_array();

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

/* config[key] as an object: the one there, or a new one put in its place. */
static json_t *object_member(json_t *config, const char *key)
{
	json_t *member = json_object_get(config, key);

	if (!json_is_object(member)) {
		member = json_object();
		json_object_set_new(config, key, member);
	}
	return member;
}

/* ExposedPorts of a config from the changes (version 2 and up): {"80/tcp": {}, ...}. */
void cv_image_config_set_exposed(json_t *config, const struct containerv_import_options *changes)
{
	json_t *ports;

	if (changes == NULL || changes->version < 2 || changes->exposed_ports == NULL)
		return;
	ports = object_member(config, "ExposedPorts");
	for (size_t i = 0; changes->exposed_ports[i] != NULL; i++)
		json_object_set_new(ports, changes->exposed_ports[i], json_object());
}

/* Labels of a config from the changes (version 3 and up), over the ones it has: {"KEY": "VALUE", ...}. */
void cv_image_config_set_labels(json_t *config, const struct containerv_import_options *changes)
{
	json_t *labels;

	if (changes == NULL || changes->version < 3 || changes->labels == NULL)
		return;
	labels = object_member(config, "Labels");
	for (size_t i = 0; changes->labels[i] != NULL; i++) {
		const char *equals = strchr(changes->labels[i], '=');
		cleanup_free char *key = strndup(changes->labels[i], (size_t)(equals - changes->labels[i]));
		if (key != NULL)
			json_object_set_new(labels, key, json_string(equals + 1));
	}
}

int cv_image_changes_check(const struct containerv_import_options *changes, const char *what)
{
	struct cv_port port;

	if (changes != NULL && (changes->version < 1 || changes->version > CONTAINERV_IMPORT_OPTIONS_VERSION))
		return cv_error_errno(EINVAL, "%s: unknown options version %u", what, changes->version);
	for (size_t i = 0;
	     changes != NULL && changes->version >= 3 && changes->labels != NULL && changes->labels[i] != NULL; i++) {
		const char *equals = strchr(changes->labels[i], '=');
		if (equals == NULL || equals == changes->labels[i])
			return cv_error_errno(EINVAL, "%s: LABEL \"%s\": give KEY=VALUE", what, changes->labels[i]);
	}

	for (size_t i = 0; changes != NULL && changes->version >= 2 && changes->exposed_ports != NULL &&
	                   changes->exposed_ports[i] != NULL;
	     i++)
		if (cv_port_parse(changes->exposed_ports[i], &port, true) != 0)
			return cv_error_prefix("%s: EXPOSE", what);
	return 0;
}

static int import_layer(struct cv_store *store, int fd, const char *name, const struct containerv_import_options *extra,
                        char digest_out[72])
{
	struct cv_unpack_limits limits = CV_UNPACK_LIMITS_DEFAULT;
	struct cv_unpack_result result;
	char layer_digest[72], config_digest[72], manifest_digest[72], blob[96], layers_path[PATH_MAX], created[40];
	cleanup_close int blob_fd = -1, layers_fd = -1;
	cleanup_free char *config_text = NULL, *manifest_text = NULL;
	const char *media_type;
	uint64_t size = 0;
	json_t *config, *inner, *manifest;
	int ret;

	if (cv_store_put_blob_fd(store, fd, IMPORT_MAX_BYTES, NULL, layer_digest, &size) != 0)
		return -1;
	cv_store_blob_relative(layer_digest, blob);
	blob_fd = openat(cv_store_dirfd(store), blob, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	layers_fd = openat(cv_store_dirfd(store), "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (blob_fd < 0 || layers_fd < 0)
		return cv_error_sys("import: open %s", blob);
	media_type = layer_media_type(blob_fd);
	snprintf(layers_path, sizeof layers_path, "%s/layers", cv_store_path(store));
	if (cv_unpack_layer(layers_fd, layers_path, blob_fd, NULL, NULL, &limits, &result) != 0)
		return -1;
	now_rfc3339(created);
	inner = json_object();
	if (extra != NULL && extra->cmd != NULL)
		json_object_set_new(inner, "Cmd", strv_json(extra->cmd));
	if (extra != NULL && extra->entrypoint != NULL)
		json_object_set_new(inner, "Entrypoint", strv_json(extra->entrypoint));
	if (extra != NULL && extra->env != NULL)
		json_object_set_new(inner, "Env", strv_json(extra->env));
	if (extra != NULL && extra->working_dir != NULL)
		json_object_set_new(inner, "WorkingDir", json_string(extra->working_dir));
	if (extra != NULL && extra->user != NULL)
		json_object_set_new(inner, "User", json_string(extra->user));
	cv_image_config_set_exposed(inner, extra);
	cv_image_config_set_labels(inner, extra);
	config =
	        json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", created, "architecture",
	                  cv_image_host_architecture(), "os", "linux", "config", inner, "rootfs", "type", "layers",
	                  "diff_ids", result.diff_id, "history", "created", created, "created_by", "containerv import");
	config_text = config != NULL ? json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(config);
	if (config_text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (cv_store_put_blob(store, config_text, strlen(config_text), NULL, config_digest) != 0)
		return -1;
	manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType",
	                     CV_MEDIA_OCI_MANIFEST, "config", "mediaType", CV_MEDIA_OCI_CONFIG, "digest", config_digest,
	                     "size", (json_int_t)strlen(config_text), "layers", "mediaType", media_type, "digest",
	                     layer_digest, "size", (json_int_t)size);
	manifest_text = manifest != NULL ? json_dumps(manifest, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(manifest);
	if (manifest_text == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (cv_store_put_blob(store, manifest_text, strlen(manifest_text), NULL, manifest_digest) != 0)
		return -1;
	ret = cv_store_tag(store, name, manifest_digest, CV_MEDIA_OCI_MANIFEST, (int64_t)strlen(manifest_text));
	if (ret == 0 && digest_out != NULL)
		memcpy(digest_out, manifest_digest, 72);
	return ret;
}

int containerv_image_import(const char *path, const char *name, const struct containerv_import_options *extra,
                            char *digest)
{
	struct cv_store *store = NULL;
	struct cv_reference ref;
	cleanup_free char *normalized = NULL;
	cleanup_close int fd = -1;
	char temporary[160] = "";
	struct stat st;
	int ret = -1;

	cv_error_clear();
	if (path == NULL || name == NULL)
		return cv_error_errno(EINVAL, "import: missing argument");
	if (cv_image_changes_check(extra, "import") != 0)
		return -1;
	if (extra != NULL && extra->working_dir != NULL && extra->working_dir[0] != '/')
		return cv_error_errno(EINVAL, "import: working directory \"%s\" is not absolute", extra->working_dir);
	if (cv_reference_parse(name, &ref) != 0)
		return cv_error_prefix("import %s", path);
	if (ref.digest != NULL) {
		cv_reference_clear(&ref);
		return cv_error_errno(EINVAL, "import %s: the name \"%s\" cannot hold a digest", path, name);
	}
	ret = cv_reference_format(&ref, &normalized);
	cv_reference_clear(&ref);
	if (ret != 0)
		return -1;
	ret = -1;
	if (stat(path, &st) < 0)
		return cv_error_sys("import %s", path);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return cv_error_errno(EINVAL, "import %s: not a directory or a tar file", path);
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		cv_store_temporary_name("ingest/.put-import-", temporary, sizeof temporary);
		fd = openat(cv_store_dirfd(store), temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			cv_error_sys("import %s: temporary tar", path);
			goto out;
		}
		if (cv_image_tar_directory(path, fd) != 0 || lseek(fd, 0, SEEK_SET) < 0)
			goto out;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cv_error_sys("import %s", path);
			goto out;
		}
		/* Nothing at all is a mistake (an empty stdin), not an empty image. */
		if (st.st_size == 0) {
			cv_error_errno(EINVAL, "import %s: empty input", path);
			goto out;
		}
	}
	ret = import_layer(store, fd, normalized, extra, digest);
out:
	if (temporary[0] != '\0')
		unlinkat(cv_store_dirfd(store), temporary, 0);
	if (ret != 0)
		cv_error_prefix("import %s", path);
	cv_store_close(store);
	return ret;
}
