/*
 * A service's keys: each is validated and turned into one canonical form
 * (lists of KEY=VALUE become maps, short syntaxes the long ones where the
 * long one says more, durations and sizes are checked), so that up and
 * config read one shape. Keys containerv cannot honour are refused, keys it
 * accepts without applying yet are warned, unknown keys are warned by name.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-internal.h"
#include "orchestration/compose-lb.h"

struct check {
	struct cv_compose_loader *loader;
	json_t *service;
	const char *name;
	char path[512];
};

static const char *path_of(struct check *c, const char *key)
{
	snprintf(c->path, sizeof c->path, "services.%.200s.%.200s", c->name, key);
	return c->path;
}

#define FAIL(c, key, ...) cv_compose_fail((c)->loader, (c)->service, key, path_of(c, key), __VA_ARGS__)

/* A scalar as text (numbers and booleans as YAML writes them); NULL for a mapping, sequence or null. */
static json_t *scalar_text(json_t *value)
{
	char buffer[64];

	switch (json_typeof(value)) {
	case JSON_STRING:
		return json_incref(value);
	case JSON_INTEGER:
		snprintf(buffer, sizeof buffer, "%lld", (long long)json_integer_value(value));
		return json_string(buffer);
	case JSON_REAL:
		snprintf(buffer, sizeof buffer, "%g", json_real_value(value));
		return json_string(buffer);
	case JSON_TRUE:
		return json_string("true");
	case JSON_FALSE:
		return json_string("false");
	default:
		return NULL;
	}
}

static int set_string(struct check *c, const char *key)
{
	json_t *value = json_object_get(c->service, key);
	json_t *text = scalar_text(value);

	if (text == NULL)
		return FAIL(c, key, "must be a string");
	json_object_set_new(c->service, key, text);
	return 0;
}

static int set_bool(struct check *c, const char *key)
{
	json_t *value = json_object_get(c->service, key);
	const char *text = json_string_value(value);

	if (json_is_boolean(value))
		return 0;
	if (text && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)) {
		json_object_set_new(c->service, key, json_boolean(text[0] == 't'));
		return 0;
	}
	return FAIL(c, key, "must be true or false");
}

/* An integer, or a string holding one (interpolated values are strings). */
static int integer_of(json_t *value, long long *number)
{
	const char *text = json_string_value(value);
	char *end;

	if (json_is_integer(value)) {
		*number = json_integer_value(value);
		return 0;
	}
	if (text == NULL || *text == '\0')
		return -1;
	errno = 0;
	*number = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/* A string, or a list of scalars, as a list of strings. */
static int set_string_list(struct check *c, const char *key, bool single_allowed)
{
	json_t *value = json_object_get(c->service, key), *list = json_array(), *element;
	size_t index;

	if (json_is_string(value) && single_allowed) {
		json_array_append(list, value);
	} else if (json_is_array(value)) {
		json_array_foreach(value, index, element)
		{
			json_t *text = scalar_text(element);
			if (text == NULL) {
				json_decref(list);
				return FAIL(c, key, "element %zu must be a string", index);
			}
			json_array_append_new(list, text);
		}
	} else {
		json_decref(list);
		return FAIL(c, key,
		            single_allowed ? "must be a string or a list of strings" : "must be a list of strings");
	}
	json_object_set_new(c->service, key, list);
	return 0;
}

/* A list of KEY=VALUE (KEY alone: from the variables, dropped when unset) or a map, as a map of strings. */
static int set_map(struct check *c, const char *key, bool from_variables)
{
	json_t *value = json_object_get(c->service, key), *map = json_object(), *element;
	size_t index;
	const char *name;

	if (json_is_array(value)) {
		json_array_foreach(value, index, element)
		{
			const char *text = json_string_value(element);
			const char *equals = text ? strchr(text, '=') : NULL;
			if (text == NULL || text[0] == '=' || text[0] == '\0') {
				json_decref(map);
				return FAIL(c, key, "element %zu: expected KEY=VALUE", index);
			}
			char *k = strndup(text, equals ? (size_t)(equals - text) : strlen(text));
			if (equals != NULL)
				json_object_set_new(map, k, json_string(equals + 1));
			else if (from_variables && json_object_get(c->loader->variables, k) != NULL)
				json_object_set(map, k, json_object_get(c->loader->variables, k));
			free(k);
		}
	} else if (json_is_object(value)) {
		json_object_foreach(value, name, element)
		{
			if (json_is_null(element)) {
				json_t *variable = from_variables ? json_object_get(c->loader->variables, name) : NULL;
				if (variable != NULL)
					json_object_set(map, name, variable);
				else if (!from_variables)
					json_object_set_new(map, name, json_string(""));
				continue;
			}
			json_t *text = scalar_text(element);
			if (text == NULL) {
				json_decref(map);
				return FAIL(c, key, "%s: must be a string, number or boolean", name);
			}
			json_object_set_new(map, name, text);
		}
	} else {
		json_decref(map);
		return FAIL(c, key, "must be a mapping or a list of KEY=VALUE");
	}
	json_object_set_new(c->service, key, map);
	return 0;
}

/* "a b 'c d'" split as a shell would split words (quotes and backslashes), without expansion. */
static json_t *split_words(const char *text)
{
	json_t *words = json_array();
	char *word = malloc(strlen(text) + 1);
	size_t n = 0;
	bool in_word = false;
	char quote = 0;

	if (word == NULL || words == NULL) {
		free(word);
		json_decref(words);
		return NULL;
	}
	for (const char *p = text; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (*p == '\\' && quote == '"' && (p[1] == '"' || p[1] == '\\'))
				word[n++] = *++p;
			else
				word[n++] = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			in_word = true;
		} else if (*p == '\\' && p[1]) {
			word[n++] = *++p;
			in_word = true;
		} else if (isspace((unsigned char)*p)) {
			if (in_word)
				json_array_append_new(words, json_stringn(word, n));
			n = 0;
			in_word = false;
		} else {
			word[n++] = *p;
			in_word = true;
		}
	}
	if (quote) {
		free(word);
		json_decref(words);
		return NULL;
	}
	if (in_word)
		json_array_append_new(words, json_stringn(word, n));
	free(word);
	return words;
}

