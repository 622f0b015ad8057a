/*
 * lb: a load balancer in the foreground (loadbalancer.h) in front of
 * containers or addresses, until SIGINT or SIGTERM.
 *
 *	containerv lb [--algorithm A] [--udp] --listen [ADDR:]PORT BACKEND...
 *
 * BACKEND is HOST:PORT[=WEIGHT]; HOST is a numeric IPv4 address or a
 * container's name or id (its address on its first network). Everything is
 * parsed and resolved before the balancer starts.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

static struct {
	const char *algorithm;
	const char *listen;
	const char *threads;
	const char *probe_interval;
	const char *drain_grace;
	const char *udp_probe;
	const char *udp_expect;
	int udp;
} flags;

struct backend {
	const char *text; /* as given, for the state lines */
	char address[INET_ADDRSTRLEN];
	unsigned int port;
	unsigned int weight;
};

/* A whole decimal number in [minimum, maximum]; -1 otherwise ("-1", "1x", "" ...). */
static long parse_number(const char *text, long minimum, long maximum)
{
	char *end;
	long value;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	value = strtol(text, &end, 10);
	return *end == '\0' && value >= minimum && value <= maximum ? value : -1;
}

/* "PORT" or "ADDRESS:PORT" (numeric IPv4); a bare port listens on every address, as docker's -p. */
static int parse_listen(const char *text, char *address, size_t size, unsigned int *port)
{
	const char *colon = strrchr(text, ':');
	long value = parse_number(colon != NULL ? colon + 1 : text, 0, 65535);
	struct in_addr check;

	snprintf(address, size, "%.*s", colon != NULL ? (int)(colon - text) : 7, colon != NULL ? text : "0.0.0.0");
	if (value < 0 || (colon != NULL && (size_t)(colon - text) >= size) || inet_pton(AF_INET, address, &check) != 1)
		return cli_fail(
		        -1, "lb: invalid --listen \"%s\": give PORT or ADDRESS:PORT, for example 127.0.0.1:8080", text);
	*port = (unsigned int)value;
	return 0;
}

/* A container's address on its first network with one. */
static int container_address(const char *name, char *address, size_t size)
{
	_cleanup_container_ struct containerv_container *container = NULL;
	struct containerv_network_endpoint *endpoints = NULL;
	size_t count = 0;
	int found = -1;

	if (containerv_open(name, &container) < 0)
		return cli_fail_library(-1, "lb: backend %s", name);
	if (containerv_network_endpoints(container, &endpoints, &count) < 0)
		return cli_fail_library(-1, "lb: backend %s", name);
	for (size_t i = 0; i < count && found < 0; i++) {
		if (endpoints[i].address != NULL && endpoints[i].address[0] != '\0') {
			snprintf(address, size, "%s", endpoints[i].address);
			found = 0;
		}
	}
	containerv_network_endpoints_free(endpoints, count);
	if (found < 0)
		return cli_fail(
		        -1, "lb: backend %s: the container has no network address (is it running on a network?)", name);
	return 0;
}

/* HOST:PORT[=WEIGHT]. */
static int parse_backend(const char *text, struct backend *backend)
{
	char host[256];
	const char *equals = strchr(text, '='), *colon;
	size_t host_length;
	long port, weight = 1;
	char port_text[16];
	struct in_addr check;

	backend->text = text;
	if (equals != NULL) {
		weight = parse_number(equals + 1, 1, 1000000);
		if (weight < 0)
			return cli_fail(-1, "lb: backend \"%s\": the weight must be a whole number from 1 to 1000000",
			                text);
	}
	colon = memchr(text, ':', equals != NULL ? (size_t)(equals - text) : strlen(text));
	if (colon == NULL || colon == text)
		return cli_fail(-1, "lb: backend \"%s\": give HOST:PORT[=WEIGHT], for example web1:80 or 10.0.0.2:80=2",
		                text);
	host_length = (size_t)(colon - text);
	snprintf(port_text, sizeof port_text, "%.*s",
	         (int)((equals != NULL ? equals : text + strlen(text)) - colon - 1), colon + 1);
	port = parse_number(port_text, 1, 65535);
	if (port < 0 || host_length >= sizeof host)
		return cli_fail(-1, "lb: backend \"%s\": the port must be a number from 1 to 65535", text);
	snprintf(host, sizeof host, "%.*s", (int)host_length, text);
	backend->port = (unsigned int)port;
	backend->weight = (unsigned int)weight;
	if (inet_pton(AF_INET, host, &check) == 1) {
		snprintf(backend->address, sizeof backend->address, "%s", host);
		return 0;
	}
	return container_address(host, backend->address, sizeof backend->address);
}

