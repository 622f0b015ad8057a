/*
 * A running container and its networks: connect (another interface, ethN),
 * disconnect, and the list of its endpoints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "linux/container-private.h"
#include "linux/network-private.h"

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

int containerv_network_connect(struct containerv_container *c, const char *network, const char *ip)
{
	struct cv_network_plan plan;
	int lock, number, ret;
	bool attached;

	cv_error_clear();
	if (c == NULL || network == NULL)
		return cv_error_errno(EINVAL, "network connect: missing argument");
	if (cv_state_lock(c) < 0)
		return cv_error_prefix("network connect");
	cv_state_refresh(c);
	if (c->state.status != CV_STATE_RUNNING || !(c->config.namespaces & CV_NS_NET) ||
	    c->config.network.mode == CV_NETWORK_HOST) {
		cv_state_unlock(c);
		return cv_error_errno(c->state.status != CV_STATE_RUNNING ? ESRCH : EINVAL,
		                      "network connect %s: container %s %s", network, containerv_name(c),
		                      c->state.status != CV_STATE_RUNNING ? "is not running"
		                                                          : "has no network namespace of its own");
	}
	memset(&plan, 0, sizeof plan);
	lock = cv_network_lock();
	if (lock < 0) {
		cv_state_unlock(c);
		return -1;
	}
	cv_network_reconcile_locked();
	ret = container_interfaces(c->id, network, &number, &attached);
	if (ret == 0 && attached)
		ret = cv_error_errno(EEXIST, "container %s is already connected to network %s", containerv_name(c),
		                     network);
	if (ret == 0)
		ret = cv_network_lease_locked(c, network, ip, number, false, &plan);
	cv_network_unlock(lock);
	if (ret == 0 && (cv_network_plug(&plan.network, &plan.lease, c->state.pid, false) < 0 ||
	                 cv_network_hand_lease(&plan.network, &plan.lease, c->state.pid) < 0))
		ret = -1;
	if (ret < 0 && plan.leased) {
		int saved = errno;
		char message[1024];
		snprintf(message, sizeof message, "%s", containerv_last_error());
		lock = cv_network_lock();
		cv_network_platform_release(&plan.network, &plan.lease, true);
		cv_lease_remove(&plan.network, plan.lease.address);
		cv_network_unlock(lock);
		cv_error_errno(saved, "%s", message);
	}
	cv_network_plan_free(&plan);
	cv_state_unlock(c);
	return ret < 0 ? cv_error_prefix("network connect %s", network) : 0;
}

int containerv_network_disconnect(struct containerv_container *c, const char *network)
{
	int lock, released;

	cv_error_clear();
	if (c == NULL || network == NULL)
		return cv_error_errno(EINVAL, "network disconnect: missing argument");
	lock = cv_network_lock();
	if (lock < 0)
		return -1;
	released = cv_network_release_locked(c->id, network, true);
	cv_network_unlock(lock);
	if (released == 0)
		return cv_error_errno(ENOENT, "network disconnect %s: container %s is not connected to it", network,
		                      containerv_name(c));
	return 0;
}
