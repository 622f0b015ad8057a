/*
 * Internal: networks, addresses and leases (platform-neutral), and the few
 * calls into the platform they need (linux/network-*.c).
 *
 *   <root>/networks/lock                  flock'ed around every change of networks or leases
 *   <root>/networks/<name>/network.json   the definition (atomic writes)
 *   <root>/networks/<name>/leases/<ip>    one per address in use: who holds it, its veth, its ports
 *
 * A lease is written before anything it names is made (veth, rules), and
 * names its owner process (the starting CLI, then the container's init):
 * a lease whose owner is dead is stale, and the next network operation
 * releases what it names.
 */
#ifndef CV_NETWORK_INTERNAL_H
#define CV_NETWORK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <chef/containerv/network.h>

#include "common/process.h"

struct json_t;

#define CV_NETWORK_NAME_MAX 64
/*
 * The default network of the default state root: the bridge and subnet
 * users, firewalls and older versions know, kept while free.
 */
#define CV_DEFAULT_ROOT "/var/lib/containerv"
#define CV_DEFAULT_BRIDGE "containerv0"
#define CV_DEFAULT_SUBNET "10.88.0.0/16"
/*
 * Any other root's default network (or the default root's when 10.88.0.0/16
 * is taken): the first free 10.N.0.0/16 for N in this range. 10.89.0.0/16 is
 * left to the /24s of networks created without --subnet.
 */
#define CV_DEFAULT_POOL_FIRST 90
#define CV_DEFAULT_POOL_LAST 127

/* An IPv4 subnet, host byte order. */
struct cv_subnet {
	uint32_t address;
	int prefix;
};

/*
 * Names of the host's interfaces we make: a bridge "containerv0" or
 * "cvbr-<10 hex>", a veth "cv<10 hex>e<N>" or "cv<10 hex>x<N>". A name read
 * from a state file is only ever deleted when it has one of these shapes.
 */
bool cv_network_bridge_name_is_ours(const char *name);
bool cv_network_veth_name_is_ours(const char *name);
/*
 * The bridge of the default network of the state root at real_root (a real
 * path): "cvbr-" and the first 10 hex digits of the path's sha256, so every
 * root has its own and the same root always the same.
 */
int cv_network_root_bridge_name(const char *real_root, char bridge[16]);

/* network/address.c */
int cv_address_parse(const char *text, uint32_t *address);
void cv_address_format(uint32_t address, char buffer[16]);
/* "a.b.c.d/n" with no host bits set and 8 <= n <= 30. */
int cv_subnet_parse(const char *text, struct cv_subnet *subnet);
void cv_subnet_format(const struct cv_subnet *subnet, char buffer[20]);
uint32_t cv_prefix_mask(int prefix);
/* Dotted netmask ("255.255.255.0") to a prefix length; -1 when not contiguous. */
int cv_netmask_prefix(const char *netmask);
bool cv_subnet_contains(const struct cv_subnet *subnet, uint32_t address);
bool cv_subnets_overlap(const struct cv_subnet *a, const struct cv_subnet *b);

enum { CV_PROTOCOL_TCP = 6, CV_PROTOCOL_UDP = 17 };

/* A published port. */
struct cv_port {
	uint32_t host_address; /* 0: every address of the host */
	uint16_t host_port;    /* 0: choose one (publish all) */
	uint16_t container_port;
	int protocol;
};

/* "[IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]" (docker's -p); "PORT[/proto]" with exposed_only. */
int cv_port_parse(const char *text, struct cv_port *port, bool exposed_only);
void cv_port_format(const struct cv_port *port, char *buffer, size_t size);

struct cv_network {
	char name[CV_NETWORK_NAME_MAX + 1];
	char id[65];
	struct cv_subnet subnet;
	uint32_t gateway;
	char bridge[16];
	int64_t created_ns;
};

/*
 * Records a network's event in the current context's journal (docker's: create, connect, disconnect,
 * destroy; Actor.ID the network's id, name and type=bridge, and container= for connect and disconnect).
 * Never fails its caller: a journal that cannot be written is reported through the log.
 */
void cv_network_journal(const char *action, const struct cv_network *network, const char *container);

struct cv_lease {
	char container[65];
	uint32_t address;
	char veth[16];      /* the host's end */
	char interface[16]; /* inside the container */
	pid_t owner_pid;
	uint64_t owner_start;
	struct cv_port *ports;
	size_t port_count;
	/* What the network's DNS server answers (network/dns.c): the container's name and aliases here ... */
	char **names;
	/* ... and its --link aliases, "TARGET:ALIAS", which resolve for this container only ... */
	char **links;
	/* ... and its --dns servers, where the server forwards its other questions (the host's without). */
	char **dns;
	/*
	 * It has a health check and is not healthy (starting or unhealthy): the DNS server leaves it out of a
	 * name that healthy containers share (network/dns.c). Set at the lease's making, kept by its supervisor.
	 */
	bool unready;
};

