/*
 * Performance profiles: the topology read from made-up sysfs trees (two NUMA nodes with SMT, a node
 * without memory, a kernel without NUMA, hostile files), the CPUs and nodes each profile picks on them,
 * the table of weights and THP, and a config that keeps what its caller set. The real effect on a
 * container (cgroup files, Cpus_allowed_list, THP) is integration.test_cli_perf_profile's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/util.h"
#include "config/options.h"
#include "config/perf-profile.h"
#include "platform/linux/topology.h"
#include "test.h"

static char tree[64];

static void put(const char *relative, const char *content)
{
	char path[512], *slash;

	snprintf(path, sizeof path, "%s/%s", tree, relative);
	for (slash = strchr(path + strlen(tree) + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(content, f);
	fclose(f);
}

static void new_tree(void)
{
	snprintf(tree, sizeof tree, "/tmp/cv-topology-XXXXXX");
	CHECK(mkdtemp(tree) != NULL);
}

static void remove_tree(void)
{
	if (tree[0] != '\0')
		cv_rm_rf(tree);
	tree[0] = '\0';
}

/* CPU id with its core and package. */
static void put_cpu(int id, int core, int package)
{
	char name[128], text[32];

	snprintf(name, sizeof name, "cpu/cpu%d/topology/core_id", id);
	snprintf(text, sizeof text, "%d\n", core);
	put(name, text);
	snprintf(name, sizeof name, "cpu/cpu%d/topology/physical_package_id", id);
	snprintf(text, sizeof text, "%d\n", package);
	put(name, text);
}

/*
 * Two sockets, one node each, 4 cores with 2 threads: node 0 has CPUs 0-3 and their siblings 8-11,
 * node 1 has 4-7 and 12-15 (the kernel's usual numbering). Node 1 has more online CPUs when
 * OFFLINE_ON_NODE0 takes some of node 0's away.
 */
static void two_sockets(bool offline_on_node0)
{
	new_tree();
	for (int cpu = 0; cpu < 16; cpu++)
		put_cpu(cpu, cpu % 4, (cpu / 4) % 2);
	put("cpu/online", offline_on_node0 ? "0-1,4-9,12-15\n" : "0-15\n");
	put("node/online", "0-1\n");
	put("node/has_memory", "0-1\n");
	put("node/node0/cpulist", offline_on_node0 ? "0-1,8-9\n" : "0-3,8-11\n");
	put("node/node1/cpulist", "4-7,12-15\n");
}

static struct cv_perf_host *host_of_tree(void)
{
	struct cv_perf_host *host = calloc(1, sizeof *host);

	CHECK(host != NULL);
	if (cv_topology_read(tree, &host->topology) != 0) {
		fprintf(stderr, "  topology: %s\n", containerv_last_error());
		CHECK(0);
	}
	host->io_weight = true;
	return host;
}

static struct cv_perf_settings resolve(enum containerv_perf_profile profile, const struct cv_perf_host *host)
{
	struct cv_perf_settings settings;

	CHECK_OK(cv_perf_profile_resolve(profile, host, &settings));
	return settings;
}

TEST(topology_of_two_sockets_with_smt)
{
	two_sockets(false);
	struct cv_perf_host *host = host_of_tree();
	CHECK_EQ_INT(host->topology.cpu_count, 16);
	CHECK_EQ_INT(host->topology.node_count, 2);
	CHECK_EQ_INT(host->topology.cpus[5].node, 1);
	CHECK_EQ_INT(host->topology.cpus[5].package, 1);
	CHECK_EQ_INT(host->topology.cpus[9].core, 1);
	CHECK_EQ_INT(host->topology.cpus[9].node, 0);
	free(host);
	remove_tree();
}

TEST(latency_pins_one_thread_per_core_off_cpu0s_core_on_the_home_node)
{
	two_sockets(false);
	struct cv_perf_host *host = host_of_tree();
	/* Equal nodes: the lower id. Cores 1-3 of node 0, first threads only; CPU 0 and its sibling 8 left. */
	struct cv_perf_settings s = resolve(CONTAINERV_PERF_LATENCY, host);
	CHECK_EQ_STR(s.cpus, "1-3");
	CHECK_EQ_STR(s.mems, "0");
	CHECK_EQ_INT(s.cpu_shares, 4096);
	CHECK_EQ_INT(s.io_weight, 1000);
	CHECK(s.thp_disable);
	free(host);
	remove_tree();
}

