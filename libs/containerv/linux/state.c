/*
 * The on-disk state of containers:
 *
 *   <root>/containers/<id>/config.json   the options, written once at create
 *   <root>/containers/<id>/state.json    status, init pid, times (atomic rewrites)
 *   <root>/containers/<id>/exit.json     written by the init when the main process ends
 *   <root>/containers/<id>/container.log the main command's output by default
 *   <root>/containers/<id>/{upper,work,rootfs}  the overlay of the root filesystem
 *   <root>/names/<name> -> <id>          a symlink: makes names unique atomically
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
#include "common/log-file.h"
#include "common/util.h"
#include "linux/spare-dirs.h"
#include "linux/container-private.h"
#include "linux/init-plan.h"
#include "linux/network-private.h"
#include "linux/volume-store.h"

static char state_root[PATH_MAX];

int containerv_set_root(const char *path)
{
	cv_error_clear();
	if (path == NULL || path[0] != '/')
		return cv_error_errno(EINVAL, "state root \"%s\": must be an absolute path", path ? path : "(null)");
	if (strlen(path) >= sizeof state_root - 128)
		return cv_error_errno(ENAMETOOLONG, "state root \"%s\": too long", path);
	snprintf(state_root, sizeof state_root, "%s", path);
	return 0;
}

const char *containerv_root(void)
{
	if (state_root[0] == '\0') {
		const char *env = getenv("CONTAINERV_ROOT");
		snprintf(state_root, sizeof state_root, "%s",
		         env != NULL && env[0] == '/' ? env : "/var/lib/containerv");
	}
	return state_root;
}

static int state_subdir(const char *leaf, char *buffer, size_t size)
{
	return cv_mkdir_private(containerv_root(), leaf, buffer, size);
}

int cv_state_containers_dir(char *buffer, size_t size)
{
	return state_subdir("containers", buffer, size);
}

int cv_state_rootfs_mountpoint(char *buffer, size_t size)
{
	char containers[PATH_MAX];
	int n;

	if (cv_state_containers_dir(containers, sizeof containers) < 0)
		return -1;
	n = snprintf(buffer, size, "%s/.rootfs", containers);
	if (n < 0 || (size_t)n >= size)
		return cv_error_errno(ENAMETOOLONG, "state root too long");
	if (mkdir(buffer, 0755) < 0 && errno != EEXIST)
		return cv_error_sys("create %s", buffer);
	return 0;
}

int cv_state_names_dir(char *buffer, size_t size)
{
	return state_subdir("names", buffer, size);
}

int cv_state_new_id(char id[CV_ID_LENGTH + 1])
{
	unsigned char bytes[CV_ID_LENGTH / 2];

	if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
		return cv_error_sys("generate container id");
	for (size_t i = 0; i < sizeof bytes; i++)
		snprintf(id + 2 * i, 3, "%02x", bytes[i]);
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
	if (!c->config.autoremove || c->state.status != CV_STATE_EXITED)
		return false;
	/* An init not yet reaped (a zombie) still has its waiter, which removes it itself. */
	if (is_unreaped_init(init, init_start))
		return false;
	return cv_container_remove_if_ended(c) == 1;
}

/* The name's holder is an ended autoremove container: it goes, and the name is free. */
static bool free_name_of_ended(int names_fd, const char *name)
{
	char holder[CV_ID_LENGTH + 2];
	struct containerv_container *c = NULL;
	ssize_t n = readlinkat(names_fd, name, holder, sizeof holder - 1);

	if (n != CV_ID_LENGTH)
		return false;
	holder[n] = '\0';
	if (cv_state_load(holder, &c) < 0) {
		cv_error_clear();
		return false;
	}
	pid_t init = c->state.pid;
	uint64_t init_start = c->state.pid_start_time;
	cv_state_refresh(c);
	if (remove_if_ended_autoremove(c, init, init_start))
		return true;
	containerv_close(c);
	return false;
}

int cv_state_reserve_name(const char *name, const char *id)
{
	char dir[PATH_MAX];
	cleanup_close int dirfd = -1;

	if (cv_state_names_dir(dir, sizeof dir) < 0)
		return -1;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cv_error_sys("open %s", dir);
	if (symlinkat(id, dirfd, name) == 0)
		return 0;
	if (errno != EEXIST)
		return cv_error_sys("reserve name %s", name);
	if (free_name_of_ended(dirfd, name) && symlinkat(id, dirfd, name) == 0)
		return 0;
	return cv_error_errno(EEXIST, "the name \"%s\" is already in use by another container", name);
}

