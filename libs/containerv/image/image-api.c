/*
 * The public image API over the store: inspect, list, tag, remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <chef/containerv/image.h>

#include "common/digest.h"
#include "common/error.h"
#include "common/util.h"
#include "image/image-private.h"
#include "image/image-usage.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"

void containerv_image_info_clear(struct containerv_image_info *info)
{
	unsigned int version;

	if (info == NULL)
		return;
	version = info->version;
	int disk_usage = info->disk_usage;
	cv_strv_free(info->names);
	cv_strv_free(info->entrypoint);
	cv_strv_free(info->cmd);
	cv_strv_free(info->env);
	cv_strv_free(info->labels);
	cv_strv_free(info->volumes);
	cv_strv_free(info->exposed_ports);
	free(info->working_dir);
	free(info->user);
	free(info->stop_signal);
	cv_strv_free(info->layers);
	cv_strv_free(info->used_by);
	memset(info, 0, sizeof *info);
	info->version = version;
	info->disk_usage = disk_usage;
}

/* RFC 3339 ("2024-01-02T03:04:05.123456789Z", or with an offset) to nanoseconds; 0 when unreadable. */
static int64_t parse_created(const char *text)
{
	struct tm tm = {0};
	const char *rest;
	int64_t ns = 0, scale = 100000000;
	long offset = 0;

	if (text == NULL || (rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*rest == '.') {
		for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
			ns += (*rest - '0') * scale;
			scale /= 10;
		}
	}
	if (*rest == '+' || *rest == '-') {
		int hours = 0, minutes = 0;
		if (sscanf(rest + 1, "%2d:%2d", &hours, &minutes) == 2)
			offset = (hours * 3600L + minutes * 60L) * (*rest == '-' ? -1 : 1);
	}
	return ((int64_t)timegm(&tm) - offset) * 1000000000LL + ns;
}

static _Thread_local uint64_t du_total;
static int du_add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	du_total += (uint64_t)st->st_blocks * 512;
	return 0;
}

uint64_t cv_image_disk_usage(const char *path)
{
	du_total = 0;
	nftw(path, du_add, 16, FTW_PHYS | FTW_MOUNT);
	return du_total;
}

int cv_image_fill_info(struct cv_store *store, const char *manifest_digest, struct containerv_image_info *info,
                       const struct cv_store_name *names, size_t name_count, const struct cv_image_user *users,
                       size_t user_count)
{
	struct cv_manifest manifest;
	struct cv_image_config config;
	cleanup_free char(*chain_ids)[72] = NULL;
	unsigned int version = info->version;
	int disk_usage = info->disk_usage;

	memset(info, 0, sizeof *info);
	info->version = version;
	info->disk_usage = disk_usage;
	if (cv_store_load_image(store, manifest_digest, &manifest, &config) != 0)
		return -1;
	memcpy(info->digest, manifest_digest, 72);
	memcpy(info->id, manifest.config.digest, 72);
	for (size_t i = 0; i < name_count; i++) {
		if (strcmp(names[i].digest, manifest_digest) == 0 && cv_strv_append(&info->names, names[i].name) != 0)
			goto fail;
	}
	for (size_t i = 0; i < user_count; i++) {
		if (users[i].image_digest != NULL && strcmp(users[i].image_digest, manifest_digest) == 0 &&
		    cv_strv_append(&info->used_by, users[i].id) != 0)
			goto fail;
	}
	info->created_ns = parse_created(config.created);
	info->layer_count = manifest.layer_count;
	for (size_t i = 0; i < manifest.layer_count; i++)
		info->size += (uint64_t)manifest.layers[i].size;
	chain_ids = cv_malloc0((config.diff_id_count + 1) * sizeof *chain_ids);
	if (chain_ids == NULL || cv_chain_ids(config.diff_ids, config.diff_id_count, chain_ids) != 0)
		goto fail;
	for (size_t i = 0; i < config.diff_id_count; i++) {
		char path[4096];
		if (cv_strv_append(&info->layers, config.diff_ids[i]) != 0)
			goto fail;
		if (disk_usage && cv_store_layer_path(store, chain_ids[i], path, sizeof path) == 0)
			info->unpacked_size += cv_image_disk_usage(path);
	}
	snprintf(info->architecture, sizeof info->architecture, "%s", config.architecture ? config.architecture : "");
	snprintf(info->os, sizeof info->os, "%s", config.os ? config.os : "");
	info->entrypoint = cv_steal_pointer(&config.entrypoint);
	info->cmd = cv_steal_pointer(&config.cmd);
	info->env = cv_steal_pointer(&config.env);
	info->labels = cv_steal_pointer(&config.labels);
	info->volumes = cv_steal_pointer(&config.volumes);
	info->exposed_ports = cv_steal_pointer(&config.exposed_ports);
	info->working_dir = cv_steal_pointer(&config.working_dir);
	info->user = cv_steal_pointer(&config.user);
	info->stop_signal = cv_steal_pointer(&config.stop_signal);
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	return 0;
fail:
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	containerv_image_info_clear(info);
	return -1;
}