static int set_command(struct check *c, const char *key)
{
	json_t *value = json_object_get(c->service, key);

	if (json_is_null(value)) {
		json_object_del(c->service, key);
		return 0;
	}
	if (json_is_string(value)) {
		json_t *words = split_words(json_string_value(value));
		if (words == NULL)
			return FAIL(c, key, "an unterminated quote");
		json_object_set_new(c->service, key, words);
		return 0;
	}
	return set_string_list(c, key, false);
}

static int check_with_options(struct check *c, const char *key, size_t index,
                              int (*add)(struct containerv_options *, const char *), const char *text)
{
	struct containerv_options *options = NULL;
	int ret;

	if (containerv_options_new(&options) < 0)
		return -1;
	ret = add(options, text);
	containerv_options_delete(options);
	if (ret < 0) {
		char message[1024];
		snprintf(message, sizeof message, "%s", containerv_last_error());
		return FAIL(c, key, "element %zu: %s", index, message);
	}
	return 0;
}

/* ports: docker's -p text, or the long form {target, published, host_ip, protocol}, as -p text. */
static int set_ports(struct check *c)
{
	json_t *value = json_object_get(c->service, "ports"), *list = json_array(), *element;
	size_t index;

	if (!json_is_array(value)) {
		json_decref(list);
		return FAIL(c, "ports", "must be a list");
	}
	json_array_foreach(value, index, element)
	{
		json_t *text = scalar_text(element);
		if (text == NULL && json_is_object(element)) {
			long long target, published = 0;
			json_t *p = json_object_get(element, "published");
			const char *host_ip = json_string_value(json_object_get(element, "host_ip"));
			const char *protocol = json_string_value(json_object_get(element, "protocol"));
			const char *published_text = json_string_value(p);
			char buffer[256];
			if (integer_of(json_object_get(element, "target"), &target) < 0) {
				json_decref(list);
				return FAIL(c, "ports", "element %zu: target must be a port number", index);
			}
			if (p != NULL && published_text == NULL && integer_of(p, &published) < 0) {
				json_decref(list);
				return FAIL(c, "ports", "element %zu: published must be a port or a range", index);
			}
			char published_buffer[64] = "";
			if (published_text)
				snprintf(published_buffer, sizeof published_buffer, "%.60s", published_text);
			else if (p)
				snprintf(published_buffer, sizeof published_buffer, "%lld", published);
			snprintf(buffer, sizeof buffer, "%.64s%s%s%lld%s%.8s", host_ip ? host_ip : "",
			         host_ip ? ":" : "",
			         published_buffer[0] ? strcat(published_buffer, ":") : (host_ip ? ":" : ""), target,
			         protocol ? "/" : "", protocol ? protocol : "");
			text = json_string(buffer);
		}
		if (text == NULL) {
			json_decref(list);
			return FAIL(c, "ports",
			            "element %zu: expected [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL] or a mapping",
			            index);
		}
		if (check_with_options(c, "ports", index, containerv_options_add_port, json_string_value(text)) < 0) {
			json_decref(text);
			json_decref(list);
			return -1;
		}
		json_array_append_new(list, text);
	}
	json_object_set_new(c->service, "ports", list);
	return 0;
}

static int set_expose(struct check *c)
{
	if (set_string_list(c, "expose", false) < 0)
		return -1;
	size_t index;
	json_t *element;
	json_array_foreach(json_object_get(c->service, "expose"), index, element)
	{
		if (check_with_options(c, "expose", index, containerv_options_add_exposed_port,
		                       json_string_value(element)) < 0)
			return -1;
	}
	return 0;
}