TEST(home_node_is_the_one_with_most_online_cpus)
{
	two_sockets(true);
	struct cv_perf_host *host = host_of_tree();
	struct cv_perf_settings s = resolve(CONTAINERV_PERF_LATENCY, host);
	/* Node 1 has 8 online CPUs, node 0 only 4: CPU 0 is not there, so all 4 of its cores. */
	CHECK_EQ_STR(s.cpus, "4-7");
	CHECK_EQ_STR(s.mems, "1");
	s = resolve(CONTAINERV_PERF_THROUGHPUT, host);
	CHECK_EQ_STR(s.cpus, "4-7,12-15");
	CHECK_EQ_STR(s.mems, "1");
	CHECK_EQ_INT(s.cpu_shares, 2048);
	CHECK(!s.thp_disable);
	free(host);
	remove_tree();
}

TEST(a_node_without_memory_is_not_home)
{
	two_sockets(true);
	put("node/has_memory", "0\n");
	struct cv_perf_host *host = host_of_tree();
	struct cv_perf_settings s = resolve(CONTAINERV_PERF_THROUGHPUT, host);
	CHECK_EQ_STR(s.cpus, "0-1,8-9");
	CHECK_EQ_STR(s.mems, "0");
	free(host);
	remove_tree();
}

TEST(batch_and_memory_do_not_place)
{
	two_sockets(false);
	struct cv_perf_host *host = host_of_tree();
	struct cv_perf_settings s = resolve(CONTAINERV_PERF_BATCH, host);
	CHECK_EQ_STR(s.cpus, "");
	CHECK_EQ_STR(s.mems, "");
	CHECK_EQ_INT(s.cpu_shares, 128);
	CHECK_EQ_INT(s.io_weight, 100);
	CHECK(!s.thp_disable);
	s = resolve(CONTAINERV_PERF_MEMORY, host);
	CHECK_EQ_STR(s.cpus, "");
	CHECK_EQ_INT(s.cpu_shares, 0);
	CHECK_EQ_INT(s.io_weight, 0);
	CHECK(s.thp_disable);
	/* A host that cannot weigh I/O gets no I/O weight (the create would fail on it). */
	host->io_weight = false;
	CHECK_EQ_INT(resolve(CONTAINERV_PERF_BATCH, host).io_weight, 0);
	free(host);
	remove_tree();
}

TEST(no_numa_one_node_and_this_vm_shape)
{
	/* Two vCPUs, no node/ directory, no SMT: latency takes CPU 1; throughput is the default (unset). */
	new_tree();
	put_cpu(0, 0, 0);
	put_cpu(1, 1, 0);
	put("cpu/online", "0-1\n");
	struct cv_perf_host *host = host_of_tree();
	CHECK_EQ_INT(host->topology.node_count, 1);
	struct cv_perf_settings s = resolve(CONTAINERV_PERF_LATENCY, host);
	CHECK_EQ_STR(s.cpus, "1");
	CHECK_EQ_STR(s.mems, "");
	s = resolve(CONTAINERV_PERF_THROUGHPUT, host);
	CHECK_EQ_STR(s.cpus, "");
	free(host);
	remove_tree();

	/* One CPU only: latency has no core but CPU 0's, so it takes it. */
	new_tree();
	put("cpu/online", "0\n");
	host = host_of_tree();
	CHECK_EQ_STR(resolve(CONTAINERV_PERF_LATENCY, host).cpus, "0");
	free(host);
	remove_tree();
}

