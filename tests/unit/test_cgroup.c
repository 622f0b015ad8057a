/*
 * The cgroup layer against the real kernel, as root: limits read back from
 * the kernel's files, processes moved, statistics that move, the OOM killer
 * and the pids limit striking, kill_all against a fork bomb, and the v2
 * backend run for real on the host's cgroup2 mount.
 *
 * Every cgroup a test makes is tracked and destroyed after the test, even
 * when it fails; the last test checks that no cvtest-* directory is left.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "platform/linux/cgroup-internal.h"
#include "test.h"

#define MIB (1024LL * 1024)
#define HOST_ROOT "/sys/fs/cgroup"

static struct cv_cgroup *tracked[16];
static size_t tracked_count;
static pid_t children[32];
static size_t children_count;
static int id_counter;
static int leaks_swept;

/* ---- bookkeeping so that nothing outlives a test ---- */

static void next_id(char *id, size_t size)
{
	snprintf(id, size, "cvtest-%d-%d", (int)getpid(), ++id_counter);
}

static struct cv_cgroup *track(struct cv_cgroup *cgroup)
{
	if (tracked_count < sizeof tracked / sizeof tracked[0])
		tracked[tracked_count++] = cgroup;
	return cgroup;
}

static void untrack(struct cv_cgroup *cgroup)
{
	for (size_t i = 0; i < tracked_count; i++)
		if (tracked[i] == cgroup)
			tracked[i] = tracked[--tracked_count];
}

