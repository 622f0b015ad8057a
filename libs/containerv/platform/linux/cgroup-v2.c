/*
 * The cgroup v2 backend: one directory, root/containerv/<id>, on the
 * unified hierarchy. Controllers reach it only when enabled in the
 * subtree_control of each ancestor, so create enables them on the way down.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/cgroup-internal.h"

/* In the order of enum cv_resource, so that a resource bit is a controller bit. */
enum v2_controller { V2_MEMORY, V2_CPU, V2_CPUSET, V2_PIDS, V2_IO, V2_HUGETLB, V2_COUNT };
_Static_assert(V2_MEMORY == (int)CV_RESOURCE_MEMORY && V2_CPU == (int)CV_RESOURCE_CPU &&
                       V2_CPUSET == (int)CV_RESOURCE_CPUSET && V2_PIDS == (int)CV_RESOURCE_PIDS &&
                       V2_IO == (int)CV_RESOURCE_IO && V2_HUGETLB == (int)CV_RESOURCE_HUGETLB,
               "v2 controllers follow enum cv_resource");

static const char *const controller_names[V2_COUNT] = {"memory", "cpu", "cpuset", "pids", "io", "hugetlb"};

#define BIT(controller) (1u << (controller))
#define V2_FREEZE_TIMEOUT_NS (1000000000LL)

struct cv_cgroup_v2 {
	struct cv_cgroup base;
	char *mount;  /* the cgroup2 mount: the root, or a hybrid host's unified/ */
	char *dir;    /* mount/containerv/<id> */
	int clone_fd; /* O_PATH of dir for CLONE_INTO_CGROUP */
};

static void v2_free(struct cv_cgroup *cgroup)
{
	struct cv_cgroup_v2 *v2 = (struct cv_cgroup_v2 *)cgroup;

	if (v2 == NULL)
		return;
	if (v2->clone_fd >= 0)
		close(v2->clone_fd);
	free(v2->dir);
	free(v2->mount);
	free(v2->base.id);
	free(v2);
}

static void v2_freep(struct cv_cgroup_v2 **v2)
{
	v2_free(*v2 != NULL ? &(*v2)->base : NULL);
}

static int v2_new(const char *mount, const char *id, struct cv_cgroup_v2 **out)
{
	__attribute__((cleanup(v2_freep))) struct cv_cgroup_v2 *v2 = cv_malloc0(sizeof *v2);

	if (v2 == NULL)
		return -1;
	v2->base.ops = &cv_cgroup_v2_ops;
	v2->clone_fd = -1;
	v2->base.id = cv_strdup(id);
	v2->mount = cv_strdup(mount);
	if (v2->base.id == NULL || v2->mount == NULL || cv_cgroup_dir_of(mount, id, &v2->dir) < 0)
		return -1;
	*out = cv_steal_pointer(&v2);
	return 0;
}

/* Whether a space-separated controller list ("cpuset cpu io memory pids") names one. */
static bool list_has(const char *list, const char *name)
{
	size_t length = strlen(name);

	for (const char *p = list; (p = strstr(p, name)) != NULL; p += length)
		if ((p == list || p[-1] == ' ') && (p[length] == ' ' || p[length] == '\n' || p[length] == '\0'))
			return true;
	return false;
}

static int read_list(const char *dir, const char *name, char **text)
{
	char path[PATH_MAX];

	if (cv_cgroup_path(path, dir, name) < 0)
		return -1;
	return cv_read_file(path, text, NULL, 4096);
}

/* Refuses, before anything is made, a limit whose controller the hierarchy does not have. */
static int check_available(const char *root, unsigned needed)
{
	cleanup_free char *available = NULL;

	if (read_list(root, "cgroup.controllers", &available) < 0)
		return -1;
	for (int controller = 0; controller < V2_COUNT; controller++)
		if ((needed & BIT(controller)) && !list_has(available, controller_names[controller]))
			return cv_error_errno(ENOTSUP,
			                      "the %s controller is not available in %s/cgroup.controllers "
			                      "(a limit needs it)",
			                      controller_names[controller], root);
	return 0;
}

