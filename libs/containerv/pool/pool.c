/*
 * Pools (pool.h): their definition on disk, list, inspect, take and removal. The keeper that refills
 * them is keeper.c. Layout and claims: pool-internal.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/process.h"
#include "common/util.h"
#include "config/options.h"
#include "pool/pool-internal.h"

static const char *const policy_names[] = {"prealloc", "on-demand", "hybrid"};

const char *containerv_pool_policy_name(enum containerv_pool_policy policy)
{
	return (unsigned int)policy < 3 ? policy_names[policy] : NULL;
}

int containerv_pool_policy_parse(const char *name, enum containerv_pool_policy *policy)
{
	for (int i = 0; name != NULL && policy != NULL && i < 3; i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*policy = (enum containerv_pool_policy)i;
			return 0;
		}
	}
	return cv_error_errno(EINVAL, "unknown pool policy \"%s\" (prealloc, on-demand or hybrid)",
	                      name != NULL ? name : "");
}

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*: a path component that is never "." or "..", nor hidden. */
static int check_name(const char *name)
{
	size_t length = name != NULL ? strlen(name) : 0;

	if (length == 0 || length > CV_POOL_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789_.-") != length ||
	    strchr("_.-", name[0]) != NULL)
		return cv_error_errno(EINVAL, "invalid pool name \"%s\": [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d",
		                      name != NULL ? name : "", CV_POOL_NAME_MAX);
	return 0;
}

/* <root>/pools, made on first use (root's alone, as the containers' directory). */
static int open_pools_dir(bool create)
{
	cleanup_free char *path = NULL;
	int fd;

	if (cv_asprintf(&path, "%s/pools", containerv_root()) < 0)
		return -1;
	/* A fresh root (the first command of all may be pool create): made as the state store makes it. */
	if (create && mkdir(containerv_root(), 0711) < 0 && errno != EEXIST)
		return cv_error_sys("create %s", containerv_root());
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return cv_error_sys("create %s", path);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cv_error_sys("open %s", path);
	return fd;
}

