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
#include "platform/linux/container-private.h"
#include "platform/linux/netlink-route.h"
#include "platform/linux/network-private.h"
#include "platform/linux/nft.h"

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

/* An existing bridge of the network's name is... */
enum bridge_owner {
	BRIDGE_OURS,         /* ours: our alias, or none and our gateway or no address (older version, half-made) */
	BRIDGE_IDLE_FOREIGN, /* another containerv network's (its alias), with no container on it */
	BRIDGE_FOREIGN,      /* another network's in use, or not containerv's: never touched */
};

static bool alias_is_containerv(const char *alias)
{
	return strncmp(alias, "containerv network ", strlen("containerv network ")) == 0;
}

/*
 * Whose is the existing bridge? Each state root names its default network's
 * bridge after itself (containerv0 for the default root only), so another
 * network's bridge of our name is one left by a state root that was deleted
 * with its networks (the same path's, or an older version's root that used
 * containerv0 too). One with a containerv alias and no container on it is
 * idle: a start replaces it, network rm leaves it. One in use, or one without
 * our alias that holds other addresses, is never touched.
 */
static int bridge_owner(struct cv_netlink *netlink, const struct cv_network *network, enum bridge_owner *owner)
{
	struct in_addr gateway = {htonl(network->gateway)};
	char alias[256], wanted[96];
	size_t count = 0, ports = 1;
	bool has_gateway = false;

	owner_alias(network, wanted);
	if (cv_netlink_link_alias(netlink, network->bridge, alias, sizeof alias) < 0)
		return -1;
	if (strcmp(alias, wanted) == 0) {
		*owner = BRIDGE_OURS;
		return 0;
	}
	if (alias[0] != '\0') {
		if (alias_is_containerv(alias) && cv_netlink_bridge_ports(netlink, network->bridge, &ports) < 0)
			return -1;
		*owner = alias_is_containerv(alias) && ports == 0 ? BRIDGE_IDLE_FOREIGN : BRIDGE_FOREIGN;
		return 0;
	}
	if (cv_netlink_link_addresses(netlink, network->bridge, gateway, &count, &has_gateway) < 0)
		return -1;
	*owner = count == 0 || has_gateway ? BRIDGE_OURS : BRIDGE_FOREIGN;
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

/* Ours without our alias: made by an older version (mark it), or half-made (finish it). */
static int bridge_adopt(struct cv_netlink *netlink, const struct cv_network *network)
{
	struct in_addr gateway = {htonl(network->gateway)};
	char alias[256], wanted[96];
	size_t count = 0;
	bool has_gateway = false;

	owner_alias(network, wanted);
	if (cv_netlink_link_alias(netlink, network->bridge, alias, sizeof alias) < 0)
		return -1;
	if (strcmp(alias, wanted) == 0)
		return 0;
	if (cv_netlink_link_addresses(netlink, network->bridge, gateway, &count, &has_gateway) < 0)
		return -1;
	return has_gateway ? cv_netlink_link_set_alias(netlink, network->bridge, wanted)
	                   : bridge_configure(netlink, network);
}

/*
 * The bridge's own address, set when it is made. A bridge left to choose takes its
 * lowest port's address and changes it when a container comes or goes: the others'
 * ARP entries for the gateway then point nowhere until they expire, and their
 * outbound traffic is lost for seconds. Locally administered, from the network's id
 * (02:43: never meets a container's 02:42:<address>).
 */
static void bridge_address(const struct cv_network *network, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x43;
	for (int i = 0; i < 4; i++) {
		unsigned int byte = 0;
		sscanf(network->id + 2 * i, "%2x", &byte);
		mac[2 + i] = (uint8_t)byte;
	}
}

/*
 * A new bridge: its subnet is checked against the host once more, as it is
 * made (not at each start). Another root's default network chosen while this
 * one was recorded but not yet up has the same subnet: a second bridge with it
 * would get a conflicting route, so it is refused with one error instead.
 */
static int bridge_create(struct cv_netlink *netlink, const struct cv_network *network)
{
	char subnet[20], what[96];
	uint8_t mac[6];
	int overlap = cv_network_platform_host_overlap(&network->subnet, NULL, what, sizeof what);

	if (overlap != 0) {
		cv_subnet_format(&network->subnet, subnet);
		return overlap < 0
		               ? -1
		               : cv_error_errno(EADDRINUSE, "bring up bridge %s: subnet %s overlaps the host's %s%s",
		                                network->bridge, subnet, what,
		                                strcmp(network->name, CONTAINERV_NETWORK_DEFAULT) == 0
		                                        ? ": `network rm bridge` chooses another"
		                                        : "");
	}
	bridge_address(network, mac);
	if (cv_netlink_bridge_create(netlink, network->bridge, mac) == 0 && bridge_configure(netlink, network) == 0)
		return 0;
	struct cv_error_saved saved;
	cv_error_save(&saved);
	cv_netlink_link_delete(netlink, network->bridge);
	cv_error_restore(&saved);
	return cv_error_prefix("bring up bridge %s", network->bridge);
}

int cv_network_bridge_up(const struct cv_network *network)
{
	struct cv_netlink netlink;
	enum bridge_owner owner = BRIDGE_FOREIGN;
	int ret;

	if (cv_netlink_open(&netlink) < 0)
		return -1;
	if (!cv_netlink_link_exists(&netlink, network->bridge)) {
		ret = bridge_create(&netlink, network);
	} else if (bridge_owner(&netlink, network, &owner) < 0) {
		ret = -1;
	} else if (owner == BRIDGE_FOREIGN) {
		ret = cv_error_errno(EADDRINUSE, "bridge %s belongs to another network (another state root's?)%s",
		                     network->bridge,
		                     strcmp(network->name, CONTAINERV_NETWORK_DEFAULT) == 0
		                             ? ": `network rm bridge` gives this root's default network its own"
		                             : "");
	} else if (owner == BRIDGE_IDLE_FOREIGN) {
		/* Left over and idle: made anew, so none of its addresses stays. */
		cv_log(CONTAINERV_LOG_DEBUG, "network %s: idle bridge %s of another network replaced", network->name,
		       network->bridge);
		ret = cv_netlink_link_delete(&netlink, network->bridge) < 0 && errno != ENODEV
		              ? -1
		              : bridge_create(&netlink, network);
	} else {
		/*
		 * Ours and up: a bridge made before IPv6 was turned off on them may hold a route a
		 * container advertised. One write of a sysctl per start.
		 */
		ret = bridge_adopt(&netlink, network);
		if (ret == 0)
			ret = cv_network_interface_no_ipv6(network->bridge);
	}
	cv_netlink_close(&netlink);
	return ret;
}

int cv_network_platform_teardown(const struct cv_network *network)
{
	struct cv_netlink netlink;
	enum bridge_owner owner = BRIDGE_FOREIGN;
	char table[32];
	int ret = 0;

	/* Its DNS server first: it is bound to the bridge's address. */
	cv_dns_server_stop_locked(network);
	/* The table first (it names the bridge), whether or not the bridge is still there. */
	cv_nft_network_table(network, table);
	cv_nft_table_delete(table);
	if (cv_netlink_open(&netlink) < 0)
		return -1;
	/* Only our own bridge: never another network's of the same name, idle or not. */
	if (cv_netlink_link_exists(&netlink, network->bridge)) {
		ret = bridge_owner(&netlink, network, &owner);
		if (ret == 0 && owner == BRIDGE_OURS)
			ret = cv_netlink_link_delete(&netlink, network->bridge);
		cv_log(CONTAINERV_LOG_DEBUG, "network %s: bridge %s %s", network->name, network->bridge,
		       ret < 0                ? "could not be deleted"
		       : owner == BRIDGE_OURS ? "deleted"
		                              : "left (not ours)");
	}
	cv_netlink_close(&netlink);
	return ret;
}

bool cv_network_platform_bridge_in_use(const char *bridge)
{
	struct cv_netlink netlink;
	size_t ports = 0;
	bool in_use = false;

	if (cv_netlink_open(&netlink) < 0) {
		cv_error_clear();
		return false;
	}
	if (cv_netlink_link_exists(&netlink, bridge))
		in_use = cv_netlink_bridge_ports(&netlink, bridge, &ports) < 0 || ports > 0;
	cv_netlink_close(&netlink);
	cv_error_clear();
	return in_use;
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

struct overlap_check {
	const struct cv_subnet *subnet;
	unsigned int own_index;
	char *text;
	size_t size;
};

static int check_route(struct in_addr destination, int prefix, unsigned int oif, void *user)
{
	struct overlap_check *check = user;
	struct cv_subnet route = {ntohl(destination.s_addr), prefix};
	char text[20];

	/* The default route covers everything; the network's own bridge is ours to reuse. */
	if (prefix == 0 || (check->own_index != 0 && oif == check->own_index))
		return 0;
	if (!cv_subnets_overlap(&route, check->subnet))
		return 0;
	cv_subnet_format(&route, text);
	snprintf(check->text, check->size, "route %s", text);
	return 1;
}

static int check_address(struct in_addr address, int prefix, unsigned int index, void *user)
{
	struct overlap_check *check = user;
	struct cv_subnet range = {ntohl(address.s_addr) & cv_prefix_mask(prefix), prefix};
	char text[16];

	/* Loopback's 127.0.0.0/8 is never a network's; our own bridge's address is ours. */
	if (range.address >> 24 == 127 || (check->own_index != 0 && index == check->own_index))
		return 0;
	if (!cv_subnets_overlap(&range, check->subnet))
		return 0;
	cv_address_format(ntohl(address.s_addr), text);
	snprintf(check->text, check->size, "address %s/%d", text, prefix);
	return 1;
}

int cv_network_platform_host_overlap(const struct cv_subnet *subnet, const char *own_bridge, char *text, size_t size)
{
	struct cv_netlink netlink;
	struct overlap_check check = {subnet, 0, text, size};
	int ret;

	if (cv_netlink_open(&netlink) < 0)
		return -1;
	if (own_bridge != NULL && cv_netlink_link_index(&netlink, own_bridge, &check.own_index) < 0) {
		check.own_index = 0;
		cv_error_clear();
	}
	ret = cv_netlink_routes(&netlink, check_route, &check);
	if (ret == 0)
		ret = cv_netlink_addresses(&netlink, check_address, &check);
	cv_netlink_close(&netlink);
	return ret;
}
