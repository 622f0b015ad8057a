/*
 * Named volumes: the store under <root>/volumes/ (layout in core/volume.h),
 * whatever the platform: names, volume.json, users, the lock, create,
 * inspect, list, remove, prune and reconcile. What only the platform can do,
 * the disk of a size-limited volume (Linux: an ext4 image loop-mounted on
 * _data), goes through the backend table (volume_disk_*).
 *
 * Creation builds the whole volume in a hidden .tmp-* directory and renames
 * it into place, so a volume is either complete or invisible, and the
 * rename (with RENAME_NOREPLACE) is what makes a name unique. Removal is
 * the reverse: rename out of sight, then delete. Users are files under
 * users/, added and dropped under the volume's flock, so the last user out
 * knows it is last and unmounts a size-limited volume.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <chef/containerv/volume.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/events-journal.h"
#include "core/volume.h"

#define VOLUME_NAME_MAX 128
/* Below this, ext4's own metadata and journal leave too little room to be useful. */
#define VOLUME_MIN_SIZE (8ull << 20)
#define TMP_PREFIX ".tmp-"

/* What volume.json holds. */
struct volume_meta {
	int64_t created_ns;
	uint64_t size_limit;
	int uid, gid;
	bool anonymous;
	char **labels;
};

/* An existing volume, opened and locked. */
struct volume {
	char name[VOLUME_NAME_MAX + 1];
	char path[PATH_MAX];
	int dirfd;
	int lockfd;
};

static void volume_close(struct volume *volume)
{
	if (volume->lockfd >= 0)
		close(volume->lockfd); /* drops the flock */
	if (volume->dirfd >= 0)
		close(volume->dirfd);
	volume->lockfd = volume->dirfd = -1;
}

#define cleanup_volume __attribute__((cleanup(volume_close)))

bool cv_volume_name_is_valid(const char *name)
{
	return name != NULL && cv_name_is_valid(name, VOLUME_NAME_MAX);
}

static int check_name(const char *name)
{
	if (!cv_volume_name_is_valid(name))
		return cv_error_errno(EINVAL,
		                      "invalid volume name \"%s\": use 1 to %d characters of [a-zA-Z0-9][a-zA-Z0-9_.-]",
		                      name ? name : "(null)", VOLUME_NAME_MAX);
	return 0;
}

/* <root>/volumes, created on first use. */
static int volumes_dir(char *buffer, size_t size, bool create)
{
	int n = snprintf(buffer, size, "%s/volumes", containerv_root());

	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "state root too long");
	if (!create)
		return 0;
	/* Root's alone: a container's setuid files and device nodes in _data are no host user's way up. */
	return cv_mkdir_private(containerv_root(), "volumes", buffer, size);
}

static int volume_path(const char *name, char *buffer, size_t size)
{
	char dir[PATH_MAX];

	if (volumes_dir(dir, sizeof dir, false) < 0)
		return -1;
	if ((size_t)snprintf(buffer, size, "%s/%s", dir, name) >= size)
		return cv_error_errno(ENAMETOOLONG, "volume %s: path too long", name);
	return 0;
}

static int lock_fd(int fd)
{
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * Opens and locks a volume. Whoever held the lock before may have removed
 * it (renamed it away): the path must still lead to the directory we
 * locked, else it is gone.
 */
static int volume_open(const char *name, struct volume *volume)
{
	struct stat opened, current;

	volume->dirfd = volume->lockfd = -1;
	if (check_name(name) < 0 || volume_path(name, volume->path, sizeof volume->path) < 0)
		return -1;
	snprintf(volume->name, sizeof volume->name, "%s", name);
	volume->dirfd = open(volume->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (volume->dirfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return cv_error_errno(ENOENT, "no such volume: %s", name);
		return cv_error_sys("volume %s: open", name);
	}
	volume->lockfd = openat(volume->dirfd, "lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (volume->lockfd < 0) {
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "no such volume: %s", name);
		return cv_error_sys("volume %s: open lock", name);
	}
	if (lock_fd(volume->lockfd) < 0)
		return cv_error_sys("volume %s: lock", name);
	if (fstat(volume->dirfd, &opened) < 0 || stat(volume->path, &current) < 0 || opened.st_dev != current.st_dev ||
	    opened.st_ino != current.st_ino)
		return cv_error_errno(ENOENT, "no such volume: %s", name);
	return 0;
}

static void meta_clear(struct volume_meta *meta)
{
	cv_strv_free(meta->labels);
	meta->labels = NULL;
}

static int meta_save(int dirfd, const char *name, const struct volume_meta *meta)
{
	json_t *labels = json_array();
	json_t *root;
	char *text;
	int ret;

	for (size_t i = 0; meta->labels != NULL && meta->labels[i] != NULL; i++)
		json_array_append_new(labels, json_string(meta->labels[i]));
	root = json_pack("{s:s,s:I,s:I,s:i,s:i,s:b,s:o}", "name", name, "created_ns", (json_int_t)meta->created_ns,
	                 "size_limit", (json_int_t)meta->size_limit, "uid", meta->uid, "gid", meta->gid, "anonymous",
	                 meta->anonymous, "labels", labels);
	if (root == NULL)
		return cv_error_errno(ENOMEM, "volume %s: cannot encode volume.json", name);
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "volume %s: cannot encode volume.json", name);
	ret = cv_write_file_at(dirfd, "volume.json", text, strlen(text), 0600);
	free(text);
	return ret;
}

