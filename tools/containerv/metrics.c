/*
 * metrics: the library's Prometheus metrics (metrics.h), printed once or served over HTTP.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "flags.h"
#include "output.h"

static struct {
	const char *listen;
} flags;

/* "PORT" or "ADDRESS:PORT" (IPv4); a bare port listens on 127.0.0.1 only. */
static int parse_listen(const char *text, char *address, size_t size, unsigned int *port)
{
	const char *colon = strrchr(text, ':');
	const char *digits = colon != NULL ? colon + 1 : text;
	char *end;
	unsigned long value = strtoul(digits, &end, 10);

	if (*digits < '0' || *digits > '9' || *end != '\0' || value > 65535 || (colon != NULL && colon == text) ||
	    (colon != NULL && (size_t)(colon - text) >= size)) {
		return cli_fail(-1,
		                "metrics: invalid --listen %s: give PORT or ADDRESS:PORT, for example 127.0.0.1:9323",
		                text);
	}
	snprintf(address, size, "%.*s", colon != NULL ? (int)(colon - text) : 9, colon != NULL ? text : "127.0.0.1");
	*port = (unsigned int)value;
	return 0;
}

/* Serves until SIGINT or SIGTERM; the address it listens on goes to stdout first (port 0: the one chosen). */
static int serve(const char *listen)
{
	char address[64];
	unsigned int port = 0;
	struct containerv_metrics_server *server = NULL;
	sigset_t stop;
	int signal_number;

	if (parse_listen(listen, address, sizeof address, &port) < 0)
		return EXIT_CLI_ERROR;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	/* Blocked before the server's thread starts, so that it inherits the mask and sigwait alone takes them. */
	sigprocmask(SIG_BLOCK, &stop, NULL);
	if (containerv_metrics_serve(address, port, &server) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "metrics");
	if (strncmp(address, "127.", 4) != 0)
		fprintf(stderr,
		        "containerv: warning: metrics on %s are reachable from other hosts and from containers on a "
		        "bridge network, and name every container\n",
		        address);
	printf("serving metrics on http://%s:%u/metrics\n", address, containerv_metrics_server_port(server));
	fflush(stdout);
	sigwait(&stop, &signal_number);
	containerv_metrics_server_stop(server);
	return 0;
}

int cmd_metrics(int argc, char **argv)
{
	static const struct flag table[] = {
	        {"listen", 0, FLAG_STRING, &flags.listen, "[ADDRESS:]PORT",
	         "Serve the metrics over HTTP at /metrics instead of printing them once"},
	        FLAG_END,
	};
	static const struct command_spec spec = {
	        "metrics",
	        "[OPTIONS]",
	        "Print the metrics of containers and pools in the Prometheus text format",
	        table,
	        false,
	        0,
	        0,
	        "A bare PORT listens on 127.0.0.1 only. The server stops on SIGINT or SIGTERM.",
	};
	_cleanup_free_ char **words = NULL;
	char *text = NULL;
	size_t length = 0;
	struct arguments positional;
	int code = flags_parse_or_exit(&spec, argc, argv, &positional);

	if (code >= 0)
		return code;
	words = positional.items;
	if (positional.count > 0)
		return cli_fail(EXIT_CLI_ERROR, "metrics: takes no arguments, got \"%s\"", positional.items[0]);
	if (flags.listen != NULL)
		return serve(flags.listen);
	if (containerv_metrics_collect(&text, &length) < 0)
		return cli_fail_library(EXIT_CLI_ERROR, "metrics");
	fwrite(text, 1, length, stdout);
	containerv_metrics_free(text);
	return 0;
}