/*
 * Enables our controllers for dir's children, one write each: a controller
 * the kernel refuses (cpu with realtime tasks around, for one) only matters
 * when a limit needs it; statistics do without.
 */
static int enable_controllers(const char *dir, unsigned needed)
{
	cleanup_free char *available = NULL, *enabled = NULL;

	if (read_list(dir, "cgroup.controllers", &available) < 0 ||
	    read_list(dir, "cgroup.subtree_control", &enabled) < 0)
		return -1;
	for (int controller = 0; controller < V2_COUNT; controller++) {
		const char *name = controller_names[controller];
		char change[16];

		if (!list_has(available, name) || list_has(enabled, name))
			continue;
		snprintf(change, sizeof change, "+%s", name);
		if (cv_cgroup_write(dir, "cgroup.subtree_control", change) == 0)
			continue;
		if (needed & BIT(controller))
			return cv_error_prefix("enable the %s controller", name);
		cv_log(CONTAINERV_LOG_WARNING, "cgroup: cannot enable %s in %s: %s", name, dir,
		       containerv_last_error());
	}
	for (int controller = 0; controller < V2_COUNT; controller++)
		if ((needed & BIT(controller)) && !list_has(available, controller_names[controller]))
			return cv_error_errno(ENOTSUP, "the %s controller is not available in %s (a limit needs it)",
			                      controller_names[controller], dir);
	return 0;
}

static int write_number(const char *dir, const char *name, long long value)
{
	char text[32];

	snprintf(text, sizeof text, "%lld", value);
	return cv_cgroup_write(dir, name, text);
}

static int apply_memory(const char *dir, const struct containerv_limits *limits)
{
	/* v2 has no switch that spares a cgroup from the OOM killer (memory.oom.group only widens a kill). */
	if (limits->oom_kill_disable)
		return cv_error_errno(ENOTSUP, "--oom-kill-disable: cgroup v2 has no way to disable the OOM killer "
		                               "(docker ignores it there; containerv refuses it)");
	if (limits->memory_bytes > 0 && write_number(dir, "memory.max", limits->memory_bytes) < 0)
		return cv_error_prefix("memory limit");
	if (limits->memory_reservation_bytes > 0 &&
	    write_number(dir, "memory.low", limits->memory_reservation_bytes) < 0)
		return cv_error_prefix("memory reservation");
	if (limits->memory_swap_bytes == 0)
		return 0;
	if (!cv_cgroup_has_file(dir, "memory.swap.max"))
		return cv_error_errno(ENOTSUP, "memory+swap limit: %s/memory.swap.max is missing (no swap accounting)",
		                      dir);
	/* v2 limits swap alone; docker's --memory-swap counts memory and swap together. */
	if ((limits->memory_swap_bytes < 0
	             ? cv_cgroup_write(dir, "memory.swap.max", "max")
	             : write_number(dir, "memory.swap.max", limits->memory_swap_bytes - limits->memory_bytes)) < 0)
		return cv_error_prefix("memory+swap limit");
	return 0;
}

static int apply_cpu(const char *dir, const struct containerv_limits *limits)
{
	uint64_t period = limits->cpu_period_us != 0 ? limits->cpu_period_us : 100000;
	char text[64];

	if (limits->cpu_shares != 0) {
		/* The mapping runc and crun use: shares 2..262144 onto weight 1..10000. */
		uint64_t weight = 1 + ((limits->cpu_shares - 2) * 9999) / 262142;

		if (write_number(dir, "cpu.weight", (long long)weight) < 0)
			return cv_error_prefix("cpu shares");
	}
	if (limits->cpu_quota_us == 0 && limits->cpu_period_us == 0)
		return 0;
	if (limits->cpu_quota_us != 0)
		snprintf(text, sizeof text, "%llu %llu", (unsigned long long)limits->cpu_quota_us,
		         (unsigned long long)period);
	else
		snprintf(text, sizeof text, "max %llu", (unsigned long long)period);
	if (cv_cgroup_write(dir, "cpu.max", text) < 0)
		return cv_error_prefix("cpu quota");
	return 0;
}

