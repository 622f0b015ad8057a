/*
 * The file-system helpers of common/ (util.h): whole-file reads and writes relative to a
 * directory descriptor, atomic replacement, mkdir -p, private directories, rm -rf. POSIX *at()
 * calls: the Windows build has its own (platform/windows/files.c) for the path-based ones.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "util.h"

int cv_read_file_at(int dirfd, const char *path, char **content, size_t *length, size_t max)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cv_error_sys("open %s", path);
	return cv_read_fd(fd, path, content, length, max);
}

int cv_read_file(const char *path, char **content, size_t *length, size_t max)
{
	return cv_read_file_at(AT_FDCWD, path, content, length, max);
}

int cv_read_u64(const char *path, uint64_t *value)
{
	cleanup_free char *text = NULL;
	char *end;

	if (cv_read_file(path, &text, NULL, 4096) < 0)
		return -1;
	errno = 0;
	unsigned long long parsed = strtoull(text, &end, 10);
	if (errno != 0 || end == text)
		return cv_error_errno(EINVAL, "%s: not a number", path);
	*value = parsed;
	return 0;
}

int cv_write_file(const char *path, const char *text)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t length = strlen(text);

	if (fd < 0)
		return cv_error_sys("open %s", path);
	if (cv_write_all(fd, text, length) < 0)
		return cv_error_sys("write %s to %s", text, path);
	return 0;
}

int cv_write_file_at(int dirfd, const char *name, const char *content, size_t length, mode_t mode)
{
	cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return cv_error_sys("create %s", name);
	if (cv_write_all(fd, content, length) < 0)
		return cv_error_sys("write %s", name);
	return 0;
}

void cv_retired_name(const char *name, int slot, char *buffer, size_t size)
{
	snprintf(buffer, size, ".%s.retired-%d", name, slot);
}

/*
 * Keeps the file now at name alive under a free retired slot, so that the rename over it does not free
 * its blocks: see cv_write_file_atomic_via_at. Nothing when every slot is taken or name is missing.
 */
static void retire_current(int dirfd, const char *name)
{
	char retired[4096];

	for (int slot = 0; slot < CV_RETIRED_SLOTS; slot++) {
		cv_retired_name(name, slot, retired, sizeof retired);
		if (linkat(dirfd, name, dirfd, retired, 0) == 0 || errno != EEXIST)
			return;
	}
}

/*
 * Writes content to the open temporary and renames it over name (after retire_current when retire); the
 * temporary goes on failure.
 */
static int write_and_rename(int dirfd, int fd, const char *temporary, const char *name, const char *content,
                            size_t length, bool retire)
{
	if (cv_write_all(fd, content, length) < 0) {
		int saved = errno;
		unlinkat(dirfd, temporary, 0);
		errno = saved;
		return cv_error_sys("write %s", name);
	}
	if (retire)
		retire_current(dirfd, name);
	if (renameat(dirfd, temporary, dirfd, name) < 0) {
		int saved = errno;
		unlinkat(dirfd, temporary, 0);
		errno = saved;
		return cv_error_sys("rename %s", name);
	}
	return 0;
}

