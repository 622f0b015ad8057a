/*
 * Copying files into and out of a running container (docker cp).
 *
 * The container's side is reached through the init's /proc/<pid>/root and
 * resolved with openat2(RESOLVE_IN_ROOT): an absolute or ".." symlink in
 * the container resolves inside the container, never on the host. Below
 * the top level every step is an *at() call with O_NOFOLLOW on directory
 * descriptors, so the walk never follows a link either.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "linux/container-private.h"
#include "linux/init-plan.h"

static int copy_entry(int src_dir, const char *src_name, int dst_dir, const char *dst_name);

static int copy_data(int in, int out, const char *name)
{
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return cv_error_sys("copy %s", name);
		break;
	}
	/* Across filesystems that refuse copy_file_range: a plain read/write loop. */
	char buffer[1 << 16];
	for (;;) {
		ssize_t n = read(in, buffer, sizeof buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cv_error_sys("read %s", name);
		if (n == 0)
			return 0;
		if (cv_write_all(out, buffer, (size_t)n) < 0)
			return cv_error_sys("write %s", name);
	}
}

static void keep_metadata(int fd, const struct stat *st)
{
	/* Ownership follows the source when we may set it (as root); modes always. */
	if (fchown(fd, st->st_uid, st->st_gid) < 0 && errno != EPERM)
		return;
	fchmod(fd, st->st_mode & 07777);
}

static int copy_file(int src_dir, const char *src_name, int dst_dir, const char *dst_name, const struct stat *st)
{
	cleanup_close int in = openat(src_dir, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;

	if (in < 0)
		return cv_error_sys("open %s", src_name);
	out = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 0777);
	if (out < 0)
		return cv_error_sys("create %s", dst_name);
	if (copy_data(in, out, src_name) < 0)
		return -1;
	keep_metadata(out, st);
	return 0;
}

static int copy_symlink(int src_dir, const char *src_name, int dst_dir, const char *dst_name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(src_dir, src_name, target, sizeof target - 1);

	if (n < 0)
		return cv_error_sys("readlink %s", src_name);
	target[n] = '\0';
	unlinkat(dst_dir, dst_name, 0);
	if (symlinkat(target, dst_dir, dst_name) < 0)
		return cv_error_sys("symlink %s", dst_name);
	return 0;
}