static void reap_all(void)
{
	for (size_t i = 0; i < children_count; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	children_count = 0;
	/* Grandchildren come back to us (we are a subreaper). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Removes dir/containerv/cvtest-<our pid>-* that a failed destroy left; counts them as leaks. */
static void sweep_hierarchy(const char *hierarchy, const char *prefix)
{
	char parent[PATH_MAX];
	DIR *listing;
	struct dirent *entry;

	snprintf(parent, sizeof parent, "%s/containerv", hierarchy);
	listing = opendir(parent);
	if (listing == NULL)
		return;
	while ((entry = readdir(listing)) != NULL) {
		char path[PATH_MAX * 2];

		if (strncmp(entry->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", parent, entry->d_name);
		fprintf(stderr, "  leak: %s\n", path);
		leaks_swept++;
		cv_cgroup_remove_dir(path);
	}
	closedir(listing);
}

static void sweep_leaks(void)
{
	char prefix[64];
	DIR *listing = opendir(HOST_ROOT);
	struct dirent *entry;

	snprintf(prefix, sizeof prefix, "cvtest-%d-", (int)getpid());
	sweep_hierarchy(HOST_ROOT, prefix);
	while (listing != NULL && (entry = readdir(listing)) != NULL) {
		char path[PATH_MAX];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, HOST_ROOT "/%s", entry->d_name);
		sweep_hierarchy(path, prefix);
	}
	if (listing != NULL)
		closedir(listing);
}

static void after_test(void)
{
	reap_all();
	for (size_t i = 0; i < tracked_count; i++) {
		if (cv_cgroup_destroy(tracked[i]) < 0)
			fprintf(stderr, "  cleanup: %s\n", containerv_last_error());
		cv_cgroup_free(tracked[i]);
	}
	tracked_count = 0;
	reap_all();
	unsetenv("CONTAINERV_CGROUP_ROOT");
	sweep_leaks();
}

#define RUN_CLEAN(name)                                                                                                \
	do {                                                                                                           \
		RUN(name);                                                                                             \
		after_test();                                                                                          \
	} while (0)

/* ---- children ---- */

struct child {
	pid_t pid;
	int go;    /* parent -> child: start the body (it is in the cgroup now) */
	int ready; /* child -> parent: the body reached its point */
};

typedef void (*child_body)(int ready);

static void child_wait_go(int go)
{
	char byte;

	while (read(go, &byte, 1) < 0 && errno == EINTR)
		;
}

static void signal_ready(int ready)
{
	char byte = 1;

	while (write(ready, &byte, 1) < 0 && errno == EINTR)
		;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

/* Forks a child that waits until it was moved into cgroup, then runs body. */
static void spawn_in(struct cv_cgroup *cgroup, child_body body, struct child *child)
{
	int go[2], ready[2];

	CHECK(pipe2(go, O_CLOEXEC) == 0);
	CHECK(pipe2(ready, O_CLOEXEC) == 0);
	child->pid = fork();
	CHECK(child->pid >= 0);
	if (child->pid == 0) {
		close(go[1]);
		close(ready[0]);
		child_wait_go(go[0]);
		body(ready[1]);
		_exit(0);
	}
	children[children_count++] = child->pid;
	close(go[0]);
	close(ready[1]);
	child->go = go[1];
	child->ready = ready[0];
	CHECK_OK(cv_cgroup_add_pid(cgroup, child->pid));
	CHECK(write(child->go, "g", 1) == 1);
	close(child->go);
}

/* Waits for the child's ready byte (or its death: then read returns 0). */
static bool wait_ready(struct child *child)
{
	char byte;
	ssize_t n;

	do
		n = read(child->ready, &byte, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

static int wait_child(struct child *child)
{
	int status = -1;

	CHECK(waitpid(child->pid, &status, 0) == child->pid);
	for (size_t i = 0; i < children_count; i++)
		if (children[i] == child->pid)
			children[i] = children[--children_count];
	close(child->ready);
	return status;
}

static void body_sleep(int ready)
{
	signal_ready(ready);
	sleep_forever();
}

static void body_touch_20m(int ready)
{
	size_t size = 20 * MIB;
	char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (memory == MAP_FAILED)
		_exit(2);
	memset(memory, 0x5a, size);
	signal_ready(ready);
	sleep_forever();
}

static void body_busy(int ready)
{
	struct timespec start, now;
	volatile uint64_t sink = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
	do {
		for (int i = 0; i < 100000; i++)
			sink += (uint64_t)i;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) < 300000000LL);
	signal_ready(ready);
	sleep_forever();
}

/* Touches up to 256 MiB in 1 MiB steps; a 32 MiB limit must stop it first. */
static void body_hog(int ready)
{
	for (int i = 0; i < 256; i++) {
		char *memory = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (memory == MAP_FAILED)
			_exit(2);
		memset(memory, i, MIB);
	}
	_exit(3);
}

/* Forks sleepers until fork fails, then reports how many it made and the errno. */
static void body_fork_until_refused(int ready)
{
	int made = 0, error = 0;

	for (int i = 0; i < 50; i++) {
		pid_t pid = fork();
		if (pid == 0)
			sleep_forever();
		if (pid < 0) {
			error = errno;
			break;
		}
		made++;
	}
	int report[2] = {made, error};
	while (write(ready, report, sizeof report) < 0 && errno == EINTR)
		;
	sleep_forever();
}

/* Every process forks again and again, retrying when refused. */
static void body_fork_bomb(int ready)
{
	signal_ready(ready);
	close(ready);
	for (;;) {
		if (fork() < 0) {
			struct timespec pause_briefly = {0, 100000};
			nanosleep(&pause_briefly, NULL);
		}
	}
}

/* Writes 8 MiB to a disk-backed file and fsyncs it, so that the I/O is the child's own. */
static void body_write_8m(int ready)
{
	char path[64], block[65536];
	int fd;

	snprintf(path, sizeof path, "/var/tmp/cvtest-io-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(2);
	unlink(path);
	memset(block, 0x5a, sizeof block);
	for (int i = 0; i < 128; i++)
		if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
			_exit(2);
	if (fsync(fd) < 0)
		_exit(2);
	signal_ready(ready);
	sleep_forever();
}

/* ---- kernel files ---- */

static enum containerv_cgroup_mode host_mode(void)
{
	enum containerv_cgroup_mode mode = 0;

	CHECK_OK(containerv_cgroup_mode(&mode));
	return mode;
}

/* The container's file: v1 root/<controller>/containerv/<id>/<file>, v2 root/containerv/<id>/<file>. */
static void container_file(char *path, const char *id, const char *controller, const char *file)
{
	if (host_mode() == CONTAINERV_CGROUP_V2)
		snprintf(path, PATH_MAX, HOST_ROOT "/containerv/%s/%s", id, file);
	else
		snprintf(path, PATH_MAX, HOST_ROOT "/%s/containerv/%s/%s", controller, id, file);
}

static char *read_text(const char *path)
{
	static char text[4096];
	char *content = NULL;

	if (cv_read_file(path, &content, NULL, sizeof text - 1) < 0) {
		fprintf(stderr, "  %s\n", containerv_last_error());
		return NULL;
	}
	snprintf(text, sizeof text, "%s", content);
	free(content);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static const char *container_value(const char *id, const char *controller, const char *v1_file, const char *v2_file)
{
	char path[PATH_MAX];

	container_file(path, id, controller, host_mode() == CONTAINERV_CGROUP_V2 ? v2_file : v1_file);
	return read_text(path);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* No directory of this cgroup in any hierarchy (v1: each controller; v2: the one). */
static bool cgroup_gone(const char *root, const char *id)
{
	static const char *const hierarchies[] = {"",      "cpu",     "cpuacct", "cpuset",  "memory", "pids",
	                                          "blkio", "devices", "freezer", "hugetlb", "unified"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof hierarchies / sizeof hierarchies[0]; i++) {
		snprintf(path, sizeof path, "%s/%s%scontainerv/%s", root, hierarchies[i], hierarchies[i][0] ? "/" : "",
		         id);
		if (exists(path)) {
			fprintf(stderr, "  still there: %s\n", path);
			return false;
		}
	}
	return true;
}

static bool proc_cgroup_has(pid_t pid, const char *needle)
{
	char path[64], *text = NULL;
	bool found;

	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if (cv_read_file(path, &text, NULL, 65536) < 0)
		return false;
	found = strstr(text, needle) != NULL;
	if (!found)
		fprintf(stderr, "  /proc/%d/cgroup lacks %s:\n%s", (int)pid, needle, text);
	free(text);
	return found;
}

/* Whether /proc/PID/cgroup puts the v1 controller at path, in a hierarchy of its own or joined
 * with others ("2:cpu,cpuacct:/containerv/ID", as systemd mounts them). */
static bool proc_cgroup_controller_at(pid_t pid, const char *controller, const char *cgroup_path)
{
	char path[64], *text = NULL, *save = NULL;
	size_t length = strlen(controller);
	bool found = false;

	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if (cv_read_file(path, &text, NULL, 65536) < 0)
		return false;
	for (char *line = strtok_r(text, "\n", &save); line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
		char *list = strchr(line, ':'), *at = list != NULL ? strchr(list + 1, ':') : NULL;

		if (at == NULL || strcmp(at + 1, cgroup_path) != 0)
			continue;
		*at = '\0';
		for (char *name = list + 1; name != NULL && !found;
		     name = strchr(name, ',') ? strchr(name, ',') + 1 : NULL)
			found = strncmp(name, controller, length) == 0 && (name[length] == ',' || name[length] == '\0');
	}
	if (!found)
		fprintf(stderr, "  /proc/%d/cgroup has no %s at %s\n", (int)pid, controller, cgroup_path);
	free(text);
	return found;
}

static uint64_t host_memory(void)
{
	uint64_t bytes = 0;

	CHECK_OK(cv_cgroup_host_memory(&bytes));
	return bytes;
}

/* ---- tests ---- */

TEST(mode_detection)
{
	struct statfs root, unified;
	enum containerv_cgroup_mode mode;

	CHECK(statfs(HOST_ROOT, &root) == 0);
	if (root.f_type == CGROUP2_SUPER_MAGIC)
		CHECK_EQ_INT(host_mode(), CONTAINERV_CGROUP_V2);
	else if (statfs(HOST_ROOT "/unified", &unified) == 0 && unified.f_type == CGROUP2_SUPER_MAGIC)
		CHECK_EQ_INT(host_mode(), CONTAINERV_CGROUP_HYBRID);
	else
		CHECK_EQ_INT(host_mode(), CONTAINERV_CGROUP_V1);
	if (host_mode() == CONTAINERV_CGROUP_HYBRID) {
		/* The unified mount alone is a v2 root; a v1 hierarchy alone is v1. */
		setenv("CONTAINERV_CGROUP_ROOT", HOST_ROOT "/unified", 1);
		CHECK_EQ_INT(host_mode(), CONTAINERV_CGROUP_V2);
		setenv("CONTAINERV_CGROUP_ROOT", HOST_ROOT "/memory", 1);
		CHECK_EQ_INT(host_mode(), CONTAINERV_CGROUP_V1);
	}
	setenv("CONTAINERV_CGROUP_ROOT", "/nonexistent-cgroup-root", 1);
	CHECK_EQ_INT(containerv_cgroup_mode(&mode), -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(strstr(containerv_last_error(), "/nonexistent-cgroup-root") != NULL);
}

TEST(refuses_bad_ids_and_limits)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	char id[64];

	CHECK_EQ_INT(cv_cgroup_create("../escape", NULL, &cgroup), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(cv_cgroup_create("a/b", NULL, &cgroup), -1);
	/* Configured paths (absolute, or below .relative/) stay plain: nothing climbs out of the hierarchy. */
	CHECK_EQ_INT(cv_cgroup_create("/a/../../b", NULL, &cgroup), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(cv_cgroup_create(".relative/../../b", NULL, &cgroup), -1);
	CHECK_EQ_INT(cv_cgroup_create("/", NULL, &cgroup), -1);
	CHECK_EQ_INT(cv_cgroup_create("/a//b", NULL, &cgroup), -1);
	CHECK_EQ_INT(cv_cgroup_create("", NULL, &cgroup), -1);
	CHECK_EQ_INT(cv_cgroup_open("..", &cgroup), -1);
	next_id(id, sizeof id);
	limits.memory_bytes = 1 * MIB;
	CHECK_EQ_INT(cv_cgroup_create(id, &limits, &cgroup), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(containerv_last_error(), id) != NULL);
	CHECK(cgroup_gone(HOST_ROOT, id));
	CHECK_EQ_INT(cv_cgroup_open(id, &cgroup), -1);
	CHECK_EQ_INT(errno, ENOENT);
}

TEST(limits_read_back)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL, *opened = NULL;
	bool v2 = host_mode() == CONTAINERV_CGROUP_V2;
	char id[64];

	next_id(id, sizeof id);
	limits.memory_bytes = 64 * MIB;
	limits.cpu_shares = 512;
	limits.cpu_quota_us = 50000;
	limits.cpu_period_us = 100000;
	strcpy(limits.cpuset_cpus, "0");
	strcpy(limits.cpuset_mems, "0");
	limits.pids_max = 50;
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", "memory.max"), "67108864");
	CHECK_EQ_STR(container_value(id, "pids", "pids.max", "pids.max"), "50");
	CHECK_EQ_STR(container_value(id, "cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
	CHECK_EQ_STR(container_value(id, "cpuset", "cpuset.mems", "cpuset.mems"), "0");
	if (v2) {
		CHECK_EQ_STR(container_value(id, "cpu", "", "cpu.max"), "50000 100000");
		CHECK_EQ_STR(container_value(id, "cpu", "", "cpu.weight"), "20"); /* 1 + 510 * 9999 / 262142 */
	} else {
		CHECK_EQ_STR(container_value(id, "cpu", "cpu.cfs_quota_us", ""), "50000");
		CHECK_EQ_STR(container_value(id, "cpu", "cpu.cfs_period_us", ""), "100000");
		CHECK_EQ_STR(container_value(id, "cpu", "cpu.shares", ""), "512");
		/* The shared parent got the host's cpus so that tasks can join. */
		CHECK(strlen(read_text(HOST_ROOT "/cpuset/containerv/cpuset.cpus")) > 0);
	}
	CHECK_OK(cv_cgroup_open(id, &opened));
	CHECK(opened != NULL);
	cv_cgroup_free(opened);
	CHECK_EQ_INT(cv_cgroup_clone_fd(cgroup) >= 0, v2);
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(cgroup_gone(HOST_ROOT, id));
	CHECK_OK(cv_cgroup_destroy(cgroup)); /* idempotent */
	untrack(cgroup);
	cv_cgroup_free(cgroup);
	CHECK_EQ_INT(cv_cgroup_open(id, &opened), -1);
	CHECK_EQ_INT(errno, ENOENT);
}

TEST(swap_and_io_weight)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	char id[64];

	if (host_mode() == CONTAINERV_CGROUP_V2)
		SKIP("v1 files");
	next_id(id, sizeof id);
	limits.memory_bytes = 64 * MIB;
	limits.memory_swap_bytes = 128 * MIB;
	limits.io_weight = 300;
	if (!exists(HOST_ROOT "/memory/memory.memsw.limit_in_bytes")) {
		/* Without swap accounting the limit must be refused clearly, leaving nothing. */
		limits.io_weight = 0;
		CHECK_EQ_INT(cv_cgroup_create(id, &limits, &cgroup), -1);
		CHECK(strstr(containerv_last_error(), "memsw") != NULL);
		CHECK(cgroup_gone(HOST_ROOT, id));
		return;
	}
	if (cv_cgroup_create(id, &limits, &cgroup) < 0) {
		/* No BFQ nor CFQ: the io weight is refused by name, leaving nothing. */
		CHECK(strstr(containerv_last_error(), "io weight") != NULL);
		CHECK(cgroup_gone(HOST_ROOT, id));
		SKIP("no blkio weight on this host");
	}
	track(cgroup);
	CHECK_EQ_STR(container_value(id, "memory", "memory.memsw.limit_in_bytes", ""), "134217728");
	char path[PATH_MAX];
	container_file(path, id, "blkio", "blkio.weight");
	if (!exists(path))
		container_file(path, id, "blkio", "blkio.bfq.weight");
	CHECK_EQ_STR(read_text(path), "300");
}

/* The same request on a real v2 hierarchy: swap alone in memory.swap.max, the weight per device class. */
TEST(v2_swap_and_io_weight)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	const char *weight;
	char id[64];

	if (host_mode() != CONTAINERV_CGROUP_V2)
		SKIP("v2 files");
	next_id(id, sizeof id);
	limits.memory_bytes = 64 * MIB;
	limits.memory_swap_bytes = 128 * MIB;
	limits.io_weight = 300;
	if (cv_cgroup_create(id, &limits, &cgroup) < 0) {
		/* No swap accounting (swapaccount=0) or no io weight: refused by name, leaving nothing. */
		CHECK(strstr(containerv_last_error(), "swap.max") != NULL ||
		      strstr(containerv_last_error(), "io weight") != NULL);
		CHECK(cgroup_gone(HOST_ROOT, id));
		SKIP("no swap accounting or io weight on this host");
	}
	track(cgroup);
	CHECK_EQ_STR(container_value(id, "memory", "", "memory.max"), "67108864");
	CHECK_EQ_STR(container_value(id, "memory", "", "memory.swap.max"), "67108864");
	/* BFQ's weight has the blkio scale; io.weight gets runc's and crun's map onto 1..10000. */
	weight = container_value(id, "io", "", "io.bfq.weight");
	if (weight != NULL)
		CHECK_EQ_STR(weight, "default 300");
	else
		CHECK_EQ_STR(container_value(id, "io", "", "io.weight"), "default 2930");
}

TEST(failed_limit_leaves_nothing)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	char id[64];

	next_id(id, sizeof id);
	/* Valid syntax, but no such CPU: the kernel refuses it after the directories exist. */
	strcpy(limits.cpuset_cpus, "4000");
	limits.pids_max = 10;
	CHECK_EQ_INT(cv_cgroup_create(id, &limits, &cgroup), -1);
	CHECK(strstr(containerv_last_error(), "cpuset cpus") != NULL);
	CHECK(strstr(containerv_last_error(), id) != NULL);
	CHECK(cgroup_gone(HOST_ROOT, id));
}

TEST(duplicate_create_keeps_first)
{
	struct cv_cgroup *first = NULL, *second = NULL;
	char id[64], path[PATH_MAX];

	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &first));
	track(first);
	CHECK_EQ_INT(cv_cgroup_create(id, NULL, &second), -1);
	CHECK_EQ_INT(errno, EEXIST);
	container_file(path, id, "memory", "cgroup.procs");
	CHECK(exists(path));
}

/* containerv/.relative of the memory hierarchy (v1) or the one (v2): absent, or holding a cgroup (another container's).
 */
static bool relative_dir_gone_or_used(void)
{
	char path[PATH_MAX];
	DIR *listing;
	struct dirent *entry;
	bool used = false;

	container_file(path, CV_CGROUP_RELATIVE_DIR, "memory", ".");
	listing = opendir(path);
	if (listing == NULL)
		return errno == ENOENT;
	while (!used && (entry = readdir(listing)) != NULL)
		used = entry->d_type == DT_DIR && strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
	closedir(listing);
	if (!used)
		fprintf(stderr, "  empty, left: %s\n", path);
	return used;
}

/* The parents a relative configured path made (below containerv/.relative/) go with the last cgroup in them. */
TEST(relative_parents_go_when_empty)
{
	struct cv_cgroup *a = NULL, *b = NULL;
	char id[64], parent[128], name_a[160], name_b[160], path[PATH_MAX];

	next_id(id, sizeof id);
	snprintf(parent, sizeof parent, CV_CGROUP_RELATIVE_DIR "/%s", id);
	snprintf(name_a, sizeof name_a, "%s/a", parent);
	snprintf(name_b, sizeof name_b, "%s/b", parent);
	CHECK_OK(cv_cgroup_create(name_a, NULL, &a));
	track(a);
	CHECK_OK(cv_cgroup_create(name_b, NULL, &b));
	track(b);
	CHECK_OK(cv_cgroup_destroy(a));
	untrack(a);
	cv_cgroup_free(a);
	CHECK(cgroup_gone(HOST_ROOT, name_a));
	/* b is in it: the parent stays. */
	container_file(path, parent, "memory", ".");
	CHECK(exists(path));
	CHECK_OK(cv_cgroup_destroy(b));
	untrack(b);
	cv_cgroup_free(b);
	CHECK(cgroup_gone(HOST_ROOT, parent));
	CHECK(relative_dir_gone_or_used());
}

TEST(add_pid_moves_process)
{
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	pid_t *pids = NULL;
	size_t count = 0;
	char id[64], needle[128];

	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_sleep, &child);
	CHECK(wait_ready(&child));
	snprintf(needle, sizeof needle, "/containerv/%s\n", id);
	CHECK(proc_cgroup_has(child.pid, needle));
	if (host_mode() != CONTAINERV_CGROUP_V2) {
		static const char *const controllers[] = {"memory", "pids",    "cpu",   "cpuacct",
		                                          "cpuset", "freezer", "blkio", "devices"};
		snprintf(needle, sizeof needle, "/containerv/%s", id);
		for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++)
			CHECK(proc_cgroup_controller_at(child.pid, controllers[i], needle));
	}
	CHECK_OK(cv_cgroup_pids(cgroup, &pids, &count));
	CHECK_EQ_INT(count, 1);
	CHECK_EQ_INT(pids[0], child.pid);
	free(pids);
}

TEST(stats_memory_and_processes)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_stats stats;
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	char id[64];

	next_id(id, sizeof id);
	limits.memory_bytes = 256 * MIB;
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_touch_20m, &child);
	CHECK(wait_ready(&child));
	memset(&stats, 0, sizeof stats);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &stats));
	CHECK(stats.active_processes >= 1);
	CHECK(stats.memory_usage >= 16 * MIB);
	CHECK(stats.memory_peak >= stats.memory_usage);
	CHECK_EQ_INT(stats.memory_limit, 256 * MIB);
	CHECK_EQ_INT(stats.oom_kills, 0);
}

