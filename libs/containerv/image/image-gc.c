/*
 * Garbage collection of the image store: mark and sweep under the
 * exclusive lock. Marked: what index.json's names reach (manifest, and
 * through an index its child manifests; config; layer blobs; unpacked
 * layers by chain id) and every layer and image a container records.
 * Swept: the other blobs and layers, temporaries of crashed writers and
 * partial downloads older than a day (younger ones stay for a resume).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <chef/containerv/image.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/image-private.h"
#include "image/image-usage.h"
#include "image/manifest.h"
#include "image/store-private.h"
#include "image/store.h"

#define PARTIAL_MAX_AGE_SECONDS (24 * 3600)

struct marks {
	char **hexes; /* marked blob and layer hex names */
};

static bool marked(const struct marks *marks, const char *hex)
{
	for (size_t i = 0; marks->hexes != NULL && marks->hexes[i] != NULL; i++) {
		if (strcmp(marks->hexes[i], hex) == 0)
			return true;
	}
	return false;
}

static int mark(struct marks *marks, const char *digest)
{
	const char *hex = cv_digest_is_valid(digest) ? cv_digest_hex(digest) : digest;

	if (marked(marks, hex))
		return 0;
	return cv_strv_append(&marks->hexes, hex);
}

/* Marks a manifest (or an index and its children) and everything it reaches. */
static int mark_manifest(struct cv_store *store, struct marks *marks, const char *digest, int depth)
{
	cleanup_free char *text = NULL;
	cleanup_free char(*chain_ids)[72] = NULL;
	struct cv_manifest manifest;
	struct cv_image_config config;
	size_t length = 0;

	if (mark(marks, digest) != 0)
		return -1;
	if (cv_store_read_blob(store, digest, CV_STORE_MANIFEST_MAX, &text, &length) != 0)
		return 0; /* missing or corrupt: nothing more to keep through it */
	if (cv_manifest_parse(text, length, &manifest) != 0) {
		if (errno == EMEDIUMTYPE && depth == 0) {
			json_t *root = json_loadb(text, length, 0, NULL), *child;
			size_t i;
			json_array_foreach(json_object_get(root, "manifests"), i, child)
			{
				const char *child_digest = json_string_value(json_object_get(child, "digest"));
				if (cv_digest_is_valid(child_digest) &&
				    mark_manifest(store, marks, child_digest, 1) != 0) {
					json_decref(root);
					return -1;
				}
			}
			json_decref(root);
		}
		return 0;
	}
	if (mark(marks, manifest.config.digest) != 0)
		goto fail;
	for (size_t i = 0; i < manifest.layer_count; i++) {
		if (mark(marks, manifest.layers[i].digest) != 0)
			goto fail;
	}
	cv_manifest_clear(&manifest);
	if (cv_store_load_image(store, digest, &manifest, &config) != 0)
		return 0;
	chain_ids = cv_malloc0((config.diff_id_count + 1) * sizeof *chain_ids);
	if (chain_ids != NULL && cv_chain_ids(config.diff_ids, config.diff_id_count, chain_ids) == 0) {
		for (size_t i = 0; i < config.diff_id_count; i++)
			mark(marks, chain_ids[i]);
	}
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	return 0;
fail:
	cv_manifest_clear(&manifest);
	return -1;
}

