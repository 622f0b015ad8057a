/*
 * A context's watch (core/backend.h, containerv_context_watch_fd): one epoll
 * descriptor over
 *   - an inotify instance watching the context's containers/ directory (a
 *     container directory made, renamed in or away, deleted) and, while a new
 *     container is still being written, that container's directory (its
 *     config.json and first state.json arrive after the directory);
 *   - the watch descriptors of the containers core follows (each an epoll
 *     descriptor itself: readable when that container changed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "platform/linux/container-private.h"

struct cv_context_watch {
	int epoll;
	int inotify;
};

void cv_linux_context_watch_close(struct cv_context_watch *watch)
{
	if (watch == NULL)
		return;
	close(watch->inotify);
	close(watch->epoll);
	free(watch);
}

int cv_linux_context_watch_open(const char *containers_dir, struct cv_context_watch **out, containerv_fd_t *fd)
{
	struct epoll_event event = {.events = EPOLLIN};
	struct cv_context_watch *watch = cv_malloc0(sizeof *watch);

	if (watch == NULL)
		return -1;
	watch->epoll = epoll_create1(EPOLL_CLOEXEC);
	watch->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	event.data.fd = watch->inotify;
	if (watch->epoll < 0 || watch->inotify < 0 ||
	    inotify_add_watch(watch->inotify, containers_dir,
	                      IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) < 0 ||
	    epoll_ctl(watch->epoll, EPOLL_CTL_ADD, watch->inotify, &event) < 0) {
		struct cv_error_saved saved;
		cv_error_sys("watch %s", containers_dir);
		cv_error_save(&saved);
		if (watch->inotify >= 0)
			close(watch->inotify);
		if (watch->epoll >= 0)
			close(watch->epoll);
		free(watch);
		return cv_error_restore(&saved);
	}
	*out = watch;
	*fd = watch->epoll;
	return 0;
}

int cv_linux_context_watch_add_fd(struct cv_context_watch *watch, containerv_fd_t fd)
{
	struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};

	if (epoll_ctl(watch->epoll, EPOLL_CTL_ADD, fd, &event) < 0 && errno != EEXIST)
		return cv_error_sys("watch a container");
	return 0;
}

void cv_linux_context_watch_remove_fd(struct cv_context_watch *watch, containerv_fd_t fd)
{
	epoll_ctl(watch->epoll, EPOLL_CTL_DEL, fd, NULL);
}

int cv_linux_context_watch_add_dir(struct cv_context_watch *watch, const char *dir)
{
	/* IN_MOVED_TO: state.json renamed in; IN_CLOSE_WRITE: config.json written. */
	int wd = inotify_add_watch(watch->inotify, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);

	if (wd < 0)
		return cv_error_sys("watch %s", dir);
	return wd;
}

void cv_linux_context_watch_remove_dir(struct cv_context_watch *watch, int id)
{
	inotify_rm_watch(watch->inotify, id);
}

void cv_linux_context_watch_drain(struct cv_context_watch *watch)
{
	alignas(struct inotify_event) char buffer[4096];
	ssize_t n;

	while ((n = read(watch->inotify, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
		;
}
