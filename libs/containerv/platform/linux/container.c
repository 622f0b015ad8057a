/*
 * The Linux half of the lifecycle, behind core's backend table: create's host
 * resources (prepare: user-namespace lease, volumes) and their release
 * (destroy), the held release, signals through the init's pidfd and the
 * cgroup, waiting for the init (core/wait.c has containerv_wait's rules),
 * terminate.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/util.h"
#include "core/supervise-state.h"
#include "platform/linux/container-private.h"
#include "core/spare-dirs.h"
#include "platform/linux/security-linux.h"
#include "security/security-internal.h"
#include "platform/linux/network-private.h"
#include "core/volume.h"

/*
 * The portable types of the public headers (chef/containerv/common.h) are the
 * very types the Linux API uses: callers' uid_t, gid_t, pid_t and int
 * descriptors (and pointers to them) keep working unchanged. _Generic
 * selects on type compatibility, so these fail to compile on any mismatch of
 * size or signedness.
 */
_Static_assert(_Generic((uid_t)0, containerv_uid_t : 1, default : 0), "containerv_uid_t must be uid_t");
_Static_assert(_Generic((gid_t)0, containerv_gid_t : 1, default : 0), "containerv_gid_t must be gid_t");
_Static_assert(_Generic((pid_t)0, containerv_pid_t : 1, default : 0), "containerv_pid_t must be pid_t");
_Static_assert(_Generic((int)0, containerv_fd_t : 1, default : 0), "containerv_fd_t must be a file descriptor (int)");

/* Lets go of the container's volumes; the anonymous ones it made go too when asked. */
static void release_volumes(struct containerv_container *c, bool remove_anonymous)
{
	for (size_t i = 0; i < c->config.mount_count; i++) {
		const struct cv_mount *m = &c->config.mounts[i];
		if (m->type != CV_MOUNT_TYPE_VOLUME || m->source[0] == '\0')
			continue;
		cv_volume_release(m->source, c->id);
		if (remove_anonymous && m->anonymous)
			containerv_volume_remove(m->source, 0);
	}
	cv_error_clear();
}

/*
 * The volumes of a new container: a named one that does not exist yet is
 * created (as docker does, and kept afterwards); an anonymous one (`-v /data`)
 * is created and its generated name goes into the config.
 */
static int prepare_volumes(struct containerv_container *c)
{
	bool reconciled = false;

	for (size_t i = 0; i < c->config.mount_count; i++) {
		struct cv_mount *m = &c->config.mounts[i];
		char name[CV_ID_LENGTH + 1];
		if (m->type != CV_MOUNT_TYPE_VOLUME)
			continue;
		/* What a killed CLI left (uses by containers that are gone, loop mounts) goes first. */
		if (!reconciled) {
			cv_volume_reconcile();
			cv_error_clear();
			reconciled = true;
		}
		if (m->source[0] != '\0') {
			struct containerv_volume_options defaults = CONTAINERV_VOLUME_OPTIONS_INIT;
			if (containerv_volume_create(m->source, &defaults) < 0 && errno != EEXIST)
				return -1;
			cv_error_clear();
			continue;
		}
		if (cv_volume_create_anonymous(name, sizeof name) < 0)
			return cv_error_prefix("anonymous volume for %s", m->target);
		char *copy = cv_strdup(name);
		if (copy == NULL) {
			containerv_volume_remove(name, 1);
			return -1;
		}
		free(m->source);
		m->source = copy;
		m->anonymous = true;
	}
	return 0;
}

/* --userns=auto (or the paranoid level): a range of host ids of its own, unless maps were given. */
static int lease_user_namespace(struct containerv_container *c)
{
	uint32_t start;

	if (!(c->config.userns_auto || c->config.security->user_namespace) || (c->config.namespaces & CV_NS_USER)) {
		c->config.userns_auto = false;
		return 0;
	}
	if (cv_userns_allocate(c->id, &start) < 0)
		return -1;
	c->config.userns_auto = true;
	c->config.uid_map = c->config.gid_map = (struct cv_idmap){true, start, 0, CV_USERNS_RANGE};
	c->config.namespaces |= CV_NS_USER;
	return 0;
}

/* The backend's prepare operation: what create needs of the host before config.json is written. */
int cv_linux_prepare(struct containerv_container *c)
{
	return lease_user_namespace(c) < 0 || prepare_volumes(c) < 0 ? -1 : 0;
}