static int mark_all(struct cv_store *store, struct marks *marks, bool keep_named)
{
	struct cv_store_name *names = NULL;
	struct cv_image_user *users = NULL;
	size_t name_count = 0, user_count = 0;
	int ret = -1;

	if (cv_image_users(&users, &user_count) != 0)
		return -1;
	if (keep_named && cv_store_names(store, &names, &name_count) != 0)
		goto out;
	for (size_t i = 0; i < name_count; i++) {
		if (mark_manifest(store, marks, names[i].digest, 0) != 0)
			goto out;
	}
	for (size_t i = 0; i < user_count; i++) {
		if (users[i].image_digest != NULL && cv_digest_is_valid(users[i].image_digest) &&
		    mark_manifest(store, marks, users[i].image_digest, 0) != 0)
			goto out;
		/*
		 * By the last component, whatever the prefix: the same store reached through another spelling
		 * of the root (a trailing slash, a symlink) must still keep the layer. Marking too much is harmless.
		 */
		for (size_t j = 0; users[i].layers != NULL && users[i].layers[j] != NULL; j++) {
			const char *slash = strrchr(users[i].layers[j], '/');
			const char *hex = slash != NULL ? slash + 1 : users[i].layers[j];
			if (strlen(hex) == 64 && strspn(hex, "0123456789abcdef") == 64 && mark(marks, hex) != 0)
				goto out;
		}
	}
	ret = 0;
out:
	cv_store_names_free(names, name_count);
	cv_image_users_free(users, user_count);
	return ret;
}

/* rm -rf relative to a directory fd, without following links. */
static int remove_tree(int dir_fd, const char *name)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	int fd;

	if (unlinkat(dir_fd, name, 0) == 0 || errno == ENOENT)
		return 0;
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 &&
		    remove_tree(dirfd(dir), entry->d_name) != 0)
			return -1;
	}
	return unlinkat(dir_fd, name, AT_REMOVEDIR);
}

/* Sweeps one store directory: entries not marked (by hex name) go; temporaries always. */
static int sweep(struct cv_store *store, const char *relative, const struct marks *marks, bool layers,
                 uint64_t *removed, uint64_t *bytes)
{
	cleanup_close int fd = openat(cv_store_dirfd(store), relative, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	time_t now = time(NULL);

	if (fd < 0)
		return errno == ENOENT ? 0 : cv_error_sys("gc: open %s/%s", cv_store_path(store), relative);
	dir = fdopendir(fd);
	if (dir == NULL)
		return cv_error_sys("gc: read %s/%s", cv_store_path(store), relative);
	fd = -1;
	while ((entry = readdir(dir)) != NULL) {
		const char *name = entry->d_name;
		struct stat st;
		bool temporary = name[0] == '.' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (strcmp(relative, ".") == 0) {
			/* The store's top level: only temporaries of index.json / oci-layout writers. */
			if (strncmp(name, ".tmp-", 5) != 0)
				continue;
		} else if (strcmp(relative, "ingest") == 0) {
			/* Partials: kept for a resume unless stale; ".put-" temporaries of crashed writers go. */
			if (!temporary && now - st.st_mtime < PARTIAL_MAX_AGE_SECONDS)
				continue;
		} else if (!temporary && marked(marks, name)) {
			continue;
		}
		if (layers) {
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/%s/%s", cv_store_path(store), relative, name);
			*bytes += cv_image_disk_usage(path);
		} else {
			*bytes += (uint64_t)st.st_blocks * 512;
		}
		if (remove_tree(dirfd(dir), name) != 0)
			return cv_error_sys("gc: remove %s/%s/%s", cv_store_path(store), relative, name);
		if (!temporary)
			(*removed)++;
	}
	return 0;
}

static int collect(struct cv_store *store, bool keep_named, struct containerv_image_gc_result *result)
{
	struct marks marks = {NULL};
	int ret = -1;

	if (mark_all(store, &marks, keep_named) != 0)
		goto out;
	uint64_t uncounted = 0, uncounted_bytes = 0;
	if (sweep(store, "blobs/sha256", &marks, false, &result->blobs_removed, &result->bytes_freed) != 0 ||
	    sweep(store, "layers", &marks, true, &result->layers_removed, &result->bytes_freed) != 0 ||
	    sweep(store, "ingest", &marks, false, &result->blobs_removed, &result->bytes_freed) != 0 ||
	    /* Chain id caches, named by their config: they go with it (not counted, they are not image data). */
	    sweep(store, "chains", &marks, false, &uncounted, &uncounted_bytes) != 0 ||
	    sweep(store, ".", &marks, false, &result->blobs_removed, &result->bytes_freed) != 0)
		goto out;
	ret = 0;
out:
	cv_strv_free(marks.hexes);
	return ret;
}

int containerv_image_gc(struct containerv_image_gc_result *result)
{
	struct containerv_image_gc_result local = {0};
	struct cv_store *store = NULL;
	int ret;

	cv_error_clear();
	if (cv_image_open_store(&store, LOCK_EX) != 0)
		return -1;
	ret = collect(store, true, &local);
	cv_store_close(store);
	if (result != NULL)
		*result = local;
	return ret;
}

int containerv_image_prune(struct containerv_image_gc_result *result)
{
	struct cv_store_name *names = NULL;
	struct cv_image_user *users = NULL;
	size_t name_count = 0, user_count = 0;
	struct cv_store *store = NULL;
	int ret = -1;

	cv_error_clear();
	if (cv_image_open_store(&store, LOCK_EX) != 0)
		return -1;
	if (cv_store_names(store, &names, &name_count) != 0 || cv_image_users(&users, &user_count) != 0)
		goto out;
	for (size_t i = 0; i < name_count; i++) {
		bool used = false;
		for (size_t j = 0; j < user_count && !used; j++)
			used = users[j].image_digest != NULL && strcmp(users[j].image_digest, names[i].digest) == 0;
		if (!used && cv_store_untag(store, names[i].name) != 0)
			goto out;
	}
	ret = 0;
out:
	cv_store_names_free(names, name_count);
	cv_image_users_free(users, user_count);
	cv_store_close(store);
	if (ret == 0)
		ret = containerv_image_gc(result);
	return ret;
}

static uint64_t directory_bytes(struct cv_store *store, const char *relative)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", cv_store_path(store), relative);
	return cv_image_disk_usage(path);
}

