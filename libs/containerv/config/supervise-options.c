/*
 * The supervision part of a container's configuration: its health check (its
 * own, and its image's Healthcheck), its restart policy, their setters, their
 * validation and their place in config.json. Durations are kept in
 * nanoseconds, as docker's image config and API keep them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <chef/containerv/supervise.h>

#include "common/error.h"
#include "common/util.h"
#include "config/options.h"

/* A check's output, retries and durations: bounded so that a hostile image cannot make a supervisor spin. */
#define HEALTH_RETRIES_MAX 1000000
#define HEALTH_DURATION_MAX (INT64_C(86400) * 365 * 1000000000)
#define HEALTH_DURATION_MIN INT64_C(1000000) /* docker: at least 1 ms */

int containerv_parse_duration(const char *text, int64_t *ns)
{
	static const struct {
		const char *name;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 6e10}, {"h", 3.6e12}};
	double total = 0;
	const char *p = text;

	cv_error_clear();
	if (text == NULL || ns == NULL || *text == '\0')
		return cv_error_errno(EINVAL, "a duration is required");
	while (*p != '\0') {
		char *end;
		errno = 0;
		double number = strtod(p, &end);
		if (end == p || errno != 0 || number < 0 || *p == '-' || *p == '+')
			return cv_error_errno(EINVAL, "invalid duration \"%s\" (expected 10s, 1m30s, 500ms ...)", text);
		size_t length = strspn(end, "abcdefghijklmnopqrstuvwxyz");
		double unit = length == 0 && end[0] == '\0' && p == text ? 1e9 : 0; /* a bare number: seconds */
		for (size_t i = 0; i < sizeof units / sizeof *units; i++)
			if (length == strlen(units[i].name) && strncmp(end, units[i].name, length) == 0)
				unit = units[i].ns;
		if (unit == 0)
			return cv_error_errno(EINVAL, "invalid duration \"%s\" (expected 10s, 1m30s, 500ms ...)", text);
		total += number * unit;
		if (total > 9e18)
			return cv_error_errno(EINVAL, "duration \"%s\" is too long", text);
		p = end + length;
	}
	*ns = (int64_t)total;
	return 0;
}

int cv_health_port_parse(const char *text, uint16_t *port)
{
	char *end;
	long value;

	errno = 0;
	value = text != NULL && text[0] >= '0' && text[0] <= '9' ? strtol(text, &end, 10) : -1;
	if (value < 1 || value > 65535 || errno != 0 || *end != '\0')
		return cv_error_errno(EINVAL, "invalid port \"%s\" (1 to 65535)", text != NULL ? text : "");
	*port = (uint16_t)value;
	return 0;
}

/*
 * http://[ADDRESS][:PORT][/PATH]: an address literal (IPv4, or IPv6 in brackets) or nothing (the container's
 * loopback); never a name, which would need a resolver where the probe runs. The path is sent as it is:
 * printable ASCII without spaces.
 */
