/*
 * The state store: containers on disk under a context's root, whatever the platform.
 *
 *   <root>/containers/<id>/config.json   the options, written once at create
 *   <root>/containers/<id>/state.json    status, init pid, times (atomic rewrites)
 *   <root>/containers/<id>/exit.json     written by the init when the main process ends
 *   <root>/containers/<id>/container.log the main command's output by default
 *   <root>/containers/<id>/...           the backend's files (Linux: the overlay's upper, work)
 *   <root>/names/<name> -> <id>          a symlink (Windows: a file holding the id): makes names
 *                                        unique atomically
 *
 * Ids, names, list, open, inspect and the state files live here; what only the
 * platform can tell (is the init alive, what did it leave) is asked through
 * the backend (core/backend.h). The file primitives that differ between
 * platforms (locks, names, atomic rewrites) are common/state-files.h's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/state-files.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/spare-dirs.h"

struct containerv_container *cv_container_alloc(struct containerv_context *context)
{
	const struct cv_backend_ops *backend = cv_backend();
	/* The backend's part follows the handle, aligned as malloc aligns. */
	size_t offset = (sizeof(struct containerv_container) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	struct containerv_container *c = cv_malloc0(offset + backend->platform_size);

	if (c == NULL)
		return NULL;
	c->context = context;
	c->platform = (struct cv_platform_container *)(void *)((char *)c + offset);
	backend->handle_init(c);
	return c;
}

static int state_subdir(struct containerv_context *context, const char *leaf, char *buffer, size_t size)
{
	return cv_mkdir_private(cv_context_root(context), leaf, buffer, size);
}

int cv_state_containers_dir(struct containerv_context *context, char *buffer, size_t size)
{
	return state_subdir(context, "containers", buffer, size);
}

int cv_state_names_dir(struct containerv_context *context, char *buffer, size_t size)
{
	return state_subdir(context, "names", buffer, size);
}

