/*
 * The network commands of the public API: create, inspect, list, remove,
 * prune. Each runs under the networks' lock, after releasing what crashed
 * processes left (stale leases), so its view is current.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/error.h"
#include "common/util.h"
#include "network/network-internal.h"

struct overlap_check {
	const struct cv_subnet *subnet;
	const char *self;
	char other[CV_NETWORK_NAME_MAX + 1];
	char other_subnet[20];
};

static int check_overlap(const char *name, void *user)
{
	struct overlap_check *check = user;
	struct cv_network network;

	if (strcmp(name, check->self) == 0 || cv_network_load(name, &network) < 0) {
		cv_error_clear();
		return 0;
	}
	if (!cv_subnets_overlap(&network.subnet, check->subnet))
		return 0;
	snprintf(check->other, sizeof check->other, "%s", name);
	cv_subnet_format(&network.subnet, check->other_subnet);
	return 1;
}

/* 0 when subnet is free of other networks and host routes; -1 with EADDRINUSE (quiet: only sets errno). */
static int subnet_is_free(const struct cv_subnet *subnet, const char *name, const char *bridge, bool report)
{
	struct overlap_check check = {subnet, name, "", ""};
	char text[20], route[64];
	int overlap;

	cv_subnet_format(subnet, text);
	if (cv_network_names(check_overlap, &check) == 1)
		return report ? cv_error_errno(EADDRINUSE, "subnet %s overlaps network %s (%s)", text, check.other,
		                               check.other_subnet)
		              : -1;
	overlap = cv_network_platform_route_overlap(subnet, bridge, route, sizeof route);
	if (overlap < 0)
		return -1;
	if (overlap > 0)
		return report ? cv_error_errno(EADDRINUSE, "subnet %s overlaps the host's route %s", text, route) : -1;
	return 0;
}

static int new_id(char id[65])
{
	unsigned char random[32];

	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		return cv_error_sys("getrandom");
	for (size_t i = 0; i < sizeof random; i++)
		snprintf(id + 2 * i, 3, "%02x", random[i]);
	return 0;
}

static int create_locked(const char *name, const char *subnet_text, const char *gateway_text)
{
	struct cv_network network;
	char text[20];

	memset(&network, 0, sizeof network);
	if (!cv_name_is_valid(name, CV_NETWORK_NAME_MAX))
		return cv_error_errno(
		        EINVAL, "invalid network name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
		        name, CV_NETWORK_NAME_MAX);
	if (strcmp(name, "host") == 0 || strcmp(name, "none") == 0)
		return cv_error_errno(EINVAL, "network name \"%s\" is reserved", name);
	if (cv_network_load(name, &network) == 0)
		return cv_error_errno(EEXIST, "network with name %s already exists", name);
	cv_error_clear();
	snprintf(network.name, sizeof network.name, "%s", name);
	if (new_id(network.id) < 0)
		return -1;
	if (strcmp(name, CONTAINERV_NETWORK_DEFAULT) == 0)
		snprintf(network.bridge, sizeof network.bridge, "%s", CV_DEFAULT_BRIDGE);
	else
		snprintf(network.bridge, sizeof network.bridge, "cvbr-%.10s", network.id);
	if (subnet_text != NULL) {
		if (cv_subnet_parse(subnet_text, &network.subnet) < 0 ||
		    subnet_is_free(&network.subnet, name, network.bridge, true) < 0)
			return -1;
	} else {
		/* The first free 10.89.N.0/24. */
		bool found = false;
		for (uint32_t n = 0; n < 256 && !found; n++) {
			network.subnet.address = (10u << 24) | (89u << 16) | (n << 8);
			network.subnet.prefix = 24;
			found = subnet_is_free(&network.subnet, name, network.bridge, false) == 0;
		}
		if (!found)
			return cv_error_errno(EADDRINUSE,
			                      "no free subnet left in 10.89.0.0/16: give one with --subnet");
	}
	cv_subnet_format(&network.subnet, text);
	if (gateway_text != NULL) {
		uint32_t size = 1u << (32 - network.subnet.prefix);
		if (cv_address_parse(gateway_text, &network.gateway) < 0)
			return cv_error_prefix("gateway");
		if (!cv_subnet_contains(&network.subnet, network.gateway) ||
		    network.gateway == network.subnet.address || network.gateway == network.subnet.address + size - 1)
			return cv_error_errno(EINVAL, "gateway %s is not a host address of subnet %s", gateway_text,
			                      text);
	} else {
		network.gateway = network.subnet.address + 1;
	}
	network.created_ns = cv_now_ns();
	return cv_network_save_new(&network);
}

