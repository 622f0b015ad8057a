/*
 * network: docker's `network create|ls|inspect|rm|prune|connect|disconnect`
 * over the network API. Store errors (no such network, in use, exists)
 * exit 1 as docker's daemon-side errors do; malformed flags exit 125.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "flags.h"
#include "network-flags.h"
#include "output.h"

static int network_create(int argc, char **argv)
{
	static const char *subnet, *gateway, *driver;
	static const struct flag table[] = {
	        {"subnet", 0, FLAG_STRING, &subnet, "string", "Subnet in CIDR format (default: a free 10.89.N.0/24)"},
	        {"gateway", 0, FLAG_STRING, &gateway, "string", "IPv4 gateway (the bridge's address)"},
	        {"driver", 'd', FLAG_STRING, &driver, "string", "Driver to manage the network (bridge only)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "network create", "[OPTIONS] NETWORK", "Create a network", table, false, 1, 1, NULL,
	};
	struct containerv_network_options options = CONTAINERV_NETWORK_OPTIONS_INIT;
	struct containerv_network_info info = {.version = CONTAINERV_NETWORK_INFO_VERSION};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (driver != NULL && strcmp(driver, "bridge") != 0)
		return cli_fail(EXIT_CLI_ERROR, "driver \"%s\" is not supported: use bridge", driver);
	options.subnet = subnet;
	options.gateway = gateway;
	if (containerv_network_create(positional.items[0], &options) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	if (containerv_network_inspect(positional.items[0], &info) == 0)
		printf("%s\n", info.id);
	containerv_network_info_clear(&info);
	return 0;
}

static void format_created(int64_t nanoseconds, char *buffer, size_t size)
{
	time_t seconds = (time_t)(nanoseconds / 1000000000);
	struct tm tm;

	gmtime_r(&seconds, &tm);
	strftime(buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One of docker's network Containers: keyed by the container id, with its name, MAC and address. */
static json_t *endpoint_object(const struct containerv_network_endpoint *e, const char *address)
{
	struct containerv_container *container = NULL;
	char mac[18];
	json_t *object;

	cli_endpoint_mac(e->address, mac, sizeof mac);
	object = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name", "", "MacAddress", mac, "IPv4Address", address, "Interface",
	                   e->interface ? e->interface : "", "HostVeth", e->veth ? e->veth : "");
	/* A container removed since the network was read keeps an empty name rather than failing the listing. */
	if (e->container != NULL && containerv_open(e->container, &container) == 0) {
		json_object_set_new(object, "Name", json_string(containerv_name(container)));
		containerv_close(container);
	}
	return object;
}

static json_t *network_object(const struct containerv_network_info *info)
{
	json_t *containers = json_object();
	char created[64];

	for (size_t i = 0; i < info->endpoint_count; i++) {
		const struct containerv_network_endpoint *e = &info->endpoints[i];
		char address[32];
		snprintf(address, sizeof address, "%s/%s", e->address ? e->address : "",
		         strchr(info->subnet, '/') ? strchr(info->subnet, '/') + 1 : "");
		json_object_set_new(containers, e->container ? e->container : "", endpoint_object(e, address));
	}
	format_created(info->created_ns, created, sizeof created);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[{s:s,s:s}]},s:o,s:{s:s}}", "Name", info->name, "Id", info->id,
	                 "Created", created, "Scope", "local", "Driver", "bridge", "IPAM", "Driver", "default",
	                 "Config", "Subnet", info->subnet, "Gateway", info->gateway, "Containers", containers,
	                 "Options", "com.docker.network.bridge.name", info->bridge);
}

int network_inspect_one(const char *name, const char *format, json_t *all)
{
	struct containerv_network_info info = {.version = CONTAINERV_NETWORK_INFO_VERSION};

	if (containerv_network_inspect(name, &info) < 0) {
		if (errno == ENOENT)
			cli_fail(0, "network %s not found", name);
		else
			cli_fail_library(0, NULL);
		return -1;
	}
	inspect_emit(all, format, network_object(&info));
	containerv_network_info_clear(&info);
	return 0;
}

