/*
 * Netlink against real namespaces: a bridge and a veth pair on the host,
 * one end moved into a network namespace this test creates (held by a
 * child process), renamed to eth0 and addressed there; a datagram from the
 * host reaches a socket inside over the bridge. Everything made here is
 * deleted, and the test checks that it is gone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "platform/linux/netlink-route.h"
#include "test.h"

static pid_t holder = -1;
static char bridge[16], veth[16], peer[16];

/* A child in a new network namespace that waits until killed. */
static pid_t start_holder(void)
{
	int fds[2];
	char ready;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		write(fds[1], "r", 1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &ready, 1) != 1)
		pid = -1;
	close(fds[0]);
	return pid;
}

static void stop_holder(void)
{
	if (holder > 0) {
		kill(holder, SIGKILL);
		waitpid(holder, NULL, 0);
	}
	holder = -1;
}

static void cleanup(void)
{
	struct cv_netlink netlink;

	stop_holder();
	if (cv_netlink_open(&netlink) == 0) {
		cv_netlink_link_delete(&netlink, veth);
		cv_netlink_link_delete(&netlink, peer);
		cv_netlink_link_delete(&netlink, bridge);
		cv_netlink_close(&netlink);
	}
}

/* A UDP socket made inside the namespace of pid (a socket stays in the namespace it was made in). */
static int socket_in(pid_t pid)
{
	char path[64];
	int ours = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), theirs, fd;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	theirs = open(path, O_RDONLY | O_CLOEXEC);
	if (ours < 0 || theirs < 0 || setns(theirs, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (setns(ours, CLONE_NEWNET) < 0)
		abort();
	close(ours);
	close(theirs);
	return fd;
}

static const uint8_t bridge_mac[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xfe};

/* Whether the link's hardware address is MAC (asked with an ioctl: /sys shows its mounter's namespace). */
static bool link_address_is(const char *name, const uint8_t mac[6])
{
	struct ifreq request = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool same;

	if (fd < 0)
		return false;
	snprintf(request.ifr_name, sizeof request.ifr_name, "%s", name);
	same = ioctl(fd, SIOCGIFHWADDR, &request) == 0 && memcmp(request.ifr_hwaddr.sa_data, mac, 6) == 0;
	close(fd);
	return same;
}

static struct in_addr address(const char *text)
{
	struct in_addr a;

	inet_pton(AF_INET, text, &a);
	return a;
}

TEST(bridge_veth_into_namespace)
{
	struct cv_netlink host, inside;
	unsigned int index;
	struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(5353)};
	char received[16] = {0};
	int listener, sender;

	if (geteuid() != 0)
		SKIP("needs root");
	holder = start_holder();
	CHECK(holder > 0);
	CHECK_OK(cv_netlink_open(&host));
	CHECK_OK(cv_netlink_bridge_create(&host, bridge, bridge_mac));
	CHECK(cv_netlink_bridge_create(&host, bridge, bridge_mac) == -1 && errno == EEXIST);
	CHECK_OK(cv_netlink_address_add(&host, bridge, address("10.251.77.1"), 24));
	CHECK_OK(cv_netlink_link_set_up(&host, bridge));
	CHECK_OK(cv_netlink_veth_create(&host, veth, peer, 0, NULL));
	CHECK_OK(cv_netlink_link_set_master(&host, veth, bridge));
	/* Every port's address is lower than fe:ff:..: a bridge left to choose would take the port's. */
	CHECK(link_address_is(bridge, bridge_mac));
	CHECK_OK(cv_netlink_link_set_up(&host, veth));
	CHECK_OK(cv_netlink_link_set_netns(&host, peer, holder));
	CHECK(!cv_netlink_link_exists(&host, peer));

	CHECK_OK(cv_netlink_open_in(&inside, holder));
	CHECK_OK(cv_netlink_link_index(&inside, peer, &index));
	CHECK_OK(cv_netlink_link_rename(&inside, peer, "eth0"));
	CHECK(cv_netlink_link_index(&inside, peer, &index) == -1 && errno == ENODEV);
	CHECK_OK(cv_netlink_address_add(&inside, "eth0", address("10.251.77.2"), 24));
	CHECK_OK(cv_netlink_link_set_up(&inside, "eth0"));
	CHECK_OK(cv_netlink_link_set_up(&inside, "lo"));
	CHECK_OK(cv_netlink_route_add_default(&inside, "eth0", address("10.251.77.1")));
	cv_netlink_close(&inside);

	listener = socket_in(holder);
	CHECK(listener >= 0);
	target.sin_addr = address("10.251.77.2");
	CHECK(bind(listener, (struct sockaddr *)&target, sizeof target) == 0);
	sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(sendto(sender, "hello", 5, 0, (struct sockaddr *)&target, sizeof target) == 5);
	struct timeval timeout = {5, 0};
	setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	CHECK(recv(listener, received, sizeof received - 1, 0) == 5);
	CHECK_EQ_STR(received, "hello");
	close(listener);
	close(sender);

	/* The namespace's end of a veth dies with the namespace, and takes the host's end along. */
	stop_holder();
	for (int i = 0; i < 100 && cv_netlink_link_exists(&host, veth); i++)
		usleep(10000);
	CHECK(!cv_netlink_link_exists(&host, veth));
	CHECK_OK(cv_netlink_link_delete(&host, bridge));
	CHECK(!cv_netlink_link_exists(&host, bridge));
	CHECK(cv_netlink_link_delete(&host, bridge) == -1 && errno == ENODEV);
	cv_netlink_close(&host);
}

TEST(veth_created_in_namespace)
{
	struct cv_netlink host, inside;
	unsigned int index;
	struct cv_link_stats stats;

	if (geteuid() != 0)
		SKIP("needs root");
	holder = start_holder();
	CHECK(holder > 0);
	CHECK_OK(cv_netlink_open(&host));
	static const uint8_t mac[6] = {0x02, 0x42, 10, 251, 77, 9};
	CHECK_OK(cv_netlink_veth_create(&host, veth, "eth0", holder, mac));
	CHECK_OK(cv_netlink_link_index(&host, veth, &index));
	CHECK_OK(cv_netlink_open_in(&inside, holder));
	CHECK_OK(cv_netlink_link_index(&inside, "eth0", &index));
	CHECK_OK(cv_netlink_link_stats(&inside, "eth0", &stats));
	cv_netlink_close(&inside);
	CHECK_OK(cv_netlink_link_delete(&host, veth));
	CHECK(!cv_netlink_link_exists(&host, veth));
	cv_netlink_close(&host);
	stop_holder();
}

TEST(bad_names_refused)
{
	struct cv_netlink host;

	CHECK_OK(cv_netlink_open(&host));
	CHECK(cv_netlink_bridge_create(&host, "a-name-that-is-far-too-long", bridge_mac) == -1 && errno == EINVAL);
	CHECK(cv_netlink_bridge_create(&host, "a/b", bridge_mac) == -1 && errno == EINVAL);
	CHECK(cv_netlink_link_set_up(&host, "cvnosuchlink0") == -1 && errno == ENODEV);
	cv_netlink_close(&host);
}

int main(void)
{
	snprintf(bridge, sizeof bridge, "cvtb%d", (int)getpid() % 100000);
	snprintf(veth, sizeof veth, "cvtv%d", (int)getpid() % 100000);
	snprintf(peer, sizeof peer, "cvtp%d", (int)getpid() % 100000);
	cv_test_after_each = cleanup;
	RUN(bridge_veth_into_namespace);
	RUN(veth_created_in_namespace);
	RUN(bad_names_refused);
	return cv_test_summary();
}
