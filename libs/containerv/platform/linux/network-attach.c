/*
 * A container on its networks: leases, veth pairs, addresses inside,
 * published ports; connect and disconnect while it runs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"
#include "platform/linux/container-private.h"
#include "platform/linux/netlink-route.h"
#include "platform/linux/network-private.h"
#include "platform/linux/nft.h"

static struct in_addr in_address(uint32_t address)
{
	struct in_addr a = {htonl(address)};

	return a;
}

/* The host's end of a container's veth: unique per container and interface. */
static void veth_name(const char *container_id, int interface_number, char name[16])
{
	snprintf(name, 16, "cv%.10s%c%d", container_id, interface_number > 9 ? 'x' : 'e', interface_number % 100);
}

/* Is the port free on the host? A listener there would be shadowed by our DNAT, so it is refused. */
static int probe_host_port(const struct cv_port *port)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port->host_port)};
	int fd = socket(AF_INET, (port->protocol == CV_PROTOCOL_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return cv_error_sys("socket");
	address.sin_addr.s_addr = htonl(port->host_address);
	if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
		char text[48];
		cv_port_format(port, text, sizeof text);
		ret = errno == EADDRINUSE ? cv_error_errno(EADDRINUSE, "port %s: the host's port is in use", text)
		                          : cv_error_sys("port %s", text);
	}
	close(fd);
	return ret;
}

/* A free host port for publish-all: the kernel's choice of an ephemeral one. */
static int pick_host_port(struct cv_port *port)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t length = sizeof address;
	int fd = socket(AF_INET, (port->protocol == CV_PROTOCOL_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
	    getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
		if (fd >= 0)
			close(fd);
		return cv_error_sys("choose a host port");
	}
	close(fd);
	port->host_port = ntohs(address.sin_port);
	return 0;
}

struct port_conflict {
	const struct cv_port *ports;
	size_t count;
	const char *self;
};

static bool ports_clash(const struct cv_port *a, const struct cv_port *b)
{
	return a->host_port == b->host_port && a->protocol == b->protocol &&
	       (a->host_address == 0 || b->host_address == 0 || a->host_address == b->host_address);
}

static int check_published(const char *name, void *user)
{
	struct port_conflict *check = user;
	struct cv_network network;
	struct cv_lease *leases;
	size_t count;
	int ret = 0;

	if (!cv_network_load_with_leases(name, &network, &leases, &count))
		return 0;
	for (size_t i = 0; i < count && ret == 0; i++)
		for (size_t j = 0; j < leases[i].port_count && ret == 0; j++)
			for (size_t k = 0; k < check->count && ret == 0; k++)
				if (ports_clash(&leases[i].ports[j], &check->ports[k])) {
					char text[48];
					cv_port_format(&check->ports[k], text, sizeof text);
					ret = cv_error_errno(EADDRINUSE,
					                     "port %s is already published by container %.12s", text,
					                     leases[i].container);
				}
	cv_leases_free(leases, count);
	return ret;
}

/* The ports to publish: -p ones, and with -P the exposed ones on free host ports. Checked, under the lock. */
static int resolve_ports(struct containerv_container *c, struct cv_lease *lease)
{
	const struct cv_network_config *config = &c->config.network;
	size_t exposed = config->publish_all ? cv_strv_length(config->exposed) : 0;
	struct port_conflict check;

	if (config->port_count + exposed == 0)
		return 0;
	lease->ports = cv_malloc0((config->port_count + exposed) * sizeof *lease->ports);
	if (lease->ports == NULL)
		return -1;
	for (size_t i = 0; i < config->port_count; i++)
		lease->ports[lease->port_count++] = config->ports[i];
	for (size_t i = 0; i < exposed; i++) {
		struct cv_port *port = &lease->ports[lease->port_count];
		if (cv_port_parse(config->exposed[i], port, true) < 0 || pick_host_port(port) < 0)
			return -1;
		lease->port_count++;
	}
	check.ports = lease->ports;
	check.count = lease->port_count;
	check.self = c->id;
	if (cv_network_names(check_published, &check) != 0)
		return -1;
	for (size_t i = 0; i < lease->port_count; i++)
		if (probe_host_port(&lease->ports[i]) < 0)
			return -1;
	return 0;
}

