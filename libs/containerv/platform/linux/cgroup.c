/*
 * The cgroup front end: detects the host's layout at run time, picks the
 * backend and dispatches through its function table. Also the file helpers
 * both backends share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/cgroup-internal.h"

#define CV_CGROUP_DEFAULT_ROOT "/sys/fs/cgroup"
/* cgroup.procs of a busy container can be long; a pid is at most 8 characters. */
#define CV_CGROUP_PROCS_MAX (64u * 1024 * 1024)
/* Sub-cgroups deeper than this are not followed (a loop guard, not a policy). */
#define CV_CGROUP_MAX_DEPTH 32

const char *cv_cgroup_root(void)
{
	const char *root = getenv("CONTAINERV_CGROUP_ROOT");

	return root != NULL && root[0] != '\0' ? root : CV_CGROUP_DEFAULT_ROOT;
}

static int detect_mode(const char *root, enum containerv_cgroup_mode *mode)
{
	char unified[PATH_MAX];
	struct statfs fs;

	if (statfs(root, &fs) < 0)
		return cv_error_sys("cgroup root %s", root);
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		*mode = CONTAINERV_CGROUP_V2;
		return 0;
	}
	/* A tmpfs holding the v1 mounts; systemd's hybrid layout adds a cgroup2 mount at unified/. */
	*mode = CONTAINERV_CGROUP_V1;
	if (fs.f_type == TMPFS_MAGIC && cv_cgroup_path(unified, root, "unified") == 0 && statfs(unified, &fs) == 0 &&
	    fs.f_type == CGROUP2_SUPER_MAGIC)
		*mode = CONTAINERV_CGROUP_HYBRID;
	return 0;
}

int containerv_cgroup_mode(enum containerv_cgroup_mode *mode)
{
	cv_error_clear();
	if (mode == NULL)
		return cv_error_errno(EINVAL, "cgroup mode: no output");
	return detect_mode(cv_cgroup_root(), mode);
}

/*
 * The name becomes a path under every hierarchy: a container id, or a configured cgroup path as
 * cv_container_cgroup_name() gives it (absolute, or below CV_CGROUP_RELATIVE_DIR), plain (no "..", no ".").
 */
static bool is_configured_path(const char *name)
{
	return cv_cgroup_path_is_plain(name) &&
	       (name[0] == '/' || strncmp(name, CV_CGROUP_RELATIVE_DIR "/", sizeof CV_CGROUP_RELATIVE_DIR) == 0);
}

static int check_id(const char *id)
{
	if (id == NULL || (!cv_name_is_valid(id, 128) && !is_configured_path(id)))
		return cv_error_errno(EINVAL, "cgroup: invalid id \"%s\"", id != NULL ? id : "(null)");
	return 0;
}

int cv_cgroup_create_with(const struct cv_cgroup_ops *ops, const char *id, const struct containerv_limits *limits,
                          struct cv_cgroup **out)
{
	if (check_id(id) < 0)
		return -1;
	/* Parse, then act: a limit the kernel would refuse must not leave a half-made cgroup. */
	if (limits != NULL && (containerv_limits_validate(limits) < 0 || cv_cgroup_check_hugetlb_sizes(limits) < 0))
		return cv_error_prefix("cgroup %s", id);
	if (ops->create(id, limits, out) < 0)
		return cv_error_prefix("cgroup %s (%s)", id, ops->name);
	return 0;
}

static int pick_ops(const struct cv_cgroup_ops **ops)
{
	enum containerv_cgroup_mode mode;

	if (detect_mode(cv_cgroup_root(), &mode) < 0)
		return -1;
	/* On a hybrid host the controllers live in the v1 hierarchies; unified/ holds none of ours. */
	*ops = mode == CONTAINERV_CGROUP_V2 ? &cv_cgroup_v2_ops : &cv_cgroup_v1_ops;
	return 0;
}

bool cv_cgroup_placed_by_clone(void)
{
	const struct cv_cgroup_ops *ops;

	if (pick_ops(&ops) < 0) {
		cv_error_clear(); /* the create that follows reports it */
		return true;
	}
	return ops == &cv_cgroup_v2_ops;
}