static int meta_load(int dirfd, const char *name, struct volume_meta *meta)
{
	cleanup_free char *text = NULL;
	json_error_t error;
	json_t *root, *labels;
	size_t count;

	memset(meta, 0, sizeof *meta);
	if (cv_read_file_at(dirfd, "volume.json", &text, NULL, 1 << 20) < 0)
		return cv_error_prefix("volume %s", name);
	root = json_loads(text, 0, &error);
	if (root == NULL)
		return cv_error_errno(EINVAL, "volume %s: volume.json: %s", name, error.text);
	meta->created_ns = json_integer_value(json_object_get(root, "created_ns"));
	meta->size_limit = (uint64_t)json_integer_value(json_object_get(root, "size_limit"));
	meta->uid = (int)json_integer_value(json_object_get(root, "uid"));
	meta->gid = (int)json_integer_value(json_object_get(root, "gid"));
	meta->anonymous = json_is_true(json_object_get(root, "anonymous"));
	labels = json_object_get(root, "labels");
	count = json_array_size(labels);
	meta->labels = cv_malloc0(sizeof *meta->labels);
	for (size_t i = 0; meta->labels != NULL && i < count; i++) {
		const char *label = json_string_value(json_array_get(labels, i));
		if (label != NULL && cv_strv_append(&meta->labels, label) < 0)
			break;
	}
	json_decref(root);
	if (meta->labels == NULL || cv_strv_length(meta->labels) != count) {
		meta_clear(meta);
		return cv_error_errno(ENOMEM, "volume %s: out of memory", name);
	}
	return 0;
}

static int check_options(const char *name, const struct containerv_volume_options *options)
{
	if (options->version != 1 && options->version != CONTAINERV_VOLUME_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "volume %s: unsupported options version %u", name, options->version);
	if (options->size_limit != 0 && options->size_limit < VOLUME_MIN_SIZE)
		return cv_error_errno(EINVAL, "volume %s: size %llu bytes is below the minimum of %llu MiB", name,
		                      (unsigned long long)options->size_limit, VOLUME_MIN_SIZE >> 20);
	if (options->uid < -1 || options->gid < -1)
		return cv_error_errno(EINVAL, "volume %s: invalid uid/gid %d:%d", name, options->uid, options->gid);
	for (size_t i = 0; options->labels != NULL && options->labels[i] != NULL; i++) {
		const char *label = options->labels[i];
		if (label[0] == '=' || label[0] == '\0' || strchr(label, '\n') != NULL)
			return cv_error_errno(EINVAL, "volume %s: invalid label \"%s\": use key=value", name, label);
	}
	return 0;
}

