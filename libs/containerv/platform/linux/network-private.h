/*
 * Internal: a container's network at start-up (linux/network-attach.c).
 *
 * cv_network_prepare() runs before the init is cloned: the lease is
 * recorded (owned by us), the bridge is up, ports are checked. Then
 * cv_network_attach() runs while the init sets up its mounts: the veth pair
 * is made with its inner end directly in the init's namespace, configured
 * there, the container's DNAT rules are added, and the lease passes to the
 * init. cv_network_release() undoes everything of a container.
 */
#ifndef CV_LINUX_NETWORK_PRIVATE_H
#define CV_LINUX_NETWORK_PRIVATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "network/network-internal.h"

struct containerv_container;

struct cv_network_plan {
	bool leased; /* a lease is recorded: release on failure */
	struct cv_network network;
	struct cv_lease lease;
	/* the networks it was connected to (ethN, N >= 1), joined again at each start */
	struct cv_network_plan *connected;
	size_t connected_count;
	/* CV_NETWORK_STATIC */
	uint32_t static_container;
	uint32_t static_host;
	uint32_t static_gateway;
};

int cv_network_prepare(struct containerv_container *container, struct cv_network_plan *plan);
int cv_network_attach(struct containerv_container *container, struct cv_network_plan *plan, pid_t init_pid);
void cv_network_plan_free(struct cv_network_plan *plan);
/* The container's address on its primary network, 0 when none (for /etc/hosts). */
uint32_t cv_network_plan_address(const struct cv_network_plan *plan);
/* The address of the DNS server the container's resolv.conf names (its user network's gateway), 0: the host's. */
uint32_t cv_network_plan_dns_server(const struct cv_network_plan *plan);
/* Releases every lease of the container and what they hold; bridges nobody uses go down. */
void cv_network_release(const char *container_id);
/* Shared by start-up and connect (linux/network-attach.c), the lock held where it says so. */
int cv_network_lease_locked(struct containerv_container *container, const char *name, const char *ip,
                            int interface_number, bool with_ports, struct cv_network_plan *plan);
/* MAC_ADDRESS: --mac-address for this interface, NULL for the one derived from its address. */
int cv_network_plug(const struct cv_network *network, const struct cv_lease *lease, pid_t pid, bool primary,
                    const char *mac_address);
int cv_network_hand_lease(const struct cv_network *network, struct cv_lease *lease, pid_t pid);
/* Releases the container's leases (of one network, or all with NULL); returns how many. Locked. */
int cv_network_release_locked(const char *container_id, const char *network, bool container_running);
/*
 * The container's own network namespace, set before any interface of ours is in it: the
 * interfaces made next are born without IPv6, and ping works without CAP_NET_RAW.
 */
int cv_network_namespace_defaults(pid_t pid);
/*
 * linux/dns-server.c, the networks' lock held: a user network's DNS server runs (a new one is
 * started when none is recorded alive); it is stopped (and waited for: its port is free after).
 */
int cv_dns_server_ensure_locked(const struct cv_network *network);
void cv_dns_server_stop_locked(const struct cv_network *network);
/* Whether a network gets a DNS server: every bridge network but the default one, as docker's. */
bool cv_network_has_dns(const struct cv_network *network);
/* linux/network-host.c */
int cv_network_bridge_up(const struct cv_network *network);
/* disable_ipv6 on an interface of the host's namespace; a kernel without IPv6 has nothing to do. */
int cv_network_interface_no_ipv6(const char *interface);
/* Writes an IPv6 sysctl of the calling thread's namespace; none to write without IPv6 in the kernel. */
int cv_network_ipv6_sysctl(const char *path, const char *value);

#endif