int cv_cgroup_dir_of(const char *mount, const char *name, char **dir)
{
	if (name[0] == '/')
		return cv_asprintf(dir, "%s%s", mount, name);
	return cv_asprintf(dir, "%s/" CV_CGROUP_PARENT "/%s", mount, name);
}

int cv_cgroup_make_parents(const char *mount, const char *dir, int (*make)(const char *parent, void *user), void *user)
{
	char parent[PATH_MAX];
	size_t skip = strlen(mount) + 1;

	if (strlen(dir) >= sizeof parent || strncmp(dir, mount, skip - 1) != 0 || strlen(dir) <= skip)
		return cv_error_errno(ENAMETOOLONG, "cgroup %s: not below %s", dir, mount);
	strcpy(parent, dir);
	for (char *slash = parent + skip; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		if (make(parent, user) < 0)
			return -1;
		*slash = '/';
	}
	return 0;
}

int cv_cgroup_create(const char *id, const struct containerv_limits *limits, struct cv_cgroup **out)
{
	const struct cv_cgroup_ops *ops;

	if (pick_ops(&ops) < 0)
		return -1;
	return cv_cgroup_create_with(ops, id, limits, out);
}

int cv_cgroup_open(const char *id, struct cv_cgroup **out)
{
	const struct cv_cgroup_ops *ops;

	if (check_id(id) < 0 || pick_ops(&ops) < 0)
		return -1;
	if (ops->open(id, out) < 0)
		return cv_error_prefix("cgroup %s", id);
	return 0;
}

int cv_cgroup_add_pid(struct cv_cgroup *cgroup, pid_t pid)
{
	if (cgroup->ops->add_pid(cgroup, pid) < 0)
		return cv_error_prefix("cgroup %s: add pid %d", cgroup->id, (int)pid);
	return 0;
}

int cv_cgroup_open_join_fds(struct cv_cgroup *cgroup, int *fds, size_t max)
{
	int count = cgroup->ops->open_join_fds(cgroup, fds, max);

	if (count < 0)
		return cv_error_prefix("cgroup %s", cgroup->id);
	return count;
}

int cv_cgroup_join_self(const int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (write(fds[i], "0", 1) != 1)
			return cv_error_sys("join the container's cgroup");
	return 0;
}

int cv_cgroup_clone_fd(struct cv_cgroup *cgroup)
{
	return cgroup->ops->clone_fd(cgroup);
}

int cv_cgroup_read_stats(struct cv_cgroup *cgroup, struct containerv_stats *stats)
{
	if (cgroup->ops->read_stats(cgroup, stats) < 0)
		return cv_error_prefix("cgroup %s: stats", cgroup->id);
	return 0;
}

int cv_cgroup_oom_kills(struct cv_cgroup *cgroup, uint64_t *kills)
{
	if (cgroup->ops->oom_kills(cgroup, kills) < 0)
		return cv_error_prefix("cgroup %s: oom kills", cgroup->id);
	return 0;
}

int cv_cgroup_pids(struct cv_cgroup *cgroup, pid_t **pids, size_t *count)
{
	if (cgroup->ops->pids(cgroup, pids, count) < 0)
		return cv_error_prefix("cgroup %s: list processes", cgroup->id);
	return 0;
}