/* volumes: the short form "SOURCE:TARGET[:MODE]" or "TARGET", and the long form, both as the long form. */
static int volume_entry(struct check *c, size_t index, json_t *element, json_t **out)
{
	json_t *entry;

	*out = NULL;
	if (json_is_string(element)) {
		char *text = strdup(json_string_value(element)), *parts[3] = {NULL};
		size_t n = 0;
		char *save = NULL;
		for (char *p = strtok_r(text, ":", &save); p && n < 3; p = strtok_r(NULL, ":", &save))
			parts[n++] = p;
		if (n == 0 || strtok_r(NULL, ":", &save) != NULL) {
			free(text);
			return FAIL(c, "volumes", "element %zu: expected [SOURCE:]TARGET[:MODE]", index);
		}
		entry = json_object();
		if (n == 1) {
			json_object_set_new(entry, "type", json_string("volume"));
			json_object_set_new(entry, "target", json_string(parts[0]));
		} else {
			bool path = parts[0][0] == '/' || parts[0][0] == '.' || parts[0][0] == '~';
			json_object_set_new(entry, "type", json_string(path ? "bind" : "volume"));
			json_object_set_new(entry, "source", json_string(parts[0]));
			json_object_set_new(entry, "target", json_string(parts[1]));
			if (n == 3) {
				char *save_mode = NULL;
				for (char *mode = strtok_r(parts[2], ",", &save_mode); mode;
				     mode = strtok_r(NULL, ",", &save_mode)) {
					if (strcmp(mode, "ro") == 0)
						json_object_set_new(entry, "read_only", json_true());
					else if (strcmp(mode, "rw") != 0 && strcmp(mode, "z") != 0 &&
					         strcmp(mode, "Z") != 0 && strcmp(mode, "nocopy") != 0) {
						int ret =
						        FAIL(c, "volumes", "element %zu: unknown mode \"%s\" (ro, rw)",
						             index, mode); /* before the frees: mode points into text */
						json_decref(entry);
						free(text);
						return ret;
					}
				}
			}
		}
		free(text);
	} else if (json_is_object(element)) {
		entry = json_deep_copy(element);
		const char *type = json_string_value(json_object_get(entry, "type"));
		if (type == NULL ||
		    (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 && strcmp(type, "tmpfs") != 0)) {
			json_decref(entry);
			return FAIL(c, "volumes", "element %zu: type must be bind, volume or tmpfs", index);
		}
		const char *key;
		json_t *member;
		json_object_foreach(entry, key, member)
		{
			if (strcmp(key, "type") && strcmp(key, "source") && strcmp(key, "target") &&
			    strcmp(key, "read_only") && strcmp(key, "tmpfs") && strcmp(key, "bind") &&
			    strcmp(key, "volume")) {
				int ret = FAIL(c, "volumes", "element %zu: %s is not supported", index, key);
				json_decref(entry); /* after: key is entry's */
				return ret;
			}
		}
		json_t *read_only = json_object_get(entry, "read_only");
		if (read_only && !json_is_boolean(read_only)) {
			json_decref(entry);
			return FAIL(c, "volumes", "element %zu: read_only must be true or false", index);
		}
	} else {
		return FAIL(c, "volumes", "element %zu: expected a string or a mapping", index);
	}
	const char *target = json_string_value(json_object_get(entry, "target"));
	if (target == NULL || target[0] != '/') {
		json_decref(entry);
		return FAIL(c, "volumes", "element %zu: the target must be an absolute path", index);
	}
	const char *type = json_string_value(json_object_get(entry, "type"));
	const char *source = json_string_value(json_object_get(entry, "source"));
	if (strcmp(type, "bind") == 0) {
		if (source == NULL) {
			json_decref(entry);
			return FAIL(c, "volumes", "element %zu: a bind needs a source", index);
		}
		/* Relative host paths are relative to the project directory, as compose's. */
		if (source[0] != '/') {
			char *absolute = NULL;
			const char *home = json_string_value(json_object_get(c->loader->variables, "HOME"));
			if (source[0] == '~' && home != NULL)
				cv_asprintf(&absolute, "%s%s", home, source + 1);
			else
				cv_asprintf(&absolute, "%s/%s", c->loader->project_directory,
				            strncmp(source, "./", 2) == 0 ? source + 2 : source);
			json_object_set_new(entry, "source", json_string(absolute));
			free(absolute);
		}
	}
	*out = entry;
	return 0;
}

static int set_volumes(struct check *c)
{
	json_t *value = json_object_get(c->service, "volumes"), *list = json_array(), *element, *entry;
	size_t index;

	if (!json_is_array(value)) {
		json_decref(list);
		return FAIL(c, "volumes", "must be a list");
	}
	json_array_foreach(value, index, element)
	{
		if (volume_entry(c, index, element, &entry) < 0) {
			json_decref(list);
			return -1;
		}
		json_array_append_new(list, entry);
	}
	json_object_set_new(c->service, "volumes", list);
	return 0;
}

