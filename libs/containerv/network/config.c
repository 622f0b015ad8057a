/*
 * The network part of a container's configuration (struct cv_network_config):
 * clearing, validation and its form in config.json. The containerv_options_*
 * setters that fill it are in config/network-options.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "network/network-internal.h"

void cv_network_config_clear(struct cv_network_config *config)
{
	free(config->network);
	free(config->ip);
	cv_strv_free(config->dns);
	cv_strv_free(config->extra_hosts);
	free(config->ports);
	cv_strv_free(config->exposed);
	cv_strv_free(config->connected);
	cv_strv_free(config->aliases);
	cv_strv_free(config->links);
	free(config->static_container_ip);
	free(config->static_host_ip);
	free(config->static_gateway);
	free(config->mac_address);
	memset(config, 0, sizeof *config);
}

int cv_mac_parse(const char *text, uint8_t mac[6])
{
	static const char digits[] = "0123456789abcdef";

	if (strlen(text) != 17)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *high = strchr(digits, text[i * 3] | 0x20), *low = strchr(digits, text[i * 3 + 1] | 0x20);
		if (text[i * 3] == '\0' || text[i * 3 + 1] == '\0' || high == NULL || low == NULL ||
		    (i < 5 && text[i * 3 + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)((high - digits) << 4 | (low - digits));
	}
	if ((mac[0] & 1) != 0 || (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return -1;
	return 0;
}

int cv_network_config_validate(const struct cv_network_config *config, bool own_namespace)
{
	/* Without one the veth's inner end would land in the host's namespace, as its eth0. */
	if ((config->mode == CV_NETWORK_BRIDGE || config->mode == CV_NETWORK_STATIC) && !own_namespace)
		return cv_error_errno(EINVAL, "a bridge or static network needs the container's own network namespace");
	if ((config->port_count > 0 || config->publish_all) && config->mode != CV_NETWORK_BRIDGE)
		return cv_error_errno(EINVAL, "published ports need a bridge network");
	if (config->ip != NULL && config->mode != CV_NETWORK_BRIDGE)
		return cv_error_errno(EINVAL, "--ip needs a bridge network");
	/* Only user networks have a DNS server to answer them (docker refuses them the same way). */
	bool user_network = config->mode == CV_NETWORK_BRIDGE && config->network != NULL &&
	                    strcmp(config->network, CONTAINERV_NETWORK_DEFAULT) != 0;
	for (size_t i = 0; config->aliases != NULL && config->aliases[i] != NULL; i++)
		if (config->aliases[i][0] == ':' && !user_network)
			return cv_error_errno(EINVAL, "network-scoped aliases are supported only for containers on "
			                              "user-defined networks");
	if (config->links != NULL && !user_network)
		return cv_error_errno(EINVAL, "--link is supported only for containers on user-defined networks");
	for (size_t i = 0; i < config->port_count; i++)
		for (size_t j = 0; j < i; j++)
			if (config->ports[i].host_port == config->ports[j].host_port &&
			    config->ports[i].protocol == config->ports[j].protocol &&
			    (config->ports[i].host_address == config->ports[j].host_address ||
			     config->ports[i].host_address == 0 || config->ports[j].host_address == 0))
				return cv_error_errno(EADDRINUSE, "host port %u/%s is published twice",
				                      config->ports[i].host_port,
				                      config->ports[i].protocol == CV_PROTOCOL_UDP ? "udp" : "tcp");
	return 0;
}

