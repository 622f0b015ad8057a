/*
 * containerv: container networking.
 *
 * A container's network is chosen in its options: none (loopback only),
 * host (the host's own stack), a bridge network (the default one, named
 * "bridge" on the bridge device containerv0, or one made with
 * containerv_network_create()), or the seed's static veth pair
 * (containerv_options_set_network). On a bridge network a container gets
 * an address from the network's IPAM, a veth pair to the bridge, outbound
 * NAT, /etc/hosts and /etc/resolv.conf, and its published ports. Every
 * network but the default one has an embedded DNS server on its gateway
 * address (port 53) that answers the names and aliases of the containers on
 * it and forwards other names to the host's resolvers, with a cache; its
 * containers' /etc/resolv.conf names it.
 *
 * Networks live under <root>/networks/<name>/. A network's bridge is made
 * when its first container starts and stays until the network is removed
 * (making and deleting it costs more than a container start). Every
 * resource a container takes (lease, veth, nftables table) is recorded
 * before it is taken and released when the container stops or is removed,
 * or by the next network operation after a crash.
 */
#ifndef CHEF_CONTAINERV_NETWORK_H
#define CHEF_CONTAINERV_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include <chef/containerv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct containerv_options;
struct containerv_container;

/* The name of the default bridge network. */
#define CONTAINERV_NETWORK_DEFAULT "bridge"

enum containerv_network_mode {
	CV_NETWORK_NONE = 0,   /* a private network namespace with loopback only (the library's default) */
	CV_NETWORK_HOST = 1,   /* no network namespace: the host's interfaces */
	CV_NETWORK_BRIDGE = 2, /* a bridge network: the default one or a named one */
	CV_NETWORK_STATIC = 3, /* a veth pair with fixed addresses (containerv_options_set_network) */
};

/*
 * Selects the container's network. network_name is used with
 * CV_NETWORK_BRIDGE only (NULL: the default network); the network must
 * exist when the container starts (the default one is made on first use).
 */
CONTAINERV_API int containerv_options_set_network_mode(struct containerv_options *options,
                                                       enum containerv_network_mode mode, const char *network_name);

/* A fixed IPv4 address on the container's bridge network (docker's --ip); it must be free and in the subnet. */
CONTAINERV_API int containerv_options_set_ip(struct containerv_options *options, const char *address);

/*
 * The MAC address of the container's interface on its first network
 * (docker's --mac-address): "92:d0:c6:0a:29:33", a unicast address other
 * than all zeros. Default: 02:42 and the four bytes of its IPv4 address.
 * Networks connected later keep the derived one. EINVAL: malformed.
 */
CONTAINERV_API int containerv_options_set_mac_address(struct containerv_options *options, const char *mac);

/*
 * The seed's form: a veth pair without bridge, the host's end addressed
 * host_ip, the container's end (eth0) container_ip, both with
 * container_netmask (dotted, "255.255.255.0"); the default route goes
 * through host_ip.
 */
CONTAINERV_API int containerv_options_set_network(struct containerv_options *options, const char *container_ip,
                                                  const char *container_netmask, const char *host_ip);

/* As containerv_options_set_network(), with a gateway (NULL: host_ip) and a DNS server (NULL: the host's). */
CONTAINERV_API int containerv_options_set_network_ex(struct containerv_options *options, const char *container_ip,
                                                     const char *container_netmask, const char *host_ip,
                                                     const char *gateway_ip, const char *dns);

/* Adds a name server for /etc/resolv.conf (docker's --dns); without any, the host's are used. */
CONTAINERV_API int containerv_options_add_dns(struct containerv_options *options, const char *server);

/*
 * Adds a name the container answers to on its (user) network, besides its own
 * name (docker's --network-alias): the network's DNS server answers it with
 * the container's address, and with every address when several containers
 * share it (in turns). A host name (letters, digits, '-', '_', dot-separated
 * labels). Refused at create on the default network "bridge", which has no
 * DNS server, as docker's.
 */
CONTAINERV_API int containerv_options_add_network_alias(struct containerv_options *options, const char *alias);

/*
 * docker's --link "CONTAINER[:ALIAS]" on a user network: ALIAS (CONTAINER when
 * omitted) resolves to the container named CONTAINER on the shared network,
 * for this container only. Refused at create on the default network.
 */
CONTAINERV_API int containerv_options_add_link(struct containerv_options *options, const char *link);

/* Adds "NAME:IP" to /etc/hosts (docker's --add-host). */
CONTAINERV_API int containerv_options_add_host(struct containerv_options *options, const char *name_and_address);

/*
 * Publishes a port: "[IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]" (docker's -p).
 * Reached on the host's addresses, 127.0.0.1 included. Bridge networks only.
 */
CONTAINERV_API int containerv_options_add_port(struct containerv_options *options, const char *specification);