TEST(stats_limit_defaults_to_host_memory)
{
	struct containerv_stats stats;
	struct cv_cgroup *cgroup = NULL;
	char id[64];

	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	memset(&stats, 0, sizeof stats);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &stats));
	CHECK_EQ_INT(stats.memory_limit, host_memory());
	CHECK_EQ_INT(stats.active_processes, 0);
}

TEST(cpu_time_grows)
{
	struct containerv_stats before, after;
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	char id[64];

	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	memset(&before, 0, sizeof before);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &before));
	spawn_in(cgroup, body_busy, &child);
	CHECK(wait_ready(&child));
	memset(&after, 0, sizeof after);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &after));
	/* The child burned 300 ms of its own CPU time inside the cgroup. */
	CHECK(after.cpu_time_ns >= before.cpu_time_ns + 250000000ULL);
}

/* The whole disk holding path (its partition's parent when it is a partition). */
static dev_t fs_device(const char *path)
{
	struct stat st;
	char link[256], target[256];

	if (stat(path, &st) < 0)
		return 0;
	snprintf(link, sizeof link, "/sys/dev/block/%u:%u/partition", major(st.st_dev), minor(st.st_dev));
	if (access(link, F_OK) != 0)
		return st.st_dev;
	snprintf(link, sizeof link, "/sys/dev/block/%u:%u/../dev", major(st.st_dev), minor(st.st_dev));
	FILE *f = fopen(link, "r");
	unsigned int maj, min;
	if (f == NULL || fgets(target, sizeof target, f) == NULL || sscanf(target, "%u:%u", &maj, &min) != 2) {
		if (f != NULL)
			fclose(f);
		return st.st_dev;
	}
	fclose(f);
	return makedev(maj, min);
}