const struct cv_device_rule cv_default_device_rules[] = {
        {'c', -1, -1, "m"}, {'b', -1, -1, "m"}, {'c', 1, 3, "rwm"},    {'c', 1, 5, "rwm"},
        {'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"}, {'c', 1, 9, "rwm"},    {'c', 5, 0, "rwm"},
        {'c', 5, 1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"},
};
const size_t cv_default_device_rule_count = sizeof cv_default_device_rules / sizeof cv_default_device_rules[0];

int cv_cgroup_restrict_devices(struct cv_cgroup *cgroup, const struct cv_device_rule *rules, size_t count)
{
	if (cgroup->ops->restrict_devices(cgroup, rules, count) < 0)
		return cv_error_prefix("cgroup %s: device allow-list", cgroup->id);
	return 0;
}

int cv_cgroup_kill_all(struct cv_cgroup *cgroup)
{
	if (cgroup->ops->kill_all(cgroup) < 0)
		return cv_error_prefix("cgroup %s: kill", cgroup->id);
	return 0;
}

int cv_cgroup_destroy(struct cv_cgroup *cgroup)
{
	if (cgroup->ops->destroy(cgroup) < 0)
		return cv_error_prefix("cgroup %s: destroy", cgroup->id);
	return 0;
}

int64_t cv_cgroup_freeze_timeout_ns = 5LL * 1000000000LL;

int cv_cgroup_update(struct cv_cgroup *cgroup, const struct containerv_limits *request, unsigned *applied)
{
	*applied = 0;
	/* Parse, then act: a value the kernel would refuse is caught before the first write. */
	if (containerv_limits_validate(request) < 0 || cv_cgroup_check_hugetlb_sizes(request) < 0)
		return cv_error_prefix("cgroup %s: update", cgroup->id);
	if (cgroup->ops->update(cgroup, request, applied) < 0)
		return cv_error_prefix("cgroup %s: update", cgroup->id);
	return 0;
}

int cv_cgroup_freeze(struct cv_cgroup *cgroup)
{
	if (cgroup->ops->freeze(cgroup, true) < 0)
		return cv_error_prefix("cgroup %s: freeze", cgroup->id);
	return 0;
}

int cv_cgroup_thaw(struct cv_cgroup *cgroup)
{
	if (cgroup->ops->freeze(cgroup, false) < 0)
		return cv_error_prefix("cgroup %s: thaw", cgroup->id);
	return 0;
}

int cv_cgroup_is_frozen(struct cv_cgroup *cgroup, bool *frozen)
{
	*frozen = false;
	if (cgroup->ops->is_frozen(cgroup, frozen) < 0)
		return cv_error_prefix("cgroup %s: freezer state", cgroup->id);
	return 0;
}

int cv_cgroup_write_unified(struct cv_cgroup *cgroup, const char *key, const char *value)
{
	if (cv_cgroup_file_name_check(key) < 0)
		return cv_error_prefix("cgroup %s", cgroup->id);
	if (cgroup->ops->write_unified == NULL)
		return cv_error_errno(ENOTSUP,
		                      "cgroup %s: unified %s: cannot use unified on cgroup v1 (this host's controllers "
		                      "are v1 hierarchies; runc refuses it too)",
		                      cgroup->id, key);
	if (cgroup->ops->write_unified(cgroup, key, value) < 0)
		return cv_error_prefix("cgroup %s", cgroup->id);
	return 0;
}

/* /sys/kernel/mm/hugepages lists one directory per size the kernel has: "hugepages-2048kB". */
int cv_cgroup_check_hugetlb_sizes(const struct containerv_limits *limits)
{
	static const char sizes_dir[] = "/sys/kernel/mm/hugepages";

	for (uint32_t i = 0; i < limits->hugetlb_count; i++) {
		uint64_t page_size = limits->hugetlb[i].page_size;
		char path[PATH_MAX], name[24], have[256] = "";
		cleanup_dir DIR *listing = NULL;
		struct dirent *entry;

		snprintf(path, sizeof path, "%s/hugepages-%llukB", sizes_dir, (unsigned long long)(page_size / 1024));
		if (access(path, F_OK) == 0)
			continue;
		if (containerv_hugetlb_size_name(page_size, name, sizeof name) < 0)
			return -1;
		listing = opendir(sizes_dir);
		while (listing != NULL && (entry = readdir(listing)) != NULL) {
			unsigned long long kilobytes;
			char other[24];
			size_t used = strlen(have);

			if (sscanf(entry->d_name, "hugepages-%llukB", &kilobytes) == 1 &&
			    containerv_hugetlb_size_name(kilobytes * 1024, other, sizeof other) == 0)
				snprintf(have + used, sizeof have - used, "%s%s", used ? ", " : "", other);
		}
		cv_error_clear();
		return cv_error_errno(EINVAL, "hugetlb %s: the kernel has no such huge page size (it has: %s)", name,
		                      have[0] ? have : "none");
	}
	return 0;
}

void cv_cgroup_free(struct cv_cgroup *cgroup)
{
	if (cgroup != NULL)
		cgroup->ops->free(cgroup);
}

/* ---- helpers shared by the backends ---- */

int cv_cgroup_path(char *buffer, const char *dir, const char *name)
{
	int n = snprintf(buffer, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		return cv_error_errno(ENAMETOOLONG, "path %s/%s: too long", dir, name);
	return 0;
}

bool cv_cgroup_has_file(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return dir != NULL && cv_cgroup_path(path, dir, name) == 0 && access(path, F_OK) == 0;
}

int cv_cgroup_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];

	if (cv_cgroup_path(path, dir, name) < 0)
		return -1;
	return cv_write_file(path, text);
}

static int read_optional(const char *dir, const char *name, char **text)
{
	char path[PATH_MAX];

	*text = NULL;
	if (dir == NULL)
		return 0;
	if (cv_cgroup_path(path, dir, name) < 0)
		return -1;
	if (cv_read_file(path, text, NULL, CV_CGROUP_PROCS_MAX) < 0) {
		if (errno == ENOENT)
			return 0;
		return -1;
	}
	return 0;
}

int cv_cgroup_read_u64_optional(const char *dir, const char *name, uint64_t *value)
{
	cleanup_free char *text = NULL;
	char *end;

	*value = 0;
	if (read_optional(dir, name, &text) < 0)
		return -1;
	if (text == NULL)
		return 0;
	if (strncmp(text, "max", 3) == 0) {
		*value = UINT64_MAX;
		return 0;
	}
	errno = 0;
	unsigned long long parsed = strtoull(text, &end, 10);
	if (errno != 0 || end == text)
		return cv_error_errno(EINVAL, "%s/%s: not a number", dir, name);
	*value = parsed;
	return 0;
}

bool cv_cgroup_keyed_value(const char *text, const char *key, uint64_t *value)
{
	size_t key_length = strlen(key);

	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, key, key_length) == 0 && line[key_length] == ' ') {
			*value = strtoull(line + key_length + 1, NULL, 10);
			return true;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return false;
}

