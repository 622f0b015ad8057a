/*
 * What the supervisor records, as docker shows it: inspect's State.Health,
 * RestartCount, HostConfig.RestartPolicy and Config.Healthcheck, and ps's
 * "Up 3 seconds (healthy)".
 */
#include <stdio.h>
#include <string.h>

#include <chef/containerv.h>
#include <jansson.h>

#include "cli.h"
#include "output.h"
#include "supervise-flags.h"

static json_t *health_log(const struct containerv_supervision *s)
{
	json_t *log = json_array();

	for (size_t i = 0; i < s->log_count; i++) {
		char start[64], end[64];
		format_rfc3339nano(s->log[i].start_ns, start, sizeof start);
		format_rfc3339nano(s->log[i].end_ns, end, sizeof end);
		json_array_append_new(log, json_pack("{s:s,s:s,s:i,s:s}", "Start", start, "End", end, "ExitCode",
		                                     s->log[i].exit_code, "Output", s->log[i].output));
	}
	return log;
}

void cli_add_supervision(struct containerv_container *container, json_t *object)
{
	struct containerv_supervision s = {.version = CONTAINERV_SUPERVISION_VERSION};
	json_t *state = json_object_get(object, "State");
	json_t *host_config = json_object_get(object, "HostConfig");
	json_t *config = json_object_get(object, "Config");

	if (containerv_supervision_inspect(container, &s) < 0)
		return;
	json_object_set_new(object, "RestartCount", json_integer(s.restart_count));
	if (json_is_object(host_config))
		json_object_set_new(host_config, "RestartPolicy",
		                    json_pack("{s:s,s:i}", "Name", containerv_restart_policy_name(s.restart_policy),
		                              "MaximumRetryCount", s.restart_max_retries));
	if (!s.has_healthcheck)
		return;
	if (json_is_object(state))
		json_object_set_new(state, "Health",
		                    json_pack("{s:s,s:i,s:o}", "Status", containerv_health_status_name(s.health),
		                              "FailingStreak", s.failing_streak, "Log", health_log(&s)));
	if (json_is_object(config))
		json_object_set_new(config, "Healthcheck",
		                    json_pack("{s:s,s:I,s:I,s:I,s:I,s:i}", "Test", s.healthcheck.test, "Interval",
		                              (json_int_t)s.healthcheck.interval_ns, "Timeout",
		                              (json_int_t)s.healthcheck.timeout_ns, "StartPeriod",
		                              (json_int_t)s.healthcheck.start_period_ns, "StartInterval",
		                              (json_int_t)s.healthcheck.start_interval_ns, "Retries",
		                              s.healthcheck.retries));
}

void cli_health_suffix(const char *id, char *buffer, size_t size)
{
	struct containerv_container *container = NULL;
	struct containerv_supervision s = {.version = CONTAINERV_SUPERVISION_VERSION};

	buffer[0] = '\0';
	if (containerv_open(id, &container) < 0)
		return;
	if (containerv_supervision_inspect(container, &s) == 0 && s.has_healthcheck)
		snprintf(buffer, size, " (%s)",
		         s.health == CV_HEALTH_STARTING ? "health: starting" : containerv_health_status_name(s.health));
	containerv_close(container);
}