int cv_image_open_store(struct cv_store **store, int lock)
{
	if (cv_store_open(store) != 0)
		return -1;
	if (cv_store_lock(*store, lock) != 0) {
		cv_store_close(*store);
		*store = NULL;
		return -1;
	}
	return 0;
}

int containerv_image_inspect(const char *image, struct containerv_image_info *info)
{
	struct cv_store *store = NULL;
	struct cv_store_name *names = NULL;
	struct cv_image_user *users = NULL;
	size_t name_count = 0, user_count = 0;
	char digest[72];
	int ret = -1;

	cv_error_clear();
	if (image == NULL || info == NULL || info->version != CONTAINERV_IMAGE_INFO_VERSION)
		return cv_error_errno(EINVAL, "image inspect: missing argument or wrong info version");
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	if (cv_store_resolve(store, image, digest, NULL) == 0 && cv_store_names(store, &names, &name_count) == 0 &&
	    cv_image_users(&users, &user_count) == 0)
		ret = cv_image_fill_info(store, digest, info, names, name_count, users, user_count);
	cv_store_names_free(names, name_count);
	cv_image_users_free(users, user_count);
	cv_store_close(store);
	return ret;
}

int containerv_image_list(int (*callback)(const struct containerv_image_info *info, void *user), void *user)
{
	struct cv_store *store = NULL;
	struct cv_store_name *names = NULL;
	struct cv_image_user *users = NULL;
	size_t name_count = 0, user_count = 0;
	int ret = -1;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "image list: no callback");
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	if (cv_store_names(store, &names, &name_count) != 0 || cv_image_users(&users, &user_count) != 0)
		goto out;
	ret = 0;
	for (size_t i = 0; i < name_count && ret == 0; i++) {
		struct containerv_image_info info = {.version = CONTAINERV_IMAGE_INFO_VERSION, .disk_usage = 1};
		bool seen = false;

		/* One call per manifest: the first of its names. */
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(names[j].digest, names[i].digest) == 0;
		if (seen)
			continue;
		/* An image whose blobs are unreadable is skipped, not fatal: the others are still listed. */
		if (cv_image_fill_info(store, names[i].digest, &info, names, name_count, users, user_count) != 0)
			continue;
		ret = callback(&info, user);
		containerv_image_info_clear(&info);
	}
	cv_error_clear();
out:
	cv_store_names_free(names, name_count);
	cv_image_users_free(users, user_count);
	cv_store_close(store);
	return ret;
}

/* docker's image events: Actor.ID the image (its digest here), name= the name concerned. */
static void journal_image(const char *action, const char *digest, const char *name)
{
	cleanup_free char *attribute = NULL;

	if (cv_asprintf(&attribute, "name=%s", name != NULL ? name : "") == 0)
		cv_journal_note("image", action, digest, (const char *const[]){attribute, NULL});
}

int containerv_image_tag(const char *source, const char *target)
{
	struct cv_store *store = NULL;
	struct cv_reference ref;
	cleanup_free char *name = NULL;
	struct cv_store_name *names = NULL;
	size_t count = 0;
	char digest[72];
	int ret = -1;

	cv_error_clear();
	if (source == NULL || target == NULL)
		return cv_error_errno(EINVAL, "tag: missing argument");
	if (cv_reference_parse(target, &ref) != 0)
		return cv_error_prefix("tag %s", source);
	if (ref.digest != NULL) {
		cv_reference_clear(&ref);
		return cv_error_errno(EINVAL, "tag %s: the new name \"%s\" cannot hold a digest", source, target);
	}
	ret = cv_reference_format(&ref, &name);
	cv_reference_clear(&ref);
	if (ret != 0)
		return -1;
	ret = -1;
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	if (cv_store_resolve(store, source, digest, NULL) == 0 && cv_store_names(store, &names, &count) == 0) {
		for (size_t i = 0; i < count; i++) {
			if (strcmp(names[i].digest, digest) == 0) {
				ret = cv_store_tag(store, name, digest, names[i].media_type, names[i].size);
				if (ret == 0)
					journal_image("tag", digest, name);
				break;
			}
		}
	}
	cv_store_names_free(names, count);
	cv_store_close(store);
	return ret;
}

static bool used_by_a_container(const char *digest, const struct cv_image_user *users, size_t count, const char **id)
{
	for (size_t i = 0; i < count; i++) {
		if (users[i].image_digest != NULL && strcmp(users[i].image_digest, digest) == 0) {
			*id = users[i].id;
			return true;
		}
	}
	return false;
}

