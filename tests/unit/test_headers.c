/*
 * The public headers as a user sees them: the umbrella header is enough,
 * including it twice is harmless, and the _INIT macros and version macros
 * say what their comments promise. (cmake/ContainervHeaderChecks.cmake
 * compiles each header alone with -std=c11 -pedantic -Werror.)
 */
#include <chef/containerv.h>
#include <chef/containerv.h>

#include <stdio.h>

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
	RUN(last_error_is_never_null);
	return cv_test_summary();
}