int cv_state_new_id(char id[CV_ID_LENGTH + 1])
{
	unsigned char bytes[CV_ID_LENGTH / 2];

	if (cv_random_bytes(bytes, sizeof bytes) < 0)
		return cv_error_prefix("generate container id");
	for (size_t i = 0; i < sizeof bytes; i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* The name's holder is an ended autoremove container: it goes, and the name is free. */
static bool free_name_of_ended(struct containerv_context *context, const char *names, const char *name)
{
	char holder[CV_ID_LENGTH + 2];
	struct containerv_container *c = NULL;

	if (cv_name_entry_read(names, name, holder, sizeof holder) != CV_ID_LENGTH)
		return false;
	if (cv_state_load(context, holder, &c) < 0) {
		cv_error_clear();
		return false;
	}
	if (cv_backend()->collect(c) == 1)
		return true;
	containerv_close(c);
	return false;
}

/*
 * The name's holder is a create that was killed: its directory is gone (a create makes it before it
 * reserves the name), or has no config.json and nobody holds its lock (create.c's make_locked_dir). It
 * goes, and the name is free.
 */
static bool free_name_of_abandoned(struct containerv_context *context, const char *names, const char *name)
{
	char holder[CV_ID_LENGTH + 2], containers[PATH_MAX], path[PATH_MAX];
	int lock;

	if (cv_name_entry_read(names, name, holder, sizeof holder) != CV_ID_LENGTH ||
	    cv_state_containers_dir(context, containers, sizeof containers) < 0)
		return false;
	snprintf(path, sizeof path, "%s/%s", containers, holder);
	lock = cv_dir_lock(path, false);
	if (lock < 0 && errno != ENOENT)
		return false;
	if (lock >= 0 && cv_file_exists_in(path, "config.json") != 0) {
		cv_dir_unlock(lock);
		return false;
	}
	if (lock >= 0) {
		cv_rm_rf(path);
		cv_dir_unlock(lock);
	}
	cv_file_remove_in(names, name);
	cv_error_clear();
	return true;
}

int cv_state_reserve_name(struct containerv_context *context, const char *name, const char *id)
{
	char dir[PATH_MAX];

	if (cv_state_names_dir(context, dir, sizeof dir) < 0)
		return -1;
	if (cv_name_entry_create(dir, name, id) == 0)
		return 0;
	if (errno != EEXIST)
		return cv_error_prefix("reserve");
	cv_error_clear();
	if ((free_name_of_ended(context, dir, name) || free_name_of_abandoned(context, dir, name)) &&
	    cv_name_entry_create(dir, name, id) == 0)
		return 0;
	return cv_error_errno(EEXIST, "the name \"%s\" is already in use by another container", name);
}

void cv_state_release_name(struct containerv_context *context, const char *name, const char *id)
{
	char dir[PATH_MAX], target[CV_ID_LENGTH + 2];

	if (name == NULL || name[0] == '\0' || cv_state_names_dir(context, dir, sizeof dir) < 0)
		return;
	/* Only remove the entry if it is still ours. */
	if (cv_name_entry_read(dir, name, target, sizeof target) == CV_ID_LENGTH &&
	    memcmp(target, id, CV_ID_LENGTH) == 0)
		cv_file_remove_in(dir, name);
}

const char *containerv_state_name(enum containerv_state status)
{
	switch (status) {
	case CV_STATE_RUNNING:
		return "running";
	case CV_STATE_EXITED:
		return "exited";
	case CV_STATE_HELD:
		return "held";
	case CV_STATE_CREATED:
	default:
		return "created";
	}
}

static enum containerv_state status_from_name(const char *name)
{
	if (name != NULL && strcmp(name, "running") == 0)
		return CV_STATE_RUNNING;
	if (name != NULL && strcmp(name, "exited") == 0)
		return CV_STATE_EXITED;
	if (name != NULL && strcmp(name, "held") == 0)
		return CV_STATE_HELD;
	return CV_STATE_CREATED;
}

int cv_state_save(struct containerv_container *c)
{
	json_t *root;
	char *text;
	int ret;

	root = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:b,s:b}", "status", containerv_state_name(c->state.status),
	                 "pid", (json_int_t)c->state.pid, "pid_start_time", (json_int_t)c->state.pid_start_time,
	                 "created_ns", (json_int_t)c->state.created_ns, "started_ns", (json_int_t)c->state.started_ns,
	                 "finished_ns", (json_int_t)c->state.finished_ns, "exit_code", c->state.exit.code,
	                 "exit_signal", c->state.exit.signal, "oom_killed", c->state.exit.oom_killed, "paused",
	                 cv_state_is_paused(c));
	if (root == NULL)
		return cv_error_errno(ENOMEM, "state: cannot encode");
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "state: cannot encode");
	ret = cv_write_file_atomic_in(c->dir, "state.json", CV_SPARE_STATE, text, strlen(text), 0600);
	free(text);
	return ret;
}

int cv_state_read(struct containerv_container *c, const char *dir)
{
	cleanup_free char *text = NULL;
	json_error_t error;
	json_t *root;

	if (cv_read_file_in(dir, "state.json", &text, NULL, 1 << 20) < 0) {
		if (errno != ENOENT)
			return -1;
		/*
		 * Created and being started in one go (run): its first state is written by the start. A run
		 * killed before that left a created container: it was created when its config.json was written.
		 */
		int64_t config_written;
		cv_error_clear();
		c->state.status = CV_STATE_CREATED;
		if (cv_file_mtime_in(dir, "config.json", &config_written) == 0)
			c->state.created_ns = config_written;
		cv_error_clear();
		return 0;
	}
	root = json_loads(text, 0, &error);
	if (root == NULL)
		return cv_error_errno(EINVAL, "state.json: %s", error.text);
	c->state.status = status_from_name(json_string_value(json_object_get(root, "status")));
	c->state.pid = (pid_t)json_integer_value(json_object_get(root, "pid"));
	c->state.pid_start_time = (uint64_t)json_integer_value(json_object_get(root, "pid_start_time"));
	c->state.created_ns = json_integer_value(json_object_get(root, "created_ns"));
	c->state.started_ns = json_integer_value(json_object_get(root, "started_ns"));
	c->state.finished_ns = json_integer_value(json_object_get(root, "finished_ns"));
	c->state.exit.code = (int)json_integer_value(json_object_get(root, "exit_code"));
	c->state.exit.signal = (int)json_integer_value(json_object_get(root, "exit_signal"));
	c->state.exit.oom_killed = json_is_true(json_object_get(root, "oom_killed"));
	/* Kept across processes: a pause by one CLI run is seen by the next (ps, exec, unpause). */
	c->state.paused = json_is_true(json_object_get(root, "paused"));
	json_decref(root);
	return 0;
}

