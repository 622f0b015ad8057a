/*
 * run/create: the network flags into the options. The default is the
 * default bridge network, as docker's.
 */
#include <string.h>

#include "cli.h"
#include "network-flags.h"
#include "output.h"

#define APPLY(call, flag, value)                                                                                       \
	do {                                                                                                           \
		if ((call) < 0)                                                                                        \
			return cli_fail_library(-1, "%s %s", flag, value);                                             \
	} while (0)

json_t *cli_network_settings(struct containerv_container *container)
{
	struct containerv_network_endpoint *endpoints = NULL;
	size_t count = 0;
	json_t *networks = json_object();
	json_t *ports = json_object();
	const char *first = "";

	if (containerv_network_endpoints(container, &endpoints, &count) < 0)
		count = 0;
	for (size_t i = 0; i < count; i++) {
		const struct containerv_network_endpoint *e = &endpoints[i];
		if (strcmp(e->interface ? e->interface : "", "eth0") == 0 || first[0] == '\0')
			first = e->address ? e->address : "";
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
		json_object_set_new(networks, e->network ? e->network : "",
		                    json_pack("{s:s,s:s,s:s}", "IPAddress", e->address ? e->address : "", "Interface",
		                              e->interface ? e->interface : "", "HostVeth", e->veth ? e->veth : ""));
	}
	json_t *settings = json_pack("{s:s,s:o,s:o}", "IPAddress", first, "Networks", networks, "Ports", ports);
	containerv_network_endpoints_free(endpoints, count);
	return settings;
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
	return 0;
}
