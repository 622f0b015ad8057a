/*
 * The cgroup v1 backend (also used on hybrid hosts): one directory per
 * mounted hierarchy. A hierarchy may carry several controllers
 * ("cpu,cpuacct" co-mounted, with or without the cpu and cpuacct symlinks)
 * or one each (separate mounts); directories are created once per
 * hierarchy, never once per controller.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/cgroup-internal.h"

enum v1_controller {
	V1_CPU,
	V1_CPUACCT,
	V1_CPUSET,
	V1_MEMORY,
	V1_PIDS,
	V1_BLKIO,
	V1_DEVICES,
	V1_FREEZER,
	V1_HUGETLB,
	V1_COUNT
};

static const char *const controller_names[V1_COUNT] = {
        "cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer", "hugetlb",
};

#define BIT(controller) (1u << (controller))

/* How long kill_all waits for FREEZING to become FROZEN before killing anyway. */
#define V1_FREEZE_TIMEOUT_NS (1000000000LL)

struct v1_hierarchy {
	char *mount;          /* the hierarchy's root, e.g. /sys/fs/cgroup/memory */
	char *dir;            /* the container's cgroup in it; NULL when absent (open) */
	unsigned controllers; /* BIT(enum v1_controller) */
	dev_t device;         /* identify a hierarchy reached through two names */
	ino_t inode;
	bool created; /* by this create call: the only ones a rollback removes */
};

struct cv_cgroup_v1 {
	struct cv_cgroup base;
	size_t count;
	struct v1_hierarchy hierarchies[V1_COUNT];
	int index[V1_COUNT]; /* controller -> hierarchy, -1 when not mounted */
	/*
	 * systemd's hybrid layout binds hugetlb to the cgroup2 mount at unified/ (no v1 hierarchy of it):
	 * a container with huge page limits gets a v2 cgroup there too, which its processes join.
	 */
	char *unified_mount;       /* root/unified when it is cgroup2 with the hugetlb controller */
	struct cv_cgroup *unified; /* the container's cgroup in it; NULL when it has none */
	bool unified_created;
};

static const char *controller_dir(const struct cv_cgroup_v1 *v1, enum v1_controller controller)
{
	return v1->index[controller] < 0 ? NULL : v1->hierarchies[v1->index[controller]].dir;
}

/* Where the processes are counted and killed: the freezer's directory, as kill_all freezes that one. */
static const char *procs_dir(const struct cv_cgroup_v1 *v1)
{
	static const enum v1_controller preference[] = {V1_FREEZER, V1_PIDS, V1_MEMORY, V1_CPU};

	for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++)
		if (controller_dir(v1, preference[i]) != NULL)
			return controller_dir(v1, preference[i]);
	for (size_t i = 0; i < v1->count; i++)
		if (v1->hierarchies[i].dir != NULL)
			return v1->hierarchies[i].dir;
	return NULL;
}

static bool list_has(const char *list, const char *name)
{
	size_t length = strlen(name);

	for (const char *p = list; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, length) == 0 && (p[length] == ',' || p[length] == '\0'))
			return true;
	return false;
}

/* The mount of a controller: root/<name>, or a co-mounted root/<a,b> without the per-name symlinks. */
static int find_mount(const char *root, const char *name, char *path, bool *found)
{
	cleanup_dir DIR *listing = NULL;
	struct dirent *entry;
	struct stat st;

	*found = false;
	if (cv_cgroup_path(path, root, name) < 0)
		return -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		*found = true;
		return 0;
	}
	listing = opendir(root);
	if (listing == NULL)
		return cv_error_sys("open cgroup root %s", root);
	while ((entry = readdir(listing)) != NULL) {
		if (strchr(entry->d_name, ',') == NULL || !list_has(entry->d_name, name))
			continue;
		*found = true;
		return cv_cgroup_path(path, root, entry->d_name);
	}
	return 0;
}

static int add_hierarchy(struct cv_cgroup_v1 *v1, enum v1_controller controller, const char *mount, const char *id)
{
	struct v1_hierarchy *hierarchy;
	struct stat st;

	if (stat(mount, &st) < 0)
		return cv_error_sys("stat %s", mount);
	for (size_t i = 0; i < v1->count; i++) {
		if (v1->hierarchies[i].device == st.st_dev && v1->hierarchies[i].inode == st.st_ino) {
			v1->hierarchies[i].controllers |= BIT(controller);
			v1->index[controller] = (int)i;
			return 0;
		}
	}
	hierarchy = &v1->hierarchies[v1->count];
	hierarchy->mount = cv_strdup(mount);
	if (hierarchy->mount == NULL || cv_cgroup_dir_of(mount, id, &hierarchy->dir) < 0)
		return -1;
	hierarchy->controllers = BIT(controller);
	hierarchy->device = st.st_dev;
	hierarchy->inode = st.st_ino;
	v1->index[controller] = (int)v1->count++;
	return 0;
}

static void v1_free(struct cv_cgroup *cgroup)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;

	if (v1 == NULL)
		return;
	for (size_t i = 0; i < v1->count; i++) {
		free(v1->hierarchies[i].mount);
		free(v1->hierarchies[i].dir);
	}
	cv_cgroup_free(v1->unified);
	free(v1->unified_mount);
	free(v1->base.id);
	free(v1);
}