TEST(io_stats_count_writes)
{
	struct containerv_stats stats;
	struct cv_cgroup *cgroup = NULL;
	struct statfs fs;
	struct child child;
	char id[64];

	CHECK(statfs("/var/tmp", &fs) == 0);
	if (fs.f_type == TMPFS_MAGIC)
		SKIP("/var/tmp is not on a disk");
	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	/*
	 * v1 counts a cgroup's block I/O only while throttling is on for the disk; the library does not
	 * switch it on for the whole host (containerv_get_stats falls back to the processes' own
	 * counters), so this test does, for its own cgroup, with a rule that limits nothing (1 TB/s:
	 * a 0 removes the rule, and then 6.1 counts nothing).
	 */
	char rule_path[256], rule[64];
	snprintf(rule_path, sizeof rule_path, "%s/blkio/containerv/%s/blkio.throttle.write_bps_device",
	         getenv("CONTAINERV_CGROUP_ROOT") ? getenv("CONTAINERV_CGROUP_ROOT") : "/sys/fs/cgroup", id);
	snprintf(rule, sizeof rule, "%u:%u 1000000000000", major(fs_device("/var/tmp")), minor(fs_device("/var/tmp")));
	if (access(rule_path, W_OK) == 0) {
		FILE *f = fopen(rule_path, "w");
		CHECK(f != NULL);
		fputs(rule, f);
		fclose(f);
	}
	spawn_in(cgroup, body_write_8m, &child);
	CHECK(wait_ready(&child));
	memset(&stats, 0, sizeof stats);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &stats));
	if (stats.write_bytes < 8 * MIB)
		fprintf(stderr, "  write_bytes %llu, write_ops %llu\n", (unsigned long long)stats.write_bytes,
		        (unsigned long long)stats.write_ops);
	CHECK(stats.write_bytes >= 8 * MIB);
	CHECK(stats.write_ops >= 1);
}

TEST(oom_kill_past_memory_limit)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_stats stats;
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	uint64_t kills = 0;
	int status;
	char id[64];

	next_id(id, sizeof id);
	limits.memory_bytes = 32 * MIB;
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_hog, &child);
	status = wait_child(&child);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fprintf(stderr, "  hog ended with status 0x%x\n", status);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_OK(cv_cgroup_oom_kills(cgroup, &kills));
	CHECK(kills >= 1);
	memset(&stats, 0, sizeof stats);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &stats));
	CHECK(stats.oom_kills >= 1);
	CHECK(stats.memory_peak >= 24 * MIB);
}

TEST(pids_limit_refuses_fork)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	int report[2] = {-1, -1};
	char id[64];

	next_id(id, sizeof id);
	limits.pids_max = 5;
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_fork_until_refused, &child);
	CHECK(read(child.ready, report, sizeof report) == (ssize_t)sizeof report);
	/* The child itself is one of the five. */
	CHECK_EQ_INT(report[0], 4);
	CHECK_EQ_INT(report[1], EAGAIN);
	CHECK_OK(cv_cgroup_kill_all(cgroup));
	CHECK(WIFSIGNALED(wait_child(&child)));
}

TEST(kill_all_stops_fork_bomb)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_stats stats;
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	pid_t *pids = NULL;
	size_t count = 1;
	int status;
	char id[64];

	next_id(id, sizeof id);
	limits.pids_max = 64; /* a ceiling for the bomb, in case kill_all failed */
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_fork_bomb, &child);
	CHECK(wait_ready(&child));
	for (int i = 0; i < 200; i++) {
		memset(&stats, 0, sizeof stats);
		CHECK_OK(cv_cgroup_read_stats(cgroup, &stats));
		if (stats.active_processes >= 32)
			break;
		usleep(10000);
	}
	CHECK(stats.active_processes >= 32);
	CHECK_OK(cv_cgroup_kill_all(cgroup));
	CHECK_OK(cv_cgroup_pids(cgroup, &pids, &count));
	free(pids);
	CHECK_EQ_INT(count, 0);
	status = wait_child(&child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(cgroup_gone(HOST_ROOT, id));
}

