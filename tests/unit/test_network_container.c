/*
 * Containers on networks through the public API (run as root): the seed's
 * static veth pair (containerv_options_set_network_ex), a bridge network by
 * name with endpoints, connect and disconnect, and refusals of bad network
 * options before anything is made. Addresses are on links this test makes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "test.h"

static char root[64];
static const char *rootfs = CV_TEST_ROOTFS;

static struct containerv_options *options_for(const char *script)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	struct containerv_options *o = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK_OK(containerv_options_set_command(o, argv));
	return o;
}

static char *run_capture(struct containerv_options *o, int *code)
{
	struct containerv_container *c = NULL;
	struct containerv_exit status;
	int fds[2];
	char *out;

	CHECK(pipe2(fds, O_CLOEXEC) == 0);
	CHECK_OK(containerv_options_set_stdio(o, -1, fds[1], 2));
	CHECK_OK(containerv_create(o, &c));
	close(fds[1]);
	out = cv_test_read_all(fds[0]);
	close(fds[0]);
	CHECK_OK(containerv_wait(c, &status));
	CHECK_OK(containerv_destroy(c));
	containerv_options_delete(o);
	*code = status.code;
	return out;
}

TEST(static_veth_pair_with_gateway_and_dns)
{
	struct containerv_options *o = options_for("ip -4 -o addr show eth0; ip route; cat /etc/resolv.conf; "
	                                           "nc -w 3 10.239.40.1 1 </dev/null 2>&1");
	int code;
	char *out;

	if (geteuid() != 0)
		SKIP("needs root");
	CHECK_OK(containerv_options_set_network_ex(o, "10.239.40.2", "255.255.255.0", "10.239.40.1", NULL,
	                                           "10.239.40.53"));
	out = run_capture(o, &code);
	(void)code; /* the last command is nc's refused connection */
	CHECK(strstr(out, "inet 10.239.40.2/24") != NULL);
	CHECK(strstr(out, "default via 10.239.40.1 dev eth0") != NULL);
	CHECK(strstr(out, "nameserver 10.239.40.53") != NULL);
	/* Refused, not timed out: the host's end answered (no capability needed, unlike ping). */
	CHECK(strstr(out, "refused") != NULL);
}

TEST(seed_form_and_bad_static_addresses)
{
	struct containerv_options *o = options_for("ip -4 -o addr show eth0");
	int code;
	char *out;

	if (geteuid() != 0)
		SKIP("needs root");
	CHECK(containerv_options_set_network(o, "10.239.41.2", "255.0.255.0", "10.239.41.1") == -1 && errno == EINVAL);
	CHECK(containerv_options_set_network(o, "10.239.41.2", "255.255.255.0", "10.239.42.1") == -1 &&
	      errno == EINVAL);
	CHECK(containerv_options_set_network(o, "10.239.41.300", "255.255.255.0", "10.239.41.1") == -1 &&
	      errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "10.239.41.300") != NULL);
	CHECK_OK(containerv_options_set_network(o, "10.239.41.2", "255.255.255.252", "10.239.41.1"));
	out = run_capture(o, &code);
	CHECK_EQ_INT(code, 0);
	CHECK(strstr(out, "inet 10.239.41.2/30") != NULL);
}

TEST(bridge_network_endpoints_connect_disconnect)
{
	struct containerv_network_options net = CONTAINERV_NETWORK_OPTIONS_INIT;
	const char *argv[] = {"sleep", "60", NULL};
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;
	struct containerv_network_endpoint *endpoints = NULL;
	size_t count = 0;

	if (geteuid() != 0)
		SKIP("needs root");
	net.subnet = "10.239.44.0/24";
	CHECK_OK(containerv_network_create("api-a", &net));
	net.subnet = "10.239.45.0/24";
	CHECK_OK(containerv_network_create("api-b", &net));
	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK_OK(containerv_options_set_command(o, argv));
	CHECK_OK(containerv_options_set_network_mode(o, CV_NETWORK_BRIDGE, "api-a"));
	CHECK_OK(containerv_options_set_ip(o, "10.239.44.9"));
	CHECK_OK(containerv_create(o, &c));
	CHECK_OK(containerv_network_endpoints(c, &endpoints, &count));
	CHECK_EQ_INT(count, 1);
	CHECK_EQ_STR(endpoints[0].network, "api-a");
	CHECK_EQ_STR(endpoints[0].address, "10.239.44.9");
	CHECK_EQ_STR(endpoints[0].interface, "eth0");
	containerv_network_endpoints_free(endpoints, count);
	CHECK_OK(containerv_network_connect(c, "api-b", NULL));
	CHECK(containerv_network_connect(c, "api-b", NULL) == -1 && errno == EEXIST);
	CHECK_OK(containerv_network_endpoints(c, &endpoints, &count));
	CHECK_EQ_INT(count, 2);
	containerv_network_endpoints_free(endpoints, count);
	CHECK(containerv_network_remove("api-b") == -1 && errno == EBUSY);
	CHECK_OK(containerv_network_disconnect(c, "api-b"));
	CHECK(containerv_network_disconnect(c, "api-b") == -1 && errno == ENOENT);
	CHECK_OK(containerv_network_remove("api-b"));
	CHECK_OK(containerv_destroy(c));
	CHECK_OK(containerv_network_remove("api-a"));
	containerv_options_delete(o);
}