static const char *state_name(enum containerv_lb_backend_state state)
{
	switch (state) {
	case CONTAINERV_LB_BACKEND_UP:
		return "up";
	case CONTAINERV_LB_BACKEND_DOWN:
		return "down";
	case CONTAINERV_LB_BACKEND_DRAINING:
		return "draining";
	default:
		return "removed";
	}
}

static struct backend *backends;

/* One line per state change, flushed: a supervisor or a test reads them as they come. */
static void print_state(size_t index, enum containerv_lb_backend_state state, void *user)
{
	(void)user;
	printf("backend %s (%s:%u) %s\n", backends[index].text, backends[index].address, backends[index].port,
	       state_name(state));
	fflush(stdout);
}

/* One line per backend when the balancer stops: its counters. */
static void print_counters(struct containerv_lb *lb, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct containerv_lb_backend_stats stats = {.version = CONTAINERV_LB_BACKEND_STATS_VERSION};

		struct containerv_lb_histogram connect_latency, first_byte;

		if (containerv_lb_backend_stats(lb, i, &stats) < 0 ||
		    containerv_lb_backend_histogram(lb, i, CONTAINERV_LB_LATENCY_CONNECT, &connect_latency) < 0 ||
		    containerv_lb_backend_histogram(lb, i, CONTAINERV_LB_LATENCY_FIRST_BYTE, &first_byte) < 0)
			continue;
		printf("backend %s (%s:%u) connections=%llu bytes_in=%llu bytes_out=%llu errors=%llu "
		       "connect_p50_us=%llu connect_p99_us=%llu first_byte_p50_us=%llu first_byte_p99_us=%llu\n",
		       backends[i].text, stats.address, stats.port, (unsigned long long)stats.connections,
		       (unsigned long long)stats.bytes_in, (unsigned long long)stats.bytes_out,
		       (unsigned long long)stats.errors,
		       (unsigned long long)containerv_lb_histogram_quantile(&connect_latency, 0.5),
		       (unsigned long long)containerv_lb_histogram_quantile(&connect_latency, 0.99),
		       (unsigned long long)containerv_lb_histogram_quantile(&first_byte, 0.5),
		       (unsigned long long)containerv_lb_histogram_quantile(&first_byte, 0.99));
	}
	fflush(stdout);
}

/* Many connections at once need many descriptors: the soft limit goes up to the hard one. */
static void raise_descriptor_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

static int parse_options(struct containerv_lb_options *options, char *address, size_t size)
{
	long value;

	if (flags.listen == NULL)
		return cli_fail(-1, "lb: --listen [ADDRESS:]PORT is required");
	if (parse_listen(flags.listen, address, size, &options->port) < 0)
		return -1;
	options->address = address;
	options->udp = flags.udp;
	if (flags.algorithm != NULL && containerv_lb_algorithm_parse(flags.algorithm, &options->algorithm) < 0)
		return cli_fail_library(-1, "lb: --algorithm");
	if (flags.threads != NULL) {
		if ((value = parse_number(flags.threads, 1, 256)) < 0)
			return cli_fail(-1, "lb: --threads \"%s\": a number from 1 to 256", flags.threads);
		options->threads = (unsigned int)value;
	}
	if (flags.probe_interval != NULL) {
		if ((value = parse_number(flags.probe_interval, 10, 3600000)) < 0)
			return cli_fail(-1, "lb: --probe-interval \"%s\": milliseconds from 10 to 3600000",
			                flags.probe_interval);
		options->probe_interval_ms = (unsigned int)value;
	}
	if (flags.drain_grace != NULL) {
		if ((value = parse_number(flags.drain_grace, 1, 3600000)) < 0)
			return cli_fail(-1, "lb: --drain-grace \"%s\": milliseconds from 1 to 3600000",
			                flags.drain_grace);
		options->drain_grace_ms = (unsigned int)value;
	}
	if ((flags.udp_probe != NULL || flags.udp_expect != NULL) && !flags.udp)
		return cli_fail(-1, "lb: --udp-probe and --udp-expect are for --udp");
	if (flags.udp_expect != NULL && flags.udp_probe == NULL)
		return cli_fail(-1, "lb: --udp-expect needs --udp-probe");
	if ((flags.udp_probe != NULL && strlen(flags.udp_probe) > CONTAINERV_LB_PROBE_MAX) ||
	    (flags.udp_expect != NULL && strlen(flags.udp_expect) > CONTAINERV_LB_PROBE_MAX))
		return cli_fail(-1, "lb: --udp-probe and --udp-expect take at most %d bytes", CONTAINERV_LB_PROBE_MAX);
	options->udp_probe = flags.udp_probe;
	options->udp_probe_length = flags.udp_probe != NULL ? strlen(flags.udp_probe) : 0;
	options->udp_expect = flags.udp_expect;
	options->udp_expect_length = flags.udp_expect != NULL ? strlen(flags.udp_expect) : 0;
	options->on_state = print_state;
	return 0;
}

