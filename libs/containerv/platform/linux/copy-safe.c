/*
 * The file discipline of docker cp against a hostile container (issue 9).
 *
 * The container owns the tree we copy from and into, and runs while we
 * do: any name may be swapped for a device node, a FIFO or a symlink
 * between two system calls (renameat2 RENAME_EXCHANGE in a loop). So:
 *
 * - a name is opened once, O_PATH|O_NOFOLLOW (which opens no driver and
 *   follows no link), and what it is comes from fstat of that descriptor;
 *   a regular file or directory is then reopened through
 *   /proc/self/fd/N, which names that inode and no other: a device node or
 *   FIFO is never opened for reading;
 * - nothing that exists in the destination is ever opened for writing: the
 *   new entry is made under a fresh name with O_EXCL and renamed over the
 *   target, so a node planted there is replaced, not written through.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"

#define TEMP_ATTEMPTS 100

int cv_copy_open_entry(int dir, const char *name, struct stat *st)
{
	int fd = cv_root_open(dir, name, O_PATH | O_NOFOLLOW, 0);

	if (fd < 0)
		return cv_error_sys("open %s", name);
	if (fstat(fd, st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return cv_error_sys("stat %s", name);
	}
	return fd;
}

int cv_copy_reopen(int path_fd, const struct stat *st, int flags, const char *name)
{
	char proc_path[64];
	struct stat now;
	int fd;

	/* Only what cannot run a driver or block on open: the caller checked, we check again. */
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return cv_error_errno(EINVAL, "open %s: not a regular file or directory", name);
	snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", path_fd);
	fd = open(proc_path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cv_error_sys("open %s", name);
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		return cv_error_errno(EAGAIN, "open %s: it changed while being opened", name);
	}
	return fd;
}

ssize_t cv_copy_read_link(int path_fd, char *target, size_t size, const char *name)
{
	/* readlinkat on the O_PATH descriptor of the link itself: no second lookup of the name. */
	ssize_t n = readlinkat(path_fd, "", target, size - 1);

	if (n < 0)
		return cv_error_sys("readlink %s", name);
	target[n] = '\0';
	return n;
}

static int make_under(int dir, const char *name, mode_t mode, const char *link_target)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	case S_IFLNK:
		return symlinkat(link_target, dir, name);
	case S_IFIFO:
		return mkfifoat(dir, name, mode & 0777);
	default:
		errno = EINVAL;
		return -1;
	}
}

int cv_copy_create_temp(int dir, mode_t mode, const char *link_target, char *name, size_t size)
{
	static unsigned counter;

	for (int attempt = 0; attempt < TEMP_ATTEMPTS; attempt++) {
		snprintf(name, size, ".cv-cp-%d-%u", (int)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
		int ret = make_under(dir, name, mode, link_target);
		if (ret >= 0)
			return ret;
		if (errno != EEXIST)
			return cv_error_sys("create a temporary file");
	}
	return cv_error_errno(EEXIST, "create a temporary: %d names taken", TEMP_ATTEMPTS);
}

int cv_copy_replace(int dir, const char *temp, const char *leaf)
{
	if (renameat(dir, temp, dir, leaf) == 0)
		return 0;
	int saved = errno;
	unlinkat(dir, temp, 0);
	/* docker's words for the cases renaming refuses. */
	if (saved == EISDIR || saved == ENOTEMPTY || saved == EEXIST)
		return cv_error_errno(saved, "cannot overwrite directory %s with non-directory", leaf);
	errno = saved;
	return cv_error_sys("replace %s", leaf);
}

int cv_copy_place(int dir, const char *leaf, mode_t mode, const char *link_target)
{
	char temp[64];

	if (cv_copy_create_temp(dir, mode, link_target, temp, sizeof temp) < 0)
		return -1;
	return cv_copy_replace(dir, temp, leaf);
}
