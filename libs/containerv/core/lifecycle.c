/*
 * The container's state machine, whatever the platform: which operation is
 * allowed in which state (created -> held -> running -> exited -> removed:
 * start, kill, stop, remove, exec, processes, watch),
 * under the container's lock where two processes could interleave, and the
 * call through the backend table (core/backend.h) that does the work.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "core/events-journal.h"
#include "core/supervise-state.h"
#include "security/security-internal.h"

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
	/* A user's start (or a policy's): what a stop marked is to be supervised again. */
	cv_supervise_mark_stopped(container, false);
	if (container->state.status == CV_STATE_HELD)
		ret = backend->release_held(container);
	else
		ret = backend->clear_unrecorded_start(container) < 0 ? -1 : backend->start(container, false);
	backend->unlock(container);
	if (ret < 0)
		return cv_error_prefix("start %s", containerv_name(container));
	cv_journal_container(container, "start", NULL);
	return 0;
}

bool cv_signal_leaves_process(int signal)
{
	switch (signal) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return true;
	default:
		return false;
	}
}

/*
 * A held container's main command has not been executed: a signal reaches it as it would a process that
 * has installed no handler yet. One that would end it ends the container (every process, the init too:
 * it is CV_STATE_CREATED again); one that would be ignored, or stop it, changes nothing.
 */
static int kill_held(struct containerv_container *container, int signal)
{
	const struct cv_backend_ops *backend = cv_backend();
	int ret = 0;

	if (cv_signal_leaves_process(signal))
		return 0;
	if (backend->lock(container) < 0)
		return cv_error_prefix("kill");
	backend->refresh(container);
	if (container->state.status == CV_STATE_HELD && backend->terminate(container) < 0)
		ret = cv_error_prefix("kill %s", containerv_name(container));
	backend->refresh(container);
	backend->unlock(container);
	return ret;
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
	if (container->state.status == CV_STATE_HELD)
		return kill_held(container, signal);
	if (container->state.status != CV_STATE_RUNNING)
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(container));
	/* Before the signal: its "die" may be recorded before this call returns (docker: kill, then die). */
	char number[32];
	const char *extra[] = {number, NULL};
	snprintf(number, sizeof number, "signal=%d", signal);
	cv_journal_container(container, "kill", extra);
	return cv_backend()->signal(container, signal);
}

int containerv_stop(struct containerv_container *container, int stop_signal, unsigned int timeout_seconds)
{
	const struct cv_backend_ops *backend = cv_backend();
	int ret;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "stop: no container");
	CV_CONTEXT_SCOPE(container->context);
	/*
	 * Asked for: no restart policy brings it back (the supervisor reads the marker when the init ends, and
	 * before a restart it is waiting to make: a stop of an exited container cancels that).
	 */
	cv_supervise_mark_stopped(container, true);
	backend->refresh(container);
	if (container->state.status != CV_STATE_RUNNING)
		return 0;
	/* No signal asked for: the image's StopSignal, else SIGTERM. */
	if (stop_signal == 0)
		stop_signal = container->config.stop_signal > 0 ? container->config.stop_signal : SIGTERM;
	if (containerv_kill(container, stop_signal) < 0) {
		backend->refresh(container);
		return container->state.status == CV_STATE_RUNNING ? -1 : 0;
	}
	/* --stop-timeout, else docker's 10 seconds. */
	if (timeout_seconds == CONTAINERV_STOP_TIMEOUT_DEFAULT)
		timeout_seconds =
		        container->config.stop_timeout >= 0 ? (unsigned int)container->config.stop_timeout : 10;
	/* A frozen process acts on nothing: the signal waits for the thaw (docker thaws too). */
	cv_resume_if_paused(container);
	ret = backend->wait_exit(container, (int)(timeout_seconds > 86400 ? 86400 : timeout_seconds) * 1000);
	if (ret < 0)
		return -1;
	if (ret == 1 && backend->terminate(container) < 0)
		return cv_error_prefix("stop %s", containerv_name(container));
	cv_journal_container(container, "stop", NULL);
	return 0;
}