void cv_state_release_name(const char *name, const char *id)
{
	char dir[PATH_MAX], target[CV_ID_LENGTH + 2];
	cleanup_close int dirfd = -1;
	ssize_t n;

	if (name == NULL || name[0] == '\0' || cv_state_names_dir(dir, sizeof dir) < 0)
		return;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return;
	/* Only remove the link if it is still ours. */
	n = readlinkat(dirfd, name, target, sizeof target - 1);
	if (n == CV_ID_LENGTH && memcmp(target, id, CV_ID_LENGTH) == 0)
		unlinkat(dirfd, name, 0);
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

const char *containerv_state_name(enum containerv_state status)
{
	switch (status) {
	case CV_STATE_RUNNING:
		return "running";
	case CV_STATE_EXITED:
		return "exited";
	case CV_STATE_HELD:
		return "held";
	case CV_STATE_CREATED:
	default:
		return "created";
	}
}

static enum containerv_state status_from_name(const char *name)
{
	if (name != NULL && strcmp(name, "running") == 0)
		return CV_STATE_RUNNING;
	if (name != NULL && strcmp(name, "exited") == 0)
		return CV_STATE_EXITED;
	if (name != NULL && strcmp(name, "held") == 0)
		return CV_STATE_HELD;
	return CV_STATE_CREATED;
}

int cv_state_save(struct containerv_container *c)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	json_t *root;
	char *text;
	int ret;

	if (dirfd < 0)
		return cv_error_sys("open %s", c->dir);
	root = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:b,s:b}", "status", containerv_state_name(c->state.status),
	                 "pid", (json_int_t)c->state.pid, "pid_start_time", (json_int_t)c->state.pid_start_time,
	                 "created_ns", (json_int_t)c->state.created_ns, "started_ns", (json_int_t)c->state.started_ns,
	                 "finished_ns", (json_int_t)c->state.finished_ns, "exit_code", c->state.exit.code,
	                 "exit_signal", c->state.exit.signal, "oom_killed", c->state.exit.oom_killed, "paused",
	                 cv_state_is_paused(c));
	if (root == NULL)
		return cv_error_errno(ENOMEM, "state: cannot encode");
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (text == NULL)
		return cv_error_errno(ENOMEM, "state: cannot encode");
	ret = cv_write_file_atomic_via_at(dirfd, "state.json", CV_SPARE_STATE, text, strlen(text), 0600);
	free(text);
	return ret;
}

static int load_state_json(struct containerv_container *c, int dirfd)
{
	cleanup_free char *text = NULL;
	json_error_t error;
	json_t *root;

	if (cv_read_file_at(dirfd, "state.json", &text, NULL, 1 << 20) < 0) {
		if (errno != ENOENT)
			return -1;
		/* Created and being started in one go (run): its first state is written by the start. */
		cv_error_clear();
		c->state.status = CV_STATE_CREATED;
		return 0;
	}
	root = json_loads(text, 0, &error);
	if (root == NULL)
		return cv_error_errno(EINVAL, "state.json: %s", error.text);
	c->state.status = status_from_name(json_string_value(json_object_get(root, "status")));
	c->state.pid = (pid_t)json_integer_value(json_object_get(root, "pid"));
	c->state.pid_start_time = (uint64_t)json_integer_value(json_object_get(root, "pid_start_time"));
	c->state.created_ns = json_integer_value(json_object_get(root, "created_ns"));
	c->state.started_ns = json_integer_value(json_object_get(root, "started_ns"));
	c->state.finished_ns = json_integer_value(json_object_get(root, "finished_ns"));
	c->state.exit.code = (int)json_integer_value(json_object_get(root, "exit_code"));
	c->state.exit.signal = (int)json_integer_value(json_object_get(root, "exit_signal"));
	c->state.exit.oom_killed = json_is_true(json_object_get(root, "oom_killed"));
	/* Kept across processes: a pause by one CLI run is seen by the next (ps, exec, unpause). */
	c->state.paused = json_is_true(json_object_get(root, "paused"));
	json_decref(root);
	return 0;
}

