/*
 * The OCI config.json loader's parts that need no container: linux.resources as `runc update` reads it
 * (containerv_oci_resources_parse), memory reservation and disableOOMKiller, linux.mountLabel kept in the
 * profile (and through its JSON), refusals naming the field with the output untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <chef/containerv.h>
#include <chef/containerv/oci.h>

#include "common/util.h"
#include "config/options.h"
#include "security/security-internal.h"
#include "test.h"

/* resources is refused with EINVAL, a message holding needle, and *limits as it was. */
static void check_resources_refused(const char *resources, const char *needle)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	limits.memory_bytes = 42;
	errno = 0;
	CHECK_EQ_INT(containerv_oci_resources_parse(resources, &limits), -1);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_INT(limits.memory_bytes, 42);
	if (strstr(containerv_last_error(), needle) == NULL) {
		fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", resources, containerv_last_error(), needle);
		CHECK(0);
	}
}

TEST(resources_values)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	CHECK_OK(containerv_oci_resources_parse(
	        "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432,\"disableOOMKiller\":true}"
	        ","
	        "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\",\"mems\":\"0\"},"
	        "\"pids\":{\"limit\":64},\"blockIO\":{\"weight\":300},"
	        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}",
	        &limits));
	CHECK_EQ_INT(limits.version, CONTAINERV_LIMITS_VERSION);
	CHECK_EQ_INT(limits.memory_bytes, 67108864);
	CHECK_EQ_INT(limits.memory_swap_bytes, 134217728);
	CHECK_EQ_INT(limits.memory_reservation_bytes, 33554432);
	CHECK_EQ_INT(limits.oom_kill_disable, 1);
	CHECK_EQ_INT(limits.cpu_shares, 512);
	CHECK_EQ_INT(limits.cpu_quota_us, 50000);
	CHECK_EQ_INT(limits.cpu_period_us, 100000);
	CHECK_EQ_STR(limits.cpuset_cpus, "0");
	CHECK_EQ_STR(limits.cpuset_mems, "0");
	CHECK_EQ_INT(limits.pids_max, 64);
	CHECK_EQ_INT(limits.io_weight, 300);
	CHECK_OK(containerv_limits_validate(&limits));
}

/* What an object leaves out stays unset: containerv_update() then changes only what it sets. */
TEST(resources_unset_stay_unset)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	CHECK_OK(containerv_oci_resources_parse("{\"memory\":{\"limit\":67108864}}", &limits));
	CHECK_EQ_INT(limits.memory_bytes, 67108864);
	CHECK_EQ_INT(limits.memory_swap_bytes, 0);
	CHECK_EQ_INT(limits.memory_reservation_bytes, 0);
	CHECK_EQ_INT(limits.oom_kill_disable, 0);
	CHECK_EQ_INT(limits.cpu_shares, 0);
	CHECK_EQ_INT(limits.pids_max, 0);
	CHECK_OK(containerv_oci_resources_parse("{\"pids\":{\"limit\":-1}}", &limits));
	CHECK_EQ_INT(limits.pids_max, -1);
	CHECK_EQ_INT(limits.memory_bytes, 0);
	CHECK_OK(containerv_oci_resources_parse("{}", &limits));
	CHECK_EQ_INT(limits.pids_max, 0);
}

/* hugepageLimits: one limit per size, 0 a limit too (kubelet sends 0 for every size a pod did not ask for). */
TEST(resources_hugepages)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	CHECK_OK(containerv_oci_resources_parse("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0},"
	                                        "{\"pageSize\":\"1GB\",\"limit\":2147483648}]}",
	                                        &limits));
	CHECK_EQ_INT(limits.hugetlb_count, 2);
	CHECK_EQ_INT(limits.hugetlb[0].page_size, 2097152);
	CHECK_EQ_INT(limits.hugetlb[0].limit_bytes, 0);
	CHECK_EQ_INT(limits.hugetlb[1].page_size, 1073741824);
	CHECK_EQ_INT(limits.hugetlb[1].limit_bytes, 2147483648LL);
	CHECK_OK(containerv_oci_resources_parse("{\"hugepageLimits\":[]}", &limits));
	CHECK_EQ_INT(limits.hugetlb_count, 0);
}

