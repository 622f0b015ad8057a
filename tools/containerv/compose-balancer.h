/* compose ps's balancer table (compose-balancer.c). */
#ifndef CONTAINERV_CLI_COMPOSE_BALANCER_H
#define CONTAINERV_CLI_COMPOSE_BALANCER_H

/* Prints a project's balanced ports and each backend's counters after a blank line; nothing when it has none. */
void compose_print_balancers(const char *project);

#endif