static void v1_freep(struct cv_cgroup_v1 **v1)
{
	v1_free(*v1 != NULL ? &(*v1)->base : NULL);
}

/* root/unified, when it is a cgroup2 mount whose controllers include hugetlb; *mount stays NULL otherwise. */
static int find_unified_hugetlb(const char *root, char **mount)
{
	cleanup_free char *controllers = NULL;
	char unified[PATH_MAX], path[PATH_MAX];
	struct statfs fs;

	if (cv_cgroup_path(unified, root, "unified") < 0 || statfs(unified, &fs) < 0 ||
	    fs.f_type != CGROUP2_SUPER_MAGIC)
		return 0;
	if (cv_cgroup_path(path, unified, "cgroup.controllers") < 0 ||
	    cv_read_file(path, &controllers, NULL, 4096) < 0) {
		cv_error_clear();
		return 0;
	}
	for (char *save = NULL, *name = strtok_r(controllers, " \n", &save); name != NULL;
	     name = strtok_r(NULL, " \n", &save))
		if (strcmp(name, "hugetlb") == 0) {
			return (*mount = cv_strdup(unified)) != NULL ? 0 : -1;
		}
	return 0;
}

/* Allocates the object and finds the mounted hierarchies; touches nothing. */
static int v1_discover(const char *id, struct cv_cgroup_v1 **out)
{
	__attribute__((cleanup(v1_freep))) struct cv_cgroup_v1 *v1 = cv_malloc0(sizeof *v1);
	const char *root = cv_cgroup_root();

	if (v1 == NULL)
		return -1;
	v1->base.ops = &cv_cgroup_v1_ops;
	v1->base.id = cv_strdup(id);
	if (v1->base.id == NULL)
		return -1;
	for (int controller = 0; controller < V1_COUNT; controller++) {
		char mount[PATH_MAX];
		bool found;

		v1->index[controller] = -1;
		if (find_mount(root, controller_names[controller], mount, &found) < 0)
			return -1;
		if (found && add_hierarchy(v1, controller, mount, id) < 0)
			return -1;
	}
	if (v1->count == 0)
		return cv_error_errno(ENOENT, "no cgroup v1 controller is mounted under %s", root);
	if (v1->index[V1_HUGETLB] < 0 && find_unified_hugetlb(root, &v1->unified_mount) < 0)
		return -1;
	*out = cv_steal_pointer(&v1);
	return 0;
}

/* The v1 controller of each resource. */
static unsigned needed_controllers(const struct containerv_limits *limits)
{
	static const enum v1_controller controller_of[] = {
	        [CV_RESOURCE_MEMORY] = V1_MEMORY, [CV_RESOURCE_CPU] = V1_CPU,  [CV_RESOURCE_CPUSET] = V1_CPUSET,
	        [CV_RESOURCE_PIDS] = V1_PIDS,     [CV_RESOURCE_IO] = V1_BLKIO, [CV_RESOURCE_HUGETLB] = V1_HUGETLB,
	};
	unsigned resources = cv_limits_resources(limits), needed = 0;

	for (unsigned r = 0; r < sizeof controller_of / sizeof controller_of[0]; r++) {
		if (resources & (1u << r))
			needed |= BIT(controller_of[r]);
	}
	return needed;
}

/*
 * A new cpuset cgroup starts with empty cpus and mems, and a task cannot
 * join a cpuset without CPUs: copy the parent's unless already set.
 */
static int cpuset_inherit(const char *parent, const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *current = NULL, *inherited = NULL;
		char path[PATH_MAX];

		if (cv_cgroup_path(path, dir, files[i]) < 0 || cv_read_file(path, &current, NULL, 65536) < 0)
			return -1;
		if (current[0] != '\0' && current[0] != '\n')
			continue;
		if (cv_cgroup_path(path, parent, files[i]) < 0 || cv_read_file(path, &inherited, NULL, 65536) < 0)
			return -1;
		if (inherited[0] != '\0' && inherited[0] != '\n' && cv_cgroup_write(dir, files[i], inherited) < 0)
			return -1;
	}
	return 0;
}

/*
 * The shared parent "containerv" stays once made, as docker's "docker" does:
 * making and removing it around every container cost two more directory
 * operations per hierarchy and start. Its cpuset gets the root's CPUs and
 * memory nodes and clone_children, so that a container's cpuset starts
 * with them (cpuset_inherit then only reads).
 */
/*
 * The parent's CPUs and memory nodes, checked at every create: empty ones (a create killed before
 * it set them, or a racing one) are the root's, and that must work. A non-empty one that differs
 * from the root's (a CPU that went offline and came back is not given back to existing v1
 * cpusets) is widened when the kernel lets us; where it does not (an exclusive sibling cpuset,
 * an admin's choice), the parent stays as it is.
 */
static int cpuset_match_root(const char *root, const char *parent)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *wanted = NULL, *current = NULL;
		char path[PATH_MAX];

		if (cv_cgroup_path(path, root, files[i]) < 0 || cv_read_file(path, &wanted, NULL, 65536) < 0 ||
		    cv_cgroup_path(path, parent, files[i]) < 0 || cv_read_file(path, &current, NULL, 65536) < 0)
			return -1;
		if (strcmp(wanted, current) == 0)
			continue;
		bool empty = current[0] == '\0' || current[0] == '\n';
		if (cv_cgroup_write(parent, files[i], wanted) < 0) {
			if (empty)
				return -1;
			cv_error_clear();
		}
	}
	return 0;
}