/* blockIO throttles: the four lists merged per device. */
TEST(resources_io_throttles)
{
	struct containerv_limits limits = CONTAINERV_LIMITS_INIT;

	CHECK_OK(containerv_oci_resources_parse(
	        "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}],"
	        "\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":2097152}],"
	        "\"throttleReadIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":100}],"
	        "\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":50}]}}",
	        &limits));
	CHECK_EQ_INT(limits.io_throttle_count, 2);
	CHECK_EQ_INT(limits.io_throttle[0].major, 8);
	CHECK_EQ_INT(limits.io_throttle[0].minor, 0);
	CHECK_EQ_INT(limits.io_throttle[0].read_bps, 1048576);
	CHECK_EQ_INT(limits.io_throttle[0].write_bps, 2097152);
	CHECK_EQ_INT(limits.io_throttle[0].write_iops, 50);
	CHECK_EQ_INT(limits.io_throttle[0].read_iops, 0);
	CHECK_EQ_INT(limits.io_throttle[1].minor, 16);
	CHECK_EQ_INT(limits.io_throttle[1].read_iops, 100);
	CHECK_OK(containerv_limits_validate(&limits));
}

/* The kernel's names of page sizes (cgroup files, OCI's pageSize) both ways. */
TEST(hugetlb_size_names)
{
	static const struct {
		uint64_t bytes;
		const char *name;
	} sizes[] = {{4096, "4KB"},      {65536, "64KB"},     {2097152, "2MB"},
	             {33554432, "32MB"}, {1ULL << 30, "1GB"}, {16ULL << 30, "16GB"}};
	char name[24];
	uint64_t bytes;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		CHECK_OK(containerv_hugetlb_size_name(sizes[i].bytes, name, sizeof name));
		CHECK_EQ_STR(name, sizes[i].name);
		CHECK_OK(containerv_hugetlb_parse_size(sizes[i].name, &bytes));
		CHECK_EQ_INT(bytes, sizes[i].bytes);
	}
	CHECK_EQ_INT(containerv_hugetlb_size_name(3 << 20, name, sizeof name), -1);
	CHECK_EQ_INT(containerv_hugetlb_size_name(2048, name, sizeof name), -1);
	CHECK_EQ_INT(containerv_hugetlb_size_name(2097152, name, 4), -1);
	static const char *const bad[] = {
	        "", "MB", "2", "2M", "2mb", "2MiB", "3MB", "2 MB", "-2MB", "2KB", "99999999999999999999GB"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ_INT(containerv_hugetlb_parse_size(bad[i], &bytes), -1);
		CHECK_EQ_INT(errno, EINVAL);
	}
}

