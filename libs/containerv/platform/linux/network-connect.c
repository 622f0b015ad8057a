/*
 * A running container and its networks: connect (another interface, ethN),
 * disconnect, and the list of its endpoints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/container-private.h"
#include "platform/linux/netlink-route.h"
#include "platform/linux/network-private.h"

struct endpoint_walk {
	const char *container;
	struct containerv_network_endpoint *endpoints;
	size_t count;
	char **networks; /* parallel: the network of each endpoint */
	int failed;
};

static int collect_endpoints(const char *name, void *user)
{
	struct endpoint_walk *walk = user;
	struct cv_network network;
	struct cv_lease *leases = NULL;
	size_t count = 0;

	if (cv_network_load(name, &network) < 0 || cv_network_leases(&network, &leases, &count) < 0) {
		cv_error_clear();
		return 0;
	}
	for (size_t i = 0; i < count && !walk->failed; i++) {
		struct containerv_network_endpoint *grown;
		if (strcmp(leases[i].container, walk->container) != 0)
			continue;
		grown = realloc(walk->endpoints, (walk->count + 1) * sizeof *grown);
		if (grown == NULL || cv_strv_append(&walk->networks, name) < 0) {
			if (grown != NULL)
				walk->endpoints = grown;
			walk->failed = 1;
			break;
		}
		walk->endpoints = grown;
		if (cv_network_endpoint_from_lease(name, &leases[i], &grown[walk->count++]) < 0)
			walk->failed = 1;
	}
	cv_leases_free(leases, count);
	return 0;
}

int containerv_network_endpoints(struct containerv_container *container, struct containerv_network_endpoint **endpoints,
                                 size_t *count)
{
	struct endpoint_walk walk = {0};
	int lock;

	cv_error_clear();
	if (container == NULL || endpoints == NULL || count == NULL)
		return cv_error_errno(EINVAL, "network endpoints: missing argument");
	CV_CONTEXT_SCOPE(container->context);
	walk.container = container->id;
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	cv_network_names(collect_endpoints, &walk);
	cv_network_unlock(lock);
	cv_strv_free(walk.networks);
	if (walk.failed) {
		containerv_network_endpoints_free(walk.endpoints, walk.count);
		return cv_error_errno(ENOMEM, "out of memory");
	}
	*endpoints = walk.endpoints;
	*count = walk.count;
	return 0;
}

/* Under the lock: which ethN numbers the container uses, and is it on network already. */
static int container_interfaces(const char *container_id, const char *network, int *next, bool *attached)
{
	struct endpoint_walk walk = {0};
	bool taken[100] = {false};

	walk.container = container_id;
	cv_network_names(collect_endpoints, &walk);
	*attached = false;
	for (size_t i = 0; i < walk.count; i++) {
		int number;
		if (sscanf(walk.endpoints[i].interface ? walk.endpoints[i].interface : "", "eth%d", &number) == 1 &&
		    number >= 0 && number < 100)
			taken[number] = true;
		if (strcmp(walk.networks[i], network) == 0)
			*attached = true;
	}
	containerv_network_endpoints_free(walk.endpoints, walk.count);
	cv_strv_free(walk.networks);
	/* eth0 stays the primary's, even when the container runs without a bridge network. */
	for (*next = 1; *next < 100 && taken[*next]; (*next)++)
		;
	return *next < 100 ? 0 : cv_error_errno(ENOSPC, "too many interfaces");
}

/* config.json again, with the connected networks changed (the container's lock held). */
static int save_config(struct containerv_container *c)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *json = NULL;

	if (dirfd < 0)
		return cv_error_sys("open %s", c->dir);
	if (cv_options_to_json(&c->config, &json) < 0)
		return -1;
	return cv_write_file_atomic_at(dirfd, "config.json", json, strlen(json), 0600);
}

/* The index of network in the connected list, or -1. */
static ssize_t find_connected(const struct cv_network_config *config, const char *network)
{
	size_t length = strlen(network);

	for (size_t i = 0; config->connected != NULL && config->connected[i] != NULL; i++)
		if (strncmp(config->connected[i], network, length) == 0 &&
		    (config->connected[i][length] == '\0' || config->connected[i][length] == '='))
			return (ssize_t)i;
	return -1;
}