static int set_depends_on(struct check *c)
{
	static const char *const conditions[] = {"service_started", "service_healthy", "service_completed_successfully",
	                                         NULL};
	json_t *value = json_object_get(c->service, "depends_on"), *map = json_object(), *element;
	size_t index;
	const char *name;

	if (json_is_array(value)) {
		json_array_foreach(value, index, element)
		{
			if (!json_is_string(element)) {
				json_decref(map);
				return FAIL(c, "depends_on", "element %zu must be a service name", index);
			}
			json_object_set_new(map, json_string_value(element),
			                    json_pack("{s:s,s:b,s:b}", "condition", "service_started", "required", 1,
			                              "restart", 0));
		}
	} else if (json_is_object(value)) {
		json_object_foreach(value, name, element)
		{
			const char *condition = json_string_value(json_object_get(element, "condition"));
			bool known = false;
			for (size_t i = 0; condition && conditions[i]; i++)
				known = known || strcmp(condition, conditions[i]) == 0;
			if (!json_is_object(element) || (json_object_get(element, "condition") && !known)) {
				json_decref(map);
				return FAIL(c, "depends_on",
				            "%s: condition must be service_started, service_healthy or "
				            "service_completed_successfully",
				            name);
			}
			json_t *required = json_object_get(element, "required");
			json_object_set_new(map, name,
			                    json_pack("{s:s,s:b,s:b}", "condition",
			                              condition ? condition : "service_started", "required",
			                              required == NULL || json_is_true(required), "restart",
			                              json_is_true(json_object_get(element, "restart"))));
			cv_compose_copy_line(c->loader, map, name, value, name);
		}
	} else {
		json_decref(map);
		return FAIL(c, "depends_on", "must be a list of services or a mapping");
	}
	json_object_set_new(c->service, "depends_on", map);
	return 0;
}

int cv_compose_parse_duration(const char *text, long long *ns)
{
	int64_t value;

	if (containerv_parse_duration(text, &value) < 0)
		return -1;
	*ns = (long long)value;
	return 0;
}

static int set_duration(struct check *c, json_t *container, const char *key, const char *path)
{
	json_t *value = json_object_get(container, key), *text = scalar_text(value);
	long long ns;

	if (text == NULL || cv_compose_parse_duration(json_string_value(text), &ns) < 0) {
		json_decref(text);
		return cv_compose_fail(c->loader, container, key, path,
		                       "invalid duration (expected 10s, 1m30s, 500ms ...)");
	}
	json_object_set_new(container, key, text);
	return 0;
}

static int set_healthcheck(struct check *c)
{
	json_t *health = json_object_get(c->service, "healthcheck");
	const char *key;
	json_t *member;
	char path[600];

	if (!json_is_object(health))
		return FAIL(c, "healthcheck", "must be a mapping");
	json_object_foreach(health, key, member)
	{
		snprintf(path, sizeof path, "services.%.200s.healthcheck.%.100s", c->name, key);
		if (strcmp(key, "interval") == 0 || strcmp(key, "timeout") == 0 || strcmp(key, "start_period") == 0 ||
		    strcmp(key, "start_interval") == 0) {
			if (set_duration(c, health, key, path) < 0)
				return -1;
		} else if (strcmp(key, "retries") == 0) {
			long long retries;
			if (integer_of(member, &retries) < 0 || retries < 0)
				return cv_compose_fail(c->loader, health, key, path, "must be a number");
			json_object_set_new(health, key, json_integer(retries));
		} else if (strcmp(key, "disable") == 0) {
			if (!json_is_boolean(member))
				return cv_compose_fail(c->loader, health, key, path, "must be true or false");
		} else if (strcmp(key, "test") == 0) {
			if (json_is_string(member)) {
				json_object_set_new(health, "test", json_pack("[sO]", "CMD-SHELL", member));
			} else {
				const char *first = json_string_value(json_array_get(member, 0));
				if (first == NULL ||
				    (strcmp(first, "CMD") && strcmp(first, "CMD-SHELL") && strcmp(first, "NONE")))
					return cv_compose_fail(
					        c->loader, health, key, path,
					        "must be a string or a list starting with CMD, CMD-SHELL or NONE");
			}
		} else {
			return cv_compose_fail(c->loader, health, key, path, "unknown healthcheck key");
		}
	}
	return 0;
}

static int set_restart(struct check *c)
{
	const char *text = json_string_value(json_object_get(c->service, "restart"));
	if (text == NULL)
		return FAIL(c, "restart", "must be no, always, on-failure[:N] or unless-stopped");
	if (strcmp(text, "no") && strcmp(text, "always") && strcmp(text, "unless-stopped") &&
	    strcmp(text, "on-failure") &&
	    !(strncmp(text, "on-failure:", 11) == 0 && text[11] != '\0' &&
	      strspn(text + 11, "0123456789") == strlen(text + 11)))
		return FAIL(c, "restart", "must be no, always, on-failure[:N] or unless-stopped");
	return 0;
}