int cv_health_http_parse(const char *url, struct cv_health_http *http)
{
	const char *authority, *end, *port;
	size_t host_length;

	memset(http, 0, sizeof *http);
	if (url == NULL || strncmp(url, "http://", 7) != 0)
		return cv_error_errno(EINVAL, "only http:// URLs are probed");
	authority = url + 7;
	end = authority + strcspn(authority, "/?#");
	if (*end == '#')
		return cv_error_errno(EINVAL, "a URL fragment is not sent");
	port = NULL;
	if (authority[0] == '[') {
		const char *close = memchr(authority, ']', (size_t)(end - authority));
		if (close == NULL)
			return cv_error_errno(EINVAL, "an unclosed [ in the address");
		host_length = (size_t)(close - authority - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close + 1 != end)
			return cv_error_errno(EINVAL, "unexpected text after the address");
		authority++;
	} else {
		const char *colon = memchr(authority, ':', (size_t)(end - authority));
		host_length = (size_t)((colon != NULL ? colon : end) - authority);
		if (colon != NULL)
			port = colon + 1;
	}
	if (host_length >= sizeof http->host)
		return cv_error_errno(EINVAL, "the address is too long");
	memcpy(http->host, authority, host_length);
	http->host[host_length] = '\0';
	if (http->host[0] == '\0') {
		snprintf(http->host, sizeof http->host, "127.0.0.1");
	} else {
		unsigned char address[16];
		http->ipv6 = strchr(http->host, ':') != NULL;
		if (inet_pton(http->ipv6 ? AF_INET6 : AF_INET, http->host, address) != 1)
			return cv_error_errno(EINVAL, "\"%s\" is not an address (names are not resolved)", http->host);
	}
	http->port = 80;
	if (port != NULL) {
		char digits[8];
		size_t length = (size_t)(end - port);
		if (length == 0 || length >= sizeof digits)
			return cv_error_errno(EINVAL, "invalid port");
		memcpy(digits, port, length);
		digits[length] = '\0';
		if (cv_health_port_parse(digits, &http->port) < 0)
			return -1;
	}
	if (strlen(end) >= sizeof http->path - 1)
		return cv_error_errno(EINVAL, "the path is too long");
	for (const char *p = end; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return cv_error_errno(EINVAL,
			                      "the path has a space or a character that is not printable ASCII");
	snprintf(http->path, sizeof http->path, "%s%s", end[0] == '/' ? "" : "/", end);
	return 0;
}

void cv_health_config_clear(struct cv_health_config *health)
{
	cv_strv_free(health->test);
	memset(health, 0, sizeof *health);
}

/* "status=N" (100 to 599) and "body=TEXT" after an HTTP test's URL, each at most once. */
static int check_http_words(char *const *words, const char *what)
{
	bool status = false, body = false;

	for (size_t i = 0; words[i] != NULL; i++) {
		if (strncmp(words[i], "status=", 7) == 0 && !status) {
			char *end;
			errno = 0;
			long code = strtol(words[i] + 7, &end, 10);
			if (words[i][7] == '\0' || *end != '\0' || errno != 0 || code < 100 || code > 599)
				return cv_error_errno(EINVAL, "%s: HTTP status must be a number from 100 to 599", what);
			status = true;
		} else if (strncmp(words[i], "body=", 5) == 0 && !body) {
			size_t length = strlen(words[i] + 5);
			if (length == 0 || length > CV_HEALTH_BODY_MAX)
				return cv_error_errno(EINVAL, "%s: HTTP body match must be 1 to %d bytes", what,
				                      CV_HEALTH_BODY_MAX);
			body = true;
		} else {
			return cv_error_errno(
			        EINVAL, "%s: HTTP takes a URL, then status=N and body=TEXT at most once each", what);
		}
	}
	return 0;
}

/*
 * The tests: docker's (CMD, CMD-SHELL, NONE), and with probes containerv's own, run by the supervisor from
 * the container's network namespace (core/health-probe.c): {"HTTP", URL, ["status=N"], ["body=TEXT"]} and
 * {"TCP", PORT}. An image's Healthcheck has docker's only (probes false): what runs host code is the user's
 * choice, never an image's.
 */
static int check_test(char *const *test, const char *what, bool probes)
{
	size_t count = cv_strv_length(test);

	if (count == 0)
		return cv_error_errno(EINVAL, "%s: an empty test", what);
	if (strcmp(test[0], "NONE") == 0)
		return count == 1 ? 0 : cv_error_errno(EINVAL, "%s: NONE takes no command", what);
	if (strcmp(test[0], "CMD") == 0)
		return count >= 2 && test[1][0] != '\0' ? 0 : cv_error_errno(EINVAL, "%s: CMD without a command", what);
	if (strcmp(test[0], "CMD-SHELL") == 0)
		return count == 2 && test[1][0] != '\0'
		               ? 0
		               : cv_error_errno(EINVAL, "%s: CMD-SHELL takes one command string", what);
	if (probes && strcmp(test[0], "HTTP") == 0) {
		struct cv_health_http http;
		char reason[256] = "none given";
		if (count >= 2 && cv_health_http_parse(test[1], &http) < 0)
			snprintf(reason, sizeof reason, "%s",
			         containerv_last_error()); /* read before it is rewritten */
		else if (count >= 2)
			return check_http_words(test + 2, what);
		return cv_error_errno(EINVAL, "%s: HTTP needs a URL http://[ADDRESS][:PORT][/PATH] (%s)", what, reason);
	}
	if (probes && strcmp(test[0], "TCP") == 0) {
		uint16_t port;
		if (count != 2 || cv_health_port_parse(test[1], &port) < 0)
			return cv_error_errno(EINVAL, "%s: TCP takes one port, from 1 to 65535", what);
		return 0;
	}
	return cv_error_errno(EINVAL, "%s: test must start with CMD, CMD-SHELL or NONE%s", what,
	                      probes ? " (or containerv's HTTP, TCP)" : "");
}

static int check_duration(int64_t value, const char *what, const char *name)
{
	if (value < 0)
		return cv_error_errno(EINVAL, "%s: %s must not be negative", what, name);
	if (value != 0 && value < HEALTH_DURATION_MIN)
		return cv_error_errno(EINVAL, "%s: %s must be at least 1ms", what, name);
	if (value > HEALTH_DURATION_MAX)
		return cv_error_errno(EINVAL, "%s: %s is too long", what, name);
	return 0;
}

static int check_health(const struct cv_health_config *health, const char *what, bool probes)
{
	if (health->test == NULL)
		return 0;
	if (check_test(health->test, what, probes) < 0 || check_duration(health->interval_ns, what, "interval") < 0 ||
	    check_duration(health->timeout_ns, what, "timeout") < 0 ||
	    check_duration(health->start_period_ns, what, "start period") < 0 ||
	    check_duration(health->start_interval_ns, what, "start interval") < 0)
		return -1;
	if (health->retries < 0 || health->retries > HEALTH_RETRIES_MAX)
		return cv_error_errno(EINVAL, "%s: retries must be between 0 and %d", what, HEALTH_RETRIES_MAX);
	return 0;
}

int containerv_options_set_healthcheck(struct containerv_options *options, const struct containerv_healthcheck *check)
{
	struct cv_health_config health = {0};

	cv_error_clear();
	if (options == NULL || check == NULL)
		return cv_error_errno(EINVAL, "healthcheck: missing argument");
	if (check->version != CONTAINERV_HEALTHCHECK_VERSION)
		return cv_error_errno(EINVAL, "healthcheck: unsupported version %u", check->version);
	/* No test: the image's, with these timings (docker's --health-interval without --health-cmd). */
	const char *const *test = check->test != NULL ? check->test : (const char *const *)options->image_health.test;
	if (test == NULL)
		return 0;
	if ((health.test = cv_strv_dup(test)) == NULL)
		return cv_error_errno(EINVAL, "healthcheck: an empty test");
	health.interval_ns = check->interval_ns;
	health.timeout_ns = check->timeout_ns;
	health.start_period_ns = check->start_period_ns;
	health.start_interval_ns = check->start_interval_ns;
	health.retries = check->retries;
	if (check_health(&health, "healthcheck", true) < 0) {
		cv_health_config_clear(&health);
		return -1;
	}
	cv_health_config_clear(&options->health);
	options->health = health;
	return 0;
}

static const char *const policy_names[] = {
        [CV_RESTART_NO] = "no",
        [CV_RESTART_ALWAYS] = "always",
        [CV_RESTART_ON_FAILURE] = "on-failure",
        [CV_RESTART_UNLESS_STOPPED] = "unless-stopped",
};

const char *containerv_restart_policy_name(enum containerv_restart_policy policy)
{
	return (unsigned int)policy < sizeof policy_names / sizeof *policy_names ? policy_names[policy] : "no";
}

const char *containerv_health_status_name(enum containerv_health_status status)
{
	switch (status) {
	case CV_HEALTH_STARTING:
		return "starting";
	case CV_HEALTH_HEALTHY:
		return "healthy";
	case CV_HEALTH_UNHEALTHY:
		return "unhealthy";
	default:
		return "none";
	}
}

int containerv_options_set_restart_policy(struct containerv_options *options, enum containerv_restart_policy policy,
                                          int max_retries)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "restart policy: no options");
	if ((unsigned int)policy >= sizeof policy_names / sizeof *policy_names)
		return cv_error_errno(EINVAL, "restart policy: unknown policy %d", (int)policy);
	if (max_retries < 0)
		return cv_error_errno(EINVAL, "restart policy: maximum retry count cannot be negative");
	/* always with a count is compose's deploy.restart_policy {condition: any, max_attempts}; docker's run
	 * refuses it (containerv_restart_policy_parse does). */
	if (max_retries > 0 && policy != CV_RESTART_ON_FAILURE && policy != CV_RESTART_ALWAYS)
		return cv_error_errno(
		        EINVAL, "restart policy: maximum retry count can only be used with 'on-failure' or 'always'");
	options->restart_policy = (int)policy;
	options->restart_max_retries = max_retries;
	return 0;
}