int containerv_image_df(struct containerv_image_df *df)
{
	struct cv_store *store = NULL;
	struct cv_store_name *names = NULL;
	struct cv_image_user *users = NULL;
	size_t name_count = 0, user_count = 0;
	struct marks in_use = {NULL};
	int ret = -1;

	cv_error_clear();
	if (df == NULL)
		return cv_error_errno(EINVAL, "df: no result");
	memset(df, 0, sizeof *df);
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	if (cv_store_names(store, &names, &name_count) != 0 || cv_image_users(&users, &user_count) != 0)
		goto out;
	for (size_t i = 0; i < name_count; i++) {
		bool seen = false, used = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(names[j].digest, names[i].digest) == 0;
		if (seen)
			continue;
		df->images++;
		for (size_t j = 0; j < user_count && !used; j++)
			used = users[j].image_digest != NULL && strcmp(users[j].image_digest, names[i].digest) == 0;
		df->images_in_use += used;
	}
	df->blob_bytes = directory_bytes(store, "blobs/sha256") + directory_bytes(store, "ingest");
	df->layer_bytes = directory_bytes(store, "layers");
	/* Reclaimable: everything not reached from what containers use (what prune + GC would free). */
	if (mark_all(store, &in_use, false) != 0)
		goto out;
	{
		uint64_t kept = 0;
		char path[PATH_MAX];
		for (size_t i = 0; in_use.hexes != NULL && in_use.hexes[i] != NULL; i++) {
			struct stat st;
			snprintf(path, sizeof path, "%s/blobs/sha256/%s", cv_store_path(store), in_use.hexes[i]);
			if (lstat(path, &st) == 0)
				kept += (uint64_t)st.st_blocks * 512;
			snprintf(path, sizeof path, "%s/layers/%s", cv_store_path(store), in_use.hexes[i]);
			if (lstat(path, &st) == 0)
				kept += cv_image_disk_usage(path);
		}
		uint64_t total = df->blob_bytes + df->layer_bytes;
		df->reclaimable_bytes = total > kept ? total - kept : 0;
	}
	ret = 0;
out:
	cv_strv_free(in_use.hexes);
	cv_store_names_free(names, name_count);
	cv_image_users_free(users, user_count);
	cv_store_close(store);
	return ret;
}
