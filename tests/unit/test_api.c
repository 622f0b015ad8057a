/*
 * The public functions no other C test reaches, each checked by its effect
 * in a real container: logging, labels and string lists, the log file,
 * state names, namespaces, tty, autoremove, mounts, read-only roots, tar
 * streams in and out, security profiles on options, the container audit,
 * and user namespaces with leased ranges.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "test.h"

static char root[] = "/tmp/cvtest-api.XXXXXX";

static struct containerv_options *options_for(const char *const *argv)
{
	struct containerv_options *o = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, CV_TEST_ROOTFS));
	if (argv != NULL)
		CHECK_OK(containerv_options_set_command(o, argv));
	return o;
}

struct logged {
	int count;
	enum containerv_log_level level;
	char message[256];
};

static void log_callback(enum containerv_log_level level, const char *message, void *user)
{
	struct logged *logged = user;

	logged->count++;
	logged->level = level;
	snprintf(logged->message, sizeof logged->message, "%s", message);
}

TEST(log_callback_receives_messages)
{
	struct logged logged = {0};

	containerv_set_log(log_callback, &logged);
	cv_log(CONTAINERV_LOG_WARNING, "host lacks %s", "something");
	containerv_set_log(NULL, NULL);
	cv_log(CONTAINERV_LOG_WARNING, "nobody listens");
	CHECK_EQ_INT(logged.count, 1);
	CHECK_EQ_INT(logged.level, CONTAINERV_LOG_WARNING);
	CHECK_EQ_STR(logged.message, "host lacks something");
}

TEST(labels_strings_log_file_and_state_names)
{
	const char *argv[] = {"echo", "to the log", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_exit e;
	char **strings = NULL;
	size_t count = 0;
	char *log = NULL;
	FILE *file;

	CHECK_OK(containerv_options_add_label(o, "tier=web"));
	CHECK_OK(containerv_options_add_label(o, "owner=ops"));
	CHECK(containerv_options_add_label(o, "=novalue") == -1 && errno == EINVAL);
	CHECK_OK(containerv_create(o, &c));
	CHECK_OK(containerv_wait(c, &e));
	CHECK_OK(containerv_get_strings(c, CV_STRINGS_LABELS, &strings, &count));
	CHECK_EQ_INT(count, 2);
	CHECK_EQ_STR(strings[0], "tier=web");
	CHECK_EQ_STR(strings[1], "owner=ops");
	CHECK(strings[2] == NULL);
	containerv_strings_free(strings);
	containerv_strings_free(NULL);
	CHECK_OK(containerv_get_strings(c, CV_STRINGS_COMMAND, &strings, &count));
	CHECK_EQ_INT(count, 2);
	CHECK_EQ_STR(strings[1], "to the log");
	containerv_strings_free(strings);
	/* No stdio given: the main command's output is in the container's log file. */
	file = fopen(containerv_log_path(c), "r");
	CHECK(file != NULL);
	size_t size = 0;
	CHECK(getline(&log, &size, file) > 0);
	fclose(file);
	/* One record: "<RFC 3339 time> stdout F <line>" (<chef/containerv/logs.h>). */
	CHECK(strlen(log) > 31 && strcmp(log + 30, " stdout F to the log\n") == 0);
	free(log);
	CHECK_EQ_STR(containerv_state_name(CV_STATE_RUNNING), "running");
	CHECK_EQ_STR(containerv_state_name(CV_STATE_EXITED), "exited");
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

TEST(namespaces_choose_what_is_shared)
{
	const char *argv[] = {"readlink", "/proc/self/ns/net", NULL};
	struct containerv_options *o = options_for(argv);
	char host_net[128] = "";

	CHECK(readlink("/proc/self/ns/net", host_net, sizeof host_net - 1) > 0);
	CHECK_OK(containerv_options_set_namespaces(o, CV_NS_DEFAULT & ~(unsigned int)CV_NS_NET));
	char *out = cv_test_run_capture(o, NULL);
	out[strcspn(out, "\n")] = '\0';
	CHECK_EQ_STR(out, host_net);
	o = options_for(argv);
	out = cv_test_run_capture(o, NULL);
	out[strcspn(out, "\n")] = '\0';
	CHECK(strcmp(out, host_net) != 0);
}