static int make_parent(const struct v1_hierarchy *hierarchy, const char *parent)
{
	bool made = mkdir(parent, 0755) == 0;

	if (!made && errno != EEXIST)
		return cv_error_sys("mkdir %s", parent);
	if (!(hierarchy->controllers & BIT(V1_CPUSET)))
		return 0;
	if (cpuset_match_root(hierarchy->mount, parent) < 0 ||
	    (made && cv_cgroup_write(parent, "cgroup.clone_children", "1") < 0)) {
		int saved = errno;
		if (made)
			rmdir(parent);
		errno = saved;
		return -1;
	}
	return 0;
}

static int make_parent_of_hierarchy(const char *parent, void *hierarchy)
{
	return make_parent(hierarchy, parent);
}

/* ENOENT: a parent was removed (an admin, a test's cleanup) between our mkdirs: again. */
static int make_dir_in(struct v1_hierarchy *hierarchy)
{
	char parent[PATH_MAX];

	snprintf(parent, sizeof parent, "%s", hierarchy->dir);
	*strrchr(parent, '/') = '\0';
	for (int attempt = 0;; attempt++) {
		if (cv_cgroup_make_parents(hierarchy->mount, hierarchy->dir, make_parent_of_hierarchy, hierarchy) ==
		            0 &&
		    cv_cgroup_mkdir(hierarchy->dir, false) == 0)
			break;
		if (errno != ENOENT || attempt == 5)
			return -1;
	}
	hierarchy->created = true;
	if ((hierarchy->controllers & BIT(V1_CPUSET)) && cpuset_inherit(parent, hierarchy->dir) < 0)
		return -1;
	return 0;
}

static int make_dirs(struct cv_cgroup_v1 *v1)
{
	for (size_t i = 0; i < v1->count; i++) {
		if (make_dir_in(&v1->hierarchies[i]) < 0)
			return -1;
	}
	return 0;
}

static int write_number(const char *dir, const char *name, long long value)
{
	char text[32];

	snprintf(text, sizeof text, "%lld", value);
	return cv_cgroup_write(dir, name, text);
}

static int write_memory_swap(const char *dir, int64_t bytes)
{
	if (!cv_cgroup_has_file(dir, "memory.memsw.limit_in_bytes"))
		return cv_error_errno(ENOTSUP,
		                      "memory+swap limit: %s/memory.memsw.limit_in_bytes is missing "
		                      "(swap accounting is off; boot with swapaccount=1)",
		                      dir);
	if (write_number(dir, "memory.memsw.limit_in_bytes", bytes) < 0)
		return cv_error_prefix("memory+swap limit");
	return 0;
}

/*
 * The kernel keeps memsw >= memory at every step: memory first when the
 * limits shrink (and at create), memory+swap first when the new memory limit
 * is above the memory+swap limit in force (an update that raises both).
 */
static int apply_memory(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	const char *dir = controller_dir(v1, V1_MEMORY);
	uint64_t current_swap = UINT64_MAX; /* no swap accounting: no memory+swap limit */
	bool swap_first;

	if (limits->memory_bytes > 0 && cv_cgroup_has_file(dir, "memory.memsw.limit_in_bytes") &&
	    cv_cgroup_read_u64_optional(dir, "memory.memsw.limit_in_bytes", &current_swap) < 0)
		return -1;
	swap_first = limits->memory_bytes > 0 && (uint64_t)limits->memory_bytes > current_swap;
	if (swap_first && limits->memory_swap_bytes != 0 && write_memory_swap(dir, limits->memory_swap_bytes) < 0)
		return -1;
	if (limits->memory_bytes > 0 && write_number(dir, "memory.limit_in_bytes", limits->memory_bytes) < 0) {
		if (errno == EINVAL && swap_first && limits->memory_swap_bytes == 0)
			return cv_error_errno(EINVAL,
			                      "memory limit: above the memory+swap limit in force (%llu bytes); "
			                      "set the memory+swap limit too",
			                      (unsigned long long)current_swap);
		/* EBUSY: the container uses more than the new limit and the kernel could not reclaim it. */
		return cv_error_prefix("memory limit");
	}
	if (limits->memory_swap_bytes != 0 && !swap_first && write_memory_swap(dir, limits->memory_swap_bytes) < 0)
		return -1;
	if (limits->memory_reservation_bytes > 0 &&
	    write_number(dir, "memory.soft_limit_in_bytes", limits->memory_reservation_bytes) < 0)
		return cv_error_prefix("memory reservation");
	/* The OOM killer leaves the cgroup's processes alone: they wait in the kernel until memory is freed. */
	if (limits->oom_kill_disable && cv_cgroup_write(dir, "memory.oom_control", "1") < 0)
		return cv_error_prefix("disable the OOM killer");
	return 0;
}

static int apply_cpu(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	const char *dir = controller_dir(v1, V1_CPU);
	uint64_t period = limits->cpu_period_us != 0 ? limits->cpu_period_us : 100000;

	if (limits->cpu_shares != 0 && write_number(dir, "cpu.shares", (long long)limits->cpu_shares) < 0)
		return cv_error_prefix("cpu shares");
	/* The period first: the quota is checked against it. */
	if ((limits->cpu_quota_us != 0 || limits->cpu_period_us != 0) &&
	    write_number(dir, "cpu.cfs_period_us", (long long)period) < 0)
		return cv_error_prefix("cpu period");
	if (limits->cpu_quota_us != 0 && write_number(dir, "cpu.cfs_quota_us", (long long)limits->cpu_quota_us) < 0)
		return cv_error_prefix("cpu quota");
	return 0;
}