static bool is_cgroup2(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* A cgroup2 mount to run the v2 backend on: the hybrid host's unified/, or the root on a v2 host. */
static const char *v2_root(void)
{
	if (is_cgroup2(HOST_ROOT "/unified"))
		return HOST_ROOT "/unified";
	if (is_cgroup2(HOST_ROOT))
		return HOST_ROOT;
	return NULL;
}

/* clone3() straight into the cgroup: the child never runs outside it. */
static pid_t clone_into(int cgroup_fd)
{
	struct clone_args args;
	pid_t pid;

	memset(&args, 0, sizeof args);
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgroup_fd;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
	if (pid == 0)
		sleep_forever();
	if (pid > 0)
		children[children_count++] = pid;
	return pid;
}

TEST(v2_backend_on_real_cgroup2)
{
	const char *root = v2_root();
	struct cv_cgroup *cgroup = NULL;
	struct containerv_stats stats;
	struct child added;
	pid_t *pids = NULL, cloned;
	size_t count = 0;
	struct statfs fs;
	char id[64], needle[128], dir[PATH_MAX];
	int status;

	if (root == NULL)
		SKIP("no cgroup2 mount");
	setenv("CONTAINERV_CGROUP_ROOT", root, 1);
	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create_with(&cv_cgroup_v2_ops, id, NULL, &cgroup));
	track(cgroup);
	snprintf(dir, sizeof dir, "%s/containerv/%s", root, id);
	CHECK(exists(dir));
	CHECK(cv_cgroup_clone_fd(cgroup) >= 0);
	CHECK(fstatfs(cv_cgroup_clone_fd(cgroup), &fs) == 0);
	CHECK(fs.f_type == CGROUP2_SUPER_MAGIC);
	CHECK(fcntl(cv_cgroup_clone_fd(cgroup), F_GETFD) & FD_CLOEXEC);

	cloned = clone_into(cv_cgroup_clone_fd(cgroup));
	CHECK(cloned > 0);
	snprintf(needle, sizeof needle, "0::/containerv/%s\n", id);
	CHECK(proc_cgroup_has(cloned, needle));
	spawn_in(cgroup, body_sleep, &added);
	CHECK(wait_ready(&added));
	CHECK(proc_cgroup_has(added.pid, needle));

	CHECK_OK(cv_cgroup_pids(cgroup, &pids, &count));
	CHECK_EQ_INT(count, 2);
	CHECK_EQ_INT(pids[0], cloned < added.pid ? cloned : added.pid);
	CHECK_EQ_INT(pids[1], cloned < added.pid ? added.pid : cloned);
	free(pids);
	memset(&stats, 0, sizeof stats);
	CHECK_OK(cv_cgroup_read_stats(cgroup, &stats));
	CHECK_EQ_INT(stats.active_processes, 2);
	CHECK_EQ_INT(stats.memory_limit, host_memory());

	CHECK_OK(cv_cgroup_kill_all(cgroup));
	status = wait_child(&added);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(waitpid(cloned, &status, 0) == cloned);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(!exists(dir));
	CHECK_OK(cv_cgroup_destroy(cgroup));
}

TEST(v2_missing_controller_is_named)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	const char *root = v2_root();
	struct cv_cgroup *cgroup = NULL;
	char *available = NULL, path[PATH_MAX], id[64];
	bool has_memory;

	if (root == NULL)
		SKIP("no cgroup2 mount");
	snprintf(path, sizeof path, "%s/cgroup.controllers", root);
	CHECK_OK(cv_read_file(path, &available, NULL, 4096));
	has_memory = strstr(available, "memory") != NULL;
	free(available);
	if (has_memory)
		SKIP("this cgroup2 mount has the memory controller");
	setenv("CONTAINERV_CGROUP_ROOT", root, 1);
	next_id(id, sizeof id);
	limits.memory_bytes = 64 * MIB;
	CHECK_EQ_INT(cv_cgroup_create_with(&cv_cgroup_v2_ops, id, &limits, &cgroup), -1);
	CHECK_EQ_INT(errno, ENOTSUP);
	CHECK(strstr(containerv_last_error(), "memory controller") != NULL);
	CHECK(strstr(containerv_last_error(), id) != NULL);
	snprintf(path, sizeof path, "%s/containerv/%s", root, id);
	CHECK(!exists(path));
}

/* Both v1 layouts, on a plain directory tree shaped like them: "cpu,cpuacct" with and without the
 * per-controller symlinks. Only directories are made here (no control files are touched). */
TEST(v1_co_mounted_layouts)
{
	char template[] = "/tmp/cvtest-layout-XXXXXX", path[PATH_MAX], id[64];
	struct cv_cgroup *cgroup = NULL;

	CHECK(mkdtemp(template) != NULL);
	setenv("CONTAINERV_CGROUP_ROOT", template, 1);
	snprintf(path, sizeof path, "%s/cpu,cpuacct", template);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof path, "%s/devices", template);
	CHECK(mkdir(path, 0755) == 0);
	next_id(id, sizeof id);
	/* Without symlinks: found by the comma-separated name, made once. */
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	snprintf(path, sizeof path, "%s/cpu,cpuacct/containerv/%s", template, id);
	CHECK(exists(path));
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(!exists(path));
	untrack(cgroup);
	cv_cgroup_free(cgroup);
	/* With symlinks cpu -> cpu,cpuacct and cpuacct -> cpu,cpuacct: still one directory, removed once. */
	snprintf(path, sizeof path, "%s/cpu", template);
	CHECK(symlink("cpu,cpuacct", path) == 0);
	snprintf(path, sizeof path, "%s/cpuacct", template);
	CHECK(symlink("cpu,cpuacct", path) == 0);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	snprintf(path, sizeof path, "%s/cpu/containerv/%s", template, id);
	CHECK(exists(path));
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(!exists(path));
	untrack(cgroup);
	cv_cgroup_free(cgroup);
	CHECK_OK(cv_rm_rf(template));
}

/* ---- update and freeze ---- */

/* Spins forever, after saying it started: its CPU time grows unless it is frozen. */
static void body_spin(int ready)
{
	volatile uint64_t sink = 0;

	signal_ready(ready);
	for (;;)
		sink++;
}

/* utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
static unsigned long long process_cpu_ticks(pid_t pid)
{
	char path[64], *text = NULL, *after_name;
	unsigned long long utime = 0, stime = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (cv_read_file(path, &text, NULL, 4096) < 0)
		return 0;
	after_name = strrchr(text, ')');
	if (after_name == NULL ||
	    sscanf(after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
		utime = stime = 0;
	free(text);
	return utime + stime;
}

#define RESOURCE(r) (1u << CV_RESOURCE_##r)

TEST(update_changes_live_limits)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT, request = CONTAINERV_LIMITS_INIT;
	bool v2 = host_mode() == CONTAINERV_CGROUP_V2;
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	unsigned applied;
	char id[64];

	next_id(id, sizeof id);
	limits.memory_bytes = 64 * MIB;
	limits.pids_max = 50;
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_touch_20m, &child);
	CHECK(wait_ready(&child));
	/* Only what the request sets changes. */
	request.memory_bytes = 48 * MIB;
	request.cpu_shares = 256;
	CHECK_OK(cv_cgroup_update(cgroup, &request, &applied));
	CHECK_EQ_INT(applied, RESOURCE(MEMORY) | RESOURCE(CPU));
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", "memory.max"), "50331648");
	CHECK_EQ_STR(container_value(id, "pids", "pids.max", "pids.max"), "50");
	if (!v2)
		CHECK_EQ_STR(container_value(id, "cpu", "cpu.shares", ""), "256");
	request = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	request.pids_max = -1;
	CHECK_OK(cv_cgroup_update(cgroup, &request, &applied));
	CHECK_EQ_INT(applied, RESOURCE(PIDS));
	CHECK_EQ_STR(container_value(id, "pids", "pids.max", "pids.max"), "max");
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", "memory.max"), "50331648");
	/* A failure midway: memory is written, then the kernel refuses a CPU this host does not have. */
	request = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	request.memory_bytes = 40 * MIB;
	strcpy(request.cpuset_cpus, "1023");
	CHECK_EQ_INT(cv_cgroup_update(cgroup, &request, &applied), -1);
	CHECK_EQ_INT(applied, RESOURCE(MEMORY));
	CHECK(strstr(containerv_last_error(), "cpuset cpus") != NULL);
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", "memory.max"), "41943040");
	/* Refused before any write: an invalid value. */
	request = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	request.memory_bytes = 32 * MIB;
	request.io_weight = 5;
	CHECK_EQ_INT(cv_cgroup_update(cgroup, &request, &applied), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(applied, 0);
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", "memory.max"), "41943040");
	CHECK_OK(cv_cgroup_kill_all(cgroup));
	CHECK(WIFSIGNALED(wait_child(&child)));
}