/* Fills the (still private) directory dirfd/path with a complete volume. */
static int populate(int dirfd, const char *path, const char *name, const struct containerv_volume_options *options,
                    bool anonymous)
{
	struct volume_meta meta = {
	        .created_ns = cv_now_ns(),
	        .size_limit = options->size_limit,
	        .uid = options->uid,
	        .gid = options->gid,
	        .anonymous = anonymous,
	        .labels = (char **)options->labels,
	};
	cleanup_close int lock = -1;

	if (mkdirat(dirfd, "users", 0700) < 0 || mkdirat(dirfd, "_data", 0755) < 0)
		return cv_error_sys("volume %s: mkdir", name);
	lock = openat(dirfd, "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0)
		return cv_error_sys("volume %s: create lock", name);
	if (options->size_limit != 0) {
		if (cv_backend()->volume_disk_create(dirfd, path, name, options) < 0)
			return -1;
	} else if ((options->uid >= 0 || options->gid >= 0) &&
	           fchownat(dirfd, "_data", (uid_t)options->uid, (gid_t)options->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		return cv_error_sys("volume %s: chown _data to %d:%d", name, options->uid, options->gid);
	}
	return meta_save(dirfd, name, &meta);
}

/* rename() that never replaces: an existing volume (even an empty directory) makes it fail with EEXIST. */
static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A filesystem without RENAME_NOREPLACE: a non-empty target still fails, with ENOTEMPTY. */
	return renameat(dirfd, from, dirfd, to);
}

static int volume_create(const char *name, const struct containerv_volume_options *options, bool anonymous)
{
	char dir[PATH_MAX], temporary[PATH_MAX + 64], path[PATH_MAX + 256], random[17];
	cleanup_close int volumes_fd = -1, dirfd = -1;
	const char *leaf;

	if (check_name(name) < 0 || check_options(name, options) < 0)
		return -1;
	if (volumes_dir(dir, sizeof dir, true) < 0 || cv_random_hex(random, 8) < 0)
		return cv_error_prefix("volume %s", name);
	volumes_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (volumes_fd < 0)
		return cv_error_sys("open %s", dir);
	/* Fail early without an mkfs; the rename below is what decides a race. */
	if (faccessat(volumes_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return cv_error_errno(EEXIST, "volume %s already exists", name);
	snprintf(temporary, sizeof temporary, TMP_PREFIX "%s-%d-%s", name, (int)getpid(), random);
	snprintf(path, sizeof path, "%s/%s", dir, temporary);
	leaf = temporary;
	if (mkdirat(volumes_fd, leaf, 0700) < 0)
		return cv_error_sys("volume %s: mkdir %s", name, path);
	dirfd = openat(volumes_fd, leaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0 || populate(dirfd, path, name, options, anonymous) < 0 ||
	    rename_noreplace(volumes_fd, leaf, name) < 0) {
		int err = errno;
		bool exists = dirfd >= 0 && (errno == EEXIST || errno == ENOTEMPTY) &&
		              faccessat(volumes_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		struct cv_error_saved saved;

		errno = err;
		if (dirfd < 0)
			cv_error_sys("volume %s: open %s", name, path);
		else if (exists)
			cv_error_errno(EEXIST, "volume %s already exists", name);
		else if (containerv_last_error_code() == CONTAINERV_OK) /* the rename, which records nothing */
			cv_error_sys("volume %s: rename into place", name);
		cv_error_save(&saved);
		cv_rm_rf(path);
		return cv_error_restore(&saved);
	}
	cv_journal_note("volume", "create", name, (const char *const[]){"driver=local", NULL});
	return 0;
}

int containerv_volume_create(const char *name, const struct containerv_volume_options *options)
{
	static const struct containerv_volume_options defaults = CONTAINERV_VOLUME_OPTIONS_INIT;

	cv_error_clear();
	return volume_create(name, options != NULL ? options : &defaults, false);
}

int cv_volume_create_anonymous(char *name, size_t size)
{
	static const struct containerv_volume_options defaults = CONTAINERV_VOLUME_OPTIONS_INIT;
	char generated[65];

	if (size < sizeof generated)
		return cv_error_errno(EINVAL, "anonymous volume: name buffer too small");
	if (cv_random_hex(generated, 32) < 0 || volume_create(generated, &defaults, true) < 0)
		return cv_error_prefix("anonymous volume");
	snprintf(name, size, "%s", generated);
	return 0;
}

/* Whether a container still exists: its directory holds state.json. */
static bool container_exists(const char *id)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/containers/%s/state.json", containerv_root(), id);
	return access(path, F_OK) == 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The ids of the containers using a locked volume, sorted. Users whose
 * container is gone (a CLI killed between acquire and release) are not
 * reported and, with drop_stale, forgotten.
 */
static int volume_users(struct volume *volume, bool drop_stale, char ***out)
{
	cleanup_strv char **ids = cv_malloc0(sizeof *ids);
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	int fd;

	if (ids == NULL)
		return -1;
	fd = openat(volume->dirfd, "users", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("volume %s: open users", volume->name);
	}
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (!container_exists(entry->d_name)) {
			if (drop_stale)
				unlinkat(dirfd(dir), entry->d_name, 0);
			continue;
		}
		if (cv_strv_append(&ids, entry->d_name) < 0)
			return -1;
	}
	qsort(ids, cv_strv_length(ids), sizeof *ids, compare_strings);
	*out = cv_steal_pointer(&ids);
	return 0;
}

/* Unmounts a size-limited volume's disk from _data if mounted. */
static int volume_unmount(struct volume *volume)
{
	return cv_backend()->volume_disk_unmount(volume->dirfd, volume->path, volume->name);
}

static int volume_mount(struct volume *volume)
{
	return cv_backend()->volume_disk_mount(volume->dirfd, volume->path, volume->name);
}

static bool is_size_limited(struct volume *volume)
{
	return faccessat(volume->dirfd, "disk.img", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int check_container_id(const char *name, const char *container_id)
{
	if (container_id == NULL || !cv_name_is_valid(container_id, 128))
		return cv_error_errno(EINVAL, "volume %s: invalid container id \"%s\"", name,
		                      container_id ? container_id : "(null)");
	return 0;
}

int cv_volume_acquire(const char *name, const char *container_id, char *host_path, size_t size)
{
	cleanup_volume struct volume volume = {.dirfd = -1, .lockfd = -1};
	cleanup_close int users = -1, user = -1;
	bool created = false;

	if (check_container_id(name, container_id) < 0 || volume_open(name, &volume) < 0)
		return -1;
	if ((size_t)snprintf(host_path, size, "%s/_data", volume.path) >= size)
		return cv_error_errno(ENAMETOOLONG, "volume %s: host path too long", name);
	users = openat(volume.dirfd, "users", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (users < 0)
		return cv_error_sys("volume %s: open users", name);
	/* O_EXCL tells a new use from a repeated acquire by the same container (which is fine). */
	user = openat(users, container_id, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (user >= 0)
		created = true;
	else if (errno != EEXIST)
		return cv_error_sys("volume %s: record user %.12s", name, container_id);
	if (is_size_limited(&volume) && volume_mount(&volume) < 0) {
		if (created)
			unlinkat(users, container_id, 0);
		return -1;
	}
	return 0;
}

int cv_volume_release(const char *name, const char *container_id)
{
	cleanup_volume struct volume volume = {.dirfd = -1, .lockfd = -1};
	cleanup_strv char **ids = NULL;
	char user[PATH_MAX];

	if (check_container_id(name, container_id) < 0)
		return -1;
	if (volume_open(name, &volume) < 0) {
		if (errno != ENOENT)
			return -1;
		cv_error_clear(); /* removed (forced) already: nothing of ours is left */
		return 0;
	}
	snprintf(user, sizeof user, "users/%s", container_id);
	if (unlinkat(volume.dirfd, user, 0) < 0 && errno != ENOENT)
		return cv_error_sys("volume %s: drop user %.12s", name, container_id);
	if (!is_size_limited(&volume))
		return 0;
	if (volume_users(&volume, true, &ids) < 0)
		return -1;
	return ids[0] == NULL ? volume_unmount(&volume) : 0;
}

/* Sums allocated bytes below dirfd, not following links nor crossing into other mounts. */
uint64_t cv_disk_usage_at(int dirfd, dev_t device)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	uint64_t total = 0;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return 0;
	}
	while ((entry = readdir(dir)) != NULL) {
		struct stat st;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != device)
			continue;
		total += (uint64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			cleanup_close int child =
			        openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (child >= 0)
				total += cv_disk_usage_at(child, device);
		}
	}
	return total;
}

static uint64_t bytes_used(struct volume *volume, bool size_limited)
{
	cleanup_close int data = -1;
	struct stat st;

	if (size_limited)
		return cv_backend()->volume_disk_bytes_used(volume->dirfd);
	data = openat(volume->dirfd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (data < 0 || fstat(data, &st) < 0)
		return 0;
	return cv_disk_usage_at(data, st.st_dev);
}

static int volume_fill_info(struct volume *volume, struct containerv_volume_info *info)
{
	struct volume_meta meta;
	cleanup_strv char **ids = NULL;

	if (meta_load(volume->dirfd, volume->name, &meta) < 0)
		return -1;
	if (volume_users(volume, false, &ids) < 0) {
		meta_clear(&meta);
		return -1;
	}
	memset(info, 0, sizeof *info);
	info->version = CONTAINERV_VOLUME_INFO_VERSION;
	snprintf(info->name, sizeof info->name, "%s", volume->name);
	snprintf(info->mountpoint, sizeof info->mountpoint, "%s/_data", volume->path);
	info->created_ns = meta.created_ns;
	info->size_limit = meta.size_limit;
	info->anonymous = meta.anonymous;
	info->bytes_used = bytes_used(volume, meta.size_limit != 0);
	info->labels = cv_steal_pointer(&meta.labels);
	info->used_by = cv_steal_pointer(&ids);
	return 0;
}

int containerv_volume_inspect(const char *name, struct containerv_volume_info *info)
{
	cleanup_volume struct volume volume = {.dirfd = -1, .lockfd = -1};

	cv_error_clear();
	if (info == NULL)
		return cv_error_errno(EINVAL, "volume %s: inspect: no info", name ? name : "(null)");
	if (info->version != CONTAINERV_VOLUME_INFO_VERSION)
		return cv_error_errno(EINVAL, "volume %s: unsupported info version %u", name ? name : "(null)",
		                      info->version);
	info->labels = info->used_by = NULL;
	if (volume_open(name, &volume) < 0)
		return -1;
	return volume_fill_info(&volume, info);
}

void containerv_volume_info_clear(struct containerv_volume_info *info)
{
	if (info == NULL)
		return;
	cv_strv_free(info->labels);
	cv_strv_free(info->used_by);
	info->labels = info->used_by = NULL;
}

/* The names of the volumes, sorted, without the hidden .tmp-* directories. */
static int volume_names(char ***out)
{
	char dir[PATH_MAX];
	cleanup_strv char **names = cv_malloc0(sizeof *names);
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;

	if (names == NULL || volumes_dir(dir, sizeof dir, false) < 0)
		return -1;
	listing = opendir(dir);
	if (listing == NULL && errno != ENOENT)
		return cv_error_sys("open %s", dir);
	while (listing != NULL && (entry = readdir(listing)) != NULL) {
		if (!cv_volume_name_is_valid(entry->d_name))
			continue;
		if (cv_strv_append(&names, entry->d_name) < 0)
			return -1;
	}
	qsort(names, cv_strv_length(names), sizeof *names, compare_strings);
	*out = cv_steal_pointer(&names);
	return 0;
}

int containerv_volume_list(int (*callback)(const struct containerv_volume_info *info, void *user), void *user)
{
	cleanup_strv char **names = NULL;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "volume list: no callback");
	if (volume_names(&names) < 0)
		return cv_error_prefix("volume list");
	for (size_t i = 0; names[i] != NULL; i++) {
		struct containerv_volume_info info = {.version = CONTAINERV_VOLUME_INFO_VERSION};
		int ret;

		if (containerv_volume_inspect(names[i], &info) < 0) {
			if (errno == ENOENT)
				continue; /* removed meanwhile */
			return -1;
		}
		ret = callback(&info, user);
		containerv_volume_info_clear(&info);
		if (ret != 0)
			return ret;
	}
	cv_error_clear();
	return 0;
}

/* Deletes a locked volume: out of sight by a rename first, so a crash never shows half a volume. */
static int volume_delete(struct volume *volume)
{
	char dir[PATH_MAX], hidden[PATH_MAX + 256], random[17];

	if (volume_unmount(volume) < 0)
		return -1;
	if (volumes_dir(dir, sizeof dir, false) < 0 || cv_random_hex(random, 8) < 0)
		return cv_error_prefix("volume %s", volume->name);
	snprintf(hidden, sizeof hidden, "%s/" TMP_PREFIX "removing-%s-%d-%s", dir, volume->name, (int)getpid(), random);
	if (rename(volume->path, hidden) < 0)
		return cv_error_sys("volume %s: remove", volume->name);
	cv_journal_note("volume", "destroy", volume->name, (const char *const[]){"driver=local", NULL});
	if (cv_rm_rf(hidden) < 0)
		return cv_error_prefix("volume %s: removed, but its data could not all be deleted (%s)", volume->name,
		                       hidden);
	return 0;
}

static int volume_remove_locked(struct volume *volume, bool force)
{
	cleanup_strv char **ids = NULL;

	if (volume_users(volume, true, &ids) < 0)
		return -1;
	if (ids[0] != NULL && !force)
		return cv_error_errno(EBUSY, "volume %s is in use by container %.12s", volume->name, ids[0]);
	for (size_t i = 0; ids[i] != NULL; i++) {
		char user[PATH_MAX];

		snprintf(user, sizeof user, "users/%s", ids[i]);
		unlinkat(volume->dirfd, user, 0);
	}
	return volume_delete(volume);
}

int containerv_volume_remove(const char *name, int force)
{
	cleanup_volume struct volume volume = {.dirfd = -1, .lockfd = -1};

	cv_error_clear();
	if (volume_open(name, &volume) < 0)
		return -1;
	return volume_remove_locked(&volume, force != 0);
}

int containerv_volume_prune(size_t *removed)
{
	cleanup_strv char **names = NULL;
	size_t count = 0;
	struct cv_error_saved first_error = {0};
	int ret = 0;

	cv_error_clear();
	if (removed != NULL)
		*removed = 0;
	cv_volume_reconcile();
	if (volume_names(&names) < 0)
		return cv_error_prefix("volume prune");
	for (size_t i = 0; names[i] != NULL; i++) {
		cleanup_volume struct volume volume = {.dirfd = -1, .lockfd = -1};

		if (volume_open(names[i], &volume) < 0 || volume_remove_locked(&volume, false) < 0) {
			/* In use or removed meanwhile is what prune expects; anything else is reported. */
			if (errno != EBUSY && errno != ENOENT && ret == 0) {
				ret = -1;
				cv_error_save(&first_error);
			}
			continue;
		}
		count++;
	}
	if (removed != NULL)
		*removed = count;
	if (ret < 0) {
		cv_error_restore(&first_error);
		return cv_error_prefix("volume prune");
	}
	cv_error_clear();
	return 0;
}

/* A .tmp-<name>-<pid>-<random> directory whose creator (or remover) has died. */
static bool tmp_is_stale(const char *entry)
{
	const char *last = strrchr(entry, '-');
	const char *pid_start;
	long pid;

	if (strncmp(entry, TMP_PREFIX, strlen(TMP_PREFIX)) != 0 || last == NULL || last == entry)
		return false;
	pid_start = last - 1;
	while (pid_start > entry && *pid_start >= '0' && *pid_start <= '9')
		pid_start--;
	if (*pid_start != '-')
		return false;
	pid = strtol(pid_start + 1, NULL, 10);
	if (pid <= 0)
		return true;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void remove_stale_tmp(const char *dir, const char *entry)
{
	char path[PATH_MAX + 256];
	cleanup_close int fd = -1;

	snprintf(path, sizeof path, "%s/%s", dir, entry);
	fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* A force-removal killed halfway may have left its disk mounted: rm -rf never crosses mounts. */
	if (fd >= 0)
		cv_backend()->volume_disk_unmount(fd, path, entry);
	cv_error_clear();
	cv_rm_rf(path);
}

static void reconcile_volume(const char *name)
{
	cleanup_volume struct volume volume = {.dirfd = -1, .lockfd = -1};
	cleanup_strv char **ids = NULL;

	if (volume_open(name, &volume) < 0 || volume_users(&volume, true, &ids) < 0)
		return;
	if (ids[0] == NULL)
		volume_unmount(&volume);
}

int cv_volume_reconcile(void)
{
	char dir[PATH_MAX];
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;

	if (volumes_dir(dir, sizeof dir, false) < 0)
		return -1;
	listing = opendir(dir);
	if (listing == NULL)
		return errno == ENOENT ? 0 : cv_error_sys("open %s", dir);
	while ((entry = readdir(listing)) != NULL) {
		if (strncmp(entry->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			if (tmp_is_stale(entry->d_name))
				remove_stale_tmp(dir, entry->d_name);
		} else if (cv_volume_name_is_valid(entry->d_name)) {
			reconcile_volume(entry->d_name);
		}
	}
	cv_error_clear();
	return 0;
}