static int apply_cpuset(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	const char *cpuset = controller_dir(v1, V1_CPUSET);

	if (limits->cpuset_cpus[0] != '\0' && cv_cgroup_write(cpuset, "cpuset.cpus", limits->cpuset_cpus) < 0)
		return cv_error_prefix("cpuset cpus");
	if (limits->cpuset_mems[0] != '\0' && cv_cgroup_write(cpuset, "cpuset.mems", limits->cpuset_mems) < 0)
		return cv_error_prefix("cpuset mems");
	return 0;
}

static int apply_pids(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	const char *dir = controller_dir(v1, V1_PIDS);
	int ret;

	if (limits->pids_max == 0)
		return 0;
	ret = limits->pids_max < 0 ? cv_cgroup_write(dir, "pids.max", "max")
	                           : write_number(dir, "pids.max", limits->pids_max);
	return ret < 0 ? cv_error_prefix("pids limit") : 0;
}

/* blkio.throttle.*_device: one "MAJ:MIN RATE" line per write (0 lifts that throttle). */
static int apply_io_throttle(const char *blkio, const struct containerv_limits *limits)
{
	static const char *const files[] = {"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	                                    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};

	for (uint32_t i = 0; i < limits->io_throttle_count; i++) {
		const struct containerv_io_throttle *t = &limits->io_throttle[i];
		const uint64_t rates[] = {t->read_bps, t->write_bps, t->read_iops, t->write_iops};

		for (size_t f = 0; f < 4; f++) {
			char line[64];

			snprintf(line, sizeof line, "%u:%u %llu", t->major, t->minor, (unsigned long long)rates[f]);
			if (cv_cgroup_write(blkio, files[f], line) < 0)
				return cv_error_prefix("io throttle %u:%u", t->major, t->minor);
		}
	}
	return 0;
}

static int apply_io(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	const char *blkio = controller_dir(v1, V1_BLKIO);

	if (limits->io_throttle_count != 0 && apply_io_throttle(blkio, limits) < 0)
		return -1;
	if (limits->io_weight == 0)
		return 0;
	/* blkio.weight belongs to CFQ, gone since 5.0; BFQ offers the same knob under its own name. */
	if (cv_cgroup_has_file(blkio, "blkio.weight"))
		return write_number(blkio, "blkio.weight", limits->io_weight) < 0 ? cv_error_prefix("io weight") : 0;
	if (cv_cgroup_has_file(blkio, "blkio.bfq.weight"))
		return write_number(blkio, "blkio.bfq.weight", limits->io_weight) < 0 ? cv_error_prefix("io weight")
		                                                                      : 0;
	return cv_error_errno(ENOTSUP, "io weight: %s has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ)",
	                      blkio);
}

/* Only the huge page limits of limits. */
static struct containerv_limits hugetlb_only(const struct containerv_limits *limits)
{
	struct containerv_limits only = CONTAINERV_LIMITS_INIT;

	only.hugetlb_count = limits->hugetlb_count;
	memcpy(only.hugetlb, limits->hugetlb, sizeof only.hugetlb);
	return only;
}

/*
 * v1: hugetlb.<size>.limit_in_bytes (faults past it are a SIGBUS) and, where the kernel has it (5.7+),
 * hugetlb.<size>.rsvd.limit_in_bytes (mmap's reservation fails instead). A hybrid host: the unified/ cgroup.
 */
static int apply_hugetlb(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	const char *dir = controller_dir(v1, V1_HUGETLB);

	if (dir == NULL && v1->unified != NULL) {
		struct containerv_limits only = hugetlb_only(limits);
		unsigned applied = 0;

		return v1->unified->ops->update(v1->unified, &only, &applied);
	}
	if (dir == NULL)
		return cv_error_errno(ENOTSUP,
		                      "hugetlb: the container was made without huge page limits, and on this hybrid "
		                      "host its processes are in no hugetlb cgroup");
	return cv_cgroup_write_hugetlb(dir, limits, "limit_in_bytes", "rsvd.limit_in_bytes");
}

/* One per resource, in the order of enum cv_resource: create and update apply them in turn. */
static int (*const appliers[CV_RESOURCE_COUNT])(const struct cv_cgroup_v1 *, const struct containerv_limits *) = {
        [CV_RESOURCE_MEMORY] = apply_memory, [CV_RESOURCE_CPU] = apply_cpu, [CV_RESOURCE_CPUSET] = apply_cpuset,
        [CV_RESOURCE_PIDS] = apply_pids,     [CV_RESOURCE_IO] = apply_io,   [CV_RESOURCE_HUGETLB] = apply_hugetlb,
};

/* Applies the resources limits sets; *applied collects the ones written. */
static int apply_limits(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits, unsigned *applied)
{
	unsigned resources = cv_limits_resources(limits);

	for (int resource = 0; resource < CV_RESOURCE_COUNT; resource++) {
		if (!(resources & (1u << resource)))
			continue;
		if (appliers[resource](v1, limits) < 0)
			return -1;
		*applied |= 1u << resource;
	}
	return 0;
}

/* A limit on a controller that is not mounted is refused before anything is made or written. */
static int check_mounted(const struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	unsigned needed = needed_controllers(limits);

	for (int controller = 0; controller < V1_COUNT; controller++)
		if ((needed & BIT(controller)) && v1->index[controller] < 0 &&
		    !(controller == V1_HUGETLB && v1->unified_mount != NULL))
			return cv_error_errno(ENOTSUP, "the %s controller is not mounted under %s (a limit needs it)",
			                      controller_names[controller], cv_cgroup_root());
	return 0;
}

/* Removes what this create made; keeps errno and the last error of the failure being reported. */
static void rollback(struct cv_cgroup_v1 *v1)
{
	int saved = errno;

	for (size_t i = 0; i < v1->count; i++)
		if (v1->hierarchies[i].created)
			cv_cgroup_remove_dir(v1->hierarchies[i].dir);
	if (v1->unified_created)
		cv_cgroup_remove_dir(cv_cgroup_v2_dir(v1->unified));
	errno = saved;
}

/* The extended attribute that marks a unified/ cgroup as this container's (cgroup2 keeps trusted.* ones). */
#define UNIFIED_OWNER_XATTR "trusted.containerv.owner"

/* The hybrid host's hugetlb cgroup, made with the limits (only when there are some: joining it costs a write). */
static int make_unified(struct cv_cgroup_v1 *v1, const struct containerv_limits *limits)
{
	struct containerv_limits only;

	if (limits == NULL || limits->hugetlb_count == 0 || v1->index[V1_HUGETLB] >= 0 || v1->unified_mount == NULL)
		return 0;
	only = hugetlb_only(limits);
	if (cv_cgroup_v2_create_at(v1->unified_mount, v1->base.id, &only, &v1->unified) < 0)
		return cv_error_prefix("hugetlb cgroup in %s", v1->unified_mount);
	v1->unified_created = true;
	/* Stamped ours: v1_open takes only a stamped one (see unified_is_ours). */
	if (setxattr(cv_cgroup_v2_dir(v1->unified), UNIFIED_OWNER_XATTR, v1->base.id, strlen(v1->base.id), 0) < 0)
		return cv_error_sys("hugetlb cgroup %s: stamp it", cv_cgroup_v2_dir(v1->unified));
	return 0;
}

/*
 * Whether dir (unified/<the container's cgroup>) is the one make_unified made: a configured cgroup path
 * may name a cgroup of the host's that exists in unified/ only (systemd tracks every unit there), and
 * taking that would kill its processes and remove it at delete.
 */
static bool unified_is_ours(const char *dir, const char *id)
{
	char owner[PATH_MAX];
	ssize_t n = getxattr(dir, UNIFIED_OWNER_XATTR, owner, sizeof owner);

	return n == (ssize_t)strlen(id) && memcmp(owner, id, (size_t)n) == 0;
}

static int v1_create(const char *id, const struct containerv_limits *limits, struct cv_cgroup **out)
{
	__attribute__((cleanup(v1_freep))) struct cv_cgroup_v1 *v1 = NULL;
	unsigned applied = 0;

	if (v1_discover(id, &v1) < 0 || check_mounted(v1, limits) < 0)
		return -1;
	if (make_dirs(v1) < 0 || make_unified(v1, limits) < 0) {
		rollback(v1);
		return -1;
	}
	/* The unified/ cgroup was made with its limits. */
	struct containerv_limits rest = limits != NULL ? *limits : (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	if (v1->unified != NULL)
		rest.hugetlb_count = 0;
	if (apply_limits(v1, &rest, &applied) < 0) {
		rollback(v1);
		return -1;
	}
	*out = &cv_steal_pointer(&v1)->base;
	return 0;
}

static int v1_open(const char *id, struct cv_cgroup **out)
{
	__attribute__((cleanup(v1_freep))) struct cv_cgroup_v1 *v1 = NULL;
	size_t present = 0;

	if (v1_discover(id, &v1) < 0)
		return -1;
	for (size_t i = 0; i < v1->count; i++) {
		struct v1_hierarchy *hierarchy = &v1->hierarchies[i];

		if (access(hierarchy->dir, F_OK) == 0) {
			present++;
			continue;
		}
		/* Mounted after the container was made: leave that hierarchy out. */
		for (int controller = 0; controller < V1_COUNT; controller++)
			if (v1->index[controller] == (int)i)
				v1->index[controller] = -1;
		free(hierarchy->dir);
		hierarchy->dir = NULL;
	}
	if (v1->unified_mount != NULL) {
		cleanup_free char *dir = NULL;

		if (cv_cgroup_dir_of(v1->unified_mount, id, &dir) < 0)
			return -1;
		if (unified_is_ours(dir, id) && cv_cgroup_v2_open_at(v1->unified_mount, id, &v1->unified) < 0)
			return -1;
	}
	/* Our unified/ cgroup alone (a delete killed between its steps): present, so that destroy takes it away. */
	if (present == 0 && v1->unified == NULL)
		return cv_error_errno(ENOENT, "no cgroup %s/%s under %s", CV_CGROUP_PARENT, id, cv_cgroup_root());
	*out = &cv_steal_pointer(&v1)->base;
	return 0;
}

static int v1_add_pid(struct cv_cgroup *cgroup, pid_t pid)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;
	char text[32];

	snprintf(text, sizeof text, "%d", (int)pid);
	/* cgroup.procs, not tasks: the whole thread group moves. */
	for (size_t i = 0; i < v1->count; i++)
		if (v1->hierarchies[i].dir != NULL && cv_cgroup_write(v1->hierarchies[i].dir, "cgroup.procs", text) < 0)
			return -1;
	return v1->unified != NULL ? v1->unified->ops->add_pid(v1->unified, pid) : 0;
}

/* Opens dir/file for writing into fds[*count]; on failure closes those opened before. */
static int add_join_fd(const char *dir, const char *file, int *fds, size_t *count, size_t max)
{
	char path[PATH_MAX];
	int fd = -1;

	if (*count == max)
		cv_error_errno(E2BIG, "more than %zu hierarchies", max);
	else if (cv_cgroup_path(path, dir, file) == 0 && (fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		cv_error_sys("open %s", path);
	if (fd < 0) {
		while (*count > 0)
			close(fds[--*count]);
		return -1;
	}
	fds[(*count)++] = fd;
	return 0;
}

/* "tasks" with "0" moves the writing thread only: no global threadgroup lock (see cgroup.h). */
static int v1_open_join_fds(struct cv_cgroup *cgroup, int *fds, size_t max)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;
	size_t count = 0;

	for (size_t i = 0; i < v1->count; i++)
		if (v1->hierarchies[i].dir != NULL &&
		    add_join_fd(v1->hierarchies[i].dir, "tasks", fds, &count, max) < 0)
			return -1;
	/* cgroup2's cgroup.procs takes "0" for the writer too (its whole process: the init is single-threaded). */
	if (v1->unified != NULL && add_join_fd(cv_cgroup_v2_dir(v1->unified), "cgroup.procs", fds, &count, max) < 0)
		return -1;
	return (int)count;
}

static int v1_clone_fd(struct cv_cgroup *cgroup)
{
	/* CLONE_INTO_CGROUP takes one cgroup2 directory; v1 has several hierarchies. */
	errno = EOPNOTSUPP;
	return -1;
}

/* Read and Write totals of a blkio "MAJ:MIN Op N" file, over every device. */
static int read_blkio(const char *dir, const char *name, uint64_t *reads, uint64_t *writes)
{
	cleanup_free char *text = NULL;
	char path[PATH_MAX];

	*reads = *writes = 0;
	if (dir == NULL || cv_cgroup_path(path, dir, name) < 0)
		return dir == NULL ? 0 : -1;
	if (cv_read_file(path, &text, NULL, 16 * 1024 * 1024) < 0)
		return errno == ENOENT ? 0 : -1;
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char operation[16];
		unsigned long long value;

		if (sscanf(line, "%*s %15s %llu", operation, &value) != 2)
			continue; /* the closing "Total N" line */
		if (strcmp(operation, "Read") == 0)
			*reads += value;
		else if (strcmp(operation, "Write") == 0)
			*writes += value;
	}
	return 0;
}

static int read_memory(const struct cv_cgroup_v1 *v1, struct containerv_stats *stats)
{
	const char *dir = controller_dir(v1, V1_MEMORY);
	cleanup_free char *memory_stat = NULL;
	uint64_t usage, inactive = 0, limit, host;
	char path[PATH_MAX];

	if (cv_cgroup_read_u64_optional(dir, "memory.usage_in_bytes", &usage) < 0 ||
	    cv_cgroup_read_u64_optional(dir, "memory.max_usage_in_bytes", &stats->memory_peak) < 0 ||
	    cv_cgroup_read_u64_optional(dir, "memory.limit_in_bytes", &limit) < 0 || cv_cgroup_host_memory(&host) < 0)
		return -1;
	/* docker's "usage": the page cache that could be dropped is not the container's to pay for. */
	if (dir != NULL && cv_cgroup_path(path, dir, "memory.stat") == 0 &&
	    cv_read_file(path, &memory_stat, NULL, 1024 * 1024) == 0 &&
	    !cv_cgroup_keyed_value(memory_stat, "total_inactive_file", &inactive))
		cv_cgroup_keyed_value(memory_stat, "inactive_file", &inactive);
	stats->memory_usage = inactive < usage ? usage - inactive : usage;
	/* Unlimited reads as a huge page-rounded number; the host's memory is the real ceiling. */
	stats->memory_limit = limit == 0 || limit > host ? host : limit;
	return cv_cgroup_read_keyed_optional(dir, "memory.oom_control", "oom_kill", &stats->oom_kills);
}

static int v1_read_stats(struct cv_cgroup *cgroup, struct containerv_stats *stats)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;
	const char *blkio = controller_dir(v1, V1_BLKIO), *pids = controller_dir(v1, V1_PIDS);
	uint64_t active;

	if (read_memory(v1, stats) < 0 ||
	    cv_cgroup_read_u64_optional(controller_dir(v1, V1_CPUACCT), "cpuacct.usage", &stats->cpu_time_ns) < 0 ||
	    read_blkio(blkio, "blkio.throttle.io_service_bytes_recursive", &stats->read_bytes, &stats->write_bytes) <
	            0 ||
	    read_blkio(blkio, "blkio.throttle.io_serviced_recursive", &stats->read_ops, &stats->write_ops) < 0 ||
	    cv_cgroup_read_keyed_optional(controller_dir(v1, V1_CPU), "cpu.stat", "nr_throttled",
	                                  &stats->cpu_throttled_periods) < 0 ||
	    cv_cgroup_read_keyed_optional(controller_dir(v1, V1_CPU), "cpu.stat", "throttled_time",
	                                  &stats->cpu_throttled_ns) < 0)
		return -1;
	if (pids != NULL) {
		if (cv_cgroup_read_u64_optional(pids, "pids.current", &active) < 0)
			return -1;
	} else {
		cleanup_free pid_t *list = NULL;
		size_t count;

		if (cv_cgroup_read_procs(procs_dir(v1), &list, &count) < 0)
			return -1;
		active = count;
	}
	stats->active_processes = active > UINT32_MAX ? UINT32_MAX : (uint32_t)active;
	return 0;
}