int cv_state_load(struct containerv_context *context, const char *id, struct containerv_container **out)
{
	char dir[PATH_MAX];
	cleanup_free struct containerv_container *c = NULL;
	cleanup_free char *config = NULL;

	if (cv_state_containers_dir(context, dir, sizeof dir) < 0)
		return -1;
	c = cv_container_alloc(context);
	if (c == NULL)
		return -1;
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->dir, sizeof c->dir, "%s/%s", dir, id);
	snprintf(c->log_path, sizeof c->log_path, "%s/" CV_LOG_DIR "/" CV_LOG_FILE, c->dir);
	if (cv_read_file_in(c->dir, "config.json", &config, NULL, 1 << 22) < 0 ||
	    cv_options_from_json(config, &c->config) < 0 || cv_state_read(c, c->dir) < 0) {
		cv_options_clear(&c->config);
		return cv_error_prefix("container %.12s", id);
	}
	snprintf(c->name, sizeof c->name, "%s", c->config.name ? c->config.name : "");
	*out = cv_steal_pointer(&c);
	return 0;
}

int cv_state_read_exit(struct containerv_container *c)
{
	cleanup_free char *text = NULL;
	json_t *root;

	if (cv_read_file_in(c->dir, "exit.json", &text, NULL, 4096) < 0)
		return -1;
	root = json_loads(text, 0, NULL);
	if (root == NULL)
		return -1;
	c->state.exit.code = (int)json_integer_value(json_object_get(root, "code"));
	c->state.exit.signal = (int)json_integer_value(json_object_get(root, "signal"));
	c->state.finished_ns = json_integer_value(json_object_get(root, "finished_ns"));
	json_decref(root);
	return 0;
}

static bool is_hex_prefix(const char *text)
{
	size_t length = strlen(text);

	if (length == 0 || length > CV_ID_LENGTH)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return true;
}

/* Resolves a name, full id or unique id prefix to a full id. */
static int resolve_id(struct containerv_context *context, const char *id_or_name, char id[CV_ID_LENGTH + 1])
{
	char dir[PATH_MAX], container_dir[PATH_MAX], holder[CV_ID_LENGTH + 2];
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;
	int matches = 0;

	/*
	 * A full id first, looked up rather than listed for (a take or an open by id costs the same beside 500
	 * containers), and before the names, as docker: a container named like another's id must not stand
	 * for it in rm, exec or inspect by that id.
	 */
	if (strlen(id_or_name) == CV_ID_LENGTH && is_hex_prefix(id_or_name)) {
		if (cv_state_containers_dir(context, dir, sizeof dir) < 0)
			return -1;
		snprintf(container_dir, sizeof container_dir, "%s/%s", dir, id_or_name);
		if (access(container_dir, F_OK) == 0) {
			memcpy(id, id_or_name, CV_ID_LENGTH + 1);
			return 0;
		}
	}
	if (cv_state_names_dir(context, dir, sizeof dir) < 0)
		return -1;
	if (cv_name_is_valid(id_or_name, 128) &&
	    cv_name_entry_read(dir, id_or_name, holder, sizeof holder) == CV_ID_LENGTH) {
		memcpy(id, holder, CV_ID_LENGTH + 1);
		return 0;
	}
	if (!is_hex_prefix(id_or_name))
		return cv_error_errno(ENOENT, "no such container: %s", id_or_name);
	if (cv_state_containers_dir(context, dir, sizeof dir) < 0)
		return -1;
	listing = opendir(dir);
	if (listing == NULL)
		return cv_error_sys("open %s", dir);
	while ((entry = readdir(listing)) != NULL) {
		if (strlen(entry->d_name) != CV_ID_LENGTH ||
		    strncmp(entry->d_name, id_or_name, strlen(id_or_name)) != 0)
			continue;
		if (++matches > 1)
			return cv_error_errno(EINVAL, "container id prefix %s is ambiguous", id_or_name);
		memcpy(id, entry->d_name, CV_ID_LENGTH + 1);
	}
	if (matches == 0)
		return cv_error_errno(ENOENT, "no such container: %s", id_or_name);
	return 0;
}

