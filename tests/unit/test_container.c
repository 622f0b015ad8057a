/*
 * The container lifecycle through the public API, against the real kernel
 * (run as root): every public function of container.h and stats.h is
 * called here, and every test checks an effect, not a return code alone.
 */
#include <chef/containerv.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "test.h"

static char root[256];
static const char *rootfs = CV_TEST_ROOTFS;

/* Runs argv in a new container with stdout captured; returns the output (static buffer). */
static struct containerv_options *options_for(const char *const *argv)
{
	struct containerv_options *o = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	if (argv != NULL)
		CHECK_OK(containerv_options_set_command(o, argv));
	return o;
}

static bool file_contains(const char *path, const char *text)
{
	char *content = NULL;
	size_t length = 0;
	bool found;

	if (cv_read_file(path, &content, &length, 16 * 1024 * 1024) < 0)
		return false;
	found = strstr(content, text) != NULL;
	free(content);
	return found;
}

static int count_entries(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int n = 0;

	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return n;
}

/* Nothing of this program's containers may be left: state dirs, cgroups, mounts. */
static void check_no_leftovers(void)
{
	char path[512];
	FILE *mounts;
	char line[4096];

	snprintf(path, sizeof path, "%s/containers", root);
	CHECK_EQ_INT(count_entries(path), 0);
	/* Only this program's containers: a user's own, or another test root's, are not ours to judge. */
	for (size_t i = 0; i < cv_test_created_count(); i++) {
		snprintf(path, sizeof path, "/sys/fs/cgroup/pids/containerv/%s", cv_test_created_id(i));
		if (access(path, F_OK) == 0) {
			fprintf(stderr, "  leaked cgroup %s\n", path);
			CHECK(0);
		}
	}
	mounts = fopen("/proc/self/mountinfo", "r");
	CHECK(mounts != NULL);
	while (fgets(line, sizeof line, mounts) != NULL) {
		if (strstr(line, root) != NULL) {
			fclose(mounts);
			fprintf(stderr, "  leaked mount %s", line);
			CHECK(0);
		}
	}
	fclose(mounts);
}

TEST(echo_runs_and_exit_codes_propagate)
{
	struct containerv_exit e;
	const char *echo[] = {"echo", "hello", NULL};
	const char *three[] = {"sh", "-c", "exit 3", NULL};
	const char *killed[] = {"sh", "-c", "kill -9 $$", NULL};

	CHECK_EQ_STR(cv_test_run_capture(options_for(echo), &e), "hello\n");
	CHECK_EQ_INT(e.code, 0);
	cv_test_run_capture(options_for(three), &e);
	CHECK_EQ_INT(e.code, 3);
	CHECK_EQ_INT(e.signal, 0);
	cv_test_run_capture(options_for(killed), &e);
	CHECK_EQ_INT(e.code, 137);
	CHECK_EQ_INT(e.signal, SIGKILL);
	check_no_leftovers();
}

TEST(init_is_pid_1_and_hostname_is_set)
{
	struct containerv_exit e;
	const char *argv[] = {"sh", "-c", "cat /proc/1/comm; hostname; cat /etc/hostname; echo $$", NULL};
	struct containerv_options *o = options_for(argv);

	CHECK_OK(containerv_options_set_hostname(o, "box1"));
	CHECK_EQ_STR(cv_test_run_capture(o, &e), "containerv-init\nbox1\nbox1\n2\n");
}

TEST(env_workdir_and_user_apply)
{
	struct containerv_exit e;
	const char *argv[] = {"sh", "-c", "echo $FOO; pwd; id -u; id -g", NULL};
	struct containerv_options *o = options_for(argv);

	CHECK_OK(containerv_options_add_env(o, "FOO=bar"));
	CHECK_OK(containerv_options_set_workdir(o, "/tmp"));
	CHECK_OK(containerv_options_set_user(o, 1000, 1001));
	CHECK_EQ_STR(cv_test_run_capture(o, &e), "bar\n/tmp\n1000\n1001\n");
}

TEST(rootfs_is_never_modified)
{
	struct containerv_exit e;
	const char *argv[] = {"sh", "-c", "echo x > /written-by-container && rm /bin/true && echo ok", NULL};
	char path[512];

	CHECK_EQ_STR(cv_test_run_capture(options_for(argv), &e), "ok\n");
	snprintf(path, sizeof path, "%s/written-by-container", rootfs);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof path, "%s/bin/true", rootfs);
	CHECK(access(path, F_OK) == 0);
}