/* network/store.c: whether any network was ever made in this state root (no: nothing to release). */
bool cv_network_store_exists(void);
/* network/store.c: everything below wants the lock held. */
int cv_network_lock(void);     /* returns the lock's descriptor */
int cv_network_lock_try(void); /* -1 with EWOULDBLOCK when another process holds it */
/* <root>/networks/<name>/<leaf> ("" for the network's directory). */
int cv_network_path(const char *name, const char *leaf, char *buffer, size_t size);
void cv_network_unlock(int fd);
int cv_network_load(const char *name, struct cv_network *network);
/* Loads a network; the default one is created on first use. */
int cv_network_load_or_default(const char *name, struct cv_network *network);
/* Records a new network (EEXIST when the name is taken) / deletes one's files. */
int cv_network_save_new(const struct cv_network *network);
int cv_network_delete_files(const char *name);
int cv_network_leases(const struct cv_network *network, struct cv_lease **leases, size_t *count);
/*
 * For a walk over the networks (cv_network_names): the named network and its leases; false (the
 * error cleared) when it was removed meanwhile or cannot be read, nothing of it to look at then.
 */
bool cv_network_load_with_leases(const char *name, struct cv_network *network, struct cv_lease **leases, size_t *count);
void cv_leases_free(struct cv_lease *leases, size_t count);
/* Picks a free address (or checks requested), records the lease with its owner; ENOSPC when full. */
int cv_lease_allocate(const struct cv_network *network, uint32_t requested, struct cv_lease *lease);
int cv_lease_save(const struct cv_network *network, const struct cv_lease *lease);
int cv_lease_remove(const struct cv_network *network, uint32_t address);
/*
 * The container's (id) live leases on every network say ready or not (cv_lease.unready); only the ones
 * that change are written (a write makes the DNS servers read their names again). Takes the lock.
 */
int cv_network_set_ready(const char *container, bool ready);
/* Releases stale leases in every network (and what they hold). */
void cv_network_reconcile_locked(void);
/* Calls callback for each network name. */
int cv_network_names(int (*callback)(const char *name, void *user), void *user);

/* The per-container part of the options (network/config.c; set by config/network-options.c). */
struct cv_network_config {
	enum containerv_network_mode mode;
	char *network; /* NULL: the default one */
	char *ip;      /* requested address */
	char **dns;
	char **extra_hosts; /* "name:ip" */
	struct cv_port *ports;
	size_t port_count;
	char **exposed; /* "80/tcp" */
	bool publish_all;
	char **connected;  /* networks joined with containerv_network_connect(): "NAME" or "NAME=IP" */
	char **aliases;    /* "NETWORK:ALIAS": names the network's DNS server gives the container */
	char **links;      /* "TARGET:ALIAS" (--link): aliases of other containers, seen by this one */
	char *mac_address; /* --mac-address on the first network (NULL: derived from the address) */
	/* The static veth pair (CV_NETWORK_STATIC). */
	char *static_container_ip;
	int static_prefix;
	char *static_host_ip;
	char *static_gateway;
};

void cv_network_config_clear(struct cv_network_config *config);
/* "92:d0:c6:0a:29:33" into six bytes: -1 when malformed, multicast or all zero. */
int cv_mac_parse(const char *text, uint8_t mac[6]);
/* A DNS name a container can be given (an alias): letters, digits, '-', '_' and '.' labels, at most 128 bytes. */
bool cv_network_alias_valid(const char *alias);
/* The lease's names and links on network (its name, aliases, links); replaces what lease had. */
int cv_lease_set_names(struct cv_lease *lease, const struct cv_network_config *config, const char *network,
                       const char *container_name, bool primary);
struct json_t *cv_network_config_to_json(const struct cv_network_config *config);
int cv_network_config_from_json(struct json_t *object, struct cv_network_config *config);
/* own_namespace: the container has a network namespace (bridge and static need one). */
int cv_network_config_validate(const struct cv_network_config *config, bool own_namespace);

/* Fills an endpoint from a lease (strings duplicated; -1 on ENOMEM, free with containerv_network_endpoints_free). */
int cv_network_endpoint_from_lease(const char *network, const struct cv_lease *lease,
                                   struct containerv_network_endpoint *endpoint);

/*
 * network/etc-files.c: the texts of hosts and resolv.conf (free both); address 0 when the container has none;
 * dns_server: the network's DNS server (0: none, the host's resolvers are named).
 */
int cv_network_etc_texts(const struct cv_network_config *config, const char *hostname, const char *name,
                         uint32_t address, uint32_t dns_server, char **hosts, char **resolv_conf);

/* Implemented by the platform. */
/*
 * Releases what a lease names (the container's rules, its veth); the lease
 * file is the caller's. A dead container's veth goes with its namespace
 * (the kernel's asynchronous cleanup, which an explicit delete would wait
 * for), so it is deleted here only while the container runs (disconnect) or
 * when both ends are on the host (a start that died half-way).
 */
void cv_network_platform_release(const struct cv_network *network, const struct cv_lease *lease,
                                 bool container_running);
/* The network's last lease is gone (lock held): what serves its containers (its DNS server) stops. */
void cv_network_platform_unused(const struct cv_network *network);
/* Takes the network's bridge and rules off the host (network rm; none of its leases left). */
int cv_network_platform_teardown(const struct cv_network *network);
/*
 * 1 with "route R" or "address A on IF" in text when a route of the host's main table (not the
 * default one) or an IPv4 address of the host overlaps subnet, 0 when none, -1 on error. The
 * routes and addresses of own_bridge (NULL: none) are the network's own and do not count.
 * Another state root's bridges carry their gateways with their subnets' prefixes, so their
 * subnets count even while down.
 */
int cv_network_platform_host_overlap(const struct cv_subnet *subnet, const char *own_bridge, char *text, size_t size);
/* Whether a link of this name exists with ports: another network's bridge, in use. */
bool cv_network_platform_bridge_in_use(const char *bridge);

#endif