/* The library's setters: a size set again replaces its limit; cgroup file names are plain, each once. */
TEST(options_hugetlb_and_cgroup_files)
{
	struct containerv_options *options = NULL;

	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(containerv_options_set_hugetlb_limit(options, 2097152, 4194304));
	CHECK_OK(containerv_options_set_hugetlb_limit(options, 2097152, 0));
	CHECK_EQ_INT(options->limits.hugetlb_count, 1);
	CHECK_EQ_INT(options->limits.hugetlb[0].limit_bytes, 0);
	CHECK_EQ_INT(containerv_options_set_hugetlb_limit(options, 3 << 20, 0), -1);
	CHECK_EQ_INT(containerv_options_set_hugetlb_limit(options, 2097152, 4096), -1);
	CHECK_EQ_INT(options->limits.hugetlb_count, 1);

	CHECK_OK(containerv_options_set_cgroup_file(options, "memory.oom.group", "1"));
	CHECK_OK(containerv_options_set_cgroup_file(options, "cgroup.max.depth", "3"));
	CHECK_EQ_STR(options->cgroup_unified[0], "memory.oom.group=1");
	CHECK_EQ_INT(containerv_options_set_cgroup_file(options, "memory.oom.group", "0"), -1);
	CHECK_EQ_INT(errno, EEXIST);
	static const char *const bad[] = {"",
	                                  ".",
	                                  "..",
	                                  "../memory.max",
	                                  "memory/max",
	                                  "memory",
	                                  ".max",
	                                  "memory.",
	                                  "memory.max\n",
	                                  "cgroup.procs",
	                                  "cgroup.threads",
	                                  "cgroup.subtree_control",
	                                  "cgroup.kill",
	                                  "cgroup.type",
	                                  "cgroup.freeze"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ_INT(containerv_options_set_cgroup_file(options, bad[i], "1"), -1);
	/* A value of one page at most (the kernel reads no more; the error line would echo it whole). */
	char long_value[4098];
	memset(long_value, '1', sizeof long_value - 1);
	long_value[sizeof long_value - 1] = '\0';
	CHECK_EQ_INT(containerv_options_set_cgroup_file(options, "memory.high", long_value), -1);
	CHECK_EQ_INT(errno, EINVAL);
	long_value[4096] = '\0';
	CHECK_OK(containerv_options_set_cgroup_file(options, "memory.high", long_value));
	CHECK_EQ_INT(cv_strv_length(options->cgroup_unified), 3);
	containerv_options_delete(options);
}

TEST(resources_refused)
{
	check_resources_refused("{\"hugepageLimits\":[{\"pageSize\":\"3MB\",\"limit\":0}]}", "pageSize \"3MB\"");
	check_resources_refused("{\"hugepageLimits\":[{\"pageSize\":\"2mb\",\"limit\":0}]}", "pageSize \"2mb\"");
	check_resources_refused("{\"hugepageLimits\":[{\"limit\":0}]}", "pageSize \"\": missing");
	check_resources_refused("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":-1}]}", "limit");
	check_resources_refused("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1000}]}",
	                        "whole number of pages");
	check_resources_refused("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0},{\"pageSize\":\"2MB\","
	                        "\"limit\":0}]}",
	                        "2MB: limited twice");
	check_resources_refused("{\"hugepageLimits\":{}}", "not an array");
	/* An update does not write cgroup files by name: only the create does. */
	check_resources_refused("{\"unified\":{\"memory.high\":\"1M\"}}", "unified");
	check_resources_refused("{\"memory\":{\"kernel\":1048576}}", "kernel");
	check_resources_refused("{\"memory\":{\"swappiness\":10}}", "swappiness");
	check_resources_refused("{\"memory\":{\"disableOOMKiller\":\"yes\"}}", "disableOOMKiller");
	check_resources_refused("{\"memory\":{\"reservation\":\"1M\"}}", "reservation");
	check_resources_refused("{\"blockIO\":{\"weight\":5}}", "blockIO.weight");
	check_resources_refused("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":-1,\"rate\":1}]}}",
	                        "minor");
	check_resources_refused("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":4096,\"minor\":0,\"rate\":1}]}}",
	                        "not a device number");
	check_resources_refused("{\"blockIO\":{\"throttleWriteIOPSDevice\":{}}}", "not an array");
	check_resources_refused("{\"blockIO\":{\"leafWeight\":10}}", "leafWeight");
	check_resources_refused("{\"cpu\":{\"realtimeRuntime\":1000}}", "realtimeRuntime");
	check_resources_refused("[]", "not an object");
	check_resources_refused("{\"memory\":", "line 1");
	check_resources_refused("{\"pids\":{\"limit\":1},\"pids\":{\"limit\":2}}", "duplicate");
}

/* A config.json: top members (each followed by a comma), the built-in rootfs as root, namespaces, linux. */
static int parse_full_config(const char *top_members, const char *namespaces, const char *linux_members,
                             struct containerv_options **options)
{
	char text[4096];

	snprintf(text, sizeof text,
	         "{%s\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\","
	         "\"user\":{\"uid\":0,\"gid\":0}},\"root\":{\"path\":\"%s\"},"
	         "\"linux\":{\"namespaces\":[%s]%s%s}}",
	         top_members, CV_TEST_ROOTFS, namespaces, linux_members[0] ? "," : "", linux_members);
	if (containerv_options_new(options) < 0)
		return -1;
	return containerv_oci_config_parse(*options, text, "/", NULL);
}

/* The same with a mount namespace only. */
static int parse_config(const char *linux_members, struct containerv_options **options)
{
	return parse_full_config("", "{\"type\":\"mount\"}", linux_members, options);
}

/* The config with linux_members is refused, the message naming needle. */
static void check_config_refused(const char *linux_members, const char *needle)
{
	struct containerv_options *options = NULL;

	CHECK_EQ_INT(parse_config(linux_members, &options), -1);
	if (strstr(containerv_last_error(), needle) == NULL) {
		fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", linux_members, containerv_last_error(), needle);
		CHECK(0);
	}
	containerv_options_delete(options);
}

/* domainname: the UTS namespace's NIS domain, only with a UTS namespace of the container's. */
TEST(config_domainname)
{
	struct containerv_options *options = NULL;

	CHECK_OK(parse_full_config("\"domainname\":\"pod.example\",", "{\"type\":\"mount\"},{\"type\":\"uts\"}", "",
	                           &options));
	CHECK_EQ_STR(options->domainname, "pod.example");
	containerv_options_delete(options);
	CHECK_EQ_INT(parse_full_config("\"domainname\":\"pod.example\",", "{\"type\":\"mount\"}", "", &options), -1);
	CHECK(strstr(containerv_last_error(), "domainname: set without a uts namespace") != NULL);
	containerv_options_delete(options);
	CHECK_EQ_INT(parse_full_config("\"domainname\":\"bad/name\",", "{\"type\":\"mount\"},{\"type\":\"uts\"}", "",
	                               &options),
	             -1);
	CHECK(strstr(containerv_last_error(), "domainname") != NULL);
	containerv_options_delete(options);
}