int containerv_network_create(const char *name, const struct containerv_network_options *options)
{
	int lock, ret;

	cv_error_clear();
	if (name == NULL)
		return cv_error_errno(EINVAL, "network create: no name");
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	ret = create_locked(name, options ? options->subnet : NULL, options ? options->gateway : NULL);
	cv_network_unlock(lock);
	return ret < 0 ? cv_error_prefix("network create %s", name) : 0;
}

int cv_network_load_or_default(const char *name, struct cv_network *network)
{
	const char *subnet;

	if (cv_network_load(name, network) == 0)
		return 0;
	if (errno != ENOENT || strcmp(name, CONTAINERV_NETWORK_DEFAULT) != 0)
		return -1;
	cv_error_clear();
	subnet = getenv("CONTAINERV_BRIDGE_SUBNET");
	if (create_locked(name, subnet != NULL && subnet[0] != '\0' ? subnet : CV_DEFAULT_SUBNET, NULL) < 0)
		return cv_error_prefix("the default network");
	return cv_network_load(name, network);
}

static char *dup_address(uint32_t address)
{
	char text[16];

	cv_address_format(address, text);
	return cv_strdup(text);
}

static int fill_info(const struct cv_network *network, struct containerv_network_info *info)
{
	struct cv_lease *leases = NULL;
	size_t count = 0;
	char subnet[20];

	cv_subnet_format(&network->subnet, subnet);
	info->name = cv_strdup(network->name);
	info->id = cv_strdup(network->id);
	info->subnet = cv_strdup(subnet);
	info->gateway = dup_address(network->gateway);
	info->bridge = cv_strdup(network->bridge);
	info->created_ns = network->created_ns;
	info->is_default = strcmp(network->name, CONTAINERV_NETWORK_DEFAULT) == 0;
	if (info->name == NULL || info->id == NULL || info->subnet == NULL || info->gateway == NULL ||
	    info->bridge == NULL || cv_network_leases(network, &leases, &count) < 0)
		return -1;
	if (count > 0) {
		info->endpoints = cv_malloc0(count * sizeof *info->endpoints);
		if (info->endpoints == NULL) {
			cv_leases_free(leases, count);
			return -1;
		}
	}
	for (size_t i = 0; i < count; i++) {
		if (cv_network_endpoint_from_lease(network->name, &leases[i],
		                                   &info->endpoints[info->endpoint_count++]) < 0) {
			cv_leases_free(leases, count);
			return -1;
		}
	}
	cv_leases_free(leases, count);
	return 0;
}

int cv_network_endpoint_from_lease(const char *network, const struct cv_lease *lease,
                                   struct containerv_network_endpoint *e)
{
	memset(e, 0, sizeof *e);
	e->network = cv_strdup(network);
	e->container = cv_strdup(lease->container);
	e->address = dup_address(lease->address);
	e->interface = cv_strdup(lease->interface);
	e->veth = cv_strdup(lease->veth);
	if (lease->port_count > 0 && (e->ports = cv_malloc0(lease->port_count * sizeof *e->ports)) == NULL)
		return -1;
	for (size_t i = 0; i < lease->port_count; i++) {
		const struct cv_port *p = &lease->ports[i];
		cv_address_format(p->host_address, e->ports[i].host_address);
		e->ports[i].host_port = p->host_port;
		e->ports[i].container_port = p->container_port;
		snprintf(e->ports[i].protocol, sizeof e->ports[i].protocol, "%s",
		         p->protocol == CV_PROTOCOL_UDP ? "udp" : "tcp");
	}
	e->port_count = lease->port_count;
	return e->network && e->container && e->address && e->interface && e->veth ? 0 : -1;
}

void containerv_network_endpoints_free(struct containerv_network_endpoint *endpoints, size_t count)
{
	for (size_t i = 0; endpoints != NULL && i < count; i++) {
		free(endpoints[i].network);
		free(endpoints[i].container);
		free(endpoints[i].address);
		free(endpoints[i].interface);
		free(endpoints[i].veth);
		free(endpoints[i].ports);
	}
	free(endpoints);
}

