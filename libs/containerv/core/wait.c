/*
 * containerv_wait(): the rules of waiting for a container, whatever the
 * platform. The process that started the init reaps it (the backend's
 * wait_exit: its exit status is all an autoremove container leaves); any
 * other process loops over the container's watch descriptor
 * (containerv_watch_fd/containerv_watch_state) until the init has ended. A
 * held container whose init ended before a release ran nothing: ESRCH.
 */
#include <errno.h>
#include <poll.h>

#include "common/error.h"
#include "core/backend.h"
#include "core/container.h"

static int held_init_ended(const struct containerv_container *c)
{
	return cv_error_errno(ESRCH, "container %s was held and its init ended before a release", containerv_name(c));
}

/* Until the init has ended (or a held one died), without a blocking call but poll. */
static int wait_watched(struct containerv_container *c)
{
	const struct cv_backend_ops *backend = cv_backend();
	enum containerv_state state;
	struct pollfd entry = {.events = POLLIN};
	containerv_fd_t watch;

	if (containerv_watch_fd(c, &watch) < 0)
		return errno == ENOENT ? backend->refresh(c) : -1;
	entry.fd = (int)watch;
	for (;;) {
		if (containerv_watch_state(c, &state) < 0)
			/* Removed meanwhile (autoremove): the refresh reports it as ended. */
			return errno == ENOENT ? backend->refresh(c) : -1;
		if (state == CV_STATE_CREATED)
			return held_init_ended(c);
		if (!cv_state_has_init(c))
			return 0;
		if (poll(&entry, 1, -1) < 0 && errno != EINTR)
			return cv_error_sys("wait for %s", containerv_name(c));
	}
}

int containerv_wait(struct containerv_container *container, struct containerv_exit *exit_status)
{
	const struct cv_backend_ops *backend = cv_backend();

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "wait: no container");
	CV_CONTEXT_SCOPE(container->context);
	backend->refresh(container);
	if (container->state.status == CV_STATE_CREATED)
		return cv_error_errno(EINVAL, "container %s has not been started", containerv_name(container));
	if (backend->is_init_parent(container) ? backend->wait_exit(container, -1) < 0 : wait_watched(container) < 0)
		return -1;
	if (container->state.status == CV_STATE_CREATED) /* our held init, killed before any release */
		return held_init_ended(container);
	backend->wait_output(container); /* the output is all in the log before anyone is told it has ended */
	if (exit_status != NULL)
		*exit_status = container->state.exit;
	return 0;
}