/* Declares a port the image exposes, "PORT[/tcp|udp]" (published by publish_all). */
CONTAINERV_API int containerv_options_add_exposed_port(struct containerv_options *options, const char *port);

/* Publishes every exposed port on a free host port (docker's -P). */
CONTAINERV_API int containerv_options_set_publish_all(struct containerv_options *options, int enabled);

#define CONTAINERV_NETWORK_OPTIONS_VERSION 1

/* How to create a network. Initialise with CONTAINERV_NETWORK_OPTIONS_INIT. */
struct containerv_network_options {
	unsigned int version; /* CONTAINERV_NETWORK_OPTIONS_VERSION */
	const char *subnet;   /* IPv4 CIDR, /8 to /30; NULL: a free 10.89.N.0/24 */
	const char *gateway;  /* in the subnet; NULL: its first address */
};

#define CONTAINERV_NETWORK_OPTIONS_INIT                                                                                \
	{                                                                                                              \
		CONTAINERV_NETWORK_OPTIONS_VERSION, NULL, NULL                                                         \
	}

/*
 * Creates a bridge network. Refused (EEXIST) when the name is taken,
 * (EINVAL) for a bad name, CIDR or gateway, and (EADDRINUSE) when the
 * subnet overlaps another network's or a route of the host. Creating
 * "bridge" before its first use chooses the default network's subnet.
 */
CONTAINERV_API int containerv_network_create(const char *name, const struct containerv_network_options *options);

#define CONTAINERV_NETWORK_INFO_VERSION 1

/* A published port of an endpoint. */
struct containerv_port_mapping {
	char host_address[16]; /* "0.0.0.0": every address of the host */
	uint16_t host_port;
	uint16_t container_port;
	char protocol[4]; /* "tcp" or "udp" */
};

/* One container on a network. */
struct containerv_network_endpoint {
	char *network;                         /* network name */
	char *container;                       /* container id */
	char *address;                         /* IPv4 address */
	char *interface;                       /* its name inside the container (eth0, eth1...) */
	char *veth;                            /* the host's end of its veth pair */
	struct containerv_port_mapping *ports; /* published on this network (-p, -P) */
	size_t port_count;
};

/* What containerv_network_inspect() returns; release with containerv_network_info_clear(). */
struct containerv_network_info {
	unsigned int version; /* CONTAINERV_NETWORK_INFO_VERSION, set by the caller */
	char *name;
	char *id;      /* 64 hex digits */
	char *subnet;  /* CIDR */
	char *gateway; /* the bridge's address */
	char *bridge;  /* the bridge device */
	int64_t created_ns;
	int is_default;
	struct containerv_network_endpoint *endpoints;
	size_t endpoint_count;
};

CONTAINERV_API int containerv_network_inspect(const char *name, struct containerv_network_info *info);
CONTAINERV_API void containerv_network_info_clear(struct containerv_network_info *info);

/* Calls callback for each network, by name; a non-zero return stops the walk and is returned. */
CONTAINERV_API int containerv_network_list(int (*callback)(const struct containerv_network_info *info, void *user),
                                           void *user);

/* Removes a network; EBUSY while a container uses it. The default network is made again on next use. */
CONTAINERV_API int containerv_network_remove(const char *name);

/* Removes every network no container uses except the default one; callback (may be NULL) sees each name. */
CONTAINERV_API int containerv_network_prune(void (*callback)(const char *name, void *user), void *user);

/*
 * Connects a container to another network (the next free ethN inside; ip
 * may be NULL): at once when it runs, and at every start from then on, as
 * docker's. EEXIST when it is on that network already.
 */
CONTAINERV_API int containerv_network_connect(struct containerv_container *container, const char *network,
                                              const char *ip);

/*
 * As containerv_network_connect(), with aliases (a NULL-terminated array, may
 * be NULL) the network's DNS server answers with the container's address on
 * it (docker's network connect --alias). Refused on the default network.
 */
CONTAINERV_API int containerv_network_connect_with_aliases(struct containerv_container *container, const char *network,
                                                           const char *ip, const char *const *aliases);

/*
 * Disconnects a container from a network: its interface, lease and rules go
 * now (when it runs) and it is not joined again at the next start (the
 * primary network, the one it was created on, comes back at the next start).
 */
CONTAINERV_API int containerv_network_disconnect(struct containerv_container *container, const char *network);

/*
 * The container's endpoints (one per network it is attached to while it
 * runs); free with containerv_network_endpoints_free().
 */
CONTAINERV_API int containerv_network_endpoints(struct containerv_container *container,
                                                struct containerv_network_endpoint **endpoints, size_t *count);
CONTAINERV_API void containerv_network_endpoints_free(struct containerv_network_endpoint *endpoints, size_t count);

#ifdef __cplusplus
}
#endif

#endif