static int remember(struct containerv_container *c, const char *network, const char *ip)
{
	cleanup_free char *entry = NULL;

	if (cv_asprintf(&entry, "%s%s%s", network, ip ? "=" : "", ip ? ip : "") < 0 ||
	    cv_strv_append(&c->config.network.connected, entry) < 0)
		return -1;
	return save_config(c);
}

static int forget(struct containerv_container *c, ssize_t index)
{
	char **connected = c->config.network.connected;

	free(connected[index]);
	memmove(&connected[index], &connected[index + 1],
	        (cv_strv_length(connected) - (size_t)index) * sizeof *connected);
	return save_config(c);
}

/*
 * A host link of the veth's name is what a connect of this container (the name holds its id and the
 * interface's number) left when it was killed between the pair's creation and the lease's hand-over:
 * the lease was stale and released, but the pair, its other end in the running container, stayed.
 * Deleting our end deletes the pair.
 */
static int remove_leftover_veth(const char *veth)
{
	struct cv_netlink host;
	int ret = 0;

	if (cv_netlink_open(&host) < 0)
		return -1;
	if (cv_netlink_link_exists(&host, veth))
		ret = cv_netlink_link_delete(&host, veth);
	cv_netlink_close(&host);
	return ret;
}

/* Attaches the running container now: a lease, a veth (ethN), its address. */
static int connect_running(struct containerv_container *c, const char *network, const char *ip)
{
	struct cv_network_plan plan;
	int lock, number, ret;
	bool attached;

	memset(&plan, 0, sizeof plan);
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	ret = container_interfaces(c->id, network, &number, &attached);
	if (ret == 0 && attached)
		ret = cv_error_errno(EEXIST, "container %s is already connected to network %s", containerv_name(c),
		                     network);
	if (ret == 0)
		ret = cv_network_lease_locked(c, network, ip, number, false, &plan);
	cv_network_unlock(lock);
	/* Again (a container started by an older version): its ethN must be born without IPv6 too. */
	if (ret == 0 && (cv_network_namespace_defaults(c->state.pid) < 0 || remove_leftover_veth(plan.lease.veth) < 0 ||
	                 cv_network_plug(&plan.network, &plan.lease, c->state.pid, false, NULL) < 0 ||
	                 cv_network_hand_lease(&plan.network, &plan.lease, c->state.pid) < 0))
		ret = -1;
	if (ret < 0 && plan.leased) {
		struct cv_error_saved saved;
		cv_error_save(&saved);
		lock = cv_network_lock();
		cv_network_platform_release(&plan.network, &plan.lease, true);
		cv_lease_remove(&plan.network, plan.lease.address);
		cv_network_unlock(lock);
		cv_error_restore(&saved);
	}
	cv_network_plan_free(&plan);
	return ret;
}

/* A stopped container: the network must exist; it is joined at the next start. */
static int check_network_exists(const char *network)
{
	struct cv_network loaded;
	int lock = cv_network_lock();
	int ret;

	if (lock < 0)
		return -1;
	ret = cv_network_load_or_default(network, &loaded);
	cv_network_unlock(lock);
	return ret;
}

/* Drops the entries "NETWORK:..." of the container's aliases from index first on. */
static void drop_aliases(struct cv_network_config *config, const char *network, size_t first)
{
	size_t length = strlen(network), kept = first;

	for (size_t i = first; config->aliases != NULL && config->aliases[i] != NULL; i++) {
		if (strncmp(config->aliases[i], network, length) == 0 && config->aliases[i][length] == ':')
			free(config->aliases[i]);
		else
			config->aliases[kept++] = config->aliases[i];
	}
	if (config->aliases != NULL)
		config->aliases[kept] = NULL;
}