static int v1_oom_kills(struct cv_cgroup *cgroup, uint64_t *kills)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;

	return cv_cgroup_read_keyed_optional(controller_dir(v1, V1_MEMORY), "memory.oom_control", "oom_kill", kills);
}

static int v1_pids(struct cv_cgroup *cgroup, pid_t **pids, size_t *count)
{
	return cv_cgroup_read_procs(procs_dir((struct cv_cgroup_v1 *)cgroup), pids, count);
}

/* Reads freezer.state: THAWED, FREEZING or FROZEN. */
static int read_freezer_state(const char *freezer, char *state, size_t size)
{
	cleanup_free char *text = NULL;
	char path[PATH_MAX];

	if (cv_cgroup_path(path, freezer, "freezer.state") < 0 || cv_read_file(path, &text, NULL, 64) < 0)
		return -1;
	snprintf(state, size, "%.*s", (int)strcspn(text, "\n"), text);
	return 0;
}

/*
 * Writes FROZEN and waits until the state reads FROZEN rather than FREEZING
 * (every task stopped); *settled says whether it did within timeout_ns.
 */
static int freeze(const char *freezer, int64_t timeout_ns, bool *settled)
{
	int64_t deadline = cv_monotonic_ns() + timeout_ns;
	unsigned int round = 0;

	*settled = false;
	if (cv_cgroup_write(freezer, "freezer.state", "FROZEN") < 0)
		return -1;
	for (;;) {
		char state[32];

		if (read_freezer_state(freezer, state, sizeof state) < 0)
			return -1;
		if (strcmp(state, "FROZEN") == 0) {
			*settled = true;
			return 0;
		}
		if (cv_monotonic_ns() >= deadline)
			return 0;
		/* Writing FROZEN again makes the kernel retry the tasks that were busy in the kernel. */
		cv_cgroup_write(freezer, "freezer.state", "FROZEN");
		cv_cgroup_backoff(&round);
	}
}