/* Under the lock: the network (default one made on first use), the lease recorded, the bridge up. */
int cv_network_lease_locked(struct containerv_container *c, const char *name, const char *ip, int interface_number,
                            bool with_ports, struct cv_network_plan *plan)
{
	uint32_t requested = 0;

	if (cv_network_load_or_default(name, &plan->network) < 0)
		return -1;
	if (ip != NULL && cv_address_parse(ip, &requested) < 0)
		return -1;
	memset(&plan->lease, 0, sizeof plan->lease);
	snprintf(plan->lease.container, sizeof plan->lease.container, "%s", c->id);
	veth_name(c->id, interface_number, plan->lease.veth);
	snprintf(plan->lease.interface, sizeof plan->lease.interface, "eth%d", interface_number);
	if (with_ports && resolve_ports(c, &plan->lease) < 0)
		return -1;
	/* What the network's DNS server answers: the lease is where it reads the names. */
	if (cv_lease_set_names(&plan->lease, &c->config.network, name, c->name, interface_number == 0) < 0)
		return -1;
	/* docker: a container with a health check starts "starting"; its supervisor marks it ready when healthy. */
	plan->lease.unready = cv_health_effective(&c->config) != NULL;
	if (cv_lease_allocate(&plan->network, requested, &plan->lease) < 0)
		return -1;
	plan->leased = true;
	if (cv_network_bridge_up(&plan->network) < 0 ||
	    (cv_network_has_dns(&plan->network) && cv_dns_server_ensure_locked(&plan->network) < 0)) {
		cv_lease_remove(&plan->network, plan->lease.address);
		plan->leased = false;
		return -1;
	}
	return 0;
}

bool cv_network_has_dns(const struct cv_network *network)
{
	return strcmp(network->name, CONTAINERV_NETWORK_DEFAULT) != 0;
}

void cv_network_platform_unused(const struct cv_network *network)
{
	if (cv_network_has_dns(network))
		cv_dns_server_stop_locked(network);
}

/* "NAME" or "NAME=IP" of a connected network. */
static void split_connected(const char *entry, char *name, size_t size, const char **ip)
{
	const char *equals = strchr(entry, '=');

	snprintf(name, size, "%.*s", equals ? (int)(equals - entry) : (int)strlen(entry), entry);
	*ip = equals ? equals + 1 : NULL;
}

/* Under the lock: the primary network's lease (eth0) and one per connected network (eth1...). */
static int lease_all_locked(struct containerv_container *c, struct cv_network_plan *plan)
{
	const struct cv_network_config *config = &c->config.network;
	const char *name = config->network ? config->network : CONTAINERV_NETWORK_DEFAULT;
	size_t count = cv_strv_length(config->connected);

	if (config->mode == CV_NETWORK_BRIDGE && cv_network_lease_locked(c, name, config->ip, 0, true, plan) < 0)
		return cv_error_prefix("network %s", name);
	if (count == 0)
		return 0;
	plan->connected = cv_malloc0(count * sizeof *plan->connected);
	if (plan->connected == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		char network[CV_NETWORK_NAME_MAX + 1];
		const char *ip;
		split_connected(config->connected[i], network, sizeof network, &ip);
		if (cv_network_lease_locked(c, network, ip, (int)i + 1, false, &plan->connected[i]) < 0)
			return cv_error_prefix("network %s", network);
		plan->connected_count = i + 1;
	}
	return 0;
}

int cv_network_prepare(struct containerv_container *c, struct cv_network_plan *plan)
{
	const struct cv_network_config *config = &c->config.network;
	int lock, ret;

	memset(plan, 0, sizeof *plan);
	if (config->mode == CV_NETWORK_STATIC) {
		if (cv_address_parse(config->static_container_ip, &plan->static_container) < 0 ||
		    cv_address_parse(config->static_host_ip, &plan->static_host) < 0)
			return cv_error_prefix("network");
		plan->static_gateway = plan->static_host;
		if (config->static_gateway != NULL &&
		    cv_address_parse(config->static_gateway, &plan->static_gateway) < 0)
			return cv_error_prefix("network");
		return 0;
	}
	if ((config->mode != CV_NETWORK_BRIDGE && config->connected == NULL) || config->mode == CV_NETWORK_HOST)
		return 0;
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	/* What a killed CLI left goes first, so its addresses and ports are free again. */
	cv_network_reconcile_locked();
	ret = lease_all_locked(c, plan);
	if (ret < 0) {
		/* Every lease taken so far (they are all this start's), and the plan. */
		struct cv_error_saved saved;
		cv_error_save(&saved);
		cv_network_release_locked(c->id, NULL, false);
		cv_network_plan_free(plan);
		cv_error_restore(&saved);
	}
	cv_network_unlock(lock);
	return ret;
}

uint32_t cv_network_plan_address(const struct cv_network_plan *plan)
{
	return plan->leased ? plan->lease.address : plan->static_container;
}

uint32_t cv_network_plan_dns_server(const struct cv_network_plan *plan)
{
	return plan->leased && cv_network_has_dns(&plan->network) ? plan->network.gateway : 0;
}

