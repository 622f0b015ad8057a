/*
 * The Linux side of a container's state: is its init alive (/proc, pid reuse
 * checked by start time), reaping it, recording its death or its release,
 * the container's lock (an flock on its directory), and the handle's Linux
 * part. The files themselves (state.json, exit.json, names, list) are
 * core's state store (core/store.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common/error.h"
#include "common/util.h"
#include "core/spare-dirs.h"
#include "core/events-journal.h"
#include "platform/linux/container-private.h"
#include "platform/linux/init-plan.h"
#include "platform/linux/network-private.h"

int cv_state_rootfs_mountpoint(struct containerv_context *context, char *buffer, size_t size)
{
	char containers[PATH_MAX];
	int n;

	if (cv_state_containers_dir(context, containers, sizeof containers) < 0)
		return -1;
	n = snprintf(buffer, size, "%s/.rootfs", containers);
	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "state root too long");
	if (mkdir(buffer, 0755) < 0 && errno != EEXIST)
		return cv_error_sys("create %s", buffer);
	return 0;
}

/* The init is a zombie its parent (the waiter) has yet to reap: state Z, and the same process. */
static bool is_unreaped_init(pid_t pid, uint64_t start_time)
{
	char path[64];
	cleanup_free char *text = NULL;
	uint64_t ticks;
	char *p;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (cv_read_file(path, &text, NULL, 4096) < 0) {
		cv_error_clear();
		return false;
	}
	p = strrchr(text, ')');
	return p != NULL && p[1] != '\0' && p[2] == 'Z' && cv_process_start_time(pid, &ticks) == 0 &&
	       ticks == start_time;
}

/*
 * An autoremove container that has ended but is still there (its waiter or
 * monitor died first) is removed by whoever finds it: true when c was one
 * (c is freed then), false when it stays (c too).
 */
static bool remove_if_ended_autoremove(struct containerv_container *c, pid_t init, uint64_t init_start)
{
	if (c->state.status != CV_STATE_EXITED)
		return false;
	if (!c->config.autoremove)
		return false;
	/* An init not yet reaped (a zombie) still has its waiter, which removes it itself. */
	if (is_unreaped_init(init, init_start))
		return false;
	return cv_container_remove_if_ended(c) == 1;
}

int cv_state_collect(struct containerv_container *c)
{
	pid_t init = c->state.pid;
	uint64_t init_start = c->state.pid_start_time;

	cv_state_refresh(c);
	return remove_if_ended_autoremove(c, init, init_start) ? 1 : 0;
}

void cv_state_handle_init(struct containerv_container *c)
{
	c->platform->lock_fd = -1;
	c->platform->watch_fd = c->platform->watch_pidfd = c->platform->watch_inotify = -1;
	for (int i = 0; i < 3; i++)
		c->platform->stdio_host[i] = -1;
}

void cv_state_handle_release(struct containerv_container *c)
{
	/* An init of ours that has already ended is reaped here, so a closed handle leaves no zombie. */
	if (c->platform->is_parent && c->state.pid > 0)
		waitpid(c->state.pid, NULL, WNOHANG);
	if (c->platform->lock_depth > 0)
		close(c->platform->lock_fd);
	cv_watch_close(c);
	cv_cgroup_free(c->platform->cgroup);
	for (int i = 0; c->platform->have_stdio_host && i < 3; i++)
		if (c->platform->stdio_host[i] >= 0)
			close(c->platform->stdio_host[i]);
}