static int apply_cpuset(const char *dir, const struct containerv_limits *limits)
{
	if (limits->cpuset_cpus[0] != '\0' && cv_cgroup_write(dir, "cpuset.cpus", limits->cpuset_cpus) < 0)
		return cv_error_prefix("cpuset cpus");
	if (limits->cpuset_mems[0] != '\0' && cv_cgroup_write(dir, "cpuset.mems", limits->cpuset_mems) < 0)
		return cv_error_prefix("cpuset mems");
	return 0;
}

static int apply_pids(const char *dir, const struct containerv_limits *limits)
{
	int ret;

	if (limits->pids_max == 0)
		return 0;
	ret = limits->pids_max < 0 ? cv_cgroup_write(dir, "pids.max", "max")
	                           : write_number(dir, "pids.max", limits->pids_max);
	return ret < 0 ? cv_error_prefix("pids limit") : 0;
}

/*
 * The blkio weight (10..1000, v1's scale) on io.weight's scale (1..10000): the linear map runc
 * and crun use, so that --blkio-weight gives the same share under every runtime (300 is 2930).
 */
static unsigned io_weight_from_blkio(unsigned weight)
{
	return 1 + (weight - 10) * 9999 / 990;
}

static int apply_io(const char *dir, const struct containerv_limits *limits)
{
	char text[32];

	if (limits->io_weight == 0)
		return 0;
	/* BFQ's io.bfq.weight has the blkio scale and decides when BFQ schedules the disk (as runc and crun). */
	if (cv_cgroup_has_file(dir, "io.bfq.weight")) {
		snprintf(text, sizeof text, "default %u", limits->io_weight);
		return cv_cgroup_write(dir, "io.bfq.weight", text) < 0 ? cv_error_prefix("io weight") : 0;
	}
	/* io.weight is blk-iocost's. */
	if (cv_cgroup_has_file(dir, "io.weight")) {
		snprintf(text, sizeof text, "default %u", io_weight_from_blkio(limits->io_weight));
		return cv_cgroup_write(dir, "io.weight", text) < 0 ? cv_error_prefix("io weight") : 0;
	}
	return cv_error_errno(ENOTSUP, "io weight: %s has neither io.weight nor io.bfq.weight", dir);
}

/*
 * hugetlb.<size>.max limits the pages faulted in: past it the fault is a SIGBUS. hugetlb.<size>.rsvd.max
 * (5.7+) limits the reservations mmap makes, so that the mapping itself fails with ENOMEM instead; both
 * are written, as runc and crun do.
 */
static int apply_hugetlb(const char *dir, const struct containerv_limits *limits)
{
	for (uint32_t i = 0; i < limits->hugetlb_count; i++) {
		char size[24], file[64];

		if (containerv_hugetlb_size_name(limits->hugetlb[i].page_size, size, sizeof size) < 0)
			return -1;
		snprintf(file, sizeof file, "hugetlb.%s.max", size);
		if (!cv_cgroup_has_file(dir, file))
			return cv_error_errno(ENOTSUP, "hugetlb %s: %s/%s is missing", size, dir, file);
		if (write_number(dir, file, (long long)limits->hugetlb[i].limit_bytes) < 0)
			return cv_error_prefix("hugetlb %s limit", size);
		snprintf(file, sizeof file, "hugetlb.%s.rsvd.max", size);
		if (cv_cgroup_has_file(dir, file) &&
		    write_number(dir, file, (long long)limits->hugetlb[i].limit_bytes) < 0)
			return cv_error_prefix("hugetlb %s reservation limit", size);
	}
	return 0;
}

/* One per resource, in the order of enum cv_resource: create and update apply them in turn. */
static int (*const appliers[CV_RESOURCE_COUNT])(const char *, const struct containerv_limits *) = {
        [CV_RESOURCE_MEMORY] = apply_memory, [CV_RESOURCE_CPU] = apply_cpu, [CV_RESOURCE_CPUSET] = apply_cpuset,
        [CV_RESOURCE_PIDS] = apply_pids,     [CV_RESOURCE_IO] = apply_io,   [CV_RESOURCE_HUGETLB] = apply_hugetlb,
};

