/*
 * The Windows backend (core/backend.h): core's state store, state machine and CLI verbs over job
 * objects (docs/windows.md, "The state store").
 *
 * A detached container is two processes:
 *   - the container's first process, in a job object named containerv-<id> (kill-on-close, the
 *     limits of the config), started by start() in the caller's process with its output going to
 *     <dir>\logs\container.log;
 *   - its monitor (platform/windows/monitor.c: rundll32 running containerv.dll's cv_win_monitor),
 *     which inherits the job's and the process's handles, waits for the process, ends what is left
 *     in the job, records the exit (exit.json, then state.json under the lock) and removes an
 *     autoremove container. Its pid and creation time are in <dir>\monitor.json: it is the one to
 *     wait for, as the init's parent is on Linux; a monitor gone while state.json still says running
 *     died unrecorded (its job's kill-on-close ended the container): refresh records that.
 *
 * Pids are compared with their process's creation time (state.json's pid_start_time: 100 ns ticks
 * since 1601), so a reused pid is never taken for the container's. Signals: a job has none; every
 * ending one (SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGQUIT ...) is TerminateJobObject with exit code
 * 128 + signal, as a signalled process's code on Linux; the others are refused.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
/* objbase.h's "#define interface struct" would rename the shared headers' fields of that name. */
#undef interface

#include <jansson.h>

#include "common/error.h"
#include "common/log-file.h"
#include "common/state-files.h"
#include "common/util.h"
#include "core/backend.h"
#include "core/container.h"
#include "platform/windows/backend.h"
#include "platform/windows/windows.h"

struct cv_platform_container {
	int lock; /* cv_dir_lock's, while lock_depth > 0 */
	int lock_depth;
};

void cv_win_job_name(const char *id, char *buffer, size_t size)
{
	snprintf(buffer, size, "containerv-%s", id);
}

uint64_t cv_win_process_start_time(HANDLE process)
{
	FILETIME created, exited, kernel, user;
	ULARGE_INTEGER ticks;

	if (!GetProcessTimes(process, &created, &exited, &kernel, &user))
		return 0;
	ticks.LowPart = created.dwLowDateTime;
	ticks.HighPart = created.dwHighDateTime;
	return ticks.QuadPart;
}

HANDLE cv_win_open_process(DWORD pid, uint64_t start_time, DWORD access)
{
	HANDLE process;

	if (pid == 0)
		return NULL;
	process = OpenProcess(access | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
	if (process == NULL)
		return NULL;
	if (start_time != 0 && cv_win_process_start_time(process) != start_time) {
		CloseHandle(process); /* the pid was reused */
		return NULL;
	}
	return process;
}

int cv_win_monitor_read(const struct containerv_container *c, DWORD *pid, uint64_t *start_time)
{
	cleanup_free char *text = NULL;
	json_t *root;

	if (cv_read_file_in(c->dir, CV_WIN_MONITOR_FILE, &text, NULL, 4096) < 0)
		return -1;
	root = json_loads(text, 0, NULL);
	if (root == NULL)
		return cv_error_errno(EINVAL, "%s: not JSON", CV_WIN_MONITOR_FILE);
	*pid = (DWORD)json_integer_value(json_object_get(root, "pid"));
	*start_time = (uint64_t)json_integer_value(json_object_get(root, "start_time"));
	json_decref(root);
	return 0;
}

/* The container's monitor if it still runs (SYNCHRONIZE), else NULL. */
static HANDLE open_monitor(const struct containerv_container *c)
{
	DWORD pid;
	uint64_t start_time;
	HANDLE monitor;

	if (cv_win_monitor_read(c, &pid, &start_time) < 0) {
		cv_error_clear();
		return NULL;
	}
	if (pid == GetCurrentProcessId())
		return NULL; /* the monitor itself, removing its container */
	monitor = cv_win_open_process(pid, start_time, SYNCHRONIZE);
	if (monitor != NULL && WaitForSingleObject(monitor, 0) == WAIT_OBJECT_0) {
		CloseHandle(monitor);
		return NULL;
	}
	return monitor;
}

static void handle_init(struct containerv_container *c)
{
	c->platform->lock = -1;
}

static void release(struct containerv_container *c)
{
	if (c->platform->lock_depth > 0) {
		cv_dir_unlock(c->platform->lock);
		c->platform->lock = -1;
		c->platform->lock_depth = 0;
	}
}

static int refresh(struct containerv_container *c)
{
	HANDLE monitor;

	if (!cv_state_has_init(c))
		return 0;
	monitor = open_monitor(c);
	if (monitor != NULL) {
		CloseHandle(monitor);
		return 0;
	}
	/* The monitor is gone: it recorded the end, or it died and its job's kill-on-close ended the container. */
	if (cv_state_read(c, c->dir) < 0 || !cv_state_has_init(c))
		return 0;
	if (cv_state_read_exit(c) < 0) {
		cv_error_clear();
		c->state.exit.code = 128 + SIGKILL;
		c->state.finished_ns = cv_now_ns();
	}
	c->state.status = CV_STATE_EXITED;
	c->state.exit.signal = 0;
	return cv_state_save(c);
}

static int destroy(struct containerv_container *c, bool remove_anonymous_volumes)
{
	(void)remove_anonymous_volumes; /* no volumes on Windows yet */
	cv_state_release_name(c->context, c->name, c->id);
	if (cv_rm_rf(c->dir) < 0)
		return cv_error_prefix("remove %s", c->dir);
	return 0;
}

static int lock(struct containerv_container *c)
{
	int held;

	if (c->platform->lock_depth++ > 0)
		return 0;
	held = cv_dir_lock(c->dir, true);
	if (held < 0) {
		c->platform->lock_depth = 0;
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "no such container: %.12s", c->id);
		return cv_error_prefix("lock %.12s", c->id);
	}
	/* It may have been removed while we waited for the lock. */
	if (cv_file_exists_in(c->dir, "config.json") != 1 || cv_state_read(c, c->dir) < 0) {
		cv_dir_unlock(held);
		c->platform->lock_depth = 0;
		return cv_error_errno(ENOENT, "no such container: %.12s", c->id);
	}
	c->platform->lock = held;
	return 0;
}