TEST(hostile_or_broken_files_are_refused_by_name)
{
	struct cv_topology *topology = calloc(1, sizeof *topology);
	static const char *const bad_lists[] = {"0-", "a", "3-1", "0,,1", "-1", "0-99999999", "1 2"};

	CHECK(topology != NULL);
	for (size_t i = 0; i < sizeof bad_lists / sizeof *bad_lists; i++) {
		new_tree();
		put("cpu/online", bad_lists[i]);
		errno = 0;
		CHECK_EQ_INT(cv_topology_read(tree, topology), -1);
		CHECK(errno == EINVAL || errno == E2BIG);
		CHECK(strstr(containerv_last_error(), "cpu/online") != NULL);
		remove_tree();
	}
	new_tree();
	put("cpu/online", "0\n");
	put("cpu/cpu0/topology/core_id", "zero\n");
	CHECK_EQ_INT(cv_topology_read(tree, topology), -1);
	CHECK(strstr(containerv_last_error(), "core_id") != NULL);
	remove_tree();
	/* No cpu/online at all: said, not guessed. */
	new_tree();
	CHECK_EQ_INT(cv_topology_read(tree, topology), -1);
	CHECK_EQ_INT(errno, ENOENT);
	remove_tree();
	free(topology);
}

TEST(cpu_list_format_ranges_and_overflow)
{
	int ids[] = {0, 1, 2, 3, 6, 8, 9};
	char text[32], tiny[4];

	CHECK_OK(cv_cpu_list_format(ids, 7, text, sizeof text));
	CHECK_EQ_STR(text, "0-3,6,8-9");
	CHECK_EQ_INT(cv_cpu_list_format(ids, 7, tiny, sizeof tiny), -1);
}

TEST(names_parse_and_explicit_settings_win)
{
	enum containerv_perf_profile profile;
	struct containerv_options *options = NULL;
	struct cv_perf_settings settings = {
	        .cpus = "1-3", .mems = "0", .cpu_shares = 4096, .io_weight = 1000, .thp_disable = true};

	CHECK_OK(containerv_perf_profile_parse("throughput", &profile));
	CHECK_EQ_INT(profile, CONTAINERV_PERF_THROUGHPUT);
	CHECK_EQ_STR(containerv_perf_profile_name(CONTAINERV_PERF_MEMORY), "memory");
	CHECK(containerv_perf_profile_name((enum containerv_perf_profile)42) == NULL);
	CHECK_EQ_INT(containerv_perf_profile_parse("fast", &profile), -1);
	CHECK(strstr(containerv_last_error(), "\"fast\"") != NULL);

	CHECK_OK(containerv_options_new(&options));
	CHECK_OK(containerv_options_set_rootfs(options, CV_TEST_ROOTFS));
	CHECK_OK(containerv_options_set_perf_profile(options, CONTAINERV_PERF_LATENCY));
	options->limits.cpu_shares = 100;
	snprintf(options->limits.cpuset_cpus, sizeof options->limits.cpuset_cpus, "0");
	cv_perf_profile_apply(options, &settings);
	CHECK_EQ_INT(options->limits.cpu_shares, 100);
	CHECK_EQ_STR(options->limits.cpuset_cpus, "0");
	CHECK_EQ_STR(options->limits.cpuset_mems, ""); /* not mems meant for other CPUs */
	CHECK_EQ_INT(options->limits.io_weight, 1000);
	CHECK(options->thp_disable);

	/* config.json keeps the profile and the flag; an unknown name reads as none. */
	char *json = NULL;
	struct containerv_options back;
	CHECK_OK(cv_options_to_json(options, &json));
	CHECK_OK(cv_options_from_json(json, &back));
	CHECK_EQ_INT(back.perf_profile, CONTAINERV_PERF_LATENCY);
	CHECK(back.thp_disable);
	cv_options_clear(&back);
	free(json);
	containerv_options_delete(options);
	CHECK_OK(cv_options_from_json("{\"layers\":[\"/x\"],\"perf\":{\"profile\":\"warp\",\"thp_disable\":false}}",
	                              &back));
	CHECK_EQ_INT(back.perf_profile, CONTAINERV_PERF_NONE);
	cv_options_clear(&back);
}

int main(void)
{
	cv_test_after_each = remove_tree;
	RUN(topology_of_two_sockets_with_smt);
	RUN(latency_pins_one_thread_per_core_off_cpu0s_core_on_the_home_node);
	RUN(home_node_is_the_one_with_most_online_cpus);
	RUN(a_node_without_memory_is_not_home);
	RUN(batch_and_memory_do_not_place);
	RUN(no_numa_one_node_and_this_vm_shape);
	RUN(hostile_or_broken_files_are_refused_by_name);
	RUN(cpu_list_format_ranges_and_overflow);
	RUN(names_parse_and_explicit_settings_win);
	return cv_test_summary();
}