int containerv_options_set_restart_timing(struct containerv_options *options, int64_t delay_ns, int64_t window_ns)
{
	cv_error_clear();
	if (options == NULL)
		return cv_error_errno(EINVAL, "restart timing: no options");
	if (delay_ns < 0 || window_ns < 0 || delay_ns > HEALTH_DURATION_MAX || window_ns > HEALTH_DURATION_MAX)
		return cv_error_errno(EINVAL, "restart %s: must be from 0 to a year",
		                      delay_ns < 0 || delay_ns > HEALTH_DURATION_MAX ? "delay" : "window");
	options->restart_delay_ns = delay_ns;
	options->restart_window_ns = window_ns;
	return 0;
}

int containerv_restart_policy_parse(const char *text, enum containerv_restart_policy *policy, int *max_retries)
{
	const char *colon;
	size_t length;

	cv_error_clear();
	if (text == NULL || policy == NULL || max_retries == NULL)
		return cv_error_errno(EINVAL, "restart policy: missing argument");
	colon = strchr(text, ':');
	length = colon != NULL ? (size_t)(colon - text) : strlen(text);
	*max_retries = 0;
	for (size_t i = 0; i < sizeof policy_names / sizeof *policy_names; i++) {
		if (strlen(policy_names[i]) != length || strncmp(text, policy_names[i], length) != 0)
			continue;
		*policy = (enum containerv_restart_policy)i;
		if (colon == NULL)
			return 0;
		if (i != CV_RESTART_ON_FAILURE)
			return cv_error_errno(EINVAL,
			                      "invalid restart policy '%s': maximum retry count can only be used "
			                      "with 'on-failure'",
			                      text);
		char *end;
		errno = 0;
		long count = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 || count < 0 || count > 1000000)
			return cv_error_errno(EINVAL, "invalid restart policy '%s': the count must be a number from 0",
			                      text);
		*max_retries = (int)count;
		return 0;
	}
	return cv_error_errno(EINVAL, "invalid restart policy '%s': no, always, on-failure[:N] or unless-stopped",
	                      text);
}