/* v1: raising memory above the memory+swap limit in force needs memory+swap written first. */
TEST(update_orders_memory_and_swap)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT, request = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	unsigned applied;
	char id[64];

	if (host_mode() == CONTAINERV_CGROUP_V2 || !exists(HOST_ROOT "/memory/memory.memsw.limit_in_bytes"))
		SKIP("no v1 swap accounting");
	next_id(id, sizeof id);
	limits.memory_bytes = 32 * MIB;
	limits.memory_swap_bytes = 32 * MIB;
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	request.memory_bytes = 96 * MIB;
	request.memory_swap_bytes = 128 * MIB;
	CHECK_OK(cv_cgroup_update(cgroup, &request, &applied));
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", ""), "100663296");
	CHECK_EQ_STR(container_value(id, "memory", "memory.memsw.limit_in_bytes", ""), "134217728");
	/* Memory alone above memory+swap: the kernel's EINVAL, explained. */
	request = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	request.memory_bytes = 256 * MIB;
	CHECK_EQ_INT(cv_cgroup_update(cgroup, &request, &applied), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(containerv_last_error(), "memory+swap limit in force") != NULL);
	/* And down again: memory first. */
	request.memory_bytes = 16 * MIB;
	request.memory_swap_bytes = 16 * MIB;
	CHECK_OK(cv_cgroup_update(cgroup, &request, &applied));
	CHECK_EQ_STR(container_value(id, "memory", "memory.limit_in_bytes", ""), "16777216");
	CHECK_EQ_STR(container_value(id, "memory", "memory.memsw.limit_in_bytes", ""), "16777216");
}

/* Freezes a spinning process, checks it gets no CPU and that the kernel says frozen, thaws, kills. */
/* v1: kill_all thaws to kill (v2's cgroup.kill needs no thaw, and its freezer stays as it was). */
static void check_freeze_thaw(struct cv_cgroup *cgroup, pid_t pid, bool v1)
{
	unsigned long long before, after;
	bool frozen = true;

	CHECK_OK(cv_cgroup_is_frozen(cgroup, &frozen));
	CHECK(!frozen);
	CHECK_OK(cv_cgroup_freeze(cgroup));
	CHECK_OK(cv_cgroup_is_frozen(cgroup, &frozen));
	CHECK(frozen);
	before = process_cpu_ticks(pid);
	usleep(300000);
	after = process_cpu_ticks(pid);
	CHECK_EQ_INT(after, before);
	CHECK_OK(cv_cgroup_freeze(cgroup)); /* again: still frozen, no error */
	CHECK_OK(cv_cgroup_thaw(cgroup));
	CHECK_OK(cv_cgroup_is_frozen(cgroup, &frozen));
	CHECK(!frozen);
	before = process_cpu_ticks(pid);
	usleep(300000);
	after = process_cpu_ticks(pid);
	CHECK(after > before);
	/* Frozen again, then killed: kill_all must get through the freezer, and leave it thawed. */
	CHECK_OK(cv_cgroup_freeze(cgroup));
	CHECK_OK(cv_cgroup_kill_all(cgroup));
	CHECK_OK(cv_cgroup_is_frozen(cgroup, &frozen));
	CHECK(!v1 || !frozen);
}

TEST(freeze_stops_and_thaw_resumes)
{
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	int status;
	char id[64];

	if (host_mode() != CONTAINERV_CGROUP_V2 && !exists(HOST_ROOT "/freezer"))
		SKIP("no freezer controller");
	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_spin, &child);
	CHECK(wait_ready(&child));
	check_freeze_thaw(cgroup, child.pid, host_mode() != CONTAINERV_CGROUP_V2);
	status = wait_child(&child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(cgroup_gone(HOST_ROOT, id));
}

/* The v2 freezer for real: cgroup.freeze is a core file, there even on the hybrid host's unified/. */
TEST(v2_freeze_on_real_cgroup2)
{
	const char *root = v2_root();
	struct cv_cgroup *cgroup = NULL;
	struct child child;
	char id[64], path[PATH_MAX];
	int status;

	if (root == NULL)
		SKIP("no cgroup2 mount");
	setenv("CONTAINERV_CGROUP_ROOT", root, 1);
	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create_with(&cv_cgroup_v2_ops, id, NULL, &cgroup));
	track(cgroup);
	spawn_in(cgroup, body_spin, &child);
	CHECK(wait_ready(&child));
	check_freeze_thaw(cgroup, child.pid, false);
	status = wait_child(&child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	snprintf(path, sizeof path, "%s/containerv/%s", root, id);
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(!exists(path));
}

/* A directory tree shaped like a v2 cgroup, with plain files: what the v2 backend writes where. */
static void fake_v2_file(const char *dir, const char *name, const char *content)
{
	char path[PATH_MAX];
	FILE *file;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	file = fopen(path, "w");
	CHECK(file != NULL);
	if (file != NULL) {
		fputs(content, file);
		fclose(file);
	}
}

static const char *fake_v2_value(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return read_text(path);
}