int cv_cgroup_read_keyed_optional(const char *dir, const char *name, const char *key, uint64_t *value)
{
	cleanup_free char *text = NULL;

	*value = 0;
	if (read_optional(dir, name, &text) < 0)
		return -1;
	if (text != NULL && !cv_cgroup_keyed_value(text, key, value))
		*value = 0;
	return 0;
}

bool cv_cgroup_read_pressure(const char *dir, const char *name, uint64_t *total_ns)
{
	cleanup_free char *text = NULL;
	char path[PATH_MAX];
	const char *total;
	unsigned long long microseconds;

	*total_ns = 0;
	if (dir == NULL || cv_cgroup_path(path, dir, name) < 0 || cv_read_file(path, &text, NULL, 4096) < 0) {
		cv_error_clear();
		return false;
	}
	if (strncmp(text, "some ", 5) != 0 || (total = strstr(text, " total=")) == NULL ||
	    total > text + strcspn(text, "\n") || sscanf(total, " total=%llu", &microseconds) != 1)
		return false;
	*total_ns = (uint64_t)microseconds * 1000;
	return true;
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int cv_cgroup_read_procs(const char *dir, pid_t **pids, size_t *count)
{
	cleanup_free char *text = NULL;
	cleanup_free pid_t *list = NULL;
	size_t n = 0, capacity = 0;

	*pids = NULL;
	*count = 0;
	if (read_optional(dir, "cgroup.procs", &text) < 0)
		return -1;
	for (char *p = text; p != NULL && *p != '\0';) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (n == capacity) {
			size_t grown_capacity = capacity ? capacity * 2 : 64;
			pid_t *grown = realloc(list, grown_capacity * sizeof *grown);
			if (grown == NULL)
				return cv_error_errno(ENOMEM, "out of memory");
			list = grown;
			capacity = grown_capacity;
		}
		list[n++] = (pid_t)pid;
		p = end;
	}
	if (n > 0) {
		size_t unique = 1;

		qsort(list, n, sizeof *list, compare_pids);
		/* v1 lists a pid once per css_set it passed through; keep each once. */
		for (size_t i = 1; i < n; i++)
			if (list[i] != list[unique - 1])
				list[unique++] = list[i];
		n = unique;
	}
	*pids = cv_steal_pointer(&list);
	*count = n;
	return 0;
}