TEST(bridge_network_in_a_user_namespace)
{
	struct containerv_network_options net = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct containerv_options *o = options_for("id -u; ip -4 -o addr show eth0; ip route");
	int code;
	char *out;

	if (geteuid() != 0)
		SKIP("needs root");
	net.subnet = "10.239.46.0/24";
	CHECK_OK(containerv_network_create("api-a", &net));
	CHECK_OK(containerv_options_set_users(o, 100000, 0, 65536));
	CHECK_OK(containerv_options_set_network_mode(o, CV_NETWORK_BRIDGE, "api-a"));
	out = run_capture(o, &code);
	CHECK_EQ_INT(code, 0);
	CHECK(strncmp(out, "0\n", 2) == 0);
	CHECK(strstr(out, "inet 10.239.46.2/24") != NULL);
	CHECK(strstr(out, "default via 10.239.46.1") != NULL);
	CHECK_OK(containerv_network_remove("api-a"));
}

TEST(bad_network_options_are_refused)
{
	struct containerv_options *o = NULL;
	struct containerv_container *c = NULL;

	CHECK_OK(containerv_options_new(&o));
	CHECK_OK(containerv_options_set_rootfs(o, rootfs));
	CHECK(containerv_options_set_network_mode(o, CV_NETWORK_BRIDGE, "../x") == -1 && errno == EINVAL);
	CHECK(containerv_options_set_network_mode(o, CV_NETWORK_NONE, "named") == -1 && errno == EINVAL);
	CHECK(containerv_options_set_ip(o, "10.1.1") == -1 && errno == EINVAL);
	CHECK(containerv_options_add_port(o, "80") == -1 && errno == EINVAL);
	CHECK(containerv_options_add_host(o, "name:not-an-ip") == -1 && errno == EINVAL);
	CHECK(containerv_options_add_host(o, "bad name:10.1.1.1") == -1 && errno == EINVAL);
	CHECK(containerv_options_add_dns(o, "::1") == -1 && errno == EINVAL);
	/* Ports without a bridge network, and one host port twice: refused at create. */
	CHECK_OK(containerv_options_add_port(o, "8080:80"));
	CHECK(containerv_create(o, &c) == -1 && errno == EINVAL);
	CHECK_OK(containerv_options_set_network_mode(o, CV_NETWORK_BRIDGE, "nosuch"));
	CHECK_OK(containerv_options_add_port(o, "127.0.0.1:8080:81"));
	CHECK(containerv_create(o, &c) == -1 && errno == EADDRINUSE);
	CHECK(strstr(containerv_last_error(), "8080/tcp is published twice") != NULL);
	/* A bridge network without a network namespace of its own: refused, never the host's. */
	struct containerv_options *shared = NULL;
	CHECK_OK(containerv_options_new(&shared));
	CHECK_OK(containerv_options_set_rootfs(shared, rootfs));
	CHECK_OK(containerv_options_set_network_mode(shared, CV_NETWORK_BRIDGE, NULL));
	CHECK_OK(containerv_options_set_namespaces(shared, CV_NS_PID | CV_NS_MOUNT));
	CHECK(containerv_create(shared, &c) == -1 && errno == EINVAL);
	CHECK(strstr(containerv_last_error(), "own network namespace") != NULL);
	containerv_options_delete(shared);
	containerv_options_delete(o);
}

static int remove_one(const struct containerv_info *info, void *user)
{
	struct containerv_container *c = NULL;

	(void)user;
	if (containerv_open(info->id, &c) == 0)
		containerv_remove(c, 0);
	return 0;
}

/* Whatever a failed test left: its containers, then its networks (and their bridges). */
static void cleanup(void)
{
	containerv_list(remove_one, NULL);
	containerv_network_remove("api-a");
	containerv_network_remove("api-b");
}

int main(void)
{
	char command[128];

	snprintf(root, sizeof root, "/tmp/cvtest-netc-%d", (int)getpid());
	if (containerv_set_root(root) != 0)
		return 1;
	cv_test_after_each = cleanup;
	RUN(static_veth_pair_with_gateway_and_dns);
	RUN(seed_form_and_bad_static_addresses);
	RUN(bridge_network_endpoints_connect_disconnect);
	RUN(bridge_network_in_a_user_namespace);
	RUN(bad_network_options_are_refused);
	snprintf(command, sizeof command, "rm -rf %s", root);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return cv_test_summary();
}