int containerv_remove(struct containerv_container *container, unsigned int flags)
{
	const struct cv_backend_ops *backend = cv_backend();
	int ret;

	cv_error_clear();
	if (container == NULL)
		return 0;
	CV_CONTEXT_SCOPE(container->context);
	/* Under the lock: a concurrent start waits, then finds the container gone (ENOENT). */
	if (backend->lock(container) < 0) {
		containerv_close(container);
		return cv_error_prefix("remove");
	}
	backend->refresh(container);
	if ((flags & CV_REMOVE_IF_STOPPED) &&
	    (container->state.status == CV_STATE_RUNNING || container->state.status == CV_STATE_HELD)) {
		backend->unlock(container);
		cv_error_errno(EBUSY, "remove %s: it is running", containerv_name(container));
		containerv_close(container);
		return -1;
	}
	cv_supervise_mark_stopped(container, true);
	if (backend->terminate(container) < 0) {
		backend->unlock(container);
		containerv_close(container);
		return cv_error_prefix("remove");
	}
	ret = backend->destroy(container, (flags & CV_REMOVE_VOLUMES) != 0);
	if (ret < 0)
		cv_error_prefix("remove %s", containerv_name(container));
	else
		cv_journal_container(container, "destroy", NULL);
	backend->unlock(container);
	containerv_close(container);
	return ret;
}

int containerv_destroy(struct containerv_container *container)
{
	return containerv_remove(container, 0);
}

/*
 * CV_SPAWN_PRIVILEGED: every capability is what a permissive container's root could take back anyway
 * (docker's run has no more walls); above that level the exec'd process would be stronger than the container's
 * own, so it is refused. A privileged container's processes have every capability already.
 */
static int spawn_privileged_refused(struct containerv_container *container)
{
	const struct containerv_security *security = container->config.security;
	enum containerv_security_level level =
	        security != NULL ? containerv_security_level(security) : CV_SECURITY_RESTRICTED;

	if (security != NULL && (security->privileged || level == CV_SECURITY_PERMISSIVE))
		return 0;
	return cv_error_errno(EPERM,
	                      "exec --privileged in %s: refused at the %s security level (only a permissive or "
	                      "privileged container's exec may have every capability)",
	                      containerv_name(container), containerv_security_level_name(level));
}

static void journal_exec(struct containerv_container *c, const char *const *argv, containerv_pid_t pid,
                         const struct containerv_exit *ended);

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
	if ((options->flags & CV_SPAWN_PRIVILEGED) && spawn_privileged_refused(container) < 0)
		return -1;
	containerv_pid_t spawned = 0;
	struct containerv_exit ended = {0};
	bool wait = (options->flags & CV_SPAWN_WAIT) != 0;
	if (cv_backend()->exec(container, options, &spawned, wait ? &ended : NULL) < 0)
		return -1;
	if (pid != NULL)
		*pid = spawned;
	if (wait && exit_status != NULL)
		*exit_status = ended;
	journal_exec(container, options->argv, spawned, wait ? &ended : NULL);
	return 0;
}

/*
 * docker's exec_create and exec_start (one moment here), and exec_die: at once for a waited one, else when
 * containerv_wait_process reaps it through this handle (a detached exec's end is seen by nobody). The
 * supervisor's own checks are not journaled: their results are State.Health's, and docker's every-interval
 * exec events for them would crowd the journal out.
 */
static void journal_exec(struct containerv_container *c, const char *const *argv, containerv_pid_t pid,
                         const struct containerv_exit *ended)
{
	char id[65], command[512] = "", action[600];
	size_t used = 0;

	if (cv_supervisor_active || cv_random_hex(id, 32) < 0) {
		cv_error_clear();
		return;
	}
	for (size_t i = 0; argv[i] != NULL && used < sizeof command; i++)
		used += (size_t)snprintf(command + used, sizeof command - used, " %s", argv[i]);
	snprintf(action, sizeof action, "exec_create:%s", command);
	cv_journal_exec(c, action, id, 0);
	snprintf(action, sizeof action, "exec_start:%s", command);
	cv_journal_exec(c, action, id, 0);
	if (ended != NULL) {
		cv_journal_exec(c, "exec_die", id, ended->code);
		return;
	}
	for (size_t i = 0; i < sizeof c->execs / sizeof *c->execs; i++) {
		if (c->execs[i].pid == 0) {
			c->execs[i].pid = pid;
			memcpy(c->execs[i].id, id, sizeof id);
			return;
		}
	}
}

void cv_exec_ended(struct containerv_container *c, containerv_pid_t pid, const struct containerv_exit *exit)
{
	for (size_t i = 0; i < sizeof c->execs / sizeof *c->execs; i++) {
		if (c->execs[i].pid == pid) {
			c->execs[i].pid = 0;
			cv_journal_exec(c, "exec_die", c->execs[i].id, exit->code);
			return;
		}
	}
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