/* The aliases on network join the container's ("NETWORK:ALIAS"), so its lease there carries them. */
static int add_aliases(struct cv_network_config *config, const char *network, const char *const *aliases)
{
	size_t before = cv_strv_length(config->aliases);

	for (size_t i = 0; aliases != NULL && aliases[i] != NULL; i++) {
		cleanup_free char *entry = NULL;
		if (!cv_network_alias_valid(aliases[i]) || strcmp(network, CONTAINERV_NETWORK_DEFAULT) == 0) {
			drop_aliases(config, network, before);
			return cv_error_errno(EINVAL,
			                      strcmp(network, CONTAINERV_NETWORK_DEFAULT) == 0
			                              ? "network-scoped aliases are supported only for user-defined "
			                                "networks (alias \"%s\")"
			                              : "invalid alias \"%s\": expected a host name",
			                      aliases[i]);
		}
		if (cv_asprintf(&entry, "%s:%s", network, aliases[i]) < 0 ||
		    cv_strv_append(&config->aliases, entry) < 0) {
			drop_aliases(config, network, before);
			return -1;
		}
	}
	return 0;
}

int containerv_network_connect(struct containerv_container *c, const char *network, const char *ip)
{
	return containerv_network_connect_with_aliases(c, network, ip, NULL);
}

int containerv_network_connect_with_aliases(struct containerv_container *c, const char *network, const char *ip,
                                            const char *const *aliases)
{
	const struct cv_network_config *config;
	const char *primary;
	uint32_t address;
	size_t aliases_before;
	int ret;

	cv_error_clear();
	if (c == NULL || network == NULL)
		return cv_error_errno(EINVAL, "network connect: missing argument");
	CV_CONTEXT_SCOPE(c->context);
	if (!cv_name_is_valid(network, CV_NETWORK_NAME_MAX) || (ip != NULL && cv_address_parse(ip, &address) < 0))
		return cv_error_prefix("network connect");
	if (cv_state_lock(c) < 0)
		return cv_error_prefix("network connect");
	cv_state_refresh(c);
	config = &c->config.network;
	primary = config->mode == CV_NETWORK_BRIDGE ? (config->network ? config->network : CONTAINERV_NETWORK_DEFAULT)
	                                            : NULL;
	if (!(c->config.namespaces & CV_NS_NET) || config->mode == CV_NETWORK_HOST || config->mode == CV_NETWORK_STATIC)
		ret = cv_error_errno(EINVAL, "container %s has no bridge-capable network namespace of its own",
		                     containerv_name(c));
	else if ((primary != NULL && strcmp(primary, network) == 0) || find_connected(config, network) >= 0)
		ret = cv_error_errno(EEXIST, "container %s is already connected to network %s", containerv_name(c),
		                     network);
	else
		ret = 0;
	aliases_before = cv_strv_length(c->config.network.aliases);
	if (ret == 0)
		ret = add_aliases(&c->config.network, network, aliases);
	if (ret == 0 && cv_state_has_init(c)) /* held too: its network is attached */
		ret = connect_running(c, network, ip);
	else if (ret == 0)
		ret = check_network_exists(network);
	/* Joined again at each start, as docker's. */
	if (ret == 0)
		ret = remember(c, network, ip);
	if (ret < 0)
		drop_aliases(&c->config.network, network, aliases_before);
	cv_state_unlock(c);
	return ret < 0 ? cv_error_prefix("network connect %s", network) : 0;
}

int containerv_network_disconnect(struct containerv_container *c, const char *network)
{
	ssize_t index;
	int lock, released, ret = 0;

	cv_error_clear();
	if (c == NULL || network == NULL)
		return cv_error_errno(EINVAL, "network disconnect: missing argument");
	CV_CONTEXT_SCOPE(c->context);
	if (cv_state_lock(c) < 0)
		return cv_error_prefix("network disconnect");
	lock = cv_network_lock();
	if (lock < 0) {
		cv_state_unlock(c);
		return -1;
	}
	released = cv_network_release_locked(c->id, network, true);
	cv_network_unlock(lock);
	index = find_connected(&c->config.network, network);
	/* Its aliases there go too, as docker's; a later connect gives new ones. */
	drop_aliases(&c->config.network, network, 0);
	if (index >= 0)
		ret = forget(c, index);
	cv_state_unlock(c);
	if (released == 0 && index < 0)
		return cv_error_errno(ENOENT, "network disconnect %s: container %s is not connected to it", network,
		                      containerv_name(c));
	return ret;
}