int containerv_image_remove(const char *image, unsigned int flags, char *untagged)
{
	struct cv_store *store = NULL;
	struct cv_store_name *names = NULL;
	struct cv_image_user *users = NULL;
	size_t name_count = 0, user_count = 0, same = 0;
	cleanup_free char *name = NULL;
	char digest[72];
	const char *user_id = NULL;
	bool by_name;
	int ret = -1;

	cv_error_clear();
	if (image == NULL)
		return cv_error_errno(EINVAL, "rmi: no image");
	/* Exclusive: no container is created from it meanwhile. */
	if (cv_image_open_store(&store, LOCK_EX) != 0)
		return -1;
	if (cv_store_resolve(store, image, digest, &name) != 0 || cv_store_names(store, &names, &name_count) != 0 ||
	    cv_image_users(&users, &user_count) != 0)
		goto out;
	for (size_t i = 0; i < name_count; i++)
		same += strcmp(names[i].digest, digest) == 0;
	/* Given by a name, only that name goes (docker's untag); given by id or digest, all of them. */
	by_name = false;
	{
		struct cv_reference ref;
		char *normalized = NULL;
		if (cv_reference_parse(image, &ref) == 0) {
			by_name = ref.digest == NULL && cv_reference_format(&ref, &normalized) == 0 &&
			          strcmp(normalized, name) == 0;
			free(normalized);
			cv_reference_clear(&ref);
		}
	}
	if ((!by_name || same == 1) && !(flags & CV_IMAGE_REMOVE_FORCE) &&
	    used_by_a_container(digest, users, user_count, &user_id)) {
		cv_error_errno(EBUSY, "rmi %s: image is in use by container %.12s (remove it first, or force)", image,
		               user_id);
		goto out;
	}
	if (by_name && same > 1) {
		if ((ret = cv_store_untag(store, name)) == 0)
			journal_image("untag", digest, name);
	} else {
		ret = 0;
		for (size_t i = 0; i < name_count && ret == 0; i++) {
			if (strcmp(names[i].digest, digest) == 0 && (ret = cv_store_untag(store, names[i].name)) == 0)
				journal_image("untag", digest, names[i].name);
		}
		if (ret == 0)
			journal_image("delete", digest, name);
	}
	if (ret == 0 && untagged != NULL)
		memcpy(untagged, digest, 72);
out:
	if (ret != 0 && errno != EBUSY)
		cv_error_prefix("rmi");
	cv_store_names_free(names, name_count);
	cv_image_users_free(users, user_count);
	cv_store_close(store);
	return ret;
}

/* A config without "history" (a hand-made image): one row per layer, described by nothing. */
static int history_without_entries(const struct cv_manifest *manifest, containerv_image_history_fn callback, void *user)
{
	for (size_t i = manifest->layer_count; i-- > 0;) {
		struct containerv_image_history entry = {.size = (uint64_t)manifest->layers[i].size};
		int ret = callback(&entry, user);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* Newest first; each entry that made a layer gets that layer's size (they pair up in order). */
static int history_rows(const struct cv_manifest *manifest, const struct cv_image_config *config,
                        containerv_image_history_fn callback, void *user)
{
	size_t layer = 0, layers_made = 0;

	if (config->history_count == 0)
		return history_without_entries(manifest, callback, user);
	for (size_t i = 0; i < config->history_count; i++)
		layers_made += !config->history[i].empty_layer;
	layer = layers_made;
	for (size_t i = config->history_count; i-- > 0;) {
		const struct cv_history_entry *h = &config->history[i];
		struct containerv_image_history entry = {
		        .created_ns = h->created != NULL ? parse_created(h->created) : 0,
		        .created_by = h->created_by != NULL ? h->created_by : "",
		        .comment = h->comment != NULL ? h->comment : "",
		        .empty_layer = h->empty_layer,
		};
		int ret;

		if (!h->empty_layer && layer-- > 0 && layer < manifest->layer_count)
			entry.size = (uint64_t)manifest->layers[layer].size;
		ret = callback(&entry, user);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int containerv_image_history(const char *image, containerv_image_history_fn callback, void *user)
{
	struct cv_store *store = NULL;
	struct cv_manifest manifest;
	struct cv_image_config config;
	char digest[72];
	int ret;

	cv_error_clear();
	if (image == NULL || callback == NULL)
		return cv_error_errno(EINVAL, "image history: missing argument");
	if (cv_image_open_store(&store, LOCK_SH) != 0)
		return -1;
	if (cv_store_resolve(store, image, digest, NULL) != 0 ||
	    cv_store_load_image(store, digest, &manifest, &config) != 0) {
		cv_store_close(store);
		return -1;
	}
	cv_store_close(store);
	ret = history_rows(&manifest, &config, callback, user);
	cv_manifest_clear(&manifest);
	cv_image_config_clear(&config);
	return ret != 0 ? -1 : 0;
}
