/*
 * The host's side of a network: its bridge (made when the first container
 * attaches, deleted with the network), the bridge's sysctls and
 * nftables table, and what the store asks of the platform (is a lease's
 * owner alive, release a lease's veth and rules, host routes).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "linux/container-private.h"
#include "linux/netlink-route.h"
#include "linux/network-private.h"
#include "linux/nft.h"

bool cv_network_owner_alive(pid_t pid, uint64_t start_time)
{
	return cv_process_alive(pid, start_time);
}

void cv_network_owner_self(pid_t *pid, uint64_t *start_time)
{
	*pid = getpid();
	if (cv_process_start_time(*pid, start_time) < 0) {
		*start_time = 0;
		cv_error_clear();
	}
}

/* Per-interface sysctls: they go away with the interface, nothing host-wide is changed. */
static int set_interface_sysctl(const char *interface, const char *key, const char *value)
{
	char path[128];

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/%s", interface, key);
	return cv_write_file(path, value);
}

/*
 * A sysctl of IPv6, which a kernel may lack (ipv6.disable=1, no CONFIG_IPV6): then there is
 * nothing to turn off. Any other failure is one.
 */
int cv_network_ipv6_sysctl(const char *path, const char *value)
{
	int saved;

	if (cv_write_file(path, value) == 0)
		return 0;
	saved = errno;
	if (saved == ENOENT && access("/proc/sys/net/ipv6", F_OK) < 0 && errno == ENOENT) {
		cv_error_clear();
		return 0;
	}
	errno = saved;
	return -1;
}

/*
 * No IPv6 on an interface of ours, set before it is up: containerv configures IPv4 only, and
 * with the kernel's accept_ra=1 (forwarding off) a container's router advertisement would give
 * the host a default route through the container and an address from it (CVE-2020-13401
 * class). Turning it off also drops any route or address such an advertisement left.
 */
int cv_network_interface_no_ipv6(const char *interface)
{
	char path[128];

	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", interface);
	return cv_network_ipv6_sysctl(path, "1");
}

/* The alias that marks a bridge as this network's: "containerv network <id>". */
static void owner_alias(const struct cv_network *network, char alias[96])
{
	snprintf(alias, 96, "containerv network %s", network->id);
}

/*
 * Whose is the existing bridge? Ours when it carries our alias; a bridge
 * without one is ours when it has our gateway address (made by an older
 * version) or no address at all (a start that died while making it).
 * Anything else belongs to another network: another state root's default
 * network, say, even with the same subnet. Unless no container is on it: a
 * bridge without ports is left over (its state root deleted without its
 * networks) or idle: a start takes it over rather than fail, network rm
 * deletes it (its network makes it again at its next start). One in use by
 * another network is never touched.
 */
static int bridge_is_ours(struct cv_netlink *netlink, const struct cv_network *network, bool *ours)
{
	struct in_addr gateway = {htonl(network->gateway)};
	char alias[256], wanted[96];
	size_t count = 0;
	bool has_gateway = false;

	owner_alias(network, wanted);
	if (cv_netlink_link_alias(netlink, network->bridge, alias, sizeof alias) < 0)
		return -1;
	if (alias[0] != '\0') {
		size_t ports = 1;
		*ours = strcmp(alias, wanted) == 0;
		if (!*ours && cv_netlink_bridge_ports(netlink, network->bridge, &ports) == 0 && ports == 0)
			*ours = true;
		cv_error_clear();
		return 0;
	}
	if (cv_netlink_link_addresses(netlink, network->bridge, gateway, &count, &has_gateway) < 0)
		return -1;
	*ours = count == 0 || has_gateway;
	return 0;
}

/*
 * Alias, address, sysctls, rules, up. forwarding: packets from the bridge may be routed out
 * (outbound NAT); route_localnet: the host may reach a published port on 127.0.0.1, DNAT'ed to
 * a container behind the bridge; no IPv6 (no router advertisement from a container taken).
 */
static int bridge_configure(struct cv_netlink *netlink, const struct cv_network *network)
{
	struct in_addr gateway = {htonl(network->gateway)};
	char alias[96];
	size_t count = 0;
	bool has_gateway = false;

	owner_alias(network, alias);
	if (cv_netlink_link_set_alias(netlink, network->bridge, alias) < 0 ||
	    cv_netlink_link_addresses(netlink, network->bridge, gateway, &count, &has_gateway) < 0 ||
	    (!has_gateway && cv_netlink_address_add(netlink, network->bridge, gateway, network->subnet.prefix) < 0) ||
	    set_interface_sysctl(network->bridge, "forwarding", "1") < 0 ||
	    set_interface_sysctl(network->bridge, "route_localnet", "1") < 0 ||
	    cv_network_interface_no_ipv6(network->bridge) < 0 || cv_nft_network_up(network) < 0 ||
	    cv_netlink_link_set_up(netlink, network->bridge) < 0)
		return -1;
	return 0;
}

