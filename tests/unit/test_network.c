/*
 * Networks without the kernel: address, subnet and port parsing (exact
 * values and refusals that name the input), the network store and IPAM
 * (distinct addresses, a full subnet, a requested address, stale leases
 * released), and concurrent allocations from several processes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "network/network-internal.h"
#include "test.h"

static char root[64];

TEST(subnets_parse_strictly)
{
	struct cv_subnet s, t;
	char text[20];

	CHECK_OK(cv_subnet_parse("10.88.0.0/16", &s));
	CHECK_EQ_INT(s.address, 0x0a580000);
	CHECK_EQ_INT(s.prefix, 16);
	cv_subnet_format(&s, text);
	CHECK_EQ_STR(text, "10.88.0.0/16");
	static const char *const bad[] = {"10.88.0.0",    "10.88.0.1/16",  "10.88.0.0/7",  "10.88.0.0/31",
	                                  "10.88.0/16",   "010.1.0.0/16",  "10.1.0.0/1x",  "10.1.0.0/-8",
	                                  "a.b.c.d/16",   "/16",           "10.1.0.0/",    "",
	                                  "10.1.0.0/ 16", "10.256.0.0/16", "10.1.0.0/016x"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		errno = 0;
		if (cv_subnet_parse(bad[i], &s) != -1 || errno != EINVAL) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
		CHECK(strstr(containerv_last_error(), bad[i]) != NULL);
	}
	CHECK_OK(cv_subnet_parse("10.88.0.0/24", &s));
	CHECK_OK(cv_subnet_parse("10.88.0.128/25", &t));
	CHECK(cv_subnets_overlap(&s, &t) && cv_subnets_overlap(&t, &s));
	CHECK_OK(cv_subnet_parse("10.88.1.0/24", &t));
	CHECK(!cv_subnets_overlap(&s, &t));
	CHECK(cv_subnet_contains(&s, 0x0a5800ff) && !cv_subnet_contains(&s, 0x0a580100));
	CHECK_EQ_INT(cv_netmask_prefix("255.255.255.0"), 24);
	CHECK_EQ_INT(cv_netmask_prefix("255.255.255.252"), 30);
	CHECK(cv_netmask_prefix("255.0.255.0") == -1 && errno == EINVAL);
}

TEST(ports_parse_strictly)
{
	struct cv_port p;
	char text[48];

	CHECK_OK(cv_port_parse("8080:80", &p, false));
	CHECK(p.host_address == 0 && p.host_port == 8080 && p.container_port == 80 && p.protocol == CV_PROTOCOL_TCP);
	CHECK_OK(cv_port_parse("127.0.0.1:53:5353/udp", &p, false));
	CHECK(p.host_address == 0x7f000001 && p.host_port == 53 && p.container_port == 5353 &&
	      p.protocol == CV_PROTOCOL_UDP);
	cv_port_format(&p, text, sizeof text);
	CHECK_EQ_STR(text, "127.0.0.1:53->5353/udp");
	CHECK_OK(cv_port_parse(":9000:90/tcp", &p, false));
	CHECK(p.host_address == 0 && p.host_port == 9000);
	CHECK_OK(cv_port_parse("80/udp", &p, true));
	CHECK(p.container_port == 80 && p.protocol == CV_PROTOCOL_UDP && p.host_port == 0);
	static const char *const bad[] = {"80",         "0:80",         "65536:80", "8080:0",   "8080:80/sctp", "a:80",
	                                  "1.2.3:8:80", "8080:80/tcp/", "-1:80",    "8080::80", ":80",          ""};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (cv_port_parse(bad[i], &p, false) != -1 || errno != EINVAL) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
	CHECK(cv_port_parse("80:80", &p, true) == -1);
}

static int count_leases(const struct cv_network *network)
{
	struct cv_lease *leases = NULL;
	size_t count = 0;

	if (cv_network_leases(network, &leases, &count) < 0)
		return -1;
	cv_leases_free(leases, count);
	return (int)count;
}

TEST(ipam_hands_out_distinct_addresses_until_full)
{
	struct containerv_network_options options = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct cv_network network;
	struct cv_lease lease;
	uint32_t seen[8] = {0};
	int lock;

	options.subnet = "10.239.0.0/29";
	CHECK_OK(containerv_network_create("tiny", &options));
	CHECK(containerv_network_create("tiny", &options) == -1 && errno == EEXIST);
	options.subnet = "10.239.0.0/30";
	CHECK(containerv_network_create("other", &options) == -1 && errno == EADDRINUSE);
	CHECK(strstr(containerv_last_error(), "overlaps network tiny") != NULL);
	lock = cv_network_lock();
	CHECK(lock >= 0);
	CHECK_OK(cv_network_load("tiny", &network));
	CHECK_EQ_INT(network.gateway, 0x0aef0001);
	for (int i = 0; i < 5; i++) {
		memset(&lease, 0, sizeof lease);
		snprintf(lease.container, sizeof lease.container, "c%d", i);
		CHECK_OK(cv_lease_allocate(&network, 0, &lease));
		/* Not the network, the gateway nor the broadcast address. */
		CHECK(lease.address > 0x0aef0001 && lease.address < 0x0aef0007);
		for (int j = 0; j < i; j++)
			CHECK(seen[j] != lease.address);
		seen[i] = lease.address;
	}
	CHECK(cv_lease_allocate(&network, 0, &lease) == -1 && errno == ENOSPC);
	CHECK(strstr(containerv_last_error(), "no free address left in 10.239.0.0/29") != NULL);
	/* A released address is free again; a requested one must be free and inside. */
	CHECK_OK(cv_lease_remove(&network, seen[2]));
	CHECK(cv_lease_allocate(&network, seen[3], &lease) == -1 && errno == EADDRINUSE);
	CHECK(cv_lease_allocate(&network, 0x0aef0109, &lease) == -1 && errno == EINVAL);
	CHECK_OK(cv_lease_allocate(&network, seen[2], &lease));
	CHECK_EQ_INT(count_leases(&network), 5);
	/* The leases are ours (this process lives): nothing is stale. */
	cv_network_reconcile_locked();
	CHECK_EQ_INT(count_leases(&network), 5);
	cv_network_unlock(lock);
	CHECK(containerv_network_remove("tiny") == -1 && errno == EBUSY);
}