int cv_state_load(const char *id, struct containerv_container **out)
{
	char dir[PATH_MAX];
	cleanup_free struct containerv_container *c = NULL;
	cleanup_free char *config = NULL;
	cleanup_close int dirfd = -1;

	if (cv_state_containers_dir(dir, sizeof dir) < 0)
		return -1;
	c = cv_malloc0(sizeof *c);
	if (c == NULL)
		return -1;
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->dir, sizeof c->dir, "%s/%s", dir, id);
	snprintf(c->log_path, sizeof c->log_path, "%s/" CV_LOG_DIR "/" CV_LOG_FILE, c->dir);
	dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cv_error_sys("container %s", id);
	if (cv_read_file_at(dirfd, "config.json", &config, NULL, 1 << 22) < 0 ||
	    cv_options_from_json(config, &c->config) < 0 || load_state_json(c, dirfd) < 0) {
		cv_options_clear(&c->config);
		return cv_error_prefix("container %.12s", id);
	}
	snprintf(c->name, sizeof c->name, "%s", c->config.name ? c->config.name : "");
	*out = cv_steal_pointer(&c);
	return 0;
}

struct cv_cgroup *cv_container_cgroup(struct containerv_container *c)
{
	if (c->cgroup == NULL)
		cv_cgroup_open(c->id, &c->cgroup);
	return c->cgroup;
}

/* Reads exit.json (the init's record of the main process); 0 when found. */
static int load_exit_json(struct containerv_container *c)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *text = NULL;
	json_t *root;

	if (dirfd < 0)
		return -1;
	if (cv_read_file_at(dirfd, "exit.json", &text, NULL, 4096) < 0)
		return -1;
	root = json_loads(text, 0, NULL);
	if (root == NULL)
		return -1;
	c->state.exit.code = (int)json_integer_value(json_object_get(root, "code"));
	c->state.exit.signal = (int)json_integer_value(json_object_get(root, "signal"));
	c->state.finished_ns = json_integer_value(json_object_get(root, "finished_ns"));
	json_decref(root);
	return 0;
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

	if (c->lock_depth++ > 0)
		return 0;
	snprintf(path, sizeof path, "%s", c->dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		c->lock_depth = 0;
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "no such container: %.12s", c->id);
		return cv_error_sys("lock %.12s", c->id);
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			c->lock_depth = 0;
			return cv_error_sys("lock %.12s", c->id);
		}
	}
	/* It may have been removed while we waited for the lock. */
	dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || faccessat(dirfd, "config.json", F_OK, 0) < 0 || load_state_json(c, dirfd) < 0) {
		close(fd);
		c->lock_depth = 0;
		return cv_error_errno(ENOENT, "no such container: %.12s", c->id);
	}
	if (c->state.pid != our_pid && c->is_parent) {
		/* Started again by someone else: our old init, if any, is only ours to reap. */
		waitpid(our_pid, NULL, WNOHANG);
		c->is_parent = false;
	}
	c->lock_fd = fd;
	return 0;
}

int cv_state_reload(struct containerv_container *c)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	pid_t our_pid = c->state.pid;

	/* A removed container's directory is gone, or renamed to .removing- with no config.json left. */
	if (dirfd < 0 || load_state_json(c, dirfd) < 0)
		return cv_error_errno(ENOENT, "no such container: %s", containerv_name(c));
	if (c->state.pid != our_pid && c->is_parent) {
		/* Started again by someone else: our old init, if any, is only ours to reap. */
		waitpid(our_pid, NULL, WNOHANG);
		c->is_parent = false;
	}
	return 0;
}

void cv_state_unlock(struct containerv_container *c)
{
	if (c->lock_depth == 0 || --c->lock_depth > 0)
		return;
	close(c->lock_fd); /* drops the flock */
	c->lock_fd = -1;
}

