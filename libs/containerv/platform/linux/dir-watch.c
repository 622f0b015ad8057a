/*
 * An inotify descriptor on one directory, for the events journal's follow
 * (core/events-journal.c): a write to the journal, its rotation (a rename)
 * and its creation all wake the reader.
 */
#include <errno.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/error.h"
#include "platform/linux/container-private.h"

int cv_linux_dir_watch_open(const char *dir, containerv_fd_t *fd)
{
	int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (watch < 0)
		return cv_error_sys("inotify");
	if (inotify_add_watch(watch, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		int saved = errno;
		close(watch);
		errno = saved;
		return cv_error_sys("watch %s", dir);
	}
	*fd = watch;
	return 0;
}