/* THAWED, retried a few times: a thaw that does not happen leaves killed tasks alive and stopped. */
static int thaw(const char *freezer)
{
	unsigned int round = 0;

	while (cv_cgroup_write(freezer, "freezer.state", "THAWED") < 0) {
		/* Gone: nothing is left in it to thaw. */
		if (errno == ENOENT || round >= 5)
			return errno == ENOENT ? 0 : -1;
		cv_cgroup_backoff(&round);
	}
	return 0;
}

/*
 * Frozen, killed, thawed. The caller's termination signals wait until the thaw: a caller ended between
 * the freeze and the thaw (a timeout's SIGTERM) would leave the container frozen with SIGKILL pending,
 * and a v1-frozen task does not die of it, nor does anything that waits for it (ctest, say).
 */
static int kill_round(const char *freezer, const char *dir)
{
	bool settled; /* a task stuck in the kernel may keep it FREEZING: kill anyway */
	sigset_t terminating, saved;
	size_t seen;
	int ret = 0;

	sigemptyset(&terminating);
	sigaddset(&terminating, SIGTERM);
	sigaddset(&terminating, SIGINT);
	sigaddset(&terminating, SIGHUP);
	sigaddset(&terminating, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &terminating, &saved);
	/* Frozen first so that no process forks while the others are killed. */
	if (freezer != NULL)
		ret = freeze(freezer, V1_FREEZE_TIMEOUT_NS, &settled);
	if (ret == 0)
		ret = cv_cgroup_signal_tree(dir, SIGKILL, &seen);
	/* Frozen tasks die only once thawed; thaw even after a failure so that nothing stays stopped. */
	if (freezer != NULL && thaw(freezer) < 0)
		ret = -1;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return ret;
}

