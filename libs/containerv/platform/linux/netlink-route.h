/*
 * Internal: the kernel's routing netlink (rtnetlink) through libmnl:
 * bridges, veth pairs, addresses, routes, moving links between network
 * namespaces. No `ip` is ever run. A socket works in the network namespace
 * it was opened in: cv_netlink_open_in() opens one inside another process's.
 */
#ifndef CV_LINUX_NETLINK_H
#define CV_LINUX_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mnl_socket;

struct cv_netlink {
	struct mnl_socket *socket;
	unsigned int portid;
	unsigned int sequence;
	pid_t pid; /* opened in the network namespace of this process; 0: ours */
};

/* Opens a socket in our own network namespace / in the one of process pid (no change to ours after). */
int cv_netlink_open(struct cv_netlink *netlink);
int cv_netlink_open_in(struct cv_netlink *netlink, pid_t pid);
void cv_netlink_close(struct cv_netlink *netlink);
/*
 * Runs fn(user) with this thread in the network namespace of process pid
 * (sockets it opens and /proc/sys/net it reads and writes are that
 * namespace's), then back in ours. EINVAL when pid's namespace is ours.
 */
int cv_netns_run(pid_t pid, int (*fn)(void *user), void *user);

/* Index of a link by name (ENODEV when there is none). */
int cv_netlink_link_index(struct cv_netlink *netlink, const char *name, unsigned int *index);
bool cv_netlink_link_exists(struct cv_netlink *netlink, const char *name);
/* Whether a veth's peer is in another network namespace (it then goes away with that namespace). */
bool cv_netlink_link_peer_elsewhere(struct cv_netlink *netlink, const char *name);
/* A bridge with a fixed address MAC (EEXIST when a link of that name exists). */
int cv_netlink_bridge_create(struct cv_netlink *netlink, const char *name, const uint8_t mac[6]);
/*
 * A veth pair. With peer_pid > 0 the peer is created directly in that
 * process's network namespace (one request: nothing is ever left half-moved);
 * peer_mac (NULL: the kernel's random one) is the peer's hardware address.
 */
int cv_netlink_veth_create(struct cv_netlink *netlink, const char *name, const char *peer, pid_t peer_pid,
                           const uint8_t peer_mac[6]);
/* Deletes a link (a veth takes its peer along); ENODEV when there is none. */
int cv_netlink_link_delete(struct cv_netlink *netlink, const char *name);
/* Moves a link into the network namespace of process pid. */
int cv_netlink_link_set_netns(struct cv_netlink *netlink, const char *name, pid_t pid);
int cv_netlink_link_rename(struct cv_netlink *netlink, const char *name, const char *new_name);
int cv_netlink_link_set_up(struct cv_netlink *netlink, const char *name);
/* How many links a bridge has as its ports. */
int cv_netlink_bridge_ports(struct cv_netlink *netlink, const char *name, size_t *count);
/* A link's alias (ifalias), "" when it has none; sets it. */
int cv_netlink_link_alias(struct cv_netlink *netlink, const char *name, char *alias, size_t size);
int cv_netlink_link_set_alias(struct cv_netlink *netlink, const char *name, const char *alias);
/* Enslaves a link to a bridge (master NULL: releases it). */
int cv_netlink_link_set_master(struct cv_netlink *netlink, const char *name, const char *master);
/* Adds address/prefix to a link (EEXIST when it has it). */
int cv_netlink_address_add(struct cv_netlink *netlink, const char *name, struct in_addr address, int prefix);
/*
 * The IPv4 addresses of a link: *count of them, *found when address is
 * one of them.
 */
int cv_netlink_link_addresses(struct cv_netlink *netlink, const char *name, struct in_addr address, size_t *count,
                              bool *found);
/* A default route through gateway, on link name. */
int cv_netlink_route_add_default(struct cv_netlink *netlink, const char *name, struct in_addr gateway);

/*
 * Calls callback for each IPv4 route of the main table (destination,
 * prefix, output link index). Used to refuse a subnet that a host route
 * covers.
 */
int cv_netlink_routes(struct cv_netlink *netlink,
                      int (*callback)(struct in_addr destination, int prefix, unsigned int oif, void *user),
                      void *user);

/*
 * Calls callback for each IPv4 address of the host (address, prefix, link
 * index). Used with the routes: an address on a link that is down has no
 * route.
 */
int cv_netlink_addresses(struct cv_netlink *netlink,
                         int (*callback)(struct in_addr address, int prefix, unsigned int index, void *user),
                         void *user);

/* Counters of a link (rx/tx bytes and packets). */
struct cv_link_stats {
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};
int cv_netlink_link_stats(struct cv_netlink *netlink, const char *name, struct cv_link_stats *stats);

#endif