/* ---- config.json ---- */

json_t *cv_health_config_to_json(const struct cv_health_config *health)
{
	json_t *test = json_array();

	if (health->test == NULL) {
		json_decref(test);
		return json_null();
	}
	for (size_t i = 0; health->test[i] != NULL; i++)
		json_array_append_new(test, json_string(health->test[i]));
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:i}", "Test", test, "Interval", (json_int_t)health->interval_ns,
	                 "Timeout", (json_int_t)health->timeout_ns, "StartPeriod", (json_int_t)health->start_period_ns,
	                 "StartInterval", (json_int_t)health->start_interval_ns, "Retries", health->retries);
}

static int duration_from_json(json_t *object, const char *key, int64_t *out)
{
	json_t *value = json_object_get(object, key);

	if (value == NULL || json_is_null(value))
		return 0;
	if (!json_is_integer(value))
		return cv_error_errno(EINVAL, "Healthcheck: %s is not an integer", key);
	*out = (int64_t)json_integer_value(value);
	return 0;
}

/* docker's Healthcheck object (an image's, or ours); validated: it may come from an image. */
int cv_health_config_from_json(json_t *object, struct cv_health_config *health, bool probes)
{
	struct cv_health_config parsed = {0};
	json_t *test, *value, *retries;
	size_t index;

	if (object == NULL || json_is_null(object))
		return 0;
	if (!json_is_object(object))
		return cv_error_errno(EINVAL, "Healthcheck: not an object");
	test = json_object_get(object, "Test");
	/* An empty or absent Test inherits (docker): nothing set. */
	if (!json_is_array(test) || json_array_size(test) == 0)
		return 0;
	if (json_array_size(test) > 4096)
		return cv_error_errno(EINVAL, "Healthcheck: Test too long");
	json_array_foreach(test, index, value)
	{
		if (!json_is_string(value) || cv_strv_append(&parsed.test, json_string_value(value)) < 0) {
			cv_health_config_clear(&parsed);
			return cv_error_errno(EINVAL, "Healthcheck: Test must be strings");
		}
	}
	retries = json_object_get(object, "Retries");
	if (json_is_integer(retries))
		parsed.retries =
		        json_integer_value(retries) > HEALTH_RETRIES_MAX ? -1 : (int)json_integer_value(retries);
	if (duration_from_json(object, "Interval", &parsed.interval_ns) < 0 ||
	    duration_from_json(object, "Timeout", &parsed.timeout_ns) < 0 ||
	    duration_from_json(object, "StartPeriod", &parsed.start_period_ns) < 0 ||
	    duration_from_json(object, "StartInterval", &parsed.start_interval_ns) < 0 ||
	    check_health(&parsed, "Healthcheck", probes) < 0) {
		cv_health_config_clear(&parsed);
		return -1;
	}
	cv_health_config_clear(health);
	*health = parsed;
	return 0;
}