static int serve(struct containerv_lb_options *options, size_t count)
{
	struct containerv_lb *lb = NULL;
	sigset_t stop;
	int signal_number;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	/* Blocked before the balancer's threads start, so that they inherit the mask and sigwait alone takes them. */
	sigprocmask(SIG_BLOCK, &stop, NULL);
	raise_descriptor_limit();
	if (containerv_lb_create(options, &lb) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "lb");
	for (size_t i = 0; i < count; i++) {
		if (containerv_lb_add_backend(lb, backends[i].address, backends[i].port, backends[i].weight, NULL) <
		    0) {
			containerv_lb_free(lb);
			return cli_fail_library(EXIT_CLI_ERROR, "lb: backend %s", backends[i].text);
		}
	}
	if (containerv_lb_start(lb) < 0) {
		containerv_lb_free(lb);
		return cli_fail_library(EXIT_CLI_ERROR, "lb");
	}
	printf("listening on %s:%u (%s, %s, %zu backends)\n", options->address, containerv_lb_port(lb),
	       options->udp ? "udp" : "tcp", containerv_lb_algorithm_name(options->algorithm), count);
	fflush(stdout);
	sigwait(&stop, &signal_number);
	containerv_lb_stop(lb); /* threads joined: the counters are final */
	print_counters(lb, count);
	containerv_lb_free(lb);
	return 0;
}

int cmd_lb(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"algorithm", 0, FLAG_STRING, &flags.algorithm, "NAME",
	         "round_robin (default), least_conn, weighted, ip_hash, random or power_of_two"},
	        {"listen", 0, FLAG_STRING, &flags.listen, "[ADDRESS:]PORT", "Where clients connect (required)"},
	        {"udp", 0, FLAG_BOOL, &flags.udp, NULL, "Balance UDP datagrams (per-client flows) instead of TCP"},
	        {"threads", 0, FLAG_STRING, &flags.threads, "N", "TCP relay threads (default: one per CPU)"},
	        {"probe-interval", 0, FLAG_STRING, &flags.probe_interval, "MS",
	         "Health probe interval in milliseconds (default 1000)"},
	        {"drain-grace", 0, FLAG_STRING, &flags.drain_grace, "MS",
	         "How long a removed backend's connections may go on (default 10000)"},
	        {"udp-probe", 0, FLAG_STRING, &flags.udp_probe, "TEXT",
	         "UDP: the health probe's payload (default: an empty datagram; an ICMP refusal takes a backend out)"},
	        {"udp-expect", 0, FLAG_STRING, &flags.udp_expect, "TEXT",
	         "UDP: a healthy backend's answer to the probe starts with TEXT (no answer then takes it out too)"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "lb",
	        "[OPTIONS] --listen [ADDRESS:]PORT BACKEND...",
	        "Balance connections over containers or addresses, in the foreground",
	        table,
	        false,
	        0,
	        0,
	        "BACKEND is HOST:PORT[=WEIGHT]: HOST a container's name or id (its network address) or an IPv4\n"
	        "address. One line is printed per backend state change (up, down); counters when it stops\n"
	        "(SIGINT or SIGTERM).",
	};
	struct containerv_lb_options options = CONTAINERV_LB_OPTIONS_INIT;
	_cleanup_free_ char **words = NULL;
	char address[INET_ADDRSTRLEN];
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (parse_options(&options, address, sizeof address) < 0)
		return EXIT_CLI_ERROR;
	if (positional.count == 0)
		return cli_fail(EXIT_CLI_ERROR, "lb: no backend: give at least one HOST:PORT[=WEIGHT]");
	if (positional.count > CONTAINERV_LB_MAX_BACKENDS)
		return cli_fail(EXIT_CLI_ERROR, "lb: more than %d backends", CONTAINERV_LB_MAX_BACKENDS);
	backends = calloc(positional.count, sizeof *backends);
	if (backends == NULL)
		return cli_fail(EXIT_CLI_ERROR, "lb: out of memory");
	for (size_t i = 0; i < positional.count; i++) {
		if (parse_backend(positional.items[i], &backends[i]) < 0) {
			free(backends);
			return EXIT_CLI_ERROR;
		}
	}
	code = serve(&options, positional.count);
	free(backends);
	return code;
}
