/*
 * A compose service's balancer: its keys and the ports it serves.
 *
 * A published port of a service with several replicas cannot be bound by
 * each of them; so a fixed host port of a service that has more than one
 * replica, or asks for a balancer (x-containerv.lb, x-containerv.autoscale
 * or the containerv.lb.algorithm label, so it keeps one at any scale), is
 * served by the project's balancer process (compose-lb-daemon.c), which
 * spreads its connections over the replicas' addresses on their first
 * network; the replicas do not publish it.
 *
 *	x-containerv:
 *	  lb:
 *	    algorithm: least_conn       # round_robin (default), weighted, ip_hash, random, power_of_two
 *	    weights: [3, 1, 1]          # by replica number (or {1: 3, 2: 1}); 1 for the others
 *	    probe_interval: 500ms       # health probes (default 1s)
 *	    udp_probe: "ping"           # UDP: the probe's payload ...
 *	    udp_expect: "pong"          # ... and the start of the answer that means healthy
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"

#define WEIGHT_MAX 1000000
#define PROBE_TEXT_MAX 512

static json_t *extension(json_t *service, const char *key)
{
	return json_object_get(json_object_get(service, "x-containerv"), key);
}

static const char *label(json_t *service, const char *key)
{
	return json_string_value(json_object_get(json_object_get(service, "labels"), key));
}

static int replicas_of(json_t *service)
{
	json_t *replicas = json_object_get(json_object_get(service, "deploy"), "replicas");

	return replicas ? (int)json_integer_value(replicas) : 1;
}

static bool service_wants_balancer(json_t *service)
{
	return replicas_of(service) > 1 || extension(service, "lb") != NULL ||
	       extension(service, "autoscale") != NULL || label(service, CV_COMPOSE_LABEL_LB_ALGORITHM) != NULL;
}

/* A whole number in [minimum, maximum] from an integer or a string of digits. */
static int number_of(json_t *value, long long minimum, long long maximum, long long *number)
{
	const char *text = json_string_value(value);
	char *end;

	if (json_is_integer(value))
		*number = json_integer_value(value);
	else if (text != NULL && text[0] >= '0' && text[0] <= '9') {
		errno = 0;
		*number = strtoll(text, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
	} else
		return -1;
	return *number >= minimum && *number <= maximum ? 0 : -1;
}

/* A port number 1-65535 from decimal text; 0 when it is not one (a range "8000-8001", empty, letters). */
static unsigned int port_number(const char *text)
{
	long long number;
	json_t *value = json_string(text);
	int ok = value != NULL && number_of(value, 1, 65535, &number) == 0;

	json_decref(value);
	return ok ? (unsigned int)number : 0;
}

/*
 * "[IP:][PUBLISHED:]TARGET[/PROTOCOL]" (docker's -p form, as normalised):
 * 1 and *port filled for a fixed host port, 0 for none (the kernel picks one
 * per replica), -1 for what a balancer cannot serve (a range, an IPv6 host,
 * sctp).
 */
static int parse_port(const char *text, struct cv_compose_lb_port *port)
{
	char copy[256], *slash, *parts[3];
	size_t count = 1;

	memset(port, 0, sizeof *port);
	if (snprintf(copy, sizeof copy, "%s", text) >= (int)sizeof copy || copy[0] == '[')
		return -1;
	slash = strchr(copy, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (strcmp(slash + 1, "udp") == 0)
			port->udp = 1;
		else if (strcmp(slash + 1, "tcp") != 0)
			return -1;
	}
	parts[0] = copy;
	for (char *cursor = copy; *cursor != '\0'; cursor++) {
		if (*cursor != ':')
			continue;
		if (count == 3)
			return -1;
		*cursor = '\0';
		parts[count++] = cursor + 1;
	}
	port->target = port_number(parts[count - 1]);
	if (port->target == 0)
		return -1;
	if (count == 1 || parts[count - 2][0] == '\0')
		return 0;
	port->published = port_number(parts[count - 2]);
	if (port->published == 0)
		return -1;
	snprintf(port->host_ip, sizeof port->host_ip, "%s", count == 3 && parts[0][0] != '\0' ? parts[0] : "0.0.0.0");
	if (count == 3 && parts[0][0] != '\0') {
		unsigned int a, b, c, d;
		char extra;
		if (strlen(parts[0]) >= sizeof port->host_ip ||
		    sscanf(parts[0], "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 || b > 255 || c > 255 ||
		    d > 255)
			return -1;
	}
	return 1;
}

int cv_compose_port_balanced(json_t *service, const char *text, struct cv_compose_lb_port *port)
{
	return service_wants_balancer(service) && parse_port(text, port) == 1;
}

int cv_compose_add_ports(struct containerv_options *options, json_t *service)
{
	size_t index;
	json_t *element;

	json_array_foreach(json_object_get(service, "ports"), index, element)
	{
		struct cv_compose_lb_port port;
		const char *text = json_string_value(element);

		if (cv_compose_port_balanced(service, text, &port))
			continue; /* the balancer's */
		if (containerv_options_add_port(options, text) < 0)
			return cv_error_prefix("ports");
	}
	return 0;
}

/* weights: a list by replica number, or a mapping from replica number; normalised to the mapping. */
static int check_weights(struct cv_compose_loader *loader, json_t *lb, const char *path)
{
	json_t *weights = json_object_get(lb, "weights"), *normal = json_object(), *value;
	char key_path[400], number_text[24];
	long long weight, number;
	const char *key;
	size_t index;

	if (normal == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	if (json_is_array(weights)) {
		json_array_foreach(weights, index, value)
		{
			snprintf(key_path, sizeof key_path, "%s.weights[%zu]", path, index);
			if (number_of(value, 1, WEIGHT_MAX, &weight) < 0) {
				json_decref(normal);
				return cv_compose_fail(loader, lb, "weights", key_path,
				                       "a weight must be a whole number from 1 to %d", WEIGHT_MAX);
			}
			snprintf(number_text, sizeof number_text, "%zu", index + 1);
			json_object_set_new(normal, number_text, json_integer(weight));
		}
	} else if (json_is_object(weights)) {
		json_object_foreach(weights, key, value)
		{
			json_t *key_value = json_string(key);
			int bad = number_of(key_value, 1, 1000, &number) < 0;

			json_decref(key_value);
			snprintf(key_path, sizeof key_path, "%s.weights.%.100s", path, key);
			if (bad || number_of(value, 1, WEIGHT_MAX, &weight) < 0) {
				json_decref(normal);
				return cv_compose_fail(loader, lb, "weights", key_path,
				                       bad ? "the key must be a replica number (1, 2 ...)"
				                           : "a weight must be a whole number from 1 to 1000000");
			}
			snprintf(number_text, sizeof number_text, "%lld", number);
			json_object_set_new(normal, number_text, json_integer(weight));
		}
	} else {
		json_decref(normal);
		snprintf(key_path, sizeof key_path, "%s.weights", path);
		return cv_compose_fail(loader, lb, "weights", key_path,
		                       "must be a list of weights by replica number, or a mapping from replica number");
	}
	json_object_set_new(lb, "weights", normal);
	return 0;
}

static int check_probe_text(struct cv_compose_loader *loader, json_t *lb, const char *key, const char *path)
{
	const char *text = json_string_value(json_object_get(lb, key));
	char key_path[400];

	snprintf(key_path, sizeof key_path, "%s.%s", path, key);
	if (text == NULL || strlen(text) == 0 || strlen(text) > PROBE_TEXT_MAX)
		return cv_compose_fail(loader, lb, key, key_path, "must be a string of 1 to %d bytes", PROBE_TEXT_MAX);
	return 0;
}

static int check_lb(struct cv_compose_loader *loader, const char *name, json_t *service, json_t *lb)
{
	char path[300], key_path[400];
	const char *key;
	json_t *value;
	enum containerv_lb_algorithm algorithm;

	snprintf(path, sizeof path, "services.%s.x-containerv.lb", name);
	if (!json_is_object(lb))
		return cv_compose_fail(loader, json_object_get(service, "x-containerv"), "lb", path,
		                       "must be a mapping (algorithm, weights, probe_interval, udp_probe, udp_expect)");
	json_object_foreach(lb, key, value)
	{
		snprintf(key_path, sizeof key_path, "%s.%s", path, key);
		if (strcmp(key, "algorithm") == 0) {
			if (containerv_lb_algorithm_parse(json_string_value(value), &algorithm) < 0)
				return cv_compose_fail(loader, lb, key, key_path, "%s", containerv_last_error());
		} else if (strcmp(key, "weights") == 0) {
			if (check_weights(loader, lb, path) < 0)
				return -1;
		} else if (strcmp(key, "probe_interval") == 0) {
			long long ns;
			if (!json_is_string(value) || cv_compose_parse_duration(json_string_value(value), &ns) < 0 ||
			    ns < 10000000LL || ns > 3600000000000LL)
				return cv_compose_fail(loader, lb, key, key_path,
				                       "a duration from 10ms to 1h (e.g. 500ms)");
		} else if (strcmp(key, "udp_probe") == 0 || strcmp(key, "udp_expect") == 0) {
			if (check_probe_text(loader, lb, key, path) < 0)
				return -1;
		} else {
			return cv_compose_fail(
			        loader, lb, key, key_path,
			        "unknown key (algorithm, weights, probe_interval, udp_probe, udp_expect)");
		}
	}
	if (json_object_get(lb, "udp_expect") != NULL && json_object_get(lb, "udp_probe") == NULL)
		return cv_compose_fail(loader, lb, "udp_expect", path, "udp_expect needs udp_probe");
	return 0;
}

/* Each published port of a balanced service must be one the balancer can serve. */
static int check_ports(struct cv_compose_loader *loader, const char *name, json_t *service)
{
	size_t index;
	json_t *element;
	char path[300];

	if (!service_wants_balancer(service))
		return 0;
	json_array_foreach(json_object_get(service, "ports"), index, element)
	{
		struct cv_compose_lb_port port;

		snprintf(path, sizeof path, "services.%s.ports", name);
		if (parse_port(json_string_value(element), &port) < 0)
			return cv_compose_fail(
			        loader, service, "ports", path,
			        "element %zu: \"%s\": a service with several replicas or a balancer "
			        "publishes single TCP or UDP ports on an IPv4 address (no range, no IPv6)",
			        index, json_string_value(element));
	}
	return 0;
}

int cv_compose_check_extensions(struct cv_compose_loader *loader, const char *name, json_t *service)
{
	json_t *extensions = json_object_get(service, "x-containerv"), *value;
	const char *algorithm = label(service, CV_COMPOSE_LABEL_LB_ALGORITHM), *key;
	enum containerv_lb_algorithm parsed;
	char path[300];

	if (algorithm != NULL && containerv_lb_algorithm_parse(algorithm, &parsed) < 0) {
		snprintf(path, sizeof path, "services.%s.labels." CV_COMPOSE_LABEL_LB_ALGORITHM, name);
		return cv_compose_fail(loader, service, "labels", path, "%s", containerv_last_error());
	}
	if (extensions != NULL && !json_is_object(extensions)) {
		snprintf(path, sizeof path, "services.%s.x-containerv", name);
		return cv_compose_fail(loader, service, "x-containerv", path,
		                       "must be a mapping (lb, autoscale, healthcheck)");
	}
	json_object_foreach(extensions, key, value)
	{
		if (strcmp(key, "lb") == 0) {
			if (check_lb(loader, name, service, value) < 0)
				return -1;
		} else if (strcmp(key, "autoscale") == 0) {
			if (cv_compose_check_autoscale(loader, name, service, value) < 0)
				return -1;
		} else if (strcmp(key, "healthcheck") == 0) {
			if (cv_compose_check_health_extension(loader, name, service, value) < 0)
				return -1;
		} else {
			snprintf(path, sizeof path, "services.%s.x-containerv.%.100s", name, key);
			return cv_compose_fail(loader, extensions, key, path,
			                       "unknown key (lb, autoscale, healthcheck)");
		}
	}
	return check_ports(loader, name, service);
}
