/*
 * A top-level network of a compose file: a bridge network, with an IPv4
 * subnet and gateway from ipam.config (containerv_network_options). What
 * containerv networks cannot do is refused by name, not ignored: an app that
 * counts on an internal network must not silently get one with a way out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "orchestration/compose-internal.h"

/* "a.b.c.d/n" with n from 8 to 30 (what containerv_network_create takes). */
static bool is_ipv4_cidr(const char *text)
{
	char address[32];
	const char *slash = strchr(text, '/');
	char *end;
	struct in_addr parsed;

	if (slash == NULL || (size_t)(slash - text) >= sizeof address)
		return false;
	memcpy(address, text, (size_t)(slash - text));
	address[slash - text] = '\0';
	long prefix = strtol(slash + 1, &end, 10);
	return *end == '\0' && end != slash + 1 && prefix >= 8 && prefix <= 30 &&
	       inet_pton(AF_INET, address, &parsed) == 1;
}

/*
 * A compose file's subnet lies in private address space (RFC 1918's 10/8, 172.16/12, 192.168/16, and the
 * shared 100.64/10). The host reaches any other address through its default route, which the overlap check
 * leaves aside: a hostile file's "subnet: 8.8.8.0/24" with a service at "ipv4_address: 8.8.8.8" would route
 * the host's own traffic for that range (its public DNS resolver, a package mirror) into the bridge, to that
 * container. `network create --subnet` (the user's own choice) takes any subnet.
 */
static bool is_private_cidr(const char *text)
{
	static const struct {
		uint32_t address;
		int prefix;
	} ranges[] = {{0x0A000000, 8}, {0xAC100000, 12}, {0xC0A80000, 16}, {0x64400000, 10}};
	char address[32];
	const char *slash = strchr(text, '/');
	struct in_addr parsed;

	if (slash == NULL || (size_t)(slash - text) >= sizeof address)
		return false;
	memcpy(address, text, (size_t)(slash - text));
	address[slash - text] = '\0';
	long prefix = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, address, &parsed) != 1)
		return false;
	uint32_t value = ntohl(parsed.s_addr);
	for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
		uint32_t mask = ~UINT32_C(0) << (32 - ranges[i].prefix);
		if (prefix >= ranges[i].prefix && (value & mask) == ranges[i].address)
			return true;
	}
	return false;
}

static bool is_ipv4(const char *text)
{
	struct in_addr parsed;

	return inet_pton(AF_INET, text, &parsed) == 1;
}

static int check_ipam_config(struct cv_compose_loader *loader, const char *path, json_t *ipam, json_t *config)
{
	const char *key;
	json_t *member;

	if (!json_is_array(config))
		return cv_compose_fail(loader, ipam, "config", path, "ipam.config must be a list");
	if (json_array_size(config) > 1)
		return cv_compose_fail(loader, ipam, "config", path,
		                       "ipam.config: one subnet per network is supported (IPv4)");
	json_t *entry = json_array_get(config, 0);
	if (entry == NULL)
		return 0;
	if (!json_is_object(entry))
		return cv_compose_fail(loader, ipam, "config", path, "ipam.config[0] must be a mapping");
	json_object_foreach(entry, key, member)
	{
		const char *text = json_string_value(member);
		if (strcmp(key, "subnet") == 0) {
			if (text == NULL || !is_ipv4_cidr(text))
				return cv_compose_fail(loader, entry, key, path,
				                       "ipam.config[0].subnet: an IPv4 CIDR from /8 to /30 expected");
			if (!is_private_cidr(text))
				return cv_compose_fail(
				        loader, entry, key, path,
				        "ipam.config[0].subnet: %s is not private address space (10.0.0.0/8, "
				        "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10): the host's own "
				        "traffic for it would go to the network's containers",
				        text);
		} else if (strcmp(key, "gateway") == 0) {
			if (text == NULL || !is_ipv4(text))
				return cv_compose_fail(loader, entry, key, path,
				                       "ipam.config[0].gateway: an IPv4 address expected");
		} else if (strcmp(key, "ip_range") == 0) {
			/* The whole subnet is the range containerv gives addresses from: only that is accepted. */
			const char *subnet = json_string_value(json_object_get(entry, "subnet"));
			if (text == NULL || subnet == NULL || strcmp(text, subnet) != 0)
				return cv_compose_fail(loader, entry, key, path,
				                       "ipam.config[0].ip_range: only the whole subnet is supported");
		} else {
			return cv_compose_fail(loader, entry, key, path, "ipam.config[0].%s is not supported", key);
		}
	}
	if (json_object_get(entry, "gateway") != NULL && json_object_get(entry, "subnet") == NULL)
		return cv_compose_fail(loader, entry, "gateway", path, "ipam.config[0].gateway needs a subnet");
	return 0;
}

static int check_ipam(struct cv_compose_loader *loader, const char *path, json_t *network, json_t *ipam)
{
	const char *key;
	json_t *member;

	if (!json_is_object(ipam))
		return cv_compose_fail(loader, network, "ipam", path, "ipam must be a mapping");
	json_object_foreach(ipam, key, member)
	{
		if (strcmp(key, "driver") == 0) {
			if (!json_is_string(member) || strcmp(json_string_value(member), "default") != 0)
				return cv_compose_fail(loader, ipam, key, path, "ipam.driver: only \"default\"");
		} else if (strcmp(key, "config") == 0) {
			if (check_ipam_config(loader, path, ipam, member) < 0)
				return -1;
		} else {
			return cv_compose_fail(loader, ipam, key, path, "ipam.%s is not supported", key);
		}
	}
	return 0;
}

int cv_compose_normalize_network(struct cv_compose_loader *loader, const char *path, json_t *network)
{
	const char *key;
	json_t *member;

	if (!json_is_object(network))
		return cv_compose_fail(loader, NULL, NULL, path, "must be a mapping");
	json_object_foreach(network, key, member)
	{
		if (strcmp(key, "driver") == 0 && json_is_string(member) &&
		    strcmp(json_string_value(member), "bridge") == 0)
			continue;
		if (strcmp(key, "labels") == 0 || strcmp(key, "name") == 0 || strncmp(key, "x-", 2) == 0)
			continue;
		if (strcmp(key, "ipam") == 0) {
			if (check_ipam(loader, path, network, member) < 0)
				return -1;
			continue;
		}
		if ((strcmp(key, "internal") == 0 || strcmp(key, "enable_ipv6") == 0) && json_is_false(member))
			continue;
		if (strcmp(key, "attachable") == 0 && json_is_boolean(member))
			continue; /* every containerv network is: `containerv network connect` works on any */
		if (strcmp(key, "internal") == 0)
			return cv_compose_fail(loader, network, key, path,
			                       "internal: true is not supported yet (its containers would reach out)");
		return cv_compose_fail(loader, network, key, path, "%s is not supported yet (a bridge network is made)",
		                       key);
	}
	return 0;
}
