/*
 * nftables rules as nft command text run through libnftables, each change
 * one transaction ("add table; delete table; table {...}" replaces a table
 * atomically, whether or not it existed).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "platform/linux/nft.h"

void cv_nft_network_table(const struct cv_network *network, char name[32])
{
	snprintf(name, 32, "cvn_%.10s", network->id);
}

/*
 * libnftables is loaded on first use: it brings libnftnl, libxtables and
 * libgmp along, ~0.4 ms of loading for every program linked with us, while
 * only network changes need it.
 */
static struct {
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	int (*buffer_output)(struct nft_ctx *context);
	int (*buffer_error)(struct nft_ctx *context);
	int (*run_cmd_from_buffer)(struct nft_ctx *context, const char *buffer);
	const char *(*get_error_buffer)(struct nft_ctx *context);
	void (*ctx_free)(struct nft_ctx *context);
	bool loaded;
} nft;
static pthread_once_t nft_once = PTHREAD_ONCE_INIT;

static void load_nftables(void)
{
	void *library = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);

	if (library == NULL)
		return;
	*(void **)&nft.ctx_new = dlsym(library, "nft_ctx_new");
	*(void **)&nft.buffer_output = dlsym(library, "nft_ctx_buffer_output");
	*(void **)&nft.buffer_error = dlsym(library, "nft_ctx_buffer_error");
	*(void **)&nft.run_cmd_from_buffer = dlsym(library, "nft_run_cmd_from_buffer");
	*(void **)&nft.get_error_buffer = dlsym(library, "nft_ctx_get_error_buffer");
	*(void **)&nft.ctx_free = dlsym(library, "nft_ctx_free");
	nft.loaded = nft.ctx_new && nft.buffer_output && nft.buffer_error && nft.run_cmd_from_buffer &&
	             nft.get_error_buffer && nft.ctx_free;
}

/* Runs commands; the error names what and quotes nft's first error line. */
static int run_commands(const char *what, const char *commands, bool quiet)
{
	struct nft_ctx *context;
	int ret;

	pthread_once(&nft_once, load_nftables);
	if (!nft.loaded)
		return cv_error_errno(ENOSYS, "%s: cannot load libnftables.so.1 (install libnftables1)", what);
	context = nft.ctx_new(NFT_CTX_DEFAULT);
	if (context == NULL)
		return cv_error_errno(ENOMEM, "%s: cannot create an nftables context", what);
	nft.buffer_output(context);
	nft.buffer_error(context);
	ret = nft.run_cmd_from_buffer(context, commands);
	if (ret != 0 && !quiet) {
		const char *error = nft.get_error_buffer(context);
		char line[256] = "";
		if (error != NULL)
			sscanf(error, "%255[^\n]", line);
		nft.ctx_free(context);
		return cv_error_errno(EIO, "%s: nftables: %s", what, line[0] ? line : "failed");
	}
	nft.ctx_free(context);
	return ret == 0 ? 0 : -1;
}

int cv_nft_network_up(const struct cv_network *network)
{
	char table[32], subnet[20], what[128];
	cleanup_free char *commands = NULL;
	const char *bridge = network->bridge;

	cv_nft_network_table(network, table);
	cv_subnet_format(&network->subnet, subnet);
	snprintf(what, sizeof what, "network %s", network->name);
	/*
	 * postrouting: the subnet's traffic leaving by another interface is masqueraded; so is
	 * traffic from 127.0.0.0/8 to the bridge (the host reaching a published port on 127.0.0.1,
	 * allowed by route_localnet on the bridge), and a container's reaching a published port of
	 * the host that leads back into the bridge (hairpin), so that replies come back through us.
	 * forward: into the bridge only replies and published ports (DNAT): other networks'
	 * containers cannot reach this one's.
	 * localnet: route_localnet would also let a container send to the host's 127.0.0.0/8
	 * (reaching services bound to loopback, CVE-2020-8558); such packets are dropped before
	 * conntrack (replies to the host's masqueraded loopback connections arrive addressed to
	 * the bridge, and are rewritten to 127.0.0.1 only later).
	 * prerouting/output: published ports, one map element per port (its comment names the
	 * container), so that publishing adds elements instead of hooking chains (each hook
	 * registration waits for an RCU grace period: ~10 ms).
	 */
	if (cv_asprintf(&commands,
	                "add table ip %1$s\n"
	                "delete table ip %1$s\n"
	                "table ip %1$s {\n"
	                " chain postrouting {\n"
	                "  type nat hook postrouting priority srcnat; policy accept;\n"
	                "  ip saddr %2$s oifname != \"%3$s\" masquerade\n"
	                "  ip saddr 127.0.0.0/8 oifname \"%3$s\" masquerade\n"
	                "  ip saddr %2$s oifname \"%3$s\" ct status dnat masquerade\n"
	                " }\n"
	                " chain forward {\n"
	                "  type filter hook forward priority filter; policy accept;\n"
	                "  oifname \"%3$s\" ct state established,related accept\n"
	                "  oifname \"%3$s\" ct status dnat accept\n"
	                "  oifname \"%3$s\" iifname != \"%3$s\" drop\n"
	                " }\n"
	                " chain localnet {\n"
	                "  type filter hook prerouting priority raw; policy accept;\n"
	                "  iifname \"%3$s\" ip daddr 127.0.0.0/8 drop\n"
	                " }\n"
	                " map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	                " map ports_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	                " chain prerouting {\n"
	                "  type nat hook prerouting priority dstnat; policy accept;\n"
	                "  dnat ip to ip daddr . meta l4proto . th dport map @ports_addr\n"
	                "  fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n"
	                " }\n"
	                " chain output {\n"
	                "  type nat hook output priority -100; policy accept;\n"
	                "  dnat ip to ip daddr . meta l4proto . th dport map @ports_addr\n"
	                "  fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n"
	                " }\n"
	                "}\n",
	                table, subnet, bridge) < 0)
		return -1;
	return run_commands(what, commands, false);
}

