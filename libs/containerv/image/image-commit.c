/*
 * containerv_image_commit: a container's changes (its overlay upper
 * directory) as a new layer on top of its image. Overlay's forms are
 * turned back into OCI's: a whiteout (char device 0:0) becomes an empty
 * ".wh.NAME", an opaque directory (trusted.overlay.opaque=y) gets a
 * ".wh..wh..opq" entry; overlay's own xattrs are not copied. The empty
 * /etc/hostname, /etc/hosts and /etc/resolv.conf the runtime makes as
 * mount targets are left out (docker keeps them out of commits too).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
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
#include "image/image-options.h"
#include "image/store.h"
#include "image/unpack.h"
#include "linux/container-private.h"

#define COMMIT_MAX_DEPTH 256

struct commit_writer {
	struct archive *out;
	struct archive_entry_linkresolver *links;
	char buffer[65536];
};

static bool is_runtime_placeholder(const char *path, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size == 0 &&
	       (strcmp(path, "etc/hostname") == 0 || strcmp(path, "etc/hosts") == 0 ||
	        strcmp(path, "etc/resolv.conf") == 0);
}

static void copy_xattrs(int fd, struct archive_entry *entry)
{
	char names[16384];
	ssize_t length = flistxattr(fd, names, sizeof names);

	for (ssize_t i = 0; i < length; i += (ssize_t)strlen(names + i) + 1) {
		char value[65536];
		const char *name = names + i;
		ssize_t size;

		if (strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0)
			continue;
		size = fgetxattr(fd, name, value, sizeof value);
		if (size >= 0)
			archive_entry_xattr_add_entry(entry, name, value, (size_t)size);
	}
}

static int write_header(struct commit_writer *w, struct archive_entry *entry, const char *path)
{
	if (archive_write_header(w->out, entry) != ARCHIVE_OK)
		return cv_error_errno(EIO, "commit %s: %s", path, archive_error_string(w->out));
	return 0;
}

static int write_marker(struct commit_writer *w, const char *path, const struct stat *st)
{
	struct archive_entry *entry = archive_entry_new();
	int ret;

	archive_entry_set_pathname(entry, path);
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, 0);
	archive_entry_set_mtime(entry, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	ret = write_header(w, entry, path);
	archive_entry_free(entry);
	return ret;
}

static int write_tree(struct commit_writer *w, int dir_fd, const char *prefix, int depth);

/* One entry of the upper directory: name in dir_fd, path its name in the layer. */
static int write_one(struct commit_writer *w, int dir_fd, const char *name, const char *path, int depth)
{
	struct stat st;
	struct archive_entry *entry, *sparse = NULL;
	cleanup_close int fd = -1;
	char opaque[2] = "";
	int ret = 0;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("commit %s", path);
	if (is_runtime_placeholder(path, &st))
		return 0;
	/* An overlay whiteout: ".wh.NAME" next to where NAME was. */
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		char marker[PATH_MAX];
		const char *slash = strrchr(path, '/');
		snprintf(marker, sizeof marker, "%.*s%s.wh.%s", slash != NULL ? (int)(slash - path) : 0, path,
		         slash != NULL ? "/" : "", slash != NULL ? slash + 1 : path);
		return write_marker(w, marker, &st);
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			return cv_error_sys("commit %s", path);
		if (fgetxattr(fd, "trusted.overlay.metacopy", NULL, 0) >= 0 ||
		    fgetxattr(fd, "trusted.overlay.redirect", NULL, 0) >= 0)
			return cv_error_errno(ENOTSUP, "commit %s: overlay metacopy/redirect entries are not supported",
			                      path);
		if (S_ISDIR(st.st_mode))
			fgetxattr(fd, "trusted.overlay.opaque", opaque, 1);
	}
	entry = archive_entry_new();
	archive_entry_copy_stat(entry, &st);
	archive_entry_set_pathname(entry, path);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dir_fd, name, target, sizeof target - 1);
		if (n < 0) {
			archive_entry_free(entry);
			return cv_error_sys("commit %s: readlink", path);
		}
		target[n] = '\0';
		archive_entry_set_symlink(entry, target);
	}
	if (fd >= 0)
		copy_xattrs(fd, entry);
	archive_entry_linkify(w->links, &entry, &sparse);
	if (entry != NULL) {
		ret = write_header(w, entry, path);
		/* Data only for the first name of a file (later ones are hardlinks with no data). */
		if (ret == 0 && S_ISREG(st.st_mode) && archive_entry_hardlink(entry) == NULL && st.st_size > 0) {
			ssize_t n;
			while ((n = read(fd, w->buffer, sizeof w->buffer)) > 0) {
				if (archive_write_data(w->out, w->buffer, (size_t)n) != n) {
					ret = cv_error_errno(EIO, "commit %s: %s", path, archive_error_string(w->out));
					break;
				}
			}
			if (n < 0)
				ret = cv_error_sys("commit %s: read", path);
		}
		archive_entry_free(entry);
	}
	if (ret == 0 && S_ISDIR(st.st_mode)) {
		if (opaque[0] == 'y') {
			char marker[PATH_MAX];
			snprintf(marker, sizeof marker, "%s/.wh..wh..opq", path);
			ret = write_marker(w, marker, &st);
		}
		if (ret == 0)
			ret = write_tree(w, fd, path, depth + 1);
	}
	return ret;
}

