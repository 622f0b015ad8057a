/*
 * The network part of a container's options: what containerv_options_*
 * collect into its struct cv_network_config (network/), validated as it
 * comes in. Here, above network/, because they write the options
 * (config/options.h), which hold that struct.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"
#include "network/network-internal.h"

int containerv_options_set_network_mode(struct containerv_options *options, enum containerv_network_mode mode,
                                        const char *network_name)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "network: no options");
	if (mode != CV_NETWORK_NONE && mode != CV_NETWORK_HOST && mode != CV_NETWORK_BRIDGE)
		return cv_error_errno(
		        EINVAL, "network: unknown mode %d (use containerv_options_set_network for static)", (int)mode);
	if (network_name != NULL && (mode != CV_NETWORK_BRIDGE || !cv_name_is_valid(network_name, CV_NETWORK_NAME_MAX)))
		return cv_error_errno(EINVAL, "invalid network name \"%s\"", network_name);
	if (cv_replace_string(&options->network.network, network_name) < 0)
		return -1;
	options->network.mode = mode;
	/* host: the host's stack, so no namespace of our own; every other mode has one. */
	if (mode == CV_NETWORK_HOST)
		options->namespaces &= ~(unsigned int)CV_NS_NET;
	else
		options->namespaces |= CV_NS_NET;
	return 0;
}

int containerv_options_set_mac_address(struct containerv_options *options, const char *mac)
{
	uint8_t bytes[6];

	cv_error_clear();
	if (options == NULL || mac == NULL)
		return cv_error_errno(EINVAL, "mac address: missing");
	if (cv_mac_parse(mac, bytes) < 0)
		return cv_error_errno(
		        EINVAL,
		        "invalid --mac-address \"%s\": expected six hex bytes (92:d0:c6:0a:29:33), unicast, "
		        "not all zero",
		        mac);
	return cv_replace_string(&options->network.mac_address, mac);
}

int containerv_options_set_ip(struct containerv_options *options, const char *address)
{
	uint32_t value;

	cv_error_clear();
	if (options == NULL || address == NULL)
		return cv_error_errno(EINVAL, "ip: missing");
	if (cv_address_parse(address, &value) < 0)
		return cv_error_prefix("--ip");
	return cv_replace_string(&options->network.ip, address);
}

int containerv_options_set_network_ex(struct containerv_options *options, const char *container_ip,
                                      const char *container_netmask, const char *host_ip, const char *gateway_ip,
                                      const char *dns)
{
	struct cv_network_config *config;
	uint32_t container, host, gateway;
	int prefix;

	cv_error_clear();
	if (options == NULL || container_ip == NULL || container_netmask == NULL || host_ip == NULL)
		return cv_error_errno(EINVAL, "network: container address, netmask and host address are needed");
	if (cv_address_parse(container_ip, &container) < 0 || cv_address_parse(host_ip, &host) < 0 ||
	    (gateway_ip != NULL && cv_address_parse(gateway_ip, &gateway) < 0) ||
	    (dns != NULL && cv_address_parse(dns, &gateway) < 0))
		return cv_error_prefix("network");
	prefix = cv_netmask_prefix(container_netmask);
	if (prefix < 1 || prefix > 31)
		return cv_error_errno(EINVAL, "network: invalid netmask \"%s\"", container_netmask);
	if (container == host || (container & cv_prefix_mask(prefix)) != (host & cv_prefix_mask(prefix)))
		return cv_error_errno(EINVAL, "network: %s and %s are not two addresses of one /%d subnet",
		                      container_ip, host_ip, prefix);
	config = &options->network;
	if (cv_replace_string(&config->static_container_ip, container_ip) < 0 ||
	    cv_replace_string(&config->static_host_ip, host_ip) < 0 ||
	    cv_replace_string(&config->static_gateway, gateway_ip) < 0 ||
	    (dns != NULL && cv_strv_append(&config->dns, dns) < 0))
		return -1;
	config->static_prefix = prefix;
	config->mode = CV_NETWORK_STATIC;
	options->namespaces |= CV_NS_NET;
	return 0;
}