int cv_supervise_config_to_json(const struct containerv_options *o, json_t *root)
{
	if ((o->health.test != NULL &&
	     json_object_set_new(root, "healthcheck", cv_health_config_to_json(&o->health)) < 0) ||
	    (o->image_health.test != NULL &&
	     json_object_set_new(root, "image_healthcheck", cv_health_config_to_json(&o->image_health)) < 0) ||
	    (o->restart_policy != CV_RESTART_NO &&
	     json_object_set_new(root, "restart",
	                         json_pack("{s:s,s:i,s:I,s:I}", "policy",
	                                   containerv_restart_policy_name(o->restart_policy), "max_retries",
	                                   o->restart_max_retries, "delay", (json_int_t)o->restart_delay_ns, "window",
	                                   (json_int_t)o->restart_window_ns)) < 0))
		return -1;
	return 0;
}

int cv_supervise_config_from_json(json_t *root, struct containerv_options *o)
{
	json_t *restart = json_object_get(root, "restart");

	if (cv_health_config_from_json(json_object_get(root, "healthcheck"), &o->health, true) < 0 ||
	    cv_health_config_from_json(json_object_get(root, "image_healthcheck"), &o->image_health, false) < 0)
		return -1;
	if (json_is_object(restart)) {
		enum containerv_restart_policy policy;
		int ignored;
		const char *name = json_string_value(json_object_get(restart, "policy"));
		json_t *max = json_object_get(restart, "max_retries");
		if (name == NULL || containerv_restart_policy_parse(name, &policy, &ignored) < 0)
			return cv_error_errno(EINVAL, "config: bad restart policy");
		o->restart_policy = (int)policy;
		o->restart_max_retries =
		        json_is_integer(max) && json_integer_value(max) > 0 && json_integer_value(max) <= 1000000
		                ? (int)json_integer_value(max)
		                : 0;
		/* Bounded as the setter bounds them: a state root's file is checked again. */
		json_t *delay = json_object_get(restart, "delay"), *window = json_object_get(restart, "window");
		if (json_is_integer(delay) && json_integer_value(delay) > 0 &&
		    json_integer_value(delay) <= HEALTH_DURATION_MAX)
			o->restart_delay_ns = (int64_t)json_integer_value(delay);
		if (json_is_integer(window) && json_integer_value(window) > 0 &&
		    json_integer_value(window) <= HEALTH_DURATION_MAX)
			o->restart_window_ns = (int64_t)json_integer_value(window);
	}
	return 0;
}

int cv_supervise_config_validate(const struct containerv_options *o)
{
	if (check_health(&o->health, "healthcheck", true) < 0 ||
	    check_health(&o->image_health, "image Healthcheck", false) < 0)
		return -1;
	/* docker: "Conflicting options: --restart and --rm". */
	if (o->autoremove && o->restart_policy != CV_RESTART_NO)
		return cv_error_errno(EINVAL,
		                      "conflicting options: a restart policy and autoremove (--restart and --rm)");
	return 0;
}

const struct cv_health_config *cv_health_effective(const struct containerv_options *o)
{
	const struct cv_health_config *health = o->health.test != NULL ? &o->health : &o->image_health;

	if (health->test == NULL || strcmp(health->test[0], "NONE") == 0)
		return NULL;
	return health;
}

bool cv_supervision_wanted(const struct containerv_options *o)
{
	return o->restart_policy != CV_RESTART_NO || cv_health_effective(o) != NULL;
}