static int write_new_file(int dirfd, const char *name, const char *content, size_t length, mode_t mode, bool retire)
{
	char temporary[4096];
	cleanup_close int fd = -1;

	/* Per thread: two threads of one process must not share it. */
	snprintf(temporary, sizeof temporary, ".%s.tmp.%d", name, (int)gettid());
	fd = openat(dirfd, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return cv_error_sys("create %s", temporary);
	return write_and_rename(dirfd, fd, temporary, name, content, length, retire);
}

int cv_write_file_atomic_at(int dirfd, const char *name, const char *content, size_t length, mode_t mode)
{
	return write_new_file(dirfd, name, content, length, mode, false);
}

int cv_write_file_atomic_via_at(int dirfd, const char *name, const char *spare, const char *content, size_t length,
                                mode_t mode)
{
	char temporary[4096];
	cleanup_close int fd = -1;
	struct stat st;

	/* Claimed by a rename first: of two writers, one gets the spare and the other makes a file. */
	/* Per thread: two threads of one process must not share it. */
	snprintf(temporary, sizeof temporary, ".%s.tmp.%d", name, (int)gettid());
	if (renameat2(dirfd, spare, dirfd, temporary, RENAME_NOREPLACE) < 0)
		return write_new_file(dirfd, name, content, length, mode, true);
	fd = openat(dirfd, temporary, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	/* Only a plain file of ours, linked once, is emptied and used: anything else goes back as it was. */
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != mode || ftruncate(fd, 0) < 0) {
		renameat(dirfd, temporary, dirfd, spare);
		return write_new_file(dirfd, name, content, length, mode, true);
	}
	return write_and_rename(dirfd, fd, temporary, name, content, length, true);
}

int cv_mkdir_p(const char *path, mode_t mode)
{
	char buffer[4096];
	size_t length = strlen(path);

	if (length == 0 || length >= sizeof buffer)
		return cv_error_errno(ENAMETOOLONG, "mkdir %s: bad path length", path);
	memcpy(buffer, path, length + 1);
	for (char *p = buffer + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buffer, mode) < 0 && errno != EEXIST)
			return cv_error_sys("mkdir %s", buffer);
		*p = '/';
	}
	if (mkdir(buffer, mode) < 0 && errno != EEXIST)
		return cv_error_sys("mkdir %s", buffer);
	return 0;
}

/* mkdir 0700, or chmod 0700 of an existing directory of ours that others may enter. */
static int make_private(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST || stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return errno = ENOTDIR, -1;
	if ((st.st_mode & 077) == 0 || st.st_uid != geteuid() || (st.st_mode & S_ISVTX))
		return 0;
	return chmod(path, st.st_mode & 07700);
}

int cv_mkdir_private(const char *root, const char *leaf, char *buffer, size_t size)
{
	int n = leaf != NULL ? snprintf(buffer, size, "%s/%s", root, leaf) : snprintf(buffer, size, "%s", root);

	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "state root %s: too long", root);
	if (make_private(root) < 0) {
		/* Missing parents (a new /var/lib/containerv on a bare system) are ordinary directories. */
		char parent[4096];
		snprintf(parent, sizeof parent, "%s", root);
		char *slash = strrchr(parent, '/');
		if (errno != ENOENT || slash == NULL || slash == parent)
			return cv_error_sys("state root %s", root);
		*slash = '\0';
		if (cv_mkdir_p(parent, 0755) < 0)
			return -1;
		if (make_private(root) < 0)
			return cv_error_sys("state root %s", root);
	}
	if (leaf != NULL && make_private(buffer) < 0)
		return cv_error_sys("mkdir %s", buffer);
	return 0;
}

/* Removes the contents of dirfd; never follows symlinks, never leaves the device. */
static int remove_tree_at(int dirfd, dev_t device)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *entry;
	int fd = dup(dirfd);
	int ret = 0;

	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return -1;
	}
	while ((entry = readdir(dir)) != NULL) {
		struct stat st;

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != device) {
				/* A mount point: never delete through it. */
				errno = EBUSY;
				ret = -1;
				continue;
			}
			cleanup_close int child =
			        openat(dirfd, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (child < 0 || remove_tree_at(child, device) < 0)
				ret = -1;
			if (unlinkat(dirfd, entry->d_name, AT_REMOVEDIR) < 0)
				ret = -1;
		} else if (unlinkat(dirfd, entry->d_name, 0) < 0) {
			ret = -1;
		}
	}
	return ret;
}

int cv_rm_rf(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP) {
			if (unlink(path) < 0 && errno != ENOENT)
				return cv_error_sys("remove %s", path);
			return 0;
		}
		return cv_error_sys("open %s", path);
	}
	if (fstat(fd, &st) < 0)
		return cv_error_sys("stat %s", path);
	if (remove_tree_at(fd, st.st_dev) < 0)
		return cv_error_sys("remove contents of %s", path);
	if (rmdir(path) < 0 && errno != ENOENT)
		return cv_error_sys("remove %s", path);
	return 0;
}

bool cv_path_is_absolute(const char *path)
{
	return path[0] == '/';
}

const char *cv_default_state_root(void)
{
	return "/var/lib/containerv";
}