int cv_process_start_time(pid_t pid, uint64_t *ticks)
{
	char path[64];
	cleanup_free char *text = NULL;
	char *p;
	unsigned long long value;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (cv_read_file(path, &text, NULL, 4096) < 0)
		return -1;
	/* The command name may hold spaces and parentheses: fields restart after the last ')'. */
	p = strrchr(text, ')');
	if (p == NULL)
		return cv_error_errno(EINVAL, "%s: unexpected format", path);
	/* After ')' come: state(3) ppid(4) ... starttime(22): skip 19 fields. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &value) !=
	    1)
		return cv_error_errno(EINVAL, "%s: unexpected format", path);
	*ticks = value;
	return 0;
}

/* Alive means: the pid exists, is the same process (start time) and is not a zombie. */
bool cv_process_alive(pid_t pid, uint64_t start_time)
{
	char path[64];
	cleanup_free char *text = NULL;
	uint64_t ticks;
	char *p;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (cv_read_file(path, &text, NULL, 4096) < 0)
		return false;
	p = strrchr(text, ')');
	if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X')
		return false;
	if (cv_process_start_time(pid, &ticks) < 0)
		return false;
	return ticks == start_time;
}

void cv_exit_from_wait_status(int status, struct containerv_exit *exit_status)
{
	if (WIFSIGNALED(status)) {
		exit_status->signal = WTERMSIG(status);
		exit_status->code = 128 + exit_status->signal;
	} else {
		exit_status->signal = 0;
		exit_status->code = WEXITSTATUS(status);
	}
}

/* A relative path goes below our own directory's ".relative/", where no container id (never starting with '.') is. */
int cv_container_cgroup_name(const struct containerv_container *c, char **name)
{
	const char *path = c->config.cgroup_path;

	if (path == NULL)
		return (*name = cv_strdup(c->id)) == NULL ? -1 : 0;
	if (path[0] == '/')
		return (*name = cv_strdup(path)) == NULL ? -1 : 0;
	return cv_asprintf(name, CV_CGROUP_RELATIVE_DIR "/%s", path);
}

struct cv_cgroup *cv_container_cgroup(struct containerv_container *c)
{
	cleanup_free char *name = NULL;
	char marker[PATH_MAX];

	if (c->platform->cgroup != NULL)
		return c->platform->cgroup;
	/* A configured path is only opened once this container made it (runtime.c's marker). */
	if (c->config.cgroup_path != NULL &&
	    (snprintf(marker, sizeof marker, "%s/" CV_CGROUP_MADE_MARKER, c->dir) >= (int)sizeof marker ||
	     access(marker, F_OK) < 0))
		return NULL;
	if (cv_container_cgroup_name(c, &name) == 0)
		cv_cgroup_open(name, &c->platform->cgroup);
	return c->platform->cgroup;
}

/*
 * Serializes state changes of one container between processes (two `start`,
 * `start` during `rm`, a `ps` that sees the init die while a `start` runs):
 * flock on the container's directory itself (no lock file to create: a
 * metadata write costs up to a millisecond on a slow disk). Reentrant per
 * handle. Taking it re-reads state.json, so the holder acts on what is on
 * disk, not on what its handle saw earlier.
 */
int cv_state_lock(struct containerv_container *c)
{
	char path[PATH_MAX];
	cleanup_close int dirfd = -1;
	pid_t our_pid = c->state.pid;
	int fd;

	if (c->platform->lock_depth++ > 0)
		return 0;
	snprintf(path, sizeof path, "%s", c->dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		c->platform->lock_depth = 0;
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "no such container: %.12s", c->id);
		return cv_error_sys("lock %.12s", c->id);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			c->platform->lock_depth = 0;
			return cv_error_sys("lock %.12s", c->id);
		}
	}
	/* It may have been removed while we waited for the lock. */
	dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || faccessat(dirfd, "config.json", F_OK, 0) < 0 || cv_state_read(c, c->dir) < 0) {
		close(fd);
		c->platform->lock_depth = 0;
		return cv_error_errno(ENOENT, "no such container: %.12s", c->id);
	}
	if (c->state.pid != our_pid && c->platform->is_parent) {
		/* Started again by someone else: our old init, if any, is only ours to reap. */
		waitpid(our_pid, NULL, WNOHANG);
		c->platform->is_parent = false;
	}
	c->platform->lock_fd = fd;
	return 0;
}

int cv_state_reload(struct containerv_container *c)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	pid_t our_pid = c->state.pid;

	/* A removed container's directory is gone, or renamed to .removing- with no config.json left. */
	if (dirfd < 0 || cv_state_read(c, c->dir) < 0)
		return cv_error_errno(ENOENT, "no such container: %s", containerv_name(c));
	if (c->state.pid != our_pid && c->platform->is_parent) {
		/* Started again by someone else: our old init, if any, is only ours to reap. */
		waitpid(our_pid, NULL, WNOHANG);
		c->platform->is_parent = false;
	}
	return 0;
}

void cv_state_unlock(struct containerv_container *c)
{
	if (c->platform->lock_depth == 0 || --c->platform->lock_depth > 0)
		return;
	close(c->platform->lock_fd); /* drops the flock */
	c->platform->lock_fd = -1;
}

void cv_state_adopt_lock(struct containerv_container *c, int fd)
{
	c->platform->lock_fd = fd;
	c->platform->lock_depth = 1;
}