static void unlock(struct containerv_container *c)
{
	if (c->platform->lock_depth == 0 || --c->platform->lock_depth > 0)
		return;
	cv_dir_unlock(c->platform->lock);
	c->platform->lock = -1;
}

static void adopt_lock(struct containerv_container *c, int held)
{
	c->platform->lock = held;
	c->platform->lock_depth = 1;
}

static int collect(struct containerv_container *c)
{
	refresh(c);
	if (!c->config.autoremove || c->state.status != CV_STATE_EXITED)
		return 0;
	/* Its monitor removes it; one that died before it could is done here. */
	int held = cv_dir_lock(c->dir, false);
	if (held < 0) {
		cv_error_clear();
		return 0;
	}
	adopt_lock(c, held); /* containerv_close lets go of it */
	if (destroy(c, true) < 0) {
		cv_error_clear();
		unlock(c);
		return 0;
	}
	containerv_close(c);
	return 1;
}

/* What a job cannot give, refused naming it before anything is made. */
static int check_host(const struct containerv_options *options)
{
	if (options->image != NULL)
		return cv_error_errno(ENOTSUP,
		                      "images are not in the Windows build yet: use --rootfs (docs/windows.md)");
	if (cv_strv_length(options->layers) != 1)
		return cv_error_errno(ENOTSUP, "a container on Windows needs exactly one --rootfs directory");
	if (options->mount_count > 0)
		return cv_error_errno(ENOTSUP, "mounts and volumes are not in the Windows build yet");
	if (options->restart_policy != 0 || options->health.test != NULL)
		return cv_error_errno(ENOTSUP,
		                      "restart policies and health checks need a supervisor: not on Windows yet");
	if (options->hold)
		return cv_error_errno(ENOTSUP, "a held start is not on Windows yet");
	if (options->argv == NULL || options->argv[0] == NULL)
		return cv_error_errno(EINVAL, "no command");
	if (strpbrk(options->argv[0], "/\\:") != NULL)
		return cv_error_errno(EINVAL, "%s: give a program name inside --rootfs, not a path", options->argv[0]);
	return 0;
}

static int check_limits(const struct containerv_limits *limits)
{
	struct cv_win_job_limits converted;

	return cv_win_job_limits_from(limits, &converted);
}

static int prepare(struct containerv_container *c)
{
	(void)c;
	return 0;
}

static int clear_unrecorded_start(struct containerv_container *c)
{
	(void)c;
	return 0;
}

static int not_on_windows(const char *what)
{
	return cv_error_errno(ENOTSUP, "%s is not in the Windows build yet (docs/windows.md)", what);
}

static int start(struct containerv_container *c, bool hold)
{
	if (hold)
		return not_on_windows("a held start");
	return cv_win_start_detached(c);
}

static int release_held(struct containerv_container *c)
{
	(void)c;
	return not_on_windows("a held start");
}