TEST(config_memory_reservation_and_oom)
{
	struct containerv_options *options = NULL;

	CHECK_OK(parse_config("\"resources\":{\"memory\":{\"limit\":67108864,\"reservation\":33554432,"
	                      "\"disableOOMKiller\":true}}",
	                      &options));
	CHECK_EQ_INT(options->limits.memory_bytes, 67108864);
	CHECK_EQ_INT(options->limits.memory_reservation_bytes, 33554432);
	CHECK_EQ_INT(options->limits.oom_kill_disable, 1);
	containerv_options_delete(options);
}

/* The label is kept with the profile (and survives its JSON): the host check decides what it means. */
TEST(config_mount_label_kept)
{
	struct containerv_options *options = NULL;
	struct containerv_security copy = {0};
	json_t *object;

	CHECK_OK(parse_config("\"mountLabel\":\"system_u:object_r:svirt_sandbox_file_t:s0:c715,c811\"", &options));
	CHECK(options->security != NULL);
	CHECK_EQ_STR(options->security->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
	object = cv_security_to_json_object(options->security);
	CHECK(object != NULL);
	CHECK_OK(cv_security_from_json_object(object, &copy));
	CHECK_EQ_STR(copy.mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
	cv_security_clear(&copy);
	json_decref(object);
	containerv_options_delete(options);

	check_config_refused("\"mountLabel\":\"bad label\"", "linux.mountLabel");
	check_config_refused("\"mountLabel\":7", "mountLabel");
}

/* linux.personality: LINUX or LINUX32, no flags. */
TEST(config_personality)
{
	struct containerv_options *options = NULL;

	CHECK_OK(parse_config("\"personality\":{\"domain\":\"LINUX32\"}", &options));
	CHECK_EQ_INT(options->personality, CV_PERSONALITY_LINUX32);
	containerv_options_delete(options);
	CHECK_OK(parse_config("\"personality\":{\"domain\":\"LINUX\",\"flags\":[]}", &options));
	CHECK_EQ_INT(options->personality, CV_PERSONALITY_LINUX);
	containerv_options_delete(options);
	check_config_refused("\"personality\":{\"domain\":\"LINUX64\"}", "linux.personality.domain");
	check_config_refused("\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"X\"]}", "linux.personality.flags");
	CHECK_EQ_INT(containerv_options_set_personality(NULL, CV_PERSONALITY_LINUX), -1);
}

/* linux.resources.unified: cgroup v2 only, as runc (a v1 or hybrid host refuses it in one line). */
TEST(config_unified)
{
	enum containerv_cgroup_mode mode;
	struct containerv_options *options = NULL;

	CHECK_OK(containerv_cgroup_mode(&mode));
	if (mode != CONTAINERV_CGROUP_V2) {
		check_config_refused("\"resources\":{\"unified\":{\"memory.oom.group\":\"1\"}}",
		                     "linux.resources.unified: cannot use unified on cgroup v1");
		return;
	}
	CHECK_OK(parse_config("\"resources\":{\"unified\":{\"memory.oom.group\":\"1\"}}", &options));
	CHECK_EQ_STR(options->cgroup_unified[0], "memory.oom.group=1");
	containerv_options_delete(options);
	check_config_refused("\"resources\":{\"unified\":{\"../memory.max\":\"1\"}}", "not a plain file name");
	check_config_refused("\"resources\":{\"unified\":{\"cgroup.procs\":\"1\"}}", "refused");
	check_config_refused("\"resources\":{\"unified\":{\"memory.max\":1}}", "not a string");
}

/* The config with top members and a process object, parsed or refused naming needle (NULL: parsed). */
static void check_process(const char *process_members, const char *needle, struct containerv_options **options)
{
	char top[1024];

	snprintf(top, sizeof top,
	         "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},%s},",
	         process_members);
	/* parse_full_config writes a process of its own: this config has ours alone. */
	char text[4096];
	snprintf(text, sizeof text,
	         "{\"ociVersion\":\"1.0.2\",%s\"root\":{\"path\":\"%s\"},\"linux\":{\"namespaces\":[{\"type\":"
	         "\"mount\"}]}}",
	         top, CV_TEST_ROOTFS);
	CHECK_OK(containerv_options_new(options));
	int ret = containerv_oci_config_parse(*options, text, "/", NULL);
	if (needle == NULL) {
		if (ret < 0)
			fprintf(stderr, "  %s: %s\n", process_members, containerv_last_error());
		CHECK_OK(ret);
		return;
	}
	CHECK_EQ_INT(ret, -1);
	if (strstr(containerv_last_error(), needle) == NULL) {
		fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", process_members, containerv_last_error(),
		        needle);
		CHECK(0);
	}
	containerv_options_delete(*options);
	*options = NULL;
}

/* process.ioPriority and process.scheduler: into the options, bad values refused naming the field. */
TEST(config_io_priority_and_scheduler)
{
	struct containerv_options *options = NULL;

	check_process("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":0},\"scheduler\":{\"policy\":"
	              "\"SCHED_BATCH\",\"nice\":7,\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"]}",
	              NULL, &options);
	CHECK_EQ_INT(options->io_priority, (3 << 13) | 0);
	CHECK(options->scheduler_set);
	CHECK_EQ_INT(options->scheduler.policy, CV_SCHED_BATCH);
	CHECK_EQ_INT(options->scheduler.nice, 7);
	CHECK_EQ_INT(options->scheduler.flags, CONTAINERV_SCHED_FLAG_RESET_ON_FORK);
	containerv_options_delete(options);
	check_process("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000000,\"deadline\":20000000,"
	              "\"period\":30000000}",
	              NULL, &options);
	CHECK_EQ_INT(options->scheduler.policy, CV_SCHED_DEADLINE);
	CHECK_EQ_INT(options->scheduler.period, 30000000);
	containerv_options_delete(options);
	check_process("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}", "process.ioPriority", &options);
	check_process("\"ioPriority\":{\"class\":\"BE\",\"priority\":1}", "process.ioPriority.class", &options);
	check_process("\"scheduler\":{\"policy\":\"SCHED_ISO\"}", "process.scheduler.policy", &options);
	check_process("\"scheduler\":{\"policy\":\"SCHED_FIFO\",\"priority\":0}", "priority 0", &options);
	check_process("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":20}", "nice 20", &options);
	check_process("\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":[\"SCHED_FLAG_X\"]}",
	              "process.scheduler.flags", &options);
	check_process("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10,\"deadline\":5}", "DEADLINE",
	              &options);
}