void cv_reap_init(struct containerv_container *c, bool block)
{
	int status;
	pid_t reaped;

	if (!c->platform->is_parent || c->state.pid <= 0)
		return;
	while ((reaped = waitpid(c->state.pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (reaped != c->state.pid && !(reaped < 0 && errno == ECHILD))
		return;
	c->platform->is_parent = false;
	if (reaped == c->state.pid) {
		/* The init exits with its main command's code: enough when exit.json is gone (autoremove). */
		cv_exit_from_wait_status(status, &c->platform->reaped_exit);
		c->platform->have_reaped_exit = true;
	}
}

/* Exit status when there is no exit.json: what we reaped, else the init was killed (SIGKILL). */
static void exit_without_record(struct containerv_container *c)
{
	if (c->platform->have_reaped_exit) {
		c->state.exit = c->platform->reaped_exit;
	} else {
		c->state.exit.code = 128 + SIGKILL;
		c->state.exit.signal = SIGKILL;
	}
	c->state.finished_ns = cv_now_ns();
}

/*
 * The init is gone: no pid, not paused, and its addresses (network connect included), veths and rules are
 * free again (a start takes new ones).
 */
static void forget_init(struct containerv_container *c)
{
	c->state.paused = false;
	c->state.pid = 0;
	c->state.pid_start_time = 0;
	if (c->config.network.mode != CV_NETWORK_HOST)
		cv_network_release(c->id);
}

/*
 * A held init that died (killed, or a reboot) never ran the main command: the container is created again,
 * and a start sets it up anew. Its address is free again; its cgroup is made again at that start.
 */
static int record_held_death(struct containerv_container *c)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	/* Its socket, if no release took it along, is nobody's now. */
	if (dirfd >= 0)
		unlinkat(dirfd, CV_RELEASE_SOCKET, 0);
	cv_reap_init(c, false);
	c->state.status = CV_STATE_CREATED;
	forget_init(c);
	cv_error_clear();
	return cv_state_save(c);
}

/* Recorded once, by whoever records the death under the lock (docker's "oom", then "die"). */
static void journal_death(struct containerv_container *c)
{
	char code[32];
	const char *extra[] = {code, NULL};

	snprintf(code, sizeof code, "exitCode=%d", c->state.exit.code);
	if (c->state.exit.oom_killed)
		cv_journal_container(c, "oom", NULL);
	cv_journal_container(c, "die", extra);
}

/*
 * Moves a container whose init has died to EXITED (or a held one to CREATED); the caller holds the lock. A
 * held one whose init recorded its command's end was released by a start that died before saving that: it
 * ran, and has exited like any other (a start must not run it a second time).
 */
static int record_death(struct containerv_container *c)
{
	struct cv_cgroup *cgroup;
	uint64_t kills = 0;
	bool recorded;

	if (!cv_state_has_init(c) || cv_process_alive(c->state.pid, c->state.pid_start_time))
		return 0;
	/* Reap the init if it was ours so no zombie is left. */
	cv_reap_init(c, false);
	memset(&c->state.exit, 0, sizeof c->state.exit);
	recorded = cv_state_read_exit(c) == 0;
	if (c->state.status == CV_STATE_HELD && !recorded)
		return record_held_death(c);
	if (!recorded)
		exit_without_record(c);
	if (c->state.started_ns == 0)
		c->state.started_ns = c->state.finished_ns; /* released unrecorded: when is not known */
	cgroup = cv_container_cgroup(c);
	if (cgroup != NULL && cv_cgroup_oom_kills(cgroup, &kills) == 0 && kills > 0)
		c->state.exit.oom_killed = 1;
	c->state.status = CV_STATE_EXITED;
	forget_init(c);
	cv_error_clear();
	journal_death(c);
	/* An autoremove container's state goes with it, soon: nothing to save on the way. */
	return c->config.autoremove ? 0 : cv_state_save(c);
}

/* A held init past its release: its name changed at "go" (init.c). */
static bool held_init_released(const struct containerv_container *c)
{
	char path[64], name[32] = "";
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)c->state.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, name, sizeof name - 1)) <= 0)
		return false;
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
	return strcmp(name, CV_INIT_NAME) == 0;
}

/*
 * A held container whose init was released by a start that died before saving it (killed between its "go"
 * and its state.json) runs its command: it is running, and stop, exec and kill must treat it so (a start
 * would take it for a held one whose init is not waiting and kill it). A live start holds the lock until
 * it has saved the same.
 */
static int record_release(struct containerv_container *c)
{
	int ret = 0;

	if (cv_state_lock(c) < 0) {
		cv_error_clear();
		return 0; /* removed meanwhile */
	}
	if (c->state.status == CV_STATE_HELD && cv_process_alive(c->state.pid, c->state.pid_start_time) &&
	    held_init_released(c)) {
		c->state.status = CV_STATE_RUNNING;
		c->state.started_ns = cv_now_ns(); /* when it was released is not known: at the latest now */
		ret = cv_state_save(c);
	}
	cv_state_unlock(c);
	return ret;
}

int cv_state_refresh(struct containerv_container *c)
{
	int ret;

	/* The common case (running and alive, or not running) needs no lock. */
	if (!cv_state_has_init(c))
		return 0;
	if (cv_process_alive(c->state.pid, c->state.pid_start_time))
		return c->state.status == CV_STATE_HELD && held_init_released(c) ? record_release(c) : 0;
	cv_reap_init(c, false);
	if (cv_state_lock(c) < 0) {
		/* Removed meanwhile (autoremove): report it as ended, there is nothing left to save. */
		exit_without_record(c);
		c->state.status = CV_STATE_EXITED;
		c->state.pid = 0;
		cv_error_clear();
		return 0;
	}
	ret = record_death(c);
	cv_state_unlock(c);
	return ret;
}

int containerv_take_stdio(struct containerv_container *container, containerv_fd_t fds[3])
{
	cv_error_clear();
	if (container == NULL || fds == NULL)
		return cv_error_errno(EINVAL, "take stdio: missing argument");
	for (int i = 0; i < 3; i++) {
		fds[i] = container->platform->have_stdio_host ? container->platform->stdio_host[i] : -1;
		container->platform->stdio_host[i] = -1;
	}
	return 0;
}