int cv_pool_open(const char *name, int *dirfd)
{
	cleanup_close int pools = -1;

	if (check_name(name) < 0)
		return -1;
	pools = open_pools_dir(false);
	if (pools < 0)
		return errno == ENOENT ? cv_error_errno(ENOENT, "no such pool: %s", name) : -1;
	*dirfd = openat(pools, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	/* Without pool.json it is being removed (or was never finished): no pool. */
	if (*dirfd < 0 || faccessat(*dirfd, "pool.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (*dirfd >= 0)
			close(*dirfd);
		*dirfd = -1;
		return errno == ENOENT ? cv_error_errno(ENOENT, "no such pool: %s", name)
		                       : cv_error_sys("pool %s", name);
	}
	return 0;
}

/* The pool's directory whether or not pool.json is there (pool rm finishing a removal); ENOENT: none. */
static int open_pool_dir_only(const char *name, int *dirfd)
{
	cleanup_close int pools = open_pools_dir(false);

	if (pools < 0)
		return cv_error_errno(ENOENT, "no such pool: %s", name);
	*dirfd = openat(pools, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (*dirfd < 0)
		return errno == ENOENT ? cv_error_errno(ENOENT, "no such pool: %s", name)
		                       : cv_error_sys("pool %s", name);
	cv_error_clear();
	return 0;
}

static void config_defaults(struct containerv_pool_config *config)
{
	if (config->max < config->min)
		config->max = config->min;
	if (config->max == 0)
		config->max = 1;
	if (config->idle_seconds == 0)
		config->idle_seconds = 60;
	if (config->concurrency == 0)
		config->concurrency = 2;
}

int cv_pool_read_config(int dirfd, struct containerv_pool_config *config)
{
	cleanup_free char *text = NULL;
	json_t *root;
	json_error_t error;

	if (cv_read_file_at(dirfd, "pool.json", &text, NULL, 65536) < 0)
		return -1;
	root = json_loads(text, 0, &error);
	if (!json_is_object(root)) {
		json_decref(root);
		return cv_error_errno(EINVAL, "pool.json: not a JSON object");
	}
	*config = (struct containerv_pool_config)CONTAINERV_POOL_CONFIG_INIT;
	json_int_t policy = json_integer_value(json_object_get(root, "policy"));
	config->policy = policy >= 0 && policy < 3 ? (enum containerv_pool_policy)policy : CV_POOL_PREALLOC;
	config->min = (unsigned int)json_integer_value(json_object_get(root, "min"));
	config->max = (unsigned int)json_integer_value(json_object_get(root, "max"));
	config->idle_seconds = (unsigned int)json_integer_value(json_object_get(root, "idle_seconds"));
	config->concurrency = (unsigned int)json_integer_value(json_object_get(root, "concurrency"));
	json_decref(root);
	config_defaults(config);
	return 0;
}

int cv_pool_load_template(int dirfd, const char *name, struct containerv_options **out)
{
	cleanup_free char *text = NULL, *label = NULL;
	struct containerv_options *options = NULL;

	if (cv_read_file_at(dirfd, "template.json", &text, NULL, 4 << 20) < 0 || containerv_options_new(&options) < 0)
		return cv_error_prefix("pool %s: template", name);
	cv_options_clear(options);
	if (cv_options_from_json(text, options) < 0 || cv_asprintf(&label, CV_POOL_LABEL "=%s", name) < 0 ||
	    containerv_options_add_label(options, label) < 0 || containerv_options_set_hold(options, 1) < 0 ||
	    containerv_options_set_stdio(options, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL) <
	            0) {
		containerv_options_delete(options);
		return cv_error_prefix("pool %s: template", name);
	}
	*out = options;
	return 0;
}

int cv_pool_make_held(const struct containerv_options *options, struct containerv_container **container)
{
	return containerv_create(options, container);
}

int cv_pool_mark(int dirfd, const char *sub, const char *id)
{
	cleanup_free char *path = NULL;
	int fd;

	if (cv_asprintf(&path, "%s/%s", sub, id) < 0)
		return -1;
	fd = openat(dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cv_error_sys("pool entry %s", path);
	close(fd);
	return 0;
}

bool cv_pool_owns(struct containerv_container *container, const char *name)
{
	cleanup_strv char **labels = NULL;
	size_t length = strlen(CV_POOL_LABEL);
	bool owned = false;

	if (containerv_get_strings(container, CV_STRINGS_LABELS, &labels, NULL) < 0)
		return false;
	for (size_t i = 0; labels[i] != NULL && !owned; i++)
		owned = strncmp(labels[i], CV_POOL_LABEL "=", length + 1) == 0 &&
		        strcmp(labels[i] + length + 1, name) == 0;
	return owned;
}

void cv_pool_socket_address(int dirfd, struct sockaddr_un *address)
{
	memset(address, 0, sizeof *address);
	address->sun_family = AF_UNIX;
	snprintf(address->sun_path, sizeof address->sun_path, "/proc/self/fd/%d/keeper.sock", dirfd);
}

/* ---- create ---- */

static int write_pool_json(int dirfd, const struct containerv_pool_config *config)
{
	char text[256];
	int length = snprintf(text, sizeof text,
	                      "{\"policy\": %d, \"min\": %u, \"max\": %u, \"idle_seconds\": %u, \"concurrency\": %u}\n",
	                      (int)config->policy, config->min, config->max, config->idle_seconds, config->concurrency);

	return cv_write_file_atomic_at(dirfd, "pool.json", text, (size_t)length, 0600);
}

/* The template as the pool keeps it: no name (each container gets an id), no stdio, no autoremove. */
static int write_template(int dirfd, const struct containerv_options *template)
{
	struct containerv_options copy;
	cleanup_free char *json = NULL;
	int ret;

	memset(&copy, 0, sizeof copy);
	if (cv_options_copy(&copy, template) < 0)
		return -1;
	cv_options_release_stdio(&copy);
	free(copy.name);
	copy.name = NULL;
	copy.autoremove = copy.autoremove_monitor = false;
	copy.autostart = true;
	copy.hold = false;
	ret = cv_options_to_json(&copy, &json);
	cv_options_clear(&copy);
	if (ret < 0)
		return -1;
	return cv_write_file_atomic_at(dirfd, "template.json", json, strlen(json), 0600);
}

int containerv_pool_create(const char *name, const struct containerv_options *template,
                           const struct containerv_pool_config *config)
{
	cleanup_close int pools = -1, dirfd = -1;
	struct containerv_pool_config settled;

	cv_error_clear();
	if (check_name(name) < 0)
		return cv_error_prefix("pool create");
	if (template == NULL || config == NULL || config->version != CONTAINERV_POOL_CONFIG_VERSION ||
	    containerv_pool_policy_name(config->policy) == NULL)
		return cv_error_errno(EINVAL, "pool create %s: no template, or an unknown config version or policy",
		                      name);
	if (config->max != 0 && config->max < config->min)
		return cv_error_errno(EINVAL, "pool create %s: --max %u is below --min %u", name, config->max,
		                      config->min);
	if (template->tty)
		return cv_error_errno(EINVAL, "pool create %s: a pooled container has no terminal (-t)", name);
	if (cv_options_validate(template) < 0)
		return cv_error_prefix("pool create %s", name);
	settled = *config;
	config_defaults(&settled);
	pools = open_pools_dir(true);
	if (pools < 0)
		return cv_error_prefix("pool create %s", name);
	if (mkdirat(pools, name, 0700) < 0)
		return errno == EEXIST ? cv_error_errno(EEXIST, "pool %s already exists", name)
		                       : cv_error_sys("pool create %s", name);
	dirfd = openat(pools, name, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	/* pool.json last: until it is there the pool does not exist for anyone (cv_pool_open). */
	if (dirfd < 0 || mkdirat(dirfd, "ready", 0700) < 0 || mkdirat(dirfd, "remove", 0700) < 0 ||
	    mkdirat(dirfd, "claims", 0700) < 0 || write_template(dirfd, template) < 0 ||
	    write_pool_json(dirfd, &settled) < 0) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		if (dirfd >= 0) {
			unlinkat(dirfd, "template.json", 0);
			unlinkat(dirfd, "ready", AT_REMOVEDIR);
			unlinkat(dirfd, "remove", AT_REMOVEDIR);
			unlinkat(dirfd, "claims", AT_REMOVEDIR);
		}
		unlinkat(pools, name, AT_REMOVEDIR);
		cv_error_restore(&saved);
		return cv_error_prefix("pool create %s", name);
	}
	return 0;
}

/* ---- inspect, list ---- */

static unsigned int count_entries(int dirfd, const char *sub)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;
	unsigned int n = 0;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((entry = readdir(dir)) != NULL)
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n;
}

int containerv_pool_keeper_running(const char *name)
{
	cleanup_close int dirfd = -1, lock = -1;

	cv_error_clear();
	if (cv_pool_open(name, &dirfd) < 0)
		return -1;
	lock = openat(dirfd, "keeper.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lock < 0)
		return 0;
	if (flock(lock, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 1 : cv_error_sys("pool %s: keeper lock", name);
	return 0;
}

int containerv_pool_inspect(const char *name, struct containerv_pool_info *info)
{
	cleanup_close int dirfd = -1;
	cleanup_free char *text = NULL;

	cv_error_clear();
	if (info == NULL)
		return cv_error_errno(EINVAL, "pool inspect: no info");
	if (cv_pool_open(name, &dirfd) < 0 || cv_pool_read_config(dirfd, &info->config) < 0)
		return cv_error_prefix("pool inspect %s", name);
	info->version = CONTAINERV_POOL_CONFIG_VERSION;
	snprintf(info->name, sizeof info->name, "%s", name);
	info->ready = count_entries(dirfd, "ready");
	info->removing = count_entries(dirfd, "remove");
	info->keeper = 0;
	info->takes = 0;
	info->last_refill_ns = 0;
	if (containerv_pool_keeper_running(name) == 1 &&
	    cv_read_file_at(dirfd, "keeper.json", &text, NULL, 4096) == 0) {
		json_t *root = json_loads(text, 0, NULL);
		info->keeper = (containerv_pid_t)json_integer_value(json_object_get(root, "pid"));
		info->takes = (uint64_t)json_integer_value(json_object_get(root, "takes"));
		info->last_refill_ns = (int64_t)json_integer_value(json_object_get(root, "last_refill_ns"));
		json_decref(root);
	}
	cv_error_clear();
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int containerv_pool_list(char ***names, size_t *count)
{
	cleanup_close int pools = -1;
	cleanup_strv char **result = NULL;
	DIR *dir;
	struct dirent *entry;

	cv_error_clear();
	if (names == NULL)
		return cv_error_errno(EINVAL, "pool list: no out-parameter");
	result = calloc(1, sizeof *result);
	if (result == NULL)
		return cv_error_errno(ENOMEM, "pool list");
	pools = open_pools_dir(false);
	if (pools >= 0) {
		int fd = openat(pools, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dir = fd >= 0 ? fdopendir(fd) : NULL;
		while (dir != NULL && (entry = readdir(dir)) != NULL) {
			if (entry->d_name[0] == '.' || check_name(entry->d_name) < 0 ||
			    faccessat(pools, entry->d_name, F_OK, 0) < 0)
				continue;
			char path[CV_POOL_NAME_MAX + 16];
			snprintf(path, sizeof path, "%s/pool.json", entry->d_name);
			if (faccessat(pools, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
			    cv_strv_append(&result, entry->d_name) < 0) {
				closedir(dir);
				return -1;
			}
		}
		if (dir != NULL)
			closedir(dir);
	}
	cv_error_clear();
	size_t n = cv_strv_length(result);
	qsort(result, n, sizeof *result, compare_names);
	if (count != NULL)
		*count = n;
	*names = cv_steal_pointer(&result);
	return 0;
}

/* ---- take ---- */

/* Wakes the keeper to refill (a datagram; no keeper, a full queue: it refills at its next round anyway). */
static void wake_keeper(int dirfd)
{
	struct sockaddr_un address;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return;
	cv_pool_socket_address(dirfd, &address);
	sendto(fd, "t", 1, MSG_NOSIGNAL, (struct sockaddr *)&address, sizeof address);
	close(fd);
}

/*
 * Claims one entry of ready/: its claim first (claim.c), then the unlink of the entry, which one taker alone
 * succeeds in. Opens the container; 1 when none was ready. The claim's descriptor goes to *claim.
 */
static int claim_ready_once(int dirfd, struct containerv_container **container, int *claim, bool *busy)
{
	int fd = openat(dirfd, "ready", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;
	int ret = 1;

	*busy = false;

	if (dir == NULL) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("open the ready containers");
	}
	while (ret == 1 && (entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.' || strlen(entry->d_name) != 64)
			continue;
		int lock = cv_pool_claim(dirfd, entry->d_name);
		if (lock < 0) {
			*busy = true;
			continue; /* another take, or a sweep, owns it */
		}
		if (unlinkat(fd, entry->d_name, 0) < 0) {
			cv_pool_unclaim(dirfd, entry->d_name, lock); /* another take was first, and released it */
			continue;
		}
		struct containerv_container *candidate = NULL;
		if (containerv_open(entry->d_name, &candidate) < 0) {
			cv_pool_unclaim(dirfd, entry->d_name, lock);
			continue; /* removed meanwhile */
		}
		/* Whether its init still waits is known at the release (ESRCH: the caller takes another). */
		*container = candidate;
		*claim = lock;
		ret = 0;
	}
	closedir(dir);
	cv_error_clear();
	return ret;
}

/*
 * claim_ready_once, again for a short while when every ready container was claimed by someone else: a
 * sweep holds each claim for a moment only, and waiting that long costs less than a cold start.
 */
#define CLAIM_RETRIES 10
#define CLAIM_RETRY_NS (2 * 1000 * 1000)
static int claim_ready(int dirfd, struct containerv_container **container, int *claim)
{
	bool busy = false;
	int ret = claim_ready_once(dirfd, container, claim, &busy);

	for (int i = 0; ret == 1 && busy && i < CLAIM_RETRIES; i++) {
		nanosleep(&(struct timespec){0, CLAIM_RETRY_NS}, NULL);
		ret = claim_ready_once(dirfd, container, claim, &busy);
	}
	return ret;
}

/* None ready: one made now, the cold way, and claimed before a sweep may judge it (sweep.lock shared). */
static int make_claimed(int dirfd, const char *name, struct containerv_container **container, int *claim)
{
	struct containerv_options *options = NULL;
	cleanup_close int sweep = cv_pool_lock_sweep(dirfd, LOCK_SH);
	int ret;

	if (sweep < 0 || cv_pool_load_template(dirfd, name, &options) < 0)
		return -1;
	ret = cv_pool_make_held(options, container);
	containerv_options_delete(options);
	if (ret < 0)
		return -1;
	*claim = cv_pool_claim(dirfd, containerv_id(*container));
	if (*claim < 0) {
		int saved = errno;
		containerv_destroy(*container);
		*container = NULL;
		return cv_error_errno(saved, "claim a new container");
	}
	return 0;
}

int containerv_pool_take(const char *name, int remove_when_ended, struct containerv_container **container)
{
	cleanup_close int dirfd = -1;
	int ret, claim = -1;

	cv_error_clear();
	if (container == NULL)
		return cv_error_errno(EINVAL, "pool take: no out-parameter");
	*container = NULL;
	if (cv_pool_open(name, &dirfd) < 0)
		return cv_error_prefix("pool take");
	ret = claim_ready(dirfd, container, &claim);
	if (ret == 1)
		ret = make_claimed(dirfd, name, container, &claim);
	if (ret < 0)
		return cv_error_prefix("pool take %s", name);
	const char *id = containerv_id(*container);
	if ((remove_when_ended && cv_pool_mark(dirfd, "remove", id) < 0) || cv_pool_claim_keep(dirfd, id, claim) < 0) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		containerv_destroy(*container);
		*container = NULL;
		cv_pool_unclaim(dirfd, id, claim);
		cv_error_restore(&saved);
		return cv_error_prefix("pool take %s", name);
	}
	/* The keeper is woken once the workload runs (containerv_pool_start): a refill then does not compete with
	 * the release for the CPU. */
	return 0;
}

int containerv_pool_start(struct containerv_container *container, const struct containerv_workload *workload)
{
	int ret;

	if (container == NULL)
		return cv_error_errno(EINVAL, "pool start: no container");
	ret = containerv_start_workload(container, workload);
	/* Running (or failed): no longer held, so no longer a sweep's to judge by its claim. */
	struct cv_error_saved saved;
	cv_error_save(&saved);
	int saved_errno = errno;
	int dirfd = cv_pool_claim_drop(containerv_id(container));
	if (dirfd >= 0) {
		wake_keeper(dirfd);
		close(dirfd);
	}
	cv_error_restore(&saved);
	errno = saved_errno;
	return ret;
}

/* ---- remove ---- */

/*
 * The keeper's pid and start time, from the keeper.json it writes under its lock; pid 0 while none is
 * written, or while the one there names a process that is gone (a keeper killed before it removed its
 * file, whose pid another process may have by now).
 */
static pid_t keeper_pid_of(int dirfd, uint64_t *start)
{
	cleanup_free char *text = NULL;
	json_t *root;
	pid_t pid;

	if (cv_read_file_at(dirfd, "keeper.json", &text, NULL, 4096) < 0)
		return 0;
	root = json_loads(text, 0, NULL);
	pid = (pid_t)json_integer_value(json_object_get(root, "pid"));
	*start = (uint64_t)json_integer_value(json_object_get(root, "start"));
	json_decref(root);
	return pid > 1 && cv_process_alive(pid, *start) ? pid : 0;
}

/*
 * Stops the keeper: SIGTERM, then SIGKILL after two seconds; it is gone once its lock is free. A keeper
 * that holds the lock but has not written keeper.json yet (just started) is waited for: it writes it
 * before its first round, and without pool.json it ends after that round by itself.
 */
static int stop_keeper(int dirfd)
{
	cleanup_close int lock = openat(dirfd, "keeper.lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	uint64_t start = 0;
	pid_t pid = 0;

	if (lock < 0)
		return 0;
	for (int i = 0; flock(lock, LOCK_EX | LOCK_NB) < 0; i++) {
		if (pid == 0 && (pid = keeper_pid_of(dirfd, &start)) != 0)
			cv_process_signal(pid, start, SIGTERM);
		if (i == 200 && pid != 0) {
			cv_process_signal(pid, start, SIGKILL);
			flock(lock, LOCK_EX);
			return 0;
		}
		/* Held 5 s by something that never wrote a pid: not a keeper that ends by itself. */
		if (i == 500)
			return cv_error_errno(EBUSY, "its keeper lock is held by a process that wrote no keeper.json: "
			                             "stop it and run pool rm again");
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return 0;
}

/* The pool's own files, and what a writer killed mid-write leaves of them (".<name>.tmp.<tid>"). */
static bool is_pool_file(const char *entry)
{
	static const char *const files[] = {"pool.json",   "template.json", "keeper.json", "keeper.sock",
	                                    "keeper.lock", "sweep.lock",    "keeper.log",  "keeper.log.1"};

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t length = strlen(files[i]);

		if (strcmp(entry, files[i]) == 0)
			return true;
		if (entry[0] == '.' && strncmp(entry + 1, files[i], length) == 0 &&
		    strncmp(entry + 1 + length, ".tmp.", 5) == 0 && entry[6 + length] != '\0' &&
		    strspn(entry + 6 + length, "0123456789") == strlen(entry + 6 + length))
			return true;
	}
	return false;
}

/* Unlinks the pool's files; names anything else it finds in `left` (for the error), which stays. */
static void remove_pool_files(int dirfd, char *left, size_t size)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	left[0] = '\0';
	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (is_pool_file(entry->d_name))
			unlinkat(dirfd, entry->d_name, 0);
		else if (strlen(left) + strlen(entry->d_name) + 3 < size)
			snprintf(left + strlen(left), size - strlen(left), "%s%s", left[0] ? ", " : "", entry->d_name);
	}
	if (dir != NULL)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
}

static void remove_subdir(int dirfd, const char *sub)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *entry;

	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] != '.')
			unlinkat(fd, entry->d_name, 0);
	}
	if (dir != NULL)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
	unlinkat(dirfd, sub, AT_REMOVEDIR);
}

int containerv_pool_remove(const char *name)
{
	cleanup_close int pools = -1, dirfd = -1;
	char left[256];
	int tries = 0;

	cv_error_clear();
	/* Without pool.json too: a removal that was interrupted (killed, or a keeper lock held) is finished. */
	if (cv_pool_open(name, &dirfd) < 0 && (errno != ENOENT || open_pool_dir_only(name, &dirfd) < 0))
		return cv_error_prefix("pool rm");
	/* First: no take, no keeper start from here on (a keeper checks pool.json once it holds its lock). */
	if (unlinkat(dirfd, "pool.json", 0) < 0 && errno != ENOENT)
		return cv_error_sys("pool rm %s", name);
	if (stop_keeper(dirfd) < 0)
		return cv_error_prefix("pool rm %s", name);
	cv_pool_sweep(dirfd, name, true);
	remove_subdir(dirfd, "ready");
	remove_subdir(dirfd, "remove");
	remove_subdir(dirfd, "claims");
	pools = open_pools_dir(false);
	if (pools < 0)
		return cv_error_sys("pool rm %s: remove its directory", name);
	/* Again if a keeper started just before pool.json went made its lock file meanwhile: it ends at once. */
	do {
		remove_pool_files(dirfd, left, sizeof left);
		if (unlinkat(pools, name, AT_REMOVEDIR) == 0) {
			cv_error_clear();
			return 0;
		}
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	} while (errno == ENOTEMPTY && left[0] == '\0' && ++tries < 50);
	if (errno == ENOTEMPTY && left[0] != '\0')
		return cv_error_errno(ENOTEMPTY, "pool rm %s: its directory holds what is not the pool's: %s", name,
		                      left);
	return cv_error_sys("pool rm %s: remove its directory", name);
}
