/*
 * One service replica as a container's options: the canonical service (see
 * compose-service.c) through the same spec/ functions docker's flags go
 * through, so `compose up` and `run` mean the same by the same text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <chef/containerv.h>

#include "common/error.h"
#include "common/util.h"
#include "orchestration/compose-lb.h"
#include "orchestration/compose-up.h"

static char **string_vector(json_t *array)
{
	size_t index;
	json_t *element;
	char **vector = NULL;

	if (cv_strv_append(&vector, "") < 0) /* so that an empty list is an empty vector, not NULL */
		return NULL;
	free(vector[0]);
	vector[0] = NULL;
	json_array_foreach(array, index, element)
	{
		if (cv_strv_append(&vector, json_string_value(element)) < 0) {
			cv_strv_free(vector);
			return NULL;
		}
	}
	return vector;
}

static int set_argv(struct containerv_options *options, json_t *list,
                    int (*set)(struct containerv_options *, const char *const *))
{
	char **argv;
	int ret;

	if (list == NULL)
		return 0;
	if ((argv = string_vector(list)) == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	ret = set(options, (const char *const *)argv);
	cv_strv_free(argv);
	return ret;
}

static int add_environment(struct containerv_options *options, json_t *service)
{
	size_t index;
	json_t *element, *value;
	const char *key;

	json_array_foreach(json_object_get(service, "env_file"), index, element)
	{
		const char *path = json_string_value(json_object_get(element, "path"));
		if (!json_is_true(json_object_get(element, "required")) && access(path, F_OK) != 0)
			continue;
		if (containerv_spec_add_env_file(options, path) < 0)
			return -1;
	}
	json_object_foreach(json_object_get(service, "environment"), key, value)
	{
		char *entry = NULL;
		if (cv_asprintf(&entry, "%s=%s", key, json_string_value(value)) < 0)
			return -1;
		int ret = containerv_options_add_env(options, entry);
		free(entry);
		if (ret < 0)
			return -1;
	}
	return 0;
}

static int add_labels(struct containerv_options *options, const struct cv_compose_replica *replica)
{
	json_t *service = replica->service;
	const char *key;
	json_t *value;
	char *entry = NULL;
	char number[16];

	json_object_foreach(json_object_get(service, "labels"), key, value)
	{
		if (strncmp(key, "com.docker.compose.", 19) == 0)
			return cv_error_errno(EINVAL, "services.%s.labels.%s: reserved for compose",
			                      replica->service_name, key);
		if (cv_asprintf(&entry, "%s=%s", key, json_string_value(value)) < 0)
			return -1;
		int ret = containerv_options_add_label(options, entry);
		free(entry);
		if (ret < 0)
			return -1;
	}
	/* The service name, then the aliases given on any network: what the embedded DNS server will answer. */
	char *aliases = strdup(replica->service_name);
	json_t *network;
	json_object_foreach(json_object_get(service, "networks"), key, network)
	{
		size_t index;
		json_t *alias;
		json_array_foreach(json_object_get(network, "aliases"), index, alias)
		{
			char *longer = NULL;
			if (aliases == NULL || cv_asprintf(&longer, "%s,%s", aliases, json_string_value(alias)) < 0) {
				free(aliases);
				return cv_error_errno(ENOMEM, "out of memory");
			}
			free(aliases);
			aliases = longer;
		}
	}
	if (aliases == NULL)
		return cv_error_errno(ENOMEM, "out of memory");
	snprintf(number, sizeof number, "%d", replica->number);
	const char *const compose_labels[][2] = {
	        {CV_COMPOSE_LABEL_PROJECT, replica->app->project},
	        {CV_COMPOSE_LABEL_SERVICE, replica->service_name},
	        {CV_COMPOSE_LABEL_NUMBER, number},
	        {CV_COMPOSE_LABEL_HASH, replica->config_hash},
	        {CV_COMPOSE_LABEL_ONEOFF, replica->oneoff ? "True" : "False"},
	        {CV_COMPOSE_LABEL_WORKING_DIR, replica->app->project_directory},
	        {CV_COMPOSE_LABEL_CONFIG_FILES, replica->config_files},
	        {CV_COMPOSE_LABEL_ALIASES, aliases},
	};
	for (size_t i = 0; i < sizeof compose_labels / sizeof *compose_labels; i++) {
		if (cv_asprintf(&entry, "%s=%s", compose_labels[i][0], compose_labels[i][1]) < 0)
			entry = NULL;
		int ret = entry ? containerv_options_add_label(options, entry) : -1;
		free(entry);
		if (ret < 0) {
			free(aliases);
			return -1;
		}
	}
	free(aliases);
	return 0;
}

static int add_limits(struct containerv_options *options, json_t *service)
{
	json_t *limits = json_object_get(json_object_get(json_object_get(service, "deploy"), "resources"), "limits");
	struct containerv_spec_limit_flags flags = CONTAINERV_SPEC_LIMIT_FLAGS_INIT;
	struct containerv_limits parsed = CONTAINERV_LIMITS_INIT;

	if (limits == NULL)
		return 0;
	flags.memory = json_string_value(json_object_get(limits, "memory"));
	flags.cpus = json_string_value(json_object_get(limits, "cpus"));
	flags.pids_limit = json_string_value(json_object_get(limits, "pids"));
	if (containerv_spec_parse_limits(&flags, &parsed) < 0)
		return -1;
	return containerv_options_set_limits(options, &parsed);
}

/* One volumes entry: a named volume is the project's <project>_<name>; an anonymous one has no source. */
static int add_volume(struct containerv_options *options, const struct cv_compose_replica *replica, json_t *entry)
{
	const char *type = json_string_value(json_object_get(entry, "type"));
	const char *source = json_string_value(json_object_get(entry, "source"));
	const char *target = json_string_value(json_object_get(entry, "target"));
	int read_only = json_is_true(json_object_get(entry, "read_only"));
	char *text = NULL;
	int ret;

	if (strcmp(type, "tmpfs") == 0)
		return containerv_spec_add_tmpfs(options, target);
	if (source == NULL)
		ret = cv_asprintf(&text, "%s%s", target, read_only ? ":ro" : "");
	else if (strcmp(type, "volume") == 0)
		ret = cv_asprintf(&text, "%s_%s:%s%s", replica->app->project, source, target, read_only ? ":ro" : "");
	else
		ret = cv_asprintf(&text, "%s:%s%s", source, target, read_only ? ":ro" : "");
	if (ret < 0)
		return -1;
	ret = containerv_spec_add_volume(options, text);
	free(text);
	return ret;
}

static int apply_security_opt(struct containerv_security *security, const char *opt)
{
	const char *equals = strchr(opt, '='), *colon = strchr(opt, ':');
	const char *separator = equals ? equals : colon;
	size_t length = separator ? (size_t)(separator - opt) : strlen(opt);
	const char *value = separator ? separator + 1 : NULL;

	if (length == 17 && strncmp(opt, "no-new-privileges", 17) == 0)
		return containerv_security_set_no_new_privileges(security, value == NULL || strcmp(value, "true") == 0);
	if (value != NULL && length == 7 && strncmp(opt, "seccomp", 7) == 0)
		return containerv_security_set_seccomp(security, value);
	if (value != NULL && length == 8 && strncmp(opt, "apparmor", 8) == 0)
		return strcmp(value, "unconfined") == 0 ? 0 : containerv_security_set_apparmor_profile(security, value);
	if (value != NULL && length == 5 && strncmp(opt, "label", 5) == 0)
		return strcmp(value, "disable") == 0 ? 0 : containerv_security_set_selinux_label(security, value);
	return cv_error_errno(EINVAL,
	                      "security_opt %s: unknown option (no-new-privileges, seccomp=, apparmor=, label=)", opt);
}

static int add_security(struct containerv_options *options, const struct cv_compose_replica *replica)
{
	json_t *service = replica->service;
	struct containerv_security *security = NULL;
	size_t index;
	json_t *element;
	int ret = -1;

	if (containerv_security_new(CV_SECURITY_RESTRICTED, &security) < 0)
		return -1;
	json_array_foreach(json_object_get(service, "cap_drop"), index, element)
	{
		if (containerv_security_drop_capability(security, json_string_value(element)) < 0)
			goto done;
	}
	json_array_foreach(json_object_get(service, "cap_add"), index, element)
	{
		if (containerv_security_add_capability(security, json_string_value(element)) < 0)
			goto done;
	}
	json_array_foreach(json_object_get(service, "security_opt"), index, element)
	{
		if (apply_security_opt(security, json_string_value(element)) < 0)
			goto done;
	}
	if (cv_compose_allow_secret_binds(replica, security) < 0)
		goto done;
	ret = containerv_options_set_security(options, security);
done:
	containerv_security_delete(security);
	return ret;
}

/* The first network is the container's own; the others are connected after create (cv_compose_connect_others). */
static int set_network(struct containerv_options *options, const struct cv_compose_replica *replica)
{
	json_t *service = replica->service;
	const char *mode = json_string_value(json_object_get(service, "network_mode"));
	char *name = NULL;
	int ret;

	if (mode != NULL && strcmp(mode, "none") == 0)
		return containerv_options_set_network_mode(options, CV_NETWORK_NONE, NULL);
	if (mode != NULL && strcmp(mode, "host") == 0)
		return containerv_options_set_network_mode(options, CV_NETWORK_HOST, NULL);
	if (mode != NULL && strcmp(mode, "bridge") == 0)
		return containerv_options_set_network_mode(options, CV_NETWORK_BRIDGE, NULL);
	const char *first = cv_compose_first_network(service);
	if (cv_asprintf(&name, "%s_%s", replica->app->project, first) < 0)
		return -1;
	ret = containerv_options_set_network_mode(options, CV_NETWORK_BRIDGE, name);
	free(name);
	json_t *settings = json_object_get(json_object_get(service, "networks"), first);
	const char *address = json_string_value(json_object_get(settings, "ipv4_address"));
	if (ret == 0 && address != NULL)
		ret = containerv_options_set_ip(options, address);
	/* What the network's DNS server answers for this replica: the service's name, then its aliases there. */
	if (ret == 0)
		ret = containerv_options_add_network_alias(options, replica->service_name);
	size_t index;
	json_t *alias;
	json_array_foreach(json_object_get(settings, "aliases"), index, alias)
	{
		if (ret == 0)
			ret = containerv_options_add_network_alias(options, json_string_value(alias));
	}
	return ret;
}

static int add_lists(struct containerv_options *options, json_t *service)
{
	static const struct {
		const char *key;
		int (*add)(struct containerv_options *, const char *);
	} lists[] = {
	        {"expose", containerv_options_add_exposed_port},
	        {"dns", containerv_options_add_dns},
	        {"extra_hosts", containerv_options_add_host},
	        {"tmpfs", containerv_spec_add_tmpfs},
	};
	size_t index;
	json_t *element;

	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
		json_array_foreach(json_object_get(service, lists[i].key), index, element)
		{
			if (lists[i].add(options, json_string_value(element)) < 0)
				return cv_error_prefix("%s", lists[i].key);
		}
	}
	if (cv_compose_add_ports(options, service) < 0) /* a balancer's ports are not the replicas' */
		return -1;
	const char *key;
	json_t *value;
	json_object_foreach(json_object_get(service, "sysctls"), key, value)
	{
		if (containerv_options_add_sysctl(options, key, json_string_value(value)) < 0)
			return cv_error_prefix("sysctls");
	}
	return 0;
}

