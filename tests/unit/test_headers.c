/*
 * The public headers as a user sees them: the umbrella header is enough,
 * including it twice is harmless, and the _INIT macros and version macros
 * say what their comments promise. (cmake/ContainervHeaderChecks.cmake
 * compiles each header alone with -std=c11 -pedantic -Werror.)
 */
#include <chef/containerv.h>
#include <chef/containerv.h>

#include <stdio.h>
#include <sys/types.h>

#include "test.h"

TEST(version_macros_agree)
{
	char expected[32];

	snprintf(expected, sizeof(expected), "%d.%d.%d", CONTAINERV_VERSION_MAJOR, CONTAINERV_VERSION_MINOR,
	         CONTAINERV_VERSION_PATCH);
	CHECK_EQ_STR(CONTAINERV_VERSION_STRING, expected);
}

TEST(limits_init_sets_version_and_leaves_the_rest_unset)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	CHECK_EQ_INT(limits.version, CONTAINERV_LIMITS_VERSION);
	CHECK_EQ_INT(limits.memory_bytes, 0);
	CHECK_EQ_INT(limits.memory_swap_bytes, 0);
	CHECK_EQ_INT(limits.cpu_shares, 0);
	CHECK_EQ_INT(limits.cpu_quota_us, 0);
	CHECK_EQ_INT(limits.cpu_period_us, 0);
	CHECK_EQ_STR(limits.cpuset_cpus, "");
	CHECK_EQ_STR(limits.cpuset_mems, "");
	CHECK_EQ_INT(limits.pids_max, 0);
	CHECK_EQ_INT(limits.io_weight, 0);
}

TEST(spawn_options_init_uses_the_containers_defaults)
{
	struct containerv_spawn_options options = CONTAINERV_SPAWN_OPTIONS_INIT;

	CHECK_EQ_INT(options.version, CONTAINERV_SPAWN_OPTIONS_VERSION);
	CHECK(options.argv == NULL);
	CHECK(options.env == NULL);
	CHECK(options.workdir == NULL);
	CHECK_EQ_INT(options.uid, -1);
	CHECK_EQ_INT(options.gid, -1);
	/* /dev/null inside the container by default: no descriptor of the caller goes in unless asked. */
	CHECK_EQ_INT(options.stdin_fd, CONTAINERV_STDIO_NULL);
	CHECK_EQ_INT(options.stdout_fd, CONTAINERV_STDIO_NULL);
	CHECK_EQ_INT(options.stderr_fd, CONTAINERV_STDIO_NULL);
	CHECK_EQ_INT(options.flags, 0);
	CHECK(options.stdio_out == NULL);
}

TEST(default_namespaces_include_mount_but_not_user)
{
	CHECK((CV_NS_DEFAULT & CV_NS_MOUNT) != 0);
	CHECK((CV_NS_DEFAULT & CV_NS_USER) == 0);
}

/*
 * Source compatibility on Linux: the portable types of common.h are the POSIX
 * types the API used before, so a caller's uid_t, gid_t, pid_t and int
 * variables, arrays and pointers still fit every signature (under -Werror an
 * incompatible pointer would not compile).
 */
static int takes_portable_pointers(containerv_pid_t *pid, containerv_fd_t fds[3], containerv_uid_t *uid,
                                   containerv_gid_t *gid)
{
	return *pid + fds[0] + (int)*uid + (int)*gid;
}

TEST(portable_types_are_the_posix_types_on_linux)
{
	pid_t pid = 1;
	int fds[3] = {2, -1, -1};
	uid_t uid = 3;
	gid_t gid = 4;
	struct containerv_mount mount = CONTAINERV_MOUNT_INIT;

	CHECK_EQ_INT(takes_portable_pointers(&pid, fds, &uid, &gid), 10);
	CHECK_EQ_INT(sizeof(containerv_pid_t), sizeof(pid_t));
	CHECK_EQ_INT(sizeof(containerv_uid_t), sizeof(uid_t));
	CHECK_EQ_INT(sizeof(containerv_fd_t), sizeof(int));
	CHECK((containerv_pid_t)-1 < 0); /* signed, as pid_t */
	CHECK((containerv_uid_t)-1 > 0); /* unsigned, as uid_t */
	CHECK((containerv_fd_t)CONTAINERV_STDIO_NULL == -1);
	mount.tmpfs_uid = uid; /* the struct fields take them too */
	mount.tmpfs_gid = gid;
	CHECK_EQ_INT(mount.tmpfs_uid + mount.tmpfs_gid, 7);
}

TEST(last_error_is_never_null)
{
	CHECK(containerv_last_error() != NULL);
}

int main(void)
{
	RUN(version_macros_agree);
	RUN(limits_init_sets_version_and_leaves_the_rest_unset);
	RUN(spawn_options_init_uses_the_containers_defaults);
	RUN(default_namespaces_include_mount_but_not_user);
	RUN(portable_types_are_the_posix_types_on_linux);
	RUN(last_error_is_never_null);
	return cv_test_summary();
}
