/*
 * containerv_changes (docker diff): the container's overlay upper directory
 * read as changes to its image. An overlay whiteout (char device 0:0) is a
 * deletion; any other entry is a change when one of the image's layers has
 * that path (the highest layer that names it decides: its whiteout means
 * absent) and an addition when none does. A directory that was only copied
 * up (nothing below it changed) is not reported, nor are the empty
 * /etc/hostname, /etc/hosts and /etc/resolv.conf the runtime makes as mount
 * targets, nor the empty targets of its mounts and the directories made on
 * the way to them: a fresh container has no changes, as in docker.
 *
 * The upper directory belongs to a container that may be running: every
 * entry is looked at with fstatat(AT_SYMLINK_NOFOLLOW) only, a directory is
 * entered with O_NOFOLLOW, and the layers are looked up with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), so nothing outside the
 * container is ever reached through a name it chose.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

#define DIFF_MAX_DEPTH 256

struct change {
	enum containerv_change_kind kind;
	char *path;
};

struct diff_walk {
	const struct containerv_options *config; /* its mounts' targets are the runtime's, not changes */
	int *layer_fds;                          /* lowest first, as config.layers */
	size_t layer_count;
	struct change *changes;
	size_t count, capacity;
};

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_runtime_placeholder(const char *path, const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_size == 0 &&
	       (strcmp(path, "/etc/hostname") == 0 || strcmp(path, "/etc/hosts") == 0 ||
	        strcmp(path, "/etc/resolv.conf") == 0);
}

/*
 * What the runtime made for a mount (its target, empty under the mount, and the directories leading to
 * it): 1 for a target, 2 for a directory on the way to one, 0 for neither.
 */
static int mount_target_kind(const struct diff_walk *walk, const char *path)
{
	size_t length = strlen(path);
	int kind = 0;

	for (size_t i = 0; i < walk->config->mount_count; i++) {
		const char *target = walk->config->mounts[i].target;
		if (target == NULL)
			continue;
		if (strcmp(target, path) == 0)
			return 1;
		if (strncmp(target, path, length) == 0 && target[length] == '/')
			kind = 2;
	}
	return kind;
}

/* Whether the image has path: the highest layer naming it decides (its whiteout: no). */
static bool image_has(const struct diff_walk *walk, const char *path)
{
	struct open_how how = {
	        .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
	        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	for (size_t i = walk->layer_count; i-- > 0;) {
		struct stat st;
		int fd = (int)syscall(SYS_openat2, walk->layer_fds[i], path + 1, &how, sizeof how);

		if (fd < 0)
			continue;
		int found = fstat(fd, &st) == 0;
		close(fd);
		if (found)
			return !is_whiteout(&st);
	}
	return false;
}

static int add_change(struct diff_walk *walk, enum containerv_change_kind kind, const char *path)
{
	if (walk->count == walk->capacity) {
		size_t capacity = walk->capacity ? walk->capacity * 2 : 64;
		struct change *bigger = realloc(walk->changes, capacity * sizeof *bigger);
		if (bigger == NULL)
			return cv_error_errno(ENOMEM, "out of memory");
		walk->changes = bigger;
		walk->capacity = capacity;
	}
	walk->changes[walk->count].path = cv_strdup(path);
	if (walk->changes[walk->count].path == NULL)
		return -1;
	walk->changes[walk->count++].kind = kind;
	return 0;
}

static int walk_directory(struct diff_walk *walk, int dir_fd, const char *prefix, int depth);

/* One entry of the upper directory; path is its path in the container ("/etc/passwd"). */
static int walk_entry(struct diff_walk *walk, int dir_fd, const char *name, const char *path, int depth)
{
	struct stat st;
	size_t before = walk->count;
	bool in_image;
	int mount_kind;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cv_error_sys("diff %s", path); /* removed meanwhile */
	if (is_whiteout(&st))
		return add_change(walk, CV_CHANGE_DELETED, path);
	if (is_runtime_placeholder(path, &st))
		return 0;
	mount_kind = mount_target_kind(walk, path);
	if (mount_kind == 1 && (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0)))
		return 0;
	in_image = image_has(walk, path);
	if (add_change(walk, in_image ? CV_CHANGE_MODIFIED : CV_CHANGE_ADDED, path) < 0 || !S_ISDIR(st.st_mode))
		return walk->count > before ? 0 : -1;
	cleanup_close int child_fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (child_fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : cv_error_sys("diff %s", path);
	if (walk_directory(walk, child_fd, path, depth + 1) < 0)
		return -1;
	/*
	 * Nothing changed below a directory of the image (copied up for a mount target, a chmod ...) or below one
	 * made on the way to a mount target: not a change.
	 */
	if ((in_image || mount_kind == 2) && walk->count == before + 1) {
		free(walk->changes[before].path);
		walk->count = before;
	}
	return 0;
}

static int walk_directory(struct diff_walk *walk, int dir_fd, const char *prefix, int depth)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *child;
	int fd;

	if (depth > DIFF_MAX_DEPTH)
		return cv_error_errno(ELOOP, "diff %s: deeper than %d directories", prefix, DIFF_MAX_DEPTH);
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("diff %s", prefix[0] ? prefix : "/");
	}
	/* On the heap: a deep tree must not hold PATH_MAX per level on the stack. */
	cleanup_free char *path = malloc(PATH_MAX);
	if (path == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	while ((child = readdir(dir)) != NULL) {
		if (strcmp(child->d_name, ".") == 0 || strcmp(child->d_name, "..") == 0)
			continue;
		if (snprintf(path, PATH_MAX, "%s/%s", prefix, child->d_name) >= PATH_MAX)
			return cv_error_errno(ENAMETOOLONG, "diff %s/%s: too long", prefix, child->d_name);
		if (walk_entry(walk, dirfd(dir), child->d_name, path, depth) < 0)
			return -1;
	}
	return 0;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(((const struct change *)a)->path, ((const struct change *)b)->path);
}