int containerv_open_in(struct containerv_context *context, const char *id_or_name,
                       struct containerv_container **container)
{
	char id[CV_ID_LENGTH + 1];

	cv_error_clear();
	if (id_or_name == NULL || container == NULL)
		return cv_error_errno(EINVAL, "open: missing argument");
	context = cv_context_or_current(context);
	CV_CONTEXT_SCOPE(context);
	if (resolve_id(context, id_or_name, id) < 0)
		return -1;
	if (cv_state_load(context, id, container) < 0) {
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "no such container: %s", id_or_name);
		return -1;
	}
	cv_backend()->refresh(*container);
	return 0;
}

int containerv_open(const char *id_or_name, struct containerv_container **container)
{
	return containerv_open_in(NULL, id_or_name, container);
}

void containerv_close(struct containerv_container *container)
{
	if (container == NULL)
		return;
	cv_backend()->release(container);
	cv_options_release_stdio(&container->config);
	cv_options_clear(&container->config);
	free(container);
}

const char *containerv_id(const struct containerv_container *container)
{
	return container->id;
}

const char *containerv_name(const struct containerv_container *container)
{
	static _Thread_local char short_id[13];

	if (container->name[0] != '\0')
		return container->name;
	snprintf(short_id, sizeof short_id, "%.12s", container->id);
	return short_id;
}

const char *containerv_log_path(const struct containerv_container *container)
{
	return container->log_path;
}

static void fill_info(struct containerv_container *c, struct containerv_info *info)
{
	cleanup_free char *command = NULL;
	size_t layers = cv_strv_length(c->config.layers);

	memset(info, 0, sizeof *info);
	info->version = CONTAINERV_INFO_VERSION;
	snprintf(info->id, sizeof info->id, "%s", c->id);
	snprintf(info->name, sizeof info->name, "%s", c->name);
	snprintf(info->hostname, sizeof info->hostname, "%s", c->config.hostname ? c->config.hostname : "");
	info->state = c->state.status;
	info->pid = cv_state_has_init(c) ? c->state.pid : 0;
	info->created_ns = c->state.created_ns;
	info->started_ns = c->state.started_ns;
	info->finished_ns = c->state.status == CV_STATE_EXITED ? c->state.finished_ns : 0;
	info->exit = c->state.exit;
	info->paused = cv_state_is_paused(c);
	if (layers > 0)
		snprintf(info->rootfs, sizeof info->rootfs, "%s", c->config.layers[layers - 1]);
	command = cv_strv_join(c->config.argv, " ");
	snprintf(info->command, sizeof info->command, "%s", command ? command : "");
	info->limits = c->config.limits;
	snprintf(info->image, sizeof info->image, "%s", c->config.image ? c->config.image : "");
	snprintf(info->image_digest, sizeof info->image_digest, "%s",
	         c->config.image_digest ? c->config.image_digest : "");
}