/* Removes everything a container has on the host; used by destroy and by a failed create. */
static int release_all(struct containerv_container *c, bool remove_anonymous_volumes)
{
	struct cv_cgroup *cgroup = cv_container_cgroup(c);
	int ret = 0;

	/* Processes we could not kill keep their state, so that a later rm can find them again. */
	if (cgroup != NULL && cv_cgroup_destroy(cgroup) < 0)
		return -1;
	if (c->platform->is_parent && c->state.pid > 0)
		waitpid(c->state.pid, NULL, 0);
	release_volumes(c, remove_anonymous_volumes);
	if (c->config.userns_auto && c->config.uid_map.set)
		cv_userns_release(c->config.uid_map.host_start, c->id);
	cv_network_release(c->id);
	/*
	 * The directory's flock is held from here to the end: a list leaves a ".removing-" alone while
	 * its remover holds it (the spare it may become must not be deleted under a new container).
	 * The caller's lock, when it holds one, is that flock already (a second one would wait on it).
	 */
	cleanup_close int guard = -1;
	if (c->platform->lock_depth == 0) {
		guard = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (guard >= 0)
			while (flock(guard, LOCK_EX) < 0 && errno == EINTR)
				;
	}
	/* Out of sight at once (a rename), then deleted: nobody sees a half-removed container. */
	char removing[PATH_MAX];
	snprintf(removing, sizeof removing, "%.*s/.removing-%s", (int)(strlen(c->dir) - CV_ID_LENGTH - 1), c->dir,
	         c->id);
	bool hidden = rename(c->dir, removing) == 0;
	cv_state_release_name(c->context, c->name, c->id);
	/* Without a user namespace everything in it is root's, and a clean one is kept for the next create. */
	char containers[PATH_MAX];
	snprintf(containers, sizeof containers, "%.*s", (int)(strlen(c->dir) - CV_ID_LENGTH - 1), c->dir);
	bool recyclable = hidden && !(c->config.namespaces & CV_NS_USER);
	if (cv_spare_recycle_or_remove(containers, hidden ? removing : c->dir, recyclable) < 0)
		ret = -1;
	return ret;
}

static int pidfd_open_checked(struct containerv_container *c)
{
	int fd = (int)syscall(SYS_pidfd_open, c->state.pid, 0);

	if (fd < 0)
		return -1;
	/* The pid might have been reused between our check and the open. */
	if (!cv_process_alive(c->state.pid, c->state.pid_start_time)) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

/* Waits until the init is gone or timeout_ms passes (-1: forever). Returns 0 when gone, 1 on timeout. */
static int wait_init(struct containerv_container *c, int timeout_ms)
{
	cleanup_close int pidfd = -1;
	struct pollfd pfd;
	int n;

	if (!cv_state_has_init(c))
		return 0;
	if (c->platform->is_parent && timeout_ms < 0) {
		cv_reap_init(c, true);
		return cv_state_refresh(c) < 0 ? -1 : 0;
	}
	pidfd = pidfd_open_checked(c);
	if (pidfd < 0)
		return cv_state_refresh(c) < 0 ? -1 : 0;
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cv_error_sys("wait for %s", containerv_name(c));
	if (n == 0)
		return 1;
	return cv_state_refresh(c) < 0 ? -1 : 0;
}

/*
 * A release that failed has left the init ending (the command could not be executed) or in an unknown
 * state: it goes, and the container is exited with the code a shell gives (127, 126, or 125).
 */
void cv_release_failed(struct containerv_container *c, bool exec_failed)
{
	struct cv_error_saved saved;
	cleanup_close int pidfd = -1;

	cv_error_save(&saved);
	pidfd = pidfd_open_checked(c);
	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	if (cv_container_cgroup(c) != NULL)
		cv_cgroup_kill_all(cv_container_cgroup(c));
	wait_init(c, 10000);
	cv_reap_init(c, false);
	c->state.status = CV_STATE_EXITED;
	c->state.pid = 0;
	c->state.pid_start_time = 0;
	c->state.started_ns = c->state.finished_ns = cv_now_ns();
	memset(&c->state.exit, 0, sizeof c->state.exit);
	c->state.exit.code = !exec_failed ? 125 : saved.err == ENOENT ? 127 : 126;
	if (c->config.network.mode != CV_NETWORK_HOST)
		cv_network_release(c->id);
	cv_state_save(c);
	cv_error_restore(&saved);
}

/*
 * containerv_start() of a held container: the main command is executed where the init waits. No init
 * waiting (ESRCH) with one alive: a start that died took the release. Its init then ends at once (no "go"
 * came) or runs the command (state.c records that): it is not killed for it.
 */
int cv_linux_release_held(struct containerv_container *c)
{
	bool exec_failed;

	if (cv_runtime_release(c, NULL, &exec_failed) < 0) {
		if (errno == ESRCH && wait_init(c, 1000) >= 0 && cv_state_refresh(c) == 0 &&
		    c->state.status != CV_STATE_HELD) {
			cv_error_clear();
			if (c->state.status == CV_STATE_RUNNING)
				return cv_error_errno(EBUSY, "container %s is already running", containerv_name(c));
			return cv_runtime_start(c, false); /* created again (or exited): an ordinary start */
		}
		cv_release_failed(c, exec_failed);
		/* ENOENT and EACCES are kept for "the command could not be executed" (127 and 126). */
		if (!exec_failed && (errno == ENOENT || errno == EACCES))
			errno = EIO;
		return -1;
	}
	c->state.status = CV_STATE_RUNNING;
	c->state.started_ns = cv_now_ns();
	if (cv_state_save(c) < 0)
		return -1;
	return cv_supervision_wanted(&c->config) && !cv_supervisor_active ? cv_supervisor_spawn(c) : 0;
}

static int signal_init(struct containerv_container *c, int signal)
{
	cleanup_close int pidfd = pidfd_open_checked(c);

	if (pidfd < 0)
		return cv_error_errno(ESRCH, "container %s is not running", containerv_name(c));
	if (syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0) < 0)
		return cv_error_sys("signal %d to %s", signal, containerv_name(c));
	return 0;
}