/* linux.timeOffsets: with a time namespace of the container's, monotonic and boottime only. */
TEST(config_time_offsets)
{
	struct containerv_options *options = NULL;

	CHECK_OK(parse_full_config("", "{\"type\":\"mount\"},{\"type\":\"time\"}",
	                           "\"timeOffsets\":{\"boottime\":{\"secs\":864000,\"nanosecs\":5},"
	                           "\"monotonic\":{\"secs\":-10}}",
	                           &options));
	CHECK(options->namespaces & CV_NS_TIME);
	CHECK_EQ_INT(options->time_offsets[1][0], 864000);
	CHECK_EQ_INT(options->time_offsets[1][1], 5);
	CHECK_EQ_INT(options->time_offsets[0][0], -10);
	containerv_options_delete(options);
	check_config_refused("\"timeOffsets\":{\"boottime\":{\"secs\":1}}", "set without a time namespace");
	CHECK_EQ_INT(parse_full_config("", "{\"type\":\"mount\"},{\"type\":\"time\"}",
	                               "\"timeOffsets\":{\"realtime\":{\"secs\":1}}", &options),
	             -1);
	CHECK(strstr(containerv_last_error(), "realtime: not a clock") != NULL);
	containerv_options_delete(options);
	CHECK_EQ_INT(parse_full_config("", "{\"type\":\"mount\"},{\"type\":\"time\"}",
	                               "\"timeOffsets\":{\"boottime\":{\"secs\":1,\"nanosecs\":1000000000}}", &options),
	             -1);
	CHECK(strstr(containerv_last_error(), "nanoseconds") != NULL);
	containerv_options_delete(options);
	CHECK_EQ_INT(parse_full_config("", "{\"type\":\"mount\"},{\"type\":\"time\",\"path\":\"/proc/1/ns/time\"}", "",
	                               &options),
	             -1);
	containerv_options_delete(options);
}

int main(void)
{
	RUN(resources_values);
	RUN(resources_unset_stay_unset);
	RUN(resources_refused);
	RUN(resources_hugepages);
	RUN(resources_io_throttles);
	RUN(hugetlb_size_names);
	RUN(options_hugetlb_and_cgroup_files);
	RUN(config_unified);
	RUN(config_io_priority_and_scheduler);
	RUN(config_time_offsets);
	RUN(config_memory_reservation_and_oom);
	RUN(config_mount_label_kept);
	RUN(config_domainname);
	RUN(config_personality);
	return cv_test_summary();
}