static int signal_tree(const char *dir, int signal, size_t *seen, int depth)
{
	cleanup_free pid_t *pids = NULL;
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;
	size_t count;

	if (cv_cgroup_read_procs(dir, &pids, &count) < 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		/* ESRCH: it died between the read and the kill, which is what we want. */
		if (kill(pids[i], signal) < 0 && errno != ESRCH)
			return cv_error_sys("kill %d", (int)pids[i]);
	}
	*seen += count;
	if (depth >= CV_CGROUP_MAX_DEPTH)
		return 0;
	listing = opendir(dir);
	if (listing == NULL)
		return errno == ENOENT ? 0 : cv_error_sys("open %s", dir);
	while ((entry = readdir(listing)) != NULL) {
		char child[PATH_MAX];

		if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (cv_cgroup_path(child, dir, entry->d_name) < 0 || signal_tree(child, signal, seen, depth + 1) < 0)
			return -1;
	}
	return 0;
}

int cv_cgroup_signal_tree(const char *dir, int signal, size_t *seen)
{
	*seen = 0;
	return signal_tree(dir, signal, seen, 0);
}

static int remove_children(const char *path, int depth)
{
	cleanup_dir DIR *listing = opendir(path);
	struct dirent *entry;

	if (listing == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((entry = readdir(listing)) != NULL) {
		char child[PATH_MAX];
		int n;

		if (entry->d_type != DT_DIR || strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		n = snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
		if (n < 0 || n >= (int)sizeof child) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (depth >= CV_CGROUP_MAX_DEPTH) {
			errno = ELOOP;
			return -1;
		}
		if (remove_children(child, depth + 1) < 0 || (rmdir(child) < 0 && errno != ENOENT))
			return -1;
	}
	return 0;
}

int cv_cgroup_remove_dir(const char *path)
{
	int64_t deadline = cv_monotonic_ns() + CV_CGROUP_RMDIR_TIMEOUT_NS;
	unsigned int round = 0;

	for (;;) {
		/* The files of a cgroup are not removable and need not be: rmdir takes them along. */
		if (remove_children(path, 0) == 0 && (rmdir(path) == 0 || errno == ENOENT))
			return 0;
		/* EBUSY while the last tasks finish exiting; anything else is final. */
		if (errno != EBUSY || cv_monotonic_ns() > deadline)
			return -1;
		cv_cgroup_backoff(&round);
	}
}

int cv_cgroup_mkdir(const char *path, bool allow_existing)
{
	if (mkdir(path, 0755) == 0 || (allow_existing && errno == EEXIST))
		return 0;
	if (errno == EEXIST)
		return cv_error_errno(EEXIST, "mkdir %s: already exists", path);
	return cv_error_sys("mkdir %s", path);
}

int cv_cgroup_host_memory(uint64_t *bytes)
{
	cleanup_free char *text = NULL;
	const char *line;

	if (cv_read_file("/proc/meminfo", &text, NULL, 1024 * 1024) < 0)
		return -1;
	line = strstr(text, "MemTotal:");
	if (line == NULL)
		return cv_error_errno(EINVAL, "/proc/meminfo: no MemTotal");
	*bytes = strtoull(line + strlen("MemTotal:"), NULL, 10) * 1024;
	return 0;
}

void cv_cgroup_backoff(unsigned int *round)
{
	long milliseconds = *round < 5 ? 1L << *round : 20;
	struct timespec delay = {0, (milliseconds > 20 ? 20 : milliseconds) * 1000000L};

	(*round)++;
	/* A shortened sleep only makes the caller poll sooner. */
	nanosleep(&delay, NULL);
}