static int set_deploy(struct check *c)
{
	json_t *deploy = json_object_get(c->service, "deploy");
	const char *key;
	json_t *member;
	char path[600];

	if (!json_is_object(deploy))
		return FAIL(c, "deploy", "must be a mapping");
	json_object_foreach(deploy, key, member)
	{
		snprintf(path, sizeof path, "services.%.200s.deploy.%.100s", c->name, key);
		if (strcmp(key, "replicas") == 0) {
			long long replicas;
			if (integer_of(member, &replicas) < 0 || replicas < 0 || replicas > 1000)
				return cv_compose_fail(c->loader, deploy, key, path, "must be a number from 0 to 1000");
			json_object_set_new(deploy, key, json_integer(replicas));
		} else if (strcmp(key, "resources") == 0) {
			json_t *limits = json_object_get(member, "limits");
			const char *name;
			json_t *limit;
			json_object_foreach(limits, name, limit)
			{
				snprintf(path, sizeof path, "services.%.200s.deploy.resources.limits.%.60s", c->name,
				         name);
				json_t *text = scalar_text(limit);
				int64_t bytes;
				uint64_t quota, period;
				long long pids;
				int bad = text == NULL ||
				          (strcmp(name, "memory") == 0 &&
				           containerv_parse_size(json_string_value(text), &bytes) < 0) ||
				          (strcmp(name, "cpus") == 0 &&
				           containerv_parse_cpus(json_string_value(text), &quota, &period) < 0) ||
				          (strcmp(name, "pids") == 0 && integer_of(limit, &pids) < 0);
				if (!bad && strcmp(name, "memory") && strcmp(name, "cpus") && strcmp(name, "pids")) {
					json_decref(text);
					return cv_compose_fail(c->loader, limits, name, path,
					                       "not supported (cpus, memory, pids are)");
				}
				if (bad) {
					json_decref(text);
					return cv_compose_fail(c->loader, limits, name, path, "invalid value");
				}
				json_object_set_new(limits, name, text);
			}
			if (json_object_get(member, "reservations") != NULL)
				cv_compose_warn(c->loader,
				                "services.%s.deploy.resources.reservations: ignored (no scheduler)",
				                c->name);
		} else if (strcmp(key, "restart_policy") == 0) {
			const char *condition = json_string_value(json_object_get(member, "condition"));
			json_t *attempts = json_object_get(member, "max_attempts");
			long long count = 0;
			if (!json_is_object(member) ||
			    (condition != NULL && strcmp(condition, "none") && strcmp(condition, "on-failure") &&
			     strcmp(condition, "any")) ||
			    (attempts != NULL && (integer_of(attempts, &count) < 0 || count < 0)))
				return cv_compose_fail(
				        c->loader, deploy, key, path,
				        "condition must be none, on-failure or any; max_attempts a number");
			if (attempts != NULL)
				json_object_set_new(member, "max_attempts", json_integer(count));
			/* delay and window: durations, normalised as healthcheck's (a string the runtime parses). */
			for (size_t i = 0; i < 2; i++) {
				const char *timing = i == 0 ? "delay" : "window";
				char timing_path[700];
				snprintf(timing_path, sizeof timing_path, "%s.%s", path, timing);
				if (json_object_get(member, timing) != NULL &&
				    set_duration(c, member, timing, timing_path) < 0)
					return -1;
			}
		} else {
			cv_compose_warn(c->loader, "services.%s.deploy.%s: ignored (not applied yet)", c->name, key);
		}
	}
	return 0;
}

static int set_signal(struct check *c)
{
	const char *text = json_string_value(json_object_get(c->service, "stop_signal"));
	const char *name = text && strncmp(text, "SIG", 3) == 0 ? text + 3 : text;

	if (name != NULL) {
		for (int signal = 1; signal < NSIG; signal++) {
			const char *abbreviation = sigabbrev_np(signal);
			if (abbreviation && strcmp(abbreviation, name) == 0)
				return 0;
		}
	}
	return FAIL(c, "stop_signal", "unknown signal (SIGTERM, SIGINT, SIGQUIT ...)");
}

/* One entry of a service's networks map: aliases (a list of names) and ipv4_address; NULL: nothing set. */
static int check_network_entry(struct check *c, const char *name, json_t *entry)
{
	const char *key;
	json_t *member;

	if (!json_is_object(entry))
		return FAIL(c, "networks", "%s: must be a mapping (aliases, ipv4_address) or empty", name);
	json_object_foreach(entry, key, member)
	{
		if (strcmp(key, "aliases") == 0) {
			size_t index;
			json_t *alias;
			if (!json_is_array(member))
				return FAIL(c, "networks", "%s.aliases: must be a list of names", name);
			json_array_foreach(member, index, alias)
			{
				if (!json_is_string(alias) || !cv_name_is_valid(json_string_value(alias), 63))
					return FAIL(c, "networks", "%s.aliases: element %zu is not a valid name", name,
					            index);
			}
		} else if (strcmp(key, "ipv4_address") == 0) {
			if (!json_is_string(member))
				return FAIL(c, "networks", "%s.ipv4_address: must be an address", name);
		} else {
			return FAIL(c, "networks", "%s.%s: not supported (aliases and ipv4_address are)", name, key);
		}
	}
	return 0;
}