/* A kill that failed (a paused container's tasks are frozen) leaves none of them stopped; returns -1. */
static int thaw_after_failure(const char *freezer)
{
	struct cv_error_saved saved;

	if (freezer == NULL)
		return -1;
	cv_error_save(&saved);
	thaw(freezer);
	return cv_error_restore(&saved);
}

static int v1_kill_all(struct cv_cgroup *cgroup)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;
	const char *freezer = controller_dir(v1, V1_FREEZER), *dir = procs_dir(v1);
	int64_t deadline = cv_monotonic_ns() + CV_CGROUP_KILL_TIMEOUT_NS;
	unsigned int round = 0;

	if (dir == NULL)
		return 0;
	/* A destroyed cgroup reads as empty, which makes kill_all and destroy idempotent. */
	for (;;) {
		size_t seen;

		/* Signal 0 only counts: the loop ends when the subtree is empty. */
		if (cv_cgroup_signal_tree(dir, 0, &seen) < 0)
			return thaw_after_failure(freezer);
		if (seen == 0)
			return 0;
		if (cv_monotonic_ns() > deadline) {
			cv_error_errno(ETIMEDOUT, "%zu processes still in %s after 5 s", seen, dir);
			return thaw_after_failure(freezer);
		}
		if (kill_round(freezer, dir) < 0)
			return thaw_after_failure(freezer);
		cv_cgroup_backoff(&round);
	}
}

