/*
 * The network commands of the public API: create, inspect, list, remove,
 * prune. Each runs under the networks' lock, after releasing what crashed
 * processes left (stale leases), so its view is current.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
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

/* 0 when subnet is free of other networks, host routes and addresses; -1 with EADDRINUSE (quiet: only sets errno). */
static int subnet_is_free(const struct cv_subnet *subnet, const char *name, const char *bridge, bool report)
{
	struct overlap_check check = {subnet, name, "", ""};
	char text[20], what[96];
	int overlap;

	cv_subnet_format(subnet, text);
	if (cv_network_names(check_overlap, &check) == 1)
		return report ? cv_error_errno(EADDRINUSE, "subnet %s overlaps network %s (%s)", text, check.other,
		                               check.other_subnet)
		              : (errno = EADDRINUSE, -1);
	overlap = cv_network_platform_host_overlap(subnet, bridge, what, sizeof what);
	if (overlap < 0)
		return -1;
	if (overlap > 0)
		return report ? cv_error_errno(EADDRINUSE, "subnet %s overlaps the host's %s", text, what)
		              : (errno = EADDRINUSE, -1);
	return 0;
}

/* Whether this state root is the default one (/var/lib/containerv, by its real path). */
static bool root_is_default(const char *real_root)
{
	char real_default[PATH_MAX];

	return realpath(CV_DEFAULT_ROOT, real_default) != NULL && strcmp(real_root, real_default) == 0;
}

/*
 * The default network's bridge and subnet, chosen once when the network is
 * made (network.json keeps them, so they stay across restarts; nothing of
 * this runs on a container's start). Two state roots on one host must never
 * share them: one's `network rm bridge` would take the other's containers
 * off the network, and each would refuse the other's bridge. So the default
 * root keeps containerv0 while no other network's containers are on such a
 * bridge, and 10.88.0.0/16 while nothing of the host overlaps it; any other
 * root gets cvbr-<hash of its real path> and the first /16 of the pool that
 * overlaps no network of its own, no route and no address of the host
 * (another root's bridge carries its subnet as its gateway's prefix).
 * requested: $CONTAINERV_BRIDGE_SUBNET or `network create --subnet` (NULL: none), refused
 * when it overlaps.
 */