/* A host name as resolvers take it (RFC 1123 labels, '_' too as docker's names have them), dots between labels. */
bool cv_network_alias_valid(const char *alias)
{
	size_t length = alias != NULL ? strlen(alias) : 0, label = 0;

	if (length == 0 || length > 2 * CV_NETWORK_NAME_MAX || alias[0] == '.' || alias[length - 1] == '.')
		return false;
	for (const char *p = alias; *p != '\0'; p++) {
		bool letter = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (letter || *p == '-' || *p == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* Appends to names the part after "NETWORK:" of each entry of entries for network. */
static int append_for_network(char ***names, char *const *entries, const char *network)
{
	size_t length = strlen(network);

	for (size_t i = 0; entries != NULL && entries[i] != NULL; i++)
		if (strncmp(entries[i], network, length) == 0 && entries[i][length] == ':' &&
		    cv_strv_append(names, entries[i] + length + 1) < 0)
			return -1;
	return 0;
}

int cv_lease_set_names(struct cv_lease *lease, const struct cv_network_config *config, const char *network,
                       const char *container_name, bool primary)
{
	cv_strv_free(lease->names);
	cv_strv_free(lease->links);
	cv_strv_free(lease->dns);
	lease->names = lease->links = lease->dns = NULL;
	if (container_name != NULL && container_name[0] != '\0' && cv_network_alias_valid(container_name) &&
	    cv_strv_append(&lease->names, container_name) < 0)
		return -1;
	/* ":ALIAS" is an alias on the primary network (--network-alias), whichever it is. */
	if (append_for_network(&lease->names, config->aliases, network) < 0 ||
	    (primary && append_for_network(&lease->names, config->aliases, "") < 0))
		return -1;
	for (size_t i = 0; config->links != NULL && config->links[i] != NULL; i++)
		if (cv_strv_append(&lease->links, config->links[i]) < 0)
			return -1;
	for (size_t i = 0; config->dns != NULL && config->dns[i] != NULL; i++)
		if (cv_strv_append(&lease->dns, config->dns[i]) < 0)
			return -1;
	return 0;
}

/* ---- config.json ---- */

static json_t *strings(char *const *strv)
{
	json_t *array = json_array();

	for (size_t i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_append_new(array, json_string(strv[i]));
	return array;
}

json_t *cv_network_config_to_json(const struct cv_network_config *c)
{
	json_t *ports = json_array();

	for (size_t i = 0; i < c->port_count; i++)
		json_array_append_new(
		        ports, json_pack("{s:I,s:i,s:i,s:i}", "host_address", (json_int_t)c->ports[i].host_address,
		                         "host_port", (int)c->ports[i].host_port, "container_port",
		                         (int)c->ports[i].container_port, "protocol", c->ports[i].protocol));
	return json_pack("{s:i,s:s?,s:s?,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:o,s:s?,s:i,s:s?,s:s?,s:s?}", "mode",
	                 (int)c->mode, "network", c->network, "ip", c->ip, "dns", strings(c->dns), "extra_hosts",
	                 strings(c->extra_hosts), "ports", ports, "exposed", strings(c->exposed), "publish_all",
	                 c->publish_all, "connected", strings(c->connected), "aliases", strings(c->aliases), "links",
	                 strings(c->links), "static_container_ip", c->static_container_ip, "static_prefix",
	                 c->static_prefix, "static_host_ip", c->static_host_ip, "static_gateway", c->static_gateway,
	                 "mac_address", c->mac_address);
}

static int strings_from(json_t *array, char ***out)
{
	size_t index;
	json_t *value;

	json_array_foreach(array, index, value)
	{
		if (!json_is_string(value) || cv_strv_append(out, json_string_value(value)) < 0)
			return cv_error_errno(EINVAL, "config: network: expected strings");
	}
	return 0;
}

static int string_from(json_t *object, const char *key, char **slot)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value != NULL ? cv_replace_string(slot, value) : 0;
}

int cv_network_config_from_json(json_t *o, struct cv_network_config *c)
{
	json_t *ports, *port;
	size_t index;

	memset(c, 0, sizeof *c);
	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return cv_error_errno(EINVAL, "config: network is not an object");
	c->mode = (enum containerv_network_mode)json_integer_value(json_object_get(o, "mode"));
	c->publish_all = json_is_true(json_object_get(o, "publish_all"));
	c->static_prefix = (int)json_integer_value(json_object_get(o, "static_prefix"));
	if (string_from(o, "network", &c->network) < 0 || string_from(o, "ip", &c->ip) < 0 ||
	    strings_from(json_object_get(o, "dns"), &c->dns) < 0 ||
	    strings_from(json_object_get(o, "extra_hosts"), &c->extra_hosts) < 0 ||
	    strings_from(json_object_get(o, "exposed"), &c->exposed) < 0 ||
	    strings_from(json_object_get(o, "connected"), &c->connected) < 0 ||
	    strings_from(json_object_get(o, "aliases"), &c->aliases) < 0 ||
	    strings_from(json_object_get(o, "links"), &c->links) < 0 ||
	    string_from(o, "static_container_ip", &c->static_container_ip) < 0 ||
	    string_from(o, "static_host_ip", &c->static_host_ip) < 0 ||
	    string_from(o, "static_gateway", &c->static_gateway) < 0 ||
	    string_from(o, "mac_address", &c->mac_address) < 0)
		return -1;
	ports = json_object_get(o, "ports");
	if (json_is_array(ports) && json_array_size(ports) > 0) {
		c->ports = cv_malloc0(json_array_size(ports) * sizeof *c->ports);
		if (c->ports == NULL)
			return -1;
		json_array_foreach(ports, index, port)
		{
			struct cv_port *p = &c->ports[c->port_count++];
			p->host_address = (uint32_t)json_integer_value(json_object_get(port, "host_address"));
			p->host_port = (uint16_t)json_integer_value(json_object_get(port, "host_port"));
			p->container_port = (uint16_t)json_integer_value(json_object_get(port, "container_port"));
			p->protocol = (int)json_integer_value(json_object_get(port, "protocol"));
		}
	}
	return 0;
}