static void make_fake_v2(char *template, const char *id, char *dir)
{
	static const char *const files[] = {"memory.max",      "memory.swap.max",      "cpu.max",  "cpu.weight",
	                                    "cpuset.cpus",     "cpuset.mems",          "pids.max", "io.weight",
	                                    "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "io.max"};

	CHECK(mkdtemp(template) != NULL);
	snprintf(dir, PATH_MAX, "%s/containerv", template);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(dir, PATH_MAX, "%s/containerv/%s", template, id);
	CHECK(mkdir(dir, 0755) == 0);
	fake_v2_file(dir, "cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		fake_v2_file(dir, files[i], "");
	setenv("CONTAINERV_CGROUP_ROOT", template, 1);
}

TEST(v2_update_writes_the_files)
{
	struct containerv_limits request = CONTAINERV_LIMITS_INIT;
	char template[] = "/tmp/cvtest-v2-XXXXXX", dir[PATH_MAX], id[64];
	struct cv_cgroup *cgroup = NULL;
	unsigned applied;

	next_id(id, sizeof id);
	make_fake_v2(template, id, dir);
	CHECK_OK(cv_cgroup_v2_ops.open(id, &cgroup));
	request.memory_bytes = 64 * MIB;
	request.memory_swap_bytes = 96 * MIB;
	request.cpu_quota_us = 50000;
	request.cpu_period_us = 100000;
	request.cpu_shares = 1024;
	strcpy(request.cpuset_cpus, "0-1");
	request.pids_max = -1;
	request.io_weight = 500;
	request.hugetlb_count = 1;
	request.hugetlb[0] = (struct containerv_hugetlb_limit){2 * MIB, 4 * MIB};
	request.io_throttle_count = 1;
	request.io_throttle[0] = (struct containerv_io_throttle){8, 16, 1048576, 0, 0, 50};
	CHECK_OK(cv_cgroup_update(cgroup, &request, &applied));
	CHECK_EQ_INT(applied, (1u << CV_RESOURCE_COUNT) - 1);
	CHECK_EQ_STR(fake_v2_value(dir, "hugetlb.2MB.max"), "4194304");
	CHECK_EQ_STR(fake_v2_value(dir, "hugetlb.2MB.rsvd.max"), "4194304");
	CHECK_EQ_STR(fake_v2_value(dir, "io.max"), "8:16 rbps=1048576 wbps=max riops=max wiops=50");
	CHECK_EQ_STR(fake_v2_value(dir, "memory.max"), "67108864");
	/* docker's --memory-swap is memory plus swap; v2 limits the swap alone. */
	CHECK_EQ_STR(fake_v2_value(dir, "memory.swap.max"), "33554432");
	CHECK_EQ_STR(fake_v2_value(dir, "cpu.max"), "50000 100000");
	CHECK_EQ_STR(fake_v2_value(dir, "cpu.weight"), "39"); /* 1 + 1022 * 9999 / 262142 */
	CHECK_EQ_STR(fake_v2_value(dir, "cpuset.cpus"), "0-1");
	CHECK_EQ_STR(fake_v2_value(dir, "cpuset.mems"), "");
	CHECK_EQ_STR(fake_v2_value(dir, "pids.max"), "max");
	CHECK_EQ_STR(fake_v2_value(dir, "io.weight"), "default 4950"); /* 1 + (500 - 10) * 9999 / 990 */
	/* A controller the parent did not enable for this cgroup: refused, nothing written. */
	fake_v2_file(dir, "cgroup.controllers", "cpu pids\n");
	fake_v2_file(dir, "pids.max", "");
	request = (struct containerv_limits)CONTAINERV_LIMITS_INIT;
	request.pids_max = 7;
	request.memory_bytes = 32 * MIB;
	CHECK_EQ_INT(cv_cgroup_update(cgroup, &request, &applied), -1);
	CHECK_EQ_INT(errno, ENOTSUP);
	CHECK(strstr(containerv_last_error(), "memory controller") != NULL);
	CHECK_EQ_INT(applied, 0);
	CHECK_EQ_STR(fake_v2_value(dir, "pids.max"), "");
	cv_cgroup_free(cgroup);
	CHECK_OK(cv_rm_rf(template));
}

TEST(v2_freeze_waits_for_frozen_and_thaws_on_timeout)
{
	char template[] = "/tmp/cvtest-v2-XXXXXX", dir[PATH_MAX], id[64];
	int64_t saved_timeout = cv_cgroup_freeze_timeout_ns;
	struct cv_cgroup *cgroup = NULL;
	bool frozen = true;

	next_id(id, sizeof id);
	make_fake_v2(template, id, dir);
	CHECK_OK(cv_cgroup_v2_ops.open(id, &cgroup));
	/* No cgroup.freeze: a kernel before 5.2. */
	CHECK_EQ_INT(cv_cgroup_freeze(cgroup), -1);
	CHECK_EQ_INT(errno, ENOTSUP);
	/* The kernel never reports frozen (a task stuck in D state): the pause fails and thaws again. */
	fake_v2_file(dir, "cgroup.freeze", "0");
	fake_v2_file(dir, "cgroup.events", "populated 1\nfrozen 0\n");
	cv_cgroup_freeze_timeout_ns = 50 * 1000000LL;
	CHECK_EQ_INT(cv_cgroup_freeze(cgroup), -1);
	CHECK_EQ_INT(errno, ETIMEDOUT);
	CHECK_EQ_STR(fake_v2_value(dir, "cgroup.freeze"), "0");
	CHECK_OK(cv_cgroup_is_frozen(cgroup, &frozen));
	CHECK(!frozen);
	/* It does: frozen, and the request stays written. */
	fake_v2_file(dir, "cgroup.events", "populated 1\nfrozen 1\n");
	CHECK_OK(cv_cgroup_freeze(cgroup));
	CHECK_EQ_STR(fake_v2_value(dir, "cgroup.freeze"), "1");
	CHECK_OK(cv_cgroup_is_frozen(cgroup, &frozen));
	CHECK(frozen);
	CHECK_OK(cv_cgroup_thaw(cgroup));
	CHECK_EQ_STR(fake_v2_value(dir, "cgroup.freeze"), "0");
	cv_cgroup_freeze_timeout_ns = saved_timeout;
	cv_cgroup_free(cgroup);
	CHECK_OK(cv_rm_rf(template));
}

/* cvtest-<pid>-* of a process that is gone is a leak from an earlier run. */
static int stale_in(const char *hierarchy)
{
	char parent[PATH_MAX];
	struct dirent *entry;
	DIR *listing;
	int stale = 0;

	snprintf(parent, sizeof parent, "%s/containerv", hierarchy);
	listing = opendir(parent);
	while (listing != NULL && (entry = readdir(listing)) != NULL) {
		int pid;

		if (sscanf(entry->d_name, "cvtest-%d-", &pid) != 1)
			continue;
		if (pid == (int)getpid() || kill(pid, 0) < 0) {
			fprintf(stderr, "  left behind: %s/%s\n", parent, entry->d_name);
			stale++;
		}
	}
	if (listing != NULL)
		closedir(listing);
	return stale;
}

/* Whether the kernel has 2 MiB huge pages (hugetlb limits need a size it has). */
static bool has_2mb_pages(void)
{
	return exists("/sys/kernel/mm/hugepages/hugepages-2048kB");
}

/*
 * Huge page limits on the host's layout: v1's hugetlb hierarchy, v2's hugetlb.2MB.max, or (systemd's
 * hybrid layout, hugetlb bound to cgroup2) a cgroup under unified/ that the processes join too. A size
 * the kernel does not have is refused by name before anything is made.
 */
TEST(hugetlb_limits_where_the_kernel_enforces_them)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct cv_cgroup *cgroup = NULL;
	char id[64], path[PATH_MAX], needle[128];
	const char *file = NULL;
	struct child child;
	unsigned applied;

	if (!has_2mb_pages())
		SKIP("no 2 MiB huge pages");
	next_id(id, sizeof id);
	limits.hugetlb_count = 1;
	limits.hugetlb[0] = (struct containerv_hugetlb_limit){4096ULL << 20, 0};
	CHECK_EQ_INT(cv_cgroup_create(id, &limits, &cgroup), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(containerv_last_error(), "hugetlb 4GB: the kernel has no such huge page size (it has: ") != NULL);
	CHECK(cgroup_gone(HOST_ROOT, id));

	limits.hugetlb[0] = (struct containerv_hugetlb_limit){2 * MIB, 4 * MIB};
	CHECK_OK(cv_cgroup_create(id, &limits, &cgroup));
	track(cgroup);
	if (host_mode() == CONTAINERV_CGROUP_V2) {
		snprintf(path, sizeof path, HOST_ROOT "/containerv/%s/hugetlb.2MB.max", id);
		snprintf(needle, sizeof needle, "0::/containerv/%s\n", id);
	} else if (exists(HOST_ROOT "/hugetlb")) {
		snprintf(path, sizeof path, HOST_ROOT "/hugetlb/containerv/%s/hugetlb.2MB.limit_in_bytes", id);
		snprintf(needle, sizeof needle, ":hugetlb:/containerv/%s\n", id);
	} else {
		snprintf(path, sizeof path, HOST_ROOT "/unified/containerv/%s/hugetlb.2MB.max", id);
		snprintf(needle, sizeof needle, "0::/containerv/%s\n", id);
	}
	CHECK((file = read_text(path)) != NULL && strcmp(file, "4194304") == 0);
	spawn_in(cgroup, body_sleep, &child);
	CHECK(wait_ready(&child));
	CHECK(proc_cgroup_has(child.pid, needle));
	/* Through a v1 hierarchy's "tasks" or cgroup2's cgroup.procs, each with "0": the way the init joins. */
	int fds[CV_CGROUP_JOIN_FDS_MAX];
	int count = cv_cgroup_open_join_fds(cgroup, fds, CV_CGROUP_JOIN_FDS_MAX);
	CHECK(count >= 0);
	for (int i = 0; i < count; i++)
		close(fds[i]);

	limits.hugetlb[0].limit_bytes = 0;
	CHECK_OK(cv_cgroup_update(cgroup, &limits, &applied));
	CHECK_EQ_INT(applied, 1u << CV_RESOURCE_HUGETLB);
	CHECK((file = read_text(path)) != NULL && strcmp(file, "0") == 0);
	CHECK_OK(cv_cgroup_destroy(cgroup));
	CHECK(cgroup_gone(HOST_ROOT, id));
	untrack(cgroup);
	cv_cgroup_free(cgroup);
}

/* linux.resources.unified on the v2 backend: written with openat in the container's cgroup, keys checked. */
TEST(v2_unified_files)
{
	const char *root = v2_root();
	struct cv_cgroup *cgroup = NULL;
	char id[64], path[PATH_MAX];
	const char *value;

	if (root == NULL)
		SKIP("no cgroup2 mount");
	setenv("CONTAINERV_CGROUP_ROOT", root, 1);
	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create_with(&cv_cgroup_v2_ops, id, NULL, &cgroup));
	track(cgroup);
	CHECK_OK(cv_cgroup_write_unified(cgroup, "cgroup.max.depth", "3"));
	snprintf(path, sizeof path, "%s/containerv/%s/cgroup.max.depth", root, id);
	CHECK((value = read_text(path)) != NULL && strcmp(value, "3") == 0);
	/*
	 * A controller not enabled for the cgroup is named: this host's unified/ has hugetlb alone, a hybrid
	 * guest's none (hugetlb is on v1 there), a pure v2 host's all.
	 */
	char *controllers = NULL;
	snprintf(path, sizeof path, "%s/containerv/%s/cgroup.controllers", root, id);
	CHECK_OK(cv_read_file(path, &controllers, NULL, 4096));
	if (has_2mb_pages() && strstr(controllers, "hugetlb") != NULL) {
		CHECK_OK(cv_cgroup_write_unified(cgroup, "hugetlb.2MB.max", "2097152"));
		snprintf(path, sizeof path, "%s/containerv/%s/hugetlb.2MB.max", root, id);
		CHECK((value = read_text(path)) != NULL && strcmp(value, "2097152") == 0);
	} else if (has_2mb_pages()) {
		CHECK_EQ_INT(cv_cgroup_write_unified(cgroup, "hugetlb.2MB.max", "2097152"), -1);
		CHECK(strstr(containerv_last_error(), "the hugetlb controller is not enabled") != NULL);
	}
	if (strstr(controllers, "memory") == NULL) {
		CHECK_EQ_INT(cv_cgroup_write_unified(cgroup, "memory.oom.group", "1"), -1);
		CHECK(strstr(containerv_last_error(), "the memory controller is not enabled") != NULL);
	} else {
		CHECK_OK(cv_cgroup_write_unified(cgroup, "memory.oom.group", "1"));
	}
	free(controllers);
	CHECK_EQ_INT(cv_cgroup_write_unified(cgroup, "cgroup.nosuchfile", "1"), -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_EQ_INT(cv_cgroup_write_unified(cgroup, "../cgroup.max.depth", "1"), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(cv_cgroup_write_unified(cgroup, "cgroup.procs", "1"), -1);
	CHECK_EQ_INT(errno, EPERM);
	CHECK_OK(cv_cgroup_destroy(cgroup));
}

/* A v1 (or hybrid) host refuses unified, as runc does. */
TEST(v1_refuses_unified)
{
	struct cv_cgroup *cgroup = NULL;
	char id[64];

	if (host_mode() == CONTAINERV_CGROUP_V2)
		SKIP("a cgroup v2 host");
	next_id(id, sizeof id);
	CHECK_OK(cv_cgroup_create(id, NULL, &cgroup));
	track(cgroup);
	CHECK_EQ_INT(cv_cgroup_write_unified(cgroup, "memory.oom.group", "1"), -1);
	CHECK_EQ_INT(errno, ENOTSUP);
	CHECK(strstr(containerv_last_error(), "cannot use unified on cgroup v1") != NULL);
	CHECK_OK(cv_cgroup_destroy(cgroup));
}

TEST(no_cgroup_left_behind)
{
	DIR *listing = opendir(HOST_ROOT);
	struct dirent *entry;
	int stale = stale_in(HOST_ROOT);

	while (listing != NULL && (entry = readdir(listing)) != NULL) {
		char path[PATH_MAX];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, HOST_ROOT "/%s", entry->d_name);
		stale += stale_in(path);
	}
	if (listing != NULL)
		closedir(listing);
	CHECK_EQ_INT(stale, 0);
	/* after_test() had to sweep nothing: every destroy did its job. */
	CHECK_EQ_INT(leaks_swept, 0);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("skip    all: needs root\n");
		return 0;
	}
	/* Grandchildren (fork bombs, pids test) are reparented to us and reaped after each test. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	RUN_CLEAN(mode_detection);
	RUN_CLEAN(refuses_bad_ids_and_limits);
	RUN_CLEAN(limits_read_back);
	RUN_CLEAN(swap_and_io_weight);
	RUN_CLEAN(v2_swap_and_io_weight);
	RUN_CLEAN(failed_limit_leaves_nothing);
	RUN_CLEAN(duplicate_create_keeps_first);
	RUN_CLEAN(relative_parents_go_when_empty);
	RUN_CLEAN(add_pid_moves_process);
	RUN_CLEAN(stats_memory_and_processes);
	RUN_CLEAN(stats_limit_defaults_to_host_memory);
	RUN_CLEAN(cpu_time_grows);
	RUN_CLEAN(io_stats_count_writes);
	RUN_CLEAN(oom_kill_past_memory_limit);
	RUN_CLEAN(pids_limit_refuses_fork);
	RUN_CLEAN(kill_all_stops_fork_bomb);
	RUN_CLEAN(v2_backend_on_real_cgroup2);
	RUN_CLEAN(v2_missing_controller_is_named);
	RUN_CLEAN(v1_co_mounted_layouts);
	RUN_CLEAN(update_changes_live_limits);
	RUN_CLEAN(update_orders_memory_and_swap);
	RUN_CLEAN(freeze_stops_and_thaw_resumes);
	RUN_CLEAN(v2_freeze_on_real_cgroup2);
	RUN_CLEAN(v2_update_writes_the_files);
	RUN_CLEAN(v2_freeze_waits_for_frozen_and_thaws_on_timeout);
	RUN_CLEAN(hugetlb_limits_where_the_kernel_enforces_them);
	RUN_CLEAN(v2_unified_files);
	RUN_CLEAN(v1_refuses_unified);
	RUN_CLEAN(no_cgroup_left_behind);
	return cv_test_summary();
}
