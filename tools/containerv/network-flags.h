/*
 * The network flags of run and create (--network, --ip, -p, -P, --expose,
 * --dns, --add-host, --network-alias, --link), parsed into the options by cli_add_network().
 */
#ifndef CV_CLI_NETWORK_FLAGS_H
#define CV_CLI_NETWORK_FLAGS_H

#include <chef/containerv.h>
#include <jansson.h>

#include "flags.h"

struct network_flags {
	const char *network, *ip;
	int publish_all;
	struct string_list publish, expose, dns, add_host, aliases, links;
};

#define NETWORK_RUN_FLAGS(f)                                                                                             \
	{"network",    0,         FLAG_STRING,                                                                           \
	 &(f).network, "network", "Connect a container to a network (bridge, none, host, NAME)"},                        \
	        {"ip", 0, FLAG_STRING, &(f).ip, "string", "IPv4 address on the container's network"},                    \
	        {"publish", 'p', FLAG_LIST, &(f).publish, "list", "Publish a port ([IP:]HOST_PORT:PORT[/tcp|udp])"},     \
	        {"publish-all", 'P', FLAG_BOOL, &(f).publish_all, NULL, "Publish all exposed ports to free host ports"}, \
	        {"expose", 0, FLAG_LIST, &(f).expose, "list", "Expose a port (PORT[/tcp|udp]) for -P"},                  \
	        {"dns", 0, FLAG_LIST, &(f).dns, "list", "Set custom DNS servers"},                                       \
	        {"network-alias", 0, FLAG_LIST, &(f).aliases, "list", "Add network-scoped alias for the container"},     \
	        {"link", 0, FLAG_LIST, &(f).links, "list", "Add link to another container (NAME[:ALIAS])"},              \
	{                                                                                                                \
		"add-host", 0, FLAG_LIST, &(f).add_host, "list", "Add a custom host-to-IP mapping (host:ip)"             \
	}

/*
 * inspect's NetworkSettings: IPAddress, Gateway, MacAddress (eth0's), Networks (name -> NetworkID,
 * IPAddress, IPPrefixLen, Gateway, MacAddress, Interface, HostVeth) and Ports, while it runs.
 */
json_t *cli_network_settings(struct containerv_container *container);

/* ps's PORTS: "0.0.0.0:8080->80/tcp, 127.0.0.1:53->53/udp" (empty when nothing is published); free() it. */
char *cli_ports_text(struct containerv_container *container);

/* The MAC address of the container's end of an endpoint with this IPv4 address ("" when malformed). */
void cli_endpoint_mac(const char *address, char *buffer, size_t size);

/* Applies the flags; bridge (the default network) when --network is not given. Prints the error. */
int cli_add_network(struct containerv_options *options, const struct network_flags *flags);

#endif