TEST(tty_gives_a_controlling_terminal)
{
	const char *argv[] = {"sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo is-a-tty; stty size", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_exit e;
	struct stat st;
	containerv_fd_t fds[3]; /* the portable type: file descriptors on Linux */
	int master, slave;
	char buffer[256] = "";
	size_t used = 0;

	/* A terminal of the host is refused: the container could reopen it through /proc/self/fd. */
	CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0);
	CHECK_OK(containerv_options_set_stdio(o, slave, slave, slave));
	CHECK_OK(containerv_options_set_tty(o, 1));
	CHECK(containerv_create(o, &c) == -1);
	CHECK_EQ_INT(errno, EINVAL);
	close(master);
	close(slave);
	/* The library makes it inside the container and hands over the master. */
	CHECK_OK(containerv_options_set_stdio(o, CONTAINERV_STDIO_PIPE, CONTAINERV_STDIO_PIPE, CONTAINERV_STDIO_PIPE));
	CHECK_OK(containerv_options_set_tty_size(o, 33, 77));
	CHECK_OK(containerv_create(o, &c));
	CHECK_OK(containerv_take_stdio(c, fds));
	CHECK(fds[0] >= 0 && fds[1] == -1 && fds[2] == -1);
	CHECK(fstat(fds[0], &st) == 0 && S_ISCHR(st.st_mode));
	CHECK_OK(containerv_wait(c, &e));
	/* The output waits in the pty; read what is there without blocking. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (ssize_t n; used < sizeof buffer - 1 && (n = read(fds[0], buffer + used, sizeof buffer - 1 - used)) > 0;)
		used += (size_t)n;
	close(fds[0]);
	CHECK(strstr(buffer, "is-a-tty") != NULL);
	CHECK(strstr(buffer, "33 77") != NULL);
	CHECK_EQ_INT(e.code, 0);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

TEST(autoremove_removes_the_container_when_it_ends)
{
	const char *argv[] = {"true", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	char id[80], path[PATH_MAX];

	CHECK_OK(containerv_options_set_autoremove(o, CV_AUTOREMOVE_MONITOR));
	CHECK_OK(containerv_create(o, &c));
	snprintf(id, sizeof id, "%s", containerv_id(c));
	containerv_close(c);
	containerv_options_delete(o);
	snprintf(path, sizeof path, "%s/containers/%s", root, id);
	for (int i = 0; i < 200 && access(path, F_OK) == 0; i++)
		usleep(25000);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	CHECK(containerv_open(id, &c) == -1 && errno == ENOENT);
}

static int count_one(const struct containerv_info *info, void *user)
{
	(void)info;
	++*(int *)user;
	return 0;
}

/* BY_WAITER: no monitor removes it; the waiter does, or, had it died, the next list. */
TEST(autoremove_by_waiter_is_removed_by_the_next_list)
{
	const char *argv[] = {"sh", "-c", "exit 7", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_exit e;
	char id[80], path[PATH_MAX];
	int listed = 0;

	CHECK(containerv_options_set_autoremove(o, 3) == -1 && errno == EINVAL);
	CHECK_OK(containerv_options_set_autoremove(o, CV_AUTOREMOVE_BY_WAITER));
	CHECK_OK(containerv_create(o, &c));
	snprintf(id, sizeof id, "%s", containerv_id(c));
	CHECK_OK(containerv_wait(c, &e));
	CHECK_EQ_INT(e.code, 7);
	/* Ended, and still there: nobody but its waiter (or a list) removes it. */
	usleep(100000);
	snprintf(path, sizeof path, "%s/containers/%s", root, id);
	CHECK(access(path, F_OK) == 0);
	containerv_close(c); /* the waiter "dies" without removing it */
	CHECK_OK(containerv_list(count_one, &listed));
	CHECK_EQ_INT(listed, 0);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	CHECK(containerv_open(id, &c) == -1 && errno == ENOENT);
	containerv_options_delete(o);
}

TEST(mounts_and_read_only_root)
{
	const char *argv[] = {"sh", "-c",
	                      "df -k /scratch | tail -1 | awk '{print $2}'; touch /oops 2>/dev/null || echo ro; "
	                      "touch /scratch/ok && echo rw",
	                      NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_mount tmpfs = CONTAINERV_MOUNT_INIT;

	tmpfs.type = CV_MOUNT_TYPE_TMPFS;
	tmpfs.target = "/scratch";
	tmpfs.tmpfs_size = 4 * 1024 * 1024;
	CHECK_OK(containerv_options_add_mount(o, &tmpfs));
	CHECK_OK(containerv_options_set_readonly_rootfs(o, 1));
	CHECK_EQ_STR(cv_test_run_capture(o, NULL), "4096\nro\nrw\n");
}

TEST(tar_streams_in_and_out)
{
	const char *argv[] = {"sleep", "30", NULL};
	const char *check[] = {"cat", "/tmp/in/hello.txt", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_container *c = NULL;
	struct containerv_spawn_options spawn = CONTAINERV_SPAWN_OPTIONS_INIT;
	struct containerv_exit e;
	char tree[PATH_MAX], command[PATH_MAX * 2 + 64], tarball[PATH_MAX];
	int fds[2];

	snprintf(tree, sizeof tree, "%s/tree", root);
	snprintf(tarball, sizeof tarball, "%s/in.tar", root);
	snprintf(command, sizeof command, "mkdir -p %s/in && echo hi > %s/in/hello.txt && tar -C %s -cf %s in", tree,
	         tree, tree, tarball);
	CHECK(system(command) == 0);
	CHECK_OK(containerv_create(o, &c));
	int in = open(tarball, O_RDONLY | O_CLOEXEC);
	CHECK(in >= 0);
	CHECK_OK(containerv_upload_tar(c, in, "/tmp"));
	close(in);
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	spawn.argv = check;
	spawn.stdout_fd = fds[1];
	spawn.flags = CV_SPAWN_WAIT;
	CHECK_OK(containerv_spawn(c, &spawn, NULL, &e));
	close(fds[1]);
	CHECK_EQ_STR(cv_test_read_all(fds[0]), "hi\n");
	close(fds[0]);
	/* Out again: a tar stream whose listing is the tree. */
	snprintf(tarball, sizeof tarball, "%s/out.tar", root);
	int out = open(tarball, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(out >= 0);
	CHECK_OK(containerv_download_tar(c, "/tmp/in", out));
	close(out);
	snprintf(command, sizeof command, "tar -tf %s | sort | tr '\\n' ' '", tarball);
	FILE *listing = popen(command, "r");
	CHECK(listing != NULL);
	CHECK_EQ_STR(cv_test_read_all(fileno(listing)), "in/ in/hello.txt ");
	pclose(listing);
	CHECK(containerv_upload_tar(c, -1, "/tmp") == -1);
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

TEST(security_profiles_on_options_and_the_container_audit)
{
	const char *argv[] = {"sh", "-c",
	                      "grep NoNewPrivs /proc/self/status; touch /x 2>/dev/null || echo ro; sleep 30", NULL};
	struct containerv_options *o = options_for(argv);
	struct containerv_security *s = NULL, *copy = NULL, *got = NULL;
	struct containerv_container *c = NULL;
	struct containerv_audit *audit = NULL;
	struct containerv_finding finding;
	enum containerv_security_level level;
	int fds[2];

	CHECK_OK(containerv_security_level_parse("PERMISSIVE", &level));
	CHECK_EQ_INT(level, CV_SECURITY_PERMISSIVE);
	CHECK(containerv_security_level_parse("extreme", &level) == -1 && errno == EINVAL);
	CHECK_EQ_STR(containerv_security_level_name(CV_SECURITY_STRICT), "strict");
	CHECK(containerv_security_level_name((enum containerv_security_level)42) == NULL);
	CHECK_OK(containerv_security_new(CV_SECURITY_PERMISSIVE, &s));
	CHECK_OK(containerv_security_set_no_new_privileges(s, 1));
	CHECK_OK(containerv_security_set_read_only_rootfs(s, 1));
	CHECK_OK(containerv_security_copy(s, &copy));
	containerv_security_delete(s);
	CHECK_OK(containerv_options_set_security(o, copy));
	containerv_security_delete(copy);
	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK_OK(containerv_options_set_stdio(o, -1, fds[1], 2));
	CHECK_OK(containerv_create(o, &c));
	close(fds[1]);
	char line[128];
	FILE *out = fdopen(fds[0], "r");
	CHECK(fgets(line, sizeof line, out) != NULL && strstr(line, "1") != NULL);
	CHECK(fgets(line, sizeof line, out) != NULL);
	CHECK_EQ_STR(line, "ro\n");
	fclose(out);
	CHECK_OK(containerv_get_security(c, &got));
	CHECK_EQ_INT(containerv_security_level(got), CV_SECURITY_PERMISSIVE);
	containerv_security_delete(got);
	CHECK_OK(containerv_audit_container(c, &audit));
	CHECK(containerv_audit_count(audit) > 0);
	bool no_pids_limit = false;
	for (size_t i = 0; i < containerv_audit_count(audit); i++) {
		CHECK_OK(containerv_audit_finding(audit, i, &finding));
		no_pids_limit |= strcmp(finding.id, "no-pids-limit") == 0;
	}
	CHECK(no_pids_limit);
	containerv_audit_delete(audit);
	CHECK_EQ_STR(containerv_severity_name(CV_SEVERITY_HIGH), "high");
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
}

TEST(user_namespaces_lease_ranges)
{
	const char *argv[] = {"sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map", NULL};
	struct containerv_options *o = options_for(argv);
	unsigned inside, outside, count;
	char path[PATH_MAX];

	CHECK_OK(containerv_options_set_userns_auto(o, 1));
	char *out = cv_test_run_capture(o, NULL);
	CHECK(sscanf(out, "%u %u %u", &inside, &outside, &count) == 3);
	CHECK_EQ_INT(inside, 0);
	CHECK(outside >= 100000);
	CHECK_EQ_INT(count, 65536);
	snprintf(path, sizeof path, "%s/userns/%u", root, outside);
	CHECK(access(path, F_OK) < 0); /* released with the container */
	/* Explicit groups: the given gid map, the uid map from set_users. */
	o = options_for(argv);
	CHECK_OK(containerv_options_set_users(o, 300000, 0, 1000));
	CHECK_OK(containerv_options_set_groups(o, 310000, 0, 1000));
	out = cv_test_run_capture(o, NULL);
	unsigned gin, gout, gcount;
	CHECK(sscanf(out, "%u %u %u %u %u %u", &inside, &outside, &count, &gin, &gout, &gcount) == 6);
	CHECK_EQ_INT(outside, 300000);
	CHECK_EQ_INT(gout, 310000);
	CHECK_EQ_INT(gcount, 1000);
}

int main(void)
{
	CHECK(mkdtemp(root) != NULL);
	chmod(root, 0711); /* a user namespace's root must pass through it */
	CHECK_OK(containerv_set_root(root));
	cv_test_after_each = cv_test_remove_all_containers;
	RUN(log_callback_receives_messages);
	RUN(labels_strings_log_file_and_state_names);
	RUN(namespaces_choose_what_is_shared);
	RUN(tty_gives_a_controlling_terminal);
	RUN(autoremove_removes_the_container_when_it_ends);
	RUN(autoremove_by_waiter_is_removed_by_the_next_list);
	RUN(mounts_and_read_only_root);
	RUN(tar_streams_in_and_out);
	RUN(security_profiles_on_options_and_the_container_audit);
	RUN(user_namespaces_lease_ranges);
	char command[256];
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