int cv_network_bridge_up(const struct cv_network *network)
{
	struct cv_netlink netlink;
	char alias[256], wanted[96];
	bool ours = false;
	int ret = -1;

	if (cv_netlink_open(&netlink) < 0)
		return -1;
	if (cv_netlink_link_exists(&netlink, network->bridge)) {
		owner_alias(network, wanted);
		ret = bridge_is_ours(&netlink, network, &ours);
		if (ret == 0 && !ours)
			ret = cv_error_errno(EADDRINUSE, "bridge %s belongs to another network (another state root's?)",
			                     network->bridge);
		/* Ours without our alias: made by an older version (mark it), or half-made (finish it). */
		else if (ret == 0 && cv_netlink_link_alias(&netlink, network->bridge, alias, sizeof alias) == 0 &&
		         strcmp(alias, wanted) != 0) {
			struct in_addr gateway = {htonl(network->gateway)};
			size_t count = 0;
			bool has_gateway = false;
			ret = cv_netlink_link_addresses(&netlink, network->bridge, gateway, &count, &has_gateway);
			if (ret == 0)
				ret = has_gateway ? cv_netlink_link_set_alias(&netlink, network->bridge, wanted)
				                  : bridge_configure(&netlink, network);
		}
		/*
		 * Ours and up: a bridge made before IPv6 was turned off on them may hold a route a
		 * container advertised. One write of a sysctl per start.
		 */
		if (ret == 0)
			ret = cv_network_interface_no_ipv6(network->bridge);
		cv_netlink_close(&netlink);
		return ret;
	}
	if (cv_netlink_bridge_create(&netlink, network->bridge) == 0 && bridge_configure(&netlink, network) == 0)
		ret = 0;
	if (ret < 0) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_netlink_link_delete(&netlink, network->bridge);
		cv_error_restore(&saved);
		cv_error_prefix("bring up bridge %s", network->bridge);
	}
	cv_netlink_close(&netlink);
	return ret;
}

int cv_network_platform_teardown(const struct cv_network *network)
{
	struct cv_netlink netlink;
	char table[32];
	bool ours = false;
	int ret = 0;

	/* The table first (it names the bridge), whether or not the bridge is still there. */
	cv_nft_network_table(network, table);
	cv_nft_table_delete(table);
	if (cv_netlink_open(&netlink) < 0)
		return -1;
	/* Never a bridge of the same name that another network (another state root's) has containers on. */
	if (cv_netlink_link_exists(&netlink, network->bridge)) {
		ret = bridge_is_ours(&netlink, network, &ours);
		if (ret == 0 && ours)
			ret = cv_netlink_link_delete(&netlink, network->bridge);
		cv_log(CONTAINERV_LOG_DEBUG, "network %s: bridge %s %s", network->name, network->bridge,
		       ret < 0 ? "could not be deleted"
		       : ours  ? "deleted"
		               : "left (not ours)");
	}
	cv_netlink_close(&netlink);
	return ret;
}

void cv_network_platform_release(const struct cv_network *network, const struct cv_lease *lease, bool container_running)
{
	struct cv_netlink netlink;

	if (lease->port_count > 0)
		cv_nft_ports_down(network, lease->address, lease->ports, lease->port_count);
	if (cv_network_veth_name_is_ours(lease->veth) && cv_netlink_open(&netlink) == 0) {
		if (cv_netlink_link_exists(&netlink, lease->veth) &&
		    (container_running || !cv_netlink_link_peer_elsewhere(&netlink, lease->veth)))
			cv_netlink_link_delete(&netlink, lease->veth);
		cv_netlink_close(&netlink);
	}
	cv_error_clear();
}

struct route_check {
	const struct cv_subnet *subnet;
	unsigned int own_index;
	char *text;
	size_t size;
};

static int check_route(struct in_addr destination, int prefix, unsigned int oif, void *user)
{
	struct route_check *check = user;
	struct cv_subnet route = {ntohl(destination.s_addr), prefix};
	char text[20];

	/* The default route covers everything; the network's own bridge is ours to reuse. */
	if (prefix == 0 || (check->own_index != 0 && oif == check->own_index))
		return 0;
	if (!cv_subnets_overlap(&route, check->subnet))
		return 0;
	cv_subnet_format(&route, text);
	snprintf(check->text, check->size, "%s", text);
	return 1;
}

int cv_network_platform_route_overlap(const struct cv_subnet *subnet, const char *own_bridge, char *text, size_t size)
{
	struct cv_netlink netlink;
	struct route_check check = {subnet, 0, text, size};
	int ret;

	if (cv_netlink_open(&netlink) < 0)
		return -1;
	if (own_bridge != NULL && cv_netlink_link_index(&netlink, own_bridge, &check.own_index) < 0) {
		check.own_index = 0;
		cv_error_clear();
	}
	ret = cv_netlink_routes(&netlink, check_route, &check);
	cv_netlink_close(&netlink);
	return ret;
}