static int set_image(struct containerv_options *options, const struct cv_compose_replica *replica)
{
	struct containerv_spec_image_options spec = CONTAINERV_SPEC_IMAGE_OPTIONS_INIT;
	json_t *service = replica->service;
	const char *policy = json_string_value(json_object_get(service, "pull_policy"));

	if (policy != NULL && strcmp(policy, "if_not_present") == 0)
		policy = "missing";
	if (containerv_spec_parse_pull_policy(policy, &spec.pull) < 0)
		return -1;
	spec.rootfs_search_path = replica->rootfs_search_path;
	spec.has_command =
	        json_object_get(service, "command") != NULL || json_object_get(service, "entrypoint") != NULL;
	return containerv_spec_set_image(options, json_string_value(json_object_get(service, "image")), &spec);
}

int cv_compose_replica_options(const struct cv_compose_replica *replica, struct containerv_options **out)
{
	struct containerv_options *options = NULL;
	json_t *service = replica->service;
	const char *text;
	size_t index;
	json_t *element;

	*out = NULL;
	if (containerv_options_new(&options) < 0)
		return -1;
	if (set_image(options, replica) < 0 ||
	    set_argv(options, json_object_get(service, "entrypoint"), containerv_options_set_entrypoint) < 0 ||
	    set_argv(options, json_object_get(service, "command"), containerv_options_set_command) < 0 ||
	    containerv_options_set_name(options, replica->name) < 0 || add_environment(options, service) < 0 ||
	    add_labels(options, replica) < 0 || add_limits(options, service) < 0 || add_lists(options, service) < 0 ||
	    add_security(options, replica) < 0 || set_network(options, replica) < 0 ||
	    containerv_options_set_autostart(options, 0) < 0 || cv_compose_apply_supervision(options, service) < 0)
		goto fail;
	if ((text = json_string_value(json_object_get(service, "hostname"))) != NULL &&
	    containerv_options_set_hostname(options, text) < 0)
		goto fail;
	if ((text = json_string_value(json_object_get(service, "working_dir"))) != NULL &&
	    containerv_options_set_workdir(options, text) < 0)
		goto fail;
	if ((text = json_string_value(json_object_get(service, "user"))) != NULL &&
	    containerv_spec_set_user(options, text) < 0)
		goto fail;
	if (json_is_true(json_object_get(service, "read_only")) &&
	    containerv_options_set_readonly_rootfs(options, 1) < 0)
		goto fail;
	json_array_foreach(json_object_get(service, "volumes"), index, element)
	{
		if (add_volume(options, replica, element) < 0)
			goto fail;
	}
	if (cv_compose_add_secrets(replica, options) < 0)
		goto fail;
	*out = options;
	return 0;
fail:
	cv_error_prefix("service %s", replica->service_name);
	containerv_options_delete(options);
	return -1;
}

const char *cv_compose_first_network(json_t *service)
{
	json_t *networks = json_object_get(service, "networks");
	void *first = json_object_iter(networks);

	return first ? json_object_iter_key(first) : "default";
}

int cv_compose_stop_signal(json_t *service)
{
	const char *text = json_string_value(json_object_get(service, "stop_signal"));
	const char *name = text && strncmp(text, "SIG", 3) == 0 ? text + 3 : text;

	for (int signal = 1; name != NULL && signal < NSIG; signal++) {
		const char *abbreviation = sigabbrev_np(signal);
		if (abbreviation && strcmp(abbreviation, name) == 0)
			return signal;
	}
	return SIGTERM;
}

unsigned int cv_compose_stop_timeout(json_t *service)
{
	long long ns;
	const char *text = json_string_value(json_object_get(service, "stop_grace_period"));

	if (text == NULL || cv_compose_parse_duration(text, &ns) < 0)
		return 10;
	return (unsigned int)((ns + 999999999) / 1000000000);
}