int containerv_inspect(struct containerv_container *container, struct containerv_info *info)
{
	cv_error_clear();
	if (container == NULL || info == NULL)
		return cv_error_errno(EINVAL, "inspect: missing argument");
	if (info->version < 1 || info->version > CONTAINERV_INFO_VERSION)
		return cv_error_errno(EINVAL, "inspect: unsupported info version %u", info->version);
	CV_CONTEXT_SCOPE(container->context);
	cv_backend()->refresh(container);
	if (info->version < CONTAINERV_INFO_VERSION) {
		/* A caller built against an earlier version has a structure that ends before paused (1) or
		 * image_digest (2). */
		size_t known = info->version == 1 ? offsetof(struct containerv_info, paused)
		                                  : offsetof(struct containerv_info, image_digest);
		unsigned int version = info->version;
		struct containerv_info *full = malloc(sizeof *full);

		if (full == NULL)
			return cv_error_errno(ENOMEM, "inspect: out of memory");
		fill_info(container, full);
		memcpy(info, full, known);
		info->version = version;
		free(full);
		return 0;
	}
	fill_info(container, info);
	return 0;
}

/*
 * A container directory without config.json is a create that was killed before it wrote one
 * (config.json is its first file) unless its creator still holds its lock (create.c's
 * make_locked_dir): then nothing of it is in use and it goes.
 */
static void remove_if_abandoned(const char *containers, const char *id)
{
	char path[PATH_MAX];
	int lock;

	snprintf(path, sizeof path, "%s/%s", containers, id);
	lock = cv_dir_lock(path, false);
	if (lock < 0)
		return;
	if (cv_file_exists_in(path, "config.json") == 0)
		cv_rm_rf(path);
	cv_dir_unlock(lock);
	cv_error_clear();
}

/*
 * A ".removing-<id>" left by a removal that was killed halfway is finished, and a ".creating-<id>" of a
 * create killed before it named its directory goes. One still under way is left to it: its remover or
 * creator holds the container's lock (an flock on this very directory), and a remover may yet keep it
 * as a spare, which a create may then take.
 */
static void finish_abandoned_removal(const char *containers, const char *name)
{
	char path[PATH_MAX];
	int lock;

	snprintf(path, sizeof path, "%s/%s", containers, name);
	lock = cv_dir_lock(path, false);
	if (lock < 0)
		return;
	if (cv_dir_lock_is_of(lock, path))
		cv_rm_rf(path);
	cv_dir_unlock(lock);
	cv_error_clear();
}

static int compare_created(const void *a, const void *b)
{
	const struct containerv_info *x = a, *y = b;

	return (x->created_ns > y->created_ns) - (x->created_ns < y->created_ns);
}