int containerv_options_set_network(struct containerv_options *options, const char *container_ip,
                                   const char *container_netmask, const char *host_ip)
{
	return containerv_options_set_network_ex(options, container_ip, container_netmask, host_ip, NULL, NULL);
}

int containerv_options_add_dns(struct containerv_options *options, const char *server)
{
	uint32_t value;

	cv_error_clear();
	if (options == NULL || server == NULL)
		return cv_error_errno(EINVAL, "dns: missing");
	if (cv_address_parse(server, &value) < 0)
		return cv_error_prefix("--dns");
	return cv_strv_append(&options->network.dns, server);
}

static bool host_name_is_valid(const char *name, size_t length)
{
	if (length == 0 || length > 253 || name[0] == '-' || name[0] == '.')
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.' || c == '_'))
			return false;
	}
	return true;
}

int containerv_options_add_network_alias(struct containerv_options *options, const char *alias)
{
	cleanup_free char *entry = NULL;

	cv_error_clear();
	if (options == NULL || alias == NULL)
		return cv_error_errno(EINVAL, "network-alias: missing");
	if (!cv_network_alias_valid(alias))
		return cv_error_errno(EINVAL, "invalid --network-alias \"%s\": expected a host name", alias);
	/* ":ALIAS": on the primary network, whichever it is when the container starts. */
	if (cv_asprintf(&entry, ":%s", alias) < 0)
		return -1;
	return cv_strv_append(&options->network.aliases, entry);
}

int containerv_options_add_link(struct containerv_options *options, const char *link)
{
	cleanup_free char *entry = NULL;
	const char *colon;
	size_t length;

	cv_error_clear();
	if (options == NULL || link == NULL)
		return cv_error_errno(EINVAL, "link: missing");
	colon = strchr(link, ':');
	length = colon != NULL ? (size_t)(colon - link) : strlen(link);
	if (cv_asprintf(&entry, "%.*s:%s", (int)length, link, colon != NULL ? colon + 1 : link) < 0)
		return -1;
	entry[length] = '\0';
	bool valid = cv_network_alias_valid(entry) && cv_network_alias_valid(entry + length + 1);
	entry[length] = ':';
	if (!valid)
		return cv_error_errno(EINVAL, "invalid --link \"%s\": expected CONTAINER[:ALIAS]", link);
	return cv_strv_append(&options->network.links, entry);
}

int containerv_options_add_host(struct containerv_options *options, const char *name_and_address)
{
	const char *colon;
	uint32_t value;

	cv_error_clear();
	if (options == NULL || name_and_address == NULL)
		return cv_error_errno(EINVAL, "add-host: missing");
	colon = strchr(name_and_address, ':');
	if (colon == NULL || !host_name_is_valid(name_and_address, (size_t)(colon - name_and_address)) ||
	    cv_address_parse(colon + 1, &value) < 0)
		return cv_error_errno(EINVAL, "invalid --add-host \"%s\": expected NAME:IPv4", name_and_address);
	return cv_strv_append(&options->network.extra_hosts, name_and_address);
}

int containerv_options_add_port(struct containerv_options *options, const char *specification)
{
	struct cv_port port, *grown;

	cv_error_clear();
	if (options == NULL || specification == NULL)
		return cv_error_errno(EINVAL, "publish: missing");
	if (cv_port_parse(specification, &port, false) < 0)
		return -1;
	grown = realloc(options->network.ports, (options->network.port_count + 1) * sizeof *grown);
	if (grown == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	options->network.ports = grown;
	grown[options->network.port_count++] = port;
	return 0;
}

int containerv_options_add_exposed_port(struct containerv_options *options, const char *port)
{
	struct cv_port parsed;

	cv_error_clear();
	if (options == NULL || port == NULL)
		return cv_error_errno(EINVAL, "expose: missing");
	if (cv_port_parse(port, &parsed, true) < 0)
		return -1;
	return cv_strv_append(&options->network.exposed, port);
}

int containerv_options_set_publish_all(struct containerv_options *options, int enabled)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "publish-all: no options");
	options->network.publish_all = enabled != 0;
	return 0;
}