void cv_network_plan_free(struct cv_network_plan *plan)
{
	for (size_t i = 0; i < plan->connected_count; i++)
		cv_network_plan_free(&plan->connected[i]);
	free(plan->connected);
	plan->connected = NULL;
	plan->connected_count = 0;
	free(plan->lease.ports);
	plan->lease.ports = NULL;
	plan->lease.port_count = 0;
	cv_strv_free(plan->lease.names);
	cv_strv_free(plan->lease.links);
	cv_strv_free(plan->lease.dns);
	plan->lease.names = plan->lease.links = plan->lease.dns = NULL;
}

static int write_namespace_defaults(void *user)
{
	(void)user;
	if (cv_write_file("/proc/sys/net/ipv4/ping_group_range", "0 2147483647") < 0)
		return -1;
	return cv_network_ipv6_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
}

/*
 * - net.ipv6.conf.default.disable_ipv6=1: containerv configures IPv4 only, and a namespace's
 *   interfaces otherwise take router advertisements (accept_ra=1): a neighbour container's would
 *   give this one a default route through it and an address (CVE-2020-13401 class). The veths
 *   made next (eth0, eth1...) inherit it: no IPv6 from their first moment. lo keeps ::1.
 * - net.ipv4.ping_group_range="0 2147483647": ICMP echo sockets for every group, so ping works
 *   without CAP_NET_RAW (docker's and podman's default). Written from the host's user namespace,
 *   where any group of a container's user namespace maps into that range.
 */
int cv_network_namespace_defaults(pid_t pid)
{
	if (cv_netns_run(pid, write_namespace_defaults, NULL) < 0)
		return cv_error_prefix("network namespace");
	return 0;
}

/* Inside the init's namespace: the interface up with its address (and the default route, when primary). */
static int configure_inside(pid_t pid, const char *interface, uint32_t address, int prefix, uint32_t gateway)
{
	struct cv_netlink inside;
	int ret;

	if (cv_netlink_open_in(&inside, pid) < 0)
		return -1;
	ret = cv_netlink_address_add(&inside, interface, in_address(address), prefix);
	if (ret == 0)
		ret = cv_netlink_link_set_up(&inside, interface);
	if (ret == 0 && gateway != 0)
		ret = cv_netlink_route_add_default(&inside, interface, in_address(gateway));
	cv_netlink_close(&inside);
	return ret;
}

/*
 * The pair is named after the container's id: one that exists already is the previous run's, whose
 * network namespace the kernel is still tearing down (a restart right after its stop). Only this
 * container's start, under its lock, makes that name: the stale pair is deleted and the create retried.
 */
