/*
 * run/create: the network flags into the options. The default is the
 * default bridge network, as docker's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "network-flags.h"
#include "output.h"

#define APPLY(call, flag, value)                                                                                       \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			return cli_fail_library(-1, "%s %s", flag, value);                                             \
	} while (0)

void cli_endpoint_mac(const char *address, char *buffer, size_t size)
{
	unsigned int a, b, c, d;

	/* The library derives the inner end's MAC from the address (cv_network_plug: 02:42 and its four bytes). */
	if (address == NULL || sscanf(address, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 ||
	    d > 255) {
		snprintf(buffer, size, "%s", "");
		return;
	}
	snprintf(buffer, size, "02:42:%02x:%02x:%02x:%02x", a, b, c, d);
}

/* The prefix length of a CIDR ("10.89.0.0/24" -> 24), 0 when it has none. */
static int prefix_length(const char *cidr)
{
	const char *slash = cidr != NULL ? strchr(cidr, '/') : NULL;

	return slash != NULL ? atoi(slash + 1) : 0;
}

/* One entry of NetworkSettings.Networks, as docker's EndpointSettings. */
static json_t *endpoint_settings(const struct containerv_network_endpoint *e)
{
	struct containerv_network_info network = {.version = CONTAINERV_NETWORK_INFO_VERSION};
	const char *address = e->address ? e->address : "";
	char mac[18];
	json_t *object;

	cli_endpoint_mac(e->address, mac, sizeof mac);
	if (e->network == NULL || containerv_network_inspect(e->network, &network) < 0)
		memset(&network, 0, sizeof network);
	object = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "NetworkID", network.id ? network.id : "", "IPAddress",
	                   address, "IPPrefixLen", prefix_length(network.subnet), "Gateway",
	                   network.gateway ? network.gateway : "", "MacAddress", mac, "Interface",
	                   e->interface ? e->interface : "", "HostVeth", e->veth ? e->veth : "");
	containerv_network_info_clear(&network);
	return object;
}

json_t *cli_network_settings(struct containerv_container *container)
{
	struct containerv_network_endpoint *endpoints = NULL;
	size_t count = 0;
	json_t *networks = json_object();
	json_t *ports = json_object();
	json_t *primary = NULL;

	if (containerv_network_endpoints(container, &endpoints, &count) < 0)
		count = 0;
	for (size_t i = 0; i < count; i++) {
		const struct containerv_network_endpoint *e = &endpoints[i];
		json_t *settings = endpoint_settings(e);

		for (size_t j = 0; j < e->port_count; j++) {
			char key[16], host_port[8];
			snprintf(key, sizeof key, "%u/%s", e->ports[j].container_port, e->ports[j].protocol);
			snprintf(host_port, sizeof host_port, "%u", e->ports[j].host_port);
			if (json_object_get(ports, key) == NULL)
				json_object_set_new(ports, key, json_array());
			json_array_append_new(
			        json_object_get(ports, key),
			        json_pack("{s:s,s:s}", "HostIp", e->ports[j].host_address, "HostPort", host_port));
		}
		/* The top-level fields are eth0's (docker: the default network's), else the first network's. */
		if (primary == NULL || strcmp(e->interface ? e->interface : "", "eth0") == 0)
			primary = settings;
		json_object_set_new(networks, e->network ? e->network : "", settings);
	}
	json_t *settings = json_pack(
	        "{s:O?,s:O?,s:O?,s:O?,s:o,s:o}", "IPAddress", primary ? json_object_get(primary, "IPAddress") : NULL,
	        "IPPrefixLen", primary ? json_object_get(primary, "IPPrefixLen") : NULL, "Gateway",
	        primary ? json_object_get(primary, "Gateway") : NULL, "MacAddress",
	        primary ? json_object_get(primary, "MacAddress") : NULL, "Networks", networks, "Ports", ports);
	containerv_network_endpoints_free(endpoints, count);
	return settings;
}

/* Appends "HOST_IP:HOST_PORT->PORT/PROTO" to text, ", " between entries. */
static void append_port(char **text, size_t *length, const struct containerv_port_mapping *port)
{
	char entry[64];
	int n = snprintf(entry, sizeof entry, "%s%s:%u->%u/%s", *length > 0 ? ", " : "", port->host_address,
	                 port->host_port, port->container_port, port->protocol);

	*text = xrealloc(*text, *length + (size_t)n + 1);
	memcpy(*text + *length, entry, (size_t)n + 1);
	*length += (size_t)n;
}

char *cli_ports_text(struct containerv_container *container)
{
	struct containerv_network_endpoint *endpoints = NULL;
	size_t count = 0, length = 0;
	char *text = xstrdup("");

	if (containerv_network_endpoints(container, &endpoints, &count) < 0)
		return text;
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < endpoints[i].port_count; j++)
			append_port(&text, &length, &endpoints[i].ports[j]);
	containerv_network_endpoints_free(endpoints, count);
	return text;
}

int cli_add_network(struct containerv_options *options, const struct network_flags *flags)
{
	const char *network = flags->network ? flags->network : "bridge";
	enum containerv_network_mode mode = CV_NETWORK_BRIDGE;

	if (strcmp(network, "none") == 0)
		mode = CV_NETWORK_NONE;
	else if (strcmp(network, "host") == 0)
		mode = CV_NETWORK_HOST;
	APPLY(containerv_options_set_network_mode(options, mode, mode == CV_NETWORK_BRIDGE ? network : NULL),
	      "--network", network);
	if (mode != CV_NETWORK_BRIDGE && (flags->ip != NULL || flags->publish.count > 0 || flags->publish_all))
		return cli_fail(-1, "--ip, -p and -P need a bridge network, not --network %s", network);
	if (flags->ip != NULL)
		APPLY(containerv_options_set_ip(options, flags->ip), "--ip", flags->ip);
	for (size_t i = 0; i < flags->publish.count; i++)
		APPLY(containerv_options_add_port(options, flags->publish.items[i]), "--publish",
		      flags->publish.items[i]);
	for (size_t i = 0; i < flags->expose.count; i++)
		APPLY(containerv_options_add_exposed_port(options, flags->expose.items[i]), "--expose",
		      flags->expose.items[i]);
	if (flags->publish_all)
		APPLY(containerv_options_set_publish_all(options, 1), "--publish-all", "");
	for (size_t i = 0; i < flags->dns.count; i++)
		APPLY(containerv_options_add_dns(options, flags->dns.items[i]), "--dns", flags->dns.items[i]);
	for (size_t i = 0; i < flags->add_host.count; i++)
		APPLY(containerv_options_add_host(options, flags->add_host.items[i]), "--add-host",
		      flags->add_host.items[i]);
	for (size_t i = 0; i < flags->aliases.count; i++)
		APPLY(containerv_options_add_network_alias(options, flags->aliases.items[i]), "--network-alias",
		      flags->aliases.items[i]);
	for (size_t i = 0; i < flags->links.count; i++)
		APPLY(containerv_options_add_link(options, flags->links.items[i]), "--link", flags->links.items[i]);
	return 0;
}