/* Applies the resources limits sets; *applied collects the ones written. */
static int apply_limits(const char *dir, const struct containerv_limits *limits, unsigned *applied)
{
	unsigned resources = cv_limits_resources(limits);

	for (int resource = 0; resource < CV_RESOURCE_COUNT; resource++) {
		if (!(resources & (1u << resource)))
			continue;
		if (appliers[resource](dir, limits) < 0)
			return -1;
		*applied |= 1u << resource;
	}
	return 0;
}

static int open_clone_fd(struct cv_cgroup_v2 *v2)
{
	v2->clone_fd = open(v2->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (v2->clone_fd < 0)
		return cv_error_sys("open %s", v2->dir);
	return 0;
}

/* A parent of the container's cgroup: made when missing, with the controllers its children need. */
static int make_parent(const char *parent, void *needed)
{
	if (cv_cgroup_mkdir(parent, true) < 0)
		return -1;
	return enable_controllers(parent, *(unsigned *)needed);
}

static int make_and_apply(struct cv_cgroup_v2 *v2, const struct containerv_limits *limits, bool *created)
{
	const char *root = v2->mount;
	unsigned needed = cv_limits_resources(limits), applied = 0;

	if (check_available(root, needed) < 0)
		return -1;
	if (enable_controllers(root, needed) < 0)
		return -1;
	/* The parents stay once made; ENOENT means someone removed one meanwhile: make them again. */
	for (int attempt = 0;; attempt++) {
		if (cv_cgroup_make_parents(root, v2->dir, make_parent, &needed) == 0 &&
		    cv_cgroup_mkdir(v2->dir, false) == 0)
			break;
		if (errno != ENOENT || attempt == 5)
			return -1;
	}
	*created = true;
	if (apply_limits(v2->dir, limits, &applied) < 0)
		return -1;
	return open_clone_fd(v2);
}

int cv_cgroup_v2_create_at(const char *mount, const char *id, const struct containerv_limits *limits,
                           struct cv_cgroup **out)
{
	__attribute__((cleanup(v2_freep))) struct cv_cgroup_v2 *v2 = NULL;
	bool created = false;

	if (v2_new(mount, id, &v2) < 0)
		return -1;
	if (make_and_apply(v2, limits, &created) < 0) {
		int saved = errno;

		if (created)
			cv_cgroup_remove_dir(v2->dir);
		errno = saved;
		return -1;
	}
	*out = &cv_steal_pointer(&v2)->base;
	return 0;
}

static int v2_create(const char *id, const struct containerv_limits *limits, struct cv_cgroup **out)
{
	return cv_cgroup_v2_create_at(cv_cgroup_root(), id, limits, out);
}

int cv_cgroup_v2_open_at(const char *mount, const char *id, struct cv_cgroup **out)
{
	__attribute__((cleanup(v2_freep))) struct cv_cgroup_v2 *v2 = NULL;

	if (v2_new(mount, id, &v2) < 0 || open_clone_fd(v2) < 0)
		return -1;
	*out = &cv_steal_pointer(&v2)->base;
	return 0;
}

static int v2_open(const char *id, struct cv_cgroup **out)
{
	return cv_cgroup_v2_open_at(cv_cgroup_root(), id, out);
}

const char *cv_cgroup_v2_dir(struct cv_cgroup *cgroup)
{
	return ((struct cv_cgroup_v2 *)cgroup)->dir;
}

static int v2_add_pid(struct cv_cgroup *cgroup, pid_t pid)
{
	char text[32];

	snprintf(text, sizeof text, "%d", (int)pid);
	return cv_cgroup_write(((struct cv_cgroup_v2 *)cgroup)->dir, "cgroup.procs", text);
}

/* None: clone3's CLONE_INTO_CGROUP places the child, and cgroup.threads works only in threaded cgroups. */
static int v2_open_join_fds(struct cv_cgroup *cgroup, int *fds, size_t max)
{
	(void)cgroup;
	(void)fds;
	(void)max;
	return 0;
}

static int v2_clone_fd(struct cv_cgroup *cgroup)
{
	return ((struct cv_cgroup_v2 *)cgroup)->clone_fd;
}

/* Sums "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." over every device. */
static int read_io(const char *dir, struct containerv_stats *stats)
{
	static const char *const keys[] = {"rbytes=", "wbytes=", "rios=", "wios="};
	uint64_t *fields[] = {&stats->read_bytes, &stats->write_bytes, &stats->read_ops, &stats->write_ops};
	cleanup_free char *text = NULL;
	char path[PATH_MAX];

	for (size_t i = 0; i < 4; i++)
		*fields[i] = 0;
	if (cv_cgroup_path(path, dir, "io.stat") < 0)
		return -1;
	if (cv_read_file(path, &text, NULL, 16 * 1024 * 1024) < 0)
		return errno == ENOENT ? 0 : -1;
	char *save = NULL;

	for (char *token = strtok_r(text, " \n", &save); token != NULL; token = strtok_r(NULL, " \n", &save))
		for (size_t i = 0; i < 4; i++)
			if (strncmp(token, keys[i], strlen(keys[i])) == 0)
				*fields[i] += strtoull(token + strlen(keys[i]), NULL, 10);
	return 0;
}

static int read_memory(const char *dir, struct containerv_stats *stats)
{
	cleanup_free char *memory_stat = NULL;
	uint64_t usage, inactive = 0, limit, host;
	char path[PATH_MAX];

	if (cv_cgroup_read_u64_optional(dir, "memory.current", &usage) < 0 ||
	    cv_cgroup_read_u64_optional(dir, "memory.peak", &stats->memory_peak) < 0 ||
	    cv_cgroup_read_u64_optional(dir, "memory.max", &limit) < 0 || cv_cgroup_host_memory(&host) < 0)
		return -1;
	/* docker's "usage": reclaimable page cache is left out. */
	if (cv_cgroup_path(path, dir, "memory.stat") == 0 && cv_read_file(path, &memory_stat, NULL, 1024 * 1024) == 0)
		cv_cgroup_keyed_value(memory_stat, "inactive_file", &inactive);
	stats->memory_usage = inactive < usage ? usage - inactive : usage;
	/* memory.peak is 5.19+; before it the current usage is the best lower bound. */
	if (stats->memory_peak < usage)
		stats->memory_peak = usage;
	stats->memory_limit = limit == 0 || limit > host ? host : limit;
	return cv_cgroup_read_keyed_optional(dir, "memory.events", "oom_kill", &stats->oom_kills);
}

/* cpu.stat's throttling counters: there once the cpu controller is enabled (0 before any quota). */
static int read_throttling(const char *dir, struct containerv_stats *stats)
{
	uint64_t throttled_usec;

	if (cv_cgroup_read_keyed_optional(dir, "cpu.stat", "nr_throttled", &stats->cpu_throttled_periods) < 0 ||
	    cv_cgroup_read_keyed_optional(dir, "cpu.stat", "throttled_usec", &throttled_usec) < 0)
		return -1;
	stats->cpu_throttled_ns = throttled_usec * 1000;
	return 0;
}

static int v2_read_stats(struct cv_cgroup *cgroup, struct containerv_stats *stats)
{
	const char *dir = ((struct cv_cgroup_v2 *)cgroup)->dir;
	uint64_t usage_usec, active;

	/* cpu.stat's usage_usec is there even without the cpu controller. */
	if (read_memory(dir, stats) < 0 ||
	    cv_cgroup_read_keyed_optional(dir, "cpu.stat", "usage_usec", &usage_usec) < 0 || read_io(dir, stats) < 0)
		return -1;
	stats->cpu_time_ns = usage_usec * 1000;
	if (read_throttling(dir, stats) < 0)
		return -1;
	stats->has_pressure = cv_cgroup_read_pressure(dir, "cpu.pressure", &stats->cpu_pressure_ns) &&
	                      cv_cgroup_read_pressure(dir, "memory.pressure", &stats->memory_pressure_ns) &&
	                      cv_cgroup_read_pressure(dir, "io.pressure", &stats->io_pressure_ns);
	if (cv_cgroup_has_file(dir, "pids.current")) {
		if (cv_cgroup_read_u64_optional(dir, "pids.current", &active) < 0)
			return -1;
	} else {
		cleanup_free pid_t *list = NULL;
		size_t count;

		if (cv_cgroup_read_procs(dir, &list, &count) < 0)
			return -1;
		active = count;
	}
	stats->active_processes = active > UINT32_MAX ? UINT32_MAX : (uint32_t)active;
	return 0;
}

static int v2_oom_kills(struct cv_cgroup *cgroup, uint64_t *kills)
{
	return cv_cgroup_read_keyed_optional(((struct cv_cgroup_v2 *)cgroup)->dir, "memory.events", "oom_kill", kills);
}

static int v2_pids(struct cv_cgroup *cgroup, pid_t **pids, size_t *count)
{
	return cv_cgroup_read_procs(((struct cv_cgroup_v2 *)cgroup)->dir, pids, count);
}

/* Before 5.14 there is no cgroup.kill: freeze, kill each process, thaw. */
static int freeze_and_kill(const char *dir)
{
	int64_t deadline = cv_monotonic_ns() + V2_FREEZE_TIMEOUT_NS;
	unsigned int round = 0;
	uint64_t frozen = 0;
	size_t seen;
	int ret;

	if (cv_cgroup_write(dir, "cgroup.freeze", "1") < 0)
		return -1;
	/* A task in an uninterruptible sleep can hold "frozen 0" for long: kill anyway after the wait. */
	while (cv_cgroup_read_keyed_optional(dir, "cgroup.events", "frozen", &frozen) == 0 && frozen == 0 &&
	       cv_monotonic_ns() < deadline)
		cv_cgroup_backoff(&round);
	ret = cv_cgroup_signal_tree(dir, SIGKILL, &seen);
	if (cv_cgroup_write(dir, "cgroup.freeze", "0") < 0)
		return -1;
	return ret;
}

static int v2_kill_all(struct cv_cgroup *cgroup)
{
	const char *dir = ((struct cv_cgroup_v2 *)cgroup)->dir;
	int64_t deadline = cv_monotonic_ns() + CV_CGROUP_KILL_TIMEOUT_NS;
	bool has_kill = cv_cgroup_has_file(dir, "cgroup.kill");
	unsigned int round = 0;

	for (;;) {
		uint64_t populated;

		/* "populated" covers sub-cgroups and drops as soon as the last task exits (zombies do not count). */
		if (cv_cgroup_read_keyed_optional(dir, "cgroup.events", "populated", &populated) < 0)
			return -1;
		if (populated == 0)
			return 0;
		if (cv_monotonic_ns() > deadline)
			return cv_error_errno(ETIMEDOUT, "processes still in %s after 5 s", dir);
		/* cgroup.kill also catches children forked while it runs. */
		if ((has_kill ? cv_cgroup_write(dir, "cgroup.kill", "1") : freeze_and_kill(dir)) < 0)
			return -1;
		cv_cgroup_backoff(&round);
	}
}

static int v2_destroy(struct cv_cgroup *cgroup)
{
	const char *dir = ((struct cv_cgroup_v2 *)cgroup)->dir;

	if (v2_kill_all(cgroup) < 0)
		return -1;
	if (cv_cgroup_remove_dir(dir) < 0)
		return cv_error_sys("remove %s", dir);
	/* The shared parent stays, as on v1 (cgroup-v1.c says why). */
	return 0;
}

static int v2_restrict_devices(struct cv_cgroup *cgroup, const struct cv_device_rule *rules, size_t count)
{
	struct cv_cgroup_v2 *v2 = (struct cv_cgroup_v2 *)cgroup;
	cleanup_close int fd = open(v2->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cv_error_sys("open %s", v2->dir);
	return cv_cgroup_v2_attach_devices(fd, rules, count);
}

/*
 * The controllers a cgroup may use are those its parent enabled, listed in its
 * own cgroup.controllers: one enabled at create is there, a limit on one that
 * is not is refused before anything is written.
 */
static int v2_update(struct cv_cgroup *cgroup, const struct containerv_limits *request, unsigned *applied)
{
	const char *dir = ((struct cv_cgroup_v2 *)cgroup)->dir;
	unsigned needed = cv_limits_resources(request);
	cleanup_free char *available = NULL;

	if (read_list(dir, "cgroup.controllers", &available) < 0)
		return -1;
	for (int controller = 0; controller < V2_COUNT; controller++)
		if ((needed & BIT(controller)) && !list_has(available, controller_names[controller]))
			return cv_error_errno(ENOTSUP, "the %s controller is not enabled for %s (a limit needs it)",
			                      controller_names[controller], dir);
	return apply_limits(dir, request, applied);
}

/* cgroup.freeze (5.2+) asks; cgroup.events' "frozen 1" says every task has stopped. */
static int v2_freeze(struct cv_cgroup *cgroup, bool frozen)
{
	const char *dir = ((struct cv_cgroup_v2 *)cgroup)->dir;
	int64_t deadline = cv_monotonic_ns() + cv_cgroup_freeze_timeout_ns;
	unsigned int round = 0;
	uint64_t settled = 0;

	if (!cv_cgroup_has_file(dir, "cgroup.freeze"))
		return cv_error_errno(ENOTSUP, "%s/cgroup.freeze is missing (the v2 freezer needs Linux 5.2)", dir);
	if (cv_cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0") < 0)
		return -1;
	if (!frozen)
		return 0;
	for (;;) {
		if (cv_cgroup_read_keyed_optional(dir, "cgroup.events", "frozen", &settled) < 0)
			break;
		if (settled == 1)
			return 0;
		if (cv_monotonic_ns() >= deadline) {
			cv_error_errno(ETIMEDOUT,
			               "%s did not report frozen within %lld ms (a task is stuck in the kernel)", dir,
			               (long long)(cv_cgroup_freeze_timeout_ns / 1000000));
			break;
		}
		cv_cgroup_backoff(&round);
	}
	/* Half frozen helps no one: back to running, and the pause fails with the reason kept. */
	struct cv_error_saved saved;
	cv_error_save(&saved);
	cv_cgroup_write(dir, "cgroup.freeze", "0");
	return cv_error_restore(&saved);
}

/*
 * OCI's linux.resources.unified: the key is a file of the container's own cgroup, opened relative to
 * it without following a link; cv_cgroup_file_name_check has refused any other name. A missing file
 * is a controller that is not enabled (or a name the kernel does not have): said so.
 */
static int v2_write_unified(struct cv_cgroup *cgroup, const char *key, const char *value)
{
	const char *dir = ((struct cv_cgroup_v2 *)cgroup)->dir;
	cleanup_free char *available = NULL;
	cleanup_close int dir_fd = -1, fd = -1;
	size_t length = strlen(value);

	if (read_list(dir, "cgroup.controllers", &available) < 0)
		return -1;
	if (strncmp(key, "cgroup.", 7) != 0) {
		char controller[NAME_MAX + 1];

		snprintf(controller, sizeof controller, "%.*s", (int)strcspn(key, "."), key);
		if (!list_has(available, controller))
			return cv_error_errno(ENOTSUP, "unified %s: the %s controller is not enabled for %s", key,
			                      controller, dir);
	}
	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return cv_error_sys("open %s", dir);
	fd = openat(dir_fd, key, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? cv_error_errno(ENOENT, "unified %s: no such file in %s", key, dir)
		                       : cv_error_sys("unified %s: open in %s", key, dir);
	if (write(fd, value, length) != (ssize_t)length)
		return cv_error_sys("unified %s: write \"%s\"", key, value);
	return 0;
}

static int v2_is_frozen(struct cv_cgroup *cgroup, bool *frozen)
{
	uint64_t value = 0;

	if (cv_cgroup_read_keyed_optional(((struct cv_cgroup_v2 *)cgroup)->dir, "cgroup.events", "frozen", &value) < 0)
		return -1;
	*frozen = value == 1;
	return 0;
}

const struct cv_cgroup_ops cv_cgroup_v2_ops = {
        .name = "v2",
        .create = v2_create,
        .open = v2_open,
        .add_pid = v2_add_pid,
        .clone_fd = v2_clone_fd,
        .open_join_fds = v2_open_join_fds,
        .read_stats = v2_read_stats,
        .oom_kills = v2_oom_kills,
        .pids = v2_pids,
        .kill_all = v2_kill_all,
        .restrict_devices = v2_restrict_devices,
        .destroy = v2_destroy,
        .update = v2_update,
        .freeze = v2_freeze,
        .is_frozen = v2_is_frozen,
        .write_unified = v2_write_unified,
        .free = v2_free,
};