static int veth_create_replacing_stale(struct cv_netlink *host, const char *name, const char *peer, pid_t pid,
                                       const uint8_t *mac)
{
	if (cv_netlink_veth_create(host, name, peer, pid, mac) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	cv_error_clear();
	if (cv_netlink_link_delete(host, name) < 0 && errno != ENODEV)
		return -1;
	cv_error_clear();
	return cv_netlink_veth_create(host, name, peer, pid, mac);
}

/*
 * The veth pair of a lease, its inner end made directly in pid's namespace, then configured.
 * The inner end's MAC address is derived from its IP address (02:42 and the four bytes, as
 * docker's): a container that gets a released address answers at the MAC the neighbours have
 * cached for it, instead of being unreachable until their cache entries expire.
 */
int cv_network_plug(const struct cv_network *network, const struct cv_lease *lease, pid_t pid, bool primary,
                    const char *mac_address)
{
	uint8_t mac[6] = {0x02,
	                  0x42,
	                  (uint8_t)(lease->address >> 24),
	                  (uint8_t)(lease->address >> 16),
	                  (uint8_t)(lease->address >> 8),
	                  (uint8_t)lease->address};
	struct cv_netlink host;
	int ret;

	/* --mac-address: checked when it was set; the config is the state root's, so checked again. */
	if (mac_address != NULL && cv_mac_parse(mac_address, mac) < 0)
		return cv_error_errno(EINVAL, "network: invalid MAC address %s", mac_address);

	if (cv_netlink_open(&host) < 0)
		return -1;
	ret = veth_create_replacing_stale(&host, lease->veth, lease->interface, pid, mac);
	if (ret == 0)
		ret = cv_network_interface_no_ipv6(lease->veth);
	if (ret == 0)
		ret = cv_netlink_link_set_master(&host, lease->veth, network->bridge);
	if (ret == 0)
		ret = cv_netlink_link_set_up(&host, lease->veth);
	cv_netlink_close(&host);
	if (ret == 0)
		ret = configure_inside(pid, lease->interface, lease->address, network->subnet.prefix,
		                       primary ? network->gateway : 0);
	if (ret == 0 && lease->port_count > 0)
		ret = cv_nft_ports_up(network, lease->container, lease->address, lease->ports, lease->port_count);
	return ret;
}

static int attach_static(struct containerv_container *c, struct cv_network_plan *plan, pid_t pid)
{
	const struct cv_network_config *config = &c->config.network;
	struct cv_netlink host;
	char veth[16];
	int ret;

	veth_name(c->id, 0, veth);
	if (cv_netlink_open(&host) < 0)
		return -1;
	/* The pair dies with the container's namespace: nothing to record. */
	ret = veth_create_replacing_stale(&host, veth, "eth0", pid, NULL);
	if (ret == 0)
		ret = cv_network_interface_no_ipv6(veth);
	if (ret == 0)
		ret = cv_netlink_address_add(&host, veth, in_address(plan->static_host), config->static_prefix);
	if (ret == 0)
		ret = cv_netlink_link_set_up(&host, veth);
	if (ret < 0)
		cv_netlink_link_delete(&host, veth);
	cv_netlink_close(&host);
	if (ret == 0)
		ret = configure_inside(pid, "eth0", plan->static_container, config->static_prefix,
		                       plan->static_gateway);
	return ret;
}

/* The lease now belongs to the init: it is stale once the init is gone. */
int cv_network_hand_lease(const struct cv_network *network, struct cv_lease *lease, pid_t pid)
{
	uint64_t start;
	int lock, ret;

	if (cv_process_start_time(pid, &start) < 0)
		return -1;
	lease->owner_pid = pid;
	lease->owner_start = start;
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	ret = cv_lease_save(network, lease);
	cv_network_unlock(lock);
	if (ret == 0)
		cv_network_journal("connect", network, lease->container);
	return ret;
}

int cv_network_attach(struct containerv_container *c, struct cv_network_plan *plan, pid_t pid)
{
	/* Its own namespace (every mode but host), set up before any veth is in it; never ours. A joined one is
	 * its owner's, set up already (and the init may not be in it yet). */
	if ((c->config.namespaces & CV_NS_NET) && c->config.join_paths[CV_JOIN_NET] == NULL &&
	    c->config.join_containers[CV_JOIN_NET] == NULL && cv_network_namespace_defaults(pid) < 0)
		return cv_error_prefix("network");
	if ((c->config.network.mode == CV_NETWORK_STATIC || plan->leased || plan->connected_count > 0) &&
	    !(c->config.namespaces & CV_NS_NET))
		return cv_error_errno(EINVAL, "network: the container shares our network namespace");
	if (c->config.network.mode == CV_NETWORK_STATIC) {
		if (attach_static(c, plan, pid) < 0)
			return cv_error_prefix("network");
		return 0;
	}
	if (plan->leased &&
	    (cv_network_plug(&plan->network, &plan->lease, pid, true, c->config.network.mac_address) < 0 ||
	     cv_network_hand_lease(&plan->network, &plan->lease, pid) < 0))
		return cv_error_prefix("network %s", plan->network.name);
	for (size_t i = 0; i < plan->connected_count; i++) {
		struct cv_network_plan *more = &plan->connected[i];
		if (cv_network_plug(&more->network, &more->lease, pid, false, NULL) < 0 ||
		    cv_network_hand_lease(&more->network, &more->lease, pid) < 0)
			return cv_error_prefix("network %s", more->network.name);
	}
	return 0;
}

struct release_walk {
	const char *container;
	const char *only_network; /* NULL: all */
	bool container_running;   /* disconnect: the veth is deleted here */
	int released;
};

static int release_in(const char *name, void *user)
{
	struct release_walk *walk = user;
	struct cv_network network;
	struct cv_lease *leases = NULL;
	size_t count = 0;

	if ((walk->only_network != NULL && strcmp(name, walk->only_network) != 0) ||
	    cv_network_load(name, &network) < 0 || cv_network_leases(&network, &leases, &count) < 0) {
		cv_error_clear();
		return 0;
	}
	size_t left = count, mine = 0;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(leases[i].container, walk->container) != 0)
			continue;
		cv_network_platform_release(&network, &leases[i], walk->container_running);
		cv_lease_remove(&network, leases[i].address);
		cv_network_journal("disconnect", &network, walk->container);
		walk->released++;
		mine++;
		left--;
	}
	cv_leases_free(leases, count);
	/* The last container left: its DNS server goes with it (the next start makes one again). */
	if (left == 0 && mine > 0)
		cv_network_platform_unused(&network);
	return 0;
}

int cv_network_release_locked(const char *container_id, const char *network, bool running)
{
	struct release_walk walk = {container_id, network, running, 0};

	cv_network_names(release_in, &walk);
	cv_error_clear();
	return walk.released;
}

void cv_network_release(const char *container_id)
{
	int lock;

	/* No network was ever made here (--network none, host): nothing to take, and no lock file to make. */
	if (!cv_network_store_exists())
		return;
	lock = cv_network_lock();

	if (lock < 0) {
		cv_error_clear();
		return;
	}
	cv_network_release_locked(container_id, NULL, false);
	cv_network_unlock(lock);
}