void cv_reap_init(struct containerv_container *c, bool block)
{
	int status;
	pid_t reaped;

	if (!c->is_parent || c->state.pid <= 0)
		return;
	while ((reaped = waitpid(c->state.pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (reaped != c->state.pid && !(reaped < 0 && errno == ECHILD))
		return;
	c->is_parent = false;
	if (reaped == c->state.pid) {
		/* The init exits with its main command's code: enough when exit.json is gone (autoremove). */
		cv_exit_from_wait_status(status, &c->reaped_exit);
		c->have_reaped_exit = true;
	}
}

/* Exit status when there is no exit.json: what we reaped, else the init was killed (SIGKILL). */
static void exit_without_record(struct containerv_container *c)
{
	if (c->have_reaped_exit) {
		c->state.exit = c->reaped_exit;
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
	recorded = load_exit_json(c) == 0;
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

static bool is_hex_prefix(const char *text)
{
	size_t length = strlen(text);

	if (length == 0 || length > CV_ID_LENGTH)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return false;
	}
	return true;
}

/* Resolves a name, full id or unique id prefix to a full id. */
static int resolve_id(const char *id_or_name, char id[CV_ID_LENGTH + 1])
{
	char dir[PATH_MAX], link[PATH_MAX];
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;
	int matches = 0;
	ssize_t n;

	if (cv_state_names_dir(dir, sizeof dir) < 0)
		return -1;
	if (cv_name_is_valid(id_or_name, 128)) {
		snprintf(link, sizeof link, "%s/%s", dir, id_or_name);
		n = readlink(link, id, CV_ID_LENGTH + 1);
		if (n == CV_ID_LENGTH) {
			id[CV_ID_LENGTH] = '\0';
			return 0;
		}
	}
	if (!is_hex_prefix(id_or_name))
		return cv_error_errno(ENOENT, "no such container: %s", id_or_name);
	if (cv_state_containers_dir(dir, sizeof dir) < 0)
		return -1;
	listing = opendir(dir);
	if (listing == NULL)
		return cv_error_sys("open %s", dir);
	while ((entry = readdir(listing)) != NULL) {
		if (strlen(entry->d_name) != CV_ID_LENGTH ||
		    strncmp(entry->d_name, id_or_name, strlen(id_or_name)) != 0)
			continue;
		if (++matches > 1)
			return cv_error_errno(EINVAL, "container id prefix %s is ambiguous", id_or_name);
		memcpy(id, entry->d_name, CV_ID_LENGTH + 1);
	}
	if (matches == 0)
		return cv_error_errno(ENOENT, "no such container: %s", id_or_name);
	return 0;
}

int containerv_open(const char *id_or_name, struct containerv_container **container)
{
	char id[CV_ID_LENGTH + 1];

	cv_error_clear();
	if (id_or_name == NULL || container == NULL)
		return cv_error_errno(EINVAL, "open: missing argument");
	if (resolve_id(id_or_name, id) < 0)
		return -1;
	if (cv_state_load(id, container) < 0) {
		if (errno == ENOENT)
			return cv_error_errno(ENOENT, "no such container: %s", id_or_name);
		return -1;
	}
	cv_state_refresh(*container);
	return 0;
}

void containerv_close(struct containerv_container *container)
{
	if (container == NULL)
		return;
	/* An init of ours that has already ended is reaped here, so a closed handle leaves no zombie. */
	if (container->is_parent && container->state.pid > 0)
		waitpid(container->state.pid, NULL, WNOHANG);
	if (container->lock_depth > 0)
		close(container->lock_fd);
	cv_watch_close(container);
	cv_cgroup_free(container->cgroup);
	for (int i = 0; container->have_stdio_host && i < 3; i++)
		if (container->stdio_host[i] >= 0)
			close(container->stdio_host[i]);
	cv_options_release_stdio(&container->config);
	cv_options_clear(&container->config);
	free(container);
}

const char *containerv_id(const struct containerv_container *container)
{
	return container->id;
}

const char *containerv_name(const struct containerv_container *container)
{
	static _Thread_local char short_id[13];

	if (container->name[0] != '\0')
		return container->name;
	snprintf(short_id, sizeof short_id, "%.12s", container->id);
	return short_id;
}

const char *containerv_log_path(const struct containerv_container *container)
{
	return container->log_path;
}

int containerv_take_stdio(struct containerv_container *container, containerv_fd_t fds[3])
{
	cv_error_clear();
	if (container == NULL || fds == NULL)
		return cv_error_errno(EINVAL, "take stdio: missing argument");
	for (int i = 0; i < 3; i++) {
		fds[i] = container->have_stdio_host ? container->stdio_host[i] : -1;
		container->stdio_host[i] = -1;
	}
	return 0;
}

static void fill_info(struct containerv_container *c, struct containerv_info *info)
{
	cleanup_free char *command = NULL;
	size_t layers = cv_strv_length(c->config.layers);

	memset(info, 0, sizeof *info);
	info->version = CONTAINERV_INFO_VERSION;
	snprintf(info->id, sizeof info->id, "%s", c->id);
	snprintf(info->name, sizeof info->name, "%s", c->name);
	snprintf(info->hostname, sizeof info->hostname, "%s", c->config.hostname ? c->config.hostname : "");
	info->state = c->state.status;
	info->pid = cv_state_has_init(c) ? c->state.pid : 0;
	info->created_ns = c->state.created_ns;
	info->started_ns = c->state.started_ns;
	info->finished_ns = c->state.status == CV_STATE_EXITED ? c->state.finished_ns : 0;
	info->exit = c->state.exit;
	info->paused = cv_state_is_paused(c);
	if (layers > 0)
		snprintf(info->rootfs, sizeof info->rootfs, "%s", c->config.layers[layers - 1]);
	command = cv_strv_join(c->config.argv, " ");
	snprintf(info->command, sizeof info->command, "%s", command ? command : "");
	info->limits = c->config.limits;
	snprintf(info->image, sizeof info->image, "%s", c->config.image ? c->config.image : "");
	snprintf(info->image_digest, sizeof info->image_digest, "%s",
	         c->config.image_digest ? c->config.image_digest : "");
}

int containerv_inspect(struct containerv_container *container, struct containerv_info *info)
{
	cv_error_clear();
	if (container == NULL || info == NULL)
		return cv_error_errno(EINVAL, "inspect: missing argument");
	if (info->version < 1 || info->version > CONTAINERV_INFO_VERSION)
		return cv_error_errno(EINVAL, "inspect: unsupported info version %u", info->version);
	cv_state_refresh(container);
	if (info->version < CONTAINERV_INFO_VERSION) {
		/* A caller built against an earlier version has a structure that ends before paused (1) or image_digest
		 * (2). */
		size_t known = info->version == 1 ? offsetof(struct containerv_info, paused)
		                                  : offsetof(struct containerv_info, image_digest);
		unsigned int version = info->version;
		struct containerv_info *full = malloc(sizeof *full);

		if (full == NULL)
			return cv_error_errno(ENOMEM, "inspect: out of memory");
		fill_info(container, full);
		memcpy(info, full, known);
		info->version = version;
		free(full);
		return 0;
	}
	fill_info(container, info);
	return 0;
}

/*
 * A container directory without config.json is a create that was killed before it wrote one
 * (config.json is its first file): once it is old enough not to be a create still under way,
 * nothing of it is in use and it goes.
 */
static void remove_if_abandoned(int containers_fd, const char *containers, const char *id)
{
	struct stat st;
	char path[PATH_MAX];

	if (fstatat(containers_fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
	    cv_now_ns() - (int64_t)st.st_mtim.tv_sec * 1000000000LL < 60LL * 1000000000LL)
		return;
	snprintf(path, sizeof path, "%s/%s/config.json", containers, id);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return;
	snprintf(path, sizeof path, "%s/%s", containers, id);
	cv_rm_rf(path);
	cv_error_clear();
}

/*
 * A ".removing-<id>" left by a removal that was killed halfway is finished. One whose removal is
 * still under way is left to it: its remover holds the container's lock (an flock on this very
 * directory) and may yet keep it as a spare, which a create may then take.
 */
static void finish_abandoned_removal(int containers_fd, const char *containers, const char *name)
{
	cleanup_close int fd = openat(containers_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat held, named;
	char path[PATH_MAX];

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
		return;
	if (fstat(fd, &held) < 0 || fstatat(containers_fd, name, &named, AT_SYMLINK_NOFOLLOW) < 0 ||
	    held.st_ino != named.st_ino || held.st_dev != named.st_dev)
		return;
	snprintf(path, sizeof path, "%s/%s", containers, name);
	cv_rm_rf(path);
	cv_error_clear();
}

static int compare_created(const void *a, const void *b)
{
	const struct containerv_info *x = a, *y = b;

	return (x->created_ns > y->created_ns) - (x->created_ns < y->created_ns);
}

int containerv_list(int (*callback)(const struct containerv_info *info, void *user), void *user)
{
	char dir[PATH_MAX];
	cleanup_dir DIR *listing = NULL;
	cleanup_free struct containerv_info *infos = NULL;
	size_t count = 0, capacity = 0;
	struct dirent *entry;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "list: no callback");
	if (cv_state_containers_dir(dir, sizeof dir) < 0)
		return -1;
	listing = opendir(dir);
	if (listing == NULL)
		return cv_error_sys("open %s", dir);
	while ((entry = readdir(listing)) != NULL) {
		struct containerv_container *c = NULL;

		if (strncmp(entry->d_name, ".removing-", 10) == 0) {
			finish_abandoned_removal(dirfd(listing), dir, entry->d_name);
			continue;
		}
		if (strlen(entry->d_name) != CV_ID_LENGTH)
			continue;
		if (cv_state_load(entry->d_name, &c) < 0) {
			remove_if_abandoned(dirfd(listing), dir, entry->d_name);
			continue;
		}
		if (count == capacity) {
			size_t grown_capacity = capacity ? capacity * 2 : 16;
			struct containerv_info *grown = realloc(infos, grown_capacity * sizeof *grown);
			if (grown == NULL) {
				containerv_close(c);
				return cv_error_errno(ENOMEM, "out of memory");
			}
			infos = grown;
			capacity = grown_capacity;
		}
		pid_t init = c->state.pid;
		uint64_t init_start = c->state.pid_start_time;
		cv_state_refresh(c);
		if (remove_if_ended_autoremove(c, init, init_start))
			continue;
		fill_info(c, &infos[count++]);
		containerv_close(c);
	}
	cv_error_clear();
	if (count > 1) /* qsort's base may not be NULL, even for no elements */
		qsort(infos, count, sizeof *infos, compare_created);
	for (size_t i = 0; i < count; i++) {
		int ret = callback(&infos[i], user);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int containerv_get_strings(struct containerv_container *container, enum containerv_strings which, char ***strings,
                           size_t *count)
{
	char *const *source;
	char **copy;

	cv_error_clear();
	if (container == NULL || strings == NULL)
		return cv_error_errno(EINVAL, "get_strings: missing argument");
	switch (which) {
	case CV_STRINGS_COMMAND:
		source = container->config.argv;
		break;
	case CV_STRINGS_ENV:
		source = container->config.env;
		break;
	case CV_STRINGS_LABELS:
		source = container->config.labels;
		break;
	default:
		return cv_error_errno(EINVAL, "get_strings: unknown list %d", (int)which);
	}
	copy = cv_strv_dup((const char *const *)source);
	if (copy == NULL)
		return -1;
	*strings = copy;
	if (count != NULL)
		*count = cv_strv_length(copy);
	return 0;
}

void containerv_strings_free(char **strings)
{
	cv_strv_free(strings);
}

int containerv_disk_usage(struct containerv_container *container, uint64_t *bytes)
{
	char path[PATH_MAX];
	cleanup_close int upper = -1;
	struct stat st;

	cv_error_clear();
	if (container == NULL || bytes == NULL)
		return cv_error_errno(EINVAL, "disk_usage: missing argument");
	*bytes = 0;
	if ((size_t)snprintf(path, sizeof path, "%s/upper", container->dir) >= sizeof path)
		return cv_error_errno(ENAMETOOLONG, "disk usage of %s: path too long", container->id);
	/* The container writes below upper/: never follow what it put there. */
	upper = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (upper < 0 && errno == ENOENT)
		return 0; /* not started yet */
	if (upper < 0 || fstat(upper, &st) < 0)
		return cv_error_errno(errno, "disk usage of %s: %s", container->id, strerror(errno));
	*bytes = cv_disk_usage_at(upper, st.st_dev);
	return 0;
}

void containerv_mounts_free(struct containerv_mount_info *mounts, size_t count)
{
	for (size_t i = 0; mounts != NULL && i < count; i++) {
		free(mounts[i].source);
		free(mounts[i].destination);
	}
	free(mounts);
}

int containerv_get_mounts(struct containerv_container *container, struct containerv_mount_info **mounts, size_t *count)
{
	const struct containerv_options *config;
	struct containerv_mount_info *copy;

	cv_error_clear();
	if (container == NULL || mounts == NULL || count == NULL)
		return cv_error_errno(EINVAL, "get_mounts: missing argument");
	config = &container->config;
	*mounts = NULL;
	*count = 0;
	if (config->mount_count == 0)
		return 0;
	copy = calloc(config->mount_count, sizeof *copy);
	if (copy == NULL)
		return cv_error_errno(ENOMEM, "get_mounts: out of memory");
	for (size_t i = 0; i < config->mount_count; i++) {
		const struct cv_mount *mount = &config->mounts[i];
		bool tmpfs = mount->type == CV_MOUNT_TYPE_TMPFS;

		copy[i].type = mount->type;
		copy[i].flags = mount->flags;
		copy[i].propagation = mount->propagation;
		copy[i].anonymous = mount->anonymous;
		copy[i].source = strdup(!tmpfs && mount->source != NULL ? mount->source : "");
		copy[i].destination = strdup(mount->target != NULL ? mount->target : "");
		if (copy[i].source == NULL || copy[i].destination == NULL) {
			containerv_mounts_free(copy, config->mount_count);
			return cv_error_errno(ENOMEM, "get_mounts: out of memory");
		}
	}
	*mounts = copy;
	*count = config->mount_count;
	return 0;
}
