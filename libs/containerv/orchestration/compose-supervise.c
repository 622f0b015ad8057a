/*
 * Compose's supervision keys applied (supervise.h): a service's healthcheck
 * (test as CMD / CMD-SHELL / NONE, interval, timeout, retries, start_period,
 * start_interval, disable), containerv's probes (x-containerv.healthcheck:
 * {http: URL, expect_status: N, body: TEXT} or {tcp: PORT}, the test, with
 * healthcheck's timings), restart and deploy.restart_policy (condition,
 * max_attempts, delay, window) become the
 * replicas' health check and restart policy, and depends_on's service_healthy
 * waits for every replica of the dependency to be healthy.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* A whole number from an integer or a string of digits (interpolated values are strings); -1 otherwise. */
static long long whole_number(json_t *value)
{
	const char *text = json_string_value(value);
	char *end;

	if (json_is_integer(value))
		return json_integer_value(value);
	if (text == NULL || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	long long number = strtoll(text, &end, 10);
	return *end == '\0' && errno == 0 ? number : -1;
}

/*
 * x-containerv.healthcheck as the library's test: {http: URL, expect_status: N, body: TEXT} becomes
 * {"HTTP", URL, "status=N", "body=TEXT"}, {tcp: PORT} {"TCP", "PORT"}. The words are made in words.
 */
static int probe_test(json_t *probe, char ***words)
{
	const char *url = json_string_value(json_object_get(probe, "http"));
	json_t *tcp = json_object_get(probe, "tcp"), *status = json_object_get(probe, "expect_status");
	const char *body = json_string_value(json_object_get(probe, "body"));
	char text[1100];

	if (tcp != NULL) {
		snprintf(text, sizeof text, "%lld", whole_number(tcp));
		return cv_strv_append(words, "TCP") < 0 || cv_strv_append(words, text) < 0 ? -1 : 0;
	}
	if (cv_strv_append(words, "HTTP") < 0 || cv_strv_append(words, url != NULL ? url : "") < 0)
		return -1;
	if (status != NULL) {
		snprintf(text, sizeof text, "status=%lld", whole_number(status));
		if (cv_strv_append(words, text) < 0)
			return -1;
	}
	if (body != NULL) {
		snprintf(text, sizeof text, "body=%s", body);
		if (cv_strv_append(words, text) < 0)
			return -1;
	}
	return 0;
}

static int apply_healthcheck(struct containerv_options *options, json_t *health, json_t *probe)
{
	struct containerv_healthcheck check = {.version = CONTAINERV_HEALTHCHECK_VERSION};
	const char *none[] = {"NONE", NULL};
	json_t *test = json_object_get(health, "test");
	cleanup_strv char **words = NULL;
	size_t index;
	json_t *word;

	if (!json_is_object(health) && probe == NULL)
		return 0;
	if (json_is_true(json_object_get(health, "disable"))) {
		check.test = none;
		return containerv_options_set_healthcheck(options, &check);
	}
	if (probe != NULL) {
		if (probe_test(probe, &words) < 0)
			return -1;
	} else {
		json_array_foreach(test, index, word)
		{
			if (cv_strv_append(&words, json_string_value(word) ? json_string_value(word) : "") < 0)
				return -1;
		}
	}
	check.test = (const char *const *)words; /* NULL: the image's test with these timings */
	check.interval_ns = duration_of(health, "interval");
	check.timeout_ns = duration_of(health, "timeout");
	check.start_period_ns = duration_of(health, "start_period");
	check.start_interval_ns = duration_of(health, "start_interval");
	check.retries = (int)json_integer_value(json_object_get(health, "retries"));
	return containerv_options_set_healthcheck(options, &check);
}

int cv_compose_check_health_extension(struct cv_compose_loader *loader, const char *name, json_t *service,
                                      json_t *probe)
{
	json_t *extensions = json_object_get(service, "x-containerv"),
	       *health = json_object_get(service, "healthcheck");
	char path[300], key_path[400];
	const char *key;
	json_t *value;

	snprintf(path, sizeof path, "services.%s.x-containerv.healthcheck", name);
	if (!json_is_object(probe))
		return cv_compose_fail(loader, extensions, "healthcheck", path,
		                       "must be a mapping ({http: URL, expect_status: N, body: TEXT} or {tcp: PORT})");
	json_object_foreach(probe, key, value)
	{
		snprintf(key_path, sizeof key_path, "%s.%.100s", path, key);
		if (strcmp(key, "http") == 0 || strcmp(key, "body") == 0) {
			if (!json_is_string(value))
				return cv_compose_fail(loader, probe, key, key_path, "must be a string");
		} else if (strcmp(key, "tcp") == 0 || strcmp(key, "expect_status") == 0) {
			long long number = whole_number(value);
			bool port = key[0] == 't';
			if (port ? number < 1 || number > 65535 : number < 100 || number > 599)
				return cv_compose_fail(loader, probe, key, key_path, "%s",
				                       port ? "must be a port (1 to 65535)"
				                            : "must be an HTTP status (100 to 599)");
			json_object_set_new(probe, key, json_integer(number));
		} else {
			return cv_compose_fail(loader, probe, key, key_path,
			                       "unknown key (http, expect_status, body, tcp)");
		}
	}
	bool http = json_object_get(probe, "http") != NULL, tcp = json_object_get(probe, "tcp") != NULL;
	if (http == tcp)
		return cv_compose_fail(loader, extensions, "healthcheck", path, "needs one of http and tcp");
	if (tcp && (json_object_get(probe, "expect_status") != NULL || json_object_get(probe, "body") != NULL))
		return cv_compose_fail(loader, extensions, "healthcheck", path, "expect_status and body go with http");
	if (json_object_get(health, "test") != NULL || json_is_true(json_object_get(health, "disable")))
		return cv_compose_fail(loader, extensions, "healthcheck", path,
		                       "conflicts with healthcheck.%s (the probe is the test; healthcheck gives "
		                       "its interval, timeout, retries)",
		                       json_object_get(health, "test") != NULL ? "test" : "disable");
	/* The rest (the URL's form, the status's range, the port's) the library checks, as it will at up. */
	struct containerv_options *scratch = NULL;
	cleanup_strv char **words = NULL;
	struct containerv_healthcheck check = {.version = CONTAINERV_HEALTHCHECK_VERSION};
	if (containerv_options_new(&scratch) < 0 || probe_test(probe, &words) < 0) {
		containerv_options_delete(scratch);
		return -1;
	}
	check.test = (const char *const *)words;
	int ret = containerv_options_set_healthcheck(scratch, &check);
	containerv_options_delete(scratch);
	if (ret < 0) {
		const char *reason = containerv_last_error();
		const char *colon = strncmp(reason, "healthcheck: ", 13) == 0 ? reason + 13 : reason;
		char copy[512];
		snprintf(copy, sizeof copy, "%s", colon);
		return cv_compose_fail(loader, extensions, "healthcheck", path, "%s", copy);
	}
	return 0;
}

/* deploy.restart_policy.condition: none, on-failure or any (the last two with max_attempts, 0: no limit). */
static int apply_deploy_restart(struct containerv_options *options, json_t *policy)
{
	const char *condition = json_string_value(json_object_get(policy, "condition"));
	int attempts = (int)json_integer_value(json_object_get(policy, "max_attempts"));

	if (attempts < 0)
		attempts = 0;
	if (condition == NULL || strcmp(condition, "any") == 0)
		return containerv_options_set_restart_policy(options, CV_RESTART_ALWAYS, attempts);
	if (strcmp(condition, "on-failure") == 0)
		return containerv_options_set_restart_policy(options, CV_RESTART_ON_FAILURE, attempts);
	if (strcmp(condition, "none") == 0)
		return containerv_options_set_restart_policy(options, CV_RESTART_NO, 0);
	return cv_error_errno(EINVAL, "deploy.restart_policy.condition: none, on-failure or any");
}

int cv_compose_apply_supervision(struct containerv_options *options, json_t *service)
{
	const char *restart = json_string_value(json_object_get(service, "restart"));
	json_t *policy = json_object_get(json_object_get(service, "deploy"), "restart_policy");

	json_t *probe = json_object_get(json_object_get(service, "x-containerv"), "healthcheck");

	if (apply_healthcheck(options, json_object_get(service, "healthcheck"), probe) < 0)
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
	/* delay and window apply to the policy, whichever key gave it. */
	if (json_is_object(policy) && containerv_options_set_restart_timing(options, duration_of(policy, "delay"),
	                                                                    duration_of(policy, "window")) < 0)
		return cv_error_prefix("deploy.restart_policy");
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