static int set_networks(struct check *c)
{
	json_t *value = json_object_get(c->service, "networks"), *map = json_object(), *element;
	size_t index;
	const char *name;

	if (json_is_array(value)) {
		json_array_foreach(value, index, element)
		{
			if (!json_is_string(element)) {
				json_decref(map);
				return FAIL(c, "networks", "element %zu must be a network name", index);
			}
			json_object_set_new(map, json_string_value(element), json_object());
		}
	} else if (json_is_object(value)) {
		json_object_foreach(value, name, element)
		{
			if (!json_is_null(element) && check_network_entry(c, name, element) < 0) {
				json_decref(map);
				return -1;
			}
			json_object_set_new(map, name, json_is_null(element) ? json_object() : json_deep_copy(element));
		}
	} else {
		json_decref(map);
		return FAIL(c, "networks", "must be a list or a mapping");
	}
	json_object_set_new(c->service, "networks", map);
	return 0;
}

static int set_network_mode(struct check *c)
{
	const char *mode = json_string_value(json_object_get(c->service, "network_mode"));

	if (mode == NULL || (strcmp(mode, "none") && strcmp(mode, "host") && strcmp(mode, "bridge")))
		return FAIL(c, "network_mode",
		            "must be none, host or bridge (service: and container: are not supported yet)");
	if (json_object_get(c->service, "networks") != NULL)
		return FAIL(c, "network_mode", "cannot be combined with networks");
	return 0;
}

static int set_extra_hosts(struct check *c)
{
	json_t *value = json_object_get(c->service, "extra_hosts");

	if (json_is_object(value)) {
		json_t *list = json_array(), *address;
		const char *host;
		json_object_foreach(value, host, address)
		{
			char *entry = NULL;
			if (!json_is_string(address) ||
			    cv_asprintf(&entry, "%s:%s", host, json_string_value(address)) < 0) {
				json_decref(list);
				return FAIL(c, "extra_hosts", "%s: the address must be a string", host);
			}
			json_array_append_new(list, json_string(entry));
			free(entry);
		}
		json_object_set_new(c->service, "extra_hosts", list);
	} else if (set_string_list(c, "extra_hosts", false) < 0) {
		return -1;
	}
	size_t index;
	json_t *element;
	json_array_foreach(json_object_get(c->service, "extra_hosts"), index, element)
	{
		/* compose writes HOST=IP as well as docker's HOST:IP. */
		const char *text = json_string_value(element);
		const char *equals = strchr(text, '=');
		if (equals != NULL) {
			char *entry = strdup(text);
			entry[equals - text] = ':';
			json_array_set_new(json_object_get(c->service, "extra_hosts"), index, json_string(entry));
			free(entry);
			text = json_string_value(json_array_get(json_object_get(c->service, "extra_hosts"), index));
		}
		if (check_with_options(c, "extra_hosts", index, containerv_options_add_host, text) < 0)
			return -1;
	}
	return 0;
}

static int set_env_file(struct check *c)
{
	json_t *value = json_object_get(c->service, "env_file"), *list = json_array(), *element;
	size_t index;

	if (json_is_string(value))
		value = json_pack("[O]", value);
	else
		json_incref(value);
	if (!json_is_array(value)) {
		json_decref(value);
		json_decref(list);
		return FAIL(c, "env_file", "must be a path or a list of paths");
	}
	json_array_foreach(value, index, element)
	{
		const char *path = json_is_object(element) ? json_string_value(json_object_get(element, "path"))
		                                           : json_string_value(element);
		json_t *required = json_is_object(element) ? json_object_get(element, "required") : NULL;
		char *absolute = NULL;
		if (path == NULL) {
			json_decref(value);
			json_decref(list);
			return FAIL(c, "env_file", "element %zu: expected a path or {path, required}", index);
		}
		if (path[0] == '/')
			absolute = strdup(path);
		else
			cv_asprintf(&absolute, "%s/%s", c->loader->project_directory, path);
		json_array_append_new(list, json_pack("{s:s,s:b}", "path", absolute, "required",
		                                      required == NULL || json_is_true(required)));
		free(absolute);
	}
	json_decref(value);
	json_object_set_new(c->service, "env_file", list);
	return 0;
}

/* The keys: what each becomes. */
enum handling { SUPPORTED, WARNED, REFUSED };

struct key_rule {
	const char *key;
	int (*normalize)(struct check *c);
	enum handling handling;
	const char *why;
};