static int v1_destroy(struct cv_cgroup *cgroup)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;

	if (v1_kill_all(cgroup) < 0)
		return -1;
	/*
	 * unified/ first: v1_open finds the container by its v1 directories, so a destroy cut short after them
	 * would leave a unified/ cgroup nothing opens again, and its EEXIST would fail every later start.
	 */
	if (v1->unified != NULL && v1->unified->ops->destroy(v1->unified) < 0)
		return -1;
	for (size_t i = 0; i < v1->count; i++) {
		if (v1->hierarchies[i].dir == NULL)
			continue;
		if (cv_cgroup_remove_dir(v1->hierarchies[i].dir) < 0)
			return cv_error_sys("remove %s", v1->hierarchies[i].dir);
		cv_cgroup_remove_relative_parents(cgroup->id, v1->hierarchies[i].dir);
	}
	return 0;
}

/* devices.deny "a" empties the list; then each rule goes to devices.allow as "c 1:3 rwm". */
static int v1_restrict_devices(struct cv_cgroup *cgroup, const struct cv_device_rule *rules, size_t count)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;
	const char *dir = controller_dir(v1, V1_DEVICES);

	if (dir == NULL)
		return cv_error_errno(ENOTSUP, "the devices controller is not mounted under %s", cv_cgroup_root());
	char path[PATH_MAX];
	cleanup_close int allow = -1;

	if (cv_cgroup_write(dir, "devices.deny", "a") < 0 || cv_cgroup_path(path, dir, "devices.allow") < 0)
		return -1;
	/* One rule per write(), all through one descriptor. */
	allow = open(path, O_WRONLY | O_CLOEXEC);
	if (allow < 0)
		return cv_error_sys("open %s", path);
	for (size_t i = 0; i < count; i++) {
		char major[16] = "*", minor[16] = "*", rule[64];

		if (rules[i].major >= 0)
			snprintf(major, sizeof major, "%d", rules[i].major);
		if (rules[i].minor >= 0)
			snprintf(minor, sizeof minor, "%d", rules[i].minor);
		int length = snprintf(rule, sizeof rule, "%c %s:%s %s", rules[i].type, major, minor, rules[i].access);
		if (write(allow, rule, (size_t)length) != length)
			return cv_error_sys("write \"%s\" to %s", rule, path);
	}
	return 0;
}

static int v1_update(struct cv_cgroup *cgroup, const struct containerv_limits *request, unsigned *applied)
{
	struct cv_cgroup_v1 *v1 = (struct cv_cgroup_v1 *)cgroup;

	if (check_mounted(v1, request) < 0)
		return -1;
	return apply_limits(v1, request, applied);
}

static int v1_freeze(struct cv_cgroup *cgroup, bool frozen)
{
	const char *freezer = controller_dir((struct cv_cgroup_v1 *)cgroup, V1_FREEZER);
	bool settled;

	if (freezer == NULL)
		return cv_error_errno(ENOTSUP, "the freezer controller is not mounted under %s", cv_cgroup_root());
	if (!frozen)
		return cv_cgroup_write(freezer, "freezer.state", "THAWED");
	int ret = freeze(freezer, cv_cgroup_freeze_timeout_ns, &settled);

	if (ret == 0 && settled)
		return 0;
	if (ret == 0)
		cv_error_errno(ETIMEDOUT, "%s stayed FREEZING for %lld ms (a task is stuck in the kernel)", freezer,
		               (long long)(cv_cgroup_freeze_timeout_ns / 1000000));
	/* Half frozen helps no one: back to running, and the pause fails with the reason kept. */
	struct cv_error_saved saved;
	cv_error_save(&saved);
	cv_cgroup_write(freezer, "freezer.state", "THAWED");
	return cv_error_restore(&saved);
}

static int v1_is_frozen(struct cv_cgroup *cgroup, bool *frozen)
{
	const char *freezer = controller_dir((struct cv_cgroup_v1 *)cgroup, V1_FREEZER);
	char state[32];

	*frozen = false;
	if (freezer == NULL)
		return 0;
	if (read_freezer_state(freezer, state, sizeof state) < 0)
		return -1;
	*frozen = strcmp(state, "FROZEN") == 0;
	return 0;
}

const struct cv_cgroup_ops cv_cgroup_v1_ops = {
        .name = "v1",
        .create = v1_create,
        .open = v1_open,
        .add_pid = v1_add_pid,
        .open_join_fds = v1_open_join_fds,
        .clone_fd = v1_clone_fd,
        .read_stats = v1_read_stats,
        .oom_kills = v1_oom_kills,
        .pids = v1_pids,
        .kill_all = v1_kill_all,
        .restrict_devices = v1_restrict_devices,
        .destroy = v1_destroy,
        .update = v1_update,
        .freeze = v1_freeze,
        .is_frozen = v1_is_frozen,
        .free = v1_free,
};
