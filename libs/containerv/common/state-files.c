/*
 * The state store's file primitives on POSIX systems (common/state-files.h): flock on the
 * directory, symbolic links for names, *at() calls. The Windows build has its own
 * (platform/windows/state-files.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/state-files.h"
#include "common/util.h"

static int open_dir(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cv_error_sys("open %s", dir);
	return fd;
}

int cv_name_entry_create(const char *dir, const char *name, const char *target)
{
	cleanup_close int dirfd = open_dir(dir);

	if (dirfd < 0)
		return -1;
	if (symlinkat(target, dirfd, name) < 0)
		return cv_error_sys("name %s", name);
	return 0;
}

ssize_t cv_name_entry_read(const char *dir, const char *name, char *buffer, size_t size)
{
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (dirfd < 0 || size == 0)
		return -1;
	n = readlinkat(dirfd, name, buffer, size - 1);
	if (n >= 0)
		buffer[n] = '\0';
	return n;
}

void cv_file_remove_in(const char *dir, const char *name)
{
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dirfd >= 0)
		unlinkat(dirfd, name, 0);
}

int cv_dir_lock(const char *path, bool wait)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

void cv_dir_unlock(int lock)
{
	if (lock >= 0)
		close(lock);
}

bool cv_dir_lock_is_of(int lock, const char *path)
{
	struct stat held, named;

	return fstat(lock, &held) == 0 && lstat(path, &named) == 0 && held.st_ino == named.st_ino &&
	       held.st_dev == named.st_dev;
}

int cv_file_exists_in(const char *dir, const char *name)
{
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dirfd < 0)
		return -1;
	if (faccessat(dirfd, name, F_OK, 0) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

int cv_file_mtime_in(const char *dir, const char *name, int64_t *mtime_ns)
{
	cleanup_close int dirfd = open_dir(dir);
	struct stat st;

	if (dirfd < 0)
		return -1;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cv_error_sys("stat %s", name);
	*mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	return 0;
}

int cv_read_file_in(const char *dir, const char *name, char **content, size_t *length, size_t max)
{
	cleanup_close int dirfd = open_dir(dir);

	if (dirfd < 0)
		return -1;
	return cv_read_file_at(dirfd, name, content, length, max);
}

int cv_write_file_atomic_in(const char *dir, const char *name, const char *spare, const char *content, size_t length,
                            mode_t mode)
{
	cleanup_close int dirfd = open_dir(dir);

	if (dirfd < 0)
		return -1;
	if (spare == NULL)
		return cv_write_file_atomic_at(dirfd, name, content, length, mode);
	return cv_write_file_atomic_via_at(dirfd, name, spare, content, length, mode);
}