static int as_string(struct check *c, const char *key)
{
	return set_string(c, key);
}
#define STRING_KEY(name)                                                                                               \
	static int set_##name(struct check *c)                                                                         \
	{                                                                                                              \
		return as_string(c, #name);                                                                            \
	}
STRING_KEY(image)
STRING_KEY(working_dir)
STRING_KEY(user)
STRING_KEY(hostname)
STRING_KEY(container_name)
STRING_KEY(pull_policy)
static int set_cmd(struct check *c)
{
	return set_command(c, "command");
}
static int set_entrypoint(struct check *c)
{
	return set_command(c, "entrypoint");
}
static int set_environment(struct check *c)
{
	return set_map(c, "environment", true);
}
static int set_labels(struct check *c)
{
	return set_map(c, "labels", false);
}
static int set_sysctls(struct check *c)
{
	return set_map(c, "sysctls", false);
}
static int set_read_only(struct check *c)
{
	return set_bool(c, "read_only");
}
static int set_init(struct check *c)
{
	return set_bool(c, "init");
}
static int set_tmpfs(struct check *c)
{
	return set_string_list(c, "tmpfs", true);
}
static int set_dns(struct check *c)
{
	return set_string_list(c, "dns", true);
}
static int set_cap_add(struct check *c)
{
	return set_string_list(c, "cap_add", false);
}
static int set_cap_drop(struct check *c)
{
	return set_string_list(c, "cap_drop", false);
}
static int set_security_opt(struct check *c)
{
	return set_string_list(c, "security_opt", false);
}
static int set_grace(struct check *c)
{
	return set_duration(c, c->service, "stop_grace_period", path_of(c, "stop_grace_period"));
}
static int set_scale(struct check *c)
{
	long long scale;
	if (integer_of(json_object_get(c->service, "scale"), &scale) < 0 || scale < 0 || scale > 1000)
		return FAIL(c, "scale", "must be a number from 0 to 1000");
	json_t *deploy = json_object_get(c->service, "deploy");
	if (deploy == NULL)
		json_object_set_new(c->service, "deploy", deploy = json_object());
	json_object_set_new(deploy, "replicas", json_integer(scale));
	json_object_del(c->service, "scale");
	return 0;
}
static int set_profiles(struct check *c)
{
	(void)c;
	return 0; /* checked by the profile filter */
}

static const struct key_rule rules[] = {
        {"image", set_image, SUPPORTED, NULL},
        {"command", set_cmd, SUPPORTED, NULL},
        {"entrypoint", set_entrypoint, SUPPORTED, NULL},
        {"environment", set_environment, SUPPORTED, NULL},
        {"env_file", set_env_file, SUPPORTED, NULL},
        {"working_dir", set_working_dir, SUPPORTED, NULL},
        {"user", set_user, SUPPORTED, NULL},
        {"hostname", set_hostname, SUPPORTED, NULL},
        {"container_name", set_container_name, SUPPORTED, NULL},
        {"pull_policy", set_pull_policy, SUPPORTED, NULL},
        {"ports", set_ports, SUPPORTED, NULL},
        {"expose", set_expose, SUPPORTED, NULL},
        {"volumes", set_volumes, SUPPORTED, NULL},
        {"networks", set_networks, SUPPORTED, NULL},
        {"network_mode", set_network_mode, SUPPORTED, NULL},
        {"depends_on", set_depends_on, SUPPORTED, NULL},
        {"healthcheck", set_healthcheck, SUPPORTED, NULL},
        {"restart", set_restart, SUPPORTED, NULL},
        {"deploy", set_deploy, SUPPORTED, NULL},
        {"scale", set_scale, SUPPORTED, NULL},
        {"labels", set_labels, SUPPORTED, NULL},
        {"stop_signal", set_signal, SUPPORTED, NULL},
        {"stop_grace_period", set_grace, SUPPORTED, NULL},
        {"read_only", set_read_only, SUPPORTED, NULL},
        {"tmpfs", set_tmpfs, SUPPORTED, NULL},
        {"cap_add", set_cap_add, SUPPORTED, NULL},
        {"cap_drop", set_cap_drop, SUPPORTED, NULL},
        {"security_opt", set_security_opt, SUPPORTED, NULL},
        {"sysctls", set_sysctls, SUPPORTED, NULL},
        {"extra_hosts", set_extra_hosts, SUPPORTED, NULL},
        {"dns", set_dns, SUPPORTED, NULL},
        {"init", set_init, SUPPORTED, NULL},
        {"profiles", set_profiles, SUPPORTED, NULL},
        {"build", NULL, REFUSED, "building images is not supported: build it and give image:"},
        {"ulimits", NULL, REFUSED, "not supported yet (containerv sets no rlimits)"},
        {"secrets", set_profiles, SUPPORTED, NULL}, /* checked with the top-level ones (compose-secrets.c) */
        {"configs", set_profiles, SUPPORTED, NULL},
        {"devices", NULL, REFUSED, "not supported"},
        {"privileged", NULL, REFUSED, "not supported from compose (use x-containerv security levels later)"},
        {"pid", NULL, REFUSED, "not supported"},
        {"ipc", NULL, REFUSED, "not supported"},
        {"userns_mode", NULL, REFUSED, "not supported"},
        {"volumes_from", NULL, REFUSED, "not supported"},
        {"links", NULL, WARNED, "ignored: services reach each other by service name"},
        {"external_links", NULL, REFUSED, "not supported"},
        {"logging", NULL, WARNED, "ignored: containerv keeps its rotated log"},
        {"stdin_open", NULL, WARNED, "ignored: services run detached"},
        {"tty", NULL, WARNED, "ignored: services run detached"},
        {"platform", NULL, WARNED, "ignored"},
        {"domainname", NULL, WARNED, "ignored"},
        {"dns_search", NULL, WARNED, "ignored"},
        {"dns_opt", NULL, WARNED, "ignored"},
        {"mem_limit", NULL, REFUSED, "use deploy.resources.limits.memory"},
        {"cpus", NULL, REFUSED, "use deploy.resources.limits.cpus"},
        {"pids_limit", NULL, REFUSED, "use deploy.resources.limits.pids"},
        {NULL, NULL, SUPPORTED, NULL},
};

int cv_compose_normalize_service(struct cv_compose_loader *loader, const char *name, json_t *service)
{
	struct check c = {.loader = loader, .service = service, .name = name};
	const char *key;
	json_t *value;
	void *next;

	if (strlen(name) == 0 || strlen(name) > 63 || !cv_name_is_valid(name, 63) || strchr(name, '.') != NULL)
		return cv_compose_fail(loader, NULL, NULL, name, "invalid service name (letters, digits, '_' and '-')");
	json_object_foreach_safe(service, next, key, value)
	{
		const struct key_rule *rule = rules;
		while (rule->key && strcmp(rule->key, key) != 0)
			rule++;
		if (strncmp(key, "x-", 2) == 0)
			continue;
		if (rule->key == NULL) {
			cv_compose_warn(loader, "services.%s: unknown key \"%s\": ignored", name, key);
			json_object_del(service, key);
		} else if (rule->handling == REFUSED) {
			return FAIL(&c, key, "%s", rule->why);
		} else if (rule->handling == WARNED) {
			cv_compose_warn(loader, "services.%s.%s: %s", name, key, rule->why);
			json_object_del(service, key);
		} else if (json_is_null(value) && strcmp(key, "command") && strcmp(key, "entrypoint")) {
			json_object_del(service, key);
		} else if (rule->normalize(&c) < 0) {
			return -1;
		}
	}
	if (json_object_get(service, "image") == NULL)
		return cv_compose_fail(loader, NULL, NULL, name, "services.%s: no image (build is not supported)",
		                       name);
	json_t *deploy = json_object_get(service, "deploy");
	json_t *replicas = json_object_get(deploy, "replicas");
	if (json_object_get(service, "container_name") && replicas && json_integer_value(replicas) > 1)
		return FAIL(&c, "container_name", "cannot be combined with more than one replica");
	return cv_compose_check_extensions(loader, name, service); /* x-containerv: lb, autoscale */
}

/* Top-level networks and volumes, and every service's references to them. */
int cv_compose_normalize_resources(struct cv_compose_loader *loader, json_t *model)
{
	json_t *networks = json_object_get(model, "networks"), *volumes = json_object_get(model, "volumes");
	json_t *services = json_object_get(model, "services");
	const char *name, *key;
	json_t *value, *member;
	char path[300];

	if (networks == NULL || json_is_null(networks))
		json_object_set_new(model, "networks", networks = json_object());
	if (volumes == NULL || json_is_null(volumes))
		json_object_set_new(model, "volumes", volumes = json_object());
	json_object_foreach(networks, name, value)
	{
		snprintf(path, sizeof path, "networks.%.200s", name);
		if (json_is_null(value))
			json_object_set_new(networks, name, value = json_object());
		if (cv_compose_normalize_network(loader, path, value) < 0)
			return -1;
	}
	json_object_foreach(volumes, name, value)
	{
		snprintf(path, sizeof path, "volumes.%.200s", name);
		if (json_is_null(value))
			json_object_set_new(volumes, name, value = json_object());
		json_object_foreach(value, key, member)
		{
			if (strcmp(key, "driver") == 0 && json_is_string(member) &&
			    strcmp(json_string_value(member), "local") == 0)
				continue;
			if (strcmp(key, "labels") == 0 || strcmp(key, "name") == 0 || strncmp(key, "x-", 2) == 0)
				continue;
			return cv_compose_fail(loader, value, key, path, "%s is not supported yet", key);
		}
	}
	json_object_foreach(services, name, value)
	{
		json_t *service_networks = json_object_get(value, "networks");
		json_object_foreach(service_networks, key, member)
		{
			snprintf(path, sizeof path, "services.%.100s.networks.%.100s", name, key);
			if (strcmp(key, "default") != 0 && json_object_get(networks, key) == NULL)
				return cv_compose_fail(loader, value, "networks", path,
				                       "network \"%s\" is not declared", key);
		}
		size_t index;
		json_array_foreach(json_object_get(value, "volumes"), index, member)
		{
			const char *type = json_string_value(json_object_get(member, "type"));
			const char *source = json_string_value(json_object_get(member, "source"));
			snprintf(path, sizeof path, "services.%.100s.volumes", name);
			if (strcmp(type, "volume") == 0 && source != NULL && json_object_get(volumes, source) == NULL)
				return cv_compose_fail(
				        loader, value, "volumes", path,
				        "element %zu: volume \"%s\" is not declared in the top-level volumes", index,
				        source);
		}
	}
	return 0;
}