/* Signals every process of the container (for signals that cannot be forwarded). */
static int signal_all(struct containerv_container *c, int signal)
{
	struct cv_cgroup *cgroup = cv_container_cgroup(c);
	cleanup_free pid_t *pids = NULL;
	size_t count = 0;

	if (cgroup == NULL || cv_cgroup_pids(cgroup, &pids, &count) < 0)
		return signal_init(c, signal);
	for (size_t i = 0; i < count; i++)
		kill(pids[i], signal);
	return 0;
}

int cv_linux_signal(struct containerv_container *container, int signal)
{
	if (signal == SIGKILL) {
		/* PID 1 dying takes its namespace along; the cgroup catches the rest (no PID namespace). */
		int ret = signal_init(container, SIGKILL);
		if (cv_container_cgroup(container) != NULL)
			cv_cgroup_kill_all(cv_container_cgroup(container));
		return ret;
	}
	if (signal == SIGSTOP)
		return signal_all(container, SIGSTOP);
	if (signal == SIGCONT)
		signal_all(container, SIGCONT);
	return signal_init(container, signal);
}

int cv_linux_wait_exit(struct containerv_container *c, int timeout_ms)
{
	return wait_init(c, timeout_ms);
}

bool cv_linux_is_init_parent(const struct containerv_container *c)
{
	return c->platform->is_parent;
}

/* Kills the whole container and waits for the init to be gone. */
int cv_linux_terminate(struct containerv_container *c)
{
	struct cv_cgroup *cgroup;

	if (!cv_state_has_init(c))
		return 0;
	signal_init(c, SIGKILL);
	cgroup = cv_container_cgroup(c);
	if (cgroup != NULL)
		cv_cgroup_kill_all(cgroup);
	if (wait_init(c, 10000) != 0)
		return cv_error_errno(EBUSY, "container %s did not die after SIGKILL", containerv_name(c));
	return 0;
}

/*
 * Under the lock, a container neither running nor held has nothing alive: a process in its cgroup and a
 * lease in its name are what a start killed between the init's "ready" and the state's save left (the
 * init runs the command, unrecorded, and holds the addresses and ports). They go before the new start.
 */
int cv_linux_clear_unrecorded_start(struct containerv_container *c)
{
	struct cv_cgroup *cgroup = cv_container_cgroup(c);

	cv_error_clear(); /* no cgroup is the usual case */
	if (cgroup != NULL) {
		if (cv_cgroup_destroy(cgroup) < 0)
			return -1;
		cv_cgroup_free(c->platform->cgroup);
		c->platform->cgroup = NULL;
	}
	if (c->config.network.mode != CV_NETWORK_HOST)
		cv_network_release(c->id);
	return 0;
}

int cv_linux_destroy(struct containerv_container *c, bool remove_anonymous_volumes)
{
	return release_all(c, remove_anonymous_volumes);
}

int cv_container_remove_if_ended(struct containerv_container *container)
{
	if (!container->config.autoremove || cv_state_lock(container) < 0) {
		cv_error_clear();
		return 0;
	}
	cv_state_refresh(container);
	if (container->state.status != CV_STATE_EXITED) {
		cv_state_unlock(container);
		return 0;
	}
	/* What could not be removed (processes that would not die) stays listed, as after a failed rm. */
	int ret = release_all(container, true) < 0 ? 0 : 1;
	cv_state_unlock(container);
	if (ret == 1)
		containerv_close(container);
	cv_error_clear();
	return ret;
}

int containerv_wait_process(struct containerv_container *container, containerv_pid_t pid,
                            struct containerv_exit *exit_status)
{
	int status;

	cv_error_clear();
	if (container == NULL || pid <= 0)
		return cv_error_errno(EINVAL, "wait_process: invalid argument");
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cv_error_sys("wait for process %d", (int)pid);
	}
	struct containerv_exit ended = {0};
	cv_exit_from_wait_status(status, &ended);
	if (exit_status != NULL)
		*exit_status = ended;
	cv_exec_ended(container, pid, &ended);
	return 0;
}