TEST(stale_leases_are_released)
{
	struct cv_network network;
	struct cv_lease lease;
	int lock = cv_network_lock();
	pid_t child;

	CHECK(lock >= 0);
	CHECK_OK(cv_network_load("tiny", &network));
	/* Leases whose owner is dead: a process that has exited. */
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	struct cv_lease *leases = NULL;
	size_t count = 0;
	CHECK_OK(cv_network_leases(&network, &leases, &count));
	for (size_t i = 0; i < count; i++) {
		leases[i].owner_pid = child;
		CHECK_OK(cv_lease_save(&network, &leases[i]));
	}
	cv_leases_free(leases, count);
	cv_network_reconcile_locked();
	CHECK_EQ_INT(count_leases(&network), 0);
	memset(&lease, 0, sizeof lease);
	CHECK_OK(cv_lease_allocate(&network, 0, &lease));
	CHECK_OK(cv_lease_remove(&network, lease.address));
	cv_network_unlock(lock);
	CHECK_OK(containerv_network_remove("tiny"));
	CHECK(containerv_network_remove("tiny") == -1 && errno == ENOENT);
}

/* Eight processes take 25 addresses each at once: 200 distinct ones. */
TEST(concurrent_allocations_never_share_an_address)
{
	struct containerv_network_options options = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct cv_network network;
	struct cv_lease *leases = NULL;
	size_t count = 0;
	pid_t children[8], self;
	uint64_t parent_start;
	int lock;

	cv_process_self(&self, &parent_start);
	options.subnet = "10.239.8.0/24";
	CHECK_OK(containerv_network_create("busy", &options));
	for (int i = 0; i < 8; i++) {
		children[i] = fork();
		if (children[i] == 0) {
			struct cv_network mine;
			for (int j = 0; j < 25; j++) {
				struct cv_lease lease;
				int fd = cv_network_lock();
				memset(&lease, 0, sizeof lease);
				snprintf(lease.container, sizeof lease.container, "p%d-%d", i, j);
				if (fd < 0 || cv_network_load("busy", &mine) < 0 ||
				    cv_lease_allocate(&mine, 0, &lease) < 0)
					_exit(1);
				/* Owned by the test process, so that the leases outlive this child. */
				lease.owner_pid = getppid();
				lease.owner_start = parent_start;
				cv_lease_save(&mine, &lease);
				cv_network_unlock(fd);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;
		waitpid(children[i], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	lock = cv_network_lock();
	CHECK_OK(cv_network_load("busy", &network));
	CHECK_OK(cv_network_leases(&network, &leases, &count));
	CHECK_EQ_INT(count, 200);
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < i; j++)
			CHECK(leases[i].address != leases[j].address);
	for (size_t i = 0; i < count; i++)
		cv_lease_remove(&network, leases[i].address);
	cv_leases_free(leases, count);
	cv_network_unlock(lock);
	CHECK_OK(containerv_network_remove("busy"));
}

TEST(only_our_interface_names_are_ever_deleted)
{
	CHECK(cv_network_bridge_name_is_ours("containerv0"));
	CHECK(cv_network_bridge_name_is_ours("cvbr-0123456789"));
	CHECK(!cv_network_bridge_name_is_ours("cvbr-012345678"));
	CHECK(!cv_network_bridge_name_is_ours("eth0"));
	CHECK(!cv_network_bridge_name_is_ours("cvbr-01234567xy"));
	CHECK(cv_network_veth_name_is_ours("cv0123456789e0"));
	CHECK(cv_network_veth_name_is_ours("cv0123456789x42"));
	CHECK(!cv_network_veth_name_is_ours("cv0123456789e"));
	CHECK(!cv_network_veth_name_is_ours("cv0123456789q0"));
	CHECK(!cv_network_veth_name_is_ours("eth0"));
	CHECK(!cv_network_veth_name_is_ours("cv012345678Ze0"));
}

TEST(each_state_root_names_its_own_default_bridge)
{
	char a[16], again[16], b[16];

	CHECK_OK(cv_network_root_bridge_name("/tmp/cvtest.abc", a));
	CHECK_OK(cv_network_root_bridge_name("/tmp/cvtest.abc", again));
	CHECK_OK(cv_network_root_bridge_name("/tmp/cvtest.abd", b));
	CHECK_EQ_STR(a, again);
	CHECK(strcmp(a, b) != 0);
	CHECK(cv_network_bridge_name_is_ours(a));
	/* sha256("/var/lib/containerv"), its first 10 hex digits. */
	CHECK_OK(cv_network_root_bridge_name("/var/lib/containerv", a));
	CHECK_EQ_STR(a, "cvbr-fc65f31feb");
}

static int load_default(struct cv_network *network)
{
	int lock = cv_network_lock(), ret;

	if (lock < 0)
		return -1;
	ret = cv_network_load_or_default(CONTAINERV_NETWORK_DEFAULT, network);
	cv_network_unlock(lock);
	return ret;
}

/*
 * Two state roots: each default network gets its root's bridge and a /16 of
 * the pool that no address of the host overlaps (here one on a link that is
 * down, so without a route: another root's idle bridge), recorded once.
 */
TEST(a_second_root_takes_the_next_free_default_subnet)
{
	struct cv_network first, again, second;
	char other[64], real[PATH_MAX], bridge[16], command[256], subnet[20];

	if (geteuid() != 0) {
		printf("# skip: needs root for a veth\n");
		return;
	}
	unsetenv("CONTAINERV_BRIDGE_SUBNET");
	CHECK_OK(load_default(&first));
	CHECK(realpath(root, real) != NULL);
	CHECK_OK(cv_network_root_bridge_name(real, bridge));
	CHECK_EQ_STR(first.bridge, bridge);
	CHECK_EQ_INT(first.subnet.prefix, 16);
	CHECK(first.subnet.address >> 24 == 10 && ((first.subnet.address >> 16) & 255) >= CV_DEFAULT_POOL_FIRST &&
	      ((first.subnet.address >> 16) & 255) <= CV_DEFAULT_POOL_LAST);
	CHECK_OK(load_default(&again));
	CHECK_EQ_STR(again.id, first.id);

	cv_subnet_format(&first.subnet, subnet);
	snprintf(command, sizeof command,
	         "ip link add cvt-d%d type veth peer name cvt-e%d && ip addr add %.*s1/16 dev cvt-d%d", (int)getpid(),
	         (int)getpid(), (int)strlen(subnet) - 3, subnet, (int)getpid());
	CHECK(system(command) == 0);
	snprintf(other, sizeof other, "%s-other", root);
	CHECK_OK(containerv_set_root(other));
	CHECK_OK(load_default(&second));
	CHECK(strcmp(second.bridge, first.bridge) != 0);
	CHECK(cv_network_bridge_name_is_ours(second.bridge));
	CHECK(!cv_subnets_overlap(&first.subnet, &second.subnet));
	CHECK_OK(containerv_network_remove(CONTAINERV_NETWORK_DEFAULT));
	CHECK_OK(containerv_set_root(root));
	CHECK_OK(containerv_network_remove(CONTAINERV_NETWORK_DEFAULT));
	snprintf(command, sizeof command, "ip link del cvt-d%d && rm -rf %s", (int)getpid(), other);
	CHECK(system(command) == 0);
}

/* A lease file naming a host interface that is not ours: read as ownerless, released, nothing deleted. */
TEST(a_hostile_lease_names_nothing_we_delete)
{
	struct containerv_network_options options = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct cv_network network;
	char path[256];
	FILE *file;
	int lock;

	options.subnet = "10.239.24.0/24";
	CHECK_OK(containerv_network_create("hostile", &options));
	snprintf(path, sizeof path, "%s/networks/hostile/leases/10.239.24.7", root);
	file = fopen(path, "w");
	CHECK(file != NULL);
	fprintf(file, "{\"container\":\"x\",\"address\":\"10.239.24.7\",\"veth\":\"lo\",\"interface\":\"eth0\","
	              "\"owner_pid\":1,\"owner_start\":0,\"ports\":[]}");
	fclose(file);
	lock = cv_network_lock();
	CHECK_OK(cv_network_load("hostile", &network));
	CHECK_EQ_INT(count_leases(&network), 1);
	cv_network_reconcile_locked();
	CHECK_EQ_INT(count_leases(&network), 0);
	cv_network_unlock(lock);
	CHECK(access("/proc/sys/net/ipv4/conf/lo", F_OK) == 0);
	CHECK_OK(containerv_network_remove("hostile"));
}

static int count_network(const struct containerv_network_info *info, void *user)
{
	(void)info;
	(*(int *)user)++;
	return 0;
}

TEST(bad_networks_are_refused_and_create_nothing)
{
	struct containerv_network_options options = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct containerv_network_info info = {.version = CONTAINERV_NETWORK_INFO_VERSION};
	int networks = 0;

	options.subnet = "10.239.16.0/24";
	CHECK(containerv_network_create("../etc", &options) == -1 && errno == EINVAL);
	CHECK(containerv_network_create("none", &options) == -1 && errno == EINVAL);
	options.gateway = "10.239.16.255";
	CHECK(containerv_network_create("gw", &options) == -1 && errno == EINVAL);
	options.gateway = "10.239.17.1";
	CHECK(containerv_network_create("gw", &options) == -1 && errno == EINVAL);
	options.gateway = NULL;
	options.subnet = "10.239.16.0/33";
	CHECK(containerv_network_create("mask", &options) == -1 && errno == EINVAL);
	CHECK(containerv_network_inspect("gw", &info) == -1 && errno == ENOENT);
	containerv_network_info_clear(&info);
	CHECK_OK(containerv_network_list(count_network, &networks));
	CHECK_EQ_INT(networks, 0);
}

int main(void)
{
	char command[128];

	snprintf(root, sizeof root, "/tmp/cvtest-net-%d", (int)getpid());
	if (containerv_set_root(root) != 0)
		return 1;
	RUN(subnets_parse_strictly);
	RUN(ports_parse_strictly);
	RUN(ipam_hands_out_distinct_addresses_until_full);
	RUN(stale_leases_are_released);
	RUN(concurrent_allocations_never_share_an_address);
	RUN(only_our_interface_names_are_ever_deleted);
	RUN(each_state_root_names_its_own_default_bridge);
	RUN(a_second_root_takes_the_next_free_default_subnet);
	RUN(a_hostile_lease_names_nothing_we_delete);
	RUN(bad_networks_are_refused_and_create_nothing);
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
