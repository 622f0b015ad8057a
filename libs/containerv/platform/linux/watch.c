/*
 * containerv_watch_fd(): one pollable descriptor per container handle, for a supervisor's poll or epoll
 * loop. It is an epoll descriptor over two sources:
 *   - the init's pidfd: readable once the init has ended, that is, the container has exited;
 *   - an inotify watch of the container's state directory: state.json is replaced by a rename at every
 *     state change made by any process (start, release, a recorded death), and the directory itself is
 *     renamed away and deleted when the container is removed.
 * containerv_watch_state() takes the events off, re-reads the state and re-arms the pidfd for the
 * current init (none once exited: the descriptor is then quiet until the next start).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdalign.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"

void cv_watch_close(struct containerv_container *c)
{
	if (!c->platform->watching)
		return;
	if (c->platform->watch_pidfd >= 0)
		close(c->platform->watch_pidfd);
	close(c->platform->watch_inotify);
	close(c->platform->watch_fd);
	c->platform->watching = false;
}

static void drop_pidfd(struct containerv_container *c)
{
	if (c->platform->watch_pidfd < 0)
		return;
	epoll_ctl(c->platform->watch_fd, EPOLL_CTL_DEL, c->platform->watch_pidfd, NULL);
	close(c->platform->watch_pidfd);
	c->platform->watch_pidfd = -1;
}

/* The pidfd of the current init in the set; none without an init. */
static int arm_pidfd(struct containerv_container *c)
{
	struct epoll_event event = {.events = EPOLLIN};

	drop_pidfd(c);
	if (!cv_state_has_init(c) || c->state.pid <= 0)
		return 0;
	c->platform->watch_pidfd = (int)syscall(SYS_pidfd_open, c->state.pid, 0);
	if (c->platform->watch_pidfd < 0) {
		if (errno == ESRCH)
			return 0; /* gone already: the refresh that follows records it */
		return cv_error_sys("watch the init of %s", containerv_name(c));
	}
	/* The pid may have been reused since the state was read: then this is not our init. */
	if (!cv_process_alive(c->state.pid, c->state.pid_start_time)) {
		close(c->platform->watch_pidfd);
		c->platform->watch_pidfd = -1;
		return 0;
	}
	event.data.fd = c->platform->watch_pidfd;
	if (epoll_ctl(c->platform->watch_fd, EPOLL_CTL_ADD, c->platform->watch_pidfd, &event) < 0) {
		close(c->platform->watch_pidfd);
		c->platform->watch_pidfd = -1;
		return cv_error_sys("watch the init of %s", containerv_name(c));
	}
	return 0;
}

int cv_linux_watch_fd(struct containerv_container *container, int *fd)
{
	struct epoll_event event = {.events = EPOLLIN};
	cleanup_close int epoll = -1;
	cleanup_close int inotify = -1;

	if (container->platform->watching) {
		*fd = container->platform->watch_fd;
		return 0;
	}
	epoll = epoll_create1(EPOLL_CLOEXEC);
	inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (epoll < 0 || inotify < 0)
		return cv_error_sys("watch %s", containerv_name(container));
	/* IN_MOVED_TO: state.json replaced; IN_MOVE_SELF, IN_DELETE_SELF: the container removed. */
	if (inotify_add_watch(inotify, container->dir, IN_MOVED_TO | IN_MOVE_SELF | IN_DELETE_SELF | IN_ONLYDIR) < 0)
		return errno == ENOENT ? cv_error_errno(ENOENT, "no such container: %s", containerv_name(container))
		                       : cv_error_sys("watch %s", containerv_name(container));
	event.data.fd = inotify;
	if (epoll_ctl(epoll, EPOLL_CTL_ADD, inotify, &event) < 0)
		return cv_error_sys("watch %s", containerv_name(container));
	container->platform->watch_fd = cv_steal_fd(&epoll);
	container->platform->watch_inotify = cv_steal_fd(&inotify);
	container->platform->watch_pidfd = -1;
	container->platform->watching = true;
	/* Watching first, then reading: a change made in between is both seen here and reported. */
	if (cv_state_reload(container) < 0 || cv_state_refresh(container) < 0 || arm_pidfd(container) < 0) {
		cv_watch_close(container);
		return -1;
	}
	*fd = container->platform->watch_fd;
	return 0;
}

/* Reads every pending inotify event; true when the directory went (the container was removed). */
static bool drain_inotify(int inotify)
{
	alignas(struct inotify_event) char buffer[4096];
	bool removed = false;
	ssize_t n;

	while ((n = read(inotify, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
		for (char *p = buffer; n > 0 && p < buffer + n;) {
			const struct inotify_event *event = (const struct inotify_event *)(void *)p;
			if (event->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED))
				removed = true;
			p += sizeof *event + event->len;
		}
	}
	return removed;
}

int cv_linux_watch_state(struct containerv_container *container, enum containerv_state *state)
{
	if (container->platform->watching && drain_inotify(container->platform->watch_inotify)) {
		drop_pidfd(container);
		return cv_error_errno(ENOENT, "container %s has been removed", containerv_name(container));
	}
	if (cv_state_reload(container) < 0 || cv_state_refresh(container) < 0)
		return -1;
	if (container->platform->watching && arm_pidfd(container) < 0)
		return -1;
	/* An init that ended while it was being armed is seen now, not at the next event. */
	if (cv_state_refresh(container) < 0)
		return -1;
	if (container->platform->watching && !cv_state_has_init(container))
		drop_pidfd(container);
	*state = container->state.status;
	return 0;
}
