/*
 * Internal: the health checks' HTTP and TCP probes (core/health-probe.c), run by the supervisor
 * (core/supervise.c) from the container's network namespace.
 */
#ifndef CV_CORE_HEALTH_PROBE_H
#define CV_CORE_HEALTH_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <chef/containerv/supervise.h>

#include "core/container.h"

/* Whether test is one of the probes ({"HTTP", url, ...} or {"TCP", port}) rather than a process. */
bool cv_health_is_probe(char *const *test);

/*
 * Runs the probe test (validated) against the running container, within timeout_ns. result: exit_code 0
 * healthy, 1 not (output says why), -1 timed out; start and end times. Never fails otherwise.
 */
void cv_health_probe(struct containerv_container *container, char *const *test, int64_t timeout_ns,
                     struct containerv_health_result *result);

#endif