TEST(missing_command_fails_cleanly)
{
	const char *missing[] = {"no-such-command", NULL};
	const char *not_executable[] = {"/etc/passwd", NULL};
	struct containerv_options *o = options_for(missing);
	struct containerv_container *c = NULL;

	CHECK(cv_test_create(o, &c) == -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(strstr(containerv_last_error(), "no-such-command") != NULL);
	containerv_options_delete(o);
	o = options_for(not_executable);
	CHECK(cv_test_create(o, &c) == -1);
	CHECK_EQ_INT(errno, EACCES);
	containerv_options_delete(o);
	check_no_leftovers();
}

TEST(bad_options_are_refused)
{
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK(containerv_options_set_name(o, "../../etc") == -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(containerv_options_set_rootfs(o, "relative/path") == -1);
	CHECK(cv_test_create(o, &c) == -1); /* no rootfs */
	CHECK_OK(containerv_options_set_rootfs(o, "/nonexistent/rootfs"));
	CHECK(cv_test_create(o, &c) == -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(strstr(containerv_last_error(), "/nonexistent/rootfs") != NULL);
	containerv_options_delete(o);
	check_no_leftovers();
}

TEST(names_are_unique_and_open_finds_by_name_and_prefix)
{
	struct containerv_options *o = options_for(NULL);
	struct containerv_container *c = NULL, *again = NULL, *dup = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	char prefix[13];

	CHECK_OK(containerv_options_set_name(o, "named-one"));
	CHECK_OK(containerv_options_set_autostart(o, 0));
	CHECK_OK(cv_test_create(o, &c));
	CHECK(cv_test_create(o, &dup) == -1);
	CHECK_EQ_INT(errno, EEXIST);
	CHECK_OK(containerv_open("named-one", &again));
	CHECK_EQ_STR(containerv_id(again), containerv_id(c));
	containerv_close(again);
	snprintf(prefix, sizeof prefix, "%.12s", containerv_id(c));
	CHECK_OK(containerv_open(prefix, &again));
	CHECK_OK(containerv_inspect(again, &info));
	CHECK_EQ_INT(info.state, CV_STATE_CREATED);
	CHECK_EQ_STR(info.name, "named-one");
	CHECK_EQ_STR(containerv_name(again), "named-one");
	containerv_close(again);
	CHECK(containerv_open("no-such-container", &again) == -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	check_no_leftovers();
}

static int count_callback(const struct containerv_info *info, void *user)
{
	(*(int *)user)++;
	return info->state == CV_STATE_RUNNING ? 0 : 0;
}

TEST(idle_container_spawn_join_kill_and_list)
{
	struct containerv_options *o = options_for(NULL);
	struct containerv_container *c = NULL;
	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	struct containerv_exit e;
	const char *echo[] = {"sh", "-c", "echo inside $$; hostname", NULL};
	const char *missing[] = {"nope", NULL};
	const char *truth[] = {"true", NULL};
	int fds[2], listed = 0;
	pid_t pid;

	CHECK_OK(containerv_options_set_hostname(o, "idle"));
	CHECK_OK(cv_test_create(o, &c));
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	spawn.argv = echo;
	spawn.stdout_fd = fds[1];
	spawn.flags = CV_SPAWN_WAIT;
	CHECK_OK(containerv_spawn(c, &spawn, &pid, &e));
	close(fds[1]);
	char *out = cv_test_read_all(fds[0]);
	close(fds[0]);
	CHECK(strncmp(out, "inside ", 7) == 0 && strstr(out, "\nidle\n") != NULL);
	CHECK(atoi(out + 7) > 1); /* a PID of the container's namespace, not the host's */
	CHECK(atoi(out + 7) < 100);
	CHECK_EQ_INT(e.code, 0);
	spawn.argv = missing;
	spawn.stdout_fd = 1;
	CHECK(containerv_spawn(c, &spawn, &pid, &e) == -1);
	CHECK_EQ_INT(errno, ENOENT);
	/* Without WAIT the caller waits itself. */
	spawn.argv = truth;
	spawn.flags = 0;
	CHECK_OK(containerv_spawn(c, &spawn, &pid, NULL));
	CHECK_OK(containerv_wait_process(c, pid, &e));
	CHECK_EQ_INT(e.code, 0);
	CHECK_OK(containerv_join(containerv_id(c), truth, &e));
	/* join returns when its process ends, not when its pipes do: one it left behind holds them. */
	static const char *const leaves_one[] = {"sh", "-c", "echo before; sleep 60 & exit 3", NULL};
	time_t before = time(NULL);
	CHECK_OK(containerv_join(containerv_id(c), leaves_one, &e));
	CHECK_EQ_INT(e.code, 3);
	CHECK(time(NULL) - before < 30);
	/* The init holds nothing of the host but /dev/null and its exit.json (no directory to escape through). */
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	char fd_dir[64];
	CHECK_OK(containerv_inspect(c, &info));
	snprintf(fd_dir, sizeof fd_dir, "/proc/%d/fd", (int)info.pid);
	DIR *init_fds = opendir(fd_dir);
	CHECK(init_fds != NULL);
	for (struct dirent *entry; init_fds != NULL && (entry = readdir(init_fds)) != NULL;) {
		char link[PATH_MAX + 80], target[PATH_MAX] = "";
		if (entry->d_name[0] == '.')
			continue;
		snprintf(link, sizeof link, "%s/%s", fd_dir, entry->d_name);
		ssize_t length = readlink(link, target, sizeof target - 1);
		CHECK(length > 0);
		if (strcmp(target, "/dev/null") != 0 &&
		    (length < 10 || strcmp(target + length - 10, "/exit.json") != 0)) {
			fprintf(stderr, "  the init holds %s\n", target);
			CHECK(0);
		}
	}
	if (init_fds != NULL)
		closedir(init_fds);
	/*
	 * ... and a process of the container cannot follow them, nor reach the init's binary, which is the
	 * caller's on the host (CVE-2019-5736): the init is not dumpable and CAP_SYS_PTRACE is not granted.
	 */
	const char *peek_init[] = {"sh", "-c",
	                           "readlink /proc/1/fd/0 || readlink /proc/1/exe || cat /proc/1/exe >/dev/null", NULL};
	spawn.argv = peek_init;
	spawn.flags = CV_SPAWN_WAIT;
	CHECK_OK(containerv_spawn(c, &spawn, &pid, &e));
	CHECK(e.code != 0);
	spawn.argv = truth;
	CHECK_OK(containerv_spawn(c, &spawn, &pid, &e));
	spawn.stdout_fd = 1;
	spawn.flags = 0;
	CHECK_EQ_INT(e.code, 0);
	CHECK_OK(containerv_list(count_callback, &listed));
	CHECK_EQ_INT(listed, 1);
	CHECK_OK(containerv_kill(c, SIGTERM));
	CHECK_OK(containerv_wait(c, &e));
	CHECK_EQ_INT(e.code, 143);
	CHECK(containerv_spawn(c, &spawn, &pid, NULL) == -1);
	CHECK_EQ_INT(errno, ESRCH);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	check_no_leftovers();
}

TEST(stop_escalates_to_sigkill)
{
	const char *stubborn[] = {"sh", "-c", "trap '' TERM; while :; do sleep 1; done", NULL};
	const char *polite[] = {"sleep", "100", NULL};
	struct containerv_options *o = options_for(polite);
	struct containerv_container *c = NULL;
	struct containerv_exit e;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	CHECK_OK(cv_test_create(o, &c));
	CHECK_OK(containerv_stop(c, 0, 5));
	CHECK_OK(containerv_wait(c, &e));
	CHECK_EQ_INT(e.code, 143);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);

	o = options_for(stubborn);
	CHECK_OK(cv_test_create(o, &c));
	usleep(200000);
	CHECK_OK(containerv_stop(c, 0, 1));
	CHECK_OK(containerv_inspect(c, &info));
	CHECK_EQ_INT(info.state, CV_STATE_EXITED);
	CHECK_EQ_INT(info.exit.code, 137);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	check_no_leftovers();
}

TEST(memory_limit_kills_and_reports_oom)
{
	const char *argv[] = {"dd", "if=/dev/zero", "of=/dev/null", "bs=96M", "count=1", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_container *c = NULL;
	struct containerv_exit e;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};

	limits.memory_bytes = 32 << 20;
	CHECK_OK(containerv_options_set_limits(o, &limits));
	CHECK_OK(containerv_options_set_stdio(o, -1, -1, -1));
	CHECK_OK(cv_test_create(o, &c));
	CHECK_OK(containerv_wait(c, &e));
	CHECK_EQ_INT(e.code, 137);
	CHECK_EQ_INT(e.oom_killed, 1);
	CHECK_OK(containerv_inspect(c, &info));
	CHECK_EQ_INT(info.exit.oom_killed, 1);
	CHECK_EQ_INT(info.limits.memory_bytes, 32 << 20);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

TEST(pids_limit_stops_a_fork_bomb)
{
	const char *argv[] = {"sh", "-c", "(for i in $(seq 1 40); do sleep 30 & done) 2>/dev/null; exec sleep 30",
	                      NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_container *c = NULL;
	struct containerv_process_info processes[64];
	size_t count = 0;

	limits.pids_max = 10;
	CHECK_OK(containerv_options_set_limits(o, &limits));
	CHECK_OK(containerv_options_set_stdio(o, -1, -1, -1));
	CHECK_OK(cv_test_create(o, &c));
	sleep(1);
	CHECK_OK(containerv_get_processes(c, processes, 64, &count));
	CHECK(count <= 10);
	CHECK(count >= 5);
	CHECK_EQ_STR(processes[0].name, "containerv-init");
	CHECK_EQ_STR(processes[0].command, "containerv-init"); /* not the caller's command line */
	CHECK_EQ_INT(processes[0].container_pid, 1);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	check_no_leftovers();
}

TEST(cpu_quota_gives_about_half_a_cpu)
{
	const char *argv[] = {"sh", "-c", "while :; do :; done", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;
	struct containerv_container *c = NULL;
	struct containerv_stats first, second;
	struct containerv_stats history[8];
	size_t count = 0;

	CHECK_OK(containerv_parse_cpus("0.5", &limits.cpu_quota_us, &limits.cpu_period_us));
	CHECK_OK(containerv_options_set_limits(o, &limits));
	CHECK_OK(cv_test_create(o, &c));
	usleep(300000);
	CHECK_OK(containerv_get_stats(c, &first));
	sleep(2);
	CHECK_OK(containerv_get_stats(c, &second));
	double used =
	        (double)(second.cpu_time_ns - first.cpu_time_ns) / (double)(second.timestamp_ns - first.timestamp_ns);
	fprintf(stderr, "  cpu share under --cpus 0.5: %.3f (cpu_percent %.1f)\n", used, second.cpu_percent);
	/*
	 * Never above the quota. Below half a CPU only when the host had no more to give: then the quota did not
	 * hold it back much (a quota set too low would throttle it most of the time), as on a loaded machine.
	 */
	double throttled = (double)(second.cpu_throttled_ns - first.cpu_throttled_ns) /
	                   (double)(second.timestamp_ns - first.timestamp_ns);
	fprintf(stderr, "  throttled %.3f of the time\n", throttled);
	CHECK(used < 0.6 && second.cpu_percent < 60.0);
	CHECK((used > 0.35 && second.cpu_percent > 35.0) || throttled < 0.35);
	CHECK_OK(containerv_get_stats_history(c, history, 8, &count));
	CHECK_EQ_INT(count, 2);
	CHECK_EQ_INT(history[1].cpu_time_ns, second.cpu_time_ns);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

/* What the kernel said, when the usage is not what the workload made (v2 layout; v1 has memory/). */
static void print_memory_files(const char *id)
{
	static const char *const files[] = {"memory.current", "memory.stat", "memory/memory.usage_in_bytes",
	                                    "memory/memory.stat"};
	char path[PATH_MAX], *text = NULL;

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		const char *name = strchr(files[i], '/') != NULL ? strchr(files[i], '/') + 1 : files[i];

		if (strchr(files[i], '/') != NULL)
			snprintf(path, sizeof path, "/sys/fs/cgroup/memory/containerv/%s/%s", id, name);
		else
			snprintf(path, sizeof path, "/sys/fs/cgroup/containerv/%s/%s", id, name);
		if (cv_read_file(path, &text, NULL, 1 << 20) == 0) {
			fprintf(stderr, "  %s:\n%.1200s\n", path, text);
			free(text);
		}
	}
}

TEST(stats_follow_what_the_workload_does)
{
	/*
	 * O_DIRECT: dd's own writes reach the disk as the container's. Buffered data may instead be
	 * written by ext4's journal thread at a commit, which cgroup v2 counts for the root (seen
	 * under load: 16 of 24 MiB in io.stat).
	 */
	const char *argv[] = {"sh", "-c",
	                      "dd if=/dev/zero of=/tmp/blob bs=1M count=24 oflag=direct conv=fsync 2>/dev/null; "
	                      "head -c 30000000 /dev/zero > /dev/shm/ram; sleep 30 & wait",
	                      NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_stats stats;

	CHECK_OK(cv_test_create(o, &c));
	/* Until head is done and sleep runs (about a second here, many under an emulated CPU). */
	for (int tries = 0; tries < 300; tries++) {
		usleep(100000);
		CHECK_OK(containerv_get_stats(c, &stats));
		if (stats.total_processes >= 5 && stats.active_processes <= 3)
			break;
	}
	fprintf(stderr, "  memory %llu, write %llu bytes, %llu ops, pids %u, total %u\n",
	        (unsigned long long)stats.memory_usage, (unsigned long long)stats.write_bytes,
	        (unsigned long long)stats.write_ops, stats.active_processes, stats.total_processes);
	if (stats.memory_usage < 28000000ULL)
		print_memory_files(containerv_id(c));
	CHECK(stats.memory_usage >= 28000000ULL);
	CHECK(stats.write_bytes >= 24ULL << 20);
	CHECK(stats.active_processes == 3);     /* init, sh and sleep */
	CHECK_EQ_INT(stats.total_processes, 5); /* init, sh, dd, head, sleep: sleep's PID is 5 */
	CHECK(stats.memory_limit > 0);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

TEST(upload_and_download_round_trip_without_escaping)
{
	struct containerv_options *o = options_for(NULL);
	struct containerv_container *c = NULL;
	struct containerv_exit e;
	char host_dir[] = "/tmp/cvtest-copy-XXXXXX";
	char command[1024], path[512];
	const char *ln[] = {"sh", "-c", "ln -s /tmp/escape-target /evil && mkdir -p /tmp/escape-target", NULL};

	CHECK(mkdtemp(host_dir) != NULL);
	snprintf(command, sizeof command,
	         "mkdir -p %s/tree/sub && echo data > %s/tree/sub/file && chmod 0741 %s/tree/sub/file && "
	         "ln -s sub/file %s/tree/link && mkdir -p /tmp/escape-target && echo host > /tmp/escape-target/secret",
	         host_dir, host_dir, host_dir, host_dir);
	CHECK(system(command) == 0);
	CHECK_OK(cv_test_create(o, &c));
	snprintf(path, sizeof path, "%s/tree", host_dir);
	const char *up_src[] = {path}, *up_dst[] = {"/srv"};
	CHECK_OK(containerv_upload(c, up_src, up_dst, 1));
	snprintf(path, sizeof path, "%s/back", host_dir);
	const char *down_src[] = {"/srv"}, *down_dst[] = {path};
	CHECK_OK(containerv_download(c, down_src, down_dst, 1));
	snprintf(command, sizeof command,
	         "diff -r %s/tree %s/back && test \"$(stat -c %%a %s/back/sub/file)\" = 741 && "
	         "test \"$(readlink %s/back/link)\" = sub/file",
	         host_dir, host_dir, host_dir, host_dir);
	CHECK(system(command) == 0);
	/* A symlink inside the container pointing at an absolute path stays inside the container. */
	CHECK_OK(containerv_join(containerv_id(c), ln, &e));
	CHECK_EQ_INT(e.code, 0);
	snprintf(path, sizeof path, "%s/stolen", host_dir);
	const char *evil_src[] = {"/evil/secret"}, *evil_dst[] = {path};
	CHECK(containerv_download(c, evil_src, evil_dst, 1) == -1);
	CHECK(access(path, F_OK) != 0);
	const char *plant_src[] = {up_src[0]}, *plant_dst[] = {"/evil/planted"};
	snprintf(path, sizeof path, "%s/tree/sub/file", host_dir);
	plant_src[0] = path;
	CHECK_OK(containerv_upload(c, plant_src, plant_dst, 1));
	CHECK(access("/tmp/escape-target/planted", F_OK) != 0);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	snprintf(command, sizeof command, "rm -rf %s /tmp/escape-target", host_dir);
	CHECK(system(command) == 0);
}

TEST(hostile_image_files_are_refused_not_opened)
{
	char layer[] = "/tmp/cvtest-layer-XXXXXX";
	char path[512];
	const char *argv[] = {"true", NULL};
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;

	CHECK(mkdtemp(layer) != NULL);
	snprintf(path, sizeof path, "%s/etc", layer);
	CHECK(mkdir(path, 0755) == 0);
	/* A FIFO where /etc/hosts goes: opening it would block the init (and create) forever. */
	snprintf(path, sizeof path, "%s/etc/hosts", layer);
	CHECK(mkfifo(path, 0644) == 0);
	const char *layers[] = {rootfs, layer};
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_layers(o, layers, 2));
	CHECK_OK(containerv_options_set_command(o, argv));
	/*
	 * Ten times: on cgroup v1 the init fails while the parent's CV_SYNC_CGROUP may or may not be
	 * queued at it, and the report must arrive whole either way (CI once saw EIO instead).
	 */
	for (int i = 0; i < 10; i++) {
		CHECK(cv_test_create(o, &c) == -1);
		CHECK(strstr(containerv_last_error(), "/etc/hosts") != NULL);
	}
	containerv_options_delete(o);
	unlink(path);
	snprintf(path, sizeof path, "%s/etc", layer);
	rmdir(path);
	rmdir(layer);
	check_no_leftovers();
}

/* Runs op on the container named name in two processes at once; returns how many succeeded. */
static int race_two_processes(const char *name, int (*op)(struct containerv_container *), int *errnos)
{
	int pipes[2][2], successes = 0;
	pid_t children[2];

	for (int i = 0; i < 2; i++) {
		CHECK(pipe(pipes[i]) == 0);
		children[i] = fork();
		CHECK(children[i] >= 0);
		if (children[i] == 0) {
			struct containerv_container *c = NULL;
			int result[2] = {0, 0};
			if (containerv_open(name, &c) < 0 || op(c) < 0) {
				result[0] = -1;
				result[1] = errno;
			}
			if (write(pipes[i][1], result, sizeof result) != sizeof result)
				_exit(2);
			_exit(0);
		}
		close(pipes[i][1]);
	}
	for (int i = 0; i < 2; i++) {
		int result[2] = {-1, EIO};
		CHECK(read(pipes[i][0], result, sizeof result) == sizeof result);
		close(pipes[i][0]);
		waitpid(children[i], NULL, 0);
		if (result[0] == 0)
			successes++;
		else
			errnos[i] = result[1];
	}
	return successes;
}

static int start_keeping_it(struct containerv_container *c)
{
	/* The init is this child's; a process that exits leaves it to the subreaper, which is fine here. */
	return containerv_start(c);
}

TEST(concurrent_start_and_remove_are_serialized)
{
	const char *argv[] = {"sleep", "100", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	int errnos[2] = {0, 0};

	CHECK_OK(containerv_options_set_name(o, "raced"));
	CHECK_OK(containerv_options_set_autostart(o, 0));
	CHECK_OK(cv_test_create(o, &c));
	containerv_close(c);
	/* Two starts: one wins, the other sees it running. */
	CHECK_EQ_INT(race_two_processes("raced", start_keeping_it, errnos), 1);
	CHECK(errnos[0] == EBUSY || errnos[1] == EBUSY);
	CHECK_OK(containerv_open("raced", &c));
	CHECK_OK(containerv_inspect(c, &info));
	CHECK_EQ_INT(info.state, CV_STATE_RUNNING);
	containerv_close(c);
	/* Two removes: one wins, the other finds nothing to remove; nothing is left either way. */
	errnos[0] = errnos[1] = 0;
	CHECK_EQ_INT(race_two_processes("raced", containerv_destroy, errnos), 1);
	CHECK(errnos[0] == ENOENT || errnos[1] == ENOENT);
	containerv_options_delete(o);
	check_no_leftovers();
}

TEST(user_namespace_maps_root_to_an_unprivileged_host_uid)
{
	const char *argv[] = {"sh", "-c",
	                      "id -u; cat /proc/self/uid_map; echo ok > /dev/shm/f && cat /dev/shm/f; "
	                      "stat -c %u /bin/busybox; echo x > /etc/added && echo wrote; sleep 30",
	                      NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_process_info processes[8];
	size_t count = 0;
	int fds[2];
	char line[256];
	FILE *out;

	CHECK_OK(containerv_options_set_users(o, 100000, 0, 65536));
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK_OK(containerv_options_set_stdio(o, -1, fds[1], 2));
	CHECK_OK(cv_test_create(o, &c));
	close(fds[1]);
	out = fdopen(fds[0], "r");
	CHECK(fgets(line, sizeof line, out) != NULL);
	CHECK_EQ_STR(line, "0\n"); /* root inside */
	CHECK(fgets(line, sizeof line, out) != NULL);
	unsigned inside, outside, length;
	CHECK(sscanf(line, "%u %u %u", &inside, &outside, &length) == 3);
	CHECK_EQ_INT(outside, 100000);
	CHECK(fgets(line, sizeof line, out) != NULL);
	CHECK_EQ_STR(line, "ok\n");
	/* The image's files, host root's, are the container root's through the id-mapped layers ... */
	CHECK(fgets(line, sizeof line, out) != NULL);
	CHECK_EQ_STR(line, "0\n");
	/* ... so root can change the image's own directories, and what it writes is the mapped uid's on the host. */
	CHECK(fgets(line, sizeof line, out) != NULL);
	CHECK_EQ_STR(line, "wrote\n");
	char added[PATH_MAX];
	struct stat st;
	snprintf(added, sizeof added, "%s/containers/%s/upper/etc/added", containerv_root(), containerv_id(c));
	CHECK(stat(added, &st) == 0);
	CHECK_EQ_INT(st.st_uid, 100000);
	/* Nothing of the id-mapped layers is mounted on the host. */
	CHECK(!file_contains("/proc/self/mountinfo", containerv_id(c)));
	/* Seen from the host, every process of the container runs as the mapped uid, not as root. */
	CHECK_OK(containerv_get_processes(c, processes, 8, &count));
	CHECK(count >= 2);
	for (size_t i = 0; i < count && i < 8; i++)
		CHECK_EQ_INT(processes[i].uid, 100000);
	fclose(out);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	check_no_leftovers();
}

static void *create_and_destroy(void *arg)
{
	const char *argv[] = {"true", NULL};
	long failures = 0;

	for (int i = 0; i < 5; i++) {
		struct containerv_options *o = NULL;
		struct containerv_container *c = NULL;
		struct containerv_exit e;
		if (containerv_options_new(&o) < 0 || containerv_options_set_rootfs(o, rootfs) < 0 ||
		    containerv_options_set_command(o, argv) < 0 || cv_test_create(o, &c) < 0 ||
		    containerv_wait(c, &e) < 0 || e.code != 0 || containerv_destroy(c) < 0) {
			fprintf(stderr, "  thread %ld: %s\n", (long)arg, containerv_last_error());
			failures++;
		}
		containerv_options_delete(o);
	}
	return (void *)failures;
}

TEST(fifty_concurrent_containers_leave_nothing)
{
	pthread_t threads[10];
	long failures = 0;

	for (long i = 0; i < 10; i++)
		CHECK(pthread_create(&threads[i], NULL, create_and_destroy, (void *)i) == 0);
	for (int i = 0; i < 10; i++) {
		void *result;
		pthread_join(threads[i], &result);
		failures += (long)result;
	}
	CHECK_EQ_INT(failures, 0);
	check_no_leftovers();
}

/* A spare file is written through only when it is one: a hardlink or symlink in its place is left alone. */
TEST(atomic_write_through_a_spare_never_truncates_what_is_not_one)
{
	char dir[300], *text = NULL;
	int dirfd;
	struct stat spare, written;

	snprintf(dir, sizeof dir, "%s/spare-write", root);
	CHECK_OK(mkdir(dir, 0700));
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	CHECK_OK(cv_write_file_at(dirfd, "victim", "precious", 8, 0600));
	CHECK_OK(linkat(dirfd, "victim", dirfd, ".a.spare", 0));
	CHECK_OK(symlinkat("victim", dirfd, ".b.spare"));
	CHECK_OK(cv_write_file_atomic_via_at(dirfd, "a", ".a.spare", "new-a", 5, 0600));
	CHECK_OK(cv_write_file_atomic_via_at(dirfd, "b", ".b.spare", "new-b", 5, 0600));
	CHECK_OK(cv_read_file_at(dirfd, "victim", &text, NULL, 64));
	CHECK_EQ_STR(text, "precious");
	free(text);
	CHECK_OK(faccessat(dirfd, ".a.spare", F_OK, 0)); /* not taken */
	/* A real one: its inode becomes the file, and no other file is made. */
	CHECK_OK(cv_write_file_at(dirfd, ".c.spare", "", 0, 0600));
	CHECK_OK(fstatat(dirfd, ".c.spare", &spare, 0));
	CHECK_OK(cv_write_file_atomic_via_at(dirfd, "c", ".c.spare", "new-c", 5, 0600));
	CHECK_OK(fstatat(dirfd, "c", &written, 0));
	CHECK(written.st_ino == spare.st_ino);
	CHECK(faccessat(dirfd, ".c.spare", F_OK, 0) < 0 && errno == ENOENT);
	CHECK_OK(cv_read_file_at(dirfd, "c", &text, NULL, 64));
	CHECK_EQ_STR(text, "new-c");
	free(text);
	close(dirfd);
	CHECK_OK(cv_rm_rf(dir));
}

/*
 * A write through a spare keeps the file it replaces linked under a retired slot (its blocks are not freed on
 * the writer's path), never writes into a retired one again, and frees once every slot is taken.
 */
TEST(atomic_write_through_a_spare_retires_the_replaced_file_in_bounded_slots)
{
	char dir[300], name[64], content[16], *text = NULL;
	int dirfd;
	struct stat first, retired;

	snprintf(dir, sizeof dir, "%s/retire-write", root);
	CHECK_OK(mkdir(dir, 0700));
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	CHECK_OK(cv_write_file_atomic_via_at(dirfd, "s", ".s.spare", "gen-0", 5, 0600));
	CHECK_OK(fstatat(dirfd, "s", &first, 0));
	for (int gen = 1; gen <= CV_RETIRED_SLOTS + 2; gen++) {
		snprintf(content, sizeof content, "gen-%d", gen);
		CHECK_OK(cv_write_file_atomic_via_at(dirfd, "s", ".s.spare", content, strlen(content), 0600));
		CHECK_OK(cv_read_file_at(dirfd, "s", &text, NULL, 64));
		CHECK_EQ_STR(text, content);
		free(text);
	}
	/* Slot 0 holds the first file, whole and untouched; each slot one generation; no slot past the last. */
	cv_retired_name("s", 0, name, sizeof name);
	CHECK_OK(fstatat(dirfd, name, &retired, AT_SYMLINK_NOFOLLOW));
	CHECK(retired.st_ino == first.st_ino && retired.st_nlink == 1);
	for (int slot = 0; slot < CV_RETIRED_SLOTS; slot++) {
		cv_retired_name("s", slot, name, sizeof name);
		snprintf(content, sizeof content, "gen-%d", slot);
		CHECK_OK(cv_read_file_at(dirfd, name, &text, NULL, 64));
		CHECK_EQ_STR(text, content);
		free(text);
	}
	cv_retired_name("s", CV_RETIRED_SLOTS, name, sizeof name);
	CHECK(faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	/* The plain atomic write retires nothing. */
	CHECK_OK(cv_write_file_atomic_at(dirfd, "p", "one", 3, 0600));
	CHECK_OK(cv_write_file_atomic_at(dirfd, "p", "two", 3, 0600));
	cv_retired_name("p", 0, name, sizeof name);
	CHECK(faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	close(dirfd);
	CHECK_OK(cv_rm_rf(dir));
}

/* The state through the watch descriptor, waiting for it with poll() only: no blocking library call. */
static enum containerv_state watch_until(struct containerv_container *c, enum containerv_state wanted)
{
	enum containerv_state state = 0;
	struct pollfd entry = {.events = POLLIN};

	CHECK_OK(containerv_watch_fd(c, &entry.fd));
	for (int i = 0; i < 200; i++) {
		CHECK_OK(containerv_watch_state(c, &state));
		if (state == wanted)
			return state;
		CHECK(poll(&entry, 1, 5000) == 1); /* a change must wake us: never a timeout */
	}
	return state;
}

TEST(held_start_sets_up_without_executing_until_another_process_releases_it)
{
	const char *touch[] = {"/bin/sh", "-c", "touch /ran", NULL};
	struct containerv_options *o = options_for(touch);
	struct containerv_container *c = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	struct containerv_exit e;
	char path[512], id[65];
	int status;

	CHECK_OK(containerv_options_set_stdio(o, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL, CONTAINERV_STDIO_NULL));
	CHECK_OK(containerv_options_set_hold(o, 1));
	CHECK_OK(cv_test_create(o, &c));
	containerv_options_delete(o);
	snprintf(id, sizeof id, "%s", containerv_id(c));
	CHECK_OK(containerv_inspect(c, &info));
	CHECK_EQ_INT(info.state, CV_STATE_HELD);
	CHECK_EQ_STR(containerv_state_name(info.state), "held");
	CHECK(info.pid > 0 && info.started_ns == 0);
	/* Its init sits in its cgroup, inside its root filesystem, and the command has not run. */
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)info.pid);
	CHECK(file_contains(path, id));
	snprintf(path, sizeof path, "/proc/%d/root/bin/sh", (int)info.pid);
	CHECK(access(path, X_OK) == 0);
	snprintf(path, sizeof path, "/proc/%d/root/ran", (int)info.pid);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	CHECK_EQ_INT(watch_until(c, CV_STATE_HELD), CV_STATE_HELD);
	/* Released by another process, which only knows the id; the watch sees it run and end. */
	pid_t child = fork();
	if (child == 0) {
		struct containerv_container *other = NULL;
		_exit(containerv_open(id, &other) == 0 && containerv_start(other) == 0 ? 0 : 1);
	}
	CHECK(child > 0 && waitpid(child, &status, 0) == child);
	CHECK_EQ_INT(status, 0);
	CHECK_EQ_INT(watch_until(c, CV_STATE_EXITED), CV_STATE_EXITED);
	CHECK_OK(containerv_wait(c, &e));
	CHECK_EQ_INT(e.code, 0);
	snprintf(path, sizeof path, "%s/containers/%s/upper/ran", root, id);
	CHECK(access(path, F_OK) == 0);
	snprintf(path, sizeof path, "%s/containers/%s/held.sock", root, id);
	CHECK(access(path, F_OK) < 0);
	CHECK_EQ_INT(containerv_start(c), 0); /* an exited held container starts again as any other */
	CHECK_OK(containerv_wait(c, &e));
	CHECK_OK(containerv_destroy(c));
	check_no_leftovers();
}

TEST(held_container_removed_or_killed_leaves_nothing)
{
	const char *echo[] = {"echo", "never", NULL};
	const char *missing[] = {"/no/such/command", NULL};
	struct containerv_options *o = options_for(echo);
	struct containerv_container *c = NULL, *other = NULL;
	struct containerv_info info = {.version = CONTAINERV_INFO_VERSION};
	int fd;

	CHECK_OK(containerv_options_set_hold(o, 1));
	CHECK_OK(cv_test_create(o, &c));
	containerv_options_delete(o);
	CHECK_OK(containerv_watch_fd(c, &fd));
	CHECK_OK(containerv_open(containerv_id(c), &other));
	CHECK_OK(containerv_destroy(other));
	/* The watcher sees the removal. */
	struct pollfd entry = {.fd = fd, .events = POLLIN};
	enum containerv_state state;
	CHECK(poll(&entry, 1, 5000) == 1);
	CHECK(containerv_watch_state(c, &state) < 0 && errno == ENOENT);
	containerv_close(c);
	check_no_leftovers();
	/* A held init killed: created again; a command that cannot run fails the release, 127. */
	o = options_for(missing);
	CHECK_OK(containerv_options_set_hold(o, 1));
	CHECK_OK(cv_test_create(o, &c));
	containerv_options_delete(o);
	CHECK_OK(containerv_inspect(c, &info));
	/* Killed while its creator waits for it: no exit status (before: wait reported exit code 0). */
	pid_t killer = fork();
	if (killer == 0) {
		usleep(200 * 1000);
		_exit(kill(info.pid, SIGKILL) == 0 ? 0 : 1);
	}
	CHECK(killer > 0);
	struct containerv_exit e = {.code = -1};
	CHECK(containerv_wait(c, &e) < 0 && errno == ESRCH);
	CHECK(waitpid(killer, NULL, 0) == killer);
	CHECK_EQ_INT(watch_until(c, CV_STATE_CREATED), CV_STATE_CREATED);
	CHECK(containerv_start(c) < 0 && errno == ENOENT);
	CHECK_OK(containerv_inspect(c, &info));
	CHECK_EQ_INT(info.state, CV_STATE_CREATED);
	CHECK_OK(containerv_destroy(c));
	check_no_leftovers();
}

int main(void)
{
	if (geteuid() != 0) {
		printf("skip: containers need root\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	snprintf(root, sizeof root, "/tmp/cvtest-unit-%d", (int)getpid());
	if (containerv_set_root(root) != 0) {
		fprintf(stderr, "set_root: %s\n", containerv_last_error());
		return 1;
	}
	cv_test_after_each = cv_test_remove_all_containers;
	RUN(echo_runs_and_exit_codes_propagate);
	RUN(init_is_pid_1_and_hostname_is_set);
	RUN(env_workdir_and_user_apply);
	RUN(rootfs_is_never_modified);
	RUN(missing_command_fails_cleanly);
	RUN(bad_options_are_refused);
	RUN(names_are_unique_and_open_finds_by_name_and_prefix);
	RUN(idle_container_spawn_join_kill_and_list);
	RUN(stop_escalates_to_sigkill);
	RUN(memory_limit_kills_and_reports_oom);
	RUN(pids_limit_stops_a_fork_bomb);
	RUN(cpu_quota_gives_about_half_a_cpu);
	RUN(stats_follow_what_the_workload_does);
	RUN(upload_and_download_round_trip_without_escaping);
	RUN(hostile_image_files_are_refused_not_opened);
	RUN(concurrent_start_and_remove_are_serialized);
	RUN(user_namespace_maps_root_to_an_unprivileged_host_uid);
	RUN(fifty_concurrent_containers_leave_nothing);
	RUN(held_start_sets_up_without_executing_until_another_process_releases_it);
	RUN(held_container_removed_or_killed_leaves_nothing);
	RUN(atomic_write_through_a_spare_never_truncates_what_is_not_one); /* under the root the others made */
	RUN(atomic_write_through_a_spare_retires_the_replaced_file_in_bounded_slots);
	char command[512];
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
