/*
 * compose ps, table format: after the containers, the project's balanced
 * ports (containerv_compose_lb_status()), one line per backend with its
 * state, connections, errors and latency quantiles.
 */
#include <stdio.h>

#include "cli.h"
#include "compose-balancer.h"

static const char *state_name(enum containerv_lb_backend_state state)
{
	static const char *const names[] = {"up", "down", "draining", "removed"};

	return (unsigned int)state < 4 ? names[state] : "?";
}

static int print_backend(const struct containerv_compose_lb_backend *backend, void *user)
{
	int *printed = user;
	char where[40], listen[80];

	if (!*printed)
		printf("\n%-32s %-12s %-24s %-21s %-8s %7s %6s %6s %10s %10s\n", "BALANCER", "ALGORITHM", "BACKEND",
		       "ADDRESS", "STATE", "CONNS", "ACTIVE", "ERRORS", "FIRST_P50", "FIRST_P99");
	*printed = 1;
	snprintf(listen, sizeof listen, "%s %s", backend->service, backend->listen);
	snprintf(where, sizeof where, "%s:%u", backend->stats.address, backend->stats.port);
	printf("%-32s %-12s %-24s %-21s %-8s %7llu %6llu %6llu %8lluus %8lluus\n", listen, backend->algorithm,
	       backend->container, where, state_name(backend->stats.state),
	       (unsigned long long)backend->stats.connections, (unsigned long long)backend->stats.active,
	       (unsigned long long)backend->stats.errors,
	       (unsigned long long)containerv_lb_histogram_quantile(&backend->first_byte, 0.5),
	       (unsigned long long)containerv_lb_histogram_quantile(&backend->first_byte, 0.99));
	return 0;
}

void compose_print_balancers(const char *project)
{
	int printed = 0;

	if (containerv_compose_lb_status(project, print_backend, &printed) < 0)
		return; /* none running: nothing to show */
}