static int write_tree(struct commit_writer *w, int dir_fd, const char *prefix, int depth)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *child;
	int fd;

	if (depth > COMMIT_MAX_DEPTH)
		return cv_error_errno(ELOOP, "commit %s: deeper than %d directories", prefix, COMMIT_MAX_DEPTH);
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("commit %s", prefix[0] ? prefix : "/");
	}
	while ((child = readdir(dir)) != NULL) {
		char path[PATH_MAX];

		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", child->d_name);
		if (write_one(w, dirfd(dir), child->d_name, path, depth) != 0)
			return -1;
	}
	return 0;
}

/* The upper directory as an OCI layer tar written to fd. */
static int write_layer(int upper_fd, int fd)
{
	struct commit_writer *w = cv_malloc0(sizeof *w);
	int ret = -1;

	if (w == NULL)
		return -1;
	w->out = archive_write_new();
	w->links = archive_entry_linkresolver_new();
	if (w->out == NULL || w->links == NULL) {
		cv_error_errno(ENOMEM, "out of memory");
		goto out;
	}
	archive_entry_linkresolver_set_strategy(w->links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	archive_write_set_format_pax_restricted(w->out);
	archive_write_set_bytes_in_last_block(w->out, 1);
	if (archive_write_open_fd(w->out, fd) != ARCHIVE_OK) {
		cv_error_errno(EIO, "commit: %s", archive_error_string(w->out));
		goto out;
	}
	if (write_tree(w, upper_fd, "", 0) != 0)
		goto out;
	if (archive_write_close(w->out) != ARCHIVE_OK) {
		cv_error_errno(EIO, "commit: %s", archive_error_string(w->out));
		goto out;
	}
	ret = 0;
out:
	if (w->out != NULL)
		archive_write_free(w->out);
	archive_entry_linkresolver_free(w->links);
	free(w);
	return ret;
}

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
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

static int commit_locked(struct cv_store *store, struct containerv_container *c, const char *name,
                         const struct containerv_import_options *changes, char *digest_out)
{
	struct cv_unpack_limits limits = CV_UNPACK_LIMITS_DEFAULT;
	struct cv_unpack_result result;
	cleanup_free char *base_manifest = NULL, *base_config = NULL, *config_text = NULL, *manifest_text = NULL;
	cleanup_free char(*chain_ids)[72] = NULL;
	cleanup_close int upper_fd = -1, tar_fd = -1, blob_fd = -1, layers_fd = -1;
	char temporary[160], upper[PATH_MAX], layer_digest[72], config_digest[72], manifest_digest[72], blob[96];
	char chain[72], joined[150], layers_path[PATH_MAX], created[40];
	struct cv_manifest manifest;
	struct cv_image_config config;
	size_t length = 0, count = 0;
	uint64_t size = 0;
	json_t *manifest_json;
	bool docker;
	int ret = -1;

	if (c->config.image_digest == NULL)
		return cv_error_errno(EINVAL, "commit %s: created from a root filesystem, not an image", c->name);
	if (cv_store_load_image(store, c->config.image_digest, &manifest, &config) != 0)
		return cv_error_prefix("commit %s", c->name);
	docker = strcmp(manifest.media_type, CV_MEDIA_DOCKER_MANIFEST) == 0;
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	char base_digest[72];
	if (cv_store_image_chain_ids(store, c->config.image_digest, &chain_ids, &count) != 0 ||
	    cv_store_platform_manifest(store, c->config.image_digest, base_digest, NULL, NULL) != 0 ||
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
	/* The layer: the upper directory as a tar in ingest/, stored as a blob, unpacked like any layer. */
	snprintf(upper, sizeof upper, "%s/upper", c->dir);
	upper_fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cv_store_temporary_name("ingest/.put-commit-", temporary, sizeof temporary);
	tar_fd = openat(cv_store_dirfd(store), temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (upper_fd < 0 || tar_fd < 0) {
		cv_error_sys("commit %s: open %s", c->name, upper_fd < 0 ? upper : temporary);
		goto out;
	}
	if (write_layer(upper_fd, tar_fd) != 0 || lseek(tar_fd, 0, SEEK_SET) < 0 ||
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

int containerv_image_commit(struct containerv_container *container, const char *name,
                            const struct containerv_import_options *changes, char *digest)
{
	struct cv_store *store = NULL;
	struct cv_reference ref;
	cleanup_free char *normalized = NULL;
	int ret;

	cv_error_clear();
	if (container == NULL || name == NULL)
		return cv_error_errno(EINVAL, "commit: missing argument");
	if (cv_image_changes_check(changes, "commit") != 0)
		return -1;
	if (changes != NULL && changes->version != 1 && changes->version != CONTAINERV_IMPORT_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "commit: unknown options version %u", changes->version);
	if (cv_reference_parse(name, &ref) != 0)
		return cv_error_prefix("commit");
	ret = ref.digest != NULL ? cv_error_errno(EINVAL, "commit: the name \"%s\" cannot hold a digest", name)
	                         : cv_reference_format(&ref, &normalized);
	cv_reference_clear(&ref);
	if (ret != 0)
		return -1;
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	ret = commit_locked(store, container, normalized, changes, digest);
	cv_store_close(store);
	return ret;
}