static int exec_process(struct containerv_container *c, const struct containerv_spawn_options *options,
                        containerv_pid_t *pid, struct containerv_exit *exit_status)
{
	(void)c, (void)options, (void)pid, (void)exit_status;
	return not_on_windows("exec");
}

static int network_socket(struct containerv_container *c, int domain, int type, containerv_fd_t *fd)
{
	(void)c, (void)domain, (void)type, (void)fd;
	return not_on_windows("a container's network");
}

static int supervisor_spawn(struct containerv_container *c)
{
	(void)c;
	return not_on_windows("the supervisor");
}

static int terminate_job(struct containerv_container *c, int code)
{
	char name[96];
	struct cv_win_job *job = NULL;
	int ret;

	cv_win_job_name(c->id, name, sizeof name);
	if (cv_win_job_open(name, &job) < 0) {
		if (errno != ENOENT)
			return -1;
		cv_error_clear(); /* its monitor has closed it: nothing runs */
		return 0;
	}
	ret = cv_win_job_terminate(job, (unsigned int)code);
	cv_win_job_close(job);
	return ret;
}

static int signal_container(struct containerv_container *c, int signal)
{
	/* Only those whose default action ends a process: a job can carry out nothing else. */
	if (cv_signal_leaves_process(signal))
		return cv_error_errno(ENOTSUP, "signal %d: a job object can only end its processes (docs/windows.md)",
		                      signal);
	return terminate_job(c, 128 + signal);
}