void containerv_network_info_clear(struct containerv_network_info *info)
{
	unsigned int version;

	if (info == NULL)
		return;
	version = info->version;
	free(info->name);
	free(info->id);
	free(info->subnet);
	free(info->gateway);
	free(info->bridge);
	containerv_network_endpoints_free(info->endpoints, info->endpoint_count);
	memset(info, 0, sizeof *info);
	info->version = version;
}

int containerv_network_inspect(const char *name, struct containerv_network_info *info)
{
	struct cv_network network;
	int lock, ret;

	cv_error_clear();
	if (name == NULL || info == NULL)
		return cv_error_errno(EINVAL, "network inspect: missing argument");
	unsigned int version = info->version;
	memset(info, 0, sizeof *info);
	info->version = version;
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	ret = cv_network_load(name, &network) < 0 ? -1 : fill_info(&network, info);
	cv_network_unlock(lock);
	if (ret < 0) {
		int saved = errno;
		containerv_network_info_clear(info);
		errno = saved;
	}
	return ret;
}

struct list_walk {
	int (*callback)(const struct containerv_network_info *info, void *user);
	void *user;
	struct containerv_network_info *infos;
	size_t count;
};

static int collect(const char *name, void *user)
{
	struct list_walk *walk = user;
	struct cv_network network;
	struct containerv_network_info *grown;

	if (cv_network_load(name, &network) < 0) {
		cv_error_clear();
		return 0;
	}
	grown = realloc(walk->infos, (walk->count + 1) * sizeof *grown);
	if (grown == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	walk->infos = grown;
	memset(&walk->infos[walk->count], 0, sizeof *grown);
	walk->infos[walk->count].version = CONTAINERV_NETWORK_INFO_VERSION;
	if (fill_info(&network, &walk->infos[walk->count++]) < 0)
		return -1;
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	const struct containerv_network_info *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int containerv_network_list(int (*callback)(const struct containerv_network_info *info, void *user), void *user)
{
	struct list_walk walk = {callback, user, NULL, 0};
	int lock, ret;

	cv_error_clear();
	if (callback == NULL)
		return cv_error_errno(EINVAL, "network list: no callback");
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	ret = cv_network_names(collect, &walk);
	cv_network_unlock(lock);
	/* The callbacks run outside the lock: they may call the library again. */
	if (walk.count > 1)
		qsort(walk.infos, walk.count, sizeof *walk.infos, compare_names);
	for (size_t i = 0; ret == 0 && i < walk.count; i++)
		ret = callback(&walk.infos[i], user);
	for (size_t i = 0; i < walk.count; i++)
		containerv_network_info_clear(&walk.infos[i]);
	free(walk.infos);
	return ret;
}

static int remove_locked(const char *name)
{
	struct cv_network network;
	struct cv_lease *leases = NULL;
	size_t count = 0;

	if (cv_network_load(name, &network) < 0 || cv_network_leases(&network, &leases, &count) < 0)
		return -1;
	if (count > 0) {
		char who[16];
		snprintf(who, sizeof who, "%.12s", leases[0].container);
		cv_leases_free(leases, count);
		return cv_error_errno(EBUSY, "network %s is in use by container %s", name, who[0] ? who : "(unknown)");
	}
	if (cv_network_platform_teardown(&network) < 0)
		return -1;
	return cv_network_delete_files(name);
}

int containerv_network_remove(const char *name)
{
	int lock, ret;

	cv_error_clear();
	if (name == NULL)
		return cv_error_errno(EINVAL, "network rm: no name");
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	ret = remove_locked(name);
	cv_network_unlock(lock);
	return ret < 0 ? cv_error_prefix("network rm %s", name) : 0;
}

struct prune_walk {
	void (*callback)(const char *name, void *user);
	void *user;
};

static int prune_one(const char *name, void *user)
{
	struct prune_walk *walk = user;

	if (strcmp(name, CONTAINERV_NETWORK_DEFAULT) == 0)
		return 0;
	if (remove_locked(name) == 0 && walk->callback != NULL)
		walk->callback(name, walk->user);
	cv_error_clear();
	return 0;
}

int containerv_network_prune(void (*callback)(const char *name, void *user), void *user)
{
	struct prune_walk walk = {callback, user};
	int lock, ret;

	cv_error_clear();
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	cv_network_reconcile_locked();
	ret = cv_network_names(prune_one, &walk);
	cv_network_unlock(lock);
	return ret;
}