static int network_inspect(int argc, char **argv)
{
	static const struct inspect_kind kind = {
	        "network inspect",
	        "[OPTIONS] NETWORK [NETWORK...]",
	        "Display detailed information on one or more networks",
	        "json, or a template such as '{{.Id}}'",
	        network_inspect_one,
	};

	return inspect_command(argc, argv, &kind);
}

struct ls_state {
	int quiet;
	const char *format;
	struct table table;
};

static int ls_one(const struct containerv_network_info *info, void *user)
{
	struct ls_state *state = user;
	char id[13];
	json_t *object;

	snprintf(id, sizeof id, "%.12s", info->id);
	if (state->quiet) {
		printf("%s\n", id);
		return 0;
	}
	if (state->format == NULL) {
		table_add(&state->table, (const char *const[]){id, info->name, "bridge", "local"});
		return 0;
	}
	object = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Name", info->name, "Driver", "bridge", "Scope",
	                   "local", "Subnet", info->subnet, "Gateway", info->gateway);
	format_emit(state->format, object);
	return 0;
}

static int network_ls(int argc, char **argv)
{
	static struct ls_state state;
	static const struct flag table[] = {
	        {"quiet", 'q', FLAG_BOOL, &state.quiet, NULL, "Only display network IDs"},
	        {"format", 0, FLAG_STRING, &state.format, "string", "json, or a template such as '{{.Name}}'"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "network ls",
	        "[OPTIONS]",
	        "List networks",
	        table,
	        false,
	        0,
	        0,
	        "Template fields: ID, Name, Driver, Scope, Subnet, Gateway.",
	};
	static const char *const header[] = {"NETWORK ID", "NAME", "DRIVER", "SCOPE"};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (state.format != NULL && strcmp(state.format, "json") != 0 && template_check(state.format) < 0)
		return EXIT_CLI_ERROR;
	table_init(&state.table, 4, header);
	if (containerv_network_list(ls_one, &state) < 0) {
		table_free(&state.table);
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	}
	if (!state.quiet && state.format == NULL)
		table_print(&state.table, stdout);
	table_free(&state.table);
	return 0;
}

static int remove_network(const char *name, void *user)
{
	(void)user;
	if (containerv_network_remove(name) < 0)
		return cli_fail_library(-1, NULL);
	printf("%s\n", name);
	return 0;
}

static int network_rm(int argc, char **argv)
{
	static const struct flag table[] = {FLAG_END};
	static const struct command_spec spec = {
	        "network rm", "NETWORK [NETWORK...]", "Remove one or more networks", table, false, 1, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	return arguments_for_each(&positional, remove_network, NULL);
}

static void print_pruned(const char *name, void *user)
{
	int *count = user;

	if ((*count)++ == 0)
		printf("Deleted Networks:\n");
	printf("%s\n", name);
}

static int network_prune(int argc, char **argv)
{
	static int force;
	static const struct flag table[] = {
	        {"force", 'f', FLAG_BOOL, &force, NULL, "Do not prompt for confirmation"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "network prune", "[OPTIONS]", "Remove all unused networks", table, false, 0, 0, NULL,
	};
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int count = 0;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (!force) {
		char answer[16];
		printf("WARNING! This will remove all custom networks not used by at least one container.\n"
		       "Are you sure you want to continue? [y/N] ");
		fflush(stdout);
		if (fgets(answer, sizeof answer, stdin) == NULL ||
		    (strcmp(answer, "y\n") != 0 && strcmp(answer, "Y\n") != 0 && strcmp(answer, "yes\n") != 0))
			return 0;
	}
	if (containerv_network_prune(print_pruned, &count) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	return 0;
}

static int connect_or_disconnect(int argc, char **argv, bool connect)
{
	static const char *ip;
	static struct string_list aliases;
	static const struct flag connect_table[] = {
	        {"ip", 0, FLAG_STRING, &ip, "string", "IPv4 address"},
	        {"alias", 0, FLAG_LIST, &aliases, "list", "Add network-scoped alias for the container"},
	        FLAG_END,
	};
	static const struct flag disconnect_table[] = {FLAG_END};
	static const struct command_spec connect_spec = {
	        "network connect",
	        "[OPTIONS] NETWORK CONTAINER",
	        "Connect a running container to a network",
	        connect_table,
	        false,
	        2,
	        2,
	        NULL,
	};
	static const struct command_spec disconnect_spec = {
	        "network disconnect",
	        "NETWORK CONTAINER",
	        "Disconnect a container from a network",
	        disconnect_table,
	        false,
	        2,
	        2,
	        NULL,
	};
	_cleanup_container_ struct containerv_container *container = NULL;
	_cleanup_free_ char **words = NULL;
	struct arguments positional;
	int code = flags_parse_or_exit(connect ? &connect_spec : &disconnect_spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (cli_open(positional.items[1], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if ((connect ? containerv_network_connect_with_aliases(container, positional.items[0], ip, aliases.items)
	             : containerv_network_disconnect(container, positional.items[0])) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	return 0;
}

static int network_connect(int argc, char **argv)
{
	return connect_or_disconnect(argc, argv, true);
}

static int network_disconnect(int argc, char **argv)
{
	return connect_or_disconnect(argc, argv, false);
}

/* docker's `port CONTAINER [PRIVATE_PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:8080" per mapping. */
int cmd_port(int argc, char **argv)
{
	static const struct flag table[] = {FLAG_END};
	static const struct command_spec spec = {
	        "port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings of a container", table, false, 1, 2,
	        NULL,
	};
	_cleanup_container_ struct containerv_container *container = NULL;
	_cleanup_free_ char **words = NULL;
	struct containerv_network_endpoint *endpoints = NULL;
	struct arguments positional;
	size_t count = 0;
	bool found = false;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (cli_open(positional.items[0], &container) < 0)
		return EXIT_CONTAINER_FAILURE;
	if (containerv_network_endpoints(container, &endpoints, &count) < 0)
		return cli_fail_library(EXIT_CONTAINER_FAILURE, NULL);
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < endpoints[i].port_count; j++) {
			const struct containerv_port_mapping *p = &endpoints[i].ports[j];
			char private_port[16];
			snprintf(private_port, sizeof private_port, "%u/%s", p->container_port, p->protocol);
			if (positional.count > 1 && strcmp(positional.items[1], private_port) != 0 &&
			    !(strchr(positional.items[1], '/') == NULL &&
			      strncmp(private_port, positional.items[1], strlen(positional.items[1])) == 0 &&
			      private_port[strlen(positional.items[1])] == '/'))
				continue;
			found = true;
			if (positional.count > 1)
				printf("%s:%u\n", p->host_address, p->host_port);
			else
				printf("%s -> %s:%u\n", private_port, p->host_address, p->host_port);
		}
	containerv_network_endpoints_free(endpoints, count);
	if (positional.count > 1 && !found)
		return cli_fail(EXIT_CONTAINER_FAILURE, "no public port '%s' published for %s", positional.items[1],
		                positional.items[0]);
	return 0;
}

static const struct subcommand network_commands[] = {
        {"connect", network_connect, "Connect a running container to a network"},
        {"create", network_create, "Create a network"},
        {"disconnect", network_disconnect, "Disconnect a container from a network"},
        {"inspect", network_inspect, "Display detailed information on one or more networks"},
        {"ls", network_ls, "List networks"},
        {"prune", network_prune, "Remove all unused networks"},
        {"rm", network_rm, "Remove one or more networks"},
};

int cmd_network(int argc, char **argv)
{
	return subcommand_dispatch("network", "Manage networks", network_commands,
	                           sizeof network_commands / sizeof *network_commands, argc, argv);
}