static int wait_exit(struct containerv_container *c, int timeout_ms)
{
	HANDLE monitor = open_monitor(c);

	if (monitor != NULL) {
		DWORD waited = WaitForSingleObject(monitor, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
		CloseHandle(monitor);
		if (waited == WAIT_TIMEOUT)
			return 1;
	}
	/* Removed meanwhile (autoremove): what the handle saw last stands, as ended. */
	if (cv_state_read(c, c->dir) < 0 || cv_state_read_exit(c) < 0)
		cv_error_clear();
	refresh(c);
	if (cv_state_has_init(c))
		c->state.status = CV_STATE_EXITED;
	return 0;
}

static bool is_init_parent(const struct containerv_container *c)
{
	(void)c;
	return true; /* any process may wait for a Windows process by its handle */
}

static void wait_output(const struct containerv_container *c)
{
	(void)c; /* the process wrote its log itself: it is complete once the process has ended */
}

/*
 * Under the lock (remove): waits for the first process, not for the monitor, which needs the lock to
 * record; the end is recorded here, and the monitor, finding it recorded, leaves it.
 */
static int terminate(struct containerv_container *c)
{
	HANDLE process;
	DWORD waited, code = 128 + SIGKILL;

	if (!cv_state_has_init(c))
		return 0;
	process = cv_win_open_process((DWORD)c->state.pid, c->state.pid_start_time, SYNCHRONIZE);
	if (terminate_job(c, 128 + SIGKILL) < 0) {
		if (process != NULL)
			CloseHandle(process);
		return -1;
	}
	if (process != NULL) {
		waited = WaitForSingleObject(process, 10000);
		if (waited == WAIT_OBJECT_0)
			GetExitCodeProcess(process, &code);
		CloseHandle(process);
		if (waited != WAIT_OBJECT_0)
			return cv_error_errno(EBUSY, "container %s: its process did not end within 10 s",
			                      containerv_name(c));
	}
	c->state.status = CV_STATE_EXITED;
	c->state.exit.code = (int)code;
	c->state.exit.signal = 0;
	c->state.finished_ns = cv_now_ns();
	return cv_state_save(c);
}

static int stats(struct containerv_container *c, struct containerv_stats *stats)
{
	char name[96];
	struct cv_win_job *job = NULL;
	int ret;

	if (c->state.status != CV_STATE_RUNNING)
		return cv_error_errno(ENOENT, "container %s is not running", containerv_name(c));
	cv_win_job_name(c->id, name, sizeof name);
	if (cv_win_job_open(name, &job) < 0)
		return -1;
	ret = cv_win_job_container_stats(job, stats);
	cv_win_job_close(job);
	return ret;
}

static int processes(struct containerv_container *c, struct containerv_process_info *list, size_t max, size_t *count)
{
	char name[96];
	struct cv_win_job *job = NULL;
	int ret;

	cv_win_job_name(c->id, name, sizeof name);
	if (cv_win_job_open(name, &job) < 0)
		return -1;
	ret = cv_win_job_processes(job, list, max, count);
	cv_win_job_close(job);
	return ret;
}

static int perf_host(struct cv_perf_host *host)
{
	(void)host;
	return not_on_windows("performance profiles");
}

static int watch_fd(struct containerv_container *c, containerv_fd_t *fd)
{
	(void)c, (void)fd;
	return not_on_windows("a container's watch descriptor");
}

static int watch_state(struct containerv_container *c, enum containerv_state *state)
{
	(void)c, (void)state;
	return not_on_windows("a container's watch descriptor");
}

static int update(struct containerv_container *c, const struct containerv_limits *request, unsigned *applied)
{
	(void)c, (void)request;
	*applied = 0;
	return not_on_windows("update");
}

static int freeze(struct containerv_container *c, bool frozen)
{
	(void)c, (void)frozen;
	return not_on_windows("pause");
}

static int copy(struct containerv_container *c, const struct cv_copy_request *request)
{
	(void)c, (void)request;
	return not_on_windows("cp");
}

static int write_changes(struct containerv_container *c, int fd)
{
	(void)c, (void)fd;
	return not_on_windows("commit");
}

static int volume_disk_create(int dirfd, const char *path, const char *name,
                              const struct containerv_volume_options *options)
{
	(void)dirfd, (void)path, (void)name, (void)options;
	return not_on_windows("a volume's disk");
}

static int volume_disk_path(int dirfd, const char *path, const char *name)
{
	(void)dirfd, (void)path, (void)name;
	return not_on_windows("a volume's disk");
}

static uint64_t volume_disk_bytes_used(int dirfd)
{
	(void)dirfd;
	return 0;
}

static int context_watch_open(const char *containers_dir, struct cv_context_watch **watch, containerv_fd_t *fd)
{
	(void)containers_dir, (void)watch, (void)fd;
	return not_on_windows("a context's events");
}

static int context_watch_add_fd(struct cv_context_watch *watch, containerv_fd_t fd)
{
	(void)watch, (void)fd;
	return not_on_windows("a context's events");
}

static void context_watch_remove_fd(struct cv_context_watch *watch, containerv_fd_t fd)
{
	(void)watch, (void)fd;
}

static int context_watch_add_dir(struct cv_context_watch *watch, const char *dir)
{
	(void)watch, (void)dir;
	return not_on_windows("a context's events");
}

static void context_watch_remove_dir(struct cv_context_watch *watch, int id)
{
	(void)watch, (void)id;
}

static void context_watch_drain(struct cv_context_watch *watch)
{
	(void)watch;
}

static void context_watch_close(struct cv_context_watch *watch)
{
	(void)watch;
}

static int dir_watch_open(const char *dir, containerv_fd_t *fd)
{
	(void)dir, (void)fd;
	return not_on_windows("following the events journal");
}

static const struct cv_backend_ops windows_backend = {
        .name = "windows",
        .platform_size = sizeof(struct cv_platform_container),
        .handle_init = handle_init,
        .release = release,
        .refresh = refresh,
        .collect = collect,
        .stats = stats,
        .processes = processes,
        .check_host = check_host,
        .check_limits = check_limits,
        .perf_host = perf_host,
        .prepare = prepare,
        .destroy = destroy,
        .lock = lock,
        .unlock = unlock,
        .adopt_lock = adopt_lock,
        .start = start,
        .clear_unrecorded_start = clear_unrecorded_start,
        .release_held = release_held,
        .exec = exec_process,
        .network_socket = network_socket,
        .supervisor_spawn = supervisor_spawn,
        .signal = signal_container,
        .wait_exit = wait_exit,
        .is_init_parent = is_init_parent,
        .wait_output = wait_output,
        .terminate = terminate,
        .watch_fd = watch_fd,
        .watch_state = watch_state,
        .update = update,
        .freeze = freeze,
        .copy = copy,
        .write_changes = write_changes,
        .volume_disk_create = volume_disk_create,
        .volume_disk_mount = volume_disk_path,
        .volume_disk_unmount = volume_disk_path,
        .volume_disk_bytes_used = volume_disk_bytes_used,
        .context_watch_open = context_watch_open,
        .context_watch_add_fd = context_watch_add_fd,
        .context_watch_remove_fd = context_watch_remove_fd,
        .context_watch_add_dir = context_watch_add_dir,
        .context_watch_remove_dir = context_watch_remove_dir,
        .context_watch_drain = context_watch_drain,
        .context_watch_close = context_watch_close,
        .dir_watch_open = dir_watch_open,
};

const struct cv_backend_ops *cv_backend(void)
{
	return &windows_backend;
}