int containerv_list_in(struct containerv_context *context,
                       int (*callback)(const struct containerv_info *info, void *user), void *user)
{
	char dir[PATH_MAX];
	cleanup_dir DIR *listing = NULL;
	cleanup_free struct containerv_info *infos = NULL;
	size_t count = 0, capacity = 0;
	struct dirent *entry;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "list: no callback");
	context = cv_context_or_current(context);
	CV_CONTEXT_SCOPE(context);
	if (cv_state_containers_dir(context, dir, sizeof dir) < 0)
		return -1;
	listing = opendir(dir);
	if (listing == NULL)
		return cv_error_sys("open %s", dir);
	while ((entry = readdir(listing)) != NULL) {
		struct containerv_container *c = NULL;

		if (strncmp(entry->d_name, ".removing-", 10) == 0 || strncmp(entry->d_name, ".creating-", 10) == 0) {
			finish_abandoned_removal(dir, entry->d_name);
			continue;
		}
		if (strlen(entry->d_name) != CV_ID_LENGTH)
			continue;
		if (cv_state_load(context, entry->d_name, &c) < 0) {
			remove_if_abandoned(dir, entry->d_name);
			continue;
		}
		if (count == capacity) {
			size_t grown_capacity = capacity ? capacity * 2 : 16;
			struct containerv_info *grown = realloc(infos, grown_capacity * sizeof *grown);
			if (grown == NULL) {
				containerv_close(c);
				return cv_error_errno(ENOMEM, "out of memory");
			}
			infos = grown;
			capacity = grown_capacity;
		}
		if (cv_backend()->collect(c) == 1)
			continue;
		fill_info(c, &infos[count++]);
		containerv_close(c);
	}
	cv_error_clear();
	if (count > 1) /* qsort's base may not be NULL, even for no elements */
		qsort(infos, count, sizeof *infos, compare_created);
	for (size_t i = 0; i < count; i++) {
		int ret = callback(&infos[i], user);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int containerv_list(int (*callback)(const struct containerv_info *info, void *user), void *user)
{
	return containerv_list_in(NULL, callback, user);
}

int containerv_get_strings(struct containerv_container *container, enum containerv_strings which, char ***strings,
                           size_t *count)
{
	char *const *source;
	char **copy;

	cv_error_clear();
	if (container == NULL || strings == NULL)
		return cv_error_errno(EINVAL, "get_strings: missing argument");
	switch (which) {
	case CV_STRINGS_COMMAND:
		source = container->config.argv;
		break;
	case CV_STRINGS_ENV:
		source = container->config.env;
		break;
	case CV_STRINGS_LABELS:
		source = container->config.labels;
		break;
	default:
		return cv_error_errno(EINVAL, "get_strings: unknown list %d", (int)which);
	}
	copy = cv_strv_dup((const char *const *)source);
	if (copy == NULL)
		return -1;
	*strings = copy;
	if (count != NULL)
		*count = cv_strv_length(copy);
	return 0;
}

int containerv_get_host_config(struct containerv_container *container, char **json)
{
	cv_error_clear();
	if (container == NULL || json == NULL)
		return cv_error_errno(EINVAL, "get_host_config: missing argument");
	return cv_options_host_config_json(&container->config, json);
}

void containerv_strings_free(char **strings)
{
	cv_strv_free(strings);
}

void containerv_mounts_free(struct containerv_mount_info *mounts, size_t count)
{
	for (size_t i = 0; mounts != NULL && i < count; i++) {
		free(mounts[i].source);
		free(mounts[i].destination);
	}
	free(mounts);
}

int containerv_get_mounts(struct containerv_container *container, struct containerv_mount_info **mounts, size_t *count)
{
	const struct containerv_options *config;
	struct containerv_mount_info *copy;

	cv_error_clear();
	if (container == NULL || mounts == NULL || count == NULL)
		return cv_error_errno(EINVAL, "get_mounts: missing argument");
	config = &container->config;
	*mounts = NULL;
	*count = 0;
	if (config->mount_count == 0)
		return 0;
	copy = calloc(config->mount_count, sizeof *copy);
	if (copy == NULL)
		return cv_error_errno(ENOMEM, "get_mounts: out of memory");
	for (size_t i = 0; i < config->mount_count; i++) {
		const struct cv_mount *mount = &config->mounts[i];
		bool tmpfs = mount->type == CV_MOUNT_TYPE_TMPFS;

		copy[i].type = mount->type;
		copy[i].flags = mount->flags;
		copy[i].propagation = mount->propagation;
		copy[i].anonymous = mount->anonymous;
		copy[i].source = strdup(!tmpfs && mount->source != NULL ? mount->source : "");
		copy[i].destination = strdup(mount->target != NULL ? mount->target : "");
		if (copy[i].source == NULL || copy[i].destination == NULL) {
			containerv_mounts_free(copy, config->mount_count);
			return cv_error_errno(ENOMEM, "get_mounts: out of memory");
		}
	}
	*mounts = copy;
	*count = config->mount_count;
	return 0;
}