static int choose_default(struct cv_network *network, const char *requested)
{
	char real_root[PATH_MAX];
	bool default_root;

	if (realpath(containerv_root(), real_root) == NULL)
		return cv_error_sys("state root %s", containerv_root());
	default_root = root_is_default(real_root);
	if (default_root && !cv_network_platform_bridge_in_use(CV_DEFAULT_BRIDGE))
		snprintf(network->bridge, sizeof network->bridge, "%s", CV_DEFAULT_BRIDGE);
	else if (cv_network_root_bridge_name(real_root, network->bridge) < 0)
		return -1;
	if (requested != NULL)
		return cv_subnet_parse(requested, &network->subnet) < 0 ||
		                       subnet_is_free(&network->subnet, network->name, network->bridge, true) < 0
		               ? -1
		               : 0;
	if (default_root) {
		if (cv_subnet_parse(CV_DEFAULT_SUBNET, &network->subnet) < 0)
			return -1;
		if (subnet_is_free(&network->subnet, network->name, network->bridge, false) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	for (uint32_t n = CV_DEFAULT_POOL_FIRST; n <= CV_DEFAULT_POOL_LAST; n++) {
		network->subnet.address = (10u << 24) | (n << 16);
		network->subnet.prefix = 16;
		if (subnet_is_free(&network->subnet, network->name, network->bridge, false) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return cv_error_errno(EADDRINUSE,
	                      "no free subnet left in 10.%d.0.0-10.%d.255.255: set CONTAINERV_BRIDGE_SUBNET, or "
	                      "network create --subnet CIDR %s",
	                      CV_DEFAULT_POOL_FIRST, CV_DEFAULT_POOL_LAST, CONTAINERV_NETWORK_DEFAULT);
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

/* The id, and the bridge of a network other than the default one: cvbr-<10 hex of the id>. */
static int new_network(const char *name, struct cv_network *network)
{
	memset(network, 0, sizeof *network);
	if (!cv_name_is_valid(name, CV_NETWORK_NAME_MAX))
		return cv_error_errno(
		        EINVAL, "invalid network name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
		        name, CV_NETWORK_NAME_MAX);
	if (strcmp(name, "host") == 0 || strcmp(name, "none") == 0)
		return cv_error_errno(EINVAL, "network name \"%s\" is reserved", name);
	if (cv_network_load(name, network) == 0)
		return cv_error_errno(EEXIST, "network with name %s already exists", name);
	cv_error_clear();
	memset(network, 0, sizeof *network);
	snprintf(network->name, sizeof network->name, "%s", name);
	if (new_id(network->id) < 0)
		return -1;
	snprintf(network->bridge, sizeof network->bridge, "cvbr-%.10s", network->id);
	return 0;
}

/* A user's subnet (refused when it overlaps), else the first free 10.89.N.0/24. */
static int choose_subnet(struct cv_network *network, const char *subnet_text)
{
	if (subnet_text != NULL)
		return cv_subnet_parse(subnet_text, &network->subnet) < 0 ||
		                       subnet_is_free(&network->subnet, network->name, network->bridge, true) < 0
		               ? -1
		               : 0;
	for (uint32_t n = 0; n < 256; n++) {
		network->subnet.address = (10u << 24) | (89u << 16) | (n << 8);
		network->subnet.prefix = 24;
		if (subnet_is_free(&network->subnet, network->name, network->bridge, false) == 0)
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return cv_error_errno(EADDRINUSE, "no free subnet left in 10.89.0.0/16: give one with --subnet");
}

static int choose_gateway(struct cv_network *network, const char *gateway_text)
{
	uint32_t size = 1u << (32 - network->subnet.prefix);
	char text[20];

	if (gateway_text == NULL) {
		network->gateway = network->subnet.address + 1;
		return 0;
	}
	cv_subnet_format(&network->subnet, text);
	if (cv_address_parse(gateway_text, &network->gateway) < 0)
		return cv_error_prefix("gateway");
	if (!cv_subnet_contains(&network->subnet, network->gateway) || network->gateway == network->subnet.address ||
	    network->gateway == network->subnet.address + size - 1)
		return cv_error_errno(EINVAL, "gateway %s is not a host address of subnet %s", gateway_text, text);
	return 0;
}

void cv_network_journal(const char *action, const struct cv_network *network, const char *container)
{
	char name[CV_NETWORK_NAME_MAX + 8], who[80];
	const char *attributes[] = {name, "type=bridge", container != NULL ? who : NULL, NULL};

	snprintf(name, sizeof name, "name=%s", network->name);
	snprintf(who, sizeof who, "container=%s", container != NULL ? container : "");
	cv_journal_note("network", action, network->id, attributes);
}

/*
 * network create: the user's subnet and gateway, or the defaults. A
 * `network create bridge` with a subnet keeps the default network's bridge
 * name rules (its own per state root).
 */
static int create_locked(const char *name, const char *subnet_text, const char *gateway_text)
{
	struct cv_network network;
	int ret;

	if (new_network(name, &network) < 0)
		return -1;
	if (strcmp(name, CONTAINERV_NETWORK_DEFAULT) == 0)
		ret = choose_default(&network, subnet_text);
	else
		ret = choose_subnet(&network, subnet_text);
	if (ret < 0 || choose_gateway(&network, gateway_text) < 0)
		return -1;
	network.created_ns = cv_now_ns();
	if (cv_network_save_new(&network) < 0)
		return -1;
	cv_network_journal("create", &network, NULL);
	return 0;
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
	if (create_locked(name, subnet != NULL && subnet[0] != '\0' ? subnet : NULL, NULL) < 0)
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
	if (cv_network_platform_teardown(&network) < 0 || cv_network_delete_files(name) < 0)
		return -1;
	cv_network_journal("destroy", &network, NULL);
	return 0;
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
