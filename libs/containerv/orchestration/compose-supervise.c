/*
 * Compose's supervision keys applied (supervise.h): a service's healthcheck
 * (test as CMD / CMD-SHELL / NONE, interval, timeout, retries, start_period,
 * start_interval, disable), restart and deploy.restart_policy become the
 * replicas' health check and restart policy, and depends_on's service_healthy
 * waits for every replica of the dependency to be healthy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-internal.h"

static int64_t duration_of(json_t *health, const char *key)
{
	long long ns = 0;
	const char *text = json_string_value(json_object_get(health, key));

	/* Validated by the loader (set_healthcheck): a bad one never gets here. */
	if (text != NULL && cv_compose_parse_duration(text, &ns) < 0)
		return 0;
	return (int64_t)ns;
}

static int apply_healthcheck(struct containerv_options *options, json_t *health)
{
	struct containerv_healthcheck check = {.version = CONTAINERV_HEALTHCHECK_VERSION};
	const char *none[] = {"NONE", NULL};
	json_t *test = json_object_get(health, "test");
	cleanup_strv char **words = NULL;
	size_t index;
	json_t *word;

	if (!json_is_object(health))
		return 0;
	if (json_is_true(json_object_get(health, "disable"))) {
		check.test = none;
		return containerv_options_set_healthcheck(options, &check);
	}
	json_array_foreach(test, index, word)
	{
		if (cv_strv_append(&words, json_string_value(word) ? json_string_value(word) : "") < 0)
			return -1;
	}
	check.test = (const char *const *)words; /* NULL: the image's test with these timings */
	check.interval_ns = duration_of(health, "interval");
	check.timeout_ns = duration_of(health, "timeout");
	check.start_period_ns = duration_of(health, "start_period");
	check.start_interval_ns = duration_of(health, "start_interval");
	check.retries = (int)json_integer_value(json_object_get(health, "retries"));
	return containerv_options_set_healthcheck(options, &check);
}

/* deploy.restart_policy.condition: none, on-failure (with max_attempts) or any. */
static int apply_deploy_restart(struct containerv_options *options, json_t *policy)
{
	const char *condition = json_string_value(json_object_get(policy, "condition"));
	int attempts = (int)json_integer_value(json_object_get(policy, "max_attempts"));

	if (condition == NULL || strcmp(condition, "any") == 0)
		return containerv_options_set_restart_policy(options, CV_RESTART_ALWAYS, 0);
	if (strcmp(condition, "on-failure") == 0)
		return containerv_options_set_restart_policy(options, CV_RESTART_ON_FAILURE,
		                                             attempts > 0 ? attempts : 0);
	if (strcmp(condition, "none") == 0)
		return containerv_options_set_restart_policy(options, CV_RESTART_NO, 0);
	return cv_error_errno(EINVAL, "deploy.restart_policy.condition: none, on-failure or any");
}

int cv_compose_apply_supervision(struct containerv_options *options, json_t *service)
{
	const char *restart = json_string_value(json_object_get(service, "restart"));
	json_t *policy = json_object_get(json_object_get(service, "deploy"), "restart_policy");

	if (apply_healthcheck(options, json_object_get(service, "healthcheck")) < 0)
		return cv_error_prefix("healthcheck");
	/* restart wins over deploy.restart_policy, as docker compose's. */
	if (restart != NULL) {
		enum containerv_restart_policy parsed;
		int max_retries;
		if (containerv_restart_policy_parse(restart, &parsed, &max_retries) < 0 ||
		    containerv_options_set_restart_policy(options, parsed, max_retries) < 0)
			return cv_error_prefix("restart");
	} else if (json_is_object(policy) && apply_deploy_restart(options, policy) < 0) {
		return -1;
	}
	return 0;
}

int cv_compose_wait_healthy(const char *project, const char *name, const char *dependency, json_t *service,
                            int timeout_seconds)
{
	json_t *count = json_object_get(json_object_get(service, "deploy"), "replicas");
	const char *container_name = json_string_value(json_object_get(service, "container_name"));
	int replicas = count != NULL ? (int)json_integer_value(count) : 1;

	for (int number = 1; number <= replicas; number++) {
		struct containerv_container *container = NULL;
		char replica[256];
		if (container_name != NULL)
			snprintf(replica, sizeof replica, "%s", container_name);
		else
			snprintf(replica, sizeof replica, "%s-%s-%d", project, dependency, number);
		if (containerv_open(replica, &container) < 0)
			return cv_error_prefix("%s depends on %s", name, dependency);
		int ret = containerv_wait_healthy(container, timeout_seconds * 1000);
		int saved = errno;
		containerv_close(container);
		if (ret == 0)
			continue;
		if (saved == EHOSTDOWN)
			return name != NULL ? cv_error_errno(EHOSTDOWN,
			                                     "dependency failed to start: container %s is unhealthy "
			                                     "(%s depends on %s)",
			                                     replica, name, dependency)
			                    : cv_error_errno(EHOSTDOWN, "container %s is unhealthy", replica);
		if (saved == ETIMEDOUT)
			return cv_error_code(CONTAINERV_E_TIMEOUT, ETIMEDOUT,
			                     "%s%s%s: %s did not become healthy within %d s", name != NULL ? name : "",
			                     name != NULL ? " depends on " : "", dependency, replica, timeout_seconds);
		return name != NULL ? cv_error_prefix("%s depends on %s", name, dependency) : -1;
	}
	return 0;
}

int containerv_compose_wait(const struct containerv_compose *app, const char *const *services, int timeout_seconds)
{
	json_t *model_services;

	cv_error_clear();
	if (app == NULL)
		return cv_error_errno(EINVAL, "compose wait: no app");
	if (timeout_seconds <= 0)
		timeout_seconds = 300;
	model_services = json_object_get(app->model, "services");
	for (size_t i = 0; services != NULL ? services[i] != NULL : app->service_order[i] != NULL; i++) {
		const char *name = services != NULL ? services[i] : app->service_order[i];
		json_t *service = json_object_get(model_services, name);
		if (service == NULL)
			return cv_error_errno(ENOENT, "no such service: %s", name);
		if (cv_compose_wait_healthy(app->project, NULL, name, service, timeout_seconds) < 0)
			return -1;
	}
	return 0;
}
