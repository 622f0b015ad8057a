/*
 * The container's state machine, whatever the platform: which operation is
 * allowed in which state (created -> held -> running -> exited -> removed),
 * under the container's lock where two processes could interleave, and the
 * call through the backend table (core/backend.h) that does the work.
 */
#include <errno.h>
#include <signal.h>

#include "common/error.h"
#include "core/backend.h"
#include "core/container.h"

int containerv_start(struct containerv_container *container)
{
	const struct cv_backend_ops *backend = cv_backend();
	int ret;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "start: no container");
	CV_CONTEXT_SCOPE(container->context);
	if (backend->lock(container) < 0)
		return cv_error_prefix("start");
	backend->refresh(container);
	if (container->state.status == CV_STATE_RUNNING) {
		backend->unlock(container);
		return cv_error_errno(EBUSY, "container %s is already running", containerv_name(container));
	}
	if (container->state.status == CV_STATE_HELD)
		ret = backend->release_held(container);
	else
		ret = backend->start(container, false);
	backend->unlock(container);
	if (ret < 0)
		return cv_error_prefix("start %s", containerv_name(container));
	return 0;
}

int containerv_kill(struct containerv_container *container, int signal)
{
	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "kill: no container");
	if (signal <= 0 || signal >= NSIG)
		return cv_error_errno(EINVAL, "kill: invalid signal %d", signal);
	CV_CONTEXT_SCOPE(container->context);
	cv_backend()->refresh(container);
	if (container->state.status != CV_STATE_RUNNING)
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(container));
	return cv_backend()->signal(container, signal);
}

int containerv_spawn(struct containerv_container *container, const struct containerv_spawn_options *options,
                     containerv_pid_t *pid, struct containerv_exit *exit_status)
{
	cv_error_clear();
	if (container == NULL || options == NULL || options->argv == NULL || options->argv[0] == NULL)
		return cv_error_errno(EINVAL, "exec: no command given");
	if (options->version != 1 && options->version != CONTAINERV_SPAWN_OPTIONS_VERSION)
		return cv_error_errno(EINVAL, "exec: unsupported options version %u", options->version);
	CV_CONTEXT_SCOPE(container->context);
	cv_backend()->refresh(container);
	if (container->state.status != CV_STATE_RUNNING)
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(container));
	/* A process joining a frozen container is frozen at once: it would hang, as would its caller. */
	if (cv_state_is_paused(container))
		return cv_error_errno(EBUSY, "container %s is paused, unpause the container first",
		                      containerv_name(container));
	return cv_backend()->exec(container, options, pid, exit_status);
}

int containerv_get_processes(struct containerv_container *container, struct containerv_process_info *processes,
                             size_t max, size_t *count)
{
	cv_error_clear();
	if (container == NULL || count == NULL || (processes == NULL && max > 0))
		return cv_error_errno(EINVAL, "processes: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	cv_backend()->refresh(container);
	if (container->state.status != CV_STATE_RUNNING)
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(container));
	return cv_backend()->processes(container, processes, max, count);
}

int containerv_watch_fd(struct containerv_container *container, containerv_fd_t *fd)
{
	cv_error_clear();
	if (container == NULL || fd == NULL)
		return cv_error_errno(EINVAL, "watch: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	return cv_backend()->watch_fd(container, fd);
}

int containerv_watch_state(struct containerv_container *container, enum containerv_state *state)
{
	cv_error_clear();
	if (container == NULL || state == NULL)
		return cv_error_errno(EINVAL, "watch state: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	return cv_backend()->watch_state(container, state);
}