static int append(char **text, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int append(char **text, const char *format, ...)
{
	va_list arguments;
	char *more = NULL, *joined = NULL;
	int n;

	va_start(arguments, format);
	n = vasprintf(&more, format, arguments);
	va_end(arguments);
	if (n < 0)
		return cv_error_errno(ENOMEM, "out of memory");
	n = asprintf(&joined, "%s%s", *text ? *text : "", more);
	free(more);
	if (n < 0)
		return cv_error_errno(ENOMEM, "out of memory");
	free(*text);
	*text = joined;
	return 0;
}

/* "[A . ]proto . port" of a published port: its key in ports_addr (A) or ports_any. */
static void port_key(const struct cv_port *port, char *buffer, size_t size)
{
	const char *protocol = port->protocol == CV_PROTOCOL_UDP ? "udp" : "tcp";
	char host[16];

	if (port->host_address != 0) {
		cv_address_format(port->host_address, host);
		snprintf(buffer, size, "ports_addr { %s . %s . %u", host, protocol, port->host_port);
	} else {
		snprintf(buffer, size, "ports_any { %s . %u", protocol, port->host_port);
	}
}

int cv_nft_ports_up(const struct cv_network *network, const char *container_id, uint32_t address,
                    const struct cv_port *ports, size_t count)
{
	char table[32], target[16], key[80], what[64];
	cleanup_free char *commands = NULL;

	cv_nft_network_table(network, table);
	cv_address_format(address, target);
	snprintf(what, sizeof what, "publish the ports of %.12s", container_id);
	/* "create": a key another container holds is an error, not a silent keep. One transaction. */
	for (size_t i = 0; i < count; i++) {
		port_key(&ports[i], key, sizeof key);
		if (append(&commands, "create element ip %s %s comment \"cvc_%.12s\" : %s . %u }\n", table, key,
		           container_id, target, ports[i].container_port) < 0)
			return -1;
	}
	return commands == NULL ? 0 : run_commands(what, commands, false);
}

void cv_nft_ports_down(const struct cv_network *network, uint32_t address, const struct cv_port *ports, size_t count)
{
	char table[32], key[80], target[16];
	cleanup_free char *commands = NULL;

	cv_nft_network_table(network, table);
	cv_address_format(address, target);
	/*
	 * "add" (of the same value: a different one is refused) first: deleting an element that is
	 * not there would fail the whole transaction.
	 */
	for (size_t i = 0; i < count; i++) {
		port_key(&ports[i], key, sizeof key);
		if (append(&commands, "add element ip %1$s %2$s : %3$s . %4$u }\ndelete element ip %1$s %2$s }\n",
		           table, key, target, ports[i].container_port) < 0)
			return;
	}
	if (commands != NULL)
		run_commands(table, commands, true);
	cv_error_clear();
}

void cv_nft_table_delete(const char *name)
{
	char commands[96];

	/* "add" first: deleting a table that is not there would fail the transaction. */
	snprintf(commands, sizeof commands, "add table ip %1$s\ndelete table ip %1$s\n", name);
	run_commands(name, commands, true);
	cv_error_clear();
}