static void walk_free(struct diff_walk *walk)
{
	for (size_t i = 0; i < walk->layer_count; i++)
		if (walk->layer_fds[i] >= 0)
			close(walk->layer_fds[i]);
	free(walk->layer_fds);
	for (size_t i = 0; i < walk->count; i++)
		free(walk->changes[i].path);
	free(walk->changes);
}

static int open_layers(struct diff_walk *walk, char *const *layers)
{
	size_t count = 0;

	while (layers != NULL && layers[count] != NULL)
		count++;
	walk->layer_fds = cv_malloc0((count ? count : 1) * sizeof *walk->layer_fds);
	if (walk->layer_fds == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		walk->layer_fds[i] = open(layers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		walk->layer_count++;
		if (walk->layer_fds[i] < 0)
			return cv_error_sys("open layer %s", layers[i]);
	}
	return 0;
}

static int collect_changes(struct containerv_container *c, struct diff_walk *walk)
{
	char upper[PATH_MAX];
	cleanup_close int upper_fd = -1;

	snprintf(upper, sizeof upper, "%s/upper", c->dir);
	upper_fd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upper_fd < 0)
		return errno == ENOENT ? 0 : cv_error_sys("open %s", upper); /* never started: no changes */
	if (open_layers(walk, c->config.layers) < 0 || walk_directory(walk, upper_fd, "", 0) < 0)
		return -1;
	if (walk->count > 1) /* no change at all: no array either, and qsort wants one */
		qsort(walk->changes, walk->count, sizeof *walk->changes, compare_paths);
	return 0;
}

int containerv_changes(struct containerv_container *container, containerv_change_fn callback, void *user)
{
	struct diff_walk walk = {0};
	int ret;

	cv_error_clear();
	if (container == NULL || callback == NULL)
		return cv_error_errno(EINVAL, "diff: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	if (container->config.rootfs_in_place)
		return cv_error_errno(ENOTSUP,
		                      "diff %s: its root filesystem is used in place, it has no layer of changes",
		                      containerv_name(container));
	walk.config = &container->config;
	ret = collect_changes(container, &walk);
	for (size_t i = 0; ret == 0 && i < walk.count; i++)
		ret = callback(walk.changes[i].kind, walk.changes[i].path, user) != 0 ? -1 : 0;
	walk_free(&walk);
	if (ret < 0 && containerv_last_error()[0] != '\0')
		cv_error_prefix("diff %s", containerv_name(container));
	return ret;
}