static int copy_directory(int src_dir, const char *src_name, int dst_dir, const char *dst_name, const struct stat *st)
{
	cleanup_close int in = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;

	if (in < 0)
		return cv_error_sys("open %s", src_name);
	if (mkdirat(dst_dir, dst_name, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s", dst_name);
	/* O_NOFOLLOW|O_DIRECTORY: an existing symlink in the way is refused, not followed. */
	out = openat(dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return cv_error_sys("open %s", dst_name);
	listing = fdopendir(dup(in));
	if (listing == NULL)
		return cv_error_sys("list %s", src_name);
	while ((entry = readdir(listing)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (copy_entry(in, entry->d_name, out, entry->d_name) < 0)
			return cv_error_prefix("%s", src_name);
	}
	keep_metadata(out, st);
	return 0;
}

static int copy_entry(int src_dir, const char *src_name, int dst_dir, const char *dst_name)
{
	struct stat st;

	if (fstatat(src_dir, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("stat %s", src_name);
	if (S_ISDIR(st.st_mode))
		return copy_directory(src_dir, src_name, dst_dir, dst_name, &st);
	if (S_ISREG(st.st_mode))
		return copy_file(src_dir, src_name, dst_dir, dst_name, &st);
	if (S_ISLNK(st.st_mode))
		return copy_symlink(src_dir, src_name, dst_dir, dst_name);
	if (S_ISFIFO(st.st_mode)) {
		if (mkfifoat(dst_dir, dst_name, st.st_mode & 0777) < 0 && errno != EEXIST)
			return cv_error_sys("mkfifo %s", dst_name);
		return 0;
	}
	return cv_error_errno(ENOTSUP, "copy %s: device files and sockets are not copied", src_name);
}

/* Splits a path into its directory and its last component ("/a/b/" gives "/a" and "b"). */
int cv_split_path(const char *path, char *dir, size_t dir_size, char *leaf, size_t leaf_size)
{
	char copy[PATH_MAX];
	size_t length = strlen(path);

	if (length == 0 || length >= sizeof copy)
		return cv_error_errno(EINVAL, "invalid path \"%s\"", path);
	memcpy(copy, path, length + 1);
	while (length > 1 && copy[length - 1] == '/')
		copy[--length] = '\0';
	char *slash = strrchr(copy, '/');
	if (slash == NULL) {
		snprintf(dir, dir_size, ".");
		snprintf(leaf, leaf_size, "%s", copy);
	} else {
		snprintf(leaf, leaf_size, "%s", slash + 1);
		*slash = '\0';
		snprintf(dir, dir_size, "%s", slash == copy ? "/" : copy);
	}
	if (leaf[0] == '\0' || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
		return cv_error_errno(EINVAL, "invalid path \"%s\": name a file or directory", path);
	return 0;
}

/* Opens a directory on the host (root_fd < 0) or inside the container's root. */
static int open_dir(int root_fd, const char *path)
{
	if (root_fd < 0)
		return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return cv_root_open(root_fd, path, O_PATH | O_DIRECTORY, 0);
}

/*
 * docker cp semantics for the destination: an existing directory receives
 * the source under its own name; anything else is the new name itself.
 */
static int copy_one(int src_root, const char *src_path, int dst_root, const char *dst_path)
{
	char src_dir_path[PATH_MAX], src_leaf[NAME_MAX + 1], dst_dir_path[PATH_MAX], dst_leaf[NAME_MAX + 1];
	cleanup_close int src_dir = -1;
	cleanup_close int dst_dir = -1;

	if (cv_split_path(src_path, src_dir_path, sizeof src_dir_path, src_leaf, sizeof src_leaf) < 0)
		return -1;
	src_dir = open_dir(src_root, src_dir_path);
	if (src_dir < 0)
		return cv_error_sys("%s", src_path);
	dst_dir = open_dir(dst_root, dst_path);
	if (dst_dir >= 0) {
		snprintf(dst_leaf, sizeof dst_leaf, "%s", src_leaf);
	} else {
		if (cv_split_path(dst_path, dst_dir_path, sizeof dst_dir_path, dst_leaf, sizeof dst_leaf) < 0)
			return -1;
		dst_dir = open_dir(dst_root, dst_dir_path);
		if (dst_dir < 0)
			return cv_error_sys("%s", dst_dir_path);
	}
	/* O_PATH descriptors cannot be listed or written through: reopen them for real. */
	cleanup_close int src_real = openat(src_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int dst_real = openat(dst_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (src_real < 0 || dst_real < 0)
		return cv_error_sys("open %s", src_real < 0 ? src_path : dst_path);
	return copy_entry(src_real, src_leaf, dst_real, dst_leaf);
}

static int open_running_root(struct containerv_container *c)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "/proc/%d/root", (int)c->state.pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !cv_process_alive(c->state.pid, c->state.pid_start_time)) {
		if (fd >= 0)
			close(fd);
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	}
	return fd;
}

/* The child's side for a stopped container: its own mount namespace, the overlay, the work. */
static void __attribute__((noreturn))
work_on_stopped(struct containerv_container *c, int (*work)(int, void *), void *arg, int report)
{
	char rootfs[PATH_MAX], work_dir[PATH_MAX], upper[PATH_MAX];
	cleanup_free char *options = NULL;
	int root;

	snprintf(upper, sizeof upper, "%s/upper", c->dir);
	snprintf(work_dir, sizeof work_dir, "%s/work", c->dir);
	/* A fresh work dir, as at every start: the last mount left it marked volatile. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		cv_error_sys("private mount namespace");
	else if (cv_rm_rf(work_dir) < 0 || cv_mkdir_p(work_dir, 0700) < 0 || cv_mkdir_p(upper, 0755) < 0 ||
	         cv_state_rootfs_mountpoint(rootfs, sizeof rootfs) < 0 || cv_overlay_options(c, &options) < 0)
		;
	else if (mount("overlay", rootfs, "overlay", 0, options) < 0)
		cv_error_sys("mount the root filesystem of %s", containerv_name(c));
	else if ((root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		cv_error_sys("open the root filesystem of %s", containerv_name(c));
	else if (work(root, arg) == 0)
		_exit(0);
	struct cv_sync_message failure = {.error = errno};
	snprintf(failure.text, sizeof failure.text, "%s", containerv_last_error());
	cv_write_all(report, &failure, sizeof failure);
	_exit(1);
}

int cv_container_with_root(struct containerv_container *c, int (*work)(int root, void *arg), void *arg)
{
	struct cv_sync_message failure;
	int fds[2], ret;
	pid_t child;

	cv_state_refresh(c);
	if (c->state.status == CV_STATE_RUNNING) {
		cleanup_close int root = open_running_root(c);
		return root < 0 ? -1 : work(root, arg);
	}
	/* Stopped: no start may mount the same layers meanwhile. */
	if (cv_state_lock(c) < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		cv_state_unlock(c);
		return cv_error_sys("pipe");
	}
	child = fork();
	if (child == 0) {
		close(fds[0]);
		work_on_stopped(c, work, arg, fds[1]);
	}
	close(fds[1]);
	ret = child < 0 ? cv_error_sys("fork") : 0;
	if (child > 0) {
		ssize_t n = cv_read_all(fds[0], &failure, sizeof failure);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof failure)
			ret = cv_error_errno(failure.error ? failure.error : EIO, "%s", failure.text);
	}
	close(fds[0]);
	cv_state_unlock(c);
	return ret;
}

struct copy_request {
	const char *const *sources;
	const char *const *targets;
	size_t count;
	bool upload;
};

static int copy_in_root(int root, void *arg)
{
	const struct copy_request *r = arg;

	for (size_t i = 0; i < r->count; i++) {
		int ret = r->upload ? copy_one(-1, r->sources[i], root, r->targets[i])
		                    : copy_one(root, r->sources[i], -1, r->targets[i]);
		if (ret < 0)
			return cv_error_prefix("copy %s%s to %s%s", r->upload ? "" : "container:", r->sources[i],
			                       r->upload ? "container:" : "", r->targets[i]);
	}
	return 0;
}

static int copy_many(struct containerv_container *c, const char *const *sources, const char *const *targets,
                     size_t count, bool upload)
{
	struct copy_request request = {sources, targets, count, upload};

	cv_error_clear();
	if (c == NULL || (count > 0 && (sources == NULL || targets == NULL)))
		return cv_error_errno(EINVAL, "copy: missing argument");
	return cv_container_with_root(c, copy_in_root, &request);
}

int containerv_upload(struct containerv_container *container, const char *const *host_paths,
                      const char *const *container_paths, size_t count)
{
	return copy_many(container, host_paths, container_paths, count, true);
}

int containerv_download(struct containerv_container *container, const char *const *container_paths,
                        const char *const *host_paths, size_t count)
{
	return copy_many(container, container_paths, host_paths, count, false);
}
